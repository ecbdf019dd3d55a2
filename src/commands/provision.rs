//! The commands that work in a running container over SSH, through
//! `crate::provision`: run, install, upgrade, upload and sync.

use crate::cli::{GlobalArgs, InstallArgs, RunArgs, SyncArgs, UpgradeArgs, UploadArgs};
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
    Ok(host.run(&args.command, None)?)
}

/// `redock install NAME PACKAGE…`.
pub(super) fn install(args: InstallArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let image = Image::coerce(&args.name)?;
    let ctx = context(global, ui)?;
    provision::connect(&ctx, image)?.install_packages(&args.packages)?;
    Ok(0)
}

/// `redock upgrade NAME`.
pub(super) fn upgrade(args: UpgradeArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let image = Image::coerce(&args.name)?;
    let ctx = context(global, ui)?;
    provision::connect(&ctx, image)?.upgrade_packages()?;
    Ok(0)
}

/// `redock upload [--mode MODE] NAME LOCAL REMOTE`.
pub(super) fn upload(args: UploadArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let image = Image::coerce(&args.name)?;
    let (contents, local_mode) = provision::read_local(&args.local)?;
    let ctx = context(global, ui)?;
    let host = provision::connect(&ctx, image)?;
    host.upload_file(&args.remote, &contents, args.mode.unwrap_or(local_mode))?;
    Ok(0)
}

/// `redock sync NAME LOCAL_DIR REMOTE_DIR`.
pub(super) fn sync(args: SyncArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let image = Image::coerce(&args.name)?;
    let ctx = context(global, ui)?;
    let host = provision::connect(&ctx, image)?;
    host.rsync(
        &args.local_dir,
        &args.remote_dir,
        !args.no_cvs_exclude,
        !args.no_delete,
    )?;
    Ok(0)
}
