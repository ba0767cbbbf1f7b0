//! Pieces several rules share: reaching the MetaDB facts, `ha.config`, and the Incr-Sync
//! components that OMS005 and OMS006 both judge.

use super::{Context, Outcome};
use crate::facts::{Component, Database, DbRole, Project, ProjectFacts, ProjectKind};
use crate::finding::{Applicability, Fix, FixKind, JsonRowEdit, Location, Severity};
use crate::schema_map::{SchemaMap, TableFact};
use crate::version::Version;

/// MetaDB facts are needed: skipped without any MetaDB source, an error when the database
/// of `role` is missing from the sources that were given, or when a table the schema map
/// puts in a database of that role, or a column it needs there, is absent (see
/// `need_tables`). OMS007 (cm: `config_job`) and OMS010 (cm_hb: the heartbeat table) read
/// every table of their role.
pub fn need_metadb(ctx: &Context<'_>, role: DbRole) -> Result<(), Outcome> {
    need_database(ctx, role)?;
    let facts: Vec<TableFact> = ctx
        .schema
        .entries()
        .into_iter()
        .filter(|(_, r, _)| r.db_role() == role)
        .map(|(f, _, _)| f)
        .collect();
    need_tables(ctx, &facts)
}

/// The database of `role` is among the MetaDB sources (skipped without any).
fn need_database(ctx: &Context<'_>, role: DbRole) -> Result<(), Outcome> {
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

/// Where a database was read: its dump file, or the live MetaDB's `host:port/database`.
pub fn origin(ctx: &Context<'_>, db: &Database) -> String {
    origin_in(ctx.deployment, db)
}

fn origin_in(d: &crate::facts::Deployment, db: &Database) -> String {
    match (&db.path, &d.live_target) {
        (Some(path), _) => format!("{} (database {})", path.display(), db.name),
        (None, Some(t)) => format!("MetaDB {}/{}", t.address(), db.name),
        (None, None) => format!("database {}", db.name),
    }
}

/// The tables of these facts are there, with every column the schema map names for
/// them, in each database of their role among the sources (a role with no database at
/// all is `need_database`'s to judge). The builder reads no fact from a table that lacks
/// one, so a check that reads such a fact cannot run: its reason names where the table
/// was looked for (the dump file, or the live `host:port/database`), the table and the
/// missing columns.
pub fn need_tables(ctx: &Context<'_>, facts: &[TableFact]) -> Result<(), Outcome> {
    tables_readable(ctx.deployment, ctx.schema, facts).map_err(Outcome::Error)
}

/// `need_tables` outside a rule (the source version is read before the rules run).
pub fn tables_readable(
    d: &crate::facts::Deployment,
    schema: &SchemaMap,
    facts: &[TableFact],
) -> Result<(), String> {
    for &fact in facts {
        let (role, table) = schema.table_of(fact);
        let key = SchemaMap::key(fact);
        for db in d
            .metadb
            .databases
            .iter()
            .filter(|d| d.role == role.db_role())
        {
            let Some(t) = db
                .tables
                .values()
                .find(|t| t.name.eq_ignore_ascii_case(table))
            else {
                return Err(format!(
                    "{}: the {} database has no table {table} (the schema map's {key}.table); give --schema-map FILE if this MetaDB keeps it elsewhere",
                    origin_in(d, db),
                    role.db_role().as_str()
                ));
            };
            if t.columns.is_empty() {
                let why = if db.path.is_some() {
                    "the dump inserts into it but never creates it (no CREATE TABLE)"
                } else {
                    "the server does not list them"
                };
                return Err(format!(
                    "{}: the columns of table {} are unknown: {why}, so no value can be told from another",
                    origin_in(d, db),
                    t.name
                ));
            }
            let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
            let missing = schema.missing_columns(fact, &names);
            if missing.is_empty() {
                continue;
            }
            const SHOWN: usize = 16;
            let mut has = names
                .iter()
                .take(SHOWN)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            if names.len() > SHOWN {
                has.push_str(", …");
            }
            return Err(format!(
                "{}: table {} has no column {}; its columns are {has}; give --schema-map FILE if this MetaDB names {} otherwise",
                origin_in(d, db),
                t.name,
                missing
                    .iter()
                    .map(|(k, c)| format!("{c} (the schema map's {key}.{k})"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if missing.len() == 1 { "it" } else { "them" }
            ));
        }
    }
    Ok(())
}

/// The project table was read, or the check cannot run.
pub fn need_projects<'a>(ctx: &'a Context<'_>, facts: &'a ProjectFacts) -> Result<(), Outcome> {
    let fact = match facts.kind {
        ProjectKind::Migration => TableFact::Projects,
        ProjectKind::Sync => TableFact::SyncProjects,
    };
    let (role, table) = ctx.schema.table_of(fact);
    need_database(ctx, role.db_role())?;
    need_tables(ctx, &[fact])?;
    if !facts.seen {
        // The table is there, yet no source fed it (its database's role is unknown).
        let m = &ctx.deployment.metadb;
        let from = m
            .database(role.db_role())
            .map_or_else(String::new, |db| format!("{}: ", origin(ctx, db)));
        return Err(Outcome::Error(format!(
            "{from}table {table} was not read (the schema map's {}.table)",
            SchemaMap::key(fact)
        )));
    }
    if let Some(why) = &facts.unreadable {
        return Err(Outcome::Error(why.clone()));
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
    need_database(ctx, ctx.schema.normal_config.role.db_role())?;
    need_tables(ctx, &[TableFact::NormalConfig])?;
    let m = &ctx.deployment.metadb;
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

pub use crate::json_text::set_bool as json_set_bool;

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
    // The components' settings come from config_job too, and "created on 3.2.x" from
    // oms_version; the projects and their data sources are read below, when a component
    // lacks dbType.
    if !d.metadb.is_empty() {
        need_tables(ctx, &[TableFact::ConfigJob])?;
        if is_330 {
            need_tables(ctx, &[TableFact::Versions])?;
        }
    }
    let mut projects_checked = d.metadb.is_empty();
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
        if !projects_checked {
            need_tables(
                ctx,
                &[
                    TableFact::Projects,
                    TableFact::SyncProjects,
                    TableFact::Datasources,
                ],
            )?;
            projects_checked = true;
        }
        let project = c.project_id().and_then(|id| project_by_id(ctx, id));
        let why_applies = if is_32x {
            format!("the source is {from}")
        } else {
            let created = project.and_then(|p| p.created().map(str::to_owned));
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
            .and_then(|p| p.source_ds())
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
    fn oceanbase_types() {
        for t in ["OB_MYSQL", "ob_oracle", "OCEANBASE", "OB_IN_ORACLE_MODE"] {
            assert!(is_oceanbase_type(t), "{t}");
        }
        assert!(!is_oceanbase_type("MYSQL"));
    }
}
