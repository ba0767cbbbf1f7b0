//! OMS004: tasks that read through oblogproxy cannot be upgraded to 4.3.1 or newer.

use rayon::prelude::*;

use super::common::{metadb_readable, need_projects, need_tables, setting_location};
use super::{finding, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::facts::Component;
use crate::finding::{Finding, Severity, Subject};
use crate::schema_map::TableFact;
use crate::version::Version;

const FIRST_TARGET: Version = Version::new(4, 3, 1);

/// Why a component reads through oblogproxy, if it does.
fn logproxy_evidence(c: &Component) -> Option<(&'static str, String)> {
    if let Some(b) = c.setting("boosterClass") {
        if b.value.contains("LogProxySource") {
            return Some(("boosterClass", b.value.to_string()));
        }
    }
    c.setting("logproxy.address")
        .map(|a| ("logproxy.address", a.value.to_string()))
}

fn component_finding(meta: &'static RuleMeta, to: Version, c: &Component) -> Option<Finding> {
    let (key, value) = logproxy_evidence(c)?;
    let mut f = finding(
        meta,
        Severity::Error,
        Subject::new("component", &c.name).with_project(c.project_id().map(str::to_string)),
        format!(
            "component {} reads through oblogproxy ({key}); an upgrade to {to} does not support oblogproxy tasks: deploy {to} fresh and re-create the task",
            c.name
        ),
    );
    f.location = setting_location(c, key);
    f.evidence.insert(key.into(), value.into());
    Some(f)
}

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let to = ctx.to();
    if to.release() < FIRST_TARGET.release() {
        return Outcome::Skipped(format!(
            "applies to targets 4.3.1 and newer; the target is {to}"
        ));
    }
    if let Err(o) = metadb_readable(ctx) {
        return o;
    }
    let d = ctx.deployment;
    let mut out: Vec<Finding> = d
        .components
        .par_iter()
        .filter_map(|c| component_finding(meta, to, c))
        .collect();
    if !d.metadb.is_empty() {
        // The data sources (useLogProxy) and config_job (component settings) are read too.
        if let Err(o) = need_tables(ctx, &[TableFact::Datasources, TableFact::ConfigJob]) {
            return o;
        }
        for facts in [&d.metadb.projects, &d.metadb.sync_projects] {
            if let Err(o) = need_projects(ctx, facts) {
                return o;
            }
            for p in &facts.logproxy_sources {
                let mut f = finding(
                    meta,
                    Severity::Error,
                    Subject::new(facts.kind.subject_kind(), p.id()).named(p.name()),
                    format!(
                        "{} {} ({}) reads its source through oblogproxy (its data source has useLogProxy: true); an upgrade to {to} does not support oblogproxy tasks: deploy {to} fresh and re-create the task",
                        facts.kind.label(),
                        p.id(),
                        p.name()
                    ),
                );
                if let Some(ds) = p.source_ds() {
                    f.evidence.insert("source_datasource".into(), ds.into());
                }
                out.push(f);
            }
        }
    } else if d.components.is_empty() {
        return Outcome::Skipped("no component configs and no MetaDB source given".into());
    }
    Outcome::Ran(out)
}
