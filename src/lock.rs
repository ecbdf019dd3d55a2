//! Locks that serialize the commands changing one NAME, and the base image
//! build, across processes; and the sweep of the temporary files that a
//! killed run leaves in REDOCK_HOME.
//!
//! A command that changes a NAME (`start`, `kill`, `commit`, `delete`) holds
//! the NAME's lock from its first look at the engine to the last file it
//! writes, so that two of them never act on what the other is half-way
//! through: a second `start` waits for the first and then reuses its
//! container. Commands that only use a container (`run`, `ssh`, `status`…)
//! take no lock. The locks are `flock`s on empty files in
//! `REDOCK_HOME/locks/`, released by the kernel when their holder exits,
//! however it exits.

use std::fs::{self, File};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use docker_exec::StableHash;
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use crate::error::{stop_if_interrupted, Error, Result};
use crate::home::Home;
use crate::ui::Ui;

/// How long a command waits for another one on the same NAME, unless
/// `REDOCK_LOCK_TIMEOUT` (seconds) says otherwise: long enough for the
/// holder to build the base image with debootstrap.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(600);

/// The variable that overrides [`DEFAULT_WAIT`].
pub const WAIT_VARIABLE: &str = "REDOCK_LOCK_TIMEOUT";

/// After this long a waiter says what it waits for.
const QUIET_WAIT: Duration = Duration::from_secs(1);

const POLL: Duration = Duration::from_millis(25);

/// A held lock; dropping it releases it.
#[derive(Debug)]
pub struct Lock {
    /// `None` for a dry run's, which takes none: it changes nothing, and
    /// would leave REDOCK_HOME and a lock file behind.
    _file: Option<Flock<File>>,
}

/// Takes the lock of NAME `name`, waiting for another redock holding it.
pub fn name(home: &Home, name: &str, ui: &Ui) -> Result<Lock> {
    if home.is_dry_run() {
        return Ok(Lock { _file: None });
    }
    make_home(home)?;
    let path = lock_path(home, "name", name);
    acquire(
        &path,
        &format!("another redock on {name}"),
        wait_limit()?,
        ui,
    )
}

/// Takes the lock of building the base image `target`, so that parallel
/// first starts build it once: the later ones find it built.
pub fn base_image(home: &Home, target: &str, ui: &Ui) -> Result<Lock> {
    if home.is_dry_run() {
        return Ok(Lock { _file: None });
    }
    make_home(home)?;
    let path = lock_path(home, "base", target);
    acquire(
        &path,
        &format!("another redock building {target}"),
        wait_limit()?,
        ui,
    )
}

/// `REDOCK_HOME/locks/<kind>-<readable part>-<hash>.lock`: the hash keeps
/// two NAMEs that read alike apart (`a/b:c` and `a-b:c`).
fn lock_path(home: &Home, kind: &str, key: &str) -> PathBuf {
    let readable: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(80)
        .collect();
    home.dir().join("locks").join(format!(
        "{kind}-{readable}-{:08x}.lock",
        StableHash::new().write(key.as_bytes()).finish_u32()
    ))
}

/// The wait from `REDOCK_LOCK_TIMEOUT`, else the default.
fn wait_limit() -> Result<Duration> {
    match std::env::var(WAIT_VARIABLE) {
        Err(_) => Ok(DEFAULT_WAIT),
        Ok(value) if value.is_empty() => Ok(DEFAULT_WAIT),
        Ok(value) => match value.trim().parse::<f64>() {
            Ok(secs) if secs.is_finite() && secs >= 0.0 => Ok(Duration::from_secs_f64(secs)),
            _ => Err(Error::other(format!(
                "{WAIT_VARIABLE}={value} is not a number of seconds"
            ))),
        },
    }
}

/// Locks `path`, polling so that the wait can be told about, bounded by
/// `limit` and ended by a signal.
fn acquire(path: &Path, holder: &str, limit: Duration, ui: &Ui) -> Result<Lock> {
    let dir = path.parent().unwrap_or(Path::new("."));
    home_dir_ensure(dir)?;
    let mut file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    let started = Instant::now();
    let mut told = false;
    loop {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => return Ok(Lock { _file: Some(lock) }),
            Err((back, Errno::EWOULDBLOCK)) => file = back,
            Err((_, errno)) => return Err(Error::io(path, errno.into())),
        }
        stop_if_interrupted()?;
        let waited = started.elapsed();
        if waited >= limit {
            return Err(Error::other(format!(
                "gave up after {} s waiting for {holder}",
                waited.as_secs()
            ))
            .with_hint(format!(
                "it still runs; {WAIT_VARIABLE} sets how many seconds to wait"
            )));
        }
        if !told && waited >= QUIET_WAIT {
            ui.info(format!("waiting for {holder}"));
            told = true;
        }
        std::thread::sleep(POLL.min(limit - waited));
    }
}

/// REDOCK_HOME when it is missing; an existing one is left as it is, so
/// that a command refused later changed nothing but its lock.
fn make_home(home: &Home) -> Result<()> {
    if home.dir().exists() {
        Ok(())
    } else {
        home.ensure()
    }
}

/// The locks directory, 0700 like REDOCK_HOME.
fn home_dir_ensure(dir: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::io(dir, e))
}

/// The prefixes of the temporary files and directories redock makes in
/// REDOCK_HOME, each followed by the process id of its maker (`.pubkey-`:
/// those of earlier versions, which staged the key for `docker cp`).
pub(crate) const TEMP_PREFIXES: [&str; 4] = [".keygen-", ".pubkey-", ".redock-", ".ssh_config."];

/// Removes the temporary files and directories in REDOCK_HOME whose maker
/// is gone (killed before it could remove them), under the home lock.
/// Those of live processes are theirs to remove.
/// A dry run leaves them.
pub fn sweep(home: &Home) -> Result<()> {
    if home.is_dry_run() || !home.dir().is_dir() {
        return Ok(());
    }
    home.locked(|| {
        let entries = match fs::read_dir(home.dir()) {
            Ok(entries) => entries,
            Err(_) => return Ok(()),
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = maker(&name.to_string_lossy()) else {
                continue;
            };
            if is_alive(pid) {
                continue;
            }
            let path = entry.path();
            let _ = match entry.file_type() {
                Ok(kind) if kind.is_dir() => fs::remove_dir_all(&path),
                _ => fs::remove_file(&path),
            };
        }
        Ok(())
    })
}

/// The process id in a temporary file's name, when it is one of redock's.
fn maker(name: &str) -> Option<i32> {
    let rest = TEMP_PREFIXES.iter().find_map(|p| name.strip_prefix(p))?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = rest[digits.len()..].chars().next();
    if digits.is_empty() || !matches!(after, Some('-' | '.')) {
        return None;
    }
    digits.parse().ok()
}

fn is_alive(pid: i32) -> bool {
    // EPERM: it exists, as another user's.
    !matches!(
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
        Err(Errno::ESRCH)
    )
}

/// The prefix of a temporary file or directory this process makes in
/// REDOCK_HOME: `kind` then its process id, for [`sweep`].
pub(crate) fn temp_prefix(kind: &str) -> String {
    debug_assert!(TEMP_PREFIXES.contains(&kind));
    format!("{kind}{}-", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_files_are_apart_and_readable() {
        let home = Home::at("/h");
        let a = lock_path(&home, "name", "a/b:c");
        let b = lock_path(&home, "name", "a-b:c");
        assert_ne!(a, b);
        assert!(a.to_string_lossy().starts_with("/h/locks/name-a-b-c-"));
        assert!(a.to_string_lossy().ends_with(".lock"));
    }

    #[test]
    fn a_second_holder_waits_and_gives_up() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path());
        let ui = Ui::new(0, true);
        let held = name(&home, "alice:web", &ui).unwrap();
        // Another open file description of the same file stands for another
        // process: flock locks belong to those.
        let path = lock_path(&home, "name", "alice:web");
        let limit = Duration::from_millis(100);
        let error = acquire(&path, "another redock on alice:web", limit, &ui).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("waiting for another redock on alice:web"),
            "{error}"
        );
        // Another NAME is not held up.
        name(&home, "alice:db", &ui).unwrap();
        drop(held);
        name(&home, "alice:web", &ui).unwrap();
    }

    #[test]
    fn makers_of_temporary_files() {
        assert_eq!(maker(".keygen-123-Ab1x"), Some(123));
        assert_eq!(maker(".pubkey-9-x"), Some(9));
        assert_eq!(maker(".redock-77-tmp"), Some(77));
        assert_eq!(maker(".ssh_config.4242.0.tmp"), Some(4242));
        assert_eq!(maker(".keygen-Ab1x"), None);
        assert_eq!(maker("known_hosts"), None);
        assert_eq!(maker(".ssh_config.tmp"), None);
    }

    #[test]
    fn sweep_removes_only_what_dead_processes_left() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path());
        // A process that has exited: its id is free (reuse within the test
        // is unlikely, and would only keep the file).
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let own = std::process::id();
        let stale_dir = dir.path().join(format!(".keygen-{dead}-abc"));
        let stale_file = dir.path().join(format!(".ssh_config.{dead}.0.tmp"));
        let live = dir.path().join(format!(".pubkey-{own}-abc"));
        let other = dir.path().join("known_hosts");
        fs::create_dir(&stale_dir).unwrap();
        fs::write(stale_dir.join("id_ed25519"), "key").unwrap();
        fs::write(&stale_file, "half").unwrap();
        fs::create_dir(&live).unwrap();
        fs::write(&other, "keep").unwrap();
        sweep(&home).unwrap();
        assert!(!stale_dir.exists() && !stale_file.exists());
        assert!(live.exists() && other.exists());
    }
}
