//! The running node's side of the local API: the routes, served on the node's socket.

use std::future::Future;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::console::Said;

use super::{RunAnswer, RunFrame, RunRequest, SOCKET_FILE, STREAMED};
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
        crate::http::serve(listener, app, shutdown).await;
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

/// `POST /v1/run`: executes the command line on a blocking thread, its words captured — sent
/// back at the end, or line by line as they are said when the caller asks for [`STREAMED`].
async fn run(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(request): Json<RunRequest>,
) -> Response {
    let Ok(permit) = shared.commands.clone().acquire_owned().await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let streamed = headers
        .get(ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains(STREAMED));
    if streamed {
        return run_streamed(shared, request, permit);
    }
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
    drop(permit);
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

/// The streamed form of [`run`]: each thing the command says becomes a [`RunFrame`] line as it
/// is said; the last line is its end. A caller that hangs up hears nothing more, and the
/// command still runs to its end (what it writes is never cut in half). The queue is not
/// bounded — a command may say things from inside the runtime's `block_on`, where it must not
/// wait — but it holds no more than the collected answer would: what one command says.
fn run_streamed(shared: Shared, request: RunRequest, permit: OwnedSemaphorePermit) -> Response {
    let (frames, heard) = tokio::sync::mpsc::unbounded_channel::<RunFrame>();
    let home = shared.home.clone();
    let execute = shared.execute;
    let said = frames.clone();
    let done = tokio::task::spawn_blocking(move || {
        let credentials = crate::account::Credentials::new(
            request.session,
            request.passphrase.map(zeroize::Zeroizing::new),
        );
        let pass = move |stream: Said, bytes: &[u8]| {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let frame = match stream {
                Said::Out => RunFrame::Out(text),
                Said::Err => RunFrame::Err(text),
            };
            let _ = said.send(frame);
        };
        let code = crate::console::pass_on(pass, || {
            execute(&home, &request.args, &request.cwd, &credentials)
        });
        (code, credentials.change())
    });
    tokio::spawn(async move {
        let _permit = permit;
        let end = match done.await {
            Ok((code, session)) => RunFrame::End {
                code: code as u8,
                session,
            },
            // A panic in a command is a bug; the caller hears of it, the node serves on.
            Err(error) => {
                tracing::error!(%error, "a command failed inside the node");
                let _ = frames.send(RunFrame::Err(format!("internal error: {error}\n")));
                RunFrame::End {
                    code: ExitCode::Refused as u8,
                    session: None,
                }
            }
        };
        let _ = frames.send(end);
    });
    let lines = futures_util::stream::unfold(heard, |mut heard| async move {
        let frame = heard.recv().await?;
        // Invariant: a frame of strings and numbers always encodes.
        let mut line = serde_json::to_vec(&frame).expect("a frame encodes");
        line.push(b'\n');
        Some((
            Ok::<_, std::convert::Infallible>(axum::body::Bytes::from(line)),
            heard,
        ))
    });
    (
        [(CONTENT_TYPE, STREAMED)],
        axum::body::Body::from_stream(lines),
    )
        .into_response()
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
        "append_commits": shared.home.log.append_commits(),
    }))
}
