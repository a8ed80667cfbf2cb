//! Round trip: whatever the encoder is given, decoding its output yields exactly
//! the intended event (line breaks normalised to LF), or the encoder refused it
//! with an error and wrote nothing ("Encoder obligations" in `sse-core/SPEC.md`).
#![cfg(not(miri))]

use proptest::prelude::*;
use sse_core::{EncodeError, EventWriter, Message, encode, encode_comment, encoded_len};
use sse_core_tests::{OwnedEvent, OwnedItem, drive};

/// Text biased towards every line-break form, spaces, colons, NUL, BOM and
/// non-ASCII characters.
fn tricky_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\r".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just(" ".to_string()),
        Just(":".to_string()),
        Just("\0".to_string()),
        Just("\u{FEFF}".to_string()),
        Just("data: x".to_string()),
        Just("\u{2028}\u{85}\u{b}\u{c}".to_string()),
        "[a-z]{0,4}",
        any::<char>().prop_map(String::from),
        ".{0,3}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

fn normalise(data: &str) -> String {
    data.replace("\r\n", "\n").replace('\r', "\n")
}

fn decode_all(bytes: &[u8], initial_id: &str) -> Vec<OwnedItem> {
    drive::decode(bytes, initial_id).items
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_event_decodes_to_itself_or_is_refused(
        data in proptest::option::of(tricky_text()),
        event_type in proptest::option::of(tricky_text()),
        id in proptest::option::of(tricky_text()),
        retry in proptest::option::of(any::<u64>()),
        previous_id in "[a-z0-9]{0,4}",
    ) {
        let mut message = Message::new();
        if let Some(d) = &data { message = message.data(d); }
        if let Some(t) = &event_type { message = message.event_type(t); }
        if let Some(i) = &id { message = message.id(i); }
        if let Some(r) = retry { message = message.retry(r); }

        let mut buf = vec![0xAAu8; 4096];
        match encode(&message, &mut buf) {
            Err(error) => {
                prop_assert!(buf.iter().all(|&b| b == 0xAA), "wrote on error");
                let bad_type = event_type.as_deref().is_some_and(|t| t.contains(['\r', '\n']));
                let bad_id = id.as_deref().is_some_and(|i| i.contains(['\r', '\n', '\0']));
                prop_assert!(bad_type || bad_id, "refused a valid event: {error}");
                prop_assert!(matches!(error,
                    EncodeError::EventTypeHasLineBreak | EncodeError::IdHasLineBreak | EncodeError::IdContainsNul));
            }
            Ok(n) => {
                prop_assert_eq!(Ok(n), encoded_len(&message));
                let bytes = &buf[..n];
                prop_assert!(!bytes.starts_with(b"\xEF\xBB\xBF"), "wrote a BOM");
                let last_id = id.clone().unwrap_or_else(|| previous_id.clone());
                let mut expected = Vec::new();
                if let Some(r) = retry { expected.push(OwnedItem::Retry(r)); }
                match &data {
                    Some(d) => expected.push(OwnedItem::Event(OwnedEvent {
                        event_type: match event_type.as_deref() {
                            None | Some("") => "message".into(),
                            Some(t) => t.to_owned().into(),
                        },
                        data: normalise(d),
                        last_event_id: last_id.clone(),
                    })),
                    None if n > 0 => expected.push(OwnedItem::NoData(last_id.clone())),
                    None => {}
                }
                let outcome = drive::decode(bytes, &previous_id);
                prop_assert_eq!(&outcome.items, &expected);
                prop_assert_eq!(&outcome.last_event_id, &last_id);
                prop_assert!(!outcome.discarded);
            }
        }
    }

    #[test]
    fn event_writer_equals_one_shot_for_any_pieces(
        data in tricky_text(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let header = Message::new().event_type("t").id("9");
        let mut whole = vec![0u8; 4096];
        let n = encode(&header.data(&data), &mut whole).unwrap();
        let mut bounds: Vec<usize> = cuts.iter().map(|c| c.index(data.len() + 1)).collect();
        bounds.retain(|&b| data.is_char_boundary(b));
        bounds.sort_unstable();
        let mut sink = heapless::Vec::<u8, 4096>::new();
        let mut writer = EventWriter::begin(&header, &mut sink).unwrap();
        let mut start = 0;
        for b in bounds.into_iter().chain([data.len()]) {
            writer.write(&data[start..b], &mut sink).unwrap();
            start = b;
        }
        writer.finish(&mut sink).unwrap();
        prop_assert_eq!(&sink[..], &whole[..n]);
    }

    #[test]
    fn comments_never_decode_to_anything(text in tricky_text()) {
        let mut sink = heapless::Vec::<u8, 4096>::new();
        encode_comment(&text, &mut sink).unwrap();
        sink.extend_from_slice(b"data: after\n\n").unwrap();
        let items = decode_all(&sink, "");
        prop_assert_eq!(items, vec![OwnedItem::Event(OwnedEvent {
            event_type: "message".into(), data: "after".into(), last_event_id: String::new() })]);
    }
}

#[test]
fn a_too_small_buffer_reports_the_exact_size_and_stays_untouched() {
    let message = Message::new().event_type("e").id("1").retry(5).data("a\nb");
    let need = encoded_len(&message).unwrap();
    for size in 0..need {
        let mut buf = vec![0x55u8; size];
        assert_eq!(
            encode(&message, &mut buf),
            Err(EncodeError::BufferTooSmall { required: need })
        );
        assert!(buf.iter().all(|&b| b == 0x55));
    }
    let mut buf = vec![0u8; need];
    assert_eq!(encode(&message, &mut buf), Ok(need));
}
