//! Where a decoder keeps an event while it arrives: the buffers, their
//! capacities and the limits within them.

use crate::error::BufferTooSmall;

/// Maximum sizes for the parts of one event, in bytes of decoded UTF-8.
///
/// The standard sets no limits; a decoder with fixed memory needs
/// them. A part longer than its limit makes [`Decoder::next`](crate::Decoder::next) return a
/// [`DecodeError`](crate::DecodeError) for that event, which is then skipped up to the next blank
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
    pub(super) data: &'b mut [u8],
    pub(super) event_type: &'b mut [u8],
    pub(super) ids: [&'b mut [u8]; 3],
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

/// Where a [`Decoder`](crate::Decoder) keeps an event while it arrives: [`InlineBuffers`] or
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
