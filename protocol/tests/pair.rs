//! Scenario tests for the sync state machine, in the manner of quinn-proto's `Pair`: two nodes
//! in memory, a virtual clock, and a link with knobs for latency, cuts, duplication, reordering
//! and partitions. No sockets, no sleeping; every run is reproducible from its seed.

mod common;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use common::{Rng, StaticDirectory};
use ed25519_dalek::SigningKey;
use nhip_engine::body::{ItemCreated, Known};
use nhip_engine::{
    ChainId, Draft, EventId, EventLog, MemoryLog, NodeId, PersonId, Seq, UnitId, node_id, replay,
};
use nhip_protocol::limits::{PROTOCOL_VERSION, WINDOW_BATCHES};
use nhip_protocol::message::{Hello, Message};
use nhip_protocol::{CloseCode, Config, RefusalCode, Side, Sync, SyncEvent, TreeScope, frame};

const T0: u64 = 1_758_560_400_000;

struct Node {
    signer: SigningKey,
    unit: UnitId,
    log: MemoryLog,
    next_id: u128,
}

impl Node {
    fn new(seed: u8, unit: &str) -> Node {
        let signer = SigningKey::from_bytes(&[seed; 32]);
        let log = MemoryLog::new(node_id(&signer));
        Node {
            signer,
            unit: UnitId::new(unit).unwrap(),
            log,
            next_id: u128::from(seed) << 64,
        }
    }

    fn id(&self) -> NodeId {
        node_id(&self.signer)
    }

    /// Writes `count` task events about `unit` (one append each `per_append`).
    fn work(&mut self, now_ms: u64, unit: &str, count: usize, per_append: usize) {
        let mut left = count;
        while left > 0 {
            let n = per_append.min(left);
            let drafts = (0..n)
                .map(|_| {
                    self.next_id += 1;
                    Draft {
                        id: EventId(uuid::Uuid::from_u128(self.next_id)),
                        actor: PersonId::new("can-bo").unwrap(),
                        unit: UnitId::new(unit).unwrap(),
                        seen: None,
                        body: Known::ItemCreated(ItemCreated {
                            assignee: Some(PersonId::new("lo-van-pao").unwrap()),
                            ..ItemCreated::simple(
                                "task",
                                format!(
                                    "Rà soát, củng cố chi bộ bản yếu kém — đợt {}",
                                    self.next_id % 1000
                                ),
                                UnitId::new(unit).unwrap(),
                                nhip_engine::Date::from_ymd(2025, 12, 31),
                            )
                        })
                        .to_body(),
                    }
                })
                .collect();
            self.log.append(&self.signer, now_ms, drafts).unwrap();
            left -= n;
        }
    }

    fn held(&self) -> BTreeMap<ChainId, Seq> {
        self.log
            .heads()
            .unwrap()
            .into_iter()
            .map(|(chain, head)| (chain, head.seq))
            .collect()
    }
}

/// Faults the link injects, per mille per frame unless stated.
#[derive(Clone, Copy, Default)]
struct Faults {
    /// Virtual milliseconds each chunk takes across the link.
    latency_ms: u64,
    /// Break the connection after this many bytes have crossed (both directions together).
    cut_after_bytes: Option<u64>,
    /// Chance a frame is delivered twice.
    duplicate: u64,
    /// Chance a frame is delivered after the next one.
    reorder: u64,
    /// Chance a frame is lost, which on a reliable stream means the connection breaks.
    loss: u64,
}

/// How a connection ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// Both sides caught up and the link went quiet.
    CaughtUp,
    /// The link was cut or a frame lost.
    Cut,
    /// A side closed with this code.
    Closed(u16),
    /// The step budget ran out.
    Stalled,
}

struct Pair {
    child: Node,
    parent: Node,
    directory: Arc<StaticDirectory>,
    now_ms: u64,
    rng: Rng,
    /// Events observed on the last connection (`true`: the child's), in order.
    events: Vec<(bool, SyncEvent)>,
    /// The virtual time each of `events` was observed.
    event_times: Vec<u64>,
    /// When the live-mode write happened, on the last connection.
    live_written_ms: Option<u64>,
    /// The most batches in flight from one side at once, on the last connection.
    max_in_flight: usize,
    bytes_crossed: u64,
}

impl Pair {
    fn new(seed: u64) -> Pair {
        let parent = Node::new(1, "tinh/xa");
        let child = Node::new(2, "tinh/xa/ban-na-ri");
        let directory = Arc::new(StaticDirectory(BTreeMap::from([
            (parent.id(), parent.unit.clone()),
            (child.id(), child.unit.clone()),
            (NodeId([0xaa; 32]), UnitId::new("tinh").unwrap()),
            (NodeId([0xbb; 32]), UnitId::new("tinh/xa/ban-phin").unwrap()),
        ])));
        Pair {
            child,
            parent,
            directory,
            now_ms: T0,
            rng: Rng(seed | 1),
            events: Vec::new(),
            event_times: Vec::new(),
            live_written_ms: None,
            max_in_flight: 0,
            bytes_crossed: 0,
        }
    }

    fn machines(&self) -> (Sync, Sync) {
        let child = Sync::new(
            Config {
                signer: self.child.signer.clone(),
                unit: self.child.unit.clone(),
                expected_peer: Some(self.parent.id()),
            },
            Box::new(TreeScope::new(
                Side::Child,
                self.child.unit.clone(),
                self.directory.clone(),
            )),
        );
        let parent = Sync::new(
            Config {
                signer: self.parent.signer.clone(),
                unit: self.parent.unit.clone(),
                expected_peer: Some(self.child.id()),
            },
            Box::new(TreeScope::new(
                Side::Parent,
                self.child.unit.clone(),
                self.directory.clone(),
            )),
        );
        (child, parent)
    }

    /// Runs one connection until it catches up and goes quiet, breaks, or closes.
    fn connect(&mut self, faults: Faults) -> End {
        let (child, parent) = self.machines();
        self.run(child, parent, faults, |_, _| {})
    }

    /// Runs one connection; `after_catch_up` may write to the nodes once, in live mode.
    fn run(
        &mut self,
        mut child: Sync,
        mut parent: Sync,
        faults: Faults,
        mut after_catch_up: impl FnMut(&mut Node, &mut Node),
    ) -> End {
        self.events.clear();
        self.event_times.clear();
        self.live_written_ms = None;
        self.max_in_flight = 0;
        let mut crossed_here = 0u64;
        // Frames on the wire, with the virtual time they arrive; `true` is child → parent.
        let mut wire: VecDeque<(u64, bool, Vec<u8>)> = VecDeque::new();
        let mut live_done = false;
        for _ in 0..200_000 {
            // Each side sends what it has.
            for up in [true, false] {
                let (machine, log) = if up {
                    (&mut child, &self.child.log as &dyn EventLog)
                } else {
                    (&mut parent, &self.parent.log as &dyn EventLog)
                };
                while let Some(bytes) = machine.poll_transmit(log) {
                    if self.rng.chance(faults.loss) {
                        return End::Cut;
                    }
                    let at = self.now_ms + faults.latency_ms;
                    if self.rng.chance(faults.duplicate) {
                        wire.push_back((at, up, bytes.clone()));
                    }
                    if self.rng.chance(faults.reorder) && !wire.is_empty() {
                        let index = wire.len() - 1;
                        wire.insert(index, (at, up, bytes));
                    } else {
                        wire.push_back((at, up, bytes));
                    }
                }
                self.max_in_flight = self.max_in_flight.max(machine.in_flight());
                assert!(machine.in_flight() <= WINDOW_BATCHES, "window respected");
            }
            for (from_child, machine) in [(true, &mut child), (false, &mut parent)] {
                while let Some(event) = machine.poll_event() {
                    self.events.push((from_child, event));
                    self.event_times.push(self.now_ms);
                }
            }
            if child.is_closed() && parent.is_closed() && wire.is_empty() {
                let code = self
                    .events
                    .iter()
                    .find_map(|(_, event)| match event {
                        SyncEvent::Closed { code, .. } => Some(*code),
                        _ => None,
                    })
                    .unwrap_or(0);
                return End::Closed(code);
            }
            if child.is_caught_up() && parent.is_caught_up() && wire.is_empty() {
                if live_done {
                    return End::CaughtUp;
                }
                live_done = true;
                self.live_written_ms = Some(self.now_ms);
                after_catch_up(&mut self.child, &mut self.parent);
                child.handle_log_changed(&self.child.log);
                parent.handle_log_changed(&self.parent.log);
                continue;
            }
            // Deliver the next frame, in chunks of random size (frames may arrive split).
            let Some((at, up, bytes)) = wire.pop_front() else {
                if child.is_closed() || parent.is_closed() {
                    continue;
                }
                return End::Stalled;
            };
            self.now_ms = self.now_ms.max(at);
            let mut offset = 0;
            while offset < bytes.len() {
                let chunk = 1 + self.rng.below(bytes.len() as u64 - offset as u64) as usize;
                let piece = &bytes[offset..offset + chunk];
                if let Some(limit) = faults.cut_after_bytes {
                    if self.bytes_crossed + piece.len() as u64 > limit {
                        // Deliver the part before the cut, then the link is gone.
                        let keep = (limit - self.bytes_crossed) as usize;
                        let (machine, log) = if up {
                            (&mut parent, &self.parent.log as &dyn EventLog)
                        } else {
                            (&mut child, &self.child.log as &dyn EventLog)
                        };
                        machine.handle_input(self.now_ms, &piece[..keep], log);
                        self.bytes_crossed += keep as u64;
                        return End::Cut;
                    }
                }
                let (machine, log) = if up {
                    (&mut parent, &self.parent.log as &dyn EventLog)
                } else {
                    (&mut child, &self.child.log as &dyn EventLog)
                };
                machine.handle_input(self.now_ms, piece, log);
                self.bytes_crossed += piece.len() as u64;
                crossed_here += piece.len() as u64;
                offset += chunk;
            }
        }
        let _ = crossed_here;
        End::Stalled
    }

    /// Connects again and again (up to `attempts`) until a connection catches up.
    fn sync_until_caught_up(&mut self, faults: Faults, attempts: usize) -> usize {
        for attempt in 1..=attempts {
            if self.connect(faults) == End::CaughtUp {
                return attempt;
            }
            self.now_ms += 1_000;
        }
        panic!("no connection caught up in {attempts} attempts");
    }

    fn delivered_events(&self, child_side: bool) -> usize {
        self.events
            .iter()
            .filter(|(side, _)| *side == child_side)
            .map(|(_, event)| match event {
                SyncEvent::Delivered { events, .. } => *events,
                _ => 0,
            })
            .sum()
    }
}

/// What the parent must hold after a full sync: the child's own chains, plus its own.
fn assert_converged(pair: &Pair) {
    let child = pair.child.held();
    let parent = pair.parent.held();
    for (chain, seq) in &child {
        if chain.origin == pair.child.id() {
            assert_eq!(parent.get(chain), Some(seq), "parent lacks {chain}");
        }
    }
    for (chain, seq) in &parent {
        if chain.unit.is_in_line_with(&pair.child.unit) && chain.origin == pair.parent.id() {
            assert_eq!(child.get(chain), Some(seq), "child lacks {chain}");
        }
    }
}

#[test]
fn a_backlog_is_pipelined_and_acknowledged() {
    let mut pair = Pair::new(1);
    pair.child.work(T0, "tinh/xa/ban-na-ri", 5_000, 100);
    let end = pair.connect(Faults {
        latency_ms: 50,
        ..Faults::default()
    });
    assert_eq!(end, End::CaughtUp);
    assert_converged(&pair);
    assert_eq!(pair.delivered_events(true), 5_000);
    assert!(
        pair.max_in_flight > 1,
        "batches are pipelined, not one round trip each"
    );
    assert_eq!(
        replay(&pair.parent.log).unwrap().events,
        5_000,
        "every event arrived exactly once"
    );
}

#[test]
fn both_sides_work_offline_then_exchange_within_scope() {
    let mut pair = Pair::new(2);
    pair.child.work(T0, "tinh/xa/ban-na-ri", 40, 7);
    pair.child.work(T0, "tinh/xa", 5, 5); // a report about the commune
    pair.parent.work(T0, "tinh/xa", 30, 10); // the commune's own work: goes down
    pair.parent.work(T0, "tinh/xa/ban-na-ri", 8, 8); // about this village: goes down
    pair.parent.work(T0, "tinh/xa/ban-phin", 12, 4); // about the sibling: never goes down
    assert_eq!(
        pair.connect(Faults {
            latency_ms: 200,
            ..Faults::default()
        }),
        End::CaughtUp
    );
    assert_converged(&pair);
    let child = pair.child.held();
    assert!(
        !child
            .keys()
            .any(|chain| chain.unit.as_str() == "tinh/xa/ban-phin"),
        "a sibling's chain reached the child"
    );
    // The parent did not even offer it: an honest pair never meets a refusal.
    assert!(
        pair.events.iter().all(|(_, event)| !matches!(
            event,
            SyncEvent::Delivered { refused, .. } | SyncEvent::Received { refused, .. }
                if !refused.is_empty()
        )),
        "{:?}",
        pair.events
    );
    assert_eq!(replay(&pair.child.log).unwrap().events, 45 + 30 + 8);
    assert_eq!(replay(&pair.parent.log).unwrap().events, 45 + 50);
}

#[test]
fn a_cut_at_any_byte_resumes_from_the_heads_without_loss_or_duplicates() {
    // Measure one clean run to know how many bytes it takes.
    let mut reference = Pair::new(3);
    reference.child.work(T0, "tinh/xa/ban-na-ri", 3_000, 50);
    reference.parent.work(T0, "tinh/xa", 500, 50);
    assert_eq!(reference.connect(Faults::default()), End::CaughtUp);
    let total = reference.bytes_crossed;

    for cut in (0..total).step_by((total / 37).max(1) as usize) {
        let mut pair = Pair::new(3 + cut);
        pair.child.work(T0, "tinh/xa/ban-na-ri", 3_000, 50);
        pair.parent.work(T0, "tinh/xa", 500, 50);
        let first = pair.connect(Faults {
            cut_after_bytes: Some(cut),
            ..Faults::default()
        });
        assert!(matches!(first, End::Cut | End::CaughtUp), "{first:?}");
        let child_chain = |node: &Node| {
            node.held()
                .iter()
                .filter(|(chain, _)| chain.origin == pair.child.id())
                .map(|(_, seq)| seq.0)
                .sum::<u64>()
        };
        let already = child_chain(&pair.parent);
        let attempts = pair.sync_until_caught_up(Faults::default(), 3);
        assert_eq!(attempts, 1, "resuming needs one connection");
        assert_converged(&pair);
        // Resumed from the heads: what the parent committed before the cut (acknowledged or
        // not) is never sent again, and nothing arrives twice.
        let missing = 3_000 - already;
        let resent = pair.delivered_events(true) as u64;
        assert_eq!(
            resent, missing,
            "cut at {cut}: re-sent {resent} for {missing} missing"
        );
        let duplicates: u64 = pair
            .events
            .iter()
            .map(|(_, event)| match event {
                SyncEvent::Received { duplicates, .. } => *duplicates,
                _ => 0,
            })
            .sum();
        assert_eq!(duplicates, 0, "cut at {cut}");
        assert_eq!(replay(&pair.parent.log).unwrap().events, 3_500);
        assert_eq!(replay(&pair.child.log).unwrap().events, 3_500);
    }
}

#[test]
fn duplication_reordering_loss_and_partitions_still_converge() {
    for seed in 0..40 {
        let mut pair = Pair::new(1000 + seed);
        pair.child.work(T0, "tinh/xa/ban-na-ri", 800, 30);
        pair.parent.work(T0, "tinh/xa/ban-na-ri", 300, 20);
        let faults = Faults {
            latency_ms: 1 + pair.rng.below(500),
            duplicate: pair.rng.below(80),
            reorder: pair.rng.below(80),
            loss: pair.rng.below(30),
            cut_after_bytes: None,
        };
        // A partition of several simulated days between attempts.
        pair.now_ms += 3 * 24 * 3_600_000;
        let mut caught_up = false;
        for _ in 0..200 {
            if pair.connect(faults) == End::CaughtUp {
                caught_up = true;
                break;
            }
            pair.now_ms += pair.rng.below(86_400_000);
        }
        if !caught_up {
            // Faults this dense can keep every connection short; a clean link must finish.
            pair.sync_until_caught_up(Faults::default(), 2);
        }
        assert_converged(&pair);
        assert_eq!(
            replay(&pair.parent.log).unwrap().events,
            1_100,
            "seed {seed}"
        );
        assert_eq!(
            replay(&pair.child.log).unwrap().hash(),
            replay(&pair.parent.log).unwrap().hash(),
            "seed {seed}: both hold the same events, so the same state"
        );
    }
}

#[test]
fn live_mode_delivers_a_new_event_within_a_second() {
    let mut pair = Pair::new(5);
    pair.child.work(T0, "tinh/xa/ban-na-ri", 10, 10);
    let (child, parent) = pair.machines();
    let end = pair.run(
        child,
        parent,
        Faults {
            latency_ms: 120,
            ..Faults::default()
        },
        |child, _| child.work(T0, "tinh/xa/ban-na-ri", 1, 1),
    );
    assert_eq!(end, End::CaughtUp);
    assert_eq!(pair.parent.held().values().map(|s| s.0).sum::<u64>(), 11);
    let written = pair.live_written_ms.expect("the live write happened");
    let arrived = pair
        .events
        .iter()
        .zip(&pair.event_times)
        .filter(|((child_side, event), _)| {
            !child_side && matches!(event, SyncEvent::Received { inserted: 1, .. })
        })
        .map(|(_, at)| *at)
        .next_back()
        .expect("the live event was received");
    assert!(
        arrived - written <= 1_000,
        "the live event took {} ms of virtual time",
        arrived - written
    );
}

#[test]
fn a_child_cannot_upload_what_is_not_its_subtree() {
    let mut pair = Pair::new(6);
    // The child holds a chain written by its sibling (it got it somehow) and tries to upload it.
    let mut sibling = Node::new(0xbb, "tinh/xa/ban-phin");
    sibling.work(T0, "tinh/xa/ban-phin", 5, 5);
    let chain = sibling.log.heads().unwrap().into_keys().next().unwrap();
    let batch = sibling
        .log
        .batch_from(&chain, Seq(1), 100, usize::MAX)
        .unwrap()
        .unwrap();
    pair.child.log.ingest(T0, &batch).unwrap();
    pair.child.work(T0, "tinh/xa/ban-na-ri", 20, 20);

    // A child that (wrongly) offers everything it holds.
    struct Everything;
    impl nhip_protocol::Scope for Everything {
        fn may_send(&self, _: &ChainId) -> bool {
            true
        }
        fn may_receive(&self, _: &ChainId) -> bool {
            true
        }
    }
    let (_, parent) = pair.machines();
    let child = Sync::new(
        Config {
            signer: pair.child.signer.clone(),
            unit: pair.child.unit.clone(),
            expected_peer: None,
        },
        Box::new(Everything),
    );
    assert_eq!(
        pair.run(child, parent, Faults::default(), |_, _| {}),
        End::CaughtUp
    );
    assert!(
        !pair.parent.held().contains_key(&chain),
        "stored a sibling's chain"
    );
    assert_eq!(pair.parent.held().values().map(|s| s.0).sum::<u64>(), 20);
    let refused: Vec<u16> = pair
        .events
        .iter()
        .flat_map(|(_, event)| match event {
            SyncEvent::Delivered { refused, .. } => refused.iter().map(|r| r.code).collect(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(refused, vec![RefusalCode::OutOfScope as u16]);
}

#[test]
fn compression_halves_the_bytes_on_the_wire() {
    let mut pair = Pair::new(7);
    pair.child.work(T0, "tinh/xa/ban-na-ri", 4_000, 200);
    assert_eq!(pair.connect(Faults::default()), End::CaughtUp);
    let raw_event_bytes: usize = pair
        .child
        .log
        .read_chain(
            &ChainId {
                origin: pair.child.id(),
                unit: pair.child.unit.clone(),
            },
            Seq(1),
            usize::MAX,
        )
        .unwrap()
        .iter()
        .map(|stored| stored.bytes.len())
        .sum();
    let ratio = pair.bytes_crossed as f64 / raw_event_bytes as f64;
    assert!(ratio <= 0.5, "{ratio:.2} of the raw size crossed the link");
}

fn hello_frame(protocol: u32, node: NodeId) -> Vec<u8> {
    frame::encode(&Message::Hello(Hello {
        protocol,
        schema_min: 1,
        schema_max: 1,
        node,
        unit: UnitId::new("tinh/xa/ban-na-ri").unwrap(),
    }))
}

fn closed(machine: &mut Sync) -> Option<(u16, String)> {
    while let Some(event) = machine.poll_event() {
        if let SyncEvent::Closed { code, reason, .. } = event {
            return Some((code, reason));
        }
    }
    None
}

#[test]
fn a_version_mismatch_names_both_versions() {
    let pair = Pair::new(8);
    let (_, mut parent) = pair.machines();
    parent.handle_input(
        T0,
        &hello_frame(PROTOCOL_VERSION + 1, pair.child.id()),
        &pair.parent.log,
    );
    let (code, reason) = closed(&mut parent).unwrap();
    assert_eq!(code, CloseCode::ProtocolVersion as u16);
    assert!(reason.contains(&(PROTOCOL_VERSION + 1).to_string()));
    assert!(reason.contains(&PROTOCOL_VERSION.to_string()));
}

#[test]
fn an_unexpected_node_is_refused() {
    let pair = Pair::new(9);
    let (_, mut parent) = pair.machines();
    parent.handle_input(
        T0,
        &hello_frame(PROTOCOL_VERSION, NodeId([9; 32])),
        &pair.parent.log,
    );
    assert_eq!(
        closed(&mut parent).unwrap().0,
        CloseCode::UnexpectedPeer as u16
    );
}

#[test]
fn garbage_and_huge_prefixes_close_with_a_reason() {
    let pair = Pair::new(10);
    let (_, mut parent) = pair.machines();
    parent.handle_input(T0, &[0xff, 0xff, 0xff, 0xff], &pair.parent.log);
    assert_eq!(closed(&mut parent).unwrap().0, CloseCode::TooLarge as u16);

    let (_, mut parent) = pair.machines();
    parent.handle_input(T0, &[0, 0, 0, 3, 0xc1, 0xc1, 0xc1], &pair.parent.log);
    assert_eq!(closed(&mut parent).unwrap().0, CloseCode::Malformed as u16);

    let (_, mut parent) = pair.machines();
    let heads_first = frame::encode(&Message::CaughtUp);
    parent.handle_input(T0, &heads_first, &pair.parent.log);
    assert_eq!(
        closed(&mut parent).unwrap().0,
        CloseCode::UnexpectedMessage as u16
    );
    assert!(pair.parent.held().is_empty(), "nothing stored");
}

#[test]
fn a_silent_peer_is_closed_at_the_hello_deadline_on_virtual_time() {
    use nhip_protocol::limits::HELLO_WITHIN_MS;
    let pair = Pair::new(12);
    let (_, mut parent) = pair.machines();
    assert_eq!(parent.poll_timeout(), None, "no clock yet");
    parent.handle_timeout(T0);
    assert_eq!(parent.poll_timeout(), Some(T0 + HELLO_WITHIN_MS));
    // Bytes that are not yet a whole frame do not count as a hello.
    parent.handle_input(T0 + 1_000, &[0, 0], &pair.parent.log);
    parent.handle_timeout(T0 + HELLO_WITHIN_MS - 1);
    assert!(!parent.is_closed(), "not before the deadline");
    parent.handle_timeout(T0 + HELLO_WITHIN_MS);
    let (code, reason) = closed(&mut parent).unwrap();
    assert_eq!(code, CloseCode::Timeout as u16);
    assert!(reason.contains("hello"), "{reason}");
    assert_eq!(parent.poll_timeout(), None, "closed: no more timers");
    // The peer is told why: the last frame out is a Close.
    let mut last = None;
    while let Some(frame) = parent.poll_transmit(&pair.parent.log) {
        last = Some(frame);
    }
    assert!(matches!(
        frame::decode(&last.unwrap()),
        Ok((Message::Close(_), _))
    ));

    // A peer that says hello in time has no deadline left.
    let (_, mut parent) = pair.machines();
    parent.handle_timeout(T0);
    parent.handle_input(
        T0 + HELLO_WITHIN_MS - 1,
        &hello_frame(PROTOCOL_VERSION, pair.child.id()),
        &pair.parent.log,
    );
    assert_eq!(parent.poll_timeout(), None);
    parent.handle_timeout(T0 + 10 * HELLO_WITHIN_MS);
    assert!(!parent.is_closed());
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn on_any_input(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..8)) {
            let pair = Pair::new(11);
            let (_, mut parent) = pair.machines();
            parent.handle_input(T0, &hello_frame(PROTOCOL_VERSION, pair.child.id()), &pair.parent.log);
            for chunk in &chunks {
                parent.handle_input(T0, chunk, &pair.parent.log);
                while parent.poll_transmit(&pair.parent.log).is_some() {}
            }
            prop_assert!(pair.parent.held().is_empty());
        }
    }
}
