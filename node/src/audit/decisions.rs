//! `nhip audit decisions`: the inspectors' register of decisions, as CSV (UTF-8 with a BOM, so
//! that Excel opens it in Vietnamese) or JSON — one line per decision with who made it, the key
//! that signed it, the verdict on that signature and what became of it. The engine draws the
//! register up ([`nhip_engine::decisions`]); this file only words and writes it.

use std::path::Path;

use nhip_engine::decisions::{self, Decision};
use nhip_engine::state::State;
use nhip_engine::{Date, EventLog, UnitId};
use serde::Serialize;

use crate::cli::output::{ExitCode, Failure, fail, print_json, short};
use crate::exchange::{BOM, deliver};
use crate::texts::Texts;

/// Which decisions to list.
pub(super) struct Filter {
    /// Only those of this unit and the units under it.
    pub unit: Option<UnitId>,
    /// Only those written on or after this day (Vietnam time).
    pub from: Option<Date>,
    /// Only those written on or before this day.
    pub to: Option<Date>,
}

impl Filter {
    /// Reads the command's options; a date a person mistyped is refused in their words.
    pub fn parse(
        texts: Texts,
        unit: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Filter, Failure> {
        let day = |text: Option<&str>| -> Result<Option<Date>, Failure> {
            text.map(|text| {
                Date::parse(text).map_err(|_| fail(ExitCode::Usage, texts.bad_date(text)))
            })
            .transpose()
        };
        Ok(Filter {
            unit: unit
                .map(|unit| {
                    UnitId::new(unit).map_err(|error| fail(ExitCode::Usage, error.to_string()))
                })
                .transpose()?,
            from: day(from)?,
            to: day(to)?,
        })
    }

    fn keeps(&self, decision: &Decision) -> bool {
        let day = Date::from_unix_ms(decision.written_ms);
        self.unit
            .as_ref()
            .is_none_or(|unit| decision.unit.is_within(unit))
            && self.from.is_none_or(|from| day >= from)
            && self.to.is_none_or(|to| day <= to)
    }
}

/// One line of the register as it is written out: the engine's facts, worded.
#[derive(Serialize)]
struct Line<'a> {
    written: String,
    unit: String,
    decided_by: String,
    person: &'a str,
    kind: &'a str,
    item: String,
    item_id: String,
    what: String,
    key: String,
    signature: String,
    outcome: String,
    origin: String,
    event: String,
    hash: String,
    /// The engine's facts themselves, for a program reading the JSON.
    facts: &'a Decision,
}

impl Line<'_> {
    fn cells(&self) -> [&str; 14] {
        [
            &self.written,
            &self.unit,
            &self.decided_by,
            self.person,
            self.kind,
            &self.item,
            &self.item_id,
            &self.what,
            &self.key,
            &self.signature,
            &self.outcome,
            &self.origin,
            &self.event,
            &self.hash,
        ]
    }
}

fn line<'a>(texts: Texts, state: &State, decision: &'a Decision) -> Line<'a> {
    let registry = &state.registry;
    let unit = registry
        .units
        .get(&decision.unit)
        .map_or_else(|| decision.unit.to_string(), |unit| unit.name.clone());
    let decided_by = registry
        .people
        .get(&decision.actor)
        .map_or_else(|| decision.actor.to_string(), |person| person.name.clone());
    let item = decision.item.and_then(|id| state.items.get(&id));
    Line {
        written: texts.date_time(decision.written_ms),
        unit,
        decided_by,
        person: decision.actor.as_str(),
        kind: &decision.kind,
        item: item.map(|item| item.title.clone()).unwrap_or_default(),
        item_id: decision.item.map(|id| short(&id)).unwrap_or_default(),
        what: decision
            .detail
            .as_ref()
            .map(|detail| texts.detail(detail))
            .unwrap_or_default(),
        key: decision.key.map(|key| key.to_hex()).unwrap_or_default(),
        signature: texts.signature_verdict(decision.signature),
        outcome: decision
            .outcome
            .as_ref()
            .map_or_else(|| texts.dangling(), |outcome| texts.outcome(outcome)),
        origin: decision.origin.to_hex(),
        event: decision.event.to_string(),
        hash: decision.hash.to_hex(),
        facts: decision,
    }
}

/// Draws up the register of `log`, keeps what `filter` asks for, and writes it to `out` (or
/// the screen).
pub(super) fn run(
    log: &dyn EventLog,
    texts: Texts,
    filter: &Filter,
    out: Option<&Path>,
    json: bool,
) -> Result<(), Failure> {
    let (register, state) =
        decisions::register(log).map_err(|error| fail(ExitCode::Storage, error.to_string()))?;
    let lines: Vec<Line> = register
        .iter()
        .filter(|decision| filter.keeps(decision))
        .map(|decision| line(texts, &state, decision))
        .collect();
    if json {
        return match out {
            None => print_json(&lines),
            Some(_) => {
                let text = serde_json::to_vec_pretty(&lines)
                    .map_err(|error| fail(ExitCode::Refused, error.to_string()))?;
                deliver(texts, &text, lines.len(), out)
            }
        };
    }
    let mut buffer: Vec<u8> = BOM.as_bytes().to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut buffer);
        let io = |error: csv::Error| fail(ExitCode::Refused, error.to_string());
        writer.write_record(texts.decisions_header()).map_err(io)?;
        for line in &lines {
            writer.write_record(line.cells()).map_err(io)?;
        }
        writer
            .flush()
            .map_err(|error| fail(ExitCode::Refused, error.to_string()))?;
    }
    deliver(texts, &buffer, lines.len(), out)
}
