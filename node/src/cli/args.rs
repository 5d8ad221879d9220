//! Turning what a person typed into the engine's values: unit and person codes, dates and item
//! ids given in part.

use nhip_engine::state::State;
use nhip_engine::{Date, EventId, PersonId, UnitId};

use super::output::{ExitCode, Failure, fail};
use crate::text_search::normalize;
use crate::texts::Texts;

/// A unit path as typed (any Unicode normal form).
pub fn unit(texts: Texts, text: &str) -> Result<UnitId, Failure> {
    UnitId::new(&normalize(text))
        .map_err(|error| fail(ExitCode::Refused, texts.bad_code(text, &error.to_string())))
}

/// A person code as typed.
pub fn person(texts: Texts, text: &str) -> Result<PersonId, Failure> {
    PersonId::new(&normalize(text))
        .map_err(|error| fail(ExitCode::Refused, texts.bad_code(text, &error.to_string())))
}

/// A date, `2025-12-31` or `31/12/2025`.
pub fn date(texts: Texts, text: &str) -> Result<Date, Failure> {
    Date::parse(text).map_err(|_| fail(ExitCode::Refused, texts.bad_date(text)))
}

/// Whether `id` is, starts with, or ends with `wanted` (hex digits, dashes ignored).
pub fn id_matches(id: &EventId, wanted: &str) -> bool {
    let wanted = wanted.trim().to_lowercase().replace('-', "");
    let hex = id.0.simple().to_string();
    !wanted.is_empty() && (hex.starts_with(&wanted) || hex.ends_with(&wanted))
}

/// Finds the item whose id is, starts with, or ends with `text`.
pub fn find_item(state: &State, texts: Texts, text: &str) -> Result<EventId, Failure> {
    let found: Vec<EventId> = state
        .items
        .keys()
        .filter(|id| id_matches(id, text))
        .copied()
        .collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(fail(ExitCode::Refused, texts.unknown_id(text))),
        many => Err(fail(
            ExitCode::Refused,
            texts.ambiguous_id(text, many.len()),
        )),
    }
}
