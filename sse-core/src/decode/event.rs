//! The event layer's rules (R22-R31): what each field does to the event
//! being built, and what a blank line dispatches.
//!
//! [`Events`] keeps the state between lines and, behind its methods, the
//! last event ID; the buffers are passed in as [`Parts`]. Every value piece
//! of every line comes through [`Events::value`] and every blank line
//! through [`Events::blank_line`]; each rule is one function.

use super::item::{Event, Item};
use super::storage::{Buf, Limits, Lowered, Parts, within};
use crate::error::DecodeError;
use crate::field::{FieldName, Value, has_nul};
use crate::utf8;

/// The event layer's state: everything but the buffers. Not generic, so
/// this code exists once.
#[derive(Clone, Debug)]
pub(super) struct Events {
    /// The caller's limits (see [`limits`](Self::limits)).
    lowered: Lowered,
    comments: bool,
    /// The last valid `retry` value (R25).
    retry: Option<u64>,
    block: Block,
    ids: Ids,
    line: Line,
}

/// The block (the lines up to a blank line) being read (R28, R31).
#[derive(Clone, Copy, Debug, Default)]
struct Block {
    /// Bytes in the data buffer (raw UTF-8 until dispatch).
    data_len: usize,
    /// A `data` field was seen (R28).
    has_data: bool,
    /// Bytes in the event type buffer.
    event_type_len: usize,
    /// A line other than a comment was seen.
    has_fields: bool,
    /// An error happened: the rest of the block is skipped.
    skipping: bool,
}

/// Which of the three id buffers holds what (R24, R27).
#[derive(Clone, Copy, Debug)]
struct Ids {
    /// Lengths of the three buffers' text.
    len: [usize; 3],
    /// The buffer holding the last event ID string: what was committed at the
    /// last blank line (R27).
    committed: usize,
    /// The buffer holding the last event ID buffer: `committed` unless a valid
    /// `id` came in this block.
    current: usize,
    /// The buffer the `id` line being read goes into: neither of the others,
    /// since an `id` with NUL must leave both (R24).
    incoming: usize,
}

/// What the piece before said about the line it belongs to.
#[derive(Clone, Copy, Debug, Default)]
struct Line {
    /// The line has not ended: the next piece continues it.
    open: bool,
    /// The `id` line being read contains NUL (R24).
    id_has_nul: bool,
    /// The `id` line being read is longer than its limit.
    id_too_long: bool,
    /// The `retry` line being read: its value so far, `None` once invalid (R25).
    retry: Option<u64>,
    /// The `retry` line being read has a byte.
    retry_nonempty: bool,
}

/// What a blank line dispatches, before its text is taken from the buffers.
#[derive(Clone, Copy, Debug)]
pub(super) enum Dispatch {
    /// An event with this much type and data.
    Event {
        event_type_len: usize,
        data_len: usize,
    },
    /// A block with fields but no data (R28).
    NoData,
}

impl Events {
    /// All zeros (see [`Decoder::new`](super::Decoder::new)).
    pub(super) const fn new() -> Self {
        Self {
            lowered: Lowered::NONE,
            comments: false,
            retry: None,
            block: Block {
                data_len: 0,
                has_data: false,
                event_type_len: 0,
                has_fields: false,
                skipping: false,
            },
            ids: Ids {
                len: [0; 3],
                committed: 0,
                current: 0,
                incoming: 0,
            },
            line: Line {
                open: false,
                id_has_nul: false,
                id_too_long: false,
                retry: None,
                retry_nonempty: false,
            },
        }
    }

    /// Sets the caller's limits.
    pub(super) fn set_limits(&mut self, limits: Limits) {
        self.lowered = Lowered::new(limits);
    }

    /// The limits in force: the caller's, within the buffers' `capacities`.
    /// The one place they are worked out.
    #[inline(always)]
    pub(super) fn limits(&self, capacities: Limits) -> Limits {
        self.lowered.get().min(capacities)
    }

    /// Reports comments, or not (R18).
    pub(super) fn set_comments(&mut self, report: bool) {
        self.comments = report;
    }

    /// The last valid `retry` value (R25).
    pub(super) fn retry(&self) -> Option<u64> {
        self.retry
    }

    /// The last event ID string (R27), from the id buffer `id(i)` it is in.
    #[inline]
    pub(super) fn last_event_id<'s>(&self, id: impl FnOnce(usize) -> &'s [u8]) -> &'s str {
        let committed = self.ids.committed;
        match self.ids.len[committed] {
            0 => "",
            // The decoder made the id valid UTF-8 when it stored it.
            len => id(committed)
                .get(..len)
                .and_then(utf8::text)
                .unwrap_or_default(),
        }
    }

    /// Sets the last event ID string and buffer (R35); see
    /// [`Decoder::set_last_event_id`](super::Decoder::set_last_event_id).
    pub(super) fn set_last_event_id(
        &mut self,
        parts: Parts<'_>,
        capacities: Limits,
        id: &str,
    ) -> Result<(), DecodeError> {
        if has_nul(id.as_bytes()) {
            return Err(DecodeError::IdContainsNul);
        }
        // The committed buffer is never the one an `id` line is read into.
        let limit = self.limits(capacities).id();
        let ids = &mut self.ids;
        let [a, b, c] = parts.ids;
        let mut buf = match ids.committed {
            0 => a,
            1 => b,
            _ => c,
        };
        let mut len = 0;
        append(&mut buf, &mut len, None, id.as_bytes(), limit)
            .ok_or(DecodeError::IdTooLong { limit })?;
        ids.len[ids.committed] = len;
        ids.current = ids.committed;
        Ok(())
    }

    /// Ends the body (R34, R35): drops the block and the line being read.
    /// Returns whether a block was pending.
    pub(super) fn finish(&mut self) -> bool {
        let pending = self.block.has_fields || self.block.skipping;
        self.block = Block::default();
        self.ids.current = self.ids.committed;
        self.line.open = false;
        pending
    }

    /// Starts skipping the rest of the block after `error`: the block is
    /// dropped whole, its id included (see [`DecodeError`]).
    fn fail(&mut self, error: DecodeError) -> DecodeError {
        self.block.skipping = true;
        self.ids.current = self.ids.committed;
        error
    }

    /// Whether `value` is a whole `data` line that may become the block's
    /// data as it is, borrowed from the input, if the block ends right
    /// after it (see [`dispatch`](Self::dispatch)).
    #[inline(always)]
    pub(super) fn may_borrow(&self, value: &Value<'_>, capacities: Limits) -> bool {
        value.name == FieldName::Data
            && value.end_of_line
            && !self.line.open
            && !self.block.has_data
            && !self.block.skipping
            && within(value.bytes.len(), self.limits(capacities).data())
    }

    /// Whether the next piece of a `data` line goes to
    /// [`data_piece`](Self::data_piece): the line began in earlier input
    /// and the block is being kept.
    #[inline(always)]
    pub(super) fn in_data_line(&self) -> bool {
        self.line.open && !self.block.skipping
    }

    /// A piece of a `data` line begun in earlier input: what
    /// [`value`](Self::value) does with it, with only the data buffer.
    #[inline(always)]
    pub(super) fn data_piece(
        &mut self,
        data: &mut Buf<'_>,
        capacities: Limits,
        value: Value<'_>,
    ) -> Option<DecodeError> {
        self.line.open = !value.end_of_line;
        let done = self.data(data, capacities, value, false);
        done.err().map(|error| self.fail(error))
    }

    /// Takes a piece of a line's value; what needs reporting comes back.
    #[inline(always)]
    pub(super) fn value<'a>(
        &mut self,
        parts: &mut Parts<'_>,
        capacities: Limits,
        value: Value<'a>,
    ) -> Option<Result<Item<'a>, DecodeError>> {
        let first = !self.line.open;
        self.line.open = !value.end_of_line;
        if self.block.skipping {
            return None;
        }
        self.block.has_fields |= value.name != FieldName::Comment;
        let done = match value.name {
            FieldName::Data => self.data(&mut parts.data, capacities, value, first),
            FieldName::Event => self.event_type(&mut parts.event_type, capacities, value, first),
            FieldName::Id => self.id(parts, capacities, value, first),
            FieldName::Retry => {
                return self.retry_line(value, first).map(|ms| Ok(Item::Retry(ms)));
            }
            FieldName::Comment if self.comments => {
                return Some(Ok(Item::Comment {
                    text: value.bytes,
                    end_of_line: value.end_of_line,
                }));
            }
            FieldName::Comment | FieldName::Unknown => Ok(()),
        };
        done.err().map(|error| Err(self.fail(error)))
    }

    /// A piece of a `data` line (R23): appended to the data buffer, lines
    /// joined with LF (R29).
    #[inline(always)]
    fn data(
        &mut self,
        data: &mut Buf<'_>,
        capacities: Limits,
        value: Value<'_>,
        first: bool,
    ) -> Result<(), DecodeError> {
        let limit = self.limits(capacities).data();
        let block = &mut self.block;
        let separator = (first && block.has_data).then_some(b'\n');
        block.has_data = true;
        append(data, &mut block.data_len, separator, value.bytes, limit)
            .ok_or(DecodeError::DataTooLong { limit })
    }

    /// A piece of an `event` line: the event type buffer is set to its value (R22).
    fn event_type(
        &mut self,
        event_type: &mut Buf<'_>,
        capacities: Limits,
        value: Value<'_>,
        first: bool,
    ) -> Result<(), DecodeError> {
        if first {
            self.block.event_type_len = 0;
        }
        let limit = self.limits(capacities).event_type();
        append(
            event_type,
            &mut self.block.event_type_len,
            None,
            value.bytes,
            limit,
        )
        .ok_or(DecodeError::EventTypeTooLong { limit })
    }

    /// A piece of an `id` line: at its end, the last event ID buffer is set
    /// to its value, unless it contains NUL (R24).
    fn id(
        &mut self,
        parts: &mut Parts<'_>,
        capacities: Limits,
        value: Value<'_>,
        first: bool,
    ) -> Result<(), DecodeError> {
        let limit = self.limits(capacities).id();
        let ids = &mut self.ids;
        let line = &mut self.line;
        if first {
            ids.incoming = (0..3)
                .find(|&i| i != ids.committed && i != ids.current)
                .unwrap_or_default();
            ids.len[ids.incoming] = 0;
            line.id_has_nul = false;
            line.id_too_long = false;
        }
        let buf = &mut parts.ids[ids.incoming];
        if !line.id_has_nul {
            if has_nul(value.bytes) {
                line.id_has_nul = true;
            } else if !line.id_too_long {
                let len = &mut ids.len[ids.incoming];
                line.id_too_long = append(buf, len, None, value.bytes, limit).is_none();
            }
        }
        if !value.end_of_line || line.id_has_nul {
            // An id with NUL is ignored whatever its length.
            return Ok(());
        }
        let error = DecodeError::IdTooLong { limit };
        if line.id_too_long {
            return Err(error);
        }
        ids.len[ids.incoming] =
            utf8::repair_in_place(buf, ids.len[ids.incoming], limit).ok_or(error)?;
        ids.current = ids.incoming;
        Ok(())
    }

    /// A piece of a `retry` line; returns the new reconnection time at the
    /// end of a valid line (R25, R26).
    fn retry_line(&mut self, value: Value<'_>, first: bool) -> Option<u64> {
        let line = &mut self.line;
        if first {
            line.retry = Some(0);
            line.retry_nonempty = false;
        }
        line.retry_nonempty |= !value.bytes.is_empty();
        // Only ASCII digits; a value past u64::MAX is ignored (R26).
        line.retry = line.retry.and_then(|n| {
            value.bytes.iter().try_fold(n, |n, &b| {
                b.is_ascii_digit()
                    .then_some(())
                    .and_then(|()| n.checked_mul(10)?.checked_add(u64::from(b - b'0')))
            })
        });
        // An empty value is ignored (R26).
        if !value.end_of_line || !line.retry_nonempty {
            return None;
        }
        self.retry = Some(line.retry?);
        self.retry
    }

    /// A blank line (R27-R31): ends the block and says what it dispatches.
    #[inline]
    pub(super) fn blank_line(&mut self) -> Option<Dispatch> {
        let block = core::mem::take(&mut self.block);
        if block.skipping || !block.has_fields {
            return None;
        }
        if !block.has_data {
            // No data, no event (R28); the id is still committed (R27).
            return Some(Dispatch::NoData);
        }
        Some(Dispatch::Event {
            event_type_len: block.event_type_len,
            data_len: block.data_len,
        })
    }

    /// A `data` line that lies whole in the input, followed by a blank line
    /// there, as the block's only data: what [`value`](Self::value) and
    /// [`blank_line`](Self::blank_line) would make of them, with the data
    /// borrowed from the input when it is valid UTF-8.
    pub(super) fn borrowed<'s>(
        &mut self,
        parts: Parts<'s>,
        capacities: Limits,
        data: &'s [u8],
    ) -> Result<Item<'s>, DecodeError> {
        let block = core::mem::take(&mut self.block);
        let dispatch = Dispatch::Event {
            event_type_len: block.event_type_len,
            data_len: 0,
        };
        self.dispatch(parts, capacities, dispatch, Some(data))
    }

    /// Makes what [`blank_line`](Self::blank_line) found an item: the event's
    /// type and data as text, U+FFFD for invalid UTF-8 (R8), within the
    /// limits; the last event ID committed (R27) unless the event broke one.
    /// `borrowed` is the event's data when it lies in the input.
    pub(super) fn dispatch<'s>(
        &mut self,
        parts: Parts<'s>,
        capacities: Limits,
        dispatch: Dispatch,
        borrowed: Option<&'s [u8]>,
    ) -> Result<Item<'s>, DecodeError> {
        let Parts {
            data,
            event_type,
            ids,
        } = parts;
        let event = match dispatch {
            Dispatch::NoData => None,
            Dispatch::Event {
                event_type_len,
                data_len,
            } => {
                let text = event_text(
                    event_type,
                    event_type_len,
                    data,
                    data_len,
                    borrowed,
                    self.limits(capacities),
                );
                match text {
                    Ok(event) => Some(event),
                    Err(error) => {
                        self.ids.current = self.ids.committed;
                        return Err(error);
                    }
                }
            }
        };
        self.ids.committed = self.ids.current;
        let [a, b, c] = ids;
        let last_event_id = self.last_event_id(|i| {
            match i {
                0 => a,
                1 => b,
                _ => c,
            }
            .into_bytes()
        });
        Ok(match event {
            None => Item::NoData { last_event_id },
            Some((event_type, data)) => Item::Event(Event {
                event_type,
                data,
                last_event_id,
            }),
        })
    }
}

/// The event's type and data as text (R8, R30); the data is `borrowed`
/// from the input if it lies there, else in the buffer.
#[inline]
fn event_text<'s>(
    event_type: Buf<'s>,
    event_type_len: usize,
    mut data: Buf<'s>,
    mut data_len: usize,
    borrowed: Option<&'s [u8]>,
    limits: Limits,
) -> Result<(&'s str, &'s str), DecodeError> {
    let limit = limits.event_type();
    let event_type = match event_type_len {
        // An empty type means "message" (R30).
        0 => "message",
        len => utf8::decode_in_place(event_type, len, limit)
            .ok_or(DecodeError::EventTypeTooLong { limit })?,
    };
    let limit = limits.data();
    let error = DecodeError::DataTooLong { limit };
    if let Some(line) = borrowed {
        if let Some(text) = utf8::text(line) {
            return Ok((event_type, text));
        }
        // To be repaired in the buffer.
        append(&mut data, &mut data_len, None, line, limit).ok_or(error)?;
    }
    let data = utf8::decode_in_place(data, data_len, limit).ok_or(error)?;
    Ok((event_type, data))
}

/// Appends `bytes`, after `separator` if any, to `buf[..*len]` if the result
/// fits within `limit`: the one place where the buffers grow. `None` (with
/// nothing written) if not.
#[inline(always)]
fn append(
    buf: &mut Buf<'_>,
    len: &mut usize,
    separator: Option<u8>,
    bytes: &[u8],
    limit: usize,
) -> Option<()> {
    let start = *len + usize::from(separator.is_some());
    let end = start.checked_add(bytes.len())?;
    let room = buf.get_mut(*len..end, limit)?;
    let (head, tail) = room.split_at_mut(start - *len);
    if let (Some(separator), Some(slot)) = (separator, head.first_mut()) {
        *slot = separator;
    }
    tail.copy_from_slice(bytes);
    *len = end;
    Some(())
}
