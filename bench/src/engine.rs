//! The engine suite: the four figures of the event-log issue, each beside a raw redb ceiling
//! written with the same event bytes in the same run.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use ed25519_dalek::SigningKey;
use nhip_engine::{
    Batch, ChainId, Draft, EventLog, MemoryLog, RedbLog, Seq, UnitId, node_id, replay,
};

use crate::raw::{T0, best, draft, rate, raw_batched_insert, raw_grouped_commits, raw_scan_decode};
use crate::{Figure, print_figures};

/// Options of the engine suite.
#[derive(clap::Args)]
pub struct Options {
    #[command(flatten)]
    run: crate::Run,
    /// Events for the replay and ingest figures (default 1,000,000; 20,000 with --quick).
    #[arg(long)]
    events: Option<usize>,
    /// Durable commits for the append figures (default 2,000; 200 with --quick).
    #[arg(long)]
    commits: Option<usize>,
    /// Origins the events come from.
    #[arg(long, default_value_t = 8)]
    origins: usize,
    /// Events per ingested batch (and per raw batched commit).
    #[arg(long, default_value_t = 1024)]
    batch: usize,
    /// Concurrent appenders for the group-commit figure.
    #[arg(long, default_value_t = 16)]
    writers: usize,
}

/// The events of `origins` offices, as the sealed batches a sync would carry, interleaved
/// across origins the way arrivals interleave at a hub.
pub fn prepare(events: usize, origins: usize, batch: usize) -> Vec<Batch> {
    prepare_with(events, origins, batch, &draft)
}

/// [`prepare`] with events drafted by `make` (the n-th event, counting from 1).
pub fn prepare_with(
    events: usize,
    origins: usize,
    batch: usize,
    make: &dyn Fn(u64) -> Draft,
) -> Vec<Batch> {
    let per_origin = events.div_ceil(origins);
    let mut per_origin_batches: Vec<Vec<Batch>> = Vec::new();
    let mut n = 0u64;
    for index in 0..origins {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&(index as u64 + 1).to_le_bytes());
        let signer = SigningKey::from_bytes(&seed);
        let log = MemoryLog::new(node_id(&signer));
        let mut written = 0;
        while written < per_origin {
            let count = batch.min(per_origin - written);
            let drafts = (0..count)
                .map(|_| {
                    n += 1;
                    make(n)
                })
                .collect();
            log.append(&signer, T0 + n, drafts).expect("append");
            written += count;
        }
        let mut batches = Vec::new();
        let mut from = Seq(1);
        let chain = ChainId {
            origin: node_id(&signer),
            unit: UnitId::new("xa-binh-lu/ban-na-ri").expect("valid"),
        };
        while let Some(next) = log
            .batch_from(&chain, from, batch, usize::MAX)
            .expect("read")
        {
            from = Seq(from.0 + next.events.len() as u64);
            batches.push(next);
        }
        per_origin_batches.push(batches);
    }
    let mut interleaved = Vec::new();
    let rounds = per_origin_batches.iter().map(Vec::len).max().unwrap_or(0);
    for round in 0..rounds {
        for batches in &mut per_origin_batches {
            if round < batches.len() {
                interleaved.push(std::mem::take(&mut batches[round]));
            }
        }
    }
    interleaved
}

pub fn nhip_ingest(
    path: &Path,
    batches: &[Batch],
    now_ms: u64,
) -> Result<f64, Box<dyn std::error::Error>> {
    let log = RedbLog::create(path, node_id(&SigningKey::from_bytes(&[0xaa; 32])))?;
    let count: usize = batches.iter().map(|batch| batch.events.len()).sum();
    let started = Instant::now();
    for batch in batches {
        let report = log.ingest(now_ms, batch)?;
        if !report.refused.is_empty() {
            return Err(format!("ingest refused: {:?}", report.refused[0]).into());
        }
    }
    Ok(rate(count, started))
}

pub fn nhip_replay(path: &Path, expected: usize) -> Result<f64, Box<dyn std::error::Error>> {
    let log = RedbLog::open(path)?;
    let started = Instant::now();
    let state = replay(&log)?;
    let replayed = rate(state.events as usize, started);
    if state.events as usize != expected {
        return Err(format!("replay saw {} of {expected} events", state.events).into());
    }
    Ok(replayed)
}

pub fn nhip_single(
    path: &Path,
    commits: usize,
    make: &dyn Fn(u64) -> Draft,
) -> Result<f64, Box<dyn std::error::Error>> {
    let signer = SigningKey::from_bytes(&[0xbb; 32]);
    let log = RedbLog::create(path, node_id(&signer))?;
    let drafts: Vec<Draft> = (0..commits as u64).map(make).collect();
    let started = Instant::now();
    for (n, draft) in drafts.into_iter().enumerate() {
        log.append(&signer, T0 + n as u64, vec![draft])?;
    }
    Ok(rate(commits, started))
}

/// `writers` threads appending one event at a time; returns appends/s and commits made.
pub fn nhip_concurrent(
    path: &Path,
    writers: usize,
    per_writer: usize,
    make: &(dyn Fn(u64) -> Draft + Sync),
) -> Result<(f64, u64), Box<dyn std::error::Error>> {
    let signer = SigningKey::from_bytes(&[0xbb; 32]);
    let log = Arc::new(RedbLog::create(path, node_id(&signer))?);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for writer in 0..writers {
            let log = Arc::clone(&log);
            let signer = signer.clone();
            scope.spawn(move || {
                for n in 0..per_writer {
                    let id = (writer * per_writer + n) as u64;
                    log.append(&signer, T0 + id, vec![make(id)])
                        .expect("append");
                }
            });
        }
    });
    Ok((rate(writers * per_writer, started), log.append_commits()))
}

/// Runs the suite.
pub fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let events = options
        .events
        .unwrap_or(if options.run.quick { 20_000 } else { 1_000_000 });
    let commits = options
        .commits
        .unwrap_or(if options.run.quick { 200 } else { 2_000 });
    // Disks are noisy: each figure and each ceiling is the best of a few runs.
    let rounds = if options.run.quick { 1 } else { 3 };
    let dir = tempfile::tempdir()?;
    let file = |name: &str, round: usize| dir.path().join(format!("{name}-{round}.redb"));
    if !options.run.json {
        eprintln!(
            "preparing {events} events from {} origins ...",
            options.origins
        );
    }
    let batches = prepare(events, options.origins, options.batch);
    let event_count: usize = batches.iter().map(|batch| batch.events.len()).sum();
    let bytes: usize = batches
        .iter()
        .flat_map(|batch| batch.events.iter().map(|bytes| bytes.len()))
        .sum();
    let now_ms = T0 + 10 * events as u64;

    let raw_insert = best(rounds, |round| {
        Ok(raw_batched_insert(&file("raw", round), &batches))
    })?;
    let ingest = best(rounds, |round| {
        nhip_ingest(&file("nhip", round), &batches, now_ms)
    })?;
    let raw_scan = best(rounds, |_| Ok(raw_scan_decode(&file("raw", 0))))?;
    let replayed = best(rounds, |_| nhip_replay(&file("nhip", 0), event_count))?;

    let sample = batches[0].events[0].to_vec();
    let raw_single = best(rounds, |round| {
        Ok(raw_grouped_commits(
            &file("raw-single", round),
            commits,
            1,
            &sample,
        ))
    })?;
    let single = best(rounds, |round| {
        nhip_single(&file("single", round), commits, &draft)
    })?;
    let raw_group = best(rounds, |round| {
        Ok(raw_grouped_commits(
            &file("raw-group", round),
            commits,
            options.writers,
            &sample,
        ))
    })?;
    let (concurrent, group_commits) = best(rounds, |round| {
        nhip_concurrent(&file("group", round), options.writers, commits, &draft)
    })?;

    let figures = [
        Figure {
            metric: "replay",
            nhip: replayed,
            ceiling_name: "raw redb scan + decode",
            ceiling: raw_scan,
            unit: "events/s",
            ratio: replayed / raw_scan,
            target: 0.80,
            lower_is_better: false,
        },
        Figure {
            metric: "single durable append",
            nhip: single,
            ceiling_name: "raw redb 1-insert commit",
            ceiling: raw_single,
            unit: "appends/s",
            ratio: single / raw_single,
            target: 0.90,
            lower_is_better: false,
        },
        Figure {
            metric: "concurrent appends (group commit)",
            nhip: concurrent,
            ceiling_name: "nhip single append (above)",
            ceiling: single,
            unit: "appends/s",
            ratio: concurrent / single,
            target: 10.0,
            lower_is_better: false,
        },
        Figure {
            metric: "batched ingest (verify + store)",
            nhip: ingest,
            ceiling_name: "raw redb batched insert",
            ceiling: raw_insert,
            unit: "events/s",
            ratio: ingest / raw_insert,
            target: 0.66,
            lower_is_better: false,
        },
    ];
    let context = serde_json::json!({
        "events": event_count,
        "mean_event_bytes": bytes / event_count.max(1),
        "origins": options.origins,
        "batch": options.batch,
        "commits": commits,
        "writers": options.writers,
        "rounds": rounds,
        "group_commits": group_commits,
        "raw_group_commit_ceiling": raw_group,
        "best_possible_group_ratio": raw_group / raw_single,
        "durability": "redb Durability::Immediate (fsync per commit) on both sides",
    });
    print_figures("engine", &context, &figures, options.run.json);
    Ok(())
}
