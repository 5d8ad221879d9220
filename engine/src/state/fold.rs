//! What each event does to the state: the fold, in replay order. Authorization reads the
//! registry and the definition as they stand at the event's position ([`super::policy`]); the
//! conflict rule is here: an event written for a state, deadline or assignee the item no
//! longer has loses, and stays on the item as an open conflict until a person resolves it.

use std::collections::{BTreeMap, BTreeSet};

use crate::body::{
    ConflictResolved, Decoded, IndicatorDefined, IndicatorReported, ItemCreated, ItemExtended,
    ItemFired, ItemVoted, KeyAdded, Known,
};
use crate::event::Event;
use crate::ids::{EventId, PersonId, PersonKey, UnitId};
use crate::limits::{SEALED_KEY_BYTES_MAX, SETUP_CODE_MS_MAX};
use crate::registry::{Account, Person, Registry, Setup, Unit};
use crate::signature::{self, Check, Verdict};
use crate::state::item::{Aspect, Conflict, ConflictWhy, Detail, Entry, Indicator, Item, Outcome};
use crate::state::policy;
use crate::state::refusal::Refusal;
use crate::state::{State, lookup};
use crate::workflow::{self, Definition, Who};

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
        self.apply_stored(event, Verdict::Unchecked);
    }

    /// Folds one event as its log stored it: a personal signature the log verified on
    /// arrival ([`Verdict::Verified`]) is not verified again. Must be called in replay order.
    pub fn apply_stored(&mut self, event: &Event, verdict: Verdict) {
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
        let signed_by = self.signature_rule(event, &known, signature::check_stored(event, verdict));
        if let Ok(Some(_)) = signed_by {
            self.signed += 1;
        }
        if let Some(item) = known.item() {
            self.apply_to_item(event, item, known, signed_by);
            return;
        }
        if let Err(refusal) = signed_by.and_then(|key| self.apply_other(event, known, key)) {
            self.refused.insert(event.id, refusal);
        }
    }

    /// The personal-signature rule: once a person has an account, every event written as them
    /// carries their signature by their current key; an event that carries a signature must
    /// carry one that holds. Two events are outside the rule: `person.key_added`, signed by
    /// the key it publishes (checked where it is folded), and `node.enrolled`, which a parent
    /// writes when a child redeems an invitation its administrator issued.
    fn signature_rule(
        &self,
        event: &Event,
        known: &Known,
        check: Check,
    ) -> Result<Option<PersonKey>, Refusal> {
        let actor = &event.actor;
        if let Known::KeyAdded(_) = known {
            return match check {
                Check::Valid(key) => Ok(Some(key)),
                Check::Invalid => Err(Refusal::SignatureInvalid {
                    actor: actor.clone(),
                }),
                Check::Unsigned => Err(Refusal::SignatureMissing {
                    actor: actor.clone(),
                }),
            };
        }
        let current = self.registry.key_of(actor);
        match check {
            Check::Invalid => Err(Refusal::SignatureInvalid {
                actor: actor.clone(),
            }),
            Check::Valid(key) if current == Some(key) => Ok(Some(key)),
            Check::Valid(_) => Err(Refusal::KeyNotCurrent {
                actor: actor.clone(),
            }),
            Check::Unsigned if current.is_none() => Ok(None),
            Check::Unsigned if matches!(known, Known::NodeEnrolled(_)) => Ok(None),
            Check::Unsigned => Err(Refusal::SignatureMissing {
                actor: actor.clone(),
            }),
        }
    }

    /// Registry, workflow, item creation and indicator events; `signed_by` is the key the
    /// signature rule accepted.
    fn apply_other(
        &mut self,
        event: &Event,
        known: Known,
        signed_by: Option<PersonKey>,
    ) -> Result<(), Refusal> {
        let actor = &event.actor;
        let administer = |registry: &Registry, unit: &UnitId| {
            if registry.may_administer(actor, unit) {
                Ok(())
            } else {
                Err(Refusal::NotAdministrator {
                    actor: actor.clone(),
                    unit: unit.clone(),
                })
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
                // A node enrolled again after it was revoked is admitted again.
                self.registry.revoked.remove(&body.node);
                self.registry.nodes.insert(body.node, body.unit);
            }
            Known::NodeRevoked(body) => {
                administer(&self.registry, &event.unit)?;
                if self.registry.nodes.get(&body.node) != Some(&event.unit) {
                    return Err(Refusal::UnknownNode { node: body.node });
                }
                self.registry.revoked.insert(body.node, event.id);
            }
            Known::SetupIssued(body) => {
                administer(&self.registry, &event.unit)?;
                if !self.registry.people.contains_key(&body.person) {
                    return Err(Refusal::UnknownPerson {
                        person: body.person,
                    });
                }
                let expires_ms = body
                    .expires_ms
                    .min(event.hlc.wall_ms.saturating_add(SETUP_CODE_MS_MAX));
                self.registry.setups.entry(body.setup).or_insert(Setup {
                    person: body.person,
                    expires_ms,
                    used: false,
                });
            }
            Known::KeyAdded(body) => self.add_key(event, body, signed_by)?,
            Known::KeyRevoked(body) => {
                administer(&self.registry, &event.unit)?;
                if self.registry.key_of(&body.person) == Some(body.key) {
                    self.registry.accounts.remove(&body.person);
                }
            }
            Known::WorkflowPublished(body) => {
                administer(&self.registry, &event.unit)?;
                let definition =
                    Definition::parse(&body.source).map_err(|_| Refusal::InvalidDefinition)?;
                let key = (definition.id.clone(), definition.version);
                match lookup(&self.workflows, &key.0, key.1) {
                    Some(existing) if existing != &definition => {
                        return Err(Refusal::WorkflowExists {
                            workflow: key.0,
                            version: key.1,
                        });
                    }
                    _ => {
                        self.workflows.insert(key, definition);
                    }
                }
            }
            Known::ItemCreated(body) => self.create_item(event, body, signed_by)?,
            Known::IndicatorDefined(body) => self.define_indicator(event, body)?,
            Known::IndicatorReported(body) => self.report_indicator(event, body)?,
            // Item events are routed to `apply_to_item`.
            Known::ItemFired(_)
            | Known::ItemVoted(_)
            | Known::ItemAssigned(_)
            | Known::ItemProgressed(_)
            | Known::ItemExtended(_)
            | Known::ItemCommented(_)
            | Known::ItemLinked(_)
            | Known::ConflictResolved(_) => {}
        }
        Ok(())
    }

    /// A person publishes their key: written as themself, signed by the new key (checked by
    /// [`State::signature_rule`]), with the proof of an issued, unused, unexpired setup code.
    fn add_key(
        &mut self,
        event: &Event,
        body: KeyAdded,
        signed_by: Option<PersonKey>,
    ) -> Result<(), Refusal> {
        let invalid = || Refusal::SetupInvalid {
            person: body.person.clone(),
        };
        if event.actor != body.person || body.sealed.len() > SEALED_KEY_BYTES_MAX {
            return Err(invalid());
        }
        if signed_by != Some(body.key) {
            return Err(Refusal::SignatureInvalid {
                actor: event.actor.clone(),
            });
        }
        let Some(setup) = self.registry.setups.get_mut(&body.setup) else {
            return Err(invalid());
        };
        let usable = setup.person == body.person
            && !setup.used
            && event.hlc.wall_ms <= setup.expires_ms
            && signature::verify_setup_proof(&body.setup, &body.person, &body.key, &body.proof);
        if !usable {
            return Err(invalid());
        }
        setup.used = true;
        self.registry.accounts.insert(
            body.person,
            Account {
                key: body.key,
                since: event.id,
                sealed: body.sealed,
            },
        );
        Ok(())
    }

    fn create_item(
        &mut self,
        event: &Event,
        body: ItemCreated,
        signed_by: Option<PersonKey>,
    ) -> Result<(), Refusal> {
        let definition =
            lookup(&self.workflows, &body.workflow, body.version).ok_or_else(|| {
                Refusal::UnknownWorkflow {
                    workflow: body.workflow.clone(),
                    version: body.version,
                }
            })?;
        if !policy::may_create(&self.registry, &event.actor, &event.unit) {
            return Err(Refusal::NoRoleInLine {
                actor: event.actor.clone(),
                unit: event.unit.clone(),
            });
        }
        if body.title.trim().is_empty() {
            return Err(Refusal::TitleMissing);
        }
        if definition.deadline.required && body.deadline.is_none() {
            return Err(Refusal::DeadlineMissing {
                workflow: definition.id.clone(),
            });
        }
        if self.items.contains_key(&event.id) {
            return Err(Refusal::ItemExists);
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
                history: vec![entry(event, Detail::Created, signed_by, Outcome::Applied)],
                conflicts: Vec::new(),
            },
        );
        Ok(())
    }

    fn define_indicator(&mut self, event: &Event, body: IndicatorDefined) -> Result<(), Refusal> {
        if !policy::may_define_indicator(&self.registry, &event.actor, &event.unit) {
            return Err(Refusal::MayNotDefineIndicator {
                actor: event.actor.clone(),
                unit: event.unit.clone(),
            });
        }
        if body.target_milli <= 0 {
            return Err(Refusal::TargetNotPositive);
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

    fn report_indicator(&mut self, event: &Event, body: IndicatorReported) -> Result<(), Refusal> {
        let indicator =
            self.indicators
                .get_mut(&body.id)
                .ok_or_else(|| Refusal::UnknownIndicator {
                    indicator: body.id.clone(),
                })?;
        if !policy::may_report_indicator(&self.registry, &event.actor, &indicator.unit) {
            return Err(Refusal::NoRoleInLine {
                actor: event.actor.clone(),
                unit: indicator.unit.clone(),
            });
        }
        indicator.value_milli = Some(body.value_milli);
        indicator
            .reports
            .push((event.hlc.wall_ms, body.value_milli, event.actor.clone()));
        Ok(())
    }

    fn apply_to_item(
        &mut self,
        event: &Event,
        id: EventId,
        known: Known,
        signed_by: Result<Option<PersonKey>, Refusal>,
    ) {
        // The item is changed in place. The outcome rules read the registry and the
        // definitions, never another item, so the map is set aside while they run (moving a
        // map moves three words); taking the item out and putting it back instead cost two
        // tree walks per event, a tenth of a replay.
        let mut items = std::mem::take(&mut self.items);
        let Some(item) = items.get_mut(&id) else {
            self.items = items;
            self.dangling += 1;
            return;
        };
        let detail = detail(&known);
        let (signed_by, outcome) = match signed_by {
            Ok(signed_by) => (signed_by, self.item_outcome(event, item, known)),
            Err(refusal) => (None, Outcome::Refused(refusal)),
        };
        if let Outcome::Refused(refusal) = &outcome {
            self.refused.insert(event.id, refusal.clone());
        }
        item.history.push(entry(event, detail, signed_by, outcome));
        self.items = items;
    }

    /// Decides what an event does to an item, and does it.
    fn item_outcome(&self, event: &Event, item: &mut Item, known: Known) -> Outcome {
        if event.unit != item.unit {
            return Outcome::Refused(Refusal::WrongUnit {
                item_unit: item.unit.clone(),
                event_unit: event.unit.clone(),
            });
        }
        let Some(definition) = lookup(&self.workflows, &item.workflow, item.version) else {
            return Outcome::Refused(Refusal::UnknownWorkflow {
                workflow: item.workflow.clone(),
                version: item.version,
            });
        };
        let actor = &event.actor;
        let registry = &self.registry;
        let takes_no_part = || {
            Outcome::Refused(Refusal::TakesNoPart {
                actor: actor.clone(),
            })
        };
        match known {
            Known::ItemCommented(_) => {
                if policy::takes_part(registry, item, actor) {
                    Outcome::Applied
                } else {
                    takes_no_part()
                }
            }
            Known::ItemProgressed(body) => {
                if !policy::takes_part(registry, item, actor) {
                    return takes_no_part();
                }
                if definition.is_terminal(&item.state) {
                    return Outcome::Late;
                }
                item.percent = body.percent.min(100);
                Outcome::Applied
            }
            Known::ItemLinked(body) => {
                if !policy::takes_part(registry, item, actor) {
                    return takes_no_part();
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
                if !policy::matches_any(registry, item, &definition.rules.assign, actor) {
                    return Outcome::Refused(Refusal::MayNotAssign {
                        actor: actor.clone(),
                    });
                }
                if definition.is_terminal(&item.state) {
                    return Outcome::Late;
                }
                if item.assignee != body.previous {
                    let against = item.assignee_event;
                    return conflict(
                        item,
                        event,
                        Aspect::Assignee,
                        against,
                        ConflictWhy::AssignedTwice,
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
            _ => Outcome::Late,
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
        if !policy::matches_any(&self.registry, item, &definition.rules.extend, actor) {
            return Outcome::Refused(Refusal::MayNotExtend {
                actor: actor.clone(),
            });
        }
        if body.reason.trim().is_empty() {
            return Outcome::Refused(Refusal::ReasonMissing);
        }
        if definition.is_terminal(&item.state) {
            return Outcome::Late;
        }
        if item.deadline != body.previous {
            let against = item.deadline_event;
            return conflict(
                item,
                event,
                Aspect::Deadline,
                against,
                ConflictWhy::ExtendedTwice,
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
            return Outcome::Refused(Refusal::NoTransition {
                transition: body.transition,
            });
        };
        if !matches!(transition.who, Who::OneOf(_)) {
            return Outcome::Refused(Refusal::DecidedByVotes {
                transition: transition.id.clone(),
            });
        }
        if !policy::may_decide(&self.registry, item, &transition.who, &event.actor) {
            return Outcome::Refused(Refusal::MayNotDecide {
                actor: event.actor.clone(),
                transition: transition.id.clone(),
            });
        }
        if item.state != body.from {
            // The writer saw another state: someone moved the item first.
            if item.state == transition.to {
                return Outcome::Late;
            }
            let why = ConflictWhy::Moved {
                transition: transition.id.clone(),
                written_for: body.from,
                found: item.state.clone(),
            };
            let against = item.state_event;
            return conflict(item, event, Aspect::State, against, why);
        }
        if !transition.from.contains(&item.state) {
            return Outcome::Refused(Refusal::DoesNotLeave {
                transition: transition.id.clone(),
                state: item.state.clone(),
            });
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
            return Outcome::Refused(Refusal::NoTransition {
                transition: body.transition,
            });
        };
        let actor = &event.actor;
        if !policy::may_decide(&self.registry, item, &transition.who, actor) {
            return Outcome::Refused(Refusal::MayNotDecide {
                actor: actor.clone(),
                transition: transition.id.clone(),
            });
        }
        let wanted = if body.approve {
            transition.to.clone()
        } else {
            match &transition.reject_to {
                Some(state) => state.clone(),
                None => {
                    return Outcome::Refused(Refusal::CannotBeRefused {
                        transition: transition.id.clone(),
                    });
                }
            }
        };
        if item.state != body.from {
            if item.state == wanted {
                return Outcome::Late;
            }
            let why = ConflictWhy::VotedAfterMove {
                transition: transition.id.clone(),
                approve: body.approve,
                found: item.state.clone(),
            };
            let against = item.state_event;
            return conflict(item, event, Aspect::State, against, why);
        }
        if !transition.from.contains(&item.state) {
            return Outcome::Refused(Refusal::DoesNotLeave {
                transition: transition.id.clone(),
                state: item.state.clone(),
            });
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
                    .any(|person| policy::matches_role(&self.registry, item, role, person))
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
}

fn entry(event: &Event, detail: Detail, signed_by: Option<PersonKey>, outcome: Outcome) -> Entry {
    Entry {
        event: event.id,
        kind: event.body.kind.clone(),
        actor: event.actor.clone(),
        origin: event.origin,
        written_ms: event.hlc.wall_ms,
        detail,
        signed_by,
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
    aspect: Aspect,
    against: EventId,
    why: ConflictWhy,
) -> Outcome {
    item.conflicts.push(Conflict {
        event: event.id,
        against,
        aspect,
        why,
        resolved_by: None,
    });
    Outcome::Conflict
}

fn resolve(registry: &Registry, event: &Event, item: &mut Item, body: ConflictResolved) -> Outcome {
    if !policy::may_resolve(registry, item, &event.actor) {
        return Outcome::Refused(Refusal::MayNotResolve {
            actor: event.actor.clone(),
        });
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
        None => Outcome::Refused(Refusal::NoSuchConflict),
    }
}

/// What an item event says, as a history entry's detail.
fn detail(known: &Known) -> Detail {
    match known {
        Known::ItemFired(body) => Detail::Fired {
            transition: body.transition.clone(),
            note: body.note.clone(),
        },
        Known::ItemVoted(body) => Detail::Voted {
            transition: body.transition.clone(),
            approve: body.approve,
            note: body.note.clone(),
        },
        Known::ItemProgressed(body) => Detail::Progressed {
            percent: body.percent,
            note: body.note.clone(),
        },
        Known::ItemAssigned(body) => Detail::Assigned {
            assignee: body.assignee.clone(),
        },
        Known::ItemExtended(body) => Detail::Extended {
            deadline: body.deadline,
            reason: body.reason.clone(),
        },
        Known::ItemCommented(body) => Detail::Commented {
            text: body.text.clone(),
        },
        Known::ItemLinked(body) => Detail::Linked {
            parent: body.parent,
            indicator: body.indicator.clone(),
        },
        Known::ConflictResolved(body) => Detail::Resolved {
            conflict: body.conflict,
            note: body.note.clone(),
        },
        _ => Detail::Created,
    }
}
