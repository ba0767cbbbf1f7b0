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

/// Evidence values, kept sorted by key so reports are stable. A sorted vector: a report
/// may carry tens of thousands of findings, each with two or three entries, where a
/// B-tree would allocate a node for eleven. Keys are nearly always literals, borrowed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence(Vec<(Cow<'static, str>, serde_json::Value)>);

impl Evidence {
    pub fn insert(&mut self, key: Cow<'static, str>, value: serde_json::Value) {
        match self.0.binary_search_by(|(k, _)| k.as_ref().cmp(&key)) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => {
                // Exact: a finding has two or three entries, and a doubling vector would
                // hold room for four in each of tens of thousands of findings.
                self.0.reserve_exact(1);
                self.0.insert(i, (key, value));
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.0
            .binary_search_by(|(k, _)| k.as_ref().cmp(key))
            .ok()
            .map(|i| &self.0[i].1)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &serde_json::Value)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
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

/// Hops sort by version, not by text ("3.2.1 → 4.2.3" after "2.1.0 → 3.2.1").
fn hop_order(
    h: &HopRef,
) -> (
    Option<crate::version::Version>,
    Option<crate::version::Version>,
) {
    (h.from.parse().ok(), h.to.parse().ok())
}
