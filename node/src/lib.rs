//! The Nhịp node: the shell around the engine and the protocol. Key files, TLS identities,
//! QUIC transport and (in `main.rs`) the `nhip` command.

pub mod audit;
pub mod cli;
pub mod config;
pub mod daemon;
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
