//! The `codec` example's `tokio_util::codec::Decoder`: driven by hand with
//! bodies in every split and in random pieces (the same items as decoding
//! the body at once), through `FramedRead`, and its `main`'s loop against a
//! server on loopback.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};
use sse_core::{DecodeError, Decoder, HeapBuffers, Item, Limits, OwnedEvent, OwnedItem};
use tokio::io::AsyncWriteExt;
use tokio_util::bytes::BytesMut;
use tokio_util::codec::{Decoder as _, FramedRead};

#[path = "../codec.rs"]
#[allow(dead_code)] // the example's `main` and its arguments
mod codec;
use codec::SseCodec;

type Decoded = Result<OwnedItem, DecodeError>;

/// How long any one test may take before it fails.
const WATCHDOG: Duration = Duration::from_secs(60);

/// Every kind of input: a BOM, CR, LF and CRLF, comments, `retry`, an
/// id-only block, data over the limit, invalid UTF-8 and an event cut off.
const BODY: &[u8] =
    b"\xEF\xBB\xBFretry: 1500\r\n: ping\r\nid: 1\nevent: token\ndata: Hello\rdata:  world\n\n\
id: 2\n\ndata: 0123456789abcdef\n\nevent: e\ndata: \xFFx\xF0\x9F\x98\x80\n\ndata\n\n\
id: 3\ndata: cut off";

fn limits() -> Limits {
    Limits::new().max_data(12).max_event_type(8).max_id(8)
}

fn event(event_type: &str, data: &str, id: &str) -> Decoded {
    Ok(OwnedItem::Event(OwnedEvent {
        event_type: event_type.into(),
        data: data.into(),
        last_event_id: id.into(),
    }))
}

/// The body decoded at once by sse-core's own decoder.
fn one_shot(body: &[u8], limits: Limits) -> Vec<Decoded> {
    let mut decoder = Decoder::with_storage(HeapBuffers::new(limits));
    let mut input = body;
    let mut items = Vec::new();
    while let Some(item) = decoder.next(&mut input) {
        items.push(item.map(Item::into_owned));
    }
    let _ = decoder.finish();
    items
}

/// The pieces fed to the codec as `FramedRead` feeds it: `decode` until
/// `None` after each piece, then `decode_eof` until `None`.
fn through_codec<'a>(pieces: impl IntoIterator<Item = &'a [u8]>, limits: Limits) -> Vec<Decoded> {
    let mut codec = SseCodec::new(limits);
    let mut src = BytesMut::new();
    let mut items = Vec::new();
    for piece in pieces {
        src.extend_from_slice(piece);
        while let Some(item) = codec.decode(&mut src).unwrap() {
            items.push(item);
        }
        assert!(src.is_empty(), "`None` leaves nothing in `src`");
    }
    while let Some(item) = codec.decode_eof(&mut src).unwrap() {
        items.push(item);
    }
    items
}

#[test]
fn the_sample_body_gives_these_items() {
    assert_eq!(
        one_shot(BODY, limits()),
        [
            Ok(OwnedItem::Retry(1500)),
            event("token", "Hello\n world", "1"),
            Ok(OwnedItem::NoData {
                last_event_id: "2".into()
            }),
            Err(DecodeError::DataTooLong { limit: 12 }),
            event("e", "\u{FFFD}x\u{1F600}", "2"),
            event("message", "", "2"),
        ]
    );
}

#[test]
fn every_split_and_random_pieces_give_the_one_shot_items() {
    let sample = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/data/chat.sse"))
        .expect("the sample stream");
    for body in [BODY, &sample] {
        let expected = one_shot(body, limits());
        assert_eq!(through_codec([body], limits()), expected, "at once");
        assert_eq!(
            through_codec(body.chunks(1), limits()),
            expected,
            "a byte at a time"
        );
        for at in 0..=body.len() {
            let (a, b) = body.split_at(at);
            assert_eq!(through_codec([a, b], limits()), expected, "split at {at}");
        }
        // xorshift64: random pieces of 1 to 32 bytes, the same on every run.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for round in 0..200 {
            let mut rest = body;
            let mut pieces = Vec::new();
            while !rest.is_empty() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let (piece, tail) = rest.split_at((state % 32 + 1).min(rest.len() as u64) as usize);
                pieces.push(piece);
                rest = tail;
            }
            assert_eq!(through_codec(pieces, limits()), expected, "round {round}");
        }
    }
}

#[test]
fn decoding_goes_on_after_a_limit_error() {
    let body = b"data: 0123456789\n\ndata: fits\n\n";
    let expected = [
        Err(DecodeError::DataTooLong { limit: 4 }),
        event("message", "fits", ""),
    ];
    let limits = Limits::new().max_data(4);
    for at in 0..=body.len() {
        let (a, b) = body.split_at(at);
        assert_eq!(through_codec([a, b], limits), expected, "split at {at}");
    }
}

#[test]
fn decode_eof_discards_an_incomplete_event_and_the_next_body_starts_afresh() {
    let mut codec = SseCodec::new(limits());
    let mut src = BytesMut::from(&b"id: 1\ndata: a\n\nid: 2\ndata: cut"[..]);
    // Without a `decode` first, as after the last read.
    assert_eq!(
        codec.decode_eof(&mut src).unwrap(),
        Some(event("message", "a", "1"))
    );
    assert_eq!(codec.decode_eof(&mut src).unwrap(), None);
    assert!(src.is_empty());
    // A new body: neither `cut` nor id 2 carries over, the last event ID does.
    src.extend_from_slice(b"\xEF\xBB\xBF\ndata: b\n\n");
    assert_eq!(
        codec.decode(&mut src).unwrap(),
        Some(event("message", "b", "1"))
    );
    assert_eq!(codec.decode_eof(&mut src).unwrap(), None);
}

#[tokio::test]
async fn framed_read_goes_on_after_a_limit_error_without_more_input() {
    let (mut writer, reader) = tokio::io::duplex(1024);
    let codec = SseCodec::new(Limits::new().max_data(4));
    let mut items = FramedRead::new(reader, codec);
    let read = async {
        writer
            .write_all(b"data: 0123456789\n\ndata: fits\n\n")
            .await
            .unwrap();
        // The writer stays open: `fits` must come from what was read already.
        let first = futures_util::StreamExt::next(&mut items).await;
        let second = futures_util::StreamExt::next(&mut items).await;
        (first.unwrap().unwrap(), second.unwrap().unwrap())
    };
    let (first, second) = tokio::time::timeout(WATCHDOG, read)
        .await
        .expect("both items within the watchdog");
    assert_eq!(first, Err(DecodeError::DataTooLong { limit: 4 }));
    assert_eq!(second, event("message", "fits", ""));
    drop(writer);
    assert!(futures_util::StreamExt::next(&mut items).await.is_none());
}

/// Serves one request on loopback: `status`, then the body in 7-byte writes.
/// Returns the address and what the request was.
fn serve(status: &'static str, body: &'static [u8]) -> (String, thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/stream", listener.local_addr().unwrap());
    let server = thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut byte = [0u8];
        while !request.ends_with(b"\r\n\r\n") {
            socket.read_exact(&mut byte).unwrap();
            request.push(byte[0]);
        }
        let head = format!(
            "HTTP/1.1 {status}\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
        );
        socket.write_all(head.as_bytes()).unwrap();
        for piece in body.chunks(7) {
            // The client may hang up first on an error status.
            if socket
                .write_all(piece)
                .and_then(|()| socket.flush())
                .is_err()
            {
                break;
            }
        }
        String::from_utf8(request).unwrap()
    });
    (url, server)
}

#[tokio::test]
async fn main_prints_a_json_line_per_item_of_a_response() {
    let (url, server) = serve("200 OK", BODY);
    let mut out = Vec::new();
    let printed = tokio::time::timeout(WATCHDOG, codec::print_items(&url, 12, &mut out));
    printed.await.expect("the watchdog").unwrap();
    let request = server.join().unwrap().to_ascii_lowercase();
    assert!(request.starts_with("get /stream "), "{request}");
    assert!(
        request.contains("\r\naccept: text/event-stream\r\n"),
        "{request}"
    );
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let event = |t: &str, d: &str, id: &str| json!({"type": t, "data": d, "last_event_id": id});
    assert_eq!(
        lines,
        [
            json!({"retry": 1500}),
            event("token", "Hello\n world", "1"),
            json!({"error": DecodeError::DataTooLong { limit: 12 }.to_string()}),
            event("e", "\u{FFFD}x\u{1F600}", "2"),
            event("message", "", "2"),
        ]
    );

    let (url, server) = serve("404 Not Found", b"data: not a stream\n\n");
    let mut out = Vec::new();
    let printed = tokio::time::timeout(WATCHDOG, codec::print_items(&url, 12, &mut out));
    let error = printed.await.expect("the watchdog").unwrap_err();
    assert!(error.to_string().contains("404"), "{error}");
    assert!(out.is_empty());
    server.join().unwrap();
}
