//! `nhip invite`, `nhip join`, `nhip revoke`: how a child node comes into the tree and leaves it.

use std::path::{Path, PathBuf};

use clap::Args;

use super::args;
use super::output::{ExitCode, Outcome, fail, home_failure};
use crate::enroll;
use crate::home::{Home, HomeError};
use crate::text_search::normalize;
use crate::texts::Texts;
use crate::transport;

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
pub(super) fn invite(home: &Home, texts: Texts, args: InviteArgs) -> Outcome {
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
    let addr = args
        .addr
        .clone()
        .unwrap_or_else(|| home.config.listen.replace("0.0.0.0", "127.0.0.1"));
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
    let mut home = match Home::open(data) {
        Ok(home) => home,
        Err(HomeError::NoNode(_)) => {
            let Some(actor) = actor else {
                return Err(fail(ExitCode::Usage, "nhip join FILE --as PERSON"));
            };
            let person = args::person(texts, actor)?;
            Home::create(data, invite.unit.clone(), person)
                .map_err(|error| home_failure(texts, error))?
        }
        Err(error) => return Err(home_failure(texts, error)),
    };
    super::block_on(enroll::join(&mut home, &invite))?.map_err(|error| match error {
        enroll::EnrollError::Refused(reason)
        | enroll::EnrollError::Transport(transport::TransportError::Refused(reason)) => {
            fail(ExitCode::Refused, texts.join_refused(&reason))
        }
        enroll::EnrollError::Transport(error) => {
            fail(ExitCode::Network, texts.sync_failed(&error.to_string()))
        }
        other => fail(ExitCode::Refused, other.to_string()),
    })?;
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

/// `nhip revoke CHILD`: the child (by node key prefix or unit) may no longer connect.
pub(super) fn revoke(home: &Home, texts: Texts, child: &str) -> Outcome {
    let mut children = home
        .children()
        .map_err(|error| home_failure(texts, error))?;
    let wanted = child.trim().to_lowercase();
    let Some(found) = children
        .children
        .iter_mut()
        .find(|c| !c.revoked && (c.node.starts_with(&wanted) || c.unit.as_str() == wanted))
    else {
        return Err(fail(ExitCode::Refused, texts.no_such_child(child)));
    };
    found.revoked = true;
    let (node, unit) = (found.node.clone(), found.unit.to_string());
    home.save_children(&children)
        .map_err(|error| home_failure(texts, error))?;
    say!("{}", texts.revoked(&node[..8.min(node.len())], &unit));
    Ok(())
}
