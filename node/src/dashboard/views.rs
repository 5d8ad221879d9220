//! What the overview answers: its own types, made from the state for a page, never the hashed
//! state itself — a change here moves no state hash, and the reverse.

use std::collections::BTreeMap;

use nhip_engine::EventId;
use nhip_engine::UnitId;
use nhip_engine::state::{Aspect, Conflict, Entry, Item, Outcome, State, Summary};
use serde::Serialize;

use crate::app::views::{named, outcome_code};
use crate::texts::Texts;

pub(super) fn light(summary: &nhip_engine::state::Summary, stale: bool) -> &'static str {
    if stale {
        "grey"
    } else if summary.overdue > 0 || summary.open_conflicts > 0 {
        "red"
    } else if summary.due_soon > 0 || summary.waiting_approval > 0 {
        "yellow"
    } else {
        "green"
    }
}

/// One unit's line in the overview.
#[derive(serde::Serialize)]
pub(super) struct UnitRow<'a> {
    pub(super) unit: &'a UnitId,
    pub(super) name: &'a str,
    pub(super) kind: Option<&'a str>,
    pub(super) depth: usize,
    pub(super) summary: &'a Summary,
    pub(super) done: u64,
    pub(super) last_seen_ms: Option<u64>,
    pub(super) stale: bool,
    pub(super) light: &'static str,
}

/// One event of an item's history, as the overview's item page shows it.
#[derive(Serialize)]
pub(super) struct HistoryEntry {
    event: EventId,
    /// The event's kind, as on the wire (`item.fired`, …).
    kind: String,
    actor: String,
    actor_name: Option<String>,
    /// The node that wrote it (hex).
    origin: String,
    written_ms: u64,
    received_ms: u64,
    /// What it did, in words.
    summary: String,
    /// `applied`, `conflict`, `late` or `refused`.
    outcome: &'static str,
    /// What became of it, in words (empty when applied).
    outcome_text: String,
    /// The key that signed it (hex), when signed.
    signed_by: Option<String>,
}

impl HistoryEntry {
    pub(super) fn of(
        state: &State,
        item: &Item,
        entry: &Entry,
        received: &BTreeMap<EventId, u64>,
        texts: Texts,
    ) -> HistoryEntry {
        HistoryEntry {
            event: entry.event,
            kind: entry.kind.to_string(),
            actor: entry.actor.to_string(),
            actor_name: state
                .registry
                .people
                .get(&entry.actor)
                .map(|person| person.name.clone()),
            origin: entry.origin.to_hex(),
            written_ms: entry.written_ms,
            received_ms: received
                .get(&entry.event)
                .copied()
                .unwrap_or(entry.written_ms),
            summary: texts.detail(&named(state, item, &entry.detail)),
            outcome: outcome_code(&entry.outcome),
            outcome_text: match entry.outcome {
                Outcome::Applied => String::new(),
                ref other => texts.outcome(other),
            },
            signed_by: entry.signed_by.map(|key| key.to_hex()),
        }
    }
}

/// One conflict on an item.
#[derive(Serialize)]
pub(super) struct ConflictEntry {
    /// The event that lost.
    event: EventId,
    /// The event that stands.
    against: EventId,
    /// What both tried to change: `state`, `deadline` or `assignee`.
    aspect: &'static str,
    /// Why this one lost, in words.
    reason: String,
    /// The event that resolved it, if any.
    resolved_by: Option<EventId>,
}

impl ConflictEntry {
    pub(super) fn of(conflict: &Conflict, texts: Texts) -> ConflictEntry {
        ConflictEntry {
            event: conflict.event,
            against: conflict.against,
            aspect: aspect_code(conflict.aspect),
            reason: texts.conflict_why(&conflict.why),
            resolved_by: conflict.resolved_by,
        }
    }
}

/// What two conflicting events both tried to change, as a code of the API.
pub(super) fn aspect_code(aspect: Aspect) -> &'static str {
    match aspect {
        Aspect::State => "state",
        Aspect::Deadline => "deadline",
        Aspect::Assignee => "assignee",
    }
}
