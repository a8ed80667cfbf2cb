//! `chat`: a chat box whose answers stream back token by token over
//! Server-Sent Events, served on 127.0.0.1 with std::net only.
//!
//! ```text
//! cargo run --release -p sse-core --example chat
//! # then open http://127.0.0.1:8080/ in a browser
//! ```
//!
//! The page (`examples/chat/index.html`) opens an `EventSource` on
//! `/stream?c=<conversation>&q=<question>`. A fake "AI" makes up an answer
//! from the question (deterministically, so tests can check it) and the
//! stream carries it as:
//!
//! - `retry: <ms>` at the start of every response;
//! - one `event: token` per token, with `id: 1`, `id: 2`, ... and the token
//!   as data (leading spaces, line breaks, CJK, emoji and quotes included);
//! - `event: done` with the whole answer as data and the next id;
//! - a heartbeat comment (`:`) whenever nothing was written for the
//!   heartbeat interval ([`KeepAlive`]).
//!
//! Every event is kept in the conversation's [`ReplayBuffer`]. A client that
//! reconnects with `Last-Event-ID` gets exactly the events it missed, then the
//! answer goes on; an id the buffer does not hold ([`Replay::Gap`]) gets an
//! `event: reset` and the answer again from the start, never a silent gap.
//! A client that already has `done` gets `204 No Content`, the standard's
//! "stop reconnecting".
//!
//! To see resumption, `--drop-every N` makes the server drop each connection
//! after N events: it generates the next event, writes only the first half of
//! its bytes (lost in flight), and closes. The client discards the incomplete
//! event, reconnects with the id of the last complete one, and gets the lost
//! event from the replay buffer. The page's "Drop connection" button does the
//! same once, on demand.
//!
//! Options:
//!
//! ```text
//! --port N             port on 127.0.0.1 (default 8080; 0 picks a free one)
//! --token-delay-ms N   delay between tokens (default 40)
//! --drop-every N       drop each connection after N events (default 0: never)
//! --retry-ms N         reconnection time sent to clients (default 1000)
//! --heartbeat-ms N     heartbeat after N ms without a write (default 3000)
//! ```
//!
//! The first line on stdout is `chat: listening on http://127.0.0.1:PORT/`.

use sse_core::{
    Instant, KEEP_ALIVE, KeepAlive, Message, Replay, ReplayBuffer, encode, encoded_len,
    parse_last_event_id,
};
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The page, served at `/`.
const PAGE: &str = include_str!("chat/index.html");

/// Each conversation's history: room for a whole answer (at most 120 tokens
/// and the `done` event), so a reconnecting client always finds its id.
type History = ReplayBuffer<{ 32 * 1024 }, 256>;

/// The longest request head accepted.
const MAX_HEAD: usize = 16 * 1024;
/// Conversations idle for this long are forgotten.
const IDLE_LIMIT: Duration = Duration::from_secs(600);

#[derive(Clone, Copy, Debug)]
struct Config {
    port: u16,
    token_delay_ms: u64,
    drop_every: u64,
    retry_ms: u64,
    heartbeat_ms: u64,
}

fn main() {
    let config = match parse_args() {
        Ok(Some(config)) => config,
        Ok(None) => return,
        Err(message) => {
            eprintln!("chat: {message}");
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    let listener = match TcpListener::bind(("127.0.0.1", config.port)) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("chat: cannot listen on 127.0.0.1:{}: {e}", config.port);
            std::process::exit(1);
        }
    };
    let port = listener.local_addr().map_or(config.port, |a| a.port());
    println!("chat: listening on http://127.0.0.1:{port}/");
    println!("chat: open that address in a browser and ask a question, or follow a stream with");
    println!(
        "chat:   cargo run --release -p sse-core --example tail -- --exit-on done \
         'http://127.0.0.1:{port}/stream?c=demo&q=Hello%20there'"
    );
    if config.drop_every == 0 {
        println!("chat: (add --drop-every 15 to see the stream resume after dropped connections)");
    }

    let server = Arc::new(Server {
        config,
        started: std::time::Instant::now(),
        conversations: Mutex::new(HashMap::new()),
    });
    for connection in listener.incoming() {
        match connection {
            Ok(connection) => {
                let server = Arc::clone(&server);
                std::thread::spawn(move || {
                    if let Err(e) = server.handle(connection) {
                        eprintln!("chat: connection: {e}");
                    }
                });
            }
            Err(e) => eprintln!("chat: accept: {e}"),
        }
    }
}

const USAGE: &str = "usage: chat [--port N] [--token-delay-ms N] [--drop-every N] \
                     [--retry-ms N] [--heartbeat-ms N]";

fn parse_args() -> Result<Option<Config>, String> {
    let mut config = Config {
        port: 8080,
        token_delay_ms: 40,
        drop_every: 0,
        retry_ms: 1000,
        heartbeat_ms: 3000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            args.next()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--port" => {
                config.port = u16::try_from(number("--port")?).map_err(|_| "bad --port")?;
            }
            "--token-delay-ms" => config.token_delay_ms = number("--token-delay-ms")?,
            "--drop-every" => config.drop_every = number("--drop-every")?,
            "--retry-ms" => config.retry_ms = number("--retry-ms")?,
            "--heartbeat-ms" => config.heartbeat_ms = number("--heartbeat-ms")?.max(1),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    Ok(Some(config))
}

// ---------------------------------------------------------------------------
// The server.

struct Server {
    config: Config,
    /// The epoch of the [`Instant`]s given to sse-core.
    started: std::time::Instant,
    conversations: Mutex<HashMap<String, Arc<Mutex<Conversation>>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Server {
    fn now(&self) -> Instant {
        Instant::from_millis(u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    /// Sleeps until `at` (at once if it has passed).
    fn sleep_until(&self, at: Instant) {
        let wait = at.millis_since(self.now());
        if wait > 0 {
            std::thread::sleep(Duration::from_millis(wait));
        }
    }

    /// The conversation `key`, created for `question` if it is new.
    fn conversation(&self, key: &str, question: &str) -> Arc<Mutex<Conversation>> {
        let mut conversations = lock(&self.conversations);
        if let Some(conversation) = conversations.get(key) {
            lock(conversation).touched = std::time::Instant::now();
            return Arc::clone(conversation);
        }
        conversations.retain(|_, c| lock(c).touched.elapsed() < IDLE_LIMIT);
        let conversation = Arc::new(Mutex::new(Conversation::new(question, self.now())));
        conversations.insert(key.to_string(), Arc::clone(&conversation));
        conversation
    }

    fn handle(&self, mut connection: TcpStream) -> io::Result<()> {
        connection.set_read_timeout(Some(Duration::from_secs(10)))?;
        connection.set_nodelay(true)?;
        let Some(request) = read_request(&mut connection)? else {
            return Ok(());
        };
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/") => respond(
                &mut connection,
                "200 OK",
                "text/html; charset=utf-8",
                PAGE.as_bytes(),
            ),
            ("GET", "/stream") => self.stream(connection, &request),
            ("POST", "/drop") => {
                let conversation = request
                    .query("c")
                    .and_then(|c| lock(&self.conversations).get(&c).cloned());
                match conversation {
                    Some(conversation) => {
                        lock(&conversation).drop_requested = true;
                        respond(&mut connection, "204 No Content", "", b"")
                    }
                    None => respond(
                        &mut connection,
                        "404 Not Found",
                        "text/plain",
                        b"no such conversation\n",
                    ),
                }
            }
            (_, "/" | "/stream" | "/drop") => respond(
                &mut connection,
                "405 Method Not Allowed",
                "text/plain",
                b"method not allowed\n",
            ),
            _ => respond(
                &mut connection,
                "404 Not Found",
                "text/plain",
                b"not found\n",
            ),
        }
    }

    /// `/stream?c=<conversation>&q=<question>`: the answer as an event stream.
    fn stream(&self, mut connection: TcpStream, request: &Request) -> io::Result<()> {
        let Some(question) = request.query("q").filter(|q| !q.trim().is_empty()) else {
            return respond(
                &mut connection,
                "400 Bad Request",
                "text/plain",
                b"/stream needs a question: /stream?c=ID&q=QUESTION\n",
            );
        };
        // Without a conversation id, the question names the conversation.
        let key = request.query("c").unwrap_or_else(|| question.clone());
        let last_event_id = request
            .header("last-event-id")
            .and_then(parse_last_event_id);
        let conversation = self.conversation(&key, &question);
        let tag = format!("[{key}]");

        // What the client already has (events 1..=have), and what to send it
        // first.
        let mut first = Vec::new();
        let mut have = 0;
        {
            let conversation = lock(&conversation);
            let known = match last_event_id {
                None => Some(0),
                // Every id pushed is the event's number.
                Some(id) => match conversation.history.replay_after(id) {
                    Replay::Events(_) => id.parse().ok(),
                    _ => None,
                },
            };
            match known {
                None => {
                    eprintln!(
                        "chat: {tag} Last-Event-ID {:?} is not in the history: reset, from the start",
                        last_event_id.unwrap_or_default()
                    );
                    append(
                        &Message::new()
                            .event_type("reset")
                            .data("the server lost your place: the answer starts again"),
                        &mut first,
                    );
                }
                Some(known)
                    if known > 0 && conversation.finished() && known >= conversation.generated =>
                {
                    drop(conversation);
                    eprintln!("chat: {tag} Last-Event-ID {known}: finished and delivered: 204");
                    return respond(&mut connection, "204 No Content", "", b"");
                }
                Some(known) => {
                    if known > 0 {
                        eprintln!(
                            "chat: {tag} resuming after Last-Event-ID {known}: replaying {} event(s)",
                            conversation.generated - known
                        );
                    }
                    have = known;
                }
            }
        }

        let mut head = String::from(
            "HTTP/1.1 200 OK\r\n\
             Content-Type: text/event-stream\r\n\
             Cache-Control: no-store\r\n\
             X-Accel-Buffering: no\r\n\
             Connection: close\r\n\r\n",
        )
        .into_bytes();
        append(&Message::new().retry(self.config.retry_ms), &mut head);
        head.extend_from_slice(&first);
        connection.write_all(&head)?;
        let mut keep_alive = KeepAlive::new(self.config.heartbeat_ms, self.now());

        // Events written on this connection, for --drop-every.
        let mut written = 0u64;
        loop {
            let now = self.now();
            let step = {
                let mut conversation = lock(&conversation);
                conversation.touched = std::time::Instant::now();
                if conversation.generated > have {
                    // Events this client has not seen: the replay after a
                    // reconnection, or events another connection generated.
                    let mut bytes = Vec::new();
                    conversation.events_after(have, &mut bytes);
                    written += (conversation.generated - have) as u64;
                    have = conversation.generated;
                    Step::Send(bytes)
                } else if conversation.finished() {
                    Step::Finished
                } else if now >= conversation.next_at {
                    let bytes = conversation.generate();
                    conversation.next_at = now.add_millis(self.config.token_delay_ms);
                    let drop_now = (self.config.drop_every > 0
                        && written >= self.config.drop_every)
                        || std::mem::take(&mut conversation.drop_requested);
                    if drop_now {
                        Step::Lost(bytes, conversation.generated)
                    } else {
                        written += 1;
                        have = conversation.generated;
                        Step::Send(bytes)
                    }
                } else {
                    Step::Wait(conversation.next_at)
                }
            };
            match step {
                Step::Send(bytes) => {
                    connection.write_all(&bytes)?;
                    keep_alive.sent(self.now());
                }
                Step::Lost(bytes, id) => {
                    // As if the connection died while the event was on its
                    // way: half of it is written, then the connection ends.
                    connection.write_all(&bytes[..bytes.len() / 2])?;
                    eprintln!(
                        "chat: {tag} dropping the connection after {written} event(s), \
                         event {id} half written"
                    );
                    return connection.shutdown(Shutdown::Both);
                }
                Step::Finished => {
                    eprintln!("chat: {tag} answer delivered");
                    return connection.shutdown(Shutdown::Both);
                }
                Step::Wait(at) => {
                    self.sleep_until(at.min(keep_alive.poll_timeout()));
                    let now = self.now();
                    if keep_alive.is_due(now) {
                        connection.write_all(KEEP_ALIVE)?;
                        keep_alive.sent(now);
                    }
                }
            }
        }
    }
}

/// What a streaming connection does next.
enum Step {
    /// Write these events.
    Send(Vec<u8>),
    /// Write half of this event (its id is the number), then drop the connection.
    Lost(Vec<u8>, usize),
    /// Nothing to do until then (or the next heartbeat).
    Wait(Instant),
    /// The client has the whole answer: end the response.
    Finished,
}

/// Encodes `message` at the end of `out`.
fn append(message: &Message<'_>, out: &mut Vec<u8>) {
    // The example's events have no line break in their type or id.
    let Ok(len) = encoded_len(message) else {
        return;
    };
    let start = out.len();
    out.resize(start + len, 0);
    if encode(message, &mut out[start..]).is_err() {
        out.truncate(start);
    }
}

// ---------------------------------------------------------------------------
// Conversations.

/// One question and its answer, as far as it has been generated.
struct Conversation {
    tokens: Vec<String>,
    /// All the tokens, joined: the data of the `done` event.
    answer: String,
    /// Events generated so far: event `n` (id `n`) is token `n`, and event
    /// `tokens.len() + 1` is `done`.
    generated: usize,
    /// When the next event may be generated.
    next_at: Instant,
    /// The events generated, exactly as written.
    history: Box<History>,
    /// The page's "Drop connection" button was pressed.
    drop_requested: bool,
    touched: std::time::Instant,
}

impl Conversation {
    fn new(question: &str, now: Instant) -> Self {
        let tokens = answer_tokens(question);
        Self {
            answer: tokens.concat(),
            tokens,
            generated: 0,
            next_at: now,
            history: Box::new(History::new()),
            drop_requested: false,
            touched: std::time::Instant::now(),
        }
    }

    fn finished(&self) -> bool {
        self.generated > self.tokens.len()
    }

    /// Encodes event `n` (1-based) at the end of `out`.
    fn encode_event(&self, n: usize, out: &mut Vec<u8>) {
        let id = n.to_string();
        let message = match self.tokens.get(n - 1) {
            Some(token) => Message::new().event_type("token").id(&id).data(token),
            None => Message::new().event_type("done").id(&id).data(&self.answer),
        };
        append(&message, out);
    }

    /// Generates the next event into the history; returns its bytes.
    fn generate(&mut self) -> Vec<u8> {
        let n = self.generated + 1;
        let mut bytes = Vec::new();
        self.encode_event(n, &mut bytes);
        if let Err(e) = self.history.push(&n.to_string(), &bytes) {
            eprintln!("chat: event {n} not kept for replay: {e}");
        }
        self.generated = n;
        bytes
    }

    /// The events after the first `have`, from the history when it holds
    /// them, or encoded again.
    fn events_after(&self, have: usize, out: &mut Vec<u8>) {
        let replay = if have == 0 {
            (self.history.oldest_id() == Some("1")).then(|| self.history.iter())
        } else {
            match self.history.replay_after(&have.to_string()) {
                Replay::Events(events) => Some(events),
                _ => None,
            }
        };
        match replay {
            Some(events) => events.for_each(|bytes| out.extend_from_slice(bytes)),
            None => (have + 1..=self.generated).for_each(|n| self.encode_event(n, out)),
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
    let words: Vec<&str> = question.split_whitespace().collect();
    let line: String = words
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let mut quoted: String = line.chars().take(80).collect();
    if quoted.len() < line.len() {
        quoted.push('…');
    }
    format!(" “{quoted}”.")
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

// ---------------------------------------------------------------------------
// Minimal HTTP/1.1.

struct Request {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    /// Names in lower case.
    headers: Vec<(String, Vec<u8>)>,
}

impl Request {
    fn query(&self, name: &str) -> Option<String> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// Reads a request head; `None` when the client sent nothing.
fn read_request(connection: &mut TcpStream) -> io::Result<Option<Request>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    let end = loop {
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if head.len() > MAX_HEAD {
            respond(
                connection,
                "431 Request Header Fields Too Large",
                "text/plain",
                b"",
            )?;
            return Ok(None);
        }
        let n = connection.read(&mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        head.extend_from_slice(&buf[..n]);
    };
    let mut lines = head[..end]
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    let request_line = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        respond(
            connection,
            "400 Bad Request",
            "text/plain",
            b"bad request line\n",
        )?;
        return Ok(None);
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect();
    let headers = lines
        .filter_map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let name = String::from_utf8_lossy(&line[..colon])
                .trim()
                .to_ascii_lowercase();
            let value = line[colon + 1..].trim_ascii();
            Some((name, value.to_vec()))
        })
        .collect();
    Ok(Some(Request {
        method: method.to_string(),
        path: path.to_string(),
        query,
        headers,
    }))
}

/// Decodes `%XX` escapes and `+` (a space, as in HTML forms).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| {
            bytes
                .get(at)
                .and_then(|&b| char::from(b).to_digit(16))
                .and_then(|d| u8::try_from(d).ok())
        };
        match bytes[i] {
            b'%' if hex(i + 1).is_some() && hex(i + 2).is_some() => {
                out.push(hex(i + 1).unwrap_or(0) * 16 + hex(i + 2).unwrap_or(0));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes a whole response and closes the connection.
fn respond(
    connection: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> io::Result<()> {
    let mut response =
        format!("HTTP/1.1 {status}\r\nConnection: close\r\nCache-Control: no-store\r\n");
    if !content_type.is_empty() {
        response.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    if !status.starts_with("204") {
        response.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    response.push_str("\r\n");
    let mut bytes = response.into_bytes();
    bytes.extend_from_slice(body);
    connection.write_all(&bytes)?;
    connection.shutdown(Shutdown::Write)
}
