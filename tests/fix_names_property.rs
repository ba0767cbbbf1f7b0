//! A property test of `--fix` renames: for generated names full of quotes, backslashes,
//! NUL, emoji, Chinese and accents, paired with a collation-equal twin, the applied fix
//! leaves no duplicate under the guides' GROUP BY, each new name is the old one (trailing
//! spaces aside) plus `-<id>`, byte for byte, and the rollback restores every byte.

mod common;

use std::process::Command;

use common::mariadb::MariaDb;
use common::root;

const PW: &str = "S3cr3t-prop-pw";
const PIECES: &[&str] = &[
    "a", "B", "'", "\\", "\0", "😀", "订单", "é", "\"", "%", "_", " ", "x", "Z9", "\n",
];

/// xorshift64*: deterministic, so a failure names its seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02X}")).collect()
}

fn names(db: &MariaDb) -> Vec<(String, Vec<u8>)> {
    db.sql("SELECT id, HEX(project_name) FROM rm.oms_project ORDER BY id")
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(id, h)| {
            let bytes = (0..h.len() / 2)
                .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
                .collect();
            (id.to_string(), bytes)
        })
        .collect()
}

#[test]
fn generated_names_round_trip_through_fix_and_rollback() {
    let db = MariaDb::start();
    db.sql("CREATE DATABASE rm CHARACTER SET utf8mb4");
    db.load("rm", &root().join("fixtures/src/schema/rm.sql"));
    db.sql("INSERT INTO rm.oms_version VALUES ('3.4.0', '2024-01-01 00:00:00')");
    db.sql(&format!("CREATE USER 'fixer'@'127.0.0.1' IDENTIFIED BY '{PW}'; GRANT SELECT, UPDATE ON rm.* TO 'fixer'@'127.0.0.1'"));
    let dir = std::env::temp_dir().join(format!("omslint-prop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.yaml"),
        "oms_meta_host: 127.0.0.1\noms_meta_port: 3306\noms_meta_user: fixer\ndrc_rm_db: rm\n",
    )
    .unwrap();
    for seed in [1u64, 7, 42] {
        db.sql("DELETE FROM rm.oms_project");
        let mut rng = Rng(seed.wrapping_mul(0x9E3779B97F4A7C15) | 1);
        let mut rows = Vec::new();
        for i in 0..25 {
            let len = 1 + rng.next() % 6;
            let base: String = (0..len)
                .map(|_| PIECES[(rng.next() % PIECES.len() as u64) as usize])
                .collect();
            let base = base.trim_end_matches(' ').to_string() + "n";
            let twin = base.to_uppercase() + &" ".repeat(1 + (rng.next() % 2) as usize);
            for (j, name) in [base, twin].iter().enumerate() {
                rows.push(format!(
                    "('p_{seed}x{i}x{j}', X'{}', 'RUNNING', NULL, NULL, '2024-01-01 00:{i:02}:0{j}', '2024-01-01 00:00:00')",
                    hex(name)
                ));
            }
        }
        db.sql(&format!(
            "INSERT INTO rm.oms_project VALUES {}",
            rows.join(",")
        ));
        let before = names(&db);
        let rb = dir.join(format!("rb-{seed}.sql"));
        let out = Command::new(env!("CARGO_BIN_EXE_omslint"))
            .args([
                "lint",
                ".",
                "--to",
                "4.2.3",
                "--ssl-mode",
                "disabled",
                "--fix",
                "--format",
                "json",
            ])
            .args([
                "--metadb",
                &format!("mysql://fixer@127.0.0.1:{}", db.port),
                "--rollback-file",
                rb.to_str().unwrap(),
            ])
            .current_dir(&dir)
            .env("OMSLINT_METADB_PASSWORD", PW)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("applied"), "seed {seed}: {stderr}");
        let dups = db.sql("SELECT project_name FROM rm.oms_project WHERE project_status != 'DELETED' GROUP BY project_name HAVING count(*) > 1");
        assert_eq!(dups.trim(), "", "seed {seed}: duplicates remain");
        let after = names(&db);
        let mut renamed = 0;
        for ((id, old), (_, new)) in before.iter().zip(&after) {
            if old == new {
                continue;
            }
            renamed += 1;
            let mut trimmed = old.clone();
            while trimmed.last() == Some(&b' ') {
                trimmed.pop();
            }
            let suffix = format!("-{id}");
            assert!(
                new.starts_with(&trimmed)
                    && (new.ends_with(suffix.as_bytes())
                        || String::from_utf8_lossy(new).contains(&format!("{suffix}-"))),
                "seed {seed}: {id} renamed from {:?} to {:?}",
                String::from_utf8_lossy(old),
                String::from_utf8_lossy(new)
            );
        }
        assert!(
            renamed >= 25,
            "seed {seed}: every twin is renamed ({renamed})"
        );
        db.load("rm", &rb);
        assert_eq!(
            names(&db),
            before,
            "seed {seed}: the rollback restores every byte"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
