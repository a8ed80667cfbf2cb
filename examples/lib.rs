//! Programs built on sse-core, each a cargo example of this package:
//!
//! - `chat`: an AI-style chat server on axum + tokio whose answers stream
//!   token by token, with resumption, heartbeats and Redis Streams;
//! - `tail`: an `EventSource` on the command line, on reqwest;
//! - `codec`: the smallest client, one reqwest body through `sse_events()`;
//! - `decode` and `encode`: std-only filters between a stream and JSON Lines.
//!
//! `cargo run --release -p sse-core-examples --example chat` starts the chat.
