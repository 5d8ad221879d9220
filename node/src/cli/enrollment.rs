//! `nhip invite`, `nhip join`, `nhip revoke`: how a child node comes into the tree and leaves it.

use std::path::{Path, PathBuf};

use clap::Args;

use super::args;
use super::output::{ExitCode, Outcome, fail, home_failure};
use crate::account::Actor;
use crate::enroll;
use crate::home::{Home, HomeError};
use crate::making::Making;
use crate::text_search::normalize;
use crate::texts::Texts;
use crate::transport;
use nhip_engine::command::Command;

#[derive(Args)]
pub(crate) struct InviteArgs {
    /// Đơn vị con (child unit path).
    #[arg(long)]
    pub(crate) unit: String,
    /// Tên đơn vị con.
    #[arg(long)]
    name: Option<String>,
    /// Người quản trị của đơn vị con (its administrator's code).
    #[arg(long)]
    admin: Option<String>,
    /// Họ tên người quản trị.
    #[arg(long)]
    admin_name: Option<String>,
    /// Địa chỉ nút con dùng để gọi nút này (host:port) [mặc định: listen trong config].
    #[arg(long)]
    addr: Option<String>,
    /// Số ngày hiệu lực.
    #[arg(long, default_value_t = 7)]
    days: u64,
    /// Tệp mời sẽ ghi ra.
    #[arg(long)]
    pub(crate) out: PathBuf,
}

#[derive(Args)]
pub(crate) struct JoinArgs {
    /// Tệp mời từ nút cha.
    pub(crate) file: PathBuf,
}

/// `nhip invite`: writes a one-time invitation for a child unit.
pub(super) fn invite(home: &Home, texts: Texts, args: InviteArgs, actor: &Actor) -> Outcome {
    let unit = args::unit(texts, &args.unit)?;
    let admin = match &args.admin {
        Some(code) => Some(args::person(texts, code)?),
        None => None,
    };
    let admin_name = args
        .admin_name
        .as_deref()
        .map(normalize)
        .or_else(|| admin.as_ref().map(|a| a.to_string()))
        .unwrap_or_default();
    // Children must be told an address that reaches this node from where they are: a node
    // listening on every interface cannot guess which of its addresses that is.
    let addr = match &args.addr {
        Some(addr) => addr.clone(),
        None => match home.config.listen.parse::<std::net::SocketAddr>() {
            Ok(listen) if !listen.ip().is_unspecified() => listen.to_string(),
            _ => {
                return Err(fail(
                    ExitCode::Usage,
                    texts.invite_needs_addr(&home.config.listen),
                ));
            }
        },
    };
    let name = args
        .name
        .as_deref()
        .map(normalize)
        .unwrap_or_else(|| unit.to_string());
    let file = enroll::invite(
        home,
        &unit,
        &name,
        admin.as_ref().map(|person| (person, admin_name.as_str())),
        &addr,
        args.days,
        actor,
    )
    .map_err(|error| match error {
        enroll::EnrollError::Home(error) => home_failure(texts, error),
        enroll::EnrollError::NotInStep { person, unit } => {
            fail(ExitCode::Refused, texts.invite_needs_sync(&person, &unit))
        }
        other => fail(ExitCode::Refused, other.to_string()),
    })?;
    let text = toml::to_string_pretty(&file)
        .map_err(|error| fail(ExitCode::Refused, error.to_string()))?;
    std::fs::write(&args.out, text).map_err(|error| {
        fail(
            ExitCode::Refused,
            format!("{}: {error}", args.out.display()),
        )
    })?;
    say!(
        "{}",
        texts.invite_written(&args.out.display().to_string(), unit.as_str(), args.days)
    );
    Ok(())
}

/// `nhip join FILE`: makes this node (created here if need be) a child of the inviting node.
pub(super) fn join(data: &Path, texts: Texts, args: JoinArgs, actor: Option<&str>) -> Outcome {
    let invite = enroll::read_invite(&args.file)
        .map_err(|error| fail(ExitCode::Refused, error.to_string()))?;
    // A bad file makes nothing: no folder, no key.
    enroll::check(&invite).map_err(|error| fail(ExitCode::Refused, error.to_string()))?;
    let (mut home, making) = match Home::open(data) {
        Ok(home) => (home, None),
        Err(HomeError::NoNode(_)) => {
            let Some(actor) = actor else {
                return Err(fail(ExitCode::Usage, "nhip join FILE --as PERSON"));
            };
            let person = args::person(texts, actor)?;
            // Made beside the data folder and moved in once enrolled: a join that fails or is
            // killed leaves nothing behind, and the next attempt starts afresh.
            let making = Making::start(data).map_err(|error| home_failure(texts, error.into()))?;
            match Home::create(making.folder(), invite.unit.clone(), person) {
                Ok(home) => (home, Some(making)),
                Err(error) => {
                    making.abandon();
                    return Err(home_failure(texts, error));
                }
            }
        }
        Err(error) => return Err(home_failure(texts, error)),
    };
    let joined = super::block_on(enroll::join(&mut home, &invite))?;
    if let Err(error) = joined {
        if let Some(making) = making {
            drop(home);
            making.abandon();
        }
        return Err(join_failure(texts, error));
    }
    let home = match making {
        Some(making) => {
            drop(home);
            making
                .finish()
                .map_err(|error| home_failure(texts, error.into()))?;
            Home::open(data).map_err(|error| home_failure(texts, error))?
        }
        None => home,
    };
    say!(
        "{}",
        texts.joined(&invite.parent_addr, invite.unit.as_str())
    );
    // The registry comes down at once: who administers what, so this node can invite its own
    // children and check its people's roles.
    if let Err(failure) = super::sync::exec(&home, texts, false, false) {
        warn!("{}", texts.first_sync_later(&failure.message));
    }
    Ok(())
}

fn join_failure(texts: Texts, error: enroll::EnrollError) -> super::output::Failure {
    match error {
        enroll::EnrollError::Refused(reason)
        | enroll::EnrollError::Transport(transport::TransportError::Refused(reason)) => {
            fail(ExitCode::Refused, texts.join_refused(&reason))
        }
        enroll::EnrollError::Transport(error) => {
            fail(ExitCode::Network, texts.sync_failed(&error.to_string()))
        }
        other => fail(ExitCode::Refused, other.to_string()),
    }
}

/// `nhip revoke CHILD`: the child (by node key prefix or unit) may no longer connect. The
/// revocation is an event (`node.revoked`), decided by the acting administrator: one atomic
/// step, which the nodes above and the auditors see.
pub(super) fn revoke(home: &Home, texts: Texts, actor: &Actor, child: &str) -> Outcome {
    let children = home
        .children()
        .map_err(|error| home_failure(texts, error))?;
    let wanted = child.trim().to_lowercase();
    let Some(found) = children
        .children
        .iter()
        .find(|c| !c.revoked && (c.node.starts_with(&wanted) || c.unit.as_str() == wanted))
    else {
        return Err(fail(ExitCode::Refused, texts.no_such_child(child)));
    };
    let node = nhip_engine::NodeId::from_hex(&found.node)
        .ok_or_else(|| fail(ExitCode::NoNode, format!("children.toml: {}", found.node)))?;
    let enrolled_in_log = home
        .state()
        .map_err(|error| home_failure(texts, error))?
        .registry
        .nodes
        .get(&node)
        == Some(&found.unit);
    if enrolled_in_log {
        let command = Command::RevokeNode {
            node,
            unit: found.unit.clone(),
        };
        home.act(actor, command)
            .map_err(|error| home_failure(texts, error))?;
    } else {
        home.revoke_in_file(&node)
            .map_err(|error| home_failure(texts, error))?;
    }
    say!(
        "{}",
        texts.revoked(&found.node[..8.min(found.node.len())], found.unit.as_str())
    );
    Ok(())
}
