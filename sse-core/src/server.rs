//! Server-side helpers: the `Last-Event-ID` request header, a keep-alive
//! schedule, and a replay buffer that lets a reconnecting client resume.
//!
//! Like the rest of the crate they do no I/O and read no clock: the caller
//! passes header bytes, the time ([`Instant`]) and encoded events, and writes
//! what it gets back to its clients.

use core::fmt;
use core::iter::FusedIterator;
use core::time::Duration;

use crate::field::{find_line_end, has_nul};
use crate::time::{Instant, ceil_millis};

/// Parses the value of a `Last-Event-ID` request header (R39).
///
/// Returns the id for a non-empty value that is valid UTF-8 and contains no
/// NUL, CR or LF. Those are exactly the values a conforming client sends: its
/// last event ID never holds NUL (R24), CR or LF (R12), and it sends no header
/// at all when the ID is empty (R39). Returns `None` for an empty value and for
/// every other value. `None` means the client has nothing to resume from, as
/// when the header is absent: start it wherever a new client starts.
///
/// The value is not trimmed. An id may begin or end with spaces (R39), and the
/// HTTP layer has already removed the optional whitespace around the header
/// value, so any space still there is part of the id. An id that had spaces at
/// its ends and went through a proxy that trims them will not be found; in a
/// [`ReplayBuffer`] that is a [`Replay::Gap`], never a wrong replay.
/// Browsers trim too: Chromium (156) sends the header without the spaces and
/// tabs at the ends of its last event ID, although its `lastEventId` keeps
/// them (`tests/tests/browser.rs` avoids such ids for that reason). A server
/// whose clients include browsers should mint ids that do not begin or end
/// with a space or a tab.
///
/// It takes the header value's raw bytes, as HTTP stacks hold them
/// (`http::HeaderValue::as_bytes`): an id may hold any non-ASCII text, which
/// `http::HeaderValue::to_str` refuses (it gives visible ASCII only).
///
/// If you want to treat a malformed header differently from an absent one,
/// test for it: a non-empty value for which this returns `None` is malformed.
///
/// ```
/// use sse_core::parse_last_event_id;
/// assert_eq!(parse_last_event_id(b"42"), Some("42"));
/// assert_eq!(parse_last_event_id(" Grüße ".as_bytes()), Some(" Grüße "));
/// assert_eq!(parse_last_event_id(b""), None); // no id: start from the beginning
/// assert_eq!(parse_last_event_id(b"a\0b"), None); // never sent by a client (R24)
/// assert_eq!(parse_last_event_id(b"a\r\nb"), None);
/// assert_eq!(parse_last_event_id(b"\xFF"), None); // not UTF-8
/// ```
pub fn parse_last_event_id(value: &[u8]) -> Option<&str> {
    if value.is_empty() || has_nul(value) || find_line_end(value).is_some() {
        return None;
    }
    core::str::from_utf8(value).ok()
}

/// When to send the next heartbeat on one connection.
///
/// A heartbeat is a comment such as [`KEEP_ALIVE`](crate::KEEP_ALIVE): clients
/// ignore it (R18), but proxies, load balancers and the client's own network
/// stack see traffic and keep the connection open. The standard's authoring
/// notes suggest one roughly every 15 seconds
/// ([`SUGGESTED_INTERVAL_MS`](Self::SUGGESTED_INTERVAL_MS)).
///
/// Any bytes count as traffic, so the timer restarts whenever anything is
/// written to the client: call [`sent`](Self::sent) after every event and every
/// heartbeat. A busy stream then never sends a heartbeat, and an idle one sends
/// one per interval. The schedule never moves backwards: the next deadline is
/// always one interval after the latest time passed to `new` or `sent`.
///
/// The run loop for one connection:
///
/// ```
/// use sse_core::{Instant, KEEP_ALIVE, KeepAlive};
///
/// let mut out: Vec<u8> = Vec::new();
/// let mut keep_alive = KeepAlive::new(KeepAlive::SUGGESTED_INTERVAL_MS, Instant::ZERO);
/// // Simulated clock: an event at 4 s, then silence until 40 s.
/// let events = [(4_000, &b"data: x\n\n"[..])];
/// let mut next_event = events.iter().peekable();
/// let end = Instant::from_millis(40_000);
/// loop {
///     // Sleep until the earlier of the next event and the heartbeat deadline.
///     let event_at = next_event.peek().map(|(at, _)| Instant::from_millis(*at));
///     let now = event_at.map_or(keep_alive.poll_timeout(), |at| at.min(keep_alive.poll_timeout()));
///     if now > end {
///         break;
///     }
///     if let Some((_, bytes)) = next_event.next_if(|(at, _)| Instant::from_millis(*at) <= now) {
///         out.extend_from_slice(bytes);
///         keep_alive.sent(now);
///     }
///     if keep_alive.is_due(now) {
///         out.extend_from_slice(KEEP_ALIVE);
///         keep_alive.sent(now);
///     }
/// }
/// // The event at 4 s, heartbeats at 19 s and 34 s, and the next one due at 49 s.
/// assert_eq!(out, b"data: x\n\n:\n:\n");
/// assert_eq!(keep_alive.poll_timeout(), Instant::from_millis(49_000));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeepAlive {
    interval_ms: u64,
    last_sent: Instant,
}

impl KeepAlive {
    /// 15 000 ms: the interval the standard's authoring notes suggest, short
    /// enough for proxies that drop idle connections after about 30 seconds.
    ///
    /// ```
    /// assert_eq!(sse_core::KeepAlive::SUGGESTED_INTERVAL_MS, 15_000);
    /// ```
    pub const SUGGESTED_INTERVAL_MS: u64 = 15_000;

    /// [`SUGGESTED_INTERVAL_MS`](Self::SUGGESTED_INTERVAL_MS) as a [`Duration`].
    ///
    /// ```
    /// use core::time::Duration;
    /// assert_eq!(sse_core::KeepAlive::SUGGESTED_INTERVAL, Duration::from_secs(15));
    /// ```
    pub const SUGGESTED_INTERVAL: Duration = Duration::from_millis(Self::SUGGESTED_INTERVAL_MS);

    /// A schedule with a heartbeat due `interval_ms` after `now`, the time the
    /// connection was opened (or the response head sent).
    ///
    /// An interval of 0 makes a heartbeat due at every moment, so a loop that
    /// waits for [`poll_timeout`](Self::poll_timeout) would never sleep.
    ///
    /// ```
    /// use sse_core::{Instant, KeepAlive};
    /// let keep_alive = KeepAlive::new(15_000, Instant::from_millis(1_000));
    /// assert_eq!(keep_alive.poll_timeout(), Instant::from_millis(16_000));
    /// ```
    pub const fn new(interval_ms: u64, now: Instant) -> Self {
        Self {
            interval_ms,
            last_sent: now,
        }
    }

    /// [`new`](Self::new) with the interval as a [`Duration`]; a part of a
    /// millisecond counts as a whole one, so a non-zero interval never
    /// becomes zero.
    ///
    /// ```
    /// use core::time::Duration;
    /// use sse_core::{Instant, KeepAlive};
    /// let keep_alive = KeepAlive::with_interval(KeepAlive::SUGGESTED_INTERVAL, Instant::ZERO);
    /// assert_eq!(keep_alive.poll_timeout(), Instant::ZERO + Duration::from_secs(15));
    /// assert_eq!(KeepAlive::with_interval(Duration::from_micros(10), Instant::ZERO).interval_ms(), 1);
    /// ```
    pub const fn with_interval(interval: Duration, now: Instant) -> Self {
        Self::new(ceil_millis(interval), now)
    }

    /// Records that bytes (an event or a heartbeat) were written at `now`: the
    /// next heartbeat is due one interval later. A `now` earlier than the
    /// latest time already given is ignored: the schedule never moves back.
    ///
    /// ```
    /// use sse_core::{Instant, KeepAlive};
    /// let mut keep_alive = KeepAlive::new(15_000, Instant::ZERO);
    /// keep_alive.sent(Instant::from_millis(10_000));
    /// assert_eq!(keep_alive.poll_timeout(), Instant::from_millis(25_000));
    /// keep_alive.sent(Instant::from_millis(5_000)); // stale: ignored
    /// assert_eq!(keep_alive.poll_timeout(), Instant::from_millis(25_000));
    /// ```
    pub fn sent(&mut self, now: Instant) {
        self.last_sent = self.last_sent.max(now);
    }

    /// When the next heartbeat is due: one interval after the last write
    /// (saturating at the end of time). Always a time, never `None`: a
    /// keep-alive schedule always has a next deadline.
    ///
    /// ```
    /// use sse_core::{Instant, KeepAlive};
    /// let keep_alive = KeepAlive::new(15_000, Instant::from_millis(u64::MAX - 1));
    /// assert_eq!(keep_alive.poll_timeout(), Instant::from_millis(u64::MAX));
    /// ```
    pub const fn poll_timeout(&self) -> Instant {
        self.last_sent.add_millis(self.interval_ms)
    }

    /// Whether a heartbeat is due at `now`: `now` is at or past
    /// [`poll_timeout`](Self::poll_timeout).
    ///
    /// ```
    /// use sse_core::{Instant, KeepAlive};
    /// let keep_alive = KeepAlive::new(15_000, Instant::ZERO);
    /// assert!(!keep_alive.is_due(Instant::from_millis(14_999)));
    /// assert!(keep_alive.is_due(Instant::from_millis(15_000)));
    /// ```
    pub fn is_due(&self, now: Instant) -> bool {
        now >= self.poll_timeout()
    }

    /// The interval in milliseconds.
    ///
    /// ```
    /// use sse_core::{Instant, KeepAlive};
    /// assert_eq!(KeepAlive::new(20_000, Instant::ZERO).interval_ms(), 20_000);
    /// ```
    pub const fn interval_ms(&self) -> u64 {
        self.interval_ms
    }

    /// The interval as a [`Duration`].
    ///
    /// ```
    /// use core::time::Duration;
    /// use sse_core::{Instant, KeepAlive};
    /// assert_eq!(KeepAlive::new(20_000, Instant::ZERO).interval(), Duration::from_secs(20));
    /// ```
    pub const fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms)
    }
}

/// An error from [`ReplayBuffer::push`]. The buffer is unchanged.
///
/// ```
/// use sse_core::{ReplayBuffer, ReplayError};
/// let mut history = ReplayBuffer::<16, 4>::new();
/// assert_eq!(history.push("", b"data: x\n\n"), Err(ReplayError::EmptyId));
/// assert_eq!(history.push("1", b"data: far too long\n\n"), Err(ReplayError::TooLarge { required: 21 }));
/// assert!(history.is_empty());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplayError {
    /// The id and the event together are longer than the buffer's `BYTES`.
    TooLarge {
        /// The size in bytes the id and the event need.
        required: usize,
    },
    /// The id is empty. After an event with no id the client's last event ID
    /// does not name it, so nothing could ever resume after it.
    EmptyId,
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { required } => write!(
                f,
                "event too large for the replay buffer: {required} bytes required"
            ),
            Self::EmptyId => f.write_str("event id is empty"),
        }
    }
}

impl core::error::Error for ReplayError {}

/// What to send a client that reconnects with a last event ID: the result of
/// [`ReplayBuffer::replay_after`].
///
/// Exhaustive on purpose: the buffer holds the id or it does not, and a
/// caller's `match` names both cases, so no `_` arm can swallow a loss.
///
/// ```
/// use sse_core::{Replay, ReplayBuffer};
/// let mut history = ReplayBuffer::<64, 4>::new();
/// history.push("1", b"id: 1\ndata: a\n\n")?;
/// assert!(matches!(history.replay_after("1"), Replay::Events(_)));
/// let sent = match history.replay_after("0") {
///     Replay::Events(missed) => missed.count(),
///     Replay::Gap => 0, // send a full refresh instead
/// };
/// assert_eq!(sent, 0);
/// # Ok::<(), sse_core::ReplayError>(())
/// ```
#[derive(Clone, Debug)]
pub enum Replay<'a> {
    /// The id is in the buffer: these are the events after it, oldest first,
    /// exactly as they were pushed. None at all means the client is up to
    /// date.
    Events(ReplayIter<'a>),
    /// The id is not in the buffer: it was evicted, or this buffer never held
    /// it (another server process, a cleared history, a made-up id). Some
    /// events the client has not seen may be lost; the caller decides what to
    /// do, for example send a full refresh first or tell the client.
    Gap,
}

/// One stored event's place in the ring.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Entry {
    /// Where the id starts in the ring; the event bytes follow it. The id
    /// itself never wraps around the end of the ring.
    start: usize,
    /// Length of the id.
    id_len: usize,
    /// Length of the id and the event bytes together.
    len: usize,
}

impl Entry {
    const EMPTY: Self = Self {
        start: 0,
        id_len: 0,
        len: 0,
    };
}

/// `index - modulus` if `index >= modulus`: `index % modulus` for any
/// `index < 2 * modulus`, without a division.
const fn wrap(index: usize, modulus: usize) -> usize {
    if index >= modulus {
        index - modulus
    } else {
        index
    }
}

/// The `len` bytes of `ring` from `start`, wrapping around its end: at most two
/// slices. Out-of-range arguments give shorter slices, never a panic.
fn ring_slices(ring: &[u8], start: usize, len: usize) -> (&[u8], &[u8]) {
    let first_len = len.min(ring.len().saturating_sub(start));
    let first = ring
        .get(start..start.saturating_add(first_len))
        .unwrap_or_default();
    let second = ring.get(..len - first_len).unwrap_or_default();
    (first, second)
}

/// The most recent events sent on a stream, so that a client that reconnects
/// with `Last-Event-ID` gets exactly the events it missed.
///
/// It holds each event's bytes exactly as they were written to clients (for
/// example by [`encode`](fn@crate::encode)) with the event's id, in one ring of
/// `BYTES` bytes, and at most `EVENTS` events. The bytes of an event and its id
/// together take `id.len() + event.len()` bytes of the ring, and when a new
/// event does not fit, the oldest are evicted until it does. Nothing is
/// allocated; the buffer is `BYTES` bytes plus three words per event, so keep
/// a large one in a `static` or a `Box` rather than on the stack.
///
/// [`replay_after`](Self::replay_after) finds a client's last event ID and
/// returns the events after it, or [`Replay::Gap`] when the id is no longer
/// (or was never) in the buffer: a loss is never silent.
///
/// Costs: `push` is O(length of the event) amortized and O(`BYTES`) at worst
/// (when an id would straddle the end of the ring, the ring is rotated so that
/// every id stays one contiguous `&str`); `replay_after` is O(`BYTES`) at worst;
/// the replay iterator is O(1) per slice. Nothing panics, whatever the input.
///
/// ```
/// use sse_core::{Message, Replay, ReplayBuffer, encode};
///
/// let mut history = ReplayBuffer::<4096, 32>::new();
/// let mut buf = [0u8; 128];
/// for (id, data) in [("1", "a"), ("2", "b"), ("3", "c")] {
///     let len = encode(&Message::new().id(id).data(data), &mut buf)?;
///     // ... write &buf[..len] to every connected client, then:
///     history.push(id, &buf[..len])?;
/// }
///
/// // A client reconnects with `Last-Event-ID: 1`.
/// let Replay::Events(missed) = history.replay_after("1") else { panic!("gap") };
/// let bytes: Vec<u8> = missed.flatten().copied().collect();
/// assert_eq!(bytes, b"id: 2\ndata: b\n\nid: 3\ndata: c\n\n");
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ReplayBuffer<const BYTES: usize, const EVENTS: usize> {
    /// Ids and event bytes, oldest first from `head`, wrapping around.
    ring: [u8; BYTES],
    /// Where each event is, oldest first from `first`, wrapping around.
    entries: [Entry; EVENTS],
    /// Where the oldest event starts in `ring`; 0 when empty.
    head: usize,
    /// Bytes of `ring` in use: the sum of the entries' `len`.
    used: usize,
    /// The slot of the oldest entry; 0 when empty.
    first: usize,
    /// Number of events held.
    count: usize,
    /// Number of events evicted so far.
    evicted: u64,
}

impl<const BYTES: usize, const EVENTS: usize> ReplayBuffer<BYTES, EVENTS> {
    /// An empty buffer. `BYTES` and `EVENTS` must both be at least 1, which is
    /// checked at compile time.
    ///
    /// ```
    /// let history = sse_core::ReplayBuffer::<1024, 16>::new();
    /// assert!(history.is_empty());
    /// ```
    ///
    /// ```compile_fail
    /// let history = sse_core::ReplayBuffer::<1024, 0>::new(); // holds nothing
    /// ```
    pub const fn new() -> Self {
        const {
            assert!(
                BYTES > 0 && EVENTS > 0,
                "a ReplayBuffer needs room for at least one byte and one event"
            );
        }
        Self {
            ring: [0; BYTES],
            entries: [Entry::EMPTY; EVENTS],
            head: 0,
            used: 0,
            first: 0,
            count: 0,
            evicted: 0,
        }
    }

    /// Stores the newest event: `event` is its bytes exactly as written to
    /// clients (a whole block, ending with its blank line), `id` is its id,
    /// the last event ID a client has after receiving it (R27). Evicts the
    /// oldest events as needed to stay within `BYTES` bytes and `EVENTS`
    /// events.
    ///
    /// Every event pushed needs an id, or clients could not resume after it:
    /// give each event you store an id (the encoder's [`Message::id`](crate::Message::id)).
    /// An id that is pushed again is found at its newest occurrence.
    ///
    /// # Errors
    ///
    /// [`ReplayError::EmptyId`] for an empty id, [`ReplayError::TooLarge`] when
    /// `id.len() + event.len()` exceeds `BYTES`. The buffer is then unchanged.
    ///
    /// ```
    /// use sse_core::{Replay, ReplayBuffer, ReplayError};
    /// let mut history = ReplayBuffer::<16, 2>::new();
    /// history.push("1", b"data: a\n\n")?; // 1 + 9 bytes
    /// history.push("2", b"data:\n\n")?; // 1 + 7 bytes: "1" is evicted to make room
    /// assert_eq!(history.len(), 1);
    /// assert_eq!(history.evicted(), 1);
    /// assert!(matches!(history.replay_after("1"), Replay::Gap));
    /// assert_eq!(history.push("3", b"data: 123456789\n\n"), Err(ReplayError::TooLarge { required: 18 }));
    /// assert_eq!(history.newest_id(), Some("2"));
    /// # Ok::<(), ReplayError>(())
    /// ```
    pub fn push(&mut self, id: &str, event: &[u8]) -> Result<(), ReplayError> {
        if id.is_empty() {
            return Err(ReplayError::EmptyId);
        }
        let required = id.len().saturating_add(event.len());
        if required > BYTES {
            return Err(ReplayError::TooLarge { required });
        }
        // Terminates: each round removes an event, and with none left there is
        // room (`required <= BYTES`, `EVENTS >= 1`).
        while self.count > 0 && (self.count >= EVENTS || self.used + required > BYTES) {
            self.evict_oldest();
        }
        // `head < BYTES` and `used <= BYTES`, so one wrap is enough.
        let mut at = wrap(self.head + self.used, BYTES);
        if at + id.len() > BYTES {
            // The id would straddle the end of the ring: rotate the ring so the
            // free space starts at 0. After a rotation the write position has
            // to go round the whole ring again before the next one, so the
            // O(BYTES) cost is paid at most once per BYTES bytes pushed.
            self.rotate_to_start(at);
            at = 0;
        }
        self.write(at, id.as_bytes());
        self.write(wrap(at + id.len(), BYTES), event);
        let slot = wrap(self.first + self.count, EVENTS);
        if let Some(entry) = self.entries.get_mut(slot) {
            *entry = Entry {
                start: at,
                id_len: id.len(),
                len: required,
            };
            self.count += 1;
            self.used += required;
        }
        Ok(())
    }

    /// The events after the newest stored event whose id is `last_event_id`,
    /// or [`Replay::Gap`] when no stored event has that id.
    ///
    /// Pass the id from [`parse_last_event_id`]. A client without an id (no
    /// header) has nothing to resume: whether it gets the whole history
    /// ([`iter`](Self::iter)) or only new events is the application's choice.
    ///
    /// ```
    /// use sse_core::{Replay, ReplayBuffer};
    /// let mut history = ReplayBuffer::<256, 8>::new();
    /// history.push("a", b"id: a\ndata: 1\n\n")?;
    /// history.push("b", b"id: b\ndata: 2\n\n")?;
    /// let Replay::Events(mut missed) = history.replay_after("a") else { panic!() };
    /// assert_eq!(missed.next(), Some(&b"id: b\ndata: 2\n\n"[..]));
    /// assert_eq!(missed.next(), None);
    /// // Up to date: nothing to send.
    /// let Replay::Events(mut missed) = history.replay_after("b") else { panic!() };
    /// assert_eq!(missed.next(), None);
    /// # Ok::<(), sse_core::ReplayError>(())
    /// ```
    #[must_use]
    pub fn replay_after(&self, last_event_id: &str) -> Replay<'_> {
        let target = last_event_id.as_bytes();
        for index in (0..self.count).rev() {
            if let Some(entry) = self.entry(index) {
                if entry.id_len == target.len() && self.id_bytes(entry) == target {
                    return Replay::Events(self.iter_from(index + 1));
                }
            }
        }
        Replay::Gap
    }

    /// Every stored event's bytes, oldest first.
    ///
    /// ```
    /// let mut history = sse_core::ReplayBuffer::<64, 4>::new();
    /// history.push("1", b"data: a\n\n")?;
    /// history.push("2", b"data: b\n\n")?;
    /// let all: Vec<u8> = history.iter().flatten().copied().collect();
    /// assert_eq!(all, b"data: a\n\ndata: b\n\n");
    /// # Ok::<(), sse_core::ReplayError>(())
    /// ```
    pub fn iter(&self) -> ReplayIter<'_> {
        self.iter_from(0)
    }

    /// The number of events held.
    ///
    /// ```
    /// let mut history = sse_core::ReplayBuffer::<64, 2>::new();
    /// for id in ["1", "2", "3"] {
    ///     history.push(id, b"data: x\n\n")?;
    /// }
    /// assert_eq!(history.len(), 2);
    /// # Ok::<(), sse_core::ReplayError>(())
    /// ```
    pub const fn len(&self) -> usize {
        self.count
    }

    /// Whether no event is held.
    ///
    /// ```
    /// assert!(sse_core::ReplayBuffer::<64, 2>::new().is_empty());
    /// ```
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The id of the oldest event held: a client whose last event ID is
    /// older than this one's gets a [`Replay::Gap`].
    ///
    /// ```
    /// let mut history = sse_core::ReplayBuffer::<64, 2>::new();
    /// assert_eq!(history.oldest_id(), None);
    /// for id in ["1", "2", "3"] {
    ///     history.push(id, b"data: x\n\n")?;
    /// }
    /// assert_eq!(history.oldest_id(), Some("2"));
    /// # Ok::<(), sse_core::ReplayError>(())
    /// ```
    pub fn oldest_id(&self) -> Option<&str> {
        self.id_at(0)
    }

    /// The id of the newest event held.
    ///
    /// ```
    /// let mut history = sse_core::ReplayBuffer::<64, 2>::new();
    /// assert_eq!(history.newest_id(), None);
    /// history.push("7", b"data: x\n\n")?;
    /// assert_eq!(history.newest_id(), Some("7"));
    /// # Ok::<(), sse_core::ReplayError>(())
    /// ```
    pub fn newest_id(&self) -> Option<&str> {
        self.id_at(self.count.checked_sub(1)?)
    }

    /// How many events have been evicted to make room since the buffer was
    /// created. While it is 0, a [`Replay::Gap`] means the id was never in
    /// this buffer rather than evicted.
    ///
    /// ```
    /// let mut history = sse_core::ReplayBuffer::<64, 1>::new();
    /// history.push("1", b"data: a\n\n")?;
    /// assert_eq!(history.evicted(), 0);
    /// history.push("2", b"data: b\n\n")?;
    /// assert_eq!(history.evicted(), 1);
    /// # Ok::<(), sse_core::ReplayError>(())
    /// ```
    pub const fn evicted(&self) -> u64 {
        self.evicted
    }

    /// The `index`-th oldest entry.
    fn entry(&self, index: usize) -> Option<Entry> {
        if index >= self.count {
            return None;
        }
        // `first < EVENTS` and `index < count <= EVENTS`.
        self.entries.get(wrap(self.first + index, EVENTS)).copied()
    }

    /// The bytes of an entry's id: one slice, since ids never wrap.
    fn id_bytes(&self, entry: Entry) -> &[u8] {
        self.ring
            .get(entry.start..entry.start.saturating_add(entry.id_len))
            .unwrap_or_default()
    }

    /// The id of the `index`-th oldest event.
    fn id_at(&self, index: usize) -> Option<&str> {
        // Always UTF-8: the bytes were copied from a `&str` and never split.
        core::str::from_utf8(self.id_bytes(self.entry(index)?)).ok()
    }

    /// The events from the `index`-th oldest on.
    fn iter_from(&self, index: usize) -> ReplayIter<'_> {
        let index = index.min(self.count);
        ReplayIter {
            ring: &self.ring,
            entries: &self.entries,
            slot: wrap(self.first + index, EVENTS),
            left: self.count - index,
            pending: &[],
        }
    }

    /// Drops the oldest event, if any.
    fn evict_oldest(&mut self) {
        let Some(oldest) = self.entry(0) else {
            return;
        };
        self.head = wrap(self.head + oldest.len, BYTES);
        self.used = self.used.saturating_sub(oldest.len);
        self.first = wrap(self.first + 1, EVENTS);
        self.count -= 1;
        self.evicted = self.evicted.saturating_add(1);
        if self.count == 0 {
            self.head = 0;
            self.first = 0;
            self.used = 0;
        }
    }

    /// Rotates the ring so that the byte at `at` moves to 0, updating every
    /// position that points into it.
    fn rotate_to_start(&mut self, at: usize) {
        let at = at.min(BYTES);
        self.ring.rotate_left(at);
        let moved = |position: usize| {
            if position >= at {
                position - at
            } else {
                position + BYTES - at
            }
        };
        self.head = moved(self.head);
        for index in 0..self.count {
            if let Some(entry) = self.entries.get_mut(wrap(self.first + index, EVENTS)) {
                entry.start = moved(entry.start);
            }
        }
    }

    /// Copies `bytes` into the ring from `at`, wrapping around its end.
    fn write(&mut self, at: usize, bytes: &[u8]) {
        let (head, tail) = bytes.split_at(bytes.len().min(BYTES.saturating_sub(at)));
        if let Some(target) = self.ring.get_mut(at..at + head.len()) {
            target.copy_from_slice(head);
        }
        if let Some(target) = self.ring.get_mut(..tail.len()) {
            target.copy_from_slice(tail);
        }
    }
}

impl<const BYTES: usize, const EVENTS: usize> Default for ReplayBuffer<BYTES, EVENTS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const BYTES: usize, const EVENTS: usize> fmt::Debug for ReplayBuffer<BYTES, EVENTS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplayBuffer")
            .field("len", &self.count)
            .field("bytes_used", &self.used)
            .field("oldest_id", &self.oldest_id())
            .field("newest_id", &self.newest_id())
            .field("evicted", &self.evicted)
            .finish()
    }
}

impl<'a, const BYTES: usize, const EVENTS: usize> IntoIterator for &'a ReplayBuffer<BYTES, EVENTS> {
    type Item = &'a [u8];
    type IntoIter = ReplayIter<'a>;

    fn into_iter(self) -> ReplayIter<'a> {
        self.iter()
    }
}

/// Stored events' bytes, oldest first, borrowed from a [`ReplayBuffer`].
///
/// Each item is a non-empty slice; together, in order, they are exactly the
/// bytes of the events, one after the other. An event that wraps around the
/// end of the buffer's ring comes as two slices, so write every slice as it
/// comes rather than treating one as one event.
///
/// ```
/// let mut history = sse_core::ReplayBuffer::<64, 4>::new();
/// history.push("1", b"data: a\n\n")?;
/// let mut out = [0u8; 64];
/// let mut sink: &mut [u8] = &mut out;
/// let replay = history.iter();
/// assert_eq!(replay.byte_len(), 9);
/// for bytes in replay {
///     sse_core::Sink::put(&mut sink, bytes); // or write to the socket
/// }
/// assert_eq!(&out[..9], b"data: a\n\n");
/// # Ok::<(), sse_core::ReplayError>(())
/// ```
#[derive(Clone)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct ReplayIter<'a> {
    ring: &'a [u8],
    entries: &'a [Entry],
    /// The slot of the next event.
    slot: usize,
    /// Events not yet started.
    left: usize,
    /// The second part of a wrapped event, not yet yielded.
    pending: &'a [u8],
}

impl ReplayIter<'_> {
    /// The number of bytes still to come (O(number of events)).
    ///
    /// ```
    /// let mut history = sse_core::ReplayBuffer::<64, 4>::new();
    /// history.push("1", b"data: a\n\n")?;
    /// history.push("2", b"data: bc\n\n")?;
    /// assert_eq!(history.iter().byte_len(), 19);
    /// # Ok::<(), sse_core::ReplayError>(())
    /// ```
    pub fn byte_len(&self) -> usize {
        self.clone().map(<[u8]>::len).sum()
    }
}

impl<'a> Iterator for ReplayIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            if !self.pending.is_empty() {
                return Some(core::mem::take(&mut self.pending));
            }
            if self.left == 0 {
                return None;
            }
            self.left -= 1;
            let Some(entry) = self.entries.get(self.slot).copied() else {
                self.left = 0;
                return None;
            };
            self.slot = wrap(self.slot + 1, self.entries.len());
            // The id ends at or before the end of the ring.
            let start = wrap(entry.start + entry.id_len, self.ring.len());
            let (first, second) =
                ring_slices(self.ring, start, entry.len.saturating_sub(entry.id_len));
            self.pending = second;
            if !first.is_empty() {
                return Some(first);
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let pending = usize::from(!self.pending.is_empty());
        (
            pending,
            self.left
                .checked_mul(2)
                .and_then(|n| n.checked_add(pending)),
        )
    }
}

impl FusedIterator for ReplayIter<'_> {}

impl fmt::Debug for ReplayIter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplayIter")
            .field("events_left", &self.left)
            .field("pending_bytes", &self.pending.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Bytes = heapless::Vec<u8, 512>;

    fn concat(iter: ReplayIter<'_>) -> Bytes {
        let mut out = Bytes::new();
        for bytes in iter {
            assert!(!bytes.is_empty());
            out.extend_from_slice(bytes).unwrap();
        }
        out
    }

    fn replayed<const B: usize, const E: usize>(
        history: &ReplayBuffer<B, E>,
        id: &str,
    ) -> Option<Bytes> {
        match history.replay_after(id) {
            Replay::Events(events) => Some(concat(events)),
            Replay::Gap => None,
        }
    }

    /// Checks every internal invariant the code relies on.
    fn check_invariants<const B: usize, const E: usize>(history: &ReplayBuffer<B, E>) {
        assert!(history.count <= E);
        assert!(history.used <= B);
        assert!(history.first < E);
        if history.count == 0 {
            assert_eq!((history.head, history.used, history.first), (0, 0, 0));
            return;
        }
        assert!(history.head < B);
        let mut position = history.head;
        let mut used = 0;
        for index in 0..history.count {
            let entry = history.entry(index).unwrap();
            assert_eq!(entry.start, position, "entries are contiguous");
            assert!(entry.id_len >= 1 && entry.id_len <= entry.len);
            assert!(entry.start + entry.id_len <= B, "ids never wrap");
            assert!(history.id_at(index).is_some());
            position = (position + entry.len) % B;
            used += entry.len;
        }
        assert_eq!(used, history.used);
    }

    #[test]
    fn parse_header_values() {
        assert_eq!(parse_last_event_id(b"1"), Some("1"));
        assert_eq!(parse_last_event_id(b" "), Some(" "));
        assert_eq!(parse_last_event_id(b"\t\x01x"), Some("\t\x01x"));
        for bad in [&b""[..], b"\0", b"a\rb", b"a\n", b"\xC3", b"\xED\xA0\x80"] {
            assert_eq!(parse_last_event_id(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn keep_alive_schedule() {
        let mut keep_alive = KeepAlive::new(10, Instant::from_millis(100));
        assert_eq!(keep_alive.poll_timeout(), Instant::from_millis(110));
        assert!(!keep_alive.is_due(Instant::from_millis(109)));
        assert!(keep_alive.is_due(Instant::from_millis(110)));
        keep_alive.sent(Instant::from_millis(105));
        assert_eq!(keep_alive.poll_timeout(), Instant::from_millis(115));
        keep_alive.sent(Instant::from_millis(50));
        assert_eq!(keep_alive.poll_timeout(), Instant::from_millis(115));
        let zero = KeepAlive::new(0, Instant::from_millis(7));
        assert!(zero.is_due(Instant::from_millis(7)));
        let end = KeepAlive::new(u64::MAX, Instant::from_millis(1));
        assert_eq!(end.poll_timeout(), Instant::from_millis(u64::MAX));
        assert!(end.is_due(Instant::from_millis(u64::MAX)));
    }

    #[test]
    fn resume_gives_exactly_the_missed_events() {
        let mut history = ReplayBuffer::<256, 16>::new();
        history.push("1", b"id: 1\ndata: a\n\n").unwrap();
        history.push("2", b"id: 2\ndata: b\n\n").unwrap();
        history.push("3", b"id: 3\ndata: c\n\n").unwrap();
        check_invariants(&history);
        assert_eq!(
            replayed(&history, "1").unwrap(),
            b"id: 2\ndata: b\n\nid: 3\ndata: c\n\n"[..]
        );
        assert_eq!(replayed(&history, "2").unwrap(), b"id: 3\ndata: c\n\n"[..]);
        assert_eq!(replayed(&history, "3").unwrap(), b""[..]);
        assert_eq!(replayed(&history, "4"), None);
        assert_eq!(replayed(&history, ""), None);
        assert_eq!(replayed(&history, "1 "), None);
    }

    #[test]
    fn repeated_id_resumes_after_newest_occurrence() {
        let mut history = ReplayBuffer::<256, 16>::new();
        history.push("x", b"A").unwrap();
        history.push("y", b"B").unwrap();
        history.push("x", b"C").unwrap();
        history.push("z", b"D").unwrap();
        assert_eq!(replayed(&history, "x").unwrap(), b"D"[..]);
        assert_eq!(replayed(&history, "y").unwrap(), b"CD"[..]);
    }

    #[test]
    fn evicted_id_is_a_gap() {
        let mut history = ReplayBuffer::<20, 16>::new();
        for (id, event) in [
            ("1", b"aaaa"),
            ("2", b"bbbb"),
            ("3", b"cccc"),
            ("4", b"dddd"),
        ] {
            history.push(id, event).unwrap();
        }
        assert_eq!(history.evicted(), 0);
        history.push("5", b"eeee").unwrap(); // 5 * 5 = 25 > 20: "1" goes
        check_invariants(&history);
        assert_eq!(history.evicted(), 1);
        assert_eq!(history.len(), 4);
        assert_eq!(history.oldest_id(), Some("2"));
        assert_eq!(replayed(&history, "1"), None);
        assert_eq!(replayed(&history, "2").unwrap(), b"ccccddddeeee"[..]);
    }

    #[test]
    fn event_count_limit() {
        let mut history = ReplayBuffer::<1000, 3>::new();
        for (n, id) in ["1", "2", "3", "4", "5"].into_iter().enumerate() {
            history.push(id, b"x").unwrap();
            check_invariants(&history);
            assert_eq!(history.len(), (n + 1).min(3));
        }
        assert_eq!(history.evicted(), 2);
        assert_eq!(replayed(&history, "2"), None);
        assert_eq!(replayed(&history, "3").unwrap(), b"xx"[..]);
        assert_eq!(concat(history.iter()), b"xxx"[..]);
    }

    #[test]
    fn event_exactly_bytes_long() {
        let mut history = ReplayBuffer::<10, 4>::new();
        history.push("1", b"abc").unwrap();
        history.push("2", b"def").unwrap();
        history.push("id", b"01234567").unwrap(); // 2 + 8 = 10: evicts everything
        check_invariants(&history);
        assert_eq!(history.len(), 1);
        assert_eq!(history.evicted(), 2);
        assert_eq!(concat(history.iter()), b"01234567"[..]);
        assert_eq!(replayed(&history, "id").unwrap(), b""[..]);
        history.push("3", b"x").unwrap();
        check_invariants(&history);
        assert_eq!(concat(history.iter()), b"x"[..]);
        // The id alone may fill the whole ring.
        history.push("0123456789", b"").unwrap();
        check_invariants(&history);
        assert_eq!(history.newest_id(), Some("0123456789"));
        assert_eq!(history.iter().next(), None);
    }

    #[test]
    fn too_large_leaves_the_buffer_unchanged() {
        let mut history = ReplayBuffer::<10, 4>::new();
        history.push("1", b"abc").unwrap();
        history.push("2", b"def").unwrap();
        assert_eq!(
            history.push("id", b"012345678"),
            Err(ReplayError::TooLarge { required: 11 })
        );
        assert_eq!(history.push("", b"x"), Err(ReplayError::EmptyId));
        check_invariants(&history);
        assert_eq!(history.len(), 2);
        assert_eq!(history.evicted(), 0);
        assert_eq!(concat(history.iter()), b"abcdef"[..]);
        assert_eq!(replayed(&history, "1").unwrap(), b"def"[..]);
    }

    /// What a buffer of `B` bytes and `E` events holds after `pushes`: the
    /// longest suffix that fits.
    fn expected<const B: usize, const E: usize>(pushes: &[(&str, &[u8])]) -> Bytes {
        let (mut bytes, mut events, mut from) = (0, 0, pushes.len());
        while let Some((id, event)) = from.checked_sub(1).map(|i| pushes[i]) {
            if events == E || bytes + id.len() + event.len() > B {
                break;
            }
            bytes += id.len() + event.len();
            events += 1;
            from -= 1;
        }
        let mut out = Bytes::new();
        for (_, event) in &pushes[from..] {
            out.extend_from_slice(event).unwrap();
        }
        out
    }

    #[test]
    fn wraparound_at_every_offset() {
        // A filler of every length, then a few small events, put the next
        // events at every position of the ring, with ids and bodies crossing
        // its end at every point.
        const B: usize = 23;
        let events: [(&str, &[u8]); 5] = [
            ("a", b"0123456"),
            ("bcd", b"xyz"),
            ("e", b""),
            ("fg", b"klmnopqrst"),
            ("hijklm", b"uv"),
        ];
        let body = [b'.'; B];
        for filler in 1..=B {
            for skip in 0..B {
                let mut history = ReplayBuffer::<B, 8>::new();
                let mut pushes = heapless::Vec::<(&str, &[u8]), 64>::new();
                pushes.push(("f", &body[..filler - 1])).unwrap();
                for _ in 0..skip {
                    pushes.push(("s", b"-")).unwrap();
                }
                pushes.extend_from_slice(&events).unwrap();
                for (n, (id, event)) in pushes.iter().enumerate() {
                    history.push(id, event).unwrap();
                    check_invariants(&history);
                    assert_eq!(history.newest_id(), Some(*id));
                    assert_eq!(replayed(&history, id).unwrap(), b""[..]);
                    assert_eq!(
                        concat(history.iter()),
                        expected::<B, 8>(&pushes[..=n]),
                        "filler {filler} skip {skip} push {n}"
                    );
                }
                // "e" + "fg" + 10 + "hijklm" + 2 = 21 <= 23: held whatever the offset.
                assert_eq!(
                    replayed(&history, "e").unwrap(),
                    b"klmnopqrstuv"[..],
                    "filler {filler} skip {skip}"
                );
                assert_eq!(replayed(&history, "fg").unwrap(), b"uv"[..]);
            }
        }
    }

    #[test]
    fn wrapped_event_comes_as_two_slices() {
        let mut history = ReplayBuffer::<10, 4>::new();
        history.push("1", b"abcd").unwrap(); // 0..5
        history.push("2", b"ef").unwrap(); // 5..8
        history.push("3", b"ghi").unwrap(); // evicts "1"; id at 8, body wraps
        check_invariants(&history);
        let mut replay = history.iter();
        assert_eq!(replay.size_hint(), (0, Some(4)));
        assert_eq!(replay.next(), Some(&b"ef"[..]));
        assert_eq!(replay.next(), Some(&b"g"[..]));
        assert_eq!(replay.size_hint(), (1, Some(1)));
        assert_eq!(replay.next(), Some(&b"hi"[..]));
        assert_eq!(replay.next(), None);
        assert_eq!(replay.next(), None);
    }

    #[test]
    fn straddling_id_rotates_the_ring() {
        let mut history = ReplayBuffer::<10, 4>::new();
        history.push("1", b"abcdef").unwrap(); // 0..7
        history.push("2", b"x").unwrap(); // 7..9
        history.push("345", b"y").unwrap(); // evicts "1"; the id would cover 9..12
        check_invariants(&history);
        assert_eq!(history.newest_id(), Some("345"));
        assert_eq!(history.oldest_id(), Some("2"));
        assert_eq!(concat(history.iter()), b"xy"[..]);
        assert_eq!(replayed(&history, "2").unwrap(), b"y"[..]);
    }

    #[test]
    fn errors_display_lowercase_without_period() {
        use core::fmt::Write;
        for error in [ReplayError::TooLarge { required: 3 }, ReplayError::EmptyId] {
            let mut text = heapless::String::<128>::new();
            write!(text, "{error}").unwrap();
            assert!(text.starts_with(|c: char| c.is_ascii_lowercase()));
            assert!(!text.ends_with('.'));
        }
    }

    #[test]
    fn debug_is_a_summary() {
        use core::fmt::Write;
        let mut history = ReplayBuffer::<16, 2>::new();
        history.push("1", b"data: a\n\n").unwrap();
        let mut text = heapless::String::<256>::new();
        write!(text, "{history:?} {:?}", history.iter()).unwrap();
        assert_eq!(
            text,
            "ReplayBuffer { len: 1, bytes_used: 10, oldest_id: Some(\"1\"), \
             newest_id: Some(\"1\"), evicted: 0 } ReplayIter { events_left: 1, pending_bytes: 0 }"
        );
    }
}
