//! The sync machine fed sequences of hostile messages: well-formed frames in any order with
//! arbitrary fields (including real batches of real chains, cut, replayed, forged and out of
//! scope), interleaved with raw bytes. Whatever comes, the machine never panics, never loses an
//! event it held, never stores a chain the peer may not send, and when it closes it tells the
//! peer why. This is the proptest stand-in for `fuzz/fuzz_targets/sync_machine.rs`.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::StaticDirectory;
use ed25519_dalek::SigningKey;
use nhip_engine::body::{ItemCreated, Known};
use nhip_engine::{
    ChainId, Draft, EventId, EventLog, Hash, MemoryLog, NodeId, PersonId, Seq, UnitId, node_id,
};
use nhip_protocol::message::{Ack, BatchFrame, ChainRefusal, Close, Enroll, Heads, Hello, Message};
use nhip_protocol::receipt::{Receipt, ReceiptBody};
use nhip_protocol::{Config, Side, Sync, TreeScope, frame};
use proptest::prelude::*;

const T0: u64 = 1_758_560_400_000;
const COMMUNE: &str = "xa-binh-lu";
const VILLAGE: &str = "xa-binh-lu/ban-na-ri";
const SIBLING: &str = "xa-binh-lu/ban-phin";

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn office(signer: &SigningKey, unit: &str, count: u128, salt: u128) -> MemoryLog {
    let log = MemoryLog::new(node_id(signer));
    let drafts = (0..count)
        .map(|n| Draft {
            id: EventId(uuid::Uuid::from_u128((salt << 64) | n)),
            actor: PersonId::new("can-bo").unwrap(),
            unit: UnitId::new(unit).unwrap(),
            seen: None,
            body: Known::ItemCreated(ItemCreated::simple(
                "task",
                format!("Việc {n}"),
                UnitId::new(unit).unwrap(),
                None,
            ))
            .to_body(),
        })
        .collect();
    log.append(signer, T0, drafts).unwrap();
    log
}

/// Real batches a hostile village could send: its own chain from any point, a forked version
/// of it, and a sibling's chain it may not upload.
struct Material {
    batches: Vec<Vec<u8>>,
}

impl Material {
    fn new() -> Material {
        let mut batches = Vec::new();
        for (signer, unit, salt) in [
            (key(2), VILLAGE, 1),
            (key(2), VILLAGE, 9),
            (key(3), SIBLING, 3),
        ] {
            let log = office(&signer, unit, 12, salt);
            let chain = ChainId {
                origin: node_id(&signer),
                unit: UnitId::new(unit).unwrap(),
            };
            for from in [1, 4, 9] {
                let batch = log
                    .batch_from(&chain, Seq(from), 100, usize::MAX)
                    .unwrap()
                    .expect("a sealed stretch");
                batches.push(rmp_serde::to_vec(&batch).unwrap());
            }
        }
        Material { batches }
    }
}

#[derive(Debug, Clone)]
enum Step {
    Hello {
        protocol: u32,
        node: u8,
        schema: u32,
    },
    Heads(Vec<(u8, u64)>),
    Batch {
        id: u64,
        which: usize,
        announce: Option<u32>,
        flip: Option<usize>,
    },
    Ack {
        id: u64,
        good_signature: bool,
    },
    CaughtUp,
    Close(u16),
    Enroll,
    Bytes(Vec<u8>),
    /// The next frame arrives split at this point.
    Split(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => (0u32..3, 1u8..5, 0u32..3).prop_map(|(protocol, node, schema)| Step::Hello { protocol, node, schema }),
        1 => prop::collection::vec((0u8..4, 0u64..20), 0..4).prop_map(Step::Heads),
        4 => (0u64..6, 0usize..9, prop::option::of(any::<u32>()), prop::option::of(any::<usize>()))
            .prop_map(|(id, which, announce, flip)| Step::Batch { id, which, announce, flip }),
        1 => (0u64..6, any::<bool>()).prop_map(|(id, good_signature)| Step::Ack { id, good_signature }),
        1 => Just(Step::CaughtUp),
        1 => (0u16..12).prop_map(Step::Close),
        1 => Just(Step::Enroll),
        1 => prop::collection::vec(any::<u8>(), 0..24).prop_map(Step::Bytes),
        1 => (0usize..64).prop_map(Step::Split),
    ]
}

fn chain_of(n: u8) -> ChainId {
    let (seed, unit) = match n % 4 {
        0 => (1, COMMUNE),
        1 => (2, VILLAGE),
        2 => (3, SIBLING),
        _ => (4, VILLAGE),
    };
    ChainId {
        origin: node_id(&key(seed)),
        unit: UnitId::new(unit).unwrap(),
    }
}

fn encode(step: &Step, material: &Material) -> Option<Vec<u8>> {
    let message = match step {
        Step::Hello {
            protocol,
            node,
            schema,
        } => Message::Hello(Hello {
            protocol: *protocol,
            schema_min: *schema,
            schema_max: *schema,
            node: node_id(&key(*node)),
            unit: UnitId::new(VILLAGE).unwrap(),
        }),
        Step::Heads(heads) => Message::Heads(Heads {
            chains: heads
                .iter()
                .map(|(n, seq)| (chain_of(*n), Seq(*seq)))
                .collect(),
        }),
        Step::Batch {
            id,
            which,
            announce,
            flip,
        } => {
            let mut raw = material.batches[*which].clone();
            if let Some(at) = flip {
                let at = at % raw.len();
                raw[at] ^= 0x40;
            }
            Message::Batch(BatchFrame {
                id: *id,
                raw_bytes: announce.unwrap_or(raw.len() as u32),
                zstd: zstd::bulk::compress(&raw, 1).unwrap(),
            })
        }
        Step::Ack { id, good_signature } => {
            let body = ReceiptBody {
                receiver: node_id(&key(2)),
                sender: node_id(&key(1)),
                batch: *id,
                batch_hash: Hash([7; 32]),
                heads: Vec::new(),
                received_ms: T0,
            };
            let mut receipt = Receipt::sign(&key(2), &body);
            if !good_signature {
                receipt.signature[5] ^= 1;
            }
            Message::Ack(Ack {
                id: *id,
                receipt,
                refused: vec![ChainRefusal {
                    chain: chain_of(0),
                    code: 9,
                    reason: "x".repeat(40),
                }],
            })
        }
        Step::CaughtUp => Message::CaughtUp,
        Step::Close(code) => Message::Close(Close {
            code: *code,
            reason: "bye".into(),
        }),
        Step::Enroll => Message::Enroll(Enroll {
            secret: [1; 32],
            unit: UnitId::new(VILLAGE).unwrap(),
        }),
        Step::Bytes(bytes) => return Some(bytes.clone()),
        Step::Split(_) => return None,
    };
    Some(frame::encode(&message))
}

fn directory() -> Arc<StaticDirectory> {
    Arc::new(StaticDirectory(BTreeMap::from([
        (node_id(&key(1)), UnitId::new(COMMUNE).unwrap()),
        (node_id(&key(2)), UnitId::new(VILLAGE).unwrap()),
        (node_id(&key(3)), UnitId::new(SIBLING).unwrap()),
    ])))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn hostile_sequences_never_panic_lose_or_overstep(steps in prop::collection::vec(step(), 0..24)) {
        let material = Material::new();
        let log = office(&key(1), COMMUNE, 4, 5);
        let held_before = log.heads().unwrap();
        let mut parent = Sync::new(
            Config {
                signer: key(1),
                unit: UnitId::new(COMMUNE).unwrap(),
                expected_peer: Some(node_id(&key(2))),
            },
            Box::new(TreeScope::new(Side::Parent, UnitId::new(VILLAGE).unwrap(), directory())),
        );
        let mut sent = Vec::new();
        let mut split = None;
        for step in &steps {
            if let Step::Split(at) = step {
                split = Some(*at);
                continue;
            }
            let Some(bytes) = encode(step, &material) else { continue };
            match split.take() {
                Some(at) => {
                    let at = at.min(bytes.len());
                    parent.handle_input(T0 + 1, &bytes[..at], &log);
                    parent.handle_input(T0 + 1, &bytes[at..], &log);
                }
                None => parent.handle_input(T0 + 1, &bytes, &log),
            }
            while let Some(frame_bytes) = parent.poll_transmit(&log) {
                sent.push(frame::decode(&frame_bytes).expect("the machine's own frames decode").0);
            }
            while parent.poll_event().is_some() {}
        }
        // Nothing held before is lost.
        let held = log.heads().unwrap();
        for (chain, head) in &held_before {
            prop_assert!(held.get(chain).is_some_and(|now| now.seq >= head.seq));
        }
        // Only the village's own subtree was taken from it.
        let allowed: Vec<NodeId> = vec![node_id(&key(1)), node_id(&key(2))];
        for chain in held.keys() {
            prop_assert!(allowed.contains(&chain.origin), "stored {chain} from a peer that may not send it");
        }
        // A machine that closed told the peer why, unless the peer closed first.
        if parent.is_closed() {
            let told = sent.iter().any(|message| matches!(message, Message::Close(_)));
            let peer_closed = steps.iter().any(|step| matches!(step, Step::Close(_)));
            prop_assert!(told || peer_closed, "closed without a word: {sent:?}");
        }
    }
}
