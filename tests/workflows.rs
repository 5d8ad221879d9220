//! Scenario tests of the workflow engine, in the domain's own words: given the commune of Bình
//! Lư with its people and roles, when someone does something, then the item moves, or the
//! command is refused with who may do it instead. Every built-in workflow, the refusal paths,
//! the committee vote, approval across the sync boundary, and each kind of conflict.

use ed25519_dalek::SigningKey;
use nhip::engine::command::{Command, CommandError, Problem};
use nhip::engine::state::{Aspect, Detail, EscalateTo, Outcome, State};
use nhip::engine::workflow::{RoleRef, Who};
use nhip::engine::{Date, EventId, EventLog, MemoryLog, PersonId, UnitId, node_id, replay};
use nhip::sample::{
    COMMUNE, CONFERENCE_DAY_MS, DAY_MS, Desk, PEOPLE, PROVINCE, StoryError, VILLAGE_NA_RI,
    copy_all, write_registry,
};

const T0: u64 = CONFERENCE_DAY_MS;

/// A node of the scenario: its log and key.
struct Site {
    log: MemoryLog,
    key: SigningKey,
}

impl Site {
    fn new(seed: u8) -> Site {
        let key = SigningKey::from_bytes(&[seed; 32]);
        Site {
            log: MemoryLog::new(node_id(&key)),
            key,
        }
    }

    fn desk(&self) -> Desk<'_> {
        Desk::new(&self.log, &self.key)
    }

    fn state(&self) -> State {
        replay(&self.log).unwrap()
    }
}

fn unit(code: &str) -> UnitId {
    UnitId::new(code).unwrap()
}

fn person(code: &str) -> PersonId {
    PersonId::new(code).unwrap()
}

/// Given: the commune's registry (units, people, roles) on a commune node; a village node and a
/// hub node that hold the same registry; the hub's own leader.
struct World {
    hub: Site,
    commune: Site,
    village: Site,
    now: std::cell::Cell<u64>,
}

impl World {
    fn new() -> World {
        let world = World {
            hub: Site::new(1),
            commune: Site::new(2),
            village: Site::new(3),
            now: std::cell::Cell::new(T0),
        };
        let mut hub = world.hub.desk();
        // The province's administrator appoints a leader at the province.
        for command in [
            Command::AssignRole {
                person: person("admin-tinh"),
                unit: unit(PROVINCE),
                role: "quan-tri".into(),
            },
            Command::AssignRole {
                person: person("nguyen-ngoc-vinh"),
                unit: unit(PROVINCE),
                role: "lanh-dao".into(),
            },
            Command::AssignRole {
                person: person("ta-thi-dung"),
                unit: unit(COMMUNE),
                role: "quan-tri".into(),
            },
        ] {
            hub.act("admin-tinh", T0 - DAY_MS, command).unwrap();
        }
        copy_all(&world.hub.log, &world.commune.log, T0).unwrap();
        write_registry(
            &mut world.commune.desk(),
            T0,
            &[(world.village.log.node(), VILLAGE_NA_RI)],
        )
        .unwrap();
        // Everyone has an account: every decision below is signed by the person who made it,
        // and checked at every node's replay.
        let mut commune = world.commune.desk();
        for (code, _) in PEOPLE {
            commune
                .open_account("ta-thi-dung", code, COMMUNE, T0)
                .unwrap();
        }
        let mut hub = world.hub.desk();
        for (code, name) in [
            ("admin-tinh", "Quản trị tỉnh"),
            ("nguyen-ngoc-vinh", "Nguyễn Ngọc Vinh"),
        ] {
            let registered = Command::RegisterPerson {
                person: person(code),
                name: name.into(),
                unit: unit(PROVINCE),
            };
            hub.act("admin-tinh", T0, registered).unwrap();
            hub.open_account("admin-tinh", code, PROVINCE, T0).unwrap();
        }
        world.sync_all();
        world
    }

    /// Everyone syncs with everyone (village ↔ commune ↔ hub).
    fn sync_all(&self) {
        let now = self.now.get();
        for _ in 0..2 {
            copy_all(&self.village.log, &self.commune.log, now).unwrap();
            copy_all(&self.commune.log, &self.hub.log, now).unwrap();
            copy_all(&self.hub.log, &self.commune.log, now).unwrap();
            copy_all(&self.commune.log, &self.village.log, now).unwrap();
        }
    }

    fn later(&self, days: u64) -> u64 {
        self.now.set(self.now.get() + days * DAY_MS);
        self.now.get()
    }

    fn now(&self) -> u64 {
        self.now.get()
    }
}

fn create(
    workflow: &str,
    at: &str,
    title: &str,
    assignee: Option<&str>,
    deadline: Option<Date>,
) -> Command {
    Command::CreateItem {
        workflow: workflow.into(),
        unit: unit(at),
        title: title.into(),
        description: String::new(),
        lead_unit: None,
        coordinating: Vec::new(),
        assignee: assignee.map(person),
        deadline,
        parent: None,
        indicator: None,
    }
}

fn fire(item: EventId, transition: &str) -> Command {
    Command::Fire {
        item,
        transition: transition.into(),
        note: String::new(),
    }
}

fn vote(item: EventId, approve: bool, note: &str) -> Command {
    Command::Vote {
        item,
        transition: None,
        approve,
        note: note.into(),
    }
}

fn refusal(result: Result<EventId, StoryError>) -> CommandError {
    match result {
        Err(StoryError::Command(error)) => error,
        other => panic!("expected a refused command, got {other:?}"),
    }
}

fn deadline() -> Option<Date> {
    Date::from_ymd(2025, 12, 31)
}

#[test]
fn a_task_runs_from_assignment_to_approval_and_can_be_sent_back() {
    let world = World::new();
    let mut commune = world.commune.desk();
    let task = commune
        .act(
            "ta-thi-dung",
            T0,
            create(
                "task",
                VILLAGE_NA_RI,
                "Phòng, chống dịch tả lợn châu Phi",
                Some("lo-van-pao"),
                deadline(),
            ),
        )
        .unwrap();
    let mut village = world.commune.desk();
    village.act("lo-van-pao", T0, fire(task, "start")).unwrap();
    village
        .act(
            "lo-van-pao",
            T0,
            Command::Progress {
                item: task,
                percent: 80,
                note: "Tiêm phòng 120 hộ".into(),
            },
        )
        .unwrap();
    village.act("lo-van-pao", T0, fire(task, "submit")).unwrap();
    let state = world.commune.state();
    let item = &state.items[&task];
    assert_eq!(item.state, "submitted");
    assert_eq!(item.percent, 80);
    let definition = state.definition_of(item).unwrap();
    assert_eq!(item.waiting_for(definition)[0].0, "approve");

    // The secretary sends it back with a comment, then approves the second submission.
    commune
        .act(
            "nguyen-tien-thinh",
            T0,
            vote(task, false, "Bổ sung số liệu tiêm phòng"),
        )
        .unwrap();
    assert_eq!(world.commune.state().items[&task].state, "in_progress");
    village.act("lo-van-pao", T0, fire(task, "submit")).unwrap();
    commune
        .act("nguyen-tien-thinh", T0, vote(task, true, "Đạt"))
        .unwrap();
    let state = world.commune.state();
    assert_eq!(state.items[&task].state, "done");
    // create, start, progress, submit, no, submit, yes
    assert_eq!(state.items[&task].history.len(), 7);
}

#[test]
fn refused_commands_write_nothing_and_say_who_may() {
    let world = World::new();
    let mut desk = world.commune.desk();
    let before = world.commune.log.heads().unwrap();

    // A task must say when (rõ thời gian).
    let error = refusal(desk.act(
        "ta-thi-dung",
        T0,
        create(
            "task",
            VILLAGE_NA_RI,
            "Thu gom rác",
            Some("lo-van-pao"),
            None,
        ),
    ));
    assert!(
        matches!(
            error,
            CommandError::Invalid {
                field: "deadline",
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(
        world.commune.log.heads().unwrap(),
        before,
        "nothing written"
    );

    let task = desk
        .act(
            "ta-thi-dung",
            T0,
            create(
                "task",
                VILLAGE_NA_RI,
                "Thu gom rác",
                Some("lo-van-pao"),
                deadline(),
            ),
        )
        .unwrap();
    // The village head may not cancel: the secretaries may, and are named.
    let error = refusal(desk.act("lo-van-pao", T0, fire(task, "cancel")));
    let CommandError::NotAllowed { who, people, .. } = &error else {
        panic!("{error}")
    };
    assert!(
        people.iter().any(|(_, name)| name == "Nguyễn Tiến Thịnh"),
        "{people:?}"
    );
    let Some(Who::OneOf(roles)) = who else {
        panic!("{who:?}")
    };
    assert!(
        roles.contains(&RoleRef::InLine("bi-thu".into())),
        "{roles:?}"
    );
    // Approving is not possible before the work is submitted: the possible steps are listed.
    let error = refusal(desk.act("nguyen-tien-thinh", T0, fire(task, "approve")));
    let CommandError::NotNow { available, .. } = &error else {
        panic!("{error}")
    };
    assert!(
        available.iter().any(|step| step == "start")
            && available.iter().any(|step| step == "cancel"),
        "{available:?}"
    );
    // An unknown workflow names the known ones.
    let error = refusal(desk.act(
        "ta-thi-dung",
        T0,
        create("hop-dan", COMMUNE, "Đối thoại", None, None),
    ));
    assert!(
        matches!(&error, CommandError::UnknownWorkflow(_, known) if known.iter().any(|id| id == "petition"))
    );
    // A refusal must say why.
    desk.act("lo-van-pao", T0, fire(task, "submit")).unwrap();
    let error = refusal(desk.act("nguyen-tien-thinh", T0, vote(task, false, "  ")));
    assert!(matches!(error, CommandError::Invalid { field: "note", .. }));
    // Someone with no role in the commune takes no part.
    let error = refusal(desk.act(
        "nguoi-la",
        T0,
        Command::Comment {
            item: task,
            text: "?".into(),
        },
    ));
    assert!(matches!(error, CommandError::NotAllowed { .. }), "{error}");
    // A finished item takes no more steps.
    desk.act("nguyen-tien-thinh", T0, vote(task, true, "Đạt"))
        .unwrap();
    let error = refusal(desk.act("nguyen-tien-thinh", T0, fire(task, "cancel")));
    assert!(matches!(error, CommandError::Finished { .. }), "{error}");
}

#[test]
fn the_executive_committee_adopts_a_document_by_majority() {
    let world = World::new();
    let mut desk = world.commune.desk();
    let document = desk
        .act(
            "lo-thi-mai",
            T0,
            create(
                "document",
                "lai-chau/binh-lu/bch",
                "Nghị quyết chuyên đề",
                None,
                None,
            ),
        )
        .unwrap();
    // The default deadline of a document is 30 days.
    let state = world.commune.state();
    assert_eq!(
        state.items[&document].deadline,
        Some(Date::from_unix_ms(T0).plus_days(30))
    );
    desk.act("lo-thi-mai", T0, fire(document, "circulate"))
        .unwrap();
    desk.act("lo-thi-mai", T0, fire(document, "revise"))
        .unwrap();
    // Someone outside the committee cannot vote.
    let error = refusal(desk.act("dieu-thi-hoa", T0, vote(document, true, "")));
    assert!(matches!(error, CommandError::NotAllowed { .. }), "{error}");
    // Two of five members: not yet.
    desk.act("nguyen-tien-thinh", T0, vote(document, true, ""))
        .unwrap();
    desk.act("ta-thi-dung", T0, vote(document, true, ""))
        .unwrap();
    assert_eq!(world.commune.state().items[&document].state, "revised");
    // The third: adopted.
    desk.act("hoang-van-nam", T0, vote(document, true, ""))
        .unwrap();
    assert_eq!(world.commune.state().items[&document].state, "adopted");
}

#[test]
fn a_no_vote_returns_a_document_for_more_comments() {
    let world = World::new();
    let mut desk = world.commune.desk();
    let document = desk
        .act(
            "lo-thi-mai",
            T0,
            create("document", "lai-chau/binh-lu/bch", "Đề án", None, None),
        )
        .unwrap();
    desk.act("lo-thi-mai", T0, fire(document, "circulate"))
        .unwrap();
    desk.act("lo-thi-mai", T0, fire(document, "revise"))
        .unwrap();
    desk.act(
        "vang-a-sinh",
        T0,
        vote(document, false, "Chưa rõ nguồn vốn"),
    )
    .unwrap();
    assert_eq!(world.commune.state().items[&document].state, "returned");
    desk.act("lo-thi-mai", T0, fire(document, "circulate"))
        .unwrap();
    assert_eq!(world.commune.state().items[&document].state, "collecting");
}

#[test]
fn a_budget_is_approved_by_the_commune_then_by_the_hub_across_sync() {
    let world = World::new();
    let mut commune = world.commune.desk();
    let budget = commune
        .act(
            "dieu-thi-hoa",
            T0,
            create(
                "budget",
                "lai-chau/binh-lu/van-phong",
                "Dự toán ngân sách Đảng năm 2026",
                None,
                None,
            ),
        )
        .unwrap();
    commune
        .act("dieu-thi-hoa", T0, fire(budget, "submit"))
        .unwrap();
    commune
        .act(
            "nguyen-tien-thinh",
            T0,
            vote(budget, true, "Đảng ủy nhất trí"),
        )
        .unwrap();
    assert_eq!(
        world.commune.state().items[&budget].state,
        "commune_approved"
    );
    // The commune cannot give the hub's approval.
    let error = refusal(commune.act("nguyen-tien-thinh", T0, vote(budget, true, "")));
    let CommandError::NotAllowed { who, .. } = &error else {
        panic!("{error}")
    };
    let Some(Who::OneOf(roles)) = who else {
        panic!("{who:?}")
    };
    assert!(
        roles.contains(&RoleRef::Above("lanh-dao".into())),
        "{roles:?}"
    );

    // The budget goes up on the next sync; the hub decides; the decision comes down.
    let at = world.later(1);
    world.sync_all();
    world
        .hub
        .desk()
        .act("nguyen-ngoc-vinh", at, vote(budget, true, "Phê duyệt"))
        .unwrap();
    assert_eq!(
        world.commune.state().items[&budget].state,
        "commune_approved"
    );
    world.sync_all();
    assert_eq!(world.commune.state().items[&budget].state, "approved");
    assert_eq!(world.village.state().items[&budget].state, "approved");
    assert_eq!(world.hub.state().hash(), world.commune.state().hash());
}

#[test]
fn a_petition_has_a_legal_time_limit_and_escalates_when_overdue() {
    let world = World::new();
    let mut desk = world.commune.desk();
    let petition = desk
        .act(
            "vang-a-sinh",
            T0,
            create(
                "petition",
                "lai-chau/binh-lu/ubnd",
                "Kiến nghị về đường vào bản",
                None,
                None,
            ),
        )
        .unwrap();
    let state = world.commune.state();
    let item = &state.items[&petition];
    let definition = state.definition_of(item).unwrap();
    let today = Date::from_unix_ms(T0);
    assert_eq!(item.deadline, Some(today.plus_days(30)));
    assert!(!item.is_overdue(definition, today.plus_days(30)));
    assert!(item.is_overdue(definition, today.plus_days(31)));
    assert!(item.is_due_within(definition, today.plus_days(25), 7));
    assert!(
        item.escalations(definition, today.plus_days(30))
            .contains(&EscalateTo::Role("chu-tich".to_owned()))
    );
    assert!(
        item.escalations(definition, today.plus_days(31))
            .contains(&EscalateTo::ParentUnit)
    );
    let summary = state.summary(&unit(COMMUNE), today.plus_days(31));
    assert_eq!(summary.overdue, 1);
    desk.act("vang-a-sinh", T0, fire(petition, "accept"))
        .unwrap();
    desk.act("vang-a-sinh", T0, fire(petition, "answer"))
        .unwrap();
    let state = world.commune.state();
    assert_eq!(
        state.summary(&unit(COMMUNE), today.plus_days(31)).overdue,
        0
    );
}

#[test]
fn the_inspection_committee_follows_up_a_party_cell() {
    let world = World::new();
    let mut desk = world.commune.desk();
    let inspection = desk
        .act(
            "hoang-van-nam",
            T0,
            create(
                "inspection",
                "lai-chau/binh-lu/ubkt",
                "Kiểm tra chi bộ bản Nà Ri",
                None,
                None,
            ),
        )
        .unwrap();
    for transition in ["begin", "conclude", "require_remedy"] {
        desk.act("hoang-van-nam", T0, fire(inspection, transition))
            .unwrap();
    }
    let state = world.commune.state();
    let item = &state.items[&inspection];
    let definition = state.definition_of(item).unwrap();
    let today = Date::from_unix_ms(T0);
    assert!(item.escalations(definition, today.plus_days(29)).is_empty());
    assert_eq!(
        item.escalations(definition, today.plus_days(30)),
        vec![EscalateTo::Role("chu-nhiem-ubkt".into())]
    );
    desk.act("hoang-van-nam", T0, fire(inspection, "close"))
        .unwrap();
    assert_eq!(world.commune.state().items[&inspection].state, "closed");
}

#[test]
fn the_hub_cancels_what_the_village_completed_offline_and_the_conflict_shows() {
    let world = World::new();
    let task = world
        .commune
        .desk()
        .act(
            "ta-thi-dung",
            T0,
            create(
                "task",
                VILLAGE_NA_RI,
                "Thu gom rác",
                Some("lo-van-pao"),
                deadline(),
            ),
        )
        .unwrap();
    world.sync_all();
    // Apart: the village starts and completes; the hub cancels.
    let day1 = world.later(1);
    let mut village = world.village.desk();
    village
        .act("lo-van-pao", day1, fire(task, "start"))
        .unwrap();
    village
        .act("lo-van-pao", day1, fire(task, "complete"))
        .unwrap();
    let day2 = world.later(1);
    world
        .hub
        .desk()
        .act("nguyen-ngoc-vinh", day2, fire(task, "cancel"))
        .unwrap();
    world.later(1);
    world.sync_all();

    for site in [&world.hub, &world.commune, &world.village] {
        let state = site.state();
        let item = &state.items[&task];
        assert_eq!(
            item.state, "done",
            "the first decision in replay order stands"
        );
        let open: Vec<_> = item.open_conflicts().collect();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].aspect, Aspect::State);
        let losing = item
            .history
            .iter()
            .find(|entry| entry.event == open[0].event)
            .unwrap();
        assert_eq!(
            losing.outcome,
            Outcome::Conflict,
            "the losing event stays in the history"
        );
        assert!(
            matches!(&losing.detail, Detail::Fired { transition, .. } if transition == "cancel")
        );
        assert_eq!(
            state
                .summary(&unit(COMMUNE), Date::from_unix_ms(day2))
                .open_conflicts,
            1
        );
    }
    assert_eq!(world.hub.state().hash(), world.village.state().hash());

    // A person records a resolution: the conflict is closed everywhere.
    let conflict = world.commune.state().items[&task].conflicts[0].event;
    world
        .commune
        .desk()
        .act(
            "nguyen-tien-thinh",
            day2,
            Command::Resolve {
                item: task,
                conflict,
                note: "Giữ kết quả hoàn thành của bản".into(),
            },
        )
        .unwrap();
    world.sync_all();
    assert_eq!(world.hub.state().items[&task].open_conflicts().count(), 0);
}

#[test]
fn two_approvers_deciding_differently_is_a_conflict() {
    let world = World::new();
    let mut commune = world.commune.desk();
    let task = commune
        .act(
            "ta-thi-dung",
            T0,
            create(
                "task",
                VILLAGE_NA_RI,
                "Báo cáo 9 tháng",
                Some("lo-van-pao"),
                deadline(),
            ),
        )
        .unwrap();
    commune.act("lo-van-pao", T0, fire(task, "submit")).unwrap();
    world.sync_all();
    // The secretary approves at the commune; the hub's leader (apart) sends it back.
    let day1 = world.later(1);
    commune
        .act("nguyen-tien-thinh", day1, vote(task, true, "Đạt"))
        .unwrap();
    // Meanwhile the deputy secretary, working at the hub that day, sends it back.
    let day2 = world.later(1);
    world
        .hub
        .desk()
        .act("ta-thi-dung", day2, vote(task, false, "Thiếu số liệu"))
        .unwrap();
    world.sync_all();
    let state = world.commune.state();
    let item = &state.items[&task];
    assert_eq!(item.state, "done");
    assert!(item.open_conflicts().count() >= 1);
    assert!(item.history.iter().any(|entry| matches!(
        entry.detail,
        Detail::Voted { approve: false, .. }
    ) && entry.outcome == Outcome::Conflict));
    assert_eq!(world.hub.state().hash(), state.hash());
}

#[test]
fn a_deadline_extended_twice_at_once_is_a_conflict() {
    let world = World::new();
    let task = world
        .commune
        .desk()
        .act(
            "ta-thi-dung",
            T0,
            create(
                "task",
                VILLAGE_NA_RI,
                "Khởi công dự án",
                Some("lo-van-pao"),
                deadline(),
            ),
        )
        .unwrap();
    world.sync_all();
    let day1 = world.later(1);
    let extend = |to: (i32, u32, u32), reason: &str| Command::Extend {
        item: task,
        deadline: Date::from_ymd(to.0, to.1, to.2).unwrap(),
        reason: reason.into(),
    };
    world
        .commune
        .desk()
        .act("nguyen-tien-thinh", day1, extend((2026, 1, 31), "Mưa lũ"))
        .unwrap();
    let day2 = world.later(1);
    world
        .hub
        .desk()
        .act("nguyen-ngoc-vinh", day2, extend((2026, 3, 31), "Chờ vốn"))
        .unwrap();
    world.sync_all();
    let state = world.village.state();
    let item = &state.items[&task];
    assert_eq!(item.deadline, Date::from_ymd(2026, 1, 31));
    let open: Vec<_> = item.open_conflicts().collect();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].aspect, Aspect::Deadline);
    // Comments and progress commute: they never conflict.
    let day3 = world.later(1);
    world
        .village
        .desk()
        .act(
            "lo-van-pao",
            day3,
            Command::Comment {
                item: task,
                text: "Đã nhận".into(),
            },
        )
        .unwrap();
    world
        .commune
        .desk()
        .act(
            "nguyen-tien-thinh",
            day3,
            Command::Comment {
                item: task,
                text: "Khẩn trương".into(),
            },
        )
        .unwrap();
    world.sync_all();
    assert_eq!(
        world.village.state().items[&task].open_conflicts().count(),
        1
    );
}

#[test]
fn indicators_roll_up_the_unit_tree() {
    let world = World::new();
    let mut desk = world.commune.desk();
    for (id, target, value, at) in [
        ("thu-gom-rac-na-ri", 100_000, 80_000, VILLAGE_NA_RI),
        ("tiem-phong-na-ri", 95_000, 95_000, VILLAGE_NA_RI),
    ] {
        desk.act(
            "nguyen-tien-thinh",
            T0,
            Command::DefineIndicator {
                id: id.into(),
                name: id.into(),
                measure: "%".into(),
                target_milli: target,
                period: "2025".into(),
                unit: unit(at),
            },
        )
        .unwrap();
        desk.act(
            "lo-van-pao",
            T0,
            Command::ReportIndicator {
                id: id.into(),
                value_milli: value,
                note: String::new(),
            },
        )
        .unwrap();
    }
    let state = world.commune.state();
    assert_eq!(
        state.indicators["thu-gom-rac-na-ri"].attainment_milli(),
        Some(800)
    );
    let summary = state.summary(&unit(COMMUNE), Date::from_unix_ms(T0));
    assert_eq!(summary.indicators, 2);
    assert_eq!(summary.attainment_milli, Some(900));
    // The village head cannot define the commune's targets.
    let error = refusal(desk.act(
        "lo-van-pao",
        T0,
        Command::DefineIndicator {
            id: "x".into(),
            name: "x".into(),
            measure: "%".into(),
            target_milli: 1,
            period: "2025".into(),
            unit: unit(COMMUNE),
        },
    ));
    assert!(matches!(error, CommandError::Refused(_)), "{error}");
}

const DIALOGUE_V1: &str = r#"
id = "doi-thoai"
version = 1
name = "Đối thoại với Nhân dân"
initial = "planned"

[[states]]
id = "planned"
name = "Đã lên lịch"

[[states]]
id = "held"
name = "Đã tổ chức"
final = true

[[transitions]]
id = "hold"
from = ["planned"]
to = "held"
roles = ["chu-tich"]
"#;

#[test]
fn a_definition_written_by_a_user_changes_behaviour_without_recompiling() {
    let world = World::new();
    let mut hub = world.hub.desk();
    // An invalid file is refused with its line.
    let error = refusal(hub.act(
        "admin-tinh",
        T0,
        Command::PublishWorkflow {
            source: DIALOGUE_V1.replace("to = \"held\"", "to = \"helt\""),
            unit: unit(PROVINCE),
        },
    ));
    let CommandError::Invalid {
        problem: Problem::Definition(errors),
        ..
    } = &error
    else {
        panic!("{error}")
    };
    assert!(errors.contains("line 19"), "{errors}");
    assert!(errors.contains("unknown state \"helt\""), "{errors}");

    hub.act(
        "admin-tinh",
        T0,
        Command::PublishWorkflow {
            source: DIALOGUE_V1.into(),
            unit: unit(PROVINCE),
        },
    )
    .unwrap();
    world.later(1);
    world.sync_all();
    let mut commune = world.commune.desk();
    let first = commune
        .act(
            "vang-a-sinh",
            world.now(),
            create(
                "doi-thoai",
                "lai-chau/binh-lu/ubnd",
                "Đối thoại quý IV",
                None,
                None,
            ),
        )
        .unwrap();

    // Version 2 lets the deputy secretary hold it too; the first item keeps version 1.
    let v2 = DIALOGUE_V1.replace("version = 1", "version = 2").replace(
        "roles = [\"chu-tich\"]",
        "roles = [\"chu-tich\", \"pho-bi-thu\"]",
    );
    hub.act(
        "admin-tinh",
        world.now(),
        Command::PublishWorkflow {
            source: v2,
            unit: unit(PROVINCE),
        },
    )
    .unwrap();
    world.later(1);
    world.sync_all();
    let second = commune
        .act(
            "vang-a-sinh",
            world.now(),
            create(
                "doi-thoai",
                "lai-chau/binh-lu/ubnd",
                "Đối thoại quý I",
                None,
                None,
            ),
        )
        .unwrap();
    let state = world.commune.state();
    assert_eq!(state.items[&first].version, 1);
    assert_eq!(state.items[&second].version, 2);
    assert!(
        refusal(commune.act("ta-thi-dung", world.now(), fire(first, "hold")))
            .to_string()
            .contains("chu-tich")
    );
    commune
        .act("ta-thi-dung", world.now(), fire(second, "hold"))
        .unwrap();
    assert_eq!(world.commune.state().items[&second].state, "held");
}

#[test]
fn authority_is_read_from_the_registry_as_it_stood() {
    let world = World::new();
    let mut desk = world.commune.desk();
    let task = desk
        .act(
            "ta-thi-dung",
            T0,
            create(
                "task",
                VILLAGE_NA_RI,
                "Thu gom rác",
                Some("lo-van-pao"),
                deadline(),
            ),
        )
        .unwrap();
    // The secretary leaves the post; afterwards the same person may not cancel.
    desk.act(
        "ta-thi-dung",
        T0,
        Command::RemoveRole {
            person: person("nguyen-tien-thinh"),
            unit: unit(COMMUNE),
            role: "bi-thu".into(),
        },
    )
    .unwrap();
    let error = refusal(desk.act("nguyen-tien-thinh", T0, fire(task, "cancel")));
    assert!(matches!(error, CommandError::NotAllowed { .. }), "{error}");
    // Registry changes by someone who administers nothing are refused too.
    let error = refusal(desk.act(
        "lo-van-pao",
        T0,
        Command::AssignRole {
            person: person("lo-van-pao"),
            unit: unit(COMMUNE),
            role: "bi-thu".into(),
        },
    ));
    assert!(matches!(error, CommandError::Refused(_)), "{error}");
}

#[test]
fn rolled_up_summaries_equal_per_unit_summaries() {
    let world = World::new();
    let mut desk = world.commune.desk();
    for (at, days) in [(VILLAGE_NA_RI, -2), (VILLAGE_NA_RI, 3), (COMMUNE, 40)] {
        desk.act(
            "ta-thi-dung",
            T0,
            create(
                "task",
                at,
                "Việc",
                Some("lo-van-pao"),
                Some(Date::from_unix_ms(T0).plus_days(days)),
            ),
        )
        .unwrap();
    }
    let state = world.commune.state();
    let today = Date::from_unix_ms(T0);
    let all = state.summaries(today);
    for unit in [PROVINCE, COMMUNE, VILLAGE_NA_RI] {
        assert_eq!(
            all.get(&self::unit(unit)).cloned().unwrap_or_default(),
            state.summary(&self::unit(unit), today),
            "{unit}"
        );
    }
    assert_eq!(all[&self::unit(COMMUNE)].overdue, 1);
    assert_eq!(all[&self::unit(COMMUNE)].due_soon, 1);
}

#[test]
fn the_next_steps_and_my_work_follow_the_rules_the_fold_applies() {
    use nhip::engine::state::steps::{Why, my_work, next_steps};
    let world = World::new();
    let mut commune = world.commune.desk();
    let today = Date::from_unix_ms(T0);
    let task = commune
        .act(
            "ta-thi-dung",
            T0,
            create(
                "task",
                VILLAGE_NA_RI,
                "Phát quang đường liên bản",
                Some("lo-van-pao"),
                Some(today.plus_days(3)),
            ),
        )
        .unwrap();
    let state = world.commune.state();
    let item = &state.items[&task];
    let definition = state.definition_of(item).unwrap();

    // The assignee may start it; the party secretary, who approves, may not.
    let pao = next_steps(&state, item, definition, &person("lo-van-pao"));
    let start = pao
        .transitions
        .iter()
        .find(|step| step.transition == "start")
        .expect("start leaves the initial state");
    assert!(start.allowed && !start.vote);
    assert!(pao.take_part);
    let thinh = next_steps(&state, item, definition, &person("nguyen-tien-thinh"));
    let start_for_thinh = thinh
        .transitions
        .iter()
        .find(|step| step.transition == "start")
        .unwrap();
    assert!(!start_for_thinh.allowed);
    assert!(start_for_thinh.people.contains(&person("lo-van-pao")));
    // Every step the app would offer is one the engine accepts: fire each allowed one.
    let mut desk = world.commune.desk();
    desk.act("lo-van-pao", T0, fire(task, "start")).unwrap();
    desk.act("lo-van-pao", T0, fire(task, "submit")).unwrap();

    // Now it waits for the secretary's approval: on his list first, marked as such.
    let state = world.commune.state();
    let work = my_work(&state, &person("nguyen-tien-thinh"), today);
    let line = work.iter().find(|line| line.item == task).unwrap();
    assert_eq!(line.why.first(), Some(&Why::Approve));
    assert_eq!(line.days_left, Some(3));
    let item = &state.items[&task];
    let approve = next_steps(&state, item, definition, &person("nguyen-tien-thinh"));
    assert!(
        approve
            .transitions
            .iter()
            .any(|step| step.vote && step.allowed)
    );
    // The assignee sees it as his own and due soon — and, as head of the village that leads
    // it (`truong-ban@lead`), as his to approve too.
    let work = my_work(&state, &person("lo-van-pao"), today);
    let line = work.iter().find(|line| line.item == task).unwrap();
    assert_eq!(line.why, vec![Why::Approve, Why::DueSoon, Why::Mine]);
    // A commune official with no part in it does not see it.
    let work = my_work(&state, &person("tao-van-khanh"), today);
    assert!(work.iter().all(|line| line.item != task), "{work:?}");

    // Once approved, it is off every list; four days later it would have been overdue.
    desk.act("nguyen-tien-thinh", T0, vote(task, true, "Đạt"))
        .unwrap();
    let state = world.commune.state();
    for (code, _) in PEOPLE {
        let work = my_work(&state, &person(code), today.plus_days(4));
        assert!(
            work.iter().all(|line| line.item != task),
            "{code}: {work:?}"
        );
    }
}

#[test]
fn progress_by_week_counts_work_done_and_work_overdue_at_each_weeks_end() {
    use nhip::engine::state::progress::weekly;
    let world = World::new();
    let mut commune = world.commune.desk();
    let today = Date::from_unix_ms(T0);
    // Due three days ago and still open: overdue at the end of this week, not of last week.
    let late = commune
        .act(
            "ta-thi-dung",
            T0 - 20 * DAY_MS,
            create(
                "task",
                VILLAGE_NA_RI,
                "Sửa đường",
                Some("lo-van-pao"),
                Some(today.plus_days(-3)),
            ),
        )
        .unwrap();
    // Done today.
    let done = commune
        .act(
            "ta-thi-dung",
            T0 - 20 * DAY_MS,
            create(
                "task",
                VILLAGE_NA_RI,
                "Phát quang",
                Some("lo-van-pao"),
                Some(today.plus_days(30)),
            ),
        )
        .unwrap();
    commune.act("lo-van-pao", T0, fire(done, "start")).unwrap();
    commune
        .act("lo-van-pao", T0, fire(done, "complete"))
        .unwrap();
    let state = world.commune.state();
    let series = weekly(&state, &unit(COMMUNE), today, 3, |_| true);
    assert_eq!(series.len(), 3);
    assert_eq!(series[2].end, today);
    assert_eq!(series[1].end, today.plus_days(-7));
    assert_eq!((series[2].done, series[2].overdue), (1, 1), "{series:?}");
    assert_eq!((series[1].done, series[1].overdue), (0, 0), "{series:?}");
    // Leaving an item out leaves it out of both series.
    let without = weekly(&state, &unit(COMMUNE), today, 3, |item| {
        item.title != "Sửa đường"
    });
    assert_eq!(without[2].overdue, 0);
    let _ = late;
}
