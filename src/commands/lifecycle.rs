//! The commands that start, save and remove containers and images: start,
//! commit, kill, delete and logs.

use std::io::Write;
use std::os::unix::ffi::OsStringExt;
use std::time::Duration;

use crate::cli::{CommitArgs, DeleteArgs, GlobalArgs, KillArgs, LogsArgs, StartArgs};
use crate::container::{Container, Outcome};
use crate::context::Context;
use crate::error::{Error, ErrorKind, Result};
use crate::name::{self, Image};
use crate::parallel;
use crate::sshfiles::{IncludeOutcome, Transport, UserConfig};
use crate::ui::Ui;

use super::ssh::exec;
use super::{check_engines, context, images};

/// `redock start NAME…`.
pub(super) fn start(args: StartArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let StartArgs {
        hostname,
        timeout,
        transport,
        no_ssh,
        names,
    } = args;
    let images = images(&names)?;
    let hostnames = hostnames(&images, hostname.as_deref())?;
    let transport = transport.as_deref().and_then(Transport::parse);
    let ctx = context(global, ui)?;
    check_engines(&ctx, &images)?;
    for hostname in &hostnames {
        let alias = name::ssh_alias(hostname);
        if let Some(home) = ctx.user_config.alias_owner(&ctx.home, &alias) {
            return Err(
                Error::new(ErrorKind::AliasInOtherHome { alias, home }).with_hint(
                    "kill its container there, or give this one another host name with -n/--hostname",
                ),
            );
        }
    }
    ctx.repair_modes()?;
    let timeout = Duration::from_secs_f64(timeout);
    if images.len() > 1 {
        shared_first(&ctx, &images)?;
    }
    // One NAME on a terminal: a shell in it, as the original did.
    // Otherwise the command that gets there, one line per NAME.
    let interactive = images.len() == 1 && !no_ssh && Ui::interactive();
    let pairs: Vec<(Image, &String)> = images.iter().cloned().zip(&hostnames).collect();
    let mut last = None;
    let code = for_each(
        &ctx,
        &pairs,
        |(image, hostname)| {
            Container::new(&ctx, image.clone(), Some(hostname), timeout)?.start(transport)
        },
        |(image, _), running| {
            report_include(&ctx, &running.include);
            if ctx.dry_run {
                return Ok(());
            }
            let endpoint = running.endpoint.display();
            match running.outcome {
                Outcome::Created => ui.info(format!("started {image} ({endpoint})")),
                Outcome::Reused => ui.info(format!("{image} is already running; reusing it")),
                Outcome::Resumed(was) => ui.info(format!(
                    "resumed the {} container {} of {image} ({endpoint})",
                    crate::decision::status_word(was),
                    name::summarize_id(&running.id),
                )),
            }
            if !interactive {
                // The bytes as they are: a config path need not be UTF-8.
                let mut line = bootstrap::join(&ctx.ssh_command(&running.alias)).into_vec();
                line.push(b'\n');
                std::io::stdout()
                    .write_all(&line)
                    .map_err(|e| Error::io("stdout", e))?;
            }
            last = Some(running);
            Ok(())
        },
    )?;
    match last {
        Some(running) if interactive => exec(ctx.ssh_command(&running.alias), &[]),
        _ => Ok(code.max(dry_run_done(&ctx))),
    }
}

/// What several NAMEs' starts share is done once, before any of them: the
/// key pair, and the base image when a NAME has no image of its own. The
/// engine is asked first, so that an unreachable one changes nothing.
fn shared_first(ctx: &Context, images: &[Image]) -> Result<()> {
    let mut found = Vec::new();
    parallel::each(
        images,
        parallel::bound(),
        |image| ctx.docker.image_inspect(&image.name()),
        |_, result| found.push(result),
    );
    let mut missing = false;
    for result in found {
        missing |= result?.is_none();
    }
    ctx.home.public_key()?;
    if missing {
        crate::container::ensure_base(ctx)?;
    }
    Ok(())
}

/// Works on each of `items` with `work`, on several threads when there are
/// several (see `parallel`), and hands each result to `done` in the order
/// given. One item's error is the command's; with several, each error is
/// reported on its own line, naming its NAME, as it comes in order, the
/// others go on, and the exit code is 1 when any failed. A dry run works on
/// one at a time, so that what each would do is told whole.
fn for_each<T, R>(
    ctx: &Context,
    items: &[T],
    work: impl Fn(&T) -> Result<R> + Sync,
    mut done: impl FnMut(&T, R) -> Result<()>,
) -> Result<i32>
where
    T: Sync + Named,
    R: Send,
{
    if let [item] = items {
        done(item, work(item)?)?;
        return Ok(0);
    }
    let mut failed = false;
    let bound = if ctx.dry_run { 1 } else { parallel::bound() };
    parallel::each(items, bound, work, |item, result| {
        if let Err(err) = result.and_then(|r| done(item, r)) {
            failed = true;
            eprintln!("redock: error: {}: {err}", item.image());
            if let Some(hint) = err.hint() {
                eprintln!("hint: {hint}");
            }
        }
    });
    Ok(i32::from(failed))
}

/// What `for_each` names an item by.
trait Named {
    fn image(&self) -> &Image;
}

impl Named for Image {
    fn image(&self) -> &Image {
        self
    }
}

impl<T> Named for (Image, T) {
    fn image(&self) -> &Image {
        &self.0
    }
}

/// The host name of each NAME to start: `-n`'s for one NAME, else each
/// tag's. All are checked before anything starts, as is that no two NAMEs
/// would share an alias.
fn hostnames(images: &[Image], given: Option<&str>) -> Result<Vec<String>> {
    let hostnames = match given {
        Some(_) if images.len() > 1 => {
            return Err(Error::other(
                "-n/--hostname gives one host name; start one NAME at a time with it",
            ))
        }
        Some(hostname) => {
            name::validate_hostname(hostname)?;
            vec![hostname.to_string()]
        }
        None => images
            .iter()
            .map(name::default_hostname)
            .collect::<Result<_>>()?,
    };
    for (i, (image, hostname)) in images.iter().zip(&hostnames).enumerate() {
        let alias = name::ssh_alias(hostname);
        let earlier = images[..i]
            .iter()
            .zip(&hostnames)
            .find(|(other, h)| *other != image && name::ssh_alias(h) == alias);
        if let Some((other, _)) = earlier {
            return Err(Error::other(format!(
                "{other} and {image} would share the SSH alias {alias}"
            ))
            .with_hint("start one of them on its own with -n/--hostname"));
        }
    }
    Ok(hostnames)
}

/// Tells what `start` did to the user's ssh config, and what to do when it
/// could not do what it should.
fn report_include(ctx: &Context, outcome: &IncludeOutcome) {
    let path = ctx.user_config.path.display();
    // Written already, so it renders.
    let include = UserConfig::include_line(&ctx.home).unwrap_or_default();
    match outcome {
        IncludeOutcome::Added => ctx.ui.info(format!("added `{include}` to {path}")),
        IncludeOutcome::Moved(line) => ctx.ui.info(format!(
            "moved `{include}` from line {line} of {path} to the top, \
             so that no option of yours comes before redock's Host blocks"
        )),
        IncludeOutcome::DryRun(diff) => {
            crate::dry::note(format!("change {path}:"));
            print!("{diff}");
        }
        IncludeOutcome::ReadOnly(line) => ctx.ui.warn(format!(
            "{path} is not writable; put this line before its first line that is not a comment or blank:\n  {line}"
        )),
        IncludeOutcome::InBlock(line) => ctx.ui.warn(format!(
            "line {line} of {path} includes redock's ssh_config, with other files, inside a Host or Match block, \
             where ssh reads it only when that block applies; give redock's its own line before the first option"
        )),
        IncludeOutcome::Present | IncludeOutcome::Disabled => {}
    }
}

/// `redock commit NAME…`.
pub(super) fn commit(args: CommitArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let images = images(&args.names)?;
    let ctx = context(global, ui)?;
    check_engines(&ctx, &images)?;
    let code = for_each(
        &ctx,
        &images,
        |image| {
            let container = Container::new(&ctx, image.clone(), None, Duration::ZERO)?;
            container.commit(args.message.as_deref(), args.author.as_deref(), args.squash)
        },
        |image, id| {
            if !ctx.dry_run {
                ui.info(format!("committed {image} ({})", name::summarize_id(&id)));
            }
            Ok(())
        },
    )?;
    Ok(code.max(dry_run_done(&ctx)))
}

/// `redock kill NAME…`.
pub(super) fn kill(args: KillArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let images = images(&args.names)?;
    let ctx = context(global, ui)?;
    check_engines(&ctx, &images)?;
    let code = for_each(
        &ctx,
        &images,
        |image| Container::new(&ctx, image.clone(), None, Duration::ZERO)?.kill(),
        |image, killed| {
            if ctx.dry_run {
                return Ok(());
            }
            if killed {
                ui.info(format!("killed {image}"));
            } else {
                ui.info(format!("no container of {image} was running"));
            }
            Ok(())
        },
    )?;
    Ok(code.max(dry_run_done(&ctx)))
}

/// `redock delete NAME…`.
pub(super) fn delete(args: DeleteArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let images = images(&args.names)?;
    let ctx = context(global, ui)?;
    check_engines(&ctx, &images)?;
    let code = for_each(
        &ctx,
        &images,
        |image| Container::new(&ctx, image.clone(), None, Duration::ZERO)?.delete(args.force),
        |image, pruned| {
            if ctx.dry_run {
                return Ok(());
            }
            ui.info(format!(
                "deleted the image {image}{}",
                match pruned.removed {
                    0 => String::new(),
                    1 => " and its snapshot".to_string(),
                    n => format!(" and its {n} snapshots"),
                }
            ));
            for snapshot in pruned.in_use {
                ui.warn(format!(
                    "kept the snapshot {}: a container or another image uses it",
                    snapshot.reference
                ));
            }
            Ok(())
        },
    )?;
    Ok(code.max(dry_run_done(&ctx)))
}

/// After a dry run, says that it changed nothing; the exit code, 0.
pub(super) fn dry_run_done(ctx: &Context) -> i32 {
    if ctx.dry_run {
        ctx.ui.info("--dry-run: nothing was changed");
    }
    0
}

/// `redock logs NAME`.
pub(super) fn logs(args: LogsArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let image = Image::coerce(&args.name)?;
    let ctx = context(global, ui)?;
    Container::new(&ctx, image, None, Duration::ZERO)?.logs(args.follow)?;
    Ok(0)
}
