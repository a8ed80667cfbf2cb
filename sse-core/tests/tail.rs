//! The `tail` example against a scripted loopback server: chunked and plain
//! bodies, `retry`, `Last-Event-ID` on reconnection (R39), the incomplete
//! event dropped at the end of a body (R34), and 204 ending it for good (R41).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};

mod common;
use common::example;

#[test]
fn tail_follows_retry_last_event_id_and_stops_on_204() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let responses: [&[u8]; 3] = [
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n\
              2b\r\nretry: 20\nid: 1\ndata: first\n\n: ping\nid: 2\r\n\
              d\r\ndata: partial\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream; charset=utf-8\r\n\r\nevent: t\ndata: second\n\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
        ];
        let mut requests = Vec::new();
        for response in responses {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                head.push_str(&line);
            }
            requests.push(head);
            reader.get_mut().write_all(response).unwrap();
        }
        requests
    });
    let out = Command::new(example("tail"))
        .arg(format!("http://127.0.0.1:{port}/stream"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let requests = server.join().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        concat!(
            r#"{"retry":20}"#,
            "\n",
            r#"{"type":"message","data":"first","last_event_id":"1"}"#,
            "\n",
            r#"{"type":"t","data":"second","last_event_id":"1"}"#,
            "\n",
        )
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("tail: OPEN"), "{stderr}");
    assert!(stderr.contains("reconnecting in 20 ms"), "{stderr}");
    assert!(
        stderr.contains("failed: response status 204 is not 200"),
        "{stderr}"
    );
    assert!(stderr.trim_end().ends_with("tail: CLOSED"), "{stderr}");
    for request in &requests {
        assert!(
            request.contains("\r\nAccept: text/event-stream\r\n"),
            "{request}"
        );
        assert!(
            request.contains("\r\nCache-Control: no-cache\r\n"),
            "{request}"
        );
    }
    assert!(!requests[0].contains("Last-Event-ID"), "{}", requests[0]);
    // id 2 was in an event the body never finished, so it was never committed.
    assert!(
        requests[1].contains("\r\nLast-Event-ID: 1\r\n"),
        "{}",
        requests[1]
    );
    assert!(
        requests[2].contains("\r\nLast-Event-ID: 1\r\n"),
        "{}",
        requests[2]
    );
}
