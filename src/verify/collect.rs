//! The facts verify compares, gathered from row streams so that memory follows what
//! differs, not the size of the MetaDB:
//!
//! 1. [`Collector`]: per database, the small facts in full (versions, `ha.config`, the
//!    servers), bucket digests of the keyed facts (a project's status by its id, a data
//!    source by its id, a `config_job` setting's values by component and key: see
//!    `tables`), after an upgrade which Incr-Sync jobs have `dbType`, and with
//!    `--rolled-back` every table's digest (OMS108).
//! 2. `tables::compare` finds the keys that differ, in bounded memory.
//! 3. [`Details`]: the rows of those keys, in text, for the findings.

use std::collections::HashMap;

use super::facts::{HaRow, HostRow, VersionRow};
use super::hash;
use super::scan::TableVisitor;
use super::tables::{key_of, Key, TableDigest};
use crate::error::Result;
use crate::facts::fxhash::{FxHashMap, FxHashSet};
use crate::facts::DbRole;
use crate::schema_map::{SchemaMap, TableFact};
use crate::sources::dump::{TableDef, Value};

/// The server table (cm): not in the schema map (its sections are fixed), so named here.
pub const HOST_TABLE: &str = "host";
pub const HOST_IP: &str = "ip";
pub const HOST_STATUS: &str = "status";

const SEED_JOB: u64 = 0x30b;

pub fn job_hash(job: &[u8]) -> u64 {
    hash::bytes(SEED_JOB, job)
}

/// The key a project or a data source is compared by: its id.
pub fn id_key(id: &str) -> Key {
    key_of(
        &[Value::Text(std::borrow::Cow::Borrowed(id.as_bytes()))],
        &[0],
    )
}

/// The keyed facts, each compared through a digest (`tables`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactKey {
    /// Migration (0) or sync (1) projects: status by id.
    Projects(usize),
    /// Data sources: presence by id.
    Datasources,
    /// `config_job`: values by (job_name, key).
    Settings,
}
fn text(v: &Value<'_>) -> Option<String> {
    v.as_text().map(|t| t.into_owned())
}

fn bytes<'v>(v: &'v Value<'_>) -> Option<&'v [u8]> {
    match v {
        Value::Null => None,
        Value::Text(t) => Some(t),
        Value::Number(n) => Some(n),
    }
}

/// A project status as compared: trimmed, upper case.
pub fn norm_status(s: &str) -> String {
    s.trim().to_ascii_uppercase()
}

/// What an Incr-Sync job's `config_job` rows say.
#[derive(Debug, Clone, Copy, Default)]
pub struct JobFlags {
    pub has_dbtype: bool,
    pub ignore_ddl: bool,
}

/// How the rows of one table feed the facts (column indexes in the table).
#[derive(Debug, Clone, Copy)]
enum FactPlan {
    /// A keyed fact: rows go to its digest (and `config_job`'s to the jobs' flags).
    Keyed {
        digest: usize,
        /// `config_job`'s job and key columns, for the jobs' flags.
        job: Option<(usize, usize, usize)>,
    },
    NormalConfig {
        id: Option<usize>,
        name: usize,
        value: usize,
    },
    Versions {
        version: usize,
        modified: Option<usize>,
    },
    Host {
        ip: usize,
        status: usize,
    },
}

/// The facts of one database, on one side.
#[derive(Default)]
pub struct DbPart {
    pub name: String,
    /// Index of the unit it was read from.
    pub unit: usize,
    /// Every table seen, with its columns.
    pub tables: Vec<TableDef>,
    /// Rows per table (lower-case name).
    pub rows: HashMap<String, u64>,
    /// The keyed facts' digests.
    pub facts: Vec<(FactKey, TableDigest)>,
    pub ha: Vec<HaRow>,
    pub versions: Vec<VersionRow>,
    /// Incr-Sync jobs by job hash (after an upgrade only: OMS107's dbType).
    pub jobs: FxHashMap<u64, JobFlags>,
    pub hosts: Vec<HostRow>,
    /// OMS108: one digest per table.
    pub digests: Vec<TableDigest>,
}

impl DbPart {
    /// The role its tables give it: the first table the schema map (or the server
    /// table) places.
    pub fn inferred_role(&self, schema: &SchemaMap) -> DbRole {
        self.tables
            .iter()
            .find_map(|t| {
                schema.role_from_table(&t.name).or_else(|| {
                    t.name
                        .eq_ignore_ascii_case(HOST_TABLE)
                        .then_some(DbRole::Cm)
                })
            })
            .unwrap_or(DbRole::Unknown)
    }

    pub fn table(&self, name: &str) -> Option<&TableDef> {
        self.tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    pub fn fact(&self, key: FactKey) -> Option<&TableDigest> {
        self.facts.iter().find(|(k, _)| *k == key).map(|(_, d)| d)
    }
}

/// The first pass over one unit.
pub struct Collector<'a> {
    schema: &'a SchemaMap,
    /// Database roles known beforehand (config.yaml, or the baseline's for the deployment
    /// now); others are matched by table name.
    roles: &'a HashMap<String, DbRole>,
    /// Only these databases (the deployment now: the baseline's); `None`: all.
    only: Option<&'a [String]>,
    /// Digest every table (OMS108).
    digest: bool,
    /// Keep the Incr-Sync jobs' flags (after an upgrade).
    jobs: bool,
    unit: usize,
    pub parts: Vec<DbPart>,
    /// Every table met: (part, table name, plan, digest index); `current` is the one
    /// being read (a dump inserts into one table at a time, but may come back to one).
    met: Vec<(usize, String, Option<FactPlan>, Option<usize>)>,
    current: Option<usize>,
    /// `config_job`'s source settings prefix and the keys that say `dbType`.
    dbtype_keys: [Vec<u8>; 2],
    ignore_ddl_key: Vec<u8>,
}

impl<'a> Collector<'a> {
    pub fn new(
        schema: &'a SchemaMap,
        roles: &'a HashMap<String, DbRole>,
        only: Option<&'a [String]>,
        digest: bool,
        jobs: bool,
        unit: usize,
    ) -> Self {
        let p = &schema.config_job.source_key_prefix;
        Collector {
            schema,
            roles,
            only,
            digest,
            jobs,
            unit,
            parts: Vec::new(),
            met: Vec::new(),
            current: None,
            dbtype_keys: [
                format!("{p}dbType").into_bytes(),
                format!("{p}db_type").into_bytes(),
            ],
            ignore_ddl_key: format!("{p}ignoreDdl").into_bytes(),
        }
    }

    fn part(&mut self, db: &str) -> usize {
        match self.parts.iter().position(|p| p.name == db) {
            Some(i) => i,
            None => {
                self.parts.push(DbPart {
                    name: db.to_string(),
                    unit: self.unit,
                    ..DbPart::default()
                });
                self.parts.len() - 1
            }
        }
    }

    fn plan(&mut self, part: usize, db: &str, def: &TableDef) -> Option<FactPlan> {
        let role = self.roles.get(db).copied().unwrap_or(DbRole::Unknown);
        let col = |name: &str| def.column_index(name);
        let s = self.schema;
        if def.name.eq_ignore_ascii_case(HOST_TABLE) && matches!(role, DbRole::Cm | DbRole::Unknown)
        {
            return Some(FactPlan::Host {
                ip: col(HOST_IP)?,
                status: col(HOST_STATUS)?,
            });
        }
        let (fact, key, summed, job) = match s.fact_for(role, &def.name)? {
            TableFact::Projects => (
                FactKey::Projects(0),
                vec![col(&s.projects.id)?],
                vec![col(&s.projects.status)?],
                None,
            ),
            TableFact::SyncProjects => (
                FactKey::Projects(1),
                vec![col(&s.sync_projects.id)?],
                vec![col(&s.sync_projects.status)?],
                None,
            ),
            TableFact::Datasources => (
                FactKey::Datasources,
                vec![col(&s.datasources.id)?],
                Vec::new(),
                None,
            ),
            TableFact::ConfigJob => {
                let m = &s.config_job;
                let (job, key, value) = (col(&m.job_name)?, col(&m.key)?, col(&m.value)?);
                (
                    FactKey::Settings,
                    vec![job, key],
                    vec![value],
                    self.jobs.then_some((job, key, value)),
                )
            }
            TableFact::NormalConfig => {
                return Some(FactPlan::NormalConfig {
                    id: col(&s.normal_config.id),
                    name: col(&s.normal_config.name)?,
                    value: col(&s.normal_config.value)?,
                })
            }
            TableFact::Versions => {
                return Some(FactPlan::Versions {
                    version: col(&s.versions.version)?,
                    modified: col(&s.versions.modified),
                })
            }
            TableFact::ClusterInfo | TableFact::Heartbeat => return None,
        };
        let facts = &mut self.parts[part].facts;
        facts.push((fact, TableDigest::projection(db, def, key, summed)));
        Some(FactPlan::Keyed {
            digest: facts.len() - 1,
            job,
        })
    }

    fn fact_row(&mut self, part: usize, plan: FactPlan, v: &[Value<'_>]) {
        let get = |i: usize| v.get(i).unwrap_or(&Value::Null);
        let p = &mut self.parts[part];
        match plan {
            FactPlan::Keyed { digest, job, .. } => {
                p.facts[digest].1.add(v);
                let Some((job, key, value)) = job else { return };
                let (Some(job), Some(key)) = (bytes(get(job)), bytes(get(key))) else {
                    return;
                };
                let lower = String::from_utf8_lossy(job).to_ascii_lowercase();
                if lower.contains("connector") || lower.contains("incr") {
                    let flags = p.jobs.entry(job_hash(job)).or_default();
                    if self.dbtype_keys.iter().any(|k| k.as_slice() == key) {
                        flags.has_dbtype = true;
                    }
                    if key == self.ignore_ddl_key.as_slice()
                        && get(value)
                            .as_text()
                            .is_some_and(|t| t.trim().eq_ignore_ascii_case("true"))
                    {
                        flags.ignore_ddl = true;
                    }
                }
            }
            FactPlan::NormalConfig { id, name, value } => {
                if get(name).as_text().as_deref() == Some("ha.config") {
                    p.ha.push(HaRow {
                        id: id.and_then(|i| text(get(i))).unwrap_or_default(),
                        raw: text(get(value)).unwrap_or_default(),
                    });
                }
            }
            FactPlan::Versions { version, modified } => {
                if let Some(version) = text(get(version)) {
                    p.versions.push(VersionRow {
                        version,
                        modified: modified.and_then(|i| text(get(i))),
                    });
                }
            }
            FactPlan::Host { ip, status } => {
                p.hosts.push(HostRow {
                    ip: text(get(ip)).unwrap_or_default(),
                    status: text(get(status)).unwrap_or_default(),
                });
            }
        }
    }
}

impl TableVisitor for Collector<'_> {
    fn wants(&mut self, db: &str, def: &TableDef) -> bool {
        if self.only.is_some_and(|only| !only.iter().any(|d| d == db)) {
            self.current = None;
            return false;
        }
        let part = self.part(db);
        if self.parts[part]
            .tables
            .iter()
            .all(|t| !t.name.eq_ignore_ascii_case(&def.name))
        {
            self.parts[part].tables.push(def.clone());
        }
        let plan = self.plan(part, db, def);
        let digest = (self.digest && !def.columns.is_empty()).then(|| {
            let d = &mut self.parts[part].digests;
            d.push(TableDigest::table(db, def, self.schema));
            d.len() - 1
        });
        self.met.push((part, def.name.clone(), plan, digest));
        self.current = Some(self.met.len() - 1);
        plan.is_some() || digest.is_some()
    }

    fn row(&mut self, db: &str, def: &TableDef, values: &[Value<'_>]) -> Result<()> {
        let is = |m: &(usize, String, Option<FactPlan>, Option<usize>)| {
            m.1 == def.name && self.parts[m.0].name == db
        };
        let at = match self.current {
            Some(i) if is(&self.met[i]) => i,
            _ => match self.met.iter().rposition(is) {
                Some(i) => {
                    self.current = Some(i);
                    i
                }
                None => return Ok(()),
            },
        };
        let (part, _, plan, digest) = self.met[at];
        if let Some(d) = digest {
            self.parts[part].digests[d].add(values);
        }
        if let Some(plan) = plan {
            self.fact_row(part, plan, values);
        }
        Ok(())
    }

    fn table_done(&mut self, db: &str, def: &TableDef, rows: u64) {
        if self.only.is_some_and(|only| !only.iter().any(|d| d == db)) {
            return;
        }
        self.current = None;
        let part = self.part(db);
        *self.parts[part]
            .rows
            .entry(def.name.to_ascii_lowercase())
            .or_default() += rows;
        if self.parts[part]
            .tables
            .iter()
            .all(|t| !t.name.eq_ignore_ascii_case(&def.name))
        {
            self.parts[part].tables.push(def.clone());
        }
    }
}

/// The keys whose rows the second pass reads in text.
#[derive(Default)]
pub struct Wanted {
    /// Project keys per kind: migration, sync.
    pub projects: [FxHashSet<Key>; 2],
    /// Projects (either kind) whose creation time is needed (OMS005's 3.3.0 case).
    pub created: FxHashSet<Key>,
    pub datasources: FxHashSet<Key>,
    pub settings: FxHashSet<Key>,
    /// Incr-Sync jobs whose names are needed.
    pub jobs: FxHashSet<u64>,
}

impl Wanted {
    pub fn is_empty(&self) -> bool {
        self.projects.iter().all(FxHashSet::is_empty)
            && self.created.is_empty()
            && self.datasources.is_empty()
            && self.settings.is_empty()
            && self.jobs.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct ProjectText {
    pub kind: usize,
    pub id: String,
    pub name: Option<String>,
    pub status: String,
    pub created: Option<String>,
}

/// The second pass over one unit: the rows `wanted` names, in text.
pub struct Details<'a> {
    schema: &'a SchemaMap,
    wanted: &'a Wanted,
    /// The rm and the cm database of this side.
    rm: Option<&'a str>,
    cm: Option<&'a str>,
    /// (database, table, fact) of every table met.
    met: Vec<(String, String, Option<TableFact>)>,
    pub projects: Vec<ProjectText>,
    pub datasources: Vec<(String, Option<String>, Option<String>)>,
    /// (job, key, value)
    pub settings: Vec<(String, String, Option<String>)>,
    pub jobs: FxHashMap<u64, String>,
}

impl<'a> Details<'a> {
    pub fn new(
        schema: &'a SchemaMap,
        wanted: &'a Wanted,
        rm: Option<&'a str>,
        cm: Option<&'a str>,
    ) -> Self {
        Details {
            schema,
            wanted,
            rm,
            cm,
            met: Vec::new(),
            projects: Vec::new(),
            datasources: Vec::new(),
            settings: Vec::new(),
            jobs: FxHashMap::default(),
        }
    }
}

impl TableVisitor for Details<'_> {
    fn wants(&mut self, db: &str, def: &TableDef) -> bool {
        let role = if Some(db) == self.rm {
            DbRole::Rm
        } else if Some(db) == self.cm {
            DbRole::Cm
        } else {
            return false;
        };
        let fact = self.schema.fact_for(role, &def.name).filter(|f| {
            matches!(
                f,
                TableFact::Projects
                    | TableFact::SyncProjects
                    | TableFact::Datasources
                    | TableFact::ConfigJob
            )
        });
        self.met.push((db.to_string(), def.name.clone(), fact));
        fact.is_some()
    }

    fn row(&mut self, db: &str, def: &TableDef, v: &[Value<'_>]) -> Result<()> {
        let Some(fact) = self
            .met
            .iter()
            .rev()
            .find(|(d, t, _)| d == db && *t == def.name)
            .and_then(|(_, _, f)| *f)
        else {
            return Ok(());
        };
        let s = self.schema;
        let idx = |c: &str| def.column_index(c);
        let col = |c: &str| idx(c).and_then(|i| v.get(i));
        match fact {
            TableFact::Projects | TableFact::SyncProjects => {
                let (kind, m) = if fact == TableFact::Projects {
                    (0, &s.projects)
                } else {
                    (1, &s.sync_projects)
                };
                let Some(i) = idx(&m.id) else { return Ok(()) };
                let k = key_of(v, &[i]);
                if self.wanted.projects[kind].contains(&k) || self.wanted.created.contains(&k) {
                    self.projects.push(ProjectText {
                        kind,
                        id: col(&m.id).and_then(text).unwrap_or_default(),
                        name: col(&m.name).and_then(text),
                        status: norm_status(&col(&m.status).and_then(text).unwrap_or_default()),
                        created: col(&m.created).and_then(text),
                    });
                }
            }
            TableFact::Datasources => {
                let m = &s.datasources;
                let Some(i) = idx(&m.id) else { return Ok(()) };
                if self.wanted.datasources.contains(&key_of(v, &[i])) {
                    self.datasources.push((
                        col(&m.id).and_then(text).unwrap_or_default(),
                        col(&m.name).and_then(text),
                        col(&m.ds_type).and_then(text),
                    ));
                }
            }
            TableFact::ConfigJob => {
                let m = &s.config_job;
                let (Some(j), Some(k)) = (idx(&m.job_name), idx(&m.key)) else {
                    return Ok(());
                };
                let (Some(job), Some(key)) = (v.get(j).and_then(bytes), v.get(k).and_then(bytes))
                else {
                    return Ok(());
                };
                if self.wanted.settings.contains(&key_of(v, &[j, k])) {
                    self.settings.push((
                        String::from_utf8_lossy(job).into_owned(),
                        String::from_utf8_lossy(key).into_owned(),
                        col(&m.value).and_then(text),
                    ));
                }
                let jh = job_hash(job);
                if self.wanted.jobs.contains(&jh) && !self.jobs.contains_key(&jh) {
                    self.jobs
                        .insert(jh, String::from_utf8_lossy(job).into_owned());
                }
            }
            _ => {}
        }
        Ok(())
    }
}
