//! `chat --tls` run as the program it is, over loopback:
//!
//! - HTTP/2 and HTTP/1.1 over TLS, chosen by ALPN, carry the same event
//!   stream as plain HTTP; the server's certificate is the one whose SHA-256
//!   fingerprint it printed; each HTTP/2 stream counts against
//!   `--max-streams`;
//! - `--cert` and `--key` files are served (and verified by a client that
//!   trusts them), and bad ones are refused with a clear error;
//! - a client that sends nothing, half a ClientHello, or no request after
//!   the handshake is closed after the header timeout;
//! - in headless Chromium: over HTTP/2 a page holds twelve `EventSource`s
//!   open at once and each gets its `done`, and over plain HTTP/1.1 the
//!   seventh waits for one of the six connections to close.
//!
//! Times are bounded generously ([`WATCHDOG`]); nothing asserts a speed.
//! The browser tests skip, or fail when `CI` is set, as `tests/chat.rs`'s.
#![cfg(all(unix, not(miri)))]

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::{Request, StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde_json::{Value, json};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

mod common;
use common::{Chat, check_answer, decode, example, get, read_to_close, run};

#[path = "support/chromium.rs"]
mod chromium;
use chromium::{Browser, chromium_path};

/// How long any one wait may take before the test fails.
const WATCHDOG: Duration = Duration::from_secs(90);

const H2: &[u8] = b"h2";
const HTTP11: &[u8] = b"http/1.1";

// ---------------------------------------------------------------------------
// A TLS client: hyper over tokio-rustls.

/// SHA-256 of `der`, as chat prints it: `AB:CD:...`.
fn sha256(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let hex: Vec<String> = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    hex.join(":")
}

/// The fingerprint chat printed after its first line.
fn printed_fingerprint(chat: &Chat) -> String {
    const MARK: &str = "SHA-256 fingerprint ";
    chat.wait_for("the certificate's fingerprint printed", WATCHDOG, || {
        chat.log().contains(MARK)
    });
    let log = chat.log();
    let at = log.find(MARK).unwrap() + MARK.len();
    log[at..].lines().next().unwrap().trim().to_string()
}

/// Trusts exactly the certificate with this SHA-256 fingerprint (and checks
/// the handshake's signatures with it).
#[derive(Debug)]
struct Pinned {
    fingerprint: String,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if sha256(end_entity) == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "not the certificate whose fingerprint chat printed".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client that trusts only the certificate chat printed the fingerprint
/// of, offering `alpn`.
fn pinned_client(chat: &Chat, alpn: &[&[u8]]) -> Arc<ClientConfig> {
    let verifier = Pinned {
        fingerprint: printed_fingerprint(chat),
        provider: provider(),
    };
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// Connects over TLS as `name`; fails the test unless the server chose
/// `alpn` (the first offered).
async fn connect(
    port: u16,
    config: &Arc<ClientConfig>,
    name: &str,
) -> TlsStream<tokio::net::TcpStream> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect to chat");
    let name = ServerName::try_from(name.to_string()).unwrap();
    let tls = TlsConnector::from(Arc::clone(config))
        .connect(name, tcp)
        .await
        .unwrap_or_else(|e| panic!("TLS handshake with chat: {e}"));
    let wanted = config.alpn_protocols.first().map(Vec::as_slice);
    assert_eq!(
        tls.get_ref().1.alpn_protocol(),
        wanted,
        "the protocol chosen by ALPN"
    );
    tls
}

/// A whole response to `GET path` over TLS, on a connection of its own:
/// its HTTP version, status and body.
async fn get_tls(
    port: u16,
    config: &Arc<ClientConfig>,
    name: &str,
    path: &str,
) -> (Version, StatusCode, Vec<u8>) {
    let tls = connect(port, config, name).await;
    let io = TokioIo::new(tls);
    let response = if config.alpn_protocols.first().map(Vec::as_slice) == Some(H2) {
        let (mut sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                .await
                .expect("HTTP/2 handshake");
        tokio::spawn(connection);
        let request = Request::get(format!("https://{name}:{port}{path}"))
            .body(Empty::<Bytes>::new())
            .unwrap();
        sender.send_request(request).await
    } else {
        let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
            .await
            .expect("HTTP/1.1 handshake");
        tokio::spawn(connection);
        let request = Request::get(path)
            .header("host", format!("{name}:{port}"))
            .body(Empty::<Bytes>::new())
            .unwrap();
        sender.send_request(request).await
    };
    let response = response.unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let (version, status) = (response.version(), response.status());
    let body = tokio::time::timeout(WATCHDOG, response.into_body().collect())
        .await
        .unwrap_or_else(|_| panic!("GET {path}: the body did not end in {WATCHDOG:?}"))
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
        .to_bytes();
    (version, status, body.to_vec())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// `GET /stats` over TLS (HTTP/2).
fn tls_stats(chat: &Chat, config: &Arc<ClientConfig>) -> Value {
    let (_, status, body) = runtime().block_on(get_tls(chat.port, config, "127.0.0.1", "/stats"));
    assert_eq!(status, StatusCode::OK);
    serde_json::from_slice(&body).unwrap()
}

// ---------------------------------------------------------------------------
// 1. HTTP/2 and HTTP/1.1 over TLS.

#[test]
fn http2_and_http11_over_tls_carry_the_same_stream_as_plain_http() {
    let question = "Is HTTP/2 the same stream?";
    let path = format!(
        "/stream?c=same&q={}",
        sse_core_examples::percent_encode(question)
    );
    let plain = Chat::start(&["--token-delay-ms", "0"]);
    assert_eq!(plain.scheme, "http");
    let plain = get(plain.port, &path, None);
    assert_eq!(plain.status, 200, "{}", plain.head);
    let expected = decode(&plain.body);
    check_answer(&expected.events, question);

    let chat = Chat::start(&["--tls", "--token-delay-ms", "0"]);
    assert_eq!(chat.scheme, "https", "the first line says https://");
    // The hints follow the first line; the test reads them as they come.
    let hint = format!("open https://127.0.0.1:{}/ in a browser", chat.port);
    chat.wait_for("the hints say https://", WATCHDOG, || {
        chat.log().contains(&hint)
    });
    runtime().block_on(async {
        for (alpn, version) in [(H2, Version::HTTP_2), (HTTP11, Version::HTTP_11)] {
            let config = pinned_client(&chat, &[alpn]);
            let name = String::from_utf8_lossy(alpn);
            // Each conversation anew: the same deterministic answer.
            let path = path.replace("c=same", &format!("c={name}"));
            let (got, status, body) = get_tls(chat.port, &config, "127.0.0.1", &path).await;
            assert_eq!((got, status), (version, StatusCode::OK), "{name}");
            let decoded = decode(&body);
            assert_eq!(decoded.events, expected.events, "{name}: the events");
            assert_eq!(decoded.retries, expected.retries, "{name}: the retry");
            // The page too, by its name in the certificate.
            let (got, status, page) = get_tls(chat.port, &config, "localhost", "/").await;
            assert_eq!((got, status), (version, StatusCode::OK), "{name}: /");
            assert!(page.starts_with(b"<!doctype html>"), "{name}: the page");
        }
    });
}

#[test]
fn each_http2_stream_counts_against_max_streams() {
    let chat = Chat::start(&["--tls", "--max-streams", "2", "--token-delay-ms", "60000"]);
    let config = pinned_client(&chat, &[H2]);
    let port = chat.port;
    runtime().block_on(async {
        let tls = connect(port, &config, "127.0.0.1").await;
        let (sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
                .await
                .expect("HTTP/2 handshake");
        tokio::spawn(connection);
        let open = |c: &str| {
            let mut sender = sender.clone();
            let request = Request::get(format!("https://127.0.0.1:{port}/stream?c={c}&q=hi"))
                .body(Empty::<Bytes>::new())
                .unwrap();
            async move { sender.send_request(request).await.expect("a response") }
        };
        // Two streams on the one connection take both places...
        let first = open("one").await;
        let second = open("two").await;
        assert_eq!(
            (first.status(), second.status()),
            (StatusCode::OK, StatusCode::OK)
        );
        // ...so a third on it gets 503, and so does one on another connection.
        assert_eq!(
            open("three").await.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        let (_, status, _) = get_tls(port, &config, "127.0.0.1", "/stream?c=four&q=hi").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        // One stream ends (the client resets it): the next one is served.
        drop(first);
        let deadline = Instant::now() + WATCHDOG;
        loop {
            let again = open("five").await;
            if again.status() == StatusCode::OK {
                break;
            }
            assert!(Instant::now() < deadline, "no place after a stream closed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(second);
    });
    let stats = tls_stats(&chat, &config);
    assert_eq!(stats["peak_streams"], json!(2), "{stats}");
    assert!(stats["refused_streams"].as_u64() >= Some(2), "{stats}");
}

// ---------------------------------------------------------------------------
// 2. --cert and --key.

/// A certificate for `localhost` and its key, as PEM files in a fresh
/// directory; also the certificate's DER.
fn certificate_files(name: &str) -> (PathBuf, PathBuf, Vec<u8>) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "h2-{name}-{}-{:?}",
        std::process::id(),
        thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    (cert, key, made.cert.der().to_vec())
}

#[test]
fn cert_and_key_files_are_served_and_bad_ones_refused() {
    let (cert, key, der) = certificate_files("good");
    let (cert_arg, key_arg) = (cert.to_str().unwrap(), key.to_str().unwrap());
    // They imply --tls.
    let chat = Chat::start(&[
        "--cert",
        cert_arg,
        "--key",
        key_arg,
        "--token-delay-ms",
        "0",
    ]);
    assert_eq!(chat.scheme, "https");
    assert_eq!(printed_fingerprint(&chat), sha256(&der));
    // A client that trusts this certificate (and checks the name) as a root.
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(der)).unwrap();
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![H2.to_vec()];
    let config = Arc::new(config);
    let (version, status, body) = runtime().block_on(get_tls(
        chat.port,
        &config,
        "localhost",
        "/stream?c=f&q=files",
    ));
    assert_eq!((version, status), (Version::HTTP_2, StatusCode::OK));
    check_answer(&decode(&body).events, "files");
    drop(chat);

    // Bad ones: chat exits at once with an error that names the problem.
    let (other_cert, other_key, _) = certificate_files("other");
    let missing = cert.with_file_name("missing.pem");
    let missing_arg = missing.to_str().unwrap();
    let other_key_arg = other_key.to_str().unwrap();
    for (args, says) in [
        (vec!["--cert", cert_arg], "--key"),
        (vec!["--key", key_arg], "--cert"),
        (vec!["--cert", missing_arg, "--key", key_arg], missing_arg),
        // A key where the certificate should be.
        (vec!["--cert", key_arg, "--key", key_arg], "no certificate"),
        (
            vec!["--cert", cert_arg, "--key", cert_arg],
            "no private key",
        ),
        (
            vec!["--cert", cert_arg, "--key", other_key_arg],
            "the key the certificate's",
        ),
    ] {
        let out = run(
            std::process::Command::new(example("chat"))
                .args(["--port", "0"])
                .args(&args),
            WATCHDOG,
        );
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(
            out.stderr.contains(says) && out.stdout.is_empty(),
            "{args:?}: the error should say {says:?}:\n{}",
            out.stderr
        );
    }
    for file in [cert, other_cert] {
        let _ = std::fs::remove_dir_all(file.parent().unwrap());
    }
}

// ---------------------------------------------------------------------------
// 3. Hostile clients over TLS.

#[test]
fn over_tls_a_client_that_stalls_is_closed_after_the_header_timeout() {
    let chat = Chat::start(&["--tls", "--header-timeout-ms", "300"]);
    let port = chat.port;
    let config = pinned_client(&chat, &[H2]);
    let connect_raw = |bytes: &[u8]| {
        let mut tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect to chat");
        tcp.set_read_timeout(Some(WATCHDOG)).unwrap();
        tcp.write_all(bytes).unwrap();
        tcp
    };
    // Nothing at all.
    let mut silent = connect_raw(b"");
    assert_eq!(read_to_close(&mut silent), b"", "closed without a word");
    // Half a ClientHello: a handshake record of 512 bytes, 11 of them sent.
    let mut half = connect_raw(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03");
    read_to_close(&mut half);

    runtime().block_on(async {
        // The handshake and HTTP/2's preface, then no request.
        let tls = connect(port, &config, "127.0.0.1").await;
        let (_sender, connection) = hyper::client::conn::http2::handshake::<_, _, Empty<Bytes>>(
            TokioExecutor::new(),
            TokioIo::new(tls),
        )
        .await
        .expect("HTTP/2 handshake");
        tokio::time::timeout(WATCHDOG, connection)
            .await
            .expect("an HTTP/2 connection with no request is closed")
            .ok();
        // HTTP/1.1 over TLS, half a request head.
        let mut tls = connect(port, &pinned_client(&chat, &[HTTP11]), "127.0.0.1").await;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        tls.write_all(b"GET /stream?c=slow&q=hi HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(WATCHDOG, tls.read_to_end(&mut answer))
            .await
            .expect("a half-sent request head over TLS is closed")
            .ok();
        assert!(
            answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"),
            "{}",
            String::from_utf8_lossy(&answer)
        );
    });
    // Nothing of them was served, and they are counted out.
    chat.wait_for("the closed connections counted out", WATCHDOG, || {
        tls_stats(&chat, &config)["connections"] == json!(1)
    });
    let stats = tls_stats(&chat, &config);
    assert_eq!(
        (
            &stats["streams"],
            &stats["peak_streams"],
            &stats["conversations"]
        ),
        (&json!(0), &json!(0), &json!(0)),
        "{stats}"
    );
}

// ---------------------------------------------------------------------------
// 4. Many EventSources in Chromium: HTTP/2 against HTTP/1.1's six
// connections per origin.

/// How many `EventSource`s the page opens.
const SOURCES: usize = 12;

/// Opens [`SOURCES`] `EventSource`s on distinct conversations from the page;
/// `window.sources` records each one's state.
const OPEN_SOURCES: &str = r#"
(() => {
  window.sources = [];
  window.eventSources = [];
  for (let i = 0; i < SOURCES; i++) {
    const record = { i, opened: null, tokens: 0, text: "", done: null, answer: null, errors: 0 };
    const source = new EventSource("/stream?c=many-" + i + "&q=" + encodeURIComponent("QUESTION"));
    source.addEventListener("open", () => { if (record.opened === null) record.opened = performance.now(); });
    source.addEventListener("token", (e) => { record.tokens += 1; record.text += e.data; });
    source.addEventListener("done", (e) => {
      record.done = performance.now();
      record.answer = e.data;
      source.close();
    });
    source.addEventListener("error", () => { record.errors += 1; });
    window.sources.push(record);
    window.eventSources.push(source);
  }
  return window.sources.length;
})()
"#;

/// The page's records, each with its `readyState` as `state`.
const SOURCES_STATE: &str = "JSON.stringify(window.sources.map((r, i) => \
     Object.assign({ state: window.eventSources[i].readyState }, r)))";

/// Chromium on `url`, its page loaded, and the page's session.
fn browser_on(chromium: &Path, url: &str, flags: &[&str], name: &str) -> (Browser, String) {
    let mut browser = Browser::launch(chromium, url, flags, name);
    let page = browser.page_session();
    let deadline = Instant::now() + WATCHDOG;
    loop {
        let ready = browser.evaluate(&page, "document.readyState + ' ' + location.href");
        if let Ok(Value::String(ready)) = &ready {
            if ready.starts_with("complete ") && ready.ends_with(url) {
                break;
            }
        }
        if Instant::now() > deadline {
            browser.fail(&format!("the page {url} did not load: {ready:?}"));
        }
        thread::sleep(Duration::from_millis(50));
    }
    (browser, page)
}

/// The page's records of its `EventSource`s.
fn sources(browser: &mut Browser, page: &str) -> Vec<Value> {
    match browser.evaluate(page, SOURCES_STATE) {
        Ok(Value::String(json)) => serde_json::from_str(&json).unwrap(),
        other => browser.fail(&format!("cannot read the page's sources: {other:?}")),
    }
}

/// The page's sources once `ready` holds for them; after [`WATCHDOG`] fails
/// the test with `what`, them, and `context()`.
fn sources_when(
    browser: &mut Browser,
    page: &str,
    what: &str,
    context: impl Fn() -> String,
    mut ready: impl FnMut(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + WATCHDOG;
    loop {
        let records = sources(browser, page);
        if ready(&records) {
            return records;
        }
        if Instant::now() > deadline {
            browser.fail(&format!(
                "not after {WATCHDOG:?}: {what}: {records:#?}\n{}",
                context()
            ));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn open_sources(browser: &mut Browser, page: &str, question: &str) {
    let script = OPEN_SOURCES
        .replace("SOURCES", &SOURCES.to_string())
        .replace("QUESTION", question);
    match browser.evaluate(page, &script) {
        Ok(n) if n == json!(SOURCES) => {}
        other => browser.fail(&format!("cannot open the EventSources: {other:?}")),
    }
}

#[test]
fn chromium_holds_twelve_event_streams_open_at_once_over_http2() {
    let Some(chromium) = chromium_path("chat over HTTP/2") else {
        return;
    };
    // About 80 tokens, 100 ms apart: each answer takes seconds, so all
    // twelve are open at once only if none waits for another to end.
    let chat = Chat::start(&["--tls", "--token-delay-ms", "100"]);
    let config = pinned_client(&chat, &[H2]);
    let url = chat.url("/");
    assert!(url.starts_with("https://"), "{url}");
    let (mut browser, page) =
        browser_on(&chromium, &url, &["--ignore-certificate-errors"], "chat-h2");
    let question = "Twelve at once?";
    open_sources(&mut browser, &page, question);

    let records = sources_when(
        &mut browser,
        &page,
        "every EventSource got its `done`",
        || format!("chat's log:\n{}", chat.log()),
        |records| records.iter().all(|r| !r["answer"].is_null()),
    );
    let answer = records[0]["answer"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let time = |r: &Value, key: &str| r[key].as_f64().unwrap_or(f64::NAN);
    let first_done = records
        .iter()
        .map(|r| time(r, "done"))
        .fold(f64::INFINITY, f64::min);
    let fail = |browser: &Browser, what: &str| -> ! {
        browser.fail(&format!(
            "{what}\n{records:#?}\nchat's log:\n{}",
            chat.log()
        ))
    };
    for record in &records {
        if record["answer"] != json!(answer) || record["text"] != json!(answer) {
            fail(&browser, "an answer differs, or its tokens do not spell it");
        }
        if record["errors"] != json!(0) {
            fail(&browser, "an EventSource had an error");
        }
    }
    if !answer.contains(question) {
        fail(&browser, "the answer does not quote the question");
    }
    // Twelve open before the first answer was done: no stream waited.
    let all_open_first = records.iter().all(|r| time(r, "opened") < first_done);
    if !all_open_first {
        fail(
            &browser,
            "an EventSource opened only after another's answer ended",
        );
    }
    // The page and every stream came over HTTP/2.
    let protocols = browser
        .evaluate(
            &page,
            "JSON.stringify(performance.getEntriesByType('navigation') \
             .concat(performance.getEntriesByType('resource')) \
             .map((e) => [new URL(e.name).pathname, e.nextHopProtocol]))",
        )
        .ok()
        .and_then(|v| {
            v.as_str()
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
        })
        .unwrap_or(Value::Null);
    let protocols = protocols.as_array().cloned().unwrap_or_default();
    let streams = protocols
        .iter()
        .filter(|p| p[0] == json!("/stream"))
        .count();
    if protocols.is_empty()
        || protocols[0] != json!(["/", "h2"])
        || protocols.iter().any(|p| p[1] != json!("h2"))
    {
        fail(&browser, &format!("not all over h2: {protocols:?}"));
    }
    let stats = tls_stats(&chat, &config);
    if stats["peak_streams"].as_u64() < Some(SOURCES as u64) {
        fail(
            &browser,
            &format!("the server never had {SOURCES} streams open: {stats}"),
        );
    }
    eprintln!(
        "chat over h2 in chromium: {SOURCES} EventSources open at once, each got `done`; \
         {streams} stream resource entries, all h2; server: {stats}"
    );
}

#[test]
fn chromium_over_http11_waits_for_a_connection_for_the_seventh_event_stream() {
    let Some(chromium) = chromium_path("chat over HTTP/1.1") else {
        return;
    };
    // The answers take hours: the six streams stay open.
    let chat = Chat::start(&[
        "--token-delay-ms",
        "3600000",
        "--header-timeout-ms",
        "600000",
    ]);
    let port = chat.port;
    // From Rust, on a connection of its own (the page's six are taken).
    let stats = || -> Value {
        let response = get(port, "/stats", None);
        assert_eq!(response.status, 200, "{}", response.head);
        serde_json::from_slice(&response.body).unwrap()
    };
    let (mut browser, page) = browser_on(&chromium, &chat.url("/"), &[], "chat-h1");
    open_sources(&mut browser, &page, "Six at most?");
    let open = |records: &[Value]| -> Vec<usize> {
        records
            .iter()
            .enumerate()
            .filter(|(_, r)| r["state"] == json!(1) && !r["opened"].is_null())
            .map(|(i, _)| i)
            .collect()
    };
    let records = sources_when(
        &mut browser,
        &page,
        "six EventSources open",
        || format!("server: {}", stats()),
        |records| open(records).len() == 6 && stats()["streams"] == json!(6),
    );
    let first_six = open(&records);
    assert_eq!(
        first_six,
        (0..6).collect::<Vec<_>>(),
        "the first six opened"
    );
    // The others wait: still connecting, nothing received, no error; the
    // server never saw a seventh stream.
    let waiting = |records: &[Value], from: usize| {
        records[from..].iter().all(|r| {
            r["state"] == json!(0)
                && r["opened"].is_null()
                && r["tokens"] == json!(0)
                && r["errors"] == json!(0)
        })
    };
    for _ in 0..5 {
        let records = sources(&mut browser, &page);
        let stats = stats();
        if !waiting(&records, 6) || stats["peak_streams"] != json!(6) {
            browser.fail(&format!(
                "the 7th to {SOURCES}th should wait: {records:#?}\nserver: {stats}"
            ));
        }
        thread::sleep(Duration::from_millis(200));
    }
    // One of the six closes: its connection goes to the seventh, and only to it.
    if browser.evaluate(&page, "window.eventSources[0].close(); 1") != Ok(json!(1)) {
        browser.fail("cannot close the first EventSource");
    }
    let records = sources_when(
        &mut browser,
        &page,
        "the seventh open once the first closed",
        || format!("server: {}", stats()),
        |records| !records[6]["opened"].is_null() && stats()["streams"] == json!(6),
    );
    let stats = stats();
    if open(&records) != (1..7).collect::<Vec<_>>()
        || !waiting(&records, 7)
        || stats["peak_streams"] != json!(6)
    {
        browser.fail(&format!(
            "after one closed, 2nd to 7th should be open and the rest waiting: {records:#?}\nserver: {stats}"
        ));
    }
    eprintln!(
        "chat over HTTP/1.1 in chromium: six streams open, the seventh waited; server: {stats}"
    );
}
