//! Containers on two engines at once: a second dockerd, in a network
//! namespace of its own, stands for a second host. A NAME lives on the
//! engine it was started on, and every later command on it goes there with
//! no variable set; `status` lists both engines, and marks the far one's
//! rows unreachable once it is stopped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::engine::base_image;
use crate::{Out, Sandbox};

/// How long the far dockerd may take to answer on this slow machine.
const DOCKERD_WAIT: Duration = Duration::from_secs(180);

/// A dockerd of the test's own, in a network namespace of its own, with
/// its own configuration, data, state and socket under a short temporary
/// directory (a unix socket's path is limited to about 100 bytes). Never
/// in the host's namespace: a second dockerd there rewrites the bridge
/// the machine's own engine uses. Dropping it stops dockerd, unmounts what
/// it left, and removes the namespace and the directory, however the test
/// ends.
struct FarEngine {
    dir: tempfile::TempDir,
    netns: String,
    dockerd: Option<Child>,
    /// This end of the link to the namespace, if made.
    veth: Option<String>,
    /// Which of this process's far engines it is.
    seq: usize,
}

impl FarEngine {
    fn start() -> FarEngine {
        let dir = tempfile::Builder::new()
            .prefix("rdk")
            .tempdir_in("/tmp")
            .unwrap();
        // The engine tests of one process run side by side: each far
        // engine has names of its own.
        static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut far = FarEngine {
            dir,
            netns: format!("rdk{}s{}", std::process::id(), seq),
            dockerd: None,
            veth: None,
            seq,
        };
        // A namespace left by a killed run of this process id goes first.
        let _ = Command::new("ip")
            .args(["netns", "del", &far.netns])
            .output();
        run(Command::new("ip").args(["netns", "add", &far.netns]));
        run(Command::new("ip").args(["-n", &far.netns, "link", "set", "lo", "up"]));
        // The machine's daemon.json names a data root and a storage driver
        // of its own: this one reads an empty one.
        let config = far.path("d.json");
        std::fs::write(&config, "{}").unwrap();
        let log = std::fs::File::create(far.path("log")).unwrap();
        // `ip netns exec` would hide the cgroup mounts dockerd needs.
        let child = Command::new("nsenter")
            .arg(format!("--net=/run/netns/{}", far.netns))
            .arg("dockerd")
            .arg("--config-file")
            .arg(&config)
            .arg("--data-root")
            .arg(far.path("data"))
            .arg("--exec-root")
            .arg(far.path("exec"))
            .arg("--pidfile")
            .arg(far.path("pid"))
            .arg("--host")
            .arg(far.host())
            .args(["--storage-driver", "vfs"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        far.dockerd = Some(child);
        let started = Instant::now();
        loop {
            let answer = far.docker().arg("version").output().unwrap();
            if answer.status.success() {
                break;
            }
            let exited = far.dockerd.as_mut().unwrap().try_wait().unwrap();
            if exited.is_some() || started.elapsed() > DOCKERD_WAIT {
                panic!(
                    "the far dockerd did not answer ({exited:?}):\n{}",
                    std::fs::read_to_string(far.path("log")).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        far
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Its address, as DOCKER_HOST takes it.
    fn host(&self) -> String {
        format!("unix://{}", self.path("d.sock").display())
    }

    /// The docker CLI talking to it, whatever the test's environment says.
    fn docker(&self) -> Command {
        let mut command = Command::new("docker");
        command
            .arg("--host")
            .arg(self.host())
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT");
        command
    }

    /// `docker ARGS` on it, asserting success; its trimmed stdout.
    fn docker_ok(&self, args: &[&str]) -> String {
        let out = self.docker().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "docker {args:?} on the far engine: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Copies `image` from the machine's engine (`docker save | load`).
    fn carry(&self, image: &str) {
        let mut save = Command::new("docker")
            .args(["save", image])
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let load = self
            .docker()
            .arg("load")
            .stdin(save.stdout.take().unwrap())
            .output()
            .unwrap();
        assert!(save.wait().unwrap().success(), "docker save {image} failed");
        assert!(
            load.status.success(),
            "{}",
            String::from_utf8_lossy(&load.stderr)
        );
    }

    /// Links the namespace to this one by a pair of virtual interfaces:
    /// the far end's address, reachable from here.
    fn link(&mut self) -> String {
        // Interface names hold 15 bytes: `rdkh` and the namespace's numbers.
        let suffix = &self.netns["rdk".len()..];
        let (here, there) = (format!("rdkh{suffix}"), format!("rdkn{suffix}"));
        let n = (std::process::id() as usize * 2 + self.seq) % 230 + 20;
        run(Command::new("ip").args(["link", "add", &here, "type", "veth", "peer", "name", &there]));
        self.veth = Some(here.clone());
        run(Command::new("ip").args(["link", "set", &there, "netns", &self.netns]));
        run(Command::new("ip").args(["addr", "add", &format!("10.213.{n}.1/30"), "dev", &here]));
        run(Command::new("ip").args(["link", "set", &here, "up"]));
        run(Command::new("ip").args([
            "-n",
            &self.netns,
            "addr",
            "add",
            &format!("10.213.{n}.2/30"),
            "dev",
            &there,
        ]));
        run(Command::new("ip").args(["-n", &self.netns, "link", "set", &there, "up"]));
        format!("10.213.{n}.2")
    }

    /// Stops dockerd (its containers with it) and waits for it to end.
    fn stop(&mut self) {
        let Some(mut child) = self.dockerd.take() else {
            return;
        };
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let stopping = Instant::now();
        while child.try_wait().ok().flatten().is_none() {
            if stopping.elapsed() > Duration::from_secs(90) {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for FarEngine {
    fn drop(&mut self) {
        self.stop();
        // What dockerd left mounted below its directory, deepest first.
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        let mut left: Vec<&str> = mounts
            .lines()
            .filter_map(|line| line.split_whitespace().nth(1))
            .filter(|point| Path::new(point).starts_with(self.dir.path()))
            .collect();
        left.sort_by_key(|point| std::cmp::Reverse(point.len()));
        for point in left {
            let _ = Command::new("umount").args(["-l", point]).output();
        }
        if let Some(veth) = &self.veth {
            let _ = Command::new("ip").args(["link", "del", veth]).output();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.netns])
            .output();
        // The directory goes with `dir`.
    }
}

/// Runs `command`, asserting success.
fn run(command: &mut Command) {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "needs a Docker engine"]
fn engines_a_name_lives_on_its_engine() {
    base_image();
    let mut far = FarEngine::start();
    // The namespace has no network: the base image is carried over.
    far.carry(redock::container::BASE_IMAGE);

    let sandbox = Sandbox::new();
    // The context is the sandbox's, in its HOME's ~/.docker: the user's
    // contexts are left alone.
    run(Command::new("docker")
        .args(["context", "create", "far", "--docker"])
        .arg(format!("host={}", far.host()))
        .env("HOME", sandbox.home())
        .env_remove("DOCKER_CONFIG")
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT"));
    // No variable names an engine in any of redock's runs, nor in ssh's.
    let redock = |args: &[&str]| {
        sandbox
            .redock(args)
            .env_remove("DOCKER_CONFIG")
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
    };
    let ssh = |alias: &str, remote: &[&str]| {
        let out = Command::new("ssh")
            .arg("-F")
            .arg(sandbox.ssh_config())
            .args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=30", alias])
            .args(remote)
            .env("HOME", sandbox.home())
            .env_remove("DOCKER_CONFIG")
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ssh {alias} {remote:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };

    let (near, near_host) = sandbox.unique("near");
    let (far_name, far_host) = sandbox.unique("far");
    let near_alias = format!("{near_host}-container");
    let far_alias = format!("{far_host}-container");
    redock(&["start", "--no-ssh", "--timeout", "120", &near]).success();
    redock(&[
        "--context",
        "far",
        "start",
        "--no-ssh",
        "--timeout",
        "120",
        "--transport",
        "exec",
        &far_name,
    ])
    .success();
    let far_ids = |name: &str| far.docker_ok(&["ps", "-aq", "--filter", &label("name", name)]);
    assert!(!far_ids(&far_name).is_empty(), "not on the far engine");
    assert!(far_ids(&near).is_empty(), "the near NAME on the far engine");

    // Both aliases work, with no variable set.
    assert_eq!(ssh(&near_alias, &["hostname"]), near_host);
    assert_eq!(ssh(&far_alias, &["hostname"]), far_host);

    // One status lists both, running, with their engines.
    let asking = Instant::now();
    let rows = status_rows(&redock(&["status", "--json"]).success());
    eprintln!("status of two engines took {:?}", asking.elapsed());
    assert_eq!(row(&rows, &near)["engine"], "default", "{rows:?}");
    assert_eq!(row(&rows, &near)["state"], "running", "{rows:?}");
    assert_eq!(row(&rows, &far_name)["engine"], "far", "{rows:?}");
    assert_eq!(row(&rows, &far_name)["state"], "running", "{rows:?}");
    let table = redock(&["status"]).success().stdout;
    assert!(table.lines().next().unwrap().contains("ENGINE"), "{table}");
    let far_line = table.lines().find(|l| l.starts_with(&far_name)).unwrap();
    assert!(far_line.contains(" far "), "{table}");

    // run, commit and kill reach the far container by its NAME alone.
    redock(&["run", &far_name, "--", "sh", "-c", "echo far > /root/work"]).success();
    assert_eq!(ssh(&far_alias, &["cat", "/root/work"]), "far");
    redock(&["commit", &far_name]).success();
    far.docker_ok(&["image", "inspect", &far_name]);
    let local = Command::new("docker")
        .args(["image", "inspect", &far_name])
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .output()
        .unwrap();
    assert!(!local.status.success(), "the far commit landed here");

    // Naming the wrong engine for a NAME is refused, saying where it lives.
    let state_before = std::fs::read(sandbox.redock_home().join("state.json")).unwrap();
    let out = redock(&["--context", "default", "commit", &far_name]).fails(1);
    out.assert_one_line_error(&format!("{far_name} lives on the engine far"));
    let out = redock(&["kill", &near])
        .env("DOCKER_CONTEXT", "far")
        .fails(1);
    out.assert_one_line_error(&format!("{near} lives on the engine default"));
    // An alias taken on one engine is refused on the other.
    let (other, _) = sandbox.unique("other");
    let out = redock(&[
        "--context",
        "far",
        "start",
        "--no-ssh",
        "--transport",
        "exec",
        "-n",
        &near_host,
        &other,
    ])
    .fails(1);
    out.assert_one_line_error(&format!("alias {near_alias} is already used"));
    let out = redock(&["start", "--no-ssh", "-n", &far_host, &other]).fails(1);
    out.assert_one_line_error(&format!("alias {far_alias} is already used"));
    assert!(far_ids(&other).is_empty());
    assert_eq!(
        std::fs::read(sandbox.redock_home().join("state.json")).unwrap(),
        state_before,
        "a refused command changed the state"
    );

    // kill removes the far container from the far engine.
    redock(&["kill", &far_name]).success();
    assert!(far_ids(&far_name).is_empty(), "still on the far engine");

    // Started again there (from its committed image), then the far engine
    // stops: status still lists the near container, the far one as
    // unreachable, and kill of the far NAME fails and keeps its records.
    redock(&[
        "start",
        "--context",
        "far",
        "--no-ssh",
        "--timeout",
        "120",
        "--transport",
        "exec",
        &far_name,
    ])
    .success();
    assert_eq!(ssh(&far_alias, &["cat", "/root/work"]), "far");

    // With the state file lost, `status --context far` finds the far
    // container by its labels.
    let state_file = sandbox.redock_home().join("state.json");
    let aside = sandbox.redock_home().join("state.json.aside");
    std::fs::rename(&state_file, &aside).unwrap();
    let out = redock(&["--context", "far", "status", "--json"]).success();
    let rows = status_rows(&out);
    assert_eq!(row(&rows, &far_name)["state"], "running", "{out}");
    assert_eq!(row(&rows, &far_name)["engine"], "far", "{out}");
    assert!(rows.iter().all(|r| r["name"] != near.as_str()), "{out}");
    std::fs::rename(&aside, &state_file).unwrap();
    // ssh-config prints the Host blocks of both engines' containers.
    let blocks = redock(&["ssh-config"]).success().stdout;
    for alias in [&near_alias, &far_alias] {
        assert!(blocks.contains(&format!("Host {alias}\n")), "{blocks}");
    }

    far.stop();
    let asking = Instant::now();
    let out = redock(&["status", "--json"]).success();
    eprintln!(
        "status with the far engine stopped took {:?}",
        asking.elapsed()
    );
    let rows = status_rows(&out);
    assert_eq!(row(&rows, &near)["state"], "running", "{out}");
    assert_eq!(row(&rows, &far_name)["state"], "unreachable", "{out}");
    assert_eq!(row(&rows, &far_name)["engine"], "far", "{out}");
    let table = redock(&["status"]).success().stdout;
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(&far_name) && l.contains("unreachable")),
        "{table}"
    );
    let out = redock(&["ssh-config"]).success();
    assert!(
        out.stdout.contains(&format!("Host {near_alias}\n")),
        "{out}"
    );
    assert!(!out.stdout.contains(&far_alias), "{out}");
    assert!(
        out.stderr.contains("the engine far does not answer"),
        "{out}"
    );
    let state_before = std::fs::read(sandbox.redock_home().join("state.json")).unwrap();
    let config_before = std::fs::read(sandbox.redock_home().join("ssh_config")).unwrap();
    let out = redock(&["kill", &far_name]).fails(1);
    out.assert_one_line_error(&format!(
        "cannot kill {far_name}: its engine far does not answer"
    ));
    assert_eq!(
        std::fs::read(sandbox.redock_home().join("state.json")).unwrap(),
        state_before
    );
    assert_eq!(
        std::fs::read(sandbox.redock_home().join("ssh_config")).unwrap(),
        config_before
    );

    redock(&["kill", &near]).success();
    assert!(sandbox.container_ids().is_empty());
}

/// `label=io.redock.KEY=VALUE`, a `ps` filter.
fn label(key: &str, value: &str) -> String {
    format!("label=io.redock.{key}={value}")
}

/// The rows of `status --json`.
fn status_rows(out: &Out) -> Vec<serde_json::Value> {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}:\n{out}"))
}

/// The row of NAME.
fn row<'a>(rows: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    rows.iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no row of {name}: {rows:?}"))
}

/// An engine that takes connections and never answers: `status` gives up
/// on it within its short deadline and lists the rest, and `kill` of a
/// NAME there fails after the engine deadline, keeping its records.
#[test]
#[ignore = "needs a Docker engine"]
fn engines_a_hanging_engine_is_unreachable_after_its_deadline() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = format!("tcp://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let sandbox = Sandbox::new();
    let (name, hostname) = sandbox.unique("hang");
    let program = which::which("docker").unwrap();
    let record = serde_json::json!({
        "version": 1,
        "containers": {
            &name: {
                "name": &name,
                "container_id": "0123456789ab0123456789ab0123456789ab0123456789ab0123456789ab0123",
                "image": &name,
                "hostname": &hostname,
                "alias": format!("{hostname}-container"),
                "transport": "exec",
                "created_at": "2026-11-29T00:00:00Z",
                "engine": {"program": program, "host": &host}
            }
        }
    });
    let home = sandbox.redock_home();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let state_file = home.join("state.json");
    std::fs::write(&state_file, serde_json::to_vec_pretty(&record).unwrap()).unwrap();
    std::fs::set_permissions(
        &state_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let state = std::fs::read(&state_file).unwrap();
    let redock = |args: &[&str]| {
        sandbox
            .redock(args)
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
            .env_remove("REDOCK_ENGINE_TIMEOUT")
    };

    let asking = Instant::now();
    let out = redock(&["status", "--json"]).success();
    let took = asking.elapsed();
    let rows = status_rows(&out);
    assert_eq!(row(&rows, &name)["state"], "unreachable", "{out}");
    assert_eq!(row(&rows, &name)["engine"], host.as_str(), "{out}");
    assert!(
        out.stderr
            .contains(&format!("the engine {host} does not answer")),
        "{out}"
    );
    // The deadline of status is 10 s; the machine may be slow.
    assert!(took < Duration::from_secs(40), "status took {took:?}");
    eprintln!("status with a hanging engine took {took:?}");

    let out = redock(&["kill", &name])
        .env("REDOCK_ENGINE_TIMEOUT", "2")
        .fails(1);
    out.assert_one_line_error(&format!(
        "cannot kill {name}: its engine {host} does not answer"
    ));
    assert_eq!(std::fs::read(&state_file).unwrap(), state);
}

/// Global options, environment, NAME and the error they get.
type Naming<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str, &'a str);

/// Every command on a NAME that lives on another engine than the one the
/// user names is refused with one line naming where it lives, before the
/// engine CLI runs, and changes no file; so is a context name the docker
/// CLI would not take.
#[test]
fn engines_naming_another_engine_is_refused_before_anything() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::new();
    let ssh_dir = sandbox.ssh_config().parent().unwrap().to_path_buf();
    std::fs::create_dir_all(&ssh_dir).unwrap();
    std::fs::write(sandbox.ssh_config(), "Host *\n  User me\n").unwrap();
    let called = sandbox.home().join("engine-called");
    let docker = sandbox.home().join("docker");
    std::fs::write(
        &docker,
        format!("#!/bin/sh\ntouch '{}'\nexit 1\n", called.display()),
    )
    .unwrap();
    std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = sandbox.redock_home();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    let state = serde_json::json!({"version": 1, "containers": {
        "redocktest:web": {"name": "redocktest:web", "container_id": "0123", "alias": "web-container",
                           "transport": "exec", "engine": {"program": &docker, "context": "far"}},
        "redocktest:old": {"name": "redocktest:old", "container_id": "4567", "alias": "old-container",
                           "transport": "tcp"}
    }});
    let state_file = home.join("state.json");
    std::fs::write(&state_file, serde_json::to_vec_pretty(&state).unwrap()).unwrap();
    std::fs::set_permissions(&state_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let before = sandbox.snapshot();

    let commands: [&[&str]; 10] = [
        &["start", "--no-ssh"],
        &["commit"],
        &["kill"],
        &["delete"],
        &["logs"],
        &["history"],
        &["rollback"],
        &["ssh"],
        &["install", "NAME", "vim"],
        &["ssh-config"],
    ];
    let namings: [Naming<'_>; 3] = [
        (
            &["--context", "other"],
            &[],
            "web",
            "redocktest:web lives on the engine far, not other",
        ),
        (
            &[],
            &[("DOCKER_CONTEXT", "default")],
            "web",
            "redocktest:web lives on the engine far, not default",
        ),
        (
            &[],
            &[("DOCKER_HOST", "tcp://127.0.0.1:1")],
            "web",
            "lives on the engine far, not tcp://127.0.0.1:1",
        ),
    ];
    for command in commands {
        for (options, env, name, message) in namings {
            let mut args: Vec<&str> = options.to_vec();
            match command.iter().position(|a| *a == "NAME") {
                Some(at) => {
                    let mut command = command.to_vec();
                    command[at] = name;
                    args.extend(command);
                }
                None => {
                    args.extend(command);
                    args.push(name);
                }
            }
            let mut run = sandbox
                .redock(&args)
                .env("REDOCK_DOCKER", &docker)
                .env_remove("DOCKER_HOST")
                .env_remove("DOCKER_CONTEXT");
            for (key, value) in env {
                run = run.env(key, value);
            }
            let out = run.fails(1);
            out.assert_one_line_error(message);
            assert!(!called.exists(), "the engine ran for {args:?}");
            // Lock files a run takes are no change.
            let unlocked = |mut files: std::collections::BTreeMap<PathBuf, (u32, Vec<u8>)>| {
                files.retain(|path, _| {
                    !path.to_string_lossy().ends_with("lock")
                        && !path.starts_with(home.join("locks"))
                });
                files
            };
            let (expected, after) = (unlocked(before.clone()), unlocked(sandbox.snapshot()));
            assert_eq!(expected, after, "{args:?} changed files:\n{out}");
        }
    }
    // A record written before engines were recorded goes where the
    // command says, as it did then.
    sandbox
        .redock(["--context", "far", "logs", "old"])
        .env("REDOCK_DOCKER", &docker)
        .fails(1);
    assert!(called.exists(), "an old record was refused");
    std::fs::remove_file(&called).unwrap();
    for bad in ["far away", "-far", "a/b", "far%h"] {
        let out = sandbox
            .redock([&format!("--context={bad}"), "status"])
            .env("REDOCK_DOCKER", &docker)
            .fails(1);
        out.assert_one_line_error("invalid context name");
        assert!(!called.exists(), "the engine ran for --context {bad:?}");
    }
}

/// The real remote path: the far engine reached as
/// `DOCKER_HOST=ssh://root@ADDRESS:2222`, through an sshd in its
/// namespace (a container of the base image on the far engine's own
/// network, with the docker CLI and the far engine's socket). The docker
/// CLI's ssh reads the machine user's config, so the test puts an `ssh`
/// first on PATH that adds a config of its own, for redock's runs and the
/// ssh it starts alike. After `start`, no variable names the engine.
#[test]
#[ignore = "needs a Docker engine"]
fn engines_a_name_on_an_ssh_host() {
    base_image();
    let mut far = FarEngine::start();
    far.carry(redock::container::BASE_IMAGE);
    let address = far.link();

    // The key, the known hosts and the ssh the docker CLI runs.
    let key = far.path("id");
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key));
    std::fs::copy(far.path("id.pub"), far.path("authorized_keys")).unwrap();
    let config = far.path("ssh_config");
    std::fs::write(
        &config,
        format!(
            "Host {address}\n  User root\n  Port 2222\n  IdentityFile {}\n  IdentitiesOnly yes\n  \
             UserKnownHostsFile {}\n  StrictHostKeyChecking accept-new\n  BatchMode yes\n",
            key.display(),
            far.path("known_hosts").display()
        ),
    )
    .unwrap();
    let bin = far.path("bin");
    std::fs::create_dir(&bin).unwrap();
    let ssh_wrapper = bin.join("ssh");
    std::fs::write(
        &ssh_wrapper,
        format!(
            "#!/bin/sh\nexec /usr/bin/ssh -F '{}' \"$@\"\n",
            config.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &ssh_wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    // sshd on the far namespace's network, where `docker` is the far engine.
    far.docker_ok(&[
        "run",
        "-d",
        "--name",
        "rdk-sshd",
        "--network",
        "host",
        "-v",
        "/usr/bin/docker:/usr/bin/docker:ro",
        "-v",
        &format!("{}:/var/run/docker.sock", far.path("d.sock").display()),
        "-v",
        &format!("{}:/etc/rdk_keys:ro", far.path("authorized_keys").display()),
        "--entrypoint",
        "/bin/sh",
        redock::container::BASE_IMAGE,
        "-c",
        &format!(
            "ssh-keygen -A >/dev/null && mkdir -p /run/sshd && exec /usr/sbin/sshd -D -e -p 2222 \
             -o ListenAddress={address} -o HostKey=/etc/ssh/ssh_host_ed25519_key \
             -o AuthorizedKeysFile=/etc/rdk_keys -o StrictModes=no \
             -o PermitRootLogin=prohibit-password -o UsePAM=no"
        ),
    ]);
    let engine = format!("ssh://root@{address}:2222");
    let waiting = Instant::now();
    loop {
        let answer = Command::new("docker")
            .args(["--host", &engine, "version"])
            .env("PATH", &path)
            .env_remove("DOCKER_CONTEXT")
            .output()
            .unwrap();
        if answer.status.success() {
            break;
        }
        assert!(
            waiting.elapsed() < DOCKERD_WAIT,
            "the far engine does not answer over ssh: {}\n{}",
            String::from_utf8_lossy(&answer.stderr),
            far.docker_ok(&["logs", "rdk-sshd"])
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    let sandbox = Sandbox::new();
    let redock = |args: &[&str]| {
        sandbox
            .redock(args)
            .env("PATH", &path)
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
    };
    let (name, hostname) = sandbox.unique("remote");
    let alias = format!("{hostname}-container");
    // A remote engine: the exec transport without asking.
    redock(&["start", "--no-ssh", "--timeout", "120", &name])
        .env("DOCKER_HOST", &engine)
        .success();
    let ssh = Command::new("/usr/bin/ssh")
        .arg("-F")
        .arg(sandbox.ssh_config())
        .args([
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=30",
            &alias,
            "hostname",
        ])
        .env("HOME", sandbox.home())
        .env("PATH", &path)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        ssh.status.success(),
        "{}",
        String::from_utf8_lossy(&ssh.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&ssh.stdout).trim(), hostname);
    let out = redock(&["status", "--json"]).success();
    let rows = status_rows(&out);
    assert_eq!(row(&rows, &name)["engine"], engine.as_str(), "{out}");
    assert_eq!(row(&rows, &name)["state"], "running", "{out}");
    assert_eq!(row(&rows, &name)["transport"], "exec", "{out}");
    redock(&["run", &name, "--", "true"]).success();
    redock(&["kill", &name]).success();
    assert!(
        far.docker_ok(&["ps", "-aq", "--filter", &label("name", &name)])
            .is_empty(),
        "still on the far engine"
    );
}
