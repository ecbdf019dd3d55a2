//! Provisioning over SSH (the original's `bootstrap`): `run`, `install`,
//! `upgrade`, `upload` and `sync` on the running container of a NAME.

use std::path::Path;
use std::time::Duration;

use bootstrap::Bootstrap;

use crate::container::Container;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::name::Image;

/// A `Bootstrap` for the running container of `image`, or
/// `NoContainerRunning`.
pub fn connect(ctx: &Context, image: Image) -> Result<Bootstrap> {
    ctx.repair_modes()?;
    let container = Container::new(ctx, image, None, Duration::ZERO)?;
    let alias = container.running_alias()?;
    Ok(Bootstrap::new(alias, ctx.ssh_config_arg())?)
}

/// The contents and mode of a local file to upload.
pub fn read_local(path: &Path) -> Result<(Vec<u8>, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let contents = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let mode = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .permissions()
        .mode()
        & 0o7777;
    Ok((contents, mode))
}
