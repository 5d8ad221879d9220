//! `nhip indicator …`: indicators defined, reported and listed.

use clap::Subcommand;
use nhip_engine::command::Command;

use super::output::{Outcome, home_failure, print_json};
use super::registry::record;
use super::{JsonArg, args};
use crate::account::Actor;
use crate::home::Home;
use crate::text_search::{fold, normalize};
use crate::texts::Texts;

#[derive(Subcommand)]
pub(crate) enum IndicatorAction {
    /// Định nghĩa chỉ tiêu.
    Define {
        /// Mã.
        id: String,
        /// Tên.
        #[arg(long)]
        name: String,
        /// Đơn vị đo.
        #[arg(long, default_value = "%")]
        measure: String,
        /// Mục tiêu.
        #[arg(long)]
        target: f64,
        /// Kỳ.
        #[arg(long, default_value = "2025")]
        period: String,
        /// Đơn vị sở hữu.
        #[arg(long)]
        unit: Option<String>,
    },
    /// Báo cáo giá trị.
    Report {
        /// Mã.
        id: String,
        /// Giá trị.
        value: f64,
        /// Ghi chú.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Danh sách.
    List(JsonArg),
}

fn milli(value: f64) -> i64 {
    (value * 1000.0).round() as i64
}

/// `nhip indicator …`.
pub(super) fn exec(home: &Home, texts: Texts, actor: &Actor, action: IndicatorAction) -> Outcome {
    match action {
        IndicatorAction::Define {
            id,
            name,
            measure,
            target,
            period,
            unit,
        } => {
            let unit = match unit {
                Some(unit) => args::unit(texts, &unit)?,
                None => home.config.unit.clone(),
            };
            record(
                home,
                texts,
                actor,
                "indicator",
                Command::DefineIndicator {
                    id: fold(&id).replace(' ', "-"),
                    name: normalize(&name),
                    measure,
                    target_milli: milli(target),
                    period,
                    unit,
                },
            )
        }
        IndicatorAction::Report { id, value, note } => record(
            home,
            texts,
            actor,
            "indicator",
            Command::ReportIndicator {
                id,
                value_milli: milli(value),
                note: normalize(&note),
            },
        ),
        IndicatorAction::List(args) => {
            let state = home.state().map_err(|error| home_failure(texts, error))?;
            if args.json {
                return print_json(&state.indicators);
            }
            for (id, indicator) in &state.indicators {
                let value = indicator
                    .value_milli
                    .map_or("—".to_owned(), |v| format!("{:.1}", v as f64 / 1000.0));
                let attainment = indicator
                    .attainment_milli()
                    .map_or("—".to_owned(), |a| format!("{:.0}%", a as f64 / 10.0));
                say!(
                    "{id:<24} {:<40} {value:>8} / {:<8} {} {attainment}",
                    indicator.name,
                    format!("{:.1}", indicator.target_milli as f64 / 1000.0),
                    indicator.measure
                );
            }
            Ok(())
        }
    }
}
