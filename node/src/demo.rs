//! `nhip demo`: a province hub, Bình Lư commune and two villages, each a real node with its own
//! key and redb log in a temporary folder, enrolled with one-time invitations and syncing over
//! QUIC on loopback. The commune loads its action program; a village works offline while the
//! hub cancels one of its tasks; the link comes back; the conflict shows.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nhip_engine::command::Command;
use nhip_engine::report::Period;
use nhip_engine::{Date, EventId, PersonId, UnitId};

use crate::account::Actor;
use crate::cli::output::{ExitCode, Failure, fail};
use crate::daemon::{self, Parent};
use crate::enroll;
use crate::home::Home;
use crate::setup;
use crate::texts::Texts;
use crate::transport::{self, Mode, now_ms};

fn failed(message: impl std::fmt::Display) -> Failure {
    fail(ExitCode::Refused, message.to_string())
}

fn unit(code: &str) -> UnitId {
    // Invariant: the demo's codes are valid.
    UnitId::new(code).expect("valid demo unit")
}

fn person(code: &str) -> PersonId {
    // Invariant: the demo's codes are valid.
    PersonId::new(code).expect("valid demo person")
}

struct Running {
    home: Arc<Home>,
    addr: SocketAddr,
    node: daemon::Node,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

async fn start(home: Home) -> Result<Running, Failure> {
    let home = Arc::new(home);
    let endpoint = transport::server_endpoint(
        "127.0.0.1:0".parse().map_err(failed)?,
        &home.key,
        home.admission(),
    )
    .map_err(failed)?;
    let addr = endpoint.local_addr().map_err(failed)?;
    // The node's links and its pages hear of the same commits: the home's.
    let node = daemon::Node {
        changes: home.changes.clone(),
        status: home.links.clone(),
        wake_uplink: home.wake_uplink.clone(),
        ..daemon::Node::new(
            home.key.clone(),
            home.config.unit.clone(),
            home.log.clone(),
            home.directory(),
        )
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(daemon::serve(
        endpoint,
        node.clone(),
        Some(home.clone()),
        async move {
            let _ = stopped.await;
        },
    ));
    Ok(Running {
        home,
        addr,
        node,
        stop,
        task,
    })
}

/// Creates a child node in `dir` from an invitation by `parent`, and joins.
async fn child(
    dir: &Path,
    parent: &Running,
    code: &str,
    name: &str,
    admin: &str,
    admin_name: &str,
) -> Result<Home, Failure> {
    let invite = enroll::invite(
        &parent.home,
        &unit(code),
        name,
        Some((&person(admin), admin_name)),
        &parent.addr.to_string(),
        1,
        &logged_in(&parent.home, parent.home.config.person.as_str())?,
    )
    .map_err(failed)?;
    let mut home = Home::create(dir, unit(code), person(admin)).map_err(failed)?;
    enroll::join(&mut home, &invite).await.map_err(failed)?;
    Ok(home)
}

/// One sync of `home` with its parent.
async fn sync(home: &Home) -> Result<(u64, u64), Failure> {
    let parent = home
        .config
        .parent
        .as_ref()
        .ok_or_else(|| failed("no parent"))?;
    let link = Parent {
        addr: enroll::resolve(&parent.addr).map_err(failed)?,
        node: nhip_engine::NodeId::from_hex(&parent.node).ok_or_else(|| failed("parent key"))?,
    };
    let node = daemon::Node {
        changes: home.changes.clone(),
        ..daemon::Node::new(
            home.key.clone(),
            home.config.unit.clone(),
            home.log.clone(),
            home.directory(),
        )
    };
    let endpoint =
        transport::client_endpoint("127.0.0.1:0".parse().map_err(failed)?, &home.key, link.node)
            .map_err(failed)?;
    let report = daemon::sync_with_parent(&endpoint, &node, &link, Mode::Once)
        .await
        .map_err(failed)?;
    endpoint.wait_idle().await;
    Ok((report.delivered, report.received))
}

/// The passphrase every official of the demo chose (a demo's; a real one is each person's own).
const DEMO_PASSPHRASE: &str = "trâu về chuồng lúc chiều tà";

thread_local! {
    /// The demo's open sessions: (node folder, person) → token.
    static SESSIONS: RefCell<BTreeMap<(PathBuf, String), String>> = RefCell::default();
}

/// `who` at `home`, as the demo's officials work: logged in there with their passphrase once
/// they have an account (every decision then carries their signature), else — before
/// accounts, while the tree is being set up — acting unsigned.
fn logged_in(home: &Home, who: &str) -> Result<Actor, Failure> {
    let person = person(who);
    let state = home.state().map_err(failed)?;
    let Some(account) = state.registry.accounts.get(&person) else {
        return Ok(Actor::unsigned(person));
    };
    let key = (home.dir.clone(), who.to_owned());
    let now = now_ms();
    let open = SESSIONS.with(|sessions| sessions.borrow().get(&key).cloned());
    if let Some(actor) = open.and_then(|token| home.sessions.actor(&token, now).ok()) {
        return Ok(actor);
    }
    let token = home
        .sessions
        .login(&person, Some(&account.sealed), DEMO_PASSPHRASE, now)
        .map_err(failed)?;
    SESSIONS.with(|sessions| sessions.borrow_mut().insert(key, token.clone()));
    home.sessions.actor(&token, now).map_err(failed)
}

/// `who` acts at `home`, logged in there (see [`logged_in`]).
fn act(home: &Home, who: &str, command: Command) -> Result<EventId, Failure> {
    home.act(&logged_in(home, who)?, command).map_err(failed)
}

/// An administrator at `home` issues `who` a setup code; it is handed over in person.
fn issue_code(home: &Home, admin: &str, who: &str) -> Result<String, Failure> {
    let expires_ms = now_ms() + 24 * 60 * 60 * 1000;
    setup::issue_code(home, &logged_in(home, admin)?, &person(who), expires_ms).map_err(failed)
}

/// `who` uses their code at `home`, the node of their own office, and chooses a passphrase.
fn set_up(home: &Home, who: &str, code: &str) -> Result<(), Failure> {
    setup::set_up(home, &person(who), code, DEMO_PASSPHRASE, now_ms())
        .map(drop)
        .map_err(failed)
}

fn fire(
    home: &Home,
    who: &str,
    item: EventId,
    transition: &str,
    note: &str,
) -> Result<EventId, Failure> {
    act(
        home,
        who,
        Command::Fire {
            item,
            transition: transition.into(),
            note: note.into(),
        },
    )
}

/// Runs the demo; with `exit`, returns after the summary instead of serving until Ctrl-C.
pub fn run(texts: Texts, exit: bool, reports: Option<PathBuf>) -> Result<(), Failure> {
    let dir = std::env::temp_dir().join(format!("nhip-demo-{}", std::process::id()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(failed)?;
    let reports = reports
        .map(|path| std::path::absolute(&path).unwrap_or(path))
        .unwrap_or_else(|| dir.join("bao-cao"));
    let outcome = runtime.block_on(story(&dir, texts, exit, &reports));
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

async fn story(dir: &Path, texts: Texts, exit: bool, reports: &Path) -> Result<(), Failure> {
    say!("{}", texts.demo_intro(&dir.display().to_string()));
    let step = |text: &str| say!("{}", texts.demo_step(text));

    // The province hub and its administrator.
    let hub = Home::create(
        &dir.join("lai-chau"),
        unit("lai-chau"),
        person("admin-tinh"),
    )
    .map_err(failed)?;
    for command in [
        Command::AssignRole {
            person: person("admin-tinh"),
            unit: unit("lai-chau"),
            role: "quan-tri".into(),
        },
        Command::DefineUnit {
            unit: unit("lai-chau"),
            name: "Tỉnh Lai Châu".into(),
            kind: "hub".into(),
        },
        Command::RegisterPerson {
            person: person("nguyen-ngoc-vinh"),
            name: "Nguyễn Ngọc Vinh".into(),
            unit: unit("lai-chau"),
        },
        Command::AssignRole {
            person: person("nguyen-ngoc-vinh"),
            unit: unit("lai-chau"),
            role: "lanh-dao".into(),
        },
    ] {
        act(&hub, "admin-tinh", command)?;
    }
    let hub = start(hub).await?;
    step("Nút tỉnh Lai Châu đã chạy / the province hub is up");

    // Bình Lư commune joins with a one-time invitation and learns its registry from the hub.
    let commune = child(
        &dir.join("binh-lu"),
        &hub,
        "lai-chau/binh-lu",
        "Xã Bình Lư",
        "ta-thi-dung",
        "Tạ Thị Dung",
    )
    .await?;
    sync(&commune).await?;
    write_commune_registry(&commune)?;
    let commune = start(commune).await?;
    step("Xã Bình Lư gia nhập bằng tệp mời / Bình Lư commune joined with an invitation");

    let na_ri = child(
        &dir.join("na-ri"),
        &commune,
        "lai-chau/binh-lu/ban-na-ri",
        "Bản Nà Ri",
        "lo-van-pao",
        "Lò Văn Pao",
    )
    .await?;
    let phieng = child(
        &dir.join("phieng-phat"),
        &commune,
        "lai-chau/binh-lu/ban-phieng-phat",
        "Bản Phiêng Phát",
        "tao-van-khanh",
        "Tao Văn Khánh",
    )
    .await?;
    let nam_ngap = child(
        &dir.join("nam-ngap"),
        &commune,
        "lai-chau/binh-lu/ban-nam-ngap",
        "Bản Nậm Ngập",
        "giang-a-chu",
        "Giàng A Chu",
    )
    .await?;
    step(
        "Ba bản gia nhập xã; Nậm Ngập mất mạng từ đó / three villages joined; Nậm Ngập has been offline since",
    );

    // Accounts: the administrators issue setup codes; each official chooses a passphrase at
    // the node of their own office, and from then on logs in there and signs what they decide.
    let mut codes = BTreeMap::new();
    for who in [
        "ta-thi-dung",
        "nguyen-tien-thinh",
        "lo-van-pao",
        "tao-van-khanh",
    ] {
        codes.insert(who, issue_code(&commune.home, "ta-thi-dung", who)?);
    }
    set_up(&commune.home, "ta-thi-dung", &codes["ta-thi-dung"])?;
    set_up(
        &commune.home,
        "nguyen-tien-thinh",
        &codes["nguyen-tien-thinh"],
    )?;
    sync(&na_ri).await?;
    sync(&phieng).await?;
    set_up(&na_ri, "lo-van-pao", &codes["lo-van-pao"])?;
    set_up(&phieng, "tao-van-khanh", &codes["tao-van-khanh"])?;
    let vinh = issue_code(&hub.home, "admin-tinh", "nguyen-ngoc-vinh")?;
    set_up(&hub.home, "nguyen-ngoc-vinh", &vinh)?;
    step(
        "Cán bộ đặt cụm mật khẩu, đăng nhập; mọi quyết định từ đây đều được ký / officials set their passphrases and log in; every decision from here on is signed",
    );

    // Nậm Ngập joined, but its office has been offline ever since: the hub has never heard
    // from it, so its counts must read as unknown, not as good.
    let _ = &nam_ngap;

    // The commune loads its program (deadlines around today: some due soon, one already late).
    let today = Date::from_unix_ms(now_ms());
    let program = [
        (
            "Phòng, chống dịch tả lợn châu Phi trên đàn vật nuôi",
            "lai-chau/binh-lu/ban-na-ri",
            "lo-van-pao",
            30,
        ),
        (
            "Thu gom, xử lý triệt để rác thải sinh hoạt tại bản",
            "lai-chau/binh-lu/ban-na-ri",
            "lo-van-pao",
            20,
        ),
        (
            "Thu gom, xử lý triệt để rác thải sinh hoạt tại bản",
            "lai-chau/binh-lu/ban-phieng-phat",
            "tao-van-khanh",
            -3,
        ),
        (
            "Củng cố chi bộ bản còn hạn chế, yếu kém",
            "lai-chau/binh-lu/ban-phieng-phat",
            "tao-van-khanh",
            5,
        ),
        (
            "Hoàn thiện Chương trình hành động, bổ sung phụ lục nhiệm vụ",
            "lai-chau/binh-lu",
            "lo-thi-mai",
            14,
        ),
        (
            "Xây dựng nghị quyết chuyên đề về 03 nhiệm vụ đột phá chiến lược",
            "lai-chau/binh-lu",
            "vang-a-sinh",
            45,
        ),
        (
            "Rà soát hộ chăn nuôi chưa tiêm phòng",
            "lai-chau/binh-lu/ban-nam-ngap",
            "giang-a-chu",
            -5,
        ),
    ];
    let mut tasks = Vec::new();
    for (title, at, assignee, days) in program {
        tasks.push(act(
            &commune.home,
            "ta-thi-dung",
            Command::CreateItem {
                workflow: "task".into(),
                unit: unit(at),
                title: title.into(),
                description: String::new(),
                lead_unit: None,
                coordinating: Vec::new(),
                assignee: Some(person(assignee)),
                deadline: Some(today.plus_days(days)),
                parent: None,
                indicator: None,
            },
        )?);
    }
    act(
        &commune.home,
        "nguyen-tien-thinh",
        Command::DefineIndicator {
            id: "ty-le-thu-gom-rac".into(),
            name: "Tỷ lệ hộ được thu gom rác thải".into(),
            measure: "%".into(),
            target_milli: 100_000,
            period: "2025".into(),
            unit: unit("lai-chau/binh-lu"),
        },
    )?;
    act(
        &commune.home,
        "nguyen-tien-thinh",
        Command::ReportIndicator {
            id: "ty-le-thu-gom-rac".into(),
            value_milli: 82_000,
            note: "Quý IV".into(),
        },
    )?;
    sync(&na_ri).await?;
    sync(&phieng).await?;
    sync_commune(&commune.home).await?;
    step(
        "Xã giao 7 nhiệm vụ; các bản và tỉnh đã nhận / the commune assigned 7 tasks; villages and hub have them",
    );

    // Nà Ri goes offline and works; meanwhile the hub cancels Nà Ri's waste task.
    fire(
        &na_ri,
        "lo-van-pao",
        tasks[0],
        "start",
        "Bắt đầu tiêu độc khử trùng",
    )?;
    act(
        &na_ri,
        "lo-van-pao",
        Command::Progress {
            item: tasks[0],
            percent: 60,
            note: "Đã tiêu độc 42 chuồng trại".into(),
        },
    )?;
    fire(&na_ri, "lo-van-pao", tasks[1], "start", "")?;
    fire(
        &na_ri,
        "lo-van-pao",
        tasks[1],
        "complete",
        "Cả bản đã có điểm tập kết rác",
    )?;
    fire(
        &hub.home,
        "nguyen-ngoc-vinh",
        tasks[1],
        "cancel",
        "Gộp vào đề án vệ sinh môi trường của tỉnh",
    )?;
    act(
        &phieng,
        "tao-van-khanh",
        Command::Progress {
            item: tasks[3],
            percent: 30,
            note: "Đã họp chi bộ".into(),
        },
    )?;
    step(
        "Bản Nà Ri mất mạng, vẫn làm việc; tỉnh hủy cùng nhiệm vụ đó / Nà Ri works offline; the hub cancels the same task",
    );

    // The link comes back.
    let (up, _) = sync(&na_ri).await?;
    sync(&phieng).await?;
    sync_commune(&commune.home).await?;
    sync(&na_ri).await?;
    step(&format!(
        "Có mạng trở lại: Nà Ri gửi {up} sự kiện; tất cả đã đồng bộ / the link is back: Nà Ri sent {up} events; all synced"
    ));

    // Bình Lư and Nà Ri make their quarterly reports from their own logs and submit them; the
    // hub learns who has reported at the next sync.
    let quarter = Period::quarter_of(today);
    for (home, who) in [(&*commune.home, "ta-thi-dung"), (&na_ri, "lo-van-pao")] {
        let files = crate::report::make(
            &*home.log,
            &|| home.state().ok(),
            &home.config.unit,
            &quarter,
            today,
            today,
            crate::report::docx::Layout::State,
        )
        .map_err(failed)?;
        let paths = crate::report::write_files(&files, reports)
            .map_err(|(path, error)| failed(format!("{}: {error}", path.display())))?;
        crate::report::submit(home, &logged_in(home, who)?, &files).map_err(failed)?;
        for path in paths {
            say!("  {}", path.display());
        }
    }
    sync(&na_ri).await?;
    sync_commune(&commune.home).await?;
    step(
        "Xã Bình Lư và bản Nà Ri lập, nộp báo cáo quý; tỉnh đã nhận / Bình Lư and Nà Ri made and submitted their quarterly reports; the hub has them",
    );

    // The summary, from the hub.
    let state = hub.home.state().map_err(failed)?;
    say!();
    say!(
        "{:<34} {:>5} {:>8} {:>9} {:>8}",
        "Đơn vị / unit",
        "việc",
        "quá hạn",
        "chờ duyệt",
        "xung đột"
    );
    for code in [
        "lai-chau",
        "lai-chau/binh-lu",
        "lai-chau/binh-lu/ban-na-ri",
        "lai-chau/binh-lu/ban-phieng-phat",
        "lai-chau/binh-lu/ban-nam-ngap",
    ] {
        let summary = state.summary(&unit(code), today);
        let name = state
            .registry
            .units
            .get(&unit(code))
            .map_or(code.to_owned(), |u| u.name.clone());
        say!(
            "{:<34} {:>5} {:>8} {:>9} {:>8}",
            name,
            summary.items,
            summary.overdue,
            summary.waiting_approval,
            summary.open_conflicts
        );
    }
    for (id, item) in &state.items {
        for conflict in item.open_conflicts() {
            let loser = item
                .history
                .iter()
                .find(|entry| entry.event == conflict.event);
            let winner = item
                .history
                .iter()
                .find(|entry| entry.event == conflict.against);
            say!();
            say!(
                "Xung đột / conflict on \"{}\" ({})",
                item.title,
                &id.0.simple().to_string()[24..]
            );
            if let Some(winner) = winner {
                say!(
                    "  giữ / stands: {} — {}",
                    winner.actor,
                    texts.detail(&winner.detail)
                );
            }
            if let Some(loser) = loser {
                say!(
                    "  thua / lost:  {} — {}",
                    loser.actor,
                    texts.detail(&loser.detail)
                );
            }
        }
    }
    let hashes = [
        hub.home.state().map_err(failed)?.hash(),
        commune.home.state().map_err(failed)?.hash(),
    ];
    let at_hub = hub.home.state().map_err(failed)?;
    say!();
    say!(
        "Sự kiện có chữ ký cá nhân / events signed by a person: {}; bị từ chối / refused: {}",
        at_hub.signed,
        at_hub.refused.len()
    );
    say!("Mã băm trạng thái tỉnh / hub state hash:     {}", hashes[0]);
    say!("Mã băm trạng thái xã / commune state hash:   {}", hashes[1]);
    if exit {
        for running in [commune, hub] {
            let _ = running.stop.send(());
            let _ = running.task.await;
        }
        return Ok(());
    }
    // Both offices open their app: the province's staff see every unit, the commune works.
    let (stop_apps, apps_stopped) = tokio::sync::watch::channel(false);
    let when_stopped = || {
        let mut stopped = apps_stopped.clone();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    };
    let loopback: std::net::SocketAddr = "127.0.0.1:0".parse().map_err(failed)?;
    // A reader's token for the overview, so that it opens without logging in (a script or a
    // wall screen reads the same way).
    let token = reader_token(&hub.home).map_err(failed)?;
    let hub_app = crate::app::serve(
        loopback,
        hub.home.clone(),
        hub.node.status.clone(),
        hub.node.changes.subscribe(),
        when_stopped(),
    )
    .await
    .map_err(failed)?;
    let commune_app = crate::app::serve(
        loopback,
        commune.home.clone(),
        commune.node.status.clone(),
        commune.node.changes.subscribe(),
        when_stopped(),
    )
    .await
    .map_err(failed)?;
    say!(
        "{}",
        texts.dashboard_at(&format!("http://{hub_app}/hub?token={token}"))
    );
    say!(
        "{}",
        texts.demo_app_login(
            "Tỉnh Lai Châu",
            &format!("http://{hub_app}/"),
            "nguyen-ngoc-vinh"
        )
    );
    say!(
        "{}",
        texts.demo_app_login(
            "Xã Bình Lư",
            &format!("http://{commune_app}/"),
            "nguyen-tien-thinh, ta-thi-dung"
        )
    );
    say!("{}", texts.demo_passphrase(DEMO_PASSPHRASE));
    say!("{}", texts.demo_serving(&hub.addr.to_string()));
    {
        use std::io::Write;
        let _ = std::io::stdout().flush();
    }
    let _ = tokio::signal::ctrl_c().await;
    let _ = stop_apps.send(true);
    for running in [commune, hub] {
        let _ = running.stop.send(());
        let _ = running.task.await;
    }
    say!("{}", texts.stopped());
    Ok(())
}

/// Writes a staff token for `home`'s overview into its `tokens.toml`; returns it.
fn reader_token(home: &Home) -> Result<String, String> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|error| error.to_string())?;
    let value: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let tokens = crate::app::Tokens {
        tokens: vec![crate::app::Token {
            value: value.clone(),
            role: "staff".into(),
        }],
    };
    let text = toml::to_string(&tokens).map_err(|error| error.to_string())?;
    std::fs::write(home.dir.join("tokens.toml"), text).map_err(|error| error.to_string())?;
    Ok(value)
}

/// The commune syncs with the hub (it is serving its villages at the same time).
async fn sync_commune(commune: &Home) -> Result<(), Failure> {
    sync(commune).await.map(|_| ())
}

fn write_commune_registry(commune: &Home) -> Result<(), Failure> {
    let admin = "ta-thi-dung";
    let units = [
        ("lai-chau/binh-lu", "Xã Bình Lư", "commune"),
        (
            "lai-chau/binh-lu/bch",
            "Ban Chấp hành Đảng bộ xã",
            "committee",
        ),
        (
            "lai-chau/binh-lu/ban-xay-dung-dang",
            "Ban Xây dựng Đảng",
            "board",
        ),
        ("lai-chau/binh-lu/ubnd", "Ủy ban nhân dân xã", "committee"),
    ];
    for (code, name, kind) in units {
        act(
            commune,
            admin,
            Command::DefineUnit {
                unit: unit(code),
                name: name.into(),
                kind: kind.into(),
            },
        )?;
    }
    let people = [
        (
            "nguyen-tien-thinh",
            "Nguyễn Tiến Thịnh",
            "lai-chau/binh-lu",
            "bi-thu",
        ),
        (
            "ta-thi-dung",
            "Tạ Thị Dung",
            "lai-chau/binh-lu",
            "pho-bi-thu",
        ),
        (
            "lo-thi-mai",
            "Lò Thị Mai",
            "lai-chau/binh-lu/ban-xay-dung-dang",
            "truong-ban",
        ),
        (
            "vang-a-sinh",
            "Vàng A Sinh",
            "lai-chau/binh-lu/ubnd",
            "chu-tich",
        ),
    ];
    for (code, name, at, role) in people {
        act(
            commune,
            admin,
            Command::RegisterPerson {
                person: person(code),
                name: name.into(),
                unit: unit("lai-chau/binh-lu"),
            },
        )?;
        act(
            commune,
            admin,
            Command::AssignRole {
                person: person(code),
                unit: unit(at),
                role: role.into(),
            },
        )?;
    }
    Ok(())
}
