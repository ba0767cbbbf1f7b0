//! POSIX shell words.

/// `s` as one POSIX shell word: unchanged when it holds only characters no shell treats
/// specially, else in single quotes (a quote inside closed, escaped and reopened).
pub fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:@%+=,-".contains(c))
        && !s.starts_with('-');
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_words_stay_one_word() {
        assert_eq!(quote("rm_340"), "rm_340");
        assert_eq!(quote("/data/oms/run"), "/data/oms/run");
        assert_eq!(
            quote("10.0.0.100 $(touch /tmp/pwned)"),
            "'10.0.0.100 $(touch /tmp/pwned)'"
        );
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("-rf"), "'-rf'");
        assert_eq!(quote("a`b`;c|d&e>f<g*h?i~j#k"), "'a`b`;c|d&e>f<g*h?i~j#k'");
    }

    /// What bash makes of the quoted word is the word itself.
    #[test]
    fn bash_reads_back_the_same_word() {
        let Ok(bash) = which("bash") else { return };
        for word in [
            "a b", "it's", "$(id)", "`id`", "a\nb", "*", "-n", "\\", "'", "\"\"",
        ] {
            let out = std::process::Command::new(&bash)
                .arg("-c")
                .arg(format!("printf %s {}", quote(word)))
                .output()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout), word);
        }
    }

    fn which(name: &str) -> Result<std::path::PathBuf, ()> {
        ["/bin", "/usr/bin"]
            .iter()
            .map(|d| std::path::Path::new(d).join(name))
            .find(|p| p.is_file())
            .ok_or(())
    }
}
