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

/// What one step of [`FieldParser::next_token`] found.
enum Step<'a> {
    /// A token to hand out.
    Token(Token<'a>),
    /// The value of this field starts at the input.
    Value(FieldName),
    /// Nothing yet: the next step goes on from the new state.
    More,
}

/// The longest known field name (`event`, `retry`).
const MAX_KNOWN_NAME: usize = 5;

/// The length of a name in [`State::Name`] that is longer than any known one.
const UNKNOWN: u8 = MAX_KNOWN_NAME as u8 + 1;

/// A name no known one can be.
const UNKNOWN_NAME: State = State::Name {
    buf: [0; MAX_KNOWN_NAME],
    len: UNKNOWN,
};

/// The UTF-8 byte order mark (R9).
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Where the parser stands in the line being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At the start of the body, `n` bytes of a leading BOM seen (R9).
    Bom(u8),
    /// At the start of a line.
    LineStart,
    /// Reading a name whose first `len` bytes are in `buf`; `len` is
    /// [`UNKNOWN`] once the name is longer than any known one.
    Name { buf: [u8; MAX_KNOWN_NAME], len: u8 },
    /// Just after the colon: one space is still to be removed (R19).
    AfterColon(FieldName),
    /// Inside the value.
    InValue(FieldName),
}

/// A streaming tokenizer for `text/event-stream` lines, with constant-size state.
///
/// Feed it any chunks of a response body through [`next_token`](Self::next_token);
/// call [`finish`](Self::finish) at the end of the body. The tokens are exactly
/// those of the whole body, however it is chunked (R11), and every byte is
/// looked at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldParser {
    state: State,
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
            state: State::Bom(0),
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
        !matches!(self.state, State::LineStart | State::Bom(0))
    }

    /// The field whose value is being read, if the parser is inside one.
    #[inline(always)]
    pub(crate) const fn in_value(&self) -> Option<FieldName> {
        match self.state {
            State::InValue(name) => Some(name),
            _ => None,
        }
    }

    /// The next piece of the value being read (see [`in_value`](Self::in_value)),
    /// if `input` is not empty: what [`next_token`](Self::next_token) gives there.
    #[inline(always)]
    pub(crate) fn value_piece<'a>(&mut self, input: &mut &'a [u8]) -> Option<Value<'a>> {
        match self.state {
            State::InValue(name) if !input.is_empty() => Some(self.value(name, input)),
            _ => None,
        }
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
            if self.pending_cr {
                self.pending_cr = false;
                if first == b'\n' {
                    // The LF of a CRLF (R13).
                    *input = &bytes[1..];
                    continue;
                }
            }
            let step = match self.state {
                State::InValue(name) => Step::Value(name),
                State::LineStart => self.line_start(input),
                State::AfterColon(name) => self.after_colon(name, input),
                State::Name { buf, len } => self.name_bytes(buf, len, input),
                State::Bom(n) => self.bom(n, input),
            };
            match step {
                Step::Token(token) => return Some(token),
                // Only a line's last piece may be empty: wait for more input.
                Step::Value(_) if input.is_empty() => return None,
                // Every value is read here, however its line began.
                Step::Value(name) => return Some(Token::Value(self.value(name, input))),
                Step::More => {}
            }
        }
    }

    /// A line's first byte, at the start of `input` (not empty): a blank
    /// line, a comment (R18) or a field's name.
    #[inline(always)]
    fn line_start<'a>(&mut self, input: &mut &'a [u8]) -> Step<'a> {
        let bytes: &'a [u8] = input;
        match bytes[0] {
            b'\r' | b'\n' => {
                *input = &bytes[1..];
                self.end_line(bytes[0]);
                Step::Token(Token::BlankLine)
            }
            b':' => {
                *input = &bytes[1..];
                self.after_colon(FieldName::Comment, input)
            }
            _ => self.start_name(input),
        }
    }

    /// Just after a colon: removes one space, no more (R19). The value is
    /// read next, by [`value`](Self::value).
    #[inline(always)]
    fn after_colon<'a>(&mut self, name: FieldName, input: &mut &'a [u8]) -> Step<'a> {
        let Some(&first) = input.first() else {
            self.state = State::AfterColon(name);
            return Step::More;
        };
        if first == b' ' {
            *input = &input[1..];
        }
        self.state = State::InValue(name);
        Step::Value(name)
    }

    /// Takes the next byte of a leading BOM, which is removed once (R9).
    #[cold]
    fn bom<'a>(&mut self, n: u8, input: &mut &'a [u8]) -> Step<'a> {
        if input.first() == Some(&BOM[usize::from(n)]) {
            *input = &input[1..];
            self.state = if n == 2 {
                State::LineStart
            } else {
                State::Bom(n + 1)
            };
        } else if n == 0 {
            self.state = State::LineStart;
        } else {
            // The bytes of the broken BOM start the first line's name, which
            // is then no known one (it decodes to U+FFFD, R8).
            self.state = UNKNOWN_NAME;
        }
        Step::More
    }

    /// Ends the line at `terminator` (CR or LF, R12).
    #[inline(always)]
    fn end_line(&mut self, terminator: u8) {
        self.pending_cr = terminator == b'\r';
        self.state = State::LineStart;
    }

    /// Starts reading a name at the start of `input` (not empty). A name that
    /// lies whole in `input`'s first word with the byte that ends it is
    /// classified at once; any other goes byte by byte through [`State::Name`].
    #[inline(always)]
    fn start_name<'a>(&mut self, input: &mut &'a [u8]) -> Step<'a> {
        let bytes: &'a [u8] = input;
        let ends = first_word(bytes).map(|word| {
            first_match(matches(word, b':') | matches(word, b'\r') | matches(word, b'\n'))
        });
        match ends {
            Some(Some(len)) if len <= MAX_KNOWN_NAME => {
                *input = &bytes[len..];
                self.end_of_name(FieldName::from_bytes(&bytes[..len]), input)
            }
            Some(None) if WORD > MAX_KNOWN_NAME => {
                // Six name bytes: no known name is that long.
                *input = &bytes[MAX_KNOWN_NAME + 1..];
                self.state = UNKNOWN_NAME;
                Step::More
            }
            _ => {
                self.state = State::Name {
                    buf: [0; MAX_KNOWN_NAME],
                    len: 0,
                };
                Step::More
            }
        }
    }

    /// Reads more of a name; `buf[..len]` holds it so far (see [`State::Name`]).
    #[inline(never)]
    fn name_bytes<'a>(
        &mut self,
        mut buf: [u8; MAX_KNOWN_NAME],
        mut len: u8,
        input: &mut &'a [u8],
    ) -> Step<'a> {
        let bytes: &'a [u8] = input;
        // Byte by byte: names that do not lie whole in the input, and those
        // longer than any known one, are rare.
        for (used, &b) in bytes.iter().enumerate() {
            if matches!(b, b':' | b'\r' | b'\n') {
                *input = &bytes[used..];
                let name = match buf.get(..usize::from(len)) {
                    Some(name) => FieldName::from_bytes(name),
                    None => FieldName::Unknown,
                };
                return self.end_of_name(name, input);
            }
            if let Some(slot) = buf.get_mut(usize::from(len)) {
                *slot = b;
                len += 1;
            } else {
                // A sixth name byte: no known name is that long.
                len = UNKNOWN;
            }
        }
        *input = &[];
        self.state = State::Name { buf, len };
        Step::More
    }

    /// Ends a name at the start of `input`, a colon, CR or LF.
    #[inline(always)]
    fn end_of_name<'a>(&mut self, name: FieldName, input: &mut &'a [u8]) -> Step<'a> {
        let end = input[0];
        *input = &input[1..];
        if end == b':' {
            return self.after_colon(name, input);
        }
        // A line without a colon: the whole line is the name, the value is empty (R20).
        self.end_line(end);
        Step::Token(Token::Value(Value {
            name,
            bytes: &[],
            end_of_line: true,
        }))
    }

    /// The value bytes at the start of `input` (not empty), up to the end of
    /// the line or of the input; moves `input` past them and the line's end.
    #[inline(always)]
    fn value<'a>(&mut self, name: FieldName, input: &mut &'a [u8]) -> Value<'a> {
        let bytes: &'a [u8] = input;
        match find_line_end(bytes) {
            Some(i) => {
                *input = &bytes[i + 1..];
                self.end_line(bytes[i]);
                Value {
                    name,
                    bytes: &bytes[..i],
                    end_of_line: true,
                }
            }
            None => {
                *input = &[];
                Value {
                    name,
                    bytes,
                    end_of_line: false,
                }
            }
        }
    }
}

/// The bytes looked at together in one register: 8 on 64-bit targets, 4 on
/// 32-bit microcontrollers, where 64-bit arithmetic costs twice the code.
const WORD: usize = size_of::<usize>();

/// `WORD` bytes of `bytes`' start, little-endian, if it has that many.
#[inline(always)]
fn first_word(bytes: &[u8]) -> Option<usize> {
    bytes
        .first_chunk::<WORD>()
        .map(|word| usize::from_le_bytes(*word))
}

/// High bit set in each byte of `word` equal to `byte`; the lowest such flag
/// is always exact (higher ones may be false after a true one).
#[inline(always)]
const fn matches(word: usize, byte: u8) -> usize {
    const ONES: usize = usize::MAX / 0xFF;
    const HIGHS: usize = ONES * 0x80;
    let x = word ^ (ONES * byte as usize);
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// The index of the lowest byte flagged by [`matches()`] in a little-endian word.
#[inline(always)]
fn first_match(flags: usize) -> Option<usize> {
    (flags != 0).then(|| (flags.trailing_zeros() / 8) as usize)
}

/// The position of the first CR or LF in `bytes`: the one search for line
/// ends (R12).
///
/// Lines are often short (heartbeats, ids, small tokens, small pieces),
/// where memchr's setup costs more than the search: the first word is
/// looked at in a register first.
#[inline(always)]
fn find_line_end(bytes: &[u8]) -> Option<usize> {
    let line_ends = |word: usize| first_match(matches(word, b'\r') | matches(word, b'\n'));
    if let Some(word) = first_word(bytes) {
        return line_ends(word).or_else(|| search(&bytes[WORD..]).map(|i| i + WORD));
    }
    #[cfg(target_pointer_width = "64")]
    if let Some(head) = bytes.first_chunk::<4>() {
        // 4 to 7 bytes: two overlapping 4-byte reads; the bytes past the end
        // are zero, which is neither CR nor LF.
        let tail = bytes.last_chunk::<4>().unwrap_or(head);
        let read = |word: &[u8; 4]| u32::from_le_bytes(*word) as usize;
        return line_ends(read(head) | read(tail) << ((bytes.len() - 4) * 8));
    }
    bytes.iter().position(|&b| b == b'\n' || b == b'\r')
}

/// The first CR or LF in `bytes`, by memchr's vector search.
#[inline(always)]
fn search(bytes: &[u8]) -> Option<usize> {
    // Up to a few hundred bytes (most lines), memchr's SSE2 routine called
    // directly (x86-64 always has SSE2) costs less than `memchr2`'s choice of
    // routine by the CPU, which pays off on longer text.
    #[cfg(target_arch = "x86_64")]
    if bytes.len() <= 256 {
        if let Some(finder) = memchr::arch::x86_64::sse2::memchr::Two::new(b'\r', b'\n') {
            return finder.find(bytes);
        }
    }
    memchr::memchr2(b'\r', b'\n', bytes)
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
