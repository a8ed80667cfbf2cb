#![allow(missing_docs)] // `criterion_main!` makes an undocumented `main`.

//! Encoder throughput: ours against axum's `Event` and sse-stream's `Sse`, on
//! the event shapes of W1 (LLM chunks; events/s) and W2 (256 KiB data; bytes/s),
//! with a memcpy of the data as the baseline.
//!
//! Before timing, each encoder's output is decoded and checked against the
//! shapes, and its allocations per event are printed and saved (see
//! `decode.rs`).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use benches::alloc::{AllocationReport, Allocations, Counting};
use benches::clock::Clock;
use benches::encoders;
use benches::workloads::{self, Shape};
use criterion::{BatchSize, Criterion, SamplingMode, Throughput};

#[global_allocator]
static ALLOC: Counting = Counting;

fn encode(c: &mut Criterion<Clock>) {
    for (name, shapes) in [
        ("E1-llm", workloads::llm_shapes(workloads::LLM_EVENTS)),
        (
            "E2-big",
            workloads::big_shapes(workloads::BIG_EVENTS, workloads::BIG_DATA),
        ),
    ] {
        let shapes: Arc<[Shape]> = shapes.into();
        let events = shapes.len() as u64;
        let expected = workloads::from_shapes(name, &shapes).expected;
        let mut buf = vec![0u8; encoders::ours_buffer_len(&shapes)];
        let mut report = AllocationReport::new(name);

        // Check every encoder's output and count its allocations, untimed.
        let mut all = Vec::new();
        encoders::ours(&shapes, &mut buf, |b| all.extend_from_slice(b));
        assert_eq!(encoders::decoded(&all), expected, "ours");
        let encoded_len = all.len() as u64;
        all.clear();
        encoders::axum(&shapes, |b| all.extend_from_slice(b));
        assert_eq!(encoders::decoded(&all), expected, "axum");
        all.clear();
        encoders::sse_stream(encoders::sse_stream_events(&shapes), |b| {
            all.extend_from_slice(b);
        });
        assert_eq!(encoders::decoded(&all), expected, "sse-stream");
        drop(all);
        let sink = |b: &[u8]| {
            black_box(b);
        };
        let (allocs, ()) = Allocations::during(|| encoders::ours(&shapes, &mut buf, sink));
        report.record("ours", allocs, events);
        let (allocs, ()) = Allocations::during(|| encoders::axum(&shapes, sink));
        report.record("axum", allocs, events);
        let owned = encoders::sse_stream_events(&shapes);
        let (allocs, ()) = Allocations::during(|| encoders::sse_stream(owned, sink));
        report.record("sse-stream", allocs, events);
        let (allocs, ()) = Allocations::during(|| encoders::memcpy(&shapes, &mut buf, sink));
        report.record("memcpy", allocs, events);
        report.save();

        let mut group = c.benchmark_group(name);
        group.sampling_mode(SamplingMode::Flat);
        group.throughput(if name == "E1-llm" {
            Throughput::Elements(events)
        } else {
            Throughput::Bytes(encoded_len)
        });
        group.bench_function("ours", |b| {
            b.iter(|| encoders::ours(&shapes, &mut buf, sink));
        });
        group.bench_function("axum", |b| {
            b.iter(|| encoders::axum(&shapes, sink));
        });
        group.bench_function("sse-stream", |b| {
            b.iter_batched(
                || encoders::sse_stream_events(&shapes),
                |owned| encoders::sse_stream(owned, sink),
                BatchSize::LargeInput,
            );
        });
        group.bench_function("memcpy", |b| {
            b.iter(|| encoders::memcpy(&shapes, &mut buf, sink));
        });
        group.finish();
    }
}

fn config() -> Criterion<Clock> {
    let clock = Clock::from_env();
    println!("clock: {}", clock.describe());
    Criterion::default()
        .with_measurement(clock)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .without_plots()
}

criterion::criterion_group! {
    name = benches;
    config = config();
    targets = encode
}
criterion::criterion_main!(benches);
