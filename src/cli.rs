//! The command line as clap types, and nothing else: `--help`, the man
//! pages and the completions come from here, and this file runs nothing and
//! uses nothing of redock's, so that `cargo xtask dist` includes it as it
//! is (`#[path]`) instead of linking all of redock. The handlers are in
//! `commands`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// What `--version` prints: redock's build script sets it. A program that
/// includes this file without that script (xtask) sets the version itself.
const VERSION: Option<&str> = option_env!("REDOCK_VERSION");

/// Turn Docker containers into SSH-reachable machines.
#[derive(Debug, Parser)]
#[command(name = "redock", version = VERSION, about, long_about = None, max_term_width = 100)]
#[command(
    after_help = "NAME is repository:tag, or just tag meaning $USER:tag.\n\
Files live in REDOCK_HOME (default ~/.redock); REDOCK_DOCKER names the engine CLI (podman works)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Say more (repeat for more still)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Say only what went wrong
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Change nothing: print each engine call and file change the command would make, and exit as it would
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// The SSH client config that gets the Include line [default: ~/.ssh/config; env: REDOCK_SSH_CONFIG]
    #[arg(long, global = true, value_name = "PATH")]
    pub ssh_config: Option<PathBuf>,
    /// Leave your SSH client config alone (use `redock ssh`, or ssh -F REDOCK_HOME/ssh_config)
    #[arg(long, global = true)]
    pub no_ssh_config: bool,
    /// The docker context new NAMEs start on [default: DOCKER_HOST, DOCKER_CONTEXT, the CLI's current context]; a NAME stays on its own
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a container for each NAME (or reuse the running one) and make it reachable over SSH
    Start(StartArgs),
    /// Open an SSH session to the running container of NAME (or run COMMAND there)
    Ssh(SshArgs),
    /// Save the running container of each NAME into its image (the container keeps running)
    #[command(
        after_help = "The image a commit replaces is kept as a snapshot (see `redock history` and `redock rollback`).\n\
REDOCK_SNAPSHOTS sets how many snapshots of a NAME a commit keeps (default 5; 0 keeps none)."
    )]
    Commit(CommitArgs),
    /// Stop and remove the container of each NAME; uncommitted changes are lost
    Kill(KillArgs),
    /// Remove the image of each NAME and its snapshots
    Delete(DeleteArgs),
    /// List the commits of NAME's image, newest first, numbering the snapshots kept
    #[command(
        after_help = "0 is the image, 1 the image the last commit or rollback replaced, and so on.\n\
A commit keeps REDOCK_SNAPSHOTS snapshots (default 5); older commits are listed without one.\n\
The image's log keeps the newest 50 commits, also when --squash made it one layer."
    )]
    History(HistoryArgs),
    /// Go back to a snapshot of NAME's image; the image it replaces becomes snapshot 1
    #[command(
        after_help = "Refused while a container of NAME exists, running or stopped: `start` would resume it as it is.\n\
--force kills it first, like `redock kill`: what was not committed is lost.\n\
`redock rollback NAME` again undoes a rollback."
    )]
    Rollback(RollbackArgs),
    /// List redock's containers
    #[command(visible_alias = "ls")]
    Status(StatusArgs),
    /// Build the base image containers start from
    Base(BaseArgs),
    /// Run COMMAND in the container of NAME over SSH; its exit code becomes redock's
    Run(RunArgs),
    /// Install system packages in the container of NAME (apt-get, apk or dnf)
    Install(InstallArgs),
    /// Upgrade every system package in the container of NAME
    Upgrade(UpgradeArgs),
    /// Copy a local file into the container of NAME, atomically
    Upload(UploadArgs),
    /// Copy a local directory into the container of NAME with rsync
    Sync(SyncArgs),
    /// Print the completion script for SHELL
    Completions(CompletionsArgs),
    /// Show the output of the container of NAME
    Logs(LogsArgs),
    /// Print the Host blocks of running containers, for `ssh -F FILE` and tools that do not follow Include
    SshConfig(SshConfigArgs),
    /// Show the remembered settings, or forget one
    Config(ConfigArgs),
}

// The arguments of each command, in the order of `Command`. They carry no
// doc comments: clap would take those for the command's about, which is the
// variant's.

#[derive(Debug, Args)]
pub struct StartArgs {
    /// The host name inside the container [default: the tag]
    #[arg(short = 'n', long)]
    pub hostname: Option<String>,
    /// Seconds to wait for sshd to answer (0.1 to 3600)
    #[arg(long, default_value_t = 10.0, value_name = "SECS", value_parser = seconds)]
    pub timeout: f64,
    /// How ssh reaches the container [default: tcp, or exec for a remote engine]
    #[arg(long, value_parser = ["tcp", "exec"])]
    pub transport: Option<String>,
    /// Do not open an SSH session afterwards
    #[arg(long)]
    pub no_ssh: bool,
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SshArgs {
    #[arg(value_name = "NAME")]
    pub name: String,
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct CommitArgs {
    /// A short description of the change
    #[arg(short, long)]
    pub message: Option<String>,
    /// The author of the change
    #[arg(long)]
    pub author: Option<String>,
    /// Flatten the image to one layer, keeping its configuration
    #[arg(long)]
    pub squash: bool,
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Kill a running container of NAME first
    #[arg(short, long)]
    pub force: bool,
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// A stable JSON object instead of a table
    #[arg(long)]
    pub json: bool,
    #[arg(value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The snapshot to go back to, as `redock history` numbers them
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub to: u32,
    /// Kill a container of NAME first (what was not committed is lost)
    #[arg(short, long)]
    pub force: bool,
    #[arg(value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// A stable JSON array instead of a table
    #[arg(long)]
    pub json: bool,
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct BaseArgs {
    /// The image to build on (Debian or Ubuntu) [default: debian:bookworm-slim]
    #[arg(long, value_name = "IMAGE", conflicts_with = "rootfs")]
    pub from: Option<String>,
    /// Import this root file system (a directory or a tarball) and build on it
    #[arg(long, value_name = "DIR|TARBALL")]
    pub rootfs: Option<PathBuf>,
    /// Build even when an up-to-date base image exists
    #[arg(long)]
    pub rebuild: bool,
    /// The name of the image to build
    // base_image::DEFAULT_TARGET, written out as this file uses nothing
    // of redock's; a test in `commands` checks that the two agree.
    #[arg(long, value_name = "IMAGE", default_value = "redock:base")]
    pub tag: String,
    /// The package mirror of the distribution's main archive, for the build and the containers' apt sources; remembered [env: REDOCK_MIRROR]
    #[arg(long, value_name = "URL")]
    pub mirror: Option<String>,
    /// Extra packages in the base image (for example --with curl git rsync); remembered
    #[arg(long = "with", value_name = "PACKAGE", num_args = 1..)]
    pub with: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[arg(value_name = "NAME")]
    pub name: String,
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    #[arg(value_name = "NAME")]
    pub name: String,
    #[arg(required = true, value_name = "PACKAGE")]
    pub packages: Vec<String>,
}

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    #[arg(value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct UploadArgs {
    /// The mode of the remote file, in octal [default: the local file's]
    #[arg(long, value_parser = file_mode)]
    pub mode: Option<u32>,
    #[arg(value_name = "NAME")]
    pub name: String,
    #[arg(value_name = "LOCAL")]
    pub local: PathBuf,
    #[arg(value_name = "REMOTE")]
    pub remote: PathBuf,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Keep remote files that do not exist locally
    #[arg(long)]
    pub no_delete: bool,
    /// Copy version control files (.git, .svn, …) too
    #[arg(long)]
    pub no_cvs_exclude: bool,
    #[arg(value_name = "NAME")]
    pub name: String,
    #[arg(value_name = "LOCAL_DIR")]
    pub local_dir: PathBuf,
    #[arg(value_name = "REMOTE_DIR")]
    pub remote_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Keep following the output
    #[arg(short, long)]
    pub follow: bool,
    #[arg(value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct SshConfigArgs {
    /// Take redock's Include line out of your SSH client config instead
    #[arg(long, conflicts_with = "names")]
    pub uninstall: bool,
    /// Only these NAMEs' containers [default: every running one]
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Forget the remembered setting KEY
    #[arg(long, value_name = "KEY")]
    pub unset: Option<String>,
}

/// The range `--timeout` accepts, in seconds.
pub const TIMEOUT_RANGE: std::ops::RangeInclusive<f64> = 0.1..=3600.0;

/// `--timeout`: a number of seconds in [`TIMEOUT_RANGE`], so that any value
/// that passes is a `Duration`.
fn seconds(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| "not a number of seconds".to_string())?;
    if !TIMEOUT_RANGE.contains(&value) {
        return Err(format!(
            "give a number of seconds from {} to {}",
            TIMEOUT_RANGE.start(),
            TIMEOUT_RANGE.end()
        ));
    }
    Ok(value)
}

/// `--mode`: permission bits in octal, such as 0640, 640 or 0o640.
fn file_mode(text: &str) -> Result<u32, String> {
    let digits = text.strip_prefix("0o").unwrap_or(text);
    match u32::from_str_radix(digits, 8) {
        Ok(mode) if mode <= 0o7777 && !digits.starts_with(['+', '-']) => Ok(mode),
        _ => Err("give octal permission bits from 0 to 7777, such as 0640".to_string()),
    }
}

/// The clap command, for completions and man pages.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command()
}
