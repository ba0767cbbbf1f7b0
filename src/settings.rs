//! `omslint.yaml`: per-deployment settings (from, to, downtime, stage, thresholds), found
//! in the snapshot directory or given with `--settings`.

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
    let text = std::fs::read_to_string(path).map_err(|e| Error::unreadable(path, e))?;
    if text.trim().is_empty() {
        return Ok(Settings::default());
    }
    let s: Settings = serde_saphyr::from_str(&text).map_err(|e| {
        let msg = e.to_string();
        let line = crate::sources::yaml_error_line(&msg);
        Error::parse(
            path,
            line,
            0,
            format!(
                "invalid settings: {}",
                crate::sources::redact::redact_line(msg.lines().next().unwrap_or(""))
            ),
        )
    })?;
    if let Some(d) = &s.downtime {
        if parse_duration_min(d).is_none() {
            return Err(Error::parse(
                path,
                line_of(&text, "downtime"),
                0,
                format!("downtime {d:?} is not a duration (write 90, 90m or 1h30m)"),
            ));
        }
    }
    Ok(s)
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
    fn durations() {
        assert_eq!(parse_duration_min("90"), Some(90));
        assert_eq!(parse_duration_min("90m"), Some(90));
        assert_eq!(parse_duration_min("1h30m"), Some(90));
        assert_eq!(parse_duration_min("2h"), Some(120));
        assert_eq!(parse_duration_min("1d"), None);
        assert_eq!(parse_duration_min("m"), None);
        assert_eq!(parse_duration_min("30m5"), None);
    }
}
