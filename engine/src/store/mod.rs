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

mod group;
mod record;
mod scan;
mod schema;
mod tables;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use ed25519_dalek::SigningKey;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use crate::chain;
use crate::event::{Draft, Event, StoredEvent};
use crate::hlc::Hlc;
use crate::ids::{ChainId, Hash, NodeId, Seq};
use crate::limits::BATCH_EVENTS_MAX;
use crate::log::{
    AppendError, Arrival, ArrivalRange, Batch, EventLog, Head, Incident, IngestError, IngestReport,
    StoreError,
};
use crate::seal::Seal;
use crate::signature::Verdict;

use self::group::GroupQueue;
use self::record::{chain_bounds, decode_stored, event_key, key_seq, parse_record};
pub use self::schema::SCHEMA_VERSION;
use self::schema::{check_meta, migrate};
use self::tables::{WriteTables, chains_in, head_in};

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
        self.append_grouped(signer, now_ms, drafts)
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
        scan::in_replay_order(&txn, visit)
    }
}
