//! Bytes from a MetaDB as text, the way `String::from_utf8_lossy` does it, but fast on the
//! valid text nearly every value is: the standard library's lossy decoder walks a byte at
//! a time, its validator a word at a time over ASCII. A dump's every project id and
//! component setting passes through here.

use std::borrow::Cow;

pub fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::lossy;

    #[test]
    fn same_as_from_utf8_lossy() {
        let cases: [&[u8]; 6] = [
            b"",
            b"plain ascii",
            "名前 and more".as_bytes(),
            b"bad \xff byte",
            b"cut \xe5\x90",
            b"\xc0\x80 overlong",
        ];
        for b in cases {
            assert_eq!(lossy(b), String::from_utf8_lossy(b), "{b:?}");
        }
        assert!(matches!(lossy(b"ok"), std::borrow::Cow::Borrowed(_)));
    }
}
