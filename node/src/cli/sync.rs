//! `nhip sync`: one sync with the parent, or a live one with `--watch`.

use super::node::{parent_of, shutdown_signal};
use super::output::{ExitCode, Outcome, fail, home_failure, progress_spinner};
use crate::daemon;
use crate::enroll;
use crate::home::Home;
use crate::running::{keep_outcome, node_for};
use crate::texts::Texts;
use crate::transport::{self, Mode, now_ms};

/// `nhip sync [--watch]`. Inside the running node, which keeps a live link of its own, a one-time
/// sync runs beside it and `--watch` has nothing to add.
pub(super) fn exec(home: &Home, texts: Texts, watch: bool, running: bool) -> Outcome {
    let parent = parent_of(home, texts)?;
    if watch && running {
        say!("{}", texts.already_live());
        return Ok(());
    }
    let node = node_for(home);
    super::block_on(async {
        let endpoint = transport::client_endpoint(
            enroll::unspecified_for(&parent.addr),
            &home.key,
            parent.node,
        )
        .map_err(|error| fail(ExitCode::Network, texts.sync_failed(&error.to_string())))?;
        if watch {
            daemon::sync_watch(
                &endpoint,
                &node,
                &parent,
                shutdown_signal(),
                |outcome, next_ms| {
                    keep_outcome(home, outcome, next_ms);
                    match outcome {
                        Ok(report) => {
                            warn!("{}", texts.synced(report.delivered, report.received))
                        }
                        Err(error) => warn!(
                            "{} {}",
                            failure_words(texts, error),
                            texts.retry_in(next_ms.saturating_sub(now_ms()).div_ceil(1000))
                        ),
                    }
                },
            )
            .await;
            say!("{}", texts.stopped());
            return Ok(());
        }
        let spinner = if running { None } else { progress_spinner() };
        let outcome = daemon::sync_with_parent(&endpoint, &node, &parent, Mode::Once).await;
        if let Some(spinner) = spinner {
            spinner.finish_and_clear();
        }
        endpoint.wait_idle().await;
        home.record_sync(&outcome, None)
            .map_err(|error| home_failure(texts, error))?;
        match outcome {
            Ok(report) if report.caught_up => {
                say!("{}", texts.synced(report.delivered, report.received));
                if report.refusals.is_empty() {
                    return Ok(());
                }
                let mut message = texts.sync_refused(report.refusals.len());
                for refusal in &report.refusals {
                    message.push_str("\n  ");
                    message.push_str(refusal);
                }
                Err(fail(ExitCode::Refused, message))
            }
            Ok(report) => Err(fail(
                ExitCode::Network,
                texts.sync_failed(&format!("{:?}", report.closed)),
            )),
            Err(error) => Err(fail(
                ExitCode::Network,
                texts.sync_failed(&error.to_string()),
            )),
        }
    })?
}

/// A failed sync in words: a parent that turned this node away is not a network outage.
fn failure_words(texts: Texts, error: &transport::TransportError) -> String {
    match error {
        transport::TransportError::Refused(reason) => texts.sync_turned_away(reason),
        other => texts.sync_failed(&other.to_string()),
    }
}
