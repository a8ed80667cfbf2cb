//! Programs built on sse-core, each a cargo example of this package:
//!
//! - `chat`: an AI-style chat server on axum + tokio whose answers stream
//!   token by token, with resumption, heartbeats and Redis Streams;
//! - `tail`: an `EventSource` on the command line, on reqwest;
//! - `codec`: the smallest client, one reqwest body through `sse_events()`;
//! - `decode` and `encode`: std-only filters between a stream and JSON Lines.
//!
//! `cargo run --release -p sse-core-examples --example chat` starts the chat.

/// Percent-encodes everything but unreserved characters (RFC 3986), for a
/// value in a URL's query: what `chat` prints in its links and its tests send.
///
/// ```
/// assert_eq!(sse_core_examples::percent_encode("a b/é"), "a%20b%2F%C3%A9");
/// ```
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An error and its causes, on one line: what `tail` and `chat` print and
/// send when a request fails.
///
/// ```
/// let error = std::io::Error::other("connection refused");
/// assert_eq!(sse_core_examples::error_chain(&error), "connection refused");
/// ```
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
