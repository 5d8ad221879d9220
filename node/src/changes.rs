//! The change stream: Server-Sent Events that tell a page or a script "the log committed", so
//! it reads again what it shows. Served on the socket (`/v1/changes`) and on the dashboard port
//! (`/api/changes`).

use axum::response::sse::{Event, KeepAlive, Sse};
use tokio::sync::watch;

/// Server-Sent Events, one `changed` event (data: the commit generation) whenever the log
/// commits — a local write or events from a link — and a keep-alive comment every 15 s.
pub fn stream(
    changes: watch::Receiver<u64>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
    let stream = futures_util::stream::unfold(changes, |mut changes| async move {
        changes.changed().await.ok()?;
        let generation = *changes.borrow_and_update();
        let event = Event::default()
            .event("changed")
            .data(format!("{{\"generation\":{generation}}}"));
        Some((Ok(event), changes))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
