//! The Nhịp wire protocol: message types, framing with hard limits, receipts, scope, and sync
//! as a sans-IO state machine.
//!
//! Pure: no sockets, no async runtime, no clock. The node crate moves the bytes (over QUIC);
//! this crate decides what they say. PROTOCOL.md at the top of the repository describes the
//! wire precisely enough to write a compatible client.
// Every byte here comes from a peer: no index or slice that can panic on what it sends.
#![cfg_attr(not(test), warn(clippy::indexing_slicing, clippy::string_slice))]

pub mod enroll;
pub mod frame;
pub mod limits;
pub mod message;
pub mod receipt;
pub mod scope;
pub mod sync;

pub use enroll::{EnrollEvent, Enrollment};
pub use frame::FrameError;
pub use message::{CloseCode, Message, RefusalCode};
pub use receipt::{Receipt, ReceiptBody, ReceiptError};
pub use scope::{Directory, Scope, Side, TreeScope};
pub use sync::{Config, Stats, Sync, SyncEvent};
