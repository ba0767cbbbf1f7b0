//! OMS002: a 2.1.x source's console moves from port 80 to 8089.

use super::{finding, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::finding::{Severity, Subject};

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let from = ctx.from();
    if !from.same_series(2, 1) {
        return Outcome::Ran(Vec::new());
    }
    let mut f = finding(
        meta,
        Severity::Notice,
        Subject::deployment(),
        format!(
            "the console of {from} listens on port 80; after the upgrade it is on 8089 (http://<host>:8089): update bookmarks, firewalls and load balancers"
        ),
    );
    f.evidence.insert("old_port".into(), 80.into());
    f.evidence.insert("new_port".into(), 8089.into());
    Outcome::Ran(vec![f])
}
