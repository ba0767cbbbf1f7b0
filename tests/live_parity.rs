//! The live MetaDB source finds exactly what the dump source finds. For every fixture
//! deployment: load its dumps into a real MariaDB, lint it live as a SELECT-only user,
//! lint the dumps, and compare the findings (code, subject, severity, message). This is
//! the guard against the two sources drifting apart.

mod common;

use common::json;
use common::mariadb::MariaDb;
use common::scenarios::{case_args, copy_without_dumps, deployments, run};

const LINT_PASSWORD: &str = "S3cr3t-lint-pw";

#[test]
fn live_and_dump_lint_agree_on_every_fixture() {
    // Not UTC, as OceanBase's default (+08:00): TIMESTAMP columns must read the same live
    // as in a dump, which mariadb-dump writes in UTC.
    let db = MariaDb::start_with(&["--default-time-zone=+08:00".to_string()]);
    db.sql(&format!(
        "CREATE USER 'lint'@'127.0.0.1' IDENTIFIED BY '{LINT_PASSWORD}'; GRANT SELECT ON *.* TO 'lint'@'127.0.0.1'"
    ));
    let url = format!("mysql://lint@127.0.0.1:{}", db.port);
    let work = std::env::temp_dir().join(format!("omslint-parity-{}", std::process::id()));
    let mut failures = Vec::new();
    let mut compared = 0;
    for dir in deployments() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        // A fresh MetaDB for each deployment: their databases share names.
        db.load_deployment(&dir);
        let mut args: Vec<String> =
            vec!["lint".into(), ".".into(), "--format".into(), "json".into()];
        args.extend(case_args(&dir));
        let offline = run(&dir, &args, None);
        let live_dir = work.join(&name);
        copy_without_dumps(&dir, &live_dir);
        let mut live_args = args.clone();
        live_args.extend([
            "--metadb".into(),
            url.clone(),
            "--ssl-mode".into(),
            "disabled".into(),
        ]);
        let live = run(&live_dir, &live_args, Some(LINT_PASSWORD));
        if name.contains("missing-db") {
            // config.yaml names a database no dump holds: offline that is an OMS012
            // finding; live it is a source that cannot be read (exit 3, one clear line).
            if live.code != 3 || !live.stderr.contains("does not exist") {
                failures.push(format!(
                    "{name}: live should exit 3 naming the missing database: {} {}",
                    live.code, live.stderr
                ));
            }
            continue;
        }
        if offline.code != live.code {
            failures.push(format!(
                "{name}: exit {} offline, {} live: {}",
                offline.code,
                live.code,
                live.stderr.trim()
            ));
            continue;
        }
        let (a, b) = (
            common::finding_lines(&json(&offline), false),
            common::finding_lines(&json(&live), false),
        );
        if a != b {
            let only_off: Vec<_> = a.iter().filter(|m| !b.contains(m)).collect();
            let only_live: Vec<_> = b.iter().filter(|m| !a.contains(m)).collect();
            failures.push(format!(
                "{name}: offline only {only_off:?}\n  live only {only_live:?}"
            ));
        }
        assert!(!live.stdout.contains(LINT_PASSWORD) && !live.stderr.contains(LINT_PASSWORD));
        compared += 1;
    }
    let _ = std::fs::remove_dir_all(&work);
    assert!(compared > 80, "compared only {compared} deployments");
    assert!(
        failures.is_empty(),
        "{} deployment(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
