//! Async adapters (feature `stream`): events from any stream of byte chunks,
//! and a stream of encoded frames from any stream of messages.
//!
//! - [`EventStream`]: a [`Stream`] of [`OwnedItem`]s over any
//!   `Stream<Item = Result<B, E>>` with `B: AsRef<[u8]>` (reqwest's
//!   `bytes_stream()`, hyper's `BodyDataStream`, a channel of `Vec<u8>`);
//!   [`SseStreamExt::sse_events`] makes one from such a stream in one call.
//! - [`FrameStream`]: a [`Stream`] of [`Bytes`] frames over any stream of
//!   messages ([`OwnedMessage`], [`Frame`]), with an optional `retry` first
//!   and keep-alive comments whose timer is a sleep function the caller
//!   passes (`tokio::time::sleep`, `async_io::Timer::after`, Embassy's
//!   `Timer::after`): no runtime is built in.
//! - With the `http-body` feature, [`FrameStream`] is also an
//!   `http_body::Body`, and [`SseBodyExt::sse_events`] decodes any
//!   `http_body::Body`.
//!
//! The adapters add no rule of their own: decoding is [`Decoder`]'s, with
//! [`HeapBuffers`] bounded by [`Limits`]; encoding is [`encode_to`]'s.
//! Both are still `no_std` (they need `alloc`).
//!
//! # Example: events from a stream of chunks
//!
//! ```
//! use futures::StreamExt;
//! use sse_core::stream::SseStreamExt;
//!
//! # futures::executor::block_on(async {
//! let chunks = futures::stream::iter([
//!     Ok::<_, std::io::Error>(&b"id: 1\ndata: hel"[..]),
//!     Ok(b"lo\n\n"),
//! ]);
//! let mut events = chunks.sse_events();
//! let item = events.next().await.unwrap()?;
//! assert_eq!(item.event().unwrap().data, "hello");
//! assert!(events.next().await.is_none()); // a clean end is `None`
//! assert_eq!(events.last_event_id(), "1"); // for `Last-Event-ID`
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # Example: frames for a response body
//!
//! ```
//! use futures::StreamExt;
//! use sse_core::OwnedMessage;
//! use sse_core::stream::FrameStream;
//!
//! # futures::executor::block_on(async {
//! let messages = futures::stream::iter([OwnedMessage::new().id("1").data("hi")]);
//! let frames: Vec<_> = FrameStream::new(messages).retry(3000).collect().await;
//! assert_eq!(frames[0].as_deref(), Ok(&b"retry: 3000\n\n"[..]));
//! assert_eq!(frames[1].as_deref(), Ok(&b"id: 1\ndata: hi\n\n"[..]));
//! # });
//! ```
//!
//! # Choosing limits
//!
//! [`EventStream`] keeps an event's data, type and id on the heap, growing
//! as events need and never beyond its [`Limits`]. The default,
//! [`DEFAULT_LIMITS`], is meant for a server you do not control: 16 MiB of
//! data, 256 bytes of event type and 1 KiB of id. Lower the data limit to
//! what your events can be (a chat token is a few hundred bytes; a JSON-RPC
//! answer may be megabytes); an event over a limit is reported as
//! [`StreamError::Decode`] and skipped, or ends the stream when
//! [`EventStream::end_on_limit_error`] is set.

mod events;
mod frames;

#[cfg(feature = "http-body")]
mod body;

#[cfg(feature = "http-body")]
pub use body::{BodyChunks, SseBodyExt};
pub use events::{DEFAULT_LIMITS, EventStream, SseStreamExt, StreamError};
pub use frames::{Frame, FrameStream, NoKeepAlive};

#[cfg(doc)]
use crate::{Decoder, HeapBuffers, Limits, OwnedItem, OwnedMessage, encode_to};
#[cfg(doc)]
use bytes::Bytes;
#[cfg(doc)]
use futures_core::Stream;
