//! Where a decoder keeps an event while it arrives: the buffers, their
//! capacities and the limits within them.

use crate::error::BufferTooSmall;
#[cfg(doc)]
use crate::{DecodeError, Decoder};
#[cfg(feature = "alloc")]
use alloc::vec::Vec;

/// Maximum sizes for the parts of one event, in bytes of decoded UTF-8.
///
/// The standard sets no limits; a decoder with fixed memory needs
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

    pub(super) const fn min(self, other: Self) -> Self {
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

/// [`Limits`] set by the caller, kept as their bitwise complements so that
/// "no limit" is zero: a decoder made by a `const fn` is then all zeros.
#[derive(Clone, Copy, Debug)]
pub(super) struct Lowered {
    data: usize,
    event_type: usize,
    id: usize,
}

impl Lowered {
    /// No limits.
    pub(super) const NONE: Self = Self::new(Limits::new());

    pub(super) const fn new(limits: Limits) -> Self {
        Self {
            data: !limits.data,
            event_type: !limits.event_type,
            id: !limits.id,
        }
    }

    pub(super) const fn get(self) -> Limits {
        Limits {
            data: !self.data,
            event_type: !self.event_type,
            id: !self.id,
        }
    }
}

/// Mutable views of a decoder's buffers. Three id buffers let a new `id` be
/// written while both the committed last event ID (R27) and the buffer value set
/// earlier in the same block are kept, as an `id` with NUL must leave them (R24).
#[doc(hidden)]
#[derive(Debug)]
pub struct Parts<'b> {
    pub(super) data: Buf<'b>,
    pub(super) event_type: Buf<'b>,
    pub(super) ids: [Buf<'b>; 3],
}

/// One of a decoder's buffers: a fixed slice, or (with the `alloc` feature)
/// a `Vec` that grows on demand, never past the limit it is given. Its bytes
/// are what the text's length counters (kept by the event layer) index.
#[derive(Debug)]
pub(crate) enum Buf<'b> {
    /// A buffer whose size stays put.
    Fixed(&'b mut [u8]),
    /// A buffer that grows on demand: its length is its size so far.
    #[cfg(feature = "alloc")]
    Growing(&'b mut Vec<u8>),
}

impl<'b> Buf<'b> {
    /// `buf[range]`, grown first if the buffer can grow, if `range.end` is
    /// within `limit` (see [`within`]) and the buffer; `None`, with nothing
    /// changed, if not.
    #[inline(always)]
    pub(crate) fn get_mut(
        &mut self,
        range: core::ops::Range<usize>,
        limit: usize,
    ) -> Option<&mut [u8]> {
        if !within(range.end, limit) {
            return None;
        }
        match self {
            Self::Fixed(bytes) => bytes.get_mut(range),
            #[cfg(feature = "alloc")]
            Self::Growing(vec) => {
                if vec.len() < range.end {
                    grow(vec, range.end, limit);
                }
                vec.get_mut(range)
            }
        }
    }

    /// The bytes so far.
    #[inline(always)]
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Self::Fixed(bytes) => bytes,
            #[cfg(feature = "alloc")]
            Self::Growing(vec) => vec,
        }
    }

    /// `buf[..len]` as text, for the buffer's whole borrow, if it is valid
    /// UTF-8 (checked once, see [`checked`](crate::checked)); otherwise the
    /// buffer, handed back for repair.
    #[inline(always)]
    pub(crate) fn into_text(self, len: usize) -> Result<&'b str, Self> {
        match self {
            Self::Fixed(bytes) => crate::checked::text(bytes, len).map_err(Self::Fixed),
            #[cfg(feature = "alloc")]
            Self::Growing(vec) => crate::checked::vec_text(vec, len).map_err(Self::Growing),
        }
    }

    /// The bytes so far, for the buffer's whole borrow.
    #[inline(always)]
    pub(crate) fn into_bytes(self) -> &'b mut [u8] {
        match self {
            Self::Fixed(bytes) => bytes,
            #[cfg(feature = "alloc")]
            Self::Growing(vec) => vec,
        }
    }
}

impl<'b> From<&'b mut [u8]> for Buf<'b> {
    fn from(bytes: &'b mut [u8]) -> Self {
        Self::Fixed(bytes)
    }
}

/// Grows `vec` to hold at least `end` bytes (at most `limit`): twice its
/// size, or `end` if that is more, but never past `limit` (allocating
/// exactly that much).
#[cfg(feature = "alloc")]
#[cold]
#[inline(never)]
fn grow(vec: &mut Vec<u8>, end: usize, limit: usize) {
    /// The least a buffer grows to, so that short texts take one allocation.
    const MIN: usize = 64;
    let size = vec.len().saturating_mul(2).max(MIN).clamp(end, limit);
    vec.reserve_exact(size - vec.len());
    vec.resize(size, 0);
}

/// Whether a text of `len` bytes keeps to `limit`: the one limit check.
#[inline(always)]
pub(crate) const fn within(len: usize, limit: usize) -> bool {
    len <= limit
}

pub(super) mod sealed {
    /// Implemented only by this crate's buffer types.
    #[allow(unreachable_pub)]
    pub trait Sealed {
        fn parts(&mut self) -> super::Parts<'_>;
        fn id(&self, index: usize) -> &[u8];
        fn capacities(&self) -> super::Limits;
    }
}

/// Where a [`Decoder`] keeps an event while it arrives: [`InlineBuffers`],
/// [`SliceBuffers`] or, with the `alloc` feature, `HeapBuffers`. Sealed: the
/// decoder relies on how the buffers grow (or do not).
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
            data: Buf::Fixed(&mut self.data),
            event_type: Buf::Fixed(&mut self.event_type),
            ids: [Buf::Fixed(a), Buf::Fixed(b), Buf::Fixed(c)],
        }
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
            data: Buf::Fixed(self.data),
            event_type: Buf::Fixed(self.event_type),
            ids: [Buf::Fixed(a), Buf::Fixed(b), Buf::Fixed(c)],
        }
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

/// Buffers on the heap, with capacities chosen at run time. Needs the `alloc`
/// feature.
///
/// Nothing is allocated up front: each buffer starts empty and grows as an
/// event needs it (doubling, from 64 bytes), up to the decoder's limits and
/// never past them, so a small event costs little memory and a long one no
/// more than its limit. A part longer than its limit gives the same
/// [`DecodeError`] as with fixed buffers, and decoding goes on. The buffers
/// keep their size for the events that follow.
///
/// [`Limits::new()`] sets no limits: for input you do not trust, set all
/// three, or a stream can make the buffers grow without bound.
///
/// ```
/// use sse_core::{Decoder, HeapBuffers, Limits};
/// let limits = Limits::new().max_data(1 << 20).max_event_type(64).max_id(128);
/// let mut decoder = Decoder::with_storage(HeapBuffers::new(limits));
/// assert_eq!(decoder.limits(), limits);
/// let mut input = &b"event: update\ndata: {}\n\n"[..];
/// let item = decoder.next(&mut input).unwrap()?;
/// assert_eq!(item.event().unwrap().event_type(), "update");
/// # Ok::<(), sse_core::DecodeError>(())
/// ```
#[cfg(feature = "alloc")]
#[derive(Clone, Debug)]
pub struct HeapBuffers {
    data: Vec<u8>,
    event_type: Vec<u8>,
    ids: [Vec<u8>; 3],
    capacities: Limits,
}

#[cfg(feature = "alloc")]
impl HeapBuffers {
    /// Empty buffers that may grow up to `capacities`; the decoder's limits
    /// start there (see [`Decoder::with_limits`] to lower them later).
    ///
    /// ```
    /// use sse_core::{DecodeError, Decoder, HeapBuffers, Limits};
    /// let buffers = HeapBuffers::new(Limits::new().max_data(8).max_event_type(16).max_id(16));
    /// let mut decoder = Decoder::with_storage(buffers);
    /// let mut input = &b"data: 0123456789\n\ndata: fits\n\n"[..];
    /// assert_eq!(decoder.next(&mut input), Some(Err(DecodeError::DataTooLong { limit: 8 })));
    /// assert_eq!(decoder.next(&mut input).unwrap()?.event().unwrap().data(), "fits");
    /// # Ok::<(), DecodeError>(())
    /// ```
    pub const fn new(capacities: Limits) -> Self {
        Self {
            data: Vec::new(),
            event_type: Vec::new(),
            ids: [Vec::new(), Vec::new(), Vec::new()],
            capacities,
        }
    }
}

#[cfg(feature = "alloc")]
impl sealed::Sealed for HeapBuffers {
    fn parts(&mut self) -> Parts<'_> {
        let [a, b, c] = &mut self.ids;
        Parts {
            data: Buf::Growing(&mut self.data),
            event_type: Buf::Growing(&mut self.event_type),
            ids: [Buf::Growing(a), Buf::Growing(b), Buf::Growing(c)],
        }
    }
    fn id(&self, index: usize) -> &[u8] {
        &self.ids[index]
    }
    fn capacities(&self) -> Limits {
        self.capacities
    }
}

#[cfg(feature = "alloc")]
impl Storage for HeapBuffers {}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use crate::{DecodeError, Decoder, Item};
    use alloc::string::String;
    use alloc::vec;

    /// The sizes the buffers have allocated: data, event type, the largest id.
    fn allocated(decoder: &Decoder<HeapBuffers>) -> [usize; 3] {
        let buffers = &decoder.storage;
        let id = buffers.ids.iter().map(Vec::capacity).max().unwrap_or(0);
        [buffers.data.capacity(), buffers.event_type.capacity(), id]
    }

    /// Feeds `body` in `piece`-byte chunks; the events' data, or the errors.
    fn run(
        decoder: &mut Decoder<HeapBuffers>,
        body: &[u8],
        piece: usize,
    ) -> Vec<Result<String, DecodeError>> {
        let mut out = Vec::new();
        for chunk in body.chunks(piece) {
            let mut input = chunk;
            while let Some(item) = decoder.next(&mut input) {
                match item {
                    Ok(Item::Event(event)) => out.push(Ok(event.data().into())),
                    Ok(_) => {}
                    Err(error) => out.push(Err(error)),
                }
            }
        }
        out
    }

    #[test]
    fn heap_buffers_allocate_nothing_until_an_event_needs_it() {
        let decoder = Decoder::with_storage(HeapBuffers::new(Limits::new()));
        assert_eq!(allocated(&decoder), [0; 3]);
        let mut decoder = decoder;
        // Data borrowed from the input is never copied.
        assert_eq!(run(&mut decoder, b"data: hi\n\n", 64), [Ok("hi".into())]);
        assert_eq!(allocated(&decoder), [0; 3]);
        // Split across chunks, it is: 64 bytes at first.
        assert_eq!(run(&mut decoder, b"data: hi\n\n", 1), [Ok("hi".into())]);
        assert_eq!(allocated(&decoder), [64, 0, 0]);
    }

    #[test]
    fn heap_buffers_grow_up_to_the_limits_and_stop_there() {
        let limits = Limits::new().max_data(1000).max_event_type(100).max_id(70);
        for piece in [1, 7, 64, 4096] {
            let mut decoder = Decoder::with_storage(HeapBuffers::new(limits));
            let mut body = vec![];
            body.extend_from_slice(b"data: ");
            body.extend(core::iter::repeat_n(b'a', 999));
            body.extend_from_slice(b"\n\ndata: ");
            body.extend(core::iter::repeat_n(b'b', 1001));
            body.extend_from_slice(b"\n\nevent: ");
            body.extend(core::iter::repeat_n(b'c', 101));
            body.extend_from_slice(b"\ndata: x\n\nid: ");
            body.extend(core::iter::repeat_n(b'd', 71));
            body.extend_from_slice(b"\ndata: y\n\ndata: z\n\n");
            let out = run(&mut decoder, &body, piece);
            let expected: [Result<String, _>; 5] = [
                Ok("a".repeat(999)),
                Err(DecodeError::DataTooLong { limit: 1000 }),
                Err(DecodeError::EventTypeTooLong { limit: 100 }),
                Err(DecodeError::IdTooLong { limit: 70 }),
                Ok("z".into()),
            ];
            assert_eq!(out, expected, "{piece}-byte pieces");
            let [data, event_type, id] = allocated(&decoder);
            assert!(
                data <= 1000 && event_type <= 100 && id <= 70,
                "{piece}: {data} {event_type} {id}"
            );
            if piece < 999 {
                assert_eq!(data, 1000, "{piece}: the data buffer grew to its limit");
            }
        }
    }

    #[test]
    fn heap_buffers_grow_for_utf8_replacement_within_the_limit_only() {
        // 10 invalid bytes are 30 bytes of U+FFFD (R8).
        let body = b"data: \xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\n\n";
        for (limit, expected) in [
            (29, Err(DecodeError::DataTooLong { limit: 29 })),
            (30, Ok("\u{FFFD}".repeat(10))),
        ] {
            for piece in [1, body.len()] {
                let buffers = HeapBuffers::new(Limits::new().max_data(limit));
                let mut decoder = Decoder::with_storage(buffers);
                assert_eq!(
                    run(&mut decoder, body, piece),
                    core::slice::from_ref(&expected)
                );
                assert!(allocated(&decoder)[0] <= limit);
            }
        }
        // The same for an id, kept across events.
        let buffers = HeapBuffers::new(Limits::new().max_id(6));
        let mut decoder = Decoder::with_storage(buffers);
        run(&mut decoder, b"id: \xFF\xFF\n\n", 1);
        assert_eq!(decoder.last_event_id(), "\u{FFFD}\u{FFFD}");
        assert!(allocated(&decoder)[2] <= 6);
    }

    #[test]
    fn heap_buffers_keep_to_limits_lowered_below_their_capacities() {
        let buffers = HeapBuffers::new(Limits::new().max_data(1 << 20).max_id(1 << 20));
        let mut decoder =
            Decoder::with_storage(buffers).with_limits(Limits::new().max_data(100).max_id(3));
        let mut body = b"data: ".to_vec();
        body.extend(core::iter::repeat_n(b'a', 100));
        body.extend_from_slice(b"\n\ndata: ");
        body.extend(core::iter::repeat_n(b'a', 101));
        body.extend_from_slice(b"\n\n");
        let out = run(&mut decoder, &body, 3);
        assert_eq!(
            out,
            [
                Ok("a".repeat(100)),
                Err(DecodeError::DataTooLong { limit: 100 })
            ]
        );
        assert_eq!(
            decoder.set_last_event_id("abcd"),
            Err(DecodeError::IdTooLong { limit: 3 })
        );
        decoder.set_last_event_id("abc").unwrap();
        assert_eq!(decoder.last_event_id(), "abc");
        assert_eq!(allocated(&decoder)[0], 100);
        assert!(allocated(&decoder)[2] <= 3);
    }
}
