//! Crash tests with the real binary: kill -9 a node in the middle of an import and of a run of
//! appends, again and again, and check that everything acknowledged is there, the log opens
//! and verifies, and an import is all or nothing.
//!
//! `NHIP_CRASH_LOOPS` sets the number of kills (default 6, for CI; the soak runs thousands).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const NHIP: &str = env!("CARGO_BIN_EXE_nhip");

fn nhip(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(NHIP)
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("NHIP_DATA")
        .output()
        .unwrap()
}

fn loops() -> usize {
    std::env::var("NHIP_CRASH_LOOPS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(6)
}

fn task_count(data: &Path) -> usize {
    let out = nhip(data, &["task", "list", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    list.as_array().unwrap().len()
}

fn verifies(data: &Path) {
    let out = nhip(data, &["audit", "verify"]);
    assert!(
        out.status.success(),
        "the log does not verify after a crash:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A little deterministic jitter so kills land at different points.
fn delay(step: usize, span_ms: u64) -> Duration {
    let mixed = (step as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
    Duration::from_millis(mixed % span_ms.max(1))
}

#[test]
fn an_import_killed_at_any_moment_is_all_or_nothing() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("office");
    assert!(
        nhip(
            &data,
            &["init", "--hub", "--unit", "binh-lu", "--as", "ta-thi-dung"]
        )
        .status
        .success()
    );
    let rows = 1500;
    let mut csv = String::from("Công việc,Người thực hiện,Đơn vị chủ trì,Thời hạn\n");
    for row in 0..rows {
        csv.push_str(&format!(
            "Nhiệm vụ số {row},can-bo-{},binh-lu/ban-{},2099-12-31\n",
            row % 7,
            row % 3
        ));
    }
    let file = root.path().join("phu-luc.csv");
    std::fs::write(&file, csv).unwrap();
    let mut last = 0;
    for step in 0..loops() {
        let mut child = Command::new(NHIP)
            .arg("--data")
            .arg(&data)
            .args(["import", file.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay(step, 400));
        let _ = child.kill();
        let _ = child.wait();
        let count = task_count(&data);
        assert_eq!(
            count % rows,
            0,
            "a partial import after a kill: {count} tasks"
        );
        assert!(count >= last, "acknowledged tasks were lost");
        last = count;
    }
    verifies(&data);
}

#[test]
fn acknowledged_appends_survive_kill_9() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("office");
    assert!(
        nhip(
            &data,
            &["init", "--hub", "--unit", "binh-lu", "--as", "ta-thi-dung"]
        )
        .status
        .success()
    );
    let mut acknowledged = 0;
    for step in 0..loops() {
        // A shell loop of appends, killed mid-flight; each line it printed was acknowledged.
        let script = format!(
            "for i in $(seq 1 40); do {NHIP} --data {} task create --title \"Việc $i\" --deadline 2099-01-01 || exit 1; done",
            data.display()
        );
        let mut child = Command::new("sh")
            .args(["-c", &script])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay(step, 300));
        // Kill the whole loop (and the append under way) with SIGKILL.
        let _ = Command::new("pkill")
            .args(["-9", "-P", &child.id().to_string()])
            .status();
        let _ = child.kill();
        let output = child.wait_with_output().unwrap();
        acknowledged += String::from_utf8_lossy(&output.stdout).lines().count();
        let count = task_count(&data);
        assert!(
            count >= acknowledged,
            "step {step}: {acknowledged} appends acknowledged, {count} found"
        );
        acknowledged = count;
    }
    verifies(&data);
}
