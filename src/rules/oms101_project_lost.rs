//! OMS101: a migration or sync project of the baseline (not DELETED) is gone now.

use super::{finding, verify_facts, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::finding::{Severity, Subject};

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let v = match verify_facts(ctx) {
        Ok(v) => v,
        Err(o) => return o,
    };
    let changes = match &v.projects {
        Ok(c) => c,
        Err(why) => return Outcome::Error(why.clone()),
    };
    let mut out = Vec::new();
    for p in changes {
        if p.before == "DELETED" {
            continue;
        }
        let gone = match p.now.as_deref() {
            None => "is missing now",
            Some("DELETED") => "is marked DELETED now",
            Some(_) => continue,
        };
        let mut subject = Subject::new(p.kind.subject_kind(), &p.id);
        if let Some(n) = &p.name {
            subject = subject.named(n);
        }
        let mut f = finding(
            meta,
            Severity::Error,
            subject,
            format!(
                "{} {}{} was {} in {} and {gone} (in {})",
                p.kind.label(),
                p.id,
                p.name
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
                p.before,
                v.baseline_label,
                v.now_label
            ),
        );
        f.evidence
            .insert("status_before".into(), p.before.clone().into());
        f.evidence.insert(
            "status_now".into(),
            p.now.clone().map_or(serde_json::Value::Null, Into::into),
        );
        if let Some(file) = &v.rm_backup {
            f.evidence.insert("file".into(), file.clone().into());
        }
        out.push(f);
    }
    Outcome::Ran(out)
}
