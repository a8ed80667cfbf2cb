//! Encodes JSON Lines from stdin into a `text/event-stream` on stdout.
//!
//! Each input line is one object, all keys optional:
//!
//! - `{"data":"...","type":"...","id":"...","retry":1000}`: an event;
//! - `{"comment":"..."}`: a comment (a keep-alive).
//!
//! Output is flushed after each event, so this works in a live pipe:
//!
//! ```text
//! printf '%s\n' '{"type":"token","data":"Hi"}' '{"comment":"ping"}' \
//!   | cargo run --release -p sse-core-examples --example encode
//! ```
//!
//! A line that is not such an object, or whose event cannot be encoded (a line
//! break in the type or id, a NUL in the id), gets a message on stderr naming
//! the line, and the rest still encodes. The exit status is 1 when any line
//! was rejected.

use serde_json::Value;
use sse_core::{Message, comment_len, encode, encode_comment, encoded_len};
use std::io::{BufRead, Write};

fn main() {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut buf: Vec<u8> = Vec::new();
    let mut rejected = 0;
    for (index, line) in stdin.lock().lines().enumerate() {
        let number = index + 1;
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                eprintln!("encode: line {number}: cannot read: {e}");
                rejected += 1;
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        buf.clear();
        if let Err(message) = encode_line(&line, &mut buf) {
            eprintln!("encode: line {number}: {message}");
            rejected += 1;
            continue;
        }
        if out.write_all(&buf).and_then(|()| out.flush()).is_err() {
            // The reader went away (`| head`): nothing more to do.
            return;
        }
    }
    if rejected > 0 {
        std::process::exit(1);
    }
}

/// Encodes one JSON line into `buf`, or says what is wrong with it.
fn encode_line(line: &str, buf: &mut Vec<u8>) -> Result<(), String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(object) = value else {
        return Err("not a JSON object".into());
    };
    let text = |key: &str| -> Result<Option<&str>, String> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(format!("\"{key}\" must be a string, not {other}")),
        }
    };
    for key in object.keys() {
        if !matches!(key.as_str(), "data" | "type" | "id" | "retry" | "comment") {
            return Err(format!("unknown key \"{key}\""));
        }
    }
    if let Some(comment) = text("comment")? {
        if object.len() > 1 {
            return Err("a comment line cannot have other keys".into());
        }
        buf.resize(comment_len(comment), 0);
        encode_comment(comment, &mut buf.as_mut_slice()).map_err(|e| e.to_string())?;
        return Ok(());
    }
    let mut message = Message::new();
    if let Some(data) = text("data")? {
        message = message.data(data);
    }
    if let Some(event_type) = text("type")? {
        message = message.event_type(event_type);
    }
    if let Some(id) = text("id")? {
        message = message.id(id);
    }
    match object.get("retry") {
        None | Some(Value::Null) => {}
        Some(retry) => {
            let ms = retry.as_u64().ok_or_else(|| {
                format!("\"retry\" must be a whole number of milliseconds, not {retry}")
            })?;
            message = message.retry(ms);
        }
    }
    // Exact size first, then one write that cannot come up short.
    buf.resize(encoded_len(&message).map_err(|e| e.to_string())?, 0);
    encode(&message, buf).map_err(|e| e.to_string())?;
    Ok(())
}
