//! A hanging engine CLI: redock gives up at the deadline of a quick call,
//! or at SIGTERM, with one line, and leaves no process behind. No engine is
//! needed: a fake `REDOCK_DOCKER` hangs, with a grandchild, on `ps`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use test_support::processes::{assert_gone, wait_for_pids};

use crate::Sandbox;

/// Writes a fake engine CLI into the sandbox that hangs on `ps` (and
/// anything else) after starting a grandchild `sleep` and writing its own
/// pid and the grandchild's to the returned file.
fn hanging_docker(sandbox: &Sandbox) -> (PathBuf, PathBuf) {
    let program = sandbox.home().join("fake-docker");
    let pids = sandbox.home().join("fake-docker.pids");
    let script = format!(
        "#!/bin/sh\n\
         sleep 1000 & echo $! $$ >'{pids}.tmp' && mv '{pids}.tmp' '{pids}'\n\
         wait\n",
        pids = pids.display()
    );
    // Written by a child: a file this process held open for writing could
    // be inherited by a process another test forks meanwhile, and running
    // it would then fail with "text file busy".
    let status = std::process::Command::new("sh")
        .args(["-c", "printf '%s' \"$1\" >\"$2\" && chmod 755 \"$2\"", "sh"])
        .arg(&script)
        .arg(&program)
        .status()
        .unwrap();
    assert!(status.success());
    (program, pids)
}

#[test]
fn a_hanging_engine_fails_at_the_deadline() {
    let sandbox = Sandbox::new();
    let (docker, pids) = hanging_docker(&sandbox);
    let out = sandbox
        .redock(["status"])
        .env("REDOCK_DOCKER", &docker)
        .env("REDOCK_ENGINE_TIMEOUT", "0.5")
        .fails(1);
    out.assert_one_line_error("fake-docker ps -a --no-trunc");
    assert!(
        out.stderr.contains("` (timed out after 0.5 s)\nhint: "),
        "{out}"
    );
    assert_gone(&wait_for_pids(&pids));
}

#[test]
fn sigterm_ends_a_hanging_command_with_one_line() {
    let sandbox = Sandbox::new();
    let (docker, pids) = hanging_docker(&sandbox);
    let mut redock = sandbox
        .command(["status"])
        .env("REDOCK_DOCKER", &docker)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pids = wait_for_pids(&pids);
    kill(Pid::from_raw(redock.id() as i32), Signal::SIGTERM).unwrap();

    // Bounded far above what it takes, so that a hang fails the test
    // rather than holding it up.
    let start = Instant::now();
    while redock.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = redock.kill();
            panic!("redock did not end after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = redock.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(143), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("redock: error: process didn't exit successfully: `fake-docker ps ")
            && lines[0].ends_with("(interrupted by SIGTERM)"),
        "{stderr}"
    );
    assert_gone(&pids);
}
