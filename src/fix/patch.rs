//! Config patches: a one-key change to a config file, as a unified diff, computed so that
//! every other byte of the file stays as it is.

/// Replaces the value of `key` on its line and returns the unified diff, or `None` when the
/// key is not on a line of its own in the file.
pub fn replace_value(
    path: &str,
    text: &str,
    line: u64,
    key: &str,
    new_value: &str,
) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let idx = usize::try_from(line).ok()?.checked_sub(1)?;
    let old = *lines.get(idx)?;
    let body = old.trim_end_matches(['\n', '\r']);
    let ending = &old[body.len()..];
    let indent_len = body.len() - body.trim_start().len();
    let rest = body[indent_len..].strip_prefix(key)?;
    let after_colon = rest.trim_start().strip_prefix(':')?;
    // Keep a trailing comment: `cm_url: http://x:8080  # VIP`.
    let comment = after_colon
        .find(" #")
        .map(|i| {
            let start = after_colon[..i].trim_end().len();
            &after_colon[start..]
        })
        .unwrap_or("");
    let new_line = format!("{}{key}: {new_value}{comment}{ending}", &body[..indent_len]);
    // No context lines: a neighbour may be a password line, and a patch must never
    // carry a secret; a zero-context hunk still applies exactly (`patch -U0`, `git apply
    // --unidiff-zero`).
    let mut diff = format!("--- a/{path}\n+++ b/{path}\n@@ -{line},1 +{line},1 @@\n");
    diff.push_str(&format!(
        "-{body}\n+{}\n",
        new_line.trim_end_matches(['\n', '\r'])
    ));
    Some(diff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_only_the_value() {
        let text = "drc_rm_db: rm\ncm_url: http://10.0.0.1:8080  # vip\ncm_location: 1\n";
        let d = replace_value("config.yaml", text, 2, "cm_url", "http://10.0.0.1:8088").unwrap();
        assert!(d.contains("-cm_url: http://10.0.0.1:8080  # vip\n"));
        assert!(d.contains("+cm_url: http://10.0.0.1:8088  # vip\n"));
        assert!(!d.contains("drc_rm_db"));
        assert!(d.starts_with("--- a/config.yaml\n+++ b/config.yaml\n@@ -2,1 +2,1 @@\n"));
    }

    #[test]
    fn refuses_when_the_key_is_not_on_that_line() {
        assert!(replace_value("c", "a: 1\n", 1, "b", "2").is_none());
        assert!(replace_value("c", "a: 1\n", 5, "a", "2").is_none());
    }
}
