//! The body kinds this version knows, and their schemas.
//!
//! A body travels as `(kind, version, bytes)` inside the envelope ([`Body`]). Decoding a body
//! never fails replay: a kind or version this version does not know is [`Decoded::Unknown`]
//! (kept, forwarded and counted), and bytes that do not match a known schema are
//! [`Decoded::Malformed`] (kept and counted).

use serde::{Deserialize, Serialize};

use crate::event::Body;
use crate::ids::{EventId, PersonId, UnitId};

/// Kind names, one constant each.
pub mod kind {
    /// A task is created; the event's id becomes the task's id.
    pub const TASK_CREATED: &str = "task.created";
    /// Progress reported on a task.
    pub const TASK_PROGRESSED: &str = "task.progressed";
    /// A task is completed.
    pub const TASK_COMPLETED: &str = "task.completed";
    /// A task is cancelled.
    pub const TASK_CANCELLED: &str = "task.cancelled";
    /// A comment on an item.
    pub const COMMENTED: &str = "item.commented";
}

/// The schema version this version writes for every kind above.
pub const BODY_VERSION: u16 = 1;

/// A calendar date as `yyyymmdd` (deadlines are days, not instants).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct Date(pub u32);

impl Date {
    /// A date from its parts, if it exists in the Gregorian calendar.
    pub fn new(year: u32, month: u32, day: u32) -> Option<Date> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        if !(1..=9999).contains(&year) || day == 0 || day > days_in_month {
            return None;
        }
        Some(Date(year * 10_000 + month * 100 + day))
    }
}

/// A new task of an action program.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct TaskCreated {
    /// The work (rõ việc).
    pub title: String,
    /// The lead unit (đơn vị chủ trì).
    pub lead_unit: UnitId,
    /// The person responsible (rõ người), if already known.
    pub assignee: Option<PersonId>,
    /// The deadline (rõ thời gian).
    pub deadline: Option<Date>,
}

/// Progress on a task.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct TaskProgressed {
    /// The task.
    pub item: EventId,
    /// Percent done, 0 to 100.
    pub percent: u8,
    /// What was done.
    pub note: String,
}

/// A task finished.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct TaskCompleted {
    /// The task.
    pub item: EventId,
}

/// A task cancelled.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct TaskCancelled {
    /// The task.
    pub item: EventId,
    /// Why.
    pub reason: String,
}

/// A comment on an item.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Commented {
    /// The item.
    pub item: EventId,
    /// The comment.
    pub text: String,
}

/// A body of a kind this version knows.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Known {
    /// See [`TaskCreated`].
    TaskCreated(TaskCreated),
    /// See [`TaskProgressed`].
    TaskProgressed(TaskProgressed),
    /// See [`TaskCompleted`].
    TaskCompleted(TaskCompleted),
    /// See [`TaskCancelled`].
    TaskCancelled(TaskCancelled),
    /// See [`Commented`].
    Commented(Commented),
}

/// What a body turned out to be.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Decoded {
    /// A known kind.
    Known(Known),
    /// A kind (or a version of a kind) this version does not know.
    Unknown,
    /// A known kind whose bytes do not match its schema.
    Malformed(String),
}

fn encode<T: Serialize>(kind: &str, value: &T) -> Body {
    Body {
        kind: kind.to_owned(),
        version: BODY_VERSION,
        // Invariant: body structs hold only strings, numbers and ids, which always encode.
        data: rmp_serde::to_vec(value).expect("a body always encodes"),
    }
}

fn decode<T: for<'de> Deserialize<'de>>(body: &Body, wrap: impl FnOnce(T) -> Known) -> Decoded {
    match rmp_serde::from_slice(&body.data) {
        Ok(value) => Decoded::Known(wrap(value)),
        Err(error) => Decoded::Malformed(error.to_string()),
    }
}

impl Known {
    /// The body this value encodes to.
    pub fn to_body(&self) -> Body {
        match self {
            Known::TaskCreated(value) => encode(kind::TASK_CREATED, value),
            Known::TaskProgressed(value) => encode(kind::TASK_PROGRESSED, value),
            Known::TaskCompleted(value) => encode(kind::TASK_COMPLETED, value),
            Known::TaskCancelled(value) => encode(kind::TASK_CANCELLED, value),
            Known::Commented(value) => encode(kind::COMMENTED, value),
        }
    }

    /// Reads a body, telling known, unknown and malformed apart.
    pub fn from_body(body: &Body) -> Decoded {
        if body.version != BODY_VERSION {
            return Decoded::Unknown;
        }
        match body.kind.as_str() {
            kind::TASK_CREATED => decode(body, Known::TaskCreated),
            kind::TASK_PROGRESSED => decode(body, Known::TaskProgressed),
            kind::TASK_COMPLETED => decode(body, Known::TaskCompleted),
            kind::TASK_CANCELLED => decode(body, Known::TaskCancelled),
            kind::COMMENTED => decode(body, Known::Commented),
            _ => Decoded::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_bodies_round_trip() {
        let created = Known::TaskCreated(TaskCreated {
            title: "Phòng chống dịch tả lợn châu Phi".into(),
            lead_unit: UnitId::new("xa-binh-lu/ubnd").unwrap(),
            assignee: None,
            deadline: Date::new(2025, 12, 31),
        });
        assert_eq!(
            Known::from_body(&created.to_body()),
            Decoded::Known(created)
        );
    }

    #[test]
    fn unknown_kinds_and_versions_are_unknown_not_errors() {
        let newer = Body {
            kind: "budget.revised".into(),
            version: 1,
            data: vec![1, 2, 3],
        };
        assert_eq!(Known::from_body(&newer), Decoded::Unknown);
        let newer_version = Body {
            kind: kind::TASK_COMPLETED.into(),
            version: BODY_VERSION + 1,
            data: vec![],
        };
        assert_eq!(Known::from_body(&newer_version), Decoded::Unknown);
        let garbage = Body {
            kind: kind::TASK_COMPLETED.into(),
            version: BODY_VERSION,
            data: vec![0xc1],
        };
        assert!(matches!(Known::from_body(&garbage), Decoded::Malformed(_)));
    }

    #[test]
    fn dates_are_checked() {
        assert_eq!(Date::new(2025, 12, 31), Some(Date(20251231)));
        assert_eq!(Date::new(2024, 2, 29), Some(Date(20240229)));
        assert_eq!(Date::new(2025, 2, 29), None);
        assert_eq!(Date::new(2025, 13, 1), None);
    }
}
