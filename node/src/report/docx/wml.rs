//! The pieces of WordprocessingML the document is made of: runs with their look, paragraphs
//! with their place, rules, cells and tables. Text goes in escaped.

use std::fmt::Write as _;

use super::*;

/// Escapes text for XML.
pub(super) fn escape(text: &str) -> String {
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
pub(super) struct Look {
    pub(super) bold: bool,
    pub(super) italic: bool,
    /// Half-points; 0 keeps the document's 14 pt.
    pub(super) size: u32,
    /// Marked for the clerk.
    pub(super) clerk: bool,
    /// Underlined (the party's name and "Nơi nhận" in party documents).
    pub(super) underline: bool,
}

impl Look {
    pub(super) fn size(points: u32) -> Look {
        Look {
            size: points * 2,
            ..Look::default()
        }
    }
    pub(super) fn bold(mut self) -> Look {
        self.bold = true;
        self
    }
    pub(super) fn italic(mut self) -> Look {
        self.italic = true;
        self
    }
    pub(super) fn underline(mut self) -> Look {
        self.underline = true;
        self
    }
}

pub(super) fn run(text: &str, look: Look) -> String {
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
pub(super) struct Place {
    pub(super) align: &'static str,
    pub(super) first_line: u32,
    pub(super) before: u32,
    pub(super) after: u32,
    pub(super) keep_next: bool,
    /// Indents left and right (twips), for rules shorter than the column.
    pub(super) sides: u32,
    /// A rule beneath the paragraph.
    pub(super) rule: bool,
    /// Line spacing in 240ths of a line.
    pub(super) line: u32,
}

impl Place {
    pub(super) const BODY: Place = Place {
        align: "both",
        first_line: 720,
        before: 0,
        after: 120,
        keep_next: false,
        sides: 0,
        rule: false,
        line: 276,
    };
    pub(super) const CENTER: Place = Place {
        align: "center",
        first_line: 0,
        before: 0,
        after: 0,
        keep_next: false,
        sides: 0,
        rule: false,
        line: 240,
    };
    pub(super) const LEFT: Place = Place {
        align: "left",
        ..Place::CENTER
    };
    pub(super) fn after(mut self, twips: u32) -> Place {
        self.after = twips;
        self
    }
    pub(super) fn before(mut self, twips: u32) -> Place {
        self.before = twips;
        self
    }
    pub(super) fn keep(mut self) -> Place {
        self.keep_next = true;
        self
    }
}

pub(super) fn paragraph(runs: &[String], place: Place) -> String {
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
pub(super) fn rule(column: u32, length: u32) -> String {
    let place = Place {
        sides: column.saturating_sub(length) / 2,
        rule: true,
        line: 120,
        ..Place::CENTER
    };
    paragraph(&[run("", Look::size(2))], place)
}

pub(super) fn text(text: &str) -> String {
    paragraph(&[run(text, Look::default())], Place::BODY)
}

pub(super) fn heading(text: &str) -> String {
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
pub(super) fn clerk(prompt: &str) -> String {
    let look = Look {
        italic: true,
        clerk: true,
        ..Look::default()
    };
    paragraph(&[run(&format!("{}{prompt}]", w::CLERK), look)], Place::BODY)
}

pub(super) fn cell(width: u32, content: &str, borders: bool) -> String {
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
pub(super) fn layout(columns: &[(u32, String)]) -> String {
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
pub(super) fn table(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn text_is_escaped() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
