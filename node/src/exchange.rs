//! Import of the action-program appendix (CSV) and export of items (CSV that Excel opens with
//! Vietnamese intact, or JSON lines).

use std::path::Path;

use nhip_engine::command::{self, Command};
use nhip_engine::{Date, EventId, EventLog, PersonId, UnitId};

use crate::account::Actor;
use crate::cli::output::{ExitCode, Failure, fail};
use crate::home::Home;
use crate::text_search::{fold, normalize};
use crate::texts::Texts;
use crate::transport::now_ms;

/// UTF-8 byte order mark: Excel reads a CSV as UTF-8 only when it starts with one.
pub(crate) const BOM: &str = "\u{feff}";

/// The appendix columns, recognised by their folded header (Vietnamese or English).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Column {
    Work,
    Person,
    Lead,
    Coordinating,
    Deadline,
    Unit,
    Description,
}

fn column(header: &str) -> Option<Column> {
    let key = fold(header).replace(['_', '-'], " ");
    let key = key.trim();
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| key.starts_with(p));
    if starts(&["cong viec", "noi dung", "nhiem vu", "work", "title", "task"]) {
        Some(Column::Work)
    } else if starts(&["don vi chu tri", "chu tri", "lead"]) {
        Some(Column::Lead)
    } else if starts(&["don vi phoi hop", "phoi hop", "coordinat"]) {
        Some(Column::Coordinating)
    } else if starts(&["nguoi", "can bo", "person", "assignee"]) {
        Some(Column::Person)
    } else if starts(&["thoi han", "han ", "deadline", "due"]) || key == "han" {
        Some(Column::Deadline)
    } else if starts(&["don vi", "unit"]) {
        Some(Column::Unit)
    } else if starts(&["mo ta", "ghi chu", "description", "note"]) {
        Some(Column::Description)
    } else {
        None
    }
}

/// A table: its header, the row number (from 1, as the file shows it) of its first data row,
/// and its data rows (a row that cannot be read is its reason instead).
type Table = (Vec<String>, usize, Vec<Result<Vec<String>, String>>);

/// Reads the first sheet of a spreadsheet (`.xlsx`, `.xlsm`, `.xls`, `.xlsb`, `.ods`), or
/// a CSV file (UTF-8, with or without a BOM) otherwise.
fn read_table(file: &Path) -> Result<Table, Failure> {
    let extension = file
        .extension()
        .map(|extension| extension.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let unreadable = |error: &dyn std::fmt::Display| {
        fail(ExitCode::Refused, format!("{}: {error}", file.display()))
    };
    if ["xlsx", "xlsm", "xls", "xlsb", "ods"].contains(&extension.as_str()) {
        use calamine::Reader as _;
        let mut workbook = calamine::open_workbook_auto(file).map_err(|e| unreadable(&e))?;
        let range = match workbook.worksheet_range_at(0) {
            Some(range) => range.map_err(|e| unreadable(&e))?,
            None => return Err(unreadable(&"the workbook has no sheet")),
        };
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|row| row.iter().map(spreadsheet_cell).collect())
            .collect();
        // Title lines above the table are skipped: the header is the first row naming the work.
        let at = rows
            .iter()
            .take(20)
            .position(|row| row.iter().any(|name| column(name) == Some(Column::Work)))
            .unwrap_or(0);
        let top = range.start().map_or(0, |(row, _)| row as usize);
        let mut rows = rows.into_iter().skip(at);
        let header = rows.next().unwrap_or_default();
        return Ok((header, top + at + 2, rows.map(Ok).collect()));
    }
    let text = std::fs::read_to_string(file).map_err(|e| unreadable(&e))?;
    let text = text.strip_prefix(BOM).unwrap_or(&text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| unreadable(&e))?
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|record| {
            record
                .map(|record| record.iter().map(str::to_owned).collect())
                .map_err(|error| error.to_string())
        })
        .collect();
    Ok((header, 2, rows))
}

/// A spreadsheet cell as the text a person would type: dates as `YYYY-MM-DD`, whole numbers
/// without a decimal point.
fn spreadsheet_cell(cell: &calamine::Data) -> String {
    match cell {
        // Excel's dates run from 1900 to 9999 (serial 2,958,465).
        calamine::Data::DateTime(at)
            if at.is_datetime() && (0.0..2_958_466.0).contains(&at.as_f64()) =>
        {
            let (year, month, day, ..) = at.to_ymd_hms_milli();
            format!("{year:04}-{month:02}-{day:02}")
        }
        calamine::Data::DateTimeIso(text) => text.chars().take(10).collect(),
        calamine::Data::Float(value) if value.fract() == 0.0 && value.abs() < 1e15 => {
            format!("{}", *value as i64)
        }
        calamine::Data::Empty => String::new(),
        other => other.to_string().trim().to_owned(),
    }
}

/// One row of an appendix, as checked.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RowCheck {
    /// Its number, as the file shows it.
    pub row: usize,
    /// The work it names.
    pub title: String,
    /// What is wrong with it, in words; none when it can be imported.
    pub error: Option<String>,
}

/// An appendix checked against the state: every row, and the events to write when no row is
/// wrong.
pub struct Checked {
    /// Every row with something in it.
    pub rows: Vec<RowCheck>,
    drafts: Vec<nhip_engine::Draft>,
}

impl Checked {
    /// How many rows are wrong.
    pub fn errors(&self) -> usize {
        self.rows.iter().filter(|row| row.error.is_some()).count()
    }
}

/// The person a cell names: a code, or a name only one person has (diacritics and case
/// ignored), as a clerk writes it. A well-formed code nobody holds is taken as written.
fn person_named(state: &nhip_engine::State, texts: Texts, text: &str) -> Result<PersonId, String> {
    let code = PersonId::new(text).ok();
    crate::text_search::find_named(&state.registry.people, code.clone(), text, |person| {
        &person.name
    })
    .or(code)
    .ok_or_else(|| texts.import_unknown_person(text))
}

/// The unit a cell names: a path, or a name only one unit has.
fn unit_named(state: &nhip_engine::State, texts: Texts, text: &str) -> Result<UnitId, String> {
    let path = UnitId::new(text).ok();
    crate::text_search::find_named(&state.registry.units, path.clone(), text, |unit| &unit.name)
        .or(path)
        .ok_or_else(|| texts.import_unknown_unit(text))
}

/// Checks the appendix in `file` (CSV or a spreadsheet) against `state`, as `actor` would
/// import it at `now`: every row, each wrong one with its reason. People and units may be
/// written by code or by name. Nothing is written.
pub fn check(
    home: &Home,
    state: &nhip_engine::State,
    texts: Texts,
    actor: &Actor,
    file: &Path,
    now: u64,
) -> Result<Checked, Failure> {
    let (header, first_row, records) = read_table(file)?;
    let headers: Vec<Option<Column>> = header.iter().map(|name| column(name)).collect();
    if !headers.contains(&Some(Column::Work)) {
        return Err(fail(
            ExitCode::Refused,
            texts.import_row(1, &texts.import_needs_work_column()),
        ));
    }
    let mut checked = Checked {
        rows: Vec::new(),
        drafts: Vec::new(),
    };
    for (index, record) in records.into_iter().enumerate() {
        let row = first_row + index;
        let record = match record {
            Ok(record) if record.iter().all(|value| value.trim().is_empty()) => continue,
            Ok(record) => record,
            Err(error) => {
                checked.rows.push(RowCheck {
                    row,
                    title: String::new(),
                    error: Some(error),
                });
                continue;
            }
        };
        let cell = |wanted: Column| -> String {
            headers
                .iter()
                .zip(record.iter())
                .find(|(column, _)| **column == Some(wanted))
                .map(|(_, value)| normalize(value))
                .unwrap_or_default()
        };
        let title = cell(Column::Work);
        let parse = || -> Result<Command, String> {
            let unit_of = |text: &str| unit_named(state, texts, text);
            let lead = match cell(Column::Lead) {
                text if text.is_empty() => None,
                text => Some(unit_of(&text)?),
            };
            let unit = match cell(Column::Unit) {
                text if text.is_empty() => lead.clone().unwrap_or_else(|| home.config.unit.clone()),
                text => unit_of(&text)?,
            };
            let coordinating = cell(Column::Coordinating)
                .split([';', ','])
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .map(unit_of)
                .collect::<Result<Vec<_>, _>>()?;
            let assignee = match cell(Column::Person) {
                text if text.is_empty() => None,
                text => Some(person_named(state, texts, &text)?),
            };
            let deadline = match cell(Column::Deadline) {
                text if text.is_empty() => None,
                text => Some(Date::parse(&text).map_err(|_| texts.import_bad_date(&text))?),
            };
            Ok(Command::CreateItem {
                workflow: "task".into(),
                unit,
                title: title.clone(),
                description: cell(Column::Description),
                lead_unit: lead,
                coordinating,
                assignee,
                deadline,
                parent: None,
                indicator: None,
            })
        };
        let error = match parse() {
            Err(reason) => Some(reason),
            Ok(command) => {
                let id = EventId(uuid::Uuid::now_v7());
                match command::decide_signed(state, &actor.person, actor.signer(), id, now, command)
                {
                    Ok(draft) => {
                        checked.drafts.push(draft);
                        None
                    }
                    Err(error) => Some(texts.command_error(&error)),
                }
            }
        };
        checked.rows.push(RowCheck { row, title, error });
    }
    Ok(checked)
}

/// Writes a checked appendix with no wrong row, in one commit: how many items were created.
pub fn write(home: &Home, checked: Checked, now: u64) -> Result<usize, Failure> {
    if checked.errors() > 0 {
        return Err(fail(ExitCode::Refused, "the appendix has wrong rows"));
    }
    let count = checked.drafts.len();
    if count > 0 {
        home.append(now, checked.drafts)
            .map_err(|error| fail(ExitCode::Storage, error.to_string()))?;
    }
    Ok(count)
}

/// Imports the appendix in `file` (CSV or a spreadsheet): every row is checked first; if any is
/// wrong, each wrong row is reported with its number and nothing is imported. Otherwise all rows
/// are written in one commit.
pub fn import(home: &Home, texts: Texts, actor: &Actor, file: &Path) -> Result<(), Failure> {
    let _turn = home.writing();
    let state = home
        .state()
        .map_err(|error| fail(ExitCode::Storage, error.to_string()))?;
    let now = now_ms();
    let checked = check(home, &state, texts, actor, file, now)?;
    let errors = checked.errors();
    if errors > 0 {
        let mut message = texts.import_refused(errors);
        for row in &checked.rows {
            if let Some(error) = &row.error {
                message.push_str("\n  ");
                message.push_str(&texts.import_row(row.row, error));
            }
        }
        return Err(fail(ExitCode::Refused, message));
    }
    let count = write(home, checked, now)?;
    say!("{}", texts.imported(count));
    Ok(())
}

/// Writes an export to `out`, saying how many rows went where, or to standard output.
pub(crate) fn deliver(
    texts: Texts,
    buffer: &[u8],
    rows: usize,
    out: Option<&Path>,
) -> Result<(), Failure> {
    match out {
        Some(path) => {
            std::fs::write(path, buffer)
                .map_err(|error| fail(ExitCode::Refused, format!("{}: {error}", path.display())))?;
            warn!("{}", texts.exported(rows, &path.display().to_string()));
        }
        None => crate::console::out_bytes(buffer)
            .map_err(|error| fail(ExitCode::Refused, error.to_string()))?,
    }
    Ok(())
}

/// Exports the items of this node's subtree as CSV (with a BOM) or JSON lines.
pub fn export(home: &Home, texts: Texts, format: &str, out: Option<&Path>) -> Result<(), Failure> {
    let state = home
        .state()
        .map_err(|error| fail(ExitCode::Storage, error.to_string()))?;
    let today = Date::from_unix_ms(now_ms());
    let items: Vec<_> = state.items_within(&home.config.unit).collect();
    let mut buffer: Vec<u8> = Vec::new();
    match format {
        "csv" => {
            buffer.extend_from_slice(BOM.as_bytes());
            let mut writer = csv::Writer::from_writer(&mut buffer);
            let io = |error: csv::Error| fail(ExitCode::Refused, error.to_string());
            writer
                .write_record([
                    "Mã",
                    "Công việc",
                    "Quy trình",
                    "Trạng thái",
                    "Đơn vị",
                    "Đơn vị chủ trì",
                    "Đơn vị phối hợp",
                    "Người thực hiện",
                    "Thời hạn",
                    "Tiến độ (%)",
                    "Quá hạn",
                    "Xung đột",
                ])
                .map_err(io)?;
            for (id, item) in &items {
                let definition = state.definition_of(item);
                let state_name = definition
                    .and_then(|d| d.state(&item.state))
                    .map_or(item.state.clone(), |s| s.name.clone());
                let overdue = definition.is_some_and(|d| item.is_overdue(d, today));
                writer
                    .write_record([
                        id.to_string(),
                        item.title.clone(),
                        item.workflow.clone(),
                        state_name,
                        item.unit.to_string(),
                        item.lead_unit.to_string(),
                        item.coordinating
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; "),
                        item.assignee
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default(),
                        item.deadline.map(|d| d.to_string()).unwrap_or_default(),
                        item.percent.to_string(),
                        if overdue { "có" } else { "" }.to_owned(),
                        item.open_conflicts().count().to_string(),
                    ])
                    .map_err(io)?;
            }
            writer
                .flush()
                .map_err(|error| fail(ExitCode::Refused, error.to_string()))?;
        }
        "jsonl" => {
            for (id, item) in &items {
                let line = serde_json::to_string(&serde_json::json!({ "id": id, "item": item }))
                    .map_err(|error| fail(ExitCode::Refused, error.to_string()))?;
                buffer.extend_from_slice(line.as_bytes());
                buffer.push(b'\n');
            }
        }
        other => {
            return Err(fail(
                ExitCode::Usage,
                format!("--format {other:?}: csv | jsonl"),
            ));
        }
    }
    deliver(texts, &buffer, items.len(), out)
}

/// Exports every event of the log, in replay order, for an auditor's own tools: CSV (with a
/// BOM) or JSON lines. Each row: chain, position, id, who, when written (origin's clock), kind,
/// the body (as JSON when this version knows the kind) and the event's hash.
pub fn export_events(
    home: &Home,
    texts: Texts,
    format: &str,
    out: Option<&Path>,
) -> Result<(), Failure> {
    let mut rows = Vec::new();
    home.log
        .scan(&mut |event, bytes, _| {
            let body = match nhip_engine::body::Known::from_body(&event.body) {
                nhip_engine::body::Decoded::Known(known) => body_json(&known),
                _ => serde_json::Value::Null,
            };
            rows.push(serde_json::json!({
                "origin": event.origin,
                "unit": event.unit,
                "seq": event.seq.0,
                "id": event.id,
                "actor": event.actor,
                "written_ms": event.hlc.wall_ms,
                "kind": event.body.kind,
                "body": body,
                "hash": nhip_engine::Hash::of(bytes),
            }));
        })
        .map_err(|error| fail(ExitCode::Storage, error.to_string()))?;
    let mut buffer: Vec<u8> = Vec::new();
    match format {
        "jsonl" => {
            for row in &rows {
                buffer.extend_from_slice(row.to_string().as_bytes());
                buffer.push(b'\n');
            }
        }
        "csv" => {
            buffer.extend_from_slice(BOM.as_bytes());
            let mut writer = csv::Writer::from_writer(&mut buffer);
            let io = |error: csv::Error| fail(ExitCode::Refused, error.to_string());
            writer
                .write_record([
                    "origin",
                    "unit",
                    "seq",
                    "id",
                    "actor",
                    "written_ms",
                    "kind",
                    "body",
                    "hash",
                ])
                .map_err(io)?;
            for row in &rows {
                let cell = |key: &str| match &row[key] {
                    serde_json::Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                writer
                    .write_record(
                        [
                            "origin",
                            "unit",
                            "seq",
                            "id",
                            "actor",
                            "written_ms",
                            "kind",
                            "body",
                            "hash",
                        ]
                        .map(cell),
                    )
                    .map_err(io)?;
            }
            writer
                .flush()
                .map_err(|error| fail(ExitCode::Refused, error.to_string()))?;
        }
        other => {
            return Err(fail(
                ExitCode::Usage,
                format!("--format {other:?}: csv | jsonl"),
            ));
        }
    }
    deliver(texts, &buffer, rows.len(), out)
}

/// A known body as JSON, field by field.
fn body_json(known: &nhip_engine::body::Known) -> serde_json::Value {
    use nhip_engine::body::Known;
    let value = match known {
        Known::UnitDefined(body) => serde_json::to_value(body),
        Known::PersonRegistered(body) => serde_json::to_value(body),
        Known::RoleAssigned(body) | Known::RoleRemoved(body) => serde_json::to_value(body),
        Known::NodeEnrolled(body) => serde_json::to_value(body),
        Known::NodeRevoked(body) => serde_json::to_value(body),
        Known::SetupIssued(body) => serde_json::to_value(body),
        // The sealed private key stays out of exports: its size says it is there.
        Known::KeyAdded(body) => Ok(serde_json::json!({
            "person": body.person,
            "key": body.key,
            "setup": body.setup,
            "sealed_bytes": body.sealed.len(),
        })),
        Known::KeyRevoked(body) => serde_json::to_value(body),
        Known::WorkflowPublished(body) => serde_json::to_value(body),
        Known::ItemCreated(body) => serde_json::to_value(body),
        Known::ItemFired(body) => serde_json::to_value(body),
        Known::ItemVoted(body) => serde_json::to_value(body),
        Known::ItemAssigned(body) => serde_json::to_value(body),
        Known::ItemProgressed(body) => serde_json::to_value(body),
        Known::ItemExtended(body) => serde_json::to_value(body),
        Known::ItemCommented(body) => serde_json::to_value(body),
        Known::ItemLinked(body) => serde_json::to_value(body),
        Known::ConflictResolved(body) => serde_json::to_value(body),
        Known::IndicatorDefined(body) => serde_json::to_value(body),
        Known::IndicatorReported(body) => serde_json::to_value(body),
    };
    value.unwrap_or(serde_json::Value::Null)
}
