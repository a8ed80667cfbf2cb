//! The spec and web-platform-test vectors (`../shared/vectors/public.json`), fed
//! whole, in their own chunks, one byte at a time, and split at every byte (R11).

use sse_core_tests::{drive, vectors};

#[test]
fn the_copy_matches_the_shared_file() {
    let shared =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/public.json");
    if let Ok(shared) = std::fs::read(&shared) {
        let copy = std::fs::read(vectors::dir().join("public.json")).unwrap();
        assert!(
            shared == copy,
            "tests/vectors/public.json differs from ../shared; copy it again"
        );
    }
}

#[test]
fn public_vectors_pass_whole_and_split_everywhere() {
    let all = vectors::public();
    assert_eq!(all.len(), 37);
    for v in &all {
        check(v);
    }
}

/// Checks one vector every way it can be fed.
pub fn check(v: &vectors::Vector) {
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

fn expected(v: &vectors::Vector) -> Vec<sse_core_tests::OwnedEvent> {
    v.events
        .iter()
        .map(|e| sse_core_tests::OwnedEvent {
            event_type: e.event_type.clone(),
            data: e.data.clone(),
            last_event_id: e.last_event_id.clone(),
        })
        .collect()
}
