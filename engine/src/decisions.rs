//! The inspectors' register of decisions: every decision in a log — registry changes, workflow
//! publications, items created, transitions and votes, deadlines extended, reassignments,
//! conflicts resolved, indicator targets — with who made it, the key that signed it and the
//! verdict on that signature, as an audit finds them.
//!
//! The register is read with every personal signature verified again (it trusts no verdict the
//! log kept), and each verdict is the fold's own: a decision refused for its signature is
//! listed with the refusal the replay made, so the register and the state never disagree.
//! Routine events (progress, comments, links, indicator values) are left out; `audit history`
//! shows them.

use serde::Serialize;

use crate::body::{Decoded, Known};
use crate::event::Event;
use crate::ids::{EventId, Hash, NodeId, PersonId, PersonKey, UnitId};
use crate::log::{EventLog, StoreError};
use crate::signature;
use crate::state::{Detail, Outcome, Refusal, State};

/// What the replay found of a decision's personal signature.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureVerdict {
    /// Signed by the person's current key, and the signature holds.
    Valid,
    /// Not signed, and none was needed: the person had no account yet.
    NotRequired,
    /// Not signed although the person had an account: refused.
    Missing,
    /// A signature that does not hold over the event: refused.
    Invalid,
    /// A signature that holds, by a key that was not the person's at that point: refused.
    KeyNotCurrent,
}

/// One decision, as the register lists it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Decision {
    /// The event.
    pub event: EventId,
    /// blake3 of the event's canonical bytes: the exact event, for a citation.
    pub hash: Hash,
    /// The node that wrote it.
    pub origin: NodeId,
    /// The unit it was written for.
    pub unit: UnitId,
    /// When it was written, by its origin's clock (ms since the epoch).
    pub written_ms: u64,
    /// Who it names as deciding.
    pub actor: PersonId,
    /// Its kind (`item.voted`, `role.assigned`, …).
    pub kind: String,
    /// The item it concerns, for an item's events.
    pub item: Option<EventId>,
    /// What it did to the item, as its history says (for an item's events).
    pub detail: Option<Detail>,
    /// The key its signature names, whether or not the signature holds.
    pub key: Option<PersonKey>,
    /// The verdict on the signature.
    pub signature: SignatureVerdict,
    /// What became of it; `None` for an event whose item this log does not hold.
    pub outcome: Option<Outcome>,
}

/// Whether an event of this kind is a decision (the register lists it) or routine work.
/// Exhaustive, so that a new kind must be placed.
pub fn is_decision(known: &Known) -> bool {
    match known {
        Known::UnitDefined(_)
        | Known::PersonRegistered(_)
        | Known::RoleAssigned(_)
        | Known::RoleRemoved(_)
        | Known::NodeEnrolled(_)
        | Known::NodeRevoked(_)
        | Known::SetupIssued(_)
        | Known::KeyAdded(_)
        | Known::KeyRevoked(_)
        | Known::WorkflowPublished(_)
        | Known::ItemCreated(_)
        | Known::ItemFired(_)
        | Known::ItemVoted(_)
        | Known::ItemAssigned(_)
        | Known::ItemExtended(_)
        | Known::ConflictResolved(_)
        | Known::IndicatorDefined(_) => true,
        Known::ItemProgressed(_)
        | Known::ItemCommented(_)
        | Known::ItemLinked(_)
        | Known::IndicatorReported(_) => false,
    }
}

/// Every decision in `log`, in replay order, each with its signature's verdict and outcome;
/// with the state the replay ended in (for names and titles).
pub fn register(log: &dyn EventLog) -> Result<(Vec<Decision>, State), StoreError> {
    let mut state = State::default();
    let mut decisions = Vec::new();
    log.scan(&mut |event, bytes, _| {
        // An audit verifies every signature itself; the fold counts those that held and
        // were the actor's current key.
        let signed_before = state.signed;
        state.apply(event);
        let signed = state.signed > signed_before;
        let Decoded::Known(known) = Known::from_body(&event.body) else {
            return;
        };
        if is_decision(&known) {
            decisions.push(decision(&state, event, bytes, &known, signed));
        }
    })?;
    Ok((decisions, state))
}

/// The register's line for `event`, read from the state just after it was folded; `signed`
/// says whether the fold accepted its signature.
fn decision(state: &State, event: &Event, bytes: &[u8], known: &Known, signed: bool) -> Decision {
    let item = match known {
        Known::ItemCreated(_) => Some(event.id),
        other => other.item(),
    };
    let entry = item
        .and_then(|item| state.items.get(&item))
        .and_then(|item| item.history.iter().rev().find(|e| e.event == event.id));
    let outcome = match (state.refused.get(&event.id), entry) {
        (Some(refusal), _) => Some(Outcome::Refused(refusal.clone())),
        (None, Some(entry)) => Some(entry.outcome.clone()),
        (None, None) if item.is_some() && !matches!(known, Known::ItemCreated(_)) => None,
        (None, None) => Some(Outcome::Applied),
    };
    // The signature rule runs before any other, so a refusal for the signature is the one
    // recorded; an event it let through either counted as signed or needed no signature.
    let signature = match state.refused.get(&event.id) {
        Some(Refusal::SignatureMissing { .. }) => SignatureVerdict::Missing,
        Some(Refusal::SignatureInvalid { .. }) => SignatureVerdict::Invalid,
        Some(Refusal::KeyNotCurrent { .. }) => SignatureVerdict::KeyNotCurrent,
        _ if signed => SignatureVerdict::Valid,
        _ => SignatureVerdict::NotRequired,
    };
    Decision {
        event: event.id,
        hash: Hash::of(bytes),
        origin: event.origin,
        unit: event.unit.clone(),
        written_ms: event.hlc.wall_ms,
        actor: event.actor.clone(),
        kind: event.body.kind.clone(),
        item,
        detail: entry.map(|entry| entry.detail.clone()),
        key: signature::claimed_key(event),
        signature,
        outcome,
    }
}
