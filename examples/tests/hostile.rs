//! The `chat` example against hostile clients, run as the program it is,
//! over loopback:
//!
//! - a half-sent request head is closed after the header timeout;
//! - a connection over `--max-connections` is closed at once;
//! - a stream over `--max-streams` gets `503` with `Retry-After` while the
//!   open ones keep streaming;
//! - over `--max-conversations`, the least recently used is forgotten;
//! - a question or conversation id over its length bound gets `400`;
//! - a 60 KB `Last-Event-ID` and a conversation id with CR/LF each give one
//!   short log line, with nothing that starts a line of its own.
//!
//! Times are bounded generously ([`WATCHDOG`]); nothing asserts a speed.
#![cfg(all(unix, not(miri)))]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;
use common::{Chat, Response, decode, example, get, read_to_close, request, run};
use sse_core_examples::percent_encode;

/// How long any one wait may take before the test fails.
const WATCHDOG: Duration = Duration::from_secs(60);

/// The longest line the server may log about one request.
const SHORT_LINE: usize = 200;

fn stats(port: u16) -> Value {
    let response = get(port, "/stats", None);
    assert_eq!(response.status, 200, "{}", response.head);
    serde_json::from_slice(&response.body).unwrap()
}

/// A connection with `head` sent; reads fail after the watchdog.
fn connect(port: u16, head: &str) -> TcpStream {
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect to chat");
    tcp.set_read_timeout(Some(WATCHDOG)).unwrap();
    tcp.write_all(head.as_bytes()).unwrap();
    tcp
}

/// Reads from a stream until `needle` arrived.
fn read_until(tcp: &mut TcpStream, needle: &[u8]) {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    while !received.windows(needle.len()).any(|w| w == needle) {
        let n = tcp.read(&mut buf).expect("the stream goes on");
        assert!(n > 0, "the stream ended: {received:?}");
        received.extend_from_slice(&buf[..n]);
    }
}

/// Opens `/stream` on `path` and reads up to its first token.
fn open_stream(port: u16, path: &str) -> TcpStream {
    let mut tcp = connect(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"),
    );
    read_until(&mut tcp, b"id: 1\n");
    tcp
}

#[test]
fn the_limits_are_documented_in_help() {
    let help = run(
        std::process::Command::new(example("chat")).arg("--help"),
        WATCHDOG,
    );
    assert!(help.status.success());
    for flag in [
        "--header-timeout-ms <N>",
        "--max-connections <N>",
        "--max-streams <N>",
        "--max-conversations <N>",
        "--max-question-bytes <BYTES>",
        "--max-conversation-bytes <BYTES>",
        "--max-model-calls <N>",
    ] {
        assert!(
            help.stdout.contains(flag),
            "{flag} in --help:\n{}",
            help.stdout
        );
    }
    assert!(help.stdout.contains("[default: 5000]"), "{}", help.stdout);
}

#[test]
fn a_half_sent_request_head_is_closed_after_the_header_timeout() {
    let chat = Chat::start(&["--header-timeout-ms", "300"]);
    let port = chat.port;
    let started = Instant::now();
    // The request line and one header, then nothing.
    let mut half = connect(
        port,
        "GET /stream?c=slow&q=hello HTTP/1.1\r\nHost: 127.0.0.1\r\n",
    );
    let answer = read_to_close(&mut half);
    assert!(started.elapsed() < WATCHDOG);
    // Closed, with at most a `408 Request Timeout`.
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    // A connection that sends nothing at all is closed too.
    let mut silent = connect(port, "");
    read_to_close(&mut silent);
    // Whole requests are served; nothing of the half one was.
    let stats = stats(port);
    assert_eq!(
        (&stats["streams"], &stats["conversations"]),
        (&json!(0), &json!(0)),
        "{stats}"
    );
    chat.wait_for("the closed connections counted out", WATCHDOG, || {
        self::stats(port)["connections"] == json!(1)
    });
}

#[test]
fn a_connection_over_the_limit_is_closed_at_once() {
    let chat = Chat::start(&["--max-connections", "2", "--header-timeout-ms", "60000"]);
    let port = chat.port;
    // Two idle connections take both places (accepted in order).
    let first = connect(port, "");
    let _second = connect(port, "");
    let mut third = connect(port, "GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assert_eq!(read_to_close(&mut third), b"", "no answer over the limit");
    // One place free again: served.
    drop(first);
    let mut served = None;
    chat.wait_for("a connection served once one closed", WATCHDOG, || {
        let mut tcp = connect(
            port,
            "GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        );
        let answer = read_to_close(&mut tcp);
        let ok = answer.starts_with(b"HTTP/1.1 200");
        if ok {
            served = Some(String::from_utf8_lossy(&answer).into_owned());
        }
        ok
    });
    let served = served.unwrap();
    let body = &served[served.find('{').unwrap()..];
    let stats: Value = serde_json::from_str(body.trim()).unwrap();
    assert_eq!(stats["peak_connections"], json!(2), "{stats}");
    assert!(stats["refused_connections"].as_u64() >= Some(1), "{stats}");
}

#[test]
fn a_stream_over_the_limit_gets_503_while_the_open_ones_stream_on() {
    let chat = Chat::start(&[
        "--max-streams",
        "2",
        "--token-delay-ms",
        "50",
        "--heartbeat-ms",
        "60000",
        "--retry-ms",
        "3000",
    ]);
    let port = chat.port;
    let mut first = open_stream(port, "/stream?c=one&q=first");
    let mut second = open_stream(port, "/stream?c=two&q=second");
    let over = get(port, "/stream?c=three&q=third", None);
    assert_eq!(over.status, 503, "{}", over.head);
    assert_eq!(over.header("retry-after"), Some("3"), "{}", over.head);
    // The two open streams go on.
    read_until(&mut first, b"id: 5\n");
    read_until(&mut second, b"id: 5\n");
    let stats = stats(port);
    assert_eq!(
        (
            &stats["streams"],
            &stats["refused_streams"],
            &stats["conversations"]
        ),
        (&json!(2), &json!(1), &json!(2)),
        "the refused stream created nothing: {stats}"
    );
    // One closes: the next one is served.
    drop(first);
    chat.wait_for("the closed stream counted out", WATCHDOG, || {
        self::stats(port)["streams"] == json!(1)
    });
    let _third = open_stream(port, "/stream?c=three&q=third");
    read_until(&mut second, b"id: 10\n");
}

#[test]
fn over_the_conversation_limit_the_least_recently_used_is_forgotten() {
    let chat = Chat::start(&["--max-conversations", "2", "--token-delay-ms", "0"]);
    let port = chat.port;
    // The id of `done`, the last event of conversation `c`'s answer.
    let done_id = |c: &str| {
        let response = get(port, &format!("/stream?c={c}&q=hi"), None);
        assert_eq!(response.status, 200, "{}", response.head);
        decode(&response.body).events.last().unwrap().id.clone()
    };
    let a = done_id("a");
    let b = done_id("b");
    // Both kept: a client that has the whole answer gets 204.
    assert_eq!(get(port, "/stream?c=b&q=hi", Some(&b)).status, 204);
    assert_eq!(get(port, "/stream?c=a&q=hi", Some(&a)).status, 204);
    // `a` was used last: a third conversation makes `b` forgotten.
    done_id("c");
    assert_eq!(stats(port)["conversations"], json!(2));
    assert_eq!(get(port, "/stream?c=a&q=hi", Some(&a)).status, 204);
    let forgotten = get(port, "/stream?c=b&q=hi", Some(&b));
    assert_eq!(forgotten.status, 200, "{}", forgotten.head);
    assert_eq!(decode(&forgotten.body).events[0].event_type, "reset");
}

#[test]
fn a_question_or_conversation_id_over_its_bound_gets_400() {
    let chat = Chat::start(&[
        "--max-question-bytes",
        "30",
        "--max-conversation-bytes",
        "10",
        "--token-delay-ms",
        "0",
    ]);
    let port = chat.port;
    // Bytes, not characters: 10 two-byte characters are 20 bytes.
    let long_question = percent_encode(&"é".repeat(16));
    for path in [
        format!("/stream?c=ok&q={long_question}"),
        format!("/stream?c={}&q=hi", "c".repeat(11)),
        // Without `c`, the question names the conversation.
        format!("/stream?q={}", "q".repeat(11)),
    ] {
        let response = get(port, &path, None);
        assert_eq!(response.status, 400, "{path}: {}", response.head);
    }
    let at_bounds = format!("/stream?c={}&q={}", "c".repeat(10), "q".repeat(30));
    assert_eq!(get(port, &at_bounds, None).status, 200);
    assert_eq!(stats(port)["conversations"], json!(1));
}

/// The log lines that contain `needle`, once there is one; every line of
/// the log is short.
fn log_lines_with(chat: &Chat, needle: &str) -> Vec<String> {
    chat.wait_for(&format!("a log line with {needle:?}"), WATCHDOG, || {
        chat.log().contains(needle)
    });
    let log = chat.log();
    for line in log.lines() {
        assert!(line.len() <= SHORT_LINE, "a long log line: {line:?}");
    }
    log.lines()
        .filter(|line| line.contains(needle))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_60_kb_last_event_id_gives_one_short_log_line() {
    let chat = Chat::start(&["--token-delay-ms", "0"]);
    let id = format!("forged-{}", "7".repeat(60_000));
    let response: Response = get(chat.port, "/stream?c=big&q=hi", Some(&id));
    assert_eq!(response.status, 200, "{}", response.head);
    assert_eq!(decode(&response.body).events[0].event_type, "reset");
    let lines = log_lines_with(&chat, "forged-777");
    assert_eq!(lines.len(), 1, "{lines:#?}");
    // The first 40 characters, and how much more there was.
    let shown = format!("\"forged-{}…(+{} bytes)\"", "7".repeat(33), id.len() - 40);
    assert!(lines[0].contains(&shown), "{lines:#?}");
}

#[test]
fn a_conversation_id_with_cr_lf_gives_one_short_escaped_log_line() {
    let chat = Chat::start(&["--token-delay-ms", "0"]);
    let c = "a\r\nchat: [x] forged\nevent: x\u{202e}";
    let path = format!("/stream?c={}&q=hi", percent_encode(c));
    let response = request(chat.port, "GET", &path, &[]);
    assert_eq!(response.status, 200, "{}", response.head);
    let lines = log_lines_with(&chat, "forged");
    assert_eq!(
        lines,
        ["chat: [a\\r\\nchat: [x] forged\\nevent: x\\u{202e}] answer delivered"],
        "one line, the id escaped"
    );
    let log = chat.log();
    assert!(!log.lines().any(|line| line.starts_with("event:")), "{log}");
}
