//! Why a command was refused: typed facts, never words (the shell words them).

use crate::ids::{EventId, PersonId};
use crate::state::Refusal;
use crate::workflow::Who;

/// Why a command was refused. Nothing was written. Every variant is facts, not words: the
/// shell says them in the person's language.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum CommandError {
    /// No item has this id here.
    #[error("no item {0} is known on this node")]
    UnknownItem(EventId),
    /// No workflow has this id.
    #[error("no workflow {0:?}; known ones: {known}", known = .1.join(", "))]
    UnknownWorkflow(String, Vec<String>),
    /// The item's workflow version is not known on this node yet.
    #[error("workflow {workflow} version {version} is not known on this node yet")]
    WorkflowNotHere {
        /// The workflow.
        workflow: String,
        /// Its version.
        version: u16,
    },
    /// The transition does not exist, or does not leave the item's state.
    #[error("{transition:?} cannot be done in state {state:?}; possible now: {possible}", possible = .available.join(", "))]
    NotNow {
        /// The transition asked for.
        transition: String,
        /// The item's state.
        state: String,
        /// What may be done instead.
        available: Vec<String>,
    },
    /// The person may not do this; others may.
    #[error("{refusal:?}; who may: {who:?}")]
    NotAllowed {
        /// Why not.
        refusal: Refusal,
        /// Who may instead, by the rule that refused (`None` when the rule names no roles).
        who: Option<Who>,
        /// The people who may, here and now, with their names.
        people: Vec<(PersonId, String)>,
    },
    /// The item is finished; nothing more can change it.
    #[error("the item is finished (state {state:?}); nothing more can change it")]
    Finished {
        /// Its final state.
        state: String,
    },
    /// A transition that is approved by voting was fired.
    #[error("{transition} is an approval: approve or refuse it instead")]
    IsApproval {
        /// The transition.
        transition: String,
    },
    /// An approval was given with no approval pending.
    #[error("the item waits for no approval in state {state}")]
    NoApprovalWaiting {
        /// The item's state.
        state: String,
    },
    /// The item changed between reading it and deciding.
    #[error("the item changed meanwhile; look at it again")]
    ChangedMeanwhile,
    /// A field is missing or invalid.
    #[error("{field}: {problem:?}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: Problem,
    },
    /// The command is not allowed by the registry (not an item matter).
    #[error("refused: {0:?}")]
    Refused(Refusal),
}

/// What is wrong with a field of a command.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Problem {
    /// A unit or a person needs a name.
    NameMissing,
    /// Not a role code (a-z, 0-9, '-').
    NotARoleCode(String),
    /// The workflow definition has errors (each with its line; for workflow authors).
    Definition(String),
    /// The work must be named (rõ việc).
    TitleMissing,
    /// The workflow needs a deadline (rõ thời gian).
    DeadlineMissing(String),
    /// The item waits for several approvals: name one.
    SeveralApprovals,
    /// A refusal must say why the item is sent back.
    RefusalNeedsNote,
    /// Percent is 0 to 100.
    PercentRange,
    /// An extension needs a reason.
    ReasonMissing,
    /// A new deadline must be later than the current one.
    DeadlineNotLater,
    /// The comment is empty.
    Empty,
    /// No indicator has this code.
    UnknownIndicator(String),
    /// Say what was decided.
    DecisionMissing,
}

pub(super) fn invalid(field: &'static str, problem: Problem) -> CommandError {
    CommandError::Invalid { field, problem }
}
