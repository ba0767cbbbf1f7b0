//! Sources fill the facts: config.yaml files, MetaDB dumps, component configs, docker
//! inspect output and the backup directory. `load` reads whatever was given (a snapshot
//! directory is shorthand for all of them) into one `Deployment`.

pub mod backups;
pub mod components;
pub mod config_yaml;
pub mod docker_inspect;
pub mod dump;
pub mod metadb;
pub mod metadb_dumps;
pub mod redact;
pub mod snapshot;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::facts::{ConfigFile, DbRole, Deployment, Input, Region};
use crate::schema_map::SchemaMap;

/// Every source the command line names, after a snapshot directory has been expanded.
#[derive(Debug, Default, Clone)]
pub struct SourceList {
    /// (path, regions/<dir> name)
    pub configs: Vec<(PathBuf, Option<String>)>,
    pub dumps: Vec<PathBuf>,
    pub components: Vec<PathBuf>,
    pub docker_inspect: Option<PathBuf>,
    pub backup_dir: Option<PathBuf>,
    pub settings: Option<PathBuf>,
    pub metadb: Option<LiveSpec>,
}

/// `--metadb` and the flags that go with it, resolved into a `Target` once config.yaml
/// has been read (`--metadb config` takes its connection from there).
#[derive(Debug, Clone)]
pub struct LiveSpec {
    /// `mysql://user@host:port`, or `config`.
    pub url: String,
    pub password_file: Option<PathBuf>,
    pub ssl_mode: metadb::SslMode,
    pub ssl_ca: Option<PathBuf>,
    pub connect_timeout_s: u64,
    pub query_timeout_s: u64,
}

impl LiveSpec {
    fn target(&self, configs: &[ConfigFile]) -> Result<metadb::Target> {
        let (user, host, port, config_password) = if self.url.trim() == "config" {
            metadb::target::from_config(configs)?
        } else {
            let (u, h, p) = metadb::target::parse_url(&self.url)?;
            (u, h, p, None)
        };
        let password =
            metadb::target::password(self.password_file.as_deref(), config_password.as_ref())?;
        Ok(metadb::Target {
            host,
            port,
            user,
            password,
            ssl_mode: self.ssl_mode,
            ssl_ca: self.ssl_ca.clone(),
            connect_timeout_s: self.connect_timeout_s,
            query_timeout_s: self.query_timeout_s,
        })
    }
}

impl SourceList {
    pub fn is_empty(&self) -> bool {
        self.configs.is_empty()
            && self.dumps.is_empty()
            && self.components.is_empty()
            && self.docker_inspect.is_none()
            && self.backup_dir.is_none()
            && self.metadb.is_none()
    }
}

/// The line number a serde-saphyr error message mentions, 0 when none.
pub fn yaml_error_line(message: &str) -> u64 {
    let re = regex::Regex::new(r"line (\d+)").expect("static regex");
    re.captures(message)
        .and_then(|c| c[1].parse().ok())
        .unwrap_or(0)
}

/// SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| Error::unreadable(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::unreadable(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// SHA-256 over a directory tree: every file's relative path and content, sorted.
pub fn sha256_dir(dir: &Path) -> Result<String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| Error::unreadable(&d, e))? {
            let e = e.map_err(|e| Error::unreadable(&d, e))?;
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.is_file() {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut h = Sha256::new();
    for f in files {
        let rel = f.strip_prefix(dir).unwrap_or(&f);
        h.update(rel.to_string_lossy().as_bytes());
        h.update([0]);
        h.update(sha256_file(&f)?.as_bytes());
    }
    Ok(hex(&h.finalize()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Groups config files into regions: by `regions/<dir>` when they came from one, else by
/// `cm_region`; files of one region are its nodes.
pub fn regions_of(configs: &[ConfigFile]) -> Vec<Region> {
    let mut regions: Vec<Region> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, c) in configs.iter().enumerate() {
        let group = c
            .region_dir
            .clone()
            .map(|d| format!("dir:{d}"))
            .or_else(|| c.text("cm_region").map(|r| format!("region:{r}")))
            .unwrap_or_else(|| "default".into());
        let id = c
            .text("cm_region")
            .or_else(|| c.region_dir.clone())
            .unwrap_or_else(|| "default".into());
        match index.get(&group) {
            Some(&r) => regions[r].configs.push(i),
            None => {
                index.insert(group, regions.len());
                regions.push(Region {
                    id,
                    configs: vec![i],
                });
            }
        }
    }
    regions
}

/// Database name → role, from every config.yaml's drc_* keys.
pub fn roles_from_configs(configs: &[ConfigFile]) -> HashMap<String, DbRole> {
    let mut roles = HashMap::new();
    for c in configs {
        for (key, role) in [
            ("drc_rm_db", DbRole::Rm),
            ("drc_cm_db", DbRole::Cm),
            ("drc_cm_heartbeat_db", DbRole::Heartbeat),
        ] {
            if let Some(name) = c.text(key) {
                roles.insert(name, role);
            }
        }
    }
    roles
}

/// Reads every source into one deployment.
pub fn load(list: &SourceList, schema: &SchemaMap) -> Result<Deployment> {
    let mut d = Deployment::default();
    for (path, region_dir) in &list.configs {
        let c = config_yaml::read_config(path, region_dir.clone())?;
        d.inputs.push(Input {
            kind: "config",
            path: path.display().to_string(),
            sha256: Some(sha256_file(path)?),
        });
        d.configs.push(c);
    }
    d.regions = regions_of(&d.configs);
    for dir in &list.components {
        d.components.extend(components::read_components(dir)?);
        d.inputs.push(Input {
            kind: "components",
            path: dir.display().to_string(),
            sha256: Some(sha256_dir(dir)?),
        });
    }
    if let Some(p) = &list.docker_inspect {
        d.docker = Some(docker_inspect::read_docker_inspect(p)?);
        d.inputs.push(Input {
            kind: "docker-inspect",
            path: p.display().to_string(),
            sha256: Some(sha256_file(p)?),
        });
    }
    if let Some(dir) = &list.backup_dir {
        d.backups = Some(backups::read_backup_dir(dir)?);
        d.inputs.push(Input {
            kind: "backup-dir",
            path: dir.display().to_string(),
            sha256: None,
        });
    }
    if let Some(spec) = &list.metadb {
        if !list.dumps.is_empty() {
            return Err(Error::Usage(
                "--metadb and dumps (--dump, SNAPSHOT_DIR/metadb) are two views of the same databases: give one".into(),
            ));
        }
        let target = spec.target(&d.configs)?;
        let roles = roles_from_configs(&d.configs);
        d.inputs.push(Input {
            kind: "metadb",
            path: format!("mysql://{}@{}", target.user, target.address()),
            sha256: None,
        });
        match metadb::read_live(&target, schema, &roles, &d.components) {
            Ok(metadb) => d.metadb = metadb,
            Err(Error::CheckFailed(why)) => d.metadb_error = Some(why),
            Err(e) => return Err(e),
        }
        d.live_target = Some(target);
    }
    if !list.dumps.is_empty() {
        let roles = roles_from_configs(&d.configs);
        let (metadb, inputs) = metadb_dumps::read_dumps(&list.dumps, schema, roles, &d.components)?;
        d.metadb = metadb;
        d.inputs.extend(inputs);
    }
    let jobs = std::mem::take(&mut d.metadb.job_components);
    crate::facts::link::merge_job_components(&mut d.components, jobs);
    d.inputs.sort();
    Ok(d)
}
