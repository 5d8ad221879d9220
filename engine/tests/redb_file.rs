//! The redb file: durability across reopen, the schema marker, and clear errors for files that
//! are not (or not yet) readable by this version.

use ed25519_dalek::SigningKey;
use nhip_engine::body::{ItemCreated, Known};
use nhip_engine::{
    Draft, EventId, EventLog, OpenError, PersonId, RedbLog, SCHEMA_VERSION, Seq, UnitId, node_id,
    replay,
};

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
