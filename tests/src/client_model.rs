//! A reference model of the client state machine, written plainly from the
//! rules (R36-R55), and a driver that checks [`Client`] against it step by
//! step. Body semantics in the model come from the naive reference decoder.
//! Used by the model property test and by the `client_drive` fuzz target.

use crate::{OwnedItem, drive, naive};
use sse_core::client::{Client, FailReason, Output, ReadyState, Reconnect};
use sse_core::{Decoder, InlineBuffers, Instant};

/// Content types a response may carry (`None`: no header).
pub const CONTENT_TYPES: [Option<&[u8]>; 6] = [
    Some(b"text/event-stream"),
    Some(b"Text/Event-Stream; charset=windows-1252"),
    Some(b"text/event-stream;"),
    Some(b"text/plain"),
    Some(b"x bogus"),
    None,
];

/// Returns an error from the enclosing function unless the condition holds.
macro_rules! ensure {
    ($cond:expr $(,)?) => {
        if !$cond {
            return Err(format!("{} failed", stringify!($cond)));
        }
    };
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err(format!($($arg)+));
        }
    };
}

/// Returns an error from the enclosing function unless both sides are equal.
macro_rules! ensure_eq {
    ($left:expr, $right:expr $(,)?) => {
        ensure_eq!($left, $right, "")
    };
    ($left:expr, $right:expr, $($arg:tt)+) => {
        if $left != $right {
            return Err(format!(
                "{} != {}: {:?} vs {:?} {}",
                stringify!($left), stringify!($right), $left, $right, format!($($arg)+)
            ));
        }
    };
}

/// The most body bytes [`check`] accepts in all (so no limit is ever hit).
pub const MAX_BODY: usize = 8192;

/// One input to the client.
#[derive(Clone, Debug)]
pub enum Op {
    /// A response head; `content_type` indexes [`CONTENT_TYPES`].
    Response {
        /// The status.
        status: u16,
        /// Index into [`CONTENT_TYPES`].
        content_type: usize,
    },
    /// Body bytes.
    Body(Vec<u8>),
    /// The body ended.
    End,
    /// A network error.
    NetworkError,
    /// Time passes by this many milliseconds.
    Advance(u64),
    /// `close()`.
    Close,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    Requesting,
    Streaming,
    Waiting(u64),
    Closed,
}

/// The rules, written out plainly.
struct Model {
    phase: Phase,
    now: u64,
    /// The committed last event ID string (R27).
    id: String,
    /// The last event ID when the current body started (R35).
    body_start_id: String,
    body: Vec<u8>,
    items_seen: usize,
    retry: Option<u64>,
    failures: u32,
    initial_ms: u64,
    cap_ms: Option<u64>,
}

impl Model {
    fn ready_state(&self) -> ReadyState {
        match self.phase {
            Phase::Requesting | Phase::Waiting(_) => ReadyState::Connecting,
            Phase::Streaming => ReadyState::Open,
            Phase::Closed => ReadyState::Closed,
        }
    }

    fn headers(&self) -> Vec<(String, String)> {
        let mut h = vec![
            ("Accept".to_string(), "text/event-stream".to_string()),
            ("Cache-Control".to_string(), "no-cache".to_string()),
        ];
        if !self.id.is_empty() {
            h.push(("Last-Event-ID".to_string(), self.id.clone()));
        }
        h
    }

    /// R47: re-establish; returns the expected output.
    fn reestablish(&mut self) -> Vec<Output> {
        if !matches!(self.phase, Phase::Requesting | Phase::Streaming) {
            return vec![];
        }
        self.failures += 1;
        let base = self.retry.unwrap_or(self.initial_ms);
        let delay = match self.cap_ms {
            None => base,
            Some(cap) => {
                let mut d = base;
                for _ in 1..self.failures {
                    d = d.saturating_mul(2);
                }
                d.min(cap.max(base))
            }
        };
        let at = self.now.saturating_add(delay);
        self.phase = Phase::Waiting(at);
        vec![Output::Reconnecting {
            at: Instant::from_millis(at),
            delay_ms: delay,
        }]
    }

    /// Applies `op`; returns the expected outputs and body items.
    fn apply(&mut self, op: &Op) -> (Vec<Output>, Vec<OwnedItem>) {
        match *op {
            Op::Response {
                status,
                content_type,
            } => {
                if self.phase != Phase::Requesting {
                    return (vec![], vec![]);
                }
                let ct = CONTENT_TYPES[content_type];
                let essence_ok = ct.is_some_and(|v| {
                    let v = String::from_utf8_lossy(v).to_ascii_lowercase();
                    v.split(';').next().unwrap().trim() == "text/event-stream"
                });
                if status != 200 {
                    self.phase = Phase::Closed;
                    (vec![Output::Failed(FailReason::Status(status))], vec![])
                } else if ct.is_none() {
                    self.phase = Phase::Closed;
                    (vec![Output::Failed(FailReason::MissingContentType)], vec![])
                } else if !essence_ok {
                    self.phase = Phase::Closed;
                    (vec![Output::Failed(FailReason::ContentType)], vec![])
                } else {
                    self.phase = Phase::Streaming;
                    self.failures = 0;
                    self.body.clear();
                    self.items_seen = 0;
                    self.body_start_id = self.id.clone();
                    (vec![Output::Open], vec![])
                }
            }
            Op::Body(ref bytes) => {
                if self.phase != Phase::Streaming {
                    return (vec![], vec![]);
                }
                self.body.extend_from_slice(bytes);
                let outcome = naive::decode(&self.body, &self.body_start_id);
                let new = outcome.items[self.items_seen..].to_vec();
                self.items_seen = outcome.items.len();
                self.id = outcome.last_event_id;
                for item in &new {
                    if let OwnedItem::Retry(ms) = item {
                        self.retry = Some(*ms);
                    }
                }
                (vec![], new)
            }
            Op::End | Op::NetworkError => (self.reestablish(), vec![]),
            Op::Advance(dt) => {
                self.now += dt;
                match self.phase {
                    Phase::Waiting(at) if self.now >= at => {
                        self.phase = Phase::Requesting;
                        (vec![Output::Connect], vec![])
                    }
                    _ => (vec![], vec![]),
                }
            }
            Op::Close => {
                self.phase = Phase::Closed;
                (vec![], vec![])
            }
        }
    }
}

/// Drives a fresh [`Client`] and the model through `ops`; returns a message
/// at the first disagreement or broken invariant.
pub fn check(
    ops: &[Op],
    initial_id: &str,
    initial_ms: u64,
    cap_ms: Option<u64>,
) -> Result<(), String> {
    // Big enough that no limit is reached by the bodies `check` accepts.
    let mut decoder = Box::new(Decoder::<InlineBuffers<MAX_BODY, MAX_BODY, MAX_BODY>>::new());
    if decoder.set_last_event_id(initial_id).is_err() || initial_id.len() > MAX_BODY {
        return Err(format!("invalid initial id {initial_id:?}"));
    }
    let total: usize = ops
        .iter()
        .map(|op| if let Op::Body(b) = op { b.len() } else { 0 })
        .sum();
    if total > MAX_BODY {
        return Err(format!("bodies of {total} bytes; at most {MAX_BODY}"));
    }
    let mut policy = Reconnect::new().initial_ms(initial_ms);
    if let Some(cap) = cap_ms {
        policy = policy.backoff(cap);
    }
    let mut client = Client::new(*decoder, policy);
    let mut model = Model {
        phase: Phase::Requesting,
        now: 0,
        id: initial_id.to_string(),
        body_start_id: initial_id.to_string(),
        body: vec![],
        items_seen: 0,
        retry: None,
        failures: 0,
        initial_ms,
        cap_ms,
    };
    ensure_eq!(client.poll_output(), Some(Output::Connect));
    ensure_eq!(client.poll_output(), None::<Output>);
    let headers: Vec<_> = client
        .request_headers()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    ensure_eq!(headers, model.headers());

    for op in ops {
        let (expected_outputs, expected_items) = model.apply(op);
        let mut items = Vec::new();
        let now = Instant::from_millis(model.now);
        match *op {
            Op::Response {
                status,
                content_type,
            } => client.handle_response(status, CONTENT_TYPES[content_type]),
            Op::Body(ref bytes) => {
                let mut input = bytes.as_slice();
                while let Some(item) = client.handle_body(&mut input) {
                    items.push(drive::own(item));
                }
                ensure!(input.is_empty());
            }
            Op::End => client.handle_end_of_body(now),
            Op::NetworkError => client.handle_network_error(now),
            Op::Advance(_) => client.handle_timeout(now),
            Op::Close => client.close(),
        }
        let mut outputs = Vec::new();
        while let Some(output) = client.poll_output() {
            if output == Output::Connect {
                let headers: Vec<_> = client
                    .request_headers()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect();
                ensure_eq!(&headers, &model.headers(), "headers after {:?}", op);
            }
            if let Output::Reconnecting { at, .. } = output {
                ensure!(at >= now, "deadline in the past");
            }
            outputs.push(output);
        }
        ensure_eq!(&outputs, &expected_outputs, "outputs after {:?}", op);
        ensure_eq!(&items, &expected_items, "items after {:?}", op);
        ensure_eq!(
            client.ready_state(),
            model.ready_state(),
            "state after {:?}",
            op
        );
        let deadline = match model.phase {
            Phase::Waiting(at) => Some(Instant::from_millis(at)),
            _ => None,
        };
        ensure_eq!(client.poll_timeout(), deadline);
        if let Some(at) = deadline {
            ensure!(at >= now);
        }
        ensure_eq!(client.last_event_id(), model.id.as_str());
        ensure_eq!(client.reconnection_ms(), model.retry.unwrap_or(initial_ms));
        if model.phase == Phase::Closed {
            // CLOSED is final (R36, R48): nothing may ever leave it.
            ensure_eq!(client.ready_state(), ReadyState::Closed);
        }
    }
    Ok(())
}

/// Statuses a fuzzed response may have.
const STATUSES: [u16; 16] = [
    200, 200, 200, 200, 200, 204, 205, 201, 206, 210, 299, 301, 304, 404, 500, 503,
];

/// Reads fuzzer bytes as a client run: settings, then steps. Any bytes are
/// valid; missing ones read as zero. Returns the steps, the initial last
/// event ID, the initial reconnection time and the backoff cap.
///
/// - byte 0: bits 0-1 the initial id (`""`, `"7"`, `"abc"`, `"x y"`), bits
///   2-3 the initial reconnection time (0, 10, 3000, 5000 ms), bit 4 backoff
///   on, bits 5-7 its cap (0 to 7 × 700 ms);
/// - then each step is a byte `k` and its operands: `k % 8` = 0 a response
///   (status byte, content-type byte), 1-3 body bytes (a length byte, up to
///   63, then the bytes), 4 end of body, 5 a network error, 6 time passes (two
///   bytes of milliseconds, times 64 when `k & 8`), 7 `close()`.
pub fn ops_from_bytes(bytes: &[u8]) -> (Vec<Op>, &'static str, u64, Option<u64>) {
    let mut reader = Reader { bytes, at: 0 };
    let settings = reader.byte();
    let initial_id = ["", "7", "abc", "x y"][usize::from(settings & 3)];
    let initial_ms = [0, 10, 3000, 5000][usize::from((settings >> 2) & 3)];
    let cap = (settings & 16 != 0).then(|| u64::from(settings >> 5) * 700);
    let mut ops = Vec::new();
    let mut body_total = 0;
    while !reader.is_done() {
        let kind = reader.byte();
        let op = match kind % 8 {
            0 => Op::Response {
                status: STATUSES[usize::from(reader.byte() % 16)],
                content_type: usize::from(reader.byte()) % CONTENT_TYPES.len(),
            },
            1..=3 => {
                let len = usize::from(reader.byte() % 64);
                let body = reader.take(len).to_vec();
                body_total += body.len();
                if body_total > MAX_BODY {
                    break;
                }
                Op::Body(body)
            }
            4 => Op::End,
            5 => Op::NetworkError,
            6 => {
                let ms = u64::from(u16::from_le_bytes([reader.byte(), reader.byte()]));
                Op::Advance(if kind & 8 != 0 { ms * 64 } else { ms })
            }
            _ => Op::Close,
        };
        ops.push(op);
    }
    (ops, initial_id, initial_ms, cap)
}

/// A cursor over fuzzer bytes that reads zeros past the end.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> u8 {
        let byte = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        byte
    }

    fn take(&mut self, len: usize) -> &'a [u8] {
        let start = self.at.min(self.bytes.len());
        let end = (start + len).min(self.bytes.len());
        self.at += len;
        &self.bytes[start..end]
    }

    fn is_done(&self) -> bool {
        self.at >= self.bytes.len()
    }
}

/// The `client_drive` fuzz target's check: any run read by [`ops_from_bytes`]
/// never panics, and the client agrees with the model at every step (so it
/// never reconnects after CLOSED or a failed response, never sets a deadline
/// in the past, and sends `Last-Event-ID` exactly when the id is not empty).
pub fn client_drive(bytes: &[u8]) {
    let (ops, initial_id, initial_ms, cap) = ops_from_bytes(bytes);
    if let Err(message) = check(&ops, initial_id, initial_ms, cap) {
        panic!("client disagrees with the model: {message}");
    }
}

/// A `client_drive` input (see [`ops_from_bytes`]) that opens a stream, sends
/// `body` in pieces, ends it, waits, reconnects, sends `body` again and
/// closes: seeds that start the fuzzer from realistic runs.
pub fn seed_from_body(body: &[u8]) -> Vec<u8> {
    let mut seed = vec![0b0001_1001];
    let send_body = |seed: &mut Vec<u8>| {
        seed.extend_from_slice(&[0, 0, 0]); // 200, text/event-stream
        for piece in body.chunks(63) {
            seed.push(1);
            seed.push(piece.len() as u8);
            seed.extend_from_slice(piece);
        }
        seed.push(4); // end of body
        seed.extend_from_slice(&[6, 0xB8, 0x0B]); // 3000 ms pass
    };
    send_body(&mut seed);
    send_body(&mut seed);
    seed.push(7); // close
    seed
}
