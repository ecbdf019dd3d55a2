//! Bad input: one clear line, a non-zero exit, no panic, no file changed.

use crate::Sandbox;

/// Runs `args` in a fresh sandbox holding a user ssh config, and checks the
/// run fails with `code` and one error line mentioning `contains`, leaving
/// every file as it was.
fn refused(args: &[&str], env: &[(&str, &str)], code: i32, contains: &str) {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.ssh_config().parent().unwrap()).unwrap();
    std::fs::write(sandbox.ssh_config(), "Host *\n  User me\n").unwrap();
    refused_in(&sandbox, args, env, code, contains);
}

/// [`refused`] in a sandbox prepared by the caller. Lock files a run takes
/// are not changes, nor is the REDOCK_HOME made to hold them.
fn refused_in(sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)], code: i32, contains: &str) {
    let had_home = sandbox.redock_home().exists();
    let locks = sandbox.redock_home().join("locks");
    let unlocked = |mut files: std::collections::BTreeMap<std::path::PathBuf, (u32, Vec<u8>)>| {
        files.retain(|path, _| {
            !path.to_string_lossy().ends_with("lock")
                && !path.starts_with(&locks)
                && (had_home || path != &sandbox.redock_home())
        });
        files
    };
    let before = unlocked(sandbox.snapshot());
    let mut run = sandbox.redock(args);
    for (key, value) in env {
        run = run.env(key, value);
    }
    let out = run.fails(code);
    out.assert_one_line_error(contains);
    assert_eq!(
        before,
        unlocked(sandbox.snapshot()),
        "files changed:\n{out}"
    );
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
        "start", "ssh", "commit", "kill", "delete", "status", "base", "logs", "history", "rollback",
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

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn corrupt_or_newer_state() {
    for (contents, message) in [
        ("{\"version\": 1, \"containers\": {", "corrupt"),
        ("{\"version\": 99, \"containers\": {}}", "version 99"),
    ] {
        let sandbox = Sandbox::new();
        std::fs::create_dir_all(sandbox.redock_home()).unwrap();
        std::fs::write(sandbox.redock_home().join("state.json"), contents).unwrap();
        refused_in(&sandbox, &["start", "--no-ssh", "web"], &[], 1, message);
        refused_in(&sandbox, &["status"], &[], 1, message);
        refused_in(&sandbox, &["kill", "web"], &[], 1, message);
        assert!(
            sandbox.container_ids().is_empty(),
            "a container was created"
        );
    }
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn ssh_keygen_missing() {
    // A PATH with docker and nothing else.
    let sandbox = Sandbox::new();
    let bin = sandbox.home().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let docker = which_docker();
    std::os::unix::fs::symlink(docker, bin.join("docker")).unwrap();
    let path = bin.to_str().unwrap().to_string();
    refused_in(
        &sandbox,
        &["start", "--no-ssh", "web"],
        &[("PATH", &path)],
        1,
        "ssh-keygen",
    );
    assert!(
        sandbox.container_ids().is_empty(),
        "a container was created"
    );
}

fn which_docker() -> std::path::PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|dir| dir.join("docker"))
        .find(|p| p.is_file())
        .expect("docker on PATH")
}

#[test]
fn invalid_mirror_packages_proxy_or_setting() {
    refused(
        &["base", "--mirror", "mirror.example/debian"],
        &[],
        1,
        "invalid mirror URL",
    );
    refused(
        &["base", "--with", "curl", "Bad;Name"],
        &[],
        1,
        "invalid package name \"Bad;Name\"",
    );
    refused(
        &["base"],
        &[("REDOCK_MIRROR", "not a url")],
        1,
        "invalid mirror URL",
    );
    refused(
        &["base"],
        &[("REDOCK_APT_PROXY", "http://proxy.example:3142 x")],
        1,
        "invalid apt proxy",
    );
    refused(&["config", "--unset", "mirrors"], &[], 1, "no setting");
}
