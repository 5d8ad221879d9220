//! Guards against drift, in the manner of rust-analyzer's tidy test: claims the documents make
//! about the code ("every limit in one place", "every module says what it is for", "this test
//! checks that") are checked here, on every `cargo test`.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The source folders of the workspace's crates.
fn sources() -> Vec<PathBuf> {
    ["engine/src", "protocol/src", "node/src", "src", "bench/src"]
        .iter()
        .flat_map(|dir| rust_files(&root().join(dir)))
        .collect()
}

#[test]
fn every_module_says_what_it_is_for() {
    let files = sources();
    assert!(files.len() > 40, "the sources were found: {}", files.len());
    let missing: Vec<_> = files
        .iter()
        .filter(|file| {
            !std::fs::read_to_string(file)
                .unwrap()
                .trim_start()
                .starts_with("//!")
        })
        .collect();
    assert!(
        missing.is_empty(),
        "no `//!` line at the top of {missing:?}"
    );
}

/// Whether `name` reads as a limit (TigerBeetle's naming: the unit or bound last).
fn is_limit_name(name: &str) -> bool {
    [
        "_MAX",
        "_MIN",
        "_TIMEOUT",
        "_TTL",
        "_TTL_MS",
        "_PAGE",
        "_AFTER_MS",
        "_WITHIN_MS",
    ]
    .iter()
    .any(|suffix| name.ends_with(suffix))
}

#[test]
fn every_limit_lives_in_a_limits_file() {
    let mut strays = Vec::new();
    for file in sources() {
        if file.file_name().is_some_and(|name| name == "limits.rs")
            || file.starts_with(root().join("bench"))
        {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // Unit tests at the bottom of a file may name their own sizes.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for line in code.lines() {
            let line = line.trim_start();
            let Some(rest) = line
                .strip_prefix("pub const ")
                .or_else(|| line.strip_prefix("pub(crate) const "))
                .or_else(|| line.strip_prefix("const "))
            else {
                continue;
            };
            let name = rest.split(':').next().unwrap_or_default().trim();
            if name != "_" && is_limit_name(name) {
                strays.push(format!("{}: {name}", file.display()));
            }
        }
    }
    assert!(strays.is_empty(), "limits outside a limits.rs: {strays:?}");
}

/// `path.rs: test_name` references in a document.
fn cited_tests(doc: &str) -> Vec<(String, String)> {
    let mut cited = Vec::new();
    for piece in doc.split('`') {
        let Some((path, name)) = piece.split_once(".rs: ") else {
            continue;
        };
        let path = format!("{path}.rs");
        let name = name.trim();
        if path.contains(' ')
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            continue;
        }
        cited.push((path, name.to_owned()));
    }
    cited
}

#[test]
fn every_test_the_architecture_names_exists() {
    let doc = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let cited = cited_tests(&doc);
    assert!(
        cited.len() > 20,
        "the citations were found: {}",
        cited.len()
    );
    let mut missing = Vec::new();
    let files: Vec<PathBuf> = ["engine", "protocol", "node", "src", "tests", "bench"]
        .iter()
        .flat_map(|dir| rust_files(&root().join(dir)))
        .collect();
    for (path, name) in cited {
        // A citation names a file by its path, or by its name when that is unambiguous.
        let candidates: Vec<&PathBuf> = files.iter().filter(|file| file.ends_with(&path)).collect();
        let [file] = candidates.as_slice() else {
            missing.push(format!("{path} ({} files match)", candidates.len()));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        if !text.contains(&format!("fn {name}(")) {
            missing.push(format!("{path}: {name}"));
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names tests that do not exist: {missing:?}"
    );
}

/// The string literals of `source` outside its `#[cfg(test)]` module and its comments.
fn string_literals(source: &str) -> Vec<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    let mut found = Vec::new();
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") || line.starts_with("#[") {
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find('"') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('"') else { break };
            found.push(after[..end].to_owned());
            rest = &after[end + 1..];
        }
    }
    found
}

/// The hashed state holds facts, not sentences: the fold and the policy write no words (a
/// literal with a space in it), so no rewording can move a state hash. The words live in
/// `node/src/texts/`.
#[test]
fn the_fold_writes_no_words() {
    let files = rust_files(&root().join("engine/src/state"));
    assert!(files.len() >= 5, "the state's files were found: {files:?}");
    let mut sentences = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        for literal in string_literals(&source) {
            if literal.contains(' ') {
                sentences.push(format!("{}: {literal:?}", file.display()));
            }
        }
    }
    assert!(sentences.is_empty(), "words in the fold: {sentences:#?}");
}

/// PROTOCOL.md lays out every body kind a client must send: each kind this version knows has
/// its row in §5.1.
#[test]
fn every_body_kind_is_in_the_protocol() {
    let body = std::fs::read_to_string(root().join("engine/src/body.rs")).unwrap();
    let protocol = std::fs::read_to_string(root().join("PROTOCOL.md")).unwrap();
    let kinds: Vec<&str> = body
        .lines()
        .filter_map(|line| {
            let (_, kind) = line.trim().split_once(") = \"")?;
            kind.strip_suffix("\",")
        })
        .collect();
    assert!(kinds.len() >= 20, "the kinds were found: {kinds:?}");
    let missing: Vec<_> = kinds
        .iter()
        .filter(|kind| !protocol.contains(&format!("`{kind}`")))
        .collect();
    assert!(missing.is_empty(), "PROTOCOL.md §5.1 lacks {missing:?}");
}
