//! Runs the rules over the facts: every rule in parallel (rules over projects and
//! components fan out per project inside), then findings sorted so that the output never
//! depends on thread timing.

use rayon::prelude::*;
use serde::Serialize;

use std::sync::Arc;

use crate::finding::{Finding, HopRef};
use crate::findings::{Findings, Made};
use crate::rules::{registry, Context, Hop, Outcome, Rule};
use crate::upgrade::{UpgradeGraph, UpgradePath};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CheckResult {
    pub code: &'static str,
    /// passed | failed | skipped | error
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The hop this check was evaluated for, on a path with several hops.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hop: Option<HopRef>,
}

#[derive(Debug, Default)]
pub struct RunResult {
    pub findings: Findings,
    pub checks: Vec<CheckResult>,
}

impl RunResult {
    /// A check that could not run: SPEC §2's exit 3 ("unknown is not a pass").
    pub fn has_errors(&self) -> bool {
        self.checks.iter().any(|c| c.status == "error")
    }
}

/// The documented hops of the path with their guides' procedures.
pub fn hops(path: &UpgradePath, graph: &UpgradeGraph) -> Vec<Hop> {
    path.documented_hops()
        .into_iter()
        .filter_map(|(from, to)| {
            graph.procedure(from, to).map(|procedure| Hop {
                from,
                to,
                procedure,
            })
        })
        .collect()
}

/// Runs lint's rules (`rules::registry`).
pub fn run(ctx: &Context<'_>) -> RunResult {
    run_rules(ctx, &registry())
}

/// Runs the given rules: lint's, or verify's (`rules::verify_registry`).
pub fn run_rules(ctx: &Context<'_>, rules: &[Rule]) -> RunResult {
    let hops = hops(ctx.path, ctx.graph);
    let several = hops.len() > 1;
    // One job per rule, and per hop for the rules whose verdict depends on it.
    let mut jobs: Vec<(&Rule, Option<&Hop>)> = Vec::new();
    for r in rules {
        if r.per_hop {
            jobs.extend(hops.iter().map(|h| (r, Some(h))));
        } else {
            jobs.push((r, None));
        }
    }
    let mut outcomes: Vec<(&'static str, Option<&Hop>, Outcome)> = jobs
        .par_iter()
        .map(|(r, hop)| {
            let hop_ctx = Context { hop: *hop, ..*ctx };
            (r.meta.code.as_str(), *hop, (r.check)(&hop_ctx, r.meta))
        })
        .collect();
    // A per-hop rule on a path no guide documents: there is no hop to judge.
    for r in rules.iter().filter(|r| r.per_hop && hops.is_empty()) {
        outcomes.push((
            r.meta.code.as_str(),
            None,
            Outcome::Skipped(format!(
                "the upgrade {} is not documented (OMS001): no hop to evaluate",
                ctx.path.display()
            )),
        ));
    }
    outcomes.sort_by_key(|(code, _, _)| *code);
    let hop_ref = |h: Option<&Hop>| {
        h.filter(|_| several).map(|h| HopRef {
            from: h.from.to_string(),
            to: h.to.to_string(),
        })
    };
    let mut result = RunResult::default();
    let mut found: Vec<Vec<Finding>> = Vec::new();
    let mut made: Vec<Made> = Vec::new();
    let mut by_rule: Vec<(&'static str, Vec<Finding>, usize)> = Vec::new();
    for (code, hop, outcome) in outcomes {
        if let (Outcome::Made(source), None) = (&outcome, hop) {
            if let Some(m) = Made::new(code, Arc::clone(source)) {
                let status = if m.is_empty() { "passed" } else { "failed" };
                made.push(m);
                result.checks.push(CheckResult {
                    code,
                    status,
                    reason: None,
                    hop: None,
                });
                continue;
            }
        }
        let (status, reason) = match verdict(outcome) {
            Ok(mut findings) => {
                let status = if findings.is_empty() {
                    "passed"
                } else {
                    "failed"
                };
                if let Some(h) = hop_ref(hop) {
                    let b = Box::new(h);
                    for f in &mut findings {
                        f.hop = Some(b.clone());
                    }
                }
                match by_rule.last_mut() {
                    Some((c, v, n)) if *c == code && hop.is_some() => {
                        v.extend(findings);
                        *n += 1;
                    }
                    _ if hop.is_some() => by_rule.push((code, findings, 1)),
                    _ => found.push(findings),
                }
                (status, None)
            }
            Err((status, reason)) => (status, Some(reason)),
        };
        result.checks.push(CheckResult {
            code,
            status,
            reason,
            hop: hop_ref(hop),
        });
    }
    for (_, findings, ran) in by_rule {
        found.push(merge_hops(findings, ran, hops.len()));
    }
    // The largest rule's vector becomes the result, with room for the rest: copying it
    // into a new one would hold two of the largest at once.
    let total: usize = found.iter().map(Vec::len).sum();
    let mut held = Vec::new();
    if let Some(largest) = found.iter_mut().max_by_key(|f| f.len()) {
        held = std::mem::take(largest);
        held.reserve_exact(total - held.len());
    }
    for f in found {
        held.extend(f);
    }
    result.findings = Findings::new(held, made);
    result
}

/// A rule's findings, or the status and reason of a rule that did not run. Findings made
/// on demand are made here when they cannot stay so: a hop's carry it, and a source too
/// large to index has no order to keep.
fn verdict(outcome: Outcome) -> Result<Vec<Finding>, (&'static str, String)> {
    match outcome {
        Outcome::Ran(findings) => Ok(findings),
        Outcome::Made(source) => Ok((0..source.len()).map(|i| source.make(i)).collect()),
        Outcome::Skipped(reason) => Err(("skipped", reason)),
        Outcome::Error(reason) => Err(("error", reason)),
    }
}

/// A per-hop rule's findings: one that every hop reports alike is a verdict that does not
/// depend on the hop, reported once without a hop; the others keep theirs.
fn merge_hops(mut findings: Vec<Finding>, ran: usize, hops: usize) -> Vec<Finding> {
    if hops < 2 {
        return findings;
    }
    let same = |a: &Finding, b: &Finding| {
        a.code == b.code
            && a.severity == b.severity
            && a.subject == b.subject
            && a.location == b.location
            && a.message == b.message
            && a.evidence == b.evidence
            && a.fix == b.fix
    };
    crate::finding::sort_findings(&mut findings);
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    let mut group: Vec<Finding> = Vec::new();
    let flush = |group: &mut Vec<Finding>, out: &mut Vec<Finding>| {
        if ran == hops && group.len() == hops {
            let mut f = group.swap_remove(0);
            f.hop = None;
            out.push(f);
            group.clear();
        } else {
            out.append(group);
        }
    };
    for f in findings {
        if group.first().is_some_and(|g| !same(g, &f)) {
            flush(&mut group, &mut out);
        }
        group.push(f);
    }
    flush(&mut group, &mut out);
    out
}

/// Applies omslint.yaml to a run: rule selection, severity overrides and waivers. A waived
/// finding is still reported, marked suppressed; an expired waiver turns its finding into
/// an error that says so.
pub fn apply_settings(result: &mut RunResult, s: &crate::settings::Settings, today: &str) {
    use crate::settings::selects;
    let enabled = |code: &str| {
        let Some(m) = crate::catalog::lookup(code) else {
            return true;
        };
        let selected = s.select.is_empty() || s.select.iter().any(|x| selects(x, &m.code, &m.name));
        selected && !s.ignore.iter().any(|x| selects(x, &m.code, &m.name))
    };
    for c in result.checks.iter_mut().filter(|c| !enabled(c.code)) {
        c.status = "skipped";
        c.reason = Some("not selected in the settings (select/ignore)".into());
    }
    result.findings.retain_codes(enabled);
    if s.severity.is_empty() && s.waivers.is_empty() {
        return;
    }
    let (settings, today) = (s.clone(), today.to_string());
    result.findings.settle(Arc::new(move |f: &mut Finding| {
        settle(f, &settings, &today)
    }));
    let open: std::collections::HashSet<&'static str> = result
        .findings
        .verdicts()
        .into_iter()
        .filter(|v| !v.suppressed)
        .map(|v| v.code)
        .collect();
    for c in result.checks.iter_mut().filter(|c| c.status == "failed") {
        if !open.contains(c.code) {
            c.status = "passed";
            c.reason = Some("every finding is waived".into());
        }
    }
}

/// One finding under the settings: its severity override, its waiver.
fn settle(f: &mut Finding, s: &crate::settings::Settings, today: &str) {
    use crate::settings::selects;
    let meta = |code: &str| crate::catalog::lookup(code);
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
