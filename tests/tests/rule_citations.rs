//! Every rule number cited in the repository (`R1`-`R55` for the standard's
//! rules, `D1`-`D15` for divergences, as in `sse-core/SPEC.md`) exists in
//! `sse-core/SPEC.md`: in the source, the tests and their vectors, the
//! examples, the benchmarks, the fuzz targets, the CI scripts and the docs.
#![cfg(not(miri))]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the repository")
        .to_path_buf()
}

/// The rules `SPEC.md` defines: each has an anchor `<a id="r12"></a>`.
fn defined(spec: &str) -> BTreeSet<String> {
    spec.split("<a id=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_uppercase)
        .collect()
}

/// The rule numbers `text` cites: `R` or `D`, digits and maybe one lowercase
/// letter, standing alone (not inside a word, a hex number or `U+D800`).
fn cited(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut found = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        if !matches!(b, b'R' | b'D') || i > 0 && (word(bytes[i - 1]) || bytes[i - 1] == b'+') {
            continue;
        }
        let digits = bytes[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 {
            continue;
        }
        let mut end = i + 1 + digits;
        if bytes.get(end).is_some_and(u8::is_ascii_lowercase) {
            end += 1;
        }
        if bytes.get(end).is_some_and(|&b| word(b)) {
            continue;
        }
        found.push(text[i..end].to_owned());
    }
    found
}

/// The text files under `dir`, build output and fuzz corpora left out.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(
                &*name,
                "target" | ".git" | "corpus" | "artifacts" | "coverage" | "node_modules"
            ) {
                files(&path, out);
            }
        } else if [".rs", ".md", ".toml", ".json", ".py", ".sh"]
            .iter()
            .any(|ext| name.ends_with(ext))
            || path.parent().and_then(Path::file_name) == Some(".ci".as_ref())
        {
            out.push(path);
        }
    }
}

#[test]
fn the_citation_scan_finds_rules_and_skips_other_words() {
    // A rule with a letter, built here so that this file cites none.
    let lettered = concat!("R26", "a");
    let text = format!("R8, (R12) R1-R55 and D3; {lettered}. R2D2 0xD1 U+D800 DR1 R x");
    assert_eq!(cited(&text), ["R8", "R12", "R1", "R55", "D3", lettered]);
    let spec = "<a id=\"r1\"></a>**R1** x <a id=\"d2\"></a>";
    assert_eq!(defined(spec), BTreeSet::from(["R1".into(), "D2".into()]));
}

#[test]
fn every_cited_rule_exists_in_the_spec() {
    let root = root();
    let spec = std::fs::read_to_string(root.join("sse-core/SPEC.md")).expect("SPEC.md");
    let defined = defined(&spec);
    assert!(
        defined.contains("R55") && defined.contains("D15"),
        "{defined:?}"
    );
    let mut paths = Vec::new();
    files(&root, &mut paths);
    assert!(paths.len() > 50, "found only {} files", paths.len());
    let mut missing = Vec::new();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for rule in cited(&text) {
            if !defined.contains(&rule) {
                missing.push(format!("{}: {rule}", path.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "rules cited but not in sse-core/SPEC.md:\n{}",
        missing.join("\n")
    );
}
