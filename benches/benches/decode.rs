#![allow(missing_docs)] // `criterion_main!` makes an undocumented `main`.

//! Decoder throughput: ours (event layer and field layer) against every peer,
//! the `naive` floor (the simplest decoder a user would write) and two
//! baselines (memchr2 over the body, memcpy of the body), one criterion group
//! per workload and piece size.
//!
//! Before a contender is timed it decodes the workload once, outside the timed
//! loop: the events must match the generator's summary (count, data bytes and
//! a hash of type, data and id), and the heap allocations of that run are
//! printed and written to `target/criterion/allocations/<group>.tsv`, where
//! `benches/report.py` finds them.

use std::hint::black_box;
use std::time::Duration;

use benches::alloc::{AllocationReport, Allocations, Counting};
use benches::clock::Clock;
use benches::contenders::{
    self, EventsourceClient, EventsourceStream, Naive, Ours, OursSlice, OursStream, PbSseCore,
    Russe, SseParse, SseStream, Sseer,
};
use benches::{Contender, Counter, Input, Summary, Workload, workloads};
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};

#[global_allocator]
static ALLOC: Counting = Counting;

/// One criterion group: a workload in pieces of one size.
struct Group<'c> {
    group: BenchmarkGroup<'c, Clock>,
    input: Input,
    expected: Summary,
    allocations: AllocationReport,
}

impl<'c> Group<'c> {
    fn new(c: &'c mut Criterion<Clock>, workload: &Workload, piece: Option<usize>) -> Self {
        let name = match piece {
            Some(piece) => format!("{}/{piece}", workload.name),
            None => format!("{}/whole", workload.name),
        };
        let len = workload.bytes.len();
        let input = Input::new(workload.bytes.clone(), piece.unwrap_or(len));
        // Make the `Bytes` pieces now, so no contender's counts include them.
        input.pieces();
        let mut group = c.benchmark_group(&name);
        group
            .throughput(Throughput::Bytes(len as u64))
            .sampling_mode(SamplingMode::Flat);
        Self {
            group,
            input,
            expected: workload.expected,
            allocations: AllocationReport::new(&name),
        }
    }

    /// Checks `contender` once (recording its allocations), then times it.
    fn contender<C: Contender>(&mut self, mut contender: C) {
        let Self {
            group,
            input,
            expected,
            allocations,
        } = self;
        let name = contender.name();
        let mut checked = false;
        group.bench_function(name, |b| {
            if !checked {
                checked = true;
                let (allocs, summary) = Allocations::during(|| {
                    let mut summary = Summary::new();
                    contender.run(input, &mut summary);
                    summary
                });
                assert_eq!(summary, *expected, "{name} decoded the wrong events");
                allocations.record(name, allocs, expected.events);
            }
            b.iter(|| {
                let mut counter = Counter::default();
                contender.run(input, &mut counter);
                counter.events
            });
        });
    }

    /// Our field layer alone; checked on event count and data length.
    fn field_layer(&mut self) {
        let Self {
            group,
            input,
            expected,
            allocations,
        } = self;
        let mut checked = false;
        group.bench_function("ours-field", |b| {
            if !checked {
                checked = true;
                let (allocs, found) = Allocations::during(|| contenders::field_layer(input));
                assert_eq!(found, (expected.events, expected.data_bytes), "ours-field");
                allocations.record("ours-field", allocs, expected.events);
            }
            b.iter(|| contenders::field_layer(input));
        });
    }

    /// The baselines: memchr2 over the body and a memcpy of it.
    fn baselines(&mut self) {
        let input = &self.input;
        self.group.bench_function("memchr2", |b| {
            b.iter(|| contenders::memchr2_count(input));
        });
        let mut dest = vec![0u8; input.bytes().len()];
        self.group.bench_function("memcpy", |b| {
            b.iter(|| {
                contenders::memcpy(input, &mut dest);
                black_box(&mut dest);
            });
        });
    }

    fn peers(&mut self) {
        self.contender(SseStream);
        self.contender(EventsourceStream);
        self.contender(PbSseCore);
        self.contender(SseParse);
        self.contender(EventsourceClient);
        self.contender(Sseer);
        self.contender(Russe);
    }

    fn finish(self) {
        self.group.finish();
        self.allocations.save();
    }
}

/// W1 to W5: everything, in 4096-byte pieces (and W1 in 7-byte pieces too).
fn decode(c: &mut Criterion<Clock>) {
    let llm = workloads::llm(workloads::LLM_EVENTS);
    let mut ours = Ours::new();
    for piece in [4096, 7] {
        let mut group = Group::new(c, &llm, Some(piece));
        group.contender(&mut ours);
        group.contender(OursStream);
        group.field_layer();
        group.contender(Naive::default());
        group.peers();
        group.baselines();
        group.finish();
    }
    drop(llm);
    for workload in [
        workloads::big(workloads::BIG_EVENTS, workloads::BIG_DATA),
        workloads::multiline(workloads::MULTILINE_EVENTS),
        workloads::tiny(workloads::TINY_EVENTS),
        workloads::crlf(workloads::MULTILINE_EVENTS),
    ] {
        let mut group = Group::new(c, &workload, Some(4096));
        group.contender(&mut ours);
        group.contender(OursStream);
        group.field_layer();
        group.contender(Naive::default());
        group.peers();
        group.baselines();
        group.finish();
    }
}

/// W6: one 64 MiB line, whole and in 64-byte pieces; ours and the naive floor
/// (the linear time check), with the baselines on the whole body.
fn huge_line(c: &mut Criterion<Clock>) {
    let workload = workloads::huge_line(workloads::HUGE_LINE);
    let mut ours = OursSlice::new(workloads::HUGE_LINE);
    for piece in [None, Some(64)] {
        let mut group = Group::new(c, &workload, piece);
        group.contender(&mut ours);
        group.field_layer();
        group.contender(Naive::default());
        if piece.is_none() {
            group.baselines();
        }
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
    targets = decode, huge_line
}
criterion::criterion_main!(benches);
