//! Builds redock's base image, `redock:base`: a Debian or Ubuntu image with
//! sshd and supervisor, from which every redock image starts.
//!
//! The recipe installs openssh-server and supervisor without recommended
//! packages, lets root in by key only (no passwords of any kind), cleans the
//! apt caches, and makes `/usr/local/sbin/redock-init` the image's command.
//! sshd reads its host key and redock's public key from [`KEYS_DIR`], a
//! tmpfs that redock mounts on each container and fills through `docker
//! exec` after every start, so that no image ever holds them (a user's own
//! `/root/.ssh/authorized_keys` is read first and never written). That
//! script starts sshd once the host key is there, and runs `supervisord -n`
//! as PID 1. The image carries the recipe's version as the label
//! [`RECIPE_LABEL`] (a changed recipe makes [`ensure`] build it again) and
//! [`KEYS_LABEL`], which images of earlier recipes lack.
//!
//! ```no_run
//! use base_image::{BuildOptions, Progress};
//! use docker_exec::Docker;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let docker = Docker::from_env()?;
//! let id = base_image::ensure(&docker, &BuildOptions::default(), &mut |progress| {
//!     if let Progress::Step { index, total, title } = progress {
//!         eprintln!("[{index}/{total}] {title}");
//!     }
//! })?;
//! println!("redock:base is {id}");
//! # Ok(())
//! # }
//! ```
//!
//! # Where FROM comes from
//!
//! `--rootfs` (a directory or a tarball) is imported; else the FROM image is
//! used when local, else pulled; where no registry answers and this runs as
//! root with `debootstrap` installed, a Debian root file system is built and
//! imported as [`DEBOOTSTRAP_IMAGE`], which later builds reuse.
//!
//! # The build
//!
//! All steps run in one build container (labelled [`BUILD_LABEL`]`=1` and
//! [`BUILD_TARGET_LABEL`]`=<target>`), fed
//! as a script on its stdin; each step is reported as it begins, and a
//! failing step stops the build with the tail of its output. The container's
//! file system then becomes the image through `docker export | docker
//! import`: one layer, in which the removed apt lists take no space, and no
//! configuration but the recipe's (`docker commit` would copy the build
//! label). The build container is always removed.

mod debootstrap;
mod error;
mod recipe;

pub use error::{Error, ErrorKind};

use recipe::MARKER;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use docker_exec::{CreateSpec, Docker, ImageInfo, StableHash};
use proc::Tail;

/// The image the recipe starts from unless told otherwise.
pub const DEFAULT_FROM: &str = "debian:bookworm-slim";
/// The base image redock builds and starts new images from.
pub const DEFAULT_TARGET: &str = "redock:base";
/// The recipe's version: a hash of its text, so that any change rebuilds.
pub const RECIPE_VERSION: &str = recipe::VERSION;
/// The label holding [`RECIPE_VERSION`] on a base image.
pub const RECIPE_LABEL: &str = "io.redock.base-recipe";
/// The label saying that sshd in an image reads redock's keys from the tmpfs
/// [`KEYS_DIR`] (its value): images built by earlier recipes, which held
/// root's authorized_keys and a host key in `/etc/ssh`, lack it. Commits
/// keep it, as they keep [`RECIPE_LABEL`].
pub const KEYS_LABEL: &str = "io.redock.keys";
/// The label saying that the init script of an image takes redock's public
/// key on the container's input (its value, [`KEYS_INPUT`], begins the
/// line) and answers with the host key on its output; images of earlier
/// recipes lack it, and get the key through `docker exec`. Commits keep it.
pub const KEYS_INPUT_LABEL: &str = "io.redock.keys-input";
/// The word that begins the line of redock's public key on a container's
/// input ([`KEYS_INPUT_LABEL`]); the init script answers with lines that
/// begin [`HOST_KEY_LINE`] and [`LISTENING_LINE`].
pub const KEYS_INPUT: &str = "redock-key";
/// The word that begins the init script's line of the host public key.
pub const HOST_KEY_LINE: &str = "redock-host-key";
/// The init script's line once sshd listens.
pub const LISTENING_LINE: &str = "redock-listening";
/// The directory, a tmpfs of mode 0700 in each container (sshd's StrictModes
/// refuses the default 1777), where sshd finds the host key and redock's
/// public key.
pub const KEYS_DIR: &str = "/run/redock";
/// The host key sshd reads ([`KEYS_DIR`]), and `HOST_KEY.pub` beside it.
pub const HOST_KEY: &str = "/run/redock/ssh_host_ed25519_key";
/// redock's public key, which sshd reads after root's own
/// `.ssh/authorized_keys`.
pub const AUTHORIZED_KEYS: &str = "/run/redock/authorized_keys";
/// The label naming the image a base image was built from.
pub const FROM_LABEL: &str = "io.redock.base-from";
/// The label on build containers (value `1`), so that leftovers can be found.
pub const BUILD_LABEL: &str = "io.redock.build";
/// The label on build containers naming the image they build.
pub const BUILD_TARGET_LABEL: &str = "io.redock.build-target";
/// Where a root file system made with debootstrap is imported.
pub const DEBOOTSTRAP_IMAGE: &str = "redock/debian:bookworm";
/// The repository `--rootfs` imports go to, tagged by a hash of the path.
pub const ROOTFS_REPOSITORY: &str = "redock/rootfs";

/// How many lines of a failed step's output an error keeps.
const TAIL_LINES: usize = 20;

/// What `redock base` was asked for.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// The image to build, `redock:base` by default.
    pub target: String,
    /// `--from IMAGE`: the Debian or Ubuntu image to start from
    /// ([`DEFAULT_FROM`] when `None`).
    pub from: Option<String>,
    /// `--rootfs DIR|TARBALL`: a root file system to import and start from.
    pub rootfs: Option<PathBuf>,
    /// Build even when the target is current.
    pub rebuild: bool,
    /// `--mirror URL`: the package mirror of the distribution's main
    /// archive. debootstrap fetches from it, and the recipe points the
    /// image's apt sources at it (see [`validate_mirror`]); it is part of
    /// the recipe's version.
    pub mirror: Option<String>,
    /// `--with PACKAGE…`: extra packages the recipe installs (see
    /// [`validate_package`]); part of the recipe's version, as a set.
    pub packages: Vec<String>,
    /// An HTTP proxy for apt (and debootstrap) during this build only. It
    /// reaches the build container on the build script's standard input
    /// and is never written into the image or its configuration, since it
    /// may hold credentials; it is not part of the recipe's version.
    pub apt_proxy: Option<String>,
}

impl BuildOptions {
    /// The version of the recipe these options make: [`RECIPE_VERSION`]
    /// without a mirror and extra packages.
    pub fn recipe_version(&self) -> String {
        recipe::version(&self.steps())
    }

    fn steps(&self) -> Vec<recipe::Step> {
        recipe::steps(self.mirror.as_deref(), &self.packages)
    }

    /// Checks the mirror, the packages and the proxy.
    pub fn validate(&self) -> Result<(), Error> {
        if let Some(mirror) = &self.mirror {
            validate_mirror(mirror)?;
        }
        for package in &self.packages {
            validate_package(package)?;
        }
        if let Some(proxy) = &self.apt_proxy {
            if proxy.is_empty() || proxy.chars().any(|c| c.is_whitespace() || c.is_control()) {
                // Never echoed: it may hold credentials.
                return Err(ErrorKind::BadAptProxy.into());
            }
        }
        Ok(())
    }
}

/// Checks a package mirror's URL: a scheme apt knows how to spell
/// (`http:`, `https:`, `file:`, …) and no whitespace, which would split an
/// apt source line.
pub fn validate_mirror(url: &str) -> Result<(), Error> {
    let bad = || Error::from(ErrorKind::BadMirror(url.to_string()));
    let (scheme, rest) = url.split_once(':').ok_or_else(bad)?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_lowercase())
        && scheme
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+.-".contains(c));
    if !scheme_ok || rest.is_empty() || !url.chars().all(|c| c.is_ascii_graphic()) {
        return Err(bad());
    }
    Ok(())
}

/// Checks a package name by Debian's rule (lower-case letters, digits,
/// `+`, `-` and `.`, at least two, beginning with a letter or digit), so
/// that no name reaches apt-get as an option or the build script as shell.
pub fn validate_package(name: &str) -> Result<(), Error> {
    let ok = name.len() >= 2
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c));
    if !ok {
        return Err(ErrorKind::BadPackage(name.to_string()).into());
    }
    Ok(())
}

impl Default for BuildOptions {
    fn default() -> BuildOptions {
        BuildOptions {
            target: DEFAULT_TARGET.to_string(),
            from: None,
            rootfs: None,
            rebuild: false,
            mirror: None,
            packages: Vec::new(),
            apt_proxy: None,
        }
    }
}

/// What a build reports while it runs; the binary decides what to print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// A recipe step begins (`index` counts from 1).
    Step {
        index: usize,
        total: usize,
        title: String,
    },
    /// Something worth telling the user, e.g. which FROM image is used.
    Note(String),
    /// One line of output of a step or of debootstrap (for `-v`).
    Output(String),
    /// The base image was built (not sent when it was already current).
    Done { id: String },
}

/// Whether sshd in an image made from a base image reads redock's keys
/// from the tmpfs [`KEYS_DIR`]: false for images of earlier recipes (and
/// for images not made from a base at all).
pub fn keys_on_tmpfs(labels: &BTreeMap<String, String>) -> bool {
    labels.get(KEYS_LABEL).map(String::as_str) == Some(KEYS_DIR)
}

/// Whether the init script of an image takes redock's key on the
/// container's input (see [`KEYS_INPUT_LABEL`]).
pub fn keys_on_input(labels: &BTreeMap<String, String>) -> bool {
    keys_on_tmpfs(labels) && labels.get(KEYS_INPUT_LABEL).map(String::as_str) == Some(KEYS_INPUT)
}

/// Whether an image was made from a base image of an earlier recipe, whose
/// sshd reads redock's key and the host key from the image's own files.
pub fn keys_in_image(labels: &BTreeMap<String, String>) -> bool {
    labels.contains_key(RECIPE_LABEL) && !keys_on_tmpfs(labels)
}

/// A `/bin/sh` script that makes an image made from a base of an earlier
/// recipe read redock's keys from [`KEYS_DIR`] as this recipe's images do:
/// it writes this recipe's init script and sshd settings and removes the
/// host keys. Run in a container of that image whose file system then
/// becomes an image of one layer (the keys are in the earlier layers), it
/// leaves root's own `authorized_keys` to the caller. Such an image gets
/// [`KEYS_LABEL`].
pub fn refresh_script() -> String {
    recipe::refresh_script()
}

/// Whether a base image was built by the recipe without a mirror and
/// extra packages ([`ensure`] compares with [`BuildOptions::recipe_version`]).
pub fn is_current(info: &ImageInfo) -> bool {
    info.labels.get(RECIPE_LABEL).map(String::as_str) == Some(RECIPE_VERSION)
}

/// Returns the id of `opts.target`, building it first when it is missing,
/// was built by another recipe, or `opts.rebuild` asks for it.
pub fn ensure(
    docker: &Docker,
    opts: &BuildOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<String, Error> {
    opts.validate()?;
    let version = opts.recipe_version();
    let existing = docker.image_inspect(&opts.target)?;
    if let Some(info) = &existing {
        let current = info.labels.get(RECIPE_LABEL) == Some(&version);
        if current && !opts.rebuild {
            return Ok(info.id.clone());
        }
    }
    if let Some(mirror) = &opts.mirror {
        progress(Progress::Note(format!("package mirror {mirror}")));
    }
    if opts.apt_proxy.is_some() {
        // Not shown: it may hold credentials.
        progress(Progress::Note(
            "apt goes through a proxy during this build".into(),
        ));
    }
    let from = choose_from(docker, opts, progress)?;
    let plan = Recipe {
        steps: opts.steps(),
        version,
        apt_proxy: opts.apt_proxy.as_deref(),
    };
    let id = build(docker, &from, &opts.target, &plan, progress)?;
    if let Some(old) = existing {
        if old.id != id {
            // The replaced image goes when nothing else uses it; an image
            // with other tags or children stays (the engine refuses).
            let _ = docker.rmi(&old.id, false);
        }
    }
    progress(Progress::Done { id: id.clone() });
    Ok(id)
}

/// Picks, and where needed makes, the image the recipe starts from.
fn choose_from(
    docker: &Docker,
    opts: &BuildOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImageInfo, Error> {
    if let Some(rootfs) = &opts.rootfs {
        let reference = rootfs_reference(rootfs);
        progress(Progress::Note(format!(
            "importing the root file system {} as {reference}",
            rootfs.display()
        )));
        let meta = std::fs::metadata(rootfs)
            .map_err(|e| ErrorKind::Io(format!("cannot read --rootfs {}", rootfs.display()), e))?;
        if meta.is_dir() {
            docker.import_dir(rootfs, &reference, &[])?;
        } else if meta.is_file() {
            docker.import(rootfs, &reference, &[])?;
        } else {
            return Err(ErrorKind::BadRootfs(rootfs.clone()).into());
        }
        return inspect_from(docker, &reference);
    }

    let from = opts.from.as_deref().unwrap_or(DEFAULT_FROM);
    if let Some(info) = docker.image_inspect(from)? {
        return Ok(with_reference(info, from));
    }
    if opts.from.is_none() {
        // A root file system debootstrap made on an earlier run.
        if let Some(info) = docker.image_inspect(DEBOOTSTRAP_IMAGE)? {
            progress(Progress::Note(format!(
                "{from} is not here; using {DEBOOTSTRAP_IMAGE}, built earlier with debootstrap"
            )));
            return Ok(with_reference(info, DEBOOTSTRAP_IMAGE));
        }
    }
    progress(Progress::Note(format!("pulling {from}")));
    let pull_error = match docker.pull(from) {
        Ok(()) => return inspect_from(docker, from),
        Err(e) => match e.kind() {
            // An engine that cannot be reached cannot import either.
            docker_exec::ErrorKind::EngineUnreachable
            | docker_exec::ErrorKind::PermissionDenied
            | docker_exec::ErrorKind::CliNotFound => return Err(e.into()),
            _ => e,
        },
    };
    let pull_error = pull_error.stderr().trim().to_string();
    if opts.from.is_some() {
        // debootstrap makes Debian, not the image the user named.
        let no_debootstrap = Some(format!("it makes Debian, not {from}"));
        return Err(ErrorKind::NoFromImage {
            from: from.into(),
            pull_error,
            no_debootstrap,
        }
        .into());
    }
    match debootstrap::unavailable_reason() {
        Some(reason) => Err(ErrorKind::NoFromImage {
            from: from.into(),
            pull_error,
            no_debootstrap: Some(reason),
        }
        .into()),
        None => {
            progress(Progress::Note(
                "building a Debian root file system with debootstrap (no registry reachable)"
                    .into(),
            ));
            let mirror = opts.mirror.as_deref();
            debootstrap::build_and_import(
                docker,
                DEBOOTSTRAP_IMAGE,
                mirror,
                opts.apt_proxy.as_deref(),
                progress,
            )
            .map_err(|e| blame_mirror(e, mirror))?;
            inspect_from(docker, DEBOOTSTRAP_IMAGE)
        }
    }
}

/// A debootstrap failure with a mirror is the mirror's to explain.
fn blame_mirror(error: Error, mirror: Option<&str>) -> Error {
    match (error.kind(), mirror) {
        (ErrorKind::Debootstrap { status, tail }, Some(url)) => ErrorKind::Mirror {
            url: url.to_string(),
            during: "debootstrap".into(),
            status: *status,
            tail: tail.clone(),
        }
        .into(),
        _ => error,
    }
}

/// The image just made or pulled; it must be there now.
fn inspect_from(docker: &Docker, reference: &str) -> Result<ImageInfo, Error> {
    match docker.image_inspect(reference)? {
        Some(info) => Ok(with_reference(info, reference)),
        None => Err(ErrorKind::NoFromImage {
            from: reference.into(),
            pull_error: String::new(),
            no_debootstrap: None,
        }
        .into()),
    }
}

/// Keeps the name the image was asked for, for the FROM label.
fn with_reference(mut info: ImageInfo, reference: &str) -> ImageInfo {
    info.repo_tags.retain(|t| t != reference);
    info.repo_tags.insert(0, reference.to_string());
    info
}

/// `redock/rootfs:<hash of the path>`, so that two root file systems never
/// share a tag and the same one is re-imported over its old tag.
fn rootfs_reference(path: &Path) -> String {
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let hash = StableHash::of(canonical.as_os_str().as_encoded_bytes());
    format!("{ROOTFS_REPOSITORY}:{hash:016x}")
}

/// Removes the build container however the build ends, panics included.
struct BuildContainer<'a> {
    docker: &'a Docker,
    id: String,
}

impl Drop for BuildContainer<'_> {
    fn drop(&mut self) {
        let _ = self.docker.rm(&self.id);
    }
}

/// What one build runs: the steps, the version they make, and the apt
/// proxy of this build alone.
struct Recipe<'a> {
    steps: Vec<recipe::Step>,
    version: String,
    apt_proxy: Option<&'a str>,
}

/// Runs the recipe's steps in a build container made from `from` and turns
/// the result into `target`; returns the new image's id.
fn build(
    docker: &Docker,
    from: &ImageInfo,
    target: &str,
    plan: &Recipe<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<String, Error> {
    let steps = &plan.steps;
    let from_reference = from
        .repo_tags
        .first()
        .cloned()
        .unwrap_or_else(|| from.id.clone());
    progress(Progress::Note(format!(
        "building {target} from {from_reference}"
    )));
    let mut labels = BTreeMap::new();
    labels.insert(BUILD_LABEL.to_string(), "1".to_string());
    labels.insert(BUILD_TARGET_LABEL.to_string(), target.to_string());
    let spec = CreateSpec {
        image: from.id.clone(),
        labels,
        entrypoint: Some("/bin/sh".into()),
        command: vec!["-s".into()],
        interactive: true,
        ..CreateSpec::default()
    };
    let container = BuildContainer {
        docker,
        id: docker.create(&spec)?,
    };

    let total = steps.len();
    let mut current = 0;
    let mut tail = Tail::new(TAIL_LINES);
    let script = recipe::build_script(steps, plan.apt_proxy);
    let output =
        docker.start_attached_with(&container.id, Some(script.as_bytes()), &mut |line| {
            if let Some(index) = line
                .strip_prefix(MARKER)
                .and_then(|n| n.parse::<usize>().ok())
            {
                if (1..=total).contains(&index) {
                    current = index;
                    tail.clear();
                    let title = steps[index - 1].title.clone();
                    progress(Progress::Step {
                        index,
                        total,
                        title,
                    });
                    return;
                }
            }
            tail.push_line(line);
            progress(Progress::Output(line.to_string()));
        })?;
    if output.status != 0 {
        let step = match current {
            0 => "[0/{total}] starting the build container".replace("{total}", &total.to_string()),
            n => format!("[{n}/{total}] {}", steps[n - 1].title),
        };
        if let Some(url) = current.checked_sub(1).and_then(|i| steps[i].mirror.clone()) {
            return Err(ErrorKind::Mirror {
                url,
                during: format!("step [{current}/{total}] of the base build"),
                status: Some(output.status),
                tail: tail.text(),
            }
            .into());
        }
        return Err(ErrorKind::StepFailed {
            step,
            status: output.status,
            tail: tail.text(),
        }
        .into());
    }

    let changes = final_changes(from, &from_reference, &plan.version);
    Ok(docker.flatten(&container.id, target, &changes)?)
}

/// The configuration of the built image: the recipe's, plus the FROM
/// image's environment and working directory, which `docker import` would
/// otherwise drop.
fn final_changes(from: &ImageInfo, from_reference: &str, version: &str) -> Vec<String> {
    let mut changes = Vec::new();
    for entry in &from.env {
        if let Some((key, value)) = entry.split_once('=') {
            if key != "LANG" {
                changes.push(format!(
                    "ENV {key}={}",
                    docker_exec::args::dockerfile_quote(value)
                ));
            }
        }
    }
    if !from.working_dir.is_empty() {
        changes.push(format!("WORKDIR {}", from.working_dir));
    }
    changes.extend([
        "ENV LANG=C.UTF-8".to_string(),
        "EXPOSE 22".to_string(),
        r#"CMD ["/usr/local/sbin/redock-init"]"#.to_string(),
        format!("LABEL {RECIPE_LABEL}={version}"),
        format!("LABEL {KEYS_LABEL}={KEYS_DIR}"),
        format!("LABEL {KEYS_INPUT_LABEL}={KEYS_INPUT}"),
        format!(
            "LABEL {FROM_LABEL}={}",
            docker_exec::args::dockerfile_quote(from_reference)
        ),
    ]);
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_means_this_recipe() {
        let mut info = ImageInfo::default();
        assert!(!is_current(&info));
        info.labels
            .insert(RECIPE_LABEL.into(), "0000000000000000".into());
        assert!(!is_current(&info));
        info.labels
            .insert(RECIPE_LABEL.into(), RECIPE_VERSION.into());
        assert!(is_current(&info));
    }

    #[test]
    fn images_of_earlier_recipes_hold_their_keys() {
        let mut labels = BTreeMap::new();
        // Not made from a base image at all.
        assert!(!keys_on_tmpfs(&labels) && !keys_in_image(&labels));
        labels.insert(RECIPE_LABEL.to_string(), "c0ffee0000000000".to_string());
        assert!(!keys_on_tmpfs(&labels) && keys_in_image(&labels));
        labels.insert(KEYS_LABEL.to_string(), KEYS_DIR.to_string());
        assert!(keys_on_tmpfs(&labels) && !keys_in_image(&labels));
        // The key on the container's input: this recipe's images, not the
        // previous tmpfs recipe's.
        assert!(!keys_on_input(&labels));
        labels.insert(KEYS_INPUT_LABEL.to_string(), KEYS_INPUT.to_string());
        assert!(keys_on_input(&labels));
    }

    #[test]
    fn final_changes_keep_the_from_environment() {
        let from = ImageInfo {
            env: vec![
                "PATH=/usr/local/sbin:/usr/bin".into(),
                "LANG=en_US.UTF-8".into(),
                "ODD=a \"b\" $c".into(),
            ],
            working_dir: "/srv".into(),
            ..ImageInfo::default()
        };
        let changes = final_changes(&from, "debian:bookworm-slim", RECIPE_VERSION);
        assert_eq!(
            changes,
            [
                r#"ENV PATH="/usr/local/sbin:/usr/bin""#.to_string(),
                r#"ENV ODD="a \"b\" \$c""#.to_string(),
                "WORKDIR /srv".to_string(),
                "ENV LANG=C.UTF-8".to_string(),
                "EXPOSE 22".to_string(),
                r#"CMD ["/usr/local/sbin/redock-init"]"#.to_string(),
                format!("LABEL io.redock.base-recipe={RECIPE_VERSION}"),
                "LABEL io.redock.keys=/run/redock".to_string(),
                "LABEL io.redock.keys-input=redock-key".to_string(),
                r#"LABEL io.redock.base-from="debian:bookworm-slim""#.to_string(),
            ]
        );
    }

    #[test]
    fn mirrors_are_urls_apt_can_use() {
        for good in [
            "http://mirror.example/debian",
            "https://mirror.example:8443/ubuntu/",
            "file:///srv/mirror",
            "mirror+file:/etc/apt/mirrors.txt",
        ] {
            assert!(validate_mirror(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "mirror.example/debian",
            "-o APT::x=y",
            "http://mirror.example/de bian",
            "http://mirror.example/debian\n",
            "HTTP://mirror.example",
            "http:",
            "http://mirror.example/débian",
        ] {
            let error = validate_mirror(bad).unwrap_err();
            assert!(matches!(error.kind(), ErrorKind::BadMirror(_)), "{bad}");
        }
    }

    #[test]
    fn packages_are_debian_names() {
        for good in ["curl", "g++", "libc6.1-dev", "0ad", "rsync"] {
            assert!(validate_package(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "c",
            "-o",
            "--allow-unauthenticated",
            "Curl",
            "curl;reboot",
            "curl git",
            "$(id)",
            "curl=7.88",
            ".hidden",
        ] {
            let error = validate_package(bad).unwrap_err();
            assert!(matches!(error.kind(), ErrorKind::BadPackage(_)), "{bad}");
        }
    }

    #[test]
    fn options_are_checked_before_anything_runs() {
        let opts = BuildOptions {
            packages: vec!["curl".into(), "--force-yes".into()],
            ..BuildOptions::default()
        };
        assert!(matches!(
            opts.validate().unwrap_err().kind(),
            ErrorKind::BadPackage(p) if p == "--force-yes"
        ));
        let secret = "http://user:secret@proxy.example:3142 x";
        let opts = BuildOptions {
            apt_proxy: Some(secret.into()),
            ..BuildOptions::default()
        };
        let error = opts.validate().unwrap_err();
        assert!(!error.to_string().contains("secret"), "{error}");
        assert_eq!(BuildOptions::default().recipe_version(), RECIPE_VERSION);
    }

    #[test]
    fn rootfs_tags_differ_by_path() {
        let a = rootfs_reference(Path::new("/nonexistent/a"));
        let b = rootfs_reference(Path::new("/nonexistent/b"));
        assert!(a.starts_with("redock/rootfs:"));
        assert_eq!(a.len(), "redock/rootfs:".len() + 16);
        assert_ne!(a, b);
        assert_eq!(a, rootfs_reference(Path::new("/nonexistent/a")));
    }

    /// A step failing after others reports that step and its own output only.
    #[test]
    #[ignore = "needs a Docker engine: cargo xtask ci"]
    fn later_step_failure_reports_that_step() {
        let docker = Docker::from_env().unwrap();
        let from = docker
            .image_inspect("redock-fixture/debian:bookworm")
            .unwrap()
            .unwrap();
        let step = |title: &str, script: &str| recipe::Step {
            title: title.into(),
            script: script.into(),
            mirror: None,
        };
        let plan = Recipe {
            steps: vec![
                step("saying hello", "echo hello from step one\n"),
                step(
                    "failing on purpose",
                    "for i in $(seq 1 30); do echo line $i; done\necho oops >&2\nfalse\necho never\n",
                ),
                step("never reached", "echo unreachable\n"),
            ],
            version: RECIPE_VERSION.into(),
            apt_proxy: None,
        };
        let target = format!("redock-test-base-{}-unit:latest", std::process::id());
        let mut seen = Vec::new();
        let error = build(&docker, &from, &target, &plan, &mut |p| seen.push(p)).unwrap_err();
        match error.kind() {
            ErrorKind::StepFailed { step, status, tail } => {
                assert_eq!(step, "[2/3] failing on purpose");
                assert_eq!(*status, 1);
                let lines: Vec<&str> = tail.lines().collect();
                assert_eq!(lines.len(), TAIL_LINES);
                assert_eq!(lines.last(), Some(&"oops"));
                assert!(!tail.contains("hello"));
            }
            other => panic!("{other:?}"),
        }
        let steps_seen: Vec<usize> = seen
            .iter()
            .filter_map(|p| match p {
                Progress::Step { index, .. } => Some(*index),
                _ => None,
            })
            .collect();
        assert_eq!(steps_seen, [1, 2]);
        assert!(seen.contains(&Progress::Output("hello from step one".into())));
        assert!(docker.image_inspect(&target).unwrap().is_none());
    }
}
