//! Masking of secrets in text that may reach a report, a terminal or an error message.
//!
//! Inputs are config files written by hand, so the masking is deliberately greedy: it is
//! better to hide a harmless value than to print one password. It works on lines, without
//! parsing, because it must also work on files that do not parse.

use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

/// What a masked value is replaced with: a valid plain YAML scalar (unlike `****`, which
/// YAML reads as an alias), so a redacted file still parses.
pub const MASK: &str = "<redacted>";

/// Key segments that name a secret wherever they end a key (`drc_password`, `metaPassword`,
/// `client_secret`, `OMS_META_PASSWORD`).
const SECRET_SUFFIXES: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "access_key",
    "accesskey",
    "secret_key",
    "secretkey",
    "api_key",
    "apikey",
    "private_key",
    "privatekey",
    "credential",
    "credentials",
    "authorization",
];

/// Fragments that make a key secret wherever they occur (`password_encrypted`,
/// `secretAccessKey`, `tsdb_pass`, `oms_meta_pwd`), misspellings included (`pasword`,
/// `paswd`, `pswd`): over-masking costs nothing, a missed password costs a lot.
const SECRET_FRAGMENTS: &[&str] = &[
    "pass",
    "pasw",
    "psw",
    "pwd",
    "secret",
    "token",
    "credential",
];

/// Words a key's part may be a typo of (`passowrd`, `secert`, `tokne`, `credentail`):
/// within one edit for short words, two for long ones.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "credential",
    "credentials",
];

/// Whether a key names a secret: `password`, `passwd`, `pwd`, `secret`, `token`,
/// `credential`, `access_key`, `*_password`, `tsdb_password`, `oms_meta_password`, … in any
/// case, with `-` or `_`, camelCase, quoted, or as any segment of a dotted key
/// (`source.password`); and by its look, misspelt (`oms_meta_pasword`, `passwrd`,
/// `secert_key`) or shortened (`tsdb_pass`, `db_pwd`), not only by the known names.
pub fn is_secret_key(key: &str) -> bool {
    let key = key
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .trim()
        .trim_start_matches('-');
    words(key).any(|w| SECRET_WORDS.iter().any(|s| is_typo_of(&w, s)))
        || key
            .to_ascii_lowercase()
            .replace('-', "_")
            .split(['.', '/', ' '])
            .any(segment_is_secret)
}

fn segment_is_secret(segment: &str) -> bool {
    let s = segment.trim_matches('_');
    !s.is_empty()
        && (SECRET_SUFFIXES.iter().any(|suf| s.ends_with(suf))
            || SECRET_FRAGMENTS.iter().any(|frag| s.contains(frag)))
}

/// The words of a key, lower case: split at anything but letters and at camelCase humps
/// (`metaPasword2` → `meta`, `pasword`).
fn words(key: &str) -> impl Iterator<Item = String> + '_ {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_alphabetic() {
            out.push(std::mem::take(&mut word));
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            out.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_lowercase();
        word.extend(c.to_lowercase());
    }
    out.push(word);
    out.into_iter().filter(|w| !w.is_empty())
}

/// Whether `word` is `target` or a typo of it: at most one edit (a letter added, dropped,
/// changed, or two swapped) for words up to six letters, two for longer ones.
fn is_typo_of(word: &str, target: &str) -> bool {
    let allowed = if target.len() > 6 { 2 } else { 1 };
    word.len().abs_diff(target.len()) <= allowed && edit_distance(word, target) <= allowed
}

/// Optimal string alignment distance (Levenshtein plus adjacent swaps), on bytes: the
/// targets are ASCII, and a non-ASCII word is never close to them anyway.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

/// One line with the value of every secret `key: value`, `key=value` and `"key": "value"`
/// masked, and every password of a URL (`scheme://user:pw@host`, `user:pw@host`).
pub fn redact_line(line: &str) -> String {
    let (body, eol) = split_eol(line);
    let mut out = mask_line(body).text;
    out.push_str(eol);
    out
}

/// Every line of a text through [`redact_line`], line endings kept, plus the lines that
/// continue a secret's value (a YAML block scalar `password: |`, a nested mapping under
/// `password:`, a quoted value spanning lines): those are masked whole.
pub fn redact_text(text: &str) -> String {
    redact_collect(text).0
}

/// The original text of every value that [`redact_text`] masks, so that a message built
/// from a parser's error can be checked for them before it is shown.
pub fn secret_values(text: &str) -> Vec<String> {
    let mut values = redact_collect(text).1;
    values.retain(|v| !v.is_empty() && v != MASK);
    values.sort();
    values.dedup();
    values
}

/// The redacted text and the original values that were masked in it.
fn redact_collect(text: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut values = Vec::new();
    let mut cont: Option<usize> = None;
    for raw in text.split_inclusive('\n') {
        let (body, eol) = split_eol(raw);
        if body.trim().is_empty() {
            out.push_str(raw);
            continue;
        }
        if let Some(indent) = cont {
            if continues_value(body, indent) {
                let lead = body.len() - body.trim_start().len();
                out.push_str(&body[..lead]);
                out.push_str(MASK);
                out.push_str(eol);
                values.push(body.trim().to_string());
                continue;
            }
        }
        let masked = mask_line(body);
        values.extend(
            masked
                .ranges
                .iter()
                .filter_map(|r| body.get(r.clone()))
                .map(|v| v.trim().trim_matches(|c| c == '"' || c == '\'').to_string()),
        );
        for re in [url_re(), bare_userinfo_re()] {
            values.extend(
                re.captures_iter(body)
                    .filter_map(|c| c.get(3))
                    .map(|m| m.as_str().to_string()),
            );
        }
        cont = masked.continues_below;
        out.push_str(&masked.text);
        out.push_str(eol);
    }
    (out, values)
}

/// A message that may quote its input (a parser's error), made safe to show: masked like
/// any line, and replaced by `fallback` if it still contains any secret value of `source`.
pub fn scrub_message(message: &str, source: &str, fallback: &str) -> String {
    let masked: String = redact_text(message)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if secret_values(source)
        .iter()
        .any(|secret| masked.contains(secret.as_str()))
    {
        fallback.to_string()
    } else {
        masked
    }
}

/// Only URL passwords masked: for values that are stored and may be printed by rules
/// (`tsdb_url: http://u:pw@h`), where the key itself is not secret.
pub fn mask_url_passwords(value: &str) -> String {
    let once = url_re().replace_all(value, |c: &regex::Captures<'_>| {
        format!("{}{}:{MASK}@", &c[1], &c[2])
    });
    bare_userinfo_re()
        .replace_all(&once, |c: &regex::Captures<'_>| {
            format!("{}{}:{MASK}@{}", &c[1], &c[2], &c[4])
        })
        .into_owned()
}

/// A line below a secret key belongs to its value when it is indented deeper than the key
/// (YAML continuation lines, block scalars, nested mappings); blank lines never end it.
fn continues_value(body: &str, key_indent: usize) -> bool {
    let indent = body.chars().take_while(|c| *c == ' ' || *c == '\t').count();
    indent > key_indent
}

fn split_eol(line: &str) -> (&str, &str) {
    let body_len = line.trim_end_matches(['\n', '\r']).len();
    line.split_at(body_len)
}

struct Masked {
    text: String,
    /// Byte ranges of the original line that were masked.
    ranges: Vec<Range<usize>>,
    /// The column (0-based, in chars) of a secret key whose value may go on below.
    continues_below: Option<usize>,
}

fn key_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#""((?:[^"\\]|\\.)*)"[ \t]*([:=])|'([^']*)'[ \t]*([:=])|([A-Za-z0-9_.$\-]+)[ \t]*([:=])"#)
            .expect("constant regex")
    })
}

fn url_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"(?i)([a-z][a-z0-9+.\-]*://)([^\s:/@"'<>]*):([^\s"'<>]+)@"#)
            .expect("constant regex")
    })
}

/// `user:pw@host` without a scheme (OceanBase style `root@sys#cluster:pw@10.0.0.1`); the
/// password must not start with `/`, so `mysql://…` is left to [`url_re`].
fn bare_userinfo_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"(^|[\s"'=,(\[{])([^\s:/"'=,(\[{]+):([^\s"'/][^\s"']*)@([^\s@"'/]+)"#)
            .expect("constant regex")
    })
}

fn mask_line(line: &str) -> Masked {
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let mut continues_below = None;
    let mut pos = 0;
    while pos < line.len() {
        let Some(caps) = key_re().captures_at(line, pos) else {
            break;
        };
        let Some(whole) = caps.get(0) else { break };
        let key = caps
            .get(1)
            .or_else(|| caps.get(3))
            .or_else(|| caps.get(5))
            .map_or("", |m| m.as_str());
        let sep = caps
            .get(2)
            .or_else(|| caps.get(4))
            .or_else(|| caps.get(6))
            .map_or("", |m| m.as_str());
        if !is_secret_key(key) {
            pos = whole.end();
            continue;
        }
        let ctx = context_before(line, whole.start());
        let (range, to_eol) = value_range(line, whole.end(), &ctx);
        if to_eol && sep == ":" && !ctx.in_string {
            continues_below = Some(line[..whole.start()].chars().count());
        }
        pos = range.end.max(whole.end());
        if !range.is_empty() {
            ranges.push(range);
        }
    }
    let mut text = String::with_capacity(line.len());
    let mut last = 0;
    for r in &ranges {
        text.push_str(&line[last..r.start]);
        text.push_str(MASK);
        last = r.end;
    }
    text.push_str(&line[last..]);
    Masked {
        text: mask_url_passwords(&text),
        ranges,
        continues_below,
    }
}

struct Context {
    /// Inside a `"…"` string: an unquoted value ends at its closing quote
    /// (`"OMS_META_PASSWORD=x"` in a JSON list of environment variables).
    in_string: bool,
    /// Inside `{…}` or `[…]`: an unquoted value ends at `,`, `}` or `]`.
    in_flow: bool,
}

fn context_before(line: &str, end: usize) -> Context {
    let mut in_string = false;
    let mut escaped = false;
    let mut depth = 0usize;
    for c in line[..end].chars() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => depth += 1,
            '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Context {
        in_string,
        in_flow: depth > 0,
    }
}

/// The byte range of the value that starts at `start` (after the separator), and whether
/// it runs to the end of the line (so it may continue on the next lines).
fn value_range(line: &str, start: usize, ctx: &Context) -> (Range<usize>, bool) {
    let rest = &line[start..];
    let lead = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let vstart = start + lead;
    let value = &line[vstart..];
    let Some(first) = value.chars().next() else {
        return (vstart..vstart, true);
    };
    if ctx.in_string {
        let end = find_unescaped(value, '"').map_or(line.len(), |i| vstart + i);
        return (vstart..end, end == line.len());
    }
    match first {
        '"' => match find_unescaped(&value[1..], '"') {
            Some(i) => (vstart + 1..vstart + 1 + i, false),
            None => (vstart + 1..line.len(), true),
        },
        '\'' => match find_single_quote_end(&value[1..]) {
            Some(i) => (vstart + 1..vstart + 1 + i, false),
            None => (vstart + 1..line.len(), true),
        },
        '{' | '[' => match matching_bracket(value) {
            Some(i) => (vstart..vstart + i + 1, false),
            None => (vstart..line.len(), true),
        },
        _ if ctx.in_flow => {
            let end = value
                .find([',', '}', ']'])
                .map_or(line.len(), |i| vstart + i);
            let trimmed = line[vstart..end].trim_end().len();
            (vstart..vstart + trimmed, end == line.len())
        }
        _ => (vstart..line.len(), true),
    }
}

fn find_unescaped(s: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            _ if c == quote => return Some(i),
            _ => {}
        }
    }
    None
}

/// YAML single quotes escape a quote by doubling it.
fn find_single_quote_end(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
}

fn matching_bracket(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn secret_keys() {
        for k in [
            "password",
            "PASSWORD",
            "passwd",
            "pwd",
            "secret",
            "token",
            "access_key",
            "AccessKey",
            "tsdb_password",
            "oms_meta_password",
            "drc_password",
            "OMS_META_PASSWORD",
            "metaPassword",
            "source.password",
            "\"password\"",
            "'drc_password'",
            "--password",
            "client-secret",
            "secret_key",
            "auth_token",
            // By their look: misspelt, shortened, or any key with pass/pwd/secret/token/
            // credential in it.
            "oms_meta_pasword",
            "oms_meta_passwrd",
            "oms_meta_passowrd",
            "OMS_META_PASWORD",
            "metaPasword",
            "passwd",
            "paswd",
            "pswd",
            "tsdb_pass",
            "tsdbPass",
            "db_pwd",
            "secret_key",
            "secert_key",
            "access_token",
            "accessTokne",
            "credentail",
            "aws_credentials_file",
            "source.pasword",
            "PassPhrase",
        ] {
            assert!(is_secret_key(k), "{k} should be secret");
        }
        for k in [
            "oms_meta_user",
            "oms_meta_host",
            "username",
            "dbType",
            "checkpoint",
            "boosterClass",
            "cm_url",
            "tsdb_username",
            "logproxy.address",
            "cm_nodes",
            "cm_location",
            "cm_region",
            "cm_region_cn",
            "cm_is_default",
            "drc_rm_db",
            "drc_cm_db",
            "drc_cm_heartbeat_db",
            "oms_meta_port",
            "tsdb_service",
            "tsdb_enabled",
            "tsdb_url",
            "ignoreDdl",
            "blackRegionNo",
            "clients",
            "clientId",
            "subtopic",
            "clusterManagerUrl",
            "db_type",
            "src_type",
            "secure",
            "select",
            "topic",
            "",
        ] {
            assert!(!is_secret_key(k), "{k} should not be secret");
        }
    }

    #[test]
    fn typos_by_edit_distance() {
        assert_eq!(edit_distance("password", "password"), 0);
        assert_eq!(edit_distance("pasword", "password"), 1);
        assert_eq!(edit_distance("passowrd", "password"), 1);
        assert_eq!(edit_distance("secure", "secret"), 2);
        assert!(is_typo_of("secert", "secret"));
        assert!(!is_typo_of("secure", "secret"));
        assert!(!is_typo_of("session", "secret"));
        assert!(is_typo_of("credentail", "credential"));
        let w: Vec<String> = words("metaPasword2_x-Y").collect();
        assert_eq!(w, ["meta", "pasword", "x", "y"]);
    }

    #[test]
    fn misspelt_secret_keys_are_masked_in_lines() {
        for (line, want) in [
            ("oms_meta_pasword: S3cr3t-x", "oms_meta_pasword: <redacted>"),
            ("passwd: S3cr3t-x", "passwd: <redacted>"),
            ("tsdb_pass: 'S3cr3t-x'", "tsdb_pass: '<redacted>'"),
            ("secret_key=S3cr3t-x", "secret_key=<redacted>"),
            (
                r#"  "access_token": "S3cr3t-x","#,
                r#"  "access_token": "<redacted>","#,
            ),
            (
                "source.credential = S3cr3t-x",
                "source.credential = <redacted>",
            ),
        ] {
            assert_eq!(redact_line(line), want);
        }
    }

    #[test]
    fn yaml_lines() {
        assert_eq!(
            redact_line("oms_meta_password: S3cr3t-x"),
            "oms_meta_password: <redacted>"
        );
        assert_eq!(
            redact_line("  tsdb_password: 'a''b' # c"),
            "  tsdb_password: '<redacted>' # c"
        );
        assert_eq!(
            redact_line("- drc_password: \"x y\""),
            "- drc_password: \"<redacted>\""
        );
        assert_eq!(redact_line("oms_meta_user: root"), "oms_meta_user: root");
        assert_eq!(redact_line("oms_meta_password:"), "oms_meta_password:");
        assert_eq!(
            redact_line("oms_meta_password: p#1 # x\r\n"),
            "oms_meta_password: <redacted>\r\n"
        );
    }

    #[test]
    fn ini_and_env_lines() {
        assert_eq!(redact_line("password=abc=def"), "password=<redacted>");
        assert_eq!(
            redact_line("source.password = abc"),
            "source.password = <redacted>"
        );
        assert_eq!(
            redact_line("export OMS_META_PASSWORD=\"x\""),
            "export OMS_META_PASSWORD=\"<redacted>\""
        );
    }

    #[test]
    fn json_lines() {
        assert_eq!(
            redact_line(r#"{"username":"u","password":"p,w","dbType":"OB_MYSQL"}"#),
            r#"{"username":"u","password":"<redacted>","dbType":"OB_MYSQL"}"#
        );
        assert_eq!(
            redact_line(r#"  "Env": ["OMS_META_PASSWORD=abc", "X=1"],"#),
            r#"  "Env": ["OMS_META_PASSWORD=<redacted>", "X=1"],"#
        );
        assert_eq!(
            redact_line(r#"{"token": 12345, "a": 1}"#),
            r#"{"token": <redacted>, "a": 1}"#
        );
        assert_eq!(
            redact_line(r#"{"secret": {"a": "b", "c": [1]}, "d": 2}"#),
            r#"{"secret": <redacted>, "d": 2}"#
        );
        assert_eq!(
            redact_line(r#""password": "a\"b", "x": 1"#),
            r#""password": "<redacted>", "x": 1"#
        );
    }

    #[test]
    fn url_passwords() {
        assert_eq!(
            redact_line("tsdb_url: http://admin:pa@ss@10.0.0.1:8086/db"),
            "tsdb_url: http://admin:<redacted>@10.0.0.1:8086/db"
        );
        assert_eq!(
            redact_line("url: root@sys#obcluster:S3cr3t@10.0.0.1:2883"),
            "url: root@sys#obcluster:<redacted>@10.0.0.1:2883"
        );
        assert_eq!(
            redact_line("cm_url: http://10.0.0.2:8088"),
            "cm_url: http://10.0.0.2:8088"
        );
        assert_eq!(
            mask_url_passwords("mysql://u:p@h:3306"),
            "mysql://u:<redacted>@h:3306"
        );
        assert_eq!(mask_url_passwords("user@example.com"), "user@example.com");
    }

    #[test]
    fn text_with_continuations() {
        let text =
            "a: 1\noms_meta_password: |\n  line-one\n  line-two\nb: 2\npassword:\n  - x\nc: 3\n";
        let red = redact_text(text);
        assert_eq!(
            red,
            "a: 1\noms_meta_password: <redacted>\n  <redacted>\n  <redacted>\nb: 2\npassword:\n  <redacted>\nc: 3\n"
        );
        assert!(!red.contains("line-one"));
        let no_final_newline = "x: 1\ndrc_password: y";
        assert_eq!(
            redact_text(no_final_newline),
            "x: 1\ndrc_password: <redacted>"
        );
        assert_eq!(redact_text(""), "");
    }

    #[test]
    fn secret_values_and_scrub() {
        let src = "a: 1\noms_meta_password: 'S3cr3t-x'\ntsdb_password: |\n  other-one\n";
        let values = secret_values(src);
        assert!(values.contains(&"S3cr3t-x".to_string()));
        assert!(values.contains(&"other-one".to_string()));
        let msg = scrub_message("unexpected `S3cr3t-x`", src, "invalid YAML");
        assert_eq!(msg, "invalid YAML");
        let msg = scrub_message("mapping values are not allowed", src, "invalid YAML");
        assert_eq!(msg, "mapping values are not allowed");
    }

    /// Deterministic pseudo-random lines from characters that matter to the masking.
    pub(crate) fn odd_texts(count: usize) -> Vec<String> {
        const ALPHABET: &[&str] = &[
            "password", "url", ":", "=", " ", "\"", "'", "{", "}", "[", "]", ",", "@", "/", "\\",
            "\n", "\r\n", "\t", "- ", "#", "é", "p_x", "-", "1", "|", "&a", "*a", "!!", "\u{feff}",
            "?", "10.0.0.1",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        (0..count)
            .map(|_| {
                let mut text = String::new();
                for _ in 0..24 {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    let pick = usize::try_from(state >> 33).unwrap_or(0) % ALPHABET.len();
                    text.push_str(ALPHABET[pick]);
                }
                text
            })
            .collect()
    }

    #[test]
    fn never_panics_on_generated_text() {
        for text in odd_texts(2000) {
            let red = redact_text(&text);
            assert_eq!(red.lines().count(), text.lines().count(), "{text:?}");
            let _ = secret_values(&text);
            let _ = redact_line(&text);
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        for line in [
            "\"",
            "'",
            "password: \"",
            "password: '",
            "password: {",
            "password=[\"a\\",
            "é password: ü",
            "::::====",
            "\"password\"",
            "a:b@",
            "password: 'a''",
        ] {
            let out = redact_line(line);
            assert!(!out.is_empty() || line.is_empty());
        }
    }
}
