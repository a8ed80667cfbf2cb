//! The server side: encoded frames from a stream of messages, with
//! keep-alive comments on a caller's timer.

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;
use core::future::{Future, Pending};
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::stream::{FusedStream, Stream};

use crate::encode::encode_exact;
use crate::{EncodeError, KEEP_ALIVE, Message, OwnedMessage};

/// One thing for a [`FrameStream`] to send.
///
/// ```
/// use sse_core::stream::Frame;
/// use sse_core::{Message, OwnedMessage};
/// let frames = [
///     Frame::from(OwnedMessage::new().data("owned")),
///     Frame::from(Message::new().data("borrowed, copied")),
///     Frame::Comment("a note".into()),
/// ];
/// assert!(matches!(frames[0], Frame::Message(_)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Frame {
    /// An event (or an `id` or `retry` alone), encoded by
    /// [`encode_to`](crate::encode_to): a field that would inject a line is
    /// refused with an [`EncodeError`], never sent.
    Message(OwnedMessage),
    /// A comment (R18): one `:` line per line of the text.
    Comment(String),
    /// Bytes already in the wire format, sent as they are: what
    /// [`encode`](crate::encode()) wrote once for many clients, or a
    /// [`ReplayBuffer`](crate::ReplayBuffer)'s events. They must be whole
    /// events, each ending with its blank line; nothing checks them.
    Encoded(Bytes),
}

impl From<OwnedMessage> for Frame {
    fn from(message: OwnedMessage) -> Self {
        Self::Message(message)
    }
}

impl From<Message<'_>> for Frame {
    fn from(message: Message<'_>) -> Self {
        Self::Message(message.into())
    }
}

impl Frame {
    /// The frame's bytes.
    fn encode(self) -> Result<Bytes, EncodeError> {
        match self {
            Self::Message(message) => message_bytes(&message.as_message()),
            Self::Comment(text) => Ok(comment_bytes(&text)),
            Self::Encoded(bytes) => Ok(bytes),
        }
    }
}

/// A message's bytes, in one allocation of the exact size.
fn message_bytes(message: &Message<'_>) -> Result<Bytes, EncodeError> {
    encode_exact(message, BytesMut::with_capacity).map(BytesMut::freeze)
}

/// A comment's bytes (a growing `BytesMut` never refuses them).
fn comment_bytes(text: &str) -> Bytes {
    let mut out = BytesMut::with_capacity(crate::comment_len(text));
    let _ = crate::encode_comment(text, &mut out);
    out.freeze()
}

/// The sleep function of a [`FrameStream`] without keep-alive: never called.
pub type NoKeepAlive = fn(Duration) -> Pending<()>;

/// A [`Stream`] of encoded frames ([`Bytes`], one per message) from a
/// stream of messages (anything `Into<`[`Frame`]`>`: [`OwnedMessage`],
/// [`Message`], [`Frame`]): the body of a `text/event-stream` response.
///
/// - [`retry`](Self::retry) sends a `retry` field first.
/// - [`keep_alive`](Self::keep_alive) sends a keep-alive comment
///   ([`KEEP_ALIVE`]) whenever no frame has gone out for an interval, timed
///   by a sleep function the caller passes, so that no runtime is built
///   in: `tokio::time::sleep`, `async_io::Timer::after`, or for Embassy
///   `|d| Timer::after(embassy_time::Duration::from_micros(d.as_micros() as u64))`.
///   The timer is re-armed after every frame, in the same allocation.
/// - A message that cannot be encoded (a line break in its id or event
///   type, a NUL in its id) is an `Err(`[`EncodeError`]`)` item: nothing of
///   it is sent, and the stream goes on if polled again. An HTTP body ends
///   at an error, so check untrusted ids and types before, if that matters.
/// - It reads a message only when its consumer asks for a frame: nothing is
///   read ahead, and a slow client holds back the source.
///
/// With the `http-body` feature it is also an `http_body::Body`, for
/// `axum::body::Body::new`, hyper and tonic-style stacks.
///
/// ```
/// use futures::StreamExt;
/// use sse_core::stream::{Frame, FrameStream};
/// use sse_core::{EncodeError, Message};
///
/// # futures::executor::block_on(async {
/// let messages = futures::stream::iter([
///     Frame::from(Message::new().event_type("token").data("Hel")),
///     Frame::from(Message::new().id("1\nforged").data("x")),
///     Frame::Comment("bye".into()),
/// ]);
/// let frames: Vec<_> = FrameStream::new(messages).collect().await;
/// assert_eq!(frames[0].as_deref(), Ok(&b"event: token\ndata: Hel\n\n"[..]));
/// assert_eq!(frames[1], Err(EncodeError::IdHasLineBreak));
/// assert_eq!(frames[2].as_deref(), Ok(&b": bye\n"[..]));
/// # });
/// ```
pub struct FrameStream<S, F = NoKeepAlive, T = Pending<()>> {
    messages: Pin<Box<S>>,
    retry: Option<u64>,
    interval: Duration,
    sleep: Option<F>,
    /// The keep-alive timer, once armed, and whether a frame has gone out
    /// since it was.
    timer: Option<Pin<Box<T>>>,
    rearm: bool,
    ended: bool,
}

impl<S> FrameStream<S> {
    /// Frames for the messages of `messages`, with no `retry` and no
    /// keep-alive.
    ///
    /// ```
    /// use futures::StreamExt;
    /// # futures::executor::block_on(async {
    /// let messages = futures::stream::iter([sse_core::Message::new().data("x")]);
    /// let mut frames = sse_core::stream::FrameStream::new(messages);
    /// assert_eq!(frames.next().await.unwrap().as_deref(), Ok(&b"data: x\n\n"[..]));
    /// assert!(frames.next().await.is_none());
    /// # });
    /// ```
    pub fn new(messages: S) -> Self {
        Self {
            messages: Box::pin(messages),
            retry: None,
            interval: Duration::ZERO,
            sleep: None,
            timer: None,
            rearm: true,
            ended: false,
        }
    }
}

impl<S, F, T> FrameStream<S, F, T> {
    /// Sends `retry: milliseconds` before anything else: the client's
    /// reconnection time (R25).
    ///
    /// ```
    /// use futures::StreamExt;
    /// # futures::executor::block_on(async {
    /// let messages = futures::stream::empty::<sse_core::OwnedMessage>();
    /// let mut frames = sse_core::stream::FrameStream::new(messages).retry(2000);
    /// assert_eq!(frames.next().await.unwrap().as_deref(), Ok(&b"retry: 2000\n\n"[..]));
    /// # });
    /// ```
    #[must_use]
    pub const fn retry(mut self, milliseconds: u64) -> Self {
        self.retry = Some(milliseconds);
        self
    }

    /// Sends [`KEEP_ALIVE`] after every `interval` in which no frame went
    /// out, timed by `sleep(interval)`; 15 s
    /// ([`KeepAlive::SUGGESTED_INTERVAL_MS`](crate::KeepAlive::SUGGESTED_INTERVAL_MS))
    /// suits most proxies.
    ///
    /// ```
    /// use core::time::Duration;
    /// use futures::StreamExt;
    /// # futures::executor::block_on(async {
    /// // A timer that is always due, and a source that never sends: heartbeats.
    /// let messages = futures::stream::pending::<sse_core::OwnedMessage>();
    /// let mut frames = sse_core::stream::FrameStream::new(messages)
    ///     .keep_alive(Duration::from_secs(15), |_| std::future::ready(()));
    /// assert_eq!(frames.next().await.unwrap().as_deref(), Ok(sse_core::KEEP_ALIVE));
    /// # });
    /// ```
    #[must_use]
    pub fn keep_alive<G, U>(self, interval: Duration, sleep: G) -> FrameStream<S, G, U>
    where
        G: FnMut(Duration) -> U,
        U: Future<Output = ()>,
    {
        FrameStream {
            messages: self.messages,
            retry: self.retry,
            interval,
            sleep: Some(sleep),
            timer: None,
            rearm: true,
            ended: self.ended,
        }
    }
}

impl<S, F, T, M> Stream for FrameStream<S, F, T>
where
    S: Stream<Item = M>,
    M: Into<Frame>,
    F: FnMut(Duration) -> T,
    T: Future<Output = ()>,
{
    type Item = Result<Bytes, EncodeError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        if let Some(retry) = this.retry.take() {
            this.rearm = true;
            return Poll::Ready(Some(message_bytes(&Message::new().retry(retry))));
        }
        match this.messages.as_mut().poll_next(cx) {
            Poll::Ready(Some(message)) => {
                this.rearm = true;
                return Poll::Ready(Some(message.into().encode()));
            }
            Poll::Ready(None) => {
                this.ended = true;
                this.timer = None;
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        let Some(sleep) = &mut this.sleep else {
            return Poll::Pending;
        };
        // Idle: the timer runs from the last frame (re-armed in place).
        if this.rearm {
            this.rearm = false;
            let next = sleep(this.interval);
            match &mut this.timer {
                Some(timer) => timer.set(next),
                None => this.timer = Some(Box::pin(next)),
            }
        }
        let due = this
            .timer
            .as_mut()
            .is_some_and(|timer| timer.as_mut().poll(cx).is_ready());
        if !due {
            return Poll::Pending;
        }
        this.rearm = true;
        Poll::Ready(Some(Ok(Bytes::from_static(KEEP_ALIVE))))
    }
}

impl<S, F, T, M> FusedStream for FrameStream<S, F, T>
where
    S: Stream<Item = M>,
    M: Into<Frame>,
    F: FnMut(Duration) -> T,
    T: Future<Output = ()>,
{
    fn is_terminated(&self) -> bool {
        self.ended
    }
}

#[cfg(feature = "http-body")]
impl<S, F, T, M> http_body::Body for FrameStream<S, F, T>
where
    S: Stream<Item = M>,
    M: Into<Frame>,
    F: FnMut(Duration) -> T,
    T: Future<Output = ()>,
{
    type Data = Bytes;
    type Error = EncodeError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, EncodeError>>> {
        self.poll_next(cx)
            .map(|frame| frame.map(|frame| frame.map(http_body::Frame::data)))
    }

    fn is_end_stream(&self) -> bool {
        self.ended
    }
}

// The source and the timer are boxed, and nothing else is ever pinned.
impl<S, F, T> Unpin for FrameStream<S, F, T> {}

impl<S, F, T> fmt::Debug for FrameStream<S, F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameStream")
            .field("retry", &self.retry)
            .field("interval", &self.interval)
            .field("keep_alive", &self.sleep.is_some())
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}
