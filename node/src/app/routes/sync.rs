//! How the link upward stands, and "sync now".

#[allow(clippy::wildcard_imports)]
use super::*;

/// How the link with the parent stands.
#[derive(Serialize)]
pub(super) struct SyncView {
    /// The node has a parent to sync with.
    parent: bool,
    /// A live link to it is up now.
    connected: bool,
    /// When a sync last caught up (ms since the epoch).
    last_success_ms: Option<u64>,
    /// Why the last attempt failed, if it did.
    last_error: Option<String>,
    /// Events written here that the parent has not yet acknowledged.
    pending_up: u64,
}

/// `GET /app/sync`.
pub(super) async fn sync(Shared(app): Shared<App>) -> Answer<SyncView> {
    let home = app.home.clone();
    blocking(move || {
        let record = home.sync_record().unwrap_or_default();
        let parent = home
            .config
            .parent
            .as_ref()
            .and_then(|parent| nhip_engine::NodeId::from_hex(&parent.node));
        let link = parent.and_then(|parent| home.links.snapshot().remove(&parent));
        let last_success_ms = link
            .as_ref()
            .and_then(|link| link.last_success_ms)
            .max(record.last_success_ms);
        Ok(SyncView {
            parent: parent.is_some(),
            connected: link.as_ref().is_some_and(|link| link.connected),
            last_success_ms,
            last_error: link
                .and_then(|link| link.last_error.map(|(_, error)| error))
                .or(record.last_error),
            pending_up: home.pending_up().unwrap_or_default(),
        })
    })
    .await
    .map(Json)
}

/// `POST /app/sync`: the uplink tries now instead of waiting out its backoff.
pub(super) async fn sync_now(Shared(app): Shared<App>) -> Response {
    app.home.wake_uplink.notify_one();
    Json(serde_json::json!({})).into_response()
}
