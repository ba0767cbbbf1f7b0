//! The MetaDB readers keep a `config_job` component whole only when a rule or the runbook
//! can report on it, and summarize the rest (`facts::job_keep`). These tests hold that
//! judging to the rules: every report must be exactly what it is with every component
//! kept whole (`OMSLINT_KEEP_ALL_COMPONENTS=1`), on every fixture and on `config_job`
//! rows laid out the awkward ways a real MetaDB may hold them: a component's rows apart,
//! a later row changing a setting, one component in two cm databases.

mod common;

use std::path::Path;

use common::mariadb::MariaDb;
use common::scenarios::{case_args, deployments, temp_dir};
use common::{fixture, json, Out};

fn run(dir: &Path, args: &[String], keep_all: bool) -> Out {
    let keep = keep_all.then_some("1");
    common::scenarios::run_with_env(dir, args, &[("OMSLINT_KEEP_ALL_COMPONENTS", keep)])
}

/// Runs `args` both ways in `dir` and returns the judged run, after checking the two agree
/// byte for byte.
fn same_both_ways(dir: &Path, args: &[String]) -> Out {
    let judged = run(dir, args, false);
    let kept = run(dir, args, true);
    assert_eq!(
        (judged.code, &judged.stderr),
        (kept.code, &kept.stderr),
        "{}: {args:?}: exit codes or messages differ",
        dir.display()
    );
    assert!(
        judged.stdout == kept.stdout,
        "{}: {args:?}: the report differs when components are judged:\n{}",
        dir.display(),
        first_difference(&kept.stdout, &judged.stdout)
    );
    judged
}

fn first_difference(a: &str, b: &str) -> String {
    a.lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
        .map(|(i, (x, y))| format!("line {}:\n  kept whole: {x}\n  judged:     {y}", i + 1))
        .unwrap_or_else(|| format!("lengths {} and {}", a.len(), b.len()))
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_fixture_reports_the_same_with_every_component_kept() {
    let mut checked = 0;
    for dir in deployments() {
        let mut args = strings(&["lint", ".", "--format", "json"]);
        args.extend(case_args(&dir));
        let out = same_both_ways(&dir, &args);
        assert!(
            [0, 1, 3].contains(&out.code),
            "{}: exit {}",
            dir.display(),
            out.code
        );
        checked += 1;
    }
    assert!(checked > 20, "only {checked} deployments");
    // The runbook lists Full-Import components by name and reads the same facts.
    let sample = fixture("sample");
    let plan = same_both_ways(
        &sample,
        &strings(&["plan", ".", "--format", "json", "--backup-dir", "backups"]),
    );
    assert!(plan.stdout.contains("\"steps\""), "{}", plan.stderr);
}

const A: &str = "10.0.0.1-9000:connector_v2:p_aaaaaaaaaaaa-incr_trans-1-0:0000000001";
const B: &str = "10.0.0.1-9000:connector_v2:p_bbbbbbbbbbbb-incr_trans-1-0:0000000001";
const C: &str = "10.0.0.1-9000:connector_v2:p_cccccccccccc-incr_trans-1-0:0000000001";
const D: &str = "10.0.0.1-9000:connector_v2:p_dddddddddddd-incr_trans-1-0:0000000001";

fn rows(job: &str, settings: &[(&str, &str)]) -> String {
    settings
        .iter()
        .map(|(k, v)| {
            format!(
                "INSERT INTO config_job (job_name, `key`, value, gmt_created, gmt_modified) VALUES ('{job}', 'sourceFile.{k}', '{v}', '2024-02-01 00:00:00', '2024-02-01 00:00:00');\n"
            )
        })
        .collect()
}

fn codes_for(report: &serde_json::Value, subject: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["subject"]["id"] == subject)
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn components_whose_rows_lie_apart_fold_as_if_kept_whole() {
    let db = MariaDb::start();
    let case = fixture("cases/OMS005-fires-configjob");
    let dumps = db.load_deployment(&case);
    let work = temp_dir("judging");
    let dir = work.join("deployment");
    common::scenarios::copy_without_dumps(&case, &dir);
    std::fs::create_dir_all(dir.join("metadb")).unwrap();
    let cm = dumps
        .iter()
        .map(|p| common::mariadb::dump_database(p))
        .find(|d| d.starts_with("cm_") && !d.starts_with("cm_hb"))
        .expect("a cm dump");
    // Runs of rows, in this order: A and B whole and unremarkable, C without dbType, then
    // A again reading through oblogproxy, B again with only a checkpoint, C's dbType, and
    // D twice: first fitting its region, then a later row that moves blackRegionNo.
    let mut sql = String::new();
    sql += &rows(
        A,
        &[
            ("dbType", "MYSQL"),
            ("blackRegionNo", "1"),
            ("checkpoint", "1"),
        ],
    );
    sql += &rows(B, &[("dbType", "MYSQL"), ("ignoreDdl", "false")]);
    sql += &rows(C, &[("checkpoint", "2"), ("ignoreDdl", "false")]);
    sql += &rows(D, &[("dbType", "MYSQL"), ("blackRegionNo", "1")]);
    sql += &rows(A, &[("logproxy.address", "10.0.0.9:2983")]);
    sql += &rows(B, &[("checkpoint", "3")]);
    sql += &rows(C, &[("dbType", "MYSQL")]);
    sql += &rows(D, &[("blackRegionNo", "2")]);
    let file = work.join("rows.sql");
    std::fs::write(&file, sql).unwrap();
    db.load(&cm, &file);
    db.dump(&cm, &dir.join("metadb").join(format!("{cm}.sql")));
    for other in dumps
        .iter()
        .map(|p| common::mariadb::dump_database(p))
        .filter(|d| *d != cm)
    {
        db.dump(&other, &dir.join("metadb").join(format!("{other}.sql")));
    }

    let lint = |to: &str| {
        let out = same_both_ways(
            &dir,
            &strings(&["lint", ".", "--format", "json", "--to", to]),
        );
        assert!(
            [0, 1].contains(&out.code),
            "exit {}: {}",
            out.code,
            out.stderr
        );
        json(&out)
    };
    let report = lint("4.2.3");
    // The fixture's own component still lacks dbType; B and C got theirs in another run.
    let oms005: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "OMS005")
        .collect();
    assert_eq!(oms005.len(), 1, "{oms005:?}");
    for c in [A, B, C, D] {
        assert!(
            !codes_for(&report, c).contains(&"OMS005".to_string()),
            "{c}"
        );
    }
    // A's oblogproxy row came in its second run: a target that drops oblogproxy sees it.
    let report = lint("4.3.1");
    assert!(
        codes_for(&report, A).contains(&"OMS004".to_string()),
        "{report}"
    );
}

#[test]
fn one_component_in_two_cm_databases_folds_as_if_kept_whole() {
    let db = MariaDb::start();
    let case = fixture("cases/OMS005-fires-configjob");
    let dumps = db.load_deployment(&case);
    let work = temp_dir("judging-two");
    let cm = dumps
        .iter()
        .map(|p| common::mariadb::dump_database(p))
        .find(|d| d.starts_with("cm_") && !d.starts_with("cm_hb"))
        .expect("a cm dump");
    // A second cm database (another region's, say) describes B without dbType and C
    // with a blackRegionNo, while the first describes both unremarkably.
    let copy = format!("{cm}_b");
    db.sql(&format!("CREATE DATABASE `{copy}`"));
    db.sql(&format!(
        "CREATE TABLE `{copy}`.config_job LIKE `{cm}`.config_job"
    ));
    let mut first = String::new();
    first += &rows(B, &[("dbType", "MYSQL"), ("blackRegionNo", "1")]);
    first += &rows(C, &[("dbType", "MYSQL")]);
    let mut second = String::new();
    second += &rows(B, &[("checkpoint", "3"), ("blackRegionNo", "7")]);
    second += &rows(
        C,
        &[
            ("blackRegionNo", "9"),
            ("logproxy.address", "10.0.0.9:2983"),
        ],
    );
    for (database, sql, name) in [(&cm, first, "first.sql"), (&copy, second, "second.sql")] {
        let file = work.join(name);
        std::fs::write(&file, sql).unwrap();
        db.load(database, &file);
    }
    // Both orders of the two sources: of each setting the first one's value wins.
    for (tag, order) in [("ab", [&cm, &copy]), ("ba", [&copy, &cm])] {
        let dir = work.join(tag);
        common::scenarios::copy_without_dumps(&case, &dir);
        let metadb = dir.join("metadb");
        std::fs::create_dir_all(&metadb).unwrap();
        for other in dumps
            .iter()
            .map(|p| common::mariadb::dump_database(p))
            .filter(|d| *d != cm)
        {
            db.dump(&other, &metadb.join(format!("{other}.sql")));
        }
        // Dumps are read in parallel and merged in file-name order.
        db.dump(order[0], &metadb.join("a_first.sql"));
        db.dump(order[1], &metadb.join("b_second.sql"));
        let out = same_both_ways(
            &dir,
            &strings(&["lint", ".", "--format", "json", "--to", "4.3.1"]),
        );
        assert!(
            [0, 1].contains(&out.code),
            "{tag}: exit {}: {}",
            out.code,
            out.stderr
        );
        let report = json(&out);
        assert!(
            codes_for(&report, C).contains(&"OMS004".to_string()),
            "{tag}: {report}"
        );
    }
}
