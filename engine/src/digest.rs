//! The state hash: blake3 over an explicit, versioned digest of the [`State`], so that
//!
//! > state hash = f(the events held, [`RULES_VERSION`])
//!
//! and nothing else. The digest holds every fact the fold decides — what each event did to
//! which item, registry, workflow and indicator, and each outcome's kind — and none of the
//! words the state carries for people to read (history summaries, refusal reasons, conflict
//! explanations): rewording a message, or translating it, moves no hash, and two versions that
//! differ only in their words agree.
//!
//! The digest is its own type, not the state's serialization: the state's JSON (for `--json`
//! and the pages) may change shape without moving a hash, and the reverse.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::date::Date;
use crate::ids::{EventId, Hash, NodeId, PersonId, PersonKey, UnitId};
use crate::registry::Registry;
use crate::state::{Aspect, Conflict, Entry, Indicator, Item, Outcome, State};
use crate::workflow::Definition;

/// The version of the rules the fold applies. A release that changes what any event does (an
/// authorization rule, the conflict rule, a field's meaning) raises it: nodes of different
/// rules versions may then compute different states from the same events, and say so by their
/// hashes. A release that changes only words keeps it, and keeps every hash.
pub const RULES_VERSION: u32 = 4;

#[derive(Serialize)]
struct Digest<'a> {
    rules: u32,
    events: u64,
    by_origin: &'a BTreeMap<NodeId, u64>,
    unknown_kinds: &'a BTreeMap<String, u64>,
    malformed: u64,
    dangling: u64,
    /// Which events were refused; why is words.
    refused: Vec<&'a EventId>,
    /// Events whose personal signature held (absent while none did, so a log from before
    /// accounts keeps its digest).
    #[serde(skip_serializing_if = "is_zero")]
    signed: u64,
    registry: &'a Registry,
    workflows: &'a BTreeMap<(String, u16), Definition>,
    items: Items<'a>,
    indicators: &'a BTreeMap<String, Indicator>,
}

/// The items, each digested as it is written: encoded exactly as the map of digests would be,
/// without building it first.
struct Items<'a>(&'a BTreeMap<EventId, Item>);

impl Serialize for Items<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(id, found)| (id, item(found))))
    }
}

/// An item's history or conflicts, digested as they are written (encoded as the list of
/// digests would be).
struct Each<'a, T, D>(&'a [T], fn(&'a T) -> D);

impl<'a, T, D: Serialize> Serialize for Each<'a, T, D> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(self.1))
    }
}

#[derive(Serialize)]
struct ItemDigest<'a> {
    workflow: &'a str,
    version: u16,
    unit: &'a UnitId,
    title: &'a str,
    description: &'a str,
    lead_unit: &'a UnitId,
    coordinating: &'a [UnitId],
    assignee: Option<&'a PersonId>,
    creator: &'a PersonId,
    deadline: Option<Date>,
    parent: Option<&'a EventId>,
    indicator: Option<&'a str>,
    state: &'a str,
    entered_ms: u64,
    created_ms: u64,
    percent: u8,
    state_event: &'a EventId,
    deadline_event: &'a EventId,
    assignee_event: &'a EventId,
    votes: &'a BTreeMap<String, BTreeMap<PersonId, bool>>,
    history: Each<'a, Entry, EntryDigest<'a>>,
    conflicts: Each<'a, Conflict, ConflictDigest<'a>>,
}

/// An event in an item's history: which, by whom, and what became of it (its content is the
/// event's own, identified by its id).
#[derive(Serialize)]
struct EntryDigest<'a> {
    event: &'a EventId,
    kind: &'a str,
    actor: &'a PersonId,
    origin: &'a NodeId,
    written_ms: u64,
    outcome: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    signed_by: Option<&'a PersonKey>,
}

#[derive(Serialize)]
struct ConflictDigest<'a> {
    event: &'a EventId,
    against: &'a EventId,
    aspect: &'static str,
    resolved_by: Option<&'a EventId>,
}

/// The kind of an outcome, without its words.
fn outcome_kind(outcome: &Outcome) -> u8 {
    match outcome {
        Outcome::Applied => 0,
        Outcome::Conflict => 1,
        Outcome::Late => 2,
        Outcome::Refused(_) => 3,
    }
}

/// An aspect as the digest has always named it.
fn aspect(aspect: Aspect) -> &'static str {
    match aspect {
        Aspect::State => "state",
        Aspect::Deadline => "deadline",
        Aspect::Assignee => "assignee",
    }
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

fn entry(entry: &Entry) -> EntryDigest<'_> {
    EntryDigest {
        event: &entry.event,
        kind: &entry.kind,
        actor: &entry.actor,
        origin: &entry.origin,
        written_ms: entry.written_ms,
        outcome: outcome_kind(&entry.outcome),
        signed_by: entry.signed_by.as_ref(),
    }
}

fn conflict(conflict: &Conflict) -> ConflictDigest<'_> {
    ConflictDigest {
        event: &conflict.event,
        against: &conflict.against,
        aspect: aspect(conflict.aspect),
        resolved_by: conflict.resolved_by.as_ref(),
    }
}

fn item(item: &Item) -> ItemDigest<'_> {
    ItemDigest {
        workflow: &item.workflow,
        version: item.version,
        unit: &item.unit,
        title: &item.title,
        description: &item.description,
        lead_unit: &item.lead_unit,
        coordinating: &item.coordinating,
        assignee: item.assignee.as_ref(),
        creator: &item.creator,
        deadline: item.deadline,
        parent: item.parent.as_ref(),
        indicator: item.indicator.as_deref(),
        state: &item.state,
        entered_ms: item.entered_ms,
        created_ms: item.created_ms,
        percent: item.percent,
        state_event: &item.state_event,
        deadline_event: &item.deadline_event,
        assignee_event: &item.assignee_event,
        votes: &item.votes,
        history: Each(&item.history, entry),
        conflicts: Each(&item.conflicts, conflict),
    }
}

impl State {
    /// The state hash: blake3 over the state's explicit, versioned digest, which holds what the
    /// fold decided and none of the state's words (see [`crate::digest`]). Maps are ordered, so
    /// equal states always encode, and hash, the same.
    pub fn hash(&self) -> Hash {
        hash(self)
    }
}

/// The hash of `state` (see the module documentation).
pub fn hash(state: &State) -> Hash {
    hash_under(state, RULES_VERSION)
}

/// The hash `state` would have under rules version `rules`. Only for showing that a log from
/// before a rules change folds to the same state as it did (tests/fixture.rs): a state folded by
/// these rules is not the state earlier rules would fold from every log.
pub fn hash_under(state: &State, rules: u32) -> Hash {
    let digest = Digest {
        rules,
        events: state.events,
        by_origin: &state.by_origin,
        unknown_kinds: &state.unknown_kinds,
        malformed: state.malformed,
        dangling: state.dangling,
        refused: state.refused.keys().collect(),
        signed: state.signed,
        registry: &state.registry,
        workflows: &state.workflows,
        items: Items(&state.items),
        indicators: &state.indicators,
    };
    // Written straight into the hasher: a province's digest is hundreds of megabytes.
    let mut hasher = blake3::Hasher::new();
    {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut hasher);
        // Invariant: the digest holds only maps, strings, numbers and ids, which always encode,
        // and writing into a hasher never fails.
        rmp_serde::encode::write(&mut out, &digest).expect("a state digest always encodes");
        std::io::Write::flush(&mut out).expect("a hasher takes every byte");
    }
    Hash(*hasher.finalize().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Outcome, Refusal};

    fn sample() -> State {
        let mut state = State::default();
        let id = EventId(uuid::Uuid::from_u128(7));
        state.refused.insert(id, Refusal::TitleMissing);
        state.events = 1;
        state
    }

    #[test]
    fn rewording_a_refusal_or_a_summary_moves_no_hash() {
        let state = sample();
        let mut reworded = state.clone();
        for reason in reworded.refused.values_mut() {
            *reason = Refusal::ReasonMissing;
        }
        assert_eq!(hash(&state), hash(&reworded));
        // What the fold decided does move it.
        let mut other = state.clone();
        other.refused.clear();
        assert_ne!(hash(&state), hash(&other));
        assert_ne!(
            outcome_kind(&Outcome::Applied),
            outcome_kind(&Outcome::Late)
        );
    }
}
