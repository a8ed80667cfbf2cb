//! `decode_small_capacity`: see `sse_core_fuzz::decode_small_capacity` (in `src/lib.rs`) for what it checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| sse_core_fuzz::decode_small_capacity(bytes));
