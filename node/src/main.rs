//! `nhip`: the program every site runs. See `nhip --help`, and the README for every command.

fn main() -> std::process::ExitCode {
    nhip_node::cli::main()
}
