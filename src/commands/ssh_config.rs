//! `redock ssh-config`: the Host blocks of running containers on stdout,
//! ready for `ssh -F FILE` and for tools that read one file and do not
//! follow `Include` (paramiko, fabric), as `vagrant ssh-config` prints its
//! own; and `--uninstall`, which takes redock's Include line out of the
//! user's config.

use std::time::Duration;

use crate::cli::{GlobalArgs, SshConfigArgs};
use crate::container::{labels, Container};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::sshfiles::{self, UninstallOutcome, UserConfig};
use crate::ui::Ui;

use super::{context, images};

/// `redock ssh-config [--uninstall] [NAME…]`.
pub(super) fn ssh_config(args: SshConfigArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let images = images(&args.names)?;
    let ctx = context(global, ui)?;
    if args.uninstall {
        return uninstall(&ctx);
    }
    // (NAME, alias) of each container to print.
    let mut wanted = Vec::new();
    if images.is_empty() {
        // The running containers of every engine redock knows; one that
        // does not answer is told, and the others' blocks printed.
        let engines = ctx.engines(&ctx.load_state()?);
        let answers = ctx.inspect_on(&engines);
        if answers.iter().all(|a| a.is_err()) {
            if let Some(Err(error)) = answers.into_iter().next() {
                return Err(error);
            }
            return Ok(0);
        }
        for (docker, answer) in engines.iter().zip(answers) {
            match answer {
                Ok(infos) => {
                    for entry in infos.iter().filter(|c| c.is_running()) {
                        let label = |key| entry.labels.get(key).cloned().unwrap_or_default();
                        wanted.push((label(labels::NAME), label(labels::ALIAS)));
                    }
                }
                Err(error) => ui.warn(format!(
                    "the engine {} does not answer; its containers are left out ({error})",
                    crate::status::engine_name(docker)
                )),
            }
        }
        wanted.sort();
        if wanted.is_empty() {
            ui.info("no containers are running");
        }
    } else {
        for image in images {
            let container = Container::new(&ctx, image.clone(), None, Duration::ZERO)?;
            wanted.push((image.name(), container.running_alias()?));
        }
    }
    let mut blocks = Vec::new();
    for (name, alias) in &wanted {
        match sshfiles::host_block_text(&ctx.home, alias) {
            Some(block) => blocks.push(block),
            None if args.names.is_empty() => ui.warn(format!(
                "{name} runs without a Host block; `redock start {name}` repairs it"
            )),
            None => {
                return Err(Error::other(format!("{name} runs without a Host block"))
                    .with_hint(format!("`redock start {name}` repairs it")))
            }
        }
    }
    print!("{}", blocks.join("\n"));
    Ok(0)
}

/// `redock ssh-config --uninstall`.
fn uninstall(ctx: &Context) -> Result<i32> {
    let path = ctx.user_config.path.display();
    match ctx.user_config.remove_include(&ctx.home, ctx.dry_run)? {
        UninstallOutcome::Removed => ctx.ui.info(format!(
            "took `{}` out of {path}; `redock start` adds it again unless given --no-ssh-config",
            UserConfig::include_line(&ctx.home)?
        )),
        UninstallOutcome::Absent => ctx
            .ui
            .info(format!("{path} does not include redock's ssh_config")),
        UninstallOutcome::DryRun(diff) => {
            crate::dry::note(format!("change {path}:"));
            print!("{diff}");
            ctx.ui.info("--dry-run: nothing was changed");
        }
        UninstallOutcome::ReadOnly(line) => {
            return Err(Error::other(format!("{path} is not writable"))
                .with_hint(format!("take this line out by hand: {line}")))
        }
        UninstallOutcome::Shared(line) => ctx.ui.warn(format!(
            "line {line} of {path} includes redock's ssh_config along with other files; \
             it was left as it is"
        )),
        UninstallOutcome::Disabled => ctx
            .ui
            .info("--no-ssh-config: your SSH client config was left alone"),
    }
    Ok(0)
}
