//! The `redock` program: parses the command line and runs it (see
//! `redock::commands`), turning any error into one line and an exit code.

fn main() {
    std::process::exit(redock::commands::main(std::env::args_os()));
}
