//! Values redock writes into ssh configurations, against the engine: the
//! paths of REDOCK_HOME's files and of the engine CLI go through
//! `sshconfig::render`, so every character but a control character works
//! end to end (or, where ssh has no escape, is refused saying why), and the
//! Include line comes before every option of the user's config. A sandbox
//! each: some rows write the user config first.

use std::path::Path;

use super::{chmod, refused, works, write, Case, Table, Try};
use crate::engine::base_image;
use crate::Sandbox;

fn name(tag: &str) -> String {
    format!("redock-hostile-{}:{tag}", std::process::id())
}

/// `ssh ALIAS COMMAND…` through the sandbox's user config; its output.
fn ssh(sandbox: &Sandbox, alias: &str, remote: &[&str]) -> Result<String, String> {
    let out = std::process::Command::new("ssh")
        .arg("-F")
        .arg(sandbox.ssh_config())
        .args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=5", alias])
        .args(remote)
        .env("HOME", sandbox.home())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    match out.status.success() {
        true => Ok(String::from_utf8_lossy(&out.stdout).trim().to_string()),
        false => Err(format!(
            "ssh {alias} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

fn reaches(alias: &'static str) -> super::Expect {
    works(move |s, _| ssh(s, alias, &["true"]).map(|_| format!("ssh {alias} works")))
}

/// `start` with REDOCK_HOME named `dir` in HOME.
fn home(id: &str, input: &str, dir: &'static str, tag: &'static str, alias: &'static str) -> Case {
    Case::new(id, input, reaches(alias), move |s| {
        Try::new(["start", "--no-ssh", &name(tag)]).env("REDOCK_HOME", s.home().join(dir))
    })
}

/// [`home`], with a home beside it that the path, read as a glob, would
/// match first, holding a Host block of the same alias that leads nowhere.
fn glob(id: &str, input: &str, dir: &'static str, tag: &'static str, alias: &'static str) -> Case {
    Case::new(id, input, reaches(alias), move |s| {
        write(
            &s.home().join("home!/ssh_config"),
            format!("Host {alias}\n  HostName 127.0.0.1\n  Port 1\n"),
        );
        Try::new(["start", "--no-ssh", &name(tag)]).env("REDOCK_HOME", s.home().join(dir))
    })
}

/// A docker wrapper at `path` that runs the real one.
fn docker_at(path: &Path) {
    write(path, "#!/bin/sh\nexec docker \"$@\"\n");
    chmod(path, 0o755);
}

/// Checks that the user config now starts with the one Include line, and
/// that the backup holds what was there before.
fn include_first(before: &'static str) -> super::Expect {
    works(move |s, _| {
        let text = std::fs::read_to_string(s.ssh_config()).unwrap();
        let backup = s.home().join(".ssh/config.redock-backup");
        let backup = std::fs::read_to_string(backup).unwrap_or_default();
        let first = text.lines().next().unwrap_or_default();
        let kept = before.replace("HOME", &s.redock_home().display().to_string());
        match (
            first.starts_with("Include "),
            text.matches("Include ").count(),
            backup == kept,
        ) {
            (true, 1, true) => {
                Ok("the one Include line is first; the backup holds the old file".into())
            }
            _ => Err(format!("the config is now:\n{text}\nthe backup:\n{backup}")),
        }
    })
}

const LOWER: &str = "User bob\nInclude HOME/ssh_config\nHost *\n  ForwardAgent no\n";
const IN_BLOCK: &str = "Host *\n  ForwardAgent no\nMatch all\n  Include HOME/ssh_config\n";

fn rows() -> Vec<Case> {
    vec![
        home(
            "home-percent",
            "REDOCK_HOME with `%h` (an ssh token)",
            "home %h",
            "v1",
            "v1-container",
        ),
        glob(
            "home-star",
            "REDOCK_HOME with `*`, a home `home!` beside it",
            "home*",
            "v2",
            "v2-container",
        ),
        glob(
            "home-question",
            "REDOCK_HOME with `?`, a home `home!` beside it",
            "home?",
            "v3",
            "v3-container",
        ),
        home(
            "home-bracket",
            "REDOCK_HOME with `[x]`",
            "home[x]",
            "v4",
            "v4-container",
        ),
        home(
            "home-backslash",
            "REDOCK_HOME with `\\`",
            "back\\slash",
            "v5",
            "v5-container",
        ),
        home(
            "home-everything",
            "REDOCK_HOME with `100% [x] *? #'\"$ ;`",
            "100% [x] *? #'\"$ ;",
            "v6",
            "v6-container",
        ),
        Case::new(
            "home-env-brace",
            "REDOCK_HOME with `${` (ssh expands it in IdentityFile, with no escape)",
            refused(1, "${"),
            |s| {
                Try::new(["start", "--no-ssh", &name("v7")])
                    .env("REDOCK_HOME", s.home().join("home${x}"))
            },
        ),
        Case::new(
            "engine-path-percent",
            "REDOCK_DOCKER a path with `%h` and the exec transport",
            reaches("v8-container"),
            |s| {
                let docker = s.home().join("bin %h/docker");
                docker_at(&docker);
                Try::new(["start", "--no-ssh", "--transport", "exec", &name("v8")])
                    .env("REDOCK_DOCKER", docker)
            },
        ),
        Case::new(
            "config-top-option",
            "`User bob` and `Port 2200` before the user config's first Host",
            works(|s, _| {
                ssh(s, "v9-container", &["whoami"]).and_then(|user| match user.as_str() {
                    "root" => Ok("ssh v9-container logs in as root".into()),
                    other => Err(format!("logged in as {other}")),
                })
            }),
            |s| {
                write(
                    &s.ssh_config(),
                    "# mine\nUser bob\nPort 2200\n\nHost *\n  ForwardAgent no\n",
                );
                Try::new(["start", "--no-ssh", &name("v9")])
            },
        ),
        Case::new(
            "config-include-lower",
            "an Include of redock's that an earlier version put below the user's options",
            include_first(LOWER),
            |s| {
                let text = LOWER.replace("HOME", &s.redock_home().display().to_string());
                write(&s.ssh_config(), text);
                Try::new(["start", "--no-ssh", &name("v10")])
            },
        ),
        Case::new(
            "config-include-in-block",
            "an Include of redock's inside a Match block",
            include_first(IN_BLOCK),
            |s| {
                let text = IN_BLOCK.replace("HOME", &s.redock_home().display().to_string());
                write(&s.ssh_config(), text);
                Try::new(["start", "--no-ssh", &name("v11")])
            },
        ),
        Case::new(
            "config-include-lower-dry-run",
            "the same with `--dry-run`: the move is shown, not made",
            works(|s, out| {
                let text = std::fs::read_to_string(s.ssh_config()).unwrap();
                let kept = LOWER.replace("HOME", &s.redock_home().display().to_string());
                match (
                    text == kept,
                    out.stdout.contains("+Include "),
                    out.stdout.contains("-Include "),
                ) {
                    (true, true, true) => {
                        Ok("the diff moves the line; the file is as it was".into())
                    }
                    _ => Err(format!("the config is now:\n{text}")),
                }
            }),
            |s| {
                let text = LOWER.replace("HOME", &s.redock_home().display().to_string());
                write(&s.ssh_config(), text);
                Try::new(["start", "--no-ssh", "--dry-run", &name("v12")])
            },
        ),
    ]
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn hostile_ssh_config_values_against_the_engine() {
    base_image();
    let mut table = Table::new(
        "4-values",
        "Values written into ssh configurations, against the engine",
    );
    for case in rows() {
        let sandbox = Sandbox::with_own_names();
        write(&sandbox.ssh_config(), "Host *\n  User me\n");
        table.run(&sandbox, &[], &case);
    }
    table.finish();
}
