//! The `encode` and `decode` examples, run as the programs they are.
//! `cargo test` builds the examples before it runs integration tests; run
//! alone (`cargo test --test examples`), the test builds those it needs.

use std::process::Command;
use std::time::Duration;

mod common;
use common::{Run, example, run_with_input};

fn run(name: &str, args: &[&str], stdin: &[u8]) -> Run {
    run_with_input(
        Command::new(example(name)).args(args),
        Some(stdin),
        Duration::from_secs(60),
    )
}

#[test]
fn encode_then_decode_round_trips_and_names_bad_lines() {
    let input = concat!(
        r#"{"type":"token","data":"Hi\r\nthere","id":"1"}"#,
        "\n",
        r#"{"comment":"ping\nagain"}"#,
        "\n",
        "not json\n",
        r#"{"id":"a\nid: forged","data":"x"}"#,
        "\n",
        r#"{"retry":2000}"#,
        "\n",
        r#"{"data":""}"#,
        "\n",
        r#"{"data":"  two spaces","id":""}"#,
        "\n",
        r#"{"data":"x","retry":-1}"#,
        "\n",
    );
    let encoded = run("encode", &[], input.as_bytes());
    assert_eq!(
        encoded.status.code(),
        Some(1),
        "a rejected line sets the exit status"
    );
    let stderr = encoded.stderr;
    assert!(stderr.contains("line 3: not JSON"), "{stderr}");
    assert!(
        stderr.contains("line 4: event id contains a line break"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 8: \"retry\" must be a whole number"),
        "{stderr}"
    );
    assert!(!encoded.stdout.contains("forged"));

    for chunk in ["1", "3", "65536"] {
        let decoded = run("decode", &["--chunk", chunk], encoded.stdout.as_bytes());
        assert!(decoded.status.success());
        assert_eq!(
            decoded.stdout,
            concat!(
                r#"{"type":"token","data":"Hi\nthere","last_event_id":"1"}"#,
                "\n",
                r#"{"retry":2000}"#,
                "\n",
                r#"{"type":"message","data":"","last_event_id":"1"}"#,
                "\n",
                r#"{"type":"message","data":"  two spaces","last_event_id":""}"#,
                "\n",
            ),
            "chunk {chunk}"
        );
    }
}

#[test]
fn decode_reports_limit_errors_and_goes_on() {
    let out = run(
        "decode",
        &["--max-data", "3", "--chunk", "2"],
        b"data: abcd\n\ndata: abc\n\n",
    );
    assert_eq!(
        out.stdout,
        concat!(
            r#"{"error":"event data longer than the limit of 3 bytes"}"#,
            "\n",
            r#"{"type":"message","data":"abc","last_event_id":""}"#,
            "\n",
        )
    );
}

#[test]
fn decode_reads_the_sample_chat_stream() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/data/chat.sse");
    let out = run("decode", &["--chunk", "7", sample], b"");
    assert!(out.status.success());
    let text = out.stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 22, "{text}");
    assert_eq!(lines[0], r#"{"retry":3000}"#);
    assert_eq!(
        lines[21],
        r#"{"type":"done","data":"[DONE]","last_event_id":"20"}"#
    );
}
