//! `SHOW GRANTS`, read well enough to say before reading which SELECT grants are missing.

/// Whether one `GRANT … ON … TO …` line gives SELECT on `db` (or on everything).
fn grants_select_on(line: &str, db: &str) -> bool {
    let upper = line.to_ascii_uppercase();
    let Some(rest) = upper.strip_prefix("GRANT ") else {
        return false;
    };
    let Some((privs, on)) = rest.split_once(" ON ") else {
        return false;
    };
    let privs_ok = privs.contains("ALL PRIVILEGES")
        || privs
            .split(',')
            .any(|p| p.trim() == "SELECT" || p.trim().starts_with("SELECT ("));
    if !privs_ok {
        return false;
    }
    // The object as written, from the original line (database names are case-sensitive).
    let start = line.len() - on.len();
    let object = line[start..].split(" TO ").next().unwrap_or("").trim();
    let object = object.strip_prefix("TABLE ").unwrap_or(object);
    let Some((schema, _)) = object.split_once('.') else {
        return false;
    };
    let schema = schema.trim_matches('`');
    schema == "*" || schema == db || schema.replace("\\_", "_") == db
}

/// The databases among `dbs` that no grant line lets this user SELECT from.
pub fn missing_select(grants: &[String], dbs: &[String]) -> Vec<String> {
    dbs.iter()
        .filter(|db| !grants.iter().any(|g| grants_select_on(g, db)))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_mariadb_and_mysql_grant_lines() {
        let dbs = vec![
            "rm_340".to_string(),
            "cm_340".to_string(),
            "cm_hb_340".to_string(),
        ];
        let grants = g(&[
            "GRANT USAGE ON *.* TO `lint`@`%` IDENTIFIED BY PASSWORD '*ABC'",
            "GRANT SELECT ON `rm_340`.* TO `lint`@`%`",
            "GRANT SELECT, SHOW VIEW ON `cm\\_340`.* TO `lint`@`%`",
        ]);
        assert_eq!(missing_select(&grants, &dbs), vec!["cm_hb_340".to_string()]);
        assert!(missing_select(
            &g(&["GRANT ALL PRIVILEGES ON *.* TO 'root'@'localhost' WITH GRANT OPTION"]),
            &dbs
        )
        .is_empty());
        assert!(missing_select(&g(&["GRANT SELECT ON *.* TO `u`@`%`"]), &dbs).is_empty());
        assert_eq!(
            missing_select(&g(&["GRANT INSERT ON `rm_340`.* TO `u`@`%`"]), &dbs[..1]),
            vec!["rm_340".to_string()]
        );
    }
}
