//! redock's state file, `<REDOCK_HOME>/state.json`.
//!
//! The state file remembers, per redock container, what redock needs between
//! runs: the container id, hostname, SSH alias, transport and endpoint. It is
//! versioned JSON:
//!
//! ```json
//! {"version": 1, "containers": {"alice:web": {"name": "alice:web", "container_id": "…", …}}}
//! ```
//!
//! Docker labels stay the source of truth; this file is a cache that can be
//! rebuilt from them, so a corrupt file is reported rather than repaired.
//!
//! # Example
//!
//! ```
//! use state::{ContainerRecord, StateFile};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let file = StateFile::new(dir.path().join("state.json"));
//! file.update(|state| {
//!     state.containers.insert(
//!         "alice:web".to_string(),
//!         ContainerRecord {
//!             name: "alice:web".to_string(),
//!             container_id: "4f1c…".to_string(),
//!             alias: "web-container".to_string(),
//!             ..ContainerRecord::default()
//!         },
//!     );
//! })?;
//! assert_eq!(file.load()?.containers["alice:web"].alias, "web-container");
//! # Ok::<(), state::Error>(())
//! ```
//!
//! # Guarantees
//!
//! - [`StateFile::load`] takes a shared `flock` on the sibling lock file
//!   `state.json.lock`; [`StateFile::update`] takes an exclusive one for the
//!   whole read-modify-write, so concurrent redock processes never lose each
//!   other's updates.
//! - Writes are atomic: a temporary file in the same directory is written,
//!   fsynced and renamed over the state file, and the directory is fsynced.
//!   An interrupted redock leaves either the old or the new file. Files are
//!   created with mode 0600.
//! - A missing file is an empty state. A file from an older version (the
//!   original Redock's `{"containers": {…}}` without a version) is migrated.
//!   A corrupt file or one from a newer version is an [`Error`] and is never
//!   overwritten: `update` fails before calling its closure.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

mod error;

pub use crate::error::{Error, ErrorKind};

/// The format version this crate reads and writes.
pub const CURRENT_VERSION: u32 = 1;

/// Everything in the state file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The format version; [`CURRENT_VERSION`] once loaded.
    pub version: u32,
    /// The redock containers, keyed by their `repository:tag` name.
    #[serde(default)]
    pub containers: BTreeMap<String, ContainerRecord>,
    /// The names whose last container was made from an image of their own
    /// (a commit made one), not from the base image: a hint, which the
    /// engine's answer confirms, of the image their next container is made
    /// from.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub own_images: BTreeSet<String>,
}

impl Default for State {
    fn default() -> State {
        State {
            version: CURRENT_VERSION,
            containers: BTreeMap::new(),
            own_images: BTreeSet::new(),
        }
    }
}

/// What redock remembers about one container.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerRecord {
    /// The container's name, `repository:tag`.
    pub name: String,
    /// The full container id.
    pub container_id: String,
    /// The image the container was started from.
    #[serde(default)]
    pub image: String,
    /// The id of that image when the container was started, which `kill`
    /// checks for a name after the container is gone. A record written
    /// before it was kept has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// The host name inside the container.
    #[serde(default)]
    pub hostname: String,
    /// The SSH alias, e.g. `web-container`.
    #[serde(default)]
    pub alias: String,
    /// How SSH reaches the container: `"tcp"` or `"exec"`.
    #[serde(default)]
    pub transport: String,
    /// The published SSH address for the `tcp` transport, e.g.
    /// `127.0.0.1:49153`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// When the container was created: RFC 3339, or seconds since the Unix
    /// epoch written as a string.
    #[serde(default)]
    pub created_at: String,
    /// The engine the container lives on. A record without one was written
    /// before engines were recorded: its NAME goes to whichever engine the
    /// command names, as it did then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<EngineRecord>,
}

/// An engine as the state file names it: the CLI program, and the docker
/// context or `DOCKER_HOST` value it was told (neither: the CLI's default
/// context).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineRecord {
    /// The CLI's path, e.g. `/usr/bin/docker`.
    pub program: String,
    /// A docker context's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// A `DOCKER_HOST` value, e.g. `ssh://build.example`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

/// The state file at a path, with its lock file beside it.
#[derive(Clone, Debug)]
pub struct StateFile {
    path: PathBuf,
    lock_path: PathBuf,
    tmp_path: PathBuf,
}

impl StateFile {
    /// Names the state file; nothing is read or created yet.
    pub fn new(path: impl Into<PathBuf>) -> StateFile {
        let path = path.into();
        let lock_path = sibling(&path, ".lock");
        let tmp_path = sibling(&path, ".tmp");
        StateFile {
            path,
            lock_path,
            tmp_path,
        }
    }

    /// The state file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the state under a shared lock. A missing file (or directory) is
    /// an empty state; an older version is migrated in memory.
    pub fn load(&self) -> Result<State, Error> {
        let _lock = match self.lock(FlockArg::LockShared, true)? {
            Some(lock) => lock,
            // Without a lock file to share there can be no writer either:
            // every writer creates it first. Writes are atomic renames, so
            // an unlocked read still sees a whole file.
            None => return self.read().map(|(state, _)| state),
        };
        self.read().map(|(state, _)| state)
    }

    /// Reads the state under an exclusive lock, lets `f` change it, and
    /// writes it back atomically if anything changed (or the file needed
    /// migrating). Returns what `f` returned.
    ///
    /// The parent directory is created (mode 0700) if missing. On a corrupt
    /// or too new file, `f` is not called and nothing is written.
    pub fn update<T>(&self, f: impl FnOnce(&mut State) -> T) -> Result<T, Error> {
        self.create_parent()?;
        let _lock = self.lock(FlockArg::LockExclusive, false)?;
        let (before, migrated) = self.read()?;
        let mut state = before.clone();
        let out = f(&mut state);
        state.version = CURRENT_VERSION;
        if state != before || migrated {
            self.write(&state)?;
        }
        Ok(out)
    }

    /// Reads the state without locking (a dry run's read, which must not
    /// leave a lock file behind). Writes are atomic renames, so this sees a
    /// whole file, if perhaps one a moment old.
    pub fn load_unlocked(&self) -> Result<State, Error> {
        self.read().map(|(state, _)| state)
    }

    /// What [`StateFile::update`] with `f` would write, without locking or
    /// writing anything (for a dry run): the file's bytes now (`None`: there
    /// is none) and then, or `None` when it would write nothing.
    #[allow(clippy::type_complexity)]
    pub fn preview(
        &self,
        f: impl FnOnce(&mut State),
    ) -> Result<Option<(Option<Vec<u8>>, Vec<u8>)>, Error> {
        let (before, migrated) = self.read()?;
        let mut state = before.clone();
        f(&mut state);
        state.version = CURRENT_VERSION;
        if state == before && !migrated {
            return Ok(None);
        }
        Ok(Some((fs::read(&self.path).ok(), render(&state))))
    }

    fn create_parent(&self) -> Result<(), Error> {
        match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| Error::io(dir, "create the directory of", e)),
            _ => Ok(()),
        }
    }

    /// Opens the lock file and locks it. A reader (`may_skip`) gets `None`
    /// when there is no lock file and none can be made (a missing or
    /// read-only directory); a writer gets the error.
    fn lock(&self, arg: FlockArg, may_skip: bool) -> Result<Option<Flock<File>>, Error> {
        let file = match OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&self.lock_path)
        {
            Ok(file) => file,
            Err(e) if may_skip && is_unwritable(&e) => match File::open(&self.lock_path) {
                Ok(file) => file,
                Err(e) if is_unwritable(&e) => return Ok(None),
                Err(e) => return Err(Error::io(&self.lock_path, "open lock for", e)),
            },
            Err(e) => return Err(Error::io(&self.lock_path, "open lock for", e)),
        };
        Flock::lock(file, arg)
            .map(Some)
            .map_err(|(_, errno)| Error::io(&self.lock_path, "lock", errno.into()))
    }

    /// Reads and parses the file. The flag says whether it was migrated
    /// from an older version, so that `update` writes it back.
    fn read(&self) -> Result<(State, bool), Error> {
        match fs::read(&self.path) {
            Ok(bytes) => parse(&self.path, &bytes),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok((State::default(), false)),
            Err(e) => Err(Error::io(&self.path, "read", e)),
        }
    }

    fn write(&self, state: &State) -> Result<(), Error> {
        let json = render(state);

        // A fixed temporary name is safe because only the holder of the
        // exclusive lock writes it, and it cannot pile up after a crash.
        let tmp = &self.tmp_path;
        let io_err = |action, e| Error::io(tmp, action, e);
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(tmp)
            .map_err(|e| io_err("create temporary", e))?;
        // A leftover temporary file keeps its old mode through `open`.
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(|e| io_err("set permissions of temporary", e))?;
        file.write_all(&json)
            .map_err(|e| io_err("write temporary", e))?;
        file.sync_all().map_err(|e| io_err("sync temporary", e))?;
        drop(file);
        fs::rename(tmp, &self.path).map_err(|e| Error::io(&self.path, "replace", e))?;
        // The rename is durable only once the directory entry is.
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(&self.path, "sync the directory of", e))
    }
}

/// Parses the bytes of a state file of any version this crate knows.
/// The bytes of the file that holds `state`.
fn render(state: &State) -> Vec<u8> {
    let mut json = serde_json::to_vec_pretty(state).expect("state serializes to JSON");
    json.push(b'\n');
    json
}

fn parse(path: &Path, bytes: &[u8]) -> Result<(State, bool), Error> {
    // An empty file holds nothing to lose; treat it as no file at all
    // rather than making the user move it away.
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok((State::default(), true));
    }
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| Error::corrupt(path, e.to_string()))?;
    let object = value
        .as_object()
        .ok_or_else(|| Error::corrupt(path, "the top level is not a JSON object"))?;
    let version = match object.get("version") {
        None => 0,
        Some(v) => v
            .as_u64()
            .ok_or_else(|| Error::corrupt(path, format!("\"version\" is {v}, not a number")))?,
    };
    if version > u64::from(CURRENT_VERSION) {
        return Err(Error::too_new(path, version, CURRENT_VERSION));
    }
    if version == 0 {
        return migrate_v0(path, object).map(|state| (state, true));
    }
    let mut state: State =
        serde_json::from_value(value).map_err(|e| Error::corrupt(path, e.to_string()))?;
    let migrated = state.version != CURRENT_VERSION;
    state.version = CURRENT_VERSION;
    Ok((state, migrated))
}

/// Migrates the original Redock's file, `{"containers": {NAME: …}}` with no
/// version, where a container was a bare id or an object of loosely known
/// fields. Entries without a container id are dropped: without one there is
/// nothing to find, and docker labels rebuild anything redock still runs.
fn migrate_v0(
    path: &Path,
    object: &serde_json::Map<String, serde_json::Value>,
) -> Result<State, Error> {
    let mut state = State::default();
    let containers = match object.get("containers") {
        None | Some(serde_json::Value::Null) => return Ok(state),
        Some(serde_json::Value::Object(map)) => map,
        Some(_) => return Err(Error::corrupt(path, "\"containers\" is not a JSON object")),
    };
    for (key, value) in containers {
        let record = match value {
            serde_json::Value::String(id) => ContainerRecord {
                container_id: id.clone(),
                ..ContainerRecord::default()
            },
            serde_json::Value::Object(fields) => {
                let text = |names: &[&str]| {
                    names
                        .iter()
                        .find_map(|n| fields.get(*n).and_then(json_text))
                        .unwrap_or_default()
                };
                let host = text(&["ip_address", "host"]);
                let port = text(&["ssh_port", "port_number", "port"]);
                let endpoint = text(&["endpoint"]);
                let endpoint = if !endpoint.is_empty() {
                    Some(endpoint)
                } else if !port.is_empty() {
                    let host = if host.is_empty() { "127.0.0.1" } else { &host };
                    Some(format!("{host}:{port}"))
                } else {
                    None
                };
                ContainerRecord {
                    name: text(&["name"]),
                    container_id: text(&["container_id", "id"]),
                    image: text(&["image", "image_id"]),
                    // Whatever the original recorded is not known to be an id.
                    image_id: None,
                    hostname: text(&["hostname"]),
                    alias: text(&["alias", "ssh_alias"]),
                    transport: text(&["transport"]),
                    endpoint,
                    created_at: text(&["created_at", "created"]),
                    engine: None,
                }
            }
            _ => continue,
        };
        if record.container_id.is_empty() {
            continue;
        }
        let mut record = record;
        if record.name.is_empty() {
            record.name = key.clone();
        }
        if record.transport.is_empty() {
            // The original reached its containers over a published port.
            record.transport = "tcp".to_string();
        }
        state.containers.insert(key.clone(), record);
    }
    Ok(state)
}

/// A JSON string or number as text; anything else is absent.
fn json_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `state.json` + `.lock` → `state.json.lock`, beside the state file.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

fn is_unwritable(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::PermissionDenied
            | io::ErrorKind::NotFound
            | io::ErrorKind::ReadOnlyFilesystem
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, id: &str) -> ContainerRecord {
        ContainerRecord {
            name: name.to_string(),
            container_id: id.to_string(),
            image: name.to_string(),
            image_id: None,
            hostname: "web".to_string(),
            alias: "web-container".to_string(),
            transport: "tcp".to_string(),
            endpoint: Some("127.0.0.1:49153".to_string()),
            created_at: "2024-05-01T12:00:00Z".to_string(),
            engine: None,
        }
    }

    fn file_with(contents: &[u8]) -> (tempfile::TempDir, StateFile) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(&path, contents).unwrap();
        (dir, StateFile::new(path))
    }

    /// A dry run's read and preview lock nothing and write nothing.
    #[test]
    fn preview_writes_nothing() {
        let (dir, file) = file_with(b"{\"version\": 1, \"containers\": {}}\n");
        assert_eq!(file.load_unlocked().unwrap(), State::default());
        let (old, new) = file
            .preview(|s| {
                s.containers.insert("a:b".into(), record("a:b", "1"));
            })
            .unwrap()
            .unwrap();
        assert_eq!(
            old.as_deref(),
            Some(&b"{\"version\": 1, \"containers\": {}}\n"[..])
        );
        assert!(String::from_utf8(new)
            .unwrap()
            .contains("\"container_id\": \"1\""));
        assert_eq!(file.preview(|_| {}).unwrap(), None);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["state.json"]);
    }

    #[test]
    fn missing_file_is_empty_state() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path().join("nested/state.json"));
        assert_eq!(file.load().unwrap(), State::default());
        // A reader does not create the directory.
        assert!(!dir.path().join("nested").exists());
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path().join("home/state.json"));
        let n = file
            .update(|s| {
                s.containers
                    .insert("alice:web".into(), record("alice:web", "abc"));
                s.containers.len()
            })
            .unwrap();
        assert_eq!(n, 1);
        let state = file.load().unwrap();
        assert_eq!(state.version, CURRENT_VERSION);
        assert_eq!(state.containers["alice:web"], record("alice:web", "abc"));

        let meta = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(meta(file.path()), 0o600);
        assert_eq!(meta(&dir.path().join("home/state.json.lock")), 0o600);
        assert_eq!(meta(&dir.path().join("home")), 0o700);
        assert!(!dir.path().join("home/state.json.tmp").exists());

        let text = fs::read_to_string(file.path()).unwrap();
        assert!(text.contains("\"version\": 1"), "{text}");
        assert!(text.ends_with("}\n"));

        file.update(|s| s.containers.clear()).unwrap();
        assert!(file.load().unwrap().containers.is_empty());
    }

    #[test]
    fn unchanged_state_is_not_rewritten() {
        let (_dir, file) = file_with(b"{\"version\":1,\"containers\":{}}");
        file.update(|_| ()).unwrap();
        assert_eq!(
            fs::read(file.path()).unwrap(),
            b"{\"version\":1,\"containers\":{}}"
        );
    }

    #[test]
    fn optional_and_unknown_fields() {
        let (_dir, file) = file_with(
            br#"{"version": 1, "future": true, "containers": {"a:b": {
                "name": "a:b", "container_id": "123", "colour": "blue"}}}"#,
        );
        let state = file.load().unwrap();
        let r = &state.containers["a:b"];
        assert_eq!(r.container_id, "123");
        assert_eq!(r.endpoint, None);
        assert_eq!(r.alias, "");
    }

    #[test]
    fn the_engine_is_kept_and_absent_in_older_records() {
        let (_dir, file) = file_with(
            br#"{"version": 1, "containers": {"a:b": {"name": "a:b", "container_id": "1"}}}"#,
        );
        assert_eq!(file.load().unwrap().containers["a:b"].engine, None);
        let far = EngineRecord {
            program: "/usr/bin/docker".into(),
            context: Some("far".into()),
            host: None,
        };
        file.update(|s| {
            let mut r = record("a:c", "2");
            r.engine = Some(far.clone());
            s.containers.insert("a:c".into(), r);
        })
        .unwrap();
        let state = file.load().unwrap();
        assert_eq!(state.containers["a:b"].engine, None);
        assert_eq!(state.containers["a:c"].engine, Some(far));
        let text = fs::read_to_string(file.path()).unwrap();
        assert!(
            text.contains(r#""engine": {"#) && !text.contains(r#""host""#),
            "{text}"
        );
        // Without an engine the record is written as before.
        assert_eq!(text.matches("\"engine\"").count(), 1, "{text}");
    }

    #[test]
    fn migrates_version_0() {
        let (_dir, file) = file_with(
            br#"{"containers": {
                "peter:web": "0123456789abcdef",
                "peter:db": {"container_id": "fedcba", "ssh_port": 2222, "hostname": "db"},
                "peter:old": null,
                "peter:noid": {"hostname": "x"}
            }}"#,
        );
        let state = file.load().unwrap();
        assert_eq!(state.version, CURRENT_VERSION);
        assert_eq!(
            state.containers.keys().collect::<Vec<_>>(),
            ["peter:db", "peter:web"]
        );
        let web = &state.containers["peter:web"];
        assert_eq!(web.name, "peter:web");
        assert_eq!(web.container_id, "0123456789abcdef");
        assert_eq!(web.transport, "tcp");
        let db = &state.containers["peter:db"];
        assert_eq!(db.endpoint.as_deref(), Some("127.0.0.1:2222"));
        assert_eq!(db.hostname, "db");

        // The first update writes the migrated form back.
        file.update(|_| ()).unwrap();
        let text = fs::read_to_string(file.path()).unwrap();
        assert!(text.contains("\"version\": 1"), "{text}");
        assert_eq!(file.load().unwrap(), state);
    }

    #[test]
    fn empty_file_is_empty_state() {
        let (_dir, file) = file_with(b"\n");
        assert_eq!(file.load().unwrap(), State::default());
    }

    fn assert_refused(contents: &[u8], check: impl Fn(&ErrorKind) -> bool) {
        let (_dir, file) = file_with(contents);
        let err = file.load().unwrap_err();
        assert!(check(err.kind()), "{err:?}");
        assert!(!err.to_string().contains('\n'));
        let mut called = false;
        let err = file.update(|_| called = true).unwrap_err();
        assert!(check(err.kind()), "{err:?}");
        assert!(!called, "update ran its closure on a refused file");
        assert_eq!(fs::read(file.path()).unwrap(), contents);
    }

    #[test]
    fn corrupt_files_are_reported_and_kept() {
        let corrupt = |k: &ErrorKind| matches!(k, ErrorKind::Corrupt { .. });
        assert_refused(b"{\"version\": 1, \"containers\": {", corrupt);
        assert_refused(b"not json at all", corrupt);
        assert_refused(b"[1, 2, 3]", corrupt);
        assert_refused(b"{\"version\": \"one\"}", corrupt);
        assert_refused(b"{\"version\": -1}", corrupt);
        assert_refused(b"{\"containers\": []}", corrupt);
        assert_refused(
            b"{\"version\": 1, \"containers\": {\"a\": {\"name\": 5}}}",
            corrupt,
        );
    }

    #[test]
    fn newer_files_are_reported_and_kept() {
        assert_refused(b"{\"version\": 2, \"containers\": {}}", |k| {
            matches!(
                k,
                ErrorKind::TooNew {
                    found: 2,
                    supported: CURRENT_VERSION,
                    ..
                }
            )
        });
    }

    #[test]
    fn corrupt_message_names_the_file_and_a_way_out() {
        let (_dir, file) = file_with(b"{");
        let msg = file.load().unwrap_err().to_string();
        assert!(msg.contains("state.json is corrupt: "), "{msg}");
        assert!(msg.ends_with("move it away to start afresh (docker labels will rebuild it)"));
    }

    #[test]
    fn leftover_temporary_file_is_replaced() {
        let (dir, file) = file_with(b"{\"version\":1}");
        let tmp = dir.path().join("state.json.tmp");
        fs::write(&tmp, b"garbage from a crash").unwrap();
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644)).unwrap();
        file.update(|s| {
            s.containers.insert("a:b".into(), record("a:b", "1"));
        })
        .unwrap();
        assert!(!tmp.exists());
        assert_eq!(
            fs::metadata(file.path()).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(file.load().unwrap().containers.len(), 1);
    }
}
