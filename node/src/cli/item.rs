//! `nhip task …` and `nhip item …`: creating, listing, showing and acting on items of any
//! workflow.

use clap::{Args, Subcommand};
use nhip_engine::command::Command;
use nhip_engine::state::{Item, State};
use nhip_engine::{Date, EventId};

use super::args;
use super::output::{ExitCode, Outcome, fail, home_failure, print_json, short};
use crate::account::Actor;
use crate::home::Home;
use crate::text_search::{matches, normalize};
use crate::texts::Texts;
use crate::transport::now_ms;

#[derive(Subcommand)]
pub(crate) enum ItemAction {
    /// Tạo mới (create).
    Create {
        /// Việc (the work).
        #[arg(long)]
        title: String,
        /// Đơn vị liên quan (unit) [mặc định: đơn vị của nút].
        #[arg(long)]
        unit: Option<String>,
        /// Đơn vị chủ trì (lead unit).
        #[arg(long)]
        lead: Option<String>,
        /// Đơn vị phối hợp, cách nhau bởi dấu phẩy.
        #[arg(long, value_delimiter = ',')]
        coordinating: Vec<String>,
        /// Người thực hiện (assignee).
        #[arg(long)]
        assignee: Option<String>,
        /// Thời hạn: 2025-12-31 hoặc 31/12/2025.
        #[arg(long)]
        deadline: Option<String>,
        /// Mô tả.
        #[arg(long, default_value = "")]
        description: String,
        /// Chương trình/nghị quyết cha (parent item id).
        #[arg(long)]
        parent: Option<String>,
        /// Chỉ tiêu (indicator id).
        #[arg(long)]
        indicator: Option<String>,
    },
    /// Danh sách (list).
    List {
        /// Chỉ đơn vị này và cấp dưới.
        #[arg(long)]
        unit: Option<String>,
        /// Chỉ trạng thái này.
        #[arg(long)]
        state: Option<String>,
        /// Chỉ mục quá hạn.
        #[arg(long)]
        overdue: bool,
        /// Tìm theo chữ (không phân biệt dấu).
        #[arg(long)]
        search: Option<String>,
        /// In dạng JSON.
        #[arg(long)]
        json: bool,
    },
    /// Chi tiết và lịch sử (show).
    Show {
        /// Mã mục (hoặc phần của nó).
        id: String,
        /// In dạng JSON.
        #[arg(long)]
        json: bool,
    },
    /// Giao lại (assign).
    Assign {
        /// Mã mục.
        id: String,
        /// Người nhận.
        person: String,
    },
    /// Bắt đầu (start).
    Start(StepArgs),
    /// Báo cáo tiến độ (progress).
    Progress {
        /// Mã mục.
        id: String,
        /// Phần trăm.
        percent: u8,
        /// Ghi chú.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Trình duyệt (submit).
    Submit(StepArgs),
    /// Duyệt (approve).
    Approve(StepArgs),
    /// Trả lại, có lý do (reject / send back).
    Reject {
        /// Mã mục.
        id: String,
        /// Lý do.
        #[arg(long)]
        note: String,
    },
    /// Hoàn thành (complete).
    Complete(StepArgs),
    /// Hủy (cancel).
    Cancel(StepArgs),
    /// Gia hạn (extend the deadline).
    Extend {
        /// Mã mục.
        id: String,
        /// Thời hạn mới.
        deadline: String,
        /// Lý do.
        #[arg(long)]
        reason: String,
    },
    /// Ý kiến (comment).
    Comment {
        /// Mã mục.
        id: String,
        /// Nội dung.
        text: String,
    },
    /// Chuyển trạng thái theo quy trình (fire any transition by name).
    Fire {
        /// Mã mục.
        id: String,
        /// Tên bước (transition).
        transition: String,
        /// Ghi chú.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Xử lý xung đột (record the resolution of a conflict).
    Resolve {
        /// Mã mục.
        id: String,
        /// Mã sự kiện thua (the losing event, or part of it).
        conflict: String,
        /// Quyết định.
        #[arg(long)]
        note: String,
    },
}

#[derive(Args)]
pub(crate) struct StepArgs {
    /// Mã mục (item id, or part of it).
    id: String,
    /// Ghi chú.
    #[arg(long, default_value = "")]
    note: String,
}

fn transition_command(item: EventId, transition: &str, note: String, state: &State) -> Command {
    // An approval is a vote; any other transition is fired.
    let is_approval = state
        .items
        .get(&item)
        .and_then(|found| state.definition_of(found))
        .and_then(|definition| definition.transition(transition))
        .is_some_and(|found| {
            found.reject_to.is_some() || !matches!(found.who, nhip_engine::workflow::Who::OneOf(_))
        });
    if is_approval {
        Command::Vote {
            item,
            transition: Some(transition.to_owned()),
            approve: true,
            note,
        }
    } else {
        Command::Fire {
            item,
            transition: transition.to_owned(),
            note,
        }
    }
}

/// `nhip task …` / `nhip item …`.
pub(super) fn exec(
    home: &Home,
    texts: Texts,
    actor: &Actor,
    workflow: &str,
    action: ItemAction,
) -> Outcome {
    // The state here finds what was named; each action decides in its turn, on the state as
    // it is then (`Home::act`).
    let state = home.state().map_err(|error| home_failure(texts, error))?;
    let act = |command: Command, what: &str| -> Outcome {
        let id = home
            .act(actor, command)
            .map_err(|error| home_failure(texts, error))?;
        say!("{}", texts.recorded(what, &short(&id)));
        Ok(())
    };
    let item = |text: &str| args::find_item(&state, texts, text);
    match action {
        ItemAction::Create {
            title,
            unit,
            lead,
            coordinating,
            assignee,
            deadline,
            description,
            parent,
            indicator,
        } => {
            let unit = match unit {
                Some(unit) => args::unit(texts, &unit)?,
                None => home.config.unit.clone(),
            };
            let lead = lead.map(|lead| args::unit(texts, &lead)).transpose()?;
            let coordinating = coordinating
                .iter()
                .map(|unit| args::unit(texts, unit))
                .collect::<Result<Vec<_>, _>>()?;
            let assignee = assignee
                .map(|person| args::person(texts, &person))
                .transpose()?;
            let deadline = deadline.map(|date| args::date(texts, &date)).transpose()?;
            let parent = parent.map(|parent| item(&parent)).transpose()?;
            // Let go of the state before the write: a commit meanwhile then folds it forward in
            // place instead of copying it for this reader.
            drop(state);
            act(
                Command::CreateItem {
                    workflow: workflow.to_owned(),
                    unit,
                    title: normalize(&title),
                    description: normalize(&description),
                    lead_unit: lead,
                    coordinating,
                    assignee,
                    deadline,
                    parent,
                    indicator,
                },
                "create",
            )
        }
        ItemAction::List {
            unit,
            state: wanted_state,
            overdue,
            search,
            json,
        } => {
            let unit = match unit {
                Some(unit) => args::unit(texts, &unit)?,
                None => home.config.unit.clone(),
            };
            let today = Date::from_unix_ms(now_ms());
            let rows: Vec<(&EventId, &Item)> = state
                .items_within(&unit)
                .filter(|(_, found)| found.workflow == workflow || workflow == "all")
                .filter(|(_, found)| wanted_state.as_ref().is_none_or(|s| &found.state == s))
                .filter(|(_, found)| {
                    !overdue
                        || state
                            .definition_of(found)
                            .is_some_and(|d| found.is_overdue(d, today))
                })
                .filter(|(_, found)| {
                    search.as_ref().is_none_or(|text| {
                        matches(&found.title, text) || matches(&found.description, text)
                    })
                })
                .collect();
            if json {
                let rows: Vec<_> = rows
                    .iter()
                    .map(|(id, found)| serde_json::json!({ "id": id, "item": found }))
                    .collect();
                return print_json(&rows);
            }
            for (id, found) in rows {
                let definition = state.definition_of(found);
                let state_name = definition
                    .and_then(|d| d.state(&found.state))
                    .map_or(found.state.clone(), |s| s.name.clone());
                let late = definition.is_some_and(|d| found.is_overdue(d, today));
                let conflicts = found.open_conflicts().count();
                say!(
                    "{}  {:<22} {:>3}%  {:<10}{} {}{}",
                    short(id),
                    state_name,
                    found.percent,
                    found.deadline.map(|d| d.to_string()).unwrap_or_default(),
                    if late { " !" } else { "  " },
                    found.title,
                    if conflicts > 0 {
                        format!("  [xung đột: {conflicts}]")
                    } else {
                        String::new()
                    }
                );
            }
            Ok(())
        }
        ItemAction::Show { id, json } => {
            let id = item(&id)?;
            let found = &state.items[&id];
            if json {
                return print_json(&serde_json::json!({ "id": id, "item": found }));
            }
            let definition = state.definition_of(found);
            say!("{}  {}", id, found.title);
            say!(
                "  quy trình / workflow: {} v{}",
                found.workflow,
                found.version
            );
            say!(
                "  trạng thái / state:   {}",
                definition
                    .and_then(|d| d.state(&found.state))
                    .map_or(found.state.clone(), |s| s.name.clone())
            );
            say!(
                "  đơn vị / unit:        {} (chủ trì / lead: {})",
                found.unit,
                found.lead_unit
            );
            if let Some(assignee) = &found.assignee {
                say!("  người / assignee:     {assignee}");
            }
            if let Some(deadline) = found.deadline {
                say!("  thời hạn / deadline:  {deadline}");
            }
            say!("  tiến độ / progress:   {}%", found.percent);
            if let Some(definition) = definition {
                for (transition, who) in found.waiting_for(definition) {
                    say!("  chờ duyệt / waiting:  {transition} ({})", texts.who(who));
                }
                let next: Vec<_> = definition
                    .transitions_from(&found.state)
                    .map(|t| t.id.clone())
                    .collect();
                if !next.is_empty() {
                    say!("  có thể / next:        {}", next.join(", "));
                }
            }
            say!("  lịch sử / history:");
            for entry in &found.history {
                say!(
                    "    {}  {:<16} {:<10} {}  [{}]{}",
                    short(&entry.event),
                    entry.actor,
                    texts.date(nhip_engine::Date::from_unix_ms(entry.written_ms)),
                    texts.detail(&entry.detail),
                    texts.outcome(&entry.outcome),
                    entry
                        .signed_by
                        .map(|key| texts.signed_with(&key.short()))
                        .unwrap_or_default()
                );
            }
            for conflict in &found.conflicts {
                say!(
                    "  xung đột / conflict: {} thua {} ({}) — {}{}",
                    short(&conflict.event),
                    short(&conflict.against),
                    texts.aspect(conflict.aspect),
                    texts.conflict_why(&conflict.why),
                    if conflict.resolved_by.is_some() {
                        " — đã xử lý"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
        ItemAction::Assign { id, person: to } => {
            let id = item(&id)?;
            act(
                Command::Assign {
                    item: id,
                    assignee: args::person(texts, &to)?,
                },
                "assign",
            )
        }
        ItemAction::Start(args) => act(
            Command::Fire {
                item: item(&args.id)?,
                transition: "start".into(),
                note: normalize(&args.note),
            },
            "start",
        ),
        ItemAction::Submit(args) => act(
            Command::Fire {
                item: item(&args.id)?,
                transition: "submit".into(),
                note: normalize(&args.note),
            },
            "submit",
        ),
        ItemAction::Complete(args) => act(
            Command::Fire {
                item: item(&args.id)?,
                transition: "complete".into(),
                note: normalize(&args.note),
            },
            "complete",
        ),
        ItemAction::Cancel(args) => act(
            Command::Fire {
                item: item(&args.id)?,
                transition: "cancel".into(),
                note: normalize(&args.note),
            },
            "cancel",
        ),
        ItemAction::Approve(args) => act(
            Command::Vote {
                item: item(&args.id)?,
                transition: None,
                approve: true,
                note: normalize(&args.note),
            },
            "approve",
        ),
        ItemAction::Reject { id, note } => act(
            Command::Vote {
                item: item(&id)?,
                transition: None,
                approve: false,
                note: normalize(&note),
            },
            "reject",
        ),
        ItemAction::Progress { id, percent, note } => act(
            Command::Progress {
                item: item(&id)?,
                percent,
                note: normalize(&note),
            },
            "progress",
        ),
        ItemAction::Extend {
            id,
            deadline,
            reason,
        } => act(
            Command::Extend {
                item: item(&id)?,
                deadline: args::date(texts, &deadline)?,
                reason: normalize(&reason),
            },
            "extend",
        ),
        ItemAction::Comment { id, text } => act(
            Command::Comment {
                item: item(&id)?,
                text: normalize(&text),
            },
            "comment",
        ),
        ItemAction::Fire {
            id,
            transition,
            note,
        } => {
            let id = item(&id)?;
            act(
                transition_command(id, &transition, normalize(&note), &state),
                "fire",
            )
        }
        ItemAction::Resolve { id, conflict, note } => {
            let id = item(&id)?;
            let wanted = conflict.to_lowercase().replace('-', "");
            let found = state.items[&id]
                .conflicts
                .iter()
                .find(|c| {
                    let hex = c.event.0.simple().to_string();
                    hex.starts_with(&wanted) || hex.ends_with(&wanted)
                })
                .ok_or_else(|| fail(ExitCode::Refused, texts.unknown_id(&conflict)))?;
            act(
                Command::Resolve {
                    item: id,
                    conflict: found.event,
                    note: normalize(&note),
                },
                "resolve",
            )
        }
    }
}
