//! redock's error type: one kind per failure a user can meet, each with a
//! message that reads as one line and, where there is an obvious next step,
//! a hint.

use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong in a redock operation.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    hint: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// The kind of an [`Error`].
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A NAME that is not `repository:tag` or `tag` by Docker's grammar.
    InvalidName { name: String, reason: String },
    /// A host name that is not a valid RFC 1123 host name.
    InvalidHostname { hostname: String },
    /// A NAME whose tag gives no host name, started without -n.
    NoHostname { name: String },
    /// Two containers would share one SSH alias.
    AliasCollision { alias: String, other: String },
    /// Another REDOCK_HOME that the same user config includes already has
    /// a Host block for the alias.
    AliasInOtherHome { alias: String, home: PathBuf },
    /// `commit`, `ssh` and friends need a running container.
    NoContainerRunning { name: String },
    /// No image of that name exists.
    NoSuchImage { name: String },
    /// `delete` while a container of the NAME exists, in `state` (running,
    /// paused, stopped…).
    ImageInUse { name: String, state: String },
    /// sshd in the container did not answer in time.
    SecureShellTimeout {
        name: String,
        seconds: f64,
        logs: String,
    },
    /// A program redock needs is not installed.
    ProgramNotFound { program: String },
    /// A local program failed; the source is the process error.
    ProgramFailed,
    /// A call to the engine CLI failed.
    Docker,
    /// Building the base image failed.
    BaseImage,
    /// The state file could not be used.
    State,
    /// An SSH client configuration file could not be read or written.
    SshConfig { path: PathBuf },
    /// A provisioning command failed.
    Bootstrap,
    /// Reading or writing one of redock's own files.
    Io { path: PathBuf },
    /// Anything else, already worded for the user.
    Other(String),
    /// A command that needs a running container found it stopped or
    /// paused (`state`); `start` resumes it.
    NotRunning { name: String, state: String },
    /// The container is in a state only waiting or `kill` changes
    /// (restarting, dead, being removed).
    Unusable { name: String, state: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A path for a message that stays one line: as it is, unless it holds a
/// control character or is not UTF-8, then quoted with escapes.
pub(crate) fn shown(path: &std::path::Path) -> String {
    match path.to_str() {
        Some(text) if !text.chars().any(char::is_control) => text.to_string(),
        _ => format!("{path:?}"),
    }
}

/// An error once SIGINT, SIGTERM or SIGHUP has come: loops that wait on no
/// program (for a lock, for sshd's banner) ask it each round, since the
/// signal ends only the programs running, so that the command unwinds
/// through its guards and undoes what it made.
pub(crate) fn stop_if_interrupted() -> Result<()> {
    match proc::signals::received() {
        None => Ok(()),
        Some(signal) => {
            let name = nix::sys::signal::Signal::try_from(signal)
                .map_or_else(|_| format!("signal {signal}"), |s| s.as_str().to_string());
            Err(Error::other(format!("interrupted by {name}")))
        }
    }
}

impl Error {
    pub fn new(kind: ErrorKind) -> Error {
        Error {
            kind,
            hint: None,
            source: None,
        }
    }

    /// Whether this is an engine CLI call that found no engine to answer:
    /// unreachable, or past its deadline.
    pub fn is_engine_down(&self) -> bool {
        self.source
            .as_deref()
            .and_then(|s| s.downcast_ref::<docker_exec::Error>())
            .is_some_and(|e| {
                matches!(
                    e.kind(),
                    docker_exec::ErrorKind::EngineUnreachable | docker_exec::ErrorKind::Timeout
                )
            })
    }

    pub(crate) fn other(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Other(message.into()))
    }

    pub(crate) fn io(path: impl Into<PathBuf>, err: std::io::Error) -> Error {
        Error::new(ErrorKind::Io { path: path.into() }).with_source(err)
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        self.source = Some(Box::new(source));
        self
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The next step to suggest to the user, if there is an obvious one.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = || {
            self.source
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default()
        };
        match &self.kind {
            ErrorKind::InvalidName { name, reason } => {
                write!(f, "invalid name {name:?}: {reason}")
            }
            ErrorKind::InvalidHostname { hostname } => write!(
                f,
                "invalid host name {hostname:?}: use letters, digits and '-' in dot-separated labels of at most 63 characters"
            ),
            ErrorKind::NoHostname { name } => write!(
                f,
                "the tag of {name} gives no host name: it has no letter or digit"
            ),
            ErrorKind::AliasCollision { alias, other } => write!(
                f,
                "the SSH alias {alias} is already used by the container of {other}"
            ),
            ErrorKind::AliasInOtherHome { alias, home } => write!(
                f,
                "the SSH alias {alias} is already taken by REDOCK_HOME {}, which your ssh config also includes",
                shown(home)
            ),
            ErrorKind::NoContainerRunning { name } => {
                write!(f, "NoContainerRunning: no container is running for {name}")
            }
            ErrorKind::NoSuchImage { name } => write!(f, "there is no image {name}"),
            ErrorKind::ImageInUse { name, state } if state == "running" => {
                write!(f, "a container is still running from the image {name}")
            }
            ErrorKind::ImageInUse { name, state } => {
                write!(f, "a {state} container of {name} still exists")
            }
            ErrorKind::NotRunning { name, state } => {
                write!(f, "{name} is {state}: `redock start {name}` resumes it")
            }
            ErrorKind::Unusable { name, state } => {
                write!(f, "the container of {name} is {state}")
            }
            ErrorKind::SecureShellTimeout { name, seconds, logs } => {
                write!(
                    f,
                    "SecureShellTimeout: the container of {name} did not answer over SSH within {seconds} s"
                )?;
                if !logs.trim().is_empty() {
                    write!(f, "\n--- last lines of the container's output\n{}", logs.trim_end())?;
                }
                Ok(())
            }
            ErrorKind::ProgramNotFound { program } => {
                write!(f, "the program {program} was not found on PATH")
            }
            ErrorKind::ProgramFailed
            | ErrorKind::Docker | ErrorKind::BaseImage | ErrorKind::State | ErrorKind::Bootstrap => {
                f.write_str(&source())
            }
            ErrorKind::SshConfig { path } => {
                write!(f, "cannot update {}: {}", shown(path), source())
            }
            ErrorKind::Io { path } => write!(f, "{}: {}", shown(path), source()),
            ErrorKind::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl From<docker_exec::Error> for Error {
    fn from(err: docker_exec::Error) -> Error {
        let hint = match err.kind() {
            docker_exec::ErrorKind::CliNotFound => {
                Some("install the docker CLI, or point REDOCK_DOCKER at it (podman works)")
            }
            docker_exec::ErrorKind::EngineUnreachable => {
                Some("is the engine running? check DOCKER_HOST and `docker context ls`")
            }
            docker_exec::ErrorKind::PermissionDenied => {
                Some("add yourself to the docker group, or run redock where the socket is yours")
            }
            docker_exec::ErrorKind::Timeout => Some(
                "for a slow engine, REDOCK_ENGINE_TIMEOUT=SECS sets the deadline of quick calls (0: none)",
            ),
            _ => None,
        };
        let mut error = Error::new(ErrorKind::Docker).with_source(err);
        if let Some(hint) = hint {
            error = error.with_hint(hint);
        }
        error
    }
}

impl From<state::Error> for Error {
    fn from(err: state::Error) -> Error {
        Error::new(ErrorKind::State).with_source(err)
    }
}

impl From<base_image::Error> for Error {
    fn from(err: base_image::Error) -> Error {
        let hint = err.hint().map(str::to_string);
        let error = Error::new(ErrorKind::BaseImage).with_source(err);
        match hint {
            Some(hint) => error.with_hint(hint),
            None => error,
        }
    }
}

impl From<proc::ProcessError> for Error {
    fn from(err: proc::ProcessError) -> Error {
        Error::new(ErrorKind::ProgramFailed).with_source(err)
    }
}

impl From<bootstrap::Error> for Error {
    fn from(err: bootstrap::Error) -> Error {
        Error::new(ErrorKind::Bootstrap).with_source(err)
    }
}
