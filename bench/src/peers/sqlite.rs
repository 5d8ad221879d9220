//! SQLite through rusqlite: one table keyed as the log keys events, in WAL mode, with
//! `synchronous=FULL` (every commit fsynced) or `NORMAL` (commits reach the WAL file; fsync only
//! at checkpoints, so the last commits may be lost to a power cut).

use std::path::{Path, PathBuf};
use std::time::Instant;

use rusqlite::Connection;

use super::os::Error;
use super::{Keyed, Peer, decode, in_threads};
use crate::raw::rate;

/// SQLite in a folder of its own.
pub struct Sqlite {
    dir: PathBuf,
    full: bool,
}

impl Sqlite {
    /// SQLite in `dir`, with `synchronous=FULL` when `full`, else `NORMAL`.
    pub fn new(dir: &Path, full: bool) -> Result<Sqlite, Error> {
        let dir = dir.join(if full { "sqlite-full" } else { "sqlite-normal" });
        std::fs::create_dir_all(&dir)?;
        Ok(Sqlite { dir, full })
    }

    fn open(&self, name: &str) -> Result<Connection, Error> {
        let connection = Connection::open(self.dir.join(format!("{name}.db")))?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(
            None,
            "synchronous",
            if self.full { "FULL" } else { "NORMAL" },
        )?;
        connection.busy_timeout(std::time::Duration::from_secs(60))?;
        connection.execute(
            "CREATE TABLE IF NOT EXISTS events (key BLOB PRIMARY KEY, bytes BLOB NOT NULL) WITHOUT ROWID",
            [],
        )?;
        Ok(connection)
    }
}

impl Peer for Sqlite {
    fn single(&mut self, events: &[Keyed]) -> Result<f64, Error> {
        let connection = self.open("single")?;
        let mut insert = connection.prepare("INSERT INTO events (key, bytes) VALUES (?1, ?2)")?;
        let started = Instant::now();
        for event in events {
            insert.execute((&event.key, &event.bytes))?;
        }
        Ok(rate(events.len(), started))
    }

    fn concurrent(&mut self, writers: &[&[Keyed]]) -> Result<f64, Error> {
        // Each writer has its own connection; SQLite lets one write at a time and makes the
        // others wait (busy_timeout).
        let connections = writers
            .iter()
            .map(|_| self.open("concurrent"))
            .collect::<Result<Vec<_>, _>>()?;
        in_threads(connections, writers, |connection, event| {
            connection
                .prepare_cached("INSERT INTO events (key, bytes) VALUES (?1, ?2)")
                .and_then(|mut insert| insert.execute((&event.key, &event.bytes)))
                .map(|_| ())
                .map_err(|error| error.to_string())
        })
    }

    fn ingest(&mut self, batches: &[Vec<Keyed>]) -> Result<f64, Error> {
        let mut connection = self.open("ingest")?;
        let started = Instant::now();
        let mut count = 0;
        for batch in batches {
            let transaction = connection.transaction()?;
            {
                // OR IGNORE: a batch received twice is a no-op, as the log's ingest is.
                let mut insert = transaction
                    .prepare_cached("INSERT OR IGNORE INTO events (key, bytes) VALUES (?1, ?2)")?;
                for event in batch {
                    insert.execute((&event.key, &event.bytes))?;
                }
            }
            transaction.commit()?;
            count += batch.len();
        }
        Ok(rate(count, started))
    }

    fn replay(&mut self, expected: usize) -> Result<f64, Error> {
        let connection = self.open("ingest")?;
        let started = Instant::now();
        let mut select = connection.prepare("SELECT bytes FROM events ORDER BY key")?;
        let mut rows = select.query([])?;
        let mut count = 0;
        while let Some(row) = rows.next()? {
            decode(row.get_ref(0)?.as_blob()?)?;
            count += 1;
        }
        if count != expected {
            return Err(format!("SQLite gave back {count} of {expected} events").into());
        }
        Ok(rate(count, started))
    }
}
