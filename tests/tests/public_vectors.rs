//! The spec and web-platform-test vectors (`../shared/vectors/public.json`), fed
//! whole, in their own chunks, one byte at a time, and split at every byte (R11).

use sse_core_tests::{check, vectors};

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
        check::check_vector(v);
    }
}
