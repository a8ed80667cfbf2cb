//! The encoder: events and comments to `text/event-stream` bytes.
//!
//! Whatever it is given, the encoder either writes a block that decodes to
//! exactly the intended event, or returns an [`EncodeError`] and writes
//! nothing. Line breaks in data become separate `data` lines (R23); a line
//! break in an event type or id, or a NUL in an id, is an error rather than an
//! injected field (R24, [encoder obligations](crate::rules#encoder-obligations)); a value that starts with a
//! space keeps it, because a space always follows the colon (R19). No BOM is
//! ever written.
//!
//! Three ways to write:
//! - [`encode`] into a `&mut [u8]`, after [`encoded_len`] if you want the exact
//!   size first;
//! - [`encode_to`] into any [`Sink`]: byte slices, `heapless` vectors, and with
//!   features, `Vec<u8>` and `bytes::BytesMut`;
//! - [`EventWriter`] for data too large to hold at once: begin, write pieces,
//!   finish, each step into a small buffer.

use crate::error::{BufferTooSmall, EncodeError};
use crate::field::{find_line_end, has_nul};

/// An event to send: optional data, event type, id and `retry`.
///
/// Which fields are written:
/// - `event_type`: written unless empty (an empty type means `message`, R30);
/// - `id`: written when set; `""` resets the client's last event ID (R24);
/// - `retry`: written when set (R25);
/// - `data`: written when set, one `data` line per line of text. `""` is one
///   empty `data` line, so the event is dispatched with empty data (R28). An
///   event without data is not dispatched: use it to send only an id or a
///   retry.
///
/// ```
/// use sse_core::Message;
/// let message = Message::new().event_type("token").id("42").data("Hello\nworld");
/// let mut buf = [0u8; 64];
/// let n = sse_core::encode(&message, &mut buf)?;
/// assert_eq!(&buf[..n], b"event: token\nid: 42\ndata: Hello\ndata: world\n\n");
/// # Ok::<(), sse_core::EncodeError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Message<'a> {
    data: Option<&'a str>,
    event_type: Option<&'a str>,
    id: Option<&'a str>,
    retry: Option<u64>,
}

impl<'a> Message<'a> {
    /// An empty message: it encodes to nothing.
    ///
    /// ```
    /// assert_eq!(sse_core::encoded_len(&sse_core::Message::new()), Ok(0));
    /// ```
    pub const fn new() -> Self {
        Self {
            data: None,
            event_type: None,
            id: None,
            retry: None,
        }
    }

    /// Sets the data. CR, LF and CRLF all separate lines; the receiver joins
    /// them with LF (R12, R23).
    ///
    /// ```
    /// let message = sse_core::Message::new().data("a\r\nb");
    /// assert_eq!(message.data_text(), Some("a\r\nb"));
    /// ```
    #[must_use]
    pub const fn data(mut self, data: &'a str) -> Self {
        self.data = Some(data);
        self
    }

    /// Sets the event type. It must not contain CR or LF.
    ///
    /// ```
    /// let message = sse_core::Message::new().event_type("done");
    /// assert_eq!(message.event_type_text(), Some("done"));
    /// ```
    #[must_use]
    pub const fn event_type(mut self, event_type: &'a str) -> Self {
        self.event_type = Some(event_type);
        self
    }

    /// Sets the id. It must not contain CR, LF or NUL.
    ///
    /// Spaces and tabs at its ends are kept on the wire and by the receiver's
    /// decoder, but some clients drop them from the `Last-Event-ID` header
    /// they reconnect with (see [`parse_last_event_id`](crate::parse_last_event_id)):
    /// ids meant for resuming are best without them.
    ///
    /// ```
    /// let message = sse_core::Message::new().id("17");
    /// assert_eq!(message.id_text(), Some("17"));
    /// ```
    #[must_use]
    pub const fn id(mut self, id: &'a str) -> Self {
        self.id = Some(id);
        self
    }

    /// Sets the reconnection time in milliseconds.
    ///
    /// ```
    /// let message = sse_core::Message::new().retry(3000);
    /// assert_eq!(message.retry_ms(), Some(3000));
    /// ```
    #[must_use]
    pub const fn retry(mut self, milliseconds: u64) -> Self {
        self.retry = Some(milliseconds);
        self
    }

    /// Sets the reconnection time as a [`Duration`](core::time::Duration);
    /// a part of a millisecond counts as a whole one.
    ///
    /// ```
    /// use core::time::Duration;
    /// let message = sse_core::Message::new().retry_duration(Duration::from_secs(3));
    /// assert_eq!(message.retry_ms(), Some(3000));
    /// ```
    #[must_use]
    pub const fn retry_duration(self, retry: core::time::Duration) -> Self {
        self.retry(crate::time::ceil_millis(retry))
    }

    /// The data, if set.
    ///
    /// ```
    /// assert_eq!(sse_core::Message::new().data_text(), None);
    /// ```
    pub const fn data_text(&self) -> Option<&'a str> {
        self.data
    }

    /// The event type, if set.
    ///
    /// ```
    /// assert_eq!(sse_core::Message::new().event_type_text(), None);
    /// ```
    pub const fn event_type_text(&self) -> Option<&'a str> {
        self.event_type
    }

    /// The id, if set.
    ///
    /// ```
    /// assert_eq!(sse_core::Message::new().id_text(), None);
    /// ```
    pub const fn id_text(&self) -> Option<&'a str> {
        self.id
    }

    /// The reconnection time, if set.
    ///
    /// ```
    /// assert_eq!(sse_core::Message::new().retry_ms(), None);
    /// ```
    pub const fn retry_ms(&self) -> Option<u64> {
        self.retry
    }

    /// Checks the fields that cannot carry every character.
    fn validate(&self) -> Result<(), EncodeError> {
        if let Some(event_type) = self.event_type {
            if has_line_break(event_type.as_bytes()) {
                return Err(EncodeError::EventTypeHasLineBreak);
            }
        }
        if let Some(id) = self.id {
            if has_line_break(id.as_bytes()) {
                return Err(EncodeError::IdHasLineBreak);
            }
            if has_nul(id.as_bytes()) {
                return Err(EncodeError::IdContainsNul);
            }
        }
        Ok(())
    }
}

/// A [`Message`] that owns its strings: for a stream of messages handed to
/// an async writer (the frame stream of the `stream` feature) or kept in a
/// queue past the borrow of its text. Needs the `alloc` feature.
///
/// Its fields mean what [`Message`]'s do; [`as_message`](Self::as_message)
/// borrows it back for [`encode`] and [`encoded_len`].
///
/// ```
/// use sse_core::{Message, OwnedMessage};
/// let owned = OwnedMessage::new().event_type("token").id(7.to_string()).data("hi");
/// let mut buf = [0u8; 64];
/// let n = sse_core::encode(&owned.as_message(), &mut buf)?;
/// assert_eq!(&buf[..n], b"event: token\nid: 7\ndata: hi\n\n");
/// assert_eq!(OwnedMessage::from(Message::new().data("hi")), OwnedMessage::new().data("hi"));
/// # Ok::<(), sse_core::EncodeError>(())
/// ```
#[cfg(feature = "alloc")]
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct OwnedMessage {
    /// The data (see [`Message::data`]).
    pub data: Option<alloc::string::String>,
    /// The event type (see [`Message::event_type`]).
    pub event_type: Option<alloc::string::String>,
    /// The id (see [`Message::id`]).
    pub id: Option<alloc::string::String>,
    /// The reconnection time in milliseconds (see [`Message::retry`]).
    pub retry: Option<u64>,
}

#[cfg(feature = "alloc")]
impl OwnedMessage {
    /// An empty message: it encodes to nothing.
    ///
    /// ```
    /// assert_eq!(sse_core::OwnedMessage::new().as_message(), sse_core::Message::new());
    /// ```
    pub const fn new() -> Self {
        Self {
            data: None,
            event_type: None,
            id: None,
            retry: None,
        }
    }

    /// Sets the data (see [`Message::data`]).
    ///
    /// ```
    /// assert_eq!(sse_core::OwnedMessage::new().data("a\nb").data.as_deref(), Some("a\nb"));
    /// ```
    #[must_use]
    pub fn data(mut self, data: impl Into<alloc::string::String>) -> Self {
        self.data = Some(data.into());
        self
    }

    /// Sets the event type (see [`Message::event_type`]).
    ///
    /// ```
    /// assert_eq!(sse_core::OwnedMessage::new().event_type("done").event_type.as_deref(), Some("done"));
    /// ```
    #[must_use]
    pub fn event_type(mut self, event_type: impl Into<alloc::string::String>) -> Self {
        self.event_type = Some(event_type.into());
        self
    }

    /// Sets the id (see [`Message::id`]).
    ///
    /// ```
    /// assert_eq!(sse_core::OwnedMessage::new().id("17").id.as_deref(), Some("17"));
    /// ```
    #[must_use]
    pub fn id(mut self, id: impl Into<alloc::string::String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the reconnection time in milliseconds (see [`Message::retry`]).
    ///
    /// ```
    /// assert_eq!(sse_core::OwnedMessage::new().retry(3000).retry, Some(3000));
    /// ```
    #[must_use]
    pub const fn retry(mut self, milliseconds: u64) -> Self {
        self.retry = Some(milliseconds);
        self
    }

    /// The message borrowed, for [`encode`], [`encode_to`] and [`encoded_len`].
    ///
    /// ```
    /// let owned = sse_core::OwnedMessage::new().data("x");
    /// assert_eq!(sse_core::encoded_len(&owned.as_message()), Ok(b"data: x\n\n".len()));
    /// ```
    pub fn as_message(&self) -> Message<'_> {
        Message {
            data: self.data.as_deref(),
            event_type: self.event_type.as_deref(),
            id: self.id.as_deref(),
            retry: self.retry,
        }
    }
}

#[cfg(feature = "alloc")]
impl From<Message<'_>> for OwnedMessage {
    /// The message with its strings copied.
    ///
    /// ```
    /// let owned = sse_core::OwnedMessage::from(sse_core::Message::new().id("1").retry(5));
    /// assert_eq!((owned.id.as_deref(), owned.retry), (Some("1"), Some(5)));
    /// ```
    fn from(message: Message<'_>) -> Self {
        use alloc::borrow::ToOwned;
        Self {
            data: message.data.map(ToOwned::to_owned),
            event_type: message.event_type.map(ToOwned::to_owned),
            id: message.id.map(ToOwned::to_owned),
            retry: message.retry,
        }
    }
}

fn has_line_break(bytes: &[u8]) -> bool {
    find_line_end(bytes).is_some()
}

/// A keep-alive comment: one empty comment line (R18). Clients ignore it;
/// proxies and timers see traffic. Send it between events.
///
/// ```
/// let mut decoder = sse_core::Decoder::<sse_core::InlineBuffers<16>>::new();
/// let mut input = sse_core::KEEP_ALIVE;
/// assert!(decoder.next(&mut input).is_none());
/// ```
pub const KEEP_ALIVE: &[u8] = b":\n";

/// Where encoded bytes go.
///
/// Implemented for `&mut [u8]` (it advances past what was written),
/// `heapless::Vec<u8, N>` and `heapless::VecView<u8>`; with the `alloc`
/// feature for `Vec<u8>`, with the `bytes` feature for `bytes::BytesMut`.
/// Every encoding function checks [`remaining`](Self::remaining) before it
/// writes, so an event is written whole or not at all.
///
/// A sink never drops bytes silently: [`put`](Self::put) takes all the bytes
/// it is given, or none and returns an error. Should a sink take less than
/// its `remaining` promised, that error stops the encoding function, which
/// returns [`EncodeError::BufferTooSmall`]; what was put before the error
/// stays written.
///
/// ```
/// use sse_core::{BufferTooSmall, Message, Sink, encode_to};
/// let mut storage = [0u8; 32];
/// let mut sink: &mut [u8] = &mut storage;
/// encode_to(&Message::new().data("a"), &mut sink)?;
/// encode_to(&Message::new().data("b"), &mut sink)?;
/// assert_eq!(sink.remaining(), 32 - 18);
/// assert_eq!(&storage[..18], b"data: a\n\ndata: b\n\n");
///
/// // A sink too short for a piece refuses all of it.
/// let mut short = [0u8; 4];
/// let mut sink: &mut [u8] = &mut short;
/// assert_eq!(sink.put(b"data: "), Err(BufferTooSmall { required: 6 }));
/// assert_eq!(sink.remaining(), 4);
/// # Ok::<(), sse_core::EncodeError>(())
/// ```
pub trait Sink {
    /// How many more bytes the sink accepts (`usize::MAX` when it grows).
    fn remaining(&self) -> usize;
    /// Appends all of `bytes`; or, when they do not fit, appends none of
    /// them and returns [`BufferTooSmall`] with `required` the free room
    /// they need (`bytes.len()`). Never appends a part.
    ///
    /// # Errors
    ///
    /// [`BufferTooSmall`] when the sink has less room than `bytes.len()`.
    fn put(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall>;
}

impl Sink for &mut [u8] {
    fn remaining(&self) -> usize {
        self.len()
    }
    fn put(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall> {
        if bytes.len() > self.len() {
            return Err(BufferTooSmall {
                required: bytes.len(),
            });
        }
        // The copy's length is `bytes.len()`, so a constant piece such as
        // `b"data: "` compiles to a store instead of a `memcpy` call.
        let (head, tail) = core::mem::take(self).split_at_mut(bytes.len());
        head.copy_from_slice(bytes);
        *self = tail;
        Ok(())
    }
}

impl<LenT: heapless::LenType, S: heapless::vec::VecStorage<u8> + ?Sized> Sink
    for heapless::vec::VecInner<u8, LenT, S>
{
    fn remaining(&self) -> usize {
        self.capacity() - self.len()
    }
    fn put(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall> {
        // heapless checks the capacity before it copies anything.
        self.extend_from_slice(bytes).map_err(|_| BufferTooSmall {
            required: bytes.len(),
        })
    }
}

impl<T: Sink + ?Sized> Sink for &mut T {
    fn remaining(&self) -> usize {
        (**self).remaining()
    }
    fn put(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall> {
        (**self).put(bytes)
    }
}

#[cfg(feature = "alloc")]
impl Sink for alloc::vec::Vec<u8> {
    fn remaining(&self) -> usize {
        usize::MAX - self.len()
    }
    fn put(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

#[cfg(feature = "bytes")]
impl Sink for bytes::BytesMut {
    fn remaining(&self) -> usize {
        usize::MAX - self.len()
    }
    fn put(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

/// An error from [`encode_io`] or [`encode_comment_io`].
#[cfg(feature = "embedded-io")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IoError<E> {
    /// The message cannot be encoded; nothing was written.
    Encode(EncodeError),
    /// The writer failed; part of the event may have been written.
    Io(E),
}

#[cfg(feature = "embedded-io")]
impl<E: core::fmt::Debug> core::fmt::Display for IoError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Encode(e) => write!(f, "cannot encode: {e}"),
            Self::Io(e) => write!(f, "write failed: {e:?}"),
        }
    }
}

#[cfg(feature = "embedded-io")]
impl<E: core::fmt::Debug> core::error::Error for IoError<E> {}

/// Passes bytes to an `embedded_io::Write`, keeping its first error.
#[cfg(feature = "embedded-io")]
struct IoSink<'w, W: embedded_io::Write> {
    writer: &'w mut W,
    error: Option<W::Error>,
}

#[cfg(feature = "embedded-io")]
impl<W: embedded_io::Write> Sink for IoSink<'_, W> {
    fn remaining(&self) -> usize {
        usize::MAX
    }
    fn put(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall> {
        // The I/O error is kept for the caller; later pieces are skipped.
        if self.error.is_none() {
            self.error = self.writer.write_all(bytes).err();
        }
        Ok(())
    }
}

/// Encodes `message` straight into an `embedded_io::Write` (feature
/// `embedded-io`); returns the number of bytes written.
///
/// The message is checked before anything is written; an I/O error may leave
/// part of the event written, as with any writer.
///
/// ```
/// # #[cfg(feature = "embedded-io")] {
/// let mut out = [0u8; 32];
/// let mut writer: &mut [u8] = &mut out;
/// let n = sse_core::encode_io(&sse_core::Message::new().data("hi"), &mut writer).unwrap();
/// assert_eq!(&out[..n], b"data: hi\n\n");
/// # }
/// ```
#[cfg(feature = "embedded-io")]
pub fn encode_io<W: embedded_io::Write>(
    message: &Message<'_>,
    writer: &mut W,
) -> Result<usize, IoError<W::Error>> {
    let plan = Plan::new(message).map_err(IoError::Encode)?;
    let len = plan.len();
    let mut sink = IoSink {
        writer,
        error: None,
    };
    let _ = plan.emit(&mut sink); // `IoSink::put` never fails
    sink.error.map_or(Ok(len), |e| Err(IoError::Io(e)))
}

/// Encodes a comment straight into an `embedded_io::Write` (feature `embedded-io`).
///
/// ```
/// # #[cfg(feature = "embedded-io")] {
/// let mut out = [0u8; 32];
/// let mut writer: &mut [u8] = &mut out;
/// let n = sse_core::encode_comment_io("ping", &mut writer).unwrap();
/// assert_eq!(&out[..n], b": ping\n");
/// # }
/// ```
#[cfg(feature = "embedded-io")]
pub fn encode_comment_io<W: embedded_io::Write>(
    text: &str,
    writer: &mut W,
) -> Result<usize, IoError<W::Error>> {
    let mut sink = IoSink {
        writer,
        error: None,
    };
    let _ = emit_lines(text.as_bytes(), b":", &mut sink); // `IoSink::put` never fails
    sink.error
        .map_or(Ok(comment_len(text)), |e| Err(IoError::Io(e)))
}

/// Encodes `message` into an `embedded_io_async::Write` (feature
/// `embedded-io-async`, for Embassy and other async embedded stacks); returns
/// the number of bytes written. The async form of [`encode_io`].
///
/// The message is checked before anything is written; an I/O error may leave
/// part of the event written, as with any writer. Nothing is allocated: the
/// bytes go out in blocks of up to 128 bytes from a buffer in the future, so
/// data of any size is written in constant memory, each byte produced once
/// or a few times.
///
/// ```
/// # #[cfg(feature = "embedded-io-async")] {
/// use core::future::Future;
/// use core::task::{Context, Poll, Waker};
///
/// let mut out = [0u8; 64];
/// let mut writer: &mut [u8] = &mut out;
/// let message = sse_core::Message::new().event_type("tick").data("1\n2");
/// // An executor (Embassy's) polls for you; a slice never waits, so one poll finishes.
/// let n = {
///     let mut future = core::pin::pin!(sse_core::encode_io_async(&message, &mut writer));
///     match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
///         Poll::Ready(written) => written.unwrap(),
///         Poll::Pending => unreachable!("a slice never waits"),
///     }
/// };
/// assert_eq!(&out[..n], b"event: tick\ndata: 1\ndata: 2\n\n");
/// # }
/// ```
#[cfg(feature = "embedded-io-async")]
pub async fn encode_io_async<W: embedded_io_async::Write>(
    message: &Message<'_>,
    writer: &mut W,
) -> Result<usize, IoError<W::Error>> {
    let plan = Plan::new(message).map_err(IoError::Encode)?;
    let len = plan.len();
    let mut out = Blocks::new(writer);
    match message.data {
        // Data with line breaks goes through the line splitter a block's
        // worth at a time, so that no pass scans all of it again.
        Some(data) if plan.data_has_line_break => {
            let header = Message {
                data: None,
                ..*message
            };
            out.emit(|window| emit_header(&header, window)).await?;
            out.lines(data.as_bytes(), b"data:", b"\n").await?;
        }
        _ => out.emit(|window| plan.emit(window)).await?,
    }
    out.flush().await.map_err(IoError::Io)?;
    Ok(len)
}

/// Encodes a comment into an `embedded_io_async::Write` (feature
/// `embedded-io-async`): the async form of [`encode_comment_io`].
///
/// ```
/// # #[cfg(feature = "embedded-io-async")] {
/// use core::future::Future;
/// use core::task::{Context, Poll, Waker};
///
/// let mut out = [0u8; 32];
/// let mut writer: &mut [u8] = &mut out;
/// let poll = {
///     let mut future = core::pin::pin!(sse_core::encode_comment_io_async("ping", &mut writer));
///     future.as_mut().poll(&mut Context::from_waker(Waker::noop()))
/// };
/// assert!(matches!(poll, Poll::Ready(Ok(7))));
/// assert_eq!(&out[..7], b": ping\n");
/// # }
/// ```
#[cfg(feature = "embedded-io-async")]
pub async fn encode_comment_io_async<W: embedded_io_async::Write>(
    text: &str,
    writer: &mut W,
) -> Result<usize, IoError<W::Error>> {
    let mut out = Blocks::new(writer);
    out.lines(text.as_bytes(), b":", b"").await?;
    out.flush().await.map_err(IoError::Io)?;
    Ok(comment_len(text))
}

/// The size of the async encoder's blocks, held in its future.
#[cfg(feature = "embedded-io-async")]
const BLOCK: usize = 128;

/// Bytes on their way to an `embedded_io_async::Write`, a block at a time.
///
/// The emitting code is synchronous, so it cannot wait for the writer in the
/// middle of a [`Sink::put`]. Instead, a pass of it runs over a [`Window`]
/// that keeps only the bytes that fit in the block after those already
/// written; when the block is full, it is written and the pass is run again
/// for the bytes after it.
#[cfg(feature = "embedded-io-async")]
struct Blocks<'w, W: embedded_io_async::Write> {
    writer: &'w mut W,
    block: [u8; BLOCK],
    filled: usize,
}

#[cfg(feature = "embedded-io-async")]
impl<'w, W: embedded_io_async::Write> Blocks<'w, W> {
    fn new(writer: &'w mut W) -> Self {
        Self {
            writer,
            block: [0; BLOCK],
            filled: 0,
        }
    }

    /// Writes what `emit` puts, running it once per block it fills.
    async fn emit(
        &mut self,
        mut emit: impl FnMut(&mut Window<'_>) -> Result<(), BufferTooSmall>,
    ) -> Result<(), IoError<W::Error>> {
        let mut done = 0;
        loop {
            let mut window = Window {
                skip: done,
                room: &mut self.block[self.filled..],
                taken: 0,
            };
            let complete = emit(&mut window).is_ok();
            let taken = window.taken;
            self.filled += taken;
            done += taken;
            if complete {
                return Ok(());
            }
            // The block is full.
            self.flush().await.map_err(IoError::Io)?;
        }
    }

    /// Writes `text` as `prefix` lines (see [`emit_lines`]), then `suffix`.
    async fn lines(
        &mut self,
        text: &[u8],
        prefix: &[u8],
        suffix: &[u8],
    ) -> Result<(), IoError<W::Error>> {
        let mut lines = LineWriter::new();
        for piece in text.chunks(BLOCK) {
            let before = lines;
            self.emit(|window| {
                lines = before;
                lines.write(piece, prefix, window)
            })
            .await?;
        }
        self.emit(|window| {
            let mut end = lines;
            end.finish(prefix, window)?;
            window.put(suffix)
        })
        .await
    }

    /// Writes the bytes of the block.
    async fn flush(&mut self) -> Result<(), W::Error> {
        if self.filled > 0 {
            self.writer.write_all(&self.block[..self.filled]).await?;
            self.filled = 0;
        }
        Ok(())
    }
}

/// One pass of the emitting code seen through a window: the first `skip`
/// bytes are dropped (they were written before), then bytes are kept as long
/// as `room` has room. Unlike other sinks, it keeps the part of a piece
/// that fits before it refuses the rest, and it promises room without end:
/// its refusal only ends the pass, which [`Blocks::emit`] runs again.
#[cfg(feature = "embedded-io-async")]
struct Window<'b> {
    skip: usize,
    room: &'b mut [u8],
    taken: usize,
}

#[cfg(feature = "embedded-io-async")]
impl Sink for Window<'_> {
    fn remaining(&self) -> usize {
        usize::MAX
    }
    fn put(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall> {
        let skipped = self.skip.min(bytes.len());
        self.skip -= skipped;
        let bytes = &bytes[skipped..];
        let free = &mut self.room[self.taken..];
        let n = bytes.len().min(free.len());
        free[..n].copy_from_slice(&bytes[..n]);
        self.taken += n;
        if n < bytes.len() {
            return Err(BufferTooSmall {
                required: bytes.len() - n,
            });
        }
        Ok(())
    }
}

/// Counts bytes instead of writing them: the length pass and the write pass
/// run the same code ([`Plan::emit`], [`emit_lines`], [`LineWriter`]), so
/// they cannot disagree. With the pieces inlined, counting a message whose
/// data has no line break is a few additions.
struct Counter(usize);

impl Sink for Counter {
    fn remaining(&self) -> usize {
        usize::MAX
    }
    fn put(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall> {
        self.0 += bytes.len();
        Ok(())
    }
}

/// A sink that must take exactly what was measured.
fn checked<S: Sink + ?Sized>(sink: &S, required: usize) -> Result<(), EncodeError> {
    if required > sink.remaining() {
        return Err(EncodeError::BufferTooSmall { required });
    }
    Ok(())
}

/// What a write of `required` bytes returns when a sink refused a piece of
/// it (its `remaining` promised more than it took).
fn refused(required: usize) -> impl FnOnce(BufferTooSmall) -> EncodeError {
    move |_| EncodeError::BufferTooSmall { required }
}

/// The bytes a run of the emitting code writes, on a [`Counter`].
fn count(emit: impl FnOnce(&mut Counter) -> Result<(), BufferTooSmall>) -> usize {
    let mut counter = Counter(0);
    let _ = emit(&mut counter); // `Counter::put` never fails
    counter.0
}

/// The exact number of bytes [`encode`] writes for `message`.
///
/// ```
/// let message = sse_core::Message::new().data(" x");
/// assert_eq!(sse_core::encoded_len(&message), Ok(b"data:  x\n\n".len()));
/// let bad = sse_core::Message::new().event_type("a\nb");
/// assert_eq!(sse_core::encoded_len(&bad), Err(sse_core::EncodeError::EventTypeHasLineBreak));
/// ```
pub fn encoded_len(message: &Message<'_>) -> Result<usize, EncodeError> {
    Ok(Plan::new(message)?.len())
}

/// Encodes `message` into `buf`; returns the number of bytes written.
///
/// Never panics and never writes a partial event: when `buf` is shorter than
/// [`encoded_len`], it returns [`EncodeError::BufferTooSmall`] with the size
/// required and leaves `buf` untouched.
///
/// ```
/// use sse_core::{EncodeError, Message, encode};
/// let message = Message::new().data("one\r\ntwo").retry(1000);
/// let mut small = [0u8; 8];
/// assert_eq!(encode(&message, &mut small), Err(EncodeError::BufferTooSmall { required: 33 }));
/// let mut buf = [0u8; 64];
/// let n = encode(&message, &mut buf)?;
/// assert_eq!(&buf[..n], b"retry: 1000\ndata: one\ndata: two\n\n");
/// # Ok::<(), EncodeError>(())
/// ```
pub fn encode(message: &Message<'_>, mut buf: &mut [u8]) -> Result<usize, EncodeError> {
    encode_to(message, &mut buf)
}

/// Encodes `message` into `sink`; returns the number of bytes written.
///
/// Like [`encode`], it writes the whole event or nothing.
///
/// ```
/// let mut out: heapless::Vec<u8, 64> = heapless::Vec::new();
/// sse_core::encode_to(&sse_core::Message::new().id("7").data(""), &mut out)?;
/// assert_eq!(&out[..], b"id: 7\ndata:\n\n");
/// # Ok::<(), sse_core::EncodeError>(())
/// ```
pub fn encode_to<S: Sink + ?Sized>(
    message: &Message<'_>,
    sink: &mut S,
) -> Result<usize, EncodeError> {
    Plan::new(message)?.emit_whole(sink)
}

/// Encodes `message` into a sink that `make` creates for the exact length:
/// one plan, one allocation of the right size for growing sinks.
#[cfg(feature = "stream")]
pub(crate) fn encode_exact<T: Sink>(
    message: &Message<'_>,
    make: impl FnOnce(usize) -> T,
) -> Result<T, EncodeError> {
    let plan = Plan::new(message)?;
    let mut sink = make(plan.len());
    plan.emit_whole(&mut sink)?;
    Ok(sink)
}

/// The exact number of bytes [`encode_comment`] writes for `text`.
///
/// ```
/// assert_eq!(sse_core::comment_len("ping"), b": ping\n".len());
/// ```
pub fn comment_len(text: &str) -> usize {
    count(|counter| emit_lines(text.as_bytes(), b":", counter))
}

/// Encodes a comment (R18): one `:` line per line of `text`. Clients ignore
/// it; it is the usual keep-alive. Never fails but for lack of room, and then
/// writes nothing.
///
/// ```
/// let mut out: heapless::Vec<u8, 32> = heapless::Vec::new();
/// sse_core::encode_comment("two\nlines", &mut out)?;
/// assert_eq!(&out[..], b": two\n: lines\n");
/// # Ok::<(), sse_core::EncodeError>(())
/// ```
pub fn encode_comment<S: Sink + ?Sized>(text: &str, sink: &mut S) -> Result<usize, EncodeError> {
    let len = comment_len(text);
    checked(sink, len)?;
    emit_lines(text.as_bytes(), b":", sink).map_err(refused(len))?;
    Ok(len)
}

/// A validated message and what one pass over its data found: the single
/// source of both the length ([`Plan::len`]) and the bytes ([`Plan::emit`]).
#[derive(Clone, Copy, Debug)]
struct Plan<'m, 'a> {
    message: &'m Message<'a>,
    /// The data has a CR or LF, so it needs the general [`emit_lines`]; when
    /// it has none (the usual case) it is written as one `data` line without
    /// being scanned again.
    data_has_line_break: bool,
}

impl<'m, 'a> Plan<'m, 'a> {
    /// Validates `message` and scans its data once.
    fn new(message: &'m Message<'a>) -> Result<Self, EncodeError> {
        message.validate()?;
        Ok(Self {
            message,
            data_has_line_break: message.data.is_some_and(|d| has_line_break(d.as_bytes())),
        })
    }

    /// The exact number of bytes [`emit`](Self::emit) writes.
    #[inline]
    fn len(&self) -> usize {
        count(|counter| self.emit(counter))
    }

    /// Writes the whole message or, when `sink` has too little room,
    /// nothing; returns its length.
    #[inline]
    fn emit_whole<S: Sink + ?Sized>(&self, sink: &mut S) -> Result<usize, EncodeError> {
        let len = self.len();
        checked(sink, len)?;
        self.emit(sink).map_err(refused(len))?;
        Ok(len)
    }

    /// Writes the message.
    #[inline]
    fn emit<S: Sink + ?Sized>(&self, sink: &mut S) -> Result<(), BufferTooSmall> {
        let message = self.message;
        emit_header(message, sink)?;
        match message.data {
            // What `emit_lines` writes for text without a line break, and
            // the blank line that ends the event.
            Some(data) if !self.data_has_line_break => {
                if data.is_empty() {
                    sink.put(b"data:\n\n")
                } else {
                    sink.put(b"data: ")?;
                    sink.put(data.as_bytes())?;
                    sink.put(b"\n\n")
                }
            }
            Some(data) => emit_data_lines(data.as_bytes(), sink),
            None => {
                if message.event_type.is_some_and(|t| !t.is_empty())
                    || message.id.is_some()
                    || message.retry.is_some()
                {
                    sink.put(b"\n")?;
                }
                Ok(())
            }
        }
    }
}

/// Writes data that has line breaks, and the blank line that ends the event.
/// Out of line, so that [`Plan::emit`] stays small enough to inline.
#[inline(never)]
fn emit_data_lines<S: Sink + ?Sized>(data: &[u8], sink: &mut S) -> Result<(), BufferTooSmall> {
    emit_lines(data, b"data:", sink)?;
    sink.put(b"\n")
}

/// Writes the `event`, `id` and `retry` lines of a validated message.
fn emit_header<S: Sink + ?Sized>(
    message: &Message<'_>,
    sink: &mut S,
) -> Result<(), BufferTooSmall> {
    if let Some(event_type) = message.event_type.filter(|t| !t.is_empty()) {
        field(b"event: ", event_type.as_bytes(), sink)?;
    }
    if let Some(id) = message.id {
        field(b"id: ", id.as_bytes(), sink)?;
    }
    if let Some(retry) = message.retry {
        let mut digits = [0u8; 20];
        field(b"retry: ", decimal(retry, &mut digits), sink)?;
    }
    Ok(())
}

/// Writes `name: value` (or `name:` for an empty value) and LF, given
/// `name_colon_space` (`b"name: "`).
fn field<S: Sink + ?Sized>(
    name_colon_space: &[u8],
    value: &[u8],
    sink: &mut S,
) -> Result<(), BufferTooSmall> {
    if value.is_empty() {
        sink.put(
            name_colon_space
                .strip_suffix(b" ")
                .unwrap_or(name_colon_space),
        )?;
    } else {
        sink.put(name_colon_space)?;
        sink.put(value)?;
    }
    sink.put(b"\n")
}

/// Writes one `prefix` line per line of `text` (split at CR, LF and CRLF).
fn emit_lines<S: Sink + ?Sized>(
    text: &[u8],
    prefix: &[u8],
    sink: &mut S,
) -> Result<(), BufferTooSmall> {
    let mut lines = LineWriter::new();
    lines.write(text, prefix, sink)?;
    lines.finish(prefix, sink)
}

/// Formats `n` in decimal into the end of `buf`.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// Splits text written in pieces into prefixed lines: the one mechanism
/// behind data, comments and [`EventWriter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct LineWriter {
    /// A line's prefix has been written and its LF has not.
    open: bool,
    /// The last piece ended with CR: an LF starting the next one is its CRLF.
    pending_cr: bool,
}

impl LineWriter {
    const fn new() -> Self {
        Self {
            open: false,
            pending_cr: false,
        }
    }

    /// Writes a piece of text.
    fn write<S: Sink + ?Sized>(
        &mut self,
        mut text: &[u8],
        prefix: &[u8],
        sink: &mut S,
    ) -> Result<(), BufferTooSmall> {
        if text.is_empty() {
            return Ok(());
        }
        if self.pending_cr && text[0] == b'\n' {
            text = &text[1..];
        }
        self.pending_cr = false;
        while !text.is_empty() {
            let (line, rest) = match find_line_end(text) {
                Some(i) => {
                    let crlf = text[i] == b'\r' && text.get(i + 1) == Some(&b'\n');
                    self.pending_cr = text[i] == b'\r' && i + 1 == text.len();
                    (&text[..i], Some(&text[i + 1 + usize::from(crlf)..]))
                }
                None => (text, None),
            };
            if !line.is_empty() {
                if !self.open {
                    sink.put(prefix)?;
                    sink.put(b" ")?;
                    self.open = true;
                }
                sink.put(line)?;
            }
            match rest {
                Some(rest) => {
                    self.end_line(prefix, sink)?;
                    text = rest;
                }
                None => break,
            }
        }
        Ok(())
    }

    /// Ends the current line, writing an empty one if none is open.
    fn end_line<S: Sink + ?Sized>(
        &mut self,
        prefix: &[u8],
        sink: &mut S,
    ) -> Result<(), BufferTooSmall> {
        if !self.open {
            sink.put(prefix)?;
        }
        sink.put(b"\n")?;
        self.open = false;
        Ok(())
    }

    /// Ends the text: its last line, even an empty one, is written.
    fn finish<S: Sink + ?Sized>(
        &mut self,
        prefix: &[u8],
        sink: &mut S,
    ) -> Result<(), BufferTooSmall> {
        self.end_line(prefix, sink)?;
        *self = Self::new();
        Ok(())
    }
}

/// Writes one event whose data arrives in pieces, into small buffers.
///
/// [`begin`](Self::begin) writes the event type, id and retry (and the
/// message's data, if any); [`write`](Self::write) writes a piece of data,
/// which may contain line breaks anywhere, including a CRLF split between two
/// pieces; [`finish`](Self::finish) ends the event. Each call writes all its
/// bytes or, when the sink has too little room, returns
/// [`EncodeError::BufferTooSmall`] and writes nothing, so the caller can flush
/// and call again. The result is byte for byte what [`encode`] writes for the
/// whole data.
///
/// ```
/// use sse_core::{EventWriter, Message};
/// let mut out: heapless::Vec<u8, 128> = heapless::Vec::new();
/// let mut writer = EventWriter::begin(&Message::new().event_type("firmware"), &mut out)?;
/// for piece in ["0123\r", "\n4567", "89"] {
///     writer.write(piece, &mut out)?;
/// }
/// writer.finish(&mut out)?;
/// assert_eq!(&out[..], b"event: firmware\ndata: 0123\ndata: 456789\n\n");
/// # Ok::<(), sse_core::EncodeError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "an event is not complete until `finish` is called"]
pub struct EventWriter {
    lines: LineWriter,
}

impl EventWriter {
    /// Writes the header fields of `message`, and its data if it has some.
    ///
    /// ```
    /// let mut buf = [0u8; 4];
    /// let mut sink: &mut [u8] = &mut buf;
    /// let header = sse_core::Message::new().id("12345");
    /// assert_eq!(
    ///     sse_core::EventWriter::begin(&header, &mut sink).err(),
    ///     Some(sse_core::EncodeError::BufferTooSmall { required: 10 })
    /// );
    /// ```
    pub fn begin<S: Sink + ?Sized>(
        message: &Message<'_>,
        sink: &mut S,
    ) -> Result<Self, EncodeError> {
        message.validate()?;
        let len = count(|counter| Self::new().emit_begin(message, counter));
        checked(sink, len)?;
        let mut writer = Self::new();
        writer.emit_begin(message, sink).map_err(refused(len))?;
        Ok(writer)
    }

    const fn new() -> Self {
        Self {
            lines: LineWriter::new(),
        }
    }

    fn emit_begin<S: Sink + ?Sized>(
        &mut self,
        message: &Message<'_>,
        sink: &mut S,
    ) -> Result<(), BufferTooSmall> {
        emit_header(message, sink)?;
        if let Some(data) = message.data {
            self.lines.write(data.as_bytes(), b"data:", sink)?;
        }
        Ok(())
    }

    /// The exact number of bytes [`write`](Self::write) would write for `data` now.
    ///
    /// ```
    /// let mut out: heapless::Vec<u8, 64> = heapless::Vec::new();
    /// let writer = sse_core::EventWriter::begin(&sse_core::Message::new(), &mut out)?;
    /// assert_eq!(writer.write_len("ab\ncd"), b"data: ab\ndata: cd".len());
    /// # Ok::<(), sse_core::EncodeError>(())
    /// ```
    pub fn write_len(&self, data: &str) -> usize {
        let mut lines = self.lines;
        count(|counter| lines.write(data.as_bytes(), b"data:", counter))
    }

    /// Writes a piece of the data; returns the number of bytes written.
    ///
    /// ```
    /// let mut out: heapless::Vec<u8, 64> = heapless::Vec::new();
    /// let mut writer = sse_core::EventWriter::begin(&sse_core::Message::new(), &mut out)?;
    /// assert_eq!(writer.write("x", &mut out)?, b"data: x".len());
    /// # Ok::<(), sse_core::EncodeError>(())
    /// ```
    pub fn write<S: Sink + ?Sized>(
        &mut self,
        data: &str,
        sink: &mut S,
    ) -> Result<usize, EncodeError> {
        let len = self.write_len(data);
        checked(sink, len)?;
        // The state moves on only once the sink took every byte.
        let mut lines = self.lines;
        lines
            .write(data.as_bytes(), b"data:", sink)
            .map_err(refused(len))?;
        self.lines = lines;
        Ok(len)
    }

    /// Ends the event; returns the number of bytes written. Data that was
    /// never written, or that ended with a line break, ends with an empty
    /// `data` line, exactly as [`encode`] does.
    ///
    /// ```
    /// let mut out: heapless::Vec<u8, 64> = heapless::Vec::new();
    /// let writer = sse_core::EventWriter::begin(&sse_core::Message::new(), &mut out)?;
    /// writer.finish(&mut out)?;
    /// assert_eq!(&out[..], b"data:\n\n");
    /// # Ok::<(), sse_core::EncodeError>(())
    /// ```
    pub fn finish<S: Sink + ?Sized>(self, sink: &mut S) -> Result<usize, EncodeError> {
        let len = count(|counter| {
            let mut lines = self.lines;
            lines.finish(b"data:", counter)
        }) + 1;
        checked(sink, len)?;
        let mut lines = self.lines;
        lines
            .finish(b"data:", sink)
            .and_then(|()| sink.put(b"\n"))
            .map_err(refused(len))?;
        Ok(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(message: &Message<'_>) -> heapless::Vec<u8, 256> {
        let mut out = heapless::Vec::new();
        let n = encode_to(message, &mut out).unwrap();
        assert_eq!(n, out.len());
        assert_eq!(encoded_len(message), Ok(n));
        out
    }

    #[test]
    fn line_breaks_of_every_kind_split_data() {
        let out = encoded(&Message::new().data("a\rb\nc\r\nd\n\re\r\r\n"));
        assert_eq!(
            &out[..],
            b"data: a\ndata: b\ndata: c\ndata: d\ndata:\ndata: e\ndata:\ndata:\n\n"
        );
    }

    #[test]
    fn leading_spaces_and_colons_survive() {
        let out = encoded(&Message::new().data("  x:y").event_type(" t").id(" 1"));
        assert_eq!(&out[..], b"event:  t\nid:  1\ndata:   x:y\n\n");
    }

    #[test]
    fn injection_is_refused_and_nothing_written() {
        for (message, error) in [
            (
                Message::new().event_type("a\r"),
                EncodeError::EventTypeHasLineBreak,
            ),
            (
                Message::new().id("a\nid: evil"),
                EncodeError::IdHasLineBreak,
            ),
            (Message::new().id("a\0"), EncodeError::IdContainsNul),
        ] {
            let mut buf = [7u8; 64];
            assert_eq!(encode(&message.data("x"), &mut buf), Err(error));
            assert_eq!(buf, [7u8; 64]);
        }
    }

    #[test]
    fn fields_without_data_and_empty_values() {
        assert_eq!(&encoded(&Message::new().id(""))[..], b"id:\n\n");
        assert_eq!(&encoded(&Message::new().retry(0))[..], b"retry: 0\n\n");
        assert_eq!(
            &encoded(&Message::new().retry(u64::MAX))[..],
            b"retry: 18446744073709551615\n\n"
        );
        assert_eq!(&encoded(&Message::new().event_type(""))[..], b"");
        assert_eq!(
            &encoded(&Message::new().event_type("").data(""))[..],
            b"data:\n\n"
        );
    }

    #[test]
    fn writer_keeps_crlf_state_across_lf_only_pieces() {
        let header = Message::new();
        let mut out: heapless::Vec<u8, 64> = heapless::Vec::new();
        let mut writer = EventWriter::begin(&header, &mut out).unwrap();
        for piece in ["a\r", "\n", "\n", "", "b"] {
            writer.write(piece, &mut out).unwrap();
        }
        writer.finish(&mut out).unwrap();
        assert_eq!(out, encoded(&header.data("a\r\n\nb")));
        assert_eq!(&out[..], b"data: a\ndata:\ndata: b\n\n");
    }

    #[test]
    fn writer_pieces_match_one_shot_at_every_split() {
        let data = "ab\r\ncd\re\n\nf\r";
        let header = Message::new().event_type("x").id("1");
        let whole = encoded(&header.data(data));
        for i in 0..=data.len() {
            for j in i..=data.len() {
                let mut out: heapless::Vec<u8, 256> = heapless::Vec::new();
                let mut writer = EventWriter::begin(&header, &mut out).unwrap();
                for piece in [&data[..i], &data[i..j], &data[j..]] {
                    writer.write(piece, &mut out).unwrap();
                }
                writer.finish(&mut out).unwrap();
                assert_eq!(out, whole, "split {i} {j}");
            }
        }
    }

    /// What the general line-splitting path writes for `message` (through
    /// [`EventWriter`], one character at a time), to check the one-line fast
    /// path.
    fn by_the_general_path(message: &Message<'_>) -> heapless::Vec<u8, 256> {
        let mut out = heapless::Vec::new();
        let header = Message {
            data: None,
            ..*message
        };
        let mut writer = EventWriter::begin(&header, &mut out).unwrap();
        if let Some(data) = message.data {
            for (i, c) in data.char_indices() {
                writer.write(&data[i..i + c.len_utf8()], &mut out).unwrap();
            }
            writer.finish(&mut out).unwrap();
        } else if out.is_empty() {
            // No header field and no data: `encode` writes nothing.
        } else {
            out.push(b'\n').unwrap();
        }
        out
    }

    const ONE_LINE: &[&str] = &[
        "",
        " ",
        "x",
        "  x:y",
        ":",
        "data: x",
        "\u{FEFF}bom",
        "\0nul",
        "caf\u{e9} \u{1F600}",
        "\u{2028}\u{85}\u{b}\u{c}",
        "{\"id\":\"chatcmpl-1\",\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}",
    ];

    fn headers() -> [Message<'static>; 7] {
        [
            Message::new(),
            Message::new().event_type(""),
            Message::new().event_type("token"),
            Message::new().id(""),
            Message::new().id(" 7"),
            Message::new().retry(0),
            Message::new().event_type("t").id("1").retry(u64::MAX),
        ]
    }

    #[test]
    fn one_line_data_is_written_as_the_general_path_writes_it() {
        for header in headers() {
            for data in ONE_LINE.iter().copied().map(Some).chain([None]) {
                let message = match data {
                    Some(data) => header.data(data),
                    None => header,
                };
                let out = encoded(&message);
                assert_eq!(out, by_the_general_path(&message), "{message:?}");
                // The same bytes through a slice, a sink behind `&mut`, and a
                // `Vec`.
                let mut buf = [0u8; 256];
                let n = encode(&message, &mut buf).unwrap();
                assert_eq!(&buf[..n], &out[..]);
                let mut storage = [0u8; 256];
                let mut sink: &mut [u8] = &mut storage;
                assert_eq!(encode_to(&message, &mut &mut sink), Ok(n));
                assert_eq!(sink.len(), 256 - n);
                assert_eq!(&storage[..n], &out[..]);
                #[cfg(feature = "alloc")]
                {
                    let mut vec = alloc::vec::Vec::new();
                    assert_eq!(encode_to(&message, &mut vec), Ok(n));
                    assert_eq!(&vec[..], &out[..]);
                }
            }
        }
    }

    #[test]
    fn one_line_data_forms() {
        assert_eq!(&encoded(&Message::new().data(""))[..], b"data:\n\n");
        assert_eq!(&encoded(&Message::new().data(" "))[..], b"data:  \n\n");
        assert_eq!(
            &encoded(&Message::new().id("").data("a"))[..],
            b"id:\ndata: a\n\n"
        );
        assert_eq!(
            &encoded(&Message::new().event_type("t").id("9").retry(5).data("a b"))[..],
            b"event: t\nid: 9\nretry: 5\ndata: a b\n\n"
        );
    }

    #[test]
    fn every_too_small_buffer_is_refused_and_untouched() {
        for message in [
            Message::new().data("one line"),
            Message::new().data(""),
            Message::new().event_type("t").id("").retry(10).data("x"),
            Message::new().id("1"),
            Message::new().data("a\r\nb\rc\n"),
        ] {
            let len = encoded_len(&message).unwrap();
            for size in 0..len {
                let mut buf = [0xAAu8; 64];
                assert_eq!(
                    encode(&message, &mut buf[..size]),
                    Err(EncodeError::BufferTooSmall { required: len }),
                    "{message:?} into {size}"
                );
                assert_eq!(buf, [0xAAu8; 64]);
                // A vector with exactly `size` bytes free.
                let mut out: heapless::Vec<u8, 64> = heapless::Vec::new();
                out.resize(64 - size, b'-').unwrap();
                let before = out.clone();
                assert_eq!(
                    encode_to(&message, &mut out),
                    Err(EncodeError::BufferTooSmall { required: len })
                );
                assert_eq!(out, before);
            }
            let mut buf = [0xAAu8; 64];
            assert_eq!(encode(&message, &mut buf[..len]), Ok(len));
        }
    }

    #[test]
    fn slice_sink_takes_exact_fits() {
        let mut buf = [0u8; 8];
        let mut sink: &mut [u8] = &mut buf;
        assert_eq!(sink.put(b"data: "), Ok(()));
        assert_eq!(sink.put(b""), Ok(()));
        assert_eq!(sink.put(b"\n\n"), Ok(()));
        assert_eq!(sink.remaining(), 0);
        assert_eq!(sink.put(b""), Ok(()));
        assert_eq!(sink.put(b"x"), Err(BufferTooSmall { required: 1 }));
        assert_eq!(&buf, b"data: \n\n");
    }

    #[test]
    fn short_sinks_refuse_a_piece_whole_and_never_truncate() {
        let mut buf = [0u8; 3];
        let mut sink: &mut [u8] = &mut buf;
        assert_eq!(sink.put(b"abcdef"), Err(BufferTooSmall { required: 6 }));
        assert_eq!(sink.remaining(), 3);
        assert_eq!(&buf, &[0, 0, 0]);
        let mut vec: heapless::Vec<u8, 3> = heapless::Vec::new();
        assert_eq!(vec.put(b"ab"), Ok(()));
        assert_eq!(vec.put(b"cd"), Err(BufferTooSmall { required: 2 }));
        assert_eq!(&vec[..], b"ab");
    }

    /// An `N`-byte sink that claims room without end: its `put` is all that
    /// stands between an event and a silent truncation.
    struct Overpromising<const N: usize>(heapless::Vec<u8, N>);

    impl<const N: usize> Sink for Overpromising<N> {
        fn remaining(&self) -> usize {
            usize::MAX
        }
        fn put(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall> {
            self.0.put(bytes)
        }
    }

    #[test]
    fn a_sink_that_takes_less_than_it_promised_is_an_error() {
        let message = Message::new().id("1").data("more than ten bytes");
        let required = encoded_len(&message).unwrap();
        let mut sink = Overpromising::<10>(heapless::Vec::new());
        assert_eq!(
            encode_to(&message, &mut sink),
            Err(EncodeError::BufferTooSmall { required })
        );
        // Whole pieces only: `id: 1\n`, not a cut `data: ` line.
        assert_eq!(&sink.0[..], b"id: 1\n");

        let mut sink = Overpromising::<10>(heapless::Vec::new());
        assert_eq!(
            encode_comment("a comment of more than ten bytes", &mut sink),
            Err(EncodeError::BufferTooSmall {
                required: comment_len("a comment of more than ten bytes")
            })
        );
        assert_eq!(&sink.0[..], b": ");

        let mut sink = Overpromising::<18>(heapless::Vec::new());
        let mut writer = EventWriter::begin(&Message::new().event_type("t"), &mut sink).unwrap();
        assert_eq!(writer.write("ab", &mut sink), Ok(8));
        assert_eq!(
            writer.write("cd", &mut sink),
            Err(EncodeError::BufferTooSmall { required: 2 })
        );
        assert_eq!(&sink.0[..], b"event: t\ndata: ab");
    }
}
