//! The state every screen and report is made from: the registry, workflow definitions, items
//! with their history and conflicts, and indicators — folded from events in replay order — and
//! the state hash that lets two nodes prove they hold the same state.
//!
//! Every event is checked again here, against the registry and the definition as they stand at
//! its position in the replay: an event that is not allowed there is kept in the log, counted
//! and shown in the item's history as refused, and changes nothing.
//!
//! The state holds facts, not sentences: history entries, outcomes, refusals and conflicts are
//! kinds with fields ([`item`], [`refusal`]); the shell words them.
//!
//! - [`item`]: an item and an indicator, their history entries, outcomes and conflicts.
//! - [`refusal`]: why an event was refused.
//! - [`policy`]: who may do what.
//! - `fold`: what each event does (the conflict rule among it).
//! - `summary`: counts per unit, rolled up.
//! - [`steps`]: what a person may do next on an item, and what waits for them.
//! - [`progress`]: done and overdue per week, for an overview's chart.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ids::{EventId, NodeId, UnitId};
use crate::registry::Registry;
use crate::workflow::{self, Definition};

mod fold;
pub mod item;
pub mod policy;
pub mod progress;
pub mod refusal;
pub mod steps;
mod summary;

pub use item::{
    Aspect, Conflict, ConflictWhy, Detail, Entry, EscalateTo, Indicator, Item, Outcome,
};
pub use refusal::Refusal;
pub use summary::Summary;

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
    /// Events not allowed at their position in the replay (registry and item events alike):
    /// event → why. They stay in the log and change nothing.
    pub refused: BTreeMap<EventId, Refusal>,
    /// Events that carried a person's signature that held, per event: the key. Decisions
    /// that needed one and lacked it are in `refused`.
    pub signed: u64,
    /// The org registry.
    pub registry: Registry,
    /// Published workflow definitions (the built-ins are always available besides).
    pub workflows: BTreeMap<(String, u16), Definition>,
    /// Items by id (the id of the creating event).
    pub items: BTreeMap<EventId, Item>,
    /// Indicators by code.
    pub indicators: BTreeMap<String, item::Indicator>,
}

/// A workflow definition: published in `workflows`, or built in.
pub fn lookup<'a>(
    workflows: &'a BTreeMap<(String, u16), Definition>,
    id: &str,
    version: u16,
) -> Option<&'a Definition> {
    workflows
        .get(&(id.to_owned(), version))
        .or_else(|| workflow::builtin(id, version))
}

/// Looks up items' definitions one after another, remembering the last: items of one workflow
/// and version in a row cost one lookup (a scan over every item stays cheap).
pub struct Definitions<'a> {
    state: &'a State,
    last: Option<(&'a str, u16, Option<&'a Definition>)>,
}

impl<'a> Definitions<'a> {
    /// The definition `item` was created under.
    pub fn of(&mut self, item: &'a Item) -> Option<&'a Definition> {
        if let Some((workflow, version, definition)) = self.last {
            if workflow == item.workflow && version == item.version {
                return definition;
            }
        }
        let definition = self.state.definition_of(item);
        self.last = Some((&item.workflow, item.version, definition));
        definition
    }
}

impl State {
    /// A lookup of definitions for a scan over many items.
    pub fn definitions(&self) -> Definitions<'_> {
        Definitions {
            state: self,
            last: None,
        }
    }

    /// The definition an item was created under.
    pub fn definition_of(&self, item: &Item) -> Option<&Definition> {
        lookup(&self.workflows, &item.workflow, item.version)
    }

    /// Items whose unit is `unit` or below it.
    pub fn items_within<'a>(
        &'a self,
        unit: &'a UnitId,
    ) -> impl Iterator<Item = (&'a EventId, &'a Item)> + 'a {
        self.items
            .iter()
            .filter(move |(_, item)| item.unit.is_within(unit))
    }
}
