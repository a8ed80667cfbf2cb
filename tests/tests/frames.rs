//! The server adapter (feature `stream`): `FrameStream`, encoded frames from
//! a stream of messages, with `retry` first and keep-alive comments on a
//! timer the caller passes; and (feature `http-body`) the same as an
//! `http_body::Body`. Under `futures`' executor, by hand with a fake timer,
//! and under tokio with its own (paused) clock.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use futures::executor::block_on;
use futures::stream::{self, StreamExt};
use futures_core::Stream;
use sse_core::stream::{Frame, FrameStream};
use sse_core::{EncodeError, KEEP_ALIVE, Message, OwnedMessage};

fn poll<S: Stream + Unpin>(stream: &mut S) -> Poll<Option<S::Item>> {
    Pin::new(stream).poll_next(&mut Context::from_waker(Waker::noop()))
}

fn frame(bytes: &'static [u8]) -> Poll<Option<Result<Bytes, EncodeError>>> {
    Poll::Ready(Some(Ok(Bytes::from_static(bytes))))
}

#[test]
fn messages_become_exact_frames_and_bad_ones_typed_errors() {
    let replayed = Bytes::from_static(b"id: 1\ndata: replayed\n\n");
    let messages = stream::iter([
        Frame::Encoded(replayed.clone()),
        Frame::from(
            OwnedMessage::new()
                .event_type("token")
                .id("2")
                .data("a\r\nb"),
        ),
        Frame::from(Message::new().event_type("x\ny").data("forged")),
        Frame::from(OwnedMessage::new().id("3\0").data("x")),
        Frame::Comment("two\nlines".into()),
        Frame::from(OwnedMessage::new().data("")),
    ]);
    let frames: Vec<_> = block_on(FrameStream::new(messages).retry(1500).collect());
    assert_eq!(
        frames,
        [
            Ok(Bytes::from_static(b"retry: 1500\n\n")),
            Ok(replayed),
            Ok(Bytes::from_static(
                b"event: token\nid: 2\ndata: a\ndata: b\n\n"
            )),
            Err(EncodeError::EventTypeHasLineBreak),
            Err(EncodeError::IdContainsNul),
            Ok(Bytes::from_static(b": two\n: lines\n")),
            Ok(Bytes::from_static(b"data:\n\n")),
        ]
    );
    // What a client decodes from the frames that went out.
    let body: Vec<u8> = frames.into_iter().flatten().flatten().collect();
    let outcome = sse_core_tests::drive::decode(&body, "");
    let data: Vec<_> = outcome.events().into_iter().map(|e| e.data).collect();
    assert_eq!(data, ["replayed", "a\nb", ""]);
}

/// A fake timer: every sleep it makes is one entry, due once fired.
#[derive(Clone, Default)]
struct FakeTimer {
    fired: Rc<RefCell<Vec<bool>>>,
}

struct FakeSleep {
    timer: FakeTimer,
    index: usize,
}

impl Future for FakeSleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.timer.fired.borrow()[self.index] {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl FakeTimer {
    fn sleep(&self, interval: Duration) -> FakeSleep {
        assert_eq!(interval, Duration::from_secs(15));
        let mut fired = self.fired.borrow_mut();
        fired.push(false);
        FakeSleep {
            timer: self.clone(),
            index: fired.len() - 1,
        }
    }
    fn armed(&self) -> usize {
        self.fired.borrow().len()
    }
    fn fire(&self, index: usize) {
        self.fired.borrow_mut()[index] = true;
    }
}

#[test]
fn heartbeats_only_when_idle_with_the_timer_rearmed_after_every_frame() {
    let timer = FakeTimer::default();
    let (sender, receiver) = futures::channel::mpsc::unbounded::<OwnedMessage>();
    let sleep = {
        let timer = timer.clone();
        move |interval| timer.sleep(interval)
    };
    let mut frames = FrameStream::new(receiver).keep_alive(Duration::from_secs(15), sleep);

    // Idle: the timer is armed once, and polling again does not re-arm it.
    assert_eq!(poll(&mut frames), Poll::Pending);
    assert_eq!(poll(&mut frames), Poll::Pending);
    assert_eq!(timer.armed(), 1);
    // Due: a heartbeat, and a new timer from then.
    timer.fire(0);
    assert_eq!(poll(&mut frames), frame(KEEP_ALIVE));
    assert_eq!(poll(&mut frames), Poll::Pending);
    assert_eq!(timer.armed(), 2);
    // A message re-arms the timer too: the one armed before it no longer
    // counts, even when it fires.
    sender
        .unbounded_send(OwnedMessage::new().data("a"))
        .unwrap();
    assert_eq!(poll(&mut frames), frame(b"data: a\n\n"));
    assert_eq!(poll(&mut frames), Poll::Pending);
    assert_eq!(timer.armed(), 3);
    timer.fire(1);
    assert_eq!(poll(&mut frames), Poll::Pending);
    // Not idle: with messages waiting, a due timer sends no heartbeat.
    timer.fire(2);
    sender
        .unbounded_send(OwnedMessage::new().data("b"))
        .unwrap();
    sender
        .unbounded_send(OwnedMessage::new().data("c"))
        .unwrap();
    assert_eq!(poll(&mut frames), frame(b"data: b\n\n"));
    assert_eq!(poll(&mut frames), frame(b"data: c\n\n"));
    // The end of the messages ends the stream, timer or not.
    drop(sender);
    assert_eq!(poll(&mut frames), Poll::Ready(None));
    assert_eq!(poll(&mut frames), Poll::Ready(None));
}

#[test]
fn nothing_is_read_ahead_of_the_consumer() {
    let read = Arc::new(AtomicUsize::new(0));
    let messages = {
        let read = Arc::clone(&read);
        stream::iter(0..100).map(move |n| {
            read.fetch_add(1, Ordering::SeqCst);
            OwnedMessage::new().id(n.to_string()).data("x")
        })
    };
    let mut frames = FrameStream::new(messages).retry(10);
    assert_eq!(block_on(frames.next()).unwrap().unwrap(), "retry: 10\n\n");
    assert_eq!(read.load(Ordering::SeqCst), 0);
    for _ in 0..3 {
        block_on(frames.next()).unwrap().unwrap();
    }
    assert_eq!(read.load(Ordering::SeqCst), 3);
}

/// Under tokio, with `tokio::time::sleep` as the timer on a paused clock: a
/// message, 40 s of silence (heartbeats at 15 s and 30 s), a message at
/// 40 s, then silence again until the next heartbeat at 55 s.
#[tokio::test(start_paused = true)]
async fn under_tokio_with_its_sleep() {
    let (sender, receiver) = tokio::sync::mpsc::channel::<OwnedMessage>(1);
    let messages = stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|message| (message, receiver))
    });
    let start = tokio::time::Instant::now();
    tokio::spawn(async move {
        sender
            .send(OwnedMessage::new().data("first"))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(40)).await;
        sender
            .send(OwnedMessage::new().data("second"))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(3600)).await;
    });
    let mut frames =
        FrameStream::new(messages).keep_alive(Duration::from_secs(15), tokio::time::sleep);
    let mut seen = Vec::new();
    for _ in 0..5 {
        let frame = frames.next().await.unwrap().unwrap();
        seen.push((start.elapsed().as_secs(), frame));
    }
    assert_eq!(
        seen,
        [
            (0, Bytes::from_static(b"data: first\n\n")),
            (15, Bytes::from_static(KEEP_ALIVE)),
            (30, Bytes::from_static(KEEP_ALIVE)),
            (40, Bytes::from_static(b"data: second\n\n")),
            (55, Bytes::from_static(KEEP_ALIVE)),
        ]
    );
}

/// The same frames as an `http_body::Body`, collected by `http-body-util`.
#[tokio::test]
async fn as_an_http_body() {
    use http_body::Body as _;
    use http_body_util::BodyExt;
    let messages = stream::iter([
        OwnedMessage::new().id("1").data("a"),
        OwnedMessage::new().data("b"),
    ]);
    let body = FrameStream::new(messages).retry(100);
    assert!(!body.is_end_stream());
    let bytes = BodyExt::collect(body).await.unwrap().to_bytes();
    assert_eq!(bytes, "retry: 100\n\nid: 1\ndata: a\n\ndata: b\n\n");

    // An encoding error is the body's error.
    let messages = stream::iter([OwnedMessage::new().id("a\nb")]);
    let error = BodyExt::collect(FrameStream::new(messages))
        .await
        .unwrap_err();
    assert_eq!(error, EncodeError::IdHasLineBreak);
}
