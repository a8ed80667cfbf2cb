//! Exact, `no_std`, zero-allocation, sans-IO Server-Sent Events (`text/event-stream`).
//!
//! This crate implements the wire format of the WHATWG HTML standard's
//! server-sent events: a decoder that turns response body bytes into events
//! exactly as a browser's `EventSource` would, with no heap, no I/O and no
//! clock. It is meant to be wrapped: by HTTP clients and servers, by embedded
//! firmware, by fuzzers and benchmarks.
//!
//! Rule numbers in this documentation (R1-R55 for the standard's rules,
//! D1-D15 for known divergences) refer to the [`rules`] page: each rule in a
//! sentence or two with a link to the standard's section, and what this crate
//! chooses where the standard is silent.
//!
//! # Example: decode a stream
//!
//! Feed chunks as they arrive; each call hands out what is complete.
//!
//! ```
//! use sse_core::{Decoder, InlineBuffers, Item};
//!
//! // Up to 4 KiB of data per event, held inline: no heap.
//! let mut decoder = Decoder::<InlineBuffers<4096>>::new();
//! let body: [&[u8]; 3] = [b"retry: 5000\nid: 1\nda", b"ta: hello\n", b"data: world\n\n: ping\n\n"];
//! let mut events = 0;
//! for chunk in body {
//!     let mut input = chunk;
//!     while let Some(item) = decoder.next(&mut input) {
//!         match item {
//!             Ok(Item::Event(event)) => {
//!                 assert_eq!(event.event_type(), "message");
//!                 assert_eq!(event.data(), "hello\nworld");
//!                 assert_eq!(event.last_event_id(), "1");
//!                 events += 1;
//!             }
//!             Ok(Item::Retry(ms)) => assert_eq!(ms, 5000),
//!             Ok(_) => {}
//!             Err(error) => eprintln!("skipped an event: {error}"),
//!         }
//!     }
//! }
//! // At the end of the body, an incomplete event is discarded (R34).
//! let _ = decoder.finish();
//! assert_eq!(events, 1);
//! assert_eq!(decoder.last_event_id(), "1"); // send as `Last-Event-ID` on reconnection
//! ```
//!
//! # Example: stream a huge value through the field layer
//!
//! The [`field`] layer hands out value pieces borrowed from the input and keeps
//! a few bytes of state, so a value of any size streams through in constant
//! memory.
//!
//! ```
//! use sse_core::field::{FieldName, FieldParser, Token};
//!
//! let mut parser = FieldParser::new();
//! let mut firmware_bytes = 0;
//! for chunk in [&b"event: firmware\ndata: 0123"[..], b"456789", b"abcdef\n\n"] {
//!     let mut input = chunk;
//!     while let Some(token) = parser.next_token(&mut input) {
//!         if let Token::Value(value) = token {
//!             if value.name == FieldName::Data {
//!                 firmware_bytes += value.bytes.len(); // write to flash here
//!             }
//!         }
//!     }
//! }
//! assert_eq!(firmware_bytes, 16);
//! ```
//!
//! # Example: buffers from a caller slice
//!
//! ```
//! use sse_core::{Decoder, Limits, SliceBuffers};
//!
//! let mut memory = [0u8; 2048];
//! let limits = Limits::new().max_event_type(32).max_id(64).max_data(1024);
//! let mut decoder = Decoder::with_storage(SliceBuffers::new(&mut memory, limits)?);
//! let mut input = &b"event: update\ndata: {}\n\n"[..];
//! let item = decoder.next(&mut input).unwrap()?;
//! assert_eq!(item.event().unwrap().event_type(), "update");
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```
//!
//! # Example: encode events
//!
//! The encoder writes the exact bytes into any buffer, splits data at line
//! breaks, and refuses (with nothing written) what would inject a field.
//!
//! ```
//! use sse_core::{EncodeError, EventWriter, Message, encode, encoded_len};
//!
//! let message = Message::new().event_type("token").id("7").data("Hello,\r\n world");
//! let mut buf = [0u8; 64];
//! assert_eq!(encoded_len(&message), Ok(46));
//! let n = encode(&message, &mut buf)?;
//! assert_eq!(&buf[..n], b"event: token\nid: 7\ndata: Hello,\ndata:  world\n\n");
//!
//! let forged = Message::new().id("7\ndata: forged").data("x");
//! assert_eq!(encode(&forged, &mut buf), Err(EncodeError::IdHasLineBreak));
//!
//! // A payload larger than the buffer goes out in pieces, flushed in between.
//! let mut out: heapless::Vec<u8, 64> = heapless::Vec::new();
//! let mut writer = EventWriter::begin(&Message::new().event_type("blob"), &mut out)?;
//! for piece in ["0123", "4567"] {
//!     writer.write(piece, &mut out)?; // then send `out` and clear it
//! }
//! writer.finish(&mut out)?;
//! assert_eq!(&out[..], b"event: blob\ndata: 01234567\n\n");
//! # Ok::<(), EncodeError>(())
//! ```
//!
//! # Example: drive a client
//!
//! [`client::Client`] is the `EventSource` state machine; the host does the
//! HTTP and passes the time. Its [module documentation](client) has the full
//! run loop.
//!
//! ```
//! use sse_core::client::{Client, Output, Reconnect};
//! use sse_core::{Decoder, InlineBuffers, Instant};
//!
//! let mut client = Client::new(Decoder::<InlineBuffers<1024>>::new(), Reconnect::new());
//! assert_eq!(client.poll_output(), Some(Output::Connect)); // send the GET
//! client.handle_response(200, Some(b"text/event-stream"));
//! assert_eq!(client.poll_output(), Some(Output::Open));
//! let mut body = &b"retry: 500\nid: 3\ndata: x\n\n"[..];
//! while let Some(item) = client.handle_body(&mut body) {
//!     let _ = item;
//! }
//! client.handle_end_of_body(Instant::from_millis(10));
//! assert_eq!(client.poll_timeout(), Some(Instant::from_millis(510)));
//! client.handle_timeout(Instant::from_millis(510));
//! assert_eq!(client.poll_output(), Some(Output::Reconnecting { at: Instant::from_millis(510), delay_ms: 500 }));
//! assert_eq!(client.poll_output(), Some(Output::Connect));
//! assert!(client.request_headers().any(|header| header == ("Last-Event-ID", "3")));
//! ```
//!
//! # Example: resume a stream on the server
//!
//! Keep the most recent events in a [`ReplayBuffer`]; when a client reconnects
//! with `Last-Event-ID`, send it what it missed, or learn that events were lost
//! ([`Replay::Gap`]). Between events, [`KeepAlive`] says when to send a
//! heartbeat.
//!
//! ```
//! use sse_core::{Instant, KEEP_ALIVE, KeepAlive, Message, Replay, ReplayBuffer};
//!
//! // The 64 most recent events, 16 KiB in all (ids included).
//! let mut history = ReplayBuffer::<16384, 64>::new();
//! let mut buf = [0u8; 256];
//! for n in 1..=5 {
//!     let id = n.to_string();
//!     let len = sse_core::encode(&Message::new().id(&id).data("tick"), &mut buf)?;
//!     // ... write &buf[..len] to every connected client, then:
//!     history.push(&id, &buf[..len])?;
//! }
//!
//! // A client reconnects with `Last-Event-ID: 3`.
//! let header: Option<&[u8]> = Some(b"3");
//! let mut out = Vec::new();
//! match header.and_then(sse_core::parse_last_event_id) {
//!     None => {} // a new client: send only new events (or all of `history.iter()`)
//!     Some(id) => match history.replay_after(id) {
//!         Replay::Events(missed) => missed.for_each(|bytes| out.extend_from_slice(bytes)),
//!         Replay::Gap => { /* events were lost: send a full refresh first */ }
//!     },
//! }
//! assert_eq!(out, b"id: 4\ndata: tick\n\nid: 5\ndata: tick\n\n");
//!
//! // Every write restarts the heartbeat timer; silence for 15 s earns a comment.
//! let mut keep_alive = KeepAlive::new(KeepAlive::SUGGESTED_INTERVAL_MS, Instant::ZERO);
//! keep_alive.sent(Instant::from_millis(2_000)); // the replay above
//! assert_eq!(keep_alive.poll_timeout(), Instant::from_millis(17_000));
//! let now = Instant::from_millis(17_000);
//! if keep_alive.is_due(now) {
//!     out.extend_from_slice(KEEP_ALIVE);
//!     keep_alive.sent(now);
//! }
//! assert!(out.ends_with(b"\n\n:\n"));
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```
//!
//! # Exactness
//!
//! - Bytes are decoded as UTF-8 with replacement exactly as a browser does
//!   (maximal subparts become U+FFFD, R8); a leading BOM is removed once per
//!   body (R9); CR, LF and CRLF end lines, also split across chunks (R12, R13).
//! - Every field rule is implemented as written: one space removed after the
//!   colon (R19), case-sensitive names (R21), `id` with NUL ignored (R24),
//!   `retry` with ASCII digits only (R25), the last event ID committed at every
//!   blank line (R27), empty `data` dispatched (R28, R29), the incomplete event
//!   discarded at the end of the body (R34), and the last event ID carried
//!   into the next body (R35).
//! - Where the standard is silent, the choice is documented
//!   ([rules](rules#where-the-standard-is-silent)): an empty `retry` value and
//!   one above `u64::MAX` are ignored (R26).
//! - The result never depends on how the body is chunked (R11).
//! - Checked against headless Chromium's `EventSource` on a thousand raw
//!   bodies (the workspace's `tests/tests/browser_decoder.rs`): the same
//!   events, but for one Chromium (156) bug. After a leading BOM, Chromium
//!   does not end a line at a CR or LF that follows it at once, so
//!   `"\u{FEFF}\ndata: a\n\n"` is an event here (R9, R12) and nothing there
//!   (the `\n` starts an unknown field's name).
//!
//! # Memory, limits and panics
//!
//! Nothing is allocated. The decoder's memory is its [`Storage`]: fixed
//! buffers for one event's data and type and for three ids (with the `alloc`
//! feature, `HeapBuffers` allocates them instead, growing up to the limits
//! and no further). An event whose
//! data, type or id is longer than its [`Limits`] gives a [`DecodeError`] for
//! that event; the event is skipped to the next blank line and decoding goes
//! on. Values that are not kept (comments, unknown fields) cost nothing however
//! long they are. No byte sequence makes the decoder panic, and every byte is
//! examined a bounded number of times however the input is chunked.
//!
//! # Why this design
//!
//! Sans-IO: the decoder takes bytes and returns items; it never reads a socket
//! or a clock, so any HTTP stack, async runtime or bare-metal loop can drive it,
//! and tests and fuzzers drive it directly. Borrowed views: events borrow from
//! the decoder's buffers, or from the input itself when an event's data is one
//! `data` line followed by its blank line inside the chunk, so nothing is
//! copied that need not be.
//!
//! # Crate features
//!
//! All off by default; none adds a default dependency. The crate is always
//! `no_std`, though `http-body` needs `std` underneath.
//!
//! - `std`: lets `memchr` and `simdutf8` choose their routines by the CPU at
//!   run time (AVX2 on x86-64), which finds line ends and checks UTF-8 faster
//!   in long text. The crate itself uses nothing from `std`. Without it,
//!   `memchr` uses SSE2 on x86-64 and `simdutf8` core's scalar check, unless
//!   another crate in the build enables their `std` features, as most
//!   applications' dependencies do.
//! - `alloc`: owned forms for wrappers that hand items on (a `Stream`, a
//!   codec, a channel): `Item::into_owned` and `Event::into_owned` give an
//!   `OwnedItem` / `OwnedEvent`, and `HeapBuffers` is storage whose capacities
//!   are chosen at run time and which grows as events need it, up to the
//!   limits. Also [`Sink`] for `alloc::vec::Vec<u8>`. Without it, nothing in
//!   the crate allocates.
//! - `bytes`: [`Sink`] for `bytes::BytesMut`.
//! - `embedded-io`: `encode_io` and `encode_comment_io` write into any
//!   `embedded_io::Write`.
//! - `embedded-io-async`: `encode_io_async` and `encode_comment_io_async`
//!   write into any `embedded_io_async::Write` (Embassy's sockets and UARTs),
//!   with no allocation; turns on `embedded-io` too.
//! - `stream`: the [async adapters](stream): `EventStream`, a
//!   `futures_core::Stream` of owned items over any stream of byte chunks
//!   (`response.bytes_stream().sse_events()`), and `FrameStream`, a stream
//!   of `bytes::Bytes` frames from a stream of messages, with a `retry`
//!   first and keep-alive comments on a timer the caller passes. Still
//!   `no_std`; turns on `alloc` and `bytes`, and adds `futures-core`.
//! - `http-body`: `FrameStream` is also an `http_body::Body`, and
//!   `SseBodyExt::sse_events` decodes any `http_body::Body`. Turns on
//!   `stream` and `std`.
//!
//! # MSRV
//!
//! Rust 1.87 (edition 2024): `heapless` 0.9 needs 1.87, and CI checks it.
#![no_std]
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(test)]
extern crate std;

// The one module allowed `unsafe` code (see its documentation).
#[allow(unsafe_code)]
mod checked;
pub mod client;
mod decode;
mod encode;
mod error;
pub mod field;
#[doc = include_str!("../SPEC.md")]
pub mod rules {}
mod server;
#[cfg(feature = "stream")]
pub mod stream;
mod time;
mod utf8;

pub use decode::{Decoder, EndOfBody, Event, InlineBuffers, Item, Limits, SliceBuffers, Storage};
#[cfg(feature = "alloc")]
pub use decode::{HeapBuffers, OwnedEvent, OwnedItem};
#[cfg(feature = "alloc")]
pub use encode::OwnedMessage;
pub use encode::{
    EventWriter, KEEP_ALIVE, Message, Sink, comment_len, encode, encode_comment, encode_to,
    encoded_len,
};
#[cfg(feature = "embedded-io")]
pub use encode::{IoError, encode_comment_io, encode_io};
#[cfg(feature = "embedded-io-async")]
pub use encode::{encode_comment_io_async, encode_io_async};
pub use error::{BufferTooSmall, DecodeError, EncodeError};
pub use server::{KeepAlive, Replay, ReplayBuffer, ReplayError, ReplayIter, parse_last_event_id};
pub use time::Instant;

/// The README's Rust examples, run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
