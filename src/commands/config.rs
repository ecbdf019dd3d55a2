//! `redock config`: the remembered settings (`crate::settings`), and
//! `--unset KEY` to forget one.

use crate::cli::{ConfigArgs, GlobalArgs};
use crate::error::Result;
use crate::home::Home;
use crate::settings::{self, Settings, KEYS};
use crate::ui::Ui;

/// `redock config [--unset KEY]`.
pub(super) fn config(args: ConfigArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    // A dry run's home tells the change to settings.json as a diff.
    let home = Home::from_env()?.with_dry_run(global.dry_run);
    if let Some(name) = args.unset {
        let key = settings::key(&name)?;
        let set = Settings::load(&home)?.display(key).is_some();
        if !set {
            ui.info(format!("{} is not set", key.name));
        } else {
            Settings::update(&home, |s| {
                s.unset(key.name);
            })?;
            if global.dry_run {
                ui.info("--dry-run: nothing was changed");
            } else {
                ui.info(format!("forgot {}", key.name));
            }
        }
        return Ok(0);
    }
    print!("{}", show(&Settings::load(&home)?));
    Ok(0)
}

/// Every setting, one line each: `KEY = VALUE`, or a comment saying how to
/// set it; then what the environment overrides.
fn show(settings: &Settings) -> String {
    let mut text = String::new();
    for key in KEYS {
        match settings.display(key) {
            Some(value) => text.push_str(&format!("{} = {value}\n", key.name)),
            None => text.push_str(&format!("# {} is not set ({})\n", key.name, key.set_by)),
        }
    }
    if let Some(mirror) = std::env::var("REDOCK_MIRROR")
        .ok()
        .filter(|m| !m.is_empty())
    {
        text.push_str(&format!("# REDOCK_MIRROR overrides mirror: {mirror}\n"));
    }
    text
}
