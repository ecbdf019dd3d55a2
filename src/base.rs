//! What a base build is given besides its FROM: the package mirror and the
//! extra packages (from the command line, else the environment, else the
//! remembered settings) and an apt proxy for the build alone
//! (`REDOCK_APT_PROXY`, else the host's own `Acquire::http::Proxy`). Both
//! `redock base` and the implicit build of `redock start` come here.

use std::time::Duration;

use base_image::BuildOptions;
use docker_exec::ImageInfo;
use proc::Cmd;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::home::Home;
use crate::settings::{self, Settings};

/// The mirror and the packages the command line gave, if any.
#[derive(Clone, Debug, Default)]
pub struct Choices {
    pub mirror: Option<String>,
    pub with: Vec<String>,
}

/// Where a value came from, for the hint of an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    CommandLine,
    Environment,
    Remembered,
    HostApt,
}

/// Fills in `options`' mirror, packages and `REDOCK_APT_PROXY` and checks
/// them, before anything runs (the host's own proxy is added by [`ensure`],
/// only when it builds). The command line wins over `REDOCK_MIRROR`, which wins
/// over the remembered mirror; `--with` replaces the remembered list.
pub fn options(home: &Home, mut options: BuildOptions, choices: &Choices) -> Result<BuildOptions> {
    let remembered = Settings::load(home)?;
    let env = |key: &str| std::env::var(key).ok();
    let mirror_from;
    (options.mirror, mirror_from) = if let Some(mirror) = &choices.mirror {
        (Some(mirror.clone()), Some(Origin::CommandLine))
    } else if let Some(mirror) = env("REDOCK_MIRROR").filter(|m| !m.is_empty()) {
        (Some(mirror), Some(Origin::Environment))
    } else if let Some(mirror) = remembered.text(settings::MIRROR) {
        (Some(mirror.to_string()), Some(Origin::Remembered))
    } else {
        (None, None)
    };
    let remembered_with = remembered.list(settings::WITH);
    let with_from;
    (options.packages, with_from) = if !choices.with.is_empty() {
        (choices.with.clone(), Some(Origin::CommandLine))
    } else {
        (remembered_with, Some(Origin::Remembered))
    };
    // The host's own proxy is asked for only when a build is to run (see
    // `ensure`): `apt-config` costs a start tens of milliseconds.
    let proxy_from;
    (options.apt_proxy, proxy_from) = match env("REDOCK_APT_PROXY") {
        Some(proxy) => (no_direct(proxy), Some(Origin::Environment)),
        None => (None, None),
    };
    checked(options, mirror_from, with_from, proxy_from)
}

/// `options` checked, with the hint of an error saying where the bad value
/// came from.
fn checked(
    options: BuildOptions,
    mirror_from: Option<Origin>,
    with_from: Option<Origin>,
    proxy_from: Option<Origin>,
) -> Result<BuildOptions> {
    options.validate().map_err(|e| {
        use base_image::ErrorKind::{BadAptProxy, BadMirror, BadPackage};
        let hint = match e.kind() {
            BadMirror(_) if mirror_from == Some(Origin::Environment) => {
                "the mirror comes from REDOCK_MIRROR"
            }
            BadMirror(_) if mirror_from == Some(Origin::Remembered) => {
                "`redock config --unset mirror` forgets the remembered mirror"
            }
            BadPackage(_) if with_from == Some(Origin::Remembered) => {
                "`redock config --unset with` forgets the remembered packages"
            }
            BadAptProxy if proxy_from == Some(Origin::Environment) => {
                "the proxy comes from REDOCK_APT_PROXY"
            }
            BadAptProxy => {
                "the proxy comes from the host's Acquire::http::Proxy; REDOCK_APT_PROXY=DIRECT turns it off"
            }
            _ => "",
        };
        let error = Error::from(e);
        match hint {
            "" => error,
            hint => error.with_hint(hint),
        }
    })?;
    Ok(options)
}

/// Builds the base image when it is missing or out of date (its progress
/// on the terminal); returns its id. It holds the image's lock meanwhile,
/// so that parallel first starts build it once: the others wait, then find
/// it built.
///
/// A dry run builds nothing: it says it would build the image, and answers
/// with its name.
pub fn ensure(ctx: &Context, options: &BuildOptions) -> Result<String> {
    ensure_known(ctx, options, None)
}

/// [`ensure`], given what an inspect of `options.target` found when the
/// caller asked already (`Some`), so that it is not asked again.
pub fn ensure_known(
    ctx: &Context,
    options: &BuildOptions,
    known: Option<Option<ImageInfo>>,
) -> Result<String> {
    let found = match known {
        Some(found) => found,
        None if options.rebuild => None,
        None => ctx.docker.image_inspect(&options.target)?,
    };
    // A current base needs no build, no lock and no proxy.
    if !options.rebuild {
        if let Some(info) = found {
            if info.labels.get(base_image::RECIPE_LABEL) == Some(&options.recipe_version()) {
                return Ok(info.id);
            }
        }
    }
    if ctx.dry_run {
        let from = match (&options.rootfs, &options.from) {
            (Some(rootfs), _) => format!("the root file system {}", rootfs.display()),
            (None, Some(from)) => from.clone(),
            (None, None) => base_image::DEFAULT_FROM.to_string(),
        };
        crate::dry::note(format!(
            "build the base image {} from {from} (`redock base` shows each step)",
            options.target
        ));
        return Ok(options.target.clone());
    }
    let _lock = crate::lock::base_image(&ctx.home, &options.target, &ctx.ui)?;
    let options = with_host_apt_proxy(options)?;
    let ui = &ctx.ui;
    Ok(base_image::ensure(&ctx.docker, &options, &mut |p| {
        ui.progress(p)
    })?)
}

/// `options` with the host's own `Acquire::http::Proxy` when neither
/// `REDOCK_APT_PROXY` nor the caller gave a proxy.
fn with_host_apt_proxy(options: &BuildOptions) -> Result<BuildOptions> {
    let mut options = options.clone();
    if options.apt_proxy.is_some() || std::env::var_os("REDOCK_APT_PROXY").is_some() {
        return Ok(options);
    }
    options.apt_proxy = host_apt_proxy();
    checked(options, None, None, Some(Origin::HostApt))
}

/// `DIRECT` (apt's word) or nothing means no proxy.
fn no_direct(proxy: String) -> Option<String> {
    let proxy = proxy.trim().to_string();
    (!proxy.is_empty() && !proxy.eq_ignore_ascii_case("direct")).then_some(proxy)
}

/// The host's own `Acquire::http::Proxy`, from `apt-config`; none where
/// there is no apt.
fn host_apt_proxy() -> Option<String> {
    let program = which::which("apt-config").ok()?;
    let output = Cmd::new(program)
        .args(["dump", "Acquire::http::Proxy"])
        .deadline(Duration::from_secs(10))
        .run()
        .ok()?;
    parse_apt_proxy(&String::from_utf8_lossy(&output.stdout))
}

/// The proxy of all http sources in `apt-config dump` output (per-host
/// entries, `Acquire::http::Proxy::HOST`, aside).
fn parse_apt_proxy(dump: &str) -> Option<String> {
    dump.lines().find_map(|line| {
        let value = line.strip_prefix("Acquire::http::Proxy ")?;
        let value = value.trim().strip_suffix(';')?.trim();
        let value = value.strip_prefix('"')?.strip_suffix('"')?;
        no_direct(value.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recorded outputs of apt-config (fixtures/apt/README.md).
    fn recorded(name: &str) -> String {
        let path = format!("{}/fixtures/apt/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn the_hosts_apt_proxy() {
        assert_eq!(
            parse_apt_proxy(&recorded("dump-proxy.txt")).as_deref(),
            Some("http://user:secret@192.0.2.10:3142")
        );
        assert_eq!(parse_apt_proxy(&recorded("dump-proxy-direct.txt")), None);
        assert_eq!(parse_apt_proxy(&recorded("dump-no-proxy.txt")), None);
    }

    #[test]
    fn direct_or_nothing_is_no_proxy() {
        assert_eq!(no_direct(String::new()), None);
        assert_eq!(no_direct("DIRECT".into()), None);
        assert_eq!(
            no_direct(" http://proxy.example:3142 ".into()).as_deref(),
            Some("http://proxy.example:3142")
        );
    }
}
