//! Decodes a `text/event-stream` body from a file or stdin and prints one JSON
//! object per line, in stream order:
//!
//! - `{"type":T,"data":D,"last_event_id":L}` for each dispatched event;
//! - `{"retry":N}` for each valid `retry` field;
//! - `{"error":"..."}` for each limit error (decoding goes on).
//!
//! ```text
//! cargo run --release -p sse-core-examples --example decode -- [--chunk N] [--max-data N] [FILE]
//! curl -N https://host/stream | cargo run --release -p sse-core-examples --example decode
//! ```
//!
//! The input is read incrementally and fed to the decoder in pieces of at most
//! `--chunk` bytes (default 65536), so it works on a live pipe.

use sse_core::{Decoder, Item, Limits, SliceBuffers};
use std::io::{Read, Write};

fn main() {
    if let Err(message) = run() {
        eprintln!("decode: {message}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut chunk = 65536usize;
    let mut max_data = 1 << 20;
    let mut file = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--chunk" => chunk = number(args.next(), "--chunk")?,
            "--max-data" => max_data = number(args.next(), "--max-data")?,
            "-h" | "--help" => {
                println!("usage: decode [--chunk N] [--max-data N] [FILE]");
                return Ok(());
            }
            _ if file.is_none() => file = Some(arg),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    if chunk == 0 {
        return Err("--chunk must be at least 1".into());
    }
    let mut reader: Box<dyn Read> = match &file {
        Some(path) if path != "-" => {
            Box::new(std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?)
        }
        _ => Box::new(std::io::stdin().lock()),
    };

    let limits = Limits::new()
        .max_event_type(4096)
        .max_id(4096)
        .max_data(max_data);
    let mut memory = vec![0u8; 4096 * 4 + max_data];
    let buffers = SliceBuffers::new(&mut memory, limits).map_err(|e| e.to_string())?;
    let mut decoder = Decoder::with_storage(buffers);

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut buf = vec![0u8; chunk];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("read: {e}")),
        };
        let mut input = &buf[..n];
        while let Some(item) = decoder.next(&mut input) {
            let written = match item {
                Ok(Item::Event(event)) => writeln!(
                    out,
                    r#"{{"type":{},"data":{},"last_event_id":{}}}"#,
                    json(event.event_type()),
                    json(event.data()),
                    json(event.last_event_id()),
                ),
                Ok(Item::Retry(ms)) => writeln!(out, r#"{{"retry":{ms}}}"#),
                Ok(_) => continue,
                Err(error) => writeln!(out, r#"{{"error":{}}}"#, json(&error.to_string())),
            };
            if !written_ok(written)? {
                return Ok(());
            }
        }
        // Show what this piece produced at once (a live stream must not wait).
        if !written_ok(out.flush())? {
            return Ok(());
        }
    }
    let _ = decoder.finish();
    written_ok(out.flush()).map(drop)
}

/// A JSON string literal.
fn json(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// `Ok(false)` when the reader of our output has gone away (`| head`).
fn written_ok(result: std::io::Result<()>) -> Result<bool, String> {
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(format!("write: {e}")),
    }
}

fn number(value: Option<String>, flag: &str) -> Result<usize, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a number"))?;
    value
        .parse()
        .map_err(|_| format!("{flag}: {value:?} is not a number"))
}
