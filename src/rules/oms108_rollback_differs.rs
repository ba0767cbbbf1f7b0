//! OMS108: after a rollback, a table of a backed-up database differs from its backup:
//! rows missing, extra or changed (by key), or the table itself missing or new.

use super::{finding, verify_facts, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::finding::{Severity, Subject};
use crate::verify::facts::{Mode, TableDiff};

fn list(keys: &[String], total: u64) -> String {
    let mut s = keys.join(", ");
    if total > keys.len() as u64 {
        s.push_str(", …");
    }
    s
}

fn message(d: &TableDiff) -> String {
    if d.absent_now {
        return format!(
            "table {}.{} of the backup does not exist now: its {} row(s) are missing",
            d.database, d.table, d.backup_rows
        );
    }
    if d.absent_in_backup {
        return format!(
            "table {}.{} exists now ({} row(s)) but is not in the backup: the restore did not drop and re-create the database",
            d.database, d.table, d.now_rows
        );
    }
    let mut parts = Vec::new();
    if d.missing > 0 {
        parts.push(format!(
            "{} row(s) missing ({})",
            d.missing,
            list(&d.first_missing, d.missing)
        ));
    }
    if d.extra > 0 {
        parts.push(format!(
            "{} extra ({})",
            d.extra,
            list(&d.first_extra, d.extra)
        ));
    }
    if d.changed > 0 {
        let shown: Vec<String> = d
            .first_changed
            .iter()
            .map(|(k, cols)| {
                if cols.is_empty() {
                    k.clone()
                } else {
                    format!("{k}: {}", cols.join(", "))
                }
            })
            .collect();
        parts.push(format!(
            "{} changed ({})",
            d.changed,
            list(&shown, d.changed)
        ));
    }
    if !d.columns_only_in_backup.is_empty() {
        parts.push(format!(
            "column(s) {} of the backup missing",
            d.columns_only_in_backup.join(", ")
        ));
    }
    if !d.columns_only_now.is_empty() {
        parts.push(format!(
            "column(s) {} not in the backup",
            d.columns_only_now.join(", ")
        ));
    }
    format!(
        "table {}.{} differs from its backup ({} row(s) in the backup, {} now, by {}): {}",
        d.database,
        d.table,
        d.backup_rows,
        d.now_rows,
        if d.key.is_empty() {
            "whole row".to_string()
        } else {
            format!("key {}", d.key.join(", "))
        },
        parts.join("; ")
    )
}

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let v = match verify_facts(ctx) {
        Ok(v) => v,
        Err(o) => return o,
    };
    if v.mode != Mode::RolledBack {
        return Outcome::Skipped(
            "runs after a rollback (--rolled-back): after an upgrade the schema and the rows change by design".into(),
        );
    }
    let cmp = match &v.tables {
        Ok(c) => c,
        Err(why) => return Outcome::Error(why.clone()),
    };
    let out = cmp
        .diffs
        .iter()
        .map(|d| {
            let mut f = finding(
                meta,
                Severity::Error,
                Subject::new("table", format!("{}.{}", d.database, d.table)).named(&d.table),
                message(d),
            );
            let e = &mut f.evidence;
            e.insert("database".into(), d.database.clone().into());
            e.insert("table".into(), d.table.clone().into());
            e.insert("backup_rows".into(), d.backup_rows.into());
            e.insert("now_rows".into(), d.now_rows.into());
            e.insert("missing".into(), d.missing.into());
            e.insert("extra".into(), d.extra.into());
            e.insert("changed".into(), d.changed.into());
            e.insert("key".into(), d.key.clone().into());
            e.insert("first_missing".into(), d.first_missing.clone().into());
            e.insert("first_extra".into(), d.first_extra.clone().into());
            e.insert(
                "first_changed".into(),
                d.first_changed
                    .iter()
                    .map(|(k, cols)| serde_json::json!({"key": k, "columns": cols}))
                    .collect::<Vec<_>>()
                    .into(),
            );
            if !d.columns_only_in_backup.is_empty() || !d.columns_only_now.is_empty() {
                e.insert(
                    "columns_only_in_backup".into(),
                    d.columns_only_in_backup.clone().into(),
                );
                e.insert("columns_only_now".into(), d.columns_only_now.clone().into());
            }
            if let Some(file) = &d.backup_file {
                e.insert("file".into(), file.clone().into());
            }
            f
        })
        .collect();
    Outcome::Ran(out)
}
