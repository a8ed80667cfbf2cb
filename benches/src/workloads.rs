//! Deterministic `text/event-stream` workloads.
//!
//! Each generator is seeded, so a workload is byte-for-byte the same on every
//! run and machine. Each returns the body and a [`Summary`] of the events a
//! conforming decoder must produce from it.

use crate::Sink;

/// A small xorshift64* generator: deterministic, no dependencies.
#[derive(Clone, Debug)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator from a non-zero seed.
    pub const fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub const fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`).
    pub const fn below(&mut self, n: usize) -> usize {
        // Multiply-shift: unbiased enough for workload shapes.
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// A number in `lo..=hi`.
    pub const fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// One element of `items`.
    pub const fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// What a body decodes to: the number of events, their total data length and a
/// hash of every event's type, data and last event ID, in order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Dispatched events.
    pub events: u64,
    /// Sum of the events' data lengths in bytes.
    pub data_bytes: u64,
    /// FNV-1a over (type, data, id) of every event, with separators.
    pub hash: u64,
}

const FNV_OFFSET: u64 = 0xCBF2_9CE4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01B3;

impl Summary {
    /// No events yet.
    pub const fn new() -> Self {
        Self {
            events: 0,
            data_bytes: 0,
            hash: FNV_OFFSET,
        }
    }

    fn mix(&mut self, bytes: &[u8], separator: u8) {
        let mut h = self.hash;
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
        self.hash = (h ^ u64::from(separator)).wrapping_mul(FNV_PRIME);
    }
}

impl Sink for Summary {
    fn event(&mut self, event_type: &str, data: &str, id: &str) {
        self.events += 1;
        self.data_bytes += data.len() as u64;
        self.mix(event_type.as_bytes(), 0xFD);
        self.mix(data.as_bytes(), 0xFE);
        self.mix(id.as_bytes(), 0xFF);
    }
}

/// A generated body and what it decodes to.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Short name, such as `W1-llm`.
    pub name: &'static str,
    /// The whole response body.
    pub bytes: Vec<u8>,
    /// The events it must decode to.
    pub expected: Summary,
}

/// Full-size event count of W1 (`llm`), before the final `[DONE]`.
pub const LLM_EVENTS: usize = 20_000;
/// Full-size event count of W2 (`big`).
pub const BIG_EVENTS: usize = 64;
/// Full-size data length of each W2 event.
pub const BIG_DATA: usize = 256 * 1024;
/// Full-size event count of W3 (`multiline`) and W5 (`crlf`).
pub const MULTILINE_EVENTS: usize = 20_000;
/// Full-size event count of W4 (`tiny`).
pub const TINY_EVENTS: usize = 200_000;
/// Full-size data length of W6 (`huge-line`).
pub const HUGE_LINE: usize = 64 * 1024 * 1024;

/// Content tokens of W1: ASCII words, CJK, emoji (some with modifiers) and
/// JSON escapes, as they appear inside a JSON string.
const TOKENS: &[&str] = &[
    "Hello",
    " world",
    " the",
    " quick",
    " brown",
    " fox",
    ",",
    ".",
    " Rust",
    " is",
    " fast",
    "!",
    " 42",
    " token",
    "ing",
    " stream",
    "你好",
    "世界",
    "，",
    "的",
    "模型",
    "推理",
    "。",
    "こんにちは",
    "한국어",
    "😀",
    "🚀",
    "👍🏽",
    "🎉",
    "\\n",
    "\\n\\n",
    "\\\"",
    "\\\\",
    "\\t",
    "\\u00e9",
    "\\u2014",
    " `code`",
    " {\\\"a\\\":1}",
];

const MODELS: &[&str] = &[
    "gpt-4o-mini-2024-07-18",
    "deepseek-chat",
    "gpt-4.1-2025-04-14",
];

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// One event to encode: what an application hands an encoder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// The event type, if any.
    pub event_type: Option<String>,
    /// The id, if any.
    pub id: Option<String>,
    /// The data (may contain LF).
    pub data: String,
}

impl Shape {
    fn data(data: String) -> Self {
        Self {
            event_type: None,
            id: None,
            data,
        }
    }
}

/// Serialises `shapes` with LF line endings, recording what they decode to.
pub fn from_shapes(name: &'static str, shapes: &[Shape]) -> Workload {
    let mut bytes = Vec::with_capacity(shapes.iter().map(|s| s.data.len() + 16).sum());
    let mut expected = Summary::new();
    for shape in shapes {
        let lines: Vec<&str> = shape.data.split('\n').collect();
        push_event(
            &mut bytes,
            &mut expected,
            shape.event_type.as_deref(),
            shape.id.as_deref(),
            &lines,
            "\n",
        );
    }
    Workload {
        name,
        bytes,
        expected,
    }
}

/// The events of W1 `llm`: `events` chat-completion chunks shaped like
/// OpenAI/DeepSeek streams (a new completion id every 1000 chunks), then
/// `[DONE]`.
pub fn llm_shapes(events: usize) -> Vec<Shape> {
    let mut rng = XorShift::new(0x5EED_0001);
    let mut shapes = Vec::with_capacity(events + 1);
    let mut id = String::new();
    let mut created = 1_731_000_000u64;
    let mut model = MODELS[0];
    for i in 0..events {
        if i % 1000 == 0 {
            id.clear();
            id.extend((0..29).map(|_| char::from(ALNUM[rng.below(ALNUM.len())])));
            created += 1 + rng.below(60) as u64;
            model = rng.pick(MODELS);
        }
        let mut line = String::with_capacity(256);
        line.push_str("{\"id\":\"chatcmpl-");
        line.push_str(&id);
        line.push_str("\",\"object\":\"chat.completion.chunk\",\"created\":");
        line.push_str(&created.to_string());
        line.push_str(",\"model\":\"");
        line.push_str(model);
        line.push_str("\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"");
        for _ in 0..rng.between(1, 6) {
            line.push_str(rng.pick(TOKENS));
        }
        line.push_str("\"},\"finish_reason\":null}]}");
        shapes.push(Shape::data(line));
    }
    shapes.push(Shape::data("[DONE]".to_owned()));
    shapes
}

/// W1 `llm`: the [`llm_shapes`] as `data:` lines.
pub fn llm(events: usize) -> Workload {
    from_shapes("W1-llm", &llm_shapes(events))
}

/// Appends random text of exactly `len` bytes: mostly printable ASCII (as in
/// large JSON or base64 payloads) with about one non-ASCII character in 64.
fn text(rng: &mut XorShift, out: &mut String, len: usize) {
    const WIDE: &[&str] = &["é", "ü", "中", "文", "😀", "—", "ß", "의"];
    let end = out.len() + len;
    while out.len() < end {
        let r = rng.next_u64();
        if r & 63 == 0 {
            let c = rng.pick(WIDE);
            if out.len() + c.len() <= end {
                out.push_str(c);
            }
            continue;
        }
        // Eight ASCII bytes per draw, printable (0x20..0x7E), never CR or LF.
        for k in 0..8 {
            if out.len() == end {
                break;
            }
            let b = 0x20 + ((r >> (k * 8)) & 0xFF) % 95;
            out.push(char::from(b as u8));
        }
    }
}

/// The events of W2 `big`: `events` events, each with `size` bytes of data
/// on one line.
pub fn big_shapes(events: usize, size: usize) -> Vec<Shape> {
    let mut rng = XorShift::new(0x5EED_0002);
    (0..events)
        .map(|_| {
            let mut data = String::with_capacity(size);
            text(&mut rng, &mut data, size);
            Shape::data(data)
        })
        .collect()
}

/// W2 `big`: `events` events, each one single-line data field of `size` bytes.
pub fn big(events: usize, size: usize) -> Workload {
    from_shapes("W2-big", &big_shapes(events, size))
}

/// W3 `multiline`: `events` events, each with `event:`, `id:` and 8 data lines
/// of 60 to 100 bytes, ended with `eol`.
fn multiline_with(name: &'static str, events: usize, eol: &str) -> Workload {
    const TYPES: &[&str] = &["update", "delta", "status", "progress"];
    let mut rng = XorShift::new(0x5EED_0003);
    let mut bytes = Vec::with_capacity(events * 760);
    let mut expected = Summary::new();
    let mut lines: Vec<String> = vec![String::new(); 8];
    for i in 0..events {
        for line in &mut lines {
            line.clear();
            let len = rng.between(60, 100);
            text(&mut rng, line, len);
        }
        let line_refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let id = format!("evt-{i:08}");
        let event_type = rng.pick(TYPES);
        push_event(
            &mut bytes,
            &mut expected,
            Some(event_type),
            Some(&id),
            &line_refs,
            eol,
        );
    }
    Workload {
        name,
        bytes,
        expected,
    }
}

/// W3 `multiline`: `events` events with `event:`, `id:` and 8 data lines of 60
/// to 100 bytes, LF line endings.
pub fn multiline(events: usize) -> Workload {
    multiline_with("W3-multiline", events, "\n")
}

/// W5 `crlf`: W3 with CRLF line endings.
pub fn crlf(events: usize) -> Workload {
    multiline_with("W5-crlf", events, "\r\n")
}

/// W4 `tiny`: `events` `data: x` events, each followed by a `: ping` heartbeat.
pub fn tiny(events: usize) -> Workload {
    let mut bytes = Vec::with_capacity(events * 17);
    let mut expected = Summary::new();
    for _ in 0..events {
        push_event(&mut bytes, &mut expected, None, None, &["x"], "\n");
        bytes.extend_from_slice(b": ping\n\n");
    }
    Workload {
        name: "W4-tiny",
        bytes,
        expected,
    }
}

/// W6 `huge-line`: one data line of `size` bytes, then a blank line.
pub fn huge_line(size: usize) -> Workload {
    let mut rng = XorShift::new(0x5EED_0006);
    // A 64 KiB random block, repeated: generating 64 MiB byte by byte is slow.
    let mut block = String::with_capacity(1 << 16);
    text(&mut rng, &mut block, 1 << 16);
    // Cut the repeated text at a character boundary at or below `size`.
    let mut data = String::with_capacity(size);
    while data.len() + block.len() <= size {
        data.push_str(&block);
    }
    let mut rest = size - data.len();
    while !block.is_char_boundary(rest) {
        rest -= 1;
    }
    data.push_str(&block[..rest]);
    while data.len() < size {
        data.push('.');
    }
    let mut bytes = Vec::with_capacity(size + 8);
    let mut expected = Summary::new();
    push_event(&mut bytes, &mut expected, None, None, &[&data], "\n");
    Workload {
        name: "W6-huge-line",
        bytes,
        expected,
    }
}

/// Writes one event with the given lines and records what it decodes to.
fn push_event(
    bytes: &mut Vec<u8>,
    expected: &mut Summary,
    event_type: Option<&str>,
    id: Option<&str>,
    data_lines: &[&str],
    eol: &str,
) {
    if let Some(event_type) = event_type {
        bytes.extend_from_slice(b"event: ");
        bytes.extend_from_slice(event_type.as_bytes());
        bytes.extend_from_slice(eol.as_bytes());
    }
    if let Some(id) = id {
        bytes.extend_from_slice(b"id: ");
        bytes.extend_from_slice(id.as_bytes());
        bytes.extend_from_slice(eol.as_bytes());
    }
    for line in data_lines {
        bytes.extend_from_slice(b"data: ");
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(eol.as_bytes());
    }
    bytes.extend_from_slice(eol.as_bytes());
    expected.event(
        event_type.unwrap_or("message"),
        &data_lines.join("\n"),
        id.unwrap_or(""),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let w = llm(10);
        assert_eq!(w.expected.events, 11);
        assert!(w.bytes.ends_with(b"data: [DONE]\n\n"));
        let w = big(2, 1000);
        assert_eq!(w.expected.data_bytes, 2000);
        let w = crlf(3);
        assert!(w.bytes.ends_with(b"\r\n\r\n"));
        assert!(w.bytes.windows(2).all(|p| p[1] != b'\n' || p[0] == b'\r'));
        let w = huge_line(100_000);
        assert_eq!(w.bytes.len(), 100_000 + 8);
        assert!(core::str::from_utf8(&w.bytes).is_ok());
        let w = tiny(3);
        assert_eq!(w.bytes, b"data: x\n\n: ping\n\n".repeat(3));
    }
}
