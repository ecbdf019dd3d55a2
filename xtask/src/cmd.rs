//! Running programs: echo the command, check its exit status, and report a
//! failure the way cargo does.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use crate::DynError;

/// A command line to run, remembered as text for messages.
pub struct Cmd {
    inner: Command,
    shown: String,
}

pub fn new(program: impl AsRef<OsStr>) -> Cmd {
    let program = program.as_ref();
    Cmd {
        shown: quote(program),
        inner: Command::new(program),
    }
}

/// The cargo that runs xtask, so that the toolchain stays the same.
pub fn cargo() -> Cmd {
    let mut cmd = new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // The full toolchain path would only clutter every message.
    cmd.shown = "cargo".to_string();
    cmd
}

impl Cmd {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        self.shown.push(' ');
        self.shown.push_str(&quote(arg.as_ref()));
        self.inner.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for arg in args {
            self = self.arg(arg);
        }
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Cmd {
        self.inner.env(key, value);
        self
    }

    /// The command line as shown to the user.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The underlying command, for spawning it by hand.
    pub fn command(&mut self) -> &mut Command {
        &mut self.inner
    }

    /// Runs the command with its output on the terminal, after echoing it.
    pub fn run(mut self) -> Result<(), DynError> {
        println!("$ {}", self.shown);
        let status = self
            .inner
            .stdin(Stdio::null())
            .status()
            .map_err(|e| spawn_error(&self.shown, e))?;
        check(&self.shown, status, "")
    }

    /// Runs the command silently and tells whether it succeeded.
    pub fn succeeds(mut self) -> bool {
        self.inner
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Runs the command and returns its standard output. Standard error is
    /// read at the same time, on a thread, so that neither pipe can fill
    /// and stall the child; it goes into the error if the command fails.
    pub fn read(mut self) -> Result<String, DynError> {
        let mut child = self
            .inner
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| spawn_error(&self.shown, e))?;
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let stderr = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr.read_to_end(&mut buf);
            buf
        });
        let mut stdout = Vec::new();
        child
            .stdout
            .take()
            .expect("stdout is piped")
            .read_to_end(&mut stdout)?;
        let status = child.wait()?;
        let stderr = stderr.join().unwrap_or_default();
        check(&self.shown, status, &String::from_utf8_lossy(&stderr))?;
        Ok(String::from_utf8_lossy(&stdout).into_owned())
    }
}

/// Runs `producer | consumer`, echoing the pipeline; fails when either does.
pub fn pipe(mut producer: Cmd, mut consumer: Cmd) -> Result<(), DynError> {
    println!("$ {} | {}", producer.shown(), consumer.shown());
    let mut child = producer
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not run `{}`: {e}", producer.shown()))?;
    let out = child.stdout.take().expect("stdout is piped");
    let consumer_status = consumer.command().stdin(Stdio::from(out)).status();
    let producer_status = child.wait()?;
    let consumer_status =
        consumer_status.map_err(|e| format!("could not run `{}`: {e}", consumer.shown()))?;
    check(producer.shown(), producer_status, "")?;
    check(consumer.shown(), consumer_status, "")
}

/// Turns an unsuccessful exit into cargo's `ProcessError` wording.
pub fn check(shown: &str, status: ExitStatus, stderr: &str) -> Result<(), DynError> {
    if status.success() {
        return Ok(());
    }
    let mut msg = format!("process didn't exit successfully: `{shown}` ({status})");
    if !stderr.trim().is_empty() {
        msg.push_str("\n--- stderr\n");
        msg.push_str(stderr.trim_end());
    }
    Err(msg.into())
}

fn spawn_error(shown: &str, e: std::io::Error) -> DynError {
    format!("could not run `{shown}`: {e}").into()
}

/// Quotes an argument for display when the shell would split it.
fn quote(arg: &OsStr) -> String {
    let s = arg.to_string_lossy();
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c));
    if plain {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Finds a program on `PATH`, and for root also in the sbin directories
/// that a non-login shell may leave out.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    dirs.extend(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from));
    dirs.into_iter()
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether xtask runs as root, read from the kernel so that no
/// dependency is needed for `geteuid`.
pub fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .is_some_and(|euid| euid == "0")
}

/// A directory under the system's temporary directory, removed on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> Result<TempDir, DynError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "redock-xtask-{label}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(TempDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote(OsStr::new("--all")), "--all");
        assert_eq!(
            quote(OsStr::new("CMD [\"/bin/bash\"]")),
            "'CMD [\"/bin/bash\"]'"
        );
        assert_eq!(quote(OsStr::new("it's")), r"'it'\''s'");
        assert_eq!(quote(OsStr::new("")), "''");
    }

    #[test]
    fn failure_reads_like_cargo() {
        let err = new("sh").args(["-c", "echo oops >&2; exit 3"]).read();
        let msg = err.unwrap_err().to_string();
        assert_eq!(
            msg,
            "process didn't exit successfully: `sh -c 'echo oops >&2; exit 3'` \
             (exit status: 3)\n--- stderr\noops"
        );
    }
}
