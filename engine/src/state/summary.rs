//! Counts per unit, rolled up the unit tree: the numbers of the overview and the reports.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::date::Date;
use crate::ids::UnitId;
use crate::limits::DUE_SOON_DAYS;
use crate::state::State;
use crate::state::item::Item;

/// Counts for a unit and its subtree.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize)]
pub struct Summary {
    /// Items in all.
    pub items: u64,
    /// Items per state.
    pub by_state: BTreeMap<String, u64>,
    /// Items finished with their work done (a final state that is not a cancellation).
    pub done: u64,
    /// Past their deadline and not finished.
    pub overdue: u64,
    /// Due within [`DUE_SOON_DAYS`] days.
    pub due_soon: u64,
    /// Waiting for an approval.
    pub waiting_approval: u64,
    /// Open conflicts.
    pub open_conflicts: u64,
    /// Indicators owned in the subtree.
    pub indicators: u64,
    /// Mean attainment of the indicators that have a value, in thousandths.
    pub attainment_milli: Option<i64>,
}

impl Summary {
    fn add(&mut self, counts: &Summary) {
        self.items += counts.items;
        for (state, count) in &counts.by_state {
            *self.by_state.entry(state.clone()).or_default() += count;
        }
        self.done += counts.done;
        self.overdue += counts.overdue;
        self.due_soon += counts.due_soon;
        self.waiting_approval += counts.waiting_approval;
        self.open_conflicts += counts.open_conflicts;
    }
}

impl State {
    /// Counts for `unit` and everything below it, on `today`.
    pub fn summary(&self, unit: &UnitId, today: Date) -> Summary {
        let mut summary = self.own_summary(self.items_within(unit).map(|(_, item)| item), today);
        let mut attainments = Vec::new();
        for indicator in self.indicators.values() {
            if indicator.unit.is_within(unit) {
                summary.indicators += 1;
                if let Some(attainment) = indicator.attainment_milli() {
                    attainments.push(attainment);
                }
            }
        }
        if !attainments.is_empty() {
            summary.attainment_milli = Some(mean(&attainments));
        }
        summary
    }

    /// Counts for every unit that has items, rolled up the unit tree, in one pass over the
    /// items (each item counts in its unit and every unit above it).
    pub fn summaries(&self, today: Date) -> BTreeMap<UnitId, Summary> {
        self.roll_up(&self.own_summaries(today))
    }

    /// Counts of each unit's own items (not those of the units below it), per unit that has
    /// items. Indicators are not counted here; [`State::roll_up`] adds them.
    pub fn own_summaries(&self, today: Date) -> BTreeMap<UnitId, Summary> {
        let mut own: BTreeMap<&UnitId, Summary> = BTreeMap::new();
        for item in self.items.values() {
            self.count_item(own.entry(&item.unit).or_default(), item, today);
        }
        own.into_iter()
            .map(|(unit, summary)| (unit.clone(), summary))
            .collect()
    }

    /// The counts of `items` (all of one unit), as in [`State::own_summaries`].
    pub fn own_summary<'a>(&self, items: impl Iterator<Item = &'a Item>, today: Date) -> Summary {
        let mut summary = Summary::default();
        for item in items {
            self.count_item(&mut summary, item, today);
        }
        summary
    }

    fn count_item(&self, summary: &mut Summary, item: &Item, today: Date) {
        // A report sent upward is not work to do; the reporting status counts it.
        if item.workflow == crate::report::REPORT_WORKFLOW {
            return;
        }
        let definition = self.definition_of(item);
        let overdue = definition.is_some_and(|d| item.is_overdue(d, today));
        let due_soon =
            !overdue && definition.is_some_and(|d| item.is_due_within(d, today, DUE_SOON_DAYS));
        let waiting = definition.is_some_and(|d| item.is_waiting(d));
        let done = definition.is_some_and(|d| d.is_done(&item.state));
        summary.items += 1;
        match summary.by_state.get_mut(&item.state) {
            Some(count) => *count += 1,
            None => {
                summary.by_state.insert(item.state.clone(), 1);
            }
        }
        summary.done += u64::from(done);
        summary.overdue += u64::from(overdue);
        summary.due_soon += u64::from(due_soon);
        summary.waiting_approval += u64::from(waiting);
        summary.open_conflicts += item.open_conflicts().count() as u64;
    }

    /// Rolls own counts up the unit tree (each unit's counts added to every unit above it)
    /// and adds the indicators: the result of [`State::summaries`].
    pub fn roll_up(&self, own: &BTreeMap<UnitId, Summary>) -> BTreeMap<UnitId, Summary> {
        let mut summaries: BTreeMap<UnitId, Summary> = BTreeMap::new();
        for (unit, counts) in own {
            let mut current = Some(unit.clone());
            while let Some(unit) = current {
                summaries.entry(unit.clone()).or_default().add(counts);
                current = unit.parent();
            }
        }
        let mut attainments: BTreeMap<UnitId, Vec<i64>> = BTreeMap::new();
        for indicator in self.indicators.values() {
            let mut unit = Some(indicator.unit.clone());
            while let Some(current) = unit {
                summaries.entry(current.clone()).or_default().indicators += 1;
                if let Some(attainment) = indicator.attainment_milli() {
                    attainments
                        .entry(current.clone())
                        .or_default()
                        .push(attainment);
                }
                unit = current.parent();
            }
        }
        for (unit, values) in attainments {
            if let Some(summary) = summaries.get_mut(&unit) {
                summary.attainment_milli = Some(mean(&values));
            }
        }
        summaries
    }
}

/// The mean of `values` (not empty), without overflow.
fn mean(values: &[i64]) -> i64 {
    let sum: i128 = values.iter().map(|&value| i128::from(value)).sum();
    (sum / values.len().max(1) as i128) as i64
}
