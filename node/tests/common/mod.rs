//! What the node's end-to-end tests share: the binary, the commune's invitation, an appendix of
//! tasks to import, and `nhip serve` started and heard from.
// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The `nhip` binary under test.
pub const NHIP: &str = env!("CARGO_BIN_EXE_nhip");

/// `nhip init` arguments for the province of Lai Châu as a hub listening on `listen`.
pub fn hub_init(listen: &str) -> Vec<String> {
    [
        "init",
        "--hub",
        "--unit",
        "lai-chau",
        "--as",
        "admin-tinh",
        "--listen",
        listen,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Borrows arguments made by the helpers here, for the `nhip` runners of each test file.
pub fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// `nhip invite` arguments: Bình Lư commune, led by Tạ Thị Dung, the file written to `out`.
pub fn invite_binh_lu(out: &Path) -> Vec<String> {
    [
        "invite",
        "--unit",
        "lai-chau/binh-lu",
        "--name",
        "Xã Bình Lư",
        "--admin",
        "ta-thi-dung",
        "--admin-name",
        "Tạ Thị Dung",
        "--out",
    ]
    .iter()
    .map(|arg| (*arg).to_owned())
    .chain([out.display().to_string()])
    .collect()
}

/// Writes an appendix of `count` tasks of Bình Lư commune, led by Tạ Thị Dung, as an office
/// would import it; `title(n)` names the n-th.
pub fn write_appendix(path: &Path, count: usize, title: impl Fn(usize) -> String) {
    let mut csv =
        String::from("Công việc,Người thực hiện,Đơn vị chủ trì,Đơn vị phối hợp,Thời hạn\n");
    for n in 0..count {
        csv.push_str(&format!(
            "{},ta-thi-dung,lai-chau/binh-lu,,31/12/2099\n",
            title(n)
        ));
    }
    std::fs::write(path, csv).unwrap();
}

/// Starts `command` (an `nhip serve`) and waits for the line that says where it listens.
pub fn spawn_serve(mut command: Command) -> (Child, String) {
    let mut child = command
        .env_remove("NHIP_DATA")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line)
}

/// A running `nhip serve` of the node in a data folder, stopped with SIGKILL on drop (as a
/// crash or a pulled plug would stop it).
pub struct Running(pub Child);

impl Running {
    /// Starts `nhip --data DATA serve ARGS…` and waits until it says it serves.
    pub fn start(data: &Path, args: &[&str]) -> Running {
        let mut command = Command::new(NHIP);
        command.arg("--data").arg(data).arg("serve").args(args);
        let (child, line) = spawn_serve(command);
        assert!(line.contains("127.0.0.1"), "serve said: {line:?}");
        Running(child)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
