//! `nhip init`: a new node, and for the hub its administrator and root unit.

use std::path::Path;

use clap::Args;
use nhip_engine::command::Command;

use super::args;
use super::output::{ExitCode, Outcome, fail, home_failure};
use nhip_engine::{PersonId, UnitId};

use crate::home::{Home, HomeError};
use crate::making::Making;
use crate::text_search::normalize;
use crate::texts::Texts;

#[derive(Args)]
pub(crate) struct InitArgs {
    /// Đơn vị của nút (unit path), ví dụ lai-chau/binh-lu.
    #[arg(long)]
    unit: String,
    /// Tên đơn vị (unit name).
    #[arg(long)]
    name: Option<String>,
    /// Họ tên người quản trị (administrator's full name).
    #[arg(long)]
    person_name: Option<String>,
    /// Nút trung tâm (the root of the tree): người thực hiện trở thành quản trị.
    #[arg(long)]
    hub: bool,
    /// Địa chỉ lắng nghe cho nhip serve.
    #[arg(long)]
    listen: Option<String>,
}

pub(super) fn exec(data: &Path, texts: Texts, args: InitArgs, actor: Option<&str>) -> Outcome {
    let unit = args::unit(texts, &args.unit)?;
    let Some(actor) = actor else {
        return Err(fail(ExitCode::Usage, "nhip init --unit UNIT --as PERSON"));
    };
    let person = args::person(texts, actor)?;
    // Made beside the data folder and moved in whole: a crash leaves no half-made node.
    let making = Making::start(data).map_err(|error| home_failure(texts, error.into()))?;
    let node = match make(making.folder(), unit.clone(), person.clone(), args) {
        Ok(home) => home.node(),
        Err(error) => {
            making.abandon();
            return Err(home_failure(texts, error));
        }
    };
    making
        .finish()
        .map_err(|error| home_failure(texts, error.into()))?;
    say!(
        "{}",
        texts.node_created(&data.display().to_string(), unit.as_str(), &node.to_hex())
    );
    Ok(())
}

/// The node's files in `folder`: its key, its log and configuration, and for the hub its
/// administrator and root unit.
fn make(folder: &Path, unit: UnitId, person: PersonId, args: InitArgs) -> Result<Home, HomeError> {
    let mut home = Home::create(folder, unit.clone(), person.clone())?;
    if let Some(listen) = args.listen {
        home.config.listen = listen;
        home.save_config()?;
    }
    if args.hub {
        // The hub's administrator appoints themself: the root of the tree.
        let name = args
            .name
            .as_deref()
            .map(normalize)
            .unwrap_or_else(|| unit.to_string());
        let person_name = args
            .person_name
            .as_deref()
            .map(normalize)
            .unwrap_or_else(|| person.to_string());
        for command in [
            Command::AssignRole {
                person: person.clone(),
                unit: unit.clone(),
                role: nhip_engine::registry::ADMIN_ROLE.into(),
            },
            Command::DefineUnit {
                unit: unit.clone(),
                name,
                kind: "hub".into(),
            },
            Command::RegisterPerson {
                person: person.clone(),
                name: person_name,
                unit: unit.clone(),
            },
        ] {
            home.act(&crate::account::Actor::unsigned(person.clone()), command)?;
        }
    }
    Ok(home)
}
