//! The client adapter (feature `stream`): `EventStream`, a `Stream` of owned
//! items over any stream of byte chunks, under `futures`' executor and
//! tokio, over plain streams and `http_body` bodies. Its items against the
//! decoder's for any chunking are in `differential.rs`; its memory in
//! `stream_memory.rs`.

use std::convert::Infallible;
use std::task::Poll;

use bytes::Bytes;
use futures::executor::block_on;
use futures::stream::{self, StreamExt};
use futures_core::Stream;
use futures_core::stream::FusedStream;
use sse_core::stream::{EventStream, SseBodyExt, SseStreamExt, StreamError};
use sse_core::{DecodeError, EndOfBody, Limits, OwnedEvent, OwnedItem};

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

fn event(event_type: &str, data: &str, id: &str) -> OwnedItem {
    OwnedItem::Event(OwnedEvent {
        event_type: event_type.to_owned().into(),
        data: data.into(),
        last_event_id: id.into(),
    })
}

const BODY: &[u8] = b"retry: 10\nid: 1\ndata: hello\ndata: world\n\n: ping\nid: 2\n\nevent: e\ndata: \xFFx\n\ndata: cut off";

fn expected() -> Vec<OwnedItem> {
    vec![
        OwnedItem::Retry(10),
        event("message", "hello\nworld", "1"),
        OwnedItem::NoData {
            last_event_id: "2".into(),
        },
        event("e", "\u{FFFD}x", "2"),
    ]
}

#[test]
fn one_line_gives_owned_items_from_chunks_of_any_size() {
    for size in [1, 3, 7, BODY.len()] {
        let chunks: Vec<Result<Vec<u8>, Infallible>> =
            BODY.chunks(size).map(|c| Ok(c.to_vec())).collect();
        let mut events = pending_between(chunks).sse_events();
        let items: Vec<_> = block_on((&mut events).map(Result::unwrap).collect());
        assert_eq!(items, expected(), "{size}-byte chunks");
        // A clean end of the body is `None`, and the cut-off event is
        // reported as discarded (R34).
        assert_eq!(events.end_of_body(), Some(EndOfBody::Discarded));
        assert_eq!((events.last_event_id(), events.retry()), ("2", Some(10)));
        assert!(events.is_terminated());
    }
}

#[test]
fn a_clean_end_is_none_and_says_nothing_was_discarded() {
    let chunks = stream::iter([Ok::<_, Infallible>(&b"data: x\n\n"[..])]);
    let mut events = chunks.sse_events();
    assert!(block_on(events.next()).is_some());
    assert_eq!(events.end_of_body(), None, "the body has not ended yet");
    assert!(block_on(events.next()).is_none());
    assert_eq!(events.end_of_body(), Some(EndOfBody::Clean));
    assert!(block_on(events.next()).is_none(), "fused");
}

#[test]
fn every_vector_gives_its_events_whole_and_in_pieces() {
    for vector in sse_core_tests::vectors::all() {
        let body = vector.bytes();
        let expected = sse_core_tests::drive::decode(&body, vector.initial_id()).events();
        for size in [1, 5, body.len().max(1)] {
            let chunks: Vec<&[u8]> = body.chunks(size).collect();
            let outcome = sse_core_tests::drive::decode_stream(
                &chunks,
                vector.initial_id(),
                // The reference decoder's, as some vectors have a type of
                // 1,000 bytes (over the default's 256).
                sse_core_tests::drive::big_decoder().limits(),
            );
            assert_eq!(
                outcome.events(),
                expected,
                "{} in {size}-byte chunks",
                vector.name
            );
        }
    }
}

#[test]
fn a_limit_error_is_an_item_and_the_stream_goes_on() {
    let chunks = stream::iter([
        Ok::<_, Infallible>(&b"data: 12"[..]),
        Ok(b"345\n\ndata: 1234\n\n"),
    ]);
    let items: Vec<_> = block_on(
        chunks
            .sse_events()
            .with_limits(Limits::new().max_data(4))
            .collect(),
    );
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0],
        Err(StreamError::Decode(DecodeError::DataTooLong { limit: 4 }))
    );
    assert_eq!(items[1], Ok(event("message", "1234", "")));
}

#[test]
fn a_limit_error_can_end_the_stream() {
    let chunks = stream::iter([Ok::<_, Infallible>(
        &b"id: 12345\ndata: a\n\ndata: b\n\n"[..],
    )]);
    let mut events = chunks
        .sse_events()
        .with_limits(Limits::new().max_id(4))
        .end_on_limit_error(true);
    let items: Vec<_> = block_on((&mut events).collect());
    assert_eq!(
        items,
        [Err(StreamError::Decode(DecodeError::IdTooLong {
            limit: 4
        }))]
    );
    assert!(events.is_terminated());
    assert_eq!(events.end_of_body(), Some(EndOfBody::Discarded));
}

#[test]
fn the_sources_first_error_is_the_last_item() {
    let polled_after_error = std::cell::Cell::new(false);
    let chunks = stream::iter([Ok(&b"data: a\n\ndata: b"[..]), Err("reset"), Ok(b"\n\n")]).inspect(
        |chunk| {
            if *chunk == Ok(b"\n\n") {
                polled_after_error.set(true);
            }
        },
    );
    let mut events = chunks.sse_events();
    let items: Vec<_> = block_on((&mut events).collect());
    assert_eq!(
        items,
        [
            Ok(event("message", "a", "")),
            Err(StreamError::Body("reset"))
        ]
    );
    assert!(
        !polled_after_error.get(),
        "the source was polled after its error"
    );
    assert!(block_on(events.next()).is_none());
    // The incomplete event was dropped, not dispatched later.
    assert_eq!(events.end_of_body(), Some(EndOfBody::Discarded));
    assert_eq!(StreamError::<&str>::Body("reset").to_string(), "reset");
}

#[test]
fn a_starting_last_event_id_is_inherited_and_a_reconnection_carries_state() {
    let first = stream::iter([Ok::<_, Infallible>(
        &b"data: a\n\nretry: 70\nid: 8\ndata: b\n\ndata: c"[..],
    )]);
    let mut events = first.sse_events().with_last_event_id("7").unwrap();
    let items: Vec<_> = block_on((&mut events).map(Result::unwrap).collect());
    assert_eq!(
        items,
        [
            event("message", "a", "7"),
            OwnedItem::Retry(70),
            event("message", "b", "8")
        ]
    );
    // The next body, after a reconnection that sent `Last-Event-ID: 8`.
    let second = stream::iter([Ok::<_, Infallible>(&b"data: d\n\n"[..])]);
    let mut events = EventStream::with_decoder(second, events.into_decoder());
    assert_eq!(
        block_on(events.next()),
        Some(Ok(event("message", "d", "8")))
    );
    assert_eq!(events.retry(), Some(70));
    // A starting id the limits do not allow is refused.
    let chunks = stream::iter([Ok::<_, Infallible>(&b""[..])]);
    let error = chunks.sse_events().with_last_event_id("a\0b").unwrap_err();
    assert_eq!(error, DecodeError::IdContainsNul);
}

#[test]
fn comments_are_items_when_asked_for() {
    let chunks = stream::iter([Ok::<_, Infallible>(&b": ping\ndata: x\n\n"[..])]);
    let items: Vec<_> = block_on(
        chunks
            .sse_events()
            .with_comments(true)
            .map(Result::unwrap)
            .collect(),
    );
    assert_eq!(
        items,
        [
            OwnedItem::Comment {
                text: b"ping".to_vec(),
                end_of_line: true
            },
            event("message", "x", "")
        ]
    );
}

/// Polling loops and never recurses: 100,000 items the consumer skips, and
/// 100,000 empty chunks, on a thread with a 64 KiB stack.
#[test]
fn skipping_many_items_needs_no_stack() {
    let thread = std::thread::Builder::new().stack_size(64 << 10).spawn(|| {
        let mut body = Vec::new();
        for n in 0..100_000 {
            body.extend_from_slice(format!("id: {n}\n\n: ping\n").as_bytes());
        }
        body.extend_from_slice(b"data: last\n\n");
        let chunks = body
            .chunks(4096)
            .map(|chunk| Ok::<_, Infallible>(Bytes::copy_from_slice(chunk)))
            .chain(std::iter::repeat_n(Ok(Bytes::new()), 100_000))
            .collect::<Vec<_>>();
        let events = stream::iter(chunks).sse_events();
        let mut skipped = 0;
        let mut kept = Vec::new();
        block_on(events.for_each(|item| {
            match item.unwrap() {
                OwnedItem::Event(event) => kept.push(event.data),
                _ => skipped += 1,
            }
            async {}
        }));
        (skipped, kept)
    });
    let (skipped, kept) = thread.unwrap().join().unwrap();
    assert_eq!((skipped, kept), (100_000, vec!["last".to_owned()]));
}

/// A tokio channel as the source, fed by another task in small pieces.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_tokio_with_a_channel_as_the_source() {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let producer = tokio::spawn(async move {
        for piece in BODY.chunks(3) {
            sender.send(Ok(piece.to_vec())).await.unwrap();
            tokio::task::yield_now().await;
        }
    });
    let chunks = stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });
    let mut events = chunks.sse_events();
    let mut items = Vec::new();
    while let Some(item) = events.next().await {
        items.push(item.unwrap());
    }
    producer.await.unwrap();
    assert_eq!(items, expected());
    assert_eq!(events.end_of_body(), Some(EndOfBody::Discarded));
}

/// Any `http_body::Body`: data frames in pieces, trailers skipped, and the
/// body's error as the last item.
#[tokio::test]
async fn over_an_http_body() {
    use http_body::Frame;
    let mut frames: Vec<Result<Frame<Bytes>, std::io::Error>> = BODY
        .chunks(5)
        .map(|piece| Ok(Frame::data(Bytes::copy_from_slice(piece))))
        .collect();
    frames.insert(3, Ok(Frame::trailers(http::HeaderMap::new())));
    let body = http_body_util::StreamBody::new(stream::iter(frames));
    let items: Vec<_> = body.sse_events().map(Result::unwrap).collect().await;
    assert_eq!(items, expected());

    let frames = [
        Ok(Frame::data(Bytes::from_static(b"data: a\n\ndata: b"))),
        Err(std::io::Error::other("connection reset")),
    ];
    let body = http_body_util::StreamBody::new(stream::iter(frames));
    let items: Vec<_> = body.sse_events().collect().await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap(), &event("message", "a", ""));
    assert!(
        matches!(&items[1], Err(StreamError::Body(error)) if error.to_string() == "connection reset")
    );
}
