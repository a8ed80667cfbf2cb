//! The client side over an `http_body::Body` (feature `http-body`).

use alloc::boxed::Box;
use core::fmt;
use core::pin::Pin;
use core::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use futures_core::stream::Stream;
use http_body::Body;

use super::EventStream;

/// The data of an `http_body::Body` as a stream of [`Bytes`] chunks
/// (trailers are skipped), for [`EventStream`]: made by
/// [`SseBodyExt::sse_events`]. A body whose data is [`Bytes`] (hyper's
/// `Incoming`, axum's `Body`) is not copied.
///
/// ```
/// use futures::StreamExt;
/// use sse_core::stream::BodyChunks;
/// # futures::executor::block_on(async {
/// let body = http_body_util::Full::new(bytes::Bytes::from_static(b"data: x\n\n"));
/// let chunks: Vec<_> = BodyChunks::new(body).collect().await;
/// assert_eq!(chunks.len(), 1);
/// # });
/// ```
pub struct BodyChunks<B> {
    body: Pin<Box<B>>,
}

impl<B> BodyChunks<B> {
    /// The data of `body`, chunk by chunk.
    ///
    /// ```
    /// let body = http_body_util::Empty::<bytes::Bytes>::new();
    /// let _chunks = sse_core::stream::BodyChunks::new(body);
    /// ```
    pub fn new(body: B) -> Self {
        Self {
            body: Box::pin(body),
        }
    }
}

impl<B: Body> Stream for BodyChunks<B> {
    type Item = Result<Bytes, B::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            let frame = match ready!(self.body.as_mut().poll_frame(cx)) {
                Some(Ok(frame)) => frame,
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => return Poll::Ready(None),
            };
            if let Ok(mut data) = frame.into_data() {
                let len = data.remaining();
                return Poll::Ready(Some(Ok(data.copy_to_bytes(len))));
            }
        }
    }
}

impl<B> fmt::Debug for BodyChunks<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyChunks").finish_non_exhaustive()
    }
}

/// [`sse_events`](Self::sse_events) on every `http_body::Body`:
/// `response.into_body().sse_events()` with hyper.
///
/// ```
/// use futures::StreamExt;
/// use sse_core::stream::SseBodyExt;
/// # futures::executor::block_on(async {
/// let body = http_body_util::Full::new(bytes::Bytes::from_static(b"event: e\ndata: x\n\n"));
/// let mut events = body.sse_events();
/// assert_eq!(events.next().await.unwrap()?.event().unwrap().event_type, "e");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub trait SseBodyExt: Body + Sized {
    /// An [`EventStream`] over this body's data, with
    /// [`DEFAULT_LIMITS`](super::DEFAULT_LIMITS).
    ///
    /// ```
    /// use sse_core::stream::SseBodyExt;
    /// let body = http_body_util::Empty::<bytes::Bytes>::new();
    /// assert_eq!(body.sse_events().last_event_id(), "");
    /// ```
    fn sse_events(self) -> EventStream<BodyChunks<Self>> {
        EventStream::new(BodyChunks::new(self))
    }
}

impl<B: Body> SseBodyExt for B {}
