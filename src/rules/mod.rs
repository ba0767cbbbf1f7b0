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
    pub deployment: &'a Deployment,
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
    Finding {
        code: meta.code.as_str(),
        rule: meta.name.as_str(),
        severity,
        message: message.into(),
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

#[cfg(test)]
mod tests {
    #[test]
    fn registry_covers_the_catalog() {
        let reg = super::registry();
        let codes: Vec<&str> = reg.iter().map(|r| r.meta.code.as_str()).collect();
        let cat: Vec<&str> = crate::catalog::catalog()
            .iter()
            .map(|m| m.code.as_str())
            .collect();
        assert_eq!(codes, cat);
    }
}
