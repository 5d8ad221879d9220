//! Sync as a sans-IO state machine, in the manner of `quinn-proto`'s `Connection`.
//!
//! A [`Sync`] is one side of one connection. It owns no socket, no clock and no thread: the
//! caller feeds it what arrived ([`Sync::handle_input`]), tells it when the local log changed
//! ([`Sync::handle_log_changed`]), and drains what it wants to send ([`Sync::poll_transmit`])
//! and what happened ([`Sync::poll_event`]). Time is passed in as `now_ms`. The log is lent to
//! each call; ingesting a batch commits it durably before the acknowledgement is queued.
//!
//! The order of calls for a connection:
//!
//! 1. [`Sync::new`] queues `Hello`; [`Sync::handle_timeout`] with the time the connection
//!    came up starts its clock (the peer's `Hello` is due within
//!    [`HELLO_WITHIN_MS`]).
//! 2. Loop: write every [`Sync::poll_transmit`] frame to the stream; feed bytes read to
//!    [`Sync::handle_input`]; call [`Sync::handle_log_changed`] after local appends or
//!    ingests from other links; call [`Sync::handle_timeout`] when the time
//!    [`Sync::poll_timeout`] names has come; drain [`Sync::poll_event`].
//! 3. Stop when [`Sync::is_closed`] and nothing is left to transmit.
//!
//! The exchange (PROTOCOL.md has it message by message): both sides send `Hello`, then `Heads`
//! (what they hold of the chains they would accept). Each side then streams, per chain in its
//! scope, the events the other lacks, in batches of one chain, at most [`WINDOW_BATCHES`] in
//! flight. The receiver ingests each batch durably and answers with an `Ack` carrying a signed
//! receipt; only then does the sender count those events as delivered. When a side's backlog is
//! acknowledged it sends `CaughtUp`; after that, new events flow as they are written (live
//! mode). A connection that drops loses nothing: the next one starts from the heads.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use ed25519_dalek::SigningKey;
use nhip_engine::{
    Batch, ChainId, EventLog, Hash, IngestError, NodeId, RefusalReason, Seq, UnitId,
};

use crate::frame::{self, FrameError};

/// The event envelope format peers exchange: what `Hello` negotiates (a node's redb layout is
/// its own business and never crosses the wire).
const ENVELOPE: u32 = nhip_engine::event::ENVELOPE_FORMAT as u32;
use crate::limits::{
    BATCH_BYTES_MAX, BATCH_EVENTS_TARGET, HEADS_CHAINS_MAX, HELLO_WITHIN_MS, NESTING_DEPTH_MAX,
    PROTOCOL_VERSION, REASON_BYTES_MAX, WINDOW_BATCHES, ZSTD_LEVEL,
};
use crate::message::{
    Ack, BatchFrame, ChainRefusal, Close, CloseCode, Heads, Hello, Message, RefusalCode,
};
use crate::receipt::{ChainHead, Receipt, ReceiptBody};
use crate::scope::Scope;

/// Who this side is and whom it expects.
pub struct Config {
    /// This node's key: identity and receipt signer.
    pub signer: SigningKey,
    /// This node's unit.
    pub unit: UnitId,
    /// The peer this connection must be with (pinned at enrollment), if known in advance.
    pub expected_peer: Option<NodeId>,
}

/// Something the caller should know about.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum SyncEvent {
    /// The peer said hello and passed the checks.
    Connected {
        /// The peer's key.
        peer: NodeId,
        /// The peer's unit.
        unit: UnitId,
    },
    /// A batch from the peer was committed (or partly refused) and acknowledged.
    Received {
        /// The peer's batch number.
        batch: u64,
        /// Events newly stored.
        inserted: usize,
        /// Events already held.
        duplicates: u64,
        /// Chains refused.
        refused: Vec<ChainRefusal>,
        /// Equivocations recorded while ingesting.
        incidents: usize,
    },
    /// The peer acknowledged one of our batches with a verified receipt.
    Delivered {
        /// Our batch number.
        batch: u64,
        /// Events the batch carried.
        events: usize,
        /// The peer's signed receipt.
        receipt: Receipt,
        /// Chains the peer refused.
        refused: Vec<ChainRefusal>,
    },
    /// Both sides have delivered their backlog; from now on events flow as they are written.
    CaughtUp,
    /// The connection is closed.
    Closed {
        /// See [`CloseCode`].
        code: u16,
        /// Why.
        reason: String,
        /// Whether the peer closed it.
        by_peer: bool,
    },
}

/// Counters for status displays and benchmarks.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Stats {
    /// Bytes handed to [`Sync::handle_input`].
    pub bytes_in: u64,
    /// Bytes returned by [`Sync::poll_transmit`].
    pub bytes_out: u64,
    /// Events sent in batches (including re-sent ones).
    pub events_sent: u64,
    /// Events the peer acknowledged.
    pub events_delivered: u64,
    /// Events received and newly stored.
    pub events_received: u64,
    /// Uncompressed bytes of the batches sent.
    pub batch_bytes_raw: u64,
    /// Compressed bytes of the batches sent.
    pub batch_bytes_compressed: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// Waiting for the peer's `Hello`.
    Greeting,
    /// Hello exchanged; batches may flow.
    Open,
    /// Done; only already queued frames are left to send.
    Closed,
}

/// A batch sent and not yet acknowledged.
struct InFlight {
    chain: ChainId,
    last: Seq,
    events: usize,
    batch_hash: Hash,
}

/// One side of one sync connection.
pub struct Sync {
    config: Config,
    node: NodeId,
    scope: Box<dyn Scope>,
    phase: Phase,
    peer: Option<Hello>,
    /// Bytes received and not yet a whole frame.
    inbox: Vec<u8>,
    /// Frames ready to send, in order, each marked when it is an `Ack`.
    outbox: VecDeque<(bool, Vec<u8>)>,
    events: VecDeque<SyncEvent>,
    /// Whether the peer's `Heads` arrived: until then we do not know what it lacks.
    have_peer_heads: bool,
    /// What the peer is known to hold, per chain: from its `Heads`, then from receipts.
    peer_holds: BTreeMap<ChainId, Seq>,
    /// The next sequence number to send, per chain that may have something to send.
    to_send: BTreeMap<ChainId, Seq>,
    /// Chains the peer refused on this connection: not offered again until the next one.
    refused: BTreeSet<ChainId>,
    in_flight: BTreeMap<u64, InFlight>,
    next_batch: u64,
    /// Batches received whose `Ack` is queued but not yet transmitted.
    acks_queued: usize,
    sent_caught_up: bool,
    peer_caught_up: bool,
    reported_caught_up: bool,
    stats: Stats,
    /// When the clock started (the first time the machine was told the time).
    started_ms: Option<u64>,
}

/// Why a protocol-level failure closes the connection.
struct Fatal {
    code: CloseCode,
    reason: String,
}

impl Fatal {
    fn new(code: CloseCode, reason: impl Into<String>) -> Fatal {
        let mut reason = reason.into();
        if reason.len() > REASON_BYTES_MAX {
            let mut cut = REASON_BYTES_MAX;
            while !reason.is_char_boundary(cut) {
                cut -= 1;
            }
            reason.truncate(cut);
        }
        Fatal { code, reason }
    }
}

impl Sync {
    /// A new connection side; queues this node's `Hello`.
    pub fn new(config: Config, scope: Box<dyn Scope>) -> Sync {
        let node = nhip_engine::node_id(&config.signer);
        let hello = Message::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            schema_min: ENVELOPE,
            schema_max: ENVELOPE,
            node,
            unit: config.unit.clone(),
        });
        let mut sync = Sync {
            config,
            node,
            scope,
            phase: Phase::Greeting,
            peer: None,
            inbox: Vec::new(),
            outbox: VecDeque::new(),
            events: VecDeque::new(),
            have_peer_heads: false,
            peer_holds: BTreeMap::new(),
            to_send: BTreeMap::new(),
            refused: BTreeSet::new(),
            in_flight: BTreeMap::new(),
            next_batch: 1,
            acks_queued: 0,
            sent_caught_up: false,
            peer_caught_up: false,
            reported_caught_up: false,
            stats: Stats::default(),
            started_ms: None,
        };
        sync.queue(&hello);
        sync
    }

    /// When [`Sync::handle_timeout`] must next be called, if ever: the peer's `Hello` is due
    /// [`HELLO_WITHIN_MS`] after the clock started. `None` before the clock starts, once the
    /// peer has said hello, and once closed.
    pub fn poll_timeout(&self) -> Option<u64> {
        match (self.started_ms, &self.peer, &self.phase) {
            (_, _, Phase::Closed) | (None, _, _) | (_, Some(_), _) => None,
            (Some(started), None, _) => Some(started.saturating_add(HELLO_WITHIN_MS)),
        }
    }

    /// Tells the machine the time is `now_ms`. The first call (or the first input) starts its
    /// clock; a peer that has not said hello by the deadline is closed with `Timeout`
    /// (PROTOCOL.md §4.1).
    pub fn handle_timeout(&mut self, now_ms: u64) {
        let started = *self.started_ms.get_or_insert(now_ms);
        if self.phase != Phase::Closed
            && self.peer.is_none()
            && now_ms >= started.saturating_add(HELLO_WITHIN_MS)
        {
            self.fail(
                Fatal::new(
                    CloseCode::Timeout,
                    format!("no hello within {} s", HELLO_WITHIN_MS / 1000),
                ),
                false,
            );
        }
    }

    /// The peer's hello, once received and accepted.
    pub fn peer(&self) -> Option<&Hello> {
        self.peer.as_ref()
    }

    /// Whether the connection is over (frames may still be waiting in [`Sync::poll_transmit`]).
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Whether both sides have delivered their backlog.
    pub fn is_caught_up(&self) -> bool {
        self.reported_caught_up
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Batches sent and not yet acknowledged.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Ends the connection with `code`, telling the peer why.
    pub fn close(&mut self, code: CloseCode, reason: &str) {
        self.fail(Fatal::new(code, reason), false);
    }

    /// Feeds bytes read from the peer. Whole frames are handled at once; a batch is committed
    /// to `log` before its acknowledgement is queued.
    pub fn handle_input(&mut self, now_ms: u64, bytes: &[u8], log: &dyn EventLog) {
        self.started_ms.get_or_insert(now_ms);
        self.stats.bytes_in += bytes.len() as u64;
        if self.phase == Phase::Closed {
            return;
        }
        self.inbox.extend_from_slice(bytes);
        let mut used = 0;
        while self.phase != Phase::Closed {
            // Invariant: `used` counts bytes of whole frames decoded from `inbox`.
            let rest = self.inbox.get(used..).unwrap_or_default();
            match frame::decode(rest) {
                Ok((message, len)) => {
                    used += len;
                    if let Err(fatal) = self.handle_message(now_ms, message, log) {
                        self.fail(fatal, false);
                    }
                }
                Err(FrameError::Incomplete { .. }) => break,
                Err(FrameError::TooLarge { len, max }) => {
                    let reason = format!("frame of {len} bytes announced; the limit is {max}");
                    self.fail(Fatal::new(CloseCode::TooLarge, reason), false);
                }
                Err(FrameError::Malformed(reason)) => {
                    self.fail(Fatal::new(CloseCode::Malformed, reason), false);
                }
            }
        }
        self.inbox.drain(..used);
    }

    /// Tells the machine the local log changed (an append, or events from another link), so
    /// that new events in scope are sent: this is live mode.
    pub fn handle_log_changed(&mut self, log: &dyn EventLog) {
        if self.phase != Phase::Open || !self.have_peer_heads {
            return;
        }
        if let Err(fatal) = self.plan_sends(log) {
            self.fail(fatal, false);
        }
    }

    /// The next frame to write to the peer, if any. Fills the pipeline from `log` while fewer
    /// than [`WINDOW_BATCHES`] batches are in flight.
    pub fn poll_transmit(&mut self, log: &dyn EventLog) -> Option<Vec<u8>> {
        if self.outbox.is_empty() && self.phase == Phase::Open && self.have_peer_heads {
            if let Err(fatal) = self.fill_window(log) {
                self.fail(fatal, false);
            }
        }
        let (is_ack, frame) = self.outbox.pop_front()?;
        if is_ack {
            self.acks_queued = self.acks_queued.saturating_sub(1);
        }
        self.stats.bytes_out += frame.len() as u64;
        Some(frame)
    }

    /// The next thing that happened, if any.
    pub fn poll_event(&mut self) -> Option<SyncEvent> {
        self.events.pop_front()
    }

    fn queue(&mut self, message: &Message) {
        let is_ack = matches!(message, Message::Ack(_));
        self.outbox.push_back((is_ack, frame::encode(message)));
    }

    fn fail(&mut self, fatal: Fatal, by_peer: bool) {
        if self.phase == Phase::Closed {
            return;
        }
        if !by_peer {
            self.queue(&Message::Close(Close {
                code: fatal.code as u16,
                reason: fatal.reason.clone(),
            }));
        }
        self.phase = Phase::Closed;
        self.events.push_back(SyncEvent::Closed {
            code: fatal.code as u16,
            reason: fatal.reason,
            by_peer,
        });
    }

    fn handle_message(
        &mut self,
        now_ms: u64,
        message: Message,
        log: &dyn EventLog,
    ) -> Result<(), Fatal> {
        match (self.phase, message) {
            (_, Message::Enroll(_) | Message::Enrolled(_)) => Err(Fatal::new(
                CloseCode::UnexpectedMessage,
                "enrollment messages belong to an enrollment connection, not to sync",
            )),
            (Phase::Greeting, Message::Hello(hello)) => self.handle_hello(hello, log),
            (Phase::Greeting, other) => Err(Fatal::new(
                CloseCode::UnexpectedMessage,
                format!("expected Hello first, got {}", name(&other)),
            )),
            (Phase::Open, Message::Heads(heads)) => self.handle_heads(heads, log),
            (Phase::Open, Message::Batch(batch)) => self.handle_batch(now_ms, batch, log),
            (Phase::Open, Message::Ack(ack)) => self.handle_ack(ack),
            (Phase::Open, Message::CaughtUp) => {
                self.peer_caught_up = true;
                self.check_caught_up();
                Ok(())
            }
            (_, Message::Close(close)) => {
                let code = close.code;
                self.phase = Phase::Closed;
                self.events.push_back(SyncEvent::Closed {
                    code,
                    reason: close.reason,
                    by_peer: true,
                });
                Ok(())
            }
            (Phase::Open, Message::Hello(_)) => Err(Fatal::new(
                CloseCode::UnexpectedMessage,
                "a second Hello on one connection",
            )),
            (Phase::Closed, _) => Ok(()),
        }
    }

    fn handle_hello(&mut self, hello: Hello, log: &dyn EventLog) -> Result<(), Fatal> {
        if hello.protocol != PROTOCOL_VERSION {
            return Err(Fatal::new(
                CloseCode::ProtocolVersion,
                format!(
                    "the peer speaks protocol version {}, this node speaks version {}",
                    hello.protocol, PROTOCOL_VERSION
                ),
            ));
        }
        if hello.schema_min > ENVELOPE || hello.schema_max < ENVELOPE {
            return Err(Fatal::new(
                CloseCode::SchemaRange,
                format!(
                    "the peer reads event envelope formats {}..={}, this node writes format {}",
                    hello.schema_min, hello.schema_max, ENVELOPE
                ),
            ));
        }
        if let Some(expected) = self.config.expected_peer {
            if hello.node != expected {
                return Err(Fatal::new(
                    CloseCode::UnexpectedPeer,
                    format!(
                        "the peer says it is node {}, but this link is pinned to {}",
                        hello.node.short(),
                        expected.short()
                    ),
                ));
            }
        }
        self.events.push_back(SyncEvent::Connected {
            peer: hello.node,
            unit: hello.unit.clone(),
        });
        self.peer = Some(hello);
        self.phase = Phase::Open;
        // What we hold of the chains we would accept: the peer sends what we lack.
        let heads = log.heads().map_err(storage)?;
        let chains: Vec<(ChainId, Seq)> = heads
            .into_iter()
            .filter(|(chain, _)| self.scope.may_receive(chain))
            .map(|(chain, head)| (chain, head.seq))
            .collect();
        if chains.len() > HEADS_CHAINS_MAX {
            return Err(Fatal::new(
                CloseCode::TooLarge,
                format!(
                    "{} chains to announce; the limit is {HEADS_CHAINS_MAX}",
                    chains.len()
                ),
            ));
        }
        self.queue(&Message::Heads(Heads { chains }));
        Ok(())
    }

    fn handle_heads(&mut self, heads: Heads, log: &dyn EventLog) -> Result<(), Fatal> {
        if self.have_peer_heads {
            return Err(Fatal::new(
                CloseCode::UnexpectedMessage,
                "a second Heads on one connection",
            ));
        }
        if heads.chains.len() > HEADS_CHAINS_MAX {
            return Err(Fatal::new(
                CloseCode::TooLarge,
                format!(
                    "{} chains announced; the limit is {HEADS_CHAINS_MAX}",
                    heads.chains.len()
                ),
            ));
        }
        self.have_peer_heads = true;
        self.peer_holds = heads.chains.into_iter().collect();
        self.plan_sends(log)
    }

    /// Adds to `to_send` every chain in scope where we hold more than the peer is known to.
    fn plan_sends(&mut self, log: &dyn EventLog) -> Result<(), Fatal> {
        for (chain, head) in log.heads().map_err(storage)? {
            if self.refused.contains(&chain) || !self.scope.may_send(&chain) {
                continue;
            }
            let peer_has = self.peer_holds.get(&chain).copied().unwrap_or(Seq(0));
            let next = self
                .to_send
                .get(&chain)
                .copied()
                .unwrap_or(peer_has.next())
                .max(peer_has.next());
            if head.seq >= next {
                self.to_send.insert(chain, next);
            }
        }
        self.check_backlog_done();
        Ok(())
    }

    /// Sends batches until the window is full or nothing is left.
    fn fill_window(&mut self, log: &dyn EventLog) -> Result<(), Fatal> {
        while self.in_flight.len() < WINDOW_BATCHES {
            // Our own chains first: a parent learns of the nodes we enrolled from them.
            let next = self
                .to_send
                .iter()
                .find(|(chain, _)| chain.origin == self.node)
                .or_else(|| self.to_send.iter().next())
                .map(|(chain, seq)| (chain.clone(), *seq));
            let Some((chain, from)) = next else {
                break;
            };
            let batch = log
                .batch_from(&chain, from, BATCH_EVENTS_TARGET, BATCH_BYTES_MAX)
                .map_err(storage)?;
            let Some(batch) = batch else {
                self.to_send.remove(&chain);
                continue;
            };
            let events = batch.events.len();
            let last = Seq(from.0 + events as u64 - 1);
            // Invariant: a Batch holds byte strings and seals, which always encode.
            let raw = rmp_serde::to_vec(&batch).expect("a batch encodes");
            if raw.len() > BATCH_BYTES_MAX {
                // Only a sealed stretch larger than the limit can get here; it cannot be sent.
                self.to_send.remove(&chain);
                self.refused.insert(chain);
                continue;
            }
            let compressed = zstd::bulk::compress(&raw, ZSTD_LEVEL)
                .map_err(|error| Fatal::new(CloseCode::Storage, error.to_string()))?;
            let id = self.next_batch;
            self.next_batch += 1;
            self.stats.events_sent += events as u64;
            self.stats.batch_bytes_raw += raw.len() as u64;
            self.stats.batch_bytes_compressed += compressed.len() as u64;
            self.in_flight.insert(
                id,
                InFlight {
                    chain: chain.clone(),
                    last,
                    events,
                    batch_hash: Hash::of(&raw),
                },
            );
            self.to_send.insert(chain, last.next());
            self.queue(&Message::Batch(BatchFrame {
                id,
                // Invariant: raw.len() <= BATCH_BYTES_MAX < u32::MAX.
                raw_bytes: u32::try_from(raw.len()).unwrap_or(u32::MAX),
                zstd: compressed,
            }));
        }
        self.check_backlog_done();
        Ok(())
    }

    fn handle_batch(
        &mut self,
        now_ms: u64,
        frame: BatchFrame,
        log: &dyn EventLog,
    ) -> Result<(), Fatal> {
        // A peer that ignores our acknowledgements' pace cannot make us queue without bound.
        if self.acks_queued >= 2 * WINDOW_BATCHES {
            return Err(Fatal::new(
                CloseCode::TooLarge,
                format!("more than {} batches unacknowledged", 2 * WINDOW_BATCHES),
            ));
        }
        let raw_bytes = frame.raw_bytes as usize;
        if raw_bytes > BATCH_BYTES_MAX {
            return Err(Fatal::new(
                CloseCode::TooLarge,
                format!("batch of {raw_bytes} bytes; the limit is {BATCH_BYTES_MAX}"),
            ));
        }
        // Decompression stops at the announced size, itself bounded: no zstd bomb.
        let raw = zstd::bulk::decompress(&frame.zstd, raw_bytes).map_err(|error| {
            Fatal::new(
                CloseCode::Malformed,
                format!("batch {} does not decompress: {error}", frame.id),
            )
        })?;
        if raw.len() != raw_bytes {
            return Err(Fatal::new(
                CloseCode::Malformed,
                format!("batch {} is not the announced size", frame.id),
            ));
        }
        let batch = decode_batch(&raw).map_err(|reason| {
            Fatal::new(
                CloseCode::Malformed,
                format!("batch {}: {reason}", frame.id),
            )
        })?;
        let scope = &self.scope;
        let report = match log.ingest_admitting(now_ms, &batch, &|chain| scope.may_receive(chain)) {
            Ok(report) => report,
            Err(IngestError::Store(error)) => return Err(storage(error)),
            // Over a count limit is too large, as PROTOCOL.md §4 says, not malformed.
            Err(error @ (IngestError::TooManyEvents { .. } | IngestError::TooManySeals { .. })) => {
                return Err(Fatal::new(
                    CloseCode::TooLarge,
                    format!("batch {}: {error}", frame.id),
                ));
            }
            Err(error) => {
                return Err(Fatal::new(
                    CloseCode::Malformed,
                    format!("batch {}: {error}", frame.id),
                ));
            }
        };
        // Invariant: Sync is Open, so the peer's hello was accepted.
        let peer = self
            .peer
            .as_ref()
            .map(|hello| hello.node)
            .unwrap_or(self.node);
        let body = ReceiptBody {
            receiver: self.node,
            sender: peer,
            batch: frame.id,
            batch_hash: Hash::of(&raw),
            heads: report
                .held
                .iter()
                .map(|(chain, head)| ChainHead {
                    chain: chain.clone(),
                    seq: head.seq,
                    hash: head.hash,
                })
                .collect(),
            received_ms: now_ms,
        };
        let refused: Vec<ChainRefusal> = report
            .refused
            .iter()
            .map(|refusal| ChainRefusal {
                chain: refusal.chain.clone(),
                code: refusal_code(&refusal.reason) as u16,
                reason: refusal.reason.to_string(),
            })
            .collect();
        // The peer holds what it just sent: never offer those events back to it.
        for (chain, head) in &report.held {
            let known = self.peer_holds.entry(chain.clone()).or_default();
            *known = (*known).max(head.seq);
        }
        self.stats.events_received += report.inserted.len() as u64;
        self.queue(&Message::Ack(Ack {
            id: frame.id,
            receipt: Receipt::sign(&self.config.signer, &body),
            refused: refused.clone(),
        }));
        self.acks_queued += 1;
        self.events.push_back(SyncEvent::Received {
            batch: frame.id,
            inserted: report.inserted.len(),
            duplicates: report.duplicates,
            refused,
            incidents: report.incidents.len(),
        });
        Ok(())
    }

    fn handle_ack(&mut self, ack: Ack) -> Result<(), Fatal> {
        let Some(sent) = self.in_flight.remove(&ack.id) else {
            return Err(Fatal::new(
                CloseCode::UnexpectedMessage,
                format!(
                    "acknowledgement of batch {}, which is not in flight",
                    ack.id
                ),
            ));
        };
        let body = ack.receipt.verify().map_err(|error| {
            Fatal::new(
                CloseCode::Malformed,
                format!("receipt for batch {}: {error}", ack.id),
            )
        })?;
        let peer = self.peer.as_ref().map(|hello| hello.node);
        if Some(body.receiver) != peer || body.batch != ack.id || body.batch_hash != sent.batch_hash
        {
            return Err(Fatal::new(
                CloseCode::Malformed,
                format!("the receipt for batch {} does not match the batch", ack.id),
            ));
        }
        for head in &body.heads {
            let known = self.peer_holds.entry(head.chain.clone()).or_default();
            *known = (*known).max(head.seq);
        }
        for refusal in &ack.refused {
            self.refused.insert(refusal.chain.clone());
            self.to_send.remove(&refusal.chain);
        }
        let delivered = if ack.refused.iter().any(|r| r.chain == sent.chain) {
            0
        } else {
            sent.events
        };
        debug_assert!(delivered == 0 || self.peer_holds.get(&sent.chain) >= Some(&sent.last));
        self.stats.events_delivered += delivered as u64;
        self.events.push_back(SyncEvent::Delivered {
            batch: ack.id,
            events: delivered,
            receipt: ack.receipt,
            refused: ack.refused,
        });
        self.check_backlog_done();
        Ok(())
    }

    /// Sends `CaughtUp` once the backlog planned from the peer's heads is acknowledged.
    fn check_backlog_done(&mut self) {
        if !self.sent_caught_up
            && self.have_peer_heads
            && self.in_flight.is_empty()
            && self.to_send.is_empty()
            && self.phase == Phase::Open
        {
            self.sent_caught_up = true;
            self.queue(&Message::CaughtUp);
            self.check_caught_up();
        }
    }

    fn check_caught_up(&mut self) {
        if self.sent_caught_up && self.peer_caught_up && !self.reported_caught_up {
            self.reported_caught_up = true;
            self.events.push_back(SyncEvent::CaughtUp);
        }
    }
}

fn decode_batch(raw: &[u8]) -> Result<Batch, String> {
    use serde::Deserialize;
    let mut rest = raw;
    let mut deserializer = rmp_serde::Deserializer::new(&mut rest);
    deserializer.set_max_depth(NESTING_DEPTH_MAX);
    let batch = Batch::deserialize(&mut deserializer).map_err(|error| error.to_string())?;
    if !rest.is_empty() {
        return Err(format!("{} bytes follow the batch", rest.len()));
    }
    Ok(batch)
}

fn storage(error: nhip_engine::StoreError) -> Fatal {
    Fatal::new(CloseCode::Storage, format!("storage failed: {error}"))
}

fn refusal_code(reason: &RefusalReason) -> RefusalCode {
    match reason {
        RefusalReason::NotAdmitted => RefusalCode::OutOfScope,
        RefusalReason::Gap { .. } => RefusalCode::Gap,
        RefusalReason::NotContiguous { .. }
        | RefusalReason::BrokenChain { .. }
        | RefusalReason::ClockNotIncreasing { .. } => RefusalCode::BrokenChain,
        RefusalReason::Unsealed { .. }
        | RefusalReason::SealMismatch { .. }
        | RefusalReason::BadSeal(_) => RefusalCode::BadSeal,
        RefusalReason::Equivocation { .. } => RefusalCode::Equivocation,
        RefusalReason::ClockAhead { .. } => RefusalCode::ClockAhead,
    }
}

fn name(message: &Message) -> &'static str {
    match message {
        Message::Hello(_) => "Hello",
        Message::Heads(_) => "Heads",
        Message::Batch(_) => "Batch",
        Message::Ack(_) => "Ack",
        Message::CaughtUp => "CaughtUp",
        Message::Close(_) => "Close",
        Message::Enroll(_) => "Enroll",
        Message::Enrolled(_) => "Enrolled",
    }
}
