//! The accounts suite: what personal signatures cost. Replay of the same events unsigned and
//! each signed by a person, beside a raw redb scan of the signed bytes: a node's replay reads
//! the verdict its log kept when the event arrived (each signature verified once, ed25519
//! strict, on ingest), an audit's replay verifies every signature again. Also the cost moved to
//! arrival (ingest signed beside unsigned), and a login (opening a sealed key) beside the one
//! argon2id derivation it is made of.

use std::time::Instant;

use ed25519_dalek::SigningKey;
use nhip_engine::{RedbLog, replay_verifying, signature};
use nhip_node::account::{self, Sessions};

use crate::engine::{nhip_ingest, nhip_replay, prepare_with};
use crate::raw::{T0, best, draft, rate, raw_batched_insert, raw_scan_decode};
use crate::{Figure, print_figures};

/// Options of the accounts suite.
#[derive(clap::Args)]
pub struct Options {
    #[command(flatten)]
    run: crate::Run,
    /// Events replayed (default 200,000; 20,000 with --quick).
    #[arg(long)]
    events: Option<usize>,
    /// Logins timed (the median is reported).
    #[arg(long, default_value_t = 9)]
    logins: usize,
}

pub fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let events = options
        .events
        .unwrap_or(if options.run.quick { 20_000 } else { 200_000 });
    let rounds = if options.run.quick { 1 } else { 3 };
    let dir = tempfile::tempdir()?;
    let file = |name: &str, round: usize| dir.path().join(format!("{name}-{round}.redb"));
    let person = SigningKey::from_bytes(&[0x5a; 32]);
    let unsigned = prepare_with(events, 8, 1024, &draft);
    let signed = prepare_with(events, 8, 1024, &|n| signature::sign(draft(n), &person));
    let count: usize = signed.iter().map(|batch| batch.events.len()).sum();
    let now_ms = T0 + 10 * events as u64;
    // Receiving is where a signature is verified, once; the log keeps the verdict.
    let ingest_unsigned = nhip_ingest(&file("unsigned", 0), &unsigned, now_ms)?;
    let ingest_signed = nhip_ingest(&file("signed", 0), &signed, now_ms)?;
    raw_batched_insert(&file("raw", 0), &signed);
    let raw_scan = best(rounds, |_| Ok(raw_scan_decode(&file("raw", 0))))?;
    let replay_unsigned = best(rounds, |_| nhip_replay(&file("unsigned", 0), count))?;
    let replay_signed = best(rounds, |_| nhip_replay(&file("signed", 0), count))?;
    // An audit trusts no kept verdict and verifies every signature again.
    let audit_signed = best(rounds, |_| {
        let log = RedbLog::open(&file("signed", 0))?;
        let started = Instant::now();
        let state = replay_verifying(&log)?;
        Ok::<_, Box<dyn std::error::Error>>(rate(state.events as usize, started))
    })?;

    // A login: the sealed key opened with the passphrase (argon2id + the AEAD), beside the
    // argon2id derivation alone with the same parameters.
    let key = SigningKey::from_bytes(&[7; 32]);
    let passphrase = "trâu về chuồng lúc chiều tà";
    let sealed = account::seal(&key, passphrase)?;
    let sessions = Sessions::default();
    let who = nhip_engine::PersonId::new("nguyen-tien-thinh")?;
    let mut login_ms = Vec::new();
    let mut derive_ms = Vec::new();
    for n in 0..options.logins.max(1) {
        let started = Instant::now();
        let token = sessions.login(&who, Some(&sealed), passphrase, T0 + n as u64)?;
        login_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        sessions.logout(&token);
        let started = Instant::now();
        account::derive_only(passphrase)?;
        derive_ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let median = |values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let (login, derive) = (median(&mut login_ms), median(&mut derive_ms));

    let figures = [
        Figure {
            metric: "replay, events unsigned",
            nhip: replay_unsigned,
            ceiling_name: "raw redb scan + decode",
            ceiling: raw_scan,
            unit: "events/s",
            ratio: replay_unsigned / raw_scan,
            target: 0.8,
            lower_is_better: false,
        },
        Figure {
            metric: "replay, every event signed",
            nhip: replay_signed,
            ceiling_name: "raw redb scan + decode",
            ceiling: raw_scan,
            unit: "events/s",
            ratio: replay_signed / raw_scan,
            target: 0.8,
            lower_is_better: false,
        },
        Figure {
            metric: "replay signed ÷ unsigned",
            nhip: replay_signed,
            ceiling_name: "replay of the same unsigned",
            ceiling: replay_unsigned,
            unit: "events/s",
            ratio: replay_signed / replay_unsigned,
            target: 0.0,
            lower_is_better: false,
        },
        Figure {
            metric: "audit replay, every signature verified",
            nhip: audit_signed,
            ceiling_name: "raw redb scan + decode",
            ceiling: raw_scan,
            unit: "events/s",
            ratio: audit_signed / raw_scan,
            target: 0.0,
            lower_is_better: false,
        },
        Figure {
            metric: "ingest signed ÷ unsigned",
            nhip: ingest_signed,
            ceiling_name: "ingest of the same unsigned",
            ceiling: ingest_unsigned,
            unit: "events/s",
            ratio: ingest_signed / ingest_unsigned,
            target: 0.0,
            lower_is_better: false,
        },
        Figure {
            metric: "login (open a sealed key)",
            nhip: login,
            ceiling_name: "one argon2id derivation",
            ceiling: derive,
            unit: "ms",
            ratio: login / derive,
            target: 1.1,
            lower_is_better: true,
        },
    ];
    print_figures(
        "accounts",
        &serde_json::json!({ "events": count, "logins": options.logins }),
        &figures,
        options.run.json,
    );
    Ok(())
}
