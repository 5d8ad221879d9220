//! The checked-in fixture log: a file written by the first storage schema must keep opening
//! and replaying to the same state hash in every later version.
//!
//! To write the fixture anew (only when the story itself changes, never to make this test
//! pass after a format change): `NHIP_BLESS=1 cargo test --test fixture`.
//!
//! History of deliberate changes (the storage schema is still 1 throughout):
//! - The workflow engine (issue 3) replaced the preview task projection: the state, and so its
//!   hash, gained the registry, definitions, items, conflicts and indicators, and the story
//!   now writes registry and workflow events. The fixture was written anew.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use nhip::engine::{EventLog, RedbLog, node_id, replay};
use nhip::sample::offline_story;

/// The state hash of `tests/fixtures/log-v1.redb`, as written by schema 1.
const FIXTURE_STATE_HASH: &str = "80d4beccf0a325337cedac706cc047abba24d64dca0a77e78758dd13a34c8c56";
const FIXTURE_EVENTS: u64 = 54;

fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/log-v1.redb")
}

/// Writes the story into a fresh commune log at `path`.
fn write_story(path: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let commune_key = SigningKey::from_bytes(&[1; 32]);
    let village_key = SigningKey::from_bytes(&[2; 32]);
    let commune = RedbLog::create(path, node_id(&commune_key)).unwrap();
    let village = RedbLog::create(&dir.path().join("village.redb"), node_id(&village_key)).unwrap();
    offline_story(&commune, &commune_key, &village, &village_key).unwrap();
}

#[test]
fn the_fixture_log_still_opens_and_replays_to_the_same_state() {
    if std::env::var_os("NHIP_BLESS").is_some() {
        let _ = std::fs::remove_file(fixture_path());
        write_story(&fixture_path());
    }
    // Work on a copy: the fixture itself must never change under a test.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("log.redb");
    std::fs::copy(fixture_path(), &copy).expect("tests/fixtures/log-v1.redb is checked in");
    let log = RedbLog::open(&copy).unwrap();
    let state = replay(&log).unwrap();
    assert_eq!(state.events, FIXTURE_EVENTS);
    assert_eq!(state.hash().to_hex(), FIXTURE_STATE_HASH);
    // Every chain in the fixture still verifies under its seals.
    for (chain, head) in log.heads().unwrap() {
        let seals = log.seals(&chain, nhip::engine::Seq(1), head.seq).unwrap();
        assert!(seals.iter().all(|seal| seal.verify().is_ok()));
        assert_eq!(seals.last().unwrap().hash, head.hash);
    }
}

#[test]
fn the_story_written_today_replays_to_the_fixture_hash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.redb");
    write_story(&path);
    let state = replay(&RedbLog::open(&path).unwrap()).unwrap();
    assert_eq!(state.hash().to_hex(), FIXTURE_STATE_HASH);
}
