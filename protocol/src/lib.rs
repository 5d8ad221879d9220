//! The Nhịp wire protocol: message types, framing with hard limits, and sync as a sans-IO
//! state machine.
//!
//! This crate is a placeholder in the workspace layout: the wire is specified by issue 4 and is
//! not written yet. Nothing here claims to sync.
