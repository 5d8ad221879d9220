//! A node running: its children served over QUIC, its live link to the parent, its local API on
//! the socket and its office app — started together and stopped together. `nhip serve` runs one
//! node this way; the demo runs its whole tree this way, in one process.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::api::server::Executor;
use crate::daemon::{self, Parent};
use crate::enroll;
use crate::home::Home;
use crate::transport;

/// The daemon's view of a home: key, unit, log, directory and its commit feed, with every
/// receipt of the parent kept durably as it arrives.
pub fn node_for(home: &Home) -> daemon::Node {
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

/// Keeps how a link to the parent ended, for `nhip status` (its receipts were kept as they
/// arrived, by [`node_for`]'s keeper).
pub fn keep_outcome(
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

/// Where the office app listens.
#[derive(Clone, Copy, Debug)]
pub enum AppAt {
    /// No app.
    Off,
    /// At this address; if it cannot be bound (another node on this machine has it), the node
    /// runs without its app and says why ([`Running::app_unavailable`]).
    Default(SocketAddr),
    /// At this address, which the person asked for: not binding it stops the start.
    Required(SocketAddr),
}

/// How a node runs.
pub struct Options {
    /// The QUIC address its children reach it at.
    pub listen: SocketAddr,
    /// Its office app.
    pub app: AppAt,
    /// Its parent, if it has one: the live uplink.
    pub parent: Option<Parent>,
    /// What executes the command lines callers send to the socket (the command layer's).
    pub execute: Executor,
}

/// What kept a node from starting: which listener, and why.
#[derive(Debug)]
pub struct StartError {
    /// The address or file that could not be bound.
    pub what: String,
    /// Why.
    pub error: String,
}

/// A node that runs until [`Running::stop`].
pub struct Running {
    /// The node's home, shared with every part that runs.
    pub home: Arc<Home>,
    /// The daemon's view of it, as its links use it.
    pub node: daemon::Node,
    /// The QUIC address it serves its children at.
    pub addr: SocketAddr,
    /// Its office app's address, when it has one.
    pub app: Option<SocketAddr>,
    /// Why the app is not served at its default address, when it is not.
    pub app_unavailable: Option<String>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Starts every part of the node; returns once every listener is up.
    pub async fn start(home: Arc<Home>, options: Options) -> Result<Running, StartError> {
        let failed = |what: &dyn std::fmt::Display, error: &dyn std::fmt::Display| StartError {
            what: what.to_string(),
            error: error.to_string(),
        };
        let endpoint = transport::server_endpoint(options.listen, &home.key, home.admission())
            .map_err(|error| failed(&options.listen, &error))?;
        let addr = endpoint
            .local_addr()
            .map_err(|error| failed(&options.listen, &error))?;
        let node = node_for(&home);
        let (stop, stopped) = watch::channel(false);
        let when_stopped = move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }
        };
        let mut tasks = Vec::new();
        tasks.push(
            crate::api::server::serve_socket(
                home.clone(),
                node.clone(),
                options.execute,
                when_stopped(),
            )
            .await
            .map_err(|error| failed(&crate::api::SOCKET_FILE, &error))?,
        );
        let (mut app, mut app_unavailable) = (None, None);
        if let AppAt::Default(at) | AppAt::Required(at) = options.app {
            match crate::app::serve(
                at,
                home.clone(),
                node.status.clone(),
                node.changes.subscribe(),
                when_stopped(),
            )
            .await
            {
                Ok(local) => app = Some(local),
                Err(error) if matches!(options.app, AppAt::Required(_)) => {
                    let _ = stop.send(true);
                    return Err(failed(&at, &error));
                }
                Err(error) => app_unavailable = Some(error),
            }
        }
        if let Some(parent) = options.parent {
            let node = node.clone();
            let home = home.clone();
            let stopped = when_stopped();
            tasks.push(tokio::spawn(async move {
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
            }));
        }
        tasks.push(tokio::spawn(daemon::serve(
            endpoint,
            node.clone(),
            Some(home.clone()),
            when_stopped(),
        )));
        Ok(Running {
            home,
            node,
            addr,
            app,
            app_unavailable,
            stop,
            tasks,
        })
    }

    /// Stops every part: links closed with a close code, API calls in flight answered, the
    /// socket removed. Returns once all have ended.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
