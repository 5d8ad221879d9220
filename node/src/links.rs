//! How each of a node's links stands — connected, last success, last error, what moved, what
//! was refused — for `nhip status`, the dashboard and the pages.

use std::collections::BTreeMap;
use std::sync::Mutex;

use nhip_engine::NodeId;
use nhip_protocol::message::ChainRefusal;
use nhip_protocol::{CloseCode, SyncEvent};

use crate::limits::REFUSALS_REMEMBERED_MAX;
use crate::transport::{LinkReport, TransportError, now_ms};

/// The state of the link with one peer.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LinkStatus {
    /// Whether a connection is open now.
    pub connected: bool,
    /// When a connection last caught up (ms since the epoch).
    pub last_success_ms: Option<u64>,
    /// When the last attempt ended in an error, and what it was.
    pub last_error: Option<(u64, String)>,
    /// Events delivered to the peer, in all.
    pub events_sent: u64,
    /// Events received from the peer, in all.
    pub events_received: u64,
    /// Refusals seen on the last connection.
    pub refusals: Vec<String>,
}

/// Link status per peer, shared between links and readers.
#[derive(Default)]
pub struct StatusBoard(Mutex<BTreeMap<NodeId, LinkStatus>>);

impl StatusBoard {
    /// A copy of every peer's status.
    pub fn snapshot(&self) -> BTreeMap<NodeId, LinkStatus> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<NodeId, LinkStatus>> {
        // Plain data: a panic elsewhere leaves it consistent.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn update(&self, peer: NodeId, change: impl FnOnce(&mut LinkStatus)) {
        change(self.lock().entry(peer).or_default());
    }

    /// Follows a link as it runs.
    pub(crate) fn observe(&self, peer: NodeId, event: &SyncEvent) {
        let now = now_ms();
        self.update(peer, |status| match event {
            SyncEvent::Connected { .. } => {
                status.connected = true;
                status.refusals.clear();
            }
            SyncEvent::Received {
                inserted, refused, ..
            } => {
                status.events_received += *inserted as u64;
                remember_refusals(status, refused, "from peer");
            }
            SyncEvent::Delivered {
                events, refused, ..
            } => {
                status.events_sent += *events as u64;
                remember_refusals(status, refused, "by peer");
            }
            SyncEvent::CaughtUp => status.last_success_ms = Some(now),
            SyncEvent::Closed { code, reason, .. } => {
                if *code != CloseCode::Done as u16 {
                    status.last_error = Some((now, reason.clone()));
                }
            }
        });
    }

    /// Records how a link ended.
    pub(crate) fn record(&self, peer: NodeId, outcome: &Result<LinkReport, TransportError>) {
        let now = now_ms();
        self.update(peer, |status| {
            status.connected = false;
            if let Err(error) = outcome {
                status.last_error = Some((now, error.to_string()));
            }
        });
    }
}

fn remember_refusals(status: &mut LinkStatus, refused: &[ChainRefusal], direction: &str) {
    for refusal in refused {
        if status.refusals.len() >= REFUSALS_REMEMBERED_MAX {
            status.refusals.remove(0);
        }
        status.refusals.push(format!(
            "refused {direction}: {}: {}",
            refusal.chain, refusal.reason
        ));
    }
}
