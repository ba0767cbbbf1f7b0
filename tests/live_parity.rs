//! The live MetaDB source finds exactly what the dump source finds. For every fixture
//! deployment: load its dumps into a real MariaDB, lint it live as a SELECT-only user,
//! lint the dumps, and compare the findings (code, subject, severity, message). This is
//! the guard against the two sources drifting apart.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::mariadb::MariaDb;
use common::{fixture, json};
use serde::Deserialize;

const LINT_PASSWORD: &str = "S3cr3t-lint-pw";

#[derive(Debug, Deserialize)]
struct Case {
    #[serde(default)]
    args: Vec<String>,
}

fn deployments() -> Vec<PathBuf> {
    let mut v = vec![fixture("sample")];
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixture("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("metadb").is_dir())
        .collect();
    cases.sort();
    v.extend(cases);
    v
}

fn copy_without_dumps(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap();
        if name == "metadb" {
            continue;
        }
        let status = Command::new("cp")
            .arg("-a")
            .arg(&p)
            .arg(to.join(name))
            .status()
            .unwrap();
        assert!(status.success());
    }
}

fn run(dir: &Path, args: &[String], env_password: bool) -> common::Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_omslint"));
    cmd.args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1795000000");
    if env_password {
        cmd.env("OMSLINT_METADB_PASSWORD", LINT_PASSWORD);
    } else {
        cmd.env_remove("OMSLINT_METADB_PASSWORD");
    }
    let out = cmd.output().unwrap();
    common::Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn live_and_dump_lint_agree_on_every_fixture() {
    let db = MariaDb::start();
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
        let case: Case = std::fs::read_to_string(dir.join("case.yaml"))
            .ok()
            .and_then(|t| serde_saphyr::from_str(&t).ok())
            .unwrap_or(Case { args: Vec::new() });
        let mut args: Vec<String> =
            vec!["lint".into(), ".".into(), "--format".into(), "json".into()];
        args.extend(case.args.iter().cloned());
        let offline = run(&dir, &args, false);
        let live_dir = work.join(&name);
        copy_without_dumps(&dir, &live_dir);
        let mut live_args = args.clone();
        live_args.extend([
            "--metadb".into(),
            url.clone(),
            "--ssl-mode".into(),
            "disabled".into(),
        ]);
        let live = run(&live_dir, &live_args, true);
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
