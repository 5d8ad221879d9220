//! The sync suite: a village with a backlog catches up into its parent over loopback QUIC.
//! Figures: events per second durable at the parent beside raw redb batched insert of the same
//! event bytes; bytes on the wire per event beside the raw encoded size; and the time to resume
//! after the link is cut half way.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use nhip_engine::{Batch, ChainId, EventLog, NodeId, RedbLog, Seq, UnitId, node_id};
use nhip_node::daemon;
use nhip_node::tls::Admission;
use nhip_node::transport::{self, Mode};
use nhip_protocol::{Config, Directory, Side, Sync, TreeScope};
use tokio::sync::watch;

use crate::raw::{T0, best, draft, raw_batched_insert};
use crate::{Figure, print_figures};

/// Options of the sync suite.
#[derive(clap::Args)]
pub struct Options {
    #[command(flatten)]
    run: crate::Run,
    /// Events in the village's backlog (default 1,000,000; 20,000 with --quick).
    #[arg(long)]
    events: Option<usize>,
}

pub const VILLAGE_UNIT: &str = "xa-binh-lu/ban-na-ri";
pub const COMMUNE_UNIT: &str = "xa-binh-lu";

pub struct Units(pub BTreeMap<NodeId, UnitId>);
impl Directory for Units {
    fn unit_of(&self, node: &NodeId) -> Option<UnitId> {
        self.0.get(node).cloned()
    }
}

pub struct Only(pub NodeId);
impl Admission for Only {
    fn admits(&self, node: &NodeId) -> bool {
        *node == self.0
    }
}

/// A village log holding `events` events, appended 1,024 at a time (as an import would).
fn village_log(
    path: &Path,
    key: &SigningKey,
    events: usize,
) -> Result<RedbLog, Box<dyn std::error::Error>> {
    village_log_with(path, key, events, &draft)
}

/// [`village_log`] with events drafted by `make`.
pub fn village_log_with(
    path: &Path,
    key: &SigningKey,
    events: usize,
    make: &dyn Fn(u64) -> nhip_engine::Draft,
) -> Result<RedbLog, Box<dyn std::error::Error>> {
    let log = RedbLog::create(path, node_id(key))?;
    let mut n = 0u64;
    while (n as usize) < events {
        let count = 1024.min(events - n as usize);
        let drafts = (0..count)
            .map(|_| {
                n += 1;
                make(n)
            })
            .collect();
        log.append(key, T0 + n, drafts)?;
    }
    Ok(log)
}

/// The village's chain as the batches a sync sends, for the raw ceiling.
pub fn batches_of(
    log: &RedbLog,
    chain: &ChainId,
) -> Result<Vec<Batch>, Box<dyn std::error::Error>> {
    let mut batches = Vec::new();
    let mut from = Seq(1);
    while let Some(batch) = log.batch_from(
        chain,
        from,
        nhip_protocol::limits::BATCH_EVENTS_TARGET,
        nhip_protocol::limits::BATCH_BYTES_MAX,
    )? {
        from = Seq(from.0 + batch.events.len() as u64);
        batches.push(batch);
    }
    Ok(batches)
}

struct Run {
    /// Events per second durable at the parent.
    rate: f64,
    /// UDP payload bytes both ways.
    wire_bytes: u64,
    /// From the cut to the first batch durable at the parent on the new connection.
    resume: Option<Duration>,
}

fn held(log: &RedbLog) -> u64 {
    log.heads()
        .map(|heads| heads.values().map(|head| head.seq.0).sum())
        .unwrap_or(0)
}

/// One catch-up of the village into a fresh commune; with `cut`, the link is cut half way and a
/// new connection resumes.
async fn catch_up(
    dir: &Path,
    round: usize,
    village_key: &SigningKey,
    village: Arc<RedbLog>,
    events: u64,
    cut: bool,
) -> Result<Run, Box<dyn std::error::Error>> {
    let commune_key = SigningKey::from_bytes(&[0xc0; 32]);
    let commune = Arc::new(RedbLog::create(
        &dir.join(format!("commune-{round}-{cut}.redb")),
        node_id(&commune_key),
    )?);
    let units: Arc<Units> = Arc::new(Units(BTreeMap::from([
        (node_id(&commune_key), UnitId::new(COMMUNE_UNIT)?),
        (node_id(village_key), UnitId::new(VILLAGE_UNIT)?),
    ])));
    let server = transport::server_endpoint(
        "127.0.0.1:0".parse()?,
        &commune_key,
        Arc::new(Only(node_id(village_key))),
    )?;
    let addr = server.local_addr()?;
    let parent_node = daemon::Node::new(
        commune_key.clone(),
        UnitId::new(COMMUNE_UNIT)?,
        commune.clone(),
        units.clone(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(daemon::serve(server, parent_node, None, async move {
        let _ = stopped.await;
    }));

    let client =
        transport::client_endpoint("127.0.0.1:0".parse()?, village_key, node_id(&commune_key))?;
    let machine = || {
        Sync::new(
            Config {
                signer: village_key.clone(),
                unit: UnitId::new(VILLAGE_UNIT).expect("valid"),
                expected_peer: Some(node_id(&commune_key)),
            },
            Box::new(TreeScope::new(
                Side::Child,
                UnitId::new(VILLAGE_UNIT).expect("valid"),
                units.clone(),
            )),
        )
    };
    let log: Arc<dyn EventLog> = village.clone();
    let started = Instant::now();
    let mut wire_bytes = 0;
    let mut resume = None;
    if cut {
        let connection = transport::connect(&client, addr).await?;
        let handle = connection.clone();
        let first = tokio::spawn({
            let log = log.clone();
            let machine = machine();
            async move {
                transport::run_link(
                    connection,
                    true,
                    machine,
                    log,
                    Mode::Once,
                    Arc::new(watch::channel(0).0),
                    &mut |_| {},
                )
                .await
            }
        });
        while held(&commune) < events / 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let stats = handle.stats();
        wire_bytes += stats.udp_tx.bytes + stats.udp_rx.bytes;
        handle.close(quinn_code(9), b"cut");
        let at_cut = held(&commune);
        let cut_at = Instant::now();
        let _ = first.await;
        // Reconnect at once and time until the first new batch is durable.
        let watcher = tokio::spawn({
            let commune = commune.clone();
            async move {
                while held(&commune) <= at_cut {
                    tokio::time::sleep(Duration::from_micros(200)).await;
                }
                cut_at.elapsed()
            }
        });
        let connection = transport::connect(&client, addr).await?;
        let handle = connection.clone();
        let report = transport::run_link(
            connection,
            true,
            machine(),
            log.clone(),
            Mode::Once,
            Arc::new(watch::channel(0).0),
            &mut |_| {},
        )
        .await?;
        let stats = handle.stats();
        wire_bytes += stats.udp_tx.bytes + stats.udp_rx.bytes;
        if !report.caught_up {
            return Err("the resumed link did not catch up".into());
        }
        resume = Some(watcher.await?);
    } else {
        let connection = transport::connect(&client, addr).await?;
        let handle = connection.clone();
        let report = transport::run_link(
            connection,
            true,
            machine(),
            log,
            Mode::Once,
            Arc::new(watch::channel(0).0),
            &mut |_| {},
        )
        .await?;
        let stats = handle.stats();
        wire_bytes += stats.udp_tx.bytes + stats.udp_rx.bytes;
        if !report.caught_up {
            return Err("the link did not catch up".into());
        }
    }
    let elapsed = started.elapsed();
    if held(&commune) != events {
        return Err(format!("the commune holds {} of {events} events", held(&commune)).into());
    }
    client.wait_idle().await;
    let _ = stop.send(());
    let _ = serving.await;
    Ok(Run {
        rate: events as f64 / elapsed.as_secs_f64(),
        wire_bytes,
        resume,
    })
}

pub fn quinn_code(code: u32) -> nhip_node::quinn::VarInt {
    nhip_node::quinn::VarInt::from_u32(code)
}

/// Runs the suite.
pub fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let events = options
        .events
        .unwrap_or(if options.run.quick { 20_000 } else { 1_000_000 });
    let rounds = if options.run.quick { 1 } else { 3 };
    let dir = tempfile::tempdir()?;
    if !options.run.json {
        eprintln!("preparing a village with {events} events ...");
    }
    let village_key = SigningKey::from_bytes(&[0xb1; 32]);
    let village = Arc::new(village_log(
        &dir.path().join("village.redb"),
        &village_key,
        events,
    )?);
    let chain = ChainId {
        origin: node_id(&village_key),
        unit: UnitId::new(VILLAGE_UNIT)?,
    };
    let batches = batches_of(&village, &chain)?;
    let raw_event_bytes: usize = batches
        .iter()
        .flat_map(|batch| batch.events.iter().map(|event| event.len()))
        .sum();
    let raw_insert = best(rounds, |round| {
        Ok(raw_batched_insert(
            &dir.path().join(format!("raw-{round}.redb")),
            &batches,
        ))
    })?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut catch_up_rate: f64 = 0.0;
    let mut wire_bytes = u64::MAX;
    for round in 0..rounds {
        let run = runtime.block_on(catch_up(
            dir.path(),
            round,
            &village_key,
            village.clone(),
            events as u64,
            false,
        ))?;
        catch_up_rate = catch_up_rate.max(run.rate);
        wire_bytes = wire_bytes.min(run.wire_bytes);
    }
    let cut = runtime.block_on(catch_up(
        dir.path(),
        rounds,
        &village_key,
        village.clone(),
        events as u64,
        true,
    ))?;
    let resume_ms = cut
        .resume
        .map_or(f64::NAN, |resume| resume.as_secs_f64() * 1000.0);

    let wire_per_event = wire_bytes as f64 / events as f64;
    let raw_per_event = raw_event_bytes as f64 / events as f64;
    let figures = [
        Figure {
            metric: "catch-up into the parent (durable)",
            nhip: catch_up_rate,
            ceiling_name: "raw redb batched insert",
            ceiling: raw_insert,
            unit: "events/s",
            ratio: catch_up_rate / raw_insert,
            target: 0.66,
            lower_is_better: false,
        },
        Figure {
            metric: "bytes on the wire per event",
            nhip: wire_per_event,
            ceiling_name: "raw encoded event size",
            ceiling: raw_per_event,
            unit: "bytes",
            // Lower is better here: the figure is the fraction of the raw size that crossed.
            ratio: wire_per_event / raw_per_event,
            target: 0.5,
            lower_is_better: true,
        },
    ];
    let context = serde_json::json!({
        "events": events,
        "rounds": rounds,
        "batch_events": nhip_protocol::limits::BATCH_EVENTS_TARGET,
        "window_batches": nhip_protocol::limits::WINDOW_BATCHES,
        "wire": "UDP payload bytes both ways, QUIC and TLS overhead included",
        "resume_after_cut_at_half_ms": resume_ms,
        "cut_and_resume_total_events_per_s": cut.rate,
        "durability": "redb Durability::Immediate at the parent, per batch",
    });
    print_figures("sync", &context, &figures, options.run.json);
    Ok(())
}
