//! The hashes verify compares by: 64-bit, fast, and the same for a value whether it came
//! from a dump (quoted text or an unquoted number, as mysqldump writes it) or from the
//! live MetaDB's text protocol (bytes), because both are the bytes the server formats.
//!
//! Not cryptographic: the inputs are the user's own MetaDB and its backups, and a
//! difference is found by comparing sums of well-mixed row hashes (order-independent),
//! whose chance of cancelling out by accident is 2⁻⁶⁴ per bucket.

use crate::sources::dump::Value;

const K1: u64 = 0x9e37_79b9_7f4a_7c15;
const K2: u64 = 0xc2b2_ae3d_27d4_eb4f;
const K3: u64 = 0x1656_67b1_9e37_79f9;

/// The final mix of MurmurHash3 (every input bit flips about half the output bits).
#[inline]
pub fn fmix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// A streaming hash of byte strings, seeded.
#[derive(Clone, Copy)]
pub struct Hasher(u64);

impl Hasher {
    pub fn new(seed: u64) -> Self {
        Hasher(seed ^ K1)
    }

    #[inline]
    fn word(&mut self, w: u64) {
        self.0 = (self.0 ^ fmix(w.wrapping_mul(K2)))
            .rotate_left(27)
            .wrapping_mul(K3)
            ^ K1;
    }

    /// Bytes, length-prefixed so that `ab`,`c` and `a`,`bc` differ.
    #[inline]
    pub fn bytes(&mut self, b: &[u8]) {
        self.word(b.len() as u64 ^ 0x5a5a_0000_0000_0000);
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.word(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.word(u64::from_le_bytes(w));
        }
    }

    /// One column value: NULL differs from every string, the empty one included.
    #[inline]
    pub fn value(&mut self, v: &Value<'_>) {
        match v {
            Value::Null => self.word(0xdead_beef_0000_0001),
            Value::Text(t) => self.bytes(t),
            Value::Number(n) => self.bytes(n),
        }
    }

    pub fn finish(self) -> u64 {
        fmix(self.0)
    }
}

/// The hash of one value.
#[inline]
pub fn value(seed: u64, v: &Value<'_>) -> u64 {
    let mut h = Hasher::new(seed);
    h.value(v);
    h.finish()
}

/// The hash of a byte string.
#[inline]
pub fn bytes(seed: u64, b: &[u8]) -> u64 {
    let mut h = Hasher::new(seed);
    h.bytes(b);
    h.finish()
}

/// The contribution of (key, value) to a bucket's sum: depends on both, so a value moved
/// from one row to another changes the sum.
#[inline]
pub fn pair(key: u64, value: u64) -> u64 {
    fmix(key.wrapping_mul(K1) ^ value.rotate_left(31) ^ K2)
}

/// The contribution of a key alone to a bucket's key sum.
#[inline]
pub fn key_term(key: u64) -> u64 {
    fmix(key ^ K3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn dump_text_and_number_hash_like_live_bytes() {
        let text = Value::Text(Cow::Borrowed(b"42"));
        let number = Value::Number(b"42");
        assert_eq!(value(1, &text), value(1, &number));
        assert_ne!(
            value(1, &Value::Null),
            value(1, &Value::Text(Cow::Borrowed(b"")))
        );
        assert_ne!(value(1, &text), value(2, &text));
    }

    #[test]
    fn concatenations_differ() {
        let mut a = Hasher::new(0);
        a.bytes(b"ab");
        a.bytes(b"c");
        let mut b = Hasher::new(0);
        b.bytes(b"a");
        b.bytes(b"bc");
        assert_ne!(a.finish(), b.finish());
        assert_ne!(pair(1, 2), pair(2, 1));
    }
}
