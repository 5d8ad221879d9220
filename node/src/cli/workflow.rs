//! `nhip workflow …`: the workflow definitions, listed, shown and published.

use std::path::PathBuf;

use clap::Subcommand;
use nhip_engine::command::Command;

use super::JsonArg;
use super::output::{ExitCode, Outcome, fail, home_failure, print_json};
use super::registry::record;
use crate::account::Actor;
use crate::home::Home;
use crate::texts::Texts;

#[derive(Subcommand)]
pub(crate) enum WorkflowAction {
    /// Danh sách quy trình.
    List(JsonArg),
    /// Xem một quy trình.
    Show {
        /// Mã quy trình.
        id: String,
        /// In dạng JSON.
        #[arg(long)]
        json: bool,
    },
    /// Ban hành quy trình từ tệp TOML (publish).
    Publish {
        /// Tệp TOML.
        file: PathBuf,
    },
}

/// `nhip workflow …`.
pub(super) fn exec(home: &Home, texts: Texts, actor: &Actor, action: WorkflowAction) -> Outcome {
    let state = home.state().map_err(|error| home_failure(texts, error))?;
    let all = || {
        let mut all: Vec<&nhip_engine::workflow::Definition> = nhip_engine::workflow::builtins()
            .values()
            .chain(state.workflows.values())
            .collect();
        all.sort_by(|a, b| (&a.id, a.version).cmp(&(&b.id, b.version)));
        all.dedup_by(|a, b| a.id == b.id && a.version == b.version);
        all
    };
    match action {
        WorkflowAction::List(args) => {
            let all = all();
            if args.json {
                return print_json(&all);
            }
            for definition in all {
                say!(
                    "{:<14} v{:<3} {}",
                    definition.id,
                    definition.version,
                    definition.name
                );
            }
            Ok(())
        }
        WorkflowAction::Show { id, json } => {
            let definition = nhip_engine::command::latest_workflow(&state, &id)
                .ok_or_else(|| fail(ExitCode::Refused, format!("{id:?}?")))?;
            if json {
                return print_json(definition);
            }
            say!(
                "{} v{} — {}",
                definition.id,
                definition.version,
                definition.name
            );
            for s in &definition.states {
                say!(
                    "  [{}] {}{}",
                    s.id,
                    s.name,
                    if s.terminal { " (kết thúc)" } else { "" }
                );
            }
            for t in &definition.transitions {
                say!(
                    "  {} : {} → {}  ({})",
                    t.id,
                    t.from.join("|"),
                    t.to,
                    texts.who(&t.who)
                );
            }
            Ok(())
        }
        WorkflowAction::Publish { file } => {
            let source = std::fs::read_to_string(&file)
                .map_err(|error| fail(ExitCode::Refused, format!("{}: {error}", file.display())))?;
            let unit = home.config.unit.clone();
            record(
                home,
                texts,
                actor,
                "workflow",
                Command::PublishWorkflow { source, unit },
            )
        }
    }
}
