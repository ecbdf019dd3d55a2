//! `cargo xtask fixture`: the Debian image the engine tests start from.
//!
//! No registry is reachable where the tests run, so the image is made from
//! scratch: debootstrap a minimal bookworm and `docker import` it. It is
//! built once and reused while it exists.

use std::path::{Path, PathBuf};

use crate::cmd::{self, find_program, is_root};
use crate::{target_dir, DynError};

/// The fixture image's name. Tests cannot depend on xtask, so they repeat
/// this constant; keep the copies equal.
pub const IMAGE: &str = "redock-fixture/debian:bookworm";

/// Overrides [`IMAGE`], e.g. to try a fresh build beside the real one.
const IMAGE_ENV: &str = "REDOCK_FIXTURE_IMAGE";

const SUITE: &str = "bookworm";

pub fn run(args: &[String]) -> Result<(), DynError> {
    let mut with_ssh = false;
    for arg in args {
        match arg.as_str() {
            "--with-ssh" => with_ssh = true,
            other => return Err(format!("fixture: unexpected argument `{other}`").into()),
        }
    }
    ensure(with_ssh)
}

/// The image name in force: [`IMAGE`] unless the environment overrides it.
pub fn image() -> String {
    std::env::var(IMAGE_ENV)
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| IMAGE.to_string())
}

/// Builds the fixture image unless it exists. `with_ssh` bakes
/// openssh-server and supervisor into a new build, for engines whose
/// containers cannot reach a package mirror; an existing image is reused
/// as it is either way.
pub fn ensure(with_ssh: bool) -> Result<(), DynError> {
    let include: &[&str] = if with_ssh {
        &["openssh-server", "supervisor"]
    } else {
        &[]
    };
    ensure_image(SUITE, &image(), include)
}

/// Builds `image` from a minimal debootstrap of the Debian `suite`, with
/// the packages in `include` added, unless the image exists.
pub(crate) fn ensure_image(suite: &str, image: &str, include: &[&str]) -> Result<(), DynError> {
    if cmd::new("docker")
        .args(["image", "inspect", image])
        .succeeds()
    {
        println!("fixture image {image} exists; reusing it");
        return Ok(());
    }
    println!("fixture image {image} is missing: building it with debootstrap");
    let debootstrap = find_program("debootstrap").ok_or(
        "cannot build the fixture image: debootstrap is not installed \
         (apt-get install debootstrap, or run `cargo xtask ci` as root)",
    )?;
    if !is_root() {
        return Err("cannot build the fixture image: debootstrap needs root".into());
    }

    let rootfs =
        Rootfs::new(target_dir().join(format!("fixture-rootfs-{suite}-{}", std::process::id())))?;
    let mut debootstrap = cmd::new(debootstrap).arg("--variant=minbase");
    if !include.is_empty() {
        debootstrap = debootstrap.arg(format!("--include={}", include.join(",")));
    }
    // No mirror argument: debootstrap's own default is the right one.
    debootstrap
        .args([suite.as_ref(), rootfs.path.as_os_str()])
        .run()
        .map_err(|e| format!("debootstrap could not build a root file system: {e}"))?;
    import(&rootfs.path, image)?;
    rootfs.remove()?;
    println!("fixture image {image} is ready");
    Ok(())
}

/// `tar -C DIR --numeric-owner -c . | docker import -c 'CMD ["/bin/bash"]' - IMAGE`
fn import(dir: &Path, image: &str) -> Result<(), DynError> {
    let tar = cmd::new("tar")
        .arg("-C")
        .arg(dir)
        .args(["--numeric-owner", "-c", "."]);
    let import = cmd::new("docker").args(["import", "-c", r#"CMD ["/bin/bash"]"#, "-", image]);
    cmd::pipe(tar, import)
}

/// A root file system being built, removed however the build ends.
struct Rootfs {
    path: PathBuf,
}

impl Rootfs {
    fn new(path: PathBuf) -> Result<Rootfs, DynError> {
        if path.exists() {
            std::fs::remove_dir_all(&path)?;
        }
        std::fs::create_dir_all(&path)?;
        Ok(Rootfs { path })
    }

    /// Removes the tree, but only once nothing is mounted inside it:
    /// debootstrap mounts /proc and /sys in its target, and deleting
    /// through such a mount would reach the host's.
    fn remove(&self) -> Result<(), DynError> {
        for mount in mounts_under(&self.path).into_iter().rev() {
            let _ = cmd::new("umount").arg("-l").arg(&mount).run();
        }
        let left = mounts_under(&self.path);
        if !left.is_empty() {
            return Err(format!(
                "not removing {}: still mounted inside it: {}",
                self.path.display(),
                left.iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
            .into());
        }
        if self.path.exists() {
            std::fs::remove_dir_all(&self.path)
                .map_err(|e| format!("cannot remove {}: {e}", self.path.display()))?;
        }
        Ok(())
    }
}

impl Drop for Rootfs {
    fn drop(&mut self) {
        if let Err(e) = self.remove() {
            eprintln!("xtask: warning: {e}");
        }
    }
}

/// Mount points at or below `dir`, in the order the kernel lists them.
fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .map(unescape_mount_path)
        .filter(|p| p.starts_with(dir))
        .collect()
}

/// `/proc/self/mounts` writes space, tab, newline and backslash as octal
/// escapes.
fn unescape_mount_path(s: &str) -> PathBuf {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|o| o.iter().all(|b| (b'0'..=b'7').contains(b)));
        match (bytes[i], octal) {
            (b'\\', Some(o)) => {
                let value = o.iter().fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
                // Values above 0o377 are not escapes the kernel writes.
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_paths_are_unescaped() {
        assert_eq!(
            unescape_mount_path(r"/tmp/a\040b\134c"),
            PathBuf::from(r"/tmp/a b\c")
        );
        assert_eq!(unescape_mount_path(r"/x\9"), PathBuf::from(r"/x\9"));
    }
}
