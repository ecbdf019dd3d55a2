//! Rows that need the engine (`cargo xtask ci` runs them): odd tags and
//! host names through start, ssh, commit, kill and delete; user config
//! paths and REDOCK_HOMEs that must work end to end; two homes; wrong
//! modes; and remote paths for upload, sync and run with every shell
//! metacharacter. Rows share sandboxes and containers where they can.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::{
    chmod, join_bytes, mode, refused, shown_bytes, symlink, works, write, Case, Table, Try,
};
use crate::engine::base_image;
use crate::Sandbox;

/// The repository of this run's NAMEs: its own, as images are shared.
fn repo() -> String {
    format!("redock-hostile-{}", std::process::id())
}

fn name(tag: &str) -> String {
    format!("{}:{tag}", repo())
}

fn docker<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new("docker").args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim_end().to_string()
}

/// `ssh -F CONFIG ALIAS COMMAND…` as the user would run it; its output.
fn ssh(sandbox: &Sandbox, config: &Path, alias: &str, remote: &[&str]) -> Result<String, String> {
    let out = Command::new("ssh")
        .arg("-F")
        .arg(config)
        .args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=5", alias])
        .args(remote)
        .env("HOME", sandbox.home())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    if out.status.success() {
        Ok(text(&out.stdout))
    } else {
        Err(format!("ssh {alias} failed: {}", text(&out.stderr)))
    }
}

/// Checks that `ssh ALIAS hostname`, through the sandbox's user config,
/// answers `hostname`.
fn answers(alias: &str, hostname: &str) -> super::Check {
    let (alias, hostname) = (alias.to_string(), hostname.to_string());
    Box::new(move |s: &Sandbox, _: &crate::Out| {
        let seen = ssh(s, &s.ssh_config(), &alias, &["hostname"])?;
        if seen == hostname {
            Ok(format!("ssh {alias} reaches host {seen}"))
        } else {
            Err(format!("ssh {alias} reached host {seen}, not {hostname}"))
        }
    })
}

/// The ids of the containers of NAME in any home under the sandbox.
fn containers_of(sandbox: &Sandbox, name: &str) -> Vec<String> {
    let out = docker(&[
        "ps",
        "-aq",
        "--no-trunc",
        "--filter",
        &format!("label=io.redock.name={name}"),
    ]);
    let ours = sandbox.container_ids();
    text(&out.stdout)
        .split_whitespace()
        .filter(|id| ours.iter().any(|o| o == id))
        .map(String::from)
        .collect()
}

fn gone(name: String) -> super::Check {
    Box::new(
        move |s: &Sandbox, _: &crate::Out| match containers_of(s, &name).len() {
            0 => Ok("no container left".into()),
            n => Err(format!("{n} containers left")),
        },
    )
}

fn image_exists(name: &str) -> bool {
    docker(&["image", "inspect", name]).status.success()
}

/// Runs the printed ssh command line (stdout's last line) with `true`
/// after it, as a user pasting it into a shell would.
fn printed_command_works(s: &Sandbox, out: &crate::Out) -> Result<String, String> {
    // One NAME, one command; a newline in it is inside its quotes.
    let line = out.stdout_bytes.strip_suffix(b"\n").unwrap_or_default();
    let mut script = line.to_vec();
    script.extend_from_slice(b" -o BatchMode=yes true");
    let status = Command::new("sh")
        .arg("-c")
        .arg(OsStr::from_bytes(&script))
        .env("HOME", s.home())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    if status.success() {
        Ok("the printed ssh command works".into())
    } else {
        Err(format!(
            "the printed command failed: {}",
            String::from_utf8_lossy(line)
        ))
    }
}

fn tag_rows() -> Vec<Case> {
    let long = "x".repeat(64);
    let mixed = format!("{}Cd", "Ab_".repeat(42));
    let mixed_host = "ab-".repeat(21).trim_end_matches('-').to_string();
    vec![
        Case::new(
            "tag-underscore-start",
            "`start web:a_b` (a tag that is no host name)",
            works(answers("a-b-container", "a-b")),
            |_| Try::new(["start", "--no-ssh", &name("a_b")]),
        ),
        Case::new(
            "tag-underscore-commit",
            "`commit web:a_b`",
            works(|_, _| {
                if image_exists(&name("a_b")) {
                    Ok("the image exists".into())
                } else {
                    Err("no image".into())
                }
            }),
            |s| {
                s.owns_image(&name("a_b"));
                Try::new(["commit", &name("a_b")])
            },
        ),
        Case::new(
            "tag-underscore-kill",
            "`kill web:a_b`",
            works(gone(name("a_b"))),
            |_| Try::new(["kill", &name("a_b")]),
        ),
        Case::new(
            "tag-underscore-delete",
            "`delete web:a_b`",
            works(|_, _| {
                if image_exists(&name("a_b")) {
                    Err("the image is left".into())
                } else {
                    Ok("the image is gone".into())
                }
            }),
            |_| Try::new(["delete", &name("a_b")]),
        ),
        Case::new(
            "tag-with-n-commit",
            "`start -n named web:x_y`, then `commit web:x_y`",
            works(|_, _| {
                if image_exists(&name("x_y")) {
                    Ok("the image exists".into())
                } else {
                    Err("no image".into())
                }
            }),
            |s| {
                s.owns_image(&name("x_y"));
                s.redock(["start", "--no-ssh", "-n", "named", &name("x_y")])
                    .success();
                Try::new(["commit", &name("x_y")])
            },
        ),
        Case::new(
            "tag-with-n-kill",
            "then `kill web:x_y`",
            works(gone(name("x_y"))),
            |_| Try::new(["kill", &name("x_y")]),
        ),
        Case::new(
            "tag-with-n-delete",
            "then `delete web:x_y`",
            works(|_, _| {
                if image_exists(&name("x_y")) {
                    Err("the image is left".into())
                } else {
                    Ok("the image is gone".into())
                }
            }),
            |_| Try::new(["delete", &name("x_y")]),
        ),
        Case::new(
            "tag-64",
            "a tag of 64 characters: its first 63 are the host name",
            works(answers(
                &format!("{}-container", "x".repeat(63)),
                &"x".repeat(63),
            )),
            move |_| Try::new(["start", "--no-ssh", &name(&long)]),
        ),
        Case::new(
            "tag-128-mixed",
            "a tag of 128 characters with capitals and `_`",
            works(answers(&format!("{mixed_host}-container"), &mixed_host)),
            move |_| Try::new(["start", "--no-ssh", &name(&mixed)]),
        ),
        Case::new(
            "tag-leading-underscore",
            "tag `_x`",
            works(answers("x-container", "x")),
            |_| Try::new(["start", "--no-ssh", &name("_x")]),
        ),
        Case::new(
            "tag-capitals-dots",
            "tag `Web.Prod` (a valid host name)",
            works(answers("web-prod-container", "Web.Prod")),
            |_| Try::new(["start", "--no-ssh", &name("Web.Prod")]),
        ),
        Case::new(
            "tag-double-dot",
            "tag `x..y`",
            works(answers("x-y-container", "x-y")),
            |_| Try::new(["start", "--no-ssh", &name("x..y")]),
        ),
        Case::new(
            "tag-kill-several",
            "`kill` of those four NAMEs in one command",
            works(|s, _| {
                let left: usize = ["_x", "Web.Prod", "x..y"]
                    .iter()
                    .map(|t| containers_of(s, &name(t)).len())
                    .sum();
                match left {
                    0 => Ok("no container left".into()),
                    n => Err(format!("{n} containers left")),
                }
            }),
            |_| {
                let mixed = format!("{}Cd", "Ab_".repeat(42));
                Try::new([
                    "kill".to_string(),
                    name(&"x".repeat(64)),
                    name(&mixed),
                    name("_x"),
                    name("Web.Prod"),
                    name("x..y"),
                ])
            },
        ),
    ]
}

fn config_rows() -> Vec<Case> {
    let start = |config: PathBuf| {
        Try::new([
            "start".into(),
            "--no-ssh".into(),
            "--ssh-config".into(),
            config.into_os_string(),
            OsString::from(name("cfg")),
        ])
    };
    let via = |config: fn(&Sandbox) -> PathBuf| {
        works(move |s, _| {
            ssh(s, &config(s), "cfg-container", &["true"])
                .map(|_| "ssh -F it cfg-container works".into())
        })
    };
    vec![
        Case::new(
            "config-symlink",
            "`--ssh-config` a symlink to a regular file",
            via(|s| s.home().join(".ssh/link")),
            move |s| {
                let real = s.home().join("dotfiles/config");
                write(&real, "Host *\n  User me\n");
                symlink(&real, s.home().join(".ssh/link"));
                start(s.home().join(".ssh/link"))
            },
        )
        .after(|s, _| {
            let real = std::fs::read_to_string(s.home().join("dotfiles/config")).unwrap();
            let link = std::fs::symlink_metadata(s.home().join(".ssh/link")).unwrap();
            match (link.file_type().is_symlink(), real.starts_with("Include ")) {
                (true, true) => Ok("the link is kept and its target edited".into()),
                _ => Err("the link or its target is wrong".into()),
            }
        }),
        Case::new(
            "config-missing-dir",
            "`--ssh-config` in directories that do not exist yet",
            via(|s| s.home().join("new/dir/config")),
            move |s| start(s.home().join("new/dir/config")),
        ),
        Case::new(
            "config-odd-characters",
            "`--ssh-config` a path with space, `#`, `%`, `*`, `[`, `'`, `\"`, `$`",
            works(printed_command_works),
            move |s| start(s.home().join("odd dir #1 %h *[x] 'q' \"d\" $x/config")),
        ),
        Case::new(
            "config-newline",
            "`--ssh-config` a path with a newline",
            works(printed_command_works),
            move |s| start(s.home().join("line\nbreak/config")),
        ),
        Case::new(
            "config-not-utf8",
            "`--ssh-config` a path with the byte 0xff",
            works(printed_command_works),
            move |s| start(join_bytes(s.home(), b"bytes\xff").join("config")),
        ),
        Case::new(
            "config-kill",
            "`kill` with the last of those",
            works(gone(name("cfg"))),
            |s| {
                Try::new([
                    "kill".into(),
                    "--ssh-config".into(),
                    join_bytes(s.home(), b"bytes\xff")
                        .join("config")
                        .into_os_string(),
                    OsString::from(name("cfg")),
                ])
            },
        ),
    ]
}

fn home_rows() -> Vec<Case> {
    let in_home = |id: &str, input: &str, dir: &'static str, tag: &'static str| {
        let alias = format!("{tag}-container");
        Case::new(id, input, works(answers(&alias, tag)), move |s| {
            Try::new(["start", "--no-ssh", &name(tag)]).env("REDOCK_HOME", s.home().join(dir))
        })
    };
    vec![
        Case::new("home-relative", "REDOCK_HOME a relative path", works(answers("h1-container", "h1")), |s| {
            Try::new(["start", "--no-ssh", &name("h1")]).env("REDOCK_HOME", "rel/home").dir(s.home())
        }),
        in_home("home-space", "REDOCK_HOME with a space", "my home", "h2"),
        in_home("home-hash", "REDOCK_HOME with `#`", "home#1", "h3"),
        in_home("home-quote", "REDOCK_HOME with `'`", "it's", "h4"),
        in_home("home-dquote", "REDOCK_HOME with `\"`", "say \"hi\"", "h5"),
        in_home("home-shell", "REDOCK_HOME with `$ ; & = , ( )`", "a$b;c&d=e,f(g)", "h6"),
        in_home("home-unicode", "REDOCK_HOME with `ünï`", "ünï", "h7"),
        Case::new("engine-path-space", "REDOCK_DOCKER a path with a space and `'`, and the exec transport", works(|s, _| {
            ssh(s, &s.ssh_config(), "ex-container", &["true"]).map(|_| "ssh ex-container works".into())
        }), |s| {
            let docker = s.home().join("my bin's/docker");
            write(&docker, "#!/bin/sh\nexec docker \"$@\"\n");
            chmod(&docker, 0o755);
            Try::new(["start", "--no-ssh", "--transport", "exec", &name("ex")]).env("REDOCK_DOCKER", docker)
        }),
        Case::new("home-symlink-start", "REDOCK_HOME a symlink: start through it", works(answers("sym-container", "sym")), |s| {
            std::fs::create_dir(s.home().join("real-home")).unwrap();
            symlink(s.home().join("real-home"), s.home().join("link-home"));
            Try::new(["start", "--no-ssh", &name("sym")]).env("REDOCK_HOME", s.home().join("link-home"))
        }),
        Case::new("home-symlink-kill", "then `kill` through its real path: one home", works(gone(name("sym"))), |s| {
            Try::new(["kill", &name("sym")]).env("REDOCK_HOME", s.home().join("real-home"))
        }),
        Case::new("home-earlier-label-status", "a container an earlier version labelled with the symlink's path: `status` through the real path", works(|_, out| {
            if out.stdout.contains(&name("old")) { Ok("status lists it".into()) } else { Err("status does not list it".into()) }
        }), |s| {
            let link = s.home().join("link-home");
            let created = docker(&[
                "create".to_string(),
                "--label".into(), format!("io.redock.home={}", link.display()),
                "--label".into(), format!("io.redock.name={}", name("old")),
                "--label".into(), "io.redock.alias=old-container".into(),
                "--label".into(), "io.redock.hostname=old".into(),
                "redock:base".into(),
            ]);
            assert!(created.status.success(), "{created:?}");
            Try::new(["status", "--json"]).env("REDOCK_HOME", s.home().join("real-home"))
        }),
        Case::new("home-earlier-label-kill", "then `kill` through the real path", works(gone(name("old"))), |s| {
            Try::new(["kill", &name("old")]).env("REDOCK_HOME", s.home().join("real-home"))
        }),
        Case::new("home-second-same-config", "a second REDOCK_HOME, the same user config and NAME", refused(1, "already taken by REDOCK_HOME"), |s| {
            s.redock(["start", "--no-ssh", &name("shared")]).success();
            Try::new(["start", "--no-ssh", &name("shared")]).env("REDOCK_HOME", s.home().join("second"))
        }).after(|s, _| ssh(s, &s.ssh_config(), "shared-container", &["true"]).map(|_| "the first home's container is still reached".into())),
        Case::new("home-second-own-config", "a second REDOCK_HOME with a user config of its own, the same NAME", works(|s, _| {
            let first = docker(&[
                "ps".to_string(),
                "-q".into(),
                "--filter".into(),
                format!("label=io.redock.name={}", name("shared")),
                "--filter".into(),
                format!("label=io.redock.home={}", std::fs::canonicalize(s.redock_home()).unwrap().display()),
            ]);
            let first = text(&first.stdout);
            let marked = !first.is_empty() && docker(&["exec", &first, "touch", "/root/first"]).status.success();
            let second = ssh(s, &s.home().join("second.config"), "shared-container", &["ls", "/root/first"]);
            match (marked, second) {
                (true, Err(_)) => Ok("each config reaches its own home's container".into()),
                _ => Err("the second config reaches the first home's container".into()),
            }
        }), |s| {
            let config = s.home().join("second.config").into_os_string();
            Try::new(["start".into(), "--no-ssh".into(), "--ssh-config".into(), config, OsString::from(name("shared"))])
                .env("REDOCK_HOME", s.home().join("second"))
        }),
    ]
}

fn mode_rows() -> Vec<Case> {
    let repaired = |file: &'static str, expected: u32| {
        move |s: &Sandbox, out: &crate::Out| {
            let path = if file.is_empty() {
                s.redock_home()
            } else {
                s.redock_home().join(file)
            };
            let now = mode(&path);
            match (out.stderr.contains("changed the mode of"), now == expected) {
                (true, true) => Ok(format!("said so; the mode is {now:04o}")),
                (said, _) => Err(format!("mode {now:04o}, said so: {said}")),
            }
        }
    };
    vec![
        Case::new(
            "mode-key-0644-ssh",
            "private key 0644, then `redock ssh NAME -- true`",
            works(repaired("id_ed25519", 0o600)),
            |s| {
                s.redock(["start", "--no-ssh", &name("modes")]).success();
                chmod(&s.redock_home().join("id_ed25519"), 0o644);
                Try::new(["ssh", &name("modes"), "--", "true"])
            },
        ),
        Case::new(
            "mode-key-0604-run",
            "private key 0604, then `run`",
            works(repaired("id_ed25519", 0o600)),
            |s| {
                chmod(&s.redock_home().join("id_ed25519"), 0o604);
                Try::new(["run", &name("modes"), "--", "true"])
            },
        ),
        Case::new(
            "mode-home-0777-start",
            "REDOCK_HOME 0777, then `start`",
            works(repaired("", 0o700)),
            |s| {
                chmod(&s.redock_home(), 0o777);
                Try::new(["start", "--no-ssh", &name("modes")])
            },
        ),
        Case::new(
            "mode-ssh-config-0666",
            "REDOCK_HOME/ssh_config 0666, then `start`; plain ssh works",
            works(move |s, out| {
                let said = repaired("ssh_config", 0o644)(s, out)?;
                ssh(s, &s.ssh_config(), "modes-container", &["true"])
                    .map(|_| format!("{said}; ssh modes-container works"))
            }),
            |s| {
                chmod(&s.redock_home().join("ssh_config"), 0o666);
                Try::new(["start", "--no-ssh", &name("modes")])
            },
        ),
        Case::new(
            "mode-known-hosts-0666",
            "REDOCK_HOME/known_hosts 0666, then `run`",
            works(repaired("known_hosts", 0o644)),
            |s| {
                chmod(&s.redock_home().join("known_hosts"), 0o666);
                Try::new(["run", &name("modes"), "--", "true"])
            },
        ),
    ]
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn hostile_names_homes_and_modes_against_the_engine() {
    base_image();
    let mut table = Table::new(
        "2-engine",
        "Names, user configs, homes and modes, against the engine",
    );
    let sandbox = Sandbox::with_own_names();
    write(&sandbox.ssh_config(), "Host *\n  User me\n");
    for case in [tag_rows(), config_rows(), home_rows(), mode_rows()]
        .iter()
        .flatten()
    {
        table.run(&sandbox, &[], case);
    }
    drop(sandbox);
    table.finish();
}

/// Remote names holding every byte a shell, ssh or rsync treats specially,
/// with the marker a name running as a command would make.
const MARKER: &str = "/tmp/pwned";

fn remote_names() -> Vec<Vec<u8>> {
    let mut names: Vec<Vec<u8>> = [
        "sp ace",
        "it's",
        "dq\"uote",
        "back`touch /tmp/pwned`tick",
        "$(touch /tmp/pwned)",
        "${HOME}",
        "$HOME",
        "semi;colon",
        "amp&pipe|",
        "lt<gt>",
        "star*",
        "what?",
        "[x]",
        "~tilde",
        "#hash",
        "!bang",
        "{a,b}",
        "back\\slash",
        "per%cent",
        "new\nline",
        "tab\there",
        "-dash",
        "ünïcode",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    names.push(b"bytes\xff\xfe".to_vec());
    names
}

fn unmarked(id: String) -> impl Fn(&Sandbox, &crate::Out) -> Result<String, String> {
    move |_, _| match docker(&["exec", &id, "test", "-e", MARKER])
        .status
        .success()
    {
        true => Err(format!("{MARKER} exists: a name ran as a command")),
        false => Ok(String::new()),
    }
}

/// The contents of a file in the container, read through docker (not
/// through redock's own quoting). The path travels as printf's octal
/// escapes: docker passes arguments as JSON strings, which cannot hold
/// bytes that are not UTF-8.
fn remote_file(id: &str, path: &[u8]) -> Option<Vec<u8>> {
    let escaped: String = path.iter().map(|b| format!("\\{b:03o}")).collect();
    let out = docker(&[
        "exec",
        id,
        "sh",
        "-c",
        "f=$(printf \"$1\") && cat -- \"$f\"",
        "sh",
        &escaped,
    ]);
    out.status.success().then_some(out.stdout)
}

fn remote_rows(id: &str, local: &Path) -> Vec<Case> {
    let mut rows = Vec::new();
    for (i, raw) in remote_names().into_iter().enumerate() {
        let shown = shown_bytes(&raw);
        let path = [b"/tmp/up/".as_slice(), &raw].concat();
        let contents = [b"contents of ".as_slice(), &raw].concat();
        let (id2, local2) = (id.to_string(), local.join(format!("up{i}")));
        let (path2, contents2) = (path.clone(), contents.clone());
        rows.push(
            Case::new(
                format!("upload-{i:02}"),
                format!("`upload` to `/tmp/up/{shown}`"),
                works(move |_, _| match remote_file(&id2, &path2) {
                    Some(found) if found == contents2 => {
                        Ok("the file holds exactly what was sent".into())
                    }
                    _ => Err("the file is missing or differs".into()),
                }),
                move |_| {
                    write(&local2, &contents);
                    Try::new([
                        OsString::from("upload"),
                        name("remote").into(),
                        local2.clone().into_os_string(),
                        OsStr::from_bytes(&path).to_owned(),
                    ])
                },
            )
            .after(unmarked(id.to_string())),
        );
    }
    for (i, raw) in [
        b"$(touch /tmp/pwned)".as_slice(),
        b"q\"uote",
        b"`touch /tmp/pwned`",
    ]
    .into_iter()
    .enumerate()
    {
        let shown = shown_bytes(raw);
        let dir = [b"/tmp/dirs/".as_slice(), raw].concat();
        let (id2, local2) = (id.to_string(), local.join("dirfile"));
        rows.push(
            Case::new(
                format!("upload-dir-{i}"),
                format!("`upload` onto the existing directory `/tmp/dirs/{shown}`"),
                refused(1, "is a directory"),
                move |_| {
                    let mut mkdir: Vec<OsString> = ["exec", &id2, "mkdir", "-p", "--"]
                        .map(OsString::from)
                        .to_vec();
                    mkdir.push(OsStr::from_bytes(&dir).to_owned());
                    assert!(docker(&mkdir).status.success());
                    write(&local2, "x");
                    Try::new([
                        OsString::from("upload"),
                        name("remote").into(),
                        local2.clone().into_os_string(),
                        OsStr::from_bytes(&dir).to_owned(),
                    ])
                },
            )
            .after(unmarked(id.to_string())),
        );
    }
    let sync_names: Vec<Vec<u8>> = [
        "sp ace",
        "$(touch /tmp/pwned)",
        "dq\"uote",
        "back`tick`",
        "star*",
        "[x]",
        "~tilde",
        "-dash",
        "new\nline",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .chain([b"bytes\xff".to_vec()])
    .collect();
    for (i, raw) in sync_names.into_iter().enumerate() {
        let shown = shown_bytes(&raw);
        let dir = [b"/tmp/sync/".as_slice(), &raw].concat();
        let (id2, local2) = (id.to_string(), local.join(format!("sync{i}")));
        let dir2 = dir.clone();
        rows.push(
            Case::new(
                format!("sync-{i:02}"),
                format!("`sync` to `/tmp/sync/{shown}`"),
                works(move |_, _| {
                    let file = [dir2.as_slice(), b"/file"].concat();
                    match remote_file(&id2, &file) {
                        Some(found) if found == b"synced" => {
                            Ok("the directory holds exactly the files sent".into())
                        }
                        _ => Err("the file is missing or differs".into()),
                    }
                }),
                move |_| {
                    write(&local2.join("file"), "synced");
                    Try::new([
                        OsString::from("sync"),
                        name("remote").into(),
                        local2.clone().into_os_string(),
                        OsStr::from_bytes(&dir).to_owned(),
                    ])
                },
            )
            .after(unmarked(id.to_string())),
        );
    }
    let words: [&[u8]; 7] = [
        b"$(touch /tmp/pwned)",
        b"'\"`",
        b"*",
        b"a\nb",
        b"-n",
        b"",
        b"bytes\xff",
    ];
    for (i, word) in words.into_iter().enumerate() {
        let shown = shown_bytes(word);
        let expected = String::from_utf8_lossy(word).into_owned();
        rows.push(
            Case::new(
                format!("run-{i}"),
                format!("`run NAME -- printf %s '{shown}'`"),
                works(move |_, out| {
                    if out.stdout == expected {
                        Ok("printf got exactly that word".into())
                    } else {
                        Err(format!("printf got {:?}", out.stdout))
                    }
                }),
                move |_| {
                    Try::new([
                        OsString::from("run"),
                        name("remote").into(),
                        "--".into(),
                        "printf".into(),
                        "%s".into(),
                        OsStr::from_bytes(word).to_owned(),
                    ])
                },
            )
            .after(unmarked(id.to_string())),
        );
    }
    rows
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn hostile_remote_paths_against_the_engine() {
    base_image();
    let mut table = Table::new(
        "3-remote",
        "Remote paths and words for upload, sync and run",
    );
    let sandbox = Sandbox::with_own_names();
    sandbox
        .redock(["start", "--no-ssh", &name("remote")])
        .success();
    let id = containers_of(&sandbox, &name("remote"))
        .pop()
        .expect("the container");
    // What a wildcard in a remote path would match instead of itself.
    assert!(
        docker(&["exec", &id, "mkdir", "-p", "/tmp/sync/x", "/tmp/up/x"])
            .status
            .success()
    );
    let local = sandbox.home().join("local");
    for case in remote_rows(&id, &local) {
        table.run(&sandbox, &[], &case);
    }
    let globbed = docker(&["exec", &id, "test", "-e", "/tmp/sync/x/file"])
        .status
        .success();
    sandbox.redock(["kill", &name("remote")]).success();
    drop(sandbox);
    assert!(
        !globbed,
        "a sync landed in /tmp/sync/x: a wildcard was expanded"
    );
    table.finish();
}
