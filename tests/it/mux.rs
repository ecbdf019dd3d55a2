//! Connection sharing against a real container: the master a second ssh
//! reuses, closed by `kill` with nothing left behind, and `REDOCK_MUX=off`
//! (`cargo xtask ci` runs these).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::engine::started;
use crate::Sandbox;

/// `ssh -F <config> -O <op> ALIAS`, as the sandbox's user.
fn control(sandbox: &Sandbox, op: &str, alias: &str) -> Output {
    Command::new("ssh")
        .arg("-F")
        .arg(sandbox.ssh_config())
        .args(["-O", op, alias])
        .env("HOME", sandbox.home())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The unix sockets below `dir`.
fn sockets(dir: &Path) -> Vec<PathBuf> {
    use std::os::unix::fs::FileTypeExt;
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            found.extend(sockets(&entry.path()));
        } else if kind.is_socket() {
            found.push(entry.path());
        }
    }
    found
}

/// The command lines of the running processes that name any of `words`.
fn processes_naming(words: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let line = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if line.starts_with("ssh") && words.iter().any(|w| line.contains(w)) {
            found.push(line);
        }
    }
    found
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn mux_second_ssh_reuses_the_master() {
    let (sandbox, _, alias) = started("mux-reuse");
    let block = std::fs::read_to_string(sandbox.redock_home().join("ssh_config")).unwrap();
    assert!(block.contains("ControlMaster auto"), "{block}");
    assert!(block.contains("ControlPersist 10m"), "{block}");
    assert!(!control(&sandbox, "check", &alias).status.success());
    let first = sandbox.ssh(&alias, &["true"]);
    assert!(first.status.success(), "{first:?}");
    let check = control(&sandbox, "check", &alias);
    assert!(check.status.success(), "{check:?}");
    let second = sandbox.ssh(&alias, &["echo", "again"]);
    assert_eq!(String::from_utf8_lossy(&second.stdout), "again\n");
    // The socket is in REDOCK_HOME/mux, which nobody else may enter.
    let mux = sandbox.redock_home().join("mux");
    assert_eq!(sockets(&mux).len(), 1, "{:?}", sockets(&mux));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&mux).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn mux_kill_closes_the_master() {
    let (sandbox, name, alias) = started("mux-kill");
    // The first ssh becomes the master, and logs what it is asked.
    let log = sandbox.home().join("master.log");
    let first = Command::new("ssh")
        .arg("-F")
        .arg(sandbox.ssh_config())
        .args(["-o", "BatchMode=yes", "-o", "LogLevel=DEBUG2", "-E"])
        .arg(&log)
        .args([&alias, "true"])
        .env("HOME", sandbox.home())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(first.status.success(), "{first:?}");
    let home = sandbox.redock_home();
    assert_eq!(sockets(&home).len(), 1);
    let home_text = home.to_str().unwrap().to_string();
    assert!(!processes_naming(&[&home_text]).is_empty());
    // kill asks the master itself, over its socket, in ssh's control
    // protocol: an `ssh` that fails (the fallback) is not needed.
    let stubs = sandbox.home().join("failing-ssh");
    std::fs::create_dir_all(&stubs).unwrap();
    let stub = stubs.join("ssh");
    std::fs::write(&stub, "#!/bin/sh\nexit 97\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", stubs.display(), std::env::var("PATH").unwrap());
    sandbox.redock(["kill", &name]).env("PATH", path).success();
    assert!(sockets(&home).is_empty(), "{:?}", sockets(&home));
    // The master acknowledges the request before it is gone.
    let waiting = Instant::now();
    let mut left = processes_naming(&[&alias, &home_text]);
    while !left.is_empty() && waiting.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(50));
        left = processes_naming(&[&alias, &home_text]);
    }
    assert!(left.is_empty(), "{left:?}");
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("terminate request"), "{log}");
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn mux_off_writes_no_control_lines() {
    crate::engine::base_image();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique("mux-off");
    let alias = format!("{hostname}-container");
    sandbox
        .redock(["start", "--no-ssh", &name])
        .env("REDOCK_MUX", "maybe")
        .fails(1)
        .assert_one_line_error("REDOCK_MUX");
    assert!(sandbox.container_ids().is_empty());
    sandbox
        .redock(["start", "--no-ssh", &name])
        .env("REDOCK_MUX", "off")
        .success();
    let config = std::fs::read_to_string(sandbox.redock_home().join("ssh_config")).unwrap();
    assert!(config.contains(&format!("Host {alias}")), "{config}");
    assert!(!config.contains("Control"), "{config}");
    assert!(sandbox.ssh(&alias, &["true"]).status.success());
    assert!(sockets(sandbox.home()).is_empty());
    sandbox
        .redock(["kill", &name])
        .env("REDOCK_MUX", "off")
        .success();
}

/// A docker that logs each call's arguments, one line each, to `log`.
pub fn logging_docker(sandbox: &Sandbox, log: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = sandbox.home().join("docker-log");
    let text = format!(
        "#!/bin/sh\necho \"$*\" >> '{}'\nexec docker \"$@\"\n",
        log.display()
    );
    std::fs::write(&script, text).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn mux_run_asks_the_engine_once_and_shares_the_connection() {
    let (sandbox, name, alias) = started("mux-run");
    let log = sandbox.home().join("calls.log");
    let docker = logging_docker(&sandbox, &log);
    for _ in 0..2 {
        let out = sandbox
            .redock(["run", &name, "--", "echo", "hi"])
            .env("REDOCK_DOCKER", &docker)
            .success();
        assert_eq!(out.stdout, "hi\n");
    }
    let calls = std::fs::read_to_string(&log).unwrap();
    let calls: Vec<&str> = calls.lines().collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(
        calls.iter().all(|c| c.starts_with("container inspect ")),
        "{calls:?}"
    );
    assert!(control(&sandbox, "check", &alias).status.success());
    // A container stopped behind redock's back is found by label and
    // refused as before.
    sandbox.engine_ok(&["stop", "-t", "0", &sandbox.container_ids()[0]]);
    let out = sandbox.redock(["run", &name, "--", "true"]).fails(1);
    out.assert_one_line_error("stopped");
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn mux_parallel_start_with_one_bad_image() {
    crate::engine::base_image();
    let sandbox = Sandbox::new();
    let (first, first_host) = sandbox.unique("mux-par-a");
    let (bad, _) = sandbox.unique("mux-par-bad");
    let (last, last_host) = sandbox.unique("mux-par-b");
    // An image without sshd: its container never answers.
    sandbox.owns_image(&bad);
    sandbox.engine_ok(&["tag", crate::FIXTURE_IMAGE, &bad]);
    let out = sandbox
        .redock(["start", "--no-ssh", "--timeout", "5", &first, &bad, &last])
        .fails(1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].ends_with(&format!("{first_host}-container")),
        "{out}"
    );
    assert!(
        lines[1].ends_with(&format!("{last_host}-container")),
        "{out}"
    );
    assert!(
        out.stderr.contains(&format!("redock: error: {bad}: ")),
        "{out}"
    );
    // The outcomes come in the order given.
    let at = |text: &str| {
        out.stderr
            .find(text)
            .unwrap_or_else(|| panic!("{text}: {out}"))
    };
    assert!(at(&format!("started {first}")) < at(&format!("error: {bad}")));
    assert!(at(&format!("error: {bad}")) < at(&format!("started {last}")));
    // The others run; the bad one left no container and no Host block.
    assert_eq!(sandbox.container_ids().len(), 2);
    for host in [&first_host, &last_host] {
        let alias = format!("{host}-container");
        assert!(sandbox.ssh(&alias, &["true"]).status.success());
    }
    let config = std::fs::read_to_string(sandbox.redock_home().join("ssh_config")).unwrap();
    assert_eq!(config.matches("Host ").count(), 2, "{config}");
    let out = sandbox.redock(["kill", &first, &bad, &last]).success();
    assert!(
        out.stderr
            .contains(&format!("no container of {bad} was running")),
        "{out}"
    );
    assert!(sandbox.container_ids().is_empty());
    assert!(sockets(sandbox.home()).is_empty());
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn mux_a_resumed_container_gets_a_new_master() {
    let (sandbox, name, alias) = started("mux-resume");
    assert!(sandbox.ssh(&alias, &["true"]).status.success());
    assert!(control(&sandbox, "check", &alias).status.success());
    // Paused, the container keeps its connection, and the master lives on.
    let id = sandbox.container_ids().remove(0);
    sandbox.engine_ok(&["pause", &id]);
    let out = sandbox.redock(["start", "--no-ssh", &name]).success();
    assert!(out.stderr.contains("resumed the paused container"), "{out}");
    let check = control(&sandbox, "check", &alias);
    assert!(!check.status.success(), "{check:?}");
    assert!(sockets(&sandbox.redock_home()).is_empty());
    let again = sandbox.ssh(&alias, &["echo", "back"]);
    assert_eq!(String::from_utf8_lossy(&again.stdout), "back\n");
    assert!(control(&sandbox, "check", &alias).status.success());
    sandbox.redock(["kill", &name]).success();
    assert!(sockets(&sandbox.redock_home()).is_empty());
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn mux_a_long_redock_home_shares_through_a_short_private_directory() {
    crate::engine::base_image();
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique("mux-long");
    let alias = format!("{hostname}-container");
    let home = sandbox.home().join("h".repeat(80));
    let run = |args: &[&str]| sandbox.redock(args).env("REDOCK_HOME", &home);
    run(&["start", "--no-ssh", &name]).success();
    let config = std::fs::read_to_string(home.join("ssh_config")).unwrap();
    let uid = std::fs::metadata(sandbox.home()).map(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid()
    });
    let fallback = PathBuf::from(format!("/tmp/redock-{}", uid.unwrap()));
    let line = config
        .lines()
        .find(|l| l.trim_start().starts_with("ControlPath "))
        .unwrap_or_else(|| panic!("{config}"));
    let dir = line.trim_start().trim_start_matches("ControlPath ");
    let dir = PathBuf::from(dir.strip_suffix("/%C").unwrap_or_else(|| panic!("{line}")));
    assert!(dir.starts_with(&fallback), "{line}");
    assert!(sandbox.ssh(&alias, &["true"]).status.success());
    assert!(control(&sandbox, "check", &alias).status.success());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&fallback).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    let ours = sockets(&dir);
    assert_eq!(ours.len(), 1, "{ours:?}");
    run(&["kill", &name]).success();
    assert!(!ours[0].exists());
    // The last kill of the home takes the directory with it.
    assert!(!dir.exists(), "{dir:?}");
}
