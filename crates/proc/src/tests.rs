use std::path::Path;
use std::time::{Duration, Instant};

use super::*;

fn sh(script: &str) -> Cmd {
    Cmd::new("sh").args(["-c", script])
}

/// Waits until every pid written to `file` is gone; fails naming those
/// left.
fn assert_all_gone(file: &Path) {
    test_support::processes::assert_gone(&test_support::processes::wait_for_pids(file));
}

/// A script that starts a grandchild `sleep`, writes its own pid and the
/// grandchild's to `pids`, and then waits forever.
fn hang(pids: &Path) -> String {
    format!(
        "sleep 1000 & echo $! $$ >'{}.tmp' && mv '{0}.tmp' '{0}'; wait",
        pids.display()
    )
}

#[test]
fn captured_run_keeps_stdout_and_stderr_apart() {
    let out = sh("echo out; echo err >&2; exit 3").output().unwrap();
    assert_eq!((out.code(), out.success()), (3, false));
    assert_eq!(out.stdout, b"out\n");
    assert_eq!(out.stderr, b"err\n");
    assert!(out.combined.is_empty());
    assert_eq!(out.command(), "sh -c 'echo out; echo err >&2; exit 3'");
}

#[test]
fn run_fails_with_the_stderr_tail() {
    let error = sh("echo to stdout; echo first >&2; echo last >&2; exit 3")
        .run()
        .unwrap_err();
    assert_eq!(error.kind(), ProcessErrorKind::Failed);
    assert_eq!(error.status().and_then(|s| s.code()), Some(3));
    assert!(
        error
            .to_string()
            .ends_with("(exit status: 3)\n--- stderr\nfirst\nlast"),
        "{error}"
    );
}

#[test]
fn large_input_and_outputs_do_not_deadlock() {
    // More than any pipe buffer in each direction at once.
    let input = vec![b'x'; 1 << 20];
    let script = "tee /dev/stderr; head -c 1048576 /dev/zero >&2";
    let out = sh(script).stdin_bytes(input.clone()).output().unwrap();
    assert!(out.success());
    assert_eq!(out.stdout, input);
    assert_eq!(out.stderr.len(), 2 << 20);

    let mut lines = 0;
    let out = sh(script)
        .stdin_bytes(input.clone())
        .output_lines(&mut |_| lines += 1)
        .unwrap();
    assert_eq!(out.stdout, input);
    assert_eq!(out.stderr.len(), 2 << 20);
    assert_eq!(out.combined.len(), 3 << 20);
    assert!(lines >= 1);
}

#[test]
fn input_the_child_ignores_is_no_error() {
    let big = vec![b'x'; 4 << 20];
    assert!(sh("exit 0").stdin_bytes(big.clone()).run().is_ok());
    assert!(sh("exit 0")
        .stdin_bytes(big)
        .stderr_tee()
        .stdout_null()
        .run()
        .is_ok());
}

#[test]
fn missing_program_is_not_found() {
    for cmd in [
        Cmd::new("/nonexistent/redock-no-such-program"),
        Cmd::new("/nonexistent/redock-no-such-program").stderr_tee(),
    ] {
        let error = cmd.output().unwrap_err();
        assert_eq!(error.kind(), ProcessErrorKind::NotFound);
        assert!(error
            .to_string()
            .starts_with("could not execute process `redock-no-such-program`: "));
    }
}

#[test]
fn lines_arrive_as_they_come_and_together() {
    let mut seen = Vec::new();
    let out = sh("read line; echo \"got $line\"; echo bad >&2; printf unfinished; exit 4")
        .stdin_bytes("x\n")
        .output_lines(&mut |line| seen.push(line.to_string()))
        .unwrap();
    assert_eq!(out.code(), 4);
    assert_eq!(out.stdout, b"got x\nunfinished");
    assert_eq!(out.stderr, b"bad\n");
    assert_eq!(seen.len(), 3);
    assert!(seen.contains(&"got x".to_string()) && seen.contains(&"bad".to_string()));
    assert_eq!(out.combined.len(), "got x\nbad\nunfinished".len());
}

#[test]
fn teed_stderr_keeps_its_tail() {
    let out = sh("i=0; while [ $i -lt 30 ]; do echo line $i >&2; i=$((i+1)); done; exit 7")
        .stdout_null()
        .stderr_tee()
        .output()
        .unwrap();
    let expected: Vec<String> = (10..30).map(|i| format!("line {i}")).collect();
    assert_eq!(String::from_utf8_lossy(&out.stderr), expected.join("\n"));
    let error = out.check().unwrap_err();
    assert!(error
        .to_string()
        .contains("(exit status: 7)\n--- stderr\nline 10\n"));
}

#[test]
fn env_is_passed_on() {
    let out = sh("echo \"$PROC_TEST_VALUE\"")
        .env("PROC_TEST_VALUE", "a b")
        .run()
        .unwrap();
    assert_eq!(out.stdout, b"a b\n");
}

#[test]
fn background_children_lead_a_group_and_foreground_ones_do_not() {
    let ours = nix::unistd::getpgrp().as_raw().to_string();
    // Field 5 of /proc/PID/stat is the process group (no `ps`: the offline
    // Debian build's container has none).
    let script = "echo $$ $(cut -d' ' -f5 /proc/$$/stat)";
    let out = sh(script).run().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let (pid, pgid) = text.trim().split_once(' ').unwrap();
    assert_eq!(pid, pgid.trim());
    let out = sh(script).foreground().run().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.split_whitespace().nth(1), Some(ours.as_str()));
}

#[test]
fn pipeline_passes_output_on() {
    let out = sh("printf 'a\\nb\\n'")
        .pipe(&Cmd::new("wc").arg("-l"))
        .output()
        .unwrap();
    assert!(out.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2");
    assert_eq!(out.command(), "sh -c 'printf '\\''a\\nb\\n'\\''' | wc -l");
}

#[test]
fn pipeline_fails_when_either_side_does() {
    let out = sh("echo left broke >&2; exit 2")
        .pipe(&Cmd::new("cat"))
        .output()
        .unwrap();
    assert_eq!(out.code(), 2);
    assert_eq!(out.stderr, b"left broke\n");
    let out = sh("echo fine")
        .pipe(&sh("cat >/dev/null; echo right broke >&2; exit 5"))
        .output()
        .unwrap();
    assert_eq!(out.code(), 5);
    assert_eq!(out.stderr, b"right broke\n");
}

#[test]
fn deadline_kills_the_whole_group() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let started = Instant::now();
    let error = sh(&hang(&pids))
        .deadline(Duration::from_millis(300))
        .output()
        .unwrap_err();
    assert_eq!(error.kind(), ProcessErrorKind::Timeout, "{error}");
    assert_eq!(error.waited(), Some(Duration::from_millis(300)));
    assert_eq!(
        error.to_string(),
        format!(
            "process didn't exit successfully: `sh -c {}` (timed out after 0.3 s)",
            quote(std::ffi::OsStr::new(&hang(&pids))).to_string_lossy()
        )
    );
    // The grandchild held the output pipe: returning at all shows it died.
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_all_gone(&pids);
}

#[test]
fn deadline_kills_streamed_runs_and_pipelines() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("streamed");
    let error = sh(&hang(&pids))
        .stderr_tee()
        .deadline(Duration::from_millis(200))
        .output()
        .unwrap_err();
    assert_eq!(error.kind(), ProcessErrorKind::Timeout, "{error}");
    assert_all_gone(&pids);

    let pids = dir.path().join("lines");
    let error = sh(&hang(&pids))
        .deadline(Duration::from_millis(200))
        .output_lines(&mut |_| {})
        .unwrap_err();
    assert_eq!(error.kind(), ProcessErrorKind::Timeout, "{error}");
    assert_all_gone(&pids);

    let left = dir.path().join("left");
    let right = dir.path().join("right");
    let error = sh(&hang(&left))
        .pipe(&sh(&hang(&right)))
        .deadline(Duration::from_millis(200))
        .output()
        .unwrap_err();
    assert_eq!(error.kind(), ProcessErrorKind::Timeout, "{error}");
    assert_all_gone(&left);
    assert_all_gone(&right);
}

#[test]
fn a_child_that_ignores_sigterm_gets_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    let script = format!("trap '' TERM; {}", hang(&pids));
    let error = sh(&script)
        .deadline(Duration::from_millis(100))
        .output()
        .unwrap_err();
    assert_eq!(error.kind(), ProcessErrorKind::Timeout, "{error}");
    assert_all_gone(&pids);
}

#[test]
fn a_run_within_its_deadline_is_untouched() {
    let out = sh("echo quick")
        .deadline(Duration::from_secs(600))
        .run()
        .unwrap();
    assert_eq!(out.stdout, b"quick\n");
}

#[test]
fn a_background_run_gives_its_lines_as_they_come_and_ends_when_told() {
    let run = Cmd::new("sh")
        .args([
            "-c",
            "read -r line; echo \"got $line\"; echo oops >&2; sleep 1000",
        ])
        .stdin_bytes("key\n")
        .background()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    assert_eq!(run.next_line(until).as_deref(), Some("got key"));
    // Nothing more comes: the wait ends at its time.
    let t = Instant::now();
    assert_eq!(
        run.next_line(Instant::now() + Duration::from_millis(50)),
        None
    );
    assert!(t.elapsed() < Duration::from_secs(20));
    let out = run.finish().unwrap();
    assert!(!out.success());
    assert_eq!(out.stderr, b"oops");
}

#[test]
fn a_background_run_that_ends_by_itself_tells_its_status() {
    let mut run = Cmd::new("sh")
        .args(["-c", "echo one; exit 3"])
        .background()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    assert_eq!(run.next_line(until).as_deref(), Some("one"));
    assert_eq!(run.next_line(until), None);
    while !run.has_ended() {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(run.finish().unwrap().code(), 3);
}

#[test]
fn a_background_run_ends_at_its_deadline() {
    let run = Cmd::new("sleep")
        .arg("1000")
        .deadline(Duration::from_millis(100))
        .background()
        .unwrap();
    assert_eq!(
        run.next_line(Instant::now() + Duration::from_secs(30)),
        None
    );
    let error = run.finish().unwrap_err();
    assert_eq!(error.kind(), crate::ProcessErrorKind::Timeout);
}
