//! Bad input: one clear line, a non-zero exit, no panic, no file changed.

use crate::Sandbox;

/// Runs `args` in a fresh sandbox holding a user ssh config, and checks the
/// run fails with `code` and one error line mentioning `contains`, leaving
/// every file as it was.
fn refused(args: &[&str], env: &[(&str, &str)], code: i32, contains: &str) {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.ssh_config().parent().unwrap()).unwrap();
    std::fs::write(sandbox.ssh_config(), "Host *\n  User me\n").unwrap();
    let before = sandbox.snapshot();
    let mut run = sandbox.redock(args);
    for (key, value) in env {
        run = run.env(key, value);
    }
    let out = run.fails(code);
    out.assert_one_line_error(contains);
    assert_eq!(before, sandbox.snapshot(), "files changed:\n{out}");
}

#[test]
fn invalid_name() {
    refused(&["start", "Not A Name"], &[], 1, "invalid name");
    refused(&["kill", "alice:"], &[], 1, "invalid name");
    refused(
        &["commit", "registry.local:5000/team/app"],
        &[],
        1,
        "no tag",
    );
}

#[test]
fn invalid_hostname() {
    refused(
        &["start", "-n", "under_score", "web"],
        &[],
        1,
        "invalid host name",
    );
    refused(
        &["start", "--hostname=-dash", "web"],
        &[],
        1,
        "invalid host name",
    );
}

#[test]
fn unknown_command() {
    refused(&["frobnicate"], &[], 2, "frobnicate");
    refused(&["start"], &[], 2, "NAME");
    refused(&["start", "--timeout", "x", "web"], &[], 2, "timeout");
}

#[test]
fn docker_cli_missing() {
    refused(
        &["start", "web"],
        &[("REDOCK_DOCKER", "/nonexistent/docker")],
        1,
        "not found",
    );
    refused(&["status"], &[("PATH", "/nonexistent")], 1, "not found");
}

#[test]
#[ignore = "needs the docker CLI: cargo xtask ci"]
fn engine_unreachable() {
    refused(
        &["start", "web"],
        &[("DOCKER_HOST", "tcp://127.0.0.1:1")],
        1,
        "",
    );
    refused(&["status"], &[("DOCKER_HOST", "tcp://127.0.0.1:1")], 1, "");
}

#[test]
fn help_and_version() {
    let sandbox = Sandbox::new();
    let out = sandbox.redock(["--help"]).success();
    for command in [
        "start", "ssh", "commit", "kill", "delete", "status", "base", "logs",
    ] {
        assert!(out.stdout.contains(command), "--help lacks {command}");
    }
    let out = sandbox.redock(["--version"]).success();
    assert!(out
        .stdout
        .starts_with(&format!("redock {}", env!("CARGO_PKG_VERSION"))));
    // Built from git, the revision follows.
    if std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.git")).exists() {
        assert!(out.stdout.contains("(git "), "{}", out.stdout);
    }
}

#[test]
fn completions() {
    let sandbox = Sandbox::new();
    let out = sandbox.redock(["completions", "bash"]).success();
    assert!(out.stdout.contains("_redock()") && out.stdout.contains("start"));
    let out = sandbox.redock(["completions", "zsh"]).success();
    assert!(out.stdout.starts_with("#compdef redock"));
    sandbox.redock(["completions", "tcsh"]).fails(2);
}
