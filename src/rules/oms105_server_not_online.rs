//! OMS105: a server of the cluster (the cm database's host table) is not ONLINE, or a
//! server of the baseline is not in the table any more.

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
            "after a rollback the servers come back when the old container restarts, after this check".into(),
        );
    }
    let now = match &v.now_hosts {
        Ok(h) => h,
        Err(why) => return Outcome::Error(why.clone()),
    };
    let before = v.baseline_hosts.as_deref().unwrap_or(&[]);
    let mut out = Vec::new();
    if now.is_empty() {
        let mut f = finding(
            meta,
            Severity::Error,
            Subject::deployment(),
            format!(
                "the host table lists no server in {}: no server is registered (before the upgrade: {})",
                v.now_label,
                before.len()
            ),
        );
        f.evidence.insert("servers".into(), 0.into());
        out.push(f);
    }
    for h in now {
        let status = h.status.trim().to_ascii_uppercase();
        if status == "ONLINE" {
            continue;
        }
        let mut f = finding(
            meta,
            Severity::Error,
            Subject::new("server", &h.ip),
            format!(
                "server {} is {} (host.status), not ONLINE: OPS & Monitoring > Server must list every server Online",
                h.ip,
                if status.is_empty() { "without a status" } else { &status }
            ),
        );
        f.evidence.insert("status".into(), status.into());
        out.push(f);
    }
    let mut gone: Vec<&str> = before
        .iter()
        .map(|h| h.ip.as_str())
        .filter(|ip| !now.iter().any(|n| n.ip == *ip))
        .collect();
    gone.sort_unstable();
    gone.dedup();
    for ip in gone {
        let mut f = finding(
            meta,
            Severity::Error,
            Subject::new("server", ip),
            format!(
                "server {ip} was in the host table before the upgrade and is not now: it is not Online"
            ),
        );
        f.evidence.insert("status".into(), serde_json::Value::Null);
        out.push(f);
    }
    if let Some(file) = &v.cm_backup {
        for f in &mut out {
            f.evidence.insert("file".into(), file.clone().into());
        }
    }
    Outcome::Ran(out)
}
