//! The event layer: whole events from a `text/event-stream` body (R16-R35).

use crate::error::{BufferTooSmall, DecodeError};
use crate::field::{FieldName, FieldParser, SimpleLine, Token, Value};
use crate::utf8;

/// Maximum sizes for the parts of one event, in bytes of decoded UTF-8.
///
/// The standard sets no limits (sse-spec §11); a decoder with fixed memory needs
/// them. A part longer than its limit makes [`Decoder::next`] return a
/// [`DecodeError`] for that event, which is then skipped up to the next blank
/// line. Limits above the storage's capacity are lowered to it.
///
/// Defaults: no limit beyond the storage's capacity.
///
/// ```
/// use sse_core::Limits;
/// let limits = Limits::new().max_data(1024).max_event_type(32).max_id(64);
/// assert_eq!(limits.data(), 1024);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    data: usize,
    event_type: usize,
    id: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}

impl Limits {
    /// No limits beyond the storage's capacities.
    ///
    /// ```
    /// assert_eq!(sse_core::Limits::new().data(), usize::MAX);
    /// ```
    pub const fn new() -> Self {
        Self {
            data: usize::MAX,
            event_type: usize::MAX,
            id: usize::MAX,
        }
    }

    /// Sets the maximum length of an event's data (its `data` lines joined with LF).
    ///
    /// ```
    /// assert_eq!(sse_core::Limits::new().max_data(5).data(), 5);
    /// ```
    #[must_use]
    pub const fn max_data(mut self, bytes: usize) -> Self {
        self.data = bytes;
        self
    }

    /// Sets the maximum length of an event type.
    ///
    /// ```
    /// assert_eq!(sse_core::Limits::new().max_event_type(5).event_type(), 5);
    /// ```
    #[must_use]
    pub const fn max_event_type(mut self, bytes: usize) -> Self {
        self.event_type = bytes;
        self
    }

    /// Sets the maximum length of an event ID.
    ///
    /// ```
    /// assert_eq!(sse_core::Limits::new().max_id(5).id(), 5);
    /// ```
    #[must_use]
    pub const fn max_id(mut self, bytes: usize) -> Self {
        self.id = bytes;
        self
    }

    /// The maximum length of an event's data.
    ///
    /// ```
    /// assert_eq!(sse_core::Limits::new().data(), usize::MAX);
    /// ```
    pub const fn data(&self) -> usize {
        self.data
    }

    /// The maximum length of an event type.
    ///
    /// ```
    /// assert_eq!(sse_core::Limits::new().event_type(), usize::MAX);
    /// ```
    pub const fn event_type(&self) -> usize {
        self.event_type
    }

    /// The maximum length of an event ID.
    ///
    /// ```
    /// assert_eq!(sse_core::Limits::new().id(), usize::MAX);
    /// ```
    pub const fn id(&self) -> usize {
        self.id
    }

    const fn min(self, other: Self) -> Self {
        const fn min(a: usize, b: usize) -> usize {
            if a < b { a } else { b }
        }
        Self {
            data: min(self.data, other.data),
            event_type: min(self.event_type, other.event_type),
            id: min(self.id, other.id),
        }
    }
}

/// Mutable views of a decoder's buffers. Three id buffers let a new `id` be
/// written while both the committed last event ID (R27) and the buffer value set
/// earlier in the same block are kept, as an `id` with NUL must leave them (R24).
#[doc(hidden)]
#[derive(Debug)]
pub struct Parts<'b> {
    data: &'b mut [u8],
    event_type: &'b mut [u8],
    ids: [&'b mut [u8]; 3],
}

mod sealed {
    /// Implemented only by this crate's buffer types.
    #[allow(unreachable_pub)]
    pub trait Sealed {
        fn parts(&mut self) -> super::Parts<'_>;
        fn data(&mut self) -> &mut [u8];
        fn id(&self, index: usize) -> &[u8];
        fn capacities(&self) -> super::Limits;
    }
}

/// Where a [`Decoder`] keeps an event while it arrives: [`InlineBuffers`] or
/// [`SliceBuffers`]. Sealed: the decoder relies on the buffers' sizes staying put.
pub trait Storage: sealed::Sealed {}

/// Buffers held inline, with capacities fixed at compile time.
///
/// - `DATA`: an event's data, lines joined with LF;
/// - `EVENT_TYPE`: the event type (default 64 bytes);
/// - `ID`: an event ID; three are kept (default 128 bytes each).
///
/// ```
/// use sse_core::{Decoder, InlineBuffers};
/// // 4 KiB of data, event types up to 32 bytes, ids up to 64 bytes.
/// let decoder = Decoder::<InlineBuffers<4096, 32, 64>>::new();
/// assert_eq!(decoder.limits().data(), 4096);
/// ```
#[derive(Clone, Debug)]
pub struct InlineBuffers<const DATA: usize, const EVENT_TYPE: usize = 64, const ID: usize = 128> {
    data: [u8; DATA],
    event_type: [u8; EVENT_TYPE],
    ids: [[u8; ID]; 3],
}

impl<const DATA: usize, const EVENT_TYPE: usize, const ID: usize>
    InlineBuffers<DATA, EVENT_TYPE, ID>
{
    /// Zeroed buffers.
    ///
    /// ```
    /// let buffers = sse_core::InlineBuffers::<256>::new();
    /// let decoder = sse_core::Decoder::with_storage(buffers);
    /// assert_eq!(decoder.limits().id(), 128);
    /// ```
    pub const fn new() -> Self {
        Self {
            data: [0; DATA],
            event_type: [0; EVENT_TYPE],
            ids: [[0; ID]; 3],
        }
    }
}

impl<const DATA: usize, const EVENT_TYPE: usize, const ID: usize> Default
    for InlineBuffers<DATA, EVENT_TYPE, ID>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<const DATA: usize, const EVENT_TYPE: usize, const ID: usize> sealed::Sealed
    for InlineBuffers<DATA, EVENT_TYPE, ID>
{
    fn parts(&mut self) -> Parts<'_> {
        let [a, b, c] = &mut self.ids;
        Parts {
            data: &mut self.data,
            event_type: &mut self.event_type,
            ids: [a, b, c],
        }
    }
    fn data(&mut self) -> &mut [u8] {
        &mut self.data
    }
    fn id(&self, index: usize) -> &[u8] {
        &self.ids[index]
    }
    fn capacities(&self) -> Limits {
        Limits::new()
            .max_data(DATA)
            .max_event_type(EVENT_TYPE)
            .max_id(ID)
    }
}

impl<const DATA: usize, const EVENT_TYPE: usize, const ID: usize> Storage
    for InlineBuffers<DATA, EVENT_TYPE, ID>
{
}

/// Buffers carved out of one caller-supplied byte slice.
///
/// The slice is split into an event type buffer of `limits.event_type()` bytes,
/// three id buffers of `limits.id()` bytes, and a data buffer of the rest (at
/// most `limits.data()`).
///
/// ```
/// use sse_core::{Decoder, Limits, SliceBuffers};
/// let mut memory = [0u8; 1024];
/// let buffers = SliceBuffers::new(&mut memory, Limits::new().max_event_type(32).max_id(64))?;
/// let decoder = Decoder::with_storage(buffers);
/// assert_eq!(decoder.limits().data(), 1024 - 32 - 3 * 64);
/// # Ok::<(), sse_core::BufferTooSmall>(())
/// ```
#[derive(Debug)]
pub struct SliceBuffers<'b> {
    data: &'b mut [u8],
    event_type: &'b mut [u8],
    ids: [&'b mut [u8]; 3],
}

impl<'b> SliceBuffers<'b> {
    /// Splits `memory` as described on the type.
    ///
    /// Fails when `memory` cannot hold the event type and the three ids. With
    /// [`Limits::new()`] (no limits) the event type and ids would take all of it,
    /// so set [`Limits::max_event_type`] and [`Limits::max_id`].
    ///
    /// ```
    /// use sse_core::{Limits, SliceBuffers};
    /// let mut memory = [0u8; 100];
    /// assert!(SliceBuffers::new(&mut memory, Limits::new().max_event_type(10).max_id(30)).is_ok());
    /// assert!(SliceBuffers::new(&mut memory, Limits::new().max_event_type(11).max_id(30)).is_err());
    /// ```
    pub fn new(memory: &'b mut [u8], limits: Limits) -> Result<Self, BufferTooSmall> {
        let required = limits
            .id
            .checked_mul(3)
            .and_then(|ids| ids.checked_add(limits.event_type))
            .ok_or(BufferTooSmall {
                required: usize::MAX,
            })?;
        if memory.len() < required {
            return Err(BufferTooSmall { required });
        }
        let (event_type, rest) = memory.split_at_mut(limits.event_type);
        let (a, rest) = rest.split_at_mut(limits.id);
        let (b, rest) = rest.split_at_mut(limits.id);
        let (c, rest) = rest.split_at_mut(limits.id);
        let data_len = rest.len().min(limits.data);
        let data = &mut rest[..data_len];
        Ok(Self {
            data,
            event_type,
            ids: [a, b, c],
        })
    }
}

impl sealed::Sealed for SliceBuffers<'_> {
    fn parts(&mut self) -> Parts<'_> {
        let [a, b, c] = &mut self.ids;
        Parts {
            data: self.data,
            event_type: self.event_type,
            ids: [a, b, c],
        }
    }
    fn data(&mut self) -> &mut [u8] {
        self.data
    }
    fn id(&self, index: usize) -> &[u8] {
        self.ids[index]
    }
    fn capacities(&self) -> Limits {
        Limits::new()
            .max_data(self.data.len())
            .max_event_type(self.event_type.len())
            .max_id(self.ids[0].len())
    }
}

impl Storage for SliceBuffers<'_> {}

/// One dispatched event (R30, R33): a `MessageEvent`'s type, data and last event ID.
///
/// The strings borrow from the decoder's buffers or, when the event's data was
/// one line inside the chunk being decoded, straight from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Event<'a> {
    event_type: &'a str,
    data: &'a str,
    last_event_id: &'a str,
}

impl<'a> Event<'a> {
    /// The event type: the last `event` field's value, or `"message"` when there
    /// was none or it was empty (R22, R30).
    ///
    /// ```
    /// let mut decoder = sse_core::Decoder::<sse_core::InlineBuffers<64>>::new();
    /// let mut input = &b"event: token\ndata: hi\n\n"[..];
    /// let item = decoder.next(&mut input).unwrap().unwrap();
    /// assert_eq!(item.event().unwrap().event_type(), "token");
    /// ```
    pub const fn event_type(&self) -> &'a str {
        self.event_type
    }

    /// The data: every `data` line's value joined with LF (R23, R29).
    ///
    /// ```
    /// let mut decoder = sse_core::Decoder::<sse_core::InlineBuffers<64>>::new();
    /// let mut input = &b"data: a\ndata\ndata:  b\n\n"[..];
    /// let item = decoder.next(&mut input).unwrap().unwrap();
    /// assert_eq!(item.event().unwrap().data(), "a\n\n b");
    /// ```
    pub const fn data(&self) -> &'a str {
        self.data
    }

    /// The last event ID as of this event (R27, R30).
    ///
    /// ```
    /// let mut decoder = sse_core::Decoder::<sse_core::InlineBuffers<64>>::new();
    /// let mut input = &b"id: 7\n\ndata: x\n\n"[..];
    /// let item = decoder.next(&mut input).unwrap().unwrap();
    /// assert_eq!(item.no_data_last_event_id(), Some("7"));
    /// let item = decoder.next(&mut input).unwrap().unwrap();
    /// assert_eq!(item.event().unwrap().last_event_id(), "7");
    /// ```
    pub const fn last_event_id(&self) -> &'a str {
        self.last_event_id
    }
}

/// What [`Decoder::next`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Item<'a> {
    /// A dispatched event (R27-R31).
    Event(Event<'a>),
    /// A valid `retry` field: the reconnection time is now this many
    /// milliseconds (R25). It takes effect at once, whether or not the block is
    /// later dispatched.
    Retry(u64),
    /// A blank line ended a block that had fields but no `data`, so no event was
    /// dispatched (R28). The last event ID was still committed (R27): this is how
    /// an `id`-only block reaches the caller.
    NoData {
        /// The last event ID after the blank line.
        last_event_id: &'a str,
    },
    /// A piece of a comment line (R18), raw bytes after the colon and one
    /// optional space. Only reported when enabled with [`Decoder::with_comments`];
    /// a heartbeat such as `: ping` arrives as one piece with `end_of_line` set.
    Comment {
        /// Raw bytes of the comment, borrowed from the input.
        text: &'a [u8],
        /// Whether the comment line ended after these bytes.
        end_of_line: bool,
    },
}

impl<'a> Item<'a> {
    /// The event, if this item is one.
    ///
    /// ```
    /// let mut decoder = sse_core::Decoder::<sse_core::InlineBuffers<64>>::new();
    /// let mut input = &b"retry: 10\ndata: x\n\n"[..];
    /// assert!(decoder.next(&mut input).unwrap().unwrap().event().is_none());
    /// assert!(decoder.next(&mut input).unwrap().unwrap().event().is_some());
    /// ```
    pub const fn event(&self) -> Option<&Event<'a>> {
        match self {
            Self::Event(event) => Some(event),
            _ => None,
        }
    }

    /// The last event ID of a [`Item::NoData`] block.
    ///
    /// ```
    /// let mut decoder = sse_core::Decoder::<sse_core::InlineBuffers<64>>::new();
    /// let mut input = &b"id: 42\n\n"[..];
    /// assert_eq!(decoder.next(&mut input).unwrap().unwrap().no_data_last_event_id(), Some("42"));
    /// ```
    pub const fn no_data_last_event_id(&self) -> Option<&'a str> {
        match self {
            Self::NoData { last_event_id } => Some(last_event_id),
            _ => None,
        }
    }
}

/// How a response body ended, from [`Decoder::finish`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub enum EndOfBody {
    /// Nothing was pending: every field and event had been processed.
    Clean,
    /// An incomplete event or line was discarded, as the standard requires (R15, R34).
    Discarded,
}

/// A `text/event-stream` decoder: body bytes in, [`Item`]s out.
///
/// It implements the standard's parsing and interpretation exactly (R8-R35),
/// keeps every event in the fixed buffers of its [`Storage`], allocates
/// nothing, and never panics. Feed each chunk with [`next`](Self::next) until it
/// returns `None`; call [`finish`](Self::finish) when the body ends.
///
/// # Example
///
/// ```
/// use sse_core::{Decoder, InlineBuffers, Item};
///
/// let mut decoder = Decoder::<InlineBuffers<1024>>::new();
/// let mut seen = 0;
/// for chunk in [&b"event: tok"[..], b"en\r\ndata: Hel", b"lo\r\n\r\ndata: [DONE]\n\n"] {
///     let mut input = chunk;
///     while let Some(item) = decoder.next(&mut input) {
///         match item {
///             Ok(Item::Event(event)) => {
///                 if seen == 0 {
///                     assert_eq!((event.event_type(), event.data()), ("token", "Hello"));
///                 } else {
///                     assert_eq!((event.event_type(), event.data()), ("message", "[DONE]"));
///                 }
///                 seen += 1;
///             }
///             Ok(_) => {}
///             Err(error) => panic!("{error}"),
///         }
///     }
/// }
/// assert_eq!(decoder.finish(), sse_core::EndOfBody::Clean);
/// assert_eq!(seen, 2);
/// ```
#[derive(Clone, Debug)]
pub struct Decoder<S: Storage> {
    state: State,
    storage: S,
}

/// How many bytes of data are copied between two UTF-8 checks (see
/// `State::check_data`): small enough to be still in the L1 cache, large
/// enough that a check's fixed cost does not matter. The fuzz targets (built
/// with `cfg(fuzzing)`) check every 16 bytes, so that their short inputs
/// reach checks at every kind of character boundary and error.
const CHECK_EVERY: usize = if cfg!(fuzzing) { 16 } else { 4096 };

/// Everything but the buffers; not generic, so the decoding code exists once.
#[derive(Clone, Debug)]
struct State {
    fields: FieldParser,
    limits: Limits,
    capacities: Limits,
    comments: bool,
    /// The last valid `retry` value (R25).
    retry: Option<u64>,

    /// Bytes in the data buffer (raw UTF-8 until dispatch).
    data_len: usize,
    /// The first bytes of the data buffer that are known to be valid UTF-8
    /// ending at a character boundary, so that dispatch checks only the rest.
    data_checked: usize,
    /// The data length at which the next check is due (see
    /// [`check_data`](Self::check_data)); `usize::MAX` once an error is found.
    data_check_at: usize,
    /// A `data` field was seen in this block (R28).
    has_data: bool,
    /// Bytes in the event type buffer.
    event_type_len: usize,
    /// Lengths of the three id buffers.
    id_len: [usize; 3],
    /// The id buffer holding the committed last event ID string (R27).
    committed: usize,
    /// The id buffer holding the last event ID buffer (R24): `committed` unless
    /// a valid `id` came in this block.
    current: usize,
    /// The id buffer the `id` line being read goes into.
    incoming: usize,

    /// The previous value piece did not end its line.
    mid_line: bool,
    /// The `id` line being read contains NUL (R24).
    id_has_nul: bool,
    /// The `id` line being read is longer than the limit.
    id_too_long: bool,
    /// The `retry` line being read: its value so far, `None` once invalid (R25).
    retry_value: Option<u64>,
    /// The `retry` line being read has at least one byte.
    retry_nonempty: bool,
    /// The block has had a non-comment line.
    has_fields: bool,
    /// An error happened in this block: skip to the next blank line.
    skipping: bool,
}

impl<const DATA: usize, const EVENT_TYPE: usize, const ID: usize>
    Decoder<InlineBuffers<DATA, EVENT_TYPE, ID>>
{
    /// A decoder with inline buffers.
    ///
    /// ```
    /// let decoder = sse_core::Decoder::<sse_core::InlineBuffers<8192>>::new();
    /// assert_eq!(decoder.last_event_id(), "");
    /// ```
    pub const fn new() -> Self {
        let storage = InlineBuffers::new();
        let capacities = Limits::new()
            .max_data(DATA)
            .max_event_type(EVENT_TYPE)
            .max_id(ID);
        Self {
            state: State::new(capacities),
            storage,
        }
    }
}

impl<const DATA: usize, const EVENT_TYPE: usize, const ID: usize> Default
    for Decoder<InlineBuffers<DATA, EVENT_TYPE, ID>>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Storage> Decoder<S> {
    /// A decoder that keeps events in `storage`.
    ///
    /// ```
    /// use sse_core::{Decoder, Limits, SliceBuffers};
    /// let mut memory = [0u8; 512];
    /// let buffers = SliceBuffers::new(&mut memory, Limits::new().max_event_type(16).max_id(32))?;
    /// let mut decoder = Decoder::with_storage(buffers);
    /// let mut input = &b"data: hi\n\n"[..];
    /// assert_eq!(decoder.next(&mut input).unwrap()?.event().unwrap().data(), "hi");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_storage(storage: S) -> Self {
        Self {
            state: State::new(storage.capacities()),
            storage,
        }
    }

    /// Lowers the limits below the storage's capacities (R-limits, sse-spec §11).
    ///
    /// ```
    /// use sse_core::{Decoder, InlineBuffers, Limits};
    /// let decoder = Decoder::<InlineBuffers<4096>>::new().with_limits(Limits::new().max_data(100));
    /// assert_eq!(decoder.limits().data(), 100);
    /// assert_eq!(decoder.limits().id(), 128);
    /// ```
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.set_limits(limits);
        self
    }

    /// Sets the limits in place, for a decoder too large to move (in a
    /// `static` or a `Box`). They apply to what is decoded from then on.
    ///
    /// ```
    /// use sse_core::{Decoder, InlineBuffers, Limits};
    /// let mut decoder = Box::new(Decoder::<InlineBuffers<{ 1 << 20 }>>::new());
    /// decoder.set_limits(Limits::new().max_data(100));
    /// assert_eq!(decoder.limits().data(), 100);
    /// ```
    pub fn set_limits(&mut self, limits: Limits) {
        self.state.limits = limits.min(self.state.capacities);
    }

    /// Reports comments as [`Item::Comment`] (they are ignored by default, R18).
    ///
    /// ```
    /// use sse_core::{Decoder, InlineBuffers, Item};
    /// let mut decoder = Decoder::<InlineBuffers<64>>::new().with_comments(true);
    /// let mut input = &b": ping\n"[..];
    /// assert_eq!(
    ///     decoder.next(&mut input),
    ///     Some(Ok(Item::Comment { text: b"ping", end_of_line: true }))
    /// );
    /// ```
    #[must_use]
    pub fn with_comments(mut self, report: bool) -> Self {
        self.state.comments = report;
        self
    }

    /// The limits in force.
    ///
    /// ```
    /// let decoder = sse_core::Decoder::<sse_core::InlineBuffers<64, 8, 16>>::new();
    /// assert_eq!(decoder.limits().event_type(), 8);
    /// ```
    pub fn limits(&self) -> Limits {
        self.state.limits
    }

    /// The last event ID string (R27): what a reconnection sends as
    /// `Last-Event-ID` when it is not empty (R39).
    ///
    /// ```
    /// let mut decoder = sse_core::Decoder::<sse_core::InlineBuffers<64>>::new();
    /// let mut input = &b"id: a\ndata: x\n\nid: b\n"[..];
    /// while decoder.next(&mut input).is_some() {}
    /// assert_eq!(decoder.last_event_id(), "a"); // `b` awaits its blank line
    /// ```
    pub fn last_event_id(&self) -> &str {
        let id = self.storage.id(self.state.committed);
        text(&id[..self.state.id_len[self.state.committed]])
    }

    /// The last valid `retry` value seen, in milliseconds (R25), across bodies.
    ///
    /// ```
    /// let mut decoder = sse_core::Decoder::<sse_core::InlineBuffers<64>>::new();
    /// let mut input = &b"retry: 2500\nretry: 1.5\n"[..];
    /// while decoder.next(&mut input).is_some() {}
    /// assert_eq!(decoder.retry(), Some(2500));
    /// ```
    pub fn retry(&self) -> Option<u64> {
        self.state.retry
    }

    /// Sets the last event ID string, as when resuming a stream saved earlier
    /// (R35). Any id pending in the current block is dropped.
    ///
    /// ```
    /// use sse_core::{DecodeError, Decoder, InlineBuffers};
    /// let mut decoder = Decoder::<InlineBuffers<64, 16, 8>>::new();
    /// decoder.set_last_event_id("41")?;
    /// assert_eq!(decoder.last_event_id(), "41");
    /// assert_eq!(decoder.set_last_event_id("a\0b"), Err(DecodeError::IdContainsNul));
    /// assert_eq!(decoder.set_last_event_id("123456789"), Err(DecodeError::IdTooLong { limit: 8 }));
    /// # Ok::<(), DecodeError>(())
    /// ```
    pub fn set_last_event_id(&mut self, id: &str) -> Result<(), DecodeError> {
        let state = &mut self.state;
        if id.len() > state.limits.id {
            return Err(DecodeError::IdTooLong {
                limit: state.limits.id,
            });
        }
        if id.as_bytes().contains(&0) {
            return Err(DecodeError::IdContainsNul);
        }
        let index = (state.committed + 1) % 3;
        let parts = self.storage.parts();
        parts.ids[index][..id.len()].copy_from_slice(id.as_bytes());
        state.id_len[index] = id.len();
        state.committed = index;
        state.current = index;
        Ok(())
    }

    /// Decodes from `input`, advancing it past what was used, until there is
    /// something to report.
    ///
    /// Returns `None` when all of `input` has been used: feed the next chunk.
    /// Work is linear in the input however it is chunked: a byte is looked at
    /// once, or twice when the start of a block that looked simple (comments
    /// and one `data` line, taken whole in one step) turns out to need the
    /// general path, and never again in a later call. An `Err` reports an
    /// event that broke a limit; that event is skipped and decoding goes on
    /// with the next call.
    ///
    /// ```
    /// use sse_core::{Decoder, InlineBuffers, Item};
    /// let mut decoder = Decoder::<InlineBuffers<64>>::new();
    /// let mut input = &b"retry: 1000\ndata: x"[..];
    /// assert_eq!(decoder.next(&mut input), Some(Ok(Item::Retry(1000))));
    /// assert_eq!(decoder.next(&mut input), None);
    /// let mut input = &b"\n\n"[..];
    /// assert_eq!(decoder.next(&mut input).unwrap().unwrap().event().unwrap().data(), "x");
    /// ```
    #[allow(clippy::should_implement_trait)]
    #[inline]
    pub fn next<'s, 'a: 's>(
        &'s mut self,
        input: &mut &'a [u8],
    ) -> Option<Result<Item<'s>, DecodeError>> {
        if self.state.in_data_line() {
            // The middle of a long data line, the usual case for small pieces
            // and long lines: only the data buffer is needed.
            let data = self.storage.data();
            let error = if input.len() < 16 {
                self.state.short_data_piece(data, input)
            } else {
                self.state.data_piece(data, input)
            };
            if let Some(error) = error {
                return self.state.fail(error);
            }
            if input.is_empty() {
                return None;
            }
        } else if let Some(data) = self.state.whole_block(input) {
            return Some(Ok(Item::Event(Event {
                event_type: "message",
                data,
                last_event_id: self.last_event_id(),
            })));
        }
        self.state.next(self.storage.parts(), input)
    }

    /// Ends the response body: discards any incomplete event and line (R15,
    /// R34) and gets ready for a new body (R35), which starts with BOM detection
    /// and the last event ID string as its id buffer. The last event ID string
    /// and `retry` value carry over.
    ///
    /// ```
    /// use sse_core::{Decoder, EndOfBody, InlineBuffers};
    /// let mut decoder = Decoder::<InlineBuffers<64>>::new();
    /// let mut input = &b"id: 1\ndata: never dispatched\n"[..];
    /// while decoder.next(&mut input).is_some() {}
    /// assert_eq!(decoder.finish(), EndOfBody::Discarded);
    /// assert_eq!(decoder.last_event_id(), "");
    /// ```
    pub fn finish(&mut self) -> EndOfBody {
        self.state.finish()
    }
}

impl State {
    const fn new(capacities: Limits) -> Self {
        Self {
            fields: FieldParser::new(),
            limits: capacities,
            capacities,
            comments: false,
            retry: None,
            data_len: 0,
            data_checked: 0,
            data_check_at: CHECK_EVERY,
            has_data: false,
            event_type_len: 0,
            id_len: [0; 3],
            committed: 0,
            current: 0,
            incoming: 1,
            mid_line: false,
            id_has_nul: false,
            id_too_long: false,
            retry_value: None,
            retry_nonempty: false,
            has_fields: false,
            skipping: false,
        }
    }

    fn finish(&mut self) -> EndOfBody {
        let line = self.fields.finish();
        let block = self.has_fields || self.skipping;
        self.end_block();
        self.current = self.committed;
        self.mid_line = false;
        if line || block {
            EndOfBody::Discarded
        } else {
            EndOfBody::Clean
        }
    }

    /// Clears the per-block state (R28, R31).
    fn end_block(&mut self) {
        self.data_len = 0;
        self.data_checked = 0;
        self.data_check_at = CHECK_EVERY;
        self.has_data = false;
        self.event_type_len = 0;
        self.has_fields = false;
        self.skipping = false;
    }

    /// Starts skipping the rest of the block after `error`.
    fn fail(&mut self, error: DecodeError) -> Option<Result<Item<'static>, DecodeError>> {
        self.skipping = true;
        self.current = self.committed;
        Some(Err(error))
    }

    /// Whether the next input continues a `data` line of a block being kept.
    #[inline]
    fn in_data_line(&self) -> bool {
        self.mid_line && !self.skipping && self.fields.in_value() == Some(FieldName::Data)
    }

    /// Takes the next piece of the `data` line being read (see
    /// [`in_data_line`](Self::in_data_line)) from `input`.
    #[inline(never)]
    fn data_piece(&mut self, data: &mut [u8], input: &mut &[u8]) -> Option<DecodeError> {
        let value = self.fields.value_piece(FieldName::Data, input)?;
        self.mid_line = !value.end_of_line;
        self.push_data(data, false, value.bytes)
    }

    /// [`data_piece`](Self::data_piece) for `input` under 16 bytes (small
    /// pieces), searched and copied without a call, so that it costs little
    /// more than the bytes.
    #[inline(never)]
    fn short_data_piece(&mut self, data: &mut [u8], input: &mut &[u8]) -> Option<DecodeError> {
        let value = self.fields.short_value_piece(FieldName::Data, input)?;
        self.mid_line = !value.end_of_line;
        match self.data_room(data, false, value.bytes.len()) {
            Ok(room) => {
                // Not checked here (see `check_data`): small pieces cost little
                // more than their bytes, and a test per piece would cost W1 in
                // 7-byte pieces 2.6%; the next longer piece or dispatch
                // checks them.
                copy_short(room, value.bytes);
                None
            }
            Err(error) => Some(error),
        }
    }

    /// The fast path for the most common blocks, when they lie whole in
    /// `input`: comments, blank lines, and one `data` line ending with a blank
    /// line, which is dispatched without a copy: the shapes of LLM token
    /// streams and heartbeats. Returns the event's data, having used the lines
    /// up to its blank line as [`next`](Self::next) would (R17-R19, R23,
    /// R27-R30); `None` at anything else, with `input` left at the start of
    /// the block that needs the general path (blocks of comments only are
    /// used up before it).
    #[inline(never)]
    fn whole_block<'a>(&mut self, input: &mut &'a [u8]) -> Option<&'a str> {
        if self.has_fields || self.skipping {
            return None;
        }
        let mut ahead = self.fields.lookahead(input)?;
        let mut data = None;
        loop {
            match ahead.next_line()? {
                SimpleLine::Data(value) if data.is_none() => data = Some(value),
                SimpleLine::Comment if !self.comments => {}
                SimpleLine::Blank => {
                    let Some(value) = data else {
                        // Comments only: nothing to dispatch (R28).
                        self.fields.catch_up(&ahead, input);
                        continue;
                    };
                    // Over the limit, or not UTF-8: the general path reports
                    // or repairs it.
                    if value.len() > self.limits.data {
                        return None;
                    }
                    let text = core::str::from_utf8(value).ok()?;
                    self.fields.catch_up(&ahead, input);
                    // Step 1 of dispatch (R27) has nothing to do: a block
                    // without fields sets no id, so the id buffer is still
                    // the last event ID.
                    debug_assert_eq!(self.committed, self.current);
                    return Some(text);
                }
                _ => return None,
            }
        }
    }

    fn next<'s, 'a: 's>(
        &'s mut self,
        mut parts: Parts<'s>,
        input: &mut &'a [u8],
    ) -> Option<Result<Item<'s>, DecodeError>> {
        // The block's only data line so far, when it lies whole in `input`: it
        // is handed out without a copy if the blank line comes in `input` too.
        let mut single: Option<&'a [u8]> = None;
        let reported = loop {
            let Some(token) = self.fields.next_token(input) else {
                self.spill(&mut parts, &mut single);
                return None;
            };
            let value = match token {
                Token::BlankLine => {
                    if let Some(reported) = self.blank_line(&mut parts, &mut single) {
                        break reported;
                    }
                    continue;
                }
                Token::Value(value) => value,
            };
            let first = !self.mid_line;
            self.mid_line = !value.end_of_line;
            if self.skipping {
                continue;
            }
            if value.name != FieldName::Comment {
                self.has_fields = true;
            }
            match value.name {
                FieldName::Data => {
                    if first && value.end_of_line && !self.has_data {
                        if value.bytes.len() > self.limits.data {
                            return self.fail(DecodeError::DataTooLong {
                                limit: self.limits.data,
                            });
                        }
                        self.has_data = true;
                        single = Some(value.bytes);
                        continue;
                    }
                    self.spill(&mut parts, &mut single);
                    // Lines are joined with LF (R23, R29).
                    let joined = first && self.has_data;
                    self.has_data = true;
                    if let Some(error) = self.push_data(parts.data, joined, value.bytes) {
                        return self.fail(error);
                    }
                }
                FieldName::Event => {
                    if first {
                        self.event_type_len = 0;
                    }
                    let limit = self.limits.event_type;
                    if !push(
                        parts.event_type,
                        &mut self.event_type_len,
                        value.bytes,
                        limit,
                    ) {
                        return self.fail(DecodeError::EventTypeTooLong { limit });
                    }
                }
                FieldName::Id => {
                    if let Some(error) = self.id_value(&mut parts, value, first) {
                        return self.fail(error);
                    }
                }
                FieldName::Retry => {
                    if let Some(retry) = self.retry_value(value, first) {
                        self.spill(&mut parts, &mut single);
                        return Some(Ok(Item::Retry(retry)));
                    }
                }
                FieldName::Comment if self.comments => {
                    self.spill(&mut parts, &mut single);
                    return Some(Ok(Item::Comment {
                        text: value.bytes,
                        end_of_line: value.end_of_line,
                    }));
                }
                FieldName::Comment | FieldName::Unknown => {}
            }
        };
        let (committed, id_len) = (self.committed, self.id_len[self.committed]);
        Some(reported.map(|r| r.into_item(parts, committed, id_len)))
    }

    /// Copies the borrowed single data line into the data buffer.
    fn spill(&mut self, parts: &mut Parts<'_>, single: &mut Option<&[u8]>) {
        if let Some(line) = single.take() {
            // Its length was checked against the limit when it was taken.
            parts.data[..line.len()].copy_from_slice(line);
            self.data_len = line.len();
        }
    }

    /// Appends raw bytes, after an LF if `joined`, to the data buffer, or says why not.
    #[inline]
    fn push_data(&mut self, data: &mut [u8], joined: bool, bytes: &[u8]) -> Option<DecodeError> {
        match self.data_room(data, joined, bytes.len()) {
            Ok(room) => {
                room.copy_from_slice(bytes);
                self.check_data(data);
                None
            }
            Err(error) => Some(error),
        }
    }

    /// Checks the UTF-8 of the data copied since the last check once it
    /// reaches [`CHECK_EVERY`] bytes, while they are still in the cache: a
    /// large event's text is then not read from memory once more at
    /// dispatch, which checks only the rest. Each byte is checked once (the
    /// few bytes of a character cut by the end, twice). After an error no
    /// more checks are made: dispatch checks the rest again from the last
    /// good length, finds the error and repairs the whole text.
    #[inline(always)]
    fn check_data(&mut self, data: &[u8]) {
        if self.data_len >= self.data_check_at {
            self.check_data_now(data);
        }
    }

    /// The check of [`check_data`](Self::check_data).
    #[inline(never)]
    fn check_data_now(&mut self, data: &[u8]) {
        let checked = self.data_checked;
        match utf8::valid_prefix(&data[checked..self.data_len]) {
            Some(n) => {
                self.data_checked = checked + n;
                self.data_check_at = self.data_checked + CHECK_EVERY;
            }
            None => self.data_check_at = usize::MAX,
        }
    }

    /// Makes room for `len` more bytes of data, after an LF if `joined`, and
    /// returns it: the data buffer's length then counts them. Fails if the
    /// data would pass its limit or the buffer.
    #[inline(always)]
    fn data_room<'d>(
        &mut self,
        data: &'d mut [u8],
        joined: bool,
        len: usize,
    ) -> Result<&'d mut [u8], DecodeError> {
        let limit = self.limits.data;
        let start = self.data_len + usize::from(joined);
        let end = start + len;
        let Some(buf) = data.get_mut(..end).filter(|_| end <= limit) else {
            return Err(DecodeError::DataTooLong { limit });
        };
        if joined {
            buf[start - 1] = b'\n';
        }
        self.data_len = end;
        Ok(&mut buf[start..])
    }

    /// Handles a piece of an `id` line (R24).
    fn id_value(
        &mut self,
        parts: &mut Parts<'_>,
        value: Value<'_>,
        first: bool,
    ) -> Option<DecodeError> {
        if first {
            self.incoming = (0..3)
                .find(|&i| i != self.committed && i != self.current)
                .unwrap_or_default();
            self.id_len[self.incoming] = 0;
            self.id_has_nul = false;
            self.id_too_long = false;
        }
        let limit = self.limits.id;
        let incoming = self.incoming;
        if !self.id_has_nul {
            if memchr::memchr(0, value.bytes).is_some() {
                self.id_has_nul = true;
            } else if !self.id_too_long {
                let buf = &mut *parts.ids[incoming];
                self.id_too_long = !push(buf, &mut self.id_len[incoming], value.bytes, limit);
            }
        }
        if !value.end_of_line || self.id_has_nul {
            // An id with NUL is ignored whatever its length (R24).
            return None;
        }
        if self.id_too_long {
            return Some(DecodeError::IdTooLong { limit });
        }
        match utf8::repair_in_place(parts.ids[incoming], 0, self.id_len[incoming], limit) {
            Some(len) => {
                self.id_len[incoming] = len;
                self.current = incoming;
                None
            }
            None => Some(DecodeError::IdTooLong { limit }),
        }
    }

    /// Handles a piece of a `retry` line; returns the value at a valid line's end (R25, R26).
    fn retry_value(&mut self, value: Value<'_>, first: bool) -> Option<u64> {
        if first {
            self.retry_value = Some(0);
            self.retry_nonempty = false;
        }
        self.retry_nonempty |= !value.bytes.is_empty();
        // Only ASCII digits; a value past u64::MAX is ignored (R26b).
        self.retry_value = self.retry_value.and_then(|n| {
            value.bytes.iter().try_fold(n, |n, &b| {
                b.is_ascii_digit()
                    .then_some(())
                    .and_then(|()| n.checked_mul(10)?.checked_add(u64::from(b - b'0')))
            })
        });
        // An empty value is ignored (R26a).
        if !value.end_of_line || !self.retry_nonempty {
            return None;
        }
        let retry = self.retry_value?;
        self.retry = Some(retry);
        Some(retry)
    }

    /// Handles a blank line (R27-R31); returns what to report, if anything.
    fn blank_line<'a>(
        &mut self,
        parts: &mut Parts<'_>,
        single: &mut Option<&'a [u8]>,
    ) -> Option<Result<Reported<'a>, DecodeError>> {
        let single = single.take();
        if self.skipping {
            self.end_block();
            return None;
        }
        let (has_data, has_fields) = (self.has_data, self.has_fields);
        let (event_type_len, data_len) = (self.event_type_len, self.data_len);
        let data_checked = self.data_checked;
        self.end_block();
        if !has_data {
            // Step 1: commit the id, even with no event to dispatch (R27);
            // step 2: no data, no event (R28).
            self.committed = self.current;
            return has_fields.then_some(Ok(Reported::NoData));
        }
        let data = (data_len, data_checked);
        let event = Self::finish_event(parts, single, event_type_len, data, self.limits);
        match event {
            // Step 1 for a dispatched event (R27).
            Ok(_) => self.committed = self.current,
            // A block that breaks a limit is skipped whole, its id included,
            // wherever the limit was found (see `DecodeError`).
            Err(_) => self.current = self.committed,
        }
        Some(event)
    }

    /// Makes the event's type and data text (U+FFFD for invalid UTF-8, R8)
    /// and checks them against the limits.
    fn finish_event<'a>(
        parts: &mut Parts<'_>,
        single: Option<&'a [u8]>,
        event_type_len: usize,
        // The data buffer's length and checked length.
        (data_len, data_checked): (usize, usize),
        limits: Limits,
    ) -> Result<Reported<'a>, DecodeError> {
        let limit = limits.event_type;
        let Some(event_type_len) =
            utf8::repair_in_place(parts.event_type, 0, event_type_len, limit)
        else {
            return Err(DecodeError::EventTypeTooLong { limit });
        };
        let limit = limits.data;
        let (data, checked) = match single {
            Some(line) => match core::str::from_utf8(line) {
                Ok(text) => (Data::Borrowed(text), 0),
                Err(_) => {
                    parts.data[..line.len()].copy_from_slice(line);
                    (Data::Buffered(line.len()), 0)
                }
            },
            None => (Data::Buffered(data_len), data_checked),
        };
        let data = match data {
            Data::Buffered(len) => match utf8::repair_in_place(parts.data, checked, len, limit) {
                Some(len) => Data::Buffered(len),
                None => return Err(DecodeError::DataTooLong { limit }),
            },
            borrowed => borrowed,
        };
        Ok(Reported::Event {
            event_type_len,
            data,
        })
    }
}

/// Where a dispatched event's data is.
#[derive(Clone, Copy, Debug)]
enum Data<'a> {
    /// Straight from the input.
    Borrowed(&'a str),
    /// The first bytes of the data buffer, already valid UTF-8.
    Buffered(usize),
}

/// What a blank line reports, before its strings are taken from the buffers.
#[derive(Clone, Copy, Debug)]
enum Reported<'a> {
    Event {
        event_type_len: usize,
        data: Data<'a>,
    },
    NoData,
}

impl<'a> Reported<'a> {
    fn into_item(self, parts: Parts<'a>, committed: usize, id_len: usize) -> Item<'a> {
        let Parts {
            data,
            event_type,
            ids,
        } = parts;
        let [a, b, c] = ids;
        let id: &'a [u8] = match committed {
            0 => a,
            1 => b,
            _ => c,
        };
        let last_event_id = text(&id[..id_len]);
        match self {
            Self::NoData => Item::NoData { last_event_id },
            Self::Event {
                event_type_len,
                data: event_data,
            } => Item::Event(Event {
                // An empty type means "message" (R30).
                event_type: match event_type_len {
                    0 => "message",
                    len => text(&event_type[..len]),
                },
                data: match event_data {
                    Data::Borrowed(text) => text,
                    Data::Buffered(len) => text(&data[..len]),
                },
                last_event_id,
            }),
        }
    }
}

/// Views bytes the decoder has already made valid UTF-8 as text.
#[inline]
fn text(bytes: &[u8]) -> &str {
    if bytes.is_empty() {
        return "";
    }
    core::str::from_utf8(bytes).unwrap_or_default()
}

/// Appends `bytes` to `buf[..*len]` if the result is at most `limit` long.
fn push(buf: &mut [u8], len: &mut usize, bytes: &[u8], limit: usize) -> bool {
    let end = *len + bytes.len();
    if end > limit.min(buf.len()) {
        return false;
    }
    buf[*len..end].copy_from_slice(bytes);
    *len = end;
    true
}

/// Copies `from` to `to`, of the same length under 16 bytes, with a few
/// fixed-size moves instead of a `memcpy` call, which costs more than such a
/// copy.
#[inline(always)]
fn copy_short(to: &mut [u8], from: &[u8]) {
    /// The first and last `N` bytes (overlapping), if there are `N`.
    #[inline(always)]
    fn ends<const N: usize>(to: &mut [u8], from: &[u8]) -> bool {
        let (Some(to_first), Some(from_first)) =
            (to.first_chunk_mut::<N>(), from.first_chunk::<N>())
        else {
            return false;
        };
        *to_first = *from_first;
        if let (Some(to_last), Some(from_last)) = (to.last_chunk_mut::<N>(), from.last_chunk::<N>())
        {
            *to_last = *from_last;
        }
        true
    }
    debug_assert!(to.len() == from.len() && from.len() < 16);
    if ends::<8>(to, from) || ends::<4>(to, from) {
        return;
    }
    // 0 to 3 bytes: the first, middle and last cover them.
    let n = from.len().min(to.len());
    if n > 0 {
        to[0] = from[0];
        to[n / 2] = from[n / 2];
        to[n - 1] = from[n - 1];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_short_copies_every_length_exactly() {
        let from: [u8; 15] = core::array::from_fn(|i| i as u8 + 1);
        for len in 0..16 {
            let mut to = [0u8; 17];
            copy_short(&mut to[1..=len], &from[..len]);
            assert_eq!(&to[1..=len], &from[..len], "len {len}");
            assert!(
                to[0] == 0 && to[len + 1..].iter().all(|&b| b == 0),
                "len {len}"
            );
        }
    }

    fn within(outer: &[u8], inner: &str) -> bool {
        let range = outer.as_ptr_range();
        let inner = inner.as_bytes().as_ptr_range();
        range.start <= inner.start && inner.end <= range.end
    }

    #[test]
    fn single_line_data_in_the_chunk_is_borrowed_from_the_input() {
        let mut decoder = Decoder::<InlineBuffers<64>>::new();
        let chunk = b"event: e\nid: 1\ndata: borrowed\n\n";
        let mut input = &chunk[..];
        let item = decoder.next(&mut input).unwrap().unwrap();
        let event = item.event().unwrap();
        assert_eq!(event.data(), "borrowed");
        assert!(within(chunk, event.data()), "data was copied");
    }

    #[test]
    fn data_is_copied_when_it_must_be() {
        // Two lines, a line split across chunks, and a blank line in the next
        // chunk: the decoder's buffer holds the data.
        for chunks in [
            &[&b"data: a\ndata: b\n\n"[..]][..],
            &[b"data: a", b"b\n\n"],
            &[b"data: ab\n", b"\n"],
        ] {
            let mut decoder = Decoder::<InlineBuffers<64>>::new();
            let mut found = false;
            for chunk in chunks {
                let mut input = *chunk;
                while let Some(item) = decoder.next(&mut input) {
                    let item = item.unwrap();
                    let data = item.event().unwrap().data();
                    assert!(data == "a\nb" || data == "ab", "{data:?}");
                    assert!(!within(chunk, data));
                    found = true;
                }
            }
            assert!(found);
        }
    }

    #[test]
    fn invalid_utf8_in_a_borrowable_line_is_replaced_in_the_buffer() {
        let mut decoder = Decoder::<InlineBuffers<64>>::new();
        let mut input = &b"data: a\xFFb\n\n"[..];
        let item = decoder.next(&mut input).unwrap().unwrap();
        assert_eq!(item.event().unwrap().data(), "a\u{FFFD}b");
    }
}
