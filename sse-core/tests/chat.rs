//! The `chat` example end to end over loopback, run as the program it is:
//!
//! - with the `tail` example as the client, the server dropping the connection
//!   mid-answer every few tokens: every token arrives exactly once, in order;
//! - at the HTTP level: the stream's fields, heartbeats, the half-written
//!   event of a dropped connection, replay after `Last-Event-ID`, `reset` for
//!   an unknown id, and 204 once the answer was delivered;
//! - in headless Chromium, driven over the DevTools protocol (on a pipe, no
//!   extra dependency): the page shows the whole answer, having resumed after
//!   dropped connections too, and a screenshot is saved to
//!   `target/test-artifacts/chat.png`.
//!
//! `cargo test` builds the examples first; `cargo test --test chat` alone does
//! not, so run `cargo build -p sse-core --examples` before it.
//!
//! The browser test needs Debian's `chromium` (`/usr/bin/chromium`, or the
//! path in the `CHROMIUM` environment variable); `.ci/install-browser`
//! installs it. Without it the test prints `skipped: chromium not found` and
//! passes, unless `CI` is set: then it fails.
#![cfg(all(unix, not(miri)))]

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sse_core::{Decoder, EndOfBody, InlineBuffers, Item};

mod common;
use common::example;

#[path = "support/chromium.rs"]
mod chromium;
use chromium::{Browser, chromium_path};

/// How long any one test may take before it fails.
const WATCHDOG: Duration = Duration::from_secs(60);

/// Percent-encodes everything but unreserved characters.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The chat server, and running programs under a watchdog.

/// A running `chat` example on a free port; killed when dropped.
struct Chat {
    child: Child,
    port: u16,
    /// Everything it printed after the first line, stdout and stderr.
    log: Arc<Mutex<String>>,
}

impl Chat {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(example("chat"))
            .args(["--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the chat example starts");
        let log = Arc::new(Mutex::new(String::new()));
        let (first_line, first) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stdout_log = Arc::clone(&log);
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = first_line.send(line);
            }
            for line in lines.map_while(Result::ok) {
                let mut log = stdout_log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let stderr = child.stderr.take().unwrap();
        let stderr_log = Arc::clone(&log);
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = stderr_log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let line = first
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("no first line from the chat example: {e}"));
        let port = line
            .strip_prefix("chat: listening on http://127.0.0.1:")
            .and_then(|rest| rest.strip_suffix('/'))
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the chat example: {line:?}"));
        Self { child, port, log }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Chat {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if thread::panicking() {
            eprintln!("chat server's log:\n{}", self.log());
        }
    }
}

/// The output of a program run under the watchdog.
struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs `command` to its end, killing it and failing after `limit`.
fn run(command: &mut Command, limit: Duration) -> Run {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program starts");
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().unwrap()));
    let stderr = read_all(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(10));
    };
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    let Some(status) = status else {
        panic!("still running after {limit:?}: killed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    };
    Run {
        status,
        stdout,
        stderr,
    }
}

// ---------------------------------------------------------------------------
// 1. The chat server and the tail client.

/// One event as `tail` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ev {
    event_type: String,
    data: String,
    id: String,
}

/// The events and retry lines `tail` printed.
fn parse_tail(stdout: &str) -> (Vec<Ev>, usize) {
    let mut events = Vec::new();
    let mut retries = 0;
    for line in stdout.lines() {
        let value: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("tail printed {line:?}, not JSON: {e}"));
        if value.get("retry").is_some() {
            retries += 1;
            continue;
        }
        let text = |key: &str| {
            value[key]
                .as_str()
                .unwrap_or_else(|| panic!("tail printed {line:?}: no {key}"))
                .to_string()
        };
        events.push(Ev {
            event_type: text("type"),
            data: text("data"),
            id: text("last_event_id"),
        });
    }
    (events, retries)
}

/// Checks a whole answer: tokens with ids 1..=n in order, then `done` with
/// id n + 1 and their concatenation as data. Returns the answer.
fn check_answer(events: &[Ev], question: &str) -> String {
    let (done, tokens) = events.split_last().expect("no events at all");
    assert_eq!(done.event_type, "done", "the last event is not `done`");
    let n = tokens.len();
    assert!(
        (40..=120).contains(&n),
        "{n} tokens: the answer should have 40 to 120"
    );
    for (index, token) in tokens.iter().enumerate() {
        assert_eq!(
            (token.event_type.as_str(), token.id.as_str()),
            ("token", (index + 1).to_string().as_str()),
            "event {} of {}: tokens must come once each, in order:\n{events:#?}",
            index + 1,
            events.len(),
        );
    }
    assert_eq!(done.id, (n + 1).to_string(), "the id of `done`");
    let joined: String = tokens.iter().map(|t| t.data.as_str()).collect();
    assert_eq!(joined, done.data, "the tokens do not spell the answer");
    assert!(
        done.data.contains(question),
        "the answer does not quote the question {question:?}: {:?}",
        done.data
    );
    for (what, found) in [
        (
            "a token with a leading space",
            tokens.iter().any(|t| t.data.starts_with(' ')),
        ),
        (
            "a token with a line break",
            tokens.iter().any(|t| t.data.contains('\n')),
        ),
        ("CJK", done.data.contains('語')),
        ("an emoji", done.data.contains('🚀')),
        ("quotes", done.data.contains('"') && done.data.contains('“')),
    ] {
        assert!(found, "the answer has no {what}: {:?}", done.data);
    }
    done.data.clone()
}

#[test]
fn tail_gets_every_token_exactly_once_across_dropped_connections() {
    let started = Instant::now();
    const DROP_EVERY: usize = 5;
    let chat = Chat::start(&[
        "--drop-every",
        &DROP_EVERY.to_string(),
        "--token-delay-ms",
        "1",
        "--retry-ms",
        "20",
    ]);
    let question = "How does \"resume\" work? (日本語 & emoji 🚀)";
    let url = chat.url(&format!("/stream?c=t1&q={}", percent_encode(question)));
    let tail = run(
        Command::new(example("tail")).args(["--exit-on", "done", &url]),
        WATCHDOG,
    );
    let context = || {
        format!(
            "tail's stderr:\n{}\nchat's log:\n{}",
            tail.stderr,
            chat.log()
        )
    };
    assert!(
        tail.status.success(),
        "tail failed: {}\n{}",
        tail.status,
        context()
    );
    let (events, retries) = parse_tail(&tail.stdout);
    let answer = check_answer(&events, question);

    // Each connection carries DROP_EVERY events and loses the next in flight;
    // the last one ends with `done`.
    let reconnects = events.len().div_ceil(DROP_EVERY) - 1;
    assert!(
        reconnects >= 8,
        "{} events: too few to drop often",
        events.len()
    );
    let log = chat.log();
    assert_eq!(
        log.matches("dropping the connection after 5 event(s)")
            .count(),
        reconnects,
        "connections the server dropped\n{}",
        context()
    );
    assert_eq!(
        tail.stderr.matches("tail: reconnecting in 20 ms").count(),
        reconnects,
        "tail's reconnections (it follows `retry: 20`)\n{}",
        context()
    );
    assert_eq!(retries, reconnects + 1, "one `retry` per connection");
    assert_eq!(
        log.matches("replaying 1 event(s)").count(),
        reconnects,
        "each reconnection replays the one event lost in flight\n{}",
        context()
    );
    eprintln!(
        "chat + tail: {} tokens ({} bytes of answer) over {} connections, each token once, in {:.1?}",
        events.len() - 1,
        answer.len(),
        reconnects + 1,
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------
// 2. The protocol, byte by byte.

struct Response {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

fn get(port: u16, path: &str, last_event_id: Option<&str>) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to chat");
    stream.set_read_timeout(Some(WATCHDOG)).unwrap();
    let mut request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n");
    if let Some(id) = last_event_id {
        request.push_str(&format!("Last-Event-ID: {id}\r\n"));
    }
    request.push_str("Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    stream
        .read_to_end(&mut bytes)
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("GET {path}: no response head in {bytes:?}"));
    let head = String::from_utf8(bytes[..end].to_vec()).unwrap();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("GET {path}: bad status line in {head:?}"));
    Response {
        status,
        head,
        body: bytes[end + 4..].to_vec(),
    }
}

/// A decoded stream body.
#[derive(Debug)]
struct Decoded {
    events: Vec<Ev>,
    retries: Vec<u64>,
    heartbeats: usize,
    end: EndOfBody,
}

fn decode(body: &[u8]) -> Decoded {
    let mut decoder = Decoder::<InlineBuffers<4096>>::new().with_comments(true);
    let mut decoded = Decoded {
        events: Vec::new(),
        retries: Vec::new(),
        heartbeats: 0,
        end: EndOfBody::Clean,
    };
    let mut input = body;
    while let Some(item) = decoder.next(&mut input) {
        match item.expect("a well-formed stream") {
            Item::Event(event) => decoded.events.push(Ev {
                event_type: event.event_type().to_string(),
                data: event.data().to_string(),
                id: event.last_event_id().to_string(),
            }),
            Item::Retry(ms) => decoded.retries.push(ms),
            Item::Comment { text, end_of_line } => {
                assert!(
                    text.is_empty() && end_of_line,
                    "a comment that is not a heartbeat"
                );
                decoded.heartbeats += 1;
            }
            // The `retry` block: fields, no data.
            Item::NoData { .. } => {}
            other => panic!("unexpected item {other:?}"),
        }
    }
    decoded.end = decoder.finish();
    decoded
}

#[test]
fn stream_fields_heartbeats_replay_reset_and_204() {
    let started = Instant::now();
    let chat = Chat::start(&[
        "--token-delay-ms",
        "12",
        "--heartbeat-ms",
        "4",
        "--retry-ms",
        "1500",
    ]);
    let port = chat.port;

    let page = get(port, "/", None);
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(String::from_utf8_lossy(&page.body).contains("new EventSource("));
    assert_eq!(get(port, "/favicon.ico", None).status, 404);
    assert_eq!(get(port, "/stream?c=x", None).status, 400, "no question");

    // A whole answer on one connection.
    let question = "Why are heartbeats comments?";
    let path = format!("/stream?c=p&q={}", percent_encode(question));
    let first = get(port, &path, None);
    assert_eq!(first.status, 200);
    assert_eq!(first.header("content-type"), Some("text/event-stream"));
    assert_eq!(first.header("content-length"), None);
    assert!(
        first
            .body
            .starts_with(b"retry: 1500\n\nevent: token\nid: 1\ndata: You\n\n")
    );
    let whole = decode(&first.body);
    assert_eq!(whole.retries, [1500]);
    assert_eq!(whole.end, EndOfBody::Clean);
    check_answer(&whole.events, question);
    // Tokens come every 12 ms, a heartbeat after 4 ms of silence: a heartbeat
    // in some gap however the threads are scheduled.
    assert!(whole.heartbeats > 0, "no heartbeat in {:?}", first.body);
    let n = whole.events.len();

    // Resume after token 3: exactly the rest, nothing else.
    let resumed = get(port, &path, Some("3"));
    assert_eq!(resumed.status, 200);
    let resumed = decode(&resumed.body);
    assert_eq!(resumed.events, whole.events[3..]);
    assert_eq!(
        (resumed.retries.as_slice(), resumed.heartbeats),
        (&[1500][..], 0)
    );

    // The client has `done`: 204, stop reconnecting.
    let finished = get(port, &path, Some(&n.to_string()));
    assert_eq!(
        (finished.status, finished.body.len()),
        (204, 0),
        "{}",
        finished.head
    );

    // An id the history never held: `reset`, then the answer from the start.
    let lost = get(port, &path, Some("no-such-id"));
    assert_eq!(lost.status, 200);
    let lost = decode(&lost.body);
    assert_eq!(lost.events[0].event_type, "reset");
    assert_eq!(lost.events[1..], whole.events);

    // A new client of a finished conversation gets all of it.
    assert_eq!(decode(&get(port, &path, None).body).events, whole.events);
    drop(chat);

    // --drop-every: four events, then half of the fifth and the end.
    let chat = Chat::start(&["--drop-every", "4", "--token-delay-ms", "0"]);
    let path = format!("/stream?c=d&q={}", percent_encode(question));
    let dropped = get(chat.port, &path, None);
    let cut = decode(&dropped.body);
    assert_eq!(cut.events, whole.events[..4]);
    assert_eq!(
        cut.end,
        EndOfBody::Discarded,
        "the fifth event is half written"
    );
    assert!(
        !dropped.body.ends_with(b"\n\n"),
        "{:?}",
        String::from_utf8_lossy(&dropped.body)
    );
    let next = decode(&get(chat.port, &path, Some("4")).body);
    assert_eq!(
        next.events,
        whole.events[4..8],
        "the lost event first, then three more"
    );
    assert_eq!(next.end, EndOfBody::Discarded);
    eprintln!(
        "chat protocol: {} events, {} heartbeats, replay, reset, 204 and drops checked in {:.1?}",
        n,
        whole.heartbeats,
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------
// 3. The page in headless Chromium.

#[test]
fn chromium_shows_the_whole_answer_and_saves_a_screenshot() {
    let started = Instant::now();
    let Some(chromium) = chromium_path("chat browser") else {
        return;
    };
    const DROP_EVERY: usize = 9;
    let chat = Chat::start(&[
        "--drop-every",
        &DROP_EVERY.to_string(),
        "--token-delay-ms",
        "15",
        "--retry-ms",
        "100",
    ]);
    let question = "How do Server-Sent Events resume after a dropped connection?";

    // The reference answer, through `tail`, at the same time as the browser.
    let reference = {
        let url = chat.url(&format!(
            "/stream?c=reference&q={}",
            percent_encode(question)
        ));
        thread::spawn(move || {
            run(
                Command::new(example("tail")).args(["--exit-on", "done", &url]),
                WATCHDOG,
            )
        })
    };

    let mut browser = Browser::launch(
        &chromium,
        &chat.url(&format!("/?q={}", percent_encode(question))),
        &["--window-size=900,720", "--hide-scrollbars"],
        "chat-browser",
    );
    let page = browser.page_session();
    browser
        .call(
            Some(&page),
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": 900, "height": 720, "deviceScaleFactor": 1, "mobile": false }),
        )
        .unwrap_or_else(|e| browser.fail(&format!("cannot set the viewport: {e}")));

    // Wait for the page to say the answer is complete and fully shown.
    let deadline = Instant::now() + WATCHDOG;
    let state = loop {
        let state = browser
            .evaluate(&page, "JSON.stringify(window.chatState)")
            .ok()
            .and_then(|v| {
                v.as_str()
                    .and_then(|s| serde_json::from_str::<Value>(s).ok())
            })
            .unwrap_or(Value::Null);
        if state["done"] == json!(true) {
            break state;
        }
        if Instant::now() > deadline {
            browser.fail(&format!(
                "the page did not finish in {WATCHDOG:?}; its state: {state:#}\nchat's log:\n{}",
                chat.log()
            ));
        }
        if let Some(status) = browser.exited() {
            browser.fail(&format!("chromium exited ({status}); page state {state:#}"));
        }
        thread::sleep(Duration::from_millis(50));
    };

    let reference = reference.join().unwrap();
    assert!(
        reference.status.success(),
        "tail failed: {}",
        reference.stderr
    );
    let expected = check_answer(&parse_tail(&reference.stdout).0, question);

    let fail = |browser: &Browser, what: &str| -> ! {
        browser.fail(&format!(
            "{what}\npage state: {state:#}\nchat's log:\n{}",
            chat.log()
        ))
    };
    let text = |v: &Value| v.as_str().map(str::to_string);
    if text(&state["answer"]).as_deref() != Some(expected.as_str()) {
        fail(
            &browser,
            &format!("the `done` event the page got is not the answer {expected:?}"),
        );
    }
    if text(&state["shown"]).as_deref() != Some(expected.as_str()) {
        fail(
            &browser,
            "the page shows something other than the whole answer",
        );
    }
    let ids: Vec<String> = state["ids"]
        .as_array()
        .map(|ids| ids.iter().filter_map(text).collect())
        .unwrap_or_default();
    let n = ids.len();
    if ids != (1..=n).map(|i| i.to_string()).collect::<Vec<_>>() || n < 40 {
        fail(
            &browser,
            "the page's token ids are not 1..=n, each once, in order",
        );
    }
    if state["verified"] != json!(true)
        || state["state"] != json!("CLOSED")
        || state["resets"] != json!(0)
    {
        fail(
            &browser,
            "the page did not verify its answer, or is not CLOSED, or was reset",
        );
    }
    // Every connection the server dropped, the browser resumed.
    let log = chat.log();
    let page_drops = log
        .lines()
        .filter(|l| l.contains("dropping the connection") && !l.contains("[reference]"))
        .count();
    if page_drops < 3 || state["reconnects"] != json!(page_drops) {
        fail(
            &browser,
            &format!(
                "the server dropped the page's stream {page_drops} times; the page should have reconnected as often"
            ),
        );
    }
    // What is on the screen, not only in the page's state.
    let dom = browser
        .evaluate(
            &page,
            "JSON.stringify([document.querySelector('.msg.bot').firstChild.data, \
             document.getElementById('state').textContent, document.body.dataset.done, \
             document.querySelector('.meta').className])",
        )
        .ok()
        .and_then(|v| {
            v.as_str()
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
        })
        .unwrap_or(Value::Null);
    if dom != json!([expected, "CLOSED", "1", "meta ok"]) {
        fail(&browser, &format!("the page's DOM: {dom:#}"));
    }

    let png = browser
        .call(
            Some(&page),
            "Page.captureScreenshot",
            json!({ "format": "png" }),
        )
        .ok()
        .and_then(|result| result["data"].as_str().map(base64_decode))
        .unwrap_or_else(|| fail(&browser, "no screenshot"));
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "the screenshot is not a PNG"
    );
    let artifact = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target directory")
        .join("test-artifacts")
        .join("chat.png");
    fs::create_dir_all(artifact.parent().unwrap()).unwrap();
    fs::write(&artifact, &png).unwrap();
    drop(browser);
    eprintln!(
        "chat in chromium: {n} tokens shown exactly, {page_drops} dropped connections resumed, in {:.1?}; \
         screenshot: {}",
        started.elapsed(),
        artifact.display()
    );
}

fn base64_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => panic!("not base64: {c:?}"),
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
