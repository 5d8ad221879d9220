//! Progress over time: per week, how much work was done and how much was overdue at the week's
//! end — the two series an overview draws for a unit. Counted from the items as they stand:
//! an item's last state change says when it finished (its history is not walked).

use serde::Serialize;

use crate::date::Date;
use crate::ids::UnitId;
use crate::state::{Item, State};

/// One week of progress.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub struct Week {
    /// Its first day.
    pub start: Date,
    /// Its last day.
    pub end: Date,
    /// Items finished with their work done that week.
    pub done: u32,
    /// Items open and past their deadline at the week's end.
    pub overdue: u32,
}

/// The `weeks` weeks that end on `today`, oldest first, for the items of `unit` and below it
/// that `counts` (an overview leaves out reports, which are not work).
pub fn weekly(
    state: &State,
    unit: &UnitId,
    today: Date,
    weeks: u32,
    counts: impl Fn(&Item) -> bool,
) -> Vec<Week> {
    let mut series: Vec<Week> = (0..weeks)
        .rev()
        .map(|back| {
            let end = today.plus_days(-7 * back as i32);
            Week {
                start: end.plus_days(-6),
                end,
                done: 0,
                overdue: 0,
            }
        })
        .collect();
    let mut definitions = state.definitions();
    for item in state.items.values() {
        if !item.unit.is_within(unit) || !counts(item) {
            continue;
        }
        let Some(definition) = definitions.of(item) else {
            continue;
        };
        let created = Date::from_unix_ms(item.created_ms);
        let finished = definition
            .is_terminal(&item.state)
            .then(|| Date::from_unix_ms(item.entered_ms));
        let done = definition.is_done(&item.state);
        for week in &mut series {
            if done && finished.is_some_and(|day| week.start <= day && day <= week.end) {
                week.done += 1;
            }
            let open_then = created <= week.end && finished.is_none_or(|day| day > week.end);
            if open_then && item.deadline.is_some_and(|deadline| deadline < week.end) {
                week.overdue += 1;
            }
        }
    }
    series
}
