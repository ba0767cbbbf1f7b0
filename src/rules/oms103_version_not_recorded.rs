//! OMS103: the highest version in `oms_version` now is not the target of the upgrade.

use super::{finding, verify_facts, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::finding::{Severity, Subject};
use crate::verify::facts::{Mode, VerifyFacts};

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let v = match verify_facts(ctx) {
        Ok(v) => v,
        Err(o) => return o,
    };
    let to = match (v.mode, v.to) {
        (Mode::RolledBack, _) => return Outcome::Skipped(
            "after a rollback the backup's oms_version is restored: OMS108 compares it row for row"
                .into(),
        ),
        (Mode::Upgrade, Some(to)) => to,
        (Mode::Upgrade, None) => return Outcome::Error("no target version (--to)".into()),
    };
    let rows = match &v.now_versions {
        Ok(r) => r,
        Err(why) => return Outcome::Error(why.clone()),
    };
    let highest = match VerifyFacts::highest(rows) {
        Ok(h) => h,
        Err(why) => return Outcome::Error(format!("{}: {why}", v.now_label)),
    };
    if highest == Some(to) {
        return Outcome::Ran(Vec::new());
    }
    let message = match highest {
        None => format!(
            "oms_version holds no row in {}: the upgrade to {to} is not recorded (docker_init.sh writes it when it completes)",
            v.now_label
        ),
        Some(h) if h < to => format!(
            "the highest version in oms_version is {h}, not the target {to}: the upgrade is not recorded as complete (did docker_init.sh finish?)"
        ),
        Some(h) => format!(
            "the highest version in oms_version is {h}, not the target {to}: the MetaDB says another version runs (check --to)"
        ),
    };
    let mut f = finding(meta, Severity::Error, Subject::deployment(), message);
    f.evidence.insert("target".into(), to.to_string().into());
    f.evidence.insert(
        "highest".into(),
        highest.map_or(serde_json::Value::Null, |h| h.to_string().into()),
    );
    f.evidence.insert(
        "recorded".into(),
        rows.iter()
            .map(|r| serde_json::Value::from(r.version.clone()))
            .collect::<Vec<_>>()
            .into(),
    );
    Outcome::Ran(vec![f])
}
