//! The command line: clap definitions and one function per command.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::container::{Container, Context};
use crate::error::{Error, Result};
use crate::home::Home;
use crate::name::Image;
use crate::provision;
use crate::sshfiles::{Transport, UserConfig};
use crate::status;
use crate::ui::Ui;

/// Turn Docker containers into SSH-reachable machines.
#[derive(Debug, Parser)]
#[command(name = "redock", version = env!("REDOCK_VERSION"), about, long_about = None, max_term_width = 100)]
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
    /// Print the change to your SSH client config instead of writing it
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// The SSH client config that gets the Include line [default: ~/.ssh/config; env: REDOCK_SSH_CONFIG]
    #[arg(long, global = true, value_name = "PATH")]
    pub ssh_config: Option<PathBuf>,
    /// Leave your SSH client config alone (use `redock ssh`, or ssh -F REDOCK_HOME/ssh_config)
    #[arg(long, global = true)]
    pub no_ssh_config: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a container for each NAME (or reuse the running one) and make it reachable over SSH
    Start {
        /// The host name inside the container [default: the tag]
        #[arg(short = 'n', long)]
        hostname: Option<String>,
        /// Seconds to wait for sshd to answer
        #[arg(long, default_value_t = 10.0, value_name = "SECS")]
        timeout: f64,
        /// How ssh reaches the container [default: tcp, or exec for a remote engine]
        #[arg(long, value_parser = ["tcp", "exec"])]
        transport: Option<String>,
        /// Do not open an SSH session afterwards
        #[arg(long)]
        no_ssh: bool,
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
    },
    /// Open an SSH session to the running container of NAME (or run COMMAND there)
    Ssh {
        #[arg(value_name = "NAME")]
        name: String,
        #[arg(last = true, value_name = "COMMAND")]
        command: Vec<OsString>,
    },
    /// Save the running container of each NAME into its image (the container keeps running)
    Commit {
        /// A short description of the change
        #[arg(short, long)]
        message: Option<String>,
        /// The author of the change
        #[arg(long)]
        author: Option<String>,
        /// Flatten the image to one layer, keeping its configuration
        #[arg(long)]
        squash: bool,
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
    },
    /// Stop and remove the container of each NAME; uncommitted changes are lost
    Kill {
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
    },
    /// Remove the image of each NAME
    Delete {
        /// Kill a running container of NAME first
        #[arg(short, long)]
        force: bool,
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
    },
    /// List redock's containers
    #[command(visible_alias = "ls")]
    Status {
        /// A stable JSON array instead of a table
        #[arg(long)]
        json: bool,
        #[arg(value_name = "NAME")]
        names: Vec<String>,
    },
    /// Build the base image containers start from
    Base {
        /// The image to build on (Debian or Ubuntu) [default: debian:bookworm-slim]
        #[arg(long, value_name = "IMAGE", conflicts_with = "rootfs")]
        from: Option<String>,
        /// Import this root file system (a directory or a tarball) and build on it
        #[arg(long, value_name = "DIR|TARBALL")]
        rootfs: Option<PathBuf>,
        /// Build even when an up-to-date base image exists
        #[arg(long)]
        rebuild: bool,
        /// The name of the image to build
        #[arg(long, value_name = "IMAGE", default_value = crate::container::BASE_IMAGE)]
        tag: String,
    },
    /// Run COMMAND in the container of NAME over SSH; its exit code becomes redock's
    Run {
        #[arg(value_name = "NAME")]
        name: String,
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<OsString>,
    },
    /// Install system packages in the container of NAME (apt-get, apk or dnf)
    Install {
        #[arg(value_name = "NAME")]
        name: String,
        #[arg(required = true, value_name = "PACKAGE")]
        packages: Vec<String>,
    },
    /// Upgrade every system package in the container of NAME
    Upgrade {
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Copy a local file into the container of NAME, atomically
    Upload {
        /// The mode of the remote file, in octal [default: the local file's]
        #[arg(long)]
        mode: Option<String>,
        #[arg(value_name = "NAME")]
        name: String,
        #[arg(value_name = "LOCAL")]
        local: PathBuf,
        #[arg(value_name = "REMOTE")]
        remote: PathBuf,
    },
    /// Copy a local directory into the container of NAME with rsync
    Sync {
        /// Keep remote files that do not exist locally
        #[arg(long)]
        no_delete: bool,
        /// Copy version control files (.git, .svn, …) too
        #[arg(long)]
        no_cvs_exclude: bool,
        #[arg(value_name = "NAME")]
        name: String,
        #[arg(value_name = "LOCAL_DIR")]
        local_dir: PathBuf,
        #[arg(value_name = "REMOTE_DIR")]
        remote_dir: PathBuf,
    },
    /// Print the completion script for SHELL
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Show the output of the container of NAME
    Logs {
        /// Keep following the output
        #[arg(short, long)]
        follow: bool,
        #[arg(value_name = "NAME")]
        name: String,
    },
}

/// Runs redock on `args`; returns the process exit code.
pub fn main(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => return usage_error(err),
    };
    let ui = Ui::new(cli.global.verbose, cli.global.quiet);
    match run(cli, &ui) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("redock: error: {err}");
            if let Some(hint) = err.hint() {
                eprintln!("hint: {hint}");
            }
            1
        }
    }
}

/// clap's own errors shortened to one line and a hint; help and version as
/// clap prints them.
fn usage_error(err: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                2
            } else {
                0
            }
        }
        _ => {
            // clap spreads one message over several lines ("…not provided:"
            // then the arguments); its first paragraph joined is the line.
            let text = err.render().to_string();
            let first: Vec<&str> = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let first = first.join(" ");
            let first = first.strip_prefix("error: ").unwrap_or(&first);
            eprintln!("redock: error: {first}");
            eprintln!("hint: see `redock --help`");
            2
        }
    }
}

fn context(global: &GlobalArgs, ui: &Ui) -> Result<Context> {
    let docker = docker_exec::Docker::from_env()?;
    let home = Home::from_env()?;
    let user_config = UserConfig::new(global.ssh_config.clone(), global.no_ssh_config)?;
    Ok(Context::new(
        docker,
        home,
        user_config,
        global.dry_run,
        ui.clone(),
    ))
}

/// Parses every NAME before anything runs, so a bad one changes nothing.
fn images(names: &[String]) -> Result<Vec<Image>> {
    names.iter().map(|n| Image::coerce(n)).collect()
}

fn run(cli: Cli, ui: &Ui) -> Result<i32> {
    let global = &cli.global;
    match cli.command {
        Command::Start {
            hostname,
            timeout,
            transport,
            no_ssh,
            names,
        } => {
            let images = images(&names)?;
            if let Some(hostname) = &hostname {
                crate::name::validate_hostname(hostname)?;
                if images.len() > 1 {
                    return Err(Error::other(
                        "-n/--hostname gives one host name; start one NAME at a time with it",
                    ));
                }
            }
            if !(timeout.is_finite() && timeout > 0.0) {
                return Err(Error::other(format!(
                    "--timeout {timeout} is not a positive number of seconds"
                )));
            }
            let transport = transport.as_deref().and_then(Transport::parse);
            let ctx = context(global, ui)?;
            let timeout = Duration::from_secs_f64(timeout);
            // One NAME on a terminal: a shell in it, as the original did.
            // Otherwise the command that gets there, one line per NAME.
            let interactive = images.len() == 1 && !no_ssh && Ui::interactive();
            let mut last = None;
            for image in &images {
                let container = Container::new(&ctx, image.clone(), hostname.as_deref(), timeout)?;
                let running = container.start(transport)?;
                if running.reused {
                    ui.info(format!("{image} is already running; reusing it"));
                } else {
                    ui.info(format!("started {image} ({})", running.endpoint.display()));
                }
                if !interactive {
                    let command = bootstrap::join(&ctx.ssh_command(&running.alias));
                    println!("{}", command.to_string_lossy());
                }
                last = Some(running);
            }
            match last {
                Some(running) if interactive => exec(ctx.ssh_command(&running.alias), &[]),
                _ => Ok(0),
            }
        }
        Command::Ssh { name, command } => {
            let image = Image::coerce(&name)?;
            let ctx = context(global, ui)?;
            let container = Container::new(&ctx, image, None, Duration::ZERO)?;
            let argv = container.get_ssh_client_command()?;
            exec(argv, &command)
        }
        Command::Commit {
            message,
            author,
            squash,
            names,
        } => {
            let images = images(&names)?;
            let ctx = context(global, ui)?;
            for image in images {
                let container = Container::new(&ctx, image.clone(), None, Duration::ZERO)?;
                let id = container.commit(message.as_deref(), author.as_deref(), squash)?;
                ui.info(format!(
                    "committed {image} ({})",
                    crate::name::summarize_id(&id)
                ));
            }
            Ok(0)
        }
        Command::Kill { names } => {
            let images = images(&names)?;
            let ctx = context(global, ui)?;
            for image in images {
                let container = Container::new(&ctx, image.clone(), None, Duration::ZERO)?;
                if container.kill()? {
                    ui.info(format!("killed {image}"));
                } else {
                    ui.info(format!("no container of {image} was running"));
                }
            }
            Ok(0)
        }
        Command::Delete { force, names } => {
            let images = images(&names)?;
            let ctx = context(global, ui)?;
            for image in images {
                let container = Container::new(&ctx, image.clone(), None, Duration::ZERO)?;
                container.delete(force)?;
                ui.info(format!("deleted the image {image}"));
            }
            Ok(0)
        }
        Command::Status { json, names } => {
            let images = images(&names)?;
            let ctx = context(global, ui)?;
            let rows = status::rows(&ctx, &images)?;
            if json {
                let text =
                    serde_json::to_string_pretty(&rows).map_err(|e| Error::other(e.to_string()))?;
                println!("{text}");
            } else if rows.is_empty() {
                ui.info("no containers");
            } else {
                print!("{}", status::table(&rows));
            }
            Ok(0)
        }
        Command::Base {
            from,
            rootfs,
            rebuild,
            tag,
        } => {
            let ctx = context(global, ui)?;
            let options = base_image::BuildOptions {
                target: tag,
                from,
                rootfs,
                rebuild,
            };
            let id = base_image::ensure(&ctx.docker, &options, &mut |p| ui.progress(p))?;
            println!("{}", options.target);
            let _ = id;
            Ok(0)
        }
        Command::Run { name, command } => {
            let image = Image::coerce(&name)?;
            let ctx = context(global, ui)?;
            let host = provision::connect(&ctx, image)?;
            Ok(host.run(&command, None)?)
        }
        Command::Install { name, packages } => {
            let image = Image::coerce(&name)?;
            let ctx = context(global, ui)?;
            provision::connect(&ctx, image)?.install_packages(&packages)?;
            Ok(0)
        }
        Command::Upgrade { name } => {
            let image = Image::coerce(&name)?;
            let ctx = context(global, ui)?;
            provision::connect(&ctx, image)?.upgrade_packages()?;
            Ok(0)
        }
        Command::Upload {
            mode,
            name,
            local,
            remote,
        } => {
            let image = Image::coerce(&name)?;
            let mode = mode.as_deref().map(provision::parse_mode).transpose()?;
            let (contents, local_mode) = provision::read_local(&local)?;
            let ctx = context(global, ui)?;
            let host = provision::connect(&ctx, image)?;
            host.upload_file(&remote, &contents, mode.unwrap_or(local_mode))?;
            Ok(0)
        }
        Command::Sync {
            no_delete,
            no_cvs_exclude,
            name,
            local_dir,
            remote_dir,
        } => {
            let image = Image::coerce(&name)?;
            let ctx = context(global, ui)?;
            let host = provision::connect(&ctx, image)?;
            host.rsync(&local_dir, &remote_dir, !no_cvs_exclude, !no_delete)?;
            Ok(0)
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut command(), "redock", &mut std::io::stdout());
            Ok(0)
        }
        Command::Logs { follow, name } => {
            let image = Image::coerce(&name)?;
            let ctx = context(global, ui)?;
            Container::new(&ctx, image, None, Duration::ZERO)?.logs(follow)?;
            Ok(0)
        }
    }
}

/// Replaces redock with `argv` (plus `extra` after `--`); returns only on
/// failure.
fn exec(argv: Vec<String>, extra: &[OsString]) -> Result<i32> {
    let program = which::which(&argv[0]).map_err(|_| {
        Error::new(crate::error::ErrorKind::ProgramNotFound {
            program: argv[0].clone(),
        })
        .with_hint("install the OpenSSH client (openssh-client)")
    })?;
    let mut command = proc::Cmd::new(program).args(&argv[1..]);
    if !extra.is_empty() {
        command = command.arg("--").args(extra);
    }
    Err(command.exec_replace().into())
}

/// The clap command, for completions and man pages.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command()
}
