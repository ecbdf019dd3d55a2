//! redock's keys in a container: the public key root lets in, and the
//! container's host key, which redock pins.
//!
//! Images of the current base recipe keep neither: sshd reads both from
//! [`base_image::KEYS_DIR`], a tmpfs mounted on each container (mode 0700:
//! sshd's StrictModes refuses the default 1777), which no `commit` or
//! `export` captures. A stop empties it, so after every start one `docker
//! exec` hands the public key in (in the script it gives `sh -c`), makes a
//! host key when there is none, and reads the host public key out; the
//! init script starts sshd once that key is there. A new container made
//! from the base image needs no exec: `start` runs it attached, with the
//! public key on its input ([`input_line`]), and its init script answers
//! with the host key on its output ([`answered_host_key`]). root's own
//! `~/.ssh/authorized_keys`, which sshd reads first, is the user's and is
//! never written.
//!
//! Images made from the base of an earlier recipe (labelled
//! [`base_image::RECIPE_LABEL`] but not [`base_image::KEYS_LABEL`]) keep
//! both in the image: their init script makes a host key in `/etc/ssh`, and
//! redock adds its key to root's `authorized_keys` after every start (no
//! longer replacing the file, which held the user's keys too). They work
//! as before, and `start` says how to refresh them.

use std::ffi::OsStr;

use base_image::{AUTHORIZED_KEYS, HOST_KEY, KEYS_DIR};
use docker_exec::Docker;

use crate::error::{Error, Result};
use crate::name;

/// The host key an image of an earlier recipe holds.
pub(crate) const IMAGE_HOST_KEY: &str = "/etc/ssh/ssh_host_ed25519_key.pub";

/// Where sshd in a container reads redock's keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// On the tmpfs [`KEYS_DIR`], handed in after every start.
    Tmpfs,
    /// In the image's files: root's `authorized_keys`, which redock's key
    /// is added to, and a host key the init script makes in `/etc/ssh`.
    /// `earlier_recipe` says whether the image was made from a base of an
    /// earlier recipe (and so can be refreshed), not from some other image.
    InImage { earlier_recipe: bool },
}

impl Layout {
    /// The layout of an image, or of a container, by its labels (a
    /// container carries its image's).
    pub(crate) fn of(labels: &std::collections::BTreeMap<String, String>) -> Layout {
        if base_image::keys_on_tmpfs(labels) {
            Layout::Tmpfs
        } else {
            Layout::InImage {
                earlier_recipe: base_image::keys_in_image(labels),
            }
        }
    }

    /// Whether this is an image of an earlier recipe, which `commit`
    /// refreshes.
    pub(crate) fn is_earlier_recipe(self) -> bool {
        self == Layout::InImage {
            earlier_recipe: true,
        }
    }

    /// The `--tmpfs` mounts a new container of this layout gets.
    pub(crate) fn tmpfs(self) -> Vec<String> {
        match self {
            Layout::Tmpfs => vec![format!("{KEYS_DIR}:mode=0700")],
            Layout::InImage { .. } => Vec::new(),
        }
    }
}

/// The one line `start` says about an image of an earlier recipe: what it
/// holds and how to make one that holds neither key.
pub(crate) fn refresh_hint(image: &str) -> String {
    format!(
        "the image {image} was made by an earlier redock and holds redock's public key and a host key; \
         `redock commit {image}` saves it without them (this container keeps running as it is)"
    )
}

/// The script that refreshes a committed image of an earlier recipe, run
/// in a container of it: the recipe's part (see
/// [`base_image::refresh_script`]), then redock's key `public_key` taken
/// out of root's `authorized_keys` (every line holding its base64 body),
/// keeping the user's own keys, mode and owner; a file left empty goes.
pub(crate) fn refresh_script(public_key: &str) -> String {
    let body = public_key.split_whitespace().nth(1).unwrap_or(public_key);
    let file = word("/root/.ssh/authorized_keys");
    let kept = word("/root/.ssh/authorized_keys.redock-kept");
    format!(
        r#"{recipe}if [ -f {file} ]; then
    grep -v -F -e {body} {file} > {kept} || true
    if [ -s {kept} ]; then cat {kept} > {file}; else rm -f {file}; fi
    rm -f {kept}
fi
"#,
        recipe = base_image::refresh_script(),
        body = word(body),
    )
}

/// A word for the script, quoted by the quoting module.
fn word(text: &str) -> String {
    bootstrap::quote(OsStr::new(text))
        .to_string_lossy()
        .into_owned()
}

/// The script the hand-in runs (given to `sh -c`: an exec with no input to
/// attach ends sooner, and the script holds nothing secret), for the keys
/// directory `dir` (a
/// tmpfs, as `mounts` lists it), its host key and authorized keys. It
/// refuses a directory that is no tmpfs (the keys would be committed with
/// the container), repairs the directory's mode, replaces the authorized
/// keys with `public_key` atomically, makes a host key when there is none
/// (linked into place, as the init script links the one it makes at boot:
/// whichever comes first is the key sshd reads), and prints the host public
/// key: the one the init script linked beside its key, or derived from the
/// private key.
fn hand_in_script(
    public_key: &str,
    dir: &str,
    host_key: &str,
    authorized: &str,
    mounts: &str,
    net: &str,
) -> String {
    let public_key = word(public_key);
    let (dir, mounts) = (word(dir), word(mounts));
    let authorized_new = word(&format!("{authorized}.new"));
    let (key, public) = (word(host_key), word(&format!("{host_key}.pub")));
    let (key_new, key_new_public) = (
        word(&format!("{host_key}.new")),
        word(&format!("{host_key}.new.pub")),
    );
    let (tcp, tcp6) = (word(&format!("{net}/tcp")), word(&format!("{net}/tcp6")));
    let authorized = word(authorized);
    format!(
        r#"set -e
umask 077
mounted=
while read -r _ point type _; do
    if [ "$point" = {dir} ] && [ "$type" = tmpfs ]; then mounted=1; fi
done < {mounts}
if [ -z "$mounted" ]; then
    echo {dir} "is no tmpfs: redock's keys would be saved in the image" >&2
    exit 3
fi
chmod 0700 {dir}
printf '%s\n' {public_key} > {authorized_new}
mv -f {authorized_new} {authorized}
if [ ! -s {key} ]; then
    rm -f {key_new} {key_new_public}
    ssh-keygen -q -t ed25519 -N '' -f {key_new} < /dev/null
    ln {key_new} {key} 2>/dev/null || :
    rm -f {key_new} {key_new_public}
fi
if [ -s {public} ]; then
    read -r line < {public}
    printf '%s\n' "$line"
else
    ssh-keygen -y -f {key}
fi
listening() {{
    for table in {tcp} {tcp6}; do
        [ -r "$table" ] || continue
        while read -r _ address _ state _; do
            case "$address" in
                *:0016) if [ "$state" = 0A ]; then return 0; fi ;;
            esac
        done < "$table"
    done
    return 1
}}
n=0
while ! listening; do
    if [ "$n" -ge 400 ]; then exit 0; fi
    n=$((n + 1))
    sleep 0.005
done
echo listening
"#
    )
}

/// What the hand-in found in the container.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct HandedIn {
    /// The host public key, to pin.
    pub(crate) host_key: String,
    /// Whether sshd listened on port 22 when the hand-in ended (it waits
    /// up to about 3 seconds): the container's own sockets say so without
    /// a connection, each of which makes sshd start a process.
    pub(crate) listening: bool,
}

/// Hands `public_key` in to the running container `id` and returns its host
/// public key: one `docker exec`, for the [`Layout::Tmpfs`] layout.
pub(crate) fn hand_in(docker: &Docker, id: &str, public_key: &str) -> Result<HandedIn> {
    let public_key = one_line(public_key)?;
    let script = hand_in_script(
        public_key,
        KEYS_DIR,
        HOST_KEY,
        AUTHORIZED_KEYS,
        "/proc/mounts",
        "/proc/net",
    );
    let out = docker.exec(id, &["/bin/sh", "-c", &script], None)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    match (out.status, handed_in(&stdout)) {
        (0, Some(handed)) => Ok(handed),
        _ => Err(Error::other(format!(
            "cannot hand redock's key to the container {} (exit status {}): {}",
            name::summarize_id(id),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
    }
}

/// The line that hands `public_key` in on the input of a container whose
/// init script reads it (see `base_image::KEYS_INPUT_LABEL`).
pub(crate) fn input_line(public_key: &str) -> Result<String> {
    Ok(format!(
        "{} {}\n",
        base_image::KEYS_INPUT,
        one_line(public_key)?
    ))
}

/// The host public key in a line the init script answered with, when it is
/// that line.
pub(crate) fn answered_host_key(line: &str) -> Option<String> {
    let key = line
        .strip_prefix(base_image::HOST_KEY_LINE)?
        .strip_prefix(' ')?
        .trim();
    key.starts_with("ssh-ed25519 ").then(|| key.to_string())
}

/// The hand-in script's output: the host public key on a line, then
/// `listening` when sshd listens.
fn handed_in(stdout: &str) -> Option<HandedIn> {
    let mut lines = stdout.lines();
    let host_key = lines.next()?.trim();
    if !host_key.starts_with("ssh-ed25519 ") {
        return None;
    }
    let listening = match lines.next() {
        None => false,
        Some("listening") => true,
        Some(_) => return None,
    };
    match lines.next() {
        None => Some(HandedIn {
            host_key: host_key.to_string(),
            listening,
        }),
        Some(_) => None,
    }
}

/// The host key a dry run pins where the container has none yet.
pub(crate) const DRY_RUN_HOST_KEY: &str = "ssh-ed25519 NEW_HOST_KEY";

/// What a dry run says of getting redock's key to a container of `layout`.
pub(crate) fn hand_in_plan(layout: Layout) -> String {
    match layout {
        Layout::Tmpfs => format!(
            "hand redock's public key in to {KEYS_DIR} and read the host key the container makes there (one docker exec)"
        ),
        Layout::InImage { .. } => {
            "add redock's public key to root's authorized_keys in the container (docker exec)".to_string()
        }
    }
}

/// Whether the tmpfs of the running container `id` lets `public_key` in
/// already: read with `cat`, which a dry run may run.
pub(crate) fn holds(docker: &Docker, id: &str, public_key: &str) -> bool {
    docker
        .exec(id, &["cat", AUTHORIZED_KEYS], None)
        .is_ok_and(|out| {
            out.status == 0 && String::from_utf8_lossy(&out.stdout).trim() == public_key.trim()
        })
}

/// Reads the host public key on the tmpfs of the running container `id`
/// (the [`Layout::Tmpfs`] layout), from its private key, which a dry run
/// may do: it changes nothing.
pub(crate) fn read_tmpfs_host_key(docker: &Docker, id: &str) -> Result<String> {
    let out = docker.exec(id, &["ssh-keygen", "-y", "-f", HOST_KEY], None)?;
    match handed_in(&String::from_utf8_lossy(&out.stdout)) {
        Some(read) if out.status == 0 => Ok(read.host_key),
        _ => Err(Error::other(format!(
            "cannot read the host key {HOST_KEY} of the container {}: {}",
            name::summarize_id(id),
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
    }
}

/// Reads the host public key at `path` in the running container `id`: in
/// the image ([`IMAGE_HOST_KEY`]) for the [`Layout::InImage`] layout.
pub(crate) fn read_host_key(docker: &Docker, id: &str, path: &str) -> Result<String> {
    let out = docker.exec(id, &["cat", path], None)?;
    if out.status != 0 {
        return Err(Error::other(format!(
            "cannot read the host key {path} of the container {}: {}",
            name::summarize_id(id),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The script that lets `public_key` in as root in a container of the
/// [`Layout::InImage`] layout, as earlier versions did, but without
/// replacing root's `authorized_keys`: the key is added when it is not
/// there, the user's keys are kept, and the modes sshd's StrictModes wants
/// are set.
fn authorize_in_image_script(public_key: &str, ssh_dir: &str) -> String {
    let key = word(public_key);
    let file = word(&format!("{ssh_dir}/authorized_keys"));
    let dir = word(ssh_dir);
    format!(
        r#"set -e
umask 077
mkdir -p {dir}
if ! {{ [ -f {file} ] && grep -q -x -F -e {key} {file}; }}; then
    printf '%s\n' {key} >> {file}
fi
chmod go-w {dir} {file}
"#
    )
}

/// Lets `public_key` in to the running container `id` of the
/// [`Layout::InImage`] layout (one `docker exec -i`; see
/// [`authorize_in_image_script`]).
pub(crate) fn authorize_in_image(docker: &Docker, id: &str, public_key: &str) -> Result<()> {
    let script = authorize_in_image_script(one_line(public_key)?, "/root/.ssh");
    let out = docker.exec(id, &["/bin/sh", "-s"], Some(script.as_bytes()))?;
    if out.status != 0 {
        return Err(Error::other(format!(
            "cannot hand redock's key to the container {} (exit status {}): {}",
            name::summarize_id(id),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// The public key as one line, or an error.
fn one_line(public_key: &str) -> Result<&str> {
    let public_key = public_key.trim();
    if public_key.is_empty() || public_key.chars().any(char::is_control) {
        return Err(Error::other(
            "redock's public key is not one line of text: remove the key pair in REDOCK_HOME to have a new one made",
        ));
    }
    Ok(public_key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;
    use std::process::{Command, Stdio};

    /// A key that would end the script's word or line is refused before
    /// any engine call.
    #[test]
    fn a_key_of_more_than_one_line_is_refused() {
        for key in [
            "",
            "ssh-ed25519 AAAA x\nrm -rf /",
            "ssh-ed25519 A\rB",
            "a\u{0}b",
        ] {
            assert!(one_line(key).is_err(), "{key:?}");
        }
        assert_eq!(
            one_line(" ssh-ed25519 AAAA me \n").unwrap(),
            "ssh-ed25519 AAAA me"
        );
    }

    #[test]
    fn layouts_by_label() {
        let mut labels = BTreeMap::new();
        assert_eq!(
            Layout::of(&labels),
            Layout::InImage {
                earlier_recipe: false
            }
        );
        labels.insert(base_image::RECIPE_LABEL.into(), "0123456789abcdef".into());
        assert!(Layout::of(&labels).is_earlier_recipe());
        assert!(Layout::of(&labels).tmpfs().is_empty());
        labels.insert(base_image::KEYS_LABEL.into(), KEYS_DIR.into());
        assert_eq!(Layout::of(&labels), Layout::Tmpfs);
        assert_eq!(Layout::Tmpfs.tmpfs(), ["/run/redock:mode=0700"]);
    }

    /// Runs the hand-in script with the host's sh and ssh-keygen on a
    /// directory `dir` that `mounts` lists as a tmpfs or not.
    fn run(dir: &Path, tmpfs: bool, public_key: &str) -> std::process::Output {
        let mounts = dir.with_extension("mounts");
        let kind = if tmpfs { "tmpfs" } else { "ext4" };
        std::fs::write(
            &mounts,
            format!(
                "proc /proc proc rw 0 0\n{kind} {} {kind} rw,mode=700 0 0\n",
                dir.display()
            ),
        )
        .unwrap();
        // sshd listens on port 22, on IPv6 only.
        let net = dir.with_extension("net");
        std::fs::create_dir_all(&net).unwrap();
        std::fs::write(
            net.join("tcp6"),
            "  sl  local_address                         remote_address                        st\n   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A\n",
        )
        .unwrap();
        let d = dir.display().to_string();
        let script = hand_in_script(
            public_key,
            &d,
            &format!("{d}/ssh_host_ed25519_key"),
            &format!("{d}/authorized_keys"),
            &mounts.display().to_string(),
            &net.display().to_string(),
        );
        let mut child = Command::new("sh")
            .arg("-s")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        // A script that refuses exits without reading all its input.
        let _ = child.stdin.take().unwrap().write_all(script.as_bytes());
        child.wait_with_output().unwrap()
    }

    #[test]
    fn the_hand_in_writes_the_key_keeps_the_host_key_and_repairs_the_mode() {
        let top = tempfile::tempdir().unwrap();
        // A quote and a `$` in the path: every word is quoted. (A space
        // would need /proc/mounts' octal escapes; /run/redock has none.)
        let dir = top.path().join("run-it's-$HOME");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777)).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;

        let first = run(&dir, true, "ssh-ed25519 AAAAfirst it's $(redock)");
        assert!(
            first.status.success(),
            "{}",
            String::from_utf8_lossy(&first.stderr)
        );
        let host = String::from_utf8(first.stdout).unwrap();
        assert!(host.starts_with("ssh-ed25519 "), "{host}");
        assert!(host.ends_with("\nlistening\n"), "{host}");
        assert_eq!(mode(&dir), 0o700);
        let authorized = dir.join("authorized_keys");
        assert_eq!(
            std::fs::read_to_string(&authorized).unwrap(),
            "ssh-ed25519 AAAAfirst it's $(redock)\n"
        );
        assert_eq!(mode(&authorized), 0o600);
        assert_eq!(mode(&dir.join("ssh_host_ed25519_key")), 0o600);

        // Again (a reused or unpaused container): the key is replaced, the
        // host key kept, nothing else left in the directory.
        let second = run(&dir, true, "ssh-ed25519 AAAAsecond redock");
        assert!(second.status.success());
        assert_eq!(String::from_utf8(second.stdout).unwrap(), host);
        assert_eq!(
            std::fs::read_to_string(&authorized).unwrap(),
            "ssh-ed25519 AAAAsecond redock\n"
        );
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["authorized_keys", "ssh_host_ed25519_key"]);

        // Emptied, as a stop empties a tmpfs: a new host key.
        for name in &names {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
        let third = run(&dir, true, "ssh-ed25519 AAAAthird redock");
        assert!(third.status.success());
        assert_ne!(String::from_utf8(third.stdout).unwrap(), host);
    }

    /// The init script makes the host key at boot, without its `.pub`:
    /// the hand-in keeps that key and prints its public half.
    #[test]
    fn the_hand_in_keeps_the_host_key_the_init_script_made() {
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("run");
        std::fs::create_dir(&dir).unwrap();
        let key = dir.join("ssh_host_ed25519_key");
        let made = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "made-at-boot", "-f"])
            .arg(&key)
            .status()
            .unwrap();
        assert!(made.success());
        let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
        std::fs::remove_file(key.with_extension("pub")).unwrap();
        let before = std::fs::read(&key).unwrap();

        let out = run(&dir, true, "ssh-ed25519 AAAAkey redock");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let handed = handed_in(&String::from_utf8(out.stdout).unwrap()).unwrap();
        assert_eq!(handed.host_key, public.trim());
        assert!(handed.listening);

        // With the public half the init script links beside its key.
        std::fs::write(key.with_extension("pub"), &public).unwrap();
        let out = run(&dir, true, "ssh-ed25519 AAAAkey redock");
        assert!(out.status.success());
        let handed = handed_in(&String::from_utf8(out.stdout).unwrap()).unwrap();
        assert_eq!(handed.host_key, public.trim());
        assert_eq!(std::fs::read(&key).unwrap(), before);
        assert_eq!(std::fs::read(&key).unwrap(), before);
    }

    #[test]
    fn the_key_goes_in_and_the_host_key_comes_out_in_lines_of_their_own() {
        assert_eq!(
            input_line("ssh-ed25519 AAAAkey redock@host\n").unwrap(),
            "redock-key ssh-ed25519 AAAAkey redock@host\n"
        );
        assert!(input_line("ssh-ed25519 AAAA\nredock-key x").is_err());
        assert_eq!(
            answered_host_key("redock-host-key ssh-ed25519 AAAAhost root@web").as_deref(),
            Some("ssh-ed25519 AAAAhost root@web")
        );
        for other in [
            "redock-host-key",
            "redock-host-keyssh-ed25519 AAAA",
            "redock-host-key ssh-rsa AAAA",
            "2026-11-29 INFO redock-host-key ssh-ed25519 AAAA",
            "redock-listening",
        ] {
            assert_eq!(answered_host_key(other), None, "{other}");
        }
    }

    #[test]
    fn the_hand_in_output_is_a_host_key_then_maybe_listening() {
        let key = "ssh-ed25519 AAAAC3Nz root@web";
        let read = |out: &str| handed_in(out).map(|h| (h.host_key, h.listening));
        assert_eq!(read(&format!("{key}\n")), Some((key.into(), false)));
        assert_eq!(
            read(&format!("{key}\nlistening\n")),
            Some((key.into(), true))
        );
        assert_eq!(read(""), None);
        assert_eq!(read("ssh-rsa AAAA\n"), None);
        assert_eq!(read(&format!("{key}\nsomething else\n")), None);
        assert_eq!(read(&format!("{key}\nlistening\nmore\n")), None);
    }

    #[test]
    fn the_refresh_takes_only_redocks_key_out() {
        let script = refresh_script("ssh-ed25519 AAAAredock me@host\n");
        // Only the authorized_keys part, on a copy under a temporary root.
        let part = &script[script.find("if [ -f ").unwrap()..];
        let top = tempfile::tempdir().unwrap();
        let root = top.path().display().to_string();
        let part = part.replace("/root/", &format!("{root}/"));
        let file = top.path().join(".ssh/authorized_keys");
        std::fs::create_dir(top.path().join(".ssh")).unwrap();
        let sh = |text: &str| {
            std::fs::write(&file, text).unwrap();
            let status = Command::new("sh").args(["-c", &part]).status().unwrap();
            assert!(status.success());
            std::fs::read_to_string(&file).ok()
        };
        assert_eq!(
            sh("ssh-ed25519 AAAAuser mine\nssh-ed25519 AAAAredock me@host\n").as_deref(),
            Some("ssh-ed25519 AAAAuser mine\n")
        );
        assert_eq!(sh("ssh-ed25519 AAAAredock other comment\n"), None);
        assert!(script.contains(&base_image::refresh_script()));
    }

    #[test]
    fn an_earlier_image_gets_the_key_added_beside_the_users() {
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("dot ssh");
        let key = "ssh-ed25519 AAAAredock it's me";
        let script = authorize_in_image_script(key, &dir.display().to_string());
        let run = || {
            let status = Command::new("sh").args(["-c", &script]).status().unwrap();
            assert!(status.success());
            std::fs::read_to_string(dir.join("authorized_keys")).unwrap()
        };
        // None yet: the key alone, in a directory sshd accepts.
        assert_eq!(run(), format!("{key}\n"));
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("authorized_keys")), 0o600);
        // The user's keys stay; the key is not added twice.
        let file = dir.join("authorized_keys");
        std::fs::write(&file, "ssh-ed25519 AAAAuser mine\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert_eq!(run(), format!("ssh-ed25519 AAAAuser mine\n{key}\n"));
        assert_eq!(run(), format!("ssh-ed25519 AAAAuser mine\n{key}\n"));
        assert_eq!(mode(&file), 0o644);
    }

    #[test]
    fn the_hand_in_refuses_a_directory_that_is_no_tmpfs() {
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("redock");
        std::fs::create_dir(&dir).unwrap();
        let out = run(&dir, false, "ssh-ed25519 AAAAkey redock");
        assert_eq!(out.status.code(), Some(3));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("is no tmpfs"), "{stderr}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    }
}
