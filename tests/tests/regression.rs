//! Fuzz findings and nasty inputs, replayed on stable through the fuzz
//! targets' own checks (`sse-core-fuzz/src/lib.rs`, included below), and the
//! writer of the fuzzers' seed corpus.
//!
//! `tests/regression/<target>-<name>.bin` holds the raw input of a byte target
//! (`decode_chunked`, `decode_small_capacity`, `field_layer`);
//! `tests/regression/encode_roundtrip-<name>.json` holds an `encode_roundtrip`
//! case as JSON. See `tests/regression/README.md`.
#![cfg(not(miri))]

use std::path::{Path, PathBuf};

#[allow(unreachable_pub, dead_code)]
#[path = "../../sse-core-fuzz/src/lib.rs"]
mod checks;

/// A byte target's check: panics when a property fails.
type Check = fn(&[u8]);

/// The byte targets, each with its check.
const BYTE_TARGETS: [(&str, Check); 4] = [
    ("decode_chunked", checks::decode_chunked),
    ("decode_small_capacity", checks::decode_small_capacity),
    ("field_layer", checks::field_layer),
    ("client_drive", sse_core_tests::client_model::client_drive),
];

fn regression_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("regression")
}

/// The regression files of `target`, sorted, as (file name, bytes).
fn files_of(target: &str, extension: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(regression_dir())
        .expect("tests/regression exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_owned();
            let (prefix, _) = name.split_once('-')?;
            (prefix == target).then(|| (name, std::fs::read(&path).expect("readable file")))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_regression_file_belongs_to_a_target() {
    for entry in std::fs::read_dir(regression_dir()).expect("tests/regression exists") {
        let name = entry.expect("readable entry").file_name();
        let name = name.to_string_lossy();
        if name == "README.md" {
            continue;
        }
        let known = BYTE_TARGETS
            .iter()
            .any(|(target, _)| name.starts_with(&format!("{target}-")) && name.ends_with(".bin"))
            || (name.starts_with("encode_roundtrip-") && name.ends_with(".json"));
        assert!(
            known,
            "{name}: not <byte target>-*.bin nor encode_roundtrip-*.json"
        );
    }
}

#[test]
fn byte_target_regressions_pass() {
    for (target, check) in BYTE_TARGETS {
        let files = files_of(target, "bin");
        assert!(!files.is_empty(), "no regression file for {target}");
        for (name, bytes) in files {
            eprintln!("replaying {name}");
            check(&bytes);
        }
    }
}

/// A JSON string field, or `None` for `null` or a missing key.
fn text<'a>(case: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    case.get(key).and_then(serde_json::Value::as_str)
}

#[test]
fn encode_roundtrip_regressions_pass() {
    let files = files_of("encode_roundtrip", "json");
    assert!(!files.is_empty(), "no regression file for encode_roundtrip");
    for (name, bytes) in files {
        eprintln!("replaying {name}");
        let case: serde_json::Value = serde_json::from_slice(&bytes).expect("valid JSON");
        let cuts: Vec<u8> = case["cuts"]
            .as_array()
            .map(|cuts| {
                cuts.iter()
                    .map(|c| {
                        c.as_u64()
                            .and_then(|c| u8::try_from(c).ok())
                            .expect("a byte")
                    })
                    .collect()
            })
            .unwrap_or_default();
        checks::encode_roundtrip(&checks::EncodeCase {
            data: text(&case, "data"),
            event_type: text(&case, "event_type"),
            id: text(&case, "id"),
            retry: case.get("retry").and_then(serde_json::Value::as_u64),
            previous_id: text(&case, "previous_id").unwrap_or_default(),
            room: case
                .get("room")
                .and_then(serde_json::Value::as_u64)
                .and_then(|r| u8::try_from(r).ok())
                .unwrap_or(0x80),
            cuts: &cuts,
        });
    }
}

#[test]
fn seeds_parse_back_to_their_chunks() {
    for vector in sse_core_tests::vectors::all() {
        let body = vector.bytes();
        let chunks = vector.given_chunks().unwrap_or_else(|| vec![body.clone()]);
        let chunks: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let seed = checks::byte_seed(0x21, 0x3, &chunks);
        let input = checks::Input::parse(&seed);
        assert_eq!(
            (input.settings, input.extra),
            (0x21, 0x3),
            "{}",
            vector.name
        );
        assert_eq!(input.body, body, "{}", vector.name);
        assert_eq!(input.chunks.concat(), body, "{}", vector.name);
        if chunks.len() <= 16 && chunks.iter().all(|c| c.len() <= 255) {
            assert_eq!(input.chunks, chunks, "{}", vector.name);
        }
    }
}

/// Replays the local fuzz corpus (`sse-core-fuzz/corpus/<target>/`, written
/// by the fuzzers) of the byte targets on stable: a quick check of a change to
/// sse-core against everything the fuzzers have found interesting.
#[test]
#[ignore = "needs a local fuzz corpus; run by hand"]
fn replay_local_fuzz_corpus() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sse-core-fuzz/corpus");
    for (target, check) in BYTE_TARGETS {
        let Ok(entries) = std::fs::read_dir(corpus.join(target)) else {
            continue;
        };
        let mut count = 0;
        for entry in entries {
            let path = entry.expect("readable entry").path();
            let bytes = std::fs::read(&path).expect("readable file");
            if let Err(panic) = std::panic::catch_unwind(|| check(&bytes)) {
                panic!("{}: {panic:?}", path.display());
            }
            count += 1;
        }
        eprintln!("{target}: {count} inputs replayed");
    }
}

/// Writes the seed corpus: every vector body (in its own chunks when it has
/// some, and split in the middle), behind the header of each byte target, and
/// every regression input. Run by `.ci/fuzz` before fuzzing.
#[test]
#[ignore = "writes sse-core-fuzz/corpus/; run by .ci/fuzz"]
fn write_fuzz_seed_corpus() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sse-core-fuzz/corpus");
    let mut seeds: Vec<(&str, Vec<u8>)> = Vec::new();
    for (i, vector) in sse_core_tests::vectors::all().into_iter().enumerate() {
        let body = vector.bytes();
        let given = vector.given_chunks().unwrap_or_else(|| vec![body.clone()]);
        let given: Vec<&[u8]> = given.iter().map(Vec::as_slice).collect();
        let halves: Vec<&[u8]> = {
            let (a, b) = body.split_at(body.len() / 2);
            vec![a, b]
        };
        let initial = u8::from(!vector.initial_id().is_empty());
        // Limits for decode_small_capacity: data 1-16, type 0-15, id 0-15.
        let (settings, extra) = [(0x33, 0x4), (0x00, 0x0), (0x7F, 0x8), (0x21, 0x2)][i % 4];
        if body.len() <= sse_core_tests::client_model::MAX_BODY / 2 {
            let seed = sse_core_tests::client_model::seed_from_body(&body);
            seeds.push(("client_drive", seed));
        }
        for chunks in [&given, &halves] {
            seeds.push(("decode_chunked", checks::byte_seed(initial, 0, chunks)));
            seeds.push(("field_layer", checks::byte_seed(0, 0, chunks)));
            seeds.push((
                "decode_small_capacity",
                checks::byte_seed(settings, extra, chunks),
            ));
        }
        seeds.push(("encode_roundtrip", body));
    }
    for (target, _) in BYTE_TARGETS {
        for (_, bytes) in files_of(target, "bin") {
            seeds.push((target, bytes));
        }
    }
    for (target, seed) in seeds {
        let dir = corpus.join(target);
        std::fs::create_dir_all(&dir).expect("corpus folder");
        let name = format!("seed-{:016x}", fnv1a(&seed));
        std::fs::write(dir.join(name), &seed).expect("write a seed");
    }
}

/// A stable hash for seed file names (FNV-1a, 64 bits).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
