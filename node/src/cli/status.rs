//! `nhip status`: the node, its parent and children, its sync, its items at a glance.

use nhip_engine::{Date, EventLog};

use super::output::{ExitCode, Outcome, fail, print_json};
use crate::home::Home;
use crate::texts::Texts;
use crate::transport::now_ms;

/// `nhip status`.
pub(super) fn exec(home: &Home, _texts: Texts, json: bool, running: bool) -> Outcome {
    let links = home.links.snapshot();
    let parent_node = home
        .config
        .parent
        .as_ref()
        .and_then(|parent| nhip_engine::NodeId::from_hex(&parent.node));
    let state = home
        .state()
        .map_err(|error| fail(ExitCode::Storage, error.to_string()))?;
    let today = Date::from_unix_ms(now_ms());
    let summary = state.summary(&home.config.unit, today);
    let heads = home
        .log
        .heads()
        .map_err(|error| fail(ExitCode::Storage, error.to_string()))?;
    let incidents = home
        .log
        .incidents()
        .map_err(|error| fail(ExitCode::Storage, error.to_string()))?;
    let children = home.children().unwrap_or_default();
    let parent = home.config.parent.clone();
    let record = home.sync_record().unwrap_or_default();
    let pending_up = home.pending_up().unwrap_or(0);
    let own: u64 = heads
        .iter()
        .filter(|(chain, _)| chain.origin == home.node())
        .map(|(_, head)| head.seq.0)
        .sum();
    let value = serde_json::json!({
        "node": home.node().to_hex(),
        "unit": home.config.unit,
        "person": home.config.person,
        "parent": parent,
        "children": children.children,
        "events": state.events,
        "own_events": own,
        "chains": heads.len(),
        "items": summary,
        "refused_events": state.refused.len(),
        "unknown_kinds": state.unknown_kinds,
        "incidents": incidents.len(),
        "sync": record,
        "pending_up": pending_up,
        "running": running,
        "links": links
            .iter()
            .map(|(node, link)| (node.to_hex(), link))
            .collect::<std::collections::BTreeMap<_, _>>(),
    });
    if json {
        return print_json(&value);
    }
    if running {
        say!("Đang chạy / running: nhip serve (lệnh đi qua nút đang chạy)");
    }
    say!(
        "Nút / node:        {} ({})",
        home.node().short(),
        home.config.unit
    );
    say!("Người / person:    {}", home.config.person);
    match &home.config.parent {
        Some(parent) => say!(
            "Nút cha / parent:  {} ({}) tại {}",
            parent.node.get(..8).unwrap_or(&parent.node),
            parent.unit,
            parent.addr
        ),
        None => say!("Nút cha / parent:  — (nút trung tâm / hub)"),
    }
    say!(
        "Nút con / children: {}",
        children.children.iter().filter(|c| !c.revoked).count()
    );
    if home.config.parent.is_some() {
        let when = |ms: Option<u64>| {
            ms.map_or("chưa bao giờ / never".to_owned(), |ms| {
                let minutes = now_ms().saturating_sub(ms) / 60_000;
                format!("{minutes} phút trước / minutes ago")
            })
        };
        if running {
            let connected =
                parent_node.is_some_and(|node| links.get(&node).is_some_and(|link| link.connected));
            say!(
                "Liên kết / link:   {}",
                if connected {
                    "đang kết nối trực tiếp / live now"
                } else {
                    "chưa kết nối được / not connected now"
                }
            );
        }
        say!("Đồng bộ / last sync: {}", when(record.last_success_ms));
        if let Some(error) = &record.last_error {
            say!(
                "  lỗi gần nhất / last error ({}): {error}",
                when(record.last_error_ms)
            );
        }
        if let Some(next) = record.next_attempt_ms {
            let seconds = next.saturating_sub(now_ms()).div_ceil(1000);
            say!("  thử lại sau / next attempt in: {seconds} s");
        }
        say!("Chờ gửi lên / waiting to go up: {pending_up} sự kiện");
        if !record.refusals.is_empty() {
            say!(
                "Bị từ chối / refused chains: {} — CHƯA gửi lên / NOT gone up:",
                record.refusals.len()
            );
            for refusal in &record.refusals {
                say!("  {refusal}");
            }
        }
    }
    say!(
        "Sự kiện / events:  {} ({} do nút này ghi)",
        state.events,
        own
    );
    say!(
        "Mục / items:       {} — quá hạn {}, sắp đến hạn {}, chờ duyệt {}, xung đột {}",
        summary.items,
        summary.overdue,
        summary.due_soon,
        summary.waiting_approval,
        summary.open_conflicts
    );
    say!("Sự cố / incidents: {}", incidents.len());
    if !state.refused.is_empty() {
        say!(
            "Sự kiện bị từ chối / refused events: {}",
            state.refused.len()
        );
    }
    Ok(())
}
