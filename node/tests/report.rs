//! `nhip report` end to end: the real binary makes a commune's report from its log; the
//! workbook is read back by an independent reader (Python's openpyxl) and the document's
//! package and layout are checked part by part; the same log, unit, period and as-of date give
//! the same bytes; bad input gets a plain message and no file; a submitted report is an item
//! carrying the files' hashes. With `NHIP_TEST_LIBREOFFICE=1`, LibreOffice also renders the
//! document to PDF and pdftoppm to PNG.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::NHIP;
use nhip_engine::Date;
use nhip_engine::report::Period;

fn nhip(data: &Path, args: &[&str]) -> Output {
    Command::new(NHIP)
        .env("NHIP_DATA", data)
        .env_remove("RUST_LOG")
        .args(args)
        .output()
        .unwrap()
}

fn ok(data: &Path, args: &[&str]) -> String {
    let output = nhip(data, args);
    assert!(
        output.status.success(),
        "nhip {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn today() -> Date {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    Date::from_unix_ms(ms)
}

/// A commune office with villages, people, tasks in several states and an indicator.
fn office(root: &Path) -> PathBuf {
    let data = root.join("binh-lu");
    ok(
        &data,
        &["init", "--hub", "--unit", "binh-lu", "--as", "ta-thi-dung"],
    );
    for (unit, name, kind) in [
        ("binh-lu", "Xã Bình Lư", "commune"),
        ("binh-lu/ban-na-ri", "Bản Nà Ri", "village"),
        ("binh-lu/ban-nam-ngap", "Bản Nậm Ngập", "village"),
    ] {
        ok(
            &data,
            &["unit", "add", unit, "--name", name, "--kind", kind],
        );
    }
    for (person, name) in [("lo-van-pao", "Lò Văn Pao"), ("vang-a-sinh", "Vàng A Sinh")] {
        ok(&data, &["person", "add", person, "--name", name]);
    }
    ok(
        &data,
        &[
            "person",
            "role",
            "vang-a-sinh",
            "--unit",
            "binh-lu",
            "--role",
            "chu-tich",
        ],
    );
    let today = today();
    let create = |title: &str, unit: &str, days: i32| -> String {
        let output = ok(
            &data,
            &[
                "task",
                "create",
                "--title",
                title,
                "--unit",
                unit,
                "--assignee",
                "lo-van-pao",
                "--coordinating",
                "binh-lu",
                "--deadline",
                &today.plus_days(days).to_string(),
            ],
        );
        // "Recorded: task (abcd1234)": the short id between the brackets.
        output
            .rsplit_once('(')
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(id, _)| id.to_owned())
            .unwrap_or_else(|| panic!("no id in {output}"))
    };
    let late = create("Phòng, chống dịch tả lợn châu Phi", "binh-lu/ban-na-ri", -3);
    let extended = create("Thu gom rác thải sinh hoạt", "binh-lu/ban-na-ri", 5);
    let done = create("Củng cố chi bộ bản", "binh-lu", 10);
    ok(
        &data,
        &[
            "task",
            "progress",
            &late,
            "40",
            "--note",
            "Đã tiêu độc 20 chuồng",
        ],
    );
    ok(
        &data,
        &[
            "task",
            "extend",
            &extended,
            &today.plus_days(20).to_string(),
            "--reason",
            "Chờ xe thu gom của tỉnh",
        ],
    );
    ok(&data, &["--as", "lo-van-pao", "task", "start", &done]);
    ok(
        &data,
        &[
            "--as",
            "lo-van-pao",
            "task",
            "complete",
            &done,
            "--note",
            "Đã họp chi bộ",
        ],
    );
    ok(
        &data,
        &[
            "indicator",
            "define",
            "thu-gom-rac",
            "--name",
            "Tỷ lệ hộ được thu gom rác thải",
            "--target",
            "100",
        ],
    );
    ok(&data, &["indicator", "report", "thu-gom-rac", "82.5"]);
    data
}

/// The Python interpreter that has openpyxl (Debian's, where pyenv shadows it).
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

fn run_python(script: &str, args: &[&Path]) -> String {
    let output = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs (CI installs python3-openpyxl)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

const READ_XLSX: &str = r#"
import sys, json, datetime, openpyxl
book = openpyxl.load_workbook(sys.argv[1])
out = {"sheets": book.sheetnames}
tasks = book["Nhiệm vụ"]
out["headers"] = [c.value for c in tasks[1]]
out["freeze"] = tasks.freeze_panes
out["paper"] = tasks.page_setup.paperSize
out["orientation"] = tasks.page_setup.orientation
out["print_title_rows"] = tasks.print_title_rows
rows = []
for row in tasks.iter_rows(min_row=2):
    rows.append({
        "title": row[1].value,
        "person": row[2].value,
        "deadline_is_date": isinstance(row[5].value, datetime.datetime),
        "deadline_format": row[5].number_format,
        "progress": row[7].value,
        "progress_format": row[7].number_format,
        "days_late": row[12].value,
        "extensions": row[13].value,
    })
out["rows"] = rows
out["widths"] = {k: v.width for k, v in tasks.column_dimensions.items()}
ext = book["Gia hạn"]
out["reasons"] = [ext.cell(row=2, column=6).value]
ind = book["Chỉ tiêu"]
out["indicator"] = [ind.cell(row=2, column=6).value, ind.cell(row=2, column=7).value, ind.cell(row=2, column=8).value, ind.cell(row=2, column=8).number_format]
summary = book["Tổng hợp"]
out["summary"] = {str(r[0].value): (r[1].value if not isinstance(r[1].value, datetime.datetime) else r[1].value.date().isoformat()) for r in summary.iter_rows(min_row=2)}
print(json.dumps(out, ensure_ascii=False))
"#;

const READ_DOCX: &str = r#"
import sys, json, zipfile
z = zipfile.ZipFile(sys.argv[1])
out = {"names": z.namelist(), "dates": sorted({i.date_time for i in z.infolist()})}
out["document"] = z.read("word/document.xml").decode("utf-8")
out["styles"] = z.read("word/styles.xml").decode("utf-8")
out["png"] = z.read("word/media/chart.png")[:8].hex()
import xml.dom.minidom
for name in z.namelist():
    if name.endswith(".xml") or name.endswith(".rels"):
        xml.dom.minidom.parseString(z.read(name))
print(json.dumps(out, ensure_ascii=False))
"#;

#[test]
fn a_commune_report_is_read_back_by_independent_readers_and_reissued_byte_for_byte() {
    let root = tempfile::tempdir().unwrap();
    let data = office(root.path());
    let today = today();
    let quarter = Period::quarter_of(today).code();
    let as_of = today.to_string();
    let first = root.path().join("lan-1");
    let second = root.path().join("lan-2");
    for out in [&first, &second] {
        let said = ok(
            &data,
            &[
                "report",
                "make",
                "--period",
                &quarter,
                "--as-of",
                &as_of,
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert!(said.contains("Đã lập báo cáo"), "{said}");
    }
    let stem = format!("bao-cao-binh-lu-{quarter}");
    for ext in ["xlsx", "docx"] {
        let a = std::fs::read(first.join(format!("{stem}.{ext}"))).unwrap();
        let b = std::fs::read(second.join(format!("{stem}.{ext}"))).unwrap();
        assert!(a.len() > 1000, "{ext} has content");
        assert!(a == b, "the {ext} is the same byte for byte");
    }

    // The workbook, read by openpyxl.
    let xlsx = first.join(format!("{stem}.xlsx"));
    let book: serde_json::Value = serde_json::from_str(&run_python(READ_XLSX, &[&xlsx])).unwrap();
    let sheets: Vec<&str> = book["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(
        sheets,
        [
            "Tổng hợp",
            "Nhiệm vụ",
            "Hoàn thành trong kỳ",
            "Quá hạn",
            "Gia hạn",
            "Chờ duyệt",
            "Văn bản",
            "Đơn thư",
            "Kiểm tra",
            "Chỉ tiêu",
            "Xung đột",
            "Theo đơn vị",
            "Theo tuần"
        ]
    );
    assert_eq!(
        book["headers"].as_array().unwrap()[..6],
        [
            "STT",
            "Nhiệm vụ",
            "Người thực hiện",
            "Đơn vị chủ trì",
            "Đơn vị phối hợp",
            "Thời hạn"
        ]
        .map(serde_json::Value::from)
    );
    assert_eq!(book["freeze"], "A2");
    assert_eq!(book["paper"], 9, "A4");
    assert_eq!(book["orientation"], "landscape");
    assert_eq!(book["print_title_rows"], "$1:$1");
    let rows = book["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for row in rows {
        assert_eq!(row["deadline_is_date"], true, "{row}");
        assert_eq!(row["deadline_format"], "dd/mm/yyyy");
        assert!(row["progress"].is_number(), "{row}");
        assert_eq!(row["progress_format"], "0.0%");
        assert_eq!(row["person"], "Lò Văn Pao");
    }
    let late = rows
        .iter()
        .find(|row| row["title"] == "Phòng, chống dịch tả lợn châu Phi")
        .unwrap();
    assert_eq!(late["days_late"], 3);
    assert_eq!(late["progress"], 0.4);
    let extended = rows
        .iter()
        .find(|row| row["title"] == "Thu gom rác thải sinh hoạt")
        .unwrap();
    assert_eq!(extended["extensions"], 1);
    assert!(
        book["reasons"][0]
            .as_str()
            .unwrap()
            .contains("Chờ xe thu gom của tỉnh")
    );
    assert_eq!(book["indicator"][0], 100);
    assert_eq!(book["indicator"][1], 82.5);
    assert_eq!(book["indicator"][2], 0.825);
    assert_eq!(book["indicator"][3], "0.0%");
    let summary = &book["summary"];
    assert_eq!(summary["Đơn vị"], "Xã Bình Lư");
    assert_eq!(summary["Nhiệm vụ"], 3);
    assert_eq!(summary["Hoàn thành trong kỳ"], 1);
    assert_eq!(summary["Quá hạn"], 1);
    assert_eq!(summary["Số liệu đến hết ngày"], as_of);
    // The work column is wide enough for its longest title, and no column is absurdly wide.
    let widths = book["widths"].as_object().unwrap();
    assert!(widths["B"].as_f64().unwrap() >= 33.0, "{widths:?}");
    assert!(widths.values().all(|w| w.as_f64().unwrap() <= 62.0));

    // The document: its package, fonts, page and the parts of an official document.
    let docx = first.join(format!("{stem}.docx"));
    let document: serde_json::Value =
        serde_json::from_str(&run_python(READ_DOCX, &[&docx])).unwrap();
    let (year, month, day) = today.to_ymd();
    assert_eq!(
        document["dates"],
        serde_json::json!([[year, month, day, 0, 0, 0]]),
        "every entry is stamped with the as-of date"
    );
    assert_eq!(document["png"], "89504e470d0a1a0a");
    let xml = document["document"].as_str().unwrap();
    for part in [
        "ỦY BAN NHÂN DÂN",
        "XÃ BÌNH LƯ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "/BC-UBND",
        "BÁO CÁO",
        "Nơi nhận:",
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
        "Vàng A Sinh",
        "Cán bộ soạn thảo bổ sung",
        "Phòng, chống dịch tả lợn châu Phi",
        "Chờ xe thu gom của tỉnh",
        "82,5%",
        "PHỤ LỤC",
        "r:embed=\"rIdChart\"",
        "w:w=\"11906\" w:h=\"16838\"",
        "w:left=\"1701\"",
        "w:orient=\"landscape\"",
    ] {
        assert!(xml.contains(part), "the document has {part:?}");
    }
    let long_date = if day < 10 {
        format!("ngày {day:02} tháng")
    } else {
        format!("ngày {day} tháng")
    };
    assert!(xml.contains(&long_date), "{long_date}");
    assert!(
        document["styles"]
            .as_str()
            .unwrap()
            .contains("w:ascii=\"Times New Roman\"")
    );

    // A party body's report follows the party's layout instead.
    let party = root.path().join("dang-uy");
    ok(
        &data,
        &[
            "report",
            "make",
            "--period",
            &quarter,
            "--as-of",
            &as_of,
            "--layout",
            "party",
            "--out",
            party.to_str().unwrap(),
        ],
    );
    let party_document: serde_json::Value = serde_json::from_str(&run_python(
        READ_DOCX,
        &[&party.join(format!("{stem}.docx"))],
    ))
    .unwrap();
    let party_xml = party_document["document"].as_str().unwrap();
    for part in [
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "ĐẢNG ỦY XÃ BÌNH LƯ",
        "-BC/ĐU",
        "T/M ĐẢNG ỦY",
        "BÍ THƯ",
        "Lưu VPĐU",
    ] {
        assert!(
            party_xml.contains(part),
            "the party's document has {part:?}"
        );
    }
    assert!(!party_xml.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));

    // A submitted report is an item of the report workflow carrying both files' hashes.
    let submitted = root.path().join("nop");
    ok(
        &data,
        &[
            "report",
            "submit",
            "--period",
            &quarter,
            "--as-of",
            &as_of,
            "--out",
            submitted.to_str().unwrap(),
        ],
    );
    let items: serde_json::Value = serde_json::from_str(&ok(
        &data,
        &["item", "--workflow", "report", "list", "--json"],
    ))
    .unwrap();
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    let text = items[0].to_string();
    assert!(text.contains("submitted"), "{text}");
    let docx_hash = blake3::hash(&std::fs::read(submitted.join(format!("{stem}.docx"))).unwrap());
    assert!(
        text.contains(&docx_hash.to_hex().to_string()),
        "the item carries the document's hash: {text}"
    );
    // The submitted files are the ones made before: still the same bytes.
    assert_eq!(
        std::fs::read(submitted.join(format!("{stem}.xlsx"))).unwrap(),
        std::fs::read(first.join(format!("{stem}.xlsx"))).unwrap()
    );

    if std::env::var_os("NHIP_TEST_LIBREOFFICE").is_some() {
        render_with_libreoffice(&docx, root.path());
    }
}

/// LibreOffice opens the document, lays it out and prints it; pdftoppm draws its pages.
fn render_with_libreoffice(docx: &Path, dir: &Path) {
    let status = Command::new("soffice")
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir)
        .arg(docx)
        .env("HOME", dir)
        .status()
        .expect("soffice runs");
    assert!(status.success());
    let pdf = dir.join(docx.with_extension("pdf").file_name().unwrap());
    assert!(pdf.exists(), "LibreOffice wrote {}", pdf.display());
    let status = Command::new("pdftoppm")
        .args(["-r", "50", "-png"])
        .arg(&pdf)
        .arg(dir.join("trang"))
        .status()
        .expect("pdftoppm runs");
    assert!(status.success());
    let pages = std::fs::read_dir(dir)
        .unwrap()
        .filter(|entry| {
            let name = entry.as_ref().unwrap().file_name();
            let name = name.to_string_lossy();
            name.starts_with("trang") && name.ends_with(".png")
        })
        .count();
    assert!(
        pages >= 2,
        "the report has a body and an appendix: {pages} pages"
    );
}

#[test]
fn bad_input_gets_a_plain_message_and_no_file() {
    let root = tempfile::tempdir().unwrap();
    let data = office(root.path());
    let today = today();
    let quarter = Period::quarter_of(today).code();
    let out = root.path().join("out");
    let tomorrow = today.plus_days(1).to_string();
    let cases: [(&[&str], &str); 6] = [
        (
            &["--unit", "binh-lu/khong-co", "--period", &quarter],
            "Không có đơn vị binh-lu/khong-co",
        ),
        (
            &["--period", "2025-09-30..2025-07-01"],
            "kết thúc (01/07/2025) trước khi bắt đầu (01/07/2025)",
        ),
        (&["--period", "quý 3"], "không phải kỳ báo cáo"),
        (&["--period", &quarter, "--as-of", &tomorrow], "chưa tới"),
        (
            &["--unit", "binh-lu/ban-nam-ngap", "--period", &quarter],
            "chưa có nhiệm vụ",
        ),
        (
            &["--period", &quarter, "--as-of", "31/02/2025"],
            "31/02/2025",
        ),
    ];
    for (args, expected) in cases {
        let mut line = vec!["report", "make", "--out", out.to_str().unwrap()];
        line.extend_from_slice(args);
        let output = nhip(&data, &line);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        let expected = expected.replace(
            "kết thúc (01/07/2025) trước khi bắt đầu (01/07/2025)",
            "kết thúc (01/07/2025) trước khi bắt đầu (30/09/2025)",
        );
        assert!(stderr.contains(&expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!out.exists(), "no file for {args:?}");
    }
    let output = nhip(
        &data,
        &["report", "make", "--period", &quarter, "--layout", "dang"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("state (cơ quan nhà nước)"));
    // In English too.
    let output = nhip(
        &data,
        &[
            "--lang",
            "en",
            "report",
            "make",
            "--unit",
            "binh-lu/khong-co",
            "--period",
            &quarter,
        ],
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("No unit binh-lu/khong-co"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
