//! `start` and `kill` interrupted (SIGTERM, SIGINT, SIGKILL) at several
//! points, and an engine CLI that hangs: nothing is left half-made. After
//! SIGTERM and SIGINT that holds at once; after SIGKILL, once the next
//! `start` or `kill` of the NAME has run. Half-made means: a container whose
//! alias does not work, a Host block of no container, a file cut short, or
//! a temporary file left in REDOCK_HOME.
//!
//! A wrapper of the engine CLI picks the point: it signals redock (its
//! parent) when redock runs a given subcommand, or hangs there.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use test_support::processes::{assert_gone, wait_for_pids};

use crate::engine::base_image;
use crate::lifecycle::{host_block_port, published_port, refusing_run, ssh_ok};
use crate::Sandbox;

/// The steps of `start` and `kill`, by the engine subcommand they run
/// (`exec` is the one that hands the keys in). A new container is made by
/// `run`, or by `create` and `start` where the CLI refuses that (see
/// `refusing_run`).
const START_POINTS: [&str; 6] = ["ps", "run", "create", "start", "exec", "container"];
/// `kill` removes the container its record names without inspecting it
/// first, and meanwhile lists the NAME's containers and inspects its image.
const KILL_POINTS: [&str; 3] = ["ps", "rm", "image"];

/// A wrapper that sends `signal` to redock the first time redock runs
/// `subcommand` in `command`, then runs the real CLI (which redock,
/// interrupted, may end at once).
fn signalling_wrapper(sandbox: &Sandbox, command: &str, subcommand: &str, signal: &str) -> PathBuf {
    let mark = sandbox
        .home()
        .join(format!("signalled-{command}-{subcommand}-{signal}"));
    script(
        sandbox,
        &format!("engine-{signal}-at-{command}-{subcommand}"),
        &format!(
            "{refusing}if [ \"$1\" = {subcommand} ] && [ ! -e '{mark}' ]; then\n  touch '{mark}'\n  kill -{signal} $PPID\nfi\nexec docker \"$@\"\n",
            refusing = refusing_run(subcommand),
            mark = mark.display()
        ),
    )
}

/// Writes an executable shell script into the sandbox.
fn script(sandbox: &Sandbox, name: &str, body: &str) -> PathBuf {
    let path = sandbox.home().join(name);
    // Written by a child: a file this process held open for writing could
    // be inherited by a process another test forks meanwhile, and running
    // it would then fail with "text file busy".
    let status = std::process::Command::new("sh")
        .args(["-c", "printf '%s' \"$1\" >\"$2\" && chmod 755 \"$2\"", "sh"])
        .arg(format!("#!/bin/sh\n{body}"))
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o111 != 0);
    path
}

/// Nothing half-made in the sandbox: every container runs, its alias
/// works on the port it publishes, every Host block has its container, the
/// files parse, and no temporary file is left.
fn check_whole(sandbox: &Sandbox, name: &str, alias: &str, context: &str) {
    let ids = sandbox.container_ids();
    assert!(ids.len() <= 1, "{context}: {ids:?}");
    let block = host_block_port(sandbox, alias);
    match ids.first() {
        Some(id) => {
            assert_eq!(
                sandbox.engine_ok(&["inspect", "-f", "{{.State.Status}}", id]),
                "running",
                "{context}"
            );
            assert_eq!(block, Some(published_port(sandbox, id)), "{context}");
            ssh_ok(sandbox, alias, &["true"]);
        }
        None => assert_eq!(block, None, "{context}: a Host block of no container"),
    }
    // state.json and the config files read whole.
    let out = sandbox.redock(["status", "--json", name]).success();
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    for row in rows.as_array().unwrap() {
        assert_eq!(row["state"], "running", "{context}: {row}");
    }
    let known =
        std::fs::read_to_string(sandbox.redock_home().join("known_hosts")).unwrap_or_default();
    assert!(
        known.is_empty() || known.ends_with('\n'),
        "{context}: {known:?}"
    );
    // A line names the alias first, then maybe its endpoint: `alias,[…]:PORT`.
    let pinned = known
        .lines()
        .any(|l| l.split([' ', ',']).next() == Some(alias));
    assert_eq!(pinned, !ids.is_empty(), "{context}: known_hosts {known:?}");
    let litter: Vec<String> = std::fs::read_dir(sandbox.redock_home())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') || n.ends_with(".tmp"))
        .collect();
    assert!(litter.is_empty(), "{context}: left {litter:?}");
}

/// Runs `args` with the engine CLI `wrapper` and a temporary directory of
/// the sandbox's own; returns how it ended.
fn run_with(sandbox: &Sandbox, wrapper: &Path, args: &[&str]) -> crate::Out {
    sandbox
        .redock(args)
        .env("REDOCK_DOCKER", wrapper)
        .env("TMPDIR", temp_dir(sandbox))
        .output()
}

/// The temporary directory `run_with` gives redock: a killed run must
/// leave nothing there (what it leaves goes in REDOCK_HOME, where the next
/// command sweeps it).
fn temp_dir(sandbox: &Sandbox) -> PathBuf {
    let dir = sandbox.home().join("tmp");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn assert_no_temp_litter(sandbox: &Sandbox, context: &str) {
    let left: Vec<_> = std::fs::read_dir(temp_dir(sandbox))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "{context}: left in TMPDIR {left:?}");
}

/// `signal` at each point of `start` and of `kill`.
fn interrupt_everywhere(signal: &str) {
    base_image();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique(&format!("sig{}", signal.to_lowercase()));
    let alias = format!("{hostname}-container");
    let by_itself = signal != "KILL";
    let code = match signal {
        "TERM" => Some(143),
        "INT" => Some(130),
        _ => None,
    };
    for point in START_POINTS {
        let context = format!("SIG{signal} at `{point}` of start");
        let wrapper = signalling_wrapper(&sandbox, "start", point, signal);
        let out = run_with(&sandbox, &wrapper, &["start", "--no-ssh", &name]);
        assert_eq!(out.code, code, "{context}:\n{out}");
        if by_itself {
            assert!(!out.stderr.contains("panicked"), "{context}:\n{out}");
            check_whole(&sandbox, &name, &alias, &context);
        }
        sandbox.redock(["start", "--no-ssh", &name]).success();
        check_whole(
            &sandbox,
            &name,
            &alias,
            &format!("{context}, started again"),
        );
        assert_no_temp_litter(&sandbox, &context);
        sandbox.redock(["kill", &name]).success();
    }
    for point in KILL_POINTS {
        let context = format!("SIG{signal} at `{point}` of kill");
        sandbox.redock(["start", "--no-ssh", &name]).success();
        let wrapper = signalling_wrapper(&sandbox, "kill", point, signal);
        let out = run_with(&sandbox, &wrapper, &["kill", &name]);
        assert_eq!(out.code, code, "{context}:\n{out}");
        if by_itself {
            check_whole(&sandbox, &name, &alias, &context);
        }
        sandbox.redock(["kill", &name]).success();
        check_whole(&sandbox, &name, &alias, &format!("{context}, killed again"));
        assert!(sandbox.container_ids().is_empty(), "{context}");
    }
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn sigterm_during_start_and_kill() {
    interrupt_everywhere("TERM");
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn sigint_during_start_and_kill() {
    interrupt_everywhere("INT");
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn sigkill_during_start_and_kill() {
    interrupt_everywhere("KILL");
}

/// A wrapper that hangs, with a grandchild, on `subcommand`: before the
/// engine acts, or (`after`) once it has. It writes its pids to `pids`.
fn hanging_wrapper(sandbox: &Sandbox, subcommand: &str, after: bool) -> (PathBuf, PathBuf) {
    let pids = sandbox
        .home()
        .join(format!("hang-{subcommand}-{after}.pids"));
    let run_first = if after {
        "docker \"$@\" >/dev/null\n  "
    } else {
        ""
    };
    let wrapper = script(
        sandbox,
        &format!("engine-hang-{subcommand}-{after}"),
        &format!(
            "{refusing}if [ \"$1\" = {subcommand} ]; then\n  {run_first}sleep 1000 & echo $! $$ >'{pids}.tmp' && mv '{pids}.tmp' '{pids}'\n  wait\nfi\nexec docker \"$@\"\n",
            refusing = refusing_run(subcommand),
            pids = pids.display()
        ),
    );
    (wrapper, pids)
}

/// A CLI that hangs at a step of `start`: redock fails at the deadline of
/// that call with one line, and leaves no container, no Host block and no
/// process.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn a_hanging_engine_leaves_nothing_behind() {
    base_image();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique("hang");
    let alias = format!("{hostname}-container");
    let cases = [
        ("ps", false),
        // An early `run` stays attached to the container it made until
        // its init script answers: one that made it and then says nothing
        // is the case of a container that does not answer, which the
        // start's own timeout covers.
        ("run", false),
        ("create", false),
        ("create", true),
        ("start", true),
        ("container", false),
        ("exec", false),
    ];
    for (point, after) in cases {
        let context = format!("hanging at `{point}` (after the engine acted: {after})");
        let (wrapper, pids) = hanging_wrapper(&sandbox, point, after);
        // Long enough for the calls that answer, on a loaded machine.
        let out = sandbox
            .redock(["start", "--no-ssh", &name])
            .env("REDOCK_DOCKER", &wrapper)
            .env("REDOCK_ENGINE_TIMEOUT", "8")
            .fails(1);
        let program = wrapper.file_name().unwrap().to_string_lossy();
        out.assert_one_line_error(&format!("`{program} {point} "));
        out.assert_one_line_error("(timed out after 8 s)");
        assert!(pids.exists(), "{context}: the wrapper never hung");
        assert_gone(&wait_for_pids(&pids));
        assert!(sandbox.container_ids().is_empty(), "{context}");
        check_whole(&sandbox, &name, &alias, &context);
    }
}
