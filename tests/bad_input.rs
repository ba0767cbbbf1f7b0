//! Bad input gets a clear error naming the file and line (exit 2), never a panic, and
//! never a secret; an unreadable source is exit 3. Each directory under fixtures/bad/ is a
//! deployment with one broken part and a case.yaml saying what must be reported: broken
//! YAML and JSON, broken dumps, text in another encoding than UTF-8 (`yaml-gbk-region`,
//! `json-gbk-source`) and two dumps of one database (`dumps-same-database`). Inputs that
//! git cannot hold (symbolic link loops, pipes) are built in tests/unreadable_inputs.rs.

mod common;

use common::{fixture, omslint, omslint_in};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct ErrorAt {
    path: String,
    #[serde(default)]
    lines: Vec<u64>,
}

#[derive(Debug, Deserialize)]
struct BadCase {
    #[serde(default)]
    args: Vec<String>,
    exit: i32,
    error: Option<ErrorAt>,
    #[allow(dead_code)]
    description: Option<String>,
}

/// Every fake secret the fixtures use starts like this.
const SECRET_PREFIX: &str = "S3cr3t";

#[test]
fn every_bad_input_is_reported_with_file_and_line() {
    let mut dirs: Vec<_> = std::fs::read_dir(fixture("bad"))
        .expect("fixtures/bad")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.yaml").is_file())
        .collect();
    dirs.sort();
    let names: Vec<String> = dirs
        .iter()
        .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "control",
        "yaml-tab-indent",
        "json-malformed-source",
        "dump-cut-mid-insert",
        "dump-binary-garbage",
        "dump-empty",
        "yaml-gbk-region",
        "json-gbk-source",
        "dumps-same-database",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "fixtures/bad/{want} is missing"
        );
    }
    let mut failures = Vec::new();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let case: BadCase =
            serde_saphyr::from_str(&std::fs::read_to_string(dir.join("case.yaml")).unwrap())
                .unwrap_or_else(|e| panic!("{name}/case.yaml: {e}"));
        for format in ["human", "json"] {
            let mut args = vec![
                "lint".to_string(),
                ".".into(),
                "--format".into(),
                format.into(),
            ];
            args.extend(case.args.iter().cloned());
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = omslint_in(&dir, &argv);
            if out.code != case.exit {
                failures.push(format!(
                    "{name} ({format}): exit {} want {}: {}",
                    out.code,
                    case.exit,
                    out.stderr.trim()
                ));
            }
            if out.stderr.contains("panicked") || out.stderr.contains("RUST_BACKTRACE") {
                failures.push(format!("{name}: panicked: {}", out.stderr));
            }
            if out.stdout.contains(SECRET_PREFIX) || out.stderr.contains(SECRET_PREFIX) {
                failures.push(format!("{name} ({format}): a secret appears in the output"));
            }
            if let Some(at) = &case.error {
                let named = out.stderr.contains(&at.path);
                let lined = at.lines.is_empty()
                    || at
                        .lines
                        .iter()
                        .any(|l| out.stderr.contains(&format!("{}:{l}", at.path)));
                if !named || !lined {
                    failures.push(format!(
                        "{name}: stderr should name {}:{:?}, got: {}",
                        at.path,
                        at.lines,
                        out.stderr.trim()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn unreadable_sources_exit_3() {
    let out = omslint(&["lint", "/nonexistent/snapshot", "--to", "4.2.3"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("/nonexistent/snapshot"));
    let out = omslint(&[
        "lint",
        "--dump",
        "/nonexistent/rm.sql",
        "--to",
        "4.2.3",
        "--from",
        "3.4.0",
    ]);
    assert_eq!(out.code, 3, "{}", out.stderr);
}

#[test]
fn a_directory_where_a_file_is_expected_is_exit_2() {
    let dir = fixture("sample");
    let d = dir.to_string_lossy();
    let out = omslint(&["lint", "--config", &d, "--to", "4.2.3", "--from", "3.4.0"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("directory"), "{}", out.stderr);
    let out = omslint(&["lint", "--dump", &d, "--to", "4.2.3", "--from", "3.4.0"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(omslint(&["lint"]).code, 2);
    let sample = fixture("sample");
    let s = sample.to_string_lossy();
    let out = omslint(&["lint", &s, "--to", "four"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("four"), "{}", out.stderr);
    let out = omslint(&["lint", &s, "--downtime", "soon"]);
    assert_eq!(out.code, 2);
    assert_eq!(omslint(&["explain", "OMS999"]).code, 2);
    assert_eq!(omslint(&["lint", &s, "--format", "yaml"]).code, 2);
}
