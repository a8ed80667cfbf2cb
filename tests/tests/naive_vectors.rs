//! The naive reference decoder (`sse_core_tests::naive`) against every public
//! and own vector, plus checks on the own vector files themselves: rule
//! coverage (R1-R35), count, and well-formedness.

use sse_core_tests::{check, naive, vectors};
use std::collections::{BTreeSet, HashSet};

/// Checks the naive decoder's outcome on the whole body against one vector.
fn naive_passes(v: &vectors::Vector) {
    let out = naive::decode(&v.bytes(), v.initial_id());
    assert_eq!(
        out.events(),
        check::expected(v),
        "{} (naive events)",
        v.name
    );
    if let Some(ms) = v.reconnection_ms {
        assert_eq!(
            out.last_retry().or(v.initial_reconnection_ms),
            Some(ms),
            "{} (naive retry)",
            v.name
        );
    }
    if let Some(id) = &v.final_last_event_id {
        assert_eq!(&out.last_event_id, id, "{} (naive final id)", v.name);
    }
}

#[test]
fn naive_decoder_passes_public_vectors() {
    for v in &vectors::public() {
        naive_passes(v);
    }
}

#[test]
fn naive_decoder_passes_own_vectors() {
    for (file, vs) in vectors::own() {
        for v in &vs {
            naive_passes(v);
            // The naive decoder is one piece; the given chunks must at least join up.
            if let Some(chunks) = v.given_chunks() {
                assert_eq!(chunks.concat(), v.bytes(), "{file}: {} chunks", v.name);
            }
        }
    }
}

/// Every rule a vector cites, in `rule` or `rules`.
fn cited(v: &vectors::Vector) -> impl Iterator<Item = &str> {
    v.rule.iter().chain(v.rules.iter()).map(String::as_str)
}

#[test]
fn own_vectors_cover_r1_to_r35() {
    let cited: BTreeSet<String> = vectors::own()
        .iter()
        .flat_map(|(_, vs)| vs.iter())
        .flat_map(|v| cited(v).map(str::to_owned).collect::<Vec<_>>())
        .collect();
    let missing: Vec<String> = (1..=35)
        .map(|n| format!("R{n}"))
        .filter(|r| !cited.contains(r))
        .collect();
    assert!(missing.is_empty(), "rules never cited: {missing:?}");
}

#[test]
fn there_are_enough_own_vectors() {
    let n: usize = vectors::own().iter().map(|(_, vs)| vs.len()).sum();
    assert!(n >= 150, "only {n} own vectors");
}

#[test]
fn own_vectors_are_well_formed() {
    let public: HashSet<String> = vectors::public().into_iter().map(|v| v.name).collect();
    let mut names = HashSet::new();
    for (file, vs) in vectors::own() {
        assert!(!vs.is_empty(), "{file} is empty");
        for v in &vs {
            let at = format!("{file}: {}", v.name);
            assert!(names.insert(v.name.clone()), "{at}: duplicate name");
            assert!(!public.contains(&v.name), "{at}: name used by public.json");
            let rule = v.rule.as_deref().unwrap_or_else(|| panic!("{at}: no rule"));
            assert!(v.rules.iter().any(|r| r == rule), "{at}: rule not in rules");
            for r in cited(v) {
                let ok = r
                    .strip_prefix('R')
                    .or_else(|| r.strip_prefix('D'))
                    .and_then(|n| n.parse::<u32>().ok())
                    .is_some();
                assert!(ok, "{at}: bad rule {r:?}");
            }
            assert_eq!(v.source.as_deref(), Some("derived"), "{at}: source");
            assert!(
                v.notes.as_deref().is_some_and(|n| !n.is_empty()),
                "{at}: notes"
            );
            assert!(
                v.stream.is_some() != v.stream_hex.is_some(),
                "{at}: exactly one of stream / stream_hex"
            );
            if let Some(h) = &v.stream_hex {
                assert!(
                    std::str::from_utf8(&vectors::hex(h)).is_err(),
                    "{at}: stream_hex is valid UTF-8; use stream"
                );
            }
            assert!(
                !(v.chunks.is_some() && v.chunks_hex.is_some()),
                "{at}: both chunks and chunks_hex"
            );
            if v.rules.iter().any(|r| r == "R26") {
                assert!(v.impl_defined, "{at}: R26 vectors are impl_defined");
            }
        }
    }
}
