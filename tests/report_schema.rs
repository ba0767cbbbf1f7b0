//! `omslint schema report|plan` through the real binary: every report of every fixture
//! and every runbook validates against the schema the binary prints; completions and the
//! man page are what their consumers read.

mod common;

use common::{fixture, json, omslint, omslint_in};
use serde_json::Value;

fn compile(which: &str) -> (boon::Schemas, boon::SchemaIndex) {
    let out = omslint(&["schema", which]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let schema: Value = serde_json::from_str(&out.stdout).expect("the schema is JSON");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let id = schema["$id"].as_str().unwrap().to_string();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler.add_resource(&id, schema).unwrap();
    let index = compiler.compile(&id, &mut schemas).unwrap();
    (schemas, index)
}

fn case_dirs() -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(fixture("cases"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("case.yaml").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn case_args(dir: &std::path::Path) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Case {
        #[serde(default)]
        args: Vec<String>,
    }
    let text = std::fs::read_to_string(dir.join("case.yaml")).unwrap();
    serde_saphyr::from_str::<Case>(&text).unwrap().args
}

#[test]
fn every_report_validates_against_the_report_schema() {
    let (schemas, index) = compile("report");
    let mut checked = 0;
    let mut dirs = case_dirs();
    dirs.push(fixture("sample"));
    for dir in dirs {
        let mut args = vec![
            "lint".to_string(),
            ".".into(),
            "--format".into(),
            "json".into(),
        ];
        args.extend(case_args(&dir));
        if dir.ends_with("sample") {
            args.extend(["--backup-dir".into(), "backups".into()]);
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = omslint_in(&dir, &argv);
        if out.code > 1 {
            continue; // a case built to stop with exit 2/3 has no report
        }
        let report = json(&out);
        assert_eq!(report["command"], "lint");
        if let Err(e) = schemas.validate(&report, index) {
            panic!(
                "{}: the report does not match `omslint schema report`:\n{e:#}",
                dir.display()
            );
        }
        checked += 1;
    }
    assert!(checked > 80, "{checked} reports checked");
}

#[test]
fn every_runbook_validates_against_the_plan_schema() {
    let (schemas, index) = compile("plan");
    let mut checked = 0;
    for (dir, args) in [
        ("sample", vec!["--to", "4.2.3"]),
        ("sample", vec!["--from", "2.1.0", "--to", "4.3.1"]),
        ("sample", vec!["--to", "4.4.0"]),
        (
            "cases/OMS001-quiet-ce",
            vec!["--from", "3.3.1-CE", "--to", "4.0.0-CE"],
        ),
        (
            "cases/OMS001-quiet-ce",
            vec!["--from", "4.2.4-CE", "--to", "4.2.6-CE"],
        ),
        ("cases/OMS014-fires-hostile-names", vec!["--to", "4.2.3"]),
        (
            "topologies/shared-nodes",
            vec!["--from", "3.4.0", "--to", "4.2.3"],
        ),
    ] {
        let mut a = vec!["plan", ".", "--format", "json"];
        a.extend(args.iter().copied());
        let out = omslint_in(&fixture(dir), &a);
        assert!(out.code <= 1, "{dir} {args:?}: {}", out.stderr);
        let plan = json(&out);
        assert_eq!(plan["tool"]["name"], "omslint");
        assert!(!plan["inputs"].as_array().unwrap().is_empty() || dir.contains("topologies"));
        if let Err(e) = schemas.validate(&plan, index) {
            panic!("{dir} {args:?}: the runbook does not match `omslint schema plan`:\n{e:#}");
        }
        checked += 1;
    }
    assert_eq!(checked, 7);
}

#[test]
fn completions_and_the_man_page() {
    let bash = omslint(&["completions", "bash"]);
    assert_eq!(bash.code, 0, "{}", bash.stderr);
    assert!(bash.stdout.contains("omslint"));
    assert!(bash.stdout.contains("--upgrade-paths"));
    let dir = std::env::temp_dir().join(format!("omslint-compl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("omslint.bash");
    std::fs::write(&f, &bash.stdout).unwrap();
    let n = std::process::Command::new("bash")
        .arg("-n")
        .arg(&f)
        .status()
        .unwrap();
    assert!(n.success(), "bash -n rejects the completion script");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = omslint(&["completions", shell]);
        assert_eq!(out.code, 0, "{shell}");
        assert!(out.stdout.contains("omslint"), "{shell}");
    }
    assert_eq!(omslint(&["completions", "tcsh"]).code, 2);
    let man = omslint(&["man"]);
    assert_eq!(man.code, 0);
    assert!(
        man.stdout.starts_with(".ie") || man.stdout.contains(".TH omslint"),
        "{}",
        &man.stdout[..200.min(man.stdout.len())]
    );
    assert!(man.stdout.contains("lint"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rules_refuses_a_format_it_does_not_write() {
    for f in ["sarif", "junit", "github"] {
        let out = omslint(&["rules", "--format", f]);
        assert_eq!(out.code, 2, "rules --format {f}");
    }
    let md = omslint(&["rules", "--format", "markdown"]);
    assert_eq!(md.code, 0);
    assert_eq!(md.stdout.lines().count(), 2 + 24);
}
