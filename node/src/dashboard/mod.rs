//! The hub's overview: a read-only JSON API (`/api/…`, docs/API.md) over the state of every
//! unit this node holds, which the office app's hub view draws ([`crate::app`], which also
//! decides who may read it).
//!
//! Every number comes with its freshness: a unit whose nodes have not been heard from for more
//! than [`STALE_AFTER_MS`] shows "unknown" rather than a reassuring zero.
mod board;
mod routes;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::extract::State as Shared;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use nhip_engine::Date;
use serde::Deserialize;

use self::board::Board;
use crate::home::Home;
pub use crate::limits::STALE_AFTER_MS;
use crate::links::StatusBoard;
use crate::texts::{Lang, Texts};
use crate::transport::now_ms;

pub(crate) use self::routes::received_times;

/// The words of the API's rows (the page is in Vietnamese; the office app takes the language
/// from the person).
const WORDS: Texts = Texts(Lang::Vi);
/// The overview's routes, over `home`'s state; `status` tells how its links stand and
/// `changes` when its log grew.
pub(crate) fn api(
    home: Arc<Home>,
    status: Arc<StatusBoard>,
    changes: tokio::sync::watch::Receiver<u64>,
) -> Router {
    router(Arc::new(Board::new(home, status, changes)))
}

fn router(board: Arc<Board>) -> Router {
    Router::new()
        .route("/api/overview", get(routes::overview))
        .route("/api/units/{*unit}", get(routes::unit))
        .route("/api/items/{id}", get(routes::item))
        .route("/api/indicators", get(routes::indicators))
        .route("/api/conflicts", get(routes::conflicts))
        .route("/api/reports", get(routes::reports))
        .route("/api/state", get(routes::state_hash))
        .route("/api/links", get(routes::links))
        .route("/api/changes", get(changes))
        .with_state(board)
}

/// `GET /api/changes`: the change stream, so pages update without reloading.
async fn changes(Shared(board): Shared<Arc<Board>>) -> impl IntoResponse {
    crate::changes::stream(board.changes.clone())
}

#[derive(Deserialize)]
struct Params {
    today: Option<String>,
    period: Option<String>,
}

/// A refused request: its status and a short reason.
struct Refused(StatusCode, &'static str);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

/// The day overdue work is counted against: `?today=YYYY-MM-DD`, or the machine's date.
fn today(params: &Params) -> Result<Date, Refused> {
    match params.today.as_deref() {
        None => Ok(Date::from_unix_ms(now_ms())),
        Some(text) => Date::parse(text)
            .map_err(|_| Refused(StatusCode::BAD_REQUEST, "today must be a date, YYYY-MM-DD")),
    }
}

fn failed(error: String) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, error).into_response()
}

/// Runs a handler's work on a blocking thread: bringing the state up to date reads the log and
/// folds (the first look replays it whole), under the board's lock — never on the few async
/// workers that every other request needs.
async fn off_the_workers(work: impl FnOnce() -> Response + Send + 'static) -> Response {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|error| failed(error.to_string()))
}

/// A handler's response, or why the state could not be read.
fn answer(viewed: Result<Response, String>) -> Response {
    viewed.unwrap_or_else(failed)
}
