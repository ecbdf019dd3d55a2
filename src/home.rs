//! `REDOCK_HOME` (default `~/.redock`): the key pair, the state file, the
//! ssh_config of Host blocks and the known_hosts of pinned host keys.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use docker_exec::StableHash;
use proc::Cmd;

use crate::error::{shown, Error, ErrorKind, Result};

/// redock's own directory and the files in it.
#[derive(Clone, Debug)]
pub struct Home {
    dir: PathBuf,
    /// `--dry-run`: every change to the files is told (`crate::dry`), none made.
    dry_run: bool,
}

/// The files redock keeps in its home, and what each is.
const FILES: [(&str, &str); 7] = [
    ("id_ed25519", "private key"),
    ("id_ed25519.pub", "public key"),
    ("state.json", "state file"),
    ("ssh_config", "Host blocks"),
    ("known_hosts", "pinned host keys"),
    ("lock", "lock file"),
    ("state.json.lock", "lock file"),
];

impl Home {
    /// `REDOCK_HOME`, else `~/.redock`, as [`Home::resolve`] checks it.
    pub fn from_env() -> Result<Home> {
        match std::env::var_os("REDOCK_HOME") {
            Some(dir) if !dir.is_empty() => Home::resolve(&absolute(Path::new(&dir))?),
            _ => Home::resolve(&user_home()?.join(".redock")),
        }
    }

    /// The home at `dir`, checked before anything is done with it: a path
    /// every ssh configuration and docker label can carry (UTF-8 without
    /// control characters), a directory or nothing yet, and its files
    /// regular ones where they exist (a FIFO would hang the first read).
    /// The path is canonical, so that a symlinked home and its real path
    /// are one home.
    pub fn resolve(dir: &Path) -> Result<Home> {
        let unusable = |reason: String| {
            Error::other(format!("REDOCK_HOME {} {reason}", shown(dir)))
                .with_hint("point REDOCK_HOME at a directory of yours, or at where one may be made")
        };
        match dir.to_str() {
            None => {
                return Err(unusable(
                    "is not valid UTF-8, as the labels of redock's containers must be".into(),
                ))
            }
            Some(text) if text.chars().any(char::is_control) => {
                return Err(unusable(
                    "holds a control character, which no ssh configuration can hold".into(),
                ))
            }
            Some(_) => {}
        }
        let dir =
            canonical(dir).map_err(|e| unusable(format!("cannot be used: {}", reason(&e))))?;
        match fs::metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(meta) => {
                return Err(unusable(format!(
                    "exists and is not a directory ({})",
                    kind_of(&meta)
                )))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(unusable(format!("cannot be used: {}", reason(&e)))),
        }
        for (name, what) in FILES {
            let path = dir.join(name);
            let bad = |reason: String| {
                Error::other(format!(
                    "{} {reason}: redock keeps its {what} there",
                    shown(&path)
                ))
                .with_hint("move it out of the way; redock makes a new one")
            };
            if fs::symlink_metadata(&path).is_err() {
                continue;
            }
            match fs::metadata(&path) {
                Ok(meta) if meta.is_file() => {}
                Ok(meta) => return Err(bad(format!("is {}, not a regular file", kind_of(&meta)))),
                Err(e) => return Err(bad(format!("cannot be used: {}", reason(&e)))),
            }
        }
        Ok(Home {
            dir,
            dry_run: false,
        })
    }

    /// The home at `dir`, taken as it is.
    pub fn at(dir: impl Into<PathBuf>) -> Home {
        Home {
            dir: dir.into(),
            dry_run: false,
        }
    }

    /// The same home for a dry run (`dry_run`): its files are read as
    /// ever, and every change to them is told instead of made.
    pub fn with_dry_run(mut self, dry_run: bool) -> Home {
        self.dry_run = dry_run;
        self
    }

    /// Whether changes are told instead of made.
    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    /// Whether a container's home label names this home: the label as
    /// this version writes it (canonical), or as an earlier one did (the
    /// path as given, through a symbolic link or with `.` in it).
    pub fn is_named_by(&self, label: &str) -> bool {
        label == self.dir.as_os_str()
            || (Path::new(label).is_absolute()
                && canonical(Path::new(label)).is_ok_and(|p| p == self.dir))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn private_key(&self) -> PathBuf {
        self.dir.join("id_ed25519")
    }

    pub fn public_key_path(&self) -> PathBuf {
        self.dir.join("id_ed25519.pub")
    }

    pub fn state_file(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    pub fn ssh_config(&self) -> PathBuf {
        self.dir.join("ssh_config")
    }

    pub fn known_hosts(&self) -> PathBuf {
        self.dir.join("known_hosts")
    }

    /// The remembered settings (`redock config`).
    pub fn settings_file(&self) -> PathBuf {
        self.dir.join("settings.json")
    }

    /// Whether this is the default home; containers of another home get a
    /// suffix in their docker name so that several homes can share an engine.
    pub fn is_default(&self) -> bool {
        user_home()
            .ok()
            .and_then(|h| canonical(&h.join(".redock")).ok())
            .is_some_and(|default| default == self.dir)
    }

    /// A short, stable tag of this home for docker names.
    pub fn discriminator(&self) -> String {
        // The low 32 bits, as earlier versions named their containers.
        let hash = StableHash::of(self.dir.as_os_str().as_encoded_bytes());
        format!("{:08x}", hash as u32)
    }

    /// Creates the directory (0700) when missing and tightens it when
    /// others can read it: it holds a private key.
    /// A dry run leaves it as it is, or missing: what would be written
    /// into it is told by the write itself.
    pub fn ensure(&self) -> Result<()> {
        if self.dry_run {
            return Ok(());
        }
        match fs::metadata(&self.dir) {
            Ok(meta) if meta.is_dir() => {
                if meta.permissions().mode() & 0o077 != 0 {
                    fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))
                        .map_err(|e| Error::io(&self.dir, e))?;
                }
                Ok(())
            }
            Ok(_) => Err(Error::other(format!(
                "REDOCK_HOME {} exists and is not a directory",
                self.dir.display()
            ))),
            Err(_) => {
                fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(&self.dir)
                    .map_err(|e| Error::io(&self.dir, e))?;
                // `mode` is filtered by the umask; say it once more.
                fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))
                    .map_err(|e| Error::io(&self.dir, e))
            }
        }
    }

    /// Gives REDOCK_HOME and its files the modes ssh and safety need, and
    /// returns what it changed, for the caller to say. ssh refuses a private
    /// key that others can read and a config file that others can write,
    /// and fails on every connection then; a home or file others can write
    /// lets them change where ssh goes. A mode that cannot be changed (a
    /// file of another user's) is an error with the command that fixes it.
    pub fn repair_modes(&self) -> Result<Vec<Repair>> {
        // Which bits make a mode wrong, and which the repair clears. A home
        // others can only read is no danger (the key in it is 0600), and
        // `ensure` tightens it as it always did.
        let rules: [(PathBuf, u32, u32, &'static str); 6] = [
            (
                self.dir.clone(),
                0o022,
                0o077,
                "others could replace redock's files",
            ),
            (
                self.private_key(),
                0o077,
                0o077,
                "ssh refuses a private key others can read",
            ),
            (
                self.ssh_config(),
                0o022,
                0o022,
                "ssh refuses a config others can write",
            ),
            (
                self.known_hosts(),
                0o022,
                0o022,
                "others could pin their own host keys",
            ),
            (
                self.public_key_path(),
                0o022,
                0o022,
                "others could change the key containers trust",
            ),
            (self.state_file(), 0o022, 0o022, "others could change it"),
        ];
        let mut repairs = Vec::new();
        for (path, wrong, cleared, why) in rules {
            repairs.extend(repair_mode(&path, wrong, cleared, why, self.dry_run)?);
        }
        Ok(repairs)
    }

    /// The public key, generating the key pair with `ssh-keygen` first when
    /// there is none (the original's `get_ssh_public_key`).
    ///
    /// A dry run that finds no pair tells that it would make one and
    /// answers with [`DRY_RUN_PUBLIC_KEY`].
    pub fn public_key(&self) -> Result<String> {
        if self.dry_run && !(self.private_key().exists() && self.public_key_path().exists()) {
            crate::dry::note(format!(
                "generate the key pair {} with ssh-keygen",
                self.private_key().display()
            ));
            return Ok(DRY_RUN_PUBLIC_KEY.to_string());
        }
        self.ensure_key_pair()?;
        let path = self.public_key_path();
        fs::read_to_string(&path).map_err(|e| Error::io(&path, e))
    }

    /// Makes the key pair when missing (the original's
    /// `generate_ssh_key_pair`). The pair is made under temporary names and
    /// renamed into place, public key last, so that a concurrent run never
    /// sees half a pair.
    pub fn ensure_key_pair(&self) -> Result<()> {
        let (private, public) = (self.private_key(), self.public_key_path());
        if private.exists() && public.exists() {
            return Ok(());
        }
        // Looked up first: without it nothing is created.
        let keygen = which::which("ssh-keygen").map_err(|_| {
            Error::new(ErrorKind::ProgramNotFound {
                program: "ssh-keygen".into(),
            })
            .with_hint("install the OpenSSH client (openssh-client)")
        })?;
        self.ensure()?;
        let temp = tempfile::Builder::new()
            .prefix(&crate::lock::temp_prefix(".keygen-"))
            .tempdir_in(&self.dir)
            .map_err(|e| Error::io(&self.dir, e))?;
        let temp_key = temp.path().join("id_ed25519");
        let comment = format!("redock@{}", hostname());
        Cmd::new(&keygen)
            .args(["-q", "-t", "ed25519", "-N", "", "-C", &comment, "-f"])
            .arg(&temp_key)
            .run()?;
        fs::set_permissions(&temp_key, fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io(&temp_key, e))?;
        // Another run may have won the race; its pair stands.
        if private.exists() && public.exists() {
            return Ok(());
        }
        fs::rename(&temp_key, &private).map_err(|e| Error::io(&private, e))?;
        fs::rename(temp_key.with_extension("pub"), &public).map_err(|e| Error::io(&public, e))
    }

    /// Holds an exclusive lock on `<home>/lock` while `f` runs: the short
    /// read-modify-write sections on redock's own files go through here.
    /// A dry run takes no lock (it would leave a lock file behind).
    pub fn locked<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        if self.dry_run {
            return f();
        }
        self.ensure()?;
        let path = self.dir.join("lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        let _lock = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
            .map_err(|(_, errno)| Error::io(&path, errno.into()))?;
        f()
    }
}

/// The public key a dry run that would generate the key pair goes on with.
pub const DRY_RUN_PUBLIC_KEY: &str = "ssh-ed25519 NEW_KEY redock";

impl Home {
    /// Writes `contents` to `path` (one of the home's files) atomically,
    /// with `mode`; a dry run tells the change as a diff instead.
    pub fn write_file(&self, path: &Path, contents: &[u8], mode: u32) -> Result<()> {
        if self.dry_run {
            let old = fs::read(path).ok();
            crate::dry::file_change(path, old.as_deref(), contents);
            return Ok(());
        }
        write_atomic(path, contents, mode)
    }
}

/// Clears the bits `cleared` of the mode of `path` (through a symbolic
/// link) when any of the bits `wrong` is set, `why` saying why it must
/// not be; a file that is not there is left alone. Returns the change, or
/// an error with the `chmod` that would fix it when the mode cannot be
/// changed. A dry run returns the change without making it.
pub(crate) fn repair_mode(
    path: &Path,
    wrong: u32,
    cleared: u32,
    why: &'static str,
    dry_run: bool,
) -> Result<Option<Repair>> {
    let Ok(meta) = fs::metadata(path) else {
        return Ok(None);
    };
    let from = meta.permissions().mode() & 0o7777;
    if from & wrong == 0 {
        return Ok(None);
    }
    let to = from & !cleared;
    let repair = Repair {
        path: path.to_path_buf(),
        from,
        to,
        why,
    };
    if dry_run {
        return Ok(Some(repair));
    }
    fs::set_permissions(path, fs::Permissions::from_mode(to)).map_err(|e| {
        Error::other(format!(
            "{} has mode {from:04o}, which it must not ({why}), and cannot be changed: {e}",
            shown(path)
        ))
        .with_hint(format!(
            "chmod {to:o} {}",
            bootstrap::quote(path.as_os_str()).to_string_lossy()
        ))
    })?;
    Ok(Some(repair))
}

/// A mode [`Home::repair_modes`] changed (or, in a dry run, would change).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repair {
    pub path: PathBuf,
    pub from: u32,
    pub to: u32,
    /// Why the old mode would not do.
    pub why: &'static str,
}

impl std::fmt::Display for Repair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "changed the mode of {} from {:04o} to {:04o}: {}",
            shown(&self.path),
            self.from,
            self.to,
            self.why
        )
    }
}

/// Writes `contents` to `path` atomically: a temporary file in the same
/// directory, fsync, rename.
fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(&crate::lock::temp_prefix(".redock-"))
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    temp.write_all(contents)
        .map_err(|e| Error::io(temp.path(), e))?;
    temp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io(temp.path(), e))?;
    temp.as_file()
        .sync_all()
        .map_err(|e| Error::io(temp.path(), e))?;
    temp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// The home directory: `$HOME`, else the passwd entry.
pub fn user_home() -> Result<PathBuf> {
    match std::env::var_os("HOME") {
        Some(home) if !home.is_empty() => Ok(PathBuf::from(home)),
        _ => passwd_home(),
    }
}

/// The home directory OpenSSH uses: the passwd entry, not `$HOME`.
pub fn passwd_home() -> Result<PathBuf> {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.dir)
        .ok_or_else(|| Error::other("the current user has no passwd entry and $HOME is unset"))
}

/// `path` with every symbolic link resolved and no `.` or `..` left, also
/// where its end does not exist yet: what exists is resolved, the rest
/// appended. A dangling symbolic link is followed to where it points.
pub(crate) fn canonical(path: &Path) -> std::io::Result<PathBuf> {
    canonical_within(path, 0)
}

fn canonical_within(path: &Path, links: usize) -> std::io::Result<PathBuf> {
    use std::path::Component;
    // Linux's own limit of links followed in one lookup.
    if links > 40 {
        return Err(std::io::Error::from_raw_os_error(nix::libc::ELOOP));
    }
    let mut out = PathBuf::from("/");
    let mut missing = false;
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir | Component::CurDir => {}
            // `out` holds no link, so its parent is `..` of it.
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => {
                let next = out.join(name);
                if missing {
                    out = next;
                    continue;
                }
                match fs::canonicalize(&next) {
                    Ok(real) => out = real,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        match fs::read_link(&next) {
                            Ok(target) => out = canonical_within(&out.join(target), links + 1)?,
                            Err(_) => out = next,
                        }
                        missing = fs::symlink_metadata(&out).is_err();
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(out)
}

/// What a file is, for messages: "a FIFO", "a directory"…
pub(crate) fn kind_of(meta: &fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else {
        "a regular file"
    }
}

/// Why a path cannot be used, in words for a message.
pub(crate) fn reason(err: &std::io::Error) -> String {
    match err.raw_os_error() {
        Some(nix::libc::ELOOP) => "too many levels of symbolic links".into(),
        Some(nix::libc::ENOTDIR) => "a part of it is not a directory".into(),
        _ => err.to_string(),
    }
}

fn absolute(path: &Path) -> Result<PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    Ok(cwd.join(path))
}

fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn canonical_paths_resolve_what_exists() {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        fs::create_dir(root.join("real")).unwrap();
        symlink(root.join("real"), root.join("link")).unwrap();
        symlink(root.join("later"), root.join("dangling")).unwrap();
        let check = |path: &str, expected: &str| {
            let got = canonical(&dir.path().join(path)).unwrap();
            assert_eq!(got, root.join(expected), "{path}");
        };
        check("real", "real");
        check("link", "real");
        check("link/new/./x", "real/new/x");
        check("link/../real", "real");
        check("new/../other", "other");
        check("dangling", "later");
        check("dangling/x", "later/x");
        symlink(root.join("loop"), root.join("loop")).unwrap();
        let err = canonical(&root.join("loop/x")).unwrap_err();
        assert_eq!(reason(&err), "too many levels of symbolic links");
    }

    /// Every way a dry run's home could change its files: none does.
    #[test]
    fn a_dry_run_home_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::resolve(&dir.path().join("home"))
            .unwrap()
            .with_dry_run(true);
        home.ensure().unwrap();
        assert!(!home.dir().exists());
        assert_eq!(home.public_key().unwrap(), DRY_RUN_PUBLIC_KEY);
        home.locked(|| home.write_file(&home.ssh_config(), b"Host x\n", 0o600))
            .unwrap();
        crate::lock::sweep(&home).unwrap();
        drop(crate::lock::name(&home, "alice:web", &crate::Ui::new(0, true)).unwrap());
        assert!(!home.dir().exists());

        let real = Home::resolve(&dir.path().join("home")).unwrap();
        real.ensure().unwrap();
        fs::write(real.private_key(), "key").unwrap();
        fs::set_permissions(real.private_key(), fs::Permissions::from_mode(0o644)).unwrap();
        let repairs = home.repair_modes().unwrap();
        assert_eq!(repairs.len(), 1);
        assert_eq!((repairs[0].from, repairs[0].to), (0o644, 0o600));
        let mode = fs::metadata(real.private_key())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o644);
        let files: Vec<_> = fs::read_dir(real.dir()).unwrap().flatten().collect();
        assert_eq!(files.len(), 1, "{files:?}");
    }

    #[test]
    fn a_file_others_can_write_is_repaired_through_its_link() {
        let dir = tempfile::tempdir().unwrap();
        let (real, link) = (dir.path().join("real"), dir.path().join("link"));
        fs::write(&real, "Host x\n").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o666)).unwrap();
        symlink(&real, &link).unwrap();
        let why = "ssh refuses a config others can write";
        let repair = repair_mode(&link, 0o022, 0o022, why, false)
            .unwrap()
            .unwrap();
        assert_eq!((repair.from, repair.to), (0o666, 0o644));
        let mode = fs::metadata(&real).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o644);
        assert_eq!(repair_mode(&link, 0o022, 0o022, why, false).unwrap(), None);
        let missing = dir.path().join("missing");
        assert_eq!(
            repair_mode(&missing, 0o022, 0o022, why, false).unwrap(),
            None
        );
    }

    #[test]
    fn wrong_modes_are_repaired_and_told() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::resolve(&dir.path().join("home")).unwrap();
        home.ensure().unwrap();
        let set = |path: PathBuf, mode: u32| {
            fs::write(&path, "x").unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        };
        set(home.private_key(), 0o644);
        set(home.ssh_config(), 0o664);
        set(home.known_hosts(), 0o646);
        set(home.public_key_path(), 0o644);
        fs::set_permissions(home.dir(), fs::Permissions::from_mode(0o777)).unwrap();
        let repairs = home.repair_modes().unwrap();
        let seen: Vec<(PathBuf, u32, u32)> = repairs
            .iter()
            .map(|r| (r.path.clone(), r.from, r.to))
            .collect();
        assert_eq!(
            seen,
            [
                (home.dir().to_path_buf(), 0o777, 0o700),
                (home.private_key(), 0o644, 0o600),
                (home.ssh_config(), 0o664, 0o644),
                (home.known_hosts(), 0o646, 0o644),
            ]
        );
        assert!(repairs[1]
            .to_string()
            .ends_with("id_ed25519 from 0644 to 0600: ssh refuses a private key others can read"));
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&home.private_key()), 0o600);
        assert_eq!(mode(home.dir()), 0o700);
        assert_eq!(home.repair_modes().unwrap(), []);
    }

    #[test]
    fn homes_are_canonical_and_earlier_labels_name_them() {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        fs::create_dir(root.join("real")).unwrap();
        symlink(root.join("real"), root.join("link")).unwrap();
        let home = Home::resolve(&root.join("link")).unwrap();
        assert_eq!(home.dir(), root.join("real"));
        assert_eq!(Home::resolve(&root.join("real")).unwrap().dir(), home.dir());
        let label = |p: PathBuf| p.to_str().unwrap().to_string();
        assert!(home.is_named_by(&label(root.join("real"))));
        assert!(home.is_named_by(&label(root.join("link"))));
        assert!(home.is_named_by(&label(root.join("./link/."))));
        assert!(!home.is_named_by(&label(root.join("other"))));
        assert!(!home.is_named_by("real"));
        assert_eq!(
            home.discriminator(),
            Home::at(root.join("real")).discriminator()
        );
    }
}
