//! The `chat` example under load, run as the program it is: 2000 clients
//! (reqwest, each stream decoded by sse-core) stream their answers at once;
//! every client gets every token once, ids 1..=n in order, then `done`.
//! It prints the server's memory per stream and how long the run took (no
//! assertion on either).
//!
//! An ignored test opens 10,000 idle streams and measures the server's
//! resident memory per stream:
//!
//! ```text
//! cargo test --release -p sse-core-examples --test load -- --ignored --nocapture
//! ```
//!
//! Both raise the soft limit on open files to the hard limit (each stream is
//! a socket in this process and one in the server).
#![cfg(all(target_os = "linux", not(miri)))]

use std::sync::Arc;
use std::time::{Duration, Instant};

use sse_core::{Decoder, InlineBuffers, Item};
use tokio::sync::Barrier;

mod common;
use common::{Chat, Ev, check_answer};
use sse_core_examples::percent_encode;

/// Clients streaming at once.
const CLIENTS: usize = 2000;
/// How long the whole load test may take before it fails.
const WATCHDOG: Duration = Duration::from_secs(600);

/// Raises the soft limit on open files to the hard limit; fails when that
/// is less than `needed`.
fn raise_open_files(needed: u64) {
    let limit = rlimit::increase_nofile_limit(u64::MAX).expect("raise RLIMIT_NOFILE");
    assert!(
        limit >= needed,
        "{needed} open files needed, the hard limit allows {limit}: raise it (ulimit -Hn)"
    );
}

/// The resident memory of process `pid`, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .expect("VmRSS in /proc status")
        * 1024
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn http() -> reqwest::Client {
    // reqwest is built with rustls but no crypto provider: ring, as in `tail`.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn stats(http: &reqwest::Client, chat_url: &str) -> serde_json::Value {
    let response = http
        .get(format!("{chat_url}stats"))
        .send()
        .await
        .expect("GET /stats");
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

/// A client's stream: decodes events as they arrive.
struct Stream {
    response: reqwest::Response,
    decoder: Box<Decoder<InlineBuffers<8192>>>,
    events: Vec<Ev>,
}

impl Stream {
    async fn open(http: &reqwest::Client, url: &str) -> Self {
        let response = http
            .get(url)
            .header("Accept", "text/event-stream")
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        assert_eq!(response.status(), 200, "GET {url}");
        Self {
            response,
            decoder: Box::new(Decoder::new()),
            events: Vec::new(),
        }
    }

    /// Reads until at least `count` events arrived, or the body ended.
    async fn read_until(&mut self, count: usize) {
        while self.events.len() < count {
            let Some(chunk) = self.response.chunk().await.expect("the body") else {
                break;
            };
            let mut input = &chunk[..];
            while let Some(item) = self.decoder.next(&mut input) {
                if let Item::Event(event) = item.expect("a well-formed stream") {
                    self.events.push(Ev {
                        event_type: event.event_type().to_string(),
                        data: event.data().to_string(),
                        id: event.last_event_id().to_string(),
                    });
                }
            }
        }
    }
}

#[test]
fn two_thousand_clients_each_get_every_token_once() {
    raise_open_files(CLIENTS as u64 + 256);
    let started = Instant::now();
    // A token every 100 ms: each answer takes seconds, so all the clients
    // are connected while the first answers are still streaming.
    let chat = Chat::start(&["--token-delay-ms", "100", "--heartbeat-ms", "1000"]);
    let base = chat.url("/");
    let pid = chat.pid();
    runtime().block_on(async {
        let http = http();
        stats(&http, &base).await;
        let idle_rss = rss(pid);
        // Every client reads its first token, then waits until all have one
        // (`connected`) and the server's memory was read (`measured`).
        let connected = Arc::new(Barrier::new(CLIENTS + 1));
        let measured = Arc::new(Barrier::new(CLIENTS + 1));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let (http, connected, measured) =
                    (http.clone(), Arc::clone(&connected), Arc::clone(&measured));
                let question = format!("Question {i}: will every token arrive once? (日本語 🚀)");
                let url = format!("{base}stream?c=load-{i}&q={}", percent_encode(&question));
                tokio::spawn(async move {
                    let mut stream = Stream::open(&http, &url).await;
                    stream.read_until(1).await;
                    connected.wait().await;
                    measured.wait().await;
                    stream.read_until(usize::MAX).await;
                    check_answer(&stream.events, &question);
                    stream.events.len()
                })
            })
            .collect();
        let all = tokio::time::timeout(WATCHDOG, async {
            connected.wait().await;
            let busy_rss = rss(pid);
            let busy = stats(&http, &base).await;
            measured.wait().await;
            let mut events = 0;
            for client in clients {
                events += client.await.expect("a client");
            }
            (busy_rss, busy, events)
        })
        .await;
        let (busy_rss, busy, events) =
            all.unwrap_or_else(|_| panic!("not done after {WATCHDOG:?}\n{}", chat.log()));
        assert_eq!(
            busy["streams"].as_u64(),
            Some(CLIENTS as u64),
            "every client's stream open at once: {busy}"
        );
        // A stream ends just after it wrote `done`.
        let done = loop {
            let done = stats(&http, &base).await;
            if done["streams"] == 0 {
                break done;
            }
            assert!(started.elapsed() < WATCHDOG, "streams left open: {done}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        assert_eq!(done["conversations"], CLIENTS, "{done}");
        let per_stream = busy_rss.saturating_sub(idle_rss) / CLIENTS as u64;
        eprintln!(
            "load: {CLIENTS} clients streaming at once, {events} events, each client every \
             token once, in {:.1?}; server RSS {:.1} MiB idle, {:.1} MiB with {CLIENTS} streams: \
             {:.1} KiB per stream (its conversation included)",
            started.elapsed(),
            idle_rss as f64 / 1048576.0,
            busy_rss as f64 / 1048576.0,
            per_stream as f64 / 1024.0,
        );
    });
}

/// Opens 10,000 idle streams (one token, then nothing but heartbeats) in
/// batches, with the server's default limits (all of them open), and prints
/// how much its resident memory grew, after each batch and per stream.
#[test]
#[ignore = "a measurement: cargo test --release -p sse-core-examples --test load -- --ignored --nocapture"]
fn ten_thousand_idle_streams_in_100_mb() {
    const BATCH: usize = 1000;
    const STREAMS: usize = 10_000;
    const HUNDRED_MB: f64 = 100e6;
    // One socket here and one in the server per stream.
    raise_open_files(STREAMS as u64 + 256);
    for shared in [false, true] {
        let chat = Chat::start(&["--token-delay-ms", "86400000", "--heartbeat-ms", "15000"]);
        let base = chat.url("/");
        let pid = chat.pid();
        let what = if shared {
            "all on one conversation"
        } else {
            "each on its own conversation"
        };
        runtime().block_on(async {
            let http = http();
            stats(&http, &base).await;
            let idle_rss = rss(pid);
            let mut streams = Vec::new();
            let mut grown = 0;
            while streams.len() < STREAMS {
                let batch: Vec<_> = (streams.len()..streams.len() + BATCH)
                    .map(|i| {
                        let http = http.clone();
                        let c = if shared { 0 } else { i };
                        let url = format!("{base}stream?c=idle-{c}&q=Idle%20question%20{c}");
                        tokio::spawn(async move {
                            let mut stream = Stream::open(&http, &url).await;
                            stream.read_until(1).await;
                            stream
                        })
                    })
                    .collect();
                for stream in batch {
                    streams.push(stream.await.expect("a stream"));
                }
                grown = rss(pid).saturating_sub(idle_rss);
                eprintln!(
                    "idle, {what}: {} streams, server RSS +{:.1} MB",
                    streams.len(),
                    grown as f64 / 1e6
                );
            }
            let open = stats(&http, &base).await["streams"].as_u64().unwrap();
            assert_eq!(open, streams.len() as u64);
            let per_stream = grown as f64 / streams.len() as f64;
            eprintln!(
                "idle, {what}: {} streams took {:.1} MB (RSS {:.1} MB in all): {:.2} KiB each, \
                 {:.0} streams per 100 MB",
                streams.len(),
                grown as f64 / 1e6,
                rss(pid) as f64 / 1e6,
                per_stream / 1024.0,
                HUNDRED_MB / per_stream
            );
        });
    }
}
