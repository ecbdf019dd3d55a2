//! No redock secret in an image: redock's public key and the host keys live
//! on a tmpfs in each container, so commits (plain and squashed) hold
//! neither, a user's own authorized key survives commit, kill and start, a
//! resumed container gets its keys again, and images made by an earlier
//! redock, which hold both, still start.
//!
//! The tests start from a base image of this recipe built under a tag of
//! their own: `redock:base` is shared by every test run on the engine and
//! may be of another recipe at any moment.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::lifecycle::{host_block_port, ssh_ok, state_of};
use crate::{Sandbox, FIXTURE_IMAGE};

/// How many tests of this process hold each engine's shared base image.
static HOLDERS: Mutex<Vec<(&'static str, usize)>> = Mutex::new(Vec::new());

/// A base image of the current recipe, `redock-test-secrets-base:<pid>`,
/// built when the first test of this process needs it; the last test
/// holding it removes it (a later one builds it again).
struct Base<'a> {
    sandbox: &'a Sandbox,
    tag: String,
}

impl<'a> Base<'a> {
    fn hold(sandbox: &'a Sandbox) -> Base<'a> {
        let engine = sandbox.engine_program();
        let tag = format!("redock-test-secrets-base:{}", std::process::id());
        let mut holders = HOLDERS.lock().unwrap_or_else(|e| e.into_inner());
        let index = match holders.iter().position(|(e, _)| *e == engine) {
            Some(index) => index,
            None => {
                holders.push((engine, 0));
                holders.len() - 1
            }
        };
        if holders[index].1 == 0 {
            sandbox
                .redock(["base", "--from", FIXTURE_IMAGE, "--tag", &tag])
                .success();
        }
        holders[index].1 += 1;
        Base { sandbox, tag }
    }

    /// Makes the base image NAME's image too (NAME then starts from it,
    /// and the sandbox removes it).
    fn as_image(&self, name: &str) {
        self.sandbox.owns_image(name);
        self.sandbox.engine_ok(&["tag", &self.tag, name]);
    }
}

impl Drop for Base<'_> {
    fn drop(&mut self) {
        let engine = self.sandbox.engine_program();
        let mut holders = HOLDERS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = holders.iter_mut().find(|(e, _)| *e == engine) {
            entry.1 -= 1;
            if entry.1 == 0 {
                let _ = self.sandbox.engine().args(["rmi", &self.tag]).output();
            }
        }
    }
}

/// The id of the sandbox's one container.
fn container_id(sandbox: &Sandbox) -> String {
    let ids = sandbox.container_ids();
    assert_eq!(ids.len(), 1, "{ids:?}");
    ids[0].clone()
}

/// The base64 field of an OpenSSH public key line.
fn key_body(line: &str) -> String {
    line.split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

/// redock's public key, as the container is given it.
fn redock_key(sandbox: &Sandbox) -> String {
    let text = std::fs::read_to_string(sandbox.redock_home().join("id_ed25519.pub")).unwrap();
    text.trim().to_string()
}

/// The host key pinned for `alias` in redock's known_hosts.
fn pinned_key(sandbox: &Sandbox, alias: &str) -> String {
    let known = std::fs::read_to_string(sandbox.redock_home().join("known_hosts")).unwrap();
    let line = known
        .lines()
        .find(|l| {
            let hosts = l.split_whitespace().next().unwrap_or_default();
            hosts.split(',').any(|h| h == alias)
        })
        .unwrap_or_else(|| panic!("no key pinned for {alias}:\n{known}"));
    key_body(line.split_once(' ').unwrap().1)
}

/// `sh -c SCRIPT` in the container `id`; its stdout, asserting success.
fn exec(sandbox: &Sandbox, id: &str, script: &str) -> String {
    sandbox.engine_ok(&["exec", id, "sh", "-c", script])
}

/// What of the key material `needles` the image holds: its layers as
/// `save` writes them (the engine's own view, every layer of its history
/// included) are searched for each.
fn secrets_in(sandbox: &Sandbox, image: &str, needles: &[(&str, String)]) -> Vec<String> {
    let saved = sandbox.home().join("saved-image.tar");
    sandbox.engine_ok(&["save", "-o", saved.to_str().unwrap(), image]);
    let size = std::fs::metadata(&saved).unwrap().len();
    assert!(size > 1 << 20, "{image} saved in {size} bytes");
    let mut found = Vec::new();
    for (what, needle) in needles {
        assert!(needle.len() >= 20, "{what}: {needle:?}");
        let status = Command::new("grep")
            .args(["-a", "-q", "-F", "-e", needle])
            .arg(&saved)
            .status()
            .unwrap();
        if status.success() {
            found.push(what.to_string());
        }
    }
    std::fs::remove_file(&saved).unwrap();
    found
}

/// The files of `image` where keys could be: root's authorized keys, the
/// host keys in /etc/ssh and the tmpfs' mount point, as a new container of
/// it (its command bypassed) sees them.
fn key_files(sandbox: &Sandbox, image: &str) -> String {
    sandbox.engine_ok(&[
        "run",
        "--rm",
        "--entrypoint",
        "/bin/sh",
        image,
        "-c",
        "cat /root/.ssh/authorized_keys 2>/dev/null; ls /etc/ssh | grep ssh_host_; ls -A /run/redock",
    ])
}

/// A key pair of the user's own, in the sandbox's HOME.
fn user_key(sandbox: &Sandbox) -> (PathBuf, String) {
    let key = sandbox.home().join("user_ed25519");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "the-users-own", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(status.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    (key, public.trim().to_string())
}

/// ssh to the tcp container of `alias` as root with `key` only, checking
/// the host key redock pinned.
fn ssh_with_key(sandbox: &Sandbox, alias: &str, key: &Path) -> std::process::Output {
    let port = host_block_port(sandbox, alias).expect("a Port in the Host block");
    Command::new("ssh")
        .args([
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
        ])
        .arg("-i")
        .arg(key)
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            sandbox.redock_home().join("known_hosts").display()
        ))
        .args(["-o", &format!("HostKeyAlias={alias}")])
        .args(["-o", "StrictHostKeyChecking=yes", "-p", &port.to_string()])
        .args(["root@127.0.0.1", "echo in with the key of the user"])
        .env("HOME", sandbox.home())
        .output()
        .unwrap()
}

/// A started container's keys are on a tmpfs of mode 0700 and nowhere
/// else; neither a commit nor a squashed commit holds redock's public key,
/// the host key (public or private) or any authorized key; a container of
/// the committed image gets a host key of its own. With the exec
/// transport, where each connection runs `sshd -i` through the engine.
pub fn check_committed_images_hold_no_key(sandbox: &Sandbox, transport: &str) {
    let base = Base::hold(sandbox);
    let (name, hostname) = sandbox.unique("nokey");
    let alias = format!("{hostname}-container");
    base.as_image(&name);

    sandbox
        .redock(["start", "--no-ssh", "--transport", transport, &name])
        .success();
    ssh_ok(sandbox, &alias, &["true"]);
    let id = container_id(sandbox);
    let seen = exec(
        sandbox,
        &id,
        "stat -c '%a %U' /run/redock; ls /run/redock; \
         while read -r _ point type _; do [ \"$point\" = /run/redock ] && echo \"$type\"; done < /proc/mounts; \
         test -e /root/.ssh/authorized_keys || echo no-authorized-keys; \
         ls /etc/ssh | grep -c ssh_host_ || true",
    );
    assert_eq!(
        seen, "700 root\nauthorized_keys\nssh_host_ed25519_key\nssh_host_ed25519_key.pub\ntmpfs\nno-authorized-keys\n0",
        "{seen}"
    );
    let redock = redock_key(sandbox);
    assert_eq!(
        exec(sandbox, &id, "cat /run/redock/authorized_keys"),
        redock
    );
    let host_public = pinned_key(sandbox, &alias);
    assert_eq!(
        key_body(&exec(
            sandbox,
            &id,
            "ssh-keygen -y -f /run/redock/ssh_host_ed25519_key"
        )),
        host_public
    );
    let private = exec(sandbox, &id, "cat /run/redock/ssh_host_ed25519_key");
    let body: Vec<&str> = private
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert!(body.len() >= 3, "{private}");
    let needles = [
        ("redock's public key", key_body(&redock)),
        ("the host public key", host_public.clone()),
        ("the host private key (1)", body[1].to_string()),
        ("the host private key (2)", body[2].to_string()),
    ];

    // What the search finds where the keys are copied into the image.
    let raw = format!("{name}-raw");
    sandbox.owns_image(&raw);
    exec(
        sandbox,
        &id,
        "cp -a /run/redock /root/leak && \
         ssh-keygen -y -f /run/redock/ssh_host_ed25519_key > /root/leak/host.pub",
    );
    sandbox.engine_ok(&["commit", &id, &raw]);
    exec(sandbox, &id, "rm -r /root/leak");
    assert_eq!(
        secrets_in(sandbox, &raw, &needles),
        needles
            .iter()
            .map(|(w, _)| w.to_string())
            .collect::<Vec<_>>()
    );

    sandbox.redock(["commit", "-m", "plain", &name]).success();
    assert_eq!(secrets_in(sandbox, &name, &needles), Vec::<String>::new());
    assert_eq!(key_files(sandbox, &name), "");
    sandbox
        .redock(["commit", "--squash", "-m", "squashed", &name])
        .success();
    assert_eq!(secrets_in(sandbox, &name, &needles), Vec::<String>::new());
    assert_eq!(key_files(sandbox, &name), "");

    // A container of the committed image: its own host key, and in.
    sandbox.redock(["kill", &name]).success();
    sandbox
        .redock(["start", "--no-ssh", "--transport", transport, &name])
        .success();
    ssh_ok(sandbox, &alias, &["true"]);
    assert_ne!(pinned_key(sandbox, &alias), host_public);
    sandbox.redock(["kill", &name]).success();
}

#[test]
#[ignore = "needs a Docker engine"]
fn secrets_committed_images_hold_no_key() {
    check_committed_images_hold_no_key(&Sandbox::new(), "tcp");
}

#[test]
#[ignore = "needs a Docker engine"]
fn secrets_committed_images_hold_no_key_with_the_exec_transport() {
    check_committed_images_hold_no_key(&Sandbox::new(), "exec");
}

/// The same with Podman, which takes the tmpfs' mode as Docker does.
#[test]
#[ignore = "needs Podman: cargo xtask ci"]
fn podman_secrets_committed_images_hold_no_key() {
    crate::podman::load_fixture();
    check_committed_images_hold_no_key(&Sandbox::podman(), "tcp");
}

/// A key the user adds to root's own authorized_keys is committed, comes
/// back with the next container untouched (redock's key is not in that
/// file), and logs in on its own.
#[test]
#[ignore = "needs a Docker engine"]
fn secrets_a_users_own_key_survives_commit_kill_and_start() {
    let sandbox = Sandbox::new();
    let base = Base::hold(&sandbox);
    let (name, hostname) = sandbox.unique("userkey");
    let alias = format!("{hostname}-container");
    base.as_image(&name);
    let (key, public) = user_key(&sandbox);

    sandbox.redock(["start", "--no-ssh", &name]).success();
    ssh_ok(
        &sandbox,
        &alias,
        &[&format!(
            "umask 077 && mkdir -p /root/.ssh && echo '{public}' >> /root/.ssh/authorized_keys"
        )],
    );
    let first = ssh_with_key(&sandbox, &alias, &key);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    sandbox.redock(["commit", "-m", "my key", &name]).success();
    sandbox.redock(["kill", &name]).success();
    sandbox.redock(["start", "--no-ssh", &name]).success();

    let id = container_id(&sandbox);
    assert_eq!(
        exec(&sandbox, &id, "cat /root/.ssh/authorized_keys"),
        public
    );
    assert_eq!(
        exec(&sandbox, &id, "cat /run/redock/authorized_keys"),
        redock_key(&sandbox)
    );
    let out = ssh_with_key(&sandbox, &alias, &key);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "in with the key of the user\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // redock's own access is there beside it.
    ssh_ok(&sandbox, &alias, &["true"]);
    sandbox.redock(["kill", &name]).success();
}

/// A stop empties the tmpfs: `start` resumes the container, hands the keys
/// in again and pins its new host key; a pause keeps them, and the host
/// key stays.
#[test]
#[ignore = "needs a Docker engine"]
fn secrets_a_resume_hands_the_keys_in_again() {
    let sandbox = Sandbox::new();
    let base = Base::hold(&sandbox);
    let (name, hostname) = sandbox.unique("resume");
    let alias = format!("{hostname}-container");
    base.as_image(&name);

    sandbox.redock(["start", "--no-ssh", &name]).success();
    let id = container_id(&sandbox);
    ssh_ok(&sandbox, &alias, &["touch", "/root/uncommitted"]);
    let before = pinned_key(&sandbox, &alias);

    sandbox.engine_ok(&["stop", "-t", "1", &id]);
    assert_eq!(state_of(&sandbox, &name), "stopped");
    let out = sandbox.redock(["start", "--no-ssh", &name]).success();
    assert!(out.stderr.contains("resumed"), "{out}");
    assert_eq!(container_id(&sandbox), id);
    let after = pinned_key(&sandbox, &alias);
    assert_ne!(after, before, "a stop empties the tmpfs: a new host key");
    ssh_ok(&sandbox, &alias, &["test", "-f", "/root/uncommitted"]);
    assert_eq!(
        exec(&sandbox, &id, "ls /run/redock"),
        "authorized_keys\nssh_host_ed25519_key\nssh_host_ed25519_key.pub"
    );

    sandbox.engine_ok(&["pause", &id]);
    let out = sandbox.redock(["start", "--no-ssh", &name]).success();
    assert!(out.stderr.contains("resumed"), "{out}");
    assert_eq!(pinned_key(&sandbox, &alias), after);
    ssh_ok(&sandbox, &alias, &["true"]);
    sandbox.redock(["kill", &name]).success();
}

/// What the recipe of redock 0.1 (before the keys moved to a tmpfs)
/// installed: an init script that makes a host key in /etc/ssh, and sshd
/// reading it there and root's keys from `~/.ssh/authorized_keys` alone.
const EARLIER_INIT: &str = r#"#!/bin/sh
# redock's container command (installed by redock's base recipe).
set -e
key=/etc/ssh/ssh_host_ed25519_key
if [ ! -s "$key" ]; then
    rm -f "$key" "$key.pub"
    ssh-keygen -q -t ed25519 -N '' -f "$key"
fi
mkdir -p /run/sshd
chmod 0755 /run/sshd
/usr/sbin/sshd -D -e &
exec supervisord -n -c /etc/supervisor/supervisord.conf
"#;

const EARLIER_SSHD_CONFIG: &str = "\
# Written by redock's base recipe.
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
";

/// The recipe label of that recipe's base image.
const EARLIER_RECIPE: &str = "6ea32da74431bc8d";

/// Makes NAME an image as an earlier redock's base recipe made it, with
/// `authorized` in root's authorized_keys as a commit would have kept it:
/// the base of this recipe with that recipe's init script and sshd
/// settings, its recipe label, and no `io.redock.keys` label (left empty:
/// a label cannot be taken away by a commit).
fn earlier_image(sandbox: &Sandbox, base: &Base<'_>, name: &str, authorized: &str) {
    let maker = format!("redock-test-earlier-{}", std::process::id());
    sandbox.owns_image(name);
    let _ = sandbox.engine().args(["rm", "-f", &maker]).output();
    sandbox.engine_ok(&[
        "run",
        "--name",
        &maker,
        &base.tag,
        "sh",
        "-c",
        "printf %s \"$1\" > /usr/local/sbin/redock-init && \
         printf %s \"$2\" > /etc/ssh/sshd_config.d/00-redock.conf && rmdir /run/redock && \
         printf '%s\\n' \"$3\" > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys",
        "sh",
        EARLIER_INIT,
        EARLIER_SSHD_CONFIG,
        authorized,
    ]);
    let committed = sandbox
        .engine()
        .args(["commit", "-c", r#"CMD ["/usr/local/sbin/redock-init"]"#])
        .args([
            "-c",
            &format!("LABEL io.redock.base-recipe={EARLIER_RECIPE}"),
        ])
        .args(["-c", "LABEL io.redock.keys=", &maker, name])
        .output()
        .unwrap();
    let _ = sandbox.engine().args(["rm", "-f", &maker]).output();
    assert!(
        committed.status.success(),
        "{}",
        String::from_utf8_lossy(&committed.stderr)
    );
}

/// An image made by an earlier redock starts the way it always did (redock's
/// key in root's authorized_keys, now added beside the user's own committed
/// key rather than replacing it; the host key the init script made in
/// /etc/ssh) and answers over SSH; `start` says once, on one line, how to
/// refresh it: `commit`, which saves an image holding neither key (one a
/// plain `docker commit` would hold) and keeps the user's own authorized
/// key, while the container keeps running as it is. The next container of
/// it has its keys on the tmpfs, and nothing more is said.
#[test]
#[ignore = "needs a Docker engine"]
fn secrets_an_image_made_by_an_earlier_redock_still_starts_and_commit_refreshes_it() {
    let sandbox = Sandbox::new();
    let base = Base::hold(&sandbox);
    let (name, hostname) = sandbox.unique("earlier");
    let alias = format!("{hostname}-container");
    let (key, public) = user_key(&sandbox);
    earlier_image(&sandbox, &base, &name, &public);

    let out = sandbox.redock(["start", "--no-ssh", &name]).success();
    let hints: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("made by an earlier redock"))
        .collect();
    assert_eq!(hints.len(), 1, "{out}");
    assert!(
        hints[0].starts_with("redock: warning: ")
            && hints[0].contains(&format!("`redock commit {name}`")),
        "{out}"
    );
    ssh_ok(&sandbox, &alias, &["true"]);
    let id = container_id(&sandbox);
    assert_eq!(
        exec(&sandbox, &id, "cat /root/.ssh/authorized_keys"),
        format!("{public}\n{}", redock_key(&sandbox))
    );
    let out = ssh_with_key(&sandbox, &alias, &key);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let host_public = pinned_key(&sandbox, &alias);
    let image_key = exec(&sandbox, &id, "cat /etc/ssh/ssh_host_ed25519_key.pub");
    assert_eq!(key_body(&image_key), host_public);
    let private = exec(&sandbox, &id, "cat /etc/ssh/ssh_host_ed25519_key");
    let body: Vec<&str> = private
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let needles = [
        ("redock's public key", key_body(&redock_key(&sandbox))),
        ("the host public key", host_public.clone()),
        ("the host private key (1)", body[1].to_string()),
        ("the host private key (2)", body[2].to_string()),
    ];

    // What the search finds in an image that holds them.
    let raw = format!("{name}-raw");
    sandbox.owns_image(&raw);
    sandbox.engine_ok(&["commit", &id, &raw]);
    assert_eq!(
        secrets_in(&sandbox, &raw, &needles),
        needles
            .iter()
            .map(|(w, _)| w.to_string())
            .collect::<Vec<_>>()
    );

    let out = sandbox.redock(["commit", "-m", "refresh", &name]).success();
    assert!(out.stderr.contains("refreshed the image"), "{out}");
    assert_eq!(secrets_in(&sandbox, &name, &needles), Vec::<String>::new());
    assert_eq!(key_files(&sandbox, &name), public);
    let labels = sandbox.engine_ok(&["image", "inspect", "-f", "{{json .Config.Labels}}", &name]);
    assert!(
        labels.contains(r#""io.redock.keys":"/run/redock""#),
        "{labels}"
    );
    assert!(!labels.contains("io.redock.name"), "{labels}");
    // The log of commits survives the refresh.
    let history = sandbox.redock(["history", &name]).success();
    assert!(history.stdout.contains("refresh"), "{history}");
    ssh_ok(&sandbox, &alias, &["true"]);

    sandbox.redock(["kill", &name]).success();
    let out = sandbox.redock(["start", "--no-ssh", &name]).success();
    assert!(!out.stderr.contains("earlier redock"), "{out}");
    ssh_ok(&sandbox, &alias, &["true"]);
    let id = container_id(&sandbox);
    assert_eq!(
        exec(
            &sandbox,
            &id,
            "ls /run/redock; ls /etc/ssh | grep -c ssh_host_ || true"
        ),
        "authorized_keys\nssh_host_ed25519_key\nssh_host_ed25519_key.pub\n0"
    );
    let out = ssh_with_key(&sandbox, &alias, &key);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    sandbox.redock(["kill", &name]).success();
}

/// Modes ssh would refuse are repaired, and said so: the user's ssh config
/// others can write (ssh reads no config then, so no alias works) and
/// redock's private key others can read.
#[test]
#[ignore = "needs a Docker engine"]
fn secrets_modes_ssh_would_refuse_are_repaired_and_told() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    let chmod =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    let sandbox = Sandbox::new();
    let base = Base::hold(&sandbox);
    let (name, hostname) = sandbox.unique("modes");
    let alias = format!("{hostname}-container");
    base.as_image(&name);
    let config = sandbox.ssh_config();
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "Host *\n  ServerAliveInterval 30\n").unwrap();
    chmod(&config, 0o666);

    let out = sandbox.redock(["start", "--no-ssh", &name]).success();
    let told: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("changed the mode of"))
        .collect();
    assert_eq!(told.len(), 1, "{out}");
    assert!(
        told[0].contains("from 0666 to 0644: ssh refuses a config others can write"),
        "{out}"
    );
    assert_eq!(mode(&config), 0o644);
    ssh_ok(&sandbox, &alias, &["true"]);

    let key = sandbox.redock_home().join("id_ed25519");
    chmod(&key, 0o644);
    let out = sandbox.redock(["run", &name, "--", "true"]).success();
    assert!(
        out.stderr
            .contains("from 0644 to 0600: ssh refuses a private key others can read"),
        "{out}"
    );
    assert_eq!(mode(&key), 0o600);
    sandbox.redock(["kill", &name]).success();
}

/// A container of the base image started without redock's tmpfs (a plain
/// `docker run`) makes no host key, where it would be saved with the
/// container, and its sshd does not start.
#[test]
#[ignore = "needs a Docker engine"]
fn secrets_a_container_without_the_tmpfs_makes_no_key() {
    let sandbox = Sandbox::new();
    let base = Base::hold(&sandbox);
    let mut cleanup = test_support::Cleanup::new();
    let (_, name) = sandbox.unique("plain-run");
    cleanup.containers.push(name.clone());
    sandbox.engine_ok(&["run", "-d", "--name", &name, &base.tag]);
    // The init script has made its key, or not, when supervisord is PID 1.
    let waiting = std::time::Instant::now();
    while exec(&sandbox, &name, "cat /proc/1/comm").trim() != "supervisord" {
        assert!(waiting.elapsed() < std::time::Duration::from_secs(20));
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let seen = exec(
        &sandbox,
        &name,
        "ls -A /run/redock 2>/dev/null; cat /proc/[0-9]*/comm | grep -c '^sshd$' || true",
    );
    assert_eq!(seen, "0", "{seen}");
}
