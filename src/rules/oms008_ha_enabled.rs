//! OMS008: HA is on; the guides turn it off before anything else.

use super::common::{ha_config, json_set_bool};
use super::{finding, Context, Outcome, Stage};
use crate::catalog::RuleMeta;
use crate::finding::{Applicability, Fix, FixKind, Severity, Subject};
use crate::fix::sql;

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let ha = match ha_config(ctx) {
        Ok(Some(ha)) => ha,
        Ok(None) => return Outcome::Ran(Vec::new()),
        Err(o) => return o,
    };
    if !ha.bool_or("enable", false) {
        return Outcome::Ran(Vec::new());
    }
    let (severity, when) = match ctx.stage {
        Stage::Plan => (
            Severity::Warning,
            "turn it off in the console (System Parameters > ha.config) as the first step of the window",
        ),
        Stage::Window => (
            Severity::Error,
            "turn it off now, before the containers stop (System Parameters > ha.config)",
        ),
    };
    let mut f = finding(
        meta,
        severity,
        Subject::deployment(),
        format!(
            "HA is enabled (ha.config enable: true): {when}; turn it back on after the upgrade"
        ),
    );
    f.evidence.insert("enable".into(), true.into());
    let m = &ctx.schema.normal_config;
    let db = ctx
        .deployment
        .metadb
        .database(crate::facts::DbRole::Rm)
        .map(|d| d.name.clone());
    if let Some(new) = json_set_bool(&ha.raw, "enable", false) {
        let t = sql::table(db.as_deref(), &m.table);
        let update = |to: &str, from: &str| {
            format!(
                "UPDATE {t} SET {} = {} WHERE {} = {} AND {} = 'ha.config' AND {} = BINARY {};",
                sql::ident(&m.value),
                sql::literal(to),
                sql::ident(&m.id),
                sql::literal(&ha.id),
                sql::ident(&m.name),
                sql::ident(&m.value),
                sql::literal(from)
            )
        };
        f.fix = Some(Fix {
            kind: FixKind::Sql,
            applicability: Applicability::Unsafe,
            description: "set ha.config enable to false (turn it back on after the upgrade)".into(),
            database: db.clone(),
            sql: Some(update(&new, &ha.raw)),
            rollback_sql: Some(update(&ha.raw, &new)),
            patch: None,
        });
    }
    Outcome::Ran(vec![f])
}
