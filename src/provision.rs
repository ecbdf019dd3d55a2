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
    let container = Container::new(ctx, image, None, Duration::ZERO)?;
    let alias = container.running_alias()?;
    Ok(Bootstrap::new(alias, ctx.ssh_config_arg())?)
}

/// Parses an octal mode such as `0640` or `640`.
pub fn parse_mode(text: &str) -> Result<u32> {
    let digits = text.strip_prefix("0o").unwrap_or(text);
    match u32::from_str_radix(digits, 8) {
        Ok(mode) if mode <= 0o7777 && !digits.is_empty() => Ok(mode),
        _ => Err(Error::other(format!(
            "invalid mode {text:?}: give octal digits such as 0640"
        ))),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(parse_mode("0640").unwrap(), 0o640);
        assert_eq!(parse_mode("755").unwrap(), 0o755);
        assert_eq!(parse_mode("0o600").unwrap(), 0o600);
        for bad in ["", "8", "rwx", "17777", "-1"] {
            assert!(parse_mode(bad).is_err(), "{bad}");
        }
    }
}
