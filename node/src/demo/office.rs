//! An office of the demo: a node that runs as `nhip serve` runs, and the officials who work
//! there by typing `nhip` commands, which reach the running node through its socket — the
//! same door, the same words and the same exit codes as at a real office's PC.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nhip_engine::state::State;

use super::{DEMO_PASSPHRASE, failed};
use crate::account::SessionChange;
use crate::api::server::Executor;
use crate::api::{RunRequest, SOCKET_FILE, client};
use crate::cli::output::{ExitCode, Failure, fail};
use crate::daemon::Parent;
use crate::home::Home;
use crate::running::{AppAt, Options, Running};

/// How long the demo waits for work to cross its live links before it calls the story broken.
const ARRIVAL_WITHIN: Duration = Duration::from_secs(60);

/// A running node and the sessions of the people logged in at it.
pub(super) struct Office {
    /// The node, running.
    pub running: Running,
    /// Who is logged in here: person → session token (what `nhip login` keeps for its caller).
    sessions: BTreeMap<String, String>,
}

impl Office {
    /// Starts the node of `home` as `nhip serve` would, on loopback ports of its own, with its
    /// live uplink to `parent`; `execute` runs the command lines its socket receives (the
    /// command layer's, handed down to the demo).
    pub async fn open(
        home: Home,
        parent: Option<Parent>,
        execute: Executor,
    ) -> Result<Office, Failure> {
        let loopback: SocketAddr = "127.0.0.1:0".parse().map_err(failed)?;
        let options = Options {
            listen: loopback,
            app: AppAt::Required(loopback),
            parent,
            execute,
        };
        let running = Running::start(Arc::new(home), options)
            .await
            .map_err(|error| failed(format!("{}: {}", error.what, error.error)))?;
        Ok(Office {
            running,
            sessions: BTreeMap::new(),
        })
    }

    /// The node's home.
    pub fn home(&self) -> &Home {
        &self.running.home
    }

    /// `who` types `nhip ARGS` here; what the command printed, or its failure.
    pub async fn nhip(&mut self, who: &str, args: &[&str]) -> Result<String, Failure> {
        self.command(who, args, None).await
    }

    /// `who` uses the setup code an administrator handed them, chooses their passphrase, and is
    /// logged in here from then on: every decision they make carries their signature.
    pub async fn set_up(&mut self, who: &str, code: &str) -> Result<(), Failure> {
        self.command(
            who,
            &["login", who, "--setup-code", code],
            Some(DEMO_PASSPHRASE),
        )
        .await
        .map(drop)
    }

    async fn command(
        &mut self,
        who: &str,
        args: &[&str],
        passphrase: Option<&str>,
    ) -> Result<String, Failure> {
        let mut line = vec!["nhip".to_owned(), "--as".to_owned(), who.to_owned()];
        line.extend(args.iter().map(|arg| (*arg).to_owned()));
        let request = RunRequest {
            args: line,
            cwd: self.home().dir.clone(),
            session: self.sessions.get(who).cloned(),
            passphrase: passphrase.map(str::to_owned),
        };
        let answer = client::run_async(&self.home().dir.join(SOCKET_FILE), &request)
            .await
            .map_err(failed)?;
        match answer.session {
            Some(SessionChange::Opened(token)) => {
                self.sessions.insert(who.to_owned(), token);
            }
            Some(SessionChange::Ended) => {
                self.sessions.remove(who);
            }
            None => {}
        }
        if answer.code != 0 {
            return Err(fail(
                ExitCode::from_u8(answer.code),
                format!("nhip {}: {}", args.join(" "), answer.err.trim()),
            ));
        }
        Ok(answer.out)
    }

    /// Waits until this node's state shows `what` (work arriving over the live links).
    pub async fn until(&self, what: &str, ready: impl Fn(&State) -> bool) -> Result<(), Failure> {
        let deadline = Instant::now() + ARRIVAL_WITHIN;
        let mut changes = self.running.node.changes.subscribe();
        loop {
            if self.home().state().is_ok_and(|state| ready(&state)) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(failed(format!(
                    "{what}: not seen at {} within {} s",
                    self.home().config.unit,
                    ARRIVAL_WITHIN.as_secs()
                )));
            }
            let _ = tokio::time::timeout(Duration::from_millis(200), changes.changed()).await;
        }
    }

    /// Waits until the parent has taken up everything this node holds for it: its signed
    /// receipts cover every event (what `nhip status` calls nothing waiting to go up).
    pub async fn until_delivered(&self) -> Result<(), Failure> {
        let deadline = Instant::now() + ARRIVAL_WITHIN;
        while self.home().pending_up().map_err(failed)? > 0 {
            if Instant::now() > deadline {
                return Err(failed(format!(
                    "{}: events still waiting to go up after {} s",
                    self.home().config.unit,
                    ARRIVAL_WITHIN.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    /// Stops the node.
    pub async fn close(self) {
        self.running.stop().await;
    }
}

/// The item id a command printed (`Đã ghi: tạo mới (1a2b3c4d)`): the short form every command
/// accepts.
pub(super) fn recorded_id(out: &str) -> Result<String, Failure> {
    out.trim()
        .rsplit_once('(')
        .and_then(|(_, id)| id.strip_suffix(')'))
        .map(str::to_owned)
        .ok_or_else(|| failed(format!("no item id in {out:?}")))
}

/// The setup code a `person setup-code` printed.
pub(super) fn setup_code(out: &str) -> Result<String, Failure> {
    out.split_whitespace()
        .find(|word| {
            let groups: Vec<&str> = word.split('-').collect();
            groups.len() == 4
                && groups.iter().all(|group| {
                    group.len() == 4
                        && group
                            .bytes()
                            .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit())
                })
        })
        .map(str::to_owned)
        .ok_or_else(|| failed(format!("no setup code in {out:?}")))
}

/// Whether `state` holds the item whose id ends in `short`.
pub(super) fn holds(state: &State, short: &str) -> bool {
    item(state, short).is_some()
}

/// The item whose id ends in `short`.
pub(super) fn item<'a>(state: &'a State, short: &str) -> Option<&'a nhip_engine::state::Item> {
    state
        .items
        .iter()
        .find(|(id, _)| id.0.simple().to_string().ends_with(short))
        .map(|(_, item)| item)
}
