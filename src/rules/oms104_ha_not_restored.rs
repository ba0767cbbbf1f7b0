//! OMS104: HA is not back on as the guides want it after the upgrade: off, or on with
//! `perceiveStoreClientCheckpoint` false and `refetchStoreIntervalMin` not covering the
//! downtime (OMS009's judgement, on `ha.config` as it is now).

use super::common::HaConfig;
use super::oms009_store_refetch_window::MARGIN_MIN;
use super::{finding, verify_facts, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::finding::{Severity, Subject};
use crate::verify::facts::Mode;

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let v = match verify_facts(ctx) {
        Ok(v) => v,
        Err(o) => return o,
    };
    if v.mode == Mode::RolledBack {
        return Outcome::Skipped(
            "after a rollback HA goes back on after the old container restarts, after this check"
                .into(),
        );
    }
    let row = match &v.now_ha {
        Ok(r) => r,
        Err(why) => return Outcome::Error(why.clone()),
    };
    let ha = match row {
        None => None,
        Some(r) => match serde_json::from_str::<serde_json::Value>(&r.raw) {
            Ok(serde_json::Value::Object(json)) => Some(HaConfig {
                id: r.id.clone(),
                raw: r.raw.clone(),
                json,
            }),
            _ => {
                return Outcome::Error(format!(
                    "ha.config in {} ({}) is not a JSON object",
                    ctx.schema.normal_config.table, v.now_label
                ))
            }
        },
    };
    let enabled = ha.as_ref().is_some_and(|h| h.bool_or("enable", false));
    let downtime = v.downtime_min as i64;
    let mut f = if !enabled {
        let mut f = finding(
            meta,
            Severity::Warning,
            Subject::deployment(),
            format!(
                "HA is off ({}): turn it back on in the console (System Parameters > ha.config, enable: true), with perceiveStoreClientCheckpoint: true",
                if ha.is_some() {
                    "ha.config enable: false"
                } else {
                    "no ha.config row, so the default enable: false"
                }
            ),
        );
        f.evidence.insert("enable".into(), false.into());
        f
    } else {
        let ha = ha.as_ref().expect("enabled implies a row");
        if ha.bool_or("perceiveStoreClientCheckpoint", false) {
            return Outcome::Ran(Vec::new());
        }
        let refetch = ha.int_or("refetchStoreIntervalMin", 30);
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
                "HA is on, but perceiveStoreClientCheckpoint is false and refetchStoreIntervalMin is {refetch}, {}; set perceiveStoreClientCheckpoint to true, or refetchStoreIntervalMin to at least {} (the downtime T2 − T1 plus the guides' 30-minute margin)",
                if refetch <= downtime {
                    format!("not greater than the downtime of {downtime} min, so the Store components do not reach back to the stop")
                } else {
                    format!("greater than the downtime of {downtime} min but inside the 30-minute margin")
                },
                downtime + MARGIN_MIN
            ),
        );
        f.evidence.insert("enable".into(), true.into());
        f.evidence
            .insert("perceiveStoreClientCheckpoint".into(), false.into());
        f.evidence
            .insert("refetchStoreIntervalMin".into(), refetch.into());
        f.evidence
            .insert("recommended_min".into(), (downtime + MARGIN_MIN).into());
        f
    };
    f.evidence.insert("downtime_min".into(), downtime.into());
    if let Some(file) = &v.rm_backup {
        // Where ha.config was before the upgrade: the report's anchor in SARIF.
        f.evidence.insert("file".into(), file.clone().into());
    }
    Outcome::Ran(vec![f])
}
