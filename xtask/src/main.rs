//! Repository automation for redock, run as `cargo xtask <task>`
//! (matklad's cargo-xtask: plain Rust instead of shell scripts). Besides
//! std it depends only on clap and its man page and completion generators,
//! which `dist` needs to render redock's own command line from
//! `src/cli.rs`, included as a module.
//!
//! Tasks:
//!
//! - `ci`: what `.ci/run` runs: tidy, tools, Docker engine, fmt, clippy,
//!   tests, the fixture image, then the tests that need the engine, and
//!   checks RELIABILITY.md against the tables they wrote.
//! - `tidy`: check the architecture invariants by reading the source tree.
//! - `fixture [--with-ssh]`: build the Debian fixture image the engine tests
//!   start from, unless it exists.
//! - `fuzz [--iterations N]`: run the `sshconfig` fuzzer.
//! - `bench`: time `sshconfig`, then redock against plain docker + ssh.
//! - `debian-check`: build and test the workspace with Debian trixie's
//!   toolchain and `librust-*-dev` packages, offline.
//! - `dist [--check]`: lay out the release binary, man pages and shell
//!   completions under `target/dist/` as a package installs them.
//! - `package-check`: package the `sshconfig` crate and build it from its
//!   `.crate` alone.
//! - `sshconfig-diff`: compare the `sshconfig` crate with Debian 13's
//!   OpenSSH 10.0 in a container (the host's ssh is compared in `ci`).
//! - `reliability [--check]`: make (or check) RELIABILITY.md from the
//!   tables of hostile input the tests wrote.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod bench;
mod ci;
mod cmd;
mod debian;
mod dist;
mod fixture;
mod reliability;
mod sshdiff;
mod tidy;

type DynError = Box<dyn std::error::Error>;

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  ci                        tidy, fmt, clippy, tests, fixture image, engine tests, RELIABILITY.md
  tidy                      check the architecture invariants in the source
  fixture [--with-ssh]      build the Debian fixture image if it is missing
  fuzz [--iterations N]     run the sshconfig fuzzer
  bench [--quick] [--case C] time sshconfig, and redock against docker + ssh
  debian-check              build and test with Debian trixie's packages, offline
  dist [--check]            lay out target/dist/ as a package installs it
  package-check             package sshconfig and build it from the .crate
  sshconfig-diff            compare sshconfig with OpenSSH 10.0 in a trixie container
  reliability [--check]     RELIABILITY.md from the hostile-input tables of the last test run";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    // Every task works from the repository root, wherever cargo was run.
    if let Err(e) = std::env::set_current_dir(project_root()) {
        eprintln!("xtask: error: cannot enter the project root: {e}");
        return ExitCode::FAILURE;
    }
    let result = match task.as_str() {
        "ci" => ci::run(rest),
        "tidy" => tidy::run(rest),
        "fixture" => fixture::run(rest),
        "fuzz" => fuzz(rest),
        "bench" => bench::run(rest),
        "debian-check" => debian::run(rest),
        "dist" => dist::run(rest),
        "package-check" => dist::package_check(rest),
        "sshconfig-diff" => sshdiff::run(rest),
        "reliability" => reliability::run(rest),
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => {
            eprintln!("xtask: error: unknown task `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask fuzz [--iterations N]`: the fuzzer is an example of the
/// `sshconfig` crate, so that it needs nothing from xtask.
fn fuzz(args: &[String]) -> Result<(), DynError> {
    let mut example_args = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--iterations" => {
                let n = args.next().ok_or("--iterations needs a number")?;
                n.parse::<u64>()
                    .map_err(|_| format!("--iterations needs a number, not `{n}`"))?;
                example_args.extend(["--iterations".to_string(), n.clone()]);
            }
            other => return Err(format!("fuzz: unexpected argument `{other}`").into()),
        }
    }
    cmd::cargo()
        .args([
            "run",
            "--release",
            "-p",
            "sshconfig",
            "--example",
            "fuzz",
            "--",
        ])
        .args(&example_args)
        .run()
}

/// The workspace root: xtask's own manifest directory is one below it.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Where cargo puts build output, honouring `CARGO_TARGET_DIR`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => project_root().join(dir),
        _ => project_root().join("target"),
    }
}
