//! Checks one vector against the real decoder every way it can be fed (R11),
//! and against the naive reference decoder ([`crate::naive`]).

use crate::{OwnedEvent, drive, naive, vectors};

/// Checks one vector on the real decoder: fed whole, in its own chunks, one
/// byte at a time and split at every byte, all of which must give the same
/// [`crate::Outcome`]; the whole-body outcome must match the vector's
/// expectations and equal the naive decoder's outcome exactly.
pub fn check_vector(v: &vectors::Vector) {
    let body = v.bytes();
    let whole = drive::decode(&body, v.initial_id());
    assert_eq!(whole.events(), expected(v), "{} (fed whole)", v.name);
    if let Some(ms) = v.reconnection_ms {
        assert_eq!(
            whole.last_retry().or(v.initial_reconnection_ms),
            Some(ms),
            "{} retry",
            v.name
        );
    }
    if let Some(id) = &v.final_last_event_id {
        assert_eq!(&whole.last_event_id, id, "{} final id", v.name);
    }
    assert_eq!(
        whole,
        naive::decode(&body, v.initial_id()),
        "{} (real decoder vs naive decoder)",
        v.name
    );
    if let Some(chunks) = v.given_chunks() {
        let pieces: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        assert_eq!(
            pieces.concat(),
            body,
            "{}: chunks do not join to the stream",
            v.name
        );
        assert_eq!(
            drive::decode_chunks(&pieces, v.initial_id()),
            whole,
            "{} (given chunks)",
            v.name
        );
    }
    let bytes: Vec<&[u8]> = body.chunks(1).collect();
    assert_eq!(
        drive::decode_chunks(&bytes, v.initial_id()),
        whole,
        "{} (byte by byte)",
        v.name
    );
    for cut in 0..=body.len() {
        let pieces = drive::split_at(&body, &[cut]);
        assert_eq!(
            drive::decode_chunks(&pieces, v.initial_id()),
            whole,
            "{} (split at {cut})",
            v.name
        );
    }
}

/// The vector's expected events as owned events.
pub fn expected(v: &vectors::Vector) -> Vec<OwnedEvent> {
    v.events
        .iter()
        .map(|e| OwnedEvent {
            event_type: e.event_type.clone().into(),
            data: e.data.clone(),
            last_event_id: e.last_event_id.clone(),
        })
        .collect()
}

/// Checks that `body` decodes the same fed whole and cut at `cuts` (R11).
/// The cuts may come in any order and be any numbers: each is taken modulo
/// `body.len() + 1`, as a property test draws them.
pub fn check_cuts(body: &[u8], cuts: &[usize]) {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    cuts.sort_unstable();
    let pieces = drive::split_at(body, &cuts);
    assert_eq!(
        drive::decode_chunks(&pieces, ""),
        drive::decode(body, ""),
        "{body:?} cut at {cuts:?}"
    );
}

/// Checks that `seed` decodes as the naive decoder does, fed whole and cut
/// at every pair of points (R11): every place a CR, a CRLF, a field name or
/// a block can be split.
pub fn check_every_two_cuts(seed: &[u8], initial_id: &str) {
    let expected = naive::decode(seed, initial_id);
    assert_eq!(drive::decode(seed, initial_id), expected, "{seed:?}");
    for a in 0..=seed.len() {
        for b in a..=seed.len() {
            let pieces = drive::split_at(seed, &[a, b]);
            assert_eq!(
                drive::decode_chunks(&pieces, initial_id),
                expected,
                "{seed:?} at {a},{b}"
            );
        }
    }
}
