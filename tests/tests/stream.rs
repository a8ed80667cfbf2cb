//! A `Stream` of owned items over a stream of byte chunks, written with
//! nothing but sse-core's owned forms ([`Item::into_owned`]) and growing
//! storage ([`HeapBuffers`]): the kind of wrapper an async HTTP client adds.

use futures::executor::block_on;
use futures::stream::{self, StreamExt};
use futures_core::Stream;
use sse_core::{DecodeError, Decoder, HeapBuffers, Item, Limits, OwnedEvent, OwnedItem};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// The whole wrapper: owned items from a stream of byte chunks.
struct Events<S: Stream> {
    chunks: S,
    decoder: Decoder<HeapBuffers>,
    /// The chunk being decoded, and how much of it is used.
    chunk: Option<S::Item>,
    used: usize,
}

impl<S: Stream<Item: AsRef<[u8]> + Unpin> + Unpin> Stream for Events<S> {
    type Item = Result<OwnedItem, DecodeError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            let chunk = this.chunk.as_ref().map_or(&[][..], AsRef::as_ref);
            let mut input = &chunk[this.used..];
            let item = this.decoder.next(&mut input);
            this.used = chunk.len() - input.len();
            if let Some(item) = item {
                return Poll::Ready(Some(item.map(Item::into_owned)));
            }
            let Some(next) = ready!(Pin::new(&mut this.chunks).poll_next(cx)) else {
                // The body ended: an incomplete event is dropped (R34).
                let _ = this.decoder.finish();
                return Poll::Ready(None);
            };
            (this.chunk, this.used) = (Some(next), 0);
        }
    }
}

impl<S: Stream> Events<S> {
    fn new(chunks: S, decoder: Decoder<HeapBuffers>) -> Self {
        Self {
            chunks,
            decoder,
            chunk: None,
            used: 0,
        }
    }
}

fn heap_decoder() -> Decoder<HeapBuffers> {
    let limits = Limits::new()
        .max_data(1 << 20)
        .max_event_type(4096)
        .max_id(4096);
    Decoder::with_storage(HeapBuffers::new(limits))
}

/// A stream of `chunks` that is pending before each one, as a socket is.
fn pending_between<T: Unpin>(chunks: Vec<T>) -> impl Stream<Item = T> + Unpin {
    let mut chunks = chunks.into_iter();
    let mut ready = false;
    stream::poll_fn(move |cx| {
        ready = !ready;
        if ready {
            Poll::Ready(chunks.next())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
}

#[test]
fn a_stream_of_owned_items_needs_no_glue() {
    let body: &[u8] = b"retry: 10\nid: 1\ndata: hello\ndata: world\n\n: ping\nid: 2\n\nevent: e\ndata: \xFFx\n\ndata: cut off";
    for size in [1, 3, 7, body.len()] {
        let chunks: Vec<Vec<u8>> = body.chunks(size).map(<[u8]>::to_vec).collect();
        let items: Vec<_> =
            block_on(Events::new(pending_between(chunks), heap_decoder()).collect());
        let event = |event_type: &str, data: &str, id: &str| {
            Ok(OwnedItem::Event(OwnedEvent {
                event_type: event_type.into(),
                data: data.into(),
                last_event_id: id.into(),
            }))
        };
        assert_eq!(
            items,
            [
                Ok(OwnedItem::Retry(10)),
                event("message", "hello\nworld", "1"),
                Ok(OwnedItem::NoData {
                    last_event_id: "2".into()
                }),
                event("e", "\u{FFFD}x", "2"),
            ],
            "{size}-byte chunks"
        );
    }
}

#[test]
fn the_stream_gives_every_vector_its_events_and_limit_errors_in_order() {
    for vector in sse_core_tests::vectors::all() {
        let body = vector.bytes();
        let expected = sse_core_tests::drive::decode(&body, vector.initial_id()).events();
        for size in [1, 5, body.len().max(1)] {
            let chunks: Vec<&[u8]> = body.chunks(size).collect();
            let mut decoder = heap_decoder();
            decoder.set_last_event_id(vector.initial_id()).unwrap();
            let items = block_on(Events::new(stream::iter(chunks), decoder).collect::<Vec<_>>());
            let events: Vec<OwnedEvent> = items
                .into_iter()
                .filter_map(|item| item.unwrap().event().cloned())
                .collect();
            assert_eq!(events, expected, "{} in {size}-byte chunks", vector.name);
        }
    }
    // A limit error is an item too, and the stream goes on.
    let decoder = Decoder::with_storage(HeapBuffers::new(Limits::new().max_data(4)));
    let chunks = stream::iter([&b"data: 12"[..], b"345\n\ndata: 1234\n\n"]);
    let items: Vec<_> = block_on(Events::new(chunks, decoder).collect());
    assert_eq!(items[0], Err(DecodeError::DataTooLong { limit: 4 }));
    assert_eq!(items[1].as_ref().unwrap().event().unwrap().data, "1234");
}
