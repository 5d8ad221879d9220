//! Which reports came up from below for a period: submitted, late or missing, as the level
//! above looks at them. A submitted report is an item of the built-in report workflow whose
//! description is a [`SubmissionNote`].

use std::collections::BTreeMap;

use serde::Serialize;

use super::REPORT_WORKFLOW;
use super::as_text;
use super::period::Period;
use crate::date::Date;
use crate::ids::{EventId, UnitId};
use crate::state::{Item, Outcome, State};

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
}
