//! The `redock` program: parses the command line and runs it (see
//! `redock::commands`), turning any error into one line and an exit code.

fn main() {
    // Before any thread starts: children run in process groups of their
    // own, so redock itself passes SIGINT, SIGTERM and SIGHUP on to them.
    if let Err(error) = proc::signals::install() {
        eprintln!("redock: warning: cannot handle signals: {error}");
    }
    let code = redock::commands::main(std::env::args_os());
    std::process::exit(proc::signals::exit_code(code));
}
