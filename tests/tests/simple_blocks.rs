//! Streams made mostly of simple blocks (comments, blank lines, one `data`
//! line and its blank line: LLM token streams and heartbeats), mixed with
//! others (several `data` lines, `id`, `event`, `retry`, unknown fields,
//! invalid UTF-8, data over the limit, reported comments).
//!
//! Fed whole, each line lies whole in the input and a `data` line followed
//! by its blank line is handed out borrowed from the input; fed byte by
//! byte, every line is carried over from piece to piece and every event's
//! data is copied. So the checks are: whole equals the naive reference
//! decoder (R17-R30), any chunking equals whole (R11), and with a small data
//! limit or with comments reported, whole equals byte by byte.
#![cfg(not(miri))]

use proptest::prelude::*;
use sse_core::{Decoder, InlineBuffers, Item, Limits};
use sse_core_tests::{check, drive, naive};

/// A line end: LF, CR or CRLF (R13), LF most often.
fn eol() -> impl Strategy<Value = &'static [u8]> {
    prop_oneof![
        3 => Just(&b"\n"[..]),
        1 => Just(&b"\r"[..]),
        1 => Just(&b"\r\n"[..]),
    ]
}

/// A `data` value: text, empty, spaces, non-ASCII, invalid or cut UTF-8, CR-free.
fn value() -> impl Strategy<Value = Vec<u8>> {
    let fixed: Vec<&'static [u8]> = vec![
        b"x",
        b"",
        b" ",
        b"  two spaces",
        b"{\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}",
        "caf\u{e9} \u{4e16}\u{754c} \u{1F600}".as_bytes(),
        b"\xFF",
        b"ok\xE2\x82",
        b"\xF0\x9F\x98",
        b"\xEF\xBB\xBFbom inside",
        b"data: not a field",
        b":",
        b"\0",
    ];
    prop_oneof![
        4 => prop::sample::select(fixed).prop_map(<[u8]>::to_vec),
        2 => "[ -~]{0,40}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..8)
            .prop_map(|v| v.into_iter().filter(|b| !matches!(b, b'\r' | b'\n')).collect()),
    ]
}

/// One line of a block, without its end.
fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => value().prop_map(|v| [&b"data: "[..], &v].concat()),
        2 => value().prop_map(|v| [&b"data:"[..], &v].concat()),
        3 => "[ -~]{0,12}".prop_map(|c| format!(":{c}").into_bytes()),
        1 => Just(b"data".to_vec()),
        1 => "[a-z0-9 ]{0,4}".prop_map(|id| format!("id: {id}").into_bytes()),
        1 => "[a-z]{0,4}".prop_map(|t| format!("event: {t}").into_bytes()),
        1 => "[0-9]{1,4}".prop_map(|r| format!("retry: {r}").into_bytes()),
        1 => Just(b"unknown: field".to_vec()),
    ]
}

/// A block: mostly zero or one line, sometimes more, then a blank line.
fn block() -> impl Strategy<Value = Vec<u8>> {
    let lines = prop_oneof![
        1 => Just(Vec::new()),
        6 => (line(), eol()).prop_map(|(l, e)| vec![[&l[..], e].concat()]),
        2 => prop::collection::vec((line(), eol()), 2..4)
            .prop_map(|ls| ls.into_iter().map(|(l, e)| [&l[..], e].concat()).collect()),
    ];
    (lines, eol()).prop_map(|(lines, blank)| [lines.concat(), blank.to_vec()].concat())
}

/// A body of blocks, sometimes after a BOM, sometimes ending mid-block.
fn body() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::bool::weighted(0.1),
        prop::collection::vec(block(), 0..12),
        prop::option::weighted(0.2, line()),
    )
        .prop_map(|(bom, blocks, tail)| {
            let mut body = if bom {
                b"\xEF\xBB\xBF".to_vec()
            } else {
                Vec::new()
            };
            body.extend(blocks.concat());
            body.extend(tail.unwrap_or_default());
            body
        })
}

/// Every item as text, comments included (joined per line, as the pieces of
/// one comment line are reported separately when it is split).
fn items_with_comments(chunks: &[&[u8]]) -> Vec<String> {
    let mut decoder = Box::new(Decoder::<InlineBuffers<4096>>::new().with_comments(true));
    let mut items = Vec::new();
    let mut comment = Vec::new();
    for chunk in chunks {
        let mut input: &[u8] = chunk;
        while let Some(item) = decoder.next(&mut input) {
            match item {
                Ok(Item::Comment { text, end_of_line }) => {
                    comment.extend_from_slice(text);
                    if end_of_line {
                        items.push(format!("comment {comment:?}"));
                        comment.clear();
                    }
                }
                other => items.push(format!("{:?}", drive::own(other))),
            }
        }
    }
    items.push(format!("end {:?}", decoder.finish()));
    items
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn whole_equals_naive(body in body(), id in "[a-z0-9]{0,3}") {
        prop_assert_eq!(drive::decode(&body, &id), naive::decode(&body, &id));
    }

    #[test]
    fn any_chunking_equals_whole(
        body in body(),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        check::check_cuts(&body, &cuts);
    }

    #[test]
    fn data_limit_whole_equals_byte_by_byte(body in body(), limit in 0usize..6) {
        let limits = Limits::new().max_data(limit);
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        prop_assert_eq!(
            drive::decode_limited(&[&body], limits),
            drive::decode_limited(&bytes, limits)
        );
    }

    #[test]
    fn reported_comments_whole_equal_byte_by_byte(body in body()) {
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        prop_assert_eq!(items_with_comments(&[&body]), items_with_comments(&bytes));
    }
}

/// Simple blocks around every kind of line end, split at every pair of
/// points: a CR at the end of a chunk, the LF of a CRLF at the start of the
/// next, a block cut anywhere.
#[test]
fn every_split_of_simple_blocks_equals_naive() {
    let seeds: [&[u8]; 5] = [
        b": ping\n\ndata: x\n\n: ping\r\rdata:y\r\n\r\ndata: \xFF\n\ndata: a\n\n",
        b"data: a\r\r\ndata: b\r\n\rdata: c\n\r\n:\r\n\r\ndata\n\n",
        b"id: 7\n\ndata: after id\n\n:\n\ndata: 1\ndata: 2\n\ndata: \xF0\x9F\x98\x80\n\n",
        b"\xEF\xBB\xBFdata: bom\n\ndata:  two\n\nevent: e\n\ndata: typed?\n\n",
        b"data: x\n\n\n\n\r\r\n\r\ndata: y\ndata: z\r\n\r\ndata: cut",
    ];
    for seed in seeds {
        check::check_every_two_cuts(seed, "seed");
    }
}

/// A one-line event in the chunk is handed out from the chunk itself, without
/// a copy; its last event ID is the one committed by an earlier block (R27).
#[test]
fn a_whole_block_borrows_its_data_from_the_input() {
    let mut decoder = Decoder::<InlineBuffers<64>>::new();
    let body = b"id: 42\n\n: heartbeat\n\ndata: token\n\n";
    let mut input = &body[..];
    assert_eq!(
        decoder.next(&mut input),
        Some(Ok(Item::NoData {
            last_event_id: "42"
        }))
    );
    let item = decoder.next(&mut input).unwrap().unwrap();
    let event = item.event().unwrap();
    assert_eq!(
        (event.event_type(), event.data(), event.last_event_id()),
        ("message", "token", "42")
    );
    let at = event.data().as_ptr() as usize - body.as_ptr() as usize;
    assert_eq!(&body[at..at + 5], b"token");
    assert!(input.is_empty());
}
