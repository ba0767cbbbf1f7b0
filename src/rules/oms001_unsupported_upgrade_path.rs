//! OMS001: the upgrade path is not one the guides allow.

use super::{finding, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::finding::{Severity, Subject};
use crate::upgrade::PathProblem;

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let p = ctx.path;
    let Some(problem) = &p.problem else {
        return Outcome::Ran(Vec::new());
    };
    let message = match problem {
        PathProblem::NotNewer => format!(
            "the target {} is not newer than the source {}: OMS does not downgrade (roll back from the backups instead)",
            p.to, p.from
        ),
        PathProblem::EditionChange => format!(
            "the source {} is {} and the target {} is {}: the guides give no upgrade between editions",
            p.from,
            p.from.edition(),
            p.to,
            p.to.edition()
        ),
        PathProblem::NeedsStops => format!(
            "{} cannot be upgraded to {} directly; upgrade through the required stops: {}",
            p.from,
            p.to,
            p.display()
        ),
        PathProblem::FreshOnly => format!(
            "{} is deployed fresh only: no upgrade from {} leads to it",
            p.to, p.from
        ),
        PathProblem::NoPath => format!(
            "no upgrade path from {} to {} in the upgrade graph (rules/upgrade-paths.yaml)",
            p.from, p.to
        ),
    };
    let mut f = finding(meta, Severity::Error, Subject::deployment(), message);
    f.evidence.insert("from".into(), p.from.to_string().into());
    f.evidence.insert("to".into(), p.to.to_string().into());
    f.evidence.insert(
        "path".into(),
        p.hops
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .into(),
    );
    Outcome::Ran(vec![f])
}
