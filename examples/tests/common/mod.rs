//! Shared by the integration tests that run the examples as programs.

// Each test target uses part of this module.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use sse_core::{Decoder, EndOfBody, InlineBuffers, Item};

/// The path of the built example `name`, building it first when it is
/// missing or older than the sources. `cargo test` builds the examples
/// before it runs integration tests; `cargo test --test X` does not, so then
/// this runs `cargo build -p sse-core-examples --example NAME` with the profile of the
/// running test (the `CARGO` that runs the tests, else `cargo` on the `PATH`).
pub(crate) fn example(name: &str) -> PathBuf {
    // target/<dir>/deps/<test>-<hash> -> target/<dir>/examples/<name>
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary is in target/<profile>/deps");
    let path = dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    // One build at a time: the tests of a target run in parallel.
    static BUILDING: Mutex<()> = Mutex::new(());
    let _building = BUILDING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let built = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    if built.is_none_or(|built| built < newest_source()) {
        // `cargo test` puts its test profile's output in `debug`.
        let profile = match dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => "test",
            Some(other) => other,
        };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        eprintln!("{} is not built or is stale: building it", path.display());
        let status = Command::new(cargo)
            .args([
                "build",
                "--profile",
                profile,
                "-p",
                "sse-core-examples",
                "--example",
                name,
            ])
            .arg("--manifest-path")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .stdin(Stdio::null())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the {name} example failed");
    }
    assert!(
        path.exists(),
        "{} not built: run `cargo build -p sse-core-examples --examples` (plain `cargo test` builds it)",
        path.display()
    );
    path
}

/// When the newest file the examples are built from was changed.
fn newest_source() -> std::time::SystemTime {
    fn newest(path: &std::path::Path) -> std::time::SystemTime {
        let Ok(meta) = std::fs::metadata(path) else {
            return std::time::UNIX_EPOCH;
        };
        let mut time = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
        if meta.is_dir() {
            for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                time = time.max(newest(&entry.path()));
            }
        }
        time
    }
    let package = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        "lib.rs",
        "chat",
        "chat.rs",
        "tail.rs",
        "codec.rs",
        "encode.rs",
        "decode.rs",
        "Cargo.toml",
        "../sse-core/src",
        "../Cargo.lock",
    ]
    .iter()
    .map(|p| newest(&package.join(p)))
    .max()
    .unwrap_or(std::time::UNIX_EPOCH)
}

/// The output of a program run under a watchdog.
pub(crate) struct Run {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `command` to its end, killing it and failing after `limit`.
pub(crate) fn run(command: &mut Command, limit: Duration) -> Run {
    run_with_input(command, None, limit)
}

/// [`run`], with `stdin` as the program's standard input (else none).
pub(crate) fn run_with_input(command: &mut Command, stdin: Option<&[u8]>, limit: Duration) -> Run {
    use std::io::Write;
    let mut child = command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program starts");
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let input = input.to_vec();
        thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
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

/// A running `chat` example on a free port; killed when dropped.
pub(crate) struct Chat {
    child: std::process::Child,
    pub(crate) port: u16,
    /// `https` with `--tls`, else `http`.
    pub(crate) scheme: &'static str,
    /// Everything it printed after the first line, stdout and stderr.
    log: std::sync::Arc<Mutex<String>>,
}

impl Chat {
    /// Starts the example with `--port 0` and `args`; waits for its first line.
    pub(crate) fn start(args: &[&str]) -> Self {
        Self::start_with_env(args, &[])
    }

    /// [`start`](Self::start) with these environment variables set.
    pub(crate) fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Self {
        use std::io::{BufRead, BufReader};
        use std::sync::{Arc, mpsc};
        let mut child = Command::new(example("chat"))
            .args(["--port", "0"])
            .args(args)
            .envs(env.iter().copied())
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
        let (scheme, rest) = match line.strip_prefix("chat: listening on https://") {
            Some(rest) => ("https", Some(rest)),
            None => ("http", line.strip_prefix("chat: listening on http://")),
        };
        let port = rest
            .and_then(|rest| rest.strip_prefix("127.0.0.1:"))
            .and_then(|rest| rest.strip_suffix('/'))
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the chat example: {line:?}"));
        Self {
            child,
            port,
            scheme,
            log,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}://127.0.0.1:{}{path}", self.scheme, self.port)
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until `done` holds, looking every 10 ms; after `limit` fails
    /// the test with `what` and the server's log (read as it writes it).
    pub(crate) fn wait_for(&self, what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + limit;
        while !done() {
            assert!(
                Instant::now() < deadline,
                "not after {limit:?}: {what}\nchat's log:\n{}",
                self.log()
            );
            thread::sleep(Duration::from_millis(10));
        }
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

// ---------------------------------------------------------------------------
// HTTP/1.1 by hand, and stream bodies decoded by sse-core.

/// How long a response may stay silent before a read fails.
const READ_LIMIT: Duration = Duration::from_secs(60);

/// A whole HTTP response.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) head: String,
    pub(crate) body: Vec<u8>,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// `GET path`, with a `Last-Event-ID` header when given.
pub(crate) fn get(port: u16, path: &str, last_event_id: Option<&str>) -> Response {
    let id_header = last_event_id.map(|id| format!("Last-Event-ID: {id}"));
    request(port, "GET", path, id_header.as_slice())
}

/// Sends a request with `headers` (`Name: value`) and reads the whole
/// response, undoing the chunked transfer coding of the body (of which the
/// end may be missing).
pub(crate) fn request(port: u16, method: &str, path: &str, headers: &[String]) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to chat");
    stream.set_read_timeout(Some(READ_LIMIT)).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
    );
    for header in headers {
        request.push_str(&format!("{header}\r\n"));
    }
    request.push_str("Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    stream
        .read_to_end(&mut bytes)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("{method} {path}: no response head in {bytes:?}"));
    let head = String::from_utf8(bytes[..end].to_vec()).unwrap();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{method} {path}: bad status line in {head:?}"));
    let mut response = Response {
        status,
        head,
        body: bytes[end + 4..].to_vec(),
    };
    if response.header("transfer-encoding") == Some("chunked") {
        response.body = dechunk(&response.body);
    }
    response
}

/// The data of a chunked body, as far as it goes.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut data = Vec::new();
    while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&body[..line_end])
            .ok()
            .and_then(|size| usize::from_str_radix(size.split(';').next()?.trim(), 16).ok())
            .unwrap_or_else(|| panic!("bad chunk size line in {body:?}"));
        body = &body[line_end + 2..];
        if size == 0 {
            break;
        }
        let size = size.min(body.len());
        data.extend_from_slice(&body[..size]);
        body = body.get(size + 2..).unwrap_or_default();
    }
    data
}

/// Reads until the server closes the connection; returns what it sent.
/// A reset counts as closed.
pub(crate) fn read_to_close(tcp: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tcp.read(&mut buf) {
            Ok(0) => return received,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return received,
            Err(e) => panic!("the server did not close the connection: {e}"),
        }
    }
}

/// A decoded stream body.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub(crate) events: Vec<Ev>,
    pub(crate) retries: Vec<u64>,
    pub(crate) heartbeats: usize,
    pub(crate) end: EndOfBody,
}

/// Decodes a whole stream body: events, `retry` fields and heartbeats
/// (empty comments); any other item fails the test.
pub(crate) fn decode(body: &[u8]) -> Decoded {
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

/// One event of a chat answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ev {
    pub(crate) event_type: String,
    pub(crate) data: String,
    pub(crate) id: String,
}

/// Checks a whole answer: tokens with ids 1..=n in order, then `done` with
/// id n + 1 and their concatenation as data. Returns the answer.
pub(crate) fn check_answer(events: &[Ev], question: &str) -> String {
    for (index, event) in events.iter().enumerate() {
        assert_eq!(
            event.id,
            (index + 1).to_string(),
            "event {} of {}: tokens must come once each, in order:\n{events:#?}",
            index + 1,
            events.len(),
        );
    }
    check_answer_text(events, question)
}

/// [`check_answer`] but for the ids: tokens, then `done` with their
/// concatenation as data, whatever the ids. Returns the answer.
pub(crate) fn check_answer_text(events: &[Ev], question: &str) -> String {
    let (done, tokens) = events.split_last().expect("no events at all");
    assert_eq!(done.event_type, "done", "the last event is not `done`");
    let n = tokens.len();
    assert!(
        (40..=120).contains(&n),
        "{n} tokens: the answer should have 40 to 120"
    );
    for (index, token) in tokens.iter().enumerate() {
        assert_eq!(
            token.event_type,
            "token",
            "event {} of {}: tokens, then `done`:\n{events:#?}",
            index + 1,
            events.len(),
        );
    }
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
