//! Deciding a command: the event it becomes, checked by folding it into a scratch copy of what
//! it touches.

use super::Command;
use super::error::{CommandError, Problem, invalid};
use crate::body::{
    ConflictResolved, IndicatorDefined, IndicatorReported, ItemAssigned, ItemCommented,
    ItemCreated, ItemExtended, ItemFired, ItemLinked, ItemProgressed, ItemVoted, KeyAdded,
    KeyRevoked, Known, NodeEnrolled, NodeRevoked, PersonRegistered, RoleChange, SetupIssued,
    UnitDefined, WorkflowPublished,
};
use crate::date::Date;
use crate::event::{Draft, ENVELOPE_FORMAT, Event};
use crate::hlc::Hlc;
use crate::ids::{EventId, Hash, NodeId, PersonId, Seq, UnitId};
use crate::signature;
use crate::state::{Item, Outcome, Refusal, State, lookup, policy};
use crate::workflow::{Definition, Who, builtins};
use ed25519_dalek::SigningKey;

/// The newest version of workflow `id` this node knows.
pub fn latest_workflow<'a>(state: &'a State, id: &str) -> Option<&'a Definition> {
    let published = state
        .workflows
        .iter()
        .filter(|((workflow, _), _)| workflow == id)
        .map(|(_, definition)| definition);
    let builtin = builtins()
        .iter()
        .filter(|((workflow, _), _)| workflow == id)
        .map(|(_, definition)| definition);
    published
        .chain(builtin)
        .max_by_key(|definition| definition.version)
}

/// The people who match `who` for `item`, with their names.
fn people_who_may(state: &State, item: &Item, who: &Who) -> Vec<(PersonId, String)> {
    policy::eligible_people(&state.registry, item, who)
        .into_iter()
        .map(|person| {
            let name = state
                .registry
                .people
                .get(&person)
                .map_or_else(|| person.to_string(), |found| found.name.clone());
            (person, name)
        })
        .collect()
}

/// Checks `command` by `actor` at `now_ms` against `state` and returns the event to append,
/// with id `id`, unsigned: for people who have no account yet (see [`decide_signed`]).
pub fn decide(
    state: &State,
    actor: &PersonId,
    id: EventId,
    now_ms: u64,
    command: Command,
) -> Result<Draft, CommandError> {
    decide_signed(state, actor, None, id, now_ms, command)
}

/// Checks `command` by `actor` at `now_ms` against `state` and returns the event to append,
/// with id `id`, signed by `signer` (the actor's personal key) when one is given. Once the
/// actor has an account, an unsigned event is refused here as it would be at replay.
pub fn decide_signed(
    state: &State,
    actor: &PersonId,
    signer: Option<&SigningKey>,
    id: EventId,
    now_ms: u64,
    command: Command,
) -> Result<Draft, CommandError> {
    let today = Date::from_unix_ms(now_ms);
    let draft = |unit: UnitId, seen: Option<EventId>, known: Known| Draft {
        id,
        actor: actor.clone(),
        unit,
        seen,
        body: known.to_body(),
    };
    let item_of = |item: EventId| {
        state
            .items
            .get(&item)
            .ok_or(CommandError::UnknownItem(item))
    };
    let planned = match command {
        Command::DefineUnit { unit, name, kind } => {
            if name.trim().is_empty() {
                return Err(invalid("name", Problem::NameMissing));
            }
            draft(
                unit.clone(),
                None,
                Known::UnitDefined(UnitDefined { unit, name, kind }),
            )
        }
        Command::RegisterPerson { person, name, unit } => {
            if name.trim().is_empty() {
                return Err(invalid("name", Problem::NameMissing));
            }
            draft(
                unit,
                None,
                Known::PersonRegistered(PersonRegistered { person, name }),
            )
        }
        Command::AssignRole { person, unit, role } | Command::RemoveRole { person, unit, role }
            if !is_role(&role) =>
        {
            let _ = (person, unit);
            return Err(invalid("role", Problem::NotARoleCode(role)));
        }
        Command::AssignRole { person, unit, role } => draft(
            unit.clone(),
            None,
            Known::RoleAssigned(RoleChange { person, unit, role }),
        ),
        Command::RemoveRole { person, unit, role } => draft(
            unit.clone(),
            None,
            Known::RoleRemoved(RoleChange { person, unit, role }),
        ),
        Command::EnrollNode { node, unit } => draft(
            unit.clone(),
            None,
            Known::NodeEnrolled(NodeEnrolled { node, unit }),
        ),
        Command::RevokeNode { node, unit } => {
            draft(unit, None, Known::NodeRevoked(NodeRevoked { node }))
        }
        Command::IssueSetup {
            person,
            setup,
            expires_ms,
            unit,
        } => draft(
            unit,
            None,
            Known::SetupIssued(SetupIssued {
                person,
                setup,
                expires_ms,
            }),
        ),
        Command::AddKey {
            key,
            setup,
            proof,
            sealed,
            unit,
        } => draft(
            unit,
            None,
            Known::KeyAdded(KeyAdded {
                person: actor.clone(),
                key,
                setup,
                proof,
                sealed,
            }),
        ),
        Command::RevokeKey { person, key, unit } => {
            draft(unit, None, Known::KeyRevoked(KeyRevoked { person, key }))
        }
        Command::PublishWorkflow { source, unit } => {
            Definition::parse(&source)
                .map_err(|errors| invalid("definition", Problem::Definition(errors.to_string())))?;
            draft(
                unit,
                None,
                Known::WorkflowPublished(WorkflowPublished { source }),
            )
        }
        Command::CreateItem {
            workflow,
            unit,
            title,
            description,
            lead_unit,
            coordinating,
            assignee,
            deadline,
            parent,
            indicator,
        } => {
            let definition = latest_workflow(state, &workflow).ok_or_else(|| {
                let mut known: Vec<String> = builtins().keys().map(|(id, _)| id.clone()).collect();
                known.extend(state.workflows.keys().map(|(id, _)| id.clone()));
                known.sort();
                known.dedup();
                CommandError::UnknownWorkflow(workflow.clone(), known)
            })?;
            if title.trim().is_empty() {
                return Err(invalid("title", Problem::TitleMissing));
            }
            let deadline = deadline.or_else(|| {
                definition
                    .deadline
                    .default_days
                    .map(|days| today.plus_days(days as i32))
            });
            if definition.deadline.required && deadline.is_none() {
                return Err(invalid(
                    "deadline",
                    Problem::DeadlineMissing(definition.id.clone()),
                ));
            }
            if let Some(parent) = parent {
                item_of(parent)?;
            }
            draft(
                unit.clone(),
                None,
                Known::ItemCreated(ItemCreated {
                    workflow: definition.id.clone(),
                    version: definition.version,
                    title: title.trim().to_owned(),
                    description,
                    lead_unit: lead_unit.unwrap_or(unit),
                    coordinating,
                    assignee,
                    deadline,
                    parent,
                    indicator,
                    fields: Default::default(),
                }),
            )
        }
        Command::Fire {
            item: id_of_item,
            transition,
            note,
        } => {
            let item = item_of(id_of_item)?;
            let definition = definition_of(state, item)?;
            check_transition(definition, item, &transition)?;
            if definition
                .transition(&transition)
                .is_some_and(|found| found.is_approval())
            {
                return Err(CommandError::IsApproval { transition });
            }
            draft(
                item.unit.clone(),
                Some(item.state_event),
                Known::ItemFired(ItemFired {
                    item: id_of_item,
                    transition,
                    from: item.state.clone(),
                    note,
                }),
            )
        }
        Command::Vote {
            item: id_of_item,
            transition,
            approve,
            note,
        } => {
            let item = item_of(id_of_item)?;
            let definition = definition_of(state, item)?;
            let transition = match transition {
                Some(transition) => transition,
                None => {
                    let waiting = item.waiting_for(definition);
                    match waiting.as_slice() {
                        [(transition, _)] => (*transition).to_owned(),
                        [] => {
                            return Err(CommandError::NoApprovalWaiting {
                                state: item.state.clone(),
                            });
                        }
                        _ => return Err(invalid("transition", Problem::SeveralApprovals)),
                    }
                }
            };
            check_transition(definition, item, &transition)?;
            if !approve && !note.trim().is_empty() {
                // A refusal says why (it goes back to the people who did the work).
            } else if !approve {
                return Err(invalid("note", Problem::RefusalNeedsNote));
            }
            draft(
                item.unit.clone(),
                Some(item.state_event),
                Known::ItemVoted(ItemVoted {
                    item: id_of_item,
                    transition,
                    from: item.state.clone(),
                    approve,
                    note,
                }),
            )
        }
        Command::Assign {
            item: id_of_item,
            assignee,
        } => {
            let item = item_of(id_of_item)?;
            draft(
                item.unit.clone(),
                Some(item.assignee_event),
                Known::ItemAssigned(ItemAssigned {
                    item: id_of_item,
                    assignee,
                    previous: item.assignee.clone(),
                }),
            )
        }
        Command::Progress {
            item: id_of_item,
            percent,
            note,
        } => {
            let item = item_of(id_of_item)?;
            if percent > 100 {
                return Err(invalid("percent", Problem::PercentRange));
            }
            draft(
                item.unit.clone(),
                Some(item.state_event),
                Known::ItemProgressed(ItemProgressed {
                    item: id_of_item,
                    percent,
                    note,
                }),
            )
        }
        Command::Extend {
            item: id_of_item,
            deadline,
            reason,
        } => {
            let item = item_of(id_of_item)?;
            if reason.trim().is_empty() {
                return Err(invalid("reason", Problem::ReasonMissing));
            }
            if item.deadline.is_some_and(|current| deadline <= current) {
                return Err(invalid("deadline", Problem::DeadlineNotLater));
            }
            draft(
                item.unit.clone(),
                Some(item.deadline_event),
                Known::ItemExtended(ItemExtended {
                    item: id_of_item,
                    deadline,
                    previous: item.deadline,
                    reason,
                }),
            )
        }
        Command::Comment {
            item: id_of_item,
            text,
        } => {
            let item = item_of(id_of_item)?;
            if text.trim().is_empty() {
                return Err(invalid("text", Problem::Empty));
            }
            draft(
                item.unit.clone(),
                Some(item.state_event),
                Known::ItemCommented(ItemCommented {
                    item: id_of_item,
                    text,
                }),
            )
        }
        Command::Link {
            item: id_of_item,
            parent,
            indicator,
        } => {
            let item = item_of(id_of_item)?;
            if let Some(parent) = parent {
                item_of(parent)?;
            }
            if let Some(indicator) = &indicator {
                if !state.indicators.contains_key(indicator) {
                    return Err(invalid(
                        "indicator",
                        Problem::UnknownIndicator(indicator.clone()),
                    ));
                }
            }
            draft(
                item.unit.clone(),
                Some(item.state_event),
                Known::ItemLinked(ItemLinked {
                    item: id_of_item,
                    parent,
                    indicator,
                }),
            )
        }
        Command::Resolve {
            item: id_of_item,
            conflict,
            note,
        } => {
            let item = item_of(id_of_item)?;
            if note.trim().is_empty() {
                return Err(invalid("note", Problem::DecisionMissing));
            }
            draft(
                item.unit.clone(),
                Some(item.state_event),
                Known::ConflictResolved(ConflictResolved {
                    item: id_of_item,
                    conflict,
                    note,
                }),
            )
        }
        Command::DefineIndicator {
            id: code,
            name,
            measure,
            target_milli,
            period,
            unit,
        } => draft(
            unit,
            None,
            Known::IndicatorDefined(IndicatorDefined {
                id: code,
                name,
                measure,
                target_milli,
                period,
            }),
        ),
        Command::ReportIndicator {
            id: code,
            value_milli,
            note,
        } => {
            let indicator = state
                .indicators
                .get(&code)
                .ok_or_else(|| invalid("indicator", Problem::UnknownIndicator(code.clone())))?;
            draft(
                indicator.unit.clone(),
                None,
                Known::IndicatorReported(IndicatorReported {
                    id: code,
                    value_milli,
                    note,
                }),
            )
        }
    };
    let planned = match signer {
        Some(signer) => signature::sign(planned, signer),
        None => planned,
    };
    dry_run(state, &planned, now_ms)?;
    Ok(planned)
}

fn is_role(role: &str) -> bool {
    !role.is_empty()
        && role
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn definition_of<'a>(state: &'a State, item: &Item) -> Result<&'a Definition, CommandError> {
    lookup(&state.workflows, &item.workflow, item.version).ok_or_else(|| {
        CommandError::WorkflowNotHere {
            workflow: item.workflow.clone(),
            version: item.version,
        }
    })
}

fn check_transition(
    definition: &Definition,
    item: &Item,
    transition: &str,
) -> Result<(), CommandError> {
    if definition.is_terminal(&item.state) {
        return Err(CommandError::Finished {
            state: item.state.clone(),
        });
    }
    let leaves_here = definition
        .transition(transition)
        .is_some_and(|found| found.from.contains(&item.state));
    if !leaves_here {
        let available: Vec<String> = definition
            .transitions_from(&item.state)
            .map(|found| found.id.clone())
            .collect();
        return Err(CommandError::NotNow {
            transition: transition.to_owned(),
            state: item.state.clone(),
            available,
        });
    }
    Ok(())
}

/// Folds the planned event into a scratch copy of what it touches, with the fold's own rules.
fn dry_run(state: &State, planned: &Draft, now_ms: u64) -> Result<(), CommandError> {
    let event = Event {
        format: ENVELOPE_FORMAT,
        id: planned.id,
        origin: NodeId([0; 32]),
        seq: Seq(1),
        prev: Hash::ZERO,
        hlc: Hlc {
            wall_ms: now_ms,
            logical: 0,
        },
        actor: planned.actor.clone(),
        unit: planned.unit.clone(),
        seen: planned.seen,
        body: planned.body.clone(),
    };
    let crate::body::Decoded::Known(known) = Known::from_body(&event.body) else {
        // Invariant: `decide` builds the body from a known kind.
        unreachable!("a decided event is of a known kind");
    };
    if let Some(id) = known.item() {
        // Only the item changes: fold into a copy of it.
        let mut scratch = State {
            registry: state.registry.clone(),
            workflows: state.workflows.clone(),
            ..State::default()
        };
        let Some(item) = state.items.get(&id) else {
            return Err(CommandError::UnknownItem(id));
        };
        scratch.items.insert(id, item.clone());
        scratch.apply(&event);
        let after = &scratch.items[&id];
        return match after.history.last().map(|entry| &entry.outcome) {
            Some(Outcome::Applied) => Ok(()),
            Some(Outcome::Late) => Err(CommandError::Finished {
                state: item.state.clone(),
            }),
            Some(Outcome::Conflict) => Err(CommandError::ChangedMeanwhile),
            Some(Outcome::Refused(refusal)) => Err(not_allowed(state, item, &known, refusal)),
            // Invariant: folding an event about a held item adds an entry to its history.
            None => unreachable!("the scratch fold records every item event"),
        };
    }
    let mut scratch = State {
        registry: state.registry.clone(),
        workflows: state.workflows.clone(),
        indicators: state.indicators.clone(),
        ..State::default()
    };
    if let Known::ItemCreated(_) = known {
        if state.items.contains_key(&planned.id) {
            return Err(CommandError::Refused(Refusal::ItemExists));
        }
    }
    scratch.apply(&event);
    match scratch.refused.get(&planned.id) {
        None => Ok(()),
        Some(refusal) => Err(CommandError::Refused(refusal.clone())),
    }
}

/// A refusal, with who may do it instead: by the very rule that refused.
fn not_allowed(state: &State, item: &Item, known: &Known, refusal: &Refusal) -> CommandError {
    let definition = lookup(&state.workflows, &item.workflow, item.version);
    let who = match (refusal, known, definition) {
        (Refusal::MayNotDecide { transition, .. }, _, Some(definition)) => definition
            .transition(transition)
            .map(|transition| transition.who.clone()),
        (Refusal::MayNotAssign { .. }, _, Some(definition)) => {
            Some(Who::OneOf(definition.rules.assign.clone()))
        }
        (Refusal::MayNotExtend { .. }, _, Some(definition)) => {
            Some(Who::OneOf(definition.rules.extend.clone()))
        }
        _ => None,
    };
    let people = who
        .as_ref()
        .map(|who| people_who_may(state, item, who))
        .unwrap_or_default();
    CommandError::NotAllowed {
        refusal: refusal.clone(),
        who,
        people,
    }
}
