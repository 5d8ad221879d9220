//! A node at home in its data folder: creating and opening it, acting as a person, and the
//! live views (admission, directory) that its links need.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::watch;

use ed25519_dalek::SigningKey;
use nhip_engine::command::{self, Command, CommandError};
use nhip_engine::state::State;

use crate::account::Actor;
use nhip_engine::{
    EventId, EventLog, NodeId, OpenError, PersonId, RedbLog, StoreError, UnitId, node_id,
};
use nhip_protocol::Directory;

use crate::config::{
    self, CHILDREN_FILE, CONFIG_FILE, Children, Config, ConfigError, INVITES_FILE, Invites,
    KEY_FILE, LOG_FILE,
};
use crate::identity::{self, KeyError};
use crate::tls::Admission;
use crate::transport::now_ms;
use crate::turns::{Scope, Turn};

/// The parent's receipts this node keeps: one JSON line per receipt, hex body and signature.
pub const RECEIPTS_FILE: &str = "receipts.jsonl";

/// The outcome of the last syncs with the parent, for `nhip status`.
pub const SYNC_FILE: &str = "sync.toml";

/// What `nhip status` shows about the link with the parent.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct SyncRecord {
    /// When a sync last caught up (ms since the epoch).
    pub last_success_ms: Option<u64>,
    /// When a sync last failed, and why.
    pub last_error_ms: Option<u64>,
    /// Why it failed.
    pub last_error: Option<String>,
    /// When a live link will next try to reach the parent, after a failure (ms since the epoch).
    #[serde(default)]
    pub next_attempt_ms: Option<u64>,
    /// Chains refused, either way, on the last sync that completed: work that did not move.
    #[serde(default)]
    pub refusals: Vec<String>,
    /// Events delivered to the parent, in all.
    pub sent: u64,
    /// Events received from the parent, in all.
    pub received: u64,
}

/// One receipt as a line of [`RECEIPTS_FILE`].
pub fn encode_receipt(receipt: &nhip_protocol::Receipt) -> String {
    serde_json::json!({
        "body": hex(&receipt.body),
        "signature": hex(&receipt.signature),
    })
    .to_string()
}

/// The inverse of [`encode_receipt`].
pub fn decode_receipt(line: &str) -> Option<nhip_protocol::Receipt> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    let body = unhex(value["body"].as_str()?)?;
    let signature = unhex(value["signature"].as_str()?)?.try_into().ok()?;
    Some(nhip_protocol::Receipt { body, signature })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

/// Appends `receipts` to the [`RECEIPTS_FILE`] in `dir`, durably (fsync before returning).
pub fn append_receipts(dir: &Path, receipts: &[nhip_protocol::Receipt]) -> Result<(), HomeError> {
    if receipts.is_empty() {
        return Ok(());
    }
    let path = dir.join(RECEIPTS_FILE);
    let io = |source| HomeError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io)?;
    let mut text = String::new();
    for receipt in receipts {
        text.push_str(&encode_receipt(receipt));
        text.push('\n');
    }
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    config::sync_folder_of(&path).map_err(io)
}

impl From<crate::making::MakingError> for HomeError {
    fn from(error: crate::making::MakingError) -> HomeError {
        match error {
            crate::making::MakingError::Exists(path) => HomeError::Exists(path),
            crate::making::MakingError::Io { path, source } => HomeError::Io { path, source },
        }
    }
}

/// Why a node could not be created, opened or used.
#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    /// No node in this folder.
    #[error("no node in {0}")]
    NoNode(String),
    /// A node exists already.
    #[error("a node exists in {0}")]
    Exists(String),
    /// The log is open elsewhere.
    #[error("the log in {0} is in use by another process")]
    Locked(String),
    /// The log file fails its checksums.
    #[error("the log file {file} is damaged ({detail})")]
    Damaged {
        /// The file.
        file: String,
        /// What redb found.
        detail: String,
    },
    /// The folder could not be made or read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The failure.
        source: std::io::Error,
    },
    /// A key file problem.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A configuration file problem.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The log could not be opened.
    #[error(transparent)]
    Open(OpenError),
    /// Reading the log failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Appending failed.
    #[error(transparent)]
    Append(#[from] nhip_engine::AppendError),
    /// A command was refused.
    #[error(transparent)]
    Command(#[from] CommandError),
}

/// A node opened from its data folder.
pub struct Home {
    /// The data folder.
    pub dir: PathBuf,
    /// The configuration.
    pub config: Config,
    /// The node key.
    pub key: SigningKey,
    /// The log.
    pub log: Arc<RedbLog>,
    /// The commit feed: bumped after every commit of this node's log — its own appends here,
    /// and events stored by its links — so live links push at once and pages update.
    pub changes: Arc<watch::Sender<u64>>,
    /// The state, kept up to date as the log grows (see [`crate::live`]); shared with the
    /// admission and the directory, which read membership from it.
    live: Arc<crate::live::LiveState>,
    /// How this process's links with each peer stand (empty unless the node runs).
    pub links: Arc<crate::links::StatusBoard>,
    /// Held from reading the state to the durable append of what was decided on it: writes
    /// that could clash take turns, so each decision sees every earlier one it could clash with
    /// (see [`crate::turns`]).
    turns: crate::turns::Turns,
    /// The people logged in at this node (this process's memory only).
    pub sessions: Arc<crate::account::Sessions>,
    /// Wakes the live link to the parent out of its backoff ("sync now" in the app).
    pub wake_uplink: Arc<tokio::sync::Notify>,
}

impl Home {
    /// Creates a node in `dir` (made if missing) for `unit`, acting as `person` by default.
    pub fn create(dir: &Path, unit: UnitId, person: PersonId) -> Result<Home, HomeError> {
        if dir.join(CONFIG_FILE).exists() || dir.join(LOG_FILE).exists() {
            return Err(HomeError::Exists(dir.display().to_string()));
        }
        let io = |source| HomeError::Io {
            path: dir.display().to_string(),
            source,
        };
        fs::create_dir_all(dir).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
        let key = identity::generate()?;
        identity::save(&dir.join(KEY_FILE), &key)?;
        let log = RedbLog::create(&dir.join(LOG_FILE), node_id(&key)).map_err(HomeError::Open)?;
        let config = Config {
            unit,
            person,
            lang: "vi".into(),
            listen: "0.0.0.0:7411".into(),
            parent: None,
        };
        config::write(&dir.join(CONFIG_FILE), &config)?;
        Ok(Home {
            dir: dir.to_owned(),
            config,
            key,
            log: Arc::new(log),
            changes: Arc::new(watch::channel(0).0),
            live: Arc::default(),
            links: Arc::default(),
            turns: crate::turns::Turns::default(),
            sessions: Arc::default(),
            wake_uplink: Arc::default(),
        })
    }

    /// Opens the node in `dir`.
    pub fn open(dir: &Path) -> Result<Home, HomeError> {
        if !dir.join(CONFIG_FILE).exists() {
            // A whole node whose moving in a crash interrupted is moved in now.
            crate::making::recover(dir)?;
        }
        if !dir.join(CONFIG_FILE).exists() {
            return Err(HomeError::NoNode(dir.display().to_string()));
        }
        let config: Config = config::read(&dir.join(CONFIG_FILE))?;
        let key = identity::load(&dir.join(KEY_FILE))?;
        let log = match RedbLog::open(&dir.join(LOG_FILE)) {
            Ok(log) => log,
            Err(OpenError::Locked) => return Err(HomeError::Locked(dir.display().to_string())),
            Err(OpenError::Damaged(detail)) => {
                return Err(HomeError::Damaged {
                    file: dir.join(LOG_FILE).display().to_string(),
                    detail,
                });
            }
            Err(error) => return Err(HomeError::Open(error)),
        };
        Ok(Home {
            dir: dir.to_owned(),
            config,
            key,
            log: Arc::new(log),
            changes: Arc::new(watch::channel(0).0),
            live: Arc::default(),
            links: Arc::default(),
            turns: crate::turns::Turns::default(),
            sessions: Arc::default(),
            wake_uplink: Arc::default(),
        })
    }

    /// This node's key.
    pub fn node(&self) -> NodeId {
        node_id(&self.key)
    }

    /// Saves the configuration.
    pub fn save_config(&self) -> Result<(), HomeError> {
        config::write(&self.dir.join(CONFIG_FILE), &self.config)?;
        Ok(())
    }

    /// The state of the log as it is now: replayed on first use, then kept up to date.
    pub fn state(&self) -> Result<Arc<State>, HomeError> {
        Ok(self.source().state()?)
    }

    /// Where the state is read from, for the parts that outlive a borrow of the home.
    fn source(&self) -> StateSource {
        StateSource {
            log: self.log.clone(),
            live: self.live.clone(),
            changes: self.changes.clone(),
        }
    }

    /// `actor` runs `command`, in its turn (see [`crate::turns`]); the event is appended
    /// durably, signed by the actor when they proved who they are. Returns its id.
    pub fn act(&self, actor: &Actor, command: Command) -> Result<EventId, HomeError> {
        let _turn = self.turn(Scope::of(&command));
        let now = now_ms();
        let id = EventId(uuid::Uuid::now_v7());
        // The state is let go before the durable append, so a commit meanwhile (another item's
        // write) folds it forward in place instead of copying it for this reader.
        let draft = {
            let state = self.state()?;
            command::decide_signed(&state, &actor.person, actor.signer(), id, now, command)?
        };
        self.append(now, vec![draft])?;
        Ok(id)
    }

    /// The node's turn to write: every other write of this node waits until it is dropped.
    /// Hold it from reading the state ([`Home::state`]) to the end of the append
    /// ([`Home::append`]) of what was decided on it.
    pub fn writing(&self) -> Turn<'_> {
        self.turn(Scope::Node)
    }

    /// The turn to write what `scope` touches (see [`crate::turns`]).
    pub fn turn(&self, scope: Scope) -> Turn<'_> {
        self.turns.take(scope)
    }

    /// Decides `command` on `state`, which the caller holds in the right turn, as if the node's
    /// clock read `now`, and appends it (the benchmarks write histories at fixed times this
    /// way).
    pub fn act_at(
        &self,
        state: &State,
        actor: &Actor,
        command: Command,
        now: u64,
    ) -> Result<EventId, HomeError> {
        let id = EventId(uuid::Uuid::now_v7());
        let draft = command::decide_signed(state, &actor.person, actor.signer(), id, now, command)?;
        self.append(now, vec![draft])?;
        Ok(id)
    }

    /// The one way this node writes: appends `drafts` durably as one commit, then tells the
    /// commit feed. Every write — commands, imports, enrollment — ends here.
    pub fn append(
        &self,
        now: u64,
        drafts: Vec<nhip_engine::Draft>,
    ) -> Result<(), nhip_engine::AppendError> {
        let outcome = self.log.append(&self.key, now, drafts);
        if outcome.is_ok() {
            self.changes.send_modify(|generation| *generation += 1);
        }
        outcome.map(drop)
    }

    /// This node's children: every node the log enrolled for a unit directly below this
    /// node's (`node.enrolled`), revoked if the log says so since (`node.revoked`), and any the
    /// children file names (where nodes of earlier versions kept them).
    pub fn children(&self) -> Result<Children, HomeError> {
        let state = self.state()?;
        Ok(children_of(
            &self.config.unit,
            &state.registry,
            config::read_or_default(&self.dir.join(CHILDREN_FILE))?,
        ))
    }

    /// Marks `node` revoked in the children file: for a child that only the file knows (one
    /// enrolled by an earlier version, before enrollments were events).
    pub fn revoke_in_file(&self, node: &NodeId) -> Result<bool, HomeError> {
        let path = self.dir.join(CHILDREN_FILE);
        let mut children: Children = config::read_or_default(&path)?;
        let hex = node.to_hex();
        let Some(child) = children.children.iter_mut().find(|child| child.node == hex) else {
            return Ok(false);
        };
        child.revoked = true;
        config::write(&path, &children)?;
        Ok(true)
    }

    /// Appends the parent's receipts to [`RECEIPTS_FILE`], durably.
    pub fn save_receipts(&self, receipts: &[nhip_protocol::Receipt]) -> Result<(), HomeError> {
        append_receipts(&self.dir, receipts)
    }

    /// Records how a sync with the parent ended.
    pub fn record_sync(
        &self,
        outcome: &Result<crate::transport::LinkReport, crate::transport::TransportError>,
        next_attempt_ms: Option<u64>,
    ) -> Result<(), HomeError> {
        let path = self.dir.join(SYNC_FILE);
        let mut record: SyncRecord = config::read_or_default(&path)?;
        let now = now_ms();
        record.next_attempt_ms = next_attempt_ms.filter(|_| outcome.is_err());
        match outcome {
            Ok(report) => {
                record.sent += report.delivered;
                record.received += report.received;
                if report.caught_up {
                    record.last_success_ms = Some(now);
                    record.refusals.clone_from(&report.refusals);
                }
            }
            Err(error) => {
                record.last_error_ms = Some(now);
                record.last_error = Some(error.to_string());
            }
        }
        Ok(config::write(&path, &record)?)
    }

    /// The record of syncs with the parent.
    pub fn sync_record(&self) -> Result<SyncRecord, HomeError> {
        Ok(config::read_or_default(&self.dir.join(SYNC_FILE))?)
    }

    /// Events this node and its children wrote that the parent has not acknowledged yet,
    /// according to the receipts held.
    pub fn pending_up(&self) -> Result<u64, HomeError> {
        let mut acknowledged: BTreeMap<nhip_engine::ChainId, u64> = BTreeMap::new();
        let text = fs::read_to_string(self.dir.join(RECEIPTS_FILE)).unwrap_or_default();
        for line in text.lines() {
            let Some(body) = decode_receipt(line).and_then(|receipt| receipt.verify().ok()) else {
                continue;
            };
            for head in body.heads {
                let seen = acknowledged.entry(head.chain).or_default();
                *seen = (*seen).max(head.seq.0);
            }
        }
        let mine = self.fixed_units();
        let parent = self
            .config
            .parent
            .as_ref()
            .and_then(|parent| NodeId::from_hex(&parent.node));
        let mut pending = 0;
        for (chain, head) in self.log.heads()? {
            if Some(chain.origin) == parent || !mine.contains_key(&chain.origin) {
                continue;
            }
            pending += head
                .seq
                .0
                .saturating_sub(acknowledged.get(&chain).copied().unwrap_or(0));
        }
        Ok(pending)
    }

    /// The invites file.
    pub fn invites(&self) -> Result<Invites, HomeError> {
        Ok(config::read_or_default(&self.dir.join(INVITES_FILE))?)
    }

    /// Writes the invites file.
    pub fn save_invites(&self, invites: &Invites) -> Result<(), HomeError> {
        Ok(config::write(&self.dir.join(INVITES_FILE), invites)?)
    }

    /// Who may connect: enrolled, unrevoked children — and, while an invitation is open, any
    /// key, which may then only redeem the invitation.
    pub fn admission(&self) -> Arc<HomeAdmission> {
        Arc::new(HomeAdmission {
            dir: self.dir.clone(),
            unit: self.config.unit.clone(),
            source: self.source(),
        })
    }

    /// Which unit each node belongs to: this node and its parent from the configuration, every
    /// other from the log's enrollments (the live state, so a child enrolled a moment ago is
    /// known at once and nothing is replayed to learn it).
    pub fn directory(&self) -> Arc<LiveDirectory> {
        Arc::new(LiveDirectory {
            dir: self.dir.clone(),
            fixed: self.fixed_units(),
            source: self.source(),
        })
    }

    fn fixed_units(&self) -> BTreeMap<NodeId, UnitId> {
        let mut fixed = BTreeMap::from([(self.node(), self.config.unit.clone())]);
        if let Some(parent) = &self.config.parent {
            if let Some(node) = NodeId::from_hex(&parent.node) {
                fixed.insert(node, parent.unit.clone());
            }
        }
        fixed
    }
}

/// The log, the live state folded from it and the commit feed that says when to fold again.
#[derive(Clone)]
struct StateSource {
    log: Arc<RedbLog>,
    live: Arc<crate::live::LiveState>,
    changes: Arc<watch::Sender<u64>>,
}

impl StateSource {
    /// The state as of the commit feed's last word (rechecked at least every second).
    fn state(&self) -> Result<Arc<State>, StoreError> {
        let generation = *self.changes.borrow();
        self.live.state_at(self.log.as_ref(), generation)
    }

    /// The state of the log as it is this instant: what a link stored a moment ago, before the
    /// commit feed was told, is folded too (it reads the chain heads; it replays nothing).
    fn fresh(&self) -> Result<Arc<State>, StoreError> {
        self.live.state(self.log.as_ref())
    }

    /// The unit `node` was enrolled for, looking again at the log itself if the state at hand
    /// does not know it (an enrollment that arrived in the same sync as the enrolled node's
    /// own events).
    fn enrolled(&self, node: &NodeId) -> Option<(UnitId, bool)> {
        let known = |state: Arc<State>| {
            state
                .registry
                .nodes
                .get(node)
                .map(|unit| (unit.clone(), state.registry.revoked.contains_key(node)))
        };
        self.state()
            .ok()
            .and_then(known)
            .or_else(|| self.fresh().ok().and_then(known))
    }
}

/// The children of the node of `unit`, from its registry and its children file.
fn children_of(
    unit: &UnitId,
    registry: &nhip_engine::registry::Registry,
    file: Children,
) -> Children {
    let mut children: Vec<config::Child> = registry
        .nodes
        .iter()
        .filter(|(_, at)| at.parent().as_ref() == Some(unit))
        .map(|(node, at)| config::Child {
            node: node.to_hex(),
            unit: at.clone(),
            revoked: registry.revoked.contains_key(node),
        })
        .collect();
    for child in file.children {
        match children.iter_mut().find(|known| known.node == child.node) {
            // Revoked in the file by an earlier version: it stays revoked.
            Some(known) => known.revoked |= child.revoked,
            None => children.push(child),
        }
    }
    Children { children }
}

/// The TLS admission of a node, read at every handshake, so `nhip revoke` and `nhip invite`
/// take effect on a running `nhip serve`.
pub struct HomeAdmission {
    dir: PathBuf,
    unit: UnitId,
    source: StateSource,
}

impl HomeAdmission {
    /// Whether `node` is an enrolled, unrevoked child.
    pub fn is_child(&self, node: &NodeId) -> bool {
        let file =
            config::read_or_default::<Children>(&self.dir.join(CHILDREN_FILE)).unwrap_or_default();
        let admitted = |state: Arc<State>| {
            children_of(&self.unit, &state.registry, file.clone())
                .admitted(node)
                .is_some()
        };
        // The state at hand, else the log as it is this instant (an enrollment just stored).
        self.source.state().is_ok_and(admitted) || self.source.fresh().is_ok_and(admitted)
    }

    fn invitation_open(&self) -> bool {
        let now = now_ms();
        config::read_or_default::<Invites>(&self.dir.join(INVITES_FILE)).is_ok_and(|invites| {
            invites
                .invites
                .iter()
                .any(|invite| !invite.used && invite.expires_ms > now)
        })
    }
}

impl Admission for HomeAdmission {
    fn admits(&self, node: &NodeId) -> bool {
        self.is_child(node) || self.invitation_open()
    }
}

/// Node units from the configuration and the log's enrollments (and the children file of an
/// earlier version).
pub struct LiveDirectory {
    dir: PathBuf,
    fixed: BTreeMap<NodeId, UnitId>,
    source: StateSource,
}

impl Directory for LiveDirectory {
    fn unit_of(&self, node: &NodeId) -> Option<UnitId> {
        if let Some(unit) = self.fixed.get(node) {
            return Some(unit.clone());
        }
        if let Some((unit, _)) = self.source.enrolled(node) {
            return Some(unit);
        }
        config::read_or_default::<Children>(&self.dir.join(CHILDREN_FILE))
            .ok()
            .and_then(|children| children.admitted(node).map(|child| child.unit.clone()))
    }
}
