//! redock's one process layer: every program redock runs (docker, ssh,
//! ssh-keygen, rsync, tar, debootstrap) is run through [`Cmd`].
//!
//! A `Cmd` is a value: the program, its arguments and environment, where its
//! streams go, and an optional deadline. Running it reads standard output
//! and standard error at the same time (never one after the other, so a
//! child filling one pipe never waits on redock reading the other), feeds
//! standard input from memory on a thread of its own, and returns an
//! [`Output`] or one [`ProcessError`], whose message reads like cargo's.
//!
//! ```
//! use std::time::Duration;
//! use proc::Cmd;
//!
//! # fn main() -> Result<(), proc::ProcessError> {
//! let out = Cmd::new("sh")
//!     .args(["-c", "cat; echo done >&2"])
//!     .stdin_bytes("hello\n")
//!     .deadline(Duration::from_secs(30))
//!     .run()?;
//! assert_eq!(out.stdout, b"hello\n");
//! assert_eq!(out.stderr, b"done\n");
//!
//! let error = Cmd::new("sh").args(["-c", "echo oops >&2; exit 3"]).run().unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     "process didn't exit successfully: `sh -c 'echo oops >&2; exit 3'` (exit status: 3)\n\
//!      --- stderr\noops"
//! );
//! # Ok(())
//! # }
//! ```
//!
//! # Process groups, deadlines and signals
//!
//! A child runs in a process group of its own unless it is a
//! [foreground](Cmd::foreground) one (an interactive session on the
//! terminal). At its [deadline](Cmd::deadline) the whole group gets SIGTERM,
//! then SIGKILL after a short grace, so that whatever the child started ends
//! with it, and the call fails with [`ProcessErrorKind::Timeout`], one line
//! naming the command and the time waited. Since such a group no longer
//! gets the terminal's Ctrl-C, a program using this crate calls
//! [`signals::install`] first thing in `main`; see [`signals`].
//!
//! # What runs it
//!
//! Captured runs, input from memory and pipelines ([`Cmd::pipe`], e.g.
//! `tar | docker import`) run on `duct`. Standard error shown live while
//! its end is kept ([`Cmd::stderr_tee`]) or only its end kept
//! ([`Cmd::stderr_tail`]), output seen line by line as it
//! arrives ([`Cmd::output_lines`]), programs left running while the caller
//! goes on ([`Cmd::background`]) and the group handling are written here,
//! since duct does not offer them.

mod background;
mod error;
mod group;
mod quote;
mod run;
pub mod signals;
mod tail;

pub use background::Background;
pub use error::{seconds, ProcessError, ProcessErrorKind};
pub use quote::{display, join, needs_no_quotes, quote};
pub use tail::{Tail, TAIL_LINES};

use std::ffi::{OsStr, OsString};
use std::process::ExitStatus;
use std::time::Duration;

/// A program to run, and how.
///
/// By default its standard input is empty (`/dev/null`), its standard
/// output and standard error are captured, and it has no deadline.
#[derive(Clone, Debug)]
pub struct Cmd {
    program: OsString,
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
    stdin: Stdin,
    stdout: Stdout,
    stderr: Stderr,
    deadline: Option<Duration>,
    foreground: bool,
}

#[derive(Clone, Debug)]
enum Stdin {
    Null,
    Inherit,
    Bytes(Vec<u8>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stdout {
    Capture,
    Inherit,
    Null,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stderr {
    Capture,
    Tee,
    Tail,
    Inherit,
}

/// What a finished program left behind.
#[derive(Clone, Debug)]
pub struct Output {
    /// How it ended.
    pub status: ExitStatus,
    /// Its standard output, where captured.
    pub stdout: Vec<u8>,
    /// Its standard error, where captured; with [`Cmd::stderr_tee`] and
    /// [`Cmd::stderr_tail`], only its last lines.
    pub stderr: Vec<u8>,
    /// Standard output and standard error in the order their chunks
    /// arrived; only [`Cmd::output_lines`] fills it.
    pub combined: Vec<u8>,
    command: String,
}

impl Output {
    /// The command line, as messages show it.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Whether it exited with status 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// The exit status as a shell shows it: the code, or 128 + the signal
    /// that killed it.
    pub fn code(&self) -> i32 {
        use std::os::unix::process::ExitStatusExt;
        self.status
            .code()
            .or_else(|| self.status.signal().map(|signal| 128 + signal))
            .unwrap_or(-1)
    }

    /// The output itself when it succeeded, else a
    /// [`ProcessErrorKind::Failed`] error.
    pub fn check(self) -> Result<Output, ProcessError> {
        if self.success() {
            Ok(self)
        } else {
            Err(self.failure())
        }
    }

    /// The [`ProcessErrorKind::Failed`] error this output stands for.
    pub fn failure(&self) -> ProcessError {
        ProcessError::failed(self.command.clone(), self.status, &self.stderr)
    }
}

impl Cmd {
    /// Runs `program`: a path, or a name looked up on PATH.
    pub fn new(program: impl Into<OsString>) -> Cmd {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            envs: Vec::new(),
            stdin: Stdin::Null,
            stdout: Stdout::Capture,
            stderr: Stderr::Capture,
            deadline: None,
            foreground: false,
        }
    }

    /// Adds one argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Cmd {
        self.args.push(arg.into());
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets a variable in the program's environment (ours is left alone).
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Cmd {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// Feeds `bytes` to the program's standard input, then end-of-file. A
    /// program that exits without reading them all is no error.
    pub fn stdin_bytes(mut self, bytes: impl Into<Vec<u8>>) -> Cmd {
        self.stdin = Stdin::Bytes(bytes.into());
        self
    }

    /// Gives the program our standard input.
    pub fn stdin_inherit(mut self) -> Cmd {
        self.stdin = Stdin::Inherit;
        self
    }

    /// Captures the program's standard output (the default).
    pub fn stdout_capture(mut self) -> Cmd {
        self.stdout = Stdout::Capture;
        self
    }

    /// Sends the program's standard output to ours.
    pub fn stdout_inherit(mut self) -> Cmd {
        self.stdout = Stdout::Inherit;
        self
    }

    /// Discards the program's standard output.
    pub fn stdout_null(mut self) -> Cmd {
        self.stdout = Stdout::Null;
        self
    }

    /// Copies the program's standard error to ours as it arrives, keeping
    /// only its last lines for [`Output::stderr`] and errors.
    pub fn stderr_tee(mut self) -> Cmd {
        self.stderr = Stderr::Tee;
        self
    }

    /// Keeps only the last lines of the program's standard error, for
    /// [`Output::stderr`] and errors, without showing it.
    pub fn stderr_tail(mut self) -> Cmd {
        self.stderr = Stderr::Tail;
        self
    }

    /// Sends the program's standard error to ours, keeping nothing.
    pub fn stderr_inherit(mut self) -> Cmd {
        self.stderr = Stderr::Inherit;
        self
    }

    /// Kills the program's process group when it runs longer than
    /// `deadline`; `None` waits as long as it takes. A foreground program
    /// has no group of its own, and no deadline.
    pub fn deadline(mut self, deadline: impl Into<Option<Duration>>) -> Cmd {
        self.deadline = deadline.into();
        self
    }

    /// Runs the program in redock's own process group, as an interactive
    /// session on the terminal must be: it gets the terminal's signals
    /// itself, and has no deadline.
    pub fn foreground(mut self) -> Cmd {
        self.foreground = true;
        self.deadline = None;
        self
    }

    /// The program.
    pub fn program(&self) -> &OsStr {
        &self.program
    }

    /// The arguments.
    pub fn get_args(&self) -> &[OsString] {
        &self.args
    }

    /// The command line as messages show it (see [`display`]).
    pub fn display(&self) -> String {
        display(&self.program, &self.args)
    }

    /// A pipeline: this program's standard output becomes `right`'s
    /// standard input.
    pub fn pipe(&self, right: &Cmd) -> Pipeline {
        Pipeline {
            left: self.clone(),
            right: right.clone(),
            deadline: None,
        }
    }

    /// Runs the program to its end; the output whatever its exit status.
    /// Only a failure to run it, its deadline or an interruption is an
    /// error.
    pub fn output(&self) -> Result<Output, ProcessError> {
        match self.stderr {
            Stderr::Tee | Stderr::Tail => run::streamed(self, None),
            Stderr::Capture | Stderr::Inherit => run::single(self),
        }
    }

    /// Runs the program to its end; exiting unsuccessfully is an error.
    pub fn run(&self) -> Result<Output, ProcessError> {
        self.output()?.check()
    }

    /// Runs the program with both outputs captured, showing each line of
    /// either to `on_line` as it arrives (for progress), and keeping both
    /// together in [`Output::combined`]. The output whatever its exit
    /// status.
    pub fn output_lines(&self, on_line: &mut dyn FnMut(&str)) -> Result<Output, ProcessError> {
        let mut cmd = self.clone();
        cmd.stdout = Stdout::Capture;
        cmd.stderr = Stderr::Capture;
        run::streamed(&cmd, Some(on_line))
    }

    /// Replaces this process with the program (`execve`), for a session
    /// that should look as if the user had run it. Returns only on failure;
    /// after a signal it does not replace anything and says so.
    pub fn exec_replace(&self) -> ProcessError {
        run::exec_replace(self)
    }
}

/// Two programs, the output of the first the input of the second, like
/// `tar -c . | docker import - x` in a shell. Each leads a process group of
/// its own.
#[derive(Clone, Debug)]
pub struct Pipeline {
    left: Cmd,
    right: Cmd,
    deadline: Option<Duration>,
}

impl Pipeline {
    /// Kills both programs' groups when the pipeline runs longer than
    /// `deadline`.
    pub fn deadline(mut self, deadline: impl Into<Option<Duration>>) -> Pipeline {
        self.deadline = deadline.into();
        self
    }

    /// `left | right`, as messages show it.
    pub fn display(&self) -> String {
        format!("{} | {}", self.left.display(), self.right.display())
    }

    /// Runs both to their end. [`Output::stdout`] is the second program's,
    /// [`Output::stderr`] both programs' together, and the status that of
    /// the second unless it succeeded and the first did not, as a shell's
    /// `pipefail` has it.
    pub fn output(&self) -> Result<Output, ProcessError> {
        run::pipeline(self)
    }
}

#[cfg(test)]
mod tests;
