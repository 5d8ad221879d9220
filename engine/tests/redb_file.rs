//! The redb file: durability across reopen, the schema marker and its migration, the verdicts
//! on personal signatures kept with the records, and clear errors for files that are not (or
//! not yet) readable by this version.

use ed25519_dalek::SigningKey;
use nhip_engine::body::{ItemCreated, Known};
use nhip_engine::signature::{self, Verdict};
use nhip_engine::state::Refusal;
use nhip_engine::{
    Draft, EventId, EventLog, OpenError, PersonId, RedbLog, SCHEMA_VERSION, Seq, UnitId, audit,
    node_id, replay, replay_verifying,
};
use redb::{ReadableDatabase, ReadableTable};

const T0: u64 = 1_758_585_600_000;

fn task(n: u128) -> Draft {
    Draft {
        id: EventId(uuid::Uuid::from_u128(n)),
        actor: PersonId::new("nguyen-tien-thinh").unwrap(),
        unit: UnitId::new("xa-binh-lu").unwrap(),
        seen: None,
        body: Known::ItemCreated(ItemCreated::simple(
            "document",
            format!("Việc {n}"),
            UnitId::new("xa-binh-lu").unwrap(),
            None,
        ))
        .to_body(),
    }
}

#[test]
fn what_was_acknowledged_is_there_after_reopen() {
    let signer = SigningKey::from_bytes(&[1; 32]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.redb");
    let hash = {
        let log = RedbLog::create(&path, node_id(&signer)).unwrap();
        log.append(&signer, T0, vec![task(1), task(2)]).unwrap();
        log.append(&signer, T0 + 1, vec![task(3)]).unwrap();
        replay(&log).unwrap().hash()
    };
    let log = RedbLog::open(&path).unwrap();
    assert_eq!(log.node(), node_id(&signer));
    assert_eq!(replay(&log).unwrap().hash(), hash);
    // The clock survives too: a new event after reopen still sorts after the old ones, even
    // with a wall clock that went back.
    let next = log.append(&signer, T0 - 60_000, vec![task(4)]).unwrap();
    assert_eq!(next[0].event.seq, Seq(4));
    let chain = next[0].event.chain();
    let previous = log.read_chain(&chain, Seq(3), 1).unwrap();
    assert!(next[0].event.hlc > previous[0].event.hlc);
}

#[test]
fn a_newer_schema_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.redb");
    drop(RedbLog::create(&path, node_id(&SigningKey::from_bytes(&[1; 32]))).unwrap());
    {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut meta = txn
                .open_table(redb::TableDefinition::<&str, &[u8]>::new("meta"))
                .unwrap();
            meta.insert("schema", (SCHEMA_VERSION + 1).to_le_bytes().as_slice())
                .unwrap();
        }
        txn.commit().unwrap();
    }
    let error = RedbLog::open(&path).err().unwrap();
    assert!(
        matches!(error, OpenError::UnsupportedSchema { found, supported }
            if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{error}"
    );
    assert!(error.to_string().contains("newer"));
}

#[test]
fn files_that_are_not_nhip_logs_are_refused() {
    let dir = tempfile::tempdir().unwrap();

    let other = dir.path().join("other.redb");
    drop(redb::Database::create(&other).unwrap());
    assert!(matches!(RedbLog::open(&other), Err(OpenError::NotANhipLog)));

    let garbage = dir.path().join("garbage.redb");
    std::fs::write(&garbage, b"this is a spreadsheet, not a log").unwrap();
    assert!(matches!(
        RedbLog::open(&garbage),
        Err(OpenError::Storage(_))
    ));

    let missing = dir.path().join("missing.redb");
    assert!(matches!(
        RedbLog::open(&missing),
        Err(OpenError::NotFound(_))
    ));
    assert!(!missing.exists(), "open must not create a file");
}

#[test]
fn create_never_touches_an_existing_file_and_a_second_open_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.redb");
    let node = node_id(&SigningKey::from_bytes(&[1; 32]));
    let log = RedbLog::create(&path, node).unwrap();
    assert!(matches!(
        RedbLog::create(&path, node),
        Err(OpenError::AlreadyExists(_))
    ));
    assert!(matches!(RedbLog::open(&path), Err(OpenError::Locked)));
    drop(log);
    assert!(RedbLog::open(&path).is_ok());
}

/// Opens a damaged copy and reads all of it the way `nhip audit verify` does: whatever the
/// damage, the answer is an error or a report, never a panic, and the original is untouched.
fn read_damaged(path: &std::path::Path) -> Result<(nhip_engine::audit::Report, u64), String> {
    let log = RedbLog::open(path).map_err(|error| error.to_string())?;
    let report =
        nhip_engine::audit::verify(&log, &mut |_| {}).map_err(|error| error.to_string())?;
    let events = replay(&log).map_err(|error| error.to_string())?.events;
    Ok((report, events))
}

#[test]
fn a_corrupt_or_truncated_file_on_start_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.redb");
    let signer = SigningKey::from_bytes(&[4; 32]);
    {
        let log = RedbLog::create(&path, node_id(&signer)).unwrap();
        for chunk in 0..20u128 {
            log.append(
                &signer,
                T0,
                (0..100).map(|n| task(chunk * 100 + n)).collect(),
            )
            .unwrap();
        }
    }
    let original = std::fs::read(&path).unwrap();
    let mut outcomes = Vec::new();

    // Truncated at every eighth of its length, and to nothing but a header.
    for eighth in 0..8 {
        let damaged = dir.path().join(format!("truncated-{eighth}.redb"));
        let len = if eighth == 0 {
            512
        } else {
            original.len() * eighth / 8
        };
        std::fs::write(&damaged, &original[..len]).unwrap();
        outcomes.push((format!("truncated to {len}"), read_damaged(&damaged)));
    }
    // 64 bytes overwritten at spots spread through the file.
    for spot in 1..16 {
        let damaged = dir.path().join(format!("corrupt-{spot}.redb"));
        let mut bytes = original.clone();
        let at = bytes.len() * spot / 16;
        for byte in &mut bytes[at..at + 64] {
            *byte ^= 0xa5;
        }
        std::fs::write(&damaged, &bytes).unwrap();
        outcomes.push((format!("64 bytes flipped at {at}"), read_damaged(&damaged)));
    }
    for (damage, outcome) in &outcomes {
        match outcome {
            Err(error) => assert!(!error.is_empty(), "{damage}: an empty error"),
            // Damage in a page nothing uses any more is harmless, and the log is whole;
            // anything else must show as a problem, never as a silently shorter log.
            Ok((report, events)) => assert!(
                !report.problems.is_empty() || *events == 2_000,
                "{damage}: verified clean with {events} of 2,000 events"
            ),
        }
    }
    // Truncation to a header cannot pass as a healthy log.
    assert!(
        outcomes[0]
            .1
            .as_ref()
            .map_or(true, |(report, _)| !report.problems.is_empty()),
        "{:?}",
        outcomes[0].0
    );
    // The original is untouched and whole.
    let log = RedbLog::open(&path).unwrap();
    assert_eq!(replay(&log).unwrap().events, 2_000);
}

/// The schema number in a log file, read past the log's own open.
fn schema_of(path: &std::path::Path) -> u32 {
    let db = redb::Database::open(path).unwrap();
    let txn = db.begin_read().unwrap();
    let meta = txn
        .open_table(redb::TableDefinition::<&str, &[u8]>::new("meta"))
        .unwrap();
    let bytes = meta.get("schema").unwrap().unwrap();
    u32::from_le_bytes(bytes.value().try_into().unwrap())
}

fn set_schema(path: &std::path::Path, schema: u32) {
    let db = redb::Database::open(path).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut meta = txn
            .open_table(redb::TableDefinition::<&str, &[u8]>::new("meta"))
            .unwrap();
        meta.insert("schema", schema.to_le_bytes().as_slice())
            .unwrap();
    }
    txn.commit().unwrap();
}

#[test]
fn a_schema_1_log_is_read_as_it_is_and_migrated_when_opened_for_writing() {
    let signer = SigningKey::from_bytes(&[1; 32]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.redb");
    let hash = {
        let log = RedbLog::create(&path, node_id(&signer)).unwrap();
        log.append(&signer, T0, vec![task(1)]).unwrap();
        replay(&log).unwrap().hash()
    };
    assert_eq!(schema_of(&path), SCHEMA_VERSION);
    set_schema(&path, 1);
    // An auditor's read-only open changes nothing.
    let audit = RedbLog::open_read_only(&path).unwrap();
    assert_eq!(replay(&audit).unwrap().hash(), hash);
    drop(audit);
    assert_eq!(schema_of(&path), 1);
    // A node's open brings it to this schema, so that no older reader meets a record it
    // cannot read.
    drop(RedbLog::open(&path).unwrap());
    assert_eq!(schema_of(&path), SCHEMA_VERSION);
}

/// Every event of `log` with the verdict the log kept on its personal signature.
fn verdicts(log: &RedbLog) -> Vec<(EventId, Verdict)> {
    let mut out = Vec::new();
    log.scan(&mut |event, _, verdict| out.push((event.id, verdict)))
        .unwrap();
    out.sort_by_key(|(id, _)| *id);
    out
}

/// A signed task whose signature was made for another event id: it does not verify.
fn moved_signature(n: u128, person: &SigningKey) -> Draft {
    let mut draft = signature::sign(task(n + 1000), person);
    draft.id = task(n).id;
    draft
}

#[test]
fn a_personal_signature_is_verified_once_on_arrival_and_the_verdict_kept() {
    let signer = SigningKey::from_bytes(&[1; 32]);
    let person = SigningKey::from_bytes(&[9; 32]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.redb");
    let log = RedbLog::create(&path, node_id(&signer)).unwrap();
    let drafts = vec![
        signature::sign(task(1), &person),
        task(2),
        moved_signature(3, &person),
    ];
    log.append(&signer, T0, drafts).unwrap();
    let expected = vec![
        (task(1).id, Verdict::Verified),
        (task(2).id, Verdict::Unchecked),
        (task(3).id, Verdict::Unchecked),
    ];
    assert_eq!(verdicts(&log), expected);
    // Trusting the verdicts folds to the very state that verifying everything again does.
    let verifying = replay_verifying(&log).unwrap();
    assert_eq!(replay(&log).unwrap().hash(), verifying.hash());
    assert!(matches!(
        verifying.refused.get(&task(3).id),
        Some(Refusal::SignatureInvalid { .. })
    ));
    drop(log);
    let log = RedbLog::open(&path).unwrap();
    assert_eq!(verdicts(&log), expected);
}

#[test]
fn a_false_verdict_written_into_the_file_is_caught_by_the_audit() {
    let signer = SigningKey::from_bytes(&[1; 32]);
    let person = SigningKey::from_bytes(&[9; 32]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.redb");
    {
        let log = RedbLog::create(&path, node_id(&signer)).unwrap();
        log.append(&signer, T0, vec![moved_signature(1, &person)])
            .unwrap();
    }
    // Someone with the file marks every record's signature as verified.
    {
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut events = txn
                .open_table(redb::TableDefinition::<&[u8], &[u8]>::new("events"))
                .unwrap();
            let records: Vec<(Vec<u8>, Vec<u8>)> = events
                .iter()
                .unwrap()
                .map(|entry| {
                    let (key, value) = entry.unwrap();
                    (key.value().to_vec(), value.value().to_vec())
                })
                .collect();
            assert_eq!(records.len(), 1);
            for (key, mut value) in records {
                value[0] |= 0b10;
                events.insert(key.as_slice(), value.as_slice()).unwrap();
            }
        }
        txn.commit().unwrap();
    }
    let log = RedbLog::open_read_only(&path).unwrap();
    assert_eq!(verdicts(&log), vec![(task(1).id, Verdict::Verified)]);
    // The node's replay believes the file; the audit verifies the signature itself.
    assert!(!matches!(
        replay(&log).unwrap().refused.get(&task(1).id),
        Some(Refusal::SignatureInvalid { .. })
    ));
    let report = audit::verify(&log, &mut |_| {}).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|problem| matches!(problem.refusal, Some(Refusal::SignatureInvalid { .. }))),
        "{:?}",
        report.problems
    );
}
