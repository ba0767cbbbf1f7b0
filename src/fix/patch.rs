//! Config patches: a one-key change to a config file, as a unified diff, computed so that
//! every other byte of the file stays as it is, and applied atomically with a backup.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub use crate::finding::LineEdit;

/// The edit that sets `key`'s value on its line, keeping indentation and a trailing
/// comment, or `None` when the key is not on that line.
pub fn edit_value(
    path: &Path,
    text: &str,
    line: u64,
    key: &str,
    new_value: &str,
) -> Option<LineEdit> {
    let idx = usize::try_from(line).ok()?.checked_sub(1)?;
    let old = text.split_inclusive('\n').nth(idx)?;
    let body = old.trim_end_matches(['\n', '\r']);
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
    Some(LineEdit {
        path: path.to_path_buf(),
        line,
        old: body.to_string(),
        new: format!("{}{key}: {new_value}{comment}", &body[..indent_len]),
    })
}

/// The edits of one file as a unified diff with context, for `--diff`: `git apply` and
/// `patch` take it. Context never shows a secret: the hunks get as many context lines as
/// fit (up to 3) before a line the redaction would mask comes into view.
pub fn file_diff(path: &Path, edits: &[&LineEdit]) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::unreadable(path, e))?;
    let old = String::from_utf8_lossy(&bytes).into_owned();
    let redacted = crate::sources::redact::redact_text(&old);
    let secret: Vec<usize> = old
        .lines()
        .zip(redacted.lines())
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .map(|(i, _)| i + 1)
        .collect();
    let mut lines: Vec<String> = old.split_inclusive('\n').map(str::to_string).collect();
    let mut radius = 3usize;
    for e in edits {
        let idx = usize::try_from(e.line).unwrap_or(0);
        let Some(current) = idx.checked_sub(1).and_then(|i| lines.get_mut(i)) else {
            return Err(Error::CheckFailed(format!(
                "{} changed since the scan (line {} is gone)",
                path.display(),
                e.line
            )));
        };
        let body = current.trim_end_matches(['\n', '\r']).to_string();
        if body != e.old {
            return Err(Error::CheckFailed(format!(
                "{} changed since the scan (line {} is not what was checked)",
                path.display(),
                e.line
            )));
        }
        let ending = current[body.len()..].to_string();
        *current = format!("{}{ending}", e.new);
        for s in &secret {
            radius = radius.min(s.abs_diff(idx).saturating_sub(1));
        }
    }
    let new = lines.concat();
    let name = display_path(path);
    let diff = similar::TextDiff::from_lines(&old, &new);
    Ok(diff
        .unified_diff()
        .context_radius(radius)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string())
}

/// The path as a patch names it: relative to the working directory where it is under
/// it, with forward slashes.
fn display_path(path: &Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    let s = rel.display().to_string().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// The edit as a unified diff with no context lines: a neighbour may be a password line,
/// and a patch must never carry a secret; a zero-context hunk still applies exactly
/// (`patch -U0`, `git apply --unidiff-zero`).
pub fn unified_diff(e: &LineEdit) -> String {
    let path = e.path.display();
    format!(
        "--- a/{path}\n+++ b/{path}\n@@ -{l},1 +{l},1 @@\n-{}\n+{}\n",
        e.old,
        e.new,
        l = e.line
    )
}

/// Replaces the value of `key` on its line and returns the unified diff.
pub fn replace_value(
    path: &str,
    text: &str,
    line: u64,
    key: &str,
    new_value: &str,
) -> Option<String> {
    edit_value(Path::new(path), text, line, key, new_value).map(|e| unified_diff(&e))
}

/// A backup name not taken yet: `config.yaml.omslint-backup`, then `.1`, `.2`, …
fn backup_path(path: &Path) -> PathBuf {
    let base = format!("{}.omslint-backup", path.display());
    let mut candidate = PathBuf::from(&base);
    let mut n = 1;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{base}.{n}"));
        n += 1;
    }
    candidate
}

/// Applies the edits of one file: each old line must still be there (else nothing is
/// written and the error says the file changed), the original is kept as a backup, and the
/// new file replaces it by rename after an fsync, so a crash leaves one or the other.
pub fn apply(path: &Path, edits: &[&LineEdit]) -> Result<PathBuf> {
    let original = std::fs::read(path).map_err(|e| Error::unreadable(path, e))?;
    let text = String::from_utf8_lossy(&original);
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    for e in edits {
        let idx = usize::try_from(e.line).ok().and_then(|l| l.checked_sub(1));
        let current = idx.and_then(|i| lines.get(i));
        let Some(current) = current else {
            return Err(Error::CheckFailed(format!(
                "{} changed since the scan (line {} is gone): nothing was written",
                path.display(),
                e.line
            )));
        };
        let body = current.trim_end_matches(['\n', '\r']);
        if body != e.old {
            return Err(Error::CheckFailed(format!(
                "{} changed since the scan (line {} is not what was checked): nothing was written",
                path.display(),
                e.line
            )));
        }
        let ending = current[body.len()..].to_string();
        let i = idx.unwrap_or(0);
        lines[i] = format!("{}{ending}", e.new);
    }
    let backup = backup_path(path);
    let write_err =
        |e: std::io::Error| Error::CheckFailed(format!("cannot write {}: {e}", path.display()));
    std::fs::copy(path, &backup).map_err(write_err)?;
    let tmp = PathBuf::from(format!("{}.omslint-tmp", path.display()));
    {
        let mut f = std::fs::File::create(&tmp).map_err(write_err)?;
        f.write_all(lines.concat().as_bytes()).map_err(write_err)?;
        f.sync_all().map_err(write_err)?;
    }
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, path).map_err(write_err)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The rename is durable once the directory is synced.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(backup)
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

    #[test]
    fn applies_atomically_with_a_backup_and_a_guard() {
        let dir = std::env::temp_dir().join(format!("omslint-patch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.yaml");
        let original = "# OMS\r\ncm_url: http://h:8080\r\noms_meta_password: pw\r\n";
        std::fs::write(&path, original).unwrap();
        let e = edit_value(&path, original, 2, "cm_url", "http://h:8088").unwrap();
        let backup = apply(&path, &[&e]).unwrap();
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), original);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "# OMS\r\ncm_url: http://h:8088\r\noms_meta_password: pw\r\n"
        );
        // Applying the same edit again: the old line is gone, nothing is written.
        assert!(apply(&path, &[&e]).is_err());
        assert!(!dir.join("config.yaml.omslint-backup.1").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
