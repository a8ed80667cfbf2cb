//! The real decoder against the naive reference decoder (a literal transcription
//! of the rules), and against itself under any chunking (R11).
//!
//! Streams are generated from pieces biased towards what breaks parsers: CR,
//! LF, `:`, space, BOM bytes, NUL, invalid and truncated UTF-8, field names in
//! every case, and `retry` values of every shape.
#![cfg(not(miri))]

use proptest::prelude::*;
use sse_core::Limits;
use sse_core_tests::{check, drive, naive};

fn piece() -> impl Strategy<Value = Vec<u8>> {
    let fixed: Vec<&'static [u8]> = vec![
        b"\r",
        b"\n",
        b"\r\n",
        b":",
        b" ",
        b"\0",
        b"\xEF\xBB\xBF",
        b"\xEF",
        b"\xBB",
        b"\xBF",
        b"data",
        b"data:",
        b"data: ",
        b"event:",
        b"id:",
        b"id: ",
        b"retry:",
        b"retry: ",
        b"Data:",
        b"DATA",
        b"data :",
        b"\xEF\xBB\xBFdata:",
        b"id",
        b"event",
        b"retry",
        b"\xC3",
        b"\xA9",
        b"\xE2\x82",
        b"\xF0\x9F\x98",
        b"\x80",
        b"\xFF",
        b"\xED\xA0\x80",
        b"\xC0\x80",
        b"\xF4\x90\x80\x80",
        b"\xE2\x80\xA8",
        b"\xC2\x85",
        b"x",
        b"hello",
        b"123",
        b"0",
        b"18446744073709551615",
        b"18446744073709551616",
        b"+5",
        b"1.5",
        b"\n\n",
        b"\r\r",
        b": comment",
    ];
    prop_oneof![
        4 => prop::sample::select(fixed).prop_map(<[u8]>::to_vec),
        1 => prop::collection::vec(any::<u8>(), 0..6),
        1 => "[a-z ]{0,8}".prop_map(String::into_bytes),
    ]
}

fn stream() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(piece(), 0..40).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn real_decoder_equals_naive_decoder(body in stream(), id in "[a-z0-9]{0,3}") {
        prop_assert_eq!(drive::decode(&body, &id), naive::decode(&body, &id));
    }

    #[test]
    fn any_chunking_gives_the_same_result(
        body in stream(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        check::check_cuts(&body, &cuts);
    }

    #[test]
    fn the_stream_adapter_gives_the_decoders_items_for_any_chunking(
        body in stream(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
        id in "[a-z0-9]{0,3}",
        small in any::<bool>(),
    ) {
        let mut cuts = cuts.into_iter().map(|cut| cut % (body.len() + 1)).collect::<Vec<_>>();
        cuts.sort_unstable();
        let chunks = drive::split_at(&body, &cuts);
        // Small limits too, so that limit errors and the resynchronisation
        // after them are compared.
        let limits = if small {
            Limits::new().max_data(6).max_event_type(3).max_id(3)
        } else {
            sse_core::stream::DEFAULT_LIMITS
        };
        let mut decoder = drive::big_decoder();
        decoder.set_limits(limits);
        decoder.set_last_event_id(&id).unwrap();
        let expected = drive::run(&mut decoder, &[&body]);
        prop_assert_eq!(drive::decode_stream(&chunks, &id, limits), expected);
    }

    #[test]
    fn arbitrary_bytes_equal_naive_byte_by_byte(body in prop::collection::vec(any::<u8>(), 0..200)) {
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        prop_assert_eq!(drive::decode_chunks(&bytes, ""), naive::decode(&body, ""));
    }
}

#[test]
fn every_split_of_nasty_seeds_equals_naive() {
    let seeds: [&[u8]; 8] = [
        b"\xEF\xBB\xBF\xEF\xBB\xBFdata:1\n\ndata:2\r\rdata:3\r\n\r\n",
        b"data:\xF0\x9F\x98\ndata: \xE2\x82\r\n\nid:\xC3\n\ndata\n\n",
        b"id: 1\nid: 2\0\ndata: a\n\nretry: 007\nretry:\nretry: 9\x00\n\n",
        b"event: a\nevent:\ndata\n\nevent: b\n\ndata: c\n\n:\n\n",
        b"data:a\rdata:b\r\r\ndata: \n\ndata:  x\n\n",
        b"\xEF\xBB",
        b"data: tail without end",
        b"id: kept\n\nid\n\ndata: x\n\nretry: 18446744073709551616\n",
    ];
    for seed in seeds {
        check::check_every_two_cuts(seed, "seed");
    }
}
