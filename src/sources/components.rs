//! Components under the host directory mounted at `/home/ds/run`: one sub-directory per
//! component, with its source settings in `conf/`.
//!
//! Three layouts occur across OMS versions: 4.x writes `conf/source.json`; the console's
//! "Update" view is one JSON map with `coordinator`/`condition`/`source`/`sink` sections
//! (users save it as a file); before 4.0.1 the settings are INI/properties text. All three
//! become the same flat key → value map, each setting with the position of its key so a
//! finding can point at it. Secrets are dropped on reading, never stored.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::config_yaml::read_text;
use super::redact::{self, is_secret_key};
use super::Kind;
use crate::error::{Error, Result};
use crate::facts::{Component, SettingOrigin, SourceSetting, SourceSettings, Span};

/// Source keys whose object value is one setting (rules read them whole), not a group of
/// settings to flatten.
const WHOLE_KEYS: &[&str] = &["checkpoint", "clients"];

/// Files of the 4.x layout that hold other sections: never the console's map form.
const OTHER_SECTION_FILES: &[&str] = &["coordinator.json", "condition.json", "sink.json"];

const LEGACY_EXTENSIONS: &[&str] = &["conf", "properties", "ini"];

/// Every component under `dir`, in sorted directory order.
pub fn read_components(dir: &Path) -> Result<Vec<Component>> {
    match super::look(dir)? {
        Some(Kind::Dir) => {}
        None => {
            return Err(Error::unreadable(dir, "No such file or directory"));
        }
        Some(kind) => {
            return Err(Error::parse_no_pos(
                dir,
                format!(
                    "is {}, expected the directory mounted at /home/ds/run",
                    kind.describe()
                ),
            ))
        }
    }
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| super::unreadable(dir, &e))? {
        let entry = entry.map_err(|e| super::unreadable(dir, &e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        // Symbolic links are followed: a linked component directory is a component; one
        // that leads nowhere is a component that cannot be read (exit 3), not one less.
        let path = entry.path();
        if super::look(&path)? == Some(Kind::Dir) {
            dirs.push((name, path));
        }
    }
    dirs.sort();
    dirs.into_iter()
        .map(|(name, path)| read_component(name, path))
        .collect()
}

fn read_component(name: String, dir: PathBuf) -> Result<Component> {
    let (source_file, source) = match find_source(&dir.join("conf"))? {
        Some((file, settings)) => (Some(file), settings),
        None => (None, SourceSettings::new()),
    };
    Ok(Component {
        name,
        dir: Some(dir),
        source_file,
        source,
    })
}

pub use crate::facts::link::{host_ip_of as host_ip, project_id_of as project_id};

type Settings = SourceSettings;

fn find_source(conf: &Path) -> Result<Option<(PathBuf, Settings)>> {
    match super::look(conf)? {
        None => return Ok(None),
        Some(Kind::Dir) => {}
        Some(kind) => {
            return Err(Error::parse_no_pos(
                conf,
                format!(
                    "is {}, expected the component's conf directory",
                    kind.describe()
                ),
            ))
        }
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(conf).map_err(|e| super::unreadable(conf, &e))? {
        let entry = entry.map_err(|e| super::unreadable(conf, &e))?;
        let path = entry.path();
        if !is_candidate(&path) {
            continue;
        }
        // A file that may hold the source settings and cannot be read leaves them unknown.
        match super::look(&path)? {
            Some(Kind::File) => files.push(path),
            None => {}
            Some(kind) => {
                return Err(Error::parse_no_pos(
                    &path,
                    format!("is {}, expected a config file", kind.describe()),
                ))
            }
        }
    }
    files.sort();

    let source_json = conf.join("source.json");
    if files.contains(&source_json) {
        let text = read_text(&source_json)?;
        let settings = json_settings(&source_json, &text, false)?.unwrap_or_default();
        return Ok(Some((source_json, settings)));
    }

    for path in files.iter().filter(|p| has_extension(p, &["json"])) {
        let is_other_section = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| OTHER_SECTION_FILES.contains(&n));
        if is_other_section {
            continue;
        }
        let Some(text) = read_if_not_empty(path)? else {
            continue;
        };
        if let Some(settings) = json_settings(path, &text, true)? {
            return Ok(Some((path.clone(), settings)));
        }
    }

    for path in files.iter().filter(|p| has_extension(p, LEGACY_EXTENSIONS)) {
        let Some(text) = read_if_not_empty(path)? else {
            continue;
        };
        if let Some(settings) = ini_settings(path, &text) {
            return Ok(Some((path.clone(), settings)));
        }
    }
    Ok(None)
}

fn has_extension(path: &Path, exts: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| exts.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// A file in `conf/` that may hold the source settings (editor backups and hidden files
/// do not).
fn is_candidate(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'));
    !hidden && (has_extension(path, &["json"]) || has_extension(path, LEGACY_EXTENSIONS))
}

/// A candidate file that may or may not be a source config: empty means "not one". Its
/// text must be UTF-8 like any other config file.
fn read_if_not_empty(path: &Path) -> Result<Option<String>> {
    let text = super::config_yaml::read_utf8(path)?;
    Ok((!text.trim_start_matches('\u{feff}').trim().is_empty()).then_some(text))
}

fn span(path: &Path, (line, column): (u64, u64)) -> SettingOrigin {
    SettingOrigin::File(Box::new(Span {
        path: path.to_path_buf(),
        line,
        column,
    }))
}

/// Settings from a JSON file. With `require_section`, the file counts only if it has a
/// `source` section (the console's map form); without, the whole object is the source,
/// unless it wraps one as `{"source": {…}}`.
fn json_settings(path: &Path, text: &str, require_section: bool) -> Result<Option<Settings>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root: Value = serde_json::from_str(text).map_err(|e| json_error(path, text, &e))?;
    let Value::Object(root) = root else {
        if require_section {
            return Ok(None);
        }
        return Err(Error::parse(
            path,
            1,
            1,
            "expected a JSON object of source settings",
        ));
    };
    let positions = key_positions(text);
    let source_key = vec![Seg::Key("source".to_string())];
    let section = match root.get("source") {
        Some(Value::Object(m)) => Section {
            map: m.clone(),
            base: source_key,
            fallback: None,
        },
        // The console may hand the section over as a JSON string; its keys then have no
        // position of their own, so they point at the `source` key.
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(m)) => Section {
                map: m,
                fallback: positions.get(&source_key).copied(),
                base: source_key,
            },
            _ if require_section => return Ok(None),
            _ => Section::whole(root),
        },
        _ if require_section => return Ok(None),
        _ => Section::whole(root),
    };
    let Section {
        map: section,
        base,
        fallback,
    } = section;

    let at = |path_keys: &[&str]| -> (u64, u64) {
        if let Some(p) = fallback {
            return p;
        }
        let mut full = base.clone();
        full.extend(path_keys.iter().map(|k| Seg::Key((*k).to_string())));
        positions.get(&full).copied().unwrap_or((1, 1))
    };

    let mut settings = Settings::new();
    for (key, value) in &section {
        if is_secret_key(key) {
            continue;
        }
        match value {
            Value::Object(inner) if !WHOLE_KEYS.contains(&key.as_str()) && !inner.is_empty() => {
                for (sub, sub_value) in inner {
                    if is_secret_key(sub) {
                        continue;
                    }
                    settings.insert(
                        format!("{key}.{sub}"),
                        SourceSetting {
                            value: setting_text(sub_value).into(),
                            origin: span(path, at(&[key, sub])),
                        },
                    );
                }
            }
            _ => {
                settings.insert(
                    key.clone(),
                    SourceSetting {
                        value: setting_text(value).into(),
                        origin: span(path, at(&[key])),
                    },
                );
            }
        }
    }
    Ok(Some(settings))
}

/// The object that holds the source keys, and where its keys are in the file.
struct Section {
    map: Map<String, Value>,
    /// The path of `map` in the document, to look its keys' positions up.
    base: Vec<Seg>,
    /// Where every key points when the section has no positions of its own.
    fallback: Option<(u64, u64)>,
}

impl Section {
    fn whole(map: Map<String, Value>) -> Self {
        Section {
            map,
            base: Vec::new(),
            fallback: None,
        }
    }
}

/// Strings unquoted, anything else as compact JSON, with secrets inside removed: a
/// `clients` list may carry credentials, and a URL may carry a password.
fn setting_text(value: &Value) -> String {
    match value {
        Value::String(s) => redact::redact_line(s),
        other => serde_json::to_string(&scrubbed(other)).unwrap_or_default(),
    }
}

fn scrubbed(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(redact::redact_line(s)),
        Value::Array(items) => Value::Array(items.iter().map(scrubbed).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !is_secret_key(k))
                .map(|(k, v)| (k.clone(), scrubbed(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A serde_json error as a parse error of `path`, its message checked against the secret
/// values of `text` (serde_json rarely quotes input, but nothing guarantees it).
pub(super) fn json_error(path: &Path, text: &str, err: &serde_json::Error) -> Error {
    let full = err.to_string();
    // serde_json appends " at line L column C"; the position goes into the error instead.
    let bare = full
        .rfind(" at line ")
        .map_or(full.as_str(), |i| &full[..i]);
    let message = format!(
        "invalid JSON: {}",
        redact::scrub_message(bare, text, "syntax error")
    );
    let line = err.line() as u64;
    if line == 0 {
        return Error::parse_no_pos(path, message);
    }
    Error::parse(path, line, char_column(text, line, err.column()), message)
}

/// serde_json counts columns in bytes; editors count characters.
fn char_column(text: &str, line: u64, byte_column: usize) -> u64 {
    let Some(l) = usize::try_from(line)
        .ok()
        .and_then(|n| text.split('\n').nth(n.saturating_sub(1)))
    else {
        return byte_column as u64;
    };
    let mut end = byte_column.min(l.len());
    while end > 0 && !l.is_char_boundary(end) {
        end -= 1;
    }
    let chars = l[..end].chars().count() as u64;
    // A column past the last byte (error at end of line) stays past the last character.
    chars.max(1) + u64::from(byte_column > l.len())
}

/// One step of a path into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Seg {
    Key(String),
    Index(usize),
}

/// Keys deeper than this are never looked up, so they are not recorded.
const MAX_RECORDED_DEPTH: usize = 4;
/// serde_json refuses nesting beyond 128 levels; this guard only keeps the scanner's own
/// recursion bounded if it were ever called on unchecked text.
const MAX_SCAN_DEPTH: usize = 256;

/// 1-based line and column (in characters) of every object key, by its full path, so that
/// a key that also occurs inside a nested object is not mistaken for it. For a key that
/// occurs twice in one object the last occurrence wins, as it does for serde_json's value.
fn key_positions(text: &str) -> HashMap<Vec<Seg>, (u64, u64)> {
    let mut scan = Scanner {
        text,
        pos: 0,
        line: 1,
        column: 1,
        found: HashMap::new(),
    };
    let mut path = Vec::new();
    // On text serde_json accepted this cannot fail; on anything else, the keys found up
    // to the failure are still right.
    let _ = scan.value(&mut path, 0);
    scan.found
}

struct Scanner<'t> {
    text: &'t str,
    pos: usize,
    line: u64,
    column: u64,
    found: HashMap<Vec<Seg>, (u64, u64)>,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<char> {
        self.text.get(self.pos..)?.chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.bump();
        }
    }

    fn string(&mut self) -> Option<String> {
        let start = self.pos;
        if self.bump()? != '"' {
            return None;
        }
        loop {
            match self.bump()? {
                '\\' => {
                    self.bump()?;
                }
                '"' => break,
                _ => {}
            }
        }
        serde_json::from_str(self.text.get(start..self.pos)?).ok()
    }

    fn value(&mut self, path: &mut Vec<Seg>, depth: usize) -> Option<()> {
        if depth > MAX_SCAN_DEPTH {
            return None;
        }
        self.skip_ws();
        match self.peek()? {
            '{' => {
                self.bump();
                self.skip_ws();
                if self.peek()? == '}' {
                    self.bump();
                    return Some(());
                }
                loop {
                    self.skip_ws();
                    let at = (self.line, self.column);
                    let key = self.string()?;
                    self.skip_ws();
                    if self.bump()? != ':' {
                        return None;
                    }
                    path.push(Seg::Key(key));
                    if path.len() <= MAX_RECORDED_DEPTH {
                        self.found.insert(path.clone(), at);
                    }
                    let inner = self.value(path, depth + 1);
                    path.pop();
                    inner?;
                    self.skip_ws();
                    match self.bump()? {
                        ',' => continue,
                        '}' => return Some(()),
                        _ => return None,
                    }
                }
            }
            '[' => {
                self.bump();
                self.skip_ws();
                if self.peek()? == ']' {
                    self.bump();
                    return Some(());
                }
                let mut index = 0;
                loop {
                    path.push(Seg::Index(index));
                    let inner = self.value(path, depth + 1);
                    path.pop();
                    inner?;
                    index += 1;
                    self.skip_ws();
                    match self.bump()? {
                        ',' => continue,
                        ']' => return Some(()),
                        _ => return None,
                    }
                }
            }
            '"' => self.string().map(|_| ()),
            _ => {
                while let Some(c) = self.peek() {
                    if matches!(c, ',' | ']' | '}') || c.is_whitespace() {
                        break;
                    }
                    self.bump();
                }
                Some(())
            }
        }
    }
}

/// Settings from legacy INI/properties text: the keys of a `[source]` section, and
/// `source.`-prefixed keys anywhere. `None` when the file has no source key at all (a
/// JDBCWriter or coordinator config), so the next file can be tried.
fn ini_settings(path: &Path, text: &str) -> Option<Settings> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut settings = Settings::new();
    let mut saw_source_key = false;
    let mut section: Option<String> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            if let Some(end) = rest.find(']') {
                section = Some(rest[..end].trim().to_ascii_lowercase());
            }
            continue;
        }
        let Some(sep) = line.find(['=', ':']) else {
            continue;
        };
        let key = line[..sep].trim();
        let value = line[sep + 1..].trim();
        let name = match strip_prefix_ignore_case(key, "source.") {
            Some(rest) => rest,
            None if section.as_deref() == Some("source") => key,
            None => continue,
        };
        if name.is_empty() {
            continue;
        }
        saw_source_key = true;
        if is_secret_key(key) {
            continue;
        }
        let column = raw.chars().take_while(|c| c.is_whitespace()).count() as u64 + 1;
        settings.insert(
            name.to_string(),
            SourceSetting {
                value: redact::redact_line(unquote(value)).into(),
                origin: span(path, (index as u64 + 1, column)),
            },
        );
    }
    saw_source_key.then_some(settings)
}

fn strip_prefix_ignore_case<'k>(key: &'k str, prefix: &str) -> Option<&'k str> {
    let head = key.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &key[prefix.len()..])
}

fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "S3cr3t-x";
    const NAME: &str = "10.0.0.1-9000:connector_v2:p_4ctqmcbkvaps-incr_trans-1-0:0000000001";

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("omslint-components-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("tmp dir");
            TempDir(dir)
        }

        fn write(&self, rel: &str, text: &str) -> PathBuf {
            let path = self.0.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(&path, text).expect("write");
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn pos(c: &Component, key: &str) -> (u64, u64) {
        match &c
            .setting(key)
            .unwrap_or_else(|| panic!("{key} missing"))
            .origin
        {
            SettingOrigin::File(s) => (s.line, s.column),
            other => panic!("{other:?}"),
        }
    }

    fn value<'c>(c: &'c Component, key: &str) -> &'c str {
        &c.setting(key)
            .unwrap_or_else(|| panic!("{key} missing"))
            .value
    }

    const SOURCE_JSON: &str = r#"{
  "boosterClass": "com.oceanbase.oms.connector.source.store.StoreSourceBooster",
  "clients": [{"clientId": "c1", "subtopic": "t", "password": "S3cr3t-x",
               "clusterManagerUrl": "http://cm:S3cr3t-x@10.0.0.1:8088"}],
  "username": "u",
  "password": "S3cr3t-x",
  "dbType": "OB_MYSQL",
  "checkpoint": {"c1": 1700000000},
  "logproxy": {"address": "10.0.0.5:2983", "password": "S3cr3t-x", "dbType": "nested"},
  "ignoreDdl": true,
  "blackRegionNo": null,
  "maxRetries": 3
}
"#;

    #[test]
    fn names_give_project_and_host() {
        assert_eq!(project_id(NAME), Some("p_4ctqmcbkvaps"));
        assert_eq!(host_ip(NAME), Some("10.0.0.1"));
        assert_eq!(
            project_id("192.168.1.20:p_abc123:incr_trans"),
            Some("p_abc123")
        );
        assert_eq!(host_ip("192.168.1.20:p_abc123"), Some("192.168.1.20"));
        assert_eq!(project_id("10.0.0.1-9000:store:np_x:p_"), None);
        assert_eq!(host_ip("host-a:connector"), None);
        assert_eq!(host_ip("300.0.0.1-9000"), None);
        assert_eq!(project_id(""), None);
        assert_eq!(host_ip(""), None);
    }

    #[test]
    fn source_json_with_positions_and_no_secrets() {
        let tmp = TempDir::new("json");
        let file = tmp.write(&format!("{NAME}/conf/source.json"), SOURCE_JSON);
        tmp.write(&format!("{NAME}/conf/sink.json"), "{\"dbType\": \"X\"}");
        tmp.write(&format!("{NAME}/logs/x.log"), "not a config");
        let comps = read_components(&tmp.0).expect("reads");
        assert_eq!(comps.len(), 1);
        let c = &comps[0];
        assert_eq!(c.name, NAME);
        assert!(c.is_incr_sync());
        assert_eq!(c.project_id(), Some("p_4ctqmcbkvaps"));
        assert_eq!(c.host_ip(), Some("10.0.0.1"));
        assert_eq!(c.source_file.as_deref(), Some(file.as_path()));
        assert_eq!(value(c, "dbType"), "OB_MYSQL");
        // The nested `dbType` must not be mistaken for the top-level one.
        assert_eq!(pos(c, "dbType"), (7, 3));
        assert_eq!(pos(c, "boosterClass"), (2, 3));
        assert_eq!(value(c, "checkpoint"), r#"{"c1":1700000000}"#);
        assert_eq!(pos(c, "checkpoint"), (8, 3));
        assert_eq!(value(c, "logproxy.address"), "10.0.0.5:2983");
        assert_eq!(pos(c, "logproxy.address"), (9, 16));
        assert_eq!(value(c, "logproxy.dbType"), "nested");
        assert_eq!(pos(c, "logproxy.dbType"), (9, 68));
        assert_eq!(value(c, "ignoreDdl"), "true");
        assert_eq!(value(c, "blackRegionNo"), "null");
        assert_eq!(value(c, "maxRetries"), "3");
        assert!(c.setting("password").is_none());
        assert!(c.setting("logproxy.password").is_none());
        let clients = value(c, "clients");
        assert!(clients.contains("\"clientId\":\"c1\""), "{clients}");
        let debug = format!("{comps:?}");
        assert!(!debug.contains(SECRET), "{debug}");
    }

    #[test]
    fn wrapper_and_map_forms() {
        let tmp = TempDir::new("forms");
        tmp.write(
            "10.0.0.2-9000:connector_v2:p_a1-incr_trans-1-0:1/conf/source.json",
            "{\"source\": {\n  \"dbType\": \"MYSQL\"\n}}\n",
        );
        let map_file = tmp.write(
            "10.0.0.3-9000:connector_v2:p_b2-incr_trans-1-0:1/conf/task.json",
            "{\"coordinator\": {\"dbType\": \"WRONG\"},\n \"source\": {\"dbType\": \"ORACLE\", \"password\": \"S3cr3t-x\"},\n \"sink\": {}}",
        );
        tmp.write(
            "10.0.0.4-9000:connector_v2:p_c3-incr_trans-1-0:1/conf/console.json",
            "{\"source\": \"{\\\"dbType\\\": \\\"OB_ORACLE\\\"}\"}",
        );
        std::fs::create_dir_all(tmp.0.join("10.0.0.5-9000:store:p_d4:1")).expect("mkdir");
        let comps = read_components(&tmp.0).expect("reads");
        let names: Vec<_> = comps
            .iter()
            .map(|c| c.project_id().map(str::to_string))
            .collect();
        assert_eq!(
            names,
            vec![
                Some("p_a1".to_string()),
                Some("p_b2".to_string()),
                Some("p_c3".to_string()),
                Some("p_d4".to_string())
            ]
        );
        assert_eq!(value(&comps[0], "dbType"), "MYSQL");
        assert_eq!(pos(&comps[0], "dbType"), (2, 3));
        assert_eq!(value(&comps[1], "dbType"), "ORACLE");
        assert_eq!(pos(&comps[1], "dbType"), (2, 13));
        assert_eq!(comps[1].source_file.as_deref(), Some(map_file.as_path()));
        assert_eq!(value(&comps[2], "dbType"), "OB_ORACLE");
        assert_eq!(pos(&comps[2], "dbType"), (1, 2));
        assert!(comps[3].source.is_empty());
        assert!(comps[3].source_file.is_none());
        assert!(!format!("{comps:?}").contains(SECRET));
    }

    #[test]
    fn legacy_ini_and_properties() {
        let tmp = TempDir::new("ini");
        let ini = tmp.write(
            "10.0.0.1-9000:incr_trans:p_x1:1/conf/a_writer.conf",
            "[JDBCWriter]\nblack_region_no=0\nsrc_type=mysql\n",
        );
        let src = tmp.write(
            "10.0.0.1-9000:incr_trans:p_x1:1/conf/b_source.conf",
            "# legacy\n[JDBCWriter]\nsrc_type = mysql\n\n[Source]\n  dbType = OB_MYSQL\n; comment\npassword = S3cr3t-x\ncheckpoint: 1700000000\nignoreDdl=\"true\"\n",
        );
        let props = tmp.write(
            "10.0.0.2-9000:incr_trans:p_x2:1/conf/connector.properties",
            "source.boosterClass=com.x.LogProxySourceBooster\nsource.password=S3cr3t-x\nsink.dbType=X\n  source.logproxy.address = 1.2.3.4:2983\n",
        );
        let comps = read_components(&tmp.0).expect("reads");
        assert_eq!(comps.len(), 2);
        let (a, b) = (&comps[0], &comps[1]);
        assert_ne!(a.source_file.as_deref(), Some(ini.as_path()));
        assert_eq!(a.source_file.as_deref(), Some(src.as_path()));
        assert_eq!(value(a, "dbType"), "OB_MYSQL");
        assert_eq!(pos(a, "dbType"), (6, 3));
        assert_eq!(value(a, "checkpoint"), "1700000000");
        assert_eq!(value(a, "ignoreDdl"), "true");
        assert!(a.setting("src_type").is_none());
        assert!(a.setting("password").is_none());
        assert_eq!(b.source_file.as_deref(), Some(props.as_path()));
        assert_eq!(value(b, "boosterClass"), "com.x.LogProxySourceBooster");
        assert_eq!(pos(b, "logproxy.address"), (4, 3));
        assert!(b.setting("password").is_none());
        assert!(b.setting("dbType").is_none());
        assert!(!format!("{comps:?}").contains(SECRET));
    }

    #[test]
    fn malformed_json_is_a_parse_error_without_secret() {
        let tmp = TempDir::new("bad");
        tmp.write(
            &format!("{NAME}/conf/source.json"),
            "{\n  \"dbType\": \"OB_MYSQL\",\n  \"password\": S3cr3t-x\n}\n",
        );
        let err = read_components(&tmp.0).expect_err("malformed");
        assert_eq!(err.exit_code(), 2);
        let shown = err.to_string();
        assert!(!shown.contains(SECRET), "{shown}");
        match err {
            Error::Parse { pos: Some(p), .. } => assert_eq!(p.line, 3),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn json_that_is_not_an_object() {
        let tmp = TempDir::new("array");
        tmp.write(&format!("{NAME}/conf/source.json"), "[1, 2]");
        let err = read_components(&tmp.0).expect_err("array");
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains(":1:1:"), "{err}");
    }

    #[test]
    fn empty_source_json_and_bad_dirs() {
        let tmp = TempDir::new("empty");
        tmp.write(&format!("{NAME}/conf/source.json"), "");
        let err = read_components(&tmp.0).expect_err("empty");
        assert!(err.to_string().ends_with("empty file"), "{err}");

        let missing = tmp.0.join("nope");
        assert_eq!(
            read_components(&missing).expect_err("missing").exit_code(),
            3
        );
        let file = tmp.write("plain-file", "x");
        assert_eq!(read_components(&file).expect_err("file").exit_code(), 2);
    }

    #[test]
    fn never_panics_on_generated_text() {
        let path = Path::new("conf/source.json");
        for text in crate::sources::redact::tests::odd_texts(2000) {
            let _ = key_positions(&text);
            let _ = ini_settings(path, &text);
            if let Err(e) = json_settings(path, &text, false) {
                assert_eq!(e.exit_code(), 2);
            }
        }
    }

    #[test]
    fn scanner_handles_odd_text() {
        for text in [
            "",
            "{",
            "{\"a\"",
            "{\"a\":",
            "[1,",
            "\"x",
            "{\"a\": [1, {\"b\": 2}]}",
            "{\"é\": {\"ü\": 1}}",
        ] {
            let _ = key_positions(text);
        }
        let found = key_positions("{\"é\": {\"ü\": 1}}");
        assert_eq!(
            found.get(&vec![Seg::Key("é".into()), Seg::Key("ü".into())]),
            Some(&(1, 8))
        );
        let found = key_positions("{\"a\": 1, \"a\": 2}");
        assert_eq!(found.get(&vec![Seg::Key("a".into())]), Some(&(1, 10)));
        assert_eq!(char_column("{\"é\": x}", 1, 7), 6);
    }
}
