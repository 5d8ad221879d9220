//! `nhip serve`: the running node — its children, its live link to the parent, its pages.

use std::net::SocketAddr;
use std::sync::Arc;

use super::node::{keep_outcome, node_for, parent_of, shutdown_signal};
use super::output::{ExitCode, Outcome, fail};
use crate::daemon;
use crate::enroll;
use crate::home::Home;
use crate::texts::Texts;
use crate::transport;

/// Where a node's office app listens unless told otherwise.
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
        let socket = crate::api::server::serve_socket(
            home.clone(),
            node.clone(),
            super::run_for_caller,
            when_stopped(),
        )
        .await
        .map_err(|error| fail(ExitCode::Refused, texts.cannot_listen("nhip.sock", &error)))?;
        // Every node serves its office app. A default address that cannot be bound (another
        // node on this machine has it) is a warning, not a stop.
        let parent = parent_of(&home, texts).ok();
        let explicit = dashboard.is_some();
        let dashboard = dashboard.unwrap_or_else(|| DEFAULT_DASHBOARD.to_owned());
        let mut board = None;
        if dashboard != "off" {
            let board_addr: SocketAddr = dashboard.parse().map_err(|_| {
                fail(
                    ExitCode::Refused,
                    format!("--app {dashboard:?}: host:port or off"),
                )
            })?;
            match crate::app::serve(
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
                            keep_outcome(&home, outcome, next)
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
