//! The state the overview reads, kept up to date incrementally from the log, with the
//! per-unit summaries recounted only where events landed, and when each unit was last heard
//! from.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nhip_engine::body::{Decoded, Known};
use nhip_engine::state::{State, Summary};
use nhip_engine::{
    ChainId, Date, EventId, EventLog, Hash, Head, NodeId, Projector, Seq, StoredEvent, UnitId,
};

use crate::home::Home;
use crate::limits::{LIVE_READ_PAGE, STATE_TTL_MS, TALLY_EVENTS_MAX};
use crate::links::StatusBoard;

/// The state kept up to date incrementally (see [`Board::view`]), and what is derived from it.
struct Live {
    projector: Projector,
    /// The chain heads the projector has been shown.
    heads: BTreeMap<ChainId, Head>,
    /// Per unit, when its nodes were last heard from.
    last_seen: BTreeMap<UnitId, u64>,
    /// The summaries for one day, kept up to date unit by unit.
    tally: Option<Tally>,
    /// The state's hash, computed on first use after a change.
    hash: Option<Hash>,
    /// Equivocations recorded in the log.
    incidents: usize,
    generation: u64,
    at: Instant,
}

/// The rolled-up summaries for one day, recounted only where events landed.
///
/// An item event changes only its item, whose unit is its chain's unit: after such events
/// only those units' own counts are recounted, and the (cheap) roll-up redone. Any other
/// event (registry, workflows, indicators) can change outcomes anywhere: the tally is dropped
/// and counted afresh on next use.
struct Tally {
    today: Date,
    /// Each unit's items.
    items: BTreeMap<UnitId, Vec<EventId>>,
    /// Each unit's own counts.
    own: BTreeMap<UnitId, Summary>,
    /// The roll-up of `own`, with indicators.
    rolled: BTreeMap<UnitId, Summary>,
    /// Units to recount before the next read.
    touched: BTreeSet<UnitId>,
}

impl Tally {
    fn count(state: &State, today: Date) -> Tally {
        let mut items: BTreeMap<UnitId, Vec<EventId>> = BTreeMap::new();
        for (id, item) in &state.items {
            match items.get_mut(&item.unit) {
                Some(ids) => ids.push(*id),
                None => {
                    items.insert(item.unit.clone(), vec![*id]);
                }
            }
        }
        let own = state.own_summaries(today);
        let rolled = state.roll_up(&own);
        Tally {
            today,
            items,
            own,
            rolled,
            touched: BTreeSet::new(),
        }
    }

    /// Recounts the touched units.
    fn recount(&mut self, state: &State) {
        if self.touched.is_empty() {
            return;
        }
        for unit in std::mem::take(&mut self.touched) {
            let ids = self.items.get(&unit).map(Vec::as_slice).unwrap_or_default();
            let summary =
                state.own_summary(ids.iter().filter_map(|id| state.items.get(id)), self.today);
            if summary.items == 0 {
                self.own.remove(&unit);
            } else {
                self.own.insert(unit, summary);
            }
        }
        self.rolled = state.roll_up(&self.own);
    }

    /// Takes note of events just folded into `state`. Returns `false` when the tally can no
    /// longer be kept incrementally.
    fn observe(&mut self, state: &State, events: &[StoredEvent]) -> bool {
        for stored in events {
            let event = &stored.event;
            match Known::from_body(&event.body) {
                Decoded::Known(Known::ItemCreated(_)) => {
                    let ids = self.items.entry(event.unit.clone()).or_default();
                    if !ids.contains(&event.id) {
                        ids.push(event.id);
                    }
                }
                Decoded::Known(known) => match known.item() {
                    Some(item) => {
                        if let Some(found) = state.items.get(&item) {
                            self.touched.insert(found.unit.clone());
                        }
                    }
                    None => return false,
                },
                _ => return false,
            }
            self.touched.insert(event.unit.clone());
        }
        true
    }
}

/// What a handler reads, all from one consistent state.
pub(super) struct View<'a> {
    pub(super) state: &'a State,
    pub(super) incidents: usize,
    pub(super) last_seen: &'a BTreeMap<UnitId, u64>,
    tally: &'a mut Option<Tally>,
    pub(super) hash: &'a mut Option<Hash>,
}

impl View<'_> {
    /// The state's hash (cached until the state changes: it encodes the whole state).
    pub(super) fn state_hash(&mut self) -> Hash {
        *self.hash.get_or_insert_with(|| self.state.hash())
    }

    /// Every unit's rolled-up summary on `today`, equal to [`State::summaries`].
    pub(super) fn summaries(&mut self, today: Date) -> &BTreeMap<UnitId, Summary> {
        let tally = match self.tally.take() {
            Some(mut tally) if tally.today == today => {
                tally.recount(self.state);
                tally
            }
            _ => Tally::count(self.state, today),
        };
        &self.tally.insert(tally).rolled
    }
}

/// What the handlers share.
pub(super) struct Board {
    pub(super) home: Arc<Home>,
    pub(super) status: Arc<StatusBoard>,
    pub(super) changes: tokio::sync::watch::Receiver<u64>,
    live: Mutex<Option<Live>>,
}

impl Board {
    pub(super) fn new(
        home: Arc<Home>,
        status: Arc<StatusBoard>,
        changes: tokio::sync::watch::Receiver<u64>,
    ) -> Board {
        Board {
            home,
            status,
            changes,
            live: Mutex::new(None),
        }
    }

    /// Runs `read` on the state, brought up to date first when the log changed (or the last
    /// look aged). Requests are served one at a time against it; nothing is copied.
    ///
    /// Incremental: only the events past the heads seen last time are read and folded by a
    /// [`Projector`], which stays equal to a full replay (a late event that sorts earlier makes
    /// it rebuild once). The first call replays the whole log.
    pub(super) fn view<T>(&self, read: impl FnOnce(View<'_>) -> T) -> Result<T, String> {
        let generation = *self.changes.borrow();
        let mut guard = self.live.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = guard.as_ref().is_some_and(|live| {
            live.generation == generation && live.at.elapsed() < Duration::from_millis(STATE_TTL_MS)
        });
        if !fresh {
            *guard = Some(self.catch_up(guard.take(), generation)?);
        }
        let Some(live) = guard.as_mut() else {
            return Err("the dashboard's state is not available".into());
        };
        let Some(state) = live.projector.current() else {
            return Err("the dashboard's state is not available".into());
        };
        Ok(read(View {
            state,
            incidents: live.incidents,
            last_seen: &live.last_seen,
            tally: &mut live.tally,
            hash: &mut live.hash,
        }))
    }

    fn catch_up(&self, live: Option<Live>, generation: u64) -> Result<Live, String> {
        let log = self.home.log.as_ref();
        let heads = log.heads().map_err(|e| e.to_string())?;
        let (mut live, first) = match live {
            Some(live) => (live, false),
            // The first look replays the log once. Its heads were read first, so an event
            // stored in between is seen again next time, sorts early, and forces a rebuild:
            // never missed, never folded twice.
            None => {
                let live = Live {
                    projector: Projector::from_log(log).map_err(|e| e.to_string())?,
                    heads: heads.clone(),
                    last_seen: BTreeMap::new(),
                    tally: None,
                    hash: None,
                    incidents: 0,
                    generation,
                    at: Instant::now(),
                };
                (live, true)
            }
        };
        // Every chain's new events, folded at once: the projector sorts them, so events of
        // different chains interleaved in time do not force a rebuild.
        let mut fresh: Vec<StoredEvent> = Vec::new();
        for (chain, head) in &heads {
            let mut from = live
                .heads
                .get(chain)
                .map_or(Seq::FIRST, |seen| seen.seq.next());
            while from <= head.seq {
                let wanted = usize::try_from(head.seq.0 - from.0 + 1).unwrap_or(usize::MAX);
                let events = log
                    .read_chain(chain, from, wanted.min(LIVE_READ_PAGE))
                    .map_err(|e| e.to_string())?;
                let Some(last) = events.last() else { break };
                from = last.event.seq.next();
                fresh.extend(events);
            }
        }
        live.projector.observe(&fresh);
        // A rebuild scans the log as it is now, which may hold events stored after `heads`
        // was read and so missing from `fresh`: the tally cannot follow it unit by unit.
        let rebuilds = live.projector.is_stale();
        if !fresh.is_empty() || rebuilds || first {
            let state = live.projector.state(log).map_err(|e| e.to_string())?;
            live.last_seen = last_seen(&self.home, state, &heads);
            live.hash = None;
            let kept = !rebuilds
                && fresh.len() <= TALLY_EVENTS_MAX
                && live
                    .tally
                    .as_mut()
                    .is_some_and(|tally| tally.observe(state, &fresh));
            if !kept {
                live.tally = None;
            }
        }
        // Read here, not per request: an incident may be recorded without any new event.
        live.incidents = log.incidents().map_err(|e| e.to_string())?.len();
        live.heads = heads;
        live.generation = generation;
        live.at = Instant::now();
        Ok(live)
    }
}

/// When each unit was last heard from (writer's clock): the newest event written by a node of
/// its subtree, or by the node that holds its work — the nearest enrolled node at or above it.
/// A commune's committees and the villages its PC serves are as fresh as the commune's node; a
/// village with a node of its own is as fresh as that node, and unknown while it is silent.
fn last_seen(home: &Home, state: &State, heads: &BTreeMap<ChainId, Head>) -> BTreeMap<UnitId, u64> {
    let mut units: BTreeMap<NodeId, UnitId> = state.registry.nodes.clone();
    units.insert(home.node(), home.config.unit.clone());
    // The newest word from the nodes of each unit that has one.
    let mut own: BTreeMap<&UnitId, u64> = BTreeMap::new();
    for (chain, head) in heads {
        if let Some(unit) = units.get(&chain.origin) {
            let entry = own.entry(unit).or_default();
            *entry = (*entry).max(head.hlc.wall_ms);
        }
    }
    let with_node: BTreeSet<&UnitId> = units.values().collect();
    let mut seen: BTreeMap<UnitId, u64> = BTreeMap::new();
    let mut note = |unit: &UnitId, at: u64| {
        let entry = seen.entry(unit.clone()).or_default();
        *entry = (*entry).max(at);
    };
    for (unit, at) in &own {
        let mut current = Some((*unit).clone());
        while let Some(unit) = current {
            note(&unit, *at);
            current = unit.parent();
        }
    }
    for unit in state.registry.units.keys() {
        let mut current = Some(unit.clone());
        while let Some(holder) = current {
            if with_node.contains(&holder) {
                if let Some(at) = own.get(&holder) {
                    note(unit, *at);
                }
                break;
            }
            current = holder.parent();
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use nhip_engine::command::Command;
    use nhip_engine::{PersonId, replay};

    fn unit(path: &str) -> UnitId {
        UnitId::new(path).unwrap()
    }

    fn task(unit_path: &str, title: &str, deadline: Date) -> Command {
        Command::CreateItem {
            workflow: "task".into(),
            unit: unit(unit_path),
            title: title.into(),
            description: String::new(),
            lead_unit: None,
            coordinating: Vec::new(),
            assignee: Some(PersonId::new("admin").unwrap()),
            deadline: Some(deadline),
            parent: None,
            indicator: None,
        }
    }

    /// The summaries kept unit by unit equal a full count after every kind of change: new
    /// items, item events in several units, and a registry event (which drops the tally).
    #[test]
    fn the_tally_equals_a_full_count_as_events_arrive() {
        let dir = tempfile::tempdir().unwrap();
        let admin = PersonId::new("admin").unwrap();
        let home =
            Arc::new(Home::create(&dir.path().join("hub"), unit("tinh"), admin.clone()).unwrap());
        let act = |command| {
            home.act(&crate::account::Actor::unsigned(admin.clone()), command)
                .unwrap()
        };
        act(Command::AssignRole {
            person: admin.clone(),
            unit: unit("tinh"),
            role: "quan-tri".into(),
        });
        act(Command::AssignRole {
            person: admin.clone(),
            unit: unit("tinh"),
            role: "bi-thu".into(),
        });
        for path in ["tinh/a", "tinh/b", "tinh/a/x"] {
            act(Command::DefineUnit {
                unit: unit(path),
                name: path.into(),
                kind: "commune".into(),
            });
        }
        let today = Date::from_ymd(2026, 11, 28).unwrap();
        let first = act(task("tinh/a/x", "một", today.plus_days(-3)));
        act(task("tinh/b", "hai", today.plus_days(3)));

        let (changes, watch) = tokio::sync::watch::channel(0u64);
        let board = Board {
            home: home.clone(),
            status: Arc::new(StatusBoard::default()),
            changes: watch,
            live: Mutex::new(None),
        };
        let check = |step: &str| {
            let kept = board
                .view(|mut view| view.summaries(today).clone())
                .unwrap();
            let full = replay(home.log.as_ref()).unwrap().summaries(today);
            assert_eq!(kept, full, "after {step}");
            kept
        };
        let counted = check("the first look");
        assert_eq!(counted[&unit("tinh")].overdue, 1);

        // Item events only: the tally is kept and recounts the touched units.
        let second = act(task("tinh/a", "ba", today.plus_days(-1)));
        act(Command::Fire {
            item: first,
            transition: "start".into(),
            note: String::new(),
        });
        act(Command::Extend {
            item: first,
            deadline: today.plus_days(30),
            reason: "mưa lũ".into(),
        });
        changes.send_modify(|generation| *generation += 1);
        let counted = check("item events");
        assert!(board.live.lock().unwrap().as_ref().unwrap().tally.is_some());
        assert_eq!(
            counted[&unit("tinh/a")].overdue,
            1,
            "x was extended, the new task is late"
        );
        assert_eq!(counted[&unit("tinh/a")].by_state["in_progress"], 1);

        // A registry event: the tally is counted afresh, still equal.
        act(Command::DefineUnit {
            unit: unit("tinh/c"),
            name: "c".into(),
            kind: "commune".into(),
        });
        act(Command::Fire {
            item: second,
            transition: "cancel".into(),
            note: String::new(),
        });
        changes.send_modify(|generation| *generation += 1);
        let counted = check("a registry event");
        assert_eq!(counted[&unit("tinh")].overdue, 0);
        assert_eq!(counted[&unit("tinh")].by_state["cancelled"], 1);
    }
}
