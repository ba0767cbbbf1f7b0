//! `omslint plan` through the real binary: the runbooks of three fixtures pinned under
//! tests/snapshots/ (rewrite them with UPDATE_SNAPSHOTS=1 after an intended change), and
//! every value in the commands traced back to the inputs.

mod common;

use std::path::{Path, PathBuf};

use common::{fixture, json, omslint_in, snapshot, Out};
use serde_json::Value;

fn plan(dir: &str, args: &[&str]) -> Out {
    let mut a = vec!["plan", "."];
    a.extend_from_slice(args);
    let out = omslint_in(&fixture(dir), &a);
    assert_eq!(out.code, 0, "plan {dir} failed: {}", out.stderr);
    out
}

/// Every step of the plan, hops and rollback.
fn steps(p: &Value) -> Vec<&Value> {
    let mut v: Vec<&Value> = p["hops"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["steps"].as_array().unwrap())
        .collect();
    v.extend(p["rollback"].as_array().unwrap());
    v
}

/// The host commands and those typed inside the container.
fn commands(s: &Value) -> Vec<&str> {
    ["commands", "container_commands"]
        .iter()
        .flat_map(|k| s[*k].as_array().into_iter().flatten())
        .map(|c| c.as_str().unwrap())
        .collect()
}

fn all_text(dir: &Path) -> String {
    let mut s = String::new();
    for e in walk(dir) {
        if let Ok(t) = std::fs::read_to_string(&e) {
            s.push_str(&t);
        }
    }
    s
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Database names, hosts and mount sources in the commands all come from the inputs.
fn check_traced(dir: &str, p: &Value) {
    let configs: String = walk(&fixture(dir))
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "config.yaml"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let inspect = std::fs::read_to_string(fixture(dir).join("docker-inspect.json")).unwrap();
    let db_re =
        regex::Regex::new(r"--triggers=false (\S+) > |-D(\S+?)`|DATABASE `([^`\s]+)`;|-p (\S+) < ")
            .unwrap();
    let host_re = regex::Regex::new(r"-h(\S+) -P(\d+)").unwrap();
    let bind_re = regex::Regex::new(r"-v (\S+):(/\S+) ").unwrap();
    let mut dbs = 0;
    let mut binds = 0;
    for s in steps(p) {
        let notes: Vec<&str> = s["notes"]
            .as_array()
            .map(|n| n.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for c in commands(s).into_iter().chain(notes) {
            for m in db_re.captures_iter(c) {
                let db = (1..=4).find_map(|i| m.get(i)).unwrap().as_str();
                assert!(
                    configs.contains(&format!(": {db}\n")),
                    "{dir}: database {db} is not in config.yaml"
                );
                dbs += 1;
            }
            for m in host_re.captures_iter(c) {
                assert!(configs.contains(&format!("oms_meta_host: {}\n", &m[1])));
                assert!(configs.contains(&format!("oms_meta_port: {}\n", &m[2])));
            }
            for m in bind_re.captures_iter(c) {
                assert!(
                    inspect.contains(&format!("\"{}\"", &m[1])),
                    "{dir}: mount source {} is not in docker-inspect.json",
                    &m[1]
                );
                assert!(inspect.contains(&format!("\"{}\"", &m[2])));
                binds += 1;
            }
            assert!(!c.contains("xxx"), "{dir}: placeholder in {c}");
        }
    }
    assert!(dbs > 0 && binds > 0, "{dir}: nothing traced");
}

fn no_secrets(dir: &str, out: &str) {
    assert!(all_text(&fixture(dir)).contains("S3cr3t"));
    assert!(!out.contains("S3cr3t"), "{dir}: a fixture password leaked");
}

#[test]
fn sample_runbook_is_pinned() {
    let md = plan("sample", &[]);
    snapshot("plan-sample.md", &md.stdout);
    let js = plan("sample", &["--format", "json"]);
    snapshot("plan-sample.json", &js.stdout);
    no_secrets("sample", &md.stdout);
    no_secrets("sample", &js.stdout);
    // Deterministic.
    assert_eq!(plan("sample", &[]).stdout, md.stdout);
}

#[test]
fn sample_runbook_follows_the_inputs() {
    let p = json(&plan("sample", &["--format", "json"]));
    assert_eq!(p["schema_version"], 1);
    assert_eq!(p["upgrade"]["path"], serde_json::json!(["3.4.0", "4.2.3"]));
    check_traced("sample", &p);
    let hop = &p["hops"][0];
    assert_eq!(hop["correction_package"], true);
    let all = steps(&p);
    // -ltrue once, on the last region's first node; -lfalse on the other region.
    let ltrue: Vec<&&Value> = all
        .iter()
        .filter(|s| commands(s).iter().any(|c| c.ends_with("-ltrue")))
        .collect();
    assert_eq!(ltrue.len(), 1);
    assert_eq!(ltrue[0]["node"], "10.0.1.1");
    let lfalse: Vec<&&Value> = all
        .iter()
        .filter(|s| commands(s).iter().any(|c| c.ends_with("-lfalse")))
        .collect();
    assert_eq!(lfalse.len(), 1);
    assert_eq!(lfalse[0]["node"], "10.0.0.1");
    // Every correction package before any docker_init.sh, after the console stops.
    let idx = |pat: &str| -> Vec<usize> {
        hop["steps"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .filter(|(_, s)| commands(s).iter().any(|c| c.contains(pat)))
            .map(|(i, _)| i)
            .collect()
    };
    let jar = idx("correction-1.0");
    let init = idx("docker_init.sh");
    let stop_console = idx("supervisorctl stop oms_console");
    assert_eq!(jar.len(), 2);
    assert_eq!(
        init.len(),
        3,
        "regions differ: docker_init.sh on every node"
    );
    assert!(stop_console[0] < jar[0] && jar.iter().max() < init.iter().min());
    // docker run per node: a new name, the node IP, IS_UPGRADE.
    let runs: Vec<&str> = all
        .iter()
        .flat_map(|s| commands(s))
        .filter(|c| c.contains("docker run"))
        .collect();
    assert_eq!(runs.len(), 3);
    for (r, ip) in runs.iter().zip(["10.0.0.1", "10.0.0.2", "10.0.1.1"]) {
        assert!(r.contains(&format!("-e OMS_HOST_IP={ip} ")));
        assert!(r.contains("-e IS_UPGRADE=true"));
        assert!(r.contains("--name oms_423"));
    }
    // Backups of rm, cm and both heartbeat databases, checked non-empty.
    let text = serde_json::to_string(&p).unwrap();
    for db in ["rm_340", "cm_340", "cm_hb_340", "cm_hb_340_2"] {
        assert!(text.contains(&format!("--triggers=false {db} > {db}.sql")));
        assert!(text.contains(&format!("test -s {db}.sql")));
    }
    // Blocking findings first, then the console checks.
    let pre = p["preconditions"].as_array().unwrap();
    assert_eq!(pre[0]["kind"], "finding");
    assert!(pre.iter().any(|x| x["code"] == "OMS003"));
    assert!(
        !pre.iter().any(|x| x["code"] == "OMS008"),
        "warnings are not blocking"
    );
    assert_eq!(pre.iter().filter(|x| x["kind"] == "console").count(), 2);
    // FAILED / SUSPEND projects from the MetaDB; the rollback restarts oms_340.
    assert!(text.contains("p_4c35p5039n0t"));
    assert!(text.contains(
        "refetchStoreIntervalMin` greater than T2 − T1 plus the 30-minute margin: at least 90"
    ));
    assert!(text.contains("sudo docker restart oms_340"));
}

#[test]
fn single_region_runs_init_once_and_ltrue() {
    let md = plan("cases/OMS008-fires", &["--to", "4.2.3"]);
    snapshot("plan-oms008.md", &md.stdout);
    no_secrets("cases/OMS008-fires", &md.stdout);
    let p = json(&plan(
        "cases/OMS008-fires",
        &["--to", "4.2.3", "--format", "json"],
    ));
    check_traced("cases/OMS008-fires", &p);
    let all = steps(&p);
    let flat: Vec<&str> = all.iter().flat_map(|s| commands(s)).collect();
    assert_eq!(flat.iter().filter(|c| c.ends_with("-ltrue")).count(), 1);
    assert_eq!(flat.iter().filter(|c| c.ends_with("-lfalse")).count(), 0);
    assert_eq!(
        flat.iter().filter(|c| c.contains("docker_init.sh")).count(),
        1
    );
}

#[test]
fn old_source_takes_two_hops() {
    let md = plan("cases/OMS001-fires", &["--to", "4.2.3"]);
    snapshot("plan-oms001.md", &md.stdout);
    no_secrets("cases/OMS001-fires", &md.stdout);
    let p = json(&plan(
        "cases/OMS001-fires",
        &["--to", "4.2.3", "--format", "json"],
    ));
    check_traced("cases/OMS001-fires", &p);
    assert_eq!(
        p["upgrade"]["path"],
        serde_json::json!(["2.2.0", "3.2.1", "4.2.3"])
    );
    let hops = p["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 2);
    assert_eq!(
        (&hops[0]["from"], &hops[0]["to"]),
        (&"2.2.0".into(), &"3.2.1".into())
    );
    assert_eq!(
        (&hops[1]["from"], &hops[1]["to"]),
        (&"3.2.1".into(), &"4.2.3".into())
    );
    // The first hop: the older guide's DELETE, no correction package.
    let h1 = serde_json::to_string(&hops[0]).unwrap();
    assert!(h1.contains("DELETE FROM heatbeat_sequence WHERE id < (SELECT m FROM (SELECT MAX(id) AS m FROM heatbeat_sequence) t);"));
    assert!(!h1.contains("correction-1.0"));
    assert!(h1.contains("--name oms_321"));
    // The second: lint again first, then the swap table and the correction package.
    assert!(hops[1]["steps"][0]["commands"][0]
        .as_str()
        .unwrap()
        .starts_with("omslint lint"));
    let h2 = serde_json::to_string(&hops[1]).unwrap();
    assert!(h2.contains("RENAME TO `heatbeat_sequence_bak2`"));
    assert!(h2.contains("sudo docker stop oms_321"));
    assert!(h2.contains("-ltrue"));
    // The path's required stop is the plan's business, not a precondition.
    assert!(!p["preconditions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["code"] == "OMS001"));
}

#[test]
fn to_is_required() {
    let out = omslint_in(&fixture("cases/OMS008-fires"), &["plan", "."]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--to"));
}
