//! `lint --fix`, `--diff` and `--fix-script`: which fixes apply, and applying them.
//!
//! SQL fixes run in one transaction per database, every statement guarded by the values
//! it was computed from; if any guard matches no row the MetaDB changed since the scan and
//! nothing is committed. The rollback script is written (and synced) before the commit.
//! Config patches replace their file atomically and keep a backup.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use mysql_async::prelude::Queryable;

use crate::error::{Error, Result};
use crate::finding::{Applicability, Apply, Finding, Fix, JsonRowEdit};
use crate::fix::patch::{self, LineEdit};
use crate::sources::metadb::{self, Target};

/// One guarded statement to run.
#[derive(Debug, Clone)]
pub struct Planned<'a> {
    pub finding: &'a Finding,
    pub sql: String,
    pub rollback: Option<String>,
    pub description: String,
}

/// The fixes a run will apply, grouped the way they are applied.
#[derive(Debug, Default)]
pub struct Plan<'a> {
    /// Database → its guarded statements, in report order.
    pub sql: BTreeMap<String, Vec<Planned<'a>>>,
    /// Findings whose fix was merged into another's statement (same row).
    pub merged: Vec<&'a Finding>,
    /// Config file → its line edits.
    pub edits: BTreeMap<PathBuf, Vec<(&'a Finding, &'a LineEdit)>>,
    /// Fixes the flags allow but that are only ever shown (display-only, or not one
    /// guarded statement, like the heartbeat clean-up's DDL).
    pub shown_only: Vec<(&'a Finding, &'a Fix)>,
}

impl Plan<'_> {
    pub fn is_empty(&self) -> bool {
        self.sql.is_empty() && self.edits.is_empty()
    }

    pub fn len(&self) -> usize {
        self.sql.values().map(Vec::len).sum::<usize>()
            + self.merged.len()
            + self.edits.values().map(Vec::len).sum::<usize>()
    }
}

/// A fix that edits a JSON row, with its finding and edit.
type JsonFix<'a> = (&'a Finding, &'a Fix, &'a JsonRowEdit);

/// `findings` are a run's held ones ([`crate::findings::Findings::held`]): every finding
/// with a fix is held.
pub fn plan(findings: &[Finding], unsafe_fixes: bool) -> Plan<'_> {
    let mut p = Plan::default();
    let mut json_rows: Vec<JsonFix<'_>> = Vec::new();
    for f in findings.iter().filter(|f| f.suppressed.is_none()) {
        let Some(fix) = &f.fix else { continue };
        let allowed = match fix.applicability {
            Applicability::Safe => true,
            Applicability::Unsafe => unsafe_fixes,
            Applicability::DisplayOnly => false,
        };
        if !allowed {
            continue;
        }
        match (&fix.apply, &fix.database) {
            (Some(Apply::GuardedSql), Some(db)) if fix.sql.is_some() => {
                p.sql.entry(db.clone()).or_default().push(Planned {
                    finding: f,
                    sql: fix.sql.clone().unwrap_or_default(),
                    rollback: fix.rollback_sql.clone(),
                    description: fix.description.clone(),
                });
            }
            (Some(Apply::JsonRow(e)), Some(_)) => json_rows.push((f, fix, e)),
            (Some(Apply::LineEdit(e)), _) => {
                p.edits.entry(e.path.clone()).or_default().push((f, e))
            }
            _ => p.shown_only.push((f, fix)),
        }
    }
    // Edits of one JSON row become one statement: applied one after the other, the
    // second's guard would see the first's change and stop everything.
    let mut rows: BTreeMap<(Option<&str>, &str, &str), Vec<JsonFix<'_>>> = BTreeMap::new();
    for item in json_rows {
        rows.entry(item.2.row_key()).or_default().push(item);
    }
    for group in rows.into_values() {
        let (f, fix, first) = group[0];
        let db = fix.database.clone().unwrap_or_default();
        if group.len() == 1 {
            p.sql.entry(db).or_default().push(Planned {
                finding: f,
                sql: fix.sql.clone().unwrap_or_default(),
                rollback: fix.rollback_sql.clone(),
                description: fix.description.clone(),
            });
            continue;
        }
        let mut merged = first.clone();
        merged.set = group.iter().flat_map(|(_, _, e)| e.set.clone()).collect();
        if let Some((sql, rollback)) = merged.statements() {
            let description = group
                .iter()
                .map(|(_, x, _)| x.description.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            p.sql.entry(db).or_default().push(Planned {
                finding: f,
                sql,
                rollback: Some(rollback),
                description,
            });
            p.merged.extend(group.iter().skip(1).map(|(g, _, _)| *g));
        }
    }
    p
}

/// The fix SQL and its rollback, for the `mysql` client: one transaction per database.
pub fn script(plan: &Plan<'_>) -> (String, String) {
    let mut fix = String::from("-- omslint fix script: review, then run with the mysql client.\n-- Each UPDATE is guarded by the values it was computed from: one that changes no row\n-- means the MetaDB changed since the scan (check the client's 'Rows matched').\n");
    let mut rollback = String::from(
        "-- omslint rollback script: undoes the fix script, statement by statement.\n",
    );
    for (db, fixes) in &plan.sql {
        let use_db = format!(
            "\nUSE {};\nSTART TRANSACTION;\n",
            crate::escape::sql::ident(db)
        );
        fix.push_str(&use_db);
        rollback.push_str(&use_db);
        for x in fixes {
            let f = x.finding;
            fix.push_str(&format!(
                "-- {} {} {}\n{}\n",
                f.code, f.subject.kind, f.subject.id, x.sql
            ));
        }
        for x in fixes.iter().rev() {
            let f = x.finding;
            if let Some(r) = &x.rollback {
                rollback.push_str(&format!(
                    "-- {} {} {}\n{r}\n",
                    f.code, f.subject.kind, f.subject.id
                ));
            }
        }
        fix.push_str("COMMIT;\n");
        rollback.push_str("COMMIT;\n");
    }
    (fix, rollback)
}

/// `--diff`: every change `--fix` would make, changing nothing. The SQL first, exactly as
/// `--fix-script` writes it (every line a SQL comment or statement, which `git apply` and
/// `patch` skip as the text before the first patch), then one unified diff with context
/// per config file.
pub fn diff(plan: &Plan<'_>) -> Result<String> {
    let mut out = String::new();
    if !plan.sql.is_empty() {
        out.push_str(&script(plan).0);
        out.push('\n');
    }
    for (path, edits) in &plan.edits {
        let e: Vec<&LineEdit> = edits.iter().map(|(_, e)| *e).collect();
        out.push_str(&patch::file_diff(path, &e)?);
    }
    Ok(out)
}

fn write_synced(path: &Path, text: &str) -> Result<()> {
    let err =
        |e: std::io::Error| Error::CheckFailed(format!("cannot write {}: {e}", path.display()));
    let mut f = std::fs::File::create(path).map_err(err)?;
    f.write_all(text.as_bytes()).map_err(err)?;
    f.sync_all().map_err(err)
}

/// `--fix-script FILE`: FILE and, beside it, FILE's rollback (`x.sql` → `x.rollback.sql`).
pub fn write_script(plan: &Plan<'_>, path: &Path) -> Result<PathBuf> {
    let (fix, rollback) = script(plan);
    let rollback_path = rollback_path_for(path);
    write_synced(path, &fix)?;
    write_synced(&rollback_path, &rollback)?;
    Ok(rollback_path)
}

pub fn rollback_path_for(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "omslint-fix".into());
    path.with_file_name(format!("{stem}.rollback.sql"))
}

/// Applies the config patches, one file at a time (each atomic, with a backup).
pub fn apply_edits(plan: &Plan<'_>) -> Result<Vec<PathBuf>> {
    let mut backups = Vec::new();
    for (path, edits) in &plan.edits {
        let e: Vec<&LineEdit> = edits.iter().map(|(_, e)| *e).collect();
        backups.push(patch::apply(path, &e)?);
    }
    Ok(backups)
}

/// Test hooks for the fault-injection tests: pause until `<path>.go` appears, after
/// writing `<path>.ready` (with the write session's connection id where there is one,
/// so a test can kill exactly that connection). `OMSLINT_FAILPOINT_PAUSE` pauses before
/// applying; `OMSLINT_FAILPOINT_PAUSE_MID` after the first statement of the first
/// transaction, while it is open.
fn failpoint_pause_at(var: &str, connection_id: Option<u32>) {
    if let Ok(path) = std::env::var(var) {
        let id = connection_id.map(|i| i.to_string()).unwrap_or_default();
        // Renamed into place, so that a test sees the file only with its content.
        let _ = std::fs::write(format!("{path}.ready.tmp"), id);
        let _ = std::fs::rename(format!("{path}.ready.tmp"), format!("{path}.ready"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !Path::new(&format!("{path}.go")).exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

fn failpoint_pause() {
    failpoint_pause_at("OMSLINT_FAILPOINT_PAUSE", None);
}

fn failpoint_sleep() -> Option<std::time::Duration> {
    std::env::var("OMSLINT_FAILPOINT_SLEEP_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(std::time::Duration::from_millis)
}

async fn apply_sql_async(
    t: &Target,
    plan: &Plan<'_>,
    rollback_file: &Path,
    rollback_text: &str,
) -> Result<usize> {
    let mut sessions = Vec::new();
    for db in plan.sql.keys() {
        let mut conn = metadb::connect_session(t).await?;
        metadb::with_timeout(
            t,
            t.query_timeout_s,
            "cannot start a transaction",
            conn.query_drop("START TRANSACTION"),
        )
        .await?;
        sessions.push((db, conn));
    }
    let mut applied = 0;
    let mut failure = None;
    'outer: for (db, conn) in sessions.iter_mut() {
        for planned in &plan.sql[*db] {
            let f = planned.finding;
            if let Some(d) = failpoint_sleep() {
                tokio::time::sleep(d).await;
            }
            let sql = planned.sql.as_str();
            match metadb::with_timeout(
                t,
                t.query_timeout_s,
                &format!("{} fix failed", f.code),
                conn.query_drop(sql),
            )
            .await
            {
                Ok(()) if conn.affected_rows() == 1 => {
                    applied += 1;
                    if applied == 1 {
                        failpoint_pause_at("OMSLINT_FAILPOINT_PAUSE_MID", Some(conn.id()));
                    }
                }
                Ok(()) => {
                    failure = Some(Error::CheckFailed(format!(
                        "the MetaDB changed since the scan: the {} fix for {} {} matched {} rows instead of 1; nothing was committed",
                        f.code,
                        f.subject.kind,
                        f.subject.id,
                        conn.affected_rows()
                    )));
                    break 'outer;
                }
                Err(e) => {
                    failure = Some(Error::CheckFailed(format!("{e}; nothing was committed")));
                    break 'outer;
                }
            }
        }
    }
    if let Some(e) = failure {
        for (_, conn) in sessions.iter_mut() {
            let _ = conn.query_drop("ROLLBACK").await;
        }
        return Err(e);
    }
    // The way back exists on disk before anything becomes permanent.
    write_synced(rollback_file, rollback_text)?;
    for (db, conn) in sessions.iter_mut() {
        metadb::with_timeout(
            t,
            t.query_timeout_s,
            &format!("commit in {db} failed"),
            conn.query_drop("COMMIT"),
        )
        .await?;
    }
    for (_, conn) in sessions {
        let _ = conn.disconnect().await;
    }
    Ok(applied)
}

/// Applies the SQL fixes to the live MetaDB; returns how many statements committed.
pub fn apply_sql(t: &Target, plan: &Plan<'_>, rollback_file: &Path) -> Result<usize> {
    if plan.sql.is_empty() {
        return Ok(0);
    }
    failpoint_pause();
    let (_, rollback) = script(plan);
    let rt = metadb::runtime()?;
    rt.block_on(apply_sql_async(t, plan, rollback_file, &rollback))
}
