//! The smallest client: one response body from reqwest, decoded by
//! sse-core's stream adapter (`bytes_stream().sse_events()`), one JSON line
//! per item as the `decode` example prints; no reconnection (`tail` has it).
//!
//! ```text
//! cargo run --release -p sse-core-examples --example codec -- [--max-data BYTES] URL
//! ```

use futures_util::StreamExt;
use serde_json::json;
use sse_core::{Limits, OwnedItem, stream::SseStreamExt};

/// GETs `url` and writes a JSON line per item of its body to `out`; events
/// over `max_data` bytes are `{"error"}` lines.
pub(crate) async fn print_items(
    url: &str,
    max_data: usize,
    out: &mut impl std::io::Write,
) -> Result<(), Box<dyn std::error::Error>> {
    let _ = rustls::crypto::ring::default_provider().install_default(); // no C library to install
    let response = reqwest::Client::new()
        .get(url)
        .header("accept", "text/event-stream")
        .send()
        .await?
        .error_for_status()?;
    let limits = Limits::new()
        .max_data(max_data)
        .max_event_type(4096)
        .max_id(4096);
    let mut items = response.bytes_stream().sse_events().with_limits(limits);
    while let Some(item) = items.next().await {
        let line = match item {
            Ok(OwnedItem::Event(e)) => {
                json!({"type": e.event_type, "data": e.data, "last_event_id": e.last_event_id})
            }
            Ok(OwnedItem::Retry(ms)) => json!({ "retry": ms }),
            Ok(_) => continue, // an id-only block; comments are not reported
            Err(error) if error.decode().is_some() => json!({ "error": error.to_string() }),
            Err(error) => return Err(error.into()), // the body failed
        };
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Prints the items of one Server-Sent Events response as JSON lines.
#[derive(clap::Parser)]
struct Args {
    /// The stream's address (`http://` or `https://`).
    url: String,
    /// The longest event data kept, in bytes; a longer event is an error line.
    #[arg(long, default_value_t = 64 << 20)]
    max_data: usize,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Args { url, max_data } = clap::Parser::parse();
    if let Err(error) = print_items(&url, max_data, &mut std::io::stdout().lock()).await {
        eprintln!("codec: {error}");
        std::process::exit(1);
    }
}
