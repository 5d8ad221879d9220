//! Enrollment: a parent invites a child with a one-time file; the child redeems it on first
//! contact, which pins the parent's key on the child and the child's key on the parent.
//!
//! While an invitation is open, the parent's TLS admits unknown keys — but such a connection
//! may do nothing but redeem an invitation (one `Enroll` frame, one `Enrolled` answer). Once
//! no invitation is open, unknown keys fail the handshake.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use nhip_engine::command::Command;
use nhip_engine::{NodeId, UnitId};
use nhip_protocol::message::{Enroll, Enrolled};
use nhip_protocol::{EnrollEvent, Enrollment};
use quinn::Connection;
use serde::{Deserialize, Serialize};

use crate::config::{Invite, ParentConfig};
use crate::home::{Home, HomeError};
use crate::limits::ENROLL_LINGER_MS;
use crate::transport::{self, TransportError, now_ms};

/// The invitation file handed to a child.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct InviteFile {
    /// Where the parent listens.
    pub parent_addr: String,
    /// The parent's key, hex.
    pub parent_node: String,
    /// The parent's unit.
    pub parent_unit: UnitId,
    /// The child's unit.
    pub unit: UnitId,
    /// The one-time secret, hex.
    pub secret: String,
    /// Expiry, ms since the epoch.
    pub expires_ms: u64,
}

/// Why enrollment failed.
#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    /// A node-folder problem.
    #[error(transparent)]
    Home(#[from] HomeError),
    /// The link failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The invitation file is not valid.
    #[error("the invitation file is not valid: {0}")]
    BadFile(String),
    /// The invitation expired.
    #[error("the invitation expired")]
    Expired,
    /// The parent refused.
    #[error("{0}")]
    Refused(String),
    /// This node does not know its own administrator yet: it has not synced with its parent.
    #[error("{person} is not known here as an administrator of {unit}: sync first")]
    NotInStep {
        /// The inviting person.
        person: String,
        /// This node's unit.
        unit: String,
    },
    /// The unit is not below this node's unit.
    #[error("{child} is not below {parent}")]
    NotBelow {
        /// The child's unit.
        child: String,
        /// This node's unit.
        parent: String,
    },
}

/// Creates an invitation for `unit` below this node, valid for `days`, reachable at `addr`.
/// Records the unit (and, if given, its administrator) in the registry.
pub fn invite(
    home: &Home,
    unit: &UnitId,
    unit_name: &str,
    admin: Option<(&nhip_engine::PersonId, &str)>,
    addr: &str,
    days: u64,
    actor: &crate::account::Actor,
) -> Result<InviteFile, EnrollError> {
    if unit == &home.config.unit || !unit.is_within(&home.config.unit) {
        return Err(EnrollError::NotBelow {
            child: unit.to_string(),
            parent: home.config.unit.to_string(),
        });
    }
    let me = actor.person.clone();
    let state = home.state()?;
    // Below a node with a parent, the inviter must be known here as an administrator in line:
    // else the enrollment it will record (`node.enrolled`) would be refused, and the child's
    // work refused at every node above. A node gets that knowledge from its first sync.
    if home.config.parent.is_some()
        && !state
            .registry
            .holds_in_line(&me, &home.config.unit, nhip_engine::registry::ADMIN_ROLE)
    {
        return Err(EnrollError::NotInStep {
            person: me.to_string(),
            unit: home.config.unit.to_string(),
        });
    }
    if !state.registry.units.contains_key(unit) {
        home.act(
            actor,
            Command::DefineUnit {
                unit: unit.clone(),
                name: unit_name.to_owned(),
                kind: "unit".into(),
            },
        )?;
    }
    if let Some((person, name)) = admin {
        home.act(
            actor,
            Command::RegisterPerson {
                person: person.clone(),
                name: name.to_owned(),
                unit: unit.clone(),
            },
        )?;
        home.act(
            actor,
            Command::AssignRole {
                person: person.clone(),
                unit: unit.clone(),
                role: nhip_engine::registry::ADMIN_ROLE.into(),
            },
        )?;
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|error| EnrollError::BadFile(error.to_string()))?;
    let expires_ms = now_ms() + days * 24 * 60 * 60 * 1000;
    let mut invites = home.invites()?;
    invites.invites.push(Invite {
        unit: unit.clone(),
        secret_hash: blake3::hash(&secret).to_hex().to_string(),
        expires_ms,
        used: false,
    });
    home.save_invites(&invites)?;
    Ok(InviteFile {
        parent_addr: addr.to_owned(),
        parent_node: home.node().to_hex(),
        parent_unit: home.config.unit.clone(),
        unit: unit.clone(),
        secret: NodeId(secret).to_hex(),
        expires_ms,
    })
}

/// Reads an invitation file.
pub fn read_invite(path: &Path) -> Result<InviteFile, EnrollError> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| EnrollError::BadFile(format!("{}: {error}", path.display())))?;
    toml::from_str(&text).map_err(|error| EnrollError::BadFile(error.to_string()))
}

/// Checks an invitation before anything is made from it: not expired, a parent key, a secret
/// of 64 hex digits, an address that resolves.
pub fn check(invite: &InviteFile) -> Result<(NodeId, [u8; 32], SocketAddr), EnrollError> {
    if invite.expires_ms < now_ms() {
        return Err(EnrollError::Expired);
    }
    let parent = NodeId::from_hex(&invite.parent_node)
        .ok_or_else(|| EnrollError::BadFile("parent_node is not a key".into()))?;
    let secret = NodeId::from_hex(&invite.secret)
        .ok_or_else(|| EnrollError::BadFile("secret is not 64 hex digits".into()))?
        .0;
    let addr: SocketAddr = resolve(&invite.parent_addr)?;
    Ok((parent, secret, addr))
}

/// The child's side: connects to the parent pinned in `invite`, redeems it, and pins the
/// parent in the child's configuration.
pub async fn join(home: &mut Home, invite: &InviteFile) -> Result<(), EnrollError> {
    let (parent, secret, addr) = check(invite)?;
    let endpoint = transport::client_endpoint(unspecified_for(&addr), &home.key, parent)?;
    let mut machine = Enrollment::child(
        now_ms(),
        Enroll {
            secret,
            unit: invite.unit.clone(),
        },
    );
    let within = time_left(&machine);
    let exchange = async {
        let connection = transport::connect(&endpoint, addr).await?;
        let (mut send, mut recv) = connection
            .open_bi()
            .await
            .map_err(|error| transport::classify(&error))?;
        while let Some(bytes) = machine.poll_transmit() {
            send.write_all(&bytes).await.map_err(|error| match error {
                quinn::WriteError::ConnectionLost(error) => transport::classify(&error),
                other => TransportError::Link(other.to_string()),
            })?;
        }
        let _ = send.finish();
        let event = next_event(&mut machine, &mut recv).await?;
        connection.close(quinn::VarInt::from_u32(0), b"enrolled");
        Ok::<_, TransportError>(event)
    };
    let event = tokio::time::timeout(within, exchange)
        .await
        .map_err(|_| TransportError::Link("the parent did not answer in time".into()))??;
    endpoint.wait_idle().await;
    match event {
        EnrollEvent::Answered(Enrolled { accepted: true, .. }) => {
            home.config.parent = Some(ParentConfig {
                addr: invite.parent_addr.clone(),
                node: invite.parent_node.clone(),
                unit: invite.parent_unit.clone(),
            });
            home.save_config()?;
            Ok(())
        }
        EnrollEvent::Answered(Enrolled { reason, .. }) | EnrollEvent::Failed(reason) => {
            Err(EnrollError::Refused(reason))
        }
        EnrollEvent::Asked(_) => Err(EnrollError::Refused(
            "the parent answered something else".into(),
        )),
    }
}

/// The parent's side, for a connection from a key that is not an enrolled child.
pub async fn serve_enrollment(home: &Home, connection: Connection, peer: NodeId) {
    let mut machine = Enrollment::parent(now_ms());
    let within = time_left(&machine);
    let outcome = async {
        let (mut send, mut recv) = connection
            .accept_bi()
            .await
            .map_err(|error| TransportError::Link(error.to_string()))?;
        if let EnrollEvent::Asked(request) = next_event(&mut machine, &mut recv).await? {
            machine.answer(redeem(home, peer, &request));
        }
        // The answer, or the refusal the machine queued for a stranger's other message.
        while let Some(bytes) = machine.poll_transmit() {
            send.write_all(&bytes)
                .await
                .map_err(|error| TransportError::Link(error.to_string()))?;
        }
        let _ = send.finish();
        let _ = tokio::time::timeout(Duration::from_millis(ENROLL_LINGER_MS), send.stopped()).await;
        Ok::<_, TransportError>(())
    };
    let _ = tokio::time::timeout(within, outcome).await;
    connection.close(quinn::VarInt::from_u32(0), b"");
}

fn redeem(home: &Home, peer: NodeId, enroll: &Enroll) -> Enrolled {
    let refused = |reason: &str| Enrolled {
        accepted: false,
        reason: reason.to_owned(),
    };
    let Ok(mut invites) = home.invites() else {
        return refused("the parent cannot read its invitations");
    };
    let hash = blake3::hash(&enroll.secret).to_hex().to_string();
    let now = now_ms();
    let Some(invite) = invites
        .invites
        .iter_mut()
        .find(|invite| invite.secret_hash == hash && invite.unit == enroll.unit)
    else {
        return refused("no such invitation");
    };
    if invite.used {
        return refused("this invitation was already used");
    }
    if invite.expires_ms < now {
        return refused("this invitation expired");
    }
    // The enrollment is recorded as an event, so the nodes above learn the child's unit; a
    // parent that cannot record it must not admit the child, whose work would then be refused
    // above without a word.
    let enrollment = Command::EnrollNode {
        node: peer,
        unit: enroll.unit.clone(),
    };
    let _turn = home.writing();
    let state = match home.state() {
        Ok(state) => state,
        Err(_) => return refused("the parent cannot read its log"),
    };
    let id = nhip_engine::EventId(uuid::Uuid::now_v7());
    let draft = match nhip_engine::command::decide(&state, &home.config.person, id, now, enrollment)
    {
        Ok(draft) => draft,
        Err(error) => {
            tracing::warn!(%error, "an enrollment could not be recorded");
            return refused(&format!(
                "the parent cannot record the enrollment yet ({error}); it must sync with its own parent first"
            ));
        }
    };
    // The invitation is spent first: a crash after this and before the append leaves it
    // spent and the child not admitted (it is told to ask for a new one), never a second use.
    invite.used = true;
    if home.save_invites(&invites).is_err() {
        return refused("the parent cannot record the invitation as used");
    }
    // The one step that admits the child: the enrollment event, in the log, where admission,
    // the directory, the auditors and the nodes above all read membership from.
    if let Err(error) = home.append(now, vec![draft]) {
        tracing::error!(%error, "an admitted child's enrollment was not recorded");
        return refused("the parent cannot write its log");
    }
    Enrolled {
        accepted: true,
        reason: String::new(),
    }
}

/// How long the machine gives the exchange from now: its deadline, as the runtime's timeout.
fn time_left(machine: &Enrollment) -> Duration {
    let deadline = machine.poll_timeout().unwrap_or_default();
    Duration::from_millis(deadline.saturating_sub(now_ms()))
}

/// Reads from `recv` into the machine until it has something to say.
async fn next_event(
    machine: &mut Enrollment,
    recv: &mut quinn::RecvStream,
) -> Result<EnrollEvent, TransportError> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(event) = machine.poll_event() {
            return Ok(event);
        }
        match recv.read(&mut chunk).await {
            Ok(Some(len)) => machine.handle_input(chunk.get(..len).unwrap_or_default()),
            Ok(None) => return Err(TransportError::Link("the stream ended early".into())),
            Err(quinn::ReadError::ConnectionLost(error)) => {
                return Err(transport::classify(&error));
            }
            Err(error) => return Err(TransportError::Link(error.to_string())),
        }
    }
}

/// Resolves `host:port`.
pub fn resolve(addr: &str) -> Result<SocketAddr, EnrollError> {
    use std::net::ToSocketAddrs;
    addr.to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| EnrollError::BadFile(format!("{addr:?} is not a reachable address")))
}

/// The any-address of `addr`'s family, for binding a client socket.
pub fn unspecified_for(addr: &SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V4(_) => "0.0.0.0:0".parse().expect("valid"),
        SocketAddr::V6(_) => "[::]:0".parse().expect("valid"),
    }
}
