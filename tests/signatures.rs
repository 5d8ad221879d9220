//! Personal signatures under attack, in the domain's words: the commune of Bình Lư, where
//! everyone has an account, and a node that writes decisions in other people's names. Every
//! forged decision is kept in the log, shown refused in the item's history with the reason, and
//! refused alike at every node's replay; setup codes work once and expire; a revoked key signs
//! nothing after its revocation, while what it signed before stands.

use ed25519_dalek::SigningKey;
use nhip::engine::body::{ItemVoted, Known};
use nhip::engine::command::Command;
use nhip::engine::decisions::{self, SignatureVerdict};
use nhip::engine::signature::{self, person_key, setup_key, setup_proof};
use nhip::engine::state::{Outcome, Refusal, State};
use nhip::engine::{Date, Draft, EventId, EventLog, MemoryLog, PersonId, UnitId, node_id, replay};
use nhip::sample::{
    COMMUNE, CONFERENCE_DAY_MS, DAY_MS, Desk, PEOPLE, VILLAGE_NA_RI, copy_all, event_id,
    person_signing_key, write_registry,
};

const T0: u64 = CONFERENCE_DAY_MS;

fn unit(code: &str) -> UnitId {
    UnitId::new(code).unwrap()
}

fn person(code: &str) -> PersonId {
    PersonId::new(code).unwrap()
}

/// The commune (everyone with an account), a village node, and a task submitted for approval.
struct Commune {
    commune_key: SigningKey,
    commune: MemoryLog,
    village_key: SigningKey,
    village: MemoryLog,
    task: EventId,
}

impl Commune {
    fn new() -> Commune {
        let commune_key = SigningKey::from_bytes(&[2; 32]);
        let village_key = SigningKey::from_bytes(&[3; 32]);
        let commune = MemoryLog::new(node_id(&commune_key));
        let village = MemoryLog::new(node_id(&village_key));
        let mut desk = Desk::new(&commune, &commune_key);
        write_registry(&mut desk, T0, &[(node_id(&village_key), VILLAGE_NA_RI)]).unwrap();
        for (code, _) in PEOPLE {
            desk.open_account("ta-thi-dung", code, COMMUNE, T0).unwrap();
        }
        let task = desk
            .act(
                "ta-thi-dung",
                T0,
                Command::CreateItem {
                    workflow: "task".into(),
                    unit: unit(VILLAGE_NA_RI),
                    title: "Thu gom rác thải tại bản".into(),
                    description: String::new(),
                    lead_unit: None,
                    coordinating: Vec::new(),
                    assignee: Some(person("lo-van-pao")),
                    deadline: Date::from_ymd(2025, 12, 31),
                    parent: None,
                    indicator: None,
                },
            )
            .unwrap();
        desk.act(
            "lo-van-pao",
            T0,
            Command::Fire {
                item: task,
                transition: "submit".into(),
                note: "Đã thu gom xong".into(),
            },
        )
        .unwrap();
        copy_all(&commune, &village, T0).unwrap();
        Commune {
            commune_key,
            commune,
            village_key,
            village,
            task,
        }
    }

    fn state(&self) -> State {
        replay(&self.commune).unwrap()
    }

    /// The secretary's approval of the task, as a draft (unsigned).
    fn approval(&self, n: u64) -> Draft {
        let state = self.state();
        let item = &state.items[&self.task];
        Draft {
            id: event_id(T0 + DAY_MS, 1000 + n),
            actor: person("nguyen-tien-thinh"),
            unit: item.unit.clone(),
            seen: Some(item.state_event),
            body: Known::ItemVoted(ItemVoted {
                item: self.task,
                transition: "approve".into(),
                from: item.state.clone(),
                approve: true,
                note: "Duyệt".into(),
            })
            .to_body(),
        }
    }

    /// The village node writes `draft` in its own chain (its seal is genuine: the node is
    /// enrolled; only the person's signature is in question), and the commune receives it.
    fn written_by_the_village(&self, draft: Draft) -> EventId {
        let id = draft.id;
        self.village
            .append(&self.village_key, T0 + DAY_MS, vec![draft])
            .unwrap();
        copy_all(&self.village, &self.commune, T0 + DAY_MS).unwrap();
        id
    }

    /// What became of event `id` on the task, checked alike at both nodes.
    fn outcome(&self, id: EventId) -> Outcome {
        let at_commune = self.state();
        let at_village = replay(&self.village).unwrap();
        let outcome = |state: &State| {
            state.items[&self.task]
                .history
                .iter()
                .find(|entry| entry.event == id)
                .map(|entry| entry.outcome.clone())
                .expect("the event is in the item's history")
        };
        assert_eq!(outcome(&at_commune), outcome(&at_village));
        assert_eq!(at_commune.hash(), at_village.hash(), "both nodes agree");
        outcome(&at_commune)
    }
}

#[test]
fn a_decision_in_the_secretarys_name_without_their_signature_is_refused_everywhere() {
    let world = Commune::new();
    let forged = world.written_by_the_village(world.approval(1));
    assert_eq!(
        world.outcome(forged),
        Outcome::Refused(Refusal::SignatureMissing {
            actor: person("nguyen-tien-thinh")
        })
    );
    let state = world.state();
    assert_eq!(state.items[&world.task].state, "submitted", "nothing moved");
    assert!(state.refused.contains_key(&forged), "counted as refused");
}

#[test]
fn a_decision_signed_by_someone_else_is_refused() {
    let world = Commune::new();
    // The village head signs, with his own genuine key, an approval in the secretary's name.
    let clerk = person_signing_key(&person("lo-van-pao"));
    let forged = world.written_by_the_village(signature::sign(world.approval(2), &clerk));
    assert_eq!(
        world.outcome(forged),
        Outcome::Refused(Refusal::KeyNotCurrent {
            actor: person("nguyen-tien-thinh")
        })
    );
    // A key nobody published.
    let stranger = SigningKey::from_bytes(&[77; 32]);
    let forged = world.written_by_the_village(signature::sign(world.approval(3), &stranger));
    assert!(matches!(
        world.outcome(forged),
        Outcome::Refused(Refusal::KeyNotCurrent { .. })
    ));
}

#[test]
fn the_signature_of_another_event_does_not_carry_over() {
    let world = Commune::new();
    let secretary = person_signing_key(&person("nguyen-tien-thinh"));
    // A genuine signature by the secretary, over another event (another id)…
    let genuine = signature::sign(world.approval(4), &secretary);
    let mut moved = world.approval(5);
    moved.body = genuine.body.clone();
    let forged = world.written_by_the_village(moved);
    assert_eq!(
        world.outcome(forged),
        Outcome::Refused(Refusal::SignatureInvalid {
            actor: person("nguyen-tien-thinh")
        })
    );
    // … and bytes that are no signature at all.
    let mut garbage = world.approval(6);
    garbage.body.version = nhip::engine::body::SIGNED_BODY_VERSION;
    garbage.body.data = vec![0x93, 0xc4, 0x00, 0xc4, 0x00, 0xc4, 0x00];
    let forged = world.written_by_the_village(garbage);
    let state = world.state();
    assert_eq!(state.items[&world.task].state, "submitted");
    assert!(
        state.malformed > 0 || state.refused.contains_key(&forged),
        "kept and counted, never applied"
    );
}

#[test]
fn the_secretarys_own_signed_approval_takes_effect_and_shows_who_signed() {
    let world = Commune::new();
    let secretary = person_signing_key(&person("nguyen-tien-thinh"));
    let approved = world.written_by_the_village(signature::sign(world.approval(7), &secretary));
    assert_eq!(world.outcome(approved), Outcome::Applied);
    let state = world.state();
    let item = &state.items[&world.task];
    assert_eq!(item.state, "done");
    // Every decision on the task is signed, and says by which key.
    for entry in &item.history {
        let expected = person_key(&person_signing_key(&entry.actor));
        assert_eq!(entry.signed_by, Some(expected), "{entry:?}");
    }
}

/// Hoa publishes `key` with a proof made from `proving` (the code's key, or a guess) for the
/// code whose public key is `setup`, at `at`; written at the commune node.
fn publish_key(
    world: &Commune,
    setup: nhip::engine::PersonKey,
    proving: &SigningKey,
    key: &SigningKey,
    at: u64,
    n: u64,
) -> EventId {
    let hoa = person("dieu-thi-hoa");
    let public = person_key(key);
    let draft = Draft {
        id: event_id(at, 2000 + n),
        actor: hoa.clone(),
        unit: unit(COMMUNE),
        seen: None,
        body: Known::KeyAdded(nhip::engine::body::KeyAdded {
            person: hoa.clone(),
            key: public,
            setup,
            proof: setup_proof(proving, &hoa, &public).to_vec(),
            sealed: Vec::new(),
        })
        .to_body(),
    };
    let id = draft.id;
    world
        .commune
        .append(&world.commune_key, at, vec![signature::sign(draft, key)])
        .unwrap();
    id
}

fn issue(world: &Commune, code: &str, expires_ms: u64) -> nhip::engine::PersonKey {
    let setup = person_key(&setup_key(code));
    Desk::new(&world.commune, &world.commune_key)
        .act(
            "ta-thi-dung",
            T0,
            Command::IssueSetup {
                person: person("dieu-thi-hoa"),
                setup,
                expires_ms,
                unit: unit(COMMUNE),
            },
        )
        .unwrap();
    setup
}

#[test]
fn a_setup_code_works_once_not_after_it_expires_and_not_guessed() {
    let world = Commune::new();
    let hoa = person("dieu-thi-hoa");
    let refused_as_setup = |id: EventId| {
        matches!(
            world.state().refused.get(&id),
            Some(Refusal::SetupInvalid { .. })
        )
    };
    // Used after it expired: refused.
    let code = "ABCD-EFGH-JKMN-PQRS";
    let setup = issue(&world, code, T0 + DAY_MS);
    let key = SigningKey::from_bytes(&[8; 32]);
    let late = publish_key(&world, setup, &setup_key(code), &key, T0 + 2 * DAY_MS, 1);
    assert!(refused_as_setup(late));
    // A second code: a proof made from a guess of it is refused…
    let code = "ZZZZ-EFGH-JKMN-PQRS";
    let setup = issue(&world, code, T0 + 5 * DAY_MS);
    let guessed = setup_key("ZZZZ-EFGH-JKMN-PQRT");
    let guess = publish_key(&world, setup, &guessed, &key, T0 + DAY_MS, 2);
    assert!(refused_as_setup(guess));
    // … the code itself takes, once…
    let key = SigningKey::from_bytes(&[9; 32]);
    let first = publish_key(&world, setup, &setup_key(code), &key, T0 + DAY_MS, 3);
    assert!(!world.state().refused.contains_key(&first));
    assert_eq!(world.state().registry.key_of(&hoa), Some(person_key(&key)));
    // … and never again.
    let other = SigningKey::from_bytes(&[10; 32]);
    let again = publish_key(&world, setup, &setup_key(code), &other, T0 + DAY_MS, 4);
    assert!(refused_as_setup(again));
    assert_eq!(world.state().registry.key_of(&hoa), Some(person_key(&key)));
}

#[test]
fn a_revoked_key_signs_nothing_after_its_revocation_and_what_it_signed_before_stands() {
    let world = Commune::new();
    let mut desk = Desk::new(&world.commune, &world.commune_key);
    let secretary = person_signing_key(&person("nguyen-tien-thinh"));
    // Before: the secretary approves; it stands.
    let approved = world.written_by_the_village(signature::sign(world.approval(8), &secretary));
    assert_eq!(world.outcome(approved), Outcome::Applied);
    // The key is reported lost; the administrator revokes it.
    desk.act(
        "ta-thi-dung",
        T0 + 2 * DAY_MS,
        Command::RevokeKey {
            person: person("nguyen-tien-thinh"),
            key: person_key(&secretary),
            unit: unit(COMMUNE),
        },
    )
    .unwrap();
    // After: a comment signed with the lost key is refused.
    let state = world.state();
    let comment = Draft {
        id: event_id(T0 + 3 * DAY_MS, 1),
        actor: person("nguyen-tien-thinh"),
        unit: state.items[&world.task].unit.clone(),
        seen: Some(state.items[&world.task].state_event),
        body: Known::ItemCommented(nhip::engine::body::ItemCommented {
            item: world.task,
            text: "Ý kiến".into(),
        })
        .to_body(),
    };
    let id = comment.id;
    world
        .commune
        .append(
            &world.commune_key,
            T0 + 3 * DAY_MS,
            vec![signature::sign(comment, &secretary)],
        )
        .unwrap();
    let state = world.state();
    assert!(matches!(
        state.refused.get(&id),
        Some(Refusal::KeyNotCurrent { .. })
    ));
    assert_eq!(
        state.items[&world.task].state, "done",
        "the earlier approval stands"
    );
    assert!(!state.refused.contains_key(&approved));
}

#[test]
fn without_a_personal_key_the_engine_will_not_write_in_an_account_holders_name() {
    let world = Commune::new();
    let state = world.state();
    let refused = nhip::engine::command::decide(
        &state,
        &person("nguyen-tien-thinh"),
        event_id(T0 + DAY_MS, 9),
        T0 + DAY_MS,
        Command::Vote {
            item: world.task,
            transition: None,
            approve: true,
            note: String::new(),
        },
    );
    assert!(
        matches!(
            refused,
            Err(nhip::engine::command::CommandError::NotAllowed {
                refusal: Refusal::SignatureMissing { .. },
                ..
            })
        ),
        "{refused:?}"
    );
}

#[test]
fn the_inspectors_register_lists_every_decision_with_its_signer_key_and_verdict() {
    let world = Commune::new();
    let secretary = person_signing_key(&person("nguyen-tien-thinh"));
    let clerk = person_signing_key(&person("lo-van-pao"));
    let missing = world.written_by_the_village(world.approval(11));
    let invalid = {
        let genuine = signature::sign(world.approval(12), &secretary);
        let mut moved = world.approval(13);
        moved.body = genuine.body;
        world.written_by_the_village(moved)
    };
    let not_current = world.written_by_the_village(signature::sign(world.approval(14), &clerk));
    let valid = world.written_by_the_village(signature::sign(world.approval(15), &secretary));
    let (register, state) = decisions::register(&world.commune).unwrap();
    let line = |id: EventId| {
        register
            .iter()
            .find(|decision| decision.event == id)
            .unwrap_or_else(|| panic!("{id} is in the register"))
    };
    for (id, verdict) in [
        (missing, SignatureVerdict::Missing),
        (invalid, SignatureVerdict::Invalid),
        (not_current, SignatureVerdict::KeyNotCurrent),
        (valid, SignatureVerdict::Valid),
    ] {
        let decision = line(id);
        assert_eq!(decision.signature, verdict, "{decision:?}");
        assert_eq!(decision.actor, person("nguyen-tien-thinh"));
        assert_eq!(decision.item, Some(world.task));
        assert_eq!(decision.kind, "item.voted");
        // The register's outcome is the state's.
        let entry = state.items[&world.task]
            .history
            .iter()
            .find(|entry| entry.event == id)
            .unwrap();
        assert_eq!(decision.outcome.as_ref(), Some(&entry.outcome));
    }
    assert_eq!(line(valid).outcome, Some(Outcome::Applied));
    assert_eq!(line(valid).key, Some(person_key(&secretary)));
    // The key a forgery names is listed as named: the clerk's own, used in another's name.
    assert_eq!(line(not_current).key, Some(person_key(&clerk)));
    assert_eq!(line(missing).key, None);
    // Registry changes are decisions too (the accounts opened above); routine work is not.
    assert!(
        register
            .iter()
            .any(|d| d.kind == "person.key_added" && d.signature == SignatureVerdict::Valid)
    );
    assert!(
        register
            .iter()
            .any(|d| d.kind == "role.assigned" && d.signature == SignatureVerdict::NotRequired)
    );
    assert!(
        register
            .iter()
            .all(|d| d.kind != "item.progressed" && d.kind != "item.commented")
    );
    // Every line cites its exact event.
    let mut hashes = std::collections::BTreeMap::new();
    world
        .commune
        .scan(&mut |event, bytes, _| {
            hashes.insert(event.id, nhip::engine::Hash::of(bytes));
        })
        .unwrap();
    assert!(register.iter().all(|d| hashes[&d.event] == d.hash));
}
