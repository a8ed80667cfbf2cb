//! Headless Chromium for the browser tests: where it is installed, and a
//! `Browser` driven over the DevTools protocol on a pipe (no extra
//! dependency beyond `serde_json`).
//!
//! Not part of any crate's library: the browser tests include it as a module
//! with `#[path = "..."] mod chromium;`: `examples/tests/chat.rs` (the chat
//! example's page), and in the `sse-core-tests` package
//! `tests/tests/browser.rs` (the encoder's interop with `EventSource`) and
//! `tests/tests/browser_decoder.rs` (the decoder's). It lives in a
//! subdirectory of `tests/` so that Cargo does not build it as a test of its
//! own.

// Each test uses only part of this file (the interop test sends no DevTools
// command), so what one of them leaves unused is not dead.
#![allow(dead_code)]

use std::fs;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

#[path = "missing.rs"]
mod missing;

/// Where Chromium is (`CHROMIUM`, else `/usr/bin/chromium`), or `None` when
/// it is not installed: the calling test (`test` names it, e.g. "browser
/// interop") then returns at once and passes, after a loud
/// `skipped: chromium not found` line on stderr; when `CI` is set, a
/// missing browser fails the test instead (`missing.rs`): CI installs
/// Chromium (`.ci/install-browser`), so there the test must run.
pub(crate) fn chromium_path(test: &str) -> Option<PathBuf> {
    let path = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if path.is_file() {
        return Some(path);
    }
    missing::skip_missing(
        "chromium",
        test,
        &format!("{} is missing", path.display()),
        "`bash .ci/install-browser` installs it (apt-get install chromium), or set CHROMIUM \
         to a Chromium binary",
    );
    None
}

/// Headless Chromium driven over the DevTools protocol on a pipe
/// (`--remote-debugging-pipe`: commands on its fd 3, replies on its fd 4,
/// JSON messages ended by NUL), in its own process group with a fresh
/// profile; closed, then killed (the whole group) when dropped.
pub(crate) struct Browser {
    child: Child,
    commands: ChildStdin,
    replies: Receiver<Value>,
    next_id: u64,
    dir: PathBuf,
    log: PathBuf,
}

impl Browser {
    /// Starts Chromium on `url`, with `extra_args` after the common ones
    /// (e.g. `--window-size=900,720`), its profile and log in a fresh
    /// directory `<dir_prefix>-<pid>-<nanos>` under `CARGO_TARGET_TMPDIR`.
    pub(crate) fn launch(
        chromium: &Path,
        url: &str,
        extra_args: &[&str],
        dir_prefix: &str,
    ) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{dir_prefix}-{}-{nanos}", std::process::id()));
        let profile = dir.join("profile");
        fs::create_dir_all(&profile).expect("create the browser's temporary directory");
        let log = dir.join("chromium.log");
        let stderr = fs::File::create(&log).expect("create the browser's log");
        // The shell moves the pipes to fds 3 and 4, then becomes Chromium
        // (whose own stdout goes to the log too).
        let mut child = Command::new("sh")
            .args(["-c", "exec 3<&0 4>&1 0</dev/null 1>&2; exec \"$0\" \"$@\""])
            .arg(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--disable-dev-shm-usage",
                "--no-default-browser-check",
                "--remote-debugging-pipe",
            ])
            .args(extra_args)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium.display()));
        let commands = child.stdin.take().unwrap();
        let mut output = child.stdout.take().unwrap();
        let (send, replies) = mpsc::channel();
        thread::spawn(move || {
            let mut pending = Vec::new();
            let mut buf = [0u8; 64 * 1024];
            while let Ok(n @ 1..) = output.read(&mut buf) {
                pending.extend_from_slice(&buf[..n]);
                while let Some(end) = pending.iter().position(|&b| b == 0) {
                    let message: Vec<u8> = pending.drain(..=end).collect();
                    if let Ok(value) = serde_json::from_slice(&message[..end]) {
                        if send.send(value).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Self {
            child,
            commands,
            replies,
            next_id: 0,
            dir,
            log,
        }
    }

    /// Sends a command and waits for its reply: the result, or the error.
    pub(crate) fn call(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, String> {
        self.call_within(Duration::from_secs(20), session, method, params)
    }

    /// [`Browser::call`], waiting at most `limit` for the reply.
    pub(crate) fn call_within(
        &mut self,
        limit: Duration,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.commands
            .write_all(&bytes)
            .and_then(|()| self.commands.flush())
            .map_err(|e| format!("{method}: cannot write to chromium: {e}"))?;
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.replies.recv_timeout(left) {
                Ok(reply) if reply["id"] == json!(id) => {
                    return match reply.get("error") {
                        Some(error) => Err(format!("{method}: {error}")),
                        None => Ok(reply["result"].clone()),
                    };
                }
                Ok(_) => {} // an event, or a late reply
                Err(RecvTimeoutError::Timeout) => return Err(format!("{method}: no reply")),
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(format!("{method}: chromium closed the pipe"));
                }
            }
        }
    }

    /// Attaches to the page the browser opened; returns the session id.
    pub(crate) fn page_session(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let targets = self
                .call(None, "Target.getTargets", json!({}))
                .unwrap_or_else(|e| self.fail(&e));
            let page = targets["targetInfos"]
                .as_array()
                .and_then(|targets| targets.iter().find(|t| t["type"] == json!("page")))
                .and_then(|t| t["targetId"].as_str().map(str::to_string));
            if let Some(target) = page {
                let attached = self
                    .call(
                        None,
                        "Target.attachToTarget",
                        json!({ "targetId": target, "flatten": true }),
                    )
                    .unwrap_or_else(|e| self.fail(&e));
                return attached["sessionId"]
                    .as_str()
                    .unwrap_or_else(|| self.fail("no session id"))
                    .to_string();
            }
            if Instant::now() > deadline {
                self.fail("chromium opened no page");
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Evaluates a JavaScript expression in the page; returns its value.
    pub(crate) fn evaluate(&mut self, session: &str, expression: &str) -> Result<Value, String> {
        let result = self.call(
            Some(session),
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        )?;
        Ok(result["result"]["value"].clone())
    }

    /// How Chromium exited, if it did.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The last `lines` lines of Chromium's stderr (and stdout), without the
    /// D-Bus errors.
    pub(crate) fn log_tail(&self, lines: usize) -> String {
        let text = fs::read(&self.log).map_or_else(
            |e| format!("(cannot read {}: {e})", self.log.display()),
            |bytes| String::from_utf8_lossy(&bytes).into_owned(),
        );
        // D-Bus is absent in containers; its errors hide the useful lines.
        let all: Vec<&str> = text
            .lines()
            .filter(|l| !l.contains(":ERROR:dbus/"))
            .collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Fails the test with `what` and the end of Chromium's log.
    pub(crate) fn fail(&self, what: &str) -> ! {
        panic!(
            "{what}\n\nchromium's stderr (last lines):\n{}",
            self.log_tail(30)
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let group = self.child.id().to_string();
        let signal = |name: &str| {
            let _ = Command::new("sh")
                .args([
                    "-c",
                    "kill -s \"$1\" -- \"-$2\" 2>/dev/null",
                    "sh",
                    name,
                    &group,
                ])
                .status();
        };
        let _ = self.call_within(Duration::from_secs(2), None, "Browser.close", json!({}));
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.exited().is_none() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        signal("TERM");
        thread::sleep(Duration::from_millis(50));
        signal("KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
        if thread::panicking() {
            eprintln!(
                "chromium's profile and log are kept in {}",
                self.dir.display()
            );
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}
