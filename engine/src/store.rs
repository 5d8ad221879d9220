//! The durable event log in a redb file, with group commit.
//!
//! Tables (all keys big-endian so that byte order is numeric order):
//!
//! | table       | key                        | value                                   |
//! |-------------|----------------------------|-----------------------------------------|
//! | `meta`      | name                       | `schema` u32 LE, `node` 32 B, `clock` 12 B, `arrival` u64 LE |
//! | `events`    | origin (32) ‖ seq (8)      | canonical event bytes, exactly as hashed |
//! | `heads`     | origin (32)                | [`Head::to_bytes`]                      |
//! | `seals`     | origin (32) ‖ seq (8)      | signature (64)                          |
//! | `arrivals`  | position u64               | MessagePack [`Arrival`]                 |
//! | `incidents` | [`Incident::key`]          | MessagePack [`Incident`]                |
//!
//! Each origin's events are stored in chain order, and each origin's clock stamps increase
//! along its chain, so the total replay order is a k-way merge of per-origin scans: replay reads
//! every event exactly once, sequentially, with no secondary index to maintain on ingest.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::path::Path;
use std::sync::{Condvar, Mutex, MutexGuard};

use ed25519_dalek::SigningKey;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use crate::chain::{self, ChainView, SealedAppend};
use crate::event::{Draft, OrderKey, StoredEvent};
use crate::hlc::Hlc;
use crate::ids::{Hash, NodeId, Seq};
use crate::limits::GROUP_COMMIT_REQUESTS_MAX;
use crate::log::{
    AppendError, Arrival, ArrivalRange, Batch, EventLog, Head, Incident, IngestError, IngestReport,
    StoreError,
};
use crate::seal::Seal;

/// The storage schema this version writes. Older schemas are migrated on open (none exist
/// yet); newer ones are refused.
pub const SCHEMA_VERSION: u32 = 1;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const EVENTS: TableDefinition<[u8; 40], &[u8]> = TableDefinition::new("events");
const HEADS: TableDefinition<[u8; 32], [u8; 52]> = TableDefinition::new("heads");
const SEALS: TableDefinition<[u8; 40], [u8; 64]> = TableDefinition::new("seals");
const ARRIVALS: TableDefinition<u64, &[u8]> = TableDefinition::new("arrivals");
const INCIDENTS: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("incidents");

const META_SCHEMA: &str = "schema";
const META_NODE: &str = "node";
const META_CLOCK: &str = "clock";
const META_ARRIVAL: &str = "arrival";

/// Why a log file could not be opened or created.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// `create` was asked for a file that already exists.
    #[error("{0} already exists; open it instead of creating it")]
    AlreadyExists(String),
    /// `open` was asked for a file that does not exist.
    #[error("{0} does not exist")]
    NotFound(String),
    /// Another process has the file open.
    #[error("the log is in use by another process (is another `nhip` running on this folder?)")]
    Locked,
    /// The file is a database, but not a Nhịp log.
    #[error("this file is not a Nhịp log")]
    NotANhipLog,
    /// The file was written by a newer version of Nhịp.
    #[error(
        "this log has storage schema {found}, written by a newer Nhịp; this version reads up to {supported}"
    )]
    UnsupportedSchema {
        /// The schema in the file.
        found: u32,
        /// The newest schema this version reads.
        supported: u32,
    },
    /// The storage failed or the file is damaged.
    #[error("cannot open the log: {0}")]
    Storage(String),
}

fn storage(error: impl Into<redb::Error>) -> StoreError {
    StoreError::Storage(error.into().to_string())
}

fn open_storage(error: impl Into<redb::Error>) -> OpenError {
    match error.into() {
        redb::Error::DatabaseAlreadyOpen => OpenError::Locked,
        other => OpenError::Storage(other.to_string()),
    }
}

fn event_key(origin: NodeId, seq: Seq) -> [u8; 40] {
    let mut key = [0u8; 40];
    key[..32].copy_from_slice(&origin.0);
    key[32..].copy_from_slice(&seq.0.to_be_bytes());
    key
}

fn key_seq(key: &[u8; 40]) -> Seq {
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&key[32..]);
    Seq(u64::from_be_bytes(seq))
}

/// A Nhịp event log in one redb file.
pub struct RedbLog {
    db: Database,
    node: NodeId,
    group: Mutex<GroupQueue>,
    group_done: Condvar,
}

/// Appends waiting for a commit, and the results of those already committed.
#[derive(Default)]
struct GroupQueue {
    next_ticket: u64,
    pending: Vec<PendingAppend>,
    done: HashMap<u64, Result<Vec<StoredEvent>, AppendError>>,
    committing: bool,
}

/// The result an append's caller receives, by ticket.
type AppendOutcome = (u64, Result<Vec<StoredEvent>, AppendError>);

struct PendingAppend {
    ticket: u64,
    now_ms: u64,
    drafts: Vec<Draft>,
}

impl RedbLog {
    /// Creates a new log file owned by `node`. Refuses to touch an existing file.
    pub fn create(path: &Path, node: NodeId) -> Result<RedbLog, OpenError> {
        if path.exists() {
            return Err(OpenError::AlreadyExists(path.display().to_string()));
        }
        let db = Database::create(path).map_err(open_storage)?;
        let txn = db.begin_write().map_err(open_storage)?;
        {
            let mut meta = txn.open_table(META).map_err(open_storage)?;
            meta.insert(META_SCHEMA, SCHEMA_VERSION.to_le_bytes().as_slice())
                .map_err(open_storage)?;
            meta.insert(META_NODE, node.0.as_slice())
                .map_err(open_storage)?;
            // Open every table once so that readers never meet a missing one.
            txn.open_table(EVENTS).map_err(open_storage)?;
            txn.open_table(HEADS).map_err(open_storage)?;
            txn.open_table(SEALS).map_err(open_storage)?;
            txn.open_table(ARRIVALS).map_err(open_storage)?;
            txn.open_table(INCIDENTS).map_err(open_storage)?;
        }
        txn.commit().map_err(open_storage)?;
        Ok(RedbLog::with_db(db, node))
    }

    /// Opens an existing log file, checking that it is a Nhịp log of a schema this version
    /// reads.
    pub fn open(path: &Path) -> Result<RedbLog, OpenError> {
        if !path.exists() {
            return Err(OpenError::NotFound(path.display().to_string()));
        }
        let db = Database::open(path).map_err(open_storage)?;
        let node = {
            let txn = db.begin_read().map_err(open_storage)?;
            let meta = match txn.open_table(META) {
                Ok(meta) => meta,
                Err(redb::TableError::TableDoesNotExist(_)) => return Err(OpenError::NotANhipLog),
                Err(error) => return Err(open_storage(error)),
            };
            let schema = meta
                .get(META_SCHEMA)
                .map_err(open_storage)?
                .ok_or(OpenError::NotANhipLog)?;
            let schema = <[u8; 4]>::try_from(schema.value())
                .map(u32::from_le_bytes)
                .map_err(|_| OpenError::NotANhipLog)?;
            if schema > SCHEMA_VERSION {
                return Err(OpenError::UnsupportedSchema {
                    found: schema,
                    supported: SCHEMA_VERSION,
                });
            }
            let node = meta
                .get(META_NODE)
                .map_err(open_storage)?
                .ok_or(OpenError::NotANhipLog)?;
            NodeId(<[u8; 32]>::try_from(node.value()).map_err(|_| OpenError::NotANhipLog)?)
        };
        Ok(RedbLog::with_db(db, node))
    }

    fn with_db(db: Database, node: NodeId) -> RedbLog {
        RedbLog {
            db,
            node,
            group: Mutex::new(GroupQueue::default()),
            group_done: Condvar::new(),
        }
    }

    fn lock_group(&self) -> MutexGuard<'_, GroupQueue> {
        // The queue holds plain data and every critical section leaves it consistent.
        self.group
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Commits every pending append in one transaction and hands out the results.
    fn commit_group(&self, signer: &SigningKey, group: Vec<PendingAppend>) -> Vec<AppendOutcome> {
        match self.try_commit_group(signer, &group) {
            Ok(results) => results,
            Err(error) => group
                .iter()
                .map(|pending| (pending.ticket, Err(AppendError::Store(error.clone()))))
                .collect(),
        }
    }

    fn try_commit_group(
        &self,
        signer: &SigningKey,
        group: &[PendingAppend],
    ) -> Result<Vec<AppendOutcome>, StoreError> {
        let txn = self.db.begin_write().map_err(storage)?;
        let mut results = Vec::with_capacity(group.len());
        {
            let mut tables = WriteTables::open(&txn)?;
            let mut head = tables.head(self.node)?;
            let mut clock = tables.clock()?;
            let mut first_seq = None;
            let mut received_ms = 0;
            for pending in group {
                match chain::seal_local(signer, head, clock, pending.now_ms, &pending.drafts) {
                    Ok(SealedAppend {
                        events,
                        seals,
                        head: new_head,
                        clock: new_clock,
                    }) => {
                        tables.store(self.node, &events, &seals, new_head)?;
                        first_seq.get_or_insert(events[0].event.seq);
                        received_ms = received_ms.max(pending.now_ms);
                        head = Some(new_head);
                        clock = new_clock;
                        results.push((pending.ticket, Ok(events)));
                    }
                    Err(error) => results.push((pending.ticket, Err(error))),
                }
            }
            if let (Some(first), Some(head)) = (first_seq, head) {
                tables.set_clock(clock)?;
                tables.record_arrival(
                    received_ms,
                    vec![ArrivalRange {
                        origin: self.node,
                        first,
                        last: head.seq,
                    }],
                )?;
            }
        }
        txn.commit().map_err(storage)?;
        Ok(results)
    }
}

/// The tables of one write transaction.
struct WriteTables<'txn> {
    meta: redb::Table<'txn, &'static str, &'static [u8]>,
    events: redb::Table<'txn, [u8; 40], &'static [u8]>,
    heads: redb::Table<'txn, [u8; 32], [u8; 52]>,
    seals: redb::Table<'txn, [u8; 40], [u8; 64]>,
    arrivals: redb::Table<'txn, u64, &'static [u8]>,
    incidents: redb::Table<'txn, [u8; 32], &'static [u8]>,
}

impl<'txn> WriteTables<'txn> {
    fn open(txn: &'txn redb::WriteTransaction) -> Result<WriteTables<'txn>, StoreError> {
        Ok(WriteTables {
            meta: txn.open_table(META).map_err(storage)?,
            events: txn.open_table(EVENTS).map_err(storage)?,
            heads: txn.open_table(HEADS).map_err(storage)?,
            seals: txn.open_table(SEALS).map_err(storage)?,
            arrivals: txn.open_table(ARRIVALS).map_err(storage)?,
            incidents: txn.open_table(INCIDENTS).map_err(storage)?,
        })
    }

    fn clock(&self) -> Result<Hlc, StoreError> {
        match self.meta.get(META_CLOCK).map_err(storage)? {
            None => Ok(Hlc::default()),
            Some(bytes) => <[u8; 12]>::try_from(bytes.value())
                .map(Hlc::from_bytes)
                .map_err(|_| StoreError::DamagedMeta { what: "clock" }),
        }
    }

    fn set_clock(&mut self, clock: Hlc) -> Result<(), StoreError> {
        self.meta
            .insert(META_CLOCK, clock.to_bytes().as_slice())
            .map_err(storage)?;
        Ok(())
    }

    fn store(
        &mut self,
        origin: NodeId,
        events: &[StoredEvent],
        seals: &[Seal],
        head: Head,
    ) -> Result<(), StoreError> {
        for stored in events {
            self.events
                .insert(event_key(origin, stored.event.seq), stored.bytes.as_slice())
                .map_err(storage)?;
        }
        for seal in seals {
            self.seals
                .insert(event_key(origin, seal.seq), seal.signature)
                .map_err(storage)?;
        }
        self.heads
            .insert(origin.0, head.to_bytes())
            .map_err(storage)?;
        Ok(())
    }

    fn record_arrival(
        &mut self,
        received_ms: u64,
        ranges: Vec<ArrivalRange>,
    ) -> Result<(), StoreError> {
        if ranges.is_empty() {
            return Ok(());
        }
        let last = match self.meta.get(META_ARRIVAL).map_err(storage)? {
            None => 0,
            Some(bytes) => <[u8; 8]>::try_from(bytes.value())
                .map(u64::from_le_bytes)
                .map_err(|_| StoreError::DamagedMeta { what: "arrival" })?,
        };
        let position = last + 1;
        let arrival = Arrival {
            position,
            received_ms,
            ranges,
        };
        // Invariant: an Arrival always encodes.
        let bytes = rmp_serde::to_vec(&arrival).expect("an arrival encodes");
        self.arrivals
            .insert(position, bytes.as_slice())
            .map_err(storage)?;
        self.meta
            .insert(META_ARRIVAL, position.to_le_bytes().as_slice())
            .map_err(storage)?;
        Ok(())
    }

    fn record_incident(&mut self, incident: &Incident) -> Result<(), StoreError> {
        let key = incident.key();
        if self.incidents.get(key).map_err(storage)?.is_none() {
            // Invariant: an Incident always encodes.
            let bytes = rmp_serde::to_vec(incident).expect("an incident encodes");
            self.incidents
                .insert(key, bytes.as_slice())
                .map_err(storage)?;
        }
        Ok(())
    }
}

impl ChainView for WriteTables<'_> {
    fn head(&mut self, origin: NodeId) -> Result<Option<Head>, StoreError> {
        Ok(self
            .heads
            .get(origin.0)
            .map_err(storage)?
            .map(|bytes| Head::from_bytes(bytes.value())))
    }

    fn hash_at(&mut self, origin: NodeId, seq: Seq) -> Result<Option<Hash>, StoreError> {
        Ok(self
            .events
            .get(event_key(origin, seq))
            .map_err(storage)?
            .map(|bytes| Hash::of(bytes.value())))
    }
}

fn damaged(origin: NodeId, seq: Seq, bytes: &[u8]) -> Result<StoredEvent, StoreError> {
    StoredEvent::from_bytes(bytes.to_vec()).map_err(|reason| StoreError::Damaged {
        origin,
        seq,
        reason,
    })
}

impl EventLog for RedbLog {
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
        let mut queue = self.lock_group();
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        queue.pending.push(PendingAppend {
            ticket,
            now_ms,
            drafts,
        });
        // Group commit: whoever finds no commit running takes every pending append (its own
        // included) into one transaction; the others wait for their result. Appends that
        // arrive during a commit form the next group.
        loop {
            if let Some(result) = queue.done.remove(&ticket) {
                return result;
            }
            if queue.committing {
                queue = self
                    .group_done
                    .wait(queue)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                continue;
            }
            queue.committing = true;
            let take = queue.pending.len().min(GROUP_COMMIT_REQUESTS_MAX);
            let group: Vec<PendingAppend> = queue.pending.drain(..take).collect();
            drop(queue);
            let results = self.commit_group(signer, group);
            queue = self.lock_group();
            queue.committing = false;
            queue.done.extend(results);
            self.group_done.notify_all();
        }
    }

    fn ingest(&self, now_ms: u64, batch: &Batch) -> Result<IngestReport, IngestError> {
        let txn = self.db.begin_write().map_err(storage)?;
        let mut report = IngestReport::default();
        {
            let mut tables = WriteTables::open(&txn)?;
            let plan = chain::plan_ingest(&mut tables, now_ms, batch)?;
            report.duplicates = plan.duplicates;
            report.refused = plan.refused;
            let mut ranges = Vec::with_capacity(plan.accepted.len());
            for accepted in plan.accepted {
                tables.store(
                    accepted.origin,
                    &accepted.events,
                    &accepted.seals,
                    accepted.head,
                )?;
                ranges.push(ArrivalRange {
                    origin: accepted.origin,
                    first: accepted.events[0].event.seq,
                    last: accepted.head.seq,
                });
                report.inserted.extend(accepted.events);
            }
            tables.record_arrival(now_ms, ranges)?;
            if let Some(seen) = plan.clock_seen {
                let clock = tables.clock()?.observe(seen);
                tables.set_clock(clock)?;
            }
            for incident in plan.incidents {
                tables.record_incident(&incident)?;
                report.incidents.push(incident);
            }
        }
        if report.inserted.is_empty() && report.incidents.is_empty() {
            // Nothing to make durable: skip the fsync.
            txn.abort().map_err(storage)?;
        } else {
            txn.commit().map_err(storage)?;
        }
        Ok(report)
    }

    fn heads(&self) -> Result<BTreeMap<NodeId, Head>, StoreError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let table = txn.open_table(HEADS).map_err(storage)?;
        let mut heads = BTreeMap::new();
        for entry in table.iter().map_err(storage)? {
            let (key, value) = entry.map_err(storage)?;
            heads.insert(NodeId(key.value()), Head::from_bytes(value.value()));
        }
        Ok(heads)
    }

    fn read_origin(
        &self,
        origin: NodeId,
        from: Seq,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let table = txn.open_table(EVENTS).map_err(storage)?;
        let range = table
            .range(event_key(origin, from)..=event_key(origin, Seq(u64::MAX)))
            .map_err(storage)?;
        let mut out = Vec::new();
        for entry in range.take(limit) {
            let (key, value) = entry.map_err(storage)?;
            out.push(damaged(origin, key_seq(&key.value()), value.value())?);
        }
        Ok(out)
    }

    fn seals(&self, origin: NodeId, from: Seq, to: Seq) -> Result<Vec<Seal>, StoreError> {
        if from > to {
            return Ok(Vec::new());
        }
        let txn = self.db.begin_read().map_err(storage)?;
        let seals = txn.open_table(SEALS).map_err(storage)?;
        let events = txn.open_table(EVENTS).map_err(storage)?;
        let mut out = Vec::new();
        for entry in seals
            .range(event_key(origin, from)..=event_key(origin, to))
            .map_err(storage)?
        {
            let (key, signature) = entry.map_err(storage)?;
            let key = key.value();
            let seq = key_seq(&key);
            let hash = match events.get(key).map_err(storage)? {
                Some(bytes) => Hash::of(bytes.value()),
                None => continue,
            };
            out.push(Seal {
                origin,
                seq,
                hash,
                signature: signature.value(),
            });
        }
        Ok(out)
    }

    fn arrivals_after(&self, position: u64, limit: usize) -> Result<Vec<Arrival>, StoreError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let table = txn.open_table(ARRIVALS).map_err(storage)?;
        let mut out = Vec::new();
        let start = position.saturating_add(1);
        for entry in table.range(start..).map_err(storage)?.take(limit) {
            let (_, value) = entry.map_err(storage)?;
            out.push(
                rmp_serde::from_slice(value.value())
                    .map_err(|_| StoreError::DamagedMeta { what: "arrival" })?,
            );
        }
        Ok(out)
    }

    fn incidents(&self) -> Result<Vec<Incident>, StoreError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let table = txn.open_table(INCIDENTS).map_err(storage)?;
        let mut out: Vec<Incident> = Vec::new();
        for entry in table.iter().map_err(storage)? {
            let (_, value) = entry.map_err(storage)?;
            out.push(
                rmp_serde::from_slice(value.value())
                    .map_err(|_| StoreError::DamagedMeta { what: "incident" })?,
            );
        }
        out.sort_by_key(|incident| (incident.recorded_ms, incident.key()));
        Ok(out)
    }

    fn scan(&self, visit: &mut dyn FnMut(&StoredEvent)) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let heads = txn.open_table(HEADS).map_err(storage)?;
        let events = txn.open_table(EVENTS).map_err(storage)?;
        let mut cursors = Vec::new();
        for entry in heads.iter().map_err(storage)? {
            let (key, _) = entry.map_err(storage)?;
            let origin = NodeId(key.value());
            let range = events
                .range(event_key(origin, Seq(0))..=event_key(origin, Seq(u64::MAX)))
                .map_err(storage)?;
            cursors.push((origin, range));
        }
        // One cursor per origin; the heap holds each cursor's next event by replay order.
        let mut next: Vec<Option<StoredEvent>> = Vec::with_capacity(cursors.len());
        let mut heap: BinaryHeap<Reverse<(OrderKey, usize)>> = BinaryHeap::new();
        let advance = |cursor: &mut (NodeId, redb::Range<'_, [u8; 40], &'static [u8]>)| -> Result<Option<StoredEvent>, StoreError> {
            match cursor.1.next() {
                None => Ok(None),
                Some(entry) => {
                    let (key, value) = entry.map_err(storage)?;
                    damaged(cursor.0, key_seq(&key.value()), value.value()).map(Some)
                }
            }
        };
        for (index, cursor) in cursors.iter_mut().enumerate() {
            let first = advance(cursor)?;
            if let Some(stored) = &first {
                heap.push(Reverse((stored.event.order_key(), index)));
            }
            next.push(first);
        }
        let mut count = 0;
        while let Some(Reverse((_, index))) = heap.pop() {
            // Invariant: an index is on the heap only while its slot holds an event.
            let stored = next[index].take().expect("slot is full");
            visit(&stored);
            count += 1;
            let following = advance(&mut cursors[index])?;
            if let Some(following) = &following {
                heap.push(Reverse((following.event.order_key(), index)));
            }
            next[index] = following;
        }
        Ok(count)
    }
}
