//! Helpers shared by the CLI tests: run the real binary, parse its JSON report.

#![allow(dead_code)]

pub mod mariadb;
pub mod scenarios;
pub mod seekdb;

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// Runs omslint in `dir` with a pinned clock and no colour.
pub fn omslint_in(dir: &Path, args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_omslint"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .env("NO_COLOR", "1")
        .output()
        .expect("omslint runs");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn omslint(args: &[&str]) -> Out {
    omslint_in(&root(), args)
}

pub fn json(out: &Out) -> serde_json::Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); exit {}\nstdout:\n{}\nstderr:\n{}",
            out.code, out.stdout, out.stderr
        )
    })
}

/// (code, severity, subject id) of every finding.
pub fn findings(report: &serde_json::Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_string(),
                f["severity"].as_str().unwrap_or_default().to_string(),
                f["subject"]["id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// One sorted line per finding (code, subject, severity, message, and the evidence when
/// asked), for comparing two reports of the same deployment.
pub fn finding_lines(report: &serde_json::Value, with_evidence: bool) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .expect("a findings array")
        .iter()
        .map(|f| {
            let line = format!(
                "{} {} {} {} | {}",
                f["code"], f["subject"]["kind"], f["subject"]["id"], f["severity"], f["message"]
            );
            if with_evidence {
                format!("{line} | {}", f["evidence"])
            } else {
                line
            }
        })
        .collect();
    v.sort();
    v
}

/// Compares `actual` with `tests/snapshots/NAME`; `UPDATE_SNAPSHOTS=1` rewrites it.
pub fn snapshot(name: &str, actual: &str) {
    let path: PathBuf = root().join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing snapshot {} (run with UPDATE_SNAPSHOTS=1)",
            path.display()
        )
    });
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(5)
            .map(|(i, (a, b))| format!("line {}:\n  want: {a}\n  got:  {b}", i + 1))
            .collect();
        panic!(
            "{name} differs from its snapshot ({} vs {} lines):\n{}",
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}
