//! OMS009: with `perceiveStoreClientCheckpoint` off, `refetchStoreIntervalMin` must exceed
//! the downtime (T2 − T1), by the guides' 30-minute margin.

use super::common::{ha_config, ha_config_fix};
use super::{finding, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::finding::{Severity, Subject};

/// The guides' example: 60 minutes of downtime plus 30 minutes margin = 90.
pub const MARGIN_MIN: i64 = 30;

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let ha = match ha_config(ctx) {
        Ok(Some(ha)) => ha,
        Ok(None) => return Outcome::Ran(Vec::new()),
        Err(o) => return o,
    };
    if ha.bool_or("perceiveStoreClientCheckpoint", false) {
        return Outcome::Ran(Vec::new());
    }
    let refetch = ha.int_or("refetchStoreIntervalMin", 30);
    let downtime = ctx.downtime_min as i64;
    let severity = if refetch <= downtime {
        Severity::Error
    } else if refetch < downtime + MARGIN_MIN {
        Severity::Warning
    } else {
        return Outcome::Ran(Vec::new());
    };
    let mut f = finding(
        meta,
        severity,
        Subject::deployment(),
        format!(
            "perceiveStoreClientCheckpoint is false and refetchStoreIntervalMin is {refetch}, {} the planned downtime of {downtime} min{}: set perceiveStoreClientCheckpoint to true, or refetchStoreIntervalMin to at least {} when HA goes back on",
            if refetch <= downtime { "not greater than" } else { "greater than" },
            if refetch <= downtime { "" } else { " but inside the guides' 30-minute margin" },
            downtime + MARGIN_MIN
        ),
    );
    f.evidence
        .insert("refetchStoreIntervalMin".into(), refetch.into());
    f.evidence.insert("downtime_min".into(), downtime.into());
    f.evidence
        .insert("recommended_min".into(), (downtime + MARGIN_MIN).into());
    f.fix = ha_config_fix(
        ctx,
        &ha,
        "perceiveStoreClientCheckpoint",
        true,
        "set ha.config perceiveStoreClientCheckpoint to true (a live HA setting; the runbook sets it when HA goes back on)",
    );
    Outcome::Ran(vec![f])
}
