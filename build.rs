//! Records the git revision, when built from a git checkout, for
//! `redock --version`.

use std::process::Command;

fn main() {
    let revision = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|rev| rev.trim().to_string())
        .filter(|rev| !rev.is_empty());
    let version = env!("CARGO_PKG_VERSION");
    let long = match revision {
        Some(rev) => format!("{version} (git {rev})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=REDOCK_VERSION={long}");
    // Rerun when HEAD moves; in a tarball build these paths do not exist
    // and cargo reruns only when the package changes.
    for path in [".git/HEAD", ".git/refs/heads"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
