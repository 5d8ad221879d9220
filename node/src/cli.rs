//! The `nhip` command: what an office uses every day. Parsing (clap), dispatch, output as text
//! or JSON, and exit codes. Texts come from [`crate::texts`].
//!
//! Exit codes: 0 done; 1 refused or failed (the message says why); 2 usage (wrong arguments);
//! 3 no node here, or a damaged configuration; 4 the node is busy (another process holds it);
//! 5 the network (sync could not complete); 6 storage (the disk failed or is full).

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use nhip_engine::command::Command;
use nhip_engine::state::{Item, State};
use nhip_engine::{Date, EventId, EventLog, PersonId, UnitId};

use crate::daemon::{self, Parent};
use crate::enroll;
use crate::home::{Home, HomeError};
use crate::text_search::{fold, matches, normalize};
use crate::texts::{Lang, Texts};
use crate::transport::{self, Mode, now_ms};

/// Nhịp: sổ công việc của xã, làm việc cả khi mất mạng, đồng bộ khi có mạng.
#[derive(Parser)]
#[command(name = "nhip", version, about, long_about = None)]
pub struct Cli {
    /// Thư mục dữ liệu của nút (data folder) [mặc định: NHIP_DATA, hoặc ~/.local/share/nhip].
    #[arg(long, global = true, env = "NHIP_DATA")]
    data: Option<PathBuf>,
    /// Ngôn ngữ: vi (mặc định) hoặc en.
    #[arg(long, global = true)]
    lang: Option<String>,
    /// Người thực hiện (acting person) [mặc định: trong config.toml].
    #[arg(long = "as", global = true)]
    actor: Option<String>,
    /// Ghi nhật ký chi tiết (-v, -vv); hoặc RUST_LOG.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Top,
}

#[derive(Subcommand)]
enum Top {
    /// Tạo nút mới (create a node): khóa, sổ, cấu hình.
    Init(InitArgs),
    /// Mời một đơn vị con (invite a child unit): tạo tệp mời dùng một lần.
    Invite(InviteArgs),
    /// Gia nhập nút cha bằng tệp mời (join a parent with an invitation file).
    Join(JoinArgs),
    /// Thu hồi một nút con (revoke a child): theo mã nút hoặc đơn vị.
    Revoke {
        /// Mã nút (hex, hoặc phần đầu) hoặc đơn vị.
        child: String,
    },
    /// Phục vụ các nút con qua QUIC, và đồng bộ với nút cha nếu có (serve).
    Serve {
        /// Địa chỉ lắng nghe (listen address) [mặc định: trong config.toml].
        #[arg(long)]
        listen: Option<String>,
        /// Địa chỉ bảng điều khiển (dashboard), hoặc "off". Ngoài máy này thì cần tokens.toml.
        /// [mặc định: 127.0.0.1:7412 ở nút gốc (hub), tắt ở nút khác]
        #[arg(long)]
        dashboard: Option<String>,
    },
    /// Đồng bộ với nút cha (sync with the parent) một lần, hoặc liên tục với --watch.
    Sync {
        /// Giữ kết nối, tự kết nối lại (keep syncing; reconnect with backoff).
        #[arg(long)]
        watch: bool,
    },
    /// Tình trạng nút (status): đơn vị, nút cha, đồng bộ, xung đột, sự cố.
    Status(JsonArg),
    /// Nhiệm vụ chương trình hành động (action-program tasks).
    Task {
        #[command(subcommand)]
        action: ItemAction,
    },
    /// Mọi loại mục theo quy trình (items of any workflow: document, budget, petition, ...).
    Item {
        /// Quy trình (workflow id) cho create/list.
        #[arg(long, default_value = "task")]
        workflow: String,
        #[command(subcommand)]
        action: ItemAction,
    },
    /// Chỉ tiêu (indicators).
    Indicator {
        #[command(subcommand)]
        action: IndicatorAction,
    },
    /// Quy trình (workflow definitions).
    Workflow {
        #[command(subcommand)]
        action: WorkflowAction,
    },
    /// Đơn vị (units).
    Unit {
        #[command(subcommand)]
        action: UnitAction,
    },
    /// Cán bộ (people and roles).
    Person {
        #[command(subcommand)]
        action: PersonAction,
    },
    /// Nhập phụ lục nhiệm vụ từ CSV (import the program appendix).
    Import {
        /// Tệp CSV (UTF-8): cột Công việc, Người thực hiện, Đơn vị chủ trì, Đơn vị phối hợp, Thời hạn.
        file: PathBuf,
    },
    /// Xuất mục ra CSV (Excel đọc được tiếng Việt) hoặc JSON lines.
    Export {
        /// csv hoặc jsonl.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Tệp ra (mặc định: màn hình).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Xuất toàn bộ sự kiện (cho kiểm toán) thay vì các mục.
        #[arg(long)]
        events: bool,
    },
    /// Kiểm toán (audit): xác minh sổ, lịch sử, trạng thái tại một thời điểm, biên nhận.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Đọc lại một tệp sổ và in mã băm trạng thái (replay a log file).
    Replay {
        /// Tệp sổ redb.
        db: PathBuf,
    },
    /// Minh họa: tỉnh, xã Bình Lư và hai bản trên máy này (the demo).
    Demo {
        /// Kết thúc ngay sau khi in tóm tắt (finish at once).
        #[arg(long)]
        exit: bool,
    },
}

#[derive(Subcommand)]
enum AuditAction {
    /// Xác minh toàn bộ sổ (chỉ đọc): chuỗi, chữ ký, khoảng trống, giả mạo; tính lại mã băm.
    Verify {
        /// Tệp sổ (một bản sao); mặc định: sổ của nút này.
        file: Option<PathBuf>,
        /// In dạng JSON.
        #[arg(long)]
        json: bool,
    },
    /// Lịch sử: ai, làm gì, ở đơn vị nào, ghi lúc nào, nhận lúc nào, từ nút nào.
    History {
        /// Mã mục.
        item: Option<String>,
        /// Mọi mục của đơn vị này và cấp dưới.
        #[arg(long)]
        unit: Option<String>,
        /// Mọi việc của người này.
        #[arg(long)]
        person: Option<String>,
        /// In dạng JSON.
        #[arg(long)]
        json: bool,
    },
    /// Trạng thái tại một thời điểm: --as-of (theo giờ ghi) hoặc --known-at (theo giờ nhận).
    Replay {
        /// Ngày (cuối ngày đó): trạng thái theo thời gian của chính các sự kiện.
        #[arg(long)]
        as_of: Option<String>,
        /// Ngày (cuối ngày đó): những gì nút này đã biết lúc đó.
        #[arg(long)]
        known_at: Option<String>,
        /// In dạng JSON.
        #[arg(long)]
        json: bool,
    },
    /// Biên nhận có chữ ký của nút cha mà nút này giữ.
    Receipts(JsonArg),
    /// Kiểm tra sổ của nút cha còn giữ mọi thứ nó đã ký nhận.
    CheckReceipts {
        /// Tệp biên nhận (receipts.jsonl của nút con).
        receipts: PathBuf,
        /// Tệp sổ của nút cha (bản sao).
        #[arg(long)]
        against: PathBuf,
        /// In dạng JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct JsonArg {
    /// In dạng JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct InitArgs {
    /// Đơn vị của nút (unit path), ví dụ lai-chau/binh-lu.
    #[arg(long)]
    unit: String,
    /// Tên đơn vị (unit name).
    #[arg(long)]
    name: Option<String>,
    /// Họ tên người quản trị (administrator's full name).
    #[arg(long)]
    person_name: Option<String>,
    /// Nút trung tâm (the root of the tree): người thực hiện trở thành quản trị.
    #[arg(long)]
    hub: bool,
    /// Địa chỉ lắng nghe cho nhip serve.
    #[arg(long)]
    listen: Option<String>,
}

#[derive(Args)]
struct InviteArgs {
    /// Đơn vị con (child unit path).
    #[arg(long)]
    unit: String,
    /// Tên đơn vị con.
    #[arg(long)]
    name: Option<String>,
    /// Người quản trị của đơn vị con (its administrator's code).
    #[arg(long)]
    admin: Option<String>,
    /// Họ tên người quản trị.
    #[arg(long)]
    admin_name: Option<String>,
    /// Địa chỉ nút con dùng để gọi nút này (host:port) [mặc định: listen trong config].
    #[arg(long)]
    addr: Option<String>,
    /// Số ngày hiệu lực.
    #[arg(long, default_value_t = 7)]
    days: u64,
    /// Tệp mời sẽ ghi ra.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
struct JoinArgs {
    /// Tệp mời từ nút cha.
    file: PathBuf,
}

#[derive(Subcommand)]
enum ItemAction {
    /// Tạo mới (create).
    Create {
        /// Việc (the work).
        #[arg(long)]
        title: String,
        /// Đơn vị liên quan (unit) [mặc định: đơn vị của nút].
        #[arg(long)]
        unit: Option<String>,
        /// Đơn vị chủ trì (lead unit).
        #[arg(long)]
        lead: Option<String>,
        /// Đơn vị phối hợp, cách nhau bởi dấu phẩy.
        #[arg(long, value_delimiter = ',')]
        coordinating: Vec<String>,
        /// Người thực hiện (assignee).
        #[arg(long)]
        assignee: Option<String>,
        /// Thời hạn: 2025-12-31 hoặc 31/12/2025.
        #[arg(long)]
        deadline: Option<String>,
        /// Mô tả.
        #[arg(long, default_value = "")]
        description: String,
        /// Chương trình/nghị quyết cha (parent item id).
        #[arg(long)]
        parent: Option<String>,
        /// Chỉ tiêu (indicator id).
        #[arg(long)]
        indicator: Option<String>,
    },
    /// Danh sách (list).
    List {
        /// Chỉ đơn vị này và cấp dưới.
        #[arg(long)]
        unit: Option<String>,
        /// Chỉ trạng thái này.
        #[arg(long)]
        state: Option<String>,
        /// Chỉ mục quá hạn.
        #[arg(long)]
        overdue: bool,
        /// Tìm theo chữ (không phân biệt dấu).
        #[arg(long)]
        search: Option<String>,
        /// In dạng JSON.
        #[arg(long)]
        json: bool,
    },
    /// Chi tiết và lịch sử (show).
    Show {
        /// Mã mục (hoặc phần của nó).
        id: String,
        /// In dạng JSON.
        #[arg(long)]
        json: bool,
    },
    /// Giao lại (assign).
    Assign {
        /// Mã mục.
        id: String,
        /// Người nhận.
        person: String,
    },
    /// Bắt đầu (start).
    Start(StepArgs),
    /// Báo cáo tiến độ (progress).
    Progress {
        /// Mã mục.
        id: String,
        /// Phần trăm.
        percent: u8,
        /// Ghi chú.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Trình duyệt (submit).
    Submit(StepArgs),
    /// Duyệt (approve).
    Approve(StepArgs),
    /// Trả lại, có lý do (reject / send back).
    Reject {
        /// Mã mục.
        id: String,
        /// Lý do.
        #[arg(long)]
        note: String,
    },
    /// Hoàn thành (complete).
    Complete(StepArgs),
    /// Hủy (cancel).
    Cancel(StepArgs),
    /// Gia hạn (extend the deadline).
    Extend {
        /// Mã mục.
        id: String,
        /// Thời hạn mới.
        deadline: String,
        /// Lý do.
        #[arg(long)]
        reason: String,
    },
    /// Ý kiến (comment).
    Comment {
        /// Mã mục.
        id: String,
        /// Nội dung.
        text: String,
    },
    /// Chuyển trạng thái theo quy trình (fire any transition by name).
    Fire {
        /// Mã mục.
        id: String,
        /// Tên bước (transition).
        transition: String,
        /// Ghi chú.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Xử lý xung đột (record the resolution of a conflict).
    Resolve {
        /// Mã mục.
        id: String,
        /// Mã sự kiện thua (the losing event, or part of it).
        conflict: String,
        /// Quyết định.
        #[arg(long)]
        note: String,
    },
}

#[derive(Args)]
struct StepArgs {
    /// Mã mục (item id, or part of it).
    id: String,
    /// Ghi chú.
    #[arg(long, default_value = "")]
    note: String,
}

#[derive(Subcommand)]
enum IndicatorAction {
    /// Định nghĩa chỉ tiêu.
    Define {
        /// Mã.
        id: String,
        /// Tên.
        #[arg(long)]
        name: String,
        /// Đơn vị đo.
        #[arg(long, default_value = "%")]
        measure: String,
        /// Mục tiêu.
        #[arg(long)]
        target: f64,
        /// Kỳ.
        #[arg(long, default_value = "2025")]
        period: String,
        /// Đơn vị sở hữu.
        #[arg(long)]
        unit: Option<String>,
    },
    /// Báo cáo giá trị.
    Report {
        /// Mã.
        id: String,
        /// Giá trị.
        value: f64,
        /// Ghi chú.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Danh sách.
    List(JsonArg),
}

#[derive(Subcommand)]
enum WorkflowAction {
    /// Danh sách quy trình.
    List(JsonArg),
    /// Xem một quy trình.
    Show {
        /// Mã quy trình.
        id: String,
        /// In dạng JSON.
        #[arg(long)]
        json: bool,
    },
    /// Ban hành quy trình từ tệp TOML (publish).
    Publish {
        /// Tệp TOML.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum UnitAction {
    /// Thêm đơn vị.
    Add {
        /// Đường dẫn đơn vị.
        unit: String,
        /// Tên.
        #[arg(long)]
        name: String,
        /// Loại.
        #[arg(long, default_value = "unit")]
        kind: String,
    },
    /// Danh sách đơn vị.
    List(JsonArg),
}

#[derive(Subcommand)]
enum PersonAction {
    /// Thêm cán bộ.
    Add {
        /// Mã cán bộ.
        person: String,
        /// Họ tên.
        #[arg(long)]
        name: String,
    },
    /// Giao hoặc bỏ vai trò.
    Role {
        /// Mã cán bộ.
        person: String,
        /// Đơn vị.
        #[arg(long)]
        unit: String,
        /// Vai trò.
        #[arg(long)]
        role: String,
        /// Bỏ vai trò thay vì giao.
        #[arg(long)]
        remove: bool,
    },
    /// Danh sách cán bộ.
    List(JsonArg),
}

/// A failure with its exit code, already in words.
pub struct Failure {
    /// The exit code.
    pub code: u8,
    /// What to tell the person.
    pub message: String,
}

type Outcome = Result<(), Failure>;

fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure {
        code,
        message: message.into(),
    }
}

/// The default data folder: `$XDG_DATA_HOME/nhip`, or `~/.local/share/nhip`.
fn default_data() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME") {
        return PathBuf::from(dir).join("nhip");
    }
    std::env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".local/share/nhip"))
        .unwrap_or_else(|| PathBuf::from("nhip-data"))
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let data = cli.data.clone().unwrap_or_else(default_data);
    // The language: the flag, else the node's configuration, else Vietnamese.
    let lang = cli.lang.as_deref().map(Lang::parse).unwrap_or_else(|| {
        crate::config::read::<crate::config::Config>(&data.join(crate::config::CONFIG_FILE))
            .map(|config| Lang::parse(&config.lang))
            .unwrap_or_default()
    });
    let texts = Texts(lang);
    match run(cli, &data, texts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let _ = writeln!(
                std::io::stderr(),
                "{}: {}",
                texts.error_prefix(),
                failure.message
            );
            ExitCode::from(failure.code)
        }
    }
}

fn home_failure(texts: Texts, error: HomeError) -> Failure {
    match error {
        HomeError::NoNode(dir) => fail(3, texts.no_node(&dir)),
        HomeError::Exists(dir) => fail(1, texts.node_exists(&dir)),
        HomeError::Locked(dir) => fail(4, texts.locked(&dir)),
        HomeError::Damaged { file, detail } => fail(3, texts.log_damaged(&file, &detail)),
        HomeError::Config(error) => fail(3, error.to_string()),
        HomeError::Command(error) => fail(1, texts.command_error(&error)),
        HomeError::Append(nhip_engine::AppendError::Store(error)) | HomeError::Store(error) => {
            fail(6, error.to_string())
        }
        other => fail(1, other.to_string()),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| fail(1, error.to_string()))
}

fn unit_arg(texts: Texts, text: &str) -> Result<UnitId, Failure> {
    UnitId::new(&normalize(text)).map_err(|error| fail(1, texts.bad_code(text, &error.to_string())))
}

fn person_arg(texts: Texts, text: &str) -> Result<PersonId, Failure> {
    PersonId::new(&normalize(text))
        .map_err(|error| fail(1, texts.bad_code(text, &error.to_string())))
}

fn date_arg(texts: Texts, text: &str) -> Result<Date, Failure> {
    Date::parse(text).map_err(|_| fail(1, texts.bad_date(text)))
}

fn short(id: &EventId) -> String {
    let hex = id.0.simple().to_string();
    hex[hex.len() - 8..].to_owned()
}

/// Finds the item whose id is, starts with, or ends with `text`.
fn find_item(state: &State, texts: Texts, text: &str) -> Result<EventId, Failure> {
    let wanted = text.trim().to_lowercase().replace('-', "");
    let found: Vec<EventId> = state
        .items
        .keys()
        .filter(|id| {
            let hex = id.0.simple().to_string();
            !wanted.is_empty() && (hex.starts_with(&wanted) || hex.ends_with(&wanted))
        })
        .copied()
        .collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(fail(1, texts.unknown_id(text))),
        many => Err(fail(1, texts.ambiguous_id(text, many.len()))),
    }
}

fn print_json(value: &impl serde::Serialize) -> Outcome {
    let text = serde_json::to_string_pretty(value).map_err(|error| fail(1, error.to_string()))?;
    say!("{text}");
    Ok(())
}

fn run(cli: Cli, data: &Path, texts: Texts) -> Outcome {
    let actor_flag = cli.actor.clone();
    let open = || Home::open(data).map_err(|error| home_failure(texts, error));
    let actor = |home: &Home| -> Result<PersonId, Failure> {
        match &actor_flag {
            Some(text) => person_arg(texts, text),
            None => Ok(home.config.person.clone()),
        }
    };
    match cli.command {
        Top::Init(args) => init(data, texts, args, actor_flag.as_deref()),
        Top::Invite(args) => {
            let home = open()?;
            let unit = unit_arg(texts, &args.unit)?;
            let admin = match &args.admin {
                Some(code) => Some(person_arg(texts, code)?),
                None => None,
            };
            let admin_name = args
                .admin_name
                .as_deref()
                .map(normalize)
                .or_else(|| admin.as_ref().map(|a| a.to_string()))
                .unwrap_or_default();
            let addr = args
                .addr
                .clone()
                .unwrap_or_else(|| home.config.listen.replace("0.0.0.0", "127.0.0.1"));
            let name = args
                .name
                .as_deref()
                .map(normalize)
                .unwrap_or_else(|| unit.to_string());
            let file = enroll::invite(
                &home,
                &unit,
                &name,
                admin.as_ref().map(|person| (person, admin_name.as_str())),
                &addr,
                args.days,
            )
            .map_err(|error| match error {
                enroll::EnrollError::Home(error) => home_failure(texts, error),
                other => fail(1, other.to_string()),
            })?;
            let text = toml::to_string_pretty(&file).map_err(|error| fail(1, error.to_string()))?;
            std::fs::write(&args.out, text)
                .map_err(|error| fail(1, format!("{}: {error}", args.out.display())))?;
            say!(
                "{}",
                texts.invite_written(&args.out.display().to_string(), unit.as_str(), args.days)
            );
            Ok(())
        }
        Top::Join(args) => {
            let invite =
                enroll::read_invite(&args.file).map_err(|error| fail(1, error.to_string()))?;
            // A bad file makes nothing: no folder, no key.
            enroll::check(&invite).map_err(|error| fail(1, error.to_string()))?;
            let mut home = match Home::open(data) {
                Ok(home) => home,
                Err(HomeError::NoNode(_)) => {
                    let person = match &actor_flag {
                        Some(text) => person_arg(texts, text)?,
                        None => return Err(fail(2, "nhip join FILE --as PERSON")),
                    };
                    Home::create(data, invite.unit.clone(), person)
                        .map_err(|error| home_failure(texts, error))?
                }
                Err(error) => return Err(home_failure(texts, error)),
            };
            runtime()?
                .block_on(enroll::join(&mut home, &invite))
                .map_err(|error| match error {
                    enroll::EnrollError::Refused(reason)
                    | enroll::EnrollError::Transport(transport::TransportError::Refused(reason)) => {
                        fail(1, texts.join_refused(&reason))
                    }
                    enroll::EnrollError::Transport(error) => {
                        fail(5, texts.sync_failed(&error.to_string()))
                    }
                    other => fail(1, other.to_string()),
                })?;
            say!(
                "{}",
                texts.joined(&invite.parent_addr, invite.unit.as_str())
            );
            Ok(())
        }
        Top::Revoke { child } => {
            let home = open()?;
            let mut children = home
                .children()
                .map_err(|error| home_failure(texts, error))?;
            let wanted = child.trim().to_lowercase();
            let Some(found) = children
                .children
                .iter_mut()
                .find(|c| !c.revoked && (c.node.starts_with(&wanted) || c.unit.as_str() == wanted))
            else {
                return Err(fail(1, texts.no_such_child(&child)));
            };
            found.revoked = true;
            let (node, unit) = (found.node.clone(), found.unit.to_string());
            home.save_children(&children)
                .map_err(|error| home_failure(texts, error))?;
            say!("{}", texts.revoked(&node[..8.min(node.len())], &unit));
            Ok(())
        }
        Top::Serve { listen, dashboard } => serve(open()?, texts, listen, dashboard),
        Top::Sync { watch } => sync(open()?, texts, watch),
        Top::Status(args) => status(open()?, args.json),
        Top::Task { action } => {
            let home = open()?;
            let person = actor(&home)?;
            item_action(&home, texts, &person, "task", action)
        }
        Top::Item { workflow, action } => {
            let home = open()?;
            let person = actor(&home)?;
            item_action(&home, texts, &person, &workflow, action)
        }
        Top::Indicator { action } => {
            let home = open()?;
            let person = actor(&home)?;
            indicator_action(&home, texts, &person, action)
        }
        Top::Workflow { action } => {
            let home = open()?;
            let person = actor(&home)?;
            workflow_action(&home, texts, &person, action)
        }
        Top::Unit { action } => {
            let home = open()?;
            let person = actor(&home)?;
            match action {
                UnitAction::Add { unit, name, kind } => {
                    let unit = unit_arg(texts, &unit)?;
                    record(
                        &home,
                        texts,
                        &person,
                        "unit",
                        Command::DefineUnit {
                            unit,
                            name: normalize(&name),
                            kind,
                        },
                    )
                }
                UnitAction::List(args) => {
                    let state = home.state().map_err(|error| home_failure(texts, error))?;
                    if args.json {
                        return print_json(&state.registry.units);
                    }
                    for (unit, details) in &state.registry.units {
                        say!("{unit:<40} {:<10} {}", details.kind, details.name);
                    }
                    Ok(())
                }
            }
        }
        Top::Person { action } => {
            let home = open()?;
            let me = actor(&home)?;
            match action {
                PersonAction::Add { person, name } => {
                    let person = person_arg(texts, &person)?;
                    let unit = home.config.unit.clone();
                    record(
                        &home,
                        texts,
                        &me,
                        "person",
                        Command::RegisterPerson {
                            person,
                            name: normalize(&name),
                            unit,
                        },
                    )
                }
                PersonAction::Role {
                    person,
                    unit,
                    role,
                    remove,
                } => {
                    let person = person_arg(texts, &person)?;
                    let unit = unit_arg(texts, &unit)?;
                    let command = if remove {
                        Command::RemoveRole { person, unit, role }
                    } else {
                        Command::AssignRole { person, unit, role }
                    };
                    record(&home, texts, &me, "role", command)
                }
                PersonAction::List(args) => {
                    let state = home.state().map_err(|error| home_failure(texts, error))?;
                    if args.json {
                        let people: Vec<_> = state
                            .registry
                            .people
                            .iter()
                            .map(|(code, person)| {
                                serde_json::json!({
                                    "person": code,
                                    "name": person.name,
                                    "roles": state.registry.roles_of(code),
                                })
                            })
                            .collect();
                        return print_json(&people);
                    }
                    for (code, person) in &state.registry.people {
                        let roles: Vec<String> = state
                            .registry
                            .roles_of(code)
                            .into_iter()
                            .map(|(unit, role)| format!("{role}@{unit}"))
                            .collect();
                        say!("{code:<22} {:<22} {}", person.name, roles.join(", "));
                    }
                    Ok(())
                }
            }
        }
        Top::Import { file } => {
            let home = open()?;
            let person = actor(&home)?;
            with_spinner(texts, || {
                crate::exchange::import(&home, texts, &person, &file)
            })
        }
        Top::Export {
            format,
            out,
            events,
        } => {
            let home = open()?;
            with_spinner(texts, || {
                if events {
                    crate::exchange::export_events(&home, texts, &format, out.as_deref())
                } else {
                    crate::exchange::export(&home, texts, &format, out.as_deref())
                }
            })
        }
        Top::Replay { db } => {
            let log = nhip_engine::RedbLog::open(&db).map_err(|error| match error {
                nhip_engine::OpenError::Locked => fail(4, error.to_string()),
                nhip_engine::OpenError::Damaged(detail) => {
                    fail(3, texts.log_damaged(&db.display().to_string(), &detail))
                }
                other => fail(3, other.to_string()),
            })?;
            let state = with_spinner(texts, || {
                nhip_engine::replay(&log).map_err(|error| fail(6, error.to_string()))
            })?;
            say!("events: {}", state.events);
            say!("items: {}", state.items.len());
            say!("state hash: {}", state.hash());
            Ok(())
        }
        Top::Demo { exit } => crate::demo::run(texts, exit),
        Top::Audit { action } => crate::audit::run(data, texts, action_to(action)),
    }
}

fn init(data: &Path, texts: Texts, args: InitArgs, actor: Option<&str>) -> Outcome {
    let unit = unit_arg(texts, &args.unit)?;
    let Some(actor) = actor else {
        return Err(fail(2, "nhip init --unit UNIT --as PERSON"));
    };
    let person = person_arg(texts, actor)?;
    let mut home = Home::create(data, unit.clone(), person.clone())
        .map_err(|error| home_failure(texts, error))?;
    if let Some(listen) = args.listen {
        home.config.listen = listen;
        home.save_config()
            .map_err(|error| home_failure(texts, error))?;
    }
    if args.hub {
        // The hub's administrator appoints themself: the root of the tree.
        let name = args
            .name
            .as_deref()
            .map(normalize)
            .unwrap_or_else(|| unit.to_string());
        let person_name = args
            .person_name
            .as_deref()
            .map(normalize)
            .unwrap_or_else(|| person.to_string());
        for command in [
            Command::AssignRole {
                person: person.clone(),
                unit: unit.clone(),
                role: nhip_engine::registry::ADMIN_ROLE.into(),
            },
            Command::DefineUnit {
                unit: unit.clone(),
                name,
                kind: "hub".into(),
            },
            Command::RegisterPerson {
                person: person.clone(),
                name: person_name,
                unit: unit.clone(),
            },
        ] {
            home.act(&person, command)
                .map_err(|error| home_failure(texts, error))?;
        }
    }
    say!(
        "{}",
        texts.node_created(
            &data.display().to_string(),
            unit.as_str(),
            &home.node().to_hex()
        )
    );
    Ok(())
}

fn record(home: &Home, texts: Texts, person: &PersonId, what: &str, command: Command) -> Outcome {
    let id = home
        .act(person, command)
        .map_err(|error| home_failure(texts, error))?;
    say!("{}", texts.recorded(what, &short(&id)));
    Ok(())
}

fn node_for(home: &Home) -> daemon::Node {
    daemon::Node::new(
        home.key.clone(),
        home.config.unit.clone(),
        home.log.clone(),
        home.directory(),
    )
}

fn parent_of(home: &Home, texts: Texts) -> Result<Parent, Failure> {
    let parent = home
        .config
        .parent
        .as_ref()
        .ok_or_else(|| fail(1, texts.no_parent()))?;
    let node = nhip_engine::NodeId::from_hex(&parent.node)
        .ok_or_else(|| fail(3, "config.toml: parent.node"))?;
    let addr = enroll::resolve(&parent.addr).map_err(|error| fail(5, error.to_string()))?;
    Ok(Parent { addr, node })
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

fn sync(home: Home, texts: Texts, watch: bool) -> Outcome {
    let parent = parent_of(&home, texts)?;
    let node = node_for(&home);
    let runtime = runtime()?;
    runtime.block_on(async {
        let endpoint = transport::client_endpoint(
            enroll::unspecified_for(&parent.addr),
            &home.key,
            parent.node,
        )
        .map_err(|error| fail(5, texts.sync_failed(&error.to_string())))?;
        if watch {
            daemon::sync_watch(
                &endpoint,
                &node,
                &parent,
                shutdown_signal(),
                |outcome| match outcome {
                    Ok(report) => {
                        let _ = home.record_sync(&Ok(report.clone()));
                        let _ = home.save_receipts(&report.receipts);
                        eprintln!("{}", texts.synced(report.delivered, report.received));
                    }
                    Err(error) => eprintln!("{}", texts.sync_failed(&error.to_string())),
                },
            )
            .await;
            say!("{}", texts.stopped());
            return Ok(());
        }
        let spinner = progress_spinner();
        let outcome = daemon::sync_with_parent(&endpoint, &node, &parent, Mode::Once).await;
        if let Some(spinner) = spinner {
            spinner.finish_and_clear();
        }
        endpoint.wait_idle().await;
        if let Ok(report) = &outcome {
            home.save_receipts(&report.receipts)
                .map_err(|error| home_failure(texts, error))?;
        }
        home.record_sync(&outcome)
            .map_err(|error| home_failure(texts, error))?;
        match outcome {
            Ok(report) if report.caught_up => {
                say!("{}", texts.synced(report.delivered, report.received));
                for refusal in &report.refusals {
                    say!("  {refusal}");
                }
                Ok(())
            }
            Ok(report) => Err(fail(5, texts.sync_failed(&format!("{:?}", report.closed)))),
            Err(error) => Err(fail(5, texts.sync_failed(&error.to_string()))),
        }
    })
}

/// Runs `work` with a spinner on a terminal (nothing when piped), cleared before any output.
fn with_spinner<T>(texts: Texts, work: impl FnOnce() -> T) -> T {
    let spinner = progress_spinner();
    if let Some(spinner) = &spinner {
        spinner.set_message(texts.working());
    }
    let outcome = work();
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    outcome
}

fn progress_spinner() -> Option<indicatif::ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let spinner = indicatif::ProgressBar::new_spinner();
        spinner.enable_steady_tick(std::time::Duration::from_millis(120));
        spinner
    })
}

/// Where the hub's dashboard listens unless told otherwise.
const DEFAULT_DASHBOARD: &str = "127.0.0.1:7412";

fn serve(home: Home, texts: Texts, listen: Option<String>, dashboard: Option<String>) -> Outcome {
    let listen = listen.unwrap_or_else(|| home.config.listen.clone());
    let addr: SocketAddr = listen
        .parse()
        .map_err(|_| fail(1, format!("{listen:?}: host:port")))?;
    let runtime = runtime()?;
    let home = Arc::new(home);
    runtime.block_on(async {
        let endpoint = transport::server_endpoint(addr, &home.key, home.admission())
            .map_err(|error| fail(1, error.to_string()))?;
        let node = node_for(&home);
        say!(
            "{}",
            texts.serving(
                &endpoint
                    .local_addr()
                    .map(|a| a.to_string())
                    .unwrap_or(listen)
            )
        );
        // A node with a parent keeps its own uplink live too.
        let uplink = match parent_of(&home, texts) {
            Ok(parent) => {
                let node = node.clone();
                let key = home.key.clone();
                Some(tokio::spawn(async move {
                    if let Ok(endpoint) = transport::client_endpoint(
                        enroll::unspecified_for(&parent.addr),
                        &key,
                        parent.node,
                    ) {
                        daemon::sync_watch(
                            &endpoint,
                            &node,
                            &parent,
                            std::future::pending(),
                            |_| {},
                        )
                        .await;
                    }
                }))
            }
            Err(_) => None,
        };
        // The hub shows its dashboard by default; other nodes when asked. A default that
        // cannot bind (another node on this machine has it) is a warning, not a stop.
        let explicit = dashboard.is_some();
        let dashboard = dashboard.unwrap_or_else(|| match uplink {
            None => DEFAULT_DASHBOARD.to_owned(),
            Some(_) => "off".to_owned(),
        });
        let (stop_board, board_stopped) = tokio::sync::oneshot::channel::<()>();
        if dashboard != "off" {
            let board_addr: SocketAddr = dashboard
                .parse()
                .map_err(|_| fail(1, format!("--dashboard {dashboard:?}: host:port or off")))?;
            let served = crate::dashboard::serve(
                board_addr,
                home.clone(),
                node.status.clone(),
                node.changes.subscribe(),
                async move {
                    let _ = board_stopped.await;
                },
            )
            .await;
            match served {
                Ok(local) => say!("{}", texts.dashboard_at(&format!("http://{local}/"))),
                Err(error) if explicit => return Err(fail(1, error)),
                Err(error) => eprintln!("{}", texts.dashboard_unavailable(&error)),
            }
        }
        daemon::serve(endpoint, node, Some(home.clone()), shutdown_signal()).await;
        let _ = stop_board.send(());
        if let Some(uplink) = uplink {
            uplink.abort();
        }
        say!("{}", texts.stopped());
        Ok(())
    })
}

fn status(home: Home, json: bool) -> Outcome {
    let state = home.state().map_err(|error| fail(6, error.to_string()))?;
    let today = Date::from_unix_ms(now_ms());
    let summary = state.summary(&home.config.unit, today);
    let heads = home
        .log
        .heads()
        .map_err(|error| fail(6, error.to_string()))?;
    let incidents = home
        .log
        .incidents()
        .map_err(|error| fail(6, error.to_string()))?;
    let children = home.children().unwrap_or_default();
    let parent = home.config.parent.clone();
    let record = home.sync_record().unwrap_or_default();
    let pending_up = home.pending_up().unwrap_or(0);
    let own: u64 = heads
        .iter()
        .filter(|(chain, _)| chain.origin == home.node())
        .map(|(_, head)| head.seq.0)
        .sum();
    let value = serde_json::json!({
        "node": home.node().to_hex(),
        "unit": home.config.unit,
        "person": home.config.person,
        "parent": parent,
        "children": children.children,
        "events": state.events,
        "own_events": own,
        "chains": heads.len(),
        "items": summary,
        "refused_events": state.refused.len(),
        "unknown_kinds": state.unknown_kinds,
        "incidents": incidents.len(),
        "sync": record,
        "pending_up": pending_up,
    });
    if json {
        return print_json(&value);
    }
    say!(
        "Nút / node:        {} ({})",
        home.node().short(),
        home.config.unit
    );
    say!("Người / person:    {}", home.config.person);
    match &home.config.parent {
        Some(parent) => say!(
            "Nút cha / parent:  {} ({}) tại {}",
            &parent.node[..8],
            parent.unit,
            parent.addr
        ),
        None => say!("Nút cha / parent:  — (nút trung tâm / hub)"),
    }
    say!(
        "Nút con / children: {}",
        children.children.iter().filter(|c| !c.revoked).count()
    );
    if home.config.parent.is_some() {
        let when = |ms: Option<u64>| {
            ms.map_or("chưa bao giờ / never".to_owned(), |ms| {
                let minutes = now_ms().saturating_sub(ms) / 60_000;
                format!("{minutes} phút trước / minutes ago")
            })
        };
        say!("Đồng bộ / last sync: {}", when(record.last_success_ms));
        if let Some(error) = &record.last_error {
            say!(
                "  lỗi gần nhất / last error ({}): {error}",
                when(record.last_error_ms)
            );
        }
        say!("Chờ gửi lên / waiting to go up: {pending_up} sự kiện");
    }
    say!(
        "Sự kiện / events:  {} ({} do nút này ghi)",
        state.events,
        own
    );
    say!(
        "Mục / items:       {} — quá hạn {}, sắp đến hạn {}, chờ duyệt {}, xung đột {}",
        summary.items,
        summary.overdue,
        summary.due_soon,
        summary.waiting_approval,
        summary.open_conflicts
    );
    say!("Sự cố / incidents: {}", incidents.len());
    if !state.refused.is_empty() {
        say!(
            "Sự kiện bị từ chối / refused events: {}",
            state.refused.len()
        );
    }
    Ok(())
}

fn transition_command(item: EventId, transition: &str, note: String, state: &State) -> Command {
    // An approval is a vote; any other transition is fired.
    let is_approval = state
        .items
        .get(&item)
        .and_then(|found| state.definition_of(found))
        .and_then(|definition| definition.transition(transition))
        .is_some_and(|found| {
            found.reject_to.is_some() || !matches!(found.who, nhip_engine::workflow::Who::OneOf(_))
        });
    if is_approval {
        Command::Vote {
            item,
            transition: Some(transition.to_owned()),
            approve: true,
            note,
        }
    } else {
        Command::Fire {
            item,
            transition: transition.to_owned(),
            note,
        }
    }
}

fn item_action(
    home: &Home,
    texts: Texts,
    person: &PersonId,
    workflow: &str,
    action: ItemAction,
) -> Outcome {
    let state = home.state().map_err(|error| home_failure(texts, error))?;
    let act = |command: Command, what: &str| -> Outcome {
        let id = home
            .act_on(&state, person, command)
            .map_err(|error| home_failure(texts, error))?;
        say!("{}", texts.recorded(what, &short(&id)));
        Ok(())
    };
    let item = |text: &str| find_item(&state, texts, text);
    match action {
        ItemAction::Create {
            title,
            unit,
            lead,
            coordinating,
            assignee,
            deadline,
            description,
            parent,
            indicator,
        } => {
            let unit = match unit {
                Some(unit) => unit_arg(texts, &unit)?,
                None => home.config.unit.clone(),
            };
            let lead = lead.map(|lead| unit_arg(texts, &lead)).transpose()?;
            let coordinating = coordinating
                .iter()
                .map(|unit| unit_arg(texts, unit))
                .collect::<Result<Vec<_>, _>>()?;
            let assignee = assignee
                .map(|person| person_arg(texts, &person))
                .transpose()?;
            let deadline = deadline.map(|date| date_arg(texts, &date)).transpose()?;
            let parent = parent.map(|parent| item(&parent)).transpose()?;
            act(
                Command::CreateItem {
                    workflow: workflow.to_owned(),
                    unit,
                    title: normalize(&title),
                    description: normalize(&description),
                    lead_unit: lead,
                    coordinating,
                    assignee,
                    deadline,
                    parent,
                    indicator,
                },
                "create",
            )
        }
        ItemAction::List {
            unit,
            state: wanted_state,
            overdue,
            search,
            json,
        } => {
            let unit = match unit {
                Some(unit) => unit_arg(texts, &unit)?,
                None => home.config.unit.clone(),
            };
            let today = Date::from_unix_ms(now_ms());
            let rows: Vec<(&EventId, &Item)> = state
                .items_within(&unit)
                .filter(|(_, found)| found.workflow == workflow || workflow == "all")
                .filter(|(_, found)| wanted_state.as_ref().is_none_or(|s| &found.state == s))
                .filter(|(_, found)| {
                    !overdue
                        || state
                            .definition_of(found)
                            .is_some_and(|d| found.is_overdue(d, today))
                })
                .filter(|(_, found)| {
                    search.as_ref().is_none_or(|text| {
                        matches(&found.title, text) || matches(&found.description, text)
                    })
                })
                .collect();
            if json {
                let rows: Vec<_> = rows
                    .iter()
                    .map(|(id, found)| serde_json::json!({ "id": id, "item": found }))
                    .collect();
                return print_json(&rows);
            }
            for (id, found) in rows {
                let definition = state.definition_of(found);
                let state_name = definition
                    .and_then(|d| d.state(&found.state))
                    .map_or(found.state.clone(), |s| s.name.clone());
                let late = definition.is_some_and(|d| found.is_overdue(d, today));
                let conflicts = found.open_conflicts().count();
                say!(
                    "{}  {:<22} {:>3}%  {:<10}{} {}{}",
                    short(id),
                    state_name,
                    found.percent,
                    found.deadline.map(|d| d.to_string()).unwrap_or_default(),
                    if late { " !" } else { "  " },
                    found.title,
                    if conflicts > 0 {
                        format!("  [xung đột: {conflicts}]")
                    } else {
                        String::new()
                    }
                );
            }
            Ok(())
        }
        ItemAction::Show { id, json } => {
            let id = item(&id)?;
            let found = &state.items[&id];
            if json {
                return print_json(&serde_json::json!({ "id": id, "item": found }));
            }
            let definition = state.definition_of(found);
            say!("{}  {}", id, found.title);
            say!(
                "  quy trình / workflow: {} v{}",
                found.workflow,
                found.version
            );
            say!(
                "  trạng thái / state:   {}",
                definition
                    .and_then(|d| d.state(&found.state))
                    .map_or(found.state.clone(), |s| s.name.clone())
            );
            say!(
                "  đơn vị / unit:        {} (chủ trì / lead: {})",
                found.unit,
                found.lead_unit
            );
            if let Some(assignee) = &found.assignee {
                say!("  người / assignee:     {assignee}");
            }
            if let Some(deadline) = found.deadline {
                say!("  thời hạn / deadline:  {deadline}");
            }
            say!("  tiến độ / progress:   {}%", found.percent);
            if let Some(definition) = definition {
                for (transition, who) in found.waiting_for(definition) {
                    say!("  chờ duyệt / waiting:  {transition} ({})", who.join(", "));
                }
                let next: Vec<_> = definition
                    .transitions_from(&found.state)
                    .map(|t| t.id.clone())
                    .collect();
                if !next.is_empty() {
                    say!("  có thể / next:        {}", next.join(", "));
                }
            }
            say!("  lịch sử / history:");
            for entry in &found.history {
                say!(
                    "    {}  {:<16} {:<10} {}  [{:?}]",
                    short(&entry.event),
                    entry.actor,
                    nhip_engine::Date::from_unix_ms(entry.written_ms),
                    entry.summary,
                    entry.outcome
                );
            }
            for conflict in &found.conflicts {
                say!(
                    "  xung đột / conflict: {} thua {} ({}) — {}{}",
                    short(&conflict.event),
                    short(&conflict.against),
                    conflict.aspect,
                    conflict.reason,
                    if conflict.resolved_by.is_some() {
                        " — đã xử lý"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
        ItemAction::Assign { id, person: to } => {
            let id = item(&id)?;
            act(
                Command::Assign {
                    item: id,
                    assignee: person_arg(texts, &to)?,
                },
                "assign",
            )
        }
        ItemAction::Start(args) => act(
            Command::Fire {
                item: item(&args.id)?,
                transition: "start".into(),
                note: normalize(&args.note),
            },
            "start",
        ),
        ItemAction::Submit(args) => act(
            Command::Fire {
                item: item(&args.id)?,
                transition: "submit".into(),
                note: normalize(&args.note),
            },
            "submit",
        ),
        ItemAction::Complete(args) => act(
            Command::Fire {
                item: item(&args.id)?,
                transition: "complete".into(),
                note: normalize(&args.note),
            },
            "complete",
        ),
        ItemAction::Cancel(args) => act(
            Command::Fire {
                item: item(&args.id)?,
                transition: "cancel".into(),
                note: normalize(&args.note),
            },
            "cancel",
        ),
        ItemAction::Approve(args) => act(
            Command::Vote {
                item: item(&args.id)?,
                transition: None,
                approve: true,
                note: normalize(&args.note),
            },
            "approve",
        ),
        ItemAction::Reject { id, note } => act(
            Command::Vote {
                item: item(&id)?,
                transition: None,
                approve: false,
                note: normalize(&note),
            },
            "reject",
        ),
        ItemAction::Progress { id, percent, note } => act(
            Command::Progress {
                item: item(&id)?,
                percent,
                note: normalize(&note),
            },
            "progress",
        ),
        ItemAction::Extend {
            id,
            deadline,
            reason,
        } => act(
            Command::Extend {
                item: item(&id)?,
                deadline: date_arg(texts, &deadline)?,
                reason: normalize(&reason),
            },
            "extend",
        ),
        ItemAction::Comment { id, text } => act(
            Command::Comment {
                item: item(&id)?,
                text: normalize(&text),
            },
            "comment",
        ),
        ItemAction::Fire {
            id,
            transition,
            note,
        } => {
            let id = item(&id)?;
            act(
                transition_command(id, &transition, normalize(&note), &state),
                "fire",
            )
        }
        ItemAction::Resolve { id, conflict, note } => {
            let id = item(&id)?;
            let wanted = conflict.to_lowercase().replace('-', "");
            let found = state.items[&id]
                .conflicts
                .iter()
                .find(|c| {
                    let hex = c.event.0.simple().to_string();
                    hex.starts_with(&wanted) || hex.ends_with(&wanted)
                })
                .ok_or_else(|| fail(1, texts.unknown_id(&conflict)))?;
            act(
                Command::Resolve {
                    item: id,
                    conflict: found.event,
                    note: normalize(&note),
                },
                "resolve",
            )
        }
    }
}

fn milli(value: f64) -> i64 {
    (value * 1000.0).round() as i64
}

fn indicator_action(
    home: &Home,
    texts: Texts,
    person: &PersonId,
    action: IndicatorAction,
) -> Outcome {
    match action {
        IndicatorAction::Define {
            id,
            name,
            measure,
            target,
            period,
            unit,
        } => {
            let unit = match unit {
                Some(unit) => unit_arg(texts, &unit)?,
                None => home.config.unit.clone(),
            };
            record(
                home,
                texts,
                person,
                "indicator",
                Command::DefineIndicator {
                    id: fold(&id).replace(' ', "-"),
                    name: normalize(&name),
                    measure,
                    target_milli: milli(target),
                    period,
                    unit,
                },
            )
        }
        IndicatorAction::Report { id, value, note } => record(
            home,
            texts,
            person,
            "indicator",
            Command::ReportIndicator {
                id,
                value_milli: milli(value),
                note: normalize(&note),
            },
        ),
        IndicatorAction::List(args) => {
            let state = home.state().map_err(|error| home_failure(texts, error))?;
            if args.json {
                return print_json(&state.indicators);
            }
            for (id, indicator) in &state.indicators {
                let value = indicator
                    .value_milli
                    .map_or("—".to_owned(), |v| format!("{:.1}", v as f64 / 1000.0));
                let attainment = indicator
                    .attainment_milli()
                    .map_or("—".to_owned(), |a| format!("{:.0}%", a as f64 / 10.0));
                say!(
                    "{id:<24} {:<40} {value:>8} / {:<8} {} {attainment}",
                    indicator.name,
                    format!("{:.1}", indicator.target_milli as f64 / 1000.0),
                    indicator.measure
                );
            }
            Ok(())
        }
    }
}

fn workflow_action(
    home: &Home,
    texts: Texts,
    person: &PersonId,
    action: WorkflowAction,
) -> Outcome {
    let state = home.state().map_err(|error| home_failure(texts, error))?;
    let all = || {
        let mut all: Vec<&nhip_engine::workflow::Definition> = nhip_engine::workflow::builtins()
            .values()
            .chain(state.workflows.values())
            .collect();
        all.sort_by(|a, b| (&a.id, a.version).cmp(&(&b.id, b.version)));
        all.dedup_by(|a, b| a.id == b.id && a.version == b.version);
        all
    };
    match action {
        WorkflowAction::List(args) => {
            let all = all();
            if args.json {
                return print_json(&all);
            }
            for definition in all {
                say!(
                    "{:<14} v{:<3} {}",
                    definition.id,
                    definition.version,
                    definition.name
                );
            }
            Ok(())
        }
        WorkflowAction::Show { id, json } => {
            let definition = nhip_engine::command::latest_workflow(&state, &id)
                .ok_or_else(|| fail(1, format!("{id:?}?")))?;
            if json {
                return print_json(definition);
            }
            say!(
                "{} v{} — {}",
                definition.id,
                definition.version,
                definition.name
            );
            for s in &definition.states {
                say!(
                    "  [{}] {}{}",
                    s.id,
                    s.name,
                    if s.terminal { " (kết thúc)" } else { "" }
                );
            }
            for t in &definition.transitions {
                say!(
                    "  {} : {} → {}  ({})",
                    t.id,
                    t.from.join("|"),
                    t.to,
                    nhip_engine::state::who_text(&t.who).join(", ")
                );
            }
            Ok(())
        }
        WorkflowAction::Publish { file } => {
            let source = std::fs::read_to_string(&file)
                .map_err(|error| fail(1, format!("{}: {error}", file.display())))?;
            let unit = home.config.unit.clone();
            record(
                home,
                texts,
                person,
                "workflow",
                Command::PublishWorkflow { source, unit },
            )
        }
    }
}

fn action_to(action: AuditAction) -> crate::audit::Action {
    use crate::audit::Action;
    match action {
        AuditAction::Verify { file, json } => Action::Verify { file, json },
        AuditAction::History {
            item,
            unit,
            person,
            json,
        } => Action::History {
            item,
            unit,
            person,
            json,
        },
        AuditAction::Replay {
            as_of,
            known_at,
            json,
        } => Action::Replay {
            as_of,
            known_at,
            json,
        },
        AuditAction::Receipts(args) => Action::Receipts { json: args.json },
        AuditAction::CheckReceipts {
            receipts,
            against,
            json,
        } => Action::CheckReceipts {
            receipts,
            against,
            json,
        },
    }
}

/// Shared with the audit commands.
pub(crate) fn failure(code: u8, message: impl Into<String>) -> Failure {
    fail(code, message)
}

/// Shared with the audit commands.
pub(crate) fn find_item_id(state: &State, texts: Texts, text: &str) -> Result<EventId, Failure> {
    find_item(state, texts, text)
}

/// Shared with the audit commands.
pub(crate) fn short_id(id: &EventId) -> String {
    short(id)
}

/// Shared with the audit commands.
pub(crate) fn json_out(value: &impl serde::Serialize) -> Outcome {
    print_json(value)
}
