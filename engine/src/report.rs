//! The periodic report upward, as a typed value: which items go in which section, the counts,
//! days late, extensions, attainment, the roll-up per sub-unit and the weekly series — and the
//! submission status of reports (submitted, late, missing) that the level above looks at.
//!
//! Pure: the state (folded from the events known at the as-of date; each item's history holds
//! its extensions, notes and votes), the unit, the period and the as-of date go in; a
//! [`Report`] comes out. Rendering it (spreadsheet, document, chart) is the shell's business.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::date::Date;
use crate::ids::{EventId, UnitId};
use crate::limits::{REPORT_DUE_DAYS, REPORT_PERIOD_DAYS_MAX, REPORT_WEEKS_MAX};
use crate::state::{Detail, Item, Outcome, State};

/// Dates in a report's JSON read as `2025-12-31`, not as day numbers.
mod as_text {
    use serde::Serializer;

    use crate::date::Date;

    pub fn date<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(date)
    }

    pub fn option<S: Serializer>(date: &Option<Date>, serializer: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(date) => serializer.collect_str(date),
            None => serializer.serialize_none(),
        }
    }

    pub fn note<S: Serializer>(
        note: &Option<(Date, String)>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match note {
            Some((date, text)) => serializer.collect_seq([date.to_string(), text.clone()].iter()),
            None => serializer.serialize_none(),
        }
    }
}

/// The id of the built-in workflow a submitted report travels under.
pub const REPORT_WORKFLOW: &str = "report";

/// What kind of period a report covers.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub enum PeriodKind {
    /// One month (`2025-09`).
    Month,
    /// A quarter (`Q3-2025`).
    Quarter,
    /// The first nine months of a year (`9T-2025`).
    NineMonths,
    /// A whole year (`2025`).
    Year,
    /// Any two dates (`2025-07-01..2025-09-30`).
    Range,
}

/// A reporting period: its kind, the number in its year (month or quarter) and its first and
/// last day, both included.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub struct Period {
    /// Its kind.
    pub kind: PeriodKind,
    /// The year (of the end, for a range).
    pub year: i32,
    /// The month (1–12) or quarter (1–4); 0 otherwise.
    pub number: u32,
    /// The first day.
    #[serde(serialize_with = "as_text::date")]
    pub start: Date,
    /// The last day.
    #[serde(serialize_with = "as_text::date")]
    pub end: Date,
}

/// Why text is not a period.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum PeriodError {
    /// None of the accepted shapes.
    #[error(
        "{0:?} is not a period; write 2025-09, Q3-2025, 9T-2025, 2025 or 2025-07-01..2025-09-30"
    )]
    Shape(String),
    /// A range whose end comes before its start.
    #[error("the period ends ({end}) before it starts ({start})")]
    EndsBeforeStart {
        /// The first day given.
        start: Date,
        /// The last day given.
        end: Date,
    },
    /// A range longer than the limit.
    #[error("the period is longer than {REPORT_PERIOD_DAYS_MAX} days")]
    TooLong,
}

impl Period {
    /// One month.
    pub fn month(year: i32, month: u32) -> Option<Period> {
        let start = Date::from_ymd(year, month, 1)?;
        let next = if month == 12 {
            Date::from_ymd(year + 1, 1, 1)?
        } else {
            Date::from_ymd(year, month + 1, 1)?
        };
        Some(Period {
            kind: PeriodKind::Month,
            year,
            number: month,
            start,
            end: next.plus_days(-1),
        })
    }

    /// One quarter (1–4).
    pub fn quarter(year: i32, quarter: u32) -> Option<Period> {
        if !(1..=4).contains(&quarter) {
            return None;
        }
        let first = Period::month(year, quarter * 3 - 2)?;
        let last = Period::month(year, quarter * 3)?;
        Some(Period {
            kind: PeriodKind::Quarter,
            year,
            number: quarter,
            start: first.start,
            end: last.end,
        })
    }

    /// The quarter that holds `date`.
    pub fn quarter_of(date: Date) -> Period {
        let (year, month, _) = date.to_ymd();
        // Invariant: a month of a real date makes a real quarter.
        Period::quarter(year, (month - 1) / 3 + 1).expect("a date's quarter exists")
    }

    /// Parses `2025-09`, `Q3-2025`, `9T-2025`, `2025` or `2025-07-01..2025-09-30`.
    pub fn parse(text: &str) -> Result<Period, PeriodError> {
        let text = text.trim();
        let shape = || PeriodError::Shape(text.to_owned());
        let year_of = |digits: &str| -> Result<i32, PeriodError> {
            if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()) {
                digits.parse().map_err(|_| shape())
            } else {
                Err(shape())
            }
        };
        if let Some((from, to)) = text.split_once("..") {
            let start = Date::parse(from).map_err(|_| shape())?;
            let end = Date::parse(to).map_err(|_| shape())?;
            if end < start {
                return Err(PeriodError::EndsBeforeStart { start, end });
            }
            if start.days_until(end) >= REPORT_PERIOD_DAYS_MAX {
                return Err(PeriodError::TooLong);
            }
            return Ok(Period {
                kind: PeriodKind::Range,
                year: end.to_ymd().0,
                number: 0,
                start,
                end,
            });
        }
        let upper = text.to_uppercase();
        if let Some(rest) = upper.strip_prefix('Q') {
            let (quarter, year) = rest.split_once('-').ok_or_else(shape)?;
            let quarter: u32 = quarter.parse().map_err(|_| shape())?;
            return Period::quarter(year_of(year)?, quarter).ok_or_else(shape);
        }
        if let Some(year) = upper.strip_prefix("9T-") {
            let year = year_of(year)?;
            let start = Date::from_ymd(year, 1, 1).ok_or_else(shape)?;
            let end = Date::from_ymd(year, 9, 30).ok_or_else(shape)?;
            return Ok(Period {
                kind: PeriodKind::NineMonths,
                year,
                number: 0,
                start,
                end,
            });
        }
        if let Some((year, month)) = text.split_once('-') {
            let month: u32 = if month.len() <= 2 && month.bytes().all(|b| b.is_ascii_digit()) {
                month.parse().map_err(|_| shape())?
            } else {
                return Err(shape());
            };
            return Period::month(year_of(year)?, month).ok_or_else(shape);
        }
        let year = year_of(text)?;
        Ok(Period {
            kind: PeriodKind::Year,
            year,
            number: 0,
            start: Date::from_ymd(year, 1, 1).ok_or_else(shape)?,
            end: Date::from_ymd(year, 12, 31).ok_or_else(shape)?,
        })
    }

    /// The code [`Period::parse`] reads back: `Q3-2025` and so on.
    pub fn code(&self) -> String {
        match self.kind {
            PeriodKind::Month => format!("{:04}-{:02}", self.year, self.number),
            PeriodKind::Quarter => format!("Q{}-{:04}", self.number, self.year),
            PeriodKind::NineMonths => format!("9T-{:04}", self.year),
            PeriodKind::Year => format!("{:04}", self.year),
            PeriodKind::Range => format!("{}..{}", self.start, self.end),
        }
    }

    /// Whether `date` falls in the period.
    pub fn contains(&self, date: Date) -> bool {
        self.start <= date && date <= self.end
    }

    /// The day a report for this period is due at the level above.
    pub fn due(&self) -> Date {
        self.end.plus_days(REPORT_DUE_DAYS)
    }
}

/// Why no report can be made. Nothing is written.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum ReportError {
    /// The unit is not in the registry.
    #[error("no unit {0} is known here")]
    UnknownUnit(UnitId),
    /// The as-of date lies after today.
    #[error("the as-of date {as_of} is after today ({today})")]
    AsOfInFuture {
        /// The date asked for.
        as_of: Date,
        /// Today.
        today: Date,
    },
    /// The period starts after the as-of date: nothing of it was known then.
    #[error("the period starts {start}, after the as-of date {as_of}")]
    PeriodAfterAsOf {
        /// The period's first day.
        start: Date,
        /// The as-of date.
        as_of: Date,
    },
    /// Nothing in the unit's subtree to report on.
    #[error("unit {0} has no items or indicators to report on")]
    NothingToReport(UnitId),
}

/// What an item's history says beyond its current fields.
#[derive(Default)]
struct HistoryFacts {
    /// Its extensions with their reasons.
    extensions: Vec<Extension>,
    /// Its last note, and the day it was written.
    last_note: Option<(Date, String)>,
    /// Yes and no votes.
    votes: (u32, u32),
}

/// The [`HistoryFacts`] of `item`, from the entries that took effect, in replay order.
fn history_facts(item: &Item) -> HistoryFacts {
    let HistoryFacts {
        mut extensions,
        mut last_note,
        mut votes,
    } = HistoryFacts::default();
    for entry in item
        .history
        .iter()
        .filter(|entry| entry.outcome == Outcome::Applied)
    {
        let on = Date::from_unix_ms(entry.written_ms);
        let mut note = |text: &str| {
            if !text.trim().is_empty() {
                last_note = Some((on, text.to_owned()));
            }
        };
        match &entry.detail {
            Detail::Extended { deadline, reason } => extensions.push(Extension {
                on,
                deadline: *deadline,
                reason: reason.clone(),
            }),
            Detail::Progressed { note: text, .. }
            | Detail::Fired { note: text, .. }
            | Detail::Commented { text } => note(text),
            Detail::Voted {
                approve,
                note: text,
                ..
            } => {
                if *approve {
                    votes.0 += 1;
                } else {
                    votes.1 += 1;
                }
                note(text);
            }
            Detail::Created
            | Detail::Assigned { .. }
            | Detail::Linked { .. }
            | Detail::Resolved { .. } => {}
        }
    }
    HistoryFacts {
        extensions,
        last_note,
        votes,
    }
}

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
    /// The state hash of that fold: left empty by [`build`] — hashing a province's state costs
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

/// Makes the report of `unit` for `period` from `state` (folded from the events known at the
/// end of `as_of`); `today` is the caller's date.
pub fn build(
    state: &State,
    unit: &UnitId,
    period: &Period,
    as_of: Date,
    today: Date,
) -> Result<Report, ReportError> {
    if as_of > today {
        return Err(ReportError::AsOfInFuture { as_of, today });
    }
    if period.start > as_of {
        return Err(ReportError::PeriodAfterAsOf {
            start: period.start,
            as_of,
        });
    }
    let Some(unit_entry) = state.registry.units.get(unit) else {
        return Err(ReportError::UnknownUnit(unit.clone()));
    };
    let reference = period.end.min(as_of);
    let names = Names { state };
    let mut report = Report {
        unit: unit.clone(),
        unit_name: unit_entry.name.clone(),
        parent_name: unit
            .parent()
            .map(|parent| names.unit(&parent))
            .filter(|name| !name.is_empty()),
        period: *period,
        as_of,
        reference,
        events: state.events,
        // Hashing a province's state is costly; the caller sets it, beside the build.
        state_hash: String::new(),
        tasks: Vec::new(),
        documents: Vec::new(),
        petitions: Vec::new(),
        inspections: Vec::new(),
        indicators: Vec::new(),
        conflicts: Vec::new(),
        rollup: Vec::new(),
        weeks: Vec::new(),
        counts: Counts::default(),
    };
    let mut any = false;
    for (id, item) in &state.items {
        let concerns = item.unit.is_within(unit) || item.lead_unit.is_within(unit);
        if !concerns || item.workflow == REPORT_WORKFLOW {
            continue;
        }
        any = true;
        let row = row(state, &names, *id, item, reference);
        let created_by_end = row.created <= period.end;
        let open_in_period = row.finished_on.is_none_or(|day| day >= period.start);
        let relevant = created_by_end && open_in_period;
        for conflict in item.open_conflicts() {
            let on = item
                .history
                .iter()
                .find(|entry| entry.event == conflict.event)
                .map_or(row.created, |entry| Date::from_unix_ms(entry.written_ms));
            report.conflicts.push(ConflictRow {
                title: item.title.clone(),
                unit_name: row.unit_name.clone(),
                aspect: conflict.aspect,
                on,
            });
        }
        match item.workflow.as_str() {
            "task" if relevant => report.tasks.push(row),
            "document" | "budget" if relevant => report.documents.push(row),
            "inspection" if relevant => report.inspections.push(row),
            "petition" if relevant => {
                let status = petition_status(&row, reference);
                report.petitions.push((row, status));
            }
            _ => {}
        }
    }
    for (code, indicator) in &state.indicators {
        if !indicator.unit.is_within(unit) {
            continue;
        }
        any = true;
        report.indicators.push(IndicatorRow {
            code: code.clone(),
            name: indicator.name.clone(),
            measure: indicator.measure.clone(),
            unit_name: names.unit(&indicator.unit),
            period: indicator.period.clone(),
            target_milli: indicator.target_milli,
            value_milli: indicator.value_milli,
            attainment_milli: indicator.attainment_milli(),
        });
    }
    if !any {
        return Err(ReportError::NothingToReport(unit.clone()));
    }
    report.counts = counts(&report);
    report.rollup = rollup(state, &names, unit, &report);
    report.weeks = weeks(&report);
    Ok(report)
}

struct Names<'a> {
    state: &'a State,
}

impl Names<'_> {
    fn unit(&self, unit: &UnitId) -> String {
        self.state
            .registry
            .units
            .get(unit)
            .map_or_else(|| unit.to_string(), |entry| entry.name.clone())
    }
}

fn row(state: &State, names: &Names<'_>, id: EventId, item: &Item, reference: Date) -> Row {
    let definition = state.definition_of(item);
    let finished = definition.is_some_and(|d| d.is_terminal(&item.state));
    let HistoryFacts {
        extensions,
        last_note,
        votes,
    } = history_facts(item);
    let finished_on = finished.then(|| Date::from_unix_ms(item.entered_ms));
    let days_late = item
        .deadline
        .filter(|deadline| !finished && *deadline < reference)
        .map(|deadline| deadline.days_until(reference));
    Row {
        id,
        workflow: item.workflow.clone(),
        unit: item.unit.clone(),
        unit_name: names.unit(&item.unit),
        title: item.title.clone(),
        assignee: item
            .assignee
            .as_ref()
            .map(|person| {
                state
                    .registry
                    .people
                    .get(person)
                    .map_or_else(|| person.to_string(), |entry| entry.name.clone())
            })
            .unwrap_or_default(),
        lead_unit: names.unit(&item.lead_unit),
        coordinating: item.coordinating.iter().map(|u| names.unit(u)).collect(),
        deadline: item.deadline,
        state: item.state.clone(),
        state_name: definition
            .and_then(|d| d.state(&item.state))
            .map_or_else(|| item.state.clone(), |s| s.name.clone()),
        finished,
        // A task done is done whatever its last progress report said.
        percent: if finished && !matches!(item.state.as_str(), "cancelled" | "withdrawn") {
            100
        } else {
            item.percent
        },
        last_note,
        created: Date::from_unix_ms(item.created_ms),
        finished_on,
        days_late,
        extensions,
        waiting: definition.is_some_and(|d| item.is_waiting(d)),
        votes,
    }
}

fn petition_status(row: &Row, reference: Date) -> PetitionStatus {
    match (row.finished_on, row.deadline) {
        (Some(on), Some(deadline)) if on > deadline => PetitionStatus::AnsweredLate,
        (Some(_), _) => PetitionStatus::AnsweredInTime,
        (None, Some(deadline)) if deadline < reference => PetitionStatus::OpenLate,
        (None, _) => PetitionStatus::Open,
    }
}

fn counts(report: &Report) -> Counts {
    let period = &report.period;
    let petitions = |status: PetitionStatus| {
        report
            .petitions
            .iter()
            .filter(|(_, s)| *s == status)
            .count() as u32
    };
    Counts {
        tasks: report.tasks.len() as u32,
        done: report.done().count() as u32,
        overdue: report.overdue().len() as u32,
        extended: report.extended().count() as u32,
        waiting: report.waiting().count() as u32,
        adopted: report
            .documents
            .iter()
            .filter(|row| row.done_in(period))
            .count() as u32,
        petitions_received: report
            .petitions
            .iter()
            .filter(|(row, _)| period.contains(row.created))
            .count() as u32,
        petitions_in_time: petitions(PetitionStatus::AnsweredInTime),
        petitions_late: petitions(PetitionStatus::AnsweredLate),
        petitions_open_late: petitions(PetitionStatus::OpenLate),
        inspections_open: report.inspections.iter().filter(|r| !r.finished).count() as u32,
        indicators_met: report
            .indicators
            .iter()
            .filter(|row| row.attainment_milli.is_some_and(|a| a >= 1000))
            .count() as u32,
        indicators: report.indicators.len() as u32,
        conflicts: report.conflicts.len() as u32,
    }
}

/// The sub-unit of `unit` that holds `item_unit` (None: the unit's own).
fn child_of(unit: &UnitId, item_unit: &UnitId) -> Option<UnitId> {
    let rest = item_unit.as_str().strip_prefix(unit.as_str())?;
    let segment = rest.strip_prefix('/')?.split('/').next()?;
    UnitId::new(&format!("{unit}/{segment}")).ok()
}

fn rollup(state: &State, names: &Names<'_>, unit: &UnitId, report: &Report) -> Vec<RollupRow> {
    let mut rows: BTreeMap<Option<UnitId>, RollupRow> = BTreeMap::new();
    for child in state.registry.units.keys() {
        if child.parent().as_ref() == Some(unit) {
            rows.entry(Some(child.clone())).or_default();
        }
    }
    fn at<'a>(
        rows: &'a mut BTreeMap<Option<UnitId>, RollupRow>,
        unit: &UnitId,
        row_unit: &UnitId,
    ) -> &'a mut RollupRow {
        rows.entry(child_of(unit, row_unit)).or_default()
    }
    for row in &report.tasks {
        let counts = at(&mut rows, unit, &row.unit);
        counts.tasks += 1;
        counts.done += u32::from(row.done_in(&report.period));
        counts.overdue += u32::from(row.days_late.is_some());
        counts.waiting += u32::from(row.waiting);
    }
    for row in &report.documents {
        at(&mut rows, unit, &row.unit).waiting += u32::from(row.waiting);
    }
    for (row, _) in &report.petitions {
        at(&mut rows, unit, &row.unit).petitions += u32::from(report.period.contains(row.created));
    }
    for item in state.items.values() {
        let open = item.open_conflicts().count() as u32;
        if open > 0
            && item.workflow != REPORT_WORKFLOW
            && (item.unit.is_within(unit) || item.lead_unit.is_within(unit))
        {
            at(&mut rows, unit, &item.unit).conflicts += open;
        }
    }
    rows.into_iter()
        .map(|(key, mut row)| {
            row.name = match &key {
                Some(child) => names.unit(child),
                None => names.unit(unit),
            };
            row.unit = key;
            row
        })
        .collect()
}

fn weeks(report: &Report) -> Vec<Week> {
    let mut weeks = Vec::new();
    let mut start = report.period.start;
    while start <= report.reference && weeks.len() < REPORT_WEEKS_MAX {
        let end = start.plus_days(6).min(report.period.end);
        let mut week = Week {
            start,
            done: 0,
            overdue: 0,
        };
        for row in &report.tasks {
            let done_here = row.done_in(&report.period)
                && row
                    .finished_on
                    .is_some_and(|day| start <= day && day <= end);
            week.done += u32::from(done_here);
            let open_then = row.created <= end && row.finished_on.is_none_or(|day| day > end);
            let late_then = row.deadline.is_some_and(|deadline| deadline < end);
            week.overdue += u32::from(open_then && late_then);
        }
        weeks.push(week);
        start = start.plus_days(7);
    }
    weeks
}

/// What a submitted report's item says about the report, in its description: the period and
/// the files' blake3 hashes, one `key: value` a line. Written and read only here.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct SubmissionNote {
    /// The period's code.
    pub period: String,
    /// The spreadsheet's blake3 hash (hex).
    pub xlsx_blake3: String,
    /// The document's blake3 hash (hex).
    pub docx_blake3: String,
}

impl SubmissionNote {
    /// The item description.
    pub fn to_description(&self) -> String {
        format!(
            "period: {}\nxlsx-blake3: {}\ndocx-blake3: {}",
            self.period, self.xlsx_blake3, self.docx_blake3
        )
    }

    /// Reads a description written by [`SubmissionNote::to_description`].
    pub fn parse(description: &str) -> Option<SubmissionNote> {
        let mut fields = BTreeMap::new();
        for line in description.lines() {
            let (key, value) = line.split_once(": ")?;
            fields.insert(key, value.trim());
        }
        Some(SubmissionNote {
            period: (*fields.get("period")?).to_owned(),
            xlsx_blake3: (*fields.get("xlsx-blake3")?).to_owned(),
            docx_blake3: (*fields.get("docx-blake3")?).to_owned(),
        })
    }
}

/// Where a unit's report for a period stands at the level above.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    /// Submitted by the due day.
    Submitted,
    /// Submitted after the due day.
    Late,
    /// Not submitted, and the due day has passed.
    Missing,
    /// Not submitted, not yet due.
    NotYetDue,
}

/// One unit's submission for one period.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Submission {
    /// The unit.
    pub unit: UnitId,
    /// Its name.
    pub name: String,
    /// The status.
    pub status: SubmissionStatus,
    /// The report item, if one was submitted.
    pub item: Option<EventId>,
    /// Its workflow state (`submitted`, `received`, `returned`).
    pub state: Option<String>,
    /// That state's name.
    pub state_name: Option<String>,
    /// The day it was first submitted.
    #[serde(serialize_with = "as_text::option")]
    pub submitted_on: Option<Date>,
    /// Days from the period's end to the first submission.
    pub lag_days: Option<i32>,
}

/// Where every office below `hub` (every unit with an enrolled node) stands with its report for
/// `period`, on `today`. The first applied transition of a report item is its submission (the
/// workflow leaves `drafted` only by `submit`).
pub fn submissions(state: &State, hub: &UnitId, period: &Period, today: Date) -> Vec<Submission> {
    let code = period.code();
    let mut first: BTreeMap<&UnitId, (EventId, &Item, Date)> = BTreeMap::new();
    for (id, item) in &state.items {
        if item.workflow != REPORT_WORKFLOW || !item.unit.is_within(hub) {
            continue;
        }
        if SubmissionNote::parse(&item.description).is_none_or(|note| note.period != code) {
            continue;
        }
        let Some(submitted) = item
            .history
            .iter()
            .find(|entry| entry.kind == "item.fired" && entry.outcome == Outcome::Applied)
        else {
            continue;
        };
        let on = Date::from_unix_ms(submitted.written_ms);
        let earlier = first
            .get(&item.unit)
            .is_some_and(|(_, _, seen)| *seen <= on);
        if !earlier {
            first.insert(&item.unit, (*id, item, on));
        }
    }
    let offices: std::collections::BTreeSet<&UnitId> = state
        .registry
        .nodes
        .values()
        .filter(|unit| unit.is_within(hub) && *unit != hub)
        .collect();
    offices
        .into_iter()
        .map(|unit| {
            let name = state
                .registry
                .units
                .get(unit)
                .map_or_else(|| unit.to_string(), |entry| entry.name.clone());
            (unit, name)
        })
        .map(|(unit, name)| match first.get(unit) {
            Some((id, item, on)) => Submission {
                unit: unit.clone(),
                name,
                status: if *on <= period.due() {
                    SubmissionStatus::Submitted
                } else {
                    SubmissionStatus::Late
                },
                item: Some(*id),
                state: Some(item.state.clone()),
                state_name: state
                    .definition_of(item)
                    .and_then(|definition| definition.state(&item.state))
                    .map(|entry| entry.name.clone()),
                submitted_on: Some(*on),
                lag_days: Some(period.end.days_until(*on)),
            },
            None => Submission {
                unit: unit.clone(),
                name,
                status: if today > period.due() {
                    SubmissionStatus::Missing
                } else {
                    SubmissionStatus::NotYetDue
                },
                item: None,
                state: None,
                state_name: None,
                submitted_on: None,
                lag_days: None,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn periods_parse_and_print_back() {
        for (text, start, end) in [
            ("2025-09", "2025-09-01", "2025-09-30"),
            ("2024-02", "2024-02-01", "2024-02-29"),
            ("Q3-2025", "2025-07-01", "2025-09-30"),
            ("q4-2025", "2025-10-01", "2025-12-31"),
            ("9T-2025", "2025-01-01", "2025-09-30"),
            ("2025", "2025-01-01", "2025-12-31"),
            ("2025-07-01..2025-09-30", "2025-07-01", "2025-09-30"),
            ("01/07/2025..15/07/2025", "2025-07-01", "2025-07-15"),
        ] {
            let period = Period::parse(text).unwrap();
            assert_eq!((period.start, period.end), (day(start), day(end)), "{text}");
            assert_eq!(Period::parse(&period.code()), Ok(period), "{text}");
        }
        assert_eq!(
            Period::quarter_of(day("2025-11-05")).code(),
            "Q4-2025".to_owned()
        );
        assert_eq!(Period::parse("Q3-2025").unwrap().due(), day("2025-10-05"));
    }

    #[test]
    fn bad_periods_say_why() {
        assert!(matches!(
            Period::parse("2025-09-30..2025-07-01"),
            Err(PeriodError::EndsBeforeStart { .. })
        ));
        for bad in ["", "Q5-2025", "2025-13", "quý 3", "25", "9T-25", "Q3-2025x"] {
            assert!(
                matches!(Period::parse(bad), Err(PeriodError::Shape(_))),
                "{bad}"
            );
        }
        assert_eq!(
            Period::parse("2000-01-01..2025-01-01"),
            Err(PeriodError::TooLong)
        );
    }

    #[test]
    fn submission_note_round_trips() {
        let note = SubmissionNote {
            period: "Q3-2025".into(),
            xlsx_blake3: "ab".repeat(32),
            docx_blake3: "cd".repeat(32),
        };
        assert_eq!(SubmissionNote::parse(&note.to_description()), Some(note));
        assert_eq!(SubmissionNote::parse("Báo cáo quý"), None);
    }

    #[test]
    fn child_of_finds_the_sub_unit() {
        let unit = UnitId::new("lai-chau/binh-lu").unwrap();
        let child = |text: &str| child_of(&unit, &UnitId::new(text).unwrap());
        assert_eq!(
            child("lai-chau/binh-lu/ban-na-ri/chi-bo"),
            Some(UnitId::new("lai-chau/binh-lu/ban-na-ri").unwrap())
        );
        assert_eq!(child("lai-chau/binh-lu"), None);
        assert_eq!(child("lai-chau/binh-lu-2"), None);
    }
}
