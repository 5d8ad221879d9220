//! A log written and replayed: the commune of Bình Lư registers its people and records its
//! action program, a village works on it offline while the commune acts on the same tasks, the
//! village syncs, and both logs replay to the same state hash — also after reopening the files
//! from disk. The task both sides changed shows as a conflict, with both events kept.
//!
//! Run with `cargo run --release -p nhip --example replay`.

use ed25519_dalek::SigningKey;
use nhip::engine::{Date, EventLog, RedbLog, node_id, replay};
use nhip::sample::{CONFERENCE_DAY_MS, DAY_MS, offline_story};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("nhip-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let commune_key = SigningKey::from_bytes(&[1; 32]);
    let village_key = SigningKey::from_bytes(&[2; 32]);
    let commune_path = dir.join("xa-binh-lu.redb");
    let village_path = dir.join("ban-na-ri.redb");

    let story = {
        let commune = RedbLog::create(&commune_path, node_id(&commune_key))?;
        let village = RedbLog::create(&village_path, node_id(&village_key))?;
        let story = offline_story(&commune, &commune_key, &village, &village_key)?;
        println!("Sổ xã Bình Lư / commune log:   {}", commune_path.display());
        println!("Sổ bản Nà Ri / village log:    {}", village_path.display());
        let arrivals = commune.arrivals_after(0, usize::MAX)?;
        println!(
            "Xã đã nhận {} đợt đồng bộ / batches received by the commune",
            arrivals.len()
        );
        story
    };

    // Reopen both files and replay from zero.
    let commune = RedbLog::open(&commune_path)?;
    let village = RedbLog::open(&village_path)?;
    let at_commune = replay(&commune)?;
    let at_village = replay(&village)?;
    let today = Date::from_unix_ms(CONFERENCE_DAY_MS + 7 * DAY_MS);

    println!();
    println!(
        "{:<3} {:<24} {:>4}  {:<10}  Việc / work",
        "#", "trạng thái / state", "%", "hạn"
    );
    for (index, id) in story.tasks.iter().chain([&story.document]).enumerate() {
        let item = &at_commune.items[id];
        let definition = at_commune.definition_of(item).ok_or("unknown workflow")?;
        let state = definition
            .state(&item.state)
            .map_or(item.state.as_str(), |state| state.name.as_str());
        let deadline = item.deadline.map(|d| d.to_string()).unwrap_or_default();
        let overdue = if item.is_overdue(definition, today) {
            " (quá hạn)"
        } else {
            ""
        };
        println!(
            "{:<3} {:<24} {:>4}  {:<10}  {}{overdue}",
            index + 1,
            state,
            item.percent,
            deadline,
            item.title
        );
        for conflict in item.open_conflicts() {
            let loser = item
                .history
                .iter()
                .find(|entry| entry.event == conflict.event);
            println!(
                "      xung đột / conflict: {} {:?} — {:?}",
                loser.map_or("?", |entry| entry.actor.as_str()),
                loser.map(|entry| &entry.detail),
                conflict.why
            );
        }
    }
    let summary = at_commune.summary(&nhip::engine::UnitId::new(nhip::sample::COMMUNE)?, today);
    println!();
    println!(
        "Toàn xã / whole commune: {} việc, {} quá hạn, {} chờ duyệt, {} xung đột chưa xử lý",
        summary.items, summary.overdue, summary.waiting_approval, summary.open_conflicts
    );
    println!(
        "Sự kiện / events: xã {}, bản {}",
        at_commune.events, at_village.events
    );
    println!(
        "Mã băm trạng thái xã / commune state hash:  {}",
        at_commune.hash()
    );
    println!(
        "Mã băm trạng thái bản / village state hash: {}",
        at_village.hash()
    );
    if at_commune.hash() != at_village.hash() {
        return Err("the two logs replayed to different states".into());
    }
    println!("Hai sổ thống nhất / the two logs agree.");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
