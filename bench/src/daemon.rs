//! The daemon suite: a commune's running node, live-linked to its running hub, driven through
//! its local API as the `nhip` command drives it.
//!
//! Figures: commands per second through the socket (one caller, and 20 at once) beside the same
//! commands appended directly in the same process — the ceiling, with no socket, no HTTP and
//! no command-line parsing; and the latency from a command at the commune to the event durable
//! at the hub (median and p99), beside a direct durable append at the commune.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nhip_engine::command::Command;
use nhip_engine::{ChainId, Date, EventLog, PersonId, UnitId};
use nhip_node::account::Actor;
use nhip_node::api::{self, RunRequest};
use nhip_node::daemon;
use nhip_node::enroll;
use nhip_node::home::Home;
use nhip_node::transport::{self, Mode};

use crate::{Figure, print_figures};

/// Options of the daemon suite.
#[derive(clap::Args)]
pub struct Options {
    #[command(flatten)]
    run: crate::Run,
}

const HUB_UNIT: &str = "lai-chau";
const COMMUNE_UNIT: &str = "lai-chau/binh-lu";

fn person(code: &str) -> Result<PersonId, Box<dyn std::error::Error>> {
    Ok(PersonId::new(code)?)
}

fn unit(code: &str) -> Result<UnitId, Box<dyn std::error::Error>> {
    Ok(UnitId::new(code)?)
}

/// What the running pair leaves for the measurements.
struct Pair {
    hub: Arc<Home>,
    commune: Arc<Home>,
    socket: PathBuf,
    stop: tokio::sync::watch::Sender<bool>,
}

fn node_of(home: &Home) -> daemon::Node {
    daemon::Node {
        changes: home.changes.clone(),
        ..daemon::Node::new(
            home.key.clone(),
            home.config.unit.clone(),
            home.log.clone(),
            home.directory(),
        )
    }
}

/// A hub with its administrator and an invitation, a commune that joins it, both running as
/// `nhip serve` runs them: the hub serving, the commune live-linked and serving its socket.
async fn start(dir: &Path) -> Result<Pair, Box<dyn std::error::Error>> {
    let admin = person("admin-tinh")?;
    let hub = Home::create(&dir.join("hub"), unit(HUB_UNIT)?, admin.clone())?;
    for command in [
        Command::AssignRole {
            person: admin.clone(),
            unit: unit(HUB_UNIT)?,
            role: nhip_engine::registry::ADMIN_ROLE.into(),
        },
        Command::DefineUnit {
            unit: unit(HUB_UNIT)?,
            name: "Tỉnh Lai Châu".into(),
            kind: "hub".into(),
        },
    ] {
        hub.act(&Actor::unsigned(admin.clone()), command)?;
    }
    let endpoint = transport::server_endpoint("127.0.0.1:0".parse()?, &hub.key, hub.admission())?;
    let addr = endpoint.local_addr()?;
    let invite = enroll::invite(
        &hub,
        &unit(COMMUNE_UNIT)?,
        "Xã Bình Lư",
        Some((&person("ta-thi-dung")?, "Tạ Thị Dung")),
        &addr.to_string(),
        7,
        &Actor::unsigned(admin.clone()),
    )?;
    let hub = Arc::new(hub);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let when_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    };
    tokio::spawn(daemon::serve(
        endpoint,
        node_of(&hub),
        Some(hub.clone()),
        when_stopped(),
    ));
    let mut commune = Home::create(
        &dir.join("commune"),
        unit(COMMUNE_UNIT)?,
        person("ta-thi-dung")?,
    )?;
    enroll::join(&mut commune, &invite).await?;
    let commune = Arc::new(commune);
    let node = node_of(&commune);
    let parent = daemon::Parent {
        addr,
        node: nhip_engine::node_id(&hub.key),
    };
    let uplink = transport::client_endpoint("127.0.0.1:0".parse()?, &commune.key, parent.node)?;
    // The registry first, then the live link.
    daemon::sync_with_parent(&uplink, &node, &parent, Mode::Once).await?;
    {
        let node = node.clone();
        let stopped = when_stopped();
        tokio::spawn(async move {
            daemon::sync_watch(&uplink, &node, &parent, stopped, |_, _| {}).await;
        });
    }
    api::server::serve_socket(
        commune.clone(),
        node,
        nhip_node::cli::run_for_caller,
        when_stopped(),
    )
    .await?;
    Ok(Pair {
        socket: commune.dir.join(api::SOCKET_FILE),
        hub,
        commune,
        stop,
    })
}

fn create_args(title: &str) -> Vec<String> {
    [
        "nhip",
        "task",
        "create",
        "--title",
        title,
        "--deadline",
        "31/12/2099",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn through_api(pair: &Pair, title: &str) -> Result<(), String> {
    let answer = api::client::run(
        &pair.socket,
        &RunRequest {
            args: create_args(title),
            cwd: PathBuf::from("/"),
            session: None,
            passphrase: None,
        },
    )?;
    if answer.code != 0 {
        return Err(answer.err);
    }
    Ok(())
}

fn direct(pair: &Pair, title: &str) -> Result<(), String> {
    pair.commune
        .act(
            &Actor::unsigned(pair.commune.config.person.clone()),
            Command::CreateItem {
                workflow: "task".into(),
                unit: pair.commune.config.unit.clone(),
                title: title.to_owned(),
                description: String::new(),
                lead_unit: None,
                coordinating: Vec::new(),
                assignee: None,
                deadline: Some(Date::from_ymd(2099, 12, 31).ok_or("date")?),
                parent: None,
                indicator: None,
            },
        )
        .map(drop)
        .map_err(|error| error.to_string())
}

/// Commands per second with `callers` at once, `each` commands each.
fn rate(
    pair: &Arc<Pair>,
    callers: usize,
    each: usize,
    label: &'static str,
    one: fn(&Pair, &str) -> Result<(), String>,
) -> Result<f64, String> {
    let started = Instant::now();
    let threads: Vec<_> = (0..callers)
        .map(|caller| {
            let pair = pair.clone();
            std::thread::spawn(move || {
                for n in 0..each {
                    one(&pair, &format!("{label} {caller}-{n}"))?;
                }
                Ok::<_, String>(())
            })
        })
        .collect();
    for thread in threads {
        thread.join().map_err(|_| "a caller panicked")??;
    }
    Ok((callers * each) as f64 / started.elapsed().as_secs_f64())
}

/// The commune's chain head as the hub holds it.
fn held_at_hub(pair: &Pair) -> Result<u64, Box<dyn std::error::Error>> {
    let chain = ChainId {
        origin: pair.commune.node(),
        unit: pair.commune.config.unit.clone(),
    };
    Ok(pair
        .hub
        .log
        .heads()?
        .get(&chain)
        .map_or(0, |head| head.seq.0))
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * share).round() as usize;
    sorted.get(at).copied().unwrap_or_default()
}

/// Runs the suite.
pub fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let (each, callers, samples) = if options.run.quick {
        (100, 20, 50)
    } else {
        (1_000, 20, 500)
    };
    let dir = tempfile::tempdir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let pair = Arc::new(runtime.block_on(start(dir.path()))?);

    let api_one = rate(&pair, 1, each, "api", through_api)?;
    let direct_one = rate(&pair, 1, each, "direct", direct)?;
    let api_many = rate(&pair, callers, each / 5, "api-n", through_api)?;
    let direct_many = rate(&pair, callers, each / 5, "direct-n", direct)?;

    // Command at the commune to durable at the hub, one at a time.
    let mut to_parent = Vec::with_capacity(samples);
    let mut local = Vec::with_capacity(samples);
    let deadline = Duration::from_secs(30);
    for n in 0..samples {
        let before = held_at_hub(&pair)?;
        let started = Instant::now();
        through_api(&pair, &format!("latency {n}"))?;
        while held_at_hub(&pair)? <= before {
            if started.elapsed() > deadline {
                return Err("an event did not reach the hub in 30 s".into());
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        to_parent.push(started.elapsed());
        let started = Instant::now();
        direct(&pair, &format!("local {n}"))?;
        local.push(started.elapsed());
    }
    to_parent.sort();
    local.sort();
    let _ = pair.stop.send(true);

    let us = |duration: Duration| duration.as_secs_f64() * 1_000_000.0;
    let figures = [
        Figure {
            metric: "commands through the API, 1 caller",
            nhip: api_one,
            ceiling_name: "direct appends, 1 caller",
            ceiling: direct_one,
            unit: "commands/s",
            ratio: api_one / direct_one,
            target: 0.0,
            lower_is_better: false,
        },
        Figure {
            metric: "commands through the API, 20 at once",
            nhip: api_many,
            ceiling_name: "direct appends, 20 threads",
            ceiling: direct_many,
            unit: "commands/s",
            ratio: api_many / direct_many,
            target: 0.0,
            lower_is_better: false,
        },
        Figure {
            metric: "command to durable at parent, p50",
            nhip: us(percentile(&to_parent, 0.5)),
            ceiling_name: "direct durable append, p50",
            ceiling: us(percentile(&local, 0.5)),
            unit: "µs",
            ratio: us(percentile(&to_parent, 0.5)) / us(percentile(&local, 0.5)),
            target: 0.0,
            lower_is_better: true,
        },
        Figure {
            metric: "command to durable at parent, p99",
            nhip: us(percentile(&to_parent, 0.99)),
            ceiling_name: "direct durable append, p99",
            ceiling: us(percentile(&local, 0.99)),
            unit: "µs",
            ratio: us(percentile(&to_parent, 0.99)) / us(percentile(&local, 0.99)),
            target: 0.0,
            lower_is_better: true,
        },
    ];
    print_figures(
        "daemon",
        &serde_json::json!({ "commands": each, "callers": callers, "latency_samples": samples }),
        &figures,
        options.run.json,
    );
    Ok(())
}
