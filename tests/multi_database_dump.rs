//! One dump file holding several databases (`mariadb-dump --databases rm cm`) lints
//! exactly like one dump per database. Such a file is named by its first database (rm),
//! so the reader cannot know before scanning it that it holds cm's `config_job` too:
//! the projects those rows name must still be picked out (the late pass of
//! `metadb_dumps`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::mariadb::MariaDb;
use common::{fixture, json};

fn lint(dir: &Path) -> (i32, Vec<String>) {
    let o = common::omslint_in(dir, &["lint", ".", "--format", "json", "--to", "4.2.3"]);
    let v = common::finding_lines(&json(&o), true);
    (o.code, v)
}

fn copy(from: &Path, to: &Path) {
    assert!(Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap()
        .success());
}

/// Lints `case` twice: with its own dumps, and with rm and cm in one dump (rm first).
fn compare(db: &MariaDb, case: &Path, work: &Path) -> ((i32, Vec<String>), (i32, Vec<String>)) {
    let dumps = db.load_deployment(case);
    let stem = |p: &PathBuf| p.file_stem().unwrap().to_string_lossy().into_owned();
    let rm = dumps
        .iter()
        .map(stem)
        .find(|n| n.starts_with("rm_"))
        .unwrap();
    let cm = dumps
        .iter()
        .map(stem)
        .find(|n| n.starts_with("cm_") && !n.starts_with("cm_hb"))
        .unwrap();
    let (separate, together) = (work.join("separate"), work.join("together"));
    copy(case, &separate);
    copy(case, &together);
    let metadb = together.join("metadb");
    std::fs::remove_file(metadb.join(format!("{rm}.sql"))).unwrap();
    std::fs::remove_file(metadb.join(format!("{cm}.sql"))).unwrap();
    db.dump_databases(&[&rm, &cm], &metadb.join("rm_and_cm.sql"));
    let text = std::fs::read_to_string(metadb.join("rm_and_cm.sql")).unwrap();
    assert!(text.contains(&format!("Database: {rm}")) && text.contains(&format!("USE `{cm}`")));
    (lint(&separate), lint(&together))
}

#[test]
fn a_dump_of_rm_and_cm_together_finds_what_separate_dumps_find() {
    let db = MariaDb::start();
    let work = std::env::temp_dir().join(format!("omslint-multidb-{}", std::process::id()));
    for (case, expect) in [
        // config_job names the project OMS005 needs in full: only the late pass finds it.
        ("cases/OMS005-fires-configjob", "\"OMS005\""),
        ("sample", "\"OMS003\""),
    ] {
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).unwrap();
        let (a, b) = compare(&db, &fixture(case), &work);
        assert_eq!(a.0, b.0, "{case}: exit codes");
        assert!(
            a.1.iter().any(|f| f.starts_with(expect)),
            "{case} has {expect} findings: {:?}",
            a.1
        );
        assert_eq!(a.1, b.1, "{case}");
    }
    let _ = std::fs::remove_dir_all(&work);
}
