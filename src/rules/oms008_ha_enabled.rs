//! OMS008: HA is on; the guides turn it off before anything else.

use super::common::{ha_config, ha_config_fix};
use super::{finding, Context, Outcome, Stage};
use crate::catalog::RuleMeta;
use crate::finding::{Severity, Subject};

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let ha = match ha_config(ctx) {
        Ok(Some(ha)) => ha,
        Ok(None) => return Outcome::Ran(Vec::new()),
        Err(o) => return o,
    };
    if !ha.bool_or("enable", false) {
        return Outcome::Ran(Vec::new());
    }
    let (severity, when) = match ctx.stage {
        Stage::Plan => (
            Severity::Warning,
            "turn it off in the console (System Parameters > ha.config) as the first step of the window",
        ),
        Stage::Window => (
            Severity::Error,
            "turn it off now, before the containers stop (System Parameters > ha.config)",
        ),
    };
    let mut f = finding(
        meta,
        severity,
        Subject::deployment(),
        format!(
            "HA is enabled (ha.config enable: true): {when}; turn it back on after the upgrade"
        ),
    );
    f.evidence.insert("enable".into(), true.into());
    f.fix = ha_config_fix(
        ctx,
        &ha,
        "enable",
        false,
        "set ha.config enable to false (turn it back on after the upgrade)",
    );
    Outcome::Ran(vec![f])
}
