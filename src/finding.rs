//! A finding: what a rule reports about one subject, with its evidence and fix.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Notice,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Notice => "notice",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "notice" => Some(Severity::Notice),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Subject {
    /// project | sync-project | component | region | database | deployment
    pub kind: &'static str,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
}

impl Subject {
    pub fn new(kind: &'static str, id: impl Into<String>) -> Self {
        Subject {
            kind,
            id: id.into(),
            name: None,
            project_id: None,
        }
    }

    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn with_project(mut self, project_id: Option<String>) -> Self {
        self.project_id = project_id;
        self
    }

    pub fn deployment() -> Self {
        Subject::new("deployment", "deployment")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub path: String,
    pub line: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub column: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl From<crate::facts::Span> for Location {
    fn from(s: crate::facts::Span) -> Self {
        Location {
            path: s.path.display().to_string(),
            line: s.line,
            column: s.column,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixKind {
    Sql,
    ConfigPatch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    Safe,
    Unsafe,
    DisplayOnly,
}

impl FixKind {
    /// The name SPEC §4 gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            FixKind::Sql => "sql",
            FixKind::ConfigPatch => "config-patch",
        }
    }
}

impl Applicability {
    /// The name SPEC §4 gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Fix {
    pub kind: FixKind,
    pub applicability: Applicability,
    pub description: String,
    /// The database the SQL runs in: applying needs it; the report does not carry it
    /// (SPEC §4), the SQL names its tables with their database.
    #[serde(skip)]
    pub database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_sql: Option<String>,
    /// A unified diff against the config file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    /// How `--fix` applies it; `None` for fixes that are shown, never applied.
    #[serde(skip)]
    pub apply: Option<Apply>,
}

/// How a fix is applied.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Apply {
    /// `sql` is one statement guarded by the values it was computed from: it must change
    /// exactly one row, else the MetaDB changed since the scan.
    GuardedSql,
    /// Booleans set in a JSON value of one row (`ha.config`): fixes of the same row are
    /// merged into one guarded statement.
    JsonRow(JsonRowEdit),
    /// One line of a config file replaced.
    LineEdit(LineEdit),
}

/// One line of a file replaced: the old line is the guard that the file has not changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineEdit {
    pub path: PathBuf,
    /// 1-based.
    pub line: u64,
    /// Without the line ending.
    pub old: String,
    pub new: String,
}

/// A guarded UPDATE of one JSON column of one row: `set` applied to `old`, the text
/// edited in place so the rest of the JSON stays as the console wrote it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct JsonRowEdit {
    pub database: Option<String>,
    pub table: String,
    pub id_column: String,
    pub id: String,
    pub name_column: String,
    pub name: String,
    pub value_column: String,
    pub old: String,
    pub set: Vec<(String, bool)>,
}

impl JsonRowEdit {
    /// The row this edits, to merge edits of the same row.
    pub fn row_key(&self) -> (Option<&str>, &str, &str) {
        (
            self.database.as_deref(),
            self.table.as_str(),
            self.id.as_str(),
        )
    }

    /// The new JSON text.
    pub fn new_value(&self) -> Option<String> {
        let mut v = self.old.clone();
        for (key, value) in &self.set {
            v = crate::json_text::set_bool(&v, key, *value)?;
        }
        Some(v)
    }

    /// (the fix statement, its rollback), each guarded by the whole value it replaces.
    pub fn statements(&self) -> Option<(String, String)> {
        use crate::escape::sql;
        let new = self.new_value()?;
        let t = sql::table(self.database.as_deref(), &self.table);
        let update = |to: &str, from: &str| {
            format!(
                "UPDATE {t} SET {v} = {} WHERE {} = {} AND {} = {} AND {v} = BINARY {};",
                sql::literal(to),
                sql::ident(&self.id_column),
                sql::literal(&self.id),
                sql::ident(&self.name_column),
                sql::literal(&self.name),
                sql::literal(from),
                v = sql::ident(&self.value_column),
            )
        };
        Some((update(&new, &self.old), update(&self.old, &new)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Suppression {
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

/// Evidence values, kept sorted by key so reports are stable, as the text of one compact
/// JSON object. A report may carry tens of thousands of findings with two or three
/// entries each: as a vector of keys and `serde_json::Value`s one finding's evidence took
/// four allocations and about 190 bytes, as text it takes one of about 50. It is decoded
/// only to be reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence(Option<Box<str>>);

impl Evidence {
    /// The entries, in key order.
    fn entries(&self) -> Vec<(String, serde_json::Value)> {
        let Some(text) = &self.0 else {
            return Vec::new();
        };
        // The text is only ever written by `insert`, from a map that serialized.
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).unwrap_or_default();
        map.into_iter().collect()
    }

    pub fn insert(&mut self, key: Cow<'static, str>, value: serde_json::Value) {
        let mut entries = self.entries();
        match entries.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
            Ok(i) => entries[i].1 = value,
            Err(i) => entries.insert(i, (key.into_owned(), value)),
        }
        let map: serde_json::Map<String, serde_json::Value> = entries.into_iter().collect();
        self.0 = serde_json::to_string(&map).ok().map(String::into_boxed_str);
    }

    /// Evidence of these entries, encoded once (each `insert` decodes and encodes it all
    /// again); a key given twice keeps its last value.
    pub fn of<K: Into<String>>(entries: impl IntoIterator<Item = (K, serde_json::Value)>) -> Self {
        let mut entries: Vec<(String, serde_json::Value)> =
            entries.into_iter().map(|(k, v)| (k.into(), v)).collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut map = serde_json::Map::new();
        for (k, v) in entries {
            map.insert(k, v);
        }
        if map.is_empty() {
            return Evidence(None);
        }
        Evidence(serde_json::to_string(&map).ok().map(String::into_boxed_str))
    }

    pub fn get(&self, key: &str) -> Option<serde_json::Value> {
        let mut entries = self.entries();
        let i = entries
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()?;
        Some(entries.swap_remove(i).1)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The entries, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (String, serde_json::Value)> {
        self.entries().into_iter()
    }
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let entries = self.entries();
        let mut map = serializer.serialize_map(Some(entries.len()))?;
        for (k, v) in &entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub subject: Subject,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(skip_serializing_if = "Evidence::is_empty")]
    pub evidence: Evidence,
    /// Boxed, like `suppressed`: a large MetaDB yields tens of thousands of findings and
    /// most have neither, so inline they would more than double every finding's size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Box<Fix>>,
    /// The hop of a path with several hops this finding belongs to (SPEC §4); `None` on a
    /// one-hop path, and for a verdict that holds for every hop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hop: Option<Box<HopRef>>,
    pub suppressed: Option<Box<Suppression>>,
}

/// A hop of the upgrade path, as reports name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct HopRef {
    pub from: String,
    pub to: String,
}

impl fmt::Display for HopRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} → {}", self.from, self.to)
    }
}

impl Finding {
    /// The order every report uses: by code, then subject, then location and message,
    /// then hop (the hops of one path sort in path order, their versions ascending).
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            self.code,
            &self.subject,
            &self.location,
            &self.message,
            self.hop.as_deref().map(hop_order),
        )
    }
}

/// Sorts findings into report order ([`Finding::sort_key`], stable) without the scratch
/// copy a stable sort of the findings themselves takes (half of them, ~8 MB at 70,000
/// findings): their places are sorted, then the findings moved along the permutation's
/// cycles.
pub fn sort_findings(findings: &mut [Finding]) {
    let Ok(n) = u32::try_from(findings.len()) else {
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        return;
    };
    let mut order: Vec<u32> = (0..n).collect();
    order.sort_by(|&a, &b| {
        findings[a as usize]
            .sort_key()
            .cmp(&findings[b as usize].sort_key())
    });
    permute(findings, &mut order);
}

/// Rearranges `v` so that `v[i]` becomes the old `v[order[i]]`; `order` is used up.
fn permute<T>(v: &mut [T], order: &mut [u32]) {
    const DONE: u32 = u32::MAX;
    for i in 0..v.len() {
        let mut j = i;
        while order[j] != DONE {
            let k = order[j] as usize;
            order[j] = DONE;
            if k == i {
                break;
            }
            v.swap(j, k);
            j = k;
        }
    }
}

/// Hops sort by version, not by text ("3.2.1 → 4.2.3" after "2.1.0 → 3.2.1").
fn hop_order(
    h: &HopRef,
) -> (
    Option<crate::version::Version>,
    Option<crate::version::Version>,
) {
    (h.from.parse().ok(), h.to.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::permute;

    /// Kept as text, evidence still reads as a map sorted by key: a key set twice keeps
    /// its last value, nested values keep their order, and equal entries make equal
    /// evidence whatever order they were inserted in.
    #[test]
    fn evidence_is_a_sorted_map() {
        use super::Evidence;
        use serde_json::json;
        let mut e = Evidence::default();
        assert!(e.is_empty());
        assert_eq!(serde_json::to_string(&e).unwrap(), "{}");
        e.insert("table".into(), json!("oms_project"));
        e.insert("status".into(), json!("FAILED"));
        e.insert("nested".into(), json!({"z": 1, "a": [1.5, null, "x"]}));
        e.insert("status".into(), json!("SUSPEND"));
        assert!(!e.is_empty());
        let at_once = Evidence::of([
            ("status", json!("FAILED")),
            ("table", json!("oms_project")),
            ("nested", json!({"z": 1, "a": [1.5, null, "x"]})),
            ("status", json!("SUSPEND")),
        ]);
        assert_eq!(at_once, e, "of() is insert() in one step");
        assert!(Evidence::of(Vec::<(String, serde_json::Value)>::new()).is_empty());
        let keys: Vec<String> = e.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["nested", "status", "table"]);
        assert_eq!(e.get("status"), Some(json!("SUSPEND")));
        assert_eq!(e.get("absent"), None);
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"nested":{"z":1,"a":[1.5,null,"x"]},"status":"SUSPEND","table":"oms_project"}"#
        );
        let mut f = Evidence::default();
        f.insert("status".into(), json!("SUSPEND"));
        f.insert("nested".into(), json!({"z": 1, "a": [1.5, null, "x"]}));
        assert_ne!(e, f);
        f.insert("table".into(), json!("oms_project"));
        assert_eq!(e, f);
    }

    /// Every permutation of six places (cycles of every length and mix).
    #[test]
    fn permute_follows_every_cycle() {
        fn all(prefix: &mut Vec<u32>, left: &mut Vec<u32>, out: &mut Vec<Vec<u32>>) {
            if left.is_empty() {
                out.push(prefix.clone());
            }
            for k in 0..left.len() {
                let x = left.remove(k);
                prefix.push(x);
                all(prefix, left, out);
                prefix.pop();
                left.insert(k, x);
            }
        }
        let mut orders = Vec::new();
        all(&mut Vec::new(), &mut (0..6).collect(), &mut orders);
        assert_eq!(orders.len(), 720);
        let v: Vec<char> = "abcdef".chars().collect();
        for order in orders {
            let want: Vec<char> = order.iter().map(|&i| v[i as usize]).collect();
            let mut got = v.clone();
            permute(&mut got, &mut order.clone());
            assert_eq!(got, want, "order {order:?}");
        }
        let mut empty: Vec<char> = Vec::new();
        permute(&mut empty, &mut []);
        assert!(empty.is_empty());
    }
}
