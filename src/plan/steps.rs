//! The steps of one hop, and of the rollback, for one topology.
//!
//! Titles are plain text; notes and checks are Markdown inline text in which every value
//! from the inputs is escaped where it is put (`md`, `code`); commands are shell or SQL
//! in which every value is validated (topology) and quoted for its language.

use super::topology::{required_var, Db, Host, Source, Topology};
use super::{Forks, Hop, Kind, Step};
use crate::escape::markdown::{code as md_code, inline};
use crate::escape::shell::quote;
use crate::fix::sql;
use crate::rules::Hop as HopFacts;
use crate::upgrade::{Cleanup, DockerInit, Fork};
use crate::version::Version;

const CORRECTION_JAR: &str =
    "/opt/alibaba/java/bin/java -jar correction-1.0-SNAPSHOT-jar-with-dependencies.jar -mupgrade";

/// Escaped Markdown for a value shown in prose.
pub fn md(s: &str) -> String {
    inline(s)
}

/// A Markdown code span.
pub fn code(s: &str) -> String {
    md_code(s, false)
}

pub struct Builder {
    pub steps: Vec<Step>,
}

/// What a step holds besides its title, kind and node.
#[derive(Default)]
pub struct Body {
    pub commands: Vec<String>,
    /// Commands typed inside the container, after the host command that enters it.
    pub in_container: Vec<String>,
    pub checks: Vec<String>,
    pub notes: Vec<String>,
}

impl Builder {
    pub fn new() -> Self {
        Builder { steps: Vec::new() }
    }

    pub fn push(&mut self, title: impl Into<String>, kind: Kind, node: impl Into<String>, b: Body) {
        let node = node.into();
        self.steps.push(Step {
            n: self.steps.len() + 1,
            title: title.into(),
            manual: kind == Kind::Manual || node == "console",
            kind,
            node,
            commands: b.commands,
            container_commands: b.in_container,
            checks: b.checks,
            notes: b.notes,
        });
    }
}

/// `oms_423` for 4.2.3, `oms_4211ce` for 4.2.11-CE.
pub fn container_name(v: Version) -> String {
    let tag: String = v
        .to_string()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("oms_{}", tag.to_ascii_lowercase())
}

/// The old image's repository with the new tag, or a variable for the loaded image.
pub fn new_image(old: Option<&str>, tag: &str) -> String {
    match old {
        Some(img) => {
            let repo = match img.rfind(':') {
                Some(i) if !img[i..].contains('/') => &img[..i],
                _ => img,
            };
            quote(&format!("{repo}:{tag}"))
        }
        None => format!(
            "{}:{tag}",
            required_var(
                "OMS_IMAGE",
                "the repository of the image docker load printed"
            )
        ),
    }
}

/// The node as commands write it: its validated IP, or a variable when the config
/// names none.
fn ip_word(h: &Host) -> String {
    if h.ip.starts_with('<') {
        required_var("OMS_HOST_IP", "this node's IP")
    } else {
        h.ip.clone()
    }
}

fn container_word(c: Option<&str>) -> String {
    match c {
        Some(c) => c.to_string(),
        None => required_var("CONTAINER_NAME", "the old OMS container's name"),
    }
}

/// `-h… -P… -u… -p` for mysql and mysqldump: `-p` alone prompts for the password, so no
/// password (nor a placeholder that a shell would read as a redirection) is ever written.
pub fn login(t: &Topology) -> String {
    let m = &t.meta;
    let word = |v: &Option<String>, var: &str, key: &str| match v {
        Some(v) => quote(v),
        None => required_var(var, &format!("set {var} to {key}")),
    };
    format!(
        "-h{} -P{} -u{} -p",
        word(&m.host, "OMS_META_HOST", "oms_meta_host"),
        word(&m.port, "OMS_META_PORT", "oms_meta_port"),
        word(&m.user, "OMS_META_USER", "oms_meta_user"),
    )
}

/// `mysql://user@host:port` of the MetaDB for `omslint verify --metadb`, as one shell
/// word: each value quoted, an unknown one a variable that stops the command until set.
/// No password: omslint prompts for it (or reads OMSLINT_METADB_PASSWORD).
fn metadb_url(t: &Topology) -> String {
    let m = &t.meta;
    let word = |v: &Option<String>, var: &str, key: &str| match v {
        Some(v) => quote(v),
        None => required_var(var, &format!("set {var} to {key}")),
    };
    let host = match &m.host {
        Some(h) if h.contains(':') => quote(&format!("[{h}]")),
        _ => word(&m.host, "OMS_META_HOST", "oms_meta_host"),
    };
    format!(
        "{}{}{}{host}{}{}",
        quote("mysql://"),
        word(&m.user, "OMS_META_USER", "oms_meta_user"),
        quote("@"),
        quote(":"),
        word(&m.port, "OMS_META_PORT", "oms_meta_port"),
    )
}

/// After the upgrade: `omslint verify` against this hop's backups.
fn verify_upgrade(
    b: &mut Builder,
    t: &Topology,
    node: &str,
    (from, to): (Version, Version),
    downtime_min: u64,
) {
    b.push(
        "Verify that nothing was lost",
        Kind::Check,
        node,
        Body {
            commands: vec![format!(
                "omslint verify --backup-dir . --metadb {} --from {} --to {} --downtime {}m",
                metadb_url(t),
                quote(&from.to_string()),
                quote(&to.to_string()),
                downtime_min
            )],
            checks: vec![
                format!("exits 0: every project, data source and component setting of the backups is still there, no project that ran has failed, `oms_version` records {}, HA is back on and every server is ONLINE", md(&to.to_string())),
                "`--format markdown --output verify.md` gives the report for the change ticket".into(),
            ],
            notes: vec![
                "Run it in the directory that holds this hop's backups (`--backup-dir .`); it prompts for the MetaDB password (or reads `OMSLINT_METADB_PASSWORD`). If the downtime (T2 − T1) was longer than planned, give the real one to `--downtime`.".into(),
                "Each finding names what was lost (OMS101–OMS107, `omslint explain CODE`). Decide on the rollback while the window is open.".into(),
            ],
            ..Body::default()
        },
    );
}

pub fn ha_off(b: &mut Builder, now_on: Option<&str>) {
    let mut notes = vec![
        "OMS console > System Management > System Parameters > `ha.config`: edit the value and set `enable` to `false`.".to_string(),
    ];
    if let Some(why) = now_on {
        notes.push(format!("OMS008: {}", md(why)));
    }
    b.push(
        "Turn HA off",
        Kind::Manual,
        "console",
        Body {
            checks: vec!["`ha.config` shows `\"enable\": false`".into()],
            notes,
            ..Body::default()
        },
    );
}

/// HA back on. `gap` names the interval `refetchStoreIntervalMin` must exceed, with
/// `planned` minutes as the planned part of it.
pub fn ha_on(b: &mut Builder, gap: &str, planned: Option<u64>, record_t2: bool, extra: &[String]) {
    let mut notes = vec![
        "OMS console > System Management > System Parameters > `ha.config`: set `enable` to `true`.".to_string(),
        "Set `perceiveStoreClientCheckpoint` to `true` (recommended): the default `refetchStoreIntervalMin` of 30 then suffices.".to_string(),
    ];
    let mut checks = vec![
        "`ha.config` shows `\"enable\": true` and `\"perceiveStoreClientCheckpoint\": true`"
            .to_string(),
    ];
    match planned {
        Some(min) => {
            notes.push(format!(
                "If `perceiveStoreClientCheckpoint` stays `false`, set `refetchStoreIntervalMin` greater than {gap} plus the 30-minute margin: at least {} for the planned {min} min, more if it took longer.",
                min + 30
            ));
            checks.push(format!("or `refetchStoreIntervalMin` ≥ {}", min + 30));
        }
        None => {
            notes.push(format!(
                "If `perceiveStoreClientCheckpoint` stays `false`, set `refetchStoreIntervalMin` greater than {gap} plus the 30-minute margin."
            ));
            checks.push(format!("or `refetchStoreIntervalMin` > {gap} + 30"));
        }
    }
    if record_t2 {
        notes.push("Record the time T2.".into());
    }
    notes.extend(extra.iter().cloned());
    b.push(
        "Turn HA on",
        Kind::Manual,
        "console",
        Body {
            checks,
            notes,
            ..Body::default()
        },
    );
}

/// A step the guides of this edition leave open: said, with what is known, never
/// filled in from another edition's guide.
fn unknown_step(b: &mut Builder, title: String, node: &str, why: String, notes: Vec<String>) {
    let mut all = vec![why];
    all.extend(notes);
    b.push(
        title,
        Kind::Manual,
        node,
        Body {
            checks: vec!["OMS support (or the release's own upgrade guide) has said how this step goes, and the answer is on the change ticket".into()],
            notes: all,
            ..Body::default()
        },
    );
}

fn fork_name<T: Copy>(f: Fork<T>, name: impl Fn(T) -> &'static str) -> &'static str {
    f.known().map_or("unknown", name)
}

/// What a hop's steps need besides the topology.
pub struct HopInput<'a> {
    pub hop: &'a HopFacts,
    /// The container and image the previous hop started (for the later hops).
    pub old_container: Option<&'a str>,
    pub old_image: Option<&'a str>,
    pub relint: bool,
    pub downtime_min: u64,
    /// Markdown notes from this hop's findings, by the step they belong to.
    pub advice: &'a super::Advice,
}

pub fn build_hop(t: &Topology, i: HopInput<'_>) -> Hop {
    let mut b = Builder::new();
    let h = i.hop;
    let (from, to, proc) = (h.from, h.to, &h.procedure);
    let fork = proc.correction_package;
    let new_container = container_name(to);
    let old = |host: &Host| container_word(i.old_container.or(host.container.as_deref()));
    let login = login(t);
    let no_guide = |what: &str| {
        format!(
            "No {} guide known to omslint says {what} for the upgrade from {from} to {to} ({}).",
            proc.edition.name(),
            md(&proc.guide)
        )
    };

    if i.relint {
        b.push(
            format!("Lint the {from} deployment again"),
            Kind::Check,
            "any host",
            Body {
                commands: vec![format!(
                    "omslint lint \"${{SNAPSHOT_DIR:?a fresh snapshot of the {} deployment}}\" --from {} --to {}",
                    from.to_string().replace(' ', "-"),
                    quote(&from.to_string()),
                    quote(&to.to_string())
                )],
                checks: vec!["no error finding remains (fix them before this hop)".into()],
                notes: vec![format!(
                    "The previous hop changed the MetaDB and the containers: take new MetaDB dumps and {} and lint them before going on.",
                    code(&format!("sudo docker inspect {}", i.old_container.unwrap_or("CONTAINER_NAME")))
                )],
                ..Body::default()
            },
        );
    }

    ha_off(&mut b, i.advice.ha_on.as_deref());

    for (n, host) in t.hosts.iter().enumerate() {
        let mut checks = vec![format!(
            "`sudo docker ps` no longer lists {}",
            code(&old(host))
        )];
        let mut commands = vec![format!("sudo docker stop {}", old(host))];
        if n == 0 {
            commands.push("date '+T1=%F %T'".into());
            checks.push("record the printed T1: the stop time of the first node".into());
        }
        b.push(
            format!("Stop the OMS {from} container on {}", host.ip),
            Kind::Command,
            host.ip.clone(),
            Body {
                commands,
                checks,
                notes: region_note(t, host),
                ..Body::default()
            },
        );
    }

    heartbeat_cleanup(
        &mut b,
        t,
        proc.heartbeat_cleanup,
        &login,
        &no_guide,
        i.advice,
    );

    let dbs = t.databases();
    let backup_node = t
        .hosts
        .first()
        .map_or("any host with mysqldump".to_string(), |h| h.ip.clone());
    let backup_verify_node = backup_node.clone();
    b.push(
        "Back up the MetaDB databases",
        Kind::Command,
        backup_node.clone(),
        Body {
            commands: dbs
                .iter()
                .map(|db| format!("mysqldump {login} --triggers=false {} > {}", db.shell(), db.dump_file()))
                .collect(),
            checks: vec!["every mysqldump exits 0 (each prompts for the MetaDB password)".into()],
            notes: vec![format!(
                "rm, cm and the cm_hb database of every region. Keep the files: the rollback restores them (run it from the same directory). To keep these files of the {from} MetaDB, use a directory of its own per hop."
            )],
            ..Body::default()
        },
    );
    b.push(
        "Check that no backup is empty",
        Kind::Check,
        backup_node,
        Body {
            commands: vec![format!(
                "{} && echo 'backups OK'",
                dbs.iter()
                    .map(|db| format!("test -s {}", db.dump_file()))
                    .collect::<Vec<_>>()
                    .join(" && ")
            )],
            checks: vec![
                "prints `backups OK`".into(),
                "`omslint lint … --backup-dir <this directory>` reports no OMS011".into(),
            ],
            ..Body::default()
        },
    );

    let first_image = i
        .old_image
        .or(t.hosts.iter().find_map(|h| h.image.as_deref()));
    let image = new_image(first_image, &proc.image_tag);
    b.push(
        format!("Load the OMS {to} image"),
        Kind::Command,
        "every node",
        Body {
            commands: vec![format!(
                "sudo docker load -i {}",
                required_var("OMS_PACKAGE", &format!("the OMS {to} installation package"))
            )],
            checks: vec![format!(
                "`sudo docker images` lists the loaded image; if its name is not {}, use its name in the docker run below",
                code(&image.replace('\'', ""))
            )],
            ..Body::default()
        },
    );

    for host in &t.hosts {
        docker_run(
            &mut b,
            t,
            host,
            &new_container,
            &image,
            proc.is_upgrade,
            &old(host),
        );
    }

    correction_package(&mut b, t, fork, &new_container, &no_guide);
    docker_init(
        &mut b,
        t,
        proc.docker_init,
        &new_container,
        &no_guide,
        i.advice,
    );

    b.push(
        "Check that every server is Online",
        Kind::Check,
        "console",
        Body {
            checks: vec![format!(
                "OPS & Monitoring > Server lists {} server(s), all Online: {}",
                t.hosts.len(),
                t.hosts
                    .iter()
                    .map(|h| md(&h.ip))
                    .collect::<Vec<_>>()
                    .join(", ")
            )],
            ..Body::default()
        },
    );
    ha_on(
        &mut b,
        "T2 − T1",
        Some(i.downtime_min),
        true,
        &i.advice.refetch,
    );
    // After "every server is Online" and HA back on (verify checks both).
    verify_upgrade(&mut b, t, &backup_verify_node, (from, to), i.downtime_min);
    if !i.advice.after.is_empty() {
        b.push(
            "Tell the console's users what changed",
            Kind::Manual,
            "console",
            Body {
                checks: vec!["the change ticket and the users have the new address".into()],
                notes: i.advice.after.clone(),
                ..Body::default()
            },
        );
    }
    recover_projects(&mut b, t);
    b.push(
        "Clear the browser cache",
        Kind::Manual,
        "console",
        Body {
            checks: vec![format!("the console shows version {to}")],
            notes: vec![
                "Clear the browser cache before logging on to the upgraded console.".into(),
            ],
            ..Body::default()
        },
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

/// "Listed by region X and region Y" for a host several regions share.
fn region_note(t: &Topology, host: &Host) -> Vec<String> {
    if host.regions.len() < 2 {
        return Vec::new();
    }
    vec![format!(
        "Regions {} all list this host: it is one host with one container, handled once.",
        host.regions
            .iter()
            .map(|r| md(&t.regions[*r].id))
            .collect::<Vec<_>>()
            .join(", ")
    )]
}

fn heartbeat_cleanup(
    b: &mut Builder,
    t: &Topology,
    how: Fork<Cleanup>,
    login: &str,
    no_guide: &dyn Fn(&str) -> String,
    advice: &super::Advice,
) {
    let mut seen: Vec<Db> = Vec::new();
    for (ri, r) in t.regions.iter().enumerate() {
        let db = match &r.heartbeat_db {
            Some(n) => Db::Named(n.clone()),
            None => Db::Unknown {
                var: format!("CM_HB_DB_{}", ri + 1),
                key: "drc_cm_heartbeat_db",
            },
        };
        if seen.contains(&db) {
            continue;
        }
        seen.push(db.clone());
        let Fork::Known(how) = how else {
            unknown_step(
                b,
                format!("Heartbeat clean-up of {}: unknown", db.display()),
                "MetaDB",
                no_guide("how the heartbeat table is cleaned up before the backup"),
                vec!["Without a clean-up the backup of `heatbeat_sequence` only takes longer; do not borrow another edition's statement.".into()],
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
        let mut notes = vec![format!(
            "Connect: {}",
            code(&format!("mysql {login} -D{}", db.shell()))
        )];
        if let Some(n) = advice
            .heartbeat
            .iter()
            .find(|(d, _)| Db::Named(d.clone()) == db)
        {
            notes.push(n.1.clone());
        }
        b.push(
            format!("Clean up the heartbeat table of {}", db.display()),
            Kind::Sql,
            format!("MetaDB {} (region {})", db.display(), r.id),
            Body {
                commands: sql,
                checks: vec!["`SELECT COUNT(*) FROM heatbeat_sequence;` returns 1".into()],
                notes,
                ..Body::default()
            },
        );
    }
}

fn docker_run(
    b: &mut Builder,
    t: &Topology,
    host: &Host,
    new_container: &str,
    image: &str,
    is_upgrade: bool,
    old: &str,
) {
    let mut cmd = vec!["sudo docker run -dit --net host \\".to_string()];
    let mut unknown = Vec::new();
    let mut volume = false;
    for (src, dst) in &host.mounts {
        let src = match src {
            Source::Path(p) => quote(p),
            Source::Volume(v) => {
                volume = true;
                quote(v)
            }
            Source::Unknown(var) => {
                unknown.push((var.clone(), dst.clone()));
                required_var(var, &format!("the host path of {dst}"))
            }
        };
        cmd.push(format!("  -v {src}:{} \\", quote(dst)));
    }
    cmd.push(format!("  -e OMS_HOST_IP={} \\", ip_word(host)));
    if is_upgrade {
        cmd.push("  -e IS_UPGRADE=true \\".into());
    }
    cmd.push("  --privileged=true \\".into());
    cmd.push("  --pids-limit -1 \\".into());
    cmd.push("  --ulimit nproc=65535:65535 \\".into());
    cmd.push(format!("  --name {new_container} \\"));
    cmd.push(format!("  {image}"));
    let mut notes = vec![format!(
        "The old container {} is kept (stopped) for the rollback: do not remove it.",
        code(old)
    )];
    if !unknown.is_empty() {
        notes.push(format!(
            "Set {} to the host paths of the old container first ({}): the paths must be the same as before the upgrade.",
            unknown
                .iter()
                .map(|(v, d)| format!("{} ({})", code(v), md(d)))
                .collect::<Vec<_>>()
                .join(", "),
            code(&format!("sudo docker inspect {old} | grep -A5 Binds"))
        ));
    }
    if volume {
        notes.push("A path of the old container is a docker volume, not a host path (OMS016): the volume is reused here so the new container sees the same files; if you moved its files to a host path, bind that path instead.".into());
    }
    notes.extend(region_note(t, host));
    b.push(
        format!("Start the OMS container {new_container} on {}", host.ip),
        Kind::Command,
        host.ip.clone(),
        Body {
            commands: vec![cmd.join("\n")],
            checks: vec![format!(
                "`sudo docker ps` lists {} as Up",
                code(new_container)
            )],
            notes,
            ..Body::default()
        },
    );
}

/// The correction package: on the first node of each region, `-lfalse` but for the last
/// region, in every region before any docker_init.sh. A host that several regions list
/// runs it once per region, each time with that region's config file.
fn correction_package(
    b: &mut Builder,
    t: &Topology,
    fork: Fork<bool>,
    new_container: &str,
    no_guide: &dyn Fn(&str) -> String,
) {
    match fork {
        Fork::Known(false) => return,
        Fork::Unknown => {
            unknown_step(
                b,
                "Correction package: unknown".into(),
                "every node",
                no_guide("whether the correction package (`correction-1.0-SNAPSHOT-jar-with-dependencies.jar`) runs"),
                vec!["omslint judged OMS003 and OMS007 as if it runs. If it does, it runs on the first node of each region before any docker_init.sh.".into()],
            );
            return;
        }
        Fork::Known(true) => {}
    }
    b.push(
        "Stop the OMS console in the new containers",
        Kind::Command,
        "every node",
        Body {
            commands: vec![format!("sudo docker exec {new_container} supervisorctl stop oms_console")],
            checks: vec![format!(
                "`sudo docker exec {new_container} supervisorctl status` shows `oms_console` STOPPED"
            )],
            ..Body::default()
        },
    );
    let last = t.regions.len().saturating_sub(1);
    for (ri, r) in t.regions.iter().enumerate() {
        let Some(&hi) = r.hosts.first() else {
            unknown_step(
                b,
                format!("Run the correction package in region {}", r.id),
                "a node of the region",
                format!(
                    "Region {} lists no cm_nodes (OMS012): the node to run it on is unknown.",
                    md(&r.id)
                ),
                vec![],
            );
            continue;
        };
        let host = &t.hosts[hi];
        let flag = if ri == last { "-ltrue" } else { "-lfalse" };
        let shared = host.regions.len() > 1;
        let (config, commands, mut notes) = if shared {
            // One container mounts one config.yaml: the other regions' files are copied in.
            let file = format!("/home/admin/conf/config.region{}.yaml", ri + 1);
            let var = format!("REGION_{}_CONFIG", ri + 1);
            (
                file.clone(),
                vec![
                    format!(
                        "sudo docker cp {} {new_container}:{file}",
                        required_var(&var, "the path on this host of the region's config.yaml")
                    ),
                    format!("sudo docker exec -it {new_container} bash"),
                ],
                vec![format!(
                    "Host {} is the first node of several regions ({}): the package runs here once per region, each time with that region's config file. Set {} to region {}'s config.yaml (given to omslint as {}) copied to this host.",
                    md(&host.ip),
                    host.regions.iter().map(|x| md(&t.regions[*x].id)).collect::<Vec<_>>().join(", "),
                    code(&var),
                    md(&r.id),
                    code(&r.config)
                )],
            )
        } else {
            (
                "/home/admin/conf/config.yaml".to_string(),
                vec![format!("sudo docker exec -it {new_container} bash")],
                Vec::new(),
            )
        };
        notes.push("Wait until CM and Supervisor are up (`supervisorctl status` shows them RUNNING) before running the package.".into());
        notes.push(format!(
            "On the first node of region {} only; `{flag}`: {}.",
            md(&r.id),
            if ri == last {
                "this is the last region"
            } else {
                "a later region follows"
            }
        ));
        notes.push("Run it in every region before any docker_init.sh.".into());
        b.push(
            format!("Run the correction package for region {}", r.id),
            Kind::Command,
            host.ip.clone(),
            Body {
                commands,
                in_container: vec![
                    "supervisorctl status".into(),
                    format!("{CORRECTION_JAR} -y{config} {flag}"),
                ],
                checks: vec!["the correction package exits 0 and reports success".into()],
                notes,
            },
        );
    }
}

/// docker_init.sh where the hop's guide says it runs.
fn docker_init(
    b: &mut Builder,
    t: &Topology,
    how: Fork<DockerInit>,
    new_container: &str,
    no_guide: &dyn Fn(&str) -> String,
    advice: &super::Advice,
) {
    let command = format!("sudo docker exec -it {new_container} bash /root/docker_init.sh");
    let init = |b: &mut Builder, host: &Host, mut notes: Vec<String>| {
        notes.extend(advice.init.iter().cloned());
        b.push(
            format!("Initialize the metadata on {}", host.ip),
            Kind::Command,
            host.ip.clone(),
            Body {
                commands: vec![command.clone()],
                checks: vec!["docker_init.sh ends without error".into()],
                notes,
                ..Body::default()
            },
        );
    };
    match how {
        Fork::Unknown => unknown_step(
            b,
            "docker_init.sh: on which nodes is unknown".into(),
            "every node",
            no_guide("on which nodes docker_init.sh runs"),
            vec![format!(
                "The command, on each node it must run on: {}.",
                code(&command)
            )],
        ),
        Fork::Known(DockerInit::Once) if t.nodes_disagree => {
            for h in &t.hosts {
                init(b, h, vec!["The regions list different cm_nodes, or a region's nodes carry different config files (OMS013): docker_init.sh runs on every node.".into()]);
            }
        }
        Fork::Known(DockerInit::Once) => {
            // The V4.2.3 guide: the same cm_nodes in all regions -> one node; the others
            // start the console themselves.
            let Some((first, rest)) = t.hosts.split_first() else {
                return;
            };
            init(
                b,
                first,
                vec![if t.regions.len() > 1 {
                    "Every region lists the same cm_nodes: docker_init.sh runs on this node only."
                        .into()
                } else {
                    "The nodes' configs agree: docker_init.sh runs on this node only.".into()
                }],
            );
            for h in rest {
                b.push(
                    format!("Start the OMS console on {}", h.ip),
                    Kind::Command,
                    h.ip.clone(),
                    Body {
                        commands: vec![
                            format!("sudo docker exec {new_container} sed -i 's/autostart = false/autostart = true/g' /etc/supervisor/conf.d/oms_console.ini"),
                            format!("sudo docker exec {new_container} supervisorctl start oms_console"),
                        ],
                        checks: vec![format!(
                            "`sudo docker exec {new_container} supervisorctl status` shows `oms_console` RUNNING"
                        )],
                        notes: vec![format!("docker_init.sh ran on {}; not here.", md(&first.ip))],
                        ..Body::default()
                    },
                );
            }
        }
        Fork::Known(DockerInit::PerRegion) => {
            // The CE guides: once per region when the region's nodes share one config
            // file, on each node otherwise. They give no step for the other nodes. A host
            // several regions list is initialized once.
            let mut done = Vec::new();
            for r in &t.regions {
                let hosts: Vec<usize> = if r.configs_differ {
                    r.hosts.clone()
                } else {
                    r.hosts.iter().take(1).copied().collect()
                };
                for hi in hosts {
                    if done.contains(&hi) {
                        continue;
                    }
                    done.push(hi);
                    init(
                        b,
                        &t.hosts[hi],
                        vec![if r.configs_differ {
                            format!("The nodes of region {} carry different config files: docker_init.sh runs on each of them.", md(&r.id))
                        } else {
                            format!("The nodes of region {} share one config file: docker_init.sh runs once in the region, here.", md(&r.id))
                        }],
                    );
                }
            }
        }
    }
}

fn recover_projects(b: &mut Builder, t: &Topology) {
    let mut notes = Vec::new();
    if t.stuck_projects.is_empty() {
        notes.push("The MetaDB shows no project FAILED or SUSPEND before the upgrade.".into());
    } else {
        notes.push(
            "These were FAILED or SUSPEND before the upgrade; HA does not resume them:".into(),
        );
        notes.extend(t.stuck_projects.iter().map(|p| format!("- {}", md(p))));
    }
    b.push(
        "Recover the projects that were FAILED or SUSPEND",
        Kind::Manual,
        "console",
        Body {
            checks: vec![
                "every listed project is running again (or deliberately left as it was)".into(),
            ],
            notes,
            ..Body::default()
        },
    );
}

/// The rollback of the last hop: back to `from` with the backups of that hop.
pub fn rollback(
    t: &Topology,
    from: Version,
    to: Version,
    old_container: Option<&str>,
) -> Vec<Step> {
    let mut b = Builder::new();
    let new_container = container_name(to);
    let login = login(t);
    let dbs = t.databases();
    ha_off(&mut b, None);
    for (n, host) in t.hosts.iter().enumerate() {
        let mut commands = vec![format!("sudo docker stop {new_container}")];
        let mut checks = vec![format!(
            "`sudo docker ps` no longer lists {}",
            code(&new_container)
        )];
        if n == 0 {
            commands.push("date '+T3=%F %T'".into());
            checks.push("record the printed T3".into());
        }
        b.push(
            format!("Stop the OMS {to} container on {}", host.ip),
            Kind::Command,
            host.ip.clone(),
            Body {
                commands,
                checks,
                notes: region_note(t, host),
                ..Body::default()
            },
        );
    }
    let mut sql: Vec<String> = dbs
        .iter()
        .map(|db| format!("DROP DATABASE {};", sql_db(db)))
        .collect();
    sql.extend(
        dbs.iter()
            .map(|db| format!("CREATE DATABASE {};", sql_db(db))),
    );
    b.push(
        "Drop and re-create the MetaDB databases",
        Kind::Sql,
        "MetaDB",
        Body {
            commands: sql,
            checks: vec!["`SHOW DATABASES;` lists each of them, empty".into()],
            notes: vec![
                format!("Connect: {}", code(&format!("mysql {login}"))),
                "Only with the backups checked (`test -s`) at hand.".into(),
            ],
            ..Body::default()
        },
    );
    let mut restore: Vec<String> = dbs
        .iter()
        .map(|db| format!("mysql {login} {} < {}", db.shell(), db.dump_file()))
        .collect();
    restore.push("date '+T4=%F %T'".into());
    b.push(
        format!("Restore the {from} backups"),
        Kind::Command,
        "the host holding the backups",
        Body {
            commands: restore,
            checks: vec![
                "every mysql exits 0".into(),
                "record the printed T4: the end of the restore".into(),
            ],
            ..Body::default()
        },
    );
    b.push(
        "Verify the restore",
        Kind::Check,
        "the host holding the backups",
        Body {
            commands: vec![format!(
                "omslint verify --rolled-back --backup-dir . --metadb {}",
                metadb_url(t)
            )],
            checks: vec![
                "exits 0: every table of every restored database equals its backup row for row (OMS108), and no project, data source or component setting of the backups is missing".into(),
            ],
            notes: vec![
                "Before the old container restarts: it writes heartbeats at once, and the heartbeat tables then differ from the backups by design.".into(),
                "An OMS108 finding names the database and table that differ: drop, re-create and restore that database again, then verify again.".into(),
            ],
            ..Body::default()
        },
    );
    for host in &t.hosts {
        let old = container_word(old_container.or(host.container.as_deref()));
        b.push(
            format!("Restart the OMS {from} container on {}", host.ip),
            Kind::Command,
            host.ip.clone(),
            Body {
                commands: vec![format!("sudo docker restart {old}")],
                checks: vec![format!("`sudo docker ps` lists {} as Up", code(&old))],
                notes: region_note(t, host),
                ..Body::default()
            },
        );
    }
    ha_on(
        &mut b,
        "T4 − T1 (from the stop before the upgrade, T1, to the end of the restore, T4)",
        None,
        false,
        &[],
    );
    let mut notes = vec![
        "The guides: HA recovers most components, but you may need to recover the JDBCWriter or connector (Incr-Sync) components by hand; Full-Import components too.".to_string(),
    ];
    if t.full_import.is_empty() {
        notes.push("No Full-Import component is known from the inputs.".into());
    } else {
        notes.push("Full-Import components:".into());
        notes.extend(t.full_import.iter().map(|c| format!("- {}", md(c))));
    }
    b.push(
        "Recover the JDBCWriter, connector and Full-Import components",
        Kind::Manual,
        "console",
        Body {
            checks: vec!["OPS & Monitoring > Component shows every JDBCWriter, Incr-Sync (connector) and Full-Import component running".into()],
            notes,
            ..Body::default()
        },
    );
    b.steps
}

/// A database in SQL: the identifier quoted (names are validated too), or the shell
/// variable's name shown for the operator to replace.
fn sql_db(db: &Db) -> String {
    match db {
        Db::Named(n) => sql::ident(n),
        Db::Unknown { key, .. } => format!("<{key}>"),
    }
}
