//! `redock base`: builds the base image through `base_image`, its progress
//! on the terminal, and remembers the mirror and packages it was given.

use crate::base::{self, Choices};
use crate::cli::{BaseArgs, GlobalArgs};
use crate::error::Result;
use crate::home::Home;
use crate::settings::{self, Settings};
use crate::ui::Ui;

use super::context;

/// `redock base [--from IMAGE | --rootfs PATH] [--rebuild] [--tag IMAGE]
/// [--mirror URL] [--with PACKAGE…]`.
pub(super) fn base(args: BaseArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let choices = Choices {
        mirror: args.mirror,
        with: args.with,
    };
    let options = base_image::BuildOptions {
        target: args.tag,
        from: args.from,
        rootfs: args.rootfs,
        rebuild: args.rebuild,
        ..base_image::BuildOptions::default()
    };
    // Checked before the engine is looked for, so a bad one changes nothing.
    let options = base::options(&Home::from_env()?, options, &choices)?;
    let ctx = context(global, ui)?;
    base::ensure(&ctx, &options)?;
    // Remembered once they built: a mirror that fails is not kept.
    if choices.mirror.is_some() || !choices.with.is_empty() {
        let mut packages = choices.with.clone();
        packages.sort();
        packages.dedup();
        Settings::update(&ctx.home, |s| {
            if let Some(mirror) = &choices.mirror {
                s.set_text(settings::MIRROR, mirror);
            }
            if !packages.is_empty() {
                s.set_list(settings::WITH, &packages);
            }
        })?;
        if !ctx.dry_run {
            ui.info("remembered for later builds; `redock config` shows it");
        }
    }
    if ctx.dry_run {
        return Ok(super::lifecycle::dry_run_done(&ctx));
    }
    println!("{}", options.target);
    Ok(0)
}
