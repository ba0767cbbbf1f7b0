//! `--format json`: exactly SPEC §4.

use super::Report;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
        // Serializing plain data cannot fail; keep the contract of one JSON object anyway.
        format!("{{\"error\": {:?}}}", e.to_string())
    });
    s.push('\n');
    s
}
