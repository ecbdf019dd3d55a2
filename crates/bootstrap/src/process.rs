//! Running a local process with its streams wired the way this crate needs:
//! input fed from memory, output shown live or captured, and the end of the
//! standard error kept for the error message.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::process::{Command, ExitStatus, Stdio};

use crate::error::{Error, ErrorKind};
use crate::quote;

/// How many lines of a failed command's standard error its error keeps.
const TAIL_LINES: usize = 20;
/// How long one kept line may grow; a progress bar redrawn with `\r` never
/// ends its line, and must not fill memory.
const TAIL_LINE_BYTES: usize = 4096;

/// Where a child's standard input comes from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Input<'a> {
    /// Our own standard input, e.g. the terminal.
    Inherit,
    /// Nothing: the child reads end-of-file at once.
    Null,
    /// These bytes, after which the child reads end-of-file.
    Bytes(&'a [u8]),
}

/// Where a child's standard output goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Output {
    /// Our own standard output.
    Inherit,
    /// Nowhere.
    Null,
    /// Into [`Finished::stdout`].
    Capture,
}

/// Where a child's standard error goes; its end is kept in every case but
/// `Inherit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Errors {
    /// Our own standard error, directly; nothing is kept.
    Inherit,
    /// Copied to our standard error as it arrives, and its end kept.
    Tee,
    /// Only its end kept.
    Keep,
}

/// A process to run: the program and its arguments.
#[derive(Clone, Debug)]
pub(crate) struct Invocation {
    pub(crate) program: OsString,
    pub(crate) args: Vec<OsString>,
}

impl Invocation {
    /// The command line, quoted for a POSIX shell, for messages.
    pub(crate) fn display(&self) -> String {
        let mut argv = Vec::with_capacity(self.args.len() + 1);
        argv.push(self.program.clone());
        argv.extend(self.args.iter().cloned());
        quote::join(&argv).to_string_lossy().into_owned()
    }
}

/// What a finished process left behind.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr_tail: String,
}

impl Finished {
    /// Turns an unsuccessful exit into [`ErrorKind::ExternalCommandFailed`].
    pub(crate) fn check(self, invocation: &Invocation) -> Result<Finished, Error> {
        if self.status.success() {
            return Ok(self);
        }
        use std::os::unix::process::ExitStatusExt;
        Err(Error::new(ErrorKind::ExternalCommandFailed {
            command: invocation.display(),
            code: self.status.code(),
            signal: self.status.signal(),
            stderr_tail: self.stderr_tail,
        }))
    }
}

/// Runs `invocation` to its end. Input is written and both outputs are read
/// on their own threads, so that a child blocked on one pipe never waits for
/// us to drain another.
pub(crate) fn run(
    invocation: &Invocation,
    input: Input<'_>,
    output: Output,
    errors: Errors,
) -> Result<Finished, Error> {
    let mut command = Command::new(&invocation.program);
    command.args(&invocation.args);
    command.stdin(match input {
        Input::Inherit => Stdio::inherit(),
        Input::Null => Stdio::null(),
        Input::Bytes(_) => Stdio::piped(),
    });
    command.stdout(match output {
        Output::Inherit => Stdio::inherit(),
        Output::Null => Stdio::null(),
        Output::Capture => Stdio::piped(),
    });
    command.stderr(match errors {
        Errors::Inherit => Stdio::inherit(),
        Errors::Tee | Errors::Keep => Stdio::piped(),
    });

    let mut child = command.spawn().map_err(|e| spawn_error(invocation, e))?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();

    let (stdout, stderr_tail) = std::thread::scope(|scope| {
        if let (Some(mut pipe), Input::Bytes(bytes)) = (stdin, input) {
            scope.spawn(move || {
                // A child that exits without reading all of its input closes
                // the pipe; its exit status, not the broken pipe, tells
                // whether it failed.
                let _ = pipe.write_all(bytes);
                // Dropping the pipe here sends end-of-file.
            });
        }
        let stderr_reader = stderr.map(|pipe| {
            let echo = errors == Errors::Tee;
            scope.spawn(move || keep_tail(pipe, echo))
        });
        let mut captured = Vec::new();
        let stdout_result = match stdout {
            Some(mut pipe) => pipe.read_to_end(&mut captured).map(|_| ()),
            None => Ok(()),
        };
        let tail = match stderr_reader {
            Some(handle) => handle.join().unwrap_or_default(),
            None => String::new(),
        };
        (stdout_result.map(|()| captured), tail)
    });

    let status = child.wait().map_err(|e| {
        Error::with_source(
            ErrorKind::Io {
                action: format!("wait for `{}`", invocation.display()),
            },
            e,
        )
    })?;
    let stdout = stdout.map_err(|e| {
        Error::with_source(
            ErrorKind::Io {
                action: format!("read the output of `{}`", invocation.display()),
            },
            e,
        )
    })?;
    Ok(Finished {
        status,
        stdout,
        stderr_tail,
    })
}

fn spawn_error(invocation: &Invocation, error: io::Error) -> Error {
    if error.kind() == io::ErrorKind::NotFound {
        return Error::with_source(
            ErrorKind::ProgramNotFound {
                program: invocation.program.to_string_lossy().into_owned(),
            },
            error,
        );
    }
    Error::with_source(
        ErrorKind::Io {
            action: format!("run `{}`", invocation.display()),
        },
        error,
    )
}

/// Reads `pipe` to its end, copying it to our standard error as it comes
/// when `echo` is set, and returns its last lines.
fn keep_tail(mut pipe: impl Read, echo: bool) -> String {
    let mut tail = Tail::default();
    let mut buffer = [0u8; 8192];
    loop {
        match pipe.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                if echo {
                    // Our standard error going away must not stop us reading
                    // the child's, or the child would block.
                    let _ = io::stderr().write_all(&buffer[..n]);
                }
                tail.push(&buffer[..n]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    tail.finish()
}

/// The last [`TAIL_LINES`] lines of a stream, each cut to its last
/// [`TAIL_LINE_BYTES`] bytes.
#[derive(Default)]
pub(crate) struct Tail {
    lines: VecDeque<Vec<u8>>,
    current: Vec<u8>,
}

impl Tail {
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if byte == b'\n' {
                let line = std::mem::take(&mut self.current);
                self.lines.push_back(line);
                if self.lines.len() > TAIL_LINES {
                    self.lines.pop_front();
                }
            } else {
                self.current.push(byte);
                if self.current.len() > 2 * TAIL_LINE_BYTES {
                    let excess = self.current.len() - TAIL_LINE_BYTES;
                    self.current.drain(..excess);
                }
            }
        }
    }

    pub(crate) fn finish(mut self) -> String {
        if !self.current.is_empty() {
            self.push(b"\n");
        }
        let mut out = Vec::new();
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 {
                out.push(b'\n');
            }
            let start = line.len().saturating_sub(TAIL_LINE_BYTES);
            out.extend_from_slice(&line[start..]);
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Invocation {
        Invocation {
            program: "sh".into(),
            args: vec!["-c".into(), script.into()],
        }
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let mut tail = Tail::default();
        for i in 0..50 {
            tail.push(format!("line {i}\n").as_bytes());
        }
        let expected: Vec<String> = (30..50).map(|i| format!("line {i}")).collect();
        assert_eq!(tail.finish(), expected.join("\n"));
    }

    #[test]
    fn tail_keeps_an_unfinished_last_line() {
        let mut tail = Tail::default();
        tail.push(b"one\ntw");
        tail.push(b"o");
        assert_eq!(tail.finish(), "one\ntwo");
    }

    #[test]
    fn tail_cuts_endless_lines() {
        let mut tail = Tail::default();
        for _ in 0..10_000 {
            tail.push(b"progress 10%\r");
        }
        let text = tail.finish();
        assert_eq!(text.len(), TAIL_LINE_BYTES);
        assert!(text.ends_with("progress 10%\r"));
    }

    #[test]
    fn tail_of_nothing_is_empty() {
        assert_eq!(Tail::default().finish(), "");
    }

    #[test]
    fn large_input_and_outputs_do_not_deadlock() {
        // More than any pipe buffer in each direction at once: the child
        // echoes its input to stdout and writes as much to stderr.
        let input = vec![b'x'; 1 << 20];
        let finished = run(
            &sh("tee /dev/stderr"),
            Input::Bytes(&input),
            Output::Capture,
            Errors::Keep,
        )
        .unwrap();
        assert!(finished.status.success());
        assert_eq!(finished.stdout, input);
        assert_eq!(finished.stderr_tail.len(), TAIL_LINE_BYTES);
    }

    #[test]
    fn failure_carries_code_and_stderr_tail() {
        let invocation = sh("echo to stdout; echo first >&2; echo last >&2; exit 3");
        let error = run(&invocation, Input::Null, Output::Capture, Errors::Keep)
            .unwrap()
            .check(&invocation)
            .unwrap_err();
        assert_eq!(
            error.kind(),
            &ErrorKind::ExternalCommandFailed {
                command: "sh -c 'echo to stdout; echo first >&2; echo last >&2; exit 3'".into(),
                code: Some(3),
                signal: None,
                stderr_tail: "first\nlast".into(),
            }
        );
    }

    #[test]
    fn killed_process_reports_the_signal() {
        let invocation = sh("kill -9 $$");
        let error = run(&invocation, Input::Null, Output::Null, Errors::Keep)
            .unwrap()
            .check(&invocation)
            .unwrap_err();
        match error.kind() {
            ErrorKind::ExternalCommandFailed { code, signal, .. } => {
                assert_eq!((*code, *signal), (None, Some(9)));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn child_ignoring_its_input_is_not_an_error() {
        let input = vec![b'x'; 1 << 20];
        let finished = run(
            &sh("exit 0"),
            Input::Bytes(&input),
            Output::Null,
            Errors::Keep,
        )
        .unwrap();
        assert!(finished.status.success());
    }

    #[test]
    fn missing_program_is_program_not_found() {
        let invocation = Invocation {
            program: "/nonexistent/redock-no-such-program".into(),
            args: vec![],
        };
        let error = run(&invocation, Input::Null, Output::Null, Errors::Keep).unwrap_err();
        assert_eq!(
            error.kind(),
            &ErrorKind::ProgramNotFound {
                program: "/nonexistent/redock-no-such-program".into()
            }
        );
    }
}
