//! OMS003 groups names the way the column's collation does: the guides' own
//! `GROUP BY project_name` on a real MariaDB is the reference. The same names go into
//! tables of several collations; the server's groups must equal omslint's, both through
//! the collation keys and end to end through a real mariadb-dump and `omslint lint`.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::mariadb::MariaDb;
use omslint::facts::collation::{key, Rules};

const NAMES: &[&str] = &[
    "orders",
    "Orders",
    "ORDERS ",
    "orders  ",
    " orders",
    "órders",
    "ordèrs",
    "orders_sync",
    "Straße",
    "STRASSE",
    "strasse",
    "ß",
    "s",
    "ss",
    "café",
    "CAFE",
    "Cafe\t",
    "naïve",
    "NAIVE",
    "Œuvre",
    "oeuvre",
    "Æ",
    "ae",
    "ŀ",
    "l",
    "Ł",
    "ł",
    "i",
    "I",
    "İ",
    "ı",
    "Ǆ",
    "ǅ",
    "ǆ",
    "订单同步",
    "订单同步 ",
    "訂單同步",
    "a😀",
    "a🎉",
    "😀",
    "it's",
    "IT'S",
    "back\\slash",
    "BACK\\SLASH",
    "Ångström",
    "angstrom",
    "ñandú",
    "NANDU",
    "x",
    "X",
    "ÿ",
    "Y",
    "þ",
    "Þ",
];

const COLLATIONS: &[&str] = &[
    "utf8mb4_general_ci",
    "utf8mb4_bin",
    "utf8mb4_unicode_ci",
    "utf8mb4_nopad_bin",
    "utf8mb4_general_nopad_ci",
];

fn sql_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[test]
fn collation_keys_group_like_mariadb_group_by() {
    let db = MariaDb::start();
    db.sql("CREATE DATABASE c CHARACTER SET utf8mb4");
    let mut mismatches = Vec::new();
    for (i, coll) in COLLATIONS.iter().enumerate() {
        db.sql(&format!(
            "CREATE TABLE c.t{i} (id int PRIMARY KEY, project_name varchar(128) COLLATE {coll} NOT NULL)"
        ));
        let values: Vec<String> = NAMES
            .iter()
            .enumerate()
            .map(|(n, name)| format!("({n}, {})", sql_str(name)))
            .collect();
        db.sql(&format!("INSERT INTO c.t{i} VALUES {}", values.join(",")));
        // The guides' query, with ids listed in order so groups compare as sets.
        let out = db.sql(&format!(
            "SELECT GROUP_CONCAT(id ORDER BY id) FROM c.t{i} GROUP BY project_name HAVING count(*) > 1"
        ));
        let server: BTreeSet<Vec<usize>> = out
            .lines()
            .map(|l| l.split(',').map(|n| n.trim().parse().unwrap()).collect())
            .collect();
        let rules = Rules::for_collation(Some(coll));
        let mut by_key: BTreeMap<Vec<u8>, Vec<usize>> = BTreeMap::new();
        for (n, name) in NAMES.iter().enumerate() {
            by_key
                .entry(key(rules, name.as_bytes()))
                .or_default()
                .push(n);
        }
        let ours: BTreeSet<Vec<usize>> = by_key.into_values().filter(|g| g.len() > 1).collect();
        if server != ours {
            let show = |s: &BTreeSet<Vec<usize>>| {
                s.iter()
                    .map(|g| {
                        g.iter()
                            .map(|&n| format!("{:?}", NAMES[n]))
                            .collect::<Vec<_>>()
                            .join("=")
                    })
                    .collect::<Vec<_>>()
            };
            let only_server: BTreeSet<_> = server.difference(&ours).cloned().collect();
            let only_ours: BTreeSet<_> = ours.difference(&server).cloned().collect();
            mismatches.push(format!(
                "{coll}: server only {:?}; omslint only {:?}",
                show(&only_server),
                show(&only_ours)
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
