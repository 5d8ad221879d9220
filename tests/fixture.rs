//! The checked-in fixture log: a file written by the first storage schema must keep opening
//! and replaying to the same state hash in every later version.
//!
//! To write the fixture anew (only when the story itself changes, never to make this test
//! pass after a format change): `NHIP_BLESS=1 cargo test --test fixture`.
//!
//! History of deliberate changes (the file itself is schema 1 throughout; schema 2, records
//! that may carry a signature verdict, reads every schema-1 file as it is):
//! - The workflow engine (issue 3) replaced the preview task projection: the state, and so its
//!   hash, gained the registry, definitions, items, conflicts and indicators, and the story
//!   now writes registry and workflow events. The fixture was written anew.
//! - The state hash became a hash of an explicit digest (`nhip_engine::digest`, rules version
//!   2) that leaves out the state's words — history summaries, refusal reasons and conflict
//!   explanations — so that rewording a message moves no hash. The log file is unchanged; its
//!   state hash changed once, here.
//! - Rules version 3 (person keys and signatures: once a person has an account, their events
//!   must carry their signature): the state itself holds no words any more (history entries,
//!   refusals and conflicts are kinds with fields). The log file is unchanged and folds to the
//!   very state it folded to before — its digest under rules version 2 is the earlier hash,
//!   checked below — so its state hash changed only by the rules version it states.
//! - Rules version 4 (membership in the log: `node.revoked`, a new kind of event, now changes
//!   the registry): the fixture holds no such event and folds to the very state it folded to
//!   under rules version 3 — checked below — so its state hash changed only by the version.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use nhip::engine::{EventLog, RedbLog, node_id, replay};
use nhip::sample::offline_story;

/// The state hash of `tests/fixtures/log-v1.redb`, as written by schema 1.
const FIXTURE_STATE_HASH: &str = "1c14bef685fcba04b5eb30362bb6c36d8be5335feca038d2bbcd1dc37a08c0ac";
/// Its state hash under rules version 3, before revocations were events.
const FIXTURE_STATE_HASH_RULES_3: &str =
    "0bd9cc9359e9bbc09d1086007c4a800312cf86a7d643d9840d6899056ef21050";
/// Its state hash under rules version 2, before accounts: the same state, digested with the
/// rules version it had.
const FIXTURE_STATE_HASH_RULES_2: &str =
    "0a04bc844a752b81323cf739d0f5e85ca8586cb17dec1c455d039c79e24c6eaa";
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
    // A log from before accounts, and from before revocations, folds to the state it folded
    // to then.
    assert_eq!(
        nhip::engine::digest::hash_under(&state, 3).to_hex(),
        FIXTURE_STATE_HASH_RULES_3
    );
    assert_eq!(
        nhip::engine::digest::hash_under(&state, 2).to_hex(),
        FIXTURE_STATE_HASH_RULES_2
    );
    assert_eq!(state.signed, 0);
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
