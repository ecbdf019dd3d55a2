//! The crate's error type and the classification of a failed docker call.

use std::fmt;
use std::process::ExitStatus;

use proc::{ProcessError, ProcessErrorKind};

/// What went wrong with a docker call.
///
/// The message is complete on its own: the binary prints it as is. For a
/// failure redock has no special name for, it reads like cargo's:
///
/// ```text
/// process didn't exit successfully: `docker commit abc web` (exit status: 1)
/// --- stderr
/// Error response from daemon: …
/// ```
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    stderr: String,
    status: Option<i32>,
    process: Option<Box<ProcessError>>,
}

/// The kinds of [`Error`], so that callers can react to the ones they expect
/// (a missing container, an unreachable engine) without matching on text.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The CLI program could not be found (`REDOCK_DOCKER` or `docker` on PATH).
    CliNotFound,
    /// The CLI ran but could not reach the engine.
    EngineUnreachable,
    /// Permission denied on the engine's socket.
    PermissionDenied,
    /// No such container / image / object.
    NoSuchObject,
    /// `create` of a container whose name another container holds.
    NameInUse,
    /// Any other failure: the message shows command, exit status and stderr.
    Failed,
    /// The call outlived its deadline and was killed (see
    /// [`Docker::with_timeout`](crate::Docker::with_timeout)).
    Timeout,
    /// The call was killed because this process got SIGINT, SIGTERM or
    /// SIGHUP (see `proc::signals`).
    Interrupted,
    /// A program could not be started or talked to (the source is the I/O error).
    Io,
    /// The CLI succeeded but printed something redock could not understand.
    UnexpectedOutput,
    /// A setting in the environment (`REDOCK_ENGINE_TIMEOUT`) is not valid.
    InvalidEnvironment,
}

impl Error {
    /// What kind of failure this is.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// What the failed command wrote on stderr (empty when it did not run).
    pub fn stderr(&self) -> &str {
        &self.stderr
    }

    /// Whether an `rm` failed because another removal of the container is
    /// under way (one of a run that was killed, say): the container is on
    /// its way out.
    pub fn is_removal_in_progress(&self) -> bool {
        self.stderr.contains("is already in progress")
    }

    /// Whether an `rmi` was refused because a container, or another image,
    /// still uses the image: it stays, and so does the name removed.
    pub fn is_in_use(&self) -> bool {
        // Docker: "conflict: unable to remove repository reference … (must
        // force) - container … is using its referenced image"; Podman:
        // "image is in use by a container".
        self.stderr.contains("conflict: unable to remove")
            || self.stderr.contains("image is in use by")
            || self.stderr.contains("image has dependent child images")
    }

    /// The exit code of the failed command, when it ran and exited.
    pub fn status(&self) -> Option<i32> {
        self.status
    }

    pub(crate) fn cli_not_found(detail: &str) -> Error {
        let mut message =
            String::from("docker CLI not found on PATH; install it or set REDOCK_DOCKER");
        if !detail.is_empty() {
            message.push_str(&format!(" ({detail})"));
        }
        Error::new(ErrorKind::CliNotFound, message)
    }

    /// The process error behind this one, when a program was run.
    pub fn process_error(&self) -> Option<&ProcessError> {
        self.process.as_deref()
    }

    /// A run that did not come to an exit status of its own: not started,
    /// timed out or interrupted.
    pub(crate) fn process(error: ProcessError) -> Error {
        let kind = match error.kind() {
            ProcessErrorKind::Timeout => ErrorKind::Timeout,
            ProcessErrorKind::Interrupted => ErrorKind::Interrupted,
            ProcessErrorKind::Failed => ErrorKind::Failed,
            _ => ErrorKind::Io,
        };
        Error {
            status: error.status().and_then(|s| s.code()),
            stderr: error.stderr().to_owned(),
            process: Some(Box::new(error)),
            ..Error::new(kind, String::new())
        }
    }

    pub(crate) fn invalid_environment(message: String) -> Error {
        Error::new(ErrorKind::InvalidEnvironment, message)
    }

    pub(crate) fn unexpected_output(command: &str, detail: impl fmt::Display) -> Error {
        Error::new(
            ErrorKind::UnexpectedOutput,
            format!("could not understand the output of `{command}`: {detail}"),
        )
    }

    fn new(kind: ErrorKind, message: String) -> Error {
        Error {
            kind,
            message,
            stderr: String::new(),
            status: None,
            process: None,
        }
    }

    /// Turns a finished command that failed into an error, naming the failure
    /// from what the CLI wrote on stderr.
    pub(crate) fn from_failure(
        command: &str,
        status: ExitStatus,
        stderr: &[u8],
        context: Context,
    ) -> Error {
        let process = ProcessError::failed(command, status, stderr);
        let stderr = process.stderr().to_owned();
        let kind = classify(&stderr, context);
        let message = match kind {
            ErrorKind::EngineUnreachable => format!(
                "cannot connect to the container engine: {}",
                engine_line(&stderr, is_unreachable_line)
            ),
            ErrorKind::PermissionDenied => format!(
                "permission denied on the container engine's socket: {}",
                engine_line(&stderr, is_permission_line)
            ),
            ErrorKind::NoSuchObject => {
                strip_prefixes(engine_line(&stderr, |line| is_missing_line(line, context)))
                    .to_string()
            }
            // Failed and NameInUse: the command, its status and its stderr.
            _ => String::new(),
        };
        Error {
            kind,
            message,
            stderr,
            status: status.code(),
            process: Some(Box::new(process)),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.process, self.message.is_empty()) {
            // The one rendering of a failed process.
            (Some(process), true) => write!(f, "{process}"),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.process.as_ref().and_then(std::error::Error::source)
    }
}

/// What the failed call was, where that changes how its stderr reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    /// Any call.
    Plain,
    /// `image inspect`: some engines say only "not found" for a missing image.
    ImageInspect,
}

/// Names the failure from the CLI's stderr. Docker, Podman and their
/// versions word these differently; the patterns below cover the ones
/// recorded in `fixtures/docker/`.
pub(crate) fn classify(stderr: &str, context: Context) -> ErrorKind {
    if stderr.lines().any(is_permission_line) {
        ErrorKind::PermissionDenied
    } else if stderr.lines().any(is_unreachable_line) {
        ErrorKind::EngineUnreachable
    } else if stderr.lines().any(|line| is_missing_line(line, context)) {
        ErrorKind::NoSuchObject
    } else if stderr.lines().any(is_name_in_use_line) {
        ErrorKind::NameInUse
    } else {
        ErrorKind::Failed
    }
}

fn is_permission_line(line: &str) -> bool {
    line.contains("permission denied while trying to connect")
}

fn is_unreachable_line(line: &str) -> bool {
    // "Error response from daemon" means the engine answered: a "no such
    // host" after it is about a registry the engine could not reach.
    if line.starts_with("Error response from daemon") {
        return false;
    }
    line.contains("Cannot connect to the Docker daemon")
        || line.contains("error during connect")
        || line.contains("unable to connect to Podman")
        || line.contains("connection refused")
        || line.contains("no such host")
}

fn is_missing_line(line: &str, context: Context) -> bool {
    let lower = line.to_ascii_lowercase();
    lower.contains("no such container")
        || lower.contains("no such image")
        || lower.contains("no such object")
        || lower.contains("image not known")
        || (context == Context::ImageInspect && lower.contains("not found"))
}

/// Docker: `Conflict. The container name "/x" is already in use by
/// container "…"`; Podman: `the container name "x" is already in use by …`.
fn is_name_in_use_line(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    lower.contains("container name") && lower.contains("is already in use")
}

/// The first line of `stderr` that `pick` chooses, else its last line.
fn engine_line(stderr: &str, pick: impl Fn(&str) -> bool) -> &str {
    let lines = || stderr.lines().map(str::trim).filter(|l| !l.is_empty());
    lines()
        .find(|l| pick(l))
        .or_else(|| lines().next_back())
        .unwrap_or("")
}

/// "Error response from daemon: No such container: x" reads better as
/// "No such container: x" once it is clear the engine said it.
fn strip_prefixes(line: &str) -> &str {
    let mut line = line;
    for prefix in ["Error response from daemon: ", "Error: ", "error: "] {
        if let Some(rest) = line.strip_prefix(prefix) {
            line = rest;
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/../../fixtures/docker/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn exit(code: i32) -> ExitStatus {
        ExitStatus::from_raw(code << 8)
    }

    #[test]
    fn recorded_stderr_is_classified() {
        let cases = [
            (
                "engine-20.10/no-such-container.txt",
                Context::Plain,
                ErrorKind::NoSuchObject,
            ),
            (
                "engine-20.10/exec-no-such-container.txt",
                Context::Plain,
                ErrorKind::NoSuchObject,
            ),
            (
                "engine-20.10/no-such-image.txt",
                Context::ImageInspect,
                ErrorKind::NoSuchObject,
            ),
            (
                "engine-20.10/rmi-no-such-image.txt",
                Context::Plain,
                ErrorKind::NoSuchObject,
            ),
            (
                "engine-20.10/daemon-unreachable.txt",
                Context::Plain,
                ErrorKind::EngineUnreachable,
            ),
            (
                "engine-20.10/daemon-unreachable-unix.txt",
                Context::Plain,
                ErrorKind::EngineUnreachable,
            ),
            (
                "engine-20.10/permission-denied.txt",
                Context::Plain,
                ErrorKind::PermissionDenied,
            ),
            (
                "engine-20.10/pull-no-registry.txt",
                Context::Plain,
                ErrorKind::Failed,
            ),
            (
                "engine-20.10/error-during-connect-ssh.txt",
                Context::Plain,
                ErrorKind::EngineUnreachable,
            ),
            (
                "docker-25/no-such-image.txt",
                Context::ImageInspect,
                ErrorKind::NoSuchObject,
            ),
            (
                "docker-25/error-during-connect.txt",
                Context::Plain,
                ErrorKind::EngineUnreachable,
            ),
            (
                "podman-4.3/no-such-container.txt",
                Context::Plain,
                ErrorKind::NoSuchObject,
            ),
            (
                "podman-4.3/container-inspect-some-missing.stderr.txt",
                Context::Plain,
                ErrorKind::NoSuchObject,
            ),
            (
                "podman-4.3/exec-no-such-container.txt",
                Context::Plain,
                ErrorKind::NoSuchObject,
            ),
            (
                "podman-4.3/no-such-image.txt",
                Context::ImageInspect,
                ErrorKind::NoSuchObject,
            ),
            (
                "podman-4.3/rmi-no-such-image.txt",
                Context::Plain,
                ErrorKind::NoSuchObject,
            ),
            (
                "podman-4.3/unreachable.txt",
                Context::Plain,
                ErrorKind::EngineUnreachable,
            ),
            (
                "engine-20.10/create-name-in-use.txt",
                Context::Plain,
                ErrorKind::NameInUse,
            ),
            (
                "podman-4.3/create-name-in-use.txt",
                Context::Plain,
                ErrorKind::NameInUse,
            ),
            (
                "podman-4.3/name-in-use.txt",
                Context::Plain,
                ErrorKind::NameInUse,
            ),
            (
                "engine-20.10-states/name-in-use.txt",
                Context::Plain,
                ErrorKind::NameInUse,
            ),
            (
                "engine-20.10/image-inspect-some-missing.stderr.txt",
                Context::ImageInspect,
                ErrorKind::NoSuchObject,
            ),
            (
                "podman-4.3/image-inspect-some-missing.stderr.txt",
                Context::ImageInspect,
                ErrorKind::NoSuchObject,
            ),
            (
                "engine-20.10/rmi-in-use.txt",
                Context::Plain,
                ErrorKind::Failed,
            ),
            (
                "podman-4.3/rmi-in-use.txt",
                Context::Plain,
                ErrorKind::Failed,
            ),
        ];
        for (name, context, expected) in cases {
            assert_eq!(classify(&fixture(name), context), expected, "{name}");
        }
    }

    #[test]
    fn not_found_means_missing_only_for_image_inspect() {
        assert_eq!(
            classify("Error: manifest not found", Context::Plain),
            ErrorKind::Failed
        );
        assert_eq!(
            classify("Error: manifest not found", Context::ImageInspect),
            ErrorKind::NoSuchObject
        );
    }

    #[test]
    fn a_removal_in_progress_is_told_apart() {
        let stderr = fixture("engine-20.10/rm-in-progress.txt");
        let error = Error::from_failure("docker rm", exit(1), stderr.as_bytes(), Context::Plain);
        assert!(error.is_removal_in_progress());
        let stderr = fixture("engine-20.10/no-such-container.txt");
        let error = Error::from_failure("docker rm", exit(1), stderr.as_bytes(), Context::Plain);
        assert!(!error.is_removal_in_progress());
    }

    #[test]
    fn an_image_in_use_is_told_apart() {
        for name in ["engine-20.10/rmi-in-use.txt", "podman-4.3/rmi-in-use.txt"] {
            let stderr = fixture(name);
            let error =
                Error::from_failure("docker rmi", exit(1), stderr.as_bytes(), Context::Plain);
            assert!(error.is_in_use(), "{name}");
        }
        let stderr = fixture("engine-20.10/rmi-no-such-image.txt");
        let error = Error::from_failure("docker rmi", exit(1), stderr.as_bytes(), Context::Plain);
        assert!(!error.is_in_use());
    }

    #[test]
    fn failed_reads_like_cargo() {
        let error = Error::from_failure(
            "docker commit abc web",
            exit(1),
            b"Error response from daemon: something broke\n",
            Context::Plain,
        );
        assert_eq!(error.kind(), &ErrorKind::Failed);
        assert_eq!(
            error.to_string(),
            "process didn't exit successfully: `docker commit abc web` (exit status: 1)\n\
             --- stderr\nError response from daemon: something broke"
        );
        assert_eq!(error.status(), Some(1));
    }

    #[test]
    fn failed_keeps_the_stderr_tail() {
        let stderr: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let error = Error::from_failure("docker x", exit(2), stderr.as_bytes(), Context::Plain);
        let message = error.to_string();
        assert!(message.ends_with("line 99"));
        assert!(message.contains("\nline 80\n"));
        assert!(!message.contains("line 79\n"));
    }

    #[test]
    fn unreachable_is_one_line_plus_the_engines() {
        let stderr = fixture("engine-20.10/daemon-unreachable.txt");
        let error = Error::from_failure("docker ps", exit(1), stderr.as_bytes(), Context::Plain);
        let message = error.to_string();
        // One line: the engine's own words after ours.
        assert_eq!(
            message,
            format!("cannot connect to the container engine: {}", stderr.trim())
        );
    }

    #[test]
    fn missing_object_message_is_the_engines_words() {
        let stderr = fixture("engine-20.10/no-such-container.txt");
        let error =
            Error::from_failure("docker inspect", exit(1), stderr.as_bytes(), Context::Plain);
        assert_eq!(error.to_string(), "No such container: nope-nope");
    }

    #[test]
    fn cli_not_found_says_how_to_fix_it() {
        let error = Error::cli_not_found("");
        assert_eq!(
            error.to_string(),
            "docker CLI not found on PATH; install it or set REDOCK_DOCKER"
        );
    }

    #[test]
    fn name_in_use_keeps_the_failure_message() {
        let stderr = fixture("engine-20.10/create-name-in-use.txt");
        let error = Error::from_failure(
            "docker create --name redock-name-in-use x",
            exit(1),
            stderr.as_bytes(),
            Context::Plain,
        );
        assert_eq!(error.kind(), &ErrorKind::NameInUse);
        assert_eq!(
            error.to_string(),
            format!(
                "process didn't exit successfully: `docker create --name redock-name-in-use x` \
                 (exit status: 1)\n--- stderr\n{}",
                stderr.trim_end()
            )
        );
    }
}
