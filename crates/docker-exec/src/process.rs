//! Running a program with its output captured: stdout and stderr are read
//! by threads at the same time, so a child that fills one pipe while redock
//! waits on the other never deadlocks, and stdin is fed from a thread too.

use std::ffi::{OsStr, OsString};
use std::io::{self, Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;

use crate::Error;

/// What a finished child left behind.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
    /// stdout and stderr in the order their chunks arrived.
    pub(crate) combined: Vec<u8>,
}

/// A command line as messages show it: program name and arguments, the ones
/// that need it in single quotes.
pub(crate) fn display(program: &OsStr, args: &[OsString]) -> String {
    let name = std::path::Path::new(program)
        .file_name()
        .unwrap_or(program)
        .to_string_lossy()
        .into_owned();
    let mut line = name;
    for arg in args {
        line.push(' ');
        line.push_str(&quote(&arg.to_string_lossy()));
    }
    line
}

fn quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// Which pipe a chunk came from.
enum Chunk {
    Out(Vec<u8>),
    Err(Vec<u8>),
}

/// Spawns `command`, feeds `input` to its stdin (closed at once when `None`),
/// and collects its output. `on_line` sees each complete line of the
/// combined output as it arrives, for live progress.
pub(crate) fn run(
    mut command: Command,
    what: &str,
    input: Option<&[u8]>,
    on_line: &mut dyn FnMut(&str),
) -> Result<Finished, Error> {
    command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| Error::io(format!("cannot run `{what}`"), e))?;
    collect(&mut child, what, input, on_line)
}

/// Collects the output of a spawned child whose stdout and stderr are piped.
pub(crate) fn collect(
    child: &mut Child,
    what: &str,
    input: Option<&[u8]>,
    on_line: &mut dyn FnMut(&str),
) -> Result<Finished, Error> {
    let (sender, receiver) = mpsc::channel();
    let readers = [
        child
            .stdout
            .take()
            .map(|pipe| spawn_reader(pipe, sender.clone(), Chunk::Out)),
        child
            .stderr
            .take()
            .map(|pipe| spawn_reader(pipe, sender.clone(), Chunk::Err)),
    ];
    drop(sender);

    let stdin = child.stdin.take();
    let writer = match (stdin, input) {
        (Some(mut stdin), Some(input)) => {
            let input = input.to_vec();
            Some(thread::spawn(move || -> io::Result<()> {
                match stdin.write_all(&input) {
                    // A child may exit without reading all its input; what it
                    // did is in its exit status, not in this error.
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                    other => other,
                }
                // Dropping stdin here closes the pipe: the child sees EOF.
            }))
        }
        _ => None,
    };

    let mut finished = Finished {
        status: ExitStatus::default(),
        stdout: Vec::new(),
        stderr: Vec::new(),
        combined: Vec::new(),
    };
    let mut pending = Vec::new();
    for chunk in receiver {
        let bytes = match chunk {
            Chunk::Out(bytes) => {
                finished.stdout.extend_from_slice(&bytes);
                bytes
            }
            Chunk::Err(bytes) => {
                finished.stderr.extend_from_slice(&bytes);
                bytes
            }
        };
        finished.combined.extend_from_slice(&bytes);
        pending.extend_from_slice(&bytes);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            on_line(String::from_utf8_lossy(&line[..line.len() - 1]).trim_end_matches('\r'));
        }
    }
    if !pending.is_empty() {
        on_line(&String::from_utf8_lossy(&pending));
    }

    let mut read_error = None;
    for reader in readers.into_iter().flatten() {
        if let Err(e) = reader.join().expect("pipe reader thread panicked") {
            read_error.get_or_insert(e);
        }
    }
    let write_result = writer.map(|w| w.join().expect("stdin writer thread panicked"));
    finished.status = child
        .wait()
        .map_err(|e| Error::io(format!("cannot wait for `{what}`"), e))?;
    if let Some(e) = read_error {
        return Err(Error::io(format!("cannot read the output of `{what}`"), e));
    }
    if let Some(Err(e)) = write_result {
        return Err(Error::io(format!("cannot write the input of `{what}`"), e));
    }
    Ok(finished)
}

fn spawn_reader<R: Read + Send + 'static>(
    mut pipe: R,
    sender: mpsc::Sender<Chunk>,
    wrap: fn(Vec<u8>) -> Chunk,
) -> thread::JoinHandle<io::Result<()>> {
    thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        loop {
            match pipe.read(&mut buffer) {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    // The receiver only goes away when collecting is over.
                    let _ = sender.send(wrap(buffer[..n].to_vec()));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_what_needs_it() {
        let args: Vec<OsString> = [
            "commit",
            "-m",
            "a message",
            "-c",
            "CMD [\"x\"]",
            "abc",
            "web",
            "it's",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        assert_eq!(
            display(OsStr::new("/usr/bin/docker"), &args),
            r#"docker commit -m 'a message' -c 'CMD ["x"]' abc web 'it'\''s'"#
        );
    }

    #[test]
    fn large_output_on_both_pipes_does_not_deadlock() {
        // 1 MiB on each pipe is far more than a pipe buffer holds.
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "head -c 1048576 /dev/zero; head -c 1048576 /dev/zero >&2; cat",
        ]);
        let mut lines = 0;
        let finished = run(command, "sh", Some(b"in\n"), &mut |_| lines += 1).unwrap();
        assert!(finished.status.success());
        assert_eq!(finished.stdout.len(), 1048576 + 3);
        assert_eq!(finished.stderr.len(), 1048576);
        assert_eq!(finished.combined.len(), 2 * 1048576 + 3);
        assert!(lines >= 1);
    }

    #[test]
    fn input_the_child_ignores_is_no_error() {
        let mut command = Command::new("true");
        command.arg("ignored");
        let big = vec![b'x'; 4 << 20];
        let finished = run(command, "true", Some(&big), &mut |_| {}).unwrap();
        assert!(finished.status.success());
    }

    #[test]
    fn missing_program_is_an_io_error() {
        let command = Command::new("/nonexistent/redock-test-program");
        let error = run(command, "x", None, &mut |_| {}).unwrap_err();
        assert_eq!(error.kind(), &crate::ErrorKind::Io);
    }
}
