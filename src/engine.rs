//! Runs the rules over the facts: every rule in parallel (rules over projects and
//! components fan out per project inside), then findings sorted so that the output never
//! depends on thread timing.

use rayon::prelude::*;
use serde::Serialize;

use crate::finding::Finding;
use crate::rules::{registry, Context, Outcome};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CheckResult {
    pub code: &'static str,
    /// passed | failed | skipped | error
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Default)]
pub struct RunResult {
    pub findings: Vec<Finding>,
    pub checks: Vec<CheckResult>,
}

impl RunResult {
    /// A check that could not run: SPEC §2's exit 3 ("unknown is not a pass").
    pub fn has_errors(&self) -> bool {
        self.checks.iter().any(|c| c.status == "error")
    }
}

pub fn run(ctx: &Context<'_>) -> RunResult {
    let rules = registry();
    let outcomes: Vec<(&'static str, Outcome)> = rules
        .par_iter()
        .map(|r| (r.meta.code.as_str(), (r.check)(ctx, r.meta)))
        .collect();
    let mut result = RunResult::default();
    for (code, outcome) in outcomes {
        let check = match outcome {
            Outcome::Ran(findings) => {
                let status = if findings.is_empty() {
                    "passed"
                } else {
                    "failed"
                };
                result.findings.extend(findings);
                CheckResult {
                    code,
                    status,
                    reason: None,
                }
            }
            Outcome::Skipped(reason) => CheckResult {
                code,
                status: "skipped",
                reason: Some(reason),
            },
            Outcome::Error(reason) => CheckResult {
                code,
                status: "error",
                reason: Some(reason),
            },
        };
        result.checks.push(check);
    }
    result
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    result
}
