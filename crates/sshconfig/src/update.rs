//! Safe, locked, atomic updates of a configuration file on disk.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use nix::fcntl::{Flock, FlockArg};

use crate::error::{Error, ErrorKind};
use crate::Config;

/// What [`update_file`] or [`ConfigFile::write`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// Whether the file was written (false when the edit changed nothing).
    pub written: bool,
    /// Whether the one-time backup was written by this update.
    pub backup_written: bool,
    /// The file's bytes before the update (empty for a missing file).
    pub before: Vec<u8>,
    /// The file's bytes after the update.
    pub after: Vec<u8>,
}

/// A configuration file read from disk, to be edited and written back.
///
/// Use it for two-step flows such as a dry run (read, edit, show the diff,
/// maybe write); [`update_file`] does all steps under one lock.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    path: PathBuf,
    original: Option<Vec<u8>>,
    /// The configuration to edit before [`ConfigFile::write`].
    pub config: Config,
}

impl ConfigFile {
    /// Reads `path`, following symbolic links to the real file. A missing
    /// file reads as an empty configuration.
    pub fn read(path: &Path) -> Result<ConfigFile, Error> {
        let path = follow_links(path)?;
        let original = read_existing(&path)?;
        let config = Config::parse(original.as_deref().unwrap_or_default());
        Ok(ConfigFile {
            path,
            original,
            config,
        })
    }

    /// The file actually written: the given path with symbolic links followed.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file existed when it was read.
    pub fn exists(&self) -> bool {
        self.original.is_some()
    }

    /// The bytes read from disk.
    pub fn original(&self) -> &[u8] {
        self.original.as_deref().unwrap_or_default()
    }

    /// Whether [`ConfigFile::config`] differs from what was read.
    pub fn is_changed(&self) -> bool {
        self.config.to_bytes() != self.original()
    }

    /// Writes the edited configuration back if it changed: under the lock,
    /// refusing with [`ErrorKind::Conflict`] if the file on disk is no longer
    /// what was read. `backup`, when given and not yet present, receives the
    /// bytes read.
    pub fn write(&self, backup: Option<&Path>) -> Result<Update, Error> {
        let after = self.config.to_bytes();
        if after == self.original() {
            return Ok(self.unchanged());
        }
        let _lock = lock(&self.path)?;
        self.commit(after, backup)
    }

    fn unchanged(&self) -> Update {
        Update {
            written: false,
            backup_written: false,
            before: self.original().to_vec(),
            after: self.original().to_vec(),
        }
    }

    /// The write itself; the caller holds the lock.
    fn commit(&self, after: Vec<u8>, backup: Option<&Path>) -> Result<Update, Error> {
        let path = &self.path;
        let meta = match fs::metadata(path) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(path, "cannot inspect", e)),
        };
        if let Some(meta) = &meta {
            check_writable(path, meta)?;
        }
        if read_existing(path)? != self.original {
            return Err(Error::new(
                ErrorKind::Conflict,
                Some(path),
                "changed on disk since it was read, not overwriting",
            ));
        }
        let mode = meta.as_ref().map_or(0o600, |m| m.mode() & 0o7777);
        let owner = meta.as_ref().map(|m| (m.uid(), m.gid()));
        let mut backup_written = false;
        if let (Some(backup), Some(original)) = (backup, &self.original) {
            if fs::symlink_metadata(backup).is_err() {
                atomic_write(backup, original, mode, owner)?;
                backup_written = true;
            }
        }
        atomic_write(path, &after, mode, owner)?;
        Ok(Update {
            written: true,
            backup_written,
            before: self.original().to_vec(),
            after,
        })
    }
}

/// Reads `path`, lets `edit` change it, and writes it back if `edit` returns
/// true and the bytes changed, all under an exclusive lock.
///
/// A missing file is an empty configuration; it is created with mode 0600
/// (and its directory with 0700). An existing file keeps its mode and owner;
/// a symbolic link is written through to its target. `backup`, when given,
/// receives the previous bytes the first time the file is changed and is
/// never overwritten. The new bytes go to a temporary file in the same
/// directory that is synced and renamed over the old one, so readers see the
/// old or the new file, never a mix.
///
/// Writers that do not take the lock (an editor, say) are detected: if the
/// file changes between reading and renaming, nothing is written and the
/// error kind is [`ErrorKind::Conflict`]. A file without write permission or
/// on a read-only file system gives [`ErrorKind::ReadOnly`], an access
/// refusal [`ErrorKind::PermissionDenied`].
///
/// ```
/// # fn main() -> Result<(), sshconfig::Error> {
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("ssh/config");
/// let update = sshconfig::update_file(&path, None, |config| {
///     config.set_host_block("web", &[("HostName", "127.0.0.1"), ("Port", "2222")])
/// })?;
/// assert!(update.written);
/// assert_eq!(
///     std::fs::read_to_string(&path).unwrap(),
///     "Host web\n  HostName 127.0.0.1\n  Port 2222\n"
/// );
/// # Ok(())
/// # }
/// ```
pub fn update_file(
    path: &Path,
    backup: Option<&Path>,
    edit: impl FnOnce(&mut Config) -> bool,
) -> Result<Update, Error> {
    let target = follow_links(path)?;
    let _lock = lock(&target)?;
    let mut file = ConfigFile::read(&target)?;
    if !edit(&mut file.config) {
        return Ok(file.unchanged());
    }
    let after = file.config.to_bytes();
    if after == file.original() {
        return Ok(file.unchanged());
    }
    file.commit(after, backup)
}

/// Follows symbolic links (also dangling ones) to the path really written.
fn follow_links(path: &Path) -> Result<PathBuf, Error> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&current)
                    .map_err(|e| Error::io(&current, "cannot read link", e))?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(Error::new(
        ErrorKind::Io,
        Some(path),
        "too many levels of symbolic links at",
    ))
}

fn read_existing(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, "cannot read", e)),
    }
}

fn check_writable(path: &Path, meta: &fs::Metadata) -> Result<(), Error> {
    // No write bit at all means the user made the file read-only on purpose;
    // honour that even for root, who would otherwise be allowed to write.
    if meta.permissions().mode() & 0o222 == 0 {
        return Err(Error::new(
            ErrorKind::ReadOnly,
            Some(path),
            "read-only file",
        ));
    }
    match nix::unistd::access(path, nix::unistd::AccessFlags::W_OK) {
        Ok(()) => Ok(()),
        Err(errno) => Err(Error::io(
            path,
            "cannot write",
            io::Error::from_raw_os_error(errno as i32),
        )),
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config".to_string())
}

/// Takes the exclusive lock for `path`: `flock` on its directory, which
/// outlives the rename that replaces `path` itself and leaves no lock file
/// among the user's (a directory opens for reading even where it cannot be
/// written). Creates the directory (0700) when missing.
fn lock(path: &Path) -> Result<Flock<File>, Error> {
    let dir = parent_dir(path);
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Error::io(dir, "cannot create directory", e))?;
    }
    let handle = File::open(dir).map_err(|e| Error::io(dir, "cannot open directory", e))?;
    Flock::lock(handle, FlockArg::LockExclusive).map_err(|(_, errno)| {
        Error::io(
            dir,
            "cannot lock",
            io::Error::from_raw_os_error(errno as i32),
        )
    })
}

/// Writes `bytes` to `path` through a synced temporary file and a rename,
/// then syncs the directory so the rename itself is durable.
fn atomic_write(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    owner: Option<(u32, u32)>,
) -> Result<(), Error> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = parent_dir(path);
    let tmp = dir.join(format!(
        ".{}.{}.{}.tmp",
        file_name(path),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| Error::io(&tmp, "cannot create", e))?;
        file.write_all(bytes)
            .map_err(|e| Error::io(&tmp, "cannot write", e))?;
        if let Some((uid, gid)) = owner {
            // Only root can give a file away; anyone else already owns it.
            let _ = std::os::unix::fs::fchown(&file, Some(uid), Some(gid));
        }
        // Set after chown, which may clear set-id bits.
        file.set_permissions(fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io(&tmp, "cannot set mode of", e))?;
        file.sync_all()
            .map_err(|e| Error::io(&tmp, "cannot sync", e))?;
        fs::rename(&tmp, path).map_err(|e| Error::io(path, "cannot replace", e))?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(dir, "cannot sync directory", e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_is_the_directory_and_leaves_no_file() {
        // util-linux's flock(1) takes the same kind of lock from outside.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        let busy = || {
            std::process::Command::new("flock")
                .args(["-n", "-E", "75"])
                .arg(dir.path())
                .arg("true")
                .status()
                .unwrap()
                .code()
        };
        let held = lock(&path).unwrap();
        assert_eq!(busy(), Some(75), "the directory is not locked");
        drop(held);
        assert_eq!(busy(), Some(0));
        update_file(&path, None, |c| c.set_host_block("a", &[("Port", "1")])).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["config"]);
    }

    #[test]
    fn creates_missing_file_and_dir() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config");
        let up = update_file(&path, None, |c| {
            c.insert_before_first_host_or_match("Include x");
            true
        })
        .unwrap();
        assert!(up.written);
        assert_eq!(fs::read(&path).unwrap(), b"Include x\n");
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        assert_eq!(
            fs::metadata(dir.path().join("sub")).unwrap().mode() & 0o777,
            0o700
        );
    }

    #[test]
    fn conflict_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        fs::write(&path, "Host a\n").unwrap();
        let mut file = ConfigFile::read(&path).unwrap();
        file.config.set_host_block("b", &[("Port", "2")]);
        fs::write(&path, "Host a\n  User other\n").unwrap();
        let err = file.write(None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert_eq!(fs::read(&path).unwrap(), b"Host a\n  User other\n");
    }
}
