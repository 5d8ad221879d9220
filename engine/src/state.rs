//! The state every screen and report is made from: the registry, workflow definitions, items
//! with their history and conflicts, and indicators — folded from events in replay order — and
//! the state hash that lets two nodes prove they hold the same state.
//!
//! Every event is checked again here, against the registry and the definition as they stand at
//! its position in the replay: an event that is not allowed there is kept in the log, counted
//! and shown in the item's history as refused, and changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::body::{
    ConflictResolved, Decoded, IndicatorDefined, IndicatorReported, ItemCreated, ItemExtended,
    ItemFired, ItemVoted, Known,
};
use crate::date::Date;
use crate::event::Event;
use crate::ids::{EventId, NodeId, PersonId, UnitId};
use crate::registry::{Person, Registry, Unit};
use crate::workflow::{self, Definition, RoleRef, Who};

/// What became of an event on an item.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub enum Outcome {
    /// It took effect.
    Applied,
    /// It was written without seeing a change that came first in the replay order, and does
    /// not commute with it: it lost, and is an open conflict until a person resolves it.
    Conflict,
    /// It came after the item was settled and agreed with the outcome, or could no longer
    /// apply; it stays in the history.
    Late,
    /// It was not allowed (by the registry or the definition) at its position.
    Refused(String),
}

/// One event in an item's history.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Entry {
    /// The event.
    pub event: EventId,
    /// Its kind.
    pub kind: String,
    /// Who acted.
    pub actor: PersonId,
    /// The node that wrote it.
    pub origin: NodeId,
    /// When it was written, by its origin's clock (ms since the epoch).
    pub written_ms: u64,
    /// A one-line summary (transition, vote, percent, comment...).
    pub summary: String,
    /// What became of it.
    pub outcome: Outcome,
}

/// An open or resolved conflict on an item.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Conflict {
    /// The event that lost.
    pub event: EventId,
    /// The event it lost against.
    pub against: EventId,
    /// What both tried to change: `state`, `deadline` or `assignee`.
    pub aspect: String,
    /// Why, in words.
    pub reason: String,
    /// The resolution event, once a person has recorded one.
    pub resolved_by: Option<EventId>,
}

/// An item (task, document, budget, petition, inspection) as the events make it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Item {
    /// Its workflow's id.
    pub workflow: String,
    /// The workflow version it was created under.
    pub version: u16,
    /// The unit it concerns (its chain's unit).
    pub unit: UnitId,
    /// The work.
    pub title: String,
    /// Details.
    pub description: String,
    /// The lead unit.
    pub lead_unit: UnitId,
    /// Coordinating units.
    pub coordinating: Vec<UnitId>,
    /// The person responsible.
    pub assignee: Option<PersonId>,
    /// Who created it.
    pub creator: PersonId,
    /// The deadline.
    pub deadline: Option<Date>,
    /// The parent program or resolution.
    pub parent: Option<EventId>,
    /// The indicator it serves.
    pub indicator: Option<String>,
    /// Its current state.
    pub state: String,
    /// When it entered that state (writer's clock, ms).
    pub entered_ms: u64,
    /// When it was created (writer's clock, ms).
    pub created_ms: u64,
    /// Last reported percent.
    pub percent: u8,
    /// The last event that changed its state: its version.
    pub state_event: EventId,
    /// The last event that set its deadline.
    pub deadline_event: EventId,
    /// The last event that set its assignee.
    pub assignee_event: EventId,
    /// Yes/no votes on the approval pending in the current state, by transition.
    pub votes: BTreeMap<String, BTreeMap<PersonId, bool>>,
    /// Every event about it, in replay order.
    pub history: Vec<Entry>,
    /// Conflicts, open and resolved.
    pub conflicts: Vec<Conflict>,
}

impl Item {
    /// Past its deadline and not finished (`definition` is the item's own).
    pub fn is_overdue(&self, definition: &Definition, today: Date) -> bool {
        !definition.is_terminal(&self.state)
            && self.deadline.is_some_and(|deadline| deadline < today)
    }

    /// Due within `days` days (not yet overdue) and not finished.
    pub fn is_due_within(&self, definition: &Definition, today: Date, days: i32) -> bool {
        !definition.is_terminal(&self.state)
            && self
                .deadline
                .is_some_and(|deadline| deadline >= today && today.days_until(deadline) <= days)
    }

    /// Open conflicts.
    pub fn open_conflicts(&self) -> impl Iterator<Item = &Conflict> {
        self.conflicts
            .iter()
            .filter(|conflict| conflict.resolved_by.is_none())
    }

    /// Whether the item waits for an approval in its current state (without saying whose).
    pub fn is_waiting(&self, definition: &Definition) -> bool {
        !definition.is_terminal(&self.state)
            && definition
                .transitions_from(&self.state)
                .any(|transition| transition.reject_to.is_some())
    }

    /// The approvals the item waits for in its current state: transition and who may give it.
    pub fn waiting_for(&self, definition: &Definition) -> Vec<(String, Vec<String>)> {
        definition
            .transitions_from(&self.state)
            .filter(|transition| transition.reject_to.is_some())
            .map(|transition| (transition.id.clone(), who_text(&transition.who)))
            .collect()
    }

    /// Escalations due on `today`: to a role, or to the parent unit.
    pub fn escalations(&self, definition: &Definition, today: Date) -> Vec<String> {
        if definition.is_terminal(&self.state) {
            return Vec::new();
        }
        definition
            .escalations
            .iter()
            .filter(|escalation| match &escalation.state {
                None => self.deadline.is_some_and(|deadline| {
                    deadline.days_until(today) >= escalation.after_days as i32
                }),
                Some(state) => {
                    state == &self.state
                        && Date::from_unix_ms(self.entered_ms).days_until(today)
                            >= escalation.after_days as i32
                }
            })
            .map(|escalation| match &escalation.to_role {
                Some(role) => role.clone(),
                None => "parent unit".to_owned(),
            })
            .collect()
    }
}

/// An indicator (chỉ tiêu).
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Indicator {
    /// Its name.
    pub name: String,
    /// Its unit of measure.
    pub measure: String,
    /// The owning unit.
    pub unit: UnitId,
    /// The period.
    pub period: String,
    /// The target, in thousandths.
    pub target_milli: i64,
    /// The latest reported value, in thousandths.
    pub value_milli: Option<i64>,
    /// Reports: (writer's clock ms, value in thousandths, who).
    pub reports: Vec<(u64, i64, PersonId)>,
}

impl Indicator {
    /// Attainment in thousandths of the target (1000 = met).
    pub fn attainment_milli(&self) -> Option<i64> {
        let value = self.value_milli?;
        if self.target_milli == 0 {
            return None;
        }
        Some(value.saturating_mul(1000) / self.target_milli)
    }
}

/// The state of a node: a pure function of the set of events it holds.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize)]
pub struct State {
    /// Events folded.
    pub events: u64,
    /// Events folded per origin.
    pub by_origin: BTreeMap<NodeId, u64>,
    /// Events of kinds this version does not know, per kind: kept and forwarded, counted here.
    pub unknown_kinds: BTreeMap<String, u64>,
    /// Events of a known kind whose body does not match its schema.
    pub malformed: u64,
    /// Events about an item this node does not hold (yet).
    pub dangling: u64,
    /// Events not allowed at their position in the replay (registry and item events alike):
    /// event → why. They stay in the log and change nothing.
    pub refused: BTreeMap<EventId, String>,
    /// The org registry.
    pub registry: Registry,
    /// Published workflow definitions (the built-ins are always available besides).
    pub workflows: BTreeMap<(String, u16), Definition>,
    /// Items by id (the id of the creating event).
    pub items: BTreeMap<EventId, Item>,
    /// Indicators by code.
    pub indicators: BTreeMap<String, Indicator>,
}

/// A workflow definition: published in `workflows`, or built in.
pub fn lookup<'a>(
    workflows: &'a BTreeMap<(String, u16), Definition>,
    id: &str,
    version: u16,
) -> Option<&'a Definition> {
    workflows
        .get(&(id.to_owned(), version))
        .or_else(|| workflow::builtin(id, version))
}

/// The role references of a transition, as text for people.
pub fn who_text(who: &Who) -> Vec<String> {
    match who {
        Who::OneOf(roles) | Who::AllOf(roles) => roles.iter().map(ToString::to_string).collect(),
        Who::Quorum { role, threshold } => vec![format!("{role} ({threshold:?})")],
    }
}

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

/// Whether `actor` holds any role in `unit` or above it.
pub fn works_in_line(registry: &Registry, actor: &PersonId, unit: &UnitId) -> bool {
    registry
        .roles_of(actor)
        .iter()
        .any(|(held_in, _)| unit.is_within(held_in))
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

/// What a vote or firing means for an item in its current state.
enum Step {
    /// The transition fires now.
    Fire { to: String },
    /// A vote was counted; the transition has not fired yet.
    Counted,
}

impl State {
    /// Folds one event. Must be called in replay order ([`crate::OrderKey`]).
    pub fn apply(&mut self, event: &Event) {
        self.events += 1;
        *self.by_origin.entry(event.origin).or_default() += 1;
        let known = match Known::from_body(&event.body) {
            Decoded::Known(known) => known,
            Decoded::Unknown => {
                *self
                    .unknown_kinds
                    .entry(event.body.kind.clone())
                    .or_default() += 1;
                return;
            }
            Decoded::Malformed(_) => {
                self.malformed += 1;
                return;
            }
        };
        if let Some(item) = known.item() {
            self.apply_to_item(event, item, known);
            return;
        }
        if let Err(reason) = self.apply_other(event, known) {
            self.refused.insert(event.id, reason);
        }
    }

    /// Registry, workflow, item creation and indicator events.
    fn apply_other(&mut self, event: &Event, known: Known) -> Result<(), String> {
        let actor = &event.actor;
        let administer = |registry: &Registry, unit: &UnitId| {
            if registry.may_administer(actor, unit) {
                Ok(())
            } else {
                Err(format!("{actor} does not administer {unit}"))
            }
        };
        match known {
            Known::UnitDefined(body) => {
                administer(&self.registry, &body.unit)?;
                self.registry.units.insert(
                    body.unit,
                    Unit {
                        name: body.name,
                        kind: body.kind,
                    },
                );
            }
            Known::PersonRegistered(body) => {
                administer(&self.registry, &event.unit)?;
                self.registry
                    .people
                    .insert(body.person, Person { name: body.name });
            }
            Known::RoleAssigned(body) => {
                administer(&self.registry, &body.unit)?;
                self.registry
                    .roles
                    .entry((body.unit, body.role))
                    .or_default()
                    .insert(body.person);
            }
            Known::RoleRemoved(body) => {
                administer(&self.registry, &body.unit)?;
                let key = (body.unit, body.role);
                if let Some(people) = self.registry.roles.get_mut(&key) {
                    people.remove(&body.person);
                    if people.is_empty() {
                        self.registry.roles.remove(&key);
                    }
                }
            }
            Known::NodeEnrolled(body) => {
                administer(&self.registry, &body.unit)?;
                self.registry.nodes.insert(body.node, body.unit);
            }
            Known::WorkflowPublished(body) => {
                administer(&self.registry, &event.unit)?;
                let definition = Definition::parse(&body.source)
                    .map_err(|errors| format!("invalid definition: {errors}"))?;
                let key = (definition.id.clone(), definition.version);
                match lookup(&self.workflows, &key.0, key.1) {
                    Some(existing) if existing != &definition => {
                        return Err(format!(
                            "workflow {} version {} exists with other content; publish a new version",
                            key.0, key.1
                        ));
                    }
                    _ => {
                        self.workflows.insert(key, definition);
                    }
                }
            }
            Known::ItemCreated(body) => self.create_item(event, body)?,
            Known::IndicatorDefined(body) => self.define_indicator(event, body)?,
            Known::IndicatorReported(body) => self.report_indicator(event, body)?,
            // Item events are routed to `apply_to_item`.
            _ => return Err("not an event this fold routes here".into()),
        }
        Ok(())
    }

    fn create_item(&mut self, event: &Event, body: ItemCreated) -> Result<(), String> {
        let definition =
            lookup(&self.workflows, &body.workflow, body.version).ok_or_else(|| {
                format!(
                    "unknown workflow {} version {}",
                    body.workflow, body.version
                )
            })?;
        if !works_in_line(&self.registry, &event.actor, &event.unit)
            && !self.registry.may_administer(&event.actor, &event.unit)
        {
            return Err(format!(
                "{} holds no role in {} or above it",
                event.actor, event.unit
            ));
        }
        if body.title.trim().is_empty() {
            return Err("an item needs a title".into());
        }
        if definition.deadline.required && body.deadline.is_none() {
            return Err(format!("a {} needs a deadline", definition.id));
        }
        if self.items.contains_key(&event.id) {
            return Err("an item with this id exists".into());
        }
        self.items.insert(
            event.id,
            Item {
                workflow: body.workflow,
                version: body.version,
                unit: event.unit.clone(),
                title: body.title,
                description: body.description,
                lead_unit: body.lead_unit,
                coordinating: body.coordinating,
                assignee: body.assignee,
                creator: event.actor.clone(),
                deadline: body.deadline,
                parent: body.parent,
                indicator: body.indicator,
                state: definition.initial.clone(),
                entered_ms: event.hlc.wall_ms,
                created_ms: event.hlc.wall_ms,
                percent: 0,
                state_event: event.id,
                deadline_event: event.id,
                assignee_event: event.id,
                votes: BTreeMap::new(),
                history: vec![entry(event, "tạo mới".into(), Outcome::Applied)],
                conflicts: Vec::new(),
            },
        );
        Ok(())
    }

    fn define_indicator(&mut self, event: &Event, body: IndicatorDefined) -> Result<(), String> {
        let allowed = self.registry.may_administer(&event.actor, &event.unit)
            || ["bi-thu", "pho-bi-thu", "chu-tich"]
                .iter()
                .any(|role| self.registry.holds_in_line(&event.actor, &event.unit, role));
        if !allowed {
            return Err(format!(
                "{} may not define indicators for {}",
                event.actor, event.unit
            ));
        }
        if body.target_milli <= 0 {
            return Err("an indicator's target must be above zero".into());
        }
        let reports = self
            .indicators
            .remove(&body.id)
            .map(|previous| (previous.value_milli, previous.reports));
        let (value_milli, reports) = reports.unwrap_or((None, Vec::new()));
        self.indicators.insert(
            body.id,
            Indicator {
                name: body.name,
                measure: body.measure,
                unit: event.unit.clone(),
                period: body.period,
                target_milli: body.target_milli,
                value_milli,
                reports,
            },
        );
        Ok(())
    }

    fn report_indicator(&mut self, event: &Event, body: IndicatorReported) -> Result<(), String> {
        let indicator = self
            .indicators
            .get_mut(&body.id)
            .ok_or_else(|| format!("unknown indicator {}", body.id))?;
        if !works_in_line(&self.registry, &event.actor, &indicator.unit) {
            return Err(format!(
                "{} holds no role in {} or above it",
                event.actor, indicator.unit
            ));
        }
        indicator.value_milli = Some(body.value_milli);
        indicator
            .reports
            .push((event.hlc.wall_ms, body.value_milli, event.actor.clone()));
        Ok(())
    }

    fn apply_to_item(&mut self, event: &Event, id: EventId, known: Known) {
        let Some(mut item) = self.items.remove(&id) else {
            self.dangling += 1;
            return;
        };
        let outcome = self.item_outcome(event, &mut item, known);
        let summary = item_summary(&event.body);
        if let Outcome::Refused(reason) = &outcome {
            self.refused.insert(event.id, reason.clone());
        }
        item.history.push(entry(event, summary, outcome));
        self.items.insert(id, item);
    }

    /// Decides what an event does to an item, and does it.
    fn item_outcome(&self, event: &Event, item: &mut Item, known: Known) -> Outcome {
        if event.unit != item.unit {
            return Outcome::Refused(format!(
                "item events are about {}, not {}",
                item.unit, event.unit
            ));
        }
        let Some(definition) = lookup(&self.workflows, &item.workflow, item.version) else {
            return Outcome::Refused("the item's workflow is unknown here".into());
        };
        let actor = &event.actor;
        let registry = &self.registry;
        match known {
            Known::ItemCommented(_) => {
                if takes_part(registry, item, actor) {
                    Outcome::Applied
                } else {
                    Outcome::Refused(format!("{actor} takes no part in this item"))
                }
            }
            Known::ItemProgressed(body) => {
                if !takes_part(registry, item, actor) {
                    return Outcome::Refused(format!("{actor} takes no part in this item"));
                }
                if definition.is_terminal(&item.state) {
                    return Outcome::Late;
                }
                item.percent = body.percent.min(100);
                Outcome::Applied
            }
            Known::ItemLinked(body) => {
                if !takes_part(registry, item, actor) {
                    return Outcome::Refused(format!("{actor} takes no part in this item"));
                }
                if body.parent.is_some() {
                    item.parent = body.parent;
                }
                if body.indicator.is_some() {
                    item.indicator = body.indicator;
                }
                Outcome::Applied
            }
            Known::ItemAssigned(body) => {
                let allowed = item.creator == *actor
                    || ["bi-thu", "pho-bi-thu", "truong-ban", "chu-tich"]
                        .iter()
                        .any(|role| {
                            registry.holds_in_line(actor, &item.lead_unit, role)
                                || registry.holds_in_line(actor, &item.unit, role)
                        });
                if !allowed {
                    return Outcome::Refused(format!("{actor} may not assign this item"));
                }
                if definition.is_terminal(&item.state) {
                    return Outcome::Late;
                }
                if item.assignee != body.previous {
                    return conflict(
                        item,
                        event,
                        "assignee",
                        item.assignee_event,
                        "assigned twice at once",
                    );
                }
                item.assignee = Some(body.assignee);
                item.assignee_event = event.id;
                Outcome::Applied
            }
            Known::ItemExtended(body) => self.extend(event, item, definition, body),
            Known::ItemFired(body) => self.fire(event, item, definition, body),
            Known::ItemVoted(body) => self.vote(event, item, definition, body),
            Known::ConflictResolved(body) => resolve(registry, event, item, body),
            _ => Outcome::Refused("not an item event".into()),
        }
    }

    fn extend(
        &self,
        event: &Event,
        item: &mut Item,
        definition: &Definition,
        body: ItemExtended,
    ) -> Outcome {
        let actor = &event.actor;
        let allowed = ["bi-thu", "pho-bi-thu", "truong-ban", "chu-tich", "lanh-dao"]
            .iter()
            .any(|role| self.registry.holds_in_line(actor, &item.unit, role))
            || item.creator == *actor;
        if !allowed {
            return Outcome::Refused(format!("{actor} may not extend this item's deadline"));
        }
        if body.reason.trim().is_empty() {
            return Outcome::Refused("an extension needs a reason".into());
        }
        if definition.is_terminal(&item.state) {
            return Outcome::Late;
        }
        if item.deadline != body.previous {
            return conflict(
                item,
                event,
                "deadline",
                item.deadline_event,
                "the deadline was extended twice at once",
            );
        }
        item.deadline = Some(body.deadline);
        item.deadline_event = event.id;
        Outcome::Applied
    }

    fn fire(
        &self,
        event: &Event,
        item: &mut Item,
        definition: &Definition,
        body: ItemFired,
    ) -> Outcome {
        let Some(transition) = definition.transition(&body.transition) else {
            return Outcome::Refused(format!(
                "{} has no transition {}",
                definition.id, body.transition
            ));
        };
        let Who::OneOf(roles) = &transition.who else {
            return Outcome::Refused(format!("{} is decided by votes", transition.id));
        };
        if !roles
            .iter()
            .any(|role| matches_role(&self.registry, item, role, &event.actor))
        {
            return Outcome::Refused(format!(
                "{} may not {}; it takes {}",
                event.actor,
                transition.id,
                who_text(&transition.who).join(", ")
            ));
        }
        if item.state != body.from {
            // The writer saw another state: someone moved the item first.
            if item.state == transition.to {
                return Outcome::Late;
            }
            return conflict(
                item,
                event,
                "state",
                item.state_event,
                &format!(
                    "{} was written for state {}, but the item had moved to {}",
                    transition.id, body.from, item.state
                ),
            );
        }
        if !transition.from.contains(&item.state) {
            return Outcome::Refused(format!(
                "{} does not leave state {}",
                transition.id, item.state
            ));
        }
        enter(item, event, &transition.to);
        Outcome::Applied
    }

    fn vote(
        &self,
        event: &Event,
        item: &mut Item,
        definition: &Definition,
        body: ItemVoted,
    ) -> Outcome {
        let Some(transition) = definition.transition(&body.transition) else {
            return Outcome::Refused(format!(
                "{} has no transition {}",
                definition.id, body.transition
            ));
        };
        let actor = &event.actor;
        let eligible = match &transition.who {
            Who::OneOf(roles) | Who::AllOf(roles) => roles
                .iter()
                .any(|role| matches_role(&self.registry, item, role, actor)),
            Who::Quorum { role, .. } => self.registry.holds(actor, &item.unit, role),
        };
        if !eligible {
            return Outcome::Refused(format!(
                "{actor} may not vote on {}; it takes {}",
                transition.id,
                who_text(&transition.who).join(", ")
            ));
        }
        let wanted = if body.approve {
            transition.to.clone()
        } else {
            match &transition.reject_to {
                Some(state) => state.clone(),
                None => {
                    return Outcome::Refused(format!("{} cannot be refused", transition.id));
                }
            }
        };
        if item.state != body.from {
            if item.state == wanted {
                return Outcome::Late;
            }
            return conflict(
                item,
                event,
                "state",
                item.state_event,
                &format!(
                    "a {} vote on {} came after the item had moved to {}",
                    if body.approve { "yes" } else { "no" },
                    transition.id,
                    item.state
                ),
            );
        }
        if !transition.from.contains(&item.state) {
            return Outcome::Refused(format!(
                "{} does not leave state {}",
                transition.id, item.state
            ));
        }
        match self.tally(item, transition, actor, body.approve) {
            Step::Fire { to } => {
                enter(item, event, &to);
                Outcome::Applied
            }
            Step::Counted => Outcome::Applied,
        }
    }

    /// Records a vote and says whether the transition (or the refusal) fires.
    fn tally(
        &self,
        item: &mut Item,
        transition: &workflow::TransitionDef,
        actor: &PersonId,
        approve: bool,
    ) -> Step {
        if !approve {
            // One refusal by an eligible voter sends the item back.
            let to = transition.reject_to.clone().unwrap_or_default();
            return Step::Fire { to };
        }
        let votes = item.votes.entry(transition.id.clone()).or_default();
        votes.insert(actor.clone(), true);
        let yes: BTreeSet<PersonId> = votes
            .iter()
            .filter(|(_, yes)| **yes)
            .map(|(person, _)| person.clone())
            .collect();
        let carried = match &transition.who {
            Who::OneOf(_) => true,
            Who::AllOf(roles) => roles.iter().all(|role| {
                yes.iter()
                    .any(|person| matches_role(&self.registry, item, role, person))
            }),
            Who::Quorum { role, threshold } => {
                let members = self.registry.members(&item.unit, role);
                let counted = yes
                    .iter()
                    .filter(|person| members.contains(*person))
                    .count();
                threshold.carried(counted, members.len())
            }
        };
        if carried {
            Step::Fire {
                to: transition.to.clone(),
            }
        } else {
            Step::Counted
        }
    }

    /// The definition an item was created under.
    pub fn definition_of(&self, item: &Item) -> Option<&Definition> {
        lookup(&self.workflows, &item.workflow, item.version)
    }

    /// Items whose unit is `unit` or below it.
    pub fn items_within<'a>(
        &'a self,
        unit: &'a UnitId,
    ) -> impl Iterator<Item = (&'a EventId, &'a Item)> + 'a {
        self.items
            .iter()
            .filter(move |(_, item)| item.unit.is_within(unit))
    }

    /// Counts for `unit` and everything below it, on `today`.
    pub fn summary(&self, unit: &UnitId, today: Date) -> Summary {
        let mut summary = self.own_summary(self.items_within(unit).map(|(_, item)| item), today);
        let mut attainments = Vec::new();
        for indicator in self.indicators.values() {
            if indicator.unit.is_within(unit) {
                summary.indicators += 1;
                if let Some(attainment) = indicator.attainment_milli() {
                    attainments.push(attainment);
                }
            }
        }
        if !attainments.is_empty() {
            summary.attainment_milli = Some(mean(&attainments));
        }
        summary
    }
}

impl State {
    /// Counts for every unit that has items, rolled up the unit tree, in one pass over the
    /// items (each item counts in its unit and every unit above it).
    pub fn summaries(&self, today: Date) -> BTreeMap<UnitId, Summary> {
        self.roll_up(&self.own_summaries(today))
    }

    /// Counts of each unit's own items (not those of the units below it), per unit that has
    /// items. Indicators are not counted here; [`State::roll_up`] adds them.
    pub fn own_summaries(&self, today: Date) -> BTreeMap<UnitId, Summary> {
        let mut own: BTreeMap<&UnitId, Summary> = BTreeMap::new();
        for item in self.items.values() {
            self.count_item(own.entry(&item.unit).or_default(), item, today);
        }
        own.into_iter()
            .map(|(unit, summary)| (unit.clone(), summary))
            .collect()
    }

    /// The counts of `items` (all of one unit), as in [`State::own_summaries`].
    pub fn own_summary<'a>(&self, items: impl Iterator<Item = &'a Item>, today: Date) -> Summary {
        let mut summary = Summary::default();
        for item in items {
            self.count_item(&mut summary, item, today);
        }
        summary
    }

    fn count_item(&self, summary: &mut Summary, item: &Item, today: Date) {
        // A report sent upward is not work to do; the reporting status counts it.
        if item.workflow == crate::report::REPORT_WORKFLOW {
            return;
        }
        let definition = self.definition_of(item);
        let overdue = definition.is_some_and(|d| item.is_overdue(d, today));
        let due_soon = !overdue && definition.is_some_and(|d| item.is_due_within(d, today, 7));
        let waiting = definition.is_some_and(|d| item.is_waiting(d));
        summary.items += 1;
        match summary.by_state.get_mut(&item.state) {
            Some(count) => *count += 1,
            None => {
                summary.by_state.insert(item.state.clone(), 1);
            }
        }
        summary.overdue += u64::from(overdue);
        summary.due_soon += u64::from(due_soon);
        summary.waiting_approval += u64::from(waiting);
        summary.open_conflicts += item.open_conflicts().count() as u64;
    }

    /// Rolls own counts up the unit tree (each unit's counts added to every unit above it)
    /// and adds the indicators: the result of [`State::summaries`].
    pub fn roll_up(&self, own: &BTreeMap<UnitId, Summary>) -> BTreeMap<UnitId, Summary> {
        let mut summaries: BTreeMap<UnitId, Summary> = BTreeMap::new();
        for (unit, counts) in own {
            let mut current = Some(unit.clone());
            while let Some(unit) = current {
                let summary = summaries.entry(unit.clone()).or_default();
                summary.items += counts.items;
                for (state, count) in &counts.by_state {
                    *summary.by_state.entry(state.clone()).or_default() += count;
                }
                summary.overdue += counts.overdue;
                summary.due_soon += counts.due_soon;
                summary.waiting_approval += counts.waiting_approval;
                summary.open_conflicts += counts.open_conflicts;
                current = unit.parent();
            }
        }
        let mut attainments: BTreeMap<UnitId, Vec<i64>> = BTreeMap::new();
        for indicator in self.indicators.values() {
            let mut unit = Some(indicator.unit.clone());
            while let Some(current) = unit {
                summaries.entry(current.clone()).or_default().indicators += 1;
                if let Some(attainment) = indicator.attainment_milli() {
                    attainments
                        .entry(current.clone())
                        .or_default()
                        .push(attainment);
                }
                unit = current.parent();
            }
        }
        for (unit, values) in attainments {
            if let Some(summary) = summaries.get_mut(&unit) {
                summary.attainment_milli = Some(mean(&values));
            }
        }
        summaries
    }
}

/// Counts for a unit and its subtree.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize)]
pub struct Summary {
    /// Items in all.
    pub items: u64,
    /// Items per state.
    pub by_state: BTreeMap<String, u64>,
    /// Past their deadline and not finished.
    pub overdue: u64,
    /// Due within 7 days.
    pub due_soon: u64,
    /// Waiting for an approval.
    pub waiting_approval: u64,
    /// Open conflicts.
    pub open_conflicts: u64,
    /// Indicators owned in the subtree.
    pub indicators: u64,
    /// Mean attainment of the indicators that have a value, in thousandths.
    pub attainment_milli: Option<i64>,
}

/// The mean of `values` (not empty), without overflow.
fn mean(values: &[i64]) -> i64 {
    let sum: i128 = values.iter().map(|&value| i128::from(value)).sum();
    (sum / values.len().max(1) as i128) as i64
}

fn entry(event: &Event, summary: String, outcome: Outcome) -> Entry {
    Entry {
        event: event.id,
        kind: event.body.kind.clone(),
        actor: event.actor.clone(),
        origin: event.origin,
        written_ms: event.hlc.wall_ms,
        summary,
        outcome,
    }
}

fn enter(item: &mut Item, event: &Event, state: &str) {
    item.state = state.to_owned();
    item.entered_ms = event.hlc.wall_ms;
    item.state_event = event.id;
    item.votes.clear();
}

fn conflict(
    item: &mut Item,
    event: &Event,
    aspect: &str,
    against: EventId,
    reason: &str,
) -> Outcome {
    item.conflicts.push(Conflict {
        event: event.id,
        against,
        aspect: aspect.to_owned(),
        reason: reason.to_owned(),
        resolved_by: None,
    });
    Outcome::Conflict
}

fn resolve(registry: &Registry, event: &Event, item: &mut Item, body: ConflictResolved) -> Outcome {
    if !works_in_line(registry, &event.actor, &item.unit) {
        return Outcome::Refused(format!(
            "{} holds no role in {} or above it",
            event.actor, item.unit
        ));
    }
    match item
        .conflicts
        .iter_mut()
        .find(|conflict| conflict.event == body.conflict)
    {
        Some(conflict) if conflict.resolved_by.is_none() => {
            conflict.resolved_by = Some(event.id);
            Outcome::Applied
        }
        Some(_) => Outcome::Late,
        None => Outcome::Refused("no such conflict on this item".into()),
    }
}

fn item_summary(body: &crate::event::Body) -> String {
    match Known::from_body(body) {
        Decoded::Known(Known::ItemFired(body)) => format!("{}: {}", body.transition, body.note),
        Decoded::Known(Known::ItemVoted(body)) => format!(
            "{} {}: {}",
            if body.approve {
                "đồng ý"
            } else {
                "không đồng ý"
            },
            body.transition,
            body.note
        ),
        Decoded::Known(Known::ItemProgressed(body)) => format!("{}%: {}", body.percent, body.note),
        Decoded::Known(Known::ItemAssigned(body)) => format!("giao cho {}", body.assignee),
        Decoded::Known(Known::ItemExtended(body)) => {
            format!("gia hạn đến {}: {}", body.deadline, body.reason)
        }
        Decoded::Known(Known::ItemCommented(body)) => body.text,
        Decoded::Known(Known::ItemLinked(_)) => "liên kết".into(),
        Decoded::Known(Known::ConflictResolved(body)) => format!("xử lý xung đột: {}", body.note),
        _ => body.kind.clone(),
    }
}
