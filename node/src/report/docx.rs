//! The report as a Word document laid out as Vietnamese official documents are (Decree
//! 30/2020/NĐ-CP, appendix I): A4, margins 20/20/30/15 mm, Times New Roman; the issuing body
//! top left and the national name and motto top right, each with its rule beneath; number and
//! symbol; place and date in italics; the title; the sections with their tables and the chart;
//! "Nơi nhận" and the signer block; page numbers at the top from the second page; the task
//! appendix on landscape pages. Narrative the log cannot supply is marked, highlighted, for the
//! clerk to complete.
//!
//! WordprocessingML is written directly and zipped with fixed timestamps, so the same report
//! always gives the same bytes.

use std::fmt::Write as _;
use std::io::Write as _;

use nhip_engine::report::{Report, Row};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::vn;
use crate::texts::report_words as w;

// Page geometry in twentieths of a point (1 mm = 56.7).
const PAGE_WIDTH: u32 = 11_906;
const PAGE_HEIGHT: u32 = 16_838;
const MARGIN_TOP: u32 = 1_134;
const MARGIN_BOTTOM: u32 = 1_134;
const MARGIN_LEFT: u32 = 1_701;
const MARGIN_RIGHT: u32 = 851;
const TEXT_WIDTH: u32 = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
const LANDSCAPE_TEXT_WIDTH: u32 = PAGE_HEIGHT - MARGIN_LEFT - MARGIN_RIGHT;
/// The header's left column (issuing body, number).
const HEAD_LEFT: u32 = 3_700;
/// English Metric Units per twip.
const EMU_PER_TWIP: u64 = 635;

/// Which body's rules lay the document out.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Layout {
    /// A state body (the people's committee): Decree 30/2020/NĐ-CP.
    #[default]
    State,
    /// A party body (the party committee): the party's own guidance on document layout — "ĐẢNG
    /// CỘNG SẢN VIỆT NAM" underlined at the top right, the committee and a star at the top left,
    /// "Số 12-BC/ĐU", "T/M ĐẢNG ỦY", as in the conference notice of Bình Lư.
    Party,
}

/// Escapes text for XML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// How a run of text looks.
#[derive(Clone, Copy, Default)]
struct Look {
    bold: bool,
    italic: bool,
    /// Half-points; 0 keeps the document's 14 pt.
    size: u32,
    /// Marked for the clerk.
    clerk: bool,
    /// Underlined (the party's name and "Nơi nhận" in party documents).
    underline: bool,
}

impl Look {
    fn size(points: u32) -> Look {
        Look {
            size: points * 2,
            ..Look::default()
        }
    }
    fn bold(mut self) -> Look {
        self.bold = true;
        self
    }
    fn italic(mut self) -> Look {
        self.italic = true;
        self
    }
    fn underline(mut self) -> Look {
        self.underline = true;
        self
    }
}

fn run(text: &str, look: Look) -> String {
    let mut properties = String::new();
    if look.bold {
        properties.push_str("<w:b/><w:bCs/>");
    }
    if look.italic {
        properties.push_str("<w:i/><w:iCs/>");
    }
    if look.underline {
        properties.push_str("<w:u w:val=\"single\"/>");
    }
    if look.clerk {
        properties.push_str("<w:highlight w:val=\"yellow\"/>");
    }
    if look.size > 0 {
        let _ = write!(
            properties,
            "<w:sz w:val=\"{0}\"/><w:szCs w:val=\"{0}\"/>",
            look.size
        );
    }
    format!(
        "<w:r><w:rPr>{properties}</w:rPr><w:t xml:space=\"preserve\">{}</w:t></w:r>",
        escape(text)
    )
}

/// How a paragraph sits.
#[derive(Clone, Copy)]
struct Place {
    align: &'static str,
    first_line: u32,
    before: u32,
    after: u32,
    keep_next: bool,
    /// Indents left and right (twips), for rules shorter than the column.
    sides: u32,
    /// A rule beneath the paragraph.
    rule: bool,
    /// Line spacing in 240ths of a line.
    line: u32,
}

impl Place {
    const BODY: Place = Place {
        align: "both",
        first_line: 720,
        before: 0,
        after: 120,
        keep_next: false,
        sides: 0,
        rule: false,
        line: 276,
    };
    const CENTER: Place = Place {
        align: "center",
        first_line: 0,
        before: 0,
        after: 0,
        keep_next: false,
        sides: 0,
        rule: false,
        line: 240,
    };
    const LEFT: Place = Place {
        align: "left",
        ..Place::CENTER
    };
    fn after(mut self, twips: u32) -> Place {
        self.after = twips;
        self
    }
    fn before(mut self, twips: u32) -> Place {
        self.before = twips;
        self
    }
    fn keep(mut self) -> Place {
        self.keep_next = true;
        self
    }
}

fn paragraph(runs: &[String], place: Place) -> String {
    let mut properties = String::new();
    if place.keep_next {
        properties.push_str("<w:keepNext/>");
    }
    if place.rule {
        properties.push_str(
            "<w:pBdr><w:bottom w:val=\"single\" w:sz=\"6\" w:space=\"1\" w:color=\"000000\"/></w:pBdr>",
        );
    }
    let _ = write!(
        properties,
        "<w:spacing w:before=\"{}\" w:after=\"{}\" w:line=\"{}\" w:lineRule=\"auto\"/>",
        place.before, place.after, place.line
    );
    if place.first_line > 0 || place.sides > 0 {
        let _ = write!(
            properties,
            "<w:ind w:left=\"{0}\" w:right=\"{0}\" w:firstLine=\"{1}\"/>",
            place.sides, place.first_line
        );
    }
    let _ = write!(properties, "<w:jc w:val=\"{}\"/>", place.align);
    format!("<w:p><w:pPr>{properties}</w:pPr>{}</w:p>", runs.concat())
}

/// A short horizontal rule: an empty, tiny paragraph with a bottom border, indented so that
/// it spans `length` twips of a column `column` twips wide.
fn rule(column: u32, length: u32) -> String {
    let place = Place {
        sides: column.saturating_sub(length) / 2,
        rule: true,
        line: 120,
        ..Place::CENTER
    };
    paragraph(&[run("", Look::size(2))], place)
}

fn text(text: &str) -> String {
    paragraph(&[run(text, Look::default())], Place::BODY)
}

fn heading(text: &str) -> String {
    paragraph(
        &[run(text, Look::default().bold())],
        Place {
            first_line: 720,
            ..Place::BODY
        }
        .before(120)
        .keep(),
    )
}

/// A paragraph the clerk completes, highlighted.
fn clerk(prompt: &str) -> String {
    let look = Look {
        italic: true,
        clerk: true,
        ..Look::default()
    };
    paragraph(&[run(&format!("{}{prompt}]", w::CLERK), look)], Place::BODY)
}

fn cell(width: u32, content: &str, borders: bool) -> String {
    let borders = if borders {
        ""
    } else {
        "<w:tcBorders><w:top w:val=\"nil\"/><w:left w:val=\"nil\"/><w:bottom w:val=\"nil\"/><w:right w:val=\"nil\"/></w:tcBorders>"
    };
    format!(
        "<w:tc><w:tcPr><w:tcW w:w=\"{width}\" w:type=\"dxa\"/>{borders}</w:tcPr>{content}</w:tc>"
    )
}

/// A table without borders laying out blocks side by side.
fn layout(columns: &[(u32, String)]) -> String {
    let grid: String = columns
        .iter()
        .map(|(width, _)| format!("<w:gridCol w:w=\"{width}\"/>"))
        .collect();
    let cells: String = columns
        .iter()
        .map(|(width, content)| cell(*width, content, false))
        .collect();
    format!(
        "<w:tbl><w:tblPr><w:tblW w:w=\"{}\" w:type=\"dxa\"/><w:tblLayout w:type=\"fixed\"/><w:tblCellMar><w:left w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"0\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr><w:tblGrid>{grid}</w:tblGrid><w:tr><w:trPr><w:cantSplit/></w:trPr>{cells}</w:tr></w:tbl>",
        columns.iter().map(|(width, _)| width).sum::<u32>()
    )
}

/// A data table: a bold header row repeated on every page, then the rows; `widths` are
/// fractions (in thousandths) of `total`.
fn table(
    total: u32,
    widths: &[u32],
    headers: &[&str],
    rows: &[Vec<String>],
    points: u32,
) -> String {
    let widths: Vec<u32> = widths.iter().map(|part| total * part / 1000).collect();
    let grid: String = widths
        .iter()
        .map(|width| format!("<w:gridCol w:w=\"{width}\"/>"))
        .collect();
    let look = Look::size(points);
    let cell_text = |text: &str, look: Look, align: &'static str| {
        paragraph(
            &[run(text, look)],
            Place {
                align,
                ..Place::CENTER
            }
            .before(20)
            .after(20),
        )
    };
    let mut out = format!(
        "<w:tbl><w:tblPr><w:tblW w:w=\"{}\" w:type=\"dxa\"/><w:jc w:val=\"center\"/><w:tblBorders><w:top w:val=\"single\" w:sz=\"4\"/><w:left w:val=\"single\" w:sz=\"4\"/><w:bottom w:val=\"single\" w:sz=\"4\"/><w:right w:val=\"single\" w:sz=\"4\"/><w:insideH w:val=\"single\" w:sz=\"4\"/><w:insideV w:val=\"single\" w:sz=\"4\"/></w:tblBorders><w:tblLayout w:type=\"fixed\"/><w:tblCellMar><w:left w:w=\"70\" w:type=\"dxa\"/><w:right w:w=\"70\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr><w:tblGrid>{grid}</w:tblGrid>",
        widths.iter().sum::<u32>()
    );
    out.push_str("<w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>");
    for (width, header) in widths.iter().zip(headers) {
        out.push_str(&cell(
            *width,
            &cell_text(header, look.bold(), "center"),
            true,
        ));
    }
    out.push_str("</w:tr>");
    if rows.is_empty() {
        // One cell across the table says there is nothing.
        let _ = write!(
            out,
            "<w:tr><w:tc><w:tcPr><w:tcW w:w=\"{}\" w:type=\"dxa\"/><w:gridSpan w:val=\"{}\"/></w:tcPr>{}</w:tc></w:tr>",
            widths.iter().sum::<u32>(),
            widths.len(),
            cell_text(w::NONE, look.italic(), "center")
        );
    }
    let shown = rows.len().min(crate::limits::REPORT_DOCUMENT_ROWS_MAX);
    for row in &rows[..shown] {
        out.push_str("<w:tr><w:trPr><w:cantSplit/></w:trPr>");
        for (index, (width, value)) in widths.iter().zip(row).enumerate() {
            // Numbers, dates and the running number are centred; words are left-aligned.
            let centred = index == 0 || value.chars().all(|c| !c.is_alphabetic());
            let align = if centred { "center" } else { "left" };
            out.push_str(&cell(*width, &cell_text(value, look, align), true));
        }
        out.push_str("</w:tr>");
    }
    if rows.len() > shown {
        // A province's report names thousands of tasks: the document shows the first ones, the
        // workbook all of them.
        let _ = write!(
            out,
            "<w:tr><w:tc><w:tcPr><w:tcW w:w=\"{}\" w:type=\"dxa\"/><w:gridSpan w:val=\"{}\"/></w:tcPr>{}</w:tc></w:tr>",
            widths.iter().sum::<u32>(),
            widths.len(),
            cell_text(&w::more_rows(rows.len() - shown), look.italic(), "center")
        );
    }
    out.push_str("</w:tbl>");
    // A table must be followed by a paragraph; a small gap reads better too.
    out.push_str(&paragraph(&[run("", Look::size(6))], Place::LEFT));
    out
}

fn date(value: Option<nhip_engine::Date>) -> String {
    value.map_or_else(String::new, vn::date)
}

fn note(row: &Row) -> String {
    row.last_note
        .as_ref()
        .map_or_else(String::new, |(on, note)| {
            format!("{} ({})", note, vn::date(*on))
        })
}

/// The place name in the date line: the unit's name without its kind (`Xã Bình Lư` → `Bình
/// Lư`).
fn place_name(unit_name: &str) -> String {
    for prefix in w::PLACE_PREFIXES {
        if let Some(rest) = unit_name.strip_prefix(prefix) {
            return rest.trim().to_owned();
        }
    }
    unit_name.to_owned()
}

fn upper(text: &str) -> String {
    text.to_uppercase()
}

fn head(report: &Report, layout_of: Layout) -> String {
    if layout_of == Layout::Party {
        return party_head(report);
    }
    let is_village = report.unit.as_str().matches('/').count() >= 2;
    let mut left = String::new();
    let body = Look::size(13).bold();
    if is_village {
        if let Some(parent) = &report.parent_name {
            left.push_str(&paragraph(
                &[run(&upper(parent), Look::size(13))],
                Place::CENTER,
            ));
        }
        left.push_str(&paragraph(
            &[run(&upper(&report.unit_name), body)],
            Place::CENTER,
        ));
    } else {
        left.push_str(&paragraph(
            &[run(w::COMMUNE_COMMITTEE, body)],
            Place::CENTER,
        ));
        left.push_str(&paragraph(
            &[run(&upper(&report.unit_name), body)],
            Place::CENTER,
        ));
    }
    left.push_str(&rule(HEAD_LEFT, HEAD_LEFT * 2 / 5));
    let number = if is_village {
        w::NUMBER_VILLAGE
    } else {
        w::NUMBER
    };
    left.push_str(&paragraph(
        &[run(number, Look::size(13))],
        Place::CENTER.before(60),
    ));
    let right_width = TEXT_WIDTH - HEAD_LEFT;
    let mut right = String::new();
    right.push_str(&paragraph(
        &[run(w::NATIONAL_NAME, Look::size(12).bold())],
        Place::CENTER,
    ));
    right.push_str(&paragraph(
        &[run(w::MOTTO, Look::size(13).bold())],
        Place::CENTER,
    ));
    // The motto's rule is as long as the motto: about 3,650 twips in 13 pt bold.
    right.push_str(&rule(right_width, 3_650));
    right.push_str(&paragraph(
        &[run(
            &format!(
                "{}, {}",
                place_name(&report.unit_name),
                vn::date_long(report.as_of)
            ),
            Look::size(14).italic(),
        )],
        Place::CENTER.before(60),
    ));
    layout(&[(HEAD_LEFT, left), (right_width, right)])
}

/// The party's heading: the party organisation above and the committee, a star, the number;
/// the party's name underlined, then place and date.
fn party_head(report: &Report) -> String {
    let mut left = String::new();
    if let Some(parent) = &report.parent_name {
        left.push_str(&paragraph(
            &[run(&upper(&w::party_of(parent)), Look::size(14))],
            Place::CENTER,
        ));
    }
    left.push_str(&paragraph(
        &[run(
            &upper(&w::party_committee_of(&report.unit_name)),
            Look::size(14).bold(),
        )],
        Place::CENTER,
    ));
    left.push_str(&paragraph(&[run("*", Look::size(14))], Place::CENTER));
    left.push_str(&paragraph(
        &[run(w::NUMBER_PARTY, Look::size(14))],
        Place::CENTER,
    ));
    let right_width = TEXT_WIDTH - HEAD_LEFT;
    let mut right = paragraph(
        &[run(w::PARTY_NAME, Look::size(15).bold().underline())],
        Place::CENTER,
    );
    right.push_str(&paragraph(
        &[run(
            &format!(
                "{}, {}",
                place_name(&report.unit_name),
                vn::date_long(report.as_of)
            ),
            Look::size(14).italic(),
        )],
        Place::CENTER.before(240),
    ));
    layout(&[(HEAD_LEFT, left), (right_width, right)])
}

fn title(report: &Report) -> String {
    let mut out = paragraph(
        &[run(w::KIND, Look::size(14).bold())],
        Place::CENTER.before(360),
    );
    out.push_str(&paragraph(
        &[run(
            &w::subject(&vn::period(&report.period)),
            Look::size(14).bold(),
        )],
        Place::CENTER,
    ));
    out.push_str(&rule(TEXT_WIDTH, TEXT_WIDTH / 4));
    out.push_str(&paragraph(&[run("", Look::size(8))], Place::CENTER));
    out
}

fn chart_paragraph(chart_cx: u64, chart_cy: u64) -> String {
    format!(
        "<w:p><w:pPr><w:keepNext/><w:spacing w:before=\"120\" w:after=\"60\"/><w:jc w:val=\"center\"/></w:pPr><w:r><w:drawing><wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\"><wp:extent cx=\"{chart_cx}\" cy=\"{chart_cy}\"/><wp:docPr id=\"1\" name=\"chart\" descr=\"{}\"/><wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect=\"1\"/></wp:cNvGraphicFramePr><a:graphic><a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"><pic:pic><pic:nvPicPr><pic:cNvPr id=\"1\" name=\"chart.png\"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed=\"rIdChart\"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"{chart_cx}\" cy=\"{chart_cy}\"/></a:xfrm><a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>",
        escape(w::CHART_CAPTION)
    )
}

fn body(report: &Report, signer: Option<&str>, layout_of: Layout) -> String {
    let counts = &report.counts;
    let period = vn::period(&report.period);
    let mut out = head(report, layout_of);
    out.push_str(&title(report));
    out.push_str(&text(&w::opening(
        &report.unit_name,
        &period,
        &vn::date_long(report.as_of),
    )));

    out.push_str(&heading(w::H_TASKS));
    out.push_str(&heading(w::H_OVERVIEW));
    out.push_str(&text(&w::overview(
        &period,
        counts.tasks,
        counts.done,
        counts.overdue,
        counts.extended,
        counts.waiting,
    )));
    let chart_cx = u64::from(TEXT_WIDTH) * EMU_PER_TWIP;
    let chart_cy =
        chart_cx * u64::from(super::chart::HEIGHT_PX) / u64::from(super::chart::WIDTH_PX);
    out.push_str(&chart_paragraph(chart_cx, chart_cy));
    out.push_str(&paragraph(
        &[run(w::CHART_CAPTION, Look::size(12).italic())],
        Place::CENTER.after(160),
    ));
    let done: Vec<&Row> = report.done().collect();
    if !done.is_empty() {
        out.push_str(&text(&w::done_intro(done.len())));
        for row in done.iter().take(crate::limits::REPORT_NARRATIVE_ITEMS_MAX) {
            out.push_str(&text(&format!(
                "- {}{}",
                row.title,
                w::with_note(&note(row))
            )));
        }
    }
    out.push_str(&clerk(w::CLERK_OVERVIEW));

    out.push_str(&heading(w::H_OVERDUE));
    let overdue: Vec<Vec<String>> = report
        .overdue()
        .iter()
        .enumerate()
        .map(|(index, row)| {
            vec![
                (index + 1).to_string(),
                row.title.clone(),
                row.assignee.clone(),
                row.lead_unit.clone(),
                date(row.deadline),
                row.days_late.unwrap_or(0).to_string(),
                note(row),
            ]
        })
        .collect();
    out.push_str(&table(
        TEXT_WIDTH,
        &[60, 250, 140, 140, 130, 80, 200],
        &[
            w::COL_NO,
            w::COL_WORK,
            w::COL_PERSON,
            w::COL_LEAD,
            w::COL_DEADLINE,
            w::COL_DAYS_LATE,
            w::COL_LAST_NOTE,
        ],
        &overdue,
        11,
    ));
    if !overdue.is_empty() {
        out.push_str(&clerk(w::CLERK_OVERDUE));
    }

    out.push_str(&heading(w::H_EXTENDED));
    let extended: Vec<Vec<String>> = report
        .extended()
        .enumerate()
        .map(|(index, row)| {
            vec![
                (index + 1).to_string(),
                row.title.clone(),
                row.lead_unit.clone(),
                date(row.deadline),
                row.extensions.len().to_string(),
                row.extensions
                    .iter()
                    .map(|extension| extension.reason.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            ]
        })
        .collect();
    out.push_str(&table(
        TEXT_WIDTH,
        &[60, 290, 160, 130, 90, 270],
        &[
            w::COL_NO,
            w::COL_WORK,
            w::COL_LEAD,
            w::COL_DEADLINE_NOW,
            w::COL_EXTENSIONS,
            w::COL_REASON,
        ],
        &extended,
        11,
    ));

    out.push_str(&heading(w::H_WAITING));
    let waiting: Vec<Vec<String>> = report
        .waiting()
        .enumerate()
        .map(|(index, row)| {
            vec![
                (index + 1).to_string(),
                row.title.clone(),
                row.lead_unit.clone(),
                row.state_name.clone(),
                date(row.deadline),
            ]
        })
        .collect();
    out.push_str(&table(
        TEXT_WIDTH,
        &[60, 400, 200, 200, 140],
        &[
            w::COL_NO,
            w::COL_WORK,
            w::COL_LEAD,
            w::COL_STATE,
            w::COL_DEADLINE,
        ],
        &waiting,
        11,
    ));

    out.push_str(&heading(w::H_DOCUMENTS));
    out.push_str(&text(&w::documents(report.documents.len(), counts.adopted)));
    let documents: Vec<Vec<String>> = report
        .documents
        .iter()
        .enumerate()
        .map(|(index, row)| {
            vec![
                (index + 1).to_string(),
                row.title.clone(),
                row.state_name.clone(),
                date(row.finished_on.filter(|_| row.done_in(&report.period))),
                format!("{} / {}", row.votes.0, row.votes.1),
            ]
        })
        .collect();
    out.push_str(&table(
        TEXT_WIDTH,
        &[60, 430, 200, 150, 160],
        &[
            w::COL_NO,
            w::COL_DOCUMENT,
            w::COL_STATE,
            w::COL_ADOPTED_ON,
            w::COL_VOTES,
        ],
        &documents,
        11,
    ));

    out.push_str(&heading(w::H_PETITIONS));
    out.push_str(&text(&w::petitions(
        counts.petitions_received,
        counts.petitions_in_time,
        counts.petitions_late,
        counts.petitions_open_late,
    )));
    if !report.petitions.is_empty() {
        let petitions: Vec<Vec<String>> = report
            .petitions
            .iter()
            .enumerate()
            .map(|(index, (row, status))| {
                vec![
                    (index + 1).to_string(),
                    row.title.clone(),
                    vn::date(row.created),
                    date(row.deadline),
                    w::petition_word(*status).to_owned(),
                ]
            })
            .collect();
        out.push_str(&table(
            TEXT_WIDTH,
            &[60, 400, 150, 150, 240],
            &[
                w::COL_NO,
                w::COL_CONTENT,
                w::COL_RECEIVED_ON,
                w::COL_ANSWER_BY,
                w::COL_ASSESSMENT,
            ],
            &petitions,
            11,
        ));
    }

    out.push_str(&heading(w::H_INSPECTIONS));
    let inspections: Vec<Vec<String>> = report
        .inspections
        .iter()
        .enumerate()
        .map(|(index, row)| {
            vec![
                (index + 1).to_string(),
                row.title.clone(),
                row.unit_name.clone(),
                row.state_name.clone(),
                date(row.deadline),
                note(row),
            ]
        })
        .collect();
    out.push_str(&table(
        TEXT_WIDTH,
        &[60, 290, 150, 160, 130, 210],
        &[
            w::COL_NO,
            w::COL_CONTENT,
            w::COL_UNIT,
            w::COL_STATE,
            w::COL_DEADLINE,
            w::COL_LAST_NOTE,
        ],
        &inspections,
        11,
    ));

    out.push_str(&heading(w::H_INDICATORS));
    out.push_str(&text(&w::indicators(
        counts.indicators,
        counts.indicators_met,
    )));
    let indicators: Vec<Vec<String>> = report
        .indicators
        .iter()
        .enumerate()
        .map(|(index, row)| {
            vec![
                (index + 1).to_string(),
                row.name.clone(),
                row.measure.clone(),
                vn::number(row.target_milli, 1),
                row.value_milli
                    .map_or_else(String::new, |value| vn::number(value, 1)),
                row.attainment_milli.map_or_else(String::new, vn::percent),
            ]
        })
        .collect();
    out.push_str(&table(
        TEXT_WIDTH,
        &[60, 400, 120, 140, 140, 140],
        &[
            w::COL_NO,
            w::COL_INDICATOR,
            w::COL_MEASURE,
            w::COL_TARGET,
            w::COL_ACHIEVED,
            w::COL_ATTAINMENT,
        ],
        &indicators,
        11,
    ));

    out.push_str(&heading(w::H_CONFLICTS));
    out.push_str(&text(&w::conflicts(counts.conflicts)));
    if !report.conflicts.is_empty() {
        let conflicts: Vec<Vec<String>> = report
            .conflicts
            .iter()
            .enumerate()
            .map(|(index, row)| {
                vec![
                    (index + 1).to_string(),
                    row.title.clone(),
                    row.unit_name.clone(),
                    w::aspect_word(&row.aspect),
                    vn::date(row.on),
                ]
            })
            .collect();
        out.push_str(&table(
            TEXT_WIDTH,
            &[60, 330, 180, 280, 150],
            &[
                w::COL_NO,
                w::COL_WORK,
                w::COL_UNIT,
                w::COL_CONFLICT,
                w::COL_CONFLICT_ON,
            ],
            &conflicts,
            11,
        ));
    }

    out.push_str(&heading(w::H_ROLLUP));
    let rollup: Vec<Vec<String>> = report
        .rollup
        .iter()
        .enumerate()
        .map(|(index, row)| {
            vec![
                (index + 1).to_string(),
                row.name.clone(),
                row.tasks.to_string(),
                row.done.to_string(),
                row.overdue.to_string(),
                row.waiting.to_string(),
                row.petitions.to_string(),
                row.conflicts.to_string(),
            ]
        })
        .collect();
    out.push_str(&table(
        TEXT_WIDTH,
        &[60, 300, 90, 110, 100, 110, 110, 120],
        &[
            w::COL_NO,
            w::COL_UNIT,
            w::TASKS,
            w::COL_DONE_SHORT,
            w::OVERDUE,
            w::WAITING,
            w::COL_PETITIONS_SHORT,
            w::COL_CONFLICTS_SHORT,
        ],
        &rollup,
        11,
    ));

    out.push_str(&heading(w::H_ASSESSMENT));
    for (heading_text, prompt) in w::ASSESSMENT {
        out.push_str(&paragraph(
            &[run(heading_text, Look::default().italic())],
            Place {
                first_line: 720,
                ..Place::BODY
            }
            .keep(),
        ));
        out.push_str(&clerk(prompt));
    }
    out.push_str(&paragraph(
        &[run(&w::closing(&report.unit_name), Look::default())],
        Place::BODY.keep(),
    ));
    out.push_str(&signature(report, signer, layout_of));
    out.push_str(&portrait_section_end());
    out.push_str(&appendix(report));
    // Where the figures come from, small, under the appendix: how to re-issue the same file.
    out.push_str(&paragraph(
        &[run(
            &w::provenance(
                report.events,
                &vn::date_long(report.as_of),
                &report.state_hash,
            ),
            Look::size(9).italic(),
        )],
        Place::LEFT.before(120),
    ));
    out
}

fn signature(report: &Report, signer: Option<&str>, layout_of: Layout) -> String {
    let left_width = TEXT_WIDTH * 45 / 100;
    let party = layout_of == Layout::Party;
    let label = if party {
        Look::size(14).underline()
    } else {
        Look::size(12).bold().italic()
    };
    let mut left = paragraph(&[run(w::RECIPIENTS, label)], Place::LEFT.before(240));
    let mut recipients = Vec::new();
    let has_sub_units = report.rollup.iter().any(|row| row.unit.is_some());
    if party {
        if let Some(parent) = &report.parent_name {
            recipients.push(format!(
                "- {}{}",
                w::standing_of(parent),
                w::FOR_REPORTING_PARTY
            ));
        }
        if has_sub_units {
            recipients.push(w::SUB_UNITS_PARTY.to_owned());
        }
        recipients.push(w::FILED_PARTY.to_owned());
    } else {
        if let Some(parent) = &report.parent_name {
            recipients.push(format!("- {parent}{};", w::FOR_REPORTING));
        }
        if has_sub_units {
            recipients.push(w::SUB_UNITS.to_owned());
        }
        recipients.push(w::FILED.to_owned());
    }
    let list = if party {
        Look::size(12)
    } else {
        Look::size(11)
    };
    for line in recipients {
        left.push_str(&paragraph(&[run(&line, list)], Place::LEFT));
    }
    let is_village = report.unit.as_str().matches('/').count() >= 2;
    let (mandate, office) = if party && is_village {
        (Some(w::ON_BEHALF_CELL), w::SECRETARY)
    } else if party {
        (Some(w::ON_BEHALF_PARTY), w::SECRETARY)
    } else if is_village {
        (None, w::VILLAGE_HEAD)
    } else {
        (Some(w::ON_BEHALF), w::CHAIR)
    };
    let mut right = String::new();
    if let Some(mandate) = mandate {
        right.push_str(&paragraph(
            &[run(mandate, Look::size(14).bold())],
            Place::CENTER.before(240),
        ));
        right.push_str(&paragraph(
            &[run(office, Look::size(14).bold())],
            Place::CENTER,
        ));
    } else {
        right.push_str(&paragraph(
            &[run(office, Look::size(14).bold())],
            Place::CENTER.before(240),
        ));
    }
    for _ in 0..4 {
        right.push_str(&paragraph(&[run("", Look::default())], Place::CENTER));
    }
    match signer {
        Some(name) => right.push_str(&paragraph(
            &[run(name, Look::size(14).bold())],
            Place::CENTER,
        )),
        None => right.push_str(&paragraph(
            &[run(
                w::SIGNER_MISSING,
                Look {
                    clerk: true,
                    ..Look::size(14).italic()
                },
            )],
            Place::CENTER,
        )),
    }
    layout(&[(left_width, left), (TEXT_WIDTH - left_width, right)])
}

fn section_properties(landscape: bool, with_header: bool) -> String {
    let (width, height, orient) = if landscape {
        (PAGE_HEIGHT, PAGE_WIDTH, " w:orient=\"landscape\"")
    } else {
        (PAGE_WIDTH, PAGE_HEIGHT, "")
    };
    let header = if with_header {
        "<w:headerReference w:type=\"default\" r:id=\"rIdHeader\"/>"
    } else {
        ""
    };
    format!(
        "<w:sectPr>{header}<w:pgSz w:w=\"{width}\" w:h=\"{height}\"{orient}/><w:pgMar w:top=\"{MARGIN_TOP}\" w:right=\"{MARGIN_RIGHT}\" w:bottom=\"{MARGIN_BOTTOM}\" w:left=\"{MARGIN_LEFT}\" w:header=\"567\" w:footer=\"567\" w:gutter=\"0\"/>{}</w:sectPr>",
        if landscape {
            ""
        } else {
            "<w:pgNumType w:start=\"1\"/><w:titlePg/>"
        }
    )
}

/// Ends the portrait part: the appendix starts on a landscape page. The paragraph that carries
/// the break is one twip high, so that it never spills onto a page of its own.
fn portrait_section_end() -> String {
    format!(
        "<w:p><w:pPr><w:spacing w:before=\"0\" w:after=\"0\" w:line=\"20\" w:lineRule=\"exact\"/><w:rPr><w:sz w:val=\"2\"/></w:rPr>{}</w:pPr></w:p>",
        section_properties(false, true)
    )
}

fn appendix(report: &Report) -> String {
    let mut out = paragraph(&[run(w::APPENDIX, Look::size(14).bold())], Place::CENTER);
    out.push_str(&paragraph(
        &[run(w::APPENDIX_TITLE, Look::size(14).bold())],
        Place::CENTER,
    ));
    out.push_str(&paragraph(
        &[run(
            &w::appendix_of(&report.unit_name, &vn::period(&report.period)),
            Look::size(13).italic(),
        )],
        Place::CENTER.after(200),
    ));
    let rows: Vec<Vec<String>> = report
        .tasks
        .iter()
        .enumerate()
        .map(|(index, row)| {
            vec![
                (index + 1).to_string(),
                row.title.clone(),
                row.assignee.clone(),
                row.lead_unit.clone(),
                row.coordinating.join(", "),
                date(row.deadline),
                row.state_name.clone(),
                format!("{}%", row.percent),
                note(row),
            ]
        })
        .collect();
    out.push_str(&table(
        LANDSCAPE_TEXT_WIDTH,
        &[40, 220, 110, 110, 110, 85, 95, 60, 170],
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
        ],
        &rows,
        11,
    ));
    out
}

const NAMESPACES: &str = "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\" xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" xmlns:pic=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"";

fn document(report: &Report, signer: Option<&str>, layout_of: Layout) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document {NAMESPACES}><w:body>{}{}</w:body></w:document>",
        body(report, signer, layout_of),
        section_properties(true, true)
    )
}

fn styles() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii=\"{0}\" w:hAnsi=\"{0}\" w:eastAsia=\"{0}\" w:cs=\"{0}\"/><w:color w:val=\"000000\"/><w:sz w:val=\"28\"/><w:szCs w:val=\"28\"/><w:lang w:val=\"vi-VN\" w:eastAsia=\"vi-VN\" w:bidi=\"ar-SA\"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/></w:style><w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\"><w:name w:val=\"Normal Table\"/><w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/><w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/><w:left w:w=\"108\" w:type=\"dxa\"/><w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style></w:styles>",
        w::FONT
    )
}

/// The page number, centred in the top margin (not on the first page: `titlePg`).
fn header() -> String {
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:hdr xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr><w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText xml:space=\"preserve\"> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType=\"separate\"/></w:r><w:r><w:t>2</w:t></w:r><w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p></w:hdr>".to_owned()
}

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Default Extension=\"png\" ContentType=\"image/png\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/><Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/><Override PartName=\"/word/header1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml\"/><Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/></Types>";

const ROOT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/><Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/></Relationships>";

const DOCUMENT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rIdStyles\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/><Relationship Id=\"rIdHeader\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/header\" Target=\"header1.xml\"/><Relationship Id=\"rIdChart\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/image\" Target=\"media/chart.png\"/></Relationships>";

fn core(report: &Report) -> String {
    let (year, month, day) = report.as_of.to_ymd();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>{}</dc:title><dc:creator>{}</dc:creator><dc:language>vi-VN</dc:language><dcterms:created xsi:type=\"dcterms:W3CDTF\">{year:04}-{month:02}-{day:02}T00:00:00Z</dcterms:created><dcterms:modified xsi:type=\"dcterms:W3CDTF\">{year:04}-{month:02}-{day:02}T00:00:00Z</dcterms:modified></cp:coreProperties>",
        escape(&format!(
            "{} {} — {}",
            w::TITLE,
            vn::period(&report.period),
            report.unit_name
        )),
        w::AUTHOR
    )
}

/// The document's bytes; `chart` is the PNG of the weekly chart, `signer` the name under the
/// signature, `layout_of` whose rules it follows.
pub fn write(
    report: &Report,
    chart: &[u8],
    signer: Option<&str>,
    layout_of: Layout,
) -> Result<Vec<u8>, zip::result::ZipError> {
    let (year, month, day) = report.as_of.to_ymd();
    // Every entry is stamped with the as-of date, never the clock.
    let stamp = DateTime::from_date_and_time(
        u16::try_from(year.clamp(1980, 2107)).unwrap_or(1980),
        month as u8,
        day as u8,
        0,
        0,
        0,
    )
    .unwrap_or_default();
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(stamp)
        .unix_permissions(0o644);
    let stored = options.compression_method(CompressionMethod::Stored);
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let parts: [(&str, Vec<u8>, SimpleFileOptions); 8] = [
        (
            "[Content_Types].xml",
            CONTENT_TYPES.as_bytes().to_vec(),
            options,
        ),
        ("_rels/.rels", ROOT_RELS.as_bytes().to_vec(), options),
        ("docProps/core.xml", core(report).into_bytes(), options),
        (
            "word/document.xml",
            document(report, signer, layout_of).into_bytes(),
            options,
        ),
        ("word/styles.xml", styles().into_bytes(), options),
        ("word/header1.xml", header().into_bytes(), options),
        (
            "word/_rels/document.xml.rels",
            DOCUMENT_RELS.as_bytes().to_vec(),
            options,
        ),
        // PNG is compressed already.
        ("word/media/chart.png", chart.to_vec(), stored),
    ];
    for (name, bytes, options) in parts {
        zip.start_file(name, options)?;
        zip.write_all(&bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_places_are_named() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(place_name("Xã Bình Lư"), "Bình Lư");
        assert_eq!(place_name("Bản Nà Ri"), "Nà Ri");
        assert_eq!(place_name("Bình Lư"), "Bình Lư");
    }
}
