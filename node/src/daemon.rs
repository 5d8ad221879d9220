//! The long-running parts of a node: accepting children, syncing with the parent once or
//! continuously (reconnecting with backoff and jitter), and the per-peer status that
//! `nhip status` and the dashboard show.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use nhip_engine::{EventLog, NodeId, UnitId};
use nhip_protocol::{Config, Directory, Receipt, Side, Sync, SyncEvent, TreeScope};
use quinn::Endpoint;
use tokio::sync::{Semaphore, watch};

use crate::enroll;
use crate::home::Home;
use crate::limits::{BACKOFF_FIRST_MS, BACKOFF_MAX_MS, CONNECTIONS_MAX, CONNECTIONS_PER_PEER_MAX};
pub use crate::links::{LinkStatus, StatusBoard};
use crate::transport::{self, LinkReport, Mode, TransportError, now_ms};

/// Keeps one receipt of the parent durably (see [`Node::keep_receipt`]).
pub type ReceiptKeeper = Arc<dyn Fn(&Receipt) + Send + std::marker::Sync>;

/// Everything a node's links share.
#[derive(Clone)]
pub struct Node {
    /// The node key.
    pub key: SigningKey,
    /// The node's unit.
    pub unit: UnitId,
    /// The node's log.
    pub log: Arc<dyn EventLog>,
    /// Which unit each known node belongs to (for scope).
    pub directory: Arc<dyn Directory>,
    /// Bumped whenever events are stored; wakes every live link.
    pub changes: Arc<watch::Sender<u64>>,
    /// Per-peer link status.
    pub status: Arc<StatusBoard>,
    /// Keeps each receipt the parent signs, durably, the moment it arrives (a live link may
    /// run for days; a link may break at any time).
    pub keep_receipt: Option<ReceiptKeeper>,
    /// Wakes the live link to the parent out of its backoff, to try again at once.
    pub wake_uplink: Arc<tokio::sync::Notify>,
}

impl Node {
    /// A node with an empty status board and change counter.
    pub fn new(
        key: SigningKey,
        unit: UnitId,
        log: Arc<dyn EventLog>,
        directory: Arc<dyn Directory>,
    ) -> Node {
        Node {
            key,
            unit,
            log,
            directory,
            changes: Arc::new(watch::channel(0).0),
            status: Arc::new(StatusBoard::default()),
            keep_receipt: None,
            wake_uplink: Arc::default(),
        }
    }

    /// Tells every live link that the log changed (after a local append).
    pub fn notify_changed(&self) {
        self.changes.send_modify(|generation| *generation += 1);
    }
}

/// Where the parent is and who it must be.
#[derive(Clone, Copy, Debug)]
pub struct Parent {
    /// Its address.
    pub addr: SocketAddr,
    /// Its pinned key.
    pub node: NodeId,
}

/// Accepts children until `shutdown` completes; each admitted child gets a live link. With a
/// `home`, a key that is not yet an enrolled child (admitted because an invitation is open) may
/// only redeem an invitation.
pub async fn serve(
    endpoint: Endpoint,
    node: Node,
    home: Option<Arc<Home>>,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(CONNECTIONS_MAX));
    let per_peer = PerPeer::default();
    tokio::pin!(shutdown);
    loop {
        let incoming = tokio::select! {
            incoming = endpoint.accept() => incoming,
            () = &mut shutdown => break,
        };
        let Some(incoming) = incoming else {
            break;
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            incoming.refuse();
            continue;
        };
        let node = node.clone();
        let home = home.clone();
        let per_peer = per_peer.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let Ok(connection) = incoming.await else {
                return;
            };
            let Some(peer) = transport::peer_node(&connection) else {
                return;
            };
            let Some(_held) = per_peer.take(peer) else {
                connection.close(
                    quinn::VarInt::from_u32(nhip_protocol::CloseCode::TooLarge as u32),
                    b"too many connections from this node",
                );
                return;
            };
            if let Some(home) = home {
                if !home.admission().is_child(&peer) {
                    enroll::serve_enrollment(&home, connection, peer).await;
                    return;
                }
            }
            let Some(child_unit) = node.directory.unit_of(&peer) else {
                connection.close(quinn::VarInt::from_u32(3), b"unknown unit for this node");
                return;
            };
            let machine = Sync::new(
                Config {
                    signer: node.key.clone(),
                    unit: node.unit.clone(),
                    expected_peer: Some(peer),
                },
                Box::new(TreeScope::new(
                    Side::Parent,
                    child_unit,
                    node.directory.clone(),
                )),
            );
            let status = node.status.clone();
            let outcome = transport::run_link(
                connection,
                false,
                machine,
                node.log.clone(),
                Mode::Live,
                node.changes.clone(),
                &mut |event| status.observe(peer, event),
            )
            .await;
            node.status.record(peer, &outcome);
        });
    }
    endpoint.close(quinn::VarInt::from_u32(0), b"shutting down");
}

/// How many connections each peer holds, so that none holds more than
/// [`CONNECTIONS_PER_PEER_MAX`].
#[derive(Clone, Default)]
struct PerPeer(Arc<std::sync::Mutex<std::collections::HashMap<NodeId, usize>>>);

/// One connection of a peer, counted until it is dropped.
struct Held {
    peers: PerPeer,
    peer: NodeId,
}

impl PerPeer {
    fn take(&self, peer: NodeId) -> Option<Held> {
        let mut held = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = held.entry(peer).or_default();
        if *count >= CONNECTIONS_PER_PEER_MAX {
            return None;
        }
        *count += 1;
        Some(Held {
            peers: self.clone(),
            peer,
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut held = self
            .peers
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = held.get_mut(&self.peer) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                held.remove(&self.peer);
            }
        }
    }
}

fn child_machine(node: &Node, parent: &Parent) -> Sync {
    Sync::new(
        Config {
            signer: node.key.clone(),
            unit: node.unit.clone(),
            expected_peer: Some(parent.node),
        },
        Box::new(TreeScope::new(
            Side::Child,
            node.unit.clone(),
            node.directory.clone(),
        )),
    )
}

/// Connects to the parent and runs one link in `mode`.
pub async fn sync_with_parent(
    endpoint: &Endpoint,
    node: &Node,
    parent: &Parent,
    mode: Mode,
) -> Result<LinkReport, TransportError> {
    let outcome = async {
        let connection = transport::connect(endpoint, parent.addr).await?;
        let status = node.status.clone();
        transport::run_link(
            connection,
            true,
            child_machine(node, parent),
            node.log.clone(),
            mode,
            node.changes.clone(),
            &mut |event| {
                status.observe(parent.node, event);
                if let (SyncEvent::Delivered { receipt, .. }, Some(keep)) =
                    (event, &node.keep_receipt)
                {
                    keep(receipt);
                }
            },
        )
        .await
    }
    .await;
    node.status.record(parent.node, &outcome);
    outcome
}

/// Exponential backoff with jitter: each delay is drawn between half and all of a ceiling that
/// doubles from [`BACKOFF_FIRST_MS`] up to [`BACKOFF_MAX_MS`].
#[derive(Debug)]
pub struct Backoff {
    ceiling_ms: u64,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            ceiling_ms: BACKOFF_FIRST_MS,
        }
    }
}

impl Backoff {
    /// The next delay; `random` is any 64-bit random number.
    pub fn next_delay_ms(&mut self, random: u64) -> u64 {
        let ceiling = self.ceiling_ms;
        self.ceiling_ms = (self.ceiling_ms * 2).min(BACKOFF_MAX_MS);
        let half = ceiling / 2;
        half + random % (ceiling - half + 1)
    }

    /// Back to the first delay, after a success.
    pub fn reset(&mut self) {
        self.ceiling_ms = BACKOFF_FIRST_MS;
    }
}

fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    // Jitter only spreads reconnections out; a failed read just means no jitter.
    let _ = getrandom::fill(&mut bytes);
    u64::from_le_bytes(bytes)
}

/// Keeps a live link to the parent until `shutdown` completes, reconnecting with backoff.
/// `on_link` sees the outcome of every connection, and when the next attempt will be made
/// (ms since the epoch).
pub async fn sync_watch(
    endpoint: &Endpoint,
    node: &Node,
    parent: &Parent,
    shutdown: impl Future<Output = ()>,
    mut on_link: impl FnMut(&Result<LinkReport, TransportError>, u64),
) {
    let mut backoff = Backoff::default();
    tokio::pin!(shutdown);
    loop {
        let outcome = tokio::select! {
            outcome = sync_with_parent(endpoint, node, parent, Mode::Live) => outcome,
            () = &mut shutdown => return,
        };
        if outcome.as_ref().is_ok_and(|report| report.caught_up) {
            backoff.reset();
        }
        let delay_ms = backoff.next_delay_ms(random_u64());
        on_link(&outcome, now_ms() + delay_ms);
        let delay = Duration::from_millis(delay_ms);
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = node.wake_uplink.notified() => backoff.reset(),
            () = &mut shutdown => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_a_ceiling_and_resets() {
        let mut backoff = Backoff::default();
        let mut ceiling = BACKOFF_FIRST_MS;
        for step in 0..12 {
            let low = backoff.next_delay_ms(0);
            assert_eq!(low, ceiling / 2, "step {step}");
            ceiling = (ceiling * 2).min(BACKOFF_MAX_MS);
        }
        let mut backoff = Backoff::default();
        assert!(backoff.next_delay_ms(u64::MAX - 1) <= BACKOFF_FIRST_MS);
        for _ in 0..20 {
            assert!(backoff.next_delay_ms(random_u64()) <= BACKOFF_MAX_MS);
        }
        backoff.reset();
        assert!(backoff.next_delay_ms(random_u64()) <= BACKOFF_FIRST_MS);
    }
}
