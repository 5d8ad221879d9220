//! Serving HTTP/1.1 — the socket API and the office app — with the limits a node needs against
//! clients that are slow or silent on purpose: a request's headers must arrive within
//! [`HTTP_HEADERS_WITHIN_MS`], so a slowloris client or a connection that says nothing is cut
//! off instead of being held forever; a stop answers what is in flight, within
//! [`HTTP_STOP_GRACE_MS`] (a change stream never ends by itself), then closes the rest.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::serve::Listener;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;

use crate::limits::{HTTP_HEADERS_WITHIN_MS, HTTP_STOP_GRACE_MS};

/// Serves `router` on the connections `listener` accepts until `shutdown` completes; then
/// answers the requests in flight (within the grace period) and returns.
pub async fn serve<L>(mut listener: L, router: Router, shutdown: impl Future<Output = ()>)
where
    L: Listener,
{
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(HTTP_HEADERS_WITHIN_MS));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (io, _) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(io), service));
        tokio::spawn(async move {
            // A client that hung up or was cut off by a timeout: nothing to do.
            let _ = connection.await;
        });
    }
    drop(listener);
    let grace = Duration::from_millis(HTTP_STOP_GRACE_MS);
    let _ = tokio::time::timeout(grace, graceful.shutdown()).await;
}
