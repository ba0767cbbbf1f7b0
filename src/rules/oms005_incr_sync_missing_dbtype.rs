//! OMS005: Incr-Sync source configs without `dbType` on 3.2.1/3.2.2 (and 3.3.0 tasks
//! created on 3.2.x).

use super::common::{missing_dbtype, setting_location, MissingDbType};
use super::{finding, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::finding::{Applicability, Finding, Fix, FixKind, Subject};

fn report(meta: &'static RuleMeta, m: &MissingDbType<'_>) -> Finding {
    let c = m.component;
    let value = m
        .db_type
        .clone()
        .unwrap_or_else(|| "<the source data source's type>".into());
    let ddl = if m.syncs_ddl {
        "it syncs DDL, so the task stops after the upgrade"
    } else if m
        .db_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("OB_MYSQL"))
    {
        "it does not sync DDL and its OB_MYSQL source matches the default"
    } else {
        "it does not sync DDL, but the default OB_MySQL does not match its source"
    };
    let mut f = finding(
        meta,
        m.severity,
        Subject::new("component", &c.name).with_project(c.project_id().map(str::to_string)),
        format!(
            "Incr-Sync component {} has no dbType (nor db_type) in its source config; {}; {ddl}",
            c.name, m.why_applies
        ),
    );
    f.location = setting_location(c, "dbType");
    f.evidence.insert("syncs_ddl".into(), m.syncs_ddl.into());
    if let Some(t) = &m.db_type {
        f.evidence.insert("db_type_to_add".into(), t.clone().into());
    }
    if let Some(p) = m.project {
        f.evidence.insert("project".into(), p.id().into());
    }
    f.fix = Some(Box::new(Fix {
        kind: FixKind::ConfigPatch,
        applicability: Applicability::DisplayOnly,
        description: format!(
            "In the OMS console: OPS & Monitoring > Component > Incr-Sync (Connector), Update on {}, add to `source` the parameter dbType = {value}, click Update. When every task on host {} has one source type, Batch O&M > Update by IP does it for all. Otherwise re-create the task.",
            c.name,
            c.host_ip().unwrap_or("<host>")
        ),
        database: None,
        sql: None,
        rollback_sql: None,
        patch: None,
        apply: None,
    }));
    f
}

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    match missing_dbtype(ctx) {
        Ok(list) => Outcome::Ran(list.iter().map(|m| report(meta, m)).collect()),
        Err(o) => o,
    }
}
