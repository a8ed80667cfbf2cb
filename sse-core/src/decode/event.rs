//! The event layer's rules (R22-R31): what each field does to the event
//! being built, and what a blank line dispatches.
//!
//! One function per rule; every value piece of every line comes through
//! [`Events::value`], and every blank line through [`Events::blank_line`]
//! and [`Events::dispatch`].

use super::item::{Event, Item};
use super::storage::{Buf, Lowered, Parts};
use crate::error::DecodeError;
use crate::field::{FieldName, FieldParser, Token, Value};
use crate::utf8;

/// The event layer's state: everything but the buffers, which are passed in
/// as [`Parts`]. Not generic, so this code exists once.
#[derive(Clone, Debug)]
pub(super) struct Events {
    /// The caller's limits; each buffer's size limits it too.
    pub(super) lowered: Lowered,
    pub(super) comments: bool,
    /// The last valid `retry` value (R25).
    pub(super) retry: Option<u64>,
    pub(super) block: Block,
    pub(super) ids: Ids,
    line: Line,
}

/// The block (the lines up to a blank line) being read (R28, R31).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Block {
    /// Bytes in the data buffer (raw UTF-8 until dispatch).
    data_len: usize,
    /// A `data` field was seen (R28).
    has_data: bool,
    /// Bytes in the event type buffer.
    event_type_len: usize,
    /// A line other than a comment was seen.
    pub(super) has_fields: bool,
    /// An error happened: the rest of the block is skipped.
    pub(super) skipping: bool,
}

/// Which of the three id buffers holds what (R24, R27).
#[derive(Clone, Copy, Debug)]
pub(super) struct Ids {
    /// Lengths of the three buffers' text.
    pub(super) len: [usize; 3],
    /// The buffer holding the last event ID string: what was committed at the
    /// last blank line (R27).
    pub(super) committed: usize,
    /// The buffer holding the last event ID buffer: `committed` unless a valid
    /// `id` came in this block.
    pub(super) current: usize,
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
    pub(super) fn fail(&mut self, error: DecodeError) -> DecodeError {
        self.block.skipping = true;
        self.ids.current = self.ids.committed;
        error
    }

    /// Decodes from `input` with the field layer's `fields` until there is
    /// something to report (see [`Decoder::next`](super::Decoder::next)).
    #[inline(never)]
    pub(super) fn next<'s, 'a: 's>(
        &mut self,
        fields: &mut FieldParser,
        mut parts: Parts<'s>,
        input: &mut &'a [u8],
    ) -> Option<Result<Item<'s>, DecodeError>> {
        // The block's one data line, while it lies whole in `input` (see
        // `data`).
        let mut single: Option<&'a [u8]> = None;
        let dispatch = loop {
            // No input, no token: answered here rather than by the field
            // layer, since this is how every chunk ends.
            if input.is_empty() {
                self.spill(&mut parts.data, &mut single);
                return None;
            }
            match fields.next_token(input) {
                Some(Token::Value(value)) => {
                    if let Some(item) = self.value(&mut parts, value, &mut single) {
                        return Some(item);
                    }
                }
                Some(Token::BlankLine) => {
                    if let Some(dispatch) = self.blank_line() {
                        break dispatch;
                    }
                    single = None;
                }
                None => {}
            }
        };
        Some(self.dispatch(parts, dispatch, single))
    }

    /// Whether the next input continues a `data` line of a block being kept,
    /// for [`data_piece`](Self::data_piece).
    #[inline(always)]
    pub(super) fn in_data_line(&self, fields: &FieldParser) -> bool {
        self.line.open && fields.in_value() == Some(FieldName::Data) && !self.block.skipping
    }

    /// The next piece of a `data` line begun in an earlier chunk (see
    /// [`in_data_line`](Self::in_data_line)): the usual case for small pieces
    /// and long lines, which needs only the data buffer. The same steps as
    /// [`next`](Self::next) takes for it, without looking for other tokens.
    #[inline(never)]
    pub(super) fn data_piece(
        &mut self,
        fields: &mut FieldParser,
        data: &mut Buf<'_>,
        input: &mut &[u8],
    ) -> Option<DecodeError> {
        let value = fields.value_piece(input)?;
        self.line.open = !value.end_of_line;
        let done = self.data(data, value, false, &mut None);
        done.err().map(|error| self.fail(error))
    }

    /// Takes a piece of a line's value. `single` is the block's one data line
    /// when it lies whole in the input (see [`data`](Self::data)); what
    /// needs reporting comes back.
    #[inline(always)]
    pub(super) fn value<'a>(
        &mut self,
        parts: &mut Parts<'_>,
        value: Value<'a>,
        single: &mut Option<&'a [u8]>,
    ) -> Option<Result<Item<'a>, DecodeError>> {
        let first = !self.line.open;
        self.line.open = !value.end_of_line;
        if self.block.skipping {
            return None;
        }
        self.block.has_fields |= value.name != FieldName::Comment;
        let done = match value.name {
            FieldName::Data => self.data(&mut parts.data, value, first, single),
            FieldName::Event => self.event_type(parts, value, first),
            FieldName::Id => self.id(parts, value, first),
            FieldName::Retry => match self.retry(value, first) {
                Some(retry) => {
                    self.spill(&mut parts.data, single);
                    return Some(Ok(Item::Retry(retry)));
                }
                None => Ok(()),
            },
            FieldName::Comment if self.comments => {
                self.spill(&mut parts.data, single);
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
    /// joined with LF (R29). The block's first data line, when it lies whole
    /// in the input, is only noted in `single`: if the blank line comes in
    /// the input too, the event's data is borrowed from it, never copied.
    #[inline(always)]
    fn data<'a>(
        &mut self,
        data: &mut Buf<'_>,
        value: Value<'a>,
        first: bool,
        single: &mut Option<&'a [u8]>,
    ) -> Result<(), DecodeError> {
        let limit = data.limit(self.lowered.get().data());
        let error = DecodeError::DataTooLong { limit };
        let block = &mut self.block;
        if first && value.end_of_line && !block.has_data {
            block.has_data = true;
            if value.bytes.len() > limit {
                return Err(error);
            }
            *single = Some(value.bytes);
            return Ok(());
        }
        self.spill(data, single);
        let block = &mut self.block;
        let separator = (first && block.has_data).then_some(b'\n');
        block.has_data = true;
        append(data, &mut block.data_len, separator, value.bytes, limit).ok_or(error)
    }

    /// Copies the block's one data line noted in `single`, if any, into the
    /// data buffer, before anything else is written there or the input it
    /// lies in is gone.
    #[inline]
    pub(super) fn spill(&mut self, data: &mut Buf<'_>, single: &mut Option<&[u8]>) {
        if let Some(line) = single.take() {
            // Its length was checked against the limit when it was noted.
            let limit = data.limit(self.lowered.get().data());
            let copied = append_outlined(data, &mut self.block.data_len, None, line, limit);
            debug_assert!(copied.is_some());
        }
    }

    /// A piece of an `event` line: the event type buffer is set to its value (R22).
    fn event_type(
        &mut self,
        parts: &mut Parts<'_>,
        value: Value<'_>,
        first: bool,
    ) -> Result<(), DecodeError> {
        if first {
            self.block.event_type_len = 0;
        }
        let limit = parts.event_type.limit(self.lowered.get().event_type());
        append_outlined(
            &mut parts.event_type,
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
        value: Value<'_>,
        first: bool,
    ) -> Result<(), DecodeError> {
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
        let limit = buf.limit(self.lowered.get().id());
        if !line.id_has_nul {
            if value.bytes.contains(&0) {
                line.id_has_nul = true;
            } else if !line.id_too_long {
                let len = &mut ids.len[ids.incoming];
                line.id_too_long = append_outlined(buf, len, None, value.bytes, limit).is_none();
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
    fn retry(&mut self, value: Value<'_>, first: bool) -> Option<u64> {
        let line = &mut self.line;
        if first {
            line.retry = Some(0);
            line.retry_nonempty = false;
        }
        line.retry_nonempty |= !value.bytes.is_empty();
        // Only ASCII digits; a value past u64::MAX is ignored (R26b).
        line.retry = line.retry.and_then(|n| {
            value.bytes.iter().try_fold(n, |n, &b| {
                b.is_ascii_digit()
                    .then_some(())
                    .and_then(|()| n.checked_mul(10)?.checked_add(u64::from(b - b'0')))
            })
        });
        // An empty value is ignored (R26a).
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
        if block.skipping {
            return None;
        }
        if !block.has_data {
            // Step 1: the last event ID is committed even with no event to
            // dispatch (R27); step 2: no data, no event (R28).
            self.ids.committed = self.ids.current;
            return block.has_fields.then_some(Dispatch::NoData);
        }
        Some(Dispatch::Event {
            event_type_len: block.event_type_len,
            data_len: block.data_len,
        })
    }

    /// Makes what [`blank_line`](Self::blank_line) found an item: the event's
    /// type and data as text, U+FFFD for invalid UTF-8 (R8), within the
    /// limits; the last event ID committed (R27) unless the event broke one.
    pub(super) fn dispatch<'s>(
        &mut self,
        parts: Parts<'s>,
        dispatch: Dispatch,
        single: Option<&'s [u8]>,
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
            } => match self.event_text(event_type, event_type_len, data, data_len, single) {
                Ok(event) => Some(event),
                Err(error) => {
                    self.ids.current = self.ids.committed;
                    return Err(error);
                }
            },
        };
        self.ids.committed = self.ids.current;
        let [a, b, c] = ids;
        let id: &'s [u8] = match self.ids.committed {
            0 => a,
            1 => b,
            _ => c,
        }
        .into_bytes();
        let last_event_id = id_text(&id[..self.ids.len[self.ids.committed]]);
        Ok(match event {
            None => Item::NoData { last_event_id },
            Some((event_type, data)) => Item::Event(Event {
                event_type,
                data,
                last_event_id,
            }),
        })
    }

    /// The event's type and data as text (R8, R30).
    #[inline]
    fn event_text<'s>(
        &self,
        event_type: Buf<'s>,
        event_type_len: usize,
        mut data: Buf<'s>,
        data_len: usize,
        single: Option<&'s [u8]>,
    ) -> Result<(&'s str, &'s str), DecodeError> {
        let limit = event_type.limit(self.lowered.get().event_type());
        let event_type = match event_type_len {
            // An empty type means "message" (R30).
            0 => "message",
            len => utf8::decode_in_place(event_type, len, limit)
                .ok_or(DecodeError::EventTypeTooLong { limit })?,
        };
        let limit = data.limit(self.lowered.get().data());
        let (data, len) = match single {
            Some(line) => match utf8::text(line) {
                Some(text) => return Ok((event_type, text)),
                // To be repaired in the buffer.
                None => {
                    data.get_mut(0..line.len(), limit)
                        .ok_or(DecodeError::DataTooLong { limit })?
                        .copy_from_slice(line);
                    (data, line.len())
                }
            },
            None => (data, data_len),
        };
        let data =
            utf8::decode_in_place(data, len, limit).ok_or(DecodeError::DataTooLong { limit })?;
        Ok((event_type, data))
    }
}

/// Appends `bytes`, after `separator` if any, to `buf[..*len]` if the result
/// is at most `limit` long and fits: the one place where the buffers grow and
/// their limits are kept. `None` (with nothing written) if not.
#[inline(always)]
fn append(
    buf: &mut Buf<'_>,
    len: &mut usize,
    separator: Option<u8>,
    bytes: &[u8],
    limit: usize,
) -> Option<()> {
    let start = *len + usize::from(separator.is_some());
    let end = start.checked_add(bytes.len()).filter(|&end| end <= limit)?;
    let room = buf.get_mut(*len..end, limit)?;
    let (head, tail) = room.split_at_mut(start - *len);
    if let (Some(separator), Some(slot)) = (separator, head.first_mut()) {
        *slot = separator;
    }
    copy(tail, bytes);
    *len = end;
    Some(())
}

/// [`append`] as a call, for the buffers written less often than data (event
/// type, ids): their code is not repeated where it is used.
#[inline(never)]
fn append_outlined(
    buf: &mut Buf<'_>,
    len: &mut usize,
    separator: Option<u8>,
    bytes: &[u8],
    limit: usize,
) -> Option<()> {
    append(buf, len, separator, bytes, limit)
}

/// Copies `from` to `to`, of the same length. Under 16 bytes (small pieces)
/// on 64-bit targets, a few fixed-size moves instead of a `memcpy` call,
/// which costs more than such a copy there; 32-bit microcontrollers keep the
/// smaller code of the call.
#[inline(always)]
fn copy(to: &mut [u8], from: &[u8]) {
    if cfg!(not(target_pointer_width = "64")) {
        to.copy_from_slice(from);
        return;
    }
    /// The first and last `N` bytes (overlapping), if there are `N`.
    #[inline(always)]
    fn ends<const N: usize>(to: &mut [u8], from: &[u8]) -> bool {
        let (Some(to_first), Some(from_first)) =
            (to.first_chunk_mut::<N>(), from.first_chunk::<N>())
        else {
            return false;
        };
        *to_first = *from_first;
        if let (Some(to_last), Some(from_last)) = (to.last_chunk_mut::<N>(), from.last_chunk::<N>())
        {
            *to_last = *from_last;
        }
        true
    }
    if from.len() >= 16 {
        to.copy_from_slice(from);
        return;
    }
    if ends::<8>(to, from) || ends::<4>(to, from) {
        return;
    }
    // 0 to 3 bytes: the first, middle and last cover them.
    let n = from.len().min(to.len());
    if n > 0 {
        to[0] = from[0];
        to[n / 2] = from[n / 2];
        to[n - 1] = from[n - 1];
    }
}

/// An id buffer's text, which the decoder made valid UTF-8 when it stored it.
#[inline]
pub(super) fn id_text(bytes: &[u8]) -> &str {
    if bytes.is_empty() {
        return "";
    }
    utf8::text(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_copies_every_length_exactly() {
        let from: [u8; 40] = core::array::from_fn(|i| i as u8 + 1);
        for len in 0..40 {
            let mut to = [0u8; 42];
            copy(&mut to[1..=len], &from[..len]);
            assert_eq!(&to[1..=len], &from[..len], "len {len}");
            assert!(
                to[0] == 0 && to[len + 1..].iter().all(|&b| b == 0),
                "len {len}"
            );
        }
    }
}
