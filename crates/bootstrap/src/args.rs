//! The argument vectors of the `ssh` and `rsync` invocations and the remote
//! command lines they carry, built by pure functions so that they can be
//! tested without running anything.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use crate::error::{Error, ErrorKind};
use proc::Cmd;

use crate::quote::{self, quote, quote_rsync_word};

/// Whether `ssh` asks the remote side for a pseudo-terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tty {
    /// `-t`: the operator can answer prompts; the remote standard error is
    /// merged into the terminal.
    Force,
    /// `-T`: the remote streams stay apart and binary input passes untouched,
    /// whatever `RequestTTY` the user's configuration sets.
    Disable,
}

/// The package managers this crate can drive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PackageManager {
    /// Debian, Ubuntu and their derivatives.
    Apt,
    /// Alpine Linux.
    Apk,
    /// Fedora and Red Hat derivatives.
    Dnf,
}

impl PackageManager {
    /// The name of the program, e.g. `apt-get`.
    pub fn program(self) -> &'static str {
        match self {
            PackageManager::Apt => "apt-get",
            PackageManager::Apk => "apk",
            PackageManager::Dnf => "dnf",
        }
    }
}

/// Checks that `alias` reads as a host on every command line it is put on:
/// not as an option (`-oProxyCommand=…`), and not split by rsync, which
/// takes what precedes a `:` for the host.
pub(crate) fn check_alias(alias: &str) -> Result<(), Error> {
    let bad = alias.is_empty()
        || alias.starts_with('-')
        || alias
            .chars()
            .any(|c| c == ':' || c.is_whitespace() || c.is_control());
    if bad {
        return Err(Error::new(ErrorKind::InvalidAlias {
            alias: alias.to_owned(),
        }));
    }
    Ok(())
}

/// `ssh [-F CONFIG] -t|-T -- ALIAS REMOTE`.
///
/// The `--` ends ssh's options before the alias; without it, OpenSSH goes on
/// parsing options after the host, so a remote command starting with `-`
/// would be read as one. The remote command is a single argument, already
/// quoted for the remote shell, because ssh would join several with spaces
/// anyway and lose their boundaries.
pub(crate) fn ssh(
    ssh: &OsStr,
    config: Option<&Path>,
    tty: Tty,
    alias: &str,
    remote: &OsStr,
) -> Cmd {
    let mut args: Vec<OsString> = Vec::new();
    if let Some(config) = config {
        args.push("-F".into());
        args.push(config.into());
    }
    args.push(
        match tty {
            Tty::Force => "-t",
            Tty::Disable => "-T",
        }
        .into(),
    );
    args.push("--".into());
    args.push(alias.into());
    args.push(remote.to_owned());
    Cmd::new(ssh).args(args)
}

/// The remote command line that runs `argv`.
///
/// sshd runs it as `$SHELL -c LINE`, where a line starting with `-` would be
/// read as options of the shell, so a leading word like `-v` is put in quotes
/// that the shell then removes.
pub(crate) fn remote_command<S: AsRef<OsStr>>(argv: &[S]) -> OsString {
    let line = quote::join(argv).into_vec();
    if !line.starts_with(b"-") {
        return OsString::from_vec(line);
    }
    // A bare first word holds only safe bytes, so no space and no quote.
    let end = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
    let mut quoted = Vec::with_capacity(line.len() + 2);
    quoted.push(b'\'');
    quoted.extend_from_slice(&line[..end]);
    quoted.push(b'\'');
    quoted.extend_from_slice(&line[end..]);
    OsString::from_vec(quoted)
}

/// The command rsync should connect with, for its `-e` option.
pub(crate) fn rsync_shell(ssh: &OsStr, config: Option<&Path>) -> OsString {
    let mut shell = quote_rsync_word(ssh);
    if let Some(config) = config {
        shell.push(" -F ");
        shell.push(quote_rsync_word(config.as_os_str()));
    }
    // rsync speaks a binary protocol over the connection, which a
    // pseudo-terminal would garble.
    shell.push(" -T");
    shell
}

/// `rsync -a [--cvs-exclude] [--delete] --rsync-path 'cd REMOTE && exec rsync'
/// -e SHELL -- LOCAL/ ALIAS:.`.
///
/// The remote directory never reaches rsync as a path: rsync would expand
/// wildcards in it on the remote side whatever its argument protection
/// (`/srv/[x]` is `/srv/x` when that exists), and before 3.2.4 hand the
/// rest to the remote shell. Instead the remote shell enters it, quoted
/// like every other remote word, and rsync receives into `.`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn rsync(
    rsync: &OsStr,
    ssh: &OsStr,
    config: Option<&Path>,
    alias: &str,
    local_dir: &Path,
    remote_dir: &OsStr,
    cvs_exclude: bool,
    delete: bool,
) -> Cmd {
    let mut args: Vec<OsString> = vec!["-a".into()];
    if cvs_exclude {
        args.push("--cvs-exclude".into());
    }
    if delete {
        args.push("--delete".into());
    }
    args.push("--rsync-path".into());
    args.push(rsync_path(remote_dir));
    args.push("-e".into());
    args.push(rsync_shell(ssh, config));
    args.push("--".into());
    args.push(local_source(local_dir));
    let mut remote = OsString::from(alias);
    remote.push(":.");
    args.push(remote);
    Cmd::new(rsync).args(args)
}

/// The remote command line rsync starts its server with: in `remote_dir`.
pub(crate) fn rsync_path(remote_dir: &OsStr) -> OsString {
    let mut line = OsString::from("cd ");
    line.push(quote(&remote_path(remote_dir)));
    line.push(" && exec rsync");
    line
}

/// The local directory as rsync's source: with a trailing `/`, so that its
/// contents (not the directory itself) land in the remote directory, and
/// with `./` in front where rsync would otherwise read it as `HOST:PATH`.
pub(crate) fn local_source(local_dir: &Path) -> OsString {
    let bytes = local_dir.as_os_str().as_bytes();
    let mut out = Vec::with_capacity(bytes.len() + 3);
    let first_slash = bytes.iter().position(|&b| b == b'/').unwrap_or(bytes.len());
    if bytes.is_empty() || bytes[..first_slash].contains(&b':') {
        out.extend_from_slice(b"./");
    }
    out.extend_from_slice(bytes);
    if !out.ends_with(b"/") {
        out.push(b'/');
    }
    OsString::from_vec(out)
}

/// A remote path that no program reads as an option.
pub(crate) fn remote_path(path: &OsStr) -> OsString {
    if path.as_bytes().starts_with(b"-") {
        let mut out = OsString::from("./");
        out.push(path);
        out
    } else {
        path.to_owned()
    }
}

/// The remote command that prints the path of the first package manager
/// found, or nothing.
pub(crate) fn probe_package_manager() -> OsString {
    "command -v apt-get || command -v apk || command -v dnf || true".into()
}

/// Reads the answer of [`probe_package_manager`].
pub(crate) fn parse_package_manager(stdout: &[u8]) -> Option<PackageManager> {
    // Take the last line: a noisy shell start-up file may print before it.
    let text = String::from_utf8_lossy(stdout);
    let line = text.lines().map(str::trim).rfind(|l| !l.is_empty())?;
    match line.rsplit('/').next()? {
        "apt-get" => Some(PackageManager::Apt),
        "apk" => Some(PackageManager::Apk),
        "dnf" => Some(PackageManager::Dnf),
        _ => None,
    }
}

fn check_packages<S: AsRef<str>>(packages: &[S]) -> Result<(), Error> {
    for package in packages {
        let package = package.as_ref();
        if package.is_empty() || package.starts_with('-') {
            return Err(Error::invalid_argument(format!(
                "invalid package name `{package}`"
            )));
        }
    }
    Ok(())
}

fn push_words<S: AsRef<str>>(script: &mut OsString, words: &[S]) {
    for word in words {
        script.push(" ");
        script.push(quote(OsStr::new(word.as_ref())));
    }
}

/// The remote command that installs `packages` without asking anything.
pub(crate) fn install<S: AsRef<str>>(
    manager: PackageManager,
    packages: &[S],
) -> Result<OsString, Error> {
    check_packages(packages)?;
    let mut script = OsString::from(match manager {
        // An image built the usual way has its package lists removed to save
        // space; apt-get cannot install anything until they are fetched.
        PackageManager::Apt => {
            "set -e; if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then apt-get update; fi; \
             DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends"
        }
        // Without a cache apk fetches the indexes it needs itself.
        PackageManager::Apk => "apk add --no-cache",
        PackageManager::Dnf => "dnf install -y",
    });
    push_words(&mut script, packages);
    Ok(script)
}

/// The remote command that upgrades every installed package without asking
/// anything, keeping locally changed configuration files.
pub(crate) fn upgrade(manager: PackageManager) -> OsString {
    match manager {
        PackageManager::Apt => {
            "set -e; apt-get update; DEBIAN_FRONTEND=noninteractive apt-get -y \
             -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold dist-upgrade"
        }
        PackageManager::Apk => "apk upgrade --no-cache",
        PackageManager::Dnf => "dnf upgrade -y",
    }
    .into()
}

/// The remote command that writes its standard input to `path` atomically:
/// into a temporary file in the same directory (so that the rename cannot
/// cross file systems), given `mode`, then renamed over `path`. A failure
/// part-way removes the temporary file and leaves `path` as it was.
pub(crate) fn upload(path: &OsStr, mode: u32, size: u64) -> Result<OsString, Error> {
    let bytes = path.as_bytes();
    if bytes.is_empty() || bytes.ends_with(b"/") || bytes.ends_with(b"/.") || bytes == b"." {
        return Err(Error::invalid_argument(format!(
            "`{}` does not name a file",
            path.to_string_lossy()
        )));
    }
    if mode > 0o7777 {
        return Err(Error::invalid_argument(format!(
            "invalid file mode {mode:o}"
        )));
    }
    let path = remote_path(path);
    let bytes = path.as_bytes();
    let (dir, name): (&[u8], &[u8]) = match bytes.iter().rposition(|&b| b == b'/') {
        Some(0) => (b"/", &bytes[1..]),
        Some(i) => (&bytes[..i], &bytes[i + 1..]),
        None => (b".", bytes),
    };
    let mut template = dir.to_vec();
    if !template.ends_with(b"/") {
        template.push(b'/');
    }
    template.push(b'.');
    template.extend_from_slice(name);
    template.extend_from_slice(b".XXXXXX");

    // Each quoted word is assigned to a variable and used as "$var" after:
    // pasted into another quoted string, a quoted word is quoted no more.
    let mut script = OsString::from("set -e; target=");
    script.push(quote(&path));
    script.push("; dir=");
    script.push(quote(OsStr::from_bytes(dir)));
    script.push("; template=");
    script.push(quote(OsStr::from_bytes(&template)));
    // mv would move the file into a directory of that name, not replace it.
    script.push(
        "; if [ -d \"$target\" ]; then printf '%s is a directory\\n' \"$target\" >&2; exit 1; fi; \
         mkdir -p -- \"$dir\"; tmp=$(mktemp \"$template\"); trap 'rm -f \"$tmp\"' EXIT; ",
    );
    // ssh closes the remote stdin when the local side dies, so `cat` ends
    // on a short read as if it were the whole file: the size decides.
    script.push(format!(
        "cat >\"$tmp\"; n=$(wc -c <\"$tmp\"); \
         if [ $((n)) -ne {size} ]; then echo \"upload cut short: $((n)) of {size} bytes\" >&2; exit 1; fi; \
         chmod {mode:o} \"$tmp\"; mv -f \"$tmp\" \"$target\"; trap - EXIT"
    ));
    Ok(script)
}

/// The remote command that creates `remote_dir` and prints `missing` when
/// the remote side has no rsync to receive with.
pub(crate) fn prepare_rsync(remote_dir: &OsStr) -> OsString {
    let mut script = OsString::from("mkdir -p -- ");
    script.push(quote(&remote_path(remote_dir)));
    script.push(" && { command -v rsync >/dev/null 2>&1 || echo missing; }");
    script
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(invocation: &Cmd) -> Vec<String> {
        std::iter::once(invocation.program())
            .chain(invocation.get_args().iter().map(OsString::as_os_str))
            .map(|a| a.to_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn ssh_without_config() {
        let invocation = ssh(
            OsStr::new("ssh"),
            None,
            Tty::Disable,
            "web-container",
            OsStr::new("true"),
        );
        assert_eq!(
            strings(&invocation),
            ["ssh", "-T", "--", "web-container", "true"]
        );
    }

    #[test]
    fn ssh_with_config_and_tty() {
        let remote = quote::join(&["ls", "-la", "my dir"]);
        let invocation = ssh(
            OsStr::new("/usr/bin/ssh"),
            Some(Path::new("/home/me/.redock/ssh config")),
            Tty::Force,
            "web-container",
            &remote,
        );
        assert_eq!(
            strings(&invocation),
            [
                "/usr/bin/ssh",
                "-F",
                "/home/me/.redock/ssh config",
                "-t",
                "--",
                "web-container",
                "ls -la 'my dir'",
            ]
        );
        assert_eq!(
            invocation.display(),
            "ssh -F '/home/me/.redock/ssh config' -t -- web-container 'ls -la '\\''my dir'\\'''"
        );
    }

    #[test]
    fn remote_commands() {
        let check = |argv: &[&str], expected: &str| {
            assert_eq!(remote_command(argv), OsStr::new(expected), "{argv:?}");
        };
        check(&["true"], "true");
        check(&["ls", "-la", "my dir"], "ls -la 'my dir'");
        check(&["-v"], "'-v'");
        check(&["--x", "y z"], "'--x' 'y z'");
        check(&["-n y", "z"], "'-n y' z");
        check(&["-"], "'-'");
    }

    #[test]
    fn aliases() {
        for good in ["web-container", "db", "root@host", "a.b_c", "naïve"] {
            assert!(check_alias(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-oProxyCommand=x",
            "-",
            "a b",
            "host:22",
            "a\nb",
            "a\tb",
        ] {
            let error = check_alias(bad).unwrap_err();
            assert_eq!(
                error.kind(),
                &ErrorKind::InvalidAlias {
                    alias: bad.to_owned()
                }
            );
        }
    }

    #[test]
    fn rsync_with_all_options() {
        let invocation = rsync(
            OsStr::new("rsync"),
            OsStr::new("ssh"),
            Some(Path::new("/home/me/.redock/ssh_config")),
            "web-container",
            Path::new("/src/app"),
            OsStr::new("/srv/app"),
            true,
            true,
        );
        assert_eq!(
            strings(&invocation),
            [
                "rsync",
                "-a",
                "--cvs-exclude",
                "--delete",
                "--rsync-path",
                "cd /srv/app && exec rsync",
                "-e",
                "ssh -F /home/me/.redock/ssh_config -T",
                "--",
                "/src/app/",
                "web-container:.",
            ]
        );
    }

    #[test]
    fn rsync_without_options() {
        let invocation = rsync(
            OsStr::new("/opt/bin/ssh"),
            OsStr::new("/opt/my tools/ssh"),
            None,
            "db",
            Path::new("src/"),
            OsStr::new("data"),
            false,
            false,
        );
        assert_eq!(
            strings(&invocation)[1..],
            [
                "-a",
                "--rsync-path",
                "cd data && exec rsync",
                "-e",
                "'/opt/my tools/ssh' -T",
                "--",
                "src/",
                "db:."
            ]
        );
    }

    #[test]
    fn rsync_enters_the_remote_directory_through_the_shell() {
        // rsync never sees the path, so it expands no wildcard in it.
        let invocation = rsync(
            OsStr::new("rsync"),
            OsStr::new("ssh"),
            None,
            "db",
            Path::new("src"),
            OsStr::new("/srv/[x] $(id) 'q'"),
            false,
            false,
        );
        assert_eq!(
            strings(&invocation)[1..],
            [
                "-a",
                "--rsync-path",
                r"cd '/srv/[x] $(id) '\''q'\''' && exec rsync",
                "-e",
                "ssh -T",
                "--",
                "src/",
                "db:."
            ]
        );
        assert_eq!(
            rsync_path(OsStr::new("-rf")),
            OsStr::new("cd ./-rf && exec rsync")
        );
    }

    #[test]
    fn local_sources() {
        let check = |path: &str, expected: &str| {
            assert_eq!(
                local_source(Path::new(path)),
                OsStr::new(expected),
                "{path}"
            );
        };
        check("/src/app", "/src/app/");
        check("/src/app/", "/src/app/");
        check("app", "app/");
        check(".", "./");
        check("", "./");
        check("host:dir", "./host:dir/");
        check("-rf", "-rf/");
        check("a/b:c", "a/b:c/");
        check("/a:b", "/a:b/");
    }

    #[test]
    fn remote_paths() {
        assert_eq!(remote_path(OsStr::new("/srv")), OsStr::new("/srv"));
        assert_eq!(remote_path(OsStr::new("srv")), OsStr::new("srv"));
        assert_eq!(remote_path(OsStr::new("-rf")), OsStr::new("./-rf"));
    }

    #[test]
    fn package_manager_answers() {
        let check =
            |out: &str, expected| assert_eq!(parse_package_manager(out.as_bytes()), expected);
        check("/usr/bin/apt-get\n", Some(PackageManager::Apt));
        check("/sbin/apk\n", Some(PackageManager::Apk));
        check("/usr/bin/dnf\n", Some(PackageManager::Dnf));
        check("welcome!\n/usr/bin/dnf\n\n", Some(PackageManager::Dnf));
        check("", None);
        check("/usr/bin/yum\n", None);
    }

    #[test]
    fn install_commands() {
        assert_eq!(
            install(PackageManager::Apt, &["rsync", "vim-tiny"]).unwrap(),
            OsStr::new(
                "set -e; if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then apt-get update; fi; \
                 DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rsync vim-tiny"
            )
        );
        assert_eq!(
            install(PackageManager::Apk, &["rsync"]).unwrap(),
            OsStr::new("apk add --no-cache rsync")
        );
        assert_eq!(
            install(PackageManager::Dnf, &["libstdc++", "x;y"]).unwrap(),
            OsStr::new("dnf install -y libstdc++ 'x;y'")
        );
    }

    #[test]
    fn install_refuses_option_like_packages() {
        for bad in ["-y", "--allow-unauthenticated", ""] {
            let error = install(PackageManager::Apt, &["rsync", bad]).unwrap_err();
            assert!(
                matches!(error.kind(), ErrorKind::InvalidArgument { .. }),
                "{bad}"
            );
        }
    }

    #[test]
    fn upgrade_commands() {
        assert!(upgrade(PackageManager::Apt)
            .to_str()
            .unwrap()
            .contains("apt-get update; DEBIAN_FRONTEND=noninteractive apt-get -y"));
        assert_eq!(
            upgrade(PackageManager::Apk),
            OsStr::new("apk upgrade --no-cache")
        );
        assert_eq!(upgrade(PackageManager::Dnf), OsStr::new("dnf upgrade -y"));
    }

    #[test]
    fn upload_commands() {
        assert_eq!(
            upload(OsStr::new("/etc/motd"), 0o644, 12).unwrap(),
            OsStr::new(
                "set -e; target=/etc/motd; dir=/etc; template=/etc/.motd.XXXXXX; \
                 if [ -d \"$target\" ]; then printf '%s is a directory\\n' \"$target\" >&2; exit 1; fi; \
                 mkdir -p -- \"$dir\"; tmp=$(mktemp \"$template\"); trap 'rm -f \"$tmp\"' EXIT; \
                 cat >\"$tmp\"; n=$(wc -c <\"$tmp\"); \
                 if [ $((n)) -ne 12 ]; then echo \"upload cut short: $((n)) of 12 bytes\" >&2; exit 1; fi; \
                 chmod 644 \"$tmp\"; mv -f \"$tmp\" \"$target\"; trap - EXIT"
            )
        );
        let script = upload(OsStr::new("/top"), 0o4755, 0).unwrap();
        let script = script.to_str().unwrap();
        assert!(script.contains("dir=/;"), "{script}");
        assert!(script.contains("template=/.top.XXXXXX;"), "{script}");
        assert!(script.contains("chmod 4755 "), "{script}");

        // Each quoted word stands alone, assigned to a variable.
        let script = upload(OsStr::new("-x/it's \"$(id)\""), 0o600, 0).unwrap();
        let script = script.to_str().unwrap();
        assert!(
            script.starts_with(
                r#"set -e; target='./-x/it'\''s "$(id)"'; dir=./-x; template='./-x/.it'\''s "$(id)".XXXXXX'; "#
            ),
            "{script}"
        );

        let script = upload(OsStr::new("notes"), 0o600, 0).unwrap();
        assert!(script
            .to_str()
            .unwrap()
            .contains("template=./.notes.XXXXXX;"));
    }

    #[test]
    fn upload_refuses_bad_arguments() {
        for path in ["", "/etc/", ".", "/tmp/."] {
            assert!(upload(OsStr::new(path), 0o644, 0).is_err(), "{path}");
        }
        assert!(upload(OsStr::new("/etc/x"), 0o10000, 0).is_err());
    }

    #[test]
    fn prepare_rsync_commands() {
        assert_eq!(
            prepare_rsync(OsStr::new("/srv/my app")),
            OsStr::new(
                "mkdir -p -- '/srv/my app' && { command -v rsync >/dev/null 2>&1 || echo missing; }"
            )
        );
    }
}
