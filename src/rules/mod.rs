//! The rule registry: one file per rule, each a plain function over the facts.
//!
//! A rule returns what it found, or says why it could not look (`Skipped` when an
//! optional input was not given, `Error` when an input that should be there is not:
//! unknown is never a pass).

mod common;

pub use common::json_set_bool;
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
use crate::upgrade::{UpgradeGraph, UpgradePath};
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
}

impl Context<'_> {
    pub fn from(&self) -> Version {
        self.path.from
    }

    /// The target of this run's hop: rules are evaluated for the first hop only.
    pub fn to(&self) -> Version {
        self.path.first_stop()
    }

    pub fn correction_fork(&self) -> bool {
        self.graph.runs_correction_package(self.from(), self.to())
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
        suppressed: None,
    }
}

/// Every rule, in code order.
pub fn registry() -> Vec<Rule> {
    let checks: [(&str, CheckFn); 16] = [
        ("OMS001", oms001_unsupported_upgrade_path::check),
        ("OMS002", oms002_console_port_change::check),
        ("OMS003", oms003_duplicate_project_name::check),
        ("OMS004", oms004_oblogproxy_task::check),
        ("OMS005", oms005_incr_sync_missing_dbtype::check),
        ("OMS006", oms006_incr_sync_missing_checkpoint::check),
        ("OMS007", oms007_blackregionno_conflict::check),
        ("OMS008", oms008_ha_enabled::check),
        ("OMS009", oms009_store_refetch_window::check),
        ("OMS010", oms010_heartbeat_table_bloat::check),
        ("OMS011", oms011_backup_missing::check),
        ("OMS012", oms012_config_inconsistent::check),
        ("OMS013", oms013_cm_nodes_differ::check),
        ("OMS014", oms014_project_not_ready::check),
        ("OMS015", oms015_datahub_task_hidden::check),
        ("OMS016", oms016_mount_paths::check),
    ];
    checks
        .into_iter()
        .map(|(code, check)| Rule {
            meta: crate::catalog::lookup(code).expect("every registered rule has metadata"),
            check,
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
