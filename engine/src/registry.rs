//! The org registry as events: units in a tree, people, their roles in units, and which unit
//! each node belongs to. Authorization reads the registry as it stood at the event's position
//! in the replay, so every node decides the same.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ids::{EventId, NodeId, PersonId, PersonKey, UnitId};

/// The role that may change the registry of a unit and everything below it.
pub const ADMIN_ROLE: &str = "quan-tri";

/// A role's code, such as `bi-thu` (secretary) or `uy-vien-bch` (executive committee member).
pub type RoleCode = String;

/// A unit of the tree.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Unit {
    /// Its display name (Vietnamese), such as "Xã Bình Lư".
    pub name: String,
    /// What kind of unit it is: `hub`, `commune`, `village`, `committee`, `board`, `office`,
    /// `cell`, ...
    pub kind: String,
}

/// A person.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Person {
    /// Full name, such as "Tạ Thị Dung".
    pub name: String,
}

/// The registry at one point of the replay.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize)]
pub struct Registry {
    /// Units by path.
    pub units: BTreeMap<UnitId, Unit>,
    /// People by code.
    pub people: BTreeMap<PersonId, Person>,
    /// Who holds which roles where: (unit, role) → people.
    pub roles: BTreeMap<(UnitId, RoleCode), BTreeSet<PersonId>>,
    /// Which unit each enrolled node belongs to (revoked nodes too: what they wrote stays their
    /// unit's).
    pub nodes: BTreeMap<NodeId, UnitId>,
    /// People's accounts: their current signing key. Once a person has one, every event
    /// written as them must carry their signature (the fold refuses it otherwise). Left out of
    /// the digest while empty, so a log from before accounts keeps its digest.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub accounts: BTreeMap<PersonId, Account>,
    /// Setup codes issued, by the public half of the code's key.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub setups: BTreeMap<PersonKey, Setup>,
    /// Nodes revoked, with the `node.revoked` event that did it. Left out of the digest while
    /// empty, so a log without revocations keeps its digest but for the rules version.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub revoked: BTreeMap<NodeId, EventId>,
}

/// A person's account: their current key, and the private key sealed under their passphrase.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Account {
    /// The key their signatures must be made with from `since` on.
    pub key: PersonKey,
    /// The event that published it.
    pub since: EventId,
    /// The private key, sealed under the passphrase (the shell's format).
    #[serde(with = "serde_bytes")]
    pub sealed: Vec<u8>,
}

/// A setup code an administrator issued.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Setup {
    /// Whom it is for.
    pub person: PersonId,
    /// Void after this time (ms, the using event's writer's clock).
    pub expires_ms: u64,
    /// Already used (a code works once).
    pub used: bool,
}

impl Registry {
    /// The key `person` must sign with now, if they have an account.
    pub fn key_of(&self, person: &PersonId) -> Option<PersonKey> {
        self.accounts.get(person).map(|account| account.key)
    }

    /// Whether `person` holds `role` in `unit` exactly.
    pub fn holds(&self, person: &PersonId, unit: &UnitId, role: &str) -> bool {
        self.roles
            .get(&(unit.clone(), role.to_owned()))
            .is_some_and(|people| people.contains(person))
    }

    /// Whether `person` holds `role` in `unit` or in one of its ancestors.
    pub fn holds_in_line(&self, person: &PersonId, unit: &UnitId, role: &str) -> bool {
        let mut current = Some(unit.clone());
        while let Some(unit) = current {
            if self.holds(person, &unit, role) {
                return true;
            }
            current = unit.parent();
        }
        false
    }

    /// Whether `person` holds `role` in a strict ancestor of `unit`.
    pub fn holds_above(&self, person: &PersonId, unit: &UnitId, role: &str) -> bool {
        unit.parent()
            .is_some_and(|parent| self.holds_in_line(person, &parent, role))
    }

    /// The people holding `role` in `unit` exactly.
    pub fn members(&self, unit: &UnitId, role: &str) -> BTreeSet<PersonId> {
        self.roles
            .get(&(unit.clone(), role.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    /// Every role `person` holds, with its unit.
    pub fn roles_of(&self, person: &PersonId) -> Vec<(UnitId, RoleCode)> {
        self.roles
            .iter()
            .filter(|(_, people)| people.contains(person))
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// Whether anyone administers `unit` (in it or above it).
    fn administered(&self, unit: &UnitId) -> bool {
        self.roles.iter().any(|((held_in, role), people)| {
            role == ADMIN_ROLE && !people.is_empty() && unit.is_within(held_in)
        })
    }

    /// Whether `actor` may change the registry at `unit`: an administrator of it or of an
    /// ancestor — or anyone at all while no one administers that part of the tree yet (the
    /// first administrator of a new tree appoints themself; `nhip init` does exactly that).
    pub fn may_administer(&self, actor: &PersonId, unit: &UnitId) -> bool {
        !self.administered(unit) || self.holds_in_line(actor, unit, ADMIN_ROLE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str) -> UnitId {
        UnitId::new(code).unwrap()
    }

    fn person(code: &str) -> PersonId {
        PersonId::new(code).unwrap()
    }

    #[test]
    fn roles_are_found_in_line_and_above() {
        let mut registry = Registry::default();
        registry.roles.insert(
            (unit("tinh/xa"), "bi-thu".into()),
            BTreeSet::from([person("thinh")]),
        );
        assert!(registry.holds_in_line(&person("thinh"), &unit("tinh/xa/ban"), "bi-thu"));
        assert!(registry.holds_above(&person("thinh"), &unit("tinh/xa/ban"), "bi-thu"));
        assert!(!registry.holds_above(&person("thinh"), &unit("tinh/xa"), "bi-thu"));
        assert!(!registry.holds_in_line(&person("thinh"), &unit("tinh"), "bi-thu"));
    }

    #[test]
    fn the_first_administrator_bootstraps_then_only_administrators_administer() {
        let mut registry = Registry::default();
        assert!(registry.may_administer(&person("anyone"), &unit("tinh")));
        registry.roles.insert(
            (unit("tinh"), ADMIN_ROLE.into()),
            BTreeSet::from([person("admin")]),
        );
        assert!(registry.may_administer(&person("admin"), &unit("tinh/xa")));
        assert!(!registry.may_administer(&person("anyone"), &unit("tinh/xa")));
        assert!(registry.may_administer(&person("anyone"), &unit("tinh-khac")));
    }
}
