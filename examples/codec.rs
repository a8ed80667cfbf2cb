//! A `tokio_util::codec::Decoder` of Server-Sent Events over sse-core: the
//! whole of what a wrapper crate adds. `main` reads one response body from
//! reqwest through `FramedRead` and prints one JSON line per item, as the
//! `decode` example does (`tail` is the client that reconnects):
//!
//! ```text
//! cargo run --release -p sse-core-examples --example codec -- URL
//! ```

use std::io::{self, Write};
use std::pin::pin;

use clap::Parser;
use futures_util::StreamExt;
use serde_json::json;
use sse_core::{DecodeError, Decoder, HeapBuffers, Item, Limits, OwnedItem};
use tokio_util::bytes::{Buf, BytesMut};
use tokio_util::codec::FramedRead;
use tokio_util::io::StreamReader;

/// Owned items from bytes. A limit error is an item, not the codec's error:
/// the decoder goes on with the next event, and `FramedRead` would end its
/// stream after an error (with what follows left unread in its buffer).
pub(crate) struct SseCodec {
    decoder: Decoder<HeapBuffers>,
}

impl SseCodec {
    /// A codec whose buffers grow as events need, up to `limits`.
    pub(crate) fn new(limits: Limits) -> Self {
        let decoder = Decoder::with_storage(HeapBuffers::new(limits));
        Self { decoder }
    }
}

impl tokio_util::codec::Decoder for SseCodec {
    type Item = Result<OwnedItem, DecodeError>;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<Self::Item>> {
        let mut input = &src[..];
        // The item borrows the decoder and `src`: own it before `src` moves on.
        let item = self
            .decoder
            .next(&mut input)
            .map(|item| item.map(Item::into_owned));
        // Drop only what was used: the rest is the next item's. After `None`
        // all of it was (an incomplete line is kept in the decoder).
        let used = src.len() - input.len();
        src.advance(used);
        Ok(item)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> io::Result<Option<Self::Item>> {
        let item = self.decode(src)?;
        if item.is_none() {
            // The body ended: an incomplete event is discarded (R34) and the
            // next body starts afresh (R35).
            let _ = self.decoder.finish();
        }
        Ok(item)
    }
}

/// Prints the items of a Server-Sent Events stream as JSON lines.
#[derive(Parser)]
struct Args {
    /// The stream's address (`http://` or `https://`).
    url: String,
    /// The longest event data kept, in bytes; a longer event is an error line.
    #[arg(long, default_value_t = 64 << 20)]
    max_data: usize,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Args { url, max_data } = Args::parse();
    if let Err(error) = print_items(&url, max_data, &mut io::stdout().lock()).await {
        eprintln!("codec: {error}");
        std::process::exit(1);
    }
}

/// GETs `url` and writes a JSON line per item of its body to `out`.
pub(crate) async fn print_items(
    url: &str,
    max_data: usize,
    out: &mut impl Write,
) -> Result<(), Box<dyn std::error::Error>> {
    // rustls with ring: no C library to install.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let request = reqwest::Client::new()
        .get(url)
        .header("accept", "text/event-stream");
    let response = request.send().await?.error_for_status()?;
    // The body as an `AsyncRead` (`bytes_stream` needs a reqwest feature).
    let chunks = futures_util::stream::unfold(response, |mut response| async move {
        let chunk = response
            .chunk()
            .await
            .map_err(io::Error::other)
            .transpose()?;
        Some((chunk, response))
    });
    let limits = Limits::new()
        .max_data(max_data)
        .max_event_type(4096)
        .max_id(4096);
    let mut items = pin!(FramedRead::new(
        StreamReader::new(chunks),
        SseCodec::new(limits)
    ));
    while let Some(item) = items.next().await {
        let line = match item? {
            Ok(OwnedItem::Event(event)) => json!({
                "type": event.event_type, "data": event.data, "last_event_id": event.last_event_id,
            }),
            Ok(OwnedItem::Retry(ms)) => json!({ "retry": ms }),
            Ok(_) => continue, // an id-only block; comments are not reported
            Err(error) => json!({ "error": error.to_string() }),
        };
        writeln!(out, "{line}")?;
    }
    Ok(())
}
