//! `tail URL`: follows a Server-Sent Events stream like a browser's
//! `EventSource`, with HTTP by reqwest (TLS through rustls) and the
//! `EventSource` state machine by [`sse_core::client::Client`].
//!
//! Events go to stdout as JSON Lines, one per event, in the same format as
//! the `decode` example (`{"type","data","last_event_id"}`, `{"retry"}`,
//! `{"error"}`, and with `--comments` `{"comment"}`); ready-state changes,
//! redirects and reconnection delays go to stderr. It follows `retry`, sends
//! `Last-Event-ID` on reconnection, stops for good on a non-200 status (204
//! included) or a wrong content type, and reconnects after the body ends,
//! the connection drops, or (with `--read-timeout-ms`) nothing arrives for a
//! while.
//!
//! ```text
//! cargo run --release -p sse-core-examples --example tail -- http://127.0.0.1:8080/stream?q=hi
//! # an LLM API that streams its answer to a POST:
//! cargo run --release -p sse-core-examples --example tail -- -X POST \
//!     -H 'Authorization: Bearer ...' -H 'Content-Type: application/json' \
//!     -d '{"stream": true, ...}' https://api.example.com/v1/chat
//! ```
//!
//! The same request (method, headers, body) is sent again on every
//! reconnection, as an `EventSource` would; `--once` never reconnects, and
//! `--exit-on-data '[DONE]'` stops at a model API's end marker, so that a
//! paid question is asked once:
//!
//! ```text
//! cargo run --release -p sse-core-examples --example tail -- --once --exit-on-data '[DONE]' \
//!     -H "Authorization: Bearer $OPENAI_API_KEY" -H 'Content-Type: application/json' \
//!     -d '{"model": "gpt-4o-mini", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}' \
//!     https://api.openai.com/v1/chat/completions
//! ```
//!
//! Otherwise the stream is followed until it closes for good. Redirects (301, 302, 303, 307, 308) are followed at once as
//! `fetch` follows them (a 303, and a 301 or 302 of a POST, become a GET
//! without body; credentials are not sent to another origin), and a
//! reconnection goes to the last redirect target. A redirect with an empty
//! or non-HTTP `Location`, or more than 20 in a row, fails the stream (exit
//! status 1). `--help` lists the options.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use futures_util::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use sse_core::client::{Client, Output, ReadyState, Reconnect};
use sse_core::stream::{EventStream, StreamError};
use sse_core::{Decoder, EndOfBody, HeapBuffers, Instant, Limits, OwnedItem, Storage};
use sse_core_examples::error_chain;

/// The options.
#[derive(Parser, Debug)]
#[command(
    name = "tail",
    about = "Follows a Server-Sent Events stream like EventSource; prints one JSON line per event"
)]
struct Args {
    /// The stream: an http:// or https:// URL.
    url: Url,
    /// A request header, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
    headers: Vec<(HeaderName, HeaderValue)>,
    /// The request method [default: GET, or POST with -d].
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    method: Option<Method>,
    /// The request body, sent again on every reconnection.
    #[arg(short = 'd', long = "data", value_name = "BODY")]
    data: Option<String>,
    /// Resume after this event id: the first request sends it as Last-Event-ID.
    #[arg(long, value_name = "ID", value_parser = parse_id)]
    last_event_id: Option<String>,
    /// Reconnection time until the stream sends `retry`, in milliseconds.
    #[arg(long, value_name = "N", default_value_t = 3000)]
    retry_ms: u64,
    /// Reconnect when nothing at all (heartbeats included) arrives for N
    /// milliseconds [default: wait forever].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    read_timeout_ms: Option<u64>,
    /// Print comments (heartbeats included) as {"comment": text} lines.
    #[arg(long)]
    comments: bool,
    /// The longest event data (and comment) accepted, in bytes; a longer
    /// event is dropped with an {"error"} line.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    max_data: usize,
    /// Stop after the first event of this type.
    #[arg(long, value_name = "TYPE")]
    exit_on: Option<String>,
    /// Stop after the first event whose data is exactly TEXT (e.g. `[DONE]`).
    #[arg(long, value_name = "TEXT")]
    exit_on_data: Option<String>,
    /// Do not reconnect: exit when the body ends, with status 0 after a
    /// clean end (or a 204) and 1 on any failure (an error status, a broken
    /// connection, a body that ends in the middle of an event). For a request that must
    /// not be sent twice, such as a paid model's answer.
    #[arg(long)]
    once: bool,
    /// Stop after N events.
    #[arg(long, value_name = "N")]
    max_events: Option<u64>,
}

fn parse_header(text: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = text.split_once(':').ok_or("a header is `Name: value`")?;
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|e| e.to_string())?;
    if name.as_str() == "last-event-id" {
        return Err("use --last-event-id: the id changes as events arrive".into());
    }
    let value = HeaderValue::from_str(value.trim()).map_err(|e| e.to_string())?;
    Ok((name, value))
}

fn parse_id(id: &str) -> Result<String, String> {
    if id.contains(['\r', '\n', '\0']) {
        return Err("an event id has no CR, LF or NUL".into());
    }
    Ok(id.to_string())
}

/// The longest event type and id accepted.
const MAX_EVENT_TYPE: usize = 256;
const MAX_ID: usize = 1024;
/// Redirects followed in a row, as `fetch` does.
const MAX_REDIRECTS: usize = 20;

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("tail: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("tail: {message}");
            ExitCode::from(2)
        }
    }
}

/// The request, as `fetch` keeps it across redirects and reconnections.
struct Request {
    url: Url,
    method: Method,
    /// The user's headers.
    headers: HeaderMap,
    body: Option<String>,
}

/// Why a request brought no response to hand to the client.
enum FetchError {
    /// Refused, reset, TLS, a timeout: reconnect.
    Network(String),
    /// A redirect that cannot be followed: fail.
    Redirect(String),
}

async fn run(args: Args) -> Result<ExitCode, String> {
    if !matches!(args.url.scheme(), "http" | "https") {
        return Err(format!("{}: not an http:// or https:// URL", args.url));
    }
    // rustls with ring: no C library to install.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot set up HTTP: {}", error_chain(&e)))?;

    // The decoder's buffers on the heap, grown as events need, up to the
    // limits.
    let limits = Limits::new()
        .max_event_type(MAX_EVENT_TYPE)
        .max_id(MAX_ID)
        .max_data(args.max_data);
    let mut decoder = Decoder::with_storage(HeapBuffers::new(limits)).with_comments(args.comments);
    if let Some(id) = &args.last_event_id {
        decoder
            .set_last_event_id(id)
            .map_err(|e| format!("--last-event-id: {e}"))?;
    }
    let mut client = Client::new(decoder, Reconnect::new().initial_ms(args.retry_ms));
    let read_timeout = args.read_timeout_ms.map(Duration::from_millis);
    let mut request = Request {
        url: args.url.clone(),
        method: args.method.clone().unwrap_or(if args.data.is_some() {
            Method::POST
        } else {
            Method::GET
        }),
        headers: args.headers.iter().cloned().collect(),
        body: args.data.clone(),
    };
    let clock = std::time::Instant::now();
    let now =
        || Instant::from_millis(u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX));
    let mut printer = Printer::new(&args);
    let mut state = ReadyState::Connecting;
    eprintln!("tail: CONNECTING");

    loop {
        let connect = pump(&mut client, &mut state);
        if state == ReadyState::Closed {
            return Ok(ExitCode::SUCCESS);
        }
        if let Some(at) = client.poll_timeout() {
            tokio::time::sleep(Duration::from_millis(at.millis_since(now()))).await;
            client.handle_timeout(now());
            continue;
        }
        if !connect {
            continue;
        }
        let response = match fetch(&http, &mut request, &client, read_timeout).await {
            Ok(response) => response,
            Err(FetchError::Network(message)) => {
                eprintln!("tail: {message}");
                if args.once {
                    return Ok(ExitCode::FAILURE);
                }
                client.handle_network_error(now());
                continue;
            }
            Err(FetchError::Redirect(message)) => {
                eprintln!("tail: failed: {message}");
                client.close();
                pump(&mut client, &mut state);
                return Ok(ExitCode::FAILURE);
            }
        };
        let content_type = response.headers().get(header::CONTENT_TYPE);
        let status = response.status();
        client.handle_response(status.as_u16(), content_type.map(HeaderValue::as_bytes));
        pump(&mut client, &mut state);
        if client.ready_state() != ReadyState::Open {
            if args.once {
                // 204 is the server's "no more": not a failure.
                let done = status == StatusCode::NO_CONTENT;
                return Ok(if done {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                });
            }
            continue;
        }
        match printer.body(&mut client, response, read_timeout).await? {
            BodyEnd::Stop => return Ok(ExitCode::SUCCESS),
            BodyEnd::Clean if args.once => return Ok(ExitCode::SUCCESS),
            BodyEnd::Cut if args.once => {
                eprintln!("tail: the body ended in the middle of an event");
                return Ok(ExitCode::FAILURE);
            }
            BodyEnd::Clean | BodyEnd::Cut => client.handle_end_of_body(now()),
            BodyEnd::Failed(message) => {
                eprintln!("tail: {message}");
                if args.once {
                    return Ok(ExitCode::FAILURE);
                }
                client.handle_network_error(now());
            }
        }
    }
}

/// Sends `request` with the client's headers, following redirects (and
/// updating `request` as it goes); returns the final response.
async fn fetch<S: Storage>(
    http: &reqwest::Client,
    request: &mut Request,
    client: &Client<S>,
    read_timeout: Option<Duration>,
) -> Result<reqwest::Response, FetchError> {
    let mut headers = HeaderMap::new();
    for (name, value) in client.request_headers() {
        match HeaderValue::from_bytes(value.as_bytes()) {
            Ok(value) => {
                headers.insert(name, value);
            }
            Err(_) => eprintln!("tail: {name} {value:?} cannot be sent in a header: left out"),
        }
    }
    for redirects in 0.. {
        // The user's headers win over the client's, except Last-Event-ID.
        let mut all = headers.clone();
        all.extend(request.headers.clone());
        let mut builder = http
            .request(request.method.clone(), request.url.clone())
            .headers(all);
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let response = within(read_timeout, builder.send())
            .await
            .ok_or_else(|| {
                FetchError::Network(format!(
                    "{}: no response in {} ms",
                    request.url,
                    read_timeout.unwrap_or_default().as_millis()
                ))
            })?
            .map_err(|e| FetchError::Network(error_chain(&e)))?;
        let status = response.status();
        if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
            return Ok(response);
        }
        // Without a Location, a redirect is the final response (and fails:
        // it is not 200).
        let Some(location) = response.headers().get(header::LOCATION) else {
            return Ok(response);
        };
        let target = location
            .to_str()
            .ok()
            .filter(|l| !l.trim().is_empty())
            .and_then(|l| request.url.join(l.trim()).ok())
            .filter(|url| matches!(url.scheme(), "http" | "https"));
        let Some(target) = target else {
            return Err(FetchError::Redirect(format!(
                "{}: {status} redirect to {location:?}: not an HTTP URL",
                request.url
            )));
        };
        if redirects == MAX_REDIRECTS {
            return Err(FetchError::Redirect(format!(
                "{}: more than {MAX_REDIRECTS} redirects",
                request.url
            )));
        }
        eprintln!("tail: {status} redirect to {target}");
        follow(request, status, target);
    }
    unreachable!("the loop returns")
}

/// Updates `request` for a redirect to `target`, as `fetch` does.
fn follow(request: &mut Request, status: StatusCode, target: Url) {
    let to_get = (matches!(status.as_u16(), 301 | 302) && request.method == Method::POST)
        || (status == StatusCode::SEE_OTHER
            && request.method != Method::GET
            && request.method != Method::HEAD);
    if to_get {
        request.method = Method::GET;
        request.body = None;
        for name in [
            header::CONTENT_ENCODING,
            header::CONTENT_LANGUAGE,
            header::CONTENT_LOCATION,
            header::CONTENT_TYPE,
        ] {
            request.headers.remove(name);
        }
    }
    if target.origin() != request.url.origin() {
        for name in [
            header::AUTHORIZATION,
            header::COOKIE,
            header::PROXY_AUTHORIZATION,
        ] {
            request.headers.remove(name);
        }
    }
    request.url = target;
}

/// `future`, or `None` when `limit` passes first.
async fn within<F: Future>(limit: Option<Duration>, future: F) -> Option<F::Output> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, future).await.ok(),
        None => Some(future.await),
    }
}

/// How a body ended.
enum BodyEnd {
    /// `--exit-on`, `--exit-on-data` or `--max-events` was met.
    Stop,
    Clean,
    /// The body ended in the middle of an event (dropped, R34).
    Cut,
    Failed(String),
}

#[derive(Serialize)]
struct EventLine<'a> {
    #[serde(rename = "type")]
    event_type: &'a str,
    data: &'a str,
    last_event_id: &'a str,
}

/// Writes what the client decodes as JSON Lines.
struct Printer {
    exit_on: Option<String>,
    exit_on_data: Option<String>,
    max_events: u64,
    events: u64,
    max_comment: usize,
    /// The comment line being read, while it arrives in pieces.
    comment: Vec<u8>,
    /// Whether it was longer than `max_comment`.
    comment_too_long: bool,
}

impl Printer {
    fn new(args: &Args) -> Self {
        Self {
            exit_on: args.exit_on.clone(),
            exit_on_data: args.exit_on_data.clone(),
            max_events: args.max_events.unwrap_or(u64::MAX),
            events: 0,
            max_comment: args.max_data,
            comment: Vec::new(),
            comment_too_long: false,
        }
    }

    /// Decodes the body with the client's decoder, through sse-core's
    /// stream adapter, and prints the items.
    async fn body(
        &mut self,
        client: &mut Client<HeapBuffers>,
        response: reqwest::Response,
        read_timeout: Option<Duration>,
    ) -> Result<BodyEnd, String> {
        self.comment.clear();
        self.comment_too_long = false;
        // The body's chunks, failing when none comes for `read_timeout`.
        let chunks = futures_util::stream::unfold(response, move |mut response| async move {
            let chunk = match within(read_timeout, response.chunk()).await {
                None => Err(format!(
                    "nothing received for {} ms",
                    read_timeout.unwrap_or_default().as_millis()
                )),
                Some(Err(e)) => Err(error_chain(&e)),
                Some(Ok(chunk)) => Ok(chunk?),
            };
            Some((chunk, response))
        });
        // The decoder goes to the adapter for this body and comes back with
        // the last event ID and `retry` for the client's reconnection (R35).
        let decoder = std::mem::replace(
            client.decoder_mut(),
            Decoder::with_storage(HeapBuffers::new(Limits::new())),
        );
        let mut items = EventStream::with_decoder(chunks, decoder);
        let end = self.print_items(&mut items).await;
        *client.decoder_mut() = items.into_decoder();
        end
    }

    /// Prints the items of one body.
    async fn print_items<S>(&mut self, items: &mut EventStream<S>) -> Result<BodyEnd, String>
    where
        EventStream<S>: futures_util::Stream<Item = Result<OwnedItem, StreamError<String>>>,
        S: futures_util::TryStream,
    {
        let stdout = std::io::stdout();
        while let Some(item) = items.next().await {
            let line = match item {
                Ok(OwnedItem::Event(event)) => {
                    self.events += 1;
                    let stop = self.exit_on.as_deref() == Some(&event.event_type)
                        || self.exit_on_data.as_deref() == Some(&event.data)
                        || self.events >= self.max_events;
                    let line = serde_json::to_string(&EventLine {
                        event_type: &event.event_type,
                        data: &event.data,
                        last_event_id: &event.last_event_id,
                    });
                    print(&mut stdout.lock(), &line.map_err(|e| e.to_string())?)?;
                    if stop {
                        return Ok(BodyEnd::Stop);
                    }
                    continue;
                }
                Ok(OwnedItem::Retry(ms)) => serde_json::json!({ "retry": ms }),
                Ok(OwnedItem::Comment { text, end_of_line }) => {
                    let room = self.max_comment.saturating_sub(self.comment.len());
                    self.comment_too_long |= text.len() > room;
                    self.comment
                        .extend_from_slice(&text[..text.len().min(room)]);
                    if !end_of_line {
                        continue;
                    }
                    let line = if std::mem::take(&mut self.comment_too_long) {
                        serde_json::json!({ "error": format!(
                            "comment longer than the limit of {} bytes", self.max_comment
                        ) })
                    } else {
                        serde_json::json!({ "comment": String::from_utf8_lossy(&self.comment) })
                    };
                    self.comment.clear();
                    line
                }
                Ok(_) => continue,
                Err(StreamError::Decode(error)) => {
                    serde_json::json!({ "error": error.to_string() })
                }
                Err(StreamError::Body(message)) => return Ok(BodyEnd::Failed(message)),
                Err(error) => return Ok(BodyEnd::Failed(error.to_string())),
            };
            print(&mut stdout.lock(), &line.to_string())?;
        }
        Ok(match items.end_of_body() {
            Some(EndOfBody::Discarded) => BodyEnd::Cut,
            _ => BodyEnd::Clean,
        })
    }
}

fn print(out: &mut impl Write, line: &str) -> Result<(), String> {
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(|e| format!("write: {e}"))
}

/// Drains the client's outputs, reporting them and any ready-state change on
/// stderr; returns whether it asked to connect.
fn pump<S: Storage>(client: &mut Client<S>, state: &mut ReadyState) -> bool {
    let mut connect = false;
    while let Some(output) = client.poll_output() {
        match output {
            Output::Connect => connect = true,
            Output::Reconnecting { delay_ms, .. } => {
                eprintln!("tail: reconnecting in {delay_ms} ms");
            }
            Output::Failed(reason) => eprintln!("tail: failed: {reason}"),
            _ => {}
        }
    }
    if client.ready_state() != *state {
        *state = client.ready_state();
        eprintln!("tail: {}", state_name(*state));
    }
    connect
}

fn state_name(state: ReadyState) -> &'static str {
    match state {
        ReadyState::Connecting => "CONNECTING",
        ReadyState::Open => "OPEN",
        ReadyState::Closed => "CLOSED",
    }
}
