//! Convergence (design.md invariant 1) and incremental replay, as property tests.
//!
//! Several offices work offline on shared tasks with skewed clocks and sync at random; then
//! every event is delivered to fresh observers in random chunk orders (with duplicates). Every
//! observer, and every office after a full exchange, must reach the same state hash, and the
//! incremental projector must equal a full replay after every delivery.

use ed25519_dalek::SigningKey;
use nhip_engine::command::{Command, decide};
use nhip_engine::{
    Batch, Body, Date, Draft, EventId, EventLog, MemoryLog, NodeId, PersonId, Projector, Seq,
    UnitId, node_id, replay,
};
use proptest::prelude::*;

const T0: u64 = 1_758_585_600_000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// What an office does next. `pick` chooses among the items (and their possible steps) the
/// office knows at that moment, so every command is one a person could really give there.
#[derive(Clone, Debug)]
enum Op {
    Create {
        node: usize,
        document: bool,
    },
    Step {
        node: usize,
        pick: usize,
        choice: usize,
    },
    Progress {
        node: usize,
        pick: usize,
        percent: u8,
    },
    Extend {
        node: usize,
        pick: usize,
        days: u8,
    },
    Assign {
        node: usize,
        pick: usize,
        who: usize,
    },
    Comment {
        node: usize,
        pick: usize,
    },
    Resolve {
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
const UNITS: [&str; 3] = ["xa", "xa/ban-a", "xa/ban-b"];

fn op() -> impl Strategy<Value = Op> {
    let node = 0..NODES;
    prop_oneof![
        3 => (node.clone(), any::<bool>()).prop_map(|(node, document)| Op::Create { node, document }),
        6 => (node.clone(), any::<usize>(), any::<usize>())
            .prop_map(|(node, pick, choice)| Op::Step { node, pick, choice }),
        2 => (node.clone(), any::<usize>(), 0u8..=100)
            .prop_map(|(node, pick, percent)| Op::Progress { node, pick, percent }),
        2 => (node.clone(), any::<usize>(), 1u8..30)
            .prop_map(|(node, pick, days)| Op::Extend { node, pick, days }),
        1 => (node.clone(), any::<usize>(), 0..NODES)
            .prop_map(|(node, pick, who)| Op::Assign { node, pick, who }),
        1 => (node.clone(), any::<usize>()).prop_map(|(node, pick)| Op::Comment { node, pick }),
        1 => (node.clone(), any::<usize>()).prop_map(|(node, pick)| Op::Resolve { node, pick }),
        1 => node.clone().prop_map(|node| Op::Unknown { node }),
        4 => (node.clone(), node).prop_map(|(from, to)| Op::Sync { from, to }),
        2 => (0u64..3 * DAY_MS as u64).prop_map(|ms| Op::Wait { ms }),
    ]
}

struct Office {
    signer: SigningKey,
    log: MemoryLog,
    skew_ms: i64,
    person: PersonId,
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

fn person(index: usize) -> PersonId {
    PersonId::new(&format!("can-bo-{index}")).unwrap()
}

fn unit(code: &str) -> UnitId {
    UnitId::new(code).unwrap()
}

/// Office 0 registers everyone: each office's person is secretary and officer of the commune,
/// a committee member, and the head of one village; then everyone gets the registry.
fn bootstrap(offices: &[Office]) {
    let desk = &offices[0];
    let mut ids = 0u128;
    let mut commands = vec![Command::AssignRole {
        person: person(0),
        unit: unit("xa"),
        role: "quan-tri".into(),
    }];
    for index in 0..NODES {
        for (at, role) in [("xa", "bi-thu"), ("xa", "can-bo"), ("xa", "uy-vien-bch")] {
            commands.push(Command::AssignRole {
                person: person(index),
                unit: unit(at),
                role: role.into(),
            });
        }
        commands.push(Command::AssignRole {
            person: person(index),
            unit: unit(UNITS[1 + index % 2]),
            role: "truong-ban".into(),
        });
    }
    for command in commands {
        let state = replay(&desk.log).unwrap();
        ids += 1;
        let draft = decide(
            &state,
            &person(0),
            EventId(uuid::Uuid::from_u128(ids)),
            T0,
            command,
        )
        .unwrap();
        desk.log.append(&desk.signer, T0, vec![draft]).unwrap();
    }
    for office in &offices[1..] {
        sync(&offices[0].log, &office.log, T0, 64);
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
                person: person(index),
            }
        })
        .collect();
    bootstrap(&offices);
    let mut now = T0 + 60_000;
    let mut ids = 1u128 << 64;
    for op in ops {
        let local = |office: &Office| now.saturating_add_signed(office.skew_ms);
        let node = match *op {
            Op::Wait { ms } => {
                now += ms;
                continue;
            }
            Op::Sync { from, to } => {
                let at = local(&offices[to]);
                sync(&offices[from].log, &offices[to].log, at, 7);
                continue;
            }
            Op::Create { node, .. }
            | Op::Step { node, .. }
            | Op::Progress { node, .. }
            | Op::Extend { node, .. }
            | Op::Assign { node, .. }
            | Op::Comment { node, .. }
            | Op::Resolve { node, .. }
            | Op::Unknown { node } => node,
        };
        let office = &offices[node];
        let at = local(office);
        let state = replay(&office.log).unwrap();
        let items: Vec<(EventId, &nhip_engine::state::Item)> =
            state.items.iter().map(|(id, item)| (*id, item)).collect();
        let pick = |pick: usize| (!items.is_empty()).then(|| items[pick % items.len()]);
        ids += 1;
        let id = EventId(uuid::Uuid::from_u128(ids));
        let command = match *op {
            Op::Create { document, .. } => Command::CreateItem {
                workflow: if document { "document" } else { "task" }.into(),
                unit: unit(UNITS[ids as usize % 3]),
                title: "Thu gom rác thải sinh hoạt".into(),
                description: String::new(),
                lead_unit: None,
                coordinating: Vec::new(),
                assignee: Some(person(node)),
                deadline: Date::from_ymd(2025, 12, 31),
                parent: None,
                indicator: None,
            },
            Op::Step {
                pick: p, choice, ..
            } => {
                let Some((item_id, item)) = pick(p) else {
                    continue;
                };
                let definition = state.definition_of(item).unwrap();
                let steps: Vec<_> = definition.transitions_from(&item.state).collect();
                if steps.is_empty() {
                    continue;
                }
                let step = steps[choice % steps.len()];
                if step.reject_to.is_some()
                    || !matches!(step.who, nhip_engine::workflow::Who::OneOf(_))
                {
                    Command::Vote {
                        item: item_id,
                        transition: Some(step.id.clone()),
                        approve: choice % 3 != 0,
                        note: "ý kiến".into(),
                    }
                } else {
                    Command::Fire {
                        item: item_id,
                        transition: step.id.clone(),
                        note: String::new(),
                    }
                }
            }
            Op::Progress {
                pick: p, percent, ..
            } => {
                let Some((item, _)) = pick(p) else { continue };
                Command::Progress {
                    item,
                    percent,
                    note: "đã làm".into(),
                }
            }
            Op::Extend { pick: p, days, .. } => {
                let Some((item, current)) = pick(p) else {
                    continue;
                };
                let base = current
                    .deadline
                    .unwrap_or(Date::from_ymd(2025, 12, 31).unwrap());
                Command::Extend {
                    item,
                    deadline: base.plus_days(i32::from(days)),
                    reason: "thời tiết".into(),
                }
            }
            Op::Assign { pick: p, who, .. } => {
                let Some((item, _)) = pick(p) else { continue };
                Command::Assign {
                    item,
                    assignee: person(who),
                }
            }
            Op::Comment { pick: p, .. } => {
                let Some((item, _)) = pick(p) else { continue };
                Command::Comment {
                    item,
                    text: "ý kiến".into(),
                }
            }
            Op::Resolve { pick: p, .. } => {
                let Some((item, current)) = pick(p) else {
                    continue;
                };
                let Some(open) = current.open_conflicts().next() else {
                    continue;
                };
                Command::Resolve {
                    item,
                    conflict: open.event,
                    note: "giữ kết quả".into(),
                }
            }
            Op::Unknown { .. } => {
                let draft = Draft {
                    id,
                    actor: office.person.clone(),
                    unit: unit("xa"),
                    seen: None,
                    body: Body {
                        kind: "future.kind".into(),
                        version: 9,
                        data: vec![0xc0],
                    },
                };
                office.log.append(&office.signer, at, vec![draft]).unwrap();
                continue;
            }
            Op::Wait { .. } | Op::Sync { .. } => unreachable!("handled above"),
        };
        // A refused command writes nothing, as at a real desk.
        if let Ok(draft) = decide(&state, &office.person, id, at, command) {
            office.log.append(&office.signer, at, vec![draft]).unwrap();
        }
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
        prop_assert_eq!(reference.events, total, "no event dropped from the log");
        // No event is dropped from the history either: every item event is in its item's
        // history, whatever became of it (applied, conflict, late or refused).
        let mut item_events = 0u64;
        offices[0].log.scan(&mut |event, _, _| {
            if let nhip_engine::body::Decoded::Known(known) =
                nhip_engine::body::Known::from_body(&event.body)
            {
                if known.item().is_some() || known.kind() == "item.created" {
                    item_events += 1;
                }
            }
        }).unwrap();
        let history: u64 = reference.items.values().map(|item| item.history.len() as u64).sum();
        let refused_creations = reference
            .refused
            .keys()
            .filter(|id| !reference.items.values().any(|item| item.history.iter().any(|e| e.event == **id)))
            .count() as u64;
        prop_assert_eq!(history + refused_creations + reference.dangling, item_events);
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
