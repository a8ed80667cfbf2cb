//! Shared by the integration tests that run the examples as programs.

use std::path::PathBuf;

/// The path of the built example `name`. `cargo test` builds the examples
/// before it runs integration tests; `cargo test --test X` does not.
pub(crate) fn example(name: &str) -> PathBuf {
    // target/<profile>/deps/<test>-<hash> -> target/<profile>/examples/<name>
    let mut path = std::env::current_exe().expect("test binary path");
    path.pop();
    path.pop();
    path.push("examples");
    path.push(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} not built: run `cargo build -p sse-core --examples` (plain `cargo test` builds it)",
        path.display()
    );
    path
}
