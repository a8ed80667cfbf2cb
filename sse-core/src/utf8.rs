//! UTF-8 decoding with replacement (R8): text views of the decoder's bytes.
//!
//! Every text the decoder hands out is checked by `simdutf8` (SIMD where the
//! CPU has it); invalid input takes a slow path that replaces each maximal
//! subpart of a broken sequence by U+FFFD in place. Valid text, borrowed
//! from the input or in a buffer, is checked once: the `&str` is made from
//! that check ([`checked`](crate::checked)). Repaired text is checked once
//! more after the repair.

use crate::decode::Buf;

/// The UTF-8 encoding of U+FFFD REPLACEMENT CHARACTER.
const REPLACEMENT: [u8; 3] = [0xEF, 0xBF, 0xBD];

/// `bytes` as text, if they are valid UTF-8.
#[inline]
pub(crate) fn text(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

/// Decodes `buf[..len]` with replacement, in place, and returns the text;
/// `None` when the decoded text would be longer than `cap` (or than a fixed
/// `buf`), leaving `buf` as it was. Valid text is not moved, and checked
/// once.
#[inline]
pub(crate) fn decode_in_place(buf: Buf<'_>, len: usize, cap: usize) -> Option<&str> {
    let mut buf = match buf.into_text(len) {
        Ok(text) => return Some(text),
        Err(buf) => buf,
    };
    let len = replace_invalid(&mut buf, len, cap)?;
    // `replace_invalid` left valid text.
    text(&buf.into_bytes()[..len])
}

/// Decodes `buf[..len]` with replacement, in place; returns the decoded
/// length, or `None` when that is more than `cap` (or than a fixed `buf`),
/// with `buf` unchanged. Linear in `len`.
#[inline]
pub(crate) fn repair_in_place(buf: &mut Buf<'_>, len: usize, cap: usize) -> Option<usize> {
    if text(&buf.bytes()[..len]).is_some() {
        return Some(len);
    }
    replace_invalid(buf, len, cap)
}

/// Splits the start of `bytes` into a run of `valid` bytes, copied as they
/// are, followed by `bad` bytes (a maximal subpart of a broken sequence, or one
/// bad byte; 0 at the end) that become one U+FFFD, exactly as the WHATWG UTF-8
/// decoder does (R8). `Utf8Error::error_len` follows the same maximal-subpart
/// rule; `None` there means the input ends inside a sequence, which also
/// becomes one U+FFFD.
fn next_run(bytes: &[u8]) -> (usize, usize) {
    match simdutf8::compat::from_utf8(bytes) {
        Ok(rest) => (rest.len(), 0),
        Err(e) => {
            let valid = e.valid_up_to();
            (valid, e.error_len().unwrap_or(bytes.len() - valid))
        }
    }
}

/// The length of `bytes` once decoded with replacement.
fn decoded_len(bytes: &[u8]) -> usize {
    let mut pos = 0;
    let mut len = 0;
    while pos < bytes.len() {
        let (valid, bad) = next_run(&bytes[pos..]);
        len += valid + if bad > 0 { REPLACEMENT.len() } else { 0 };
        pos += valid + bad;
    }
    len
}

/// The slow part of [`repair_in_place`], for text that is not valid UTF-8.
#[cold]
#[inline(never)]
fn replace_invalid(buf: &mut Buf<'_>, len: usize, cap: usize) -> Option<usize> {
    let total = decoded_len(&buf.bytes()[..len]);
    let buf = buf.get_mut(0..total, cap)?;
    // Move the raw bytes to the end of the decoded span and decode forwards.
    // Decoding never shrinks text (a maximal subpart has 1 to 3 bytes and
    // becomes 3), so the write position never passes the read position.
    let shift = total - len;
    // Byte by byte, last first: a `copy_within` would bring in `memmove`,
    // which costs small targets more flash than this path is worth.
    for i in (0..len).rev() {
        buf[i + shift] = buf[i];
    }
    let mut read = shift;
    let mut write = 0;
    while read < total {
        let (valid, bad) = next_run(&buf[read..total]);
        for _ in 0..valid {
            buf[write] = buf[read];
            read += 1;
            write += 1;
        }
        if bad > 0 {
            buf[write..write + REPLACEMENT.len()].copy_from_slice(&REPLACEMENT);
            write += REPLACEMENT.len();
            read += bad;
        }
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &[u8], expected: &str) {
        let mut buf = [0u8; 64];
        buf[..raw.len()].copy_from_slice(raw);
        assert_eq!(
            decode_in_place(Buf::from(&mut buf[..]), raw.len(), 64),
            Some(expected),
            "{raw:?}"
        );
        assert_eq!(decoded_len(raw), expected.len());
    }

    #[test]
    fn maximal_subparts_as_in_r8() {
        check(b"\xC3\x28", "\u{FFFD}(");
        check(b"\xE0\x80\x80", "\u{FFFD}\u{FFFD}\u{FFFD}");
        check(b"\xED\xA0\x80", "\u{FFFD}\u{FFFD}\u{FFFD}");
        check(b"\xF0\x9F\x98", "\u{FFFD}");
        check(b"\xF0\x9F\x98\n", "\u{FFFD}\n");
        check(b"\xF4\x90\x80\x80", "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}");
        check(b"\xC0\x80", "\u{FFFD}\u{FFFD}");
        check(
            b"a\xFFb\xF0\x9F\x98\x80c\x80",
            "a\u{FFFD}b\u{1F600}c\u{FFFD}",
        );
        check(b"plain", "plain");
        check(b"", "");
    }

    #[test]
    fn maximal_subparts_agree_with_std_lossy_decoding_past_the_simd_block_size() {
        // simdutf8 checks 64-byte blocks with SIMD and shorter text with
        // core's check: errors at every offset around a block's end.
        for at in 0..140 {
            for bad in [&b"\xFF"[..], b"\xE2\x82", b"\xF0\x9F\x98", b"\xED\xA0\x80"] {
                let mut raw = [b'a'; 140].to_vec();
                raw.splice(at..at, bad.iter().copied());
                let expected = std::string::String::from_utf8_lossy(&raw).into_owned();
                let mut buf = [0u8; 256];
                buf[..raw.len()].copy_from_slice(&raw);
                assert_eq!(
                    decode_in_place(Buf::from(&mut buf[..]), raw.len(), 256),
                    Some(&*expected)
                );
            }
        }
    }

    #[test]
    fn too_long_after_replacement_leaves_buffer() {
        let mut bytes = *b"\xFF\xFF\0\0\0\0";
        let mut buf = Buf::from(&mut bytes[..]);
        assert_eq!(repair_in_place(&mut buf, 2, 5), None);
        assert_eq!(&buf.bytes()[..2], b"\xFF\xFF");
        assert_eq!(repair_in_place(&mut buf, 2, 6), Some(6));
        // A cap past the end of a fixed buffer does not stretch it.
        let mut bytes = *b"\xFF\xFF\0\0\0";
        let mut buf = Buf::from(&mut bytes[..]);
        assert_eq!(repair_in_place(&mut buf, 2, 6), None);
        assert_eq!(buf.bytes(), b"\xFF\xFF\0\0\0");
    }
}
