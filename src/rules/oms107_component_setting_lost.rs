//! OMS107: a component setting (`config_job` job, key and value) of the baseline is
//! missing or changed now; and an Incr-Sync component OMS005 flagged (no `dbType` nor
//! `db_type` before the upgrade) still lacks `dbType`.

use super::{finding, verify_facts, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::finding::{Finding, Severity, Subject};
use crate::verify::facts::{DbTypeComponent, Mode, SettingChange, VerifyFacts};
use crate::version::Version;

/// Settings whose loss breaks the task (dbType) or lets it loop (blackRegionNo).
const CRITICAL: [&str; 3] = ["dbType", "db_type", "blackRegionNo"];

fn shown(values: &[Option<String>], secret: bool) -> String {
    if secret {
        return "(a secret: not shown)".into();
    }
    let one = |v: &Option<String>| match v {
        None => "NULL".to_string(),
        Some(s) if s.chars().count() > 80 => {
            format!("'{}…'", s.chars().take(80).collect::<String>())
        }
        Some(s) => format!("'{s}'"),
    };
    values.iter().map(one).collect::<Vec<_>>().join(", ")
}

fn setting(meta: &'static RuleMeta, v: &VerifyFacts, prefix: &str, s: &SettingChange) -> Finding {
    let name = s.key.strip_prefix(prefix).unwrap_or(&s.key);
    let critical = CRITICAL.iter().any(|c| c.eq_ignore_ascii_case(name));
    let secret = crate::redact::is_secret_key(name);
    let project = crate::facts::link::project_id_of(&s.job_name).map(str::to_string);
    let (what, severity) = match &s.now {
        None => (
            format!(
                "was {} in {} and is missing in {}",
                shown(&s.before, secret),
                v.baseline_label,
                v.now_label
            ),
            if critical {
                Severity::Error
            } else {
                Severity::Warning
            },
        ),
        Some(now) => (
            format!(
                "was {} in {} and is {} in {}",
                shown(&s.before, secret),
                v.baseline_label,
                shown(now, secret),
                v.now_label
            ),
            if critical {
                Severity::Error
            } else {
                Severity::Warning
            },
        ),
    };
    let mut f = finding(
        meta,
        severity,
        Subject::new("setting", format!("{}/{}", s.job_name, s.key))
            .named(&s.key)
            .with_project(project),
        format!(
            "component setting {} of {} {what}{}",
            s.key,
            s.job_name,
            if critical {
                "; the component needs it (dbType: the Incr-Sync task stops; blackRegionNo: cyclic replication is no longer filtered): set it again (OPS & Monitoring > Component > Update)"
            } else {
                ""
            }
        ),
    );
    f.evidence
        .insert("component".into(), s.job_name.clone().into());
    f.evidence.insert("key".into(), s.key.clone().into());
    f.evidence.insert("missing".into(), s.now.is_none().into());
    if let Some(file) = &v.cm_backup {
        f.evidence.insert("file".into(), file.clone().into());
    }
    f
}

/// Whether OMS005 flagged the component before the upgrade: its conditions, on the
/// baseline's version (and for 3.3.0 the task's creation before the 3.3.0 upgrade).
fn flagged(v: &VerifyFacts, c: &DbTypeComponent) -> Result<Option<String>, String> {
    let rows = v.baseline_versions.as_deref().unwrap_or(&[]);
    let from = match v.from {
        Some(from) => from,
        None => {
            let rows = v.baseline_versions.as_ref().map_err(Clone::clone)?;
            VerifyFacts::highest(rows)?.ok_or_else(|| {
                format!(
                    "{} records no version in oms_version (give --from)",
                    v.baseline_label
                )
            })?
        }
    };
    match from.release() {
        (3, 2, 1) | (3, 2, 2) => Ok(Some(format!("the source was {from}"))),
        (3, 3, 0) => {
            let upgraded = rows
                .iter()
                .filter(|r| {
                    r.version
                        .parse::<Version>()
                        .is_ok_and(|x| x.release() == (3, 3, 0))
                })
                .filter_map(|r| r.modified.clone())
                .min();
            Ok(match (&c.project_created, &upgraded) {
                (Some(c), Some(u)) if c >= u => None,
                (Some(c), Some(u)) => Some(format!(
                    "the source was 3.3.0 and the task was created on 3.2.x ({c}, before the 3.3.0 upgrade at {u})"
                )),
                _ => Some(
                    "the source was 3.3.0 and the task's creation time cannot be placed before or after the 3.3.0 upgrade"
                        .into(),
                ),
            })
        }
        _ => Ok(None),
    }
}

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let v = match verify_facts(ctx) {
        Ok(v) => v,
        Err(o) => return o,
    };
    let changes = match &v.settings {
        Ok(c) => c,
        Err(why) => return Outcome::Error(why.clone()),
    };
    let prefix = &ctx.schema.config_job.source_key_prefix;
    let mut out: Vec<Finding> = changes
        .iter()
        .map(|s| setting(meta, v, prefix, s))
        .collect();
    if v.mode == Mode::Upgrade {
        let lacking = match &v.dbtype {
            Ok(l) => l,
            Err(why) => return Outcome::Error(why.clone()),
        };
        for c in lacking {
            let why = match flagged(v, c) {
                Ok(Some(why)) => why,
                Ok(None) => continue,
                Err(e) => return Outcome::Error(e),
            };
            let mut f = finding(
                meta,
                if c.syncs_ddl {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                Subject::new("component", &c.name).with_project(c.project_id.clone()),
                format!(
                    "Incr-Sync component {} had no dbType (nor db_type) before the upgrade ({why}: OMS005) and has none now; {}: add dbType to its source (OPS & Monitoring > Component > Incr-Sync > Update), or re-create the task",
                    c.name,
                    if c.syncs_ddl {
                        "it syncs DDL, so the task cannot run"
                    } else {
                        "it does not sync DDL, so it runs with the default OB_MySQL"
                    }
                ),
            );
            f.evidence.insert("syncs_ddl".into(), c.syncs_ddl.into());
            if let Some(file) = &v.cm_backup {
                f.evidence.insert("file".into(), file.clone().into());
            }
            out.push(f);
        }
    }
    Outcome::Ran(out)
}
