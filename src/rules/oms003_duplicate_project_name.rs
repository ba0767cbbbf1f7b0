//! OMS003: live projects whose names the column's collation calls equal.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use super::common::need_projects;
use super::{finding, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::escape::sql;
use crate::facts::collation;
use crate::facts::{Project, ProjectFacts};
use crate::finding::{Applicability, Finding, Fix, FixKind, Severity, Subject};
use crate::upgrade::Fork;

/// A new name for a duplicate: derived from the project (so a re-run gives the same
/// name), within the column's length, and free under the collation. `None` when no name
/// is known to be free (the names were kept on disk and only `RENAME_TRIES` of them a
/// project were looked for): the finding then offers no rename rather than a guess.
pub fn new_name(facts: &ProjectFacts, p: &Project, taken: &HashSet<Vec<u8>>) -> Option<String> {
    let rules = facts.rules();
    for n in 1.. {
        let candidate = facts.rename_candidate(p, n);
        let key = collation::key(rules, candidate.as_bytes());
        if !facts.name_taken(&candidate)? && !taken.contains(&key) {
            return Some(candidate);
        }
    }
    unreachable!("the loop returns once a free name is found")
}

fn rename_fix(facts: &ProjectFacts, p: &Project, new: &str) -> Fix {
    let db = facts.database.as_deref();
    let t = sql::table(db, &facts.table);
    let (idc, namec) = (sql::ident(&facts.id_column), sql::ident(&facts.name_column));
    let update = |to: &str, from: &str| {
        format!(
            "UPDATE {t} SET {namec} = {} WHERE {idc} = {} AND {namec} = BINARY {};",
            sql::literal(to),
            sql::literal(p.id()),
            sql::literal(from)
        )
    };
    Fix {
        kind: FixKind::Sql,
        applicability: Applicability::Safe,
        description: format!("rename {} to {}", p.id(), sql::literal(new)),
        database: facts.database.clone(),
        sql: Some(update(new, p.name())),
        rollback_sql: Some(update(p.name(), new)),
        patch: None,
        apply: Some(crate::finding::Apply::GuardedSql),
    }
}

fn group_findings(
    ctx: &Context<'_>,
    meta: &'static RuleMeta,
    facts: &ProjectFacts,
    group: &[Project],
    new_names: &HashMap<&str, String>,
) -> Vec<Finding> {
    // Where no guide says whether the hop runs the correction package, the strict
    // verdict: unknown is never a pass.
    let fork = ctx.correction_fork() != Fork::Known(false);
    let severity = if fork {
        Severity::Error
    } else {
        Severity::Notice
    };
    let unknown_note = ctx.correction_unknown_note().unwrap_or_default();
    let Some((kept, rest)) = group.split_first() else {
        return Vec::new();
    };
    let collation_name = facts
        .name_collation
        .clone()
        .unwrap_or_else(|| "binary".into());
    let ids: Vec<serde_json::Value> = group.iter().map(|p| p.id().into()).collect();
    rest.iter()
        .map(|p| {
            let mut f = finding(
                meta,
                severity,
                Subject::new(facts.kind.subject_kind(), p.id()).named(p.name()),
                format!(
                    "{} {} is named {:?}, the same as {} {:?} under {collation_name}; the guides require unique names{}",
                    facts.kind.label(),
                    p.id(),
                    p.name(),
                    kept.id(),
                    kept.name(),
                    if fork { " before the correction package runs" } else { "" }
                ) + &unknown_note,
            );
            f.evidence.insert("table".into(), facts.table.clone().into());
            f.evidence.insert("collation".into(), collation_name.clone().into());
            f.evidence.insert("group".into(), ids.clone().into());
            f.evidence.insert("kept".into(), kept.id().into());
            if let Some(new) = new_names.get(p.id()) {
                f.fix = Some(Box::new(rename_fix(facts, p, new)));
            }
            f
        })
        .collect()
}

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let m = &ctx.deployment.metadb;
    let mut out = Vec::new();
    for facts in [&m.projects, &m.sync_projects] {
        if let Err(o) = need_projects(ctx, facts) {
            return o;
        }
        // New names must not collide with each other either, so they are chosen in one
        // deterministic sequential pass before the groups are reported in parallel.
        let rules = facts.rules();
        let mut taken = HashSet::new();
        let mut new_names = HashMap::new();
        for p in facts.duplicate_groups.iter().flat_map(|g| g.iter().skip(1)) {
            if let Some(n) = new_name(facts, p, &taken) {
                taken.insert(collation::key(rules, n.as_bytes()));
                new_names.insert(p.id(), n);
            }
        }
        let per_group: Vec<Vec<Finding>> = facts
            .duplicate_groups
            .par_iter()
            .map(|g| group_findings(ctx, meta, facts, g, &new_names))
            .collect();
        out.extend(per_group.into_iter().flatten());
    }
    Outcome::Ran(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::projects::NameHashes;

    fn facts(max: u32, existing: &[&str]) -> ProjectFacts {
        let rules = collation::Rules::for_collation(Some("utf8mb4_general_ci"));
        let hashes: Vec<u32> = existing
            .iter()
            .map(|n| collation::key_hash32(rules, n.as_bytes()))
            .collect();
        ProjectFacts {
            name_collation: Some("utf8mb4_general_ci".into()),
            name_max_len: Some(max),
            name_hashes: NameHashes::from_hashes(&hashes),
            ..Default::default()
        }
    }

    fn project(id: &str, name: &str) -> Project {
        Project::new(id, name, "", None, None, None)
    }

    #[test]
    fn new_names_are_stable_free_and_fit() {
        let f = facts(128, &["orders"]);
        let p = project("p_2", "orders ");
        let n = new_name(&f, &p, &HashSet::new()).unwrap();
        assert_eq!(n, "orders-p_2");
        assert_eq!(Some(n), new_name(&f, &p, &HashSet::new()));
        // Taken under the collation (case-insensitively) by an existing name.
        let f = facts(128, &["orders", "ORDERS-P_2"]);
        assert_eq!(new_name(&f, &p, &HashSet::new()).unwrap(), "orders-p_2-2");
        // Fits the column, counting characters, not bytes.
        let f = facts(10, &[]);
        let n = new_name(&f, &project("p_9", "订单同步订单同步订单"), &HashSet::new()).unwrap();
        assert_eq!(n.chars().count(), 10);
        assert!(n.ends_with("-p_9"));
    }

    #[test]
    fn only_names_asked_about_are_known() {
        // The names were kept on disk and two new names were asked about: the first is
        // taken, the second free.
        let rules = collation::Rules::for_collation(Some("utf8mb4_general_ci"));
        let h = |n: &str| collation::key_hash32(rules, n.as_bytes());
        let mut f = facts(128, &["ORDERS-P_2"]);
        f.name_asked = Some(NameHashes::from_hashes(&[
            h("orders-p_2"),
            h("orders-p_2-2"),
        ]));
        let p = project("p_2", "orders");
        assert_eq!(f.name_taken("orders-p_2"), Some(true));
        assert_eq!(f.name_taken("orders-p_2-2"), Some(false));
        assert_eq!(f.name_taken("orders-p_2-3"), None);
        assert_eq!(new_name(&f, &p, &HashSet::new()).unwrap(), "orders-p_2-2");
        // The free one given to another project in this run: the next is not known, so
        // no name rather than a guess.
        let mut taken = HashSet::new();
        taken.insert(collation::key(rules, b"orders-p_2-2"));
        assert_eq!(new_name(&f, &p, &taken), None);
    }

    #[test]
    fn rename_sql_is_guarded_and_escaped() {
        let f = ProjectFacts {
            database: Some("rm_340".into()),
            table: "oms_project".into(),
            id_column: "id".into(),
            name_column: "project_name".into(),
            ..Default::default()
        };
        let fix = rename_fix(&f, &project("p_1", "it's \\ 订单"), "new");
        let sql = fix.sql.unwrap();
        assert_eq!(
            sql,
            "UPDATE `rm_340`.`oms_project` SET `project_name` = 'new' WHERE `id` = 'p_1' AND `project_name` = BINARY 'it\\'s \\\\ 订单';"
        );
        assert!(fix
            .rollback_sql
            .unwrap()
            .contains("SET `project_name` = 'it\\'s"));
    }
}
