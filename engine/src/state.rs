//! The projections every screen and report is made from, folded from events in replay order,
//! and the state hash that lets two nodes prove they hold the same state.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::body::{Date, Decoded, Known};
use crate::event::Event;
use crate::ids::{EventId, Hash, NodeId, PersonId, UnitId};

/// Where a task stands.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub enum TaskStatus {
    /// Created, no progress yet.
    Open,
    /// Progress has been reported.
    InProgress,
    /// Completed.
    Done,
    /// Cancelled.
    Cancelled,
}

impl TaskStatus {
    /// Done and cancelled tasks take no further transitions.
    pub fn is_final(self) -> bool {
        matches!(self, TaskStatus::Done | TaskStatus::Cancelled)
    }
}

/// A task as the events so far make it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Task {
    /// The work.
    pub title: String,
    /// The unit that recorded the task.
    pub unit: UnitId,
    /// The lead unit.
    pub lead_unit: UnitId,
    /// The person responsible.
    pub assignee: Option<PersonId>,
    /// The deadline.
    pub deadline: Option<Date>,
    /// Who created it.
    pub created_by: PersonId,
    /// Where it stands.
    pub status: TaskStatus,
    /// Last reported percent.
    pub percent: u8,
    /// Events that applied to the task (including its creation).
    pub applied: u32,
    /// Events that arrived after the task was final and so took no effect; they stay in the
    /// log and are counted here so they are never silent.
    pub late: u32,
    /// The id of the last event that applied: the task's version.
    pub version: EventId,
}

/// The state of a node: a pure function of the set of events it holds.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize)]
pub struct State {
    /// Events folded.
    pub events: u64,
    /// Events folded per origin.
    pub by_origin: BTreeMap<NodeId, u64>,
    /// Events of kinds this version does not know, per kind: kept and forwarded, counted here.
    pub unknown_kinds: BTreeMap<String, u64>,
    /// Events of a known kind whose body does not match its schema.
    pub malformed: u64,
    /// Events about an item this node does not hold (yet).
    pub dangling: u64,
    /// Tasks by id (the id of the creating event).
    pub tasks: BTreeMap<EventId, Task>,
}

impl State {
    /// Folds one event. Must be called in replay order ([`crate::OrderKey`]).
    pub fn apply(&mut self, event: &Event) {
        self.events += 1;
        *self.by_origin.entry(event.origin).or_default() += 1;
        let known = match Known::from_body(&event.body) {
            Decoded::Known(known) => known,
            Decoded::Unknown => {
                *self
                    .unknown_kinds
                    .entry(event.body.kind.clone())
                    .or_default() += 1;
                return;
            }
            Decoded::Malformed(_) => {
                self.malformed += 1;
                return;
            }
        };
        if let Known::TaskCreated(created) = known {
            self.tasks.entry(event.id).or_insert(Task {
                title: created.title,
                unit: event.unit.clone(),
                lead_unit: created.lead_unit,
                assignee: created.assignee,
                deadline: created.deadline,
                created_by: event.actor.clone(),
                status: TaskStatus::Open,
                percent: 0,
                applied: 1,
                late: 0,
                version: event.id,
            });
            return;
        }
        let item = match &known {
            Known::TaskProgressed(body) => body.item,
            Known::TaskCompleted(body) => body.item,
            Known::TaskCancelled(body) => body.item,
            Known::Commented(body) => body.item,
            Known::TaskCreated(_) => unreachable!("handled above"),
        };
        let Some(task) = self.tasks.get_mut(&item) else {
            self.dangling += 1;
            return;
        };
        let takes_effect = match known {
            Known::Commented(_) => true,
            _ if task.status.is_final() => false,
            Known::TaskProgressed(body) => {
                task.percent = body.percent.min(100);
                task.status = TaskStatus::InProgress;
                true
            }
            Known::TaskCompleted(_) => {
                task.percent = 100;
                task.status = TaskStatus::Done;
                true
            }
            Known::TaskCancelled(_) => {
                task.status = TaskStatus::Cancelled;
                true
            }
            Known::TaskCreated(_) => unreachable!("handled above"),
        };
        if takes_effect {
            task.applied += 1;
            task.version = event.id;
        } else {
            task.late += 1;
        }
    }

    /// blake3 over the canonical MessagePack encoding of the whole state. Maps are ordered, so
    /// equal states always encode, and hash, the same.
    pub fn hash(&self) -> Hash {
        // Invariant: the state holds only maps, strings, numbers and ids, which always encode.
        Hash::of(&rmp_serde::to_vec(self).expect("a state always encodes"))
    }
}
