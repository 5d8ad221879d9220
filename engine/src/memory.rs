//! An in-memory event log for tests and simulations: the same rules as the redb log (both
//! run `chain.rs`), with no durability.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use ed25519_dalek::SigningKey;

use crate::chain::{self, ChainView};
use crate::event::{Draft, Event, StoredEvent};
use crate::hlc::Hlc;
use crate::ids::{ChainId, Hash, NodeId, Seq};
use crate::log::{
    AppendError, Arrival, ArrivalRange, Batch, EventLog, Head, Incident, IngestError, IngestReport,
    StoreError,
};
use crate::seal::Seal;
use crate::signature::Verdict;

/// An event log held in memory.
pub struct MemoryLog {
    node: NodeId,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Every chain's events by sequence number.
    chains: BTreeMap<ChainId, BTreeMap<Seq, StoredEvent>>,
    seals: BTreeMap<ChainId, BTreeMap<Seq, Seal>>,
    arrivals: Vec<Arrival>,
    incidents: BTreeMap<[u8; 32], Incident>,
    clock: Hlc,
}

impl ChainView for Inner {
    fn head(&mut self, chain: &ChainId) -> Result<Option<Head>, StoreError> {
        Ok(self.head_of(chain))
    }

    fn hash_at(&mut self, chain: &ChainId, seq: Seq) -> Result<Option<Hash>, StoreError> {
        Ok(self
            .chains
            .get(chain)
            .and_then(|events| events.get(&seq))
            .map(|stored| stored.hash))
    }
}

impl Inner {
    fn head_of(&self, chain: &ChainId) -> Option<Head> {
        let (_, last) = self.chains.get(chain)?.last_key_value()?;
        Some(Head {
            seq: last.event.seq,
            hash: last.hash,
            hlc: last.event.hlc,
        })
    }

    fn store(&mut self, events: &[StoredEvent], seals: &[Seal]) {
        for stored in events {
            self.chains
                .entry(stored.event.chain())
                .or_default()
                .insert(stored.event.seq, stored.clone());
        }
        for seal in seals {
            self.seals
                .entry(seal.chain.clone())
                .or_default()
                .insert(seal.seq, seal.clone());
        }
    }
}

impl MemoryLog {
    /// An empty log owned by `node`.
    pub fn new(node: NodeId) -> MemoryLog {
        MemoryLog {
            node,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock can only come from a bug in this file; the data is
        // plain maps, so carrying on with it is as safe as it was before the panic.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl EventLog for MemoryLog {
    fn node(&self) -> NodeId {
        self.node
    }

    fn append(
        &self,
        signer: &SigningKey,
        now_ms: u64,
        drafts: Vec<Draft>,
    ) -> Result<Vec<StoredEvent>, AppendError> {
        chain::check_append(self.node, signer, &drafts)?;
        let mut inner = self.lock();
        let timed: Vec<(u64, &Draft)> = drafts.iter().map(|draft| (now_ms, draft)).collect();
        let clock = inner.clock;
        let sealed = chain::seal_local(signer, &mut *inner, clock, &timed)?;
        inner.store(&sealed.events, &sealed.seals);
        inner.clock = sealed.clock;
        Ok(sealed.events)
    }

    fn ingest_admitting(
        &self,
        now_ms: u64,
        batch: &Batch,
        admit: &dyn Fn(&ChainId) -> bool,
    ) -> Result<IngestReport, IngestError> {
        let mut inner = self.lock();
        let plan = chain::plan_ingest(&mut *inner, now_ms, batch, admit)?;
        let mut report = IngestReport {
            duplicates: plan.duplicates,
            refused: plan.refused,
            held: plan.held,
            ..IngestReport::default()
        };
        let mut ranges = Vec::new();
        for accepted in plan.accepted {
            inner.store(&accepted.events, &accepted.seals);
            ranges.push(ArrivalRange {
                chain: accepted.chain,
                first: accepted.events[0].event.seq,
                last: accepted.head.seq,
            });
            report.inserted.extend(accepted.events);
        }
        if !ranges.is_empty() {
            let position = inner.arrivals.len() as u64 + 1;
            inner.arrivals.push(Arrival {
                position,
                received_ms: now_ms,
                ranges,
            });
        }
        if let Some(seen) = plan.clock_seen {
            inner.clock = inner.clock.observe(seen);
        }
        for incident in plan.incidents {
            inner
                .incidents
                .entry(incident.key())
                .or_insert_with(|| incident.clone());
            report.incidents.push(incident);
        }
        Ok(report)
    }

    fn heads(&self) -> Result<BTreeMap<ChainId, Head>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .chains
            .keys()
            .filter_map(|chain| Some((chain.clone(), inner.head_of(chain)?)))
            .collect())
    }

    fn read_chain(
        &self,
        chain: &ChainId,
        from: Seq,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .chains
            .get(chain)
            .map(|events| {
                events
                    .range(from..)
                    .take(limit)
                    .map(|(_, e)| e.clone())
                    .collect()
            })
            .unwrap_or_default())
    }

    fn seals(&self, chain: &ChainId, from: Seq, to: Seq) -> Result<Vec<Seal>, StoreError> {
        if from > to {
            return Ok(Vec::new());
        }
        let inner = self.lock();
        Ok(inner
            .seals
            .get(chain)
            .map(|seals| seals.range(from..=to).map(|(_, s)| s.clone()).collect())
            .unwrap_or_default())
    }

    fn arrivals_after(&self, position: u64, limit: usize) -> Result<Vec<Arrival>, StoreError> {
        let inner = self.lock();
        let skip = usize::try_from(position).unwrap_or(usize::MAX);
        Ok(inner
            .arrivals
            .iter()
            .skip(skip)
            .take(limit)
            .cloned()
            .collect())
    }

    fn incidents(&self) -> Result<Vec<Incident>, StoreError> {
        let mut incidents: Vec<Incident> = self.lock().incidents.values().cloned().collect();
        incidents.sort_by_key(|incident| (incident.recorded_ms, incident.key()));
        Ok(incidents)
    }

    /// Keeps no verdicts: every personal signature is verified by the fold.
    fn scan(&self, visit: &mut dyn FnMut(&Event, &[u8], Verdict)) -> Result<u64, StoreError> {
        let inner = self.lock();
        let mut ordered: Vec<&StoredEvent> =
            inner.chains.values().flat_map(|c| c.values()).collect();
        ordered.sort_by_key(|stored| stored.event.order_key());
        for stored in &ordered {
            visit(&stored.event, &stored.bytes, Verdict::Unchecked);
        }
        Ok(ordered.len() as u64)
    }
}
