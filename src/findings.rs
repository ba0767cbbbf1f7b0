//! A run's findings: most held as values, the largest rules' made when they are read.
//!
//! A MetaDB with tens of thousands of projects not ready yields as many findings, a few
//! hundred bytes each, all of them made from projects the facts hold anyway: held, they
//! were the largest part of the process's memory. Such a rule hands the engine a
//! [`FindingSource`] (the facts, shared, and how to make its i-th finding); the run keeps
//! only the order of its findings, and each one is made when a report reads it and
//! dropped after. Held and made findings read alike, in report order, through
//! [`Findings::iter`].

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use rayon::prelude::*;
use serde::ser::{Serialize, SerializeSeq, Serializer};

use crate::finding::{sort_findings, Finding, Severity};

/// What counts and gates read of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub code: &'static str,
    pub severity: Severity,
    pub suppressed: bool,
}

/// A finding's subject as its source gives it without making the finding: what orders a
/// source's findings (see [`FindingSource::subject`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SubjectKey<'a> {
    pub kind: &'static str,
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub project_id: Option<&'a str>,
}

impl SubjectKey<'_> {
    fn is(&self, s: &crate::finding::Subject) -> bool {
        self.kind == s.kind
            && self.id == s.id
            && self.name == s.name.as_deref()
            && self.project_id == s.project_id.as_deref()
    }
}

/// One rule's findings, made on demand from facts the source holds.
pub trait FindingSource: Send + Sync {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The subject of finding `i`, equal to `make(i).subject`: findings are ordered by
    /// it first, and only findings with equal subjects are made to be ordered.
    fn subject(&self, i: usize) -> SubjectKey<'_>;
    /// Finding `i`, with no fix (fixes are applied from held findings) and no hop (only a
    /// rule evaluated once makes its findings on demand).
    fn make(&self, i: usize) -> Finding;
}

/// What the settings do to every finding of the run (severity, waivers): applied to a
/// made finding each time it is made.
pub type Settle = Arc<dyn Fn(&mut Finding) + Send + Sync>;

/// A source's findings in report order.
pub struct Made {
    code: &'static str,
    source: Arc<dyn FindingSource>,
    /// Indices into the source, in report order.
    order: Vec<u32>,
    settle: Option<Settle>,
}

impl Made {
    /// `None` when the source holds more findings than an index can name (then the caller
    /// makes and holds them).
    pub fn new(code: &'static str, source: Arc<dyn FindingSource>) -> Option<Made> {
        let n = u32::try_from(source.len()).ok()?;
        let mut order: Vec<u32> = (0..n).collect();
        order.sort_by(|&a, &b| source.subject(a as usize).cmp(&source.subject(b as usize)));
        let mut made = Made {
            code,
            source,
            order,
            settle: None,
        };
        made.sort_ties();
        Some(made)
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The finding at place `i` of the report order.
    pub fn make(&self, i: usize) -> Finding {
        let at = self.order[i] as usize;
        let mut f = self.source.make(at);
        debug_assert!(self.source.subject(at).is(&f.subject));
        debug_assert!(f.fix.is_none() && f.hop.is_none());
        debug_assert_eq!(f.code, self.code);
        if let Some(settle) = &self.settle {
            settle(&mut f);
        }
        f
    }

    /// Findings of one subject keep the full report order among themselves (location,
    /// then message, which the settings may change): each such run is made and sorted.
    fn sort_ties(&mut self) {
        let mut start = 0;
        while start < self.order.len() {
            let key = self.source.subject(self.order[start] as usize);
            let end = start
                + self.order[start..]
                    .iter()
                    .take_while(|&&i| self.source.subject(i as usize) == key)
                    .count();
            if end - start > 1 {
                let mut run: Vec<(Finding, u32)> = (start..end)
                    .map(|p| (self.make(p), self.order[p]))
                    .collect();
                run.sort_by(|a, b| a.0.sort_key().cmp(&b.0.sort_key()));
                for (slot, (_, i)) in self.order[start..end].iter_mut().zip(run) {
                    *slot = i;
                }
            }
            start = end;
        }
    }

    fn into_vec(self) -> Vec<Finding> {
        (0..self.len()).map(|i| self.make(i)).collect()
    }
}

/// The findings of a run, in report order ([`Finding::sort_key`]).
#[derive(Default)]
pub struct Findings {
    /// Sorted.
    held: Vec<Finding>,
    /// Sorted by code; no held finding has a code of theirs.
    made: Vec<Made>,
}

enum Part<'a> {
    Held(&'a [Finding]),
    Made(&'a Made),
}

impl Findings {
    /// Held and made findings of a run; `held` need not be sorted.
    pub fn new(mut held: Vec<Finding>, made: Vec<Made>) -> Findings {
        let mut made: Vec<Made> = made.into_iter().filter(|m| !m.is_empty()).collect();
        // Stable: sources of one code stay in the order given.
        made.sort_by_key(|m| m.code);
        // Two sources of one code, or held findings of a made code, could not keep report
        // order part by part: every source of such a code is made now and held, in the
        // order given, so that equal findings keep it through the stable sort.
        let mut kept: Vec<Made> = Vec::with_capacity(made.len());
        let mut sources = made.into_iter().peekable();
        while let Some(m) = sources.next() {
            let mut group = vec![m];
            while let Some(next) = sources.next_if(|n| n.code == group[0].code) {
                group.push(next);
            }
            let code = group[0].code;
            if group.len() == 1 && !held.iter().any(|f| f.code == code) {
                kept.extend(group);
            } else {
                for m in group {
                    held.extend(m.into_vec());
                }
            }
        }
        sort_findings(&mut held);
        Findings { held, made: kept }
    }

    pub fn len(&self) -> usize {
        self.held.len() + self.made.iter().map(Made::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Held findings and made runs, interleaved in report order.
    fn parts(&self) -> Vec<Part<'_>> {
        let mut parts = Vec::with_capacity(2 * self.made.len() + 1);
        let mut start = 0;
        for m in &self.made {
            let end = start + self.held[start..].partition_point(|f| f.code < m.code);
            parts.push(Part::Held(&self.held[start..end]));
            parts.push(Part::Made(m));
            start = end;
        }
        parts.push(Part::Held(&self.held[start..]));
        parts
    }

    /// Every finding in report order; a made one is made here, and dropped by the caller.
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, Finding>> + '_ {
        self.parts().into_iter().flat_map(
            |part| -> Box<dyn Iterator<Item = Cow<'_, Finding>> + '_> {
                match part {
                    Part::Held(h) => Box::new(h.iter().map(Cow::Borrowed)),
                    Part::Made(m) => Box::new((0..m.len()).map(|i| Cow::Owned(m.make(i)))),
                }
            },
        )
    }

    /// The finding at place `i` of the report order.
    pub fn get(&self, mut i: usize) -> Option<Cow<'_, Finding>> {
        for part in self.parts() {
            let n = match part {
                Part::Held(h) => h.len(),
                Part::Made(m) => m.len(),
            };
            if i < n {
                return Some(match part {
                    Part::Held(h) => Cow::Borrowed(&h[i]),
                    Part::Made(m) => Cow::Owned(m.make(i)),
                });
            }
            i -= n;
        }
        None
    }

    /// The findings of one code, in report order: only a source of that code makes any.
    pub fn of_code<'a>(&'a self, code: &'a str) -> impl Iterator<Item = Cow<'a, Finding>> + 'a {
        let held = self
            .held
            .iter()
            .filter(move |f| f.code == code)
            .map(Cow::Borrowed);
        let made = self
            .made
            .iter()
            .filter(move |m| m.code == code)
            .flat_map(|m| (0..m.len()).map(move |i| Cow::Owned(m.make(i))));
        held.chain(made)
    }

    /// Each finding's code, severity and waiver, in report order: what counts and gates
    /// read. Made findings are made on every core for it, and dropped.
    pub fn verdicts(&self) -> Vec<Verdict> {
        let of = |f: &Finding| Verdict {
            code: f.code,
            severity: f.severity,
            suppressed: f.suppressed.is_some(),
        };
        let mut out = Vec::with_capacity(self.len());
        for part in self.parts() {
            match part {
                Part::Held(h) => out.extend(h.iter().map(of)),
                Part::Made(m) => {
                    out.par_extend((0..m.len()).into_par_iter().map(|i| of(&m.make(i))))
                }
            }
        }
        out
    }

    /// The codes that have findings, each once, in code order: nothing is made for it.
    pub fn codes(&self) -> Vec<&'static str> {
        let mut codes: Vec<&'static str> = self
            .held
            .iter()
            .map(|f| f.code)
            .chain(self.made.iter().map(|m| m.code))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }

    /// The findings that are held: every finding with a fix is.
    pub fn held(&self) -> &[Finding] {
        &self.held
    }

    /// Every finding, made ones included, as values (for tests and small runs).
    pub fn to_vec(&self) -> Vec<Finding> {
        self.iter().map(Cow::into_owned).collect()
    }

    /// Keeps the findings of the codes `keep` accepts.
    pub fn retain_codes(&mut self, keep: impl Fn(&str) -> bool) {
        self.held.retain(|f| keep(f.code));
        self.made.retain(|m| keep(m.code));
    }

    /// Applies `settle` to every finding (now to the held ones, as they are made to the
    /// others), then restores report order.
    pub fn settle(&mut self, settle: Settle) {
        for f in &mut self.held {
            settle(f);
        }
        sort_findings(&mut self.held);
        for m in &mut self.made {
            m.settle = Some(Arc::clone(&settle));
            m.sort_ties();
        }
    }
}

/// Findings held in the order given (a report made by hand, a test's).
impl From<Vec<Finding>> for Findings {
    fn from(held: Vec<Finding>) -> Findings {
        Findings {
            held,
            made: Vec::new(),
        }
    }
}

impl fmt::Debug for Findings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Findings {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for f in self.iter() {
            seq.serialize_element(&*f)?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Subject;

    fn finding(code: &'static str, id: &str, message: &str) -> Finding {
        Finding {
            code,
            rule: "test",
            severity: Severity::Warning,
            message: message.to_string(),
            subject: Subject::new("project", id).named(format!("name of {id}")),
            location: None,
            evidence: Default::default(),
            fix: None,
            hop: None,
            suppressed: None,
        }
    }

    /// A source over (id, message) pairs, in the order given.
    struct Pairs(Vec<(String, String)>, &'static str);

    impl FindingSource for Pairs {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn subject(&self, i: usize) -> SubjectKey<'_> {
            SubjectKey {
                kind: "project",
                id: &self.0[i].0,
                name: None,
                project_id: None,
            }
        }
        fn make(&self, i: usize) -> Finding {
            let mut f = finding(self.1, &self.0[i].0, &self.0[i].1);
            f.subject.name = None;
            f
        }
    }

    fn pairs(code: &'static str, v: &[(&str, &str)]) -> Arc<dyn FindingSource> {
        Arc::new(Pairs(
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            code,
        ))
    }

    /// Made findings read in the order held ones would, interleaved with the held ones by
    /// code, ties on the subject broken by message; `get` agrees with `iter`.
    #[test]
    fn made_findings_read_like_held_ones() {
        let v = [
            ("p3", "b"),
            ("p1", "z"),
            ("p3", "a"),
            ("p2", "m"),
            ("p1", "y"),
        ];
        let held = vec![
            finding("OMS020", "x", "late"),
            finding("OMS001", "x", "early"),
            finding("OMS010", "x", "middle"),
        ];
        let source = pairs("OMS014", &v);
        let all_held: Vec<Finding> = held
            .iter()
            .cloned()
            .chain((0..v.len()).map(|i| source.make(i)))
            .collect();
        let expected = Findings::new(all_held, Vec::new()).to_vec();
        let made = Findings::new(held, vec![Made::new("OMS014", source).unwrap()]);
        assert_eq!(made.held().len(), 3);
        assert_eq!(made.len(), 8);
        let got = made.to_vec();
        assert_eq!(got, expected);
        let order: Vec<(&str, &str, &str)> = got
            .iter()
            .map(|f| (f.code, f.subject.id.as_str(), f.message.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("OMS001", "x", "early"),
                ("OMS010", "x", "middle"),
                ("OMS014", "p1", "y"),
                ("OMS014", "p1", "z"),
                ("OMS014", "p2", "m"),
                ("OMS014", "p3", "a"),
                ("OMS014", "p3", "b"),
                ("OMS020", "x", "late"),
            ]
        );
        for (i, f) in got.iter().enumerate() {
            assert_eq!(made.get(i).as_deref(), Some(f));
        }
        assert!(made.get(8).is_none());
        let verdicts: Vec<&str> = made.verdicts().iter().map(|v| v.code).collect();
        let codes: Vec<&str> = got.iter().map(|f| f.code).collect();
        assert_eq!(verdicts, codes);
        let of: Vec<Finding> = made.of_code("OMS014").map(Cow::into_owned).collect();
        assert_eq!(of, got[2..7]);
        assert_eq!(made.of_code("OMS010").count(), 1);
        assert_eq!(made.codes(), ["OMS001", "OMS010", "OMS014", "OMS020"]);
        assert_eq!(
            serde_json::to_string(&made).unwrap(),
            serde_json::to_string(&expected).unwrap()
        );
    }

    /// Settling changes made findings as they are made, and a changed message re-orders
    /// findings of one subject; retained codes drop whole sources.
    #[test]
    fn settling_reaches_made_findings() {
        let source = pairs("OMS014", &[("p1", "b"), ("p1", "c"), ("p2", "a")]);
        let mut f = Findings::new(
            vec![finding("OMS003", "x", "m")],
            vec![Made::new("OMS014", source).unwrap()],
        );
        f.settle(Arc::new(|f: &mut Finding| {
            f.severity = Severity::Error;
            if f.message == "c" {
                f.message = "a".into();
            }
        }));
        let got: Vec<(String, Severity)> = f
            .iter()
            .map(|f| (format!("{}/{}", f.subject.id, f.message), f.severity))
            .collect();
        assert_eq!(
            got,
            [
                ("x/m".to_string(), Severity::Error),
                ("p1/a".to_string(), Severity::Error),
                ("p1/b".to_string(), Severity::Error),
                ("p2/a".to_string(), Severity::Error),
            ]
        );
        f.retain_codes(|c| c != "OMS014");
        assert_eq!(f.len(), 1);
    }

    /// Two sources of one code are made and held in the order given: findings equal
    /// but for their severity keep the order of a stable sort of both.
    #[test]
    fn two_sources_of_one_code_keep_their_order() {
        struct One(Severity);
        impl FindingSource for One {
            fn len(&self) -> usize {
                1
            }
            fn subject(&self, _: usize) -> SubjectKey<'_> {
                SubjectKey {
                    kind: "project",
                    id: "p1",
                    name: Some("name of p1"),
                    project_id: None,
                }
            }
            fn make(&self, _: usize) -> Finding {
                let mut f = finding("OMS014", "p1", "m");
                f.severity = self.0;
                f
            }
        }
        let f = Findings::new(
            Vec::new(),
            vec![
                Made::new("OMS014", Arc::new(One(Severity::Warning))).unwrap(),
                Made::new("OMS014", Arc::new(One(Severity::Error))).unwrap(),
            ],
        );
        let got: Vec<Severity> = f.iter().map(|f| f.severity).collect();
        assert_eq!(got, [Severity::Warning, Severity::Error]);
    }

    /// A made code that held findings also have is made and held, in order.
    #[test]
    fn a_shared_code_is_held() {
        let source = pairs("OMS003", &[("p2", "b")]);
        let f = Findings::new(
            vec![finding("OMS003", "p1", "a"), finding("OMS003", "p3", "c")],
            vec![Made::new("OMS003", source).unwrap()],
        );
        assert_eq!(f.held().len(), 3);
        let ids: Vec<String> = f.iter().map(|f| f.subject.id.clone()).collect();
        assert_eq!(ids, ["p1", "p2", "p3"]);
    }
}
