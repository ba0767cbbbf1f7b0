//! OMS006: a config that OMS005 flags also lacks `checkpoint`.

use super::common::{missing_dbtype, setting_location};
use super::{finding, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::finding::Subject;

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let list = match missing_dbtype(ctx) {
        Ok(l) => l,
        Err(o) => return o,
    };
    let out = list
        .iter()
        .filter(|m| m.component.setting("checkpoint").is_none())
        .map(|m| {
            let c = m.component;
            let mut f = finding(
                meta,
                m.severity,
                Subject::new("component", &c.name).with_project(c.project_id().map(str::to_string)),
                format!(
                    "Incr-Sync component {} lacks checkpoint as well as dbType: the console update that adds dbType needs the checkpoint too (take it from the component's current position)",
                    c.name
                ),
            );
            f.location = setting_location(c, "checkpoint");
            f
        })
        .collect();
    Outcome::Ran(out)
}
