//! `nhip demo`: a province hub, Bình Lư commune and three villages, each a real node with its
//! own key and redb log in a temporary folder, enrolled with one-time invitations, each running
//! as `nhip serve` runs — children served, a live link to its parent, its socket and its app —
//! all in this one process on loopback. The officials do the story's work by typing `nhip`
//! commands that reach their office's running node, as they would at their PCs. The commune
//! loads its action program; a village's link is cut and it works offline while the hub cancels
//! one of its tasks; the link comes back; the conflict shows.

mod office;
mod relay;

use std::path::{Path, PathBuf};

use nhip_engine::report::Period;
use nhip_engine::state::State;
use nhip_engine::{Date, PersonId, UnitId};

use crate::api::server::Executor;
use crate::cli::output::{ExitCode, Failure, fail};
use crate::enroll;
use crate::home::Home;
use crate::texts::Texts;
use crate::transport::now_ms;
use office::{Office, holds, item, recorded_id, setup_code};
use relay::Relay;

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

/// The passphrase every official of the demo chose (a demo's; a real one is each person's own).
const DEMO_PASSPHRASE: &str = "trâu về chuồng lúc chiều tà";

/// A child unit about to join, with its administrator.
struct Joining<'a> {
    folder: &'a str,
    unit: &'a str,
    name: &'a str,
    admin: &'a str,
    admin_name: &'a str,
}

/// `inviter` at `parent` writes an invitation for `child` (`nhip invite`); the child's office
/// makes its node and joins with it (`nhip join`, which runs in its own process), then starts
/// its node. With `via`, the child reaches its parent through that relay (its mountain link).
async fn join(
    dir: &Path,
    parent: &mut Office,
    inviter: &str,
    child: Joining<'_>,
    via: Option<&Relay>,
    execute: Executor,
) -> Result<Office, Failure> {
    let file = dir.join(format!("{}.moi.toml", child.folder));
    let addr = via.map_or(parent.running.addr, |relay| relay.addr);
    parent
        .nhip(
            inviter,
            &[
                "invite",
                "--unit",
                child.unit,
                "--name",
                child.name,
                "--admin",
                child.admin,
                "--admin-name",
                child.admin_name,
                "--addr",
                &addr.to_string(),
                "--days",
                "1",
                "--out",
                &file.display().to_string(),
            ],
        )
        .await?;
    let invite = enroll::read_invite(&file).map_err(failed)?;
    let mut home = Home::create(
        &dir.join(child.folder),
        unit(child.unit),
        person(child.admin),
    )
    .map_err(failed)?;
    enroll::join(&mut home, &invite).await.map_err(failed)?;
    let uplink = crate::daemon::Parent {
        addr,
        node: parent.home().node(),
    };
    let office = Office::open(home, Some(uplink), execute).await?;
    // Its administrator's role was recorded at the parent as it admitted the child; it comes
    // down the new live link.
    let (at, admin) = (unit(child.unit), person(child.admin));
    office
        .until("its administrator", |state| {
            state
                .registry
                .roles
                .get(&(at.clone(), "quan-tri".into()))
                .is_some_and(|people| people.contains(&admin))
        })
        .await?;
    Ok(office)
}

/// Runs the demo; with `exit`, returns after the summary instead of serving until Ctrl-C.
/// `execute` runs the command lines the officials send to their nodes (the command layer's).
pub fn run(
    texts: Texts,
    exit: bool,
    reports: Option<PathBuf>,
    execute: Executor,
) -> Result<(), Failure> {
    let dir = std::env::temp_dir().join(format!("nhip-demo-{}", std::process::id()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(failed)?;
    let reports = reports
        .map(|path| std::path::absolute(&path).unwrap_or(path))
        .unwrap_or_else(|| dir.join("bao-cao"));
    let outcome = runtime.block_on(story(&dir, texts, exit, &reports, execute));
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

async fn story(
    dir: &Path,
    texts: Texts,
    exit: bool,
    reports: &Path,
    execute: Executor,
) -> Result<(), Failure> {
    say!("{}", texts.demo_intro(&dir.display().to_string()));
    let step = |text: &str| say!("{}", texts.demo_step(text));
    let today = Date::from_unix_ms(now_ms());

    // The province hub: made (`nhip init`), given a reader's token for its overview (a script
    // or a wall screen reads the same way), started, and its registry typed in by its
    // administrator — unsigned, as a tree is set up before anyone has an account.
    let hub = Home::create(
        &dir.join("lai-chau"),
        unit("lai-chau"),
        person("admin-tinh"),
    )
    .map_err(failed)?;
    let token = reader_token(&hub).map_err(failed)?;
    let mut hub = Office::open(hub, None, execute).await?;
    let admin = "admin-tinh";
    for args in [
        &[
            "person", "role", admin, "--unit", "lai-chau", "--role", "quan-tri",
        ][..],
        &[
            "unit",
            "add",
            "lai-chau",
            "--name",
            "Tỉnh Lai Châu",
            "--kind",
            "hub",
        ],
        &[
            "person",
            "add",
            "nguyen-ngoc-vinh",
            "--name",
            "Nguyễn Ngọc Vinh",
        ],
        &[
            "person",
            "role",
            "nguyen-ngoc-vinh",
            "--unit",
            "lai-chau",
            "--role",
            "lanh-dao",
        ],
    ] {
        hub.nhip(admin, args).await?;
    }
    step("Nút tỉnh Lai Châu đã chạy / the province hub is up");

    // Bình Lư commune joins with a one-time invitation and learns its registry from the hub.
    let mut commune = join(
        dir,
        &mut hub,
        admin,
        Joining {
            folder: "binh-lu",
            unit: "lai-chau/binh-lu",
            name: "Xã Bình Lư",
            admin: "ta-thi-dung",
            admin_name: "Tạ Thị Dung",
        },
        None,
        execute,
    )
    .await?;
    write_commune_registry(&mut commune).await?;
    step("Xã Bình Lư gia nhập bằng tệp mời / Bình Lư commune joined with an invitation");

    // The villages reach the commune over mountain links (a relay the story can cut).
    let mut villages = Vec::new();
    for (folder, code, name, admin, admin_name) in [
        (
            "na-ri",
            "lai-chau/binh-lu/ban-na-ri",
            "Bản Nà Ri",
            "lo-van-pao",
            "Lò Văn Pao",
        ),
        (
            "phieng-phat",
            "lai-chau/binh-lu/ban-phieng-phat",
            "Bản Phiêng Phát",
            "tao-van-khanh",
            "Tao Văn Khánh",
        ),
        (
            "nam-ngap",
            "lai-chau/binh-lu/ban-nam-ngap",
            "Bản Nậm Ngập",
            "giang-a-chu",
            "Giàng A Chu",
        ),
    ] {
        let link = Relay::start(commune.running.addr).await.map_err(failed)?;
        let village = join(
            dir,
            &mut commune,
            "ta-thi-dung",
            Joining {
                folder,
                unit: code,
                name,
                admin,
                admin_name,
            },
            Some(&link),
            execute,
        )
        .await?;
        villages.push((village, link));
    }
    let [
        (mut na_ri, na_ri_link),
        (mut phieng, _phieng_link),
        (nam_ngap, nam_ngap_link),
    ]: [_; 3] = villages.try_into().map_err(|_| failed("three villages"))?;
    // Nậm Ngập joined, but its office has been offline ever since: the hub never hears from
    // it again, so its counts must read as unknown, not as good.
    nam_ngap_link.cut();
    step(
        "Ba bản gia nhập xã; Nậm Ngập mất mạng từ đó / three villages joined; Nậm Ngập has been offline since",
    );

    // Accounts: the administrators issue setup codes; each official chooses a passphrase at
    // the node of their own office, and from then on is logged in there and signs what they
    // decide.
    let mut codes = std::collections::BTreeMap::new();
    for who in [
        "ta-thi-dung",
        "nguyen-tien-thinh",
        "lo-van-pao",
        "tao-van-khanh",
    ] {
        let out = commune
            .nhip("ta-thi-dung", &["person", "setup-code", who])
            .await?;
        codes.insert(who, setup_code(&out)?);
    }
    commune.set_up("ta-thi-dung", &codes["ta-thi-dung"]).await?;
    commune
        .set_up("nguyen-tien-thinh", &codes["nguyen-tien-thinh"])
        .await?;
    for (village, who) in [(&mut na_ri, "lo-van-pao"), (&mut phieng, "tao-van-khanh")] {
        village
            .until("the setup code", |state| has_setup_code(state, who))
            .await?;
        village.set_up(who, &codes[who]).await?;
    }
    let out = hub
        .nhip(admin, &["person", "setup-code", "nguyen-ngoc-vinh"])
        .await?;
    hub.set_up("nguyen-ngoc-vinh", &setup_code(&out)?).await?;
    step(
        "Cán bộ đặt cụm mật khẩu, đăng nhập; mọi quyết định từ đây đều được ký / officials set their passphrases and log in; every decision from here on is signed",
    );

    // The commune loads its program (deadlines around today: some due soon, one already late).
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
        let deadline = today.plus_days(days).to_string();
        let out = commune
            .nhip(
                "ta-thi-dung",
                &[
                    "task",
                    "create",
                    "--title",
                    title,
                    "--unit",
                    at,
                    "--assignee",
                    assignee,
                    "--deadline",
                    &deadline,
                ],
            )
            .await?;
        tasks.push(recorded_id(&out)?);
    }
    for args in [
        &[
            "indicator",
            "define",
            "ty-le-thu-gom-rac",
            "--name",
            "Tỷ lệ hộ được thu gom rác thải",
            "--measure",
            "%",
            "--target",
            "100",
            "--period",
            "2025",
            "--unit",
            "lai-chau/binh-lu",
        ][..],
        &[
            "indicator",
            "report",
            "ty-le-thu-gom-rac",
            "82",
            "--note",
            "Quý IV",
        ],
    ] {
        commune.nhip("nguyen-tien-thinh", args).await?;
    }
    let all_tasks = |state: &State| tasks.iter().all(|task| holds(state, task));
    hub.until("the program", all_tasks).await?;
    na_ri
        .until("its tasks", |state| {
            holds(state, &tasks[0]) && holds(state, &tasks[1])
        })
        .await?;
    phieng
        .until("its tasks", |state| holds(state, &tasks[3]))
        .await?;
    step(
        "Xã giao 7 nhiệm vụ; các bản và tỉnh đã nhận / the commune assigned 7 tasks; villages and hub have them",
    );

    // Nà Ri's link is cut and it works on; meanwhile the hub cancels Nà Ri's waste task.
    na_ri_link.cut();
    let pao = "lo-van-pao";
    for args in [
        &[
            "task",
            "start",
            &tasks[0],
            "--note",
            "Bắt đầu tiêu độc khử trùng",
        ][..],
        &[
            "task",
            "progress",
            &tasks[0],
            "60",
            "--note",
            "Đã tiêu độc 42 chuồng trại",
        ],
        &["task", "start", &tasks[1]],
        &[
            "task",
            "complete",
            &tasks[1],
            "--note",
            "Cả bản đã có điểm tập kết rác",
        ],
    ] {
        na_ri.nhip(pao, args).await?;
    }
    hub.nhip(
        "nguyen-ngoc-vinh",
        &[
            "task",
            "cancel",
            &tasks[1],
            "--note",
            "Gộp vào đề án vệ sinh môi trường của tỉnh",
        ],
    )
    .await?;
    phieng
        .nhip(
            "tao-van-khanh",
            &[
                "task",
                "progress",
                &tasks[3],
                "30",
                "--note",
                "Đã họp chi bộ",
            ],
        )
        .await?;
    let cancelled = |state: &State| item(state, &tasks[1]).is_some_and(|i| i.state == "cancelled");
    commune.until("the hub's cancellation", cancelled).await?;
    hub.until("Phiêng Phát's progress", |state| {
        item(state, &tasks[3]).is_some_and(|i| i.percent == 30)
    })
    .await?;
    step(
        "Bản Nà Ri mất mạng, vẫn làm việc; tỉnh hủy cùng nhiệm vụ đó / Nà Ri works offline; the hub cancels the same task",
    );

    // The link comes back: what Nà Ri did goes up, the cancellation comes down, and every
    // node that holds both sees the same conflict.
    let up = na_ri.home().pending_up().map_err(failed)?;
    na_ri_link.restore();
    let conflict =
        |state: &State| item(state, &tasks[1]).is_some_and(|i| i.open_conflicts().next().is_some());
    hub.until("Nà Ri's work", conflict).await?;
    na_ri.until("the hub's cancellation", conflict).await?;
    step(&format!(
        "Có mạng trở lại: Nà Ri gửi {up} sự kiện; tất cả đã đồng bộ / the link is back: Nà Ri sent {up} events; all synced"
    ));

    // Bình Lư and Nà Ri make their quarterly reports from their own logs and submit them; the
    // hub learns who has reported over the live links.
    let quarter = Period::quarter_of(today).code();
    let out_folder = reports.display().to_string();
    for (office, who) in [(&mut commune, "ta-thi-dung"), (&mut na_ri, "lo-van-pao")] {
        let out = office
            .nhip(
                who,
                &[
                    "report",
                    "submit",
                    "--period",
                    &quarter,
                    "--out",
                    &out_folder,
                    "--json",
                ],
            )
            .await?;
        let made: serde_json::Value = serde_json::from_str(&out).map_err(failed)?;
        for format in ["xlsx", "docx"] {
            say!("  {}", made[format]["path"].as_str().unwrap_or_default());
        }
    }
    hub.until("both reports", |state| {
        state
            .items
            .values()
            .filter(|item| item.workflow == "report")
            .count()
            == 2
    })
    .await?;
    settle(&[&na_ri, &phieng], &commune, &hub).await?;
    step(
        "Xã Bình Lư và bản Nà Ri lập, nộp báo cáo quý; tỉnh đã nhận / Bình Lư and Nà Ri made and submitted their quarterly reports; the hub has them",
    );

    // The summary, from the hub.
    let state = hub.home().state().map_err(failed)?;
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
        hub.home().state().map_err(failed)?.hash(),
        commune.home().state().map_err(failed)?.hash(),
    ];
    let at_hub = hub.home().state().map_err(failed)?;
    say!();
    say!(
        "Sự kiện có chữ ký cá nhân / events signed by a person: {}; bị từ chối / refused: {}",
        at_hub.signed,
        at_hub.refused.len()
    );
    say!("Mã băm trạng thái tỉnh / hub state hash:     {}", hashes[0]);
    say!("Mã băm trạng thái xã / commune state hash:   {}", hashes[1]);
    let offices = [na_ri, phieng, nam_ngap, commune, hub];
    if exit {
        for office in offices {
            office.close().await;
        }
        return Ok(());
    }
    // Every office has its app; the province's staff see every unit, the commune works.
    let [_, _, _, commune, hub] = &offices;
    let (hub_app, commune_app) = (
        hub.running.app.ok_or_else(|| failed("the hub's app"))?,
        commune
            .running
            .app
            .ok_or_else(|| failed("the commune's app"))?,
    );
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
    say!("{}", texts.demo_serving(&hub.running.addr.to_string()));
    {
        use std::io::Write;
        let _ = std::io::stdout().flush();
    }
    let _ = tokio::signal::ctrl_c().await;
    for office in offices {
        office.close().await;
    }
    say!("{}", texts.stopped());
    Ok(())
}

/// Waits until the tree is still: every village on a live link has had all it holds taken up
/// by the commune (its receipts say so), the commune has had all it holds taken up by the hub,
/// and the hub and the commune hold the same state — what either may see has crossed.
async fn settle(villages: &[&Office], commune: &Office, hub: &Office) -> Result<(), Failure> {
    for office in villages.iter().copied().chain([commune]) {
        office.until_delivered().await?;
    }
    let hash = |office: &Office| office.home().state().ok().map(|state| state.hash());
    let mut changes = hub.running.node.changes.subscribe();
    for _ in 0..300 {
        if hash(hub).is_some() && hash(hub) == hash(commune) {
            return Ok(());
        }
        let _ =
            tokio::time::timeout(std::time::Duration::from_millis(200), changes.changed()).await;
    }
    Err(failed("the hub and the commune did not agree within 60 s"))
}

/// Whether `state` holds an unused setup code for `who`.
fn has_setup_code(state: &State, who: &str) -> bool {
    state
        .registry
        .setups
        .values()
        .any(|setup| setup.person.as_str() == who && !setup.used)
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

/// The commune's administrator types in its registry.
async fn write_commune_registry(commune: &mut Office) -> Result<(), Failure> {
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
        commune
            .nhip(
                admin,
                &["unit", "add", code, "--name", name, "--kind", kind],
            )
            .await?;
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
        commune
            .nhip(admin, &["person", "add", code, "--name", name])
            .await?;
        commune
            .nhip(
                admin,
                &["person", "role", code, "--unit", at, "--role", role],
            )
            .await?;
    }
    Ok(())
}
