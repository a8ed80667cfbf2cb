//! Error types.

use core::fmt;

/// An error while decoding one event.
///
/// Decoding errors are never fatal: the event in which the error happened is
/// skipped up to the next blank line, and decoding goes on from there. The
/// stream's state (last event ID, reconnection time) is unaffected.
///
/// ```
/// use sse_core::{DecodeError, Decoder, InlineBuffers};
/// let mut decoder = Decoder::<InlineBuffers<4>>::new();
/// let mut input = &b"data: too long\n\ndata: ok\n\n"[..];
/// assert_eq!(decoder.next(&mut input).unwrap(), Err(DecodeError::DataTooLong { limit: 4 }));
/// assert_eq!(decoder.next(&mut input).unwrap().unwrap().event().unwrap().data(), "ok");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeError {
    /// The event's data, decoded and joined with LF, is longer than the limit.
    DataTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// The event type, decoded, is longer than the limit.
    EventTypeTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// An `id` value, decoded, is longer than the limit.
    IdTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// A last event ID given to [`Decoder::set_last_event_id`](crate::Decoder::set_last_event_id)
    /// contains U+0000 NULL, which the standard never lets into the last event ID (R24).
    IdContainsNul,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DataTooLong { limit } => {
                write!(f, "event data longer than the limit of {limit} bytes")
            }
            Self::EventTypeTooLong { limit } => {
                write!(f, "event type longer than the limit of {limit} bytes")
            }
            Self::IdTooLong { limit } => {
                write!(f, "event id longer than the limit of {limit} bytes")
            }
            Self::IdContainsNul => f.write_str("event id contains a nul character"),
        }
    }
}

impl core::error::Error for DecodeError {}

/// A caller-supplied buffer is too small for what was asked of it.
///
/// ```
/// use sse_core::{BufferTooSmall, Limits, SliceBuffers};
/// let mut memory = [0u8; 10];
/// let limits = Limits::new().max_event_type(8).max_id(8);
/// assert_eq!(
///     SliceBuffers::new(&mut memory, limits).err(),
///     Some(BufferTooSmall { required: 32 })
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BufferTooSmall {
    /// The size in bytes that would have been enough.
    pub required: usize,
}

impl fmt::Display for BufferTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "buffer too small: {} bytes required", self.required)
    }
}

impl core::error::Error for BufferTooSmall {}

/// An error while encoding. When encoding fails, nothing has been written,
/// unless a [`Sink`](crate::Sink) took fewer bytes than its `remaining`
/// promised: then what it took before refusing a piece stays written.
///
/// ```
/// use sse_core::{EncodeError, Message, encode};
/// let mut buf = [0u8; 64];
/// let injected = Message::new().event_type("x\ndata: forged").data("real");
/// assert_eq!(encode(&injected, &mut buf), Err(EncodeError::EventTypeHasLineBreak));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncodeError {
    /// The buffer or sink has less room than the event needs, or a sink
    /// refused a piece ([`Sink::put`](crate::Sink::put)).
    BufferTooSmall {
        /// The size in bytes the event needs.
        required: usize,
    },
    /// The event type contains CR or LF, which would end its line (R6).
    EventTypeHasLineBreak,
    /// The id contains CR or LF, which would end its line (R6).
    IdHasLineBreak,
    /// The id contains NUL, which makes receivers ignore it (R24).
    IdContainsNul,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BufferTooSmall { required } => {
                write!(f, "buffer too small: {required} bytes required")
            }
            Self::EventTypeHasLineBreak => f.write_str("event type contains a line break"),
            Self::IdHasLineBreak => f.write_str("event id contains a line break"),
            Self::IdContainsNul => f.write_str("event id contains a nul character"),
        }
    }
}

impl core::error::Error for EncodeError {}
