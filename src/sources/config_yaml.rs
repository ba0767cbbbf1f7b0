//! OMS `config.yaml`: a flat `key: value` mapping, kept with the position of every key and
//! value so that findings can point into the file.
//!
//! Values are typed the way YAML types them (`cm_location: 1` is an integer, `'1'` a
//! string); rules that do not care use `ConfigValue::as_int`/`scalar_text`. Unknown keys are
//! kept: a later OMS version may add keys that a rule wants to see.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, MessageFormatter, Spanned};

use super::redact::{self, is_secret_key};
use crate::error::{Error, Result};
use crate::facts::{ConfigEntry, ConfigFile, ConfigValue, Secret};

/// Reads an input file as text, with the error classes every source shares: a missing or
/// unreadable file (a dangling symbolic link, a loop) is `Unreadable` (exit 3: nothing was
/// checked), while a directory, an empty file or bytes that are not UTF-8 are a `Parse`
/// error (exit 2: the input given is wrong).
pub fn read_text(path: &Path) -> Result<String> {
    read_text_hashed(path).map(|(text, _)| text)
}

/// [`read_text`], and the SHA-256 of the bytes read: the report's digest is of what was
/// checked, even when the input was a pipe (`--config <(ssh node cat config.yaml)`) that
/// cannot be read twice.
pub fn read_text_hashed(path: &Path) -> Result<(String, String)> {
    let (text, sha256) = read_utf8_hashed(path)?;
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Err(Error::parse_no_pos(path, "empty file"));
    }
    Ok((text, sha256))
}

/// A file's text, which must be UTF-8: YAML and JSON are, and a byte of another encoding
/// (a `cm_region_cn` typed on a GBK terminal) is an error at its line and column, never a
/// guess. A named pipe is read (`--docker-inspect <(docker inspect oms)`); the snapshot
/// layout never hands one over.
pub fn read_utf8(path: &Path) -> Result<String> {
    read_utf8_hashed(path).map(|(text, _)| text)
}

fn read_utf8_hashed(path: &Path) -> Result<(String, String)> {
    use sha2::{Digest, Sha256};
    let meta = std::fs::metadata(path).map_err(|e| super::unreadable(path, &e))?;
    if meta.is_dir() {
        return Err(Error::parse_no_pos(path, "is a directory, expected a file"));
    }
    let bytes = std::fs::read(path).map_err(|e| super::unreadable(path, &e))?;
    let sha256 = super::hex(&Sha256::digest(&bytes));
    Ok((super::decode_utf8(path, bytes)?, sha256))
}

/// Reads and parses one config.yaml. `region_dir` is the `regions/<dir>` name when the file
/// came from a snapshot's regions directory.
pub fn read_config(path: &Path, region_dir: Option<String>) -> Result<ConfigFile> {
    read_config_hashed(path, region_dir).map(|(c, _)| c)
}

/// [`read_config`], and the SHA-256 of the file as it was read.
pub fn read_config_hashed(path: &Path, region_dir: Option<String>) -> Result<(ConfigFile, String)> {
    let (text, sha256) = read_text_hashed(path)?;
    Ok((parse_config(path, &text, region_dir)?, sha256))
}

/// Parses config.yaml text; `path` is only used to name the file in errors and spans.
pub fn parse_config(path: &Path, text: &str, region_dir: Option<String>) -> Result<ConfigFile> {
    if !has_content(text) {
        return Err(Error::parse_no_pos(path, "empty file"));
    }
    let options = serde_saphyr::options! {
        // Duplicates are detected below, at the top level only, with both lines in the
        // message; nested mappings are not interpreted, and OMS itself accepts them there.
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
        with_snippet: false,
        // A password like `1e999` must not make the whole file unreadable.
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::PassThrough,
    };
    let top: Spanned<Top> = serde_saphyr::from_str_with_options(text, options)
        .map_err(|e| yaml_error(path, text, &e))?;
    let pairs = match top.value {
        Top::Map(pairs) => pairs,
        Top::Empty => return Err(Error::parse_no_pos(path, "empty file")),
        Top::NotMap(what) => {
            let (line, column) = position(&top.referenced);
            return Err(Error::parse(
                path,
                line.max(1),
                column.max(1),
                format!(
                    "expected a mapping of `key: value` settings at the top level, found {what}"
                ),
            ));
        }
    };

    let mut entries = BTreeMap::new();
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for (key, value) in pairs {
        let (key_line, key_column) = position(&key.referenced);
        let name = match key_text(text, &key) {
            Some(name) => name,
            None => {
                return Err(Error::parse(
                    path,
                    key_line,
                    key_column,
                    "a key must be a scalar, not a list or a mapping",
                ))
            }
        };
        if let Some(first) = first_line.get(&name) {
            return Err(Error::parse(
                path,
                key_line,
                key_column,
                format!("duplicate key `{name}` (first defined at line {first})"),
            ));
        }
        first_line.insert(name.clone(), key_line);
        let (line, column) = position(&value.referenced);
        let value = if is_secret_key(&name) {
            secret_value(text, &value)
        } else {
            config_value(text, &value)
        };
        entries.insert(
            name,
            ConfigEntry {
                value,
                line,
                column,
                key_line,
                key_column,
            },
        );
    }

    let redacted_text = mask_elsewhere(redact::redact_text(text), &entries);
    Ok(ConfigFile {
        path: path.to_path_buf(),
        region_dir,
        redacted_text,
        entries,
    })
}

/// Passwords long enough not to be mistaken for ordinary words are also masked where they
/// appear outside their own line (`# old password was …`, a URL that repeats it).
const MIN_MASKED_ELSEWHERE: usize = 6;

fn mask_elsewhere(mut redacted: String, entries: &BTreeMap<String, ConfigEntry>) -> String {
    for entry in entries.values() {
        if let ConfigValue::Secret(Secret(secret)) = &entry.value {
            if secret.chars().count() >= MIN_MASKED_ELSEWHERE && redacted.contains(secret.as_str())
            {
                redacted = redacted.replace(secret.as_str(), redact::MASK);
            }
        }
    }
    redacted
}

/// Whether anything but whitespace and comments is left: a file of comments only is as
/// useless as an empty one, and saying so beats a list of missing keys.
fn has_content(text: &str) -> bool {
    text.trim_start_matches('\u{feff}').lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    })
}

fn yaml_error(path: &Path, text: &str, err: &serde_saphyr::Error) -> Error {
    // The user formatter gives the message without location or snippet; it may still quote
    // the offending input (`non-finite float `…``), hence the scrub against the file's
    // secret values.
    let raw = serde_saphyr::UserMessageFormatter.format_message(err);
    let message = format!(
        "invalid YAML: {}",
        redact::scrub_message(&raw, text, "syntax error")
    );
    match err.location() {
        Some(loc) if loc.line() > 0 => Error::parse(path, loc.line(), loc.column(), message),
        _ => Error::parse_no_pos(path, message),
    }
}

fn position(loc: &Location) -> (u64, u64) {
    (loc.line(), loc.column())
}

/// The scalar exactly as written, for values whose YAML type would lose it (`0123`,
/// `1e400`, a password `yes`). Aliases are read where their anchor is defined.
fn raw_text<'t>(text: &'t str, node: &Spanned<Node>) -> Option<&'t str> {
    let span = node.defined.span();
    let start = usize::try_from(span.byte_offset()?).ok()?;
    let len = usize::try_from(span.byte_len()?).ok()?;
    text.get(start..start.checked_add(len)?)
}

fn key_text(text: &str, key: &Spanned<Node>) -> Option<String> {
    match &key.value {
        Node::Str(s) => Some(s.clone()),
        Node::Seq(_) | Node::Map => None,
        // `y:`, `n:`, `1:` are booleans and numbers to YAML but names to OMS.
        Node::Null | Node::Bool(_) | Node::Int(_) | Node::UInt(_) | Node::Float(_) => {
            Some(raw_text(text, key).map_or_else(|| key.value.fallback_text(), str::to_string))
        }
    }
}

fn scalar_text(text: &str, node: &Spanned<Node>) -> Option<String> {
    match &node.value {
        Node::Str(s) => Some(s.clone()),
        Node::Seq(_) | Node::Map => None,
        Node::Null => Some(String::new()),
        _ => Some(raw_text(text, node).map_or_else(|| node.value.fallback_text(), str::to_string)),
    }
}

fn config_value(text: &str, node: &Spanned<Node>) -> ConfigValue {
    match &node.value {
        Node::Null => ConfigValue::Null,
        Node::Bool(b) => ConfigValue::Bool(*b),
        Node::Int(i) => ConfigValue::Int(*i),
        Node::UInt(u) => match i64::try_from(*u) {
            Ok(i) => ConfigValue::Int(i),
            Err(_) => ConfigValue::Str(scalar_text(text, node).unwrap_or_default()),
        },
        // There is no float setting in config.yaml; keep the text as written.
        Node::Float(_) => ConfigValue::Str(scalar_text(text, node).unwrap_or_default()),
        Node::Str(s) => ConfigValue::Str(redact::mask_url_passwords(s)),
        Node::Seq(items) => items
            .iter()
            .map(|item| scalar_text(text, item).map(|s| redact::mask_url_passwords(&s)))
            .collect::<Option<Vec<_>>>()
            .map_or(ConfigValue::Other, ConfigValue::List),
        Node::Map => ConfigValue::Other,
    }
}

fn secret_value(text: &str, node: &Spanned<Node>) -> ConfigValue {
    match &node.value {
        Node::Null => ConfigValue::Null,
        // A list or mapping under a password key is not a password OMS could use; keeping
        // nothing of it is the safe reading.
        Node::Seq(_) | Node::Map => ConfigValue::Other,
        _ => scalar_text(text, node).map_or(ConfigValue::Other, |s| ConfigValue::Secret(Secret(s))),
    }
}

/// The document root: only a mapping is a config file.
enum Top {
    Map(Vec<(Spanned<Node>, Spanned<Node>)>),
    Empty,
    NotMap(&'static str),
}

impl<'de> Deserialize<'de> for Top {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TopVisitor)
    }
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        let mut pairs = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Node>>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            pairs.push((key, value));
        }
        Ok(Top::Map(pairs))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Top, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Top::NotMap("a list"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Top, E> {
        Ok(Top::Empty)
    }

    fn visit_none<E: de::Error>(self) -> Result<Top, E> {
        Ok(Top::Empty)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Top, E> {
        Ok(Top::NotMap("a scalar"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Top, E> {
        Ok(Top::NotMap("a scalar"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Top, E> {
        Ok(Top::NotMap("a scalar"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Top, E> {
        Ok(Top::NotMap("a scalar"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Top, E> {
        Ok(Top::NotMap("a scalar"))
    }
}

/// A YAML node as far as config.yaml needs it: nested mappings are skipped, not kept.
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Node>>),
    Map,
}

impl Node {
    /// Text for a scalar when the source span is unavailable (never for string input).
    fn fallback_text(&self) -> String {
        match self {
            Node::Null => String::new(),
            Node::Bool(b) => b.to_string(),
            Node::Int(i) => i.to_string(),
            Node::UInt(u) => u.to_string(),
            Node::Float(f) => f.to_string(),
            Node::Str(s) => s.clone(),
            Node::Seq(_) | Node::Map => String::new(),
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::UInt(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        Ok(i64::try_from(v).map_or(Node::Float(v as f64), Node::Int))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        Ok(u64::try_from(v).map_or(Node::Float(v as f64), Node::UInt))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }

    fn visit_char<E: de::Error>(self, v: char) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Node, E> {
        Ok(Node::Str(String::from_utf8_lossy(v).into_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Node::Map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const SECRET: &str = "S3cr3t-x";

    fn p() -> PathBuf {
        PathBuf::from("regions/hz/config.yaml")
    }

    fn parse(text: &str) -> Result<ConfigFile> {
        parse_config(&p(), text, Some("hz".to_string()))
    }

    fn parse_err(text: &str) -> (Option<(u64, u64)>, String, String) {
        match parse(text) {
            Ok(c) => panic!("expected an error, got {c:?}"),
            Err(e) => {
                let shown = e.to_string();
                match e {
                    Error::Parse { pos, message, .. } => {
                        (pos.map(|p| (p.line, p.column)), message, shown)
                    }
                    other => panic!("expected a parse error, got {other:?}"),
                }
            }
        }
    }

    const DOC: &str = "\
# OMS config
oms_meta_host: 10.0.0.1
oms_meta_port: 2883
oms_meta_user: oms_meta_user
oms_meta_password: S3cr3t-x
drc_rm_db: oms_rm
drc_cm_db: oms_cm
drc_cm_heartbeat_db: oms_cm_heartbeat
cm_url: http://10.0.0.2:8088
cm_location: '1'
cm_region: cn-hangzhou
cm_is_default: true
cm_nodes:
  - 10.0.0.2
  - 10.0.0.3
tsdb_service: 'INFLUXDB'
tsdb_enabled: false
tsdb_password:
some_future_key: {nested: 1}
";

    #[test]
    fn entries_with_exact_positions() {
        let c = parse(DOC).expect("parses");
        assert_eq!(c.region_dir.as_deref(), Some("hz"));
        let host = c.get("oms_meta_host").expect("host");
        assert_eq!(host.value, ConfigValue::Str("10.0.0.1".into()));
        assert_eq!((host.key_line, host.key_column), (2, 1));
        assert_eq!((host.line, host.column), (2, 16));
        let port = c.get("oms_meta_port").expect("port");
        assert_eq!(port.value, ConfigValue::Int(2883));
        assert_eq!((port.line, port.column), (3, 16));
        let loc = c.get("cm_location").expect("loc");
        assert_eq!(loc.value, ConfigValue::Str("1".into()));
        assert_eq!(loc.value.as_int(), Some(1));
        assert_eq!((loc.line, loc.column), (10, 14));
        let nodes = c.get("cm_nodes").expect("nodes");
        assert_eq!(
            nodes.value,
            ConfigValue::List(vec!["10.0.0.2".into(), "10.0.0.3".into()])
        );
        assert_eq!((nodes.key_line, nodes.key_column), (13, 1));
        assert_eq!((nodes.line, nodes.column), (14, 3));
        assert_eq!(c.nodes(), vec!["10.0.0.2", "10.0.0.3"]);
        assert_eq!(
            c.get("cm_is_default").map(|e| &e.value),
            Some(&ConfigValue::Bool(true))
        );
        assert_eq!(
            c.get("tsdb_password").map(|e| &e.value),
            Some(&ConfigValue::Null)
        );
        let other = c.get("some_future_key").expect("unknown keys are kept");
        assert_eq!(other.value, ConfigValue::Other);
        assert_eq!((other.key_line, other.key_column), (19, 1));
        let span = c.span_of("cm_url").expect("span");
        assert_eq!((span.line, span.column, span.path), (9, 9, p()));
    }

    #[test]
    fn secrets_are_never_shown() {
        let c = parse(DOC).expect("parses");
        match &c.get("oms_meta_password").expect("pw").value {
            ConfigValue::Secret(s) => assert_eq!(s.0, SECRET),
            other => panic!("not a secret: {other:?}"),
        }
        let debug = format!("{c:?}");
        assert!(!debug.contains(SECRET), "{debug}");
        assert!(c.redacted_text.contains("oms_meta_password: <redacted>"));
        assert!(c.redacted_text.contains("oms_meta_host: 10.0.0.1"));
        assert_eq!(c.redacted_text.lines().count(), DOC.lines().count());

        let c = parse("# the old one was S3cr3t-x\noms_meta_password: S3cr3t-x\n").expect("ok");
        assert!(!c.redacted_text.contains(SECRET), "{}", c.redacted_text);
    }

    #[test]
    fn secret_scalars_keep_their_text() {
        let c = parse("drc_password: 0123\ntsdb_password: yes\npassword: 1e999\n").expect("ok");
        let text = |k: &str| match &c.get(k).expect(k).value {
            ConfigValue::Secret(s) => s.0.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(text("drc_password"), "0123");
        assert_eq!(text("tsdb_password"), "yes");
        assert_eq!(text("password"), "1e999");
    }

    #[test]
    fn scalar_typing() {
        let c = parse(
            "a: 0123\nb: 99999999999999999999\nc: ~\nd: -5\ny: 1\ncm_nodes: 10.0.0.1,10.0.0.2\n",
        )
        .expect("ok");
        assert_eq!(
            c.get("a").map(|e| &e.value),
            Some(&ConfigValue::Str("0123".into()))
        );
        assert_eq!(
            c.get("b").map(|e| &e.value),
            Some(&ConfigValue::Str("99999999999999999999".into()))
        );
        assert_eq!(c.get("c").map(|e| &e.value), Some(&ConfigValue::Null));
        assert_eq!(c.get("d").map(|e| &e.value), Some(&ConfigValue::Int(-5)));
        assert!(c.get("y").is_some(), "`y` stays a key name, not a boolean");
        assert_eq!(
            c.get("cm_nodes").map(|e| &e.value),
            Some(&ConfigValue::Str("10.0.0.1,10.0.0.2".into()))
        );
        assert_eq!(c.nodes(), vec!["10.0.0.1", "10.0.0.2"]);
    }

    #[test]
    fn url_passwords_in_values_are_masked() {
        let c = parse("tsdb_url: http://admin:S3cr3t-x@10.0.0.9:8086\n").expect("ok");
        assert_eq!(
            c.text("tsdb_url").as_deref(),
            Some("http://admin:<redacted>@10.0.0.9:8086")
        );
        assert!(!format!("{c:?}").contains(SECRET));
    }

    #[test]
    fn duplicate_key_names_second_line() {
        let (pos, msg, _) = parse_err("a: 1\nb: 2\na: 3\n");
        assert_eq!(pos, Some((3, 1)));
        assert!(msg.contains("duplicate key `a`"), "{msg}");
        assert!(msg.contains("line 1"), "{msg}");
    }

    #[test]
    fn broken_yaml_never_quotes_the_secret() {
        let text = "oms_meta_host: 10.0.0.1\noms_meta_password: S3cr3t-x\n   broken: indent\n";
        let (pos, _, shown) = parse_err(text);
        assert_eq!(pos.map(|p| p.0), Some(3));
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.starts_with("regions/hz/config.yaml:3:"), "{shown}");

        for text in [
            "oms_meta_password: S3cr3t-x: y\n",
            "oms_meta_password: *S3cr3t-x\n",
            "oms_meta_password: 'S3cr3t-x\n",
            "oms_meta_password: [S3cr3t-x\n",
            "oms_meta_password: !!int S3cr3t-x\n",
            "a: 1\n oms_meta_password: S3cr3t-x\n",
            "oms_meta_password: S3cr3t-x\n\tb: 1\n",
        ] {
            let (pos, _, shown) = parse_err(text);
            assert!(pos.is_some(), "{text:?}");
            assert!(!shown.contains(SECRET), "{text:?} -> {shown}");
        }
    }

    #[test]
    fn not_a_mapping() {
        let (pos, msg, _) = parse_err("- a\n- b\n");
        assert_eq!(pos, Some((1, 1)));
        assert!(msg.contains("mapping"), "{msg}");
        let (pos, _, _) = parse_err("just text\n");
        assert_eq!(pos.map(|p| p.0), Some(1));
    }

    #[test]
    fn empty_and_comment_only() {
        for text in ["", "  \n\n", "# nothing\n# here\n", "---\n"] {
            let (_, msg, _) = parse_err(text);
            assert_eq!(msg, "empty file", "{text:?}");
        }
    }

    #[test]
    fn complex_key_is_an_error() {
        let (pos, msg, _) = parse_err("a: 1\n? [x, y]\n: 2\n");
        assert_eq!(pos.map(|p| p.0), Some(2));
        assert!(msg.contains("scalar"), "{msg}");
    }

    #[test]
    fn bom_and_crlf() {
        let c = parse("\u{feff}a: 1\r\nb: x\r\n").expect("ok");
        assert_eq!(c.get("b").map(|e| (e.line, e.column)), Some((2, 4)));
        assert_eq!(c.text("b").as_deref(), Some("x"));
    }

    #[test]
    fn never_panics_and_never_leaks() {
        for text in crate::sources::redact::tests::odd_texts(2000) {
            let text = format!("oms_meta_password: S3cr3t-x\n{text}");
            match parse(&text) {
                Ok(c) => assert!(!format!("{c:?}").contains(SECRET), "{text:?}"),
                Err(e) => assert!(!e.to_string().contains(SECRET), "{text:?} -> {e}"),
            }
        }
    }

    #[test]
    fn read_config_errors() {
        let dir = std::env::temp_dir().join(format!("omslint-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp dir");
        let err = read_config(&dir, None).expect_err("dir");
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("is a directory, expected a file"));
        let missing = dir.join("missing.yaml");
        let err = read_config(&missing, None).expect_err("missing");
        assert_eq!(err.exit_code(), 3);
        let empty = dir.join("empty.yaml");
        std::fs::write(&empty, "").expect("write");
        let err = read_config(&empty, None).expect_err("empty");
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().ends_with("empty file"));
        let good = dir.join("config.yaml");
        std::fs::write(&good, DOC).expect("write");
        let c = read_config(&good, None).expect("reads");
        assert_eq!(c.path, good);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
