//! `history` and `rollback`: the commits and snapshots of a NAME's image
//! (see `crate::history`).

use std::time::Duration;

use crate::cli::{GlobalArgs, HistoryArgs, RollbackArgs};
use crate::container::Container;
use crate::error::{Error, Result};
use crate::history;
use crate::name::{self, Image};
use crate::ui::Ui;

use super::context;

/// `redock history [--json] NAME`.
pub(super) fn history(args: HistoryArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let image = Image::coerce(&args.name)?;
    let limit = history::limit()?;
    let ctx = context(global, ui)?;
    let name = image.name();
    let ctx = ctx.for_name(&name)?;
    let history = history::history(&ctx.docker, &name, limit)?
        .ok_or_else(|| history::no_such_image(&name))?;
    if args.json {
        let text =
            serde_json::to_string_pretty(&history).map_err(|e| Error::other(e.to_string()))?;
        println!("{text}");
    } else {
        print!("{}", history::table(&history));
    }
    Ok(0)
}

/// `redock rollback [--to N] [--force] NAME`.
pub(super) fn rollback(args: RollbackArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let image = Image::coerce(&args.name)?;
    let ctx = context(global, ui)?;
    let container = Container::new(&ctx, image.clone(), None, Duration::ZERO)?;
    let done = container.rollback(args.to as usize, args.force)?;
    if ctx.dry_run {
        return Ok(super::lifecycle::dry_run_done(&ctx));
    }
    if done.killed {
        ui.info(format!("killed {image}"));
    }
    let undo = if done.kept.is_some() {
        format!("; `redock rollback {image}` undoes it")
    } else {
        String::new()
    };
    ui.info(format!(
        "rolled {image} back to snapshot {} ({}){undo}",
        args.to,
        name::summarize_id(&done.restored.id)
    ));
    Ok(0)
}
