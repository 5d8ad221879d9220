//! The event log: the one trait every storage backend implements, and the types it speaks.
//!
//! A log holds the events of many origins. Local events are appended (sealed with this node's
//! key); foreign events arrive in batches from peers and are ingested only after their chain
//! and seals check out. Both paths share the pure rules in `chain.rs`, so the in-memory
//! log used by tests and the redb log behave the same by construction.

use std::collections::BTreeMap;

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};

use crate::event::{DecodeError, Draft, Event, StoredEvent};
use crate::hlc::Hlc;
use crate::ids::{ChainId, Hash, NodeId, Seq};
use crate::limits::{APPEND_EVENTS_MAX, BATCH_EVENTS_MAX, BATCH_SEALS_MAX};
use crate::seal::{Seal, SealError};
use crate::signature::Verdict;

/// The head of one chain as this log holds it.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Head {
    /// The last sequence number held.
    pub seq: Seq,
    /// The hash of that event.
    pub hash: Hash,
    /// Its clock stamp; the chain's next event must be later.
    pub hlc: Hlc,
}

/// A batch of foreign events as it travels between nodes: canonical event bytes (per chain in
/// ascending, gapless order) and the seals that attest them.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct Batch {
    /// Canonical event bytes.
    pub events: Vec<serde_bytes::ByteBuf>,
    /// Seals over events in this batch; each chain's last event must be sealed.
    pub seals: Vec<Seal>,
}

/// What an ingest did with a batch.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct IngestReport {
    /// The events newly stored, in the batch's order.
    pub inserted: Vec<StoredEvent>,
    /// Events already held, byte for byte: no-ops.
    pub duplicates: u64,
    /// Chains whose part of the batch was refused; nothing of theirs was stored.
    pub refused: Vec<Refusal>,
    /// Incidents recorded by this ingest (equivocations proved by a valid seal).
    pub incidents: Vec<Incident>,
    /// Every chain of the batch that was stored or already held, with its head after the
    /// commit: what a receipt states.
    pub held: Vec<(ChainId, Head)>,
}

/// One chain's part of a batch, refused.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Refusal {
    /// The chain whose events were refused.
    pub chain: ChainId,
    /// Why.
    pub reason: RefusalReason,
}

/// Why a chain's part of a batch was refused.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum RefusalReason {
    /// Sequence numbers are not ascending by one.
    #[error("sequence numbers are not contiguous at seq {seq}")]
    NotContiguous {
        /// The first out-of-place sequence number.
        seq: Seq,
    },
    /// An event's `prev` is not the hash of the event before it.
    #[error("the chain is broken at seq {seq}")]
    BrokenChain {
        /// The event whose `prev` does not match.
        seq: Seq,
    },
    /// An event's clock stamp is not after its predecessor's.
    #[error("the clock does not increase at seq {seq}")]
    ClockNotIncreasing {
        /// The offending event.
        seq: Seq,
    },
    /// The events start after the held head: events are missing in between.
    #[error("gap: expected seq {expected}, got {found}")]
    Gap {
        /// The next sequence number this log needs.
        expected: Seq,
        /// The first one offered.
        found: Seq,
    },
    /// The last event of the chain's part carries no seal.
    #[error("the last event (seq {seq}) is not sealed by its origin")]
    Unsealed {
        /// The unsealed sequence number.
        seq: Seq,
    },
    /// A seal names an event that is not in the batch, or a different hash.
    #[error("a seal at seq {seq} does not match the batch's event")]
    SealMismatch {
        /// The seal's sequence number.
        seq: Seq,
    },
    /// A seal's signature is not the origin's.
    #[error(transparent)]
    BadSeal(#[from] SealError),
    /// The origin signed a different event under a sequence number this log already holds.
    #[error("equivocation: the origin signed two different events at seq {seq}")]
    Equivocation {
        /// The contested sequence number.
        seq: Seq,
    },
    /// The caller's admission rule (scope) does not let this chain in from this batch's sender.
    #[error("the chain may not be received from this sender")]
    NotAdmitted,
    /// The clock stamp is too far ahead of this node's clock; retry once the clocks agree.
    #[error("the event at seq {seq} is stamped {ahead_ms} ms ahead of this node's clock")]
    ClockAhead {
        /// The offending event.
        seq: Seq,
        /// How far ahead.
        ahead_ms: u64,
    },
}

/// Something an auditor must see: recorded, never silently dropped.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Incident {
    /// The chain whose origin is at fault.
    pub chain: ChainId,
    /// The contested sequence number.
    pub seq: Seq,
    /// The hash this log holds at `seq`.
    pub held: Hash,
    /// The hash of the other event the origin signed for `seq`.
    pub offered: Hash,
    /// The conflicting event bytes as offered (attested by `seal`).
    pub evidence: Vec<serde_bytes::ByteBuf>,
    /// The origin's seal over the conflicting chain: the proof.
    pub seal: Seal,
    /// This node's clock when the incident was recorded.
    pub recorded_ms: u64,
}

impl Incident {
    /// The key incidents are stored under: the same equivocation offered twice is one incident.
    pub fn key(&self) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&self.chain.origin.0);
        hasher.update(self.chain.unit.as_str().as_bytes());
        hasher.update(&[0]);
        hasher.update(&self.seq.0.to_be_bytes());
        hasher.update(&self.offered.0);
        *hasher.finalize().as_bytes()
    }
}

/// One commit's worth of events arriving in this log (local appends count too).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Arrival {
    /// Position in this log's arrival order, from 1.
    pub position: u64,
    /// This node's clock at arrival.
    pub received_ms: u64,
    /// The ranges of events that arrived.
    pub ranges: Vec<ArrivalRange>,
}

/// A run of one chain's events that arrived together.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ArrivalRange {
    /// The chain.
    pub chain: ChainId,
    /// First sequence number of the run.
    pub first: Seq,
    /// Last sequence number of the run.
    pub last: Seq,
}

/// A failure to read what the log holds.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum StoreError {
    /// The storage engine failed (I/O, corruption detected by redb, ...).
    #[error("storage failed: {0}")]
    Storage(String),
    /// Stored bytes do not decode: the file was altered or damaged.
    #[error("stored event {chain}/{seq} is damaged: {reason}")]
    Damaged {
        /// The chain of the damaged event.
        chain: ChainId,
        /// Its sequence number.
        seq: Seq,
        /// What is wrong.
        reason: DecodeError,
    },
    /// A stored event record is not of the record format.
    #[error("stored record {chain}/{seq} is damaged")]
    DamagedRecord {
        /// The chain of the damaged record.
        chain: ChainId,
        /// Its sequence number.
        seq: Seq,
    },
    /// The log was opened read-only (for an audit): nothing can be written.
    #[error("the log is open read-only")]
    ReadOnly,
    /// Stored metadata does not decode.
    #[error("stored {what} is damaged")]
    DamagedMeta {
        /// Which record.
        what: &'static str,
    },
}

/// Why a local append was refused; nothing of it was written.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum AppendError {
    /// The key is not this log's node key.
    #[error("this log belongs to node {expected:?}, not to key {found:?}")]
    WrongKey {
        /// The log's node.
        expected: NodeId,
        /// The key offered.
        found: NodeId,
    },
    /// Nothing to append.
    #[error("nothing to append")]
    Empty,
    /// Too many events in one append.
    #[error("{count} events in one append; at most {APPEND_EVENTS_MAX} are allowed")]
    TooMany {
        /// The count offered.
        count: usize,
    },
    /// One event encodes larger than the limit.
    #[error("event {index} of the append is {len} bytes; at most {max} are allowed")]
    TooLarge {
        /// Its index in the append.
        index: usize,
        /// Its encoded length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The storage failed; nothing was acknowledged.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a whole batch was refused; nothing of it was stored.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum IngestError {
    /// Too many events in one batch.
    #[error("{count} events in one batch; at most {BATCH_EVENTS_MAX} are allowed")]
    TooManyEvents {
        /// The count offered.
        count: usize,
    },
    /// Too many seals in one batch.
    #[error("{count} seals in one batch; at most {BATCH_SEALS_MAX} are allowed")]
    TooManySeals {
        /// The count offered.
        count: usize,
    },
    /// An event does not decode.
    #[error("event {index} of the batch is malformed: {reason}")]
    Malformed {
        /// Its index in the batch.
        index: usize,
        /// What is wrong.
        reason: DecodeError,
    },
    /// The storage failed; nothing was stored.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The event log of one node.
///
/// Every method takes `&self` and may be called from many threads. Time comes in as
/// `now_ms`; the log reads no clock.
pub trait EventLog: Send + Sync {
    /// The node that owns this log (the origin of its local appends).
    fn node(&self) -> NodeId;

    /// Appends local events, sealed with `signer` (which must be this log's node key). Durable
    /// when it returns: the events are committed before the call returns `Ok`.
    fn append(
        &self,
        signer: &SigningKey,
        now_ms: u64,
        drafts: Vec<Draft>,
    ) -> Result<Vec<StoredEvent>, AppendError>;

    /// Verifies and stores a batch of foreign events in one transaction. Idempotent: events
    /// held already are no-ops. Each chain's part is accepted or refused as a whole; chains
    /// `admit` rejects are refused as [`RefusalReason::NotAdmitted`] before anything else.
    fn ingest_admitting(
        &self,
        now_ms: u64,
        batch: &Batch,
        admit: &dyn Fn(&ChainId) -> bool,
    ) -> Result<IngestReport, IngestError>;

    /// [`EventLog::ingest_admitting`] with every chain admitted.
    fn ingest(&self, now_ms: u64, batch: &Batch) -> Result<IngestReport, IngestError> {
        self.ingest_admitting(now_ms, batch, &|_| true)
    }

    /// The head of every chain held.
    fn heads(&self) -> Result<BTreeMap<ChainId, Head>, StoreError>;

    /// Up to `limit` events of `chain` from `from` on, in chain order.
    fn read_chain(
        &self,
        chain: &ChainId,
        from: Seq,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// The seals held for `chain` between `from` and `to`, inclusive.
    fn seals(&self, chain: &ChainId, from: Seq, to: Seq) -> Result<Vec<Seal>, StoreError>;

    /// Up to `limit` arrivals after `position`.
    fn arrivals_after(&self, position: u64, limit: usize) -> Result<Vec<Arrival>, StoreError>;

    /// Every incident recorded, oldest first.
    fn incidents(&self) -> Result<Vec<Incident>, StoreError>;

    /// Visits every event, with its canonical bytes and the verdict on its personal signature
    /// kept when it was stored, in the total replay order ([`crate::event::OrderKey`]).
    /// Returns how many were visited. Hashes are not computed: a replay needs the events, and
    /// a verifier hashes the bytes itself.
    fn scan(&self, visit: &mut dyn FnMut(&Event, &[u8], Verdict)) -> Result<u64, StoreError>;

    /// A batch of `chain`'s events from `from`, at most `events_max` events and (unless a single
    /// sealed stretch is larger) `bytes_max` bytes of events, cut at a sealed event so that the
    /// receiver can verify it. `None` when nothing sealed is held from `from`.
    fn batch_from(
        &self,
        chain: &ChainId,
        from: Seq,
        events_max: usize,
        bytes_max: usize,
    ) -> Result<Option<Batch>, StoreError> {
        let events = self.read_chain(chain, from, events_max.min(BATCH_EVENTS_MAX))?;
        let Some(last) = events.last() else {
            return Ok(None);
        };
        let seals = self.seals(chain, from, last.event.seq)?;
        let mut seals = seals.into_iter().peekable();
        let records = events.into_iter().map(|stored| {
            let signature = seals
                .next_if(|seal| seal.seq == stored.event.seq)
                .map(|seal| seal.signature);
            Ok((stored.event.seq, stored.bytes, signature))
        });
        cut_batch(chain, from, records, bytes_max)
    }
}

/// Builds a batch from a chain's records in order — `(seq, canonical bytes, seal signature)` —
/// cut at the last sealed event within `bytes_max`, or at the first sealed event when even the
/// first sealed stretch is over budget (local appends seal at least every
/// [`SEAL_INTERVAL_BYTES`](crate::limits::SEAL_INTERVAL_BYTES), so that stretch is bounded
/// too). Stops early at a gap. `None` when no record from `from` is sealed.
pub(crate) fn cut_batch(
    chain: &ChainId,
    from: Seq,
    records: impl Iterator<Item = Result<(Seq, Vec<u8>, Option<[u8; 64]>), StoreError>>,
    bytes_max: usize,
) -> Result<Option<Batch>, StoreError> {
    let mut events = Vec::new();
    let mut seals = Vec::new();
    let mut bytes = 0;
    let mut cut = None;
    let mut expected = from;
    for record in records {
        let (seq, event, signature) = record?;
        if seq != expected {
            break;
        }
        expected = seq.next();
        bytes += event.len();
        if bytes > bytes_max && cut.is_some() {
            break;
        }
        if let Some(signature) = signature {
            seals.push(Seal {
                chain: chain.clone(),
                seq,
                hash: Hash::of(&event),
                signature,
            });
            cut = Some((events.len() + 1, seals.len()));
        }
        events.push(serde_bytes::ByteBuf::from(event));
    }
    let Some((events_kept, seals_kept)) = cut else {
        return Ok(None);
    };
    events.truncate(events_kept);
    seals.truncate(seals_kept);
    Ok(Some(Batch { events, seals }))
}
