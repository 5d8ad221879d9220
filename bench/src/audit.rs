//! The audit suite: verification of a whole log and a full replay, beside the raw ceilings of
//! the work they cannot avoid, measured in the same run on the same events: blake3 over every
//! event (the chain hashing) and a raw redb scan of every record.

use std::time::Instant;

use ed25519_dalek::SigningKey;
use nhip_engine::{EventLog, RedbLog, node_id, replay};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};

use crate::engine::prepare;
use crate::raw::{T0, best, rate};
use crate::{Figure, print_figures};

/// Options of the audit suite.
#[derive(clap::Args)]
pub struct Options {
    #[command(flatten)]
    run: crate::Run,
    /// Events in the log (default 1,000,000; 20,000 with --quick).
    #[arg(long)]
    events: Option<usize>,
}

const EVENTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("events");

/// Runs the suite.
pub fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let events = options
        .events
        .unwrap_or(if options.run.quick { 20_000 } else { 1_000_000 });
    let rounds = if options.run.quick { 1 } else { 3 };
    let dir = tempfile::tempdir()?;
    if !options.run.json {
        eprintln!("preparing a log of {events} events ...");
    }
    let batches = prepare(events, 8, 1024);
    let path = dir.path().join("log.redb");
    {
        let log = RedbLog::create(&path, node_id(&SigningKey::from_bytes(&[0xa0; 32])))?;
        for batch in &batches {
            log.ingest(T0 + 10 * events as u64, batch)?;
        }
    }
    let count: usize = batches.iter().map(|batch| batch.events.len()).sum();
    let bytes: Vec<&[u8]> = batches
        .iter()
        .flat_map(|batch| batch.events.iter().map(|event| event.as_slice()))
        .collect();

    let hashing = best(rounds, |_| {
        let started = Instant::now();
        let mut last = [0u8; 32];
        for event in &bytes {
            last = *blake3::hash(event).as_bytes();
        }
        std::hint::black_box(last);
        Ok(rate(bytes.len(), started))
    })?;
    let scan = best(rounds, |_| {
        let db = redb::ReadOnlyDatabase::open(&path)?;
        let started = Instant::now();
        let txn = db.begin_read()?;
        let table = txn.open_table(EVENTS)?;
        let mut seen = 0usize;
        for entry in table.iter()? {
            let (_, value) = entry?;
            seen += value.value().len().min(1);
        }
        Ok(rate(seen, started))
    })?;
    let verified = best(rounds, |_| {
        let log = RedbLog::open_read_only(&path)?;
        let started = Instant::now();
        let report = nhip_engine::audit::verify(&log, &mut |_| {})?;
        if !report.is_clean() {
            return Err(format!(
                "the benchmark log does not verify: {:?}",
                report.problems[0]
            )
            .into());
        }
        Ok(rate(report.events as usize, started))
    })?;
    let replayed = best(rounds, |_| {
        let log = RedbLog::open_read_only(&path)?;
        let started = Instant::now();
        let state = replay(&log)?;
        Ok(rate(state.events as usize, started))
    })?;
    let ceiling = hashing.min(scan);
    let figures = [
        Figure {
            metric: "verify (chains, seals, replay)",
            nhip: verified,
            ceiling_name: "min(blake3 chain hashing, redb scan)",
            ceiling,
            unit: "events/s",
            ratio: verified / ceiling,
            target: 0.0,
            lower_is_better: false,
        },
        Figure {
            metric: "full replay",
            nhip: replayed,
            ceiling_name: "raw redb scan",
            ceiling: scan,
            unit: "events/s",
            ratio: replayed / scan,
            target: 0.0,
            lower_is_better: false,
        },
    ];
    let context = serde_json::json!({
        "events": count,
        "rounds": rounds,
        "blake3_events_per_s": hashing,
        "redb_scan_events_per_s": scan,
        "note": "verification includes a full replay (the state hash is re-derived from zero)",
    });
    print_figures("audit", &context, &figures, options.run.json);
    Ok(())
}
