//! Every contender decodes small versions of every workload to the expected
//! events, in large and tiny pieces; ours allocates nothing while doing so.

use benches::alloc::{Allocations, Counting};
use benches::contenders::{
    self, EventsourceClient, EventsourceStream, Naive, Ours, OursSlice, OursStream, PbSseCore,
    Russe, SseParse, SseStream, Sseer,
};
use benches::{Contender, Input, Summary, Workload, workloads};

#[global_allocator]
static ALLOC: Counting = Counting;

fn small_workloads() -> Vec<Workload> {
    vec![
        workloads::llm(300),
        workloads::big(3, 20_000),
        workloads::multiline(100),
        workloads::tiny(1000),
        workloads::crlf(100),
        workloads::huge_line(100_000),
    ]
}

fn check<C: Contender>(contender: &mut C, workload: &Workload, piece: usize) {
    let input = Input::new(workload.bytes.clone(), piece);
    let mut summary = Summary::new();
    contender.run(&input, &mut summary);
    assert_eq!(
        summary,
        workload.expected,
        "{} on {} in {piece}-byte pieces",
        contender.name(),
        workload.name
    );
}

#[test]
fn every_contender_decodes_every_workload() {
    for workload in small_workloads() {
        for piece in [4096, 7] {
            check(&mut Ours::new(), &workload, piece);
            check(&mut OursSlice::new(200_000), &workload, piece);
            check(&mut OursStream, &workload, piece);
            check(&mut Naive::default(), &workload, piece);
            check(&mut SseStream, &workload, piece);
            check(&mut EventsourceStream, &workload, piece);
            check(&mut PbSseCore, &workload, piece);
            check(&mut SseParse, &workload, piece);
            check(&mut EventsourceClient, &workload, piece);
            check(&mut Sseer, &workload, piece);
            check(&mut Russe, &workload, piece);
        }
    }
}

/// The naive floor splits CRLF across pieces too: every split, in 1-byte pieces.
#[test]
fn naive_decodes_every_workload_byte_by_byte() {
    for workload in small_workloads() {
        check(&mut Naive::default(), &workload, 1);
    }
}

#[test]
fn field_layer_counts_every_workload() {
    for workload in small_workloads() {
        for piece in [4096, 64, 1] {
            let input = Input::new(workload.bytes.clone(), piece);
            assert_eq!(
                contenders::field_layer(&input),
                (workload.expected.events, workload.expected.data_bytes),
                "{} in {piece}-byte pieces",
                workload.name
            );
        }
    }
}

#[test]
fn ours_allocates_nothing() {
    let mut ours = Ours::new();
    let mut slice = OursSlice::new(200_000);
    for workload in small_workloads() {
        for piece in [4096, 7] {
            let input = Input::new(workload.bytes.clone(), piece);
            let mut summary = Summary::new();
            let (allocations, ()) = Allocations::during(|| ours.run(&input, &mut summary));
            assert_eq!(allocations.count, 0, "{} in {piece}", workload.name);
            let (allocations, ()) = Allocations::during(|| slice.run(&input, &mut summary));
            assert_eq!(allocations.count, 0, "{} in {piece}", workload.name);
            let (allocations, _) = Allocations::during(|| contenders::field_layer(&input));
            assert_eq!(allocations.count, 0, "{} in {piece}", workload.name);
        }
    }
}

#[test]
fn baselines() {
    let workload = workloads::tiny(10);
    let input = Input::new(workload.bytes.clone(), 4096);
    assert_eq!(contenders::memchr2_count(&input), 40);
    let mut dest = vec![0; workload.bytes.len()];
    contenders::memcpy(&input, &mut dest);
    assert_eq!(dest, workload.bytes);
}

#[test]
fn every_encoder_round_trips() {
    use benches::encoders;
    use std::sync::Arc;
    let mut multiline = workloads::llm_shapes(50);
    multiline.push(workloads::Shape {
        event_type: Some("update".to_owned()),
        id: Some("7".to_owned()),
        data: "two\nlines".to_owned(),
    });
    for shapes in [multiline, workloads::big_shapes(3, 20_000)] {
        let expected = workloads::from_shapes("shapes", &shapes).expected;
        let shapes: Arc<[workloads::Shape]> = shapes.into();
        let mut buf = vec![0; encoders::ours_buffer_len(&shapes)];
        let mut out = Vec::new();
        encoders::ours(&shapes, &mut buf, |b| out.extend_from_slice(b));
        assert_eq!(encoders::decoded(&out), expected, "ours");
        let (allocations, ()) = Allocations::during(|| encoders::ours(&shapes, &mut buf, |_| {}));
        assert_eq!(allocations.count, 0);
        out.clear();
        encoders::axum(&shapes, |b| out.extend_from_slice(b));
        assert_eq!(encoders::decoded(&out), expected, "axum");
        out.clear();
        encoders::sse_stream(encoders::sse_stream_events(&shapes), |b| {
            out.extend_from_slice(b);
        });
        assert_eq!(encoders::decoded(&out), expected, "sse-stream");
    }
}
