//! The crate's only `unsafe` code: a `&str` view of bytes made from the
//! UTF-8 check that accepted them, so that text in a decoder buffer is
//! checked once, not once to learn whether it needs repair and once more to
//! make the `&str` (safe code can keep no `&str` from the first check
//! across the repair it may need). BENCHMARKS.md has what this saves.
//!
//! Each function checks and views the same bytes under one exclusive
//! borrow, so nothing can write to them in between. `cargo +nightly miri
//! test -p sse-core --lib checked` runs this module's tests under Miri.

#![deny(clippy::undocumented_unsafe_blocks)]

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

/// `bytes[..len]` as text if it is valid UTF-8, checked once; otherwise
/// (or if `len` is past the end) `bytes`, handed back for repair.
#[inline]
pub(crate) fn text(bytes: &mut [u8], len: usize) -> Result<&str, &mut [u8]> {
    match bytes.get(..len) {
        Some(head) if simdutf8::basic::from_utf8(head).is_ok() => {}
        _ => return Err(bytes),
    }
    let head: &[u8] = &bytes[..len];
    // SAFETY: `head` is `bytes[..len]`, which the check above accepted as
    // UTF-8; `bytes` is borrowed exclusively here, so nothing wrote to it
    // since.
    Ok(unsafe { core::str::from_utf8_unchecked(head) })
}

/// [`text`] for a growable buffer: `vec[..len]` as text if it is valid
/// UTF-8, checked once; otherwise `vec`, handed back for repair.
#[cfg(feature = "alloc")]
#[inline]
pub(crate) fn vec_text(vec: &mut Vec<u8>, len: usize) -> Result<&str, &mut Vec<u8>> {
    match vec.get(..len) {
        Some(head) if simdutf8::basic::from_utf8(head).is_ok() => {}
        _ => return Err(vec),
    }
    let head: &[u8] = &vec[..len];
    // SAFETY: `head` is `vec[..len]`, which the check above accepted as
    // UTF-8; `vec` is borrowed exclusively here, so nothing wrote to it
    // since.
    Ok(unsafe { core::str::from_utf8_unchecked(head) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_text_is_viewed_and_invalid_text_handed_back() {
        let source = "añb\u{1F600}xyz";
        let mut bytes = [0u8; 11];
        bytes.copy_from_slice(source.as_bytes());
        for len in 0..=bytes.len() {
            let expected = source.get(..len);
            match text(&mut bytes, len) {
                Ok(view) => assert_eq!(Some(view), expected, "len {len}"),
                Err(back) => assert!(expected.is_none() && back.len() == 11, "len {len}"),
            }
        }
        assert!(text(&mut bytes, 12).is_err());
        let mut bad = *b"a\xFFb";
        assert_eq!(text(&mut bad, 1), Ok("a"));
        assert_eq!(
            text(&mut bad, 3).map_err(|back| &*back),
            Err(&b"a\xFFb"[..])
        );
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn vec_text_agrees_with_text() {
        let source = "añb\u{1F600}xyz\u{7FF}".as_bytes();
        let mut vec = source.to_vec();
        let mut bytes = source.to_vec();
        for len in 0..=source.len() + 1 {
            let a = vec_text(&mut vec, len)
                .ok()
                .map(alloc::string::String::from);
            let b = text(&mut bytes, len).ok().map(alloc::string::String::from);
            assert_eq!(a, b, "len {len}");
        }
    }
}
