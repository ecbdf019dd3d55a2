//! redock's integration tests: the `redock` binary run in a sandbox HOME.
//! Tests that need the Docker engine are ignored by default and run by
//! `cargo xtask ci`.

mod cli;
mod dryrun;
mod early;
mod engine;
mod engines;
mod history;
mod hostile;
mod interop;
mod interrupted;
mod lifecycle;
mod mux;
mod podman;
mod provision;
mod secrets;
mod signals;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

pub use test_support::FIXTURE_IMAGE;

/// A `containers.conf` with the limits this machine grants: it refuses
/// Podman's default ones.
pub const PODMAN_CONF: &str =
    "[containers]\ndefault_ulimits = [\"nofile=1024:20000\", \"nproc=4096:4096\"]\n";

/// A temporary HOME with its own REDOCK_HOME and ssh config; on drop,
/// every container it made and every image it registered, with its
/// snapshots, are removed.
pub struct Sandbox {
    dir: tempfile::TempDir,
    /// REDOCK_HOME's name in HOME.
    redock_dir: &'static str,
    images: RefCell<Vec<String>>,
    /// The engine CLI redock and the sandbox's own checks run.
    engine: &'static str,
    /// What that engine needs in its environment.
    engine_env: Vec<(String, PathBuf)>,
}

impl Default for Sandbox {
    fn default() -> Sandbox {
        Sandbox::new()
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("redock-test-")
            .tempdir()
            .unwrap();
        Sandbox {
            dir,
            redock_dir: ".redock",
            images: RefCell::new(Vec::new()),
            engine: "docker",
            engine_env: Vec::new(),
        }
    }

    /// A sandbox whose REDOCK_HOME is not the default home, so that the
    /// docker names of its containers carry a suffix of their own, and
    /// aliases other runs use too cannot clash on the engine.
    pub fn with_own_names() -> Sandbox {
        let mut sandbox = Sandbox::new();
        sandbox.redock_dir = "redock-home";
        sandbox
    }

    /// A sandbox whose redock runs Podman (`REDOCK_DOCKER=podman`). Podman
    /// reads `CONTAINERS_CONF`: the one `cargo xtask ci` writes, else one
    /// of the sandbox's own with the limits this machine needs.
    pub fn podman() -> Sandbox {
        let mut sandbox = Sandbox::new();
        sandbox.engine = "podman";
        let conf = match std::env::var_os("CONTAINERS_CONF") {
            Some(conf) if !conf.is_empty() => PathBuf::from(conf),
            _ => {
                let conf = sandbox.home().join("containers.conf");
                std::fs::write(&conf, PODMAN_CONF).unwrap();
                conf
            }
        };
        sandbox.engine_env.push(("CONTAINERS_CONF".into(), conf));
        sandbox
    }

    /// The engine CLI's program name: `docker` or `podman`.
    pub fn engine_program(&self) -> &'static str {
        self.engine
    }

    /// The engine CLI as the sandbox runs it, for the test's own checks.
    pub fn engine(&self) -> Command {
        let mut command = Command::new(self.engine);
        command.envs(self.engine_env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs the engine CLI with `args` and returns its trimmed stdout,
    /// asserting it succeeded.
    pub fn engine_ok(&self, args: &[&str]) -> String {
        let out = self.engine().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{} {args:?}: {}",
            self.engine,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    pub fn redock_home(&self) -> PathBuf {
        self.home().join(self.redock_dir)
    }

    pub fn ssh_config(&self) -> PathBuf {
        self.home().join(".ssh").join("config")
    }

    /// `redock ARGS` with this sandbox's environment.
    pub fn redock<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = self.command(args);
        command.stdin(Stdio::null());
        Run { command }
    }

    /// The bare command of [`Sandbox::redock`], for tests that spawn it.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new(env!("CARGO_BIN_EXE_redock"));
        command
            .args(args)
            .env("HOME", self.home())
            .env("REDOCK_HOME", self.redock_home())
            .env("REDOCK_SSH_CONFIG", self.ssh_config())
            .env("USER", "redocktest")
            .env_remove("REDOCK_DOCKER")
            .env_remove("REDOCK_LOCK_TIMEOUT")
            .env_remove("REDOCK_SNAPSHOTS");
        if self.engine != "docker" {
            command.env("REDOCK_DOCKER", self.engine);
        }
        command.envs(self.engine_env.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs `redock ARGS` and SIGKILLs it after `delay`, as an interrupted
    /// run.
    pub fn kill_after<I, S>(&self, args: I, delay: std::time::Duration)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut child = self
            .command(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
    }

    /// The ids of this sandbox's containers, in any state.
    pub fn container_ids(&self) -> Vec<String> {
        self.try_container_ids().expect("docker ps")
    }

    /// [`Sandbox::container_ids`], or `None` where docker cannot be run (the
    /// tests that need no engine run where there is none). The containers
    /// of every REDOCK_HOME below the sandbox count, not only the default
    /// one's: some tests try homes of other names.
    fn try_container_ids(&self) -> Option<Vec<String>> {
        // Docker's templates read one label with `.Label`; Podman's have
        // the labels as a map.
        let format = match self.engine {
            "podman" => "{{.ID}}\t{{index .Labels \"io.redock.home\"}}",
            _ => "{{.ID}}\t{{.Label \"io.redock.home\"}}",
        };
        let out = self
            .engine()
            .args([
                "ps",
                "-a",
                "--no-trunc",
                "--filter",
                "label=io.redock.home",
                "--format",
                format,
            ])
            .output()
            .ok()?;
        let below = |home: &str| {
            [self.home().to_path_buf(), self.real_home()]
                .iter()
                .any(|dir| Path::new(home).starts_with(dir))
        };
        Some(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|line| line.split_once('\t'))
                .filter(|(_, home)| below(home))
                .map(|(id, _)| id.to_string())
                .collect(),
        )
    }

    /// HOME with symbolic links resolved, as redock names its homes.
    pub fn real_home(&self) -> PathBuf {
        std::fs::canonicalize(self.home()).unwrap()
    }

    /// The `docker ps` filter that finds this sandbox's containers.
    pub fn container_filter(&self) -> String {
        format!(
            "label=io.redock.home={}",
            self.real_home().join(self.redock_dir).display()
        )
    }

    /// `ssh -F <config> ALIAS ARGS…` as a user would after `redock start`.
    pub fn ssh(&self, alias: &str, remote: &[&str]) -> Output {
        Command::new("ssh")
            .arg("-F")
            .arg(self.ssh_config())
            .args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=5", alias])
            .args(remote)
            .env("HOME", self.home())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// A NAME and host name no other test or run uses.
    pub fn unique(&self, label: &str) -> (String, String) {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let seq = SEQ.fetch_add(1, Ordering::SeqCst);
        let tag = format!("{label}-{}-{seq}", std::process::id());
        (format!("redock-test:{tag}"), tag)
    }

    /// Removes `image` when the sandbox is dropped.
    pub fn owns_image(&self, image: &str) {
        self.images.borrow_mut().push(image.to_string());
    }

    /// Every file below HOME with its mode and contents.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, (u32, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, (u32, Vec<u8>)>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let meta = std::fs::symlink_metadata(&path).unwrap();
                let mode = meta.permissions().mode();
                if meta.is_dir() {
                    out.insert(path.clone(), (mode, Vec::new()));
                    walk(&path, out);
                } else if meta.file_type().is_symlink() {
                    let target = std::fs::read_link(&path).unwrap();
                    out.insert(
                        path.clone(),
                        (mode, target.into_os_string().into_encoded_bytes()),
                    );
                } else if meta.is_file() {
                    out.insert(
                        path.clone(),
                        (mode, std::fs::read(&path).unwrap_or_default()),
                    );
                } else {
                    // A FIFO, socket or device node: reading it could block
                    // or never end; what it is and its mode are the state.
                    use std::os::unix::fs::FileTypeExt;
                    let kind = meta.file_type();
                    let what = if kind.is_fifo() {
                        "fifo".to_string()
                    } else if kind.is_socket() {
                        "socket".to_string()
                    } else {
                        use std::os::unix::fs::MetadataExt;
                        format!("device {}", meta.rdev())
                    };
                    out.insert(path.clone(), (mode, what.into_bytes()));
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(self.home(), &mut out);
        out
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let ids = self.try_container_ids().unwrap_or_default();
        if !ids.is_empty() {
            let _ = self.engine().args(["rm", "-f", "-v"]).args(&ids).output();
        }
        self.remove_mux_fallbacks();
        for image in self.images.borrow().iter() {
            let _ = self.engine().args(["rmi", "-f", image]).output();
            for snapshot in history::snapshot_names(self, image) {
                let _ = self.engine().args(["rmi", snapshot.as_str()]).output();
            }
        }
    }
}

impl Sandbox {
    /// Removes the directories of ssh's sockets that redock made under
    /// `/tmp/redock-<uid>/` for the homes below HOME too long for their own
    /// (`mux::planned_dir`): each is named by the home's discriminator,
    /// FNV-1a of its path, as `Home::discriminator` makes it.
    fn remove_mux_fallbacks(&self) {
        let Ok(meta) = std::fs::metadata(self.home()) else {
            return;
        };
        use std::os::unix::fs::MetadataExt;
        let base = PathBuf::from(format!("/tmp/redock-{}", meta.uid()));
        if !base.is_dir() {
            return;
        }
        fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
            out.push(dir.to_path_buf());
            if depth == 0 {
                return;
            }
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    walk(&entry.path(), depth - 1, out);
                }
            }
        }
        let mut dirs = Vec::new();
        walk(&self.real_home(), 3, &mut dirs);
        for dir in dirs {
            let mut hash: u64 = 0xcbf29ce484222325;
            for byte in dir.as_os_str().as_encoded_bytes() {
                hash ^= u64::from(*byte);
                hash = hash.wrapping_mul(0x100000001b3);
            }
            let _ = std::fs::remove_dir_all(base.join(format!("{:08x}", hash as u32)));
        }
    }
}

/// A redock invocation being set up.
pub struct Run {
    command: Command,
}

impl Run {
    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Run {
        self.command.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: &str) -> Run {
        self.command.env_remove(key);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Run {
        self.command.current_dir(dir);
        self
    }

    pub fn output(mut self) -> Out {
        Out::from(self.command.output().unwrap())
    }

    /// Runs and asserts exit 0.
    pub fn success(self) -> Out {
        let out = self.output();
        assert_eq!(out.code, Some(0), "redock failed:\n{out}");
        out
    }

    /// Runs and asserts exit `code`.
    pub fn fails(self, code: i32) -> Out {
        let out = self.output();
        assert_eq!(out.code, Some(code), "expected exit {code}:\n{out}");
        assert!(!out.stderr.contains("panicked"), "panic:\n{out}");
        out
    }
}

/// What a redock run printed.
pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// stdout as it came, not always UTF-8.
    pub stdout_bytes: Vec<u8>,
}

impl From<std::process::Output> for Out {
    fn from(output: std::process::Output) -> Out {
        Out {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            stdout_bytes: output.stdout,
        }
    }
}

impl Out {
    /// The error is one `redock: error:` line, maybe followed by a hint.
    pub fn assert_one_line_error(&self, contains: &str) {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert!(
            !lines.is_empty() && lines[0].starts_with("redock: error: "),
            "not a redock error:\n{self}"
        );
        assert!(
            lines[0].contains(contains),
            "error does not mention {contains:?}:\n{self}"
        );
        assert!(
            lines.len() == 1 || (lines.len() == 2 && lines[1].starts_with("hint: ")),
            "more than one error line:\n{self}"
        );
    }
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}
