//! The spec and web-platform-test vectors (`tests/vectors/public.json`), fed
//! whole, in their own chunks, one byte at a time, and split at every byte (R11).

use sse_core_tests::{check, vectors};

/// `public.json` is maintained upstream of this repository; a checkout that has
/// the upstream file beside the repository (`../shared/vectors/public.json`)
/// checks that the copy here is identical. A plain clone has no such file and
/// uses the copy alone.
#[test]
fn the_copy_matches_the_upstream_file_when_present() {
    let upstream =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/public.json");
    let Ok(upstream) = std::fs::read(&upstream) else {
        return;
    };
    let copy = std::fs::read(vectors::dir().join("public.json")).unwrap();
    assert!(
        upstream == copy,
        "tests/vectors/public.json differs from ../shared/vectors/public.json; copy it again"
    );
}

#[test]
fn public_vectors_pass_whole_and_split_everywhere() {
    let all = vectors::public();
    assert_eq!(all.len(), 37);
    for v in &all {
        check::check_vector(v);
    }
}
