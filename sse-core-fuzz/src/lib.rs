//! The properties the fuzz targets check: one function per target, each
//! panicking when a property fails.
//!
//! The same file is compiled into `tests/tests/regression.rs` (through
//! `#[path]`), so every finding saved under `tests/regression/` is replayed by
//! a plain `cargo test` on stable through exactly these checks, and the seed
//! corpus is written from the test vectors with [`byte_seed`].
//!
//! # Input layout of the byte targets
//!
//! `decode_chunked`, `decode_small_capacity` and `field_layer` read their input
//! with [`Input::parse`]:
//!
//! | bytes | meaning |
//! |---|---|
//! | 0 | settings, read by each target |
//! | 1 | low four bits: `n`, how many chunk lengths follow; high four bits: more settings |
//! | 2 .. 2 + n | the lengths of the first `n` chunks (0-255 each; 0 is an empty chunk) |
//! | the rest | the body; what the lengths do not cover is the last chunk |
//!
//! So the fuzzer's bytes choose both the stream and where it is split, and a
//! seed is a vector's body behind a two-byte header.

use sse_core::field::{FieldName, FieldParser, Token};
use sse_core::{
    Decoder, EncodeError, EventWriter, HeapBuffers, InlineBuffers, Item, Limits, Message,
    SliceBuffers, Storage, comment_len, encode, encode_comment, encoded_len,
};
use sse_core_tests::{Outcome, OwnedEvent, OwnedItem, drive, naive};

/// A byte target's input: settings, and the body split into chunks.
#[derive(Clone, Debug)]
pub struct Input<'a> {
    /// Byte 0.
    pub settings: u8,
    /// The high four bits of byte 1.
    pub extra: u8,
    /// The body.
    pub body: &'a [u8],
    /// The body, split as the header says; joined, they are `body`.
    pub chunks: Vec<&'a [u8]>,
}

impl<'a> Input<'a> {
    /// Reads the layout described in the module docs; any bytes are an input.
    pub fn parse(bytes: &'a [u8]) -> Self {
        let settings = bytes.first().copied().unwrap_or(0);
        let (count, extra) = bytes
            .get(1)
            .map_or((0, 0), |b| (usize::from(b & 0x0F), b >> 4));
        let lengths = bytes.get(2..).unwrap_or_default();
        let lengths = &lengths[..count.min(lengths.len())];
        let body = bytes.get(2 + lengths.len()..).unwrap_or_default();
        let mut chunks = Vec::with_capacity(lengths.len() + 1);
        let mut rest = body;
        for &len in lengths {
            let (chunk, after) = rest.split_at(usize::from(len).min(rest.len()));
            chunks.push(chunk);
            rest = after;
        }
        chunks.push(rest);
        Self {
            settings,
            extra,
            body,
            chunks,
        }
    }
}

/// The input that [`Input::parse`] reads as `chunks` with these settings, as
/// far as the layout can say it: at most 15 chunk lengths of at most 255
/// bytes; past that, the rest of the body is one chunk.
pub fn byte_seed(settings: u8, extra: u8, chunks: &[&[u8]]) -> Vec<u8> {
    let lengths: Vec<u8> = chunks
        .iter()
        .take(chunks.len().saturating_sub(1))
        .map_while(|c| u8::try_from(c.len()).ok())
        .take(15)
        .collect();
    let count = u8::try_from(lengths.len()).unwrap_or(15);
    let mut seed = vec![settings, (extra << 4) | count];
    seed.extend_from_slice(&lengths);
    for chunk in chunks {
        seed.extend_from_slice(chunk);
    }
    seed
}

// ---------------------------------------------------------------------------
// The field-layer model: the whole body at once, split into raw lines.

/// One line as the model sees it, or as the tokens of [`FieldParser`] add up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// An empty line.
    Blank,
    /// A terminated field or comment line: its name and whole value.
    Field(FieldName, Vec<u8>),
    /// The unterminated last line, when some of its value was handed out.
    Partial(FieldName, Vec<u8>),
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Splits a body into its terminated lines (CR, LF, CRLF) and the
/// unterminated tail, after removing one leading BOM. Raw bytes: CR, LF and
/// `:` are ASCII, so no UTF-8 decoding is needed to find them.
pub fn raw_lines(body: &[u8]) -> (Vec<&[u8]>, &[u8]) {
    let body = body.strip_prefix(BOM).unwrap_or(body);
    let mut lines = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < body.len() {
        match body[i] {
            b'\r' => {
                lines.push(&body[start..i]);
                i += if body.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            b'\n' => {
                lines.push(&body[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    (lines, &body[start..])
}

/// A non-empty line's name and value: a comment after a leading colon, else
/// the name up to the first colon and the value after it, less one space.
pub fn model_field(line: &[u8]) -> (FieldName, &[u8]) {
    fn one_space_less(value: &[u8]) -> &[u8] {
        value.strip_prefix(b" ").unwrap_or(value)
    }
    if let Some(comment) = line.strip_prefix(b":") {
        return (FieldName::Comment, one_space_less(comment));
    }
    let (name, value) = match line.iter().position(|&b| b == b':') {
        Some(colon) => (&line[..colon], one_space_less(&line[colon + 1..])),
        None => (line, &[][..]),
    };
    let name = match name {
        b"data" => FieldName::Data,
        b"event" => FieldName::Event,
        b"id" => FieldName::Id,
        b"retry" => FieldName::Retry,
        _ => FieldName::Unknown,
    };
    (name, value)
}

/// The lines the model finds in `body`. The tail counts when its value has
/// begun and is not empty: that much the tokenizer has handed out.
pub fn model_lines(body: &[u8]) -> Vec<Line> {
    let (lines, tail) = raw_lines(body);
    let mut model: Vec<Line> = lines
        .into_iter()
        .map(|line| {
            if line.is_empty() {
                Line::Blank
            } else {
                let (name, value) = model_field(line);
                Line::Field(name, value.to_vec())
            }
        })
        .collect();
    if tail.contains(&b':') {
        let (name, value) = model_field(tail);
        if !value.is_empty() {
            model.push(Line::Partial(name, value.to_vec()));
        }
    }
    model
}

/// Whether the model is inside a line at the end of `body` (an unterminated
/// tail, or the first bytes of a BOM).
pub fn model_mid_line(body: &[u8]) -> bool {
    !raw_lines(body).1.is_empty()
}

// ---------------------------------------------------------------------------
// field_layer

/// `field_layer`: the tokenizer alone, fed in the input's chunks.
///
/// - the value pieces of each line, joined, equal the model's value, with the
///   model's name; blank lines come where the model has them;
/// - only the last piece of a line may be empty, and every piece of a line
///   has the same name; a blank line never comes inside a line;
/// - every call uses its whole input, and each token uses at least one byte;
/// - [`FieldParser::is_mid_line`] agrees with the model after every chunk,
///   and [`FieldParser::finish`] reports the model's tail and resets the parser;
/// - the state is a few bytes, whatever the input.
pub fn field_layer(bytes: &[u8]) {
    const {
        assert!(size_of::<FieldParser>() <= 12);
    }
    let input = Input::parse(bytes);
    let mut parser = FieldParser::new();
    let mut lines: Vec<Line> = Vec::new();
    let mut open = false;
    let (mut tokens, mut fed) = (0, 0);
    for chunk in &input.chunks {
        let mut rest = *chunk;
        while let Some(token) = parser.next_token(&mut rest) {
            tokens += 1;
            match token {
                Token::BlankLine => {
                    assert!(!open, "a blank line inside a line");
                    lines.push(Line::Blank);
                }
                Token::Value(piece) => {
                    assert!(
                        piece.end_of_line || !piece.bytes.is_empty(),
                        "an empty piece that does not end its line"
                    );
                    match lines.last_mut() {
                        Some(Line::Partial(name, value)) if open => {
                            assert_eq!(*name, piece.name, "a line changed its name");
                            value.extend_from_slice(piece.bytes);
                        }
                        _ => lines.push(Line::Partial(piece.name, piece.bytes.to_vec())),
                    }
                    if piece.end_of_line {
                        let Some(Line::Partial(name, value)) = lines.pop() else {
                            unreachable!("a piece was just added")
                        };
                        lines.push(Line::Field(name, value));
                    }
                    open = !piece.end_of_line;
                }
            }
        }
        assert!(rest.is_empty(), "next_token returned None with input left");
        fed += chunk.len();
        assert!(tokens <= fed, "{tokens} tokens from {fed} bytes");
        assert_eq!(
            parser.is_mid_line(),
            model_mid_line(&input.body[..fed]),
            "is_mid_line after {fed} bytes"
        );
    }
    assert_eq!(lines, model_lines(input.body), "tokens vs model");
    assert_eq!(parser.finish(), model_mid_line(input.body), "finish()");
    assert_eq!(parser, FieldParser::new(), "finish() resets the parser");
}

// ---------------------------------------------------------------------------
// decode_chunked

/// Runs `f` on a decoder whose buffers hold any event `body_len` bytes can
/// carry (decoded UTF-8 is at most three times the raw bytes: one invalid
/// byte becomes U+FFFD), starting with `initial_id`, reporting comments if
/// asked.
fn with_roomy_decoder<R>(
    body_len: usize,
    initial_id: &str,
    comments: bool,
    f: impl FnOnce(&mut Decoder<SliceBuffers<'_>>) -> R,
) -> R {
    let room = 3 * body_len.max(initial_id.len()) + 4;
    let mut memory = vec![0u8; 5 * room];
    let limits = Limits::new()
        .max_data(room)
        .max_event_type(room)
        .max_id(room);
    let buffers = SliceBuffers::new(&mut memory, limits).expect("memory holds the limits");
    let mut decoder = Decoder::with_storage(buffers).with_comments(comments);
    decoder
        .set_last_event_id(initial_id)
        .expect("initial id without NUL");
    f(&mut decoder)
}

/// The comment lines a decoder reports: each line's pieces joined, and
/// whether its end was seen.
type Comments = Vec<(Vec<u8>, bool)>;

/// Like [`drive::run`], with comments reported and collected apart.
fn run_with_comments<S: Storage>(
    decoder: &mut Decoder<S>,
    chunks: &[&[u8]],
) -> (Outcome, Comments) {
    let mut items = Vec::new();
    let mut comments: Comments = Vec::new();
    for chunk in chunks {
        let mut rest = *chunk;
        while let Some(item) = decoder.next(&mut rest) {
            match item {
                Ok(Item::Comment { text, end_of_line }) => {
                    match comments.last_mut() {
                        Some((line, ended)) if !*ended => line.extend_from_slice(text),
                        _ => comments.push((text.to_vec(), false)),
                    }
                    if let Some(last) = comments.last_mut() {
                        last.1 = end_of_line;
                    }
                }
                other => items.push(drive::own(other)),
            }
        }
        assert!(rest.is_empty(), "next() returned None with input left");
    }
    let discarded = decoder.finish() == sse_core::EndOfBody::Discarded;
    let outcome = Outcome {
        items,
        last_event_id: decoder.last_event_id().to_owned(),
        discarded,
    };
    (outcome, comments)
}

/// The comment lines of the model, in the shape of [`Comments`].
fn model_comments(body: &[u8]) -> Comments {
    model_lines(body)
        .into_iter()
        .filter_map(|line| match line {
            Line::Field(FieldName::Comment, text) => Some((text, true)),
            Line::Partial(FieldName::Comment, text) => Some((text, false)),
            _ => None,
        })
        .collect()
}

/// `decode_chunked`: the real decoder, with room for any event, against
/// itself and the naive reference decoder. Settings bit 0: the body starts
/// with last event ID `"7"` instead of `""` (R35).
///
/// - one-shot decoding equals the naive decoder's outcome: events, `retry`
///   and id updates (no-data blocks), the final last event ID, and whether
///   something was discarded at the end;
/// - decoding in the input's chunks equals one-shot decoding, and so does a
///   second body fed byte by byte to the same decoder, which starts from the
///   first body's last event ID (R35) and must forget its pending CR and BOM state;
/// - [`Decoder::retry`] is the last `retry` item;
/// - with comments reported, the other items do not change, and the comment
///   lines are the model's;
/// - decoding in the input's chunks with [`HeapBuffers`] (no limits: they
///   grow from empty) equals one-shot decoding;
/// - with settings bit 1, [`Decoder::set_last_event_id`]`("X")` between the
///   first chunk and the rest sets the last event ID at once, and the outcome
///   is the naive decoder's with the id set after the lines that ended in the
///   first chunk ([`naive::decode_setting_id_at`]): a line still arriving,
///   an `id` line too, is not changed by it.
pub fn decode_chunked(bytes: &[u8]) {
    let input = Input::parse(bytes);
    let initial_id = if input.settings & 1 == 1 { "7" } else { "" };
    let len = input.body.len();
    let expected = naive::decode(input.body, initial_id);

    let whole = with_roomy_decoder(len, initial_id, false, |decoder| {
        let whole = drive::run(decoder, &[input.body]);
        assert_eq!(
            decoder.retry(),
            whole.last_retry(),
            "retry() after one body"
        );
        whole
    });
    assert_eq!(whole, expected, "one-shot vs naive");

    with_roomy_decoder(len, initial_id, false, |decoder| {
        let chunked = drive::run(decoder, &input.chunks);
        assert_eq!(chunked, whole, "chunked vs one-shot");
        let bytes: Vec<&[u8]> = input.body.chunks(1).collect();
        let second = drive::run(decoder, &bytes);
        let retry = second.last_retry().or(chunked.last_retry());
        assert_eq!(
            second,
            naive::decode(input.body, &chunked.last_event_id),
            "second body, byte by byte, vs naive"
        );
        assert_eq!(decoder.retry(), retry, "retry() after two bodies");
    });

    with_roomy_decoder(len, initial_id, true, |decoder| {
        let (outcome, comments) = run_with_comments(decoder, &input.chunks);
        assert_eq!(outcome, whole, "with comments reported vs one-shot");
        assert_eq!(comments, model_comments(input.body), "comments vs model");
    });

    let mut heap = Decoder::with_storage(HeapBuffers::new(Limits::new()));
    heap.set_last_event_id(initial_id)
        .expect("initial id without NUL");
    assert_eq!(
        drive::run(&mut heap, &input.chunks),
        whole,
        "HeapBuffers, chunked, vs one-shot"
    );

    if input.settings & 2 == 2 {
        // A decoder as `new` leaves it, unless it starts with an id.
        let mut decoder = Decoder::with_storage(HeapBuffers::new(Limits::new()));
        if !initial_id.is_empty() {
            decoder
                .set_last_event_id(initial_id)
                .expect("initial id without NUL");
        }
        let (first, rest) = input.chunks.split_first().expect("a chunk at least");
        let mut items = Vec::new();
        drive::feed(&mut decoder, &[first], &mut items);
        decoder.set_last_event_id("X").expect("no limits");
        assert_eq!(decoder.last_event_id(), "X", "set_last_event_id");
        let mut outcome = drive::run(&mut decoder, rest);
        items.append(&mut outcome.items);
        outcome.items = items;
        assert_eq!(
            outcome,
            naive::decode_setting_id_at(input.body, initial_id, first.len(), "X"),
            "set_last_event_id after the first chunk vs naive"
        );
    }
}

// ---------------------------------------------------------------------------
// decode_small_capacity

/// Appended to every body: it ends any pending line and block, then one
/// event that any of these decoders holds.
pub const SENTINEL: &[u8] = b"\n\ndata: x\n\n";

/// Items split into blocks: the `retry` items of a block, then what ended it
/// (an event, a no-data block or an error).
fn blocks(items: &[OwnedItem]) -> Vec<(Vec<u64>, OwnedItem)> {
    let mut blocks = Vec::new();
    let mut retries = Vec::new();
    for item in items {
        match item {
            OwnedItem::Retry(ms) => retries.push(*ms),
            end => blocks.push((std::mem::take(&mut retries), end.clone())),
        }
    }
    assert!(
        retries.is_empty(),
        "retry items after the last block: {items:?}"
    );
    blocks
}

fn last_event_id(item: &OwnedItem) -> Option<&str> {
    match item {
        OwnedItem::Event(e) => Some(&e.last_event_id),
        OwnedItem::NoData(id) => Some(id),
        _ => None,
    }
}

/// What the model knows of one block that has a field (one that the naive
/// decoder reports, as an event or a no-data block).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelBlock {
    /// The value of its last `id` line without NUL, decoded (R24).
    pub id: Option<String>,
    /// A decoder with these limits must fail on it as its bytes arrive: its
    /// data, joined, is too long before decoding; or one of its `event` lines
    /// is; or one of its `id` lines without NUL is too long decoded (checked
    /// at the end of the line).
    pub fails_early: bool,
    /// A decoder with these limits must fail on it at dispatch (and not
    /// before): its data, joined and decoded, is too long, or it has data and
    /// its final event type, decoded, is too long.
    pub fails_at_dispatch: bool,
}

impl ModelBlock {
    /// Whether a decoder with these limits must report an error for it.
    pub fn fails(&self) -> bool {
        self.fails_early || self.fails_at_dispatch
    }
}

/// The blocks of `body` that end with a blank line and have a field, as the
/// model sees them under `limits`.
pub fn model_blocks(body: &[u8], limits: Limits) -> Vec<ModelBlock> {
    let decoded_len = |bytes: &[u8]| String::from_utf8_lossy(bytes).len();
    let mut blocks = Vec::new();
    let (mut has_field, mut id, mut fails_early) = (false, None, false);
    let (mut raw_data, mut data, mut has_data, mut event_type) = (0, 0, false, 0);
    for line in raw_lines(body).0 {
        if line.is_empty() {
            if has_field {
                let late = has_data && (data > limits.data() || event_type > limits.event_type());
                blocks.push(ModelBlock {
                    id,
                    fails_early,
                    fails_at_dispatch: late && !fails_early,
                });
            }
            (has_field, id, fails_early) = (false, None, false);
            (raw_data, data, has_data, event_type) = (0, 0, false, 0);
            continue;
        }
        let (name, value) = model_field(line);
        has_field |= name != FieldName::Comment;
        match name {
            FieldName::Data => {
                let separator = usize::from(has_data);
                raw_data += value.len() + separator;
                data += decoded_len(value) + separator;
                has_data = true;
                fails_early |= raw_data > limits.data();
            }
            FieldName::Event => {
                fails_early |= value.len() > limits.event_type();
                event_type = decoded_len(value);
            }
            FieldName::Id if !value.contains(&0) => {
                let text = String::from_utf8_lossy(value).into_owned();
                fails_early |= text.len() > limits.id();
                id = Some(text);
            }
            _ => {}
        }
    }
    blocks
}

/// Checks a limited decoder's outcome on `body` (which ends with
/// [`SENTINEL`]) against the naive decoder's and the block model's.
fn check_limited(limited: &Outcome, naive: &Outcome, body: &[u8], limits: Limits) {
    let sentinel = OwnedEvent {
        event_type: "message".into(),
        data: "x".into(),
        last_event_id: limited.last_event_id.clone(),
    };
    assert_eq!(
        limited.items.last(),
        Some(&OwnedItem::Event(sentinel)),
        "the sentinel is the last item"
    );
    assert!(!limited.discarded, "nothing pending after the sentinel");
    let ours = blocks(&limited.items);
    let theirs = blocks(&naive.items);
    let model = model_blocks(body, limits);
    assert_eq!(ours.len(), theirs.len(), "one report per block");
    assert_eq!(model.len(), theirs.len(), "the model's blocks");
    let mut committed = String::new();
    let mut clean = true;
    for (i, (((our_retries, ours), (their_retries, theirs)), block)) in
        ours.iter().zip(&theirs).zip(&model).enumerate()
    {
        let failed = matches!(ours, OwnedItem::Error(_));
        assert_eq!(
            failed,
            block.fails(),
            "block {i}: {ours:?} where the naive decoder has {theirs:?}, limits {limits:?}"
        );
        if let OwnedItem::Error(error) = ours {
            assert!(
                their_retries.starts_with(our_retries),
                "block {i}: retry items before the error"
            );
            if error.starts_with("event data") {
                assert!(
                    matches!(theirs, OwnedItem::Event(e) if e.data.len() > limits.data()),
                    "block {i}: {error}, but the naive decoder has {theirs:?}"
                );
            }
            // A failed block commits no id, wherever its error was found
            // (finding 1 in FUZZING.md, fixed).
            clean = false;
            continue;
        }
        // A block that did not fail commits its id (R27), or keeps the last one.
        if let Some(id) = &block.id {
            committed.clone_from(id);
        }
        assert_eq!(our_retries, their_retries, "block {i}: retry items");
        assert_eq!(
            last_event_id(ours),
            Some(committed.as_str()),
            "block {i}: id"
        );
        match (ours, theirs) {
            (OwnedItem::Event(a), OwnedItem::Event(b)) => {
                assert_eq!(
                    (&a.event_type, &a.data),
                    (&b.event_type, &b.data),
                    "block {i}"
                );
            }
            (OwnedItem::NoData(_), OwnedItem::NoData(_)) => {}
            _ => panic!("block {i}: {ours:?} where the naive decoder has {theirs:?}"),
        }
    }
    assert_eq!(limited.last_event_id, committed, "the last event ID");
    if clean {
        assert_eq!(limited, naive, "no limit was hit: the same outcome");
    }
}

/// `decode_small_capacity`: decoders with limits of a few bytes, so that
/// overflow and resynchronisation happen all the time, on the input's body
/// followed by [`SENTINEL`]:
///
/// - `Decoder<InlineBuffers<4, 4, 4>>`;
/// - [`SliceBuffers`] with limits from the input: data 1-16 bytes (settings
///   bits 0-3), event type 0-15 (bits 4-7), id 0-15 (byte 1, bits 4-7);
/// - `Decoder<InlineBuffers<32, 32, 32>>` lowered to the same limits with
///   [`Decoder::with_limits`], reporting comments: apart from the comments,
///   it must give what the [`SliceBuffers`] decoder gives;
/// - [`HeapBuffers`] with the same limits, fed in the input's chunks, must
///   give what the [`SliceBuffers`] decoder gives, its buffers growing up to
///   the limits and stopping there.
///
/// For each, chunked decoding equals one-shot decoding, and block by block
/// against the naive decoder (which has no limits) and [`model_blocks`]:
///
/// - every block that has a field gives one report: an event, a no-data
///   block, or an error;
/// - an error comes exactly for the blocks the model says fail; a data error
///   only for data over the limit; a failed block gives a prefix of the naive
///   decoder's `retry` items and commits no id;
/// - any other block gives the naive decoder's report and `retry` items, with
///   the last event ID that the blocks that did not fail committed;
/// - without errors the outcomes are equal;
/// - whatever came before, the sentinel decodes as the last event.
pub fn decode_small_capacity(bytes: &[u8]) {
    let input = Input::parse(bytes);
    let mut body = input.body.to_vec();
    body.extend_from_slice(SENTINEL);
    let mut chunks = input.chunks.clone();
    chunks.push(SENTINEL);
    let naive = naive::decode(&body, "");

    type Tiny = Decoder<InlineBuffers<4, 4, 4>>;
    let whole = drive::run(&mut Tiny::new(), &[&body]);
    let chunked = drive::run(&mut Tiny::new(), &chunks);
    assert_eq!(
        chunked, whole,
        "InlineBuffers<4, 4, 4>: chunked vs one-shot"
    );
    let tiny = Limits::new().max_data(4).max_event_type(4).max_id(4);
    check_limited(&whole, &naive, &body, tiny);

    let limits = Limits::new()
        .max_data(1 + usize::from(input.settings & 0x0F))
        .max_event_type(usize::from(input.settings >> 4))
        .max_id(usize::from(input.extra));
    let (mut one, mut two) = ([0u8; 96], [0u8; 96]);
    let mut decoders = [&mut one, &mut two].map(|memory| {
        let buffers = SliceBuffers::new(memory, limits).expect("96 bytes hold the limits");
        Decoder::with_storage(buffers)
    });
    assert_eq!(decoders[0].limits(), limits);
    let whole = drive::run(&mut decoders[0], &[&body]);
    let chunked = drive::run(&mut decoders[1], &chunks);
    assert_eq!(
        chunked, whole,
        "SliceBuffers {limits:?}: chunked vs one-shot"
    );
    check_limited(&whole, &naive, &body, limits);

    // The same limits on buffers larger than them, with comments reported.
    let mut roomy = Decoder::<InlineBuffers<32, 32, 32>>::new()
        .with_limits(limits)
        .with_comments(true);
    assert_eq!(roomy.limits(), limits);
    let (outcome, _) = run_with_comments(&mut roomy, &chunks);
    assert_eq!(
        outcome, whole,
        "InlineBuffers<32, 32, 32> with limits {limits:?} and comments vs SliceBuffers"
    );

    let mut heap = Decoder::with_storage(HeapBuffers::new(limits));
    assert_eq!(heap.limits(), limits);
    assert_eq!(
        drive::run(&mut heap, &chunks),
        whole,
        "HeapBuffers with limits {limits:?} vs SliceBuffers"
    );
}

// ---------------------------------------------------------------------------
// encode_roundtrip

/// An event to encode, and how to write it; the fuzz target makes it with
/// `arbitrary`.
#[derive(Clone, Debug, Default)]
pub struct EncodeCase<'a> {
    /// [`Message::data`].
    pub data: Option<&'a str>,
    /// [`Message::event_type`].
    pub event_type: Option<&'a str>,
    /// [`Message::id`].
    pub id: Option<&'a str>,
    /// [`Message::retry`].
    pub retry: Option<u64>,
    /// The receiver's last event ID before the event (NUL removed: a last
    /// event ID never holds one).
    pub previous_id: &'a str,
    /// The size of the buffer to encode into: with bit 7, the exact length
    /// plus bits 0-6; else this number modulo the exact length plus one.
    pub room: u8,
    /// Where [`EventWriter`] cuts the data, each in 256ths of its length.
    pub cuts: &'a [u8],
}

/// Whether text holds CR or LF.
fn has_line_break(text: &str) -> bool {
    text.contains(['\r', '\n'])
}

/// `encode_roundtrip`: the encoder either refuses an event, because its event
/// type holds CR or LF or its id holds CR, LF or NUL, with that error from
/// [`encoded_len`], [`encode`] and [`EventWriter::begin`] and nothing written;
/// or:
///
/// - [`encode`] into a buffer shorter than [`encoded_len`] fails with the
///   exact size required and writes nothing; into a longer one it writes
///   exactly that many bytes, and nothing past them;
/// - the bytes start with no BOM and decode, by the real and the naive
///   decoder alike, to exactly the event (data line breaks as LF, an empty
///   type as `message`), preceded by its `retry` and followed by a no-data
///   report when the event has no data, with the right last event ID and
///   nothing discarded;
/// - [`EventWriter`], given the data in pieces (the first one with the header
///   to [`EventWriter::begin`] when the number of cuts is odd), writes the
///   same bytes;
/// - the data as a comment ([`encode_comment`], [`comment_len`] bytes)
///   decodes to nothing.
pub fn encode_roundtrip(case: &EncodeCase<'_>) {
    let mut header = Message::new();
    if let Some(event_type) = case.event_type {
        header = header.event_type(event_type);
    }
    if let Some(id) = case.id {
        header = header.id(id);
    }
    if let Some(retry) = case.retry {
        header = header.retry(retry);
    }
    let message = match case.data {
        Some(data) => header.data(data),
        None => header,
    };
    let refusal = if case.event_type.is_some_and(has_line_break) {
        Some(EncodeError::EventTypeHasLineBreak)
    } else if case.id.is_some_and(has_line_break) {
        Some(EncodeError::IdHasLineBreak)
    } else if case.id.is_some_and(|id| id.contains('\0')) {
        Some(EncodeError::IdContainsNul)
    } else {
        None
    };

    let len = match (encoded_len(&message), refusal) {
        (Err(error), Some(refusal)) => {
            assert_eq!(error, refusal, "encoded_len refused for another reason");
            let mut buf = [0xAAu8; 64];
            assert_eq!(encode(&message, &mut buf), Err(refusal), "encode");
            assert_eq!(buf, [0xAA; 64], "encode wrote a refused event");
            let mut sink: &mut [u8] = &mut buf;
            let begun = EventWriter::begin(&message, &mut sink).map(|_| ());
            assert_eq!(begun, Err(refusal), "EventWriter::begin");
            assert_eq!(buf, [0xAA; 64], "EventWriter::begin wrote a refused event");
            return;
        }
        (Ok(len), None) => len,
        (result, refusal) => panic!("encoded_len gave {result:?}, expected refusal {refusal:?}"),
    };

    let size = if case.room & 0x80 != 0 {
        len + usize::from(case.room & 0x7F)
    } else {
        usize::from(case.room) % (len + 1)
    };
    let mut buf = vec![0xAAu8; size];
    let result = encode(&message, &mut buf);
    if size < len {
        assert_eq!(result, Err(EncodeError::BufferTooSmall { required: len }));
        assert!(buf.iter().all(|&b| b == 0xAA), "wrote into a short buffer");
    } else {
        assert_eq!(result, Ok(len));
        assert!(
            buf[len..].iter().all(|&b| b == 0xAA),
            "wrote past its length"
        );
    }
    let mut bytes = vec![0u8; len];
    assert_eq!(encode(&message, &mut bytes), Ok(len));
    assert!(!bytes.starts_with(BOM), "wrote a BOM");

    let previous_id = case.previous_id.replace('\0', "");
    let last_id = case.id.map_or_else(|| previous_id.clone(), str::to_owned);
    let mut expected = Vec::new();
    if let Some(retry) = case.retry {
        expected.push(OwnedItem::Retry(retry));
    }
    match case.data {
        Some(data) => expected.push(OwnedItem::Event(OwnedEvent {
            event_type: match case.event_type {
                None | Some("") => "message".into(),
                Some(event_type) => event_type.to_owned().into(),
            },
            data: data.replace("\r\n", "\n").replace('\r', "\n"),
            last_event_id: last_id.clone(),
        })),
        None if len > 0 => expected.push(OwnedItem::NoData(last_id.clone())),
        None => {}
    }
    let expected = Outcome {
        items: expected,
        last_event_id: last_id,
        discarded: false,
    };
    let decoded = with_roomy_decoder(len, &previous_id, false, |decoder| {
        drive::run(decoder, &[&bytes])
    });
    assert_eq!(
        decoded,
        expected,
        "decoded {:?}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(
        naive::decode(&bytes, &previous_id),
        expected,
        "naive decoder"
    );

    if let Some(data) = case.data {
        let mut bounds: Vec<usize> = case
            .cuts
            .iter()
            .map(|&c| {
                let mut at = usize::from(c) * (data.len() + 1) / 256;
                while !data.is_char_boundary(at) {
                    at -= 1;
                }
                at
            })
            .collect();
        bounds.sort_unstable();
        let mut out = vec![0u8; len];
        let mut sink: &mut [u8] = &mut out;
        // An odd number of cuts: the first piece goes with the header to `begin`.
        let mut bounds = bounds.into_iter();
        let first = match case.cuts.len() % 2 {
            1 => bounds.next().map(|end| &data[..end]),
            _ => None,
        };
        let begin = match first {
            Some(piece) => header.data(piece),
            None => header,
        };
        let mut writer = EventWriter::begin(&begin, &mut sink).expect("room for the header");
        let mut start = first.map_or(0, str::len);
        for end in bounds.chain([data.len()]) {
            let piece = &data[start..end];
            let expected_len = writer.write_len(piece);
            assert_eq!(writer.write(piece, &mut sink), Ok(expected_len), "write");
            start = end;
        }
        writer.finish(&mut sink).expect("room to finish");
        assert!(sink.is_empty(), "EventWriter wrote less than encode");
        assert_eq!(out, bytes, "EventWriter vs encode");
    }

    let text = case.data.unwrap_or_default();
    let mut comment = vec![0u8; comment_len(text)];
    let mut sink: &mut [u8] = &mut comment;
    assert_eq!(encode_comment(text, &mut sink), Ok(comment.len()));
    let after: &[u8] = b"data: after\n\n";
    let outcome = with_roomy_decoder(comment.len() + after.len(), "", false, |decoder| {
        drive::run(decoder, &[&comment, after])
    });
    let after = OwnedItem::Event(OwnedEvent {
        event_type: "message".into(),
        data: "after".into(),
        last_event_id: String::new(),
    });
    assert_eq!(outcome.items, [after], "a comment decoded to something");
}
