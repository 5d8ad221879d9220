//! Why the fold refused an event: a kind and the facts it turned on, never a sentence. The
//! shell words each kind in Vietnamese and English (`node/src/texts.rs`); a refusal's words
//! can change without moving any state hash.

use serde::Serialize;

use crate::ids::{NodeId, PersonId, UnitId};

/// Why an event was not allowed at its position in the replay. It stays in the log, is
/// counted, shows in its item's history, and changes nothing.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refusal {
    /// The actor does not administer the unit (registry changes, publishing a workflow).
    NotAdministrator {
        /// The actor.
        actor: PersonId,
        /// The unit.
        unit: UnitId,
    },
    /// The actor holds no role in the unit or above it.
    NoRoleInLine {
        /// The actor.
        actor: PersonId,
        /// The unit.
        unit: UnitId,
    },
    /// The workflow definition does not parse or check.
    InvalidDefinition,
    /// A workflow of this id and version exists with other content.
    WorkflowExists {
        /// Its id.
        workflow: String,
        /// Its version.
        version: u16,
    },
    /// No workflow of this id and version is known here.
    UnknownWorkflow {
        /// Its id.
        workflow: String,
        /// Its version.
        version: u16,
    },
    /// An item needs a title.
    TitleMissing,
    /// The workflow requires a deadline.
    DeadlineMissing {
        /// The workflow.
        workflow: String,
    },
    /// An item with this id exists.
    ItemExists,
    /// The actor may not define indicators for the unit.
    MayNotDefineIndicator {
        /// The actor.
        actor: PersonId,
        /// The unit.
        unit: UnitId,
    },
    /// An indicator's target must be above zero.
    TargetNotPositive,
    /// No indicator has this code.
    UnknownIndicator {
        /// The code.
        indicator: String,
    },
    /// An item event's unit is not the item's unit.
    WrongUnit {
        /// The item's unit.
        item_unit: UnitId,
        /// The event's unit.
        event_unit: UnitId,
    },
    /// The actor takes no part in the item.
    TakesNoPart {
        /// The actor.
        actor: PersonId,
    },
    /// The actor may not (re)assign the item.
    MayNotAssign {
        /// The actor.
        actor: PersonId,
    },
    /// The actor may not extend the item's deadline.
    MayNotExtend {
        /// The actor.
        actor: PersonId,
    },
    /// The actor may not resolve the item's conflicts.
    MayNotResolve {
        /// The actor.
        actor: PersonId,
    },
    /// An extension needs a reason.
    ReasonMissing,
    /// The workflow has no such transition.
    NoTransition {
        /// The transition asked for.
        transition: String,
    },
    /// The transition is decided by votes, not fired.
    DecidedByVotes {
        /// The transition.
        transition: String,
    },
    /// The actor may not fire, or vote on, the transition.
    MayNotDecide {
        /// The actor.
        actor: PersonId,
        /// The transition.
        transition: String,
    },
    /// The transition does not leave the item's state.
    DoesNotLeave {
        /// The transition.
        transition: String,
        /// The item's state.
        state: String,
    },
    /// The transition cannot be refused (it has no state to send the item back to).
    CannotBeRefused {
        /// The transition.
        transition: String,
    },
    /// No such conflict on the item.
    NoSuchConflict,
    /// The event needed the actor's personal signature and carries none.
    SignatureMissing {
        /// The actor.
        actor: PersonId,
    },
    /// The personal signature does not verify over this event's content.
    SignatureInvalid {
        /// The actor.
        actor: PersonId,
    },
    /// The signature was made with a key that is not the actor's current key at this point.
    KeyNotCurrent {
        /// The actor.
        actor: PersonId,
    },
    /// A key was published without a valid, unused, unexpired setup code.
    SetupInvalid {
        /// The person.
        person: PersonId,
    },
    /// The person is not registered.
    UnknownPerson {
        /// The person.
        person: PersonId,
    },
    /// No node with this key is enrolled for the unit.
    UnknownNode {
        /// The node.
        node: NodeId,
    },
}
