//! The raw ceilings every figure is measured against, and what the suites share: the event
//! drafts, rates, and best-of-N runs. A ceiling does the least work the same task can take with
//! redb alone, on the same event bytes.

use std::path::Path;
use std::time::Instant;

use nhip_engine::body::{ItemProgressed, Known};
use nhip_engine::{Batch, Draft, Event, EventId, PersonId, UnitId};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

const RAW: TableDefinition<&[u8], &[u8]> = TableDefinition::new("raw");

/// 23 Sep 2025, the day of the conference notice: the sample clock.
pub const T0: u64 = 1_758_560_400_000;

/// A realistic progress event of about 250 bytes.
pub fn draft(n: u64) -> Draft {
    let item = EventId(uuid::Uuid::from_u64_pair(0x0199_7000_0000_7000, n / 4));
    Draft {
        id: EventId(uuid::Uuid::from_u64_pair(0x0199_7000_0000_7000, n)),
        actor: PersonId::new("lo-van-pao").expect("valid"),
        unit: UnitId::new("xa-binh-lu/ban-na-ri").expect("valid"),
        seen: Some(item),
        body: Known::ItemProgressed(ItemProgressed {
            item,
            percent: (n % 101) as u8,
            note: format!("Đã tiêu độc khử trùng {n} chuồng trại"),
        })
        .to_body(),
    }
}

/// Events per second for `count` events since `started`.
pub fn rate(count: usize, started: Instant) -> f64 {
    count as f64 / started.elapsed().as_secs_f64()
}

/// The best of `rounds` runs of `measure` (each run gets its own round number for file names).
pub fn best<T: PartialOrd + Copy>(
    rounds: usize,
    mut measure: impl FnMut(usize) -> Result<T, Box<dyn std::error::Error>>,
) -> Result<T, Box<dyn std::error::Error>> {
    let mut best = measure(0)?;
    for round in 1..rounds {
        let next = measure(round)?;
        if next > best {
            best = next;
        }
    }
    Ok(best)
}

/// The raw ceiling keys events as the log does (origin ‖ unit ‖ 0 ‖ seq); keys are computed before the
/// timed region, so the ceiling pays for no decoding at all.
pub fn raw_key(bytes: &[u8]) -> Vec<u8> {
    let event = Event::decode(bytes).expect("prepared events decode");
    let mut key = event.origin.0.to_vec();
    key.extend_from_slice(event.unit.as_str().as_bytes());
    key.push(0);
    key.extend_from_slice(&event.seq.0.to_be_bytes());
    key
}

/// Raw redb: one durable transaction per batch, one insert per event.
pub fn raw_batched_insert(path: &Path, batches: &[Batch]) -> f64 {
    let db = Database::create(path).expect("create");
    let keys: Vec<Vec<Vec<u8>>> = batches
        .iter()
        .map(|batch| batch.events.iter().map(|bytes| raw_key(bytes)).collect())
        .collect();
    let started = Instant::now();
    let mut count = 0;
    for (batch, keys) in batches.iter().zip(&keys) {
        let txn = db.begin_write().expect("begin");
        {
            let mut table = txn.open_table(RAW).expect("table");
            for (bytes, key) in batch.events.iter().zip(keys) {
                table
                    .insert(key.as_slice(), bytes.as_slice())
                    .expect("insert");
            }
        }
        txn.commit().expect("commit");
        count += batch.events.len();
    }
    rate(count, started)
}

/// Raw redb: scan the table and decode every event (envelope and body).
pub fn raw_scan_decode(path: &Path) -> f64 {
    let db = Database::open(path).expect("open");
    let started = Instant::now();
    let txn = db.begin_read().expect("read");
    let table = txn.open_table(RAW).expect("table");
    let mut count = 0;
    for entry in table.iter().expect("iter") {
        let (_, value) = entry.expect("entry");
        let event = Event::decode(value.value()).expect("decode");
        std::hint::black_box(Known::from_body(&event.body));
        count += 1;
    }
    rate(count, started)
}

/// Raw redb: one durable transaction per `group` inserts, from one thread: what a perfect group
/// commit of `group` concurrent appenders could reach on this disk.
pub fn raw_grouped_commits(path: &Path, commits: usize, group: usize, sample: &[u8]) -> f64 {
    let db = Database::create(path).expect("create");
    let started = Instant::now();
    let mut n = 0u64;
    for _ in 0..commits {
        let txn = db.begin_write().expect("begin");
        {
            let mut table = txn.open_table(RAW).expect("table");
            for _ in 0..group {
                let mut key = [0u8; 40];
                key[32..].copy_from_slice(&n.to_be_bytes());
                table.insert(key.as_slice(), sample).expect("insert");
                n += 1;
            }
        }
        txn.commit().expect("commit");
    }
    rate(commits * group, started)
}
