//! `nhip`: the program every site runs. The command set is specified by issue 5; this version
//! offers `nhip replay DB` to fold a log file and print its state hash.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use nhip_engine::{RedbLog, replay};

#[derive(Parser)]
#[command(
    name = "nhip",
    version,
    about = "Nhịp: sổ sự kiện công việc của xã, hoạt động cả khi mất mạng"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Đọc lại toàn bộ sổ và in mã băm trạng thái (replay a log file and print its state hash).
    Replay {
        /// Tệp sổ redb (the redb log file).
        db: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Replay { db } => {
            let log = match RedbLog::open(&db) {
                Ok(log) => log,
                Err(error) => {
                    eprintln!("lỗi: {error}");
                    return ExitCode::from(2);
                }
            };
            match replay(&log) {
                Ok(state) => {
                    println!("sự kiện: {}", state.events);
                    println!("công việc: {}", state.items.len());
                    println!("mã băm trạng thái: {}", state.hash());
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("lỗi: {error}");
                    ExitCode::from(1)
                }
            }
        }
    }
}
