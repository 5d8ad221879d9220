//! Whose turn it is to write at a node. A decision must see every earlier decision it could
//! clash with, so writes that touch the same thing take turns; writes that touch different
//! items run side by side, and their appends then share the log's group commit (one fsync for
//! all of them) instead of waiting for each other's.
//!
//! Two kinds of turn:
//! - an **item's** turn, for a command on one existing item (a step, a vote, progress, a
//!   comment, …) or for creating a new one: items of different stripes proceed together;
//! - the **node's** turn, for everything else — the registry, workflows, indicators, accounts,
//!   enrollment, an import — which waits for every item write in flight and holds off new ones.
//!
//! Turns order this node's own writes only. Events that arrive from other nodes are ordered by
//! the fold, as they always are.

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use nhip_engine::EventId;
use nhip_engine::command::Command;

/// How many item stripes: commands on items in different stripes write side by side.
const STRIPES: usize = 64;

/// What a write touches, for its turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One existing item.
    Item(EventId),
    /// A new item: it clashes with nothing yet.
    NewItem,
    /// The node as a whole.
    Node,
}

impl Scope {
    /// What `command` touches.
    pub fn of(command: &Command) -> Scope {
        match command {
            Command::CreateItem { .. } => Scope::NewItem,
            Command::Fire { item, .. }
            | Command::Vote { item, .. }
            | Command::Assign { item, .. }
            | Command::Progress { item, .. }
            | Command::Extend { item, .. }
            | Command::Comment { item, .. }
            | Command::Link { item, .. }
            | Command::Resolve { item, .. } => Scope::Item(*item),
            _ => Scope::Node,
        }
    }
}

/// The turns of one node.
pub struct Turns {
    node: RwLock<()>,
    stripes: [Mutex<()>; STRIPES],
}

impl Default for Turns {
    fn default() -> Turns {
        Turns {
            node: RwLock::new(()),
            stripes: std::array::from_fn(|_| Mutex::new(())),
        }
    }
}

/// A turn held: released when dropped.
pub enum Turn<'a> {
    /// An item's turn (or a new item's): the node's shared, the item's stripe alone.
    Item(RwLockReadGuard<'a, ()>, Option<MutexGuard<'a, ()>>),
    /// The node's turn.
    Node(RwLockWriteGuard<'a, ()>),
}

impl Turns {
    /// Waits for the turn for `scope`. The locks guard no data, so a panic while one was held
    /// leaves nothing inconsistent and a poisoned lock is simply taken.
    pub fn take(&self, scope: Scope) -> Turn<'_> {
        match scope {
            Scope::Node => Turn::Node(
                self.node
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            ),
            Scope::NewItem | Scope::Item(_) => {
                let shared = self
                    .node
                    .read()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let stripe = match scope {
                    Scope::Item(item) => Some(
                        self.stripes[stripe_of(&item)]
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner()),
                    ),
                    _ => None,
                };
                Turn::Item(shared, stripe)
            }
        }
    }
}

/// An item's stripe: from the random part of its UUIDv7 id, so items spread evenly.
fn stripe_of(item: &EventId) -> usize {
    let bytes = item.0.as_bytes();
    usize::from(bytes[15]) % STRIPES
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(last: u8) -> EventId {
        let mut bytes = [0u8; 16];
        bytes[15] = last;
        EventId(uuid::Uuid::from_bytes(bytes))
    }

    #[test]
    fn items_of_different_stripes_write_side_by_side_and_the_node_waits_for_both() {
        let turns = Turns::default();
        let first = turns.take(Scope::Item(item(1)));
        let second = turns.take(Scope::Item(item(2)));
        let new = turns.take(Scope::NewItem);
        // The node's turn cannot be had while item turns are held.
        assert!(turns.node.try_write().is_err());
        drop((first, second, new));
        assert!(turns.node.try_write().is_ok());
    }

    #[test]
    fn the_same_item_takes_turns() {
        let turns = Turns::default();
        let _held = turns.take(Scope::Item(item(7)));
        assert!(turns.stripes[stripe_of(&item(7))].try_lock().is_err());
        assert!(turns.stripes[stripe_of(&item(8))].try_lock().is_ok());
    }

    #[test]
    fn registry_changes_take_the_nodes_turn() {
        let command = Command::DefineUnit {
            unit: nhip_engine::UnitId::new("lai-chau").unwrap(),
            name: "Tỉnh Lai Châu".into(),
            kind: "hub".into(),
        };
        assert_eq!(Scope::of(&command), Scope::Node);
    }
}
