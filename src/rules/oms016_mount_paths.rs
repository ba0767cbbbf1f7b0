//! OMS016: the current container must bind the host paths the new one will reuse.

use super::{finding, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::finding::{Severity, Subject};

pub const REQUIRED_BINDS: [&str; 4] = [
    "/home/admin/logs",
    "/home/ds/store",
    "/home/ds/run",
    "/home/admin/conf/config.yaml",
];

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let Some(docker) = &ctx.deployment.docker else {
        return Outcome::Skipped("no --docker-inspect given".into());
    };
    if docker.containers.is_empty() {
        return Outcome::Error(format!(
            "{}: no container in the docker inspect output",
            docker.path.display()
        ));
    }
    let mut out = Vec::new();
    for c in &docker.containers {
        for dest in REQUIRED_BINDS {
            let norm = |p: &str| p.trim_end_matches('/').to_string();
            if c.binds.iter().any(|(d, _)| norm(d) == dest) {
                continue;
            }
            let mut f = finding(
                meta,
                Severity::Error,
                Subject::deployment().named(&c.name),
                format!(
                    "container {} has no host bind for {dest}: the new container must reuse the same host paths, so bind it (docker run -v <host path>:{dest}) before upgrading",
                    c.name
                ),
            );
            f.evidence.insert("container".into(), c.name.clone().into());
            f.evidence.insert("missing_bind".into(), dest.into());
            f.evidence.insert("image".into(), c.image.clone().into());
            out.push(f);
        }
    }
    Outcome::Ran(out)
}
