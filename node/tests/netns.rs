//! Real `nhip` processes on two hosts of their own: network namespaces joined by a veth pair,
//! each end shaped by `tc tbf` to a 2G-like 256 kbit/s with a deep queue (netem is not in this
//! kernel, so the delay is the queue's). A commune's offline backlog crosses to the hub through
//! it: nothing lost, nothing doubled, and the shaped queue carried it.
//!
//! It needs root (CAP_NET_ADMIN) and iproute2. A machine without them fails this test and says
//! why; `NHIP_NETNS_TEST=skip` skips it knowingly.

mod common;

use std::path::Path;
use std::process::{Child, Command, Output};
use std::time::Instant;

use common::{NHIP, hub_init, invite_binh_lu, spawn_serve, strs, write_appendix};

/// Two namespaces and the link between them; removed on drop.
struct Hosts {
    hub: String,
    office: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|error| format!("ip {}: {error}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn in_ns(ns: &str, program: &str, args: &[&str]) -> Result<(), String> {
    let mut all = vec!["netns", "exec", ns, program];
    all.extend_from_slice(args);
    let out = Command::new("ip")
        .args(&all)
        .output()
        .map_err(|error| error.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Hosts {
    fn new(subnet: u8) -> Result<Hosts, String> {
        let id = std::process::id();
        let hosts = Hosts {
            hub: format!("nhip-hub-{id}"),
            office: format!("nhip-xa-{id}"),
        };
        let (hub_end, office_end) = (format!("nh{id}a"), format!("nh{id}b"));
        ip(&["netns", "add", &hosts.hub])?;
        ip(&["netns", "add", &hosts.office])?;
        ip(&[
            "link",
            "add",
            &hub_end,
            "type",
            "veth",
            "peer",
            "name",
            &office_end,
        ])?;
        ip(&["link", "set", &hub_end, "netns", &hosts.hub])?;
        ip(&["link", "set", &office_end, "netns", &hosts.office])?;
        for (ns, end, host) in [(&hosts.hub, &hub_end, 1), (&hosts.office, &office_end, 2)] {
            let addr = format!("10.77.{subnet}.{host}/24");
            in_ns(ns, "ip", &["addr", "add", &addr, "dev", end])?;
            in_ns(ns, "ip", &["link", "set", end, "up"])?;
            in_ns(ns, "ip", &["link", "set", "lo", "up"])?;
            // 2G-like: 256 kbit/s, a small burst, packets queue up to 800 ms.
            in_ns(
                ns,
                "tc",
                &[
                    "qdisc", "add", "dev", end, "root", "tbf", "rate", "256kbit", "burst", "4kb",
                    "latency", "800ms",
                ],
            )?;
        }
        Ok(hosts)
    }

    /// Bytes the shaper on `ns`'s end has sent.
    fn shaped_bytes(&self, ns: &str) -> u64 {
        let out = Command::new("ip")
            .args(["netns", "exec", ns, "tc", "-s", "qdisc", "show"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines()
            .skip_while(|line| !line.contains("tbf"))
            .find_map(|line| line.trim().strip_prefix("Sent "))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        // Removing a namespace removes its end of the link, and so the link.
        let _ = ip(&["netns", "del", &self.hub]);
        let _ = ip(&["netns", "del", &self.office]);
    }
}

fn nhip(ns: Option<&str>, data: &Path, args: &[&str]) -> Output {
    let mut command = match ns {
        Some(ns) => {
            let mut command = Command::new("ip");
            command.args(["netns", "exec", ns, NHIP]);
            command
        }
        None => Command::new(NHIP),
    };
    command
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("NHIP_DATA")
        .output()
        .unwrap()
}

fn ok(ns: Option<&str>, data: &Path, args: &[&str]) -> String {
    let out = nhip(ns, data, args);
    assert!(
        out.status.success(),
        "nhip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn serve(ns: &str, data: &Path) -> Child {
    let mut command = Command::new("ip");
    command
        .args(["netns", "exec", ns, NHIP, "--data"])
        .arg(data)
        .arg("serve");
    let (child, line) = spawn_serve(command);
    assert!(line.contains("10.77."), "serve said: {line}");
    child
}

#[test]
fn a_backlog_crosses_a_shaped_2g_link_between_two_hosts() {
    if std::env::var("NHIP_NETNS_TEST").as_deref() == Ok("skip") {
        eprintln!("NHIP_NETNS_TEST=skip: the network-namespace test is skipped knowingly");
        return;
    }
    let hosts = Hosts::new(77).unwrap_or_else(|reason| {
        panic!(
            "cannot set up two network namespaces with a shaped link ({reason}); this test needs \
             root and iproute2 (ip, tc). Set NHIP_NETNS_TEST=skip to skip it knowingly."
        )
    });
    let root = tempfile::tempdir().unwrap();
    let hub = root.path().join("hub");
    let commune = root.path().join("commune");
    ok(None, &hub, &strs(&hub_init("10.77.77.1:7400")));
    let invite = root.path().join("moi.toml");
    let args = invite_binh_lu(&invite);
    ok(
        None,
        &hub,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let mut serving = serve(&hosts.hub, &hub);
    ok(
        Some(&hosts.office),
        &commune,
        &["join", invite.to_str().unwrap(), "--as", "ta-thi-dung"],
    );

    let appendix = root.path().join("phu-luc.csv");
    write_appendix(&appendix, 2_000, |n| {
        format!("Cấp giấy chứng nhận quyền sử dụng đất – hồ sơ {n}")
    });
    ok(None, &commune, &["import", appendix.to_str().unwrap()]);

    let shaped_before = hosts.shaped_bytes(&hosts.office);
    let started = Instant::now();
    ok(Some(&hosts.office), &commune, &["sync"]);
    let took = started.elapsed();
    let shaped = hosts.shaped_bytes(&hosts.office) - shaped_before;
    eprintln!(
        "2,000 tasks crossed the shaped link in {took:?}: {shaped} bytes up through the 256 kbit/s queue"
    );
    // The backlog went through the shaper, and at its pace.
    assert!(
        shaped > 20_000,
        "only {shaped} bytes crossed the shaped link"
    );
    let floor = std::time::Duration::from_secs_f64(shaped as f64 * 8.0 / 256_000.0 * 0.8);
    assert!(
        took >= floor,
        "{took:?} is faster than the link allows ({floor:?})"
    );

    let _ = serving.kill();
    let _ = serving.wait();
    let status: serde_json::Value =
        serde_json::from_str(&ok(None, &commune, &["status", "--json"])).unwrap();
    assert_eq!(status["pending_up"], 0);
    let tasks: serde_json::Value =
        serde_json::from_str(&ok(None, &hub, &["task", "list", "--json"])).unwrap();
    assert_eq!(tasks.as_array().unwrap().len(), 2_000, "every task once");
    for data in [&hub, &commune] {
        ok(None, data, &["audit", "verify"]);
    }
}
