//! What the peers suite reads off the machine: free ports, loopback byte counters, the memory of
//! a process, and the peers' servers, started in temporary folders and stopped after.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An error of the suite, said in words.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> Result<u16, Error> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Bytes sent over the loopback interface so far (every packet crosses it once, headers
/// included), from `/proc/net/dev`.
pub fn loopback_bytes() -> Result<u64, Error> {
    let table = std::fs::read_to_string("/proc/net/dev")?;
    for line in table.lines() {
        let Some((name, counters)) = line.split_once(':') else {
            continue;
        };
        if name.trim() == "lo" {
            // Receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes ...
            let transmitted = counters
                .split_whitespace()
                .nth(8)
                .ok_or("/proc/net/dev: the lo line is short")?;
            return Ok(transmitted.parse()?);
        }
    }
    Err("/proc/net/dev has no lo interface".into())
}

/// The first number of a field of `/proc/PID/status` (such as `VmHWM`, the peak resident set
/// in kB).
pub fn status_kb(pid: u32, field: &str) -> Result<u64, Error> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("/proc/{pid}/status has no {field}").into())
}

/// The proportional set size of `pid` in kB: its private memory plus its share of what it
/// shares, so the sizes of a family of processes add up without counting shared pages twice.
pub fn pss_kb(pid: u32) -> Option<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    rollup
        .lines()
        .find_map(|line| line.strip_prefix("Pss:"))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
}

/// `pid` and every process whose parent it is.
pub fn family(pid: u32) -> Vec<u32> {
    let mut members = vec![pid];
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return members;
    };
    for entry in entries.flatten() {
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
        let parent = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
        if parent == Some(pid) {
            members.push(child);
        }
    }
    members
}

/// Samples the summed PSS of a process family until dropped; [`PeakSampler::stop`] gives the
/// highest sum seen.
pub struct PeakSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl PeakSampler {
    /// Starts sampling `pid`'s family every 20 ms.
    pub fn start(pid: u32) -> PeakSampler {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut peak = 0;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                let sum: u64 = family(pid).into_iter().filter_map(pss_kb).sum();
                peak = peak.max(sum);
                std::thread::sleep(Duration::from_millis(20));
            }
            peak
        });
        PeakSampler { stop, thread }
    }

    /// The highest summed PSS seen, in kB.
    pub fn stop(self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap_or(0)
    }
}

/// Finds a program: the first of `candidates` that exists, else `name` on the PATH.
pub fn program(name: &str, candidates: &[PathBuf], install: &str) -> Result<PathBuf, Error> {
    if let Some(found) = candidates.iter().find(|path| path.is_file()) {
        return Ok(found.clone());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            format!("{name} is not installed: install it with `{install}`, or leave this peer out with --skip").into()
        })
}

/// Whether this process runs as root (PostgreSQL refuses to).
pub fn is_root() -> bool {
    // The first number of the Uid line is the real user id.
    status_kb(std::process::id(), "Uid").is_ok_and(|uid| uid == 0)
}

/// A server the suite started; stopped (and waited for) when dropped.
pub struct Server {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Server {
    /// Starts `command` with its output in `log`.
    pub fn start(name: &'static str, mut command: Command, log: &Path) -> Result<Server, Error> {
        let out = std::fs::File::create(log)?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .map_err(|error| format!("{name} did not start: {error}"))?;
        Ok(Server {
            name,
            child,
            log: log.to_owned(),
        })
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Calls `ready` until it succeeds or `within` passes; then says why, with the server's log.
    pub fn wait_ready<T>(
        &mut self,
        within: Duration,
        mut ready: impl FnMut() -> Result<T, Error>,
    ) -> Result<T, Error> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(format!("{} exited ({status}): {}", self.name, self.tail()).into());
            }
            match ready() {
                Ok(value) => return Ok(value),
                Err(error) if started.elapsed() > within => {
                    return Err(format!(
                        "{} is not ready after {within:?}: {error}; {}",
                        self.name,
                        self.tail()
                    )
                    .into());
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    fn tail(&self) -> String {
        let Ok(file) = std::fs::File::open(&self.log) else {
            return String::new();
        };
        let lines: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
        lines[lines.len().saturating_sub(5)..].join(" | ")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A polite stop first (PostgreSQL's fast shutdown on SIGINT), then a hard one.
        let _ = Command::new("kill")
            .arg("-INT")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
