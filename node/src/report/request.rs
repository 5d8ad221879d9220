//! A report as a person asks for it — at the command line or in the office app: the period,
//! the layout and what went wrong, read and worded once for both.

use nhip_engine::report::{Period, PeriodError, ReportError};

use super::docx::Layout;
use super::{MakeError, vn};
use crate::texts::Texts;

/// The period a person wrote (`2025-09`, `Q3-2025`, `9T-2025`, `2025`, `2025-07-01..2025-09-30`),
/// or why it is not one, in their words.
pub fn period(texts: Texts, text: &str) -> Result<Period, String> {
    Period::parse(text).map_err(|error| match error {
        PeriodError::Shape(_) => texts.bad_period(text),
        PeriodError::EndsBeforeStart { start, end } => {
            texts.period_ends_before_start(&vn::date(start), &vn::date(end))
        }
        PeriodError::TooLong => texts.period_too_long(),
    })
}

/// The document's layout: `state` (Decree 30/2020) or `party`.
pub fn layout(texts: Texts, text: &str) -> Result<Layout, String> {
    match text {
        "state" | "" => Ok(Layout::State),
        "party" => Ok(Layout::Party),
        other => Err(texts.bad_layout(other)),
    }
}

/// Why a report could not be made, in the reader's words.
pub fn failure(texts: Texts, error: &MakeError) -> String {
    match error {
        MakeError::Report(error) => match error {
            ReportError::UnknownUnit(unit) => texts.report_unknown_unit(unit.as_str()),
            ReportError::AsOfInFuture { as_of, today } => {
                texts.report_as_of_future(&vn::date(*as_of), &vn::date(*today))
            }
            ReportError::PeriodAfterAsOf { start, as_of } => {
                texts.report_period_after_as_of(&vn::date(*start), &vn::date(*as_of))
            }
            ReportError::NothingToReport(unit) => texts.report_nothing(unit.as_str()),
        },
        MakeError::Store(error) => error.to_string(),
        MakeError::Render(detail) => detail.clone(),
    }
}
