//! A user's work is never lost (`cargo xtask ci` runs these against the
//! Docker engine; `podman.rs` runs a core of them against Podman): a
//! stopped, paused or restarted container comes back with its files,
//! racing starts make one container, only `kill` and `delete --force`
//! remove one.

use std::process::{Child, Stdio};
use std::time::Duration;

use crate::engine::base_image;
use crate::{Out, Sandbox};

/// What `status --json` says of NAME's state ("missing" when it has no row).
pub fn state_of(sandbox: &Sandbox, name: &str) -> String {
    let out = sandbox.redock(["status", "--json", name]).success();
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert!(rows.len() <= 1, "{out}");
    rows.first()
        .map_or("no row", |r| r["state"].as_str().unwrap())
        .to_string()
}

/// The port of the Host block of `alias` in redock's ssh_config.
pub fn host_block_port(sandbox: &Sandbox, alias: &str) -> Option<u16> {
    let config =
        std::fs::read_to_string(sandbox.redock_home().join("ssh_config")).unwrap_or_default();
    let mut in_block = false;
    for line in config.lines().map(str::trim) {
        if let Some(host) = line.strip_prefix("Host ") {
            in_block = host.trim() == alias;
        } else if let Some(port) = line.strip_prefix("Port ").filter(|_| in_block) {
            return port.trim().parse().ok();
        }
    }
    None
}

/// The loopback port the engine publishes the container's sshd on now.
pub fn published_port(sandbox: &Sandbox, id: &str) -> u16 {
    let out = sandbox.engine_ok(&["port", id, "22/tcp"]);
    let line = out.lines().next().unwrap_or_default();
    line.rsplit(':').next().unwrap().parse().unwrap()
}

/// `ssh ALIAS COMMAND…` succeeds.
pub fn ssh_ok(sandbox: &Sandbox, alias: &str, command: &[&str]) {
    let ssh = sandbox.ssh(alias, command);
    assert!(
        ssh.status.success(),
        "ssh {alias} {command:?}: {}",
        String::from_utf8_lossy(&ssh.stderr)
    );
}

/// After a stop or a pause: the container's state in `status`, the
/// commands that need sshd refused with one line, a commit that works, a
/// delete refused; then `start` brings back the same container, with the
/// uncommitted file, reachable on the port the engine gives it now.
pub fn check_resume(sandbox: &Sandbox, name: &str, alias: &str, id: &str, state: &str) {
    assert_eq!(state_of(sandbox, name), state);
    for args in [
        vec!["run", name, "--", "true"],
        vec!["ssh", name, "--", "true"],
        vec!["upload", name, "/etc/hostname", "/tmp/x"],
    ] {
        let out = sandbox.redock(&args).fails(1);
        out.assert_one_line_error(&format!(
            "{name} is {state}: `redock start {name}` resumes it"
        ));
    }
    // A commit needs no running container.
    sandbox.owns_image(name);
    sandbox.redock(["commit", name]).success();
    assert_eq!(state_of(sandbox, name), state, "the commit changed it");
    let out = sandbox.redock(["delete", name]).fails(1);
    out.assert_one_line_error(&format!("a {state} container of {name} still exists"));

    let out = sandbox.redock(["start", "--no-ssh", name]).success();
    assert!(
        out.stderr
            .contains(&format!("resumed the {state} container {}", &id[..12])),
        "{out}"
    );
    assert_eq!(sandbox.container_ids(), [id], "not the same container");
    assert_eq!(state_of(sandbox, name), "running");
    assert_eq!(
        host_block_port(sandbox, alias),
        Some(published_port(sandbox, id))
    );
    ssh_ok(sandbox, alias, &["test", "-f", "/root/uncommitted"]);
}

/// A started NAME with a file that was never committed: the sandbox, NAME,
/// alias and the container's id. The base image must be there.
pub fn started_with_work(sandbox: Sandbox, label: &str) -> (Sandbox, String, String, String) {
    let (name, hostname) = sandbox.unique(label);
    let alias = format!("{hostname}-container");
    sandbox.redock(["start", "--no-ssh", &name]).success();
    ssh_ok(&sandbox, &alias, &["touch", "/root/uncommitted"]);
    let ids = sandbox.container_ids();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let id = ids[0].clone();
    (sandbox, name, alias, id)
}

/// `kill` removes the container in whatever state, and says so only once
/// the engine no longer has it.
pub fn check_kill(sandbox: &Sandbox, name: &str, alias: &str) {
    let out = sandbox.redock(["kill", name]).success();
    assert!(out.stderr.contains(&format!("killed {name}")), "{out}");
    assert!(sandbox.container_ids().is_empty());
    assert_eq!(host_block_port(sandbox, alias), None);
    assert_eq!(state_of(sandbox, name), "no row");
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn a_stopped_container_is_resumed_with_its_files() {
    base_image();
    let (sandbox, name, alias, id) = started_with_work(Sandbox::new(), "stopped");
    sandbox.engine_ok(&["stop", "-t", "1", &id]);
    check_resume(&sandbox, &name, &alias, &id, "stopped");
    // Stopped again, `kill` removes it.
    sandbox.engine_ok(&["stop", "-t", "1", &id]);
    check_kill(&sandbox, &name, &alias);
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn a_paused_container_is_resumed_with_its_files() {
    base_image();
    let (sandbox, name, alias, id) = started_with_work(Sandbox::new(), "paused");
    sandbox.engine_ok(&["pause", &id]);
    check_resume(&sandbox, &name, &alias, &id, "paused");
    sandbox.engine_ok(&["pause", &id]);
    check_kill(&sandbox, &name, &alias);
}

/// `docker restart` stands for an engine restart or a reboot: the
/// container runs again, on a port the engine may have changed, and the
/// next `start` points the alias there.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn a_restarted_container_is_reused_on_its_new_port() {
    base_image();
    let (sandbox, name, alias, id) = started_with_work(Sandbox::new(), "restart");
    sandbox.engine_ok(&["restart", "-t", "1", &id]);
    let out = sandbox.redock(["start", "--no-ssh", &name]).success();
    assert!(out.stderr.contains("reusing"), "{out}");
    assert_eq!(sandbox.container_ids(), std::slice::from_ref(&id));
    assert_eq!(
        host_block_port(&sandbox, &alias),
        Some(published_port(&sandbox, &id))
    );
    ssh_ok(&sandbox, &alias, &["test", "-f", "/root/uncommitted"]);
    check_kill(&sandbox, &name, &alias);
}

/// Lines of an engine CLI wrapper that refuse `run` as a CLI before Docker
/// 20.10 refuses its `--pull never`, when the wrapper stands in at
/// `subcommand`, `create`, `start` or `exec`: `start` makes a NAME's new
/// container early with one `docker run` (attached, with the key on its
/// input, once the key pair exists, so that no `exec` is needed), and with
/// `create`, `start` and the `exec` that hands the key in once that is
/// refused.
pub fn refusing_run(subcommand: &str) -> &'static str {
    match subcommand {
        "create" | "start" | "exec" => {
            "if [ \"$1\" = run ]; then echo 'unknown flag: --pull' >&2; exit 125; fi\n"
        }
        _ => "",
    }
}

/// A wrapper of the engine CLI that kills redock (its parent) with
/// `signal` when redock runs `subcommand`, before the engine sees it, and
/// otherwise runs the real CLI.
pub fn killing_wrapper(sandbox: &Sandbox, subcommand: &str, signal: &str) -> std::path::PathBuf {
    let wrapper = sandbox
        .home()
        .join(format!("engine-kill-{subcommand}-{signal}"));
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n{}if [ \"$1\" = {subcommand} ]; then kill -{signal} $PPID; sleep 5; exit 1; fi\nexec {} \"$@\"\n",
            refusing_run(subcommand),
            sandbox.engine_program()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    wrapper
}

/// A run killed between `docker create` and `docker start` leaves a
/// created container: `status` calls it stopped, `start` starts it (handing
/// the key in again), and the work goes on in that one container.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn a_created_container_is_started() {
    base_image();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique("created");
    let alias = format!("{hostname}-container");
    let wrapper = killing_wrapper(&sandbox, "start", "KILL");
    let out = sandbox
        .redock(["start", "--no-ssh", &name])
        .env("REDOCK_DOCKER", &wrapper)
        .output();
    assert_eq!(out.code, None, "not killed:\n{out}");
    let ids = sandbox.container_ids();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        sandbox.engine_ok(&["inspect", "-f", "{{.State.Status}}", &ids[0]]),
        "created"
    );
    assert_eq!(state_of(&sandbox, &name), "stopped");
    let out = sandbox.redock(["start", "--no-ssh", &name]).success();
    assert!(
        out.stderr.contains("resumed the stopped container"),
        "{out}"
    );
    assert_eq!(sandbox.container_ids(), ids);
    ssh_ok(&sandbox, &alias, &["true"]);
    check_kill(&sandbox, &name, &alias);
}

/// `-n` and `--transport` do not change an existing container: a warning
/// names what differs, and the container keeps its own.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn start_reports_options_it_does_not_apply() {
    base_image();
    let (sandbox, name, alias, id) = started_with_work(Sandbox::new(), "differs");
    sandbox.engine_ok(&["stop", "-t", "1", &id]);
    let out = sandbox
        .redock([
            "start",
            "--no-ssh",
            "-n",
            "elsewhere",
            "--transport",
            "exec",
            &name,
        ])
        .success();
    assert!(
        out.stderr.contains("-n elsewhere is not applied")
            && out.stderr.contains("--transport exec is not applied"),
        "{out}"
    );
    assert!(out.stdout.trim().ends_with(&alias), "{out}");
    assert_eq!(sandbox.container_ids(), [id]);
    ssh_ok(&sandbox, &alias, &["test", "-f", "/root/uncommitted"]);
    assert!(!sandbox
        .ssh("elsewhere-container", &["true"])
        .status
        .success());
    sandbox.redock(["kill", &name]).success();
}

/// `redock start NAME` as a child, its output captured.
fn spawn_start(sandbox: &Sandbox, name: &str) -> Child {
    sandbox
        .command(["start", "--no-ssh", name])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: Child) -> Out {
    Out::from(child.wait_with_output().unwrap())
}

/// Starts of one NAME at once, or a little apart: one container, every
/// command succeeds (the later ones reuse it), and the alias works when
/// the last returns.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn racing_starts_make_one_container() {
    base_image();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique("race");
    let alias = format!("{hostname}-container");
    let rounds: [&[u64]; 5] = [&[0, 0], &[0, 100], &[0, 250], &[0, 500], &[0; 6]];
    for offsets in rounds {
        let children: Vec<Child> = offsets
            .iter()
            .map(|offset| {
                std::thread::sleep(Duration::from_millis(*offset));
                spawn_start(&sandbox, &name)
            })
            .collect();
        let outs: Vec<Out> = children.into_iter().map(finish).collect();
        for out in &outs {
            assert_eq!(out.code, Some(0), "{offsets:?}:\n{out}");
            assert!(out.stdout.trim().ends_with(&alias), "{out}");
        }
        let reused = outs.iter().filter(|o| o.stderr.contains("reusing")).count();
        assert_eq!(reused, offsets.len() - 1, "{offsets:?}");
        assert_eq!(sandbox.container_ids().len(), 1, "{offsets:?}");
        ssh_ok(&sandbox, &alias, &["true"]);
        sandbox.redock(["kill", &name]).success();
    }
}

/// A second command on a NAME waits for the first, says so after a second,
/// and gives up with one line after `REDOCK_LOCK_TIMEOUT`.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn a_second_command_waits_for_the_first() {
    base_image();
    let (sandbox, name, _alias, _) = started_with_work(Sandbox::new(), "wait");
    // A CLI that holds the first `kill` in its first call for a while,
    // after noting it is there.
    let there = sandbox.home().join("first-is-there");
    let wrapper = sandbox.home().join("engine-slow");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nif [ ! -e '{0}' ]; then touch '{0}'; sleep 3; fi\nexec docker \"$@\"\n",
            there.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut first = sandbox.command(["kill", &name]);
    first
        .env("REDOCK_DOCKER", &wrapper)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let first = first.spawn().unwrap();
    while !there.exists() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = sandbox
        .redock(["commit", &name])
        .env("REDOCK_LOCK_TIMEOUT", "0.5")
        .fails(1);
    out.assert_one_line_error(&format!("waiting for another redock on {name}"));
    let out = sandbox.redock(["start", "--no-ssh", &name]).success();
    assert!(
        out.stderr
            .contains(&format!("waiting for another redock on {name}")),
        "{out}"
    );
    // The kill went first: this start made a new container.
    assert!(out.stderr.contains("started"), "{out}");
    assert_eq!(finish(first).code, Some(0));
    sandbox.redock(["kill", &name]).success();
}

/// Parallel builds of one base image build it once: the others wait, then
/// find it built.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn parallel_base_builds_build_once() {
    let sandbox = Sandbox::new();
    let (target, _) = sandbox.unique("base-once");
    sandbox.owns_image(&target);
    let children: Vec<Child> = (0..3)
        .map(|_| {
            sandbox
                .command(["base", "--from", crate::FIXTURE_IMAGE, "--tag", &target])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<Out> = children.into_iter().map(finish).collect();
    for out in &outs {
        assert_eq!(out.code, Some(0), "{out}");
    }
    let built = outs.iter().filter(|o| o.stderr.contains("[1/")).count();
    assert_eq!(built, 1, "built more than once");
}

/// A start that fails while writing the user's ssh config leaves no
/// container, no Host block and no state record that `status` would show
/// as missing. The config is fine when redock checks it first; the engine
/// CLI makes its directory a file just before redock writes to it.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn a_start_that_cannot_update_the_ssh_config_leaves_nothing() {
    base_image();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique("noconfig");
    let alias = format!("{hostname}-container");
    let ssh_dir = sandbox.ssh_config().parent().unwrap().to_path_buf();
    std::fs::create_dir_all(&ssh_dir).unwrap();
    std::fs::write(sandbox.ssh_config(), "Host *\n  User me\n").unwrap();
    // `exec` reads the host key: the last engine call before the files.
    let wrapper = sandbox.home().join("engine-breaks-the-config");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nif [ \"$1\" = exec ]; then rm -rf '{0}' && touch '{0}'; fi\nexec docker \"$@\"\n",
            ssh_dir.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = sandbox
        .redock(["start", "--no-ssh", &name])
        .env("REDOCK_DOCKER", &wrapper)
        .fails(1);
    out.assert_one_line_error(".ssh/config");
    assert!(sandbox.container_ids().is_empty());
    assert_eq!(host_block_port(&sandbox, &alias), None);
    // With the config's directory back, status has nothing to show.
    std::fs::remove_file(&ssh_dir).unwrap();
    std::fs::create_dir(&ssh_dir).unwrap();
    assert_eq!(state_of(&sandbox, &name), "no row");
}

/// A run killed while it hands the keys in (through `docker exec`, onto
/// the container's tmpfs) leaves a running container whose sshd waits for
/// its host key, and nothing in REDOCK_HOME; the next start reuses the
/// container and hands the keys in again.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn a_killed_start_leaves_no_litter() {
    base_image();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique("litter");
    let alias = format!("{hostname}-container");
    let litter = |sandbox: &Sandbox| -> Vec<String> {
        std::fs::read_dir(sandbox.redock_home())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect()
    };
    let wrapper = killing_wrapper(&sandbox, "exec", "KILL");
    let out = sandbox
        .redock(["start", "--no-ssh", &name])
        .env("REDOCK_DOCKER", &wrapper)
        .output();
    assert_eq!(out.code, None, "not killed:\n{out}");
    assert!(litter(&sandbox).is_empty(), "{:?}", litter(&sandbox));
    assert_eq!(sandbox.container_ids().len(), 1);
    let out = sandbox.redock(["start", "--no-ssh", &name]).success();
    assert!(out.stderr.contains("reusing"), "{out}");
    assert!(litter(&sandbox).is_empty(), "{:?}", litter(&sandbox));
    ssh_ok(&sandbox, &alias, &["true"]);
    check_kill(&sandbox, &name, &alias);
}
