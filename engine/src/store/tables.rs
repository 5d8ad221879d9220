//! The tables of one write transaction, and the reads a chain check makes of them.

use redb::ReadableTable;

use super::record::{
    chain_bounds, chain_key, decode_stored, event_key, key_seq, parse_chain_key, parse_record,
    record_len, write_record,
};
use super::{ARRIVALS, CHAINS, EVENTS, INCIDENTS, storage};
use crate::chain::ChainView;
use crate::event::StoredEvent;
use crate::ids::{ChainId, Hash, NodeId, Seq, UnitId};
use crate::log::{Arrival, ArrivalRange, Head, Incident, StoreError};
use crate::seal::Seal;
use crate::signature::Verdict;

/// The head of `chain`: its last record.
pub(super) fn head_in(
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
pub(super) fn chains_in(
    chains: &impl ReadableTable<&'static [u8], ()>,
) -> Result<Vec<ChainId>, StoreError> {
    let mut out = Vec::new();
    for entry in chains.iter().map_err(storage)? {
        let (key, _) = entry.map_err(storage)?;
        out.push(
            parse_chain_key(key.value()).ok_or(StoreError::DamagedMeta { what: "chain list" })?,
        );
    }
    Ok(out)
}

/// The tables of one write transaction.
pub(super) struct WriteTables<'txn> {
    events: redb::Table<'txn, &'static [u8], &'static [u8]>,
    chains: redb::Table<'txn, &'static [u8], ()>,
    arrivals: redb::Table<'txn, u64, &'static [u8]>,
    incidents: redb::Table<'txn, [u8; 32], &'static [u8]>,
}

impl<'txn> WriteTables<'txn> {
    pub(super) fn open(txn: &'txn redb::WriteTransaction) -> Result<WriteTables<'txn>, StoreError> {
        Ok(WriteTables {
            events: txn.open_table(EVENTS).map_err(storage)?,
            chains: txn.open_table(CHAINS).map_err(storage)?,
            arrivals: txn.open_table(ARRIVALS).map_err(storage)?,
            incidents: txn.open_table(INCIDENTS).map_err(storage)?,
        })
    }

    /// Stores events with the seals over them; both in the order they were chained.
    pub(super) fn store(
        &mut self,
        events: &[StoredEvent],
        seals: &[Seal],
    ) -> Result<(), StoreError> {
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

    pub(super) fn record_arrival(
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

    pub(super) fn record_incident(&mut self, incident: &Incident) -> Result<(), StoreError> {
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
