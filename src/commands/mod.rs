//! What each command does: one function per command, given its parsed
//! arguments (the types in `cli`), returning redock's exit code. Here errors
//! become one `redock: error:` line, a hint and an exit code, and results
//! reach stdout.
//!
//! - `lifecycle`: start, commit, kill, delete, logs
//! - `ssh`: ssh, and replacing redock with ssh
//! - `provision`: run, install, upgrade, upload, sync
//! - `ssh_config`: ssh-config (the Host blocks, and uninstalling the
//!   Include line)
//! - `config`: the remembered settings
//! - `history`: history and rollback
//! - `status`, `base`, and `completions` below

mod base;
mod config;
mod history;
mod lifecycle;
mod provision;
mod ssh;
mod ssh_config;
mod status;

use std::ffi::OsString;

use clap::Parser;
use docker_exec::Endpoint;

use crate::cli::{Cli, Command, CompletionsArgs, GlobalArgs};
use crate::context::Context;
use crate::error::Result;
use crate::home::Home;
use crate::name::Image;
use crate::sshfiles::UserConfig;
use crate::ui::Ui;

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

fn run(cli: Cli, ui: &Ui) -> Result<i32> {
    let global = &cli.global;
    match cli.command {
        Command::Start(args) => lifecycle::start(args, global, ui),
        Command::Ssh(args) => ssh::ssh(args, global, ui),
        Command::Commit(args) => lifecycle::commit(args, global, ui),
        Command::Kill(args) => lifecycle::kill(args, global, ui),
        Command::Delete(args) => lifecycle::delete(args, global, ui),
        Command::History(args) => history::history(args, global, ui),
        Command::Rollback(args) => history::rollback(args, global, ui),
        Command::Status(args) => status::status(args, global, ui),
        Command::Base(args) => base::base(args, global, ui),
        Command::Run(args) => provision::run(args, global, ui),
        Command::Install(args) => provision::install(args, global, ui),
        Command::Upgrade(args) => provision::upgrade(args, global, ui),
        Command::Upload(args) => provision::upload(args, global, ui),
        Command::Sync(args) => provision::sync(args, global, ui),
        Command::Completions(args) => completions(args),
        Command::Logs(args) => lifecycle::logs(args, global, ui),
        Command::SshConfig(args) => ssh_config::ssh_config(args, global, ui),
        Command::Config(args) => config::config(args, global, ui),
    }
}

/// The engine, REDOCK_HOME and the user's ssh config, as the global
/// options say. Each command asks for it only after its own arguments
/// passed, so that a bad one changes nothing.
fn context(global: &GlobalArgs, ui: &Ui) -> Result<Context> {
    let docker = docker_exec::Docker::from_env()?;
    check_engine_path(docker.program())?;
    let variable = |key| std::env::var(key).ok();
    let asked = match &global.context {
        Some(name) => Some(context_endpoint(name)?),
        None => Endpoint::from_variables(
            variable("DOCKER_HOST").as_deref(),
            variable("DOCKER_CONTEXT").as_deref(),
        ),
    };
    // The engine of new NAMEs, fixed once: the CLI's current context is
    // read now, not by each call.
    let endpoint = asked.clone().unwrap_or_else(|| docker.endpoint());
    let docker = docker.on(&endpoint);
    let home = Home::from_env()?;
    // Both are known before the engine is asked anything: whatever redock
    // would write of them into an ssh configuration is checked now.
    crate::sshfiles::check_values(&home, docker.exec_proxy_command("0123456789ab"))?;
    let user_config = UserConfig::new(global.ssh_config.clone(), global.no_ssh_config, &home)?;
    let mut ctx = Context::new(docker, home, user_config, global.dry_run, ui.clone());
    ctx.asked = asked;
    ctx.program_given = std::env::var_os("REDOCK_DOCKER").is_some_and(|v| !v.is_empty());
    Ok(ctx)
}

/// The engine `--context NAME` names. A context's name goes into ssh
/// configurations (the exec transport's ProxyCommand), so it is held to
/// the docker CLI's grammar for it before anything runs.
fn context_endpoint(name: &str) -> Result<Endpoint> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "_.+-".contains(c));
    if first_ok && rest_ok {
        Ok(Endpoint::context(name))
    } else {
        Err(crate::error::Error::other(format!(
            "invalid context name {name:?}: a docker context is named by letters, digits and `_.+-`"
        ))
        .with_hint("`docker context ls` lists them"))
    }
}

/// The engine CLI's path goes into ssh configurations (the exec
/// transport's ProxyCommand), so it is checked as REDOCK_HOME is, before
/// the engine is asked anything.
fn check_engine_path(program: &std::path::Path) -> Result<()> {
    let reason = match program.to_str() {
        None => "is not valid UTF-8",
        Some(text) if text.chars().any(char::is_control) => {
            "holds a control character, which no ssh configuration can hold"
        }
        Some(_) => return Ok(()),
    };
    Err(
        crate::error::Error::other(format!("the engine CLI {program:?} {reason}"))
            .with_hint("point REDOCK_DOCKER at the docker (or podman) program by another path"),
    )
}

/// Refuses, before any NAME is acted on, a NAME that lives on another
/// engine than the one the user named.
fn check_engines(ctx: &Context, images: &[Image]) -> Result<()> {
    for image in images {
        ctx.for_name(&image.name())?;
    }
    Ok(())
}

/// Parses every NAME before anything runs, so a bad one changes nothing.
fn images(names: &[String]) -> Result<Vec<Image>> {
    names.iter().map(|n| Image::coerce(n)).collect()
}

/// `redock completions SHELL`.
fn completions(args: CompletionsArgs) -> Result<i32> {
    clap_complete::generate(
        args.shell,
        &mut crate::cli::command(),
        "redock",
        &mut std::io::stdout(),
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("redock").chain(args.iter().copied()))
    }

    #[test]
    fn timeouts_are_range_checked_by_clap() {
        let timeout = |value: &str| match parse(&["start", &format!("--timeout={value}"), "web"]) {
            Ok(Cli {
                command: Command::Start(args),
                ..
            }) => Ok(args.timeout),
            Ok(_) => unreachable!(),
            Err(e) => Err(e.kind()),
        };
        assert_eq!(timeout("2.5"), Ok(2.5));
        assert_eq!(timeout("3600"), Ok(3600.0));
        assert_eq!(timeout("0.1"), Ok(0.1));
        for bad in [
            "1e300", "1e19", "NaN", "inf", "-1", "0", "3601", "1e-9", "", "10s",
        ] {
            assert_eq!(
                timeout(bad),
                Err(clap::error::ErrorKind::ValueValidation),
                "{bad}"
            );
        }
        // Every value that passes is a Duration.
        let _ = std::time::Duration::from_secs_f64(*crate::cli::TIMEOUT_RANGE.end());
    }

    #[test]
    fn modes_are_octal_and_range_checked_by_clap() {
        let mode =
            |value: &str| match parse(&["upload", &format!("--mode={value}"), "web", "a", "b"]) {
                Ok(Cli {
                    command: Command::Upload(args),
                    ..
                }) => Ok(args.mode.unwrap()),
                Ok(_) => unreachable!(),
                Err(e) => Err(e.kind()),
            };
        assert_eq!(mode("0640"), Ok(0o640));
        assert_eq!(mode("755"), Ok(0o755));
        assert_eq!(mode("0o600"), Ok(0o600));
        assert_eq!(mode("7777"), Ok(0o7777));
        for bad in ["", "8", "rwx", "17777", "-1", "+1", "99999999999999999999"] {
            assert_eq!(
                mode(bad),
                Err(clap::error::ErrorKind::ValueValidation),
                "{bad}"
            );
        }
    }

    #[test]
    fn context_names_follow_the_docker_cli() {
        use docker_exec::Endpoint;
        assert_eq!(
            super::context_endpoint("far").unwrap(),
            Endpoint::Context("far".into())
        );
        assert_eq!(
            super::context_endpoint("build.host_2+x-1").unwrap(),
            Endpoint::Context("build.host_2+x-1".into())
        );
        assert_eq!(
            super::context_endpoint("default").unwrap(),
            Endpoint::Default
        );
        for bad in ["", "-far", ".far", "far away", "far%h", "a/b", "é", "far\n"] {
            let error = super::context_endpoint(bad).unwrap_err().to_string();
            assert!(error.starts_with("invalid context name"), "{bad}: {error}");
            assert!(!error.contains('\n'), "{error}");
        }
    }

    #[test]
    fn base_builds_the_default_base_image() {
        let command = crate::cli::command();
        let base = command.find_subcommand("base").unwrap();
        let tag = base.get_arguments().find(|a| a.get_id() == "tag").unwrap();
        assert_eq!(tag.get_default_values(), [base_image::DEFAULT_TARGET]);
    }
}
