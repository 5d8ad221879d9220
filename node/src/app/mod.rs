//! The office app: every node's web pages — a person's work, the action program's tasks, each
//! workflow's buttons, sync you can see, and the hub's overview — served by `nhip serve` at a
//! loopback address, every asset embedded in the binary (nothing is fetched from the internet).
//!
//! The pages are one small script (`assets/app.js`) over a JSON API: `/app/…` for the office's
//! work (`routes/`) and `/api/…` for the hub's read-only overview
//! ([`crate::dashboard`]). No rule lives here: a write is a [`Command`] the engine decides as
//! the logged-in person, signed with their key; a button is drawn from
//! [`nhip_engine::state::steps`].
//!
//! Access ([`access`]): once this node knows an account, every `/app` and `/api` request needs
//! a session (an HttpOnly, SameSite=Strict cookie opened by the login page) or, for readers
//! such as scripts, a token from the data folder's `tokens.toml`; every write needs a session
//! and its CSRF token. Bound beyond loopback, the same holds from the first request, and tokens
//! must exist. Every answer carries a Content-Security-Policy that allows no inline script.
//!
//! [`Command`]: nhip_engine::command::Command

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::sync::watch;

use crate::home::Home;
use crate::links::StatusBoard;

pub mod access;
mod assets;
mod export;
mod routes;
pub(crate) mod views;

pub use access::{Token, Tokens};

/// Serves the app and the hub's overview on `addr` until `shutdown`. Returns the address bound.
pub async fn serve(
    addr: SocketAddr,
    home: Arc<Home>,
    status: Arc<StatusBoard>,
    changes: watch::Receiver<u64>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<SocketAddr, String> {
    let gate = Arc::new(access::Gate::new(&home, addr)?);
    let app = Router::new()
        .merge(assets::routes())
        .merge(routes::routes(home.clone(), gate.clone()))
        .merge(crate::dashboard::api(home.clone(), status, changes.clone()))
        .layer(axum::middleware::from_fn_with_state(gate, access::admit));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| format!("cannot listen on {addr}: {error}"))?;
    let local = listener.local_addr().map_err(|error| error.to_string())?;
    tokio::spawn(crate::http::serve(listener, app, shutdown));
    Ok(local)
}
