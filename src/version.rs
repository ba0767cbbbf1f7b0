//! OMS version parsing and ordering.
//!
//! The guides and the MetaDB write versions in several forms (`V3.2.1`, `4.2.11-CE`,
//! `4.0.1 BP1`, `4.0.1-BP1`, `V 4.2.3`); they all parse to one ordered value so that
//! "older than 3.2.1" means the same thing wherever a version came from.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    /// Bundle patch number (`BP1`), 0 when none.
    pub bp: u32,
    /// Community Edition (`-CE`).
    pub ce: bool,
}

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Version {
            major,
            minor,
            patch,
            bp: 0,
            ce: false,
        }
    }

    /// The numeric part only, for comparisons that ignore bundle patches.
    pub fn release(self) -> (u32, u32, u32) {
        (self.major, self.minor, self.patch)
    }

    pub fn edition(self) -> &'static str {
        if self.ce {
            "CE"
        } else {
            "Enterprise"
        }
    }

    pub fn same_series(self, major: u32, minor: u32) -> bool {
        self.major == major && self.minor == minor
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch, self.bp).cmp(&(
            other.major,
            other.minor,
            other.patch,
            other.bp,
        ))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if self.bp > 0 {
            write!(f, " BP{}", self.bp)?;
        }
        if self.ce {
            f.write_str("-CE")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionError(pub String);

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not an OMS version: the accepted forms are 3.2.1, V3.2.1, 4.2.11-CE, 4.0.1 BP1 and 4.0.1-BP1 (three numbers, no more, no fewer)",
            self.0
        )
    }
}

impl std::error::Error for VersionError {}

impl FromStr for Version {
    type Err = VersionError;

    /// Exactly the forms of SPEC §1: `3.2.1`, `V3.2.1`, `4.2.11-CE`, `4.0.1 BP1`,
    /// `4.0.1-BP1` (and `4.0.1 BP1-CE`). Nothing is shortened or padded: `4.2` and
    /// `4.2.3.9` are not versions, since reading them as 4.2.0 or 4.2.3 would be a guess.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || VersionError(s.chars().take(40).collect());
        let mut rest = s.trim();
        if let Some(r) = rest.strip_prefix(['V', 'v']) {
            rest = r;
        }
        let mut ce = false;
        if rest.len() > 3 && rest[rest.len() - 3..].eq_ignore_ascii_case("-CE") {
            ce = true;
            rest = &rest[..rest.len() - 3];
        }
        let mut bp = 0;
        if let Some(pos) = rest.find([' ', '-']) {
            let suffix = &rest[pos + 1..];
            let digits = suffix
                .get(..2)
                .filter(|p| p.eq_ignore_ascii_case("BP"))
                .map(|_| &suffix[2..])
                .ok_or_else(err)?;
            bp = number(digits).filter(|n| *n > 0).ok_or_else(err)?;
            rest = &rest[..pos];
        }
        let mut parts = rest.split('.');
        let mut next = || parts.next().and_then(number).ok_or_else(err);
        let (major, minor, patch) = (next()?, next()?, next()?);
        if parts.next().is_some() {
            return Err(err());
        }
        Ok(Version {
            major,
            minor,
            patch,
            bp,
            ce,
        })
    }
}

/// A decimal number without sign or leading zeros (`0` itself is fine).
fn number(s: &str) -> Option<u32> {
    let well_formed =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    well_formed.then(|| s.parse().ok()).flatten()
}

/// Parses a version, or explains which forms are accepted.
pub fn parse(s: &str) -> Result<Version, VersionError> {
    s.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_form() {
        let v: Version = "V3.2.1".parse().unwrap();
        assert_eq!((v.release(), v.bp, v.ce), ((3, 2, 1), 0, false));
        let v: Version = "4.2.11-CE".parse().unwrap();
        assert_eq!((v.release(), v.ce), ((4, 2, 11), true));
        let v: Version = "4.0.1 BP1".parse().unwrap();
        assert_eq!((v.release(), v.bp), ((4, 0, 1), 1));
        let v: Version = "4.0.1-BP1".parse().unwrap();
        assert_eq!((v.release(), v.bp), ((4, 0, 1), 1));
        let v: Version = "4.0.1 BP1-CE".parse().unwrap();
        assert_eq!((v.release(), v.bp, v.ce), ((4, 0, 1), 1, true));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "four",
            "4",
            "4.2",
            "4.2.3.9",
            "4.x.1",
            "4.2.3.4.5",
            "BP1",
            "-CE",
            "V 4.2.3",
            "4.3.0_BP1",
            "4.0.1 BP",
            "4.0.1 BP0",
            "4.0.1  BP1",
            "04.2.3",
            "4.2.3-",
            "4.2.3 CE",
            "4.2.3-CE-CE",
            "+4.2.3",
            "4.2.3 BP1 BP2",
            "4.2.-3",
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn orders_by_release_then_bundle_patch() {
        let v = |s: &str| s.parse::<Version>().unwrap();
        assert!(v("4.0.1") < v("4.0.1 BP1"));
        assert!(v("4.0.1 BP1") < v("4.0.2"));
        assert!(v("3.10.0") > v("3.9.9"));
        assert!(v("4.2.11-CE") > v("4.2.9-CE"));
    }

    #[test]
    fn displays_canonically() {
        assert_eq!(
            "v4.0.1-bp1".parse::<Version>().unwrap().to_string(),
            "4.0.1 BP1"
        );
        assert_eq!(
            "4.2.11-ce".parse::<Version>().unwrap().to_string(),
            "4.2.11-CE"
        );
    }
}
