//! What the commands that run a node's links share: where its parent is, and the signal that
//! stops it.

use super::output::{ExitCode, Failure, fail};
use crate::daemon::Parent;
use crate::enroll;
use crate::home::Home;
use crate::texts::Texts;

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

/// Ctrl-C and SIGTERM, listened for from the moment this is made — so one that comes while a
/// large node is still starting is not lost, and stops it cleanly once it is up.
pub(super) struct StopSignals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    /// Starts listening (inside a runtime).
    pub(super) fn listen() -> StopSignals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            StopSignals {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        StopSignals {}
    }

    /// Completes on the next Ctrl-C or SIGTERM.
    pub(super) async fn next(&mut self) {
        #[cfg(unix)]
        {
            async fn on(signal: &mut Option<tokio::signal::unix::Signal>) {
                match signal {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            if self.interrupt.is_some() || self.terminate.is_some() {
                tokio::select! {
                    () = on(&mut self.interrupt) => {}
                    () = on(&mut self.terminate) => {}
                }
                return;
            }
        }
        let _ = tokio::signal::ctrl_c().await;
    }

    /// After the first signal: a second one ends the process at once. Nothing acknowledged is
    /// lost by that — every commit was durable before it was acknowledged — but what was in
    /// flight is answered by nobody.
    pub(super) fn second_exits_at_once(mut self, texts: Texts) {
        tokio::spawn(async move {
            self.next().await;
            warn!("{}", texts.stopped_at_once());
            std::process::exit(130);
        });
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub(super) async fn shutdown_signal() {
    StopSignals::listen().next().await;
}
