//! The caller's side of the local API: `nhip` finds the running node's socket, hands it the
//! command line, and prints what the node says as it says it, with the node's exit code.

use std::io::Write;
use std::path::Path;

use super::{RunAnswer, RunFrame, RunRequest, SOCKET_FILE, STREAMED, SessionChange};
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
    let mut spinner = spinner();
    if let Some(spinner) = &spinner {
        spinner.set_message(texts.working());
    }
    // The node's words are printed as they come; the spinner gives way to the first of them.
    let mut print = |frame: RunFrame| {
        if let Some(spinner) = spinner.take() {
            spinner.finish_and_clear();
        }
        match frame {
            RunFrame::Out(text) => {
                let mut out = std::io::stdout();
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
            }
            RunFrame::Err(text) => {
                let _ = std::io::stderr().write_all(text.as_bytes());
            }
            RunFrame::End { .. } => {}
        }
    };
    let answer = runtime.block_on(call_streamed(&socket, &request, &mut print));
    match answer {
        Ok((code, session)) => Some((ExitCode::from_u8(code), session)),
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
    runtime.block_on(run_async(socket, request))
}

/// [`run`] from async code: the demo's offices drive their running nodes this way, from the
/// runtime those nodes run on.
pub async fn run_async(socket: &Path, request: &RunRequest) -> Result<RunAnswer, String> {
    call(socket, request).await.map_err(|failed| match failed {
        Failed::NotRunning => format!("{}: no node answers", socket.display()),
        Failed::WentAway(error) => error,
    })
}

/// Sends `request` to the node whose socket is `socket` for a streamed answer, handing each
/// line to `print` as it arrives; returns the command's exit code and session change.
#[cfg(unix)]
async fn call_streamed(
    socket: &Path,
    request: &RunRequest,
    print: &mut impl FnMut(RunFrame),
) -> Result<(u8, Option<SessionChange>), Failed> {
    use http_body_util::BodyExt;

    use crate::limits::{API_ANSWER_BYTES_MAX, API_ANSWER_WITHIN_MS};

    let mut body = post_run(socket, request, Some(STREAMED)).await?;
    let went_away = |error: &dyn std::fmt::Display| Failed::WentAway(error.to_string());
    let read = async {
        let (mut pending, mut received) = (Vec::new(), 0usize);
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|error| went_away(&error))?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            received += data.len();
            if received > API_ANSWER_BYTES_MAX {
                return Err(Failed::WentAway("the answer is too large".into()));
            }
            pending.extend_from_slice(&data);
            while let Some(end) = pending.iter().position(|byte| *byte == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                match serde_json::from_slice::<RunFrame>(&line) {
                    Ok(RunFrame::End { code, session }) => return Ok((code, session)),
                    Ok(said) => print(said),
                    Err(error) => return Err(went_away(&error)),
                }
            }
        }
        Err(Failed::WentAway(
            "the node stopped before the command ended".into(),
        ))
    };
    let within = std::time::Duration::from_millis(API_ANSWER_WITHIN_MS);
    tokio::time::timeout(within, read)
        .await
        .map_err(|error| went_away(&error))?
}

#[cfg(not(unix))]
async fn call_streamed(
    _socket: &Path,
    _request: &RunRequest,
    _print: &mut impl FnMut(RunFrame),
) -> Result<(u8, Option<SessionChange>), Failed> {
    Err(Failed::NotRunning)
}

/// Connects to the node's socket and posts `request` to `/v1/run` (asking for `accept` when
/// given); the body of a successful answer, once its head has come.
#[cfg(unix)]
async fn post_run(
    socket: &Path,
    request: &RunRequest,
    accept: Option<&str>,
) -> Result<hyper::body::Incoming, Failed> {
    use http_body_util::{BodyExt, Full};
    use hyper::header::{ACCEPT, CONTENT_TYPE, HOST};

    use crate::limits::API_ANSWER_WITHIN_MS;

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
    let mut post = hyper::Request::post("/v1/run")
        .header(HOST, "nhip")
        .header(CONTENT_TYPE, "application/json");
    if let Some(accept) = accept {
        post = post.header(ACCEPT, accept);
    }
    let post = post
        .body(Full::new(hyper::body::Bytes::from(body)))
        .map_err(|error| went_away(&error))?;
    let within = std::time::Duration::from_millis(API_ANSWER_WITHIN_MS);
    let response = tokio::time::timeout(within, sender.send_request(post))
        .await
        .map_err(|error| went_away(&error))?
        .map_err(|error| went_away(&error))?;
    let status = response.status();
    if !status.is_success() {
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|error| went_away(&error))?
            .to_bytes();
        return Err(Failed::WentAway(format!(
            "{status}: {}",
            String::from_utf8_lossy(&bytes)
        )));
    }
    Ok(response.into_body())
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
    use http_body_util::{BodyExt, Limited};

    use crate::limits::API_ANSWER_BYTES_MAX;

    let body = post_run(socket, request, None).await?;
    let went_away = |error: &dyn std::fmt::Display| Failed::WentAway(error.to_string());
    let bytes = Limited::new(body, API_ANSWER_BYTES_MAX)
        .collect()
        .await
        .map_err(|error| went_away(&*error))?
        .to_bytes();
    serde_json::from_slice(&bytes).map_err(|error| went_away(&error))
}

#[cfg(not(unix))]
async fn call(_socket: &Path, _request: &RunRequest) -> Result<RunAnswer, Failed> {
    Err(Failed::NotRunning)
}
