//! `nhip unit …` and `nhip person …`: the registry of units, people and roles.

use clap::Subcommand;
use nhip_engine::command::Command;

use super::output::{Outcome, home_failure, print_json, short};
use super::{JsonArg, args};
use crate::account::Actor;
use crate::home::Home;
use crate::text_search::normalize;
use crate::texts::Texts;

#[derive(Subcommand)]
pub(crate) enum UnitAction {
    /// Thêm đơn vị.
    Add {
        /// Đường dẫn đơn vị.
        unit: String,
        /// Tên.
        #[arg(long)]
        name: String,
        /// Loại.
        #[arg(long, default_value = "unit")]
        kind: String,
    },
    /// Danh sách đơn vị.
    List(JsonArg),
}

#[derive(Subcommand)]
pub(crate) enum PersonAction {
    /// Thêm cán bộ.
    Add {
        /// Mã cán bộ.
        person: String,
        /// Họ tên.
        #[arg(long)]
        name: String,
    },
    /// Giao hoặc bỏ vai trò.
    Role {
        /// Mã cán bộ.
        person: String,
        /// Đơn vị.
        #[arg(long)]
        unit: String,
        /// Vai trò.
        #[arg(long)]
        role: String,
        /// Bỏ vai trò thay vì giao.
        #[arg(long)]
        remove: bool,
    },
    /// Danh sách cán bộ.
    List(JsonArg),
    /// Cấp mã thiết lập tài khoản (issue a one-time setup code): in một lần, hết hạn.
    SetupCode {
        /// Mã cán bộ.
        person: String,
        /// Số ngày còn hiệu lực.
        #[arg(long, default_value_t = crate::limits::SETUP_CODE_DAYS)]
        days: u64,
    },
    /// Thu hồi khóa ký của một người (revoke a person's key: lost, leaked).
    RevokeKey {
        /// Mã cán bộ.
        person: String,
    },
}

pub(super) fn record(
    home: &Home,
    texts: Texts,
    actor: &Actor,
    what: &str,
    command: Command,
) -> Outcome {
    let id = home
        .act(actor, command)
        .map_err(|error| home_failure(texts, error))?;
    say!("{}", texts.recorded(what, &short(&id)));
    Ok(())
}

/// `nhip unit …`.
pub(super) fn unit(home: &Home, texts: Texts, actor: &Actor, action: UnitAction) -> Outcome {
    match action {
        UnitAction::Add { unit, name, kind } => {
            let unit = args::unit(texts, &unit)?;
            record(
                home,
                texts,
                actor,
                "unit",
                Command::DefineUnit {
                    unit,
                    name: normalize(&name),
                    kind,
                },
            )
        }
        UnitAction::List(args) => {
            let state = home.state().map_err(|error| home_failure(texts, error))?;
            if args.json {
                return print_json(&state.registry.units);
            }
            for (unit, details) in &state.registry.units {
                say!("{unit:<40} {:<10} {}", details.kind, details.name);
            }
            Ok(())
        }
    }
}

/// `nhip person …`.
pub(super) fn person(home: &Home, texts: Texts, me: &Actor, action: PersonAction) -> Outcome {
    match action {
        PersonAction::Add { person, name } => {
            let person = args::person(texts, &person)?;
            let unit = home.config.unit.clone();
            record(
                home,
                texts,
                me,
                "person",
                Command::RegisterPerson {
                    person,
                    name: normalize(&name),
                    unit,
                },
            )
        }
        PersonAction::Role {
            person,
            unit,
            role,
            remove,
        } => {
            let person = args::person(texts, &person)?;
            let unit = args::unit(texts, &unit)?;
            let command = if remove {
                Command::RemoveRole { person, unit, role }
            } else {
                Command::AssignRole { person, unit, role }
            };
            record(home, texts, me, "role", command)
        }
        PersonAction::SetupCode { person, days } => {
            super::account::issue_setup_code(home, texts, me, &person, days)
        }
        PersonAction::RevokeKey { person } => super::account::revoke_key(home, texts, me, &person),
        PersonAction::List(args) => {
            let state = home.state().map_err(|error| home_failure(texts, error))?;
            if args.json {
                let people: Vec<_> = state
                    .registry
                    .people
                    .iter()
                    .map(|(code, person)| {
                        serde_json::json!({
                            "person": code,
                            "name": person.name,
                            "roles": state.registry.roles_of(code),
                        })
                    })
                    .collect();
                return print_json(&people);
            }
            for (code, person) in &state.registry.people {
                let roles: Vec<String> = state
                    .registry
                    .roles_of(code)
                    .into_iter()
                    .map(|(unit, role)| format!("{role}@{unit}"))
                    .collect();
                say!("{code:<22} {:<22} {}", person.name, roles.join(", "));
            }
            Ok(())
        }
    }
}
