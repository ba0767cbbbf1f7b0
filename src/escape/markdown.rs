//! Markdown (CommonMark / GitHub-flavoured) that shows its text literally: prose
//! escaped, code in spans and fenced blocks whose fence is longer than any backtick run
//! inside, control characters shown as escapes. Used by the lint report and the runbook.

use std::fmt::Write as _;

use super::terminal::escape_of;

/// Inline text, escaped so that Markdown shows it literally, on one line (newlines become
/// `<br>`), safe inside a table cell: `|` is escaped, and so is every backslash, so that
/// the table splitter and the inline parser agree.
pub fn inline(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\r' if chars.get(i + 1) == Some(&'\n') => {}
            '\r' | '\n' => out.push_str("<br>"),
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '$' => {
                out.push('\\');
                out.push(c);
            }
            // An underscore between two alphanumerics cannot open or close emphasis
            // (CommonMark flanking rules): identifiers like p_4ch3 stay readable.
            '_' => {
                let intraword = i > 0
                    && chars[i - 1].is_alphanumeric()
                    && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
                if !intraword {
                    out.push('\\');
                }
                out.push('_');
            }
            c => match escape_of(c) {
                // Shown as `\x1b`: the backslash itself escaped for Markdown.
                Some(e) => {
                    out.push('\\');
                    out.push_str(&e);
                }
                None => out.push(c),
            },
        }
        i += 1;
    }
    out
}

/// Inline text that starts a paragraph: also neutralises what would make the line a
/// heading, list item, thematic break or code block.
pub fn paragraph(s: &str) -> String {
    let body = inline(s.trim());
    let digits = body.chars().take_while(char::is_ascii_digit).count();
    let after = body[digits..].chars().next();
    if digits > 0 && matches!(after, Some('.') | Some(')')) {
        format!("{}\\{}", &body[..digits], &body[digits..])
    } else if body.starts_with(['#', '+', '-', '=']) {
        format!("\\{body}")
    } else {
        body
    }
}

pub fn longest_backtick_run(s: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in s.chars() {
        if c == '`' {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// A code span showing `s` literally, on one line. In a table (`in_table`) a `|` is
/// escaped as `\|`, which GFM removes before the span is parsed; a backslash right
/// before a `|` cannot be kept literal that way, so such a value falls back to escaped
/// plain text.
pub fn code(s: &str, in_table: bool) -> String {
    let one_line: String = s
        .replace("\r\n", " ")
        .chars()
        .flat_map(|c| match c {
            '\r' | '\n' => vec![' '],
            c => match escape_of(c) {
                Some(e) => e.chars().collect(),
                None => vec![c],
            },
        })
        .collect();
    if one_line.is_empty() {
        return "` `".to_string();
    }
    if in_table && one_line.contains("\\|") {
        return inline(&one_line);
    }
    let body = if in_table {
        one_line.replace('|', "\\|")
    } else {
        one_line
    };
    let fence = "`".repeat(longest_backtick_run(&body) + 1);
    // CommonMark strips one space on each side when both are there: pad so that a
    // leading/trailing backtick or a space-wrapped value survives.
    let pad = body.starts_with('`')
        || body.ends_with('`')
        || (body.starts_with(' ') && body.ends_with(' ') && !body.trim().is_empty());
    if pad {
        format!("{fence} {body} {fence}")
    } else {
        format!("{fence}{body}{fence}")
    }
}

/// A fenced code block; the fence is longer than any backtick run inside.
pub fn fenced(out: &mut String, lang: &str, body: &str) {
    let fence = "`".repeat((longest_backtick_run(body) + 1).max(3));
    let body: String = body
        .trim_end_matches(['\n', '\r'])
        .chars()
        .map(|c| escape_of(c).unwrap_or_else(|| c.to_string()))
        .collect();
    let _ = writeln!(out, "{fence}{lang}\n{body}\n{fence}\n");
}
