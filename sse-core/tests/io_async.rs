//! `encode_io_async` and `encode_comment_io_async` (feature
//! `embedded-io-async`) against the synchronous encoder: the same bytes for
//! every message, through a writer that waits before every other write and
//! takes a few bytes at a time, polled by hand with a no-op waker.
#![cfg(feature = "embedded-io-async")]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use sse_core::{
    EncodeError, IoError, Message, comment_len, encode, encode_comment, encode_comment_io_async,
    encode_io_async, encoded_len,
};

/// A `Vec`-backed writer that returns `Pending` before every other write
/// (waking itself, as a real one would once ready), takes at most `max` bytes
/// per write, and fails once it holds `fail_after` bytes.
struct Slow {
    out: Vec<u8>,
    max: usize,
    fail_after: usize,
    ready: bool,
    writes: usize,
}

impl Slow {
    fn new(max: usize) -> Self {
        Self {
            out: Vec::new(),
            max,
            fail_after: usize::MAX,
            ready: false,
            writes: 0,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Broken;

impl embedded_io_async::Error for Broken {
    fn kind(&self) -> embedded_io_async::ErrorKind {
        embedded_io_async::ErrorKind::BrokenPipe
    }
}

impl embedded_io_async::ErrorType for Slow {
    type Error = Broken;
}

impl embedded_io_async::Write for Slow {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Broken> {
        // Wait once before every other write.
        std::future::poll_fn(|cx| {
            self.ready = !self.ready;
            if self.ready {
                cx.waker().wake_by_ref();
                Poll::Pending
            } else {
                Poll::Ready(())
            }
        })
        .await;
        if self.out.len() >= self.fail_after {
            return Err(Broken);
        }
        let n = buf.len().min(self.max);
        self.out.extend_from_slice(&buf[..n]);
        self.writes += 1;
        Ok(n)
    }
}

/// Polls `future` to the end with a no-op waker: the writer above wakes
/// itself, so every `Pending` is followed by progress.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000_000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
    panic!("the future never finished");
}

fn sync(message: &Message<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; encoded_len(message).unwrap()];
    let n = encode(message, &mut buf).unwrap();
    assert_eq!(n, buf.len());
    buf
}

fn async_(message: &Message<'_>, max: usize) -> Vec<u8> {
    let mut writer = Slow::new(max);
    let n = block_on(encode_io_async(message, &mut writer)).unwrap();
    assert_eq!(n, writer.out.len());
    writer.out
}

/// Text with every kind of line break, and a CR that is followed by its LF
/// across every split, for `len` bytes.
fn text(len: usize, seed: usize) -> String {
    let pieces = [
        "a", "bc", "\r\n", "\n", "\r", "\r\r\n", "\u{e9}", " ", "\n\n",
    ];
    let mut out = String::new();
    let mut i = seed;
    while out.len() < len {
        out.push_str(pieces[i % pieces.len()]);
        i = i.wrapping_mul(31).wrapping_add(7);
    }
    while out.len() > len {
        out.pop();
    }
    out
}

#[test]
fn async_bytes_are_the_sync_bytes() {
    let long_id = "i".repeat(300);
    let long_type = "t".repeat(129);
    let one_line = "x".repeat(1000);
    let mut datas: Vec<String> = vec![String::new(), one_line];
    for len in (0..300).chain([383, 384, 385, 1000, 5000]) {
        datas.push(text(len, len));
    }
    // A CRLF split exactly at the block edge, and right after it.
    for at in [126, 127, 128, 255, 256] {
        datas.push(format!("{}\r\n{}", "y".repeat(at), "z".repeat(200)));
    }
    let mut checked = 0;
    for data in &datas {
        for header in [
            Message::new(),
            Message::new().event_type("e").id("7").retry(1500),
            Message::new().id(&long_id).event_type(&long_type),
        ] {
            for message in [header.data(data), header] {
                let want = sync(&message);
                for max in [1, 3, 128, usize::MAX] {
                    assert_eq!(async_(&message, max), want, "{message:?} max {max}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 1000);
}

#[test]
fn async_comments_are_the_sync_comments() {
    for len in (0..300).chain([1000, 5000]) {
        let text = text(len, len + 1);
        let mut want = vec![0u8; comment_len(&text)];
        assert_eq!(encode_comment(&text, &mut &mut want[..]), Ok(want.len()));
        for max in [1, 7, usize::MAX] {
            let mut writer = Slow::new(max);
            let n = block_on(encode_comment_io_async(&text, &mut writer)).unwrap();
            assert_eq!(n, want.len());
            assert_eq!(writer.out, want, "{text:?}");
        }
    }
}

#[test]
fn large_data_goes_out_in_full_blocks() {
    let data = text(100_000, 3);
    let message = Message::new().data(&data);
    let mut writer = Slow::new(usize::MAX);
    let n = block_on(encode_io_async(&message, &mut writer)).unwrap();
    assert_eq!(writer.out, sync(&message));
    // Blocks of 128 bytes, the last one short: one write each.
    assert_eq!(writer.writes, n.div_ceil(128));
}

#[test]
fn a_bad_message_writes_nothing_and_a_failing_writer_is_reported() {
    let mut writer = Slow::new(usize::MAX);
    let forged = Message::new().id("1\ndata: forged").data("x");
    assert_eq!(
        block_on(encode_io_async(&forged, &mut writer)),
        Err(IoError::Encode(EncodeError::IdHasLineBreak))
    );
    assert!(writer.out.is_empty());

    let data = text(1000, 5);
    let message = Message::new().data(&data);
    let mut writer = Slow::new(100);
    writer.fail_after = 300;
    assert_eq!(
        block_on(encode_io_async(&message, &mut writer)),
        Err(IoError::Io(Broken))
    );
    // What was written before the failure is the start of the event; then
    // the encoder stopped.
    assert!((300..400).contains(&writer.out.len()));
    assert!(sync(&message).starts_with(&writer.out));
    let mut writer = Slow::new(10);
    writer.fail_after = 0;
    assert_eq!(
        block_on(encode_comment_io_async("ping", &mut writer)),
        Err(IoError::Io(Broken))
    );
}
