//! The periodic report upward, as a typed value: which items go in which section, the counts,
//! days late, extensions, attainment, the roll-up per sub-unit and the weekly series — and the
//! submission status of reports (submitted, late, missing) that the level above looks at.
//!
//! Pure: the state (folded from the events known at the as-of date; each item's history holds
//! its extensions, notes and votes), the unit, the period and the as-of date go in; a
//! [`Report`] comes out. Rendering it (spreadsheet, document, chart) is the shell's business.

mod period;
mod rows;
mod submissions;

use std::collections::BTreeMap;

use crate::date::Date;
use crate::ids::{EventId, UnitId};
use crate::limits::REPORT_WEEKS_MAX;
use crate::state::{Detail, Item, Outcome, State};

pub use self::period::{Period, PeriodError, PeriodKind};
pub use self::rows::{
    ConflictRow, Counts, Extension, IndicatorRow, PetitionStatus, Report, RollupRow, Row, Week,
};
pub use self::submissions::{Submission, SubmissionNote, SubmissionStatus, submissions};

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
#[cfg(test)]
mod tests {
    use super::*;

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
