//! Limits, resynchronisation and bounded memory on huge inputs ("Limits" in
//! `sse-core/SPEC.md`).
//!
//! A decoder with fixed buffers meets a value longer than they are: it reports a
//! typed error for that event, skips it to the next blank line, and decodes the
//! next event normally. Memory is the decoder's fixed size whatever the input.

use sse_core::{DecodeError, Decoder, EndOfBody, InlineBuffers, Item, Limits};
use sse_core_tests::{OwnedItem, drive};

const HUNDRED_MB: usize = 100 * 1000 * 1000;

type Small = Decoder<InlineBuffers<1024, 32, 32>>;

/// Feeds `prefix`, then `filler` repeated up to `total` bytes in `piece`-byte
/// chunks, then `suffix`; returns every item, owned.
fn feed_huge(
    decoder: &mut Small,
    prefix: &[u8],
    filler: u8,
    total: usize,
    piece: usize,
    suffix: &[u8],
) -> Vec<OwnedItem> {
    let mut items = Vec::new();
    let block = vec![filler; piece];
    let feed = |decoder: &mut Small, bytes: &[u8], items: &mut Vec<OwnedItem>| {
        let mut input = bytes;
        while let Some(item) = decoder.next(&mut input) {
            items.push(drive::own(item));
        }
    };
    feed(decoder, prefix, &mut items);
    let mut left = total;
    while left > 0 {
        let n = left.min(piece);
        feed(decoder, &block[..n], &mut items);
        left -= n;
    }
    feed(decoder, suffix, &mut items);
    items
}

fn next_event(data: &str, id: &str) -> OwnedItem {
    OwnedItem::Event(sse_core_tests::OwnedEvent {
        event_type: "message".into(),
        data: data.into(),
        last_event_id: id.into(),
    })
}

#[test]
fn hundred_mb_data_field_is_a_typed_error_then_the_next_event_decodes() {
    let mut decoder = Small::new();
    let items = feed_huge(
        &mut decoder,
        b"id: 1\ndata: ok\n\nid: 2\ndata: ",
        b'x',
        HUNDRED_MB,
        61,
        b"\ndata: more\n\ndata: next\n\n",
    );
    assert_eq!(
        items,
        [
            next_event("ok", "1"),
            OwnedItem::Error(DecodeError::DataTooLong { limit: 1024 }.to_string()),
            // The skipped event's id is not committed; later events keep the old one.
            next_event("next", "1"),
        ]
    );
    assert_eq!(decoder.finish(), EndOfBody::Clean);
}

#[test]
fn hundred_mb_unterminated_line_costs_nothing_and_is_resynced() {
    // A line with no colon and no terminator for 100 MB (an unknown field, R20/R21),
    // then the next event.
    let mut decoder = Small::new();
    let items = feed_huge(
        &mut decoder,
        b"",
        b'a',
        HUNDRED_MB,
        64,
        b"\n\ndata: next\n\n",
    );
    assert_eq!(
        items,
        [OwnedItem::NoData(String::new()), next_event("next", "")]
    );

    // A 100 MB comment (R18): never buffered, no error.
    let mut decoder = Small::new();
    let items = feed_huge(
        &mut decoder,
        b":",
        b'c',
        HUNDRED_MB,
        64,
        b"\ndata: next\n\n",
    );
    assert_eq!(items, [next_event("next", "")]);

    // A 100 MB line that is still open when the body ends is discarded (R15).
    let mut decoder = Small::new();
    let items = feed_huge(&mut decoder, b"data: ", b'z', HUNDRED_MB, 64, b"");
    assert_eq!(
        items,
        [OwnedItem::Error(
            DecodeError::DataTooLong { limit: 1024 }.to_string()
        )]
    );
    assert_eq!(decoder.finish(), EndOfBody::Discarded);
    let mut input = &b"data: after\n\n"[..];
    let item = decoder.next(&mut input).unwrap().unwrap();
    assert_eq!(item.event().map(|e| e.data()), Some("after"));
}

#[test]
fn hundred_mb_event_type_and_id_are_typed_errors() {
    let mut decoder = Small::new();
    let items = feed_huge(
        &mut decoder,
        b"data: a\nevent: ",
        b't',
        HUNDRED_MB / 4,
        64,
        b"\n\ndata: next\n\n",
    );
    assert_eq!(
        items,
        [
            OwnedItem::Error(DecodeError::EventTypeTooLong { limit: 32 }.to_string()),
            next_event("next", "")
        ]
    );
    let mut decoder = Small::new();
    let items = feed_huge(
        &mut decoder,
        b"id: 5\n\nid: ",
        b'9',
        HUNDRED_MB / 4,
        64,
        b"\ndata: x\n\ndata: next\n\n",
    );
    assert_eq!(
        items,
        [
            OwnedItem::NoData("5".into()),
            OwnedItem::Error(DecodeError::IdTooLong { limit: 32 }.to_string()),
            next_event("next", "5"),
        ]
    );
}

#[test]
fn an_overlong_id_with_nul_is_ignored_not_an_error_however_chunked() {
    // R24 wins over the limit: the verdict waits for the end of the line, so it
    // does not depend on where the chunks fall.
    let body = [
        b"id: 1\n\nid: ".as_slice(),
        &[b'7'; 100],
        b"\0\ndata: x\n\n",
    ]
    .concat();
    let whole = drive::decode_limited(&[&body], Limits::new().max_id(10));
    assert_eq!(
        whole.events(),
        drive::decode(b"id: 1\n\ndata: x\n\n", "").events()
    );
    for cut in 0..body.len() {
        let pieces = drive::split_at(&body, &[cut]);
        assert_eq!(
            drive::decode_limited(&pieces, Limits::new().max_id(10)),
            whole
        );
    }
}

#[test]
fn limit_is_on_decoded_text_and_chunking_does_not_matter() {
    // Each invalid byte becomes U+FFFD (3 bytes, R8): 3 bad bytes are 9 bytes of text.
    let body = b"data: \xFF\xFF\xFF\n\ndata: \xFF\xFF\n\ndata: abcdefgh\n\n";
    let limits = Limits::new().max_data(8);
    let whole = drive::decode_limited(&[body], limits);
    assert_eq!(
        whole.items,
        [
            OwnedItem::Error(DecodeError::DataTooLong { limit: 8 }.to_string()),
            next_event("\u{FFFD}\u{FFFD}", ""),
            next_event("abcdefgh", ""),
        ]
    );
    for cut in 0..body.len() {
        for cut2 in cut..body.len() {
            let pieces = drive::split_at(body, &[cut, cut2]);
            assert_eq!(
                drive::decode_limited(&pieces, limits),
                whole,
                "cuts {cut} {cut2}"
            );
        }
    }
}

#[test]
fn data_over_a_limit_below_the_capacity_is_caught_in_pieces_of_any_size() {
    // The limit is far below the buffer, so only the limit check can catch the
    // first event. The middle of a data line is copied one way from pieces
    // under 16 bytes and another from longer ones: every piece size up to the
    // whole body goes through one or both.
    let limits = Limits::new().max_data(10);
    let body = b"data: 0123456789abcdefghij0123456789\n\ndata: 0123456789\n\n";
    let expected = [
        OwnedItem::Error(DecodeError::DataTooLong { limit: 10 }.to_string()),
        next_event("0123456789", ""),
    ];
    for piece in 1..=body.len() {
        let pieces: Vec<&[u8]> = body.chunks(piece).collect();
        let outcome = drive::decode_limited(&pieces, limits);
        assert_eq!(outcome.items, expected, "{piece}-byte pieces");
    }
}

#[test]
fn data_exactly_at_the_limit_is_fine_one_more_byte_is_not() {
    // Lines joined with LF count (R23, R29).
    let limits = Limits::new().max_data(5);
    let ok = drive::decode_limited(&[b"data: ab\ndata: cd\n\n"], limits);
    assert_eq!(ok.items, [next_event("ab\ncd", "")]);
    let too_long = drive::decode_limited(&[b"data: ab\ndata: cde\n\ndata\n\n"], limits);
    assert_eq!(
        too_long.items,
        [
            OwnedItem::Error(DecodeError::DataTooLong { limit: 5 }.to_string()),
            next_event("", "")
        ]
    );
}

#[test]
fn retry_before_an_error_stays_in_effect_fields_after_it_are_skipped() {
    let limits = Limits::new().max_data(2);
    let outcome = drive::decode_limited(&[b"retry: 10\ndata: abc\nretry: 20\nid: 9\n\n"], limits);
    assert_eq!(
        outcome.items,
        [
            OwnedItem::Retry(10),
            OwnedItem::Error(DecodeError::DataTooLong { limit: 2 }.to_string())
        ]
    );
    assert_eq!(outcome.last_event_id, "");
}

#[test]
fn memory_is_the_fixed_size_of_the_decoder() {
    // Three ids, one type, one data buffer, and a few words of state.
    let size = size_of::<Decoder<InlineBuffers<1024, 32, 32>>>();
    assert!(size <= 1024 + 32 + 3 * 32 + 256, "decoder is {size} bytes");
    let size = size_of::<Decoder<InlineBuffers<0, 0, 0>>>();
    assert!(size <= 256, "empty decoder is {size} bytes");
}

#[test]
fn zero_capacity_decoder_still_dispatches_empty_data() {
    let mut decoder = Decoder::<InlineBuffers<0, 0, 0>>::new();
    let mut input = &b"data\n\ndata: x\n\nid\ndata:\n\n"[..];
    let mut seen = Vec::new();
    while let Some(item) = decoder.next(&mut input) {
        seen.push(match item {
            Ok(Item::Event(e)) => format!("event {:?}", e.data()),
            Ok(other) => format!("{other:?}"),
            Err(e) => format!("error {e}"),
        });
    }
    assert_eq!(
        seen,
        [
            "event \"\"",
            "error event data longer than the limit of 0 bytes",
            "event \"\""
        ]
    );
}

#[test]
fn a_block_failing_at_dispatch_commits_no_id_like_one_failing_early() {
    // Fuzz finding 1 (FUZZING.md): "\xFF\xFF" is 2 raw bytes but 6 decoded
    // (two U+FFFD), so its overflow is only known at the blank line. Either
    // way the failed block is skipped whole, its id included.
    let limits = Limits::new().max_data(4).max_event_type(4).max_id(4);
    let body =
        b"id: 1\ndata: \xFF\xFF\n\nid: 2\ndata: 12345\n\nevent: \xFF\xFF\ndata: y\n\ndata: ok\n\n";
    let outcome = drive::decode_limited(&[body], limits);
    assert_eq!(
        outcome.items,
        [
            OwnedItem::Error(DecodeError::DataTooLong { limit: 4 }.to_string()),
            OwnedItem::Error(DecodeError::DataTooLong { limit: 4 }.to_string()),
            OwnedItem::Error(DecodeError::EventTypeTooLong { limit: 4 }.to_string()),
            next_event("ok", ""),
        ]
    );
    assert_eq!(outcome.last_event_id, "");
    for cut in 0..body.len() {
        let pieces = drive::split_at(body, &[cut]);
        assert_eq!(drive::decode_limited(&pieces, limits), outcome, "cut {cut}");
    }
}

#[test]
fn set_last_event_id_takes_an_id_of_exactly_the_limit() {
    let mut decoder = Decoder::<InlineBuffers<16, 16, 8>>::new();
    assert_eq!(decoder.set_last_event_id("12345678"), Ok(()));
    assert_eq!(decoder.last_event_id(), "12345678");
    assert_eq!(
        decoder.set_last_event_id("123456789"),
        Err(DecodeError::IdTooLong { limit: 8 })
    );
    assert_eq!(decoder.last_event_id(), "12345678");
    // A limit lowered below the buffer, the same.
    decoder.set_limits(Limits::new().max_id(5));
    assert_eq!(decoder.set_last_event_id("abcde"), Ok(()));
    assert_eq!(
        decoder.set_last_event_id("abcdef"),
        Err(DecodeError::IdTooLong { limit: 5 })
    );
    assert_eq!(decoder.last_event_id(), "abcde");
}

#[test]
fn set_last_event_id_after_ids_were_committed_is_what_the_decoder_reports() {
    // Each committed id moves the last event ID to another of the three id
    // buffers; the id set by hand must be read back from whichever holds it.
    let mut decoder = Decoder::<InlineBuffers<16, 16, 8>>::new();
    for (round, id) in ["a", "bb", "ccc", "dddd"].into_iter().enumerate() {
        let body = format!("id: {round}\n\n");
        let mut input = body.as_bytes();
        while decoder.next(&mut input).is_some() {}
        assert_eq!(decoder.last_event_id(), round.to_string());
        decoder.set_last_event_id(id).unwrap();
        assert_eq!(decoder.last_event_id(), id);
        let mut input = &b"data: x\n\n"[..];
        let item = decoder.next(&mut input).unwrap().unwrap();
        assert_eq!(item.event().unwrap().last_event_id(), id);
    }
}

/// The items of `body` fed whole and in 1-byte pieces (they must agree).
fn items<S: sse_core::Storage + Clone>(decoder: &Decoder<S>, body: &[u8]) -> Vec<String> {
    let mut runs = [1, body.len()].map(|piece| {
        let mut decoder = decoder.clone();
        let mut out = Vec::new();
        for chunk in body.chunks(piece) {
            let mut input = chunk;
            while let Some(item) = decoder.next(&mut input) {
                out.push(match item {
                    Ok(Item::Event(e)) => {
                        format!("{}|{}|{}", e.event_type(), e.data(), e.last_event_id())
                    }
                    Ok(other) => format!("{other:?}"),
                    Err(error) => format!("{error}"),
                });
            }
        }
        out
    });
    assert_eq!(runs[0], runs[1], "{body:?}");
    std::mem::take(&mut runs[0])
}

#[test]
fn repaired_text_that_exactly_fills_its_buffer_is_kept_and_one_more_byte_is_an_error() {
    // Two invalid bytes become two U+FFFD, 6 bytes (R8).
    let fits = Decoder::<InlineBuffers<6, 6, 6>>::new();
    let over = Decoder::<InlineBuffers<5, 5, 5>>::new();
    let ff = "\u{FFFD}\u{FFFD}";
    let cases = [
        (
            &b"data: \xFF\xFF\n\n"[..],
            format!("message|{ff}|"),
            "event data",
        ),
        (
            b"event: \xFF\xFF\ndata\n\n",
            format!("{ff}||"),
            "event type",
        ),
        (
            b"id: \xFF\xFF\ndata\n\n",
            format!("message||{ff}"),
            "event id",
        ),
    ];
    for (body, kept, part) in cases {
        assert_eq!(items(&fits, body), [kept]);
        assert_eq!(
            items(&over, body),
            [format!("{part} longer than the limit of 5 bytes")]
        );
    }
    // The same with limits lowered below larger buffers.
    let lowered = Decoder::<InlineBuffers<64, 64, 64>>::new()
        .with_limits(Limits::new().max_data(6).max_event_type(6).max_id(6));
    assert_eq!(
        items(
            &lowered,
            b"event: \xFF\xFF\nid: \xFF\xFF\ndata: \xFF\xFF\n\n"
        ),
        [format!("{ff}|{ff}|{ff}")]
    );
    let lowered = lowered.with_limits(Limits::new().max_data(5));
    assert_eq!(
        items(&lowered, b"data: \xFF\xFF\n\ndata: ok\n\n"),
        ["event data longer than the limit of 5 bytes", "message|ok|"]
    );
}

#[test]
fn a_data_line_of_exactly_the_limit_is_kept_borrowed_or_copied() {
    let decoder = Decoder::<InlineBuffers<4>>::new();
    assert_eq!(items(&decoder, b"data: abcd\n\n"), ["message|abcd|"]);
    assert_eq!(
        items(&decoder, b"data: abcde\n\ndata: ok\n\n"),
        ["event data longer than the limit of 4 bytes", "message|ok|"]
    );
    assert_eq!(
        items(&decoder, b"data: ab\ndata: c\n\n"),
        ["message|ab\nc|"]
    );
    assert_eq!(
        items(&decoder, b"data: ab\ndata: cd\n\n"),
        ["event data longer than the limit of 4 bytes"]
    );
}
