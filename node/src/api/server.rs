//! The running node's side of the local API: the routes, served on the node's socket.

use std::future::Future;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tokio::sync::Semaphore;

use super::{RunAnswer, RunRequest, SOCKET_FILE};
use crate::daemon::Node;
use crate::exit::ExitCode;
use crate::home::Home;
use crate::limits::{API_BODY_BYTES_MAX, API_COMMANDS_CONCURRENT_MAX};

/// Executes one command line for a caller, as `nhip` itself would, against the running node:
/// the command layer's `run_for_caller`, handed in by `nhip serve` (the API knows no command).
/// The caller's credentials travel with the command; what it did to their session comes back.
pub type Executor =
    fn(&Arc<Home>, &[String], &std::path::Path, &crate::account::Credentials) -> ExitCode;

/// What every route shares.
#[derive(Clone)]
struct Shared {
    home: Arc<Home>,
    node: Node,
    execute: Executor,
    commands: Arc<Semaphore>,
}

/// The routes of the socket API.
fn router(home: Arc<Home>, node: Node, execute: Executor) -> Router {
    let shared = Shared {
        home,
        node,
        execute,
        commands: Arc::new(Semaphore::new(API_COMMANDS_CONCURRENT_MAX)),
    };
    Router::new()
        .route("/v1/run", post(run))
        .route("/v1/changes", get(changes))
        .route("/v1/health", get(health))
        .layer(DefaultBodyLimit::max(API_BODY_BYTES_MAX))
        .with_state(shared)
}

/// Binds the node's socket (replacing a stale file a killed node left) and serves the API on it
/// until `shutdown`; requests in flight are answered first. Returns once bound.
#[cfg(unix)]
pub async fn serve_socket(
    home: Arc<Home>,
    node: Node,
    execute: Executor,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<tokio::task::JoinHandle<()>, String> {
    use std::os::unix::fs::PermissionsExt;
    let path = home.dir.join(SOCKET_FILE);
    // This process holds the log, so no other node serves this folder: a socket file here is
    // what a killed node left behind.
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(format!("{}: {error}", path.display())),
    }
    let listener = tokio::net::UnixListener::bind(&path)
        .map_err(|error| format!("{}: {error}", path.display()))?;
    // The data folder is 0700 already; the socket itself is the owner's alone too.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .map_err(|error| format!("{}: {error}", path.display()))?;
    let app = router(home, node, execute);
    Ok(tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(%error, "the local API stopped");
        }
        let _ = std::fs::remove_file(&path);
    }))
}

/// Without Unix sockets, the node has no local API: commands on the same machine open the
/// log themselves when the node is stopped.
#[cfg(not(unix))]
pub async fn serve_socket(
    _home: Arc<Home>,
    _node: Node,
    _execute: Executor,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<tokio::task::JoinHandle<()>, String> {
    Ok(tokio::spawn(shutdown))
}

/// `POST /v1/run`: executes the command line on a blocking thread, its words captured.
async fn run(State(shared): State<Shared>, Json(request): Json<RunRequest>) -> Response {
    let Ok(_permit) = shared.commands.clone().acquire_owned().await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let home = shared.home.clone();
    let execute = shared.execute;
    let done = tokio::task::spawn_blocking(move || {
        let credentials = crate::account::Credentials::new(
            request.session,
            request.passphrase.map(zeroize::Zeroizing::new),
        );
        let (code, said) =
            crate::console::capture(|| execute(&home, &request.args, &request.cwd, &credentials));
        (code, said, credentials.change())
    })
    .await;
    match done {
        Ok((code, said, session)) => Json(RunAnswer {
            code: code as u8,
            out: String::from_utf8_lossy(&said.out).into_owned(),
            err: String::from_utf8_lossy(&said.err).into_owned(),
            session,
        })
        .into_response(),
        // A panic in a command is a bug; the caller hears of it, the node serves on.
        Err(error) => {
            tracing::error!(%error, "a command failed inside the node");
            Json(RunAnswer {
                code: ExitCode::Refused as u8,
                out: String::new(),
                err: format!("internal error: {error}\n"),
                session: None,
            })
            .into_response()
        }
    }
}

/// `GET /v1/changes`: the change stream — see [`change_stream`].
async fn changes(State(shared): State<Shared>) -> impl IntoResponse {
    crate::changes::stream(shared.node.changes.subscribe())
}

/// `GET /v1/health`: the node answers.
async fn health(State(shared): State<Shared>) -> impl IntoResponse {
    Json(serde_json::json!({
        "node": shared.home.node().to_hex(),
        "unit": shared.home.config.unit,
        "generation": *shared.node.changes.borrow(),
    }))
}
