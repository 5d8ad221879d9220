//! The report's sections: its figures, tables and chart, and the task appendix on landscape
//! pages. Narrative the log cannot supply is marked for the clerk to complete.

use nhip_engine::report::{Report, Row};

use super::frame::*;
use super::wml::*;
use super::*;

pub(super) fn date(value: Option<nhip_engine::Date>) -> String {
    value.map_or_else(String::new, vn::date)
}

pub(super) fn note(row: &Row) -> String {
    row.last_note
        .as_ref()
        .map_or_else(String::new, |(on, note)| {
            format!("{} ({})", note, vn::date(*on))
        })
}

pub(super) fn chart_paragraph(chart_cx: u64, chart_cy: u64) -> String {
    format!(
        "<w:p><w:pPr><w:keepNext/><w:spacing w:before=\"120\" w:after=\"60\"/><w:jc w:val=\"center\"/></w:pPr><w:r><w:drawing><wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\"><wp:extent cx=\"{chart_cx}\" cy=\"{chart_cy}\"/><wp:docPr id=\"1\" name=\"chart\" descr=\"{}\"/><wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect=\"1\"/></wp:cNvGraphicFramePr><a:graphic><a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"><pic:pic><pic:nvPicPr><pic:cNvPr id=\"1\" name=\"chart.png\"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed=\"rIdChart\"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"{chart_cx}\" cy=\"{chart_cy}\"/></a:xfrm><a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>",
        escape(w::CHART_CAPTION)
    )
}

pub(super) fn body(report: &Report, signer: Option<&str>, layout_of: Layout) -> String {
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
    let chart_cy = chart_cx * u64::from(crate::report::chart::HEIGHT_PX)
        / u64::from(crate::report::chart::WIDTH_PX);
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

pub(super) fn appendix(report: &Report) -> String {
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
