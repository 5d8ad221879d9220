//! The typed report: its rows (tasks, documents, petitions, inspections, indicators,
//! conflicts), the roll-up per sub-unit, the weekly series and the counts.

use serde::Serialize;

use super::as_text;
use super::period::Period;
use crate::date::Date;
use crate::ids::{EventId, UnitId};

/// One extension of a deadline.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Extension {
    /// The day it was written.
    #[serde(serialize_with = "as_text::date")]
    pub on: Date,
    /// The new deadline.
    #[serde(serialize_with = "as_text::date")]
    pub deadline: Date,
    /// Why.
    pub reason: String,
}

/// One item as the report shows it (the appendix's columns and what is derived from them).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Row {
    /// The item.
    pub id: EventId,
    /// Its workflow.
    pub workflow: String,
    /// The unit it belongs to.
    pub unit: UnitId,
    /// That unit's name.
    pub unit_name: String,
    /// The work.
    pub title: String,
    /// The person responsible, by name.
    pub assignee: String,
    /// The lead unit, by name.
    pub lead_unit: String,
    /// The coordinating units, by name.
    pub coordinating: Vec<String>,
    /// The deadline.
    #[serde(serialize_with = "as_text::option")]
    pub deadline: Option<Date>,
    /// The state's code.
    pub state: String,
    /// The state's name.
    pub state_name: String,
    /// Whether the state is final.
    pub finished: bool,
    /// Last reported percent.
    pub percent: u8,
    /// The last note (progress, transition, comment) and its day.
    #[serde(serialize_with = "as_text::note")]
    pub last_note: Option<(Date, String)>,
    /// The day it was created.
    #[serde(serialize_with = "as_text::date")]
    pub created: Date,
    /// The day it entered a final state, if it has.
    #[serde(serialize_with = "as_text::option")]
    pub finished_on: Option<Date>,
    /// Days past the deadline at the report's reference day (unfinished items only).
    pub days_late: Option<i32>,
    /// Extensions, oldest first.
    pub extensions: Vec<Extension>,
    /// Waiting for an approval.
    pub waiting: bool,
    /// Yes and no votes applied.
    pub votes: (u32, u32),
}

impl Row {
    /// Done (the task's `done`, the document's `adopted`, the petition's `answered`...) in the
    /// period: entered a final state that is not a cancellation.
    pub fn done_in(&self, period: &Period) -> bool {
        self.finished
            && !matches!(self.state.as_str(), "cancelled" | "withdrawn")
            && self.finished_on.is_some_and(|day| period.contains(day))
    }
}

/// How a petition stands against its legal limit.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub enum PetitionStatus {
    /// Answered (or transferred) by the deadline.
    AnsweredInTime,
    /// Answered after the deadline.
    AnsweredLate,
    /// Open, still within the limit.
    Open,
    /// Open past the limit.
    OpenLate,
}

/// An indicator line.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct IndicatorRow {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Unit of measure.
    pub measure: String,
    /// The owning unit's name.
    pub unit_name: String,
    /// The period it is set for.
    pub period: String,
    /// Target, thousandths.
    pub target_milli: i64,
    /// Latest value, thousandths.
    pub value_milli: Option<i64>,
    /// Attainment, thousandths of the target.
    pub attainment_milli: Option<i64>,
}

/// An open conflict.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct ConflictRow {
    /// The item's title.
    pub title: String,
    /// The item's unit, by name.
    pub unit_name: String,
    /// What both tried to change.
    pub aspect: crate::state::Aspect,
    /// The day the losing event was written.
    #[serde(serialize_with = "as_text::date")]
    pub on: Date,
}

/// One sub-unit's counts.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize)]
pub struct RollupRow {
    /// The sub-unit (the unit itself for its own items).
    pub unit: Option<UnitId>,
    /// Its name.
    pub name: String,
    /// Tasks in the report.
    pub tasks: u32,
    /// Tasks done in the period.
    pub done: u32,
    /// Tasks overdue.
    pub overdue: u32,
    /// Items waiting for approval.
    pub waiting: u32,
    /// Petitions received in the period.
    pub petitions: u32,
    /// Open conflicts.
    pub conflicts: u32,
}

/// One week of the progress chart.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub struct Week {
    /// Its first day.
    #[serde(serialize_with = "as_text::date")]
    pub start: Date,
    /// Tasks done that week.
    pub done: u32,
    /// Tasks overdue at the end of that week.
    pub overdue: u32,
}

/// Counts for the narrative.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize)]
pub struct Counts {
    /// Tasks in the report.
    pub tasks: u32,
    /// Done in the period.
    pub done: u32,
    /// Overdue now.
    pub overdue: u32,
    /// Extended at least once.
    pub extended: u32,
    /// Waiting for approval.
    pub waiting: u32,
    /// Documents adopted in the period.
    pub adopted: u32,
    /// Petitions received in the period.
    pub petitions_received: u32,
    /// Answered in time.
    pub petitions_in_time: u32,
    /// Answered late.
    pub petitions_late: u32,
    /// Open past the limit.
    pub petitions_open_late: u32,
    /// Inspection follow-ups open.
    pub inspections_open: u32,
    /// Indicators met (attainment ≥ 100%).
    pub indicators_met: u32,
    /// Indicators in all.
    pub indicators: u32,
    /// Open conflicts.
    pub conflicts: u32,
}

/// The report: everything the spreadsheet and the document show.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Report {
    /// The unit.
    pub unit: UnitId,
    /// Its name.
    pub unit_name: String,
    /// The unit above, by name (the recipient).
    pub parent_name: Option<String>,
    /// The period.
    pub period: Period,
    /// The as-of date: the events known by its end are in the report.
    #[serde(serialize_with = "as_text::date")]
    pub as_of: Date,
    /// The day overdue is counted at: the period's end, or the as-of date if earlier.
    #[serde(serialize_with = "as_text::date")]
    pub reference: Date,
    /// Events folded.
    pub events: u64,
    /// The state hash of that fold: left empty by [`build`](super::build) — hashing a province's state costs
    /// as much as building its report — for the caller to set, which may do both at once.
    pub state_hash: String,
    /// Tasks active in the period (open at its start, or created in it).
    pub tasks: Vec<Row>,
    /// Documents and budgets.
    pub documents: Vec<Row>,
    /// Petitions, with their status.
    pub petitions: Vec<(Row, PetitionStatus)>,
    /// Inspection follow-ups.
    pub inspections: Vec<Row>,
    /// Indicators.
    pub indicators: Vec<IndicatorRow>,
    /// Open conflicts.
    pub conflicts: Vec<ConflictRow>,
    /// Per sub-unit.
    pub rollup: Vec<RollupRow>,
    /// Done and overdue per week.
    pub weeks: Vec<Week>,
    /// The counts.
    pub counts: Counts,
}

impl Report {
    /// Tasks done in the period.
    pub fn done(&self) -> impl Iterator<Item = &Row> {
        self.tasks.iter().filter(|row| row.done_in(&self.period))
    }

    /// Tasks overdue at the reference day, most late first.
    pub fn overdue(&self) -> Vec<&Row> {
        let mut rows: Vec<&Row> = self
            .tasks
            .iter()
            .filter(|row| row.days_late.is_some())
            .collect();
        rows.sort_by_key(|row| std::cmp::Reverse(row.days_late));
        rows
    }

    /// Items whose deadline was extended.
    pub fn extended(&self) -> impl Iterator<Item = &Row> {
        self.tasks
            .iter()
            .chain(self.inspections.iter())
            .filter(|row| !row.extensions.is_empty())
    }

    /// Items waiting for an approval.
    pub fn waiting(&self) -> impl Iterator<Item = &Row> {
        self.tasks
            .iter()
            .chain(self.documents.iter())
            .filter(|row| row.waiting)
    }
}
