//! NATS JetStream: `nats-server` from the machine's packages, started by the suite on loopback
//! in a temporary folder and stopped after. Streams use file storage; every message carries a
//! `Nats-Msg-Id` so a batch sent twice is stored once (within the duplicate window), as the log's
//! ingest is idempotent. A publish is acknowledged once the server has written the message to its
//! file, not fsynced it: nats-server 2.9 fsyncs its stream files every two minutes (the
//! `sync_interval` setting that makes it fsync each write arrived only in 2.10).
//!
//! Catch-up runs an edge server as a leaf node of a hub server, each with its own JetStream
//! domain, and a hub stream that sources the edge's stream: the way NATS itself moves a backlog
//! from an edge to a centre.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, message::PublishMessage as Publish, stream};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::runtime::Runtime;

use super::os::{self, Error, Server};
use super::{CatchUp, Keyed, Peer, decode};
use crate::raw::rate;

/// A NATS server (or a hub and edge pair) of the suite's own.
pub struct Nats {
    runtime: Runtime,
    binary: PathBuf,
    dir: PathBuf,
    version: String,
    streams: usize,
    jetstream: jetstream::Context,
    _server: Server,
}

enum Leaf {
    Listen(u16),
    Remote(u16),
}

fn start_server(
    binary: &Path,
    dir: &Path,
    name: &'static str,
    domain: &str,
    leaf: Option<Leaf>,
) -> Result<(Server, u16), Error> {
    let port = os::free_port()?;
    let store = dir.join(name);
    let leaf = match leaf {
        None => String::new(),
        Some(Leaf::Listen(port)) => format!("leafnodes {{ listen: \"127.0.0.1:{port}\" }}"),
        Some(Leaf::Remote(port)) => {
            format!("leafnodes {{ remotes: [ {{ url: \"nats-leaf://127.0.0.1:{port}\" }} ] }}")
        }
    };
    let config = format!(
        "server_name: {name}\nlisten: \"127.0.0.1:{port}\"\n\
         jetstream {{ store_dir: {store:?}, domain: {domain} }}\n{leaf}\n"
    );
    let path = dir.join(format!("{name}.conf"));
    std::fs::write(&path, config)?;
    let mut command = Command::new(binary);
    command.arg("-c").arg(&path);
    let server = Server::start("nats-server", command, &dir.join(format!("{name}.log")))?;
    Ok((server, port))
}

async fn connect(port: u16) -> Result<jetstream::Context, Error> {
    let client = async_nats::connect(format!("127.0.0.1:{port}")).await?;
    Ok(jetstream::new(client))
}

fn ready(server: &mut Server, runtime: &Runtime, port: u16) -> Result<jetstream::Context, Error> {
    server.wait_ready(Duration::from_secs(30), || {
        runtime.block_on(async {
            // The server listens for clients only once JetStream is up.
            connect(port).await
        })
    })
}

fn message_id(key: &[u8]) -> String {
    key.iter().map(|byte| format!("{byte:02x}")).collect()
}

async fn create(jetstream: &jetstream::Context, name: &str) -> Result<stream::Stream, Error> {
    Ok(jetstream
        .create_stream(stream::Config {
            name: name.to_owned(),
            subjects: vec![format!("{name}.e")],
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await?)
}

fn publish(event: &Keyed) -> Publish {
    Publish::build()
        .payload(Bytes::copy_from_slice(&event.bytes))
        .message_id(message_id(&event.key))
}

/// Sends every batch whole, then waits for all of its acknowledgements.
async fn publish_batches(
    jetstream: &jetstream::Context,
    subject: &str,
    batches: &[Vec<Keyed>],
) -> Result<usize, Error> {
    let mut count = 0;
    for batch in batches {
        let mut acks = Vec::with_capacity(batch.len());
        for event in batch {
            acks.push(
                jetstream
                    .send_publish(subject.to_owned(), publish(event))
                    .await?,
            );
        }
        for ack in acks {
            ack.await?;
        }
        count += batch.len();
    }
    Ok(count)
}

impl Nats {
    /// Starts a server in `dir`.
    pub fn start(dir: &Path) -> Result<Nats, Error> {
        let binary = os::program(
            "nats-server",
            &[PathBuf::from("/usr/sbin/nats-server")],
            "apt-get install nats-server",
        )?;
        let out = Command::new(&binary).arg("--version").output()?;
        let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let dir = dir.join("nats");
        std::fs::create_dir_all(&dir)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let (mut server, port) = start_server(&binary, &dir, "single", "solo", None)?;
        let jetstream = ready(&mut server, &runtime, port)?;
        Ok(Nats {
            runtime,
            binary,
            dir,
            version,
            streams: 0,
            jetstream,
            _server: server,
        })
    }

    /// The server's version.
    pub fn version(&self) -> &str {
        &self.version
    }

    fn stream(&mut self) -> Result<String, Error> {
        self.streams += 1;
        let name = format!("S{}", self.streams);
        self.runtime.block_on(create(&self.jetstream, &name))?;
        Ok(name)
    }

    /// An edge server (leaf node) holding `batches` in its stream; the hub sources it. Timed
    /// from the hub stream's creation until it holds every event; the hub's peak memory is its
    /// process's VmHWM.
    pub fn catch_up(&mut self, round: usize, batches: &[Vec<Keyed>]) -> Result<CatchUp, Error> {
        let dir = self.dir.join(format!("catch-up-{round}"));
        std::fs::create_dir_all(&dir)?;
        let leaf_port = os::free_port()?;
        let (mut hub, hub_port) = start_server(
            &self.binary,
            &dir,
            "hub",
            "hub",
            Some(Leaf::Listen(leaf_port)),
        )?;
        let hub_js = ready(&mut hub, &self.runtime, hub_port)?;
        let (mut edge, edge_port) = start_server(
            &self.binary,
            &dir,
            "edge",
            "edge",
            Some(Leaf::Remote(leaf_port)),
        )?;
        let edge_js = ready(&mut edge, &self.runtime, edge_port)?;
        let count: usize = batches.iter().map(Vec::len).sum();
        self.runtime.block_on(async {
            create(&edge_js, "EDGE").await?;
            publish_batches(&edge_js, "EDGE.e", batches).await
        })?;

        let bytes_before = os::loopback_bytes()?;
        let started = Instant::now();
        self.runtime.block_on(async {
            let mut hub_stream = hub_js
                .create_stream(stream::Config {
                    name: "HUB".to_owned(),
                    storage: stream::StorageType::File,
                    sources: Some(vec![stream::Source {
                        name: "EDGE".to_owned(),
                        domain: Some("edge".to_owned()),
                        ..Default::default()
                    }]),
                    ..Default::default()
                })
                .await?;
            let deadline = Instant::now() + Duration::from_secs(600);
            loop {
                let held = hub_stream.info().await?.state.messages;
                if held as usize >= count {
                    return Ok::<_, Error>(());
                }
                if Instant::now() > deadline {
                    return Err(format!("the hub holds {held} of {count} after 10 minutes").into());
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })?;
        let rate = rate(count, started);
        let wire = os::loopback_bytes()? - bytes_before;
        Ok(CatchUp {
            rate,
            wire_per_event: wire as f64 / count as f64,
            peak_kb: os::status_kb(hub.pid(), "VmHWM")?,
        })
    }
}

impl Peer for Nats {
    fn single(&mut self, events: &[Keyed]) -> Result<f64, Error> {
        let name = self.stream()?;
        let subject = format!("{name}.e");
        let jetstream = &self.jetstream;
        self.runtime.block_on(async {
            let started = Instant::now();
            for event in events {
                jetstream
                    .send_publish(subject.clone(), publish(event))
                    .await?
                    .await?;
            }
            Ok(rate(events.len(), started))
        })
    }

    fn concurrent(&mut self, writers: &[&[Keyed]]) -> Result<f64, Error> {
        let name = self.stream()?;
        let subject = format!("{name}.e");
        let jetstream = &self.jetstream;
        self.runtime.block_on(async {
            let started = Instant::now();
            let mut tasks = tokio::task::JoinSet::new();
            for events in writers {
                let jetstream = jetstream.clone();
                let subject = subject.clone();
                let publishes: Vec<Publish> = events.iter().map(publish).collect();
                tasks.spawn(async move {
                    for message in publishes {
                        jetstream
                            .send_publish(subject.clone(), message)
                            .await?
                            .await?;
                    }
                    Ok::<_, Error>(())
                });
            }
            while let Some(done) = tasks.join_next().await {
                done??;
            }
            Ok(rate(
                writers.iter().map(|events| events.len()).sum(),
                started,
            ))
        })
    }

    fn ingest(&mut self, batches: &[Vec<Keyed>]) -> Result<f64, Error> {
        let name = self.stream()?;
        let subject = format!("{name}.e");
        let jetstream = &self.jetstream;
        self.runtime.block_on(async {
            let started = Instant::now();
            let count = publish_batches(jetstream, &subject, batches).await?;
            Ok(rate(count, started))
        })
    }

    fn replay(&mut self, expected: usize) -> Result<f64, Error> {
        // The stream the last ingest filled.
        let name = format!("S{}", self.streams);
        let jetstream = &self.jetstream;
        self.runtime.block_on(async {
            let started = Instant::now();
            let stream = jetstream.get_stream(&name).await?;
            let reader = stream
                .create_consumer(consumer::pull::Config {
                    ack_policy: consumer::AckPolicy::None,
                    ..Default::default()
                })
                .await?;
            let mut messages = reader
                .stream()
                .max_messages_per_batch(1_000)
                .messages()
                .await?;
            let mut count = 0;
            while count < expected {
                let Some(message) = messages.next().await else {
                    break;
                };
                decode(&message?.payload)?;
                count += 1;
            }
            if count != expected {
                return Err(format!("NATS gave back {count} of {expected} events").into());
            }
            Ok(rate(count, started))
        })
    }
}
