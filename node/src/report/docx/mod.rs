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

use std::io::Write as _;

use nhip_engine::report::Report;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::vn;
use crate::texts::report_words as w;
mod body;
mod frame;
mod wml;

use self::body::body;
use self::frame::section_properties;
use self::wml::escape;

// Page geometry in twentieths of a point (1 mm = 56.7).
pub(super) const PAGE_WIDTH: u32 = 11_906;
pub(super) const PAGE_HEIGHT: u32 = 16_838;
pub(super) const MARGIN_TOP: u32 = 1_134;
pub(super) const MARGIN_BOTTOM: u32 = 1_134;
pub(super) const MARGIN_LEFT: u32 = 1_701;
pub(super) const MARGIN_RIGHT: u32 = 851;
pub(super) const TEXT_WIDTH: u32 = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
pub(super) const LANDSCAPE_TEXT_WIDTH: u32 = PAGE_HEIGHT - MARGIN_LEFT - MARGIN_RIGHT;
/// The header's left column (issuing body, number).
pub(super) const HEAD_LEFT: u32 = 3_700;
/// English Metric Units per twip.
pub(super) const EMU_PER_TWIP: u64 = 635;

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
