//! `--format junit` and `--format markdown` through the real binary on the bundled
//! sample. The JUnit XML is read back with a real XML parser (Python's
//! xml.etree.ElementTree) and compared with the JSON report of the same run: one case per
//! check, failing exactly when the check has an open finding at the default `--fail-on`
//! gate (error). `tests/report_junit_gate.rs` validates it against Jenkins' schema.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fixture, json, omslint_in, Out};
use serde_json::Value;

fn sample(args: &[&str]) -> Out {
    let mut a = vec!["lint", ".", "--backup-dir", "backups"];
    a.extend_from_slice(args);
    omslint_in(&fixture("sample"), &a)
}

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

const JUNIT_SUMMARY: &str = r#"
import json, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = root.findall("testsuite")
cases = []
for case in root.iter("testcase"):
    failure = case.find("failure")
    error = case.find("error")
    skipped = case.find("skipped")
    out = case.find("system-out")
    cases.append({
        "classname": case.get("classname"),
        "name": case.get("name"),
        "failure": None if failure is None else {
            "message": failure.get("message"), "type": failure.get("type"), "text": failure.text or ""},
        "error": None if error is None else error.get("message"),
        "skipped": None if skipped is None else skipped.get("message"),
        "system_out": None if out is None else out.text,
    })
print(json.dumps({
    "root": root.tag,
    "name": root.get("name"),
    "tests": root.get("tests"),
    "failures": root.get("failures"),
    "errors": root.get("errors"),
    "skipped": root.get("skipped"),
    "suites": [{"name": s.get("name"), "tests": s.get("tests"), "failures": s.get("failures"),
                "errors": s.get("errors"), "skipped": s.get("skipped")} for s in suites],
    "cases": cases,
}))
"#;

/// Parses the XML file with ElementTree and returns the summary the script prints.
fn parse_junit(path: &Path) -> Value {
    let out = Command::new("python3")
        .arg("-c")
        .arg(JUNIT_SUMMARY)
        .arg(path)
        .output()
        .expect("python3 runs (the JUnit test parses the XML with xml.etree.ElementTree)");
    assert!(
        out.status.success(),
        "ElementTree rejected the JUnit XML:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the parse script prints JSON")
}

fn statuses(report: &Value) -> Vec<(String, String)> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn count(report: &Value, status: &str) -> usize {
    statuses(report).iter().filter(|(_, s)| s == status).count()
}

#[test]
fn junit_has_one_case_per_check_and_parses() {
    let reference = sample(&["--format", "json"]);
    let report = json(&reference);
    let out = sample(&["--format", "junit"]);
    assert_eq!(
        out.code, reference.code,
        "same exit code as the JSON run; stderr:\n{}",
        out.stderr
    );
    assert!(
        out.stdout.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"omslint\""
        ),
        "{}",
        out.stdout
    );
    assert_eq!(
        out.stdout,
        sample(&["--format", "junit"]).stdout,
        "deterministic"
    );

    let dir = TempDir::new("junit");
    let path = dir.0.join("report.xml");
    std::fs::write(&path, &out.stdout).unwrap();
    let x = parse_junit(&path);

    let checks = statuses(&report);
    assert_eq!(checks.len(), 16, "the sample runs every rule");
    let cases = x["cases"].as_array().unwrap();
    assert_eq!(cases.len(), checks.len(), "one testcase per check");
    // The open findings of a code, and whether one reaches the default gate (error).
    let open = |code: &str| -> Vec<&Value> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == code && f["suppressed"].is_null())
            .collect()
    };
    let fails_gate = |code: &str| open(code).iter().any(|f| f["severity"] == "error");
    let failing = checks.iter().filter(|(c, _)| fails_gate(c)).count();
    assert!(failing > 0 && failing < count(&report, "failed"));
    assert_eq!(x["root"], "testsuites");
    assert_eq!(x["name"], "omslint");
    assert_eq!(x["tests"], checks.len().to_string());
    assert_eq!(x["failures"], failing.to_string());
    assert_eq!(x["errors"], count(&report, "error").to_string());
    assert!(
        x["skipped"].is_null(),
        "junit-10.xsd has no skipped on <testsuites>"
    );
    let suites = x["suites"].as_array().unwrap();
    assert_eq!(suites.len(), 1);
    assert_eq!(suites[0]["name"], "omslint upgrade 3.4.0 → 4.2.3");
    for k in ["tests", "failures", "errors"] {
        assert_eq!(suites[0][k], x[k], "testsuite {k} matches testsuites");
    }
    assert_eq!(suites[0]["skipped"], count(&report, "skipped").to_string());

    for (case, (code, status)) in cases.iter().zip(&checks) {
        let classname = case["classname"].as_str().unwrap_or_default();
        let name = case["name"].as_str().unwrap_or_default();
        assert_eq!(classname, format!("omslint.{code}"));
        assert!(
            name.starts_with(&format!("{code} ")) && name.len() > code.len() + 1,
            "{name}"
        );
        assert_eq!(case["failure"].is_object(), fails_gate(code), "{code}");
        assert_eq!(case["skipped"].is_string(), status == "skipped", "{code}");
        assert_eq!(case["error"].is_string(), status == "error", "{code}");
        let findings = open(code);
        let system_out = case["system_out"].as_str().unwrap_or_default();
        if !fails_gate(code) {
            // A check with warnings or notices only passes; its findings are listed.
            for f in &findings {
                let message = f["message"].as_str().unwrap();
                assert!(
                    system_out.contains(message),
                    "{code}: {message} missing from\n{system_out}"
                );
            }
            if !findings.is_empty() {
                assert!(
                    system_out.contains("below the --fail-on gate (error), not failing this test"),
                    "{code}: {system_out}"
                );
            }
            continue;
        }
        // The failure says what failed, then lists every failing finding with its fix.
        let errors: Vec<&&Value> = findings
            .iter()
            .filter(|f| f["severity"] == "error")
            .collect();
        let failure = &case["failure"];
        let message = failure["message"].as_str().unwrap();
        let n = errors.len();
        assert!(
            message.starts_with(&format!("{n} error{}: ", if n == 1 { "" } else { "s" })),
            "{code}: {message}"
        );
        let first: String = errors[0]["message"]
            .as_str()
            .unwrap()
            .chars()
            .take(40)
            .collect();
        assert!(message.contains(&first), "{code}: {message}");
        assert!(message.chars().count() <= 400, "{code}: {message}");
        assert_eq!(failure["type"], "error", "{code}");
        let text = failure["text"].as_str().unwrap();
        for f in errors {
            let id = f["subject"]["id"].as_str().unwrap();
            if id != "deployment" {
                assert!(text.contains(id), "{code}: {id} missing from\n{text}");
            }
            if let Some(sql) = f["fix"]["sql"].as_str() {
                let first = sql.lines().next().unwrap();
                assert!(text.contains(first), "{code}: fix SQL missing from\n{text}");
            }
        }
    }
    // Skipped checks carry their reason.
    for (case, c) in cases.iter().zip(report["checks"].as_array().unwrap()) {
        if c["status"] == "skipped" {
            assert_eq!(case["skipped"], c["reason"]);
        }
    }
}

#[test]
fn markdown_report_stands_alone() {
    let reference = sample(&["--format", "json"]);
    let report = json(&reference);
    let out = sample(&["--format", "markdown"]);
    assert_eq!(
        out.code, reference.code,
        "same exit code as the JSON run; stderr:\n{}",
        out.stderr
    );
    let md = &out.stdout;
    assert_eq!(
        md,
        &sample(&["--format", "markdown"]).stdout,
        "deterministic"
    );
    assert!(md.starts_with("# "), "{md}");
    assert!(md.contains("3.4.0 → 4.2.3"), "{md}");
    assert!(md.contains(report["generated_at"].as_str().unwrap()));
    assert!(md.contains(report["tool"]["version"].as_str().unwrap()));

    // Inputs: every hash.
    for i in report["inputs"].as_array().unwrap() {
        if let Some(h) = i["sha256"].as_str() {
            assert!(md.contains(h), "input hash {h} missing");
        }
    }
    // Every check has a row; every finding its code and subject id.
    for c in report["checks"].as_array().unwrap() {
        let code = c["code"].as_str().unwrap();
        assert!(md.contains(&format!("| {code} | ")), "no row for {code}");
    }
    for f in report["findings"].as_array().unwrap() {
        let code = f["code"].as_str().unwrap();
        let id = f["subject"]["id"].as_str().unwrap();
        assert!(md.contains(code), "{code} missing");
        assert!(md.contains(id), "{id} missing");
    }
    // The OMS003 fix SQL in a ```sql block, its rollback in another.
    let oms003 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "OMS003")
        .expect("the sample has an OMS003 finding");
    let sql = oms003["fix"]["sql"].as_str().unwrap();
    let rollback = oms003["fix"]["rollback_sql"].as_str().unwrap();
    assert!(md.contains(&format!("```sql\n{sql}\n```\n")), "{md}");
    assert!(md.contains(&format!("```sql\n{rollback}\n```\n")), "{md}");
    assert!(md.contains("omslint lint"));
    assert!(md.contains("--format markdown"));
}

#[test]
fn markdown_escapes_a_pipe_in_a_table_cell() {
    // The backup directory's path lands in the Inputs table: give it a `|`.
    let dir = TempDir::new("md-pipe");
    let backups = dir.0.join("back|ups");
    std::fs::create_dir_all(&backups).unwrap();
    for e in std::fs::read_dir(fixture("sample/backups")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), backups.join(e.file_name())).unwrap();
    }
    let backups = backups.to_str().unwrap();
    let out = omslint_in(
        &fixture("sample"),
        &["lint", ".", "--backup-dir", backups, "--format", "markdown"],
    );
    assert!(matches!(out.code, 0 | 1), "stderr:\n{}", out.stderr);
    let md = &out.stdout;
    let row = md
        .lines()
        .find(|l| l.starts_with("| backup-dir | "))
        .unwrap_or_else(|| panic!("no backup-dir row in\n{md}"));
    assert!(row.contains("back\\|ups"), "{row}");
    assert!(!row.replace("\\|", "").contains("back|ups"), "{row}");
    // No table row anywhere carries the raw pipe; the shell command quotes it.
    for line in md.lines().filter(|l| l.starts_with('|')) {
        assert!(!line.replace("\\|", "").contains("back|ups"), "{line}");
    }
    assert!(md.contains(&format!("--backup-dir '{backups}'")), "{md}");
}
