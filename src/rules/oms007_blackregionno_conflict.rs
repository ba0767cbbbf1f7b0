//! OMS007: in the correction-package fork, a `blackRegionNo` that differs from its
//! region's `cm_location` while an OceanBase data source is both a sync destination and
//! another project's source.

use std::collections::BTreeSet;

use rayon::prelude::*;

use super::common::{is_oceanbase_type, need_metadb, need_projects, need_tables, setting_location};
use super::{finding, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::facts::job_keep::{black_region_set, location_matches};
use crate::facts::{DbRole, SettingOrigin};
use crate::finding::{Severity, Subject};
use crate::schema_map::TableFact;
use crate::upgrade::Fork;

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    // Unknown (no guide of the edition says): checked, the strict way.
    if ctx.correction_fork() == Fork::Known(false) {
        return Outcome::Skipped(format!(
            "applies in the correction-package fork only ({} → {} does not run it)",
            ctx.from(),
            ctx.to()
        ));
    }
    let unknown_note = ctx.correction_unknown_note().unwrap_or_default();
    let d = ctx.deployment;
    let m = &d.metadb;
    for facts in [&m.projects, &m.sync_projects] {
        if let Err(o) = need_projects(ctx, facts) {
            return o;
        }
    }
    if let Err(o) = need_metadb(ctx, DbRole::Cm) {
        return o;
    }
    // Which data sources are OceanBase comes from the data source table.
    if let Err(o) = need_tables(ctx, &[TableFact::Datasources]) {
        return o;
    }
    if d.regions.is_empty() {
        return Outcome::Skipped("no config.yaml: the regions' cm_location are unknown".into());
    }
    // The guides' condition: an OceanBase data source is the destination of a sync
    // project and the source of another project.
    let sources: BTreeSet<&String> = m
        .projects
        .live_source_ds
        .iter()
        .chain(&m.sync_projects.live_source_ds)
        .collect();
    let cyclic: Vec<String> = m
        .sync_projects
        .live_sink_ds
        .iter()
        .filter(|ds| sources.contains(ds))
        .filter(|ds| {
            m.datasources
                .get(*ds)
                .is_some_and(|d| is_oceanbase_type(&d.ds_type))
        })
        .cloned()
        .collect();
    if cyclic.is_empty() {
        return Outcome::Ran(Vec::new());
    }
    let key = format!("{}blackRegionNo", ctx.schema.config_job.source_key_prefix);
    let locations: Vec<(String, Option<i64>)> = d
        .regions
        .iter()
        .map(|r| {
            let loc = d
                .region_config(r)
                .and_then(|c| c.get("cm_location"))
                .and_then(|e| e.value.as_int());
            (r.id.clone(), loc)
        })
        .collect();
    let mut out: Vec<_> = d
        .components
        .par_iter()
        .filter_map(|c| {
            let setting = c.setting("blackRegionNo")?;
            let value = setting.value.trim();
            if !black_region_set(value) {
                return None;
            }
            let region = d.region_of_ip(c.host_ip());
            let expected: Vec<&(String, Option<i64>)> = match region {
                Some(r) => locations.iter().filter(|(id, _)| *id == r.id).collect(),
                None => locations.iter().collect(),
            };
            let matches = expected
                .iter()
                .any(|(_, loc)| location_matches(*loc, value));
            if matches {
                return None;
            }
            let expected_text = expected
                .iter()
                .map(|(id, loc)| format!("{id}: {}", loc.map_or("unknown".into(), |l| l.to_string())))
                .collect::<Vec<_>>()
                .join(", ");
            let (origin, row) = match &setting.origin {
                SettingOrigin::ConfigJob(id) => (format!("config_job row {id} sets {key}"), Some(*id)),
                SettingOrigin::File(span) => (format!("{} sets blackRegionNo", span.path.display()), None),
            };
            let mut f = finding(
                meta,
                Severity::Error,
                Subject::new("component", &c.name).with_project(c.project_id().map(str::to_string)),
                format!(
                    "{origin} = {value} for {}, which differs from its region's cm_location ({expected_text}), while OceanBase data source(s) {} are both a sync destination and another project's source: contact OMS support before the correction package runs",
                    c.name,
                    cyclic.join(", ")
                ) + unknown_note.as_str(),
            );
            f.location = setting_location(c, "blackRegionNo").filter(|_| row.is_none());
            if let Some(id) = row {
                f.evidence.insert("config_job_id".into(), id.into());
            }
            f.evidence.insert("black_region_no".into(), value.to_string().into());
            f.evidence.insert("cm_location".into(), expected_text.into());
            f.evidence.insert(
                "cyclic_datasources".into(),
                cyclic.iter().map(|s| serde_json::Value::from(s.clone())).collect::<Vec<_>>().into(),
            );
            Some(f)
        })
        .collect();
    crate::finding::sort_findings(&mut out);
    Outcome::Ran(out)
}
