//! Every rule fires on its case and stays silent on its near miss: each directory under
//! fixtures/cases/ is a deployment (dumps made by the real mariadb-dump) with a case.yaml
//! saying which codes must appear and which must not.

mod common;

use std::collections::BTreeSet;

use common::{findings, fixture, json, omslint_in};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Expect {
    Code(String),
    Detailed {
        code: String,
        severity: Option<String>,
        count: Option<usize>,
    },
}

#[derive(Debug, Deserialize)]
struct Case {
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    fires: Vec<Expect>,
    #[serde(default)]
    quiet: Vec<String>,
    #[allow(dead_code)]
    description: Option<String>,
}

#[test]
fn every_rule_case_behaves() {
    let dir = fixture("cases");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/cases exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.yaml").is_file())
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "no cases under {}", dir.display());
    let mut failures = Vec::new();
    let mut fired_codes = BTreeSet::new();
    let mut quiet_codes = BTreeSet::new();
    for case_dir in &entries {
        let name = case_dir.file_name().unwrap().to_string_lossy().into_owned();
        let case: Case =
            serde_saphyr::from_str(&std::fs::read_to_string(case_dir.join("case.yaml")).unwrap())
                .unwrap_or_else(|e| panic!("{name}/case.yaml: {e}"));
        let mut args = vec![
            "lint".to_string(),
            ".".into(),
            "--format".into(),
            "json".into(),
        ];
        args.extend(case.args.iter().cloned());
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = omslint_in(case_dir, &argv);
        if ![0, 1].contains(&out.code) {
            failures.push(format!("{name}: exit {} ({})", out.code, out.stderr.trim()));
            continue;
        }
        let got = findings(&json(&out));
        for e in &case.fires {
            let (code, severity, count) = match e {
                Expect::Code(c) => (c.clone(), None, None),
                Expect::Detailed {
                    code,
                    severity,
                    count,
                } => (code.clone(), severity.clone(), *count),
            };
            let hits: Vec<_> = got.iter().filter(|f| f.0 == code).collect();
            if hits.is_empty() {
                failures.push(format!("{name}: {code} did not fire; got {got:?}"));
                continue;
            }
            fired_codes.insert(code.clone());
            if let Some(sev) = &severity {
                if hits.iter().any(|h| &h.1 != sev) {
                    failures.push(format!("{name}: {code} severity: want {sev}, got {hits:?}"));
                }
            }
            if let Some(n) = count {
                if hits.len() != n {
                    failures.push(format!(
                        "{name}: {code} count: want {n}, got {}: {hits:?}",
                        hits.len()
                    ));
                }
            }
        }
        for code in &case.quiet {
            quiet_codes.insert(code.clone());
            let hits: Vec<_> = got.iter().filter(|f| &f.0 == code).collect();
            if !hits.is_empty() {
                failures.push(format!("{name}: {code} must not fire; got {hits:?}"));
            }
        }
    }
    for n in 1..=16 {
        let code = format!("OMS{n:03}");
        if !fired_codes.contains(&code) {
            failures.push(format!("no case where {code} fires"));
        }
        if !quiet_codes.contains(&code) {
            failures.push(format!("no near-miss case where {code} stays silent"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
