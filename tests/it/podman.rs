//! The core of the engine tests against Podman (`REDOCK_DOCKER=podman`):
//! every command, and the states a container can be in. `cargo xtask ci`
//! runs the tests named `podman_` in a step of their own, with Podman
//! installed and its `CONTAINERS_CONF` written; the Docker step skips them.

use std::sync::Once;

use crate::history::{check_history_and_rollback, Snapshots};
use crate::lifecycle::{check_kill, check_resume, ssh_ok, started_with_work, state_of};
use crate::{Sandbox, FIXTURE_IMAGE};

/// Loads the fixture image into Podman from Docker (`docker save | podman
/// load`) unless it is there, then builds `redock:base` from it with
/// redock, once per test run.
fn podman_base_image() {
    static BASE: Once = Once::new();
    BASE.call_once(|| {
        load_fixture();
        Sandbox::podman()
            .redock(["base", "--from", FIXTURE_IMAGE])
            .success();
    });
}

/// Loads the fixture image into Podman from Docker unless it is there,
/// once per test run.
pub fn load_fixture() {
    static LOADED: Once = Once::new();
    LOADED.call_once(|| {
        let sandbox = Sandbox::podman();
        let present = sandbox
            .engine()
            .args(["image", "exists", FIXTURE_IMAGE])
            .status()
            .unwrap()
            .success();
        if !present {
            let status = std::process::Command::new("sh")
                .args([
                    "-c",
                    "docker save \"$1\" | podman load",
                    "sh",
                    FIXTURE_IMAGE,
                ])
                .envs(
                    sandbox
                        .engine()
                        .get_envs()
                        .filter_map(|(k, v)| Some((k, v?))),
                )
                .status()
                .unwrap();
            assert!(status.success(), "docker save | podman load");
        }
    });
}

/// The core scenario: start, ssh, commit, a second start keeps the running
/// container and its uncommitted file, delete is refused while it runs,
/// kill, start again from the committed image, commit --squash, delete.
#[test]
#[ignore = "needs Podman: cargo xtask ci"]
fn podman_core_scenario() {
    podman_base_image();
    let sandbox = Sandbox::podman();
    let (name, hostname) = sandbox.unique("core");
    let alias = format!("{hostname}-container");
    sandbox.owns_image(&name);

    sandbox.redock(["start", "--no-ssh", &name]).success();
    let ssh = sandbox.ssh(&alias, &["hostname"]);
    assert_eq!(String::from_utf8_lossy(&ssh.stdout).trim(), hostname);
    assert_eq!(state_of(&sandbox, &name), "running");
    let ids = sandbox.container_ids();
    assert_eq!(ids.len(), 1);

    ssh_ok(&sandbox, &alias, &["touch", "/root/committed"]);
    sandbox.redock(["commit", "-m", "a file", &name]).success();
    sandbox.engine_ok(&["image", "exists", &name]);

    ssh_ok(&sandbox, &alias, &["touch", "/root/uncommitted"]);
    let out = sandbox.redock(["start", "--no-ssh", &name]).success();
    assert!(out.stderr.contains("reusing"), "{out}");
    assert_eq!(sandbox.container_ids(), ids, "start replaced the container");
    ssh_ok(&sandbox, &alias, &["test", "-f", "/root/uncommitted"]);

    let out = sandbox.redock(["delete", &name]).fails(1);
    out.assert_one_line_error("still running");
    sandbox.engine_ok(&["image", "exists", &name]);

    check_kill(&sandbox, &name, &alias);
    sandbox.redock(["start", "--no-ssh", &name]).success();
    ssh_ok(&sandbox, &alias, &["test", "-f", "/root/committed"]);
    ssh_ok(&sandbox, &alias, &["test", "!", "-e", "/root/uncommitted"]);

    ssh_ok(&sandbox, &alias, &["touch", "/root/squashed"]);
    sandbox.redock(["commit", "--squash", &name]).success();
    let layers = sandbox.engine_ok(&["image", "inspect", "-f", "{{len .RootFS.Layers}}", &name]);
    assert_eq!(layers, "1");
    let cmd = sandbox.engine_ok(&["image", "inspect", "-f", "{{json .Config.Cmd}}", &name]);
    assert_eq!(cmd, r#"["/usr/local/sbin/redock-init"]"#);

    sandbox.redock(["delete", "--force", &name]).success();
    assert!(sandbox.container_ids().is_empty());
    assert!(!sandbox
        .engine()
        .args(["image", "exists", &name])
        .status()
        .unwrap()
        .success());
}

/// The other commands: status, ssh, run, upload, sync, install and logs.
#[test]
#[ignore = "needs Podman: cargo xtask ci"]
fn podman_every_command() {
    podman_base_image();
    let sandbox = Sandbox::podman();
    let (name, hostname) = sandbox.unique("every");
    sandbox.redock(["start", "--no-ssh", &name]).success();

    let rows = sandbox.redock(["status"]).success().stdout;
    assert!(rows.contains("running") && rows.contains(&name), "{rows}");
    let out = sandbox.redock(["ssh", &name, "--", "hostname"]).success();
    assert_eq!(out.stdout.trim(), hostname);
    let out = sandbox
        .redock(["run", &name, "--", "sh", "-c", "echo out; exit 3"])
        .fails(3);
    assert_eq!(out.stdout, "out\n");

    let local = sandbox.home().join("settings.conf");
    std::fs::write(&local, "key = value\n").unwrap();
    let local = local.to_str().unwrap();
    sandbox
        .redock([
            "upload",
            "--mode",
            "0640",
            &name,
            local,
            "/srv/settings.conf",
        ])
        .success();
    let out = sandbox
        .redock(["run", &name, "--", "stat", "-c", "%a", "/srv/settings.conf"])
        .success();
    assert_eq!(out.stdout.trim(), "640");

    let dir = sandbox.home().join("project");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/main.c"), "x").unwrap();
    sandbox
        .redock(["sync", &name, dir.to_str().unwrap(), "/srv/project"])
        .success();
    sandbox
        .redock(["run", &name, "--", "test", "-f", "/srv/project/src/main.c"])
        .success();

    sandbox.redock(["install", &name, "jq"]).success();
    sandbox
        .redock(["run", &name, "--", "jq", "--version"])
        .success();

    let out = sandbox.redock(["logs", &name]).success();
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(all.contains("supervisord started"), "{out}");
    sandbox.redock(["kill", &name]).success();
    assert!(sandbox.container_ids().is_empty());

    // The exec transport: ssh through `podman exec -i … sshd -i`.
    let (name, hostname) = sandbox.unique("exec");
    sandbox
        .redock(["start", "--no-ssh", "--transport", "exec", &name])
        .success();
    let config = std::fs::read_to_string(sandbox.redock_home().join("ssh_config")).unwrap();
    assert!(config.contains("podman exec -i "), "{config}");
    let ssh = sandbox.ssh(&format!("{hostname}-container"), &["hostname"]);
    assert_eq!(String::from_utf8_lossy(&ssh.stdout).trim(), hostname);
    sandbox.redock(["kill", &name]).success();
}

/// Stopped and paused containers come back with their files, as under
/// Docker, although Podman reports a paused container as not running.
#[test]
#[ignore = "needs Podman: cargo xtask ci"]
fn podman_stopped_and_paused_containers_are_resumed() {
    podman_base_image();
    let (sandbox, name, alias, id) = started_with_work(Sandbox::podman(), "states");
    sandbox.owns_image(&name);
    sandbox.engine_ok(&["stop", "-t", "1", &id]);
    check_resume(&sandbox, &name, &alias, &id, "stopped");
    sandbox.engine_ok(&["pause", &id]);
    check_resume(&sandbox, &name, &alias, &id, "paused");
    check_kill(&sandbox, &name, &alias);
}

/// History and rollback: commit, a squashed commit, `history`, rollback and
/// its undoing, as under Docker; `delete` leaves no snapshot.
#[test]
#[ignore = "needs Podman: cargo xtask ci"]
fn podman_history_and_rollback() {
    podman_base_image();
    check_history_and_rollback(Snapshots::new(Sandbox::podman()));
}

/// `--dry-run` on every command that changes something, against Podman:
/// nothing changes (see `dryrun::check_on_a_running_container`).
#[test]
#[ignore = "needs Podman: cargo xtask ci"]
fn podman_dryrun_on_a_running_container_changes_nothing() {
    podman_base_image();
    crate::dryrun::check_on_a_running_container(&crate::dryrun::with_files(Sandbox::podman()));
}
