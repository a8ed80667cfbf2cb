//! `chat`: a chat box whose answers stream back token by token over
//! Server-Sent Events, served on 127.0.0.1 by axum on tokio, with every byte
//! of the stream written by sse-core's encoder.
//!
//! ```text
//! cargo run --release -p sse-core-examples --example chat
//! # then open http://127.0.0.1:8080/ in a browser
//! ```
//!
//! The page (`examples/chat/index.html`) opens an `EventSource` on
//! `/stream?c=<conversation>&q=<question>`. The answer comes from a model
//! behind an OpenAI-compatible API (`--upstream URL --model NAME`, the API
//! key in `OPENAI_API_KEY`; `examples/chat/model.rs`), or, by default, a
//! fake "AI" makes it up from the question (deterministically, so tests can
//! check it). The stream carries it as:
//!
//! - `retry: <ms>` at the start of every response, and with a model,
//!   `event: model` with its name (no id);
//! - one `event: token` per token, with `id: 1`, `id: 2`, ... and the token
//!   as data (leading spaces, line breaks, CJK, emoji and quotes included);
//! - `event: done` with the whole answer as data and the next id, written
//!   token by token with [`EventWriter`]; or, when the model failed,
//!   `event: server-error` with the next id and why as data;
//! - a heartbeat comment (`:`) whenever nothing was written for the
//!   heartbeat interval.
//!
//! The response body is sse-core's [`FrameStream`]: it sends `retry` first
//! and the heartbeats on `tokio::time::sleep`, and is the `http_body::Body`
//! that axum serves; the events it carries are encoded once per
//! conversation and sent to each client as they are.
//!
//! Every event is kept in the conversation's
//! [`ReplayBuffer`](sse_core::ReplayBuffer). A client that reconnects with
//! `Last-Event-ID` gets exactly the events it missed, then the answer goes
//! on; an id the buffer does not hold ([`Replay::Gap`]) gets an
//! `event: reset` and the answer again from the start, never a silent gap.
//! A client that already has the last event gets `204 No Content`, the
//! standard's "stop reconnecting". Each answer is asked for once, when its
//! conversation starts, and goes on to its end whoever listens: clients that
//! reconnect, or join late, get the server's copy, never a second call to
//! the model.
//!
//! Each stream is a body that axum polls; a client that goes away drops it
//! at once, with its place in the conversation (`GET /stats` counts the
//! open streams).
//!
//! To see resumption, `--drop-every N` makes the server drop each connection
//! after N events: it generates the next event, writes only the first half of
//! its bytes (lost in flight), and ends the response. The client discards the
//! incomplete event, reconnects with the id of the last complete one, and
//! gets the lost event from the replay buffer. The page's "Drop connection"
//! button (`POST /drop?c=<conversation>`) does the same once, on demand.
//!
//! With `--redis URL` the conversations are kept in Redis Streams instead of
//! this process (`examples/chat/shared.rs`): every instance started with the
//! same URL serves every conversation, one of them generates each answer,
//! the SSE id of an event is its stream entry id (`<ms>-<seq>`), and a
//! client resumes on whichever instance it reconnects to. When Redis fails,
//! a stream ends with `event: server-error` and the client resumes after
//! reconnecting once Redis is back.
//!
//! `--allow-origin ORIGIN` lets pages from another origin open the stream
//! (CORS), and `--token T` makes `/stream`, `/drop` and `/stats` require
//! `token=T` in the query (an `EventSource` cannot set headers), else 401;
//! open the page as `/?token=T` and it passes the token on.
//!
//! Against hostile clients (`examples/chat/guard.rs`), connections are
//! served by hyper's HTTP/1.1 server with a request-header read timeout
//! (`--header-timeout-ms`); open connections, open streams and live
//! conversations are bounded (`--max-connections`: closed at once,
//! `--max-streams`: `503` with `Retry-After`, `--max-conversations`: the
//! least recently used forgotten), so are `q` and `c` (`400`); and every
//! value a client chose is escaped and cut short in the log.
//!
//! `--tls` serves HTTPS, HTTP/2 or HTTP/1.1 by ALPN (`examples/chat/tls.rs`),
//! with a self-signed certificate made at start (its SHA-256 fingerprint is
//! printed), or the one of `--cert FILE --key FILE`. Over HTTP/2 a page's
//! streams share one connection: no limit of six per origin.
//!
//! The first line on stdout is `chat: listening on http://127.0.0.1:PORT/`
//! (`https://` with TLS). `--help` lists the options.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use clap::Parser;
use futures_util::StreamExt;
use serde::Deserialize;
use sse_core::stream::{Frame, FrameStream};
use sse_core::{EventWriter, Message, Replay, Sink, encode_to, parse_last_event_id};
use tokio::sync::Notify;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// `--redis`: conversations in Redis Streams, shared by instances.
#[path = "chat/shared.rs"]
mod shared;

/// Limits, connection accounting, log escaping.
#[path = "chat/guard.rs"]
mod guard;
use guard::Untrusted;

/// `--tls`: HTTPS with HTTP/2.
#[path = "chat/tls.rs"]
mod tls;

/// A conversation's answer and history, sized to what they hold.
#[path = "chat/history.rs"]
mod history;
use history::{Answer, History};

/// Where answers come from: made up, or a model behind an OpenAI-compatible
/// API (`--upstream`).
#[path = "chat/model.rs"]
mod model;
use model::Model;

/// `--features jemalloc`: on Linux an idle stream takes less resident
/// memory than with the system allocator (the README's load figures).
#[cfg(all(target_os = "linux", feature = "jemalloc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The page, served at `/`.
const PAGE: &str = include_str!("chat/index.html");

/// Conversations idle for this long are forgotten.
const IDLE_LIMIT: Duration = Duration::from_secs(600);

/// The options.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "chat",
    about = "A chat whose answers stream token by token over Server-Sent Events"
)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Delay between tokens, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 40)]
    token_delay_ms: u64,
    /// Drop each connection after N events (0: never).
    #[arg(long, value_name = "N", default_value_t = 0)]
    drop_every: u64,
    /// Reconnection time sent to clients (`retry`), in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    retry_ms: u64,
    /// Send a heartbeat after N milliseconds without a write.
    #[arg(long, value_name = "N", default_value_t = 3000,
          value_parser = clap::value_parser!(u64).range(1..))]
    heartbeat_ms: u64,
    /// Let pages from ORIGIN (e.g. http://localhost:3000, or * for any)
    /// open the stream (CORS); repeatable.
    #[arg(long, value_name = "ORIGIN", value_parser = parse_origin)]
    allow_origin: Vec<HeaderValue>,
    /// Require `token=T` in the query of /stream, /drop and /stats (401 otherwise).
    #[arg(long, value_name = "T")]
    token: Option<String>,
    /// Keep conversations in Redis Streams at URL (e.g. redis://127.0.0.1:6379/),
    /// shared by every instance started with the same URL.
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
    #[command(flatten)]
    model: model::ModelArgs,
    #[command(flatten)]
    limits: guard::Limits,
    #[command(flatten)]
    tls: tls::TlsArgs,
}

fn parse_origin(origin: &str) -> Result<HeaderValue, String> {
    let ok = origin == "*"
        || ((origin.starts_with("http://") || origin.starts_with("https://"))
            && !origin.ends_with('/'));
    if !ok {
        return Err("an origin is `*` or scheme://host[:port], with no path".into());
    }
    HeaderValue::from_str(origin).map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let model = match Model::new(&args.model, Duration::from_millis(args.token_delay_ms)) {
        Ok(model) => Arc::new(model),
        Err(e) => {
            eprintln!("chat: {e}");
            std::process::exit(2);
        }
    };
    let redis = match &args.redis {
        Some(url) => match shared::Shared::connect(url).await {
            Ok(shared) => Some(shared),
            Err(e) => {
                eprintln!("chat: cannot use Redis at --redis {url}: {e}");
                std::process::exit(1);
            }
        },
        None => None,
    };
    let tls = args.tls.acceptor().unwrap_or_else(|e| {
        eprintln!("chat: {e}");
        std::process::exit(1);
    });
    let scheme = args.tls.scheme();
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("chat: cannot listen on 127.0.0.1:{}: {e}", args.port);
            std::process::exit(1);
        }
    };
    let port = listener.local_addr().map_or(args.port, |a| a.port());
    let token_query = args
        .token
        .as_ref()
        .map(|t| format!("?token={}", sse_core_examples::percent_encode(t)))
        .unwrap_or_default();
    println!("chat: listening on {scheme}://127.0.0.1:{port}/");
    if let Some(tls) = &tls {
        tls.print_certificate();
    }
    println!(
        "chat: open {scheme}://127.0.0.1:{port}/{token_query} in a browser and ask a question, \
         or follow a stream with"
    );
    let token_param = token_query.replace('?', "&");
    println!(
        "chat:   cargo run --release -p sse-core-examples --example tail -- --exit-on done \
         '{scheme}://127.0.0.1:{port}/stream?c=demo&q=Hello%20there{token_param}'"
    );
    if args.drop_every == 0 {
        println!("chat: (add --drop-every 15 to see the stream resume after dropped connections)");
    }
    if let Some(name) = model.name() {
        println!("chat: answers come from {}", model.describe());
        eprintln!("chat: each new question is one call to the model {name}");
    }
    if redis.is_some() {
        println!(
            "chat: conversations are kept in Redis Streams (--redis), shared with every \
             instance on the same Redis"
        );
    }

    guard::raise_open_files(args.limits.max_connections);
    let connections = Arc::new(guard::Gauge::default());
    let app = Arc::new(App {
        conversations: Mutex::new(Conversations::default()),
        connections: Arc::clone(&connections),
        streams: Arc::new(guard::Gauge::default()),
        model,
        redis,
        args: args.clone(),
    });
    let mut router = Router::new()
        .route("/", get(page))
        .route("/stream", get(stream))
        .route("/drop", post(drop_connection))
        .route("/stats", get(stats))
        .with_state(app);
    if !args.allow_origin.is_empty() {
        let origins = if args.allow_origin.iter().any(|o| o == "*") {
            AllowOrigin::any()
        } else {
            AllowOrigin::list(args.allow_origin.iter().cloned())
        };
        router = router.layer(
            CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([Method::GET, Method::POST])
                // What an EventSource sends on reconnection, and what
                // `fetch` may add.
                .allow_headers([
                    HeaderName::from_static("last-event-id"),
                    header::CACHE_CONTROL,
                    header::ACCEPT,
                ])
                .max_age(Duration::from_secs(600)),
        );
    }
    guard::serve(listener, router, &args.limits, connections, tls).await;
}

// ---------------------------------------------------------------------------
// The server.

struct App {
    args: Args,
    conversations: Mutex<Conversations>,
    /// Connections and streams open now, the most ever open at once, and
    /// how many were refused.
    connections: Arc<guard::Gauge>,
    streams: Arc<guard::Gauge>,
    /// Where answers come from.
    model: Arc<Model>,
    /// With `--redis`: conversations are kept there instead of in
    /// `conversations`.
    redis: Option<shared::Shared>,
}

#[derive(Default)]
struct Conversations {
    by_key: std::collections::HashMap<String, Arc<Mutex<Conversation>>>,
    /// When idle conversations were last forgotten.
    swept: Option<std::time::Instant>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl App {
    /// Whether the query carries the token (when one is required).
    fn authorized(&self, token: Option<&str>) -> bool {
        match &self.args.token {
            Some(wanted) => token.is_some_and(|t| same(t.as_bytes(), wanted.as_bytes())),
            None => true,
        }
    }

    /// The conversation `key`, created for `question` if it is new: then the
    /// model is asked, once. `None` when it is new and `--max-model-calls`
    /// answers are being asked already.
    fn conversation(
        &self,
        key: &str,
        question: &str,
        tag: &str,
    ) -> Option<Arc<Mutex<Conversation>>> {
        let mut conversations = lock(&self.conversations);
        if let Some(conversation) = conversations.by_key.get(key) {
            lock(conversation).touched = std::time::Instant::now();
            return Some(Arc::clone(conversation));
        }
        let permit = self.model.permit()?;
        if conversations
            .swept
            .is_none_or(|at| at.elapsed() > Duration::from_secs(10))
        {
            conversations
                .by_key
                .retain(|_, c| lock(c).touched.elapsed() < IDLE_LIMIT);
            conversations.swept = Some(std::time::Instant::now());
        }
        // The least recently used first, those with no open stream (only
        // the map holds them) before the others.
        guard::make_room(
            &mut conversations.by_key,
            self.args.limits.max_conversations,
            |c| (Arc::strong_count(c) > 1, lock(c).touched),
        );
        let conversation = Arc::new(Mutex::new(Conversation::default()));
        conversations
            .by_key
            .insert(key.to_string(), Arc::clone(&conversation));
        let tokens = self.model.answer(question, 0, permit);
        tokio::spawn(answer(Arc::clone(&conversation), tokens, tag.to_string()));
        Some(conversation)
    }
}

/// The answer without the token.
fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        "this server needs ?token=... (see --token)\n",
    )
        .into_response()
}

/// Compares two strings in a time that depends only on their lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `GET /`: the page.
async fn page() -> Html<&'static str> {
    Html(PAGE)
}

#[derive(Deserialize)]
struct StreamQuery {
    /// The conversation.
    c: Option<String>,
    /// The question.
    q: Option<String>,
    token: Option<String>,
}

/// `GET /stream?c=<conversation>&q=<question>`: the answer as an event stream.
async fn stream(
    State(app): State<Arc<App>>,
    Query(query): Query<StreamQuery>,
    headers: HeaderMap,
) -> Response {
    if !app.authorized(query.token.as_deref()) {
        return unauthorized();
    }
    let Some(question) = query.q.filter(|q| !q.trim().is_empty()) else {
        return (
            StatusCode::BAD_REQUEST,
            "/stream needs a question: /stream?c=ID&q=QUESTION\n",
        )
            .into_response();
    };
    // Without a conversation id, the question names the conversation.
    let key = query.c.unwrap_or_else(|| question.clone());
    if let Some(response) = app.args.limits.too_long(&key, &question) {
        return response;
    }
    // A place among the open streams, given back when the stream ends.
    let Some(slot) = app.streams.open(app.args.limits.max_streams) else {
        return guard::busy(
            app.args.retry_ms.div_ceil(1000),
            "too many open streams: try again later\n",
        );
    };
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|value| parse_last_event_id(value.as_bytes()));
    let tag = format!("[{}]", Untrusted(&key));

    // The model's name first, then `reset` when the client's place is lost.
    let mut head = Out::default();
    if let Some(name) = app.model.name() {
        encode_to(&Message::new().event_type("model").data(name), &mut head).ok();
    }
    let source = match &app.redis {
        None => match local_place(&app, &key, &question, last_event_id, &tag, &mut head) {
            Ok(source) => source,
            Err(response) => return *response,
        },
        Some(redis) => {
            match redis
                .open(&app, &key, &question, last_event_id, &tag, &mut head)
                .await
            {
                Ok(Some(follower)) => Source::Redis(Box::new(follower)),
                Ok(None) => return StatusCode::NO_CONTENT.into_response(),
                // The retry, the error, and the end: the client comes back
                // after `retry` with its Last-Event-ID.
                Err(e) => {
                    encode_server_error(&tag, &e, &mut head);
                    let error = futures_util::stream::iter([Frame::Encoded(head.0.into())]);
                    return event_stream(FrameStream::new(error).retry(app.args.retry_ms));
                }
            }
        }
    };

    let (retry_ms, heartbeat) = (
        app.args.retry_ms,
        Duration::from_millis(app.args.heartbeat_ms),
    );
    let delivery = Delivery {
        app,
        source,
        tag,
        written: 0,
        head: (!head.0.is_empty()).then(|| head.0.into()),
        ended: false,
        _slot: slot,
    };
    // The events, already encoded, as the adapter's frames.
    let events = futures_util::stream::unfold(delivery, |mut delivery| async move {
        let chunk = delivery.next_chunk().await?;
        Some((Frame::Encoded(chunk), delivery))
    });
    let body = FrameStream::new(events)
        .retry(retry_ms)
        .keep_alive(heartbeat, tokio::time::sleep);
    event_stream(body)
}

/// A `200` event-stream response with `body`.
fn event_stream(
    body: impl HttpBody<Data = Bytes, Error = sse_core::EncodeError> + Send + 'static,
) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-store"),
            (HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::new(body),
    )
        .into_response()
}

/// Writes `event: reset` at the end of `out`: the client's Last-Event-ID is
/// not in the history, and the answer starts again.
fn encode_reset(tag: &str, last_event_id: &str, out: &mut Out) {
    eprintln!(
        "chat: {tag} Last-Event-ID \"{}\" is not in the history: reset, from the start",
        Untrusted(last_event_id)
    );
    let reset = Message::new()
        .event_type("reset")
        .data("the server lost your place: the answer starts again");
    encode_to(&reset, out).ok();
}

/// Writes `event: server-error` at the end of `out`: the stream ends
/// because the conversation's storage failed.
fn encode_server_error(tag: &str, error: &dyn std::fmt::Display, out: &mut Out) {
    eprintln!("chat: {tag} storage failed, ending the stream: {error}");
    let message = format!("the conversation's storage failed ({error}); reconnect to resume");
    encode_to(
        &Message::new().event_type("server-error").data(&message),
        out,
    )
    .ok();
}

/// Where a client of this process's conversation `key` starts; else `204`
/// when it already has the whole answer, or `503` when the conversation is
/// new and the model has too many questions to answer.
fn local_place(
    app: &App,
    key: &str,
    question: &str,
    last_event_id: Option<&str>,
    tag: &str,
    head: &mut Out,
) -> Result<Source, Box<Response>> {
    let Some(conversation) = app.conversation(key, question, tag) else {
        eprintln!("chat: {tag} refused: --max-model-calls answers are being asked already");
        return Err(Box::new(guard::busy(
            app.args.retry_ms.div_ceil(1000),
            "the model is answering too many questions: try again later\n",
        )));
    };
    // `have`: the client has events 1..=have.
    let (have, changes) = {
        let conversation = lock(&conversation);
        let generated = conversation.generated();
        // Every event's id is its number, and every event so far can be
        // sent again (from the tokens when the history no longer has it).
        let known = match last_event_id {
            None => Some(0),
            Some(id) => id
                .parse::<usize>()
                .ok()
                .filter(|&n| n <= generated && n.to_string() == id),
        };
        let have = match known {
            None => {
                encode_reset(tag, last_event_id.unwrap_or_default(), head);
                0
            }
            Some(known) if known > 0 && conversation.finished() && known == generated => {
                eprintln!("chat: {tag} Last-Event-ID {known}: finished and delivered: 204");
                return Err(Box::new(StatusCode::NO_CONTENT.into_response()));
            }
            Some(known) => {
                if known > 0 {
                    eprintln!(
                        "chat: {tag} resuming after Last-Event-ID {known}: replaying {} event(s)",
                        generated - known
                    );
                }
                known
            }
        };
        (have, conversation.changes())
    };
    Ok(Source::Local {
        conversation,
        have,
        changes,
    })
}

#[derive(Deserialize)]
struct ConversationQuery {
    c: Option<String>,
    token: Option<String>,
}

/// `POST /drop?c=<conversation>`: drop that conversation's next event in flight.
async fn drop_connection(
    State(app): State<Arc<App>>,
    Query(query): Query<ConversationQuery>,
) -> Response {
    if !app.authorized(query.token.as_deref()) {
        return unauthorized();
    }
    if let (Some(redis), Some(key)) = (&app.redis, &query.c) {
        // This instance's streams of the conversation.
        redis.request_drop(key);
        return StatusCode::NO_CONTENT.into_response();
    }
    let conversation = query
        .c
        .and_then(|c| lock(&app.conversations).by_key.get(&c).cloned());
    match conversation {
        Some(conversation) => {
            lock(&conversation).drop_requested = true;
            StatusCode::NO_CONTENT.into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such conversation\n").into_response(),
    }
}

/// `GET /stats`: open streams, the most open at once, and conversations.
async fn stats(State(app): State<Arc<App>>, Query(query): Query<ConversationQuery>) -> Response {
    if !app.authorized(query.token.as_deref()) {
        return unauthorized();
    }
    let mut stats = serde_json::json!({
        "streams": app.streams.now(),
        "peak_streams": app.streams.peak(),
        "refused_streams": app.streams.refused(),
        "connections": app.connections.now(),
        "peak_connections": app.connections.peak(),
        "refused_connections": app.connections.refused(),
        "conversations": lock(&app.conversations).by_key.len(),
    });
    if let Some(calls) = app.model.calls() {
        stats["model_calls"] = calls.now().into();
        stats["peak_model_calls"] = calls.peak().into();
        stats["refused_model_calls"] = calls.refused().into();
    }
    (
        [(header::CONTENT_TYPE, "application/json")],
        format!("{stats}\n"),
    )
        .into_response()
}

/// The delivery of an answer to one client: the events of its response
/// body. Dropping it (the client went away, or the body ended) ends the
/// stream.
struct Delivery {
    app: Arc<App>,
    source: Source,
    /// `[conversation]`, for the log.
    tag: String,
    /// Events written on this connection, for --drop-every.
    written: u64,
    /// `reset`, sent first when the client's place was lost.
    head: Option<Bytes>,
    ended: bool,
    /// Its place among the open streams.
    _slot: guard::Slot,
}

/// Where a stream's events come from.
enum Source {
    /// This process's conversation; the client has events 1..=have.
    Local {
        conversation: Arc<Mutex<Conversation>>,
        have: usize,
        /// Told when the conversation has a new event.
        changes: Arc<Notify>,
    },
    /// The conversation's Redis Stream (`--redis`).
    Redis(Box<shared::Follower>),
}

/// What a stream does next.
enum Step {
    /// Write these events.
    Send(Vec<u8>),
    /// Write half of this event (with this id), then end.
    Lost(Vec<u8>, String),
    /// Nothing new yet: wait for the conversation to change (in this
    /// process), or read again (Redis, which waited already).
    Wait,
    /// The client has the whole answer: end the response.
    Finished,
    /// Write this (an error event), then end.
    Failed(Vec<u8>),
}

impl Delivery {
    /// The next events of the body, encoded; `None` at its end.
    async fn next_chunk(&mut self) -> Option<Bytes> {
        if let Some(head) = self.head.take() {
            return Some(head);
        }
        if self.ended {
            return None;
        }
        loop {
            let step = match &mut self.source {
                Source::Local {
                    conversation,
                    have,
                    changes,
                } => {
                    // Listening before the look at the conversation: a new
                    // event from then on wakes the wait below.
                    let changed = std::pin::pin!(changes.notified());
                    let step = Self::local_step(&self.app, conversation, have, &mut self.written);
                    if let Step::Wait = step {
                        // The adapter sends heartbeats while this waits.
                        changed.await;
                    }
                    step
                }
                Source::Redis(follower) => {
                    let (app, tag) = (&self.app, &self.tag);
                    follower.step(app, tag, &mut self.written).await
                }
            };
            match step {
                Step::Send(bytes) => return Some(bytes.into()),
                Step::Lost(mut bytes, id) => {
                    // As if the connection died while the event was on its
                    // way: half of it is written, then the response ends.
                    eprintln!(
                        "chat: {} dropping the connection after {} event(s), event {id} half written",
                        self.tag, self.written
                    );
                    self.ended = true;
                    bytes.truncate(bytes.len() / 2);
                    return Some(bytes.into());
                }
                Step::Finished => {
                    eprintln!("chat: {} answer delivered", self.tag);
                    self.ended = true;
                    return None;
                }
                Step::Failed(bytes) => {
                    self.ended = true;
                    return Some(bytes.into());
                }
                Step::Wait => {}
            }
        }
    }

    /// The next step of a stream of this process's `conversation`: the
    /// events the client does not have, at most `--drop-every` per
    /// connection.
    fn local_step(
        app: &App,
        conversation: &Mutex<Conversation>,
        have: &mut usize,
        written: &mut u64,
    ) -> Step {
        let drop_every = app.args.drop_every;
        let mut conversation = lock(conversation);
        conversation.touched = std::time::Instant::now();
        let generated = conversation.generated();
        if generated > *have {
            let mut out = Out::default();
            let drop_now = (drop_every > 0 && *written >= drop_every)
                || std::mem::take(&mut conversation.drop_requested);
            if drop_now {
                conversation.events_between(*have, *have + 1, &mut out);
                return Step::Lost(out.0, (*have + 1).to_string());
            }
            let room = match drop_every {
                0 => usize::MAX,
                n => usize::try_from(n - *written).unwrap_or(usize::MAX),
            };
            let upto = generated.min(have.saturating_add(room));
            conversation.events_between(*have, upto, &mut out);
            *written += (upto - *have) as u64;
            *have = upto;
            Step::Send(out.0)
        } else if conversation.finished() {
            Step::Finished
        } else {
            Step::Wait
        }
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        if !self.ended {
            eprintln!(
                "chat: {} client went away after {} event(s): stream closed",
                self.tag, self.written
            );
        }
    }
}

/// A growing byte buffer as an encoder [`Sink`].
#[derive(Default)]
struct Out(Vec<u8>);

impl Sink for Out {
    fn remaining(&self) -> usize {
        usize::MAX
    }
    fn put(&mut self, bytes: &[u8]) -> Result<(), sse_core::BufferTooSmall> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Conversations.

/// Asks for a conversation's answer once, and adds its events to the
/// conversation as the tokens come, to the end or a failure.
async fn answer(conversation: Arc<Mutex<Conversation>>, mut tokens: model::Tokens, tag: String) {
    loop {
        let next = tokens.next().await;
        let mut conversation = lock(&conversation);
        match next {
            Some(Ok(token)) => conversation.add_token(&token),
            Some(Err(failure)) => {
                eprintln!("chat: {tag} the answer failed: {failure}");
                return conversation.end(End::Failed(failure.to_string()));
            }
            None => return conversation.end(End::Done),
        }
    }
}

/// One question and its answer, as far as it has come.
struct Conversation {
    tokens: Answer,
    /// How the answer ended, once it has.
    end: Option<End>,
    /// The events so far, exactly as written: event `n` (id `n`) is token
    /// `n`, and event `tokens.len() + 1` is the end.
    history: History,
    /// The page's "Drop connection" button was pressed.
    drop_requested: bool,
    touched: std::time::Instant,
    /// Tells the streams of each new event.
    changed: Arc<Notify>,
}

/// How an answer ended: its last event.
enum End {
    /// `event: done`, with the whole answer.
    Done,
    /// `event: server-error`, with why.
    Failed(String),
}

impl Default for Conversation {
    fn default() -> Self {
        Self {
            tokens: Answer::default(),
            end: None,
            history: History::default(),
            drop_requested: false,
            touched: std::time::Instant::now(),
            changed: Arc::default(),
        }
    }
}

impl Conversation {
    /// The events so far.
    fn generated(&self) -> usize {
        self.tokens.len() + usize::from(self.end.is_some())
    }

    fn finished(&self) -> bool {
        self.end.is_some()
    }

    /// What tells a stream of the changes.
    fn changes(&self) -> Arc<Notify> {
        Arc::clone(&self.changed)
    }

    fn add_token(&mut self, token: &str) {
        self.tokens.push(token);
        self.keep();
    }

    fn end(&mut self, end: End) {
        self.end = Some(end);
        self.tokens.shrink_to_fit();
        self.keep();
    }

    /// Encodes event `n` (1-based) at the end of `out`.
    fn encode_event(&self, n: usize, out: &mut Out) {
        let id = n.to_string();
        // The example's event types and ids have no line break: encoding
        // cannot fail.
        match (self.tokens.get(n - 1), &self.end) {
            (Some(token), _) => {
                let message = Message::new().event_type("token").id(&id).data(token);
                encode_to(&message, out).ok();
            }
            // `done` carries the whole answer: written token by token, with
            // no copy of the answer in one string.
            (None, Some(End::Done)) => {
                let Ok(mut writer) =
                    EventWriter::begin(&Message::new().event_type("done").id(&id), out)
                else {
                    return;
                };
                for token in self.tokens.iter() {
                    writer.write(token, out).ok();
                }
                writer.finish(out).ok();
            }
            // With an id: a client that has it gets `204`, as after `done`.
            (None, Some(End::Failed(why))) => {
                let message = Message::new().event_type("server-error").id(&id).data(why);
                encode_to(&message, out).ok();
            }
            (None, None) => {}
        }
    }

    /// Keeps the newest event in the history, and tells the streams.
    fn keep(&mut self) {
        let n = self.generated();
        let mut out = Out::default();
        self.encode_event(n, &mut out);
        let kept = self.history.push(&n.to_string(), &out.0);
        // The small history is full: a whole one, with every event again.
        let kept = match kept {
            Ok(false) => {
                let events: Vec<_> = (1..=n)
                    .map(|k| {
                        let mut event = Out::default();
                        self.encode_event(k, &mut event);
                        (k.to_string(), event.0)
                    })
                    .collect();
                self.history.grow(events)
            }
            Ok(true) => Ok(()),
            Err(e) => Err(e),
        };
        if let Err(e) = kept {
            eprintln!("chat: event {n} not kept for replay: {e}");
        }
        self.changed.notify_waiters();
    }

    /// Events `have + 1..=upto`, from the history when it holds them, or
    /// encoded again.
    fn events_between(&self, have: usize, upto: usize, out: &mut Out) {
        let replay = if have == 0 {
            (self.history.oldest_id() == Some("1")).then(|| self.history.iter())
        } else {
            match self.history.replay_after(&have.to_string()) {
                Replay::Events(events) => Some(events),
                _ => None,
            }
        };
        match replay {
            Some(events) => events
                .take(upto - have)
                .for_each(|bytes| out.0.extend_from_slice(bytes)),
            None => (have + 1..=upto).for_each(|n| self.encode_event(n, out)),
        }
    }
}

// ---------------------------------------------------------------------------
// The fake "AI": an answer made up from the question, the same every time.

/// Sentences to pick from; `|` marks a token boundary without a space.
const SENTENCES: [&str; 9] = [
    " Server-Sent Events carry text over one long HTTP response, and the browser's EventSource reconnects by itself.",
    " Every token you see is one event: \"event: token\", an id, and the text as data.",
    " When the connection drops, the browser sends Last-Event-ID and the server replays exactly what was lost.",
    " A comment line (a lone colon) every few seconds keeps proxies from closing an idle stream.",
    " The retry field tells the browser how long to wait before it reconnects.",
    " Nothing in sse-core allocates: the replay buffer is a fixed ring of bytes.",
    " Heartbeats are comments, so this page never sees them, but every proxy on the way does.",
    " Plain old HTTP/1.1 is enough: no WebSocket, no polling, no library in the browser.",
    " The server does no I/O in sse-core itself; this example brings the sockets and the clock.",
];

/// Sentences that are always in the answer: they exercise the encoder.
const ALWAYS: [&str; 3] = [
    " Unicode passes through untouched: 日本|語|の|テキスト, 中文|字符, 한국어 and emoji like 🚀|✨|🎉.",
    " Quotes need no escaping: “curly”, \"straight\", 'single' and «angled».",
    " The encoder splits data at line breaks,\nso a token with a newline\ntravels as two data lines.",
];

/// The answer to `question`, as tokens: 40 to 120 of them.
fn answer_tokens(question: &str) -> Vec<String> {
    let quoted = quote(question);
    let mut seed = fnv1a(quoted.as_bytes());
    let mut tokens = Vec::new();
    tokenize("You asked:", &mut tokens);
    tokenize_user(&quoted, &mut tokens);
    tokenize(
        "\nHere is a made-up answer, streamed to you one token per event.",
        &mut tokens,
    );
    // The optional sentences in an order that depends on the question.
    let mut order: Vec<&str> = SENTENCES.to_vec();
    for i in (1..order.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        order.swap(i, (seed >> 33) as usize % (i + 1));
    }
    let wanted = 60 + (seed >> 40) as usize % 30;
    let mut sentences: Vec<&str> = ALWAYS.to_vec();
    let mut count = tokens.len() + sentences.iter().map(|s| token_count(s)).sum::<usize>() + 4;
    for sentence in order {
        if count >= wanted {
            break;
        }
        count += token_count(sentence);
        sentences.push(sentence);
    }
    for i in (1..sentences.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        sentences.swap(i, (seed >> 33) as usize % (i + 1));
    }
    for sentence in sentences {
        tokenize(sentence, &mut tokens);
    }
    tokenize("\nHope that helps! 👋", &mut tokens);
    tokens
}

/// The question as the answer quotes it: one line, at most 80 characters.
fn quote(question: &str) -> String {
    format!(" “{}”.", one_line(question, 80))
}

/// `text` on one line (its whitespace runs as single spaces), without
/// control characters, cut to `max_chars` characters and `…`: a client's
/// question as the made-up answer quotes it, a model server's error as the
/// log and the browser are shown it.
fn one_line(text: &str, max_chars: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let line: String = words
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let mut cut: String = line.chars().take(max_chars).collect();
    if cut.len() < line.len() {
        cut.push('…');
    }
    cut
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn token_count(text: &str) -> usize {
    let mut tokens = Vec::new();
    tokenize(text, &mut tokens);
    tokens.len()
}

/// Splits text into tokens: a new token starts at each space (which it
/// keeps, as language models' tokens do) and at each `|` (which is removed).
/// A line break stays inside its token.
fn tokenize(text: &str, tokens: &mut Vec<String>) {
    let mut current = String::new();
    for c in text.chars() {
        if (c == ' ' || c == '|') && !current.is_empty() && !current.ends_with(' ') {
            tokens.push(std::mem::take(&mut current));
        }
        if c != '|' {
            current.push(c);
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
}

/// Like [`tokenize`], without `|` markers, and cutting long words into
/// pieces of at most six characters.
fn tokenize_user(text: &str, tokens: &mut Vec<String>) {
    let mut words = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if c == ' ' && !current.is_empty() && !current.ends_with(' ') {
            words.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    words.push(current);
    for word in words {
        let chars: Vec<char> = word.chars().collect();
        for piece in chars.chunks(if chars.len() > 12 { 6 } else { 13 }) {
            tokens.push(piece.iter().collect());
        }
    }
}
