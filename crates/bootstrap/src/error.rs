use std::fmt;

/// The error type of this crate: what went wrong ([`ErrorKind`]) and, where
/// there is one, the underlying cause as [`std::error::Error::source`].
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// The kinds of failure.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A program this crate runs (`ssh` or `rsync`) is not installed.
    ProgramNotFound {
        /// The program's name, or the path it was expected at.
        program: String,
    },
    /// A command ran but did not succeed: a local `ssh` or `rsync` process,
    /// which also stands for the remote command it ran.
    ExternalCommandFailed {
        /// The local command line, quoted so that it can be pasted into a shell.
        command: String,
        /// The exit code, or `None` when the process was killed by a signal.
        code: Option<i32>,
        /// The signal that killed the process, if it was killed.
        signal: Option<i32>,
        /// The last lines the process wrote to its standard error.
        stderr_tail: String,
    },
    /// Starting a process or talking to it failed; the source says why.
    Io {
        /// What was being done, e.g. "run `ssh -T -- web-container true`".
        action: String,
    },
    /// The host has none of the package managers this crate knows
    /// (apt-get, apk, dnf).
    NoPackageManager {
        /// The SSH alias of the host.
        alias: String,
    },
    /// The SSH alias cannot be used safely on a command line, e.g. because
    /// it starts with `-` and so would read as an option.
    InvalidAlias {
        /// The rejected alias.
        alias: String,
    },
    /// An argument was refused before anything ran.
    InvalidArgument {
        /// Why the argument was refused.
        message: String,
    },
    /// The program was killed because this process got SIGINT, SIGTERM or
    /// SIGHUP (see `proc::signals`); the source is the process error.
    Interrupted,
    /// The program outlived its deadline and was killed; the source is the
    /// process error.
    TimedOut,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error { kind, source: None }
    }

    pub(crate) fn with_source(
        kind: ErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Error {
        Error {
            kind,
            source: Some(source.into()),
        }
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument {
            message: message.into(),
        })
    }

    /// The error of running `program` as `error` says.
    pub(crate) fn from_process(program: &std::ffi::OsStr, error: proc::ProcessError) -> Error {
        use proc::ProcessErrorKind;
        let kind = match error.kind() {
            ProcessErrorKind::NotFound => ErrorKind::ProgramNotFound {
                program: program.to_string_lossy().into_owned(),
            },
            ProcessErrorKind::Failed => {
                use std::os::unix::process::ExitStatusExt;
                let status = error.status();
                ErrorKind::ExternalCommandFailed {
                    command: error.command().to_owned(),
                    code: status.and_then(|s| s.code()),
                    signal: status.and_then(|s| s.signal()),
                    stderr_tail: proc::Tail::of(error.stderr().trim_end().as_bytes()),
                }
            }
            ProcessErrorKind::Interrupted => ErrorKind::Interrupted,
            ProcessErrorKind::Timeout => ErrorKind::TimedOut,
            _ => ErrorKind::Io {
                action: format!("run `{}`", error.command()),
            },
        };
        Error::with_source(kind, error)
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The exit code of a failed command, if this error is one.
    pub fn exit_code(&self) -> Option<i32> {
        match self.kind {
            ErrorKind::ExternalCommandFailed { code, .. } => code,
            _ => None,
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::ProgramNotFound { program } => {
                write!(f, "the `{program}` program was not found")?;
                if !program.contains('/') {
                    write!(f, " on PATH")?;
                }
                Ok(())
            }
            ErrorKind::ExternalCommandFailed {
                command,
                code,
                signal,
                stderr_tail,
            } => {
                use std::os::unix::process::ExitStatusExt;
                use std::process::ExitStatus;
                let status = match (code, signal) {
                    (Some(code), _) => ExitStatus::from_raw((code & 0xff) << 8),
                    (None, Some(signal)) => ExitStatus::from_raw(*signal & 0x7f),
                    (None, None) => ExitStatus::from_raw(0xff << 8),
                };
                let error = proc::ProcessError::failed(command, status, stderr_tail.as_bytes());
                write!(f, "{error}")
            }
            ErrorKind::Interrupted | ErrorKind::TimedOut => match &self.source {
                Some(source) => write!(f, "{source}"),
                None => f.write_str("interrupted"),
            },
            ErrorKind::Io { action } => write!(f, "failed to {action}"),
            ErrorKind::NoPackageManager { alias } => write!(
                f,
                "no supported package manager (apt-get, apk or dnf) found on `{alias}`"
            ),
            ErrorKind::InvalidAlias { alias } => write!(
                f,
                "invalid SSH alias `{alias}`: it must be non-empty, must not start with `-` \
                 and must not hold `:`, whitespace or control characters"
            ),
            ErrorKind::InvalidArgument { message } => f.write_str(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_command_reads_like_cargo() {
        let error = Error::new(ErrorKind::ExternalCommandFailed {
            command: "ssh -T -- web-container false".into(),
            code: Some(1),
            signal: None,
            stderr_tail: "E: Unable to locate package nope".into(),
        });
        assert_eq!(
            error.to_string(),
            "process didn't exit successfully: `ssh -T -- web-container false` (exit status: 1)\n\
             --- stderr\nE: Unable to locate package nope"
        );
        assert_eq!(error.exit_code(), Some(1));
    }

    #[test]
    fn failed_command_without_stderr_has_no_section() {
        let error = Error::new(ErrorKind::ExternalCommandFailed {
            command: "rsync -a".into(),
            code: None,
            signal: Some(9),
            stderr_tail: String::new(),
        });
        assert_eq!(
            error.to_string(),
            "process didn't exit successfully: `rsync -a` (signal: 9 (SIGKILL))"
        );
        assert_eq!(error.exit_code(), None);
    }

    #[test]
    fn missing_program_names_it() {
        let error = Error::new(ErrorKind::ProgramNotFound {
            program: "rsync".into(),
        });
        assert_eq!(
            error.to_string(),
            "the `rsync` program was not found on PATH"
        );
    }

    #[test]
    fn io_error_keeps_its_source() {
        use std::error::Error as _;
        let error = Error::with_source(
            ErrorKind::Io {
                action: "run `ssh`".into(),
            },
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        );
        assert_eq!(error.to_string(), "failed to run `ssh`");
        assert!(error.source().is_some());
    }

    #[test]
    fn error_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Error>();
    }
}
