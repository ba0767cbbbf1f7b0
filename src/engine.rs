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
    let mut found: Vec<Vec<Finding>> = Vec::new();
    for (code, outcome) in outcomes {
        let check = match outcome {
            Outcome::Ran(findings) => {
                let status = if findings.is_empty() {
                    "passed"
                } else {
                    "failed"
                };
                found.push(findings);
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
    // The largest rule's vector becomes the result, with room for the rest: copying it
    // into a new one would hold two of the largest at once.
    let total: usize = found.iter().map(Vec::len).sum();
    if let Some(largest) = found.iter_mut().max_by_key(|f| f.len()) {
        result.findings = std::mem::take(largest);
        result.findings.reserve_exact(total - result.findings.len());
    }
    for f in found {
        result.findings.extend(f);
    }
    result
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    result
}

/// Applies omslint.yaml to a run: rule selection, severity overrides and waivers. A waived
/// finding is still reported, marked suppressed; an expired waiver turns its finding into
/// an error that says so.
pub fn apply_settings(result: &mut RunResult, s: &crate::settings::Settings, today: &str) {
    use crate::settings::selects;
    let meta = |code: &str| crate::catalog::lookup(code);
    let enabled = |code: &str| {
        let Some(m) = meta(code) else { return true };
        let selected = s.select.is_empty() || s.select.iter().any(|x| selects(x, &m.code, &m.name));
        selected && !s.ignore.iter().any(|x| selects(x, &m.code, &m.name))
    };
    for c in result.checks.iter_mut().filter(|c| !enabled(c.code)) {
        c.status = "skipped";
        c.reason = Some("not selected in the settings (select/ignore)".into());
    }
    result.findings.retain(|f| enabled(f.code));
    for f in &mut result.findings {
        let m = meta(f.code);
        if let Some((_, sev)) = s
            .severity
            .iter()
            .find(|(rule, _)| m.is_some_and(|m| selects(rule, &m.code, &m.name)))
        {
            if let Some(sev) = crate::finding::Severity::parse(sev) {
                f.severity = sev;
            }
        }
        let waiver = s.waivers.iter().find(|w| {
            meta(&w.code).is_some_and(|wm| wm.code == f.code)
                && (w.subject == "*" || w.subject == f.subject.id)
        });
        if let Some(w) = waiver {
            match &w.expires {
                Some(e) if e.as_str() <= today => {
                    f.severity = crate::finding::Severity::Error;
                    f.message = format!(
                        "the waiver for this finding expired on {e}{}: {}",
                        w.ticket
                            .as_deref()
                            .map(|t| format!(" ({t})"))
                            .unwrap_or_default(),
                        f.message
                    );
                }
                _ => {
                    f.suppressed = Some(Box::new(crate::finding::Suppression {
                        reason: w.reason.clone(),
                        ticket: w.ticket.clone(),
                    }));
                }
            }
        }
    }
    for c in result.checks.iter_mut().filter(|c| c.status == "failed") {
        let open = result
            .findings
            .iter()
            .any(|f| f.code == c.code && f.suppressed.is_none());
        if !open {
            c.status = "passed";
            c.reason = Some("every finding is waived".into());
        }
    }
    result
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}
