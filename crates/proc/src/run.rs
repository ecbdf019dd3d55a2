//! Running a [`Cmd`]: on duct where it fits, by hand where it does not, the
//! process groups and deadlines the same way for both.

use std::io::{self, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::group::{self, Fate, Watched};
use crate::tail::Tail;
use crate::{signals, Cmd, Output, Pipeline, ProcessError, Stderr, Stdin, Stdout};

/// The duct expression for `cmd`'s program, environment, standard input
/// and process group; the caller adds the outputs.
fn expression(cmd: &Cmd) -> Result<duct::Expression, ProcessError> {
    let program = program(cmd)?;
    Ok(match &cmd.stdin {
        Stdin::Null => program.stdin_null(),
        Stdin::Inherit => program,
        Stdin::Bytes(bytes) => program.stdin_bytes(bytes.clone()),
    })
}

/// The duct expression for `cmd`'s program, environment and process group.
fn program(cmd: &Cmd) -> Result<duct::Expression, ProcessError> {
    let mut expression = duct::cmd(&cmd.program, &cmd.args);
    for (key, value) in &cmd.envs {
        expression = expression.env(key, value);
    }
    if !cmd.foreground {
        expression = expression.before_spawn(|command| {
            command.process_group(0);
            Ok(())
        });
    }
    Ok(expression)
}

/// One program whose standard error is captured or inherited.
pub(crate) fn single(cmd: &Cmd) -> Result<Output, ProcessError> {
    let mut expression = expression(cmd)?;
    expression = match cmd.stdout {
        Stdout::Capture => expression.stdout_capture(),
        Stdout::Inherit => expression,
        Stdout::Null => expression.stdout_null(),
    };
    if cmd.stderr == Stderr::Capture {
        expression = expression.stderr_capture();
    }
    on_duct(
        expression.unchecked(),
        cmd.display(),
        cmd.deadline,
        cmd.foreground,
    )
}

/// `left | right`, the right side's standard output and both standard
/// errors captured; the right side's own standard input is the pipe.
pub(crate) fn pipeline(pipeline: &Pipeline) -> Result<Output, ProcessError> {
    let expression = expression(&pipeline.left)?
        .pipe(program(&pipeline.right)?.stdout_capture())
        .stderr_capture()
        .unchecked();
    on_duct(expression, pipeline.display(), pipeline.deadline, false)
}

fn on_duct(
    expression: duct::Expression,
    command: String,
    deadline: Option<Duration>,
    foreground: bool,
) -> Result<Output, ProcessError> {
    let since = group::generation();
    let handle = expression
        .start()
        .map_err(|e| ProcessError::spawn(command.clone(), e))?;
    let watched = (!foreground).then(|| group::watch(&handle.pids(), since));
    let (output, fate) = supervise(watched, deadline, || handle.into_output());
    let output = output.map_err(|e| ProcessError::io(command.clone(), "wait for", e))?;
    let output = Output {
        status: output.status,
        stdout: output.stdout,
        stderr: output.stderr,
        combined: Vec::new(),
        command,
    };
    conclude(output, fate, foreground, since)
}

/// Waits for a run with `wait`, enforcing `deadline` on its groups while
/// it lasts; returns what `wait` gave and why the run was killed, if it was.
fn supervise<T>(
    watched: Option<Watched>,
    deadline: Option<Duration>,
    wait: impl FnOnce() -> T,
) -> (T, Option<Fate>) {
    let Some(watched) = watched else {
        return (wait(), None);
    };
    thread::scope(|scope| {
        let (done, finished) = mpsc::channel::<()>();
        if let Some(deadline) = deadline {
            let id = watched.id();
            scope.spawn(move || group::enforce(id, deadline, finished));
        }
        let result = wait();
        // Deregistered before the watchdog hears of it, so that it never
        // signals a group whose run is over.
        let fate = watched.finish();
        drop(done);
        (result, fate)
    })
}

/// The result of a run that ended, given why it was killed, if it was. A
/// foreground child is never killed by redock; one that failed while a
/// signal arrived counts as interrupted, like the others.
fn conclude(
    output: Output,
    fate: Option<Fate>,
    foreground: bool,
    since: u64,
) -> Result<Output, ProcessError> {
    let fate = match fate {
        None if foreground && !output.success() && group::generation() != since => {
            signals::received().map(Fate::Interrupted)
        }
        fate => fate,
    };
    match fate {
        None => Ok(output),
        Some(Fate::TimedOut(waited)) => Err(ProcessError::timeout(output.command, waited)),
        Some(Fate::Interrupted(signal)) => Err(ProcessError::interrupted(output.command, signal)),
    }
}

/// Which pipe a chunk came from.
enum Chunk {
    Out(Vec<u8>),
    Err(Vec<u8>),
}

/// One program run by hand: standard error shown live while its end is
/// kept, or both outputs seen line by line by `on_line`.
pub(crate) fn streamed(
    cmd: &Cmd,
    on_line: Option<&mut dyn FnMut(&str)>,
) -> Result<Output, ProcessError> {
    let command_line = cmd.display();
    let mut command = std::process::Command::new(&cmd.program);
    command.args(&cmd.args);
    command.envs(cmd.envs.iter().map(|(k, v)| (k, v)));
    command.stdin(match cmd.stdin {
        Stdin::Null => Stdio::null(),
        Stdin::Inherit => Stdio::inherit(),
        Stdin::Bytes(_) => Stdio::piped(),
    });
    command.stdout(match cmd.stdout {
        Stdout::Capture => Stdio::piped(),
        Stdout::Inherit => Stdio::inherit(),
        Stdout::Null => Stdio::null(),
    });
    command.stderr(match cmd.stderr {
        Stderr::Capture | Stderr::Tee | Stderr::Tail => Stdio::piped(),
        Stderr::Inherit => Stdio::inherit(),
    });
    if !cmd.foreground {
        command.process_group(0);
    }

    let since = group::generation();
    let mut child = command
        .spawn()
        .map_err(|e| ProcessError::spawn(command_line.clone(), e))?;
    let watched = (!cmd.foreground).then(|| group::watch(&[child.id()], since));
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let keep = match cmd.stderr {
        Stderr::Tee => Keep::Tee,
        Stderr::Tail => Keep::Tail,
        Stderr::Capture | Stderr::Inherit => Keep::All,
    };

    let ((collected, read_error, status), fate) = supervise(watched, cmd.deadline, || {
        thread::scope(|scope| {
            if let (Some(mut pipe), Stdin::Bytes(bytes)) = (stdin, &cmd.stdin) {
                scope.spawn(move || {
                    // A child may exit without reading all its input; what
                    // it did is in its exit status, not in a broken pipe.
                    let _ = pipe.write_all(bytes);
                    // Dropping the pipe here sends end-of-file.
                });
            }
            let (sender, receiver) = mpsc::channel();
            let readers = [
                stdout.map(|pipe| read_into(scope, pipe, sender.clone(), Chunk::Out)),
                stderr.map(|pipe| read_into(scope, pipe, sender.clone(), Chunk::Err)),
            ];
            drop(sender);
            let mut collected = Collected::new(keep, on_line);
            for chunk in receiver {
                collected.take(chunk);
            }
            collected.end();
            let mut read_error = None;
            for reader in readers.into_iter().flatten() {
                if let Ok(Err(e)) = reader.join() {
                    read_error.get_or_insert(e);
                }
            }
            (collected, read_error, child.wait())
        })
    });
    let status = status.map_err(|e| ProcessError::io(command_line.clone(), "wait for", e))?;
    if let Some(fate) = fate {
        let output = collected.into_output(status, command_line);
        return conclude(output, Some(fate), cmd.foreground, since);
    }
    if let Some(e) = read_error {
        return Err(ProcessError::io(command_line, "read the output of", e));
    }
    conclude(
        collected.into_output(status, command_line),
        None,
        cmd.foreground,
        since,
    )
}

/// Reads `pipe` to its end on a thread, sending each chunk as it comes.
fn read_into<'scope, R: Read + Send + 'scope>(
    scope: &'scope thread::Scope<'scope, '_>,
    mut pipe: R,
    sender: mpsc::Sender<Chunk>,
    wrap: fn(Vec<u8>) -> Chunk,
) -> thread::ScopedJoinHandle<'scope, io::Result<()>> {
    scope.spawn(move || {
        let mut buffer = [0u8; 8192];
        loop {
            match pipe.read(&mut buffer) {
                Ok(0) => return Ok(()),
                // The receiver only goes away when collecting is over.
                Ok(n) => drop(sender.send(wrap(buffer[..n].to_vec()))),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    })
}

/// What a streamed run keeps of standard error.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    All,
    /// Its last lines, and it is shown as it comes.
    Tee,
    /// Its last lines.
    Tail,
}

/// What the reading of a streamed run keeps, and whom it shows lines to.
struct Collected<'a> {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Standard error's last lines, where only those are kept.
    tail: Option<Tail>,
    echo: bool,
    combined: Vec<u8>,
    /// The unfinished last line of each stream, so that a line of one is
    /// never cut by a chunk of the other.
    pending: [Vec<u8>; 2],
    on_line: Option<&'a mut dyn FnMut(&str)>,
}

impl<'a> Collected<'a> {
    fn new(keep: Keep, on_line: Option<&'a mut dyn FnMut(&str)>) -> Collected<'a> {
        Collected {
            stdout: Vec::new(),
            stderr: Vec::new(),
            tail: (keep != Keep::All).then(Tail::default),
            echo: keep == Keep::Tee,
            combined: Vec::new(),
            pending: [Vec::new(), Vec::new()],
            on_line,
        }
    }

    fn take(&mut self, chunk: Chunk) {
        let (stream, bytes) = match chunk {
            Chunk::Out(bytes) => {
                self.stdout.extend_from_slice(&bytes);
                (0, bytes)
            }
            Chunk::Err(bytes) => {
                if self.echo {
                    // Our standard error going away must not stop the
                    // reading of the child's, or the child would block.
                    let _ = io::stderr().write_all(&bytes);
                }
                match &mut self.tail {
                    Some(tail) => tail.push(&bytes),
                    None => self.stderr.extend_from_slice(&bytes),
                }
                (1, bytes)
            }
        };
        let Some(on_line) = self.on_line.as_mut() else {
            return;
        };
        self.combined.extend_from_slice(&bytes);
        let pending = &mut self.pending[stream];
        pending.extend_from_slice(&bytes);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            on_line(String::from_utf8_lossy(&line[..line.len() - 1]).trim_end_matches('\r'));
        }
    }

    /// Shows the unfinished last lines.
    fn end(&mut self) {
        if let Some(on_line) = self.on_line.as_mut() {
            for pending in &mut self.pending {
                if !pending.is_empty() {
                    on_line(&String::from_utf8_lossy(pending));
                    pending.clear();
                }
            }
        }
    }

    fn into_output(self, status: std::process::ExitStatus, command: String) -> Output {
        let stderr = match self.tail {
            Some(tail) => tail.text().into_bytes(),
            None => self.stderr,
        };
        Output {
            status,
            stdout: self.stdout,
            stderr,
            combined: self.combined,
            command,
        }
    }
}

pub(crate) fn exec_replace(cmd: &Cmd) -> ProcessError {
    let command_line = cmd.display();
    if let Some(signal) = signals::received() {
        return ProcessError::interrupted(command_line, signal);
    }
    let mut command = std::process::Command::new(&cmd.program);
    command.args(&cmd.args);
    command.envs(cmd.envs.iter().map(|(k, v)| (k, v)));
    ProcessError::spawn(command_line, command.exec())
}
