//! Where omslint's knowledge ends (issue 9): versions in exactly the SPEC's forms, every
//! hop's blockers at the first lint, reports that name the hop, runbooks that take each
//! fork from the hop's own edition and say "unknown" where no guide does, and a site's
//! own upgrade graph.

mod common;

use common::{fixture, json, omslint_in, Out};
use serde_json::Value;

fn lint(case: &str, args: &[&str]) -> Out {
    let mut a = vec!["lint", "."];
    a.extend_from_slice(args);
    omslint_in(&fixture(&format!("cases/{case}")), &a)
}

fn plan(case: &str, args: &[&str]) -> Out {
    let mut a = vec!["plan", "."];
    a.extend_from_slice(args);
    omslint_in(&fixture(&format!("cases/{case}")), &a)
}

fn of<'a>(report: &'a Value, code: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

fn all_commands(p: &Value) -> String {
    let mut s = String::new();
    for h in p["hops"].as_array().unwrap() {
        for st in h["steps"].as_array().unwrap() {
            for c in st["commands"].as_array().unwrap() {
                s.push_str(c.as_str().unwrap());
                s.push('\n');
            }
        }
    }
    s
}

fn step_titles(p: &Value) -> Vec<String> {
    p["hops"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["steps"].as_array().unwrap())
        .map(|s| s["title"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn versions_are_taken_in_the_specs_forms_only() {
    for bad in ["4.2", "4.2.3.9", "V 4.2.3", "4.3.0_BP1", "4.2.3 CE"] {
        let out = lint("OMS001-quiet", &["--to", bad]);
        assert_eq!(out.code, 2, "--to {bad}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("3.2.1, V3.2.1, 4.2.11-CE, 4.0.1 BP1 and 4.0.1-BP1"),
            "{}",
            out.stderr
        );
    }
    for good in ["V3.2.1", "3.2.1"] {
        let out = lint("OMS001-quiet", &["--to", good, "--format", "json"]);
        assert_eq!(out.code, 0, "--to {good}: {}", out.stderr);
    }
    let out = lint(
        "OMS001-quiet-ce",
        &["--from", "4.2.1-ce", "--to", "4.2.2-CE"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_release_no_guide_covers_is_oms001_and_nothing_is_extrapolated() {
    for to in ["4.4.0", "9.9.9"] {
        let out = lint("OMS004-fires", &["--to", to, "--format", "json"]);
        assert_eq!(out.code, 1, "{}", out.stderr);
        let r = json(&out);
        let oms001 = of(&r, "OMS001");
        assert_eq!(oms001.len(), 1);
        assert_eq!(
            oms001[0]["message"],
            format!("no upgrade guide covers {to}; the newest known Enterprise target is 4.3.2")
        );
        // OMS004 ("4.3.1 and newer") is not stretched to a release nobody documented.
        assert!(of(&r, "OMS004").is_empty());
        let c = r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == "OMS004")
            .unwrap();
        assert_eq!(c["status"], "skipped");
    }
}

#[test]
fn the_last_hops_blocker_is_known_at_the_first_lint() {
    let out = lint(
        "OMS004-fires",
        &["--from", "3.1.0", "--to", "4.3.1", "--format", "json"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let r = json(&out);
    assert_eq!(
        r["upgrade"]["path"],
        serde_json::json!(["3.1.0", "3.2.1", "4.3.1"])
    );
    let oms004 = of(&r, "OMS004");
    assert_eq!(oms004.len(), 1);
    assert_eq!(
        oms004[0]["hop"],
        serde_json::json!({"from": "3.2.1", "to": "4.3.1"})
    );
    // Per-hop checks carry their hop; a check that runs once carries none.
    let checks: Vec<&Value> = r["checks"].as_array().unwrap().iter().collect();
    let hops_of = |code: &str| -> Vec<Value> {
        checks
            .iter()
            .filter(|c| c["code"] == code)
            .map(|c| c["hop"].clone())
            .collect()
    };
    assert_eq!(
        hops_of("OMS004"),
        vec![
            serde_json::json!({"from": "3.1.0", "to": "3.2.1"}),
            serde_json::json!({"from": "3.2.1", "to": "4.3.1"})
        ]
    );
    assert_eq!(hops_of("OMS014"), vec![Value::Null]);
    assert!(of(&r, "OMS001")[0].get("hop").is_none());

    // Every report format names the hop.
    let args = ["--from", "3.1.0", "--to", "4.3.1", "--format"];
    let human = lint(
        "OMS004-fires",
        &[&args[..], &["human", "--color", "never"]].concat(),
    );
    assert!(
        human.stdout.contains("[hop 3.2.1 → 4.3.1]"),
        "{}",
        human.stdout
    );
    let md = lint("OMS004-fires", &[&args[..], &["markdown"]].concat());
    assert!(
        md.stdout.contains("- **Hop:** 3.2.1 → 4.3.1"),
        "{}",
        md.stdout
    );
    let sarif = json(&lint("OMS004-fires", &[&args[..], &["sarif"]].concat()));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let r4 = results.iter().find(|r| r["ruleId"] == "OMS004").unwrap();
    assert!(r4["message"]["text"]
        .as_str()
        .unwrap()
        .starts_with("[hop 3.2.1 → 4.3.1] "));
    assert_eq!(r4["properties"]["hop"]["to"], "4.3.1");
    let junit = lint("OMS004-fires", &[&args[..], &["junit"]].concat());
    assert!(
        junit
            .stdout
            .contains("name=\"OMS004 oblogproxy-task (hop 3.2.1 → 4.3.1)\""),
        "{}",
        junit.stdout
    );
}

#[test]
fn a_verdict_that_holds_for_every_hop_is_reported_once() {
    // OMS010 gives each hop its own guide's clean-up: two findings, one per hop. OMS014
    // runs once.
    let out = omslint_in(
        &fixture("sample"),
        &[
            "lint", ".", "--from", "3.1.0", "--to", "4.3.1", "--format", "json",
        ],
    );
    let r = json(&out);
    let hb = of(&r, "OMS010");
    assert_eq!(hb.len(), 2, "{hb:?}");
    let sql: Vec<&str> = hb
        .iter()
        .map(|f| f["fix"]["sql"].as_str().unwrap())
        .collect();
    assert!(sql[0].contains("DELETE FROM"), "{}", sql[0]);
    assert!(sql[1].contains("RENAME TO"), "{}", sql[1]);
    for f in of(&r, "OMS014") {
        assert!(f.get("hop").is_none());
    }
    // OMS012's findings about the config, alike for both hops, carry no hop; its
    // cm_location-0 rule applies to the hop to 3.2.1 only.
    for f in of(&r, "OMS012") {
        let msg = f["message"].as_str().unwrap();
        if msg.contains("an upgrade to 3.2.1") {
            assert_eq!(f["hop"]["to"], "3.2.1", "{f}");
        } else {
            assert!(f.get("hop").is_none(), "{f}");
        }
    }
}

#[test]
fn plan_writes_no_steps_for_an_undocumented_upgrade() {
    let out = plan("OMS004-fires", &["--to", "4.4.0", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("no runbook"), "{}", out.stderr);
    let p = json(&out);
    assert_eq!(p["hops"], serde_json::json!([]));
    assert_eq!(p["rollback"], serde_json::json!([]));
    assert!(p["preconditions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["code"] == "OMS001"
            && c["message"]
                .as_str()
                .unwrap()
                .contains("no upgrade guide covers 4.4.0")));
    let md = plan("OMS004-fires", &["--to", "4.4.0"]);
    assert_eq!(md.code, 1);
    assert!(!md.stdout.contains("docker run"), "{}", md.stdout);
}

#[test]
fn a_ce_runbook_takes_only_the_ce_guides_steps() {
    // 3.3.1-CE -> 4.0.0-CE: the one CE guide.
    let out = plan(
        "OMS001-quiet-ce",
        &["--from", "3.3.1-CE", "--to", "4.0.0-CE", "--format", "json"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let p = json(&out);
    let hop = &p["hops"][0];
    assert_eq!(hop["forks"]["correction_package"], "skip");
    assert_eq!(hop["forks"]["heartbeat_cleanup"], "delete");
    assert_eq!(hop["forks"]["docker_init"], "per-region");
    assert_eq!(hop["forks"]["image_tag"], "feature_4.0.0-ce");
    let cmds = all_commands(&p);
    assert!(cmds.contains(":feature_4.0.0-ce"), "{cmds}");
    assert!(cmds.contains("-e IS_UPGRADE=true"));
    assert!(cmds.contains("DELETE FROM heatbeat_sequence"));
    assert!(!cmds.contains("correction-1.0-SNAPSHOT"), "{cmds}");
    assert!(!cmds.contains("RENAME TO"));
    assert!(cmds.contains("bash /root/docker_init.sh"));
    // The CE guide gives no console start on the other nodes: nothing borrowed.
    assert!(!cmds.contains("autostart"), "{cmds}");

    // 4.2.4-CE -> 4.2.6-CE: a documented hop whose procedure no guide gives.
    let out = plan(
        "OMS001-quiet-ce",
        &["--from", "4.2.4-CE", "--to", "4.2.6-CE", "--format", "json"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let p = json(&out);
    let hop = &p["hops"][0];
    for fork in ["correction_package", "heartbeat_cleanup", "docker_init"] {
        assert_eq!(hop["forks"][fork], "unknown", "{fork}");
    }
    let cmds = all_commands(&p);
    assert!(!cmds.contains("correction-1.0-SNAPSHOT"), "{cmds}");
    assert!(!cmds.contains("heatbeat_sequence"), "{cmds}");
    assert!(!cmds.contains("docker_init.sh"), "{cmds}");
    assert!(cmds.contains(":feature_4.2.6-ce"), "{cmds}");
    let titles = step_titles(&p);
    for want in [
        "Correction package: unknown",
        "docker_init.sh: on which nodes is unknown",
    ] {
        assert!(titles.iter().any(|t| t == want), "{want} in {titles:?}");
    }
    assert!(titles
        .iter()
        .any(|t| t.starts_with("Heartbeat clean-up of") && t.ends_with(": unknown")));
}

#[test]
fn an_unknown_fork_is_judged_the_strict_way() {
    // OMS003 is an error only in the correction-package fork; no CE guide says whether
    // 4.2.4-CE -> 4.2.6-CE runs the package, so the duplicate is an error that says so.
    let out = lint(
        "OMS003-fires",
        &["--from", "4.2.4-CE", "--to", "4.2.6-CE", "--format", "json"],
    );
    let r = json(&out);
    let dup = of(&r, "OMS003");
    assert!(!dup.is_empty(), "{}", out.stdout);
    for f in dup {
        assert_eq!(f["severity"], "error");
        assert!(f["message"]
            .as_str()
            .unwrap()
            .contains("no Community Edition guide known to omslint says whether"));
    }
}

#[test]
fn a_site_graph_extends_the_knowledge_and_is_listed_as_an_input() {
    let builtin = std::fs::read_to_string(common::root().join("rules/upgrade-paths.yaml")).unwrap();
    let site = builtin
        .replace(
            "\"4.3.1\", \"4.3.2\"]\n    known_source",
            "\"4.3.1\", \"4.3.2\", \"4.4.0\"]\n    known_source",
        )
        .replace(
            "\"4.3.0\", \"4.3.0 BP1\", \"4.3.1\", \"4.3.2\"]\n        source",
            "\"4.3.0\", \"4.3.0 BP1\", \"4.3.1\", \"4.3.2\", \"4.4.0\"]\n        source",
        )
        .replace(
            "      - to: [\"4.3.0\", \"4.3.0 BP1\", \"4.3.1\", \"4.3.2\"]\n",
            "      - to: [\"4.3.0\", \"4.3.0 BP1\", \"4.3.1\", \"4.3.2\", \"4.4.0\"]\n",
        );
    assert_ne!(site, builtin);
    let dir = std::env::temp_dir().join(format!("omslint-paths-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("site-paths.yaml");
    std::fs::write(&file, &site).unwrap();
    let f = file.to_str().unwrap();
    let out = lint(
        "OMS004-fires",
        &["--to", "4.4.0", "--upgrade-paths", f, "--format", "json"],
    );
    let r = json(&out);
    assert!(of(&r, "OMS001").is_empty(), "{}", out.stdout);
    assert_eq!(of(&r, "OMS004").len(), 1);
    let input = r["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "upgrade-paths")
        .expect("the graph is an input");
    assert_eq!(input["path"], f);
    assert_eq!(input["sha256"].as_str().unwrap().len(), 64);

    // A broken graph is a parse error naming the file and the line.
    std::fs::write(
        &file,
        site.replace("heartbeat_cleanup: swap", "heartbeat_cleanup: trim"),
    )
    .unwrap();
    let out = lint("OMS004-fires", &["--to", "4.3.1", "--upgrade-paths", f]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let line = site
        .lines()
        .position(|l| l.contains("heartbeat_cleanup: swap"))
        .unwrap()
        + 1;
    assert!(
        out.stderr.contains(&format!("site-paths.yaml:{line}:")),
        "{}",
        out.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}
