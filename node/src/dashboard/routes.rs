//! The overview's handlers: each parses its request, reads one consistent view of the state
//! off the async workers, and answers with the types of [`super::views`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State as Shared};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use nhip_engine::report::{self, Period, SubmissionStatus};
use nhip_engine::state::{State, Summary};
use nhip_engine::{Date, EventId, EventLog, UnitId};

use super::board::Board;
use super::views::{self, UnitRow};
use super::{Params, Refused, STALE_AFTER_MS, WORDS, answer, failed, off_the_workers, today};
use crate::app::views::named;
use crate::home::Home;
use crate::transport::now_ms;

pub(super) async fn overview(
    Shared(board): Shared<Arc<Board>>,
    Query(params): Query<Params>,
) -> Response {
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
                        light: views::light(summary, stale),
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

pub(super) async fn unit(
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

pub(super) async fn item(
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
        let unit = match board.view(|view| view.state.items.get(&id).map(|item| item.unit.clone()))
        {
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
            let history: Vec<views::HistoryEntry> = found
                .history
                .iter()
                .map(|entry| views::HistoryEntry::of(state, found, entry, &received, WORDS))
                .collect();
            let conflicts: Vec<views::ConflictEntry> = found
                .conflicts
                .iter()
                .map(|conflict| views::ConflictEntry::of(conflict, WORDS))
                .collect();
            let mut row = item_row(state, &id, found, today);
            row["history"] = serde_json::to_value(&history).unwrap_or_default();
            row["conflicts"] = serde_json::to_value(&conflicts).unwrap_or_default();
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

pub(super) async fn indicators(Shared(board): Shared<Arc<Board>>) -> Response {
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

pub(super) async fn conflicts(Shared(board): Shared<Arc<Board>>) -> Response {
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
                    "aspect": views::aspect_code(conflict.aspect),
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
pub(super) async fn reports(
    Shared(board): Shared<Arc<Board>>,
    Query(params): Query<Params>,
) -> Response {
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

pub(super) async fn state_hash(Shared(board): Shared<Arc<Board>>) -> Response {
    off_the_workers(move || {
        answer(board.view(|mut view| {
            let hash = view.state_hash();
            Json(serde_json::json!({ "events": view.state.events, "state_hash": hash }))
                .into_response()
        }))
    })
    .await
}

pub(super) async fn links(Shared(board): Shared<Arc<Board>>) -> Response {
    let links: BTreeMap<String, _> = board
        .status
        .snapshot()
        .into_iter()
        .map(|(node, status)| (node.to_hex(), status))
        .collect();
    Json(links).into_response()
}
