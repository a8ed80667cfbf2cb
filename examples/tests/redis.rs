//! The `chat` example on Redis Streams (`--redis URL`), run as the program it
//! is, against a real `redis-server` that each test starts on a free
//! loopback port (`--save '' --appendonly no`, in a fresh directory) and
//! stops:
//!
//! - two instances on one Redis: a client reads part of an answer from
//!   instance A, which drops the connection (`--drop-every`), reconnects to
//!   instance B with its `Last-Event-ID` and gets every remaining token
//!   exactly once, in order; a client that joins late on B gets the whole
//!   answer; one instance generated it; `204` after `done`, `reset` for ids
//!   not in the log;
//! - Redis stops mid-answer: the stream ends with `event: server-error`, the
//!   server keeps running (and answers a reconnection with the error too),
//!   and once Redis is back a reconnection resumes where the client was.
//! - with a model (`--upstream`, the fake one of `support/upstream.rs`): an
//!   answer cut off on one instance resumes on the other from Redis, and an
//!   instance that stops while it asks the model leaves the answer to end
//!   with `server-error` on the other, never with a second call.
//!
//! The tests need Debian's `redis-server` (on the `PATH`, or the path in the
//! `REDIS_SERVER` environment variable); `.ci/install-redis` installs it.
//! Without it they print `skipped: redis-server not found` and pass, unless
//! `CI` is set: then they fail.
#![cfg(all(unix, not(miri)))]

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sse_core::EndOfBody;

mod common;
use common::{Chat, Ev, check_answer_text, decode, get};
use sse_core_examples::percent_encode;

#[path = "support/missing.rs"]
mod missing;

#[path = "support/upstream.rs"]
mod upstream;
use upstream::{Script, Upstream};

/// How long any one wait may take before the test fails.
const WATCHDOG: Duration = Duration::from_secs(60);

/// `redis-server` (`REDIS_SERVER`, else on the `PATH`), or `None` after the
/// loud skip line (a failure when `CI` is set).
fn redis_server(test: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("REDIS_SERVER") {
        return Some(PathBuf::from(path));
    }
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("redis-server"))
            .find(|program| program.is_file())
    });
    if found.is_none() {
        missing::skip_missing(
            "redis-server",
            test,
            "not on the PATH, and REDIS_SERVER is not set",
            "`bash .ci/install-redis` installs it (apt-get install redis-server), or set \
             REDIS_SERVER to a redis-server binary",
        );
    }
    found
}

/// A `redis-server` of this test on 127.0.0.1, with no persistence of its
/// own and its directory under `CARGO_TARGET_TMPDIR`; killed (and the
/// directory removed) when dropped.
struct RedisServer {
    program: PathBuf,
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl RedisServer {
    fn start(program: &Path) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("redis-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&dir).expect("create the Redis directory");
        let mut server = Self {
            program: program.to_path_buf(),
            port: 0,
            dir,
            child: None,
        };
        // A free port can be taken between the probe and the server's bind:
        // then the server exits, and the next try takes another port.
        for _ in 0..5 {
            let probe = TcpListener::bind(("127.0.0.1", 0)).expect("bind a free port");
            server.port = probe.local_addr().unwrap().port();
            drop(probe);
            if server.launch() {
                return server;
            }
        }
        panic!("redis-server did not start; its log:\n{}", server.log());
    }

    /// Starts the server on `port`, loading `dump.rdb` from the directory
    /// if there is one; `false` when it exited before answering `PING`.
    fn launch(&mut self) -> bool {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("redis.log"))
            .expect("create the Redis log");
        let child = Command::new(&self.program)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.program.display()));
        self.child = Some(child);
        let deadline = Instant::now() + WATCHDOG;
        loop {
            if self
                .try_command(&["PING"])
                .is_ok_and(|reply| reply == "+PONG")
            {
                return true;
            }
            let child = self.child.as_mut().expect("the server");
            if child.try_wait().unwrap().is_some() {
                return false;
            }
            assert!(
                Instant::now() < deadline,
                "redis-server does not answer PING after {WATCHDOG:?}; its log:\n{}",
                self.log()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default()
    }

    /// Sends one command; returns the first line of the reply.
    fn try_command(&self, args: &[&str]) -> std::io::Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(WATCHDOG))?;
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        stream.write_all(request.as_bytes())?;
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line)?;
        Ok(line.trim_end().to_string())
    }

    /// The integer a command answers.
    fn integer(&self, args: &[&str]) -> i64 {
        let reply = self
            .try_command(args)
            .unwrap_or_else(|e| panic!("Redis {args:?}: {e}"));
        reply
            .strip_prefix(':')
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("Redis {args:?} answered {reply:?}"))
    }

    /// `SHUTDOWN SAVE`: the server writes its data to `dump.rdb` and exits.
    fn stop_saving(&mut self) {
        // The server closes the connection without a reply.
        let _ = self.try_command(&["SHUTDOWN", "SAVE"]);
        let child = self.child.as_mut().expect("a running server");
        let deadline = Instant::now() + WATCHDOG;
        while child.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < deadline,
                "redis-server still running {WATCHDOG:?} after SHUTDOWN SAVE"
            );
            thread::sleep(Duration::from_millis(10));
        }
        self.child = None;
    }

    /// Starts the server again on its port, with the data it saved.
    fn restart(&mut self) {
        assert!(
            self.launch(),
            "redis-server did not start again on port {}; its log:\n{}",
            self.port,
            self.log()
        );
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if thread::panicking() {
            eprintln!("redis-server's log:\n{}", self.log());
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Checks that the events' ids are stream entry ids (`<ms>-<seq>`), each
/// greater than the one before.
fn check_entry_ids(events: &[Ev]) {
    let ids: Vec<(u64, u64)> = events
        .iter()
        .map(|event| {
            event
                .id
                .split_once('-')
                .and_then(|(ms, seq)| Some((ms.parse().ok()?, seq.parse().ok()?)))
                .unwrap_or_else(|| panic!("{:?} is not a stream entry id", event.id))
        })
        .collect();
    assert!(
        ids.windows(2).all(|pair| pair[0] < pair[1]),
        "ids do not increase: {ids:?}"
    );
}

#[test]
fn a_client_cut_off_on_one_instance_resumes_on_another() {
    let Some(program) = redis_server("chat on Redis (two instances)") else {
        return;
    };
    let started = Instant::now();
    let redis = RedisServer::start(&program);
    const DROP_EVERY: usize = 10;
    let a = Chat::start(&[
        "--redis",
        &redis.url(),
        "--drop-every",
        &DROP_EVERY.to_string(),
        "--token-delay-ms",
        "20",
    ]);
    let b = Chat::start(&["--redis", &redis.url(), "--token-delay-ms", "20"]);
    let logs = || {
        format!(
            "instance A's log:\n{}\ninstance B's log:\n{}",
            a.log(),
            b.log()
        )
    };
    let question = "Which instance answers? (日本語 & emoji 🚀)";
    let path = format!("/stream?c=shared&q={}", percent_encode(question));

    // A: ten events, then half of the next, and the end of the response.
    let first = get(a.port, &path, None);
    assert_eq!(first.status, 200, "{}", first.head);
    let first = decode(&first.body);
    assert_eq!(first.events.len(), DROP_EVERY, "{first:?}\n{}", logs());
    assert_eq!(
        first.end,
        EndOfBody::Discarded,
        "the next event half written"
    );
    let last_id = first.events[DROP_EVERY - 1].id.clone();

    // B: the client with its Last-Event-ID, and a client that joins late.
    let late = thread::spawn({
        let (port, path) = (b.port, path.clone());
        move || get(port, &path, None)
    });
    let rest = get(b.port, &path, Some(&last_id));
    let late = late.join().expect("the late client");
    assert_eq!((rest.status, late.status), (200, 200));
    let (rest, late) = (decode(&rest.body), decode(&late.body));
    assert_eq!((rest.end, late.end), (EndOfBody::Clean, EndOfBody::Clean));
    let mut events = first.events.clone();
    events.extend(rest.events.iter().cloned());
    let answer = check_answer_text(&events, question);
    check_entry_ids(&events);
    assert_eq!(
        late.events, events,
        "the late client's answer differs from the resumed client's"
    );
    assert!(
        b.log().contains(&format!(
            "[shared] resuming after Last-Event-ID {last_id}: replaying"
        )),
        "{}",
        logs()
    );
    // One instance generated the answer, each event once.
    let generators = format!("{}{}", a.log(), b.log())
        .matches("[shared] generating the answer on this instance")
        .count();
    assert_eq!(generators, 1, "instances that generated\n{}", logs());
    assert_eq!(
        redis.integer(&["XLEN", "chat:shared:log"]),
        events.len() as i64,
        "entries in the conversation's stream"
    );

    // The client has `done`: 204, on either instance.
    let done_id = &events.last().unwrap().id;
    for port in [a.port, b.port] {
        let finished = get(port, &path, Some(done_id));
        assert_eq!((finished.status, finished.body.len()), (204, 0));
    }
    // Ids not in the log: `reset`, then the whole answer.
    for id in ["1-0", "7", "no-such-id"] {
        let lost = decode(&get(b.port, &path, Some(id)).body);
        assert_eq!(lost.events[0].event_type, "reset", "Last-Event-ID {id}");
        assert_eq!(lost.events[1..], events, "Last-Event-ID {id}");
    }
    eprintln!(
        "chat on Redis: {} events ({} bytes of answer), cut off on A after {DROP_EVERY}, \
         resumed on B, a late client on B, one generator, in {:.1?}",
        events.len(),
        answer.len(),
        started.elapsed()
    );
}

#[test]
fn redis_stopping_mid_answer_ends_the_stream_and_a_reconnection_resumes() {
    let Some(program) = redis_server("chat on Redis (outage)") else {
        return;
    };
    let started = Instant::now();
    let mut redis = RedisServer::start(&program);
    let chat = Chat::start(&["--redis", &redis.url(), "--token-delay-ms", "30"]);
    let port = chat.port;
    let question = "What happens when Redis stops?";
    let path = format!("/stream?c=outage&q={}", percent_encode(question));

    // A client streams the answer; Redis stops after ten events.
    let reader = thread::spawn({
        let path = path.clone();
        move || get(port, &path, None)
    });
    let deadline = Instant::now() + WATCHDOG;
    while redis.integer(&["XLEN", "chat:outage:log"]) < 10 {
        assert!(
            Instant::now() < deadline,
            "fewer than ten events in the log after {WATCHDOG:?}\n{}",
            chat.log()
        );
        thread::sleep(Duration::from_millis(10));
    }
    redis.stop_saving();
    let cut = reader.join().expect("the client");
    assert_eq!(cut.status, 200);
    let cut = decode(&cut.body);
    assert_eq!(cut.end, EndOfBody::Clean, "{cut:?}");
    let (error, before) = cut.events.split_last().expect("events");
    assert_eq!(error.event_type, "server-error", "{cut:?}\n{}", chat.log());
    assert!(error.data.contains("reconnect to resume"), "{error:?}");
    let last_id = before.last().map(|event| event.id.clone());
    assert_eq!(
        error.id,
        last_id.clone().unwrap_or_default(),
        "the error event leaves the client's Last-Event-ID as it was"
    );

    // The server keeps running, and answers a reconnection with the error.
    assert_eq!(get(port, "/stats", None).status, 200);
    let down = decode(&get(port, &path, last_id.as_deref()).body);
    let types: Vec<&str> = down.events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["server-error"], "{down:?}");
    assert_eq!(down.retries, [1000]);

    // Redis is back (with what it saved): the reconnection resumes.
    redis.restart();
    let resumed = get(port, &path, last_id.as_deref());
    assert_eq!(resumed.status, 200);
    let resumed = decode(&resumed.body);
    assert_eq!(resumed.end, EndOfBody::Clean);
    let mut events = before.to_vec();
    events.extend(resumed.events.iter().cloned());
    check_answer_text(&events, question);
    check_entry_ids(&events);
    let log = chat.log();
    assert!(log.contains("[outage] generator stopped"), "{log}");
    assert_eq!(
        log.matches("[outage] generating the answer on this instance")
            .count(),
        2,
        "the generator, then the one that took over after Redis came back\n{log}"
    );
    eprintln!(
        "chat on Redis, outage: {} events before Redis stopped, {} after it came back, \
         each once, in {:.1?}",
        before.len(),
        resumed.events.len(),
        started.elapsed()
    );
}

#[test]
fn with_a_model_each_answer_is_one_call_whichever_instance_serves_it() {
    let Some(program) = redis_server("chat on Redis with a model") else {
        return;
    };
    let started = Instant::now();
    let redis = RedisServer::start(&program);
    let tokens: Vec<String> = (0..30).map(|i| format!(" w{i}")).collect();
    let upstream = Upstream::start(Script::Answer {
        tokens: tokens.clone(),
        crlf: true,
        piece: 11,
        pace: Duration::from_millis(15),
    });
    let url = redis.url();
    let with = |extra: &[&str]| {
        let mut args = vec![
            "--redis",
            &url,
            "--upstream",
            &upstream.base,
            "--model",
            "fake-model",
        ];
        args.extend_from_slice(extra);
        Chat::start(&args)
    };
    let a = with(&["--drop-every", "5"]);
    let b = with(&[]);
    let logs = || format!("A:\n{}\nB:\n{}", a.log(), b.log());

    // Cut off on A after five tokens, resumed on B.
    let path = "/stream?c=m&q=count";
    let first = decode(&get(a.port, path, None).body);
    assert_eq!(first.events[0].event_type, "model");
    assert_eq!(first.events.len(), 6, "{first:?}\n{}", logs());
    let last_id = first.events[5].id.clone();
    let rest = decode(&get(b.port, path, Some(&last_id)).body);
    assert_eq!(rest.end, EndOfBody::Clean, "{}", logs());
    assert_eq!(rest.events[0].event_type, "model");
    let events: Vec<Ev> = first.events[1..]
        .iter()
        .chain(&rest.events[1..])
        .cloned()
        .collect();
    check_entry_ids(&events);
    let (done, answer) = events.split_last().unwrap();
    let answer: Vec<&str> = answer.iter().map(|e| e.data.as_str()).collect();
    assert_eq!(answer, tokens, "{}", logs());
    assert_eq!(
        (done.event_type.as_str(), &done.data),
        ("done", &tokens.concat())
    );
    assert_eq!(upstream.calls(), 1, "{}", logs());

    // A stops while it asks the model: B, taking over once A's key expires,
    // ends the answer with `server-error` instead of asking again.
    let slow = Upstream::start(Script::Answer {
        tokens: tokens.clone(),
        crlf: false,
        piece: 64,
        pace: Duration::from_millis(100),
    });
    let a = Chat::start(&[
        "--redis",
        &redis.url(),
        "--upstream",
        &slow.base,
        "--model",
        "fake-model",
    ]);
    let b = Chat::start(&[
        "--redis",
        &redis.url(),
        "--upstream",
        &slow.base,
        "--model",
        "fake-model",
    ]);
    let path = "/stream?c=k&q=count%20slowly";
    let mut on_a = TcpStream::connect(("127.0.0.1", a.port)).unwrap();
    write!(on_a, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let deadline = Instant::now() + WATCHDOG;
    while redis.integer(&["XLEN", "chat:k:log"]) < 3 {
        assert!(Instant::now() < deadline, "A never answered:\n{}", a.log());
        thread::sleep(Duration::from_millis(20));
    }
    drop(a);
    let after = decode(&get(b.port, path, None).body);
    let (last, answer) = after.events.split_last().unwrap();
    assert!(answer.len() >= 4, "{after:?}");
    assert_eq!(
        last.event_type,
        "server-error",
        "{after:?}\nB:\n{}",
        b.log()
    );
    assert_eq!(
        last.data,
        "the server that asked the model stopped before the answer's end"
    );
    assert_eq!(get(b.port, path, Some(&last.id)).status, 204);
    assert_eq!(slow.calls(), 1, "B asked the model again:\n{}", b.log());
    eprintln!(
        "chat on Redis with a model: resumed on another instance, and an answer cut by a \
         stopped instance, one call each, in {:.1?}",
        started.elapsed()
    );
}
