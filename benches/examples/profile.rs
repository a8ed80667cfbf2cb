//! Runs one contender on one workload a number of times, for a profiler:
//!
//! ```text
//! cargo build --profile bench -p benches --example profile
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \
//!     target/release/examples/profile ours-event W1 4096 20
//! callgrind_annotate /tmp/cg.out | head -40
//! ```
//!
//! Contenders: `ours-event`, `ours-stream`, `ours-field`, `naive`, `sse-stream`, `eventsource-stream`,
//! `sse-core-0.2`, `sse-parse`, `eventsource-client`, `sseer`, `russe`,
//! `memchr2`; encoders
//! (on the W1 and W2 shapes; the piece size is ignored): `encode-ours`,
//! `encode-axum`, `encode-sse-stream`.
//! Workloads: `W1` to `W6`. Piece size: bytes, or `whole`.

use std::hint::black_box;
use std::time::Instant;

use benches::contenders::{
    self, EventsourceClient, EventsourceStream, Naive, Ours, OursSlice, OursStream, PbSseCore,
    Russe, SseParse, SseStream, Sseer,
};
use benches::encoders;
use benches::{Contender, Counter, Input, Summary, workloads};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [contender, workload, piece, runs] = &args[..] else {
        eprintln!("usage: profile CONTENDER W1..W6 PIECE|whole RUNS");
        std::process::exit(2);
    };
    let runs: usize = runs.parse().expect("runs");
    if let Some(encoder) = contender.strip_prefix("encode-") {
        encode(encoder, workload, runs);
        return;
    }
    let workload = match workload.as_str() {
        "W1" => workloads::llm(workloads::LLM_EVENTS),
        "W2" => workloads::big(workloads::BIG_EVENTS, workloads::BIG_DATA),
        "W3" => workloads::multiline(workloads::MULTILINE_EVENTS),
        "W4" => workloads::tiny(workloads::TINY_EVENTS),
        "W5" => workloads::crlf(workloads::MULTILINE_EVENTS),
        "W6" => workloads::huge_line(workloads::HUGE_LINE),
        other => panic!("unknown workload {other}"),
    };
    let len = workload.bytes.len();
    let piece = if piece == "whole" {
        len
    } else {
        piece.parse().expect("piece size")
    };
    let input = Input::new(workload.bytes.clone(), piece);
    input.pieces();
    let start = Instant::now();
    match contender.as_str() {
        "ours-event" if workload.name == "W6-huge-line" => {
            go(&mut OursSlice::new(len), &input, runs, &workload.expected);
        }
        "ours-event" => go(&mut Ours::new(), &input, runs, &workload.expected),
        "ours-stream" => go(&mut OursStream, &input, runs, &workload.expected),
        "naive" => go(&mut Naive::default(), &input, runs, &workload.expected),
        "sse-stream" => go(&mut SseStream, &input, runs, &workload.expected),
        "eventsource-stream" => go(&mut EventsourceStream, &input, runs, &workload.expected),
        "sse-core-0.2" => go(&mut PbSseCore, &input, runs, &workload.expected),
        "sse-parse" => go(&mut SseParse, &input, runs, &workload.expected),
        "sseer" => go(&mut Sseer, &input, runs, &workload.expected),
        "russe" => go(&mut Russe, &input, runs, &workload.expected),
        "eventsource-client" => go(&mut EventsourceClient, &input, runs, &workload.expected),
        "ours-field" => {
            for _ in 0..runs {
                black_box(contenders::field_layer(&input));
            }
        }
        "memchr2" => {
            for _ in 0..runs {
                black_box(contenders::memchr2_count(&input));
            }
        }
        other => panic!("unknown contender {other}"),
    }
    let elapsed = start.elapsed();
    let mib = (len * runs) as f64 / f64::from(1 << 20);
    println!(
        "{contender} {} in {piece}-byte pieces: {runs} runs in {elapsed:?}, {:.1} MiB/s",
        workload.name,
        mib / elapsed.as_secs_f64()
    );
}

fn go<C: Contender>(contender: &mut C, input: &Input, runs: usize, expected: &Summary) {
    let mut summary = Summary::new();
    contender.run(input, &mut summary);
    assert_eq!(summary, *expected);
    for _ in 1..runs {
        let mut counter = Counter::default();
        contender.run(input, &mut counter);
        black_box(counter.events);
    }
}

fn encode(encoder: &str, workload: &str, runs: usize) {
    let shapes: std::sync::Arc<[workloads::Shape]> = match workload {
        "W1" => workloads::llm_shapes(workloads::LLM_EVENTS),
        "W2" => workloads::big_shapes(workloads::BIG_EVENTS, workloads::BIG_DATA),
        other => panic!("no encoder shapes for {other}"),
    }
    .into();
    let mut buf = vec![0; encoders::ours_buffer_len(&shapes)];
    let mut total = 0usize;
    let start = Instant::now();
    for _ in 0..runs {
        let out = |b: &[u8]| total += black_box(b).len();
        match encoder {
            "ours" => encoders::ours(&shapes, &mut buf, out),
            "axum" => encoders::axum(&shapes, out),
            "sse-stream" => encoders::sse_stream(encoders::sse_stream_events(&shapes), out),
            other => panic!("unknown encoder {other}"),
        }
    }
    let elapsed = start.elapsed();
    println!(
        "encode-{encoder} {workload}: {runs} runs in {elapsed:?}, {:.2} M events/s, {:.1} MiB/s",
        (shapes.len() * runs) as f64 / elapsed.as_secs_f64() / 1e6,
        total as f64 / f64::from(1 << 20) / elapsed.as_secs_f64()
    );
}
