//! OMS014: projects that are FAILED or SUSPEND, or still in transition.

use rayon::prelude::*;

use super::common::need_projects;
use super::{finding, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::facts::{Project, ProjectFacts};
use crate::finding::{Finding, Severity, Subject};

fn report(meta: &'static RuleMeta, facts: &ProjectFacts, p: &Project) -> Finding {
    let status = p.status().trim().to_ascii_uppercase();
    let what = match status.as_str() {
        "FAILED" | "SUSPEND" => {
            "it stays so through the upgrade and must be recovered by hand afterwards"
        }
        _ => "it is in transition: let it settle (or finish) before the upgrade window",
    };
    let mut f = finding(
        meta,
        Severity::Warning,
        Subject::new(facts.kind.subject_kind(), p.id()).named(p.name()),
        format!(
            "{} {} ({}) is {status}: {what}",
            facts.kind.label(),
            p.id(),
            p.name()
        ),
    );
    f.evidence.insert("status".into(), status.into());
    f.evidence
        .insert("table".into(), facts.table.clone().into());
    f
}

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let m = &ctx.deployment.metadb;
    let both = [&m.projects, &m.sync_projects];
    for facts in both {
        if let Err(o) = need_projects(ctx, facts) {
            return o;
        }
    }
    // Room for both tables' findings at once: grown table by table, the vector would
    // double past the sum (tens of thousands of findings a few hundred bytes each).
    let mut out = Vec::with_capacity(both.iter().map(|f| f.not_ready.len()).sum());
    for facts in both {
        out.par_extend(facts.not_ready.par_iter().map(|p| report(meta, facts, p)));
    }
    Outcome::Ran(out)
}
