//! What the firmware runs, written against `core` and `sse-core` only: the
//! firmware calls these functions on the target, and the host test
//! (`tests/tests/embedded.rs`) compiles this same file, calls them on the
//! host and compares the firmware's output with its own, line for line.
//!
//! Every function writes what it sees as lines into `out` and returns a
//! [`Failure`] when something is not as the standard says. The module that
//! includes this file defines `const PRINT: bool`: whether every decoded
//! item and encoded line is written (the host test and the firmware that
//! QEMU runs) or only looked at (the firmware's footprint builds).

use core::fmt::{self, Write};

use sse_core::client::{Client, Output, ReadyState};
use sse_core::{
    DecodeError, Decoder, EndOfBody, InlineBuffers, Instant, Item, Message, comment_len,
    encode_comment, encoded_len,
};

/// The recorded chat-completion stream of the `chat` example: 21 events,
/// a `retry`, comments, CJK and emoji in JSON.
pub(crate) const CHAT: &[u8] = include_bytes!("../../../examples/data/chat.sse");

/// The firmware reads its input through a buffer this small, as from a UART
/// driver or a small TCP window.
pub(crate) const CHUNK: usize = 7;

/// The decoder's capacities: 256 bytes of data per event (the chat stream's
/// longest is 180), 32 bytes of event type and 32 bytes of id.
pub(crate) type Buffers = InlineBuffers<256, 32, 32>;

/// Room for the encoded events of [`encode`].
pub(crate) const ENCODE_BUFFER: usize = 320;

/// Why a run stopped.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Writing the output failed.
    Output,
    /// A check failed: what was expected.
    Check(&'static str),
}

impl From<fmt::Error> for Failure {
    fn from(_: fmt::Error) -> Self {
        Self::Output
    }
}

/// What a run ends with.
pub(crate) type Outcome = Result<(), Failure>;

fn check(ok: bool, what: &'static str) -> Outcome {
    if ok {
        Ok(())
    } else {
        Err(Failure::Check(what))
    }
}

/// The first line of every run.
pub(crate) fn banner(out: &mut impl Write) -> Outcome {
    // Seen as values only known at run time, so that every build holds the
    // same inputs (the chat stream and the encoder's samples) and formats
    // `u64` (retry, milliseconds): the footprint of a part is then its code.
    core::hint::black_box(&SAMPLES);
    let input = core::hint::black_box(CHAT);
    let chunk = core::hint::black_box(CHUNK as u64);
    writeln!(
        out,
        "sse-core firmware: {} bytes of input, chunks of {chunk}",
        input.len()
    )?;
    Ok(())
}

/// Writes one decoded item: an event as a line with its type and last event
/// ID, then one line per line of its data. Unless the includer's `PRINT` is
/// set (the firmware's footprint builds), the item is only looked at, so
/// that those builds measure the library rather than the formatting of its
/// output.
fn item(out: &mut impl Write, item: Result<Item<'_>, DecodeError>) -> Outcome {
    if !super::PRINT {
        if let Ok(Item::Event(event)) = &item {
            core::hint::black_box((event.event_type(), event.data(), event.last_event_id()));
        }
        core::hint::black_box(&item);
        return Ok(());
    }
    match item {
        Ok(Item::Event(event)) => {
            writeln!(
                out,
                "event type={} last_event_id={}",
                event.event_type(),
                event.last_event_id()
            )?;
            for line in event.data().split('\n') {
                writeln!(out, "  data {line}")?;
            }
        }
        Ok(Item::Retry(ms)) => writeln!(out, "retry {ms}")?,
        Ok(Item::NoData { last_event_id }) => {
            writeln!(out, "no data, last_event_id={last_event_id}")?
        }
        // Comments are not turned on; nothing else is reported today.
        Ok(_) => writeln!(out, "other item")?,
        Err(error) => writeln!(out, "error {error}")?,
    }
    Ok(())
}

/// Decodes a body read from `reader` through the fixed buffer `buf`: each
/// read hands the decoder at most `buf.len()` bytes. Writes every item, then
/// how the body ended, the final `retry` and the last event ID.
pub(crate) fn decode<R: embedded_io::Read>(
    decoder: &mut Decoder<Buffers>,
    reader: &mut R,
    buf: &mut [u8],
    out: &mut impl Write,
) -> Outcome {
    let mut events = 0;
    loop {
        let Ok(n) = reader.read(buf) else {
            return Err(Failure::Check("the body can be read"));
        };
        if n == 0 {
            break; // end of the body
        }
        let mut input = &buf[..n];
        while let Some(result) = decoder.next(&mut input) {
            events += usize::from(matches!(result, Ok(Item::Event(_))));
            item(out, result)?;
        }
    }
    let end = match decoder.finish() {
        EndOfBody::Clean => "clean",
        EndOfBody::Discarded => "discarded",
    };
    write!(out, "end of body: {end}, {events} events, retry=")?;
    match decoder.retry() {
        Some(ms) => writeln!(out, "{ms}")?,
        None => writeln!(out, "none")?,
    }
    writeln!(out, "last_event_id={}", decoder.last_event_id())?;
    check(events == 21, "21 events in the chat stream")?;
    check(
        decoder.retry() == Some(3000),
        "the chat stream's retry: 3000",
    )?;
    check(end == "clean", "the chat stream ends cleanly")
}

/// An event for the encoder, and what decoding it gives back.
struct Sample {
    message: Message<'static>,
    event_type: &'static str,
    data: &'static str,
    last_event_id: &'static str,
}

/// What [`encode`] writes, in order; a comment goes between the second and
/// the third.
const SAMPLES: [Sample; 4] = [
    Sample {
        message: Message::new()
            .event_type("status")
            .id("42")
            .data("line one\nline two\r\nline three\rline four"),
        event_type: "status",
        data: "line one\nline two\nline three\nline four",
        last_event_id: "42",
    },
    Sample {
        message: Message::new().id("43").retry(2500).data("你好，世界 👋"),
        event_type: "message",
        data: "你好，世界 👋",
        last_event_id: "43",
    },
    Sample {
        message: Message::new().data(" leading space\nand an empty last line\n"),
        event_type: "message",
        data: " leading space\nand an empty last line\n",
        last_event_id: "43",
    },
    Sample {
        message: Message::new().event_type("done").id("").data("[DONE]"),
        event_type: "done",
        data: "[DONE]",
        last_event_id: "",
    },
];

/// The comment [`encode`] writes after the second event.
const COMMENT: &str = "keep-alive";

/// Encodes [`SAMPLES`] and a comment into `buf`, checks each length against
/// the length the encoder computes first, and writes every line of the
/// stream. Returns the stream's length.
pub(crate) fn encode(
    buf: &mut [u8; ENCODE_BUFFER],
    out: &mut impl Write,
) -> Result<usize, Failure> {
    let mut len = 0;
    for (n, sample) in SAMPLES.iter().enumerate() {
        let Ok(written) = sse_core::encode(&sample.message, &mut buf[len..]) else {
            return Err(Failure::Check("every sample encodes into the buffer"));
        };
        check(
            encoded_len(&sample.message) == Ok(written),
            "encoded_len is what encode writes",
        )?;
        len += written;
        if n == 1 {
            let mut rest = &mut buf[len..];
            let Ok(written) = encode_comment(COMMENT, &mut rest) else {
                return Err(Failure::Check("the comment encodes into the buffer"));
            };
            check(
                comment_len(COMMENT) == written,
                "comment_len is what encode_comment writes",
            )?;
            len += written;
        }
    }
    writeln!(out, "encoded {len} bytes")?;
    if !super::PRINT {
        core::hint::black_box(&buf[..len]);
        return Ok(len);
    }
    let Ok(stream) = core::str::from_utf8(&buf[..len]) else {
        return Err(Failure::Check("the encoder writes UTF-8"));
    };
    for line in stream.split_inclusive('\n') {
        writeln!(out, "  wire {}", line.trim_end_matches('\n'))?;
    }
    Ok(len)
}

/// Decodes what [`encode`] wrote in pieces of [`CHUNK`] bytes and checks that
/// every sample comes back (type, data, last event ID) with its `retry`.
pub(crate) fn round_trip(
    decoder: &mut Decoder<Buffers>,
    stream: &[u8],
    out: &mut impl Write,
) -> Outcome {
    let mut events = 0;
    let mut retry = None;
    for piece in stream.chunks(CHUNK) {
        let mut input = piece;
        while let Some(result) = decoder.next(&mut input) {
            match result {
                Ok(Item::Event(event)) => {
                    let Some(sample) = SAMPLES.get(events) else {
                        return Err(Failure::Check("no more events than samples"));
                    };
                    check(
                        event.event_type() == sample.event_type,
                        "the event type comes back",
                    )?;
                    check(event.data() == sample.data, "the data comes back")?;
                    check(
                        event.last_event_id() == sample.last_event_id,
                        "the id comes back",
                    )?;
                    events += 1;
                }
                Ok(Item::Retry(ms)) => retry = Some(ms),
                Ok(_) => return Err(Failure::Check("only events and a retry come back")),
                Err(_) => return Err(Failure::Check("no decode error")),
            }
        }
    }
    check(
        decoder.finish() == EndOfBody::Clean,
        "the encoded stream ends cleanly",
    )?;
    check(events == SAMPLES.len(), "every sample comes back")?;
    check(retry == Some(2500), "the retry comes back")?;
    writeln!(
        out,
        "round trip: {events} events and retry=2500 decoded as encoded"
    )?;
    Ok(())
}

/// Writes the request the client asks for, with its headers.
fn connect(client: &Client<Buffers>, now: Instant, out: &mut impl Write) -> Outcome {
    writeln!(out, "client: connect at {} ms", now.as_millis())?;
    for (name, value) in client.request_headers() {
        writeln!(out, "  header {name}: {value}")?;
    }
    Ok(())
}

/// Feeds `body` to the open connection in pieces of [`CHUNK`] bytes and
/// writes every item. Returns the number of events.
fn stream(
    client: &mut Client<Buffers>,
    body: &[u8],
    out: &mut impl Write,
) -> Result<usize, Failure> {
    let mut events = 0;
    for piece in body.chunks(CHUNK) {
        let mut input = piece;
        while let Some(result) = client.handle_body(&mut input) {
            events += usize::from(matches!(result, Ok(Item::Event(_))));
            item(out, result)?;
        }
    }
    Ok(events)
}

/// Drives the `EventSource` state machine with a fake clock: connect, the
/// chat stream up to the middle of event 6, a dropped body, the reconnection
/// delay that the stream's `retry` set, the `Last-Event-ID` of the next
/// request, and the rest of the stream on the new connection.
pub(crate) fn client(client: &mut Client<Buffers>, out: &mut impl Write) -> Outcome {
    let mut now = Instant::ZERO;
    check(
        client.poll_output() == Some(Output::Connect),
        "the client connects first",
    )?;
    connect(client, now, out)?;
    check(
        client.request_headers().count() == 2,
        "no Last-Event-ID on the first request",
    )?;

    now = now.add_millis(40);
    client.handle_response(200, Some(b"text/event-stream; charset=utf-8"));
    check(
        client.poll_output() == Some(Output::Open),
        "a 200 event stream opens",
    )?;
    writeln!(out, "client: open at {} ms", now.as_millis())?;

    // The connection drops in the middle of event 6's data line.
    let Some(event_6) = CHAT.windows(6).position(|window| window == b"id: 6\n") else {
        return Err(Failure::Check("the chat stream has an event 6"));
    };
    let cut = event_6 + 20;
    let mut events = stream(client, &CHAT[..cut], out)?;
    check(events == 5, "five events before the drop")?;
    now = now.add_millis(1_000);
    client.handle_end_of_body(now);
    let Some(Output::Reconnecting { at, delay_ms }) = client.poll_output() else {
        return Err(Failure::Check("a dropped body makes the client reconnect"));
    };
    writeln!(
        out,
        "client: body dropped at {} ms, reconnecting in {delay_ms} ms",
        now.as_millis()
    )?;
    check(
        delay_ms == 3000 && at == now.add_millis(3000),
        "the delay is the stream's retry",
    )?;
    check(
        client.ready_state() == ReadyState::Connecting,
        "CONNECTING while waiting",
    )?;
    check(
        client.poll_timeout() == Some(at),
        "the client wants to be woken at the deadline",
    )?;

    // The fake clock reaches the deadline in two steps.
    now = now.add_millis(2_999);
    client.handle_timeout(now);
    check(
        client.poll_output().is_none(),
        "no request before the deadline",
    )?;
    now = now.add_millis(1);
    client.handle_timeout(now);
    check(
        client.poll_output() == Some(Output::Connect),
        "a request at the deadline",
    )?;
    connect(client, now, out)?;
    check(
        client
            .request_headers()
            .any(|header| header == ("Last-Event-ID", "5")),
        "the next request carries Last-Event-ID: 5",
    )?;

    // The server resumes after event 5.
    client.handle_response(200, Some(b"text/event-stream"));
    check(
        client.poll_output() == Some(Output::Open),
        "the new connection opens",
    )?;
    writeln!(out, "client: open at {} ms", now.as_millis())?;
    events += stream(client, &CHAT[event_6..], out)?;
    client.close();
    check(client.ready_state() == ReadyState::Closed, "close() closes")?;
    writeln!(
        out,
        "client: closed, {events} events, last_event_id={}",
        client.last_event_id()
    )?;
    check(
        events == 21 && client.last_event_id() == "20",
        "all 21 events, the last id 20",
    )
}
