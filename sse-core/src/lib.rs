//! Exact, `no_std`, zero-allocation, sans-IO Server-Sent Events.
//!
//! Placeholder crate docs; completed below.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]

mod decode;
mod error;
pub mod field;
mod utf8;

pub use decode::{Decoder, EndOfBody, Event, InlineBuffers, Item, Limits, SliceBuffers, Storage};
pub use error::{BufferTooSmall, DecodeError};
