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
            "'{}' is not an OMS version (expected forms like 3.2.1, V3.2.1, 4.2.11-CE, 4.0.1 BP1)",
            self.0
        )
    }
}

impl std::error::Error for VersionError {}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || VersionError(s.chars().take(40).collect());
        let mut rest = s.trim();
        if let Some(r) = rest.strip_prefix(['V', 'v']) {
            rest = r.trim_start();
        }
        let upper = rest.to_ascii_uppercase();
        let mut ce = false;
        let mut bp = 0;
        // Suffixes may come in either order and be joined by '-', '_' or spaces.
        let mut head = upper.as_str();
        loop {
            let trimmed = head.trim_end_matches([' ', '-', '_']);
            if let Some(h) = trimmed.strip_suffix("CE") {
                ce = true;
                head = h;
                continue;
            }
            if let Some(pos) = trimmed.rfind("BP") {
                let digits = &trimmed[pos + 2..];
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    bp = digits.parse().map_err(|_| err())?;
                    head = &trimmed[..pos];
                    continue;
                }
            }
            head = trimmed;
            break;
        }
        let parts: Vec<&str> = head.split('.').collect();
        if parts.is_empty() || parts.len() > 4 {
            return Err(err());
        }
        let num = |i: usize| -> Result<u32, VersionError> {
            match parts.get(i) {
                None => Ok(0),
                Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                    p.parse().map_err(|_| err())
                }
                Some(_) => Err(err()),
            }
        };
        if parts.len() < 2 {
            return Err(err());
        }
        Ok(Version {
            major: num(0)?,
            minor: num(1)?,
            patch: num(2)?,
            bp,
            ce,
        })
    }
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
        let v: Version = "V 4.2.3".parse().unwrap();
        assert_eq!(v.release(), (4, 2, 3));
        let v: Version = "4.3.0_BP1".parse().unwrap();
        assert_eq!(v.bp, 1);
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "four", "4", "4.x.1", "4.2.3.4.5", "BP1", "-CE"] {
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
