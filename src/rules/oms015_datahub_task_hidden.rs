//! OMS015: on a 3.2.1 source, DataHub sync tasks are hidden after the upgrade.

use super::common::{need_projects, need_tables};
use super::{finding, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::finding::{Severity, Subject};
use crate::schema_map::TableFact;

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    if ctx.from().release() != (3, 2, 1) {
        return Outcome::Skipped(format!(
            "applies to source 3.2.1; the source is {}",
            ctx.from()
        ));
    }
    let m = &ctx.deployment.metadb;
    if let Err(o) = need_projects(ctx, &m.sync_projects) {
        return o;
    }
    // DataHub is a data source type: the data source table is read too.
    if let Err(o) = need_tables(ctx, &[TableFact::Datasources]) {
        return o;
    }
    let out = m
        .sync_projects
        .datahub
        .iter()
        .map(|p| {
            let mut f = finding(
                meta,
                Severity::Warning,
                Subject::new("sync-project", p.id()).named(p.name()),
                format!(
                    "data synchronization project {} ({}) uses a DataHub data source: after the upgrade from 3.2.1 it is hidden in the console; contact OMS support before upgrading",
                    p.id(), p.name()
                ),
            );
            for (k, v) in [("source_datasource", p.source_ds()), ("sink_datasource", p.sink_ds())] {
                if let Some(v) = v {
                    f.evidence.insert(k.into(), v.into());
                }
            }
            f
        })
        .collect();
    Outcome::Ran(out)
}
