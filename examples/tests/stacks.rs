//! The README's "With your HTTP stack" snippets, run: an axum server and an
//! actix-web server whose bodies are sse-core's `FrameStream`, read by a
//! reqwest client and a hyper client through `sse_events()`, on loopback.
//! Each snippet stands here as it stands in the README, inside a function.

use std::time::Duration;

use futures_util::StreamExt;
use sse_core::OwnedItem;

/// How long any one test may take before it fails.
const WATCHDOG: Duration = Duration::from_secs(60);

/// The messages every server sends: three tokens, then `done`.
fn messages() -> impl futures_util::Stream<Item = sse_core::OwnedMessage> + Send + 'static {
    let tokens = ["Hel", "lo", "!"].into_iter().enumerate();
    futures_util::stream::iter(tokens.map(|(n, token)| {
        sse_core::OwnedMessage::new()
            .event_type("token")
            .id((n + 1).to_string())
            .data(token)
    }))
    .chain(futures_util::stream::once(async {
        sse_core::OwnedMessage::new()
            .event_type("done")
            .id("4")
            .data("Hello!")
    }))
}

// README: axum
async fn axum_handler() -> axum::response::Response {
    use axum::body::Body;
    use axum::response::IntoResponse;
    use sse_core::stream::FrameStream;

    let body = FrameStream::new(messages())
        .retry(3000)
        .keep_alive(Duration::from_secs(15), tokio::time::sleep);
    ([("content-type", "text/event-stream")], Body::new(body)).into_response()
}

// README: actix-web
async fn actix_handler() -> actix_web::HttpResponse {
    use sse_core::stream::FrameStream;

    let frames = FrameStream::new(messages())
        .retry(3000)
        .keep_alive(Duration::from_secs(15), actix_web::rt::time::sleep);
    actix_web::HttpResponse::Ok()
        .content_type("text/event-stream")
        .streaming(frames)
}

// README: reqwest
async fn reqwest_client(url: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    use sse_core::stream::SseStreamExt;

    let mut tokens = Vec::new();
    let response = reqwest::get(url).await?.error_for_status()?;
    let mut events = response.bytes_stream().sse_events();
    while let Some(item) = events.next().await {
        if let OwnedItem::Event(event) = item? {
            tokens.push(event.data);
        }
    }
    // After a clean end, `events.last_event_id()` is the id to resume from.
    assert_eq!(events.last_event_id(), "4");
    Ok(tokens)
}

// README: hyper
async fn hyper_client(url: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    use http_body_util::Empty;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    use sse_core::stream::SseBodyExt;

    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<axum::body::Bytes>>();
    let response = client.get(url.parse()?).await?;
    let mut events = response.into_body().sse_events();
    let mut tokens = Vec::new();
    while let Some(item) = events.next().await {
        if let OwnedItem::Event(event) = item? {
            tokens.push(event.data);
        }
    }
    Ok(tokens)
}

const EXPECTED: [&str; 4] = ["Hel", "lo", "!", "Hello!"];

/// reqwest's TLS (built here without a default crypto provider): ring.
fn crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[tokio::test]
async fn axum_serves_the_frames_and_reqwest_and_hyper_decode_them() {
    crypto();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/stream", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/stream", axum::routing::get(axum_handler));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let clients = async {
        let by_reqwest = reqwest_client(&url).await.unwrap();
        let by_hyper = hyper_client(&url).await.unwrap();
        (by_reqwest, by_hyper)
    };
    let (by_reqwest, by_hyper) = tokio::time::timeout(WATCHDOG, clients)
        .await
        .expect("watchdog");
    assert_eq!(by_reqwest, EXPECTED);
    assert_eq!(by_hyper, EXPECTED);
    server.abort();
}

#[test]
fn actix_web_serves_the_frames() {
    crypto();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/stream", listener.local_addr().unwrap());
    let (handle_sender, handle_receiver) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app =
                || actix_web::App::new().route("/stream", actix_web::web::get().to(actix_handler));
            let server = actix_web::HttpServer::new(app)
                .workers(1)
                .listen(listener)
                .unwrap()
                .run();
            handle_sender.send(server.handle()).unwrap();
            server.await
        })
    });
    let handle = handle_receiver.recv().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let tokens = runtime
        .block_on(async { tokio::time::timeout(WATCHDOG, reqwest_client(&url)).await })
        .expect("watchdog")
        .unwrap();
    assert_eq!(tokens, EXPECTED);
    runtime.block_on(handle.stop(true));
    server.join().unwrap().unwrap();
}
