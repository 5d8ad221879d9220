//! The period a report covers: a month, a quarter, a half or a year, and its due date.

use serde::Serialize;

use super::as_text;
use crate::date::Date;
use crate::limits::{REPORT_DUE_DAYS, REPORT_PERIOD_DAYS_MAX};

/// What kind of period a report covers.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub enum PeriodKind {
    /// One month (`2025-09`).
    Month,
    /// A quarter (`Q3-2025`).
    Quarter,
    /// The first nine months of a year (`9T-2025`).
    NineMonths,
    /// A whole year (`2025`).
    Year,
    /// Any two dates (`2025-07-01..2025-09-30`).
    Range,
}

/// A reporting period: its kind, the number in its year (month or quarter) and its first and
/// last day, both included.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
pub struct Period {
    /// Its kind.
    pub kind: PeriodKind,
    /// The year (of the end, for a range).
    pub year: i32,
    /// The month (1–12) or quarter (1–4); 0 otherwise.
    pub number: u32,
    /// The first day.
    #[serde(serialize_with = "as_text::date")]
    pub start: Date,
    /// The last day.
    #[serde(serialize_with = "as_text::date")]
    pub end: Date,
}

/// Why text is not a period.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum PeriodError {
    /// None of the accepted shapes.
    #[error(
        "{0:?} is not a period; write 2025-09, Q3-2025, 9T-2025, 2025 or 2025-07-01..2025-09-30"
    )]
    Shape(String),
    /// A range whose end comes before its start.
    #[error("the period ends ({end}) before it starts ({start})")]
    EndsBeforeStart {
        /// The first day given.
        start: Date,
        /// The last day given.
        end: Date,
    },
    /// A range longer than the limit.
    #[error("the period is longer than {REPORT_PERIOD_DAYS_MAX} days")]
    TooLong,
}

impl Period {
    /// One month.
    pub fn month(year: i32, month: u32) -> Option<Period> {
        let start = Date::from_ymd(year, month, 1)?;
        let next = if month == 12 {
            Date::from_ymd(year + 1, 1, 1)?
        } else {
            Date::from_ymd(year, month + 1, 1)?
        };
        Some(Period {
            kind: PeriodKind::Month,
            year,
            number: month,
            start,
            end: next.plus_days(-1),
        })
    }

    /// One quarter (1–4).
    pub fn quarter(year: i32, quarter: u32) -> Option<Period> {
        if !(1..=4).contains(&quarter) {
            return None;
        }
        let first = Period::month(year, quarter * 3 - 2)?;
        let last = Period::month(year, quarter * 3)?;
        Some(Period {
            kind: PeriodKind::Quarter,
            year,
            number: quarter,
            start: first.start,
            end: last.end,
        })
    }

    /// The quarter that holds `date`.
    pub fn quarter_of(date: Date) -> Period {
        let (year, month, _) = date.to_ymd();
        // Invariant: a month of a real date makes a real quarter.
        Period::quarter(year, (month - 1) / 3 + 1).expect("a date's quarter exists")
    }

    /// Parses `2025-09`, `Q3-2025`, `9T-2025`, `2025` or `2025-07-01..2025-09-30`.
    pub fn parse(text: &str) -> Result<Period, PeriodError> {
        let text = text.trim();
        let shape = || PeriodError::Shape(text.to_owned());
        let year_of = |digits: &str| -> Result<i32, PeriodError> {
            if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()) {
                digits.parse().map_err(|_| shape())
            } else {
                Err(shape())
            }
        };
        if let Some((from, to)) = text.split_once("..") {
            let start = Date::parse(from).map_err(|_| shape())?;
            let end = Date::parse(to).map_err(|_| shape())?;
            if end < start {
                return Err(PeriodError::EndsBeforeStart { start, end });
            }
            if start.days_until(end) >= REPORT_PERIOD_DAYS_MAX {
                return Err(PeriodError::TooLong);
            }
            return Ok(Period {
                kind: PeriodKind::Range,
                year: end.to_ymd().0,
                number: 0,
                start,
                end,
            });
        }
        let upper = text.to_uppercase();
        if let Some(rest) = upper.strip_prefix('Q') {
            let (quarter, year) = rest.split_once('-').ok_or_else(shape)?;
            let quarter: u32 = quarter.parse().map_err(|_| shape())?;
            return Period::quarter(year_of(year)?, quarter).ok_or_else(shape);
        }
        if let Some(year) = upper.strip_prefix("9T-") {
            let year = year_of(year)?;
            let start = Date::from_ymd(year, 1, 1).ok_or_else(shape)?;
            let end = Date::from_ymd(year, 9, 30).ok_or_else(shape)?;
            return Ok(Period {
                kind: PeriodKind::NineMonths,
                year,
                number: 0,
                start,
                end,
            });
        }
        if let Some((year, month)) = text.split_once('-') {
            let month: u32 = if month.len() <= 2 && month.bytes().all(|b| b.is_ascii_digit()) {
                month.parse().map_err(|_| shape())?
            } else {
                return Err(shape());
            };
            return Period::month(year_of(year)?, month).ok_or_else(shape);
        }
        let year = year_of(text)?;
        Ok(Period {
            kind: PeriodKind::Year,
            year,
            number: 0,
            start: Date::from_ymd(year, 1, 1).ok_or_else(shape)?,
            end: Date::from_ymd(year, 12, 31).ok_or_else(shape)?,
        })
    }

    /// The code [`Period::parse`] reads back: `Q3-2025` and so on.
    pub fn code(&self) -> String {
        match self.kind {
            PeriodKind::Month => format!("{:04}-{:02}", self.year, self.number),
            PeriodKind::Quarter => format!("Q{}-{:04}", self.number, self.year),
            PeriodKind::NineMonths => format!("9T-{:04}", self.year),
            PeriodKind::Year => format!("{:04}", self.year),
            PeriodKind::Range => format!("{}..{}", self.start, self.end),
        }
    }

    /// Whether `date` falls in the period.
    pub fn contains(&self, date: Date) -> bool {
        self.start <= date && date <= self.end
    }

    /// The day a report for this period is due at the level above.
    pub fn due(&self) -> Date {
        self.end.plus_days(REPORT_DUE_DAYS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn periods_parse_and_print_back() {
        for (text, start, end) in [
            ("2025-09", "2025-09-01", "2025-09-30"),
            ("2024-02", "2024-02-01", "2024-02-29"),
            ("Q3-2025", "2025-07-01", "2025-09-30"),
            ("q4-2025", "2025-10-01", "2025-12-31"),
            ("9T-2025", "2025-01-01", "2025-09-30"),
            ("2025", "2025-01-01", "2025-12-31"),
            ("2025-07-01..2025-09-30", "2025-07-01", "2025-09-30"),
            ("01/07/2025..15/07/2025", "2025-07-01", "2025-07-15"),
        ] {
            let period = Period::parse(text).unwrap();
            assert_eq!((period.start, period.end), (day(start), day(end)), "{text}");
            assert_eq!(Period::parse(&period.code()), Ok(period), "{text}");
        }
        assert_eq!(
            Period::quarter_of(day("2025-11-05")).code(),
            "Q4-2025".to_owned()
        );
        assert_eq!(Period::parse("Q3-2025").unwrap().due(), day("2025-10-05"));
    }

    #[test]
    fn bad_periods_say_why() {
        assert!(matches!(
            Period::parse("2025-09-30..2025-07-01"),
            Err(PeriodError::EndsBeforeStart { .. })
        ));
        for bad in ["", "Q5-2025", "2025-13", "quý 3", "25", "9T-25", "Q3-2025x"] {
            assert!(
                matches!(Period::parse(bad), Err(PeriodError::Shape(_))),
                "{bad}"
            );
        }
        assert_eq!(
            Period::parse("2000-01-01..2025-01-01"),
            Err(PeriodError::TooLong)
        );
    }
}
