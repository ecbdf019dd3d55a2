//! `redock base`: builds the base image through `base_image`, its progress
//! on the terminal.

use crate::cli::{BaseArgs, GlobalArgs};
use crate::error::Result;
use crate::ui::Ui;

use super::context;

/// `redock base [--from IMAGE | --rootfs PATH] [--rebuild] [--tag IMAGE]`.
pub(super) fn base(args: BaseArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let ctx = context(global, ui)?;
    let options = base_image::BuildOptions {
        target: args.tag,
        from: args.from,
        rootfs: args.rootfs,
        rebuild: args.rebuild,
    };
    base_image::ensure(&ctx.docker, &options, &mut |p| ui.progress(p))?;
    println!("{}", options.target);
    Ok(0)
}
