//! The field layer: a streaming tokenizer for `text/event-stream` lines.
//!
//! [`FieldParser`] turns arbitrary chunks of a response body into [`Token`]s:
//! pieces of field values borrowed from the input, tagged with the field they
//! belong to, and blank lines (the dispatch points). It keeps a few bytes of
//! state and never copies or buffers payload, so a line of any length costs no
//! memory. Use it directly to stream values too large to hold (firmware
//! updates, proxies); use [`Decoder`](crate::Decoder) for whole events.
//!
//! What it handles (rule numbers refer to the crate's SSE rules):
//! - a UTF-8 BOM once at byte 0 of the body, even when its three bytes arrive in
//!   different chunks (R9);
//! - CR, LF and CRLF line endings, including a CR that ends one chunk and an LF
//!   that starts the next (R12, R13);
//! - exactly one space removed after the colon, even when the colon and the
//!   space arrive in different chunks (R19);
//! - case-sensitive field names (R21) and lines without a colon (R20);
//! - comments (R18).
//!
//! Line breaks and colons are found on raw bytes, which is exact because they
//! are ASCII and UTF-8 never hides an ASCII byte inside a sequence (R11). The
//! value bytes are handed out raw; the [`Decoder`](crate::Decoder) turns them
//! into text.
//!
//! # Example
//!
//! ```
//! use sse_core::field::{FieldName, FieldParser, Token};
//!
//! let mut parser = FieldParser::new();
//! let mut value = [0u8; 16];
//! let mut len = 0;
//! // The value arrives in two chunks; the parser hands out each piece as it comes.
//! for chunk in [&b"data: hel"[..], b"lo\n\n"] {
//!     let mut input = chunk;
//!     while let Some(token) = parser.next_token(&mut input) {
//!         if let Token::Value(piece) = token {
//!             assert_eq!(piece.name, FieldName::Data);
//!             value[len..len + piece.bytes.len()].copy_from_slice(piece.bytes);
//!             len += piece.bytes.len();
//!         }
//!     }
//! }
//! assert_eq!(&value[..len], b"hello");
//! ```

/// The name of a field line, as far as the standard cares (R21).
///
/// Names match byte for byte, with case: `Data`, ` data` and `data ` are
/// [`FieldName::Unknown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldName {
    /// `data`: appended to the event's data (R23).
    Data,
    /// `event`: sets the event type (R22).
    Event,
    /// `id`: sets the last event ID (R24).
    Id,
    /// `retry`: sets the reconnection time (R25).
    Retry,
    /// Any other name; the standard ignores the line (R21).
    Unknown,
    /// A line that starts with `:` (R18). The value is the text after the colon,
    /// with one leading space removed like a field value.
    Comment,
}

impl FieldName {
    /// Classifies a complete field name.
    ///
    /// ```
    /// use sse_core::field::FieldName;
    /// assert_eq!(FieldName::from_bytes(b"retry"), FieldName::Retry);
    /// assert_eq!(FieldName::from_bytes(b"Data"), FieldName::Unknown);
    /// ```
    pub const fn from_bytes(name: &[u8]) -> Self {
        match name {
            b"data" => Self::Data,
            b"event" => Self::Event,
            b"id" => Self::Id,
            b"retry" => Self::Retry,
            _ => Self::Unknown,
        }
    }
}

/// A piece of a line's value, borrowed from the input.
///
/// A line's value arrives as one or more pieces, in order; the last one has
/// `end_of_line` set. A line with no value (such as `data` or `data:`) yields
/// one empty piece with `end_of_line` set. Only the last piece of a line may be
/// empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Value<'a> {
    /// Which field the line is.
    pub name: FieldName,
    /// Raw value bytes (possibly invalid UTF-8, possibly part of a character).
    pub bytes: &'a [u8],
    /// Whether the line ended right after these bytes.
    pub end_of_line: bool,
}

/// What the [`FieldParser`] found next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token<'a> {
    /// A piece of a field or comment line.
    Value(Value<'a>),
    /// An empty line: the point where an event is dispatched (R17).
    BlankLine,
}

/// A line read by [`Lookahead::next_line`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SimpleLine<'a> {
    /// A blank line.
    Blank,
    /// A comment line.
    Comment,
    /// A `data:` line and its value (one leading space removed, raw bytes).
    Data(&'a [u8]),
}

/// Whole lines read ahead of a [`FieldParser`] without moving it, for the
/// event layer's fast path: it reads a block and either uses it all (see
/// [`FieldParser::catch_up`]) or leaves it to
/// [`next_token`](FieldParser::next_token). Only the simplest lines are
/// read; for anything else [`next_line`](Self::next_line) gives `None`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lookahead<'a> {
    /// The input after the lines read.
    rest: &'a [u8],
    /// The last line read ended with CR (R13).
    pending_cr: bool,
}

impl<'a> Lookahead<'a> {
    /// The next line, if it lies whole (with its end) in the input and is a
    /// blank line, a comment, or a `data` line with a colon. `None` for
    /// anything else: another field, a line cut by the end of the input.
    #[inline]
    pub(crate) fn next_line(&mut self) -> Option<SimpleLine<'a>> {
        let bytes = match self.rest {
            // The LF of a CRLF (R13).
            [b'\n', rest @ ..] if self.pending_cr => rest,
            bytes => bytes,
        };
        let line = match *bytes.first()? {
            b'\n' | b'\r' => {
                self.pending_cr = bytes[0] == b'\r';
                self.rest = &bytes[1..];
                return Some(SimpleLine::Blank);
            }
            _ => known_prefix(bytes)?,
        };
        let value = match line {
            (FieldName::Comment | FieldName::Data, skip) => &bytes[skip..],
            _ => return None,
        };
        // One leading space is removed (R19).
        let value = value.strip_prefix(b" ").unwrap_or(value);
        let end = find_line_end(value)?;
        self.pending_cr = value[end] == b'\r';
        self.rest = &value[end + 1..];
        Some(match line.0 {
            FieldName::Data => SimpleLine::Data(&value[..end]),
            _ => SimpleLine::Comment,
        })
    }
}

/// A comment's colon or a known field's name and colon at the start of
/// `bytes`: which it is, and its length.
#[inline]
fn known_prefix(bytes: &[u8]) -> Option<(FieldName, usize)> {
    match *bytes.first()? {
        b':' => Some((FieldName::Comment, 1)),
        b'd' if bytes.starts_with(b"data:") => Some((FieldName::Data, 5)),
        b'i' if bytes.starts_with(b"id:") => Some((FieldName::Id, 3)),
        b'e' if bytes.starts_with(b"event:") => Some((FieldName::Event, 6)),
        b'r' if bytes.starts_with(b"retry:") => Some((FieldName::Retry, 6)),
        _ => None,
    }
}

/// The longest field name that can be a known one (`event`, `retry`).
const MAX_KNOWN_NAME: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At the start of a line.
    LineStart,
    /// Reading a name whose first `len` bytes are in `buf`.
    Name { buf: [u8; MAX_KNOWN_NAME], len: u8 },
    /// Reading a name that cannot be a known one.
    UnknownName,
    /// Just after the colon: one space is still to be removed.
    AfterColon(FieldName),
    /// Inside the value.
    InValue(FieldName),
}

/// Where the parser stands on the body's leading BOM (R9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bom {
    /// `n` bytes of `EF BB BF` seen at the start of the body (0, 1 or 2).
    Matched(u8),
    /// Past the start of the body.
    Done,
}

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// A streaming tokenizer for `text/event-stream` lines, with constant-size state.
///
/// Feed it any chunks of a response body through [`next_token`](Self::next_token);
/// call [`finish`](Self::finish) at the end of the body. The tokens are exactly
/// those of the whole body, however it is chunked (R11), and every byte is looked
/// at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldParser {
    state: State,
    bom: Bom,
    /// The previous line ended with CR: an LF right after it is part of a CRLF (R13).
    pending_cr: bool,
}

impl Default for FieldParser {
    fn default() -> Self {
        Self::new()
    }
}

impl FieldParser {
    /// A parser at the start of a response body.
    ///
    /// ```
    /// let parser = sse_core::field::FieldParser::new();
    /// assert!(!parser.is_mid_line());
    /// ```
    pub const fn new() -> Self {
        Self {
            state: State::LineStart,
            bom: Bom::Matched(0),
            pending_cr: false,
        }
    }

    /// Whether part of a line has been read and its end not yet seen.
    ///
    /// At the end of the body, such a line is discarded (R15).
    ///
    /// ```
    /// use sse_core::field::FieldParser;
    /// let mut parser = FieldParser::new();
    /// let mut input = &b"data: x"[..];
    /// while parser.next_token(&mut input).is_some() {}
    /// assert!(parser.is_mid_line());
    /// ```
    pub const fn is_mid_line(&self) -> bool {
        !matches!(self.state, State::LineStart) || matches!(self.bom, Bom::Matched(1 | 2))
    }

    /// The field whose value is being read, if the parser is inside one.
    #[inline]
    pub(crate) fn in_value(&self) -> Option<FieldName> {
        match self.state {
            State::InValue(name) => Some(name),
            _ => None,
        }
    }

    /// [`next_token`](Self::next_token) when [`in_value`](Self::in_value) is
    /// `Some(name)`: the next piece of that value, if `input` is not empty.
    /// Made for pieces of 16 bytes or more, searched by memchr alone (shorter
    /// ones are fine, but [`short_value_piece`](Self::short_value_piece)
    /// reads them faster).
    #[inline]
    pub(crate) fn value_piece<'a>(
        &mut self,
        name: FieldName,
        input: &mut &'a [u8],
    ) -> Option<Value<'a>> {
        self.value_piece_by(name, input, find_line_end_long)
    }

    /// [`value_piece`](Self::value_piece) for `input` shorter than 16 bytes
    /// (small pieces), which it reads without calling anything.
    #[inline(always)]
    pub(crate) fn short_value_piece<'a>(
        &mut self,
        name: FieldName,
        input: &mut &'a [u8],
    ) -> Option<Value<'a>> {
        self.value_piece_by(name, input, find_line_end_short)
    }

    /// [`value_piece`](Self::value_piece), the line's end found by `search`.
    #[inline(always)]
    fn value_piece_by<'a>(
        &mut self,
        name: FieldName,
        input: &mut &'a [u8],
        search: impl FnOnce(&[u8]) -> Option<usize>,
    ) -> Option<Value<'a>> {
        debug_assert_eq!(self.in_value(), Some(name));
        let bytes: &'a [u8] = input;
        if bytes.is_empty() {
            return None;
        }
        Some(self.split_value(name, bytes, input, search(bytes)))
    }

    /// Starts reading whole lines ahead of the parser from `input`, if the
    /// parser is at the start of a line past the BOM (see [`Lookahead`]).
    #[inline]
    pub(crate) fn lookahead<'a>(&self, input: &'a [u8]) -> Option<Lookahead<'a>> {
        (self.state == State::LineStart && self.bom == Bom::Done).then_some(Lookahead {
            rest: input,
            pending_cr: self.pending_cr,
        })
    }

    /// Moves the parser and `input` to where `ahead` stands: the start of a
    /// line, after the lines `ahead` read. Those lines are then used, as if
    /// [`next_token`](Self::next_token) had returned them.
    #[inline]
    pub(crate) fn catch_up<'a>(&mut self, ahead: &Lookahead<'a>, input: &mut &'a [u8]) {
        *input = ahead.rest;
        self.pending_cr = ahead.pending_cr;
    }

    /// Ends the response body and makes the parser ready for a new one.
    ///
    /// Returns `true` when an unterminated line was discarded (R15, R34).
    ///
    /// ```
    /// use sse_core::field::FieldParser;
    /// let mut parser = FieldParser::new();
    /// let mut input = &b"retry: 10"[..];
    /// while parser.next_token(&mut input).is_some() {}
    /// assert!(parser.finish());
    /// assert!(!parser.finish());
    /// ```
    pub fn finish(&mut self) -> bool {
        let discarded = self.is_mid_line();
        *self = Self::new();
        discarded
    }

    /// Reads the next token from `input`, advancing `input` past what was used.
    ///
    /// Returns `None` once all of `input` has been used; feed the next chunk
    /// then. Value bytes are borrowed from `input`; nothing is copied.
    ///
    /// ```
    /// use sse_core::field::{FieldName, FieldParser, Token, Value};
    /// let mut parser = FieldParser::new();
    /// let mut input = &b"id:7\r\n\r\n"[..];
    /// assert_eq!(
    ///     parser.next_token(&mut input),
    ///     Some(Token::Value(Value { name: FieldName::Id, bytes: b"7", end_of_line: true }))
    /// );
    /// assert_eq!(parser.next_token(&mut input), Some(Token::BlankLine));
    /// assert_eq!(parser.next_token(&mut input), None);
    /// assert!(input.is_empty());
    /// ```
    #[inline]
    pub fn next_token<'a>(&mut self, input: &mut &'a [u8]) -> Option<Token<'a>> {
        // Every state has nothing to say about no input; this is also how the
        // caller's loop over a chunk ends, so it is answered here, inline.
        let &first = input.first()?;
        if self.pending_cr {
            // The byte after a CR: an LF there completes a CRLF (R13).
            if first == b'\n' {
                *input = &input[1..];
            }
            self.pending_cr = false;
        }
        match self.state {
            State::LineStart if self.bom == Bom::Done => {
                if let Some(token) = self.whole_line(input) {
                    return Some(token);
                }
            }
            State::InValue(name) => return self.rest_of_value(name, input),
            _ => {}
        }
        self.general(input)
    }

    /// The fast path for the usual case: a line that starts with a blank, a
    /// comment or a known name and its colon, all in `input`. Leaves
    /// everything else (and `input`) to [`general`](Self::general).
    #[inline]
    fn whole_line<'a>(&mut self, input: &mut &'a [u8]) -> Option<Token<'a>> {
        let bytes: &'a [u8] = input;
        let (name, skip) = match *bytes.first()? {
            b'\n' | b'\r' => {
                self.pending_cr = bytes[0] == b'\r';
                *input = &bytes[1..];
                return Some(Token::BlankLine);
            }
            _ => known_prefix(bytes)?,
        };
        let rest = &bytes[skip..];
        let rest = match rest.first() {
            Some(b' ') => &rest[1..],
            Some(_) => rest,
            None => {
                // The chunk ends at the colon: the space may come next (R19).
                *input = rest;
                self.state = State::AfterColon(name);
                return None;
            }
        };
        if rest.is_empty() {
            // Only a line's last piece may be empty: wait for more input.
            *input = rest;
            self.state = State::InValue(name);
            return None;
        }
        Some(self.value(name, rest, input))
    }

    /// Reads a value from `bytes` (non-empty, or the line ends there) up to the
    /// end of the line or of the input.
    #[inline(always)]
    fn value<'a>(&mut self, name: FieldName, bytes: &'a [u8], input: &mut &'a [u8]) -> Token<'a> {
        Token::Value(self.split_value(name, bytes, input, find_line_end(bytes)))
    }

    /// The value in `bytes` (non-empty, or the line ends there), whose line
    /// ends at `line_end` if that is known, else with or after `bytes`; moves
    /// `input` past it.
    #[inline(always)]
    fn split_value<'a>(
        &mut self,
        name: FieldName,
        bytes: &'a [u8],
        input: &mut &'a [u8],
        line_end: Option<usize>,
    ) -> Value<'a> {
        match line_end {
            Some(i) => {
                self.pending_cr = bytes[i] == b'\r';
                self.state = State::LineStart;
                *input = &bytes[i + 1..];
                Value {
                    name,
                    bytes: &bytes[..i],
                    end_of_line: true,
                }
            }
            None => {
                self.state = State::InValue(name);
                *input = &[];
                Value {
                    name,
                    bytes,
                    end_of_line: false,
                }
            }
        }
    }

    /// More of a value that began in an earlier chunk (large values arrive so).
    #[inline(never)]
    fn rest_of_value<'a>(&mut self, name: FieldName, input: &mut &'a [u8]) -> Option<Token<'a>> {
        let bytes: &'a [u8] = input;
        if bytes.is_empty() {
            return None;
        }
        Some(self.value(name, bytes, input))
    }

    /// Every case, one state at a time.
    #[inline(never)]
    fn general<'a>(&mut self, input: &mut &'a [u8]) -> Option<Token<'a>> {
        loop {
            let bytes: &'a [u8] = input;
            let &first = bytes.first()?;
            if let Bom::Matched(n) = self.bom {
                if first == BOM[usize::from(n)] {
                    *input = &bytes[1..];
                    self.bom = if n == 2 {
                        Bom::Done
                    } else {
                        Bom::Matched(n + 1)
                    };
                    continue;
                }
                self.bom = Bom::Done;
                if n > 0 {
                    // The held bytes start the first line, so its name is not a
                    // known one (it starts with U+FFFD).
                    self.state = State::UnknownName;
                }
            }
            match self.state {
                State::LineStart => match first {
                    b'\n' | b'\r' => {
                        self.pending_cr = first == b'\r';
                        *input = &bytes[1..];
                        return Some(Token::BlankLine);
                    }
                    b':' => {
                        *input = &bytes[1..];
                        self.state = State::AfterColon(FieldName::Comment);
                    }
                    _ => {
                        self.state = State::Name {
                            buf: [0; MAX_KNOWN_NAME],
                            len: 0,
                        }
                    }
                },
                State::Name { mut buf, mut len } => {
                    let mut used = 0;
                    let mut end = None;
                    for &b in bytes {
                        if matches!(b, b':' | b'\r' | b'\n') {
                            end = Some(b);
                            break;
                        }
                        if usize::from(len) == MAX_KNOWN_NAME {
                            break;
                        }
                        buf[usize::from(len)] = b;
                        len += 1;
                        used += 1;
                    }
                    match end {
                        Some(end) => {
                            let name = FieldName::from_bytes(&buf[..usize::from(len)]);
                            if let Some(token) = self.end_of_name(name, end, &bytes[used..], input)
                            {
                                return Some(token);
                            }
                        }
                        None if usize::from(len) == MAX_KNOWN_NAME && used < bytes.len() => {
                            // A sixth name byte: no known name is that long.
                            *input = &bytes[used..];
                            self.state = State::UnknownName;
                        }
                        None => {
                            *input = &bytes[used..];
                            self.state = State::Name { buf, len };
                        }
                    }
                }
                State::UnknownName => match memchr::memchr3(b':', b'\r', b'\n', bytes) {
                    Some(i) => {
                        if let Some(token) =
                            self.end_of_name(FieldName::Unknown, bytes[i], &bytes[i..], input)
                        {
                            return Some(token);
                        }
                    }
                    None => *input = &[],
                },
                State::AfterColon(name) => {
                    if first == b' ' {
                        *input = &bytes[1..];
                    }
                    self.state = State::InValue(name);
                }
                State::InValue(name) => return Some(self.value(name, bytes, input)),
            }
        }
    }

    /// Handles the byte `end` (`:`, CR or LF) that ends a name; `rest` starts at it.
    fn end_of_name<'a>(
        &mut self,
        name: FieldName,
        end: u8,
        rest: &'a [u8],
        input: &mut &'a [u8],
    ) -> Option<Token<'a>> {
        *input = &rest[1..];
        if end == b':' {
            self.state = State::AfterColon(name);
            return None;
        }
        // A line without a colon: the whole line is the name, the value is empty (R20).
        self.pending_cr = end == b'\r';
        self.state = State::LineStart;
        Some(Token::Value(Value {
            name,
            bytes: &[],
            end_of_line: true,
        }))
    }
}

/// High bit set in each byte of `word` equal to CR or LF; the lowest such flag
/// is always exact (higher ones may be false after a true one).
#[inline(always)]
const fn line_ends(word: u64) -> u64 {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let cr = word ^ (ONES * b'\r' as u64);
    let lf = word ^ (ONES * b'\n' as u64);
    (cr.wrapping_sub(ONES) & !cr | lf.wrapping_sub(ONES) & !lf) & HIGHS
}

/// The first CR or LF in the 8 bytes of `word` (little-endian), if any.
#[inline(always)]
fn line_end_in_word(word: u64) -> Option<usize> {
    let found = line_ends(word);
    (found != 0).then(|| (found.trailing_zeros() / 8) as usize)
}

/// The position of the first CR or LF in `bytes`.
///
/// Lines are often short (heartbeats, ids, small tokens), where memchr's
/// setup costs more than the search: the first 16 bytes are looked at a word
/// at a time first.
#[inline(always)]
fn find_line_end(bytes: &[u8]) -> Option<usize> {
    let mut offset = 0;
    loop {
        let rest = &bytes[offset..];
        let Some(word) = rest.first_chunk::<8>() else {
            return find_line_end_tiny(rest).map(|i| i + offset);
        };
        if let Some(i) = line_end_in_word(u64::from_le_bytes(*word)) {
            return Some(offset + i);
        }
        offset += 8;
        if offset == 16 {
            break;
        }
    }
    let rest = &bytes[16..];
    if rest.len() < 8 {
        return find_line_end_tiny(rest).map(|i| i + 16);
    }
    find_line_end_long(rest).map(|i| i + 16)
}

/// [`find_line_end`] by memchr's vector search alone, for pieces of 16 bytes
/// or more that are known not to be the start of a line (any length gives
/// the right answer).
#[inline(always)]
fn find_line_end_long(bytes: &[u8]) -> Option<usize> {
    // Up to a few hundred bytes, memchr's SSE2 search called directly (SSE2 is
    // always there on x86-64) costs less than `memchr2`'s run-time choice of
    // routine, which pays off on longer text.
    #[cfg(target_arch = "x86_64")]
    if bytes.len() <= 256 {
        if let Some(search) = memchr::arch::x86_64::sse2::memchr::Two::new(b'\r', b'\n') {
            return search.find(bytes);
        }
    }
    memchr::memchr2(b'\r', b'\n', bytes)
}

/// [`find_line_end`] for fewer than 16 bytes (small pieces), without a call
/// or anything that needs one.
#[inline(always)]
fn find_line_end_short(bytes: &[u8]) -> Option<usize> {
    debug_assert!(bytes.len() < 16);
    match bytes.split_first_chunk::<8>() {
        Some((word, rest)) => line_end_in_word(u64::from_le_bytes(*word))
            .or_else(|| find_line_end_tiny(rest).map(|i| i + 8)),
        None => find_line_end_tiny(bytes),
    }
}

/// [`find_line_end`] for fewer than 8 bytes (small pieces, line tails).
#[inline(always)]
fn find_line_end_tiny(bytes: &[u8]) -> Option<usize> {
    let n = bytes.len();
    if n < 4 {
        return bytes.iter().position(|&b| b == b'\n' || b == b'\r');
    }
    // 4 to 7 bytes: two overlapping 4-byte reads; the bytes past the end are
    // zero, which is neither CR nor LF.
    let read = |at: usize| {
        let mut word = [0u8; 4];
        word.copy_from_slice(&bytes[at..at + 4]);
        u64::from(u32::from_le_bytes(word))
    };
    line_end_in_word(read(0) | read(n - 4) << ((n - 4) * 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line: its name, its value bytes and their length.
    type Line = (FieldName, [u8; 32], usize);

    /// Up to 8 lines (value pieces merged), how many, and how many blank lines.
    fn describe(chunks: &[&[u8]]) -> ([Line; 8], usize, usize) {
        let mut lines = [(FieldName::Unknown, [0u8; 32], 0usize); 8];
        let mut n = 0;
        let mut blanks = 0;
        let mut open = false;
        let mut parser = FieldParser::new();
        for chunk in chunks {
            let mut input = *chunk;
            while let Some(token) = parser.next_token(&mut input) {
                match token {
                    Token::BlankLine => {
                        assert!(!open);
                        blanks += 1;
                    }
                    Token::Value(v) => {
                        assert!(
                            v.end_of_line || !v.bytes.is_empty(),
                            "empty non-final piece"
                        );
                        if !open {
                            lines[n].0 = v.name;
                            n += 1;
                        }
                        let line = &mut lines[n - 1];
                        assert_eq!(line.0, v.name);
                        line.1[line.2..line.2 + v.bytes.len()].copy_from_slice(v.bytes);
                        line.2 += v.bytes.len();
                        open = !v.end_of_line;
                    }
                }
            }
        }
        (lines, n, blanks)
    }

    #[test]
    fn bom_split_across_chunks_is_stripped_once() {
        // R9: EF | BB | BF across three chunks, then a second BOM that is not stripped.
        let (lines, n, blanks) =
            describe(&[b"\xEF", b"\xBB", b"\xBFdata:1\n\n\xEF\xBB\xBFdata:2\n\n"]);
        assert_eq!(n, 2);
        assert_eq!(blanks, 2);
        assert_eq!(lines[0].0, FieldName::Data);
        assert_eq!(lines[1].0, FieldName::Unknown);
    }

    #[test]
    fn broken_bom_prefix_makes_an_unknown_line() {
        // R8/R9: EF BB followed by something else is U+FFFD then the byte.
        let (lines, n, blanks) = describe(&[b"\xEF\xBB", b"data:1\n\n"]);
        assert_eq!((n, blanks), (1, 1));
        assert_eq!(lines[0].0, FieldName::Unknown);
        let (lines, n, blanks) = describe(&[b"\xEF", b"\n\n"]);
        assert_eq!((n, blanks), (1, 1));
        assert_eq!(lines[0].0, FieldName::Unknown);
    }

    #[test]
    fn crlf_split_between_chunks_is_one_terminator() {
        // R13: CR ends a chunk; the LF starting the next belongs to it.
        let (_, n, blanks) = describe(&[b"data:x\r", b"\n\r", b"\n"]);
        assert_eq!((n, blanks), (1, 1));
        // R12: LF CR is two terminators.
        let (_, n, blanks) = describe(&[b"data:x\n\r"]);
        assert_eq!((n, blanks), (1, 1));
    }

    #[test]
    fn one_space_removed_across_chunks() {
        // R19: colon and space in different chunks; only one space goes.
        let (lines, n, _) = describe(&[b"data:", b"  x\n"]);
        assert_eq!(n, 1);
        assert_eq!(&lines[0].1[..lines[0].2], b" x");
    }

    #[test]
    fn long_and_split_names() {
        let (lines, n, _) = describe(&[b"ret", b"ry:5\ndatas:1\nda", b"ta\nevent", b"x:1\n"]);
        assert_eq!(n, 4);
        assert_eq!(lines[0].0, FieldName::Retry);
        assert_eq!(lines[1].0, FieldName::Unknown);
        assert_eq!(lines[2].0, FieldName::Data);
        assert_eq!(lines[3].0, FieldName::Unknown);
    }

    #[test]
    fn finish_reports_and_resets() {
        let mut parser = FieldParser::new();
        let mut input = &b"\xEF\xBB"[..];
        assert_eq!(parser.next_token(&mut input), None);
        assert!(parser.finish());
        assert_eq!(parser, FieldParser::new());
    }

    #[test]
    fn find_line_end_agrees_with_a_plain_search() {
        // Every length through the word, vector and memchr2 searches.
        let mut buf = [b'a'; 300];
        assert_eq!(find_line_end(&buf), None);
        for len in 0..=buf.len() {
            let step = if len <= 64 { 1 } else { 5 };
            for at in (0..len).step_by(step).chain(len.saturating_sub(2)..len) {
                for eol in [b'\r', b'\n'] {
                    buf = [b'a'; 300];
                    // Bytes that trip naive bit tricks, around the terminator.
                    buf[..len].iter_mut().enumerate().for_each(|(i, b)| {
                        *b = [0x0B, 0x0C, 0x8A, 0x8D, 0x00, 0xFF, 0x0E, 0x09][i % 8];
                    });
                    buf[at] = eol;
                    if at + 1 < len {
                        buf[at + 1] = b'\n';
                    }
                    assert_eq!(find_line_end(&buf[..len]), Some(at), "len {len} at {at}");
                    assert_eq!(
                        find_line_end_long(&buf[..len]),
                        Some(at),
                        "len {len} at {at}"
                    );
                    if len < 16 {
                        assert_eq!(
                            find_line_end_short(&buf[..len]),
                            Some(at),
                            "len {len} at {at}"
                        );
                    }
                }
            }
            // No terminator: the tricky bytes alone, then with a terminator
            // just past the end (short pieces are read in overlapping words).
            buf = [b'\n'; 300];
            buf[..len].iter_mut().enumerate().for_each(|(i, b)| {
                *b = [0x0B, 0x0C, 0x8A, 0x8D, 0x00, 0xFF, 0x0E, 0x09][i % 8];
            });
            assert_eq!(find_line_end(&buf[..len]), None, "len {len}");
            assert_eq!(find_line_end_long(&buf[..len]), None, "len {len}");
            if len < 16 {
                assert_eq!(find_line_end_short(&buf[..len]), None, "len {len}");
            }
        }
    }

    #[test]
    fn state_is_a_few_bytes() {
        assert!(size_of::<FieldParser>() <= 12);
    }
}
