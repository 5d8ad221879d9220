//! Who may do what: every authorization rule of the fold, in one place. The rules that vary by
//! workflow — who fires each transition, who assigns, who extends a deadline — are data in the
//! definitions (`roles`, `[rules]`, docs/WORKFLOWS.md); the rest are here. A command's refusal
//! names who may instead from these same rules, so the hint and the fold cannot disagree.

use std::collections::BTreeSet;

use crate::ids::{PersonId, UnitId};
use crate::registry::Registry;
use crate::state::item::Item;
use crate::workflow::{RoleRef, Who};

/// The roles that may define an indicator for a unit they hold them in, or above it, besides
/// its administrators.
pub const INDICATOR_ROLES: [&str; 3] = ["bi-thu", "pho-bi-thu", "chu-tich"];

/// Whether `actor` matches `role` for `item`.
pub fn matches_role(registry: &Registry, item: &Item, role: &RoleRef, actor: &PersonId) -> bool {
    match role {
        RoleRef::Assignee => item.assignee.as_ref() == Some(actor),
        RoleRef::Creator => &item.creator == actor,
        RoleRef::InLine(role) => registry.holds_in_line(actor, &item.unit, role),
        RoleRef::Above(role) => registry.holds_above(actor, &item.unit, role),
        RoleRef::Lead(role) => registry.holds_in_line(actor, &item.lead_unit, role),
    }
}

/// Whether `actor` matches any of `roles` for `item`.
pub fn matches_any(registry: &Registry, item: &Item, roles: &[RoleRef], actor: &PersonId) -> bool {
    roles
        .iter()
        .any(|role| matches_role(registry, item, role, actor))
}

/// Whether `actor` may take part in deciding `who` (fire it, or vote on it).
pub fn may_decide(registry: &Registry, item: &Item, who: &Who, actor: &PersonId) -> bool {
    match who {
        Who::OneOf(roles) | Who::AllOf(roles) => matches_any(registry, item, roles, actor),
        Who::Quorum { role, .. } => registry.holds(actor, &item.unit, role),
    }
}

/// Whether `actor` holds any role in `unit` or above it.
pub fn works_in_line(registry: &Registry, actor: &PersonId, unit: &UnitId) -> bool {
    registry
        .roles_of(actor)
        .iter()
        .any(|(held_in, _)| unit.is_within(held_in))
}

/// Whether `actor` may create an item in `unit`: anyone working in line with it, or an
/// administrator of it.
pub fn may_create(registry: &Registry, actor: &PersonId, unit: &UnitId) -> bool {
    works_in_line(registry, actor, unit) || registry.may_administer(actor, unit)
}

/// Whether `actor` may report progress, comment or link on `item`: the assignee, the creator,
/// or anyone working in line with its unit, its lead unit or a coordinating unit.
pub fn takes_part(registry: &Registry, item: &Item, actor: &PersonId) -> bool {
    item.assignee.as_ref() == Some(actor)
        || item.creator == *actor
        || works_in_line(registry, actor, &item.unit)
        || works_in_line(registry, actor, &item.lead_unit)
        || item
            .coordinating
            .iter()
            .any(|unit| works_in_line(registry, actor, unit))
}

/// Whether `actor` may record the resolution of a conflict on `item`: anyone working in line
/// with its unit.
pub fn may_resolve(registry: &Registry, item: &Item, actor: &PersonId) -> bool {
    works_in_line(registry, actor, &item.unit)
}

/// Whether `actor` may define an indicator owned by `unit`.
pub fn may_define_indicator(registry: &Registry, actor: &PersonId, unit: &UnitId) -> bool {
    registry.may_administer(actor, unit)
        || INDICATOR_ROLES
            .iter()
            .any(|role| registry.holds_in_line(actor, unit, role))
}

/// Whether `actor` may report a value for an indicator owned by `unit`.
pub fn may_report_indicator(registry: &Registry, actor: &PersonId, unit: &UnitId) -> bool {
    works_in_line(registry, actor, unit)
}

/// The people who match `who` for `item`, among everyone the registry names and the item's
/// own people.
pub fn eligible_people(registry: &Registry, item: &Item, who: &Who) -> Vec<PersonId> {
    let candidates: BTreeSet<&PersonId> = registry
        .roles
        .values()
        .flatten()
        .chain(item.assignee.iter())
        .chain(std::iter::once(&item.creator))
        .collect();
    candidates
        .into_iter()
        .filter(|person| may_decide(registry, item, who, person))
        .cloned()
        .collect()
}
