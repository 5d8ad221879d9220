//! The Nhịp node: the shell around the engine and the protocol. Key files, TLS identities,
//! QUIC transport and (in `main.rs`) the `nhip` command.

/// Prints a line to standard output, ignoring a closed pipe: `nhip … | head` and a daemon whose
/// terminal went away must neither panic nor stop (`println!` panics on a write error). Inside
/// the running node, on behalf of a caller, the line goes back to the caller ([`console`]).
macro_rules! say {
    () => {
        $crate::console::out(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::console::out(format_args!($($arg)*))
    };
}

/// Like [`say!`], to standard error.
macro_rules! warn {
    ($($arg:tt)*) => {
        $crate::console::err(format_args!($($arg)*))
    };
}

pub mod account;
pub mod api;
pub mod app;
pub mod audit;
pub mod changes;
pub mod cli;
pub mod config;
pub mod console;
pub mod daemon;
pub mod dashboard;
pub mod demo;
pub mod enroll;
pub mod exchange;
pub mod exit;
pub mod home;
pub mod http;
pub mod identity;
pub mod limits;
pub mod links;
pub mod live;
pub mod making;
pub mod report;
pub mod running;
pub mod setup;
pub mod text_search;
pub mod texts;
pub mod tls;
pub mod transport;
pub mod turns;

/// The QUIC implementation, re-exported for callers that hold connections and endpoints.
pub use quinn;
