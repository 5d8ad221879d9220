//! The Nhịp engine: events, the signed log, and deterministic replay.
//!
//! Pure and deterministic: no sockets, no async runtime, no wall clock, no randomness. Time
//! (`now_ms`) and event ids come in as arguments. The one piece of I/O is the redb file behind
//! [`RedbLog`]; [`MemoryLog`] follows the same rules in memory.
//!
//! Start at [`EventLog`] (append, ingest, read) and [`replay()`] (fold a log into [`State`]).

pub mod audit;
pub mod body;
mod chain;
pub mod command;
pub mod date;
pub mod decisions;
pub mod digest;
pub mod event;
pub mod hlc;
pub mod ids;
pub mod limits;
pub mod log;
pub mod memory;
pub mod registry;
pub mod replay;
pub mod report;
pub mod seal;
pub mod signature;
pub mod state;
pub mod store;
pub mod workflow;

pub use date::Date;
pub use event::{Body, DecodeError, Draft, Event, OrderKey, StoredEvent};
pub use hlc::Hlc;
pub use ids::{ChainId, EventId, Hash, NodeId, PersonId, PersonKey, Seq, UnitId};
pub use log::{
    AppendError, Arrival, ArrivalRange, Batch, EventLog, Head, Incident, IngestError, IngestReport,
    Refusal, RefusalReason, StoreError,
};
pub use memory::MemoryLog;
pub use replay::{Projector, replay, replay_verifying};
pub use seal::{Seal, SealError, node_id};
pub use state::State;
pub use store::{OpenError, RedbLog, SCHEMA_VERSION};
