//! The SSH client files redock writes: its own `ssh_config` of Host blocks,
//! its `known_hosts` of pinned host keys, and the one `Include` line in the
//! user's client configuration.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use sshconfig::Config;

use crate::error::{shown, Error, ErrorKind, Result};
use crate::home::{self, Home};
use crate::mux::{self, Sharing};

/// How a container is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// sshd's port published on 127.0.0.1.
    Tcp,
    /// `sshd -i` through `docker exec` as a ProxyCommand.
    Exec,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Exec => "exec",
        }
    }

    pub fn parse(value: &str) -> Option<Transport> {
        match value {
            "tcp" => Some(Transport::Tcp),
            "exec" => Some(Transport::Exec),
            _ => None,
        }
    }
}

/// Where ssh connects to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Tcp { host: String, port: u16 },
    Exec { proxy_command: Vec<String> },
}

impl Endpoint {
    /// A short form for status output.
    pub fn display(&self) -> String {
        match self {
            Endpoint::Tcp { host, port } => format!("{host}:{port}"),
            Endpoint::Exec { .. } => "docker exec".to_string(),
        }
    }
}

/// The options of one container's Host block, in the order written, each
/// value as `sshconfig::render` writes it, so that ssh reads back exactly
/// that value (`%` as `%%`, quoted where ssh would split it), and the
/// connection sharing options `sharing` gives (see `mux`). A value ssh
/// cannot be given (`${` in a path it expands) is an error saying why.
pub fn host_block(
    home: &Home,
    alias: &str,
    endpoint: &Endpoint,
    sharing: &Sharing,
) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let from_home = |keyword: &str, path: &Path| render(keyword, path, "REDOCK_HOME");
    let mut options = Vec::new();
    match endpoint {
        Endpoint::Tcp { host, port } => {
            options.push(("HostName", render("HostName", host, "the endpoint")?));
            options.push(("Port", render("Port", port.to_string(), "the endpoint")?));
        }
        Endpoint::Exec { proxy_command } => {
            let command = bootstrap::join(proxy_command);
            options.push((
                "ProxyCommand",
                render("ProxyCommand", &command, "the engine CLI's path")?,
            ));
        }
    }
    options.push(("User", b"root".to_vec()));
    options.push((
        "IdentityFile",
        from_home("IdentityFile", &home.private_key())?,
    ));
    options.push(("IdentitiesOnly", b"yes".to_vec()));
    options.push(("HostKeyAlias", render("HostKeyAlias", alias, "the alias")?));
    options.push((
        "UserKnownHostsFile",
        from_home("UserKnownHostsFile", &home.known_hosts())?,
    ));
    options.push(("StrictHostKeyChecking", b"yes".to_vec()));
    options.extend(mux::options(sharing)?);
    Ok(options)
}

/// `value` as the argument text of `keyword` that ssh reads back as it is;
/// `source` says where the value comes from, for the error.
fn render(keyword: &str, value: impl AsRef<std::ffi::OsStr>, source: &str) -> Result<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    sshconfig::render(keyword, value.as_ref().as_bytes()).map_err(|e| {
        Error::other(format!("{source} cannot go into an ssh configuration: {e}")).with_hint(
            match source {
                "REDOCK_HOME" => "point REDOCK_HOME at a directory whose path ssh can be given",
                "the engine CLI's path" => "point REDOCK_DOCKER at the engine CLI by another path",
                _ => "this is a bug of redock's",
            },
        )
    })
}

/// Checks, before anything is made, that every value redock would write
/// into an ssh configuration for `home` can be written: the Include line
/// and both kinds of Host block, the exec transport's with the engine's
/// `proxy_command` for a container, with the sharing `REDOCK_MUX` asks for
/// (itself checked here).
pub fn check_values(home: &Home, proxy_command: Vec<String>) -> Result<()> {
    UserConfig::include_line(home)?;
    let sharing = mux::planned(home)?;
    let tcp = Endpoint::Tcp {
        host: "127.0.0.1".into(),
        port: 22,
    };
    host_block(home, "redock-container", &tcp, &sharing)?;
    host_block(
        home,
        "redock-container",
        &Endpoint::Exec { proxy_command },
        &sharing,
    )?;
    Ok(())
}

/// Writes (or replaces) the Host block of `alias` in redock's ssh_config.
pub fn write_host_block(
    home: &Home,
    alias: &str,
    endpoint: &Endpoint,
    sharing: &Sharing,
) -> Result<()> {
    let options = host_block(home, alias, endpoint, sharing)?;
    edit_host_blocks(home, |config: &mut Config| {
        config.set_host_block(alias, &options);
        true
    })
}

/// Removes the Host block of `alias` from redock's ssh_config, if present.
pub fn remove_host_block(home: &Home, alias: &str) -> Result<()> {
    let path = home.ssh_config();
    if !path.exists() {
        return Ok(());
    }
    edit_host_blocks(home, |config: &mut Config| config.remove_host_block(alias))
}

/// Edits redock's ssh_config with `edit` (which says whether it changed
/// anything); a dry run tells the change as a diff instead.
fn edit_host_blocks(home: &Home, edit: impl FnOnce(&mut Config) -> bool) -> Result<()> {
    let path = home.ssh_config();
    if home.is_dry_run() {
        let old = fs::read(&path).ok();
        let mut config = Config::parse(old.as_deref().unwrap_or_default());
        if edit(&mut config) {
            crate::dry::file_change(&path, old.as_deref(), &config.to_bytes());
        }
        return Ok(());
    }
    sshconfig::update_file(&path, None, edit)
        .map_err(|e| Error::new(ErrorKind::SshConfig { path: path.clone() }).with_source(e))?;
    Ok(())
}

/// Whether redock's ssh_config has a Host block for `alias`.
pub fn has_host_block(home: &Home, alias: &str) -> bool {
    fs::read(home.ssh_config())
        .map(|bytes| Config::parse(&bytes).host_block(alias).is_some())
        .unwrap_or(false)
}

/// The Host block of `alias` in redock's ssh_config, as written there,
/// each line ending in `\n`; `None` when there is none.
pub fn host_block_text(home: &Home, alias: &str) -> Option<String> {
    let bytes = fs::read(home.ssh_config()).ok()?;
    let config = Config::parse(&bytes);
    let block = config.host_block(alias)?;
    let mut text = String::new();
    for line in block.lines.iter().filter_map(|&id| config.line(id).ok()) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    Some(text)
}

/// Pins `public_key` (an OpenSSH public key line) as the host key of
/// `alias`. For the tcp transport the same line also names the endpoint,
/// `[127.0.0.1]:PORT`, so that a client that ignores `HostKeyAlias` but
/// loads redock's known_hosts (paramiko, fabric) can verify the key too.
/// Every caller that pins again after the endpoint changed (a container
/// resumed on a new port) moves that name with it; another line that still
/// names the endpoint is stale (the engine gives a port to one container
/// at a time) and loses the name.
pub fn pin_host_key(home: &Home, alias: &str, endpoint: &Endpoint, public_key: &str) -> Result<()> {
    let mut fields = public_key.split_whitespace();
    let (Some(kind), Some(key)) = (fields.next(), fields.next()) else {
        return Err(Error::other(format!(
            "the container's host key of {alias} is not an OpenSSH public key: {public_key:?}"
        )));
    };
    let mut names = vec![alias.to_string()];
    if let Endpoint::Tcp { host, port } = endpoint {
        names.push(known_host_name(host, *port));
    }
    let entry = KnownHost {
        names,
        key: format!("{kind} {key}"),
    };
    edit_known_hosts(home, alias, Some(&entry))
}

/// Forgets the pinned host key of `alias`, and the endpoint named with it.
pub fn unpin_host_key(home: &Home, alias: &str) -> Result<()> {
    edit_known_hosts(home, alias, None)
}

/// How known_hosts names a host on a port other than 22.
fn known_host_name(host: &str, port: u16) -> String {
    match port {
        22 => host.to_string(),
        _ => format!("[{host}]:{port}"),
    }
}

/// One line of redock's known_hosts: the names (the alias first) and the
/// key type and key.
struct KnownHost {
    names: Vec<String>,
    key: String,
}

fn edit_known_hosts(home: &Home, alias: &str, entry: Option<&KnownHost>) -> Result<()> {
    let path = home.known_hosts();
    home.locked(|| {
        let old = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let new = known_hosts_with(&old, alias, entry);
        if new == old {
            return Ok(());
        }
        home.write_file(&path, new.as_bytes(), 0o600)
    })
}

/// `old` without the line of `alias` and with `entry` (when given) as that
/// line, at the end. The other names of `entry` are taken off the other
/// lines, which drop out when no name is left.
fn known_hosts_with(old: &str, alias: &str, entry: Option<&KnownHost>) -> String {
    let moved: &[String] = entry.map_or(&[], |e| &e.names[1..]);
    let mut new = String::new();
    for line in old.lines() {
        let (names, rest) = line.split_once([' ', '\t']).unwrap_or((line, ""));
        if names.starts_with('#') || names.starts_with('@') || names.is_empty() {
            new.push_str(line);
            new.push('\n');
            continue;
        }
        let all: Vec<&str> = names.split(',').collect();
        if all.first() == Some(&alias) {
            continue;
        }
        let kept: Vec<&str> = all
            .iter()
            .copied()
            .filter(|name| !moved.iter().any(|m| m == name))
            .collect();
        if kept.is_empty() {
            continue;
        }
        if kept.len() == all.len() {
            new.push_str(line);
        } else {
            new.push_str(&kept.join(","));
            new.push(' ');
            new.push_str(rest.trim_start());
        }
        new.push('\n');
    }
    if let Some(entry) = entry {
        new.push_str(&format!("{} {}\n", entry.names.join(","), entry.key));
    }
    new
}

/// The user's client configuration that gets the Include line.
#[derive(Clone, Debug)]
pub struct UserConfig {
    pub path: PathBuf,
    /// `--no-ssh-config`: leave the file alone.
    pub disabled: bool,
}

/// What happened to the user's config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IncludeOutcome {
    /// The Include line was already there.
    Present,
    /// It is there, on a line that includes other files too (the user's
    /// own, which stays), inside a Host or Match block (1-based line), where
    /// ssh reads it only when that block applies.
    InBlock(usize),
    /// It was added.
    Added,
    /// It was moved up from this line (1-based), where an option of the
    /// user's came before it.
    Moved(usize),
    /// `--dry-run`: this diff would be applied.
    DryRun(String),
    /// The file cannot be written: the line to add by hand.
    ReadOnly(String),
    /// `--no-ssh-config`.
    Disabled,
}

impl UserConfig {
    /// `--ssh-config PATH`, else `REDOCK_SSH_CONFIG`, else `~/.ssh/config`;
    /// unless `disabled`, checked by [`UserConfig::check`].
    pub fn new(path: Option<PathBuf>, disabled: bool, home: &Home) -> Result<UserConfig> {
        let path = match path {
            Some(path) => path,
            None => match std::env::var_os("REDOCK_SSH_CONFIG") {
                Some(path) if !path.is_empty() => PathBuf::from(path),
                _ => home::user_home()?.join(".ssh").join("config"),
            },
        };
        let config = UserConfig { path, disabled };
        if !disabled {
            config.check(home)?;
        }
        Ok(config)
    }

    /// Checks that the file can be the user's ssh config before anything
    /// reads or writes it: a regular file, or nothing yet (a symbolic link
    /// to either is followed), and none of `home`'s own files. A FIFO would
    /// hang the read, a device would be replaced by the write, and
    /// redock's own ssh_config would include itself.
    pub fn check(&self, home: &Home) -> Result<()> {
        let path = &self.path;
        let hint = "point --ssh-config (or REDOCK_SSH_CONFIG) at your ssh client config, \
                    such as ~/.ssh/config, or leave it alone with --no-ssh-config";
        let refuse = |reason: String| Error::other(reason).with_hint(hint);
        if path.as_os_str().is_empty() {
            return Err(refuse("the ssh config path is empty".into()));
        }
        let unusable = |e: &io::Error| {
            refuse(format!(
                "the ssh config {} cannot be used: {}",
                shown(path),
                home::reason(e)
            ))
        };
        let real = home::canonical(path).map_err(|e| unusable(&e))?;
        if real.starts_with(home.dir()) {
            return Err(refuse(format!(
                "the ssh config {} is redock's own (in REDOCK_HOME {}), not your ssh client config",
                shown(path),
                shown(home.dir())
            )));
        }
        match fs::metadata(&real) {
            Ok(meta) if meta.is_file() => Ok(()),
            Ok(meta) => Err(refuse(format!(
                "the ssh config {} is {}, not a regular file",
                shown(path),
                home::kind_of(&meta)
            ))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(unusable(&e)),
        }
    }

    /// The other redock home whose Host block for `alias` this config
    /// already reaches, if any. An alias is unique per user config, not per
    /// home: ssh takes the first Host block that matches, so a second home's
    /// block would be read as the first's, or shadow it.
    ///
    /// The config itself tells which homes share it: each has its one line
    /// `Include <dir>/ssh_config` there. A `<dir>` other than `home` that
    /// holds a key pair or a state file is another home, and its ssh_config
    /// is read for a Host block of `alias`.
    pub fn alias_owner(&self, home: &Home, alias: &str) -> Option<PathBuf> {
        if self.disabled {
            return None;
        }
        let bytes = fs::read(&self.path).ok()?;
        let config = Config::parse(&bytes);
        let homes: Vec<PathBuf> = config
            .lines()
            .flat_map(|line| other_homes(&config, line, home))
            .collect();
        homes
            .into_iter()
            .find(|dir| has_host_block(&Home::at(dir), alias))
    }

    /// Whether ssh reads this file without `-F`: ssh's default is in the
    /// passwd home directory, whatever `$HOME` says.
    pub fn is_ssh_default(&self) -> bool {
        home::passwd_home()
            .map(|h| same_file(&h.join(".ssh").join("config"), &self.path))
            .unwrap_or(false)
    }

    /// The Include line for redock's ssh_config, its path as
    /// `sshconfig::render` writes it (glob characters escaped, quoted).
    pub fn include_line(home: &Home) -> Result<String> {
        let path = render("Include", home.ssh_config(), "REDOCK_HOME")?;
        Ok(format!("Include {}", String::from_utf8_lossy(&path)))
    }

    /// Whether the file already includes redock's ssh_config.
    pub fn has_include(&self, home: &Home) -> bool {
        fs::read(&self.path)
            .map(|bytes| {
                Config::parse(&bytes)
                    .find_include(&home.ssh_config())
                    .is_some()
            })
            .unwrap_or(false)
    }

    /// Puts `Include <home>/ssh_config` before the first line of the file
    /// that is not a comment or blank, so that no option of the user's comes
    /// before redock's Host blocks, changing nothing else. An Include of
    /// redock's that is lower (an earlier version put it before the first
    /// Host or Match line, where a `User bob` above it wins) is moved up: it
    /// is redock's one line. Other homes' Include lines may come first.
    pub fn ensure_include(&self, home: &Home, dry_run: bool) -> Result<IncludeOutcome> {
        if self.disabled {
            return Ok(IncludeOutcome::Disabled);
        }
        let line = UserConfig::include_line(home)?;
        let target = home.ssh_config();
        let failed = |e: sshconfig::Error| {
            Error::new(ErrorKind::SshConfig {
                path: self.path.clone(),
            })
            .with_source(e)
            .with_hint("nothing was changed; --no-ssh-config skips this file")
        };
        // The edit, and what it did (or would do).
        let edit = |config: &mut Config| -> IncludeOutcome {
            let Some(found) = config.find_include(&target) else {
                config.insert_before_first_directive(&line);
                return IncludeOutcome::Added;
            };
            let number = config.line_number(found).unwrap_or_default();
            let above_only_homes = config
                .lines()
                .take_while(|&l| l != found)
                .filter(|&l| config.keyword(l).ok().flatten().is_some())
                .all(|l| !other_homes(config, l, home).is_empty());
            if above_only_homes {
                return IncludeOutcome::Present;
            }
            // A line that includes other files too is the user's own.
            if config.arguments(found).map_or(0, |a| a.len()) != 1 {
                return match config.is_in_block(found) {
                    Ok(true) => IncludeOutcome::InBlock(number),
                    _ => IncludeOutcome::Present,
                };
            }
            match config.move_before_first_directive(found) {
                Ok(true) => IncludeOutcome::Moved(number),
                _ => IncludeOutcome::Present,
            }
        };
        let changes =
            |o: &IncludeOutcome| matches!(o, IncludeOutcome::Added | IncludeOutcome::Moved(_));
        if dry_run {
            let mut file = sshconfig::ConfigFile::read(&self.path).map_err(failed)?;
            let outcome = edit(&mut file.config);
            if !changes(&outcome) {
                return Ok(outcome);
            }
            let new = file.config.to_bytes();
            return Ok(IncludeOutcome::DryRun(diff(
                file.path(),
                file.original(),
                &new,
            )));
        }
        let backup = backup_path(&self.path);
        let mut outcome = IncludeOutcome::Present;
        let result = sshconfig::update_file(&self.path, Some(&backup), |config: &mut Config| {
            outcome = edit(config);
            changes(&outcome)
        });
        match result {
            Ok(update) if update.written => Ok(outcome),
            Ok(_) if changes(&outcome) => Ok(IncludeOutcome::Present),
            Ok(_) => Ok(outcome),
            Err(e)
                if matches!(
                    e.kind(),
                    sshconfig::ErrorKind::PermissionDenied | sshconfig::ErrorKind::ReadOnly
                ) =>
            {
                Ok(IncludeOutcome::ReadOnly(line))
            }
            Err(e) => Err(failed(e)),
        }
    }
}

/// The other redock homes that `line` of a user config includes: for an
/// `Include`, each argument naming `<dir>/ssh_config` (read as ssh reads
/// an Include of a user config, glob escapes and all) where `<dir>` is not
/// `home` and holds a key pair or a state file.
fn other_homes(config: &Config, line: sshconfig::LineId, home: &Home) -> Vec<PathBuf> {
    if config.keyword(line).ok().flatten().as_deref() != Some("include") {
        return Vec::new();
    }
    let user_home = home::user_home().ok();
    config
        .arguments(line)
        .unwrap_or_default()
        .iter()
        .filter_map(|arg| {
            let path = sshconfig::include_path(arg.as_bytes(), user_home.as_deref())?;
            (path.file_name()? == "ssh_config").then_some(())?;
            home::canonical(path.parent()?).ok()
        })
        .filter(|dir| dir != home.dir())
        .filter(|dir| dir.join("id_ed25519.pub").is_file() || dir.join("state.json").is_file())
        .collect()
}

/// What `redock ssh-config --uninstall` did to the user's config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UninstallOutcome {
    /// The Include line was taken out.
    Removed,
    /// There was none.
    Absent,
    /// `--dry-run`: this diff would be applied.
    DryRun(String),
    /// The file cannot be written: the line to take out by hand.
    ReadOnly(String),
    /// The Include line (1-based) names other files too: it is the user's
    /// own, and stays.
    Shared(usize),
    /// `--no-ssh-config`.
    Disabled,
}

impl UserConfig {
    /// Takes redock's Include line out again, under the same lock, backup
    /// and `--dry-run` rules as [`UserConfig::ensure_include`]. Since adding
    /// it only inserted that line, the file is then byte for byte what it
    /// was before redock's first change; the one newline an insertion
    /// adds to a last line that had none goes too, when the backup shows it
    /// was not there.
    pub fn remove_include(&self, home: &Home, dry_run: bool) -> Result<UninstallOutcome> {
        if self.disabled {
            return Ok(UninstallOutcome::Disabled);
        }
        let target = home.ssh_config();
        let backup = backup_path(&self.path);
        let failed = |e: sshconfig::Error| {
            Error::new(ErrorKind::SshConfig {
                path: self.path.clone(),
            })
            .with_source(e)
            .with_hint("nothing was changed; take the Include line out by hand")
        };
        let original = fs::read(&backup).ok();
        let mut shared = None;
        let mut edit = |config: &mut Config| {
            let mut changed = false;
            while let Some(id) = config.find_include(&target) {
                if config.arguments(id).map_or(0, |a| a.len()) != 1 {
                    shared = config.line_number(id).ok();
                    break;
                }
                if config.remove_line(id).is_err() {
                    break;
                }
                changed = true;
            }
            if changed {
                if let Some(original) = &original {
                    undo_added_newline(config, original);
                }
            }
            changed
        };
        if dry_run {
            let mut file = sshconfig::ConfigFile::read(&self.path).map_err(failed)?;
            let changed = edit(&mut file.config);
            return Ok(match (changed, shared) {
                (true, _) => UninstallOutcome::DryRun(diff(
                    file.path(),
                    file.original(),
                    &file.config.to_bytes(),
                )),
                (false, Some(line)) => UninstallOutcome::Shared(line),
                (false, None) => UninstallOutcome::Absent,
            });
        }
        if !self.path.exists() {
            return Ok(UninstallOutcome::Absent);
        }
        match sshconfig::update_file(&self.path, Some(&backup), &mut edit) {
            Ok(update) if update.written => Ok(UninstallOutcome::Removed),
            Ok(_) => Ok(shared.map_or(UninstallOutcome::Absent, UninstallOutcome::Shared)),
            Err(e)
                if matches!(
                    e.kind(),
                    sshconfig::ErrorKind::PermissionDenied | sshconfig::ErrorKind::ReadOnly
                ) =>
            {
                Ok(UninstallOutcome::ReadOnly(UserConfig::include_line(home)?))
            }
            Err(e) => Err(failed(e)),
        }
    }
}

/// Where `config` is `original` plus one final newline, that newline is
/// the one an insertion gave a last line that had none: it goes.
fn undo_added_newline(config: &mut Config, original: &[u8]) {
    let bytes = config.to_bytes();
    let extra = bytes.strip_prefix(original).unwrap_or_default();
    if matches!(extra, b"\n" | b"\r\n") {
        *config = Config::parse(original);
    }
}

/// `config` → `config.redock-backup`, beside the file (through a symlink,
/// beside its target).
fn backup_path(path: &Path) -> PathBuf {
    let target = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(".redock-backup");
    target.with_file_name(name)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// A unified diff of a change (see [`crate::dry::diff`]).
fn diff(path: &Path, old: &[u8], new: &[u8]) -> String {
    crate::dry::diff(path, old, new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_of_an_insertion() {
        let old = b"# mine\nHost *\n  User me\n";
        let new = b"# mine\nInclude /r/ssh_config\nHost *\n  User me\n";
        let d = diff(Path::new("c"), old, new);
        assert_eq!(
            d,
            "--- c\n+++ c\n@@ -1,3 +1,4 @@\n # mine\n+Include /r/ssh_config\n Host *\n   User me\n"
        );
    }

    #[test]
    fn host_block_tcp() {
        let home = Home::at("/h/.redock");
        let block = host_block(
            &home,
            "web-container",
            &Endpoint::Tcp {
                host: "127.0.0.1".into(),
                port: 49153,
            },
            &Sharing::Dir(home.dir().join("mux")),
        )
        .unwrap();
        let text: Vec<String> = block
            .iter()
            .map(|(k, v)| format!("{k} {}", String::from_utf8_lossy(v)))
            .collect();
        assert_eq!(
            text,
            [
                "HostName 127.0.0.1",
                "Port 49153",
                "User root",
                "IdentityFile /h/.redock/id_ed25519",
                "IdentitiesOnly yes",
                "HostKeyAlias web-container",
                "UserKnownHostsFile /h/.redock/known_hosts",
                "StrictHostKeyChecking yes",
                "ControlMaster auto",
                "ControlPath /h/.redock/mux/%C",
                "ControlPersist 10m",
            ]
        );
        let off = Sharing::Off(crate::mux::Off::Asked);
        let endpoint = Endpoint::Exec {
            proxy_command: vec!["docker".into()],
        };
        let block = host_block(&home, "web-container", &endpoint, &off).unwrap();
        assert!(
            block.iter().all(|(k, _)| !k.starts_with("Control")),
            "{block:?}"
        );
    }

    /// A `%` in REDOCK_HOME is written `%%` in ControlPath while `%C` stays
    /// ssh's token: `ssh -G` and redock's own resolution read back the
    /// directory with the connection's hash in it.
    #[test]
    fn control_path_with_a_percent_in_redock_home() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path().join("100% a %C"));
        std::fs::create_dir(home.dir()).unwrap();
        let mux_dir = home.dir().join("mux");
        let endpoint = Endpoint::Tcp {
            host: "127.0.0.1".into(),
            port: 49153,
        };
        write_host_block(
            &home,
            "web-container",
            &endpoint,
            &Sharing::Dir(mux_dir.clone()),
        )
        .unwrap();
        let out = proc::Cmd::new("ssh")
            .arg("-G")
            .arg("-F")
            .arg(home.ssh_config())
            .arg("web-container")
            .run()
            .unwrap();
        let resolved = String::from_utf8(out.stdout).unwrap();
        let path = resolved
            .lines()
            .find_map(|l| l.strip_prefix("controlpath "))
            .unwrap();
        let (parent, hash) = path.rsplit_once('/').unwrap();
        assert_eq!(parent, mux_dir.to_str().unwrap());
        assert_eq!(hash.len(), 40, "{hash}");
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{hash}");
        assert_eq!(
            crate::mux::socket(&home, "web-container"),
            Some(PathBuf::from(path))
        );
    }

    #[test]
    fn values_are_written_as_ssh_reads_them_back() {
        let home = Home::at("/h/100% [x] *? #'\"$/.redock");
        let endpoint = Endpoint::Exec {
            proxy_command: [
                "/opt/my %h/docker",
                "exec",
                "-i",
                "abc",
                "/usr/sbin/sshd",
                "-i",
            ]
            .map(String::from)
            .to_vec(),
        };
        let sharing = Sharing::Dir(home.dir().join("mux"));
        let block = host_block(&home, "web-container", &endpoint, &sharing).unwrap();
        let value = |key: &str| {
            let (_, v) = block.iter().find(|(k, _)| *k == key).unwrap();
            String::from_utf8_lossy(v).into_owned()
        };
        assert_eq!(
            value("ProxyCommand"),
            "'/opt/my %%h/docker' exec -i abc /usr/sbin/sshd -i"
        );
        assert_eq!(
            value("IdentityFile"),
            "\"/h/100%% [x] *? #'\\\"$/.redock/id_ed25519\""
        );
        assert_eq!(
            value("ControlPath"),
            "\"/h/100%% [x] *? #'\\\"$/.redock/mux/%C\""
        );
        assert_eq!(
            UserConfig::include_line(&home).unwrap(),
            "Include \"/h/100[%%] \\\\[x] \\\\*\\\\? #'\\\"$/.redock/ssh_config\""
        );
        // ssh has no escape for `${` where it expands environment variables.
        let err =
            host_block(&Home::at("/h/${X}"), "web-container", &endpoint, &sharing).unwrap_err();
        assert!(err.to_string().contains("${"), "{err}");
    }

    fn outcome(before: &str, dry_run: bool) -> (IncludeOutcome, String) {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path().join(".redock"));
        let path = dir.path().join("config");
        let before = before.replace("HOME", &home.dir().display().to_string());
        std::fs::write(&path, &before).unwrap();
        let user = UserConfig {
            path: path.clone(),
            disabled: false,
        };
        let outcome = user.ensure_include(&home, dry_run).unwrap();
        let after = std::fs::read_to_string(&path).unwrap();
        let after = after.replace(&home.dir().display().to_string(), "HOME");
        let outcome = match outcome {
            IncludeOutcome::DryRun(diff) => {
                IncludeOutcome::DryRun(diff.replace(&home.dir().display().to_string(), "HOME"))
            }
            other => other,
        };
        (outcome, after)
    }

    #[test]
    fn include_outcomes() {
        let (o, after) = outcome("# mine\nHost *\n  User me\n", false);
        assert_eq!(o, IncludeOutcome::Added);
        // A comment right above the first block labels it: the line goes
        // above both.
        assert_eq!(
            after,
            "Include HOME/ssh_config\n# mine\nHost *\n  User me\n"
        );

        let (o, after) = outcome("Include HOME/ssh_config\nHost *\n", false);
        assert_eq!(o, IncludeOutcome::Present);
        assert_eq!(after, "Include HOME/ssh_config\nHost *\n");

        // No option of the user's comes before it.
        let (o, after) = outcome("# mine\nUser bob\n\nHost *\n", false);
        assert_eq!(o, IncludeOutcome::Added);
        assert_eq!(
            after,
            "Include HOME/ssh_config\n# mine\nUser bob\n\nHost *\n"
        );

        // One an earlier version put lower, or one in a block, moves up.
        let (o, after) = outcome("User bob\nInclude HOME/ssh_config\nHost *\n", false);
        assert_eq!(o, IncludeOutcome::Moved(2));
        assert_eq!(after, "Include HOME/ssh_config\nUser bob\nHost *\n");
        let (o, after) = outcome(
            "Host *\n  User me\nMatch host x\n  Include HOME/ssh_config\n",
            false,
        );
        assert_eq!(o, IncludeOutcome::Moved(4));
        assert_eq!(
            after,
            "Include HOME/ssh_config\nHost *\n  User me\nMatch host x\n"
        );
        let (o, after) = outcome("User bob\nInclude HOME/ssh_config\n", true);
        assert!(
            matches!(&o, IncludeOutcome::DryRun(d) if d.contains("+Include HOME/ssh_config")
                && d.contains("-Include HOME/ssh_config")),
            "{o:?}"
        );
        assert_eq!(after, "User bob\nInclude HOME/ssh_config\n");

        // A line that includes other files too is the user's own: it stays,
        // and what it does is said.
        let (o, after) = outcome(
            "Host *\n  User me\nMatch host x\n  Include HOME/ssh_config /etc/x\n",
            false,
        );
        assert_eq!(o, IncludeOutcome::InBlock(4));
        assert_eq!(
            after,
            "Host *\n  User me\nMatch host x\n  Include HOME/ssh_config /etc/x\n"
        );

        let (o, after) = outcome("Host *\n", true);
        assert!(
            matches!(&o, IncludeOutcome::DryRun(d) if d.contains("+Include HOME/ssh_config")),
            "{o:?}"
        );
        assert_eq!(after, "Host *\n");
    }

    /// Adds the Include line to `before` and takes it out again; returns
    /// the outcome of taking it out and the file's bytes after it.
    fn round_trip(before: &[u8]) -> (UninstallOutcome, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path().join(".redock"));
        let path = dir.path().join("config");
        std::fs::write(&path, before).unwrap();
        let user = UserConfig {
            path: path.clone(),
            disabled: false,
        };
        assert_eq!(
            user.ensure_include(&home, false).unwrap(),
            IncludeOutcome::Added
        );
        assert_ne!(std::fs::read(&path).unwrap(), before);
        let outcome = user.remove_include(&home, false).unwrap();
        let after = std::fs::read(&path).unwrap();
        // Once out, there is nothing left to take out.
        assert_eq!(
            user.remove_include(&home, false).unwrap(),
            UninstallOutcome::Absent
        );
        (outcome, after)
    }

    #[test]
    fn uninstall_restores_every_byte() {
        for before in [
            &b"# mine\nHost *\n  User me\n"[..],
            b"# my settings\r\n\tServerAliveInterval=30\r\n\r\nHost *\r\n\tUser nobody\r\nMatch host x\r\n  Port 2222",
            b"Host a\n",
            // No Host or Match: the line was appended, and the newline the
            // last line lacked came with it.
            b"# only a comment",
            b"# only a comment\r\n",
            b"",
        ] {
            let (outcome, after) = round_trip(before);
            assert_eq!(outcome, UninstallOutcome::Removed);
            assert_eq!(
                String::from_utf8_lossy(&after),
                String::from_utf8_lossy(before)
            );
        }
    }

    #[test]
    fn uninstall_outcomes() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path().join(".redock"));
        let path = dir.path().join("config");
        let user = UserConfig {
            path: path.clone(),
            disabled: false,
        };
        // No file: nothing to do, and nothing is created.
        assert_eq!(
            user.remove_include(&home, false).unwrap(),
            UninstallOutcome::Absent
        );
        assert!(!path.exists());

        let include = UserConfig::include_line(&home).unwrap();
        let text = format!("{include}\nHost *\n  User me\n");
        std::fs::write(&path, &text).unwrap();
        match user.remove_include(&home, true).unwrap() {
            UninstallOutcome::DryRun(diff) => {
                assert!(diff.contains(&format!("\n-{include}\n")), "{diff}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);

        // A line that names other files too is the user's own.
        let shared = format!("Host *\n  User me\n{include} ~/.ssh/other\n");
        std::fs::write(&path, &shared).unwrap();
        assert_eq!(
            user.remove_include(&home, false).unwrap(),
            UninstallOutcome::Shared(3)
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), shared);

        let disabled = UserConfig {
            path: path.clone(),
            disabled: true,
        };
        assert_eq!(
            disabled.remove_include(&home, false).unwrap(),
            UninstallOutcome::Disabled
        );
    }

    #[test]
    fn known_hosts_name_the_tcp_endpoint_with_the_alias() {
        let tcp = |port| KnownHost {
            names: vec!["web-container".into(), known_host_name("127.0.0.1", port)],
            key: "ssh-ed25519 AAAAnew".into(),
        };
        // Pinned first: the alias and the endpoint on one line.
        let pinned = known_hosts_with("", "web-container", Some(&tcp(49153)));
        assert_eq!(
            pinned,
            "web-container,[127.0.0.1]:49153 ssh-ed25519 AAAAnew\n"
        );
        // Pinned again on a new port: the line moves with it.
        let old = "db-container ssh-ed25519 AAAAdb\n\
                   web-container,[127.0.0.1]:49153 ssh-ed25519 AAAAold\n";
        assert_eq!(
            known_hosts_with(old, "web-container", Some(&tcp(49200))),
            "db-container ssh-ed25519 AAAAdb\n\
             web-container,[127.0.0.1]:49200 ssh-ed25519 AAAAnew\n"
        );
        // Another alias's line that still names the port is stale: the name
        // goes, the alias stays; a line of nothing but that name goes.
        let old = "db-container,[127.0.0.1]:49153  ssh-ed25519 AAAAdb\n\
                   [127.0.0.1]:49153 ssh-ed25519 AAAAstray\n\
                   # a comment\n";
        assert_eq!(
            known_hosts_with(old, "web-container", Some(&tcp(49153))),
            "db-container ssh-ed25519 AAAAdb\n\
             # a comment\n\
             web-container,[127.0.0.1]:49153 ssh-ed25519 AAAAnew\n"
        );
        // The exec transport has no endpoint to name.
        let exec = KnownHost {
            names: vec!["web-container".into()],
            key: "ssh-ed25519 AAAAnew".into(),
        };
        assert_eq!(
            known_hosts_with(old, "web-container", Some(&exec)),
            format!("{old}web-container ssh-ed25519 AAAAnew\n")
        );
        // Unpinned: the line goes, endpoint and all; the others stay as they are.
        let old = "db-container  ssh-ed25519 AAAAdb\n\
                   web-container,[127.0.0.1]:49153 ssh-ed25519 AAAAnew\n";
        assert_eq!(
            known_hosts_with(old, "web-container", None),
            "db-container  ssh-ed25519 AAAAdb\n"
        );
        // Lines of redock before the endpoint was named are replaced whole.
        assert_eq!(
            known_hosts_with("web-container ssh-ed25519 AAAAold\n", "web-container", None),
            ""
        );
    }

    #[test]
    fn an_alias_belongs_to_the_first_home_that_the_config_includes() {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        let home = |name: &str, hosts: &str, key: bool| {
            let path = root.join(name);
            fs::create_dir(&path).unwrap();
            fs::write(path.join("ssh_config"), hosts).unwrap();
            if key {
                fs::write(path.join("id_ed25519.pub"), "ssh-ed25519 AAAA\n").unwrap();
            }
            Home::resolve(&path).unwrap()
        };
        let first = home("first", "Host web-container\n  Port 1\n", true);
        let second = home("second", "", true);
        let not_a_home = home("elsewhere", "Host db-container\n  Port 2\n", false);
        let path = root.join("config");
        fs::write(
            &path,
            format!(
                "Include \"{}/ssh_config\" {}/ssh_config\nInclude {}/ssh_config\n",
                first.dir().display(),
                not_a_home.dir().display(),
                second.dir().display()
            ),
        )
        .unwrap();
        let user = UserConfig {
            path,
            disabled: false,
        };
        assert_eq!(
            user.alias_owner(&second, "web-container").as_deref(),
            Some(first.dir())
        );
        assert_eq!(user.alias_owner(&first, "web-container"), None);
        assert_eq!(user.alias_owner(&second, "db-container"), None);
        assert_eq!(user.alias_owner(&second, "app-container"), None);
        let disabled = UserConfig {
            disabled: true,
            ..user
        };
        assert_eq!(disabled.alias_owner(&second, "web-container"), None);
    }

    #[test]
    fn only_a_regular_file_or_none_is_a_user_config() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::resolve(&dir.path().join(".redock")).unwrap();
        let check =
            |path: &str| UserConfig::new(Some(PathBuf::from(path)), false, &home).map(|_| ());
        // Only metadata is read, so /dev/null itself is safe to try.
        let err = check("/dev/null").unwrap_err().to_string();
        assert_eq!(
            err,
            "the ssh config /dev/null is a character device, not a regular file"
        );
        assert!(check("/").is_err());
        let own = home.dir().join("ssh_config");
        assert!(check(own.to_str().unwrap())
            .unwrap_err()
            .to_string()
            .contains("is redock's own"));
        let absent = dir.path().join("config");
        check(absent.to_str().unwrap()).unwrap();
        fs::write(&absent, "").unwrap();
        check(absent.to_str().unwrap()).unwrap();
        // --no-ssh-config: the path is not used, so not checked.
        UserConfig::new(Some("/dev/null".into()), true, &home).unwrap();
    }
}
