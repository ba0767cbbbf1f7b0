//! Which `config_job` components a MetaDB source keeps whole.
//!
//! A large MetaDB describes hundreds of thousands of components in `config_job`, four or
//! more rows each, and nearly all of them are unremarkable: they have their `dbType`,
//! read no oblogproxy, and carry their region's `blackRegionNo`. Keeping every one whole
//! cost more memory than everything else a lint holds. So a source judges each component
//! as its rows pass and keeps whole only those some rule or the runbook can report on;
//! of the others it keeps 16 bytes (a digest of the name, see `summary_key`) so that a
//! component whose rows come back later, or that another region's dump also describes,
//! is still folded together exactly as if every one had been kept.
//!
//! The predicate follows what the rules read, and `tests/component_judging.rs` holds it
//! to that: every fixture's report is the same with judging as with every component kept
//! (`OMSLINT_KEEP_ALL_COMPONENTS=1`).

use sha2::{Digest, Sha256};

use super::fxhash::FxHashSet;
use super::Component;

/// What makes a component worth keeping whole.
#[derive(Debug, Clone, Default)]
pub struct JobKeep {
    /// Keep every component (the safe default, and the test hook's setting).
    pub all: bool,
    /// Components also read from files (`--components`): their `config_job` settings
    /// fill in what the files lack, so they are kept to be merged.
    pub file_names: FxHashSet<String>,
    /// Each region's `cm_nodes` and `cm_location`, to judge `blackRegionNo` as OMS007
    /// does.
    pub regions: Vec<RegionLocation>,
}

#[derive(Debug, Clone, Default)]
pub struct RegionLocation {
    pub nodes: Vec<String>,
    pub cm_location: Option<i64>,
}

impl JobKeep {
    pub fn keep_all() -> Self {
        JobKeep {
            all: true,
            ..Default::default()
        }
    }

    /// Whether a component must be kept whole: OMS005 and OMS006 report an Incr-Sync
    /// component without `dbType`; OMS004 one with `boosterClass` or `logproxy.address`;
    /// OMS007 one whose `blackRegionNo` differs from its region's `cm_location`; the
    /// runbook lists Full-Import components by name.
    pub fn keeps(&self, c: &Component) -> bool {
        if self.all || self.file_names.contains(&c.name) {
            return true;
        }
        let lower = c.name.to_ascii_lowercase();
        if lower.contains("full_import") || lower.contains("full-import") {
            return true;
        }
        if c.is_incr_sync() && !c.has_db_type() {
            return true;
        }
        if c.setting("boosterClass").is_some() || c.setting("logproxy.address").is_some() {
            return true;
        }
        match c.setting("blackRegionNo") {
            Some(s) => !self.black_region_fits(c.host_ip(), &s.value),
            None => false,
        }
    }

    /// Whether a `blackRegionNo` value is one OMS007 lets pass for a component on `ip`.
    pub fn black_region_fits(&self, ip: Option<&str>, value: &str) -> bool {
        if !black_region_set(value) {
            return true;
        }
        let regional: Vec<&RegionLocation> = match (self.regions.len(), ip) {
            (1, _) => self.regions.iter().collect(),
            (_, Some(ip)) => self
                .regions
                .iter()
                .filter(|r| r.nodes.iter().any(|n| n == ip))
                .take(1)
                .collect(),
            _ => Vec::new(),
        };
        let expected = if regional.is_empty() {
            self.regions.iter().collect()
        } else {
            regional
        };
        expected
            .iter()
            .any(|r| location_matches(r.cm_location, value))
    }
}

/// `blackRegionNo` holds a value (empty and `null` mean none).
pub fn black_region_set(value: &str) -> bool {
    let v = value.trim();
    !v.is_empty() && !v.eq_ignore_ascii_case("null")
}

/// A `blackRegionNo` value equals a region's `cm_location`.
pub fn location_matches(cm_location: Option<i64>, value: &str) -> bool {
    cm_location.is_some_and(|l| value.trim().parse::<i64>().ok() == Some(l))
}

/// What a source keeps of a component it did not keep whole: a 128-bit digest of its
/// name, whose lowest bit says whether it set `blackRegionNo` (to a value that fits).
/// 128 bits of SHA-256: two names never share one in practice, where 64 bits of a fast
/// hash would leave a collision to chance, and a collision here could hide a finding.
pub fn summary_key(name: &str, sets_black_region: bool) -> u128 {
    let d = Sha256::digest(name.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    (u128::from_le_bytes(b) & !1) | u128::from(sets_black_region)
}

/// Components not kept whole, as `summary_key`s, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summarized(Vec<u128>);

impl Summarized {
    pub fn from_unsorted(mut keys: Vec<u128>) -> Self {
        keys.sort_unstable();
        keys.dedup();
        keys.shrink_to_fit();
        Summarized(keys)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether a component of this name was summarized, and whether it set
    /// `blackRegionNo` then.
    pub fn find(&self, name: &str) -> Option<bool> {
        let k = summary_key(name, false);
        if self.0.binary_search(&k).is_ok() {
            Some(false)
        } else if self.0.binary_search(&(k | 1)).is_ok() {
            Some(true)
        } else {
            None
        }
    }

    pub fn merge(&mut self, other: Summarized) {
        if other.0.is_empty() {
            return;
        }
        if self.0.is_empty() {
            self.0 = other.0;
            return;
        }
        let mut all = std::mem::take(&mut self.0);
        all.extend(other.0);
        *self = Summarized::from_unsorted(all);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{SettingOrigin, SourceSetting};

    fn comp(name: &str, settings: &[(&str, &str)]) -> Component {
        let mut c = Component {
            name: name.into(),
            ..Default::default()
        };
        for (k, v) in settings {
            c.source.insert(
                *k,
                SourceSetting {
                    value: (*v).into(),
                    origin: SettingOrigin::ConfigJob(1),
                },
            );
        }
        c
    }

    fn two_regions() -> JobKeep {
        JobKeep {
            regions: vec![
                RegionLocation {
                    nodes: vec!["10.0.0.1".into()],
                    cm_location: Some(1),
                },
                RegionLocation {
                    nodes: vec!["10.0.0.2".into()],
                    cm_location: Some(2),
                },
            ],
            ..Default::default()
        }
    }

    const INCR: &str = "10.0.0.1-9000:connector_v2:p_abc-incr_trans-1-0:0000000001";

    #[test]
    fn keeps_what_a_rule_reports() {
        let k = two_regions();
        assert!(!k.keeps(&comp(INCR, &[("dbType", "MYSQL"), ("blackRegionNo", "1")])));
        assert!(k.keeps(&comp(INCR, &[("blackRegionNo", "1")])), "no dbType");
        assert!(
            !k.keeps(&comp("10.0.0.1-9000:store:p_abc", &[])),
            "not Incr-Sync"
        );
        assert!(k.keeps(&comp(INCR, &[("dbType", "MYSQL"), ("blackRegionNo", "2")])));
        assert!(!k.keeps(&comp(
            INCR,
            &[("dbType", "MYSQL"), ("blackRegionNo", " NULL")]
        )));
        assert!(k.keeps(&comp(INCR, &[("dbType", "X"), ("logproxy.address", "a:1")])));
        assert!(k.keeps(&comp(INCR, &[("dbType", "X"), ("boosterClass", "Y")])));
        assert!(k.keeps(&comp("10.0.0.1-9000:full_import:p_abc", &[])));
        let mut files = two_regions();
        files.file_names.insert(INCR.into());
        assert!(files.keeps(&comp(INCR, &[("dbType", "MYSQL")])));
        assert!(JobKeep::keep_all().keeps(&comp("x", &[])));
    }

    #[test]
    fn black_region_follows_the_host_region() {
        let k = two_regions();
        assert!(k.black_region_fits(Some("10.0.0.2"), "2"));
        assert!(!k.black_region_fits(Some("10.0.0.2"), "1"));
        // A host no region lists may carry any region's location.
        assert!(k.black_region_fits(Some("10.9.9.9"), "1"));
        assert!(k.black_region_fits(None, "2"));
        assert!(!k.black_region_fits(None, "3"));
        assert!(!k.black_region_fits(None, "one"));
        let unknown = JobKeep {
            regions: vec![RegionLocation::default()],
            ..Default::default()
        };
        assert!(!unknown.black_region_fits(Some("10.0.0.1"), "1"));
    }

    #[test]
    fn summaries_remember_names_and_the_black_region_bit() {
        let s = Summarized::from_unsorted(vec![summary_key("a", false), summary_key("b", true)]);
        assert_eq!(s.find("a"), Some(false));
        assert_eq!(s.find("b"), Some(true));
        assert_eq!(s.find("c"), None);
        let mut m = s.clone();
        m.merge(Summarized::from_unsorted(vec![summary_key("c", false)]));
        assert_eq!(m.len(), 3);
        assert_eq!(m.find("c"), Some(false));
    }
}
