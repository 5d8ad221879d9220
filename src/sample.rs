//! Sample data from the 2nd conference notice of Bình Lư commune (23 Sep 2025): its units,
//! people and action program, used by the examples, the fixture test, the demo and the
//! benchmarks. Deterministic: the same calls give the same events, byte for byte.

use ed25519_dalek::SigningKey;
use nhip_engine::command::{self, Command, CommandError};
use nhip_engine::signature;
use nhip_engine::{Date, EventId, EventLog, PersonId, Seq, UnitId, replay};

/// 23 Sep 2025 00:00 in Vietnam (UTC+7), the day of the conference, in Unix milliseconds.
pub const CONFERENCE_DAY_MS: u64 = 1_758_560_400_000;

/// One day in milliseconds.
pub const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// The province (the hub's unit).
pub const PROVINCE: &str = "lai-chau";
/// Bình Lư commune.
pub const COMMUNE: &str = "lai-chau/binh-lu";
/// The village of Nà Ri.
pub const VILLAGE_NA_RI: &str = "lai-chau/binh-lu/ban-na-ri";
/// The village of Phiêng Phát.
pub const VILLAGE_PHIENG_PHAT: &str = "lai-chau/binh-lu/ban-phieng-phat";

/// The commune's units: (path, name, kind).
pub const UNITS: &[(&str, &str, &str)] = &[
    (COMMUNE, "Xã Bình Lư", "commune"),
    (
        "lai-chau/binh-lu/bch",
        "Ban Chấp hành Đảng bộ xã",
        "committee",
    ),
    ("lai-chau/binh-lu/btv", "Ban Thường vụ", "committee"),
    (
        "lai-chau/binh-lu/ban-xay-dung-dang",
        "Ban Xây dựng Đảng",
        "board",
    ),
    (
        "lai-chau/binh-lu/ubkt",
        "Ủy ban Kiểm tra Đảng ủy",
        "committee",
    ),
    ("lai-chau/binh-lu/van-phong", "Văn phòng Đảng ủy", "office"),
    ("lai-chau/binh-lu/ubnd", "Ủy ban nhân dân xã", "committee"),
    ("lai-chau/binh-lu/hdnd", "Hội đồng nhân dân xã", "council"),
    ("lai-chau/binh-lu/mttq", "Ủy ban MTTQ xã", "front"),
    (VILLAGE_NA_RI, "Bản Nà Ri", "village"),
    (VILLAGE_PHIENG_PHAT, "Bản Phiêng Phát", "village"),
];

/// The commune's people: (code, name).
pub const PEOPLE: &[(&str, &str)] = &[
    ("nguyen-tien-thinh", "Nguyễn Tiến Thịnh"),
    ("ta-thi-dung", "Tạ Thị Dung"),
    ("lo-thi-mai", "Lò Thị Mai"),
    ("hoang-van-nam", "Hoàng Văn Nam"),
    ("vang-a-sinh", "Vàng A Sinh"),
    ("dieu-thi-hoa", "Điêu Thị Hoa"),
    ("lo-van-pao", "Lò Văn Pao"),
    ("tao-van-khanh", "Tao Văn Khánh"),
];

/// Roles: (person, unit, role).
pub const ROLES: &[(&str, &str, &str)] = &[
    ("ta-thi-dung", COMMUNE, "quan-tri"),
    ("nguyen-tien-thinh", COMMUNE, "bi-thu"),
    ("ta-thi-dung", COMMUNE, "pho-bi-thu"),
    ("nguyen-tien-thinh", "lai-chau/binh-lu/bch", "uy-vien-bch"),
    ("ta-thi-dung", "lai-chau/binh-lu/bch", "uy-vien-bch"),
    ("lo-thi-mai", "lai-chau/binh-lu/bch", "uy-vien-bch"),
    ("hoang-van-nam", "lai-chau/binh-lu/bch", "uy-vien-bch"),
    ("vang-a-sinh", "lai-chau/binh-lu/bch", "uy-vien-bch"),
    (
        "lo-thi-mai",
        "lai-chau/binh-lu/ban-xay-dung-dang",
        "truong-ban",
    ),
    ("hoang-van-nam", "lai-chau/binh-lu/ubkt", "chu-nhiem-ubkt"),
    ("vang-a-sinh", "lai-chau/binh-lu/ubnd", "chu-tich"),
    (
        "dieu-thi-hoa",
        "lai-chau/binh-lu/van-phong",
        "chanh-van-phong",
    ),
    ("lo-van-pao", VILLAGE_NA_RI, "truong-ban"),
    ("lo-van-pao", VILLAGE_NA_RI, "can-bo"),
    ("tao-van-khanh", VILLAGE_PHIENG_PHAT, "truong-ban"),
];

/// One task of the program: (work, unit, lead unit, assignee, deadline as year, month, day).
pub type ProgramTask = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    (i32, u32, u32),
);

/// The action-program tasks named in the notice.
pub const PROGRAM: &[ProgramTask] = &[
    (
        "Phòng, chống dịch tả lợn châu Phi trên đàn vật nuôi",
        VILLAGE_NA_RI,
        VILLAGE_NA_RI,
        "lo-van-pao",
        (2025, 12, 31),
    ),
    (
        "Thu gom, xử lý triệt để rác thải sinh hoạt tại bản",
        VILLAGE_NA_RI,
        VILLAGE_NA_RI,
        "lo-van-pao",
        (2025, 12, 15),
    ),
    (
        "Thu gom, xử lý triệt để rác thải sinh hoạt tại bản",
        VILLAGE_PHIENG_PHAT,
        VILLAGE_PHIENG_PHAT,
        "tao-van-khanh",
        (2025, 12, 15),
    ),
    (
        "Hoàn thiện Chương trình hành động, bổ sung phụ lục nhiệm vụ",
        COMMUNE,
        "lai-chau/binh-lu/ban-xay-dung-dang",
        "lo-thi-mai",
        (2025, 10, 15),
    ),
    (
        "Xây dựng nghị quyết chuyên đề về 03 nhiệm vụ đột phá chiến lược",
        COMMUNE,
        "lai-chau/binh-lu/ubnd",
        "vang-a-sinh",
        (2025, 11, 30),
    ),
    (
        "Rà soát, củng cố các chi bộ bản còn hạn chế, yếu kém",
        COMMUNE,
        "lai-chau/binh-lu/ban-xay-dung-dang",
        "lo-thi-mai",
        (2025, 12, 31),
    ),
    (
        "Đôn đốc các chi bộ thực hiện nhiệm vụ kiểm tra, giám sát năm 2025",
        COMMUNE,
        "lai-chau/binh-lu/ubkt",
        "hoang-van-nam",
        (2025, 12, 31),
    ),
];

/// A deterministic UUID v7 for sample event `n` written at `ms`.
pub fn event_id(ms: u64, n: u64) -> EventId {
    let mut random = [0u8; 10];
    random[2..].copy_from_slice(&n.to_be_bytes());
    EventId(uuid::Builder::from_unix_timestamp_millis(ms, &random).into_uuid())
}

fn unit(code: &str) -> UnitId {
    // Invariant: sample codes are valid unit paths.
    UnitId::new(code).expect("valid sample unit")
}

fn person(code: &str) -> PersonId {
    // Invariant: sample codes are valid person codes.
    PersonId::new(code).expect("valid sample person")
}

/// A person at a node's desk: runs commands against the node's current state and appends what
/// they decide.
pub struct Desk<'a> {
    log: &'a dyn EventLog,
    key: &'a SigningKey,
    counter: u64,
}

impl<'a> Desk<'a> {
    /// A desk at the node that owns `log` and `key`.
    pub fn new(log: &'a dyn EventLog, key: &'a SigningKey) -> Desk<'a> {
        Desk {
            log,
            key,
            counter: 0,
        }
    }

    /// `actor` runs `command` at `now_ms`; the event is appended, signed with the actor's
    /// sample key once they have an account (see [`Desk::open_account`]). Returns its id.
    pub fn act(
        &mut self,
        actor: &str,
        now_ms: u64,
        command: Command,
    ) -> Result<EventId, StoryError> {
        let state = replay(self.log)?;
        let actor = person(actor);
        let key = person_signing_key(&actor);
        let public = signature::person_key(&key);
        let signs = match &command {
            Command::AddKey { key, .. } => *key == public,
            _ => state.registry.key_of(&actor) == Some(public),
        };
        self.counter += 1;
        let id = event_id(now_ms, self.counter);
        let draft =
            command::decide_signed(&state, &actor, signs.then_some(&key), id, now_ms, command)?;
        self.log.append(self.key, now_ms, vec![draft])?;
        Ok(id)
    }

    /// `admin` issues `who` a setup code at `unit` and `who` uses it at once to publish their
    /// sample key: from then on every desk signs what `who` does, and every node refuses what
    /// `who` did not sign.
    pub fn open_account(
        &mut self,
        admin: &str,
        who: &str,
        unit_code: &str,
        now_ms: u64,
    ) -> Result<(), StoryError> {
        let code = format!("SAMPLE-SETUP-{who}");
        let setup = signature::setup_key(&code);
        let setup_public = signature::person_key(&setup);
        self.act(
            admin,
            now_ms,
            Command::IssueSetup {
                person: person(who),
                setup: setup_public,
                expires_ms: now_ms + 7 * DAY_MS,
                unit: unit(unit_code),
            },
        )?;
        let key = signature::person_key(&person_signing_key(&person(who)));
        self.act(
            who,
            now_ms,
            Command::AddKey {
                key,
                setup: setup_public,
                proof: signature::setup_proof(&setup, &person(who), &key).to_vec(),
                sealed: Vec::new(),
                unit: unit(unit_code),
            },
        )?;
        Ok(())
    }
}

/// The signing key of a sample person: derived from their code, so that every desk at every
/// node signs for them alike (a real person's key is random and sealed under their passphrase).
pub fn person_signing_key(who: &PersonId) -> SigningKey {
    SigningKey::from_bytes(&blake3::derive_key(
        "nhip sample person key 2026-12",
        who.as_str().as_bytes(),
    ))
}

/// Writes the commune's registry: units, people, roles, and its villages' nodes.
pub fn write_registry(
    desk: &mut Desk<'_>,
    now_ms: u64,
    villages: &[(nhip_engine::NodeId, &str)],
) -> Result<(), StoryError> {
    let admin = "ta-thi-dung";
    // The first administrator of the commune's tree appoints herself.
    desk.act(
        admin,
        now_ms,
        Command::AssignRole {
            person: person(admin),
            unit: unit(COMMUNE),
            role: "quan-tri".into(),
        },
    )?;
    for (path, name, kind) in UNITS {
        desk.act(
            admin,
            now_ms,
            Command::DefineUnit {
                unit: unit(path),
                name: (*name).into(),
                kind: (*kind).into(),
            },
        )?;
    }
    for (code, name) in PEOPLE {
        desk.act(
            admin,
            now_ms,
            Command::RegisterPerson {
                person: person(code),
                name: (*name).into(),
                unit: unit(COMMUNE),
            },
        )?;
    }
    for (code, path, role) in ROLES.iter().skip(1) {
        desk.act(
            admin,
            now_ms,
            Command::AssignRole {
                person: person(code),
                unit: unit(path),
                role: (*role).into(),
            },
        )?;
    }
    for (node, path) in villages {
        desk.act(
            admin,
            now_ms,
            Command::EnrollNode {
                node: *node,
                unit: unit(path),
            },
        )?;
    }
    Ok(())
}

/// Writes the action program (one task per entry of [`PROGRAM`]); returns the tasks' ids.
pub fn write_program(desk: &mut Desk<'_>, now_ms: u64) -> Result<Vec<EventId>, StoryError> {
    PROGRAM
        .iter()
        .map(|(title, at, lead, assignee, (year, month, day))| {
            desk.act(
                "ta-thi-dung",
                now_ms,
                Command::CreateItem {
                    workflow: "task".into(),
                    unit: unit(at),
                    title: (*title).into(),
                    description: String::new(),
                    lead_unit: Some(unit(lead)),
                    coordinating: Vec::new(),
                    assignee: Some(person(assignee)),
                    deadline: Date::from_ymd(*year, *month, *day),
                    parent: None,
                    indicator: None,
                },
            )
        })
        .collect()
}

/// What the story made, for the example and tests to look at.
pub struct Story {
    /// The program's task ids, in [`PROGRAM`] order.
    pub tasks: Vec<EventId>,
    /// The action-program document adopted by the executive committee.
    pub document: EventId,
}

/// The story the example and the fixture share: the commune registers its people and records
/// its program; the village of Nà Ri copies it and works offline for a week while the commune
/// acts on the same tasks; the village syncs up. The waste-collection task ends in a conflict:
/// the village completed it while the commune cancelled it.
pub fn offline_story(
    commune: &dyn EventLog,
    commune_key: &SigningKey,
    village: &dyn EventLog,
    village_key: &SigningKey,
) -> Result<Story, StoryError> {
    let t0 = CONFERENCE_DAY_MS;
    let mut at_commune = Desk::new(commune, commune_key);
    write_registry(&mut at_commune, t0, &[(village.node(), VILLAGE_NA_RI)])?;
    let tasks = write_program(&mut at_commune, t0 + 60_000)?;

    // The action program is adopted by the executive committee's vote.
    let document = at_commune.act(
        "lo-thi-mai",
        t0 + 120_000,
        Command::CreateItem {
            workflow: "document".into(),
            unit: unit("lai-chau/binh-lu/bch"),
            title: "Chương trình hành động thực hiện Nghị quyết Đại hội Đảng bộ xã lần thứ I"
                .into(),
            description: String::new(),
            lead_unit: Some(unit("lai-chau/binh-lu/ban-xay-dung-dang")),
            coordinating: Vec::new(),
            assignee: Some(person("lo-thi-mai")),
            deadline: None,
            parent: None,
            indicator: None,
        },
    )?;
    for (who, transition) in [("lo-thi-mai", "circulate"), ("lo-thi-mai", "revise")] {
        at_commune.act(
            who,
            t0 + 180_000,
            Command::Fire {
                item: document,
                transition: transition.into(),
                note: String::new(),
            },
        )?;
    }
    for voter in ["nguyen-tien-thinh", "ta-thi-dung", "hoang-van-nam"] {
        at_commune.act(
            voter,
            t0 + 240_000,
            Command::Vote {
                item: document,
                transition: Some("adopt".into()),
                approve: true,
                note: "Nhất trí thông qua".into(),
            },
        )?;
    }

    // The village takes the program down while it has a link.
    copy_all(commune, village, t0 + 300_000)?;
    let mut at_village = Desk::new(village, village_key);

    // Offline for a week: the village reports on swine fever and finishes waste collection.
    let day2 = t0 + 2 * DAY_MS;
    let fire =
        |desk: &mut Desk<'_>, who: &str, at: u64, item: EventId, transition: &str, note: &str| {
            desk.act(
                who,
                at,
                Command::Fire {
                    item,
                    transition: transition.into(),
                    note: note.into(),
                },
            )
        };
    fire(
        &mut at_village,
        "lo-van-pao",
        day2,
        tasks[0],
        "start",
        "Bắt đầu",
    )?;
    at_village.act(
        "lo-van-pao",
        day2,
        Command::Progress {
            item: tasks[0],
            percent: 60,
            note: "Đã tiêu độc khử trùng 42 chuồng trại".into(),
        },
    )?;
    fire(
        &mut at_village,
        "lo-van-pao",
        day2,
        tasks[1],
        "start",
        "Bắt đầu",
    )?;
    fire(
        &mut at_village,
        "lo-van-pao",
        day2 + 60_000,
        tasks[1],
        "complete",
        "Cả bản đã có điểm tập kết rác",
    )?;

    // Meanwhile the commune cancels the same task (merged into another project) and comments.
    let day3 = t0 + 3 * DAY_MS;
    fire(
        &mut at_commune,
        "nguyen-tien-thinh",
        day3,
        tasks[1],
        "cancel",
        "Gộp vào đề án vệ sinh môi trường",
    )?;
    at_commune.act(
        "nguyen-tien-thinh",
        day3,
        Command::Comment {
            item: tasks[0],
            text: "Đề nghị báo cáo số hộ đã tiêm phòng".into(),
        },
    )?;

    // The link comes back: the village syncs up, then down.
    let day7 = t0 + 7 * DAY_MS;
    copy_all(village, commune, day7)?;
    copy_all(commune, village, day7)?;
    Ok(Story { tasks, document })
}

/// Copies every event `from` holds that `to` lacks, in sealed batches.
pub fn copy_all(from: &dyn EventLog, to: &dyn EventLog, now_ms: u64) -> Result<u64, StoryError> {
    let mut copied = 0;
    for (chain, head) in from.heads()? {
        loop {
            let held = to.heads()?.get(&chain).map_or(Seq(0), |head| head.seq);
            if held >= head.seq {
                break;
            }
            let Some(batch) = from.batch_from(&chain, held.next(), 1024, usize::MAX)? else {
                break;
            };
            let report = to.ingest(now_ms, &batch)?;
            if let Some(refusal) = report.refused.first() {
                return Err(StoryError::Refused(refusal.reason.to_string()));
            }
            copied += report.inserted.len() as u64;
        }
    }
    Ok(copied)
}

/// What can go wrong while writing the sample story.
#[derive(Debug, thiserror::Error)]
pub enum StoryError {
    /// A command was refused.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// An append failed.
    #[error(transparent)]
    Append(#[from] nhip_engine::AppendError),
    /// An ingest failed.
    #[error(transparent)]
    Ingest(#[from] nhip_engine::IngestError),
    /// A read failed.
    #[error(transparent)]
    Store(#[from] nhip_engine::StoreError),
    /// A batch was refused.
    #[error("batch refused: {0}")]
    Refused(String),
}
