//! `omslint.yaml`: per-deployment settings (from, to, downtime, stage, thresholds, rule
//! selection, severity overrides, waivers), found in the snapshot directory or given with
//! `--settings`.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub from: Option<String>,
    pub to: Option<String>,
    /// Planned downtime: `90`, `90m`, `1h30m`.
    pub downtime: Option<String>,
    /// `plan` or `window`.
    pub stage: Option<String>,
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Rules to run, by code (`OMS003`), name (`duplicate-project-name`) or code prefix
    /// (`OMS01`); empty = all.
    #[serde(default)]
    pub select: Vec<String>,
    /// Rules not to run, in the same forms.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Severity per rule (code or name): error, warning or notice.
    #[serde(default)]
    pub severity: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub waivers: Vec<Waiver>,
}

/// A finding accepted on purpose: reported, marked suppressed, not counted for
/// `--fail-on`, until it expires.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub code: String,
    /// The subject id (project id, component name, database, region…); `*` for any.
    pub subject: String,
    pub reason: String,
    pub ticket: Option<String>,
    /// `YYYY-MM-DD`; from that day on the waiver no longer applies and is reported.
    pub expires: Option<String>,
}

/// Whether a rule matches a selector: its code, its name, or a prefix of its code.
pub fn selects(selector: &str, code: &str, name: &str) -> bool {
    let s = selector.trim();
    s.eq_ignore_ascii_case(code)
        || s.eq_ignore_ascii_case(name)
        || (s.len() >= 3
            && code
                .to_ascii_uppercase()
                .starts_with(&s.to_ascii_uppercase()))
}

/// A real calendar day `YYYY-MM-DD` (2026-02-30 is not one; 2028-02-29 is).
fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return false;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (n(0..4), n(5..7), n(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// OMS010: heartbeat rows above which the table is reported.
    pub heartbeat_rows: Option<u64>,
}

/// Minutes in `90`, `90m`, `2h`, `1h30m`.
pub fn parse_duration_min(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_lowercase();
    if let Ok(n) = s.parse::<u64>() {
        return Some(n);
    }
    let mut total = 0u64;
    let mut num = String::new();
    let mut any = false;
    for c in s.chars() {
        match c {
            '0'..='9' => num.push(c),
            'h' | 'm' if !num.is_empty() => {
                let n: u64 = num.parse().ok()?;
                total = total.checked_add(if c == 'h' { n.checked_mul(60)? } else { n })?;
                num.clear();
                any = true;
            }
            ' ' => {}
            _ => return None,
        }
    }
    (any && num.is_empty()).then_some(total)
}

pub fn load(path: &Path) -> Result<Settings> {
    if path.is_dir() {
        return Err(Error::parse_no_pos(
            path,
            "is a directory, expected a settings file",
        ));
    }
    // YAML is UTF-8: another encoding is an error at its byte, not a guess.
    let text = crate::sources::config_yaml::read_utf8(path)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if text.trim().is_empty() {
        return Ok(Settings::default());
    }
    let s: Settings = serde_saphyr::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let line = crate::textfile::yaml_error_line(&msg);
        Error::parse(
            path,
            line,
            0,
            format!(
                "invalid settings: {}",
                crate::redact::redact_line(msg.lines().next().unwrap_or(""))
            ),
        )
    })?;
    validate(path, text, &s)?;
    if let Some(d) = &s.downtime {
        if parse_duration_min(d).is_none() {
            return Err(Error::parse(
                path,
                line_of(text, "downtime"),
                0,
                format!("downtime {d:?} is not a duration (write 90, 90m or 1h30m)"),
            ));
        }
    }
    Ok(s)
}

/// Every rule named in the settings exists, every severity and date is valid; errors point
/// at the line.
fn validate(path: &Path, text: &str, s: &Settings) -> Result<()> {
    let known = |sel: &str| {
        crate::catalog::catalog()
            .iter()
            .any(|m| selects(sel, &m.code, &m.name))
    };
    let at = |needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .map_or(0, |i| i as u64 + 1)
    };
    for sel in s.select.iter().chain(&s.ignore).chain(s.severity.keys()) {
        if !known(sel) {
            return Err(Error::parse(
                path,
                at(sel),
                0,
                format!("no rule matches {sel:?} (codes OMS001–OMS016, names, or a code prefix)"),
            ));
        }
    }
    for (rule, sev) in &s.severity {
        if crate::finding::Severity::parse(sev).is_none() {
            return Err(Error::parse(
                path,
                at(rule),
                0,
                format!("severity {sev:?} for {rule}: expected error, warning or notice"),
            ));
        }
    }
    for w in &s.waivers {
        if crate::catalog::lookup(&w.code).is_none() {
            return Err(Error::parse(
                path,
                at(&w.code),
                0,
                format!("waiver for unknown rule {:?}", w.code),
            ));
        }
        if w.reason.trim().is_empty() {
            return Err(Error::parse(
                path,
                at(&w.code),
                0,
                "a waiver needs a reason",
            ));
        }
        if let Some(e) = &w.expires {
            if !valid_date(e) {
                return Err(Error::parse(
                    path,
                    at(e),
                    0,
                    format!("expires {e:?} is not a date (YYYY-MM-DD)"),
                ));
            }
        }
    }
    Ok(())
}

fn line_of(text: &str, key: &str) -> u64 {
    text.lines()
        .position(|l| l.trim_start().starts_with(&format!("{key}:")))
        .map_or(0, |i| i as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        assert!(selects("OMS003", "OMS003", "duplicate-project-name"));
        assert!(selects(
            "duplicate-project-name",
            "OMS003",
            "duplicate-project-name"
        ));
        assert!(selects("oms00", "OMS003", "duplicate-project-name"));
        assert!(!selects("OMS01", "OMS003", "duplicate-project-name"));
        assert!(!selects("OM", "OMS003", "x"));
        assert!(valid_date("2026-12-31"));
        assert!(!valid_date("2026-13-01"));
        assert!(!valid_date("31.12.2026"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_min("90"), Some(90));
        assert_eq!(parse_duration_min("90m"), Some(90));
        assert_eq!(parse_duration_min("1h30m"), Some(90));
        assert_eq!(parse_duration_min("2h"), Some(120));
        assert_eq!(parse_duration_min("1d"), None);
        assert_eq!(parse_duration_min("m"), None);
        assert_eq!(parse_duration_min("30m5"), None);
    }

    #[test]
    fn real_calendar_days_only() {
        for good in ["2026-12-31", "2028-02-29", "2000-02-29", "2026-04-30"] {
            assert!(super::valid_date(good), "{good}");
        }
        for bad in [
            "2026-02-30",
            "2026-02-29",
            "1900-02-29",
            "2026-04-31",
            "2026-13-01",
            "2026-00-10",
            "2026-1-01",
            "26-01-01",
        ] {
            assert!(!super::valid_date(bad), "{bad}");
        }
    }
}
