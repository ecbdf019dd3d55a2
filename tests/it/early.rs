//! A NAME with no record gets its container made while `start` asks the
//! engine what exists, from the image it started from last (the state
//! file's hint): started only when the engine's answers agree, removed when
//! they do not, and the start then goes on as it would have (`cargo xtask
//! ci` runs these).

use crate::engine::base_image;
use crate::lifecycle::{check_kill, ssh_ok};
use crate::Sandbox;

/// The value of the label `io.redock.early` on the container or image
/// `object` (empty when it has none).
fn early_mark(sandbox: &Sandbox, object: &str) -> String {
    sandbox.engine_ok(&[
        "inspect",
        "-f",
        "{{index .Config.Labels \"io.redock.early\"}}",
        object,
    ])
}

/// The state file as JSON, changed by `edit`.
fn edit_state(sandbox: &Sandbox, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = sandbox.redock_home().join("state.json");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut state);
    std::fs::write(&path, serde_json::to_string_pretty(&state).unwrap()).unwrap();
}

fn hinted(sandbox: &Sandbox, name: &str) -> bool {
    let path = sandbox.redock_home().join("state.json");
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    state["own_images"]
        .as_array()
        .is_some_and(|names| names.iter().any(|n| n == name))
}

/// An engine CLI `name` in the sandbox that runs the shell lines `first`,
/// then the sandbox's engine CLI with its arguments.
fn engine_wrapper(sandbox: &Sandbox, name: &str, first: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let wrapper = sandbox.home().join(name);
    let script = format!(
        "#!/bin/sh\n{first}exec {} \"$@\"\n",
        sandbox.engine_program()
    );
    std::fs::write(&wrapper, script).unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    wrapper
}

/// The one container of the sandbox.
fn only_container(sandbox: &Sandbox) -> String {
    let ids = sandbox.container_ids();
    assert_eq!(ids.len(), 1, "{ids:?}");
    ids[0].clone()
}

/// A sandbox and a NAME of its own whose container is started, holds the
/// file /root/committed, and is committed (the NAME's image goes with the
/// sandbox): the sandbox, the NAME and the alias.
fn committed(label: &str) -> (Sandbox, String, String) {
    base_image();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique(label);
    let alias = format!("{hostname}-container");
    sandbox.owns_image(&name);
    sandbox.redock(["start", "--no-ssh", &name]).success();
    ssh_ok(&sandbox, &alias, &["touch", "/root/committed"]);
    sandbox.redock(["commit", &name]).success();
    (sandbox, name, alias)
}

/// commit → kill → start: the container is made early from the committed
/// image, which the commit made the hint. With the hint lost (an image
/// the state file does not know of), the one made early from the base
/// image is removed and the start makes its container from the NAME's
/// image all the same.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn early_containers_come_from_the_image_the_name_starts_from() {
    let (sandbox, name, alias) = committed("early");
    // The first container came early from the base image.
    let first = only_container(&sandbox);
    assert!(!early_mark(&sandbox, &first).is_empty());
    assert!(hinted(&sandbox, &name));
    // The image keeps none of the container's marks.
    assert_eq!(early_mark(&sandbox, &name), "");
    sandbox.redock(["kill", &name]).success();

    sandbox.redock(["start", "--no-ssh", &name]).success();
    assert!(!early_mark(&sandbox, &only_container(&sandbox)).is_empty());
    ssh_ok(&sandbox, &alias, &["test", "-f", "/root/committed"]);
    sandbox.redock(["kill", &name]).success();

    edit_state(&sandbox, |state| {
        state["own_images"] = serde_json::json!([])
    });
    sandbox.redock(["start", "--no-ssh", &name]).success();
    let id = only_container(&sandbox);
    assert_eq!(early_mark(&sandbox, &id), "", "the early one was kept");
    ssh_ok(&sandbox, &alias, &["test", "-f", "/root/committed"]);
    assert!(hinted(&sandbox, &name));
    check_kill(&sandbox, &name, &alias);
}

/// A hint whose image is gone (deleted): the early create finds no image,
/// and the container comes from the base image; the hint goes.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn an_early_create_of_a_deleted_image_falls_back_to_the_base() {
    let (sandbox, name, alias) = committed("early-gone");
    sandbox.redock(["kill", &name]).success();
    sandbox.redock(["delete", &name]).success();
    assert!(hinted(&sandbox, &name));

    sandbox.redock(["start", "--no-ssh", &name]).success();
    only_container(&sandbox);
    ssh_ok(&sandbox, &alias, &["test", "!", "-e", "/root/committed"]);
    assert!(!hinted(&sandbox, &name));
    check_kill(&sandbox, &name, &alias);
}

/// A container of a NAME of its own, started with the tag's host name or,
/// given `suffix`, with `-n` and another, a file written in it, stopped,
/// and its record lost; then a `start` of the NAME must resume that one,
/// with its file, and make no other.
fn resumed_after_the_record_is_lost(label: &str, suffix: Option<&str>) {
    base_image();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique(label);
    let mut start = vec!["start".to_string(), "--no-ssh".into(), name.clone()];
    let hostname = match suffix {
        Some(suffix) => {
            let other = format!("{hostname}-{suffix}");
            start.splice(2..2, ["-n".to_string(), other.clone()]);
            other
        }
        None => hostname,
    };
    let alias = format!("{hostname}-container");
    sandbox.redock(&start).success();
    ssh_ok(&sandbox, &alias, &["touch", "/root/uncommitted"]);
    let id = only_container(&sandbox);
    sandbox.engine_ok(&["stop", "-t", "1", &id]);
    edit_state(&sandbox, |state| {
        state["containers"] = serde_json::json!({});
    });

    let out = sandbox.redock(["start", "--no-ssh", &name]).success();
    assert!(
        out.stderr.contains("resumed the stopped container"),
        "{out}"
    );
    assert_eq!(only_container(&sandbox), id);
    ssh_ok(&sandbox, &alias, &["test", "-f", "/root/uncommitted"]);
    check_kill(&sandbox, &name, &alias);
}

/// A stopped container of the NAME whose record is lost: the engine
/// refuses the early one (the alias's name is taken), and the stopped one
/// is resumed with its files.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn a_container_without_a_record_is_resumed_not_replaced() {
    resumed_after_the_record_is_lost("early-lost", None);
}

/// The same under another alias (started with `-n`): the engine does not
/// refuse the early one (its name is free), the listing refutes it, and it
/// is removed while the stopped one is resumed under its own alias.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn an_early_container_never_replaces_one_under_another_alias() {
    resumed_after_the_record_is_lost("early-other", Some("x"));
}

/// An engine CLI without `--pull` (before Docker 20.10) refuses the early
/// create: the start goes on as before.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn a_cli_without_pull_still_starts() {
    base_image();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique("early-old-cli");
    let alias = format!("{hostname}-container");
    let wrapper = engine_wrapper(
        &sandbox,
        "old-cli",
        "for arg; do\n  if [ \"$arg\" = --pull ]; then echo 'unknown flag: --pull' >&2; exit 125; fi\ndone\n",
    );
    sandbox
        .redock(["start", "--no-ssh", &name])
        .env("REDOCK_DOCKER", &wrapper)
        .success();
    assert_eq!(early_mark(&sandbox, &only_container(&sandbox)), "");
    ssh_ok(&sandbox, &alias, &["true"]);
    check_kill(&sandbox, &name, &alias);
}

/// A new container of the base image is run attached with redock's key on
/// its input, and its init script answers with the host key: the start
/// runs no `docker exec` and no second `docker start`. Stopped and started
/// again (its input stays open, and nothing is written to it), it is
/// resumed with its files and reached through the hand-in, as any other.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn a_new_container_of_the_base_image_takes_its_key_on_its_input() {
    base_image();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique("early-input");
    let alias = format!("{hostname}-container");
    // The key pair is made by the first start; the next one has it before
    // it asks the engine anything.
    sandbox.redock(["start", "--no-ssh", &name]).success();
    check_kill(&sandbox, &name, &alias);
    let calls = sandbox.home().join("engine-calls");
    let noting = format!("echo \"$1\" >> '{}'\n", calls.display());
    let wrapper = engine_wrapper(&sandbox, "noting-cli", &noting);

    sandbox
        .redock(["start", "--no-ssh", &name])
        .env("REDOCK_DOCKER", &wrapper)
        .success();
    let called = std::fs::read_to_string(&calls).unwrap();
    let called: Vec<&str> = called.lines().collect();
    assert!(called.contains(&"run"), "{called:?}");
    for other in ["exec", "create", "start"] {
        assert!(!called.contains(&other), "{other} in {called:?}");
    }
    let id = only_container(&sandbox);
    assert!(!early_mark(&sandbox, &id).is_empty());
    ssh_ok(&sandbox, &alias, &["touch", "/root/kept"]);
    // No CLI is left attached to it.
    let attached = std::process::Command::new("pgrep")
        .args([
            "-f",
            &format!("run -i --sig-proxy=false --cidfile .*{hostname}"),
        ])
        .output()
        .unwrap();
    assert!(attached.stdout.is_empty(), "{attached:?}");

    assert_eq!(sandbox.engine_ok(&["stop", "-t", "1", &id]), id);
    let out = sandbox.redock(["start", "--no-ssh", &name]).success();
    assert!(
        out.stderr.contains("resumed the stopped container"),
        "{out}"
    );
    assert_eq!(only_container(&sandbox), id);
    ssh_ok(&sandbox, &alias, &["test", "-f", "/root/kept"]);
    check_kill(&sandbox, &name, &alias);
}
