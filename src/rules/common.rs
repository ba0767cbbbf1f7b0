//! Pieces several rules share: reaching the MetaDB facts, `ha.config`, and the Incr-Sync
//! components that OMS005 and OMS006 both judge.

use super::{Context, Outcome};
use crate::facts::{Component, DbRole, Project, ProjectFacts};
use crate::finding::{Applicability, Fix, FixKind, JsonRowEdit, Location, Severity};
use crate::version::Version;

/// MetaDB facts are needed: skipped without any MetaDB source, an error when the database
/// of `role` is missing from the sources that were given.
pub fn need_metadb(ctx: &Context<'_>, role: DbRole) -> Result<(), Outcome> {
    metadb_readable(ctx)?;
    let m = &ctx.deployment.metadb;
    if m.is_empty() {
        return Err(Outcome::Skipped(
            "no MetaDB source given (dumps in SNAPSHOT_DIR/metadb, --dump, or --metadb)".into(),
        ));
    }
    if m.database(role).is_none() {
        return Err(Outcome::Error(format!(
            "no {} database among the MetaDB sources",
            role.as_str()
        )));
    }
    Ok(())
}

/// The live MetaDB, when one was given, could be read: a check that reads MetaDB facts
/// cannot pass on facts it never saw.
pub fn metadb_readable(ctx: &Context<'_>) -> Result<(), Outcome> {
    match &ctx.deployment.metadb_error {
        Some(why) => Err(Outcome::Error(why.clone())),
        None => Ok(()),
    }
}

/// The project table was read, or the check cannot run.
pub fn need_projects<'a>(ctx: &'a Context<'_>, facts: &'a ProjectFacts) -> Result<(), Outcome> {
    need_metadb(ctx, DbRole::Rm)?;
    if !facts.seen {
        let table = match facts.kind {
            crate::facts::ProjectKind::Migration => &ctx.schema.projects.table,
            crate::facts::ProjectKind::Sync => &ctx.schema.sync_projects.table,
        };
        return Err(Outcome::Error(format!(
            "table {table} not found in the rm database"
        )));
    }
    Ok(())
}

/// `ha.config` from `oms_normal_config`: (row id, raw JSON text, parsed JSON).
pub struct HaConfig {
    pub id: String,
    pub raw: String,
    pub json: serde_json::Map<String, serde_json::Value>,
}

impl HaConfig {
    pub fn bool_or(&self, key: &str, default: bool) -> bool {
        match self.json.get(key) {
            Some(serde_json::Value::Bool(b)) => *b,
            Some(serde_json::Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
            _ => default,
        }
    }

    pub fn int_or(&self, key: &str, default: i64) -> i64 {
        match self.json.get(key) {
            Some(serde_json::Value::Number(n)) => n.as_i64().unwrap_or(default),
            Some(serde_json::Value::String(s)) => s.trim().parse().unwrap_or(default),
            _ => default,
        }
    }
}

pub fn ha_config(ctx: &Context<'_>) -> Result<Option<HaConfig>, Outcome> {
    need_metadb(ctx, DbRole::Rm)?;
    let m = &ctx.deployment.metadb;
    let rm = m.database(DbRole::Rm);
    let has_table = rm.is_some_and(|d| {
        d.tables
            .keys()
            .any(|t| t.eq_ignore_ascii_case(&ctx.schema.normal_config.table))
    });
    if !has_table {
        return Err(Outcome::Error(format!(
            "table {} not found in the rm database",
            ctx.schema.normal_config.table
        )));
    }
    let Some((id, raw)) = m.normal_configs.get("ha.config") else {
        return Ok(None);
    };
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::Object(json)) => Ok(Some(HaConfig {
            id: id.clone(),
            raw: raw.clone(),
            json,
        })),
        _ => Err(Outcome::Error(
            "ha.config in oms_normal_config is not a JSON object".into(),
        )),
    }
}

/// The unsafe SQL fix that sets one boolean of `ha.config`, guarded by the row's id and
/// its whole current value, with the statement that puts the old value back. Two such
/// fixes of the same row (OMS008 and OMS009) are merged into one statement when applied.
pub fn ha_config_fix(
    ctx: &Context<'_>,
    ha: &HaConfig,
    key: &str,
    value: bool,
    description: &str,
) -> Option<Box<Fix>> {
    let m = &ctx.schema.normal_config;
    let db = ctx
        .deployment
        .metadb
        .database(DbRole::Rm)
        .map(|d| d.name.clone());
    let edit = JsonRowEdit {
        database: db.clone(),
        table: m.table.clone(),
        id_column: m.id.clone(),
        id: ha.id.clone(),
        name_column: m.name.clone(),
        name: "ha.config".into(),
        value_column: m.value.clone(),
        old: ha.raw.clone(),
        set: vec![(key.to_string(), value)],
    };
    let (sql, rollback) = edit.statements()?;
    Some(Box::new(Fix {
        kind: FixKind::Sql,
        applicability: Applicability::Unsafe,
        description: description.to_string(),
        database: db,
        sql: Some(sql),
        rollback_sql: Some(rollback),
        patch: None,
        apply: Some(crate::finding::Apply::JsonRow(edit)),
    }))
}

/// Sets a top-level boolean in a JSON object's text, keeping the rest of the text as it
/// is (the console wrote it; a re-serialization would reorder or reformat it).
pub fn json_set_bool(raw: &str, key: &str, value: bool) -> Option<String> {
    let pattern = format!(r#"("{}"\s*:\s*)("?)(true|false)("?)"#, regex::escape(key));
    let re = regex::Regex::new(&pattern).ok()?;
    let out = if re.is_match(raw) {
        re.replace(raw, |c: &regex::Captures<'_>| format!("{}{value}", &c[1]))
            .into_owned()
    } else {
        let open = raw.find('{')?;
        let rest = raw[open + 1..].trim_start();
        let sep = if rest.starts_with('}') { "" } else { "," };
        format!(
            "{}\"{key}\":{value}{sep}{}",
            &raw[..=open],
            &raw[open + 1..]
        )
    };
    let parsed: serde_json::Value = serde_json::from_str(&out).ok()?;
    (parsed.get(key) == Some(&serde_json::Value::Bool(value))).then_some(out)
}

/// A project by id, migration or sync.
pub fn project_by_id<'a>(ctx: &'a Context<'_>, id: &str) -> Option<&'a Project> {
    let m = &ctx.deployment.metadb;
    m.projects
        .referenced(id)
        .or_else(|| m.sync_projects.referenced(id))
}

pub fn is_oceanbase_type(t: &str) -> bool {
    let t = t.trim().to_ascii_uppercase();
    t.starts_with("OB_") || t == "OCEANBASE" || t == "OB_IN_ORACLE_MODE"
}

/// A component's setting location for diagnostics, when it came from a file.
pub fn setting_location(c: &Component, key: &str) -> Option<Location> {
    match c.setting(key).map(|s| &s.origin) {
        Some(crate::facts::SettingOrigin::File(span)) => Some((**span).clone().into()),
        _ => c.source_file.as_ref().map(|p| Location {
            path: p.display().to_string(),
            line: 1,
            column: 0,
        }),
    }
}

/// One Incr-Sync component that lacks `dbType` under the OMS005 conditions.
pub struct MissingDbType<'a> {
    pub component: &'a Component,
    pub project: Option<&'a Project>,
    pub severity: Severity,
    /// The dbType to enter: the project's source data source type.
    pub db_type: Option<String>,
    pub syncs_ddl: bool,
    pub why_applies: String,
}

/// The Incr-Sync components OMS005 flags (and so OMS006 looks at).
pub fn missing_dbtype<'a>(ctx: &'a Context<'_>) -> Result<Vec<MissingDbType<'a>>, Outcome> {
    metadb_readable(ctx)?;
    let from = ctx.from();
    let v = |s: &str| s.parse::<Version>().ok();
    let is_32x = from.release() == (3, 2, 1) || from.release() == (3, 2, 2);
    let is_330 = from.release() == (3, 3, 0);
    if !is_32x && !is_330 {
        return Err(Outcome::Skipped(format!(
            "applies to sources 3.2.1, 3.2.2 and 3.3.0; the source is {from}"
        )));
    }
    let d = ctx.deployment;
    let incr: Vec<&Component> = d
        .components
        .iter()
        .filter(|c| c.is_incr_sync() && (c.source_file.is_some() || !c.source.is_empty()))
        .collect();
    if incr.is_empty() && d.metadb.is_empty() {
        return Err(Outcome::Skipped(
            "no Incr-Sync component configs (--components) and no MetaDB config_job rows".into(),
        ));
    }
    // "Created on 3.2.x": before the first oms_version row of 3.3.0 was written.
    let upgraded_to_330 = d
        .metadb
        .versions
        .iter()
        .filter(|r| v(&r.version).is_some_and(|x| x.release() == (3, 3, 0)))
        .filter_map(|r| r.gmt_modified.clone())
        .min();
    let mut out = Vec::new();
    for c in incr {
        if c.setting("dbType").is_some() || c.setting("db_type").is_some() {
            continue;
        }
        let project = c.project_id().and_then(|id| project_by_id(ctx, id));
        let why_applies = if is_32x {
            format!("the source is {from}")
        } else {
            let created = project.and_then(|p| p.created.clone());
            match (&created, &upgraded_to_330) {
                (Some(c), Some(u)) if c >= u => continue,
                (Some(c), Some(u)) => format!(
                    "the source is 3.3.0 and the task was created on 3.2.x ({c}, before the 3.3.0 upgrade at {u})"
                ),
                _ => "the source is 3.3.0 and the task's creation time cannot be placed before or after the 3.3.0 upgrade".to_string(),
            }
        };
        let syncs_ddl = !c
            .setting("ignoreDdl")
            .is_some_and(|s| s.value.trim().eq_ignore_ascii_case("true"));
        let db_type = project
            .and_then(|p| p.source_ds.as_deref())
            .and_then(|ds| d.metadb.datasources.get(ds))
            .map(|ds| ds.ds_type.clone())
            .or_else(|| {
                // A source config that names its type under an older key still tells it.
                c.setting("src_type").map(|s| s.value.to_ascii_uppercase())
            });
        let severity = if syncs_ddl {
            Severity::Error
        } else if db_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("OB_MYSQL"))
        {
            Severity::Notice
        } else {
            Severity::Warning
        };
        out.push(MissingDbType {
            component: c,
            project,
            severity,
            db_type,
            syncs_ddl,
            why_applies,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_set_bool_keeps_the_rest_of_the_text() {
        let raw = r#"{"enable": true, "enableHost":false, "x":{"enable":true}}"#;
        let out = json_set_bool(raw, "enable", false).unwrap();
        assert_eq!(
            out,
            r#"{"enable": false, "enableHost":false, "x":{"enable":true}}"#
        );
        let out = json_set_bool(r#"{"a":1}"#, "perceiveStoreClientCheckpoint", true).unwrap();
        assert_eq!(out, r#"{"perceiveStoreClientCheckpoint":true,"a":1}"#);
        assert_eq!(json_set_bool("{}", "k", true).unwrap(), r#"{"k":true}"#);
        assert!(json_set_bool("not json", "k", true).is_none());
    }

    #[test]
    fn oceanbase_types() {
        for t in ["OB_MYSQL", "ob_oracle", "OCEANBASE", "OB_IN_ORACLE_MODE"] {
            assert!(is_oceanbase_type(t), "{t}");
        }
        assert!(!is_oceanbase_type("MYSQL"));
    }
}
