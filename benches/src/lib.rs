//! Benchmark workloads and contenders for `sse-core`.
//!
//! Everything the criterion benches (`benches/decode.rs`) and the cheap
//! correctness test (`tests/workloads.rs`) share lives here:
//!
//! - [`workloads`]: deterministic (seeded xorshift) `text/event-stream` bodies,
//!   each with a [`Summary`] of the events it must decode to;
//! - [`contenders`]: our decoder, our field layer and every peer decoder, each
//!   driven through its own public API the way its users drive it;
//! - [`encoders`]: our encoder, axum's and sse-stream's;
//! - [`alloc`]: a counting global allocator, so the benches can report heap
//!   allocations per event;
//! - [`clock`]: the benches' clock (thread CPU time, as the machine is shared).

pub mod alloc;
pub mod clock;
pub mod contenders;
pub mod encoders;
pub mod workloads;

pub use contenders::{Contender, Counter, Input};
pub use workloads::{Summary, Workload};

/// Receives each decoded event from a contender.
///
/// Peers that leave out the event type or ID report `"message"` and `""`
/// instead, so every contender's output can be compared.
pub trait Sink {
    /// One dispatched event.
    fn event(&mut self, event_type: &str, data: &str, id: &str);
}
