//! A list of items as a workbook a clerk opens in Excel or LibreOffice: one sheet, the
//! appendix's columns with their Vietnamese (or English) headers, the header row frozen, real
//! dates, widths that fit, printable on A4 landscape.

use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, XlsxError};

use super::views::ItemRow;
use crate::texts::{Texts, app_words};

/// The columns: the header's word key, and how wide (characters) at most.
const COLUMNS: [(&str, usize); 8] = [
    ("col_work", 60),
    ("col_person", 24),
    ("col_unit", 24),
    ("col_lead", 24),
    ("col_coordinating", 30),
    ("col_deadline", 12),
    ("col_state", 18),
    ("col_percent", 10),
];

/// `rows` as an `.xlsx` workbook, headed in `texts`' language.
pub fn workbook(rows: &[ItemRow], texts: Texts) -> Result<Vec<u8>, XlsxError> {
    let words = app_words(texts.0);
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(words.get("items_title").copied().unwrap_or("Items"))?;
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let date = Format::new()
        .set_num_format("dd/mm/yyyy")
        .set_align(FormatAlign::Top);
    let percent = Format::new()
        .set_num_format("0")
        .set_align(FormatAlign::Top);
    let mut widths: Vec<usize> = COLUMNS
        .iter()
        .map(|(key, _)| header_width(key, &words))
        .collect();
    for (column, (key, _)) in COLUMNS.iter().enumerate() {
        let title = words.get(key).copied().unwrap_or(key);
        sheet.write_string_with_format(0, column as u16, title, &header)?;
    }
    for (index, row) in rows.iter().enumerate() {
        let line = index as u32 + 1;
        let coordinating = row
            .coordinating
            .iter()
            .map(|unit| unit.name.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let texts = [
            row.title.as_str(),
            row.assignee
                .as_ref()
                .map_or("", |person| person.name.as_str()),
            row.unit.name.as_str(),
            row.lead_unit.name.as_str(),
            coordinating.as_str(),
        ];
        for (column, text) in texts.iter().enumerate() {
            // Written as text: a title such as "=1+1" is not a formula.
            sheet.write_string_with_format(line, column as u16, *text, &wrap)?;
            widths[column] = widths[column].max(text.chars().count());
        }
        if let Some(deadline) = row
            .deadline
            .as_deref()
            .and_then(|text| nhip_engine::Date::parse(text).ok())
        {
            let (year, month, day) = deadline.to_ymd();
            let when = ExcelDateTime::from_ymd(
                u16::try_from(year).unwrap_or(1900),
                month as u8,
                day as u8,
            )?;
            sheet.write_datetime_with_format(line, 5, &when, &date)?;
        }
        sheet.write_string_with_format(line, 6, &row.state_name, &wrap)?;
        widths[6] = widths[6].max(row.state_name.chars().count());
        sheet.write_number_with_format(line, 7, f64::from(row.percent), &percent)?;
    }
    for (column, ((_, most), width)) in COLUMNS.iter().zip(&widths).enumerate() {
        sheet.set_column_width(column as u16, (*width).clamp(8, *most) as f64 + 2.0)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_repeat_rows(0, 0)?;
    sheet.set_landscape();
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);
    workbook.save_to_buffer()
}

fn header_width(key: &str, words: &std::collections::BTreeMap<&str, &str>) -> usize {
    words.get(key).map_or(8, |word| word.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::views::{PersonRef, UnitRef};
    use crate::texts::Lang;

    fn unit(path: &str, name: &str) -> UnitRef {
        UnitRef {
            path: path.into(),
            name: name.into(),
        }
    }

    /// The workbook reads back, with an independent reader, as the list it was made from:
    /// headers, names, a real date, a number, and a formula-looking title kept as text.
    #[test]
    fn the_workbook_reads_back_as_the_list() {
        let row = ItemRow {
            id: nhip_engine::EventId(uuid::Uuid::nil()),
            title: "=1+1 Phát quang đường".into(),
            workflow: "task".into(),
            workflow_name: "Nhiệm vụ".into(),
            state: "assigned".into(),
            state_name: "Đã giao".into(),
            unit: unit("lai-chau/binh-lu/ban-na-ri", "Bản Nà Ri"),
            lead_unit: unit("lai-chau/binh-lu/ban-na-ri", "Bản Nà Ri"),
            coordinating: vec![unit("lai-chau/binh-lu/ubnd", "Ủy ban nhân dân xã")],
            assignee: Some(PersonRef {
                code: "lo-van-pao".into(),
                name: "Lò Văn Pao".into(),
            }),
            deadline: Some("2025-12-31".into()),
            days_left: Some(10),
            overdue: false,
            due_soon: false,
            waiting: false,
            finished: false,
            percent: 40,
            conflicts: 0,
        };
        let bytes = workbook(&[row], Texts(Lang::Vi)).unwrap();
        use calamine::Reader as _;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        let cell = |row: u32, column: u32| range.get_value((row, column)).cloned();
        assert_eq!(
            cell(0, 0),
            Some(calamine::Data::String("Nội dung công việc".into()))
        );
        assert_eq!(
            cell(1, 0),
            Some(calamine::Data::String("=1+1 Phát quang đường".into()))
        );
        assert_eq!(
            cell(1, 1),
            Some(calamine::Data::String("Lò Văn Pao".into()))
        );
        match cell(1, 5) {
            Some(calamine::Data::DateTime(date)) => {
                assert_eq!(date.to_ymd_hms_milli().0, 2025);
                assert_eq!(date.to_ymd_hms_milli().1, 12);
            }
            other => panic!("the deadline is a date: {other:?}"),
        }
        assert_eq!(cell(1, 7), Some(calamine::Data::Float(40.0)));
    }
}
