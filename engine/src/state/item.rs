//! An item (task, document, budget, petition, inspection) and an indicator as the events make
//! them: fields, a typed history, conflicts. Nothing here is a sentence: what an entry, a
//! refusal or a conflict means is data, and the shell puts it in words, in either language.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::date::Date;
use crate::ids::{EventId, NodeId, PersonId, PersonKey, UnitId};
use crate::state::refusal::Refusal;
use crate::workflow::{Definition, Who};

/// What became of an event on an item.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub enum Outcome {
    /// It took effect.
    Applied,
    /// It was written without seeing a change that came first in the replay order, and does
    /// not commute with it: it lost, and is an open conflict until a person resolves it.
    Conflict,
    /// It came after the item was settled and agreed with the outcome, or could no longer
    /// apply; it stays in the history.
    Late,
    /// It was not allowed (by the registry, the definition or a signature rule) at its
    /// position.
    Refused(Refusal),
}

/// What an event in an item's history did, as the event says it: kinds and fields.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Detail {
    /// The item was created.
    Created,
    /// A transition was fired.
    Fired {
        /// The transition's code.
        transition: String,
        /// The writer's note.
        note: String,
    },
    /// A vote on an approval.
    Voted {
        /// The transition voted on.
        transition: String,
        /// Yes or no.
        approve: bool,
        /// The voter's note.
        note: String,
    },
    /// Progress reported.
    Progressed {
        /// Percent done.
        percent: u8,
        /// What was done.
        note: String,
    },
    /// (Re)assigned.
    Assigned {
        /// The new assignee.
        assignee: PersonId,
    },
    /// The deadline extended.
    Extended {
        /// The new deadline.
        deadline: Date,
        /// Why.
        reason: String,
    },
    /// A comment.
    Commented {
        /// Its text.
        text: String,
    },
    /// Linked to a parent program or an indicator.
    Linked {
        /// The parent, if it changed.
        parent: Option<EventId>,
        /// The indicator, if it changed.
        indicator: Option<String>,
    },
    /// A conflict resolved.
    Resolved {
        /// The losing event the conflict was about.
        conflict: EventId,
        /// What was decided.
        note: String,
    },
}

/// One event in an item's history.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Entry {
    /// The event.
    pub event: EventId,
    /// Its kind.
    pub kind: String,
    /// Who acted.
    pub actor: PersonId,
    /// The node that wrote it.
    pub origin: NodeId,
    /// When it was written, by its origin's clock (ms since the epoch).
    pub written_ms: u64,
    /// What it did.
    pub detail: Detail,
    /// The person key that signed it, if it carries a person's signature that held.
    pub signed_by: Option<PersonKey>,
    /// What became of it.
    pub outcome: Outcome,
}

/// What two events on one item both tried to change.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    /// Its workflow state.
    State,
    /// Its deadline.
    Deadline,
    /// Its assignee.
    Assignee,
}

/// Why an event lost against another one on the same item.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum ConflictWhy {
    /// A transition was written for a state the item had left.
    Moved {
        /// The transition.
        transition: String,
        /// The state the writer saw.
        written_for: String,
        /// The state the item was in.
        found: String,
    },
    /// A vote came after the item had moved.
    VotedAfterMove {
        /// The transition voted on.
        transition: String,
        /// Yes or no.
        approve: bool,
        /// The state the item was in.
        found: String,
    },
    /// The deadline was extended twice at once.
    ExtendedTwice,
    /// The item was assigned twice at once.
    AssignedTwice,
}

/// An open or resolved conflict on an item.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Conflict {
    /// The event that lost.
    pub event: EventId,
    /// The event it lost against.
    pub against: EventId,
    /// What both tried to change.
    pub aspect: Aspect,
    /// Why the event lost.
    pub why: ConflictWhy,
    /// The resolution event, once a person has recorded one.
    pub resolved_by: Option<EventId>,
}

/// An item (task, document, budget, petition, inspection) as the events make it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Item {
    /// Its workflow's id.
    pub workflow: String,
    /// The workflow version it was created under.
    pub version: u16,
    /// The unit it concerns (its chain's unit).
    pub unit: UnitId,
    /// The work.
    pub title: String,
    /// Details.
    pub description: String,
    /// The lead unit.
    pub lead_unit: UnitId,
    /// Coordinating units.
    pub coordinating: Vec<UnitId>,
    /// The person responsible.
    pub assignee: Option<PersonId>,
    /// Who created it.
    pub creator: PersonId,
    /// The deadline.
    pub deadline: Option<Date>,
    /// The parent program or resolution.
    pub parent: Option<EventId>,
    /// The indicator it serves.
    pub indicator: Option<String>,
    /// Its current state.
    pub state: String,
    /// When it entered that state (writer's clock, ms).
    pub entered_ms: u64,
    /// When it was created (writer's clock, ms).
    pub created_ms: u64,
    /// Last reported percent.
    pub percent: u8,
    /// The last event that changed its state: its version.
    pub state_event: EventId,
    /// The last event that set its deadline.
    pub deadline_event: EventId,
    /// The last event that set its assignee.
    pub assignee_event: EventId,
    /// Yes/no votes on the approval pending in the current state, by transition.
    pub votes: BTreeMap<String, BTreeMap<PersonId, bool>>,
    /// Every event about it, in replay order.
    pub history: Vec<Entry>,
    /// Conflicts, open and resolved.
    pub conflicts: Vec<Conflict>,
}

/// Where an escalation goes.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalateTo {
    /// To the holders of a role in line with the item's unit.
    Role(String),
    /// To the parent unit.
    ParentUnit,
}

impl Item {
    /// Past its deadline and not finished (`definition` is the item's own).
    pub fn is_overdue(&self, definition: &Definition, today: Date) -> bool {
        !definition.is_terminal(&self.state)
            && self.deadline.is_some_and(|deadline| deadline < today)
    }

    /// Due within `days` days (not yet overdue) and not finished.
    pub fn is_due_within(&self, definition: &Definition, today: Date, days: i32) -> bool {
        !definition.is_terminal(&self.state)
            && self
                .deadline
                .is_some_and(|deadline| deadline >= today && today.days_until(deadline) <= days)
    }

    /// Open conflicts.
    pub fn open_conflicts(&self) -> impl Iterator<Item = &Conflict> {
        self.conflicts
            .iter()
            .filter(|conflict| conflict.resolved_by.is_none())
    }

    /// Whether the item waits for an approval in its current state (without saying whose).
    pub fn is_waiting(&self, definition: &Definition) -> bool {
        !definition.is_terminal(&self.state)
            && definition
                .transitions_from(&self.state)
                .any(|transition| transition.is_approval())
    }

    /// The approvals the item waits for in its current state: transition and who may give it.
    pub fn waiting_for<'a>(&'a self, definition: &'a Definition) -> Vec<(&'a str, &'a Who)> {
        definition
            .transitions_from(&self.state)
            .filter(|transition| transition.is_approval())
            .map(|transition| (transition.id.as_str(), &transition.who))
            .collect()
    }

    /// Escalations due on `today`.
    pub fn escalations(&self, definition: &Definition, today: Date) -> Vec<EscalateTo> {
        if definition.is_terminal(&self.state) {
            return Vec::new();
        }
        definition
            .escalations
            .iter()
            .filter(|escalation| match &escalation.state {
                None => self.deadline.is_some_and(|deadline| {
                    deadline.days_until(today) >= escalation.after_days as i32
                }),
                Some(state) => {
                    state == &self.state
                        && Date::from_unix_ms(self.entered_ms).days_until(today)
                            >= escalation.after_days as i32
                }
            })
            .map(|escalation| match &escalation.to_role {
                Some(role) => EscalateTo::Role(role.clone()),
                None => EscalateTo::ParentUnit,
            })
            .collect()
    }
}

/// An indicator (chỉ tiêu).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Indicator {
    /// Its name.
    pub name: String,
    /// Its unit of measure.
    pub measure: String,
    /// The owning unit.
    pub unit: UnitId,
    /// The period.
    pub period: String,
    /// The target, in thousandths.
    pub target_milli: i64,
    /// The latest reported value, in thousandths.
    pub value_milli: Option<i64>,
    /// Reports: (writer's clock ms, value in thousandths, who).
    pub reports: Vec<(u64, i64, PersonId)>,
}

impl Indicator {
    /// Attainment in thousandths of the target (1000 = met).
    pub fn attainment_milli(&self) -> Option<i64> {
        let value = self.value_milli?;
        if self.target_milli == 0 {
            return None;
        }
        Some(value.saturating_mul(1000) / self.target_milli)
    }
}
