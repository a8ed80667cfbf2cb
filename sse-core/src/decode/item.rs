//! What the decoder hands out: events and the other items, borrowed views.

/// One dispatched event (R30, R33): a `MessageEvent`'s type, data and last event ID.
///
/// The strings borrow from the decoder's buffers or, when the event's data was
/// one line inside the chunk being decoded, straight from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Event<'a> {
    pub(super) event_type: &'a str,
    pub(super) data: &'a str,
    pub(super) last_event_id: &'a str,
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

/// What [`Decoder::next`](crate::Decoder::next) found.
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
    /// optional space. Only reported when enabled with [`Decoder::with_comments`](crate::Decoder::with_comments);
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

/// How a response body ended, from [`Decoder::finish`](crate::Decoder::finish).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub enum EndOfBody {
    /// Nothing was pending: every field and event had been processed.
    Clean,
    /// An incomplete event or line was discarded, as the standard requires (R15, R34).
    Discarded,
}
