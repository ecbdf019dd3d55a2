//! `proc::signals` in processes of their own: the test runs this binary
//! again as a child that installs the handling, and sends it signals.
//!
//! No test harness: the child must be this program run again, with no
//! other test's threads or children around it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use proc::{Cmd, ProcessErrorKind};
use test_support::processes::{assert_gone, wait_for_pids};

const CHILD: &str = "PROC_SIGNALS_TEST_CHILD";

fn main() {
    match std::env::var_os(CHILD) {
        Some(dir) => child(Path::new(&dir)),
        None => {
            interrupted_children_die_and_a_second_signal_ends_the_program();
            println!("test interrupted_children_die_and_a_second_signal_ends_the_program ... ok");
            println!("1 passed, 0 failed");
        }
    }
}

/// A script that starts a grandchild `sleep`, writes its own pid and the
/// grandchild's to `pids`, and then waits forever.
fn hang(pids: &Path) -> Cmd {
    let script = format!(
        "sleep 1000 & echo $! $$ >'{}.tmp' && mv '{0}.tmp' '{0}'; wait",
        pids.display()
    );
    Cmd::new("sh").args(["-c", &script])
}

/// A program that prints its own signal mask.
fn mask() -> Cmd {
    Cmd::new("grep").args(["SigBlk", "/proc/self/status"])
}

/// The child: a run that a signal interrupts, a cleanup that runs normally
/// after it, and a second run during which a second signal ends it all.
fn child(dir: &Path) {
    proc::signals::install().unwrap();
    // Children start with no signal blocked, foreground or not.
    for cmd in [mask(), mask().foreground(), mask().stderr_tee()] {
        let out = cmd.run().unwrap();
        print!("child {}", String::from_utf8_lossy(&out.stdout));
    }
    let missing = Cmd::new("redock-no-such-program").output().unwrap_err();
    println!("missing: {:?}", missing.kind());
    let error = hang(&dir.join("first")).output().unwrap_err();
    assert_eq!(error.kind(), ProcessErrorKind::Interrupted, "{error}");
    println!("error: {error}");
    let cleanup = Cmd::new("echo").arg("cleaned up").run().unwrap();
    print!("{}", String::from_utf8_lossy(&cleanup.stdout));
    println!("exit code: {}", proc::signals::exit_code(1));
    let _ = hang(&dir.join("second")).output();
    println!("the second signal did not end the program");
    std::process::exit(99);
}

fn interrupted_children_die_and_a_second_signal_ends_the_program() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(CHILD, dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = Pid::from_raw(child.id() as i32);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = || {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        line
    };

    for _ in 0..3 {
        assert_eq!(line(), "child SigBlk:\t0000000000000000\n");
    }
    assert_eq!(line(), "missing: NotFound\n");

    let first: PathBuf = dir.path().join("first");
    let first = wait_for_pids(&first);
    kill(pid, Signal::SIGTERM).unwrap();
    let error = line();
    assert!(
        error.starts_with("error: process didn't exit successfully: `sh -c ")
            && error.ends_with("(interrupted by SIGTERM)\n"),
        "{error}"
    );
    assert_gone(&first);
    assert_eq!(line(), "cleaned up\n");
    assert_eq!(line(), "exit code: 143\n");

    let second = wait_for_pids(&dir.path().join("second"));
    kill(pid, Signal::SIGINT).unwrap();
    let status = child.wait().unwrap();
    // The second signal ends the program by its default action.
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(Signal::SIGINT as i32)
    );
    assert_gone(&second);
}
