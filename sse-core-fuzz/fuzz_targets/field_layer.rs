//! `field_layer`: see `sse_core_fuzz::field_layer` (in `src/lib.rs`) for what it checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| sse_core_fuzz::field_layer(bytes));
