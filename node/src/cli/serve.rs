//! `nhip serve`: the running node — its children, its live link to the parent, its pages.

use std::net::SocketAddr;
use std::sync::Arc;

use super::output::{ExitCode, Failure, Outcome, fail};
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

/// Where the hub's dashboard listens unless told otherwise.
const DEFAULT_DASHBOARD: &str = "127.0.0.1:7412";

/// `nhip serve`: the node runs — its children served, its uplink live, its local API (socket)
/// and pages up — until Ctrl-C or SIGTERM. Readiness is printed once every listener is up.
pub(super) fn exec(
    home: Arc<Home>,
    texts: Texts,
    listen: Option<String>,
    dashboard: Option<String>,
) -> Outcome {
    let listen = listen.unwrap_or_else(|| home.config.listen.clone());
    let addr: SocketAddr = listen
        .parse()
        .map_err(|_| fail(ExitCode::Refused, format!("{listen:?}: host:port")))?;
    super::block_on(async {
        let endpoint =
            transport::server_endpoint(addr, &home.key, home.admission()).map_err(|error| {
                fail(
                    ExitCode::Refused,
                    texts.cannot_listen(&listen, &error.to_string()),
                )
            })?;
        let node = node_for(&home);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let when_stopped = move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }
        };
        let socket = crate::api::server::serve_socket(home.clone(), node.clone(), when_stopped())
            .await
            .map_err(|error| fail(ExitCode::Refused, texts.cannot_listen("nhip.sock", &error)))?;
        // The hub shows its dashboard by default; other nodes when asked. A default that
        // cannot bind (another node on this machine has it) is a warning, not a stop.
        let parent = parent_of(&home, texts).ok();
        let explicit = dashboard.is_some();
        let dashboard = dashboard.unwrap_or_else(|| match parent {
            None => DEFAULT_DASHBOARD.to_owned(),
            Some(_) => "off".to_owned(),
        });
        let mut board = None;
        if dashboard != "off" {
            let board_addr: SocketAddr = dashboard.parse().map_err(|_| {
                fail(
                    ExitCode::Refused,
                    format!("--dashboard {dashboard:?}: host:port or off"),
                )
            })?;
            match crate::dashboard::serve(
                board_addr,
                home.clone(),
                node.status.clone(),
                node.changes.subscribe(),
                when_stopped(),
            )
            .await
            {
                Ok(local) => board = Some(local),
                Err(error) if explicit => {
                    return Err(fail(
                        ExitCode::Refused,
                        texts.cannot_listen(&dashboard, &error),
                    ));
                }
                Err(error) => warn!("{}", texts.dashboard_unavailable(&error)),
            }
        }
        // A node with a parent keeps its own uplink live, and keeps every receipt it brings.
        let uplink = parent.map(|parent| {
            let node = node.clone();
            let home = home.clone();
            let stopped = when_stopped();
            tokio::spawn(async move {
                match transport::client_endpoint(
                    enroll::unspecified_for(&parent.addr),
                    &home.key,
                    parent.node,
                ) {
                    Ok(endpoint) => {
                        daemon::sync_watch(&endpoint, &node, &parent, stopped, |outcome, next| {
                            super::sync::keep_outcome(&home, outcome, next)
                        })
                        .await;
                        endpoint.close(quinn::VarInt::from_u32(0), b"shutting down");
                    }
                    Err(error) => tracing::error!(%error, "no uplink"),
                }
            })
        });
        say!(
            "{}",
            texts.serving(
                &endpoint
                    .local_addr()
                    .map(|a| a.to_string())
                    .unwrap_or(listen)
            )
        );
        if let Some(local) = board {
            say!("{}", texts.dashboard_at(&format!("http://{local}/")));
        }
        daemon::serve(endpoint, node, Some(home.clone()), shutdown_signal()).await;
        let _ = stop.send(true);
        if let Some(uplink) = uplink {
            let _ = uplink.await;
        }
        let _ = socket.await;
        say!("{}", texts.stopped());
        Ok(())
    })?
}
