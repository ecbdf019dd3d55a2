//! `redock ssh`, and the step `start` shares with it: replacing redock with
//! the ssh client.

use std::ffi::OsString;
use std::time::Duration;

use crate::cli::{GlobalArgs, SshArgs};
use crate::container::Container;
use crate::error::{Error, Result};
use crate::name::Image;
use crate::ui::Ui;

use super::context;

/// `redock ssh NAME [-- COMMAND…]`.
pub(super) fn ssh(args: SshArgs, global: &GlobalArgs, ui: &Ui) -> Result<i32> {
    let image = Image::coerce(&args.name)?;
    let ctx = context(global, ui)?;
    ctx.repair_modes()?;
    let container = Container::new(&ctx, image, None, Duration::ZERO)?;
    let argv = container.get_ssh_client_command()?;
    if ctx.dry_run {
        // A session changes nothing by itself; what it would run, it tells.
        crate::dry::would_run(&super::provision::ssh_line(argv, &args.command));
        return Ok(super::lifecycle::dry_run_done(&ctx));
    }
    exec(argv, &args.command)
}

/// Replaces redock with `argv` (plus `extra` after `--`); returns only on
/// failure.
pub(super) fn exec(argv: Vec<OsString>, extra: &[OsString]) -> Result<i32> {
    let program = which::which(&argv[0]).map_err(|_| {
        Error::new(crate::error::ErrorKind::ProgramNotFound {
            program: argv[0].to_string_lossy().into_owned(),
        })
        .with_hint("install the OpenSSH client (openssh-client)")
    })?;
    let mut command = proc::Cmd::new(program).args(&argv[1..]);
    if !extra.is_empty() {
        command = command.arg("--").args(extra);
    }
    Err(command.exec_replace().into())
}
