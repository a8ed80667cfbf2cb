//! `decode_chunked`: see `sse_core_fuzz::decode_chunked` (in `src/lib.rs`) for what it checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| sse_core_fuzz::decode_chunked(bytes));
