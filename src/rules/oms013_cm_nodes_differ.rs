//! OMS013: regions list different `cm_nodes`, or nodes of one region carry different
//! config files, so `docker_init.sh` must run on every node.

use super::{finding, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::finding::{Severity, Subject};

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let d = ctx.deployment;
    if d.configs.is_empty() {
        return Outcome::Skipped("no config.yaml given".into());
    }
    let mut out = Vec::new();
    let node_sets = d.region_node_sets();
    if node_sets.windows(2).any(|w| w[0].1 != w[1].1) {
        let mut f = finding(
            meta,
            Severity::Notice,
            Subject::deployment(),
            "the regions list different cm_nodes: docker_init.sh then runs on more than one node (on every node in the Enterprise guides, once per region in the Community Edition guides); omslint plan gives the nodes of each hop".to_string(),
        );
        for (id, nodes) in &node_sets {
            f.evidence
                .insert(format!("cm_nodes.{id}").into(), nodes.clone().into());
        }
        out.push(f);
    }
    for (r, i, differing) in d.node_config_differences() {
        let first = d
            .region_config(r)
            .map(|c| c.path.display().to_string())
            .unwrap_or_default();
        let mut f = finding(
            meta,
            Severity::Notice,
            Subject::new("region", &r.id),
            format!(
                "nodes of region {} carry different config files ({first} and {} differ in {}): run docker_init.sh on every node of the region",
                r.id,
                d.configs[i].path.display(),
                differing.join(", ")
            ),
        );
        f.evidence.insert("keys".into(), differing.into());
        out.push(f);
    }
    Outcome::Ran(out)
}
