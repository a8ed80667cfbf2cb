//! `chat --upstream URL --model NAME`: answers from a model behind an
//! OpenAI-compatible API, here the fake one of `support/upstream.rs` on
//! loopback (recorded chat-completion streams in small pieces at a token's
//! pace, CRLF or LF, with a comment and `retry`):
//!
//! - the browser-side client gets exactly the model's tokens, after a
//!   `model` event, then `done` with the whole answer; the question went up
//!   once, with `"stream": true` and the API key from the environment, which
//!   the server never prints;
//! - a client whose connections drop mid-answer gets every token once, and
//!   neither its reconnections nor later clients make a second call;
//! - each upstream failure (nothing listening, an error status, a response
//!   that breaks off, a malformed chunk, an event over the limits) ends the
//!   answer with a `server-error` event that says why, with an id, so that
//!   the reconnection gets `204`; the server goes on serving;
//! - while `--max-model-calls` answers are being asked, a new question gets
//!   `503` and no call, and the clients of those answers are served;
//! - in headless Chromium, the page shows the model's name, the answer, and
//!   a failed answer as an error.
#![cfg(all(unix, not(miri)))]

use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sse_core::EndOfBody;

mod common;
use common::{Chat, Ev, Run, decode, example, get, run};
use sse_core_examples::percent_encode;

#[path = "support/upstream.rs"]
mod upstream;
use upstream::{Script, Upstream};

#[path = "support/chromium.rs"]
mod chromium;
use chromium::{Browser, chromium_path};

/// How long any one wait may take before the test fails.
const WATCHDOG: Duration = Duration::from_secs(60);

/// The API key the tests give the server, which must never show in its output.
const KEY: &str = "sk-test-9f8e7d6c5b4a-never-printed";

/// A model's answer: spaces kept, a line break inside a token, quotes,
/// CJK split across tokens, an emoji, and text that looks like SSE fields.
const TOKENS: [&str; 14] = [
    "Hel",
    "lo",
    ",",
    " world",
    "!\n",
    "日本",
    "語",
    " “quoted”",
    " \"straight\"",
    " 🚀",
    "\ndata: not a field",
    "\n: nor a comment",
    " id: 7",
    " end.",
];

/// `chat --upstream` on `upstream`, with the API key in the environment.
fn chat_on(upstream: &str, extra: &[&str]) -> Chat {
    let mut args = vec!["--upstream", upstream, "--model", "fake-model"];
    args.extend_from_slice(extra);
    Chat::start_with_env(&args, &[("OPENAI_API_KEY", KEY)])
}

/// Checks a whole answer of `tokens`: `model`, then the tokens with ids 1..,
/// then `done` with their concatenation.
fn check_model_answer(events: &[Ev], tokens: &[&str]) {
    assert_eq!(
        events[0],
        Ev {
            event_type: "model".into(),
            data: "fake-model".into(),
            id: String::new(),
        }
    );
    let answer = &events[1..];
    assert_eq!(answer.len(), tokens.len() + 1, "{events:#?}");
    for (i, (event, token)) in answer.iter().zip(tokens).enumerate() {
        let expected = Ev {
            event_type: "token".into(),
            data: (*token).into(),
            id: (i + 1).to_string(),
        };
        assert_eq!(event, &expected, "token {}", i + 1);
    }
    let done = answer.last().unwrap();
    assert_eq!(done.event_type, "done");
    assert_eq!(done.id, (tokens.len() + 1).to_string());
    assert_eq!(done.data, tokens.concat());
}

#[test]
fn the_answer_is_the_models_exactly_and_asked_once() {
    for crlf in [true, false] {
        let upstream = Upstream::start(Script::Answer {
            tokens: TOKENS.iter().map(|t| (*t).to_owned()).collect(),
            crlf,
            piece: 5,
            pace: Duration::from_millis(3),
        });
        let chat = chat_on(&upstream.base, &["--retry-ms", "700"]);
        let question = "Say hello, in two languages";
        let path = format!("/stream?c=a&q={}", percent_encode(question));
        let response = get(chat.port, &path, None);
        assert_eq!(response.status, 200, "{}", response.head);
        let body = decode(&response.body);
        assert_eq!(body.end, EndOfBody::Clean);
        // The server's own `retry`, not the upstream's.
        assert_eq!(body.retries, [700]);
        check_model_answer(&body.events, &TOKENS);

        // One call, as the API wants it.
        assert_eq!(upstream.calls(), 1, "crlf {crlf}");
        let call = &upstream.requests()[0];
        assert_eq!(call["model"], "fake-model");
        assert_eq!(call["stream"], true);
        assert_eq!(
            call["messages"],
            json!([{ "role": "user", "content": question }])
        );
        assert_eq!(
            upstream.authorizations(),
            [Some(format!("Bearer {KEY}"))],
            "the key goes up in the Authorization header"
        );

        // The client has `done`: 204. A late client gets the same answer
        // from the server's copy.
        let done_id = (TOKENS.len() + 1).to_string();
        assert_eq!(get(chat.port, &path, Some(&done_id)).status, 204);
        let late = decode(&get(chat.port, &path, None).body);
        assert_eq!(late.events, body.events);
        assert_eq!(upstream.calls(), 1, "no second call, crlf {crlf}");
        let log = chat.log();
        assert!(!log.contains(KEY), "the key is printed:\n{log}");
        assert!(
            !log.contains(&KEY[8..20]),
            "part of the key is printed:\n{log}"
        );
    }

    // Without the key in the environment, no Authorization header.
    let upstream = Upstream::start(Script::answer(&["a", "b"]));
    let chat = Chat::start(&["--upstream", &upstream.base, "--model", "fake-model"]);
    let body = decode(&get(chat.port, "/stream?q=hi", None).body);
    check_model_answer(&body.events, &["a", "b"]);
    assert_eq!(upstream.authorizations(), [None]);
}

/// The events and retry lines `tail` printed.
fn tail_events(out: &Run) -> Vec<Ev> {
    out.stdout
        .lines()
        .filter_map(|line| {
            let value: Value = serde_json::from_str(line).unwrap();
            Some(Ev {
                event_type: value["type"].as_str()?.to_owned(),
                data: value["data"].as_str()?.to_owned(),
                id: value["last_event_id"].as_str()?.to_owned(),
            })
        })
        .collect()
}

#[test]
fn dropped_connections_resume_from_the_servers_copy_without_a_second_call() {
    let tokens: Vec<String> = (0..40).map(|i| format!(" t{i}")).collect();
    let upstream = Upstream::start(Script::Answer {
        tokens: tokens.clone(),
        crlf: false,
        piece: 9,
        pace: Duration::from_millis(4),
    });
    let chat = chat_on(&upstream.base, &["--drop-every", "6", "--retry-ms", "20"]);
    let url = chat.url("/stream?c=drops&q=count%20to%2040");
    let out = run(
        Command::new(example("tail")).args(["--exit-on", "done", &url]),
        WATCHDOG,
    );
    assert!(out.status.success(), "tail failed: {}", out.stderr);
    // `model` at the start of each response, the tokens once each.
    let events = tail_events(&out);
    let answer: Vec<Ev> = events
        .iter()
        .filter(|e| e.event_type != "model")
        .cloned()
        .collect();
    let mut expected = vec![Ev {
        event_type: "model".into(),
        data: "fake-model".into(),
        id: String::new(),
    }];
    expected.extend(answer.iter().cloned());
    let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
    check_model_answer(&expected, &tokens);
    let drops = chat.log().matches("dropping the connection").count();
    assert!(drops >= 6, "{drops} drops\n{}", chat.log());
    assert_eq!(
        events.iter().filter(|e| e.event_type == "model").count(),
        drops + 1,
        "one `model` per response"
    );
    assert_eq!(upstream.calls(), 1, "reconnections asked the model again");
}

/// Every failure: what the fake upstream does, the tokens before it, and
/// words of the reason the client is given.
#[test]
fn each_upstream_failure_ends_the_answer_with_a_server_error_event() {
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        format!("http://127.0.0.1:{port}/v1")
    };
    let three = || vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
    let cases: Vec<(&str, Option<Script>, Vec<&str>, &str)> = vec![
        (
            "nothing listening",
            None,
            vec![],
            "the model's server cannot be reached: ",
        ),
        (
            "an error status",
            Some(Script::Status(401, "Incorrect API key provided".into())),
            vec![],
            "the model's server answered 401: Incorrect API key provided",
        ),
        (
            "a response that breaks off",
            Some(Script::BreakAfter {
                tokens: three(),
                after: 2,
            }),
            vec!["a", "b"],
            "the model's answer broke off: ",
        ),
        (
            "a malformed chunk",
            Some(Script::Malformed),
            vec![],
            "the model sent a malformed chunk: ",
        ),
        (
            "an event over the limits",
            Some(Script::Oversized(100_000)),
            vec![],
            "the model sent an event over the limits: ",
        ),
    ];
    for (what, script, before, reason) in cases {
        let upstream = script.map(Upstream::start);
        let base = upstream
            .as_ref()
            .map_or(refused.clone(), |u| u.base.clone());
        let chat = chat_on(&base, &[]);
        let path = "/stream?c=f&q=fail%20please";
        let response = get(chat.port, path, None);
        assert_eq!(response.status, 200, "{what}: {}", response.head);
        let body = decode(&response.body);
        assert_eq!(body.end, EndOfBody::Clean, "{what}");
        let (last, answer) = body.events.split_last().unwrap();
        assert_eq!(answer[0].event_type, "model", "{what}");
        let shown: Vec<&str> = answer[1..].iter().map(|e| e.data.as_str()).collect();
        assert_eq!(shown, before, "{what}: the tokens before the failure");
        assert_eq!(last.event_type, "server-error", "{what}: {body:?}");
        assert_eq!(last.id, (before.len() + 1).to_string(), "{what}");
        assert!(
            last.data.starts_with(reason) && last.data.len() < 400,
            "{what}: {:?}",
            last.data
        );
        // The reconnection: 204, stop. The server goes on serving.
        assert_eq!(get(chat.port, path, Some(&last.id)).status, 204, "{what}");
        assert_eq!(get(chat.port, "/", None).status, 200, "{what}");
        chat.wait_for(&format!("{what}: the failure logged"), WATCHDOG, || {
            chat.log().contains("[f] the answer failed: the model")
        });
        if let Some(upstream) = upstream {
            assert_eq!(upstream.calls(), 1, "{what}");
        }
        assert!(!chat.log().contains(KEY), "{what}");
    }
}

#[test]
fn chromium_shows_the_model_its_answer_and_its_failure() {
    let Some(chromium) = chromium_path("chat with a model, in the browser") else {
        return;
    };
    let started = Instant::now();
    let tokens = ["The", " answer", " is", " 42", ".\n", "🚀"];
    let upstream = Upstream::start_each(vec![
        Script::answer(&tokens),
        Script::Status(503, "the model is overloaded".into()),
    ]);
    let chat = chat_on(&upstream.base, &["--retry-ms", "100"]);
    let mut browser = Browser::launch(
        &chromium,
        &chat.url("/?q=What%20is%20the%20answer%3F"),
        &[],
        "chat-model",
    );
    let page = browser.page_session();
    let wait_done = |browser: &mut Browser, question: &str| -> Value {
        let deadline = Instant::now() + WATCHDOG;
        loop {
            let state = browser
                .evaluate(&page, "JSON.stringify(window.chatState)")
                .ok()
                .and_then(|v| serde_json::from_str::<Value>(v.as_str()?).ok())
                .unwrap_or(Value::Null);
            if state["question"] == question && state["done"] == true {
                return state;
            }
            if Instant::now() > deadline {
                browser.fail(&format!(
                    "the page did not finish {question:?}; its state: {state:#}\nchat's log:\n{}",
                    chat.log()
                ));
            }
            thread::sleep(Duration::from_millis(50));
        }
    };
    let first = wait_done(&mut browser, "What is the answer?");
    assert_eq!(first["verified"], true, "{first:#}");
    assert_eq!(first["answer"], tokens.concat());
    assert_eq!(first["shown"], tokens.concat());
    assert_eq!(first["model"], "fake-model");
    assert_eq!(
        first["shownModel"], "fake-model",
        "the page shows the model"
    );

    // The second question fails upstream: the page shows why, as an error.
    browser
        .evaluate(&page, "ask('And now?'), 1")
        .unwrap_or_else(|e| browser.fail(&format!("cannot ask: {e}")));
    let second = wait_done(&mut browser, "And now?");
    let reason = "the model's server answered 503: the model is overloaded";
    assert_eq!(second["verified"], false, "{second:#}");
    assert_eq!(second["serverError"], reason, "{second:#}");
    assert_eq!(second["readyState"], 2, "closed by the 204: {second:#}");
    let meta = second["shownMeta"].as_str().unwrap_or_default();
    assert!(meta.starts_with(&format!("✗ {reason}")), "{second:#}");
    assert_eq!(upstream.calls(), 2);
    eprintln!(
        "chat with a model in chromium: the model's name, its answer and its failure shown, in {:.1?}",
        started.elapsed()
    );
}

#[test]
fn a_new_question_beyond_max_model_calls_gets_503_until_a_call_ends() {
    let tokens: Vec<String> = (0..15).map(|i| format!(" s{i}")).collect();
    let upstream = Upstream::start(Script::Answer {
        tokens: tokens.clone(),
        crlf: false,
        piece: 64,
        pace: Duration::from_millis(60),
    });
    let chat = chat_on(&upstream.base, &["--max-model-calls", "1"]);
    let port = chat.port;
    let first = thread::spawn(move || get(port, "/stream?c=one&q=first", None));
    let deadline = Instant::now() + WATCHDOG;
    while upstream.calls() == 0 {
        assert!(Instant::now() < deadline, "no call:\n{}", chat.log());
        thread::sleep(Duration::from_millis(10));
    }

    // While the model answers `one`, a new conversation is refused, with
    // no call; another client of `one` is served from its copy.
    let busy = get(port, "/stream?c=two&q=second", None);
    assert_eq!(busy.status, 503, "{}", busy.head);
    assert_eq!(busy.header("retry-after"), Some("1"));
    assert!(String::from_utf8_lossy(&busy.body).contains("the model is answering too many"));
    let same = decode(&get(port, "/stream?c=one&q=first", None).body);
    let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
    check_model_answer(&same.events, &tokens);
    assert_eq!(decode(&first.join().unwrap().body).events, same.events);
    assert_eq!(upstream.calls(), 1);

    // The call ended: the new question is asked now.
    let later = decode(&get(port, "/stream?c=two&q=second", None).body);
    check_model_answer(&later.events, &tokens);
    assert_eq!(upstream.calls(), 2);
    let stats: Value = serde_json::from_slice(&get(port, "/stats", None).body).unwrap();
    assert_eq!(
        (
            &stats["model_calls"],
            &stats["peak_model_calls"],
            &stats["refused_model_calls"]
        ),
        (&json!(0), &json!(1), &json!(1)),
        "{stats}"
    );
}
