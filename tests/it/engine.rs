//! End-to-end tests against a real Docker engine (`cargo xtask ci` runs
//! them): start, ssh, commit, kill, delete, status, base.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::sync::Once;

use crate::{Sandbox, FIXTURE_IMAGE};

/// Builds `redock:base` from the fixture image once per test run (a no-op
/// when an up-to-date one exists).
pub fn base_image() {
    static BASE: Once = Once::new();
    BASE.call_once(|| {
        let sandbox = Sandbox::new();
        sandbox.redock(["base", "--from", FIXTURE_IMAGE]).success();
    });
}

/// A sandbox with a running container of a NAME of its own: the sandbox,
/// the NAME and the SSH alias. The container goes with the sandbox.
pub fn started(label: &str) -> (Sandbox, String, String) {
    base_image();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique(label);
    sandbox.redock(["start", "--no-ssh", &name]).success();
    (sandbox, name, format!("{hostname}-container"))
}

fn docker(args: &[&str]) -> std::process::Output {
    Command::new("docker").args(args).output().unwrap()
}

fn image_exists(name: &str) -> bool {
    docker(&["image", "inspect", name]).status.success()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// The original's tests: a host name, ssh into it, commit, kill, start
/// again and find the change, delete.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn original_round_trip() {
    base_image();
    let sandbox = Sandbox::new();
    let (name, _) = sandbox.unique("orig");
    sandbox.owns_image(&name);
    let hostname = format!("whatever-{}", std::process::id());
    let alias = format!("{hostname}-container");

    let out = sandbox
        .redock(["start", "--no-ssh", "-n", &hostname, &name])
        .success();
    // The printed command works as it is.
    let printed = out.stdout.trim();
    assert!(
        printed.starts_with("ssh ") && printed.ends_with(&alias),
        "{printed}"
    );
    let ssh = Command::new("sh")
        .args(["-c", &format!("{printed} hostname")])
        .env("HOME", sandbox.home())
        .output()
        .unwrap();
    assert_eq!(stdout(&ssh), hostname);
    let ssh = sandbox.ssh(&alias, &["hostname"]);
    assert!(
        ssh.status.success(),
        "{}",
        String::from_utf8_lossy(&ssh.stderr)
    );
    assert_eq!(stdout(&ssh), hostname);

    // A change survives commit, kill and start.
    assert!(sandbox
        .ssh(&alias, &["touch", "/root/committed"])
        .status
        .success());
    sandbox.redock(["commit", "-m", "a file", &name]).success();
    assert!(image_exists(&name));
    sandbox.redock(["kill", &name]).success();
    assert!(
        !sandbox.ssh(&alias, &["true"]).status.success(),
        "ssh works after kill"
    );

    sandbox
        .redock(["start", "--no-ssh", "-n", &hostname, &name])
        .success();
    assert!(sandbox
        .ssh(&alias, &["test", "-f", "/root/committed"])
        .status
        .success());
    sandbox.redock(["kill", &name]).success();
    sandbox.redock(["delete", &name]).success();
    assert!(!image_exists(&name));
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn start_reuses_and_kill_is_idempotent() {
    let (sandbox, name, alias) = started("reuse");
    let out = sandbox.redock(["start", "--no-ssh", &name]).success();
    assert!(out.stderr.contains("reusing"), "{out}");
    let ids = sandbox.container_ids();
    assert_eq!(ids.len(), 1, "one container: {ids:?}");

    sandbox.redock(["kill", &name]).success();
    sandbox.redock(["kill", &name]).success();

    // Removed behind redock's back: kill still cleans up.
    sandbox.redock(["start", "--no-ssh", &name]).success();
    let config = std::fs::read_to_string(sandbox.redock_home().join("ssh_config")).unwrap();
    assert!(config.contains(&format!("Host {alias}")));
    let ids = sandbox.container_ids();
    assert!(docker(&["rm", "-f", &ids[0]]).status.success());
    sandbox.redock(["kill", &name]).success();
    let config = std::fs::read_to_string(sandbox.redock_home().join("ssh_config")).unwrap();
    assert!(!config.contains(&alias), "stale Host block:\n{config}");
    let known =
        std::fs::read_to_string(sandbox.redock_home().join("known_hosts")).unwrap_or_default();
    assert!(!known.contains(&alias));
    let state = std::fs::read_to_string(sandbox.redock_home().join("state.json")).unwrap();
    assert!(!state.contains(&name), "stale state:\n{state}");
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn alias_collision_is_refused() {
    base_image();
    let sandbox = Sandbox::new();
    let (first, hostname) = sandbox.unique("one");
    let (second, _) = sandbox.unique("two");
    sandbox
        .redock(["start", "--no-ssh", "-n", &hostname, &first])
        .success();
    let before = sandbox.snapshot();
    let out = sandbox
        .redock(["start", "--no-ssh", "-n", &hostname, &second])
        .fails(1);
    out.assert_one_line_error(&first);
    assert!(out.stderr.contains("-n"), "{out}");
    let after = sandbox.snapshot();
    let changed: Vec<_> = after
        .iter()
        .filter(|(path, value)| {
            before.get(*path) != Some(value)
                && !path.to_string_lossy().ends_with("lock")
                && !path.ends_with("locks")
        })
        .collect();
    assert!(changed.is_empty(), "changed: {changed:?}");
    sandbox.redock(["kill", &first]).success();
}

/// A user config with everything that tends to get damaged.
const USER_CONFIG: &str = "# my settings\r\n\
\tServerAliveInterval=30\r\n\
\r\n\
Host *\r\n\
\tUser nobody\r\n\
  StrictHostKeyChecking no\r\n\
  IdentityFile=~/.ssh/id_other\r\n\
\r\n\
# trailing match\r\n\
Match host example.org\r\n\
  Port 2222";

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn user_config_is_kept_byte_for_byte() {
    base_image();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique("cfg");
    let alias = format!("{hostname}-container");
    std::fs::create_dir_all(sandbox.ssh_config().parent().unwrap()).unwrap();
    std::fs::write(sandbox.ssh_config(), USER_CONFIG).unwrap();

    sandbox.redock(["start", "--no-ssh", &name]).success();
    let include = format!("Include {}/ssh_config\r\n", sandbox.redock_home().display());
    // Before the first option, and the comment right above it.
    let expected = format!("{include}{USER_CONFIG}");
    assert_eq!(
        std::fs::read_to_string(sandbox.ssh_config()).unwrap(),
        expected
    );
    let backup = sandbox.home().join(".ssh").join("config.redock-backup");
    assert_eq!(std::fs::read_to_string(backup).unwrap(), USER_CONFIG);

    let resolved = Command::new("ssh")
        .arg("-G")
        .arg("-F")
        .arg(sandbox.ssh_config())
        .arg(&alias)
        .env("HOME", sandbox.home())
        .output()
        .unwrap();
    let resolved = String::from_utf8_lossy(&resolved.stdout);
    let key = sandbox.redock_home().join("id_ed25519");
    for line in [
        "user root".to_string(),
        "hostname 127.0.0.1".to_string(),
        "stricthostkeychecking true".to_string(),
        format!("identityfile {}", key.display()),
    ] {
        assert!(
            resolved.lines().any(|l| l == line),
            "ssh -G lacks {line:?}:\n{resolved}"
        );
    }
    assert!(
        resolved
            .lines()
            .any(|l| l.starts_with("port ") && l != "port 22"),
        "{resolved}"
    );
    assert!(sandbox.ssh(&alias, &["true"]).status.success());

    sandbox.redock(["kill", &name]).success();
    assert_eq!(
        std::fs::read_to_string(sandbox.ssh_config()).unwrap(),
        expected
    );
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn status_survives_a_lost_state_file() {
    let (sandbox, name, alias) = started("status");

    let check = |out: &str| {
        let rows: serde_json::Value = serde_json::from_str(out).unwrap();
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), 1, "{out}");
        assert_eq!(rows[0]["name"], name.as_str());
        assert_eq!(rows[0]["alias"], alias.as_str());
        assert_eq!(rows[0]["state"], "running");
        assert!(
            rows[0]["endpoint"]
                .as_str()
                .unwrap()
                .starts_with("127.0.0.1:"),
            "{out}"
        );
    };
    check(&sandbox.redock(["status", "--json"]).success().stdout);
    std::fs::remove_file(sandbox.redock_home().join("state.json")).unwrap();
    check(&sandbox.redock(["ls", "--json"]).success().stdout);
    let table = sandbox.redock(["status"]).success().stdout;
    assert!(table.contains(&alias), "{table}");
    sandbox.redock(["kill", &name]).success();
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn secure_by_default() {
    let (sandbox, name, alias) = started("secure");

    let filter = sandbox.container_filter();
    let id = stdout(&docker(&["ps", "-q", "--filter", &filter]));
    let bindings = stdout(&docker(&[
        "inspect",
        "-f",
        "{{json .HostConfig.PortBindings}}",
        &id,
    ]));
    assert!(bindings.contains("\"HostIp\":\"127.0.0.1\""), "{bindings}");
    let ports = stdout(&docker(&["port", &id, "22/tcp"]));
    assert!(
        ports.lines().all(|l| l.starts_with("127.0.0.1:")),
        "{ports}"
    );

    let mode = |p: std::path::PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(sandbox.redock_home()), 0o700);
    assert_eq!(mode(sandbox.redock_home().join("id_ed25519")), 0o600);

    // Password logins are refused: sshd offers public keys only.
    let out = Command::new("ssh")
        .arg("-F")
        .arg(sandbox.ssh_config())
        .args([
            "-o",
            "BatchMode=yes",
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "PreferredAuthentications=password,keyboard-interactive",
            &alias,
            "true",
        ])
        .env("HOME", sandbox.home())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("Permission denied (publickey)"), "{stderr}");
    let config = stdout(&docker(&["exec", &id, "/usr/sbin/sshd", "-T"]));
    assert!(
        config.lines().any(|l| l == "passwordauthentication no"),
        "{config}"
    );
    assert!(
        config
            .lines()
            .any(|l| l == "permitrootlogin without-password"),
        "{config}"
    );
    sandbox.redock(["kill", &name]).success();
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn base_from_the_fixture_and_a_failing_step() {
    let sandbox = Sandbox::new();
    let (target, _) = sandbox.unique("base");
    sandbox.owns_image(&target);
    let out = sandbox
        .redock(["base", "--from", FIXTURE_IMAGE, "--tag", &target])
        .success();
    assert!(out.stderr.contains("[1/"), "no step progress:\n{out}");
    let labels = stdout(&docker(&[
        "image",
        "inspect",
        "-f",
        "{{json .Config.Labels}}",
        &target,
    ]));
    assert!(labels.contains("io.redock.base-recipe"), "{labels}");

    // An image without apt-get makes a recipe step fail.
    let (broken, _) = sandbox.unique("broken");
    sandbox.owns_image(&broken);
    let maker = format!("redock-test-maker-{}", std::process::id());
    assert!(docker(&[
        "create",
        "--name",
        &maker,
        FIXTURE_IMAGE,
        "rm",
        "/usr/bin/apt-get"
    ])
    .status
    .success());
    assert!(docker(&["start", "-a", &maker]).status.success());
    assert!(docker(&["commit", &maker, &broken]).status.success());
    assert!(docker(&["rm", "-f", &maker]).status.success());

    let (target2, _) = sandbox.unique("base2");
    sandbox.owns_image(&target2);
    let out = sandbox
        .redock(["base", "--from", &broken, "--tag", &target2])
        .fails(1);
    assert!(out.stderr.contains("apt-get"), "no output tail:\n{out}");
    // Only this build's containers: other tests build beside it.
    let filter = format!("label=io.redock.build-target={target2}");
    let left = stdout(&docker(&["ps", "-aq", "--filter", &filter]));
    assert_eq!(left, "", "a build container was left behind");
    assert!(!image_exists(&target2));
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn user_config_options() {
    base_image();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique("opts");
    let alias = format!("{hostname}-container");
    let ssh_dir = sandbox.home().join(".ssh");
    std::fs::create_dir_all(&ssh_dir).unwrap();
    let original = "Host *\n  User me\n";
    std::fs::write(sandbox.ssh_config(), original).unwrap();

    // --dry-run prints the change and writes nothing to the user's file.
    let out = sandbox
        .redock(["start", "--no-ssh", "--dry-run", &name])
        .success();
    assert!(out.stdout.contains("+Include "), "{out}");
    assert_eq!(
        std::fs::read_to_string(sandbox.ssh_config()).unwrap(),
        original
    );

    // --no-ssh-config leaves it alone, and `redock ssh` still gets there.
    sandbox
        .redock(["start", "--no-ssh", "--no-ssh-config", &name])
        .success();
    assert_eq!(
        std::fs::read_to_string(sandbox.ssh_config()).unwrap(),
        original
    );
    let out = sandbox.redock(["ssh", &name, "--", "hostname"]).success();
    assert_eq!(out.stdout.trim(), hostname);

    // A read-only config is not an error: the line to add is printed.
    std::fs::set_permissions(sandbox.ssh_config(), std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = sandbox.redock(["start", "--no-ssh", &name]).success();
    assert!(out.stderr.contains("Include "), "{out}");
    assert_eq!(
        std::fs::read_to_string(sandbox.ssh_config()).unwrap(),
        original
    );
    std::fs::set_permissions(sandbox.ssh_config(), std::fs::Permissions::from_mode(0o644)).unwrap();

    // A symlinked config is edited through the link.
    let real = sandbox.home().join("dotfiles-ssh-config");
    std::fs::rename(sandbox.ssh_config(), &real).unwrap();
    std::os::unix::fs::symlink(&real, sandbox.ssh_config()).unwrap();
    sandbox.redock(["start", "--no-ssh", &name]).success();
    assert!(std::fs::symlink_metadata(sandbox.ssh_config())
        .unwrap()
        .file_type()
        .is_symlink());
    let text = std::fs::read_to_string(&real).unwrap();
    assert!(
        text.starts_with("Include ") && text.ends_with(original),
        "{text}"
    );
    assert!(sandbox.ssh(&alias, &["true"]).status.success());
    sandbox.redock(["kill", &name]).success();
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn exec_transport() {
    base_image();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique("exec");
    let alias = format!("{hostname}-container");
    sandbox
        .redock(["start", "--no-ssh", "--transport", "exec", &name])
        .success();
    let ssh = sandbox.ssh(&alias, &["hostname"]);
    assert!(
        ssh.status.success(),
        "{}",
        String::from_utf8_lossy(&ssh.stderr)
    );
    assert_eq!(stdout(&ssh), hostname);
    let filter = sandbox.container_filter();
    let ports = stdout(&docker(&[
        "ps",
        "--filter",
        &filter,
        "--format",
        "{{.Ports}}",
    ]));
    assert!(
        !ports.contains("->"),
        "the exec transport publishes no port: {ports}"
    );
    let config = std::fs::read_to_string(sandbox.redock_home().join("ssh_config")).unwrap();
    assert!(
        config.contains("ProxyCommand ") && config.contains("StrictHostKeyChecking yes"),
        "{config}"
    );
    let rows = sandbox.redock(["status", "--json"]).success().stdout;
    assert!(rows.contains("\"transport\": \"exec\""), "{rows}");
    sandbox.redock(["kill", &name]).success();
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn a_failed_start_leaves_nothing_behind() {
    let sandbox = Sandbox::new();
    let (name, _) = sandbox.unique("nosshd");
    sandbox.owns_image(&name);
    // An image whose command exits at once: sshd never answers.
    assert!(docker(&["tag", FIXTURE_IMAGE, &name]).status.success());
    let out = sandbox
        .redock(["start", "--no-ssh", "--timeout", "3", &name])
        .fails(1);
    assert!(out.stderr.contains("SecureShellTimeout"), "{out}");
    assert_eq!(sandbox.container_ids(), Vec::<String>::new());
    let config =
        std::fs::read_to_string(sandbox.redock_home().join("ssh_config")).unwrap_or_default();
    assert!(!config.contains("Host "), "stale Host block:\n{config}");
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn an_interrupted_start_is_repaired() {
    base_image();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique("sigkill");
    let alias = format!("{hostname}-container");
    // SIGKILL at several points of a start; the next start always repairs.
    for delay_ms in [50, 200, 400, 700] {
        sandbox.kill_after(
            ["start", "--no-ssh", &name],
            std::time::Duration::from_millis(delay_ms),
        );
        sandbox.redock(["start", "--no-ssh", &name]).success();
        let ssh = sandbox.ssh(&alias, &["true"]);
        assert!(
            ssh.status.success(),
            "after {delay_ms} ms: {}",
            String::from_utf8_lossy(&ssh.stderr)
        );
        sandbox.redock(["kill", &name]).success();
    }
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn commit_squash_flattens_and_keeps_the_config() {
    base_image();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique("squash");
    sandbox.owns_image(&name);
    let alias = format!("{hostname}-container");
    let inspect = |format: &str| stdout(&docker(&["image", "inspect", "-f", format, &name]));
    let mut committed = Vec::new();
    sandbox.redock(["start", "--no-ssh", &name]).success();
    for i in 0..3 {
        assert!(sandbox
            .ssh(&alias, &["touch", &format!("/root/file{i}")])
            .status
            .success());
        // No snapshots: the images committed over go at once.
        sandbox
            .redock(["commit", &name])
            .env("REDOCK_SNAPSHOTS", "0")
            .success();
        committed.push(inspect("{{.Id}}"));
    }
    assert!(inspect("{{len .RootFS.Layers}}").parse::<usize>().unwrap() > 1);
    sandbox
        .redock(["commit", "--squash", &name])
        .env("REDOCK_SNAPSHOTS", "0")
        .success();
    assert_eq!(inspect("{{len .RootFS.Layers}}"), "1");
    let config = inspect("{{json .Config.Cmd}} {{json .Config.Labels}}");
    assert!(
        config.starts_with(r#"["/usr/local/sbin/redock-init"]"#),
        "{config}"
    );
    assert!(
        config.contains("io.redock.base-recipe") && !config.contains("io.redock.name"),
        "{config}"
    );

    sandbox.redock(["kill", &name]).success();
    sandbox.redock(["start", "--no-ssh", &name]).success();
    assert!(sandbox
        .ssh(&alias, &["test", "-f", "/root/file2"])
        .status
        .success());
    sandbox.redock(["kill", &name]).success();
    // With no snapshots kept, the images committed over do not pile up
    // untagged.
    let left: Vec<&String> = committed.iter().filter(|id| image_exists(id)).collect();
    assert!(left.is_empty(), "images committed over are left: {left:?}");
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn logs_show_sshd_and_supervisord() {
    let (sandbox, name, alias) = started("logs");
    assert!(sandbox.ssh(&alias, &["true"]).status.success());
    // The log lines arrive a little after the login returns.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let out = sandbox.redock(["logs", &name]).success();
        let all = format!("{}{}", out.stdout, out.stderr);
        if all.contains("Accepted publickey for root") && all.contains("supervisord started") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "logs lack sshd's or supervisord's lines:\n{out}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    sandbox.redock(["kill", &name]).success();
    sandbox
        .redock(["logs", &name])
        .fails(1)
        .assert_one_line_error("NoContainerRunning");
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn several_names_and_status_in_two_docker_calls() {
    base_image();
    let sandbox = Sandbox::new();
    let names: Vec<String> = ["multi-a", "multi-b", "multi-c"]
        .iter()
        .map(|label| sandbox.unique(label).0)
        .collect();
    let mut args = vec!["start", "--no-ssh"];
    args.extend(names.iter().map(String::as_str));
    let out = sandbox.redock(&args).success();
    assert_eq!(
        out.stdout.lines().count(),
        3,
        "one ssh command per NAME:\n{out}"
    );

    // A docker that notes each call: status costs the same for any number.
    let log = sandbox.home().join("docker-calls");
    let wrapper = sandbox.home().join("docker-counting");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$1\" >> '{}'\nexec docker \"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = sandbox
        .redock(["status", "--json"])
        .env("REDOCK_DOCKER", &wrapper)
        .success();
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 3, "{out}");
    let calls = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        calls.lines().collect::<Vec<_>>(),
        ["ps", "container"],
        "{calls}"
    );

    let mut args = vec!["kill"];
    args.extend(names.iter().map(String::as_str));
    sandbox.redock(&args).success();
    let rows = sandbox.redock(["status", "--json"]).success().stdout;
    assert_eq!(rows.trim(), "[]");
}

/// The local engine as a remote one: `tcp://127.0.0.1:PORT`, piped to the
/// engine's unix socket for as long as the test process runs.
fn engine_over_tcp() -> String {
    use std::io::{copy, Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::os::unix::net::UnixStream;

    fn pipe(mut from: impl Read, mut to: impl Write, close: impl FnOnce()) {
        let _ = copy(&mut from, &mut to);
        close();
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let Ok(unix) = UnixStream::connect("/var/run/docker.sock") else {
                continue;
            };
            let (tcp2, unix2): (TcpStream, UnixStream) =
                (tcp.try_clone().unwrap(), unix.try_clone().unwrap());
            let unix_w = unix.try_clone().unwrap();
            let tcp_w = tcp.try_clone().unwrap();
            std::thread::spawn(move || {
                pipe(tcp2, unix_w, move || drop(unix.shutdown(Shutdown::Write)))
            });
            std::thread::spawn(move || {
                pipe(unix2, tcp_w, move || drop(tcp.shutdown(Shutdown::Write)))
            });
        }
    });
    format!("tcp://127.0.0.1:{port}")
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn a_remote_engine_means_the_exec_transport() {
    base_image();
    let engine = engine_over_tcp();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique("remote");
    let alias = format!("{hostname}-container");
    sandbox
        .redock(["start", "--no-ssh", &name])
        .env("DOCKER_HOST", &engine)
        .success();
    // No port to publish on a remote host: ssh goes through docker exec,
    // told where the engine is whatever environment ssh runs in.
    let config = std::fs::read_to_string(sandbox.redock_home().join("ssh_config")).unwrap();
    assert!(
        config.contains("ProxyCommand ") && config.contains(&format!("--host {engine} exec -i")),
        "{config}"
    );
    let ssh = sandbox.ssh(&alias, &["hostname"]);
    assert!(
        ssh.status.success(),
        "{}",
        String::from_utf8_lossy(&ssh.stderr)
    );
    assert_eq!(stdout(&ssh), hostname);
    let rows = sandbox
        .redock(["status", "--json"])
        .env("DOCKER_HOST", &engine)
        .success()
        .stdout;
    assert!(rows.contains("\"transport\": \"exec\""), "{rows}");
    sandbox
        .redock(["kill", &name])
        .env("DOCKER_HOST", &engine)
        .success();
    assert!(sandbox.container_ids().is_empty());
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn delete_refuses_a_running_image_unless_forced() {
    let (sandbox, name, _) = started("delete");
    sandbox.owns_image(&name);
    sandbox.redock(["commit", &name]).success();
    let out = sandbox.redock(["delete", &name]).fails(1);
    out.assert_one_line_error("still running");
    assert!(out.stderr.contains("--force"), "{out}");
    assert!(image_exists(&name));
    sandbox.redock(["delete", "--force", &name]).success();
    assert!(!image_exists(&name));
    assert!(sandbox.container_ids().is_empty());
    sandbox
        .redock(["delete", &name])
        .fails(1)
        .assert_one_line_error("no image");
}

/// The original's name coercion, against the engine: a bare tag is
/// `$USER:tag`, and a registry with a port is part of the repository.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn names_are_coerced_as_the_original_did() {
    base_image();
    let sandbox = Sandbox::new();
    let (_, tag) = sandbox.unique("bare");
    // The sandbox runs redock with USER=redocktest.
    let bare = format!("redocktest:{tag}");
    let (_, app_tag) = sandbox.unique("reg");
    let registry = format!("localhost:5000/redock-test/app:{app_tag}");
    sandbox.owns_image(&bare);
    sandbox.owns_image(&registry);

    sandbox.redock(["start", "--no-ssh", &tag]).success();
    sandbox.redock(["start", "--no-ssh", &registry]).success();
    let rows: serde_json::Value =
        serde_json::from_str(&sandbox.redock(["status", "--json"]).success().stdout).unwrap();
    let mut names: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    names.sort();
    let mut expected = [bare.as_str(), registry.as_str()];
    expected.sort();
    assert_eq!(names, expected);

    sandbox.redock(["commit", &tag, &registry]).success();
    assert!(image_exists(&bare) && image_exists(&registry));
    sandbox
        .redock(["delete", "--force", &tag, &registry])
        .success();
    assert!(!image_exists(&bare) && !image_exists(&registry));

    // Without $USER (cron, CI) the passwd entry names the repository.
    let login = login_name();
    let (_, tag) = sandbox.unique("nouser");
    let out = sandbox
        .redock(["start", "--no-ssh", &tag])
        .env_remove("USER")
        .success();
    let rows = sandbox
        .redock(["status", "--json"])
        .env_remove("USER")
        .success()
        .stdout;
    assert!(
        rows.contains(&format!("\"{login}:{tag}\"")),
        "{out}\n{rows}"
    );
    sandbox.redock(["kill", &tag]).env_remove("USER").success();
}

/// The login name of the current uid, as `id -un` prints it.
fn login_name() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_lowercase()
}
