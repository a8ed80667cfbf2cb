//! The event layer: whole events from a `text/event-stream` body (R16-R35).
//!
//! - [`storage`]: the buffers an event is kept in, their capacities and limits;
//! - [`item`]: what the decoder hands out;
//! - [`event`]: the rules that turn fields into events;
//! - this module: [`Decoder`], which drives: it takes the field layer's
//!   tokens and hands each to the event layer.

mod event;
mod item;
mod storage;

pub use item::{EndOfBody, Event, Item};
#[cfg(feature = "alloc")]
pub use item::{OwnedEvent, OwnedItem};
pub(crate) use storage::Buf;
#[cfg(feature = "alloc")]
pub use storage::HeapBuffers;
pub use storage::{InlineBuffers, Limits, SliceBuffers, Storage};

use crate::error::DecodeError;
use crate::field::{FieldName, FieldParser, Token};
use event::Events;

/// A `text/event-stream` decoder: body bytes in, [`Item`]s out.
///
/// It implements the standard's parsing and interpretation exactly (R8-R35),
/// keeps every event in the buffers of its [`Storage`] (fixed ones, or with
/// the `alloc` feature `HeapBuffers`, which grow up to the limits), allocates
/// nothing else, and never panics. Feed each chunk with [`next`](Self::next) until it
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
    fields: FieldParser,
    events: Events,
    storage: S,
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
        // All zeros, so that a `static` decoder costs no flash (it goes to
        // `.bss`, not `.data`).
        Self {
            fields: FieldParser::new(),
            events: Events::new(),
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
            fields: FieldParser::new(),
            events: Events::new(),
            storage,
        }
    }

    /// Lowers the limits below the storage's capacities.
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
        self.events.set_limits(limits);
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
        self.events.set_comments(report);
        self
    }

    /// The limits in force.
    ///
    /// ```
    /// let decoder = sse_core::Decoder::<sse_core::InlineBuffers<64, 8, 16>>::new();
    /// assert_eq!(decoder.limits().event_type(), 8);
    /// ```
    pub fn limits(&self) -> Limits {
        self.events.limits(self.storage.capacities())
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
        self.events.last_event_id(|i| self.storage.id(i))
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
        self.events.retry()
    }

    /// Sets the last event ID string and buffer, as when resuming a stream
    /// saved earlier (R35). An `id` that came earlier in the block being
    /// read is dropped; an `id` line still arriving is not: when it ends, it
    /// sets the last event ID buffer as any later `id` line would (R24).
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
        let capacities = self.storage.capacities();
        self.events
            .set_last_event_id(self.storage.parts(), capacities, id)
    }

    /// Decodes from `input`, advancing it past what was used, until there is
    /// something to report.
    ///
    /// Returns `None` when all of `input` has been used: feed the next chunk.
    /// Work is linear in the input however it is chunked: the field layer
    /// looks at each byte once, and the event layer copies a data byte at
    /// most once and checks its UTF-8 once, at dispatch. An `Err` reports an
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
        // The limits in force are worked out from these where they are used.
        let capacities = self.storage.capacities();
        if self.fields.in_value() == Some(FieldName::Data) && self.events.in_data_line() {
            // The middle of a data line (long lines, small pieces): the same
            // steps as below, with only the data buffer.
            if let Some(value) = self.fields.value_piece(input) {
                let data = &mut self.storage.parts().data;
                if let Some(error) = self.events.data_piece(data, capacities, value) {
                    return Some(Err(error));
                }
            }
            if input.is_empty() {
                return None;
            }
        }
        let mut parts = self.storage.parts();
        let dispatch = loop {
            match self.fields.next_token(input)? {
                Token::Value(value) => {
                    if self.events.may_borrow(&value, capacities) && self.fields.blank_line(input) {
                        // The event's data is this one line: borrowed from
                        // the input, never copied.
                        return Some(self.events.borrowed(parts, capacities, value.bytes));
                    }
                    if let Some(item) = self.events.value(&mut parts, capacities, value) {
                        return Some(item);
                    }
                }
                Token::BlankLine => {
                    if let Some(dispatch) = self.events.blank_line() {
                        break dispatch;
                    }
                }
            }
        };
        Some(self.events.dispatch(parts, capacities, dispatch, None))
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
        let line = self.fields.finish();
        let block = self.events.finish();
        if line || block {
            EndOfBody::Discarded
        } else {
            EndOfBody::Clean
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
