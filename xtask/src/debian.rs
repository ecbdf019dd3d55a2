//! `cargo xtask debian-check`: build and test the workspace the way Debian
//! would, with trixie's rustc and cargo and only the `librust-*-dev`
//! packages trixie ships, offline.
//!
//! A dependency that trixie lacks, or whose packaged version is older than
//! what a Cargo.toml asks for, fails the build here rather than in a
//! Debian package later. The rust toolchain and packages are installed once
//! into an image named after a hash of the package list; each run starts a
//! fresh container from it, copies the source in and removes the container
//! however the run ends.
//!
//! Each run also writes [`CRATE_LIST`], the crates those packages provide
//! and their versions, which `cargo xtask tidy` holds every version
//! requirement of the workspace to without needing Docker.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::cmd::{self, TempDir};
use crate::{fixture, project_root, DynError};

pub(crate) const SUITE: &str = "trixie";

/// The debootstrapped trixie the toolchain image is made from.
pub(crate) const BASE_IMAGE: &str = "redock-fixture/debian:trixie";

/// The toolchain image's repository; its tag is a hash of [`PACKAGES`].
const RUST_IMAGE: &str = "redock-fixture/trixie-rust";

/// What the build needs from trixie: the toolchain, one `librust-*-dev` per
/// crate the workspace depends on (each provides every feature of its
/// crate), and the programs the tests call.
const PACKAGES: &[&str] = &[
    "rustc",
    "cargo",
    "librust-clap-dev",
    "librust-clap-complete-dev",
    "librust-clap-mangen-dev",
    "librust-duct-dev",
    "librust-nix-dev",
    "librust-once-cell-dev",
    "librust-serde-dev",
    "librust-serde-derive-dev",
    "librust-serde-json-dev",
    "librust-signal-hook-dev",
    "librust-tempfile-dev",
    "librust-which-dev",
    "openssh-client",
    "rsync",
];

/// The crates trixie packages, one `name version` a line, written by
/// every run; `cargo xtask tidy` reads it.
pub const CRATE_LIST: &str = "xtask/debian-crates.txt";

/// Where Debian's `librust-*-dev` packages put their crates, one directory
/// (`name-version`) each.
const REGISTRY: &str = "/usr/share/cargo/registry";

/// Where the source goes inside the container.
const SRC: &str = "/src";

/// Points cargo at the crates Debian installed, and nowhere else.
const CARGO_CONFIG: &str = r#"[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "/usr/share/cargo/registry"

[net]
offline = true
"#;

pub fn run(args: &[String]) -> Result<(), DynError> {
    if let Some(arg) = args.first() {
        return Err(format!("debian-check: unexpected argument `{arg}`").into());
    }
    let started = Instant::now();
    let mut steps = Steps::default();
    let result = check(&mut steps);
    steps.finish();
    let verdict = if result.is_ok() { "passed" } else { "FAILED" };
    println!("\n==> debian-check {verdict} in {:.1?}", started.elapsed());
    for (title, elapsed) in &steps.done {
        println!("    {title:<38} {elapsed:>8.1?}");
    }
    result
}

fn check(steps: &mut Steps) -> Result<(), DynError> {
    let rust_image = rust_image();
    let name = format!("redock-debian-check-{}", std::process::id());

    steps.start("trixie base image");
    fixture::ensure_image(SUITE, BASE_IMAGE, &[])?;

    steps.start("toolchain image");
    ensure_packages_image(&rust_image, PACKAGES, &name)?;

    steps.start("container and source");
    let c = Container::start(&name, &rust_image)?;
    print_versions(&c)?;
    record_crates(&c)?;
    copy_source(&c)?;

    steps.start("offline cargo config");
    c.exec([
        "sh",
        "-c",
        "mkdir -p \"$HOME/.cargo\" && printf '%s' \"$1\" > \"$HOME/.cargo/config.toml\"",
        "sh",
        CARGO_CONFIG,
    ])?;

    steps.start("cargo build --workspace --all-targets");
    c.exec(["cargo", "build", "--workspace", "--all-targets"])?;

    // Every test binary runs even when one fails, so that one run shows
    // everything trixie breaks. sshconfig's comparisons with ssh run too:
    // they follow the release `ssh -V` names, here trixie's OpenSSH 10.
    steps.start("cargo test --workspace");
    c.exec(["cargo", "test", "--workspace", "--no-fail-fast"])
}

/// The numbered progress lines and how long each step took.
#[derive(Default)]
struct Steps {
    done: Vec<(&'static str, Duration)>,
    current: Option<(&'static str, Instant)>,
}

impl Steps {
    const COUNT: usize = 6;

    fn start(&mut self, title: &'static str) {
        self.finish();
        println!("\n==> [{}/{}] {title}", self.done.len() + 1, Self::COUNT);
        self.current = Some((title, Instant::now()));
    }

    fn finish(&mut self) {
        if let Some((title, started)) = self.current.take() {
            self.done.push((title, started.elapsed()));
        }
    }
}

/// `redock-fixture/trixie-rust:<hash>`: a new package list makes a new image
/// rather than reusing one that lacks a package.
fn rust_image() -> String {
    packages_image(RUST_IMAGE, PACKAGES)
}

/// `REPOSITORY:<hash of the suite and packages>`, the name of an image of
/// the trixie base with `packages` installed.
pub(crate) fn packages_image(repository: &str, packages: &[&str]) -> String {
    let mut list = String::from(SUITE);
    for package in packages {
        list.push('\n');
        list.push_str(package);
    }
    format!("{repository}:{:016x}", fnv1a(list.as_bytes()))
}

/// FNV-1a, 64 bits: stable across Rust versions, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Installs `packages` into a container of the base image (which
/// containers build from debootstrap when missing) and commits it as
/// `image`, unless that image exists. Containers reach Debian's mirror;
/// nothing is pulled from a registry.
pub(crate) fn ensure_packages_image(
    image: &str,
    packages: &[&str],
    name: &str,
) -> Result<(), DynError> {
    if cmd::new("docker")
        .args(["image", "inspect", image])
        .succeeds()
    {
        println!("image {image} exists; reusing it");
        return Ok(());
    }
    fixture::ensure_image(SUITE, BASE_IMAGE, &[])?;
    println!("image {image} is missing: installing the packages");
    let name = format!("{name}-apt");
    // Removed before anything can fail, so that a failed install leaves
    // nothing behind.
    let _container = Container { name: name.clone() };
    let script = format!(
        "apt-get update && \
         DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {} && \
         apt-get clean && rm -rf /var/lib/apt/lists/*",
        packages.join(" ")
    );
    cmd::new("docker")
        .args(["run", "--name", &name, BASE_IMAGE, "sh", "-c", &script])
        .run()
        .map_err(|e| format!("trixie lacks a package the build needs: {e}"))?;
    cmd::new("docker").args(["commit", &name, image]).read()?;
    println!("image {image} is ready");
    Ok(())
}

/// Prints trixie's version of every package the build uses.
fn print_versions(c: &Container) -> Result<(), DynError> {
    let out = cmd::new("docker")
        .args([
            "exec",
            &c.name,
            "dpkg-query",
            "-W",
            "-f",
            "${Package} ${Version}\\n",
        ])
        .args(PACKAGES)
        .read()?;
    let mut table = String::new();
    for line in out.lines() {
        if let Some((package, version)) = line.split_once(' ') {
            let _ = writeln!(table, "    {package:<28} {version}");
        }
    }
    println!("trixie versions:\n{}", table.trim_end());
    Ok(())
}

/// Writes [`CRATE_LIST`] from the crate directories the `librust-*-dev`
/// packages installed, as `dpkg-query` lists them.
fn record_crates(c: &Container) -> Result<(), DynError> {
    let librust = PACKAGES.iter().filter(|p| p.starts_with("librust-"));
    let listed = cmd::new("docker")
        .args(["exec", &c.name, "dpkg-query", "-L"])
        .args(librust)
        .read()?;
    let crates = crate_dirs(&listed)?;
    let packages = PACKAGES
        .iter()
        .filter(|p| p.starts_with("librust-"))
        .count();
    if crates.len() != packages {
        return Err(format!(
            "dpkg-query lists {} crate directories under {REGISTRY} for {packages} librust packages",
            crates.len()
        )
        .into());
    }
    let crates = crate_list(&crates);
    let path = project_root().join(CRATE_LIST);
    let before = std::fs::read_to_string(&path).unwrap_or_default();
    if before == crates {
        println!("{CRATE_LIST} is up to date");
    } else {
        std::fs::write(&path, &crates)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("wrote {CRATE_LIST}: review and commit it");
    }
    Ok(())
}

/// The crate directories in `dpkg-query -L` output, as `(name, version)`
/// sorted by name: each package installs one `REGISTRY/name-version`.
fn crate_dirs(listed: &str) -> Result<Vec<(&str, &str)>, DynError> {
    let mut crates: Vec<(&str, &str)> = listed
        .lines()
        .filter_map(|line| line.strip_prefix(REGISTRY)?.strip_prefix('/'))
        .filter(|dir| !dir.is_empty() && !dir.contains('/'))
        .map(|dir| {
            split_name_version(dir)
                .ok_or_else(|| format!("cannot read a crate and version from {REGISTRY}/{dir}"))
        })
        .collect::<Result<_, _>>()?;
    crates.sort_unstable();
    crates.dedup();
    Ok(crates)
}

/// The contents of [`CRATE_LIST`].
fn crate_list(crates: &[(&str, &str)]) -> String {
    let mut text = String::from(
        "# The crates Debian 13 (trixie) packages as librust-*-dev, and their\n\
         # versions: `cargo xtask tidy` fails when a Cargo.toml asks for more.\n\
         # Written by `cargo xtask debian-check`; do not edit by hand.\n",
    );
    for (name, version) in crates {
        let _ = writeln!(text, "{name} {version}");
    }
    text
}

/// `sha-1-0.10.0` → `("sha-1", "0.10.0")`: the version starts at the first
/// `-` followed by something shaped like one (crate names may hold `-1`).
fn split_name_version(dir: &str) -> Option<(&str, &str)> {
    dir.match_indices('-').find_map(|(i, _)| {
        let (name, version) = (&dir[..i], &dir[i + 1..]);
        let core = version.split(['-', '+']).next()?;
        let parts: Vec<&str> = core.split('.').collect();
        let numeric = parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        (numeric && !name.is_empty()).then_some((name, version))
    })
}

/// Copies the tracked and not-ignored files of the work tree into the
/// container, without Cargo.lock: cargo must resolve against Debian's
/// crates, not the versions crates.io gave.
fn copy_source(c: &Container) -> Result<(), DynError> {
    let root = project_root();
    let listed = cmd::new("git")
        .arg("-C")
        .arg(&root)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .read()?;
    let mut files: Vec<&str> = listed
        .split('\0')
        .filter(|f| !f.is_empty() && *f != "Cargo.lock")
        // The index may still name files deleted from the work tree.
        .filter(|f| root.join(f).is_file())
        .collect();
    files.sort_unstable();
    files.dedup();
    if files.is_empty() {
        return Err("git lists no files to copy into the container".into());
    }

    let tmp = TempDir::new("debian-check")?;
    let list = tmp.path().join("files");
    let mut nul_separated = files.join("\0");
    nul_separated.push('\0');
    std::fs::write(&list, nul_separated)?;
    println!("copying {} files into {}:{SRC}", files.len(), c.name);
    tar_into(&root, &list, &c.name)
}

/// `tar -C ROOT --null -T LIST -c | docker cp - NAME:/src`
fn tar_into(root: &Path, list: &Path, name: &str) -> Result<(), DynError> {
    let tar = cmd::new("tar")
        .arg("-C")
        .arg(root)
        .args(["--null", "-T"])
        .arg(list)
        .arg("-c");
    cmd::pipe(
        tar,
        cmd::new("docker").args(["cp", "-", &format!("{name}:{SRC}")]),
    )
}

/// A container this run made, removed on drop whether the run passed or
/// not.
pub(crate) struct Container {
    pub(crate) name: String,
}

impl Container {
    /// Starts an idle container to `docker exec` the steps in.
    pub(crate) fn start(name: &str, image: &str) -> Result<Container, DynError> {
        let container = Container {
            name: name.to_string(),
        };
        cmd::new("docker")
            .args(["run", "-d", "--name", name, "-w", SRC, image])
            .args(["sleep", "infinity"])
            .read()?;
        cmd::new("docker")
            .args(["exec", name, "mkdir", "-p", SRC])
            .run()?;
        Ok(container)
    }

    pub(crate) fn exec<I, S>(&self, argv: I) -> Result<(), DynError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        cmd::new("docker")
            .args(["exec", &self.name])
            .args(argv)
            .run()
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let removed = cmd::new("docker").args(["rm", "-f", &self.name]).succeeds();
        if removed {
            println!("removed container {}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn crate_directories_are_split_into_name_and_version() {
        assert_eq!(
            split_name_version("clap_complete-4.5.40"),
            Some(("clap_complete", "4.5.40"))
        );
        assert_eq!(
            split_name_version("sha-1-0.10.0"),
            Some(("sha-1", "0.10.0"))
        );
        assert_eq!(
            split_name_version("foo-1.0.0-beta.1"),
            Some(("foo", "1.0.0-beta.1"))
        );
        assert_eq!(split_name_version("serde"), None);
    }

    #[test]
    fn crate_list_reads_dpkg_query_output() {
        // Shaped like `dpkg-query -L librust-once-cell-dev librust-nix-dev`.
        let listed = "/.\n/usr\n/usr/share\n/usr/share/cargo\n/usr/share/cargo/registry\n\
                      /usr/share/cargo/registry/once_cell-1.20.2\n\
                      /usr/share/cargo/registry/once_cell-1.20.2/Cargo.toml\n\
                      /usr/share/doc/librust-once-cell-dev\n\n\
                      /usr/share/cargo/registry/nix-0.29.0\n\
                      /usr/share/cargo/registry/nix-0.29.0/src/lib.rs\n";
        let crates = crate_dirs(listed).unwrap();
        assert_eq!(crates, [("nix", "0.29.0"), ("once_cell", "1.20.2")]);
        assert_eq!(
            crate_list(&crates)
                .lines()
                .filter(|l| !l.starts_with('#'))
                .collect::<Vec<_>>(),
            ["nix 0.29.0", "once_cell 1.20.2"]
        );
    }

    #[test]
    fn image_tag_follows_the_package_list() {
        let image = rust_image();
        let tag = image.strip_prefix("redock-fixture/trixie-rust:").unwrap();
        assert_eq!(tag.len(), 16);
        assert!(tag.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
