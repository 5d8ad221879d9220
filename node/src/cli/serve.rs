//! `nhip serve`: the running node — its children, its live link to the parent, its pages.

use std::net::SocketAddr;
use std::sync::Arc;

use super::node::{StopSignals, parent_of};
use super::output::{ExitCode, Outcome, fail};
use crate::home::Home;
use crate::running::{AppAt, Options, Running};
use crate::texts::Texts;

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
    // Every node serves its office app. A default address that cannot be bound (another node
    // on this machine has it) is a warning, not a stop.
    let app = match dashboard.as_deref() {
        Some("off") => AppAt::Off,
        Some(asked) => AppAt::Required(asked.parse().map_err(|_| {
            fail(
                ExitCode::Refused,
                format!("--app {asked:?}: host:port or off"),
            )
        })?),
        // Invariant: the default is a valid address.
        None => AppAt::Default(DEFAULT_DASHBOARD.parse().expect("a valid default")),
    };
    let options = Options {
        listen: addr,
        app,
        parent: parent_of(&home, texts).ok(),
        execute: super::run_for_caller,
    };
    super::block_on(async {
        let mut signals = StopSignals::listen();
        let running = Running::start(home, options).await.map_err(|error| {
            fail(
                ExitCode::Refused,
                texts.cannot_listen(&error.what, &error.error),
            )
        })?;
        if let Some(error) = &running.app_unavailable {
            warn!("{}", texts.dashboard_unavailable(error));
        }
        say!("{}", texts.serving(&running.addr.to_string()));
        if let Some(local) = running.app {
            say!("{}", texts.dashboard_at(&format!("http://{local}/")));
        }
        signals.next().await;
        signals.second_exits_at_once(texts);
        running.stop().await;
        say!("{}", texts.stopped());
        Ok(())
    })?
}
