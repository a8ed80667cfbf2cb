//! Browser interop of the encoder: a loopback HTTP server (std::net on
//! 127.0.0.1) streams encoder output to headless Chromium, whose page
//! (`tests/browser/page.html`) posts every event its `EventSource` receives
//! back to the server. The test asserts that the browser saw exactly the
//! events that were encoded (type, data, lastEventId, in order), that the
//! reconnection carries `Last-Event-ID` equal to the last id sent (R39), and
//! that the EventSource's own `open`/`error` events come in the order of R54.
//!
//! Needs Debian's `chromium` (`/usr/bin/chromium`, or the path in the
//! `CHROMIUM` environment variable); `.ci/install-browser` installs it. When
//! the browser is missing, the test prints `skipped: chromium not found` and
//! passes, unless `CI` is set: then it fails. When the browser cannot start,
//! the test fails.
#![cfg(all(unix, not(miri)))]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use sse_core::{
    EncodeError, EventWriter, KEEP_ALIVE, Message, encode, encode_comment, encoded_len,
};
use sse_core_tests::{OwnedEvent, Rng, naive, show};

#[path = "../../examples/tests/support/chromium.rs"]
mod chromium;
use chromium::{Browser, chromium_path};

#[path = "../browser/server.rs"]
mod server;
use server::{Request, Server, Site, begin_event_stream, not_found};

/// The page; it fetches `/types`, then opens `/events`.
const PAGE: &str = include_str!("../browser/page.html");
/// How long the whole exchange may take before the test fails.
const WATCHDOG: Duration = Duration::from_secs(90);
/// The reconnection time sent last, before the connection is dropped.
const RETRY_MS: u64 = 100;
/// The type of the event that ends the test, sent on the reconnection.
const DONE: &str = "done";
/// The last id before the drop: non-empty, non-ASCII, with an inner space.
/// No space or tab at either end: Chromium (156) strips those from the
/// `Last-Event-ID` header value, though `lastEventId` keeps them.
const LAST_ID: &str = "last-\u{1F3AF} id \u{2713}";

#[test]
fn chromium_receives_exactly_what_was_encoded() {
    let started = Instant::now();
    let Some(chromium) = chromium_path("browser interop") else {
        return;
    };

    let plan = plan();
    let stream = encode_plan(&plan);
    let expected = expected_events(&plan);
    let last_id = last_id(&plan);
    assert_eq!(last_id, LAST_ID, "the plan must end with the id LAST_ID");

    // The expectations are checked against the reference decoder first, so a
    // mismatch below is the browser's, not the model's.
    let reference = naive::decode(&stream.body, "");
    if let Err(diff) = compare(&expected, &reference.events()) {
        panic!("the test's model disagrees with the naive decoder:\n{diff}");
    }
    assert_eq!(reference.last_event_id, last_id);
    assert!(!reference.discarded);

    let types: BTreeSet<&str> = expected.iter().map(|e| &*e.event_type).collect();
    assert!(!types.contains(DONE), "`{DONE}` is reserved for the end");

    let (body_len, writes) = (stream.body.len(), stream.cuts.len());
    let (server, served) = start_server(stream, &types);
    let url = format!("http://{}/", server.address);
    let mut browser = Browser::launch(&chromium, &url, &[], "browser");
    let report =
        server.wait_for_batches(&mut browser, WATCHDOG, |batches| Ok(parse_report(batches)));

    let received: Vec<OwnedEvent> = report.events;
    let fail = |what: &str| -> ! {
        panic!(
            "{what}\n\n{}\nchromium's stderr (last lines):\n{}",
            server.summary(),
            browser.log_tail(40)
        )
    };
    if let Err(diff) = compare(&expected, &received) {
        fail(&format!(
            "Chromium's events differ from what was encoded ({} events):\n{diff}",
            expected.len()
        ));
    }

    let requests = served.requests().clone();
    let first = &requests[0];
    let reconnect = requests
        .get(1)
        .unwrap_or_else(|| fail("the page ended without reconnecting"));
    for (name, want) in [
        ("accept", "text/event-stream"),
        ("cache-control", "no-cache"),
    ] {
        // R38.
        if first.header(name) != Some(want.as_bytes()) {
            fail(&format!(
                "first /events request: header {name} is {:?}, expected {want:?}",
                first.header(name).map(String::from_utf8_lossy)
            ));
        }
    }
    if let Some(value) = first.header("last-event-id") {
        fail(&format!(
            "the first /events request has Last-Event-ID {:?} (R38: none)",
            String::from_utf8_lossy(value)
        ));
    }
    // R39: the reconnection carries the last id, as UTF-8.
    if reconnect.header("last-event-id") != Some(last_id.as_bytes()) {
        fail(&format!(
            "reconnection: Last-Event-ID is {:?} (bytes {:?}), expected {last_id:?} (bytes {:?})",
            reconnect
                .header("last-event-id")
                .map(String::from_utf8_lossy),
            reconnect.header("last-event-id"),
            last_id.as_bytes(),
        ));
    }

    // R35: the id is kept across the reconnection.
    let done_expected = OwnedEvent {
        event_type: DONE.into(),
        data: "bye".to_string(),
        last_event_id: last_id.to_string(),
    };
    if report.done != done_expected {
        fail(&format!(
            "the `{DONE}` event after reconnecting is {:?}, expected {done_expected:?}",
            report.done
        ));
    }

    // R44, R47, R54: open, the messages, error (CONNECTING), open.
    let n = expected.len() as u64;
    let lifecycle_expected = vec![
        ("open".to_string(), 1, 0),
        ("error".to_string(), 0, n),
        ("open".to_string(), 1, n),
    ];
    if report.lifecycle != lifecycle_expected {
        fail(&format!(
            "plain open/error events (kind, readyState, messages before) are {:?}, expected {lifecycle_expected:?}",
            report.lifecycle
        ));
    }

    drop(browser);
    eprintln!(
        "browser interop: {} events ({} blocks, {} bytes in {} writes) received exactly by Chromium in {:.1?}",
        expected.len(),
        plan.iter().filter(|s| matches!(s, Step::Msg(_))).count(),
        body_len,
        writes,
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------
// The events to send.

/// One step of the stream.
#[derive(Clone, Debug)]
enum Step {
    /// An event block (or an id/type/retry-only block).
    Msg(Msg),
    /// A comment (R18).
    Comment(String),
    /// `KEEP_ALIVE`.
    KeepAlive,
}

/// An owned `Message`, and how to write it.
#[derive(Clone, Debug, Default)]
struct Msg {
    data: Option<String>,
    event_type: Option<String>,
    id: Option<String>,
    retry: Option<u64>,
    /// Write with `EventWriter`: the data in pieces cut at these byte
    /// offsets, and this comment between the header and the data.
    pieces: Option<(Vec<usize>, Option<String>)>,
}

impl Msg {
    fn data(data: &str) -> Self {
        Self {
            data: Some(data.to_string()),
            ..Self::default()
        }
    }
    fn no_data() -> Self {
        Self::default()
    }
    fn ty(mut self, event_type: &str) -> Self {
        self.event_type = Some(event_type.to_string());
        self
    }
    fn id(mut self, id: &str) -> Self {
        self.id = Some(id.to_string());
        self
    }
    fn retry(mut self, ms: u64) -> Self {
        self.retry = Some(ms);
        self
    }
    fn message(&self) -> Message<'_> {
        let mut m = Message::new();
        if let Some(d) = &self.data {
            m = m.data(d);
        }
        if let Some(t) = &self.event_type {
            m = m.event_type(t);
        }
        if let Some(i) = &self.id {
            m = m.id(i);
        }
        if let Some(r) = self.retry {
            m = m.retry(r);
        }
        m
    }
}

/// Pieces that random data is made of.
const FRAGMENTS: &[&str] = &[
    "a",
    "xyz",
    " ",
    "  ",
    "\t",
    ":",
    ": ",
    "\r",
    "\n",
    "\r\n",
    "\n\r",
    "\r\r\n",
    "data: x",
    "id: 9",
    "event: e",
    "retry: 1",
    "\0",
    "\u{FEFF}",
    "\u{2028}",
    "\u{2029}",
    "\u{85}",
    "\u{b}\u{c}",
    "\u{FFFD}",
    "\u{FFFF}",
    "\u{10FFFF}",
    "e\u{301}",
    "\u{1F600}",
    "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}",
    "\u{65E5}\u{672C}\u{8A9E}",
    "\u{5D0}\u{5D1}",
    "\\",
    "\"",
    "</script>",
    "\u{7F}\u{80}",
];

const TYPES: &[&str] = &[
    "update",
    "message",
    "Message",
    " spaced",
    "two words",
    "\u{65E5}\u{672C}",
    "emoji\u{1F600}",
    "error",
    "open",
    "a:b",
    "x\0y",
    "\u{FEFF}t",
    "data",
    "id",
    "retry",
    "event",
    "\t",
    "DONE",
];

const IDS: &[&str] = &[
    "1",
    "",
    "abc",
    " leading",
    "trailing ",
    "\u{FC}n\u{EF}c\u{F6}d\u{E9} \u{1F600}",
    "a:b",
    "\u{FEFF}x",
    "\t",
    "   ",
    "!\"#$%&'()*+,-./;<=>?@[\\]^_`{|}~",
    "\u{2028}",
];

/// The whole stream: hand-written tricky cases, then random ones.
fn plan() -> Vec<Step> {
    let mut steps = Vec::new();
    let mut msg = |m: Msg| steps.push(Step::Msg(m));

    // A long reconnection time first: the test only finishes in time if the
    // later `retry` fields replace it (R25, R50).
    msg(Msg::data("hello").retry(3_600_000));
    // Empty data, and data made of line breaks only (R23, R28, R29).
    for data in [
        "",
        "\n",
        "\r",
        "\r\n",
        "\n\r",
        "\r\r\n",
        "\n\r\n",
        "\r\n\r\n",
        "\n\n\n",
        "\r\r\r",
        "a\rb\nc\r\nd",
        "a\n",
        "\na",
        "a\r\n\r\nb",
        "\r\rx\n\n",
    ] {
        msg(Msg::data(data));
    }
    // Leading and trailing spaces, colons, field look-alikes (R19).
    for data in [
        " x",
        "  x",
        "   ",
        " ",
        "\tx",
        "\u{A0}x",
        ":x",
        ": x",
        ":",
        "::",
        "data: x",
        "x ",
        "x\t",
        "id: 1\nevent: evil\n\ndata: injected",
        "\r\n: not a comment\r\nretry: 1",
    ] {
        msg(Msg::data(data));
    }
    // Unicode (R6, R8).
    for data in [
        "\u{65E5}\u{672C}\u{8A9E}\u{306E}\u{30C6}\u{30AD}\u{30B9}\u{30C8}",
        "\u{1F600}\u{1F44D}\u{1F3FD}\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}\u{1F3F3}\u{FE0F}\u{200D}\u{1F308}",
        "e\u{301}a\u{308}\u{20DD}",
        "\u{2028}",
        "a\u{2028}b\u{2029}c\u{85}d",
        "\u{b}\u{c}",
        "\u{FEFF}",
        "\u{FEFF}bom\u{FEFF}",
        "\u{FFFD}",
        "\u{FFFE}\u{FFFF}\u{10FFFF}",
        "a\0b",
        "\0",
        "\u{1}\u{1F}\u{7F}\u{80}\u{9F}",
        "\u{5E9}\u{5DC}\u{5D5}\u{5DD} \u{5E2}\u{5D5}\u{5DC}\u{5DD}",
        "\u{200B}\u{200D}",
        "\u{D7FF}\u{E000}",
        "\u{1F600}\r\n\u{1F600}\r\u{1F600}\n",
    ] {
        msg(Msg::data(data));
    }
    // Custom types (R22, R30); an event without a type after each is `message` (R31).
    for ty in TYPES.iter().chain(&["", "  "]) {
        msg(Msg::data(&format!("type {ty:?}")).ty(ty));
        msg(Msg::data("untyped"));
    }
    // A type without data dispatches nothing and is reset (R28).
    msg(Msg::no_data().ty("ghost"));
    msg(Msg::data("after a ghost type"));
    // Ids (R24, R27, R31).
    msg(Msg::data("id one").id("1"));
    msg(Msg::data("keeps id one"));
    msg(Msg::data("reset").id(""));
    msg(Msg::data("still reset"));
    msg(Msg::no_data().id("42"));
    msg(Msg::data("id 42 from an id-only block"));
    msg(Msg::no_data().id("7"));
    msg(Msg::no_data().id("8"));
    msg(Msg::data("id 8, the last of two id-only blocks"));
    for id in IDS {
        msg(Msg::data(&format!("id {id:?}")).id(id));
        msg(Msg::data("same id"));
    }
    msg(Msg::data("long id").id(&"0123456789".repeat(100)));
    msg(Msg::no_data().id(""));
    msg(Msg::data("id reset by an id-only block"));
    // Retry-only blocks; the last retry wins (R25).
    msg(Msg::no_data().retry(0));
    msg(Msg::no_data().retry(u64::MAX));
    msg(Msg::data("after retry blocks").retry(2_000_000));
    // All fields together.
    msg(Msg::data("line 1\r\nline 2\rline 3\n")
        .ty("full")
        .id("full-1")
        .retry(5000));
    // Written in pieces, some cut between CR and LF, with a comment between
    // the header and the data.
    let pieced = "piece\r\nby\rpiece\r\n\r\n\u{1F600} end\r";
    let cuts: Vec<usize> = (1..pieced.len())
        .filter(|&i| pieced.is_char_boundary(i))
        .collect();
    steps.push(Step::Msg(Msg {
        pieces: Some((cuts, Some("comment inside a block".to_string()))),
        ..Msg::data(pieced).ty("pieces").id("p")
    }));
    // Long data.
    let mut long_line = String::new();
    while long_line.len() < 60_000 {
        long_line.push_str("abc \u{65E5}\u{1F600}:");
    }
    steps.push(Step::Msg(Msg::data(&long_line).ty("long")));
    let many_lines: String = (0..2000).map(|i| format!("line {i}\n")).collect();
    steps.push(Step::Msg(Msg::data(&many_lines).ty("long")));
    let crlf_lines = "\u{1F600} x\r\n".repeat(5000);
    steps.push(Step::Msg(Msg {
        pieces: Some((vec![4, 7, 1000, 30_004, 30_007], None)),
        ..Msg::data(&crlf_lines).ty("long").id("long")
    }));
    // Comments of every kind (R18).
    steps.push(Step::Comment("a\r\nb\rc\nd".to_string()));
    steps.push(Step::Comment(String::new()));
    steps.push(Step::Comment(" leading".to_string()));
    steps.push(Step::Comment("data: not data".to_string()));
    steps.push(Step::Comment("\u{1F600}".repeat(3000)));
    steps.push(Step::KeepAlive);
    steps.push(Step::Msg(Msg::data("after comments")));

    // Random events.
    let mut rng = Rng::new(0x5EED_CAFE_F00D_0001);
    for _ in 0..300 {
        let roll = rng.below(100);
        if roll < 12 {
            steps.push(Step::Comment(random_text(&mut rng, 5)));
        } else if roll < 20 {
            steps.push(Step::KeepAlive);
        }
        let mut m = if rng.chance(92) {
            Msg::data(&random_text(&mut rng, 12))
        } else {
            Msg::no_data()
        };
        if rng.chance(40) {
            m = m.ty(rng.pick(TYPES));
        }
        if rng.chance(30) {
            m = m.id(rng.pick(IDS));
        }
        if rng.chance(4) {
            m = m.retry(rng.below(100_000) as u64);
        }
        if rng.chance(20) {
            if let Some(data) = &m.data {
                let mut cuts: Vec<usize> = (0..rng.below(4))
                    .map(|_| rng.below(data.len() + 1))
                    .filter(|&i| data.is_char_boundary(i))
                    .collect();
                cuts.sort_unstable();
                let comment = rng.chance(50).then(|| random_text(&mut rng, 3));
                m.pieces = Some((cuts, comment));
            }
        }
        steps.push(Step::Msg(m));
    }

    // The end of the first connection: a quick reconnection, and a last id.
    steps.push(Step::Msg(
        Msg::data("last before the reconnection")
            .id(LAST_ID)
            .retry(RETRY_MS),
    ));
    steps.push(Step::Comment("bye".to_string()));
    steps
}

fn random_text(rng: &mut Rng, max_pieces: usize) -> String {
    (0..rng.below(max_pieces + 1))
        .map(|_| rng.pick(FRAGMENTS))
        .collect()
}

/// What a receiver must see: one event per block with data (R28), with its
/// line breaks as LF (R12, R23), type `message` when empty (R30), and the
/// last id set by any block before or at it (R27, R31).
fn expected_events(plan: &[Step]) -> Vec<OwnedEvent> {
    let mut last_id = String::new();
    let mut events = Vec::new();
    for step in plan {
        let Step::Msg(m) = step else { continue };
        if let Some(id) = &m.id {
            last_id.clone_from(id);
        }
        if let Some(data) = &m.data {
            events.push(OwnedEvent {
                event_type: match m.event_type.as_deref() {
                    None | Some("") => "message".into(),
                    Some(t) => t.to_string().into(),
                },
                data: data.replace("\r\n", "\n").replace('\r', "\n"),
                last_event_id: last_id.clone(),
            });
        }
    }
    events
}

fn last_id(plan: &[Step]) -> String {
    plan.iter()
        .rev()
        .find_map(|s| match s {
            Step::Msg(m) => m.id.clone(),
            _ => None,
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Encoding.

/// The first connection's body, and where to cut it into writes.
struct Stream {
    body: Vec<u8>,
    /// Increasing offsets into `body`: the end of each write.
    cuts: Vec<usize>,
}

fn encode_plan(plan: &[Step]) -> Stream {
    let mut body = Vec::new();
    let mut cuts = Vec::new();
    let mut rng = Rng::new(0xC0FF_EE00_1234_5678);
    for step in plan {
        let start = body.len();
        match step {
            Step::Msg(m) => encode_msg(m, &mut body),
            Step::Comment(text) => {
                put(&mut body, |sink| encode_comment(text, sink));
            }
            Step::KeepAlive => body.extend_from_slice(KEEP_ALIVE),
        }
        // A quarter of the steps go out in several writes, cut anywhere,
        // also inside a UTF-8 sequence (R11).
        if rng.chance(25) && body.len() - start > 1 {
            let mut inner: Vec<usize> = (0..1 + rng.below(3))
                .map(|_| start + 1 + rng.below(body.len() - start - 1))
                .collect();
            inner.sort_unstable();
            cuts.extend(inner);
        }
        cuts.push(body.len());
    }
    cuts.dedup();
    Stream { body, cuts }
}

/// Encodes into a scratch slice sink and appends what was written.
fn put<T>(out: &mut Vec<u8>, f: impl FnOnce(&mut &mut [u8]) -> Result<T, EncodeError>) -> T {
    let mut scratch = vec![0u8; 1 << 20];
    let mut sink: &mut [u8] = &mut scratch;
    let result = f(&mut sink).expect("the plan encodes");
    let written = (1 << 20) - sink.len();
    out.extend_from_slice(&scratch[..written]);
    result
}

fn encode_msg(m: &Msg, out: &mut Vec<u8>) {
    let message = m.message();
    let len = encoded_len(&message).expect("the plan encodes");
    let mut whole = vec![0u8; len];
    assert_eq!(encode(&message, &mut whole), Ok(len));
    let Some((cuts, comment)) = &m.pieces else {
        out.extend_from_slice(&whole);
        return;
    };
    let data = m.data.as_deref().unwrap_or("");
    let header_only = Msg {
        data: None,
        pieces: None,
        ..m.clone()
    };
    let header = header_only.message();
    let start = out.len();
    let mut writer = put(out, |sink| EventWriter::begin(&header, sink));
    if let Some(comment) = comment {
        put(out, |sink| encode_comment(comment, sink));
    }
    let mut from = 0;
    for &cut in cuts.iter().chain(&[data.len()]) {
        put(out, |sink| writer.write(&data[from..cut], sink));
        from = cut;
    }
    put(out, |sink| writer.finish(sink));
    if comment.is_none() {
        // EventWriter writes byte for byte what `encode` does.
        assert_eq!(&out[start..], &whole[..], "EventWriter output for {m:?}");
    }
}

// ---------------------------------------------------------------------------
// Comparison.

/// Compares event lists; on mismatch, describes the first few differences.
fn compare(expected: &[OwnedEvent], actual: &[OwnedEvent]) -> Result<(), String> {
    let mut out = String::new();
    let mut mismatches = 0;
    for i in 0..expected.len().max(actual.len()) {
        let (e, a) = (expected.get(i), actual.get(i));
        if e == a {
            continue;
        }
        mismatches += 1;
        if mismatches > 10 {
            continue;
        }
        out.push_str(&format!("event #{i}:\n"));
        match (e, a) {
            (Some(e), Some(a)) => {
                for (field, e, a) in [
                    ("type", &*e.event_type, &*a.event_type),
                    ("data", &*e.data, &*a.data),
                    ("lastEventId", &*e.last_event_id, &*a.last_event_id),
                ] {
                    if e != a {
                        out.push_str(&format!("  {field}: {}\n", diff_text(e, a)));
                    }
                }
            }
            (Some(e), None) => out.push_str(&format!("  missing; expected {}\n", show_event(e))),
            (None, Some(a)) => out.push_str(&format!("  unexpected; received {}\n", show_event(a))),
            (None, None) => unreachable!(),
        }
    }
    if mismatches == 0 {
        return Ok(());
    }
    if mismatches > 10 {
        out.push_str(&format!("... and {} more\n", mismatches - 10));
    }
    Err(format!(
        "{mismatches} differences; {} events expected, {} received\n{out}",
        expected.len(),
        actual.len()
    ))
}

fn show_event(e: &OwnedEvent) -> String {
    format!(
        "type {}, data {}, lastEventId {}",
        show(&e.event_type),
        show(&e.data),
        show(&e.last_event_id)
    )
}

/// Where two strings first differ, with some context.
fn diff_text(expected: &str, actual: &str) -> String {
    let e: Vec<char> = expected.chars().collect();
    let a: Vec<char> = actual.chars().collect();
    let at = e.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let from = at.saturating_sub(20);
    let window = |v: &[char]| -> String {
        v[from.min(v.len())..(at + 40).min(v.len())]
            .iter()
            .collect()
    };
    format!(
        "expected {}, received {} (first difference at char {at} of {}/{}: expected ...{:?}..., received ...{:?}...)",
        show(expected),
        show(actual),
        e.len(),
        a.len(),
        window(&e),
        window(&a)
    )
}

// ---------------------------------------------------------------------------
// The HTTP server.

/// What the page reported.
struct Report {
    events: Vec<OwnedEvent>,
    done: OwnedEvent,
    /// Plain `open`/`error` events: kind, readyState, messages before it.
    lifecycle: Vec<(String, u64, u64)>,
}

/// What `/events` serves, and the requests it got.
struct Served {
    stream: Stream,
    /// Every `/events` request, in order.
    requests: Mutex<Vec<Request>>,
}

impl Served {
    fn requests(&self) -> MutexGuard<'_, Vec<Request>> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The server: the page, `/types` (the event types it listens for), and the
/// stream at `/events`.
fn start_server(stream: Stream, types: &BTreeSet<&str>) -> (Server, Arc<Served>) {
    let served = Arc::new(Served {
        stream,
        requests: Mutex::default(),
    });
    let site = Site {
        page: PAGE,
        setup: (
            "/types",
            serde_json::to_string(types).expect("types to JSON"),
        ),
        items: "events",
        read_timeout: Duration::from_secs(120),
    };
    let events = Arc::clone(&served);
    let server = Server::start(site, move |connection, request, _| {
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/events") => serve_events(connection, request, &events),
            _ => not_found(connection),
        }
    });
    (server, served)
}

fn parse_report(batches: &BTreeMap<u64, Value>) -> Report {
    fn text(value: &Value, key: &str) -> String {
        value[key]
            .as_str()
            .unwrap_or_else(|| panic!("report: {key} is not a string in {value}"))
            .to_string()
    }
    fn event(value: &Value) -> OwnedEvent {
        OwnedEvent {
            event_type: text(value, "type").into(),
            data: text(value, "data"),
            last_event_id: text(value, "id"),
        }
    }
    let events = batches
        .values()
        .flat_map(|b| b["events"].as_array().expect("report: events").iter())
        .map(event)
        .collect();
    let last = batches.values().next_back().expect("a final batch");
    let lifecycle = last["lifecycle"]
        .as_array()
        .expect("report: lifecycle")
        .iter()
        .map(|l| {
            (
                text(l, "kind"),
                l["readyState"].as_u64().expect("readyState"),
                l["after"].as_u64().expect("after"),
            )
        })
        .collect();
    Report {
        events,
        done: event(&last["done"]),
        lifecycle,
    }
}

/// `/events`: the whole plan on the first connection, then a close; on
/// every later one, `event: done`, held open until the page closes it.
fn serve_events(connection: &mut TcpStream, request: Request, served: &Served) -> io::Result<()> {
    let number = {
        let mut requests = served.requests();
        requests.push(request);
        requests.len()
    };
    begin_event_stream(connection)?;
    if number == 1 {
        let Stream { body, cuts } = &served.stream;
        let mut from = 0;
        for (k, &cut) in cuts.iter().enumerate() {
            connection.write_all(&body[from..cut])?;
            connection.flush()?;
            from = cut;
            if k % 8 == 7 {
                // Lets the pieces arrive as separate reads.
                thread::sleep(Duration::from_millis(1));
            }
        }
        // The end of the body: the browser reconnects after `retry` (R45).
        connection.shutdown(Shutdown::Both)
    } else {
        let done = Message::new().event_type(DONE).data("bye");
        let mut bytes = vec![0u8; encoded_len(&done).expect("done encodes")];
        encode(&done, &mut bytes).expect("done encodes");
        connection.write_all(&bytes)?;
        connection.flush()?;
        // Until the page calls close(): no reconnection from this end.
        let mut scratch = [0u8; 256];
        while matches!(connection.read(&mut scratch), Ok(n) if n > 0) {}
        Ok(())
    }
}
