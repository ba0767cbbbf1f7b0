//! The hot path: finding where rows start and end in an INSERT's VALUES list.
//!
//! Inside a row only three bytes matter outside quotes (`'`, `"`, `)`) and two inside
//! (the quote and `\`), so the scanner jumps between them with memchr instead of looking
//! at every byte. It is resumable: a row may straddle two reads, and a skipped or
//! counted row is never held in memory whole. `''` doubling needs no special case: the
//! closing quote is immediately followed by an opening one.

use memchr::{memchr2, memchr3};

/// Where the scanner is in a VALUES list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// Before a row's `(`: after `VALUES` or after a `,`.
    ExpectOpen,
    /// Inside a row's parentheses, outside quotes.
    InRow,
    /// Inside a string literal opened by this quote byte.
    InQuote(u8),
    /// After a backslash inside a string literal: the next byte is taken as is.
    Escaped(u8),
    /// After a row's `)`: a `,` (another row) or the end of the statement follows.
    AfterRow,
}

impl State {
    pub fn in_quote(self) -> bool {
        matches!(self, State::InQuote(_) | State::Escaped(_))
    }
}

pub(super) const NUL_OUTSIDE_STRING: &str = "NUL byte (binary data) outside a string literal";

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Stop {
    /// All the bytes given were consumed; call again with the next ones.
    NeedMore,
    /// The row list ends at this index (normally at the statement delimiter).
    End(usize),
    /// Malformed input at this index.
    Error(usize, &'static str),
}

pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

fn skip_space(hay: &[u8], mut i: usize) -> usize {
    while let Some(&b) = hay.get(i) {
        if !is_space(b) {
            break;
        }
        i += 1;
    }
    i
}

/// What [`advance_in_row`] found.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// The row's `)` ends just before this index.
    Closed(usize),
    /// `hay` ended inside the row: resume with the next bytes.
    More,
    /// A NUL byte outside quotes (binary data, not a dump) at this index.
    Nul(usize),
}

/// Advances through a row from `i` in state `st` (one of the in-row states), up to the
/// row's closing `)`, or to the end of `hay` (`st` then says where to resume).
#[inline]
pub(super) fn advance_in_row(hay: &[u8], mut i: usize, st: &mut State) -> Step {
    loop {
        match *st {
            State::InRow => {
                let Some(rest) = hay.get(i..) else {
                    return Step::More;
                };
                // Values between quotes are short (`123,`): a few bytes are cheaper to
                // look at directly than to set up a vector search for.
                let found = match rest
                    .iter()
                    .take(8)
                    .position(|&b| matches!(b, b'\'' | b'"' | b')' | 0))
                {
                    Some(k) => Some(k),
                    None => {
                        let tail = rest.get(8..).unwrap_or_default();
                        let k = memchr3(b'\'', b'"', b')', tail);
                        let seen = tail.get(..k.unwrap_or(tail.len())).unwrap_or_default();
                        if let Some(z) = memchr::memchr(0, seen) {
                            return Step::Nul(i + 8 + z);
                        }
                        k.map(|k| k + 8)
                    }
                };
                let Some(k) = found else {
                    return Step::More;
                };
                let c = rest.get(k).copied().unwrap_or(0);
                if c == 0 {
                    return Step::Nul(i + k);
                }
                i += k + 1;
                if c == b')' {
                    *st = State::AfterRow;
                    return Step::Closed(i);
                }
                *st = State::InQuote(c);
            }
            State::InQuote(q) => {
                let Some(k) = hay.get(i..).and_then(|rest| memchr2(q, b'\\', rest)) else {
                    return Step::More;
                };
                let p = i + k;
                if hay.get(p) == Some(&q) {
                    i = p + 1;
                    *st = State::InRow;
                } else if p + 1 < hay.len() {
                    i = p + 2;
                } else {
                    *st = State::Escaped(q);
                    return Step::More;
                }
            }
            State::Escaped(q) => {
                if i >= hay.len() {
                    return Step::More;
                }
                i += 1;
                *st = State::InQuote(q);
            }
            State::ExpectOpen | State::AfterRow => return Step::Closed(i),
        }
    }
}

/// Counts the rows in `hay`, resuming from `st`. `rows` is incremented per closed row.
pub(super) fn count_rows(hay: &[u8], st: &mut State, rows: &mut u64) -> Stop {
    let mut i = 0;
    loop {
        match *st {
            State::ExpectOpen => {
                i = skip_space(hay, i);
                match hay.get(i) {
                    None => return Stop::NeedMore,
                    Some(b'(') => {
                        i += 1;
                        *st = State::InRow;
                    }
                    Some(_) => return Stop::Error(i, "expected '(' to start a row"),
                }
            }
            State::AfterRow => {
                i = skip_space(hay, i);
                match hay.get(i) {
                    None => return Stop::NeedMore,
                    Some(b',') => {
                        i += 1;
                        *st = State::ExpectOpen;
                    }
                    Some(_) => return Stop::End(i),
                }
            }
            State::InRow | State::InQuote(_) | State::Escaped(_) => {
                match advance_in_row(hay, i, st) {
                    Step::Closed(next) => {
                        *rows += 1;
                        i = next;
                    }
                    Step::More => return Stop::NeedMore,
                    Step::Nul(at) => return Stop::Error(at, NUL_OUTSIDE_STRING),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_all(chunks: &[&[u8]]) -> (u64, Stop, State) {
        let mut st = State::ExpectOpen;
        let mut rows = 0;
        for (n, chunk) in chunks.iter().enumerate() {
            let stop = count_rows(chunk, &mut st, &mut rows);
            if stop != Stop::NeedMore || n + 1 == chunks.len() {
                return (rows, stop, st);
            }
        }
        (rows, Stop::NeedMore, st)
    }

    #[test]
    fn counts_rows_with_tricky_strings() {
        let body: &[u8] = b"(1,'a),(b'),\n(2,'it''s','x\\'y\\\\'),(3,\"q)\\\"\",NULL);";
        let (rows, stop, _) = count_all(&[body]);
        assert_eq!(rows, 3);
        assert_eq!(stop, Stop::End(body.len() - 1));
    }

    #[test]
    fn resumes_across_every_split_point() {
        let body: &[u8] = b"(1,'a\\'),(b'),(2,'it''s'),\r\n(3,0x00FF,_binary 'z\\\\');";
        for split in 0..body.len() {
            let (a, b) = body.split_at(split);
            let (rows, stop, _) = count_all(&[a, b]);
            assert_eq!(rows, 3, "split at {split}");
            assert_eq!(stop, Stop::End(b.len() - 1), "split at {split}");
        }
    }

    #[test]
    fn reports_garbage_between_rows() {
        let (rows, stop, _) = count_all(&[b"(1),x(2);"]);
        assert_eq!(rows, 1);
        assert_eq!(stop, Stop::Error(4, "expected '(' to start a row"));
    }

    #[test]
    fn nul_outside_quotes_is_an_error() {
        let (rows, stop, _) = count_all(&[b"(1,'\0'),(2\0,'x');"]);
        assert_eq!((rows, stop), (1, Stop::Error(10, NUL_OUTSIDE_STRING)));
        let (rows, stop, _) = count_all(&[b"(1,2,3,4,5,6,7,8,9,10,11\0);"]);
        assert_eq!((rows, stop), (0, Stop::Error(24, NUL_OUTSIDE_STRING)));
    }

    #[test]
    fn unterminated_quote_needs_more() {
        let (rows, stop, st) = count_all(&[b"(1,'abc"]);
        assert_eq!((rows, stop), (0, Stop::NeedMore));
        assert!(st.in_quote());
    }
}
