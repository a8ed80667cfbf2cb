//! What the decoder hands out: events and the other items, borrowed views,
//! and (with the `alloc` feature) their owned forms.

#[cfg(doc)]
use super::Decoder;
#[cfg(feature = "alloc")]
use alloc::{
    borrow::{Cow, ToOwned},
    string::String,
    vec::Vec,
};

/// One dispatched event (R30, R33): a `MessageEvent`'s type, data and last event ID.
///
/// The strings borrow from the decoder's buffers or, when the event's data was
/// one `data` line followed by its blank line inside the chunk being decoded,
/// straight from the input.
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

    /// The event with its strings copied: an [`OwnedEvent`], which outlives
    /// the decoder's next call. Needs the `alloc` feature.
    ///
    /// ```
    /// let mut decoder = sse_core::Decoder::<sse_core::InlineBuffers<64>>::new();
    /// let mut input = &b"event: token\nid: 3\ndata: hi\n\n"[..];
    /// let item = decoder.next(&mut input).unwrap().unwrap();
    /// let event = item.event().unwrap().into_owned();
    /// drop(decoder);
    /// assert_eq!((&*event.event_type, event.data.as_str()), ("token", "hi"));
    /// assert_eq!(event.last_event_id, "3");
    /// ```
    #[cfg(feature = "alloc")]
    #[must_use]
    pub fn into_owned(self) -> OwnedEvent {
        // The default type, by far the most common, costs no allocation.
        let event_type = match self.event_type {
            "message" => Cow::Borrowed("message"),
            other => Cow::Owned(other.to_owned()),
        };
        OwnedEvent {
            event_type,
            data: self.data.to_owned(),
            last_event_id: self.last_event_id.to_owned(),
        }
    }
}

/// An [`Event`] that owns its strings, from [`Event::into_owned`] or
/// [`Item::into_owned`]: for a wrapper (a `Stream`, a codec, a channel)
/// that hands events on past the decoder's next call. Needs the `alloc`
/// feature.
///
/// ```
/// use sse_core::OwnedEvent;
/// let event = OwnedEvent {
///     event_type: "message".into(),
///     data: "hello".into(),
///     last_event_id: String::new(),
/// };
/// let mut decoder = sse_core::Decoder::<sse_core::InlineBuffers<64>>::new();
/// let mut input = &b"data: hello\n\n"[..];
/// let item = decoder.next(&mut input).unwrap().unwrap();
/// assert_eq!(item.event().unwrap().into_owned(), event);
/// ```
#[cfg(feature = "alloc")]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OwnedEvent {
    /// The event type (see [`Event::event_type`]): borrowed when it is the
    /// default, `"message"`, so that the usual event allocates only its
    /// data.
    pub event_type: Cow<'static, str>,
    /// The data (see [`Event::data`]).
    pub data: String,
    /// The last event ID as of this event (see [`Event::last_event_id`]).
    pub last_event_id: String,
}

#[cfg(feature = "alloc")]
impl From<Event<'_>> for OwnedEvent {
    /// Same as [`Event::into_owned`].
    ///
    /// ```
    /// let mut decoder = sse_core::Decoder::<sse_core::InlineBuffers<64>>::new();
    /// let mut input = &b"data: x\n\n"[..];
    /// let item = decoder.next(&mut input).unwrap().unwrap();
    /// let event = sse_core::OwnedEvent::from(*item.event().unwrap());
    /// assert_eq!(event.data, "x");
    /// ```
    fn from(event: Event<'_>) -> Self {
        event.into_owned()
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

    /// The item with its strings and bytes copied: an [`OwnedItem`], which
    /// outlives the decoder's next call and the input. Needs the `alloc`
    /// feature.
    ///
    /// ```
    /// use sse_core::{Decoder, InlineBuffers, Item, OwnedItem};
    /// let mut decoder = Decoder::<InlineBuffers<64>>::new().with_comments(true);
    /// let mut items = Vec::new();
    /// let mut input = &b": hi\nretry: 10\ndata: x\n\n"[..];
    /// while let Some(item) = decoder.next(&mut input) {
    ///     items.push(item.map(Item::into_owned)?);
    /// }
    /// assert_eq!(items[0], OwnedItem::Comment { text: b"hi".to_vec(), end_of_line: true });
    /// assert_eq!(items[1], OwnedItem::Retry(10));
    /// assert_eq!(items[2].event().unwrap().data, "x");
    /// # Ok::<(), sse_core::DecodeError>(())
    /// ```
    #[cfg(feature = "alloc")]
    #[must_use]
    pub fn into_owned(self) -> OwnedItem {
        match self {
            Self::Event(event) => OwnedItem::Event(event.into_owned()),
            Self::Retry(ms) => OwnedItem::Retry(ms),
            Self::NoData { last_event_id } => OwnedItem::NoData {
                last_event_id: last_event_id.to_owned(),
            },
            Self::Comment { text, end_of_line } => OwnedItem::Comment {
                text: text.to_vec(),
                end_of_line,
            },
        }
    }
}

/// An [`Item`] that owns its strings and bytes, from [`Item::into_owned`]:
/// for a wrapper (a `Stream`, a codec, a channel) that hands items on past
/// the decoder's next call. The same variants as [`Item`]. Needs the `alloc`
/// feature.
///
/// ```
/// use sse_core::{Decoder, HeapBuffers, Item, Limits, OwnedItem};
/// let limits = Limits::new().max_data(1 << 16).max_event_type(64).max_id(128);
/// let mut decoder = Decoder::with_storage(HeapBuffers::new(limits));
/// let mut owned = Vec::new();
/// for chunk in [&b"id: 1\n\nda"[..], b"ta: a\n\n"] {
///     let mut input = chunk;
///     while let Some(item) = decoder.next(&mut input) {
///         owned.push(item.map(Item::into_owned));
///     }
/// }
/// assert_eq!(owned[0], Ok(OwnedItem::NoData { last_event_id: "1".into() }));
/// assert_eq!(owned[1].as_ref().unwrap().event().unwrap().last_event_id, "1");
/// ```
#[cfg(feature = "alloc")]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OwnedItem {
    /// A dispatched event (see [`Item::Event`]).
    Event(OwnedEvent),
    /// A valid `retry` field, in milliseconds (see [`Item::Retry`]).
    Retry(u64),
    /// A block with fields but no `data` (see [`Item::NoData`]).
    NoData {
        /// The last event ID after the blank line.
        last_event_id: String,
    },
    /// A piece of a comment line (see [`Item::Comment`]).
    Comment {
        /// Raw bytes of the comment.
        text: Vec<u8>,
        /// Whether the comment line ended after these bytes.
        end_of_line: bool,
    },
}

#[cfg(feature = "alloc")]
impl OwnedItem {
    /// The event, if this item is one.
    ///
    /// ```
    /// use sse_core::{OwnedEvent, OwnedItem};
    /// assert_eq!(OwnedItem::Retry(10).event(), None);
    /// let event = OwnedEvent { event_type: "message".into(), data: "x".into(), last_event_id: "".into() };
    /// assert_eq!(OwnedItem::Event(event.clone()).event(), Some(&event));
    /// ```
    pub const fn event(&self) -> Option<&OwnedEvent> {
        match self {
            Self::Event(event) => Some(event),
            _ => None,
        }
    }

    /// The last event ID of a [`OwnedItem::NoData`] block.
    ///
    /// ```
    /// use sse_core::OwnedItem;
    /// let item = OwnedItem::NoData { last_event_id: "42".into() };
    /// assert_eq!(item.no_data_last_event_id(), Some("42"));
    /// ```
    pub fn no_data_last_event_id(&self) -> Option<&str> {
        match self {
            Self::NoData { last_event_id } => Some(last_event_id),
            _ => None,
        }
    }
}

#[cfg(feature = "alloc")]
impl From<Item<'_>> for OwnedItem {
    /// Same as [`Item::into_owned`].
    ///
    /// ```
    /// let mut decoder = sse_core::Decoder::<sse_core::InlineBuffers<64>>::new();
    /// let mut input = &b"retry: 5\n"[..];
    /// let item = decoder.next(&mut input).unwrap().unwrap();
    /// assert_eq!(sse_core::OwnedItem::from(item), sse_core::OwnedItem::Retry(5));
    /// ```
    fn from(item: Item<'_>) -> Self {
        item.into_owned()
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
