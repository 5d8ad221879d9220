//! Accounts as an office meets them, with the real binary: an administrator issues a setup
//! code, the secretary chooses a passphrase and logs in at the running node, and from then on
//! the log proves that it was she who decided. The attacks of a shared office PC: acting as her
//! without her passphrase, using a setup code twice, a thousand wrong passphrases, a session
//! taken to another node, and a passphrase that is no passphrase.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{NHIP, Running, hub_init, strs};

const PASSPHRASE: &str = "trâu về chuồng lúc chiều tà";

/// Runs `nhip --data DATA ARGS…` with `input` on standard input, sessions kept in `sessions`.
fn nhip_with(data: &Path, sessions: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(NHIP)
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("NHIP_DATA")
        .env_remove("RUST_LOG")
        .env("NHIP_SESSION_DIR", sessions)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the nhip binary runs");
    // A command that does not read its input may be gone before it is written.
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait_with_output().unwrap()
}

fn nhip(data: &Path, sessions: &Path, args: &[&str]) -> Output {
    nhip_with(data, sessions, args, b"")
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn refused(output: &Output) -> String {
    assert!(!output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A hub whose administrator registered the secretary and issued her a setup code: the folder
/// and the code.
fn office(root: &Path, sessions: &Path) -> (PathBuf, String) {
    let data = root.join("hub");
    ok(nhip(
        &data,
        sessions,
        &strs(&hub_init(&format!("127.0.0.1:{}", free_port()))),
    ));
    for args in [
        &[
            "person",
            "role",
            "admin-tinh",
            "--unit",
            "lai-chau",
            "--role",
            "quan-tri",
        ][..],
        &[
            "person",
            "add",
            "nguyen-tien-thinh",
            "--name",
            "Nguyễn Tiến Thịnh",
        ],
        &[
            "person",
            "role",
            "nguyen-tien-thinh",
            "--unit",
            "lai-chau",
            "--role",
            "bi-thu",
        ],
        &["person", "add", "lo-thi-mai", "--name", "Lò Thị Mai"],
        &[
            "person",
            "role",
            "lo-thi-mai",
            "--unit",
            "lai-chau",
            "--role",
            "can-bo",
        ],
    ] {
        ok(nhip(
            &data,
            sessions,
            &[&["--as", "admin-tinh"][..], args].concat(),
        ));
    }
    let said = ok(nhip(
        &data,
        sessions,
        &[
            "--as",
            "admin-tinh",
            "person",
            "setup-code",
            "nguyen-tien-thinh",
        ],
    ));
    let code = said
        .split_whitespace()
        .find(|word| word.len() == 19 && word.matches('-').count() == 3)
        .unwrap_or_else(|| panic!("a setup code is printed: {said}"))
        .to_owned();
    (data, code)
}

fn create(data: &Path, sessions: &Path, extra: &[&str], title: &str) -> Output {
    nhip(
        data,
        sessions,
        &[
            extra,
            &[
                "task",
                "create",
                "--title",
                title,
                "--deadline",
                "2099-12-31",
            ],
        ]
        .concat(),
    )
}

#[test]
fn the_secretary_logs_in_and_her_decisions_carry_her_signature() {
    let root = tempfile::tempdir().unwrap();
    let sessions = root.path().join("sessions");
    let (data, code) = office(root.path(), &sessions);
    let _node = Running::start(&data, &["--dashboard", "off"]);

    // First use: she chooses her passphrase with the code, and is logged in.
    let said = ok(nhip_with(
        &data,
        &sessions,
        &["login", "nguyen-tien-thinh", "--setup-code", &code],
        format!("{PASSPHRASE}\n").as_bytes(),
    ));
    assert!(said.contains("Nguyễn Tiến Thịnh"), "{said}");
    // She works without naming herself; the task is hers, signed with her key.
    ok(create(&data, &sessions, &[], "Họp chi bộ tháng 12"));
    let history = ok(nhip(&data, &sessions, &["audit", "history", "--json"]));
    let rows: serde_json::Value = serde_json::from_str(&history).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["title"] == "Họp chi bộ tháng 12")
        .expect("the task is in the history");
    assert_eq!(row["actor"], "nguyen-tien-thinh");
    assert!(row["signed_by"].is_string(), "{row}");
    let text = ok(nhip(&data, &sessions, &["audit", "history"]));
    assert!(text.contains("ký bởi Nguyễn Tiến Thịnh (khóa"), "{text}");
    // The inspectors' register: the decision, her name, her key and the verdict, in a CSV
    // that Excel opens in Vietnamese.
    let register = root.path().join("quyet-dinh.csv");
    ok(nhip(
        &data,
        &sessions,
        &["audit", "decisions", "--out", register.to_str().unwrap()],
    ));
    let csv = std::fs::read_to_string(&register).unwrap();
    let csv = csv.strip_prefix('\u{feff}').expect("a BOM for Excel");
    let header = csv.lines().next().unwrap();
    assert!(
        header.starts_with("Thời điểm ghi,Đơn vị,Người quyết định"),
        "{header}"
    );
    let line = csv
        .lines()
        .find(|line| line.contains("Họp chi bộ tháng 12"))
        .expect("the task's creation is a decision");
    let key = row["signed_by"].as_str().unwrap();
    for expected in [
        "Nguyễn Tiến Thịnh",
        "nguyen-tien-thinh",
        "chữ ký hợp lệ",
        key,
    ] {
        assert!(line.contains(expected), "{expected} in {line}");
    }
    let json = ok(nhip(
        &data,
        &sessions,
        &["audit", "decisions", "--json", "--from", "01/01/2020"],
    ));
    let lines: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(lines.as_array().unwrap().iter().any(|line| {
        line["item"] == "Họp chi bộ tháng 12" && line["facts"]["signature"] == "valid"
    }));
    let none = ok(nhip(
        &data,
        &sessions,
        &["audit", "decisions", "--json", "--to", "01/01/2020"],
    ));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&none).unwrap(),
        serde_json::json!([])
    );
    let said = refused(&nhip(
        &data,
        &sessions,
        &["audit", "decisions", "--from", "31/02/2025"],
    ));
    assert!(said.contains("31/02/2025"), "{said}");

    // A clerk at the same PC claims to be her, without the passphrase: refused, nothing
    // written.
    let before = ok(nhip(&data, &sessions, &["task", "list"]));
    let clerk = root.path().join("clerk-sessions");
    let said = refused(&create(
        &data,
        &clerk,
        &["--as", "nguyen-tien-thinh"],
        "Giả danh bí thư",
    ));
    assert!(said.contains("nhip login nguyen-tien-thinh"), "{said}");
    assert_eq!(ok(nhip(&data, &sessions, &["task", "list"])), before);

    // The code worked once.
    let said = refused(&nhip_with(
        &data,
        &clerk,
        &["login", "nguyen-tien-thinh", "--setup-code", &code],
        b"mot cau mat khau khac\n",
    ));
    assert!(said.contains("Mã thiết lập"), "{said}");

    // Logged out, she is asked to log in again.
    ok(nhip(&data, &sessions, &["logout"]));
    refused(&create(
        &data,
        &sessions,
        &["--as", "nguyen-tien-thinh"],
        "Sau khi đăng xuất",
    ));
    // With her passphrase for one command, it is signed again.
    ok(nhip_with(
        &data,
        &sessions,
        &[
            "--as",
            "nguyen-tien-thinh",
            "--passphrase-stdin",
            "task",
            "create",
            "--title",
            "Một lệnh, một lần nhập",
            "--deadline",
            "2099-12-31",
        ],
        format!("{PASSPHRASE}\n").as_bytes(),
    ));
}

#[test]
fn a_thousand_wrong_passphrases_slow_one_person_and_the_node_serves_on() {
    let root = tempfile::tempdir().unwrap();
    let sessions = root.path().join("sessions");
    let (data, code) = office(root.path(), &sessions);
    let _node = Running::start(&data, &["--dashboard", "off"]);
    ok(nhip_with(
        &data,
        &sessions,
        &["login", "nguyen-tien-thinh", "--setup-code", &code],
        format!("{PASSPHRASE}\n").as_bytes(),
    ));
    ok(nhip(&data, &sessions, &["logout"]));
    let started = std::time::Instant::now();
    let mut held_back = 0;
    for _ in 0..1000 {
        let output = nhip_with(
            &data,
            &sessions,
            &["login", "nguyen-tien-thinh"],
            b"doan bua doan bua\n",
        );
        let said = refused(&output);
        if said.contains("thử lại sau") {
            held_back += 1;
        } else {
            assert!(said.contains("không đúng"), "{said}");
        }
    }
    assert!(
        held_back >= 990,
        "after a few tries each one waits: {held_back}"
    );
    // Meanwhile the office works: someone else acts at once.
    ok(create(
        &data,
        &sessions,
        &["--as", "lo-thi-mai"],
        "Vẫn làm việc được",
    ));
    eprintln!("1,000 wrong logins took {:?}", started.elapsed());
}

#[test]
fn a_session_is_good_at_its_own_node_only_and_bad_passphrases_get_plain_words() {
    let root = tempfile::tempdir().unwrap();
    let sessions = root.path().join("sessions");
    let (data, code) = office(root.path(), &sessions);
    let _node = Running::start(&data, &["--dashboard", "off"]);
    ok(nhip_with(
        &data,
        &sessions,
        &["login", "nguyen-tien-thinh", "--setup-code", &code],
        format!("{PASSPHRASE}\n").as_bytes(),
    ));
    // Her session token, carried to another node (its own data folder, its own session file):
    // that node never issued it.
    let other_root = root.path().join("other");
    let (other, _) = office(&other_root, &other_root.join("s"));
    let _other_node = Running::start(&other, &["--dashboard", "off"]);
    let token = std::fs::read_dir(&sessions)
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .next()
        .unwrap();
    let stolen = root.path().join("stolen");
    std::fs::create_dir_all(&stolen).unwrap();
    // Find the file name the other node's folder maps to by logging out there once.
    ok(nhip(&other, &stolen, &["logout"]));
    let name = blake3::hash(other.as_os_str().as_encoded_bytes()).to_hex();
    std::fs::write(
        stolen.join(format!("session-{}", &name.as_str()[..16])),
        token,
    )
    .unwrap();
    let said = refused(&create(&other, &stolen, &[], "Phiên mượn"));
    assert!(said.contains("Phiên đăng nhập đã kết thúc"), "{said}");

    // A passphrase of 1 MB, and one that is not UTF-8: plain words, nothing written.
    let huge = vec![b'a'; 1024 * 1024];
    let said = refused(&nhip_with(
        &data,
        &root.path().join("x"),
        &["login", "nguyen-tien-thinh"],
        &huge,
    ));
    assert!(said.contains("quá dài"), "{said}");
    let said = refused(&nhip_with(
        &data,
        &root.path().join("x"),
        &["login", "nguyen-tien-thinh"],
        b"\xff\xfe\xfd not text at all\n",
    ));
    assert!(said.contains("UTF-8"), "{said}");
    let said = refused(&nhip_with(
        &data,
        &root.path().join("x"),
        &["login", "nguyen-tien-thinh"],
        b"ngan\n",
    ));
    assert!(said.contains("quá ngắn"), "{said}");
}
