//! The `nhip` command end to end: the real binary, real data folders, real QUIC on loopback.
//! Each test is what an office would type, and checks what it would see.
//!
//! Every scenario runs twice (see [`in_both_modes`]): once with each command opening the node's
//! log itself, and once with the node running (`nhip serve`, started for each node as soon as
//! it exists), so that every command goes through the running node's socket — same words, same
//! JSON, same exit codes.

mod common;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use common::{NHIP, invite_binh_lu, spawn_serve, strs, write_appendix};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// How the commands of a scenario reach their node.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// Each command opens the log itself (no node runs).
    Direct,
    /// Each node runs; commands go through its socket.
    Running,
}

thread_local! {
    static MODE: Cell<Mode> = const { Cell::new(Mode::Direct) };
    /// The nodes this scenario started so that its commands find them running.
    static STARTED: RefCell<BTreeMap<PathBuf, Child>> = const { RefCell::new(BTreeMap::new()) };
}

/// Runs `scenario` with its commands reaching their nodes in `mode`; every node it started is
/// stopped afterwards, whether the scenario passed or not.
fn in_mode(mode: Mode, scenario: fn()) {
    struct StopAll;
    impl Drop for StopAll {
        fn drop(&mut self) {
            STARTED.with(|started| {
                for (_, mut child) in std::mem::take(&mut *started.borrow_mut()) {
                    let _ = child.kill();
                    let _ = child.wait();
                }
            });
        }
    }
    MODE.with(|current| current.set(mode));
    let _stop = StopAll;
    scenario();
}

/// One `#[test]` per scenario and mode: `direct::NAME` and `through_the_running_node::NAME`.
macro_rules! in_both_modes {
    ($($scenario:ident),* $(,)?) => {
        mod direct {
            $(#[test] fn $scenario() { super::in_mode(super::Mode::Direct, super::$scenario) })*
        }
        mod through_the_running_node {
            $(#[test] fn $scenario() { super::in_mode(super::Mode::Running, super::$scenario) })*
        }
    };
}

in_both_modes!(
    an_office_joins_syncs_and_works_through_its_tasks,
    mistakes_get_plain_errors_and_exit_codes,
    the_appendix_imports_all_or_nothing_and_exports_for_excel,
    the_appendix_imports_from_a_spreadsheet_too,
    indicators_workflows_and_revocation,
    an_auditor_verifies_reads_history_and_holds_the_parent_to_its_receipts,
    a_backlog_crosses_a_lossy_slow_link_that_is_cut_and_restored,
    a_village_enrolled_before_its_communes_next_sync_reaches_the_hub,
);

/// Whether `nhip ARGS` is a command a running node executes (as `nhip` itself decides).
fn goes_to_running_node(args: &[&str]) -> bool {
    let command = args
        .iter()
        .enumerate()
        .find(|(at, arg)| !arg.starts_with('-') && (*at == 0 || args[at - 1] != "--as"))
        .map(|(_, arg)| *arg);
    !matches!(
        command,
        None | Some("init" | "join" | "serve" | "demo" | "replay")
    )
}

/// In [`Mode::Running`], makes sure the node in `data` (if there is one) runs.
fn ensure_running(data: &Path) {
    if MODE.with(Cell::get) != Mode::Running || !data.join("config.toml").exists() {
        return;
    }
    if STARTED.with(|started| started.borrow().contains_key(data)) {
        return;
    }
    let mut command = Command::new(NHIP);
    command.arg("--data").arg(data).args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--dashboard",
        "off",
    ]);
    let (child, line) = spawn_serve(command);
    // A node that cannot start (a damaged folder) says so to the command, run directly.
    if !line.is_empty() {
        STARTED.with(|started| started.borrow_mut().insert(data.to_owned(), child));
    }
}

/// Stops the node this scenario started in `data`, if any (before a `serve` of the test's own).
fn stop_started(data: &Path) {
    if let Some(mut child) = STARTED.with(|started| started.borrow_mut().remove(data)) {
        let _ = child.kill();
        let _ = child.wait();
    }
}

fn nhip(data: &Path, args: &[&str]) -> Run {
    if goes_to_running_node(args) {
        ensure_running(data);
    }
    let output: Output = Command::new(NHIP)
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("NHIP_DATA")
        .env_remove("RUST_LOG")
        .output()
        .expect("the nhip binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn ok(data: &Path, args: &[&str]) -> String {
    let run = nhip(data, args);
    assert_eq!(
        run.code, 0,
        "nhip {args:?} failed:\n{}\n{}",
        run.stdout, run.stderr
    );
    run.stdout
}

fn json(data: &Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(data, args)).expect("valid JSON")
}

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `nhip serve` in the background (the test's own, on the node's configured address); killed
/// on drop.
struct Serving {
    _running: common::Running,
}

impl Serving {
    fn start(data: &Path) -> Serving {
        stop_started(data);
        Serving {
            _running: common::Running::start(data, &[]),
        }
    }
}

/// A hub at `lai-chau` with its leader, and an invitation for Bình Lư commune.
fn hub(root: &Path) -> (PathBuf, PathBuf) {
    let hub = root.join("hub");
    let listen = format!("127.0.0.1:{}", free_port());
    let out = ok(
        &hub,
        &[
            "init",
            "--hub",
            "--unit",
            "lai-chau",
            "--name",
            "Tỉnh Lai Châu",
            "--as",
            "admin-tinh",
            "--listen",
            &listen,
        ],
    );
    assert!(out.contains("lai-chau"));
    ok(
        &hub,
        &[
            "person",
            "add",
            "nguyen-ngoc-vinh",
            "--name",
            "Nguyễn Ngọc Vinh",
        ],
    );
    ok(
        &hub,
        &[
            "person",
            "role",
            "nguyen-ngoc-vinh",
            "--unit",
            "lai-chau",
            "--role",
            "lanh-dao",
        ],
    );
    let invite = root.join("moi-binh-lu.toml");
    let out = ok(&hub, &strs(&invite_binh_lu(&invite)));
    assert!(out.contains("lai-chau/binh-lu"), "{out}");
    (hub, invite)
}

fn an_office_joins_syncs_and_works_through_its_tasks() {
    let root = tempfile::tempdir().unwrap();
    let (hub, invite) = hub(root.path());
    let serving = Serving::start(&hub);

    // A second `serve` on the same folder is refused clearly.
    let second = nhip(&hub, &["serve"]);
    assert_eq!(second.code, 4, "{}", second.stderr);
    assert!(
        second.stderr.contains("tiến trình nhip khác"),
        "{}",
        second.stderr
    );

    let commune = root.path().join("binh-lu");
    let out = ok(
        &commune,
        &["join", invite.to_str().unwrap(), "--as", "ta-thi-dung"],
    );
    assert!(out.contains("lai-chau/binh-lu"), "{out}");
    // The invitation works once: with none open, a stranger's key fails the handshake.
    let stranger = root.path().join("stranger");
    let again = nhip(
        &stranger,
        &["join", invite.to_str().unwrap(), "--as", "ke-la"],
    );
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(again.stderr.contains("từ chối"), "{}", again.stderr);

    let out = ok(&commune, &["sync"]);
    assert!(out.contains("Đồng bộ xong"), "{out}");
    let status = json(&commune, &["status", "--json"]);
    assert_eq!(status["unit"], "lai-chau/binh-lu");
    assert!(
        status["parent"]["addr"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1")
    );

    // The commune registers a village and its people (the hub made ta-thi-dung its administrator).
    ok(
        &commune,
        &[
            "unit",
            "add",
            "lai-chau/binh-lu/ban-na-ri",
            "--name",
            "Bản Nà Ri",
            "--kind",
            "village",
        ],
    );
    for (code, name) in [
        ("nguyen-tien-thinh", "Nguyễn Tiến Thịnh"),
        ("lo-van-pao", "Lò Văn Pao"),
    ] {
        ok(&commune, &["person", "add", code, "--name", name]);
    }
    ok(
        &commune,
        &[
            "person",
            "role",
            "nguyen-tien-thinh",
            "--unit",
            "lai-chau/binh-lu",
            "--role",
            "bi-thu",
        ],
    );
    ok(
        &commune,
        &[
            "person",
            "role",
            "lo-van-pao",
            "--unit",
            "lai-chau/binh-lu/ban-na-ri",
            "--role",
            "truong-ban",
        ],
    );
    let people = json(&commune, &["person", "list", "--json"]);
    assert!(people.as_array().unwrap().len() >= 3);

    // A task, through its life. Dates are accepted both ways.
    let out = ok(
        &commune,
        &[
            "task",
            "create",
            "--title",
            "Phòng, chống dịch tả lợn châu Phi",
            "--unit",
            "lai-chau/binh-lu/ban-na-ri",
            "--lead",
            "lai-chau/binh-lu",
            "--assignee",
            "lo-van-pao",
            "--deadline",
            "31/12/2099",
        ],
    );
    let id = out
        .trim()
        .rsplit('(')
        .next()
        .unwrap()
        .trim_end_matches(')')
        .to_owned();
    let list = json(&commune, &["task", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(
        list[0]["item"]["deadline"],
        serde_json::json!(Date_2099_12_31)
    );
    // Search ignores diacritics and case.
    assert!(ok(&commune, &["task", "list", "--search", "CHONG DICH"]).contains("dịch tả"));
    assert!(ok(&commune, &["task", "list", "--search", "xyz"]).is_empty());

    ok(&commune, &["--as", "lo-van-pao", "task", "start", &id]);
    ok(
        &commune,
        &[
            "--as",
            "lo-van-pao",
            "task",
            "progress",
            &id,
            "70",
            "--note",
            "Đã tiêm 120 hộ",
        ],
    );
    ok(&commune, &["--as", "lo-van-pao", "task", "submit", &id]);
    // A refusal says why; the secretary sends it back, then approves.
    let refused = nhip(&commune, &["--as", "lo-van-pao", "task", "approve", &id]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("Nguyễn Tiến Thịnh"),
        "{}",
        refused.stderr
    );
    ok(
        &commune,
        &[
            "--as",
            "nguyen-tien-thinh",
            "task",
            "reject",
            &id,
            "--note",
            "Bổ sung số liệu",
        ],
    );
    ok(&commune, &["--as", "lo-van-pao", "task", "submit", &id]);
    ok(
        &commune,
        &["--as", "nguyen-tien-thinh", "task", "comment", &id, "Tốt"],
    );
    ok(
        &commune,
        &["--as", "nguyen-tien-thinh", "task", "approve", &id],
    );
    let shown = json(&commune, &["task", "show", &id, "--json"]);
    assert_eq!(shown["item"]["state"], "done");
    assert!(ok(&commune, &["task", "show", &id]).contains("Hoàn thành"));

    // A second task: extended with a reason, then cancelled.
    let out = ok(
        &commune,
        &[
            "task",
            "create",
            "--title",
            "Thu gom rác",
            "--deadline",
            "2099-06-30",
        ],
    );
    let second = out
        .trim()
        .rsplit('(')
        .next()
        .unwrap()
        .trim_end_matches(')')
        .to_owned();
    ok(
        &commune,
        &[
            "--as",
            "nguyen-tien-thinh",
            "task",
            "extend",
            &second,
            "30/09/2099",
            "--reason",
            "Mưa lũ",
        ],
    );
    ok(
        &commune,
        &[
            "--as",
            "nguyen-tien-thinh",
            "task",
            "cancel",
            &second,
            "--note",
            "Gộp đề án",
        ],
    );
    let after = nhip(
        &commune,
        &["--as", "nguyen-tien-thinh", "task", "complete", &second],
    );
    assert_eq!(after.code, 1, "a finished task takes no more steps");

    // Everything goes up to the hub.
    assert!(ok(&commune, &["sync"]).contains("Đồng bộ xong"));
    drop(serving);
    let at_hub = json(&hub, &["task", "list", "--unit", "lai-chau", "--json"]);
    assert_eq!(at_hub.as_array().unwrap().len(), 2);
}

/// Found in testing: a commune that had never synced could admit a village without recording
/// its enrollment, and the hub then refused the village's work while every sync said "done".
/// Now joining brings the registry down at once, a parent that cannot record an enrollment
/// refuses the child, and a refused chain fails the sync loudly.
fn a_village_enrolled_before_its_communes_next_sync_reaches_the_hub() {
    let root = tempfile::tempdir().unwrap();
    let (hub, invite) = hub(root.path());
    let serving_hub = Serving::start(&hub);
    let commune = root.path().join("binh-lu");
    let out = ok(
        &commune,
        &["join", invite.to_str().unwrap(), "--as", "ta-thi-dung"],
    );
    assert!(out.contains("Đồng bộ xong"), "joining syncs at once: {out}");
    // The hub goes offline; the commune carries on and admits its village.
    drop(serving_hub);
    let port = free_port();
    let config = commune.join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("0.0.0.0:7411", &format!("127.0.0.1:{port}")),
    )
    .unwrap();
    stop_started(&commune);
    let village_invite = root.path().join("moi-ban-na-ri.toml");
    ok(
        &commune,
        &[
            "invite",
            "--unit",
            "lai-chau/binh-lu/ban-na-ri",
            "--name",
            "Bản Nà Ri",
            "--admin",
            "lo-van-pao",
            "--admin-name",
            "Lò Văn Pao",
            "--out",
            village_invite.to_str().unwrap(),
        ],
    );
    let serving_commune = Serving::start(&commune);
    let village = root.path().join("ban-na-ri");
    ok(
        &village,
        &[
            "join",
            village_invite.to_str().unwrap(),
            "--as",
            "lo-van-pao",
        ],
    );
    ok(
        &village,
        &[
            "task",
            "create",
            "--title",
            "Sửa đường vào bản",
            "--deadline",
            "31/12/2099",
        ],
    );
    ok(&village, &["sync"]);
    drop(serving_commune);
    // The hub is back: the commune's next sync carries the village's work up, and the hub takes it.
    let _serving_hub = Serving::start(&hub);
    let synced = nhip(&commune, &["sync"]);
    assert_eq!(synced.code, 0, "{}\n{}", synced.stdout, synced.stderr);
    let at_hub = json(
        &hub,
        &[
            "task",
            "list",
            "--unit",
            "lai-chau/binh-lu/ban-na-ri",
            "--json",
        ],
    );
    assert_eq!(at_hub.as_array().unwrap().len(), 1, "{at_hub}");
    assert_eq!(at_hub[0]["item"]["title"], "Sửa đường vào bản", "{at_hub}");
}

#[allow(non_upper_case_globals)]
const Date_2099_12_31: i64 = 47_481;

fn mistakes_get_plain_errors_and_exit_codes() {
    let root = tempfile::tempdir().unwrap();
    let nowhere = root.path().join("nowhere");
    let none = nhip(&nowhere, &["status"]);
    assert_eq!(none.code, 3);
    assert!(none.stderr.contains("nhip init"), "{}", none.stderr);
    assert!(!none.stderr.contains("panicked"));

    let office = root.path().join("office");
    ok(
        &office,
        &["init", "--hub", "--unit", "xa-thu", "--as", "can-bo"],
    );
    let again = nhip(&office, &["init", "--unit", "xa-thu", "--as", "can-bo"]);
    assert_eq!(again.code, 1);
    let bad_date = nhip(
        &office,
        &[
            "task",
            "create",
            "--title",
            "Việc",
            "--deadline",
            "31-12-2025",
        ],
    );
    assert_eq!(bad_date.code, 1);
    assert!(
        bad_date.stderr.contains("2025-12-31 hoặc 31/12/2025"),
        "{}",
        bad_date.stderr
    );
    let unknown = nhip(&office, &["task", "show", "abcdef12"]);
    assert_eq!(unknown.code, 1);
    let bad_unit = nhip(&office, &["unit", "add", "Xa Thu", "--name", "x"]);
    assert_eq!(bad_unit.code, 1);
    // English on request.
    let english = nhip(
        &office,
        &[
            "--lang",
            "en",
            "task",
            "create",
            "--title",
            "x",
            "--deadline",
            "tomorrow",
        ],
    );
    assert!(english.stderr.starts_with("Error:"), "{}", english.stderr);
    assert!(
        english.stderr.contains("is not a date"),
        "{}",
        english.stderr
    );
    // A damaged configuration is named, not a panic (the node is stopped when it is damaged).
    stop_started(&office);
    std::fs::write(office.join("config.toml"), "unit = [").unwrap();
    let damaged = nhip(&office, &["status"]);
    assert_eq!(damaged.code, 3, "{}", damaged.stderr);
    assert!(damaged.stderr.contains("config.toml"), "{}", damaged.stderr);
    // Usage errors are clap's, code 2.
    assert_eq!(nhip(&office, &["task", "frobnicate"]).code, 2);
}

fn the_appendix_imports_all_or_nothing_and_exports_for_excel() {
    let root = tempfile::tempdir().unwrap();
    let office = root.path().join("office");
    ok(
        &office,
        &["init", "--hub", "--unit", "binh-lu", "--as", "ta-thi-dung"],
    );
    let bad = root.path().join("phu-luc-loi.csv");
    std::fs::write(
        &bad,
        "\u{feff}Công việc,Người thực hiện,Đơn vị chủ trì,Đơn vị phối hợp,Thời hạn\n\
         Phòng chống dịch tả lợn châu Phi,lo-van-pao,binh-lu/ban-na-ri,binh-lu/ubnd,31/12/2099\n\
         Thu gom rác thải,lo-van-pao,binh-lu/ban-na-ri,,31/02/2099\n\
         ,tao-van-khanh,binh-lu/ban-phin,,2099-12-01\n",
    )
    .unwrap();
    let refused = nhip(&office, &["import", bad.to_str().unwrap()]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("Dòng 3"), "{}", refused.stderr);
    assert!(refused.stderr.contains("Dòng 4"), "{}", refused.stderr);
    assert!(!refused.stderr.contains("Dòng 2:"), "{}", refused.stderr);
    assert_eq!(
        json(&office, &["task", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        0,
        "nothing imported"
    );

    let good = root.path().join("phu-luc.csv");
    std::fs::write(
        &good,
        "Công việc,Người thực hiện,Đơn vị chủ trì,Đơn vị phối hợp,Thời hạn\n\
         Phòng chống dịch tả lợn châu Phi,lo-van-pao,binh-lu/ban-na-ri,binh-lu/ubnd;binh-lu/mttq,31/12/2099\n\
         Thu gom rác thải sinh hoạt,lo-van-pao,binh-lu/ban-na-ri,,2099-12-15\n\
         Củng cố chi bộ yếu kém,tao-van-khanh,binh-lu/ban-phin,,2099-12-01\n",
    )
    .unwrap();
    assert!(ok(&office, &["import", good.to_str().unwrap()]).contains('3'));
    let tasks = json(&office, &["task", "list", "--json"]);
    assert_eq!(tasks.as_array().unwrap().len(), 3);

    let out = root.path().join("xuat.csv");
    ok(&office, &["export", "--out", out.to_str().unwrap()]);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with('\u{feff}'), "Excel needs the BOM");
    assert!(text.contains("Phòng chống dịch tả lợn châu Phi"));
    assert!(text.contains("binh-lu/ubnd; binh-lu/mttq"));
    // The export imports back: the same works, people and deadlines.
    let again = root.path().join("again");
    ok(
        &again,
        &["init", "--hub", "--unit", "binh-lu", "--as", "ta-thi-dung"],
    );
    let round = root.path().join("round.csv");
    let mut reordered =
        String::from("Công việc,Người thực hiện,Đơn vị chủ trì,Đơn vị phối hợp,Thời hạn\n");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    for record in reader.records() {
        let record = record.unwrap();
        reordered.push_str(&format!(
            "{},{},{},\"{}\",{}\n",
            &record[1], &record[7], &record[5], &record[6], &record[8]
        ));
    }
    std::fs::write(&round, reordered).unwrap();
    ok(&again, &["import", round.to_str().unwrap()]);
    let before: Vec<String> = titles(&json(&office, &["task", "list", "--json"]));
    let after: Vec<String> = titles(&json(&again, &["task", "list", "--json"]));
    assert_eq!(before, after);

    let lines = ok(&office, &["export", "--format", "jsonl"]);
    assert_eq!(lines.lines().count(), 3);
}

/// Writes a workbook as an office would: a title line, a header row, then rows whose deadline
/// is an Excel date cell, or (`None`) typed as the text "01/12/2099".
fn workbook(path: &Path, rows: &[[&str; 4]], deadlines: &[Option<(u16, u8, u8)>]) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    sheet
        .write_string(0, 0, "PHỤ LỤC NHIỆM VỤ NĂM 2099")
        .unwrap();
    for (column, name) in [
        "Công việc",
        "Người thực hiện",
        "Đơn vị chủ trì",
        "Đơn vị phối hợp",
        "Thời hạn",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(1, column as u16, *name).unwrap();
    }
    for (index, (row, deadline)) in rows.iter().zip(deadlines).enumerate() {
        let at = index as u32 + 2;
        for (column, value) in row.iter().enumerate() {
            sheet.write_string(at, column as u16, *value).unwrap();
        }
        if let Some((year, month, day)) = deadline {
            let when = rust_xlsxwriter::ExcelDateTime::from_ymd(*year, *month, *day).unwrap();
            sheet
                .write_datetime_with_format(at, 4, &when, &date)
                .unwrap();
        } else {
            sheet.write_string(at, 4, "01/12/2099").unwrap();
        }
    }
    book.save(path).unwrap();
}

fn the_appendix_imports_from_a_spreadsheet_too() {
    let root = tempfile::tempdir().unwrap();
    let office = root.path().join("office");
    ok(
        &office,
        &["init", "--hub", "--unit", "binh-lu", "--as", "ta-thi-dung"],
    );
    // A bad row (an unknown unit path) refuses the whole sheet, naming the row as the sheet
    // numbers it (a title line, the header, then the rows: the second row is line 4).
    let bad = root.path().join("phu-luc-loi.xlsx");
    workbook(
        &bad,
        &[
            [
                "Phòng chống dịch tả lợn châu Phi",
                "lo-van-pao",
                "binh-lu/ban-na-ri",
                "binh-lu/ubnd",
            ],
            ["Thu gom rác thải", "lo-van-pao", "Bản Nà Ri", ""],
        ],
        &[Some((2099, 12, 31)), Some((2099, 12, 15))],
    );
    let refused = nhip(&office, &["import", bad.to_str().unwrap()]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("Dòng 4"), "{}", refused.stderr);
    assert!(!refused.stderr.contains("Dòng 3:"), "{}", refused.stderr);
    assert_eq!(
        json(&office, &["task", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let good = root.path().join("phu-luc.xlsx");
    workbook(
        &good,
        &[
            [
                "Phòng chống dịch tả lợn châu Phi",
                "lo-van-pao",
                "binh-lu/ban-na-ri",
                "binh-lu/ubnd; binh-lu/mttq",
            ],
            [
                "Củng cố chi bộ yếu kém",
                "tao-van-khanh",
                "binh-lu/ban-phin",
                "",
            ],
        ],
        &[Some((2099, 12, 31)), None],
    );
    assert!(ok(&office, &["import", good.to_str().unwrap()]).contains('2'));
    let tasks = json(&office, &["task", "list", "--json"]);
    // Deadlines are days since 1970-01-01: 47481 is 2099-12-31 (an Excel date cell), 47451 is
    // 2099-12-01 (typed as text).
    let titles = titles(&tasks);
    assert!(
        titles.contains(&"\"Phòng chống dịch tả lợn châu Phi\"|\"lo-van-pao\"|47481".to_owned()),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"\"Củng cố chi bộ yếu kém\"|\"tao-van-khanh\"|47451".to_owned()),
        "{titles:?}"
    );

    // Not a workbook at all: a clear error, nothing imported, no panic.
    let broken = root.path().join("hong.xlsx");
    std::fs::write(&broken, "this is not a zip").unwrap();
    let run = nhip(&office, &["import", broken.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("hong.xlsx"), "{}", run.stderr);
    assert_eq!(
        json(&office, &["task", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

fn titles(list: &serde_json::Value) -> Vec<String> {
    let mut titles: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            format!(
                "{}|{}|{}",
                row["item"]["title"], row["item"]["assignee"], row["item"]["deadline"]
            )
        })
        .collect();
    titles.sort();
    titles
}

fn indicators_workflows_and_revocation() {
    let root = tempfile::tempdir().unwrap();
    let (hub, invite) = hub(root.path());
    ok(
        &hub,
        &[
            "indicator",
            "define",
            "thu-gom-rac",
            "--name",
            "Tỷ lệ thu gom rác",
            "--target",
            "100",
        ],
    );
    ok(
        &hub,
        &[
            "--as",
            "admin-tinh",
            "indicator",
            "report",
            "thu-gom-rac",
            "82.5",
        ],
    );
    let indicators = json(&hub, &["indicator", "list", "--json"]);
    assert_eq!(indicators["thu-gom-rac"]["value_milli"], 82_500);
    assert!(ok(&hub, &["indicator", "list"]).contains("82.5"));

    let list = ok(&hub, &["workflow", "list"]);
    for id in ["task", "document", "budget", "petition", "inspection"] {
        assert!(list.contains(id), "{list}");
    }
    assert!(ok(&hub, &["workflow", "show", "budget"]).contains("hub_approve"));
    let custom = root.path().join("doi-thoai.toml");
    std::fs::write(
        &custom,
        "id = \"doi-thoai\"\nversion = 1\nname = \"Đối thoại\"\ninitial = \"planned\"\n\n[[states]]\nid = \"planned\"\nname = \"Đã lên lịch\"\n\n[[states]]\nid = \"held\"\nname = \"Đã tổ chức\"\nfinal = true\n\n[[transitions]]\nid = \"hold\"\nfrom = [\"planned\"]\nto = \"held\"\nroles = [\"quan-tri\"]\n",
    )
    .unwrap();
    ok(&hub, &["workflow", "publish", custom.to_str().unwrap()]);
    let out = ok(
        &hub,
        &[
            "item",
            "--workflow",
            "doi-thoai",
            "create",
            "--title",
            "Đối thoại quý IV",
        ],
    );
    let id = out
        .trim()
        .rsplit('(')
        .next()
        .unwrap()
        .trim_end_matches(')')
        .to_owned();
    ok(&hub, &["item", "fire", &id, "hold"]);
    let shown = json(&hub, &["item", "show", &id, "--json"]);
    assert_eq!(shown["item"]["state"], "held");
    std::fs::write(&custom, "id = \"x\"\nversion = 1\nname = \"x\"\ninitial = \"nowhere\"\n[[states]]\nid=\"a\"\nname=\"a\"\n[[transitions]]\nid=\"t\"\nfrom=[\"a\"]\nto=\"a\"\nroles=[\"x\"]\n").unwrap();
    let invalid = nhip(&hub, &["workflow", "publish", custom.to_str().unwrap()]);
    assert_eq!(invalid.code, 1);
    assert!(invalid.stderr.contains("line 4"), "{}", invalid.stderr);

    // A revoked child can no longer connect.
    let serving = Serving::start(&hub);
    let commune = root.path().join("binh-lu");
    ok(
        &commune,
        &["join", invite.to_str().unwrap(), "--as", "ta-thi-dung"],
    );
    ok(&commune, &["sync"]);
    drop(serving);
    let revoked = ok(&hub, &["revoke", "lai-chau/binh-lu"]);
    assert!(revoked.contains("lai-chau/binh-lu"), "{revoked}");
    let _serving = Serving::start(&hub);
    let started = Instant::now();
    let refused = nhip(&commune, &["sync"]);
    assert_eq!(refused.code, 5, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("not an enrolled child"),
        "{}",
        refused.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn the_demo_tells_its_story_and_exits() {
    let run = Command::new(NHIP)
        .args(["demo", "--exit"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(out.contains("Xung đột / conflict"), "{out}");
    assert!(out.contains("Bản Nà Ri"), "{out}");
    let hashes: Vec<&str> = out
        .lines()
        .filter(|line| line.contains("state hash"))
        .map(|line| line.rsplit(' ').next().unwrap())
        .collect();
    assert_eq!(hashes.len(), 2);
    assert_eq!(hashes[0], hashes[1], "hub and commune agree");
}

fn an_auditor_verifies_reads_history_and_holds_the_parent_to_its_receipts() {
    let root = tempfile::tempdir().unwrap();
    let (hub, invite) = hub(root.path());
    let serving = Serving::start(&hub);
    let commune = root.path().join("binh-lu");
    ok(
        &commune,
        &["join", invite.to_str().unwrap(), "--as", "ta-thi-dung"],
    );
    let out = ok(
        &commune,
        &[
            "task",
            "create",
            "--title",
            "Đôn đốc chi bộ",
            "--deadline",
            "2099-01-31",
        ],
    );
    let task = out
        .trim()
        .rsplit('(')
        .next()
        .unwrap()
        .trim_end_matches(')')
        .to_owned();
    ok(&commune, &["task", "comment", &task, "Khẩn trương"]);
    let before = json(&commune, &["status", "--json"]);
    // A running node pushes its events up at once; a stopped one keeps them until a sync.
    if MODE.with(Cell::get) == Mode::Direct {
        assert!(before["pending_up"].as_u64().unwrap() >= 2, "{before}");
    }
    ok(&commune, &["sync"]);
    let after = json(&commune, &["status", "--json"]);
    assert_eq!(after["pending_up"], 0, "{after}");
    assert!(
        after["sync"]["last_success_ms"].as_u64().is_some(),
        "{after}"
    );
    drop(serving);

    // Every event, for an auditor's own tools.
    let events = ok(&commune, &["export", "--events", "--format", "jsonl"]);
    assert!(events.lines().count() >= 3);
    assert!(events.contains("\"kind\":\"item.commented\""), "{events}");

    // The commune keeps the hub's signed receipts.
    let receipts = json(&commune, &["audit", "receipts", "--json"]);
    assert!(!receipts.as_array().unwrap().is_empty());
    assert!(
        receipts
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["valid"] == true)
    );

    // An auditor takes a copy of the hub's log and verifies it, read-only.
    let copy = root.path().join("hub-copy.redb");
    std::fs::copy(hub.join("log.redb"), &copy).unwrap();
    let before = std::fs::read(&copy).unwrap();
    let report = json(
        &commune,
        &["audit", "verify", copy.to_str().unwrap(), "--json"],
    );
    assert_eq!(report["problems"].as_array().unwrap().len(), 0, "{report}");
    assert!(report["state_hash"].is_string());
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        before,
        "verification never writes"
    );
    assert!(ok(&commune, &["audit", "verify"]).contains("Không phát hiện sai lệch"));

    // The hub's log holds everything it acknowledged; a log that lacks it is caught.
    let receipts_file = commune.join("receipts.jsonl");
    ok(
        &commune,
        &[
            "audit",
            "check-receipts",
            receipts_file.to_str().unwrap(),
            "--against",
            copy.to_str().unwrap(),
        ],
    );
    let other = root.path().join("other");
    ok(
        &other,
        &["init", "--hub", "--unit", "lai-chau", "--as", "admin-tinh"],
    );
    let hiding = nhip(
        &commune,
        &[
            "audit",
            "check-receipts",
            receipts_file.to_str().unwrap(),
            "--against",
            other.join("log.redb").to_str().unwrap(),
        ],
    );
    assert_eq!(hiding.code, 7, "{}{}", hiding.stdout, hiding.stderr);
    assert!(hiding.stdout.contains("THIẾU"), "{}", hiding.stdout);

    // History: who, what, when written, when received, from which node.
    let history = json(&hub, &["audit", "history", &task, "--json"]);
    let rows = history.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["actor"], "ta-thi-dung");
    assert!(rows[1]["received_ms"].as_u64().unwrap() >= rows[1]["written_ms"].as_u64().unwrap());
    assert!(ok(&hub, &["audit", "history", "--person", "ta-thi-dung"]).contains("item.commented"));

    // The state as it was: nothing before the year 2000, everything known by 2099.
    let then = json(
        &hub,
        &["audit", "replay", "--as-of", "01/01/2000", "--json"],
    );
    assert_eq!(then["events"], 0);
    let now = json(
        &hub,
        &["audit", "replay", "--known-at", "2099-12-31", "--json"],
    );
    assert!(now["events"].as_u64().unwrap() > 0);
    assert_eq!(now["items"].as_array().unwrap().len(), 1);
}

#[test]
fn a_damaged_log_is_reported_not_trusted() {
    let root = tempfile::tempdir().unwrap();
    let office = root.path().join("office");
    ok(
        &office,
        &["init", "--hub", "--unit", "xa-thu", "--as", "can-bo"],
    );
    for n in 0..30 {
        ok(
            &office,
            &[
                "task",
                "create",
                "--title",
                &format!("Việc số {n}"),
                "--deadline",
                "2026-12-31",
            ],
        );
    }
    let log = office.join("log.redb");
    let whole = std::fs::read(&log).unwrap();
    let copy = root.path().join("copy.redb");
    std::fs::write(&copy, &whole).unwrap();

    // Bytes flipped in the middle of the file, where the events are.
    let mut damaged = whole.clone();
    let at = damaged.len() / 2;
    for byte in &mut damaged[at..at + 256] {
        *byte ^= 0x5a;
    }
    std::fs::write(&log, &damaged).unwrap();
    for args in [&["status"][..], &["task", "list"], &["audit", "verify"]] {
        let run = nhip(&office, args);
        assert_ne!(run.code, 0, "{args:?} trusted a damaged log");
        assert!(run.stderr.contains("bị hỏng"), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{args:?}: {}", run.stderr);
    }
    // The auditor's copy of the good file still verifies.
    let verified = nhip(&office, &["audit", "verify", copy.to_str().unwrap()]);
    assert_eq!(verified.code, 0, "{}", verified.stderr);

    // Truncated to half: refused as clearly.
    std::fs::write(&log, &whole[..whole.len() / 2]).unwrap();
    let run = nhip(&office, &["status"]);
    assert_ne!(run.code, 0);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

/// A datagram held by the relay: when to deliver it, whether it goes up, its bytes.
type Datagram = (Instant, bool, Vec<u8>);

/// A UDP relay between a child and its parent that does what a mountain link does: drops 30 % of
/// datagrams each way, delays each by up to 800 ms (so they also arrive out of order),
/// duplicates some, and cuts the link entirely for a while. Faults come from a seed.
struct BadLink {
    addr: std::net::SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
    /// Datagrams received, dropped, duplicated.
    counts: std::sync::Arc<[std::sync::atomic::AtomicU64; 3]>,
}

impl BadLink {
    fn start(parent: std::net::SocketAddr, seed: u64, cut: std::ops::Range<Duration>) -> BadLink {
        use std::net::UdpSocket;
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        use std::sync::{Arc, Mutex};

        let front = UdpSocket::bind("127.0.0.1:0").unwrap();
        let back = UdpSocket::bind("127.0.0.1:0").unwrap();
        back.connect(parent).unwrap();
        for socket in [&front, &back] {
            socket
                .set_read_timeout(Some(Duration::from_millis(20)))
                .unwrap();
        }
        let addr = front.local_addr().unwrap();
        let (front, back) = (Arc::new(front), Arc::new(back));
        let child: Arc<Mutex<Option<std::net::SocketAddr>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let counts: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
        // (when, up or down, bytes), delivered by one thread in time order.
        let queue: Arc<Mutex<Vec<Datagram>>> = Arc::default();
        let started = Instant::now();
        let mut threads = Vec::new();
        for up in [true, false] {
            let (from, queue, stop, child, counts) = (
                if up { front.clone() } else { back.clone() },
                queue.clone(),
                stop.clone(),
                child.clone(),
                counts.clone(),
            );
            let cut = cut.clone();
            let mut state = seed ^ u64::from(up).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            threads.push(std::thread::spawn(move || {
                let mut next = move || {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state
                };
                let mut buffer = vec![0u8; 65_536];
                while !stop.load(Ordering::Relaxed) {
                    let Ok((len, source)) = from.recv_from(&mut buffer) else {
                        continue;
                    };
                    if up {
                        *child.lock().unwrap() = Some(source);
                    }
                    counts[0].fetch_add(1, Ordering::Relaxed);
                    if cut.contains(&started.elapsed()) || next() % 100 < 30 {
                        counts[1].fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    let copies = if next() % 100 < 5 { 2 } else { 1 };
                    counts[2].fetch_add(copies - 1, Ordering::Relaxed);
                    for _ in 0..copies {
                        let delay = Duration::from_millis(next() % 801);
                        queue.lock().unwrap().push((
                            Instant::now() + delay,
                            up,
                            buffer[..len].to_vec(),
                        ));
                    }
                }
            }));
        }
        {
            let (queue, stop) = (queue.clone(), stop.clone());
            threads.push(std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let due: Vec<Datagram> = {
                        let mut queue = queue.lock().unwrap();
                        let now = Instant::now();
                        let (due, later) = queue.drain(..).partition(|(when, ..)| *when <= now);
                        *queue = later;
                        due
                    };
                    for (_, up, bytes) in due {
                        if up {
                            let _ = back.send(&bytes);
                        } else if let Some(child) = *child.lock().unwrap() {
                            let _ = front.send_to(&bytes, child);
                        }
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            }));
        }
        BadLink {
            addr,
            stop,
            threads,
            counts,
        }
    }

    fn counts(&self) -> [u64; 3] {
        [0, 1, 2].map(|n| self.counts[n].load(std::sync::atomic::Ordering::Relaxed))
    }
}

impl Drop for BadLink {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn a_backlog_crosses_a_lossy_slow_link_that_is_cut_and_restored() {
    let root = tempfile::tempdir().unwrap();
    let (hub, invite) = hub(root.path());
    let serving = Serving::start(&hub);
    let commune = root.path().join("binh-lu");
    ok(
        &commune,
        &["join", invite.to_str().unwrap(), "--as", "ta-thi-dung"],
    );
    // The registry comes down whole first, over the good link.
    ok(&commune, &["sync"]);

    // From now on the commune reaches its parent only through the bad link.
    let config_path = commune.join("config.toml");
    let config = std::fs::read_to_string(&config_path).unwrap();
    let parent_addr: std::net::SocketAddr = json(&commune, &["status", "--json"])["parent"]["addr"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let link = BadLink::start(
        parent_addr,
        0x2a2a,
        Duration::from_secs(2)..Duration::from_secs(6),
    );
    std::fs::write(
        &config_path,
        config.replace(&parent_addr.to_string(), &link.addr.to_string()),
    )
    .unwrap();
    // A running node reads its configuration when it starts.
    stop_started(&commune);

    // A backlog written (a running node pushes it up at once, through the bad link too): 400 tasks from the action programme's appendix.
    let appendix = root.path().join("phu-luc.csv");
    write_appendix(&appendix, 400, |n| format!("Rà soát hộ nghèo thôn {n}"));
    ok(&commune, &["import", appendix.to_str().unwrap()]);
    let before = json(&commune, &["status", "--json"]);

    // An office retries until a sync completes, as it would by hand.
    let started = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let run = nhip(&commune, &["sync"]);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        if run.code == 0 {
            break;
        }
        assert!(
            attempts < 10 && started.elapsed() < Duration::from_secs(240),
            "no sync over the bad link after {attempts} attempts: {}",
            run.stderr
        );
    }
    let [received, dropped, duplicated] = link.counts();
    eprintln!(
        "synced through the bad link in {:?} ({attempts} attempts): {received} datagrams, \
         {dropped} dropped, {duplicated} duplicated",
        started.elapsed()
    );
    assert!(
        dropped * 100 >= received * 20,
        "the link really dropped ({dropped} of {received})"
    );
    assert!(duplicated > 0, "the link really duplicated");

    // Nothing lost, nothing doubled: the hub holds the commune's chain exactly as the commune
    // does, and both logs verify.
    let after = json(&commune, &["status", "--json"]);
    assert_eq!(before["own_events"], after["own_events"]);
    assert_eq!(after["pending_up"], 0, "everything written went up");
    drop(serving);
    let hub_tasks = json(&hub, &["task", "list", "--json"]);
    let imported = hub_tasks
        .as_array()
        .unwrap()
        .iter()
        .filter(|task| {
            task["item"]["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Rà soát hộ nghèo"))
        })
        .count();
    assert_eq!(imported, 400, "every task arrived once");
    for data in [&hub, &commune] {
        let run = nhip(data, &["audit", "verify"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
}

#[test]
fn an_invalid_invitation_is_refused_clearly() {
    let root = tempfile::tempdir().unwrap();
    let (_hub, invite) = hub(root.path());
    let text = std::fs::read_to_string(&invite).unwrap();
    let cases = [
        ("not-toml.toml", "this is not an invitation".to_owned()),
        ("empty.toml", String::new()),
        // A real invitation with its secret cut short.
        ("short-secret.toml", {
            let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
            for line in &mut lines {
                if line.starts_with("secret") {
                    *line = "secret = \"abcd\"".to_owned();
                }
            }
            lines.join("\n")
        }),
    ];
    for (name, body) in cases {
        let path = root.path().join(name);
        std::fs::write(&path, body).unwrap();
        let office = root.path().join(format!("office-{name}"));
        let run = nhip(
            &office,
            &["join", path.to_str().unwrap(), "--as", "ta-thi-dung"],
        );
        assert_ne!(run.code, 0, "{name} was accepted");
        assert!(!run.stderr.trim().is_empty(), "{name}: no reason given");
        assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
        assert!(
            !office.join("log.redb").exists(),
            "{name}: a node was made anyway"
        );
    }
    // A good invitation whose parent is not there (no `nhip serve` at the hub): the join fails
    // on the network and leaves no half-made folder behind, so the next attempt starts afresh.
    let office = root.path().join("office-offline");
    let run = nhip(
        &office,
        &["join", invite.to_str().unwrap(), "--as", "ta-thi-dung"],
    );
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(!office.exists(), "a half-made node folder stayed");
}
