//! The durable event log in a redb file, with group commit.
//!
//! Tables (all keys big-endian so that byte order is numeric order):
//!
//! | table       | key                        | value                                   |
//! |-------------|----------------------------|-----------------------------------------|
//! | `meta`      | name                       | `schema` u32 LE, `node` 32 B            |
//! | `events`    | chain key ‖ seq (8)        | record: see below                       |
//! | `chains`    | chain key                  | `()`: every chain held                  |
//! | `arrivals`  | position u64               | MessagePack [`Arrival`] (foreign events) |
//! | `incidents` | [`Incident::key`]          | MessagePack [`Incident`]                |
//!
//! A chain key is `origin (32) ‖ unit code ‖ 0x00`: unit codes never hold a zero byte, so keys
//! sort by origin, then unit, exactly as [`ChainId`] does.
//!
//! Each chain's events are stored in chain order, and clock stamps increase along a chain, so
//! the total replay order is a k-way merge of per-chain scans: replay reads every event exactly
//! once, sequentially, with no secondary index to maintain on ingest.
//!
//! An event record is one tag byte, then for tag 1 the origin's 64-byte seal signature over
//! this event, then the canonical event bytes exactly as hashed (tag 0: no seal here).
//!
//! A local append touches only `events` (and `chains` when it starts a chain): a durable
//! commit costs page writes and an fsync for every table it touches, so nothing derivable is
//! written on that path. A chain's head is its last record; the node's clock is the latest head stamp (recomputed on open, then kept
//! in memory); local events need no arrival record, for they arrived when they were written,
//! at their own stamp.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, mpsc};

use ed25519_dalek::SigningKey;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use crate::chain::{self, ChainView, SealedAppend};
use crate::event::{Draft, Event, StoredEvent};
use crate::hlc::Hlc;
use crate::ids::{ChainId, Hash, NodeId, Seq, UnitId};
use crate::limits::{BATCH_EVENTS_MAX, GROUP_COMMIT_REQUESTS_MAX, GROUP_GATHER_YIELDS_MAX};
use crate::log::{
    AppendError, Arrival, ArrivalRange, Batch, EventLog, Head, Incident, IngestError, IngestReport,
    StoreError,
};
use crate::seal::Seal;
use crate::signature::Verdict;

/// The storage schema this version writes. Older schemas are migrated on open; newer ones
/// are refused.
///
/// - 1: the first.
/// - 2: a record's tag may carry the flag that its personal signature verified on arrival
///   ([`Verdict::Verified`]). Every schema-1 record is a valid schema-2 record, so the
///   migration only writes the new number (a schema-1 reader would take a record with the new
///   flag for damage, hence the number).
pub const SCHEMA_VERSION: u32 = 2;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const EVENTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("events");
const CHAINS: TableDefinition<&[u8], ()> = TableDefinition::new("chains");
const ARRIVALS: TableDefinition<u64, &[u8]> = TableDefinition::new("arrivals");
const INCIDENTS: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("incidents");

const META_SCHEMA: &str = "schema";
const META_NODE: &str = "node";

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
    /// The file was not closed cleanly (its node crashed or is running) and must be repaired,
    /// which a read-only open cannot do: repair a copy.
    #[error("the log was not closed cleanly and needs a repair, which a read-only open cannot do")]
    NeedsRepair,
    /// The storage failed or the file is damaged.
    #[error("cannot open the log: {0}")]
    Storage(String),
    /// The file was altered or damaged outside redb: a page fails its checksum.
    #[error(
        "the log file is damaged ({0}); restore it from a backup or sync it again from the parent"
    )]
    Damaged(String),
}

fn storage(error: impl Into<redb::Error>) -> StoreError {
    StoreError::Storage(error.into().to_string())
}

fn open_storage(error: impl Into<redb::Error>) -> OpenError {
    match error.into() {
        redb::Error::DatabaseAlreadyOpen => OpenError::Locked,
        redb::Error::RepairAborted => OpenError::NeedsRepair,
        redb::Error::Corrupted(reason) => OpenError::Damaged(reason),
        other => OpenError::Storage(other.to_string()),
    }
}

/// `origin ‖ unit ‖ 0x00`: the prefix of every key of one chain.
fn chain_key(chain: &ChainId) -> Vec<u8> {
    let unit = chain.unit.as_str().as_bytes();
    let mut key = Vec::with_capacity(32 + unit.len() + 1 + 8);
    key.extend_from_slice(&chain.origin.0);
    key.extend_from_slice(unit);
    key.push(0);
    key
}

/// The key of `chain`'s event at `seq`.
fn event_key(chain: &ChainId, seq: Seq) -> Vec<u8> {
    let mut key = chain_key(chain);
    key.extend_from_slice(&seq.0.to_be_bytes());
    key
}

/// The first and last possible keys of `chain`'s events.
fn chain_bounds(chain: &ChainId) -> (Vec<u8>, Vec<u8>) {
    (event_key(chain, Seq(0)), event_key(chain, Seq(u64::MAX)))
}

/// Reads a chain key back.
fn parse_chain_key(key: &[u8]) -> Option<ChainId> {
    let origin: [u8; 32] = key.get(..32)?.try_into().ok()?;
    let unit = key.get(32..key.len().checked_sub(1)?)?;
    if key.last() != Some(&0) {
        return None;
    }
    let unit = UnitId::new(std::str::from_utf8(unit).ok()?).ok()?;
    Some(ChainId {
        origin: NodeId(origin),
        unit,
    })
}

/// The sequence number of an `events` key: its last eight bytes (see [`event_key`]).
fn key_seq(key: &[u8]) -> Seq {
    let mut seq = [0u8; 8];
    if let Some(tail) = key.len().checked_sub(8).and_then(|start| key.get(start..)) {
        seq.copy_from_slice(tail);
    }
    Seq(u64::from_be_bytes(seq))
}

/// A record's tag: which of these flags it carries.
const RECORD_SEALED: u8 = 0b01;
/// The event's personal signature verified when it was stored ([`Verdict::Verified`]).
const RECORD_PERSON_VERIFIED: u8 = 0b10;
const RECORD_FLAGS: u8 = RECORD_SEALED | RECORD_PERSON_VERIFIED;

/// The length of an event's record: tag, optional seal signature, canonical bytes.
fn record_len(bytes: &[u8], signature: Option<&[u8; 64]>) -> usize {
    1 + signature.map_or(0, |signature| signature.len()) + bytes.len()
}

/// Writes an event's record into `out`, which is exactly [`record_len`] long.
fn write_record(out: &mut [u8], bytes: &[u8], signature: Option<&[u8; 64]>, verdict: Verdict) {
    let verified = match verdict {
        Verdict::Verified => RECORD_PERSON_VERIFIED,
        Verdict::Unchecked => 0,
    };
    let rest = match signature {
        Some(signature) => {
            out[0] = RECORD_SEALED | verified;
            out[1..65].copy_from_slice(signature);
            &mut out[65..]
        }
        None => {
            out[0] = verified;
            &mut out[1..]
        }
    };
    rest.copy_from_slice(bytes);
}

/// A stored event record, split into its seal signature (if any), the verdict on its
/// personal signature, and its canonical bytes.
struct Record<'a> {
    signature: Option<[u8; 64]>,
    verdict: Verdict,
    bytes: &'a [u8],
}

fn parse_record<'a>(chain: &ChainId, seq: Seq, value: &'a [u8]) -> Result<Record<'a>, StoreError> {
    let damaged = || StoreError::DamagedRecord {
        chain: chain.clone(),
        seq,
    };
    let (&tag, rest) = value.split_first().ok_or_else(damaged)?;
    if tag & !RECORD_FLAGS != 0 {
        return Err(damaged());
    }
    let verdict = if tag & RECORD_PERSON_VERIFIED == 0 {
        Verdict::Unchecked
    } else {
        Verdict::Verified
    };
    if tag & RECORD_SEALED == 0 {
        return Ok(Record {
            signature: None,
            verdict,
            bytes: rest,
        });
    }
    let (signature, bytes) = rest.split_first_chunk::<64>().ok_or_else(damaged)?;
    Ok(Record {
        signature: Some(*signature),
        verdict,
        bytes,
    })
}

fn decode_stored(chain: &ChainId, seq: Seq, bytes: &[u8]) -> Result<StoredEvent, StoreError> {
    StoredEvent::from_bytes(bytes.to_vec()).map_err(|reason| StoreError::Damaged {
        chain: chain.clone(),
        seq,
        reason,
    })
}

/// The head of `chain`: its last record.
fn head_in(
    events: &impl ReadableTable<&'static [u8], &'static [u8]>,
    chain: &ChainId,
) -> Result<Option<Head>, StoreError> {
    let (first, last) = chain_bounds(chain);
    let mut range = events
        .range(first.as_slice()..=last.as_slice())
        .map_err(storage)?;
    let Some(entry) = range.next_back() else {
        return Ok(None);
    };
    let (key, value) = entry.map_err(storage)?;
    let seq = key_seq(key.value());
    let record = parse_record(chain, seq, value.value())?;
    let stored = decode_stored(chain, seq, record.bytes)?;
    Ok(Some(Head {
        seq,
        hash: stored.hash,
        hlc: stored.event.hlc,
    }))
}

/// Every chain with events in the log, in [`ChainId`] order.
fn chains_in(chains: &impl ReadableTable<&'static [u8], ()>) -> Result<Vec<ChainId>, StoreError> {
    let mut out = Vec::new();
    for entry in chains.iter().map_err(storage)? {
        let (key, _) = entry.map_err(storage)?;
        out.push(
            parse_chain_key(key.value()).ok_or(StoreError::DamagedMeta { what: "chain list" })?,
        );
    }
    Ok(out)
}

/// Reads and checks the schema marker and the node key of an opened file.
/// The node a log belongs to and the schema it was written with.
fn check_meta(db: &Db) -> Result<(NodeId, u32), OpenError> {
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
    let node = NodeId(<[u8; 32]>::try_from(node.value()).map_err(|_| OpenError::NotANhipLog)?);
    Ok((node, schema))
}

/// Brings a log written by an older schema to [`SCHEMA_VERSION`] (see there for what each
/// step changes).
fn migrate(db: &Db, schema: u32) -> Result<(), OpenError> {
    if schema >= SCHEMA_VERSION {
        return Ok(());
    }
    let txn = db
        .begin_write()
        .map_err(|error| OpenError::Storage(error.to_string()))?;
    {
        let mut meta = txn.open_table(META).map_err(open_storage)?;
        meta.insert(META_SCHEMA, SCHEMA_VERSION.to_le_bytes().as_slice())
            .map_err(open_storage)?;
    }
    txn.commit().map_err(open_storage)
}

/// The database of a log: writable, or opened read-only for an audit.
enum Db {
    Write(Database),
    Read(redb::ReadOnlyDatabase),
}

impl Db {
    fn begin_read(&self) -> Result<redb::ReadTransaction, redb::TransactionError> {
        match self {
            Db::Write(db) => db.begin_read(),
            Db::Read(db) => db.begin_read(),
        }
    }

    fn begin_write(&self) -> Result<redb::WriteTransaction, StoreError> {
        match self {
            Db::Write(db) => db.begin_write().map_err(storage),
            Db::Read(_) => Err(StoreError::ReadOnly),
        }
    }
}

/// A Nhịp event log in one redb file.
pub struct RedbLog {
    db: Db,
    node: NodeId,
    /// The latest clock stamp issued or seen. Only the holder of redb's write transaction
    /// reads it to stamp events, so the mutex is never contended for long.
    clock: Mutex<Hlc>,
    group: Mutex<GroupQueue>,
    commits: AtomicU64,
}

/// Appends waiting for a commit.
///
/// Invariant: when `leader` is false, `pending` is empty — a leader that finds appends still
/// pending after its commit hands the lead to the oldest of them instead of standing down.
#[derive(Default)]
struct GroupQueue {
    next_ticket: u64,
    pending: VecDeque<PendingAppend>,
    leader: bool,
}

/// The result an append's caller receives, by ticket.
type AppendOutcome = (u64, Result<Vec<StoredEvent>, AppendError>);

/// What a waiting appender is woken with: exactly one message per append.
enum Wake {
    /// The append was committed (or refused).
    Done(Result<Vec<StoredEvent>, AppendError>),
    /// The previous leader is finished and this append is the oldest pending: lead the next
    /// group.
    Lead,
}

struct PendingAppend {
    ticket: u64,
    now_ms: u64,
    drafts: Vec<Draft>,
    wake: mpsc::SyncSender<Wake>,
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
            txn.open_table(CHAINS).map_err(open_storage)?;
            txn.open_table(ARRIVALS).map_err(open_storage)?;
            txn.open_table(INCIDENTS).map_err(open_storage)?;
        }
        txn.commit().map_err(open_storage)?;
        RedbLog::with_db(Db::Write(db), node)
    }

    /// Opens an existing log file, checking that it is a Nhịp log of a schema this version
    /// reads.
    pub fn open(path: &Path) -> Result<RedbLog, OpenError> {
        if !path.exists() {
            return Err(OpenError::NotFound(path.display().to_string()));
        }
        // Every page's checksum is verified on open: a file damaged outside redb is refused
        // with an error rather than trusted (a plain open may panic on it later).
        let db = Db::Write(
            Database::builder()
                .set_check_integrity_on_open(true)
                .open(path)
                .map_err(open_storage)?,
        );
        let (node, schema) = check_meta(&db)?;
        migrate(&db, schema)?;
        RedbLog::with_db(db, node)
    }

    /// Opens a log file read-only, as an auditor does with a copy: nothing can be written
    /// through it, and the file is never changed.
    pub fn open_read_only(path: &Path) -> Result<RedbLog, OpenError> {
        if !path.exists() {
            return Err(OpenError::NotFound(path.display().to_string()));
        }
        let db = Db::Read(redb::ReadOnlyDatabase::open(path).map_err(open_storage)?);
        let (node, _) = check_meta(&db)?;
        RedbLog::with_db(db, node)
    }

    fn with_db(db: Db, node: NodeId) -> Result<RedbLog, OpenError> {
        let log = RedbLog {
            db,
            node,
            clock: Mutex::new(Hlc::default()),
            group: Mutex::new(GroupQueue::default()),
            commits: AtomicU64::new(0),
        };
        if matches!(log.db, Db::Read(_)) {
            // A read-only log never stamps an event, and an audit must open even a damaged
            // file to report on it.
            return Ok(log);
        }
        let latest = log
            .heads()
            .map_err(|error| OpenError::Storage(error.to_string()))?
            .values()
            .map(|head| head.hlc)
            .max()
            .unwrap_or_default();
        *log.lock_clock() = latest;
        Ok(log)
    }

    /// Durable commits made by local appends since the log was opened: with group commit,
    /// fewer than the appends when they come concurrently.
    pub fn append_commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    fn lock_clock(&self) -> MutexGuard<'_, Hlc> {
        // A plain value: a panic elsewhere cannot leave it half-written.
        self.clock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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
        let txn = self.db.begin_write()?;
        let mut results = Vec::with_capacity(group.len());
        let mut clock = self.lock_clock();
        {
            let mut tables = WriteTables::open(&txn)?;
            // The whole group is one stretch of each chain it writes, with one seal at the end
            // of each, so a group of sixteen appends to one unit costs one signature, not
            // sixteen. A request whose event is too large is answered on its own and the rest is
            // sealed again without it.
            let mut members: Vec<&PendingAppend> = group.iter().collect();
            let sealed = loop {
                let timed: Vec<(u64, &Draft)> = members
                    .iter()
                    .flat_map(|pending| pending.drafts.iter().map(|draft| (pending.now_ms, draft)))
                    .collect();
                match chain::seal_local(signer, &mut tables, *clock, &timed) {
                    Ok(sealed) => break sealed,
                    Err(AppendError::TooLarge { index, len, max }) => {
                        let (member, local) = locate(&members, index);
                        let refused = members.remove(member);
                        results.push((
                            refused.ticket,
                            Err(AppendError::TooLarge {
                                index: local,
                                len,
                                max,
                            }),
                        ));
                        if members.is_empty() {
                            return Ok(results);
                        }
                    }
                    Err(AppendError::Store(error)) => return Err(error),
                    Err(other) => return Err(StoreError::Storage(other.to_string())),
                }
            };
            let SealedAppend {
                events,
                seals,
                clock: new_clock,
            } = sealed;
            tables.store(&events, &seals)?;
            let mut events = events.into_iter();
            for pending in members {
                let own: Vec<StoredEvent> = events.by_ref().take(pending.drafts.len()).collect();
                results.push((pending.ticket, Ok(own)));
            }
            drop(tables);
            txn.commit().map_err(storage)?;
            *clock = new_clock;
        }
        self.commits.fetch_add(1, Ordering::Relaxed);
        Ok(results)
    }
}

/// Which member of a group holds the group-wide draft `index`, and its index there.
fn locate(members: &[&PendingAppend], index: usize) -> (usize, usize) {
    let mut start = 0;
    for (member, pending) in members.iter().enumerate() {
        if index < start + pending.drafts.len() {
            return (member, index - start);
        }
        start += pending.drafts.len();
    }
    // Invariant: `index` comes from sealing exactly these members' drafts.
    unreachable!("draft index {index} outside the group")
}

/// The tables of one write transaction.
struct WriteTables<'txn> {
    events: redb::Table<'txn, &'static [u8], &'static [u8]>,
    chains: redb::Table<'txn, &'static [u8], ()>,
    arrivals: redb::Table<'txn, u64, &'static [u8]>,
    incidents: redb::Table<'txn, [u8; 32], &'static [u8]>,
}

impl<'txn> WriteTables<'txn> {
    fn open(txn: &'txn redb::WriteTransaction) -> Result<WriteTables<'txn>, StoreError> {
        Ok(WriteTables {
            events: txn.open_table(EVENTS).map_err(storage)?,
            chains: txn.open_table(CHAINS).map_err(storage)?,
            arrivals: txn.open_table(ARRIVALS).map_err(storage)?,
            incidents: txn.open_table(INCIDENTS).map_err(storage)?,
        })
    }

    /// Stores events with the seals over them; both in the order they were chained.
    fn store(&mut self, events: &[StoredEvent], seals: &[Seal]) -> Result<(), StoreError> {
        let mut seals = seals.iter().peekable();
        // The key of the current event: its chain's prefix is rebuilt only when the chain
        // changes (runs of one chain are the rule), then the sequence number is swapped in.
        let mut key: Vec<u8> = Vec::new();
        let mut prefix_len = 0;
        let mut current: Option<(NodeId, &UnitId)> = None;
        for stored in events {
            let event = &stored.event;
            if current != Some((event.origin, &event.unit)) {
                let chain = event.chain();
                key = chain_key(&chain);
                prefix_len = key.len();
                if self.chains.get(key.as_slice()).map_err(storage)?.is_none() {
                    self.chains.insert(key.as_slice(), ()).map_err(storage)?;
                }
                current = Some((event.origin, &event.unit));
            }
            let signature = seals
                .next_if(|seal| {
                    seal.seq == event.seq
                        && seal.chain.origin == event.origin
                        && seal.chain.unit == event.unit
                })
                .map(|seal| &seal.signature);
            key.truncate(prefix_len);
            key.extend_from_slice(&event.seq.0.to_be_bytes());
            // The one time a personal signature is verified on this node; replays read the
            // verdict.
            let verdict = Verdict::on_arrival(event);
            // Written in place: no intermediate buffer per event.
            let mut slot = self
                .events
                .insert_reserve(key.as_slice(), record_len(&stored.bytes, signature))
                .map_err(storage)?;
            write_record(slot.as_mut(), &stored.bytes, signature, verdict);
        }
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
        let last = self
            .arrivals
            .last()
            .map_err(storage)?
            .map_or(0, |(position, _)| position.value());
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
    fn head(&mut self, chain: &ChainId) -> Result<Option<Head>, StoreError> {
        head_in(&self.events, chain)
    }

    fn hash_at(&mut self, chain: &ChainId, seq: Seq) -> Result<Option<Hash>, StoreError> {
        let key = event_key(chain, seq);
        match self.events.get(key.as_slice()).map_err(storage)? {
            None => Ok(None),
            Some(value) => {
                let record = parse_record(chain, seq, value.value())?;
                Ok(Some(Hash::of(record.bytes)))
            }
        }
    }
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
        // Group commit: an appender that finds no leader leads; the others queue and sleep on
        // their own channel (no thundering herd). The leader commits every pending append in
        // one transaction, answers each, and hands the lead to the oldest append that arrived
        // meanwhile.
        let (wake, woken) = mpsc::sync_channel(1);
        let mut queue = self.lock_group();
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        queue.pending.push_back(PendingAppend {
            ticket,
            now_ms,
            drafts,
            wake,
        });
        if queue.leader {
            drop(queue);
            match woken.recv() {
                Ok(Wake::Done(result)) => return result,
                Ok(Wake::Lead) => queue = self.lock_group(),
                // Invariant: a pending append's sender lives in the queue until it is used.
                Err(mpsc::RecvError) => unreachable!("a pending append is always answered"),
            }
        } else {
            queue.leader = true;
        }
        // Leading. Writers whose appends were just answered usually come straight back with
        // the next one; give them a moment to join this group rather than form the next.
        for _ in 0..GROUP_GATHER_YIELDS_MAX {
            let before = queue.pending.len();
            drop(queue);
            std::thread::yield_now();
            queue = self.lock_group();
            if queue.pending.len() == before {
                break;
            }
        }
        let take = queue.pending.len().min(GROUP_COMMIT_REQUESTS_MAX);
        let group: Vec<PendingAppend> = queue.pending.drain(..take).collect();
        drop(queue);
        let senders: Vec<(u64, mpsc::SyncSender<Wake>)> = group
            .iter()
            .map(|pending| (pending.ticket, pending.wake.clone()))
            .collect();
        let mut own = None;
        for (done_ticket, result) in self.commit_group(signer, group) {
            if done_ticket == ticket {
                own = Some(result);
            } else if let Some((_, sender)) = senders.iter().find(|(t, _)| *t == done_ticket) {
                // A receiver that is gone was a thread that panicked; nothing to tell it.
                let _ = sender.send(Wake::Done(result));
            }
        }
        let mut queue = self.lock_group();
        match queue.pending.front() {
            Some(next) => {
                let _ = next.wake.send(Wake::Lead);
            }
            None => queue.leader = false,
        }
        drop(queue);
        // Invariant: the leader's own append is the oldest pending, so it is in its group.
        own.expect("the leader's append is in its own group")
    }

    fn ingest_admitting(
        &self,
        now_ms: u64,
        batch: &Batch,
        admit: &dyn Fn(&ChainId) -> bool,
    ) -> Result<IngestReport, IngestError> {
        let txn = self.db.begin_write()?;
        let mut report = IngestReport::default();
        let clock_seen;
        {
            let mut tables = WriteTables::open(&txn)?;
            let plan = chain::plan_ingest(&mut tables, now_ms, batch, admit)?;
            report.duplicates = plan.duplicates;
            report.refused = plan.refused;
            report.held = plan.held;
            let mut ranges = Vec::with_capacity(plan.accepted.len());
            for accepted in plan.accepted {
                tables.store(&accepted.events, &accepted.seals)?;
                ranges.push(ArrivalRange {
                    chain: accepted.chain,
                    first: accepted.events[0].event.seq,
                    last: accepted.head.seq,
                });
                report.inserted.extend(accepted.events);
            }
            tables.record_arrival(now_ms, ranges)?;
            clock_seen = plan.clock_seen;
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
        if let Some(seen) = clock_seen {
            let mut clock = self.lock_clock();
            *clock = clock.observe(seen);
        }
        Ok(report)
    }

    fn heads(&self) -> Result<BTreeMap<ChainId, Head>, StoreError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let chains = txn.open_table(CHAINS).map_err(storage)?;
        let events = txn.open_table(EVENTS).map_err(storage)?;
        let mut heads = BTreeMap::new();
        for chain in chains_in(&chains)? {
            if let Some(head) = head_in(&events, &chain)? {
                heads.insert(chain, head);
            }
        }
        Ok(heads)
    }

    fn read_chain(
        &self,
        chain: &ChainId,
        from: Seq,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let table = txn.open_table(EVENTS).map_err(storage)?;
        let first = event_key(chain, from);
        let (_, last) = chain_bounds(chain);
        let range = table
            .range(first.as_slice()..=last.as_slice())
            .map_err(storage)?;
        let mut out = Vec::new();
        for entry in range.take(limit) {
            let (key, value) = entry.map_err(storage)?;
            let seq = key_seq(key.value());
            let record = parse_record(chain, seq, value.value())?;
            out.push(decode_stored(chain, seq, record.bytes)?);
        }
        Ok(out)
    }

    /// One scan of the chain's records: seals are inline, and events are sent as stored,
    /// never decoded or hashed on the way out.
    fn batch_from(
        &self,
        chain: &ChainId,
        from: Seq,
        events_max: usize,
        bytes_max: usize,
    ) -> Result<Option<Batch>, StoreError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let table = txn.open_table(EVENTS).map_err(storage)?;
        let first = event_key(chain, from);
        let (_, last) = chain_bounds(chain);
        let range = table
            .range(first.as_slice()..=last.as_slice())
            .map_err(storage)?;
        let records = range.take(events_max.min(BATCH_EVENTS_MAX)).map(|entry| {
            let (key, value) = entry.map_err(storage)?;
            let seq = key_seq(key.value());
            let record = parse_record(chain, seq, value.value())?;
            Ok((seq, record.bytes.to_vec(), record.signature))
        });
        crate::log::cut_batch(chain, from, records, bytes_max)
    }

    fn seals(&self, chain: &ChainId, from: Seq, to: Seq) -> Result<Vec<Seal>, StoreError> {
        if from > to {
            return Ok(Vec::new());
        }
        let txn = self.db.begin_read().map_err(storage)?;
        let events = txn.open_table(EVENTS).map_err(storage)?;
        let (first, last) = (event_key(chain, from), event_key(chain, to));
        let mut out = Vec::new();
        for entry in events
            .range(first.as_slice()..=last.as_slice())
            .map_err(storage)?
        {
            let (key, value) = entry.map_err(storage)?;
            let seq = key_seq(key.value());
            let record = parse_record(chain, seq, value.value())?;
            if let Some(signature) = record.signature {
                out.push(Seal {
                    chain: chain.clone(),
                    seq,
                    hash: Hash::of(record.bytes),
                    signature,
                });
            }
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

    fn scan(&self, visit: &mut dyn FnMut(&Event, &[u8], Verdict)) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let chains = txn.open_table(CHAINS).map_err(storage)?;
        let events = txn.open_table(EVENTS).map_err(storage)?;
        let mut cursors = Vec::new();
        // `chains_in` lists chains in ChainId order, so a cursor's index orders chains the way
        // `OrderKey` does after the stamp: (hlc, index) sorts exactly as (hlc, origin, unit, seq),
        // because stamps strictly increase along a chain. The heap never clones a unit code.
        for chain in chains_in(&chains)? {
            let (first, last) = chain_bounds(&chain);
            let range = events
                .range(first.as_slice()..=last.as_slice())
                .map_err(storage)?;
            cursors.push(ScanCursor {
                chain,
                range,
                event: None,
                bytes: Vec::new(),
                verdict: Verdict::Unchecked,
            });
        }
        let mut heap: BinaryHeap<Reverse<(Hlc, usize)>> = BinaryHeap::new();
        for (index, cursor) in cursors.iter_mut().enumerate() {
            if let Some(hlc) = cursor.advance()? {
                heap.push(Reverse((hlc, index)));
            }
        }
        let mut count = 0;
        while let Some(mut top) = heap.peek_mut() {
            let index = top.0.1;
            let cursor = &mut cursors[index];
            // Invariant: a cursor is on the heap only while it holds an event.
            let event = cursor.event.as_ref().expect("cursor holds an event");
            visit(event, &cursor.bytes, cursor.verdict);
            count += 1;
            match cursor.advance()? {
                // Replacing the top in place sifts once instead of a pop and a push.
                Some(hlc) => top.0.0 = hlc,
                None => {
                    std::collections::binary_heap::PeekMut::pop(top);
                }
            }
        }
        Ok(count)
    }
}

/// One chain's place in a replay scan.
struct ScanCursor<'txn> {
    chain: ChainId,
    range: redb::Range<'txn, &'static [u8], &'static [u8]>,
    event: Option<Event>,
    /// The current event's canonical bytes; the buffer is reused from event to event.
    bytes: Vec<u8>,
    /// What the log knows of the current event's personal signature.
    verdict: Verdict,
}

impl ScanCursor<'_> {
    /// Moves to the chain's next event and returns its stamp.
    fn advance(&mut self) -> Result<Option<Hlc>, StoreError> {
        let Some(entry) = self.range.next() else {
            self.event = None;
            return Ok(None);
        };
        let (key, value) = entry.map_err(storage)?;
        let seq = key_seq(key.value());
        let record = parse_record(&self.chain, seq, value.value())?;
        let bytes = record.bytes;
        let event = Event::decode(bytes).map_err(|reason| StoreError::Damaged {
            chain: self.chain.clone(),
            seq,
            reason,
        })?;
        // A record filed under another chain's key is damage, not a reason to misorder.
        if event.seq != seq || event.origin != self.chain.origin || event.unit != self.chain.unit {
            return Err(StoreError::DamagedRecord {
                chain: self.chain.clone(),
                seq,
            });
        }
        self.bytes.clear();
        self.bytes.extend_from_slice(bytes);
        self.verdict = record.verdict;
        let hlc = event.hlc;
        self.event = Some(event);
        Ok(Some(hlc))
    }
}
