//! Typed calls to the `docker` command-line program, run as a subprocess.
//!
//! redock never talks to the engine's API socket: it runs the CLI, so that
//! whatever the CLI can reach works here too — a local engine, a remote one
//! behind `DOCKER_HOST=ssh://…` or a docker context, or Podman through
//! `REDOCK_DOCKER=podman`. `DOCKER_HOST`, `DOCKER_CONTEXT` and the CLI's other
//! settings pass through to it untouched.
//!
//! ```no_run
//! use docker_exec::{CreateSpec, Docker};
//!
//! # fn main() -> Result<(), docker_exec::Error> {
//! let docker = Docker::from_env()?;
//! let spec = CreateSpec {
//!     image: "alice:web".into(),
//!     hostname: Some("web".into()),
//!     publish_ssh_on_loopback: true,
//!     ..CreateSpec::default()
//! };
//! let id = docker.create(&spec)?;
//! docker.start(&id)?;
//! let info = docker.inspect_container(&id)?.expect("it was just created");
//! assert!(info.is_running());
//! println!("sshd listens on {:?}", info.ssh_ports);
//! docker.rm(&id)?;
//! # Ok(())
//! # }
//! ```
//!
//! # Errors
//!
//! Every call returns [`Error`], whose [`ErrorKind`] names the failures a
//! caller may want to react to: the CLI missing, the engine unreachable or
//! refusing permission, a missing object, a name another container holds, a
//! call past its deadline. Anything else reads like cargo's report of a
//! failed process, with the command, its exit status and the end of its
//! stderr.
//!
//! # Deadlines
//!
//! Calls that should answer at once (`inspect`, `ps`, `version`, `create`,
//! `start`, `rm`, `exec` of a short command…) are killed, with their process
//! group, after a short deadline: 30 seconds, or `REDOCK_ENGINE_TIMEOUT`
//! seconds (`0`: none) for a slow remote engine. Pulls, build steps,
//! commits, exports and imports take as long as they take.
//!
//! # Dry runs
//!
//! [`Docker::dry_run`] makes a `Docker` that changes nothing: every call that
//! would change the engine (create, start, commit, rm, rmi, tag, exec…) is
//! handed to a callback as its command line instead of being run, and
//! answers as if it had worked (a new id is [`DRY_RUN_CONTAINER`] or
//! [`DRY_RUN_IMAGE`]). The calls that only read (inspect, ps, image ls,
//! version, logs, and an `exec` that only reads a file) still run, so that
//! a plan is made from what the engine really holds. The one gate is
//! `Docker::long`, which every call goes through: it refuses to build a
//! command that [`args::reads_only`] does not know for a reading one.
//!
//! # Arguments and parsing
//!
//! The argument vector of every call is built by a pure function in [`args`],
//! and the CLI's JSON is parsed with serde from only the fields used; both are
//! tested against outputs recorded from real engines in `fixtures/docker/`.

mod error;
mod hash;
mod parse;

pub mod args;

pub use error::{Error, ErrorKind};
pub use hash::StableHash;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use once_cell::sync::Lazy;
use proc::{Cmd, ProcessErrorKind};

use error::Context;

/// The deadline of the calls that should answer at once, unless
/// `REDOCK_ENGINE_TIMEOUT` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The engine CLI: the program to run, found once, any environment
/// overrides for the commands it runs, and the deadline of its short calls.
#[derive(Clone, Debug)]
pub struct Docker {
    program: PathBuf,
    envs: Vec<(OsString, OsString)>,
    timeout: Option<Duration>,
    /// Set for a dry run: where the calls that would change something go.
    dry_run: Option<DryRun>,
}

/// What `rm -f` did, as the engine told it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removed {
    /// The engine named the container as removed.
    Gone,
    /// The engine said there was no such container.
    Missing,
    /// The engine succeeded without naming it: only asking it again tells.
    Unconfirmed,
}

/// What a successful `rm -f CONTAINER` printed on stdout says of it.
fn removed(stdout: &[u8], container: &str) -> Removed {
    let named = String::from_utf8_lossy(stdout)
        .lines()
        .any(|line| line.trim() == container);
    if named {
        Removed::Gone
    } else {
        Removed::Unconfirmed
    }
}

/// The id a dry run's `create` answers with.
pub const DRY_RUN_CONTAINER: &str = "NEW_CONTAINER";

/// The id a dry run's `commit` and `import` answer with.
pub const DRY_RUN_IMAGE: &str = "NEW_IMAGE";

/// What a dry run does with a call that would change the engine: hands
/// its command line (as a shell would read it) to a callback.
#[derive(Clone)]
struct DryRun(Arc<dyn Fn(&str) + Send + Sync>);

impl std::fmt::Debug for DryRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DryRun")
    }
}

/// Which engine the CLI talks to: what `--context` or `DOCKER_HOST` names.
///
/// A [`Docker`] on an endpoint gives each command it runs that endpoint in
/// its environment (`DOCKER_CONTEXT` or `DOCKER_HOST`, the other emptied),
/// rather than a `--context`/`--host` option: the argument vectors stay
/// the same for every engine (Podman knows neither option), and whatever
/// redock's own environment says never reaches a call meant for another
/// engine. ssh's `ProxyCommand`, which runs in ssh's environment, names it
/// with the options instead (see [`Docker::exec_proxy_command`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Endpoint {
    /// The CLI's default context: its own socket on this machine.
    #[default]
    Default,
    /// A docker context, by name (never `default`).
    Context(String),
    /// An engine address, as `DOCKER_HOST` takes it (`ssh://…`, `tcp://…`,
    /// `unix://…`).
    Host(String),
}

impl Endpoint {
    /// The endpoint a context name gives: `default` is [`Endpoint::Default`].
    pub fn context(name: &str) -> Endpoint {
        match name {
            "" | "default" => Endpoint::Default,
            name => Endpoint::Context(name.to_string()),
        }
    }

    /// The engine as docker's environment would name it, from the values
    /// of `DOCKER_HOST` and `DOCKER_CONTEXT` (empty: unset), as the CLI
    /// reads them: `DOCKER_HOST` wins. `None` when neither names one.
    pub fn from_variables(host: Option<&str>, context: Option<&str>) -> Option<Endpoint> {
        match (
            host.filter(|h| !h.is_empty()),
            context.filter(|c| !c.is_empty()),
        ) {
            (Some(host), _) => Some(Endpoint::Host(host.to_string())),
            (None, Some(context)) => Some(Endpoint::context(context)),
            (None, None) => None,
        }
    }
}

impl std::fmt::Display for Endpoint {
    /// `default`, the context's name, or the engine's address.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Default => f.write_str("default"),
            Endpoint::Context(name) => f.write_str(name),
            Endpoint::Host(host) => f.write_str(host),
        }
    }
}

/// Result of this crate's calls.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `docker version` facts.
#[derive(Clone, Debug, Default)]
pub struct EngineInfo {
    pub client_version: String,
    pub server_version: String,
}

/// The parts of `docker image inspect` redock uses.
#[derive(Clone, Debug, Default)]
pub struct ImageInfo {
    pub id: String,
    pub repo_tags: Vec<String>,
    pub created: String,
    pub labels: BTreeMap<String, String>,
    pub cmd: Vec<String>,
    pub entrypoint: Vec<String>,
    pub env: Vec<String>,
    pub working_dir: String,
    pub exposed_ports: Vec<String>,
    /// Number of layers (RootFS.Layers).
    pub layers: usize,
    /// Size in bytes, as the engine counts it.
    pub size: u64,
    /// The commit message (`docker commit -m`), or what `import` says.
    pub comment: String,
    /// The commit's author (`docker commit -a`).
    pub author: String,
}

impl ImageInfo {
    /// Whether one of the image's names is `reference` as the engine
    /// writes it: itself, or with the `localhost/` Podman puts before a
    /// repository of no registry, or Docker's `docker.io/library/`.
    pub fn is_named(&self, reference: &str) -> bool {
        let bare = |name: &str| {
            let name = name.strip_prefix("localhost/").unwrap_or(name);
            let name = name.strip_prefix("docker.io/").unwrap_or(name);
            name.strip_prefix("library/").unwrap_or(name).to_string()
        };
        let wanted = bare(reference);
        self.repo_tags.iter().any(|tag| bare(tag) == wanted)
    }
}

/// One line of `docker image ls`: an image and one of its names. An image
/// with several names has several lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageRef {
    /// The full id (`sha256:…`).
    pub id: String,
    /// As the engine spells it: Podman puts `localhost/` in front of a
    /// name that has no registry.
    pub repository: String,
    pub tag: String,
}

/// The parts of `docker container inspect` redock uses.
#[derive(Clone, Debug, Default)]
pub struct ContainerInfo {
    pub id: String,
    /// Without the leading `/`.
    pub name: String,
    pub image_id: String,
    /// Config.Image: the reference the container was created from.
    pub image: String,
    pub hostname: String,
    pub labels: BTreeMap<String, String>,
    /// What the container is doing, from State.Status.
    pub state: ContainerState,
    /// State.Status as the engine spells it, for messages about a state
    /// redock does not know.
    pub status: String,
    /// State.StartedAt (RFC 3339).
    pub started_at: String,
    /// Host bindings of `22/tcp` (empty when not published).
    pub ssh_ports: Vec<SocketAddr>,
}

impl ContainerInfo {
    /// Whether its processes run: not paused, not stopped.
    pub fn is_running(&self) -> bool {
        self.state == ContainerState::Running
    }
}

/// What a container is doing, as `inspect` tells it in `State.Status`.
///
/// The engines agree on the word and disagree on the flags beside it: a
/// paused container is `Running: true, Paused: true` to Docker and
/// `Running: false, Paused: true` to Podman, and `ps` templates differ
/// more (Podman's `.State` reads "Up 5 seconds ago"). So the state is read
/// from `inspect`'s `State.Status` alone, the flags serving only an engine
/// that leaves it out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ContainerState {
    /// Made and never started: it has a writable layer of its own.
    Created,
    Running,
    Paused,
    /// Being restarted by its restart policy.
    Restarting,
    /// Stopped: its processes ended, its writable layer is kept.
    Exited,
    /// The engine failed to remove it.
    Dead,
    /// Being removed.
    Removing,
    /// A status redock does not know (see `ContainerInfo::status`).
    #[default]
    Unknown,
}

impl ContainerState {
    /// The state `inspect` describes with `status` (State.Status) and the
    /// `running` and `paused` flags.
    pub fn from_inspect(status: &str, running: bool, paused: bool) -> ContainerState {
        match status.to_ascii_lowercase().as_str() {
            // Podman says "configured" and "initialized" for containers
            // made but never run, and "stopped" for one whose processes
            // ended before its clean-up ran.
            "created" | "configured" | "initialized" => ContainerState::Created,
            "running" => ContainerState::Running,
            "paused" => ContainerState::Paused,
            "restarting" => ContainerState::Restarting,
            "exited" | "stopped" => ContainerState::Exited,
            "dead" => ContainerState::Dead,
            "removing" => ContainerState::Removing,
            "" if paused => ContainerState::Paused,
            "" if running => ContainerState::Running,
            _ => ContainerState::Unknown,
        }
    }

    /// The word Docker uses for it.
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerState::Created => "created",
            ContainerState::Running => "running",
            ContainerState::Paused => "paused",
            ContainerState::Restarting => "restarting",
            ContainerState::Exited => "exited",
            ContainerState::Dead => "dead",
            ContainerState::Removing => "removing",
            ContainerState::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for ContainerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of `docker ps` in [`args::PS_FORMAT`]: which containers there
/// are, by their labels. It says nothing of their state, which only
/// `inspect` tells the same way on every engine.
#[derive(Clone, Debug, Default)]
pub struct PsEntry {
    pub id: String,
    pub names: String,
    pub image: String,
    pub labels: BTreeMap<String, String>,
}

/// What `docker create` is asked for.
#[derive(Clone, Debug, Default)]
pub struct CreateSpec {
    pub image: String,
    pub name: Option<String>,
    pub hostname: Option<String>,
    pub labels: BTreeMap<String, String>,
    /// Publish container port 22 on 127.0.0.1 on a port the engine picks.
    pub publish_ssh_on_loopback: bool,
    /// `--init`-less; command override (empty: the image's CMD).
    pub command: Vec<String>,
    pub entrypoint: Option<String>,
    /// `-i`: keep stdin open (for build steps fed through stdin).
    pub interactive: bool,
    /// `--tmpfs PATH[:OPTIONS]`: file systems in memory, which neither
    /// `commit` nor `export` captures and a stop empties.
    pub tmpfs: Vec<String>,
    /// `--pull never`: only an image the engine has, never one fetched from
    /// a registry (a CLI older than Docker 20.10 refuses the option).
    pub local_image_only: bool,
}

/// Captured output of a finished command.
#[derive(Clone, Debug, Default)]
pub struct Output {
    /// The exit status as a shell shows it: the code, or 128 + the signal.
    pub status: i32,
    /// Standard output alone.
    pub stdout: Vec<u8>,
    /// Standard error alone.
    pub stderr: Vec<u8>,
    /// Standard output and standard error together, in the order they came;
    /// only [`Docker::start_attached`] fills it (build steps show both).
    pub combined: Vec<u8>,
}

/// The CLI program, looked up once per process: `REDOCK_DOCKER` (a name on
/// PATH or a path), else `docker` on PATH. The error is kept as text, since
/// every caller gets its own copy.
static PROGRAM: Lazy<std::result::Result<PathBuf, String>> =
    Lazy::new(
        || match std::env::var_os("REDOCK_DOCKER").filter(|v| !v.is_empty()) {
            Some(name) => which::which(&name).map_err(|_| {
                format!(
                    "REDOCK_DOCKER={} is not an executable program",
                    name.to_string_lossy()
                )
            }),
            None => which::which("docker").map_err(|_| String::new()),
        },
    );

/// The deadline `REDOCK_ENGINE_TIMEOUT` asks for: unset or empty gives
/// [`DEFAULT_TIMEOUT`], `0` none.
fn timeout_from(value: Option<&str>) -> Result<Option<Duration>> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(Some(DEFAULT_TIMEOUT));
    };
    match value.parse::<f64>() {
        Ok(0.0) => Ok(None),
        Ok(secs) if secs.is_finite() && secs > 0.0 && secs < 1e9 => {
            Ok(Some(Duration::from_secs_f64(secs)))
        }
        _ => Err(Error::invalid_environment(format!(
            "REDOCK_ENGINE_TIMEOUT={value} is not a number of seconds (0: no deadline)"
        ))),
    }
}

impl Docker {
    /// `REDOCK_DOCKER`, else `docker` on PATH, looked up once per process;
    /// the deadline of short calls from `REDOCK_ENGINE_TIMEOUT`.
    pub fn from_env() -> Result<Docker> {
        let timeout = timeout_from(std::env::var("REDOCK_ENGINE_TIMEOUT").ok().as_deref())?;
        match &*PROGRAM {
            Ok(program) => Ok(Docker::with_program(program).with_timeout(timeout)),
            Err(detail) => Err(Error::cli_not_found(detail)),
        }
    }

    /// A `Docker` that runs `program` (a path, or a name looked up on PATH
    /// when run), with the [`DEFAULT_TIMEOUT`].
    pub fn with_program(program: impl Into<PathBuf>) -> Docker {
        Docker {
            program: program.into(),
            envs: Vec::new(),
            timeout: Some(DEFAULT_TIMEOUT),
            dry_run: None,
        }
    }

    /// Another program with this one's deadline and dry-run mode, and no
    /// environment of its own: the CLI of another engine, which must stay
    /// as dry as the one it came from.
    pub fn for_program(&self, program: impl Into<PathBuf>) -> Docker {
        Docker {
            program: program.into(),
            envs: Vec::new(),
            timeout: self.timeout,
            dry_run: self.dry_run.clone(),
        }
    }

    /// The same CLI for a dry run: each call that would change the engine
    /// is given to `on_change` as a command line instead of being run (see
    /// the crate's docs); the calls that only read still run.
    pub fn dry_run(mut self, on_change: impl Fn(&str) + Send + Sync + 'static) -> Docker {
        self.dry_run = Some(DryRun(Arc::new(on_change)));
        self
    }

    /// Whether this is a dry run's `Docker`.
    pub fn is_dry_run(&self) -> bool {
        self.dry_run.is_some()
    }

    /// For a dry run, hands the call `line` to its callback and says so:
    /// the caller then answers without running anything.
    fn skipped(&self, line: impl FnOnce() -> String) -> bool {
        match &self.dry_run {
            Some(DryRun(on_change)) => {
                on_change(&line());
                true
            }
            None => false,
        }
    }

    /// The same CLI with `key=value` set in the environment of every command
    /// it runs (the process's own environment is left alone), e.g. to point
    /// one `Docker` at another engine with `DOCKER_HOST`.
    pub fn with_env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Docker {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// The same CLI with another deadline for the calls that should answer
    /// at once (`None`: no deadline).
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Docker {
        self.timeout = timeout;
        self
    }

    /// The same CLI talking to `endpoint`, whatever redock's environment
    /// names (see [`Endpoint`]).
    pub fn on(self, endpoint: &Endpoint) -> Docker {
        let (host, context) = match endpoint {
            // `default` and not nothing: the CLI's `currentContext` might
            // name another.
            Endpoint::Default => ("", "default"),
            Endpoint::Context(name) => ("", name.as_str()),
            Endpoint::Host(host) => (host.as_str(), ""),
        };
        self.with_env("DOCKER_HOST", host)
            .with_env("DOCKER_CONTEXT", context)
    }

    /// The engine this CLI talks to, as the CLI decides it: `DOCKER_HOST`,
    /// else `DOCKER_CONTEXT`, else the `currentContext` of its
    /// configuration, else the default context.
    pub fn endpoint(&self) -> Endpoint {
        Endpoint::from_variables(
            self.env_var("DOCKER_HOST").as_deref(),
            self.env_var("DOCKER_CONTEXT").as_deref(),
        )
        .or_else(|| self.configured_context().map(|c| Endpoint::context(&c)))
        .unwrap_or_default()
    }

    /// The program this runs.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The deadline of the calls that should answer at once.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// A variable as the commands this runs see it.
    fn env_var(&self, key: &str) -> Option<String> {
        let value = match self.envs.iter().rev().find(|(k, _)| k == key) {
            Some((_, value)) => Some(value.clone()),
            None => std::env::var_os(key),
        };
        value
            .map(|v| v.to_string_lossy().into_owned())
            .filter(|v| !v.is_empty())
    }

    /// The CLI with `args`, without a deadline: for the calls that show
    /// progress or take as long as their data.
    ///
    /// Every engine call is built here, so this is where a dry run is
    /// made sure of: a call that changes something must have been answered
    /// by [`Docker::skipped`] before it got here, and one that did not is a
    /// bug that would change the engine; it stops the program instead.
    fn long(&self, args: &[OsString]) -> Cmd {
        assert!(
            self.dry_run.is_none() || args::reads_only(args),
            "a dry run must not run `{}`",
            self.display(args)
        );
        let mut cmd = Cmd::new(&self.program).args(args);
        for (key, value) in &self.envs {
            cmd = cmd.env(key, value);
        }
        cmd
    }

    /// The CLI with `args`, killed at the deadline of short calls.
    fn short(&self, args: &[OsString]) -> Cmd {
        self.long(args).deadline(self.timeout)
    }

    fn display(&self, args: &[OsString]) -> String {
        proc::display(&self.program, args)
    }

    /// Runs `cmd` and returns its output whatever its exit status.
    fn run_raw(&self, cmd: Cmd) -> Result<proc::Output> {
        cmd.output().map_err(|e| self.process_error(e))
    }

    /// The error of a run of the CLI that did not come to an exit status.
    fn process_error(&self, error: proc::ProcessError) -> Error {
        let missing = || !self.program.exists() && which::which(&self.program).is_err();
        match error.kind() {
            ProcessErrorKind::NotFound => {
                Error::cli_not_found(&format!("cannot run {}", self.program.display()))
            }
            ProcessErrorKind::Io if missing() => {
                Error::cli_not_found(&format!("cannot run {}", self.program.display()))
            }
            _ => Error::process(error),
        }
    }

    /// Runs `cmd`; a non-zero exit is an error named from its stderr.
    fn run(&self, cmd: Cmd, context: Context) -> Result<proc::Output> {
        let output = self.run_raw(cmd)?;
        if output.success() {
            Ok(output)
        } else {
            Err(failure(&output, context))
        }
    }

    /// Argument vector for an ssh `ProxyCommand` that runs `sshd -i` in the
    /// container through `docker exec`, naming its engine with `--context` or
    /// `--host` (see [`Docker::endpoint`]), so that the ProxyCommand reaches
    /// that engine whatever environment ssh runs in.
    pub fn exec_proxy_command(&self, container_id: &str) -> Vec<String> {
        let mut argv = vec![self.program.to_string_lossy().into_owned()];
        // The default context needs no option; `--context default`
        // would only lose to a DOCKER_HOST in ssh's environment anyway.
        let (context, host) = match self.endpoint() {
            Endpoint::Default => (None, None),
            Endpoint::Context(name) => (Some(name), None),
            Endpoint::Host(host) => (None, Some(host)),
        };
        argv.extend(args::connection(context.as_deref(), host.as_deref()));
        argv.extend(["exec", "-i", container_id, "/usr/sbin/sshd", "-i"].map(String::from));
        argv
    }

    /// Whether the engine is remote: DOCKER_HOST not `unix://…`, or the current
    /// context's endpoint not a local socket.
    ///
    /// The CLI is only asked about a context when one is chosen
    /// (`DOCKER_CONTEXT`, or a `currentContext` other than `default` in the
    /// CLI's `config.json`), so the common local case costs no process.
    pub fn engine_is_remote(&self) -> Result<bool> {
        // Podman's remote client reads CONTAINER_HOST the way docker reads DOCKER_HOST.
        for key in ["DOCKER_HOST", "CONTAINER_HOST"] {
            if let Some(host) = self.env_var(key) {
                return Ok(!is_local_endpoint(&host));
            }
        }
        let context = self
            .env_var("DOCKER_CONTEXT")
            .or_else(|| self.configured_context());
        let context = match context {
            Some(context) if context != "default" => context,
            _ => return Ok(false),
        };
        let args = args::context_inspect(&context);
        let output = self.run(self.short(&args), Context::Plain)?;
        let host = parse::context_host(&output.stdout)
            .map_err(|e| Error::unexpected_output(&self.display(&args), e))?;
        Ok(host.is_some_and(|host| !is_local_endpoint(&host)))
    }

    /// `currentContext` from the CLI's configuration file, if it names one.
    fn configured_context(&self) -> Option<String> {
        let dir = match self.env_var("DOCKER_CONFIG") {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(self.env_var("HOME")?).join(".docker"),
        };
        parse::current_context(&std::fs::read(dir.join("config.json")).ok()?)
    }

    /// `docker version`: the client's and the engine's versions.
    pub fn version(&self) -> Result<EngineInfo> {
        let args = args::version();
        let output = self.run(self.short(&args), Context::Plain)?;
        parse::version(&output.stdout)
            .map_err(|e| Error::unexpected_output(&self.display(&args), e))
    }

    /// `None` when the image does not exist.
    pub fn image_inspect(&self, reference: &str) -> Result<Option<ImageInfo>> {
        let args = args::image_inspect(reference);
        match self.run(self.short(&args), Context::ImageInspect) {
            Ok(output) => {
                let images = parse::images(&output.stdout)
                    .map_err(|e| Error::unexpected_output(&self.display(&args), e))?;
                Ok(images.into_iter().next())
            }
            Err(e) if e.kind() == &ErrorKind::NoSuchObject => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One `docker image inspect` call for many; missing ones are skipped.
    pub fn image_inspect_many(&self, references: &[String]) -> Result<Vec<ImageInfo>> {
        if references.is_empty() {
            return Ok(Vec::new());
        }
        let args = args::image_inspect_many(references);
        let output = self.run_raw(self.short(&args))?;
        if !output.success() {
            // With some missing, the CLI fails but still prints the ones it
            // found (see `image-inspect-some-missing` in fixtures/docker/).
            let error = failure(&output, Context::ImageInspect);
            if error.kind() != &ErrorKind::NoSuchObject {
                return Err(error);
            }
        }
        let text = String::from_utf8_lossy(&output.stdout);
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        parse::images(text.as_bytes()).map_err(|e| Error::unexpected_output(output.command(), e))
    }

    /// `docker image ls REPOSITORY`: the names of the images in
    /// `repository`, one per name. Podman lists every name of those images,
    /// whatever their repository; callers pick theirs.
    pub fn image_ls(&self, repository: &str) -> Result<Vec<ImageRef>> {
        let args = args::image_ls(repository);
        let output = self.run(self.short(&args), Context::Plain)?;
        parse::image_refs(&output.stdout)
            .map_err(|e| Error::unexpected_output(&self.display(&args), e))
    }

    /// `docker pull REFERENCE`; its progress output is not shown. No deadline.
    pub fn pull(&self, reference: &str) -> Result<()> {
        let args = args::pull(reference);
        if self.skipped(|| self.display(&args)) {
            return Ok(());
        }
        self.run(self.long(&args), Context::Plain).map(drop)
    }

    /// `docker create`; returns the new container's id. A name another
    /// container holds is [`ErrorKind::NameInUse`].
    pub fn create(&self, spec: &CreateSpec) -> Result<String> {
        let args = args::create(spec);
        if self.skipped(|| self.display(&args)) {
            return Ok(DRY_RUN_CONTAINER.to_string());
        }
        let output = self.run(self.short(&args), Context::Plain)?;
        self.last_line(&args, &output.stdout)
    }

    /// `docker run -d`: [`Docker::create`] and [`Docker::start`] in one
    /// call; returns the new container's id. A start that fails leaves the
    /// container made, as `create` would have.
    pub fn run_detached(&self, spec: &CreateSpec) -> Result<String> {
        let args = args::run_detached(spec);
        if self.skipped(|| self.display(&args)) {
            return Ok(DRY_RUN_CONTAINER.to_string());
        }
        let output = self.run(self.short(&args), Context::Plain)?;
        self.last_line(&args, &output.stdout)
    }

    /// `docker run -i` of a new container left attached (see [`Attached`]),
    /// `input` fed to its standard input, which is then closed; returns the
    /// container's id once the engine has made it, read from `cidfile` (a
    /// path that must not exist yet; the caller removes it). The CLI is
    /// killed at the deadline of short calls unless finished sooner. Never
    /// in a dry run.
    pub fn run_attached(
        &self,
        spec: &CreateSpec,
        input: &[u8],
        cidfile: &Path,
    ) -> Result<(String, Attached)> {
        assert!(self.dry_run.is_none(), "a dry run must not run a container");
        let cidfile = cidfile.to_path_buf();
        let args = args::run_attached(spec, &cidfile);
        let run = self
            .short(&args)
            .stdin_bytes(input)
            .background()
            .map_err(|e| self.process_error(e))?;
        let mut attached = Attached {
            docker: self.clone(),
            run,
            cidfile,
        };
        match attached.id() {
            Some(id) => Ok((id, attached)),
            None => match attached.finish() {
                Err(error) => Err(error),
                Ok(()) => Err(Error::unexpected_output(
                    &self.display(&args),
                    "it ended without writing the container's id",
                )),
            },
        }
    }

    /// `docker start CONTAINER`.
    pub fn start(&self, container: &str) -> Result<()> {
        let args = args::start(container, false, false);
        if self.skipped(|| self.display(&args)) {
            return Ok(());
        }
        self.run(self.short(&args), Context::Plain).map(drop)
    }

    /// `docker unpause CONTAINER`.
    pub fn unpause(&self, container: &str) -> Result<()> {
        let args = args::unpause(container);
        if self.skipped(|| self.display(&args)) {
            return Ok(());
        }
        self.run(self.short(&args), Context::Plain).map(drop)
    }

    /// `docker start -a [-i]`: start and wait, stdin fed from `input` when
    /// given; no deadline (a build step takes as long as it takes).
    /// `Output::combined` holds stdout and stderr together, in the order they
    /// came (for build steps). The container's exit status is
    /// `Output::status`, not an error.
    pub fn start_attached(&self, container: &str, input: Option<&[u8]>) -> Result<Output> {
        self.start_attached_with(container, input, &mut |_| {})
    }

    /// [`Docker::start_attached`], showing each line of output to `on_line`
    /// as it arrives.
    pub fn start_attached_with(
        &self,
        container: &str,
        input: Option<&[u8]>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<Output> {
        let args = args::start(container, true, input.is_some());
        if self.skipped(|| self.display(&args)) {
            return Ok(Output::default());
        }
        let mut cmd = self.long(&args);
        if let Some(input) = input {
            cmd = cmd.stdin_bytes(input);
        }
        let output = cmd
            .output_lines(on_line)
            .map_err(|e| self.process_error(e))?;
        program_output(output)
    }

    /// `docker cp LOCAL CONTAINER:PATH`.
    pub fn cp_into(&self, local: &Path, container: &str, path: &str) -> Result<()> {
        let args = args::cp_into(local, container, path);
        if self.skipped(|| self.display(&args)) {
            return Ok(());
        }
        self.run(self.short(&args), Context::Plain).map(drop)
    }

    /// `docker exec [-i] CONTAINER ARGV…`, output captured, for a short
    /// command (it has the deadline of short calls); a non-zero exit of the
    /// program is returned in `Output::status`, not as an error.
    ///
    /// In a dry run, a command that only reads a file (`cat FILE`, `test -s
    /// FILE`, without input) still runs; any other is not run and answers
    /// with exit status 0 and no output.
    pub fn exec(&self, container: &str, argv: &[&str], input: Option<&[u8]>) -> Result<Output> {
        let args = args::exec(container, argv, input.is_some());
        if !args::reads_only(&args) && self.skipped(|| self.display(&args)) {
            return Ok(Output::default());
        }
        let mut cmd = self.short(&args);
        if let Some(input) = input {
            cmd = cmd.stdin_bytes(input);
        }
        program_output(self.run_raw(cmd)?)
    }

    /// `None` when the container does not exist.
    pub fn inspect_container(&self, container: &str) -> Result<Option<ContainerInfo>> {
        Ok(self
            .inspect_containers(&[container.to_string()])?
            .into_iter()
            .next())
    }

    /// One `docker container inspect` call for many; missing ones are skipped.
    pub fn inspect_containers(&self, containers: &[String]) -> Result<Vec<ContainerInfo>> {
        if containers.is_empty() {
            return Ok(Vec::new());
        }
        let output = self.run_raw(self.short(&args::container_inspect(containers)))?;
        if !output.success() {
            // With some ids missing, the CLI exits 1 but still prints the
            // ones it found; anything else is a real failure.
            let error = failure(&output, Context::Plain);
            if error.kind() != &ErrorKind::NoSuchObject {
                return Err(error);
            }
        }
        let text = String::from_utf8_lossy(&output.stdout);
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        parse::containers(text.as_bytes())
            .map_err(|e| Error::unexpected_output(output.command(), e))
    }

    /// `docker ps -a --no-trunc --filter label=KEY[=VALUE]…`.
    pub fn ps(&self, label_filters: &[String]) -> Result<Vec<PsEntry>> {
        let args = args::ps(label_filters);
        let output = self.run(self.short(&args), Context::Plain)?;
        parse::ps_lines(&output.stdout)
            .map_err(|e| Error::unexpected_output(&self.display(&args), e))
    }

    /// `docker commit [-m] [-a] [-c CHANGE…] CONTAINER REFERENCE`; returns the
    /// image id. No deadline.
    pub fn commit(
        &self,
        container: &str,
        reference: &str,
        message: Option<&str>,
        author: Option<&str>,
        changes: &[String],
    ) -> Result<String> {
        let args = args::commit(container, reference, message, author, changes);
        if self.skipped(|| self.display(&args)) {
            return Ok(DRY_RUN_IMAGE.to_string());
        }
        let output = match self.run(self.long(&args), Context::Plain) {
            // Podman keeps a message only in Docker's image format, and
            // refuses one in its default OCI format.
            Err(e) if wants_docker_format(e.stderr()) => {
                let args = args::commit_in_docker_format(args);
                let output = self.run(self.long(&args), Context::Plain)?;
                return self.last_line(&args, &output.stdout);
            }
            other => other?,
        };
        self.last_line(&args, &output.stdout)
    }

    /// `docker rm -f -v`; Ok(false) when there was no such container.
    pub fn rm(&self, container: &str) -> Result<bool> {
        Ok(self.remove_container(container)? != Removed::Missing)
    }

    /// `docker rm -f -v`, telling what the engine said of the container.
    /// Docker and Podman print the name they were given on stdout for each
    /// container they removed, and nothing for a missing one (a forced
    /// `rm` exits 0 either way; Docker says so on stderr, Podman not at all).
    pub fn remove_container(&self, container: &str) -> Result<Removed> {
        let args = args::rm(container);
        if self.skipped(|| self.display(&args)) {
            return Ok(Removed::Gone);
        }
        let output = self.run_raw(self.short(&args))?;
        // Some CLI versions report a missing container on stderr and still
        // exit 0 when forced (see fixtures/docker/engine-20.10).
        let error = failure(&output, Context::Plain);
        match error.kind() {
            ErrorKind::NoSuchObject => Ok(Removed::Missing),
            _ if output.success() => Ok(removed(&output.stdout, container)),
            _ => Err(error),
        }
    }

    /// `docker rmi`; Ok(false) when there was no such image.
    pub fn rmi(&self, reference: &str, force: bool) -> Result<bool> {
        let args = args::rmi(reference, force);
        if self.skipped(|| self.display(&args)) {
            return Ok(true);
        }
        match self.run(self.short(&args), Context::Plain) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == &ErrorKind::NoSuchObject => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `docker import [-c CHANGE…] TARBALL REFERENCE`; returns the image id.
    /// No deadline.
    pub fn import(&self, source: &Path, reference: &str, changes: &[String]) -> Result<String> {
        let args = args::import(source, reference, changes);
        if self.skipped(|| self.display(&args)) {
            return Ok(DRY_RUN_IMAGE.to_string());
        }
        let output = self.run(self.long(&args), Context::Plain)?;
        self.last_line(&args, &output.stdout)
    }

    /// `tar -C DIR --numeric-owner -c . | docker import - REFERENCE`, streamed
    /// through a pipe (no temporary tarball); returns the image id. No
    /// deadline.
    pub fn import_dir(&self, dir: &Path, reference: &str, changes: &[String]) -> Result<String> {
        let tar = Cmd::new("tar")
            .arg("-C")
            .arg(dir)
            .args(["--numeric-owner", "-c", "."]);
        self.import_from(&tar, reference, changes)
    }

    /// `docker export CONTAINER | docker import [-c CHANGE…] - REFERENCE`,
    /// streamed: the container's file system as a one-layer image that has
    /// only the configuration `changes` give it (no labels, CMD or ENV of the
    /// container or its image carry over). Returns the image id. No deadline.
    pub fn flatten(&self, container: &str, reference: &str, changes: &[String]) -> Result<String> {
        let export = args::export(container);
        let import = args::import(Path::new("-"), reference, changes);
        if self.skipped(|| format!("{} | {}", self.display(&export), self.display(&import))) {
            return Ok(DRY_RUN_IMAGE.to_string());
        }
        self.import_from(&self.long(&export), reference, changes)
    }

    /// `producer | docker import - REFERENCE`.
    fn import_from(&self, producer: &Cmd, reference: &str, changes: &[String]) -> Result<String> {
        let args = args::import(Path::new("-"), reference, changes);
        if self.skipped(|| format!("{} | {}", producer.display(), self.display(&args))) {
            return Ok(DRY_RUN_IMAGE.to_string());
        }
        let output = producer
            .pipe(&self.long(&args))
            .output()
            .map_err(|e| self.process_error(e))?;
        if output.success() {
            return self.last_line(&args, &output.stdout);
        }
        // docker may have imported what came before the producer failed: a
        // partial image under the caller's name must not stay behind.
        if let Ok(id) = self.last_line(&args, &output.stdout) {
            let _ = self.rmi(&id, true);
        }
        Err(failure(&output, Context::Plain))
    }

    /// `docker tag SOURCE TARGET`.
    pub fn tag(&self, source: &str, target: &str) -> Result<()> {
        let args = args::tag(source, target);
        if self.skipped(|| self.display(&args)) {
            return Ok(());
        }
        self.run(self.short(&args), Context::Plain).map(drop)
    }

    /// `docker logs [-f] CONTAINER` with output inherited (streams to the
    /// terminal). No deadline; following is an interactive session, which
    /// a signal ends without an error.
    pub fn logs_inherit(&self, container: &str, follow: bool) -> Result<()> {
        let mut cmd = self
            .long(&args::logs(container, follow, None))
            .stdout_inherit()
            .stderr_inherit();
        if follow {
            cmd = cmd.foreground();
        }
        match cmd.output() {
            Ok(output) if output.success() => Ok(()),
            // The CLI's own message went to the terminal already.
            Ok(output) => Err(Error::process(output.failure())),
            // Ctrl-C is how following ends.
            Err(e) if follow && e.kind() == ProcessErrorKind::Interrupted => Ok(()),
            Err(e) => Err(self.process_error(e)),
        }
    }

    /// Last `lines` lines of the container's output (stdout and stderr), for messages.
    pub fn logs_tail(&self, container: &str, lines: usize) -> Result<String> {
        // Both streams in the order they came, as the container wrote them.
        let output = self
            .short(&args::logs(container, false, Some(lines)))
            .output_lines(&mut |_| {})
            .map_err(|e| self.process_error(e))?;
        if !output.success() {
            return Err(failure(&output, Context::Plain));
        }
        Ok(String::from_utf8_lossy(&output.combined).into_owned())
    }

    /// The last non-empty line of stdout: the id `create`, `commit` and
    /// `import` print after anything else.
    fn last_line(&self, args: &[OsString], stdout: &[u8]) -> Result<String> {
        String::from_utf8_lossy(stdout)
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .map(str::to_string)
            .ok_or_else(|| Error::unexpected_output(&self.display(args), "no id printed"))
    }
}

/// A container made and started by [`Docker::run_attached`], its CLI still
/// attached: what the container writes on its standard output comes as
/// lines, until [`Attached::finish`] detaches (the container runs on).
pub struct Attached {
    docker: Docker,
    run: proc::Background,
    cidfile: PathBuf,
}

impl Attached {
    /// The new container's id, which the CLI writes to its `--cidfile` once
    /// the engine has made it; waited for while the run lasts. `None` when
    /// the run ended first: [`Attached::finish`] tells why (the image is
    /// missing, the name taken…).
    fn id(&mut self) -> Option<String> {
        loop {
            let id = std::fs::read_to_string(&self.cidfile).unwrap_or_default();
            let id = id.trim();
            if id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Some(id.to_string());
            }
            if self.run.has_ended() {
                return None;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The next line the container wrote on its standard output, waited
    /// for until `until`; `None` once the time is up or the run ended.
    pub fn next_line(&self, until: std::time::Instant) -> Option<String> {
        self.run.next_line(until)
    }

    /// Detaches from the container, which runs on. The run's error when it
    /// had ended by itself and failed, or by its deadline or a signal.
    pub fn finish(mut self) -> Result<()> {
        let ended = self.run.has_ended();
        match self.run.finish() {
            Ok(output) if ended && !output.success() => Err(failure(&output, Context::Plain)),
            Ok(_) => Ok(()),
            Err(error) => Err(self.docker.process_error(error)),
        }
    }
}

/// Whether a failed commit asks for Docker's image format (Podman, for a
/// commit message; see `fixtures/docker/podman-4.3/commit-message-oci.txt`).
fn wants_docker_format(stderr: &str) -> bool {
    stderr.contains("only compatible with the docker image format")
}

/// Whether an engine address is a socket on this machine.
fn is_local_endpoint(host: &str) -> bool {
    host.starts_with("unix://") || host.starts_with("npipe://")
}

/// The failure of a finished call, named from its stderr.
fn failure(output: &proc::Output, context: Context) -> Error {
    Error::from_failure(output.command(), output.status, &output.stderr, context)
}

/// The output of the program `docker exec` or `docker start -a` ran: its
/// own failure is its caller's business, while a failure of the CLI (no
/// such container, engine unreachable…) is an error.
fn program_output(output: proc::Output) -> Result<Output> {
    if !output.success() {
        let error = failure(&output, Context::Plain);
        if error.kind() != &ErrorKind::Failed {
            return Err(error);
        }
    }
    Ok(Output {
        status: output.code(),
        stdout: output.stdout,
        stderr: output.stderr,
        combined: output.combined,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_command_plain() {
        let docker = Docker::with_program("/usr/bin/docker")
            .with_env("DOCKER_CONTEXT", "")
            .with_env("DOCKER_HOST", "");
        assert_eq!(
            docker.exec_proxy_command("abc"),
            [
                "/usr/bin/docker",
                "exec",
                "-i",
                "abc",
                "/usr/sbin/sshd",
                "-i"
            ]
        );
    }

    #[test]
    fn proxy_command_carries_host_and_context() {
        let docker = Docker::with_program("docker")
            .with_env("DOCKER_CONTEXT", "")
            .with_env("DOCKER_HOST", "ssh://alice@build.example");
        assert_eq!(
            docker.exec_proxy_command("abc"),
            [
                "docker",
                "--host",
                "ssh://alice@build.example",
                "exec",
                "-i",
                "abc",
                "/usr/sbin/sshd",
                "-i"
            ]
        );
        // DOCKER_HOST wins over DOCKER_CONTEXT, as it does for the CLI.
        let docker = docker.with_env("DOCKER_CONTEXT", "remote");
        assert_eq!(
            docker.exec_proxy_command("abc")[1..3],
            ["--host", "ssh://alice@build.example"]
        );
        let docker = docker.with_env("DOCKER_HOST", "");
        assert_eq!(
            docker.exec_proxy_command("abc")[1..3],
            ["--context", "remote"]
        );
    }

    #[test]
    fn an_endpoint_is_named_as_the_cli_reads_the_environment() {
        let from = Endpoint::from_variables;
        assert_eq!(from(None, None), None);
        assert_eq!(from(Some(""), Some("")), None);
        assert_eq!(
            from(None, Some("far")),
            Some(Endpoint::Context("far".into()))
        );
        assert_eq!(from(None, Some("default")), Some(Endpoint::Default));
        // DOCKER_HOST wins over DOCKER_CONTEXT, as in the CLI.
        assert_eq!(
            from(Some("ssh://h"), Some("far")),
            Some(Endpoint::Host("ssh://h".into()))
        );
        assert_eq!(Endpoint::context("default"), Endpoint::Default);
        assert_eq!(Endpoint::Default.to_string(), "default");
        assert_eq!(Endpoint::Context("far".into()).to_string(), "far");
        assert_eq!(Endpoint::Host("ssh://h".into()).to_string(), "ssh://h");
    }

    #[test]
    fn a_docker_on_an_endpoint_overrides_the_environment() {
        let docker = Docker::with_program("docker")
            .with_env("DOCKER_HOST", "tcp://elsewhere:2375")
            .with_env("DOCKER_CONTEXT", "other");
        let far = docker.clone().on(&Endpoint::Context("far".into()));
        assert_eq!(far.endpoint(), Endpoint::Context("far".into()));
        assert_eq!(far.exec_proxy_command("abc")[1..3], ["--context", "far"]);
        let host = docker.clone().on(&Endpoint::Host("ssh://h".into()));
        assert_eq!(host.endpoint(), Endpoint::Host("ssh://h".into()));
        assert_eq!(host.exec_proxy_command("abc")[1..3], ["--host", "ssh://h"]);
        let local = docker.on(&Endpoint::Default);
        assert_eq!(local.endpoint(), Endpoint::Default);
        assert_eq!(local.exec_proxy_command("abc")[1], "exec");
        // Each command it runs carries the engine in its environment.
        let cmd = local.short(&args::version());
        assert_eq!(cmd.get_args(), args::version());
    }

    #[test]
    fn remote_from_docker_host() {
        let docker = |host: &str| {
            Docker::with_program("/nonexistent/docker")
                .with_env("DOCKER_HOST", host)
                .with_env("CONTAINER_HOST", "")
        };
        assert!(docker("ssh://alice@build.example")
            .engine_is_remote()
            .unwrap());
        assert!(docker("tcp://10.0.0.2:2376").engine_is_remote().unwrap());
        assert!(!docker("unix:///var/run/docker.sock")
            .engine_is_remote()
            .unwrap());
    }

    #[test]
    fn local_without_context_runs_nothing() {
        let home = tempfile::tempdir().unwrap();
        // The program does not exist: asking it anything would fail.
        let docker = Docker::with_program("/nonexistent/docker")
            .with_env("DOCKER_HOST", "")
            .with_env("CONTAINER_HOST", "")
            .with_env("DOCKER_CONTEXT", "")
            .with_env("DOCKER_CONFIG", home.path());
        assert!(!docker.engine_is_remote().unwrap());
        std::fs::write(
            home.path().join("config.json"),
            r#"{"currentContext":"default"}"#,
        )
        .unwrap();
        assert!(!docker.engine_is_remote().unwrap());
        std::fs::write(
            home.path().join("config.json"),
            r#"{"currentContext":"remote"}"#,
        )
        .unwrap();
        assert_eq!(
            docker.engine_is_remote().unwrap_err().kind(),
            &ErrorKind::CliNotFound
        );
    }

    #[test]
    fn missing_program_is_cli_not_found() {
        let docker = Docker::with_program("/nonexistent/docker");
        let error = docker.version().unwrap_err();
        assert_eq!(error.kind(), &ErrorKind::CliNotFound);
        assert!(error
            .to_string()
            .starts_with("docker CLI not found on PATH; install it or set REDOCK_DOCKER"));
    }

    #[test]
    fn engine_timeout_from_the_environment() {
        assert_eq!(timeout_from(None).unwrap(), Some(DEFAULT_TIMEOUT));
        assert_eq!(timeout_from(Some("")).unwrap(), Some(DEFAULT_TIMEOUT));
        assert_eq!(timeout_from(Some("0")).unwrap(), None);
        assert_eq!(
            timeout_from(Some("2.5")).unwrap(),
            Some(Duration::from_millis(2500))
        );
        for bad in ["-1", "soon", "inf", "NaN"] {
            let error = timeout_from(Some(bad)).unwrap_err();
            assert_eq!(error.kind(), &ErrorKind::InvalidEnvironment, "{bad}");
            assert!(error
                .to_string()
                .starts_with(&format!("REDOCK_ENGINE_TIMEOUT={bad} is not")));
        }
    }

    /// A fake engine CLI that answers `version` and hangs on `ps` and
    /// `inspect`, with a grandchild `sleep`; it writes its pid and the
    /// grandchild's to `pids` once both run.
    fn hanging_cli(dir: &Path) -> (PathBuf, PathBuf) {
        let pids = dir.join("pids");
        let version = format!(
            "{}/../../fixtures/docker/engine-20.10/version.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let script = format!(
            "#!/bin/sh\n\
             case \"$1\" in\n\
             version) exec cat '{version}' ;;\n\
             ps|inspect|container) ;;\n\
             *) echo \"unexpected $1\" >&2; exit 2 ;;\n\
             esac\n\
             sleep 1000 & echo $! $$ >'{pids}.tmp' && mv '{pids}.tmp' '{pids}'\n\
             wait\n",
            pids = pids.display()
        );
        (write_program(dir, script), pids)
    }

    /// Writes `script` as the executable `dir/docker`, by a child: a file
    /// this process held open for writing could be inherited by a process
    /// another test forks meanwhile, and running it would fail with "text
    /// file busy".
    fn write_program(dir: &Path, script: String) -> PathBuf {
        let program = dir.join("docker");
        Cmd::new("sh")
            .args(["-c", "cat >\"$1\" && chmod 755 \"$1\"", "sh"])
            .arg(&program)
            .stdin_bytes(script)
            .run()
            .unwrap();
        program
    }

    #[test]
    fn a_hanging_call_fails_at_its_deadline_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (program, pids) = hanging_cli(dir.path());
        let docker = Docker::with_program(&program)
            .with_timeout(Some(Duration::from_millis(300)))
            .with_env("DOCKER_HOST", "")
            .with_env("DOCKER_CONTEXT", "");
        // Calls that answer are not disturbed by the deadline.
        assert_eq!(docker.version().unwrap().server_version, "20.10.24+dfsg1");

        let started = std::time::Instant::now();
        let error = docker.ps(&["io.redock.name".into()]).unwrap_err();
        assert_eq!(error.kind(), &ErrorKind::Timeout, "{error}");
        let format = proc::quote(std::ffi::OsStr::new(args::PS_FORMAT));
        assert_eq!(
            error.to_string(),
            format!(
                "process didn't exit successfully: \
                 `docker ps -a --no-trunc --filter label=io.redock.name --format {}` \
                 (timed out after 0.3 s)",
                format.to_string_lossy()
            )
        );
        // The grandchild held the output pipe: returning at all shows it died.
        assert!(started.elapsed() < Duration::from_secs(60));
        let pids = test_support::processes::wait_for_pids(&pids);
        assert_eq!(pids.len(), 2);
        test_support::processes::assert_gone(&pids);

        // Every short call has the deadline.
        let error = docker
            .with_timeout(Some(Duration::from_millis(100)))
            .inspect_container("web")
            .unwrap_err();
        assert_eq!(error.kind(), &ErrorKind::Timeout, "{error}");
    }

    /// A fake engine CLI that logs each command line it is given to `log`
    /// and answers every call as if there were nothing.
    fn logging_cli(dir: &Path) -> (PathBuf, PathBuf) {
        let log = dir.join("log");
        let script = format!(
            "#!/bin/sh\n\
             echo \"$*\" >>'{log}'\n\
             case \"$1 $2\" in\n\
             'image inspect'|'container inspect') echo '[]'; echo 'Error: No such object: x' >&2; exit 1 ;;\n\
             esac\n\
             exit 0\n",
            log = log.display()
        );
        (write_program(dir, script), log)
    }

    /// The guard of dry runs: every call of `Docker` that changes the
    /// engine, made in a dry run, reaches the callback and never the CLI;
    /// those that read reach the CLI.
    #[test]
    fn a_dry_run_changes_nothing_and_tells_every_change() {
        let dir = tempfile::tempdir().unwrap();
        let (program, log) = logging_cli(dir.path());
        let told = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let sink = told.clone();
        let docker = Docker::with_program(&program)
            .with_env("DOCKER_HOST", "")
            .with_env("DOCKER_CONTEXT", "")
            .dry_run(move |line| sink.lock().unwrap().push(line.to_string()));
        assert!(docker.is_dry_run());
        let spec = CreateSpec {
            image: "alice:web".into(),
            name: Some("redock-web".into()),
            ..CreateSpec::default()
        };
        assert_eq!(docker.create(&spec).unwrap(), DRY_RUN_CONTAINER);
        docker.start("c").unwrap();
        docker.unpause("c").unwrap();
        assert_eq!(docker.start_attached("c", Some(b"x")).unwrap().status, 0);
        docker.cp_into(Path::new("/tmp/x"), "c", "/root/").unwrap();
        assert_eq!(docker.exec("c", &["touch", "/x"], None).unwrap().status, 0);
        assert_eq!(
            docker.exec("c", &["cat", "/x"], Some(b"k")).unwrap().status,
            0
        );
        assert_eq!(
            docker
                .commit("c", "alice:web", Some("m"), None, &[])
                .unwrap(),
            DRY_RUN_IMAGE
        );
        assert!(docker.rm("c").unwrap());
        assert!(docker.rmi("alice:web", false).unwrap());
        assert_eq!(
            docker
                .import(Path::new("/tmp/x.tar"), "alice:web", &[])
                .unwrap(),
            DRY_RUN_IMAGE
        );
        assert_eq!(
            docker
                .import_dir(Path::new("/tmp/root"), "alice:web", &[])
                .unwrap(),
            DRY_RUN_IMAGE
        );
        assert_eq!(
            docker.flatten("c", "alice:web", &[]).unwrap(),
            DRY_RUN_IMAGE
        );
        docker.tag("a", "b").unwrap();
        docker.pull("debian").unwrap();
        // The reading calls run.
        assert!(docker.inspect_container("c").unwrap().is_none());
        assert!(docker.image_inspect("alice:web").unwrap().is_none());
        docker.exec("c", &["cat", "/etc/hostname"], None).unwrap();
        docker.ps(&[]).unwrap();

        let told = told.lock().unwrap().clone();
        let verbs: Vec<&str> = told
            .iter()
            .map(|l| l.split_whitespace().nth(1).unwrap())
            .collect();
        assert_eq!(
            verbs,
            [
                "create", "start", "unpause", "start", "cp", "exec", "exec", "commit", "rm", "rmi",
                "import", "-C", "export", "tag", "pull"
            ]
        );
        assert_eq!(told[0], "docker create --name redock-web alice:web");
        assert_eq!(
            told[11],
            "tar -C /tmp/root --numeric-owner -c . | docker import - alice:web"
        );
        assert_eq!(told[12], "docker export c | docker import - alice:web");
        let ran = std::fs::read_to_string(&log).unwrap();
        let ran: Vec<&str> = ran.lines().collect();
        assert_eq!(
            ran,
            [
                "container inspect c",
                "image inspect alice:web",
                "exec c cat /etc/hostname",
                &format!("ps -a --no-trunc --format {}", args::PS_FORMAT),
            ]
        );
    }

    /// A call that changes something and does not ask the dry run first
    /// stops at the gate every call goes through.
    #[test]
    #[should_panic(expected = "a dry run must not run `docker rm -f -v c`")]
    fn the_gate_stops_a_change_that_bypassed_the_dry_run() {
        let docker = Docker::with_program("/nonexistent/docker").dry_run(|_| {});
        let _ = docker.short(&args::rm("c"));
    }

    /// What `rm -f` printed, recorded from Docker CLI 28.2.2 with Engine
    /// 20.10.24 and from Podman 4.3.1: the ID it was given when it removed
    /// the container, nothing when there was none.
    #[test]
    fn rm_names_what_it_removed() {
        let fixture = |name: &str| {
            let path = format!(
                "{}/../../fixtures/docker/{name}",
                env!("CARGO_MANIFEST_DIR")
            );
            std::fs::read(path).unwrap()
        };
        for engine in ["engine-20.10", "podman-4.3"] {
            let id = String::from_utf8(fixture(&format!("{engine}/rm-removed.id.txt"))).unwrap();
            let stdout = fixture(&format!("{engine}/rm-removed.stdout.txt"));
            assert_eq!(removed(&stdout, id.trim()), Removed::Gone, "{engine}");
            assert_eq!(
                removed(&stdout, "another"),
                Removed::Unconfirmed,
                "{engine}"
            );
        }
        let missing = fixture("podman-4.3/rm-missing.stdout.txt");
        assert_eq!(removed(&missing, "x"), Removed::Unconfirmed);
    }

    /// The CLI of another engine, made from a dry run's, is as dry.
    #[test]
    fn another_engines_cli_stays_dry() {
        let dry = Docker::with_program("/nonexistent/docker").dry_run(|_| {});
        let far = dry
            .for_program("/nonexistent/other")
            .on(&Endpoint::context("far"));
        assert!(far.is_dry_run());
        assert!(far.rm("c").is_ok(), "a dry rm answers without running");
        assert!(!Docker::with_program("/x").for_program("/y").is_dry_run());
    }

    #[test]
    fn podman_asks_for_the_docker_format_for_a_message() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/docker/podman-4.3/commit-message-oci.txt"
        );
        assert!(wants_docker_format(&std::fs::read_to_string(path).unwrap()));
        assert!(!wants_docker_format("Error: no such container x"));
    }

    #[test]
    fn engine_local_check_by_scheme() {
        assert!(is_local_endpoint("unix:///run/user/1000/docker.sock"));
        assert!(!is_local_endpoint("ssh://h"));
        assert!(!is_local_endpoint("tcp://127.0.0.1:2375"));
    }
}
