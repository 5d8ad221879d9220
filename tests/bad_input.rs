//! The bad-input catalogue: one test per kind of bad input a peer can send. Each asserts a
//! typed outcome (a close code or a chain refusal), that the peer is told why, that nothing is
//! stored and nothing already held is lost, and that the node still serves a well-behaved peer
//! afterwards. The cases a handshake or a file covers live where their machinery does; the
//! table in ARCHITECTURE.md ("Bad input") points at every one.

use std::collections::BTreeMap;
use std::sync::Arc;

use ed25519_dalek::{Signer, SigningKey};
use nhip::engine::body::{ItemCreated, Known};
use nhip::engine::{
    Batch, ChainId, Draft, EventId, EventLog, Head, MemoryLog, NodeId, PersonId, Seq, UnitId,
    node_id,
};
use nhip::protocol::limits::{BATCH_BYTES_MAX, FRAME_BYTES_MAX, PROTOCOL_VERSION};
use nhip::protocol::message::{BatchFrame, Heads, Hello, Message};
use nhip::protocol::{
    CloseCode, Config, Directory, RefusalCode, Side, Sync, SyncEvent, TreeScope, frame,
};

const T0: u64 = 1_758_560_400_000;
const COMMUNE: &str = "tinh/xa-binh-lu";
const VILLAGE: &str = "tinh/xa-binh-lu/ban-na-ri";
const SIBLING: &str = "tinh/xa-binh-lu/ban-phin";

struct Units(BTreeMap<NodeId, UnitId>);
impl Directory for Units {
    fn unit_of(&self, node: &NodeId) -> Option<UnitId> {
        self.0.get(node).cloned()
    }
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn units() -> Arc<Units> {
    Arc::new(Units(BTreeMap::from([
        (node_id(&key(1)), UnitId::new(COMMUNE).unwrap()),
        (node_id(&key(2)), UnitId::new(VILLAGE).unwrap()),
        (node_id(&key(3)), UnitId::new(SIBLING).unwrap()),
    ])))
}

/// `count` tasks written by `signer` into a fresh log, about `unit`.
fn office(signer: &SigningKey, unit: &str, count: usize, salt: u128) -> MemoryLog {
    let log = MemoryLog::new(node_id(signer));
    let drafts = (0..count as u128)
        .map(|n| Draft {
            id: EventId(uuid::Uuid::from_u128((salt << 64) | n)),
            actor: PersonId::new("lo-van-pao").unwrap(),
            unit: UnitId::new(unit).unwrap(),
            seen: None,
            body: Known::ItemCreated(ItemCreated::simple(
                "task",
                format!("Sửa đường liên bản, đoạn {n} ({salt})"),
                UnitId::new(unit).unwrap(),
                None,
            ))
            .to_body(),
        })
        .collect();
    log.append(signer, T0, drafts).unwrap();
    log
}

fn chain(signer: &SigningKey, unit: &str) -> ChainId {
    ChainId {
        origin: node_id(signer),
        unit: UnitId::new(unit).unwrap(),
    }
}

fn batch_of(log: &MemoryLog, chain: &ChainId, from: u64) -> Batch {
    log.batch_from(chain, Seq(from), 1_000, usize::MAX)
        .unwrap()
        .unwrap()
}

fn batch_frame(id: u64, batch: &Batch) -> Vec<u8> {
    let raw = rmp_serde::to_vec(batch).unwrap();
    frame::encode(&Message::Batch(BatchFrame {
        id,
        raw_bytes: raw.len() as u32,
        zstd: zstd::bulk::compress(&raw, 1).unwrap(),
    }))
}

/// A commune (the parent side of one connection) that holds work of its own, facing a village
/// whose bytes the test writes by hand.
struct Commune {
    log: MemoryLog,
    machine: Sync,
    held_before: BTreeMap<ChainId, Head>,
    sent: Vec<Message>,
    events: Vec<SyncEvent>,
}

impl Commune {
    fn new() -> Commune {
        Commune::with_log(office(&key(1), COMMUNE, 3, 1))
    }

    fn with_log(log: MemoryLog) -> Commune {
        let held_before = log.heads().unwrap();
        Commune {
            machine: parent_machine(),
            log,
            held_before,
            sent: Vec::new(),
            events: Vec::new(),
        }
    }

    /// The village's `Hello` and `Heads` (it holds nothing of ours).
    fn greeted(mut self) -> Commune {
        self.feed(&frame::encode(&Message::Hello(hello(PROTOCOL_VERSION, 2))));
        self.feed(&frame::encode(&Message::Heads(Heads::default())));
        assert_eq!(
            self.machine.peer().map(|hello| hello.node),
            Some(node_id(&key(2)))
        );
        self
    }

    fn feed(&mut self, bytes: &[u8]) {
        self.machine.handle_input(T0 + 1_000, bytes, &self.log);
        while let Some(bytes) = self.machine.poll_transmit(&self.log) {
            let (message, used) = frame::decode(&bytes).unwrap();
            assert_eq!(used, bytes.len());
            self.sent.push(message);
        }
        self.events
            .extend(std::iter::from_fn(|| self.machine.poll_event()));
    }

    /// The close the commune sent the village: its code and the reason it gave.
    fn told(&self) -> (CloseCode, String) {
        assert!(self.machine.is_closed(), "still open; sent {:?}", self.sent);
        self.sent
            .iter()
            .find_map(|message| match message {
                Message::Close(close) => Some((
                    CloseCode::from_u16(close.code).unwrap(),
                    close.reason.clone(),
                )),
                _ => None,
            })
            .expect("the peer is told why")
    }

    /// The chains refused in the acknowledgements sent, with codes.
    fn refusals(&self) -> Vec<(ChainId, RefusalCode, String)> {
        self.sent
            .iter()
            .filter_map(|message| match message {
                Message::Ack(ack) => Some(ack.refused.clone()),
                _ => None,
            })
            .flatten()
            .map(|refusal| (refusal.chain, refusal_code(refusal.code), refusal.reason))
            .collect()
    }

    /// Nothing was stored and nothing held before is lost.
    fn holds_what_it_held(&self) {
        assert_eq!(self.log.heads().unwrap(), self.held_before);
    }

    /// The node still serves: a well-behaved village on a new connection delivers its work.
    fn still_serves(self) {
        let village_key = key(2);
        let village = office(&village_key, VILLAGE, 5, 99);
        let mut child = Sync::new(
            Config {
                signer: village_key.clone(),
                unit: UnitId::new(VILLAGE).unwrap(),
                expected_peer: Some(node_id(&key(1))),
            },
            Box::new(TreeScope::new(
                Side::Child,
                UnitId::new(VILLAGE).unwrap(),
                units(),
            )),
        );
        let mut parent = parent_machine();
        for _ in 0..100 {
            while let Some(bytes) = child.poll_transmit(&village) {
                parent.handle_input(T0 + 2_000, &bytes, &self.log);
            }
            while let Some(bytes) = parent.poll_transmit(&self.log) {
                child.handle_input(T0 + 2_000, &bytes, &village);
            }
            if child.is_caught_up() && parent.is_caught_up() {
                break;
            }
        }
        assert!(child.is_caught_up(), "a good village still syncs");
        let ours = chain(&village_key, VILLAGE);
        let held = self.log.heads().unwrap();
        assert!(held[&ours].seq >= Seq(5), "{held:?}");
        for (chain, head) in &self.held_before {
            assert!(held[chain].seq >= head.seq, "{chain} lost events");
        }
    }
}

fn parent_machine() -> Sync {
    Sync::new(
        Config {
            signer: key(1),
            unit: UnitId::new(COMMUNE).unwrap(),
            expected_peer: Some(node_id(&key(2))),
        },
        Box::new(TreeScope::new(
            Side::Parent,
            UnitId::new(VILLAGE).unwrap(),
            units(),
        )),
    )
}

fn hello(protocol: u32, seed: u8) -> Hello {
    Hello {
        protocol,
        schema_min: u32::from(nhip::engine::event::ENVELOPE_FORMAT),
        schema_max: u32::from(nhip::engine::event::ENVELOPE_FORMAT),
        node: node_id(&key(seed)),
        unit: UnitId::new(VILLAGE).unwrap(),
    }
}

fn refusal_code(code: u16) -> RefusalCode {
    [
        RefusalCode::OutOfScope,
        RefusalCode::Gap,
        RefusalCode::BrokenChain,
        RefusalCode::BadSeal,
        RefusalCode::Equivocation,
        RefusalCode::ClockAhead,
    ]
    .into_iter()
    .find(|known| *known as u16 == code)
    .unwrap_or_else(|| panic!("unknown refusal code {code}"))
}

#[test]
fn garbage_bytes() {
    let mut commune = Commune::new();
    // A well-sized frame whose payload is no MessagePack at all (0xc1 is never used).
    commune.feed(&[0, 0, 0, 8, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1]);
    let (code, reason) = commune.told();
    assert_eq!(code, CloseCode::Malformed, "{reason}");
    commune.holds_what_it_held();
    commune.still_serves();
}

#[test]
fn every_truncation_of_a_valid_frame() {
    let village = office(&key(2), VILLAGE, 20, 2);
    let whole = batch_frame(1, &batch_of(&village, &chain(&key(2), VILLAGE), 1));
    for cut in 0..whole.len() {
        let mut commune = Commune::new().greeted();
        commune.feed(&whole[..cut]);
        // Part of a frame is nothing yet: no error, no acknowledgement, nothing stored; when
        // the connection then drops, nothing is lost.
        assert!(!commune.machine.is_closed(), "cut at {cut}");
        assert!(
            !commune.sent.iter().any(|m| matches!(m, Message::Ack(_))),
            "cut at {cut}"
        );
        commune.holds_what_it_held();
    }
    // The rest arrives: the same frame, whole, is committed once.
    let mut commune = Commune::new().greeted();
    commune.feed(&whole[..whole.len() / 2]);
    commune.feed(&whole[whole.len() / 2..]);
    assert!(commune.refusals().is_empty());
    assert_eq!(
        commune.log.heads().unwrap()[&chain(&key(2), VILLAGE)].seq,
        Seq(20)
    );
}

#[test]
fn a_length_prefix_of_ffffffff() {
    let mut commune = Commune::new().greeted();
    commune.feed(&[0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
    let (code, reason) = commune.told();
    assert_eq!(code, CloseCode::TooLarge);
    assert!(reason.contains(&FRAME_BYTES_MAX.to_string()), "{reason}");
    commune.holds_what_it_held();
    commune.still_serves();
}

#[test]
fn ten_thousand_deep_nesting() {
    // 10,000 one-element arrays inside each other: a recursive decoder without a limit would
    // overflow its stack.
    let mut payload = vec![0x91u8; 10_000];
    payload.push(0xc0);
    let mut bytes = (payload.len() as u32).to_be_bytes().to_vec();
    bytes.extend_from_slice(&payload);
    let mut commune = Commune::new();
    commune.feed(&bytes);
    assert_eq!(commune.told().0, CloseCode::Malformed);
    commune.holds_what_it_held();

    // The same nesting inside a batch, behind a valid frame.
    let mut commune = Commune::new().greeted();
    commune.feed(&frame::encode(&Message::Batch(BatchFrame {
        id: 1,
        raw_bytes: payload.len() as u32,
        zstd: zstd::bulk::compress(&payload, 1).unwrap(),
    })));
    assert_eq!(commune.told().0, CloseCode::Malformed);
    commune.holds_what_it_held();
    commune.still_serves();
}

#[test]
fn a_wrong_protocol_version() {
    let mut commune = Commune::new();
    commune.feed(&frame::encode(&Message::Hello(hello(
        PROTOCOL_VERSION + 1,
        2,
    ))));
    let (code, reason) = commune.told();
    assert_eq!(code, CloseCode::ProtocolVersion);
    assert!(
        reason.contains(&PROTOCOL_VERSION.to_string())
            && reason.contains(&(PROTOCOL_VERSION + 1).to_string()),
        "both versions are named: {reason}"
    );
    commune.holds_what_it_held();
    commune.still_serves();
}

#[test]
fn a_hello_from_another_key_than_the_pinned_one() {
    // The handshake already pins keys (tests/sync_quic.rs refuses unknown and revoked keys);
    // the machine checks the hello again.
    let mut commune = Commune::new();
    commune.feed(&frame::encode(&Message::Hello(hello(PROTOCOL_VERSION, 3))));
    assert_eq!(commune.told().0, CloseCode::UnexpectedPeer);
    commune.holds_what_it_held();
    commune.still_serves();
}

#[test]
fn a_message_out_of_turn() {
    let village = office(&key(2), VILLAGE, 4, 2);
    let mut commune = Commune::new();
    // A batch before any hello.
    commune.feed(&batch_frame(
        1,
        &batch_of(&village, &chain(&key(2), VILLAGE), 1),
    ));
    assert_eq!(commune.told().0, CloseCode::UnexpectedMessage);
    commune.holds_what_it_held();
    commune.still_serves();
}

#[test]
fn a_valid_signature_by_another_node() {
    let village_key = key(2);
    let village = office(&village_key, VILLAGE, 6, 2);
    let ours = chain(&village_key, VILLAGE);
    let mut batch = batch_of(&village, &ours, 1);
    // The sibling village signs the exact seal message for the village's chain: a good
    // signature, by the wrong key.
    let seal = &mut batch.seals[0];
    let mut message = b"nhip/seal/v1\0".to_vec();
    message.extend_from_slice(&seal.chain.origin.0);
    message.push(seal.chain.unit.as_str().len() as u8);
    message.extend_from_slice(seal.chain.unit.as_str().as_bytes());
    message.extend_from_slice(&seal.seq.0.to_be_bytes());
    message.extend_from_slice(&seal.hash.0);
    seal.signature = key(3).sign(&message).to_bytes();

    let mut commune = Commune::new().greeted();
    commune.feed(&batch_frame(1, &batch));
    let refusals = commune.refusals();
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert_eq!(
        (&refusals[0].0, refusals[0].1),
        (&ours, RefusalCode::BadSeal)
    );
    commune.holds_what_it_held();

    // The sibling's own chain, perfectly signed, is not the village's to upload.
    let sibling = office(&key(3), SIBLING, 3, 3);
    let theirs = chain(&key(3), SIBLING);
    commune.feed(&batch_frame(2, &batch_of(&sibling, &theirs, 1)));
    let refusals = commune.refusals();
    assert_eq!(
        (&refusals[1].0, refusals[1].1),
        (&theirs, RefusalCode::OutOfScope)
    );
    commune.holds_what_it_held();
    commune.still_serves();
}

#[test]
fn a_batch_with_a_sequence_gap() {
    let village = office(&key(2), VILLAGE, 10, 2);
    let ours = chain(&key(2), VILLAGE);
    let mut commune = Commune::new().greeted();
    // Events 4..=10 when the commune holds none of this chain.
    commune.feed(&batch_frame(1, &batch_of(&village, &ours, 4)));
    let refusals = commune.refusals();
    assert_eq!((&refusals[0].0, refusals[0].1), (&ours, RefusalCode::Gap));
    commune.holds_what_it_held();
    commune.still_serves();
}

#[test]
fn a_fork() {
    let village_key = key(2);
    let ours = chain(&village_key, VILLAGE);
    let told = office(&village_key, VILLAGE, 5, 2);
    // The same key signs other events under the same sequence numbers.
    let forked = office(&village_key, VILLAGE, 5, 77);
    let mut commune = Commune::new().greeted();
    commune.feed(&batch_frame(1, &batch_of(&told, &ours, 1)));
    let held = commune.log.heads().unwrap();
    commune.feed(&batch_frame(2, &batch_of(&forked, &ours, 1)));
    let refusals = commune.refusals();
    assert_eq!(
        (&refusals[0].0, refusals[0].1),
        (&ours, RefusalCode::Equivocation)
    );
    // The first version stands; the fork is evidence, kept as an incident.
    assert_eq!(commune.log.heads().unwrap(), held);
    let incidents = commune.log.incidents().unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].chain, ours);
    assert!(
        commune
            .events
            .iter()
            .any(|event| matches!(event, SyncEvent::Received { incidents: 1, .. }))
    );
}

#[test]
fn a_replayed_old_batch() {
    let village = office(&key(2), VILLAGE, 8, 2);
    let batch = batch_of(&village, &chain(&key(2), VILLAGE), 1);
    let mut commune = Commune::new().greeted();
    commune.feed(&batch_frame(1, &batch));
    let held = commune.log.heads().unwrap();
    let replayed_before = nhip::engine::replay(&commune.log).unwrap().events;
    // The same batch again, under another batch number, as an attacker or a confused link
    // would send it.
    commune.feed(&batch_frame(2, &batch));
    assert!(commune.refusals().is_empty());
    assert!(commune.events.iter().any(|event| matches!(
        event,
        SyncEvent::Received {
            batch: 2,
            inserted: 0,
            duplicates: 8,
            ..
        }
    )));
    assert_eq!(commune.log.heads().unwrap(), held);
    assert_eq!(
        nhip::engine::replay(&commune.log).unwrap().events,
        replayed_before,
        "nothing takes effect twice"
    );
}

#[test]
fn an_oversized_batch() {
    let mut commune = Commune::new().greeted();
    commune.feed(&frame::encode(&Message::Batch(BatchFrame {
        id: 1,
        raw_bytes: BATCH_BYTES_MAX as u32 + 1,
        zstd: vec![0; 16],
    })));
    let (code, reason) = commune.told();
    assert_eq!(code, CloseCode::TooLarge);
    assert!(reason.contains(&BATCH_BYTES_MAX.to_string()), "{reason}");
    commune.holds_what_it_held();

    // One event more than a batch may carry: too large, as PROTOCOL.md §4 says (not
    // malformed).
    let village = office(&key(2), VILLAGE, 10, 3);
    let mut batch = batch_of(&village, &chain(&key(2), VILLAGE), 1);
    let one = batch.events[0].clone();
    batch.events = vec![one; nhip::engine::limits::BATCH_EVENTS_MAX + 1];
    let mut commune = Commune::new().greeted();
    commune.feed(&batch_frame(1, &batch));
    let (code, reason) = commune.told();
    assert_eq!(code, CloseCode::TooLarge, "{reason}");
    commune.holds_what_it_held();

    // A zstd bomb: a small announced size, a payload that inflates far past it.
    let mut commune = Commune::new().greeted();
    commune.feed(&frame::encode(&Message::Batch(BatchFrame {
        id: 1,
        raw_bytes: 1_000,
        zstd: zstd::bulk::compress(&vec![0u8; 3 * BATCH_BYTES_MAX], 3).unwrap(),
    })));
    assert_eq!(commune.told().0, CloseCode::Malformed);
    commune.holds_what_it_held();
    commune.still_serves();
}
