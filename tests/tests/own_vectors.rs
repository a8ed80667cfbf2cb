//! Our own vectors (every `tests/vectors/*.json` but `public.json`) on the real
//! decoder: fed whole, in their own chunks, one byte at a time and split at
//! every byte (R11), and equal to the naive reference decoder.

use sse_core_tests::{check, vectors};

#[test]
fn own_vectors_pass_whole_and_split_everywhere() {
    let files = vectors::own();
    assert!(!files.is_empty(), "no own vector files");
    for (_, vs) in &files {
        for v in vs {
            check::check_vector(v);
        }
    }
}
