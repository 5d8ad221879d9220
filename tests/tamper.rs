//! Tamper evidence (design.md invariant 6): random mutations of a copy of a real log file —
//! a flipped byte, a deleted event, two events swapped, a forged event inserted, a chain's tail
//! cut, a seal replaced by another key's — and every one must be detected by verification, or
//! (a tail cut exactly at a seal) by a receipt the parent signed earlier.
//!
//! `NHIP_TAMPER_CASES` sets how many mutations to try (default 240).

use std::path::Path;

use ed25519_dalek::SigningKey;
use nhip::engine::audit::{self, ReceiptHead};
use nhip::engine::{ChainId, EventLog, Hash, RedbLog, Seal, node_id};
use nhip::sample::offline_story;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};

const EVENTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("events");

/// xorshift64*: mutations drawn from a seed, reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Mutation {
    FlipByte,
    Delete,
    Swap,
    Insert,
    Truncate,
    ForeignSignature,
    Rewrite,
}

const MUTATIONS: [Mutation; 7] = [
    Mutation::FlipByte,
    Mutation::Delete,
    Mutation::Swap,
    Mutation::Insert,
    Mutation::Truncate,
    Mutation::ForeignSignature,
    Mutation::Rewrite,
];

/// Writes the sample story's commune log to `path`; returns every chain's head as a parent's
/// receipt would state it.
fn original(path: &Path) -> Vec<ReceiptHead> {
    let dir = tempfile::tempdir().unwrap();
    let commune_key = SigningKey::from_bytes(&[1; 32]);
    let village_key = SigningKey::from_bytes(&[2; 32]);
    let commune = RedbLog::create(path, node_id(&commune_key)).unwrap();
    let village = RedbLog::create(&dir.path().join("v.redb"), node_id(&village_key)).unwrap();
    offline_story(&commune, &commune_key, &village, &village_key).unwrap();
    commune
        .heads()
        .unwrap()
        .into_iter()
        .map(|(chain, head)| (chain, head.seq, head.hash))
        .collect()
}

/// Every record: (key, value).
fn records(path: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let db = redb::Database::open(path).unwrap();
    let txn = db.begin_read().unwrap();
    let table = txn.open_table(EVENTS).unwrap();
    table
        .iter()
        .unwrap()
        .map(|entry| {
            let (key, value) = entry.unwrap();
            (key.value().to_vec(), value.value().to_vec())
        })
        .collect()
}

fn chain_prefix(key: &[u8]) -> &[u8] {
    &key[..key.len() - 8]
}

/// Applies one mutation to the copy at `path`; returns a description.
fn mutate(path: &Path, mutation: Mutation, rng: &mut Rng) -> String {
    let all = records(path);
    let db = redb::Database::open(path).unwrap();
    let txn = db.begin_write().unwrap();
    let description;
    {
        let mut table = txn.open_table(EVENTS).unwrap();
        // Swaps and cuts need a chain of at least two events.
        let candidates: Vec<&(Vec<u8>, Vec<u8>)> = all
            .iter()
            .filter(|(key, _)| {
                !matches!(mutation, Mutation::Swap | Mutation::Truncate)
                    || all
                        .iter()
                        .filter(|(other, _)| chain_prefix(other) == chain_prefix(key))
                        .count()
                        >= 2
            })
            .collect();
        let (key, value) = candidates[rng.below(candidates.len())];
        // The records of the same chain, in order.
        let chain: Vec<&(Vec<u8>, Vec<u8>)> = all
            .iter()
            .filter(|(other, _)| chain_prefix(other) == chain_prefix(key))
            .collect();
        match mutation {
            Mutation::FlipByte => {
                let header = if value[0] == 1 { 65 } else { 1 };
                let mut changed = value.clone();
                let at = header + rng.below(changed.len() - header);
                changed[at] ^= 1 << rng.below(8);
                table.insert(key.as_slice(), changed.as_slice()).unwrap();
                description = format!("flipped a bit of byte {at}");
            }
            Mutation::Delete => {
                let (victim, _) = chain[rng.below(chain.len())];
                table.remove(victim.as_slice()).unwrap();
                description = "deleted an event".into();
            }
            Mutation::Swap => {
                let a = rng.below(chain.len());
                let mut b = rng.below(chain.len());
                if a == b {
                    b = (a + 1) % chain.len();
                }
                table
                    .insert(chain[a].0.as_slice(), chain[b].1.as_slice())
                    .unwrap();
                table
                    .insert(chain[b].0.as_slice(), chain[a].1.as_slice())
                    .unwrap();
                description = "swapped two events".into();
            }
            Mutation::Insert => {
                // A forged event appended after the chain's head, linked correctly, but sealed
                // by a key that is not the origin's (or not sealed at all).
                let (last_key, last_value) = chain[chain.len() - 1];
                let header = if last_value[0] == 1 { 65 } else { 1 };
                let previous = nhip::engine::Event::decode(&last_value[header..]).unwrap();
                let mut forged = previous.clone();
                forged.seq = previous.seq.next();
                forged.prev = Hash::of(&last_value[header..]);
                forged.hlc.logical += 1;
                forged.id = nhip::engine::EventId(uuid::Uuid::from_u128(rng.next() as u128));
                let bytes = forged.encode();
                let mut record = Vec::new();
                if rng.below(2) == 0 {
                    let impostor = SigningKey::from_bytes(&[0x66; 32]);
                    let seal = Seal::sign(
                        &impostor,
                        ChainId {
                            origin: node_id(&impostor),
                            unit: forged.unit.clone(),
                        },
                        forged.seq,
                        Hash::of(&bytes),
                    );
                    record.push(1);
                    record.extend_from_slice(&seal.signature);
                } else {
                    record.push(0);
                }
                record.extend_from_slice(&bytes);
                let mut new_key = chain_prefix(last_key).to_vec();
                new_key.extend_from_slice(&forged.seq.0.to_be_bytes());
                table.insert(new_key.as_slice(), record.as_slice()).unwrap();
                description = "inserted a forged event".into();
            }
            Mutation::Truncate => {
                // Keep at least one event, so that the chain itself still exists.
                let keep = rng.below(chain.len()).max(1);
                for (victim, _) in &chain[keep..] {
                    table.remove(victim.as_slice()).unwrap();
                }
                description = format!("cut the tail after {keep} events");
            }
            Mutation::ForeignSignature => {
                let sealed: Vec<&&(Vec<u8>, Vec<u8>)> =
                    chain.iter().filter(|(_, value)| value[0] == 1).collect();
                let (victim, victim_value) = sealed[rng.below(sealed.len())];
                let impostor = SigningKey::from_bytes(&[0x77; 32]);
                let event = nhip::engine::Event::decode(&victim_value[65..]).unwrap();
                let seal = Seal::sign(
                    &impostor,
                    ChainId {
                        origin: node_id(&impostor),
                        unit: event.unit.clone(),
                    },
                    event.seq,
                    Hash::of(&victim_value[65..]),
                );
                let mut changed = victim_value.clone();
                changed[1..65].copy_from_slice(&seal.signature);
                table.insert(victim.as_slice(), changed.as_slice()).unwrap();
                description = "replaced a seal with another key's".into();
            }
            Mutation::Rewrite => {
                // A well-formed rewrite: the event still decodes; only its seal (when it has
                // one) and the next event's link betray it.
                let (victim, victim_value) = chain[rng.below(chain.len())];
                let header = if victim_value[0] == 1 { 65 } else { 1 };
                let mut event = nhip::engine::Event::decode(&victim_value[header..]).unwrap();
                event.actor = nhip::engine::PersonId::new("ke-gia-mao").unwrap();
                let mut record = victim_value[..header].to_vec();
                record.extend_from_slice(&event.encode());
                table.insert(victim.as_slice(), record.as_slice()).unwrap();
                description = "rewrote who acted in an event".into();
            }
        }
    }
    txn.commit().unwrap();
    description
}

#[test]
fn every_mutation_is_detected() {
    let cases: usize = std::env::var("NHIP_TAMPER_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(240);
    let dir = tempfile::tempdir().unwrap();
    let pristine = dir.path().join("pristine.redb");
    let receipt = original(&pristine);
    let clean = audit::verify(&RedbLog::open_read_only(&pristine).unwrap(), &mut |_| {}).unwrap();
    assert!(
        clean.is_clean(),
        "the untouched log must verify: {:?}",
        clean.problems
    );

    let mut rng = Rng(0x6e68_6970_7461_6d70);
    let mut tried = std::collections::BTreeMap::<Mutation, (usize, usize, usize)>::new();
    for case in 0..cases {
        let mutation = MUTATIONS[case % MUTATIONS.len()];
        let copy = dir.path().join(format!("copy-{case}.redb"));
        std::fs::copy(&pristine, &copy).unwrap();
        let description = mutate(&copy, mutation, &mut rng);
        let before = std::fs::read(&copy).unwrap();
        let log = RedbLog::open_read_only(&copy).unwrap();
        let report = audit::verify(&log, &mut |_| {}).unwrap();
        let by_receipt = audit::check_receipt_heads(&log, &receipt).unwrap();
        drop(log);
        assert_eq!(
            std::fs::read(&copy).unwrap(),
            before,
            "verification changed the file"
        );
        let entry = tried.entry(mutation).or_default();
        entry.0 += 1;
        if !report.is_clean() {
            entry.1 += 1;
        } else if !by_receipt.is_empty() {
            entry.2 += 1;
        } else {
            panic!("case {case}: {description} ({mutation:?}) went undetected");
        }
        std::fs::remove_file(&copy).unwrap();
    }
    let total: usize = tried.values().map(|(count, _, _)| count).sum();
    eprintln!("tamper: {total} mutations tried, all detected");
    for (mutation, (count, by_verify, by_receipt)) in &tried {
        eprintln!("  {mutation:?}: {count} tried, {by_verify} by verify, {by_receipt} by receipt");
    }
}
