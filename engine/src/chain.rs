//! The pure rules of the log, shared by every backend: how local drafts become sealed, chained
//! events, and how a foreign batch is checked against what a log holds before anything is
//! stored. Nothing here touches storage; backends answer the questions of [`ChainView`] and
//! write what the resulting plan says.

use std::collections::BTreeMap;

use ed25519_dalek::SigningKey;

use crate::event::{Draft, ENVELOPE_FORMAT, Event, StoredEvent};
use crate::hlc::Hlc;
use crate::ids::{ChainId, Hash, NodeId, Seq, UnitId};
use crate::limits::{
    APPEND_EVENTS_MAX, BATCH_EVENTS_MAX, BATCH_SEALS_MAX, EVENT_BYTES_MAX, HLC_AHEAD_MS_MAX,
    SEAL_INTERVAL_BYTES, SEAL_INTERVAL_EVENTS,
};
use crate::log::{
    AppendError, Batch, Head, Incident, IngestError, Refusal, RefusalReason, StoreError,
};
use crate::seal::{Seal, node_id};

/// What a backend must answer about the chains it holds, inside the transaction that will
/// store the plan.
pub(crate) trait ChainView {
    /// The head of `chain`, if any of it is held.
    fn head(&mut self, chain: &ChainId) -> Result<Option<Head>, StoreError>;
    /// The hash of `chain`'s event at `seq`, if held.
    fn hash_at(&mut self, chain: &ChainId, seq: Seq) -> Result<Option<Hash>, StoreError>;
}

/// Local events ready to store: chained, stamped and sealed, in the order of the drafts.
pub(crate) struct SealedAppend {
    pub events: Vec<StoredEvent>,
    /// Seals in the order of the events they seal.
    pub seals: Vec<Seal>,
    pub clock: Hlc,
}

/// Checks an append's shape before any work: cheap refusals first.
pub(crate) fn check_append(
    node: NodeId,
    signer: &SigningKey,
    drafts: &[Draft],
) -> Result<(), AppendError> {
    let found = node_id(signer);
    if found != node {
        return Err(AppendError::WrongKey {
            expected: node,
            found,
        });
    }
    if drafts.is_empty() {
        return Err(AppendError::Empty);
    }
    if drafts.len() > APPEND_EVENTS_MAX {
        return Err(AppendError::TooMany {
            count: drafts.len(),
        });
    }
    Ok(())
}

/// Turns drafts into the next events of the signer's chains (one chain per unit concerned),
/// after the heads `view` holds. Each draft comes with the wall clock of its writer (`now_ms`);
/// its stamp is the clock ticked from the previous one. In each chain, seals the last event and
/// every [`SEAL_INTERVAL_EVENTS`]-th one.
pub(crate) fn seal_local(
    signer: &SigningKey,
    view: &mut dyn ChainView,
    clock: Hlc,
    drafts: &[(u64, &Draft)],
) -> Result<SealedAppend, AppendError> {
    let origin = node_id(signer);
    // Per unit: the chain's running (seq, hash), and how many events this append wrote there.
    let mut running: BTreeMap<UnitId, (Seq, Hash, usize)> = BTreeMap::new();
    let mut clock = clock;
    let mut events = Vec::with_capacity(drafts.len());
    for (index, (now_ms, draft)) in drafts.iter().enumerate() {
        let entry = match running.get_mut(&draft.unit) {
            Some(entry) => entry,
            None => {
                let chain = ChainId {
                    origin,
                    unit: draft.unit.clone(),
                };
                let start = view
                    .head(&chain)?
                    .map_or((Seq(0), Hash::ZERO, 0), |head| (head.seq, head.hash, 0));
                running.entry(draft.unit.clone()).or_insert(start)
            }
        };
        let seq = entry.0.next();
        clock = clock.tick(*now_ms);
        let event = Event {
            format: ENVELOPE_FORMAT,
            id: draft.id,
            origin,
            seq,
            prev: entry.1,
            hlc: clock,
            actor: draft.actor.clone(),
            unit: draft.unit.clone(),
            seen: draft.seen,
            body: draft.body.clone(),
        };
        let bytes = event.encode();
        if bytes.len() > EVENT_BYTES_MAX {
            return Err(AppendError::TooLarge {
                index,
                len: bytes.len(),
                max: EVENT_BYTES_MAX,
            });
        }
        let hash = Hash::of(&bytes);
        *entry = (seq, hash, entry.2 + 1);
        events.push(StoredEvent { event, bytes, hash });
    }
    // Seal each chain's last event of this append, and within a chain every
    // SEAL_INTERVAL_EVENTS events or SEAL_INTERVAL_BYTES bytes, whichever comes first.
    let mut counted: BTreeMap<&UnitId, (usize, usize)> = BTreeMap::new();
    let mut seals = Vec::new();
    for stored in &events {
        let unit = &stored.event.unit;
        let (count, unsealed_bytes) = counted.entry(unit).or_default();
        *count += 1;
        *unsealed_bytes += stored.bytes.len();
        let (_, _, total) = running[unit];
        if *count == total
            || *count % SEAL_INTERVAL_EVENTS == 0
            || *unsealed_bytes >= SEAL_INTERVAL_BYTES
        {
            *unsealed_bytes = 0;
            seals.push(Seal::sign(
                signer,
                stored.event.chain(),
                stored.event.seq,
                stored.hash,
            ));
        }
    }
    Ok(SealedAppend {
        events,
        seals,
        clock,
    })
}

/// One chain's accepted part of a batch.
pub(crate) struct Accepted {
    pub chain: ChainId,
    pub events: Vec<StoredEvent>,
    pub seals: Vec<Seal>,
    pub head: Head,
}

/// What to store for a batch.
#[derive(Default)]
pub(crate) struct IngestPlan {
    pub accepted: Vec<Accepted>,
    pub duplicates: u64,
    pub refused: Vec<Refusal>,
    pub incidents: Vec<Incident>,
    /// Every chain accepted or wholly held already, with its head once the plan is stored.
    pub held: Vec<(ChainId, Head)>,
    /// The latest clock stamp among accepted events, for the node's clock to observe.
    pub clock_seen: Option<Hlc>,
}

/// Decodes a batch and checks each origin's part against `view`.
pub(crate) fn plan_ingest(
    view: &mut dyn ChainView,
    now_ms: u64,
    batch: &Batch,
    admit: &dyn Fn(&ChainId) -> bool,
) -> Result<IngestPlan, IngestError> {
    if batch.events.len() > BATCH_EVENTS_MAX {
        return Err(IngestError::TooManyEvents {
            count: batch.events.len(),
        });
    }
    if batch.seals.len() > BATCH_SEALS_MAX {
        return Err(IngestError::TooManySeals {
            count: batch.seals.len(),
        });
    }
    // Group by chain. Batches are runs of one chain, so an event joins the run before it
    // without building its chain id; only a new run looks its chain up.
    let mut by_chain: BTreeMap<ChainId, Vec<StoredEvent>> = BTreeMap::new();
    let mut run: Vec<StoredEvent> = Vec::new();
    for (index, bytes) in batch.events.iter().enumerate() {
        let stored = StoredEvent::from_bytes(bytes.to_vec())
            .map_err(|reason| IngestError::Malformed { index, reason })?;
        let same_run = run.last().is_some_and(|last| {
            last.event.origin == stored.event.origin && last.event.unit == stored.event.unit
        });
        if !same_run {
            if let Some(first) = run.first() {
                let chain = first.event.chain();
                by_chain.entry(chain).or_default().append(&mut run);
            }
        }
        run.push(stored);
    }
    if let Some(first) = run.first() {
        let chain = first.event.chain();
        by_chain.entry(chain).or_default().append(&mut run);
    }
    let mut seals_by_chain: BTreeMap<ChainId, Vec<Seal>> = BTreeMap::new();
    for seal in &batch.seals {
        seals_by_chain
            .entry(seal.chain.clone())
            .or_default()
            .push(seal.clone());
    }

    let mut plan = IngestPlan::default();
    for (chain, events) in by_chain {
        let seals = seals_by_chain.remove(&chain).unwrap_or_default();
        if !admit(&chain) {
            plan.refused.push(Refusal {
                chain,
                reason: RefusalReason::NotAdmitted,
            });
            continue;
        }
        match check_chain(view, now_ms, &chain, events, seals)? {
            ChainOutcome::Accepted {
                accepted,
                duplicates,
                held,
            } => {
                plan.duplicates += duplicates;
                plan.held.push((chain, held));
                if let Some(accepted) = accepted {
                    plan.clock_seen = plan.clock_seen.max(Some(accepted.head.hlc));
                    plan.accepted.push(accepted);
                }
            }
            ChainOutcome::Refused { reason, incident } => {
                plan.refused.push(Refusal { chain, reason });
                plan.incidents.extend(incident.map(|incident| *incident));
            }
        }
    }
    Ok(plan)
}

enum ChainOutcome {
    Accepted {
        accepted: Option<Accepted>,
        duplicates: u64,
        /// The chain's head once the plan is stored.
        held: Head,
    },
    Refused {
        reason: RefusalReason,
        incident: Option<Box<Incident>>,
    },
}

fn refuse(reason: RefusalReason) -> Result<ChainOutcome, StoreError> {
    Ok(ChainOutcome::Refused {
        reason,
        incident: None,
    })
}

/// Checks one chain's events (non-empty, as they came) and seals.
fn check_chain(
    view: &mut dyn ChainView,
    now_ms: u64,
    chain: &ChainId,
    events: Vec<StoredEvent>,
    seals: Vec<Seal>,
) -> Result<ChainOutcome, StoreError> {
    // The batch on its own: contiguous, chained, clock increasing.
    for pair in events.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        if after.event.seq != before.event.seq.next() {
            return refuse(RefusalReason::NotContiguous {
                seq: after.event.seq,
            });
        }
        if after.event.prev != before.hash {
            return refuse(RefusalReason::BrokenChain {
                seq: after.event.seq,
            });
        }
        if after.event.hlc <= before.event.hlc {
            return refuse(RefusalReason::ClockNotIncreasing {
                seq: after.event.seq,
            });
        }
    }
    // Invariant: callers group at least one event per origin.
    let first = events.first().expect("non-empty").event.seq;
    let last = events.last().expect("non-empty");
    let last_head = Head {
        seq: last.event.seq,
        hash: last.hash,
        hlc: last.event.hlc,
    };

    // Every seal names an event of the batch, and the last event is sealed: then the chain
    // makes every event of the batch the origin's own.
    for seal in &seals {
        let matches = seal.seq >= first
            && seal.seq <= last.event.seq
            && events[usize::try_from(seal.seq.0 - first.0).unwrap_or(usize::MAX)].hash
                == seal.hash;
        if !matches {
            return refuse(RefusalReason::SealMismatch { seq: seal.seq });
        }
    }
    if !seals.iter().any(|seal| seal.seq == last.event.seq) {
        return refuse(RefusalReason::Unsealed {
            seq: last.event.seq,
        });
    }
    for seal in &seals {
        if let Err(error) = seal.verify() {
            return refuse(RefusalReason::BadSeal(error));
        }
    }
    let proof = seals
        .iter()
        .find(|seal| seal.seq == last.event.seq)
        .cloned()
        // Invariant: checked just above.
        .expect("the last event is sealed");

    // Against what is held.
    let head = view.head(chain)?;
    let held_seq = head.map_or(Seq(0), |head| head.seq);
    let duplicate_count = events
        .iter()
        .take_while(|stored| stored.event.seq <= held_seq)
        .count();
    if duplicate_count > 0 {
        // The chain links every event to the one before, so if the last overlapping event is
        // held byte for byte, all earlier ones are too.
        let last_dup = &events[duplicate_count - 1];
        let held = view.hash_at(chain, last_dup.event.seq)?;
        if held != Some(last_dup.hash) {
            return equivocation(view, now_ms, &events[..duplicate_count], &events, proof);
        }
    }
    let mut events = events;
    let fresh = events.split_off(duplicate_count);
    let Some(first_new) = fresh.first() else {
        // Invariant: duplicates exist only below a held head.
        let held = head.expect("a chain with duplicates is held");
        return Ok(ChainOutcome::Accepted {
            accepted: None,
            duplicates: duplicate_count as u64,
            held,
        });
    };
    let expected = held_seq.next();
    if first_new.event.seq != expected {
        return refuse(RefusalReason::Gap {
            expected,
            found: first_new.event.seq,
        });
    }
    let (held_hash, held_hlc) = head.map_or((Hash::ZERO, None), |head| (head.hash, Some(head.hlc)));
    if first_new.event.prev != held_hash {
        // A sealed chain whose event before `expected` is not the one held: the origin signed
        // two different histories. The conflicting event itself is not in the batch, but the
        // seal over a chain that names it is the proof.
        return Ok(ChainOutcome::Refused {
            reason: RefusalReason::Equivocation { seq: held_seq },
            incident: Some(Box::new(Incident {
                chain: chain.clone(),
                seq: held_seq,
                held: held_hash,
                offered: first_new.event.prev,
                evidence: bytes_of(&events),
                seal: proof,
                recorded_ms: now_ms,
            })),
        });
    }
    if held_hlc.is_some_and(|held_hlc| first_new.event.hlc <= held_hlc) {
        return refuse(RefusalReason::ClockNotIncreasing {
            seq: first_new.event.seq,
        });
    }
    let ahead_ms = last_head.hlc.wall_ms.saturating_sub(now_ms);
    if ahead_ms > HLC_AHEAD_MS_MAX {
        return refuse(RefusalReason::ClockAhead {
            seq: last_head.seq,
            ahead_ms,
        });
    }
    let fresh_from = first_new.event.seq;
    let head = last_head;
    let seals = seals
        .into_iter()
        .filter(|seal| seal.seq >= fresh_from)
        .collect();
    Ok(ChainOutcome::Accepted {
        held: head,
        accepted: Some(Accepted {
            chain: chain.clone(),
            events: fresh,
            seals,
            head,
        }),
        duplicates: duplicate_count as u64,
    })
}

/// Finds the first overlapping event that differs from the held one and records the fork.
fn equivocation(
    view: &mut dyn ChainView,
    now_ms: u64,
    overlap: &[StoredEvent],
    events: &[StoredEvent],
    proof: Seal,
) -> Result<ChainOutcome, StoreError> {
    // The caller saw the last overlapping event differ, so the search always ends in the
    // overlap; the fallback names that last event.
    let mut fork = (overlap.len() - 1, Hash::ZERO);
    for (index, stored) in overlap.iter().enumerate() {
        let held = view
            .hash_at(&stored.event.chain(), stored.event.seq)?
            .unwrap_or(Hash::ZERO);
        if held != stored.hash {
            fork = (index, held);
            break;
        }
    }
    let (index, held) = fork;
    let stored = &overlap[index];
    Ok(ChainOutcome::Refused {
        reason: RefusalReason::Equivocation {
            seq: stored.event.seq,
        },
        incident: Some(Box::new(Incident {
            chain: stored.event.chain(),
            seq: stored.event.seq,
            held,
            offered: stored.hash,
            evidence: bytes_of(events),
            seal: proof,
            recorded_ms: now_ms,
        })),
    })
}

fn bytes_of(events: &[StoredEvent]) -> Vec<serde_bytes::ByteBuf> {
    events
        .iter()
        .map(|stored| serde_bytes::ByteBuf::from(stored.bytes.clone()))
        .collect()
}
