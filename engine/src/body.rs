//! The body kinds this version knows, and their schemas.
//!
//! A body travels as `(kind, version, bytes)` inside the envelope ([`Body`]). Decoding a body
//! never fails replay: a kind or version this version does not know is [`Decoded::Unknown`]
//! (kept, forwarded and counted), and bytes that do not match a known schema are
//! [`Decoded::Malformed`] (kept and counted).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::event::Body;
use crate::ids::{EventId, NodeId, PersonId, PersonKey, UnitId};

/// The schema version this version writes for every kind.
pub const BODY_VERSION: u16 = 1;

/// The body version of a signed event: the kind's version-1 encoding, wrapped with the
/// signature.
pub const SIGNED_BODY_VERSION: u16 = 2;

/// A signed body's data: the kind's version-1 encoding, the signer's key and the signature
/// ([`crate::signature`] makes and checks it).
#[derive(Serialize, Deserialize)]
pub(crate) struct SignedData {
    #[serde(with = "serde_bytes")]
    pub(crate) inner: Vec<u8>,
    pub(crate) key: PersonKey,
    #[serde(with = "serde_bytes")]
    pub(crate) signature: Vec<u8>,
}

/// [`SignedData`] read in place, without copying its bytes (what a replay reads).
#[derive(Deserialize)]
pub(crate) struct SignedView<'a> {
    #[serde(borrow)]
    pub(crate) inner: &'a [u8],
    pub(crate) key: PersonKey,
    #[serde(borrow)]
    pub(crate) signature: &'a [u8],
}

impl SignedView<'_> {
    /// The signed data of a version-2 body; `None` when it is not well formed.
    pub(crate) fn of(data: &[u8]) -> Option<SignedView<'_>> {
        rmp_serde::from_slice(data).ok()
    }
}

/// The kind's own encoding inside `body`: the data itself for version 1, the inner bytes of a
/// signed body for version 2; `None` for a version this engine does not know or a signed body
/// that is not well formed.
pub fn inner_data(body: &Body) -> Option<&[u8]> {
    match body.version {
        BODY_VERSION => Some(&body.data),
        SIGNED_BODY_VERSION => SignedView::of(&body.data).map(|signed| signed.inner),
        _ => None,
    }
}

/// A unit of the org tree is defined (or renamed).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct UnitDefined {
    /// Its path.
    pub unit: UnitId,
    /// Its display name.
    pub name: String,
    /// Its kind (`hub`, `commune`, `village`, `committee`, `board`, `office`, `cell`, ...).
    pub kind: String,
}

/// A person is registered (or renamed).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PersonRegistered {
    /// Their code.
    pub person: PersonId,
    /// Their full name.
    pub name: String,
}

/// A person is appointed to a role in a unit (or removed from it).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RoleChange {
    /// The person.
    pub person: PersonId,
    /// The unit.
    pub unit: UnitId,
    /// The role code.
    pub role: String,
}

/// A node is enrolled for a unit: its events are that subtree's.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct NodeEnrolled {
    /// The node's key.
    pub node: NodeId,
    /// Its unit.
    pub unit: UnitId,
}

/// A node is revoked: its parent no longer admits it, and every node that holds this event
/// knows it was turned away (a stolen office PC, an office closed). What it wrote before stays
/// its unit's work.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct NodeRevoked {
    /// The node's key.
    pub node: NodeId,
}

/// An administrator issues a person a one-time setup code. The log holds the public half of
/// the key the code stands for ([`crate::signature::setup_key`]), never the code.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct SetupIssued {
    /// The person the code is for.
    pub person: PersonId,
    /// The public half of the code's key.
    pub setup: PersonKey,
    /// After this time (ms, writer's clock of the event that uses it) the code is void.
    pub expires_ms: u64,
}

/// A person publishes their signing key, at setup (or a new one after a new setup code). The
/// event is written as the person and signed by the new key itself.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct KeyAdded {
    /// The person.
    pub person: PersonId,
    /// Their new key; it replaces any earlier one from this event on.
    pub key: PersonKey,
    /// The setup code's public key this publication uses (once).
    pub setup: PersonKey,
    /// The proof that the publisher knew the code ([`crate::signature::setup_proof`]).
    #[serde(with = "serde_bytes")]
    pub proof: Vec<u8>,
    /// The private key, sealed under the person's passphrase, so the person can sign at every
    /// node of their line (the node shell's format; the engine only bounds its size).
    #[serde(with = "serde_bytes")]
    pub sealed: Vec<u8>,
}

/// A person's key is revoked (lost, leaked): signatures by it after this event are refused.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct KeyRevoked {
    /// The person.
    pub person: PersonId,
    /// The key.
    pub key: PersonKey,
}

/// A workflow definition is published, as its TOML source.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct WorkflowPublished {
    /// The definition file, exactly as written.
    pub source: String,
}

/// A new item (task, document, petition, ...): the event's id becomes the item's id, and the
/// event's unit the item's unit.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ItemCreated {
    /// The workflow's id.
    pub workflow: String,
    /// The workflow's version; the item keeps it.
    pub version: u16,
    /// The work (rõ việc).
    pub title: String,
    /// Details.
    pub description: String,
    /// The lead unit (đơn vị chủ trì).
    pub lead_unit: UnitId,
    /// Coordinating units (đơn vị phối hợp).
    pub coordinating: Vec<UnitId>,
    /// The person responsible (rõ người).
    pub assignee: Option<PersonId>,
    /// The deadline (rõ thời gian).
    pub deadline: Option<Date>,
    /// The parent program or resolution item.
    pub parent: Option<EventId>,
    /// The indicator the item serves.
    pub indicator: Option<String>,
    /// Extra fields a workflow may use.
    pub fields: BTreeMap<String, String>,
}

impl ItemCreated {
    /// An item of `workflow` (version 1) named `title`, led by `lead_unit`, with nothing else
    /// set.
    pub fn simple(
        workflow: &str,
        title: impl Into<String>,
        lead_unit: UnitId,
        deadline: Option<Date>,
    ) -> ItemCreated {
        ItemCreated {
            workflow: workflow.to_owned(),
            version: 1,
            title: title.into(),
            description: String::new(),
            lead_unit,
            coordinating: Vec::new(),
            assignee: None,
            deadline,
            parent: None,
            indicator: None,
            fields: BTreeMap::new(),
        }
    }
}

/// A transition is fired.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ItemFired {
    /// The item.
    pub item: EventId,
    /// The transition's id.
    pub transition: String,
    /// The state the writer saw the item in: if the item has moved since, the event is a
    /// conflict, not a silent overwrite.
    pub from: String,
    /// Why, or what was done.
    pub note: String,
}

/// A vote on a transition that needs approval: yes fires it when enough agree; no sends the
/// item back.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ItemVoted {
    /// The item.
    pub item: EventId,
    /// The transition voted on.
    pub transition: String,
    /// The state the voter saw the item in.
    pub from: String,
    /// Yes or no.
    pub approve: bool,
    /// The voter's comment.
    pub note: String,
}

/// The item is (re)assigned.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ItemAssigned {
    /// The item.
    pub item: EventId,
    /// The new assignee.
    pub assignee: PersonId,
    /// The assignee the writer saw.
    pub previous: Option<PersonId>,
}

/// Progress is reported.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ItemProgressed {
    /// The item.
    pub item: EventId,
    /// Percent done, 0 to 100.
    pub percent: u8,
    /// What was done.
    pub note: String,
}

/// The deadline is extended.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ItemExtended {
    /// The item.
    pub item: EventId,
    /// The new deadline.
    pub deadline: Date,
    /// The deadline the writer saw.
    pub previous: Option<Date>,
    /// Why.
    pub reason: String,
}

/// A comment.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ItemCommented {
    /// The item.
    pub item: EventId,
    /// The comment.
    pub text: String,
}

/// The item is linked to a parent program or an indicator.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ItemLinked {
    /// The item.
    pub item: EventId,
    /// The parent program or resolution, if it changes.
    pub parent: Option<EventId>,
    /// The indicator, if it changes.
    pub indicator: Option<String>,
}

/// A person settles an open conflict on an item.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ConflictResolved {
    /// The item.
    pub item: EventId,
    /// The losing event the conflict is about.
    pub conflict: EventId,
    /// The decision, in words.
    pub note: String,
}

/// An indicator (chỉ tiêu) is defined.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct IndicatorDefined {
    /// Its code.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its unit of measure ("%", "hộ", "km").
    pub measure: String,
    /// The target, in thousandths of the measure (integers keep the state hash exact).
    pub target_milli: i64,
    /// The period ("2025", "Q4-2025").
    pub period: String,
}

/// A value is reported for an indicator.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct IndicatorReported {
    /// The indicator.
    pub id: String,
    /// The value reached, in thousandths of the measure.
    pub value_milli: i64,
    /// A note.
    pub note: String,
}

macro_rules! known_kinds {
    ($($variant:ident($schema:ident) = $kind:literal,)*) => {
        /// A body of a kind this version knows.
        #[derive(Clone, PartialEq, Eq, Debug)]
        pub enum Known {
            $(
                #[doc = concat!("`", $kind, "`")]
                $variant($schema),
            )*
        }

        impl Known {
            /// The kind name this body travels under.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Known::$variant(_) => $kind,)*
                }
            }

            /// The body this value encodes to.
            pub fn to_body(&self) -> Body {
                match self {
                    $(Known::$variant(value) => encode($kind, value),)*
                }
            }

            /// Reads a body, telling known, unknown and malformed apart. A signed body
            /// (version [`SIGNED_BODY_VERSION`]) reads as its inner, version-1 body; whether
            /// its signature holds is [`crate::signature::check`]'s to say.
            pub fn from_body(body: &Body) -> Decoded {
                if body.version != BODY_VERSION && body.version != SIGNED_BODY_VERSION {
                    return Decoded::Unknown;
                }
                if !matches!(body.kind.as_str(), $($kind)|*) {
                    return Decoded::Unknown;
                }
                let Some(data) = inner_data(body) else {
                    return Decoded::Malformed("a signed body that is not well formed".into());
                };
                match body.kind.as_str() {
                    $($kind => decode(data, Known::$variant),)*
                    _ => Decoded::Unknown,
                }
            }
        }
    };
}

known_kinds! {
    UnitDefined(UnitDefined) = "unit.defined",
    PersonRegistered(PersonRegistered) = "person.registered",
    RoleAssigned(RoleChange) = "role.assigned",
    RoleRemoved(RoleChange) = "role.removed",
    NodeEnrolled(NodeEnrolled) = "node.enrolled",
    NodeRevoked(NodeRevoked) = "node.revoked",
    SetupIssued(SetupIssued) = "person.setup_issued",
    KeyAdded(KeyAdded) = "person.key_added",
    KeyRevoked(KeyRevoked) = "person.key_revoked",
    WorkflowPublished(WorkflowPublished) = "workflow.published",
    ItemCreated(ItemCreated) = "item.created",
    ItemFired(ItemFired) = "item.fired",
    ItemVoted(ItemVoted) = "item.voted",
    ItemAssigned(ItemAssigned) = "item.assigned",
    ItemProgressed(ItemProgressed) = "item.progressed",
    ItemExtended(ItemExtended) = "item.extended",
    ItemCommented(ItemCommented) = "item.commented",
    ItemLinked(ItemLinked) = "item.linked",
    ConflictResolved(ConflictResolved) = "item.conflict_resolved",
    IndicatorDefined(IndicatorDefined) = "indicator.defined",
    IndicatorReported(IndicatorReported) = "indicator.reported",
}

/// What a body turned out to be.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Decoded {
    /// A known kind.
    Known(Known),
    /// A kind (or a version of a kind) this version does not know.
    Unknown,
    /// A known kind whose bytes do not match its schema.
    Malformed(String),
}

fn encode<T: Serialize>(kind: &str, value: &T) -> Body {
    Body {
        kind: kind.to_owned(),
        version: BODY_VERSION,
        // Invariant: body structs hold only strings, numbers, dates and ids.
        data: rmp_serde::to_vec(value).expect("a body always encodes"),
    }
}

fn decode<T: for<'de> Deserialize<'de>>(data: &[u8], wrap: impl FnOnce(T) -> Known) -> Decoded {
    match rmp_serde::from_slice(data) {
        Ok(value) => Decoded::Known(wrap(value)),
        Err(error) => Decoded::Malformed(error.to_string()),
    }
}

impl Known {
    /// The item this body is about, for item events.
    pub fn item(&self) -> Option<EventId> {
        match self {
            Known::ItemFired(body) => Some(body.item),
            Known::ItemVoted(body) => Some(body.item),
            Known::ItemAssigned(body) => Some(body.item),
            Known::ItemProgressed(body) => Some(body.item),
            Known::ItemExtended(body) => Some(body.item),
            Known::ItemCommented(body) => Some(body.item),
            Known::ItemLinked(body) => Some(body.item),
            Known::ConflictResolved(body) => Some(body.item),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_bodies_round_trip() {
        let fired = Known::ItemFired(ItemFired {
            item: EventId(uuid::Uuid::from_u128(5)),
            transition: "start".into(),
            from: "assigned".into(),
            note: "Bắt đầu tiêu độc khử trùng".into(),
        });
        assert_eq!(fired.kind(), "item.fired");
        assert_eq!(Known::from_body(&fired.to_body()), Decoded::Known(fired));
    }

    #[test]
    fn unknown_kinds_and_versions_are_unknown_not_errors() {
        let newer = Body {
            kind: "budget.revised".into(),
            version: 1,
            data: vec![1, 2, 3],
        };
        assert_eq!(Known::from_body(&newer), Decoded::Unknown);
        let newer_version = Body {
            kind: "item.fired".into(),
            version: SIGNED_BODY_VERSION + 1,
            data: vec![],
        };
        assert_eq!(Known::from_body(&newer_version), Decoded::Unknown);
        let garbage = Body {
            kind: "item.fired".into(),
            version: BODY_VERSION,
            data: vec![0xc1],
        };
        assert!(matches!(Known::from_body(&garbage), Decoded::Malformed(_)));
    }
}
