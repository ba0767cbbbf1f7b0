//! CLI behaviour through the real binary: transcripts pinned under tests/snapshots/
//! (rewrite them with UPDATE_SNAPSHOTS=1 after an intended change), the JSON report
//! checked against SPEC §4, determinism, and secrets.

mod common;

use common::{fixture, json, omslint, omslint_in, snapshot, Out};
use serde_json::Value;

fn transcript(args: &[&str], out: &Out) -> String {
    format!(
        "$ omslint {}\n? {}\n{}",
        args.join(" "),
        out.code,
        out.stdout
    )
}

fn sample(args: &[&str]) -> Out {
    let mut a = vec!["lint", ".", "--backup-dir", "backups"];
    a.extend_from_slice(args);
    omslint_in(&fixture("sample"), &a)
}

const SEVERITIES: [&str; 3] = ["error", "warning", "notice"];

/// SPEC §4, field by field.
fn validate_report(r: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    let mut need = |cond: bool, what: &str| {
        if !cond {
            errs.push(what.to_string());
        }
    };
    need(r["schema_version"] == 1, "schema_version is 1");
    need(r["tool"]["name"] == "omslint", "tool.name");
    need(r["tool"]["version"].is_string(), "tool.version");
    let ts = r["generated_at"].as_str().unwrap_or("");
    need(
        regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
            .unwrap()
            .is_match(ts),
        "generated_at is RFC 3339",
    );
    let path = r["upgrade"]["path"].as_array().cloned().unwrap_or_default();
    need(
        path.len() >= 2,
        "upgrade.path has the source and the target",
    );
    need(
        path.first() == Some(&r["upgrade"]["from"]),
        "upgrade.path starts at from",
    );
    need(
        path.last() == Some(&r["upgrade"]["to"]),
        "upgrade.path ends at to",
    );
    let kinds = [
        "dump",
        "config",
        "components",
        "metadb",
        "docker-inspect",
        "backup-dir",
        "settings",
    ];
    for i in r["inputs"].as_array().into_iter().flatten() {
        need(
            kinds.contains(&i["kind"].as_str().unwrap_or("")),
            "inputs[].kind",
        );
        need(i["path"].is_string(), "inputs[].path");
        let sha = &i["sha256"];
        need(
            sha.is_null()
                || sha
                    .as_str()
                    .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())),
            "inputs[].sha256 is 64 hex digits or null",
        );
    }
    let findings = r["findings"].as_array().cloned().unwrap_or_default();
    let code_re = regex::Regex::new(r"^OMS\d{3}$").unwrap();
    let subject_kinds = [
        "project",
        "sync-project",
        "component",
        "region",
        "database",
        "deployment",
    ];
    for f in &findings {
        let code = f["code"].as_str().unwrap_or("");
        need(code_re.is_match(code), "findings[].code");
        let rule = omslint::catalog::lookup(code).map(|m| m.name.as_str());
        need(
            rule.is_some() && f["rule"].as_str() == rule,
            "findings[].rule matches the code",
        );
        need(
            SEVERITIES.contains(&f["severity"].as_str().unwrap_or("")),
            "findings[].severity",
        );
        need(
            f["message"].as_str().is_some_and(|m| !m.is_empty()),
            "findings[].message",
        );
        need(
            subject_kinds.contains(&f["subject"]["kind"].as_str().unwrap_or("")),
            "findings[].subject.kind",
        );
        need(
            f["subject"]["id"].as_str().is_some_and(|m| !m.is_empty()),
            "findings[].subject.id",
        );
        need(
            f.get("suppressed").is_some(),
            "findings[].suppressed is present",
        );
        if let Some(loc) = f.get("location") {
            need(
                loc["path"].is_string() && loc["line"].as_u64().is_some_and(|l| l >= 1),
                "findings[].location",
            );
        }
        if let Some(fix) = f.get("fix") {
            need(
                ["sql", "config-patch"].contains(&fix["kind"].as_str().unwrap_or("")),
                "fix.kind",
            );
            need(
                ["safe", "unsafe", "display-only"]
                    .contains(&fix["applicability"].as_str().unwrap_or("")),
                "fix.applicability",
            );
            need(fix["description"].is_string(), "fix.description");
            if fix["kind"] == "sql" && fix["applicability"] != "display-only" {
                need(fix["sql"].is_string(), "an SQL fix carries sql");
            }
        }
    }
    let count = |sev: &str| {
        findings
            .iter()
            .filter(|f| f["severity"] == sev && f["suppressed"].is_null())
            .count() as u64
    };
    for sev in SEVERITIES {
        need(
            r["summary"][sev].as_u64() == Some(count(sev)),
            "summary counts match the findings",
        );
    }
    let checks = r["checks"].as_array().cloned().unwrap_or_default();
    need(checks.len() == 16, "one check per rule");
    for c in &checks {
        need(
            ["passed", "failed", "skipped", "error"].contains(&c["status"].as_str().unwrap_or("")),
            "checks[].status",
        );
    }
    let run = checks
        .iter()
        .filter(|c| c["status"] == "passed" || c["status"] == "failed")
        .count() as u64;
    need(
        r["summary"]["checks_run"].as_u64() == Some(run),
        "summary.checks_run",
    );
    errs
}

#[test]
fn sample_json_follows_spec_section_4() {
    let out = sample(&["--format", "json"]);
    assert_eq!(out.code, 1, "the sample has errors: {}", out.stderr);
    let r = json(&out);
    let errs = validate_report(&r);
    assert!(errs.is_empty(), "SPEC §4 violations: {errs:?}");
    // Sorted by code, then subject.
    let codes: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted);
    snapshot("sample.json", &out.stdout);
}

#[test]
fn output_is_the_same_on_every_run() {
    let a = sample(&["--format", "json"]);
    let b = sample(&["--format", "json"]);
    assert_eq!(a.stdout, b.stdout);
    let a = sample(&[]);
    let b = sample(&[]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn human_report_points_into_the_config_file() {
    let out = sample(&[]);
    assert_eq!(out.code, 1);
    assert!(
        !out.stdout.contains('\u{1b}'),
        "no colour without a terminal"
    );
    assert!(
        out.stdout.contains("OMS003 (duplicate-project-name)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("| OMS016"), "summary table");
    snapshot("sample-human.txt", &out.stdout);
}

#[test]
fn no_secret_appears_in_any_output() {
    for format in ["human", "json"] {
        let out = sample(&["--format", format]);
        for secret in ["S3cr3t", "fixture-pw"] {
            assert!(
                !out.stdout.contains(secret),
                "{format} stdout leaks a secret"
            );
            assert!(
                !out.stderr.contains(secret),
                "{format} stderr leaks a secret"
            );
        }
    }
}

#[test]
fn output_file_gets_the_report() {
    let dir = std::env::temp_dir().join(format!("omslint-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.json");
    let f = file.to_string_lossy().into_owned();
    let to_file = sample(&["--format", "json", "--output", &f]);
    assert_eq!(to_file.code, 1);
    assert!(to_file.stdout.is_empty());
    let stdout = sample(&["--format", "json"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), stdout.stdout);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rules_and_explain_transcripts() {
    let args = ["rules"];
    let out = omslint(&args);
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout
            .lines()
            .filter(|l| l.starts_with("| OMS"))
            .count(),
        24,
        "16 lint rules and 8 verify rules"
    );
    snapshot("rules.txt", &transcript(&args, &out));
    for code in ["OMS003", "ha-enabled"] {
        let args = ["explain", code];
        let out = omslint(&args);
        assert_eq!(out.code, 0);
        assert!(out.stdout.contains("## What it does"));
        assert!(out.stdout.contains("## Sources"));
        snapshot(&format!("explain-{code}.txt"), &transcript(&args, &out));
    }
}

#[test]
fn stage_window_makes_ha_an_error() {
    let plan = json(&sample(&["--format", "json"]));
    let window = json(&sample(&["--format", "json", "--stage", "window"]));
    let sev = |r: &Value| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "OMS008")
            .map(|f| f["severity"].clone())
    };
    assert_eq!(sev(&plan), Some("warning".into()));
    assert_eq!(sev(&window), Some("error".into()));
}

#[test]
fn fail_on_sets_the_threshold() {
    // The 2.1.0 → 3.2.1 case reports only a notice (the console port).
    let dir = fixture("cases/OMS002-fires");
    let default = omslint_in(&dir, &["lint", ".", "--to", "3.2.1"]);
    let notice = omslint_in(&dir, &["lint", ".", "--to", "3.2.1", "--fail-on", "notice"]);
    assert_eq!(default.code, 0, "{}", default.stdout);
    assert_eq!(notice.code, 1);
}
