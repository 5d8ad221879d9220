//! How events are keyed and stored: chain keys, event keys, and the record format (a tag, the
//! origin's seal signature if any, the canonical bytes). See the module documentation of
//! [`super`] for the layout.

use crate::event::StoredEvent;
use crate::ids::{ChainId, NodeId, Seq, UnitId};
use crate::log::StoreError;
use crate::signature::Verdict;

/// `origin ‖ unit ‖ 0x00`: the prefix of every key of one chain.
pub(super) fn chain_key(chain: &ChainId) -> Vec<u8> {
    let unit = chain.unit.as_str().as_bytes();
    let mut key = Vec::with_capacity(32 + unit.len() + 1 + 8);
    key.extend_from_slice(&chain.origin.0);
    key.extend_from_slice(unit);
    key.push(0);
    key
}

/// The key of `chain`'s event at `seq`.
pub(super) fn event_key(chain: &ChainId, seq: Seq) -> Vec<u8> {
    let mut key = chain_key(chain);
    key.extend_from_slice(&seq.0.to_be_bytes());
    key
}

/// The first and last possible keys of `chain`'s events.
pub(super) fn chain_bounds(chain: &ChainId) -> (Vec<u8>, Vec<u8>) {
    (event_key(chain, Seq(0)), event_key(chain, Seq(u64::MAX)))
}

/// Reads a chain key back.
pub(super) fn parse_chain_key(key: &[u8]) -> Option<ChainId> {
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
pub(super) fn key_seq(key: &[u8]) -> Seq {
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
pub(super) fn record_len(bytes: &[u8], signature: Option<&[u8; 64]>) -> usize {
    1 + signature.map_or(0, |signature| signature.len()) + bytes.len()
}

/// Writes an event's record into `out`, which is exactly [`record_len`] long.
pub(super) fn write_record(
    out: &mut [u8],
    bytes: &[u8],
    signature: Option<&[u8; 64]>,
    verdict: Verdict,
) {
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
pub(super) struct Record<'a> {
    pub(super) signature: Option<[u8; 64]>,
    pub(super) verdict: Verdict,
    pub(super) bytes: &'a [u8],
}

pub(super) fn parse_record<'a>(
    chain: &ChainId,
    seq: Seq,
    value: &'a [u8],
) -> Result<Record<'a>, StoreError> {
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

pub(super) fn decode_stored(
    chain: &ChainId,
    seq: Seq,
    bytes: &[u8],
) -> Result<StoredEvent, StoreError> {
    StoredEvent::from_bytes(bytes.to_vec()).map_err(|reason| StoreError::Damaged {
        chain: chain.clone(),
        seq,
        reason,
    })
}
