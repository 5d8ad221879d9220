//! The frame of an official document: the issuing body and the national name at the top,
//! the number and symbol, place and date, the title, the signer block and "Nơi nhận", and the
//! page sections — as a state body (Decree 30/2020/NĐ-CP) or a party body lays them out.

use nhip_engine::report::Report;

use super::wml::*;
use super::*;

/// The place name in the date line: the unit's name without its kind (`Xã Bình Lư` → `Bình
/// Lư`).
pub(super) fn place_name(unit_name: &str) -> String {
    for prefix in w::PLACE_PREFIXES {
        if let Some(rest) = unit_name.strip_prefix(prefix) {
            return rest.trim().to_owned();
        }
    }
    unit_name.to_owned()
}

pub(super) fn upper(text: &str) -> String {
    text.to_uppercase()
}

pub(super) fn head(report: &Report, layout_of: Layout) -> String {
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
pub(super) fn party_head(report: &Report) -> String {
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

pub(super) fn title(report: &Report) -> String {
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
pub(super) fn signature(report: &Report, signer: Option<&str>, layout_of: Layout) -> String {
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

pub(super) fn section_properties(landscape: bool, with_header: bool) -> String {
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
pub(super) fn portrait_section_end() -> String {
    format!(
        "<w:p><w:pPr><w:spacing w:before=\"0\" w:after=\"0\" w:line=\"20\" w:lineRule=\"exact\"/><w:rPr><w:sz w:val=\"2\"/></w:rPr>{}</w:pPr></w:p>",
        section_properties(false, true)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_named() {
        assert_eq!(place_name("Xã Bình Lư"), "Bình Lư");
        assert_eq!(place_name("Bản Nà Ri"), "Nà Ri");
        assert_eq!(place_name("Bình Lư"), "Bình Lư");
    }
}
