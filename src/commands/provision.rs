//! The commands that work in a running container over SSH, through
//! `crate::provision`: run, install, upgrade, upload and sync.
//!
//! With `--dry-run` each makes its checks (the NAME, a running container,
//! the local file) and then tells what it would do in the container
//! instead of doing it: what that would change there, only doing it tells.

use std::ffi::OsString;

use crate::cli::{GlobalArgs, InstallArgs, RunArgs, SyncArgs, UpgradeArgs, UploadArgs};
use crate::dry;
use crate::error::Result;
use crate::name::Image;
use crate::provision;
use crate::ui::Ui;

use super::context;

/// `redock run NAME -- COMMAND…`: COMMAND's exit code becomes redock's.
pub(super) fn run(args: RunArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let image = Image::coerce(&args.name)?;
    let ctx = context(global, ui)?;
    let host = provision::connect(&ctx, image)?;
    if ctx.dry_run {
        dry::would_run(&ssh_line(ctx.ssh_command(host.alias()), &args.command));
        return Ok(super::lifecycle::dry_run_done(&ctx));
    }
    Ok(host.run(&args.command, None)?)
}

/// The ssh command line `argv` that runs `command`, as a dry run tells it.
pub(super) fn ssh_line(mut argv: Vec<OsString>, command: &[OsString]) -> String {
    if !command.is_empty() {
        argv.push("--".into());
        argv.extend(command.iter().cloned());
    }
    bootstrap::join(&argv).to_string_lossy().into_owned()
}

/// `redock install NAME PACKAGE…`.
pub(super) fn install(args: InstallArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let image = Image::coerce(&args.name)?;
    let ctx = context(global, ui)?;
    let host = provision::connect(&ctx, image)?;
    if ctx.dry_run {
        dry::note(format!(
            "install {} in {} with its package manager (apt-get, apk or dnf) over ssh",
            args.packages.join(" "),
            host.alias()
        ));
        return Ok(super::lifecycle::dry_run_done(&ctx));
    }
    host.install_packages(&args.packages)?;
    Ok(0)
}

/// `redock upgrade NAME`.
pub(super) fn upgrade(args: UpgradeArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let image = Image::coerce(&args.name)?;
    let ctx = context(global, ui)?;
    let host = provision::connect(&ctx, image)?;
    if ctx.dry_run {
        dry::note(format!(
            "upgrade every package in {} with its package manager over ssh",
            host.alias()
        ));
        return Ok(super::lifecycle::dry_run_done(&ctx));
    }
    host.upgrade_packages()?;
    Ok(0)
}

/// `redock upload [--mode MODE] NAME LOCAL REMOTE`.
pub(super) fn upload(args: UploadArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let image = Image::coerce(&args.name)?;
    let (contents, local_mode) = provision::read_local(&args.local)?;
    let ctx = context(global, ui)?;
    let host = provision::connect(&ctx, image)?;
    let mode = args.mode.unwrap_or(local_mode);
    if ctx.dry_run {
        dry::note(format!(
            "upload {} ({} bytes) to {}:{} with mode {mode:04o} over ssh",
            args.local.display(),
            contents.len(),
            host.alias(),
            args.remote.display()
        ));
        return Ok(super::lifecycle::dry_run_done(&ctx));
    }
    host.upload_file(&args.remote, &contents, mode)?;
    Ok(0)
}

/// `redock sync NAME LOCAL_DIR REMOTE_DIR`.
pub(super) fn sync(args: SyncArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let image = Image::coerce(&args.name)?;
    let ctx = context(global, ui)?;
    let host = provision::connect(&ctx, image)?;
    if ctx.dry_run {
        dry::note(format!(
            "copy {} to {}:{} with rsync{}",
            args.local_dir.display(),
            host.alias(),
            args.remote_dir.display(),
            if args.no_delete {
                ""
            } else {
                ", deleting remote files that do not exist locally"
            }
        ));
        return Ok(super::lifecycle::dry_run_done(&ctx));
    }
    host.rsync(
        &args.local_dir,
        &args.remote_dir,
        !args.no_cvs_exclude,
        !args.no_delete,
    )?;
    Ok(0)
}
