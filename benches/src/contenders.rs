//! Every decoder under test, driven through its public API as its users do.
//!
//! Sans-IO decoders are fed `&[u8]` pieces of the body. Stream-based decoders
//! get a `futures` stream of [`Bytes`] pieces (cloning a [`Bytes`] is a
//! reference-count increment), polled with `futures::executor::block_on`.

use std::convert::Infallible;
use std::hint::black_box;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use futures::StreamExt;
use sse_core::field::{FieldName, FieldParser, Token};
use sse_core::{Decoder, InlineBuffers, Item, Limits, SliceBuffers, Storage};

use crate::Sink;

/// A body cut into pieces of a fixed size, as a network would deliver it.
#[derive(Debug)]
pub struct Input {
    bytes: Bytes,
    piece: usize,
    pieces: OnceLock<Arc<[Bytes]>>,
}

impl Input {
    /// `bytes` delivered in pieces of `piece` bytes (the last may be shorter).
    pub fn new(bytes: impl Into<Bytes>, piece: usize) -> Self {
        assert!(piece > 0);
        Self {
            bytes: bytes.into(),
            piece,
            pieces: OnceLock::new(),
        }
    }

    /// The whole body.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The piece size.
    pub const fn piece(&self) -> usize {
        self.piece
    }

    /// The pieces as borrowed slices.
    pub fn slices(&self) -> std::slice::Chunks<'_, u8> {
        self.bytes.chunks(self.piece)
    }

    /// The pieces as [`Bytes`] (made once, on first use).
    pub fn pieces(&self) -> &Arc<[Bytes]> {
        self.pieces.get_or_init(|| {
            (0..self.bytes.len())
                .step_by(self.piece)
                .map(|at| self.bytes.slice(at..self.bytes.len().min(at + self.piece)))
                .collect()
        })
    }

    /// A `futures` stream of the pieces, as an HTTP client would yield them.
    pub fn stream(
        &self,
    ) -> impl futures::Stream<Item = Result<Bytes, Infallible>> + Send + Sync + Unpin + 'static
    {
        let pieces = Arc::clone(self.pieces());
        futures::stream::iter((0..pieces.len()).map(move |i| Ok(pieces[i].clone())))
    }
}

/// Polls `stream` to its end on this thread (`futures::executor::block_on`),
/// handing each item to `each`: how the stream-based peers are driven.
fn each_item<St: futures::Stream + Unpin>(mut stream: St, mut each: impl FnMut(St::Item)) {
    futures::executor::block_on(async {
        while let Some(item) = stream.next().await {
            each(item);
        }
    });
}

/// A decoder under test.
pub trait Contender {
    /// The name shown in reports.
    fn name(&self) -> &'static str;

    /// Decodes the whole of `input`, reporting every event to `sink`.
    fn run<S: Sink>(&mut self, input: &Input, sink: &mut S);
}

impl<C: Contender> Contender for &mut C {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn run<S: Sink>(&mut self, input: &Input, sink: &mut S) {
        (**self).run(input, sink);
    }
}

/// A timing sink: counts events and keeps their strings alive through
/// [`black_box`], so no contender can skip producing them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counter {
    /// Events seen.
    pub events: u64,
}

impl Sink for Counter {
    #[inline]
    fn event(&mut self, event_type: &str, data: &str, id: &str) {
        self.events += 1;
        black_box((event_type, data, id));
    }
}

/// `"message"` for an absent or empty event type (the standard's default).
fn event_type(t: Option<&str>) -> &str {
    match t {
        Some(t) if !t.is_empty() => t,
        _ => "message",
    }
}

/// Capacity of [`Ours`]'s data buffer: 512 KiB.
pub const DATA_CAPACITY: usize = 1 << 19;

/// Our event layer: `sse_core::Decoder` with 512 KiB of inline buffers, boxed.
/// The decoder is made once and reused across bodies, as `finish` allows.
pub struct Ours {
    decoder: Box<Decoder<InlineBuffers<DATA_CAPACITY>>>,
}

impl Default for Ours {
    fn default() -> Self {
        Self::new()
    }
}

impl Ours {
    /// A decoder with 512 KiB of data capacity.
    pub fn new() -> Self {
        Self {
            decoder: Box::new(Decoder::new()),
        }
    }
}

/// Feeds every piece of `input` to `decoder`, then ends the body.
fn drive<St: Storage, S: Sink>(decoder: &mut Decoder<St>, input: &Input, sink: &mut S) {
    // Every body starts with an empty last event ID, as the peers' fresh decoders do.
    decoder.set_last_event_id("").expect("empty id is valid");
    for piece in input.slices() {
        let mut rest = piece;
        while let Some(item) = decoder.next(&mut rest) {
            match item {
                Ok(Item::Event(event)) => {
                    sink.event(event.event_type(), event.data(), event.last_event_id());
                }
                Ok(_) => {}
                Err(error) => panic!("sse-core: {error}"),
            }
        }
    }
    let _ = decoder.finish();
}

impl Contender for Ours {
    fn name(&self) -> &'static str {
        "ours-event"
    }

    fn run<S: Sink>(&mut self, input: &Input, sink: &mut S) {
        drive(&mut self.decoder, input, sink);
    }
}

/// Our client adapter (feature `stream`): `EventStream` over a stream of
/// [`Bytes`] pieces, handing out owned items, as an async client uses it.
#[derive(Clone, Copy, Debug, Default)]
pub struct OursStream;

impl Contender for OursStream {
    fn name(&self) -> &'static str {
        "ours-stream"
    }

    fn run<S: Sink>(&mut self, input: &Input, sink: &mut S) {
        use sse_core::stream::SseStreamExt;
        let limits = Limits::new()
            .max_data(DATA_CAPACITY)
            .max_event_type(64)
            .max_id(128);
        each_item(input.stream().sse_events().with_limits(limits), |item| {
            if let sse_core::OwnedItem::Event(event) = item.expect("sse-core stream") {
                sink.event(&event.event_type, &event.data, &event.last_event_id);
            }
        });
    }
}

/// Our event layer over caller-supplied heap memory (`SliceBuffers`), for
/// events larger than [`Ours`] holds (W6).
pub struct OursSlice {
    memory: Vec<u8>,
}

impl OursSlice {
    /// A decoder over `data` bytes of data buffer (plus type and id buffers).
    pub fn new(data: usize) -> Self {
        Self {
            memory: vec![0; data + 64 + 3 * 64],
        }
    }
}

impl Contender for OursSlice {
    fn name(&self) -> &'static str {
        "ours-event"
    }

    fn run<S: Sink>(&mut self, input: &Input, sink: &mut S) {
        let limits = Limits::new().max_event_type(64).max_id(64);
        let storage = SliceBuffers::new(&mut self.memory, limits).expect("memory fits the limits");
        drive(&mut Decoder::with_storage(storage), input, sink);
    }
}

/// Our field layer alone: `sse_core::field::FieldParser` over the pieces.
///
/// Returns the number of events (blank lines after data) and their data length
/// (value bytes plus the LFs joining data lines), which is all the field layer
/// can tell without buffering.
pub fn field_layer(input: &Input) -> (u64, u64) {
    let mut parser = FieldParser::new();
    let (mut events, mut data_bytes) = (0, 0);
    let mut block: Option<u64> = None;
    let mut line_start = true;
    for piece in input.slices() {
        let mut rest = piece;
        while let Some(token) = parser.next_token(&mut rest) {
            match token {
                Token::Value(value) => {
                    if value.name == FieldName::Data {
                        let len = match (&mut block, line_start) {
                            (Some(len), true) => {
                                *len += 1;
                                len
                            }
                            (block, _) => block.get_or_insert(0),
                        };
                        *len += value.bytes.len() as u64;
                    }
                    line_start = value.end_of_line;
                }
                Token::BlankLine => {
                    if let Some(len) = block.take() {
                        events += 1;
                        data_bytes += len;
                    }
                }
            }
        }
    }
    let _ = parser.finish();
    (events, data_bytes)
}

/// `sse-stream` 0.3: `SseByteStream` over a stream of `Bytes`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SseStream;

impl Contender for SseStream {
    fn name(&self) -> &'static str {
        "sse-stream"
    }

    fn run<S: Sink>(&mut self, input: &Input, sink: &mut S) {
        each_item(sse_stream::SseByteStream::new(input.stream()), |block| {
            let block = block.expect("sse-stream");
            // Blocks without data (metadata only) are not events.
            if let Some(data) = &block.data {
                sink.event(
                    event_type(block.event.as_deref()),
                    data,
                    block.id.as_deref().unwrap_or(""),
                );
            }
        });
    }
}

/// `eventsource-stream` 0.2 (what `reqwest-eventsource` uses): the
/// `Eventsource` extension on a stream of `Bytes`.
#[derive(Clone, Copy, Debug, Default)]
pub struct EventsourceStream;

impl Contender for EventsourceStream {
    fn name(&self) -> &'static str {
        "eventsource-stream"
    }

    fn run<S: Sink>(&mut self, input: &Input, sink: &mut S) {
        use eventsource_stream::Eventsource;
        each_item(input.stream().eventsource(), |event| {
            let event = event.expect("eventsource-stream");
            sink.event(&event.event, &event.data, &event.id);
        });
    }
}

/// The crates.io `sse-core` 0.2 (another author): its sans-IO `SseDecoder`.
#[derive(Clone, Copy, Debug, Default)]
pub struct PbSseCore;

impl Contender for PbSseCore {
    fn name(&self) -> &'static str {
        "sse-core-0.2"
    }

    fn run<S: Sink>(&mut self, input: &Input, sink: &mut S) {
        let mut decoder = pb_sse_core::SseDecoder::new();
        for piece in input.slices() {
            let mut buf = piece;
            while let Some(event) = decoder.next(&mut buf) {
                match event.expect("sse-core 0.2") {
                    pb_sse_core::SseEvent::Message(message) => sink.event(
                        &message.event,
                        &message.data,
                        message.last_event_id.as_deref().unwrap_or(""),
                    ),
                    pb_sse_core::SseEvent::Retry(_) => {}
                }
            }
        }
    }
}

/// `sse-parse` 0.1: its sans-IO `SseParser` (`feed`, then `next_event`).
#[derive(Clone, Copy, Debug, Default)]
pub struct SseParse;

impl Contender for SseParse {
    fn name(&self) -> &'static str {
        "sse-parse"
    }

    fn run<S: Sink>(&mut self, input: &Input, sink: &mut S) {
        let mut parser = sse_parse::SseParser::new();
        for piece in input.slices() {
            parser.feed(piece);
            while let Some(event) = parser.next_event() {
                sink.event(&event.event, &event.data, &event.id);
            }
        }
        parser.finish();
        while let Some(event) = parser.next_event() {
            sink.event(&event.event, &event.data, &event.id);
        }
    }
}

/// `sseer` 0.3: its `EventStream` over a stream of `Bytes` (a data line that
/// lies whole in a piece is handed out as a slice of it, without a copy).
#[derive(Clone, Copy, Debug, Default)]
pub struct Sseer;

impl Contender for Sseer {
    fn name(&self) -> &'static str {
        "sseer"
    }

    fn run<S: Sink>(&mut self, input: &Input, sink: &mut S) {
        each_item(
            sseer::event_stream::EventStream::new(input.stream()),
            |event| {
                let event = event.expect("sseer");
                sink.event(&event.event, &event.data, &event.id);
            },
        );
    }
}

/// `russe` 0.3 (from actix-web-lab): its `tokio_util` codec, fed as
/// `FramedRead` feeds it (each piece appended to a `BytesMut`, then
/// `decode` until it has no more events, `decode_eof` at the end).
#[derive(Clone, Copy, Debug, Default)]
pub struct Russe;

impl Contender for Russe {
    fn name(&self) -> &'static str {
        "russe"
    }

    fn run<S: Sink>(&mut self, input: &Input, sink: &mut S) {
        use tokio_util::codec::Decoder as _;
        let mut decoder = russe::Decoder::default();
        let mut buf = bytes::BytesMut::new();
        let mut report = |event: russe::Event| {
            // Comments and `retry` come as events of their own.
            if let russe::Event::Message(message) = event {
                sink.event(
                    event_type(message.event.as_deref()),
                    &message.data,
                    message.id.as_deref().unwrap_or(""),
                );
            }
        };
        for piece in input.slices() {
            buf.extend_from_slice(piece);
            while let Some(event) = decoder.decode(&mut buf).expect("russe") {
                report(event);
            }
        }
        while let Some(event) = decoder.decode_eof(&mut buf).expect("russe") {
            report(event);
        }
    }
}

/// `eventsource-client` 0.18 (LaunchDarkly). Its parser is private, so the
/// whole client runs, over an in-memory `HttpTransport` that answers with the
/// pieces, reconnection off.
#[derive(Clone, Copy, Debug, Default)]
pub struct EventsourceClient;

/// An `HttpTransport` answering every request with 200 and the given pieces.
#[derive(Clone)]
struct MemoryTransport {
    pieces: Arc<[Bytes]>,
}

impl launchdarkly_sdk_transport::HttpTransport for MemoryTransport {
    fn request(
        &self,
        _request: http::Request<Option<Bytes>>,
    ) -> launchdarkly_sdk_transport::ResponseFuture {
        let pieces = Arc::clone(&self.pieces);
        let body: launchdarkly_sdk_transport::ByteStream = Box::pin(futures::stream::iter(
            (0..pieces.len()).map(move |i| Ok(pieces[i].clone())),
        ));
        let response = http::Response::builder()
            .status(200)
            .header("content-type", "text/event-stream")
            .body(body)
            .expect("valid response");
        Box::pin(futures::future::ready(Ok(response)))
    }
}

impl Contender for EventsourceClient {
    fn name(&self) -> &'static str {
        "eventsource-client"
    }

    fn run<S: Sink>(&mut self, input: &Input, sink: &mut S) {
        use eventsource_client::{Client, ClientBuilder, ReconnectOptions, SSE};
        let client = ClientBuilder::for_url("http://127.0.0.1/events")
            .expect("valid url")
            .reconnect(ReconnectOptions::reconnect(false).build())
            .build_with_transport(MemoryTransport {
                pieces: Arc::clone(input.pieces()),
            });
        each_item(client.stream(), |item| match item {
            Ok(SSE::Event(event)) => sink.event(
                &event.event_type,
                &event.data,
                event.id.as_deref().unwrap_or(""),
            ),
            Ok(SSE::Connected(_) | SSE::Comment(_)) => {}
            // The end of the body, reported as an error; the stream ends next.
            Err(eventsource_client::Error::Eof) => {}
            Err(error) => panic!("eventsource-client: {error}"),
        });
    }
}

/// The floor: the simplest decoder a user would write in about 50 lines.
/// `memchr2` finds line ends, a line split across pieces is copied into a
/// buffer, values are copied into the event's buffers, and UTF-8 is checked
/// with `simdutf8` once per event. No limits, no comment or BOM handling
/// (a comment is a field with an empty name), `retry` read but not reported.
#[derive(Debug, Default)]
pub struct Naive {
    line: Vec<u8>,
    data: Vec<u8>,
    event_type: Vec<u8>,
    id: Vec<u8>,
    has_data: bool,
    after_cr: bool,
    retry: Option<u64>,
}

/// Valid UTF-8 as is, anything else with U+FFFD replacement.
fn naive_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => text.into(),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

impl Naive {
    fn process<S: Sink>(&mut self, line: &[u8], sink: &mut S) {
        if line.is_empty() {
            if self.has_data {
                let event_type = naive_text(&self.event_type);
                let event_type = if event_type.is_empty() {
                    "message"
                } else {
                    &event_type
                };
                sink.event(event_type, &naive_text(&self.data), &naive_text(&self.id));
            }
            self.data.clear();
            self.event_type.clear();
            self.has_data = false;
            return;
        }
        let (name, value) = match memchr::memchr(b':', line) {
            Some(colon) => (&line[..colon], &line[colon + 1..]),
            None => (line, &[][..]),
        };
        let value = value.strip_prefix(b" ").unwrap_or(value);
        match name {
            b"data" => {
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            b"event" => {
                self.event_type.clear();
                self.event_type.extend_from_slice(value);
            }
            b"id" if !value.contains(&0) => {
                self.id.clear();
                self.id.extend_from_slice(value);
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                self.retry = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
            }
            _ => {}
        }
    }
}

impl Contender for Naive {
    fn name(&self) -> &'static str {
        "naive"
    }

    fn run<S: Sink>(&mut self, input: &Input, sink: &mut S) {
        *self = Self::default();
        for piece in input.slices() {
            let mut rest = piece;
            if self.after_cr && rest.first() == Some(&b'\n') {
                rest = &rest[1..];
            }
            self.after_cr = false;
            while let Some(end) = memchr::memchr2(b'\r', b'\n', rest) {
                let mut line = std::mem::take(&mut self.line);
                if line.is_empty() {
                    self.process(&rest[..end], sink);
                } else {
                    line.extend_from_slice(&rest[..end]);
                    self.process(&line, sink);
                    line.clear();
                }
                self.line = line;
                let crlf = rest[end] == b'\r' && rest.get(end + 1) == Some(&b'\n');
                self.after_cr = rest[end] == b'\r' && end + 1 == rest.len();
                rest = &rest[end + 1 + usize::from(crlf)..];
            }
            self.line.extend_from_slice(rest);
        }
    }
}

/// Baseline: count CR and LF bytes with `memchr2_iter`, the least a line
/// splitter must do.
pub fn memchr2_count(input: &Input) -> usize {
    memchr::memchr2_iter(b'\r', b'\n', input.bytes()).count()
}

/// Baseline: copy the body into `dest` (as long as the body).
pub fn memcpy(input: &Input, dest: &mut [u8]) {
    dest.copy_from_slice(input.bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_the_body() {
        let input = Input::new(b"0123456789".to_vec(), 4);
        let pieces: Vec<&[u8]> = input.pieces().iter().map(|b| &b[..]).collect();
        assert_eq!(pieces, [&b"0123"[..], b"4567", b"89"]);
        assert_eq!(input.slices().count(), 3);
    }
}
