//! Convergence (design.md invariant 1) and incremental replay, as property tests.
//!
//! Several offices work offline on shared tasks with skewed clocks and sync at random; then
//! every event is delivered to fresh observers in random chunk orders (with duplicates). Every
//! observer, and every office after a full exchange, must reach the same state hash, and the
//! incremental projector must equal a full replay after every delivery.

use ed25519_dalek::SigningKey;
use nhip_engine::body::{Known, TaskCancelled, TaskCompleted, TaskCreated, TaskProgressed};
use nhip_engine::{
    Batch, Body, Draft, EventId, EventLog, MemoryLog, NodeId, PersonId, Projector, Seq, UnitId,
    node_id, replay,
};
use proptest::prelude::*;

const T0: u64 = 1_758_585_600_000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

#[derive(Clone, Debug)]
enum Op {
    Create {
        node: usize,
    },
    Progress {
        node: usize,
        pick: usize,
        percent: u8,
    },
    Complete {
        node: usize,
        pick: usize,
    },
    Cancel {
        node: usize,
        pick: usize,
    },
    Comment {
        node: usize,
        pick: usize,
    },
    Unknown {
        node: usize,
    },
    Sync {
        from: usize,
        to: usize,
    },
    Wait {
        ms: u64,
    },
}

const NODES: usize = 4;

fn op() -> impl Strategy<Value = Op> {
    let node = 0..NODES;
    prop_oneof![
        3 => node.clone().prop_map(|node| Op::Create { node }),
        3 => (node.clone(), any::<usize>(), 0u8..=100)
            .prop_map(|(node, pick, percent)| Op::Progress { node, pick, percent }),
        2 => (node.clone(), any::<usize>()).prop_map(|(node, pick)| Op::Complete { node, pick }),
        2 => (node.clone(), any::<usize>()).prop_map(|(node, pick)| Op::Cancel { node, pick }),
        1 => (node.clone(), any::<usize>()).prop_map(|(node, pick)| Op::Comment { node, pick }),
        1 => node.clone().prop_map(|node| Op::Unknown { node }),
        3 => (node.clone(), node).prop_map(|(from, to)| Op::Sync { from, to }),
        2 => (0u64..3 * DAY_MS as u64).prop_map(|ms| Op::Wait { ms }),
    ]
}

struct Office {
    signer: SigningKey,
    log: MemoryLog,
    skew_ms: i64,
}

/// Sends everything `from` holds that `to` lacks, in sealed batches of at most `chunk` events.
fn sync(from: &dyn EventLog, to: &dyn EventLog, now_ms: u64, chunk: usize) {
    for (chain, head) in from.heads().unwrap() {
        loop {
            let have = to.heads().unwrap().get(&chain).map_or(Seq(0), |h| h.seq);
            if have >= head.seq {
                break;
            }
            let batch = from
                .batch_from(&chain, have.next(), chunk, usize::MAX)
                .unwrap()
                .unwrap();
            let report = to.ingest(now_ms, &batch).unwrap();
            assert!(report.refused.is_empty(), "honest sync refused: {report:?}");
        }
    }
}

/// The units offices write about: each origin keeps one chain per unit.
const UNITS: [&str; 3] = ["xa-binh-lu", "xa-binh-lu/ban-na-ri", "xa-binh-lu/ban-phin"];

fn draft(id: &mut u128, seen: Option<EventId>, body: Body) -> Draft {
    *id += 1;
    Draft {
        id: EventId(uuid::Uuid::from_u128(*id)),
        actor: PersonId::new("can-bo").unwrap(),
        unit: UnitId::new(UNITS[(*id % 3) as usize]).unwrap(),
        seen,
        body,
    }
}

fn run(ops: &[Op], skews: &[i64]) -> Vec<Office> {
    let offices: Vec<Office> = (0..NODES)
        .map(|index| {
            let signer = SigningKey::from_bytes(&[index as u8 + 1; 32]);
            let log = MemoryLog::new(node_id(&signer));
            Office {
                signer,
                log,
                skew_ms: skews[index],
            }
        })
        .collect();
    let mut now = T0;
    let mut ids = 0u128;
    for op in ops {
        let local = |office: &Office| now.saturating_add_signed(office.skew_ms);
        let (node, body, pick) = match *op {
            Op::Wait { ms } => {
                now += ms;
                continue;
            }
            Op::Sync { from, to } => {
                let at = local(&offices[to]);
                sync(&offices[from].log, &offices[to].log, at, 7);
                continue;
            }
            Op::Create { node } => (
                node,
                Some(Known::TaskCreated(TaskCreated {
                    title: "Thu gom rác thải sinh hoạt".into(),
                    lead_unit: UnitId::new("xa-binh-lu/ubnd").unwrap(),
                    assignee: None,
                    deadline: None,
                })),
                None,
            ),
            Op::Unknown { node } => (node, None, None),
            Op::Progress { node, pick, .. }
            | Op::Complete { node, pick }
            | Op::Cancel { node, pick }
            | Op::Comment { node, pick } => (node, None, Some(pick)),
        };
        let office = &offices[node];
        let state = replay(&office.log).unwrap();
        let (body, seen) = match (body, pick) {
            (Some(known), _) => (known.to_body(), None),
            (None, None) => (
                Body {
                    kind: "future.kind".into(),
                    version: 9,
                    data: vec![0xc0],
                },
                None,
            ),
            (None, Some(pick)) => {
                if state.tasks.is_empty() {
                    continue;
                }
                let (item, task) = state.tasks.iter().nth(pick % state.tasks.len()).unwrap();
                let item = *item;
                let known = match *op {
                    Op::Progress { percent, .. } => Known::TaskProgressed(TaskProgressed {
                        item,
                        percent,
                        note: "đã làm".into(),
                    }),
                    Op::Complete { .. } => Known::TaskCompleted(TaskCompleted { item }),
                    Op::Cancel { .. } => Known::TaskCancelled(TaskCancelled {
                        item,
                        reason: "trùng".into(),
                    }),
                    _ => Known::Commented(nhip_engine::body::Commented {
                        item,
                        text: "ý kiến".into(),
                    }),
                };
                (known.to_body(), Some(task.version))
            }
        };
        let draft = draft(&mut ids, seen, body);
        office
            .log
            .append(&office.signer, local(office), vec![draft])
            .unwrap();
    }
    offices
}

/// Every origin's full history, as batches of `chunk` events.
fn all_batches(log: &dyn EventLog, chunk: usize) -> Vec<Batch> {
    let mut batches = Vec::new();
    for (chain, head) in log.heads().unwrap() {
        let mut from = Seq(1);
        while from <= head.seq {
            let batch = log
                .batch_from(&chain, from, chunk, usize::MAX)
                .unwrap()
                .unwrap();
            from = Seq(from.0 + batch.events.len() as u64);
            batches.push(batch);
        }
    }
    batches
}

/// Delivers `batches` in the given order to a fresh observer, re-offering refused ones (a gap
/// means an earlier part has not arrived yet) until everything is in. Checks the projector
/// against a full replay after every delivery.
fn deliver(batches: &[Batch], order: &[usize], now_ms: u64) -> NodeId {
    let observer = MemoryLog::new(NodeId([0xee; 32]));
    let mut projector = Projector::new();
    let mut queue: Vec<usize> = order.to_vec();
    let mut rounds = 0;
    while !queue.is_empty() {
        rounds += 1;
        assert!(rounds <= batches.len() + 1, "delivery does not converge");
        let mut refused = Vec::new();
        for &index in &queue {
            let report = observer.ingest(now_ms, &batches[index]).unwrap();
            projector.observe(&report.inserted);
            if !report.refused.is_empty() {
                refused.push(index);
            }
            let incremental = projector.state(&observer).unwrap().hash();
            assert_eq!(incremental, replay(&observer).unwrap().hash());
        }
        queue = refused;
    }
    NodeId(replay(&observer).unwrap().hash().0)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    #[test]
    fn same_events_same_state_hash_whatever_the_arrival_order(
        ops in prop::collection::vec(op(), 1..80),
        skews in prop::collection::vec(-DAY_MS..=DAY_MS, NODES),
        chunk in 1usize..6,
        shuffles in prop::collection::vec(any::<prop::sample::Index>(), 3),
    ) {
        let offices = run(&ops, &skews);
        let now = T0 + 400 * DAY_MS as u64;
        // A full exchange: everyone to office 0, then office 0 to everyone.
        for office in &offices[1..] {
            sync(&office.log, &offices[0].log, now, chunk);
        }
        for office in &offices[1..] {
            sync(&offices[0].log, &office.log, now, chunk);
        }
        let reference = replay(&offices[0].log).unwrap();
        // Every office's own chains, by their heads and by reading them: gapless and complete.
        let mut total = 0;
        for office in &offices {
            for (chain, head) in office.log.heads().unwrap() {
                if chain.origin != node_id(&office.signer) {
                    continue;
                }
                let read = office.log.read_chain(&chain, Seq(1), usize::MAX).unwrap();
                prop_assert_eq!(read.len() as u64, head.seq.0);
                total += head.seq.0;
            }
        }
        prop_assert_eq!(reference.events, total, "no event dropped from the history");
        for office in &offices {
            prop_assert_eq!(replay(&office.log).unwrap().hash(), reference.hash());
        }

        let batches = all_batches(&offices[0].log, chunk);
        let mut order: Vec<usize> = (0..batches.len()).collect();
        for shuffle in &shuffles {
            // A different permutation each time, plus a duplicate delivery of one batch.
            let mut permuted = order.clone();
            for i in (1..permuted.len()).rev() {
                let j = shuffle.index(i + 1);
                permuted.swap(i, j);
            }
            if let Some(&first) = permuted.first() {
                permuted.push(first);
            }
            let observed = deliver(&batches, &permuted, now);
            prop_assert_eq!(observed.0, reference.hash().0);
            order = permuted;
        }
    }
}
