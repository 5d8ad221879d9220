//! Commands: what a person asks for, checked against the registry and the workflow definition
//! and turned into the event to write. A refused command writes nothing and says why, and who
//! may do it instead.
//!
//! The check is the fold itself: the event is built, then folded into a scratch copy of what it
//! touches, with exactly the rules every node will apply when it replays the event. A command
//! and its replay can therefore never disagree.

mod decide;
mod error;

pub use decide::{decide, decide_signed, latest_workflow};
pub use error::{CommandError, Problem};

use crate::date::Date;
use crate::ids::{EventId, NodeId, PersonId, PersonKey, UnitId};

/// What a person asks for.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Command {
    /// Define (or rename) a unit.
    DefineUnit {
        /// Its path.
        unit: UnitId,
        /// Its display name.
        name: String,
        /// Its kind.
        kind: String,
    },
    /// Register (or rename) a person, in the registry of `unit`.
    RegisterPerson {
        /// Their code.
        person: PersonId,
        /// Their full name.
        name: String,
        /// The unit whose registry records them.
        unit: UnitId,
    },
    /// Appoint a person to a role in a unit.
    AssignRole {
        /// The person.
        person: PersonId,
        /// The unit.
        unit: UnitId,
        /// The role.
        role: String,
    },
    /// Remove a person from a role in a unit.
    RemoveRole {
        /// The person.
        person: PersonId,
        /// The unit.
        unit: UnitId,
        /// The role.
        role: String,
    },
    /// Record that a node belongs to a unit.
    EnrollNode {
        /// The node's key.
        node: NodeId,
        /// Its unit.
        unit: UnitId,
    },
    /// Record that a node is revoked: its parent admits it no more.
    RevokeNode {
        /// The node's key.
        node: NodeId,
        /// The unit it was enrolled for.
        unit: UnitId,
    },
    /// Issue a person a one-time setup code (its key's public half; the code stays with the
    /// administrator and the person).
    IssueSetup {
        /// The person.
        person: PersonId,
        /// The public half of the code's key ([`crate::signature::setup_key`]).
        setup: PersonKey,
        /// Void after this time (ms).
        expires_ms: u64,
        /// The unit whose administrator issues it.
        unit: UnitId,
    },
    /// Publish the actor's own new key, with the proof of a setup code (sign the command with
    /// the new key).
    AddKey {
        /// The new key.
        key: PersonKey,
        /// The setup code's public key.
        setup: PersonKey,
        /// [`crate::signature::setup_proof`] for the actor and the key.
        proof: Vec<u8>,
        /// The private key, sealed under the passphrase.
        sealed: Vec<u8>,
        /// The unit the event is filed under (where the person works).
        unit: UnitId,
    },
    /// Revoke a person's key.
    RevokeKey {
        /// The person.
        person: PersonId,
        /// The key.
        key: PersonKey,
        /// The unit whose administrator revokes it.
        unit: UnitId,
    },
    /// Publish a workflow definition (its TOML source) for `unit` and everything below it.
    PublishWorkflow {
        /// The definition file.
        source: String,
        /// Where it applies.
        unit: UnitId,
    },
    /// Create an item under a workflow.
    CreateItem {
        /// The workflow's id (`task`, `document`, `budget`, `petition`, `inspection`, ...).
        workflow: String,
        /// The unit the item concerns.
        unit: UnitId,
        /// The work.
        title: String,
        /// Details.
        description: String,
        /// The lead unit (defaults to `unit`).
        lead_unit: Option<UnitId>,
        /// Coordinating units.
        coordinating: Vec<UnitId>,
        /// The person responsible.
        assignee: Option<PersonId>,
        /// The deadline (else the workflow's default, if it has one).
        deadline: Option<Date>,
        /// The parent program or resolution.
        parent: Option<EventId>,
        /// The indicator it serves.
        indicator: Option<String>,
    },
    /// Fire a transition (start, submit, complete, cancel, ...).
    Fire {
        /// The item.
        item: EventId,
        /// The transition.
        transition: String,
        /// Why, or what was done.
        note: String,
    },
    /// Approve (yes) or refuse and send back (no) on a transition that needs approval.
    Vote {
        /// The item.
        item: EventId,
        /// The transition (`None`: the one approval the item waits for).
        transition: Option<String>,
        /// Yes or no.
        approve: bool,
        /// A comment.
        note: String,
    },
    /// Assign or reassign.
    Assign {
        /// The item.
        item: EventId,
        /// The new assignee.
        assignee: PersonId,
    },
    /// Report progress.
    Progress {
        /// The item.
        item: EventId,
        /// Percent done.
        percent: u8,
        /// What was done.
        note: String,
    },
    /// Extend the deadline.
    Extend {
        /// The item.
        item: EventId,
        /// The new deadline.
        deadline: Date,
        /// Why.
        reason: String,
    },
    /// Comment.
    Comment {
        /// The item.
        item: EventId,
        /// The comment.
        text: String,
    },
    /// Link to a parent program or an indicator.
    Link {
        /// The item.
        item: EventId,
        /// The parent.
        parent: Option<EventId>,
        /// The indicator.
        indicator: Option<String>,
    },
    /// Record the resolution of an open conflict.
    Resolve {
        /// The item.
        item: EventId,
        /// The losing event the conflict is about.
        conflict: EventId,
        /// The decision.
        note: String,
    },
    /// Define an indicator.
    DefineIndicator {
        /// Its code.
        id: String,
        /// Its name.
        name: String,
        /// Unit of measure.
        measure: String,
        /// Target, in thousandths.
        target_milli: i64,
        /// Period.
        period: String,
        /// Owning unit.
        unit: UnitId,
    },
    /// Report an indicator's value.
    ReportIndicator {
        /// Its code.
        id: String,
        /// The value, in thousandths.
        value_milli: i64,
        /// A note.
        note: String,
    },
}
