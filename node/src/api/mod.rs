//! The running node's local API: the one door through which every other `nhip` command on the
//! same machine reaches the log while `nhip serve` holds it.
//!
//! HTTP/1.1 with JSON bodies on a Unix domain socket in the data folder ([`SOCKET_FILE`], mode
//! 0600: only the node's own OS user, and root, may connect). `POST /v1/run` executes one
//! command line exactly as `nhip` would in its own process — same parsing, same code, same
//! words, same exit code — so one code path serves both ([`crate::cli::main`] decides which).
//! `GET /v1/changes` is the change stream (Server-Sent Events). See docs/API.md.

pub mod client;
pub mod server;

use std::path::PathBuf;

/// The socket of a running node, in its data folder.
pub const SOCKET_FILE: &str = "nhip.sock";

/// `POST /v1/run`: a command line to execute as if typed in `cwd`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RunRequest {
    /// The arguments, program name first (as `std::env::args` gives them).
    pub args: Vec<String>,
    /// The caller's working folder: relative paths in `args` are taken from it.
    pub cwd: PathBuf,
    /// The caller's session at this node (`nhip login`), if they have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// A passphrase the caller typed for this one command (`nhip login`, or
    /// `--passphrase-stdin`). The socket is the node's OS user's only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passphrase: Option<String>,
}

/// The answer to a [`RunRequest`]: what the command said, and its exit code.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RunAnswer {
    /// The exit code (see [`crate::exit::ExitCode`]).
    pub code: u8,
    /// Standard output, as the command wrote it.
    pub out: String,
    /// Standard error, as the command wrote it.
    pub err: String,
    /// What became of the caller's session: a new one (`nhip login`), or ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionChange>,
}

/// The media type of a streamed answer to `POST /v1/run`: asked for with `Accept`, it is one
/// JSON [`RunFrame`] per line, each sent as the command says it.
pub const STREAMED: &str = "application/x-ndjson";

/// One line of a streamed answer to `POST /v1/run`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunFrame {
    /// Words on standard output, as the command said them.
    Out(String),
    /// Words on standard error.
    Err(String),
    /// The command ended: its exit code, and what became of the caller's session. Always the
    /// last line.
    End {
        /// The exit code (see [`crate::exit::ExitCode`]).
        code: u8,
        /// A new session (`nhip login`), or the end of one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<SessionChange>,
    },
}

pub use crate::account::SessionChange;
