//! `encode_roundtrip`: arbitrary events through the encoder and back; see
//! `sse_core_fuzz::encode_roundtrip` (in `src/lib.rs`) for what it checks.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sse_core_fuzz::EncodeCase;

/// The fuzzer's event. A finding is saved for `cargo test` as JSON with these
/// field names (see `tests/regression/README.md`); `cargo fuzz fmt` prints it.
#[derive(Arbitrary, Debug)]
struct Input<'a> {
    data: Option<&'a str>,
    event_type: Option<&'a str>,
    id: Option<&'a str>,
    retry: Option<u64>,
    previous_id: &'a str,
    room: u8,
    cuts: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    sse_core_fuzz::encode_roundtrip(&EncodeCase {
        data: input.data,
        event_type: input.event_type,
        id: input.id,
        retry: input.retry,
        previous_id: input.previous_id,
        room: input.room,
        cuts: input.cuts,
    });
});
