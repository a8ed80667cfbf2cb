//! The `chat` example end to end over loopback, run as the program it is:
//!
//! - with the `tail` example as the client, the server dropping the connection
//!   mid-answer every few tokens: every token arrives exactly once, in order;
//! - at the HTTP level: the stream's fields, heartbeats, the half-written
//!   event of a dropped connection, replay after `Last-Event-ID`, `reset` for
//!   an unknown id, 204 once the answer was delivered, the token, CORS, and a
//!   client that hangs up cleaned up at once;
//! - in headless Chromium, driven over the DevTools protocol (on a pipe, no
//!   extra dependency): the page shows the whole answer, having resumed after
//!   dropped connections too, and a screenshot is saved to
//!   `target/test-artifacts/chat.png`.
//!
//! The examples are built first when missing (`cargo test --test chat` alone).
//! The browser test needs Debian's `chromium` (`/usr/bin/chromium`, or the
//! path in the `CHROMIUM` environment variable); `.ci/install-browser`
//! installs it. Without it the test prints `skipped: chromium not found` and
//! passes, unless `CI` is set: then it fails.
#![cfg(all(unix, not(miri)))]

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sse_core::EndOfBody;

mod common;
use common::{Chat, Ev, check_answer, decode, example, get, request, run};
use sse_core_examples::percent_encode;

#[path = "support/chromium.rs"]
mod chromium;
use chromium::{Browser, chromium_path};

/// How long any one test may take before it fails.
const WATCHDOG: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// 1. The chat server and the tail client.

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
    // The answer goes on while the client reconnects: each reconnection
    // replays from the event lost in flight, and what came meanwhile.
    let lost: Vec<u64> = log
        .lines()
        .filter_map(|line| line.split_once(", event ")?.1.strip_suffix(" half written"))
        .map(|id| id.parse().unwrap())
        .collect();
    assert_eq!(lost.len(), reconnects, "{}", context());
    for id in lost {
        assert!(
            log.contains(&format!(
                "resuming after Last-Event-ID {}: replaying",
                id - 1
            )),
            "no replay from event {id}, lost in flight\n{}",
            context()
        );
    }
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

#[test]
fn token_cors_methods_and_a_client_that_goes_away() {
    let chat = Chat::start(&[
        "--token",
        "s3cret",
        "--allow-origin",
        "http://app.example",
        // Nothing is written once the first token is out: only closing the
        // connection tells the server the client went away.
        "--token-delay-ms",
        "600000",
        "--heartbeat-ms",
        "600000",
    ]);
    let port = chat.port;
    let stats = || -> Value {
        let response = get(port, "/stats?token=s3cret", None);
        assert_eq!(response.status, 200, "{}", response.head);
        serde_json::from_slice(&response.body).unwrap()
    };

    // The token: missing or wrong is 401, on every endpoint but the page.
    assert_eq!(get(port, "/", None).status, 200);
    for path in [
        "/stream?c=a&q=hi",
        "/stream?c=a&q=hi&token=s3cre",
        "/stream?c=a&q=hi&token=s3cret2",
        "/stats",
    ] {
        assert_eq!(get(port, path, None).status, 401, "{path}");
    }
    assert_eq!(request(port, "POST", "/drop?c=a", &[]).status, 401);
    assert_eq!(
        request(port, "POST", "/drop?c=nobody&token=s3cret", &[]).status,
        404
    );
    assert_eq!(
        request(port, "POST", "/stream?c=a&q=hi&token=s3cret", &[]).status,
        405
    );
    assert_eq!(stats()["conversations"], json!(0), "401s create nothing");

    // CORS: the allowed origin may open the stream and send Last-Event-ID.
    let preflight = request(
        port,
        "OPTIONS",
        "/stream?c=a&q=hi&token=s3cret",
        &[
            "Origin: http://app.example".into(),
            "Access-Control-Request-Method: GET".into(),
            "Access-Control-Request-Headers: last-event-id".into(),
        ],
    );
    assert_eq!(preflight.status, 200, "{}", preflight.head);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("http://app.example")
    );
    assert!(
        preflight
            .header("access-control-allow-headers")
            .is_some_and(|h| h.to_ascii_lowercase().contains("last-event-id")),
        "{}",
        preflight.head
    );
    let other = request(
        port,
        "GET",
        "/stats?token=s3cret",
        &["Origin: http://elsewhere.example".into()],
    );
    assert_eq!(other.header("access-control-allow-origin"), None);

    // A stream from the allowed origin: read up to the first token, then
    // hang up. The server drops the stream at once, with no write to fail.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(WATCHDOG)).unwrap();
    write!(
        stream,
        "GET /stream?c=gone&q=hello&token=s3cret HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Origin: http://app.example\r\n\r\n"
    )
    .unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    while !received.windows(6).any(|w| w == b"id: 1\n") {
        let n = stream.read(&mut buf).expect("the first token arrives");
        assert!(n > 0, "the stream ended: {received:?}");
        received.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&received).to_ascii_lowercase();
    assert!(
        head.contains("access-control-allow-origin: http://app.example\r\n"),
        "{head}"
    );
    assert_eq!(stats()["streams"], json!(1));
    drop(stream);
    let deadline = Instant::now() + WATCHDOG;
    while stats()["streams"] != json!(0) {
        assert!(
            Instant::now() < deadline,
            "the stream of a client that went away is still open\n{}",
            chat.log()
        );
        thread::sleep(Duration::from_millis(10));
    }
    // The server logs the close after its stream count drops; the log
    // reaches the test through a pipe, a little later.
    while !chat
        .log()
        .contains("[gone] client went away after 1 event(s): stream closed")
    {
        assert!(
            Instant::now() < deadline,
            "no log line for the client that went away\n{}",
            chat.log()
        );
        thread::sleep(Duration::from_millis(10));
    }
    let stats = stats();
    assert_eq!(
        (&stats["peak_streams"], &stats["conversations"]),
        (&json!(1), &json!(1))
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
        // The page passes the token it was opened with on to the stream.
        "--token",
        "page token",
    ]);
    let question = "How do Server-Sent Events resume after a dropped connection?";

    // The reference answer, through `tail`, at the same time as the browser.
    let reference = {
        let url = chat.url(&format!(
            "/stream?c=reference&q={}&token=page%20token",
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
        &chat.url(&format!(
            "/?q={}&token=page+token",
            percent_encode(question)
        )),
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
