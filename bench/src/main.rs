//! Nhịp benchmarks. Every figure is printed beside the raw ceiling measured in the same run, on
//! the same events, on the same machine: the ratio is the result, not the absolute number.
//!
//! `cargo run --release -p nhip-bench -- engine|sync|accounts|audit|dashboard|report|daemon|peers [--quick] [--json]`

mod accounts;
mod audit;
mod daemon;
mod dashboard;
mod engine;
mod peers;
mod raw;
mod report;
mod sync;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "nhip-bench",
    about = "Nhịp benchmarks, each figure beside its raw ceiling"
)]
struct Cli {
    #[command(subcommand)]
    suite: Suite,
}

#[derive(Subcommand)]
enum Suite {
    /// The event log: replay, single append, 16 concurrent appenders, batched ingest.
    Engine(engine::Options),
    /// Sync over loopback QUIC: catch-up rate, bytes on the wire, resume after a cut.
    Sync(sync::Options),
    /// Accounts: replay with every event signed by a person beside unsigned and a raw scan;
    /// a login beside the argon2id derivation it is made of.
    Accounts(accounts::Options),
    /// Audit: verification of a whole log and a full replay, beside blake3 and redb scan.
    Audit(audit::Options),
    /// The hub's dashboard: the overview with 3,321 units and 1 M events, beside the same bytes
    /// served precomputed.
    Dashboard(dashboard::Options),
    /// The periodic report: a province's (3,321 units, 1 M events) and a commune's, both files
    /// made, beside a full replay of the same log.
    Report(report::Options),
    /// The running node: commands through its local API beside direct appends, and the
    /// latency from a command at a commune to the event durable at its hub.
    Daemon(daemon::Options),
    /// Nhịp beside SQLite, PostgreSQL and NATS JetStream on the same events: appends, ingest,
    /// replay, edge-to-hub catch-up, bytes on the wire and hub memory.
    Peers(peers::Options),
    /// The hub process of the peers suite's catch-up (started by `peers` itself).
    #[command(hide = true)]
    PeersHub(peers::HubOptions),
}

/// What every suite takes.
#[derive(clap::Args)]
pub struct Run {
    /// A run of a few seconds, for CI: small sizes, the same figures.
    #[arg(long)]
    pub quick: bool,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
}

/// One line of a benchmark's table.
#[derive(serde::Serialize)]
pub struct Figure {
    /// What was measured.
    pub metric: &'static str,
    /// Nhịp's rate.
    pub nhip: f64,
    /// What the ceiling measured.
    pub ceiling_name: &'static str,
    /// The ceiling's rate, measured in the same run.
    pub ceiling: f64,
    /// The unit of both rates.
    pub unit: &'static str,
    /// `nhip / ceiling`.
    pub ratio: f64,
    /// The ratio the design asks for: a floor, or a ceiling when `lower_is_better`.
    pub target: f64,
    /// Whether the ratio must stay at or under the target rather than reach it.
    pub lower_is_better: bool,
}

/// Prints figures as a table or as JSON.
pub fn print_figures(title: &str, context: &serde_json::Value, figures: &[Figure], json: bool) {
    if json {
        let out = serde_json::json!({ "suite": title, "context": context, "figures": figures });
        println!("{out:#}");
        return;
    }
    println!("{title}  {context}");
    println!(
        "{:<34} {:>14} {:>14}  {:<30} {:>7} {:>7}  ",
        "metric", "nhip", "ceiling", "ceiling is", "ratio", "target"
    );
    for figure in figures {
        let met = if figure.lower_is_better {
            figure.ratio <= figure.target
        } else {
            figure.ratio >= figure.target
        };
        let verdict = if figure.target == 0.0 {
            "no target"
        } else if met {
            "met"
        } else {
            "MISSED"
        };
        println!(
            "{:<34} {:>14.0} {:>14.0}  {:<30} {:>7.2} {:>7.2}  {verdict} ({})",
            figure.metric,
            figure.nhip,
            figure.ceiling,
            figure.ceiling_name,
            figure.ratio,
            figure.target,
            figure.unit
        );
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Cli::parse().suite {
        Suite::Engine(options) => engine::run(&options),
        Suite::Sync(options) => sync::run(&options),
        Suite::Accounts(options) => accounts::run(&options),
        Suite::Audit(options) => audit::run(&options),
        Suite::Dashboard(options) => dashboard::run(&options),
        Suite::Report(options) => report::run(&options),
        Suite::Daemon(options) => daemon::run(&options),
        Suite::Peers(options) => peers::run(&options).map_err(|error| error as _),
        Suite::PeersHub(options) => peers::hub(&options).map_err(|error| error as _),
    }
}
