//! The least work W6 needs, timed: what bounds the ratio of W6 in 64-byte
//! pieces to W6 whole for any decoder that hands out `&str` and, like every
//! decoder fed pieces, must copy a line spread over pieces into a buffer.
//!
//! ```text
//! cargo run --release -p benches --example w6_floor
//! ```
//!
//! - whole: `memchr2` over the line, then `from_utf8` of the line, in place;
//! - pieces: `memchr2` over each 64-byte piece, the piece copied to a
//!   64 MiB buffer, then `from_utf8` of the buffer.
//!
//! No field parsing, no state, no check that could repair the text: a floor,
//! not a decoder. Prints the medians of 15 rounds (wall clock).

use std::hint::black_box;
use std::time::Instant;

use benches::workloads;

fn main() {
    let workload = workloads::huge_line(workloads::HUGE_LINE);
    // The data line's value: after `data: `, before `\n\n`.
    let line = &workload.bytes[6..workload.bytes.len() - 2];
    let mut buf = vec![0u8; line.len()];
    let (mut whole, mut pieces) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        let start = Instant::now();
        black_box(memchr::memchr2(b'\r', b'\n', black_box(line)));
        black_box(std::str::from_utf8(black_box(line)).is_ok());
        whole.push(start.elapsed().as_secs_f64());

        let start = Instant::now();
        for (piece, to) in line.chunks(64).zip(buf.chunks_mut(64)) {
            black_box(memchr::memchr2(b'\r', b'\n', piece));
            to.copy_from_slice(piece);
        }
        black_box(std::str::from_utf8(black_box(&buf)).is_ok());
        pieces.push(start.elapsed().as_secs_f64());
    }
    whole.sort_by(f64::total_cmp);
    pieces.sort_by(f64::total_cmp);
    let (whole, pieces) = (whole[7], pieces[7]);
    let mib = line.len() as f64 / f64::from(1 << 20);
    println!("whole line: {:.0} MiB/s", mib / whole);
    println!(
        "64-byte pieces: {:.0} MiB/s, {:.2}x the whole line's time",
        mib / pieces,
        pieces / whole
    );
}
