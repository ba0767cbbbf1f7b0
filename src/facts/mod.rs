//! The one normalized model of a deployment that every rule reads.
//!
//! Sources (dumps, config files, component configs, later the live MetaDB) fill it; rules
//! never see where a fact came from. Large tables are aggregated while they stream past
//! (see `projects.rs`), so the model stays small whatever the MetaDB's size.

pub mod collation;
pub mod fxhash;
pub mod job_keep;
pub mod link;
pub mod live;
pub mod projects;
pub mod row_spill;
pub mod utf8;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

pub use projects::{Project, ProjectFacts, ProjectKind};

/// A value that must never be printed: `Debug` and `Display` redact it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A position in an input file, 1-based.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub path: PathBuf,
    pub line: u64,
    pub column: u64,
}

/// One input that fed the facts, listed in the report with its digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Input {
    /// dump | config | components | metadb | docker-inspect | backup-dir | settings
    pub kind: &'static str,
    pub path: String,
    pub sha256: Option<String>,
}

/// A config.yaml scalar or list, with where it stands in the file.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<String>),
    /// Password-like keys: kept for connecting, never printed.
    Secret(Secret),
    /// A mapping or anything else this tool does not interpret.
    Other,
}

impl ConfigValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ConfigValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as text, for scalars that YAML may have typed (`cm_location: 0` vs `'0'`).
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            ConfigValue::Str(s) => Some(s.clone()),
            ConfigValue::Int(i) => Some(i.to_string()),
            ConfigValue::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            ConfigValue::Int(i) => Some(*i),
            ConfigValue::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            ConfigValue::Bool(b) => Some(*b),
            ConfigValue::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[String]> {
        match self {
            ConfigValue::List(v) => Some(v),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConfigEntry {
    pub value: ConfigValue,
    /// Where the value (not the key) starts.
    pub line: u64,
    pub column: u64,
    /// Where the key starts, for "missing value" style diagnostics.
    pub key_line: u64,
    pub key_column: u64,
}

/// One config.yaml (one per region, or one per node of a region).
#[derive(Debug, Clone, Default)]
pub struct ConfigFile {
    pub path: PathBuf,
    /// `regions/<dir>/…` when the file came from a snapshot's regions directory.
    pub region_dir: Option<String>,
    /// The raw text, for diagnostics that show a line; password values are masked in it.
    pub redacted_text: String,
    pub entries: BTreeMap<String, ConfigEntry>,
}

impl ConfigFile {
    pub fn get(&self, key: &str) -> Option<&ConfigEntry> {
        self.entries.get(key)
    }

    pub fn text(&self, key: &str) -> Option<String> {
        self.get(key).and_then(|e| e.value.scalar_text())
    }

    pub fn span_of(&self, key: &str) -> Option<Span> {
        self.get(key).map(|e| Span {
            path: self.path.clone(),
            line: e.line,
            column: e.column,
        })
    }

    /// Every value of a key that lands in a runbook command and is not what the key
    /// says (an IP or host name, a port, a database…): (key, line, column, why). Such a
    /// value is never written into a command.
    pub fn value_problems(&self) -> Vec<(&'static str, u64, u64, String)> {
        use crate::values::{check, Kind};
        const KEYS: [(&str, Kind); 8] = [
            ("oms_meta_host", Kind::Host),
            ("oms_meta_port", Kind::Port),
            ("oms_meta_user", Kind::User),
            ("drc_rm_db", Kind::Database),
            ("drc_cm_db", Kind::Database),
            ("drc_cm_heartbeat_db", Kind::Database),
            ("cm_region", Kind::Region),
            ("cm_url", Kind::Url),
        ];
        let mut out = Vec::new();
        for (key, kind) in KEYS {
            let Some(e) = self.get(key) else { continue };
            let why = match &e.value {
                ConfigValue::Null => continue,
                ConfigValue::Str(s) if s.trim().is_empty() => continue,
                v => match v.scalar_text() {
                    Some(text) => check(kind, text.trim()).err(),
                    None => Some(format!("a list or mapping is not {}", kind.describe())),
                },
            };
            if let Some(why) = why {
                out.push((key, e.line, e.column, format!("{key}: {why}")));
            }
        }
        if let Some(e) = self.get("cm_nodes") {
            match &e.value {
                ConfigValue::List(_) | ConfigValue::Str(_) => {
                    for n in self.nodes() {
                        if let Err(why) = check(Kind::Host, &n) {
                            out.push(("cm_nodes", e.line, e.column, format!("cm_nodes: {why}")));
                        }
                    }
                }
                ConfigValue::Null => {}
                _ => out.push((
                    "cm_nodes",
                    e.line,
                    e.column,
                    "cm_nodes must be a list of the region's node IPs".to_string(),
                )),
            }
        }
        out
    }

    pub fn nodes(&self) -> Vec<String> {
        match self.get("cm_nodes").map(|e| &e.value) {
            Some(ConfigValue::List(v)) => v.clone(),
            Some(ConfigValue::Str(s)) => s
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A region: the config.yaml files that describe it (one per node, or one for all).
#[derive(Debug, Clone)]
pub struct Region {
    /// `cm_region`, else the `regions/<dir>` name, else `default`.
    pub id: String,
    /// Indices into `Deployment::configs`.
    pub configs: Vec<usize>,
}

/// The role a MetaDB database plays, from config.yaml's database names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DbRole {
    Rm,
    Cm,
    Heartbeat,
    Unknown,
}

impl DbRole {
    pub fn as_str(self) -> &'static str {
        match self {
            DbRole::Rm => "rm",
            DbRole::Cm => "cm",
            DbRole::Heartbeat => "cm_hb",
            DbRole::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMeta {
    pub name: String,
    pub collation: Option<String>,
    /// The declared length of a (var)char column, in characters.
    pub max_len: Option<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct TableMeta {
    pub name: String,
    pub columns: Vec<ColumnMeta>,
    pub rows: u64,
}

/// A MetaDB database as one source saw it.
#[derive(Debug, Clone)]
pub struct Database {
    pub name: String,
    pub role: DbRole,
    /// The dump file, or `None` for the live MetaDB.
    pub path: Option<PathBuf>,
    pub tables: BTreeMap<String, TableMeta>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    pub version: String,
    pub gmt_modified: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct DataSource {
    pub id: String,
    pub name: String,
    pub ds_type: String,
    /// `conn_extra_attributes` says `useLogProxy: true`.
    pub use_log_proxy: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ClusterInfo {
    pub region: String,
    pub cm_url: String,
    pub code: Option<i64>,
    pub is_default: bool,
}

#[derive(Debug, Clone, Default)]
pub struct HeartbeatStats {
    pub rows: u64,
}

/// Everything read from the MetaDB (dumps or live).
#[derive(Debug, Default)]
pub struct MetaDb {
    pub databases: Vec<Database>,
    pub versions: Vec<VersionRow>,
    pub projects: ProjectFacts,
    pub sync_projects: ProjectFacts,
    pub datasources: BTreeMap<String, DataSource>,
    /// `oms_normal_config`: cfg_name -> (row id, cfg_value).
    pub normal_configs: BTreeMap<String, (String, String)>,
    pub cluster_info: Vec<ClusterInfo>,
    /// Components as `config_job` describes them: one per job name, with the source
    /// settings the schema map lists.
    pub job_components: Vec<Component>,
    /// The `config_job` components judged unremarkable and not kept whole (see
    /// `job_keep`): a source folds them into the ones it kept, as `merge` does across
    /// sources.
    pub summarized_jobs: job_keep::Summarized,
    /// Heartbeat table statistics per cm_hb database name.
    pub heartbeat: BTreeMap<String, HeartbeatStats>,
}

impl MetaDb {
    pub fn is_empty(&self) -> bool {
        self.databases.is_empty()
    }

    pub fn database(&self, role: DbRole) -> Option<&Database> {
        self.databases.iter().find(|d| d.role == role)
    }

    /// Folds in what another source (another dump) read.
    pub fn merge(&mut self, other: MetaDb) {
        for db in other.databases {
            match self.databases.iter_mut().find(|d| d.name == db.name) {
                Some(d) => {
                    d.tables.extend(db.tables);
                    if d.role == DbRole::Unknown {
                        d.role = db.role;
                    }
                }
                None => self.databases.push(db),
            }
        }
        self.databases.sort_by(|a, b| a.name.cmp(&b.name));
        self.versions.extend(other.versions);
        if other.projects.seen {
            self.projects = other.projects;
        }
        if other.sync_projects.seen {
            self.sync_projects = other.sync_projects;
        }
        self.datasources.extend(other.datasources);
        self.normal_configs.extend(other.normal_configs);
        self.cluster_info.extend(other.cluster_info);
        // A component two sources describe: of each setting, the first source's value
        // wins (`link::merge_job_components`). Where one side was summarized, what it
        // held is known well enough to fold in: a `dbType` (else it would have been
        // kept) and, when the bit says so, a `blackRegionNo` that fits its region.
        for c in &mut self.job_components {
            if other.summarized_jobs.find(&c.name).is_some() {
                c.source
                    .insert_if_absent(DB_TYPE_SEEN, summarized_db_type());
            }
        }
        let mut later = other.job_components;
        for c in &mut later {
            if let Some(set_black_region) = self.summarized_jobs.find(&c.name) {
                c.source
                    .insert_if_absent(DB_TYPE_SEEN, summarized_db_type());
                if set_black_region {
                    c.source.remove("blackRegionNo");
                }
            }
        }
        self.job_components.extend(later);
        self.summarized_jobs.merge(other.summarized_jobs);
        for (db, h) in other.heartbeat {
            let e = self.heartbeat.entry(db).or_default();
            e.rows += h.rows;
        }
    }
}

/// Where a component's source setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingOrigin {
    /// Boxed: most settings of a large MetaDB come from `config_job`, and the span would
    /// triple the size of every one of them.
    File(Box<Span>),
    /// A `config_job` row (its id).
    ConfigJob(u64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSetting {
    /// The value as text: strings unquoted, other JSON values as compact JSON. Shared:
    /// a MetaDB repeats the same few values across thousands of components.
    pub value: Arc<str>,
    pub origin: SettingOrigin,
}

/// A component's source settings: a sorted vector, because a component has a handful
/// and a MetaDB may describe hundreds of thousands of components.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceSettings(Vec<(Arc<str>, SourceSetting)>);

impl SourceSettings {
    pub fn new() -> Self {
        SourceSettings(Vec::new())
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_ref().cmp(key))
    }

    /// Sets a key, replacing an earlier value.
    pub fn insert(&mut self, key: impl Into<Arc<str>>, setting: SourceSetting) {
        let key = key.into();
        match self.find(&key) {
            Ok(i) => self.0[i].1 = setting,
            Err(i) => self.0.insert(i, (key, setting)),
        }
    }

    /// Sets a key only when it has no value yet.
    pub fn insert_if_absent(&mut self, key: impl Into<Arc<str>>, setting: SourceSetting) {
        let key = key.into();
        if let Err(i) = self.find(&key) {
            self.0.insert(i, (key, setting));
        }
    }

    pub fn get(&self, key: &str) -> Option<&SourceSetting> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    pub fn remove(&mut self, key: &str) -> Option<SourceSetting> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &SourceSetting)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }
}

impl std::ops::Index<&str> for SourceSettings {
    type Output = SourceSetting;

    fn index(&self, key: &str) -> &SourceSetting {
        self.get(key)
            .unwrap_or_else(|| panic!("no source setting {key}"))
    }
}

/// The key under which a summarized component's `dbType` is folded in: its value was not
/// kept (no rule reads it, only whether it is there).
pub const DB_TYPE_SEEN: &str = "dbType";

/// The `dbType` of a component summarized by its source (`job_keep`).
pub fn summarized_db_type() -> SourceSetting {
    SourceSetting {
        value: Arc::from("(set)"),
        origin: SettingOrigin::ConfigJob(0),
    }
}

/// An Incr-Sync / connector component and its source configuration.
#[derive(Debug, Clone, Default)]
pub struct Component {
    pub name: String,
    /// Its directory under `--components`, when it came from files.
    pub dir: Option<PathBuf>,
    /// The file its source settings came from (source.json or a legacy .conf).
    pub source_file: Option<PathBuf>,
    /// Source keys, flattened (`dbType`, `checkpoint`, `boosterClass`, `logproxy.address`,
    /// `ignoreDdl`, …). Secrets are never stored here.
    pub source: SourceSettings,
}

impl Component {
    /// Incr-Sync components per SPEC §3: the name contains `connector` or `incr`.
    pub fn is_incr_sync(&self) -> bool {
        let n = self.name.to_ascii_lowercase();
        n.contains("connector") || n.contains("incr")
    }

    pub fn setting(&self, key: &str) -> Option<&SourceSetting> {
        self.source.get(key)
    }

    /// The project id in the component's name (SPEC §3), read from the name each time:
    /// a MetaDB may describe hundreds of thousands of components.
    pub fn project_id(&self) -> Option<&str> {
        link::project_id_of(&self.name)
    }

    /// The IP that starts the component's name.
    pub fn host_ip(&self) -> Option<&str> {
        link::host_ip_of(&self.name)
    }

    /// The project id whose row the rules need in full: only a component without
    /// `dbType` (nor `db_type`) has OMS005 look at its project's source type and creation
    /// time. Taken per source (files, `config_job`) before they merge, so the union over
    /// sources is a superset of what the merged components need.
    pub fn project_row_needed(&self) -> Option<&str> {
        self.project_id().filter(|_| !self.has_db_type())
    }

    /// `dbType`, or its older spelling `db_type`, is set.
    pub fn has_db_type(&self) -> bool {
        self.setting("dbType").is_some() || self.setting("db_type").is_some()
    }
}

/// One container's view from `docker inspect`.
#[derive(Debug, Clone, Default)]
pub struct Container {
    pub name: String,
    pub image: String,
    /// (container destination, host source) of every bind mount.
    pub binds: Vec<(String, String)>,
    /// (container destination, volume name) of every named volume.
    pub volumes: Vec<(String, String)>,
    pub env_keys: Vec<String>,
    /// The node IP the container was started with (`-e OMS_HOST_IP=`): the one
    /// environment value kept, an address and never a secret.
    pub host_ip: Option<String>,
    /// The line of the file where this container's element starts.
    pub line: u64,
    /// The line of each value read (name, image, bind sources, volumes, host IP), for
    /// diagnostics that point at it.
    pub value_lines: Vec<(String, u64)>,
}

impl Container {
    /// The line where `value` was read, else where the container starts.
    pub fn line_of(&self, value: &str) -> u64 {
        self.value_lines
            .iter()
            .find(|(v, _)| v == value)
            .map_or(self.line, |(_, l)| *l)
    }
}

#[derive(Debug, Clone, Default)]
pub struct DockerInspect {
    pub path: PathBuf,
    pub containers: Vec<Container>,
}

/// What `--backup-dir` held for one dump file.
#[derive(Debug, Clone)]
pub struct BackupFile {
    pub path: PathBuf,
    pub database: Option<String>,
    pub size: u64,
    pub completed: bool,
    /// Why it is not a usable dump, when it is not.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Backups {
    pub dir: PathBuf,
    pub files: Vec<BackupFile>,
}

/// The whole deployment as the sources saw it.
#[derive(Debug, Default)]
pub struct Deployment {
    pub inputs: Vec<Input>,
    pub configs: Vec<ConfigFile>,
    pub regions: Vec<Region>,
    pub metadb: MetaDb,
    pub components: Vec<Component>,
    pub docker: Option<DockerInspect>,
    pub backups: Option<Backups>,
    /// Why the live MetaDB could not be read, when it could not: the checks that need it
    /// report `error` (unknown is not a pass) while the others still run.
    pub metadb_error: Option<String>,
    /// The live MetaDB connection, kept for `--fix` (its password redacted in `Debug`).
    pub live_target: Option<live::Target>,
}

impl Deployment {
    /// The first config file of a region: the one its values are read from.
    pub fn region_config(&self, region: &Region) -> Option<&ConfigFile> {
        region.configs.first().map(|&i| &self.configs[i])
    }

    /// Any config.yaml's value for a key shared by all regions (meta connection, db names).
    pub fn shared_text(&self, key: &str) -> Option<String> {
        self.configs.iter().find_map(|c| c.text(key))
    }

    /// Each region's `cm_nodes`, sorted, from the config that speaks for it.
    pub fn region_node_sets(&self) -> Vec<(String, Vec<String>)> {
        self.regions
            .iter()
            .filter_map(|r| {
                self.region_config(r).map(|c| {
                    let mut n = c.nodes();
                    n.sort();
                    (r.id.clone(), n)
                })
            })
            .collect()
    }

    /// The keys in which another node's config of a region differs from the first one's,
    /// per (region, that node's config index).
    pub fn node_config_differences(&self) -> Vec<(&Region, usize, Vec<String>)> {
        let mut out = Vec::new();
        for r in &self.regions {
            let Some(first) = self.region_config(r) else {
                continue;
            };
            for &i in r.configs.iter().skip(1) {
                let other = &self.configs[i];
                let keys: std::collections::BTreeSet<String> = first
                    .entries
                    .keys()
                    .chain(other.entries.keys())
                    .filter(|k| first.get(k).map(|e| &e.value) != other.get(k).map(|e| &e.value))
                    .cloned()
                    .collect();
                if !keys.is_empty() {
                    out.push((r, i, keys.into_iter().collect()));
                }
            }
        }
        out
    }

    /// OMS013's condition: `docker_init.sh` must run on every node.
    pub fn nodes_disagree(&self) -> bool {
        self.region_node_sets().windows(2).any(|w| w[0].1 != w[1].1)
            || !self.node_config_differences().is_empty()
    }

    /// The region whose `cm_nodes` list the IP; with a single region, that region.
    pub fn region_of_ip(&self, ip: Option<&str>) -> Option<&Region> {
        if self.regions.len() == 1 {
            return self.regions.first();
        }
        let ip = ip?;
        self.regions.iter().find(|r| {
            r.configs
                .iter()
                .any(|&i| self.configs[i].nodes().iter().any(|n| n == ip))
        })
    }
}
