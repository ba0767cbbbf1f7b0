//! Comparison keys that group names the way a MySQL/MariaDB/OceanBase collation does.
//!
//! The guides find duplicate project names with `GROUP BY project_name`, so two names are
//! duplicates exactly when the column's collation calls them equal: `utf8mb4_general_ci`
//! ignores case, accents and trailing spaces; `utf8mb4_0900_ai_ci` ignores case and
//! accents but not trailing spaces (NO PAD); `*_bin` compares code points, trailing
//! spaces aside (PAD SPACE) except the NO PAD binary collations and `binary`.
//!
//! The tables cover Latin-1 and Latin Extended-A, where case and accent folding happen in
//! practice; other scripts (CJK among them) compare by code point after case folding,
//! which is what these collations do for them.

/// How a collation compares strings, reduced to what grouping needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub fold_case: bool,
    pub fold_accents: bool,
    /// PAD SPACE collations ignore trailing spaces.
    pub pad_space: bool,
    /// `general_ci` and the 4.0.0 UCA weigh every character above U+FFFF the same.
    pub supplementary_equal: bool,
    /// Bytes, not characters (`binary`, or a value that is not UTF-8).
    pub bytes: bool,
    /// The Unicode Collation Algorithm (`unicode_ci`, `0900_ai_ci`, `uca1400`): `ß` weighs
    /// as `ss`, `Œ` as `OE`, and the dotless `ı` is a letter of its own; `general_ci`
    /// instead folds `ß` to `S` and `ı` to `I`.
    pub uca: bool,
}

impl Rules {
    pub fn for_collation(collation: Option<&str>) -> Rules {
        let exact = Rules {
            fold_case: false,
            fold_accents: false,
            pad_space: false,
            supplementary_equal: false,
            bytes: true,
            uca: false,
        };
        let Some(c) = collation.map(str::to_ascii_lowercase) else {
            return exact;
        };
        if c == "binary" {
            return exact;
        }
        let nopad = c.contains("nopad") || c.contains("_0900_");
        if c.ends_with("_bin") {
            return Rules {
                pad_space: !nopad,
                bytes: false,
                ..exact
            };
        }
        let ai = c.ends_with("_ai_ci")
            || c.ends_with("_general_ci")
            || c.ends_with("_unicode_ci")
            || c.ends_with("_unicode_520_ci")
            || c.ends_with("_swedish_ci")
            || (c.ends_with("_ci") && !c.ends_with("_as_ci"));
        let ci = c.ends_with("_ci");
        Rules {
            fold_case: ci,
            fold_accents: ai,
            pad_space: !nopad,
            supplementary_equal: c.contains("general") || c.ends_with("_unicode_ci"),
            bytes: false,
            uca: c.contains("unicode") || c.contains("_0900_") || c.contains("uca"),
        }
    }
}

/// The base letter of accented Latin-1 letters (U+00C0..U+00FF), `\0` when it has none.
const LATIN1: &[u8; 64] = b"AAAAAA\0CEEEEIIIIDNOOOOO\0OUUUUY\0SAAAAAA\0CEEEEIIIIDNOOOOO\0OUUUUY\0Y";
/// The same for Latin Extended-A (U+0100..U+017F).
const LATIN_EXT_A: &[u8; 128] = b"AAAAAACCCCCCCCDDDDEEEEEEEEEEGGGGGGGGHHHHIIIIIIIIII\0\0JJKKKLLLLLL\0\0\0\0NNNNNNNNNOOOOOO\0\0RRRRRRSSSSSSSSTTTTTTUUUUUUUUUUUUWWYYYZZZZZZS";

fn base_letter(c: char) -> Option<char> {
    let cp = c as u32;
    let b = match cp {
        0xC0..=0xFF => LATIN1[(cp - 0xC0) as usize],
        0x100..=0x17F => LATIN_EXT_A[(cp - 0x100) as usize],
        _ => 0,
    };
    (b != 0).then_some(b as char)
}

fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x300..=0x36F)
}

/// The key under which equal names (per `rules`) collide.
pub fn key(rules: Rules, value: &[u8]) -> Vec<u8> {
    let text = match std::str::from_utf8(value) {
        Ok(t) if !rules.bytes => t,
        _ => {
            let mut v = value.to_vec();
            if rules.pad_space {
                while v.last() == Some(&b' ') {
                    v.pop();
                }
            }
            return v;
        }
    };
    let text = if rules.pad_space {
        text.trim_end_matches(' ')
    } else {
        text
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if rules.supplementary_equal && (c as u32) > 0xFFFF {
            out.push('\u{FFFD}');
            continue;
        }
        if rules.uca && rules.fold_accents {
            match c {
                'ß' => {
                    out.push_str(if rules.fold_case { "SS" } else { "ss" });
                    continue;
                }
                'Œ' | 'œ' if rules.fold_case => {
                    out.push_str("OE");
                    continue;
                }
                'ı' => {
                    out.push(c);
                    continue;
                }
                _ => {}
            }
        }
        if rules.fold_accents {
            if is_combining_mark(c) {
                continue;
            }
            if let Some(b) = base_letter(c) {
                out.push(b);
                continue;
            }
        }
        if rules.fold_case {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) => out.push(u),
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    out.into_bytes()
}

/// A 64-bit FNV-1a hash of the key: grouping keeps hashes, not names, so that memory
/// does not grow with the names of millions of projects.
pub fn key_hash(rules: Rules, value: &[u8]) -> u64 {
    // Most names are ASCII: their key is the bytes themselves, upper-cased when the
    // collation ignores case, so it is hashed without building it, eight bytes a step.
    if value.is_ascii() {
        let mut v = value;
        if rules.pad_space {
            while let [rest @ .., b' '] = v {
                v = rest;
            }
        }
        hash_words(v, rules.fold_case && !rules.bytes)
    } else {
        hash_words(&key(rules, value), false)
    }
}

/// `key_hash` in 32 bits: what a project table keeps per row. Equal keys still hash
/// equal; the rarer unequal ones that share a value are told apart by comparing keys.
pub fn key_hash32(rules: Rules, value: &[u8]) -> u32 {
    let h = key_hash(rules, value);
    (h ^ (h >> 32)) as u32
}

/// Eight ASCII bytes upper-cased at once: a byte is a lower-case letter when adding
/// 0x1f sets its top bit (it is at least `a`) and adding 0x05 does not (it is at most
/// `z`); no byte carries into the next, as every byte is below 0x80.
fn upper_ascii_word(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let lower = w.wrapping_add(ONES * 0x1f) & !w.wrapping_add(ONES * 0x05) & (ONES * 0x80);
    w - (lower >> 2)
}

/// A 64-bit hash of a byte string, a word at a time (`fold`: the bytes are ASCII and
/// upper-cased first). Only ever compared with itself: equal keys hash equal.
fn hash_words(bytes: &[u8], fold: bool) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let word = |w: u64| if fold { upper_ascii_word(w) } else { w };
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        h = (h.rotate_left(23) ^ word(u64::from_le_bytes(b))).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut b = [0u8; 8];
        b[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(23) ^ word(u64::from_le_bytes(b))).wrapping_mul(K);
    }
    // A final mix, so that every input bit reaches the low bits a sort or a table uses.
    h ^= h >> 29;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^ (h >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(collation: &str, a: &str, b: &str) -> bool {
        let r = Rules::for_collation(Some(collation));
        key(r, a.as_bytes()) == key(r, b.as_bytes())
    }

    #[test]
    fn words_upper_case_exactly_the_ascii_letters() {
        let all: Vec<u8> = (0u8..0x80).collect();
        for c in all.chunks(8) {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            let got = upper_ascii_word(u64::from_le_bytes(b)).to_le_bytes();
            let want: Vec<u8> = c.iter().map(u8::to_ascii_uppercase).collect();
            assert_eq!(got.to_vec(), want);
        }
    }

    #[test]
    fn key_hash_agrees_with_key_on_ascii_and_beyond() {
        let r = Rules::for_collation(Some("utf8mb4_general_ci"));
        for (a, b) in [
            ("Orders_Sync", "ORDERS_SYNC  "),
            ("café", "CAFE"),
            ("abcdefghij", "ABCDEFGHIJ"),
        ] {
            assert_eq!(key(r, a.as_bytes()), key(r, b.as_bytes()));
            assert_eq!(
                key_hash(r, a.as_bytes()),
                key_hash(r, b.as_bytes()),
                "{a} {b}"
            );
        }
        assert_ne!(key_hash(r, b"orders_1"), key_hash(r, b"orders_2"));
        assert_ne!(key_hash(r, b"abc"), key_hash(r, b"abc\0"));
        let bin = Rules::for_collation(Some("utf8mb4_bin"));
        assert_ne!(key_hash(bin, b"Orders"), key_hash(bin, b"orders"));
    }

    #[test]
    fn general_ci_ignores_case_accents_and_trailing_spaces() {
        assert!(same("utf8mb4_general_ci", "Orders_Sync", "orders_sync"));
        assert!(same("utf8mb4_general_ci", "café", "CAFE"));
        assert!(same("utf8mb4_general_ci", "abc", "abc  "));
        assert!(!same("utf8mb4_general_ci", "abc", " abc"));
        assert!(!same("utf8mb4_general_ci", "订单同步", "订单迁移"));
        assert!(same("utf8mb4_general_ci", "订单同步", "订单同步 "));
        assert!(same("utf8mb4_general_ci", "a😀", "a🎉"));
    }

    #[test]
    fn uca_expands_and_keeps_dotless_i() {
        assert!(same("utf8mb4_unicode_ci", "Straße", "STRASSE"));
        assert!(!same("utf8mb4_general_ci", "Straße", "STRASSE"));
        assert!(same("utf8mb4_general_ci", "ß", "s"));
        assert!(same("utf8mb4_unicode_ci", "Œuvre", "oeuvre"));
        assert!(!same("utf8mb4_unicode_ci", "ı", "I"));
        assert!(same("utf8mb4_general_ci", "ı", "I"));
        assert!(!same("utf8mb4_general_ci", "Ł", "L"));
    }

    #[test]
    fn ai_ci_0900_is_no_pad() {
        assert!(same("utf8mb4_0900_ai_ci", "Café", "cafe"));
        assert!(!same("utf8mb4_0900_ai_ci", "abc", "abc "));
        assert!(!same("utf8mb4_0900_ai_ci", "a😀", "a🎉"));
    }

    #[test]
    fn bin_compares_code_points() {
        assert!(!same("utf8mb4_bin", "abc", "ABC"));
        assert!(same("utf8mb4_bin", "abc", "abc "));
        assert!(!same("utf8mb4_0900_bin", "abc", "abc "));
        assert!(!same("binary", "abc", "abc "));
        assert!(!same("utf8mb4_general_ci", "abc", "abd"));
    }

    #[test]
    fn unknown_or_missing_collation_is_exact() {
        let r = Rules::for_collation(None);
        assert_ne!(key(r, b"a"), key(r, b"A"));
        assert_eq!(key_hash(r, b"x"), key_hash(r, b"x"));
    }

    #[test]
    fn the_ascii_fast_path_hashes_the_same_key() {
        for c in [
            "utf8mb4_general_ci",
            "utf8mb4_bin",
            "utf8mb4_0900_ai_ci",
            "binary",
        ] {
            let r = Rules::for_collation(Some(c));
            for name in ["Orders ", "orders", "a b  ", "", "   "] {
                let slow = hash_words(&key(r, name.as_bytes()), false);
                assert_eq!(key_hash(r, name.as_bytes()), slow, "{c} {name:?}");
            }
        }
    }

    #[test]
    fn invalid_utf8_falls_back_to_bytes() {
        let r = Rules::for_collation(Some("utf8mb4_general_ci"));
        assert_eq!(key(r, b"\xff\xfe  "), b"\xff\xfe".to_vec());
    }
}
