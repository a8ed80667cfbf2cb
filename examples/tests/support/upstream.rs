//! A fake OpenAI-compatible model API on loopback, for the tests of the
//! programs that talk to one: `POST /v1/chat/completions` with
//! `"stream": true` answers with a recorded chat-completion stream, cut into
//! small pieces sent at a token's pace, with CRLF or LF line ends, a
//! comment and a `retry` field as real servers send them; or fails as asked.
//! It counts the calls, so a test can check that a question was asked once.
//!
//! Not part of any crate's library: tests include it as a module with
//! `#[path = "support/upstream.rs"] mod upstream;`.

// Each test uses part of this module.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// How the upstream answers every call.
#[derive(Clone, Debug)]
pub(crate) enum Script {
    /// The tokens as `choices[0].delta.content`, then a `finish_reason` and
    /// `data: [DONE]`.
    Answer {
        tokens: Vec<String>,
        /// CRLF line ends instead of LF.
        crlf: bool,
        /// The body goes out in pieces of this many bytes...
        piece: usize,
        /// ...with this pause before each.
        pace: Duration,
    },
    /// The first `after` tokens of an answer and half of the next chunk,
    /// then the connection breaks.
    BreakAfter { tokens: Vec<String>, after: usize },
    /// A status other than 200, with a JSON error body.
    Status(u16, String),
    /// One chunk whose data is not JSON, then the end.
    Malformed,
    /// An answer of one token of this many bytes: its chunk is larger.
    Oversized(usize),
}

impl Script {
    /// An answer of `tokens` in LF-ended 7-byte pieces, 5 ms apart.
    pub(crate) fn answer(tokens: &[&str]) -> Self {
        Self::Answer {
            tokens: tokens.iter().map(|t| (*t).to_owned()).collect(),
            crlf: false,
            piece: 7,
            pace: Duration::from_millis(5),
        }
    }
}

/// A running fake upstream; stops when dropped.
pub(crate) struct Upstream {
    /// The API base, as `--upstream` takes it: `http://127.0.0.1:PORT/v1`.
    pub(crate) base: String,
    calls: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Value>>>,
    authorizations: Arc<Mutex<Vec<Option<String>>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Shared {
    scripts: Vec<Script>,
    calls: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Value>>>,
    authorizations: Arc<Mutex<Vec<Option<String>>>>,
}

impl Upstream {
    /// Starts serving `script` on a free loopback port.
    pub(crate) fn start(script: Script) -> Self {
        Self::start_each(vec![script])
    }

    /// Starts serving `scripts[i]` to the `i`th call (from 0), and the last
    /// one to the calls after them.
    pub(crate) fn start_each(scripts: Vec<Script>) -> Self {
        assert!(!scripts.is_empty());
        let calls = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::new(Shared {
            scripts,
            calls: Arc::clone(&calls),
            requests: Arc::clone(&requests),
            authorizations: Arc::clone(&authorizations),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}/v1", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let app = axum::Router::new()
                    .route("/v1/chat/completions", axum::routing::post(completions))
                    .with_state(shared);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        Self {
            base,
            calls,
            requests,
            authorizations,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The number of calls so far.
    pub(crate) fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// The JSON bodies of the calls so far.
    pub(crate) fn requests(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }

    /// The `Authorization` header of each call so far.
    pub(crate) fn authorizations(&self) -> Vec<Option<String>> {
        self.authorizations.lock().unwrap().clone()
    }

    /// `POST` URL of the chat completions.
    pub(crate) fn completions_url(&self) -> String {
        format!("{}/chat/completions", self.base)
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Streams still open end with the runtime.
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One chat-completion chunk's `data:` value.
fn chunk(delta: Value, finish_reason: Option<&str>) -> String {
    json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "fake-model",
        "choices": [{ "index": 0, "delta": delta, "finish_reason": finish_reason }],
    })
    .to_string()
}

/// The body of an answer: a comment, `retry`, a role chunk, one chunk per
/// token, the finish chunk and `[DONE]`; the first `cut` token chunks only
/// when cut.
pub(crate) fn answer_body(tokens: &[String], crlf: bool, cut: Option<usize>) -> Vec<u8> {
    let mut events = vec![
        ": fake upstream".to_owned(),
        "retry: 3000".to_owned(),
        format!(
            "data: {}",
            chunk(json!({ "role": "assistant", "content": "" }), None)
        ),
    ];
    let shown = cut.unwrap_or(tokens.len()).min(tokens.len());
    for token in &tokens[..shown] {
        events.push(format!(
            "data: {}",
            chunk(json!({ "content": token }), None)
        ));
    }
    if cut.is_none() {
        events.push(format!("data: {}", chunk(json!({}), Some("stop"))));
        events.push("data: [DONE]".to_owned());
    }
    let end = if crlf { "\r\n" } else { "\n" };
    let mut body = String::new();
    for event in events {
        body.push_str(&event);
        body.push_str(end);
        if !event.starts_with(':') && !event.starts_with("retry") {
            body.push_str(end);
        }
    }
    if cut.is_some() {
        // Half of the next chunk, as a connection breaking mid-event leaves.
        body.push_str("data: {\"id\":\"chatcmpl-fa");
    }
    body.into_bytes()
}

async fn completions(
    State(shared): State<Arc<Shared>>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let call = shared.calls.fetch_add(1, Ordering::SeqCst);
    let script = &shared.scripts[call.min(shared.scripts.len() - 1)];
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared.requests.lock().unwrap().push(request);
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    shared.authorizations.lock().unwrap().push(authorization);
    let (bytes, piece, pace) = match script {
        Script::Answer {
            tokens,
            crlf,
            piece,
            pace,
        } => (answer_body(tokens, *crlf, None), *piece, *pace),
        Script::BreakAfter { tokens, after } => (
            answer_body(tokens, false, Some(*after)),
            7,
            Duration::from_millis(5),
        ),
        Script::Status(status, message) => {
            let status = StatusCode::from_u16(*status).unwrap();
            let error = json!({ "error": { "message": message, "type": "fake_error" } });
            return (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                error.to_string(),
            )
                .into_response();
        }
        Script::Malformed => (b"data: {not json\n\n".to_vec(), 64, Duration::ZERO),
        Script::Oversized(size) => (
            answer_body(&["x".repeat(*size)], false, None),
            4096,
            Duration::ZERO,
        ),
    };
    let breaks = matches!(script, Script::BreakAfter { .. });
    let pieces: Vec<Bytes> = bytes.chunks(piece).map(Bytes::copy_from_slice).collect();
    let body = futures_util::stream::unfold(pieces.into_iter(), move |mut pieces| async move {
        tokio::time::sleep(pace).await;
        match pieces.next() {
            Some(piece) => Some((Ok(piece), pieces)),
            // An error ends the response without its end: the connection
            // breaks.
            None if breaks => Some((Err(std::io::Error::other("connection broken")), pieces)),
            None => None,
        }
    });
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        Body::from_stream(body),
    )
        .into_response()
}
