//! QUIC transport: endpoints with pinned identities, and the loop that moves one sync
//! connection's bytes between a quinn stream and a [`Sync`] machine.
//!
//! The machine decides everything; this file only reads, writes, waits and keeps time. Reading
//! and writing run concurrently (a writer task drains a queue the loop fills), so two peers that
//! both have much to send can never block each other on flow control.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ed25519_dalek::SigningKey;
use nhip_engine::{EventLog, NodeId};
use nhip_protocol::{CloseCode, Receipt, Stats, Sync, SyncEvent};
use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use quinn::{Connection, Endpoint, VarInt};
use rustls::pki_types::CertificateDer;
use tokio::sync::{mpsc, watch};

use nhip_protocol::limits::HELLO_WITHIN_MS;

use crate::limits::{
    IDLE_TIMEOUT_MS, KEEP_ALIVE_MS, LINGER_MS, READ_CHUNK_BYTES, STREAM_WINDOW_BYTES,
    STREAMS_PER_CONNECTION_MAX,
};
use crate::tls::{self, Admission, TlsError};

/// Why a transport operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// TLS could not be configured.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The UDP socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The failure.
        source: std::io::Error,
    },
    /// The connection could not be started.
    #[error("cannot connect to {addr}: {reason}")]
    Connect {
        /// The address.
        addr: SocketAddr,
        /// Why.
        reason: String,
    },
    /// The peer refused our identity during the handshake (unknown or revoked key, or not the
    /// node we pinned).
    #[error("the peer refused this node: {0}")]
    Refused(String),
    /// The connection broke.
    #[error("the link broke: {0}")]
    Link(String),
}

/// Tells a handshake refusal (a TLS alert, QUIC crypto error 0x100–0x1ff) from other breaks.
pub fn classify(error: &quinn::ConnectionError) -> TransportError {
    match error {
        quinn::ConnectionError::ConnectionClosed(close)
            if (0x100..=0x1ff).contains(&u64::from(close.error_code)) =>
        {
            TransportError::Refused(String::from_utf8_lossy(&close.reason).into_owned())
        }
        other => TransportError::Link(other.to_string()),
    }
}

/// Milliseconds since the Unix epoch, from the system clock: the one clock of the node.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn transport_config() -> quinn::TransportConfig {
    let mut config = quinn::TransportConfig::default();
    config
        .max_concurrent_bidi_streams(VarInt::from_u32(STREAMS_PER_CONNECTION_MAX))
        .max_concurrent_uni_streams(VarInt::from_u32(0))
        .stream_receive_window(VarInt::from_u32(STREAM_WINDOW_BYTES))
        .receive_window(VarInt::from_u32(STREAM_WINDOW_BYTES))
        .send_window(u64::from(STREAM_WINDOW_BYTES))
        .keep_alive_interval(Some(Duration::from_millis(KEEP_ALIVE_MS)))
        .max_idle_timeout(Some(
            quinn::IdleTimeout::try_from(Duration::from_millis(IDLE_TIMEOUT_MS))
                // Invariant: IDLE_TIMEOUT_MS is far below QUIC's 2^62 µs ceiling.
                .expect("idle timeout in range"),
        ));
    config
}

/// An endpoint that accepts children whose keys `admission` admits.
pub fn server_endpoint(
    addr: SocketAddr,
    key: &SigningKey,
    admission: Arc<dyn Admission>,
) -> Result<Endpoint, TransportError> {
    let crypto = tls::server_config(key, admission)?;
    let crypto =
        QuicServerConfig::try_from(crypto).map_err(|error| TlsError::Config(error.to_string()))?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    config.transport_config(Arc::new(transport_config()));
    // A client must prove it owns its address before the handshake costs us anything.
    config.migration(false);
    Endpoint::server(config, addr).map_err(|source| TransportError::Bind { addr, source })
}

/// An endpoint that connects to the pinned `parent`.
pub fn client_endpoint(
    bind: SocketAddr,
    key: &SigningKey,
    parent: NodeId,
) -> Result<Endpoint, TransportError> {
    let crypto = tls::client_config(key, parent)?;
    let crypto =
        QuicClientConfig::try_from(crypto).map_err(|error| TlsError::Config(error.to_string()))?;
    let mut config = quinn::ClientConfig::new(Arc::new(crypto));
    config.transport_config(Arc::new(transport_config()));
    let mut endpoint =
        Endpoint::client(bind).map_err(|source| TransportError::Bind { addr: bind, source })?;
    endpoint.set_default_client_config(config);
    Ok(endpoint)
}

/// Connects to `addr`; the handshake fails unless the server holds the pinned key and admits
/// ours.
pub async fn connect(endpoint: &Endpoint, addr: SocketAddr) -> Result<Connection, TransportError> {
    let connecting =
        endpoint
            .connect(addr, tls::SERVER_NAME)
            .map_err(|error| TransportError::Connect {
                addr,
                reason: error.to_string(),
            })?;
    connecting.await.map_err(|error| TransportError::Connect {
        addr,
        reason: error.to_string(),
    })
}

/// The node key the peer authenticated with.
pub fn peer_node(connection: &Connection) -> Option<NodeId> {
    let identity = connection.peer_identity()?;
    let certificates = identity.downcast::<Vec<CertificateDer<'static>>>().ok()?;
    tls::node_of_certificate(certificates.first()?)
}

/// Whether a link ends once caught up, or stays open and live.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// Sync once: close as soon as both sides have delivered their backlog.
    Once,
    /// Keep the link open and push new events as they are written.
    Live,
}

/// What one link did.
#[derive(Clone, Debug, Default)]
pub struct LinkReport {
    /// Whether both sides delivered their backlog.
    pub caught_up: bool,
    /// The machine's counters.
    pub stats: Stats,
    /// Events stored from the peer.
    pub received: u64,
    /// Events the peer acknowledged.
    pub delivered: u64,
    /// Chains refused, either way, with reasons.
    pub refusals: Vec<String>,
    /// The peer's signed receipts for our batches.
    pub receipts: Vec<Receipt>,
    /// How the connection ended: code and reason, and whether the peer ended it.
    pub closed: Option<(u16, String, bool)>,
}

/// Runs one sync connection to its end. `changes` is bumped whenever this link stores events
/// and wakes this link (in live mode) whenever anything else stores events. `observer` sees
/// every [`SyncEvent`] as it happens (a live link may run for days).
pub async fn run_link(
    connection: Connection,
    initiator: bool,
    mut machine: Sync,
    log: Arc<dyn EventLog>,
    mode: Mode,
    changes: Arc<watch::Sender<u64>>,
    observer: &mut (dyn FnMut(&SyncEvent) + Send),
) -> Result<LinkReport, TransportError> {
    let link = |error: &dyn std::fmt::Display| TransportError::Link(error.to_string());
    // A peer that says nothing holds no slot: no hello by then, and the connection ends.
    let hello_by = tokio::time::Instant::now() + Duration::from_millis(HELLO_WITHIN_MS);
    let silence = format!("no hello within {} s", HELLO_WITHIN_MS / 1000);
    let silent = || {
        connection.close(
            VarInt::from_u32(CloseCode::Timeout as u32),
            silence.as_bytes(),
        );
        TransportError::Link(silence.clone())
    };
    let streams = async {
        if initiator {
            connection.open_bi().await
        } else {
            connection.accept_bi().await
        }
    };
    let (mut send, mut recv) = tokio::time::timeout_at(hello_by, streams)
        .await
        .map_err(|_| silent())?
        .map_err(|e| classify(&e))?;
    let (frames, mut outgoing) = mpsc::unbounded_channel::<Vec<u8>>();
    let writer = tokio::spawn(async move {
        while let Some(frame) = outgoing.recv().await {
            send.write_all(&frame).await?;
        }
        send.finish()?;
        Ok::<_, Box<dyn std::error::Error + Send + std::marker::Sync>>(())
    });
    let mut changed = changes.subscribe();
    changed.mark_unchanged();
    let mut report = LinkReport::default();
    let mut buffer = vec![0u8; READ_CHUNK_BYTES];
    let mut peer_finished = false;
    // The machine keeps the hello deadline; the clock starts now.
    let started = tokio::time::Instant::now();
    let started_ms = now_ms();
    machine.handle_timeout(started_ms);
    loop {
        // The machine may commit to redb in here: keep the runtime's other tasks running.
        tokio::task::block_in_place(|| {
            while let Some(frame) = machine.poll_transmit(log.as_ref()) {
                if frames.send(frame).is_err() {
                    break;
                }
            }
        });
        while let Some(event) = machine.poll_event() {
            observer(&event);
            observe(&mut report, event, &changes);
        }
        if machine.is_closed() {
            break;
        }
        if mode == Mode::Once && machine.is_caught_up() {
            machine.close(CloseCode::Done, "sync complete");
            continue;
        }
        tokio::select! {
            read = recv.read(&mut buffer) => match read {
                Ok(Some(len)) => {
                    let now = now_ms();
                    tokio::task::block_in_place(|| {
                        machine.handle_input(now, &buffer[..len], log.as_ref());
                    });
                }
                Ok(None) => {
                    peer_finished = true;
                    machine.close(CloseCode::Done, "the peer ended the stream");
                }
                Err(quinn::ReadError::ConnectionLost(error)) => {
                    writer.abort();
                    return Err(classify(&error));
                }
                Err(error) => {
                    writer.abort();
                    return Err(link(&error));
                }
            },
            () = tokio::time::sleep_until(
                started + Duration::from_millis(
                    machine.poll_timeout().unwrap_or(started_ms).saturating_sub(started_ms),
                ),
            ), if machine.poll_timeout().is_some() => {
                machine.handle_timeout(now_ms());
            }
            result = changed.changed(), if mode == Mode::Live => {
                if result.is_ok() {
                    tokio::task::block_in_place(|| machine.handle_log_changed(log.as_ref()));
                }
            }
        }
    }
    report.stats = machine.stats();
    drop(frames);
    let written = writer.await;
    // Let the peer read our last frames and finish its side before the connection goes.
    if !peer_finished {
        let linger = tokio::time::timeout(Duration::from_millis(LINGER_MS), async {
            while let Ok(Some(_)) = recv.read(&mut buffer).await {}
        });
        let _ = linger.await;
    }
    connection.close(VarInt::from_u32(0), b"done");
    match written {
        Ok(Ok(())) => Ok(report),
        Ok(Err(error)) => Err(link(&error)),
        Err(error) => Err(link(&error)),
    }
}

fn observe(report: &mut LinkReport, event: SyncEvent, changes: &watch::Sender<u64>) {
    match event {
        SyncEvent::Connected { .. } => {}
        SyncEvent::Received {
            inserted, refused, ..
        } => {
            report.received += inserted as u64;
            if inserted > 0 {
                changes.send_modify(|generation| *generation += 1);
            }
            report.refusals.extend(refused.into_iter().map(|refusal| {
                format!("refused from peer: {}: {}", refusal.chain, refusal.reason)
            }));
        }
        SyncEvent::Delivered {
            events,
            receipt,
            refused,
            ..
        } => {
            report.delivered += events as u64;
            report.receipts.push(receipt);
            report.refusals.extend(
                refused.into_iter().map(|refusal| {
                    format!("refused by peer: {}: {}", refusal.chain, refusal.reason)
                }),
            );
        }
        SyncEvent::CaughtUp => report.caught_up = true,
        SyncEvent::Closed {
            code,
            reason,
            by_peer,
        } => report.closed = Some((code, reason, by_peer)),
    }
}
