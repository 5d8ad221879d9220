//! The exit codes of `nhip`: one per kind of failure, shared by the command and the local API
//! that carries them back from a running node.

/// The exit codes of `nhip`, one per kind of failure, so scripts can tell them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[repr(u8)]
pub enum ExitCode {
    /// Done.
    Done = 0,
    /// Refused or failed; the message says why.
    Refused = 1,
    /// Wrong arguments.
    Usage = 2,
    /// No node here, or a damaged configuration or log.
    NoNode = 3,
    /// The node is busy: another process holds its log.
    Busy = 4,
    /// The network: a sync could not complete.
    Network = 5,
    /// Storage: the disk failed or is full.
    Storage = 6,
    /// An audit found problems.
    AuditFailed = 7,
}

impl ExitCode {
    /// The code for a number a running node answered with; unknown numbers are failures.
    pub fn from_u8(code: u8) -> ExitCode {
        [
            ExitCode::Done,
            ExitCode::Refused,
            ExitCode::Usage,
            ExitCode::NoNode,
            ExitCode::Busy,
            ExitCode::Network,
            ExitCode::Storage,
            ExitCode::AuditFailed,
        ]
        .into_iter()
        .find(|known| *known as u8 == code)
        .unwrap_or(ExitCode::Refused)
    }
}
