//! A program left running while its caller goes on ([`Cmd::background`]):
//! its standard output read line by line as it comes, and ended by its
//! caller, its deadline or a signal, with its process group.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use crate::group::{self, Fate, Watched};
use crate::{Cmd, Output, ProcessError, Stdin, Tail};

/// A program running in a process group of its own, as every child does
/// (see the crate's documentation): a signal or its deadline ends it like
/// any other run. Its input is fed from memory and then closed, its
/// standard output comes as lines ([`Background::next_line`]), and the last
/// lines of its standard error are kept for [`Background::finish`]. Dropped
/// unfinished, it is killed and reaped.
pub struct Background {
    child: Child,
    watched: Option<Watched>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<Tail>>,
    readers: Vec<JoinHandle<()>>,
    /// Dropped when the run is over, which ends the deadline's watch.
    running: Option<Sender<()>>,
    enforcer: Option<JoinHandle<()>>,
    command: String,
}

impl Cmd {
    /// Starts the program and returns at once; see [`Background`]. Its
    /// standard output and standard error are always read, whatever this
    /// `Cmd` says of them.
    pub fn background(&self) -> Result<Background, ProcessError> {
        let command_line = self.display();
        let mut command = std::process::Command::new(&self.program);
        command.args(&self.args);
        command.envs(self.envs.iter().map(|(k, v)| (k, v)));
        command.stdin(match self.stdin {
            Stdin::Bytes(_) => Stdio::piped(),
            Stdin::Null | Stdin::Inherit => Stdio::null(),
        });
        command.stdout(Stdio::piped());
        command.stderr(Stdio::piped());
        command.process_group(0);

        let since = group::generation();
        let mut child = command
            .spawn()
            .map_err(|e| ProcessError::spawn(command_line.clone(), e))?;
        let watched = group::watch(&[child.id()], since);
        let mut readers = Vec::new();
        if let (Some(mut pipe), Stdin::Bytes(bytes)) = (child.stdin.take(), &self.stdin) {
            let bytes = bytes.clone();
            readers.push(thread::spawn(move || {
                // A child may exit without reading its input; what it did
                // is in its exit status. Dropping the pipe sends end-of-file.
                let _ = pipe.write_all(&bytes);
            }));
        }
        let (sender, lines) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            readers.push(thread::spawn(move || {
                for line in BufReader::new(stdout).split(b'\n') {
                    let Ok(line) = line else { break };
                    let line = String::from_utf8_lossy(&line).trim_end().to_string();
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            }));
        }
        let stderr = Arc::new(Mutex::new(Tail::default()));
        if let Some(mut pipe) = child.stderr.take() {
            let tail = Arc::clone(&stderr);
            readers.push(thread::spawn(move || {
                let mut buffer = [0u8; 8192];
                while let Ok(n @ 1..) = pipe.read(&mut buffer) {
                    tail.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(&buffer[..n]);
                }
            }));
        }
        let (running, over) = mpsc::channel::<()>();
        let enforcer = self.deadline.map(|deadline| {
            let id = watched.id();
            thread::spawn(move || group::enforce(id, deadline, over))
        });
        Ok(Background {
            child,
            watched: Some(watched),
            lines,
            stderr,
            readers,
            running: Some(running),
            enforcer,
            command: command_line,
        })
    }
}

impl Background {
    /// The next line of its standard output (without the line break),
    /// waiting for it until `until`; `None` once the time is up or its
    /// output has ended.
    pub fn next_line(&self, until: Instant) -> Option<String> {
        let left = until.saturating_duration_since(Instant::now());
        self.lines.recv_timeout(left).ok()
    }

    /// Whether the program has ended by itself (or by a signal).
    pub fn has_ended(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// Ends the program, when it still runs, with SIGKILL to its group,
    /// and reaps it. Its output has the status it ended with (killed, when
    /// this ended it) and the last lines of its standard error; a deadline
    /// or a signal that ended it is the error they are for any run.
    pub fn finish(mut self) -> Result<Output, ProcessError> {
        self.end();
        let status = self
            .child
            .wait()
            .map_err(|e| ProcessError::io(self.command.clone(), "wait for", e))?;
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        let fate = self.watched.take().and_then(Watched::finish);
        self.running.take();
        if let Some(enforcer) = self.enforcer.take() {
            let _ = enforcer.join();
        }
        let stderr = self
            .stderr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .text()
            .into_bytes();
        let command = std::mem::take(&mut self.command);
        match fate {
            None => Ok(Output {
                status,
                stdout: Vec::new(),
                stderr,
                combined: Vec::new(),
                command,
            }),
            Some(Fate::TimedOut(waited)) => Err(ProcessError::timeout(command, waited)),
            Some(Fate::Interrupted(signal)) => Err(ProcessError::interrupted(command, signal)),
        }
    }

    /// SIGKILL to its group unless it has been reaped; the group of a
    /// child not yet reaped cannot be another's.
    fn end(&mut self) {
        if let (Ok(None), Ok(pid)) = (self.child.try_wait(), i32::try_from(self.child.id())) {
            let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if self.watched.is_some() {
            self.end();
            let _ = self.child.wait();
        }
    }
}
