//! Connection sharing: every Host block redock writes lets ssh keep one
//! master connection per container (`ControlMaster auto`) and reuse it for
//! the ssh runs that follow, which then cost a few milliseconds instead of
//! a key exchange each (ssh, `redock run`, rsync, Ansible).
//!
//! The master's socket gives a root shell in the container to whoever can
//! reach it, so it lives in a directory only this user can enter:
//! `<REDOCK_HOME>/mux` (0700), named by ssh's `%C` (a hash of the local
//! host, the endpoint and the user, so that a container resumed on another
//! port never finds its old master). Where that path is too long for a
//! unix socket, a short private directory under `/tmp` serves instead, or,
//! when that cannot be made safely, the block goes without sharing and
//! says so once. `REDOCK_MUX=off` turns sharing off.
//!
//! `kill` (and everything else that removes a container, and every start
//! before the container is used) closes the master first, so no ssh process
//! and no socket is left behind: it asks the master to end over its socket,
//! in the control protocol `ssh -O exit` speaks (OpenSSH's PROTOCOL.mux),
//! which spares a kill the start of an ssh process; `ssh -O exit` itself
//! is the fallback for a master that answers otherwise.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use proc::Cmd;

use crate::error::{Error, Result};
use crate::home::Home;

/// How long an idle master stays: long enough for an edit-and-run loop
/// (a `redock run`, some thought, the next `redock run`) to keep reusing
/// it, short enough that a forgotten one goes by itself. Ansible keeps 60
/// seconds; its runs follow each other without a person in between.
pub const PERSIST: &str = "10m";

/// The longest path a unix socket may have, without its NUL: `sun_path`
/// holds 104 bytes on the BSDs and macOS (108 on Linux).
const SOCKET_MAX: usize = 103;

/// What ssh adds to the directory: `/`, the 40 hex digits of `%C`, and
/// while it sets the socket up, a `.` and 16 random characters.
const SOCKET_TAIL: usize = 1 + 40 + 1 + 16;

/// How long `ssh -O exit` may take: it only talks to a local socket.
const EXIT_DEADLINE: Duration = Duration::from_secs(5);

/// Whether and where the Host blocks share connections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sharing {
    /// The masters' sockets go into this private directory.
    Dir(PathBuf),
    /// No sharing, and why.
    Off(Off),
}

/// Why a Host block goes without sharing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Off {
    /// `REDOCK_MUX=off`.
    Asked,
    /// Every directory for the sockets is too long, or the short one
    /// cannot be made private; the reason.
    Unusable(String),
}

/// `REDOCK_MUX`: `on` (or unset, the default) or `off`; anything else is
/// refused before anything is done.
pub fn wanted() -> Result<bool> {
    match std::env::var("REDOCK_MUX").as_deref() {
        Err(std::env::VarError::NotPresent) | Ok("" | "on") => Ok(true),
        Ok("off") => Ok(false),
        _ => Err(Error::other(format!(
            "REDOCK_MUX is {:?}; it is `on` or `off`",
            std::env::var_os("REDOCK_MUX").unwrap_or_default()
        ))
        .with_hint("unset REDOCK_MUX to share connections, or set REDOCK_MUX=off")),
    }
}

/// Where `home`'s sockets go, as planned without touching any file:
/// `<home>/mux`, else the short fallback under `/tmp`, when the socket
/// paths fit; `None` when neither does.
pub fn planned_dir(home: &Home) -> Option<PathBuf> {
    [home.dir().join("mux"), fallback_dir(home)]
        .into_iter()
        .find(|dir| fits(dir))
}

/// Whether every socket ssh makes in `dir` fits a unix socket's path.
pub fn fits(dir: &Path) -> bool {
    dir.as_os_str().len() + SOCKET_TAIL <= SOCKET_MAX
}

/// The short private directory for homes whose own is too long:
/// `/tmp/redock-<uid>/<tag of the home>` (the tag keeps two homes' masters
/// apart where `%C` would not, with the exec transport).
fn fallback_dir(home: &Home) -> PathBuf {
    let uid = nix::unistd::getuid();
    PathBuf::from(format!("/tmp/redock-{uid}")).join(home.discriminator())
}

/// The sharing for `home`'s Host blocks as `REDOCK_MUX` asks, with its
/// directory made (0700, this user's) when it is on. A directory that
/// cannot be made private leaves sharing off.
pub fn prepare(home: &Home) -> Result<Sharing> {
    if home.is_dry_run() {
        // What it would be, with nothing made.
        return planned(home);
    }
    if !wanted()? {
        return Ok(Sharing::Off(Off::Asked));
    }
    let Some(dir) = planned_dir(home) else {
        return Ok(Sharing::Off(Off::Unusable(format!(
            "the path of REDOCK_HOME {} is too long for ssh's sockets there or in /tmp",
            home.dir().display()
        ))));
    };
    let made = match dir.strip_prefix(home.dir()) {
        Ok(_) => private_dir(&dir),
        Err(_) => dir
            .parent()
            .map_or(Ok(()), private_dir)
            .and_then(|()| private_dir(&dir)),
    };
    Ok(match made {
        Ok(()) => Sharing::Dir(dir),
        Err(why) => Sharing::Off(Off::Unusable(format!(
            "{} cannot be a private directory for ssh's sockets: {why}",
            dir.display()
        ))),
    })
}

/// The sharing `check_values` writes into the blocks it tries: what
/// `REDOCK_MUX` asks for, without making anything.
pub fn planned(home: &Home) -> Result<Sharing> {
    if !wanted()? {
        return Ok(Sharing::Off(Off::Asked));
    }
    Ok(match planned_dir(home) {
        Some(dir) => Sharing::Dir(dir),
        None => Sharing::Off(Off::Unusable(String::new())),
    })
}

/// Makes `dir` (mode 0700) or checks the one there: a directory, not a
/// symbolic link, owned by this user and entered by nobody else (a mode
/// too open on a directory of this user's is tightened).
fn private_dir(dir: &Path) -> std::result::Result<(), String> {
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(crate::home::reason(&e)),
    }
    let meta = fs::symlink_metadata(dir).map_err(|e| crate::home::reason(&e))?;
    if !meta.is_dir() {
        return Err(format!("it is {}", crate::home::kind_of(&meta)));
    }
    if meta.uid() != nix::unistd::getuid().as_raw() {
        return Err(format!("it belongs to the user id {}", meta.uid()));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| crate::home::reason(&e))?;
    }
    Ok(())
}

/// The Control* options of a Host block, each value rendered as ssh reads
/// it back; none when sharing is off. The directory is rendered on its own
/// (a `%` in it becomes `%%`) and the `%C` token added after it, inside the
/// quotes when render quoted it.
pub fn options(sharing: &Sharing) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let Sharing::Dir(dir) = sharing else {
        return Ok(Vec::new());
    };
    let render = |keyword: &str, value: &[u8]| {
        sshconfig::render(keyword, value).map_err(|e| {
            Error::other(format!(
                "REDOCK_HOME cannot go into an ssh configuration: {e}"
            ))
            .with_hint("point REDOCK_HOME at a directory whose path ssh can be given")
        })
    };
    let mut with_slash = dir.as_os_str().as_encoded_bytes().to_vec();
    with_slash.push(b'/');
    let mut path = render("ControlPath", &with_slash)?;
    let token = b"%C";
    match path.last() {
        Some(b'"') => {
            let at = path.len() - 1;
            path.splice(at..at, token.iter().copied());
        }
        _ => path.extend_from_slice(token),
    }
    Ok(vec![
        ("ControlMaster", render("ControlMaster", b"auto")?),
        ("ControlPath", path),
        (
            "ControlPersist",
            render("ControlPersist", PERSIST.as_bytes())?,
        ),
    ])
}

/// Says once per run why the Host blocks go without sharing, when that
/// was not asked for.
pub fn tell(sharing: &Sharing, ui: &crate::ui::Ui) {
    static TOLD: AtomicBool = AtomicBool::new(false);
    if let Sharing::Off(Off::Unusable(why)) = sharing {
        if !TOLD.swap(true, Ordering::Relaxed) {
            ui.warn(format!(
                "ssh connections are not shared (each costs a key exchange): {why}"
            ));
        }
    }
}

/// The master's socket of `alias` as ssh resolves redock's ssh_config,
/// if the Host block names one.
pub fn socket(home: &Home, alias: &str) -> Option<PathBuf> {
    let config = home.ssh_config();
    let resolved = sshconfig::Resolver::new()
        .config_file(&config)
        .resolve(alias)
        .ok()?;
    resolved.get("controlpath").map(PathBuf::from)
}

/// Closes the master of `alias`, if one is listening: asked over its
/// socket (or with `ssh -O exit` through redock's ssh_config, while the
/// Host block is still there, when it does not answer as a master does),
/// then the socket of a master that is gone is removed. Best effort: a
/// master that stays ends with its connection, or after `PERSIST` idle. A
/// dry run says so instead.
pub fn close(home: &Home, alias: &str) {
    let Some(socket) = socket(home, alias) else {
        return;
    };
    if fs::symlink_metadata(&socket).is_err() {
        return;
    }
    if home.is_dry_run() {
        crate::dry::note(format!(
            "close the shared connection of {alias} (ssh -O exit) and remove {}",
            socket.display()
        ));
        return;
    }
    match terminate(&socket) {
        Ok(()) => {}
        // Nothing listens: a master that died left its socket.
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound
            ) => {}
        Err(_) => {
            let _ = exit_command(&home.ssh_config(), alias)
                .deadline(EXIT_DEADLINE)
                .run();
        }
    }
    let _ = fs::remove_file(&socket);
}

/// The control protocol's messages (OpenSSH's PROTOCOL.mux): each is a
/// big-endian `uint32` length, then a `uint32` type and its fields.
mod protocol {
    pub const HELLO: u32 = 0x0000_0001;
    pub const TERMINATE: u32 = 0x1000_0005;
    pub const OK: u32 = 0x8000_0001;
    /// The protocol's version since OpenSSH 5.2 (2009).
    pub const VERSION: u32 = 4;
    /// The longest reply read: a hello with a few extensions.
    pub const MAX_MESSAGE: usize = 64 * 1024;
}

/// Asks the master listening on `socket` to end (what `ssh -O exit`
/// does): hello messages both ways, then a terminate request, answered
/// with OK. The master checks that the asker is its own user.
fn terminate(socket: &Path) -> io::Result<()> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(EXIT_DEADLINE))?;
    stream.set_write_timeout(Some(EXIT_DEADLINE))?;
    send(&mut stream, &[protocol::HELLO, protocol::VERSION])?;
    let hello = receive(&mut stream)?;
    if word(&hello, 0) != Some(protocol::HELLO) || word(&hello, 1) != Some(protocol::VERSION) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "no hello of the control protocol's version 4",
        ));
    }
    const REQUEST: u32 = 1;
    send(&mut stream, &[protocol::TERMINATE, REQUEST])?;
    let reply = match receive(&mut stream) {
        Ok(reply) => reply,
        // A master may end before its answer is out, as `ssh -O exit`
        // knows: the socket closing is the answer.
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
        Err(e) => return Err(e),
    };
    match (word(&reply, 0), word(&reply, 1)) {
        (Some(protocol::OK), Some(REQUEST)) => Ok(()),
        _ => Err(io::Error::other("the master refused to end")),
    }
}

/// Writes one message made of `words`.
fn send(stream: &mut UnixStream, words: &[u32]) -> io::Result<()> {
    let length = u32::try_from(words.len() * 4).expect("a short message");
    let mut message = length.to_be_bytes().to_vec();
    for word in words {
        message.extend_from_slice(&word.to_be_bytes());
    }
    stream.write_all(&message)
}

/// Reads one message: its bytes after the length.
fn receive(stream: &mut UnixStream) -> io::Result<Vec<u8>> {
    let mut length = [0; 4];
    stream.read_exact(&mut length)?;
    let length = u32::from_be_bytes(length) as usize;
    if length > protocol::MAX_MESSAGE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "a control message too long",
        ));
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body)?;
    Ok(body)
}

/// The `index`th big-endian `uint32` of `message`.
fn word(message: &[u8], index: usize) -> Option<u32> {
    let bytes = message.get(index * 4..index * 4 + 4)?;
    Some(u32::from_be_bytes(bytes.try_into().ok()?))
}

/// Removes `home`'s directory under `/tmp` once no Host block of the home
/// is left to use it (after the last `kill`): an empty directory per home
/// would otherwise stay there. `<home>/mux` stays with the home. A start
/// racing this one may find its directory gone: its ssh then goes without
/// sharing (ssh says so) until its next `start`, and works all the same.
pub fn tidy(home: &Home) {
    if home.is_dry_run() {
        return;
    }
    let Some(dir) = planned_dir(home) else {
        return;
    };
    if dir.starts_with(home.dir()) {
        return;
    }
    let blocks = fs::read(home.ssh_config())
        .map(|bytes| sshconfig::Config::parse(&bytes).host_blocks().len())
        .unwrap_or(0);
    if blocks == 0 {
        // Only an empty one goes: a socket there is a master still alive.
        let _ = fs::remove_dir(&dir);
    }
}

/// `ssh -F CONFIG -O exit ALIAS`.
fn exit_command(config: &Path, alias: &str) -> Cmd {
    Cmd::new("ssh")
        .arg("-F")
        .arg(config)
        .args(["-O", "exit", "--", alias])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(options: &[(&str, Vec<u8>)]) -> Vec<String> {
        options
            .iter()
            .map(|(k, v)| format!("{k} {}", String::from_utf8_lossy(v)))
            .collect()
    }

    #[test]
    fn control_options() {
        let sharing = Sharing::Dir("/h/.redock/mux".into());
        assert_eq!(
            text(&options(&sharing).unwrap()),
            [
                "ControlMaster auto",
                "ControlPath /h/.redock/mux/%C",
                "ControlPersist 10m"
            ]
        );
        let sharing = Sharing::Dir("/h/100% a/mux".into());
        assert_eq!(
            text(&options(&sharing).unwrap())[1],
            "ControlPath \"/h/100%% a/mux/%C\""
        );
        assert!(options(&Sharing::Off(Off::Asked)).unwrap().is_empty());
    }

    /// A master on a socket in `dir` that answers hello with `hello` and
    /// the terminate request with `reply` (nothing: it closes); returns
    /// the socket and what it was sent.
    fn master(
        dir: &Path,
        hello: &'static [u32],
        reply: Option<&'static [u32]>,
    ) -> (PathBuf, std::thread::JoinHandle<Vec<Vec<u8>>>) {
        let socket = dir.join("master");
        let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let served = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            send(&mut stream, hello).unwrap();
            let mut got = vec![receive(&mut stream).unwrap()];
            if let Ok(request) = receive(&mut stream) {
                got.push(request);
                if let Some(reply) = reply {
                    send(&mut stream, reply).unwrap();
                }
            }
            got
        });
        (socket, served)
    }

    fn words(words: &[u32]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    #[test]
    fn a_master_is_asked_to_end_as_ssh_asks_it() {
        use protocol::*;
        let dir = tempfile::tempdir().unwrap();
        let (socket, served) = master(dir.path(), &[HELLO, VERSION], Some(&[OK, 1]));
        terminate(&socket).unwrap();
        assert_eq!(
            served.join().unwrap(),
            [words(&[HELLO, VERSION]), words(&[TERMINATE, 1])]
        );
        // One that ends before it answers has ended all the same.
        let dir = tempfile::tempdir().unwrap();
        let (socket, _) = master(dir.path(), &[HELLO, VERSION], None);
        terminate(&socket).unwrap();
    }

    #[test]
    fn a_master_that_refuses_or_speaks_otherwise_is_an_error() {
        use protocol::*;
        const PERMISSION_DENIED: u32 = 0x8000_0002;
        let dir = tempfile::tempdir().unwrap();
        let (socket, _) = master(dir.path(), &[HELLO, VERSION], Some(&[PERMISSION_DENIED, 1]));
        assert!(terminate(&socket).is_err());
        let dir = tempfile::tempdir().unwrap();
        let (socket, _) = master(dir.path(), &[HELLO, 3], Some(&[OK, 1]));
        assert!(terminate(&socket).is_err());
        // Nothing listening is told apart: there is no master to end.
        let error = terminate(&dir.path().join("none")).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn socket_paths_fit() {
        let short = Home::at("/home/me/.redock");
        assert_eq!(planned_dir(&short), Some("/home/me/.redock/mux".into()));
        let long = Home::at(format!("/home/me/{}", "d".repeat(60)));
        let dir = planned_dir(&long).unwrap();
        assert!(dir.to_str().unwrap().starts_with("/tmp/redock-"), "{dir:?}");
        assert!(fits(&dir));
        assert!(!fits(&long.dir().join("mux")));
        // The longest directory ssh's temporary socket name fits after.
        let edge = PathBuf::from(format!("/{}", "x".repeat(SOCKET_MAX - SOCKET_TAIL - 1)));
        assert!(fits(&edge));
        assert!(!fits(&edge.join("y")));
    }
}
