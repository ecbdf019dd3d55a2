//! The OpenSSH release whose behaviour the resolver and the renderer follow.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind};

/// An OpenSSH release, as `ssh -V` names it: `OpenSSH_9.2p1 Debian-2+deb12u10`.
///
/// Releases read the same configuration differently in places (OpenSSH 9.6
/// puts the `ProxyJump` host into `%C`, 9.9 expands `%` tokens in `Include`,
/// 10.0 expands them in `User` and `SetEnv`, Debian's builds add a
/// keep-alive default under `BatchMode`, …); [`Resolver::openssh`] and
/// [`render_for`] take the release to follow. The crate is tested against
/// Debian 12's `OpenSSH_9.2p1 Debian-2+deb12u10` and Debian 13's
/// `OpenSSH_10.0p2 Debian-7+deb13u4`; other releases get the behaviour of
/// the upstream versions (and Debian revisions) the differences first
/// appeared in, which is read from upstream's history but not tested.
///
/// ```
/// use sshconfig::Openssh;
///
/// let debian: Openssh = "OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19 27 Jan 2026"
///     .parse()
///     .unwrap();
/// assert_eq!((debian.major(), debian.minor()), (9, 2));
/// assert!(debian.is_debian());
/// assert_eq!(debian.to_string(), "OpenSSH_9.2p1 Debian-2+deb12u10");
/// assert_eq!("10.0".parse::<Openssh>().unwrap(), Openssh::new(10, 0));
/// ```
///
/// [`Resolver::openssh`]: crate::Resolver::openssh
/// [`render_for`]: crate::render_for
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Openssh {
    major: u32,
    minor: u32,
    /// `SSH_RELEASE`, what `Match version` compares against.
    release: String,
    /// Debian's revision, `2+deb12u10`, for Debian's builds.
    debian: Option<String>,
}

impl Openssh {
    /// Upstream OpenSSH `major.minor` (portable, without distribution
    /// patches).
    pub fn new(major: u32, minor: u32) -> Openssh {
        Openssh {
            major,
            minor,
            release: format!("OpenSSH_{major}.{minor}"),
            debian: None,
        }
    }

    /// Reads a release as `ssh -V` prints it (`OpenSSH_10.0p2
    /// Debian-7+deb13u4, OpenSSL …`), or a bare version (`9.2`, `9.2p1`,
    /// `9.2p1 Debian-2+deb12u10`).
    pub fn parse(text: &str) -> Result<Openssh, Error> {
        let bad = || {
            Error::new(
                ErrorKind::Invalid,
                None,
                format!("not an OpenSSH version: {text:?} (expected e.g. 9.2p1 or OpenSSH_10.0p2)"),
            )
        };
        let release = text.split(',').next().unwrap_or("").trim();
        let bare = release.strip_prefix("OpenSSH_").unwrap_or(release);
        let (version, extra) = match bare.split_once(' ') {
            Some((v, e)) => (v, Some(e.trim())),
            None => (bare, None),
        };
        let (numbers, portable) = match version.split_once('p') {
            Some((n, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (n, Some(p)),
            Some(_) => return Err(bad()),
            None => (version, None),
        };
        let (major, minor) = numbers.split_once('.').ok_or_else(bad)?;
        let number = |s: &str| {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            s.parse::<u32>().map_err(|_| bad())
        };
        let (major, minor) = (number(major)?, number(minor)?);
        // Debian's builds, and Ubuntu's which carry Debian's patches, name
        // their revision; any other vendor text is kept but changes nothing.
        let debian = extra.and_then(|e| {
            e.strip_prefix("Debian-")
                .or_else(|| e.strip_prefix("Ubuntu-"))
                .map(str::to_string)
        });
        let mut canonical = format!("OpenSSH_{major}.{minor}");
        if let Some(p) = portable {
            canonical.push('p');
            canonical.push_str(p);
        }
        if let Some(extra) = extra.filter(|e| !e.is_empty()) {
            canonical.push(' ');
            canonical.push_str(extra);
        }
        Ok(Openssh {
            major,
            minor,
            release: canonical,
            debian,
        })
    }

    /// The major version: 9 for 9.2.
    pub fn major(&self) -> u32 {
        self.major
    }

    /// The minor version: 2 for 9.2.
    pub fn minor(&self) -> u32 {
        self.minor
    }

    /// Whether this is Debian's build, or Ubuntu's, with Debian's patches.
    pub fn is_debian(&self) -> bool {
        self.debian.is_some()
    }

    /// The release text ssh itself uses (`Match version` compares with it).
    pub fn release(&self) -> &str {
        &self.release
    }

    pub(crate) fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    /// The `N` of a Debian revision `…+debXXuN` for the Debian release
    /// `suite` (12 for bookworm), if this is such a build.
    fn debian_update(&self, suite: u32) -> Option<u32> {
        let rev = self.debian.as_deref()?;
        let tail = rev.split(&format!("+deb{suite}u")).nth(1)?;
        let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    }

    /// `%j` and the `ProxyJump` host in `%C` (upstream 9.6).
    pub(crate) fn has_jump_token(&self) -> bool {
        self.at_least(9, 6)
    }

    /// `Match` read with the argument splitter and `attribute=value`
    /// (upstream 9.9).
    pub(crate) fn match_uses_argv(&self) -> bool {
        self.at_least(9, 9)
    }

    /// `%` tokens and `${VAR}` in `Include` paths (upstream 9.9).
    pub(crate) fn expands_include(&self) -> bool {
        self.at_least(9, 9)
    }

    /// `%` tokens and `${VAR}` in `User` and in `SetEnv` values
    /// (upstream 10.0).
    pub(crate) fn expands_user_and_setenv(&self) -> bool {
        self.at_least(10, 0)
    }

    /// `Tag` and `Match tagged` (upstream 9.4).
    pub(crate) fn has_tag(&self) -> bool {
        self.at_least(9, 4)
    }

    /// `ObscureKeystrokeTiming` (upstream 9.5).
    pub(crate) fn has_obscure_keystroke_timing(&self) -> bool {
        self.at_least(9, 5)
    }

    /// `Match command`, `Match sessiontype`, `Match version` (upstream 10.0).
    pub(crate) fn has_match_command(&self) -> bool {
        self.at_least(10, 0)
    }

    /// Whether `ProxyJump none` keeps a later `ProxyCommand` from applying:
    /// upstream before 10.3, Debian before the 2026 security updates
    /// (9.2p1-2+deb12u10, 10.0p1-7+deb13u3).
    pub(crate) fn jump_none_blocks_proxy_command(&self) -> bool {
        if self.at_least(10, 3) {
            return false;
        }
        if let Some(n) = self.debian_update(12) {
            return n < 10;
        }
        if let Some(n) = self.debian_update(13) {
            return n < 3;
        }
        true
    }

    /// `IPQoS lowdelay`, `throughput` and `reliability` read as `none`
    /// (upstream 10.1, Debian 10.0p1-7+deb13u3).
    pub(crate) fn tos_names_deprecated(&self) -> bool {
        self.at_least(10, 1) || self.debian_update(13).is_some_and(|n| n >= 3)
    }

    /// Debian's `SetupTimeOut` means `ConnectTimeout` since Debian's 9.9p1
    /// (before, `ServerAliveInterval`).
    pub(crate) fn setup_timeout_is_connect_timeout(&self) -> bool {
        self.at_least(9, 9)
    }
}

impl Default for Openssh {
    /// Upstream OpenSSH 10.0.
    fn default() -> Openssh {
        Openssh::new(10, 0)
    }
}

impl fmt::Display for Openssh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.release)
    }
}

impl FromStr for Openssh {
    type Err = Error;

    fn from_str(s: &str) -> Result<Openssh, Error> {
        Openssh::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_ssh_v_prints() {
        let v =
            Openssh::parse("OpenSSH_10.0p2 Debian-7+deb13u4, OpenSSL 3.5.9 29 Sep 2026").unwrap();
        assert_eq!((v.major(), v.minor()), (10, 0));
        assert_eq!(v.release(), "OpenSSH_10.0p2 Debian-7+deb13u4");
        assert!(v.is_debian());
        assert!(!v.jump_none_blocks_proxy_command());
        assert!(v.tos_names_deprecated());
        let old = Openssh::parse("OpenSSH_9.2p1 Debian-2+deb12u9").unwrap();
        assert!(old.jump_none_blocks_proxy_command());
        let fixed = Openssh::parse("9.2p1 Debian-2+deb12u10").unwrap();
        assert!(!fixed.jump_none_blocks_proxy_command());
        assert!(!fixed.tos_names_deprecated());
        assert!(Openssh::new(10, 0).jump_none_blocks_proxy_command());
        assert!(!Openssh::new(10, 3).jump_none_blocks_proxy_command());
        assert_eq!(Openssh::parse("9.2").unwrap(), Openssh::new(9, 2));
        assert!(
            Openssh::parse("OpenSSH_9.6p1 Ubuntu-3ubuntu13.5, OpenSSL 3.0.13")
                .unwrap()
                .is_debian()
        );
        for bad in ["", "9", "x.y", "9.2q1", "9.2p", "OpenSSH_"] {
            assert!(Openssh::parse(bad).is_err(), "{bad:?}");
        }
    }
}
