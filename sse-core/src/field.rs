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
        // Byte patterns rather than string literals, which would compare
        // with a `memcmp` call.
        match name {
            [b'd', b'a', b't', b'a'] => Self::Data,
            [b'e', b'v', b'e', b'n', b't'] => Self::Event,
            [b'i', b'd'] => Self::Id,
            [b'r', b'e', b't', b'r', b'y'] => Self::Retry,
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

/// The longest known field name (`event`, `retry`): the most bytes of a
/// name the parser keeps while the name is split across chunks.
const MAX_KNOWN_NAME: usize = 5;

/// The UTF-8 byte order mark (R9).
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Where the parser stands in the line being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At the start of the body, `n` bytes of a leading BOM seen (R9).
    Bom(u8),
    /// At the start of a line after a CR that ended the input: an LF here is
    /// part of a CRLF (R13).
    AfterCr,
    /// Reading a line's name, of which `len` bytes came in earlier input;
    /// the first of them (up to [`MAX_KNOWN_NAME`]) are in `buf`. `len == 0`
    /// is the start of a line.
    Name { buf: [u8; MAX_KNOWN_NAME], len: u8 },
    /// Just after the colon: one space is still to be removed (R19).
    AfterColon(FieldName),
    /// Inside the value.
    InValue(FieldName),
}

/// The start of a line.
const LINE_START: State = State::Name {
    buf: [0; MAX_KNOWN_NAME],
    len: 0,
};

/// A streaming tokenizer for `text/event-stream` lines, with constant-size state.
///
/// Feed it any chunks of a response body through [`next_token`](Self::next_token);
/// call [`finish`](Self::finish) at the end of the body. The tokens are exactly
/// those of the whole body, however it is chunked (R11). A line whose end is
/// in the input is taken whole: one search for its end, one for its colon.
/// Only a line that runs past the end of the input is carried over, in a few
/// bytes of state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldParser {
    state: State,
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
            state: State::Bom(0),
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
        !matches!(
            self.state,
            State::Bom(0) | State::AfterCr | State::Name { len: 0, .. }
        )
    }

    /// The field whose value is being read, if the parser is inside one
    /// begun in earlier input.
    #[inline(always)]
    pub(crate) const fn in_value(&self) -> Option<FieldName> {
        match self.state {
            State::InValue(name) => Some(name),
            _ => None,
        }
    }

    /// The next piece of the value being read (see [`in_value`](Self::in_value))
    /// if `input` is not empty: what [`next_token`](Self::next_token) gives
    /// there.
    #[inline(always)]
    pub(crate) fn value_piece<'a>(&mut self, input: &mut &'a [u8]) -> Option<Value<'a>> {
        match self.state {
            State::InValue(name) if !input.is_empty() => {
                let found = find_line_end(input);
                Some(self.value(name, found, input))
            }
            _ => None,
        }
    }

    /// Takes the blank line at the start of `input` if the parser is at the
    /// start of a line and one is there: what [`next_token`](Self::next_token)
    /// would give as [`Token::BlankLine`].
    #[inline(always)]
    pub(crate) fn blank_line(&mut self, input: &mut &[u8]) -> bool {
        let bytes = *input;
        let at_line_start = matches!(self.state, State::Name { len: 0, .. });
        let at_blank_line = at_line_start && matches!(bytes.first(), Some(b'\r' | b'\n'));
        if at_blank_line {
            self.end_line(bytes, 0, input);
        }
        at_blank_line
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
    #[inline(always)]
    pub fn next_token<'a>(&mut self, input: &mut &'a [u8]) -> Option<Token<'a>> {
        loop {
            let bytes: &'a [u8] = input;
            let &first = bytes.first()?;
            let found = match self.state {
                State::Name { len: 0, .. } => {
                    let found = find_line_end(bytes);
                    if let Some(end) = found {
                        // The common case: the line lies whole in the input.
                        self.end_line(bytes, end, input);
                        return Some(whole_line(&bytes[..end]));
                    }
                    found
                }
                State::InValue(_) => {
                    // More of a value begun in earlier input (long lines,
                    // small pieces).
                    return self.value_piece(input).map(Token::Value);
                }
                State::Bom(n) => {
                    self.bom(n, first, input);
                    continue;
                }
                State::AfterCr => {
                    self.state = LINE_START;
                    if first == b'\n' {
                        // The LF of a CRLF (R13).
                        *input = &bytes[1..];
                    }
                    continue;
                }
                State::Name { .. } | State::AfterColon(_) => find_line_end(bytes),
            };
            if let Some(token) = self.partial_line(input, found) {
                return Some(token);
            }
        }
    }

    /// The value bytes at the start of `input` (not empty), up to `found`,
    /// the end of the line, if it is there.
    #[inline(always)]
    fn value<'a>(
        &mut self,
        name: FieldName,
        found: Option<usize>,
        input: &mut &'a [u8],
    ) -> Value<'a> {
        let bytes: &'a [u8] = input;
        let (bytes, end_of_line) = match found {
            Some(end) => {
                self.end_line(bytes, end, input);
                (&bytes[..end], true)
            }
            None => {
                *input = &[];
                (bytes, false)
            }
        };
        Value {
            name,
            bytes,
            end_of_line,
        }
    }

    /// Moves `input` (which is `bytes`) past the line end at `end`: a CRLF
    /// is one line end (R12); a CR that ends the input may be the first half
    /// of one (R13).
    #[inline(always)]
    fn end_line<'a>(&mut self, bytes: &'a [u8], end: usize, input: &mut &'a [u8]) {
        let cr = bytes[end] == b'\r';
        let crlf = cr && bytes.get(end + 1) == Some(&b'\n');
        *input = &bytes[end + 1 + usize::from(crlf)..];
        self.state = if cr && !crlf && input.is_empty() {
            State::AfterCr
        } else {
            LINE_START
        };
    }

    /// Takes the rest of a line begun in earlier input, or the start of one
    /// that runs past the end of `input`: the part of it in `input`, up to
    /// `found`, the line's end if it is there. The same rules as
    /// [`whole_line`], applied to what has arrived.
    #[inline(never)]
    fn partial_line<'a>(
        &mut self,
        input: &mut &'a [u8],
        found: Option<usize>,
    ) -> Option<Token<'a>> {
        let bytes: &'a [u8] = input;
        let state = self.state;
        let part = match found {
            Some(end) => {
                self.end_line(bytes, end, input);
                &bytes[..end]
            }
            None => {
                *input = &[];
                bytes
            }
        };
        let ended = found.is_some();
        // The state after this part, unless the line ended.
        let mut open = |state| {
            if !ended {
                self.state = state;
            }
        };
        let (name, value) = match state {
            State::Name { buf, len } => {
                let (name, value) = split_name(part);
                let (buf, len) = extend_name(buf, len, name);
                let Some(value) = value else {
                    if !ended {
                        // The name goes on in the next input.
                        open(State::Name { buf, len });
                        return None;
                    }
                    if len == 0 {
                        return Some(Token::BlankLine);
                    }
                    // A line without a colon: the whole line is the name,
                    // the value is empty (R20).
                    return Some(Token::Value(Value {
                        name: known_name(buf, len),
                        bytes: &[],
                        end_of_line: true,
                    }));
                };
                (known_name(buf, len), value)
            }
            State::AfterColon(name) => (name, part),
            State::InValue(_) | State::Bom(_) | State::AfterCr => return None,
        };
        if value.is_empty() && !ended {
            // The space may be in the next input.
            open(State::AfterColon(name));
            return None;
        }
        let value = strip_space(value);
        open(State::InValue(name));
        if !ended && value.is_empty() {
            // Only a line's last piece may be empty.
            return None;
        }
        Some(Token::Value(Value {
            name,
            bytes: value,
            end_of_line: ended,
        }))
    }

    /// Takes `first`, the input's first byte, as the `n`th byte of a leading
    /// BOM, which is removed once (R9), if it is one.
    #[cold]
    fn bom(&mut self, n: u8, first: u8, input: &mut &[u8]) {
        if first == BOM[usize::from(n)] {
            *input = &input[1..];
            self.state = if n == 2 {
                LINE_START
            } else {
                State::Bom(n + 1)
            };
        } else if n == 0 {
            self.state = LINE_START;
        } else {
            // The bytes of the broken BOM start the first line's name, which
            // is then no known one (it decodes to U+FFFD, R8).
            self.state = State::Name {
                buf: [0; MAX_KNOWN_NAME],
                len: MAX_KNOWN_NAME as u8 + 1,
            };
        }
    }
}

/// A line that lies whole in the input (no CR or LF in it) as a token: a
/// blank line (R17), or its name and value.
#[inline(always)]
fn whole_line(line: &[u8]) -> Token<'_> {
    if line.is_empty() {
        return Token::BlankLine;
    }
    let (name, value) = split_name(line);
    Token::Value(Value {
        name: field_name(name),
        // A line without a colon: the whole line is the name, the value is
        // empty (R20).
        bytes: value.map_or(&[], strip_space),
        end_of_line: true,
    })
}

/// Splits a line (or the part of it in the input) at its first colon: the
/// name, and the value if there is a colon (R19, R20).
#[inline(always)]
fn split_name(line: &[u8]) -> (&[u8], Option<&[u8]>) {
    match line.iter().position(|&b| b == b':') {
        Some(colon) => (&line[..colon], Some(&line[colon + 1..])),
        None => (line, None),
    }
}

/// A value without the one space that may start it (R19).
#[inline(always)]
fn strip_space(value: &[u8]) -> &[u8] {
    value.strip_prefix(b" ").unwrap_or(value)
}

/// The field a line's complete name makes: a comment when it is empty
/// (the line starts with a colon, R18), else [`FieldName::from_bytes`].
#[inline(always)]
const fn field_name(name: &[u8]) -> FieldName {
    if name.is_empty() {
        FieldName::Comment
    } else {
        FieldName::from_bytes(name)
    }
}

/// The field a name kept across chunks (see [`extend_name`]) makes.
fn known_name(buf: [u8; MAX_KNOWN_NAME], len: u8) -> FieldName {
    buf.get(..usize::from(len))
        .map_or(FieldName::Unknown, field_name)
}

/// A name split across chunks: `buf[..len]` so far, with `more` appended
/// as far as `buf` holds it. A `len` past [`MAX_KNOWN_NAME`] means a name no
/// known one can be, and stays so.
fn extend_name(mut buf: [u8; MAX_KNOWN_NAME], len: u8, more: &[u8]) -> ([u8; MAX_KNOWN_NAME], u8) {
    let start = usize::from(len);
    let end = start.saturating_add(more.len());
    match buf.get_mut(start..end) {
        Some(room) => {
            room.copy_from_slice(more);
            (buf, end as u8)
        }
        None => (buf, MAX_KNOWN_NAME as u8 + 1),
    }
}

/// The position of the first CR or LF in `bytes`: the one search for line
/// ends in the crate (R12), used by the decoder and the encoder.
///
/// Many lines are short (blank lines, heartbeats, ids, small pieces), where
/// the set-up of memchr's vector search costs more than the search: the
/// first machine word is looked at in a register first, and 4 to 7 bytes
/// in two overlapping 4-byte reads (BENCHMARKS.md has the figures).
#[inline]
pub(crate) fn find_line_end(bytes: &[u8]) -> Option<usize> {
    let line_ends = |word: usize| {
        let flags = matches(word, b'\r') | matches(word, b'\n');
        // The lowest flag is exact (see `matches`).
        (flags != 0).then(|| (flags.trailing_zeros() / 8) as usize)
    };
    if let Some(word) = bytes.first_chunk::<WORD>() {
        let word = usize::from_le_bytes(*word);
        return line_ends(word).or_else(|| search(&bytes[WORD..]).map(|i| i + WORD));
    }
    #[cfg(target_pointer_width = "64")]
    if let Some(head) = bytes.first_chunk::<4>() {
        // 4 to 7 bytes: the bytes past the end are zero, neither CR nor LF.
        let tail = bytes.last_chunk::<4>().unwrap_or(head);
        let read = |word: &[u8; 4]| u32::from_le_bytes(*word) as usize;
        return line_ends(read(head) | read(tail) << ((bytes.len() - 4) * 8));
    }
    bytes.iter().position(|&b| b == b'\n' || b == b'\r')
}

/// Whether `bytes` contain NUL, which never gets into the last event ID
/// (R24): the one NUL rule, for the decoder and the encoder.
#[inline]
pub(crate) fn has_nul(bytes: &[u8]) -> bool {
    bytes.contains(&0)
}

/// The first CR or LF in `bytes`, by memchr's vector search.
#[inline(always)]
fn search(bytes: &[u8]) -> Option<usize> {
    // Up to a few hundred bytes (most lines), memchr's SSE2 routine called
    // directly (x86-64 always has SSE2) costs less than `memchr2`'s choice
    // of routine by the CPU, which pays off on longer text.
    #[cfg(target_arch = "x86_64")]
    if bytes.len() <= 256 {
        if let Some(finder) = memchr::arch::x86_64::sse2::memchr::Two::new(b'\r', b'\n') {
            return finder.find(bytes);
        }
    }
    memchr::memchr2(b'\r', b'\n', bytes)
}

/// The bytes looked at together in one register: 8 on 64-bit targets, 4 on
/// 32-bit microcontrollers.
const WORD: usize = size_of::<usize>();

/// High bit set in each byte of `word` equal to `byte`; the lowest such flag
/// is always exact (higher ones may be false after a true one).
#[inline(always)]
const fn matches(word: usize, byte: u8) -> usize {
    const ONES: usize = usize::MAX / 0xFF;
    const HIGHS: usize = ONES * 0x80;
    let x = word ^ (ONES * byte as usize);
    x.wrapping_sub(ONES) & !x & HIGHS
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
        // Every length through the short, word and memchr2 searches.
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
                }
            }
            // No terminator: the tricky bytes alone, then with a terminator
            // just past the end (short pieces are read in overlapping words).
            buf = [b'\n'; 300];
            buf[..len].iter_mut().enumerate().for_each(|(i, b)| {
                *b = [0x0B, 0x0C, 0x8A, 0x8D, 0x00, 0xFF, 0x0E, 0x09][i % 8];
            });
            assert_eq!(find_line_end(&buf[..len]), None, "len {len}");
        }
    }

    #[test]
    fn state_is_a_few_bytes() {
        assert!(size_of::<FieldParser>() <= 12);
    }
}
