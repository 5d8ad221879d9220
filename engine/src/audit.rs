//! Verification of a log, as an auditor does it: with only the log and the nodes' public keys,
//! find any edit, deletion, reordering, insertion or forgery within a chain, and re-derive the
//! state from zero. Read-only: verification never writes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::event::StoredEvent;
use crate::ids::{ChainId, Hash, NodeId, Seq};
use crate::log::{EventLog, StoreError};
use crate::replay::replay_verifying;

/// Events read at a time while verifying a chain.
const VERIFY_PAGE_EVENTS: usize = 4096;

/// What kind of problem verification found.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize)]
pub enum ProblemKind {
    /// A record or event does not decode: the file was altered or damaged.
    Damaged,
    /// A sequence number is missing (an event was deleted) or out of place (moved, swapped).
    Gap,
    /// An event's `prev` is not the hash of the event before it (an event was altered,
    /// inserted or replaced).
    BrokenLink,
    /// Clock stamps do not increase along the chain.
    ClockBackwards,
    /// An event is filed under another chain than the one it names.
    Misfiled,
    /// A seal's signature does not verify, or does not match its event.
    BadSeal,
    /// The chain's last event is not sealed: its tail may have been cut or forged.
    UnsealedTail,
    /// The origin signed two different events under one sequence number (recorded when the
    /// second arrived).
    Equivocation,
    /// An event concerns a unit its origin is not in line with.
    OriginNotAllowed,
    /// An event was refused at replay by the registry or its workflow definition.
    RefusedAtReplay,
}

/// One problem, where it is.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Problem {
    /// What kind.
    pub kind: ProblemKind,
    /// Which chain, if one.
    pub chain: Option<ChainId>,
    /// Which sequence number, if one.
    pub seq: Option<Seq>,
    /// What exactly.
    pub detail: String,
    /// For an event refused at replay: why (the shell words it).
    pub refusal: Option<crate::state::Refusal>,
}

/// What verification found.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize)]
pub struct Report {
    /// Events read.
    pub events: u64,
    /// Chains read.
    pub chains: u64,
    /// Events per origin.
    pub by_origin: BTreeMap<NodeId, u64>,
    /// Seals verified.
    pub seals: u64,
    /// Problems, in the order found.
    pub problems: Vec<Problem>,
    /// The state hash re-derived from zero, when the log could be replayed.
    pub state_hash: Option<Hash>,
}

impl Report {
    /// Whether nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// The first problem of each kind.
    pub fn first_of_each_kind(&self) -> BTreeMap<ProblemKind, &Problem> {
        let mut first = BTreeMap::new();
        for problem in &self.problems {
            first.entry(problem.kind).or_insert(problem);
        }
        first
    }

    fn push(&mut self, kind: ProblemKind, chain: &ChainId, seq: Option<Seq>, detail: String) {
        self.problems.push(Problem {
            kind,
            chain: Some(chain.clone()),
            seq,
            detail,
            refusal: None,
        });
    }
}

/// Damage found while reading is a finding, not a failure of the audit: it becomes a problem.
/// Only the storage itself failing (I/O) stops the audit.
fn damage(error: StoreError) -> Result<Problem, StoreError> {
    match error {
        StoreError::Damaged { chain, seq, reason } => Ok(Problem {
            kind: ProblemKind::Damaged,
            chain: Some(chain),
            seq: Some(seq),
            detail: reason.to_string(),
            refusal: None,
        }),
        StoreError::DamagedRecord { chain, seq } => Ok(Problem {
            kind: ProblemKind::Damaged,
            chain: Some(chain),
            seq: Some(seq),
            detail: "the record is not in the record format".into(),
            refusal: None,
        }),
        StoreError::DamagedMeta { what } => Ok(Problem {
            kind: ProblemKind::Damaged,
            chain: None,
            seq: None,
            detail: format!("{what} is damaged"),
            refusal: None,
        }),
        other => Err(other),
    }
}

/// Verifies every chain of `log`, then replays it. `progress` is told the events read so far.
pub fn verify(log: &dyn EventLog, progress: &mut dyn FnMut(u64)) -> Result<Report, StoreError> {
    let mut report = Report::default();
    let heads = match log.heads() {
        Ok(heads) => heads,
        Err(error) => {
            report.problems.push(damage(error)?);
            return Ok(report);
        }
    };
    for (chain, head) in heads {
        report.chains += 1;
        if let Err(error) = verify_chain(log, &chain, head.seq, &mut report, progress) {
            report.problems.push(damage(error)?);
        }
    }
    let incidents = match log.incidents() {
        Ok(incidents) => incidents,
        Err(error) => {
            report.problems.push(damage(error)?);
            Vec::new()
        }
    };
    for incident in incidents {
        report.problems.push(Problem {
            kind: ProblemKind::Equivocation,
            chain: Some(incident.chain.clone()),
            seq: Some(incident.seq),
            detail: format!(
                "the origin signed {} and {} at this position",
                incident.held.to_hex(),
                incident.offered.to_hex()
            ),
            refusal: None,
        });
    }
    if report
        .problems
        .iter()
        .all(|problem| problem.kind != ProblemKind::Damaged)
    {
        // Every personal signature is verified here, whatever verdict the log kept.
        let state = match replay_verifying(log) {
            Ok(state) => state,
            Err(error) => {
                report.problems.push(damage(error)?);
                return Ok(report);
            }
        };
        check_origins(log, &state.registry.nodes, &mut report)?;
        for (event, reason) in &state.refused {
            report.problems.push(Problem {
                kind: ProblemKind::RefusedAtReplay,
                chain: None,
                seq: None,
                detail: format!("event {event}"),
                refusal: Some(reason.clone()),
            });
        }
        report.state_hash = Some(state.hash());
    }
    Ok(report)
}

fn verify_chain(
    log: &dyn EventLog,
    chain: &ChainId,
    head: Seq,
    report: &mut Report,
    progress: &mut dyn FnMut(u64),
) -> Result<(), StoreError> {
    let mut expected = Seq(1);
    let mut previous: Option<StoredEvent> = None;
    loop {
        let page = log.read_chain(chain, expected, VERIFY_PAGE_EVENTS)?;
        if page.is_empty() {
            break;
        }
        for stored in page {
            report.events += 1;
            *report.by_origin.entry(chain.origin).or_default() += 1;
            let event = &stored.event;
            if event.origin != chain.origin || event.unit != chain.unit {
                report.push(
                    ProblemKind::Misfiled,
                    chain,
                    Some(event.seq),
                    format!("the event names chain {}", event.chain()),
                );
            }
            if event.seq != expected {
                report.push(
                    ProblemKind::Gap,
                    chain,
                    Some(expected),
                    format!("expected seq {expected}, found {}", event.seq),
                );
            }
            let link = previous.as_ref().map_or(Hash::ZERO, |before| before.hash);
            if event.prev != link {
                report.push(
                    ProblemKind::BrokenLink,
                    chain,
                    Some(event.seq),
                    "prev is not the hash of the event before it".into(),
                );
            }
            if let Some(before) = &previous {
                if event.hlc <= before.event.hlc {
                    report.push(
                        ProblemKind::ClockBackwards,
                        chain,
                        Some(event.seq),
                        "the clock stamp is not after the event before it".into(),
                    );
                }
            }
            expected = event.seq.max(expected).next();
            previous = Some(stored);
        }
        progress(report.events);
    }
    if expected.0 <= head.0 {
        report.push(
            ProblemKind::Gap,
            chain,
            Some(expected),
            format!("the chain stops before its head {head}"),
        );
    }
    // Seals: each must verify and name the event held at its position; the last must exist.
    let seals = log.seals(chain, Seq(1), head)?;
    let mut sealed_head = false;
    for seal in &seals {
        report.seals += 1;
        if seal.chain != *chain {
            report.push(
                ProblemKind::BadSeal,
                chain,
                Some(seal.seq),
                "a seal of another chain".into(),
            );
            continue;
        }
        if let Err(error) = seal.verify() {
            report.push(
                ProblemKind::BadSeal,
                chain,
                Some(seal.seq),
                error.to_string(),
            );
        }
        sealed_head |= seal.seq == head;
    }
    if !sealed_head {
        report.push(
            ProblemKind::UnsealedTail,
            chain,
            Some(head),
            "the last event carries no seal: events after it may have been cut, or it was forged"
                .into(),
        );
    }
    Ok(())
}

/// Events must concern a unit in line with their origin's enrolled unit.
fn check_origins(
    log: &dyn EventLog,
    nodes: &BTreeMap<NodeId, crate::ids::UnitId>,
    report: &mut Report,
) -> Result<(), StoreError> {
    for chain in log.heads()?.keys() {
        if let Some(unit) = nodes.get(&chain.origin) {
            if !chain.unit.is_in_line_with(unit) {
                report.push(
                    ProblemKind::OriginNotAllowed,
                    chain,
                    None,
                    format!(
                        "node {} belongs to {unit} and may not write about {}",
                        chain.origin.short(),
                        chain.unit
                    ),
                );
            }
        }
    }
    Ok(())
}

/// What a receipt's head says a log held: the chain, its sequence number and that event's hash.
pub type ReceiptHead = (ChainId, Seq, Hash);

/// Checks that `log` still holds every event a parent once acknowledged (design.md invariant
/// 6): for each head of a receipt, the event at that position with that hash. A parent that
/// later hides or replaces acknowledged events fails here, caught by its own signature.
pub fn check_receipt_heads(
    log: &dyn EventLog,
    heads: &[ReceiptHead],
) -> Result<Vec<Problem>, StoreError> {
    let mut problems = Vec::new();
    for (chain, seq, hash) in heads {
        let held = match log.read_chain(chain, *seq, 1) {
            Ok(held) => held,
            Err(error) => {
                problems.push(damage(error)?);
                continue;
            }
        };
        match held.first() {
            Some(stored) if stored.event.seq == *seq && stored.hash == *hash => {}
            Some(stored) if stored.event.seq == *seq => problems.push(Problem {
                kind: ProblemKind::BrokenLink,
                chain: Some(chain.clone()),
                seq: Some(*seq),
                detail: format!(
                    "acknowledged {} but the log holds {}",
                    hash.to_hex(),
                    stored.hash.to_hex()
                ),
                refusal: None,
            }),
            _ => problems.push(Problem {
                kind: ProblemKind::Gap,
                chain: Some(chain.clone()),
                seq: Some(*seq),
                detail: "an acknowledged event is missing from the log".into(),
                refusal: None,
            }),
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::{ItemCreated, Known};
    use crate::event::Draft;
    use crate::ids::{EventId, PersonId, UnitId};
    use crate::memory::MemoryLog;
    use crate::seal::node_id;
    use ed25519_dalek::SigningKey;

    #[test]
    fn a_clean_log_verifies_and_a_receipt_checks() {
        let signer = SigningKey::from_bytes(&[3; 32]);
        let log = MemoryLog::new(node_id(&signer));
        let drafts = (0..5u128)
            .map(|n| Draft {
                id: EventId(uuid::Uuid::from_u128(n)),
                actor: PersonId::new("can-bo").unwrap(),
                unit: UnitId::new("xa").unwrap(),
                seen: None,
                body: Known::ItemCreated(ItemCreated::simple(
                    "document",
                    "Dự thảo",
                    UnitId::new("xa").unwrap(),
                    None,
                ))
                .to_body(),
            })
            .collect();
        let stored = log.append(&signer, 1_000, drafts).unwrap();
        let report = verify(&log, &mut |_| {}).unwrap();
        assert!(report.is_clean(), "{:?}", report.problems);
        assert_eq!(report.events, 5);
        assert!(report.state_hash.is_some());
        let chain = stored[0].event.chain();
        let good = vec![(chain.clone(), Seq(5), stored[4].hash)];
        assert!(check_receipt_heads(&log, &good).unwrap().is_empty());
        let hidden = vec![(chain, Seq(6), Hash([1; 32]))];
        assert_eq!(check_receipt_heads(&log, &hidden).unwrap().len(), 1);
    }
}
