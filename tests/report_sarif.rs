//! `--format sarif` and `--format github` from the real binary: the SARIF log validates
//! against the official SARIF 2.1.0 schema (tests/schemas/, see its README), declares
//! every rule, has one result per finding of the JSON report of the same run, and
//! carries config patches as `artifactChanges`; the GitHub annotations are one per
//! finding that counts.

mod common;

use std::path::Path;

use common::{fixture, json, omslint_in, Out};
use serde_json::Value;

const SAMPLE_ARGS: &[&str] = &["lint", ".", "--backup-dir", "backups"];

fn run(dir: &Path, args: &[&str], format: &str) -> Out {
    let mut all = args.to_vec();
    all.extend(["--format", format]);
    let out = omslint_in(dir, &all);
    assert!(
        out.code == 0 || out.code == 1,
        "omslint {all:?} exited {}\nstderr:\n{}",
        out.code,
        out.stderr
    );
    out
}

fn assert_valid_sarif(v: &Value) {
    let path = common::root().join("tests/schemas/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let id = schema["$id"]
        .as_str()
        .expect("the schema's $id")
        .to_string();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler.add_resource(&id, schema).unwrap();
    let index = compiler.compile(&id, &mut schemas).unwrap();
    if let Err(e) = schemas.validate(v, index) {
        panic!("not valid SARIF 2.1.0:\n{e:#}");
    }
}

fn level(severity: &str) -> &str {
    match severity {
        "notice" => "note",
        s => s,
    }
}

#[test]
fn sample_sarif_validates_and_matches_the_json_report() {
    let dir = fixture("sample");
    let sarif_out = run(&dir, SAMPLE_ARGS, "sarif");
    let json_out = run(&dir, SAMPLE_ARGS, "json");
    assert_eq!(
        sarif_out.code, json_out.code,
        "same exit code in every format"
    );
    let sarif = json(&sarif_out);
    let report = json(&json_out);

    assert_valid_sarif(&sarif);
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];

    // Every rule of the catalog, in order, documented.
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "omslint");
    assert_eq!(driver["version"], report["tool"]["version"]);
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 16);
    let catalog = omslint::catalog::catalog();
    for (r, m) in rules.iter().zip(catalog) {
        assert_eq!(r["id"], m.code.as_str());
        assert_eq!(r["name"], m.name.as_str());
        assert_eq!(r["shortDescription"]["text"], m.summary.trim());
        assert_eq!(r["help"]["text"], m.explain().as_str());
        assert_eq!(
            r["helpUri"],
            format!(
                "https://github.com/omslint/omslint/blob/main/rules/{}-{}.yaml",
                m.code, m.name
            )
        );
        assert_eq!(
            r["defaultConfiguration"]["level"],
            level(m.severity.as_str())
        );
    }

    // One result per finding, same order, same rule, level and message.
    let findings = report["findings"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert_eq!(results.len(), findings.len());
    let mut fingerprints = std::collections::BTreeSet::new();
    for (r, f) in results.iter().zip(findings) {
        assert_eq!(r["ruleId"], f["code"]);
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], f["code"]);
        assert_eq!(r["level"], level(f["severity"].as_str().unwrap()));
        assert_eq!(r["message"]["text"], f["message"]);
        let loc = &r["locations"][0];
        match f.get("location") {
            Some(l) => {
                let p = &loc["physicalLocation"];
                assert_eq!(p["artifactLocation"]["uri"], l["path"]);
                assert_eq!(p["region"]["startLine"], l["line"]);
            }
            None => {
                let l = &loc["logicalLocations"][0];
                assert_eq!(l["kind"], f["subject"]["kind"]);
                assert_eq!(
                    l["fullyQualifiedName"],
                    format!(
                        "{}:{}",
                        f["subject"]["kind"].as_str().unwrap(),
                        f["subject"]["id"].as_str().unwrap()
                    )
                );
            }
        }
        assert_eq!(
            r.get("suppressions").is_some(),
            !f["suppressed"].is_null(),
            "waived findings, and only they, are suppressed"
        );
        let fp = r["partialFingerprints"]["omslint/v1"].as_str().unwrap();
        assert!(
            fingerprints.insert(fp.to_string()),
            "fingerprint {fp} twice"
        );
        if let Some(sql) = f["fix"].get("sql") {
            assert_eq!(&r["properties"]["fix"]["sql"], sql);
        }
    }

    assert_eq!(run["properties"]["upgrade"], report["upgrade"]);
    let errored = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "error")
        .count();
    let inv = &run["invocations"][0];
    assert_eq!(inv["executionSuccessful"], errored == 0);

    // No secret of the sample's config files or component configs.
    for secret in [
        "S3cr3t-fixture-pw",
        "S3cr3t-fixture-tsdb",
        "S3cr3t-fixture-src",
    ] {
        assert!(!sarif_out.stdout.contains(secret), "{secret} in the SARIF");
    }
}

#[test]
fn sarif_is_deterministic() {
    let dir = fixture("sample");
    let a = run(&dir, SAMPLE_ARGS, "sarif");
    let b = run(&dir, SAMPLE_ARGS, "sarif");
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn config_patch_is_an_artifact_change() {
    let dir = fixture("cases/OMS012-fires-port");
    let args = ["lint", ".", "--to", "4.2.3"];
    let sarif = json(&run(&dir, &args, "sarif"));
    assert_valid_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "OMS012")
        .expect("an OMS012 result");
    let fix = &r["fixes"][0];
    assert!(fix["description"]["text"]
        .as_str()
        .unwrap()
        .contains("8088"));
    let change = &fix["artifactChanges"][0];
    let uri = change["artifactLocation"]["uri"].as_str().unwrap();
    assert_eq!(uri, "config.yaml");
    let rep = &change["replacements"][0];
    let line = rep["deletedRegion"]["startLine"].as_u64().unwrap();
    assert_eq!(rep["deletedRegion"]["endLine"], line);
    let inserted = rep["insertedContent"]["text"].as_str().unwrap();

    // Applying the replacement to the file gives the fixed line, nothing else changes.
    let text = std::fs::read_to_string(dir.join(uri)).unwrap();
    let old = text.lines().nth(line as usize - 1).unwrap();
    assert!(old.contains(":8080"), "{old}");
    assert_eq!(inserted, old.replace(":8080", ":8088"));
}

/// (command, properties, message) of a workflow command, unescaped.
fn parse_command(line: &str) -> (String, Vec<(String, String)>, String) {
    let unescape = |s: &str| {
        s.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    };
    let rest = line
        .strip_prefix("::")
        .unwrap_or_else(|| panic!("not a workflow command: {line}"));
    let (head, message) = rest.split_once("::").expect("command::message");
    let (command, props) = head.split_once(' ').unwrap_or((head, ""));
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("key=value");
            (k.to_string(), unescape(v))
        })
        .collect();
    (command.to_string(), props, unescape(message))
}

#[test]
fn github_annotations_one_per_unwaived_finding() {
    let dir = fixture("sample");
    let gh = run(&dir, SAMPLE_ARGS, "github");
    let report = json(&run(&dir, SAMPLE_ARGS, "json"));
    assert_eq!(gh.code, 1, "the sample has errors");

    let open: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"].is_null())
        .collect();
    let errored = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "error")
        .count();
    let lines: Vec<&str> = gh.stdout.lines().collect();
    assert_eq!(lines.len(), open.len() + errored + 1);

    for (line, f) in lines.iter().zip(&open) {
        let (command, props, message) = parse_command(line);
        assert_eq!(command, f["severity"].as_str().unwrap());
        let get = |k: &str| props.iter().find(|(p, _)| p == k).map(|(_, v)| v.as_str());
        assert_eq!(
            get("title"),
            Some(
                format!(
                    "{} {}",
                    f["code"].as_str().unwrap(),
                    f["rule"].as_str().unwrap()
                )
                .as_str()
            )
        );
        assert_eq!(message, f["message"].as_str().unwrap());
        match f.get("location") {
            Some(l) => {
                assert_eq!(get("file"), l["path"].as_str());
                assert_eq!(get("line"), Some(l["line"].to_string().as_str()));
            }
            None => assert!(get("file").is_none() && get("line").is_none()),
        }
    }

    let (command, props, message) = parse_command(lines.last().unwrap());
    assert_eq!(command, "notice");
    assert_eq!(props, [("title".to_string(), "omslint".to_string())]);
    let s = &report["summary"];
    let count = |n: &Value, one: &str| {
        let n = n.as_u64().unwrap();
        format!("{n} {one}{}", if n == 1 { "" } else { "s" })
    };
    let expected = format!(
        "{}, {}, {}",
        count(&s["error"], "error"),
        count(&s["warning"], "warning"),
        count(&s["notice"], "notice")
    );
    assert!(message.starts_with(&expected), "{message}");
}
