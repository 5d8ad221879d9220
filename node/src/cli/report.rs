//! `nhip report …`: the periodic report upward made from the log (a workbook and an official
//! document), submitted as an item of the built-in `report` workflow carrying the files'
//! hashes, and where each unit below stands with its report for a period.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use nhip_engine::Date;
use nhip_engine::report::{self, Period};

use super::args;
use super::output::{ExitCode, Failure, Outcome, fail, home_failure, print_json, short};
use crate::home::Home;
use crate::report::{Files, MakeError, request, vn};
use crate::texts::Texts;
use crate::transport::now_ms;

#[derive(Subcommand)]
pub(crate) enum ReportAction {
    /// Lập báo cáo (make the report): tệp XLSX và DOCX.
    Make(MakeArgs),
    /// Lập và nộp báo cáo lên cấp trên (make and submit upward).
    Submit(MakeArgs),
    /// Tình hình nộp báo cáo của các đơn vị cấp dưới trong một kỳ (who has reported).
    Status {
        /// Kỳ báo cáo: 2025-09, Q3-2025, 9T-2025, 2025, hoặc 2025-07-01..2025-09-30.
        #[arg(long)]
        period: String,
        /// In dạng JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub(crate) struct MakeArgs {
    /// Kỳ báo cáo: 2025-09, Q3-2025, 9T-2025, 2025, hoặc 2025-07-01..2025-09-30.
    #[arg(long)]
    period: String,
    /// Đơn vị [mặc định: đơn vị của nút].
    #[arg(long)]
    unit: Option<String>,
    /// Số liệu tính đến hết ngày (as of) [mặc định: hôm nay].
    #[arg(long = "as-of")]
    as_of: Option<String>,
    /// Thư mục ghi tệp [mặc định: thư mục hiện tại].
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// Thể thức văn bản: state (cơ quan nhà nước, Nghị định 30/2020) hoặc party (cơ quan Đảng).
    #[arg(long, default_value = "state")]
    layout: String,
    /// In dạng JSON.
    #[arg(long)]
    json: bool,
}

impl ReportAction {
    /// Makes the output folder absolute against `cwd` (the running node's folder is its own).
    pub(crate) fn absolutize(&mut self, cwd: &Path) {
        if let ReportAction::Make(args) | ReportAction::Submit(args) = self
            && args.out.is_relative()
        {
            args.out = cwd.join(&args.out);
        }
    }
}

fn period(texts: Texts, text: &str) -> Result<Period, Failure> {
    request::period(texts, text).map_err(|message| fail(ExitCode::Refused, message))
}

fn make_failure(texts: Texts, error: MakeError) -> Failure {
    let code = match error {
        MakeError::Store(_) => ExitCode::Storage,
        MakeError::Report(_) | MakeError::Render(_) => ExitCode::Refused,
    };
    fail(code, request::failure(texts, &error))
}

/// Makes the files and writes them into `args.out`; returns them with their paths.
fn make(home: &Home, texts: Texts, args: &MakeArgs) -> Result<(Files, [PathBuf; 2]), Failure> {
    let period = period(texts, &args.period)?;
    let unit = match &args.unit {
        Some(unit) => args::unit(texts, unit)?,
        None => home.config.unit.clone(),
    };
    let today = Date::from_unix_ms(now_ms());
    let as_of = match &args.as_of {
        Some(text) => args::date(texts, text)?,
        None => today,
    };
    let layout =
        request::layout(texts, &args.layout).map_err(|message| fail(ExitCode::Usage, message))?;
    let current = || home.state().ok();
    let files = crate::report::make(&*home.log, &current, &unit, &period, as_of, today, layout)
        .map_err(|error| make_failure(texts, error))?;
    let paths = crate::report::write_files(&files, &args.out).map_err(|(path, error)| {
        fail(
            ExitCode::Refused,
            texts.report_write_failed(&path.display().to_string(), &error.to_string()),
        )
    })?;
    Ok((files, paths))
}

use crate::report::hash;

fn tell(texts: Texts, files: &Files, paths: &[PathBuf; 2]) {
    let counts = &files.report.counts;
    say!(
        "{}",
        texts.report_written(
            &files.report.unit_name,
            &vn::period(&files.report.period),
            &vn::date(files.report.as_of),
        )
    );
    for (path, bytes) in paths.iter().zip([&files.xlsx, &files.docx]) {
        say!("  {}  blake3 {}", path.display(), &hash(bytes)[..16]);
    }
    say!(
        "{}",
        texts.report_counts(
            counts.tasks,
            counts.done,
            counts.overdue,
            counts.extended,
            counts.waiting
        )
    );
}

fn json(files: &Files, paths: &[PathBuf; 2], item: Option<String>) -> Outcome {
    print_json(&serde_json::json!({
        "unit": files.report.unit,
        "period": files.report.period.code(),
        "as_of": files.report.as_of.to_string(),
        "xlsx": { "path": paths[0], "blake3": hash(&files.xlsx) },
        "docx": { "path": paths[1], "blake3": hash(&files.docx) },
        "counts": files.report.counts,
        "rollup": files.report.rollup,
        "weeks": files.report.weeks,
        "item": item,
    }))
}

/// `nhip report …`.
pub(super) fn exec(
    home: &Home,
    texts: Texts,
    person: &crate::account::Actor,
    action: ReportAction,
) -> Outcome {
    match action {
        ReportAction::Make(args) => {
            let (files, paths) = make(home, texts, &args)?;
            if args.json {
                return json(&files, &paths, None);
            }
            tell(texts, &files, &paths);
            Ok(())
        }
        ReportAction::Submit(args) => {
            let (files, paths) = make(home, texts, &args)?;
            let item = crate::report::submit(home, person, &files)
                .map_err(|error| home_failure(texts, error))?;
            if args.json {
                return json(&files, &paths, Some(item.to_string()));
            }
            tell(texts, &files, &paths);
            say!("{}", texts.report_submitted(&short(&item)));
            Ok(())
        }
        ReportAction::Status { period: text, json } => {
            let period = period(texts, &text)?;
            let state = home.state().map_err(|error| home_failure(texts, error))?;
            let today = Date::from_unix_ms(now_ms());
            let rows = report::submissions(&state, &home.config.unit, &period, today);
            if json {
                return print_json(&rows);
            }
            say!(
                "{}",
                texts.report_status_title(&vn::period(&period), &vn::date(period.due()))
            );
            if rows.is_empty() {
                say!("  {}", texts.report_status_none());
            }
            for row in rows {
                say!(
                    "  {:<28} {:<16} {:>10} {}",
                    row.name,
                    texts.submission_status(row.status),
                    row.submitted_on.map_or_else(String::new, vn::date),
                    row.lag_days
                        .map_or_else(String::new, |days| texts.lag_days(days)),
                );
            }
            Ok(())
        }
    }
}
