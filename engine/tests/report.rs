//! The periodic report from a commune's log, on a story with known dates: which items land in
//! which section, days late, extensions with their reasons, petitions in time and late,
//! votes, indicators, the roll-up per village, the weekly series, the report as the log stood
//! on an earlier day, bad input, and who has submitted their report.

use ed25519_dalek::SigningKey;
use nhip_engine::command::{Command, decide};
use nhip_engine::report::{
    self, Period, PetitionStatus, ReportError, SubmissionNote, SubmissionStatus,
};
use nhip_engine::{Date, EventId, EventLog, MemoryLog, NodeId, PersonId, State, UnitId, node_id};

fn unit(code: &str) -> UnitId {
    UnitId::new(code).unwrap()
}

fn person(code: &str) -> PersonId {
    PersonId::new(code).unwrap()
}

fn day(text: &str) -> Date {
    Date::parse(text).unwrap()
}

/// Noon in Vietnam on `text`.
fn noon(text: &str) -> u64 {
    (i64::from(day(text).0) * 86_400_000 + 5 * 3_600_000) as u64
}

/// One commune office writing its log, the clock set by each call.
struct Desk {
    signer: SigningKey,
    log: MemoryLog,
    ids: u128,
}

impl Desk {
    fn new() -> Desk {
        let signer = SigningKey::from_bytes(&[7; 32]);
        let log = MemoryLog::new(node_id(&signer));
        Desk {
            signer,
            log,
            ids: 0,
        }
    }

    fn act(&mut self, on: &str, who: &str, command: Command) -> EventId {
        let state = nhip_engine::replay(&self.log).unwrap();
        self.ids += 1;
        let id = EventId(uuid::Uuid::from_u128(self.ids));
        let now = noon(on) + self.ids as u64;
        let draft = decide(&state, &person(who), id, now, command)
            .unwrap_or_else(|error| panic!("{on} {who}: {error}"));
        self.log.append(&self.signer, now, vec![draft]).unwrap();
        id
    }

    fn task(&mut self, on: &str, at: &str, title: &str, deadline: &str) -> EventId {
        self.item(on, "task", at, title, Some(deadline))
    }

    fn item(
        &mut self,
        on: &str,
        workflow: &str,
        at: &str,
        title: &str,
        deadline: Option<&str>,
    ) -> EventId {
        self.act(
            on,
            "admin",
            Command::CreateItem {
                workflow: workflow.into(),
                unit: unit(at),
                title: title.into(),
                description: String::new(),
                lead_unit: None,
                coordinating: vec![unit("xa/ban-b")],
                assignee: Some(person("thanh")),
                deadline: deadline.map(day),
                parent: None,
                indicator: None,
            },
        )
    }

    fn fire(&mut self, on: &str, item: EventId, transition: &str, note: &str) {
        self.act(
            on,
            "admin",
            Command::Fire {
                item,
                transition: transition.into(),
                note: note.into(),
            },
        );
    }

    /// The state of the events written by the end of `as_of`.
    fn as_of(&self, as_of: &str) -> State {
        let until = noon(as_of) + 12 * 3_600_000;
        let mut state = State::default();
        self.log
            .scan(&mut |event, _, _| {
                if event.hlc.wall_ms < until {
                    state.apply(event);
                }
            })
            .unwrap();
        state
    }
}

struct Story {
    desk: Desk,
    extended: EventId,
    done: EventId,
    waiting: EventId,
}

fn story() -> Story {
    let mut desk = Desk::new();
    let on = "2025-06-20";
    let mut setup = vec![Command::AssignRole {
        person: person("admin"),
        unit: unit("xa"),
        role: "quan-tri".into(),
    }];
    for (code, name, kind) in [
        ("xa", "Xã Bình Lư", "commune"),
        ("xa/ban-a", "Bản Nà Ri", "village"),
        ("xa/ban-b", "Bản Phiêng Phát", "village"),
        ("xa/ban-c", "Bản Nậm Ngập", "village"),
    ] {
        setup.push(Command::DefineUnit {
            unit: unit(code),
            name: name.into(),
            kind: kind.into(),
        });
    }
    for (code, name) in [
        ("admin", "Tạ Thị Dung"),
        ("thanh", "Nguyễn Tiến Thịnh"),
        ("mai", "Lò Thị Mai"),
    ] {
        setup.push(Command::RegisterPerson {
            person: person(code),
            name: name.into(),
            unit: unit("xa"),
        });
        setup.push(Command::AssignRole {
            person: person(code),
            unit: unit("xa"),
            role: "uy-vien-bch".into(),
        });
    }
    for role in ["bi-thu", "chu-tich", "can-bo"] {
        setup.push(Command::AssignRole {
            person: person("admin"),
            unit: unit("xa"),
            role: role.into(),
        });
    }
    for (seed, at) in [(1_u8, "xa/ban-a"), (2, "xa/ban-b"), (3, "xa/ban-c")] {
        setup.push(Command::EnrollNode {
            node: node_id(&SigningKey::from_bytes(&[seed; 32])),
            unit: unit(at),
        });
    }
    for command in setup {
        desk.act(on, "admin", command);
    }

    // Written in the order of the days, as an office would (the clock only moves forward).
    let before = desk.task(on, "xa", "Việc đã xong từ trước", "2025-06-25");
    let extended = desk.task(
        on,
        "xa/ban-a",
        "Phòng, chống dịch tả lợn châu Phi",
        "2025-07-15",
    );
    desk.act(
        on,
        "admin",
        Command::DefineIndicator {
            id: "thu-gom-rac".into(),
            name: "Tỷ lệ hộ được thu gom rác thải".into(),
            measure: "%".into(),
            target_milli: 100_000,
            period: "2025".into(),
            unit: unit("xa"),
        },
    );
    // Finished before the period: not in the report.
    desk.fire("2025-06-24", before, "start", "");
    desk.fire("2025-06-24", before, "complete", "");
    desk.fire("2025-07-01", extended, "start", "Bắt đầu tiêu độc");
    let resolution = desk.item("2025-07-01", "document", "xa", "Nghị quyết chuyên đề", None);
    let done = desk.task(
        "2025-07-02",
        "xa/ban-b",
        "Thu gom rác thải tại bản",
        "2025-08-01",
    );
    desk.fire("2025-07-03", done, "start", "");
    // Petitions: answered in time, answered late, still open within the limit.
    let petition = |desk: &mut Desk, on: &str, deadline: &str| {
        desk.item(
            on,
            "petition",
            "xa",
            "Kiến nghị về đường vào bản",
            Some(deadline),
        )
    };
    let in_time = petition(&mut desk, "2025-07-05", "2025-08-04");
    desk.fire("2025-07-05", resolution, "circulate", "");
    let extend = |desk: &mut Desk, on: &str, deadline: &str, reason: &str| {
        desk.act(
            on,
            "admin",
            Command::Extend {
                item: extended,
                deadline: day(deadline),
                reason: reason.into(),
            },
        );
    };
    extend(
        &mut desk,
        "2025-07-10",
        "2025-08-15",
        "Chờ vắc-xin của tỉnh",
    );
    desk.fire("2025-07-20", done, "complete", "Cả bản có điểm tập kết rác");
    desk.fire("2025-07-20", resolution, "revise", "");
    desk.fire("2025-07-25", in_time, "accept", "");
    desk.fire("2025-07-25", in_time, "answer", "Đã trả lời bằng văn bản");
    let waiting = desk.task("2025-08-01", "xa/ban-a", "Củng cố chi bộ bản", "2025-10-20");
    let late = petition(&mut desk, "2025-08-01", "2025-08-31");
    // A resolution adopted by vote in the period.
    for who in ["admin", "thanh"] {
        desk.act(
            "2025-08-05",
            who,
            Command::Vote {
                item: resolution,
                transition: None,
                approve: true,
                note: "Tán thành".into(),
            },
        );
    }
    extend(
        &mut desk,
        "2025-08-10",
        "2025-09-10",
        "Mưa lũ, đường vào bản bị chia cắt",
    );
    petition(&mut desk, "2025-09-01", "2025-10-01");
    desk.act(
        "2025-09-05",
        "admin",
        Command::Progress {
            item: extended,
            percent: 60,
            note: "Đã tiêm 42 chuồng trại".into(),
        },
    );
    desk.fire("2025-09-10", late, "accept", "");
    desk.fire("2025-09-10", late, "answer", "Đã trả lời bằng văn bản");
    desk.fire(
        "2025-09-15",
        waiting,
        "submit",
        "Đã họp chi bộ, trình duyệt",
    );
    desk.act(
        "2025-09-25",
        "admin",
        Command::ReportIndicator {
            id: "thu-gom-rac".into(),
            value_milli: 82_500,
            note: String::new(),
        },
    );
    Story {
        desk,
        extended,
        done,
        waiting,
    }
}

#[test]
fn a_quarter_report_puts_each_item_in_its_section() {
    let story = story();
    let state = story.desk.as_of("2025-09-30");
    let quarter = Period::parse("Q3-2025").unwrap();
    let report = report::build(
        &state,
        &unit("xa"),
        &quarter,
        day("2025-09-30"),
        day("2025-10-03"),
    )
    .unwrap();
    assert_eq!(report.unit_name, "Xã Bình Lư");
    let titles: Vec<&str> = report.tasks.iter().map(|row| row.title.as_str()).collect();
    assert_eq!(titles.len(), 3, "{titles:?}");
    assert!(!titles.contains(&"Việc đã xong từ trước"));

    let overdue = report.overdue();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].id, story.extended);
    assert_eq!(overdue[0].days_late, Some(20));
    assert_eq!(overdue[0].percent, 60);
    assert_eq!(
        overdue[0]
            .last_note
            .as_ref()
            .map(|(on, note)| (*on, note.as_str())),
        Some((day("2025-09-05"), "Đã tiêm 42 chuồng trại"))
    );
    assert_eq!(overdue[0].assignee, "Nguyễn Tiến Thịnh");
    assert_eq!(overdue[0].coordinating, vec!["Bản Phiêng Phát".to_owned()]);

    let extended: Vec<_> = report.extended().collect();
    assert_eq!(extended.len(), 1);
    let reasons: Vec<&str> = extended[0]
        .extensions
        .iter()
        .map(|extension| extension.reason.as_str())
        .collect();
    assert_eq!(
        reasons,
        ["Chờ vắc-xin của tỉnh", "Mưa lũ, đường vào bản bị chia cắt"]
    );

    let done: Vec<_> = report.done().collect();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].id, story.done);
    assert_eq!(done[0].finished_on, Some(day("2025-07-20")));

    let waiting: Vec<_> = report.waiting().map(|row| row.id).collect();
    assert_eq!(waiting, vec![story.waiting]);

    let statuses: Vec<PetitionStatus> = report.petitions.iter().map(|(_, s)| *s).collect();
    assert_eq!(
        statuses,
        [
            PetitionStatus::AnsweredInTime,
            PetitionStatus::AnsweredLate,
            PetitionStatus::Open
        ]
    );
    assert_eq!(report.documents.len(), 1);
    assert_eq!(report.documents[0].state, "adopted");
    assert_eq!(report.documents[0].votes, (2, 0));
    assert_eq!(report.indicators[0].attainment_milli, Some(825));

    let counts = &report.counts;
    assert_eq!(
        (
            counts.tasks,
            counts.done,
            counts.overdue,
            counts.extended,
            counts.waiting
        ),
        (3, 1, 1, 1, 1)
    );
    assert_eq!(counts.adopted, 1);
    assert_eq!(
        (
            counts.petitions_received,
            counts.petitions_in_time,
            counts.petitions_late
        ),
        (3, 1, 1)
    );
    assert_eq!((counts.indicators, counts.indicators_met), (1, 0));

    // The roll-up: a row for the commune's own items and one per village, empty ones too.
    let rollup: Vec<(&str, u32, u32, u32, u32)> = report
        .rollup
        .iter()
        .map(|row| {
            (
                row.name.as_str(),
                row.tasks,
                row.done,
                row.overdue,
                row.petitions,
            )
        })
        .collect();
    assert_eq!(
        rollup,
        [
            ("Xã Bình Lư", 0, 0, 0, 3),
            ("Bản Nà Ri", 2, 0, 1, 0),
            ("Bản Phiêng Phát", 1, 1, 0, 0),
            ("Bản Nậm Ngập", 0, 0, 0, 0),
        ]
    );

    // 92 days: 14 weeks from 1 July; the task done on 20 July is in the third.
    assert_eq!(report.weeks.len(), 14);
    assert_eq!(report.weeks[2].start, day("2025-07-15"));
    assert_eq!(report.weeks.iter().map(|w| w.done).sum::<u32>(), 1);
    assert_eq!(report.weeks[2].done, 1);
    assert_eq!(report.weeks.last().unwrap().overdue, 1);
    assert_eq!(report.weeks[0].overdue, 0);
}

#[test]
fn a_report_as_the_log_stood_earlier_knows_only_what_was_written_by_then() {
    let story = story();
    let state = story.desk.as_of("2025-07-31");
    let quarter = Period::parse("Q3-2025").unwrap();
    let report = report::build(
        &state,
        &unit("xa"),
        &quarter,
        day("2025-07-31"),
        day("2025-10-03"),
    )
    .unwrap();
    assert_eq!(report.reference, day("2025-07-31"));
    let row = report
        .tasks
        .iter()
        .find(|row| row.id == story.extended)
        .unwrap();
    assert_eq!(row.extensions.len(), 1);
    assert_eq!(row.deadline, Some(day("2025-08-15")));
    assert_eq!(row.days_late, None);
    assert!(!report.tasks.iter().any(|row| row.id == story.waiting));
    // The weeks stop at the as-of date.
    assert_eq!(report.weeks.len(), 5);
    // And the same events make the same report.
    let again = story.desk.as_of("2025-07-31");
    assert_eq!(
        report::build(
            &again,
            &unit("xa"),
            &quarter,
            day("2025-07-31"),
            day("2025-10-03")
        ),
        Ok(report)
    );
}

#[test]
fn bad_input_is_refused_with_the_reason() {
    let story = story();
    let state = story.desk.as_of("2025-09-30");
    let quarter = Period::parse("Q3-2025").unwrap();
    let build = |at: &str, as_of: &str, period: &Period| {
        report::build(&state, &unit(at), period, day(as_of), day("2025-10-03"))
    };
    assert_eq!(
        build("xa/khong-co", "2025-09-30", &quarter),
        Err(ReportError::UnknownUnit(unit("xa/khong-co")))
    );
    assert!(matches!(
        build("xa", "2025-10-04", &quarter),
        Err(ReportError::AsOfInFuture { .. })
    ));
    assert!(matches!(
        build("xa", "2025-09-30", &Period::parse("Q4-2025").unwrap()),
        Err(ReportError::PeriodAfterAsOf { .. })
    ));
    assert_eq!(
        build("xa/ban-c", "2025-09-30", &quarter),
        Err(ReportError::NothingToReport(unit("xa/ban-c")))
    );
}

#[test]
fn the_level_above_sees_who_submitted_in_time_late_or_not_at_all() {
    let mut story = story();
    let quarter = Period::parse("Q3-2025").unwrap();
    let note = SubmissionNote {
        period: quarter.code(),
        xlsx_blake3: "a".repeat(64),
        docx_blake3: "b".repeat(64),
    };
    for (at, on) in [("xa/ban-a", "2025-10-03"), ("xa/ban-b", "2025-10-08")] {
        let item = story.desk.act(
            on,
            "admin",
            Command::CreateItem {
                workflow: report::REPORT_WORKFLOW.into(),
                unit: unit(at),
                title: "Báo cáo quý III".into(),
                description: note.to_description(),
                lead_unit: None,
                coordinating: Vec::new(),
                assignee: None,
                deadline: Some(quarter.due()),
                parent: None,
                indicator: None,
            },
        );
        story.desk.fire(on, item, "submit", "");
    }
    // A report for another period does not count for this one.
    let other = SubmissionNote {
        period: "Q2-2025".into(),
        ..note
    };
    let item = story.desk.act(
        "2025-10-09",
        "admin",
        Command::CreateItem {
            workflow: report::REPORT_WORKFLOW.into(),
            unit: unit("xa/ban-c"),
            title: "Báo cáo quý II".into(),
            description: other.to_description(),
            lead_unit: None,
            coordinating: Vec::new(),
            assignee: None,
            deadline: None,
            parent: None,
            indicator: None,
        },
    );
    story.desk.fire("2025-10-09", item, "submit", "");
    let state = story.desk.as_of("2025-10-10");
    let rows = report::submissions(&state, &unit("xa"), &quarter, day("2025-10-10"));
    let seen: Vec<(&str, SubmissionStatus, Option<i32>)> = rows
        .iter()
        .map(|row| (row.name.as_str(), row.status, row.lag_days))
        .collect();
    assert_eq!(
        seen,
        [
            ("Bản Nà Ri", SubmissionStatus::Submitted, Some(3)),
            ("Bản Phiêng Phát", SubmissionStatus::Late, Some(8)),
            ("Bản Nậm Ngập", SubmissionStatus::Missing, None),
        ]
    );
    // Before the due day, a unit that has not reported is not yet late.
    let early = report::submissions(&state, &unit("xa"), &quarter, day("2025-10-04"));
    assert_eq!(early[2].status, SubmissionStatus::NotYetDue);
    // Report items are not tasks of the report.
    let state = story.desk.as_of("2025-10-10");
    let made = report::build(
        &state,
        &unit("xa"),
        &quarter,
        day("2025-10-10"),
        day("2025-10-10"),
    )
    .unwrap();
    assert!(made.tasks.iter().all(|row| row.workflow == "task"));
    let _: NodeId = node_id(&story.desk.signer);
}
