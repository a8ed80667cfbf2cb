//! Decoding allocates nothing: a counting global allocator proves it. With
//! [`HeapBuffers`], the buffers allocate a few times as they grow, never more
//! than their limits, and not at all once grown.

use sse_core::{Decoder, HeapBuffers, InlineBuffers, Item, Limits, Storage};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    /// The largest size asked for.
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn count(size: usize) {
    ALLOCATIONS.with(|c| c.set(c.get() + 1));
    LARGEST.with(|c| c.set(c.get().max(size)));
}

// SAFETY: forwards to the system allocator and only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

/// A large stream mixing every feature: all vectors' bodies, long lines,
/// invalid UTF-8, CR/LF/CRLF, comments, retry and ids, over and over.
fn mixed_stream() -> Vec<u8> {
    let mut body = Vec::new();
    for v in sse_core_tests::vectors::all() {
        body.extend_from_slice(&v.bytes());
        body.extend_from_slice(b"\n\n");
    }
    body.extend_from_slice(b"event: big\ndata: ");
    body.extend(std::iter::repeat_n(b'q', 3000));
    body.extend_from_slice(b"\r\n\r\n");
    let one = body.clone();
    for _ in 0..40 {
        body.extend_from_slice(&one);
    }
    body
}

/// Decodes `body` in pieces of each size; counts events, `retry` and no-data
/// items, comments, and errors.
fn decode_in_pieces<S: Storage>(
    decoder: &mut Decoder<S>,
    body: &[u8],
    pieces: &[usize],
) -> [usize; 4] {
    let mut counts = [0usize; 4];
    for &piece in pieces {
        for chunk in body.chunks(piece) {
            let mut input = chunk;
            while let Some(item) = decoder.next(&mut input) {
                let slot = match item {
                    Ok(Item::Event(e)) => {
                        std::hint::black_box((e.data(), e.event_type(), e.last_event_id()));
                        0
                    }
                    Ok(Item::Retry(_) | Item::NoData { .. }) => 1,
                    Ok(_) => 2,
                    Err(_) => 3,
                };
                counts[slot] += 1;
            }
        }
        let _ = decoder.finish();
    }
    counts
}

#[test]
fn decoding_a_large_mixed_stream_allocates_nothing() {
    let body = mixed_stream();
    let mut decoder = Box::new(Decoder::<InlineBuffers<2048, 64, 64>>::new().with_comments(true));
    let before = allocations();
    let counts = decode_in_pieces(&mut decoder, &body, &[1, 7, 64, 4096, body.len()]);
    let after = allocations();
    assert_eq!(after - before, 0, "decoding allocated");
    assert!(
        counts[0] > 1000 && counts[1] > 100 && counts[2] > 100,
        "{counts:?}"
    );
    assert!(
        counts[3] > 0,
        "the 3000-byte event should hit the 2048 limit"
    );
}

#[test]
fn heap_buffers_grow_a_few_times_up_to_their_limits_then_allocate_nothing() {
    let body = mixed_stream();
    let limits = Limits::new().max_data(2048).max_event_type(64).max_id(64);
    let mut decoder = Decoder::with_storage(HeapBuffers::new(limits)).with_comments(true);
    let before = allocations();
    LARGEST.with(|c| c.set(0));
    let counts = decode_in_pieces(&mut decoder, &body, &[1, 7, 64, 4096, body.len()]);
    let (grown, largest) = (allocations() - before, LARGEST.with(Cell::get));
    // Five buffers, each doubling from 64 bytes: 64, 128, ..., 1024, 2048
    // for data (6), 64 for the others.
    assert!(grown <= 6 + 4, "{grown} allocations");
    assert_eq!(
        largest, 2048,
        "the data buffer grew to its limit and no further"
    );
    assert!(
        counts[3] > 0,
        "the 3000-byte event should hit the 2048 limit"
    );

    let before = allocations();
    let again = decode_in_pieces(&mut decoder, &body, &[1, 7, 64, 4096, body.len()]);
    assert_eq!(allocations() - before, 0, "grown buffers allocated again");
    assert_eq!(again, counts);
}

#[test]
fn encoding_allocates_nothing() {
    use sse_core::{EventWriter, Message, encode, encode_comment, encoded_len};
    let texts = [
        "",
        "plain",
        "lines\nand\r\nbreaks\r",
        " leading space, 中文, 😀",
        "data: looks like a field\n\nid: 9",
    ];
    let mut buf = vec![0u8; 64 * 1024];
    let mut small = [0u8; 8];
    let mut ring: heapless::Vec<u8, 4096> = heapless::Vec::new();
    let mut total = 0;
    let before = allocations();
    for round in 0..200u64 {
        for text in texts {
            let message = Message::new()
                .event_type("token")
                .id("42")
                .retry(round)
                .data(text);
            total += encoded_len(&message).unwrap();
            total += encode(&message, &mut buf).unwrap();
            assert!(encode(&message, &mut small).is_err());
            assert!(encode(&Message::new().id("a\nb"), &mut buf).is_err());
            let mut sink: &mut [u8] = &mut buf;
            total += encode_comment(text, &mut sink).unwrap();
            ring.clear();
            let mut writer =
                EventWriter::begin(&Message::new().event_type("blob"), &mut ring).unwrap();
            for piece in text.split_inclusive(['\n', '\r']) {
                total += writer.write(piece, &mut ring).unwrap();
            }
            total += writer.finish(&mut ring).unwrap();
        }
    }
    let after = allocations();
    assert_eq!(after - before, 0, "encoding allocated");
    assert!(total > 10_000);
}
