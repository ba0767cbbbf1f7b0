//! The grants preflight, judged from the server's own answers: before reading anything,
//! omslint runs `SELECT 1 FROM db.table LIMIT 0` on every table the checks need. That is
//! the definitive answer whatever the grant came through — a database or table grant, a
//! wildcard, or a role (MySQL 8 and OceanBase print only ``GRANT `r`@`%` TO `u`@`%` `` in
//! `SHOW GRANTS`, so reading grant lines cannot tell) — and it names exactly the database
//! or table that is missing.

/// What one probe answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Readable,
    /// The server refused: no SELECT through any grant or active role.
    Denied,
    /// No such table (or database): the rules report it, naming the table.
    Absent,
}

/// The meaning of a server error a probe can get; the codes are shared by MySQL,
/// MariaDB and OceanBase's MySQL mode. Any other error is a failure of the check.
pub fn classify(code: u16) -> Option<Access> {
    match code {
        // ER_DBACCESS_DENIED_ERROR, ER_TABLEACCESS_DENIED_ERROR, ER_COLUMNACCESS_DENIED_ERROR
        1044 | 1142 | 1143 => Some(Access::Denied),
        // ER_BAD_DB_ERROR, ER_NO_SUCH_TABLE
        1049 | 1146 => Some(Access::Absent),
        _ => None,
    }
}

/// One table the checks need, and what its probe answered.
#[derive(Debug, Clone)]
pub struct Probe {
    pub db: String,
    pub table: String,
    pub access: Access,
}

/// A grant the user lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// Nothing the checks need in this database is readable.
    Database(String),
    /// Some tables are readable, these are not.
    Tables(String, Vec<String>),
}

impl Missing {
    /// `rm_340` or `rm_340.oms_project, rm_340.oms_version`.
    pub fn names(&self) -> String {
        match self {
            Missing::Database(db) => db.clone(),
            Missing::Tables(db, tables) => tables
                .iter()
                .map(|t| format!("{db}.{t}"))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// The statements that grant what is missing, for `<user>`.
    pub fn grants(&self) -> Vec<String> {
        use crate::escape::sql;
        match self {
            Missing::Database(db) => {
                vec![format!("GRANT SELECT ON {}.* TO <user>", sql::ident(db))]
            }
            Missing::Tables(db, tables) => tables
                .iter()
                .map(|t| format!("GRANT SELECT ON {} TO <user>", sql::table(Some(db), t)))
                .collect(),
        }
    }

    pub fn database(&self) -> &str {
        match self {
            Missing::Database(db) | Missing::Tables(db, _) => db,
        }
    }
}

/// What the preflight found wrong, database by database in the order of `dbs`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Named in config.yaml, not on the server (or not visible, with no table denied).
    pub absent: Vec<String>,
    pub missing: Vec<Missing>,
}

/// Judges the probes. `visible`: the databases `information_schema.SCHEMATA` shows this
/// user (a database the user has no privilege on is hidden, like one that does not exist).
pub fn judge(dbs: &[String], visible: &[String], probes: &[Probe]) -> Verdict {
    let mut v = Verdict::default();
    for db in dbs {
        let of_db: Vec<&Probe> = probes.iter().filter(|p| &p.db == db).collect();
        let denied: Vec<String> = of_db
            .iter()
            .filter(|p| p.access == Access::Denied)
            .map(|p| p.table.clone())
            .collect();
        let readable = of_db.iter().any(|p| p.access == Access::Readable);
        if !denied.is_empty() {
            if readable || denied.len() < of_db.len() {
                v.missing.push(Missing::Tables(db.clone(), denied));
            } else {
                v.missing.push(Missing::Database(db.clone()));
            }
        } else if !readable && !visible.contains(db) {
            v.absent.push(db.clone());
        }
    }
    v
}

/// Whether a `SHOW GRANTS` line grants a role (``GRANT `r`@`%` TO `u`@`%` ``, MariaDB's
/// ``GRANT `r` TO `u`@`h` ``) rather than privileges on objects.
pub fn is_role_grant(line: &str) -> bool {
    let upper = line.to_ascii_uppercase();
    upper.starts_with("GRANT ") && upper.contains(" TO ") && !upper.contains(" ON ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(db: &str, table: &str, access: Access) -> Probe {
        Probe {
            db: db.into(),
            table: table.into(),
            access,
        }
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn server_codes() {
        assert_eq!(classify(1142), Some(Access::Denied));
        assert_eq!(classify(1044), Some(Access::Denied));
        assert_eq!(classify(1146), Some(Access::Absent));
        assert_eq!(classify(1049), Some(Access::Absent));
        assert_eq!(classify(2013), None);
    }

    #[test]
    fn names_the_database_or_exactly_the_tables() {
        let dbs = s(&["cm_hb_340", "rm_340", "cm_340"]);
        let probes = [
            p("cm_hb_340", "heatbeat_sequence", Access::Denied),
            p("rm_340", "oms_project", Access::Readable),
            p("rm_340", "oms_version", Access::Denied),
            p("rm_340", "oms_datasource", Access::Absent),
            p("cm_340", "config_job", Access::Readable),
        ];
        let v = judge(&dbs, &s(&["rm_340", "cm_340"]), &probes);
        assert!(v.absent.is_empty());
        assert_eq!(
            v.missing,
            vec![
                Missing::Database("cm_hb_340".into()),
                Missing::Tables("rm_340".into(), s(&["oms_version"])),
            ]
        );
        assert_eq!(v.missing[1].names(), "rm_340.oms_version");
        assert_eq!(
            v.missing[1].grants(),
            vec!["GRANT SELECT ON `rm_340`.`oms_version` TO <user>".to_string()]
        );
        assert_eq!(
            v.missing[0].grants(),
            vec!["GRANT SELECT ON `cm_hb_340`.* TO <user>".to_string()]
        );
    }

    #[test]
    fn a_table_that_is_absent_is_not_a_missing_grant() {
        // All denied but one absent: the tables are named, not the whole database.
        let v = judge(
            &s(&["rm"]),
            &s(&["rm"]),
            &[p("rm", "a", Access::Denied), p("rm", "b", Access::Absent)],
        );
        assert_eq!(v.missing, vec![Missing::Tables("rm".into(), s(&["a"]))]);
        // Nothing denied, nothing readable, not visible: the database does not exist.
        let v = judge(
            &s(&["cm_hb_999"]),
            &[],
            &[p("cm_hb_999", "h", Access::Absent)],
        );
        assert_eq!(v.absent, s(&["cm_hb_999"]));
        assert!(v.missing.is_empty());
        // Visible, every table absent: the rules say which table is not found.
        let v = judge(&s(&["rm"]), &s(&["rm"]), &[p("rm", "a", Access::Absent)]);
        assert_eq!(v, Verdict::default());
    }

    #[test]
    fn role_grant_lines() {
        assert!(is_role_grant("GRANT `r`@`%` TO `u`@`%`"));
        assert!(is_role_grant("GRANT `r_sel` TO `ru`@`127.0.0.1`"));
        assert!(!is_role_grant("GRANT SELECT ON `rm_340`.* TO `r_sel`"));
        assert!(!is_role_grant("GRANT USAGE ON *.* TO 'ru'"));
        assert!(!is_role_grant(
            "SET DEFAULT ROLE `r_sel` FOR `ru`@`127.0.0.1`"
        ));
    }
}
