//! The hub's dashboard: a JSON API (docs/API.md) and a page that needs no internet (everything
//! embedded), served by `nhip serve` (and `nhip demo`). Read-only.
//!
//! Every number comes with its freshness: a unit whose nodes have not been heard from for more
//! than [`STALE_AFTER_MS`] shows "unknown" rather than a reassuring zero.
//!
//! Access: bound to a loopback address, anyone on the machine may read. Bound elsewhere, every
//! request needs a token from the data folder's `tokens.toml` (`Authorization: Bearer …` or
//! `?token=…`); tokens are never logged.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State as Shared};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use nhip_engine::state::State;
use nhip_engine::{ChainId, Date, EventId, EventLog, Head, NodeId, Projector, Seq, UnitId};
use serde::Deserialize;

use crate::daemon::StatusBoard;
use crate::home::Home;
use crate::transport::now_ms;

/// A unit silent for longer than this (3 days) is stale: its counts read as unknown.
pub const STALE_AFTER_MS: u64 = 3 * 24 * 60 * 60 * 1000;

/// How long a computed state may be served before the log is looked at again.
const STATE_TTL: Duration = Duration::from_millis(1500);

const PAGE: &str = include_str!("dashboard.html");

/// The tokens file: who may read the dashboard from another machine.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Tokens {
    /// The tokens.
    #[serde(default, rename = "token")]
    pub tokens: Vec<Token>,
}

/// One token.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Token {
    /// The secret value.
    pub value: String,
    /// `staff` or `auditor` (both read-only today).
    pub role: String,
}

/// A replayed state and, per unit, when its nodes were last heard from.
type Snapshot = (Arc<State>, Arc<BTreeMap<UnitId, u64>>);

/// The state kept up to date incrementally (see [`Board::state`]).
struct Live {
    projector: Projector,
    /// The chain heads the projector has been shown.
    heads: BTreeMap<ChainId, Head>,
    generation: u64,
    at: Instant,
    snapshot: Snapshot,
}

/// What the handlers share.
struct Board {
    home: Arc<Home>,
    status: Arc<StatusBoard>,
    changes: tokio::sync::watch::Receiver<u64>,
    live: Mutex<Option<Live>>,
    tokens: Option<Vec<String>>,
}

/// Events read from a chain at a time while catching the projector up.
const READ_PAGE: usize = 4096;

impl Board {
    /// The state, brought up to date when the log changed (or the snapshot aged).
    ///
    /// Incremental: only the events past the heads seen last time are read and folded by a
    /// [`Projector`], which stays equal to a full replay (a late event that sorts earlier makes
    /// it rebuild once). The first call replays the whole log.
    fn state(&self) -> Result<Snapshot, String> {
        let generation = *self.changes.borrow();
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(live) = live.as_ref() {
            if live.generation == generation && live.at.elapsed() < STATE_TTL {
                return Ok(live.snapshot.clone());
            }
        }
        let log = self.home.log.as_ref();
        let heads = log.heads().map_err(|e| e.to_string())?;
        let (mut projector, seen) = match live.take() {
            Some(live) => (live.projector, live.heads),
            None => (Projector::new(), BTreeMap::new()),
        };
        for (chain, head) in &heads {
            let mut from = seen.get(chain).map_or(Seq::FIRST, |seen| seen.seq.next());
            while from <= head.seq {
                let wanted = usize::try_from(head.seq.0 - from.0 + 1).unwrap_or(usize::MAX);
                let events = log
                    .read_chain(chain, from, wanted.min(READ_PAGE))
                    .map_err(|e| e.to_string())?;
                let Some(last) = events.last() else { break };
                from = last.event.seq.next();
                projector.observe(&events);
            }
        }
        let state = Arc::new(projector.state(log).map_err(|e| e.to_string())?.clone());
        let snapshot = (
            state.clone(),
            Arc::new(last_seen(&self.home, &state, &heads)),
        );
        *live = Some(Live {
            projector,
            heads,
            generation,
            at: Instant::now(),
            snapshot: snapshot.clone(),
        });
        Ok(snapshot)
    }
}

/// The latest event written by a node of each unit's subtree (writer's clock), per unit.
fn last_seen(home: &Home, state: &State, heads: &BTreeMap<ChainId, Head>) -> BTreeMap<UnitId, u64> {
    let mut units: BTreeMap<NodeId, UnitId> = state.registry.nodes.clone();
    units.insert(home.node(), home.config.unit.clone());
    let mut seen: BTreeMap<UnitId, u64> = BTreeMap::new();
    for (chain, head) in heads {
        let Some(unit) = units.get(&chain.origin) else {
            continue;
        };
        let mut current = Some(unit.clone());
        while let Some(unit) = current {
            let entry = seen.entry(unit.clone()).or_default();
            *entry = (*entry).max(head.hlc.wall_ms);
            current = unit.parent();
        }
    }
    seen
}

/// Serves the dashboard on `addr` until `shutdown`.
pub async fn serve(
    addr: SocketAddr,
    home: Arc<Home>,
    status: Arc<StatusBoard>,
    changes: tokio::sync::watch::Receiver<u64>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<SocketAddr, String> {
    let tokens = if addr.ip().is_loopback() {
        None
    } else {
        let tokens: Tokens = crate::config::read_or_default(&home.dir.join("tokens.toml"))
            .map_err(|error| error.to_string())?;
        if tokens.tokens.is_empty() {
            return Err(
                "the dashboard listens beyond this machine: put tokens in tokens.toml first".into(),
            );
        }
        Some(tokens.tokens.into_iter().map(|token| token.value).collect())
    };
    let board = Arc::new(Board {
        home,
        status,
        changes,
        live: Mutex::new(None),
        tokens,
    });
    let app = router(board);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| format!("cannot listen on {addr}: {error}"))?;
    let local = listener.local_addr().map_err(|error| error.to_string())?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
    });
    Ok(local)
}

fn router(board: Arc<Board>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/overview", get(overview))
        .route("/api/units/{*unit}", get(unit))
        .route("/api/items/{id}", get(item))
        .route("/api/indicators", get(indicators))
        .route("/api/conflicts", get(conflicts))
        .route("/api/links", get(links))
        .with_state(board)
}

#[derive(Deserialize)]
struct Params {
    token: Option<String>,
    today: Option<String>,
}

/// A refused request: its status and a short reason.
struct Refused(StatusCode, &'static str);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

/// Checks the token when one is needed.
fn allowed(board: &Board, headers: &HeaderMap, params: &Params) -> Result<(), Refused> {
    let Some(tokens) = &board.tokens else {
        return Ok(());
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let offered = bearer.or(params.token.as_deref());
    if offered.is_some_and(|offered| tokens.iter().any(|token| token == offered)) {
        Ok(())
    } else {
        Err(Refused(
            StatusCode::UNAUTHORIZED,
            "a valid token is required",
        ))
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

async fn page(
    Shared(board): Shared<Arc<Board>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    if let Err(refused) = allowed(&board, &headers, &params) {
        return refused.into_response();
    }
    Html(PAGE).into_response()
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

async fn overview(
    Shared(board): Shared<Arc<Board>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    if let Err(refused) = allowed(&board, &headers, &params) {
        return refused.into_response();
    }
    let (state, last_seen) = match board.state() {
        Ok(found) => found,
        Err(error) => return failed(error),
    };
    let today = match today(&params) {
        Ok(today) => today,
        Err(refused) => return refused.into_response(),
    };
    let now = now_ms();
    let summaries = state.summaries(today);
    let root = board.home.config.unit.clone();
    let mut units: Vec<UnitId> = state
        .registry
        .units
        .keys()
        .chain(summaries.keys())
        .filter(|unit| unit.is_within(&root))
        .cloned()
        .collect();
    units.sort();
    units.dedup();
    let mut rows: Vec<serde_json::Value> = units
        .iter()
        .map(|unit| {
            let summary = summaries.get(unit).cloned().unwrap_or_default();
            let seen = last_seen.get(unit).copied();
            let stale = seen.is_none_or(|seen| now.saturating_sub(seen) > STALE_AFTER_MS)
                && summary.items > 0;
            let done = summary
                .by_state
                .iter()
                .filter(|(state, _)| {
                    ["done", "adopted", "approved", "answered", "closed"].contains(&state.as_str())
                })
                .map(|(_, count)| count)
                .sum::<u64>();
            serde_json::json!({
                "unit": unit,
                "name": state.registry.units.get(unit).map_or(unit.to_string(), |u| u.name.clone()),
                "kind": state.registry.units.get(unit).map(|u| u.kind.clone()),
                "depth": unit.as_str().matches('/').count(),
                "summary": summary,
                "done": done,
                "last_seen_ms": seen,
                "stale": stale,
                "light": light(&summary, stale),
            })
        })
        .collect();
    // Stale and overdue first, then by conflicts, then by name.
    rows.sort_by_key(|row| {
        (
            !row["stale"].as_bool().unwrap_or(false),
            std::cmp::Reverse(row["summary"]["overdue"].as_u64().unwrap_or(0)),
            std::cmp::Reverse(row["summary"]["open_conflicts"].as_u64().unwrap_or(0)),
            row["unit"].as_str().unwrap_or("").to_owned(),
        )
    });
    let incidents = board
        .home
        .log
        .incidents()
        .map(|found| found.len())
        .unwrap_or(0);
    Json(serde_json::json!({
        "generated_ms": now,
        "generation": *board.changes.borrow(),
        "today": today.to_string(),
        "unit": root,
        "node": board.home.node(),
        "state_hash": state.hash(),
        "totals": summaries.get(&board.home.config.unit).cloned().unwrap_or_default(),
        "incidents": incidents,
        "units": rows,
    }))
    .into_response()
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
        "due_soon": definition.is_some_and(|d| item.is_due_within(d, today, 7)),
        "waiting_for": definition.map(|d| item.waiting_for(d)).unwrap_or_default(),
        "open_conflicts": item.open_conflicts().count(),
    })
}

async fn unit(
    Shared(board): Shared<Arc<Board>>,
    headers: HeaderMap,
    Path(unit): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    if let Err(refused) = allowed(&board, &headers, &params) {
        return refused.into_response();
    }
    let Ok(unit) = UnitId::new(unit.trim_matches('/')) else {
        return (StatusCode::BAD_REQUEST, "not a unit path").into_response();
    };
    let (state, last_seen) = match board.state() {
        Ok(found) => found,
        Err(error) => return failed(error),
    };
    let today = match today(&params) {
        Ok(today) => today,
        Err(refused) => return refused.into_response(),
    };
    let items: Vec<_> = state
        .items_within(&unit)
        .map(|(id, item)| item_row(&state, id, item, today))
        .collect();
    Json(serde_json::json!({
        "unit": unit,
        "name": state.registry.units.get(&unit).map(|u| u.name.clone()),
        "summary": state.summary(&unit, today),
        "last_seen_ms": last_seen.get(&unit),
        "items": items,
    }))
    .into_response()
}

async fn item(
    Shared(board): Shared<Arc<Board>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    if let Err(refused) = allowed(&board, &headers, &params) {
        return refused.into_response();
    }
    let (state, _) = match board.state() {
        Ok(found) => found,
        Err(error) => return failed(error),
    };
    let Ok(id) = uuid::Uuid::parse_str(&id).map(EventId) else {
        return (StatusCode::BAD_REQUEST, "not an item id").into_response();
    };
    let Some(found) = state.items.get(&id) else {
        return (StatusCode::NOT_FOUND, "no such item").into_response();
    };
    let received = received_times(&board.home, &found.unit);
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
                "summary": entry.summary,
                "outcome": entry.outcome,
            })
        })
        .collect();
    let today = match today(&params) {
        Ok(today) => today,
        Err(refused) => return refused.into_response(),
    };
    let mut row = item_row(&state, &id, found, today);
    row["history"] = serde_json::Value::Array(history);
    row["conflicts"] = serde_json::to_value(&found.conflicts).unwrap_or_default();
    Json(row).into_response()
}

/// When this node received the events of `unit`'s chains (local events: when written).
fn received_times(home: &Home, unit: &UnitId) -> BTreeMap<EventId, u64> {
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
                let count = (range.last.0 - range.first.0 + 1) as usize;
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

async fn indicators(
    Shared(board): Shared<Arc<Board>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    if let Err(refused) = allowed(&board, &headers, &params) {
        return refused.into_response();
    }
    let (state, _) = match board.state() {
        Ok(found) => found,
        Err(error) => return failed(error),
    };
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
}

async fn conflicts(
    Shared(board): Shared<Arc<Board>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    if let Err(refused) = allowed(&board, &headers, &params) {
        return refused.into_response();
    }
    let (state, _) = match board.state() {
        Ok(found) => found,
        Err(error) => return failed(error),
    };
    let mut rows = Vec::new();
    for (id, item) in &state.items {
        for conflict in item.open_conflicts() {
            let summary = |event: &EventId| {
                item.history
                    .iter()
                    .find(|entry| entry.event == *event)
                    .map(|entry| serde_json::json!({"actor": entry.actor, "summary": entry.summary, "written_ms": entry.written_ms}))
            };
            rows.push(serde_json::json!({
                "item": id,
                "title": item.title,
                "unit": item.unit,
                "aspect": conflict.aspect,
                "reason": conflict.reason,
                "stands": summary(&conflict.against),
                "lost": summary(&conflict.event),
            }));
        }
    }
    Json(rows).into_response()
}

async fn links(
    Shared(board): Shared<Arc<Board>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    if let Err(refused) = allowed(&board, &headers, &params) {
        return refused.into_response();
    }
    let links: BTreeMap<String, _> = board
        .status
        .snapshot()
        .into_iter()
        .map(|(node, status)| (node.to_hex(), status))
        .collect();
    Json(links).into_response()
}
