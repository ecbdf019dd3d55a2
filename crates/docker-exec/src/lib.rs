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
//! refusing permission, a missing object. Anything else reads like cargo's
//! report of a failed process, with the command, its exit status and the end
//! of its stderr.
//!
//! # Arguments and parsing
//!
//! The argument vector of every call is built by a pure function in [`args`],
//! and the CLI's JSON is parsed with serde from only the fields used; both are
//! tested against outputs recorded from real engines in `fixtures/docker/`.

mod error;
mod parse;
mod process;

pub mod args;

pub use error::{Error, ErrorKind};

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use once_cell::sync::Lazy;

use error::Context;

/// The engine CLI: the program to run, found once, and any environment
/// overrides for the commands it runs.
#[derive(Clone, Debug)]
pub struct Docker {
    program: PathBuf,
    envs: Vec<(OsString, OsString)>,
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
    pub running: bool,
    /// State.Status: created, running, exited, dead, …
    pub status: String,
    /// State.StartedAt (RFC 3339).
    pub started_at: String,
    /// Host bindings of `22/tcp` (empty when not published).
    pub ssh_ports: Vec<SocketAddr>,
}

/// One line of `docker ps --format '{{json .}}'`.
#[derive(Clone, Debug, Default)]
pub struct PsEntry {
    pub id: String,
    pub names: String,
    pub image: String,
    pub state: String,
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
}

/// Captured output of a finished command.
#[derive(Clone, Debug, Default)]
pub struct Output {
    pub status: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs any program the way this crate runs docker: stdout and stderr read
/// at the same time by threads, stdin fed from `input` (closed at once when
/// `None`), each line of output shown to `on_line` as it arrives. The exit
/// status is `Output::status`, whatever it is; `Output::stdout` holds stdout
/// and stderr together, in the order they came, and `Output::stderr` stderr
/// alone. Only a failure to start or talk to the program is an error.
pub fn run_captured(
    command: Command,
    input: Option<&[u8]>,
    on_line: &mut dyn FnMut(&str),
) -> Result<Output> {
    let what = {
        let args: Vec<OsString> = command.get_args().map(OsString::from).collect();
        process::display(command.get_program(), &args)
    };
    let finished = process::run(command, &what, input, on_line)?;
    Ok(Output {
        status: exit_code(finished.status),
        stdout: finished.combined,
        stderr: finished.stderr,
    })
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

impl Docker {
    /// `REDOCK_DOCKER`, else `docker` on PATH; looked up once per process.
    pub fn from_env() -> Result<Docker> {
        match &*PROGRAM {
            Ok(program) => Ok(Docker::with_program(program)),
            Err(detail) => Err(Error::cli_not_found(detail)),
        }
    }

    /// A `Docker` that runs `program` (a path, or a name looked up on PATH
    /// when run).
    pub fn with_program(program: impl Into<PathBuf>) -> Docker {
        Docker {
            program: program.into(),
            envs: Vec::new(),
        }
    }

    /// The same CLI with `key=value` set in the environment of every command
    /// it runs (the process's own environment is left alone), e.g. to point
    /// one `Docker` at another engine with `DOCKER_HOST`.
    pub fn with_env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Docker {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// The program this runs.
    pub fn program(&self) -> &Path {
        &self.program
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

    fn command(&self, args: &[OsString]) -> Command {
        let mut command = Command::new(&self.program);
        command.args(args);
        command.envs(self.envs.iter().map(|(k, v)| (k, v)));
        command
    }

    fn display(&self, args: &[OsString]) -> String {
        process::display(self.program.as_os_str(), args)
    }

    /// Runs the CLI and returns its output whatever its exit status.
    fn run_raw(
        &self,
        args: &[OsString],
        input: Option<&[u8]>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<(String, process::Finished)> {
        let what = self.display(args);
        let finished = match process::run(self.command(args), &what, input, on_line) {
            Err(e)
                if e.kind() == &ErrorKind::Io
                    && !self.program.exists()
                    && which::which(&self.program).is_err() =>
            {
                return Err(Error::cli_not_found(&format!(
                    "cannot run {}",
                    self.program.display()
                )));
            }
            other => other?,
        };
        Ok((what, finished))
    }

    /// Runs the CLI; a non-zero exit is an error named from its stderr.
    fn run(&self, args: Vec<OsString>, context: Context) -> Result<process::Finished> {
        let (what, finished) = self.run_raw(&args, None, &mut |_| {})?;
        if finished.status.success() {
            Ok(finished)
        } else {
            Err(Error::from_failure(
                &what,
                finished.status,
                &finished.stderr,
                context,
            ))
        }
    }

    /// Runs the CLI for a program in a container, whose own exit status is
    /// the caller's business: only a failure of the CLI itself (engine
    /// unreachable, no such container) is an error.
    fn run_program(
        &self,
        args: Vec<OsString>,
        input: Option<&[u8]>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<Output> {
        let (what, finished) = self.run_raw(&args, input, on_line)?;
        Ok(Output {
            status: program_status(&what, &finished)?,
            stdout: finished.stdout,
            stderr: finished.stderr,
        })
    }

    /// Argument vector for an ssh `ProxyCommand` that runs `sshd -i` in the
    /// container through `docker exec`, carrying `--context`/`--host` from the
    /// environment (DOCKER_CONTEXT / DOCKER_HOST) so the ProxyCommand works
    /// whatever environment ssh runs in.
    pub fn exec_proxy_command(&self, container_id: &str) -> Vec<String> {
        let mut argv = vec![self.program.to_string_lossy().into_owned()];
        argv.extend(args::connection(
            self.env_var("DOCKER_CONTEXT").as_deref(),
            self.env_var("DOCKER_HOST").as_deref(),
        ));
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
        let finished = self.run(args.clone(), Context::Plain)?;
        let host = parse::context_host(&finished.stdout)
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
        let finished = self.run(args.clone(), Context::Plain)?;
        parse::version(&finished.stdout)
            .map_err(|e| Error::unexpected_output(&self.display(&args), e))
    }

    /// `None` when the image does not exist.
    pub fn image_inspect(&self, reference: &str) -> Result<Option<ImageInfo>> {
        let args = args::image_inspect(reference);
        match self.run(args.clone(), Context::ImageInspect) {
            Ok(finished) => {
                let images = parse::images(&finished.stdout)
                    .map_err(|e| Error::unexpected_output(&self.display(&args), e))?;
                Ok(images.into_iter().next())
            }
            Err(e) if e.kind() == &ErrorKind::NoSuchObject => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `docker pull REFERENCE`; its progress output is not shown.
    pub fn pull(&self, reference: &str) -> Result<()> {
        self.run(args::pull(reference), Context::Plain).map(drop)
    }

    /// `docker create`; returns the new container's id.
    pub fn create(&self, spec: &CreateSpec) -> Result<String> {
        let args = args::create(spec);
        let finished = self.run(args.clone(), Context::Plain)?;
        self.last_line(&args, &finished.stdout)
    }

    /// `docker start CONTAINER`.
    pub fn start(&self, container: &str) -> Result<()> {
        self.run(args::start(container, false, false), Context::Plain)
            .map(drop)
    }

    /// `docker start -a [-i]`: start and wait, stdin fed from `input` when
    /// given. `Output::stdout` holds stdout and stderr together, in the order
    /// they came (for build steps); `Output::stderr` holds stderr alone. The
    /// container's exit status is `Output::status`, not an error.
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
        let (what, finished) = self.run_raw(&args, input, on_line)?;
        Ok(Output {
            status: program_status(&what, &finished)?,
            stdout: finished.combined,
            stderr: finished.stderr,
        })
    }

    /// `docker cp LOCAL CONTAINER:PATH`.
    pub fn cp_into(&self, local: &Path, container: &str, path: &str) -> Result<()> {
        self.run(args::cp_into(local, container, path), Context::Plain)
            .map(drop)
    }

    /// `docker exec [-i] CONTAINER ARGV…`, output captured; a non-zero exit of
    /// the program is returned in `Output::status`, not as an error.
    pub fn exec(&self, container: &str, argv: &[&str], input: Option<&[u8]>) -> Result<Output> {
        self.run_program(
            args::exec(container, argv, input.is_some()),
            input,
            &mut |_| {},
        )
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
        let args = args::container_inspect(containers);
        let (what, finished) = self.run_raw(&args, None, &mut |_| {})?;
        if !finished.status.success() {
            // With some ids missing, the CLI exits 1 but still prints the
            // ones it found; anything else is a real failure.
            let error =
                Error::from_failure(&what, finished.status, &finished.stderr, Context::Plain);
            if error.kind() != &ErrorKind::NoSuchObject {
                return Err(error);
            }
        }
        let text = String::from_utf8_lossy(&finished.stdout);
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        parse::containers(text.as_bytes()).map_err(|e| Error::unexpected_output(&what, e))
    }

    /// `docker ps -a --no-trunc --filter label=KEY[=VALUE]…`.
    pub fn ps(&self, label_filters: &[String]) -> Result<Vec<PsEntry>> {
        let args = args::ps(label_filters);
        let finished = self.run(args.clone(), Context::Plain)?;
        parse::ps_lines(&finished.stdout)
            .map_err(|e| Error::unexpected_output(&self.display(&args), e))
    }

    /// `docker commit [-m] [-a] [-c CHANGE…] CONTAINER REFERENCE`; returns the image id.
    pub fn commit(
        &self,
        container: &str,
        reference: &str,
        message: Option<&str>,
        author: Option<&str>,
        changes: &[String],
    ) -> Result<String> {
        let args = args::commit(container, reference, message, author, changes);
        let finished = self.run(args.clone(), Context::Plain)?;
        self.last_line(&args, &finished.stdout)
    }

    /// `docker rm -f -v`; Ok(false) when there was no such container.
    pub fn rm(&self, container: &str) -> Result<bool> {
        let args = args::rm(container);
        let (what, finished) = self.run_raw(&args, None, &mut |_| {})?;
        // Some CLI versions report a missing container on stderr and still
        // exit 0 when forced (see fixtures/docker/engine-20.10).
        let error = Error::from_failure(&what, finished.status, &finished.stderr, Context::Plain);
        match error.kind() {
            ErrorKind::NoSuchObject => Ok(false),
            _ if finished.status.success() => Ok(true),
            _ => Err(error),
        }
    }

    /// `docker rmi`; Ok(false) when there was no such image.
    pub fn rmi(&self, reference: &str, force: bool) -> Result<bool> {
        match self.run(args::rmi(reference, force), Context::Plain) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == &ErrorKind::NoSuchObject => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `docker import [-c CHANGE…] TARBALL REFERENCE`; returns the image id.
    pub fn import(&self, source: &Path, reference: &str, changes: &[String]) -> Result<String> {
        let args = args::import(source, reference, changes);
        let finished = self.run(args.clone(), Context::Plain)?;
        self.last_line(&args, &finished.stdout)
    }

    /// `tar -C DIR --numeric-owner -c . | docker import - REFERENCE`, streamed
    /// through a pipe (no temporary tarball); returns the image id.
    pub fn import_dir(&self, dir: &Path, reference: &str, changes: &[String]) -> Result<String> {
        let tar_args: Vec<OsString> = vec![
            "-C".into(),
            dir.into(),
            "--numeric-owner".into(),
            "-c".into(),
            ".".into(),
        ];
        let tar_what = process::display(OsStr::new("tar"), &tar_args);
        let mut tar = Command::new("tar");
        tar.args(&tar_args);
        self.import_stream(tar, tar_what, false, reference, changes)
    }

    /// `docker export CONTAINER | docker import [-c CHANGE…] - REFERENCE`,
    /// streamed: the container's file system as a one-layer image that has
    /// only the configuration `changes` give it (no labels, CMD or ENV of the
    /// container or its image carry over). Returns the image id.
    pub fn flatten(&self, container: &str, reference: &str, changes: &[String]) -> Result<String> {
        let args = args::export(container);
        let what = self.display(&args);
        self.import_stream(self.command(&args), what, true, reference, changes)
    }

    /// Pipes the stdout of `producer` into `docker import -`.
    fn import_stream(
        &self,
        mut producer: Command,
        producer_what: String,
        producer_is_docker: bool,
        reference: &str,
        changes: &[String],
    ) -> Result<String> {
        let mut source = producer
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::io(format!("cannot run `{producer_what}`"), e))?;
        let source_stdout = source
            .stdout
            .take()
            .expect("the producer's stdout is piped");
        let source_stderr = source
            .stderr
            .take()
            .expect("the producer's stderr is piped");
        // The producer's stderr is read while docker import runs, so that
        // neither can block on a full pipe.
        let source_errors = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = std::io::Read::read_to_end(&mut { source_stderr }, &mut bytes);
            bytes
        });

        let args = args::import(Path::new("-"), reference, changes);
        let what = self.display(&args);
        let mut command = self.command(&args);
        command
            .stdin(Stdio::from(source_stdout))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let imported = command
            .spawn()
            .map_err(|e| Error::io(format!("cannot run `{what}`"), e))
            .and_then(|mut child| process::collect(&mut child, &what, None, &mut |_| {}));
        // Whatever docker did, the producer is reaped; when docker died
        // early, the producer gets EPIPE and exits on its own.
        let source_status = source
            .wait()
            .map_err(|e| Error::io(format!("cannot wait for `{producer_what}`"), e));
        let source_stderr = source_errors.join().unwrap_or_default();
        let imported = imported?;
        let source_status = source_status?;
        if !source_status.success() {
            // docker may have imported what came before the failure: a
            // partial image under the caller's name must not stay behind.
            if imported.status.success() {
                if let Ok(id) = self.last_line(&args, &imported.stdout) {
                    let _ = self.rmi(&id, true);
                }
            }
            return Err(if producer_is_docker {
                Error::from_failure(
                    &producer_what,
                    source_status,
                    &source_stderr,
                    Context::Plain,
                )
            } else {
                Error::failed(&producer_what, source_status, &source_stderr)
            });
        }
        if !imported.status.success() {
            return Err(Error::from_failure(
                &what,
                imported.status,
                &imported.stderr,
                Context::Plain,
            ));
        }
        self.last_line(&args, &imported.stdout)
    }

    /// `docker tag SOURCE TARGET`.
    pub fn tag(&self, source: &str, target: &str) -> Result<()> {
        self.run(args::tag(source, target), Context::Plain)
            .map(drop)
    }

    /// `docker logs [-f] CONTAINER` with output inherited (streams to the terminal).
    pub fn logs_inherit(&self, container: &str, follow: bool) -> Result<()> {
        let args = args::logs(container, follow, None);
        let what = self.display(&args);
        let status = self
            .command(&args)
            .stdin(Stdio::null())
            .status()
            .map_err(|e| Error::io(format!("cannot run `{what}`"), e))?;
        if status.success() {
            Ok(())
        } else {
            // The CLI's own message went to the terminal already.
            Err(Error::failed(&what, status, b""))
        }
    }

    /// Last `lines` lines of the container's output (stdout and stderr), for messages.
    pub fn logs_tail(&self, container: &str, lines: usize) -> Result<String> {
        let args = args::logs(container, false, Some(lines));
        let finished = self.run(args, Context::Plain)?;
        Ok(String::from_utf8_lossy(&finished.combined).into_owned())
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

/// Whether an engine address is a socket on this machine.
fn is_local_endpoint(host: &str) -> bool {
    host.starts_with("unix://") || host.starts_with("npipe://")
}

/// An exit status as a shell shows it: the code, or 128 + the signal.
fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(-1)
}

/// The exit status of the program `docker exec` or `docker start -a` ran:
/// its own failure is its caller's business, while a failure of the CLI
/// (no such container, engine unreachable…) is an error.
fn program_status(what: &str, finished: &process::Finished) -> Result<i32> {
    if !finished.status.success() {
        let error = Error::from_failure(what, finished.status, &finished.stderr, Context::Plain);
        if error.kind() != &ErrorKind::Failed {
            return Err(error);
        }
    }
    Ok(exit_code(finished.status))
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
        let docker = docker.with_env("DOCKER_CONTEXT", "remote");
        assert_eq!(
            docker.exec_proxy_command("abc")[1..3],
            ["--context", "remote"]
        );
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
    fn engine_local_check_by_scheme() {
        assert!(is_local_endpoint("unix:///run/user/1000/docker.sock"));
        assert!(!is_local_endpoint("ssh://h"));
        assert!(!is_local_endpoint("tcp://127.0.0.1:2375"));
    }
}
