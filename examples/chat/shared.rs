//! `chat --redis URL`: conversations kept in Redis Streams, so that any
//! number of instances on the same Redis serve them, and a client resumes on
//! whichever instance its reconnection lands.
//!
//! Each conversation `C` has three keys:
//!
//! - `chat:C:log`, a stream: one entry per event of the answer, appended with
//!   `XADD ... MAXLEN`, with the fields `n` (the event's number, 1 for the
//!   first token), `event` (`token`, or the last: `done`, or `server-error`
//!   when the answer failed) and `data`;
//! - `chat:C:question`: the first question asked in the conversation;
//! - `chat:C:generator`: which instance generates the answer (`SET NX PX`,
//!   refreshed while it generates, deleted with the last event);
//! - `chat:C:asked`, with `--upstream`: which instance asked the model.
//!
//! **The SSE id of an event is its stream entry id**, `<ms>-<seq>` as Redis
//! assigned it (e.g. `1717171717171-0`). Redis makes every entry's id greater
//! than the one before it in that stream, whichever instance appended it, so
//! ids increase across instances, and a client's `Last-Event-ID` names one
//! entry that every instance can find.
//!
//! A stream request reads the log with `XRANGE` from the client's
//! `Last-Event-ID`: when the first entry is that id, the client gets the
//! entries after it (and `204` when that entry is the last); an id that is
//! not in the log (never was, or no longer kept) gets `event: reset` and the
//! answer from its first entry. Then it follows new entries with
//! `XREAD BLOCK`. Each stream has its own connection to Redis, as a
//! blocking read holds its connection.
//!
//! One instance generates each answer: the one whose `SET NX` took the
//! generator key. It appends with a script that checks, in one step, that
//! it still holds the key and that its event is the one after the log's
//! last, so no event is ever appended twice. An instance whose stream has
//! seen nothing new for a second tries to take the key, so when the
//! generating instance dies, or Redis restarts, another one (or the same)
//! goes on after the key expired.
//!
//! Once started, a generator goes on to the end whether or not anyone
//! listens. With `--upstream`, the model is asked once per answer: the
//! instance that asks sets `chat:C:asked` first, and one that takes over
//! an answer the model was asked for ends it with `server-error` rather
//! than asking again (a second call costs money and gives another answer).
//!
//! When Redis fails, a stream ends with `event: server-error` (with no id,
//! so the client keeps its `Last-Event-ID`); the client reconnects after
//! `retry` and resumes once Redis is back.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamId, StreamRangeReply, StreamReadReply};
use redis::{AsyncConnectionConfig, Client, RedisResult, Script};
use sse_core::{Message, encode_to};

use crate::model::{MAX_ANSWER_TOKENS, Permit};
use crate::{App, IDLE_LIMIT, Out, Step, encode_reset, encode_server_error, lock};

/// Entries kept per conversation (`XADD ... MAXLEN`): a bound on what one
/// conversation takes in Redis, and room for a whole answer (its tokens and
/// its last event), so an answer is never cut.
const MAX_ENTRIES: usize = MAX_ANSWER_TOKENS + 1;

/// How long the generator key lives unless its instance refreshes it: how
/// long a conversation waits before another instance takes over from one
/// that died.
const LOCK_TTL: Duration = Duration::from_secs(3);

/// How often the generator refreshes its key between events, and the
/// longest a stream waits in `XREAD BLOCK` before it checks that someone
/// generates.
const REFRESH: Duration = Duration::from_secs(1);

/// Appends event `n` if this instance holds the generator key and event
/// `n - 1` is the last in the log; then refreshes the expiries (deleting
/// the key after the last event, `done` or `server-error`). Returns the
/// entry id, or nil when it did not append.
const APPEND: &str = r"
-- KEYS: the log, the generator key, the question, the asked key.
-- ARGV: this instance, n, event, data, max entries, key ms, idle seconds.
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return false end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local have = 0
if #last > 0 then
  local fields = last[1][2]
  for i = 1, #fields, 2 do
    if fields[i] == 'n' then have = tonumber(fields[i + 1]) end
  end
end
if have + 1 ~= tonumber(ARGV[2]) then return false end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[5], '*',
  'n', ARGV[2], 'event', ARGV[3], 'data', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[7])
redis.call('EXPIRE', KEYS[3], ARGV[7])
redis.call('EXPIRE', KEYS[4], ARGV[7])
if ARGV[3] ~= 'token' then
  redis.call('DEL', KEYS[2])
else
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
end
return id
";

/// Refreshes the generator key if this instance holds it: 1, else 0.
const REFRESH_KEY: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
";

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The Redis side of the server.
pub(crate) struct Shared {
    client: Client,
    /// This instance's name in generator keys.
    me: String,
    /// Conversations whose next event this instance drops (`POST /drop`).
    drops: Mutex<HashSet<String>>,
    append: Script,
    refresh: Script,
}

/// A conversation's keys.
struct Keys {
    log: String,
    question: String,
    generator: String,
    /// Set by the instance that asks the model (`--upstream`), so that no
    /// other asks again.
    asked: String,
}

impl Keys {
    fn new(conversation: &str) -> Self {
        Self {
            log: format!("chat:{conversation}:log"),
            question: format!("chat:{conversation}:question"),
            generator: format!("chat:{conversation}:generator"),
            asked: format!("chat:{conversation}:asked"),
        }
    }
}

/// One stream entry: an event of the answer.
struct Entry {
    id: String,
    n: usize,
    event: String,
    data: String,
}

impl Entry {
    fn new(entry: StreamId) -> Self {
        Self {
            n: entry.get("n").unwrap_or(0),
            event: entry.get("event").unwrap_or_default(),
            data: entry.get("data").unwrap_or_default(),
            id: entry.id,
        }
    }

    /// Whether this is the answer's last event: `done`, or `server-error`
    /// when it failed.
    fn is_last(&self) -> bool {
        self.event != "token"
    }

    /// The event, with the entry id as its id, at the end of `out`.
    fn encode(&self, out: &mut Out) {
        let message = Message::new()
            .event_type(&self.event)
            .id(&self.id)
            .data(&self.data);
        // Ids and the example's event types have no line break.
        encode_to(&message, out).ok();
    }
}

/// Whether `id` has the form of a stream entry id, `<ms>-<seq>`.
fn is_entry_id(id: &str) -> bool {
    id.split_once('-')
        .is_some_and(|(ms, seq)| ms.parse::<u64>().is_ok() && seq.parse::<u64>().is_ok())
}

impl Shared {
    /// Checks that Redis at `url` answers.
    pub(crate) async fn connect(url: &str) -> Result<Self, Error> {
        let client = Client::open(url)?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let shared = Self {
            client,
            me: format!("{}-{nanos}", std::process::id()),
            drops: Mutex::default(),
            append: Script::new(APPEND),
            refresh: Script::new(REFRESH_KEY),
        };
        let _: String = redis::cmd("PING")
            .query_async(&mut shared.connection().await?)
            .await?;
        Ok(shared)
    }

    /// A new connection: each stream has its own, as `XREAD BLOCK` holds it.
    async fn connection(&self) -> RedisResult<MultiplexedConnection> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(REFRESH + Duration::from_secs(5)));
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
    }

    /// `POST /drop`: this instance's streams of `conversation` drop their
    /// next event.
    pub(crate) fn request_drop(&self, conversation: &str) {
        lock(&self.drops).insert(conversation.to_string());
    }

    fn take_drop(&self, conversation: &str) -> bool {
        lock(&self.drops).remove(conversation)
    }

    /// A stream of `conversation` for a client whose last event is
    /// `last_event_id`, writing `reset` to `head` when that is not in the log;
    /// `None` when the client has the whole answer (`204`).
    pub(crate) async fn open(
        &self,
        app: &Arc<App>,
        conversation: &str,
        question: &str,
        last_event_id: Option<&str>,
        tag: &str,
        head: &mut Out,
    ) -> Result<Option<Follower>, Error> {
        let keys = Keys::new(conversation);
        let mut connection = self.connection().await?;
        let idle = IDLE_LIMIT.as_secs();
        // The first question asked in a conversation is its question.
        let (question,): (String,) = redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(&keys.question)
            .arg(question)
            .arg("NX")
            .arg("EX")
            .arg(idle)
            .ignore()
            .cmd("EXPIRE")
            .arg(&keys.question)
            .arg(idle)
            .ignore()
            .cmd("EXPIRE")
            .arg(&keys.log)
            .arg(idle)
            .ignore()
            .cmd("GET")
            .arg(&keys.question)
            .query_async(&mut connection)
            .await?;

        // The client has the entries up to `after`; it gets `pending` next.
        let mut after = None;
        let mut pending = VecDeque::new();
        if let Some(id) = last_event_id.filter(|id| is_entry_id(id)) {
            let range: StreamRangeReply = redis::cmd("XRANGE")
                .arg(&keys.log)
                .arg(id)
                .arg("+")
                .query_async(&mut connection)
                .await?;
            let mut entries = range.ids.into_iter().map(Entry::new);
            if let Some(last) = entries.next().filter(|entry| entry.id == id) {
                if last.is_last() {
                    eprintln!("chat: {tag} Last-Event-ID {id}: finished and delivered: 204");
                    return Ok(None);
                }
                pending.extend(entries);
                eprintln!(
                    "chat: {tag} resuming after Last-Event-ID {id}: replaying {} event(s)",
                    pending.len()
                );
                after = Some(id.to_string());
            }
        }
        if after.is_none() {
            if let Some(id) = last_event_id {
                encode_reset(tag, id, head);
            }
            let range: StreamRangeReply = redis::cmd("XRANGE")
                .arg(&keys.log)
                .arg("-")
                .arg("+")
                .query_async(&mut connection)
                .await?;
            pending.extend(range.ids.into_iter().map(Entry::new));
            if pending.front().is_some_and(|first| first.n != 1) {
                // Never a silent gap.
                return Err("the start of this answer is no longer kept".into());
            }
        }
        let last_id = pending
            .back()
            .map(|entry| entry.id.clone())
            .or(after)
            .unwrap_or_else(|| "0-0".to_string());
        let mut follower = Follower {
            connection,
            conversation: conversation.to_string(),
            question,
            keys,
            last_id,
            pending,
            finished: false,
        };
        if !follower.pending.back().is_some_and(Entry::is_last) {
            follower.ensure_generator(app, tag).await?;
        }
        Ok(Some(follower))
    }

    /// Generates the answer from event `n` on, the last in the log plus one,
    /// while this instance holds the generator key.
    async fn generate(
        &self,
        app: &App,
        conversation: &str,
        question: &str,
        tag: &str,
        permit: Permit,
    ) -> RedisResult<Generated> {
        let keys = Keys::new(conversation);
        let mut connection = self.connection().await?;
        // The answer so far, for `done`.
        let log: StreamRangeReply = redis::cmd("XRANGE")
            .arg(&keys.log)
            .arg("-")
            .arg("+")
            .query_async(&mut connection)
            .await?;
        let entries: Vec<Entry> = log.ids.into_iter().map(Entry::new).collect();
        if entries.last().is_some_and(Entry::is_last) {
            // The end came between this instance's look at the log and its
            // taking the key, which expires by itself.
            return Ok(Generated::AlreadyDone);
        }
        let mut n = entries.last().map_or(0, |e| e.n) + 1;
        let mut text: String = entries.iter().map(|e| e.data.as_str()).collect();
        // A model is asked once per answer: an instance that finds it was
        // asked already cannot go on from where the other one stopped.
        let mut from = n - 1;
        if app.model.name().is_some() {
            let first: Option<String> = redis::cmd("SET")
                .arg(&keys.asked)
                .arg(&self.me)
                .arg("NX")
                .arg("EX")
                .arg(IDLE_LIMIT.as_secs())
                .query_async(&mut connection)
                .await?;
            if first.is_none() {
                from = from.max(1);
            }
        }
        eprintln!("chat: {tag} generating the answer on this instance, from event {n}");
        let key_ms = LOCK_TTL.as_millis() as u64;
        let mut tokens = app.model.answer(question, from, permit);
        loop {
            // Until the next token comes, keep the key.
            let next = loop {
                if let Ok(next) = tokio::time::timeout(REFRESH, tokens.next()).await {
                    break next;
                }
                let mine: bool = self
                    .refresh
                    .key(&keys.generator)
                    .arg(&self.me)
                    .arg(key_ms)
                    .invoke_async(&mut connection)
                    .await?;
                if !mine {
                    return Ok(Generated::TakenOver);
                }
            };
            let (event, data) = match next {
                Some(Ok(token)) => {
                    text.push_str(&token);
                    ("token", token)
                }
                Some(Err(failure)) => {
                    eprintln!("chat: {tag} the answer failed: {failure}");
                    ("server-error", failure.to_string())
                }
                None => ("done", std::mem::take(&mut text)),
            };
            let id: Option<String> = self
                .append
                .key(&keys.log)
                .key(&keys.generator)
                .key(&keys.question)
                .key(&keys.asked)
                .arg(&self.me)
                .arg(n)
                .arg(event)
                .arg(data)
                .arg(MAX_ENTRIES)
                .arg(key_ms)
                .arg(IDLE_LIMIT.as_secs())
                .invoke_async(&mut connection)
                .await?;
            if id.is_none() {
                return Ok(Generated::TakenOver);
            }
            if event != "token" {
                return Ok(Generated::Done);
            }
            n += 1;
        }
    }
}

/// How a generator ended.
enum Generated {
    /// It appended the last event, `done` or `server-error`.
    Done,
    /// The log had `done` already.
    AlreadyDone,
    /// Another instance holds the generator key.
    TakenOver,
}

/// One client's view of a conversation's log: what it has, what it gets
/// next, and the connection that waits for more.
pub(crate) struct Follower {
    connection: MultiplexedConnection,
    conversation: String,
    question: String,
    keys: Keys,
    /// The id of the last entry read from the log.
    last_id: String,
    /// Entries read and not yet written.
    pending: VecDeque<Entry>,
    /// `done` was written.
    finished: bool,
}

impl Follower {
    /// What the stream does next; waits in `XREAD BLOCK` when there is
    /// nothing to write (the response body sends heartbeats meanwhile).
    pub(crate) async fn step(&mut self, app: &Arc<App>, tag: &str, written: &mut u64) -> Step {
        if self.pending.is_empty() {
            if self.finished {
                return Step::Finished;
            }
            if let Err(e) = self.read(app, tag).await {
                let mut out = Out::default();
                encode_server_error(tag, &e, &mut out);
                return Step::Failed(out.0);
            }
            if self.pending.is_empty() {
                return Step::Wait;
            }
        }
        let drop_every = app.args.drop_every;
        let drop_requested = app
            .redis
            .as_ref()
            .is_some_and(|shared| shared.take_drop(&self.conversation));
        let mut out = Out::default();
        if (drop_every > 0 && *written >= drop_every) || drop_requested {
            if let Some(entry) = self.pending.pop_front() {
                entry.encode(&mut out);
                return Step::Lost(out.0, entry.id);
            }
        }
        while drop_every == 0 || *written < drop_every {
            let Some(entry) = self.pending.pop_front() else {
                break;
            };
            entry.encode(&mut out);
            *written += 1;
            self.finished |= entry.is_last();
        }
        Step::Send(out.0)
    }

    /// Reads the entries after `last_id` into `pending`, waiting up to
    /// [`REFRESH`] for them. When none came, takes over generating if no
    /// instance does.
    async fn read(&mut self, app: &Arc<App>, tag: &str) -> RedisResult<()> {
        let block = REFRESH.as_millis() as u64;
        let reply: Option<StreamReadReply> = redis::cmd("XREAD")
            .arg("BLOCK")
            .arg(block)
            .arg("COUNT")
            .arg(MAX_ENTRIES)
            .arg("STREAMS")
            .arg(&self.keys.log)
            .arg(&self.last_id)
            .query_async(&mut self.connection)
            .await?;
        let entries = reply
            .into_iter()
            .flat_map(|reply| reply.keys)
            .flat_map(|key| key.ids)
            .map(Entry::new);
        self.pending.extend(entries);
        match self.pending.back() {
            Some(last) => self.last_id.clone_from(&last.id),
            None => self.ensure_generator(app, tag).await?,
        }
        Ok(())
    }

    /// Starts generating the answer on this instance when no instance does
    /// (this one takes the generator key).
    async fn ensure_generator(&mut self, app: &Arc<App>, tag: &str) -> RedisResult<()> {
        let Some(shared) = &app.redis else {
            return Ok(());
        };
        // With --max-model-calls answers being asked here, another
        // instance, or this one later, generates it.
        let Some(permit) = app.model.permit() else {
            return Ok(());
        };
        let taken: Option<String> = redis::cmd("SET")
            .arg(&self.keys.generator)
            .arg(&shared.me)
            .arg("NX")
            .arg("PX")
            .arg(LOCK_TTL.as_millis() as u64)
            .query_async(&mut self.connection)
            .await?;
        if taken.is_none() {
            return Ok(());
        }
        let (app, conversation, question, tag) = (
            Arc::clone(app),
            self.conversation.clone(),
            self.question.clone(),
            tag.to_string(),
        );
        tokio::spawn(async move {
            let Some(shared) = &app.redis else {
                return;
            };
            match shared
                .generate(&app, &conversation, &question, &tag, permit)
                .await
            {
                Ok(Generated::Done) => eprintln!("chat: {tag} answer generated"),
                Ok(Generated::AlreadyDone) => {}
                Ok(Generated::TakenOver) => {
                    eprintln!("chat: {tag} generator stopped: another instance took over")
                }
                Err(e) => eprintln!(
                    "chat: {tag} generator stopped: {e} (another stream takes over when Redis answers)"
                ),
            }
        });
        Ok(())
    }
}
