//! Fills the MetaDB facts from table rows, whichever source streams them.
//!
//! A source announces each table (`table`) and hands over its rows in the table's column
//! order (`row`); the schema map says which fact a table feeds. Project tables go through
//! the streaming aggregator; the small tables are kept whole.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use super::projects::{ProjectAggregator, ProjectRow};
use super::{
    ClusterInfo, ColumnMeta, ConfigJob, DataSource, Database, DbRole, MetaDb,
    Project, ProjectFacts, ProjectKind, TableMeta, VersionRow,
};
use crate::error::Result;
use crate::schema_map::{SchemaMap, TableFact};
use crate::sources::dump::{Interest, TableDef, Value};

/// Where a project row can be read again: the source that streamed it.
pub trait RowFetcher {
    fn fetch(&mut self, table: &TableDef, loc: u64) -> Result<Vec<Option<Vec<u8>>>>;
}

struct ProjectSide {
    agg: ProjectAggregator,
    table: TableDef,
    cols: ProjectCols,
    /// Which fetcher (index into the fetchers the caller gives `finish`) reads it again.
    fetcher: usize,
}

#[derive(Clone, Copy)]
struct ProjectCols {
    id: Option<usize>,
    name: Option<usize>,
    status: Option<usize>,
    source: Option<usize>,
    sink: Option<usize>,
    created: Option<usize>,
}

impl ProjectCols {
    fn project_from(&self, values: &[Option<Vec<u8>>]) -> Project {
        let get = |i: Option<usize>| {
            i.and_then(|i| values.get(i).cloned().flatten())
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        };
        Project {
            id: get(self.id).unwrap_or_default(),
            name: get(self.name).unwrap_or_default(),
            status: get(self.status).unwrap_or_default(),
            source_ds: get(self.source),
            sink_ds: get(self.sink),
            created: get(self.created),
        }
    }
}

pub struct FactsBuilder<'s> {
    schema: &'s SchemaMap,
    roles: HashMap<String, DbRole>,
    wanted_projects: HashSet<String>,
    pub metadb: MetaDb,
    current_db: Option<String>,
    current_path: Option<PathBuf>,
    current_fetcher: usize,
    /// The fact of the table being streamed and its column positions by name.
    current: Option<(TableFact, Vec<(String, usize)>)>,
    projects: Option<ProjectSide>,
    sync_projects: Option<ProjectSide>,
}

fn text<'v>(v: &'v Value<'_>) -> Option<&'v [u8]> {
    match v {
        Value::Null => None,
        Value::Text(b) => Some(b.as_ref()),
        Value::Number(b) => Some(b),
    }
}

fn string(v: Option<&Value<'_>>) -> Option<String> {
    v.and_then(text)
        .map(|b| String::from_utf8_lossy(b).into_owned())
}

impl<'s> FactsBuilder<'s> {
    /// `roles` maps database names from config.yaml to their role.
    pub fn new(schema: &'s SchemaMap, roles: HashMap<String, DbRole>) -> Self {
        FactsBuilder {
            schema,
            roles,
            wanted_projects: HashSet::new(),
            metadb: MetaDb::default(),
            current_db: None,
            current_path: None,
            current_fetcher: 0,
            current: None,
            projects: None,
            sync_projects: None,
        }
    }

    /// Projects that components point at: kept in full when their rows stream past.
    pub fn want_projects(&mut self, ids: impl IntoIterator<Item = String>) {
        self.wanted_projects.extend(ids);
    }

    /// A new source file (or connection) starts; `fetcher` identifies how to read it again.
    pub fn begin_source(&mut self, path: Option<PathBuf>, fetcher: usize) {
        self.current_db = None;
        self.current_path = path;
        self.current_fetcher = fetcher;
        self.current = None;
    }

    pub fn database(&mut self, name: &str) {
        self.current_db = Some(name.to_string());
        self.database_index(name);
    }

    fn database_index(&mut self, name: &str) -> usize {
        if let Some(i) = self.metadb.databases.iter().position(|d| d.name == name) {
            return i;
        }
        let role = self.roles.get(name).copied().unwrap_or(DbRole::Unknown);
        self.metadb.databases.push(Database {
            name: name.to_string(),
            role,
            path: self.current_path.clone(),
            tables: BTreeMap::new(),
        });
        self.metadb.databases.len() - 1
    }

    pub fn table(&mut self, def: &TableDef) -> Interest {
        let db_name = def
            .database
            .clone()
            .or_else(|| self.current_db.clone())
            .unwrap_or_else(|| "(unnamed)".to_string());
        let di = self.database_index(&db_name);
        if self.metadb.databases[di].role == DbRole::Unknown {
            if let Some(r) = self.schema.role_from_table(&def.name) {
                self.metadb.databases[di].role = r;
            }
        }
        let role = self.metadb.databases[di].role;
        self.metadb.databases[di].tables.insert(
            def.name.clone(),
            TableMeta {
                name: def.name.clone(),
                columns: def
                    .columns
                    .iter()
                    .map(|c| ColumnMeta {
                        name: c.name.clone(),
                        collation: c.collation.clone(),
                        max_len: c.max_len,
                    })
                    .collect(),
                rows: 0,
            },
        );
        let Some(fact) = self.schema.fact_for(role, &def.name) else {
            self.current = None;
            return Interest::Skip;
        };
        let cols: Vec<(String, usize)> = def
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.to_ascii_lowercase(), i))
            .collect();
        match fact {
            TableFact::Projects | TableFact::SyncProjects => {
                self.start_projects(fact, def, &db_name, &cols);
            }
            TableFact::Heartbeat => {
                self.metadb.heartbeat.entry(db_name).or_default();
            }
            _ => {}
        }
        let interest = if fact == TableFact::Heartbeat {
            Interest::CountOnly
        } else {
            Interest::Rows
        };
        self.current = Some((fact, cols));
        interest
    }

    fn start_projects(
        &mut self,
        fact: TableFact,
        def: &TableDef,
        db: &str,
        cols: &[(String, usize)],
    ) {
        let (map, kind) = if fact == TableFact::Projects {
            (&self.schema.projects, ProjectKind::Migration)
        } else {
            (&self.schema.sync_projects, ProjectKind::Sync)
        };
        let col = |n: &str| {
            cols.iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(n))
                .map(|&(_, i)| i)
        };
        let pcols = ProjectCols {
            id: col(&map.id),
            name: col(&map.name),
            status: col(&map.status),
            source: col(&map.source_datasource),
            sink: col(&map.sink_datasource),
            created: col(&map.created),
        };
        let name_col = pcols.name.and_then(|i| def.columns.get(i));
        let facts = ProjectFacts {
            kind,
            database: Some(db.to_string()),
            table: def.name.clone(),
            name_column: map.name.clone(),
            id_column: map.id.clone(),
            name_collation: name_col.and_then(|c| c.collation.clone()),
            name_max_len: name_col.and_then(|c| c.max_len),
            ..Default::default()
        };
        let side = ProjectSide {
            agg: ProjectAggregator::new(facts, self.wanted_projects.clone()),
            table: def.clone(),
            cols: pcols,
            fetcher: self.current_fetcher,
        };
        if kind == ProjectKind::Migration {
            self.projects = Some(side);
        } else {
            self.sync_projects = Some(side);
        }
    }

    pub fn row(&mut self, values: &[Value<'_>], loc: u64) {
        let Some((fact, cols)) = &self.current else {
            return;
        };
        // A linear scan over a handful of columns beats hashing an allocated key per row.
        let get = |name: &str| {
            cols.iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .and_then(|&(_, i)| values.get(i))
        };
        let s = self.schema;
        match fact {
            TableFact::Projects | TableFact::SyncProjects => {
                let side = if *fact == TableFact::Projects {
                    self.projects.as_mut()
                } else {
                    self.sync_projects.as_mut()
                };
                let Some(side) = side else { return };
                let c = side.cols;
                let at = |i: Option<usize>| i.and_then(|i| values.get(i)).and_then(text);
                let row = ProjectRow {
                    id: at(c.id).unwrap_or_default(),
                    name: at(c.name).unwrap_or_default(),
                    status: at(c.status).unwrap_or_default(),
                    source_ds: at(c.source),
                    sink_ds: at(c.sink),
                    created: at(c.created),
                };
                side.agg.push(&row, loc);
            }
            TableFact::Datasources => {
                let m = &s.datasources;
                let id = string(get(&m.id)).unwrap_or_default();
                let extra = string(get(&m.extra_attributes));
                self.metadb.datasources.insert(
                    id.clone(),
                    DataSource {
                        id,
                        name: string(get(&m.name)).unwrap_or_default(),
                        ds_type: string(get(&m.ds_type)).unwrap_or_default(),
                        use_log_proxy: extra.as_deref().is_some_and(uses_log_proxy),
                    },
                );
            }
            TableFact::NormalConfig => {
                let m = &s.normal_config;
                if let Some(name) = string(get(&m.name)) {
                    let id = string(get(&m.id)).unwrap_or_default();
                    let value = string(get(&m.value)).unwrap_or_default();
                    self.metadb.normal_configs.insert(name, (id, value));
                }
            }
            TableFact::ClusterInfo => {
                let m = &s.cluster_info;
                self.metadb.cluster_info.push(ClusterInfo {
                    region: string(get(&m.region)).unwrap_or_default(),
                    cm_url: string(get(&m.cm_url)).unwrap_or_default(),
                    code: string(get(&m.code)).and_then(|c| c.trim().parse().ok()),
                    is_default: string(get(&m.is_default))
                        .is_some_and(|v| v.trim() == "1" || v.eq_ignore_ascii_case("true")),
                });
            }
            TableFact::Versions => {
                let m = &s.versions;
                if let Some(version) = string(get(&m.version)) {
                    self.metadb.versions.push(VersionRow {
                        version,
                        gmt_modified: string(get(&m.modified)),
                    });
                }
            }
            TableFact::ConfigJob => {
                let m = &s.config_job;
                let key = string(get(&m.key)).unwrap_or_default();
                // Only source settings matter to the rules; the rest of config_job (every
                // setting of every component) would only cost memory.
                if key.starts_with(&m.source_key_prefix) {
                    let job_name = string(get(&m.job_name)).unwrap_or_default();
                    if let Some(p) = super::link::project_id_of(&job_name) {
                        self.wanted_projects.insert(p);
                    }
                    self.metadb.config_jobs.push(ConfigJob {
                        id: string(get(&m.id)).unwrap_or_default(),
                        job_name,
                        key,
                        value: string(get(&m.value)),
                    });
                }
            }
            TableFact::Heartbeat => {}
        }
    }

    pub fn table_done(&mut self, def: &TableDef, rows: u64) {
        let db_name = def
            .database
            .clone()
            .or_else(|| self.current_db.clone())
            .unwrap_or_else(|| "(unnamed)".to_string());
        let di = self.database_index(&db_name);
        if let Some(t) = self.metadb.databases[di].tables.get_mut(&def.name) {
            t.rows += rows;
        }
        if matches!(self.current, Some((TableFact::Heartbeat, _))) {
            let e = self
                .metadb
                .heartbeat
                .entry(db_name)
                .or_default();
            e.rows += rows;
        }
        self.current = None;
    }

    /// Reads again what the project aggregation needs and returns the MetaDB facts.
    pub fn finish(mut self, fetchers: &mut [&mut dyn RowFetcher]) -> Result<MetaDb> {
        for (side, slot) in [
            (self.projects.take(), ProjectKind::Migration),
            (self.sync_projects.take(), ProjectKind::Sync),
        ] {
            let Some(side) = side else { continue };
            let cols = side.cols;
            let table = side.table;
            let fetcher = fetchers.get_mut(side.fetcher).ok_or_else(|| {
                crate::error::Error::CheckFailed("no reader for project rows".into())
            })?;
            let facts = side.agg.finish(&self.metadb.datasources, &mut |loc| {
                let values = fetcher.fetch(&table, loc)?;
                Ok(cols.project_from(&values))
            })?;
            match slot {
                ProjectKind::Migration => self.metadb.projects = facts,
                ProjectKind::Sync => self.metadb.sync_projects = facts,
            }
        }
        self.metadb.projects.kind = ProjectKind::Migration;
        self.metadb.sync_projects.kind = ProjectKind::Sync;
        self.metadb.databases.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(self.metadb)
    }
}

/// `conn_extra_attributes` JSON with `useLogProxy: true` (or `"true"`).
pub fn uses_log_proxy(extra: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(extra) {
        Ok(v) => match v.get("useLogProxy") {
            Some(serde_json::Value::Bool(b)) => *b,
            Some(serde_json::Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        },
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_proxy_flag_is_read_from_json() {
        assert!(uses_log_proxy(
            r#"{"useLogProxy": true, "logProxyPort": 2983}"#
        ));
        assert!(uses_log_proxy(r#"{"useLogProxy": "TRUE"}"#));
        assert!(!uses_log_proxy(r#"{"useLogProxy": false}"#));
        assert!(!uses_log_proxy("not json"));
    }
}
