//! omslint.yaml's rule selection, severity overrides and waivers: a waived finding is still
//! reported, marked suppressed, and does not count for --fail-on; an expired waiver makes
//! its finding an error; a bad settings file is a diagnostic at its line.

mod common;

use common::{fixture, json, omslint_in, Out};

fn with_settings(name: &str, body: &str, extra: &[&str]) -> Out {
    let dir = std::env::temp_dir().join(format!("omslint-settings-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("omslint.yaml");
    std::fs::write(&file, body).unwrap();
    let f = file.to_string_lossy().into_owned();
    let mut args = vec!["lint", ".", "--format", "json", "--settings", &f];
    args.extend_from_slice(extra);
    // The OMS012-fires-port case has exactly one finding: OMS012 on region cn-hangzhou.
    omslint_in(&fixture("cases/OMS012-fires-port"), &args)
}

fn finding(out: &Out, code: &str) -> Option<serde_json::Value> {
    json(out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .cloned()
}

#[test]
fn a_waiver_suppresses_and_does_not_fail() {
    let out = with_settings(
        "waive",
        "to: 4.2.3\nwaivers:\n  - {code: config-inconsistent, subject: cn-hangzhou, reason: 'VIP on 8080 is NATed to 8088', ticket: CHG-7, expires: '2999-01-01'}\n",
        &[],
    );
    assert_eq!(out.code, 0, "a waived error does not fail: {}", out.stderr);
    let f = finding(&out, "OMS012").expect("still reported");
    assert_eq!(f["suppressed"]["reason"], "VIP on 8080 is NATed to 8088");
    assert_eq!(f["suppressed"]["ticket"], "CHG-7");
    assert_eq!(json(&out)["summary"]["suppressed"], 1);
    assert_eq!(json(&out)["summary"]["error"], 0);
}

#[test]
fn an_expired_waiver_is_an_error() {
    let out = with_settings(
        "expired",
        "to: 4.2.3\nseverity: {OMS012: notice}\nwaivers:\n  - {code: OMS012, subject: '*', reason: old exception, ticket: CHG-1, expires: '2020-01-01'}\n",
        &[],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let f = finding(&out, "OMS012").unwrap();
    assert_eq!(f["severity"], "error");
    assert!(f["suppressed"].is_null());
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("expired on 2020-01-01 (CHG-1)"));
}

#[test]
fn select_ignore_and_severity() {
    let ignored = with_settings("ignore", "to: 4.2.3\nignore: [OMS012]\n", &[]);
    assert_eq!(ignored.code, 0);
    assert!(finding(&ignored, "OMS012").is_none());
    let r = json(&ignored);
    let check = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "OMS012")
        .unwrap()
        .clone();
    assert_eq!(check["status"], "skipped");

    let selected = with_settings("select", "to: 4.2.3\nselect: [OMS00]\n", &[]);
    assert!(
        finding(&selected, "OMS012").is_none(),
        "OMS012 is not among OMS00x"
    );

    let softened = with_settings(
        "soft",
        "to: 4.2.3\nseverity: {config-inconsistent: warning}\n",
        &[],
    );
    assert_eq!(softened.code, 0);
    assert_eq!(finding(&softened, "OMS012").unwrap()["severity"], "warning");
    let strict = with_settings(
        "strict",
        "to: 4.2.3\nseverity: {config-inconsistent: warning}\n",
        &["--fail-on", "warning"],
    );
    assert_eq!(strict.code, 1);
    let zero = with_settings("zero", "to: 4.2.3\n", &["--exit-zero"]);
    assert_eq!(zero.code, 0);
    assert!(finding(&zero, "OMS012").is_some());
}

#[test]
fn a_bad_settings_file_points_at_its_line() {
    let out = with_settings("bad", "to: 4.2.3\nignore:\n  - OMS999\n", &[]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("omslint.yaml:3"), "{}", out.stderr);
    let out = with_settings(
        "baddate",
        "to: 4.2.3\nwaivers:\n  - {code: OMS012, subject: x, reason: r, expires: 'soon'}\n",
        &[],
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("omslint.yaml:3") && out.stderr.contains("YYYY-MM-DD"),
        "{}",
        out.stderr
    );
    let out = with_settings("unknown", "to: 4.2.3\nwaiver: []\n", &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

/// OMS014's findings are made when the report is written, not held (`src/findings.rs`):
/// the settings still reach each one as it is made. On the sample deployment (six
/// projects not ready, in both project tables): one project waived, the rest under an
/// expired catch-all waiver (errors that say so), the severity override underneath, and
/// the report's order and counts agree with the findings written.
#[test]
fn settings_reach_findings_made_on_demand() {
    let dir = std::env::temp_dir().join(format!("omslint-settings-made-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("omslint.yaml");
    std::fs::write(
        &file,
        "to: 4.2.3\nseverity: {OMS014: notice}\nwaivers:\n  - {code: OMS014, subject: p_4cmkk7re0jsj, reason: being recovered, ticket: CHG-9, expires: '2999-01-01'}\n  - {code: project-not-ready, subject: '*', reason: old, ticket: CHG-1, expires: '2020-01-01'}\n",
    )
    .unwrap();
    let f = file.to_string_lossy().into_owned();
    let sample = fixture("sample");
    let out = omslint_in(
        &sample,
        &["lint", ".", "--format", "json", "--settings", &f],
    );
    let plain = omslint_in(&sample, &["lint", ".", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = json(&out);
    let of = |r: &serde_json::Value| -> Vec<serde_json::Value> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "OMS014")
            .cloned()
            .collect()
    };
    let (made, before) = (of(&report), of(&json(&plain)));
    assert_eq!(made.len(), 6);
    let subjects = |v: &[serde_json::Value]| -> Vec<String> {
        v.iter()
            .map(|f| format!("{}/{}", f["subject"]["kind"], f["subject"]["id"]))
            .collect()
    };
    assert_eq!(
        subjects(&made),
        subjects(&before),
        "settings do not move findings"
    );
    let mut sorted = subjects(&made);
    sorted.sort();
    assert_eq!(
        subjects(&made),
        sorted,
        "report order: by subject kind, then id"
    );
    for (f, b) in made.iter().zip(&before) {
        if f["subject"]["id"] == "p_4cmkk7re0jsj" {
            assert_eq!(f["suppressed"]["ticket"], "CHG-9");
            assert_eq!(f["severity"], "notice", "the override, under the waiver");
            assert_eq!(f["message"], b["message"]);
        } else {
            assert!(f["suppressed"].is_null());
            assert_eq!(f["severity"], "error");
            let m = f["message"].as_str().unwrap();
            assert!(
                m.starts_with("the waiver for this finding expired on 2020-01-01 (CHG-1): "),
                "{m}"
            );
            assert!(m.ends_with(b["message"].as_str().unwrap()), "{m}");
        }
    }
    let all = report["findings"].as_array().unwrap();
    let count = |sev: &str| {
        all.iter()
            .filter(|f| f["severity"] == sev && f["suppressed"].is_null())
            .count()
    };
    let s = &report["summary"];
    assert_eq!(s["error"], count("error"));
    assert_eq!(s["warning"], count("warning"));
    assert_eq!(s["notice"], count("notice"));
    assert_eq!(s["suppressed"], 1);
    std::fs::remove_dir_all(&dir).ok();
}
