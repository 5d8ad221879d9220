//! Deterministic simulation of a whole tree, in the manner of FoundationDB's simulator and
//! TigerBeetle's VOPR: a hub, two communes and four villages, each with its own log, running
//! the real engine and the real sans-IO sync machines over a simulated network and clock. Every
//! fault is drawn from one seed, so every failure is reproducible from it.
//!
//! Faults: frames lost (the connection breaks, as on a reliable stream), duplicated, reordered
//! and delayed; links partitioned for up to three simulated days; nodes crashing (every open
//! connection dropped mid-flight, the committed log kept); clock skew up to ±1 day per node;
//! offices writing about the same units while apart.
//!
//! Invariants, checked after the network heals: every event written anywhere is at the hub (no
//! acknowledged event lost); every node holds exactly the chains its place in the tree entitles
//! it to (scope never violated), each identical to its origin's (no event twice, no event
//! altered); every log verifies (chains, seals); every node's state hash equals the replay of
//! a reference log built from the origins' chains for that scope.
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
    /// Per node: the log version its connections were last told about.
    told: Vec<u64>,
    faults: Faults,
    next_id: u128,
    /// Faults that happened, for the summary.
    crashes: u64,
    partitions: u64,
    cuts: u64,
}

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
        World {
            rng,
            now_ms: T0,
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
        for child in 1..self.nodes.len() {
            let up = self.down_until[child] <= self.now_ms;
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
        let mut quiet_rounds = 0;
        for round in 0..20_000u64 {
            for child in 1..self.nodes.len() {
                if !self.connected(child) {
                    self.connect(child);
                }
            }
            let before: Vec<u64> = self.nodes.iter().map(SimNode::version).collect();
            self.step(Faults::NONE, false);
            let after: Vec<u64> = self.nodes.iter().map(SimNode::version).collect();
            let quiet = before == after
                && self.connections.len() == self.nodes.len() - 1
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
        for (at, node) in self.nodes.iter().enumerate() {
            let heads = node.log.heads().map_err(|e| e.to_string())?;
            for (chain, held) in &heads {
                let Some(&(origin, seq)) = chains.get(chain) else {
                    return Err(format!("{}: holds a chain no origin wrote", node.unit));
                };
                if !self.entitled(at, chain) {
                    return Err(format!("{}: holds {chain:?}, outside its scope", node.unit));
                }
                let origin_head = &self.nodes[origin].log.heads().unwrap()[chain];
                if held.seq != seq || held.hash != origin_head.hash {
                    return Err(format!(
                        "{}: {chain:?} at {:?}, the origin at {seq:?}",
                        node.unit, held.seq
                    ));
                }
            }
            for chain in chains.keys() {
                if self.entitled(at, chain) && !heads.contains_key(chain) {
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
            // The reference: a fresh log holding the origins' chains for this scope.
            let reference = MemoryLog::new(NodeId([0xee; 32]));
            for (chain, &(origin, _)) in &chains {
                if !self.entitled(at, chain) {
                    continue;
                }
                let mut from = Seq::FIRST;
                while let Some(batch) = self.nodes[origin]
                    .log
                    .batch_from(chain, from, 256, usize::MAX)
                    .map_err(|e| e.to_string())?
                {
                    from = Seq(from.0 + batch.events.len() as u64);
                    let report = reference
                        .ingest(self.now_ms + DAY_MS, &batch)
                        .map_err(|e| e.to_string())?;
                    if !report.refused.is_empty() {
                        return Err(format!("the reference refused {:?}", report.refused));
                    }
                }
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
        if self.nodes[0].log.heads().unwrap().len() != chains.len() {
            return Err("the hub does not hold every chain".into());
        }
        Ok(())
    }

    fn run(mut self, steps: u64) -> Result<Summary, String> {
        for _ in 0..steps {
            self.step(self.faults, true);
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
        "{} seeds: {} events, {} crashes, {} partitions, {} connections cut, {:.1} simulated days; slowest heal {} steps",
        seeds.len(),
        total.events,
        total.crashes,
        total.partitions,
        total.cuts,
        total.simulated_days,
        total.heal_rounds
    );
}
