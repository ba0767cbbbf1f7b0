//! SQL text for the DDL parser: comments removed (conditional ones kept or dropped), and
//! a small tokenizer that knows MySQL's quoting, for the hand-written fallbacks.

/// Lower-cases SQL text except inside quotes (so `ENUM('A')` keeps its values).
pub(super) fn lower_outside_quotes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                out.push(c);
            }
            None => {
                if c == '\'' || c == '"' || c == '`' {
                    quote = Some(c);
                }
                out.push(c.to_ascii_lowercase());
            }
        }
    }
    out
}

/// Removes comments, respecting quotes. Conditional comments (`/*!50100 … */`,
/// `/*M!100301 … */`) are removed whole, or with `keep_conditional` reduced to their
/// content.
pub(super) fn clean_sql(sql: &str, keep_conditional: bool) -> String {
    let b = sql.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut quote: Option<u8> = None;
    let mut in_conditional = false;
    while let Some(&c) = b.get(i) {
        if let Some(q) = quote {
            out.push(c);
            if c == b'\\' && q != b'`' {
                if let Some(&n) = b.get(i + 1) {
                    out.push(n);
                    i += 1;
                }
            } else if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        let next = b.get(i + 1).copied();
        match c {
            b'\'' | b'"' | b'`' => {
                quote = Some(c);
                out.push(c);
                i += 1;
            }
            b'*' if next == Some(b'/') && in_conditional => {
                in_conditional = false;
                out.push(b' ');
                i += 2;
            }
            b'/' if next == Some(b'*') => {
                let rest = b.get(i + 2..).unwrap_or_default();
                let version_at = match rest {
                    [b'!', ..] => Some(1),
                    [b'M', b'!', ..] => Some(2),
                    _ => None,
                };
                match version_at {
                    Some(skip) if keep_conditional && !in_conditional => {
                        let digits = rest
                            .get(skip..)
                            .unwrap_or_default()
                            .iter()
                            .take_while(|d| d.is_ascii_digit())
                            .count();
                        in_conditional = true;
                        out.push(b' ');
                        i += 2 + skip + digits;
                    }
                    _ => {
                        let end =
                            memchr::memmem::find(rest, b"*/").map_or(b.len(), |k| i + 2 + k + 2);
                        if version_at.is_some() {
                            // A conditional comment may hold quoted `*/`: find its end
                            // with quotes respected.
                            i = conditional_end(b, i + 2);
                        } else {
                            i = end;
                        }
                        out.push(b' ');
                    }
                }
            }
            b'-' if next == Some(b'-') && b.get(i + 2).is_none_or(|s| s.is_ascii_whitespace()) => {
                i = memchr::memchr(b'\n', rest_of(b, i)).map_or(b.len(), |k| i + k);
            }
            b'#' => {
                i = memchr::memchr(b'\n', rest_of(b, i)).map_or(b.len(), |k| i + k);
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn rest_of(b: &[u8], i: usize) -> &[u8] {
    b.get(i..).unwrap_or_default()
}

/// The index after the `*/` that closes a conditional comment whose body starts at `i`.
fn conditional_end(b: &[u8], mut i: usize) -> usize {
    let mut quote: Option<u8> = None;
    while let Some(&c) = b.get(i) {
        match quote {
            Some(q) => {
                if c == b'\\' && q != b'`' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => {
                if c == b'\'' || c == b'"' || c == b'`' {
                    quote = Some(c);
                } else if c == b'*' && b.get(i + 1) == Some(&b'/') {
                    return i + 2;
                }
            }
        }
        i += 1;
    }
    b.len()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A bare word: keyword, identifier or number.
    Word,
    /// A `backtick` or "double-quoted" identifier.
    Quoted,
    /// A 'single-quoted' string.
    Str,
    Punct,
}

#[derive(Debug, Clone)]
pub(super) struct Tok {
    pub kind: Kind,
    /// Decoded content (quotes removed, doubling undone).
    pub text: String,
    /// Byte span in the text tokenized.
    pub start: usize,
    pub end: usize,
}

impl Tok {
    pub fn upper(&self) -> String {
        if self.kind == Kind::Word {
            self.text.to_ascii_uppercase()
        } else {
            String::new()
        }
    }

    pub fn is_punct(&self, c: char) -> bool {
        self.kind == Kind::Punct && self.text.starts_with(c)
    }

    /// The token as an identifier or option value.
    pub fn name(&self) -> Option<String> {
        match self.kind {
            Kind::Word | Kind::Quoted | Kind::Str => Some(self.text.clone()),
            Kind::Punct => None,
        }
    }
}

pub(super) fn tokenize(sql: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut chars = sql.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        if c == '`' || c == '"' || c == '\'' {
            let mut text = String::new();
            let mut end = sql.len();
            while let Some((k, d)) = chars.next() {
                if d == '\\' && c != '`' {
                    if let Some((_, e)) = chars.next() {
                        text.push(e);
                    }
                } else if d == c {
                    if chars.peek().is_some_and(|&(_, n)| n == c) {
                        chars.next();
                        text.push(c);
                    } else {
                        end = k + 1;
                        break;
                    }
                } else {
                    text.push(d);
                }
            }
            let kind = if c == '\'' { Kind::Str } else { Kind::Quoted };
            toks.push(Tok {
                kind,
                text,
                start,
                end,
            });
        } else if is_word_char(c) {
            let mut end = start + c.len_utf8();
            while let Some(&(k, d)) = chars.peek() {
                if !is_word_char(d) {
                    break;
                }
                end = k + d.len_utf8();
                chars.next();
            }
            let text = sql.get(start..end).unwrap_or_default().to_string();
            toks.push(Tok {
                kind: Kind::Word,
                text,
                start,
                end,
            });
        } else {
            let end = start + c.len_utf8();
            toks.push(Tok {
                kind: Kind::Punct,
                text: c.to_string(),
                start,
                end,
            });
        }
    }
    toks
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_removed_with_quotes_respected() {
        assert_eq!(
            clean_sql(
                "a /* x */ b '/* no */' -- c\n d /*!40100 e '*/' */ f",
                false
            ),
            "a   b '/* no */' \n d   f"
        );
        assert_eq!(
            clean_sql("a /*!40100 e */ f /*M!100301 g*/", true),
            "a   e   f   g "
        );
    }
}
