//! Replay: folding a log into [`State`] in the one total order, from zero or incrementally.

use crate::event::{OrderKey, StoredEvent};
use crate::log::{EventLog, StoreError};
use crate::state::State;

/// Folds every event of `log` in replay order, from an empty state. A personal signature the
/// log verified when it stored the event is not verified again
/// ([`Verdict`](crate::signature::Verdict)).
pub fn replay(log: &dyn EventLog) -> Result<State, StoreError> {
    let mut state = State::default();
    log.scan(&mut |event, _, verdict| state.apply_stored(event, verdict))?;
    Ok(state)
}

/// [`replay`], verifying every personal signature again whatever the log kept: what an
/// auditor runs, trusting nothing but the events.
pub fn replay_verifying(log: &dyn EventLog) -> Result<State, StoreError> {
    let mut state = State::default();
    log.scan(&mut |event, _, _| state.apply(event))?;
    Ok(state)
}

/// Keeps a [`State`] up to date as events are stored, and equal to a full replay at all times.
///
/// Events that sort after everything applied so far are folded at once. An event that sorts
/// earlier (a late event from an office that was offline) cannot be folded in place, so the
/// state is marked stale and rebuilt from the log the next time it is read: a burst of late
/// events during a catch-up costs one rebuild, not one per event.
#[derive(Default)]
pub struct Projector {
    state: State,
    last: Option<OrderKey>,
    stale: bool,
}

impl Projector {
    /// A projector over an empty log.
    pub fn new() -> Projector {
        Projector::default()
    }

    /// A projector over `log` as it is now.
    pub fn from_log(log: &dyn EventLog) -> Result<Projector, StoreError> {
        let mut projector = Projector {
            stale: true,
            ..Projector::default()
        };
        projector.refresh(log)?;
        Ok(projector)
    }

    /// Tells the projector about events just stored in the log (in any order).
    pub fn observe(&mut self, events: &[StoredEvent]) {
        if self.stale {
            return;
        }
        let mut fresh: Vec<&StoredEvent> = events.iter().collect();
        fresh.sort_by_key(|stored| stored.event.order_key());
        for stored in fresh {
            let key = stored.event.order_key();
            if self.last.as_ref().is_some_and(|last| key <= *last) {
                self.stale = true;
                return;
            }
            self.state.apply(&stored.event);
            self.last = Some(key);
        }
    }

    /// The state as folded so far, unless a late event made it stale (then see
    /// [`Projector::state`]).
    pub fn current(&self) -> Option<&State> {
        (!self.stale).then_some(&self.state)
    }

    /// Whether the next read will rebuild from the log.
    pub fn is_stale(&self) -> bool {
        self.stale
    }

    /// The state, rebuilt from `log` first if a late event made it stale.
    pub fn state(&mut self, log: &dyn EventLog) -> Result<&State, StoreError> {
        self.refresh(log)?;
        Ok(&self.state)
    }

    fn refresh(&mut self, log: &dyn EventLog) -> Result<(), StoreError> {
        if !self.stale {
            return Ok(());
        }
        let mut state = State::default();
        let mut last = None;
        log.scan(&mut |event, _, verdict| {
            state.apply_stored(event, verdict);
            last = Some(event.order_key());
        })?;
        self.state = state;
        self.last = last;
        self.stale = false;
        Ok(())
    }
}
