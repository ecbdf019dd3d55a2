//! The one error of a program run, and its one rendering.

use std::fmt;
use std::io;
use std::process::ExitStatus;
use std::time::Duration;

use crate::tail::Tail;

/// A program that could not be run, did not succeed, or was stopped.
///
/// Its message reads like cargo's:
///
/// ```text
/// process didn't exit successfully: `docker commit -m 'a b' x web` (exit status: 1)
/// --- stderr
/// Error response from daemon: …
/// ```
///
/// with the last lines of the program's standard error (when it wrote any);
/// a deadline or a signal gives one line, `(timed out after 30 s)` or
/// `(interrupted by SIGTERM)` in place of the exit status.
#[derive(Debug)]
pub struct ProcessError {
    kind: ProcessErrorKind,
    command: String,
    status: Option<ExitStatus>,
    stderr: String,
    waited: Option<Duration>,
    signal: Option<i32>,
    action: &'static str,
    source: Option<io::Error>,
}

/// The kinds of [`ProcessError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProcessErrorKind {
    /// The program was not found (the source is the I/O error).
    NotFound,
    /// The program could not be started or talked to (the source says why).
    Io,
    /// The program exited unsuccessfully or was killed by a signal redock
    /// did not send.
    Failed,
    /// The program outlived its deadline; its process group was killed.
    Timeout,
    /// redock got SIGINT, SIGTERM or SIGHUP while the program ran; its
    /// process group was killed.
    Interrupted,
}

impl ProcessError {
    /// A program that exited with `status` after writing `stderr`.
    pub fn failed(command: impl Into<String>, status: ExitStatus, stderr: &[u8]) -> ProcessError {
        ProcessError {
            status: Some(status),
            stderr: String::from_utf8_lossy(stderr).into_owned(),
            ..ProcessError::new(ProcessErrorKind::Failed, command.into())
        }
    }

    pub(crate) fn spawn(command: String, source: io::Error) -> ProcessError {
        let kind = match source.kind() {
            io::ErrorKind::NotFound => ProcessErrorKind::NotFound,
            _ => ProcessErrorKind::Io,
        };
        ProcessError {
            source: Some(source),
            ..ProcessError::new(kind, command)
        }
    }

    pub(crate) fn io(command: String, action: &'static str, source: io::Error) -> ProcessError {
        ProcessError {
            action,
            source: Some(source),
            ..ProcessError::new(ProcessErrorKind::Io, command)
        }
    }

    pub(crate) fn timeout(command: String, waited: Duration) -> ProcessError {
        ProcessError {
            waited: Some(waited),
            ..ProcessError::new(ProcessErrorKind::Timeout, command)
        }
    }

    pub(crate) fn interrupted(command: String, signal: i32) -> ProcessError {
        ProcessError {
            signal: Some(signal),
            ..ProcessError::new(ProcessErrorKind::Interrupted, command)
        }
    }

    fn new(kind: ProcessErrorKind, command: String) -> ProcessError {
        ProcessError {
            kind,
            command,
            status: None,
            stderr: String::new(),
            waited: None,
            signal: None,
            action: "execute process",
            source: None,
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ProcessErrorKind {
        self.kind
    }

    /// The command line, as messages show it.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// How the program ended, when it ran to its end.
    pub fn status(&self) -> Option<ExitStatus> {
        self.status
    }

    /// What the program wrote on its standard error (only what was kept of
    /// it where it was also shown live; empty where it was not captured).
    pub fn stderr(&self) -> &str {
        &self.stderr
    }

    /// How long redock waited before killing the program, for a timeout.
    pub fn waited(&self) -> Option<Duration> {
        self.waited
    }

    /// The signal redock got, for an interruption.
    pub fn signal(&self) -> Option<i32> {
        self.signal
    }
}

impl fmt::Display for ProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let command = &self.command;
        match self.kind {
            ProcessErrorKind::NotFound | ProcessErrorKind::Io => {
                write!(f, "could not {} `{command}`", self.action)?;
                if let Some(source) = &self.source {
                    write!(f, ": {source}")?;
                }
                Ok(())
            }
            ProcessErrorKind::Failed => {
                write!(f, "process didn't exit successfully: `{command}`")?;
                match self.status {
                    Some(status) => write!(f, " ({status})")?,
                    None => write!(f, " (unknown exit status)")?,
                }
                let tail = Tail::of(self.stderr.trim_end().as_bytes());
                if !tail.is_empty() {
                    write!(f, "\n--- stderr\n{tail}")?;
                }
                Ok(())
            }
            ProcessErrorKind::Timeout => {
                let waited = self.waited.unwrap_or_default();
                write!(
                    f,
                    "process didn't exit successfully: `{command}` (timed out after {})",
                    seconds(waited)
                )
            }
            ProcessErrorKind::Interrupted => {
                let signal = self.signal.unwrap_or_default();
                write!(
                    f,
                    "process didn't exit successfully: `{command}` (interrupted by {})",
                    crate::signals::name(signal)
                )
            }
        }
    }
}

impl std::error::Error for ProcessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A duration as messages show it: `30 s`, `0.5 s`.
pub fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    fn exit(code: i32) -> ExitStatus {
        ExitStatus::from_raw(code << 8)
    }

    #[test]
    fn failure_reads_like_cargo() {
        let error = ProcessError::failed(
            "docker commit -m 'a b' x web",
            exit(1),
            b"Error response from daemon: something broke\n",
        );
        assert_eq!(error.kind(), ProcessErrorKind::Failed);
        assert_eq!(
            error.to_string(),
            "process didn't exit successfully: `docker commit -m 'a b' x web` (exit status: 1)\n\
             --- stderr\nError response from daemon: something broke"
        );
    }

    #[test]
    fn failure_without_stderr_is_one_line() {
        let error = ProcessError::failed("rsync -a", ExitStatus::from_raw(9), b"\n");
        assert_eq!(
            error.to_string(),
            "process didn't exit successfully: `rsync -a` (signal: 9 (SIGKILL))"
        );
    }

    #[test]
    fn failure_shows_the_last_lines_of_stderr() {
        let stderr: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let message = ProcessError::failed("x", exit(2), stderr.as_bytes()).to_string();
        assert!(message.ends_with("\nline 99"));
        assert!(message.contains("\n--- stderr\nline 80\n"));
        assert_eq!(error_lines(&message), 2 + 20);
    }

    fn error_lines(message: &str) -> usize {
        message.lines().count()
    }

    #[test]
    fn timeout_and_interruption_are_one_line() {
        let error = ProcessError::timeout("docker ps -a".into(), Duration::from_millis(1500));
        assert_eq!(
            error.to_string(),
            "process didn't exit successfully: `docker ps -a` (timed out after 1.5 s)"
        );
        let error = ProcessError::interrupted("docker start -a x".into(), 15);
        assert_eq!(
            error.to_string(),
            "process didn't exit successfully: `docker start -a x` (interrupted by SIGTERM)"
        );
    }

    #[test]
    fn io_error_is_the_source() {
        use std::error::Error as _;
        let error = ProcessError::spawn(
            "nope --version".into(),
            io::Error::from(io::ErrorKind::NotFound),
        );
        assert_eq!(error.kind(), ProcessErrorKind::NotFound);
        assert!(error.source().is_some());
        assert!(error
            .to_string()
            .starts_with("could not execute process `nope --version`: "));
    }

    #[test]
    fn error_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<ProcessError>();
    }
}
