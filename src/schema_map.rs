//! The MetaDB schema map (`rules/schema.yaml`, or `--schema-map FILE`): which table and
//! columns hold each fact. Parts of the OMS MetaDB layout are not public, so they are
//! data a user can override rather than names wired into the rules.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::facts::DbRole;

const DEFAULT_MAP: &str = include_str!("../rules/schema.yaml");

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub enum Role {
    #[serde(rename = "rm")]
    Rm,
    #[serde(rename = "cm")]
    Cm,
    #[serde(rename = "cm_hb")]
    Heartbeat,
}

impl Role {
    pub fn db_role(self) -> DbRole {
        match self {
            Role::Rm => DbRole::Rm,
            Role::Cm => DbRole::Cm,
            Role::Heartbeat => DbRole::Heartbeat,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectTable {
    pub role: Role,
    pub table: String,
    pub id: String,
    pub name: String,
    pub status: String,
    pub source_datasource: String,
    pub sink_datasource: String,
    pub created: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasourceTable {
    pub role: Role,
    pub table: String,
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub ds_type: String,
    pub extra_attributes: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormalConfigTable {
    pub role: Role,
    pub table: String,
    pub id: String,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterInfoTable {
    pub role: Role,
    pub table: String,
    pub region: String,
    pub cm_url: String,
    pub code: String,
    pub is_default: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionTable {
    pub role: Role,
    pub table: String,
    pub version: String,
    pub modified: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigJobTable {
    pub role: Role,
    pub table: String,
    pub id: String,
    pub job_name: String,
    pub key: String,
    pub value: String,
    pub source_key_prefix: String,
    /// The source settings (after the prefix) the rules read; other rows are skipped.
    pub settings: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatTable {
    pub role: Role,
    pub table: String,
    pub id: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaMap {
    pub projects: ProjectTable,
    pub sync_projects: ProjectTable,
    pub datasources: DatasourceTable,
    pub normal_config: NormalConfigTable,
    pub cluster_info: ClusterInfoTable,
    pub versions: VersionTable,
    pub config_job: ConfigJobTable,
    pub heartbeat: HeartbeatTable,
}

/// The fact a table feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFact {
    Projects,
    SyncProjects,
    Datasources,
    NormalConfig,
    ClusterInfo,
    Versions,
    ConfigJob,
    Heartbeat,
}

impl SchemaMap {
    pub fn builtin() -> Self {
        // Embedded and covered by a test: a failure is a build defect.
        serde_saphyr::from_str(DEFAULT_MAP).expect("rules/schema.yaml is valid")
    }

    pub fn load(path: &Path) -> Result<Self> {
        if path.is_dir() {
            return Err(Error::parse_no_pos(
                path,
                "is a directory, expected a schema map file",
            ));
        }
        let text = crate::textfile::read_utf8(path)?;
        serde_saphyr::from_str(&text).map_err(|e| {
            let msg = e.to_string();
            let line = crate::textfile::yaml_error_line(&msg);
            Error::parse(
                path,
                line,
                0,
                format!("invalid schema map: {}", first_line(&msg)),
            )
        })
    }

    /// Every fact with the role of the database that holds it and its table.
    pub fn entries(&self) -> [(TableFact, Role, &str); 8] {
        [
            (
                TableFact::Projects,
                self.projects.role,
                &self.projects.table,
            ),
            (
                TableFact::SyncProjects,
                self.sync_projects.role,
                &self.sync_projects.table,
            ),
            (
                TableFact::Datasources,
                self.datasources.role,
                &self.datasources.table,
            ),
            (
                TableFact::NormalConfig,
                self.normal_config.role,
                &self.normal_config.table,
            ),
            (
                TableFact::ClusterInfo,
                self.cluster_info.role,
                &self.cluster_info.table,
            ),
            (
                TableFact::Versions,
                self.versions.role,
                &self.versions.table,
            ),
            (
                TableFact::ConfigJob,
                self.config_job.role,
                &self.config_job.table,
            ),
            (
                TableFact::Heartbeat,
                self.heartbeat.role,
                &self.heartbeat.table,
            ),
        ]
    }

    /// The map's key of a fact (`projects`, `sync_projects`, …), to name it in messages.
    pub fn key(fact: TableFact) -> &'static str {
        match fact {
            TableFact::Projects => "projects",
            TableFact::SyncProjects => "sync_projects",
            TableFact::Datasources => "datasources",
            TableFact::NormalConfig => "normal_config",
            TableFact::ClusterInfo => "cluster_info",
            TableFact::Versions => "versions",
            TableFact::ConfigJob => "config_job",
            TableFact::Heartbeat => "heartbeat",
        }
    }

    /// The role of the database that holds a fact, and its table.
    pub fn table_of(&self, fact: TableFact) -> (Role, &str) {
        self.entries()
            .into_iter()
            .find(|(f, _, _)| *f == fact)
            .map(|(_, r, t)| (r, t))
            .expect("entries() lists every fact")
    }

    /// The columns the map names for a fact's table, each with its key in the map
    /// (`name` → `project_name`). Every one is required: the map has no optional column,
    /// and a fact is never read from a table that lacks one (see `missing_columns`).
    pub fn columns(&self, fact: TableFact) -> Vec<(&'static str, &str)> {
        match fact {
            TableFact::Projects | TableFact::SyncProjects => {
                let m = if fact == TableFact::Projects {
                    &self.projects
                } else {
                    &self.sync_projects
                };
                vec![
                    ("id", &m.id),
                    ("name", &m.name),
                    ("status", &m.status),
                    ("source_datasource", &m.source_datasource),
                    ("sink_datasource", &m.sink_datasource),
                    ("created", &m.created),
                ]
            }
            TableFact::Datasources => {
                let m = &self.datasources;
                vec![
                    ("id", &m.id),
                    ("name", &m.name),
                    ("type", &m.ds_type),
                    ("extra_attributes", &m.extra_attributes),
                ]
            }
            TableFact::NormalConfig => {
                let m = &self.normal_config;
                vec![("id", &m.id), ("name", &m.name), ("value", &m.value)]
            }
            TableFact::ClusterInfo => {
                let m = &self.cluster_info;
                vec![
                    ("region", &m.region),
                    ("cm_url", &m.cm_url),
                    ("code", &m.code),
                    ("is_default", &m.is_default),
                ]
            }
            TableFact::Versions => {
                let m = &self.versions;
                vec![("version", &m.version), ("modified", &m.modified)]
            }
            TableFact::ConfigJob => {
                let m = &self.config_job;
                vec![
                    ("id", &m.id),
                    ("job_name", &m.job_name),
                    ("key", &m.key),
                    ("value", &m.value),
                ]
            }
            TableFact::Heartbeat => vec![("id", &self.heartbeat.id)],
        }
        .into_iter()
        .map(|(k, c)| (k, c.as_str()))
        .collect()
    }

    /// The columns of a fact's table that the map needs and `present` (the table's
    /// columns as the source defines them) lacks, compared case-insensitively as MySQL
    /// does. A table whose columns are unknown (`present` empty: a dump that inserts
    /// into a table it never creates) lacks them all.
    pub fn missing_columns<'a, S: AsRef<str>>(
        &'a self,
        fact: TableFact,
        present: &[S],
    ) -> Vec<(&'static str, &'a str)> {
        self.columns(fact)
            .into_iter()
            .filter(|(_, c)| !present.iter().any(|p| p.as_ref().eq_ignore_ascii_case(c)))
            .collect()
    }

    /// The fact a table of a database with this role feeds; `Unknown` roles match by
    /// table name alone (a dump whose database config.yaml does not name).
    pub fn fact_for(&self, role: DbRole, table: &str) -> Option<TableFact> {
        self.entries()
            .into_iter()
            .find(|(_, r, t)| {
                t.eq_ignore_ascii_case(table) && (role == DbRole::Unknown || r.db_role() == role)
            })
            .map(|(f, _, _)| f)
    }

    /// Guesses a database's role from the tables it holds, when config.yaml is silent.
    pub fn role_from_table(&self, table: &str) -> Option<DbRole> {
        self.entries()
            .into_iter()
            .find(|(_, _, t)| t.eq_ignore_ascii_case(table))
            .map(|(_, r, _)| r.db_role())
    }
}

fn first_line(s: &str) -> String {
    crate::redact::redact_line(s.lines().next().unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_map_targets_the_reference_schema() {
        let m = SchemaMap::builtin();
        assert_eq!(
            m.fact_for(DbRole::Rm, "oms_project"),
            Some(TableFact::Projects)
        );
        assert_eq!(m.fact_for(DbRole::Cm, "oms_project"), None);
        assert_eq!(
            m.fact_for(DbRole::Unknown, "heatbeat_sequence"),
            Some(TableFact::Heartbeat)
        );
        assert_eq!(m.role_from_table("config_job"), Some(DbRole::Cm));
        assert_eq!(m.config_job.source_key_prefix, "sourceFile.");
    }

    #[test]
    fn missing_columns_are_named_with_their_map_key() {
        let m = SchemaMap::builtin();
        let present = [
            "ID",
            "proj_name",
            "project_status",
            "source_datasource_id",
            "sink_datasource_id",
            "gmt_created",
        ];
        assert_eq!(
            m.missing_columns(TableFact::Projects, &present),
            [("name", "project_name")]
        );
        let all: [&str; 0] = [];
        assert_eq!(
            m.missing_columns(TableFact::NormalConfig, &all),
            [("id", "id"), ("name", "cfg_name"), ("value", "cfg_value")]
        );
        assert_eq!(
            m.table_of(TableFact::Heartbeat),
            (Role::Heartbeat, "heatbeat_sequence")
        );
        assert_eq!(SchemaMap::key(TableFact::SyncProjects), "sync_projects");
    }
}
