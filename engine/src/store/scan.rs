//! The replay scan: every event of the log once, in replay order, as a k-way merge of
//! per-chain scans (stamps increase along a chain), with no secondary index.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::record::{chain_bounds, key_seq, parse_record};
use super::tables::chains_in;
use super::{CHAINS, EVENTS, storage};
use crate::event::Event;
use crate::hlc::Hlc;
use crate::ids::ChainId;
use crate::log::StoreError;
use crate::signature::Verdict;

/// Visits every event in `txn`'s snapshot in replay order; returns how many.
pub(super) fn in_replay_order(
    txn: &redb::ReadTransaction,
    visit: &mut dyn FnMut(&Event, &[u8], Verdict),
) -> Result<u64, StoreError> {
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
