//! What a test does when an outside program it needs (Chromium,
//! redis-server) is not installed: a loud skip, or a failure under CI.
//!
//! Not part of any crate's library: tests include it as a module with
//! `#[path = "..."] mod missing;` (`support/chromium.rs` does too).

use std::io::Write;

/// Whether the environment variable `CI` is set (to anything but `""`, `0`
/// or `false`).
fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// For the test named `test` (e.g. "chat browser"), which needs `program`
/// (e.g. "chromium"), not found (`detail` says where it was looked for).
///
/// When [`ci`] is set, panics: CI installs the program (`install` says how,
/// e.g. "`bash .ci/install-browser` installs it"), so there the test must
/// run. Otherwise writes a loud `skipped: <program> not found` line and
/// returns, and the test returns at once and passes. The line is written to
/// the stderr stream itself rather than with `eprintln!`, which the test
/// harness captures, so that a plain `cargo test` shows it too.
pub(crate) fn skip_missing(program: &str, test: &str, detail: &str, install: &str) {
    if ci() {
        panic!(
            "{program} not installed ({detail}); {install}. CI is set: the {test} test must run there."
        );
    }
    let line = format!(
        "\nskipped: {program} not found ({detail}): the {test} test did not run. {install}. \
         With CI set, this test fails instead.\n"
    );
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}
