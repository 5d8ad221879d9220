//! `nhip audit`: what an inspector does with a copy of any node's log, offline — verify it,
//! read who did what and when, see the state as it was, and hold a parent to its receipts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nhip_engine::audit::{self, ReceiptHead};
use nhip_engine::state::{Item, State};
use nhip_engine::{Date, EventId, EventLog, RedbLog, UnitId};
use nhip_protocol::Receipt;

use crate::cli::args::find_item;
use crate::cli::output::{ExitCode, Failure, fail, print_json, short};
use crate::config::LOG_FILE;
use crate::home::{Home, RECEIPTS_FILE};
use crate::texts::Texts;

mod decisions;

/// An audit command (`nhip audit …`).
#[derive(clap::Subcommand)]
pub enum Action {
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
    /// Sổ các quyết định cho thanh tra (CSV): ai quyết định, khóa ký, chữ ký hợp lệ hay không,
    /// kết quả — mọi chữ ký được xác minh lại.
    Decisions {
        /// Tệp sổ (một bản sao); mặc định: sổ của nút này.
        file: Option<PathBuf>,
        /// Chỉ các quyết định của đơn vị này và cấp dưới.
        #[arg(long)]
        unit: Option<String>,
        /// Từ ngày (theo giờ ghi), ví dụ 01/07/2025.
        #[arg(long)]
        from: Option<String>,
        /// Đến hết ngày (theo giờ ghi).
        #[arg(long)]
        to: Option<String>,
        /// Ghi ra tệp CSV này (mặc định: in ra màn hình).
        #[arg(long)]
        out: Option<PathBuf>,
        /// In dạng JSON thay cho CSV.
        #[arg(long)]
        json: bool,
    },
    /// Biên nhận có chữ ký của nút cha mà nút này giữ.
    Receipts {
        /// In dạng JSON.
        #[arg(long)]
        json: bool,
    },
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

impl Action {
    /// Makes the files named absolute against `cwd` (for a command run by the running node).
    pub(crate) fn absolutize(&mut self, cwd: &Path) {
        let fix = |path: &mut PathBuf| {
            if path.is_relative() {
                *path = cwd.join(&*path);
            }
        };
        match self {
            Action::Verify {
                file: Some(file), ..
            } => fix(file),
            Action::Decisions { file, out, .. } => {
                if let Some(file) = file {
                    fix(file);
                }
                if let Some(out) = out {
                    fix(out);
                }
            }
            Action::CheckReceipts {
                receipts, against, ..
            } => {
                fix(receipts);
                fix(against);
            }
            _ => {}
        }
    }
}

/// Opens a log for an audit without ever changing it. The audit reads a private copy, checked
/// page by page first (and repaired there if its node crashed): a damaged file is reported as
/// damaged, never trusted, and the original is never written.
fn open_read_only(path: &Path, texts: Texts) -> Result<(RedbLog, tempfile::TempDir), Failure> {
    let failed = |error: nhip_engine::OpenError| match error {
        nhip_engine::OpenError::Damaged(detail) => fail(
            ExitCode::NoNode,
            texts.log_damaged(&path.display().to_string(), &detail),
        ),
        other => fail(ExitCode::NoNode, format!("{}: {other}", path.display())),
    };
    match RedbLog::open_read_only(path) {
        // Only to learn whether another process holds the file; the copy is what is read.
        Ok(log) => drop(log),
        Err(nhip_engine::OpenError::NeedsRepair) => {}
        Err(nhip_engine::OpenError::Locked) => {
            return Err(fail(
                ExitCode::Busy,
                format!(
                    "{} đang được dùng; sao chép tệp rồi kiểm toán bản sao / in use: copy the file and audit the copy",
                    path.display()
                ),
            ));
        }
        Err(other) => return Err(failed(other)),
    }
    let scratch =
        tempfile::tempdir().map_err(|error| fail(ExitCode::Refused, error.to_string()))?;
    let copy = scratch.path().join("copy.redb");
    std::fs::copy(path, &copy)
        .map_err(|error| fail(ExitCode::Refused, format!("{}: {error}", path.display())))?;
    // Opening for writing checks every page of the copy; nothing is appended to it.
    drop(RedbLog::open(&copy).map_err(failed)?);
    let log = RedbLog::open_read_only(&copy).map_err(failed)?;
    Ok((log, scratch))
}

/// A log an audit reads: the running node's own, or a private copy of a file.
enum Named {
    Running(Arc<Home>),
    /// The copy's folder lives as long as the log read from it.
    Copy {
        log: RedbLog,
        _folder: tempfile::TempDir,
    },
}

impl Named {
    fn log(&self) -> &RedbLog {
        match self {
            Named::Running(home) => &home.log,
            Named::Copy { log, .. } => log,
        }
    }
}

/// Runs an audit command.
///
/// `running` is the running node when the command runs inside it: its own log is then read
/// through the node (a read transaction is a consistent snapshot), not copied from disk.
pub fn run(
    data: &Path,
    running: Option<&Arc<Home>>,
    texts: Texts,
    action: Action,
) -> Result<(), Failure> {
    let home = || -> Result<Arc<Home>, Failure> {
        match running {
            Some(home) => Ok(home.clone()),
            None => Home::open(data)
                .map(Arc::new)
                .map_err(|error| fail(ExitCode::NoNode, error.to_string())),
        }
    };
    // The log an inspector names (a copy, read as such), or this node's own.
    let own = data.join(LOG_FILE);
    let named = |file: Option<PathBuf>| -> Result<(PathBuf, Named), Failure> {
        let path = file.unwrap_or_else(|| own.clone());
        match running {
            Some(home) if path == own => Ok((path, Named::Running(home.clone()))),
            _ => {
                let (log, folder) = open_read_only(&path, texts)?;
                Ok((
                    path,
                    Named::Copy {
                        log,
                        _folder: folder,
                    },
                ))
            }
        }
    };
    match action {
        Action::Decisions {
            file,
            unit,
            from,
            to,
            out,
            json,
        } => {
            let filter =
                decisions::Filter::parse(texts, unit.as_deref(), from.as_deref(), to.as_deref())?;
            let (_, named) = named(file)?;
            decisions::run(named.log(), texts, &filter, out.as_deref(), json)
        }
        Action::Verify { file, json } => {
            let (path, named) = named(file)?;
            let log = named.log();
            let bar = crate::console::interactive().then(|| {
                let bar = indicatif::ProgressBar::new_spinner();
                bar.set_message("xác minh / verifying");
                bar
            });
            let report = audit::verify(log, &mut |events| {
                if let Some(bar) = &bar {
                    bar.set_position(events);
                }
            })
            .map_err(|error| fail(ExitCode::Storage, error.to_string()))?;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            if json {
                print_json(&report)?;
            } else {
                say!("Tệp / file: {}", path.display());
                say!(
                    "Chuỗi / chains: {}, sự kiện / events: {}, dấu niêm / seals: {}",
                    report.chains,
                    report.events,
                    report.seals
                );
                for (origin, count) in &report.by_origin {
                    say!("  nút / origin {}: {count} sự kiện", origin.short());
                }
                if let Some(hash) = report.state_hash {
                    say!("Mã băm trạng thái tính lại / state hash re-derived: {hash}");
                }
                if report.is_clean() {
                    say!("Không phát hiện sai lệch / nothing altered, deleted or forged.");
                } else {
                    say!(
                        "PHÁT HIỆN {} VẤN ĐỀ / {} PROBLEMS FOUND:",
                        report.problems.len(),
                        report.problems.len()
                    );
                    for (kind, problem) in report.first_of_each_kind() {
                        let count = report.problems.iter().filter(|p| p.kind == kind).count();
                        say!(
                            "  {kind:?} ×{count}: chuỗi {} seq {} — {}",
                            problem
                                .chain
                                .as_ref()
                                .map_or("—".to_owned(), ToString::to_string),
                            problem.seq.map_or("—".to_owned(), |seq| seq.to_string()),
                            match &problem.refusal {
                                Some(refusal) =>
                                    format!("{}: {}", problem.detail, texts.refusal(refusal)),
                                None => problem.detail.clone(),
                            }
                        );
                    }
                }
            }
            if report.is_clean() {
                Ok(())
            } else {
                Err(fail(
                    ExitCode::AuditFailed,
                    "xác minh thất bại / verification failed",
                ))
            }
        }
        Action::History {
            item,
            unit,
            person,
            json,
        } => {
            let home = home()?;
            let state = home
                .state()
                .map_err(|error| fail(ExitCode::Storage, error.to_string()))?;
            let received = arrivals(&home)?;
            let items: Vec<(EventId, &Item)> = match (&item, &unit) {
                (Some(text), _) => {
                    let id = find_item(&state, texts, text)?;
                    vec![(id, &state.items[&id])]
                }
                (None, Some(unit)) => {
                    let unit = UnitId::new(unit)
                        .map_err(|error| fail(ExitCode::Refused, error.to_string()))?;
                    state
                        .items
                        .iter()
                        .filter(|(_, item)| item.unit.is_within(&unit))
                        .map(|(id, item)| (*id, item))
                        .collect()
                }
                (None, None) => state.items.iter().map(|(id, item)| (*id, item)).collect(),
            };
            let mut rows = Vec::new();
            for (id, item) in items {
                for entry in &item.history {
                    if person.as_ref().is_some_and(|p| entry.actor.as_str() != p) {
                        continue;
                    }
                    rows.push(HistoryRow {
                        item: id,
                        title: &item.title,
                        event: entry.event,
                        kind: &entry.kind,
                        actor: &entry.actor,
                        actor_name: state
                            .registry
                            .people
                            .get(&entry.actor)
                            .map(|p| p.name.as_str()),
                        unit: &item.unit,
                        origin: entry.origin.to_hex(),
                        written_ms: entry.written_ms,
                        received_ms: received
                            .get(&entry.event)
                            .copied()
                            .unwrap_or(entry.written_ms),
                        summary: texts.detail(&entry.detail),
                        detail: &entry.detail,
                        signed_by: entry.signed_by.map(|key| key.to_hex()),
                        outcome: texts.outcome(&entry.outcome),
                        conflict: item
                            .conflicts
                            .iter()
                            .find(|c| c.event == entry.event || c.resolved_by == Some(entry.event)),
                    });
                }
            }
            if json {
                return print_json(&rows);
            }
            for row in rows {
                let signed = match (&row.signed_by, row.actor_name) {
                    (Some(key), name) => texts.signed_by(
                        name.unwrap_or(row.actor.as_str()),
                        key.get(..8).unwrap_or(key),
                    ),
                    (None, _) => texts.unsigned(),
                };
                say!(
                    "{}  {:<18} {:<22} {} {} {} {} {} {}  {}  [{}] {signed}",
                    short(&row.event),
                    row.actor.as_str(),
                    row.kind,
                    texts.written(),
                    texts.date(Date::from_unix_ms(row.written_ms)),
                    texts.received(),
                    texts.date(Date::from_unix_ms(row.received_ms)),
                    texts.from_node(),
                    row.origin.get(..8).unwrap_or(&row.origin),
                    row.summary,
                    row.outcome,
                );
            }
            Ok(())
        }
        Action::Replay {
            as_of,
            known_at,
            json,
        } => {
            let home = home()?;
            let end_of = |text: &str| -> Result<u64, Failure> {
                let date =
                    Date::parse(text).map_err(|_| fail(ExitCode::Refused, texts.bad_date(text)))?;
                // The end of that day in Vietnam: the start of the next, minus one millisecond.
                let next = date.plus_days(1);
                Ok(u64::try_from(i64::from(next.0) * 86_400_000 - 7 * 3_600_000 - 1).unwrap_or(0))
            };
            let state = match (&as_of, &known_at) {
                (Some(text), None) => {
                    let until = end_of(text)?;
                    fold_where(&home, |event, _| event.hlc.wall_ms <= until)?
                }
                (None, Some(text)) => {
                    let until = end_of(text)?;
                    let received = arrivals(&home)?;
                    fold_where(&home, |event, _| {
                        received
                            .get(&event.id)
                            .copied()
                            .unwrap_or(event.hlc.wall_ms)
                            <= until
                    })?
                }
                _ => {
                    return Err(fail(
                        ExitCode::Usage,
                        "nhip audit replay --as-of DATE | --known-at DATE",
                    ));
                }
            };
            let today = Date::from_unix_ms(now_or(&as_of, &known_at, &end_of)?);
            let summary = state.summary(&home.config.unit, today);
            if json {
                return print_json(&serde_json::json!({
                    "state_hash": state.hash(),
                    "events": state.events,
                    "summary": summary,
                    "items": state.items.iter().map(|(id, item)| serde_json::json!({"id": id, "item": item})).collect::<Vec<_>>(),
                }));
            }
            say!(
                "Sự kiện / events: {}  mã băm / state hash: {}",
                state.events,
                state.hash()
            );
            say!(
                "Mục / items: {} — quá hạn {}, chờ duyệt {}, xung đột {}",
                summary.items,
                summary.overdue,
                summary.waiting_approval,
                summary.open_conflicts
            );
            for (id, item) in &state.items {
                say!("{}  {:<14} {}", short(id), item.state, item.title);
            }
            Ok(())
        }
        Action::Receipts { json } => {
            let home = home()?;
            let receipts = read_receipts(&home.dir.join(RECEIPTS_FILE))?;
            let bodies: Vec<_> = receipts
                .iter()
                .map(|receipt| match receipt.verify() {
                    Ok(body) => serde_json::json!({ "valid": true, "receipt": body }),
                    Err(error) => serde_json::json!({ "valid": false, "error": error.to_string() }),
                })
                .collect();
            if json {
                return print_json(&bodies);
            }
            say!("{} biên nhận / receipts", bodies.len());
            for body in bodies {
                let receipt = &body["receipt"];
                say!(
                    "  lô / batch {} từ / by {}… nhận {} chuỗi, hợp lệ / valid: {}",
                    receipt["batch"],
                    receipt["receiver"].to_string().get(1..9).unwrap_or(""),
                    receipt["heads"].as_array().map_or(0, Vec::len),
                    body["valid"]
                );
            }
            Ok(())
        }
        Action::CheckReceipts {
            receipts,
            against,
            json,
        } => {
            let receipts = read_receipts(&receipts)?;
            let (log, _scratch) = open_read_only(&against, texts)?;
            let mut heads: Vec<ReceiptHead> = Vec::new();
            let mut invalid = 0;
            for receipt in &receipts {
                match receipt.verify() {
                    Ok(body) => heads.extend(
                        body.heads
                            .into_iter()
                            .map(|head| (head.chain, head.seq, head.hash)),
                    ),
                    Err(_) => invalid += 1,
                }
            }
            let problems = audit::check_receipt_heads(&log, &heads)
                .map_err(|error| fail(ExitCode::Storage, error.to_string()))?;
            if json {
                print_json(
                    &serde_json::json!({ "receipts": receipts.len(), "invalid": invalid, "heads": heads.len(), "problems": problems }),
                )?;
            } else {
                say!(
                    "{} biên nhận, {} đầu chuỗi đã kiểm / receipts, heads checked: {}",
                    receipts.len(),
                    heads.len(),
                    heads.len()
                );
                for problem in &problems {
                    say!(
                        "  THIẾU / MISSING: chuỗi {} seq {} — {}",
                        problem
                            .chain
                            .as_ref()
                            .map_or("—".to_owned(), ToString::to_string),
                        problem.seq.map_or("—".to_owned(), |seq| seq.to_string()),
                        problem.detail
                    );
                }
                if problems.is_empty() && invalid == 0 {
                    say!(
                        "Sổ còn giữ mọi thứ đã ký nhận / the log holds everything it acknowledged."
                    );
                }
            }
            if problems.is_empty() && invalid == 0 {
                Ok(())
            } else {
                Err(fail(
                    ExitCode::AuditFailed,
                    "sổ thiếu sự kiện đã ký nhận / acknowledged events are missing",
                ))
            }
        }
    }
}

fn now_or(
    as_of: &Option<String>,
    known_at: &Option<String>,
    end_of: &dyn Fn(&str) -> Result<u64, Failure>,
) -> Result<u64, Failure> {
    match as_of.as_ref().or(known_at.as_ref()) {
        Some(text) => end_of(text),
        None => Ok(crate::transport::now_ms()),
    }
}

/// Folds the events `keep` accepts, in replay order.
fn fold_where(
    home: &Home,
    mut keep: impl FnMut(&nhip_engine::Event, &[u8]) -> bool,
) -> Result<State, Failure> {
    let mut state = State::default();
    home.log
        // Every personal signature is verified again: an audit trusts no stored verdict.
        .scan(&mut |event, bytes, _| {
            if keep(event, bytes) {
                state.apply(event);
            }
        })
        .map_err(|error| fail(ExitCode::Storage, error.to_string()))?;
    Ok(state)
}

/// When each foreign event arrived here (local events arrived when written).
fn arrivals(home: &Home) -> Result<BTreeMap<EventId, u64>, Failure> {
    let mut received = BTreeMap::new();
    let mut position = 0;
    loop {
        let arrivals = home
            .log
            .arrivals_after(position, 256)
            .map_err(|error| fail(ExitCode::Storage, error.to_string()))?;
        let Some(last) = arrivals.last() else {
            break;
        };
        position = last.position;
        for arrival in &arrivals {
            for range in &arrival.ranges {
                // Arrival records come from a file under audit: a range that runs backwards
                // is damage to skip, never an underflow.
                let Some(span) = range.last.0.checked_sub(range.first.0) else {
                    continue;
                };
                let count = usize::try_from(span.saturating_add(1)).unwrap_or(usize::MAX);
                for stored in home
                    .log
                    .read_chain(&range.chain, range.first, count)
                    .map_err(|error| fail(ExitCode::Storage, error.to_string()))?
                {
                    received.insert(stored.event.id, arrival.received_ms);
                }
            }
        }
    }
    Ok(received)
}

/// Reads a receipts file (JSON lines of hex body and signature).
pub fn read_receipts(path: &Path) -> Result<Vec<Receipt>, Failure> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(fail(
                ExitCode::Refused,
                format!("{}: {error}", path.display()),
            ));
        }
    };
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(index, line)| {
            crate::home::decode_receipt(line).ok_or_else(|| {
                fail(
                    ExitCode::Refused,
                    format!(
                        "{} dòng {}: không phải biên nhận / not a receipt",
                        path.display(),
                        index + 1
                    ),
                )
            })
        })
        .collect()
}

/// One line of `nhip audit history`: an event on an item, who wrote and who signed it.
#[derive(serde::Serialize)]
struct HistoryRow<'a> {
    item: EventId,
    title: &'a str,
    event: EventId,
    kind: &'a str,
    actor: &'a nhip_engine::PersonId,
    actor_name: Option<&'a str>,
    unit: &'a UnitId,
    origin: String,
    written_ms: u64,
    received_ms: u64,
    summary: String,
    detail: &'a nhip_engine::state::Detail,
    signed_by: Option<String>,
    outcome: String,
    conflict: Option<&'a nhip_engine::state::Conflict>,
}
