//! The rule registry: one file per rule, each a plain function over the facts.
//!
//! A rule returns what it found, or says why it could not look (`Skipped` when an
//! optional input was not given, `Error` when an input that should be there is not:
//! unknown is never a pass).

mod common;

pub use common::{json_set_bool, tables_readable};
mod oms001_unsupported_upgrade_path;
mod oms002_console_port_change;
mod oms003_duplicate_project_name;
mod oms004_oblogproxy_task;
mod oms005_incr_sync_missing_dbtype;
mod oms006_incr_sync_missing_checkpoint;
mod oms007_blackregionno_conflict;
mod oms008_ha_enabled;
mod oms009_store_refetch_window;
mod oms010_heartbeat_table_bloat;
mod oms011_backup_missing;
mod oms012_config_inconsistent;
mod oms013_cm_nodes_differ;
mod oms014_project_not_ready;
mod oms015_datahub_task_hidden;
mod oms016_mount_paths;
mod oms101_project_lost;
mod oms102_project_state_regressed;
mod oms103_version_not_recorded;
mod oms104_ha_not_restored;
mod oms105_server_not_online;
mod oms106_datasource_lost;
mod oms107_component_setting_lost;
mod oms108_rollback_differs;

use crate::catalog::RuleMeta;
use crate::facts::Deployment;
use crate::finding::{Finding, Severity, Subject};
use crate::schema_map::SchemaMap;
use crate::upgrade::{Fork, Procedure, UpgradeGraph, UpgradePath};
use crate::version::Version;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stage {
    /// The gate on the change ticket, days before the window.
    #[default]
    Plan,
    /// The go/no-go check inside the window, containers about to stop.
    Window,
}

/// Everything a rule may read.
pub struct Context<'a> {
    /// Shared, so that findings made on demand can read the facts after the rules ran.
    pub deployment: &'a std::sync::Arc<Deployment>,
    pub path: &'a UpgradePath,
    pub graph: &'a UpgradeGraph,
    pub schema: &'a SchemaMap,
    pub stage: Stage,
    /// Planned downtime in minutes (T2 − T1 of the guides).
    pub downtime_min: u64,
    pub heartbeat_threshold: u64,
    /// The hop a per-hop rule is evaluated for; `None` for the rules whose verdict does
    /// not depend on the hop (the engine runs those once).
    pub hop: Option<&'a Hop>,
    /// `omslint verify`'s facts (the deployment now against its backups); `None` in a lint.
    pub verify: Option<&'a crate::verify::facts::VerifyFacts>,
}

/// One documented hop of the upgrade path and its target guide's procedure.
#[derive(Debug, Clone)]
pub struct Hop {
    pub from: Version,
    pub to: Version,
    pub procedure: Procedure,
}

impl Context<'_> {
    /// The source of the hop under evaluation (the path's source outside a hop).
    pub fn from(&self) -> Version {
        self.hop.map_or(self.path.from, |h| h.from)
    }

    /// The target of the hop under evaluation (the path's target outside a hop).
    pub fn to(&self) -> Version {
        self.hop.map_or(self.path.to, |h| h.to)
    }

    /// Whether the hop runs the correction package, as its target's guide says; unknown
    /// outside a hop or where no guide of the edition says.
    pub fn correction_fork(&self) -> Fork<bool> {
        self.hop
            .map_or(Fork::Unknown, |h| h.procedure.correction_package)
    }

    /// Where the hop's guide leaves the correction package open, the words a finding adds
    /// so the reader knows it was judged the strict way.
    pub fn correction_unknown_note(&self) -> Option<String> {
        let h = self.hop?;
        (h.procedure.correction_package == Fork::Unknown).then(|| {
            format!(
                " (no {} guide known to omslint says whether the upgrade from {} to {} runs the correction package: judged as if it does)",
                h.procedure.edition.name(),
                h.from,
                h.to
            )
        })
    }
}

pub enum Outcome {
    Ran(Vec<Finding>),
    /// Ran, its findings made on demand from the facts (see `crate::findings`): for a rule
    /// whose findings may number in the tens of thousands.
    Made(std::sync::Arc<dyn crate::findings::FindingSource>),
    Skipped(String),
    Error(String),
}

pub type CheckFn = fn(&Context<'_>, &'static RuleMeta) -> Outcome;

pub struct Rule {
    pub meta: &'static RuleMeta,
    pub check: CheckFn,
    /// The verdict depends on the hop (its versions or its guide's procedure): the engine
    /// evaluates the rule once for every hop of the path.
    pub per_hop: bool,
}

/// Builds a finding of this rule with no location, evidence or fix yet.
pub fn finding(
    meta: &'static RuleMeta,
    severity: Severity,
    subject: Subject,
    message: impl Into<String>,
) -> Finding {
    let mut message = message.into();
    // `format!` grows its string by doubling: a 130-byte message holds 256, and a large
    // MetaDB yields tens of thousands of findings.
    message.shrink_to_fit();
    Finding {
        code: meta.code.as_str(),
        rule: meta.name.as_str(),
        severity,
        message,
        subject,
        location: None,
        evidence: Default::default(),
        fix: None,
        hop: None,
        suppressed: None,
    }
}

/// Every rule, in code order.
pub fn registry() -> Vec<Rule> {
    const HOP: bool = true;
    const ONCE: bool = false;
    let checks: [(&str, CheckFn, bool); 16] = [
        ("OMS001", oms001_unsupported_upgrade_path::check, ONCE),
        ("OMS002", oms002_console_port_change::check, HOP),
        ("OMS003", oms003_duplicate_project_name::check, HOP),
        ("OMS004", oms004_oblogproxy_task::check, HOP),
        ("OMS005", oms005_incr_sync_missing_dbtype::check, HOP),
        ("OMS006", oms006_incr_sync_missing_checkpoint::check, HOP),
        ("OMS007", oms007_blackregionno_conflict::check, HOP),
        ("OMS008", oms008_ha_enabled::check, ONCE),
        ("OMS009", oms009_store_refetch_window::check, ONCE),
        ("OMS010", oms010_heartbeat_table_bloat::check, HOP),
        ("OMS011", oms011_backup_missing::check, ONCE),
        ("OMS012", oms012_config_inconsistent::check, HOP),
        ("OMS013", oms013_cm_nodes_differ::check, ONCE),
        ("OMS014", oms014_project_not_ready::check, ONCE),
        ("OMS015", oms015_datahub_task_hidden::check, HOP),
        ("OMS016", oms016_mount_paths::check, ONCE),
    ];
    checks
        .into_iter()
        .map(|(code, check, per_hop)| Rule {
            meta: crate::catalog::lookup(code).expect("every registered rule has metadata"),
            check,
            per_hop,
        })
        .collect()
}

/// `omslint verify`'s rules (SPEC §8), in code order: each runs once, on the facts of
/// the deployment now against its backups (`Context::verify`).
pub fn verify_registry() -> Vec<Rule> {
    let checks: [(&str, CheckFn); 8] = [
        ("OMS101", oms101_project_lost::check),
        ("OMS102", oms102_project_state_regressed::check),
        ("OMS103", oms103_version_not_recorded::check),
        ("OMS104", oms104_ha_not_restored::check),
        ("OMS105", oms105_server_not_online::check),
        ("OMS106", oms106_datasource_lost::check),
        ("OMS107", oms107_component_setting_lost::check),
        ("OMS108", oms108_rollback_differs::check),
    ];
    checks
        .into_iter()
        .map(|(code, check)| Rule {
            meta: crate::catalog::lookup(code).expect("every registered rule has metadata"),
            check,
            per_hop: false,
        })
        .collect()
}

/// Verify's facts, or the check error of a rule run outside `omslint verify`.
pub(crate) fn verify_facts<'a>(
    ctx: &Context<'a>,
) -> Result<&'a crate::verify::facts::VerifyFacts, Outcome> {
    ctx.verify.ok_or_else(|| {
        Outcome::Error("a verify rule runs only in `omslint verify` (no baseline was read)".into())
    })
}

#[cfg(test)]
mod tests {
    use crate::catalog::Command;

    #[test]
    fn registry_covers_the_catalog() {
        let codes = |reg: Vec<super::Rule>| -> Vec<&'static str> {
            reg.iter().map(|r| r.meta.code.as_str()).collect()
        };
        let of = |cmd: Command| -> Vec<&'static str> {
            crate::catalog::catalog()
                .iter()
                .filter(|m| m.command == cmd)
                .map(|m| m.code.as_str())
                .collect()
        };
        assert_eq!(codes(super::registry()), of(Command::Lint));
        assert_eq!(codes(super::verify_registry()), of(Command::Verify));
    }
}

/// Verify's rules on hand-made facts: the judgements at their edges.
#[cfg(test)]
mod verify_tests {
    use super::{verify_registry, Context, Outcome, Stage};
    use crate::facts::{Deployment, ProjectKind};
    use crate::finding::Severity;
    use crate::schema_map::SchemaMap;
    use crate::upgrade::{UpgradeGraph, UpgradePath};
    use crate::verify::facts::{
        HaRow, HostRow, Mode, ProjectChange, SettingChange, VerifyFacts, VersionRow,
    };
    use crate::version::Version;

    fn facts(mode: Mode) -> VerifyFacts {
        let versions = |v: &[&str]| -> Vec<VersionRow> {
            v.iter()
                .map(|x| VersionRow {
                    version: x.to_string(),
                    modified: None,
                })
                .collect()
        };
        VerifyFacts {
            mode,
            from: None,
            to: Some("4.2.3".parse().unwrap()),
            downtime_min: 60,
            baseline_label: "the backups".into(),
            now_label: "now".into(),
            rm_backup: None,
            cm_backup: None,
            baseline_versions: Ok(versions(&["3.4.0"])),
            now_versions: Ok(versions(&["3.4.0", "V4.2.3"])),
            now_ha: Ok(Some(HaRow {
                id: "1".into(),
                raw: r#"{"enable":true,"perceiveStoreClientCheckpoint":true}"#.into(),
            })),
            baseline_hosts: Ok(vec![HostRow {
                ip: "10.0.0.1".into(),
                status: "ONLINE".into(),
            }]),
            now_hosts: Ok(vec![HostRow {
                ip: "10.0.0.1".into(),
                status: "online ".into(),
            }]),
            projects: Ok(Vec::new()),
            datasources: Ok(Vec::new()),
            settings: Ok(Vec::new()),
            dbtype: Ok(Vec::new()),
            tables: Err("not compared".into()),
        }
    }

    /// Runs one verify rule on the facts: its findings' severities, or the outcome.
    fn run(code: &str, f: &VerifyFacts) -> Result<Vec<Severity>, String> {
        let d = Deployment::default();
        let v: Version = "3.4.0".parse().unwrap();
        let path = UpgradePath {
            from: v,
            to: v,
            hops: vec![v, v],
            problem: None,
        };
        let (graph, schema) = (UpgradeGraph::builtin(), SchemaMap::builtin());
        let ctx = Context {
            deployment: &std::sync::Arc::new(d),
            path: &path,
            graph: &graph,
            schema: &schema,
            stage: Stage::Plan,
            downtime_min: f.downtime_min,
            heartbeat_threshold: 0,
            hop: None,
            verify: Some(f),
        };
        let rule = verify_registry()
            .into_iter()
            .find(|r| r.meta.code == code)
            .unwrap();
        match (rule.check)(&ctx, rule.meta) {
            Outcome::Ran(found) => Ok(found.iter().map(|x| x.severity).collect()),
            Outcome::Made(s) => Ok((0..s.len()).map(|i| s.make(i).severity).collect()),
            Outcome::Skipped(why) => Err(format!("skipped: {why}")),
            Outcome::Error(why) => Err(format!("error: {why}")),
        }
    }

    #[test]
    fn a_clean_upgrade_passes_every_rule() {
        let f = facts(Mode::Upgrade);
        for code in [
            "OMS101", "OMS102", "OMS103", "OMS104", "OMS105", "OMS106", "OMS107",
        ] {
            assert_eq!(run(code, &f), Ok(vec![]), "{code}");
        }
        assert!(run("OMS108", &f).unwrap_err().starts_with("skipped"));
    }

    #[test]
    fn ha_is_judged_as_oms009_judges_it() {
        let mut f = facts(Mode::Upgrade);
        let ha = |raw: &str| {
            Ok(Some(HaRow {
                id: "1".into(),
                raw: raw.into(),
            }))
        };
        for (raw, want) in [
            (
                r#"{"enable":false,"perceiveStoreClientCheckpoint":true}"#,
                vec![Severity::Warning],
            ),
            (r#"{"enable":true,"refetchStoreIntervalMin":90}"#, vec![]),
            (
                r#"{"enable":true,"refetchStoreIntervalMin":89}"#,
                vec![Severity::Warning],
            ),
            (
                r#"{"enable":true,"refetchStoreIntervalMin":60}"#,
                vec![Severity::Error],
            ),
            (r#"{"enable":"true"}"#, vec![Severity::Error]),
        ] {
            f.now_ha = ha(raw);
            assert_eq!(run("OMS104", &f), Ok(want), "{raw}");
        }
        f.now_ha = Ok(None);
        assert_eq!(
            run("OMS104", &f),
            Ok(vec![Severity::Warning]),
            "no row: off"
        );
        f.now_ha = ha("not json");
        assert!(run("OMS104", &f).unwrap_err().starts_with("error"));
        f.now_ha = Err("no table oms_normal_config".into());
        assert_eq!(
            run("OMS104", &f),
            Err("error: no table oms_normal_config".into())
        );
    }

    #[test]
    fn versions_compare_as_versions() {
        let mut f = facts(Mode::Upgrade);
        let rows = |v: &[&str]| -> Vec<VersionRow> {
            v.iter()
                .map(|x| VersionRow {
                    version: x.to_string(),
                    modified: None,
                })
                .collect()
        };
        f.now_versions = Ok(rows(&["4.2.3", "3.4.0"]));
        assert_eq!(run("OMS103", &f), Ok(vec![]));
        f.now_versions = Ok(rows(&["3.4.0", "4.2.3-CE"]));
        assert_eq!(
            run("OMS103", &f),
            Ok(vec![Severity::Error]),
            "CE is another version"
        );
        f.now_versions = Ok(rows(&[]));
        assert_eq!(run("OMS103", &f), Ok(vec![Severity::Error]));
        f.now_versions = Ok(rows(&["4.2.3", "4.2"]));
        assert!(run("OMS103", &f).unwrap_err().contains("4.2"));
    }

    #[test]
    fn project_statuses_regress_by_the_table() {
        let mut f = facts(Mode::Upgrade);
        let p = |before: &str, now: Option<&str>| ProjectChange {
            kind: ProjectKind::Migration,
            id: format!("p_{before}_{}", now.unwrap_or("gone")),
            name: None,
            before: before.into(),
            now: now.map(str::to_string),
        };
        f.projects = Ok(vec![
            p("RUNNING", Some("FAILED")),
            p("FINISHED", Some("SUSPEND")),
            p("RUNNING", Some("RUNNING_MODIFYING")),
            p("SUSPEND", Some("FAILED")),
            p("RUNNING", Some("FINISHED")),
            p("RUNNING", None),
            p("DELETED", None),
            p("FAILED", Some("DELETED")),
        ]);
        assert_eq!(
            run("OMS102", &f),
            Ok(vec![Severity::Error, Severity::Error, Severity::Warning])
        );
        assert_eq!(
            run("OMS101", &f),
            Ok(vec![Severity::Error, Severity::Error]),
            "gone, and FAILED now DELETED; a DELETED one gone is no loss"
        );
        let mut rb = f.clone();
        rb.mode = Mode::RolledBack;
        assert!(run("OMS102", &rb).unwrap_err().starts_with("skipped"));
        assert_eq!(
            run("OMS101", &rb),
            Ok(vec![Severity::Error, Severity::Error])
        );
    }

    #[test]
    fn settings_lost_or_changed() {
        let mut f = facts(Mode::Upgrade);
        let s = |key: &str, before: Option<&str>, now: Option<Option<&str>>| SettingChange {
            job_name: "10.0.0.1-9000:connector_v2:p_4cew3hhbk3ge-incr_trans-1-0:0000000001".into(),
            key: key.into(),
            before: vec![before.map(str::to_string)],
            now: now.map(|v| vec![v.map(str::to_string)]),
        };
        f.settings = Ok(vec![
            s("sourceFile.blackRegionNo", Some("1"), None),
            s("sourceFile.dbType", Some("OB_MYSQL"), Some(Some("MYSQL"))),
            s(
                "coordinator.bridgeQueueSize",
                Some("256"),
                Some(Some("512")),
            ),
            s("sourceFile.password", Some("S3cr3t"), Some(Some("other"))),
        ]);
        assert_eq!(
            run("OMS107", &f),
            Ok(vec![
                Severity::Error,
                Severity::Error,
                Severity::Warning,
                Severity::Warning
            ])
        );
    }

    #[test]
    fn servers_not_online_or_gone() {
        let mut f = facts(Mode::Upgrade);
        f.now_hosts = Ok(vec![HostRow {
            ip: "10.0.0.2".into(),
            status: "OFFLINE".into(),
        }]);
        assert_eq!(
            run("OMS105", &f),
            Ok(vec![Severity::Error, Severity::Error]),
            "10.0.0.2 offline, 10.0.0.1 gone"
        );
        f.now_hosts = Ok(Vec::new());
        assert_eq!(
            run("OMS105", &f),
            Ok(vec![Severity::Error, Severity::Error])
        );
    }
}
