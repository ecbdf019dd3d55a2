//! `REDOCK_HOME` (default `~/.redock`): the key pair, the state file, the
//! ssh_config of Host blocks and the known_hosts of pinned host keys.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use proc::Cmd;

use crate::error::{Error, ErrorKind, Result};

/// redock's own directory and the files in it.
#[derive(Clone, Debug)]
pub struct Home {
    dir: PathBuf,
}

impl Home {
    /// `REDOCK_HOME`, else `~/.redock`.
    pub fn from_env() -> Result<Home> {
        match std::env::var_os("REDOCK_HOME") {
            Some(dir) if !dir.is_empty() => Ok(Home::at(absolute(Path::new(&dir))?)),
            _ => Ok(Home::at(user_home()?.join(".redock"))),
        }
    }

    pub fn at(dir: impl Into<PathBuf>) -> Home {
        Home { dir: dir.into() }
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
            .map(|h| h.join(".redock") == self.dir)
            .unwrap_or(false)
    }

    /// A short, stable tag of this home for docker names.
    pub fn discriminator(&self) -> String {
        // FNV-1a: stable across runs and platforms, unlike std's hasher.
        let mut hash: u64 = 0xcbf29ce484222325;
        for byte in self.dir.as_os_str().as_encoded_bytes() {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x100000001b3);
        }
        format!("{:08x}", hash as u32)
    }

    /// Creates the directory (0700) when missing and tightens it when
    /// others can read it: it holds a private key.
    pub fn ensure(&self) -> Result<()> {
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

    /// The public key, generating the key pair with `ssh-keygen` first when
    /// there is none (the original's `get_ssh_public_key`).
    pub fn public_key(&self) -> Result<String> {
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
            .prefix(".keygen-")
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
    pub fn locked<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
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

/// Writes `contents` to `path` atomically: a temporary file in the same
/// directory, fsync, rename.
pub(crate) fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".redock-")
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
