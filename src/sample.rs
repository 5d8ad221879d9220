//! Sample data from the 2nd conference notice of Bình Lư commune (23 Sep 2025), used by the
//! examples, the fixture test and the benchmarks. Deterministic: the same calls give the same
//! events, byte for byte.

use nhip_engine::body::{Date, Known, TaskCreated};
use nhip_engine::{Body, Draft, EventId, PersonId, UnitId};

/// 23 Sep 2025 00:00 UTC+7, the day of the conference, in Unix milliseconds.
pub const CONFERENCE_DAY_MS: u64 = 1_758_560_400_000;

/// The action-program tasks named in the notice: (work, lead unit, deadline).
pub const PROGRAM: &[(&str, &str, (u32, u32, u32))] = &[
    (
        "Phòng, chống dịch tả lợn châu Phi trên đàn vật nuôi",
        "xa-binh-lu/ubnd",
        (2025, 12, 31),
    ),
    (
        "Thu gom, xử lý triệt để rác thải sinh hoạt tại các bản",
        "xa-binh-lu/ubnd",
        (2025, 12, 15),
    ),
    (
        "Hoàn thiện Chương trình hành động thực hiện Nghị quyết Đại hội, kèm phụ lục nhiệm vụ",
        "xa-binh-lu/ban-xay-dung-dang",
        (2025, 10, 15),
    ),
    (
        "Xây dựng nghị quyết chuyên đề về 03 nhiệm vụ đột phá chiến lược",
        "xa-binh-lu/dang-uy-ubnd",
        (2025, 11, 30),
    ),
    (
        "Phối hợp khởi công hai dự án trong năm 2025",
        "xa-binh-lu/ubnd",
        (2025, 12, 31),
    ),
    (
        "Hoàn thiện Dự toán ngân sách Đảng năm 2026 theo quy trình",
        "xa-binh-lu/van-phong-dang-uy",
        (2025, 10, 31),
    ),
    (
        "Rà soát, củng cố các chi bộ bản còn hạn chế, yếu kém",
        "xa-binh-lu/ban-xay-dung-dang",
        (2025, 12, 31),
    ),
    (
        "Kiểm tra, giám sát, đôn đốc các chi bộ thực hiện nhiệm vụ kiểm tra năm 2025",
        "xa-binh-lu/ubkt",
        (2025, 12, 31),
    ),
    (
        "Giám sát, khảo sát việc triển khai Nghị quyết Đại hội",
        "xa-binh-lu/hdnd",
        (2025, 12, 31),
    ),
    (
        "Tổ chức thành công Đại hội MTTQ và các đoàn thể nhiệm kỳ 2025-2030",
        "xa-binh-lu/mttq",
        (2025, 12, 31),
    ),
];

/// A deterministic UUID v7 for sample event `n` written at `ms`.
pub fn event_id(ms: u64, n: u64) -> EventId {
    let mut random = [0u8; 10];
    random[2..].copy_from_slice(&n.to_be_bytes());
    EventId(uuid::Builder::from_unix_timestamp_millis(ms, &random).into_uuid())
}

/// A draft of any body by `actor` in `unit`.
pub fn draft(id: EventId, actor: &str, unit: &str, seen: Option<EventId>, body: Body) -> Draft {
    Draft {
        id,
        // Invariant: sample codes are valid names.
        actor: PersonId::new(actor).expect("valid sample person"),
        unit: UnitId::new(unit).expect("valid sample unit"),
        seen,
        body,
    }
}

/// The program's tasks as drafts recorded by the commune's deputy secretary.
pub fn program_drafts(ms: u64) -> Vec<Draft> {
    PROGRAM
        .iter()
        .enumerate()
        .map(|(n, (title, lead, (year, month, day)))| {
            let body = Known::TaskCreated(TaskCreated {
                title: (*title).to_owned(),
                lead_unit: UnitId::new(lead).expect("valid sample unit"),
                assignee: None,
                deadline: Date::new(*year, *month, *day),
            })
            .to_body();
            draft(
                event_id(ms, n as u64),
                "ta-thi-dung",
                "xa-binh-lu",
                None,
                body,
            )
        })
        .collect()
}

/// The story the example and the fixture share: the commune records its program, a village
/// copies it and goes offline, both sides act on the same tasks, and the village syncs up.
///
/// Returns the ids of the program's tasks.
pub fn offline_story(
    commune: &dyn nhip_engine::EventLog,
    commune_key: &ed25519_dalek::SigningKey,
    village: &dyn nhip_engine::EventLog,
    village_key: &ed25519_dalek::SigningKey,
) -> Result<Vec<EventId>, StoryError> {
    use nhip_engine::Seq;
    use nhip_engine::body::{Commented, TaskCancelled, TaskCompleted, TaskProgressed};

    let day = 24 * 60 * 60 * 1000;
    let t0 = CONFERENCE_DAY_MS;
    let program = commune.append(commune_key, t0, program_drafts(t0))?;
    let tasks: Vec<EventId> = program.iter().map(|stored| stored.event.id).collect();

    // The village (bản Nà Ri) takes the program down while it has a link.
    copy_all(commune, village, t0 + 60_000)?;

    // Offline for a week: the village reports on swine fever and waste collection.
    let at = t0 + 2 * day;
    village.append(
        village_key,
        at,
        vec![
            draft(
                event_id(at, 1),
                "lo-van-pao",
                "xa-binh-lu/ban-na-ri",
                Some(tasks[0]),
                Known::TaskProgressed(TaskProgressed {
                    item: tasks[0],
                    percent: 60,
                    note: "Đã tiêu độc khử trùng 42 chuồng trại".into(),
                })
                .to_body(),
            ),
            draft(
                event_id(at, 2),
                "lo-van-pao",
                "xa-binh-lu/ban-na-ri",
                Some(tasks[1]),
                Known::TaskCompleted(TaskCompleted { item: tasks[1] }).to_body(),
            ),
        ],
    )?;
    // Meanwhile the commune cancels the waste task (it is merged into another) and comments.
    let at = t0 + 3 * day;
    commune.append(
        commune_key,
        at,
        vec![
            draft(
                event_id(at, 1),
                "ta-thi-dung",
                "xa-binh-lu",
                Some(tasks[1]),
                Known::TaskCancelled(TaskCancelled {
                    item: tasks[1],
                    reason: "Gộp vào đề án vệ sinh môi trường".into(),
                })
                .to_body(),
            ),
            draft(
                event_id(at, 2),
                "nguyen-tien-thinh",
                "xa-binh-lu",
                Some(tasks[0]),
                Known::Commented(Commented {
                    item: tasks[0],
                    text: "Đề nghị báo cáo số hộ đã tiêm phòng".into(),
                })
                .to_body(),
            ),
        ],
    )?;
    // The link comes back: the village syncs up, then down.
    let at = t0 + 7 * day;
    copy_all(village, commune, at)?;
    copy_all(commune, village, at)?;
    let village_chain = nhip_engine::ChainId {
        origin: village.node(),
        unit: UnitId::new("xa-binh-lu/ban-na-ri").expect("valid sample unit"),
    };
    debug_assert_eq!(
        commune.heads()?.get(&village_chain).map(|head| head.seq),
        Some(Seq(2))
    );
    Ok(tasks)
}

/// Copies every event `from` holds that `to` lacks, in sealed batches.
pub fn copy_all(
    from: &dyn nhip_engine::EventLog,
    to: &dyn nhip_engine::EventLog,
    now_ms: u64,
) -> Result<u64, StoryError> {
    use nhip_engine::Seq;
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
