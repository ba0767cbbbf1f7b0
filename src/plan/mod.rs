//! `omslint plan`: the upgrade runbook of SPEC §7 for one deployment.
//!
//! The steps of the upgrade guides, in order, with this deployment's values filled in
//! (nodes, containers, binds, MetaDB databases) from the same facts `lint` reads. No
//! secret from any input is ever read here: passwords are written as `<password>`.

pub mod json;
pub mod markdown;

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::cli::{Format, PlanArgs, PlanFormat};
use crate::error::{Error, Result};
use crate::facts::{Deployment, ProjectFacts};
use crate::finding::{Finding, Severity};
use crate::rules::Hop as HopFacts;
use crate::upgrade::{Cleanup, DockerInit, Fork, PathProblem, UpgradeGraph, UpgradePath};
use crate::version::Version;

/// The container paths the guides mount, in the order of their `docker run` command.
const OMS_MOUNTS: [&str; 4] = [
    "/home/admin/conf/config.yaml",
    "/home/admin/logs",
    "/home/ds/store",
    "/home/ds/run",
];

const CORRECTION_JAR: &str = "/opt/alibaba/java/bin/java -jar correction-1.0-SNAPSHOT-jar-with-dependencies.jar -mupgrade -y/home/admin/conf/config.yaml";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Manual,
    Command,
    Sql,
    Check,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Manual => "manual",
            Kind::Command => "command",
            Kind::Sql => "sql",
            Kind::Check => "check",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub n: usize,
    pub title: String,
    pub kind: Kind,
    /// A node IP, `console`, `every node`, `MetaDB`, or `region <id>`.
    pub node: String,
    pub commands: Vec<String>,
    pub checks: Vec<String>,
    pub manual: bool,
    /// What the DBA must know to run the step (console clicks, where to connect).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    pub from: String,
    pub to: String,
    /// The published guide this hop's steps come from.
    pub guide: String,
    /// True when the hop runs the correction package (see `forks` when it is unknown).
    pub correction_package: bool,
    pub forks: Forks,
    pub steps: Vec<Step>,
}

/// The procedure forks of a hop, each as its guide gives it or `unknown` where no guide
/// of the edition says.
#[derive(Debug, Clone, Serialize)]
pub struct Forks {
    /// run | skip | unknown
    pub correction_package: &'static str,
    /// swap | delete | unknown
    pub heartbeat_cleanup: &'static str,
    /// once | per-region | unknown
    pub docker_init: &'static str,
    pub is_upgrade: bool,
    pub image_tag: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Precondition {
    /// `finding` (a blocking lint finding), `console` (a check the MetaDB cannot show) or
    /// `check-error` (a lint check that could not run).
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub message: String,
    /// The hop the finding belongs to, on a path with several hops.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hop: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpgradeInfo {
    pub from: String,
    pub to: String,
    pub path: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub schema_version: u32,
    pub upgrade: UpgradeInfo,
    pub hops: Vec<Hop>,
    pub preconditions: Vec<Precondition>,
    pub rollback: Vec<Step>,
    /// Deployment-wide remarks (placeholders to fill, what the rollback restores).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One OMS node as the runbook addresses it.
#[derive(Debug, Clone)]
struct Node {
    ip: String,
    /// The container running today (from docker inspect), else `${CONTAINER_NAME}`.
    container: String,
    /// `-v HOST:CONTAINER` sources, in the order of `OMS_MOUNTS` then any extra binds.
    binds: Vec<(String, String)>,
    /// Container paths whose host side is not known (filled with a placeholder).
    unknown_binds: Vec<String>,
    image: Option<String>,
}

#[derive(Debug, Clone)]
struct RegionPlan {
    id: String,
    nodes: Vec<Node>,
    heartbeat_db: String,
    /// The region's nodes carry config files that differ.
    configs_differ: bool,
}

/// What every hop reads from the deployment.
struct Facts {
    regions: Vec<RegionPlan>,
    meta_host: String,
    meta_port: String,
    meta_user: String,
    rm_db: String,
    cm_db: String,
    /// docker_init.sh on every node (OMS013's condition).
    init_every_node: bool,
    stuck_projects: Vec<String>,
    full_import: Vec<String>,
    downtime_min: u64,
    have_inspect: bool,
}

impl Facts {
    /// Every node once, in region order: a host that several regions list is one host.
    fn nodes(&self) -> impl Iterator<Item = &Node> {
        let mut seen = std::collections::HashSet::new();
        self.regions
            .iter()
            .flat_map(|r| r.nodes.iter())
            .filter(move |n| seen.insert(n.ip.as_str()))
    }

    /// `-h… -P… -u… -p<password>` for mysql and mysqldump.
    fn login(&self) -> String {
        format!(
            "-h{} -P{} -u{} -p<password>",
            self.meta_host,
            self.meta_port,
            shell_word(&self.meta_user)
        )
    }

    /// Every MetaDB database the upgrade touches: rm, cm, each region's cm_hb.
    fn databases(&self) -> Vec<String> {
        let mut dbs = vec![self.rm_db.clone(), self.cm_db.clone()];
        for r in &self.regions {
            if !dbs.contains(&r.heartbeat_db) {
                dbs.push(r.heartbeat_db.clone());
            }
        }
        dbs
    }
}

/// Quotes a word for the shell when it holds anything beyond the plain characters.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%_-.,/:=+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// What `docker inspect` says beyond the parsed facts: the node IP each container was
/// started with and its named volumes (only these two values are read).
#[derive(Debug, Default, Clone)]
struct InspectExtra {
    host_ip: Option<String>,
    volumes: Vec<(String, String)>,
}

fn inspect_extras(path: &Path) -> Vec<InspectExtra> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let items = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(items)) => items,
        Ok(obj @ serde_json::Value::Object(_)) => vec![obj],
        _ => return Vec::new(),
    };
    items
        .iter()
        .map(|item| {
            let host_ip = item
                .pointer("/Config/Env")
                .and_then(|e| e.as_array())
                .and_then(|env| {
                    env.iter()
                        .filter_map(|e| e.as_str())
                        .find_map(|e| e.strip_prefix("OMS_HOST_IP="))
                        .map(|v| v.trim().to_string())
                });
            let volumes = item
                .get("Mounts")
                .and_then(|m| m.as_array())
                .map(|mounts| {
                    mounts
                        .iter()
                        .filter(|m| m.get("Type").and_then(|t| t.as_str()) == Some("volume"))
                        .filter_map(|m| {
                            let dst = m.get("Destination")?.as_str()?;
                            let name = m.get("Name")?.as_str()?;
                            Some((dst.to_string(), name.to_string()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            InspectExtra { host_ip, volumes }
        })
        .collect()
}

fn region_nodes(d: &Deployment, r: &crate::facts::Region) -> Vec<String> {
    let mut nodes: Vec<String> = Vec::new();
    for &i in &r.configs {
        for n in d.configs[i].nodes() {
            if !nodes.contains(&n) {
                nodes.push(n);
            }
        }
    }
    nodes
}

fn stuck(p: &ProjectFacts, out: &mut Vec<String>) {
    for pr in &p.not_ready {
        let s = pr.status.trim().to_ascii_uppercase();
        if s == "FAILED" || s == "SUSPEND" {
            out.push(format!("{} {} ({}): {}", p.kind.label(), pr.id, pr.name, s));
        }
    }
}

fn gather(d: &Deployment, downtime_min: u64) -> Facts {
    let containers = d
        .docker
        .as_ref()
        .map(|x| x.containers.as_slice())
        .unwrap_or(&[]);
    let extras = d
        .docker
        .as_ref()
        .map(|x| inspect_extras(&x.path))
        .unwrap_or_default();
    let all_nodes: Vec<String> = d.regions.iter().flat_map(|r| region_nodes(d, r)).collect();
    // Which container runs on a node: by the OMS_HOST_IP it was started with; else one
    // container per node in order; else the only container.
    let container_of = |ip: &str| -> Option<usize> {
        if let Some(i) = extras.iter().position(|e| e.host_ip.as_deref() == Some(ip)) {
            return (i < containers.len()).then_some(i);
        }
        if containers.len() == 1 {
            return Some(0);
        }
        if containers.len() == all_nodes.len() {
            return all_nodes.iter().position(|n| n == ip);
        }
        None
    };
    let node_differences: Vec<(String, usize, Vec<String>)> = d
        .node_config_differences()
        .into_iter()
        .map(|(r, i, k)| (r.id.clone(), i, k))
        .collect();
    let mut regions = Vec::new();
    for r in &d.regions {
        let cfg = d.region_config(r);
        let mut ips = region_nodes(d, r);
        if ips.is_empty() {
            ips.push(format!("<a node of region {}>", r.id));
        }
        let nodes = ips
            .into_iter()
            .map(|ip| {
                let idx = container_of(&ip);
                let c = idx.map(|i| &containers[i]);
                let extra = idx.and_then(|i| extras.get(i));
                let mut binds = Vec::new();
                let mut unknown = Vec::new();
                for dst in OMS_MOUNTS {
                    let bound = c.and_then(|c| c.binds.iter().find(|(d, _)| d == dst));
                    let volume = extra.and_then(|e| e.volumes.iter().find(|(d, _)| d == dst));
                    match (bound, volume) {
                        (Some((_, src)), _) => binds.push((src.clone(), dst.to_string())),
                        (None, Some((_, name))) => binds.push((name.clone(), dst.to_string())),
                        (None, None) => {
                            binds.push((format!("<host path of {dst}>"), dst.to_string()));
                            unknown.push(dst.to_string());
                        }
                    }
                }
                if let Some(c) = c {
                    for (dst, src) in &c.binds {
                        if !OMS_MOUNTS.contains(&dst.as_str()) {
                            binds.push((src.clone(), dst.clone()));
                        }
                    }
                }
                Node {
                    ip,
                    container: c
                        .map(|c| c.name.clone())
                        .filter(|n| !n.is_empty())
                        .unwrap_or_else(|| "${CONTAINER_NAME}".into()),
                    binds,
                    unknown_binds: unknown,
                    image: c.map(|c| c.image.clone()).filter(|i| !i.is_empty()),
                }
            })
            .collect();
        regions.push(RegionPlan {
            configs_differ: node_differences.iter().any(|(id, _, _)| *id == r.id),
            id: r.id.clone(),
            nodes,
            heartbeat_db: cfg
                .and_then(|c| c.text("drc_cm_heartbeat_db"))
                .unwrap_or_else(|| format!("<drc_cm_heartbeat_db of {}>", r.id)),
        });
    }
    let text = |k: &str| d.shared_text(k).unwrap_or_else(|| format!("<{k}>"));
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
    Facts {
        regions,
        meta_host: text("oms_meta_host"),
        meta_port: text("oms_meta_port"),
        meta_user: text("oms_meta_user"),
        rm_db: text("drc_rm_db"),
        cm_db: text("drc_cm_db"),
        init_every_node: d.nodes_disagree(),
        stuck_projects,
        full_import,
        downtime_min,
        have_inspect: d.docker.is_some(),
    }
}

/// `oms_423` for 4.2.3, `oms_4211ce` for 4.2.11-CE.
fn container_name(v: Version) -> String {
    let tag: String = v
        .to_string()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("oms_{}", tag.to_ascii_lowercase())
}

/// The old image's repository with the new version's tag (`…/oms:feature_4.2.3`), the
/// tag spelt as the target edition's guide spells it.
fn new_image(old: Option<&str>, tag: &str) -> String {
    match old {
        Some(img) => {
            let repo = match img.rfind(':') {
                Some(i) if !img[i..].contains('/') => &img[..i],
                _ => img,
            };
            format!("{repo}:{tag}")
        }
        None => format!("<image loaded by docker load>:{tag}"),
    }
}

struct Builder {
    steps: Vec<Step>,
}

impl Builder {
    fn new() -> Self {
        Builder { steps: Vec::new() }
    }

    fn push(
        &mut self,
        title: impl Into<String>,
        kind: Kind,
        node: impl Into<String>,
        commands: Vec<String>,
        checks: Vec<String>,
        notes: Vec<String>,
    ) {
        let node = node.into();
        self.steps.push(Step {
            n: self.steps.len() + 1,
            title: title.into(),
            manual: kind == Kind::Manual || node == "console",
            kind,
            node,
            commands,
            checks,
            notes,
        });
    }
}

fn ha_off(b: &mut Builder) {
    b.push(
        "Turn HA off",
        Kind::Manual,
        "console",
        vec![],
        vec!["ha.config shows `\"enable\": false`".into()],
        vec![
            "OMS console > System Management > System Parameters > ha.config: edit the value and set `enable` to `false`.".into(),
        ],
    );
}

fn ha_on(b: &mut Builder, f: &Facts, record_t2: bool) {
    let refetch = f.downtime_min + 30;
    let mut notes = vec![
        "OMS console > System Management > System Parameters > ha.config: set `enable` to `true`.".into(),
        "Set `perceiveStoreClientCheckpoint` to `true` (recommended): the default `refetchStoreIntervalMin` of 30 then suffices.".into(),
        format!(
            "If `perceiveStoreClientCheckpoint` stays `false`, set `refetchStoreIntervalMin` to at least {refetch} (the planned downtime T2 − T1 of {} min plus the 30-minute margin), and more if the real T2 − T1 was longer.",
            f.downtime_min
        ),
    ];
    if record_t2 {
        notes.push("Record the time T2.".into());
    }
    b.push(
        "Turn HA on",
        Kind::Manual,
        "console",
        vec![],
        vec![
            "ha.config shows `\"enable\": true` and `\"perceiveStoreClientCheckpoint\": true`"
                .into(),
            format!("or `refetchStoreIntervalMin` ≥ {refetch}"),
        ],
        notes,
    );
}

/// A step the guides of this edition leave open: said, with what is known, never filled
/// in from another edition's guide.
fn unknown_step(b: &mut Builder, title: String, node: &str, why: String, notes: Vec<String>) {
    let mut all = vec![why];
    all.extend(notes);
    b.push(
        title,
        Kind::Manual,
        node,
        vec![],
        vec!["OMS support (or the release's own upgrade guide) has said how this step goes, and the answer is recorded on the change ticket".into()],
        all,
    );
}

fn fork_name<T: Copy>(f: Fork<T>, name: impl Fn(T) -> &'static str) -> &'static str {
    f.known().map_or("unknown", name)
}

fn build_hop(
    f: &Facts,
    h: &HopFacts,
    old_container: Option<&str>,
    old_image: Option<&str>,
    relint: bool,
) -> Hop {
    let mut b = Builder::new();
    let (from, to, proc) = (h.from, h.to, &h.procedure);
    let fork = proc.correction_package;
    let no_guide = |what: &str| {
        format!(
            "No {} guide known to omslint says {what} for the upgrade from {from} to {to} ({}).",
            proc.edition.name(),
            proc.guide
        )
    };
    let new_container = container_name(to);
    let old = |n: &Node| {
        old_container
            .map(str::to_string)
            .unwrap_or(n.container.clone())
    };
    let login = f.login();

    if relint {
        b.push(
            format!("Lint the {from} deployment again"),
            Kind::Check,
            "any host",
            vec![format!(
                "omslint lint <fresh snapshot of the {from} deployment> --from {from} --to {to}"
            )],
            vec!["no error finding remains (fix them before this hop)".into()],
            vec![format!(
                "The previous hop changed the MetaDB and the container: take new MetaDB dumps and `docker inspect {}` and lint them before going on.",
                old_container.unwrap_or("${CONTAINER_NAME}")
            )],
        );
    }

    ha_off(&mut b);

    for n in f.nodes() {
        b.push(
            format!("Stop the OMS {from} container on {}", n.ip),
            Kind::Command,
            n.ip.clone(),
            vec![
                format!("sudo docker stop {}", old(n)),
                "date '+T1=%F %T'".into(),
            ],
            vec![
                format!("`sudo docker ps` no longer lists {}", old(n)),
                "record T1 (the stop time of the first node)".into(),
            ],
            vec![],
        );
    }

    let mut seen = Vec::new();
    for r in &f.regions {
        if seen.contains(&r.heartbeat_db) {
            continue;
        }
        seen.push(r.heartbeat_db.clone());
        let Fork::Known(how) = proc.heartbeat_cleanup else {
            unknown_step(
                &mut b,
                format!("Heartbeat clean-up of {}: unknown", r.heartbeat_db),
                "MetaDB",
                no_guide("how the heartbeat table is cleaned up before the backup"),
                vec!["Without a clean-up the backup of heatbeat_sequence only takes longer; do not borrow another edition's statement.".into()],
            );
            continue;
        };
        let sql: Vec<String> = if how == Cleanup::Swap {
            vec![
                "CREATE TABLE IF NOT EXISTS `heatbeat_sequence_bak` (\n  `id` bigint(20) NOT NULL AUTO_INCREMENT COMMENT 'PK',\n  `gmt_created` datetime NOT NULL,\n  `gmt_modified` datetime NOT NULL,\n  PRIMARY KEY (`id`)\n) DEFAULT CHARSET=utf8 COMMENT='Heartbeat sequence table';".into(),
                "INSERT INTO heatbeat_sequence_bak SELECT `id`,`gmt_created`,`gmt_modified` FROM heatbeat_sequence ORDER BY `id` DESC LIMIT 1;".into(),
                "ALTER TABLE `heatbeat_sequence` RENAME TO `heatbeat_sequence_bak2`;".into(),
                "ALTER TABLE `heatbeat_sequence_bak` RENAME TO `heatbeat_sequence`;".into(),
                "DROP TABLE heatbeat_sequence_bak2;".into(),
            ]
        } else {
            vec!["DELETE FROM heatbeat_sequence WHERE id < (SELECT m FROM (SELECT MAX(id) AS m FROM heatbeat_sequence) t);".into()]
        };
        b.push(
            format!("Clean up the heartbeat table of {}", r.heartbeat_db),
            Kind::Sql,
            format!("MetaDB {} (region {})", r.heartbeat_db, r.id),
            sql,
            vec!["`SELECT COUNT(*) FROM heatbeat_sequence;` returns 1".into()],
            vec![format!("Connect: `mysql {login} -D{}`", r.heartbeat_db)],
        );
    }

    let dbs = f.databases();
    let backup_node = f
        .nodes()
        .next()
        .map(|n| n.ip.clone())
        .unwrap_or_else(|| "any host with mysqldump".into());
    b.push(
        "Back up the MetaDB databases",
        Kind::Command,
        backup_node.clone(),
        dbs.iter()
            .map(|db| format!("mysqldump {login} --triggers=false {db} > {db}.sql"))
            .collect(),
        vec!["every mysqldump exits 0".into()],
        vec![format!(
            "rm, cm and the cm_hb database of every region. Keep the files: the rollback restores them (run it from the same directory). To keep these files of the {from} MetaDB, use a directory of its own per hop."
        )],
    );
    b.push(
        "Check that no backup is empty",
        Kind::Check,
        backup_node,
        vec![format!(
            "{} && echo 'backups OK'",
            dbs.iter()
                .map(|db| format!("test -s {db}.sql"))
                .collect::<Vec<_>>()
                .join(" && ")
        )],
        vec![
            "prints `backups OK`".into(),
            "`omslint lint … --backup-dir <this directory>` reports no OMS011".into(),
        ],
        vec![],
    );

    let image = new_image(
        old_image.or(f.nodes().find_map(|n| n.image.as_deref())),
        &proc.image_tag,
    );
    b.push(
        format!("Load the OMS {to} image"),
        Kind::Command,
        "every node",
        vec![format!("sudo docker load -i <OMS {to} installation package>")],
        vec![format!(
            "`sudo docker images` lists the loaded image; if its name is not {image}, use its name in the docker run below"
        )],
        vec![],
    );

    for n in f.nodes() {
        let mut cmd = vec!["sudo docker run -dit --net host \\".to_string()];
        for (src, dst) in &n.binds {
            cmd.push(format!("  -v {}:{dst} \\", shell_word(src)));
        }
        cmd.push(format!("  -e OMS_HOST_IP={} \\", n.ip));
        if proc.is_upgrade {
            cmd.push("  -e IS_UPGRADE=true \\".into());
        }
        cmd.push("  --privileged=true \\".into());
        cmd.push("  --pids-limit -1 \\".into());
        cmd.push("  --ulimit nproc=65535:65535 \\".into());
        cmd.push(format!("  --name {new_container} \\"));
        cmd.push(format!("  {image}"));
        let mut notes = vec![format!(
            "The old container {} is kept (stopped) for the rollback: do not remove it.",
            old(n)
        )];
        if !n.unknown_binds.is_empty() {
            notes.push(format!(
                "Fill {} with the host paths of the old container: `sudo docker inspect {} | grep -A5 Binds`. The paths must be the same as before the upgrade.",
                n.unknown_binds.join(", "),
                old(n)
            ));
        }
        if n.binds
            .iter()
            .any(|(s, _)| !s.starts_with('/') && !s.starts_with('<'))
        {
            notes.push("A path of the old container is a docker volume, not a host path (OMS016): the volume is reused here so the new container sees the same files; if you moved its files to a host path, bind that path instead.".into());
        }
        b.push(
            format!("Start the OMS {to} container on {}", n.ip),
            Kind::Command,
            n.ip.clone(),
            vec![cmd.join("\n")],
            vec![format!("`sudo docker ps` lists {new_container} as Up")],
            notes,
        );
    }

    if fork == Fork::Unknown {
        unknown_step(
            &mut b,
            "Correction package: unknown".into(),
            "every node",
            no_guide("whether the correction package (correction-1.0-SNAPSHOT-jar-with-dependencies.jar) runs"),
            vec!["omslint judged OMS003 and OMS007 as if it runs. If it does, it runs on the first node of each region before any docker_init.sh.".into()],
        );
    }
    if fork == Fork::Known(true) {
        b.push(
            "Stop the OMS console in the new containers",
            Kind::Command,
            "every node",
            vec![format!(
                "sudo docker exec {new_container} supervisorctl stop oms_console"
            )],
            vec![format!(
                "`sudo docker exec {new_container} supervisorctl status` shows oms_console STOPPED"
            )],
            vec![],
        );
        let last = f.regions.len().saturating_sub(1);
        for (i, r) in f.regions.iter().enumerate() {
            let Some(n) = r.nodes.first() else { continue };
            let flag = if i == last { "-ltrue" } else { "-lfalse" };
            b.push(
                format!("Run the correction package in region {}", r.id),
                Kind::Command,
                n.ip.clone(),
                vec![
                    format!("sudo docker exec -it {new_container} bash"),
                    "supervisorctl status".into(),
                    format!("{CORRECTION_JAR} {flag}"),
                ],
                vec!["the correction package exits 0 and reports success".into()],
                vec![
                    "Wait until CM and Supervisor are up (`supervisorctl status` shows them RUNNING) before running the package.".into(),
                    format!(
                        "On the first node of region {} only; `{flag}`: {}.",
                        r.id,
                        if i == last { "this is the last region" } else { "a later region follows" }
                    ),
                    "Run it in every region before any docker_init.sh.".into(),
                ],
            );
        }
    }

    docker_init(&mut b, f, proc.docker_init, &new_container, &no_guide);

    b.push(
        "Check that every server is Online",
        Kind::Check,
        "console",
        vec![],
        vec![format!(
            "OPS & Monitoring > Server lists {} server(s), all Online: {}",
            f.nodes().count(),
            f.nodes()
                .map(|n| n.ip.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )],
        vec![],
    );
    ha_on(&mut b, f, true);
    let mut notes = Vec::new();
    if f.stuck_projects.is_empty() {
        notes.push("The MetaDB shows no project FAILED or SUSPEND before the upgrade.".into());
    } else {
        notes.push(
            "These were FAILED or SUSPEND before the upgrade; HA does not resume them:".into(),
        );
        notes.extend(f.stuck_projects.iter().map(|p| format!("- {p}")));
    }
    b.push(
        "Recover the projects that were FAILED or SUSPEND",
        Kind::Manual,
        "console",
        vec![],
        vec!["every listed project is running again (or deliberately left as it was)".into()],
        notes,
    );
    b.push(
        "Clear the browser cache",
        Kind::Manual,
        "console",
        vec![],
        vec![format!("the console shows version {to}")],
        vec!["Clear the browser cache before logging on to the upgraded console.".into()],
    );
    Hop {
        from: from.to_string(),
        to: to.to_string(),
        guide: proc.guide.clone(),
        correction_package: fork == Fork::Known(true),
        forks: Forks {
            correction_package: fork_name(fork, |r| if r { "run" } else { "skip" }),
            heartbeat_cleanup: fork_name(proc.heartbeat_cleanup, |c| match c {
                Cleanup::Swap => "swap",
                Cleanup::Delete => "delete",
            }),
            docker_init: fork_name(proc.docker_init, |d| match d {
                DockerInit::Once => "once",
                DockerInit::PerRegion => "per-region",
            }),
            is_upgrade: proc.is_upgrade,
            image_tag: proc.image_tag.clone(),
        },
        steps: b.steps,
    }
}

/// docker_init.sh where the hop's guide says it runs.
fn docker_init(
    b: &mut Builder,
    f: &Facts,
    how: Fork<DockerInit>,
    new_container: &str,
    no_guide: &dyn Fn(&str) -> String,
) {
    let init = |b: &mut Builder, n: &Node, note: String| {
        b.push(
            format!("Initialize the metadata on {}", n.ip),
            Kind::Command,
            n.ip.clone(),
            vec![format!(
                "sudo docker exec -it {new_container} bash /root/docker_init.sh"
            )],
            vec!["docker_init.sh ends without error".into()],
            vec![note],
        );
    };
    match how {
        Fork::Unknown => unknown_step(
            b,
            "docker_init.sh: on which nodes is unknown".into(),
            "every node",
            no_guide("on which nodes docker_init.sh runs"),
            vec![format!(
                "The command, on each node it must run on: `sudo docker exec -it {new_container} bash /root/docker_init.sh`."
            )],
        ),
        Fork::Known(_) if f.init_every_node && how == Fork::Known(DockerInit::Once) => {
            for n in f.nodes() {
                init(b, n, "The regions list different cm_nodes, or a region's nodes carry different config files (OMS013): docker_init.sh runs on every node.".into());
            }
        }
        Fork::Known(DockerInit::Once) => {
            // The V4.2.3 guide: the same cm_nodes in all regions -> one node; the others
            // start the console themselves.
            let mut nodes = f.nodes();
            let Some(first) = nodes.next() else { return };
            init(b, first, if f.regions.len() > 1 {
                "Every region lists the same cm_nodes: docker_init.sh runs on this node only.".into()
            } else {
                "The nodes' configs agree: docker_init.sh runs on this node only.".into()
            });
            for n in nodes {
                b.push(
                    format!("Start the OMS console on {}", n.ip),
                    Kind::Command,
                    n.ip.clone(),
                    vec![
                        format!("sudo docker exec {new_container} sed -i 's/autostart = false/autostart = true/g' /etc/supervisor/conf.d/oms_console.ini"),
                        format!("sudo docker exec {new_container} supervisorctl start oms_console"),
                    ],
                    vec![format!(
                        "`sudo docker exec {new_container} supervisorctl status` shows oms_console RUNNING"
                    )],
                    vec![format!("docker_init.sh ran on {}; not here.", first.ip)],
                );
            }
        }
        Fork::Known(DockerInit::PerRegion) => {
            // The V4.0.0-CE guide: once per region when the region's nodes share one
            // config file, on each node otherwise. It gives no step for the other nodes.
            let mut done = std::collections::HashSet::new();
            for r in &f.regions {
                let nodes: Vec<&Node> = if r.configs_differ {
                    r.nodes.iter().collect()
                } else {
                    r.nodes.iter().take(1).collect()
                };
                for n in nodes {
                    if !done.insert(n.ip.clone()) {
                        continue;
                    }
                    init(b, n, if r.configs_differ {
                        format!("The nodes of region {} carry different config files: docker_init.sh runs on each of them.", r.id)
                    } else {
                        format!("The nodes of region {} share one config file: docker_init.sh runs once in the region, here.", r.id)
                    });
                }
            }
        }
    }
}

fn rollback(f: &Facts, from: Version, to: Version, old_container: Option<&str>) -> Vec<Step> {
    let mut b = Builder::new();
    let new_container = container_name(to);
    let login = f.login();
    let dbs = f.databases();
    ha_off(&mut b);
    for n in f.nodes() {
        b.push(
            format!("Stop the OMS {to} container on {}", n.ip),
            Kind::Command,
            n.ip.clone(),
            vec![
                format!("sudo docker stop {new_container}"),
                "date '+T3=%F %T'".into(),
            ],
            vec![
                format!("`sudo docker ps` no longer lists {new_container}"),
                "record T3".into(),
            ],
            vec![],
        );
    }
    let mut sql: Vec<String> = dbs
        .iter()
        .map(|db| format!("DROP DATABASE {db};"))
        .collect();
    sql.extend(dbs.iter().map(|db| format!("CREATE DATABASE {db};")));
    b.push(
        "Drop and re-create the MetaDB databases",
        Kind::Sql,
        "MetaDB",
        sql,
        vec!["`SHOW DATABASES;` lists each of them, empty".into()],
        vec![
            format!("Connect: `mysql {login}`"),
            "Only with the backups checked (test -s) at hand.".into(),
        ],
    );
    b.push(
        format!("Restore the {from} backups"),
        Kind::Command,
        "the host holding the backups",
        dbs.iter()
            .map(|db| format!("mysql {login} {db} < {db}.sql"))
            .collect(),
        vec!["every mysql exits 0".into()],
        vec![],
    );
    for n in f.nodes() {
        let old = old_container
            .map(str::to_string)
            .unwrap_or(n.container.clone());
        b.push(
            format!("Restart the OMS {from} container on {}", n.ip),
            Kind::Command,
            n.ip.clone(),
            vec![format!("sudo docker restart {old}")],
            vec![format!("`sudo docker ps` lists {old} as Up")],
            vec![],
        );
    }
    ha_on(&mut b, f, false);
    let mut notes = vec![
        "HA restarts the Incr-Sync components; Full-Import components must be recovered by hand."
            .to_string(),
    ];
    notes.extend(f.full_import.iter().map(|c| format!("- {c}")));
    b.push(
        "Recover the Full-Import components",
        Kind::Manual,
        "console",
        vec![],
        vec!["every Full-Import component runs again".into()],
        notes,
    );
    b.steps
}

fn subject_text(f: &Finding) -> String {
    let s = &f.subject;
    match &s.name {
        Some(n) => format!("{} {} ({n})", s.kind, s.id),
        None => format!("{} {}", s.kind, s.id),
    }
}

/// Builds the runbook from one lint run.
fn build(
    d: &Deployment,
    graph: &UpgradeGraph,
    path: &UpgradePath,
    findings: &[Finding],
    downtime_min: u64,
) -> Result<Plan> {
    let facts = gather(d, downtime_min);
    let mut preconditions: Vec<Precondition> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error && f.suppressed.is_none())
        // The runbook takes the required stops itself.
        .filter(|f| !(f.code == "OMS001" && path.problem == Some(PathProblem::NeedsStops)))
        .map(|f| Precondition {
            kind: "finding",
            code: Some(f.code.to_string()),
            subject: Some(subject_text(f)),
            message: f.message.clone(),
            hop: f.hop.as_deref().map(ToString::to_string),
        })
        .collect();
    let upgrade = UpgradeInfo {
        from: path.from.to_string(),
        to: path.to.to_string(),
        path: path.hops.iter().map(Version::to_string).collect(),
    };
    let steps = crate::engine::hops(path, graph);
    if steps.is_empty() {
        // No guide documents this upgrade: the runbook says so and gives no step, rather
        // than steps no guide wrote.
        return Ok(Plan {
            schema_version: 1,
            upgrade,
            hops: Vec::new(),
            preconditions,
            rollback: Vec::new(),
            notes: vec![format!(
                "No runbook: no guide known to omslint documents the upgrade {} (OMS001). A site with a newer guide can give its upgrade graph with --upgrade-paths FILE.",
                path.display()
            )],
        });
    }
    preconditions.push(Precondition {
        kind: "console",
        code: None,
        subject: None,
        message: "Data Migration: every running migration project is past forward switchover (or not yet in incremental sync); the MetaDB does not show it.".into(),
        hop: None,
    });
    preconditions.push(Precondition {
        kind: "console",
        code: None,
        subject: None,
        message: "Data Synchronization: every running sync project is near real time (latency of seconds); the MetaDB does not show it.".into(),
        hop: None,
    });

    let mut hops = Vec::new();
    let mut prev_container: Option<String> = None;
    let mut prev_image: Option<String> = None;
    for (i, h) in steps.iter().enumerate() {
        let hop = build_hop(
            &facts,
            h,
            prev_container.as_deref(),
            prev_image.as_deref(),
            i > 0,
        );
        prev_container = Some(container_name(h.to));
        prev_image = Some(new_image(
            prev_image
                .as_deref()
                .or(facts.nodes().find_map(|n| n.image.as_deref())),
            &h.procedure.image_tag,
        ));
        hops.push(hop);
    }

    let mut notes = Vec::new();
    let n = path.hops.len();
    let (last_from, last_to) = (path.hops[n - 2], path.hops[n - 1]);
    let rollback = if last_from.release() >= (3, 2, 1) {
        let old = (n > 2).then(|| container_name(last_from));
        notes.push(format!(
            "The rollback returns the deployment from {last_to} to {last_from}, with the backups taken in the {last_from} → {last_to} upgrade."
        ));
        rollback(&facts, last_from, last_to, old.as_deref())
    } else {
        notes.push(format!(
            "The guides give no rollback from {last_to} to a source older than 3.2.1 ({last_from}): keep the backups and the old container."
        ));
        Vec::new()
    };
    if n > 2 {
        notes.push(format!(
            "The upgrade takes {} hops ({}): run them in order, and lint the deployment again after each one.",
            n - 1,
            path.display()
        ));
    }
    if !facts.have_inspect {
        notes.push("No docker inspect was given: container names are `${CONTAINER_NAME}` and the host paths of the mounts are placeholders; fill them from `sudo docker inspect ${CONTAINER_NAME}` (or give --docker-inspect).".into());
    }
    notes.push("`<password>` stands for the MetaDB password: type it yourself (or give `-p` alone to be prompted); omslint never prints it.".into());
    Ok(Plan {
        schema_version: 1,
        upgrade,
        hops,
        preconditions,
        rollback,
        notes,
    })
}

fn lint_args(a: &PlanArgs) -> crate::cli::LintArgs {
    crate::cli::LintArgs {
        source: a.source.clone(),
        stage: None,
        heartbeat_threshold: None,
        fix: false,
        unsafe_fixes: false,
        diff: false,
        fix_script: None,
        rollback_file: None,
        show_fixes: false,
        format: Format::Json,
        output: None,
        fail_on: crate::cli::FailOn::Error,
        exit_zero: false,
        color: crate::cli::ColorArg::Never,
    }
}

/// `omslint plan`: exit 0 with the runbook written; 3 when a check could not run (the
/// runbook is still written, its preconditions incomplete).
pub fn run(args: &PlanArgs) -> Result<u8> {
    let parts = crate::lint::analyze_parts(&lint_args(args))?;
    let mut plan = build(
        &parts.deployment,
        &parts.graph,
        &parts.path,
        &parts.report.findings,
        parts.downtime_min,
    )?;
    let incomplete: Vec<String> = parts
        .report
        .checks
        .iter()
        .filter(|c| c.status == "error")
        .map(|c| {
            format!(
                "{} could not run: {}",
                c.code,
                c.reason.as_deref().unwrap_or("unknown reason")
            )
        })
        .collect();
    for why in &incomplete {
        plan.preconditions.insert(
            0,
            Precondition {
                kind: "check-error",
                code: None,
                subject: None,
                message: why.clone(),
                hop: None,
            },
        );
    }
    let text = match args.format {
        PlanFormat::Markdown => markdown::render(&plan),
        PlanFormat::Json => json::render(&plan),
    };
    match &args.output {
        Some(p) => std::fs::write(p, text).map_err(|e| {
            Error::CheckFailed(format!("cannot write the runbook to {}: {e}", p.display()))
        })?,
        None => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
        }
    }
    if parts.check_errors {
        for why in incomplete {
            eprintln!("omslint: error: {why}");
        }
        return Ok(3);
    }
    if plan.hops.is_empty() {
        // Nothing to run: a gate on `plan` must not read this as a runbook.
        eprintln!(
            "omslint: no runbook: no guide known to omslint documents the upgrade {} (OMS001)",
            parts.path.display()
        );
        return Ok(1);
    }
    Ok(0)
}
