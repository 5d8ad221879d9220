//! The report upward, in the app: what it will say (its counts, the weekly chart, the roll-up
//! per sub-unit), its two files, submitting it as the person logged in, and who below has
//! reported for the period. The report is the one `nhip report` makes (`crate::report`).

#[allow(clippy::wildcard_imports)]
use super::*;

use nhip_engine::report::{self, Period, Report, SubmissionStatus};

use crate::report::docx::Layout;
use crate::report::{Files, MakeError, request, vn};

/// A report as the page asks for it.
#[derive(Deserialize)]
pub(super) struct Asking {
    /// `2025-09`, `Q3-2025`, `9T-2025`, `2025` or `2025-07-01..2025-09-30`.
    period: String,
    /// The unit; the node's own when empty.
    #[serde(default)]
    unit: Option<String>,
    /// The day the report is made as of; today when empty.
    #[serde(default)]
    as_of: Option<String>,
    /// `state` or `party`.
    #[serde(default)]
    layout: Option<String>,
    /// For a file: `xlsx` or `docx`.
    #[serde(default)]
    format: Option<String>,
}

/// What the page asked for, read.
struct Asked {
    period: Period,
    unit: UnitId,
    as_of: Date,
    today: Date,
    layout: Layout,
}

fn asked(home: &Home, texts: Texts, asking: &Asking) -> Result<Asked, Said> {
    let bad = |message: String| Said(StatusCode::BAD_REQUEST, message);
    let period = request::period(texts, asking.period.trim()).map_err(bad)?;
    let unit = match asking.unit.as_deref().map(str::trim) {
        None | Some("") => home.config.unit.clone(),
        Some(text) => UnitId::new(text).map_err(|_| bad(texts.app_bad_field("unit", text)))?,
    };
    let today = today(None)?;
    let as_of = match asking.as_of.as_deref().map(str::trim) {
        None | Some("") => today,
        Some(text) => Date::parse(text).map_err(|_| bad(texts.bad_date(text)))?,
    };
    let layout = request::layout(texts, asking.layout.as_deref().unwrap_or("")).map_err(bad)?;
    Ok(Asked {
        period,
        unit,
        as_of,
        today,
        layout,
    })
}

fn refused(texts: Texts, error: &MakeError) -> Said {
    let status = match error {
        MakeError::Store(_) | MakeError::Render(_) => StatusCode::INTERNAL_SERVER_ERROR,
        MakeError::Report(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Said(status, request::failure(texts, error))
}

/// The report's figures as the page draws them.
#[derive(Serialize)]
pub(super) struct ReportView {
    unit: UnitRef,
    /// The period in words (`quý III năm 2025`).
    period_name: String,
    period: String,
    as_of: String,
    /// The day the report is due upward.
    due: String,
    counts: report::Counts,
    /// Done and overdue per week, as the overview's chart takes them.
    weeks: Vec<views::WeekView>,
    rollup: Vec<RollupView>,
    /// Where each office below this node stands with its report for the period.
    submissions: Vec<SubmissionView>,
}

#[derive(Serialize)]
struct RollupView {
    name: String,
    tasks: u32,
    done: u32,
    overdue: u32,
    waiting: u32,
    petitions: u32,
    conflicts: u32,
}

#[derive(Serialize)]
struct SubmissionView {
    unit: UnitRef,
    status: &'static str,
    status_name: String,
    item: Option<String>,
    state_name: Option<String>,
    submitted_on: Option<String>,
    lag: Option<String>,
}

fn status_code(status: SubmissionStatus) -> &'static str {
    match status {
        SubmissionStatus::Submitted => "submitted",
        SubmissionStatus::Late => "late",
        SubmissionStatus::Missing => "missing",
        SubmissionStatus::NotYetDue => "not_yet_due",
    }
}

fn view(home: &Home, texts: Texts, state: &State, report: &Report, today: Date) -> ReportView {
    let submissions = report::submissions(state, &home.config.unit, &report.period, today)
        .into_iter()
        .map(|row| SubmissionView {
            unit: UnitRef {
                path: row.unit.to_string(),
                name: row.name.clone(),
            },
            status: status_code(row.status),
            status_name: texts.submission_status(row.status),
            item: row.item.map(|id| id.to_string()),
            state_name: row.state_name,
            submitted_on: row.submitted_on.map(|day| day.to_string()),
            lag: row.lag_days.map(|days| texts.lag_days(days)),
        })
        .collect();
    ReportView {
        unit: UnitRef {
            path: report.unit.to_string(),
            name: report.unit_name.clone(),
        },
        period_name: vn::period(&report.period),
        period: report.period.code(),
        as_of: report.as_of.to_string(),
        due: report.period.due().to_string(),
        counts: report.counts.clone(),
        weeks: report
            .weeks
            .iter()
            .map(|week| views::WeekView::of(week.start, week.done, week.overdue))
            .collect(),
        rollup: report
            .rollup
            .iter()
            .map(|row| RollupView {
                name: row.name.clone(),
                tasks: row.tasks,
                done: row.done,
                overdue: row.overdue,
                waiting: row.waiting,
                petitions: row.petitions,
                conflicts: row.conflicts,
            })
            .collect(),
        submissions,
    }
}

/// `GET /app/reports?period=…[&unit=…][&as_of=…]`: what the report will say.
pub(super) async fn summary(
    Shared(app): Shared<App>,
    headers: HeaderMap,
    Query(asking): Query<Asking>,
) -> Answer<ReportView> {
    let texts = texts_for(&headers, None);
    let home = app.home.clone();
    blocking(move || {
        let asked = asked(&home, texts, &asking)?;
        if asked.as_of > asked.today {
            let error = MakeError::Report(nhip_engine::report::ReportError::AsOfInFuture {
                as_of: asked.as_of,
                today: asked.today,
            });
            return Err(refused(texts, &error));
        }
        let state =
            crate::report::state_for(&*home.log, &|| home.state().ok(), &asked.unit, asked.as_of)
                .map_err(|error| refused(texts, &MakeError::Store(error)))?;
        let report = report::build(&state, &asked.unit, &asked.period, asked.as_of, asked.today)
            .map_err(|error| refused(texts, &MakeError::Report(error)))?;
        // Who has reported is read from what the node holds now.
        let now = state_of(&home)?;
        Ok(Json(view(&home, texts, &now, &report, asked.today)))
    })
    .await
}

fn make(home: &Home, texts: Texts, asked: &Asked) -> Result<Files, Said> {
    crate::report::make(
        &*home.log,
        &|| home.state().ok(),
        &asked.unit,
        &asked.period,
        asked.as_of,
        asked.today,
        asked.layout,
    )
    .map_err(|error| refused(texts, &error))
}

/// `GET /app/reports/file?period=…&format=xlsx|docx[&unit=…][&as_of=…][&layout=…]`: one of
/// the two files, as `nhip report make` writes it (the same bytes).
pub(super) async fn file(
    Shared(app): Shared<App>,
    headers: HeaderMap,
    Query(asking): Query<Asking>,
) -> Response {
    let texts = texts_for(&headers, None);
    let home = app.home.clone();
    let made = blocking(move || {
        let format = asking.format.clone().unwrap_or_default();
        if format != "xlsx" && format != "docx" {
            return Err(Said(
                StatusCode::BAD_REQUEST,
                texts.app_bad_field("format", &format),
            ));
        }
        let asked = asked(&home, texts, &asking)?;
        let files = make(&home, texts, &asked)?;
        let name = format!("{}.{format}", crate::report::file_stem(&files.report));
        let bytes = if format == "xlsx" {
            files.xlsx
        } else {
            files.docx
        };
        Ok((format, name, bytes))
    })
    .await;
    match made {
        Ok((format, name, bytes)) => {
            attachment(if format == "xlsx" { XLSX } else { DOCX }, &name, bytes)
        }
        Err(said) => said.into_response(),
    }
}

/// `POST /app/reports/submit` with `{ period, unit?, as_of?, layout? }`: makes the report and
/// submits it upward as the person logged in (an item of the `report` workflow carrying both
/// files' hashes, signed by them).
pub(super) async fn submit(
    Shared(app): Shared<App>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Json(asking): Json<Asking>,
) -> Response {
    let texts = texts_for(&headers, None);
    let home = app.home.clone();
    let done = blocking(move || {
        let actor = person_of(&caller)?.clone();
        let asked = asked(&home, texts, &asking)?;
        let files = make(&home, texts, &asked)?;
        match crate::report::submit(&home, &actor, &files) {
            Ok(item) => Ok((
                item,
                crate::report::hash(&files.xlsx),
                crate::report::hash(&files.docx),
            )),
            Err(HomeError::Command(error)) => {
                Err(Said(StatusCode::FORBIDDEN, texts.command_error(&error)))
            }
            Err(other) => Err(Said(StatusCode::INTERNAL_SERVER_ERROR, other.to_string())),
        }
    })
    .await;
    match done {
        Ok((item, xlsx, docx)) => Json(serde_json::json!({
            "item": item,
            "xlsx_blake3": xlsx,
            "docx_blake3": docx,
        }))
        .into_response(),
        Err(said) => said.into_response(),
    }
}
