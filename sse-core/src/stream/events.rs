//! The client side: owned items from a stream of byte chunks.

use alloc::boxed::Box;
use core::fmt;
use core::pin::Pin;
use core::task::{Context, Poll, ready};

use futures_core::stream::{FusedStream, Stream, TryStream};

use crate::{DecodeError, Decoder, EndOfBody, HeapBuffers, Item, Limits, OwnedItem};

/// The limits of [`EventStream::new`], meant for a server you do not
/// control: 16 MiB of data, 256 bytes of event type and 1 KiB of id per
/// event. See the [module documentation](super#choosing-limits).
///
/// ```
/// let limits = sse_core::stream::DEFAULT_LIMITS;
/// assert_eq!((limits.data(), limits.event_type(), limits.id()), (16 << 20, 256, 1024));
/// ```
pub const DEFAULT_LIMITS: Limits = Limits::new()
    .max_data(16 << 20)
    .max_event_type(256)
    .max_id(1024);

/// What went wrong in an [`EventStream`]: an event over a limit (the stream
/// goes on with the next event, unless told to end), or the source's error
/// (the stream ends).
///
/// Both show as the error they carry.
///
/// ```
/// use sse_core::DecodeError;
/// use sse_core::stream::StreamError;
/// let error: StreamError<std::io::Error> = DecodeError::IdContainsNul.into();
/// assert_eq!(error.to_string(), "event id contains a nul character");
/// assert_eq!(error.decode(), Some(DecodeError::IdContainsNul));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamError<E> {
    /// An event broke a limit and was skipped (see [`DecodeError`]).
    Decode(DecodeError),
    /// The source of the chunks failed; the stream has ended.
    Body(E),
}

impl<E> StreamError<E> {
    /// The decoding error, if this is one.
    ///
    /// ```
    /// let error = sse_core::stream::StreamError::Body("reset");
    /// assert_eq!(error.decode(), None);
    /// ```
    pub fn decode(&self) -> Option<DecodeError> {
        match self {
            Self::Decode(error) => Some(*error),
            Self::Body(_) => None,
        }
    }
}

impl<E> From<DecodeError> for StreamError<E> {
    fn from(error: DecodeError) -> Self {
        Self::Decode(error)
    }
}

impl<E: fmt::Display> fmt::Display for StreamError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(error) => error.fmt(f),
            Self::Body(error) => error.fmt(f),
        }
    }
}

impl<E: core::error::Error> core::error::Error for StreamError<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Decode(error) => error.source(),
            Self::Body(error) => error.source(),
        }
    }
}

/// A [`Stream`] of [`OwnedItem`]s decoded from a stream of byte chunks:
/// `Stream<Item = Result<B, E>>` with `B: AsRef<[u8]>`.
///
/// - Items are what [`Decoder::next`] gives, owned ([`Item::into_owned`]):
///   events, `retry` values, id-only blocks, and comments when
///   [`with_comments`](Self::with_comments) is set.
/// - An event over the [`Limits`] is an `Err(`[`StreamError::Decode`]`)`
///   item, and the stream goes on with the next event; with
///   [`end_on_limit_error`](Self::end_on_limit_error) it ends there.
/// - The source's first error is an `Err(`[`StreamError::Body`]`)` item,
///   and the stream ends (it is fused: `None` from then on).
/// - At a clean end of the source, the stream ends with `None`, never an
///   error; [`end_of_body`](Self::end_of_body) then says whether an
///   incomplete event was discarded (R34).
///
/// Chunks are decoded where they lie: bytes are copied only into the
/// decoder's buffers (a data line that spans chunks, or an event of several
/// lines) and into the owned item. Work is linear in the body however it
/// is chunked, and polling loops, never recurses, however many items it
/// skips.
///
/// The source is boxed once, so any stream fits, `Unpin` or not.
///
/// ```
/// use futures::StreamExt;
/// use sse_core::stream::{EventStream, StreamError};
/// use sse_core::{DecodeError, Limits, OwnedItem};
///
/// # futures::executor::block_on(async {
/// let chunks = futures::stream::iter([Ok::<_, std::io::Error>(
///     &b"retry: 500\ndata: 12345\n\ndata: 123\n\n"[..],
/// )]);
/// let mut events = EventStream::new(chunks)
///     .with_limits(Limits::new().max_data(4))
///     .with_last_event_id("7")?;
/// assert_eq!(events.next().await.unwrap()?, OwnedItem::Retry(500));
/// let error = events.next().await.unwrap().unwrap_err();
/// assert_eq!(error.decode(), Some(DecodeError::DataTooLong { limit: 4 }));
/// let event = events.next().await.unwrap()?;
/// assert_eq!(event.event().unwrap().data, "123");
/// assert_eq!(event.event().unwrap().last_event_id, "7"); // inherited
/// assert!(events.next().await.is_none());
/// assert_eq!(events.retry(), Some(500));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct EventStream<S: TryStream> {
    source: Pin<Box<S>>,
    decoder: Decoder<HeapBuffers>,
    /// The chunk being decoded, and how much of it is used.
    chunk: Option<S::Ok>,
    used: usize,
    end_on_limit_error: bool,
    /// Whether the stream has ended (it is fused).
    ended: bool,
    end_of_body: Option<EndOfBody>,
}

impl<S: TryStream> EventStream<S> {
    /// Decodes `source` with [`DEFAULT_LIMITS`].
    ///
    /// ```
    /// let chunks = futures::stream::iter([Ok::<_, std::io::Error>(b"data: x\n\n".to_vec())]);
    /// let events = sse_core::stream::EventStream::new(chunks);
    /// assert_eq!(events.decoder().limits(), sse_core::stream::DEFAULT_LIMITS);
    /// ```
    pub fn new(source: S) -> Self {
        // Unbounded capacities, so that `with_limits` may raise the limits
        // as well as lower them; the limits in force bound every buffer.
        let decoder = Decoder::with_storage(HeapBuffers::new(Limits::new()));
        Self::with_decoder(source, decoder.with_limits(DEFAULT_LIMITS))
    }

    /// Decodes `source` with `decoder`, which may carry the last event ID,
    /// the `retry` value and the settings of an earlier body (R35): see
    /// [`into_decoder`](Self::into_decoder).
    ///
    /// ```
    /// use sse_core::{Decoder, HeapBuffers, Limits};
    /// let mut decoder = Decoder::with_storage(HeapBuffers::new(Limits::new().max_data(64)));
    /// decoder.set_last_event_id("9")?;
    /// let chunks = futures::stream::iter([Ok::<_, std::io::Error>(&b""[..])]);
    /// let events = sse_core::stream::EventStream::with_decoder(chunks, decoder);
    /// assert_eq!(events.last_event_id(), "9");
    /// # Ok::<(), sse_core::DecodeError>(())
    /// ```
    pub fn with_decoder(source: S, decoder: Decoder<HeapBuffers>) -> Self {
        Self {
            source: Box::pin(source),
            decoder,
            chunk: None,
            used: 0,
            end_on_limit_error: false,
            ended: false,
            end_of_body: None,
        }
    }

    /// Sets the limits (see [`DEFAULT_LIMITS`]): the heap buffers grow up to
    /// them, and no further. With a decoder from
    /// [`with_decoder`](Self::with_decoder), they stay within its storage's
    /// capacities ([`Decoder::set_limits`]).
    ///
    /// ```
    /// use sse_core::Limits;
    /// let chunks = futures::stream::iter([Ok::<_, std::io::Error>(&b""[..])]);
    /// let limits = Limits::new().max_data(64 << 20).max_event_type(64).max_id(64);
    /// let events = sse_core::stream::EventStream::new(chunks).with_limits(limits);
    /// assert_eq!(events.decoder().limits(), limits);
    /// ```
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.decoder.set_limits(limits);
        self
    }

    /// Starts with `id` as the last event ID, as after a reconnection that
    /// sent it as `Last-Event-ID`: events without an `id` field inherit it
    /// (R27, R35).
    ///
    /// # Errors
    ///
    /// [`DecodeError::IdTooLong`] or [`DecodeError::IdContainsNul`], as
    /// [`Decoder::set_last_event_id`].
    ///
    /// ```
    /// use futures::StreamExt;
    /// # futures::executor::block_on(async {
    /// let chunks = futures::stream::iter([Ok::<_, std::io::Error>(&b"data: x\n\n"[..])]);
    /// let mut events = sse_core::stream::EventStream::new(chunks).with_last_event_id("41")?;
    /// assert_eq!(events.next().await.unwrap()?.event().unwrap().last_event_id, "41");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn with_last_event_id(mut self, id: &str) -> Result<Self, DecodeError> {
        self.decoder.set_last_event_id(id)?;
        Ok(self)
    }

    /// Reports comments as [`OwnedItem::Comment`] (they are skipped by
    /// default, R18).
    ///
    /// ```
    /// use futures::StreamExt;
    /// use sse_core::OwnedItem;
    /// # futures::executor::block_on(async {
    /// let chunks = futures::stream::iter([Ok::<_, std::io::Error>(&b": ping\n"[..])]);
    /// let mut events = sse_core::stream::EventStream::new(chunks).with_comments(true);
    /// let comment = OwnedItem::Comment { text: b"ping".to_vec(), end_of_line: true };
    /// assert_eq!(events.next().await.unwrap()?, comment);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    #[must_use]
    pub fn with_comments(mut self, report: bool) -> Self {
        self.decoder = self.decoder.with_comments(report);
        self
    }

    /// Ends the stream after the first event over the limits (after its
    /// error item), instead of skipping to the next event. A client that
    /// must not reconnect into the same oversized event wants this.
    ///
    /// ```
    /// use futures::StreamExt;
    /// use sse_core::Limits;
    /// # futures::executor::block_on(async {
    /// let chunks = futures::stream::iter([Ok::<_, std::io::Error>(&b"data: 12345\n\ndata: 1\n\n"[..])]);
    /// let events = sse_core::stream::EventStream::new(chunks)
    ///     .with_limits(Limits::new().max_data(4))
    ///     .end_on_limit_error(true);
    /// let items: Vec<_> = events.collect().await;
    /// assert_eq!(items.len(), 1);
    /// assert!(items[0].is_err());
    /// # });
    /// ```
    #[must_use]
    pub const fn end_on_limit_error(mut self, end: bool) -> Self {
        self.end_on_limit_error = end;
        self
    }

    /// The last event ID string (R27): send it as `Last-Event-ID` when
    /// reconnecting, unless empty (R39).
    ///
    /// ```
    /// let chunks = futures::stream::iter([Ok::<_, std::io::Error>(&b""[..])]);
    /// assert_eq!(sse_core::stream::EventStream::new(chunks).last_event_id(), "");
    /// ```
    pub fn last_event_id(&self) -> &str {
        self.decoder.last_event_id()
    }

    /// The last valid `retry` value, in milliseconds (R25).
    ///
    /// ```
    /// let chunks = futures::stream::iter([Ok::<_, std::io::Error>(&b""[..])]);
    /// assert_eq!(sse_core::stream::EventStream::new(chunks).retry(), None);
    /// ```
    pub fn retry(&self) -> Option<u64> {
        self.decoder.retry()
    }

    /// How the body ended, once the stream has ended: whether an incomplete
    /// event was discarded (R34). `None` while the stream goes on.
    ///
    /// ```
    /// use futures::StreamExt;
    /// use sse_core::EndOfBody;
    /// # futures::executor::block_on(async {
    /// let chunks = futures::stream::iter([Ok::<_, std::io::Error>(&b"data: cut off"[..])]);
    /// let mut events = sse_core::stream::EventStream::new(chunks);
    /// assert!(events.next().await.is_none());
    /// assert_eq!(events.end_of_body(), Some(EndOfBody::Discarded));
    /// # });
    /// ```
    pub const fn end_of_body(&self) -> Option<EndOfBody> {
        self.end_of_body
    }

    /// The decoder: its limits, last event ID and `retry` value.
    ///
    /// ```
    /// let chunks = futures::stream::iter([Ok::<_, std::io::Error>(&b""[..])]);
    /// let events = sse_core::stream::EventStream::new(chunks);
    /// assert_eq!(events.decoder().limits().id(), 1024);
    /// ```
    pub const fn decoder(&self) -> &Decoder<HeapBuffers> {
        &self.decoder
    }

    /// The decoder, to decode the next body of the same stream after a
    /// reconnection with [`with_decoder`](Self::with_decoder): it keeps the
    /// last event ID and `retry` value (R35). Once the stream has ended,
    /// the decoder is ready for a new body; before, what was pending is
    /// discarded first.
    ///
    /// ```
    /// use futures::StreamExt;
    /// use sse_core::stream::EventStream;
    /// # futures::executor::block_on(async {
    /// let first = futures::stream::iter([Ok::<_, std::io::Error>(&b"id: 5\ndata: a\n\n"[..])]);
    /// let mut events = EventStream::new(first);
    /// while events.next().await.is_some() {}
    /// let second = futures::stream::iter([Ok::<_, std::io::Error>(&b"data: b\n\n"[..])]);
    /// let mut events = EventStream::with_decoder(second, events.into_decoder());
    /// assert_eq!(events.next().await.unwrap()?.event().unwrap().last_event_id, "5");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn into_decoder(mut self) -> Decoder<HeapBuffers> {
        if !self.ended {
            let _ = self.decoder.finish();
        }
        self.decoder
    }

    /// Ends the stream: the decoder discards what is pending (R34).
    fn end(&mut self) {
        self.ended = true;
        self.chunk = None;
        self.end_of_body = Some(self.decoder.finish());
    }
}

impl<S, B, E> Stream for EventStream<S>
where
    S: TryStream<Ok = B, Error = E>,
    B: AsRef<[u8]>,
{
    type Item = Result<OwnedItem, StreamError<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        while !this.ended {
            if let Some(chunk) = &this.chunk {
                let chunk = chunk.as_ref();
                let mut input = &chunk[this.used..];
                let item = this
                    .decoder
                    .next(&mut input)
                    .map(|item| item.map(Item::into_owned));
                this.used = chunk.len() - input.len();
                match item {
                    Some(Ok(item)) => return Poll::Ready(Some(Ok(item))),
                    Some(Err(error)) => {
                        if this.end_on_limit_error {
                            this.end();
                        }
                        return Poll::Ready(Some(Err(StreamError::Decode(error))));
                    }
                    None => this.chunk = None,
                }
            }
            match ready!(this.source.as_mut().try_poll_next(cx)) {
                Some(Ok(chunk)) => (this.chunk, this.used) = (Some(chunk), 0),
                Some(Err(error)) => {
                    this.end();
                    return Poll::Ready(Some(Err(StreamError::Body(error))));
                }
                None => this.end(),
            }
        }
        Poll::Ready(None)
    }
}

impl<S, B, E> FusedStream for EventStream<S>
where
    S: TryStream<Ok = B, Error = E>,
    B: AsRef<[u8]>,
{
    fn is_terminated(&self) -> bool {
        self.ended
    }
}

// The source is boxed, and nothing else is ever pinned.
impl<S: TryStream> Unpin for EventStream<S> {}

impl<S: TryStream> fmt::Debug for EventStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("decoder", &self.decoder)
            .field("used", &self.used)
            .field("end_on_limit_error", &self.end_on_limit_error)
            .field("ended", &self.ended)
            .field("end_of_body", &self.end_of_body)
            .finish_non_exhaustive()
    }
}

/// [`sse_events`](Self::sse_events) on every stream of byte chunks:
/// `response.bytes_stream().sse_events()`.
///
/// ```
/// use futures::StreamExt;
/// use sse_core::stream::SseStreamExt;
/// # futures::executor::block_on(async {
/// let chunks = futures::stream::iter([Ok::<_, std::io::Error>(b"data: x\n\n".to_vec())]);
/// let data: Vec<String> = chunks
///     .sse_events()
///     .filter_map(|item| async move { Some(item.ok()?.event()?.data.clone()) })
///     .collect()
///     .await;
/// assert_eq!(data, ["x"]);
/// # });
/// ```
pub trait SseStreamExt: TryStream + Sized {
    /// An [`EventStream`] over this stream, with [`DEFAULT_LIMITS`].
    ///
    /// ```
    /// use sse_core::stream::SseStreamExt;
    /// let chunks = futures::stream::iter([Ok::<_, std::io::Error>(&b""[..])]);
    /// assert_eq!(chunks.sse_events().last_event_id(), "");
    /// ```
    fn sse_events(self) -> EventStream<Self> {
        EventStream::new(self)
    }
}

impl<S, B, E> SseStreamExt for S
where
    S: TryStream<Ok = B, Error = E>,
    B: AsRef<[u8]>,
{
}
