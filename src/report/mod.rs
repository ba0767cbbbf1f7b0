//! Reports: the one `Report` value every format renders.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod time;

use serde::Serialize;

use crate::engine::{CheckResult, RunResult};
use crate::facts::Input;
use crate::finding::Severity;
use crate::findings::Findings;

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Tool {
    pub fn omslint() -> Tool {
        Tool {
            name: "omslint",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Upgrade {
    pub from: String,
    pub to: String,
    pub path: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputEntry {
    pub kind: &'static str,
    pub path: String,
    pub sha256: Option<String>,
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub error: usize,
    pub warning: usize,
    pub notice: usize,
    pub suppressed: usize,
    pub checks_run: usize,
    pub checks_skipped: usize,
}

/// A lint is the upgrade's precheck; a verify checks the deployment after the upgrade,
/// or after its rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Precheck,
    AfterUpgrade,
    AfterRollback,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    /// `lint` or `verify`.
    pub command: &'static str,
    pub tool: Tool,
    pub generated_at: String,
    pub upgrade: Upgrade,
    pub inputs: Vec<InputEntry>,
    pub summary: Summary,
    pub findings: Findings,
    pub checks: Vec<CheckResult>,
    /// `verify --rolled-back`: the deployment after a rollback, checked against its
    /// backups. Not in the JSON report (SPEC §4 has no such field); the human, Markdown,
    /// JUnit and SARIF reports say it in their titles and reproduce it.
    #[serde(skip)]
    pub rolled_back: bool,
}

impl Report {
    pub fn new(upgrade: Upgrade, inputs: &[Input], run: RunResult) -> Report {
        let mut summary = Summary::default();
        for f in run.findings.verdicts() {
            if f.suppressed {
                summary.suppressed += 1;
                continue;
            }
            match f.severity {
                Severity::Error => summary.error += 1,
                Severity::Warning => summary.warning += 1,
                Severity::Notice => summary.notice += 1,
            }
        }
        summary.checks_run = run
            .checks
            .iter()
            .filter(|c| c.status == "passed" || c.status == "failed")
            .count();
        summary.checks_skipped = run.checks.iter().filter(|c| c.status == "skipped").count();
        Report {
            schema_version: 1,
            command: "lint",
            tool: Tool::omslint(),
            generated_at: time::now_rfc3339(),
            upgrade,
            inputs: inputs
                .iter()
                .map(|i| InputEntry {
                    kind: i.kind,
                    path: i.path.clone(),
                    sha256: i.sha256.clone(),
                })
                .collect(),
            summary,
            findings: run.findings,
            checks: run.checks,
            rolled_back: false,
        }
    }

    /// What the run was: each format words it its own way in its title.
    pub fn run_kind(&self) -> RunKind {
        match (self.command, self.rolled_back) {
            ("verify", true) => RunKind::AfterRollback,
            ("verify", false) => RunKind::AfterUpgrade,
            _ => RunKind::Precheck,
        }
    }

    /// The highest severity among findings that count (not suppressed), as the summary
    /// counted them.
    pub fn worst(&self) -> Option<Severity> {
        let s = &self.summary;
        [
            (s.error, Severity::Error),
            (s.warning, Severity::Warning),
            (s.notice, Severity::Notice),
        ]
        .into_iter()
        .find_map(|(n, sev)| (n > 0).then_some(sev))
    }
}
