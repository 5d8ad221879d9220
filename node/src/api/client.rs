//! The caller's side of the local API: `nhip` finds the running node's socket, hands it the
//! command line, and prints what the node answers, with the node's exit code.

use std::io::Write;
use std::path::Path;

use super::{RunAnswer, RunRequest, SOCKET_FILE, SessionChange};
use crate::console::spinner;
use crate::exit::ExitCode;
use crate::texts::Texts;

/// Runs this process's command line in the node running in `data`, if one runs there, with the
/// caller's credentials: prints its answer and returns its exit code and what it did to the
/// caller's session. `None` when no node runs (no socket, or a stale one): the caller then
/// opens the log itself.
pub fn forward(
    data: &Path,
    texts: Texts,
    credentials: &crate::account::Credentials,
) -> Option<(ExitCode, Option<SessionChange>)> {
    let socket = data.join(SOCKET_FILE);
    if !socket.exists() {
        return None;
    }
    let mut args = Vec::new();
    for arg in std::env::args_os() {
        // A command line that is not UTF-8 cannot be sent; opening the log directly will say
        // that the node is busy, which is the truth.
        args.push(arg.into_string().ok()?);
    }
    let request = RunRequest {
        args,
        cwd: std::env::current_dir().ok()?,
        session: credentials.session.clone(),
        passphrase: credentials
            .passphrase
            .as_ref()
            .map(|passphrase| passphrase.as_str().to_owned()),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    let spinner = spinner();
    if let Some(spinner) = &spinner {
        spinner.set_message(texts.working());
    }
    let answer = runtime.block_on(call(&socket, &request));
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    match answer {
        Ok(answer) => {
            let _ = std::io::stdout().write_all(answer.out.as_bytes());
            let _ = std::io::stderr().write_all(answer.err.as_bytes());
            Some((ExitCode::from_u8(answer.code), answer.session))
        }
        Err(Failed::NotRunning) => None,
        Err(Failed::WentAway(error)) => {
            let _ = writeln!(
                std::io::stderr(),
                "{}: {}",
                texts.error_prefix(),
                texts.node_went_away(&error)
            );
            Some((ExitCode::Busy, None))
        }
    }
}

/// Sends `request` to the node whose socket is `socket` and waits for its answer (for scripts
/// and benchmarks that drive a running node; `nhip` itself uses [`forward`]).
pub fn run(socket: &Path, request: &RunRequest) -> Result<RunAnswer, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| error.to_string())?;
    runtime
        .block_on(call(socket, request))
        .map_err(|failed| match failed {
            Failed::NotRunning => format!("{}: no node answers", socket.display()),
            Failed::WentAway(error) => error,
        })
}

/// Why a call did not bring an answer.
enum Failed {
    /// Nobody listens on the socket: the node is stopped.
    NotRunning,
    /// The node took the call and did not answer it.
    WentAway(String),
}

#[cfg(unix)]
async fn call(socket: &Path, request: &RunRequest) -> Result<RunAnswer, Failed> {
    use http_body_util::{BodyExt, Full, Limited};
    use hyper::header::{CONTENT_TYPE, HOST};

    use crate::limits::{API_ANSWER_BYTES_MAX, API_ANSWER_WITHIN_MS};

    let stream = tokio::net::UnixStream::connect(socket)
        .await
        .map_err(|_| Failed::NotRunning)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|_| Failed::NotRunning)?;
    tokio::spawn(connection);
    let went_away = |error: &dyn std::fmt::Display| Failed::WentAway(error.to_string());
    // Invariant: a request of owned strings always encodes.
    let body = serde_json::to_vec(request).expect("a run request encodes");
    let request = hyper::Request::post("/v1/run")
        .header(HOST, "nhip")
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(hyper::body::Bytes::from(body)))
        .map_err(|error| went_away(&error))?;
    let within = std::time::Duration::from_millis(API_ANSWER_WITHIN_MS);
    let response = tokio::time::timeout(within, sender.send_request(request))
        .await
        .map_err(|error| went_away(&error))?
        .map_err(|error| went_away(&error))?;
    let status = response.status();
    let bytes = Limited::new(response.into_body(), API_ANSWER_BYTES_MAX)
        .collect()
        .await
        .map_err(|error| went_away(&*error))?
        .to_bytes();
    if !status.is_success() {
        return Err(Failed::WentAway(format!(
            "{status}: {}",
            String::from_utf8_lossy(&bytes)
        )));
    }
    serde_json::from_slice(&bytes).map_err(|error| went_away(&error))
}

#[cfg(not(unix))]
async fn call(_socket: &Path, _request: &RunRequest) -> Result<RunAnswer, Failed> {
    Err(Failed::NotRunning)
}
