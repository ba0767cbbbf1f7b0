//! OMS010: a large `heatbeat_sequence` (sic) slows the backup the guides take.

use super::common::need_metadb;
use super::{finding, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::escape::sql;
use crate::facts::DbRole;
use crate::finding::{Applicability, Fix, FixKind, Severity, Subject};
use crate::upgrade::{Cleanup, Fork};

/// The hop's guide's clean-up: the 4.2 guides' swap-table procedure keeps the newest row;
/// the older guides DELETE.
fn cleanup_sql(ctx: &Context<'_>, db: &str, how: Cleanup) -> String {
    let t = &ctx.schema.heartbeat.table;
    let id = sql::ident(&ctx.schema.heartbeat.id);
    let q = |s: &str| sql::ident(s);
    let use_db = format!("USE {};\n", sql::ident(db));
    if how == Cleanup::Swap {
        let bak = format!("{t}_bak");
        let bak2 = format!("{t}_bak2");
        format!(
            "{use_db}CREATE TABLE IF NOT EXISTS {bak} LIKE {tbl};\nINSERT INTO {bak} SELECT * FROM {tbl} ORDER BY {id} DESC LIMIT 1;\nALTER TABLE {tbl} RENAME TO {bak2};\nALTER TABLE {bak} RENAME TO {tbl};\nDROP TABLE {bak2};",
            bak = q(&bak),
            bak2 = q(&bak2),
            tbl = q(t),
        )
    } else {
        // The derived table makes the guides' DELETE legal on MySQL too (error 1093).
        format!(
            "{use_db}DELETE FROM {tbl} WHERE {id} < (SELECT m FROM (SELECT MAX({id}) AS m FROM {tbl}) AS newest);",
            tbl = q(t)
        )
    }
}

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    if let Err(o) = need_metadb(ctx, DbRole::Heartbeat) {
        return o;
    }
    let m = &ctx.deployment.metadb;
    let mut out = Vec::new();
    for db in m.databases.iter().filter(|d| d.role == DbRole::Heartbeat) {
        let Some(stats) = m.heartbeat.get(&db.name) else {
            return Outcome::Error(format!(
                "table {} not found in heartbeat database {}",
                ctx.schema.heartbeat.table, db.name
            ));
        };
        if stats.rows <= ctx.heartbeat_threshold {
            continue;
        }
        let mut f = finding(
            meta,
            Severity::Warning,
            Subject::new("database", &db.name),
            format!(
                "{}.{} holds {} rows (threshold {}): clean it up after the containers stop, before the backup",
                db.name, ctx.schema.heartbeat.table, stats.rows, ctx.heartbeat_threshold
            ),
        );
        f.evidence.insert("rows".into(), stats.rows.into());
        f.evidence
            .insert("threshold".into(), ctx.heartbeat_threshold.into());
        let how = match ctx.hop.map(|h| h.procedure.heartbeat_cleanup) {
            Some(Fork::Known(how)) => how,
            _ => {
                f.message.push_str(&format!(
                    "; no {} guide known to omslint gives the clean-up for the upgrade from {} to {}: ask OMS support which statement to run",
                    crate::upgrade::Edition::of(ctx.to()).name(),
                    ctx.from(),
                    ctx.to()
                ));
                out.push(f);
                continue;
            }
        };
        f.fix = Some(Box::new(Fix {
            kind: FixKind::Sql,
            applicability: Applicability::Unsafe,
            description: "keep only the newest heartbeat row; run only after every OMS container has stopped (heartbeats written meanwhile would be lost); the rows cannot be restored except from the backup".into(),
            database: Some(db.name.clone()),
            sql: Some(cleanup_sql(ctx, &db.name, how)),
            rollback_sql: None,
            patch: None,
            apply: None,
        }));
        out.push(f);
    }
    Outcome::Ran(out)
}
