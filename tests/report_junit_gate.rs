//! `--format junit` against what Jenkins and GitLab do with it: every file validates
//! against Jenkins' `junit-10.xsd` (tests/schemas/, see its README) with `xmllint`, with
//! and without `--fail-on`; a test fails exactly when its check fails the `--fail-on`
//! gate, so the JUnit verdict and the exit code agree; `--exit-zero` changes the exit
//! code only.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fixture, json, omslint_in, Out};
use serde_json::Value;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("omslint-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Validates the XML against junit-10.xsd with xmllint (libxml2-utils); a missing
/// xmllint fails the test.
fn assert_valid_junit(dir: &Path, name: &str, xml: &str) {
    let path = dir.join(format!("{name}.xml"));
    std::fs::write(&path, xml).unwrap();
    let xsd = common::root().join("tests/schemas/junit-10.xsd");
    let out = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(&path)
        .output()
        .expect("xmllint runs (Debian package libxml2-utils; scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "{name}: not valid against junit-10.xsd:\n{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const SUMMARY: &str = r#"
import json, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
print(json.dumps({
    "failures": int(root.get("failures")),
    "errors": int(root.get("errors")),
    "failed": [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None],
    "types": [c.find("failure").get("type") for c in root.iter("testcase") if c.find("failure") is not None],
    "props": {p.get("name"): p.get("value") for p in root.iter("property") if p.get("name") == "fail_on"},
}))
"#;

fn summary(dir: &Path, xml: &str) -> Value {
    let path = dir.join("summary.xml");
    std::fs::write(&path, xml).unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(SUMMARY)
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn rank(severity: &str) -> u8 {
    match severity {
        "error" => 3,
        "warning" => 2,
        "notice" => 1,
        s => panic!("severity {s}"),
    }
}

/// The test names that must fail at `gate`: the checks (per hop) with an open finding at
/// or above it, as the JSON report of the same run says.
fn expected_failures(report: &Value, gate: &str) -> Vec<String> {
    let mut out = Vec::new();
    for c in report["checks"].as_array().unwrap() {
        if c["status"] == "error" || c["status"] == "skipped" {
            continue;
        }
        let code = c["code"].as_str().unwrap();
        let fails = report["findings"].as_array().unwrap().iter().any(|f| {
            f["code"] == code
                && f["suppressed"].is_null()
                && (c.get("hop").is_none() || f.get("hop").is_none() || f["hop"] == c["hop"])
                && rank(f["severity"].as_str().unwrap()) >= rank(gate)
        });
        if fails {
            let meta = omslint::catalog::lookup(code).unwrap();
            let mut name = format!("{code} {}", meta.name);
            if let Some(h) = c.get("hop") {
                name.push_str(&format!(
                    " (hop {} → {})",
                    h["from"].as_str().unwrap(),
                    h["to"].as_str().unwrap()
                ));
            }
            out.push(name);
        }
    }
    out
}

fn lint(dir: &Path, args: &[&str], extra: &[&str]) -> Out {
    let mut all = vec!["lint", "."];
    all.extend_from_slice(args);
    all.extend_from_slice(extra);
    let out = omslint_in(dir, &all);
    assert!(
        out.code == 0 || out.code == 1,
        "omslint {all:?} exited {}\n{}",
        out.code,
        out.stderr
    );
    out
}

/// Runs `dir` with every gate, with and without --exit-zero, and checks the verdicts.
fn check_gates(dir: &Path, args: &[&str], tmp: &Path, name: &str) -> Vec<(String, usize)> {
    let report = json(&lint(dir, args, &["--format", "json"]));
    let mut seen = Vec::new();
    for (gate, flags) in [
        ("error", vec![]),
        ("error", vec!["--fail-on", "error"]),
        ("warning", vec!["--fail-on", "warning"]),
        ("notice", vec!["--fail-on", "notice"]),
    ] {
        let mut extra = vec!["--format", "junit"];
        extra.extend(flags.iter().copied());
        let out = lint(dir, args, &extra);
        assert_valid_junit(tmp, &format!("{name}-{gate}"), &out.stdout);
        let s = summary(tmp, &out.stdout);
        let want = expected_failures(&report, gate);
        let failed: Vec<String> = s["failed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(failed, want, "{name} --fail-on {gate}");
        assert_eq!(s["failures"], want.len(), "{name} --fail-on {gate}");
        assert_eq!(s["props"]["fail_on"], gate);
        for t in s["types"].as_array().unwrap() {
            assert!(rank(t.as_str().unwrap()) >= rank(gate), "{name}: type {t}");
        }
        // The JUnit verdict and the exit code agree.
        assert_eq!(
            out.code,
            i32::from(!want.is_empty()),
            "{name} --fail-on {gate}: exit {} with {} failing tests",
            out.code,
            want.len()
        );
        // --exit-zero: the same file, exit 0.
        let mut zero = extra.clone();
        zero.push("--exit-zero");
        let z = lint(dir, args, &zero);
        assert_eq!(z.code, 0, "{name} --exit-zero");
        assert_eq!(
            z.stdout, out.stdout,
            "{name}: --exit-zero leaves the tests as they are"
        );
        seen.push((gate.to_string(), want.len()));
    }
    seen
}

#[test]
fn the_sample_validates_and_fails_exactly_at_the_gate() {
    let tmp = TempDir::new("junit-gate-sample");
    let seen = check_gates(
        &fixture("sample"),
        &["--backup-dir", "backups"],
        &tmp.0,
        "sample",
    );
    // The sample has errors, warnings and a notice: each gate fails more tests.
    let n: Vec<usize> = seen.iter().map(|(_, n)| *n).collect();
    assert!(
        n[0] > 0 && n[0] == n[1] && n[1] < n[2] && n[2] < n[3],
        "{seen:?}"
    );
}

#[test]
fn warnings_alone_pass_until_the_gate_says_otherwise() {
    let tmp = TempDir::new("junit-gate-warn");
    for case in [
        "OMS008-fires",
        "OMS010-fires",
        "OMS014-fires",
        "OMS013-fires",
    ] {
        let dir = fixture(&format!("cases/{case}"));
        let seen = check_gates(&dir, &["--to", "4.2.3"], &tmp.0, case);
        assert_eq!(seen[0].1, 0, "{case}: nothing at the default gate");
        assert_eq!(
            seen[3].1, 1,
            "{case}: one failing check at --fail-on notice"
        );
        // The default file lists the finding in the passing case's system-out.
        let out = lint(&dir, &["--to", "4.2.3"], &["--format", "junit"]);
        assert!(!out.stdout.contains("<failure"), "{case}: {}", out.stdout);
        assert!(
            out.stdout
                .contains("below the --fail-on gate (error), not failing this test"),
            "{case}: {}",
            out.stdout
        );
    }
}

#[test]
fn a_multi_hop_path_validates_with_a_case_per_hop() {
    let tmp = TempDir::new("junit-gate-hops");
    let dir = fixture("sample");
    check_gates(&dir, &["--from", "3.1.0", "--to", "4.3.1"], &tmp.0, "hops");
    let out = lint(
        &dir,
        &["--from", "3.1.0", "--to", "4.3.1"],
        &["--format", "junit"],
    );
    assert!(
        out.stdout
            .contains("name=\"OMS010 heartbeat-table-bloat (hop 2.1.0 → 3.2.1)\"")
            || out.stdout.contains("(hop 3.1.0 → 3.2.1)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("hop: "),
        "a finding's hop in its details"
    );
}

#[test]
fn every_fixture_case_validates() {
    let tmp = TempDir::new("junit-gate-cases");
    let cases = fixture("cases");
    let mut dirs: Vec<_> = std::fs::read_dir(&cases)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.yaml").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() > 50);
    #[derive(serde::Deserialize)]
    struct CaseArgs {
        #[serde(default)]
        args: Vec<String>,
    }
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let case: CaseArgs =
            serde_saphyr::from_str(&std::fs::read_to_string(dir.join("case.yaml")).unwrap())
                .unwrap();
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        for gate in ["error", "notice"] {
            let out = lint(dir, &args, &["--format", "junit", "--fail-on", gate]);
            assert_valid_junit(&tmp.0, &format!("{name}-{gate}"), &out.stdout);
        }
    }
}
