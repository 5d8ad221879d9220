//! The event envelope and its canonical bytes.
//!
//! An event is encoded once, by its origin, as a MessagePack array (see ARCHITECTURE.md for the
//! field order). Those bytes are what the chain hash covers and what is stored and sent; they
//! are never re-encoded for a check. The body is carried as opaque bytes with a kind name and a
//! version, so that a node can keep, forward and count a body kind it does not know.

use std::io::Cursor;

use serde::{Deserialize, Serialize};

use crate::hlc::Hlc;
use crate::ids::{ChainId, EventId, Hash, NodeId, PersonId, Seq, UnitId};
use crate::limits::{BODY_KIND_BYTES_MAX, EVENT_BYTES_MAX};

/// The envelope format this version writes and reads. A different value is refused on decode.
pub const ENVELOPE_FORMAT: u8 = 1;

/// A versioned event body: a kind name (`task.created`), the version of that kind's schema, and
/// the kind's own MessagePack encoding.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Body {
    /// The kind name, such as `task.created`.
    pub kind: String,
    /// The version of the kind's schema the writer used.
    pub version: u16,
    /// The kind's own encoding; opaque to the envelope.
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

/// An event as its origin wrote it. Field order is the wire and storage order.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Event {
    /// Always [`ENVELOPE_FORMAT`] for events this version can read.
    pub format: u8,
    /// Globally unique id (UUID v7).
    pub id: EventId,
    /// The writing node's public key.
    pub origin: NodeId,
    /// Position in the chain `(origin, unit)`, gapless from 1.
    pub seq: Seq,
    /// Hash of the chain's previous event ([`Hash::ZERO`] for seq 1).
    pub prev: Hash,
    /// Hybrid logical clock stamp at the origin.
    pub hlc: Hlc,
    /// The person who acted.
    pub actor: PersonId,
    /// The org unit concerned; with `origin`, it names the event's chain.
    pub unit: UnitId,
    /// The item version the writer saw: the id of the last event on the item it had seen.
    pub seen: Option<EventId>,
    /// The versioned body.
    pub body: Body,
}

/// Why bytes are not an event this version can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// More bytes than any event may have.
    #[error("event is {len} bytes; at most {max} are allowed")]
    TooLarge {
        /// The length seen.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The bytes are not a MessagePack event envelope.
    #[error("not an event envelope: {0}")]
    Malformed(String),
    /// Bytes follow the envelope: the encoding is not canonical.
    #[error("{0} bytes follow the event envelope")]
    TrailingBytes(usize),
    /// The envelope format is one this version does not know.
    #[error("envelope format {found} is not known to this version (it reads {ENVELOPE_FORMAT})")]
    UnknownFormat {
        /// The format found.
        found: u8,
    },
    /// The body kind name is empty or too long.
    #[error("body kind name of {0} bytes is invalid")]
    BadKind(usize),
    /// The sequence number is 0.
    #[error("sequence number 0 is invalid; chains start at 1")]
    SeqZero,
}

impl Event {
    /// Encodes the event into its canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        // Invariant: every field type serializes infallibly into a Vec.
        rmp_serde::to_vec(self).expect("an event always encodes")
    }

    /// Decodes canonical bytes, refusing anything that is not exactly one well-formed envelope
    /// of a known format.
    pub fn decode(bytes: &[u8]) -> Result<Event, DecodeError> {
        if bytes.len() > EVENT_BYTES_MAX {
            return Err(DecodeError::TooLarge {
                len: bytes.len(),
                max: EVENT_BYTES_MAX,
            });
        }
        // The format byte is the envelope's first element: check it before trusting the shape,
        // so that a newer envelope is reported as such rather than as garbage.
        if let [0x90..=0x9f, format, ..] = bytes {
            if *format != ENVELOPE_FORMAT && *format < 0x80 {
                return Err(DecodeError::UnknownFormat { found: *format });
            }
        }
        let mut cursor = Cursor::new(bytes);
        let event: Event = rmp_serde::decode::from_read(&mut cursor)
            .map_err(|error| DecodeError::Malformed(error.to_string()))?;
        let consumed = usize::try_from(cursor.position()).unwrap_or(usize::MAX);
        if consumed != bytes.len() {
            return Err(DecodeError::TrailingBytes(
                bytes.len().saturating_sub(consumed),
            ));
        }
        if event.format != ENVELOPE_FORMAT {
            return Err(DecodeError::UnknownFormat {
                found: event.format,
            });
        }
        if event.body.kind.is_empty() || event.body.kind.len() > BODY_KIND_BYTES_MAX {
            return Err(DecodeError::BadKind(event.body.kind.len()));
        }
        if event.seq.0 == 0 {
            return Err(DecodeError::SeqZero);
        }
        Ok(event)
    }

    /// The chain this event belongs to.
    pub fn chain(&self) -> ChainId {
        ChainId {
            origin: self.origin,
            unit: self.unit.clone(),
        }
    }

    /// The key that places this event in the one total replay order.
    pub fn order_key(&self) -> OrderKey {
        OrderKey {
            hlc: self.hlc,
            origin: self.origin,
            unit: self.unit.clone(),
            seq: self.seq,
        }
    }
}

/// The total replay order: hybrid logical clock, then origin, unit and sequence number. Since a
/// writer's clock is above every stamp it had seen, this order respects causality.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct OrderKey {
    /// The event's clock stamp.
    pub hlc: Hlc,
    /// Its origin.
    pub origin: NodeId,
    /// The unit it concerns.
    pub unit: UnitId,
    /// Its place in its chain.
    pub seq: Seq,
}

/// What a local writer supplies for a new event; the log adds origin, seq, chain and clock.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Draft {
    /// A fresh UUID v7, made by the caller.
    pub id: EventId,
    /// The person acting.
    pub actor: PersonId,
    /// The unit concerned.
    pub unit: UnitId,
    /// The item version the writer saw.
    pub seen: Option<EventId>,
    /// The body.
    pub body: Body,
}

/// An event together with its canonical bytes and their hash, as stored.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct StoredEvent {
    /// The decoded envelope.
    pub event: Event,
    /// The exact bytes the origin hashed; never re-encoded.
    pub bytes: Vec<u8>,
    /// blake3 of `bytes`.
    pub hash: Hash,
}

impl StoredEvent {
    /// Decodes and hashes canonical bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<StoredEvent, DecodeError> {
        let event = Event::decode(&bytes)?;
        let hash = Hash::of(&bytes);
        Ok(StoredEvent { event, bytes, hash })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> Event {
        Event {
            format: ENVELOPE_FORMAT,
            id: EventId(uuid::Uuid::from_u128(7)),
            origin: NodeId([1; 32]),
            seq: Seq(3),
            prev: Hash([2; 32]),
            hlc: Hlc {
                wall_ms: 1_758_585_600_000,
                logical: 1,
            },
            actor: PersonId::new("ta-thi-dung").unwrap(),
            unit: UnitId::new("xa-binh-lu").unwrap(),
            seen: None,
            body: Body {
                kind: "task.comment".into(),
                version: 1,
                data: vec![0x90],
            },
        }
    }

    #[test]
    fn round_trips_exactly() {
        let event = sample();
        let bytes = event.encode();
        assert_eq!(Event::decode(&bytes).unwrap(), event);
        assert_eq!(Event::decode(&bytes).unwrap().encode(), bytes);
    }

    #[test]
    fn refuses_trailing_bytes_and_truncation() {
        let mut bytes = sample().encode();
        for len in 0..bytes.len() {
            assert!(
                Event::decode(&bytes[..len]).is_err(),
                "prefix {len} decoded"
            );
        }
        bytes.push(0);
        assert_eq!(Event::decode(&bytes), Err(DecodeError::TrailingBytes(1)));
    }

    #[test]
    fn refuses_an_unknown_envelope_format() {
        let mut event = sample();
        event.format = 2;
        assert_eq!(
            Event::decode(&event.encode()),
            Err(DecodeError::UnknownFormat { found: 2 })
        );
    }

    #[test]
    fn refuses_oversized_input_before_parsing() {
        let bytes = vec![0u8; EVENT_BYTES_MAX + 1];
        assert!(matches!(
            Event::decode(&bytes),
            Err(DecodeError::TooLarge { .. })
        ));
    }

    #[test]
    fn refuses_seq_zero_and_empty_kinds() {
        let mut event = sample();
        event.seq = Seq(0);
        assert_eq!(Event::decode(&event.encode()), Err(DecodeError::SeqZero));
        let mut event = sample();
        event.body.kind.clear();
        assert_eq!(Event::decode(&event.encode()), Err(DecodeError::BadKind(0)));
    }
}
