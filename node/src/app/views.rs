//! What the app's API answers: its own types, made from the state for a page, never the
//! hashed state itself — a change here moves no state hash, and the reverse. Names come with
//! every code (a page shows the name, the code only as a detail); facts are worded in the
//! reader's language by [`crate::texts`].

use std::collections::BTreeMap;

use nhip_engine::state::steps::{Steps, Why, Work};
use nhip_engine::state::{Detail, Item, Outcome, State};
use nhip_engine::{Date, EventId, PersonId, UnitId};
use serde::Serialize;

use crate::texts::Texts;

/// A person: code and name.
#[derive(Clone, Serialize)]
pub struct PersonRef {
    /// Their code.
    pub code: String,
    /// Their name (the code when the registry does not know them).
    pub name: String,
}

/// A unit: path and name.
#[derive(Clone, Serialize)]
pub struct UnitRef {
    /// Its path.
    pub path: String,
    /// Its name (the path when the registry does not know it).
    pub name: String,
}

/// `person` as a page shows them.
pub fn person(state: &State, person: &PersonId) -> PersonRef {
    PersonRef {
        code: person.to_string(),
        name: state
            .registry
            .people
            .get(person)
            .map_or_else(|| person.to_string(), |found| found.name.clone()),
    }
}

/// `unit` as a page shows it.
pub fn unit(state: &State, unit: &UnitId) -> UnitRef {
    UnitRef {
        path: unit.to_string(),
        name: state
            .registry
            .units
            .get(unit)
            .map_or_else(|| unit.to_string(), |found| found.name.clone()),
    }
}

/// One item in a list.
#[derive(Serialize)]
pub struct ItemRow {
    /// Its id.
    pub id: EventId,
    /// The work.
    pub title: String,
    /// Its workflow's code and name.
    pub workflow: String,
    /// Its workflow's display name.
    pub workflow_name: String,
    /// Its state's code.
    pub state: String,
    /// Its state's display name.
    pub state_name: String,
    /// The unit it concerns.
    pub unit: UnitRef,
    /// The lead unit.
    pub lead_unit: UnitRef,
    /// The coordinating units.
    pub coordinating: Vec<UnitRef>,
    /// The person responsible.
    pub assignee: Option<PersonRef>,
    /// Its deadline, `YYYY-MM-DD` (the page writes it as people read dates).
    pub deadline: Option<String>,
    /// Days until the deadline; negative: days late.
    pub days_left: Option<i32>,
    /// Past its deadline and open.
    pub overdue: bool,
    /// Due soon and open.
    pub due_soon: bool,
    /// Waiting for an approval.
    pub waiting: bool,
    /// In a final state.
    pub finished: bool,
    /// Last reported percent.
    pub percent: u8,
    /// Open conflicts.
    pub conflicts: usize,
}

/// `item` as a list row, on `today`.
pub fn item_row(state: &State, id: EventId, item: &Item, today: Date) -> ItemRow {
    let definition = state.definition_of(item);
    ItemRow {
        id,
        title: item.title.clone(),
        workflow: item.workflow.clone(),
        workflow_name: definition.map_or_else(|| item.workflow.clone(), |d| d.name.clone()),
        state: item.state.clone(),
        state_name: definition
            .and_then(|d| d.state(&item.state))
            .map_or_else(|| item.state.clone(), |s| s.name.clone()),
        unit: unit(state, &item.unit),
        lead_unit: unit(state, &item.lead_unit),
        coordinating: item.coordinating.iter().map(|u| unit(state, u)).collect(),
        assignee: item.assignee.as_ref().map(|p| person(state, p)),
        deadline: item.deadline.map(|d| d.to_string()),
        days_left: item.deadline.map(|d| today.days_until(d)),
        overdue: definition.is_some_and(|d| item.is_overdue(d, today)),
        due_soon: definition
            .is_some_and(|d| item.is_due_within(d, today, nhip_engine::limits::DUE_SOON_DAYS)),
        waiting: definition.is_some_and(|d| item.is_waiting(d)),
        finished: definition.is_some_and(|d| d.is_terminal(&item.state)),
        percent: item.percent,
        conflicts: item.open_conflicts().count(),
    }
}

/// One line of "my work".
#[derive(Serialize)]
pub struct WorkLine {
    /// The item.
    pub row: ItemRow,
    /// Why it is on the list, most pressing first.
    pub why: Vec<Why>,
}

/// A person's work, as lines.
pub fn work(state: &State, work: Vec<Work>, today: Date) -> Vec<WorkLine> {
    work.into_iter()
        .filter_map(|line| {
            let item = state.items.get(&line.item)?;
            Some(WorkLine {
                row: item_row(state, line.item, item, today),
                why: line.why,
            })
        })
        .collect()
}

/// One entry of an item's timeline.
#[derive(Serialize)]
pub struct EntryView {
    /// The event.
    pub event: EventId,
    /// Who acted.
    pub who: PersonRef,
    /// What it did, in words.
    pub what: String,
    /// `applied`, `conflict`, `late` or `refused`.
    pub outcome: &'static str,
    /// What became of it, in words (empty when applied).
    pub outcome_text: String,
    /// Written (the writer's clock, ms since the epoch).
    pub written_ms: u64,
    /// Received here (ms since the epoch).
    pub received_ms: u64,
    /// Signed by whom, in words; none when unsigned.
    pub signed: Option<String>,
}

/// One conflict on an item.
#[derive(Serialize)]
pub struct ConflictView {
    /// The event that lost.
    pub event: EventId,
    /// What both tried to change, and why this one lost, in words.
    pub text: String,
    /// Resolved already.
    pub resolved: bool,
}

/// One transition a person may (or may not) take.
#[derive(Serialize)]
pub struct StepView {
    /// Its code.
    pub transition: String,
    /// Its name.
    pub name: String,
    /// Decided by votes.
    pub vote: bool,
    /// The person may take it.
    pub allowed: bool,
    /// How they voted already.
    pub voted: Option<bool>,
    /// Who may, in words.
    pub who: String,
    /// The people who may.
    pub people: Vec<PersonRef>,
}

/// An item's page.
#[derive(Serialize)]
pub struct ItemPage {
    /// Its row.
    pub row: ItemRow,
    /// Details.
    pub description: String,
    /// Who created it.
    pub creator: PersonRef,
    /// The parent program: id and title.
    pub parent: Option<(EventId, String)>,
    /// The indicator it serves: code and name.
    pub indicator: Option<(String, String)>,
    /// Its timeline, oldest first.
    pub history: Vec<EntryView>,
    /// Its conflicts.
    pub conflicts: Vec<ConflictView>,
    /// What the reader may do.
    pub steps: Vec<StepView>,
    /// Report progress, comment.
    pub take_part: bool,
    /// Reassign.
    pub assign: bool,
    /// Extend the deadline.
    pub extend: bool,
    /// Resolve a conflict.
    pub resolve: bool,
}

/// What became of an event, as a code of the API: `applied`, `conflict`, `late` or `refused`.
pub(crate) fn outcome_code(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Applied => "applied",
        Outcome::Conflict => "conflict",
        Outcome::Late => "late",
        Outcome::Refused(_) => "refused",
    }
}

/// `detail` with the name a page shows for a transition's code.
pub(crate) fn named(state: &State, item: &Item, detail: &Detail) -> Detail {
    let mut detail = detail.clone();
    match &mut detail {
        Detail::Fired { transition, .. } | Detail::Voted { transition, .. } => {
            if let Some(found) = state
                .definition_of(item)
                .and_then(|definition| definition.transition(transition))
            {
                *transition = found.name.clone();
            }
        }
        _ => {}
    }
    detail
}

/// `item`'s page for a reader whose next steps are `steps`, in `texts`' language; `received`
/// says when this node received each event.
pub fn item_page(
    state: &State,
    id: EventId,
    item: &Item,
    steps: Steps,
    received: &BTreeMap<EventId, u64>,
    texts: Texts,
    today: Date,
) -> ItemPage {
    let history = item
        .history
        .iter()
        .map(|entry| EntryView {
            event: entry.event,
            who: person(state, &entry.actor),
            what: texts.detail(&named(state, item, &entry.detail)),
            outcome: outcome_code(&entry.outcome),
            outcome_text: match entry.outcome {
                Outcome::Applied => String::new(),
                ref other => texts.outcome(other),
            },
            written_ms: entry.written_ms,
            received_ms: received
                .get(&entry.event)
                .copied()
                .unwrap_or(entry.written_ms),
            signed: entry
                .signed_by
                .map(|key| texts.signed_by(&person(state, &entry.actor).name, &key.short())),
        })
        .collect();
    let conflicts = item
        .conflicts
        .iter()
        .map(|conflict| ConflictView {
            event: conflict.event,
            text: format!(
                "{}: {}",
                texts.aspect(conflict.aspect),
                texts.conflict_why(&conflict.why)
            ),
            resolved: conflict.resolved_by.is_some(),
        })
        .collect();
    ItemPage {
        row: item_row(state, id, item, today),
        description: item.description.clone(),
        creator: person(state, &item.creator),
        parent: item.parent.and_then(|parent| {
            state
                .items
                .get(&parent)
                .map(|found| (parent, found.title.clone()))
        }),
        indicator: item.indicator.as_ref().map(|code| {
            let name = state
                .indicators
                .get(code)
                .map_or_else(|| code.clone(), |found| found.name.clone());
            (code.clone(), name)
        }),
        history,
        conflicts,
        steps: steps
            .transitions
            .into_iter()
            .map(|step| StepView {
                who: texts.who(&step.who),
                people: step.people.iter().map(|p| person(state, p)).collect(),
                transition: step.transition,
                name: step.name,
                vote: step.vote,
                allowed: step.allowed,
                voted: step.voted,
            })
            .collect(),
        take_part: steps.take_part,
        assign: steps.assign,
        extend: steps.extend,
        resolve: steps.resolve,
    }
}

/// One week of progress, dates as `YYYY-MM-DD`: what the page's chart draws (the overview's
/// weeks and a report's alike).
#[derive(Serialize)]
pub struct WeekView {
    start: String,
    end: String,
    done: u32,
    overdue: u32,
}

impl WeekView {
    /// The week starting on `start` (seven days).
    pub fn of(start: Date, done: u32, overdue: u32) -> WeekView {
        WeekView {
            start: start.to_string(),
            end: start.plus_days(6).to_string(),
            done,
            overdue,
        }
    }
}
