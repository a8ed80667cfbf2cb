//! A naive reference decoder, written literally from the rules R8-R35 of
//! `sse-core/SPEC.md`. It is the oracle for the differential tests, so it is kept as
//! plain as possible: it takes the whole body at once, decodes it to a
//! `String`, cuts it into lines and runs the field and dispatch steps on owned
//! `String` buffers. It has no limits, no streaming state and no cleverness.

use crate::{Outcome, OwnedEvent, OwnedItem};

/// The UTF-8 byte order mark (R9).
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes one whole response body, starting with `initial_last_event_id` as
/// the EventSource's last event ID string (R35).
pub fn decode(body: &[u8], initial_last_event_id: &str) -> Outcome {
    decode_setting_id(body, initial_last_event_id, None)
}

/// Like [`decode`], with the last event ID string and buffer both set to
/// `id` once the first `at` bytes of the body have arrived, as
/// `Decoder::set_last_event_id` called between chunks does: after the lines
/// that ended within those bytes and before the others (a line still
/// arriving then, `id` lines included, counts whole after it).
pub fn decode_setting_id_at(
    body: &[u8],
    initial_last_event_id: &str,
    at: usize,
    id: &str,
) -> Outcome {
    decode_setting_id(body, initial_last_event_id, Some((at, id)))
}

fn decode_setting_id(
    body: &[u8],
    initial_last_event_id: &str,
    set: Option<(usize, &str)>,
) -> Outcome {
    // R9: one leading BOM is dropped, only at byte 0 of the body.
    let stripped = body.strip_prefix(BOM);
    let set_at = set.map(|(at, id)| {
        let at = if stripped.is_some() {
            at.saturating_sub(BOM.len())
        } else {
            at
        };
        (at, id)
    });
    let body = stripped.unwrap_or(body);
    // R8: UTF-8 decode with replacement. `from_utf8_lossy` replaces every
    // maximal subpart of an ill-formed sequence with one U+FFFD, which is
    // exactly what the Encoding Standard's decoder does.
    let text = String::from_utf8_lossy(body);
    // R12-R15: cut into lines; the text after the last terminator is not a line.
    let (lines, tail) = split_lines(&text);
    // The number of lines that end within the bytes before the id is set.
    let set = set_at.map(|(at, id)| {
        let prefix = String::from_utf8_lossy(&body[..at.min(body.len())]);
        (split_lines(&prefix).0.len(), id)
    });

    let mut parser = Parser::new(initial_last_event_id);
    for (i, line) in lines.iter().enumerate() {
        if let Some((_, id)) = set.filter(|&(before, _)| before == i) {
            parser.set_last_event_id(id);
        }
        // R16: one by one, in order.
        parser.process_line(line);
    }
    if let Some((_, id)) = set.filter(|&(before, _)| before == lines.len()) {
        parser.set_last_event_id(id);
    }
    // R34: at end of body everything pending is dropped: the unterminated tail
    // (R15), and a block that no empty line closed (its data, its event type,
    // and its id, which was never committed).
    let discarded = !tail.is_empty() || parser.block_has_field;
    Outcome {
        items: parser.items,
        last_event_id: parser.last_event_id_string,
        discarded,
    }
}

/// Splits decoded text into lines at CRLF, lone LF and lone CR (R12). Returns
/// the terminated lines and the unterminated tail (R15). A CR at the very end
/// terminates its line (R14), so then the tail is empty.
fn split_lines(text: &str) -> (Vec<&str>, &str) {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' => {
                lines.push(&text[start..i]);
                // CRLF is one terminator.
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            b'\n' => {
                lines.push(&text[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    (lines, &text[start..])
}

/// The parser state of dispatch (R27-R33): three buffers plus the
/// EventSource's own last event ID string.
struct Parser {
    /// The data buffer.
    data: String,
    /// The event type buffer.
    event_type: String,
    /// The last event ID buffer; starts as the current string (R35).
    last_event_id_buffer: String,
    /// The EventSource's last event ID string (committed at each empty line).
    last_event_id_string: String,
    /// Whether the current block has had a non-comment line.
    block_has_field: bool,
    /// What was reported, in order.
    items: Vec<OwnedItem>,
}

impl Parser {
    fn new(initial_last_event_id: &str) -> Self {
        Self {
            data: String::new(),
            event_type: String::new(),
            last_event_id_buffer: initial_last_event_id.to_owned(),
            last_event_id_string: initial_last_event_id.to_owned(),
            block_has_field: false,
            items: Vec::new(),
        }
    }

    /// Sets the last event ID string and buffer (R35), as when resuming.
    fn set_last_event_id(&mut self, id: &str) {
        id.clone_into(&mut self.last_event_id_buffer);
        id.clone_into(&mut self.last_event_id_string);
    }

    fn process_line(&mut self, line: &str) {
        // R17: an empty line dispatches.
        if line.is_empty() {
            self.dispatch();
            return;
        }
        // R18: a line starting with a colon is a comment.
        if line.starts_with(':') {
            return;
        }
        self.block_has_field = true;
        match line.split_once(':') {
            // R19: name before the first colon; strip one leading space.
            Some((name, value)) => {
                let value = value.strip_prefix(' ').unwrap_or(value);
                self.process_field(name, value);
            }
            // R20: no colon, the whole line is the name, the value is empty.
            None => self.process_field(line, ""),
        }
    }

    /// R21-R26: exact, case-sensitive names; anything else is ignored.
    fn process_field(&mut self, name: &str, value: &str) {
        match name {
            // R22: replace the event type buffer.
            "event" => self.event_type = value.to_owned(),
            // R23: append the value and one LF.
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            // R24: an id containing NUL anywhere is ignored (it falls to `_`).
            "id" if !value.contains('\0') => self.last_event_id_buffer = value.to_owned(),
            // R25: only ASCII digits; R26: an empty value is ignored.
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // R26: a value above u64::MAX does not parse and is ignored.
                if let Ok(ms) = value.parse::<u64>() {
                    self.items.push(OwnedItem::Retry(ms));
                }
            }
            _ => {}
        }
    }

    /// R27-R31: dispatch the event.
    fn dispatch(&mut self) {
        let had_field = std::mem::take(&mut self.block_has_field);
        // R27: commit the id at every empty line; the buffer is kept.
        self.last_event_id_string = self.last_event_id_buffer.clone();
        // R28: no data, no event; the event type is reset too.
        if self.data.is_empty() {
            self.event_type.clear();
            if had_field {
                self.items
                    .push(OwnedItem::NoData(self.last_event_id_string.clone()));
            }
            return;
        }
        // R29: remove one trailing LF.
        if self.data.ends_with('\n') {
            self.data.pop();
        }
        // R30: build the event.
        let event_type = if self.event_type.is_empty() {
            "message".to_owned()
        } else {
            self.event_type.clone()
        };
        self.items.push(OwnedItem::Event(OwnedEvent {
            event_type: event_type.into(),
            data: self.data.clone(),
            last_event_id: self.last_event_id_string.clone(),
        }));
        // R31: clear data and event type, not the id buffer.
        self.data.clear();
        self.event_type.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::decode;
    use crate::{OwnedEvent, OwnedItem};

    fn msg(data: &str, id: &str) -> OwnedItem {
        OwnedItem::Event(OwnedEvent {
            event_type: "message".into(),
            data: data.to_owned(),
            last_event_id: id.to_owned(),
        })
    }

    /// The data of the single event from `data:<bytes>\n\n`.
    fn data_of(bytes: &[u8]) -> String {
        let mut body = b"data:".to_vec();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\n\n");
        let out = decode(&body, "");
        assert!(!out.discarded);
        match out.items.as_slice() {
            [OwnedItem::Event(e)] => e.data.clone(),
            other => panic!("expected one event, got {other:?}"),
        }
    }

    #[test]
    fn r8_examples() {
        assert_eq!(data_of(b"\xC3\x28"), "\u{FFFD}(");
        assert_eq!(data_of(b"\xE0\x80\x80"), "\u{FFFD}\u{FFFD}\u{FFFD}");
        assert_eq!(data_of(b"\xED\xA0\x80"), "\u{FFFD}\u{FFFD}\u{FFFD}");
        assert_eq!(data_of(b"\xF0\x9F\x98"), "\u{FFFD}");
        assert_eq!(data_of(b"\xF4\x90\x80\x80"), "\u{FFFD}".repeat(4));
        assert_eq!(data_of(b"\xC0\x80"), "\u{FFFD}\u{FFFD}");
        assert_eq!(data_of(b"\xF0\x9F\x98\x80"), "\u{1F600}");
    }

    #[test]
    fn truncated_sequence_does_not_swallow_terminators() {
        // `E2 82` then CR: one U+FFFD, and the CR still ends the line.
        let out = decode(b"data:\xE2\x82\r\r", "");
        assert_eq!(out.items, vec![msg("\u{FFFD}", "")]);
        // Before the colon: the name becomes `da\u{FFFD}` (unknown).
        let out = decode(b"da\xE2:x\n\n", "");
        assert_eq!(out.items, vec![OwnedItem::NoData(String::new())]);
    }

    #[test]
    fn bom_only_at_byte_zero() {
        let out = decode(b"\xEF\xBB\xBFdata:1\n\n", "");
        assert_eq!(out.items, vec![msg("1", "")]);
        let out = decode(b"\xEF\xBB\xBF\xEF\xBB\xBFdata:1\n\n", "");
        assert_eq!(out.items, vec![OwnedItem::NoData(String::new())]);
        for body in [&b"\xEF"[..], b"\xEF\xBB"] {
            let out = decode(body, "");
            assert!(out.items.is_empty() && out.discarded, "{body:?}");
        }
        let out = decode(b"\xEF\xBB\xBF", "");
        assert!(out.items.is_empty() && !out.discarded);
    }

    #[test]
    fn line_endings_and_tail() {
        let out = decode(b"data:a\r\ndata:b\rdata:c\n\r", "");
        assert_eq!(out.items, vec![msg("a\nb\nc", "")]);
        assert!(!out.discarded);
        // R14: a final CR ends the line but dispatches nothing.
        let out = decode(b"data:x\r", "");
        assert!(out.items.is_empty() && out.discarded);
        // R15: an unterminated `retry` or `id` has no effect.
        let out = decode(b"id:1\n\nretry:5", "");
        assert_eq!(out.items, vec![OwnedItem::NoData("1".to_owned())]);
        assert_eq!(out.last_event_id, "1");
        assert!(out.discarded);
    }

    #[test]
    fn ids_commit_at_every_blank_line_and_persist() {
        let out = decode(b"id:5\n\ndata:x\n\nid\n\ndata:y\n\n", "");
        assert_eq!(
            out.items,
            vec![
                OwnedItem::NoData("5".to_owned()),
                msg("x", "5"),
                OwnedItem::NoData(String::new()),
                msg("y", ""),
            ]
        );
        // R24: NUL anywhere ignores the field; R34: pending id is dropped.
        let out = decode(b"id:a\nid:b\0\n\nid:c\ndata:x\n", "init");
        assert_eq!(out.items, vec![OwnedItem::NoData("a".to_owned())]);
        assert_eq!(out.last_event_id, "a");
        assert!(out.discarded);
        // R35: the initial id is the buffer's starting value.
        let out = decode(b"data:x\n\n", "init");
        assert_eq!(out.items, vec![msg("x", "init")]);
    }

    #[test]
    fn retry_forms() {
        let out = decode(
            b"retry:03000\nretry:\nretry\nretry:  5\nretry:5 \nretry:+5\n\
              retry:18446744073709551616\nretry:18446744073709551615\n",
            "",
        );
        assert_eq!(
            out.items,
            vec![OwnedItem::Retry(3000), OwnedItem::Retry(u64::MAX)]
        );
        assert!(out.discarded);
    }

    #[test]
    fn comments_and_blank_lines_report_nothing() {
        let out = decode(b":a\n\n\n:b\n", "");
        assert!(out.items.is_empty() && !out.discarded);
        let out = decode(b"x\n\n", "");
        assert_eq!(out.items, vec![OwnedItem::NoData(String::new())]);
    }

    #[test]
    fn event_type_and_data_details() {
        let out = decode(
            b"event:a\nevent:b\ndata:  x:y\ndata\n\nevent:c\n\ndata:z\n\n",
            "",
        );
        assert_eq!(
            out.items,
            vec![
                OwnedItem::Event(OwnedEvent {
                    event_type: "b".into(),
                    data: " x:y\n".to_owned(),
                    last_event_id: String::new(),
                }),
                OwnedItem::NoData(String::new()),
                msg("z", ""),
            ]
        );
    }
}
