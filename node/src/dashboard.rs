//! The hub's overview: a read-only JSON API (`/api/…`, docs/API.md) over the state of every
//! unit this node holds, which the office app's hub view draws ([`crate::app`], which also
//! decides who may read it).
//!
//! Every number comes with its freshness: a unit whose nodes have not been heard from for more
//! than [`STALE_AFTER_MS`] shows "unknown" rather than a reassuring zero.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State as Shared};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use nhip_engine::body::{Decoded, Known};
use nhip_engine::report::{self, Period, SubmissionStatus};
use nhip_engine::state::{State, Summary};
use nhip_engine::{
    ChainId, Date, EventId, EventLog, Hash, Head, NodeId, Projector, Seq, StoredEvent, UnitId,
};
use serde::Deserialize;

use crate::app::views::named;
use crate::home::Home;
pub use crate::limits::STALE_AFTER_MS;
use crate::limits::{LIVE_READ_PAGE, STATE_TTL_MS, TALLY_EVENTS_MAX};
use crate::links::StatusBoard;
use crate::texts::{Lang, Texts};
use crate::transport::now_ms;

/// The words of the API's rows (the page is in Vietnamese; the office app takes the language
/// from the person).
const WORDS: Texts = Texts(Lang::Vi);

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
struct View<'a> {
    state: &'a State,
    incidents: usize,
    last_seen: &'a BTreeMap<UnitId, u64>,
    tally: &'a mut Option<Tally>,
    hash: &'a mut Option<Hash>,
}

impl View<'_> {
    /// The state's hash (cached until the state changes: it encodes the whole state).
    fn state_hash(&mut self) -> Hash {
        *self.hash.get_or_insert_with(|| self.state.hash())
    }

    /// Every unit's rolled-up summary on `today`, equal to [`State::summaries`].
    fn summaries(&mut self, today: Date) -> &BTreeMap<UnitId, Summary> {
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
struct Board {
    home: Arc<Home>,
    status: Arc<StatusBoard>,
    changes: tokio::sync::watch::Receiver<u64>,
    live: Mutex<Option<Live>>,
}

impl Board {
    /// Runs `read` on the state, brought up to date first when the log changed (or the last
    /// look aged). Requests are served one at a time against it; nothing is copied.
    ///
    /// Incremental: only the events past the heads seen last time are read and folded by a
    /// [`Projector`], which stays equal to a full replay (a late event that sorts earlier makes
    /// it rebuild once). The first call replays the whole log.
    fn view<T>(&self, read: impl FnOnce(View<'_>) -> T) -> Result<T, String> {
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

/// The overview's routes, over `home`'s state; `status` tells how its links stand and
/// `changes` when its log grew.
pub(crate) fn api(
    home: Arc<Home>,
    status: Arc<StatusBoard>,
    changes: tokio::sync::watch::Receiver<u64>,
) -> Router {
    router(Arc::new(Board {
        home,
        status,
        changes,
        live: Mutex::new(None),
    }))
}

fn router(board: Arc<Board>) -> Router {
    Router::new()
        .route("/api/overview", get(overview))
        .route("/api/units/{*unit}", get(unit))
        .route("/api/items/{id}", get(item))
        .route("/api/indicators", get(indicators))
        .route("/api/conflicts", get(conflicts))
        .route("/api/reports", get(reports))
        .route("/api/state", get(state_hash))
        .route("/api/links", get(links))
        .route("/api/changes", get(changes))
        .with_state(board)
}

/// `GET /api/changes`: the change stream, so pages update without reloading.
async fn changes(Shared(board): Shared<Arc<Board>>) -> impl IntoResponse {
    crate::changes::stream(board.changes.clone())
}

#[derive(Deserialize)]
struct Params {
    today: Option<String>,
    period: Option<String>,
}

/// A refused request: its status and a short reason.
struct Refused(StatusCode, &'static str);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

/// The day overdue work is counted against: `?today=YYYY-MM-DD`, or the machine's date.
fn today(params: &Params) -> Result<Date, Refused> {
    match params.today.as_deref() {
        None => Ok(Date::from_unix_ms(now_ms())),
        Some(text) => Date::parse(text)
            .map_err(|_| Refused(StatusCode::BAD_REQUEST, "today must be a date, YYYY-MM-DD")),
    }
}

fn failed(error: String) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, error).into_response()
}

/// Runs a handler's work on a blocking thread: bringing the state up to date reads the log and
/// folds (the first look replays it whole), under the board's lock — never on the few async
/// workers that every other request needs.
async fn off_the_workers(work: impl FnOnce() -> Response + Send + 'static) -> Response {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|error| failed(error.to_string()))
}

/// A handler's response, or why the state could not be read.
fn answer(viewed: Result<Response, String>) -> Response {
    viewed.unwrap_or_else(failed)
}

fn light(summary: &nhip_engine::state::Summary, stale: bool) -> &'static str {
    if stale {
        "grey"
    } else if summary.overdue > 0 || summary.open_conflicts > 0 {
        "red"
    } else if summary.due_soon > 0 || summary.waiting_approval > 0 {
        "yellow"
    } else {
        "green"
    }
}

/// One unit's line in the overview.
#[derive(serde::Serialize)]
struct UnitRow<'a> {
    unit: &'a UnitId,
    name: &'a str,
    kind: Option<&'a str>,
    depth: usize,
    summary: &'a Summary,
    done: u64,
    last_seen_ms: Option<u64>,
    stale: bool,
    light: &'static str,
}

async fn overview(Shared(board): Shared<Arc<Board>>, Query(params): Query<Params>) -> Response {
    off_the_workers(move || {
        let today = match today(&params) {
            Ok(today) => today,
            Err(refused) => return refused.into_response(),
        };
        let root = &board.home.config.unit;
        let now = now_ms();
        let generation = *board.changes.borrow();
        let body = board.view(|mut view| {
            let empty = Summary::default();
            let (state, last_seen, incidents) = (view.state, view.last_seen, view.incidents);
            let summaries = view.summaries(today);
            let mut units: Vec<&UnitId> = state
                .registry
                .units
                .keys()
                .chain(summaries.keys())
                .filter(|unit| unit.is_within(root))
                .collect();
            units.sort();
            units.dedup();
            let mut rows: Vec<UnitRow<'_>> = units
                .into_iter()
                .map(|unit| {
                    let summary = summaries.get(unit).unwrap_or(&empty);
                    let seen = last_seen.get(unit).copied();
                    let stale = seen.is_none_or(|seen| now.saturating_sub(seen) > STALE_AFTER_MS)
                        && summary.items > 0;
                    let done = summary.done;
                    let registered = state.registry.units.get(unit);
                    UnitRow {
                        unit,
                        name: registered.map_or(unit.as_str(), |u| u.name.as_str()),
                        kind: registered.map(|u| u.kind.as_str()),
                        depth: unit.as_str().matches('/').count(),
                        summary,
                        done,
                        last_seen_ms: seen,
                        stale,
                        light: light(summary, stale),
                    }
                })
                .collect();
            // Stale and overdue first, then by conflicts, then by path.
            rows.sort_by(|a, b| {
                b.stale
                    .cmp(&a.stale)
                    .then(b.summary.overdue.cmp(&a.summary.overdue))
                    .then(b.summary.open_conflicts.cmp(&a.summary.open_conflicts))
                    .then(a.unit.cmp(b.unit))
            });
            serde_json::to_vec(&serde_json::json!({
                "generated_ms": now,
                "generation": generation,
                "today": today.to_string(),
                "unit": root,
                "unit_name": state.registry.units.get(root).map(|unit| &unit.name),
                "node": board.home.node(),
                "totals": summaries.get(root).unwrap_or(&empty),
                "incidents": incidents,
                "units": rows,
            }))
        });
        match body {
            Ok(Ok(body)) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
            Ok(Err(error)) => failed(error.to_string()),
            Err(error) => failed(error),
        }
    })
    .await
}

fn item_row(
    state: &State,
    id: &EventId,
    item: &nhip_engine::state::Item,
    today: Date,
) -> serde_json::Value {
    let definition = state.definition_of(item);
    serde_json::json!({
        "id": id,
        "title": item.title,
        "workflow": item.workflow,
        "state": item.state,
        "state_name": definition.and_then(|d| d.state(&item.state)).map(|s| s.name.clone()),
        "unit": item.unit,
        "lead_unit": item.lead_unit,
        "assignee": item.assignee,
        "deadline": item.deadline.map(|d| d.to_string()),
        "percent": item.percent,
        "overdue": definition.is_some_and(|d| item.is_overdue(d, today)),
        "due_soon": definition.is_some_and(|d| item.is_due_within(d, today, nhip_engine::limits::DUE_SOON_DAYS)),
        "waiting_for": definition.map(|d| item.waiting_for(d)).unwrap_or_default(),
        "open_conflicts": item.open_conflicts().count(),
    })
}

async fn unit(
    Shared(board): Shared<Arc<Board>>,
    Path(unit): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    off_the_workers(move || {
        let Ok(unit) = UnitId::new(unit.trim_matches('/')) else {
            return (StatusCode::BAD_REQUEST, "not a unit path").into_response();
        };
        let today = match today(&params) {
            Ok(today) => today,
            Err(refused) => return refused.into_response(),
        };
        answer(board.view(|view| {
            let state = view.state;
            let items: Vec<_> = state
                .items_within(&unit)
                .filter(|(_, item)| item.workflow != report::REPORT_WORKFLOW)
                .map(|(id, item)| item_row(state, id, item, today))
                .collect();
            Json(serde_json::json!({
                "unit": unit,
                "name": state.registry.units.get(&unit).map(|u| u.name.clone()),
                "summary": state.summary(&unit, today),
                "last_seen_ms": view.last_seen.get(&unit),
                "items": items,
            }))
            .into_response()
        }))
    })
    .await
}

async fn item(
    Shared(board): Shared<Arc<Board>>,
    Path(id): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    off_the_workers(move || {
        let Ok(id) = uuid::Uuid::parse_str(&id).map(EventId) else {
            return (StatusCode::BAD_REQUEST, "not an item id").into_response();
        };
        let today = match today(&params) {
            Ok(today) => today,
            Err(refused) => return refused.into_response(),
        };
        // Arrival times come from the log, read without holding the state.
        let unit = match board.view(|view| view.state.items.get(&id).map(|item| item.unit.clone())) {
            Ok(Some(unit)) => unit,
            Ok(None) => return (StatusCode::NOT_FOUND, "no such item").into_response(),
            Err(error) => return failed(error),
        };
        let received = received_times(&board.home, &unit);
        answer(board.view(|view| {
            let state = view.state;
            let Some(found) = state.items.get(&id) else {
                return (StatusCode::NOT_FOUND, "no such item").into_response();
            };
            let history: Vec<_> = found
                .history
                .iter()
                .map(|entry| {
                    serde_json::json!({
                        "event": entry.event,
                        "kind": entry.kind,
                        "actor": entry.actor,
                        "actor_name": state.registry.people.get(&entry.actor).map(|p| p.name.clone()),
                        "origin": entry.origin,
                        "written_ms": entry.written_ms,
                        "received_ms": received.get(&entry.event).copied().unwrap_or(entry.written_ms),
                        "summary": WORDS.detail(&named(state, found, &entry.detail)),
                        "detail": entry.detail,
                        "signed_by": entry.signed_by.map(|key| key.to_hex()),
                        "outcome": entry.outcome,
                    })
                })
                .collect();
            let mut row = item_row(state, &id, found, today);
            row["history"] = serde_json::Value::Array(history);
            row["conflicts"] = serde_json::to_value(&found.conflicts).unwrap_or_default();
            Json(row).into_response()
        }))
    })
    .await
}

/// When this node received the events of `unit`'s chains (local events: when written).
pub(crate) fn received_times(home: &Home, unit: &UnitId) -> BTreeMap<EventId, u64> {
    let mut received = BTreeMap::new();
    let mut position = 0;
    while let Ok(arrivals) = home.log.arrivals_after(position, 256) {
        let Some(last) = arrivals.last() else {
            break;
        };
        position = last.position;
        for arrival in &arrivals {
            for range in arrival
                .ranges
                .iter()
                .filter(|range| &range.chain.unit == unit)
            {
                let count = usize::try_from(range.last.0.saturating_sub(range.first.0))
                    .unwrap_or(usize::MAX)
                    .saturating_add(1);
                if let Ok(events) = home.log.read_chain(&range.chain, range.first, count) {
                    for stored in events {
                        received.insert(stored.event.id, arrival.received_ms);
                    }
                }
            }
        }
    }
    received
}

async fn indicators(Shared(board): Shared<Arc<Board>>) -> Response {
    off_the_workers(move || {
        answer(board.view(|view| {
            let state = view.state;
            let rows: Vec<_> = state
                .indicators
                .iter()
                .map(|(id, indicator)| {
                    serde_json::json!({
                        "id": id,
                        "name": indicator.name,
                        "unit": indicator.unit,
                        "measure": indicator.measure,
                        "period": indicator.period,
                        "target": indicator.target_milli as f64 / 1000.0,
                        "value": indicator.value_milli.map(|v| v as f64 / 1000.0),
                        "attainment": indicator.attainment_milli().map(|a| a as f64 / 1000.0),
                    })
                })
                .collect();
            Json(rows).into_response()
        }))
    })
    .await
}

async fn conflicts(Shared(board): Shared<Arc<Board>>) -> Response {
    off_the_workers(move || {
        answer(board.view(|view| {
            let state = view.state;
        let mut rows = Vec::new();
        for (id, item) in &state.items {
            for conflict in item.open_conflicts() {
                let summary = |event: &EventId| {
                    item.history
                        .iter()
                        .find(|entry| entry.event == *event)
                        .map(|entry| serde_json::json!({
                            "actor": entry.actor,
                            "actor_name": state.registry.people.get(&entry.actor).map(|person| &person.name),
                            "summary": WORDS.detail(&named(state, item, &entry.detail)),
                            "written_ms": entry.written_ms,
                        }))
                };
                rows.push(serde_json::json!({
                    "item": id,
                    "title": item.title,
                    "unit": item.unit,
                    "unit_name": state.registry.units.get(&item.unit).map(|unit| &unit.name),
                    "aspect": conflict.aspect,
                    "reason": WORDS.conflict_why(&conflict.why),
                    "stands": summary(&conflict.against),
                    "lost": summary(&conflict.event),
                }));
            }
        }
        Json(rows).into_response()
        }))
    })
    .await
}

/// Who below this node has submitted the report for a period (`?period=Q3-2025`; by default
/// the latest period anyone reported for, else the quarter before today's), who was late and
/// who has not: per unit, the status, the day of
/// the first submission and the days from the period's end to it.
async fn reports(Shared(board): Shared<Arc<Board>>, Query(params): Query<Params>) -> Response {
    off_the_workers(move || {
        let today = match today(&params) {
            Ok(today) => today,
            Err(refused) => return refused.into_response(),
        };
        let period = match params.period.as_deref() {
            Some(text) => match Period::parse(text) {
                Ok(period) => Some(period),
                Err(_) => {
                    return Refused(
                        StatusCode::BAD_REQUEST,
                        "period must be 2025-09, Q3-2025, 9T-2025, 2025 or 2025-07-01..2025-09-30",
                    )
                    .into_response();
                }
            },
            None => None,
        };
        let hub = board.home.config.unit.clone();
        answer(board.view(|view| {
            let state = view.state;
            let submitted: BTreeSet<(Date, String)> = state
                .items
                .values()
                .filter(|item| item.workflow == report::REPORT_WORKFLOW)
                .filter_map(|item| report::SubmissionNote::parse(&item.description))
                .filter_map(|note| Period::parse(&note.period).ok())
                .map(|period| (period.end, period.code()))
                .collect();
            // By default the latest period anyone has reported for, else the last quarter ended.
            let period = period.unwrap_or_else(|| {
                submitted
                    .last()
                    .and_then(|(_, code)| Period::parse(code).ok())
                    .unwrap_or_else(|| {
                        Period::quarter_of(Period::quarter_of(today).start.plus_days(-1))
                    })
            });
            let rows = report::submissions(state, &hub, &period, today);
            let mut periods = submitted;
            for known in [Period::quarter_of(today), period] {
                periods.insert((known.end, known.code()));
            }
            let count =
                |status: SubmissionStatus| rows.iter().filter(|r| r.status == status).count();
            Json(serde_json::json!({
                "period": period.code(),
                "start": period.start.to_string(),
                "end": period.end.to_string(),
                "due": period.due().to_string(),
                "counts": {
                    "submitted": count(SubmissionStatus::Submitted),
                    "late": count(SubmissionStatus::Late),
                    "missing": count(SubmissionStatus::Missing),
                    "not_yet_due": count(SubmissionStatus::NotYetDue),
                },
                "units": rows,
                "periods": periods.into_iter().rev().map(|(_, code)| code).collect::<Vec<_>>(),
            }))
            .into_response()
        }))
    })
    .await
}

async fn state_hash(Shared(board): Shared<Arc<Board>>) -> Response {
    off_the_workers(move || {
        answer(board.view(|mut view| {
            let hash = view.state_hash();
            Json(serde_json::json!({ "events": view.state.events, "state_hash": hash }))
                .into_response()
        }))
    })
    .await
}

async fn links(Shared(board): Shared<Arc<Board>>) -> Response {
    let links: BTreeMap<String, _> = board
        .status
        .snapshot()
        .into_iter()
        .map(|(node, status)| (node.to_hex(), status))
        .collect();
    Json(links).into_response()
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
