//! The fix SQL omslint writes is correct MySQL for every name: applied to a real MariaDB it
//! makes the names unique under the collation (the guides' GROUP BY finds nothing), and
//! its rollback SQL restores every byte. Names carry quotes, backslashes, NUL, Chinese text
//! and emoji; the dump is made by the real mariadb-dump.

mod common;

use common::mariadb::MariaDb;
use common::{json, omslint, root};

const NAMES: &[(&str, &str)] = &[
    ("p_a1", "it's"),
    ("p_a2", "IT'S "),
    ("p_b1", "back\\slash"),
    ("p_b2", "BACK\\SLASH"),
    ("p_c1", "订单'同步\\"),
    ("p_c2", "订单'同步\\ "),
    ("p_d1", "nul\0byte"),
    ("p_d2", "NUL\0BYTE"),
    ("p_e1", "quote\"d 😀"),
    ("p_e2", "QUOTE\"D 🎉"),
    ("p_f1", "plain"),
];

fn lit(s: &str) -> String {
    let mut o = String::from("'");
    for c in s.chars() {
        match c {
            '\0' => o.push_str("\\0"),
            '\'' => o.push_str("\\'"),
            '\\' => o.push_str("\\\\"),
            c => o.push(c),
        }
    }
    o.push('\'');
    o
}

fn state(db: &MariaDb) -> String {
    db.sql("SELECT id, HEX(project_name) FROM rm.oms_project ORDER BY id")
}

#[test]
fn rename_fixes_apply_and_roll_back_exactly() {
    let db = MariaDb::start();
    db.sql("CREATE DATABASE rm CHARACTER SET utf8mb4");
    db.load("rm", &root().join("fixtures/src/schema/rm.sql"));
    let rows: Vec<String> = NAMES
        .iter()
        .enumerate()
        .map(|(i, (id, name))| {
            format!("('{id}', {}, 'RUNNING', NULL, NULL, '2024-01-01 00:00:{i:02}', '2024-01-01 00:00:00')", lit(name))
        })
        .collect();
    db.sql(&format!(
        "INSERT INTO rm.oms_project VALUES {}",
        rows.join(",")
    ));
    db.sql("INSERT INTO rm.oms_version VALUES ('3.4.0', '2024-01-01 00:00:00')");
    let before = state(&db);

    let dir = std::env::temp_dir().join(format!("omslint-fix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dump = dir.join("rm.sql");
    db.dump("rm", &dump);
    let out = omslint(&[
        "lint",
        "--dump",
        &dump.to_string_lossy(),
        "--to",
        "4.2.3",
        "--format",
        "json",
    ]);
    let report = json(&out);
    let fixes: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "OMS003")
        .map(|f| {
            (
                f["fix"]["sql"].as_str().unwrap().to_string(),
                f["fix"]["rollback_sql"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        fixes.len(),
        5,
        "one rename per duplicate pair: {}",
        out.stdout
    );

    let dup_query = "SELECT project_name, count(*) FROM rm.oms_project WHERE project_status != 'DELETED' GROUP BY project_name HAVING count(*) > 1";
    assert!(
        !db.sql(dup_query).trim().is_empty(),
        "the server sees the duplicates"
    );
    for (sql, _) in &fixes {
        db.sql(sql);
    }
    assert_eq!(
        db.sql(dup_query).trim(),
        "",
        "no duplicate left after the fixes"
    );
    assert_eq!(
        db.sql("SELECT count(*) FROM rm.oms_project").trim(),
        NAMES.len().to_string()
    );
    // Guarded: running a fix a second time matches no row and changes nothing.
    let after = state(&db);
    db.sql(&fixes[0].0);
    assert_eq!(state(&db), after);

    for (_, rollback) in fixes.iter().rev() {
        db.sql(rollback);
    }
    assert_eq!(state(&db), before, "the rollback restores every byte");
    std::fs::remove_dir_all(&dir).unwrap();
}
