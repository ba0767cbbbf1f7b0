//! OMS011: every database the upgrade changes has a complete backup in `--backup-dir`.

use std::collections::BTreeSet;

use super::{finding, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::facts::DbRole;
use crate::finding::{Location, Severity, Subject};

/// rm, cm and every region's cm_hb: from config.yaml, else from the MetaDB sources.
fn databases(ctx: &Context<'_>) -> BTreeSet<String> {
    let d = ctx.deployment;
    let mut out: BTreeSet<String> = d
        .configs
        .iter()
        .flat_map(|c| ["drc_rm_db", "drc_cm_db", "drc_cm_heartbeat_db"].map(|k| c.text(k)))
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .collect();
    if out.is_empty() {
        out = d
            .metadb
            .databases
            .iter()
            .filter(|db| db.role != DbRole::Unknown)
            .map(|db| db.name.clone())
            .collect();
    }
    out
}

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let Some(backups) = &ctx.deployment.backups else {
        return Outcome::Skipped("no --backup-dir given".into());
    };
    let wanted = databases(ctx);
    if wanted.is_empty() {
        return Outcome::Error(
            "the databases to back up are unknown: give config.yaml or the MetaDB dumps".into(),
        );
    }
    let mut out = Vec::new();
    for db in &wanted {
        let files: Vec<_> = backups
            .files
            .iter()
            .filter(|f| f.database.as_deref() == Some(db.as_str()))
            .collect();
        if files.iter().any(|f| f.problem.is_none() && f.completed) {
            continue;
        }
        let (message, location) = match files.first() {
            None => (
                format!(
                    "no backup of database {db} in {}: back it up with mysqldump before the upgrade (it is the only way to roll back)",
                    backups.dir.display()
                ),
                None,
            ),
            Some(f) => (
                format!(
                    "the backup of database {db} in {} is not usable: {}",
                    f.path.display(),
                    f.problem.clone().unwrap_or_else(|| "no '-- Dump completed' trailer: the dump was cut short".into())
                ),
                Some(Location {
                    path: f.path.display().to_string(),
                    line: 0,
                    column: 0,
                }),
            ),
        };
        let mut f = finding(meta, Severity::Error, Subject::new("database", db), message);
        f.location = location.filter(|l| l.line > 0);
        f.evidence.insert(
            "backup_dir".into(),
            backups.dir.display().to_string().into(),
        );
        if let Some(file) = files.first() {
            f.evidence
                .insert("file".into(), file.path.display().to_string().into());
            f.evidence.insert("size".into(), file.size.into());
        }
        out.push(f);
    }
    Outcome::Ran(out)
}
