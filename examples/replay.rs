//! A log written and replayed: the commune of Bình Lư records its action program, a village
//! works on it offline while the commune changes the same tasks, the village syncs, and both
//! logs replay to the same state hash, also after reopening the file from disk.
//!
//! Run with `cargo run --release --example replay`.

use ed25519_dalek::SigningKey;
use nhip::engine::state::TaskStatus;
use nhip::engine::{EventLog, RedbLog, node_id, replay};
use nhip::sample::offline_story;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile_dir()?;
    let commune_key = SigningKey::from_bytes(&[1; 32]);
    let village_key = SigningKey::from_bytes(&[2; 32]);
    let commune_path = dir.join("xa-binh-lu.redb");
    let village_path = dir.join("ban-na-ri.redb");

    let tasks = {
        let commune = RedbLog::create(&commune_path, node_id(&commune_key))?;
        let village = RedbLog::create(&village_path, node_id(&village_key))?;
        let tasks = offline_story(&commune, &commune_key, &village, &village_key)?;
        println!("Sổ xã Bình Lư / commune log:   {}", commune_path.display());
        println!("Sổ bản Nà Ri / village log:    {}", village_path.display());
        let arrivals = commune.arrivals_after(0, usize::MAX)?;
        println!(
            "Xã đã nhận {} đợt đồng bộ / batches received by the commune: {}",
            arrivals.len(),
            arrivals.len()
        );
        tasks
    };

    // Reopen both files and replay from zero.
    let commune = RedbLog::open(&commune_path)?;
    let village = RedbLog::open(&village_path)?;
    let at_commune = replay(&commune)?;
    let at_village = replay(&village)?;

    println!();
    println!(
        "{:<4} {:<12} {:>5}  Công việc / task",
        "#", "trạng thái", "%"
    );
    for (index, id) in tasks.iter().enumerate() {
        let task = &at_commune.tasks[id];
        let status = match task.status {
            TaskStatus::Open => "mới",
            TaskStatus::InProgress => "đang làm",
            TaskStatus::Done => "hoàn thành",
            TaskStatus::Cancelled => "đã hủy",
        };
        let late = if task.late > 0 {
            format!("  ({} sự kiện đến muộn không có hiệu lực)", task.late)
        } else {
            String::new()
        };
        println!(
            "{:<4} {:<12} {:>5}  {}{}",
            index + 1,
            status,
            task.percent,
            task.title,
            late
        );
    }
    println!();
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

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("nhip-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
