//! The periodic report upward as files a clerk hands in: the events known at the as-of date
//! are folded ([`gather`]), the engine makes the typed report ([`nhip_engine::report::build`]),
//! and it is written as a spreadsheet ([`xlsx`]) and an official document ([`docx`]) with a
//! chart ([`chart`]). Same log, unit, period and as-of date: the same bytes.

pub mod chart;
pub mod docx;
pub mod request;
pub mod xlsx;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nhip_engine::command::Command;
use nhip_engine::report::{self, Period, PeriodKind, Report, ReportError, SubmissionNote};
use nhip_engine::{Date, EventId, EventLog, NodeId, Seq, State, StoreError, UnitId};

use crate::home::{Home, HomeError};

/// The two files of one report, and the report they were made from.
pub struct Files {
    /// The report.
    pub report: Report,
    /// The workbook.
    pub xlsx: Vec<u8>,
    /// The document.
    pub docx: Vec<u8>,
}

/// Why the files were not made. Nothing is written.
#[derive(Debug, thiserror::Error)]
pub enum MakeError {
    /// The input does not make a report.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// The log could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file could not be put together.
    #[error("the file could not be written: {0}")]
    Render(String),
}

/// The last millisecond of `date` in Vietnam.
pub fn end_of_day_ms(date: Date) -> u64 {
    let next = i64::from(date.plus_days(1).0) * 86_400_000 - 7 * 3_600_000 - 1;
    u64::try_from(next).unwrap_or(0)
}

/// Folds the events this node knew at the end of `as_of` — written by then, and (for events
/// from other nodes) arrived by then. The report reads everything else it needs (extensions,
/// notes, votes) from the items' histories.
///
/// Only the chains in line with `unit` (its own, those below it and those above it) are read:
/// what a node of that unit would hold under the scope rule, so a commune's report at a
/// province hub costs what it costs at the commune. They are folded in the one replay order.
pub fn gather(log: &dyn EventLog, unit: &UnitId, as_of: Date) -> Result<State, StoreError> {
    let until = end_of_day_ms(as_of);
    let late = arrived_after(log, until)?;
    let known = |event: &nhip_engine::Event| {
        if event.hlc.wall_ms > until {
            return false;
        }
        // Looked up by borrowed keys: nothing is allocated per event.
        !late
            .get(&event.origin)
            .and_then(|units| units.get(&event.unit))
            .is_some_and(|ranges| {
                ranges
                    .iter()
                    .any(|(first, last)| *first <= event.seq.0 && event.seq.0 <= *last)
            })
    };
    let mut state = State::default();
    let heads = log.heads()?;
    if heads.keys().all(|chain| chain.unit.is_in_line_with(unit)) {
        log.scan(&mut |event, _, verdict| {
            if known(event) {
                state.apply_stored(event, verdict);
            }
        })?;
        return Ok(state);
    }
    let mut events = Vec::new();
    for (chain, head) in heads
        .iter()
        .filter(|(chain, _)| chain.unit.is_in_line_with(unit))
    {
        let mut next = 1;
        while next <= head.seq.0 {
            let page = log.read_chain(chain, Seq(next), crate::limits::REPORT_CHAIN_PAGE)?;
            let Some(last) = page.last() else {
                break;
            };
            next = last.event.seq.0 + 1;
            events.extend(
                page.into_iter()
                    .map(|stored| stored.event)
                    .filter(|event| known(event)),
            );
        }
    }
    events.sort_by_key(|event| event.order_key());
    for event in &events {
        state.apply(event);
    }
    Ok(state)
}

/// The runs of events that reached this node after `until_ms`: per origin, per unit (a chain),
/// the first and last sequence number of each run.
type Late = BTreeMap<NodeId, BTreeMap<UnitId, Vec<(u64, u64)>>>;

/// The runs of events that reached this node after `until_ms` ([`Late`]).
fn arrived_after(log: &dyn EventLog, until_ms: u64) -> Result<Late, StoreError> {
    let mut late = Late::new();
    let mut position = 0;
    loop {
        let arrivals = log.arrivals_after(position, crate::limits::REPORT_ARRIVALS_PAGE)?;
        let Some(last) = arrivals.last() else {
            break;
        };
        position = last.position;
        for arrival in arrivals.iter().filter(|a| a.received_ms > until_ms) {
            for range in &arrival.ranges {
                late.entry(range.chain.origin)
                    .or_default()
                    .entry(range.chain.unit.clone())
                    .or_default()
                    .push((range.first.0, range.last.0));
            }
        }
    }
    Ok(late)
}

/// The node's own state, folded from everything its log holds (a running node keeps it).
pub type Current<'a> = &'a dyn Fn() -> Option<Arc<State>>;

/// The state `unit`'s report as of `as_of` is made from. When the node's own state
/// (`current`) is exactly what [`gather`] would fold — every chain held is in line with `unit`,
/// and nothing was written or received after the end of `as_of` (the usual case: a report made
/// today, at the unit's own node, or at a hub for its whole tree) — it is used as it is, and the
/// same files come out without a replay. Otherwise the log is folded as of that day.
pub fn state_for(
    log: &dyn EventLog,
    current: Current<'_>,
    unit: &UnitId,
    as_of: Date,
) -> Result<Arc<State>, StoreError> {
    let until = end_of_day_ms(as_of);
    let heads = log.heads()?;
    let whole = heads
        .iter()
        .all(|(chain, head)| chain.unit.is_in_line_with(unit) && head.hlc.wall_ms <= until);
    if whole
        && arrived_after(log, until)?.is_empty()
        && let Some(state) = current()
    {
        // The heads were read first: an event stored since is in the state and not in the
        // heads, and then their counts differ.
        let held: u64 = heads.values().map(|head| head.seq.0).sum();
        if held == state.events {
            return Ok(state);
        }
    }
    gather(log, unit, as_of).map(Arc::new)
}

/// For a caller that holds no state of the node: always fold.
pub fn no_current() -> Option<Arc<State>> {
    None
}

/// Makes both files of `unit`'s report for `period` as the log stood at the end of `as_of`;
/// `current` is the running node's state, if there is one ([`state_for`]).
pub fn make(
    log: &dyn EventLog,
    current: Current<'_>,
    unit: &UnitId,
    period: &Period,
    as_of: Date,
    today: Date,
    layout: docx::Layout,
) -> Result<Files, MakeError> {
    // The cheap checks first: a date in the future needs no replay.
    if as_of > today {
        return Err(ReportError::AsOfInFuture { as_of, today }.into());
    }
    let state = state_for(log, current, unit, as_of)?;
    // The state's hash (cited by the document) and the report are computed side by side.
    let (report, hash) = std::thread::scope(|scope| {
        let hash = scope.spawn(|| state.hash().to_string());
        let report = report::build(&state, unit, period, as_of, today);
        (report, hash.join())
    });
    let mut report = report?;
    // Invariant: hashing a state does not panic.
    report.state_hash = hash.expect("the state hash is computed");
    let files = render(&state, report, layout);
    // Freeing a province's state takes a while; the answer need not wait for it.
    std::thread::spawn(move || drop(state));
    files
}

/// Writes both files of `report` (`state` names the signer), the document after `layout`.
pub fn render(state: &State, report: Report, layout: docx::Layout) -> Result<Files, MakeError> {
    let signer = signer(state, &report.unit, layout);
    // The two files are written side by side.
    let (xlsx, docx) = std::thread::scope(|scope| {
        let xlsx = scope.spawn(|| xlsx::write(&report).map_err(|error| error.to_string()));
        let chart = chart::draw(&report.weeks);
        let docx = docx::write(&report, &chart, signer.as_deref(), layout)
            .map_err(|error| error.to_string());
        // Invariant: writing a workbook returns its errors, it does not panic.
        (xlsx.join().expect("the workbook is written"), docx)
    });
    Ok(Files {
        xlsx: xlsx.map_err(MakeError::Render)?,
        docx: docx.map_err(MakeError::Render)?,
        report,
    })
}

/// The person who signs for `unit`, held in the unit or a unit directly below it: for a state
/// body its chair (chủ tịch), else its secretary (bí thư); for a party body its secretary, else
/// a deputy.
fn signer(state: &State, unit: &UnitId, layout: docx::Layout) -> Option<String> {
    let roles: &[&str] = match layout {
        docx::Layout::State => &["chu-tich", "bi-thu"],
        docx::Layout::Party => &["bi-thu", "pho-bi-thu"],
    };
    for role in roles {
        for ((held_in, held), people) in &state.registry.roles {
            let near = held_in == unit || held_in.parent().as_ref() == Some(unit);
            if near && held == *role {
                if let Some(person) = people.iter().next() {
                    return Some(
                        state
                            .registry
                            .people
                            .get(person)
                            .map_or_else(|| person.to_string(), |p| p.name.clone()),
                    );
                }
            }
        }
    }
    None
}

/// Writes both files into `dir` (made if missing), each whole or not at all (a temporary file
/// beside it, then a rename); returns their paths, or the path that failed and why.
pub fn write_files(files: &Files, dir: &Path) -> Result<[PathBuf; 2], (PathBuf, std::io::Error)> {
    std::fs::create_dir_all(dir).map_err(|error| (dir.to_owned(), error))?;
    let stem = file_stem(&files.report);
    let paths = [
        dir.join(format!("{stem}.xlsx")),
        dir.join(format!("{stem}.docx")),
    ];
    for (path, bytes) in paths.iter().zip([&files.xlsx, &files.docx]) {
        let write = || -> std::io::Result<()> {
            let mut file = tempfile::NamedTempFile::new_in(dir)?;
            std::io::Write::write_all(&mut file, bytes)?;
            file.as_file().sync_all()?;
            file.persist(path).map_err(|error| error.error)?;
            Ok(())
        };
        write().map_err(|error| (path.clone(), error))?;
    }
    Ok(paths)
}

/// The blake3 hash of a file's bytes, in hex.
pub fn hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Submits the report upward: an item of the built-in `report` workflow for the report's unit,
/// due five days after the period, whose description carries the period and both files'
/// hashes, moved at once from drafted to submitted. Returns the item.
pub fn submit(
    home: &Home,
    person: &crate::account::Actor,
    files: &Files,
) -> Result<EventId, HomeError> {
    let note = SubmissionNote {
        period: files.report.period.code(),
        xlsx_blake3: hash(&files.xlsx),
        docx_blake3: hash(&files.docx),
    };
    let item = home.act(
        person,
        Command::CreateItem {
            workflow: report::REPORT_WORKFLOW.into(),
            unit: files.report.unit.clone(),
            title: crate::texts::report_words::item_title(
                &vn::period(&files.report.period),
                &files.report.unit_name,
            ),
            description: note.to_description(),
            lead_unit: None,
            coordinating: Vec::new(),
            assignee: None,
            deadline: Some(files.report.period.due()),
            parent: None,
            indicator: None,
        },
    )?;
    home.act(
        person,
        Command::Fire {
            item,
            transition: "submit".into(),
            note: String::new(),
        },
    )?;
    Ok(item)
}

/// The file name for a report: `bao-cao-binh-lu-Q3-2025.xlsx`.
pub fn file_stem(report: &Report) -> String {
    let last = report
        .unit
        .as_str()
        .rsplit('/')
        .next()
        .unwrap_or("don-vi")
        .to_owned();
    let code = report.period.code().replace("..", "_");
    format!("bao-cao-{last}-{code}")
}

/// Vietnamese ways of writing dates and numbers.
pub mod vn {
    use super::{Period, PeriodKind};
    use nhip_engine::Date;

    /// `31/12/2025`, for tables.
    pub fn date(date: Date) -> String {
        let (year, month, day) = date.to_ymd();
        format!("{day:02}/{month:02}/{year:04}")
    }

    /// `ngày 23 tháng 9 năm 2025`, for documents: a day below 10 and the months 1 and 2 take
    /// a leading zero (Decree 30/2020, appendix I).
    pub fn date_long(date: Date) -> String {
        let (year, month, day) = date.to_ymd();
        let month = if month <= 2 {
            format!("{month:02}")
        } else {
            month.to_string()
        };
        format!("ngày {day:02} tháng {month} năm {year}")
    }

    /// `1.234,5`: thousandths written with `decimals` digits after the comma (at most 3).
    pub fn number(milli: i64, decimals: u32) -> String {
        let decimals = decimals.min(3);
        let scale = 10_i64.pow(3 - decimals);
        let rounded = (milli.unsigned_abs() + (scale as u64) / 2) / scale as u64;
        let factor = 10_u64.pow(decimals);
        let whole = (rounded / factor).to_string();
        let mut grouped = String::new();
        for (index, digit) in whole.chars().enumerate() {
            if index > 0 && (whole.len() - index) % 3 == 0 {
                grouped.push('.');
            }
            grouped.push(digit);
        }
        let sign = if milli < 0 && rounded > 0 { "-" } else { "" };
        if decimals == 0 {
            format!("{sign}{grouped}")
        } else {
            let fraction = rounded % factor;
            format!(
                "{sign}{grouped},{fraction:0width$}",
                width = decimals as usize
            )
        }
    }

    /// `82,5%` from thousandths of one.
    pub fn percent(milli: i64) -> String {
        let text = number(milli * 100, 1);
        format!("{}%", text.strip_suffix(",0").unwrap_or(&text))
    }

    /// `quý III năm 2025`, `9 tháng đầu năm 2025`...
    pub fn period(period: &Period) -> String {
        const ROMAN: [&str; 5] = ["", "I", "II", "III", "IV"];
        match period.kind {
            PeriodKind::Month => format!("tháng {} năm {}", period.number, period.year),
            PeriodKind::Quarter => format!(
                "quý {} năm {}",
                ROMAN[period.number.min(4) as usize],
                period.year
            ),
            PeriodKind::NineMonths => format!("9 tháng đầu năm {}", period.year),
            PeriodKind::Year => format!("năm {}", period.year),
            PeriodKind::Range => format!(
                "từ ngày {} đến ngày {}",
                date(period.start),
                date(period.end)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::vn;
    use nhip_engine::Date;
    use nhip_engine::report::Period;

    #[test]
    fn vietnamese_dates_and_numbers() {
        let day = |y, m, d| Date::from_ymd(y, m, d).unwrap();
        assert_eq!(vn::date(day(2025, 12, 31)), "31/12/2025");
        assert_eq!(vn::date_long(day(2025, 9, 23)), "ngày 23 tháng 9 năm 2025");
        assert_eq!(vn::date_long(day(2025, 2, 5)), "ngày 05 tháng 02 năm 2025");
        assert_eq!(vn::number(1_234_500, 1), "1.234,5");
        assert_eq!(vn::number(1_234_567_000, 0), "1.234.567");
        assert_eq!(vn::number(-82_500, 1), "-82,5");
        assert_eq!(vn::number(0, 1), "0,0");
        assert_eq!(vn::percent(825), "82,5%");
        assert_eq!(vn::percent(1000), "100%");
        assert_eq!(
            vn::period(&Period::parse("Q4-2025").unwrap()),
            "quý IV năm 2025"
        );
        assert_eq!(
            vn::period(&Period::parse("9T-2025").unwrap()),
            "9 tháng đầu năm 2025"
        );
    }

    /// One office writes on 1 October; the hub receives its events on 5 October.
    fn office_and_hub() -> (nhip_engine::MemoryLog, nhip_engine::MemoryLog) {
        use ed25519_dalek::SigningKey;
        use nhip_engine::command::{Command, decide};
        use nhip_engine::{EventId, EventLog, MemoryLog, PersonId, Seq, UnitId, node_id};
        let unit = |code: &str| UnitId::new(code).unwrap();
        let admin = PersonId::new("admin").unwrap();
        let key = SigningKey::from_bytes(&[1; 32]);
        let office = MemoryLog::new(node_id(&key));
        let written = noon(Date::from_ymd(2025, 10, 1).unwrap());
        let mut commands = vec![Command::AssignRole {
            person: admin.clone(),
            unit: unit("xa"),
            role: "quan-tri".into(),
        }];
        for code in ["xa", "xa/ban-a", "xa/ban-b"] {
            commands.push(Command::DefineUnit {
                unit: unit(code),
                name: code.into(),
                kind: "unit".into(),
            });
        }
        for code in ["xa/ban-a", "xa/ban-b"] {
            commands.push(Command::CreateItem {
                workflow: "task".into(),
                unit: unit(code),
                title: format!("Việc của {code}"),
                description: String::new(),
                lead_unit: None,
                coordinating: Vec::new(),
                assignee: None,
                deadline: Date::from_ymd(2025, 12, 31),
                parent: None,
                indicator: None,
            });
        }
        for (n, command) in commands.into_iter().enumerate() {
            let state = nhip_engine::replay(&office).unwrap();
            let id = EventId(uuid::Uuid::from_u128(n as u128 + 1));
            let draft = decide(&state, &admin, id, written, command).unwrap();
            office.append(&key, written, vec![draft]).unwrap();
        }
        let hub = MemoryLog::new(node_id(&SigningKey::from_bytes(&[2; 32])));
        let received = noon(Date::from_ymd(2025, 10, 5).unwrap());
        for (chain, head) in office.heads().unwrap() {
            let batch = office
                .batch_from(&chain, Seq(1), head.seq.0 as usize, usize::MAX)
                .unwrap()
                .unwrap();
            hub.ingest(received, &batch).unwrap();
        }
        (office, hub)
    }

    fn noon(date: Date) -> u64 {
        (i64::from(date.0) * 86_400_000 + 5 * 3_600_000) as u64
    }

    #[test]
    fn a_report_knows_only_what_had_arrived_by_its_as_of_date() {
        let (office, hub) = office_and_hub();
        let xa = nhip_engine::UnitId::new("xa").unwrap();
        let day = |d| Date::from_ymd(2025, 10, d).unwrap();
        // Written on the 1st, so known at the office from then on.
        let state = super::gather(&office, &xa, day(3)).unwrap();
        assert_eq!(state.items.len(), 2);
        // At the hub they arrived on the 5th: a report as of the 3rd does not know them, so a
        // report re-issued later as of the 3rd is still the same report.
        let state = super::gather(&hub, &xa, day(3)).unwrap();
        assert_eq!((state.events, state.items.len()), (0, 0));
        let state = super::gather(&hub, &xa, day(5)).unwrap();
        assert_eq!(state.items.len(), 2);
        // Nothing was known on the 30th of September anywhere.
        let state = super::gather(&office, &xa, Date::from_ymd(2025, 9, 30).unwrap()).unwrap();
        assert_eq!(state.events, 0);
    }

    #[test]
    fn the_nodes_own_state_is_used_only_where_it_is_what_the_report_folds() {
        use std::sync::Arc;
        let (_, hub) = office_and_hub();
        let xa = nhip_engine::UnitId::new("xa").unwrap();
        let ban_a = nhip_engine::UnitId::new("xa/ban-a").unwrap();
        let day = |d| Date::from_ymd(2025, 10, d).unwrap();
        let held = Arc::new(nhip_engine::replay(&hub).unwrap());
        let current = || Some(held.clone());
        let used = |unit: &nhip_engine::UnitId, as_of: Date| {
            Arc::ptr_eq(
                &super::state_for(&hub, &current, unit, as_of).unwrap(),
                &held,
            )
        };
        // As of the day everything had arrived, for the whole tree: the state as it is.
        assert!(used(&xa, day(5)));
        // Before the events arrived, or for one village only: folded from the log.
        assert!(!used(&xa, day(3)));
        assert!(!used(&ban_a, day(5)));
        // A state that is not the log's (events stored since it was read): folded.
        let stale = Arc::new(nhip_engine::State::default());
        let state = super::state_for(&hub, &|| Some(stale.clone()), &xa, day(5)).unwrap();
        assert!(!Arc::ptr_eq(&state, &stale));
        assert_eq!(state.events, held.events);
        // Either way, the same files.
        let period = nhip_engine::report::Period::parse("Q4-2025").unwrap();
        let layout = super::docx::Layout::State;
        let folded = super::make(
            &hub,
            &super::no_current,
            &xa,
            &period,
            day(5),
            day(6),
            layout,
        )
        .unwrap();
        let kept = super::make(&hub, &current, &xa, &period, day(5), day(6), layout).unwrap();
        assert!(folded.xlsx == kept.xlsx && folded.docx == kept.docx);
    }

    #[test]
    fn a_sub_units_report_reads_only_the_chains_in_line_with_it() {
        let (_, hub) = office_and_hub();
        let ban_a = nhip_engine::UnitId::new("xa/ban-a").unwrap();
        let state = super::gather(&hub, &ban_a, Date::from_ymd(2025, 10, 6).unwrap()).unwrap();
        // Its own item, and the registry from the commune's chain above it; not its sibling's.
        let titles: Vec<&str> = state
            .items
            .values()
            .map(|item| item.title.as_str())
            .collect();
        assert_eq!(titles, ["Việc của xa/ban-a"]);
        assert!(state.registry.units.contains_key(&ban_a));
    }

    #[test]
    fn the_end_of_a_day_is_in_vietnam() {
        let day = Date::from_ymd(2025, 9, 23).unwrap();
        let end = super::end_of_day_ms(day);
        assert_eq!(Date::from_unix_ms(end), day);
        assert_eq!(Date::from_unix_ms(end + 1), day.plus_days(1));
    }
}
