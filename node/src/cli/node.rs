//! What the commands that run a node's links share: this node as its links see it, where its
//! parent is, the signal that stops it, and what a link's end leaves behind.

use std::sync::Arc;

use super::output::{ExitCode, Failure, fail};
use crate::daemon::{self, Parent};
use crate::enroll;
use crate::home::Home;
use crate::texts::Texts;
use crate::transport;

/// The daemon's view of this node: key, unit, log, directory and its commit feed.
pub(super) fn node_for(home: &Home) -> daemon::Node {
    let dir = home.dir.clone();
    daemon::Node {
        changes: home.changes.clone(),
        status: home.links.clone(),
        wake_uplink: home.wake_uplink.clone(),
        keep_receipt: Some(Arc::new(move |receipt| {
            if let Err(error) = crate::home::append_receipts(&dir, std::slice::from_ref(receipt)) {
                tracing::error!(%error, "a receipt of the parent was not kept");
            }
        })),
        ..daemon::Node::new(
            home.key.clone(),
            home.config.unit.clone(),
            home.log.clone(),
            home.directory(),
        )
    }
}

/// Where the parent is, from the configuration.
pub(super) fn parent_of(home: &Home, texts: Texts) -> Result<Parent, Failure> {
    let parent = home
        .config
        .parent
        .as_ref()
        .ok_or_else(|| fail(ExitCode::Refused, texts.no_parent()))?;
    let node = nhip_engine::NodeId::from_hex(&parent.node)
        .ok_or_else(|| fail(ExitCode::NoNode, "config.toml: parent.node"))?;
    let addr = enroll::resolve(&parent.addr)
        .map_err(|error| fail(ExitCode::Network, error.to_string()))?;
    Ok(Parent { addr, node })
}

/// Completes on Ctrl-C or SIGTERM.
pub(super) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Keeps how a link to the parent ended, for `nhip status` (its receipts were kept as they
/// arrived, by [`node_for`]'s keeper).
pub(super) fn keep_outcome(
    home: &Home,
    outcome: &Result<transport::LinkReport, transport::TransportError>,
    next_attempt_ms: u64,
) {
    if let Err(error) = outcome {
        tracing::warn!(%error, next_attempt_ms, "the link to the parent failed");
    }
    if let Err(error) = home.record_sync(outcome, Some(next_attempt_ms)) {
        tracing::warn!(%error, "sync record not kept");
    }
}
