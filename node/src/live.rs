//! The state a node keeps up to date as its log grows, so that a running node answers a
//! command at once instead of replaying its whole log for each one.
//!
//! Always equal to a full replay ([`nhip_engine::replay()`]): the events stored since the last
//! look are read chain by chain from the log and folded in replay order; an event that sorts
//! before one already folded (a late event from an office that was offline) cannot be folded in
//! place, and the state is then rebuilt by a full replay — a burst of late events costs one
//! rebuild, not one per event.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use nhip_engine::{ChainId, EventLog, Head, OrderKey, Seq, State, StoreError, StoredEvent};

use crate::limits::{LIVE_READ_PAGE, LIVE_RECHECK_MS};

/// See the module documentation.
#[derive(Default)]
pub struct LiveState {
    cached: Mutex<Option<Cached>>,
}

struct Cached {
    /// The commit generation seen when the heads were read, and when.
    looked: Option<(u64, std::time::Instant)>,
    /// The chain heads folded so far.
    heads: BTreeMap<ChainId, Head>,
    state: Arc<State>,
    /// The replay-order key of the last event folded.
    last: Option<OrderKey>,
}

impl LiveState {
    /// The state of `log` as it is now, where the commit feed stands at `generation` (bumped
    /// after every commit of this process): while it has not moved, the state is current and
    /// the log is not read at all — but at least every [`LIVE_RECHECK_MS`], in case something
    /// wrote without bumping it.
    pub fn state_at(&self, log: &dyn EventLog, generation: u64) -> Result<Arc<State>, StoreError> {
        {
            let cached = self.lock();
            if let Some(known) = cached.as_ref() {
                if known.looked.is_some_and(|(seen, at)| {
                    seen == generation
                        && at.elapsed() < std::time::Duration::from_millis(LIVE_RECHECK_MS)
                }) {
                    return Ok(known.state.clone());
                }
            }
        }
        let looked = std::time::Instant::now();
        let state = self.state(log)?;
        if let Some(known) = self.lock().as_mut() {
            known.looked = Some((generation, looked));
        }
        Ok(state)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Cached>> {
        self.cached
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The state of `log` as it is now.
    pub fn state(&self, log: &dyn EventLog) -> Result<Arc<State>, StoreError> {
        let mut cached = self.lock();
        // Heads first: an event stored during a rebuild is read again next time, sorts early
        // and forces another rebuild — never missed, never folded twice.
        let heads = log.heads()?;
        let fresh = match cached.as_mut() {
            Some(known) => Some(events_since(log, &known.heads, &heads)?),
            None => None,
        };
        let folded = match (cached.take(), fresh) {
            (Some(known), Some(fresh)) => fold(known, fresh, heads, log)?,
            _ => rebuild(log, heads)?,
        };
        let state = folded.state.clone();
        *cached = Some(folded);
        Ok(state)
    }
}

fn events_since(
    log: &dyn EventLog,
    known: &BTreeMap<ChainId, Head>,
    heads: &BTreeMap<ChainId, Head>,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut fresh = Vec::new();
    for (chain, head) in heads {
        let mut from = known.get(chain).map_or(Seq::FIRST, |seen| seen.seq.next());
        while from <= head.seq {
            let events = log.read_chain(chain, from, LIVE_READ_PAGE)?;
            let Some(last) = events.last() else { break };
            from = last.event.seq.next();
            fresh.extend(events);
        }
    }
    Ok(fresh)
}

fn fold(
    mut known: Cached,
    mut fresh: Vec<StoredEvent>,
    heads: BTreeMap<ChainId, Head>,
    log: &dyn EventLog,
) -> Result<Cached, StoreError> {
    fresh.sort_by_key(|stored| stored.event.order_key());
    let late = fresh.first().is_some_and(|first| {
        known
            .last
            .as_ref()
            .is_some_and(|last| first.event.order_key() <= *last)
    });
    if late {
        return rebuild(log, heads);
    }
    if let Some(newest) = fresh.last() {
        known.last = Some(newest.event.order_key());
        // Copies the state only if a reader still holds the previous one.
        let state = Arc::make_mut(&mut known.state);
        for stored in &fresh {
            state.apply(&stored.event);
        }
    }
    known.heads = heads;
    Ok(known)
}

fn rebuild(log: &dyn EventLog, heads: BTreeMap<ChainId, Head>) -> Result<Cached, StoreError> {
    let mut last = None;
    let mut state = State::default();
    log.scan(&mut |event, _, verdict| {
        last = Some(event.order_key());
        state.apply_stored(event, verdict);
    })?;
    Ok(Cached {
        looked: None,
        heads,
        state: Arc::new(state),
        last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nhip_engine::command::{self, Command};
    use nhip_engine::{EventId, MemoryLog, PersonId, UnitId, replay};

    fn key(seed: u8) -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
    }

    fn define(log: &MemoryLog, signer: u8, now: u64, unit: &str) {
        let state = replay(log).unwrap();
        let id = EventId(uuid::Uuid::from_u128(
            u128::from(now) << 64 | u128::from(signer),
        ));
        let draft = command::decide(
            &state,
            &PersonId::new("admin").unwrap(),
            id,
            now,
            Command::DefineUnit {
                unit: UnitId::new(unit).unwrap(),
                name: unit.into(),
                kind: "unit".into(),
            },
        )
        .unwrap();
        log.append(&key(signer), now, vec![draft]).unwrap();
    }

    #[test]
    fn it_equals_a_full_replay_as_events_arrive_in_order_and_late() {
        let mine = key(1);
        let log = MemoryLog::new(nhip_engine::node_id(&mine));
        let live = LiveState::default();
        assert_eq!(
            live.state(&log).unwrap().hash(),
            replay(&log).unwrap().hash()
        );
        define(&log, 1, 1_000, "tinh");
        let held = live.state(&log).unwrap();
        define(&log, 1, 2_000, "tinh/xa");
        // Folded in place, while an earlier reader keeps what it read.
        assert_eq!(
            live.state(&log).unwrap().hash(),
            replay(&log).unwrap().hash()
        );
        assert_ne!(held.hash(), replay(&log).unwrap().hash());
        // Another writer's event that sorts before the last one folded: a rebuild.
        let other_node = nhip_engine::node_id(&key(2));
        let other = MemoryLog::new(other_node);
        define(&other, 2, 1_500, "tinh/xa-khac");
        let chain = ChainId {
            origin: other_node,
            unit: UnitId::new("tinh/xa-khac").unwrap(),
        };
        let batch = other
            .batch_from(&chain, Seq::FIRST, 10, 1 << 20)
            .unwrap()
            .unwrap();
        log.ingest(3_000, &batch).unwrap();
        assert_eq!(
            live.state(&log).unwrap().hash(),
            replay(&log).unwrap().hash()
        );
    }
}
