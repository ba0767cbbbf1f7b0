//! OMS106: a data source of the baseline is gone now.

use super::{finding, verify_facts, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::finding::{Severity, Subject};

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let v = match verify_facts(ctx) {
        Ok(v) => v,
        Err(o) => return o,
    };
    let lost = match &v.datasources {
        Ok(l) => l,
        Err(why) => return Outcome::Error(why.clone()),
    };
    let out = lost
        .iter()
        .map(|d| {
            let mut subject = Subject::new("datasource", &d.id);
            if let Some(n) = &d.name {
                subject = subject.named(n);
            }
            let mut f = finding(
                meta,
                Severity::Error,
                subject,
                format!(
                    "data source {}{}{} of {} is missing in {}: the projects that use it cannot run",
                    d.id,
                    d.name
                        .as_deref()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default(),
                    d.ds_type
                        .as_deref()
                        .map(|t| format!(", {t},"))
                        .unwrap_or_default(),
                    v.baseline_label,
                    v.now_label
                ),
            );
            if let Some(t) = &d.ds_type {
                f.evidence.insert("type".into(), t.clone().into());
            }
            if let Some(file) = &v.rm_backup {
                f.evidence.insert("file".into(), file.clone().into());
            }
            f
        })
        .collect();
    Outcome::Ran(out)
}
