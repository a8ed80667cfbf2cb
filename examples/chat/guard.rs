//! The chat server's defences against hostile clients: its limits (flags),
//! the accounting of open connections and streams, the connection loop with
//! its request-header read timeout, the bound on live conversations, and
//! the escaping of untrusted values in log lines.
//!
//! With `--tls` ([`crate::tls`]) the same limits hold over TLS, for HTTP/1.1
//! and HTTP/2 alike:
//!
//! - `--header-timeout-ms` bounds the TLS handshake and the first request's
//!   head together, from the connection's acceptance (a client that sends
//!   nothing, or half a ClientHello, is closed then); a connection with no
//!   request open for that long after its last response is closed too
//!   (HTTP/2: `GOAWAY`), and HTTP/1.1 keeps its request-header read timeout;
//! - `--max-connections` counts TCP connections, taken before the handshake;
//! - `--max-streams` counts event streams, so each HTTP/2 stream on
//!   `/stream` is one, whatever connection carries it.
//!
//! HTTP/2's own bounds (`http2_bounds`): at most
//! [`H2_MAX_STREAMS`](crate::guard::H2_MAX_STREAMS) concurrent streams per
//! connection (more wait, as browsers queue them), a decoded header list of
//! at most [`MAX_REQUEST_HEAD`](crate::guard::MAX_REQUEST_HEAD) bytes (the
//! same bound as an HTTP/1.1 head), and a ping every
//! [`H2_PING_INTERVAL`](crate::guard::H2_PING_INTERVAL): a connection whose
//! peer does not answer within [`H2_PING_TIMEOUT`](crate::guard::H2_PING_TIMEOUT)
//! is closed, so a dead peer's streams end even when nothing is written to
//! them. Hyper's and h2's defaults bound the rest: 20 streams reset by the
//! client before they were served (a "rapid reset"), and 400 KiB of unsent
//! data per stream.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::tls::Tls;

/// The largest request head (request line and headers) read; a larger one
/// gets `431 Request Header Fields Too Large`. Hyper's read buffer starts at
/// 8 KiB and grows up to this only for a client that sends that much.
pub(crate) const MAX_REQUEST_HEAD: usize = 64 * 1024;

/// HTTP/2 streams open at once on one connection, at most.
pub(crate) const H2_MAX_STREAMS: u32 = 100;

/// How often an HTTP/2 connection is pinged.
pub(crate) const H2_PING_INTERVAL: Duration = Duration::from_secs(20);

/// How long an HTTP/2 ping may go unanswered before the connection closes.
pub(crate) const H2_PING_TIMEOUT: Duration = Duration::from_secs(20);

/// The limits, all flags of `chat`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct Limits {
    /// Close a connection whose request head (request line and headers) has
    /// not all arrived N milliseconds after it began (or after the previous
    /// response, on a kept-alive connection).
    #[arg(long, value_name = "N", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) header_timeout_ms: u64,
    /// Open connections at most; one more is closed as soon as it is accepted.
    #[arg(long, value_name = "N", default_value_t = 11_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_connections: u64,
    /// Open event streams at most; one more gets `503` with `Retry-After`.
    #[arg(long, value_name = "N", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_streams: u64,
    /// Conversations kept in memory at most; beyond it the least recently
    /// used are forgotten first, those with no open stream before the others
    /// (a forgotten conversation's open streams go on; without --redis).
    #[arg(long, value_name = "N", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_conversations: u64,
    /// The longest question `q`, in bytes (UTF-8); a longer one gets `400`.
    #[arg(long, value_name = "BYTES", default_value_t = 1000)]
    pub(crate) max_question_bytes: usize,
    /// The longest conversation id `c`, in bytes; a longer one gets `400`.
    #[arg(long, value_name = "BYTES", default_value_t = 128)]
    pub(crate) max_conversation_bytes: usize,
}

impl Limits {
    /// `400` when the conversation id or the question is too long.
    pub(crate) fn too_long(&self, conversation: &str, question: &str) -> Option<Response> {
        let too_long = |what: &str, max: usize| {
            let text = format!("{what} is longer than {max} bytes\n");
            (StatusCode::BAD_REQUEST, text).into_response()
        };
        if conversation.len() > self.max_conversation_bytes {
            return Some(too_long(
                "the conversation id `c`",
                self.max_conversation_bytes,
            ));
        }
        if question.len() > self.max_question_bytes {
            return Some(too_long("the question `q`", self.max_question_bytes));
        }
        None
    }
}

/// `503 Service Unavailable` with `Retry-After` and `why`: every stream, or
/// every call to the model, is taken.
pub(crate) fn busy(retry_after_secs: u64, why: &'static str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, retry_after_secs.max(1).to_string())],
        why,
    )
        .into_response()
}

// ---------------------------------------------------------------------------
// Connections and streams.

/// How many of something are open, the most ever open at once, and how many
/// were refused for being over the limit.
#[derive(Default, Debug)]
pub(crate) struct Gauge {
    open: AtomicUsize,
    peak: AtomicUsize,
    refused: AtomicUsize,
}

/// One open place in a [`Gauge`], given back when dropped.
#[derive(Debug)]
pub(crate) struct Slot(Arc<Gauge>);

impl Gauge {
    /// A place, unless `max` are open already.
    pub(crate) fn open(self: &Arc<Self>, max: u64) -> Option<Slot> {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        let taken = self
            .open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < max).then_some(open + 1)
            });
        match taken {
            Ok(before) => {
                self.peak.fetch_max(before + 1, Ordering::Relaxed);
                Some(Slot(Arc::clone(self)))
            }
            Err(_) => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    pub(crate) fn now(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    pub(crate) fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    pub(crate) fn refused(&self) -> usize {
        self.refused.load(Ordering::Relaxed)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves `router` on `listener` (hyper, one task per connection): over
/// HTTP/1.1, or with `tls` over TLS with HTTP/2 or HTTP/1.1. At most
/// `max_connections` at once, each closed when its request head takes
/// longer than the header timeout.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &Limits,
    connections: Arc<Gauge>,
    tls: Option<Tls>,
) {
    let header_timeout = Duration::from_millis(limits.header_timeout_ms);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_REQUEST_HEAD);
    let tls = tls.map(|tls| {
        let mut both = auto::Builder::new(TokioExecutor::new());
        both.http1()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .max_buf_size(MAX_REQUEST_HEAD);
        http2_bounds(&mut both.http2());
        Arc::new((tls, both))
    });
    let mut accept_failed = false;
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            // Out of file descriptors, most likely: the connections wait in
            // the listen queue until one closes.
            Err(e) => {
                if !std::mem::replace(&mut accept_failed, true) {
                    eprintln!(
                        "chat: cannot accept a connection: {e} (raise the open files limit, \
                         ulimit -n, or lower --max-connections)"
                    );
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        accept_failed = false;
        // Over the limit: closed at once.
        let Some(slot) = connections.open(limits.max_connections) else {
            continue;
        };
        // Tokens are small writes: send each at once.
        let _ = tcp.set_nodelay(true);
        if let Some(tls) = &tls {
            let (tls, router) = (Arc::clone(tls), router.clone());
            let accepted = tokio::time::Instant::now();
            tokio::spawn(async move {
                let (tls, http) = &*tls;
                tls.serve(tcp, accepted, header_timeout, router, http).await;
                drop(slot);
            });
            continue;
        }
        let service = TowerToHyperService::new(router.clone());
        let connection = http.serve_connection(TokioIo::new(tcp), service);
        tokio::spawn(async move {
            // The errors are the client's: a header timeout, a malformed or
            // too large request, a reset.
            let _ = connection.await;
            drop(slot);
        });
    }
}

/// Sets HTTP/2's bounds (see the module's documentation).
fn http2_bounds(http2: &mut auto::Http2Builder<'_, TokioExecutor>) {
    http2
        .timer(TokioTimer::new())
        .max_concurrent_streams(H2_MAX_STREAMS)
        .max_header_list_size(MAX_REQUEST_HEAD as u32)
        .keep_alive_interval(H2_PING_INTERVAL)
        .keep_alive_timeout(H2_PING_TIMEOUT);
}

/// The requests open on one connection, whose end its idle timeout waits
/// for.
#[derive(Default, Debug)]
pub(crate) struct Activity {
    open: AtomicUsize,
    changed: Notify,
}

/// One open request of an [`Activity`], counted out when dropped (with its
/// response body).
#[derive(Debug)]
pub(crate) struct Busy(Arc<Activity>);

impl Activity {
    /// Counts a request in until the [`Busy`] is dropped.
    pub(crate) fn begin(self: &Arc<Self>) -> Busy {
        self.open.fetch_add(1, Ordering::AcqRel);
        self.changed.notify_waiters();
        Busy(Arc::clone(self))
    }

    /// Returns once no request has been open for `idle`, counted from
    /// `since` (when none was open yet) or from the end of the last one.
    pub(crate) async fn idle_for(&self, idle: Duration, since: tokio::time::Instant) {
        let mut since = since;
        loop {
            let changed = self.changed.notified();
            if self.open.load(Ordering::Acquire) == 0 {
                tokio::select! {
                    () = tokio::time::sleep_until(since + idle) => return,
                    () = changed => {}
                }
            } else {
                changed.await;
            }
            since = tokio::time::Instant::now();
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
        self.0.changed.notify_waiters();
    }
}

/// Raises this process's limit on open files so that `max_connections`
/// sockets fit; says so when the hard limit is lower.
pub(crate) fn raise_open_files(max_connections: u64) {
    // The listener, stdio, the Redis connections, and some room.
    let wanted = max_connections.saturating_add(64);
    match rlimit::increase_nofile_limit(wanted) {
        Ok(got) if got < wanted => eprintln!(
            "chat: the open files limit is {got}: fewer than --max-connections {max_connections} \
             connections fit (raise it with ulimit -Hn)"
        ),
        Ok(_) => {}
        Err(e) => eprintln!("chat: cannot raise the open files limit: {e}"),
    }
}

// ---------------------------------------------------------------------------
// Conversations.

/// Makes room for one more entry in `map` of at most `max` entries: when it
/// is full, forgets the oldest 1/64th of it (at least one), ordered by
/// `age(entry)`: `(in use, last used)`, so entries not in use go first.
/// Forgetting a batch keeps the cost per new entry constant.
pub(crate) fn make_room<K, V, A>(map: &mut HashMap<K, V>, max: u64, age: impl Fn(&V) -> A)
where
    K: Eq + Hash + Clone,
    A: Ord,
{
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    if map.len() < max {
        return;
    }
    let excess = map.len() + 1 - max;
    let evict = excess.max(map.len() / 64).min(map.len());
    let mut ages: Vec<(A, K)> = map.iter().map(|(k, v)| (age(v), k.clone())).collect();
    if evict < ages.len() {
        ages.select_nth_unstable_by(evict, |a, b| a.0.cmp(&b.0));
        ages.truncate(evict);
    }
    for (_, key) in ages {
        map.remove(&key);
    }
}

// ---------------------------------------------------------------------------
// Logs.

/// The most characters of an untrusted value written to the log.
const SHOWN_CHARS: usize = 40;

/// An untrusted value as a log line shows it: at most 40 characters, with
/// control characters, line and paragraph separators, bidirectional
/// overrides and backslashes escaped (`\n`, `\u{202e}`, `\\`), and the
/// length of the rest when it was cut. Nothing a client sends can start a
/// line in the log or make one long.
pub(crate) struct Untrusted<'a>(pub(crate) &'a str);

impl fmt::Display for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.0.char_indices();
        for (_, c) in chars.by_ref().take(SHOWN_CHARS) {
            let escape = c == '\\'
                || c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}'..='\u{200f}')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if escape {
                write!(f, "{}", c.escape_debug())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        if let Some((at, _)) = chars.next() {
            write!(f, "…(+{} bytes)", self.0.len() - at)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_values_are_escaped_and_cut() {
        assert_eq!(Untrusted("gone").to_string(), "gone");
        assert_eq!(
            Untrusted("a\r\nchat: forged\\").to_string(),
            "a\\r\\nchat: forged\\\\"
        );
        assert_eq!(
            Untrusted("\u{202e}x\u{2028}").to_string(),
            "\\u{202e}x\\u{2028}"
        );
        let long = "é".repeat(50);
        assert_eq!(
            Untrusted(&long).to_string(),
            format!("{}…(+20 bytes)", "é".repeat(40))
        );
    }

    #[test]
    fn make_room_forgets_the_oldest_unused_first() {
        let mut map: HashMap<u32, (bool, u32)> = HashMap::new();
        for k in 0..4 {
            make_room(&mut map, 4, |v| *v);
            map.insert(k, (k == 0, k));
        }
        make_room(&mut map, 4, |v| *v);
        let mut left: Vec<u32> = map.keys().copied().collect();
        left.sort_unstable();
        // 0 is the oldest but in use: 1 goes.
        assert_eq!(left, [0, 2, 3]);
    }
}
