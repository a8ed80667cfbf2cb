//! The client adapter's memory, counted by a global allocator: a line of
//! 1 GiB streams through in memory bounded by the limits, and a stream
//! dropped in the middle of an event frees everything it had.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::convert::Infallible;

use futures::executor::block_on;
use futures::stream::{self, StreamExt};
use sse_core::stream::{DEFAULT_LIMITS, SseStreamExt, StreamError};
use sse_core::{DecodeError, EndOfBody, OwnedItem};

struct Counting;

thread_local! {
    /// Bytes allocated on this thread and not yet freed, and the most
    /// there were at once.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn add(bytes: isize) {
    // `try_with`: the thread's locals may be gone while it exits.
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + bytes);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
}

// SAFETY: forwards to the system allocator and only counts bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as isize));
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as isize - layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.with(Cell::get)
}

/// Starts counting the peak from what is live now.
fn reset_peak() -> isize {
    let now = live();
    PEAK.with(|peak| peak.set(now));
    now
}

fn peak() -> isize {
    PEAK.with(Cell::get)
}

const GIB: usize = 1 << 30;
const PIECE: &[u8] = &[b'x'; 64 << 10];

/// `head`, then 1 GiB of `x` in 64 KiB chunks (all the same static bytes),
/// then `tail`.
fn one_gib_line(
    head: &'static [u8],
    tail: &'static [u8],
) -> impl futures::Stream<Item = Result<&'static [u8], Infallible>> {
    stream::iter(std::iter::once(head))
        .chain(stream::iter(std::iter::repeat_n(PIECE, GIB / PIECE.len())))
        .chain(stream::iter(std::iter::once(tail)))
        .map(Ok)
}

#[test]
fn a_one_gib_data_line_costs_no_more_than_the_data_limit() {
    let before = reset_peak();
    let items: Vec<_> = block_on(
        one_gib_line(b"data: ", b"\n\ndata: after\n\n")
            .sse_events()
            .collect(),
    );
    let limit = DEFAULT_LIMITS.data();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0],
        Err(StreamError::Decode(DecodeError::DataTooLong { limit }))
    );
    assert_eq!(items[1].as_ref().unwrap().event().unwrap().data, "after");
    let used = peak() - before;
    eprintln!("peak heap for a 1 GiB data line: {used} bytes (data limit {limit})");
    assert!(
        used <= (limit + (64 << 10)) as isize,
        "peak heap {used} bytes"
    );
}

#[test]
fn a_one_gib_comment_or_unknown_field_costs_almost_nothing() {
    for head in [&b": "[..], b"unknown: ", b"event"] {
        let before = reset_peak();
        let mut events = one_gib_line(head, b"\ndata: after\n\n").sse_events();
        let items: Vec<_> = block_on((&mut events).collect());
        let used = peak() - before;
        let head = String::from_utf8_lossy(head);
        eprintln!("peak heap for a 1 GiB line after {head:?}: {used} bytes");
        if head == "event" {
            // A 1 GiB field name is no known name: the line is ignored.
            assert_eq!(items.len(), 1, "{head}");
        }
        let data = &items
            .last()
            .unwrap()
            .as_ref()
            .unwrap()
            .event()
            .unwrap()
            .data;
        assert_eq!(data, "after", "{head}");
        assert!(used < 4096, "peak heap {used} bytes after {head:?}");
    }
}

#[test]
fn dropping_a_stream_mid_event_frees_everything() {
    let before = live();
    {
        // 100 KB of an event's data in pieces, then a source that waits
        // forever (a client that went quiet).
        let pieces = std::iter::once(b"id: 1\nevent: e\ndata: ".to_vec())
            .chain(std::iter::repeat_n(vec![b'y'; 1000], 100))
            .chain(std::iter::once(b"\ndata: ".to_vec()))
            .map(Ok::<_, Infallible>);
        let source = stream::iter(pieces).chain(stream::pending());
        let mut events = source.sse_events();
        let waker = std::task::Waker::noop();
        let polled = events.poll_next_unpin(&mut std::task::Context::from_waker(waker));
        assert!(polled.is_pending());
        assert!(live() - before > 100_000, "the event's data is held");
    }
    assert_eq!(live(), before, "bytes still allocated after the drop");
}

#[test]
fn the_buffers_stop_growing_once_grown() {
    // After the first events (the id buffers take turns, so each grows
    // once), decoding more of the same keeps only the owned items handed out.
    let body: Vec<u8> = b"id: 7\nevent: token\ndata: a\ndata: b\n\n".repeat(1000);
    let chunks: Vec<_> = body.chunks(10).map(Ok::<_, Infallible>).collect();
    let mut events = stream::iter(chunks).sse_events();
    let first: Vec<_> = block_on((&mut events).take(10).collect());
    let before = live();
    let mut held = live();
    while let Some(item) = block_on(events.next()) {
        let OwnedItem::Event(event) = item.unwrap() else {
            panic!("not an event")
        };
        assert_eq!(
            (event.data.as_str(), event.last_event_id.as_str()),
            ("a\nb", "7")
        );
        held = held.max(live());
        drop(event);
        assert_eq!(live(), before, "the stream grew while decoding");
    }
    assert!(held - before < 64, "more than the item was held");
    assert_eq!(events.end_of_body(), Some(EndOfBody::Clean));
    drop(first);
}
