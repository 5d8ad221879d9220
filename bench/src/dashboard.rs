//! The dashboard suite: the hub's overview with 3,321 units and 1 M events (the issue's bar is
//! under 100 ms), and the office app as a commune's chairman uses it on that hub — his work,
//! the overdue list across units (both under 100 ms), what the first load transfers (under
//! 300 kB) and how soon a page hears of a change and has the new data (under 1 s) — each beside
//! the raw ceiling of the same HTTP stack serving the same bytes precomputed, in the same run.
//!
//! The hub is real: a node folder, its redb log, the registry and items written as events and
//! checked by a full replay before anything is measured (every event must apply).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Instant;

use nhip_engine::body::{ItemCreated, ItemProgressed, Known};
use nhip_engine::command::Command;
use nhip_engine::{Date, Draft, EventId, EventLog, PersonId, UnitId, replay};
use nhip_node::daemon::StatusBoard;
use nhip_node::home::Home;

use crate::raw::T0;
use crate::{Figure, print_figures};

/// Options of the dashboard suite.
#[derive(clap::Args)]
pub struct Options {
    #[command(flatten)]
    run: crate::Run,
    /// Requests per measured figure (the median is reported).
    #[arg(long, default_value_t = 21)]
    requests: usize,
}

/// The day the overview counts overdue work against.
pub(crate) const TODAY: &str = "2025-11-15";

/// Events per item: its creation and this many progress reports.
const PROGRESS_PER_ITEM: usize = 4;

/// Districts and communes per district: 1 + 40 + 40 × 82 = 3,321 units.
pub(crate) const TREE: (usize, usize) = (40, 82);
pub(crate) const QUICK_TREE: (usize, usize) = (4, 50);

fn unit(path: &str) -> Result<UnitId, Box<dyn std::error::Error>> {
    Ok(UnitId::new(path)?)
}

/// Writes the province: the registry through commands (so it is exactly what `nhip` writes),
/// then each commune's items and progress reports, one commit per commune.
pub(crate) fn write_hub(
    home: &Home,
    tree: (usize, usize),
    events: usize,
) -> Result<(u64, usize), Box<dyn std::error::Error>> {
    let admin = PersonId::new("admin-tinh")?;
    let acting = nhip_node::account::Actor::unsigned(admin.clone());
    let root = home.config.unit.clone();
    let act = |state: &nhip_engine::State, command| home.act_at(state, &acting, command, T0);
    let state = home.state()?;
    act(
        &state,
        Command::AssignRole {
            person: admin.clone(),
            unit: root.clone(),
            role: "quan-tri".into(),
        },
    )?;
    let state = home.state()?;
    let mut communes = Vec::new();
    for district in 0..tree.0 {
        let district_unit = unit(&format!("{root}/huyen-{district}"))?;
        act(
            &state,
            Command::DefineUnit {
                unit: district_unit.clone(),
                name: format!("Huyện {district}"),
                kind: "district".into(),
            },
        )?;
        for commune in 0..tree.1 {
            communes.push((
                unit(&format!("{district_unit}/xa-{commune}"))?,
                format!("Xã {district}-{commune}"),
            ));
        }
    }
    let state = home.state()?;
    for (commune, name) in &communes {
        act(
            &state,
            Command::DefineUnit {
                unit: commune.clone(),
                name: name.clone(),
                kind: "commune".into(),
            },
        )?;
    }
    let registry_events = home
        .log
        .heads()?
        .values()
        .map(|head| head.seq.0)
        .sum::<u64>();

    let per_item = 1 + PROGRESS_PER_ITEM;
    let items_per_commune = (events - registry_events as usize)
        .div_ceil(per_item * communes.len())
        .max(1);
    let today = Date::parse(TODAY)?;
    let mut n = 0u64;
    let mut items = 0;
    for (index, (commune, _)) in communes.iter().enumerate() {
        let mut drafts = Vec::with_capacity(items_per_commune * per_item);
        for k in 0..items_per_commune {
            n += 1;
            let item = EventId(uuid::Uuid::from_u64_pair(0x0199_7000_0000_7000, n << 8));
            let mut created = ItemCreated::simple(
                "task",
                format!("Nhiệm vụ {k} của {commune}"),
                commune.clone(),
                Some(today.plus_days((n % 60) as i32 - 20)),
            );
            created.assignee = Some(admin.clone());
            drafts.push(Draft {
                id: item,
                actor: admin.clone(),
                unit: commune.clone(),
                seen: None,
                body: Known::ItemCreated(created).to_body(),
            });
            for step in 1..=PROGRESS_PER_ITEM {
                drafts.push(Draft {
                    id: EventId(uuid::Uuid::from_u64_pair(
                        0x0199_7000_0000_7000,
                        (n << 8) + step as u64,
                    )),
                    actor: admin.clone(),
                    unit: commune.clone(),
                    seen: Some(item),
                    body: Known::ItemProgressed(ItemProgressed {
                        item,
                        percent: (step * 20) as u8,
                        note: format!("Đã hoàn thành bước {step}"),
                    })
                    .to_body(),
                });
            }
            items += 1;
        }
        home.log.append(&home.key, T0 + 1 + index as u64, drafts)?;
    }
    Ok((registry_events, items))
}

/// One HTTP/1.1 GET over a fresh connection; returns the body's length.
fn get(addr: SocketAddr, path: &str) -> Result<usize, Box<dyn std::error::Error>> {
    let mut stream = TcpStream::connect(addr)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    if !response.starts_with(b"HTTP/1.1 200") {
        return Err(format!(
            "GET {path}: {}",
            String::from_utf8_lossy(&response[..response.len().min(200)])
        )
        .into());
    }
    Ok(response.len())
}

/// The median time of `requests` GETs, in milliseconds.
fn median_ms(
    requests: usize,
    mut once: impl FnMut() -> Result<usize, Box<dyn std::error::Error>>,
) -> Result<f64, Box<dyn std::error::Error>> {
    let mut times = Vec::with_capacity(requests);
    for _ in 0..requests.max(1) {
        let started = Instant::now();
        once()?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// Serves `body` at `/` from the same HTTP stack (axum on tokio): the ceiling.
async fn static_server(body: Arc<Vec<u8>>) -> Result<SocketAddr, Box<dyn std::error::Error>> {
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let body = body.clone();
            async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    body.as_ref().clone(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}

pub fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let (tree, events) = if options.run.quick {
        (QUICK_TREE, 20_000)
    } else {
        (TREE, 1_000_000)
    };
    let units = 1 + tree.0 + tree.0 * tree.1;
    let dir = tempfile::tempdir()?;
    if !options.run.json {
        eprintln!("preparing a hub with {units} units and about {events} events ...");
    }
    let home = Home::create(
        &dir.path().join("hub"),
        unit("tinh")?,
        PersonId::new("admin-tinh")?,
    )?;
    let (registry_events, items) = write_hub(&home, tree, events)?;
    let state = replay(home.log.as_ref())?;
    if !state.refused.is_empty() || state.items.len() != items {
        return Err(format!(
            "the generated hub does not replay cleanly: {} refused, {} of {items} items",
            state.refused.len(),
            state.items.len()
        )
        .into());
    }
    let total_events = state.events;
    drop(state);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let home = Arc::new(home);
    let (changes, watch) = tokio::sync::watch::channel(0u64);
    let addr = runtime.block_on(nhip_node::app::serve(
        "127.0.0.1:0".parse()?,
        home.clone(),
        Arc::new(StatusBoard::default()),
        watch,
        std::future::pending(),
    ))?;
    let path = format!("/api/overview?today={TODAY}");

    // Cold: the first request replays the whole log.
    let started = Instant::now();
    let body_len = get(addr, &path)?;
    let cold_ms = started.elapsed().as_secs_f64() * 1000.0;
    // Warm: the state is current; every request still computes the overview afresh.
    let warm_ms = median_ms(options.requests, || get(addr, &path))?;
    // After a sync: 1,000 new events are folded incrementally before the overview is computed.
    let admin = PersonId::new("admin-tinh")?;
    // The first item written, in the first commune.
    let commune = unit(&format!("{}/huyen-0/xa-0", home.config.unit))?;
    let item = EventId(uuid::Uuid::from_u64_pair(0x0199_7000_0000_7000, 1 << 8));
    let mut incremental = Vec::new();
    for round in 0..options.requests.clamp(1, 5) {
        let drafts = (0..1000u64)
            .map(|k| Draft {
                id: EventId(uuid::Uuid::from_u64_pair(
                    0x0199_7100_0000_7000,
                    (round as u64) << 20 | k,
                )),
                actor: admin.clone(),
                unit: commune.clone(),
                seen: Some(item),
                body: Known::ItemProgressed(ItemProgressed {
                    item,
                    percent: (k % 100) as u8,
                    note: "Cập nhật".into(),
                })
                .to_body(),
            })
            .collect();
        home.log
            .append(&home.key, T0 + 1_000_000 + round as u64, drafts)?;
        home.changes.send_modify(|generation| *generation += 1);
        changes.send_modify(|generation| *generation += 1);
        let started = Instant::now();
        get(addr, &path)?;
        incremental.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    incremental.sort_by(f64::total_cmp);
    let incremental_ms = incremental[incremental.len() / 2];

    // The ceiling: the same bytes from the same HTTP stack, precomputed.
    let mut stream = TcpStream::connect(addr)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let body = response
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map(|at| response[at + 4..].to_vec())
        .unwrap_or_default();
    let ceiling_addr = runtime.block_on(static_server(Arc::new(body)))?;
    let ceiling_ms = median_ms(options.requests, || get(ceiling_addr, "/"))?;

    let per_second = |ms: f64| 1000.0 / ms;
    let figure = |metric, ms: f64| Figure {
        metric,
        nhip: per_second(ms),
        ceiling_name: "same bytes, precomputed",
        ceiling: per_second(ceiling_ms),
        unit: "requests/s",
        ratio: ceiling_ms / ms,
        target: 0.0,
        lower_is_better: false,
    };
    let app = app_figures(&runtime, &home, addr, &changes, options.requests)?;
    let mut figures = vec![
        figure("overview, state current", warm_ms),
        figure("overview after 1,000 new events", incremental_ms),
        figure("first overview (full replay)", cold_ms),
    ];
    figures.extend(app.figures);
    let context = serde_json::json!({
        "units": units,
        "events": total_events,
        "registry_events": registry_events,
        "items": items,
        "overview_bytes": body_len,
        "overview_ms": warm_ms,
        "after_new_events_ms": incremental_ms,
        "first_overview_ms": cold_ms,
        "ceiling_ms": ceiling_ms,
        "target_ms": 100,
        "app": app.context,
    });
    print_figures("dashboard", &context, &figures, options.run.json);
    if !options.run.json {
        let verdict = |ms: f64| if ms < 100.0 { "met" } else { "MISSED" };
        println!(
            "overview {warm_ms:.1} ms ({}), after 1,000 new events {incremental_ms:.1} ms ({}); target < 100 ms; first (full replay) {cold_ms:.0} ms",
            verdict(warm_ms),
            verdict(incremental_ms)
        );
        println!("{}", app.verdict);
    }
    Ok(())
}

/// The office app's figures.
struct AppFigures {
    figures: Vec<Figure>,
    context: serde_json::Value,
    verdict: String,
}

const CHAIRMAN_PASSPHRASE: &str = "chủ tịch xã đi họp sớm";

/// One HTTP/1.1 request over a fresh connection: the status and the body.
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    cookie: &str,
    body: &str,
) -> Result<(u16, Vec<u8>, String), Box<dyn std::error::Error>> {
    let mut stream = TcpStream::connect(addr)?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let at = response
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or("no header end")?;
    let head = String::from_utf8_lossy(&response[..at]).into_owned();
    let status = head
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    Ok((status, response[at + 4..].to_vec(), head))
}

/// A GET as the logged-in person that must answer 200: the whole response's length.
fn get_as(addr: SocketAddr, path: &str, cookie: &str) -> Result<usize, Box<dyn std::error::Error>> {
    let (status, body, head) = request(addr, "GET", path, cookie, "")?;
    if status != 200 {
        return Err(format!("GET {path}: {head}").into());
    }
    Ok(head.len() + 4 + body.len())
}

/// The office app on the loaded hub, as the chairman of one commune uses it.
fn app_figures(
    runtime: &tokio::runtime::Runtime,
    home: &Arc<Home>,
    addr: SocketAddr,
    changes: &tokio::sync::watch::Sender<u64>,
    requests: usize,
) -> Result<AppFigures, Box<dyn std::error::Error>> {
    use nhip_node::account::Actor;
    let admin = Actor::unsigned(PersonId::new("admin-tinh")?);
    let chairman = PersonId::new("chu-tich-xa-0")?;
    let commune = unit(&format!("{}/huyen-0/xa-0", home.config.unit))?;
    for command in [
        Command::RegisterPerson {
            person: chairman.clone(),
            name: "Chủ tịch Xã 0-0".into(),
            unit: commune.clone(),
        },
        Command::AssignRole {
            person: chairman.clone(),
            unit: commune.clone(),
            role: "chu-tich".into(),
        },
    ] {
        home.act(&admin, command)?;
    }
    let now = T0 + 2_000_000;
    let code = nhip_node::setup::issue_code(home, &admin, &chairman, u64::MAX / 2)?;
    nhip_node::setup::set_up(home, &chairman, &code, CHAIRMAN_PASSPHRASE, now)?;
    changes.send_modify(|generation| *generation += 1);
    let (status, _, head) = request(
        addr,
        "POST",
        "/app/login",
        "",
        &serde_json::json!({ "person": chairman.as_str(), "passphrase": CHAIRMAN_PASSPHRASE })
            .to_string(),
    )?;
    if status != 200 {
        return Err(format!("login: {head}").into());
    }
    let cookie = head
        .lines()
        .find_map(|line| line.strip_prefix("set-cookie: "))
        .and_then(|value| value.split(';').next())
        .ok_or("the login set no cookie")?
        .to_owned();

    let work = format!("/app/work?today={TODAY}");
    let overdue = format!("/app/items?show=overdue&today={TODAY}");
    get_as(addr, &work, &cookie)?;
    let work_ms = median_ms(requests, || get_as(addr, &work, &cookie))?;
    let overdue_ms = median_ms(requests, || get_as(addr, &overdue, &cookie))?;
    // What a browser fetches to draw "my work" the first time: the page, its two files, its
    // words, who is logged in, the work and the sync line.
    let mut first_load = 0;
    for path in [
        "/",
        "/assets/app.js",
        "/assets/app.css",
        "/app/words",
        "/app/me",
        work.as_str(),
        "/app/sync",
    ] {
        first_load += get_as(addr, path, &cookie)?;
    }
    // A change at the node: how long until a page listening on the change stream has heard of
    // it and read its work again.
    let mut reactions = Vec::new();
    let item = EventId(uuid::Uuid::from_u64_pair(0x0199_7000_0000_7000, 1 << 8));
    for round in 0..requests.clamp(1, 5) {
        let mut stream = TcpStream::connect(addr)?;
        write!(
            stream,
            "GET /api/changes HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\r\n"
        )?;
        let mut seen = Vec::new();
        let mut buffer = [0u8; 4096];
        while !seen.windows(4).any(|window| window == b"\r\n\r\n") {
            let read = stream.read(&mut buffer)?;
            if read == 0 {
                return Err("the change stream closed".into());
            }
            seen.extend_from_slice(&buffer[..read]);
        }
        let started = Instant::now();
        home.act(
            &admin,
            Command::Progress {
                item,
                percent: (round * 10) as u8,
                note: "Cập nhật".into(),
            },
        )?;
        changes.send_modify(|generation| *generation += 1);
        let mut heard = Vec::new();
        while !String::from_utf8_lossy(&heard).contains("event: changed") {
            let read = stream.read(&mut buffer)?;
            if read == 0 {
                return Err("the change stream closed".into());
            }
            heard.extend_from_slice(&buffer[..read]);
        }
        get_as(addr, &work, &cookie)?;
        reactions.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    reactions.sort_by(f64::total_cmp);
    let reaction_ms = reactions[reactions.len() / 2];

    // The ceilings: the same answers, precomputed, from the same HTTP stack.
    let (_, work_body, _) = request(addr, "GET", &work, &cookie, "")?;
    let (_, overdue_body, _) = request(addr, "GET", &overdue, &cookie, "")?;
    let work_ceiling = runtime.block_on(static_server(Arc::new(work_body.clone())))?;
    let overdue_ceiling = runtime.block_on(static_server(Arc::new(overdue_body.clone())))?;
    let work_ceiling_ms = median_ms(requests, || get(work_ceiling, "/"))?;
    let overdue_ceiling_ms = median_ms(requests, || get(overdue_ceiling, "/"))?;

    let figure = |metric, ms: f64, ceiling_ms: f64| Figure {
        metric,
        nhip: 1000.0 / ms,
        ceiling_name: "same bytes, precomputed",
        ceiling: 1000.0 / ceiling_ms,
        unit: "requests/s",
        ratio: ceiling_ms / ms,
        target: 0.0,
        lower_is_better: false,
    };
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    Ok(AppFigures {
        figures: vec![
            figure(
                "app: my work (a commune's chairman)",
                work_ms,
                work_ceiling_ms,
            ),
            figure(
                "app: overdue work across units",
                overdue_ms,
                overdue_ceiling_ms,
            ),
            figure(
                "app: a change heard and read again",
                reaction_ms,
                work_ceiling_ms,
            ),
        ],
        context: serde_json::json!({
            "work_ms": work_ms,
            "work_bytes": work_body.len(),
            "overdue_ms": overdue_ms,
            "overdue_bytes": overdue_body.len(),
            "first_load_bytes": first_load,
            "reaction_ms": reaction_ms,
        }),
        verdict: format!(
            "app: my work {work_ms:.1} ms ({}), overdue across units {overdue_ms:.1} ms ({}); target < 100 ms. \
             First load {:.1} kB ({}; target < 300 kB). A change heard and read again in {reaction_ms:.1} ms ({}; target < 1 s)",
            verdict(work_ms < 100.0),
            verdict(overdue_ms < 100.0),
            first_load as f64 / 1000.0,
            verdict(first_load < 300_000),
            verdict(reaction_ms < 1000.0),
        ),
    })
}
