//! The runbook as JSON (`--format json`): the `Plan` value, pretty-printed.

use super::Plan;

pub fn render(plan: &Plan) -> String {
    let mut s = serde_json::to_string_pretty(plan).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
