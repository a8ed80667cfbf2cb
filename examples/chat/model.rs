//! Where answers come from: made up from the question (the default), or an
//! OpenAI-compatible chat-completions endpoint (`--upstream URL --model
//! NAME`: OpenAI, or a local Ollama, llama.cpp, vLLM or LM Studio server).
//!
//! Either way an answer is a stream of tokens that ends with the answer or
//! with a [`Failure`](crate::model::Failure). The conversations (in this process or in Redis) ask
//! for each answer once and keep what it gave.
//!
//! Upstream, the question is `POST`ed to `URL/chat/completions` with
//! `"stream": true`; the response, itself an event stream, is decoded by
//! sse-core's client adapter ([`EventStream`](sse_core::stream::EventStream)) with small limits, and each
//! chunk's `choices[0].delta.content` is a token. `data: [DONE]` or a
//! `finish_reason` ends the answer. The API key comes from an environment
//! variable (`--api-key-env`, `OPENAI_API_KEY` by default), goes out only
//! in the `Authorization` header, and is never printed.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use reqwest::header::{self, HeaderValue};
use serde::Deserialize;
use sse_core::stream::{EventStream, StreamError};
use sse_core::{Limits, OwnedItem};
use sse_core_examples::error_chain;

use crate::guard::{Gauge, Slot};
use crate::history::Answer;
use crate::{answer_tokens, one_line};

/// The longest answer kept, in tokens and in bytes: beyond either the
/// answer ends with [`Failure::TooLong`]. A made-up answer has at most 120
/// tokens of a few KiB.
pub(crate) const MAX_ANSWER_TOKENS: usize = 4096;
pub(crate) const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The decoder's limits on the upstream's events: a chat-completion chunk
/// is a few hundred bytes.
const UPSTREAM_LIMITS: Limits = Limits::new()
    .max_data(64 * 1024)
    .max_event_type(64)
    .max_id(256);

/// How long a connection to the upstream may take, and the longest silence
/// in its response.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// The most of an error status's body shown, in characters.
const ERROR_EXCERPT: usize = 200;

/// The options that choose the model.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct ModelArgs {
    /// Answer with a model: the base URL of an OpenAI-compatible API (e.g.
    /// `http://127.0.0.1:11434/v1` for Ollama, `https://api.openai.com/v1`).
    /// Without it the answers are made up.
    #[arg(long, value_name = "URL", requires = "model")]
    upstream: Option<reqwest::Url>,
    /// The model to ask (e.g. llama3.2, gpt-4o-mini); with --upstream.
    #[arg(long, value_name = "NAME", requires = "upstream")]
    model: Option<String>,
    /// The environment variable that holds the API key sent upstream as
    /// `Authorization: Bearer KEY` (none is sent when it is unset or empty).
    #[arg(long, value_name = "VAR", default_value = "OPENAI_API_KEY")]
    api_key_env: String,
    /// Answers asked of the model at once, at most (each new question is a
    /// call); a new question beyond them gets `503` with `Retry-After`
    /// (with --redis, its answer waits for a call to end).
    #[arg(long, value_name = "N", default_value_t = 64,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_model_calls: u64,
}

/// Where answers come from.
pub(crate) enum Model {
    /// Made up from the question: the first token at once, then one every
    /// `delay`.
    MadeUp { delay: Duration },
    /// Asked of an OpenAI-compatible API.
    Upstream(Upstream),
}

/// An OpenAI-compatible chat-completions endpoint.
pub(crate) struct Upstream {
    /// The calls in flight, at most `max_calls`.
    calls: Arc<Gauge>,
    max_calls: u64,
    http: reqwest::Client,
    /// `URL/chat/completions`.
    url: reqwest::Url,
    model: String,
    /// `Bearer KEY`, marked sensitive.
    authorization: Option<HeaderValue>,
}

/// An answer's tokens, then its end: `None` after the last token, or one
/// `Err` when it failed.
pub(crate) type Tokens = Pin<Box<dyn Stream<Item = Result<String, Failure>> + Send>>;

/// Why an answer stopped before its end, as the browser is told in a
/// `server-error` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The upstream could not be reached (refused, DNS, TLS, timeout).
    Unreachable(String),
    /// It answered with an error status; the start of its body.
    Status(u16, String),
    /// The response broke off before the answer's end.
    Broken(String),
    /// A chunk that is not a chat-completion chunk.
    Malformed(String),
    /// An event over the decoder's limits.
    OverLimit(String),
    /// The model reported an error in the stream.
    Model(String),
    /// Longer than [`MAX_ANSWER_TOKENS`] or [`MAX_ANSWER_BYTES`].
    TooLong,
    /// Another instance asked the model for this answer and stopped before
    /// its end (`--redis`): asking again would be a second call.
    Cut,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreachable(e) => write!(f, "the model's server cannot be reached: {e}"),
            Self::Status(status, body) => {
                write!(f, "the model's server answered {status}")?;
                if !body.is_empty() {
                    write!(f, ": {body}")?;
                }
                Ok(())
            }
            Self::Broken(e) => write!(f, "the model's answer broke off: {e}"),
            Self::Malformed(e) => write!(f, "the model sent a malformed chunk: {e}"),
            Self::OverLimit(e) => write!(f, "the model sent an event over the limits: {e}"),
            Self::Model(e) => write!(f, "the model reported an error: {e}"),
            Self::TooLong => write!(
                f,
                "the answer is longer than this server keeps ({MAX_ANSWER_TOKENS} tokens, \
                 {MAX_ANSWER_BYTES} bytes)"
            ),
            Self::Cut => write!(
                f,
                "the server that asked the model stopped before the answer's end"
            ),
        }
    }
}

impl Model {
    /// The model `args` choose, or an error for the command line.
    pub(crate) fn new(args: &ModelArgs, token_delay: Duration) -> Result<Self, String> {
        let (Some(base), Some(model)) = (&args.upstream, &args.model) else {
            return Ok(Self::MadeUp { delay: token_delay });
        };
        if !matches!(base.scheme(), "http" | "https") {
            return Err(format!("--upstream {base}: not an http:// or https:// URL"));
        }
        let mut url = base.clone();
        url.path_segments_mut()
            .map_err(|()| format!("--upstream {base}: not a base URL"))?
            .pop_if_empty()
            .extend(["chat", "completions"]);
        let authorization = match std::env::var(&args.api_key_env) {
            Ok(key) if !key.is_empty() => {
                let mut value = HeaderValue::try_from(format!("Bearer {key}")).map_err(|_| {
                    format!(
                        "${}: not a valid API key (a header value)",
                        args.api_key_env
                    )
                })?;
                value.set_sensitive(true);
                Some(value)
            }
            _ => None,
        };
        // rustls with ring: no C library to install.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot set up HTTP: {}", error_chain(&e)))?;
        Ok(Self::Upstream(Upstream {
            calls: Arc::default(),
            max_calls: args.max_model_calls,
            http,
            url,
            model: model.clone(),
            authorization,
        }))
    }

    /// The model's name, for the page; `None` for made-up answers.
    pub(crate) fn name(&self) -> Option<&str> {
        match self {
            Self::MadeUp { .. } => None,
            Self::Upstream(upstream) => Some(&upstream.model),
        }
    }

    /// The calls to the model in flight (for `/stats`).
    pub(crate) fn calls(&self) -> Option<&Gauge> {
        match self {
            Self::MadeUp { .. } => None,
            Self::Upstream(upstream) => Some(&upstream.calls),
        }
    }

    /// Leave to start an answer: `None` while `--max-model-calls` answers
    /// are being asked of the model. Made-up answers need none.
    pub(crate) fn permit(&self) -> Option<Permit> {
        match self {
            Self::MadeUp { .. } => Some(Permit { _slot: None }),
            Self::Upstream(upstream) => upstream
                .calls
                .open(upstream.max_calls)
                .map(|slot| Permit { _slot: Some(slot) }),
        }
    }

    /// Where the answers come from, for the log.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::MadeUp { .. } => "made up by this server".into(),
            Self::Upstream(upstream) => format!("{} at {}", upstream.model, upstream.url),
        }
    }

    /// The answer to `question` from its token `from` (0 for all of it),
    /// holding `permit` until its end. An upstream answer cannot start in
    /// its middle: from 1 on it is [`Failure::Cut`].
    pub(crate) fn answer(&self, question: &str, from: usize, permit: Permit) -> Tokens {
        let tokens: Tokens = match self {
            // The first token at once, then one every `delay`; the tokens
            // wait in one string.
            Self::MadeUp { delay } => {
                let delay = *delay;
                let mut answer = Answer::default();
                answer_tokens(question).iter().for_each(|t| answer.push(t));
                answer.shrink_to_fit();
                futures_util::stream::unfold((answer, from), move |(answer, i)| async move {
                    let token = answer.get(i)?.to_owned();
                    if i > from {
                        tokio::time::sleep(delay).await;
                    }
                    Some((Ok(token), (answer, i + 1)))
                })
                .boxed()
            }
            Self::Upstream(_) if from > 0 => {
                futures_util::stream::iter([Err(Failure::Cut)]).boxed()
            }
            Self::Upstream(upstream) => upstream.ask(question),
        };
        bounded(tokens, permit)
    }
}

/// Leave to ask the model for one answer (see [`Model::permit`]), held by
/// the answer's tokens until they end.
pub(crate) struct Permit {
    _slot: Option<Slot>,
}

/// `tokens`, ended by [`Failure::TooLong`] when they outgrow the bounds, and
/// ending after their first failure, when `permit` is given back.
fn bounded(tokens: Tokens, permit: Permit) -> Tokens {
    let start = (tokens, 0, 0, Some(permit));
    futures_util::stream::unfold(start, |(mut tokens, count, bytes, permit)| async move {
        permit.as_ref()?;
        let Some(next) = tokens.next().await else {
            drop(permit);
            return None;
        };
        match next {
            Ok(token) => {
                let (count, bytes) = (count + 1, bytes + token.len());
                if count > MAX_ANSWER_TOKENS || bytes > MAX_ANSWER_BYTES {
                    return Some((Err(Failure::TooLong), (tokens, count, bytes, None)));
                }
                Some((Ok(token), (tokens, count, bytes, permit)))
            }
            Err(failure) => Some((Err(failure), (tokens, count, bytes, None))),
        }
    })
    .boxed()
}

/// One chat-completion chunk, as far as the answer needs it; a field may
/// be missing or `null`.
#[derive(Deserialize)]
struct Chunk {
    choices: Option<Vec<Choice>>,
    error: Option<ErrorBody>,
}

#[derive(Deserialize)]
struct Choice {
    delta: Option<Delta>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    content: Option<String>,
}

/// `{"error": {"message": ...}}`, in a chunk or an error status's body.
#[derive(Deserialize)]
struct ErrorBody {
    message: Option<String>,
}

#[derive(Deserialize)]
struct ErrorResponse {
    error: ErrorBody,
}

/// What a chunk says.
enum Said {
    /// A piece of the answer (possibly empty), and whether it was the last.
    Content(String, bool),
    /// The end: `[DONE]`.
    Done,
}

/// Reads one chunk's data.
fn read_chunk(data: &str) -> Result<Said, Failure> {
    if data == "[DONE]" {
        return Ok(Said::Done);
    }
    let chunk: Chunk = serde_json::from_str(data).map_err(|e| Failure::Malformed(e.to_string()))?;
    if let Some(error) = chunk.error {
        return Err(Failure::Model(excerpt(
            error.message.as_deref().unwrap_or("no message"),
        )));
    }
    let Some(choice) = chunk.choices.into_iter().flatten().next() else {
        // A chunk with usage only, or keep-alive.
        return Ok(Said::Content(String::new(), false));
    };
    Ok(Said::Content(
        choice.delta.and_then(|d| d.content).unwrap_or_default(),
        choice.finish_reason.is_some(),
    ))
}

/// At most [`ERROR_EXCERPT`] characters of `text`, on one line, without
/// control characters (it goes to the log and to the browser).
fn excerpt(text: &str) -> String {
    one_line(text, ERROR_EXCERPT)
}

/// An upstream response's body.
type Body = futures_util::stream::BoxStream<'static, reqwest::Result<axum::body::Bytes>>;

/// Where an upstream answer is.
enum Ask {
    /// Not asked yet.
    Start(Box<reqwest::RequestBuilder>),
    /// The response's events.
    Reading(Box<EventStream<Body>>),
    /// Ended or failed.
    Over,
}

impl Upstream {
    /// Asks the model `question`, with `"stream": true`.
    fn ask(&self, question: &str) -> Tokens {
        let body = serde_json::json!({
            "model": self.model,
            "stream": true,
            "messages": [{ "role": "user", "content": question }],
        });
        let mut request = self
            .http
            .post(self.url.clone())
            .header(header::ACCEPT, "text/event-stream")
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(authorization) = &self.authorization {
            request = request.header(header::AUTHORIZATION, authorization.clone());
        }
        futures_util::stream::unfold(Ask::Start(Box::new(request)), |mut ask| async move {
            loop {
                match ask {
                    Ask::Over => return None,
                    Ask::Start(request) => match start(*request).await {
                        Ok(events) => ask = Ask::Reading(Box::new(events)),
                        Err(failure) => return Some((Err(failure), Ask::Over)),
                    },
                    Ask::Reading(mut events) => match next_token(&mut events).await {
                        Some(Ok((token, last))) => {
                            let next = if last {
                                Ask::Over
                            } else {
                                Ask::Reading(events)
                            };
                            if !token.is_empty() {
                                return Some((Ok(token), next));
                            }
                            ask = next;
                        }
                        Some(Err(failure)) => return Some((Err(failure), Ask::Over)),
                        None => return None,
                    },
                }
            }
        })
        .boxed()
    }
}

/// Sends the request; the response's events when its status is a success.
async fn start(request: reqwest::RequestBuilder) -> Result<EventStream<Body>, Failure> {
    let response = request
        .send()
        .await
        .map_err(|e| Failure::Unreachable(error_chain(&e.without_url())))?;
    let status = response.status();
    if !status.is_success() {
        // The error's message when the body is OpenAI's error object,
        // else the start of the body.
        let body = tokio::time::timeout(CONNECT_TIMEOUT, response.text())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        let message = match serde_json::from_str::<ErrorResponse>(&body) {
            Ok(ErrorResponse {
                error: ErrorBody { message: Some(m) },
            }) => m,
            _ => body,
        };
        return Err(Failure::Status(status.as_u16(), excerpt(&message)));
    }
    let body: Body = response.bytes_stream().boxed();
    Ok(EventStream::new(body).with_limits(UPSTREAM_LIMITS))
}

/// The next piece of the answer and whether it is the last; `None` after
/// `[DONE]`.
async fn next_token(events: &mut EventStream<Body>) -> Option<Result<(String, bool), Failure>> {
    loop {
        let item = match events.next().await {
            Some(Ok(item)) => item,
            Some(Err(StreamError::Body(e))) => {
                return Some(Err(Failure::Broken(error_chain(&e.without_url()))));
            }
            Some(Err(e)) => return Some(Err(Failure::OverLimit(e.to_string()))),
            None => {
                return Some(Err(Failure::Broken(
                    "the response ended before [DONE]".into(),
                )));
            }
        };
        let OwnedItem::Event(event) = item else {
            // `retry`, an event without data.
            continue;
        };
        if event.event_type == "error" {
            return Some(Err(Failure::Model(excerpt(&event.data))));
        }
        return match read_chunk(&event.data) {
            Ok(Said::Done) => None,
            Ok(Said::Content(token, last)) => Some(Ok((token, last))),
            Err(failure) => Some(Err(failure)),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `read_chunk` makes of `data`: the token and whether it is the
    /// last, `[DONE]`, or the failure.
    fn read(data: &str) -> Result<Option<(String, bool)>, Failure> {
        read_chunk(data).map(|said| match said {
            Said::Content(token, last) => Some((token, last)),
            Said::Done => None,
        })
    }

    #[test]
    fn chunks_as_servers_send_them() {
        let token = |t: &str, last| Ok(Some((t.to_owned(), last)));
        let cases = [
            (
                r#"{"choices":[{"delta":{"content":"Hi"}}]}"#,
                token("Hi", false),
            ),
            (
                r#"{"choices":[{"delta":{"role":"assistant","content":""}}]}"#,
                token("", false),
            ),
            (
                r#"{"choices":[{"delta":{"content":null},"finish_reason":null}]}"#,
                token("", false),
            ),
            (
                r#"{"choices":[{"delta":{},"finish_reason":"stop"}]}"#,
                token("", true),
            ),
            (
                r#"{"choices":[{"delta":null,"finish_reason":"length"}]}"#,
                token("", true),
            ),
            (
                r#"{"choices":[{"delta":{"content":"."},"finish_reason":"stop"}]}"#,
                token(".", true),
            ),
            // A usage chunk after the last choice, and one with no field at all.
            (
                r#"{"choices":[],"usage":{"total_tokens":9}}"#,
                token("", false),
            ),
            (r#"{"choices":null}"#, token("", false)),
            ("{}", token("", false)),
            ("[DONE]", Ok(None)),
        ];
        for (data, expected) in cases {
            assert_eq!(read(data), expected, "{data}");
        }
    }

    #[test]
    fn errors_and_malformed_chunks_are_failures() {
        assert_eq!(
            read(r#"{"error":{"message":"rate\nlimited\u001b[31m"}}"#),
            Err(Failure::Model("rate limited[31m".into()))
        );
        for data in [
            "{not json",
            "[DONE] ",
            r#"{"choices":{}}"#,
            r#"{"choices":[{"delta":7}]}"#,
        ] {
            assert!(matches!(read(data), Err(Failure::Malformed(_))), "{data}");
        }
    }
}
