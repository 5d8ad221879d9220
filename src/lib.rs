//! Nhịp: the facade crate. It re-exports the workspace crates so that examples and end-to-end
//! tests can name everything through one path (`nhip::engine`, `nhip::protocol`).

pub use nhip_engine as engine;
pub use nhip_protocol as protocol;

pub mod sample;
