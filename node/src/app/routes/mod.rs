//! The app's API (`/app/…`), one file per concern: `session` (words, who is logged in, login,
//! logout), `work` (a person's work, the pickers, progress by week), `items` (the list, its
//! workbook, creating an item, an item's page and its actions), `import` (the appendix),
//! `indicators` (reporting a value), `reports` (the report upward: its figures, its files,
//! submitting it, who has reported) and `sync` (the link upward). Each handler parses, asks the
//! engine or the node, and answers; the rules are the engine's (docs/API.md lists the routes).
//! What they share is here.

use std::sync::Arc;

mod import;
mod indicators;
mod items;
mod reports;
mod session;
mod sync;
mod work;

use import::import;
use indicators::report_indicator;
use items::{act, create, item, items, items_xlsx};
use session::{login, logout, me, words};
use sync::{sync, sync_now};
use work::{people, progress, units, work, workflows};

use axum::extract::{DefaultBodyLimit, Path, Query, State as Shared};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use nhip_engine::command::{Command, CommandError};
use nhip_engine::state::State;
use nhip_engine::state::steps::{my_work, next_steps};
use nhip_engine::{Date, EventId, PersonId, UnitId};
use serde::{Deserialize, Serialize};

use super::access::{Caller, Gate, cookie, session_cookie};
use super::views::{self, PersonRef, UnitRef};
use crate::account::{AccountError, Actor};
use crate::home::{Home, HomeError};
use crate::limits::{
    APP_LIST_ROWS_MAX, APP_PICKER_ROWS_MAX, APP_UPLOAD_BYTES_MAX, SESSION_IDLE_MS,
};
use crate::text_search;
use crate::texts::{Lang, Texts, app_words};
use crate::transport::now_ms;

/// What the handlers share.
#[derive(Clone)]
struct App {
    home: Arc<Home>,
    gate: Arc<Gate>,
}

/// The app's routes.
pub fn routes(home: Arc<Home>, gate: Arc<Gate>) -> Router {
    Router::new()
        .route("/app/words", get(words))
        .route("/app/me", get(me))
        .route("/app/login", post(login))
        .route("/app/logout", post(logout))
        .route("/app/work", get(work))
        .route("/app/people", get(people))
        .route("/app/units", get(units))
        .route("/app/workflows", get(workflows))
        .route("/app/items", get(items).post(create))
        .route("/app/items.xlsx", get(items_xlsx))
        .route("/app/items/{id}", get(item).post(act))
        .route("/app/indicators/{code}", post(report_indicator))
        .route("/app/progress", get(progress))
        .route("/app/reports", get(reports::summary))
        .route("/app/reports/file", get(reports::file))
        .route("/app/reports/submit", post(reports::submit))
        .route("/app/sync", get(sync).post(sync_now))
        .route(
            "/app/import",
            post(import).layer(DefaultBodyLimit::max(APP_UPLOAD_BYTES_MAX)),
        )
        .with_state(App { home, gate })
}

/// A refusal a page shows as it is: the status, and the words.
struct Said(StatusCode, String);

impl IntoResponse for Said {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

type Answer<T> = Result<Json<T>, Said>;

/// The reader's language: `?lang=`, else the `nhip_lang` cookie the page sets, else Vietnamese.
fn texts_for(headers: &HeaderMap, lang: Option<&str>) -> Texts {
    Texts(Lang::parse(
        lang.or_else(|| cookie(headers, "nhip_lang"))
            .unwrap_or("vi"),
    ))
}

/// Runs `work` on a blocking thread (the state, the log and argon2 block).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Said> + Send + 'static,
) -> Result<T, Said> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|error| Err(Said(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())))
}

fn state_of(home: &Home) -> Result<Arc<State>, Said> {
    home.state()
        .map_err(|error| Said(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))
}

fn today(given: Option<&str>) -> Result<Date, Said> {
    match given {
        None | Some("") => Ok(Date::from_unix_ms(now_ms())),
        Some(text) => Date::parse(text)
            .map_err(|_| Said(StatusCode::BAD_REQUEST, format!("{text:?}: YYYY-MM-DD"))),
    }
}

/// The person a caller acts as; readers with a token act as no one.
fn person_of(caller: &Caller) -> Result<&Actor, Said> {
    match caller {
        Caller::Person { actor, .. } => Ok(actor.as_ref()),
        Caller::Reader => Err(Said(StatusCode::FORBIDDEN, "tokens read only".into())),
    }
}

fn field<T>(
    texts: Texts,
    name: &str,
    value: Option<String>,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, Said> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => parse(text)
            .map(Some)
            .ok_or_else(|| Said(StatusCode::BAD_REQUEST, texts.app_bad_field(name, text))),
    }
}

/// Has the engine decide `command` as `actor` and appends it: the event's id, or the refusal
/// in words (naming who may instead).
fn decide(home: &Home, actor: &Actor, command: Command, texts: Texts) -> Result<EventId, Said> {
    match home.act(actor, command) {
        Ok(id) => Ok(id),
        Err(HomeError::Command(error)) => {
            let status = match error {
                CommandError::NotAllowed { .. } | CommandError::Refused(_) => StatusCode::FORBIDDEN,
                CommandError::ChangedMeanwhile => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            Err(Said(status, texts.command_error(&error)))
        }
        Err(other) => Err(Said(StatusCode::INTERNAL_SERVER_ERROR, other.to_string())),
    }
}

/// A file the browser saves under `name` (a name in ASCII: the codes of units and periods).
fn attachment(content_type: &'static str, name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The media type of an Excel workbook.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The media type of a Word document.
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

fn item_id(text: &str) -> Result<EventId, Said> {
    uuid::Uuid::parse_str(text)
        .map(EventId)
        .map_err(|_| Said(StatusCode::BAD_REQUEST, "not an item id".into()))
}
