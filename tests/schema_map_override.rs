//! `--schema-map` points omslint at a MetaDB whose layout differs from the reference: here
//! the migration projects live in another table with another name column. Without the map
//! the check cannot run (exit 3, never a silent pass); with it, the duplicates are found.

mod common;

use common::mariadb::MariaDb;
use common::{json, omslint, root};

#[test]
fn a_schema_map_redirects_a_fact_to_another_table() {
    let db = MariaDb::start();
    db.sql("CREATE DATABASE rm CHARACTER SET utf8mb4");
    db.load("rm", &root().join("fixtures/src/schema/rm.sql"));
    db.sql("RENAME TABLE rm.oms_project TO rm.oms_migration_project");
    db.sql("ALTER TABLE rm.oms_migration_project CHANGE project_name display_name varchar(128) NOT NULL");
    db.sql(
        "INSERT INTO rm.oms_migration_project VALUES \
         ('p_1', 'orders', 'RUNNING', NULL, NULL, '2024-01-01 00:00:00', '2024-01-01 00:00:00'), \
         ('p_2', 'ORDERS', 'RUNNING', NULL, NULL, '2024-01-02 00:00:00', '2024-01-02 00:00:00')",
    );
    let dir = std::env::temp_dir().join(format!("omslint-map-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dump = dir.join("rm.sql");
    db.dump("rm", &dump);
    let builtin = std::fs::read_to_string(root().join("rules/schema.yaml")).unwrap();
    let map = builtin
        .replacen("table: oms_project\n", "table: oms_migration_project\n", 1)
        .replacen("name: project_name\n", "name: display_name\n", 1);
    assert_ne!(map, builtin);
    let map_file = dir.join("schema.yaml");
    std::fs::write(&map_file, map).unwrap();
    let d = dump.to_string_lossy().into_owned();
    let m = map_file.to_string_lossy().into_owned();

    let without = omslint(&[
        "lint", "--dump", &d, "--from", "3.4.0", "--to", "4.2.3", "--format", "json",
    ]);
    assert_eq!(without.code, 3, "{}", without.stderr);
    let r = json(&without);
    let oms003 = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "OMS003")
        .unwrap()
        .clone();
    assert_eq!(oms003["status"], "error");
    assert!(oms003["reason"].as_str().unwrap().contains("oms_project"));

    let with = omslint(&[
        "lint",
        "--dump",
        &d,
        "--from",
        "3.4.0",
        "--to",
        "4.2.3",
        "--format",
        "json",
        "--schema-map",
        &m,
    ]);
    let r = json(&with);
    let hits: Vec<_> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "OMS003")
        .collect();
    assert_eq!(hits.len(), 1, "{}", with.stdout);
    assert_eq!(hits[0]["subject"]["id"], "p_2");
    assert!(hits[0]["fix"]["sql"]
        .as_str()
        .unwrap()
        .contains("`oms_migration_project` SET `display_name`"));

    std::fs::write(&map_file, "projects: [not, a, map]\n").unwrap();
    let bad = omslint(&[
        "lint",
        "--dump",
        &d,
        "--from",
        "3.4.0",
        "--to",
        "4.2.3",
        "--schema-map",
        &m,
    ]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("schema.yaml"), "{}", bad.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}
