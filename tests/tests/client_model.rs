//! A model test of the client state machine against the rules (R36-R55).
//!
//! Random sequences of responses, body bytes, end of body, network errors,
//! time steps and closes are applied both to the real [`Client`] and to a
//! reference model written from the rules; after every step the ready state,
//! the outputs, the request headers, the deadline and the events must agree.
//! Body semantics in the model come from the naive reference decoder.
#![cfg(not(miri))]

use proptest::prelude::*;
use sse_core::client::{Client, FailReason, Output, ReadyState, Reconnect};
use sse_core::{Decoder, InlineBuffers, Instant};
use sse_core_tests::{OwnedItem, drive, naive};

const BODY_PIECES: [&[u8]; 14] = [
    b"data: a\n\n",
    b"id: 5\n",
    b"id: x\ndata: b\n\n",
    b"\n",
    b"retry: 100\n",
    b"retry: 7\n",
    b"retry: x\n",
    b"id\n\n",
    b"data: c",
    b"event: t\n",
    b"\r",
    b"id: 9\0\n",
    b"\xEF\xBB\xBFdata: bom\n\n",
    b": ping\n",
];

const CONTENT_TYPES: [Option<&[u8]>; 6] = [
    Some(b"text/event-stream"),
    Some(b"Text/Event-Stream; charset=windows-1252"),
    Some(b"text/event-stream;"),
    Some(b"text/plain"),
    Some(b"x bogus"),
    None,
];

const STATUSES: [u16; 8] = [200, 200, 200, 204, 205, 301, 404, 503];

#[derive(Clone, Debug)]
enum Op {
    Response { status: u16, content_type: usize },
    Body(usize),
    End,
    NetworkError,
    Advance(u64),
    Close,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (prop::sample::select(STATUSES.to_vec()), 0..CONTENT_TYPES.len())
            .prop_map(|(status, content_type)| Op::Response { status, content_type }),
        6 => (0..BODY_PIECES.len()).prop_map(Op::Body),
        1 => Just(Op::End),
        1 => Just(Op::NetworkError),
        3 => prop_oneof![Just(0u64), 1u64..200, 200u64..20_000].prop_map(Op::Advance),
        1 => Just(Op::Close),
    ]
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
            Op::Body(i) => {
                if self.phase != Phase::Streaming {
                    return (vec![], vec![]);
                }
                self.body.extend_from_slice(BODY_PIECES[i]);
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

fn run(
    ops: &[Op],
    initial_id: &str,
    initial_ms: u64,
    cap_ms: Option<u64>,
) -> Result<(), TestCaseError> {
    let mut decoder = Decoder::<InlineBuffers<4096, 64, 64>>::new();
    decoder.set_last_event_id(initial_id).unwrap();
    let mut policy = Reconnect::new().initial_ms(initial_ms);
    if let Some(cap) = cap_ms {
        policy = policy.backoff(cap);
    }
    let mut client = Client::new(decoder, policy);
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
    prop_assert_eq!(client.poll_output(), Some(Output::Connect));
    prop_assert_eq!(client.poll_output(), None);
    let headers: Vec<_> = client
        .request_headers()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    prop_assert_eq!(headers, model.headers());

    for op in ops {
        let (expected_outputs, expected_items) = model.apply(op);
        let mut items = Vec::new();
        let now = Instant::from_millis(model.now);
        match *op {
            Op::Response {
                status,
                content_type,
            } => client.handle_response(status, CONTENT_TYPES[content_type]),
            Op::Body(i) => {
                let mut input = BODY_PIECES[i];
                while let Some(item) = client.handle_body(&mut input) {
                    items.push(drive::own(item));
                }
                prop_assert!(input.is_empty());
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
                prop_assert_eq!(&headers, &model.headers(), "headers after {:?}", op);
            }
            if let Output::Reconnecting { at, .. } = output {
                prop_assert!(at >= now, "deadline in the past");
            }
            outputs.push(output);
        }
        prop_assert_eq!(&outputs, &expected_outputs, "outputs after {:?}", op);
        prop_assert_eq!(&items, &expected_items, "items after {:?}", op);
        prop_assert_eq!(
            client.ready_state(),
            model.ready_state(),
            "state after {:?}",
            op
        );
        let deadline = match model.phase {
            Phase::Waiting(at) => Some(Instant::from_millis(at)),
            _ => None,
        };
        prop_assert_eq!(client.poll_timeout(), deadline);
        if let Some(at) = deadline {
            prop_assert!(at >= now);
        }
        prop_assert_eq!(client.last_event_id(), model.id.as_str());
        prop_assert_eq!(client.reconnection_ms(), model.retry.unwrap_or(initial_ms));
        if model.phase == Phase::Closed {
            // CLOSED is final (R36, R48): nothing may ever leave it.
            prop_assert_eq!(client.ready_state(), ReadyState::Closed);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn client_matches_the_model(
        ops in prop::collection::vec(op(), 0..60),
        initial_id in prop_oneof![Just(String::new()), "[a-z0-9]{1,3}"],
        initial_ms in prop_oneof![Just(3000u64), 0u64..50],
        cap_ms in proptest::option::of(0u64..20_000),
    ) {
        run(&ops, &initial_id, initial_ms, cap_ms)?;
    }
}

#[test]
fn wpt_eventsource_close_sequence() {
    // wpt eventsource-close (sse-spec §10): opened, error (CONNECTING),
    // reconnected, error (CONNECTING), then 204: error (CLOSED), no reconnect.
    let ops = [
        Op::Response {
            status: 200,
            content_type: 0,
        },
        Op::Body(4),
        Op::Body(0),
        Op::End,
        Op::Advance(100),
        Op::Response {
            status: 200,
            content_type: 0,
        },
        Op::Body(0),
        Op::End,
        Op::Advance(100),
        Op::Response {
            status: 204,
            content_type: 0,
        },
        Op::Advance(1_000_000),
    ];
    run(&ops, "", 3000, None).unwrap();
}
