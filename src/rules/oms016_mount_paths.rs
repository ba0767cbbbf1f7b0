//! OMS016: the current container must bind the host paths the new one will reuse.

use super::{finding, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::finding::{Location, Severity, Subject};
use crate::values::{check as check_value, Kind};

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
    let at = |c: &crate::facts::Container, value: &str| Location {
        path: docker.path.display().to_string(),
        line: c.line_of(value),
        column: 0,
    };
    for c in &docker.containers {
        // Values the runbook's docker run reuses: each must be what it says, or no
        // command can carry it.
        let mut values: Vec<(&str, Kind, &str)> =
            vec![("container name", Kind::DockerName, &c.name)];
        if !c.image.is_empty() {
            values.push(("image", Kind::Image, &c.image));
        }
        values.extend(
            c.binds
                .iter()
                .map(|(_, src)| ("bind source", Kind::AbsPath, src.as_str())),
        );
        values.extend(
            c.volumes
                .iter()
                .map(|(_, v)| ("volume", Kind::DockerName, v.as_str())),
        );
        values.extend(
            c.host_ip
                .iter()
                .map(|ip| ("OMS_HOST_IP", Kind::Host, ip.as_str())),
        );
        for (what, kind, value) in values {
            if let Err(why) = check_value(kind, value) {
                let mut f = finding(
                    meta,
                    Severity::Error,
                    Subject::deployment().named(&c.name),
                    format!("{what} of container {}: {why}: the new container's docker run cannot reuse it", c.name),
                );
                f.location = Some(at(c, value));
                out.push(f);
            }
        }
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
            f.location = Some(at(c, &c.name));
            f.evidence.insert("container".into(), c.name.clone().into());
            f.evidence.insert("missing_bind".into(), dest.into());
            f.evidence.insert("image".into(), c.image.clone().into());
            out.push(f);
        }
    }
    Outcome::Ran(out)
}
