//! Schema drift is never read by guess: a table or column that the schema map needs and
//! the MetaDB lacks makes the checks that read it `error` (exit 3), naming where it was
//! looked for (the dump file, or the live `host:port/database`), the table and the
//! column; the checks that do not read it still run. The deployments are real
//! mariadb-dump output: `fixtures/cases/schema-drift-*` are OMS003-quiet's deployment
//! with `oms_project.project_name` renamed to `proj_name`, or with `oms_project` dropped
//! (fixtures/src/cases/schema-drift-*/rm_340.sql), and a `--no-create-info` dump is
//! taken here.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::mariadb::MariaDb;
use common::scenarios::{account, copy_without_dumps, lint_live, temp_dir};
use common::{fixture, json, omslint_in, Out};

const PW: &str = "S3cr3t-drift-pw";

/// The checks that read `oms_project` on this path (3.4.0 → 4.2.3: the correction-package
/// fork, so OMS007 runs; OMS004, OMS005, OMS006 and OMS015 do not apply).
const READ_PROJECTS: [&str; 3] = ["OMS003", "OMS007", "OMS014"];

fn lint_offline(dir: &Path) -> Out {
    lint_offline_with(dir, &[])
}

fn lint_offline_with(dir: &Path, extra: &[&str]) -> Out {
    let mut args = vec!["lint", ".", "--to", "4.2.3", "--format", "json"];
    args.extend_from_slice(extra);
    omslint_in(dir, &args)
}

/// code -> (status, reason) of every check (the path has one hop: one check per code).
fn checks(out: &Out) -> BTreeMap<String, (String, String)> {
    json(out)["checks"]
        .as_array()
        .expect("a checks array")
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            (s("code"), (s("status"), s("reason")))
        })
        .collect()
}

fn codes_with(checks: &BTreeMap<String, (String, String)>, status: &str) -> Vec<String> {
    checks
        .iter()
        .filter(|(_, (s, _))| s == status)
        .map(|(c, _)| c.clone())
        .collect()
}

/// Every check that reads `oms_project` is an error whose reason holds all of `names`;
/// every other check has the status it has on the control deployment; no finding of a
/// check in error.
fn assert_drift_errors(what: &str, out: &Out, control: &Out, names: &[&str]) {
    assert_eq!(out.code, 3, "{what}: exit 3 expected\n{}", out.stderr);
    let got = checks(out);
    let want = checks(control);
    assert_eq!(codes_with(&got, "error"), READ_PROJECTS, "{what}: {got:?}");
    for code in READ_PROJECTS {
        let reason = &got[code].1;
        for n in names {
            assert!(
                reason.contains(n),
                "{what}: {code}'s reason should name {n}: {reason}"
            );
        }
    }
    for (code, (status, _)) in &want {
        if !READ_PROJECTS.contains(&code.as_str()) {
            assert_eq!(
                &got[code].0, status,
                "{what}: {code} does not read oms_project and must run as on the control: {got:?}"
            );
        }
    }
    let report = json(out);
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .all(|f| !READ_PROJECTS.contains(&f["code"].as_str().unwrap_or_default())),
        "{what}: a check in error reports no finding: {findings:?}"
    );
}

#[test]
fn a_renamed_column_is_a_check_error_naming_file_table_and_column() {
    let control_dir = fixture("cases/OMS003-quiet");
    let drift_dir = fixture("cases/schema-drift-column");
    // The same deployment: the dumps differ in that one column's name only.
    let read = |d: &Path, f: &str| std::fs::read_to_string(d.join("metadb").join(f)).unwrap();
    for f in ["rm_340.sql", "cm_340.sql", "cm_hb_340.sql"] {
        assert_eq!(
            read(&drift_dir, f).replace("`proj_name`", "`project_name`"),
            read(&control_dir, f),
            "{f}"
        );
    }
    assert!(read(&drift_dir, "rm_340.sql").contains("`proj_name` varchar(128) NOT NULL"));

    let control = lint_offline(&control_dir);
    assert_eq!(control.code, 0, "{}", control.stderr);
    assert!(codes_with(&checks(&control), "error").is_empty());
    for code in READ_PROJECTS {
        assert_eq!(checks(&control)[code].0, "passed", "{code} on the control");
    }

    let drift = lint_offline(&drift_dir);
    assert_drift_errors(
        "proj_name",
        &drift,
        &control,
        &["metadb/rm_340.sql", "oms_project", "project_name"],
    );

    // The remedy the reason gives: a schema map that names the column as this MetaDB does.
    let map = std::fs::read_to_string(common::root().join("rules/schema.yaml")).unwrap();
    let map = map.replacen("name: project_name", "name: proj_name", 1);
    assert!(map.contains("name: proj_name") && map.contains("name: project_name"));
    let map_file = temp_dir("schema-drift-map").join("schema.yaml");
    std::fs::write(&map_file, map).unwrap();
    let mapped = lint_offline_with(&drift_dir, &["--schema-map", map_file.to_str().unwrap()]);
    assert_eq!(mapped.code, 0, "{}", mapped.stderr);
    assert_eq!(checks(&mapped), checks(&control), "with the site's map");
}

#[test]
fn a_missing_table_names_the_dump_it_was_looked_for_in() {
    let dir = fixture("cases/schema-drift-table");
    let dump = std::fs::read_to_string(dir.join("metadb/rm_340.sql")).unwrap();
    assert!(!dump.contains("`oms_project`") && dump.contains("CREATE TABLE `oms_sync_project`"));
    let control = lint_offline(&fixture("cases/OMS003-quiet"));
    let out = lint_offline(&dir);
    assert_drift_errors(
        "no oms_project",
        &out,
        &control,
        &["metadb/rm_340.sql", "oms_project", "rm_340"],
    );
}

/// Starts MariaDB with a SELECT-only user for the live lints.
fn server() -> MariaDb {
    let db = MariaDb::start();
    db.sql(&format!(
        "CREATE USER {a} IDENTIFIED BY '{PW}'; GRANT SELECT ON *.* TO {a}",
        a = account("lint")
    ));
    db
}

#[test]
fn the_live_metadb_with_the_same_drift_names_host_database_table_and_column() {
    let db = server();
    let work = temp_dir("schema-drift-live");
    let control_dir = fixture("cases/OMS003-quiet");
    let at = format!("127.0.0.1:{}/rm_340", db.port);
    let mut dirs = vec![(control_dir.clone(), "control", vec![])];
    dirs.push((
        fixture("cases/schema-drift-column"),
        "proj_name",
        vec!["oms_project", "project_name"],
    ));
    dirs.push((
        fixture("cases/schema-drift-table"),
        "no oms_project",
        vec!["oms_project"],
    ));
    let mut control = None;
    for (dir, what, names) in dirs {
        db.load_deployment(&dir);
        let live_dir = work.join(dir.file_name().unwrap());
        copy_without_dumps(&dir, &live_dir);
        let live = lint_live(
            &live_dir,
            db.port,
            "lint",
            PW,
            &["--to".into(), "4.2.3".into()],
        );
        assert!(!live.stdout.contains(PW) && !live.stderr.contains(PW));
        let offline = lint_offline(&dir);
        match &control {
            None => {
                assert_eq!(live.code, 0, "{what}: {}", live.stderr);
                control = Some(live);
                continue;
            }
            Some(control) => {
                let mut names = names.clone();
                names.push(at.as_str());
                assert_drift_errors(&format!("{what} (live)"), &live, control, &names);
            }
        }
        // The live MetaDB and its dump agree check by check (the reasons name their own
        // origin: the file, or host:port/database).
        let status = |o: &Out| -> Vec<(String, String)> {
            checks(o).into_iter().map(|(c, (s, _))| (c, s)).collect()
        };
        assert_eq!(status(&live), status(&offline), "{what}: live vs dump");
    }
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn a_dump_without_create_table_is_not_read_by_position() {
    // `mariadb-dump --no-create-info`: INSERTs with no column list and no CREATE TABLE,
    // so which value is which column is unknown.
    let db = server();
    let src = fixture("cases/OMS003-quiet");
    db.load_deployment(&src);
    let dir = temp_dir("schema-drift-no-create");
    copy_without_dumps(&src, &dir);
    std::fs::create_dir_all(dir.join("metadb")).unwrap();
    db.dump_with(
        &[
            "--single-transaction",
            "--skip-dump-date",
            "--no-create-info",
        ],
        &["rm_340"],
        &dir.join("metadb/rm_340.sql"),
    );
    for d in ["cm_340", "cm_hb_340"] {
        db.dump(d, &dir.join(format!("metadb/{d}.sql")));
    }
    let dump = std::fs::read_to_string(dir.join("metadb/rm_340.sql")).unwrap();
    assert!(dump.contains("INSERT INTO `oms_project` VALUES") && !dump.contains("CREATE TABLE"));
    // oms_version is not read either: the source version is given.
    let out = lint_offline_with(&dir, &["--from", "3.4.0"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let got = checks(&out);
    for code in READ_PROJECTS {
        let (status, reason) = &got[code];
        assert_eq!(status, "error", "{code}: {got:?}");
        for n in ["metadb/rm_340.sql", "oms_project", "CREATE TABLE"] {
            assert!(
                reason.contains(n),
                "{code}'s reason should name {n}: {reason}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
