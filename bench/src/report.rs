//! The report suite: a province's quarterly report (3,321 units, 1 M events; the bar is
//! under 5 s) and one commune's (under 200 ms), both files made, beside a full replay of the
//! same log in the same run.
//!
//! The hub is the dashboard suite's: a real node folder and redb log, checked by a full replay
//! before anything is measured.

use std::time::Instant;

use nhip_engine::command::Command;
use nhip_engine::report::{self, Period};
use nhip_engine::{Date, PersonId, UnitId, replay};
use nhip_node::home::Home;
use nhip_node::report::docx::Layout::State;

use crate::dashboard::{QUICK_TREE, TODAY, TREE, write_hub};
use crate::raw::T0;
use crate::{Figure, print_figures};

/// Options of the report suite.
#[derive(clap::Args)]
pub struct Options {
    #[command(flatten)]
    run: crate::Run,
    /// Runs per measured figure (the median is reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

fn median_ms(
    runs: usize,
    mut work: impl FnMut() -> Result<(), Box<dyn std::error::Error>>,
) -> Result<f64, Box<dyn std::error::Error>> {
    let mut times = Vec::with_capacity(runs.max(1));
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        work()?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
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
        UnitId::new("tinh")?,
        PersonId::new("admin-tinh")?,
    )?;
    let (_, items) = write_hub(&home, tree, events)?;
    // The province names itself, as a hub's office would.
    let state = home.state()?;
    home.act_at(
        &state,
        &nhip_node::account::Actor::unsigned(PersonId::new("admin-tinh")?),
        Command::DefineUnit {
            unit: home.config.unit.clone(),
            name: "Tỉnh Lai Châu".into(),
            kind: "hub".into(),
        },
        T0 + 2_000_000,
    )?;
    drop(state);
    let log = home.log.as_ref();
    let state = replay(log)?;
    if !state.refused.is_empty() || state.items.len() != items {
        return Err("the generated hub does not replay cleanly".into());
    }
    let total_events = state.events;
    drop(state);

    let as_of = Date::parse(TODAY)?;
    let quarter = Period::quarter_of(as_of);
    let today = as_of.plus_days(30);
    let province = home.config.unit.clone();
    let commune = UnitId::new(&format!("{province}/huyen-0/xa-0"))?;

    let make = nhip_node::report::make;
    let replay_ms = median_ms(options.runs, || {
        replay(log)?;
        Ok(())
    })?;
    let mut sizes = (0, 0, 0);
    // Folded from the log as of the day: what a report costs where no state is held (a
    // command with no node running), or for a day before the newest event.
    let no_current = nhip_node::report::no_current;
    let province_ms = median_ms(options.runs, || {
        let files = make(log, &no_current, &province, &quarter, as_of, today, State)?;
        sizes = (files.report.tasks.len(), files.xlsx.len(), files.docx.len());
        Ok(())
    })?;
    // At the running hub: its state is what the report as of that day folds (nothing was
    // written or received after it), so no replay — the same files.
    let held = home.state()?;
    let current = || Some(held.clone());
    let running_path = std::sync::Arc::ptr_eq(
        &nhip_node::report::state_for(log, &current, &province, as_of)?,
        &held,
    );
    let running_ms = median_ms(options.runs, || {
        make(log, &current, &province, &quarter, as_of, today, State)?;
        Ok(())
    })?;
    let cold = make(log, &no_current, &province, &quarter, as_of, today, State)?;
    let warm = make(log, &current, &province, &quarter, as_of, today, State)?;
    if cold.xlsx != warm.xlsx || cold.docx != warm.docx {
        return Err("the running hub's report differs from the one folded from the log".into());
    }
    drop((cold, warm));
    // Where a province's report spends its time.
    let started = Instant::now();
    let state = nhip_node::report::gather(log, &province, as_of)?;
    let gather_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    let mut made = report::build(&state, &province, &quarter, as_of, today)?;
    let build_ms = started.elapsed().as_secs_f64() * 1000.0;
    // The state hash the document cites (`make` computes it beside the build).
    let started = Instant::now();
    made.state_hash = state.hash().to_string();
    let hash_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    nhip_node::report::render(&state, made, State)?;
    let render_ms = started.elapsed().as_secs_f64() * 1000.0;
    drop(state);

    let mut commune_tasks = 0;
    let commune_ms = median_ms(options.runs.max(5), || {
        let files = make(log, &no_current, &commune, &quarter, as_of, today, State)?;
        commune_tasks = files.report.tasks.len();
        Ok(())
    })?;

    let per_second = |ms: f64| 1000.0 / ms;
    let figure = |metric, ms: f64| Figure {
        metric,
        nhip: per_second(ms),
        ceiling_name: "full replay of the same log",
        ceiling: per_second(replay_ms),
        unit: "runs/s",
        ratio: replay_ms / ms,
        target: 0.0,
        lower_is_better: false,
    };
    let figures = [
        figure("province report, folded from the log", province_ms),
        figure("province report, at the running hub", running_ms),
        figure("commune report, both files", commune_ms),
    ];
    let context = serde_json::json!({
        "units": units,
        "events": total_events,
        "items": items,
        "period": quarter.code(),
        "replay_ms": replay_ms,
        "province_ms": province_ms,
        "province_running_hub_ms": running_ms,
        "province_running_hub_used_its_state": running_path,
        "province_gather_ms": gather_ms,
        "province_build_ms": build_ms,
        "province_state_hash_ms": hash_ms,
        "province_parts_note": "make computes the hash beside the build, and writes the two files side by side",
        "province_render_ms": render_ms,
        "province_tasks": sizes.0,
        "province_xlsx_bytes": sizes.1,
        "province_docx_bytes": sizes.2,
        "commune_ms": commune_ms,
        "commune_tasks": commune_tasks,
        "target_province_ms": 5000,
        "target_commune_ms": 200,
    });
    print_figures("report", &context, &figures, options.run.json);
    if !options.run.json {
        let verdict = |ms: f64, bar: f64| if ms < bar { "met" } else { "MISSED" };
        println!(
            "province report folded from the log {province_ms:.0} ms ({}; target < 5,000 ms; one after another: gather {gather_ms:.0}, build {build_ms:.0}, state hash {hash_ms:.0}, files {render_ms:.0}); at the running hub {running_ms:.0} ms ({}; its state used: {running_path}; the same bytes), commune report {commune_ms:.1} ms ({}; target < 200 ms); full replay {replay_ms:.0} ms",
            verdict(province_ms, 5000.0),
            verdict(running_ms, 5000.0),
            verdict(commune_ms, 200.0)
        );
    }
    Ok(())
}
