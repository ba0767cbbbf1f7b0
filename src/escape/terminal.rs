//! Text for a terminal: control characters from the inputs (an ESC sequence, BEL, a CR
//! that rewrites the line, bidirectional overrides) are shown as escapes, never sent raw.

/// The escape that shows `c`, if `c` must not reach a terminal (or a rendered document)
/// as it is. Newline and tab are left to the caller's layout.
pub fn escape_of(c: char) -> Option<String> {
    let code = c as u32;
    let control = code < 0x20 && c != '\n' && c != '\t' || (0x7f..=0x9f).contains(&code);
    // Bidirectional overrides and isolates reorder what the reader sees.
    let bidi = matches!(code, 0x202a..=0x202e | 0x2066..=0x2069 | 0x200e | 0x200f);
    if control {
        Some(format!("\\x{code:02x}"))
    } else if bidi {
        Some(format!("\\u{{{code:04x}}}"))
    } else {
        None
    }
}

/// `s` with every control character shown as an escape (`\x1b`, `\x07`, `\u{202e}`).
pub fn visible(s: &str) -> String {
    if !s.chars().any(|c| escape_of(c).is_some()) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match escape_of(c) {
            Some(e) => out.push_str(&e),
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_escapes() {
        assert_eq!(visible("a\u{1b}[31mred\u{7}\r"), "a\\x1b[31mred\\x07\\x0d");
        assert_eq!(visible("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(visible("line\n\ttab 会员"), "line\n\ttab 会员");
        assert_eq!(visible("\u{9b}"), "\\x9b");
    }
}
