//! The upgrade graph of `rules/upgrade-paths.yaml`: the path of hops from a source to a
//! target, and whether an upgrade takes the correction-package fork.
//!
//! The graph is data so that a new OMS release is a YAML change, not a code change.

use serde::Deserialize;

use crate::version::Version;

const DEFAULT_PATHS: &str = include_str!("../rules/upgrade-paths.yaml");

#[derive(Debug, Clone, Deserialize)]
pub struct Range {
    pub min: Option<String>,
    pub below: Option<String>,
    pub max: Option<String>,
}

impl Range {
    fn bound(s: &Option<String>) -> Option<Version> {
        s.as_deref().and_then(|s| s.parse().ok())
    }

    /// Compares releases only: the edition and bundle patch do not move a version across
    /// a guide's boundary (4.0.1 BP1 is still "earlier than 4.0.2").
    pub fn contains(&self, v: Version) -> bool {
        let r = v.release();
        Self::bound(&self.min).is_none_or(|m| r >= m.release())
            && Self::bound(&self.below).is_none_or(|b| r < b.release())
            && Self::bound(&self.max).is_none_or(|m| r <= m.release())
    }
}

#[derive(Debug, Clone, Deserialize)]
struct RequiredStop {
    below: String,
    stop: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Enterprise {
    required_stops: Vec<RequiredStop>,
}

#[derive(Debug, Clone, Deserialize)]
struct CeTarget {
    to: String,
    #[serde(default)]
    from: Vec<String>,
    from_range: Option<Range>,
    #[serde(default)]
    fresh_only: bool,
}

#[derive(Debug, Clone, Deserialize)]
struct Ce {
    oldest_source: String,
    targets: Vec<CeTarget>,
    known: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CorrectionFork {
    pub target: Range,
    pub source: Range,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UpgradeGraph {
    enterprise: Enterprise,
    ce: Ce,
    pub correction_package: Vec<CorrectionFork>,
}

/// Why an upgrade path is not allowed as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    NotNewer,
    EditionChange,
    /// The direct hop is forbidden; the path goes through stops.
    NeedsStops,
    FreshOnly,
    NoPath,
}

#[derive(Debug, Clone)]
pub struct UpgradePath {
    pub from: Version,
    pub to: Version,
    /// From the source to the target with every required stop; `[from, to]` when direct.
    pub hops: Vec<Version>,
    pub problem: Option<PathProblem>,
}

impl UpgradePath {
    /// The target of the first hop: what this lint run evaluates the rules against.
    pub fn first_stop(&self) -> Version {
        self.hops.get(1).copied().unwrap_or(self.to)
    }

    pub fn display(&self) -> String {
        self.hops
            .iter()
            .map(Version::to_string)
            .collect::<Vec<_>>()
            .join(" → ")
    }
}

impl UpgradeGraph {
    pub fn builtin() -> Self {
        // The embedded file is part of the binary and covered by a test, so a parse
        // failure here is a build defect, not a user input problem.
        serde_saphyr::from_str(DEFAULT_PATHS).expect("rules/upgrade-paths.yaml is valid")
    }

    fn v(s: &str, ce: bool) -> Option<Version> {
        s.parse::<Version>().ok().map(|mut v| {
            v.ce = ce;
            v
        })
    }

    fn ce_hop_allowed(&self, from: Version, to: Version) -> Result<(), PathProblem> {
        if to <= from {
            return Err(PathProblem::NotNewer);
        }
        let target = self
            .ce
            .targets
            .iter()
            .find(|t| Self::v(&t.to, true).is_some_and(|v| v.release() == to.release()));
        match target {
            Some(t) if t.fresh_only => Err(PathProblem::FreshOnly),
            Some(t) => {
                let listed = t
                    .from
                    .iter()
                    .any(|f| Self::v(f, true).is_some_and(|v| v.release() == from.release()));
                let ranged = t.from_range.as_ref().is_some_and(|r| r.contains(from));
                if listed || ranged {
                    Ok(())
                } else {
                    Err(PathProblem::NeedsStops)
                }
            }
            None => {
                let oldest = Self::v(&self.ce.oldest_source, true);
                if oldest.is_some_and(|o| from.release() < o.release()) {
                    Err(PathProblem::NeedsStops)
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Shortest path of allowed CE hops through the known versions (breadth first).
    fn ce_path(&self, from: Version, to: Version) -> Option<Vec<Version>> {
        let mut nodes: Vec<Version> = self
            .ce
            .known
            .iter()
            .filter_map(|s| Self::v(s, true))
            .filter(|v| *v > from && *v < to)
            .collect();
        nodes.sort();
        nodes.push(to);
        let mut prev: Vec<Option<usize>> = vec![None; nodes.len()];
        let mut seen = vec![false; nodes.len()];
        let mut queue = std::collections::VecDeque::new();
        for (i, n) in nodes.iter().enumerate() {
            if self.ce_hop_allowed(from, *n).is_ok() {
                seen[i] = true;
                queue.push_back(i);
            }
        }
        while let Some(i) = queue.pop_front() {
            if nodes[i] == to {
                let mut path = vec![to];
                let mut cur = i;
                while let Some(p) = prev[cur] {
                    path.push(nodes[p]);
                    cur = p;
                }
                path.push(from);
                path.reverse();
                return Some(path);
            }
            for j in 0..nodes.len() {
                if !seen[j] && self.ce_hop_allowed(nodes[i], nodes[j]).is_ok() {
                    seen[j] = true;
                    prev[j] = Some(i);
                    queue.push_back(j);
                }
            }
        }
        None
    }

    pub fn path(&self, from: Version, to: Version) -> UpgradePath {
        let mut path = UpgradePath {
            from,
            to,
            hops: vec![from, to],
            problem: None,
        };
        if from.ce != to.ce {
            path.problem = Some(PathProblem::EditionChange);
            return path;
        }
        if to <= from {
            path.problem = Some(PathProblem::NotNewer);
            return path;
        }
        if from.ce {
            match self.ce_hop_allowed(from, to) {
                Ok(()) => {}
                Err(PathProblem::FreshOnly) => path.problem = Some(PathProblem::FreshOnly),
                Err(_) => match self.ce_path(from, to) {
                    Some(hops) => {
                        path.hops = hops;
                        path.problem = Some(PathProblem::NeedsStops);
                    }
                    None => path.problem = Some(PathProblem::NoPath),
                },
            }
            return path;
        }
        let mut hops = vec![from];
        let mut cur = from;
        for stop in &self.enterprise.required_stops {
            let (Some(below), Some(stop)) =
                (Self::v(&stop.below, false), Self::v(&stop.stop, false))
            else {
                continue;
            };
            if cur.release() < below.release() && to.release() > stop.release() {
                hops.push(stop);
                cur = stop;
            }
        }
        hops.push(to);
        if hops.len() > 2 {
            path.problem = Some(PathProblem::NeedsStops);
        }
        path.hops = hops;
        path
    }

    /// SPEC §3: the upgrade runs the correction package (and so its prechecks matter).
    pub fn runs_correction_package(&self, from: Version, to: Version) -> bool {
        self.correction_package
            .iter()
            .any(|f| f.target.contains(to) && f.source.contains(from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    #[test]
    fn old_enterprise_sources_stop_at_321() {
        let g = UpgradeGraph::builtin();
        let p = g.path(v("2.1.0"), v("4.2.3"));
        assert_eq!(p.display(), "2.1.0 → 3.2.1 → 4.2.3");
        assert_eq!(p.problem, Some(PathProblem::NeedsStops));
        assert_eq!(p.first_stop(), v("3.2.1"));
        let p = g.path(v("2.2.0"), v("3.2.1"));
        assert_eq!(p.problem, None);
        let p = g.path(v("3.2.1"), v("4.3.1"));
        assert_eq!((p.problem, p.hops.len()), (None, 2));
    }

    #[test]
    fn target_must_be_newer() {
        let g = UpgradeGraph::builtin();
        assert_eq!(
            g.path(v("4.2.3"), v("4.2.3")).problem,
            Some(PathProblem::NotNewer)
        );
        assert_eq!(
            g.path(v("4.2.3"), v("4.0.2")).problem,
            Some(PathProblem::NotNewer)
        );
    }

    #[test]
    fn ce_paths_follow_the_graph() {
        let g = UpgradeGraph::builtin();
        let p = g.path(v("3.2.2-CE"), v("3.3.1-CE"));
        assert_eq!(p.display(), "3.2.2-CE → 3.3.0-CE → 3.3.1-CE");
        let p = g.path(v("4.2.0-CE"), v("4.2.1-CE"));
        assert_eq!(p.problem, None);
        let p = g.path(v("4.2.0-CE"), v("4.2.2-CE"));
        assert_eq!(p.problem, Some(PathProblem::NeedsStops));
        assert_eq!(p.display(), "4.2.0-CE → 4.2.1-CE → 4.2.2-CE");
        // 4.1.1 is deployed fresh only and 4.2.0 accepts only 4.1.1: no way through.
        assert_eq!(
            g.path(v("4.0.0-CE"), v("4.2.2-CE")).problem,
            Some(PathProblem::NoPath)
        );
        assert_eq!(
            g.path(v("4.1.0-CE"), v("4.1.1-CE")).problem,
            Some(PathProblem::FreshOnly)
        );
        assert_eq!(
            g.path(v("3.4.0"), v("4.2.9-CE")).problem,
            Some(PathProblem::EditionChange)
        );
    }

    #[test]
    fn correction_package_boundaries_are_per_target() {
        let g = UpgradeGraph::builtin();
        assert!(g.runs_correction_package(v("3.4.0"), v("4.2.3")));
        assert!(g.runs_correction_package(v("4.0.1 BP1"), v("4.2.3")));
        assert!(!g.runs_correction_package(v("4.0.2"), v("4.2.3")));
        assert!(!g.runs_correction_package(v("4.0.1"), v("4.3.1")));
        assert!(g.runs_correction_package(v("4.0.0"), v("4.3.1")));
        assert!(!g.runs_correction_package(v("3.1.0"), v("4.2.3")));
        assert!(!g.runs_correction_package(v("3.4.0"), v("3.4.1")));
    }
}
