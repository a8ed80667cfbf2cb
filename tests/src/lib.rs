//! Test support for `sse-core`: the vector files, a naive reference decoder
//! written literally from the rules, and helpers that drive the real decoder.
//!
//! Rule numbers (R1-R55, D1-D15) refer to the rules reference, `sse-core/SPEC.md`
//! (`sse_core::rules` in the API documentation).

pub mod check;
pub mod client_model;
pub mod drive;
pub mod naive;
pub mod rng;
pub mod vectors;

pub use rng::Rng;
/// A dispatched event, owned: sse-core's own.
pub use sse_core::OwnedEvent;

/// A string escaped (as `{:?}` writes it), shortened to its first 60
/// characters when it has more than 80; for failure messages.
pub fn show(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 80 {
        format!("{s:?}")
    } else {
        let head: String = chars[..60].iter().collect();
        format!("{head:?}... ({} chars)", chars.len())
    }
}

/// What a decoder reports, owned, in stream order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OwnedItem {
    /// A dispatched event (R27-R31).
    Event(OwnedEvent),
    /// A valid `retry` field (R25).
    Retry(u64),
    /// A blank line ended a block that had at least one non-comment line but no
    /// `data` field (R28), with the last event ID after it (R27).
    NoData(String),
    /// A limit error (its `Display` text).
    Error(String),
}

/// Everything a decoder produced for one body.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Outcome {
    /// The items in stream order.
    pub items: Vec<OwnedItem>,
    /// The committed last event ID after the body (R27, R34).
    pub last_event_id: String,
    /// Whether an incomplete line or block was discarded at the end (R15, R34).
    pub discarded: bool,
}

impl Outcome {
    /// Only the dispatched events.
    pub fn events(&self) -> Vec<OwnedEvent> {
        self.items
            .iter()
            .filter_map(|i| match i {
                OwnedItem::Event(e) => Some(e.clone()),
                _ => None,
            })
            .collect()
    }

    /// The last valid `retry` value, if any.
    pub fn last_retry(&self) -> Option<u64> {
        self.items.iter().rev().find_map(|i| match i {
            OwnedItem::Retry(r) => Some(*r),
            _ => None,
        })
    }
}
