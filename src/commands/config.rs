//! `redock config`: the remembered settings (`crate::settings`), and
//! `--unset KEY` to forget one.

use crate::cli::{ConfigArgs, GlobalArgs};
use crate::error::Result;
use crate::home::Home;
use crate::settings::{self, Settings, KEYS};
use crate::ui::Ui;

/// `redock config [--unset KEY]`.
pub(super) fn config(args: ConfigArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let home = Home::from_env()?;
    if let Some(name) = args.unset {
        let key = settings::key(&name)?;
        let set = Settings::load(&home)?.display(key).is_some();
        if !set {
            ui.info(format!("{} is not set", key.name));
        } else if global.dry_run {
            ui.info(format!("--dry-run: {} would be forgotten", key.name));
        } else {
            Settings::update(&home, |s| {
                s.unset(key.name);
            })?;
            ui.info(format!("forgot {}", key.name));
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
