//! Provisioning of hosts over SSH: run commands, install packages, upload
//! files and copy directories, on any host the OpenSSH client can reach by
//! an alias.
//!
//! This is redock's counterpart of the original tool's `bootstrap` module,
//! without its need for Python on the remote side: everything goes through
//! the local `ssh` and `rsync` programs, so a host needs nothing but a POSIX
//! shell, an SSH server and, for [`Bootstrap::rsync`], a package manager to
//! install rsync with when it is missing.
//!
//! # Example
//!
//! ```no_run
//! use bootstrap::Bootstrap;
//!
//! # fn main() -> Result<(), bootstrap::Error> {
//! let host = Bootstrap::new("web-container", Some("/home/me/.redock/ssh_config".into()))?;
//! host.install_packages(&["nginx-light"])?;
//! host.upload_file("/etc/nginx/sites-enabled/default", b"server { listen 80; }\n", 0o644)?;
//! host.rsync("site", "/var/www/html", true, true)?;
//! host.execute(&["nginx", "-s", "reload"], None)?;
//! let code = host.run(&["test", "-f", "/var/www/html/index.html"], None)?;
//! assert_eq!(code, 0);
//! # Ok(())
//! # }
//! ```
//!
//! # Remote command lines
//!
//! `ssh` joins the words of a remote command with spaces and the remote login
//! shell splits them again, so a word holding a space, a quote or a `$` would
//! not arrive as it was sent. Every method here takes an argument vector
//! instead and quotes each word for a POSIX shell ([`quote`], [`join`]), so
//! the remote program receives exactly those words. File contents travel on
//! the standard input of `ssh`, never on a command line.
//!
//! # Errors
//!
//! A command that exits unsuccessfully is [`ErrorKind::ExternalCommandFailed`]
//! with its exit code and the last lines of its standard error, which are
//! also shown live as the command runs (see [`Bootstrap::show_output`]).
//! [`Bootstrap::run`] is the exception: it returns the remote exit code, as a
//! command runner that passes it on should. A missing `ssh` or `rsync` is
//! [`ErrorKind::ProgramNotFound`].

mod args;
mod error;
mod quote;

use std::ffi::{OsStr, OsString};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use once_cell::sync::{Lazy, OnceCell};

pub use crate::args::PackageManager;
pub use crate::error::{Error, ErrorKind};
pub use crate::quote::{join, quote};

use proc::Cmd;

use crate::args::Tty;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Where `ssh` is, looked up on PATH once.
static SSH: Lazy<Option<PathBuf>> = Lazy::new(|| which::which("ssh").ok());
/// Where `rsync` is, looked up on PATH once.
static RSYNC: Lazy<Option<PathBuf>> = Lazy::new(|| which::which("rsync").ok());

/// One host, reached as an alias of the OpenSSH client configuration.
///
/// The package manager of the host is detected on first use and remembered,
/// so one `Bootstrap` asks the host only once.
#[derive(Debug)]
pub struct Bootstrap {
    alias: String,
    ssh_config: Option<PathBuf>,
    ssh_program: Option<PathBuf>,
    rsync_program: Option<PathBuf>,
    show_output: bool,
    package_manager: OnceCell<PackageManager>,
}

impl Bootstrap {
    /// Prepares to reach `alias`, reading the client configuration from
    /// `ssh_config` (passed as `ssh -F FILE`) or, when `None`, from ssh's
    /// default files. Nothing is run yet.
    ///
    /// An alias that is empty, starts with `-` (it would read as an option)
    /// or holds `:`, whitespace or control characters is
    /// [`ErrorKind::InvalidAlias`].
    pub fn new(alias: impl Into<String>, ssh_config: Option<PathBuf>) -> Result<Bootstrap> {
        let alias = alias.into();
        args::check_alias(&alias)?;
        Ok(Bootstrap {
            alias,
            ssh_config,
            ssh_program: None,
            rsync_program: None,
            show_output: true,
            package_manager: OnceCell::new(),
        })
    }

    /// Uses this program instead of `ssh` from PATH, also as the shell rsync
    /// connects with.
    pub fn with_ssh_program(mut self, program: impl Into<PathBuf>) -> Bootstrap {
        self.ssh_program = Some(program.into());
        self
    }

    /// Uses this program instead of `rsync` from PATH.
    pub fn with_rsync_program(mut self, program: impl Into<PathBuf>) -> Bootstrap {
        self.rsync_program = Some(program.into());
        self
    }

    /// Whether the output of remote commands is shown on our standard output
    /// and standard error as it arrives (the default) or discarded. The end
    /// of the standard error is kept for errors either way. [`Bootstrap::run`]
    /// always shows its output.
    pub fn show_output(mut self, show: bool) -> Bootstrap {
        self.show_output = show;
        self
    }

    /// The SSH alias of the host.
    pub fn alias(&self) -> &str {
        &self.alias
    }

    /// The client configuration file passed to `ssh -F`, if any.
    pub fn ssh_config(&self) -> Option<&Path> {
        self.ssh_config.as_deref()
    }

    /// Runs `argv` on the host, its output shown as it arrives, and fails
    /// with [`ErrorKind::ExternalCommandFailed`] when it exits non-zero.
    ///
    /// With `input`, the bytes are the command's standard input. Without, it
    /// reads ours; when ours is a terminal, the command gets one too
    /// (`ssh -t`), so that an operator can answer its prompts. On a terminal
    /// the remote standard error is merged into it, so only ssh's own
    /// messages reach the error.
    pub fn execute<S: AsRef<OsStr>>(&self, argv: &[S], input: Option<&[u8]>) -> Result<()> {
        let tty = tty_for(input);
        let cmd = with_stdin(
            self.ssh_invocation(tty, &remote_command(argv)?)?,
            tty,
            input,
        );
        run(self.streams(cmd))?;
        Ok(())
    }

    /// Runs `argv` on the host like [`Bootstrap::execute`], with its output
    /// always shown and passed through untouched, and returns its exit code
    /// instead of failing on a non-zero one: what `redock run` passes on.
    ///
    /// ssh itself exits with 255 when it cannot connect; a command killed by
    /// a signal gives 128 plus the signal number, as a shell reports it.
    pub fn run<S: AsRef<OsStr>>(&self, argv: &[S], input: Option<&[u8]>) -> Result<i32> {
        let tty = tty_for(input);
        let cmd = with_stdin(
            self.ssh_invocation(tty, &remote_command(argv)?)?,
            tty,
            input,
        )
        .stdout_inherit()
        .stderr_inherit();
        let program = cmd.program().to_owned();
        let output = cmd.output().map_err(|e| Error::from_process(&program, e))?;
        Ok(output.code())
    }

    /// Runs `argv` on the host without a terminal and returns its standard
    /// output; fails like [`Bootstrap::execute`].
    pub fn output<S: AsRef<OsStr>>(&self, argv: &[S], input: Option<&[u8]>) -> Result<Vec<u8>> {
        let output = self.remote(&remote_command(argv)?, input, Capture::Stdout)?;
        Ok(output.stdout)
    }

    /// The package manager of the host: apt-get, apk or dnf, whichever is
    /// found first. The host is asked once; later calls give the same answer.
    pub fn package_manager(&self) -> Result<PackageManager> {
        self.package_manager
            .get_or_try_init(|| {
                let probe = args::probe_package_manager();
                let output = self.remote(&probe, None, Capture::Stdout)?;
                args::parse_package_manager(&output.stdout).ok_or_else(|| {
                    Error::new(ErrorKind::NoPackageManager {
                        alias: self.alias.clone(),
                    })
                })
            })
            .copied()
    }

    /// Installs `packages` on the host without any question asked. With apt,
    /// the package lists are fetched first where the host has none.
    /// Installing nothing runs nothing.
    pub fn install_packages<S: AsRef<str>>(&self, packages: &[S]) -> Result<()> {
        if packages.is_empty() {
            return Ok(());
        }
        // Refuse a bad name before asking the host anything.
        args::install(PackageManager::Apt, packages)?;
        let script = args::install(self.package_manager()?, packages)?;
        self.remote(&script, None, Capture::Nothing)?;
        Ok(())
    }

    /// Upgrades every package on the host, after fetching the package lists,
    /// without any question asked; changed configuration files are kept.
    pub fn upgrade_packages(&self) -> Result<()> {
        let script = args::upgrade(self.package_manager()?);
        self.remote(&script, None, Capture::Nothing)?;
        Ok(())
    }

    /// Writes `contents` to the file `remote_path` on the host, with the
    /// permission bits `mode` (e.g. `0o644`), creating missing parent
    /// directories.
    ///
    /// The contents go to a temporary file in the same directory, which gets
    /// its mode and is then renamed over `remote_path`, so a reader sees the
    /// old file or the whole new one, never a part. A relative path is
    /// relative to the login directory.
    pub fn upload_file(
        &self,
        remote_path: impl AsRef<Path>,
        contents: &[u8],
        mode: u32,
    ) -> Result<()> {
        let script = args::upload(
            remote_path.as_ref().as_os_str(),
            mode,
            contents.len() as u64,
        )?;
        // The script prints nothing but why it failed, which the error
        // carries; shown as it came, too, it would be said twice.
        let cmd = self
            .ssh_invocation(Tty::Disable, &script)?
            .stdin_bytes(contents)
            .stdout_null()
            .stderr_tail();
        run(cmd)?;
        Ok(())
    }

    /// Copies the contents of `local_dir` into `remote_dir` on the host with
    /// rsync, creating `remote_dir` and installing rsync on the host first
    /// where needed. `cvs_exclude` skips version control files (rsync's
    /// `--cvs-exclude`); `delete` removes remote files that do not exist
    /// locally.
    pub fn rsync(
        &self,
        local_dir: impl AsRef<Path>,
        remote_dir: impl AsRef<Path>,
        cvs_exclude: bool,
        delete: bool,
    ) -> Result<()> {
        let local_dir = local_dir.as_ref();
        let remote_dir = remote_dir.as_ref().as_os_str();
        let rsync = match &self.rsync_program {
            Some(program) => check_program(program)?,
            None => find("rsync", &RSYNC)?,
        };
        if !local_dir.is_dir() {
            return Err(Error::invalid_argument(format!(
                "`{}` is not a directory",
                local_dir.display()
            )));
        }
        if remote_dir.is_empty() {
            return Err(Error::invalid_argument("the remote directory is empty"));
        }
        let prepared = self.remote(&args::prepare_rsync(remote_dir), None, Capture::Stdout)?;
        if String::from_utf8_lossy(&prepared.stdout)
            .lines()
            .any(|line| line.trim() == "missing")
        {
            self.install_packages(&["rsync"])?;
        }
        let invocation = args::rsync(
            rsync.as_os_str(),
            &self.ssh_program()?,
            self.ssh_config.as_deref(),
            &self.alias,
            local_dir,
            remote_dir,
            cvs_exclude,
            delete,
        );
        run(self.streams(invocation))?;
        Ok(())
    }

    fn ssh_program(&self) -> Result<OsString> {
        match &self.ssh_program {
            Some(program) => Ok(check_program(program)?.into_os_string()),
            None => Ok(find("ssh", &SSH)?.into_os_string()),
        }
    }

    fn ssh_invocation(&self, tty: Tty, remote: &OsStr) -> Result<Cmd> {
        Ok(args::ssh(
            &self.ssh_program()?,
            self.ssh_config.as_deref(),
            tty,
            &self.alias,
            remote,
        ))
    }

    /// `cmd` with its output shown as it arrives, or discarded; the end of
    /// its standard error is kept for errors either way.
    fn streams(&self, cmd: Cmd) -> Cmd {
        if self.show_output {
            cmd.stdout_inherit().stderr_tee()
        } else {
            cmd.stdout_null().stderr_tail()
        }
    }

    /// Runs a remote command line without a terminal and checks its exit;
    /// its standard input is `input`, else empty.
    fn remote(
        &self,
        command: &OsStr,
        input: Option<&[u8]>,
        capture: Capture,
    ) -> Result<proc::Output> {
        let mut cmd = self.streams(self.ssh_invocation(Tty::Disable, command)?);
        if let Some(bytes) = input {
            cmd = cmd.stdin_bytes(bytes);
        }
        cmd = match capture {
            Capture::Stdout => cmd.stdout_capture(),
            Capture::Nothing => cmd,
        };
        run(cmd)
    }
}

/// What [`Bootstrap::remote`] does with the command's standard output.
#[derive(Clone, Copy)]
enum Capture {
    /// Keeps it for the caller.
    Stdout,
    /// Shows or discards it as [`Bootstrap::show_output`] says.
    Nothing,
}

/// Runs `cmd` and checks its exit.
fn run(cmd: Cmd) -> Result<proc::Output> {
    cmd.run().map_err(|e| Error::from_process(cmd.program(), e))
}

/// The terminal mode for a command given `input` or not: one on our
/// terminal, so that an operator can answer its prompts.
fn tty_for(input: Option<&[u8]>) -> Tty {
    match input {
        None if std::io::stdin().is_terminal() => Tty::Force,
        _ => Tty::Disable,
    }
}

/// `cmd` reading `input`, else our standard input. With a terminal it is an
/// interactive session, which stays in our process group (see
/// `proc::Cmd::foreground`).
fn with_stdin(cmd: Cmd, tty: Tty, input: Option<&[u8]>) -> Cmd {
    match (input, tty) {
        (Some(bytes), _) => cmd.stdin_bytes(bytes),
        (None, Tty::Force) => cmd.stdin_inherit().foreground(),
        (None, Tty::Disable) => cmd.stdin_inherit(),
    }
}

/// The remote command line for `argv`; an empty one would make ssh open an
/// interactive login shell instead of running a command.
fn remote_command<S: AsRef<OsStr>>(argv: &[S]) -> Result<OsString> {
    if argv.is_empty() {
        return Err(Error::invalid_argument("no remote command given"));
    }
    Ok(args::remote_command(argv))
}

/// Checks that a program given by the caller exists, so that a wrong one is
/// reported before anything runs on the host.
fn check_program(program: &Path) -> Result<PathBuf> {
    which::which(program).map_err(|e| {
        Error::with_source(
            ErrorKind::ProgramNotFound {
                program: program.display().to_string(),
            },
            e,
        )
    })
}

fn find(name: &str, found: &Lazy<Option<PathBuf>>) -> Result<PathBuf> {
    found.as_ref().cloned().ok_or_else(|| {
        Error::new(ErrorKind::ProgramNotFound {
            program: name.to_owned(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_rejects_option_like_alias() {
        let error = Bootstrap::new("-oProxyCommand=touch /tmp/x", None).unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::InvalidAlias { .. }));
    }

    #[test]
    fn empty_command_is_refused_before_running_anything() {
        let host = Bootstrap::new("web-container", None)
            .unwrap()
            .with_ssh_program("/nonexistent/ssh");
        let none: [&str; 0] = [];
        let error = host.execute(&none, None).unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::InvalidArgument { .. }));
    }

    #[test]
    fn missing_ssh_program_is_program_not_found() {
        let host = Bootstrap::new("web-container", None)
            .unwrap()
            .with_ssh_program("/nonexistent/ssh");
        let error = host.execute(&["true"], Some(b"")).unwrap_err();
        assert_eq!(
            error.kind(),
            &ErrorKind::ProgramNotFound {
                program: "/nonexistent/ssh".into()
            }
        );
        assert!(matches!(
            host.run(&["true"], Some(b"")).unwrap_err().kind(),
            ErrorKind::ProgramNotFound { .. }
        ));
    }

    #[test]
    fn missing_rsync_program_is_found_before_the_host_is_asked() {
        let dir = tempfile::tempdir().unwrap();
        let host = Bootstrap::new("web-container", None)
            .unwrap()
            .with_ssh_program("/nonexistent/ssh")
            .with_rsync_program("/nonexistent/rsync");
        let error = host.rsync(dir.path(), "/srv", true, true).unwrap_err();
        assert_eq!(
            error.kind(),
            &ErrorKind::ProgramNotFound {
                program: "/nonexistent/rsync".into()
            }
        );
    }
}
