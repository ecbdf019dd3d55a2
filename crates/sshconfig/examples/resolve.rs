//! Prints the options a configuration sets for a host, in `ssh -G` format.
//!
//! `cargo run -p sshconfig --example resolve -- [-F FILE] [--openssh VERSION] HOST`
//!
//! The OpenSSH release followed is the installed one (`ssh -V`) unless
//! `--openssh` names another (`9.2p1`, `"OpenSSH_10.0p2 Debian-7+deb13u4"`).
//! The library itself never runs ssh; this example asks it once.

use std::process::{Command, ExitCode};

use sshconfig::{Openssh, Resolver};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut file = None;
    let mut version: Option<Openssh> = None;
    let mut host = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-F" => match args.next() {
                Some(f) => file = Some(f),
                None => return usage(),
            },
            "--openssh" => match args.next().map(|v| Openssh::parse(&v)) {
                Some(Ok(v)) => version = Some(v),
                Some(Err(e)) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
                None => return usage(),
            },
            _ if host.is_none() && !arg.starts_with('-') => host = Some(arg),
            _ => return usage(),
        }
    }
    let Some(host) = host else {
        return usage();
    };
    let version = match version {
        Some(v) => v,
        None => match installed() {
            Ok(v) => v,
            Err(e) => {
                eprintln!("error: {e}\nhint: name the release with --openssh VERSION");
                return ExitCode::FAILURE;
            }
        },
    };
    let mut resolver = Resolver::new().openssh(version);
    if let Some(file) = file {
        resolver = resolver.config_file(file);
    }
    match resolver.resolve(&host) {
        Ok(resolved) => {
            print!("{resolved}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The release `ssh -V` names.
fn installed() -> Result<Openssh, String> {
    let out = Command::new("ssh")
        .arg("-V")
        .output()
        .map_err(|e| format!("cannot run `ssh -V`: {e}"))?;
    let text = String::from_utf8_lossy(&out.stderr);
    Openssh::parse(text.trim()).map_err(|e| e.to_string())
}

fn usage() -> ExitCode {
    eprintln!("usage: resolve [-F FILE] [--openssh VERSION] HOST");
    ExitCode::from(2)
}
