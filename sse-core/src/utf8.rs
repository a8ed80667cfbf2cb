//! UTF-8 decoding with replacement, in place (R8).

/// The UTF-8 encoding of U+FFFD REPLACEMENT CHARACTER.
const REPLACEMENT: [u8; 3] = [0xEF, 0xBF, 0xBD];

/// Splits the start of `bytes` into a run of `valid` bytes, copied as they
/// are, followed by `bad` bytes (a maximal subpart of a broken sequence, or one
/// bad byte; 0 at the end) that become one U+FFFD, exactly as the WHATWG UTF-8
/// decoder does (R8). Rust's `Utf8Error::error_len` follows the same
/// maximal-subpart rule; `None` there means the input ends inside a sequence,
/// which also becomes one U+FFFD.
fn next_run(bytes: &[u8]) -> (usize, usize) {
    match core::str::from_utf8(bytes) {
        Ok(rest) => (rest.len(), 0),
        Err(e) => {
            let valid = e.valid_up_to();
            (valid, e.error_len().unwrap_or(bytes.len() - valid))
        }
    }
}

/// The length of `bytes` once decoded with replacement.
pub(crate) fn decoded_len(bytes: &[u8]) -> usize {
    let mut pos = 0;
    let mut len = 0;
    while pos < bytes.len() {
        let (valid, bad) = next_run(&bytes[pos..]);
        len += valid + if bad > 0 { REPLACEMENT.len() } else { 0 };
        pos += valid + bad;
    }
    len
}

/// Decodes `buf[..len]` with replacement, in place, when it is not valid UTF-8.
/// `buf[..checked]` is known to be valid UTF-8 ending at a character
/// boundary (see [`valid_prefix`]), so only the rest is checked.
///
/// The check is [`is_valid`], not `from_utf8`: the text is viewed as `&str`
/// once more at dispatch (safe code has no other way to make one), and this
/// first pass costs less (60% of `from_utf8` on benches W2's text).
///
/// Returns the decoded length, or `None` when that is more than `cap` (which is
/// at most `buf.len()`); `buf` is then unchanged. Linear in `len`.
#[inline]
pub(crate) fn repair_in_place(
    buf: &mut [u8],
    checked: usize,
    len: usize,
    cap: usize,
) -> Option<usize> {
    debug_assert!(checked <= len && is_valid(&buf[..checked]));
    if checked == len || is_valid(&buf[checked..len]) {
        return Some(len);
    }
    replace_invalid(buf, len, cap)
}

/// The slow part of [`repair_in_place`], for text that is not valid UTF-8.
#[inline(never)]
fn replace_invalid(buf: &mut [u8], len: usize, cap: usize) -> Option<usize> {
    let total = decoded_len(&buf[..len]);
    if total > cap.min(buf.len()) {
        return None;
    }
    // Move the raw bytes to the end of the decoded span and decode forwards.
    // Decoding never shrinks text (a maximal subpart has 1 to 3 bytes and becomes
    // 3), so the write position never passes the read position.
    let shift = total - len;
    buf.copy_within(..len, shift);
    let mut read = shift;
    let mut write = 0;
    while read < total {
        let (valid, bad) = next_run(&buf[read..total]);
        buf.copy_within(read..read + valid, write);
        read += valid;
        write += valid;
        if bad > 0 {
            buf[write..write + REPLACEMENT.len()].copy_from_slice(&REPLACEMENT);
            write += REPLACEMENT.len();
            read += bad;
        }
    }
    Some(total)
}

/// Whether `bytes` is valid UTF-8: `core::str::from_utf8(bytes).is_ok()`,
/// made for mostly ASCII text. `from_utf8` steps byte by byte until the
/// address is word-aligned (again after each character outside ASCII) and
/// near the end; here ASCII is skipped 32, then 8 bytes at a time wherever it
/// starts, and the characters outside ASCII are checked one by one.
#[inline]
pub(crate) fn is_valid(bytes: &[u8]) -> bool {
    valid_prefix(bytes) == Some(bytes.len())
}

/// How much of `bytes` is known to be valid UTF-8 when more may follow:
/// `Some(bytes.len())` if all of it is; `Some(n)` if `bytes[..n]` is and
/// the rest is the start of a character that the next bytes may complete;
/// `None` if `bytes` has an error that no later byte can undo. That is
/// `from_utf8`'s answer: `Ok`, an error with no `error_len` (the input ended
/// inside a character) at `valid_up_to`, or any other error. It is the
/// search behind [`is_valid`] (which says how it runs), and is used to check
/// data in stretches as it arrives.
#[inline(never)]
pub(crate) fn valid_prefix(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(first) = next_non_ascii(bytes, i) {
        match char_len(&bytes[first..]) {
            Some(n) => i = first + n,
            None => return cut_short(&bytes[first..]).then_some(first),
        }
    }
    Some(bytes.len())
}

/// Whether `rest`, whose first byte starts no well-formed character, is the
/// start of one cut short by the end of the bytes.
#[cold]
fn cut_short(rest: &[u8]) -> bool {
    rest.len() < 4 && core::str::from_utf8(rest).is_err_and(|e| e.error_len().is_none())
}

/// The position of the first byte of 0x80 or more in `bytes[start..]`.
#[inline]
fn next_non_ascii(bytes: &[u8], start: usize) -> Option<usize> {
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let word = |at: usize| {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(word) & HIGHS
    };
    let mut i = start;
    // 32 bytes at a time: the compiler turns the OR of the bytes into vector code.
    while let Some(block) = bytes.get(i..i + 32) {
        if block.iter().fold(0, |acc, &b| acc | b) >= 0x80 {
            break;
        }
        i += 32;
    }
    while i + 8 <= bytes.len() {
        let high = word(i);
        if high != 0 {
            return Some(i + (high.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    if i == bytes.len() {
        return None;
    }
    if bytes.len() >= 8 {
        // The last 8 bytes, without those before `i` (checked already, or
        // part of a character checked already).
        let at = bytes.len() - 8;
        let high = word(at) & (u64::MAX << ((i - at) * 8));
        return (high != 0).then(|| at + (high.trailing_zeros() / 8) as usize);
    }
    bytes[i..]
        .iter()
        .position(|&b| b >= 0x80)
        .map(|offset| i + offset)
}

/// The length of the well-formed character (Unicode table 3-7) at the start
/// of `bytes`, which begins with a byte of 0x80 or more; `None` if there is
/// none there, or only its start.
#[inline]
fn char_len(bytes: &[u8]) -> Option<usize> {
    let (&lead, rest) = bytes.split_first()?;
    let (len, second) = match lead {
        0xC2..=0xDF => (2, 0x80..=0xBF),
        0xE0 => (3, 0xA0..=0xBF),
        0xE1..=0xEC | 0xEE..=0xEF => (3, 0x80..=0xBF),
        0xED => (3, 0x80..=0x9F),
        0xF0 => (4, 0x90..=0xBF),
        0xF1..=0xF3 => (4, 0x80..=0xBF),
        0xF4 => (4, 0x80..=0x8F),
        _ => return None,
    };
    let tail = rest.get(..len - 1)?;
    let ok = second.contains(&tail[0]) && tail[1..].iter().all(|&b| b & 0xC0 == 0x80);
    ok.then_some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &[u8], expected: &str) {
        let mut buf = [0u8; 64];
        buf[..raw.len()].copy_from_slice(raw);
        let len = repair_in_place(&mut buf, 0, raw.len(), 64).unwrap();
        assert_eq!(core::str::from_utf8(&buf[..len]), Ok(expected), "{raw:?}");
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
    fn too_long_after_replacement_leaves_buffer() {
        let mut buf = *b"\xFF\xFF\0\0\0\0";
        assert_eq!(repair_in_place(&mut buf, 0, 2, 5), None);
        assert_eq!(&buf[..2], b"\xFF\xFF");
        assert_eq!(repair_in_place(&mut buf, 0, 2, 6), Some(6));
    }

    #[test]
    fn text_after_the_checked_prefix_is_checked_and_repaired_whole() {
        // Only the bytes after the checked prefix are looked at; a repair
        // still decodes the whole text.
        let mut buf = [0u8; 16];
        buf[..6].copy_from_slice("é€a".as_bytes());
        assert_eq!(repair_in_place(&mut buf, 2, 6, 16), Some(6));
        assert_eq!(repair_in_place(&mut buf, 6, 6, 16), Some(6));
        buf[6] = 0xFF;
        assert_eq!(repair_in_place(&mut buf, 5, 7, 16), Some(9));
        assert_eq!(core::str::from_utf8(&buf[..9]), Ok("é€a\u{FFFD}"));
    }
}

#[cfg(test)]
mod is_valid_tests {
    use super::{is_valid, valid_prefix};

    /// `is_valid` and `valid_prefix` give `from_utf8`'s answers.
    fn agrees(bytes: &[u8]) {
        let std = core::str::from_utf8(bytes);
        assert_eq!(is_valid(bytes), std.is_ok(), "{bytes:02X?}");
        let prefix = match std {
            Ok(_) => Some(bytes.len()),
            Err(e) => e.error_len().is_none().then_some(e.valid_up_to()),
        };
        assert_eq!(valid_prefix(bytes), prefix, "{bytes:02X?}");
    }

    #[test]
    fn agrees_with_from_utf8_on_every_sequence_up_to_three_bytes() {
        for a in 0..=255u8 {
            agrees(&[a]);
            for b in 0..=255u8 {
                agrees(&[a, b]);
                for c in [
                    0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xF0,
                    0xFF,
                ] {
                    agrees(&[a, b, c]);
                }
            }
        }
    }

    #[test]
    fn agrees_on_every_four_byte_sequence_after_a_lead_and_at_every_offset() {
        let tails = [
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xF5, 0xFF,
        ];
        let mut long = [b'a'; 40];
        for lead in 0xC0..=0xFFu8 {
            for b in 0..=255u8 {
                for c in tails {
                    for d in tails {
                        let seq = [lead, b, c, d];
                        agrees(&seq);
                        // The same sequence inside, across and at the end of
                        // the 16-byte words, and cut short at the end.
                        if b % 16 == 0 || (0x80..=0xBF).contains(&b) {
                            for at in [0, 13, 14, 15, 16, 30, 36, 37, 38, 39] {
                                long.fill(b'a');
                                let end = (at + 4).min(long.len());
                                long[at..end].copy_from_slice(&seq[..end - at]);
                                agrees(&long);
                                agrees(&long[..end - 1]);
                            }
                        }
                    }
                }
            }
        }
    }
}
