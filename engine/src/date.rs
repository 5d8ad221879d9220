//! Calendar dates (deadlines are days, not instants), in Vietnam's time zone (UTC+7, no
//! daylight saving). Parsing accepts `2025-12-31` and `31/12/2025`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Milliseconds Vietnam's clocks run ahead of UTC.
const VIETNAM_OFFSET_MS: i64 = 7 * 60 * 60 * 1000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A day, as days since 1970-01-01.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct Date(pub i32);

/// Why text is not a date.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum DateError {
    /// Not one of the accepted shapes.
    #[error("{0:?} is not a date; write 2025-12-31 or 31/12/2025")]
    Shape(String),
    /// The shape is right but the day does not exist.
    #[error("{0:?} is not a day of the calendar")]
    NoSuchDay(String),
}

impl Date {
    /// The date of `year-month-day`, if it exists (years 1..=9999).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) || day == 0 {
            return None;
        }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days_in_month = match month {
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => 31,
        };
        if day > days_in_month {
            return None;
        }
        // Days from civil (Howard Hinnant's algorithm).
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = month as i32;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Date(era * 146_097 + doe - 719_468))
    }

    /// `(year, month, day)`.
    pub fn to_ymd(self) -> (i32, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i32::from(month <= 2);
        (year, month, day)
    }

    /// The day in Vietnam at `unix_ms`.
    pub fn from_unix_ms(unix_ms: u64) -> Date {
        let local = i64::try_from(unix_ms).unwrap_or(i64::MAX) + VIETNAM_OFFSET_MS;
        Date(i32::try_from(local.div_euclid(DAY_MS)).unwrap_or(i32::MAX))
    }

    /// This date plus `days` (negative to go back).
    pub fn plus_days(self, days: i32) -> Date {
        Date(self.0.saturating_add(days))
    }

    /// Days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: Date) -> i32 {
        later.0.saturating_sub(self.0)
    }

    /// Parses `2025-12-31` or `31/12/2025`.
    pub fn parse(text: &str) -> Result<Date, DateError> {
        let text = text.trim();
        let shape = || DateError::Shape(text.to_owned());
        let numbers = |parts: Vec<&str>| -> Result<Vec<u32>, DateError> {
            parts
                .iter()
                .map(|part| {
                    if part.is_empty()
                        || part.len() > 4
                        || !part.bytes().all(|b| b.is_ascii_digit())
                    {
                        Err(shape())
                    } else {
                        part.parse::<u32>().map_err(|_| shape())
                    }
                })
                .collect()
        };
        let (year, month, day) = if text.contains('-') {
            let parts = numbers(text.split('-').collect())?;
            match parts[..] {
                [year, month, day] if text.split('-').next().is_some_and(|y| y.len() == 4) => {
                    (year, month, day)
                }
                _ => return Err(shape()),
            }
        } else if text.contains('/') {
            let parts = numbers(text.split('/').collect())?;
            match parts[..] {
                [day, month, year] if text.rsplit('/').next().is_some_and(|y| y.len() == 4) => {
                    (year, month, day)
                }
                _ => return Err(shape()),
            }
        } else {
            return Err(shape());
        };
        let year = i32::try_from(year).map_err(|_| shape())?;
        Date::from_ymd(year, month, day).ok_or_else(|| DateError::NoSuchDay(text.to_owned()))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = self.to_ymd();
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        assert_eq!(Date::from_ymd(1970, 1, 1), Some(Date(0)));
        assert_eq!(
            Date::from_ymd(2025, 9, 23).unwrap().to_string(),
            "2025-09-23"
        );
        for days in [-1000, 0, 1, 59, 60, 365, 10_957, 20_354, 2_932_896] {
            let (y, m, d) = Date(days).to_ymd();
            assert_eq!(Date::from_ymd(y, m, d), Some(Date(days)), "{days}");
        }
        assert_eq!(
            Date::from_ymd(2024, 2, 29)
                .unwrap()
                .plus_days(1)
                .to_string(),
            "2024-03-01"
        );
        assert_eq!(Date::from_ymd(2025, 2, 29), None);
    }

    #[test]
    fn parses_both_shapes() {
        let expected = Date::from_ymd(2025, 12, 31).unwrap();
        assert_eq!(Date::parse("2025-12-31"), Ok(expected));
        assert_eq!(Date::parse("31/12/2025"), Ok(expected));
        assert_eq!(Date::parse(" 31/12/2025 "), Ok(expected));
        assert!(matches!(
            Date::parse("31/02/2025"),
            Err(DateError::NoSuchDay(_))
        ));
        for bad in [
            "",
            "2025/12/31",
            "12-31-2025",
            "31.12.2025",
            "hôm nay",
            "2025-1x-01",
        ] {
            assert!(
                matches!(Date::parse(bad), Err(DateError::Shape(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn vietnam_days_start_at_utc_17h() {
        // 2025-09-22 17:00 UTC is 2025-09-23 00:00 in Hà Nội.
        let ms = 1_758_560_400_000;
        assert_eq!(Date::from_unix_ms(ms).to_string(), "2025-09-23");
        assert_eq!(Date::from_unix_ms(ms - 1).to_string(), "2025-09-22");
    }
}
