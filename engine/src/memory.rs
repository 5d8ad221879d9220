//! An in-memory event log for tests and simulations: the same rules as the redb log (both
//! run [`crate::chain`]), with no durability.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use ed25519_dalek::SigningKey;

use crate::chain::{self, ChainView};
use crate::event::{Draft, Event, StoredEvent};
use crate::hlc::Hlc;
use crate::ids::{Hash, NodeId, Seq};
use crate::log::{
    AppendError, Arrival, ArrivalRange, Batch, EventLog, Head, Incident, IngestError, IngestReport,
    StoreError,
};
use crate::seal::Seal;

/// An event log held in memory.
pub struct MemoryLog {
    node: NodeId,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    events: BTreeMap<(NodeId, Seq), StoredEvent>,
    heads: BTreeMap<NodeId, Head>,
    seals: BTreeMap<(NodeId, Seq), Seal>,
    arrivals: Vec<Arrival>,
    incidents: BTreeMap<[u8; 32], Incident>,
    clock: Hlc,
}

impl ChainView for Inner {
    fn head(&mut self, origin: NodeId) -> Result<Option<Head>, StoreError> {
        Ok(self.heads.get(&origin).copied())
    }

    fn hash_at(&mut self, origin: NodeId, seq: Seq) -> Result<Option<Hash>, StoreError> {
        Ok(self.events.get(&(origin, seq)).map(|stored| stored.hash))
    }
}

impl Inner {
    fn record_arrival(&mut self, received_ms: u64, ranges: Vec<ArrivalRange>) {
        if ranges.is_empty() {
            return;
        }
        let position = self.arrivals.len() as u64 + 1;
        self.arrivals.push(Arrival {
            position,
            received_ms,
            ranges,
        });
    }

    fn store(&mut self, origin: NodeId, events: &[StoredEvent], seals: &[Seal], head: Head) {
        for stored in events {
            self.events
                .insert((origin, stored.event.seq), stored.clone());
        }
        for seal in seals {
            self.seals.insert((origin, seal.seq), seal.clone());
        }
        self.heads.insert(origin, head);
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
        let head = inner.heads.get(&self.node).copied();
        let timed: Vec<(u64, &Draft)> = drafts.iter().map(|draft| (now_ms, draft)).collect();
        let sealed = chain::seal_local(signer, head, inner.clock, &timed)?;
        inner.store(self.node, &sealed.events, &sealed.seals, sealed.head);
        inner.clock = sealed.clock;
        Ok(sealed.events)
    }

    fn ingest(&self, now_ms: u64, batch: &Batch) -> Result<IngestReport, IngestError> {
        let mut inner = self.lock();
        let plan = chain::plan_ingest(&mut *inner, now_ms, batch)?;
        let mut report = IngestReport {
            duplicates: plan.duplicates,
            refused: plan.refused,
            ..IngestReport::default()
        };
        let mut ranges = Vec::new();
        for accepted in plan.accepted {
            inner.store(
                accepted.origin,
                &accepted.events,
                &accepted.seals,
                accepted.head,
            );
            ranges.push(ArrivalRange {
                origin: accepted.origin,
                first: accepted.events[0].event.seq,
                last: accepted.head.seq,
            });
            report.inserted.extend(accepted.events);
        }
        inner.record_arrival(now_ms, ranges);
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

    fn heads(&self) -> Result<BTreeMap<NodeId, Head>, StoreError> {
        Ok(self.lock().heads.clone())
    }

    fn read_origin(
        &self,
        origin: NodeId,
        from: Seq,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        Ok(self
            .lock()
            .events
            .range((origin, from)..=(origin, Seq(u64::MAX)))
            .take(limit)
            .map(|(_, stored)| stored.clone())
            .collect())
    }

    fn seals(&self, origin: NodeId, from: Seq, to: Seq) -> Result<Vec<Seal>, StoreError> {
        if from > to {
            return Ok(Vec::new());
        }
        Ok(self
            .lock()
            .seals
            .range((origin, from)..=(origin, to))
            .map(|(_, seal)| seal.clone())
            .collect())
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

    fn scan(&self, visit: &mut dyn FnMut(&Event, &[u8])) -> Result<u64, StoreError> {
        let inner = self.lock();
        let mut ordered: Vec<&StoredEvent> = inner.events.values().collect();
        ordered.sort_by_key(|stored| stored.event.order_key());
        for stored in &ordered {
            visit(&stored.event, &stored.bytes);
        }
        Ok(ordered.len() as u64)
    }
}
