//! The peers suite: Nhịp beside what a user would pick instead — SQLite, PostgreSQL and NATS
//! JetStream — on the same events, in the same run, on the same machine, with the raw ceilings
//! (redb alone, quinn alone) measured alongside.
//!
//! Every peer stores the very bytes Nhịp's log holds (sealed, signed events of task, vote and
//! progress kinds, about 200 bytes each), keyed as the log keys them, and decodes them the way
//! replay does when it reads them back. Nhịp does more per event than the peers: it signs and
//! seals each appended event, verifies every ingested batch's signatures and chain, and replay
//! folds every event into the state rather than only decoding it.

mod nats;
mod os;
mod postgres;
mod sqlite;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use ed25519_dalek::SigningKey;
use nhip_engine::body::{ItemCreated, ItemProgressed, ItemVoted, Known};
use nhip_engine::{
    ChainId, Draft, Event, EventId, EventLog, MemoryLog, PersonId, RedbLog, UnitId, node_id,
};
use nhip_node::daemon;
use nhip_node::transport::{self, Mode};
use nhip_protocol::{Config, Side, Sync as SyncMachine, TreeScope};
use tokio::sync::watch;

use crate::engine::{nhip_concurrent, nhip_ingest, nhip_replay, nhip_single, prepare_with};
use crate::raw::{T0, rate, raw_batched_insert, raw_grouped_commits, raw_key, raw_scan_decode};
use crate::sync::{COMMUNE_UNIT, Only, Units, VILLAGE_UNIT, batches_of, village_log_with};
use os::Error;

/// Options of the peers suite.
#[derive(clap::Args)]
pub struct Options {
    #[command(flatten)]
    run: crate::Run,
    /// Events for batched ingest and replay (default 200,000; 5,000 with --quick).
    #[arg(long)]
    events: Option<usize>,
    /// Durable single-event commits (default 2,000; 100 with --quick).
    #[arg(long)]
    commits: Option<usize>,
    /// Appends by each concurrent writer (default 250; 20 with --quick).
    #[arg(long)]
    per_writer: Option<usize>,
    /// Concurrent writers.
    #[arg(long, default_value_t = 16)]
    writers: usize,
    /// Backlogs for the catch-up figures, comma-separated (default 100000,1000000; 5000 with
    /// --quick).
    #[arg(long, value_delimiter = ',')]
    catch_up: Vec<usize>,
    /// Events per batch (ingest, catch-up).
    #[arg(long, default_value_t = 1024)]
    batch: usize,
    /// Roughly how many bytes each encoded event takes.
    #[arg(long, default_value_t = 200)]
    event_bytes: usize,
    /// Peers to leave out, comma-separated: sqlite, postgres, nats.
    #[arg(long, value_delimiter = ',')]
    skip: Vec<String>,
}

/// The hub side of Nhịp's catch-up, in a process of its own so that its peak memory is its own.
#[derive(clap::Args)]
pub struct HubOptions {
    /// The folder for the hub's log.
    #[arg(long)]
    dir: PathBuf,
    /// Events to wait for.
    #[arg(long)]
    events: u64,
}

/// The other suites' errors, made sendable.
fn lift(error: Box<dyn std::error::Error>) -> Error {
    error.to_string().into()
}

/// One prepared event: the key the log files it under and its canonical bytes.
pub struct Keyed {
    /// Origin ‖ unit ‖ 0 ‖ sequence.
    pub key: Vec<u8>,
    /// The sealed event, as Nhịp stores and sends it.
    pub bytes: Vec<u8>,
}

/// What a peer is measured on; each call works on a fresh table or stream.
pub trait Peer {
    /// Durable appends per second, one event per commit.
    fn single(&mut self, events: &[Keyed]) -> Result<f64, Error>;
    /// Durable appends per second, each writer appending its events one per commit.
    fn concurrent(&mut self, writers: &[&[Keyed]]) -> Result<f64, Error>;
    /// Events per second, a commit per batch.
    fn ingest(&mut self, batches: &[Vec<Keyed>]) -> Result<f64, Error>;
    /// Events per second, reading back and decoding everything the last ingest stored.
    fn replay(&mut self, expected: usize) -> Result<f64, Error>;
}

/// One edge-to-hub catch-up.
pub struct CatchUp {
    /// Events per second, until the hub holds all of them.
    pub rate: f64,
    /// Bytes that crossed the loopback per event, headers included.
    pub wire_per_event: f64,
    /// The hub's peak memory, in kB.
    pub peak_kb: u64,
}

/// Runs each writer's appends on a thread of its own, with a client of its own (`clients`,
/// connected before the clock starts); appends per second over all of them.
pub fn in_threads<C: Send>(
    clients: Vec<C>,
    writers: &[&[Keyed]],
    append: impl Fn(&mut C, &Keyed) -> Result<(), String> + Sync,
) -> Result<f64, Error> {
    let started = Instant::now();
    std::thread::scope(|scope| -> Result<(), Error> {
        let handles: Vec<_> = clients
            .into_iter()
            .zip(writers)
            .map(|(mut client, events)| {
                let append = &append;
                scope.spawn(move || -> Result<(), String> {
                    for event in *events {
                        append(&mut client, event)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for handle in handles {
            handle.join().map_err(|_| "a writer panicked")??;
        }
        Ok(())
    })?;
    Ok(rate(
        writers.iter().map(|events| events.len()).sum(),
        started,
    ))
}

/// Decodes an event as replay does: envelope, then body.
pub fn decode(bytes: &[u8]) -> Result<(), Error> {
    let event = Event::decode(bytes)?;
    std::hint::black_box(Known::from_body(&event.body));
    Ok(())
}

const VILLAGE_SEED: [u8; 32] = [0xb1; 32];
const HUB_SEED: [u8; 32] = [0xc0; 32];

/// Realistic events of about `target` bytes: a task created with its lead and coordinating
/// units, person and deadline; a vote on a draft; a progress report — in turn.
fn drafter(target: usize) -> impl Fn(u64) -> Draft + Sync {
    let shape = |n: u64, pad: &str| -> Draft {
        let item = EventId(uuid::Uuid::from_u64_pair(0x0199_7000_0000_7000, n / 3));
        let unit = UnitId::new(VILLAGE_UNIT).expect("valid");
        let body = match n % 3 {
            0 => Known::ItemCreated(ItemCreated {
                assignee: PersonId::new("lo-van-pao").ok(),
                coordinating: vec![UnitId::new("xa-binh-lu/mttq").expect("valid")],
                description: pad.to_owned(),
                ..ItemCreated::simple(
                    "ke-hoach",
                    format!("Tiêm phòng gia súc đợt {n}"),
                    unit.clone(),
                    nhip_engine::Date::from_ymd(2026, 12, 31),
                )
            }),
            1 => Known::ItemVoted(ItemVoted {
                item,
                transition: "thong-qua".to_owned(),
                from: "du-thao".to_owned(),
                approve: n % 7 != 0,
                note: format!("Nhất trí {pad}"),
            }),
            _ => Known::ItemProgressed(ItemProgressed {
                item,
                percent: (n % 101) as u8,
                note: format!("Đã tiêm {n} con {pad}"),
            }),
        };
        Draft {
            id: EventId(uuid::Uuid::from_u64_pair(0x0199_7000_0000_7001, n)),
            actor: PersonId::new("lo-van-pao").expect("valid"),
            unit,
            seen: Some(item),
            body: body.to_body(),
        }
    };
    // Each kind's size with nothing padded, measured on a sealed event.
    let signer = SigningKey::from_bytes(&[7; 32]);
    let bare: Vec<usize> = (0..3)
        .map(|kind| {
            let log = MemoryLog::new(node_id(&signer));
            let stored = log
                .append(&signer, T0, vec![shape(kind, "")])
                .expect("append");
            stored[0].bytes.len()
        })
        .collect();
    let pads: Vec<String> = bare
        .iter()
        .map(|size| "x".repeat(target.saturating_sub(*size)))
        .collect();
    move |n| shape(n, &pads[(n % 3) as usize])
}

fn keyed(batch: &nhip_engine::Batch) -> Vec<Keyed> {
    batch
        .events
        .iter()
        .map(|bytes| Keyed {
            key: raw_key(bytes),
            bytes: bytes.to_vec(),
        })
        .collect()
}

/// The hub side of Nhịp's catch-up: listens, prints its port, once it holds `events` events
/// prints its peak memory, and exits when its standard input closes.
pub fn hub(options: &HubOptions) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let hub_key = SigningKey::from_bytes(&HUB_SEED);
        let village = node_id(&SigningKey::from_bytes(&VILLAGE_SEED));
        let log = Arc::new(RedbLog::create(
            &options.dir.join("hub.redb"),
            node_id(&hub_key),
        )?);
        let units = Arc::new(Units(
            [
                (node_id(&hub_key), UnitId::new(COMMUNE_UNIT)?),
                (village, UnitId::new(VILLAGE_UNIT)?),
            ]
            .into(),
        ));
        let server =
            transport::server_endpoint("127.0.0.1:0".parse()?, &hub_key, Arc::new(Only(village)))?;
        let node = daemon::Node::new(hub_key, UnitId::new(COMMUNE_UNIT)?, log.clone(), units);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let port = server.local_addr()?.port();
        let serving = tokio::spawn(daemon::serve(server, node, None, async move {
            let _ = stopped.await;
        }));
        println!("listening {port}");
        std::io::stdout().flush()?;
        loop {
            let held: u64 = log.heads()?.values().map(|head| head.seq.0).sum();
            if held >= options.events {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        println!("held {}", os::status_kb(std::process::id(), "VmHWM")?);
        std::io::stdout().flush()?;
        // Serve on until the village has its last acknowledgement: it closes our stdin then.
        tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink()))
            .await??;
        let _ = stop.send(());
        let _ = serving.await;
        Ok(())
    })
}

/// Nhịp's catch-up: a village process (this one) sends its backlog over QUIC to a hub process.
fn nhip_catch_up(
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    village: Arc<RedbLog>,
    events: u64,
) -> Result<CatchUp, Error> {
    let hub_dir = dir.join(format!("hub-{events}"));
    std::fs::create_dir_all(&hub_dir)?;
    let mut child = Command::new(std::env::current_exe()?)
        .args(["peers-hub", "--events", &events.to_string(), "--dir"])
        .arg(&hub_dir)
        .stdout(Stdio::piped())
        .stdin(Stdio::piped())
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
    let mut line =
        || -> Result<String, Error> { Ok(lines.next().ok_or("the hub process stopped early")??) };
    let port: u16 = line()?
        .strip_prefix("listening ")
        .ok_or("the hub did not say its port")?
        .parse()?;
    let village_key = SigningKey::from_bytes(&VILLAGE_SEED);
    let hub = node_id(&SigningKey::from_bytes(&HUB_SEED));
    let units = Arc::new(Units(
        [
            (hub, UnitId::new(COMMUNE_UNIT)?),
            (node_id(&village_key), UnitId::new(VILLAGE_UNIT)?),
        ]
        .into(),
    ));
    let bytes_before = os::loopback_bytes()?;
    let started = Instant::now();
    runtime.block_on(async {
        let client = transport::client_endpoint("127.0.0.1:0".parse()?, &village_key, hub)?;
        let connection = transport::connect(&client, ([127, 0, 0, 1], port).into()).await?;
        let machine = SyncMachine::new(
            Config {
                signer: village_key.clone(),
                unit: UnitId::new(VILLAGE_UNIT)?,
                expected_peer: Some(hub),
            },
            Box::new(TreeScope::new(
                Side::Child,
                UnitId::new(VILLAGE_UNIT)?,
                units,
            )),
        );
        let report = transport::run_link(
            connection,
            true,
            machine,
            village,
            Mode::Once,
            Arc::new(watch::channel(0).0),
            &mut |_| {},
        )
        .await?;
        if !report.caught_up {
            return Err::<_, Error>("the link did not catch up".into());
        }
        client.wait_idle().await;
        Ok(())
    })?;
    let rate = rate(events as usize, started);
    let wire = os::loopback_bytes()? - bytes_before;
    let peak_kb = line()?
        .strip_prefix("held ")
        .ok_or("the hub did not say its memory")?
        .parse()?;
    drop(child.stdin.take());
    child.wait()?;
    Ok(CatchUp {
        rate,
        wire_per_event: wire as f64 / events as f64,
        peak_kb,
    })
}

/// Raw quinn over loopback with the node's own TLS: one stream carrying `bytes` bytes as fast as
/// it goes; bytes per second.
fn raw_quinn(runtime: &tokio::runtime::Runtime, bytes: usize) -> Result<f64, Error> {
    let village_key = SigningKey::from_bytes(&VILLAGE_SEED);
    let hub_key = SigningKey::from_bytes(&HUB_SEED);
    runtime.block_on(async {
        let server = transport::server_endpoint(
            "127.0.0.1:0".parse()?,
            &hub_key,
            Arc::new(Only(node_id(&village_key))),
        )?;
        let addr = server.local_addr()?;
        let receiving = tokio::spawn(async move {
            let incoming = server.accept().await.ok_or("no connection")?;
            let connection = incoming.await?;
            // The node's transport allows bidirectional streams only.
            let (_, mut stream) = connection.accept_bi().await?;
            let mut buffer = vec![0u8; 64 * 1024];
            let mut received = 0;
            while let Some(n) = stream.read(&mut buffer).await? {
                received += n;
            }
            Ok::<_, Error>(received)
        });
        let client =
            transport::client_endpoint("127.0.0.1:0".parse()?, &village_key, node_id(&hub_key))?;
        let connection = transport::connect(&client, addr).await?;
        let chunk = vec![0x5au8; 64 * 1024];
        let started = Instant::now();
        let (mut stream, _) = connection.open_bi().await?;
        let mut sent = 0;
        while sent < bytes {
            let n = chunk.len().min(bytes - sent);
            stream.write_all(&chunk[..n]).await?;
            sent += n;
        }
        stream.finish()?;
        let received = receiving.await??;
        let elapsed = started.elapsed().as_secs_f64();
        if received != bytes {
            return Err(format!("raw quinn carried {received} of {bytes} bytes").into());
        }
        Ok(bytes as f64 / elapsed)
    })
}

/// One row of the table: a figure for Nhịp and for each peer (None where it does not apply or
/// was left out).
#[derive(serde::Serialize)]
struct Row {
    metric: String,
    unit: &'static str,
    higher_is_better: bool,
    nhip: f64,
    peers: Vec<Option<f64>>,
    /// Nhịp's figure over the best peer's (under 1 is better on lower-is-better rows).
    to_best: Option<f64>,
    /// The same, among the peers that fsync every commit as Nhịp does.
    to_best_durable: Option<f64>,
    ceiling: Option<f64>,
    ceiling_is: &'static str,
}

impl Row {
    fn new(metric: String, unit: &'static str, higher_is_better: bool, nhip: f64) -> Row {
        Row {
            metric,
            unit,
            higher_is_better,
            nhip,
            peers: Vec::new(),
            to_best: None,
            to_best_durable: None,
            ceiling: None,
            ceiling_is: "",
        }
    }

    fn ceiling(self, ceiling: f64, ceiling_is: &'static str) -> Row {
        Row {
            ceiling: Some(ceiling),
            ceiling_is,
            ..self
        }
    }

    /// Fills in the ratios, given which columns fsync every commit.
    fn rank(&mut self, durable: &[bool]) {
        self.to_best = self.ratio(self.peers.iter().flatten().copied());
        self.to_best_durable = self.ratio(
            self.peers
                .iter()
                .zip(durable)
                .filter(|(_, durable)| **durable)
                .filter_map(|(figure, _)| *figure),
        );
    }

    fn ratio(&self, figures: impl Iterator<Item = f64>) -> Option<f64> {
        let best = if self.higher_is_better {
            figures.fold(None, |best: Option<f64>, x| {
                Some(best.map_or(x, |b| b.max(x)))
            })
        } else {
            figures.fold(None, |best: Option<f64>, x| {
                Some(best.map_or(x, |b| b.min(x)))
            })
        }?;
        Some(self.nhip / best)
    }
}

fn cell(value: Option<f64>) -> String {
    match value {
        None => "—".to_owned(),
        Some(value) if value >= 100.0 => format_thousands(value.round() as u64),
        Some(value) => format!("{value:.1}"),
    }
}

fn format_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A peer's catch-up: the round and the backlog's batches.
type CatchUpRunner = Box<dyn FnMut(usize, &[Vec<Keyed>]) -> Result<CatchUp, Error>>;

struct Column {
    name: String,
    durability: String,
    /// Whether every acknowledged write was fsynced, as Nhịp's are.
    durable: bool,
    peer: Box<dyn Peer>,
    catch_up: Option<CatchUpRunner>,
}

/// Runs the suite.
pub fn run(options: &Options) -> Result<(), Error> {
    let events = options
        .events
        .unwrap_or(if options.run.quick { 5_000 } else { 200_000 });
    let commits = options
        .commits
        .unwrap_or(if options.run.quick { 100 } else { 2_000 });
    let per_writer = options
        .per_writer
        .unwrap_or(if options.run.quick { 20 } else { 250 });
    let catch_ups = if !options.catch_up.is_empty() {
        options.catch_up.clone()
    } else if options.run.quick {
        vec![5_000]
    } else {
        vec![100_000, 1_000_000]
    };
    let skip = |name: &str| options.skip.iter().any(|skipped| skipped == name);
    let say = |text: &str| {
        if !options.run.json {
            eprintln!("{text}");
        }
    };
    let dir = tempfile::tempdir()?;
    let make = drafter(options.event_bytes);

    say(&format!("preparing {events} events ..."));
    let batches = prepare_with(events, 8, options.batch, &make);
    let prepared: Vec<Vec<Keyed>> = batches.iter().map(keyed).collect();
    let flat: Vec<&Keyed> = prepared.iter().flatten().collect();
    let mean_bytes =
        flat.iter().map(|event| event.bytes.len()).sum::<usize>() as f64 / flat.len().max(1) as f64;
    let single_events: Vec<Keyed> = flat
        .iter()
        .cycle()
        .take(commits)
        .enumerate()
        .map(|(n, event)| Keyed {
            key: [event.key.as_slice(), &(n as u64).to_be_bytes()].concat(),
            bytes: event.bytes.clone(),
        })
        .collect();
    let writer_events: Vec<Vec<Keyed>> = (0..options.writers)
        .map(|writer| {
            (0..per_writer)
                .map(|n| {
                    let event = flat[(writer * per_writer + n) % flat.len()];
                    Keyed {
                        key: [
                            event.key.as_slice(),
                            &((writer * per_writer + n) as u64).to_be_bytes(),
                        ]
                        .concat(),
                        bytes: event.bytes.clone(),
                    }
                })
                .collect()
        })
        .collect();
    let writer_slices: Vec<&[Keyed]> = writer_events.iter().map(Vec::as_slice).collect();

    // Ceilings first, then Nhịp, then each peer in turn.
    say("raw ceilings ...");
    let file = |name: &str| dir.path().join(format!("{name}.redb"));
    let sample = &flat[0].bytes;
    let raw_single = raw_grouped_commits(&file("raw-single"), commits, 1, sample);
    let raw_group = raw_grouped_commits(&file("raw-group"), per_writer, options.writers, sample);
    let raw_insert = raw_batched_insert(&file("raw-insert"), &batches);
    let raw_scan = raw_scan_decode(&file("raw-insert"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let largest = catch_ups.iter().copied().max().unwrap_or(0);
    let raw_wire = raw_quinn(&runtime, (largest as f64 * mean_bytes) as usize)? / mean_bytes;

    say("nhịp ...");
    let nhip_single = nhip_single(&file("single"), commits, &make).map_err(lift)?;
    let (nhip_concurrent, _) =
        nhip_concurrent(&file("concurrent"), options.writers, per_writer, &make).map_err(lift)?;
    let nhip_ingest =
        nhip_ingest(&file("ingest"), &batches, T0 + 10 * events as u64).map_err(lift)?;
    let nhip_replay = nhip_replay(&file("ingest"), events).map_err(lift)?;
    let village_key = SigningKey::from_bytes(&VILLAGE_SEED);
    let mut backlogs = Vec::new();
    let mut nhip_catch_ups = Vec::new();
    for &size in &catch_ups {
        say(&format!("nhịp catch-up of {size} events ..."));
        let village = Arc::new(
            village_log_with(
                &dir.path().join(format!("village-{size}.redb")),
                &village_key,
                size,
                &make,
            )
            .map_err(lift)?,
        );
        let chain = ChainId {
            origin: node_id(&village_key),
            unit: UnitId::new(VILLAGE_UNIT)?,
        };
        let backlog: Vec<Vec<Keyed>> = batches_of(&village, &chain)
            .map_err(lift)?
            .iter()
            .map(keyed)
            .collect();
        nhip_catch_ups.push(nhip_catch_up(&runtime, dir.path(), village, size as u64)?);
        backlogs.push(backlog);
    }
    drop(runtime);

    let mut columns: Vec<Column> = Vec::new();
    let mut versions = serde_json::Map::new();
    if !skip("sqlite") {
        versions.insert("sqlite".into(), rusqlite::version().into());
        for full in [true, false] {
            columns.push(Column {
                name: format!(
                    "SQLite {}",
                    if full { "FULL" } else { "NORMAL" }
                ),
                durability: if full {
                    "WAL, synchronous=FULL: every commit fsynced"
                } else {
                    "WAL, synchronous=NORMAL: fsync at checkpoints only; recent commits can be lost to a power cut"
                }
                .to_owned(),
                durable: full,
                peer: Box::new(sqlite::Sqlite::new(dir.path(), full)?),
                catch_up: None,
            });
        }
    }
    if !skip("postgres") {
        say("starting PostgreSQL ...");
        let server = Arc::new(std::sync::Mutex::new(postgres::Postgres::start()?));
        let version = server.lock().map_err(|_| "poisoned")?.version().to_owned();
        versions.insert("postgresql".into(), version.into());
        let for_catch_up = server.clone();
        columns.push(Column {
            name: "PostgreSQL".to_owned(),
            durability: "fsync=on, synchronous_commit=on: a commit returns once its WAL is fsynced; clients over TCP loopback".to_owned(),
            durable: true,
            peer: Box::new(Shared(server)),
            catch_up: Some(Box::new(move |_, backlog| {
                for_catch_up.lock().map_err(|_| "poisoned")?.catch_up(backlog)
            })),
        });
    }
    if !skip("nats") {
        say("starting nats-server ...");
        let server = Arc::new(std::sync::Mutex::new(nats::Nats::start(dir.path())?));
        let version = server.lock().map_err(|_| "poisoned")?.version().to_owned();
        versions.insert("nats".into(), version.into());
        let for_catch_up = server.clone();
        columns.push(Column {
            name: "NATS JetStream".to_owned(),
            durability: "file storage; acked once written to the file, fsynced every 2 min (2.9 has no per-write sync)".to_owned(),
            durable: false,
            peer: Box::new(Shared(server)),
            catch_up: Some(Box::new(move |round, backlog| {
                for_catch_up.lock().map_err(|_| "poisoned")?.catch_up(round, backlog)
            })),
        });
    }

    let mut rows = vec![
        Row::new(
            "durable append, 1 event per commit".into(),
            "appends/s",
            true,
            nhip_single,
        )
        .ceiling(raw_single, "raw redb 1-insert commit"),
        Row::new(
            format!("{} concurrent writers", options.writers),
            "appends/s",
            true,
            nhip_concurrent,
        )
        .ceiling(raw_group, "raw redb, all writers' inserts in one commit"),
        Row::new(
            format!("batched ingest ({} per commit)", options.batch),
            "events/s",
            true,
            nhip_ingest,
        )
        .ceiling(raw_insert, "raw redb batched insert"),
        Row::new(
            "full replay (read + decode)".into(),
            "events/s",
            true,
            nhip_replay,
        )
        .ceiling(raw_scan, "raw redb scan + decode"),
    ];
    for column in &mut columns {
        say(&format!("{} ...", column.name));
        rows[0]
            .peers
            .push(Some(column.peer.single(&single_events)?));
        rows[1]
            .peers
            .push(Some(column.peer.concurrent(&writer_slices)?));
        rows[2].peers.push(Some(column.peer.ingest(&prepared)?));
        rows[3].peers.push(Some(column.peer.replay(events)?));
    }
    for (round, (size, nhip)) in catch_ups.iter().zip(&nhip_catch_ups).enumerate() {
        let mut rate = Row::new(
            format!("edge-to-hub catch-up, {size} events"),
            "events/s",
            true,
            nhip.rate,
        )
        .ceiling(raw_wire, "raw quinn loopback stream, same bytes");
        let mut wire = Row::new(
            format!("loopback bytes per event, {size}"),
            "bytes",
            false,
            nhip.wire_per_event,
        )
        .ceiling(mean_bytes, "the encoded event itself");
        let mut memory = Row::new(
            format!("hub peak memory, {size}"),
            "MiB",
            false,
            nhip.peak_kb as f64 / 1024.0,
        );
        for column in &mut columns {
            let figure = match &mut column.catch_up {
                None => None,
                Some(catch_up) => {
                    say(&format!("{} catch-up of {size} events ...", column.name));
                    Some(catch_up(round, &backlogs[round])?)
                }
            };
            rate.peers.push(figure.as_ref().map(|figure| figure.rate));
            wire.peers
                .push(figure.as_ref().map(|figure| figure.wire_per_event));
            memory
                .peers
                .push(figure.as_ref().map(|figure| figure.peak_kb as f64 / 1024.0));
        }
        rows.extend([rate, wire, memory]);
    }

    let durable: Vec<bool> = columns.iter().map(|column| column.durable).collect();
    for row in &mut rows {
        row.rank(&durable);
    }
    let names: Vec<&str> = columns.iter().map(|column| column.name.as_str()).collect();
    let context = serde_json::json!({
        "machine": machine(),
        "events": events,
        "mean_event_bytes": mean_bytes.round(),
        "commits": commits,
        "writers": options.writers,
        "per_writer": per_writer,
        "batch": options.batch,
        "catch_up": catch_ups,
        "versions": versions,
        "nhip_durability": "redb Durability::Immediate: every commit fsynced; each append signs and seals; ingest verifies signatures and chains",
        "peer_durability": columns.iter().map(|column| (column.name.clone(), column.durability.clone().into())).collect::<serde_json::Map<_, _>>(),
        "catch_up_setups": {
            "nhip": "village process → hub process over QUIC (TLS 1.3, pinned ed25519 keys); timed until every batch is acknowledged durable at the hub",
            "PostgreSQL": "an edge client writing its backlog into a central database over TCP loopback, a transaction per batch; memory is the cluster's summed PSS, sampled every 20 ms",
            "NATS JetStream": "edge nats-server as a leaf node of the hub, each its own JetStream domain; a hub stream sources the edge stream; timed from the source's creation until the hub holds every event; memory is the hub process's VmHWM",
        },
        "wire": "bytes sent over the lo interface during the catch-up (/proc/net/dev), IP/UDP/TCP headers included",
    });
    if options.run.json {
        let out = serde_json::json!({ "suite": "peers", "context": context, "columns": names, "rows": rows });
        println!("{out:#}");
        return Ok(());
    }
    println!("{}", markdown(&names, &rows));
    println!();
    println!("{context:#}");
    Ok(())
}

/// A server shared by a peer's measures and its catch-up.
struct Shared<P>(Arc<std::sync::Mutex<P>>);

impl<P: Peer> Peer for Shared<P> {
    fn single(&mut self, events: &[Keyed]) -> Result<f64, Error> {
        self.0.lock().map_err(|_| "poisoned")?.single(events)
    }
    fn concurrent(&mut self, writers: &[&[Keyed]]) -> Result<f64, Error> {
        self.0.lock().map_err(|_| "poisoned")?.concurrent(writers)
    }
    fn ingest(&mut self, batches: &[Vec<Keyed>]) -> Result<f64, Error> {
        self.0.lock().map_err(|_| "poisoned")?.ingest(batches)
    }
    fn replay(&mut self, expected: usize) -> Result<f64, Error> {
        self.0.lock().map_err(|_| "poisoned")?.replay(expected)
    }
}

fn markdown(names: &[&str], rows: &[Row]) -> String {
    let mut out = String::from("| metric | unit | Nhịp |");
    for name in names {
        out.push_str(&format!(" {name} |"));
    }
    out.push_str(
        " Nhịp ÷ best peer | Nhịp ÷ best fsyncing peer | ceiling | ceiling is |\n|---|---|---:|",
    );
    for _ in names {
        out.push_str("---:|");
    }
    out.push_str("---:|---:|---:|---|\n");
    for row in rows {
        let direction = if row.higher_is_better { "↑" } else { "↓" };
        out.push_str(&format!(
            "| {} | {} {direction} | {} |",
            row.metric,
            row.unit,
            cell(Some(row.nhip))
        ));
        for peer in &row.peers {
            out.push_str(&format!(" {} |", cell(*peer)));
        }
        let ratio =
            |ratio: Option<f64>| ratio.map_or("—".to_owned(), |ratio| format!("{ratio:.2}"));
        out.push_str(&format!(
            " {} | {} | {} | {} |\n",
            ratio(row.to_best),
            ratio(row.to_best_durable),
            cell(row.ceiling),
            row.ceiling_is
        ));
    }
    out
}

/// The machine, as BENCHMARKS.md describes it.
fn machine() -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name")?.split_once(':'))
        .map(|(_, model)| model.trim().to_owned());
    let memory_kb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|meminfo| {
            meminfo
                .lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|value| value.split_whitespace().next()?.parse::<u64>().ok())
        });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|release| release.trim().to_owned())
        .ok();
    serde_json::json!({
        "cpu": model,
        "cores": std::thread::available_parallelism().map(|n| n.get()).ok(),
        "memory_gib": memory_kb.map(|kb| (kb as f64 / 1024.0 / 1024.0).round()),
        "kernel": kernel,
    })
}
