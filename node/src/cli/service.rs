//! `nhip service install|uninstall|status`: the node as a systemd service that starts at boot
//! and restarts after a failure — system-wide when run as root, else for the user.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::{Args, Subcommand};

use super::output::{ExitCode, Outcome, fail};
use crate::texts::Texts;

/// `nhip service …`.
#[derive(Subcommand)]
pub(crate) enum ServiceAction {
    /// Cài dịch vụ systemd: nút tự chạy khi bật máy và tự khởi động lại khi lỗi.
    Install(UnitArgs),
    /// Gỡ dịch vụ (dữ liệu của nút giữ nguyên).
    Uninstall(NameArg),
    /// Tình trạng dịch vụ (systemctl status).
    Status(NameArg),
}

/// What the unit runs.
#[derive(Args)]
pub(crate) struct UnitArgs {
    /// Địa chỉ bảng điều khiển, hoặc "off" [mặc định: như nhip serve].
    #[arg(long)]
    dashboard: Option<String>,
    /// Chỉ in tệp dịch vụ ra màn hình, không cài (print the unit only).
    #[arg(long)]
    print: bool,
    #[command(flatten)]
    name: NameArg,
}

/// Which service.
#[derive(Args)]
pub(crate) struct NameArg {
    /// Tên dịch vụ (nhiều nút trên một máy cần tên khác nhau).
    #[arg(long, default_value = "nhip")]
    name: String,
}

/// Where a unit of this scope lives, and how systemctl is told.
struct Scope {
    system: bool,
    dir: PathBuf,
}

impl Scope {
    fn here() -> Result<Scope, String> {
        if is_root() {
            return Ok(Scope {
                system: true,
                dir: PathBuf::from("/etc/systemd/system"),
            });
        }
        let config = match std::env::var_os("XDG_CONFIG_HOME") {
            Some(dir) => PathBuf::from(dir),
            None => {
                PathBuf::from(std::env::var_os("HOME").ok_or("HOME is not set")?).join(".config")
            }
        };
        Ok(Scope {
            system: false,
            dir: config.join("systemd/user"),
        })
    }

    fn systemctl(&self, args: &[&str]) -> Result<String, String> {
        let mut command = Command::new("systemctl");
        if !self.system {
            command.arg("--user");
        }
        let output = command
            .args(args)
            .output()
            .map_err(|error| format!("systemctl: {error}"))?;
        let said = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        if output.status.success() {
            Ok(said)
        } else {
            Err(said.trim().to_owned())
        }
    }

    fn command_line(&self, args: &str) -> String {
        if self.system {
            format!("systemctl {args}")
        } else {
            format!("systemctl --user {args}")
        }
    }
}

#[cfg(unix)]
fn is_root() -> bool {
    // The owner of our own process's folder in /proc is our effective user.
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

#[cfg(not(unix))]
fn is_root() -> bool {
    false
}

/// The systemd unit that runs the node in `data` with `binary`.
pub(crate) fn unit_text(
    binary: &Path,
    data: &Path,
    unit: &str,
    dashboard: Option<&str>,
    system: bool,
) -> String {
    let dashboard = dashboard
        .map(|addr| format!(" --dashboard {addr}"))
        .unwrap_or_default();
    let target = if system {
        "multi-user.target"
    } else {
        "default.target"
    };
    format!(
        "# Written by `nhip service install`; `nhip service uninstall` removes it.
[Unit]
Description=Nhịp node for {unit}
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart={binary} --data {data} serve{dashboard}
Restart=on-failure
RestartSec=5
# SIGTERM finishes the commit in flight and closes links; acknowledged work is never lost.
KillSignal=SIGTERM
TimeoutStopSec=30
Environment=RUST_LOG=info
NoNewPrivileges=yes
PrivateTmp=yes

[Install]
WantedBy={target}
",
        binary = quoted(binary),
        data = quoted(data),
    )
}

/// A path as one argument of a unit's command line (systemd splits at spaces, as a shell does).
fn quoted(path: &Path) -> String {
    let text = path.display().to_string();
    if text.contains(char::is_whitespace) {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        text
    }
}

/// `nhip service …` for the node in `data`.
pub(super) fn exec(data: &Path, texts: Texts, action: ServiceAction) -> Outcome {
    let scope = Scope::here().map_err(|error| fail(ExitCode::Refused, error))?;
    match action {
        ServiceAction::Install(args) => {
            let config: crate::config::Config =
                crate::config::read(&data.join(crate::config::CONFIG_FILE)).map_err(|_| {
                    fail(ExitCode::NoNode, texts.no_node(&data.display().to_string()))
                })?;
            let binary = std::env::current_exe()
                .map_err(|error| fail(ExitCode::Refused, error.to_string()))?;
            let text = unit_text(
                &binary,
                data,
                config.unit.as_str(),
                args.dashboard.as_deref(),
                scope.system,
            );
            if args.print {
                say!("{}", text.trim_end());
                return Ok(());
            }
            let file = scope.dir.join(format!("{}.service", args.name.name));
            std::fs::create_dir_all(&scope.dir)
                .and_then(|()| std::fs::write(&file, &text))
                .map_err(|error| fail(ExitCode::Refused, format!("{}: {error}", file.display())))?;
            say!("{}", texts.service_written(&file.display().to_string()));
            let enable = format!("enable --now {}", args.name.name);
            match scope
                .systemctl(&["daemon-reload"])
                .and_then(|_| scope.systemctl(&["enable", "--now", &args.name.name]))
            {
                Ok(_) => say!("{}", texts.service_started(&args.name.name)),
                Err(error) => warn!(
                    "{}",
                    texts.service_not_started(&error, &scope.command_line(&enable))
                ),
            }
            Ok(())
        }
        ServiceAction::Uninstall(args) => {
            let file = scope.dir.join(format!("{}.service", args.name));
            if let Err(error) = scope.systemctl(&["disable", "--now", &args.name]) {
                tracing::info!(%error, "systemctl disable");
            }
            match std::fs::remove_file(&file) {
                Ok(()) => {
                    let _ = scope.systemctl(&["daemon-reload"]);
                    say!("{}", texts.service_removed(&file.display().to_string()));
                    Ok(())
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(fail(
                    ExitCode::Refused,
                    texts.no_service(&file.display().to_string()),
                )),
                Err(error) => Err(fail(
                    ExitCode::Refused,
                    format!("{}: {error}", file.display()),
                )),
            }
        }
        ServiceAction::Status(args) => {
            let file = scope.dir.join(format!("{}.service", args.name));
            if !file.exists() {
                return Err(fail(
                    ExitCode::Refused,
                    texts.no_service(&file.display().to_string()),
                ));
            }
            say!("{}", file.display());
            match scope.systemctl(&["status", "--no-pager", &args.name]) {
                Ok(said) => say!("{}", said.trim_end()),
                Err(error) => warn!("{error}"),
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_starts_the_node_at_boot_and_restarts_it() {
        let text = unit_text(
            Path::new("/usr/bin/nhip"),
            Path::new("/var/lib/nhip"),
            "lai-chau/binh-lu",
            Some("127.0.0.1:7412"),
            true,
        );
        assert!(text.contains(
            "ExecStart=/usr/bin/nhip --data /var/lib/nhip serve --dashboard 127.0.0.1:7412\n"
        ));
        assert!(text.contains("Restart=on-failure\n"));
        assert!(text.contains("WantedBy=multi-user.target\n"));
        let user = unit_text(
            Path::new("/usr/bin/nhip"),
            Path::new("/home/a/nhip"),
            "x",
            None,
            false,
        );
        assert!(user.contains("serve\n") && user.contains("WantedBy=default.target\n"));
    }
}
