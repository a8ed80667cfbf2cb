//! `tail URL`: follows a Server-Sent Events stream like a browser's
//! `EventSource`, over plain HTTP/1.1 on std::net, driven by
//! [`sse_core::client::Client`].
//!
//! Events go to stdout as JSON Lines, in the same format as the `decode`
//! example; ready-state changes and reconnection delays go to stderr. It
//! follows `retry`, sends `Last-Event-ID` on reconnection, stops for good on
//! a non-200 status (204 included) or a wrong content type, and reconnects
//! after the body ends or the connection drops.
//!
//! ```text
//! cargo run --release -p sse-core --example tail -- [--exit-on TYPE] [--max-events N] http://127.0.0.1:8080/stream
//! ```
//!
//! `--exit-on TYPE` stops after the first event of that type; `--max-events N`
//! after N events. Only `http://` URLs (no TLS); bodies may be chunked or not.

use sse_core::client::{Client, Output, ReadyState, Reconnect};
use sse_core::{Decoder, Instant, Item, Limits, SliceBuffers};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

struct Url {
    host: String,
    port: u16,
    path: String,
}

fn parse_url(url: &str) -> Result<Url, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only http:// URLs are supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().map_err(|_| format!("{url}: bad port"))?),
        None => (authority, 80),
    };
    if host.is_empty() {
        return Err(format!("{url}: no host"));
    }
    Ok(Url {
        host: host.to_string(),
        port,
        path: path.to_string(),
    })
}

/// Milliseconds since the program started: the client's clock.
struct Clock(std::time::Instant);

impl Clock {
    fn now(&self) -> Instant {
        Instant::from_millis(u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX))
    }
}

fn main() {
    if let Err(message) = run() {
        eprintln!("tail: {message}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut exit_on = None;
    let mut max_events = u64::MAX;
    let mut url = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--exit-on" => exit_on = Some(args.next().ok_or("--exit-on needs an event type")?),
            "--max-events" => {
                max_events = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--max-events needs a number")?;
            }
            "-h" | "--help" => {
                println!("usage: tail [--exit-on TYPE] [--max-events N] http://HOST[:PORT]/PATH");
                return Ok(());
            }
            _ if url.is_none() => url = Some(arg),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    let url = parse_url(&url.ok_or("usage: tail [--exit-on TYPE] [--max-events N] URL")?)?;

    let clock = Clock(std::time::Instant::now());
    let limits = Limits::new()
        .max_event_type(256)
        .max_id(1024)
        .max_data(1 << 20);
    let mut memory = vec![0u8; 256 + 3 * 1024 + (1 << 20)];
    let buffers = SliceBuffers::new(&mut memory, limits).map_err(|e| e.to_string())?;
    let mut client = Client::new(Decoder::with_storage(buffers), Reconnect::new());
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut events = 0u64;
    let mut state = ReadyState::Connecting;
    eprintln!("tail: CONNECTING");

    loop {
        let connect = pump(&mut client, &mut state);
        if state == ReadyState::Closed {
            return Ok(());
        }
        if let Some(at) = client.poll_timeout() {
            let wait = at.millis_since(clock.now());
            std::thread::sleep(Duration::from_millis(wait));
            client.handle_timeout(clock.now());
            continue;
        }
        if !connect {
            continue;
        }
        let mut request = format!(
            "GET {} HTTP/1.1\r\nHost: {}:{}\r\n",
            url.path, url.host, url.port
        );
        for (name, value) in client.request_headers() {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("Connection: close\r\n\r\n");
        let stream = match TcpStream::connect((url.host.as_str(), url.port))
            .and_then(|mut s| s.write_all(request.as_bytes()).map(|()| s))
        {
            Ok(stream) => stream,
            Err(e) => {
                eprintln!("tail: {e}");
                client.handle_network_error(clock.now());
                continue;
            }
        };
        let mut reader = BufReader::new(stream);
        let head = match read_head(&mut reader) {
            Ok(head) => head,
            Err(e) => {
                eprintln!("tail: {e}");
                client.handle_network_error(clock.now());
                continue;
            }
        };
        client.handle_response(head.status, head.content_type.as_deref().map(str::as_bytes));
        pump(&mut client, &mut state);
        if client.ready_state() != ReadyState::Open {
            continue;
        }
        let mut body = Body::new(head.chunked, head.length);
        let mut buf = vec![0u8; 16 * 1024];
        let mut stop = false;
        let ended = loop {
            let piece = match body.read(&mut reader, &mut buf) {
                Ok(Some(piece)) => piece,
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            };
            let mut input = &buf[..piece];
            while let Some(item) = client.handle_body(&mut input) {
                let written = match item {
                    Ok(Item::Event(event)) => {
                        events += 1;
                        stop |=
                            exit_on.as_deref() == Some(event.event_type()) || events >= max_events;
                        writeln!(
                            out,
                            r#"{{"type":{},"data":{},"last_event_id":{}}}"#,
                            json(event.event_type()),
                            json(event.data()),
                            json(event.last_event_id())
                        )
                    }
                    Ok(Item::Retry(ms)) => writeln!(out, r#"{{"retry":{ms}}}"#),
                    Ok(_) => continue,
                    Err(error) => writeln!(out, r#"{{"error":{}}}"#, json(&error.to_string())),
                };
                written
                    .and_then(|()| out.flush())
                    .map_err(|e| format!("write: {e}"))?;
                if stop {
                    return Ok(());
                }
            }
        };
        match ended {
            Ok(()) => client.handle_end_of_body(clock.now()),
            Err(e) => {
                eprintln!("tail: {e}");
                client.handle_network_error(clock.now());
            }
        }
    }
}

/// Drains the client's outputs, reporting them and any ready-state change on
/// stderr; returns whether it asked to connect.
fn pump<S: sse_core::Storage>(client: &mut Client<S>, state: &mut ReadyState) -> bool {
    let mut connect = false;
    while let Some(output) = client.poll_output() {
        match output {
            Output::Connect => connect = true,
            Output::Reconnecting { delay_ms, .. } => {
                eprintln!("tail: reconnecting in {delay_ms} ms");
            }
            Output::Failed(reason) => eprintln!("tail: failed: {reason}"),
            _ => {}
        }
    }
    if client.ready_state() != *state {
        *state = client.ready_state();
        eprintln!("tail: {}", state_name(*state));
    }
    connect
}

fn state_name(state: ReadyState) -> &'static str {
    match state {
        ReadyState::Connecting => "CONNECTING",
        ReadyState::Open => "OPEN",
        ReadyState::Closed => "CLOSED",
    }
}

fn json(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

struct Head {
    status: u16,
    content_type: Option<String>,
    chunked: bool,
    length: Option<u64>,
}

fn read_head(reader: &mut impl BufRead) -> Result<Head, String> {
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .map_err(|e| format!("reading status line: {e}"))?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {line:?}"))?;
    let mut head = Head {
        status,
        content_type: None,
        chunked: false,
        length: None,
    };
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| format!("reading headers: {e}"))?;
        if n == 0 {
            return Err("connection closed in the headers".into());
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            return Ok(head);
        }
        let Some((name, value)) = header.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-type" => head.content_type = Some(value.to_string()),
            "transfer-encoding" => head.chunked = value.to_ascii_lowercase().contains("chunked"),
            "content-length" => head.length = value.parse().ok(),
            _ => {}
        }
    }
}

/// An HTTP/1.1 body: chunked, with a length, or until the connection closes.
struct Body {
    chunked: bool,
    /// Bytes left in the current chunk, or in the whole body with a length.
    left: Option<u64>,
    done: bool,
}

impl Body {
    fn new(chunked: bool, length: Option<u64>) -> Self {
        Self {
            chunked,
            left: if chunked { Some(0) } else { length },
            done: false,
        }
    }

    /// Reads the next piece of body into `buf`: `Ok(None)` at its clean end.
    fn read(&mut self, reader: &mut impl BufRead, buf: &mut [u8]) -> Result<Option<usize>, String> {
        if self.done {
            return Ok(None);
        }
        if self.chunked && self.left == Some(0) {
            let mut line = String::new();
            reader.read_line(&mut line).map_err(|e| e.to_string())?;
            if line.trim().is_empty() {
                // The CRLF after the previous chunk.
                line.clear();
                reader.read_line(&mut line).map_err(|e| e.to_string())?;
            }
            if line.is_empty() {
                return Err("connection closed inside a chunked body".into());
            }
            let size = line.trim().split(';').next().unwrap_or_default();
            let size =
                u64::from_str_radix(size, 16).map_err(|_| format!("bad chunk size {line:?}"))?;
            if size == 0 {
                self.done = true;
                return Ok(None);
            }
            self.left = Some(size);
        }
        let want = match self.left {
            Some(0) => {
                self.done = true;
                return Ok(None);
            }
            Some(left) => buf.len().min(usize::try_from(left).unwrap_or(usize::MAX)),
            None => buf.len(),
        };
        let n = reader.read(&mut buf[..want]).map_err(|e| e.to_string())?;
        if n == 0 {
            return if self.left.is_none() {
                Ok(None)
            } else {
                Err("connection closed inside the body".into())
            };
        }
        if let Some(left) = &mut self.left {
            *left -= n as u64;
        }
        Ok(Some(n))
    }
}
