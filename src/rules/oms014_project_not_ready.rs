//! OMS014: projects that are FAILED or SUSPEND, or still in transition.

use std::sync::Arc;

use super::common::need_projects;
use super::{finding, Context, Outcome};
use crate::catalog::RuleMeta;
use crate::facts::{Deployment, Project, ProjectFacts};
use crate::finding::{Evidence, Finding, Severity, Subject};
use crate::findings::{FindingSource, SubjectKey};

fn report(meta: &'static RuleMeta, facts: &ProjectFacts, p: &Project) -> Finding {
    let status = p.status().trim().to_ascii_uppercase();
    let what = match status.as_str() {
        "FAILED" | "SUSPEND" => {
            "it stays so through the upgrade and must be recovered by hand afterwards"
        }
        _ => "it is in transition: let it settle (or finish) before the upgrade window",
    };
    let mut f = finding(
        meta,
        Severity::Warning,
        Subject::new(facts.kind.subject_kind(), p.id()).named(p.name()),
        format!(
            "{} {} ({}) is {status}: {what}",
            facts.kind.label(),
            p.id(),
            p.name()
        ),
    );
    f.evidence = Evidence::of([
        ("status", status.into()),
        ("table", facts.table.clone().into()),
    ]);
    f
}

pub fn check(ctx: &Context<'_>, meta: &'static RuleMeta) -> Outcome {
    let m = &ctx.deployment.metadb;
    for facts in [&m.projects, &m.sync_projects] {
        if let Err(o) = need_projects(ctx, facts) {
            return o;
        }
    }
    Outcome::Made(Arc::new(NotReady {
        deployment: Arc::clone(ctx.deployment),
        meta,
    }))
}

/// The findings, one per project not ready, made as a report reads them: a large MetaDB
/// has tens of thousands, and the projects are in the facts already.
struct NotReady {
    deployment: Arc<Deployment>,
    meta: &'static RuleMeta,
}

impl NotReady {
    /// Finding `i`: the projects table's projects, then the sync projects table's.
    fn project(&self, i: usize) -> (&ProjectFacts, &Project) {
        let m = &self.deployment.metadb;
        match i.checked_sub(m.projects.not_ready.len()) {
            None => (&m.projects, &m.projects.not_ready[i]),
            Some(j) => (&m.sync_projects, &m.sync_projects.not_ready[j]),
        }
    }
}

impl FindingSource for NotReady {
    fn len(&self) -> usize {
        let m = &self.deployment.metadb;
        m.projects.not_ready.len() + m.sync_projects.not_ready.len()
    }

    fn subject(&self, i: usize) -> SubjectKey<'_> {
        let (facts, p) = self.project(i);
        SubjectKey {
            kind: facts.kind.subject_kind(),
            id: p.id(),
            name: Some(p.name()),
            project_id: None,
        }
    }

    fn make(&self, i: usize) -> Finding {
        let (facts, p) = self.project(i);
        report(self.meta, facts, p)
    }
}
