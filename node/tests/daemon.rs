//! The running node as its users meet it: real `nhip serve` processes, live-linked, with work
//! done through them while they sync — and its local API under bad and heavy input.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{NHIP, Running, hub_init, invite_binh_lu, strs};

fn nhip(data: &Path, args: &[&str]) -> Output {
    Command::new(NHIP)
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("NHIP_DATA")
        .env_remove("RUST_LOG")
        .output()
        .expect("the nhip binary runs")
}

fn ok(data: &Path, args: &[&str]) -> String {
    let output = nhip(data, args);
    assert!(
        output.status.success(),
        "nhip {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn task_titles(data: &Path, unit: &str) -> Vec<String> {
    let list: serde_json::Value =
        serde_json::from_str(&ok(data, &["task", "list", "--unit", unit, "--json"])).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|row| row["item"]["title"].as_str().unwrap().to_owned())
        .collect()
}

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A hub and Bình Lư commune, both running and live-linked; the commune's task is made by the
/// hub's administrator's appointee, Tạ Thị Dung.
fn live_pair(root: &Path) -> (PathBuf, PathBuf, Running, Running) {
    let hub = root.join("hub");
    ok(
        &hub,
        &strs(&hub_init(&format!("127.0.0.1:{}", free_port()))),
    );
    let invite = root.join("moi.toml");
    ok(&hub, &strs(&invite_binh_lu(&invite)));
    let hub_running = Running::start(&hub, &["--dashboard", "off"]);
    let commune = root.join("binh-lu");
    ok(
        &commune,
        &["join", invite.to_str().unwrap(), "--as", "ta-thi-dung"],
    );
    let config = commune.join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("0.0.0.0:7411", &format!("127.0.0.1:{}", free_port())),
    )
    .unwrap();
    let commune_running = Running::start(&commune, &["--dashboard", "off"]);
    (hub, commune, hub_running, commune_running)
}

/// Bản Nà Ri joins the running `commune` with an invitation; its data folder.
fn join_village(root: &Path, commune: &Path) -> PathBuf {
    let invite = root.join("moi-ban.toml");
    ok(
        commune,
        &[
            "invite",
            "--unit",
            "lai-chau/binh-lu/ban-na-ri",
            "--admin",
            "lo-van-pao",
            "--addr",
            &commune_listen(commune),
            "--out",
            invite.to_str().unwrap(),
        ],
    );
    let village = root.join("ban-na-ri");
    ok(
        &village,
        &["join", invite.to_str().unwrap(), "--as", "lo-van-pao"],
    );
    village
}

/// Waits (polling the hub's running node) until `wanted` titles are all at the hub.
fn until_at_hub(hub: &Path, wanted: usize, within: Duration) -> (Vec<String>, Duration) {
    let started = Instant::now();
    loop {
        let titles = task_titles(hub, "lai-chau/binh-lu");
        if titles.len() >= wanted || started.elapsed() > within {
            return (titles, started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_task_created_on_a_live_linked_commune_reaches_the_running_hub_at_once() {
    let root = tempfile::tempdir().unwrap();
    let (hub, commune, _hub_running, _commune_running) = live_pair(root.path());
    // A page at the hub listens to its change stream.
    let mut stream = UnixStream::connect(hub.join("nhip.sock")).unwrap();
    stream
        .write_all(b"GET /v1/changes HTTP/1.1\r\nHost: nhip\r\n\r\n")
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // Both nodes run: every command below goes through their sockets, none is refused.
    let started = Instant::now();
    ok(
        &commune,
        &[
            "task",
            "create",
            "--title",
            "Rà soát hộ nghèo",
            "--deadline",
            "31/12/2099",
        ],
    );
    let (titles, waited) = until_at_hub(&hub, 1, Duration::from_secs(10));
    let elapsed = started.elapsed();
    eprintln!("command to visible at the hub: {elapsed:?} (polled for {waited:?})");
    assert_eq!(titles, ["Rà soát hộ nghèo"]);
    // The hub's change stream said so.
    let mut heard = Vec::new();
    let mut chunk = [0u8; 1024];
    while !String::from_utf8_lossy(&heard).contains("event: changed") {
        let read = stream.read(&mut chunk).expect("the change stream speaks");
        assert!(read > 0, "the change stream ended");
        heard.extend_from_slice(&chunk[..read]);
    }
    assert!(String::from_utf8_lossy(&heard).contains("text/event-stream"));
    // The bar is one second; a loaded CI machine gets a little room, the benchmark the figure.
    assert!(
        elapsed < Duration::from_secs(3),
        "took {elapsed:?} to reach the hub"
    );
    // The hub, serving its child, takes work of its own too.
    ok(
        &hub,
        &[
            "task",
            "create",
            "--title",
            "Tổng hợp báo cáo quý",
            "--deadline",
            "31/12/2099",
        ],
    );
    let status: serde_json::Value =
        serde_json::from_str(&ok(&commune, &["status", "--json"])).unwrap();
    assert_eq!(status["pending_up"], 0, "{status}");
}

#[test]
fn a_revocation_is_one_event_that_the_hub_and_the_auditors_see_and_the_child_is_turned_away() {
    let root = tempfile::tempdir().unwrap();
    let (hub, commune, _hub_running, _commune_running) = live_pair(root.path());
    let village = join_village(root.path(), &commune);
    // Membership is the log's: the commune knows its child from the enrollment event alone.
    assert!(!commune.join("children.toml").exists());
    let status: serde_json::Value =
        serde_json::from_str(&ok(&commune, &["status", "--json"])).unwrap();
    assert_eq!(status["children"][0]["unit"], "lai-chau/binh-lu/ban-na-ri");
    assert_eq!(status["children"][0]["revoked"], false);
    ok(&village, &["sync"]);

    // The commune's administrator revokes the village (a stolen PC): one event.
    let said = ok(&commune, &["revoke", "lai-chau/binh-lu/ban-na-ri"]);
    assert!(said.contains("ban-na-ri"), "{said}");
    let status: serde_json::Value =
        serde_json::from_str(&ok(&commune, &["status", "--json"])).unwrap();
    assert_eq!(status["children"][0]["revoked"], true, "{status}");
    // It goes up the live link: the hub's auditors see who revoked which node, and when.
    let started = Instant::now();
    let revocation = loop {
        let register: serde_json::Value =
            serde_json::from_str(&ok(&hub, &["audit", "decisions", "--json"])).unwrap();
        let found = register
            .as_array()
            .unwrap()
            .iter()
            .find(|decision| decision["kind"] == "node.revoked")
            .cloned();
        if let Some(found) = found {
            break found;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the revocation never reached the hub: {register}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(revocation["person"], "ta-thi-dung", "{revocation}");
    assert_eq!(
        revocation["unit"], "lai-chau/binh-lu/ban-na-ri",
        "{revocation}"
    );
    // The village is turned away, and told so.
    let refused = nhip(&village, &["sync"]);
    assert_eq!(refused.status.code(), Some(5));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not an enrolled child"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // A second revocation of the same child finds nothing to revoke.
    let again = nhip(&commune, &["revoke", "lai-chau/binh-lu/ban-na-ri"]);
    assert!(!again.status.success());
    for data in [&hub, &commune] {
        ok(data, &["audit", "verify"]);
    }
}

#[test]
fn twenty_writers_at_once_while_a_village_uploads_lose_and_double_nothing() {
    let root = tempfile::tempdir().unwrap();
    let (hub, commune, _hub_running, _commune_running) = live_pair(root.path());
    // A village with a backlog of its own, written while it was offline.
    let village = join_village(root.path(), &commune);
    let appendix = root.path().join("phu-luc.csv");
    let mut csv =
        String::from("Công việc,Người thực hiện,Đơn vị chủ trì,Đơn vị phối hợp,Thời hạn\n");
    for n in 0..300 {
        csv.push_str(&format!(
            "Việc bản {n},lo-van-pao,lai-chau/binh-lu/ban-na-ri,,31/12/2099\n"
        ));
    }
    std::fs::write(&appendix, csv).unwrap();
    ok(&village, &["import", appendix.to_str().unwrap()]);

    // Twenty clerks at once on the commune's node, while the village uploads its backlog.
    let uploading = {
        let village = village.clone();
        std::thread::spawn(move || nhip(&village, &["sync"]))
    };
    let writers: Vec<_> = (0..20)
        .map(|writer| {
            let commune = commune.clone();
            std::thread::spawn(move || {
                for n in 0..5 {
                    let title = format!("Việc xã {writer}-{n}");
                    let output = nhip(
                        &commune,
                        &[
                            "task",
                            "create",
                            "--title",
                            &title,
                            "--deadline",
                            "31/12/2099",
                        ],
                    );
                    assert!(
                        output.status.success(),
                        "{title}: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    // Writes to different items took their turns side by side and shared fsyncs: the hundred
    // tasks took fewer durable commits than a hundred.
    let health = raw(
        &commune.join("nhip.sock"),
        b"GET /v1/health HTTP/1.1\r\nHost: nhip\r\nConnection: close\r\n\r\n",
    );
    let body = &health[health.find('{').expect("a JSON body")..];
    let health: serde_json::Value = serde_json::from_str(body.trim()).unwrap();
    let commits = health["append_commits"].as_u64().unwrap();
    assert!(
        commits < 100,
        "group commit used: {commits} durable commits for 100 concurrent writes"
    );
    let uploaded = uploading.join().unwrap();
    assert!(
        uploaded.status.success(),
        "{}",
        String::from_utf8_lossy(&uploaded.stderr)
    );

    let mut at_commune = task_titles(&commune, "lai-chau/binh-lu");
    assert_eq!(
        at_commune.len(),
        400,
        "100 of the commune's and 300 of the village's"
    );
    at_commune.sort();
    at_commune.dedup();
    assert_eq!(at_commune.len(), 400, "nothing doubled");
    // All of it goes up the live link.
    let (mut at_hub, _) = until_at_hub(&hub, 400, Duration::from_secs(60));
    at_hub.sort();
    assert_eq!(at_hub, at_commune);
    for data in [&hub, &commune] {
        ok(data, &["audit", "verify"]);
    }
}

fn commune_listen(commune: &Path) -> String {
    let config = std::fs::read_to_string(commune.join("config.toml")).unwrap();
    config
        .lines()
        .find_map(|line| line.strip_prefix("listen = "))
        .unwrap()
        .trim_matches('"')
        .to_owned()
}

/// A lone office: a node with no parent and no children (it still serves its API).
fn lone_office(root: &Path) -> PathBuf {
    let office = root.join("office");
    ok(
        &office,
        &[
            "init",
            "--hub",
            "--unit",
            "binh-lu",
            "--as",
            "ta-thi-dung",
            "--listen",
            &format!("127.0.0.1:{}", free_port()),
        ],
    );
    office
}

/// Sends raw bytes to the node's socket and returns what it answers (until it closes).
fn raw(socket: &Path, request: &[u8]) -> String {
    let mut stream = UnixStream::connect(socket).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn the_local_api_answers_bad_input_with_errors_and_serves_on() {
    let root = tempfile::tempdir().unwrap();
    let office = lone_office(root.path());
    let _running = Running::start(&office, &["--dashboard", "off"]);
    let socket = office.join("nhip.sock");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the socket is its owner's alone");
    }
    // A slowloris client: the start of a request's headers, then nothing. The node cuts it off
    // (after limits::HTTP_HEADERS_WITHIN_MS) instead of holding its connection forever.
    let slow = {
        let socket = socket.clone();
        std::thread::spawn(move || {
            let mut stream = UnixStream::connect(&socket).unwrap();
            stream.write_all(b"POST /v1/run HTTP/1.1\r\nHo").unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(60)))
                .unwrap();
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).map(|_| answer)
        })
    };
    let post = |body: &str| {
        format!(
            "POST /v1/run HTTP/1.1\r\nHost: nhip\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    // Malformed JSON, a wrong shape, an unknown endpoint: typed HTTP errors, nothing written.
    assert!(raw(&socket, post("{not json").as_bytes()).starts_with("HTTP/1.1 400"));
    assert!(raw(&socket, post("{\"args\": 5}").as_bytes()).starts_with("HTTP/1.1 422"));
    assert!(
        raw(
            &socket,
            b"GET /v1/nothing HTTP/1.1\r\nHost: nhip\r\nConnection: close\r\n\r\n"
        )
        .starts_with("HTTP/1.1 404")
    );
    // A body over the limit is refused before it is read.
    let huge = post(&format!(
        "{{\"args\": [\"nhip\", \"{}\"], \"cwd\": \"/\"}}",
        "x".repeat(2 * 1024 * 1024)
    ));
    let answer = raw(&socket, huge.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // Clients that go away mid-request, and 500 connections at once, some silent.
    for _ in 0..20 {
        let mut stream = UnixStream::connect(&socket).unwrap();
        let _ = stream.write_all(b"POST /v1/run HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"ar");
    }
    let crowd: Vec<UnixStream> = (0..500)
        .filter_map(|_| UnixStream::connect(&socket).ok())
        .collect();
    // The streamed answer: a line per thing said, the end last.
    let streamed = raw(
        &socket,
        format!(
            "POST /v1/run HTTP/1.1\r\nHost: nhip\r\nContent-Type: application/json\r\n\
             Accept: application/x-ndjson\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            "{\"args\": [\"nhip\", \"status\"], \"cwd\": \"/\"}".len(),
            "{\"args\": [\"nhip\", \"status\"], \"cwd\": \"/\"}"
        )
        .as_bytes(),
    );
    assert!(streamed.starts_with("HTTP/1.1 200"), "{streamed}");
    assert!(streamed.contains("application/x-ndjson"), "{streamed}");
    let frames: Vec<serde_json::Value> = streamed
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(frames.len() >= 2, "{streamed}");
    assert!(
        frames[..frames.len() - 1]
            .iter()
            .all(|frame| frame.get("out").is_some())
    );
    assert!(
        frames.iter().any(|frame| frame["out"]
            .as_str()
            .is_some_and(|out| out.contains("binh-lu"))),
        "{streamed}"
    );
    assert_eq!(frames.last().unwrap()["end"]["code"], 0, "{streamed}");
    // A command line of a real shape, with an unknown command: clap's usage error, code 2.
    let answer = raw(
        &socket,
        post("{\"args\": [\"nhip\", \"frobnicate\"], \"cwd\": \"/\"}").as_bytes(),
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"code\":2"), "{answer}");
    drop(crowd);
    let cut_off = slow.join().unwrap();
    assert!(
        cut_off.is_ok(),
        "the slow client was cut off by the node, not left hanging: {cut_off:?}"
    );
    // Through it all the node served and wrote nothing.
    let status: serde_json::Value =
        serde_json::from_str(&ok(&office, &["status", "--json"])).unwrap();
    assert_eq!(status["events"], 3, "{status}");
    ok(
        &office,
        &[
            "task",
            "create",
            "--title",
            "Vẫn làm việc",
            "--deadline",
            "31/12/2099",
        ],
    );
}

#[test]
fn a_stale_socket_left_by_a_killed_node_blocks_nothing() {
    let root = tempfile::tempdir().unwrap();
    let office = lone_office(root.path());
    let running = Running::start(&office, &["--dashboard", "off"]);
    drop(running); // SIGKILL: the socket file stays behind.
    assert!(office.join("nhip.sock").exists());
    // Commands open the log themselves, and the next start replaces the file.
    ok(&office, &["status"]);
    let _again = Running::start(&office, &["--dashboard", "off"]);
    ok(&office, &["status"]);
}

/// A lone office running, with one task written through it before it is stopped.
fn running_office_with_a_task(root: &Path) -> (PathBuf, Running) {
    let office = lone_office(root);
    let running = Running::start(&office, &["--dashboard", "off"]);
    ok(
        &office,
        &[
            "task",
            "create",
            "--title",
            "Ghi trước khi dừng",
            "--deadline",
            "31/12/2099",
        ],
    );
    (office, running)
}

/// Sends SIGTERM to the running node.
fn terminate(running: &Running) {
    let pid = running.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
}

#[test]
fn sigterm_finishes_cleanly_and_removes_the_socket() {
    let root = tempfile::tempdir().unwrap();
    let (office, mut running) = running_office_with_a_task(root.path());
    terminate(&running);
    let status = running.0.wait().unwrap();
    assert!(status.success(), "exit {status:?}");
    assert!(!office.join("nhip.sock").exists());
    assert_eq!(task_titles(&office, "binh-lu"), ["Ghi trước khi dừng"]);
}

#[test]
fn a_second_signal_while_stopping_exits_at_once_and_loses_nothing_recorded() {
    let root = tempfile::tempdir().unwrap();
    let (office, mut running) = running_office_with_a_task(root.path());
    // A page listening to the change stream: a clean stop waits (a while) for it to end.
    let mut listening = UnixStream::connect(office.join("nhip.sock")).unwrap();
    listening
        .write_all(b"GET /v1/changes HTTP/1.1\r\nHost: nhip\r\n\r\n")
        .unwrap();
    let mut head = [0u8; 12];
    listening.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    terminate(&running);
    std::thread::sleep(Duration::from_millis(300));
    terminate(&running);
    let status = running.0.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(130),
        "the second signal ended it: {status:?}"
    );
    drop(listening);
    // What was recorded before is there.
    assert_eq!(task_titles(&office, "binh-lu"), ["Ghi trước khi dừng"]);
}

#[test]
fn the_service_unit_is_one_systemd_accepts() {
    let root = tempfile::tempdir().unwrap();
    let office = root.path().join("văn phòng xã");
    ok(
        &office,
        &["init", "--unit", "lai-chau/binh-lu", "--as", "ta-thi-dung"],
    );
    let unit = ok(
        &office,
        &[
            "service",
            "install",
            "--print",
            "--dashboard",
            "127.0.0.1:7412",
        ],
    );
    assert!(unit.contains(&format!(
        "ExecStart={NHIP} --data \"{}\" serve --dashboard 127.0.0.1:7412\n",
        office.display()
    )));
    assert!(unit.contains("Restart=on-failure\n"), "{unit}");
    // Where Debian's systemd package is installed, systemd itself checks the unit.
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok()
    {
        let file = root.path().join("nhip-test.service");
        std::fs::write(&file, &unit).unwrap();
        let verified = Command::new("systemd-analyze")
            .arg("verify")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            verified.status.success(),
            "{}{}",
            String::from_utf8_lossy(&verified.stdout),
            String::from_utf8_lossy(&verified.stderr)
        );
    }
}
