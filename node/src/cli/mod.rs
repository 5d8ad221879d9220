//! The `nhip` command: what an office uses every day. Parsing (clap) and dispatch to one file per
//! command, as cargo's commands are; output and exit codes in [`output`]. Texts come from
//! [`crate::texts`].
//!
//! A command reaches its node one of two ways, decided in one place ([`main`]): when the node
//! runs (`nhip serve`), through its local socket ([`crate::api`]), and the running node executes
//! the very same code; when it does not, by opening the node's log itself.

mod account;
pub mod args;
mod enrollment;
mod indicator;
mod init;
mod item;
mod node;
pub mod output;
mod registry;
mod report;
mod serve;
mod service;
mod session;
mod status;
mod sync;
mod workflow;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::home::Home;
use crate::texts::{Lang, Texts};
use output::{ExitCode, Failure, Outcome, fail, home_failure, with_spinner};

/// Nhịp: sổ công việc của xã, làm việc cả khi mất mạng, đồng bộ khi có mạng.
#[derive(Parser)]
#[command(name = "nhip", version, about, long_about = None)]
pub struct Cli {
    /// Thư mục dữ liệu của nút (data folder) [mặc định: NHIP_DATA, hoặc ~/.local/share/nhip].
    #[arg(long, global = true, env = "NHIP_DATA")]
    pub(crate) data: Option<PathBuf>,
    /// Ngôn ngữ: vi (mặc định) hoặc en.
    #[arg(long, global = true)]
    pub(crate) lang: Option<String>,
    /// Người thực hiện (acting person) [mặc định: trong config.toml].
    #[arg(long = "as", global = true)]
    pub(crate) actor: Option<String>,
    /// Đọc cụm mật khẩu của người thực hiện từ stdin, để ký lệnh này (sign this command with
    /// the acting person's key, its passphrase read from standard input).
    #[arg(long, global = true)]
    pub(crate) passphrase_stdin: bool,
    /// Ghi nhật ký chi tiết (-v, -vv); hoặc RUST_LOG.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    #[command(subcommand)]
    pub(crate) command: Top,
}

#[derive(Subcommand)]
pub(crate) enum Top {
    /// Tạo nút mới (create a node): khóa, sổ, cấu hình.
    Init(init::InitArgs),
    /// Mời một đơn vị con (invite a child unit): tạo tệp mời dùng một lần.
    Invite(enrollment::InviteArgs),
    /// Gia nhập nút cha bằng tệp mời (join a parent with an invitation file).
    Join(enrollment::JoinArgs),
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
        /// Địa chỉ ứng dụng văn phòng (office app), hoặc "off". Ngoài máy này thì cần
        /// tokens.toml. [mặc định: 127.0.0.1:7412]
        #[arg(long, visible_alias = "dashboard")]
        app: Option<String>,
    },
    /// Đồng bộ với nút cha (sync with the parent) một lần, hoặc liên tục với --watch.
    Sync {
        /// Giữ kết nối, tự kết nối lại (keep syncing; reconnect with backoff).
        #[arg(long)]
        watch: bool,
    },
    /// Đăng nhập (log in): mở phiên cho người dùng máy này; lần đầu kèm mã thiết lập.
    Login(account::LoginArgs),
    /// Đăng xuất (log out).
    Logout,
    /// Tình trạng nút (status): đơn vị, nút cha, đồng bộ, xung đột, sự cố.
    Status(JsonArg),
    /// Nhiệm vụ chương trình hành động (action-program tasks).
    Task {
        #[command(subcommand)]
        action: item::ItemAction,
    },
    /// Mọi loại mục theo quy trình (items of any workflow: document, budget, petition, ...).
    Item {
        /// Quy trình (workflow id) cho create/list.
        #[arg(long, default_value = "task")]
        workflow: String,
        #[command(subcommand)]
        action: item::ItemAction,
    },
    /// Chỉ tiêu (indicators).
    Indicator {
        #[command(subcommand)]
        action: indicator::IndicatorAction,
    },
    /// Quy trình (workflow definitions).
    Workflow {
        #[command(subcommand)]
        action: workflow::WorkflowAction,
    },
    /// Đơn vị (units).
    Unit {
        #[command(subcommand)]
        action: registry::UnitAction,
    },
    /// Cán bộ (people and roles).
    Person {
        #[command(subcommand)]
        action: registry::PersonAction,
    },
    /// Báo cáo định kỳ gửi cấp trên (periodic reports upward): lập, nộp, tình hình nộp.
    Report {
        #[command(subcommand)]
        action: report::ReportAction,
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
        action: crate::audit::Action,
    },
    /// Đọc lại một tệp sổ và in mã băm trạng thái (replay a log file).
    Replay {
        /// Tệp sổ redb.
        db: PathBuf,
    },
    /// Dịch vụ systemd (the node as a service): install, uninstall, status.
    Service {
        #[command(subcommand)]
        action: service::ServiceAction,
    },
    /// Minh họa: tỉnh, xã Bình Lư và hai bản trên máy này (the demo).
    Demo {
        /// Kết thúc ngay sau khi in tóm tắt (finish at once).
        #[arg(long)]
        exit: bool,
        /// Ghi các báo cáo của minh họa vào thư mục này (keep the demo's reports here)
        /// [mặc định: trong thư mục tạm của minh họa].
        #[arg(long)]
        reports: Option<PathBuf>,
    },
}

#[derive(Args)]
pub(crate) struct JsonArg {
    /// In dạng JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

impl Top {
    /// Whether a running node executes this command for the caller. Creating or joining a node,
    /// serving it, installing it as a service, the demo and replaying a file of one's own do
    /// not touch a running node.
    fn goes_to_running_node(&self) -> bool {
        !matches!(
            self,
            Top::Init(_)
                | Top::Join(_)
                | Top::Serve { .. }
                | Top::Service { .. }
                | Top::Demo { .. }
                | Top::Replay { .. }
        )
    }

    /// Makes every path in the command absolute against `cwd`, so the running node (whose
    /// working folder is its own) reads and writes the files the person named.
    fn absolutize(&mut self, cwd: &Path) {
        let fix = |path: &mut PathBuf| {
            if path.is_relative() {
                *path = cwd.join(&*path);
            }
        };
        match self {
            Top::Invite(args) => fix(&mut args.out),
            Top::Join(args) => fix(&mut args.file),
            Top::Import { file } => fix(file),
            Top::Export { out: Some(out), .. } => fix(out),
            Top::Replay { db } => fix(db),
            Top::Workflow {
                action: workflow::WorkflowAction::Publish { file },
            } => fix(file),
            Top::Audit { action } => action.absolutize(cwd),
            Top::Report { action } => action.absolutize(cwd),
            _ => {}
        }
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

/// The language: the flag, else the node's configuration, else Vietnamese.
fn language(flag: Option<&str>, data: &Path) -> Texts {
    let lang = flag.map(Lang::parse).unwrap_or_else(|| {
        crate::config::read::<crate::config::Config>(&data.join(crate::config::CONFIG_FILE))
            .map(|config| Lang::parse(&config.lang))
            .unwrap_or_default()
    });
    Texts(lang)
}

/// Runs the command line; returns the process exit code.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let filter = match cli.verbose {
        // The demo's own story says what its links do (one village's is cut on purpose).
        0 if matches!(cli.command, Top::Demo { .. }) => "error",
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
    // Absolute, so what the node later says about its files reads the same from any folder.
    let data = std::path::absolute(&data).unwrap_or(data);
    let texts = language(cli.lang.as_deref(), &data);
    // A passphrase is typed here, by the caller, whichever process runs the command.
    let passphrase = match (&cli.command, cli.passphrase_stdin) {
        (Top::Login(args), _) => {
            let prompt = if args.setup_code.is_some() {
                texts.passphrase_choose(&args.person)
            } else {
                texts.passphrase_prompt(&args.person)
            };
            match session::read_passphrase(texts, &prompt, args.setup_code.is_some()) {
                Ok(passphrase) => Some(passphrase),
                Err(failure) => {
                    return std::process::ExitCode::from(finish(texts, Err(failure)) as u8);
                }
            }
        }
        (_, true) => {
            let prompt = texts.passphrase_prompt(cli.actor.as_deref().unwrap_or("?"));
            match session::read_passphrase(texts, &prompt, false) {
                Ok(passphrase) => Some(passphrase),
                Err(failure) => {
                    return std::process::ExitCode::from(finish(texts, Err(failure)) as u8);
                }
            }
        }
        _ => None,
    };
    // The one place that decides how the command reaches its node.
    if cli.command.goes_to_running_node() {
        let credentials =
            crate::account::Credentials::new(session::token(&data), passphrase.clone());
        if let Some((answer, change)) = crate::api::client::forward(&data, texts, &credentials) {
            session::apply(&data, change.as_ref());
            return std::process::ExitCode::from(answer as u8);
        }
    }
    // With no node running there is no session to use: sessions live in the node's memory.
    let credentials = crate::account::Credentials::new(None, passphrase);
    let code = finish(
        texts,
        run(cli, &Reach::Open(data.clone()), texts, &credentials),
    );
    session::apply(&data, credentials.change().as_ref());
    std::process::ExitCode::from(code as u8)
}

/// Says a failure on standard error (in the person's language) and returns the exit code.
pub(crate) fn finish(texts: Texts, outcome: Outcome) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::Done,
        Err(failure) => {
            warn!("{}: {}", texts.error_prefix(), failure.message);
            failure.code
        }
    }
}

/// Executes a command line on behalf of a caller of the running node's socket: parsed as
/// `nhip` parses it, paths taken relative to the caller's folder, run against `home`.
pub fn run_for_caller(
    home: &Arc<Home>,
    arguments: &[String],
    cwd: &Path,
    credentials: &crate::account::Credentials,
) -> ExitCode {
    let cli = match Cli::try_parse_from(arguments) {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version are answers, not failures.
            let code = if error.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Done
            };
            let text = error.render().to_string();
            if error.use_stderr() {
                warn!("{}", text.trim_end());
            } else {
                say!("{}", text.trim_end());
            }
            return code;
        }
    };
    let texts = language(cli.lang.as_deref(), &home.dir);
    let mut cli = cli;
    cli.command.absolutize(cwd);
    finish(
        texts,
        run(cli, &Reach::Running(home.clone()), texts, credentials),
    )
}

/// How a command reaches its node.
pub(crate) enum Reach {
    /// It opens the node in this folder itself (no node runs there).
    Open(PathBuf),
    /// It runs inside the running node, which holds the log open.
    Running(Arc<Home>),
}

impl Reach {
    fn data(&self) -> &Path {
        match self {
            Reach::Open(data) => data,
            Reach::Running(home) => &home.dir,
        }
    }

    fn open(&self, texts: Texts) -> Result<Arc<Home>, Failure> {
        match self {
            Reach::Open(data) => Home::open(data)
                .map(Arc::new)
                .map_err(|error| home_failure(texts, error)),
            Reach::Running(home) => Ok(home.clone()),
        }
    }

    fn running(&self) -> bool {
        matches!(self, Reach::Running(_))
    }
}

/// A runtime for the network work of a command: the running node's own when the command runs
/// inside it (on one of its blocking threads), else a new one.
fn block_on<F: std::future::Future>(work: F) -> Result<F::Output, Failure> {
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        return Ok(handle.block_on(work));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(crate::limits::WORKER_THREADS)
        .enable_all()
        .build()
        .map_err(|error| fail(ExitCode::Refused, error.to_string()))?;
    Ok(runtime.block_on(work))
}

fn run(
    cli: Cli,
    reach: &Reach,
    texts: Texts,
    credentials: &crate::account::Credentials,
) -> Outcome {
    let actor_flag = cli.actor.clone();
    let open = || reach.open(texts);
    let actor = |home: &Home| account::actor(home, texts, actor_flag.as_deref(), credentials);
    match cli.command {
        Top::Init(args) => init::exec(reach.data(), texts, args, actor_flag.as_deref()),
        Top::Invite(args) => {
            let home = open()?;
            let person = actor(&home)?;
            enrollment::invite(&home, texts, args, &person)
        }
        Top::Login(args) => account::login(reach, texts, args, credentials),
        Top::Logout => account::logout(reach, texts, credentials),
        Top::Join(args) => enrollment::join(reach.data(), texts, args, actor_flag.as_deref()),
        Top::Revoke { child } => {
            let home = open()?;
            let person = actor(&home)?;
            enrollment::revoke(&home, texts, &person, &child)
        }
        Top::Serve { listen, app } => serve::exec(open()?, texts, listen, app),
        Top::Sync { watch } => sync::exec(&*open()?, texts, watch, reach.running()),
        Top::Status(args) => status::exec(&*open()?, texts, args.json, reach.running()),
        Top::Task { action } => {
            let home = open()?;
            let person = actor(&home)?;
            item::exec(&home, texts, &person, "task", action)
        }
        Top::Item { workflow, action } => {
            let home = open()?;
            let person = actor(&home)?;
            item::exec(&home, texts, &person, &workflow, action)
        }
        Top::Indicator { action } => {
            let home = open()?;
            let person = actor(&home)?;
            indicator::exec(&home, texts, &person, action)
        }
        Top::Workflow { action } => {
            let home = open()?;
            let person = actor(&home)?;
            workflow::exec(&home, texts, &person, action)
        }
        Top::Unit { action } => {
            let home = open()?;
            let person = actor(&home)?;
            registry::unit(&home, texts, &person, action)
        }
        Top::Person { action } => {
            let home = open()?;
            let person = actor(&home)?;
            registry::person(&home, texts, &person, action)
        }
        Top::Report { action } => {
            let home = open()?;
            let person = actor(&home)?;
            with_spinner(texts, || report::exec(&home, texts, &person, action))
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
        Top::Replay { db } => replay(texts, &db),
        Top::Service { action } => service::exec(reach.data(), texts, action),
        Top::Demo { exit, reports } => crate::demo::run(texts, exit, reports, run_for_caller),
        Top::Audit { action } => match reach {
            Reach::Open(data) => crate::audit::run(data, None, texts, action),
            Reach::Running(home) => crate::audit::run(&home.dir, Some(home), texts, action),
        },
    }
}

/// `nhip replay FILE`: the state hash of a log file.
fn replay(texts: Texts, db: &Path) -> Outcome {
    let log = nhip_engine::RedbLog::open(db).map_err(|error| match error {
        nhip_engine::OpenError::Locked => fail(ExitCode::Busy, error.to_string()),
        nhip_engine::OpenError::Damaged(detail) => fail(
            ExitCode::NoNode,
            texts.log_damaged(&db.display().to_string(), &detail),
        ),
        other => fail(ExitCode::NoNode, other.to_string()),
    })?;
    let state = with_spinner(texts, || {
        nhip_engine::replay(&log).map_err(|error| fail(ExitCode::Storage, error.to_string()))
    })?;
    say!("events: {}", state.events);
    say!("items: {}", state.items.len());
    say!("state hash: {}", state.hash());
    Ok(())
}
