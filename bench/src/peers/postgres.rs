//! PostgreSQL from the machine's packages, started by the suite on loopback in a temporary
//! folder (`fsync=on`, `synchronous_commit=on`: a commit returns once its WAL is on disk) and
//! stopped after. Clients speak to it over TCP on 127.0.0.1, as an edge office writing to a
//! central database would over its link.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls};

use super::os::{self, Error, PeakSampler, Server};
use super::{CatchUp, Keyed, Peer, decode, in_threads};
use crate::raw::rate;

/// A PostgreSQL cluster of the suite's own.
pub struct Postgres {
    // Dropped in this order: the server stops before its folder goes.
    server: Server,
    port: u16,
    version: String,
    tables: usize,
    _root: tempfile::TempDir,
}

fn binaries() -> Result<PathBuf, Error> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|versions| {
            versions
                .flatten()
                .map(|version| version.path().join("bin/initdb"))
                .collect()
        })
        .unwrap_or_default();
    // The newest installed version first.
    candidates.sort_by(|a, b| b.cmp(a));
    let initdb = os::program("initdb", &candidates, "apt-get install postgresql")?;
    Ok(initdb.parent().unwrap_or(&initdb).to_owned())
}

/// Runs `program` as the `postgres` user when we are root (PostgreSQL refuses root).
fn as_server_user(program: PathBuf, root: bool) -> Command {
    if root {
        let mut command = Command::new("setpriv");
        command
            .args([
                "--reuid=postgres",
                "--regid=postgres",
                "--init-groups",
                "--",
            ])
            .arg(program);
        command
    } else {
        Command::new(program)
    }
}

impl Postgres {
    /// Creates and starts a cluster.
    pub fn start() -> Result<Postgres, Error> {
        let bin = binaries()?;
        let root_user = os::is_root();
        let root = tempfile::Builder::new().prefix("nhip-bench-pg").tempdir()?;
        if root_user {
            let id = |flag: &str| -> Result<u32, Error> {
                let out = Command::new("id").args([flag, "postgres"]).output()?;
                if !out.status.success() {
                    return Err("running as root needs the `postgres` user (apt-get install postgresql makes it)".into());
                }
                Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
            };
            std::os::unix::fs::chown(root.path(), Some(id("-u")?), Some(id("-g")?))?;
        }
        let data = root.path().join("data");
        let init = as_server_user(bin.join("initdb"), root_user)
            .arg("-D")
            .arg(&data)
            .args(["-U", "bench", "--auth=trust", "-E", "UTF8", "--locale=C"])
            .output()?;
        if !init.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&init.stderr).trim()
            )
            .into());
        }
        let port = os::free_port()?;
        let mut command = as_server_user(bin.join("postgres"), root_user);
        command
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(root.path())
            .args(["-p", &port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "fsync=on", "-c", "synchronous_commit=on"])
            .args(["-c", "full_page_writes=on", "-c", "max_connections=64"]);
        let mut server = Server::start("postgres", command, &root.path().join("server.log"))?;
        let mut client = server.wait_ready(Duration::from_secs(60), || Ok(connect(port)?))?;
        let version: String = client.query_one("SHOW server_version", &[])?.get(0);
        Ok(Postgres {
            server,
            port,
            version,
            tables: 0,
            _root: root,
        })
    }

    /// The server's version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// A new, empty table.
    fn table(&mut self) -> Result<String, Error> {
        self.tables += 1;
        let name = format!("events_{}", self.tables);
        connect(self.port)?.batch_execute(&format!(
            "CREATE TABLE {name} (key bytea PRIMARY KEY, bytes bytea NOT NULL)"
        ))?;
        Ok(name)
    }

    /// An edge office sends its backlog into the central database over loopback TCP, in
    /// transactions of a batch each; the figure includes the bytes that crossed and the
    /// cluster's peak memory (summed PSS of the postmaster and its backends).
    pub fn catch_up(&mut self, batches: &[Vec<Keyed>]) -> Result<CatchUp, Error> {
        let table = self.table()?;
        let mut client = connect(self.port)?;
        let sampler = PeakSampler::start(self.server.pid());
        let bytes_before = os::loopback_bytes()?;
        let started = Instant::now();
        let count = write_batches(&mut client, &table, batches)?;
        let rate = rate(count, started);
        let wire = os::loopback_bytes()? - bytes_before;
        Ok(CatchUp {
            rate,
            wire_per_event: wire as f64 / count as f64,
            peak_kb: sampler.stop(),
        })
    }
}

fn connect(port: u16) -> Result<Client, postgres::Error> {
    Client::connect(
        &format!("host=127.0.0.1 port={port} user=bench dbname=postgres"),
        NoTls,
    )
}

/// One transaction per batch, one statement per transaction (arrays unnested server-side).
fn write_batches(client: &mut Client, table: &str, batches: &[Vec<Keyed>]) -> Result<usize, Error> {
    let insert = client.prepare(&format!(
        "INSERT INTO {table} SELECT * FROM unnest($1::bytea[], $2::bytea[]) ON CONFLICT DO NOTHING"
    ))?;
    let mut count = 0;
    for batch in batches {
        let keys: Vec<&[u8]> = batch.iter().map(|event| event.key.as_slice()).collect();
        let bytes: Vec<&[u8]> = batch.iter().map(|event| event.bytes.as_slice()).collect();
        let mut transaction = client.transaction()?;
        transaction.execute(&insert, &[&keys, &bytes])?;
        transaction.commit()?;
        count += batch.len();
    }
    Ok(count)
}

impl Peer for Postgres {
    fn single(&mut self, events: &[Keyed]) -> Result<f64, Error> {
        let table = self.table()?;
        let mut client = connect(self.port)?;
        let insert = client.prepare(&format!("INSERT INTO {table} VALUES ($1, $2)"))?;
        let started = Instant::now();
        for event in events {
            client.execute(&insert, &[&event.key, &event.bytes])?;
        }
        Ok(rate(events.len(), started))
    }

    fn concurrent(&mut self, writers: &[&[Keyed]]) -> Result<f64, Error> {
        let table = self.table()?;
        let clients = writers
            .iter()
            .map(|_| {
                let mut client = connect(self.port)?;
                let insert = client.prepare(&format!("INSERT INTO {table} VALUES ($1, $2)"))?;
                Ok((client, insert))
            })
            .collect::<Result<Vec<_>, postgres::Error>>()?;
        in_threads(clients, writers, |(client, insert), event| {
            client
                .execute(&*insert, &[&event.key, &event.bytes])
                .map(|_| ())
                .map_err(|error| error.to_string())
        })
    }

    fn ingest(&mut self, batches: &[Vec<Keyed>]) -> Result<f64, Error> {
        let table = self.table()?;
        let mut client = connect(self.port)?;
        let started = Instant::now();
        let count = write_batches(&mut client, &table, batches)?;
        Ok(rate(count, started))
    }

    fn replay(&mut self, expected: usize) -> Result<f64, Error> {
        // The table the last ingest filled.
        let table = format!("events_{}", self.tables);
        let mut client = connect(self.port)?;
        let started = Instant::now();
        // Rows stream in as they come, not all at once.
        let mut rows = client.query_raw(
            &format!("SELECT bytes FROM {table} ORDER BY key"),
            std::iter::empty::<&str>(),
        )?;
        let mut count = 0;
        while let Some(row) = rows.next()? {
            decode(row.get::<_, &[u8]>(0))?;
            count += 1;
        }
        if count != expected {
            return Err(format!("PostgreSQL gave back {count} of {expected} events").into());
        }
        Ok(rate(count, started))
    }
}
