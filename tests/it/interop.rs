//! redock with the tools people already use, against a real engine: the
//! Host blocks exported for `ssh -F` and paramiko, the host key pinned
//! under the endpoint too, the Include line uninstalled, and base builds
//! with a package mirror, extra packages and an apt proxy.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::engine::{base_image, started};
use crate::{Sandbox, FIXTURE_IMAGE};

fn docker(args: &[&str]) -> Output {
    Command::new("docker").args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `ssh -F CONFIG ALIAS REMOTE…` in the sandbox's HOME.
fn ssh_with(sandbox: &Sandbox, config: &Path, alias: &str, remote: &[&str]) -> Output {
    Command::new("ssh")
        .arg("-F")
        .arg(config)
        .args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=5", alias])
        .args(remote)
        .env("HOME", sandbox.home())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The port of `[127.0.0.1]:PORT` on the known_hosts line of `alias`, and
/// every line of the file.
fn pinned_port(sandbox: &Sandbox, alias: &str) -> (Option<u16>, String) {
    let known =
        std::fs::read_to_string(sandbox.redock_home().join("known_hosts")).unwrap_or_default();
    let port = known
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|names| names.split(',').next() == Some(alias))
        .flat_map(|names| names.split(','))
        .find_map(|name| name.strip_prefix("[127.0.0.1]:")?.parse().ok());
    (port, known)
}

/// A user config with everything that tends to get damaged: CRLF line
/// ends, tabs, `key=value`, comments, no final newline.
const USER_CONFIG: &str = "# my settings\r\n\
\tServerAliveInterval=30\r\n\
\r\n\
Host *\r\n\
\tUser nobody\r\n\
\r\n\
# trailing match\r\n\
Match host example.org\r\n\
  Port 2222";

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn ssh_config_exports_the_blocks_and_uninstall_restores_the_users_file() {
    base_image();
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.ssh_config().parent().unwrap()).unwrap();
    std::fs::write(sandbox.ssh_config(), USER_CONFIG).unwrap();
    let (first, first_host) = sandbox.unique("export-a");
    let (second, second_host) = sandbox.unique("export-b");
    let (first_alias, second_alias) = (
        format!("{first_host}-container"),
        format!("{second_host}-container"),
    );
    sandbox
        .redock(["start", "--no-ssh", &first, &second])
        .success();
    assert_ne!(
        std::fs::read_to_string(sandbox.ssh_config()).unwrap(),
        USER_CONFIG
    );

    // One NAME: its block alone, and ssh -F with that file gets in.
    let out = sandbox.redock(["ssh-config", &first]).success();
    assert!(
        out.stdout.starts_with(&format!("Host {first_alias}\n")),
        "{out}"
    );
    assert!(!out.stdout.contains(&second_alias), "{out}");
    assert!(out.stdout.contains("StrictHostKeyChecking yes"), "{out}");
    let exported = sandbox.home().join("exported_config");
    std::fs::write(&exported, &out.stdout).unwrap();
    let ssh = ssh_with(&sandbox, &exported, &first_alias, &["true"]);
    assert!(ssh.status.success(), "{}", text(&ssh.stderr));

    // No NAME: every running container's block.
    let all = sandbox.redock(["ssh-config"]).success().stdout;
    for alias in [&first_alias, &second_alias] {
        assert_eq!(all.matches(&format!("Host {alias}\n")).count(), 1, "{all}");
    }
    std::fs::write(&exported, &all).unwrap();
    let ssh = ssh_with(&sandbox, &exported, &second_alias, &["hostname"]);
    assert!(ssh.status.success(), "{}", text(&ssh.stderr));
    assert_eq!(text(&ssh.stdout).trim(), second_host);

    // A NAME with nothing running is an error.
    let (idle, _) = sandbox.unique("export-idle");
    sandbox
        .redock(["ssh-config", &idle])
        .fails(1)
        .assert_one_line_error("NoContainerRunning");

    // --uninstall: --dry-run shows the change and makes none; then the
    // user's file is what it was before redock's first change, byte for
    // byte; once more changes nothing.
    let out = sandbox
        .redock(["ssh-config", "--uninstall", "--dry-run"])
        .success();
    assert!(out.stdout.contains("\n-Include "), "{out}");
    assert_ne!(
        std::fs::read_to_string(sandbox.ssh_config()).unwrap(),
        USER_CONFIG
    );
    sandbox.redock(["ssh-config", "--uninstall"]).success();
    assert_eq!(
        std::fs::read(sandbox.ssh_config()).unwrap(),
        USER_CONFIG.as_bytes()
    );
    let out = sandbox.redock(["ssh-config", "--uninstall"]).success();
    assert!(out.stderr.contains("does not include"), "{out}");
    assert_eq!(
        std::fs::read(sandbox.ssh_config()).unwrap(),
        USER_CONFIG.as_bytes()
    );
    sandbox.redock(["kill", &first, &second]).success();
    assert_eq!(sandbox.redock(["ssh-config"]).success().stdout, "");
}

/// A Python with paramiko: a venv made once under target/ and reused by
/// later runs (pip fetches paramiko the first time).
fn paramiko_python() -> PathBuf {
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("paramiko-venv");
    let python = cache.join("bin").join("python");
    let works = |python: &Path| {
        Command::new(python)
            .args(["-c", "import paramiko"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if works(&python) {
        return python;
    }
    // Made beside it and renamed into place, so that two test runs never
    // see half a venv.
    let temp = tempfile::Builder::new()
        .prefix("paramiko-venv-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let venv = temp.path().join("venv");
    let run = |command: &mut Command| {
        let out = command.output().unwrap();
        assert!(out.status.success(), "{command:?}: {}", text(&out.stderr));
    };
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv));
    run(Command::new(venv.join("bin/python")).args(["-m", "pip", "install", "-q", "paramiko"]));
    let _ = std::fs::remove_dir_all(&cache);
    if std::fs::rename(&venv, &cache).is_err() {
        // Another run won the race; its venv stands.
        assert!(works(&python), "no paramiko venv at {}", cache.display());
    }
    python
}

/// Connects with paramiko as the README's recipe does: the exported Host
/// block, redock's known_hosts, RejectPolicy. Prints the remote host name
/// and exits 0; exits 3 when the host key does not match the pinned one.
/// With `--until-refused` it tries again while the old key still answers.
const PARAMIKO: &str = r#"
import sys, time
import paramiko

config_file, known_hosts, alias = sys.argv[1:4]
until_refused = "--until-refused" in sys.argv
host = paramiko.SSHConfig.from_path(config_file).lookup(alias)
deadline = time.time() + 15
while True:
    client = paramiko.SSHClient()
    client.load_host_keys(known_hosts)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(host["hostname"], port=int(host["port"]), username=host["user"],
                       key_filename=host["identityfile"], look_for_keys=False,
                       allow_agent=False, timeout=5, banner_timeout=2)
    except paramiko.BadHostKeyException as e:
        print("refused:", e, file=sys.stderr)
        sys.exit(3)
    except (OSError, EOFError, paramiko.SSHException) as e:
        # sshd restarting; a missing key (RejectPolicy) is final.
        if "not found in known_hosts" in str(e) or time.time() > deadline:
            raise
        time.sleep(0.1)
        continue
    if until_refused and time.time() < deadline:
        client.close()
        time.sleep(0.1)
        continue
    _, out, _ = client.exec_command("hostname")
    print(out.read().decode().strip())
    client.close()
    break
"#;

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn paramiko_verifies_the_pinned_key_and_refuses_a_changed_one() {
    let python = paramiko_python();
    let (sandbox, name, alias) = started("paramiko");
    let hostname = alias.strip_suffix("-container").unwrap().to_string();
    let exported = sandbox.home().join("exported_config");
    let block = sandbox.redock(["ssh-config", &name]).success().stdout;
    std::fs::write(&exported, &block).unwrap();
    let script = sandbox.home().join("connect.py");
    std::fs::write(&script, PARAMIKO).unwrap();
    let known_hosts = sandbox.redock_home().join("known_hosts");
    let paramiko = |extra: &[&str]| {
        Command::new(&python)
            .arg(&script)
            .arg(&exported)
            .arg(&known_hosts)
            .arg(&alias)
            .args(extra)
            .output()
            .unwrap()
    };

    // The key is pinned under the endpoint the block names.
    let (port, known) = pinned_port(&sandbox, &alias);
    let port = port.unwrap_or_else(|| panic!("no [127.0.0.1]:PORT for {alias}:\n{known}"));
    assert!(block.contains(&format!("\n  Port {port}\n")), "{block}");

    let out = paramiko(&[]);
    assert!(out.status.success(), "paramiko: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), hostname);

    // A new host key in the container, sshd made to read it: paramiko
    // refuses the changed key, as OpenSSH does.
    let filter = sandbox.container_filter();
    let id = text(&docker(&["ps", "-q", "--filter", &filter]).stdout)
        .trim()
        .to_string();
    let rekey = "k=/run/redock/ssh_host_ed25519_key; rm -f $k $k.pub && \
                 ssh-keygen -q -t ed25519 -N '' -f $k && kill -HUP $(cat /run/sshd.pid)";
    let out = docker(&["exec", &id, "sh", "-c", rekey]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = paramiko(&["--until-refused"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "paramiko: {}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("refused"),
        "{}",
        text(&out.stderr)
    );
    let ssh = ssh_with(&sandbox, &exported, &alias, &["true"]);
    assert!(!ssh.status.success());
    assert!(
        text(&ssh.stderr).contains("HOST IDENTIFICATION HAS CHANGED"),
        "{}",
        text(&ssh.stderr)
    );

    // kill takes the endpoint's entry with the alias's.
    sandbox.redock(["kill", &name]).success();
    let (_, known) = pinned_port(&sandbox, &alias);
    assert!(!known.contains(&alias), "{known}");
    assert!(!known.contains(&format!("[127.0.0.1]:{port} ")), "{known}");
}

/// Stopped behind redock's back and started again, the container answers
/// on another port (the old one is held here so that the engine cannot hand
/// it out again): the pinned entry follows it. `start` brings the stopped
/// container back this way whether it resumes it or replaces it.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn the_pinned_endpoint_follows_a_new_port() {
    let (sandbox, name, alias) = started("newport");
    let (old, known) = pinned_port(&sandbox, &alias);
    let old = old.unwrap_or_else(|| panic!("no [127.0.0.1]:PORT for {alias}:\n{known}"));
    let filter = sandbox.container_filter();
    let id = text(&docker(&["ps", "-q", "--filter", &filter]).stdout)
        .trim()
        .to_string();
    assert!(docker(&["stop", "-t", "1", &id]).status.success());
    let _hold = TcpListener::bind(("127.0.0.1", old)).unwrap();

    sandbox.redock(["start", "--no-ssh", &name]).success();
    let (new, known) = pinned_port(&sandbox, &alias);
    let new = new.unwrap_or_else(|| panic!("no [127.0.0.1]:PORT for {alias}:\n{known}"));
    assert_ne!(new, old);
    assert!(!known.contains(&format!("[127.0.0.1]:{old} ")), "{known}");
    assert_eq!(known.lines().count(), 1, "{known}");
    assert!(sandbox.ssh(&alias, &["true"]).status.success());

    sandbox.redock(["kill", &name]).success();
    let (_, known) = pinned_port(&sandbox, &alias);
    assert_eq!(known, "");
}

/// The URI of the host's own apt source of bookworm main (the fixture's
/// release), read from /etc/apt/sources.list{,.d}: classic lines and deb822
/// stanzas.
fn host_mirror() -> String {
    let mut files = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(dir) = std::fs::read_dir("/etc/apt/sources.list.d") {
        files.extend(dir.flatten().map(|e| e.path()));
    }
    for file in files {
        let Ok(content) = std::fs::read_to_string(&file) else {
            continue;
        };
        if file.extension().is_some_and(|e| e == "sources") {
            for stanza in content.split("\n\n") {
                let field = |name: &str| -> Vec<&str> {
                    stanza
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(|v| v.split_whitespace().collect())
                        .unwrap_or_default()
                };
                if field("Suites:").contains(&"bookworm") && field("Components:").contains(&"main")
                {
                    if let Some(uri) = field("URIs:").first() {
                        return uri.to_string();
                    }
                }
            }
        } else if file.extension().is_some_and(|e| e == "list") || file.ends_with("sources.list") {
            for line in content.lines() {
                let words: Vec<&str> = line.split_whitespace().collect();
                if words.len() >= 4
                    && words[0] == "deb"
                    && words[2] == "bookworm"
                    && words[3..].contains(&"main")
                {
                    return words[1].to_string();
                }
            }
        }
    }
    panic!("the host's apt sources name no source of bookworm main to use as the mirror");
}

/// The host's address on the engine's default bridge, where build
/// containers reach a server of this test: the default gateway a
/// container sees.
fn bridge_address() -> Ipv4Addr {
    let out = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "awk",
        FIXTURE_IMAGE,
        r#"$2 == "00000000" { print $3; exit }"#,
        "/proc/net/route",
    ]);
    let hex = text(&out.stdout);
    let raw = u32::from_str_radix(hex.trim(), 16)
        .unwrap_or_else(|_| panic!("no default route in a container: {hex:?}"));
    Ipv4Addr::from(raw.swap_bytes())
}

/// A forward HTTP proxy, as apt uses one: each request (`GET http://HOST/…`)
/// goes to its origin with `Connection: close`, and the answer comes back
/// before the connection closes. It counts the requests that carried
/// `credentials` as their Proxy-Authorization.
struct Proxy {
    addr: SocketAddr,
    authorized: Arc<AtomicUsize>,
}

impl Proxy {
    fn start(ip: IpAddr, credentials: &str) -> Proxy {
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let authorized = Arc::new(AtomicUsize::new(0));
        let expected = format!("basic {}", base64(credentials.as_bytes())).to_lowercase();
        let counter = authorized.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (counter, expected) = (counter.clone(), expected.clone());
                std::thread::spawn(move || {
                    let _ = Proxy::serve(client, &counter, &expected);
                });
            }
        });
        Proxy { addr, authorized }
    }

    fn serve(client: TcpStream, authorized: &AtomicUsize, expected: &str) -> std::io::Result<()> {
        let mut reader = BufReader::new(client.try_clone()?);
        let mut request_line = String::new();
        reader.read_line(&mut request_line)?;
        let mut parts = request_line.split_whitespace();
        let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
            return Ok(());
        };
        let rest = target.strip_prefix("http://").unwrap_or(target);
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let path = if path.is_empty() { "/" } else { path };
        let mut head = format!("{method} {path} HTTP/1.1\r\n");
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
                break;
            }
            let lower = line.to_lowercase();
            if let Some(value) = lower.strip_prefix("proxy-authorization:") {
                if value.trim() == expected {
                    authorized.fetch_add(1, Ordering::SeqCst);
                }
                continue;
            }
            if lower.starts_with("proxy-") || lower.starts_with("connection:") {
                continue;
            }
            head.push_str(&line);
        }
        head.push_str("Connection: close\r\n\r\n");
        let origin = if authority.contains(':') {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        let mut upstream = TcpStream::connect(origin)?;
        upstream.write_all(head.as_bytes())?;
        let mut client = client;
        let mut buffer = Vec::new();
        upstream.read_to_end(&mut buffer)?;
        client.write_all(&buffer)?;
        client.shutdown(std::net::Shutdown::Both)
    }
}

fn base64(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(DIGITS[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `sh -c SCRIPT` in a throwaway container of `image`, its command aside.
fn run_in(image: &str, script: &str) -> Output {
    docker(&["run", "--rm", "--entrypoint", "sh", image, "-c", script])
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn base_with_a_mirror_extra_packages_and_a_build_only_proxy() {
    let sandbox = Sandbox::new();
    let mirror = host_mirror();
    let build_containers =
        || text(&docker(&["ps", "-aq", "--filter", "label=io.redock.build"]).stdout);

    // A mirror path that does not exist: the build fails naming it, leaves
    // no image and no build container, and the mirror is not remembered.
    let missing = format!("{}/redock-no-such-mirror", mirror.trim_end_matches('/'));
    let (target, _) = sandbox.unique("mirror-missing");
    sandbox.owns_image(&target);
    let before = build_containers();
    let out = sandbox
        .redock([
            "base",
            "--from",
            FIXTURE_IMAGE,
            "--tag",
            &target,
            "--mirror",
            &missing,
        ])
        .fails(1);
    let error = format!(
        "redock: error: the package mirror {missing} failed \
         (step [2/7] of the base build, exit status: 1)"
    );
    assert!(out.stderr.lines().any(|l| l == error), "{out}");
    assert!(!docker(&["image", "inspect", &target]).status.success());
    assert_eq!(build_containers(), before);
    let shown = sandbox.redock(["config"]).success().stdout;
    assert!(shown.contains("# mirror is not set"), "{shown}");

    // The host's mirror, spelled with the trailing slash toggled so that the
    // fixture's own sources (the same archive) cannot pass for it; curl
    // added; apt through a proxy of this test's that wants credentials.
    let mirror = match mirror.strip_suffix('/') {
        Some(bare) => bare.to_string(),
        None => format!("{mirror}/"),
    };
    let credentials = format!("redock-test:secret-{}", std::process::id());
    let proxy = Proxy::start(IpAddr::V4(bridge_address()), &credentials);
    let proxy_url = format!("http://{credentials}@{}", proxy.addr);
    let (target, _) = sandbox.unique("mirror");
    sandbox.owns_image(&target);
    sandbox
        .redock([
            "base",
            "--from",
            FIXTURE_IMAGE,
            "--tag",
            &target,
            "--mirror",
            &mirror,
            "--with",
            "curl",
        ])
        .env("REDOCK_APT_PROXY", &proxy_url)
        .success();
    assert!(
        proxy.authorized.load(Ordering::SeqCst) > 0,
        "apt did not go through the proxy"
    );

    // The image's apt sources name the mirror; curl is there.
    let out = run_in(
        &target,
        "cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null; command -v curl",
    );
    let sources = text(&out.stdout);
    assert!(
        sources.contains(&format!("deb {mirror} bookworm main\n")),
        "{sources}"
    );
    assert!(sources.ends_with("/usr/bin/curl\n"), "{sources}");

    // The proxy is nowhere in the image: not in /etc/apt (nor elsewhere in
    // /etc, root's home or apt's state), not in its configuration.
    let secret = credentials.split(':').nth(1).unwrap();
    let port = proxy.addr.port().to_string();
    let out = run_in(
        &target,
        &format!(
            "grep -rlF -e '{secret}' -e ':{port}' /etc/apt /etc /root /var/lib/apt /var/cache/apt; echo grep=$?"
        ),
    );
    assert_eq!(text(&out.stdout), "grep=1\n", "{}", text(&out.stderr));
    let config = text(&docker(&["image", "inspect", "-f", "{{json .Config}}", &target]).stdout);
    assert!(
        !config.contains(secret) && !config.contains(&port),
        "{config}"
    );

    // Both are remembered; --unset forgets one at a time.
    let shown = sandbox.redock(["config"]).success().stdout;
    assert_eq!(shown, format!("mirror = {mirror}\nwith = curl\n"));
    sandbox.redock(["config", "--unset", "mirror"]).success();
    let shown = sandbox.redock(["config"]).success().stdout;
    assert!(shown.starts_with("# mirror is not set"), "{shown}");
    assert!(shown.contains("\nwith = curl\n"), "{shown}");
    sandbox.redock(["config", "--unset", "with"]).success();
    let shown = sandbox.redock(["config"]).success().stdout;
    assert!(!shown.contains(" = "), "{shown}");
    sandbox
        .redock(["config", "--unset", "mirrors"])
        .fails(1)
        .assert_one_line_error("no setting \"mirrors\"");
}

/// `start` builds a missing base with the remembered settings: a bad one
/// stops it before anything is made, with the way out.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn start_builds_with_the_remembered_settings() {
    let sandbox = Sandbox::new();
    let (name, _) = sandbox.unique("remembered");
    std::fs::create_dir_all(sandbox.redock_home()).unwrap();
    std::fs::write(
        sandbox.redock_home().join("settings.json"),
        r#"{"version": 1, "with": ["curl", "--allow-unauthenticated"]}"#,
    )
    .unwrap();
    let out = sandbox.redock(["start", "--no-ssh", &name]).fails(1);
    out.assert_one_line_error("invalid package name \"--allow-unauthenticated\"");
    assert!(out.stderr.contains("redock config --unset with"), "{out}");
    assert!(sandbox.container_ids().is_empty());
}
