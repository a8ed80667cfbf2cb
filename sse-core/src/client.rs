//! The client: the `EventSource` processing model as plain state (R36-R55).
//!
//! [`Client`] does everything an `EventSource` does around the parser: ready
//! state, `open` and `error`, `close()`, automatic reconnection with the
//! reconnection time that `retry` sets, `Last-Event-ID`, and the response
//! checks. It performs no I/O and reads no clock: the caller makes the HTTP
//! requests, passes in what happened and the current [`Instant`], and asks
//! when it next wants to be woken.
//!
//! # The run loop
//!
//! Inputs go in through `handle_*`; outputs come out of
//! [`poll_output`](Client::poll_output), events out of
//! [`handle_body`](Client::handle_body), and
//! [`poll_timeout`](Client::poll_timeout) says when to call
//! [`handle_timeout`](Client::handle_timeout). After every input, drain
//! `poll_output` before waiting again: outputs are queued in the order the
//! standard fires its events (R54).
//!
//! ```no_run
//! use sse_core::client::{Client, Output, Reconnect};
//! use sse_core::{Decoder, InlineBuffers, Instant, Item};
//!
//! // Whatever the host's HTTP stack and clock are; here, stand-ins.
//! enum Io<'a> { Head(u16, Option<&'a [u8]>), Bytes(&'a [u8]), End, Failed, Timer }
//! fn now() -> Instant { Instant::ZERO }
//! fn start_request(headers: sse_core::client::RequestHeaders<'_>) {
//!     for (name, value) in headers { let _ = (name, value); }
//! }
//! fn wait<'a>(deadline: Option<Instant>) -> Io<'a> { Io::Timer }
//!
//! let mut client = Client::new(Decoder::<InlineBuffers<4096>>::new(), Reconnect::new());
//! loop {
//!     // 1. Drain the outputs.
//!     while let Some(output) = client.poll_output() {
//!         match output {
//!             Output::Connect => start_request(client.request_headers()),
//!             Output::Open => println!("open"),
//!             Output::Reconnecting { delay_ms, .. } => println!("error; retry in {delay_ms} ms"),
//!             Output::Failed(reason) => { println!("failed: {reason}"); return; }
//!             _ => {}
//!         }
//!     }
//!     // 2. Wait for I/O or the deadline, and feed what happened.
//!     match wait(client.poll_timeout()) {
//!         Io::Head(status, content_type) => client.handle_response(status, content_type),
//!         Io::Bytes(mut bytes) => {
//!             while let Some(item) = client.handle_body(&mut bytes) {
//!                 if let Ok(Item::Event(event)) = item {
//!                     println!("{}: {}", event.event_type(), event.data());
//!                 }
//!             }
//!         }
//!         Io::End => client.handle_end_of_body(now()),
//!         Io::Failed => client.handle_network_error(now()),
//!         Io::Timer => client.handle_timeout(now()),
//!     }
//! }
//! ```

use core::fmt;
use core::time::Duration;

use crate::decode::{Decoder, Item, Storage};
use crate::error::DecodeError;
use crate::time::{Instant, ceil_millis};

/// The `readyState` of an `EventSource` (R36).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReadyState {
    /// Connecting or waiting to reconnect (0).
    Connecting = 0,
    /// The response was accepted; events flow (1).
    Open = 1,
    /// Closed for good (2): by [`Client::close`] or a failed connection.
    Closed = 2,
}

/// Why the connection failed for good (R41, R42, R48).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailReason {
    /// The final status was not 200. That includes 204 No Content, the
    /// standard's way to tell a client to stop reconnecting (R41, R55).
    Status(u16),
    /// The response had no `Content-Type` header.
    MissingContentType,
    /// The `Content-Type` essence was not `text/event-stream` (R42).
    ContentType,
}

impl fmt::Display for FailReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status(status) => write!(f, "response status {status} is not 200"),
            Self::MissingContentType => f.write_str("response has no content type"),
            Self::ContentType => f.write_str("response content type is not text/event-stream"),
        }
    }
}

impl core::error::Error for FailReason {}

/// What the client asks of its host, in the order the standard fires its
/// events (R54).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Output {
    /// Make the request now: a GET of the stream's URL with
    /// [`Client::request_headers`] (R38, R39), then report the response with
    /// [`Client::handle_response`] or a failure with
    /// [`Client::handle_network_error`].
    Connect,
    /// The response was accepted: fire `open`; the ready state is OPEN (R44).
    Open,
    /// The connection ended or could not be made: fire `error` with the ready
    /// state CONNECTING; the client asks to reconnect at `at`, `delay_ms` after
    /// the failure (R47, R50, R51).
    Reconnecting {
        /// When [`Output::Connect`] will come (see [`Client::poll_timeout`]).
        at: Instant,
        /// The delay: the reconnection time, plus backoff and jitter if configured.
        delay_ms: u64,
    },
    /// The connection failed: fire `error` with the ready state CLOSED. The
    /// client never reconnects after this (R48).
    Failed(FailReason),
}

impl Output {
    /// The delay of [`Output::Reconnecting`] as a [`Duration`], for timers
    /// that take one; `None` for every other output.
    ///
    /// ```
    /// use core::time::Duration;
    /// use sse_core::client::{Client, Reconnect};
    /// use sse_core::{Decoder, InlineBuffers, Instant};
    /// let policy = Reconnect::new().initial_delay(Duration::from_millis(1_500));
    /// let mut client = Client::new(Decoder::<InlineBuffers<16>>::new(), policy);
    /// assert_eq!(client.poll_output().unwrap().delay(), None); // Connect
    /// client.handle_network_error(Instant::ZERO);
    /// assert_eq!(client.poll_output().unwrap().delay(), Some(Duration::from_millis(1_500)));
    /// ```
    pub const fn delay(&self) -> Option<Duration> {
        match self {
            Self::Reconnecting { delay_ms, .. } => Some(Duration::from_millis(*delay_ms)),
            _ => None,
        }
    }
}

/// The reconnection policy: the initial reconnection time, and optional
/// capped exponential backoff with jitter for repeated failures (R50, R51).
///
/// Without backoff the delay is always the reconnection time, as in Blink
/// and WebKit. With backoff, the `n`th consecutive reconnection waits the
/// reconnection time times 2<sup>n-1</sup>, capped (never below the
/// reconnection time, which the server's `retry` sets), plus up to
/// `jitter_percent` of that at random. A successful open resets the count.
///
/// ```
/// use sse_core::client::Reconnect;
/// let policy = Reconnect::new().initial_ms(1000).backoff(30_000).jitter(20, 0x5eed);
/// assert_eq!(policy.initial(), 1000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Reconnect {
    initial_ms: u64,
    cap_ms: Option<u64>,
    jitter_percent: u8,
    seed: u64,
}

impl Default for Reconnect {
    fn default() -> Self {
        Self::new()
    }
}

impl Reconnect {
    /// 3000 ms, no backoff, no jitter (Blink and WebKit, D12).
    ///
    /// ```
    /// assert_eq!(sse_core::client::Reconnect::new().initial(), 3000);
    /// ```
    pub const fn new() -> Self {
        Self {
            initial_ms: 3000,
            cap_ms: None,
            jitter_percent: 0,
            seed: 0,
        }
    }

    /// Sets the reconnection time used until the server sends `retry` (R50).
    ///
    /// ```
    /// assert_eq!(sse_core::client::Reconnect::new().initial_ms(5000).initial(), 5000);
    /// ```
    #[must_use]
    pub const fn initial_ms(mut self, ms: u64) -> Self {
        self.initial_ms = ms;
        self
    }

    /// [`initial_ms`](Self::initial_ms) with a [`Duration`]; a part of a
    /// millisecond counts as a whole one.
    ///
    /// ```
    /// use core::time::Duration;
    /// let policy = sse_core::client::Reconnect::new().initial_delay(Duration::from_secs(5));
    /// assert_eq!(policy.initial(), 5000);
    /// ```
    #[must_use]
    pub const fn initial_delay(self, delay: Duration) -> Self {
        self.initial_ms(ceil_millis(delay))
    }

    /// Doubles the delay for each consecutive failure, up to `cap_ms` (R51).
    ///
    /// ```
    /// let policy = sse_core::client::Reconnect::new().backoff(60_000);
    /// # let _ = policy;
    /// ```
    #[must_use]
    pub const fn backoff(mut self, cap_ms: u64) -> Self {
        self.cap_ms = Some(cap_ms);
        self
    }

    /// [`backoff`](Self::backoff) with the cap as a [`Duration`]; a part of
    /// a millisecond counts as a whole one.
    ///
    /// ```
    /// use core::time::Duration;
    /// use sse_core::client::Reconnect;
    /// assert_eq!(
    ///     Reconnect::new().backoff_cap(Duration::from_secs(60)),
    ///     Reconnect::new().backoff(60_000)
    /// );
    /// ```
    #[must_use]
    pub const fn backoff_cap(self, cap: Duration) -> Self {
        self.backoff(ceil_millis(cap))
    }

    /// Adds up to `percent` (at most 100) of the delay at random, from a
    /// generator seeded with `seed`: the caller supplies the randomness.
    ///
    /// ```
    /// let policy = sse_core::client::Reconnect::new().jitter(25, 42);
    /// # let _ = policy;
    /// ```
    #[must_use]
    pub const fn jitter(mut self, percent: u8, seed: u64) -> Self {
        self.jitter_percent = if percent > 100 { 100 } else { percent };
        self.seed = seed;
        self
    }

    /// The reconnection time before any `retry`.
    ///
    /// ```
    /// assert_eq!(sse_core::client::Reconnect::new().initial(), 3000);
    /// ```
    pub const fn initial(&self) -> u64 {
        self.initial_ms
    }
}

/// Where the connection stands; finer than [`ReadyState`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Phase {
    /// A request was asked for; waiting for its response head.
    Requesting,
    /// The response was accepted; body bytes flow.
    Streaming,
    /// Waiting to reconnect.
    Waiting(Instant),
    /// Closed for good.
    Closed,
}

/// The most outputs that can wait at once (`Reconnecting` is followed by
/// `Connect` only after a timeout, so two is the real maximum).
const QUEUE: usize = 4;

/// An `EventSource` connection as a state machine (R36-R55); see the
/// [module documentation](self) for the run loop.
///
/// ```
/// use sse_core::client::{Client, Output, ReadyState, Reconnect};
/// use sse_core::{Decoder, InlineBuffers, Instant, Item};
///
/// let mut client = Client::new(Decoder::<InlineBuffers<1024>>::new(), Reconnect::new());
/// assert_eq!(client.poll_output(), Some(Output::Connect));
/// client.handle_response(200, Some(b"text/event-stream; charset=utf-8"));
/// assert_eq!(client.poll_output(), Some(Output::Open));
///
/// let mut body = &b"retry: 1000\nid: 7\ndata: hi\n\n"[..];
/// let mut data = None;
/// while let Some(item) = client.handle_body(&mut body) {
///     if let Ok(Item::Event(event)) = item {
///         data = Some(event.data() == "hi");
///     }
/// }
/// assert_eq!(data, Some(true));
///
/// // The server closes the stream: reconnect after `retry`, with Last-Event-ID.
/// let t = Instant::from_millis(50_000);
/// client.handle_end_of_body(t);
/// assert_eq!(client.ready_state(), ReadyState::Connecting);
/// assert_eq!(client.poll_output(), Some(Output::Reconnecting { at: t.add_millis(1000), delay_ms: 1000 }));
/// assert_eq!(client.poll_timeout(), Some(t.add_millis(1000)));
/// client.handle_timeout(t.add_millis(1000));
/// assert_eq!(client.poll_output(), Some(Output::Connect));
/// assert!(client.request_headers().any(|h| h == ("Last-Event-ID", "7")));
///
/// // 204 No Content: fail for good.
/// client.handle_response(204, None);
/// assert_eq!(client.ready_state(), ReadyState::Closed);
/// assert_eq!(client.poll_timeout(), None);
/// ```
#[derive(Clone, Debug)]
pub struct Client<S: Storage> {
    decoder: Decoder<S>,
    phase: Phase,
    policy: Reconnect,
    /// Consecutive reconnections since the last successful open.
    failures: u32,
    /// The jitter generator's state (xorshift64*).
    rng: u64,
    queue: heapless::Deque<Output, QUEUE>,
}

impl<S: Storage> Client<S> {
    /// A client in the CONNECTING state that asks to connect at once (R36, R37).
    ///
    /// The `decoder` brings its buffers and limits, and its last event ID:
    /// seed it with [`Decoder::set_last_event_id`] to resume a stream.
    ///
    /// ```
    /// use sse_core::client::{Client, Reconnect};
    /// use sse_core::{Decoder, InlineBuffers};
    /// let mut decoder = Decoder::<InlineBuffers<256>>::new();
    /// decoder.set_last_event_id("99")?;
    /// let client = Client::new(decoder, Reconnect::new());
    /// assert!(client.request_headers().any(|h| h == ("Last-Event-ID", "99")));
    /// # Ok::<(), sse_core::DecodeError>(())
    /// ```
    pub fn new(decoder: Decoder<S>, policy: Reconnect) -> Self {
        let mut client = Self {
            decoder,
            phase: Phase::Requesting,
            policy,
            failures: 0,
            rng: policy.seed | 1,
            queue: heapless::Deque::new(),
        };
        client.push(Output::Connect);
        client
    }

    fn push(&mut self, output: Output) {
        // The queue never holds more than two outputs; see `QUEUE`.
        let _ = self.queue.push_back(output);
    }

    /// The ready state (R36).
    ///
    /// ```
    /// use sse_core::client::{Client, ReadyState, Reconnect};
    /// let client = Client::new(sse_core::Decoder::<sse_core::InlineBuffers<16>>::new(), Reconnect::new());
    /// assert_eq!(client.ready_state(), ReadyState::Connecting);
    /// ```
    pub fn ready_state(&self) -> ReadyState {
        match self.phase {
            Phase::Requesting | Phase::Waiting(_) => ReadyState::Connecting,
            Phase::Streaming => ReadyState::Open,
            Phase::Closed => ReadyState::Closed,
        }
    }

    /// The next thing to do or announce, if any.
    ///
    /// ```
    /// use sse_core::client::{Client, Output, Reconnect};
    /// let mut client = Client::new(sse_core::Decoder::<sse_core::InlineBuffers<16>>::new(), Reconnect::new());
    /// assert_eq!(client.poll_output(), Some(Output::Connect));
    /// assert_eq!(client.poll_output(), None);
    /// ```
    pub fn poll_output(&mut self) -> Option<Output> {
        self.queue.pop_front()
    }

    /// When the client wants [`handle_timeout`](Self::handle_timeout): the
    /// reconnection deadline while it waits to reconnect, else `None`.
    ///
    /// ```
    /// use sse_core::client::{Client, Reconnect};
    /// let client = Client::new(sse_core::Decoder::<sse_core::InlineBuffers<16>>::new(), Reconnect::new());
    /// assert_eq!(client.poll_timeout(), None);
    /// ```
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Waiting(at) => Some(at),
            _ => None,
        }
    }

    /// The headers to send with the request (R38, R39): `Accept:
    /// text/event-stream`, `Cache-Control: no-cache`, and `Last-Event-ID`
    /// only when the last event ID is not empty.
    ///
    /// ```
    /// use sse_core::client::{Client, Reconnect};
    /// let client = Client::new(sse_core::Decoder::<sse_core::InlineBuffers<16>>::new(), Reconnect::new());
    /// let headers: Vec<_> = client.request_headers().collect();
    /// assert_eq!(headers, [("Accept", "text/event-stream"), ("Cache-Control", "no-cache")]);
    /// ```
    pub fn request_headers(&self) -> RequestHeaders<'_> {
        RequestHeaders {
            last_event_id: self.decoder.last_event_id(),
            next: 0,
        }
    }

    /// The last event ID string (R27): what `Last-Event-ID` carries.
    ///
    /// ```
    /// use sse_core::client::{Client, Reconnect};
    /// let client = Client::new(sse_core::Decoder::<sse_core::InlineBuffers<16>>::new(), Reconnect::new());
    /// assert_eq!(client.last_event_id(), "");
    /// ```
    pub fn last_event_id(&self) -> &str {
        self.decoder.last_event_id()
    }

    /// The decoder: its [`limits`](Decoder::limits), last event ID and last
    /// `retry`.
    ///
    /// ```
    /// use sse_core::client::{Client, Reconnect};
    /// use sse_core::{Decoder, InlineBuffers};
    /// let client = Client::new(Decoder::<InlineBuffers<256, 16, 32>>::new(), Reconnect::new());
    /// assert_eq!(client.decoder().limits().data(), 256);
    /// assert_eq!(client.decoder().limits().id(), 32);
    /// ```
    pub fn decoder(&self) -> &Decoder<S> {
        &self.decoder
    }

    /// The decoder, to change: lower its limits with
    /// [`set_limits`](Decoder::set_limits), or seed the last event ID with
    /// [`set_last_event_id`](Decoder::set_last_event_id) before a
    /// reconnection. Feed body bytes through [`handle_body`](Self::handle_body),
    /// not the decoder's own `next`, so that bytes that arrive when the
    /// connection is not open are dropped.
    ///
    /// Comments are reported ([`Item::Comment`]) when the decoder was built
    /// with [`with_comments`](Decoder::with_comments) before it was given to
    /// [`Client::new`], or after, with [`with_comments`](Self::with_comments).
    ///
    /// ```
    /// use sse_core::client::{Client, Output, Reconnect};
    /// use sse_core::{DecodeError, Decoder, InlineBuffers, Limits};
    /// let mut client = Client::new(Decoder::<InlineBuffers<1024>>::new(), Reconnect::new());
    /// client.decoder_mut().set_limits(Limits::new().max_data(4));
    /// let _ = client.poll_output();
    /// client.handle_response(200, Some(b"text/event-stream"));
    /// let mut body = &b"data: too long\n\n"[..];
    /// assert_eq!(client.handle_body(&mut body), Some(Err(DecodeError::DataTooLong { limit: 4 })));
    ///
    /// client.decoder_mut().set_last_event_id("resume-here")?;
    /// assert!(client.request_headers().any(|h| h == ("Last-Event-ID", "resume-here")));
    /// # Ok::<(), DecodeError>(())
    /// ```
    pub fn decoder_mut(&mut self) -> &mut Decoder<S> {
        &mut self.decoder
    }

    /// Reports comments as [`Item::Comment`] from [`handle_body`](Self::handle_body),
    /// or stops reporting them: [`Decoder::with_comments`] on the client's
    /// decoder.
    ///
    /// ```
    /// use sse_core::client::{Client, Reconnect};
    /// use sse_core::{Decoder, InlineBuffers, Item};
    /// let mut client = Client::new(Decoder::<InlineBuffers<64>>::new(), Reconnect::new())
    ///     .with_comments(true);
    /// let _ = client.poll_output();
    /// client.handle_response(200, Some(b"text/event-stream"));
    /// let mut body = &b": keep-alive\n"[..];
    /// assert_eq!(
    ///     client.handle_body(&mut body),
    ///     Some(Ok(Item::Comment { text: b"keep-alive", end_of_line: true }))
    /// );
    /// ```
    #[must_use]
    pub fn with_comments(self, report: bool) -> Self {
        Self {
            decoder: self.decoder.with_comments(report),
            ..self
        }
    }

    /// The reconnection time in milliseconds: the last valid `retry`, else
    /// the policy's initial value (R50). It persists across connections.
    ///
    /// ```
    /// use sse_core::client::{Client, Reconnect};
    /// let client = Client::new(sse_core::Decoder::<sse_core::InlineBuffers<16>>::new(), Reconnect::new());
    /// assert_eq!(client.reconnection_ms(), 3000);
    /// ```
    pub fn reconnection_ms(&self) -> u64 {
        self.decoder.retry().unwrap_or(self.policy.initial_ms)
    }

    /// [`reconnection_ms`](Self::reconnection_ms) as a [`Duration`].
    ///
    /// ```
    /// use core::time::Duration;
    /// use sse_core::client::{Client, Reconnect};
    /// let mut client = Client::new(sse_core::Decoder::<sse_core::InlineBuffers<16>>::new(), Reconnect::new());
    /// let _ = client.poll_output();
    /// client.handle_response(200, Some(b"text/event-stream"));
    /// let mut body = &b"retry: 2500\n"[..];
    /// while client.handle_body(&mut body).is_some() {}
    /// assert_eq!(client.reconnection_time(), Duration::from_millis(2500));
    /// ```
    pub fn reconnection_time(&self) -> Duration {
        Duration::from_millis(self.reconnection_ms())
    }

    /// Reports the response head: status 200 with a `Content-Type` whose
    /// essence is `text/event-stream` (case and parameters ignored) opens the
    /// connection (R40, R44); anything else fails it for good (R41, R42, R48).
    ///
    /// Ignored unless a request is outstanding ([`Output::Connect`] was given
    /// and no response or error reported since).
    ///
    /// ```
    /// use sse_core::client::{Client, FailReason, Output, Reconnect};
    /// let mut client = Client::new(sse_core::Decoder::<sse_core::InlineBuffers<16>>::new(), Reconnect::new());
    /// let _ = client.poll_output();
    /// client.handle_response(200, Some(b"text/html"));
    /// assert_eq!(client.poll_output(), Some(Output::Failed(FailReason::ContentType)));
    /// ```
    pub fn handle_response(&mut self, status: u16, content_type: Option<&[u8]>) {
        if self.phase != Phase::Requesting {
            return;
        }
        let verdict = if status != 200 {
            Err(FailReason::Status(status))
        } else {
            match content_type {
                None => Err(FailReason::MissingContentType),
                Some(value) if is_event_stream(value) => Ok(()),
                Some(_) => Err(FailReason::ContentType),
            }
        };
        match verdict {
            Ok(()) => {
                self.phase = Phase::Streaming;
                self.failures = 0;
                self.push(Output::Open);
            }
            Err(reason) => {
                self.phase = Phase::Closed;
                self.push(Output::Failed(reason));
            }
        }
    }

    /// Decodes body bytes of the open connection, advancing `input`, like
    /// [`Decoder::next`]. A valid `retry` changes the reconnection time as it
    /// passes (R25). Bytes that arrive when the connection is not open are
    /// dropped, as are events after [`close`](Self::close) (R32).
    ///
    /// ```
    /// use sse_core::client::{Client, Reconnect};
    /// let mut client = Client::new(sse_core::Decoder::<sse_core::InlineBuffers<16>>::new(), Reconnect::new());
    /// let mut early = &b"data: x\n\n"[..];
    /// assert!(client.handle_body(&mut early).is_none()); // not open yet: dropped
    /// assert!(early.is_empty());
    /// ```
    pub fn handle_body<'s, 'a: 's>(
        &'s mut self,
        input: &mut &'a [u8],
    ) -> Option<Result<Item<'s>, DecodeError>> {
        if self.phase != Phase::Streaming {
            *input = &[];
            return None;
        }
        self.decoder.next(input)
    }

    /// Reports the end of the response body, clean or not: the connection is
    /// re-established after the reconnection time (R45, R47). Before a
    /// response head, it counts as a network error.
    ///
    /// ```
    /// use sse_core::client::{Client, Output, ReadyState, Reconnect};
    /// use sse_core::Instant;
    /// let mut client = Client::new(sse_core::Decoder::<sse_core::InlineBuffers<16>>::new(), Reconnect::new());
    /// let _ = client.poll_output();
    /// client.handle_response(200, Some(b"text/event-stream"));
    /// client.handle_end_of_body(Instant::ZERO);
    /// assert_eq!(client.ready_state(), ReadyState::Connecting);
    /// ```
    pub fn handle_end_of_body(&mut self, now: Instant) {
        self.handle_network_error(now);
    }

    /// Reports a network error (refused, reset, DNS, TLS, a dropped body):
    /// the connection is re-established after the reconnection time (R40
    /// step 2, R47). Ignored unless a request is outstanding or the
    /// connection is open.
    ///
    /// ```
    /// use sse_core::client::{Client, Output, Reconnect};
    /// use sse_core::Instant;
    /// let mut client = Client::new(sse_core::Decoder::<sse_core::InlineBuffers<16>>::new(), Reconnect::new());
    /// let _ = client.poll_output();
    /// client.handle_network_error(Instant::ZERO);
    /// assert_eq!(
    ///     client.poll_output(),
    ///     Some(Output::Reconnecting { at: Instant::from_millis(3000), delay_ms: 3000 })
    /// );
    /// ```
    pub fn handle_network_error(&mut self, now: Instant) {
        if !matches!(self.phase, Phase::Requesting | Phase::Streaming) {
            return;
        }
        // The incomplete event of this body is dropped (R34); the next body
        // starts afresh with the last event ID carried over (R35).
        let _ = self.decoder.finish();
        self.failures = self.failures.saturating_add(1);
        let delay_ms = self.delay_ms();
        let at = now.add_millis(delay_ms);
        self.phase = Phase::Waiting(at);
        self.push(Output::Reconnecting { at, delay_ms });
    }

    /// Reports that time has passed: at or after the reconnection deadline,
    /// the client asks to connect again ([`Output::Connect`]).
    ///
    /// ```
    /// use sse_core::client::{Client, Output, Reconnect};
    /// use sse_core::Instant;
    /// let mut client = Client::new(sse_core::Decoder::<sse_core::InlineBuffers<16>>::new(), Reconnect::new().initial_ms(10));
    /// let _ = client.poll_output();
    /// client.handle_network_error(Instant::ZERO);
    /// let _ = client.poll_output();
    /// client.handle_timeout(Instant::from_millis(9));
    /// assert_eq!(client.poll_output(), None);
    /// client.handle_timeout(Instant::from_millis(10));
    /// assert_eq!(client.poll_output(), Some(Output::Connect));
    /// ```
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Phase::Waiting(at) = self.phase {
            if now >= at {
                self.phase = Phase::Requesting;
                self.push(Output::Connect);
            }
        }
    }

    /// Closes the connection for good, at once, with no event; pending
    /// outputs are dropped (R49). Abort any request in progress.
    ///
    /// ```
    /// use sse_core::client::{Client, ReadyState, Reconnect};
    /// let mut client = Client::new(sse_core::Decoder::<sse_core::InlineBuffers<16>>::new(), Reconnect::new());
    /// client.close();
    /// assert_eq!(client.ready_state(), ReadyState::Closed);
    /// assert_eq!(client.poll_output(), None);
    /// ```
    pub fn close(&mut self) {
        self.phase = Phase::Closed;
        self.queue.clear();
        let _ = self.decoder.finish();
    }

    /// The delay before the next reconnection (R50, R51).
    fn delay_ms(&mut self) -> u64 {
        let base = self.reconnection_ms();
        let Some(cap) = self.policy.cap_ms else {
            return self.with_jitter(base);
        };
        let doublings = self.failures.saturating_sub(1).min(63);
        let delay = base.saturating_mul(1 << doublings).min(cap.max(base));
        self.with_jitter(delay)
    }

    fn with_jitter(&mut self, delay: u64) -> u64 {
        if self.policy.jitter_percent == 0 {
            return delay;
        }
        // xorshift64*: plenty for spreading reconnections.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let random = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let span = u128::from(delay) * u128::from(self.policy.jitter_percent) / 100;
        let extra = u128::from(random) % (span + 1);
        delay.saturating_add(u64::try_from(extra).unwrap_or(u64::MAX))
    }
}

/// Whether a `Content-Type` header value's essence is `text/event-stream`
/// (R42, D7): the check [`Client::handle_response`] makes, for hosts and
/// servers that want it on their own.
///
/// The type and subtype are compared ASCII case-insensitively; parameters
/// (`; charset=utf-8`) are ignored; HTTP whitespace (space, tab, CR, LF) is
/// allowed before the type, after the subtype and before the `;`, but not
/// inside the essence. It takes the header's raw bytes, as HTTP stacks hold
/// them (for example `http::HeaderValue::as_bytes`).
///
/// ```
/// use sse_core::client::is_event_stream;
/// assert!(is_event_stream(b"text/event-stream"));
/// assert!(is_event_stream(b"Text/Event-Stream; charset=utf-8"));
/// assert!(is_event_stream(b" text/event-stream\t;x=y"));
/// assert!(!is_event_stream(b"text/event-streams"));
/// assert!(!is_event_stream(b"text /event-stream"));
/// assert!(!is_event_stream(b"text/plain; x=text/event-stream"));
/// assert!(!is_event_stream(b""));
/// ```
pub fn is_event_stream(value: &[u8]) -> bool {
    let essence = value.split(|&b| b == b';').next().unwrap_or_default();
    trim_http_whitespace(essence).eq_ignore_ascii_case(b"text/event-stream")
}

fn trim_http_whitespace(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b'\r' | b'\n', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r' | b'\n'] = bytes {
        bytes = rest;
    }
    bytes
}

/// The request headers, as `(name, value)` pairs; see [`Client::request_headers`].
#[derive(Clone, Debug)]
pub struct RequestHeaders<'a> {
    last_event_id: &'a str,
    next: u8,
}

impl<'a> RequestHeaders<'a> {
    /// The same headers with their values as bytes, `(name, value)`: HTTP
    /// header values are bytes, and that is what HTTP stacks take
    /// (`http::HeaderValue::from_bytes`). A last event ID can be any UTF-8
    /// text without CR, LF or NUL (R24, R39), non-ASCII included. HTTP itself
    /// allows no ASCII control character but tab in a header value, so an id
    /// that holds one (the standard allows it) may be refused by the stack:
    /// then send the request without that header, as a fresh client would.
    ///
    /// ```
    /// use sse_core::client::{Client, Reconnect};
    /// use sse_core::{Decoder, InlineBuffers};
    /// let mut decoder = Decoder::<InlineBuffers<64>>::new();
    /// decoder.set_last_event_id("Grüße 7")?;
    /// let client = Client::new(decoder, Reconnect::new());
    /// let headers: Vec<(&str, &[u8])> = client.request_headers().bytes().collect();
    /// assert_eq!(headers[2], ("Last-Event-ID", "Grüße 7".as_bytes()));
    /// // With the `http` crate: HeaderValue::from_bytes(value) for each.
    /// # Ok::<(), sse_core::DecodeError>(())
    /// ```
    pub fn bytes(self) -> RequestHeaderBytes<'a> {
        RequestHeaderBytes(self)
    }
}

impl<'a> Iterator for RequestHeaders<'a> {
    type Item = (&'static str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let header = match self.next {
                0 => Some(("Accept", "text/event-stream")),
                1 => Some(("Cache-Control", "no-cache")),
                2 if !self.last_event_id.is_empty() => Some(("Last-Event-ID", self.last_event_id)),
                2 => None,
                _ => return None,
            };
            self.next += 1;
            if header.is_some() {
                return header;
            }
        }
    }
}

/// The request headers with their values as bytes; see [`RequestHeaders::bytes`].
///
/// ```
/// use sse_core::client::{Client, Reconnect};
/// let client = Client::new(sse_core::Decoder::<sse_core::InlineBuffers<16>>::new(), Reconnect::new());
/// let mut headers = client.request_headers().bytes();
/// assert_eq!(headers.next(), Some(("Accept", &b"text/event-stream"[..])));
/// ```
#[derive(Clone, Debug)]
pub struct RequestHeaderBytes<'a>(RequestHeaders<'a>);

impl<'a> Iterator for RequestHeaderBytes<'a> {
    type Item = (&'static str, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(name, value)| (name, value.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_essence() {
        for ok in [
            &b"text/event-stream"[..],
            b"TEXT/Event-Stream",
            b"text/event-stream;",
            b"text/event-stream; charset=utf-8",
            b"text/event-stream;charset=windows-1252",
            b" text/event-stream ;x=y",
        ] {
            assert!(is_event_stream(ok), "{ok:?}");
        }
        for bad in [
            &b""[..],
            b"text/x-bogus",
            b"x bogus",
            b"text/event-streams",
            b"text/event-stream x",
            b"text /event-stream",
            b"text/plain; text/event-stream",
        ] {
            assert!(!is_event_stream(bad), "{bad:?}");
        }
    }

    #[test]
    fn backoff_doubles_caps_and_resets_on_open() {
        let decoder = Decoder::<crate::InlineBuffers<16>>::new();
        let mut client = Client::new(decoder, Reconnect::new().initial_ms(100).backoff(700));
        let mut delays = [0u64; 6];
        for delay in &mut delays {
            let _ = client.poll_output();
            client.handle_network_error(Instant::ZERO);
            match client.poll_output() {
                Some(Output::Reconnecting { delay_ms, .. }) => *delay = delay_ms,
                other => panic!("{other:?}"),
            }
            client.handle_timeout(Instant::from_millis(u64::MAX));
        }
        assert_eq!(delays, [100, 200, 400, 700, 700, 700]);
        let _ = client.poll_output();
        client.handle_response(200, Some(b"text/event-stream"));
        client.handle_end_of_body(Instant::ZERO);
        let _ = client.poll_output();
        assert_eq!(
            client.poll_output(),
            Some(Output::Reconnecting {
                at: Instant::from_millis(100),
                delay_ms: 100
            })
        );
    }

    #[test]
    fn duration_forms_are_the_millisecond_forms() {
        let by_ms = Reconnect::new().initial_ms(250).backoff(1_001);
        let by_duration = Reconnect::new()
            .initial_delay(Duration::from_millis(250))
            .backoff_cap(Duration::from_micros(1_000_001));
        assert_eq!(by_ms, by_duration);
        let decoder = Decoder::<crate::InlineBuffers<16>>::new();
        let mut client = Client::new(decoder, by_duration);
        assert_eq!(client.reconnection_time(), Duration::from_millis(250));
        for expected in [250, 500, 1000, 1001] {
            let _ = client.poll_output();
            let now = Instant::from_millis(7);
            client.handle_network_error(now);
            let output = client.poll_output().unwrap();
            assert_eq!(output.delay(), Some(Duration::from_millis(expected)));
            assert_eq!(
                output,
                Output::Reconnecting {
                    at: now + Duration::from_millis(expected),
                    delay_ms: expected
                }
            );
            client.handle_timeout(Instant::from_millis(u64::MAX));
        }
    }

    #[test]
    fn jitter_only_adds_and_stays_within_its_share() {
        let decoder = Decoder::<crate::InlineBuffers<16>>::new();
        let mut client = Client::new(decoder, Reconnect::new().initial_ms(1000).jitter(50, 7));
        let mut distinct = [0u64; 32];
        for slot in &mut distinct {
            let _ = client.poll_output();
            client.handle_network_error(Instant::ZERO);
            let Some(Output::Reconnecting { delay_ms, .. }) = client.poll_output() else {
                panic!("no reconnect");
            };
            assert!((1000..=1500).contains(&delay_ms), "{delay_ms}");
            *slot = delay_ms;
            client.handle_timeout(Instant::from_millis(u64::MAX));
        }
        distinct.sort_unstable();
        assert!(distinct.windows(2).filter(|w| w[0] != w[1]).count() > 10);
    }
}
