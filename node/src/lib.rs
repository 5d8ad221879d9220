//! The Nhịp node: the shell around the engine and the protocol. Key files, TLS identities,
//! QUIC transport and (in `main.rs`) the `nhip` command.

/// Prints a line to standard output, ignoring a closed pipe: `nhip … | head` and a daemon whose
/// terminal went away must neither panic nor stop (`println!` panics on a write error).
macro_rules! say {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout());
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

pub mod audit;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod dashboard;
pub mod demo;
pub mod enroll;
pub mod exchange;
pub mod home;
pub mod identity;
pub mod limits;
pub mod text_search;
pub mod texts;
pub mod tls;
pub mod transport;

/// The QUIC implementation, re-exported for callers that hold connections and endpoints.
pub use quinn;
