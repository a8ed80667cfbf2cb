//! The crate's values as the `http` crate (the types hyper, reqwest and axum
//! use) takes and gives them: request headers into `HeaderValue`, a response's
//! `Content-Type` and a request's `Last-Event-ID` out of one.

use http::{HeaderMap, HeaderName, HeaderValue};
use sse_core::client::{Client, Output, Reconnect, is_event_stream};
use sse_core::{Decoder, InlineBuffers, parse_last_event_id};

/// Ids a client may send and `HeaderValue` takes: UTF-8 text without CR, LF
/// or NUL (R24, R39), and without the ASCII control characters other than
/// tab, which `HeaderValue` refuses (see the end of the first test).
const IDS: &[&str] = &[
    "7",
    "Grüße 7",
    "last-\u{1F3AF} id",
    "\u{80}\u{FFFD}",
    "tab\tinside",
];

fn client_with_id(id: &str) -> Client<InlineBuffers<64>> {
    let mut decoder = Decoder::<InlineBuffers<64>>::new();
    decoder.set_last_event_id(id).unwrap();
    Client::new(decoder, Reconnect::new())
}

/// What a host does with the request headers: put each into a `HeaderMap`.
fn header_map(client: &Client<InlineBuffers<64>>) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in client.request_headers().bytes() {
        let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
        let value = HeaderValue::from_bytes(value).unwrap();
        map.insert(name, value);
    }
    map
}

#[test]
fn every_last_event_id_fits_a_header_value_as_bytes() {
    for &id in IDS {
        let client = client_with_id(id);
        let map = header_map(&client);
        assert_eq!(map.len(), 3, "{id:?}");
        assert_eq!(map["accept"], "text/event-stream");
        assert_eq!(map["cache-control"], "no-cache");
        let sent = &map["last-event-id"];
        assert_eq!(sent.as_bytes(), id.as_bytes());
        // The server reads back exactly the id the client had.
        assert_eq!(parse_last_event_id(sent.as_bytes()), Some(id));
    }
    // Why the server reads bytes: `HeaderValue::to_str` gives visible ASCII
    // only.
    let map = header_map(&client_with_id("Grüße 7"));
    assert!(map["last-event-id"].to_str().is_err());
    assert_eq!(
        parse_last_event_id(map["last-event-id"].as_bytes()),
        Some("Grüße 7")
    );
    // The standard allows other control characters in an id; `HeaderValue`
    // refuses them from bytes too, and the host decides (send no header).
    let client = client_with_id("a\u{7F}b\u{1}");
    let (_, value) = client.request_headers().bytes().nth(2).unwrap();
    assert_eq!(value, b"a\x7Fb\x01");
    assert!(HeaderValue::from_bytes(value).is_err());
}

#[test]
fn the_byte_headers_are_the_str_headers() {
    for id in IDS.iter().copied().chain([""]) {
        let client = client_with_id(id);
        let text: Vec<(&str, &[u8])> = client
            .request_headers()
            .map(|(name, value)| (name, value.as_bytes()))
            .collect();
        let bytes: Vec<(&str, &[u8])> = client.request_headers().bytes().collect();
        assert_eq!(text, bytes);
        assert_eq!(bytes.len(), if id.is_empty() { 2 } else { 3 });
    }
}

#[test]
fn content_type_from_a_header_value() {
    for (value, ok) in [
        ("text/event-stream", true),
        ("text/event-stream;charset=UTF-8", true),
        ("TEXT/EVENT-STREAM ; charset=utf-8", true),
        ("text/event-stream\t", true),
        ("application/json", false),
        ("text/event-stream-x", false),
        ("event-stream", false),
    ] {
        let header = HeaderValue::from_static(value);
        assert_eq!(is_event_stream(header.as_bytes()), ok, "{value:?}");
        // The client decides the same with the same function.
        let mut client = client_with_id("1");
        assert_eq!(client.poll_output(), Some(Output::Connect));
        client.handle_response(200, Some(header.as_bytes()));
        assert_eq!(client.poll_output() == Some(Output::Open), ok, "{value:?}");
    }
}
