//! The messages of the sync protocol. Each travels as one frame (see [`crate::frame`]); the
//! MessagePack encoding of an enum is a one-entry map from the variant name to its fields, and
//! struct fields are arrays in declaration order. PROTOCOL.md is the normative description.

use nhip_engine::{ChainId, NodeId, Seq, UnitId};
use serde::{Deserialize, Serialize};

/// One protocol message.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum Message {
    /// The first message each side sends.
    Hello(Hello),
    /// The chains the sender holds and would accept from the receiver, with their heads.
    Heads(Heads),
    /// A compressed batch of events.
    Batch(BatchFrame),
    /// The receiver committed a batch durably (all of it, or all but refused chains).
    Ack(Ack),
    /// The sender has sent, and had acknowledged, everything it held that the peer lacked.
    CaughtUp,
    /// The sender is closing the connection; `code` says why.
    Close(Close),
    /// A new child redeems an invitation (the only message a not-yet-enrolled key may send).
    Enroll(Enroll),
    /// The parent's answer to [`Message::Enroll`].
    Enrolled(Enrolled),
}

/// A child redeems its one-time invitation.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Enroll {
    /// The invitation's secret.
    #[serde(with = "serde_bytes")]
    pub secret: [u8; 32],
    /// The unit the invitation is for.
    pub unit: UnitId,
}

/// Whether an enrollment succeeded.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Enrolled {
    /// Accepted or not.
    pub accepted: bool,
    /// Why not, in words.
    pub reason: String,
}

/// Who a node is and what it speaks.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Hello {
    /// [`crate::limits::PROTOCOL_VERSION`] of the sender.
    pub protocol: u32,
    /// The oldest event envelope format the sender reads (the field keeps its wire name; it is
    /// the events' format that peers exchange, never a storage layout).
    pub schema_min: u32,
    /// The newest event envelope format the sender reads and writes.
    pub schema_max: u32,
    /// The sender's node key (also its TLS identity).
    pub node: NodeId,
    /// The sender's unit.
    pub unit: UnitId,
}

/// Chain heads: "I hold these chains up to these sequence numbers".
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct Heads {
    /// Chains and their last held sequence number. Chains not listed are not held at all.
    pub chains: Vec<(ChainId, Seq)>,
}

/// A batch of one chain's events, compressed.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct BatchFrame {
    /// The sender's number for this batch, unique per connection, increasing.
    pub id: u64,
    /// Length of the uncompressed batch, at most [`crate::limits::BATCH_BYTES_MAX`].
    pub raw_bytes: u32,
    /// zstd of the MessagePack encoding of [`nhip_engine::Batch`].
    #[serde(with = "serde_bytes")]
    pub zstd: Vec<u8>,
}

/// The answer to a batch, sent only after the receiver's commit returned.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Ack {
    /// The batch answered.
    pub id: u64,
    /// The receiver's signed statement of what it now holds.
    pub receipt: crate::receipt::Receipt,
    /// Chains of the batch that were refused, nothing of them stored.
    pub refused: Vec<ChainRefusal>,
}

/// One refused chain of a batch.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ChainRefusal {
    /// The chain.
    pub chain: ChainId,
    /// Why, as a code (see [`RefusalCode`]).
    pub code: u16,
    /// A human-readable explanation.
    pub reason: String,
}

/// Why a chain of a batch was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u16)]
pub enum RefusalCode {
    /// The chain is not one this peer may send to the receiver (invariant 7).
    OutOfScope = 1,
    /// Sequence numbers skip ahead of what the receiver holds.
    Gap = 2,
    /// The chain's links, order or clock stamps are inconsistent.
    BrokenChain = 3,
    /// The chain's part is not sealed, or a seal does not verify.
    BadSeal = 4,
    /// The origin signed a different event under a held sequence number.
    Equivocation = 5,
    /// Clock stamps run too far ahead of the receiver's clock; retry later.
    ClockAhead = 6,
}

/// A connection ends.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Close {
    /// See [`CloseCode`].
    pub code: u16,
    /// A human-readable explanation.
    pub reason: String,
}

/// Why a connection was closed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u16)]
pub enum CloseCode {
    /// Normal end: the work is done.
    Done = 0,
    /// The peers speak different protocol versions.
    ProtocolVersion = 1,
    /// The peers share no storage schema.
    SchemaRange = 2,
    /// The peer is not the node it was expected to be.
    UnexpectedPeer = 3,
    /// A frame could not be decoded.
    Malformed = 4,
    /// A frame or batch exceeds a limit.
    TooLarge = 5,
    /// A message came at a point of the exchange where it has no meaning.
    UnexpectedMessage = 6,
    /// The receiver's storage failed; nothing was acknowledged.
    Storage = 7,
    /// The peer said nothing (no `Hello`) within the time allowed.
    Timeout = 8,
}

impl CloseCode {
    /// The code for a number, if it is one this version knows.
    pub fn from_u16(code: u16) -> Option<CloseCode> {
        Some(match code {
            0 => CloseCode::Done,
            1 => CloseCode::ProtocolVersion,
            2 => CloseCode::SchemaRange,
            3 => CloseCode::UnexpectedPeer,
            4 => CloseCode::Malformed,
            5 => CloseCode::TooLarge,
            6 => CloseCode::UnexpectedMessage,
            7 => CloseCode::Storage,
            8 => CloseCode::Timeout,
            _ => return None,
        })
    }
}
