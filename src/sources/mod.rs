//! Sources fill the facts: config.yaml files, MetaDB dumps, component configs, docker
//! inspect output and the backup directory. `load` reads whatever was given (a snapshot
//! directory is shorthand for all of them) into one `Deployment`.

pub mod backups;
pub mod components;
pub mod config_yaml;
pub mod docker_inspect;
pub mod dump;
pub mod facts_builder;
pub mod metadb;
pub mod metadb_dumps;
pub use crate::redact;
pub mod snapshot;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::facts::job_keep::{JobKeep, RegionLocation};
use crate::facts::{ConfigFile, DbRole, Deployment, Input, Region};
use crate::schema_map::SchemaMap;

/// Every source the command line names, after a snapshot directory has been expanded.
#[derive(Debug, Default, Clone)]
pub struct SourceList {
    /// (path, `regions/<dir>` name)
    pub configs: Vec<(PathBuf, Option<String>)>,
    pub dumps: Vec<PathBuf>,
    pub components: Vec<PathBuf>,
    pub docker_inspect: Option<PathBuf>,
    pub backup_dir: Option<PathBuf>,
    pub settings: Option<PathBuf>,
    pub metadb: Option<LiveSpec>,
    /// Snapshot entries that are there but cannot be read (a dangling symbolic link, a
    /// loop): `load` reads everything else first, so that an input that cannot be parsed
    /// (exit 2) is reported before them (exit 3), as SPEC §2 orders it.
    /// (path, why) of each.
    pub unreadable: Vec<(PathBuf, String)>,
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
            && self.unreadable.is_empty()
    }
}

/// What an input path is once symbolic links are followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    /// A named pipe, socket or device: never read from a snapshot (a pipe with no writer
    /// would wait forever).
    Special(&'static str),
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::File => "a file",
            Kind::Dir => "a directory",
            Kind::Special(what) => what,
        }
    }
}

/// What is at `path`: `None` when nothing is, an `Unreadable` error (exit 3) naming the
/// problem when something is there but cannot be followed (a dangling symbolic link, a
/// loop, a directory without permission).
pub fn look(path: &Path) -> Result<Option<Kind>> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(path, &e)),
        Ok(_) => {}
    }
    let meta = std::fs::metadata(path).map_err(|e| unreadable(path, &e))?;
    Ok(Some(kind_of(&meta)))
}

fn kind_of(meta: &std::fs::Metadata) -> Kind {
    if meta.is_file() {
        return Kind::File;
    }
    if meta.is_dir() {
        return Kind::Dir;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return Kind::Special("a named pipe (FIFO)");
        }
        if t.is_socket() {
            return Kind::Special("a socket");
        }
        if t.is_block_device() || t.is_char_device() {
            return Kind::Special("a device");
        }
    }
    Kind::Special("not a regular file")
}

/// An I/O error on `path` as `Unreadable` (exit 3), saying what is wrong when the path is
/// a symbolic link that leads nowhere or back to itself.
pub fn unreadable(path: &Path, err: &std::io::Error) -> Error {
    Error::unreadable(path, link_problem(path).unwrap_or_else(|| err.to_string()))
}

/// Hops followed before a chain of symbolic links counts as a loop (Linux's limit).
const MAX_LINK_HOPS: usize = 40;

/// Why a symbolic link cannot be followed, `None` when `path` is no symbolic link or its
/// chain ends at something that exists.
fn link_problem(path: &Path) -> Option<String> {
    let first = std::fs::symlink_metadata(path).ok()?;
    if !first.file_type().is_symlink() {
        return None;
    }
    let mut seen = HashSet::new();
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINK_HOPS {
        let meta = match std::fs::symlink_metadata(&current) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Some(format!(
                    "dangling symbolic link: its target {} does not exist",
                    current.display()
                ))
            }
            Err(_) => return None,
        };
        if !meta.file_type().is_symlink() {
            return None;
        }
        if !seen.insert(current.clone()) {
            return Some(format!(
                "symbolic link loop: {} leads back to itself",
                path.display()
            ));
        }
        let target = std::fs::read_link(&current).ok()?;
        current = match current.parent() {
            Some(parent) if target.is_relative() => parent.join(&target),
            _ => target,
        };
    }
    Some(format!(
        "symbolic link loop: more than {MAX_LINK_HOPS} links followed from {}",
        path.display()
    ))
}

pub use crate::textfile::{decode_utf8, yaml_error_line};

/// SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| unreadable(path, &e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| unreadable(path, &e))?;
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
        for e in std::fs::read_dir(&d).map_err(|e| unreadable(&d, &e))? {
            let e = e.map_err(|e| unreadable(&d, &e))?;
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

/// Sources that could not be read, kept while the others are read: an input that cannot
/// be parsed (exit 2) wins over one that cannot be read (exit 3), whichever comes first.
#[derive(Default)]
struct Unreadable(Vec<Error>);

impl Unreadable {
    /// `Ok(None)` for an unreadable source (kept for the end), the error for any other.
    fn keep<T>(&mut self, r: Result<T>) -> Result<Option<T>> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(e @ Error::Unreadable { .. }) => {
                self.0.push(e);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The first unreadable source, naming the others.
    fn into_result(self) -> Result<()> {
        let mut all = self.0.into_iter();
        let Some(first) = all.next() else {
            return Ok(());
        };
        let others: Vec<String> = all
            .map(|e| match e {
                Error::Unreadable { path, message } => format!("{} ({message})", path.display()),
                other => other.to_string(),
            })
            .collect();
        match first {
            Error::Unreadable { path, message } if !others.is_empty() => Err(Error::Unreadable {
                path,
                message: format!("{message}; also unreadable: {}", others.join("; ")),
            }),
            e => Err(e),
        }
    }
}

/// Reads every source into one deployment.
/// How the MetaDB readers judge `config_job` components (see `facts::job_keep`): by
/// the file components' names and each region's `cm_nodes` and `cm_location`.
/// `OMSLINT_KEEP_ALL_COMPONENTS=1` keeps every one whole: the test that holds the judging
/// to the rules compares reports made both ways.
fn job_keep(d: &Deployment) -> JobKeep {
    if std::env::var_os("OMSLINT_KEEP_ALL_COMPONENTS").is_some_and(|v| v == "1") {
        return JobKeep::keep_all();
    }
    JobKeep {
        all: false,
        file_names: d.components.iter().map(|c| c.name.clone()).collect(),
        regions: d
            .regions
            .iter()
            .map(|r| RegionLocation {
                nodes: r
                    .configs
                    .iter()
                    .flat_map(|&i| d.configs[i].nodes())
                    .collect(),
                cm_location: d
                    .region_config(r)
                    .and_then(|c| c.get("cm_location"))
                    .and_then(|e| e.value.as_int()),
            })
            .collect(),
    }
}

pub fn load(list: &SourceList, schema: &SchemaMap) -> Result<Deployment> {
    let mut d = Deployment::default();
    let mut unreadable = Unreadable(
        list.unreadable
            .iter()
            .map(|(path, message)| Error::Unreadable {
                path: path.clone(),
                message: message.clone(),
            })
            .collect(),
    );
    for (path, region_dir) in &list.configs {
        let read = config_yaml::read_config_hashed(path, region_dir.clone());
        if let Some((c, sha256)) = unreadable.keep(read)? {
            d.inputs.push(Input {
                kind: "config",
                path: path.display().to_string(),
                sha256: Some(sha256),
            });
            d.configs.push(c);
        }
    }
    d.regions = regions_of(&d.configs);
    for dir in &list.components {
        let read = components::read_components(dir).and_then(|c| Ok((c, sha256_dir(dir)?)));
        if let Some((components, sha256)) = unreadable.keep(read)? {
            d.components.extend(components);
            d.inputs.push(Input {
                kind: "components",
                path: dir.display().to_string(),
                sha256: Some(sha256),
            });
        }
    }
    if let Some(p) = &list.docker_inspect {
        let read = config_yaml::read_text_hashed(p).and_then(|(text, sha256)| {
            Ok((docker_inspect::parse_docker_inspect(p, &text)?, sha256))
        });
        if let Some((docker, sha256)) = unreadable.keep(read)? {
            d.docker = Some(docker);
            d.inputs.push(Input {
                kind: "docker-inspect",
                path: p.display().to_string(),
                sha256: Some(sha256),
            });
        }
    }
    if let Some(dir) = &list.backup_dir {
        if let Some(backups) = unreadable.keep(backups::read_backup_dir(dir))? {
            d.backups = Some(backups);
            d.inputs.push(Input {
                kind: "backup-dir",
                path: dir.display().to_string(),
                sha256: None,
            });
        }
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
        // With a source already unreadable the run ends in exit 3 anyway: no connection.
        if unreadable.0.is_empty() {
            let keep = Arc::new(job_keep(&d));
            match metadb::read_live(&target, schema, &roles, &d.components, &keep) {
                Ok(metadb) => d.metadb = metadb,
                Err(Error::CheckFailed(why)) => d.metadb_error = Some(why),
                Err(e) => return Err(e),
            }
        }
        d.live_target = Some(target);
    }
    if !list.dumps.is_empty() {
        let roles = roles_from_configs(&d.configs);
        let keep = Arc::new(job_keep(&d));
        let read = metadb_dumps::read_dumps(&list.dumps, schema, roles, &d.components, &keep);
        if let Some((metadb, inputs)) = unreadable.keep(read)? {
            d.metadb = metadb;
            d.inputs.extend(inputs);
        }
    }
    unreadable.into_result()?;
    // Folded into the components by the merges of the sources' facts: no rule reads them,
    // and a large MetaDB summarizes hundreds of thousands (16 bytes each).
    d.metadb.summarized_jobs = Default::default();
    let jobs = std::mem::take(&mut d.metadb.job_components);
    crate::facts::link::merge_job_components(&mut d.components, jobs);
    d.inputs.sort();
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_err(bytes: &[u8]) -> (u64, u64, String) {
        match decode_utf8(Path::new("f.yaml"), bytes.to_vec()) {
            Err(Error::Parse {
                pos: Some(p),
                message,
                ..
            }) => (p.line, p.column, message),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn utf8_is_required_and_the_first_bad_byte_located() {
        assert_eq!(
            decode_utf8(Path::new("f"), "\u{feff}a: 杭州\n".into()).expect("utf-8"),
            "\u{feff}a: 杭州\n"
        );
        let (line, column, message) = decode_err(b"a: 1\nregion: \xba\xbc\xd6\xdd\n");
        assert_eq!((line, column), (2, 9));
        assert!(message.contains("bytes 0xBA 0xBC 0xD6 0xDD"), "{message}");
        // Columns count characters, after a BOM on the first line.
        let mut bytes = "\u{feff}名前: é".as_bytes().to_vec();
        bytes.push(0xFF);
        let (line, column, _) = decode_err(&bytes);
        assert_eq!((line, column), (1, 6));
        let (line, column, message) = decode_err(b"\xef\xbb\xbfab\xff");
        assert_eq!((line, column), (1, 3));
        assert!(message.contains("byte 0xFF"), "{message}");
        // A sequence cut by the end of the file.
        let (line, column, message) = decode_err(b"x\ny: \xe6\x9d");
        assert_eq!((line, column), (2, 4));
        assert!(message.contains("0xE6 0x9D"), "{message}");
        let (line, column, message) = decode_err(&[0xFF, 0xFE, b'a', 0]);
        assert_eq!((line, column), (1, 1));
        assert!(message.contains("UTF-16"), "{message}");
    }

    #[test]
    fn a_bad_byte_in_a_secret_is_not_shown() {
        for text in [
            &b"oms_meta_password: S3cr\xba\n"[..],
            b"a: 1\ndrc_password: |\n  S3cr\xba\n",
            b"{\"pasword\": \"S3cr\xba\"}",
        ] {
            let (_, _, message) = decode_err(text);
            assert!(message.contains("a byte in a secret's value"), "{message}");
            assert!(!message.contains("0xBA"), "{message}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_that_lead_nowhere_say_why() {
        let dir = std::env::temp_dir().join(format!("omslint-links-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("tmp");
        let link = |name: &str, target: &str| {
            let p = dir.join(name);
            std::os::unix::fs::symlink(target, &p).expect("symlink");
            p
        };
        let self_loop = link("a", "a");
        let b = link("b", "c");
        link("c", "b");
        let dangling = link("d", "gone");
        std::fs::write(dir.join("real"), "x").expect("write");
        let good = link("e", "real");
        for (p, want) in [(&self_loop, "loop"), (&b, "loop"), (&dangling, "dangling")] {
            match look(p) {
                Err(e @ Error::Unreadable { .. }) => {
                    assert!(e.to_string().contains(want), "{e}");
                    assert_eq!(e.exit_code(), 3);
                }
                other => panic!("{}: {other:?}", p.display()),
            }
        }
        assert_eq!(look(&good).expect("resolves"), Some(Kind::File));
        assert_eq!(look(&dir.join("none")).expect("absent"), None);
        assert_eq!(look(&dir).expect("dir"), Some(Kind::Dir));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
