//! `redock status`: the rows come from `crate::status`; here they are
//! printed.

use crate::cli::{GlobalArgs, StatusArgs};
use crate::error::{Error, Result};
use crate::status;
use crate::ui::Ui;

use super::{context, images};

/// `redock status [--json] [NAME…]`.
pub(super) fn status(args: StatusArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let images = images(&args.names)?;
    let ctx = context(global, ui)?;
    let rows = status::rows(&ctx, &images)?;
    if args.json {
        let text = serde_json::to_string_pretty(&rows).map_err(|e| Error::other(e.to_string()))?;
        println!("{text}");
    } else if rows.is_empty() {
        ui.info("no containers");
    } else {
        print!("{}", status::table(&rows));
    }
    Ok(0)
}
