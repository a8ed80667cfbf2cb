//! The loopback HTTP server of the browser tests (std::net on 127.0.0.1):
//! reading requests, writing responses, the accept loop, and the page's
//! reports.
//!
//! Not part of any crate's library: `tests/tests/browser.rs` and
//! `tests/tests/browser_decoder.rs` include it as a module, next to
//! `examples/tests/support/chromium.rs` (which they include as
//! `mod chromium`), with `#[path = "..."] mod server;`.
//!
//! Every page the server gives loads `/report.js` (`report.js` here) and
//! posts what it saw to `POST /report` as JSON batches numbered by `seq`,
//! the last one with `final: true`, or `{ error }` when something went
//! wrong. Besides `/`, `/report.js` and `/report`, a server serves one JSON
//! document that the page fetches first (what to do), and hands every other
//! request to the test.

// Each test uses only part of this file (the decoder test reads no request
// header), so what one of them leaves unused is not dead.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::chromium::Browser;

/// The script every page loads first: `post` and `reportError`.
const REPORT_JS: &str = include_str!("report.js");

/// A request, as far as the tests care.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    /// Lower-case names; values with surrounding spaces and tabs removed.
    pub(crate) headers: Vec<(String, Vec<u8>)>,
    pub(crate) body: Vec<u8>,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// What the page reported, and what went wrong.
#[derive(Default)]
pub(crate) struct State {
    /// One line per request.
    pub(crate) log: Vec<String>,
    /// The page's batches by number.
    pub(crate) batches: BTreeMap<u64, Value>,
    /// The number of the final batch, once it arrived.
    pub(crate) final_seq: Option<u64>,
    /// Errors from the page and the server.
    pub(crate) errors: Vec<String>,
}

/// [`State`], shared by the connection threads and the test.
#[derive(Default)]
pub(crate) struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records an error; the test fails on it.
    pub(crate) fn error(&self, error: String) {
        self.lock().errors.push(error);
        self.changed.notify_all();
    }

    /// Takes one batch (or error) the page posted to `/report`.
    fn receive_report(&self, body: &[u8]) {
        let value: Value = match serde_json::from_slice(body) {
            Ok(value) => value,
            Err(e) => return self.error(format!("page: a report is not JSON ({e})")),
        };
        if let Some(error) = value.get("error") {
            return self.error(format!("page: {error}"));
        }
        let Some(seq) = value["seq"].as_u64() else {
            return self.error(format!("page: a report without seq: {value}"));
        };
        let mut state = self.lock();
        if value["final"] == Value::Bool(true) {
            state.final_seq = Some(seq);
        }
        state.batches.insert(seq, value);
        drop(state);
        self.changed.notify_all();
    }
}

/// What a server serves itself.
pub(crate) struct Site {
    /// The page, served as HTML at `/`.
    pub(crate) page: &'static str,
    /// Where the page fetches what to do (e.g. `/types`), and that JSON.
    pub(crate) setup: (&'static str, String),
    /// The key of the list in each of the page's batches (e.g. `events`),
    /// counted in failure messages.
    pub(crate) items: &'static str,
    /// How long a connection may take to send its request.
    pub(crate) read_timeout: Duration,
}

/// Answers the requests that [`Site`] does not cover; `Err` fails the test.
type Handler = dyn Fn(&mut TcpStream, Request, &Shared) -> io::Result<()> + Send + Sync;

/// A running server; its threads end with the test process.
pub(crate) struct Server {
    pub(crate) address: SocketAddr,
    shared: Arc<Shared>,
    items: &'static str,
}

/// What the connection threads share.
struct Context {
    site: Site,
    shared: Arc<Shared>,
    handle: Box<Handler>,
}

impl Server {
    /// Starts a server on a free port of 127.0.0.1. Each connection gets its
    /// own thread, which reads one request, logs it and answers it: `GET /`,
    /// `GET /report.js`, the `site`'s setup and `POST /report` here, any
    /// other request with `handle`.
    pub(crate) fn start(
        site: Site,
        handle: impl Fn(&mut TcpStream, Request, &Shared) -> io::Result<()> + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared::default());
        let items = site.items;
        let context = Arc::new(Context {
            site,
            shared: Arc::clone(&shared),
            handle: Box::new(handle),
        });
        thread::spawn(move || {
            for connection in listener.incoming() {
                match connection {
                    Ok(connection) => {
                        let context = Arc::clone(&context);
                        thread::spawn(move || answer(connection, &context));
                    }
                    Err(e) => context.shared.error(format!("server: accept: {e}")),
                }
            }
        });
        Self {
            address,
            shared,
            items,
        }
    }

    /// Waits until the page's batches up to the final one are all in, and
    /// returns what `parse` makes of them. Fails the test on an error from
    /// the page or the server (or from `parse`), when the browser exits, and
    /// after `watchdog`.
    #[track_caller]
    pub(crate) fn wait_for_batches<T>(
        &self,
        browser: &mut Browser,
        watchdog: Duration,
        parse: impl Fn(&BTreeMap<u64, Value>) -> Result<T, String>,
    ) -> T {
        let deadline = Instant::now() + watchdog;
        let failure = {
            let mut state = self.shared.lock();
            loop {
                if !state.errors.is_empty() {
                    break "errors from the page or the server".to_string();
                }
                if let Some(last) = state.final_seq {
                    if (0..=last).all(|seq| state.batches.contains_key(&seq)) {
                        match parse(&state.batches) {
                            Ok(parsed) => return parsed,
                            Err(e) => break format!("the page's report: {e}"),
                        }
                    }
                }
                if let Some(status) = browser.exited() {
                    break format!(
                        "chromium exited before the page reported everything ({status})"
                    );
                }
                let now = Instant::now();
                if now >= deadline {
                    break format!("watchdog: no complete report from Chromium after {watchdog:?}");
                }
                let wait = (deadline - now).min(Duration::from_millis(200));
                state = self
                    .shared
                    .changed
                    .wait_timeout(state, wait)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        };
        panic!(
            "{failure}\n\n{}\nchromium's stderr (last lines):\n{}",
            self.summary(),
            browser.log_tail(40)
        );
    }

    /// The requests, batches and errors so far, for failure messages.
    pub(crate) fn summary(&self) -> String {
        let state = self.shared.lock();
        let items: usize = state
            .batches
            .values()
            .map(|b| b[self.items].as_array().map_or(0, Vec::len))
            .sum();
        let log = &state.log[state.log.len().saturating_sub(32)..];
        format!(
            "server: {} requests, the last ones {log:?}\nserver: {} batches with {items} {}, final batch {:?}\nerrors: {:#?}\n",
            state.log.len(),
            state.batches.len(),
            self.items,
            state.final_seq,
            state.errors
        )
    }
}

/// One connection: reads the request, logs it and answers it.
fn answer(mut connection: TcpStream, context: &Context) {
    let Context {
        site,
        shared,
        handle,
    } = context;
    let _ = connection.set_read_timeout(Some(site.read_timeout));
    let request = match read_request(&mut connection) {
        Ok(Some(request)) => request,
        // A speculative connection that sent nothing.
        Ok(None) => return,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            return;
        }
        Err(e) => return shared.error(format!("server: reading a request: {e}")),
    };
    let line = format!("{} {}", request.method, request.path);
    shared.lock().log.push(line.clone());
    let (setup_path, setup) = &site.setup;
    let result = match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/") => respond(
            &mut connection,
            "200 OK",
            "text/html; charset=utf-8",
            site.page.as_bytes(),
        ),
        ("GET", "/report.js") => respond(
            &mut connection,
            "200 OK",
            "text/javascript; charset=utf-8",
            REPORT_JS.as_bytes(),
        ),
        ("GET", path) if path == *setup_path => respond(
            &mut connection,
            "200 OK",
            "application/json",
            setup.as_bytes(),
        ),
        ("POST", "/report") => {
            shared.receive_report(&request.body);
            respond(&mut connection, "200 OK", "text/plain", b"")
        }
        _ => handle(&mut connection, request, shared),
    };
    if let Err(e) = result {
        shared.error(format!("server: answering {line}: {e}"));
    }
}

/// Answers 404.
pub(crate) fn not_found(connection: &mut TcpStream) -> io::Result<()> {
    respond(connection, "404 Not Found", "text/plain", b"not found")
}

/// Writes the head of an endless `text/event-stream` response (the body
/// ends when the connection does), and turns Nagle's algorithm off so that
/// each write goes out at once.
pub(crate) fn begin_event_stream(connection: &mut TcpStream) -> io::Result<()> {
    connection.set_nodelay(true)?;
    connection.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
    )?;
    connection.flush()
}

/// Writes a whole response and ends the connection's sending side.
fn respond(
    connection: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    connection.write_all(head.as_bytes())?;
    connection.write_all(body)?;
    connection.flush()?;
    connection.shutdown(Shutdown::Write)
}

/// Reads one request: head, and a body of `Content-Length` bytes. `None`
/// when the connection closes before sending anything.
fn read_request(connection: &mut TcpStream) -> io::Result<Option<Request>> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 * 1024 {
            return Err(bad("request head over 64 KiB"));
        }
        let n = connection.read(&mut chunk)?;
        if n == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(bad("connection closed inside the request head"))
            };
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = buf[..head_end].split(|&b| b == b'\n');
    let request_line = String::from_utf8_lossy(lines.next().unwrap_or_default());
    let mut parts = request_line.trim_end().split(' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(bad(&format!("bad request line in {head:?}")));
    };
    let path = target.split('?').next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err(bad(&format!("bad header line in {head:?}")));
        };
        let name = String::from_utf8_lossy(&line[..colon]).to_ascii_lowercase();
        let value = line[colon + 1..].trim_ascii_start();
        let value = value
            .iter()
            .rposition(|&b| b != b' ' && b != b'\t')
            .map_or(&[][..], |end| &value[..=end]);
        headers.push((name, value.to_vec()));
    }
    let mut request = Request {
        method: method.to_string(),
        path,
        headers,
        body: buf[head_end + 4..].to_vec(),
    };
    let length = match request.header("content-length") {
        Some(v) => std::str::from_utf8(v)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .ok_or_else(|| bad("bad Content-Length"))?,
        None => 0,
    };
    if request.header("transfer-encoding").is_some() {
        return Err(bad("chunked request bodies are not supported"));
    }
    while request.body.len() < length {
        let n = connection.read(&mut chunk)?;
        if n == 0 {
            return Err(bad("connection closed inside the request body"));
        }
        request.body.extend_from_slice(&chunk[..n]);
    }
    request.body.truncate(length);
    Ok(Some(request))
}
