//! Every encoder under test, used the way its users use it.
//!
//! Each one turns a list of [`Shape`]s into `text/event-stream` bytes and hands
//! every encoded event to `out`. Ours writes into a caller's buffer; the peers
//! return a fresh `Bytes` per event (that is their API).

use std::convert::Infallible;
use std::sync::Arc;

use futures::StreamExt;

use crate::workloads::Shape;

/// `sse_core::encode` into `buf`, one event at a time (`buf` must hold the
/// largest event).
pub fn ours(shapes: &[Shape], buf: &mut [u8], mut out: impl FnMut(&[u8])) {
    for shape in shapes {
        let mut message = sse_core::Message::new().data(&shape.data);
        if let Some(event_type) = &shape.event_type {
            message = message.event_type(event_type);
        }
        if let Some(id) = &shape.id {
            message = message.id(id);
        }
        let n = sse_core::encode(&message, buf).expect("sse-core encode");
        out(&buf[..n]);
    }
}

/// The size of the buffer [`ours`] needs for `shapes`.
pub fn ours_buffer_len(shapes: &[Shape]) -> usize {
    shapes
        .iter()
        .map(|shape| {
            let mut message = sse_core::Message::new().data(&shape.data);
            if let Some(event_type) = &shape.event_type {
                message = message.event_type(event_type);
            }
            if let Some(id) = &shape.id {
                message = message.id(id);
            }
            sse_core::encoded_len(&message).expect("valid event")
        })
        .max()
        .unwrap_or(0)
}

/// `axum::response::sse`: an `Sse` response over a stream of `Event`s, its
/// body polled frame by frame, as axum serves it. (The `Event` builder
/// encodes as it goes; its `finalize` is private, so the body is the cheapest
/// public way to get the bytes.)
pub fn axum(shapes: &Arc<[Shape]>, mut out: impl FnMut(&[u8])) {
    use axum::response::IntoResponse;
    use axum::response::sse::{Event, Sse};
    let shapes = Arc::clone(shapes);
    let events = futures::stream::iter(0..shapes.len()).map(move |i| {
        let shape = &shapes[i];
        let mut event = Event::default();
        if let Some(event_type) = &shape.event_type {
            event = event.event(event_type);
        }
        if let Some(id) = &shape.id {
            event = event.id(id);
        }
        Ok::<_, Infallible>(event.data(&shape.data))
    });
    let mut body = Sse::new(events)
        .into_response()
        .into_body()
        .into_data_stream();
    futures::executor::block_on(async {
        while let Some(frame) = body.next().await {
            out(&frame.expect("axum body"));
        }
    });
}

/// The owned events `sse-stream`'s encoder takes (made outside the timed loop,
/// as if the application had built them anyway).
pub fn sse_stream_events(shapes: &[Shape]) -> Vec<sse_stream::Sse> {
    shapes
        .iter()
        .map(|shape| sse_stream::Sse {
            event: shape.event_type.clone(),
            data: Some(shape.data.clone()),
            id: shape.id.clone(),
            retry: None,
        })
        .collect()
}

/// `sse_stream::Sse::encode`, one `Bytes` per event.
pub fn sse_stream(events: Vec<sse_stream::Sse>, mut out: impl FnMut(&[u8])) {
    for event in events {
        out(&event.encode().expect("sse-stream encode"));
    }
}

/// Baseline: copy each event's data into `buf`.
pub fn memcpy(shapes: &[Shape], buf: &mut [u8], mut out: impl FnMut(&[u8])) {
    for shape in shapes {
        let data = shape.data.as_bytes();
        buf[..data.len()].copy_from_slice(data);
        out(&buf[..data.len()]);
    }
}

/// What `bytes` decodes to (with our decoder, in 4096-byte pieces): to check
/// an encoder's output.
pub fn decoded(bytes: &[u8]) -> crate::Summary {
    use crate::Contender;
    let mut summary = crate::Summary::new();
    crate::contenders::Ours::new().run(&crate::Input::new(bytes.to_vec(), 4096), &mut summary);
    summary
}
