//! `client_drive`: the client state machine against its reference model. See
//! `sse_core_tests::client_model::client_drive` (tests/src/client_model.rs):
//! any bytes are read as settings and steps (responses, body bytes, end of
//! body, network errors, time, close); no panic, and after every step the
//! client's ready state, outputs, request headers, deadline, events, last
//! event ID and reconnection time equal the model's. So it never reconnects
//! after CLOSED or a failed response, never sets a deadline in the past, and
//! sends `Last-Event-ID` exactly when the last event ID is not empty.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| sse_core_tests::client_model::client_drive(bytes));
