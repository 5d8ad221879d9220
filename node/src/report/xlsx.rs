//! The report as an Excel workbook: one sheet per section, Vietnamese headers, the header row
//! frozen and repeated on every printed page, real dates and numbers (not text), column widths
//! that fit the contents, A4 landscape fitted to the page width.

use nhip_engine::Date;
use nhip_engine::report::{Report, Row};
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, XlsxError,
};

use crate::limits::{REPORT_COLUMN_CHARS_MAX, REPORT_COLUMN_CHARS_MIN, REPORT_SHEET_ROWS_MAX};
use crate::texts::report_words as w;

/// One cell's value.
enum Cell {
    Text(String),
    Int(i64),
    Date(Option<Date>),
    /// A fraction of one, shown as a percent.
    Percent(Option<f64>),
    /// A decimal number.
    Decimal(Option<f64>),
}

struct Formats {
    header: Format,
    text: Format,
    int: Format,
    date: Format,
    percent: Format,
    decimal: Format,
}

impl Formats {
    fn new() -> Formats {
        let base = Format::new()
            .set_font_name(w::FONT)
            .set_font_size(12)
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Top);
        Formats {
            header: base
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(0xDDEBF7),
            text: base.clone().set_text_wrap(),
            int: base.clone().set_num_format("#,##0"),
            date: base
                .clone()
                .set_num_format("dd/mm/yyyy")
                .set_align(FormatAlign::Center),
            percent: base.clone().set_num_format("0.0%"),
            decimal: base.set_num_format("#,##0.0"),
        }
    }
}

fn excel_date(date: Date) -> Result<ExcelDateTime, XlsxError> {
    let (year, month, day) = date.to_ymd();
    ExcelDateTime::from_ymd(u16::try_from(year).unwrap_or(1900), month as u8, day as u8)
}

/// Writes one sheet: headers on the first row, then the rows (or one row saying there are
/// none).
fn sheet(
    workbook: &mut Workbook,
    formats: &Formats,
    name: &str,
    headers: &[&str],
    rows: Vec<Vec<Cell>>,
    total: usize,
) -> Result<(), XlsxError> {
    let worksheet = workbook.add_worksheet();
    worksheet.set_name(name)?;
    let mut widths: Vec<usize> = headers
        .iter()
        .map(|header| {
            header
                .split_whitespace()
                .map(|word| word.chars().count())
                .max()
                .unwrap_or(4)
                .max(header.chars().count().min(14))
        })
        .collect();
    for (column, header) in headers.iter().enumerate() {
        worksheet.write_string_with_format(0, column as u16, *header, &formats.header)?;
    }
    let rows = if rows.is_empty() {
        let mut none = vec![Cell::Text(w::NONE.to_owned())];
        none.extend((1..headers.len()).map(|_| Cell::Text(String::new())));
        vec![none]
    } else {
        rows
    };
    for (index, row) in rows.iter().enumerate() {
        let at = index as u32 + 1;
        for (column, cell) in row.iter().enumerate() {
            let col = column as u16;
            let shown = match cell {
                Cell::Text(text) => {
                    worksheet.write_string_with_format(at, col, text, &formats.text)?;
                    text.chars().count()
                }
                Cell::Int(value) => {
                    worksheet.write_number_with_format(at, col, *value as f64, &formats.int)?;
                    value.to_string().len() + 1
                }
                Cell::Date(Some(date)) => {
                    worksheet.write_datetime_with_format(
                        at,
                        col,
                        excel_date(*date)?,
                        &formats.date,
                    )?;
                    10
                }
                Cell::Percent(Some(value)) => {
                    worksheet.write_number_with_format(at, col, *value, &formats.percent)?;
                    7
                }
                Cell::Decimal(Some(value)) => {
                    worksheet.write_number_with_format(at, col, *value, &formats.decimal)?;
                    format!("{value:.1}").len() + 2
                }
                Cell::Date(None) | Cell::Percent(None) | Cell::Decimal(None) => {
                    worksheet.write_blank(at, col, &formats.text)?;
                    0
                }
            };
            if let Some(width) = widths.get_mut(column) {
                *width = (*width).max(shown);
            }
        }
    }
    if total > rows.len() {
        // A province's report lists hundreds of thousands of tasks: a sheet shows the first
        // ones and says how many more there are (`nhip export` gives them all).
        let at = rows.len() as u32 + 1;
        worksheet.write_string_with_format(
            at,
            0,
            w::more_sheet_rows(total - rows.len()),
            &formats.text,
        )?;
    }
    for (column, width) in widths.iter().enumerate() {
        let chars = (*width).clamp(REPORT_COLUMN_CHARS_MIN, REPORT_COLUMN_CHARS_MAX);
        worksheet.set_column_width(column as u16, chars as f64 + 2.0)?;
    }
    worksheet.set_freeze_panes(1, 0)?;
    worksheet.set_repeat_rows(0, 0)?;
    // 9 is A4 in Excel's paper codes.
    worksheet.set_paper_size(9);
    worksheet.set_landscape();
    worksheet.set_print_fit_to_pages(1, 0);
    worksheet.set_margins(0.5, 0.5, 0.6, 0.6, 0.3, 0.3);
    worksheet.set_header(format!("&C&\"{}\"{name}", w::FONT));
    worksheet.set_footer("&C&P / &N");
    Ok(())
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

fn number(index: usize) -> Cell {
    Cell::Int(index as i64 + 1)
}

fn note(row: &Row) -> Cell {
    text(
        row.last_note
            .as_ref()
            .map_or(String::new(), |(_, note)| note.clone()),
    )
}

fn extensions_text(row: &Row) -> String {
    row.extensions
        .iter()
        .map(|extension| {
            format!(
                "{} → {}: {}",
                super::vn::date(extension.on),
                super::vn::date(extension.deadline),
                extension.reason
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The workbook's bytes.
pub fn write(report: &Report) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let (year, month, day) = report.as_of.to_ymd();
    let created =
        ExcelDateTime::from_ymd(u16::try_from(year).unwrap_or(1900), month as u8, day as u8)?;
    // The creation time is the as-of date, never the clock: the same inputs give the same bytes.
    workbook.set_properties(
        &DocProperties::new()
            .set_title(format!(
                "{} {} — {}",
                w::TITLE,
                super::vn::period(&report.period),
                report.unit_name
            ))
            .set_author(w::AUTHOR)
            .set_creation_datetime(&created),
    );
    let formats = Formats::new();
    let counts = &report.counts;
    let summary = vec![
        vec![text(w::UNIT), text(report.unit_name.clone())],
        vec![text(w::PERIOD), text(super::vn::period(&report.period))],
        vec![text(w::PERIOD_START), Cell::Date(Some(report.period.start))],
        vec![text(w::PERIOD_END), Cell::Date(Some(report.period.end))],
        vec![text(w::AS_OF), Cell::Date(Some(report.as_of))],
        vec![text(w::TASKS), Cell::Int(counts.tasks.into())],
        vec![text(w::DONE), Cell::Int(counts.done.into())],
        vec![text(w::OVERDUE), Cell::Int(counts.overdue.into())],
        vec![text(w::EXTENDED), Cell::Int(counts.extended.into())],
        vec![text(w::WAITING), Cell::Int(counts.waiting.into())],
        vec![text(w::ADOPTED), Cell::Int(counts.adopted.into())],
        vec![
            text(w::PETITIONS_RECEIVED),
            Cell::Int(counts.petitions_received.into()),
        ],
        vec![
            text(w::PETITIONS_IN_TIME),
            Cell::Int(counts.petitions_in_time.into()),
        ],
        vec![
            text(w::PETITIONS_LATE),
            Cell::Int(counts.petitions_late.into()),
        ],
        vec![
            text(w::INSPECTIONS_OPEN),
            Cell::Int(counts.inspections_open.into()),
        ],
        vec![text(w::INDICATORS), Cell::Int(counts.indicators.into())],
        vec![
            text(w::INDICATORS_MET),
            Cell::Int(counts.indicators_met.into()),
        ],
        vec![text(w::CONFLICTS), Cell::Int(counts.conflicts.into())],
        vec![text(w::EVENTS), Cell::Int(report.events as i64)],
        vec![text(w::STATE_HASH), text(report.state_hash.clone())],
    ];
    sheet(
        &mut workbook,
        &formats,
        w::SHEET_SUMMARY,
        &[w::COL_ITEM, w::COL_VALUE],
        summary,
        0,
    )?;
    let tasks = report
        .tasks
        .iter()
        .enumerate()
        .take(REPORT_SHEET_ROWS_MAX)
        .map(|(index, row)| {
            vec![
                number(index),
                text(row.title.clone()),
                text(row.assignee.clone()),
                text(row.lead_unit.clone()),
                text(row.coordinating.join(", ")),
                Cell::Date(row.deadline),
                text(row.state_name.clone()),
                Cell::Percent(Some(f64::from(row.percent) / 100.0)),
                note(row),
                Cell::Date(row.last_note.as_ref().map(|(on, _)| *on)),
                text(row.unit_name.clone()),
                Cell::Date(row.finished_on),
                Cell::Int(row.days_late.unwrap_or(0).into()),
                Cell::Int(row.extensions.len() as i64),
            ]
        })
        .collect();
    sheet(
        &mut workbook,
        &formats,
        w::SHEET_TASKS,
        &[
            w::COL_NO,
            w::COL_WORK,
            w::COL_PERSON,
            w::COL_LEAD,
            w::COL_COORDINATING,
            w::COL_DEADLINE,
            w::COL_STATE,
            w::COL_PROGRESS,
            w::COL_LAST_NOTE,
            w::COL_NOTE_DATE,
            w::COL_UNIT,
            w::COL_FINISHED_ON,
            w::COL_DAYS_LATE,
            w::COL_EXTENSIONS,
        ],
        tasks,
        report.tasks.len(),
    )?;
    let done = report
        .done()
        .enumerate()
        .take(REPORT_SHEET_ROWS_MAX)
        .map(|(index, row)| {
            vec![
                number(index),
                text(row.title.clone()),
                text(row.assignee.clone()),
                text(row.lead_unit.clone()),
                Cell::Date(row.deadline),
                Cell::Date(row.finished_on),
                note(row),
            ]
        })
        .collect();
    sheet(
        &mut workbook,
        &formats,
        w::SHEET_DONE,
        &[
            w::COL_NO,
            w::COL_WORK,
            w::COL_PERSON,
            w::COL_LEAD,
            w::COL_DEADLINE,
            w::COL_FINISHED_ON,
            w::COL_LAST_NOTE,
        ],
        done,
        report.done().count(),
    )?;
    let overdue = report
        .overdue()
        .into_iter()
        .enumerate()
        .take(REPORT_SHEET_ROWS_MAX)
        .map(|(index, row)| {
            vec![
                number(index),
                text(row.title.clone()),
                text(row.assignee.clone()),
                text(row.lead_unit.clone()),
                Cell::Date(row.deadline),
                Cell::Int(row.days_late.unwrap_or(0).into()),
                Cell::Percent(Some(f64::from(row.percent) / 100.0)),
                note(row),
            ]
        })
        .collect();
    sheet(
        &mut workbook,
        &formats,
        w::SHEET_OVERDUE,
        &[
            w::COL_NO,
            w::COL_WORK,
            w::COL_PERSON,
            w::COL_LEAD,
            w::COL_DEADLINE,
            w::COL_DAYS_LATE,
            w::COL_PROGRESS,
            w::COL_LAST_NOTE,
        ],
        overdue,
        report.overdue().len(),
    )?;
    let extended = report
        .extended()
        .enumerate()
        .take(REPORT_SHEET_ROWS_MAX)
        .map(|(index, row)| {
            vec![
                number(index),
                text(row.title.clone()),
                text(row.lead_unit.clone()),
                Cell::Date(row.deadline),
                Cell::Int(row.extensions.len() as i64),
                text(extensions_text(row)),
            ]
        })
        .collect();
    sheet(
        &mut workbook,
        &formats,
        w::SHEET_EXTENDED,
        &[
            w::COL_NO,
            w::COL_WORK,
            w::COL_LEAD,
            w::COL_DEADLINE_NOW,
            w::COL_EXTENSIONS,
            w::COL_REASONS,
        ],
        extended,
        report.extended().count(),
    )?;
    let waiting = report
        .waiting()
        .enumerate()
        .take(REPORT_SHEET_ROWS_MAX)
        .map(|(index, row)| {
            vec![
                number(index),
                text(row.title.clone()),
                text(row.lead_unit.clone()),
                text(row.state_name.clone()),
                Cell::Date(row.deadline),
            ]
        })
        .collect();
    sheet(
        &mut workbook,
        &formats,
        w::SHEET_WAITING,
        &[
            w::COL_NO,
            w::COL_WORK,
            w::COL_LEAD,
            w::COL_STATE,
            w::COL_DEADLINE,
        ],
        waiting,
        report.waiting().count(),
    )?;
    let documents = report
        .documents
        .iter()
        .enumerate()
        .take(REPORT_SHEET_ROWS_MAX)
        .map(|(index, row)| {
            vec![
                number(index),
                text(row.title.clone()),
                text(row.lead_unit.clone()),
                text(row.state_name.clone()),
                Cell::Date(row.finished_on.filter(|_| row.done_in(&report.period))),
                Cell::Int(row.votes.0.into()),
                Cell::Int(row.votes.1.into()),
            ]
        })
        .collect();
    sheet(
        &mut workbook,
        &formats,
        w::SHEET_DOCUMENTS,
        &[
            w::COL_NO,
            w::COL_DOCUMENT,
            w::COL_LEAD,
            w::COL_STATE,
            w::COL_ADOPTED_ON,
            w::COL_VOTES_YES,
            w::COL_VOTES_NO,
        ],
        documents,
        report.documents.len(),
    )?;
    let petitions = report
        .petitions
        .iter()
        .enumerate()
        .take(REPORT_SHEET_ROWS_MAX)
        .map(|(index, (row, status))| {
            vec![
                number(index),
                text(row.title.clone()),
                text(row.unit_name.clone()),
                Cell::Date(Some(row.created)),
                Cell::Date(row.deadline),
                text(row.state_name.clone()),
                Cell::Date(row.finished_on),
                text(w::petition_word(*status)),
            ]
        })
        .collect();
    sheet(
        &mut workbook,
        &formats,
        w::SHEET_PETITIONS,
        &[
            w::COL_NO,
            w::COL_CONTENT,
            w::COL_UNIT,
            w::COL_RECEIVED_ON,
            w::COL_ANSWER_BY,
            w::COL_STATE,
            w::COL_ANSWERED_ON,
            w::COL_ASSESSMENT,
        ],
        petitions,
        report.petitions.len(),
    )?;
    let inspections = report
        .inspections
        .iter()
        .enumerate()
        .take(REPORT_SHEET_ROWS_MAX)
        .map(|(index, row)| {
            vec![
                number(index),
                text(row.title.clone()),
                text(row.unit_name.clone()),
                text(row.state_name.clone()),
                Cell::Date(row.deadline),
                Cell::Int(row.days_late.unwrap_or(0).into()),
                note(row),
            ]
        })
        .collect();
    sheet(
        &mut workbook,
        &formats,
        w::SHEET_INSPECTIONS,
        &[
            w::COL_NO,
            w::COL_CONTENT,
            w::COL_UNIT,
            w::COL_STATE,
            w::COL_DEADLINE,
            w::COL_DAYS_LATE,
            w::COL_LAST_NOTE,
        ],
        inspections,
        report.inspections.len(),
    )?;
    let indicators = report
        .indicators
        .iter()
        .enumerate()
        .take(REPORT_SHEET_ROWS_MAX)
        .map(|(index, row)| {
            vec![
                number(index),
                text(row.name.clone()),
                text(row.measure.clone()),
                text(row.unit_name.clone()),
                text(row.period.clone()),
                Cell::Decimal(Some(row.target_milli as f64 / 1000.0)),
                Cell::Decimal(row.value_milli.map(|v| v as f64 / 1000.0)),
                Cell::Percent(row.attainment_milli.map(|a| a as f64 / 1000.0)),
            ]
        })
        .collect();
    sheet(
        &mut workbook,
        &formats,
        w::SHEET_INDICATORS,
        &[
            w::COL_NO,
            w::COL_INDICATOR,
            w::COL_MEASURE,
            w::COL_UNIT,
            w::COL_INDICATOR_PERIOD,
            w::COL_TARGET,
            w::COL_ACHIEVED,
            w::COL_ATTAINMENT,
        ],
        indicators,
        report.indicators.len(),
    )?;
    let conflicts = report
        .conflicts
        .iter()
        .enumerate()
        .take(REPORT_SHEET_ROWS_MAX)
        .map(|(index, row)| {
            vec![
                number(index),
                text(row.title.clone()),
                text(row.unit_name.clone()),
                text(w::aspect_word(&row.aspect)),
                Cell::Date(Some(row.on)),
            ]
        })
        .collect();
    sheet(
        &mut workbook,
        &formats,
        w::SHEET_CONFLICTS,
        &[
            w::COL_NO,
            w::COL_WORK,
            w::COL_UNIT,
            w::COL_CONFLICT,
            w::COL_CONFLICT_ON,
        ],
        conflicts,
        report.conflicts.len(),
    )?;
    let rollup = report
        .rollup
        .iter()
        .enumerate()
        .take(REPORT_SHEET_ROWS_MAX)
        .map(|(index, row)| {
            vec![
                number(index),
                text(row.name.clone()),
                Cell::Int(row.tasks.into()),
                Cell::Int(row.done.into()),
                Cell::Int(row.overdue.into()),
                Cell::Int(row.waiting.into()),
                Cell::Int(row.petitions.into()),
                Cell::Int(row.conflicts.into()),
            ]
        })
        .collect();
    sheet(
        &mut workbook,
        &formats,
        w::SHEET_ROLLUP,
        &[
            w::COL_NO,
            w::COL_UNIT,
            w::TASKS,
            w::DONE,
            w::OVERDUE,
            w::WAITING,
            w::PETITIONS_RECEIVED,
            w::CONFLICTS,
        ],
        rollup,
        report.rollup.len(),
    )?;
    let weeks = report
        .weeks
        .iter()
        .enumerate()
        .take(REPORT_SHEET_ROWS_MAX)
        .map(|(index, week)| {
            vec![
                number(index),
                Cell::Date(Some(week.start)),
                Cell::Int(week.done.into()),
                Cell::Int(week.overdue.into()),
            ]
        })
        .collect();
    sheet(
        &mut workbook,
        &formats,
        w::SHEET_WEEKS,
        &[
            w::COL_WEEK,
            w::COL_WEEK_FROM,
            w::DONE,
            w::COL_OVERDUE_AT_END,
        ],
        weeks,
        report.weeks.len(),
    )?;
    workbook.save_to_buffer()
}
