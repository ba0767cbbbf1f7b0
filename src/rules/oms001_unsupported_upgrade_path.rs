//! OMS001: the upgrade path is not one the guides document, or reaches past them.

use super::{finding, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::finding::{Severity, Subject};
use crate::upgrade::Edition;

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let p = ctx.path;
    let Some(message) = ctx.graph.explain(p) else {
        return Outcome::Ran(Vec::new());
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
    if !p.documented() {
        let (known, source) = ctx.graph.known_versions(Edition::of(p.from));
        f.evidence.insert(
            "known_versions".into(),
            known
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .into(),
        );
        f.evidence.insert("known_from".into(), source.into());
    }
    f.evidence.insert(
        "upgrade_graph".into(),
        ctx.graph
            .origin
            .as_ref()
            .map_or("built-in (rules/upgrade-paths.yaml)".to_string(), |p| {
                p.display().to_string()
            })
            .into(),
    );
    Outcome::Ran(vec![f])
}
