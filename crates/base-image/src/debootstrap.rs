//! Making a Debian root file system with debootstrap, where no registry can
//! be reached, and importing it as an image.

use std::path::Path;

use docker_exec::Docker;
use proc::{Cmd, Tail};

use crate::{ErrorKind, Progress};

/// The Debian release debootstrap makes; [`crate::DEBOOTSTRAP_IMAGE`] names it.
const SUITE: &str = "bookworm";

/// Why debootstrap cannot be used here, or `None` when it can.
pub(crate) fn unavailable_reason() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("it needs root, and redock is not running as root".into());
    }
    if which::which("debootstrap").is_err() {
        return Some("it is not installed".into());
    }
    None
}

/// `debootstrap --variant=minbase bookworm DIR [MIRROR]`, then `tar |
/// docker import`. Without a mirror debootstrap uses its default one; an
/// apt proxy reaches it (and its downloader) as `http_proxy`.
pub(crate) fn build_and_import(
    docker: &Docker,
    reference: &str,
    mirror: Option<&str>,
    apt_proxy: Option<&str>,
    progress: &mut dyn FnMut(Progress),
) -> Result<String, crate::Error> {
    let dir = tempfile::Builder::new()
        .prefix("redock-debootstrap-")
        .tempdir()
        .map_err(|e| ErrorKind::Io("cannot make a temporary directory".into(), e))?;
    let root = dir.path().join("root");
    let mut debootstrap = Cmd::new("debootstrap")
        .arg("--variant=minbase")
        .arg(SUITE)
        .arg(&root);
    if let Some(mirror) = mirror {
        debootstrap = debootstrap.arg(mirror);
    }
    if let Some(proxy) = apt_proxy {
        debootstrap = debootstrap.env("http_proxy", proxy);
    }

    let mut tail = Tail::default();
    let result = debootstrap.output_lines(&mut |line| {
        tail.push_line(line);
        progress(Progress::Output(line.to_string()));
    });
    // debootstrap mounts /proc and /sys inside the target while it works;
    // a failed run can leave them mounted, and deleting the directory must
    // not reach into them.
    unmount_below(&root);
    match result {
        Ok(output) if output.success() => {}
        Ok(output) => {
            return Err(ErrorKind::Debootstrap {
                status: Some(output.code()),
                tail: tail.text(),
            }
            .into())
        }
        Err(error) => {
            let tail = format!("{error}");
            return Err(ErrorKind::Debootstrap { status: None, tail }.into());
        }
    }
    progress(Progress::Note(format!(
        "importing the root file system as {reference}"
    )));
    let changes = vec![r#"CMD ["/bin/bash"]"#.to_string()];
    Ok(docker.import_dir(&root, reference, &changes)?)
}

/// Lazily unmounts every mount point at or below `root`, deepest first.
fn unmount_below(root: &Path) {
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") else {
        return;
    };
    let mut points: Vec<&str> = mounts
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .filter(|point| Path::new(point).starts_with(root))
        .collect();
    points.sort_by_key(|point| std::cmp::Reverse(point.len()));
    for point in points {
        let _ = Cmd::new("umount")
            .arg("-l")
            .arg(point)
            .stdout_inherit()
            .stderr_inherit()
            .output();
    }
}
