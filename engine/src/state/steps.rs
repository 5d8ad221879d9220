//! What a person can do next on an item, and what waits for them across all items: the
//! questions an office app asks before it draws a button or a "my work" list. Answered from
//! the same rules the fold applies ([`super::policy`]), so a button the app shows is a command
//! the engine accepts, and a refused one names who may instead.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::date::Date;
use crate::ids::{EventId, PersonId, UnitId};
use crate::limits::DUE_SOON_DAYS;
use crate::state::policy;
use crate::state::{Item, State};
use crate::workflow::{Definition, Who};

/// One transition that leaves the item's current state.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Step {
    /// The transition's code.
    pub transition: String,
    /// Its display name, as the definition gives it.
    pub name: String,
    /// Approved or refused by votes (else fired by one person).
    pub vote: bool,
    /// Whether the person may take it.
    pub allowed: bool,
    /// How the person voted on it already, if they did.
    pub voted: Option<bool>,
    /// Who may take it.
    pub who: Who,
    /// The people who match `who`.
    pub people: Vec<PersonId>,
}

/// Everything a person may do on an item now.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Steps {
    /// The transitions from the current state, in the definition's order.
    pub transitions: Vec<Step>,
    /// Report progress, comment, link.
    pub take_part: bool,
    /// (Re)assign.
    pub assign: bool,
    /// Extend the deadline.
    pub extend: bool,
    /// Record the resolution of a conflict.
    pub resolve: bool,
}

/// What `person` may do next on `item` (whose definition is `definition`).
pub fn next_steps(state: &State, item: &Item, definition: &Definition, person: &PersonId) -> Steps {
    let registry = &state.registry;
    let finished = definition.is_terminal(&item.state);
    let transitions = if finished {
        Vec::new()
    } else {
        definition
            .transitions_from(&item.state)
            .map(|transition| Step {
                transition: transition.id.clone(),
                name: transition.name.clone(),
                vote: transition.is_approval(),
                allowed: policy::may_decide(registry, item, &transition.who, person),
                voted: item
                    .votes
                    .get(&transition.id)
                    .and_then(|votes| votes.get(person).copied()),
                who: transition.who.clone(),
                people: policy::eligible_people(registry, item, &transition.who),
            })
            .collect()
    };
    Steps {
        transitions,
        take_part: !finished && policy::takes_part(registry, item, person),
        assign: !finished && policy::matches_any(registry, item, &definition.rules.assign, person),
        extend: !finished && policy::matches_any(registry, item, &definition.rules.extend, person),
        resolve: policy::may_resolve(registry, item, person),
    }
}

/// Why an item is on a person's list.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// It waits for the person's approval or vote.
    Approve,
    /// It has an open conflict the person may resolve.
    Conflict,
    /// Past its deadline.
    Overdue,
    /// Due within [`DUE_SOON_DAYS`] days.
    DueSoon,
    /// Assigned to the person.
    Mine,
    /// Concerns, or is led by, a unit the person holds a role in.
    MyUnit,
}

/// One line of a person's work.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Work {
    /// The item.
    pub item: EventId,
    /// Every reason it is on the list, most pressing first.
    pub why: Vec<Why>,
    /// Days until its deadline (negative: days late).
    pub days_left: Option<i32>,
}

/// Everything that waits for `person` on `today`, most pressing first: approvals and votes
/// they may give, conflicts they may resolve, their own and their units' overdue and soon-due
/// work, then the rest of their own and their units' open work. Finished items are left out.
pub fn my_work(state: &State, person: &PersonId, today: Date) -> Vec<Work> {
    let registry = &state.registry;
    let my_units: BTreeSet<UnitId> = registry
        .roles_of(person)
        .into_iter()
        .map(|(unit, _)| unit)
        .collect();
    let mut work = Vec::new();
    let mut definitions = state.definitions();
    for (id, item) in &state.items {
        let Some(definition) = definitions.of(item) else {
            continue;
        };
        let mut why = Vec::new();
        let open = !definition.is_terminal(&item.state);
        if open {
            let approves = item
                .waiting_for(definition)
                .iter()
                .any(|(transition, who)| {
                    policy::may_decide(registry, item, who, person)
                        && !item
                            .votes
                            .get(*transition)
                            .is_some_and(|votes| votes.contains_key(person))
                });
            if approves {
                why.push(Why::Approve);
            }
        }
        if item.open_conflicts().next().is_some() && policy::may_resolve(registry, item, person) {
            why.push(Why::Conflict);
        }
        let mine = item.assignee.as_ref() == Some(person);
        let my_unit = my_units.contains(&item.unit) || my_units.contains(&item.lead_unit);
        if open && (mine || my_unit) {
            if item.is_overdue(definition, today) {
                why.push(Why::Overdue);
            } else if item.is_due_within(definition, today, DUE_SOON_DAYS) {
                why.push(Why::DueSoon);
            }
            why.push(if mine { Why::Mine } else { Why::MyUnit });
        }
        if why.is_empty() {
            continue;
        }
        work.push(Work {
            item: *id,
            why,
            days_left: item.deadline.map(|deadline| today.days_until(deadline)),
        });
    }
    work.sort_by_key(|line| {
        (
            line.why.first().copied(),
            line.days_left.unwrap_or(i32::MAX),
        )
    });
    work
}
