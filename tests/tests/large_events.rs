//! Events larger than the pieces they arrive in.
//!
//! The decoder copies the data of such an event into its buffer piece by
//! piece and checks its UTF-8 once, at dispatch; invalid text is decoded
//! with replacement (R8) as a whole. These tests build events of up to ~20
//! KiB: characters and errors at and around every multiple of 4096 bytes of
//! data (the size of a network chunk, so a piece boundary can fall inside a
//! character or a broken sequence), on one long line or over several
//! (joined with LF, R23), and small events after large ones (nothing of one
//! block's data carries over to the next, R28/R31). Each body must decode as
//! the naive decoder says, fed whole, in pieces of fixed sizes and cut
//! anywhere (R11).
#![cfg(not(miri))]

use proptest::prelude::*;
use sse_core_tests::{drive, naive};

/// Text pieces: long ASCII runs sized to end near a 4096-byte boundary,
/// characters of every width, and the broken sequences of R8.
fn text_piece() -> impl Strategy<Value = Vec<u8>> {
    let special: Vec<&'static [u8]> = vec![
        "é".as_bytes(),
        "€".as_bytes(),
        "😀".as_bytes(),
        b"\xFF",
        b"\x80",
        b"\xC3",
        b"\xE2\x82",
        b"\xF0\x9F\x98",
        b"\xED\xA0\x80",
        b"\xC0\x80",
        b"\xF4\x90\x80\x80",
    ];
    prop_oneof![
        3 => prop::sample::select(special).prop_map(<[u8]>::to_vec),
        // Runs that end just before, at or just after 4096 bytes, whatever
        // came before them.
        2 => (4088usize..4100).prop_map(|n| vec![b'a'; n]),
        2 => (0usize..300).prop_map(|n| vec![b'b'; n]),
    ]
}

/// One line's value.
fn value() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(text_piece(), 0..8).prop_map(|p| p.concat())
}

/// One block: a few data lines, maybe an id, then a blank line.
fn block() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(value(), 1..4),
        any::<bool>(),
        prop::sample::select(vec!["\n", "\r", "\r\n"]),
    )
        .prop_map(|(lines, id, eol)| {
            let mut block = Vec::new();
            if id {
                block.extend_from_slice(format!("id: x{eol}").as_bytes());
            }
            for line in lines {
                block.extend_from_slice(b"data: ");
                block.extend_from_slice(&line);
                block.extend_from_slice(eol.as_bytes());
            }
            block.extend_from_slice(eol.as_bytes());
            block
        })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(block(), 1..4).prop_map(|b| b.concat())
}

/// `body` in pieces of `size` bytes.
fn pieces(body: &[u8], size: usize) -> Vec<&[u8]> {
    body.chunks(size).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn large_events_decode_as_the_naive_decoder_says(
        body in body(),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let expected = naive::decode(&body, "");
        prop_assert_eq!(&drive::decode(&body, ""), &expected);
        for size in [7, 64, 1000, 4095, 4096, 4097] {
            prop_assert_eq!(
                &drive::decode_chunks(&pieces(&body, size), ""),
                &expected,
                "pieces of {} bytes", size
            );
        }
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
        cuts.sort_unstable();
        prop_assert_eq!(
            &drive::decode_chunks(&drive::split_at(&body, &cuts), ""),
            &expected,
            "cut at {:?}", cuts
        );
    }
}

/// Data of `before` ASCII bytes, then `middle`, then 5000 more ASCII bytes.
fn event_around(before: usize, middle: &[u8]) -> Vec<u8> {
    let mut body = b"data: ".to_vec();
    body.resize(body.len() + before, b'a');
    body.extend_from_slice(middle);
    body.resize(body.len() + 5000, b'z');
    body.extend_from_slice(b"\n\n");
    body
}

#[test]
fn characters_and_errors_at_every_place_around_a_4096_byte_boundary() {
    // Every character width, and errors of every length, starting from 8
    // bytes before the 4096th byte of data to 8 after, in pieces small and
    // large.
    let middles: [&[u8]; 7] = [
        "é".as_bytes(),
        "€".as_bytes(),
        "😀".as_bytes(),
        b"\xFF",
        b"\xE2\x82",
        b"\xF0\x9F\x98",
        b"\xED\xA0\x80",
    ];
    for middle in middles {
        for before in 4088..4104 {
            let body = event_around(before, middle);
            let expected = naive::decode(&body, "");
            for size in [1, 2, 3, 5, 64, 4096, body.len()] {
                assert_eq!(
                    drive::decode_chunks(&pieces(&body, size), ""),
                    expected,
                    "{middle:02X?} after {before} bytes, pieces of {size}"
                );
            }
        }
    }
}

#[test]
fn a_small_event_after_a_large_one_is_decoded_from_its_start() {
    // The first event's data is past 8 KiB; the second is shorter and
    // broken near its start, so a length carried over from the first would
    // hide its error.
    let mut body = event_around(9000, "€".as_bytes());
    body.extend_from_slice(b"data: \xFFbroken\n\n");
    body.extend_from_slice(&event_around(10, b"\xC3("));
    let expected = naive::decode(&body, "");
    assert_eq!(expected.events().len(), 3);
    assert!(expected.events()[1].data.starts_with('\u{FFFD}'));
    for size in [64, 4096, body.len()] {
        assert_eq!(
            drive::decode_chunks(&pieces(&body, size), ""),
            expected,
            "pieces of {size}"
        );
    }
}

#[test]
fn an_early_error_in_a_large_event_is_repaired_with_everything_after_it() {
    // Data over many lines and over one long line (carried from piece to
    // piece), broken near its start: dispatch repairs the whole text.
    let mut lines = Vec::new();
    lines.extend_from_slice(b"data: \xFF\n");
    for _ in 0..200 {
        lines.extend_from_slice(b"data: ");
        lines.extend_from_slice(&[b'm'; 100]);
        lines.extend_from_slice("é\n".as_bytes());
    }
    lines.push(b'\n');
    let long = event_around(100, b"\xE2\x82(");
    for body in [lines, long] {
        let expected = naive::decode(&body, "");
        assert_eq!(expected.events().len(), 1);
        for size in [64, 4096, body.len()] {
            assert_eq!(
                drive::decode_chunks(&pieces(&body, size), ""),
                expected,
                "pieces of {size}"
            );
        }
    }
}
