//! omslint against OceanBase, the server real OMS MetaDBs run on: seekdb (OceanBase's
//! single-node server, MySQL mode; `tests/common/seekdb.rs`). One server for the whole
//! run, its scenarios one after the other (each loads the databases it needs afresh):
//!
//! - parity: every fixture deployment loaded into seekdb, linted live as a SELECT-only
//!   user and from `mariadb-dump --triggers=false DB` dumps taken from seekdb (the guides'
//!   command, OceanBase's table options and all): the same findings both ways, and the
//!   same as the fixture's own dumps;
//! - the grants preflight: database, table and role grants (`tests/common/scenarios.rs`,
//!   which MariaDB runs too);
//! - `--fix` with its rollback, and a concurrent change aborting with nothing committed.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::Instant;

use common::mariadb::{dump_database, Client};
use common::scenarios::{self, case_args, copy_without_dumps, deployments, run, temp_dir};
use common::seekdb::SeekDb;
use common::{finding_lines, json, Out};

const LINT_PW: &str = "S3cr3t-ob-lint-pw";

/// Every database of the deployment loaded now, dumped from seekdb by the SELECT-only
/// user with the guides' command, one file each, into `dir/metadb`.
fn dump_from_seekdb(lint: &Client, databases: &[String], dir: &Path) {
    let metadb = dir.join("metadb");
    std::fs::create_dir_all(&metadb).unwrap();
    for d in databases {
        let file = metadb.join(format!("{d}.sql"));
        lint.dump_with(&["--triggers=false"], &[d], &file);
        let text = std::fs::read_to_string(&file).unwrap();
        // The dump is OceanBase's, which is the point: its table options, its version.
        assert!(
            text.contains("-- Server version\t5.7.25") && text.contains("ORGANIZATION INDEX"),
            "{}: not an OceanBase dump:\n{}",
            file.display(),
            &text[..text.len().min(1500)]
        );
        assert!(text.contains("-- Dump completed"), "{}", file.display());
        assert_eq!(dump_database(&file), *d);
    }
}

fn differ(a: &Out, b: &Out, with_evidence: bool) -> Option<String> {
    if a.code != b.code {
        return Some(format!(
            "exit {} vs {}: {} | {}",
            a.code,
            b.code,
            a.stderr.trim(),
            b.stderr.trim()
        ));
    }
    let (x, y) = (
        finding_lines(&json(a), with_evidence),
        finding_lines(&json(b), with_evidence),
    );
    if x == y {
        return None;
    }
    let only_a: Vec<_> = x.iter().filter(|m| !y.contains(m)).collect();
    let only_b: Vec<_> = y.iter().filter(|m| !x.contains(m)).collect();
    Some(format!(
        "only in the first {only_a:?}\n    only in the second {only_b:?}"
    ))
}

/// Live on seekdb and from seekdb's dumps: the same findings, evidence included; and the
/// same findings as the fixture's own (MariaDB) dumps.
fn parity(db: &SeekDb) {
    db.sql(&format!(
        "CREATE USER 'lint'@'127.0.0.1' IDENTIFIED BY '{LINT_PW}'; GRANT SELECT ON *.* TO 'lint'@'127.0.0.1'"
    ));
    let lint = Client::tcp(db.port, "lint", Some(LINT_PW));
    let url = format!("mysql://lint@127.0.0.1:{}", db.port);
    let work = temp_dir("ob-parity");
    let mut failures = Vec::new();
    let mut compared = 0;
    for dir in deployments() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        db.load_deployment(&dir);
        let mut databases: Vec<String> = db
            .sql("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ('mysql','information_schema','oceanbase')")
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        databases.sort();
        let mut args: Vec<String> = ["lint", ".", "--format", "json"].map(String::from).to_vec();
        args.extend(case_args(&dir));
        let fixture = run(&dir, &args, None);

        let live_dir = work.join(&name).join("live");
        copy_without_dumps(&dir, &live_dir);
        let mut live_args = args.clone();
        live_args.extend(["--metadb", &url, "--ssl-mode", "disabled"].map(String::from));
        let live = run(&live_dir, &live_args, Some(LINT_PW));

        let dump_dir = work.join(&name).join("dumps");
        copy_without_dumps(&dir, &dump_dir);
        dump_from_seekdb(&lint, &databases, &dump_dir);
        let dumps = run(&dump_dir, &args, None);

        assert!(!live.stdout.contains(LINT_PW) && !live.stderr.contains(LINT_PW));
        if name.contains("missing-db") {
            // config.yaml names a database the MetaDB lacks: live, a source that cannot
            // be read (exit 3); from dumps, an OMS012 finding, as from the fixture's.
            if live.code != 3 || !live.stderr.contains("does not exist") {
                failures.push(format!(
                    "{name}: live should exit 3 naming the missing database: {} {}",
                    live.code, live.stderr
                ));
            }
        } else if let Some(d) = differ(&live, &dumps, true) {
            failures.push(format!("{name}: live vs seekdb's dumps: {d}"));
        }
        if let Some(d) = differ(&fixture, &dumps, false) {
            failures.push(format!("{name}: fixture dumps vs seekdb's dumps: {d}"));
        }
        compared += 1;
    }
    let _ = std::fs::remove_dir_all(&work);
    assert!(compared > 80, "compared only {compared} deployments");
    assert!(
        failures.is_empty(),
        "{} difference(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// One scenario, run against the shared server.
type Scenario = fn(&SeekDb);

#[test]
fn omslint_against_seekdb() {
    let started = Instant::now();
    let db = SeekDb::start();
    let version = db.sql("SELECT VERSION()");
    assert!(version.contains("OceanBase seekdb"), "{version}");
    let mut failures = Vec::new();
    let cases: [(&str, Scenario); 4] = [
        ("parity", parity),
        ("grants and roles", |db| scenarios::grants_and_roles(db)),
        ("--fix and rollback", |db| scenarios::fix_then_roll_back(db)),
        ("concurrent change", |db| {
            scenarios::concurrent_change_aborts(db)
        }),
    ];
    for (name, case) in cases {
        let t = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| case(&db)));
        let (rss, peak) = db.memory_kib();
        eprintln!(
            "seekdb {name}: {} in {:.1} s; seekdb rss {} MiB, peak {} MiB",
            if result.is_ok() { "ok" } else { "FAILED" },
            t.elapsed().as_secs_f64(),
            rss / 1024,
            peak / 1024
        );
        if let Err(e) = result {
            let why = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{name}: {why}"));
        }
    }
    drop(db);
    eprintln!(
        "seekdb: all scenarios, start and stop in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} scenario(s) failed against seekdb:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
