//! The `tail` example against scripted loopback servers: chunked and plain
//! bodies, `retry`, `Last-Event-ID` on reconnection (R39), the incomplete
//! event dropped at the end of a body (R34), 204 ending it for good (R41);
//! its options (`-H`, `-X`, `-d`, `--last-event-id`, `--retry-ms`,
//! `--read-timeout-ms`, `--comments`, `--max-data`, `--once`,
//! `--exit-on-data`, the last two against a fake model API); and redirects
//! (R43).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

mod common;
use common::{Run, example, run};

/// How long any one program or accept may take before the test fails.
const WATCHDOG: Duration = Duration::from_secs(60);

/// A request as the server saw it.
#[derive(Debug)]
struct Seen {
    /// Which listener it came to.
    listener: usize,
    method: String,
    path: String,
    /// `(lower-case name, value)`.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with the next request.
enum Step {
    /// Answer with these bytes and close the connection.
    Reply(usize, Vec<u8>),
    /// Answer with these bytes and keep the connection open, silent, to the end.
    Stall(usize, Vec<u8>),
}

/// Serves `steps` in order, each on a new connection to its listener;
/// returns what was asked.
fn serve(listeners: Vec<TcpListener>, steps: Vec<Step>) -> JoinHandle<Vec<Seen>> {
    // Built (when it must be) before the server's watchdog starts.
    example("tail");
    thread::spawn(move || {
        let mut seen = Vec::new();
        let mut stalled = Vec::new();
        for step in steps {
            let (index, response, stall) = match step {
                Step::Reply(i, r) => (i, r, false),
                Step::Stall(i, r) => (i, r, true),
            };
            let stream = accept(&listeners[index]);
            let mut request = read_request(stream);
            request.0.listener = index;
            request.1.write_all(&response).unwrap();
            seen.push(request.0);
            if stall {
                stalled.push(request.1);
            }
        }
        seen
    })
}

fn accept(listener: &TcpListener) -> TcpStream {
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + WATCHDOG;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).unwrap();
                return stream;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "no request came");
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
}

fn read_request(stream: TcpStream) -> (Seen, TcpStream) {
    stream.set_read_timeout(Some(WATCHDOG)).unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or_default().to_string(),
        parts.next().unwrap_or_default().to_string(),
    );
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let mut seen = Seen {
        listener: 0,
        method,
        path,
        headers,
        body: Vec::new(),
    };
    let length = seen
        .header("content-length")
        .map_or(0, |n| n.parse().unwrap());
    seen.body = vec![0; length];
    reader.read_exact(&mut seen.body).unwrap();
    (seen, reader.into_inner())
}

fn listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn tail(args: &[&str]) -> Run {
    run(Command::new(example("tail")).args(args), WATCHDOG)
}

const STREAM_HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";
const NO_CONTENT: &[u8] = b"HTTP/1.1 204 No Content\r\n\r\n";

fn stream(body: &str) -> Vec<u8> {
    format!("{STREAM_HEAD}{body}").into_bytes()
}

fn redirect(status: &str, location: &str) -> Vec<u8> {
    format!("HTTP/1.1 {status}\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .into_bytes()
}

#[test]
fn tail_follows_retry_last_event_id_and_stops_on_204() {
    let (listener, port) = listener();
    let server = serve(
        vec![listener],
        vec![
            Step::Reply(
                0,
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n\
                  2b\r\nretry: 20\nid: 1\ndata: first\n\n: ping\nid: 2\r\n\r\n\
                  d\r\ndata: partial\r\n0\r\n\r\n"
                    .to_vec(),
            ),
            Step::Reply(
                0,
                b"HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream; charset=utf-8\r\n\r\nevent: t\ndata: second\n\n"
                    .to_vec(),
            ),
            Step::Reply(0, NO_CONTENT.to_vec()),
        ],
    );
    let out = tail(&[&format!("http://127.0.0.1:{port}/stream")]);
    let requests = server.join().unwrap();
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(
        out.stdout,
        concat!(
            r#"{"retry":20}"#,
            "\n",
            r#"{"type":"message","data":"first","last_event_id":"1"}"#,
            "\n",
            r#"{"type":"t","data":"second","last_event_id":"1"}"#,
            "\n",
        )
    );
    let stderr = out.stderr;
    assert!(stderr.contains("tail: OPEN"), "{stderr}");
    assert!(stderr.contains("reconnecting in 20 ms"), "{stderr}");
    assert!(
        stderr.contains("failed: response status 204 is not 200"),
        "{stderr}"
    );
    assert!(stderr.trim_end().ends_with("tail: CLOSED"), "{stderr}");
    for request in &requests {
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("GET", "/stream")
        );
        assert_eq!(
            request.header("accept"),
            Some("text/event-stream"),
            "{request:?}"
        );
        assert_eq!(
            request.header("cache-control"),
            Some("no-cache"),
            "{request:?}"
        );
    }
    assert_eq!(requests[0].header("last-event-id"), None);
    // id 2 was in an event the body never finished, so it was never committed.
    assert_eq!(requests[1].header("last-event-id"), Some("1"));
    assert_eq!(requests[2].header("last-event-id"), Some("1"));
}

#[test]
fn tail_options_headers_post_body_resume_retry_timeout_comments() {
    let (listener, port) = listener();
    let server = serve(
        vec![listener],
        vec![
            // Comments, an event, then silence: the read timeout reconnects.
            Step::Stall(0, stream(": ping\n:\nid: 42\ndata: one\n\n")),
            // No `retry` in the stream: --retry-ms is the reconnection time.
            Step::Reply(0, stream("data: two\n\n")),
            Step::Reply(0, NO_CONTENT.to_vec()),
        ],
    );
    let body = r#"{"model":"m","stream":true}"#;
    let out = tail(&[
        "-X",
        "POST",
        "-H",
        "Authorization: Bearer t0k",
        "-H",
        "Content-Type: application/json",
        "--header",
        "X-Trace:  a b ",
        "-d",
        body,
        "--last-event-id",
        "41",
        "--retry-ms",
        "30",
        "--read-timeout-ms",
        "300",
        "--comments",
        &format!("http://127.0.0.1:{port}/v1/chat?stream=1"),
    ]);
    let requests = server.join().unwrap();
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(
        out.stdout,
        concat!(
            r#"{"comment":"ping"}"#,
            "\n",
            r#"{"comment":""}"#,
            "\n",
            r#"{"type":"message","data":"one","last_event_id":"42"}"#,
            "\n",
            r#"{"type":"message","data":"two","last_event_id":"42"}"#,
            "\n",
        )
    );
    assert!(
        out.stderr.contains("tail: nothing received for 300 ms"),
        "{}",
        out.stderr
    );
    assert_eq!(
        out.stderr.matches("tail: reconnecting in 30 ms").count(),
        2,
        "{}",
        out.stderr
    );
    // The same request every time, with the id that arrived.
    for (request, id) in requests.iter().zip(["41", "42", "42"]) {
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/v1/chat?stream=1")
        );
        assert_eq!(request.body, body.as_bytes());
        assert_eq!(request.header("authorization"), Some("Bearer t0k"));
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("x-trace"), Some("a b"));
        assert_eq!(request.header("accept"), Some("text/event-stream"));
        assert_eq!(request.header("last-event-id"), Some(id), "{request:?}");
    }
}

#[test]
fn tail_takes_a_7_mb_event_by_default_and_reports_one_over_max_data() {
    let big = "x".repeat(7_000_000);
    let (listener, port) = listener();
    let body = format!("data: {big}\n\ndata: small\n\n");
    let server = serve(
        vec![listener],
        vec![
            Step::Reply(0, stream(&body)),
            Step::Reply(0, NO_CONTENT.to_vec()),
            Step::Reply(0, stream(&body)),
            Step::Reply(0, NO_CONTENT.to_vec()),
        ],
    );
    let url = format!("http://127.0.0.1:{port}/");
    let out = tail(&["--retry-ms", "0", &url]);
    assert!(out.status.success(), "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2);
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert!(first["data"] == big.as_str(), "the 7 MB event");
    assert_eq!(
        lines[1],
        r#"{"type":"message","data":"small","last_event_id":""}"#
    );

    let out = tail(&["--retry-ms", "0", "--max-data", "1000", &url]);
    server.join().unwrap();
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(
        out.stdout,
        concat!(
            r#"{"error":"event data longer than the limit of 1000 bytes"}"#,
            "\n",
            r#"{"type":"message","data":"small","last_event_id":""}"#,
            "\n",
        )
    );
}

#[test]
fn tail_follows_redirects_and_reconnects_to_the_last_target() {
    let (first, port) = listener();
    let (second, other_port) = listener();
    let elsewhere = format!("http://127.0.0.1:{other_port}");
    let server = serve(
        vec![first, second],
        vec![
            Step::Reply(0, redirect("307 Temporary Redirect", "/b")),
            Step::Reply(0, redirect("308 Permanent Redirect", "c?x=1")),
            Step::Reply(0, redirect("301 Moved Permanently", "/d")),
            // Another origin: the credentials stay behind.
            Step::Reply(0, redirect("302 Found", &format!("{elsewhere}/e"))),
            Step::Reply(1, redirect("303 See Other", "/f")),
            Step::Reply(1, stream("retry: 10\nid: 7\ndata: there\n\n")),
            // The reconnection goes straight to the last target.
            Step::Reply(1, stream("data: again\n\n")),
            Step::Reply(1, NO_CONTENT.to_vec()),
        ],
    );
    let out = tail(&[
        "-X",
        "PUT",
        "-d",
        "body",
        "-H",
        "Authorization: Bearer t0k",
        "-H",
        "Content-Type: text/plain",
        "-H",
        "X-Keep: 1",
        &format!("http://127.0.0.1:{port}/a/"),
    ]);
    let requests = server.join().unwrap();
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(
        out.stdout,
        concat!(
            r#"{"retry":10}"#,
            "\n",
            r#"{"type":"message","data":"there","last_event_id":"7"}"#,
            "\n",
            r#"{"type":"message","data":"again","last_event_id":"7"}"#,
            "\n",
        )
    );
    for status in ["307", "308", "301", "302", "303"] {
        assert!(
            out.stderr.contains(&format!("tail: {status} ")),
            "{status}: {}",
            out.stderr
        );
    }
    let asked: Vec<(usize, &str, &str, &[u8])> = requests
        .iter()
        .map(|r| {
            (
                r.listener,
                r.method.as_str(),
                r.path.as_str(),
                r.body.as_slice(),
            )
        })
        .collect();
    assert_eq!(
        asked,
        [
            (0, "PUT", "/a/", &b"body"[..]),
            // 307 and 308 keep the method and body; 301 and 302 change only a POST.
            (0, "PUT", "/b", b"body"),
            (0, "PUT", "/c?x=1", b"body"),
            (0, "PUT", "/d", b"body"),
            (1, "PUT", "/e", b"body"),
            // 303: a GET without body from then on.
            (1, "GET", "/f", b""),
            (1, "GET", "/f", b""),
            (1, "GET", "/f", b""),
        ]
    );
    for request in &requests {
        let same_origin = request.listener == 0;
        assert_eq!(
            request.header("authorization").is_some(),
            same_origin,
            "{request:?}"
        );
        assert_eq!(request.header("x-keep"), Some("1"), "{request:?}");
        assert_eq!(
            request.header("content-type").is_some(),
            request.method == "PUT",
            "{request:?}"
        );
    }
    assert_eq!(requests[7].header("last-event-id"), Some("7"));
}

#[test]
fn tail_turns_a_post_into_a_get_on_301_and_302() {
    let (listener, port) = listener();
    let server = serve(
        vec![listener],
        vec![
            Step::Reply(0, redirect("301 Moved Permanently", "/b")),
            Step::Reply(0, NO_CONTENT.to_vec()),
            Step::Reply(0, redirect("302 Found", "/b")),
            Step::Reply(0, NO_CONTENT.to_vec()),
        ],
    );
    let url = format!("http://127.0.0.1:{port}/a");
    for _ in 0..2 {
        let out = tail(&["-d", "q=1", &url]);
        assert!(out.status.success(), "{}", out.stderr);
    }
    let requests = server.join().unwrap();
    let asked: Vec<(&str, &str, usize)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.body.len()))
        .collect();
    assert_eq!(
        asked,
        [
            ("POST", "/a", 3),
            ("GET", "/b", 0),
            ("POST", "/a", 3),
            ("GET", "/b", 0)
        ]
    );
}

#[test]
fn tail_fails_on_a_redirect_it_cannot_follow() {
    let (listener, port) = listener();
    let url = format!("http://127.0.0.1:{port}/a");
    let mut steps = vec![
        Step::Reply(0, redirect("302 Found", "")),
        Step::Reply(0, redirect("301 Moved Permanently", "ftp://127.0.0.1/file")),
        Step::Reply(
            0,
            redirect("307 Temporary Redirect", "data:text/event-stream,x"),
        ),
    ];
    // A loop: 20 redirects are followed, the 21st fails.
    steps.extend((0..21).map(|_| Step::Reply(0, redirect("302 Found", "/a"))));
    let server = serve(vec![listener], steps);
    for (what, expected) in [
        (
            "an empty Location",
            "302 Found redirect to \"\": not an HTTP URL",
        ),
        (
            "ftp",
            "redirect to \"ftp://127.0.0.1/file\": not an HTTP URL",
        ),
        (
            "data",
            "redirect to \"data:text/event-stream,x\": not an HTTP URL",
        ),
        ("a loop", "more than 20 redirects"),
    ] {
        let out = tail(&[&url]);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{what}: {}", out.stdout);
        assert!(
            out.stderr.contains(&format!("tail: failed: {url}: ")) && out.stderr.contains(expected),
            "{what}: {}",
            out.stderr
        );
        assert!(
            out.stderr.trim_end().ends_with("tail: CLOSED"),
            "{what}: {}",
            out.stderr
        );
    }
    assert_eq!(server.join().unwrap().len(), 24);
}

#[test]
fn tail_rejects_bad_options() {
    for (args, expected) in [
        (
            &["-H", "no colon", "http://127.0.0.1:1/"][..],
            "Name: value",
        ),
        (
            &["-H", "Last-Event-ID: 3", "http://127.0.0.1:1/"],
            "--last-event-id",
        ),
        (&["ftp://127.0.0.1/x"], "not an http:// or https:// URL"),
        (
            &["--last-event-id", "a\nb", "http://127.0.0.1:1/"],
            "--last-event-id",
        ),
    ] {
        let out = tail(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(expected), "{args:?}: {}", out.stderr);
    }
}

#[path = "support/upstream.rs"]
mod upstream;

/// `tail -X POST -d ... --once --exit-on-data '[DONE]'` against a model API:
/// every chunk printed, one call, exit 0; and each failure exits 1 after
/// one call.
#[test]
fn tail_once_asks_a_model_once() {
    let tokens = ["Hel", "lo", ",", " world", "!\n", "😀"];
    let question =
        r#"{"model":"fake-model","stream":true,"messages":[{"role":"user","content":"Hi"}]}"#;
    for crlf in [false, true] {
        let upstream = upstream::Upstream::start(upstream::Script::Answer {
            tokens: tokens.iter().map(|t| (*t).to_owned()).collect(),
            crlf,
            piece: 5,
            pace: Duration::from_millis(2),
        });
        let url = upstream.completions_url();
        let out = tail(&[
            "--once",
            "--exit-on-data",
            "[DONE]",
            "-H",
            "Content-Type: application/json",
            "-d",
            question,
            &url,
        ]);
        assert!(out.status.success(), "{}", out.stderr);
        let lines: Vec<serde_json::Value> = out
            .stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines[0], serde_json::json!({ "retry": 3000 }));
        let content: String = lines[1..]
            .iter()
            .filter_map(|line| {
                serde_json::from_str::<serde_json::Value>(line["data"].as_str()?).ok()
            })
            .filter_map(|chunk| Some(chunk["choices"][0]["delta"]["content"].as_str()?.to_owned()))
            .collect();
        assert_eq!(content, tokens.concat(), "crlf {crlf}");
        assert_eq!(lines.last().unwrap()["data"], "[DONE]");
        assert_eq!(upstream.calls(), 1, "crlf {crlf}");
        assert_eq!(upstream.requests()[0]["messages"][0]["content"], "Hi");
    }

    // Without --exit-on-data, the clean end of the body ends it: no second call.
    let upstream = upstream::Upstream::start(upstream::Script::answer(&["a", "b"]));
    let out = tail(&["--once", "-d", question, &upstream.completions_url()]);
    assert!(out.status.success(), "{}", out.stderr);
    assert!(
        out.stdout
            .ends_with("\"data\":\"[DONE]\",\"last_event_id\":\"\"}\n"),
        "{}",
        out.stdout
    );
    assert_eq!(upstream.calls(), 1);

    // Failures: a broken body, an error status, a body that ends in the
    // middle of an event, nothing listening.
    let broken = upstream::Script::BreakAfter {
        tokens: vec!["a".into(), "b".into(), "c".into()],
        after: 2,
    };
    for script in [broken, upstream::Script::Status(401, "bad key".into())] {
        let upstream = upstream::Upstream::start(script.clone());
        let out = tail(&[
            "--once",
            "--exit-on-data",
            "[DONE]",
            "-d",
            question,
            &upstream.completions_url(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{script:?}: {}", out.stderr);
        assert_eq!(upstream.calls(), 1, "{script:?}");
    }
    let (cut, port) = listener();
    let cut_off = serve(
        vec![cut],
        vec![Step::Reply(0, stream("data: {\"choices\""))],
    );
    let out = tail(&[
        "--once",
        "-d",
        question,
        &format!("http://127.0.0.1:{port}/v1/chat/completions"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("in the middle of an event"),
        "{}",
        out.stderr
    );
    assert_eq!(cut_off.join().unwrap().len(), 1);
    let (closed, port) = listener();
    drop(closed);
    let out = tail(&[
        "--once",
        "-d",
        question,
        &format!("http://127.0.0.1:{port}/v1/chat/completions"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
}
