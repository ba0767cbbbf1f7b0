//! `omslint plan`: the upgrade runbook of SPEC §7 for one deployment.
//!
//! The steps of the upgrade guides, in order, with this deployment's values filled in
//! (nodes, containers, binds, MetaDB databases) from the same facts `lint` reads. No
//! secret from any input is ever read here: the MetaDB password is prompted for (`-p`).
//!
//! In the plan, titles and precondition messages are plain text; notes and checks are
//! Markdown inline text with every input value escaped; commands are shell (or SQL) with
//! every input value validated for its kind and quoted.

pub mod json;
pub mod markdown;
mod steps;
mod topology;

use std::io::Write;

use serde::Serialize;

use crate::cli::{Format, PlanArgs, PlanFormat};
use crate::error::{Error, Result};
use crate::facts::Deployment;
use crate::finding::{Finding, Severity};
use crate::findings::Findings;
use crate::upgrade::{UpgradeGraph, UpgradePath};
use crate::version::Version;
use steps::{build_hop, code, container_name, md, new_image, HopInput};

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
    /// Plain text.
    pub title: String,
    pub kind: Kind,
    /// A node IP, `console`, `every node`, `MetaDB`, or `region <id>`.
    pub node: String,
    /// Run on the node (shell), or in the MetaDB (SQL, for `kind: sql`).
    pub commands: Vec<String>,
    /// Typed inside the container that the last of `commands` enters.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub container_commands: Vec<String>,
    /// Markdown inline text.
    pub checks: Vec<String>,
    pub manual: bool,
    /// What the DBA must know to run the step (Markdown inline text).
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
    /// `finding` (a blocking lint finding), `advice` (a warning or notice to act on before
    /// the window), `console` (a check the MetaDB cannot show) or `check-error` (a lint
    /// check that could not run).
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Plain text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Plain text.
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
    pub tool: crate::report::Tool,
    pub upgrade: UpgradeInfo,
    /// What the runbook was made from, as the lint report lists it.
    pub inputs: Vec<crate::report::InputEntry>,
    pub hops: Vec<Hop>,
    pub preconditions: Vec<Precondition>,
    pub rollback: Vec<Step>,
    /// Deployment-wide remarks (Markdown inline text).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The warnings and notices of one hop, placed at the step they concern (Markdown).
#[derive(Debug, Default)]
pub struct Advice {
    /// OMS008: HA is on now.
    pub ha_on: Option<String>,
    /// OMS009 (a warning): the refetch window inside the margin.
    pub refetch: Vec<String>,
    /// OMS010: per heartbeat database.
    pub heartbeat: Vec<(String, String)>,
    /// OMS013: where docker_init.sh runs.
    pub init: Vec<String>,
    /// OMS002: what changes for the console's users after the upgrade.
    pub after: Vec<String>,
}

fn subject_text(f: &Finding) -> String {
    let s = &f.subject;
    let base = if s.kind == "deployment" && s.id == "deployment" {
        "deployment".to_string()
    } else {
        format!("{} {}", s.kind, s.id)
    };
    match &s.name {
        Some(n) => format!("{base} ({n})"),
        None => base,
    }
}

/// Whether a finding concerns `hop` (findings without a hop concern every hop).
fn of_hop(f: &Finding, from: Version, to: Version) -> bool {
    f.hop
        .as_deref()
        .is_none_or(|h| h.from == from.to_string() && h.to == to.to_string())
}

/// Places the warnings and notices of a hop; returns those that belong before the
/// window as preconditions.
fn advice_for(findings: &Findings, from: Version, to: Version) -> (Advice, Vec<Precondition>) {
    let mut a = Advice::default();
    let mut before = Vec::new();
    for f in findings
        .iter()
        .filter(|f| f.severity != Severity::Error && f.suppressed.is_none())
        .filter(|f| of_hop(f, from, to))
    {
        let text = format!("{}: {}", f.code, md(&f.message));
        match f.code {
            "OMS008" => a.ha_on = Some(f.message.clone()),
            "OMS009" => a.refetch.push(text),
            "OMS010" => a.heartbeat.push((f.subject.id.clone(), text)),
            "OMS013" => a.init.push(text),
            "OMS002" => a.after.push(text),
            _ => {}
        }
        if !matches!(f.code, "OMS002" | "OMS008" | "OMS009" | "OMS010" | "OMS013") {
            before.push(Precondition {
                kind: "advice",
                code: Some(f.code.to_string()),
                subject: Some(subject_text(&f)),
                message: f.message.clone(),
                hop: f.hop.as_deref().map(ToString::to_string),
            });
        }
    }
    (a, before)
}

/// Builds the runbook from one lint run.
fn build(
    d: &Deployment,
    graph: &UpgradeGraph,
    path: &UpgradePath,
    findings: &Findings,
    downtime_min: u64,
) -> Result<Plan> {
    let topo = topology::gather(d)?;
    let mut preconditions: Vec<Precondition> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error && f.suppressed.is_none())
        // The runbook takes the required stops itself.
        .filter(|f| {
            !(f.code == "OMS001" && path.problem == Some(crate::upgrade::PathProblem::NeedsStops))
        })
        .map(|f| Precondition {
            kind: "finding",
            code: Some(f.code.to_string()),
            subject: Some(subject_text(&f)),
            message: f.message.clone(),
            hop: f.hop.as_deref().map(ToString::to_string),
        })
        .collect();
    let upgrade = UpgradeInfo {
        from: path.from.to_string(),
        to: path.to.to_string(),
        path: path.hops.iter().map(Version::to_string).collect(),
    };
    let hop_facts = crate::engine::hops(path, graph);
    if hop_facts.is_empty() {
        // No guide documents this upgrade: the runbook says so and gives no step, rather
        // than steps no guide wrote.
        return Ok(Plan {
            schema_version: 1,
            tool: crate::report::Tool::omslint(),
            upgrade,
            inputs: Vec::new(),
            hops: Vec::new(),
            preconditions,
            rollback: Vec::new(),
            notes: vec![format!(
                "No runbook: no guide known to omslint documents the upgrade {} (OMS001). A site with a newer guide can give its upgrade graph with `--upgrade-paths FILE`.",
                md(&path.display())
            )],
        });
    }
    let mut advice_before: Vec<Precondition> = Vec::new();
    let mut hops = Vec::new();
    let mut prev_container: Option<String> = None;
    let mut prev_image: Option<String> = None;
    for (i, h) in hop_facts.iter().enumerate() {
        let (advice, before) = advice_for(findings, h.from, h.to);
        for p in before {
            let dup = advice_before
                .iter()
                .any(|q| q.code == p.code && q.subject == p.subject && q.message == p.message);
            if !dup {
                advice_before.push(p);
            }
        }
        let hop = build_hop(
            &topo,
            HopInput {
                hop: h,
                old_container: prev_container.as_deref(),
                old_image: prev_image.as_deref(),
                relint: i > 0,
                downtime_min,
                advice: &advice,
            },
        );
        prev_container = Some(container_name(h.to));
        let old = prev_image
            .clone()
            .or(topo.hosts.iter().find_map(|x| x.image.clone()));
        prev_image = old.map(|o| {
            new_image(Some(&o), &h.procedure.image_tag)
                .trim_matches('\'')
                .to_string()
        });
        hops.push(hop);
    }
    preconditions.extend(advice_before);
    for message in [
        "Data Migration: every running migration project is past forward switchover (or not yet in incremental sync); the MetaDB does not show it.",
        "Data Synchronization: every running sync project is near real time (latency of seconds); the MetaDB does not show it.",
    ] {
        preconditions.push(Precondition {
            kind: "console",
            code: None,
            subject: None,
            message: message.into(),
            hop: None,
        });
    }

    let mut notes = Vec::new();
    let n = path.hops.len();
    let (last_from, last_to) = (path.hops[n - 2], path.hops[n - 1]);
    let rollback = if last_from.release() >= (3, 2, 1) {
        let old = (n > 2).then(|| container_name(last_from));
        notes.push(format!(
            "The rollback returns the deployment from {last_to} to {last_from}, with the backups taken in the {last_from} → {last_to} upgrade."
        ));
        steps::rollback(&topo, last_from, last_to, old.as_deref())
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
            md(&path.display())
        ));
    }
    if topo.regions_share_hosts {
        notes.push(format!(
            "Every region lists the same nodes ({}): each host is stopped, started and initialized once.",
            topo.hosts.iter().map(|h| md(&h.ip)).collect::<Vec<_>>().join(", ")
        ));
    }
    if !topo.have_inspect {
        notes.push(format!(
            "No docker inspect was given: the old container's name and the host paths of its mounts are shell variables ({}, {}, …) that stop the command until you set them; or give `--docker-inspect`.",
            code("CONTAINER_NAME"),
            code("OMS_RUN_PATH")
        ));
    }
    notes.push("Every command that needs a value omslint does not know uses a shell variable written `\"${NAME:?…}\"`: set it first, or the command stops and says what is missing. mysql and mysqldump prompt for the MetaDB password (`-p`); omslint never prints it.".into());
    Ok(Plan {
        schema_version: 1,
        tool: crate::report::Tool::omslint(),
        upgrade,
        inputs: Vec::new(),
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
        report: crate::cli::ReportArgs {
            format: Format::Json,
            output: None,
            sarif_category: None,
            fail_on: crate::cli::FailOn::Error,
            exit_zero: false,
            color: crate::cli::ColorArg::Never,
        },
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
    plan.inputs = parts
        .report
        .inputs
        .iter()
        .map(|i| crate::report::InputEntry {
            kind: i.kind,
            path: i.path.clone(),
            sha256: i.sha256.clone(),
        })
        .collect();
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
