//! `cargo xtask ci`: everything `.ci/run` checks, in order, stopping at the
//! first failing step.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::cmd::{self, find_program, is_root};
use crate::{fixture, reliability, target_dir, tidy, DynError};

/// Programs redock and its tests call, with the Debian packages that
/// provide them.
const TOOLS: &[(&str, &str)] = &[
    ("debootstrap", "debootstrap"),
    ("rsync", "rsync"),
    ("ssh", "openssh-client"),
    ("ssh-keygen", "openssh-client"),
    ("tar", "tar"),
    ("groff", "groff-base"),
    // The engine of the `podman_` tests.
    ("podman", "podman"),
    // The `engines_` tests' second dockerd, in a network namespace.
    ("ip", "iproute2"),
    ("nsenter", "util-linux"),
];

/// The limits Podman's containers get, in the `containers.conf` the Podman
/// tests run with: some machines (this CI's VM) refuse Podman's defaults.
const PODMAN_CONF: &str =
    "[containers]\ndefault_ulimits = [\"nofile=1024:20000\", \"nproc=4096:4096\"]\n";

const ENGINE_WAIT: Duration = Duration::from_secs(60);

type Step = (&'static str, fn() -> Result<(), DynError>);

pub fn run(args: &[String]) -> Result<(), DynError> {
    if let Some(arg) = args.first() {
        return Err(format!("ci: unexpected argument `{arg}`").into());
    }
    let steps: [Step; 10] = [
        // First: it needs nothing and takes a second.
        ("tidy", || tidy::run(&[])),
        ("tools", tools),
        ("docker engine", engine),
        ("cargo fmt", fmt),
        ("cargo clippy", clippy),
        ("cargo test", test),
        ("fixture image", || fixture::ensure(false)),
        ("engine tests", engine_tests),
        ("reliability", || reliability::run(&["--check".to_string()])),
        ("podman tests", podman_tests),
    ];
    let started = Instant::now();
    let mut timings = Vec::new();
    for (i, (name, step)) in steps.iter().enumerate() {
        println!("\n==> [{}/{}] {name}", i + 1, steps.len());
        let t = Instant::now();
        let result = step();
        let elapsed = t.elapsed();
        println!("==> {name}: {} in {:.1?}", status(&result), elapsed);
        if let Err(e) = result {
            return Err(format!("ci step `{name}` failed: {e}").into());
        }
        timings.push((*name, elapsed));
    }
    println!("\n==> ci passed in {:.1?}", started.elapsed());
    for (name, elapsed) in timings {
        println!("    {name:<14} {elapsed:>8.1?}");
    }
    Ok(())
}

fn status(result: &Result<(), DynError>) -> &'static str {
    if result.is_ok() {
        "ok"
    } else {
        "FAILED"
    }
}

/// Installs the programs the tests call, when xtask may.
fn tools() -> Result<(), DynError> {
    let missing: Vec<&(&str, &str)> = TOOLS
        .iter()
        .filter(|(program, _)| find_program(program).is_none())
        .collect();
    if missing.is_empty() {
        println!("found {}", names(TOOLS.iter().map(|t| t.0)));
        return Ok(());
    }
    let programs = names(missing.iter().map(|t| t.0));
    if !is_root() {
        // Not fatal here: a test that needs one of them says so.
        println!("missing {programs}, and not root: install them yourself");
        return Ok(());
    }
    println!("missing {programs}: installing them with apt-get");
    let packages: Vec<&str> = TOOLS.iter().map(|t| t.1).collect();
    apt_install(&packages)
}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join(", ")
}

fn apt_install(packages: &[&str]) -> Result<(), DynError> {
    cmd::new("apt-get")
        .arg("update")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()?;
    cmd::new("apt-get")
        .args(["install", "-y", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run()
}

/// Makes sure a Docker engine answers, starting one as root if needed.
fn engine() -> Result<(), DynError> {
    if find_program("docker").is_none() {
        if !is_root() {
            return Err("the docker CLI is not installed (apt-get install docker.io)".into());
        }
        println!("the docker CLI is missing: installing docker.io with apt-get");
        apt_install(&["docker.io"])?;
    }
    if engine_answers() {
        println!("the Docker engine answers");
        return Ok(());
    }
    if !is_root() {
        return Err("the Docker engine does not answer (`docker info` fails), \
                    and only root may start dockerd here"
            .into());
    }
    let dockerd = find_program("dockerd").ok_or("the Docker engine does not answer, and dockerd is not installed (apt-get install docker.io)")?;
    let log_path = target_dir().join("dockerd.log");
    std::fs::create_dir_all(target_dir())?;
    let log = File::create(&log_path)?;
    println!("$ {} >{} 2>&1 &", dockerd.display(), log_path.display());
    // Its own process group keeps a Ctrl-C meant for xtask from stopping
    // the engine the tests run on; it outlives xtask on purpose.
    std::process::Command::new(&dockerd)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", dockerd.display()))?;
    let started = Instant::now();
    while started.elapsed() < ENGINE_WAIT {
        std::thread::sleep(Duration::from_millis(500));
        if engine_answers() {
            println!("the Docker engine answers after {:.1?}", started.elapsed());
            return Ok(());
        }
    }
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(20).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!(
        "dockerd did not answer within {}s; the end of {}:\n{}",
        ENGINE_WAIT.as_secs(),
        log_path.display(),
        tail.join("\n")
    )
    .into())
}

fn engine_answers() -> bool {
    cmd::new("docker").arg("info").succeeds()
}

/// `--locked` keeps CI on the committed versions, once there are some.
fn locked() -> &'static [&'static str] {
    if std::path::Path::new("Cargo.lock").exists() {
        &["--locked"]
    } else {
        &[]
    }
}

fn fmt() -> Result<(), DynError> {
    cmd::cargo().args(["fmt", "--all", "--check"]).run()
}

fn clippy() -> Result<(), DynError> {
    cmd::cargo()
        .args(["clippy", "--workspace", "--all-targets"])
        .args(locked())
        .args(["--", "-D", "warnings"])
        .run()
}

fn test() -> Result<(), DynError> {
    // The hostile-input tables of an earlier run must not stand in for
    // this one's in the reliability step.
    match std::fs::remove_dir_all(reliability::tables_dir()) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    cmd::cargo()
        .args(["test", "--workspace", "--no-fail-fast"])
        .args(locked())
        .run()
}

/// Every test that needs the Docker engine; the `podman_` ones have a step
/// of their own.
fn engine_tests() -> Result<(), DynError> {
    cmd::cargo()
        .args(["test", "--workspace", "--no-fail-fast"])
        .args(locked())
        .args(["--", "--ignored", "--test-threads=2", "--skip", "podman_"])
        .run()
}

/// The core of redock's engine tests against Podman (the tests named
/// `podman_`), with a `containers.conf` of our own under target/ and the
/// fixture image carried over from Docker (`docker save | podman load`):
/// not the whole suite twice.
fn podman_tests() -> Result<(), DynError> {
    if find_program("podman").is_none() {
        return Err("podman is not installed (apt-get install podman)".into());
    }
    let dir = target_dir().join("podman");
    std::fs::create_dir_all(&dir)?;
    let conf = dir.join("containers.conf");
    std::fs::write(&conf, PODMAN_CONF)?;
    let image = fixture::image();
    let present = cmd::new("podman")
        .args(["image", "exists", &image])
        .env("CONTAINERS_CONF", &conf)
        .succeeds();
    if present {
        println!("podman has {image}");
    } else {
        cmd::pipe(
            cmd::new("docker").args(["save", &image]),
            cmd::new("podman").arg("load").env("CONTAINERS_CONF", &conf),
        )?;
    }
    cmd::cargo()
        .args(["test", "-p", "redock", "--test", "it", "--no-fail-fast"])
        .args(locked())
        .args(["--", "--ignored", "--test-threads=2", "podman_"])
        .env("CONTAINERS_CONF", &conf)
        .run()
}
