//! The vector files in `tests/vectors/`, in the schema of `tests/vectors/README.md`.
//!
//! `public.json` holds the spec and web-platform-test vectors; every other
//! `*.json` file holds our own vectors.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One expected event.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ExpectedEvent {
    /// The event type (`"message"` by default).
    #[serde(rename = "type")]
    pub event_type: String,
    /// The data.
    pub data: String,
    /// The last event ID of the event.
    pub last_event_id: String,
}

/// One vector.
#[derive(Clone, Debug, Deserialize)]
pub struct Vector {
    /// What it checks.
    pub name: String,
    /// The main rule.
    #[serde(default)]
    pub rule: Option<String>,
    /// Every rule it exercises.
    #[serde(default)]
    pub rules: Vec<String>,
    /// The body, when it is valid UTF-8.
    #[serde(default)]
    pub stream: Option<String>,
    /// The body in hex, when it is not valid UTF-8.
    #[serde(default)]
    pub stream_hex: Option<String>,
    /// A chunking to feed, as strings.
    #[serde(default)]
    pub chunks: Option<Vec<String>>,
    /// A chunking to feed, in hex.
    #[serde(default)]
    pub chunks_hex: Option<Vec<String>>,
    /// The last event ID string when the body starts.
    #[serde(default)]
    pub initial_last_event_id: Option<String>,
    /// The reconnection time before the body.
    #[serde(default)]
    pub initial_reconnection_ms: Option<u64>,
    /// The dispatched events, in order.
    pub events: Vec<ExpectedEvent>,
    /// The reconnection time after the body, when checked.
    #[serde(default)]
    pub reconnection_ms: Option<u64>,
    /// The committed last event ID after the body, when checked.
    #[serde(default)]
    pub final_last_event_id: Option<String>,
    /// The expectation records a choice the standard leaves open.
    #[serde(default)]
    pub impl_defined: bool,
    /// `wpt`, `spec` or `derived`.
    #[serde(default)]
    pub source: Option<String>,
    /// How the expectation was worked out.
    #[serde(default)]
    pub notes: Option<String>,
}

/// Decodes a hex string (whitespace allowed).
pub fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len().is_multiple_of(2), "odd hex length: {text}");
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).expect("hex is ASCII");
            u8::from_str_radix(s, 16).unwrap_or_else(|_| panic!("bad hex {s:?}"))
        })
        .collect()
}

impl Vector {
    /// The exact body bytes.
    pub fn bytes(&self) -> Vec<u8> {
        match (&self.stream, &self.stream_hex) {
            (_, Some(h)) => hex(h),
            (Some(s), None) => s.as_bytes().to_vec(),
            (None, None) => panic!("vector {:?} has no stream", self.name),
        }
    }

    /// The vector's own chunking, if it gives one.
    pub fn given_chunks(&self) -> Option<Vec<Vec<u8>>> {
        if let Some(h) = &self.chunks_hex {
            return Some(h.iter().map(|c| hex(c)).collect());
        }
        self.chunks
            .as_ref()
            .map(|c| c.iter().map(|c| c.as_bytes().to_vec()).collect())
    }

    /// The last event ID string the body starts with.
    pub fn initial_id(&self) -> &str {
        self.initial_last_event_id.as_deref().unwrap_or("")
    }
}

/// The folder of vector files.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

/// Reads one vector file.
pub fn load(path: &Path) -> Vec<Vector> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The spec and web-platform-test vectors (a copy of the shared file).
pub fn public() -> Vec<Vector> {
    load(&dir().join("public.json"))
}

/// Our own vectors: every `*.json` in `tests/vectors/` but `public.json`, by file name.
pub fn own() -> Vec<(String, Vec<Vector>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("tests/vectors exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| p.file_name().is_some_and(|n| n != "public.json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let vectors = load(&p);
            (name, vectors)
        })
        .collect()
}

/// Every vector, public and own.
pub fn all() -> Vec<Vector> {
    let mut all = public();
    for (_, mut vectors) in own() {
        all.append(&mut vectors);
    }
    all
}
