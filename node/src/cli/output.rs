//! How a command's result reaches the person: failures with their exit codes, JSON, short ids
//! and the spinner shown on a terminal while long work runs.

use nhip_engine::EventId;

pub use crate::console::spinner as progress_spinner;
pub use crate::exit::ExitCode;
use crate::home::HomeError;
use crate::texts::Texts;

/// A failure with its exit code, already in words.
pub struct Failure {
    /// The exit code.
    pub code: ExitCode,
    /// What to tell the person.
    pub message: String,
}

/// What a command returns: done, or a failure in words.
pub type Outcome = Result<(), Failure>;

/// A failure with `code`, saying `message`.
pub fn fail(code: ExitCode, message: impl Into<String>) -> Failure {
    Failure {
        code,
        message: message.into(),
    }
}

/// The failure a node-folder error becomes, in the person's language.
pub fn home_failure(texts: Texts, error: HomeError) -> Failure {
    match error {
        HomeError::NoNode(dir) => fail(ExitCode::NoNode, texts.no_node(&dir)),
        HomeError::Exists(dir) => fail(ExitCode::Refused, texts.node_exists(&dir)),
        HomeError::Locked(dir) => fail(ExitCode::Busy, texts.locked(&dir)),
        HomeError::Damaged { file, detail } => {
            fail(ExitCode::NoNode, texts.log_damaged(&file, &detail))
        }
        HomeError::Config(error) => fail(ExitCode::NoNode, error.to_string()),
        HomeError::Command(error) => fail(ExitCode::Refused, texts.command_error(&error)),
        HomeError::Append(nhip_engine::AppendError::Store(error)) | HomeError::Store(error) => {
            fail(ExitCode::Storage, error.to_string())
        }
        other => fail(ExitCode::Refused, other.to_string()),
    }
}

/// The last eight hex digits of an id: what people read and type.
pub fn short(id: &EventId) -> String {
    let hex = id.0.simple().to_string();
    hex[hex.len() - 8..].to_owned()
}

/// Prints `value` as pretty JSON.
pub fn print_json(value: &impl serde::Serialize) -> Outcome {
    let text = serde_json::to_string_pretty(value)
        .map_err(|error| fail(ExitCode::Refused, error.to_string()))?;
    say!("{text}");
    Ok(())
}

/// Runs `work` with a spinner on a terminal (nothing when piped), cleared before any output.
pub fn with_spinner<T>(texts: Texts, work: impl FnOnce() -> T) -> T {
    let spinner = crate::console::spinner();
    if let Some(spinner) = &spinner {
        spinner.set_message(texts.working());
    }
    let outcome = work();
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    outcome
}
