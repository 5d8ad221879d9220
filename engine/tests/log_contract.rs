//! The log contract, run against both backends: what `EventLog` promises about appends,
//! ingest, idempotence, equivocation, gaps, forgeries, unknown body kinds and arrivals.

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use nhip_engine::body::{ItemCreated, Known};
use nhip_engine::{
    AppendError, Batch, Body, ChainId, Draft, EventId, EventLog, Hash, IngestError, MemoryLog,
    NodeId, PersonId, RedbLog, RefusalReason, Seal, Seq, UnitId, limits, node_id, replay,
};

const T0: u64 = 1_758_585_600_000; // 2025-09-23, the day of the conference notice

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// The chain the test drafts go to: node `seed`'s events about the commune.
fn chain(seed: u8) -> ChainId {
    ChainId {
        origin: node_id(&key(seed)),
        unit: UnitId::new("xa-binh-lu").unwrap(),
    }
}

fn draft(n: u128, body: Body) -> Draft {
    Draft {
        id: EventId(uuid::Uuid::from_u128(n)),
        actor: PersonId::new("ta-thi-dung").unwrap(),
        unit: UnitId::new("xa-binh-lu").unwrap(),
        seen: None,
        body,
    }
}

fn task(n: u128) -> Draft {
    draft(
        n,
        Known::ItemCreated(ItemCreated::simple(
            "document",
            format!("Dự thảo {n}"),
            UnitId::new("xa-binh-lu/ubnd").unwrap(),
            None,
        ))
        .to_body(),
    )
}

/// A fresh log of each kind for `node`; the temp dir lives as long as the log.
fn backends(node: NodeId) -> Vec<(&'static str, Box<dyn EventLog>, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let redb = RedbLog::create(&dir.path().join("log.redb"), node).unwrap();
    vec![
        ("memory", Box::new(MemoryLog::new(node)), None),
        ("redb", Box::new(redb), Some(dir)),
    ]
}

/// An origin with `count` events, returned as one sealed batch.
fn origin_with(seed: u8, count: u128) -> (MemoryLog, Batch) {
    let signer = key(seed);
    let log = MemoryLog::new(node_id(&signer));
    for n in 0..count {
        log.append(
            &signer,
            T0 + n as u64,
            vec![task(u128::from(seed) << 64 | n)],
        )
        .unwrap();
    }
    let batch = log
        .batch_from(
            &chain(seed),
            Seq::FIRST,
            limits::BATCH_EVENTS_MAX,
            usize::MAX,
        )
        .unwrap()
        .unwrap();
    (log, batch)
}

#[test]
fn appends_form_a_sealed_gapless_chain() {
    let signer = key(1);
    for (name, log, _dir) in backends(node_id(&signer)) {
        let first = log
            .append(&signer, T0, vec![task(1), task(2), task(3)])
            .unwrap();
        let second = log.append(&signer, T0, vec![task(4)]).unwrap();
        let all: Vec<_> = first.iter().chain(&second).collect();
        for (index, stored) in all.iter().enumerate() {
            assert_eq!(stored.event.seq, Seq(index as u64 + 1), "{name}");
            assert_eq!(stored.hash, Hash::of(&stored.bytes), "{name}");
        }
        for pair in all.windows(2) {
            assert_eq!(pair[1].event.prev, pair[0].hash, "{name}: chain");
            assert!(pair[1].event.hlc > pair[0].event.hlc, "{name}: clock");
        }
        assert_eq!(all[0].event.prev, Hash::ZERO);
        let heads = log.heads().unwrap();
        assert_eq!(heads[&chain(1)].seq, Seq(4), "{name}");
        // Each append sealed its last event.
        let seals = log.seals(&chain(1), Seq(1), Seq(4)).unwrap();
        let sealed: Vec<u64> = seals.iter().map(|seal| seal.seq.0).collect();
        assert_eq!(sealed, vec![3, 4], "{name}");
        assert!(seals.iter().all(|seal| seal.verify().is_ok()));
        assert_eq!(
            log.read_chain(&chain(1), Seq(2), 2).unwrap(),
            vec![all[1].clone(), all[2].clone()],
            "{name}"
        );
    }
}

#[test]
fn large_appends_are_sealed_at_intervals() {
    let signer = key(1);
    for (name, log, _dir) in backends(node_id(&signer)) {
        let count = limits::SEAL_INTERVAL_EVENTS * 2 + 5;
        let drafts = (0..count as u128).map(task).collect();
        log.append(&signer, T0, drafts).unwrap();
        let seals = log.seals(&chain(1), Seq(1), Seq(count as u64)).unwrap();
        let interval = limits::SEAL_INTERVAL_EVENTS as u64;
        let sealed: Vec<u64> = seals.iter().map(|seal| seal.seq.0).collect();
        assert_eq!(sealed, vec![interval, 2 * interval, count as u64], "{name}");
    }
}

#[test]
fn an_append_with_another_key_or_nothing_is_refused() {
    let signer = key(1);
    for (name, log, _dir) in backends(node_id(&signer)) {
        assert!(
            matches!(
                log.append(&key(2), T0, vec![task(1)]),
                Err(AppendError::WrongKey { .. })
            ),
            "{name}"
        );
        assert_eq!(log.append(&signer, T0, vec![]), Err(AppendError::Empty));
        let huge = draft(
            1,
            Body {
                kind: "task.comment".into(),
                version: 1,
                data: vec![0; limits::EVENT_BYTES_MAX],
            },
        );
        assert!(matches!(
            log.append(&signer, T0, vec![huge]),
            Err(AppendError::TooLarge { index: 0, .. })
        ));
        assert!(log.heads().unwrap().is_empty(), "{name}: nothing written");
    }
}

#[test]
fn ingest_is_idempotent() {
    let (_origin, batch) = origin_with(7, 5);
    for (name, log, _dir) in backends(node_id(&key(1))) {
        let report = log.ingest(T0, &batch).unwrap();
        assert_eq!(report.inserted.len(), 5, "{name}");
        assert!(report.refused.is_empty(), "{name}");
        let hash_before = replay(log.as_ref()).unwrap().hash();
        let arrivals_before = log.arrivals_after(0, 100).unwrap().len();

        let again = log.ingest(T0, &batch).unwrap();
        assert!(
            again.inserted.is_empty(),
            "{name}: re-delivery stored again"
        );
        assert_eq!(again.duplicates, 5, "{name}");
        assert_eq!(replay(log.as_ref()).unwrap().hash(), hash_before, "{name}");
        assert_eq!(
            log.arrivals_after(0, 100).unwrap().len(),
            arrivals_before,
            "{name}: a no-op must not count as an arrival"
        );
    }
}

#[test]
fn overlapping_batches_store_only_the_new_part() {
    let (origin, _) = origin_with(7, 6);
    let origin_id = chain(7);
    let early = origin
        .batch_from(&origin_id, Seq(1), 3, usize::MAX)
        .unwrap()
        .unwrap();
    let all = origin
        .batch_from(&origin_id, Seq(1), 100, usize::MAX)
        .unwrap()
        .unwrap();
    for (name, log, _dir) in backends(node_id(&key(1))) {
        assert_eq!(log.ingest(T0, &early).unwrap().inserted.len(), 3, "{name}");
        let report = log.ingest(T0, &all).unwrap();
        assert_eq!(report.duplicates, 3, "{name}");
        assert_eq!(report.inserted.len(), 3, "{name}");
        assert_eq!(log.heads().unwrap()[&origin_id].seq, Seq(6));
    }
}

#[test]
fn a_gap_is_refused_and_nothing_is_stored() {
    let (origin, _) = origin_with(7, 6);
    let late = origin
        .batch_from(&chain(7), Seq(4), 100, usize::MAX)
        .unwrap()
        .unwrap();
    for (name, log, _dir) in backends(node_id(&key(1))) {
        let report = log.ingest(T0, &late).unwrap();
        assert_eq!(
            report.refused[0].reason,
            RefusalReason::Gap {
                expected: Seq(1),
                found: Seq(4)
            },
            "{name}"
        );
        assert!(log.heads().unwrap().is_empty(), "{name}");
        assert!(log.arrivals_after(0, 10).unwrap().is_empty(), "{name}");
    }
}

/// Two histories signed by one origin that agree up to seq 2 and differ from seq 3.
fn forked_origin() -> (Batch, Batch, Batch) {
    let signer = key(7);
    let honest = MemoryLog::new(node_id(&signer));
    let forked = MemoryLog::new(node_id(&signer));
    for log in [&honest, &forked] {
        log.append(&signer, T0, vec![task(1), task(2)]).unwrap();
    }
    honest.append(&signer, T0 + 10, vec![task(3)]).unwrap();
    forked.append(&signer, T0 + 10, vec![task(33)]).unwrap();
    forked.append(&signer, T0 + 20, vec![task(4)]).unwrap();
    let origin = chain(7);
    (
        honest
            .batch_from(&origin, Seq(1), 100, usize::MAX)
            .unwrap()
            .unwrap(),
        forked
            .batch_from(&origin, Seq(1), 100, usize::MAX)
            .unwrap()
            .unwrap(),
        forked
            .batch_from(&origin, Seq(4), 100, usize::MAX)
            .unwrap()
            .unwrap(),
    )
}

#[test]
fn an_equivocation_is_refused_recorded_and_overwrites_nothing() {
    let (honest, forked, _) = forked_origin();
    for (name, log, _dir) in backends(node_id(&key(1))) {
        log.ingest(T0, &honest).unwrap();
        let held = log.read_chain(&chain(7), Seq(1), 10).unwrap();
        let report = log.ingest(T0 + 99, &forked).unwrap();
        assert_eq!(
            report.refused[0].reason,
            RefusalReason::Equivocation { seq: Seq(3) },
            "{name}"
        );
        assert!(report.inserted.is_empty(), "{name}");
        assert_eq!(
            log.read_chain(&chain(7), Seq(1), 10).unwrap(),
            held,
            "{name}: the held history must not change"
        );
        let incidents = log.incidents().unwrap();
        assert_eq!(incidents.len(), 1, "{name}");
        assert_eq!(incidents[0].seq, Seq(3));
        assert_eq!(incidents[0].held, held[2].hash);
        assert_eq!(incidents[0].recorded_ms, T0 + 99);
        assert!(incidents[0].seal.verify().is_ok(), "{name}: proof kept");
        // Offered again: still one incident.
        log.ingest(T0 + 100, &forked).unwrap();
        assert_eq!(log.incidents().unwrap().len(), 1, "{name}");
    }
}

#[test]
fn a_fork_below_the_batch_is_an_equivocation_too() {
    let (honest, _, forked_tail) = forked_origin();
    for (name, log, _dir) in backends(node_id(&key(1))) {
        log.ingest(T0, &honest).unwrap();
        // seq 4 of the forked history links to the forked seq 3, not the held one.
        let report = log.ingest(T0, &forked_tail).unwrap();
        assert_eq!(
            report.refused[0].reason,
            RefusalReason::Equivocation { seq: Seq(3) },
            "{name}"
        );
        assert_eq!(log.incidents().unwrap().len(), 1, "{name}");
        assert_eq!(log.heads().unwrap()[&chain(7)].seq, Seq(3));
    }
}

#[test]
fn forgeries_are_refused() {
    let (_, batch) = origin_with(7, 3);
    let mut cases: Vec<(&str, Batch)> = Vec::new();

    let mut unsealed = batch.clone();
    unsealed.seals.clear();
    cases.push(("unsealed", unsealed));

    let mut foreign_signature = batch.clone();
    let impostor = Seal::sign(&key(8), chain(8), Seq(3), foreign_signature.seals[0].hash);
    foreign_signature.seals[0].signature = impostor.signature;
    cases.push(("signature of another key", foreign_signature));

    let mut flipped = batch.clone();
    let last = flipped.events.len() - 1;
    let byte = flipped.events[last].len() - 1;
    flipped.events[last][byte] ^= 1;
    cases.push(("flipped byte", flipped));

    let mut swapped = batch.clone();
    swapped.events.swap(0, 1);
    cases.push(("swapped", swapped));

    let mut deleted = batch.clone();
    deleted.events.remove(1);
    cases.push(("deleted", deleted));

    for (case, bad) in cases {
        for (name, log, _dir) in backends(node_id(&key(1))) {
            let outcome = log.ingest(T0, &bad);
            let refused = match &outcome {
                Ok(report) => report.inserted.is_empty() && report.refused.len() == 1,
                Err(IngestError::Malformed { .. }) => true,
                Err(_) => false,
            };
            assert!(refused, "{name}/{case}: {outcome:?}");
            assert!(log.heads().unwrap().is_empty(), "{name}/{case}: stored");
        }
    }
}

#[test]
fn garbage_and_oversized_batches_are_refused_whole() {
    let (_, batch) = origin_with(7, 2);
    for (name, log, _dir) in backends(node_id(&key(1))) {
        let mut garbage = batch.clone();
        garbage
            .events
            .push(serde_bytes::ByteBuf::from(vec![0xde, 0xad]));
        assert!(
            matches!(
                log.ingest(T0, &garbage),
                Err(IngestError::Malformed { index: 2, .. })
            ),
            "{name}"
        );
        let huge = Batch {
            events: vec![serde_bytes::ByteBuf::new(); limits::BATCH_EVENTS_MAX + 1],
            ..Batch::default()
        };
        assert!(matches!(
            log.ingest(T0, &huge),
            Err(IngestError::TooManyEvents { .. })
        ));
        assert!(log.heads().unwrap().is_empty(), "{name}");
    }
}

#[test]
fn events_from_the_far_future_wait() {
    let (_, batch) = origin_with(7, 2);
    for (name, log, _dir) in backends(node_id(&key(1))) {
        let now = T0 - limits::HLC_AHEAD_MS_MAX - 1_000;
        let report = log.ingest(now, &batch).unwrap();
        assert!(
            matches!(report.refused[0].reason, RefusalReason::ClockAhead { .. }),
            "{name}"
        );
        // Once the clocks agree, the same batch goes in.
        assert_eq!(log.ingest(T0, &batch).unwrap().inserted.len(), 2, "{name}");
    }
}

#[test]
fn unknown_body_kinds_are_stored_forwarded_and_counted() {
    // A "newer version" writes a body kind this version has never heard of.
    let newer = key(9);
    let origin = MemoryLog::new(node_id(&newer));
    let future_body = Body {
        kind: "budget.revised".into(),
        version: 3,
        data: vec![0x93, 1, 2, 3],
    };
    origin
        .append(&newer, T0, vec![task(1), draft(2, future_body.clone())])
        .unwrap();
    let batch = origin
        .batch_from(&chain(9), Seq(1), 100, usize::MAX)
        .unwrap()
        .unwrap();
    for (name, commune, _dir) in backends(node_id(&key(1))) {
        assert_eq!(commune.ingest(T0, &batch).unwrap().inserted.len(), 2);
        let state = replay(commune.as_ref()).unwrap();
        assert_eq!(state.unknown_kinds["budget.revised"], 1, "{name}");
        assert_eq!(state.items.len(), 1, "{name}");
        // Forwarded byte for byte to the hub.
        let forwarded = commune
            .batch_from(&chain(9), Seq(1), 100, usize::MAX)
            .unwrap()
            .unwrap();
        assert_eq!(forwarded.events, batch.events, "{name}");
        let hub = MemoryLog::new(node_id(&key(2)));
        assert_eq!(hub.ingest(T0, &forwarded).unwrap().inserted.len(), 2);
        let at_hub = hub.read_chain(&chain(9), Seq(2), 1).unwrap();
        assert_eq!(at_hub[0].event.body, future_body, "{name}");
    }
}

#[test]
fn arrivals_are_listed_in_order() {
    let (_, a) = origin_with(7, 2);
    let (_, b) = origin_with(8, 3);
    let signer = key(1);
    for (name, log, _dir) in backends(node_id(&signer)) {
        // Local events arrive when they are written: they need no arrival record.
        log.append(&signer, T0, vec![task(1)]).unwrap();
        log.ingest(T0 + 5, &a).unwrap();
        log.ingest(T0 + 9, &b).unwrap();
        let arrivals = log.arrivals_after(0, 10).unwrap();
        let positions: Vec<u64> = arrivals.iter().map(|arrival| arrival.position).collect();
        assert_eq!(positions, vec![1, 2], "{name}");
        assert_eq!(arrivals[0].received_ms, T0 + 5);
        assert_eq!(arrivals[1].ranges[0].chain, chain(8));
        assert_eq!(arrivals[1].ranges[0].last, Seq(3));
        assert_eq!(log.arrivals_after(1, 10).unwrap(), arrivals[1..].to_vec());
    }
}

#[test]
fn an_item_written_is_an_item_replayed() {
    let signer = key(1);
    for (name, log, _dir) in backends(node_id(&signer)) {
        let created = log.append(&signer, T0, vec![task(1)]).unwrap();
        let item = created[0].event.id;
        let state = replay(log.as_ref()).unwrap();
        assert_eq!(state.items[&item].state, "draft", "{name}");
        assert_eq!(state.items[&item].history.len(), 1, "{name}");
    }
}

#[test]
fn concurrent_appenders_share_commits() {
    let signer = key(1);
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(RedbLog::create(&dir.path().join("log.redb"), node_id(&signer)).unwrap());
    let writers = 16;
    let appends_each = 8;
    std::thread::scope(|scope| {
        for writer in 0..writers {
            let log = Arc::clone(&log);
            let signer = signer.clone();
            scope.spawn(move || {
                for n in 0..appends_each {
                    log.append(&signer, T0, vec![task(writer * 1000 + n)])
                        .unwrap();
                }
            });
        }
    });
    let total = (writers * appends_each) as u64;
    let events = log.read_chain(&chain(1), Seq(1), 10_000).unwrap();
    assert_eq!(events.len() as u64, total);
    for (index, stored) in events.iter().enumerate() {
        assert_eq!(stored.event.seq, Seq(index as u64 + 1));
    }
    // Fewer commits than appends means they were shared.
    let commits = log.append_commits();
    assert!(commits < total, "{commits} commits for {total} appends");
    let ids: std::collections::BTreeSet<_> = events.iter().map(|s| s.event.id).collect();
    assert_eq!(ids.len() as u64, total, "every append stored exactly once");
}

#[test]
fn one_origin_writes_one_chain_per_unit_and_each_travels_alone() {
    let signer = key(1);
    let village = UnitId::new("xa-binh-lu/ban-na-ri").unwrap();
    let about_village = |n: u128| Draft {
        unit: village.clone(),
        ..task(n)
    };
    let village_chain = ChainId {
        origin: node_id(&signer),
        unit: village.clone(),
    };
    for (name, log, _dir) in backends(node_id(&signer)) {
        // One append that writes into two chains: each gets its own seq, links and seal.
        let written = log
            .append(
                &signer,
                T0,
                vec![task(1), about_village(2), task(3), about_village(4)],
            )
            .unwrap();
        let seqs: Vec<u64> = written.iter().map(|stored| stored.event.seq.0).collect();
        assert_eq!(seqs, vec![1, 1, 2, 2], "{name}");
        assert_eq!(written[3].event.prev, written[1].hash, "{name}");
        let heads = log.heads().unwrap();
        assert_eq!(heads.len(), 2, "{name}");
        assert_eq!(heads[&village_chain].seq, Seq(2), "{name}");
        for chain in heads.keys() {
            let seals = log.seals(chain, Seq(1), Seq(2)).unwrap();
            assert_eq!(seals.len(), 1, "{name}: one seal per chain per commit");
            assert_eq!(seals[0].seq, Seq(2));
        }
        // The village's chain alone is a complete, verifiable batch.
        let batch = log
            .batch_from(&village_chain, Seq(1), 100, usize::MAX)
            .unwrap()
            .unwrap();
        let receiver = MemoryLog::new(node_id(&key(2)));
        let report = receiver.ingest(T0, &batch).unwrap();
        assert_eq!(report.inserted.len(), 2, "{name}");
        assert_eq!(receiver.heads().unwrap().len(), 1, "{name}");
    }
}

#[test]
fn batches_respect_a_byte_budget_and_large_events_are_sealed_by_bytes() {
    let signer = key(1);
    let big = |n: u128| {
        draft(
            n,
            Body {
                kind: "item.attachment".into(),
                version: 1,
                data: vec![7; 60_000],
            },
        )
    };
    for (name, log, _dir) in backends(node_id(&signer)) {
        log.append(&signer, T0, (0..40).map(big).collect()).unwrap();
        let seals = log.seals(&chain(1), Seq(1), Seq(40)).unwrap();
        // 60 kB events: a seal about every 1 MiB (18 events), and one at the end.
        let sealed: Vec<u64> = seals.iter().map(|seal| seal.seq.0).collect();
        assert_eq!(sealed, vec![18, 36, 40], "{name}");
        let budget = 2_200_000;
        let batch = log
            .batch_from(&chain(1), Seq(1), 1000, budget)
            .unwrap()
            .unwrap();
        let bytes: usize = batch.events.iter().map(|event| event.len()).sum();
        assert!(bytes <= budget, "{name}: {bytes} bytes");
        assert_eq!(
            batch.events.len(),
            36,
            "{name}: cut at the last seal in budget"
        );
        // A budget smaller than one sealed stretch still makes progress.
        let small = log.batch_from(&chain(1), Seq(1), 1000, 1).unwrap().unwrap();
        assert_eq!(small.events.len(), 18, "{name}");
        let receiver = MemoryLog::new(node_id(&key(2)));
        assert_eq!(receiver.ingest(T0, &small).unwrap().inserted.len(), 18);
    }
}
