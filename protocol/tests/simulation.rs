//! Deterministic simulation of a whole tree, in the manner of FoundationDB's simulator and
//! TigerBeetle's VOPR: a hub, two communes and four villages, each with its own log, running
//! the real engine and the real sans-IO sync machines over a simulated network and clock. Every
//! fault is drawn from one seed, so every failure is reproducible from it.
//!
//! Faults: frames lost (the connection breaks, as on a reliable stream), duplicated, reordered
//! and delayed; links partitioned for up to three simulated days; nodes crashing (every open
//! connection dropped mid-flight with whatever it had not committed — half-received frames,
//! acknowledgements of batches already committed — the committed log kept); clock skew up to
//! ±1 day per node; offices writing about the same units while apart; villages enrolled late
//! (working offline until their parent admits them) and a village revoked mid-run (cut off at
//! once, refused ever after, while it goes on writing).
//!
//! Checked after every step: no node's hold on any chain shrinks, and no node holds a chain
//! outside its scope. Checked after the network heals: every event written anywhere is at the hub (no
//! acknowledged event lost) — but what a revoked village wrote after it was cut off; every node
//! holds exactly the chains its place in the tree entitles it to (scope never violated), each
//! identical to its origin's (no event twice, no event altered), and a revoked village's chain
//! the same prefix of it everywhere; every log verifies (chains, seals); every node's state hash
//! equals the replay of a reference log built from the origins' chains as far as it holds them.
//!
//! `NHIP_SIM_SEEDS=N` runs N seeds (default 1,000); `NHIP_SIM_SEED=S` runs only seed S. A failing
//! seed prints the command that reproduces it.

mod common;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use common::{Rng, StaticDirectory};
use ed25519_dalek::SigningKey;
use nhip_engine::body::{ItemCreated, ItemProgressed, Known};
use nhip_engine::{
    ChainId, Draft, EventId, EventLog, MemoryLog, NodeId, PersonId, Seq, UnitId, node_id, replay,
};
use nhip_protocol::{Config, Directory, Side, Sync, TreeScope};

const T0: u64 = 1_758_560_400_000;
const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// The tree: unit paths, and each node's parent (by index).
const UNITS: [&str; 7] = [
    "tinh",
    "tinh/xa-a",
    "tinh/xa-b",
    "tinh/xa-a/ban-1",
    "tinh/xa-a/ban-2",
    "tinh/xa-b/ban-3",
    "tinh/xa-b/ban-4",
];
const PARENT: [Option<usize>; 7] = [None, Some(0), Some(0), Some(1), Some(1), Some(2), Some(2)];

fn unit(path: &str) -> UnitId {
    UnitId::new(path).unwrap()
}

struct SimNode {
    signer: SigningKey,
    unit: UnitId,
    log: MemoryLog,
    /// This node's clock minus the simulation's (±1 day).
    skew_ms: i64,
    written: u64,
    /// The items this node created, to report progress on.
    items: Vec<(UnitId, EventId)>,
}

impl SimNode {
    fn id(&self) -> NodeId {
        node_id(&self.signer)
    }

    /// A version of the log that changes whenever anything is stored.
    fn version(&self) -> u64 {
        self.log
            .heads()
            .unwrap()
            .values()
            .map(|head| head.seq.0)
            .sum()
    }
}

/// One live connection between a child and its parent.
struct Connection {
    child: usize,
    child_side: Sync,
    parent_side: Sync,
    /// Frames on the wire: arrival time, `true` when going up, bytes.
    wire: VecDeque<(u64, bool, Vec<u8>)>,
}

/// Fault rates, per mille.
#[derive(Clone, Copy)]
struct Faults {
    loss: u64,
    duplicate: u64,
    reorder: u64,
    max_delay_ms: u64,
    partition: u64,
    crash: u64,
    skew_ms: u64,
}

impl Faults {
    fn drawn(rng: &mut Rng) -> Faults {
        Faults {
            loss: rng.below(30),
            duplicate: rng.below(30),
            reorder: rng.below(30),
            max_delay_ms: rng.below(5_000),
            partition: rng.below(40),
            crash: rng.below(20),
            skew_ms: rng.below(DAY_MS + 1),
        }
    }

    const NONE: Faults = Faults {
        loss: 0,
        duplicate: 0,
        reorder: 0,
        max_delay_ms: 0,
        partition: 0,
        crash: 0,
        skew_ms: 0,
    };
}

struct World {
    rng: Rng,
    now_ms: u64,
    nodes: Vec<SimNode>,
    directory: Arc<StaticDirectory>,
    connections: Vec<Connection>,
    /// Per child: the link is partitioned until this time.
    down_until: Vec<u64>,
    /// Per child: its parent admits it from this time on (enrollment).
    enrolled_at: Vec<u64>,
    /// The village revoked, and when.
    revoked: Option<(usize, u64)>,
    /// Per node: the log version its connections were last told about.
    told: Vec<u64>,
    faults: Faults,
    next_id: u128,
    /// Faults that happened, for the summary.
    crashes: u64,
    partitions: u64,
    cuts: u64,
    late_enrollments: u64,
    revocations: u64,
}

/// The villages: leaves of the tree, which may be enrolled late or revoked.
const VILLAGES: std::ops::Range<usize> = 3..7;

impl World {
    fn new(seed: u64) -> World {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let faults = Faults::drawn(&mut rng);
        let nodes: Vec<SimNode> = UNITS
            .iter()
            .enumerate()
            .map(|(index, path)| {
                let signer = SigningKey::from_bytes(&[index as u8 + 1; 32]);
                let skew_ms = rng.below(2 * faults.skew_ms + 1) as i64 - faults.skew_ms as i64;
                SimNode {
                    log: MemoryLog::new(node_id(&signer)),
                    signer,
                    unit: unit(path),
                    skew_ms,
                    written: 0,
                    items: Vec::new(),
                }
            })
            .collect();
        let directory = Arc::new(StaticDirectory(
            nodes
                .iter()
                .map(|node| (node.id(), node.unit.clone()))
                .collect(),
        ));
        // Some villages are enrolled only days into the run; one may be revoked.
        let mut enrolled_at = vec![0; nodes.len()];
        let mut late_enrollments = 0;
        for village in VILLAGES {
            if rng.chance(250) {
                enrolled_at[village] = T0 + rng.below(2 * DAY_MS);
                late_enrollments += 1;
            }
        }
        let revoked = rng.chance(300).then(|| {
            let village = VILLAGES.start + rng.below(VILLAGES.len() as u64) as usize;
            (village, T0 + rng.below(3 * DAY_MS))
        });
        World {
            rng,
            now_ms: T0,
            enrolled_at,
            revoked,
            late_enrollments,
            revocations: u64::from(revoked.is_some()),
            down_until: vec![0; nodes.len()],
            told: vec![0; nodes.len()],
            nodes,
            directory,
            connections: Vec::new(),
            faults,
            next_id: u128::from(seed) << 32,
            crashes: 0,
            partitions: 0,
            cuts: 0,
        }
    }

    /// An office writes: a new task about its unit or a unit below, or progress on one of its
    /// tasks (offices below may be writing about the same units meanwhile).
    fn write(&mut self, index: usize) {
        let count = 1 + self.rng.below(4) as usize;
        let mut drafts = Vec::with_capacity(count);
        for _ in 0..count {
            self.next_id += 1;
            let id = EventId(uuid::Uuid::from_u128(self.next_id));
            let node = &self.nodes[index];
            let progress = !node.items.is_empty() && self.rng.chance(500);
            let draft = if progress {
                let (about, item) =
                    node.items[self.rng.below(node.items.len() as u64) as usize].clone();
                Draft {
                    id,
                    actor: PersonId::new("can-bo").unwrap(),
                    unit: about,
                    seen: Some(item),
                    body: Known::ItemProgressed(ItemProgressed {
                        item,
                        percent: self.rng.below(101) as u8,
                        note: "Đã làm".into(),
                    })
                    .to_body(),
                }
            } else {
                // Its own unit, a unit below, or one above (a report up the line).
                let in_line: Vec<&str> = UNITS
                    .iter()
                    .copied()
                    .filter(|path| unit(path).is_in_line_with(&node.unit))
                    .collect();
                let about = unit(in_line[self.rng.below(in_line.len() as u64) as usize]);
                self.nodes[index].items.push((about.clone(), id));
                Draft {
                    id,
                    actor: PersonId::new("can-bo").unwrap(),
                    unit: about.clone(),
                    seen: None,
                    body: Known::ItemCreated(ItemCreated::simple(
                        "task",
                        format!("Nhiệm vụ {}", self.next_id % 10_000),
                        about,
                        nhip_engine::Date::from_ymd(2025, 12, 31),
                    ))
                    .to_body(),
                }
            };
            drafts.push(draft);
        }
        let node = &mut self.nodes[index];
        let clock = self.now_ms.saturating_add_signed(node.skew_ms);
        node.log.append(&node.signer, clock, drafts).unwrap();
        node.written += count as u64;
    }

    fn scope(&self, side: Side, child: usize) -> Box<TreeScope> {
        Box::new(TreeScope::new(
            side,
            self.nodes[child].unit.clone(),
            self.directory.clone(),
        ))
    }

    fn connect(&mut self, child: usize) {
        let parent = PARENT[child].unwrap();
        let config = |node: &SimNode, peer: &SimNode| Config {
            signer: node.signer.clone(),
            unit: node.unit.clone(),
            expected_peer: Some(peer.id()),
        };
        let child_side = Sync::new(
            config(&self.nodes[child], &self.nodes[parent]),
            self.scope(Side::Child, child),
        );
        let parent_side = Sync::new(
            config(&self.nodes[parent], &self.nodes[child]),
            self.scope(Side::Parent, child),
        );
        self.connections.push(Connection {
            child,
            child_side,
            parent_side,
            wire: VecDeque::new(),
        });
    }

    /// Whether the parent admits `child` now: enrolled, and not revoked.
    fn admitted(&self, child: usize) -> bool {
        let revoked = self
            .revoked
            .is_some_and(|(village, at)| village == child && at <= self.now_ms);
        self.enrolled_at[child] <= self.now_ms && !revoked
    }

    fn connected(&self, child: usize) -> bool {
        self.connections
            .iter()
            .any(|connection| connection.child == child)
    }

    /// One step of simulated time: faults, writes, connections, frames.
    fn step(&mut self, faults: Faults, writes: bool) {
        // Mostly seconds between steps; now and then an office closes for the night.
        self.now_ms += if self.rng.chance(20) {
            self.rng.below(DAY_MS / 2)
        } else {
            1 + self.rng.below(5_000)
        };
        if writes && self.rng.chance(150) {
            let index = self.rng.below(self.nodes.len() as u64) as usize;
            self.write(index);
        }
        if self.rng.chance(faults.partition) {
            let child = 1 + self.rng.below(self.nodes.len() as u64 - 1) as usize;
            self.down_until[child] = self.now_ms + self.rng.below(3 * DAY_MS);
            self.partitions += 1;
        }
        if self.rng.chance(faults.crash) {
            let index = self.rng.below(self.nodes.len() as u64) as usize;
            let before = self.connections.len();
            self.connections.retain(|connection| {
                connection.child != index && PARENT[connection.child] != Some(index)
            });
            self.crashes += 1;
            self.cuts += (before - self.connections.len()) as u64;
        }
        // A revocation cuts the village's open connection at once.
        if let Some((village, at)) = self.revoked {
            if at <= self.now_ms && self.connected(village) {
                self.connections
                    .retain(|connection| connection.child != village);
                self.cuts += 1;
            }
        }
        for child in 1..self.nodes.len() {
            let up = self.down_until[child] <= self.now_ms && self.admitted(child);
            if up && !self.connected(child) && self.rng.chance(300) {
                self.connect(child);
            }
        }
        // Tell every open connection about logs that changed (local writes, other links).
        for index in 0..self.nodes.len() {
            let version = self.nodes[index].version();
            if version != self.told[index] {
                self.told[index] = version;
                for connection in &mut self.connections {
                    if connection.child == index {
                        connection
                            .child_side
                            .handle_log_changed(&self.nodes[index].log);
                    } else if PARENT[connection.child] == Some(index) {
                        connection
                            .parent_side
                            .handle_log_changed(&self.nodes[index].log);
                    }
                }
            }
        }
        let mut index = 0;
        while index < self.connections.len() {
            if self.pump(index, faults) {
                index += 1;
            } else {
                self.connections.swap_remove(index);
                self.cuts += 1;
            }
        }
    }

    /// Moves one connection's frames; `false` when it ended.
    fn pump(&mut self, index: usize, faults: Faults) -> bool {
        let World {
            connections,
            nodes,
            rng,
            now_ms,
            down_until,
            ..
        } = self;
        let connection = &mut connections[index];
        let child = connection.child;
        let parent = PARENT[child].unwrap();
        if down_until[child] > *now_ms {
            return false;
        }
        for up in [true, false] {
            let (machine, log) = if up {
                (&mut connection.child_side, &nodes[child].log)
            } else {
                (&mut connection.parent_side, &nodes[parent].log)
            };
            while let Some(bytes) = machine.poll_transmit(log) {
                if rng.chance(faults.loss) {
                    return false;
                }
                let at = *now_ms + rng.below(faults.max_delay_ms + 1);
                if rng.chance(faults.duplicate) {
                    connection.wire.push_back((at, up, bytes.clone()));
                }
                if rng.chance(faults.reorder) && !connection.wire.is_empty() {
                    let at_index = rng.below(connection.wire.len() as u64) as usize;
                    connection.wire.insert(at_index, (at, up, bytes));
                } else {
                    connection.wire.push_back((at, up, bytes));
                }
            }
        }
        while let Some(&(at, up, _)) = connection.wire.front() {
            if at > *now_ms {
                break;
            }
            let Some((_, _, bytes)) = connection.wire.pop_front() else {
                break;
            };
            let (machine, log) = if up {
                (&mut connection.parent_side, &nodes[parent].log)
            } else {
                (&mut connection.child_side, &nodes[child].log)
            };
            let mut offset = 0;
            while offset < bytes.len() {
                let chunk = 1 + rng.below((bytes.len() - offset) as u64) as usize;
                machine.handle_input(*now_ms, &bytes[offset..offset + chunk], log);
                offset += chunk;
            }
        }
        for machine in [&mut connection.child_side, &mut connection.parent_side] {
            while machine.poll_event().is_some() {}
        }
        !(connection.child_side.is_closed() || connection.parent_side.is_closed())
    }

    /// Whether node `at` may hold `chain` (written by `origin`): its subtree's chains go up to
    /// it; from above, chains about units in its line written by nodes in its line.
    fn entitled(&self, at: usize, chain: &ChainId) -> bool {
        let here = &self.nodes[at].unit;
        let origin_unit = self.directory.unit_of(&chain.origin).unwrap();
        origin_unit.is_within(here)
            || (chain.unit.is_in_line_with(here) && origin_unit.is_in_line_with(here))
    }

    /// Heals the network and runs until every connection is caught up and quiet.
    fn heal(&mut self) -> Result<u64, String> {
        self.down_until.iter_mut().for_each(|until| *until = 0);
        self.enrolled_at.iter_mut().for_each(|at| *at = 0);
        // A revocation not yet come to pass happens now: it is never undone.
        if let Some((_, at)) = &mut self.revoked {
            *at = (*at).min(self.now_ms);
        }
        let links = (1..self.nodes.len())
            .filter(|&child| self.admitted(child))
            .count();
        let mut quiet_rounds = 0;
        for round in 0..20_000u64 {
            for child in 1..self.nodes.len() {
                if self.admitted(child) && !self.connected(child) {
                    self.connect(child);
                }
            }
            let before: Vec<u64> = self.nodes.iter().map(SimNode::version).collect();
            self.step(Faults::NONE, false);
            let after: Vec<u64> = self.nodes.iter().map(SimNode::version).collect();
            let quiet = before == after
                && self.connections.len() == links
                && self.connections.iter().all(|connection| {
                    connection.wire.is_empty()
                        && connection.child_side.is_caught_up()
                        && connection.parent_side.is_caught_up()
                });
            quiet_rounds = if quiet { quiet_rounds + 1 } else { 0 };
            if quiet_rounds >= 3 {
                return Ok(round);
            }
        }
        Err("the network healed but the nodes never caught up".into())
    }

    fn check(&self) -> Result<(), String> {
        // The authoritative chains are the origins' own.
        let mut chains: BTreeMap<ChainId, (usize, Seq)> = BTreeMap::new();
        for (index, node) in self.nodes.iter().enumerate() {
            for (chain, head) in node.log.heads().map_err(|e| e.to_string())? {
                if chain.origin == node.id() {
                    chains.insert(chain, (index, head.seq));
                }
            }
        }
        let written: u64 = self.nodes.iter().map(|node| node.written).sum();
        let at_origins: u64 = chains.values().map(|(_, seq)| seq.0).sum();
        if written != at_origins {
            return Err(format!(
                "{written} events written, {at_origins} in the origins' chains"
            ));
        }
        let revoked = self.revoked.map(|(village, _)| village);
        // A chain of the revoked village is, beyond it, the part its parent had when it was
        // cut off: the same prefix on every node that holds any of it.
        let cut_off = |chain: &ChainId| {
            revoked.is_some_and(|village| chain.origin == self.nodes[village].id())
        };
        let mut prefixes: BTreeMap<ChainId, Seq> = BTreeMap::new();
        for (at, node) in self.nodes.iter().enumerate() {
            let heads = node.log.heads().map_err(|e| e.to_string())?;
            for (chain, held) in &heads {
                let Some(&(origin, seq)) = chains.get(chain) else {
                    return Err(format!("{}: holds a chain no origin wrote", node.unit));
                };
                if !self.entitled(at, chain) {
                    return Err(format!("{}: holds {chain:?}, outside its scope", node.unit));
                }
                // Whatever is held is the origin's chain up to some point, never another.
                let origin_event = self.nodes[origin]
                    .log
                    .read_chain(chain, held.seq, 1)
                    .map_err(|e| e.to_string())?;
                if held.seq > seq || origin_event.first().map(|event| event.hash) != Some(held.hash)
                {
                    return Err(format!(
                        "{}: {chain:?} at {:?} is not the origin's chain",
                        node.unit, held.seq
                    ));
                }
                let partial_allowed = Some(at) == revoked || (cut_off(chain) && origin != at);
                if partial_allowed {
                    if cut_off(chain) && Some(at) != revoked {
                        let agreed = *prefixes.entry(chain.clone()).or_insert(held.seq);
                        if agreed != held.seq {
                            return Err(format!(
                                "{}: holds the revoked village's {chain:?} to {:?}, another node to {agreed:?}",
                                node.unit, held.seq
                            ));
                        }
                    }
                } else if held.seq != seq {
                    return Err(format!(
                        "{}: {chain:?} at {:?}, the origin at {seq:?}",
                        node.unit, held.seq
                    ));
                }
            }
            for chain in chains.keys() {
                let may_lack = Some(at) == revoked || cut_off(chain);
                if self.entitled(at, chain) && !heads.contains_key(chain) && !may_lack {
                    return Err(format!(
                        "{}: lacks {chain:?}, which it is entitled to",
                        node.unit
                    ));
                }
            }
            let report =
                nhip_engine::audit::verify(&node.log, &mut |_| {}).map_err(|e| e.to_string())?;
            if !report.is_clean() {
                return Err(format!(
                    "{}: the log does not verify: {:?}",
                    node.unit, report.problems
                ));
            }
            // The reference: a fresh log holding the origins' chains as far as this node holds
            // them (all of them, but for the revoked village's, as checked above).
            let reference = MemoryLog::new(NodeId([0xee; 32]));
            for (chain, held) in &heads {
                let origin = chains[chain].0;
                let mut from = Seq::FIRST;
                while from <= held.seq {
                    let limit = (held.seq.0 - from.0 + 1).min(256) as usize;
                    let Some(batch) = self.nodes[origin]
                        .log
                        .batch_from(chain, from, limit, usize::MAX)
                        .map_err(|e| e.to_string())?
                    else {
                        return Err(format!(
                            "{}: no sealed stretch of {chain:?} from {from:?}",
                            node.unit
                        ));
                    };
                    from = Seq(from.0 + batch.events.len() as u64);
                    let report = reference
                        .ingest(self.now_ms + DAY_MS, &batch)
                        .map_err(|e| e.to_string())?;
                    if !report.refused.is_empty() {
                        return Err(format!("the reference refused {:?}", report.refused));
                    }
                }
            }
            if reference.heads().map_err(|e| e.to_string())? != heads {
                return Err(format!("{}: the reference holds other heads", node.unit));
            }
            let state = replay(&node.log).map_err(|e| e.to_string())?;
            let expected = replay(&reference).map_err(|e| e.to_string())?;
            if state.hash() != expected.hash() {
                return Err(format!(
                    "{}: state hash differs from the reference replay",
                    node.unit
                ));
            }
        }
        let at_hub = self.nodes[0].log.heads().unwrap().len();
        let reachable = chains.keys().filter(|chain| !cut_off(chain)).count();
        if at_hub < reachable {
            return Err("the hub does not hold every chain".into());
        }
        Ok(())
    }

    /// Checked after every step, faults and all: no node's hold on a chain ever shrinks (nothing
    /// acknowledged is lost, a crash included), and no node holds a chain outside its scope.
    fn check_step(&self, held: &mut [BTreeMap<ChainId, Seq>]) -> Result<(), String> {
        for (at, node) in self.nodes.iter().enumerate() {
            let heads = node.log.heads().map_err(|e| e.to_string())?;
            for (chain, before) in &held[at] {
                if heads.get(chain).is_none_or(|head| head.seq < *before) {
                    return Err(format!(
                        "{}: lost events of {chain:?} held to {before:?}",
                        node.unit
                    ));
                }
            }
            for chain in heads.keys() {
                if !self.entitled(at, chain) {
                    return Err(format!("{}: took {chain:?}, outside its scope", node.unit));
                }
            }
            held[at] = heads
                .into_iter()
                .map(|(chain, head)| (chain, head.seq))
                .collect();
        }
        Ok(())
    }

    fn run(mut self, steps: u64) -> Result<Summary, String> {
        let mut held = vec![BTreeMap::new(); self.nodes.len()];
        for step in 0..steps {
            self.step(self.faults, true);
            self.check_step(&mut held)
                .map_err(|failure| format!("step {step}: {failure}"))?;
        }
        // Every node writes at least once, so every kind of chain exists.
        for index in 0..self.nodes.len() {
            self.write(index);
        }
        let rounds = self.heal()?;
        self.check()?;
        Ok(Summary {
            events: self.nodes.iter().map(|node| node.written).sum(),
            crashes: self.crashes,
            late_enrollments: self.late_enrollments,
            revocations: self.revocations,
            partitions: self.partitions,
            cuts: self.cuts,
            heal_rounds: rounds,
            simulated_days: (self.now_ms - T0) as f64 / DAY_MS as f64,
        })
    }
}

#[derive(Default)]
struct Summary {
    events: u64,
    crashes: u64,
    late_enrollments: u64,
    revocations: u64,
    partitions: u64,
    cuts: u64,
    heal_rounds: u64,
    simulated_days: f64,
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
}

#[test]
fn a_tree_of_offices_converges_under_faults_for_every_seed() {
    let seeds: Vec<u64> = match env_u64("NHIP_SIM_SEED") {
        Some(seed) => vec![seed],
        None => (1..=env_u64("NHIP_SIM_SEEDS").unwrap_or(1_000)).collect(),
    };
    let mut total = Summary::default();
    for &seed in &seeds {
        let steps = 200 + seed % 400;
        match World::new(seed).run(steps) {
            Ok(summary) => {
                total.events += summary.events;
                total.crashes += summary.crashes;
                total.late_enrollments += summary.late_enrollments;
                total.revocations += summary.revocations;
                total.partitions += summary.partitions;
                total.cuts += summary.cuts;
                total.heal_rounds = total.heal_rounds.max(summary.heal_rounds);
                total.simulated_days += summary.simulated_days;
            }
            Err(failure) => panic!(
                "seed {seed}: {failure}\nreproduce: NHIP_SIM_SEED={seed} cargo test -p nhip-protocol --test simulation"
            ),
        }
    }
    eprintln!(
        "{} seeds: {} events, {} crashes, {} late enrollments, {} revocations, {} partitions, {} connections cut, {:.1} simulated days; slowest heal {} steps",
        seeds.len(),
        total.events,
        total.crashes,
        total.late_enrollments,
        total.revocations,
        total.partitions,
        total.cuts,
        total.simulated_days,
        total.heal_rounds
    );
}
