//! A model test of the client state machine against the rules (R36-R55).
//!
//! Random sequences of responses, body bytes, end of body, network errors,
//! time steps and closes are applied both to the real [`Client`] and to a
//! reference model written from the rules; after every step the ready state,
//! the outputs, the request headers, the deadline and the events must agree.
//! Body semantics in the model come from the naive reference decoder.
#![cfg(not(miri))]

use proptest::prelude::*;
use sse_core_tests::client_model::{CONTENT_TYPES, Op, check};

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

const STATUSES: [u16; 8] = [200, 200, 200, 204, 205, 301, 404, 503];

/// A proptest value wrapping one [`Op`].
#[derive(Clone, Debug)]
struct Step(Op);

impl From<Step> for Op {
    fn from(step: Step) -> Self {
        step.0
    }
}

fn op() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (prop::sample::select(STATUSES.to_vec()), 0..CONTENT_TYPES.len())
            .prop_map(|(status, content_type)| Step(Op::Response { status, content_type })),
        6 => (0..BODY_PIECES.len()).prop_map(|i| Step(Op::Body(BODY_PIECES[i].to_vec()))),
        1 => Just(Step(Op::End)),
        1 => Just(Step(Op::NetworkError)),
        3 => prop_oneof![Just(0u64), 1u64..200, 200u64..20_000].prop_map(|ms| Step(Op::Advance(ms))),
        1 => Just(Step(Op::Close)),
    ]
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
        let ops: Vec<Op> = ops.into_iter().map(Op::from).collect();
        check(&ops, &initial_id, initial_ms, cap_ms).map_err(TestCaseError::fail)?;
    }
}

#[test]
fn wpt_eventsource_close_sequence() {
    // wpt eventsource-close (R47, R55): opened, error (CONNECTING),
    // reconnected, error (CONNECTING), then 204: error (CLOSED), no reconnect.
    let ok = || Op::Response {
        status: 200,
        content_type: 0,
    };
    let ops = [
        ok(),
        Op::Body(b"retry: 100\ndata: opened\n\n".to_vec()),
        Op::End,
        Op::Advance(100),
        ok(),
        Op::Body(b"data: reconnected\n\n".to_vec()),
        Op::End,
        Op::Advance(100),
        Op::Response {
            status: 204,
            content_type: 0,
        },
        Op::Advance(1_000_000),
    ];
    check(&ops, "", 3000, None).unwrap();
}

#[test]
fn fuzz_input_decoding_reaches_every_step() {
    // A response, a body, time, an error, a reconnect, a 204, then close.
    let bytes = [
        0b0001_1001, // id "7" (bits 0-1), 3000 ms (bits 2-3), backoff on, cap 0
        0,
        0,
        0, // response 200, text/event-stream
        1,
        9,
        b'd',
        b'a',
        b't',
        b'a',
        b':',
        b'x',
        b'\n',
        b'\n',
        b'\n',
        5, // network error
        14,
        0xFF,
        0xFF, // advance 65535 * 64 ms
        0,
        5,
        0, // response 204
        7, // close
    ];
    let (ops, id, initial_ms, cap) = sse_core_tests::client_model::ops_from_bytes(&bytes);
    assert_eq!((id, initial_ms, cap), ("7", 3000, Some(0)));
    assert_eq!(ops.len(), 6, "{ops:?}");
    sse_core_tests::client_model::client_drive(&bytes);
    // Arbitrary garbage decodes and passes too.
    for seed in 0..200u32 {
        let garbage: Vec<u8> = (0..seed)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        sse_core_tests::client_model::client_drive(&garbage);
    }
}
