//! The deployment as the runbook addresses it, modelled once: regions → hosts →
//! containers. A host that several regions list is one host (stopped, started and
//! initialized once); every value that lands in a command has been checked for its kind
//! here, and an invalid one stops the plan (exit 2) naming its file and line.

use std::path::Path;

use crate::error::{Error, Result};
use crate::facts::{Container, Deployment, ProjectFacts};
use crate::values::{check, Kind};

/// The container paths the guides mount, in the order of their `docker run` command.
pub const OMS_MOUNTS: [&str; 4] = [
    "/home/admin/conf/config.yaml",
    "/home/admin/logs",
    "/home/ds/store",
    "/home/ds/run",
];

/// Where a mount of the new container comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A host path the old container binds.
    Path(String),
    /// A named docker volume of the old container.
    Volume(String),
    /// Not known (no docker inspect, or the old container lacks it): a shell variable
    /// the operator sets, named here.
    Unknown(String),
}

#[derive(Debug, Clone)]
pub struct Host {
    pub ip: String,
    /// The container running today (from docker inspect); `None`: `${CONTAINER_NAME}`.
    pub container: Option<String>,
    /// (source, container path), the guides' mounts first, then the old container's other
    /// binds.
    pub mounts: Vec<(Source, String)>,
    pub image: Option<String>,
    /// The regions (indexes) whose cm_nodes list this host.
    pub regions: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct RegionPlan {
    /// cm_region, else the `regions/<dir>` name: shown, never put into a command.
    pub id: String,
    /// The region's config.yaml, as given to omslint.
    pub config: String,
    /// Hosts (indexes into `Topology::hosts`), in cm_nodes order.
    pub hosts: Vec<usize>,
    pub heartbeat_db: Option<String>,
    /// The region's nodes carry config files that differ.
    pub configs_differ: bool,
}

/// The MetaDB connection as the runbook's mysql commands write it.
#[derive(Debug, Clone)]
pub struct Meta {
    pub host: Option<String>,
    pub port: Option<String>,
    pub user: Option<String>,
    pub rm_db: Option<String>,
    pub cm_db: Option<String>,
}

pub struct Topology {
    pub regions: Vec<RegionPlan>,
    pub hosts: Vec<Host>,
    pub meta: Meta,
    /// OMS013's condition: the regions list different cm_nodes, or a region's nodes carry
    /// different config files.
    pub nodes_disagree: bool,
    /// Every region lists the same hosts (and there are several regions).
    pub regions_share_hosts: bool,
    pub stuck_projects: Vec<String>,
    pub full_import: Vec<String>,
    pub have_inspect: bool,
}

impl Topology {
    /// Every MetaDB database the upgrade touches: rm, cm, each region's cm_hb, as
    /// (name, or the placeholder's shell variable when unknown).
    pub fn databases(&self) -> Vec<Db> {
        let mut dbs = vec![
            Db::of(self.meta.rm_db.as_deref(), "RM_DB", "drc_rm_db"),
            Db::of(self.meta.cm_db.as_deref(), "CM_DB", "drc_cm_db"),
        ];
        for (i, r) in self.regions.iter().enumerate() {
            let db = Db::of(
                r.heartbeat_db.as_deref(),
                &format!("CM_HB_DB_{}", i + 1),
                "drc_cm_heartbeat_db",
            );
            if !dbs.contains(&db) {
                dbs.push(db);
            }
        }
        dbs
    }
}

/// A database of the runbook: its validated name, or a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Db {
    Named(String),
    Unknown { var: String, key: &'static str },
}

impl Db {
    fn of(name: Option<&str>, var: &str, key: &'static str) -> Db {
        match name {
            Some(n) => Db::Named(n.to_string()),
            None => Db::Unknown {
                var: var.to_string(),
                key,
            },
        }
    }

    /// The name as a shell word: the name itself (validated), or the variable.
    pub fn shell(&self) -> String {
        match self {
            Db::Named(n) => n.clone(),
            Db::Unknown { var, key } => required_var(var, &format!("set {var} to {key}")),
        }
    }

    /// A file name for its dump (`rm_340.sql`, or `"${RM_DB}.sql"`).
    pub fn dump_file(&self) -> String {
        match self {
            Db::Named(n) => format!("{n}.sql"),
            Db::Unknown { var, .. } => format!("\"${{{var}}}.sql\""),
        }
    }

    /// As SQL: the quoted identifier, or the variable for a client-side substitution.
    pub fn display(&self) -> String {
        match self {
            Db::Named(n) => n.clone(),
            Db::Unknown { var, key } => format!("<{key}: {var}>"),
        }
    }
}

/// A shell expansion that stops the command with `why` when the variable is unset: a
/// placeholder that is safe to paste and survives any renderer.
pub fn required_var(var: &str, why: &str) -> String {
    let why: String = why
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || " _.-/:,()".contains(*c))
        .collect();
    format!("\"${{{var}:?{why}}}\"")
}

fn invalid(path: &Path, line: u64, column: u64, why: String) -> Error {
    Error::parse(
        path,
        line,
        column,
        format!("{why}: omslint plan puts no such value into a command"),
    )
}

/// A docker-inspect value checked for its kind.
fn checked(path: &Path, c: &Container, kind: Kind, what: &str, value: &str) -> Result<String> {
    check(kind, value)
        .map(|()| value.to_string())
        .map_err(|why| invalid(path, c.line_of(value), 0, format!("{what}: {why}")))
}

fn stuck(p: &ProjectFacts, out: &mut Vec<String>) {
    for pr in &p.not_ready {
        let s = pr.status().trim().to_ascii_uppercase();
        if s == "FAILED" || s == "SUSPEND" {
            out.push(format!(
                "{} {} ({}): {s}",
                p.kind.label(),
                pr.id(),
                pr.name()
            ));
        }
    }
}

pub fn gather(d: &Deployment) -> Result<Topology> {
    // Config values first: the first invalid one stops the plan where it is written.
    for c in &d.configs {
        if let Some((_, line, column, why)) = c.value_problems().into_iter().next() {
            return Err(invalid(&c.path, line, column, why));
        }
    }
    let containers: &[Container] = d.docker.as_ref().map_or(&[], |x| &x.containers);
    let inspect_path = d.docker.as_ref().map(|x| x.path.as_path());

    let mut hosts: Vec<Host> = Vec::new();
    let mut regions = Vec::new();
    let node_differences = d.node_config_differences();
    for (ri, r) in d.regions.iter().enumerate() {
        let cfg = d.region_config(r);
        let mut ips: Vec<String> = Vec::new();
        for &i in &r.configs {
            for n in d.configs[i].nodes() {
                if !ips.contains(&n) {
                    ips.push(n);
                }
            }
        }
        if ips.is_empty() {
            // No cm_nodes (OMS012): the region's node is named, never guessed.
            ips.push(format!("<a node of region {}>", r.id));
        }
        let mut idx = Vec::new();
        for ip in ips {
            let h = match hosts.iter().position(|h| h.ip == ip) {
                Some(h) => h,
                None => {
                    hosts.push(Host {
                        ip,
                        container: None,
                        mounts: Vec::new(),
                        image: None,
                        regions: Vec::new(),
                    });
                    hosts.len() - 1
                }
            };
            if !hosts[h].regions.contains(&ri) {
                hosts[h].regions.push(ri);
            }
            if !idx.contains(&h) {
                idx.push(h);
            }
        }
        regions.push(RegionPlan {
            id: r.id.clone(),
            config: cfg.map_or_else(String::new, |c| c.path.display().to_string()),
            hosts: idx,
            heartbeat_db: cfg.and_then(|c| c.text("drc_cm_heartbeat_db")),
            configs_differ: node_differences.iter().any(|(nr, _, _)| nr.id == r.id),
        });
    }

    // Which container runs on a host: by the OMS_HOST_IP it was started with; else one
    // container per host in order; else the only container.
    let container_of = |i: usize, ip: &str| -> Option<&Container> {
        if let Some(c) = containers.iter().find(|c| c.host_ip.as_deref() == Some(ip)) {
            return Some(c);
        }
        match containers.len() {
            1 => containers.first(),
            n if n == hosts.len() => containers.get(i),
            _ => None,
        }
    };
    let mut resolved = Vec::with_capacity(hosts.len());
    for (i, h) in hosts.iter().enumerate() {
        let mut h = h.clone();
        let c = container_of(i, &h.ip);
        if let (Some(c), Some(path)) = (c, inspect_path) {
            if !c.name.is_empty() {
                h.container = Some(checked(
                    path,
                    c,
                    Kind::DockerName,
                    "container name",
                    &c.name,
                )?);
            }
            if !c.image.is_empty() && !c.image.starts_with("sha256:") {
                h.image = Some(checked(path, c, Kind::Image, "image", &c.image)?);
            }
        }
        for (k, dst) in OMS_MOUNTS.iter().enumerate() {
            let bound = c.and_then(|c| c.binds.iter().find(|(d, _)| d == dst));
            let volume = c.and_then(|c| c.volumes.iter().find(|(d, _)| d == dst));
            let source = match (bound, volume, c, inspect_path) {
                (Some((_, src)), _, Some(c), Some(path)) => {
                    Source::Path(checked(path, c, Kind::AbsPath, "bind source", src)?)
                }
                (None, Some((_, name)), Some(c), Some(path)) => {
                    Source::Volume(checked(path, c, Kind::DockerName, "volume", name)?)
                }
                _ => Source::Unknown(
                    [
                        "OMS_CONFIG_PATH",
                        "OMS_LOGS_PATH",
                        "OMS_STORE_PATH",
                        "OMS_RUN_PATH",
                    ][k]
                        .to_string(),
                ),
            };
            h.mounts.push((source, dst.to_string()));
        }
        if let (Some(c), Some(path)) = (c, inspect_path) {
            for (dst, src) in &c.binds {
                if !OMS_MOUNTS.contains(&dst.as_str()) {
                    let src = checked(path, c, Kind::AbsPath, "bind source", src)?;
                    let dst = checked(path, c, Kind::AbsPath, "bind destination", dst)?;
                    h.mounts.push((Source::Path(src), dst));
                }
            }
        }
        resolved.push(h);
    }

    let text = |k: &str| d.shared_text(k).map(|v| v.trim().to_string());
    let mut stuck_projects = Vec::new();
    stuck(&d.metadb.projects, &mut stuck_projects);
    stuck(&d.metadb.sync_projects, &mut stuck_projects);
    let mut full_import: Vec<String> = d
        .components
        .iter()
        .chain(d.metadb.job_components.iter())
        .filter(|c| {
            let n = c.name.to_ascii_lowercase();
            n.contains("full_import") || n.contains("full-import")
        })
        .map(|c| c.name.clone())
        .collect();
    full_import.sort();
    full_import.dedup();
    let sets = d.region_node_sets();
    Ok(Topology {
        regions_share_hosts: sets.len() > 1 && sets.windows(2).all(|w| w[0].1 == w[1].1),
        regions,
        hosts: resolved,
        meta: Meta {
            host: text("oms_meta_host"),
            port: text("oms_meta_port"),
            user: text("oms_meta_user"),
            rm_db: text("drc_rm_db"),
            cm_db: text("drc_cm_db"),
        },
        nodes_disagree: d.nodes_disagree(),
        stuck_projects,
        full_import,
        have_inspect: d.docker.is_some(),
    })
}
