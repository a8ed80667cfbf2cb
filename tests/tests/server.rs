//! The server helpers against simple models: `ReplayBuffer` against a
//! `VecDeque` over random push and replay sequences at small capacities, a
//! client that is cut off anywhere and resumes through the buffer, and
//! `parse_last_event_id` against its definition (R24, R39).
#![cfg(not(miri))]

use std::collections::VecDeque;

use proptest::prelude::*;
use sse_core::{
    Message, Replay, ReplayBuffer, ReplayError, ReplayIter, encode, parse_last_event_id,
};
use sse_core_tests::drive;

#[derive(Clone, Debug)]
enum Op {
    Push(String, Vec<u8>),
    Replay(String),
}

/// Ids from a small alphabet, so that repeats and misses are frequent; the
/// empty id and multi-byte characters included.
fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" a ".to_string()),
        Just("é".to_string()),
        "[a-c]{1,3}",
        "[a-z0-9]{4,12}",
    ]
}

fn ops(max_body: usize) -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        3 => (id(), prop::collection::vec(any::<u8>(), 0..=max_body))
            .prop_map(|(id, body)| Op::Push(id, body)),
        1 => id().prop_map(Op::Replay),
    ];
    prop::collection::vec(op, 0..60)
}

/// The obvious implementation: a queue of owned events.
struct Model {
    bytes: usize,
    events: usize,
    held: VecDeque<(String, Vec<u8>)>,
    evicted: u64,
}

impl Model {
    fn new(bytes: usize, events: usize) -> Self {
        Self {
            bytes,
            events,
            held: VecDeque::new(),
            evicted: 0,
        }
    }

    fn used(&self) -> usize {
        self.held.iter().map(|(id, e)| id.len() + e.len()).sum()
    }

    fn push(&mut self, id: &str, event: &[u8]) -> Result<(), ReplayError> {
        if id.is_empty() {
            return Err(ReplayError::EmptyId);
        }
        let required = id.len() + event.len();
        if required > self.bytes {
            return Err(ReplayError::TooLarge { required });
        }
        self.held.push_back((id.to_owned(), event.to_owned()));
        while self.held.len() > self.events || self.used() > self.bytes {
            self.held.pop_front();
            self.evicted += 1;
        }
        Ok(())
    }

    fn from(&self, index: usize) -> Vec<u8> {
        self.held
            .iter()
            .skip(index)
            .flat_map(|(_, e)| e.clone())
            .collect()
    }

    fn replay_after(&self, id: &str) -> Option<Vec<u8>> {
        let index = self.held.iter().rposition(|(held, _)| held == id)?;
        Some(self.from(index + 1))
    }
}

fn collect(iter: ReplayIter<'_>) -> Result<Vec<u8>, TestCaseError> {
    let expected_len = iter.byte_len();
    let mut out = Vec::new();
    for bytes in iter {
        prop_assert!(!bytes.is_empty(), "empty slice");
        out.extend_from_slice(bytes);
    }
    prop_assert_eq!(out.len(), expected_len);
    Ok(out)
}

fn replayed(replay: Replay<'_>) -> Result<Option<Vec<u8>>, TestCaseError> {
    match replay {
        Replay::Events(iter) => collect(iter).map(Some),
        Replay::Gap => Ok(None),
    }
}

fn check_against_model<const B: usize, const E: usize>(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut real = ReplayBuffer::<B, E>::new();
    let mut model = Model::new(B, E);
    for op in ops {
        match op {
            Op::Push(id, event) => {
                prop_assert_eq!(real.push(id, event), model.push(id, event), "push {:?}", op);
            }
            Op::Replay(id) => {
                prop_assert_eq!(replayed(real.replay_after(id))?, model.replay_after(id));
            }
        }
        prop_assert_eq!(real.len(), model.held.len());
        prop_assert_eq!(real.is_empty(), model.held.is_empty());
        prop_assert_eq!(real.evicted(), model.evicted);
        prop_assert_eq!(
            real.oldest_id(),
            model.held.front().map(|(id, _)| id.as_str())
        );
        prop_assert_eq!(
            real.newest_id(),
            model.held.back().map(|(id, _)| id.as_str())
        );
        prop_assert_eq!(collect(real.iter())?, model.from(0));
        for (id, _) in &model.held {
            prop_assert_eq!(replayed(real.replay_after(id))?, model.replay_after(id));
        }
    }
    Ok(())
}

/// A stream of `count` events with unique ids and tricky data.
fn stream(data: &[String]) -> Vec<(String, Vec<u8>)> {
    data.iter()
        .enumerate()
        .map(|(n, data)| {
            let id = format!("e{n}");
            let mut buf = vec![0u8; 256];
            let len = encode(&Message::new().id(&id).data(data), &mut buf).unwrap();
            buf.truncate(len);
            (id, buf)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn replay_buffer_matches_model_1_1(ops in ops(3)) {
        check_against_model::<1, 1>(&ops)?;
    }

    #[test]
    fn replay_buffer_matches_model_5_2(ops in ops(6)) {
        check_against_model::<5, 2>(&ops)?;
    }

    #[test]
    fn replay_buffer_matches_model_8_3(ops in ops(9)) {
        check_against_model::<8, 3>(&ops)?;
    }

    #[test]
    fn replay_buffer_matches_model_13_4(ops in ops(12)) {
        check_against_model::<13, 4>(&ops)?;
    }

    #[test]
    fn replay_buffer_matches_model_24_16(ops in ops(10)) {
        check_against_model::<24, 16>(&ops)?;
    }

    #[test]
    fn replay_buffer_matches_model_64_5(ops in ops(30)) {
        check_against_model::<64, 5>(&ops)?;
    }

    /// A client cut off at any byte of the stream reconnects with the last
    /// event ID its decoder committed, and the replay gives it exactly the
    /// events it missed: together, the two bodies decode to the whole stream.
    /// Or the id was evicted, and the buffer says so.
    #[test]
    fn cut_off_client_resumes_exactly(
        data in prop::collection::vec("[a-z\r\n ]{0,12}", 1..20),
        cut in any::<prop::sample::Index>(),
    ) {
        let events = stream(&data);
        let mut history = ReplayBuffer::<160, 6>::new();
        let mut whole = Vec::new();
        for (id, bytes) in &events {
            history.push(id, bytes).unwrap();
            whole.extend_from_slice(bytes);
        }
        let cut = cut.index(whole.len() + 1);
        let first = drive::decode(&whole[..cut], "");
        let all = drive::decode(&whole, "").events();
        let last_id = first.last_event_id.clone();
        let Some(id) = parse_last_event_id(last_id.as_bytes()) else {
            // No complete event yet: nothing to resume after.
            prop_assert!(first.events().is_empty());
            return Ok(());
        };
        let held_from = events.len() - history.len();
        match history.replay_after(id) {
            Replay::Events(missed) => {
                let missed = collect(missed)?;
                let mut resumed = first.events();
                resumed.extend(drive::decode(&missed, id).events());
                prop_assert_eq!(resumed, all);
            }
            Replay::Gap => {
                let position = events.iter().position(|(held, _)| held == id).unwrap();
                prop_assert!(position < held_from, "gap for a held id {}", id);
            }
        }
    }

    #[test]
    fn parse_last_event_id_matches_definition(value in prop::collection::vec(
        prop_oneof![Just(0u8), Just(b'\r'), Just(b'\n'), Just(b' '), Just(0xC3), Just(0xA9), any::<u8>()],
        0..8,
    )) {
        let expected = std::str::from_utf8(&value)
            .ok()
            .filter(|s| !s.is_empty() && !s.contains(['\0', '\r', '\n']));
        prop_assert_eq!(parse_last_event_id(&value), expected);
    }
}
