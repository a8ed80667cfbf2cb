//! Drives the real decoder over chunked input and collects an [`Outcome`].

use crate::{Outcome, OwnedItem};
use sse_core::{Decoder, EndOfBody, InlineBuffers, Item, Limits, Storage};

/// A decoder large enough for every test stream that is not about limits.
pub type BigDecoder = Decoder<InlineBuffers<{ 1 << 20 }, 4096, 4096>>;

/// A new [`BigDecoder`] on the heap. Built from a constant, which the
/// compiler copies straight into the allocation: `Box::new(BigDecoder::new())`
/// builds the 1 MiB value on the stack first, and in release builds a test
/// thread's 2 MiB stack did not always hold it.
pub fn big_decoder() -> Box<BigDecoder> {
    const NEW: BigDecoder = BigDecoder::new();
    Box::new(NEW)
}

/// Feeds `chunks` to `decoder` as one body, then finishes it.
pub fn run<S: Storage>(decoder: &mut Decoder<S>, chunks: &[&[u8]]) -> Outcome {
    let mut items = Vec::new();
    feed(decoder, chunks, &mut items);
    let discarded = decoder.finish() == EndOfBody::Discarded;
    Outcome {
        items,
        last_event_id: decoder.last_event_id().to_owned(),
        discarded,
    }
}

/// Feeds `chunks` to `decoder`, without ending the body, adding what it
/// reports to `items`.
pub fn feed<S: Storage>(decoder: &mut Decoder<S>, chunks: &[&[u8]], items: &mut Vec<OwnedItem>) {
    for chunk in chunks {
        let mut input: &[u8] = chunk;
        while let Some(item) = decoder.next(&mut input) {
            items.push(own(item));
        }
        assert!(
            input.is_empty(),
            "next() returned None before using its input"
        );
    }
}

/// Converts a decoder item into an owned one.
pub fn own(item: Result<Item<'_>, sse_core::DecodeError>) -> OwnedItem {
    match item {
        Ok(Item::Event(e)) => OwnedItem::Event(e.into_owned()),
        Ok(Item::Retry(r)) => OwnedItem::Retry(r),
        Ok(Item::NoData { last_event_id }) => OwnedItem::NoData(last_event_id.to_owned()),
        Ok(other) => panic!("unexpected item {other:?}"),
        Err(e) => OwnedItem::Error(e.to_string()),
    }
}

/// Decodes one body, split into `chunks`, with a fresh big decoder seeded with `initial_id`.
pub fn decode_chunks(chunks: &[&[u8]], initial_id: &str) -> Outcome {
    let mut decoder = big_decoder();
    decoder
        .set_last_event_id(initial_id)
        .expect("valid initial id");
    run(&mut decoder, chunks)
}

/// Decodes one body fed whole.
pub fn decode(body: &[u8], initial_id: &str) -> Outcome {
    decode_chunks(&[body], initial_id)
}

/// Splits `body` at the given sorted offsets.
pub fn split_at<'a>(body: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for &cut in cuts {
        let cut = cut.clamp(start, body.len());
        pieces.push(&body[start..cut]);
        start = cut;
    }
    pieces.push(&body[start..]);
    pieces
}

/// Decodes `body` with a decoder limited by `limits`.
pub fn decode_limited(chunks: &[&[u8]], limits: Limits) -> Outcome {
    let mut decoder = big_decoder();
    decoder.set_limits(limits);
    run(&mut decoder, chunks)
}

/// Decodes one body, split into `chunks`, through the `stream` feature's
/// [`EventStream`](sse_core::stream::EventStream) with `limits`, starting
/// from `initial_id`, on `futures`' executor.
pub fn decode_stream(chunks: &[&[u8]], initial_id: &str, limits: Limits) -> Outcome {
    use futures::StreamExt;
    use sse_core::stream::{EventStream, StreamError};
    let source = futures::stream::iter(chunks.iter().map(Ok::<_, std::convert::Infallible>));
    let mut events = EventStream::new(source)
        .with_limits(limits)
        .with_last_event_id(initial_id)
        .expect("valid initial id");
    let mut items = Vec::new();
    futures::executor::block_on(async {
        while let Some(item) = events.next().await {
            items.push(match item {
                Ok(sse_core::OwnedItem::Event(event)) => OwnedItem::Event(event),
                Ok(sse_core::OwnedItem::Retry(ms)) => OwnedItem::Retry(ms),
                Ok(sse_core::OwnedItem::NoData { last_event_id }) => {
                    OwnedItem::NoData(last_event_id)
                }
                Ok(other) => panic!("unexpected item {other:?}"),
                Err(StreamError::Decode(error)) => OwnedItem::Error(error.to_string()),
                Err(error) => panic!("{error:?}"),
            });
        }
    });
    Outcome {
        items,
        last_event_id: events.last_event_id().to_owned(),
        discarded: events.end_of_body() == Some(EndOfBody::Discarded),
    }
}
