//! OMS102: a project RUNNING or FINISHED in the baseline is FAILED, SUSPEND or in
//! transition now. With HA as the guides want it, a task's status stays unchanged
//! through the upgrade.

use super::{finding, verify_facts, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::finding::{Severity, Subject};

/// The statuses of a project still settling.
const TRANSITION: [&str; 4] = ["INIT", "RUNNING_MODIFYING", "RUNNING_MERGING", "RELEASING"];

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let v = match verify_facts(ctx) {
        Ok(v) => v,
        Err(o) => return o,
    };
    if v.mode == crate::verify::facts::Mode::RolledBack {
        return Outcome::Skipped(
            "after a rollback the restore brings every status back: OMS108 compares the project tables row for row".into(),
        );
    }
    let changes = match &v.projects {
        Ok(c) => c,
        Err(why) => return Outcome::Error(why.clone()),
    };
    let mut out = Vec::new();
    for p in changes {
        if !matches!(p.before.as_str(), "RUNNING" | "FINISHED") {
            continue;
        }
        let Some(now) = p.now.as_deref() else {
            continue; // gone: OMS101's
        };
        let (severity, what) = match now {
            "FAILED" | "SUSPEND" => (
                Severity::Error,
                "recover it by hand in the console (with HA on, the guides say a task's status stays unchanged through the upgrade)",
            ),
            s if TRANSITION.contains(&s) => (
                Severity::Warning,
                "it is in transition: check again once it settles",
            ),
            _ => continue,
        };
        let mut subject = Subject::new(p.kind.subject_kind(), &p.id);
        if let Some(n) = &p.name {
            subject = subject.named(n);
        }
        let mut f = finding(
            meta,
            severity,
            subject,
            format!(
                "{} {}{} was {} before the upgrade and is {now} now: {what}",
                p.kind.label(),
                p.id,
                p.name
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
                p.before
            ),
        );
        f.evidence
            .insert("status_before".into(), p.before.clone().into());
        f.evidence.insert("status_now".into(), now.into());
        if let Some(file) = &v.rm_backup {
            f.evidence.insert("file".into(), file.clone().into());
        }
        out.push(f);
    }
    Outcome::Ran(out)
}
