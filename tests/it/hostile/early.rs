//! Rows refused before the engine is touched: names, host names, numbers,
//! the user's ssh config path, REDOCK_HOME and the engine CLI path. Each
//! runs in a sandbox of its own with a user config and a docker that notes
//! any call in a file under HOME.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{
    bytes, char_device, join_bytes, mkfifo, refused, socket, symlink, write, Case, Table, Try,
};
use crate::Sandbox;

/// A row that runs `args` as they are.
fn args(id: &str, input: &str, argv: &[&str], code: i32, text: &'static str) -> Case {
    let argv: Vec<String> = argv.iter().map(|a| a.to_string()).collect();
    Case::new(id, input, refused(code, text), move |_| Try::new(&argv))
}

/// `start --no-ssh web` with `--ssh-config` set to what `path` makes.
fn config(
    id: &str,
    input: &str,
    text: &'static str,
    path: impl Fn(&Sandbox) -> PathBuf + 'static,
) -> Case {
    Case::new(id, input, refused(1, text), move |s| {
        let path = path(s);
        Try::new([
            "start".into(),
            "--no-ssh".into(),
            "--ssh-config".into(),
            path.into_os_string(),
            "web".into(),
        ])
    })
}

/// `start --no-ssh web` with REDOCK_HOME set to what `home` makes.
fn home(
    id: &str,
    input: &str,
    text: &'static str,
    home: impl Fn(&Sandbox) -> PathBuf + 'static,
) -> Case {
    Case::new(id, input, refused(1, text), move |s| {
        Try::new(["start", "--no-ssh", "web"]).env("REDOCK_HOME", home(s))
    })
}

/// `start --no-ssh web` after `prepare` made REDOCK_HOME hold something.
fn in_home(id: &str, input: &str, text: &'static str, prepare: impl Fn(&Path) + 'static) -> Case {
    Case::new(id, input, refused(1, text), move |s| {
        std::fs::create_dir_all(s.redock_home()).unwrap();
        prepare(&s.redock_home());
        Try::new(["start", "--no-ssh", "web"])
    })
}

/// A REDOCK_HOME with a key pair, a state file, Host blocks and pinned
/// keys, as a used one has.
fn used_home(dir: &Path) {
    write(
        &dir.join("id_ed25519"),
        "-----BEGIN OPENSSH PRIVATE KEY-----\n",
    );
    write(
        &dir.join("id_ed25519.pub"),
        "ssh-ed25519 AAAA redock@test\n",
    );
    write(
        &dir.join("state.json"),
        "{\"version\": 1, \"containers\": {}}\n",
    );
    write(
        &dir.join("ssh_config"),
        "Host web-container\n  HostName 127.0.0.1\n",
    );
    write(&dir.join("known_hosts"), "web-container ssh-ed25519 AAAA\n");
    write(&dir.join("lock"), "");
    super::chmod(&dir.join("id_ed25519"), 0o600);
}

fn names() -> Vec<Case> {
    let long_tag = format!("redock:{}", "t".repeat(129));
    vec![
        args(
            "name-empty",
            "an empty NAME",
            &["start", ""],
            1,
            "invalid name",
        ),
        args(
            "name-upper",
            "repository with capitals `Web:x`",
            &["start", "Web:x"],
            1,
            "invalid name",
        ),
        args("name-space", "`a b`", &["start", "a b"], 1, "invalid name"),
        args(
            "name-no-tag",
            "`web:`",
            &["start", "web:"],
            1,
            "invalid name",
        ),
        args(
            "name-no-repo",
            "`:web`",
            &["start", ":web"],
            1,
            "invalid name",
        ),
        args(
            "name-two-colons",
            "`alice:web:x`",
            &["start", "alice:web:x"],
            1,
            "invalid name",
        ),
        args(
            "name-newline",
            "a tag ending in a newline",
            &["start", "web\n"],
            1,
            "invalid name",
        ),
        args(
            "name-subst",
            "`$(touch pwned)`",
            &["start", "$(touch pwned)"],
            1,
            "invalid name",
        ),
        args(
            "name-semicolon",
            "`web;id`",
            &["start", "web;id"],
            1,
            "invalid name",
        ),
        args(
            "name-dotdot",
            "`../etc:x`",
            &["start", "../etc:x"],
            1,
            "invalid name",
        ),
        args(
            "name-dash",
            "a NAME starting with `-` (after `--`)",
            &["start", "--", "-web"],
            1,
            "invalid name",
        ),
        args(
            "name-hash",
            "`web#x`",
            &["start", "web#x"],
            1,
            "invalid name",
        ),
        args(
            "name-percent",
            "`web%h`",
            &["start", "web%h"],
            1,
            "invalid name",
        ),
        args("name-star", "`web*`", &["start", "web*"], 1, "invalid name"),
        args(
            "name-bracket",
            "`web[1]`",
            &["start", "web[1]"],
            1,
            "invalid name",
        ),
        args(
            "name-quote",
            "`we'b`",
            &["start", "we'b"],
            1,
            "invalid name",
        ),
        args(
            "name-dquote",
            "`we\"b`",
            &["start", "we\"b"],
            1,
            "invalid name",
        ),
        args(
            "name-backquote",
            "``we`b``",
            &["start", "we`b"],
            1,
            "invalid name",
        ),
        args(
            "name-brace",
            "`${HOME}`",
            &["start", "${HOME}"],
            1,
            "invalid name",
        ),
        Case::new(
            "name-not-utf8",
            "a NAME with the byte 0xff",
            refused(2, "UTF-8"),
            |_| Try::new([OsString::from("start"), bytes(b"web\xff")]),
        ),
        Case::new(
            "name-tag-129",
            "a tag of 129 characters",
            refused(1, "longer than 128"),
            move |_| Try::new(["start", long_tag.as_str()]),
        ),
        args(
            "name-good-then-bad-start",
            "`start good Bad:x`: nothing starts",
            &["start", "--no-ssh", "good", "Bad:x"],
            1,
            "invalid name",
        ),
        args(
            "name-good-then-bad-kill",
            "`kill good Bad:x`",
            &["kill", "good", "Bad:x"],
            1,
            "invalid name",
        ),
        args(
            "name-good-then-bad-commit",
            "`commit good Bad:x`",
            &["commit", "good", "Bad:x"],
            1,
            "invalid name",
        ),
        args(
            "name-good-then-bad-delete",
            "`delete good Bad:x`",
            &["delete", "good", "Bad:x"],
            1,
            "invalid name",
        ),
        args(
            "name-status",
            "`status Bad:x`",
            &["status", "Bad:x"],
            1,
            "invalid name",
        ),
        args(
            "name-ssh",
            "`ssh Bad:x`",
            &["ssh", "Bad:x"],
            1,
            "invalid name",
        ),
        args(
            "name-run",
            "`run Bad:x -- true`",
            &["run", "Bad:x", "--", "true"],
            1,
            "invalid name",
        ),
        args(
            "name-upload",
            "`upload Bad:x a b`",
            &["upload", "Bad:x", "a", "b"],
            1,
            "invalid name",
        ),
        args(
            "name-slug-empty",
            "tag `___`, whose slug is empty, without -n",
            &["start", "--no-ssh", "redock:___"],
            1,
            "no host name",
        ),
        args(
            "name-slug-empty-second",
            "`start good redock:___`: nothing starts",
            &["start", "--no-ssh", "good", "redock:___"],
            1,
            "no host name",
        ),
        args(
            "name-same-alias",
            "`start redock:a_b redock:a-b` (one alias for two NAMEs)",
            &["start", "--no-ssh", "redock:a_b", "redock:a-b"],
            1,
            "a-b-container",
        ),
    ]
}

fn hostnames() -> Vec<Case> {
    let long_label = "h".repeat(64);
    let long_name = [
        "h".repeat(63),
        "h".repeat(63),
        "h".repeat(63),
        "h".repeat(63),
    ]
    .join(".");
    vec![
        args(
            "host-underscore",
            "`-n under_score`",
            &["start", "-n", "under_score", "web"],
            1,
            "invalid host name",
        ),
        args(
            "host-dash",
            "`-n -dash`",
            &["start", "--hostname=-dash", "web"],
            1,
            "invalid host name",
        ),
        args(
            "host-dots",
            "`-n a..b`",
            &["start", "-n", "a..b", "web"],
            1,
            "invalid host name",
        ),
        Case::new(
            "host-64",
            "`-n` with a label of 64 characters",
            refused(1, "invalid host name"),
            move |_| Try::new(["start", "-n", long_label.as_str(), "web"]),
        ),
        Case::new(
            "host-255",
            "`-n` of 255 characters",
            refused(1, "invalid host name"),
            move |_| Try::new(["start", "-n", long_name.as_str(), "web"]),
        ),
        args(
            "host-empty",
            "`-n ''`",
            &["start", "-n", "", "web"],
            1,
            "invalid host name",
        ),
        args(
            "host-space",
            "`-n 'a b'`",
            &["start", "-n", "a b", "web"],
            1,
            "invalid host name",
        ),
        args(
            "host-newline",
            "`-n` with a newline",
            &["start", "-n", "a\nb", "web"],
            1,
            "invalid host name",
        ),
        args(
            "host-subst",
            "`-n '$(id)'`",
            &["start", "-n", "$(id)", "web"],
            1,
            "invalid host name",
        ),
        args(
            "host-unicode",
            "`-n é`",
            &["start", "-n", "é", "web"],
            1,
            "invalid host name",
        ),
        args(
            "host-star",
            "`-n '*'`",
            &["start", "-n", "*", "web"],
            1,
            "invalid host name",
        ),
        args(
            "host-percent",
            "`-n a%h`",
            &["start", "-n", "a%h", "web"],
            1,
            "invalid host name",
        ),
        args(
            "host-two-names",
            "`-n x a b`",
            &["start", "-n", "x", "a", "b"],
            1,
            "one host name",
        ),
        Case::new(
            "host-not-utf8",
            "`-n` with the byte 0xff",
            refused(2, "UTF-8"),
            |_| {
                Try::new([
                    OsString::from("start"),
                    "-n".into(),
                    bytes(b"a\xff"),
                    "web".into(),
                ])
            },
        ),
    ]
}

fn numbers() -> Vec<Case> {
    let timeout = |id: &str, value: &str| {
        args(
            id,
            &format!("`--timeout {value}`"),
            &["start", &format!("--timeout={value}"), "web"],
            2,
            "--timeout",
        )
    };
    let mode = |id: &str, value: &str| {
        args(
            id,
            &format!("`upload --mode {value}`"),
            &["upload", &format!("--mode={value}"), "web", "a", "b"],
            2,
            "--mode",
        )
    };
    vec![
        timeout("timeout-1e300", "1e300"),
        timeout("timeout-1e19", "1e19"),
        timeout("timeout-nan", "NaN"),
        timeout("timeout-inf", "inf"),
        timeout("timeout-minus-inf", "-inf"),
        timeout("timeout-negative", "-1"),
        timeout("timeout-zero", "0"),
        timeout("timeout-empty", ""),
        timeout("timeout-unit", "10s"),
        timeout("timeout-hex", "0x10"),
        timeout("timeout-above", "3601"),
        timeout("timeout-tiny", "1e-9"),
        mode("mode-eight", "8"),
        mode("mode-too-big", "17777"),
        mode("mode-negative", "-1"),
        mode("mode-letters", "rwx"),
        mode("mode-empty", ""),
        mode("mode-huge", "99999999999999999999"),
    ]
}

fn config_paths() -> Vec<Case> {
    vec![
        config(
            "config-device",
            "`--ssh-config` a character device (like /dev/null)",
            "not a regular file",
            |s| char_device(&s.home().join("null")),
        ),
        config(
            "config-fifo",
            "`--ssh-config` a FIFO",
            "not a regular file",
            |s| {
                let p = s.home().join("fifo");
                mkfifo(&p);
                p
            },
        ),
        config(
            "config-dir",
            "`--ssh-config` a directory",
            "not a regular file",
            |s| s.home().join(".ssh"),
        ),
        config(
            "config-socket",
            "`--ssh-config` a socket",
            "not a regular file",
            |s| {
                let p = s.home().join("sock");
                socket(&p);
                p
            },
        ),
        config(
            "config-loop",
            "`--ssh-config` a symlink loop",
            "symbolic links",
            |s| {
                let (a, b) = (s.home().join("a"), s.home().join("b"));
                symlink(&b, &a);
                symlink(&a, &b);
                a
            },
        ),
        config(
            "config-self-link",
            "`--ssh-config` a symlink to itself",
            "symbolic links",
            |s| {
                let a = s.home().join("self");
                symlink(&a, &a);
                a
            },
        ),
        config(
            "config-link-dir",
            "`--ssh-config` a symlink to a directory",
            "not a regular file",
            |s| {
                let a = s.home().join("link");
                symlink(s.home().join(".ssh"), &a);
                a
            },
        ),
        config(
            "config-link-fifo",
            "`--ssh-config` a symlink to a FIFO",
            "not a regular file",
            |s| {
                let fifo = s.home().join("fifo");
                mkfifo(&fifo);
                let a = s.home().join("link");
                symlink(&fifo, &a);
                a
            },
        ),
        config(
            "config-link-device",
            "`--ssh-config` a symlink to a character device",
            "not a regular file",
            |s| {
                let dev = char_device(&s.home().join("null"));
                let a = s.home().join("link");
                symlink(dev, &a);
                a
            },
        ),
        config(
            "config-under-file",
            "`--ssh-config` below a regular file (`~/.ssh/config/x`)",
            "not a directory",
            |s| s.ssh_config().join("x"),
        ),
        config(
            "config-dangling-under-file",
            "`--ssh-config` a dangling symlink into a regular file's child",
            "not a directory",
            |s| {
                let a = s.home().join("link");
                symlink(s.ssh_config().join("x"), &a);
                a
            },
        ),
        Case::new(
            "config-empty",
            "`--ssh-config ''`",
            refused(2, "--ssh-config"),
            |_| Try::new(["start", "--no-ssh", "--ssh-config", "", "web"]),
        ),
        Case::new(
            "config-env-fifo",
            "`REDOCK_SSH_CONFIG` a FIFO",
            refused(1, "not a regular file"),
            |s| {
                let p = s.home().join("fifo");
                mkfifo(&p);
                Try::new(["start", "--no-ssh", "web"]).env("REDOCK_SSH_CONFIG", p)
            },
        ),
        Case::new(
            "config-default-fifo",
            "`~/.ssh/config` a FIFO (no option, no variable)",
            refused(1, "not a regular file"),
            |s| {
                std::fs::remove_file(s.ssh_config()).unwrap();
                mkfifo(&s.ssh_config());
                Try::new(["start", "--no-ssh", "web"]).env_remove("REDOCK_SSH_CONFIG")
            },
        ),
        Case::new(
            "config-default-dir",
            "`~/.ssh/config` a directory",
            refused(1, "not a regular file"),
            |s| {
                std::fs::remove_file(s.ssh_config()).unwrap();
                std::fs::create_dir(s.ssh_config()).unwrap();
                Try::new(["start", "--no-ssh", "web"]).env_remove("REDOCK_SSH_CONFIG")
            },
        ),
        Case::new(
            "config-fifo-kill",
            "`kill web` with `--ssh-config` a FIFO",
            refused(1, "not a regular file"),
            |s| {
                let p = s.home().join("fifo");
                mkfifo(&p);
                Try::new([
                    "kill".into(),
                    "--ssh-config".into(),
                    p.into_os_string(),
                    "web".into(),
                ])
            },
        ),
        Case::new(
            "config-fifo-status",
            "`status` with `--ssh-config` a FIFO",
            refused(1, "not a regular file"),
            |s| {
                let p = s.home().join("fifo");
                mkfifo(&p);
                Try::new(["status".into(), "--ssh-config".into(), p.into_os_string()])
            },
        ),
        Case::new(
            "config-fifo-ssh",
            "`ssh web` with `--ssh-config` a FIFO",
            refused(1, "not a regular file"),
            |s| {
                let p = s.home().join("fifo");
                mkfifo(&p);
                Try::new([
                    "ssh".into(),
                    "--ssh-config".into(),
                    p.into_os_string(),
                    "web".into(),
                ])
            },
        ),
    ]
}

fn own_files() -> Vec<Case> {
    let own = |id: &str, input: &str, file: &'static str| {
        config(id, input, "redock's own", move |s| {
            used_home(&s.redock_home());
            s.redock_home().join(file)
        })
    };
    vec![
        own(
            "own-ssh-config",
            "`--ssh-config REDOCK_HOME/ssh_config`",
            "ssh_config",
        ),
        own(
            "own-private-key",
            "`--ssh-config REDOCK_HOME/id_ed25519`",
            "id_ed25519",
        ),
        own(
            "own-public-key",
            "`--ssh-config REDOCK_HOME/id_ed25519.pub`",
            "id_ed25519.pub",
        ),
        own(
            "own-known-hosts",
            "`--ssh-config REDOCK_HOME/known_hosts`",
            "known_hosts",
        ),
        own(
            "own-state",
            "`--ssh-config REDOCK_HOME/state.json`",
            "state.json",
        ),
        own("own-lock", "`--ssh-config REDOCK_HOME/lock`", "lock"),
        own(
            "own-new-file",
            "`--ssh-config` a new file under REDOCK_HOME",
            "new-config",
        ),
        config(
            "own-link",
            "`--ssh-config` a symlink to REDOCK_HOME/ssh_config",
            "redock's own",
            |s| {
                used_home(&s.redock_home());
                let link = s.home().join(".ssh").join("redock-link");
                symlink(s.redock_home().join("ssh_config"), &link);
                link
            },
        ),
        config(
            "own-dotdot",
            "`--ssh-config ~/.ssh/../.redock/ssh_config`",
            "redock's own",
            |s| {
                used_home(&s.redock_home());
                s.home().join(".ssh/../.redock/ssh_config")
            },
        ),
        Case::new(
            "own-via-real-path",
            "REDOCK_HOME a symlink, `--ssh-config` its real path's ssh_config",
            refused(1, "redock's own"),
            |s| {
                let real = s.home().join("real-home");
                used_home(&real);
                let link = s.home().join("link-home");
                symlink(&real, &link);
                Try::new([
                    "start".into(),
                    "--no-ssh".into(),
                    "--ssh-config".into(),
                    real.join("ssh_config").into_os_string(),
                    "web".into(),
                ])
                .env("REDOCK_HOME", link)
            },
        ),
        Case::new(
            "own-home-is-ssh-dir",
            "REDOCK_HOME=~/.ssh, so ~/.ssh/config is under it",
            refused(1, "redock's own"),
            |s| {
                Try::new(["start", "--no-ssh", "web"])
                    .env("REDOCK_HOME", s.home().join(".ssh"))
                    .env_remove("REDOCK_SSH_CONFIG")
            },
        ),
        Case::new(
            "own-home-is-home",
            "REDOCK_HOME=$HOME",
            refused(1, "redock's own"),
            |s| Try::new(["start", "--no-ssh", "web"]).env("REDOCK_HOME", s.home()),
        ),
    ]
}

fn homes() -> Vec<Case> {
    vec![
        home(
            "home-file",
            "REDOCK_HOME a regular file",
            "not a directory",
            |s| {
                let p = s.home().join("file");
                write(&p, "x");
                p
            },
        ),
        home("home-fifo", "REDOCK_HOME a FIFO", "not a directory", |s| {
            let p = s.home().join("fifo");
            mkfifo(&p);
            p
        }),
        home(
            "home-device",
            "REDOCK_HOME a character device",
            "not a directory",
            |s| char_device(&s.home().join("null")),
        ),
        home(
            "home-loop",
            "REDOCK_HOME a symlink loop",
            "symbolic links",
            |s| {
                let (a, b) = (s.home().join("a"), s.home().join("b"));
                symlink(&b, &a);
                symlink(&a, &b);
                a
            },
        ),
        home(
            "home-under-file",
            "REDOCK_HOME below a regular file",
            "not a directory",
            |s| {
                let p = s.home().join("file");
                write(&p, "x");
                p.join("home")
            },
        ),
        home(
            "home-newline",
            "REDOCK_HOME with a newline",
            "control character",
            |s| s.home().join("a\nInclude /tmp/evil"),
        ),
        home(
            "home-tab",
            "REDOCK_HOME with a tab",
            "control character",
            |s| s.home().join("a\tb"),
        ),
        home(
            "home-escape",
            "REDOCK_HOME with ESC",
            "control character",
            |s| s.home().join("a\x1b[31mb"),
        ),
        home(
            "home-del",
            "REDOCK_HOME with DEL",
            "control character",
            |s| s.home().join("a\x7fb"),
        ),
        home(
            "home-env-brace",
            "REDOCK_HOME with `${` (ssh expands it in IdentityFile, with no escape)",
            "${",
            |s| s.home().join("home${HOME}"),
        ),
        home(
            "home-not-utf8",
            "REDOCK_HOME with the byte 0xff",
            "UTF-8",
            |s| join_bytes(s.home(), b"home\xff"),
        ),
        in_home(
            "home-state-fifo",
            "REDOCK_HOME/state.json a FIFO",
            "not a regular file",
            |d| mkfifo(&d.join("state.json")),
        ),
        in_home(
            "home-state-dir",
            "REDOCK_HOME/state.json a directory",
            "not a regular file",
            |d| std::fs::create_dir(d.join("state.json")).unwrap(),
        ),
        in_home(
            "home-key-dir",
            "REDOCK_HOME/id_ed25519 a directory",
            "not a regular file",
            |d| std::fs::create_dir(d.join("id_ed25519")).unwrap(),
        ),
        in_home(
            "home-key-fifo",
            "REDOCK_HOME/id_ed25519 a FIFO",
            "not a regular file",
            |d| mkfifo(&d.join("id_ed25519")),
        ),
        in_home(
            "home-pub-device",
            "REDOCK_HOME/id_ed25519.pub a character device",
            "not a regular file",
            |d| {
                let _ = char_device(&d.join("id_ed25519.pub"));
                if !d.join("id_ed25519.pub").exists() {
                    symlink("/dev/null", d.join("id_ed25519.pub"));
                }
            },
        ),
        in_home(
            "home-ssh-config-fifo",
            "REDOCK_HOME/ssh_config a FIFO",
            "not a regular file",
            |d| mkfifo(&d.join("ssh_config")),
        ),
        in_home(
            "home-known-hosts-fifo",
            "REDOCK_HOME/known_hosts a FIFO",
            "not a regular file",
            |d| mkfifo(&d.join("known_hosts")),
        ),
        in_home(
            "home-lock-fifo",
            "REDOCK_HOME/lock a FIFO",
            "not a regular file",
            |d| mkfifo(&d.join("lock")),
        ),
        in_home(
            "home-key-loop",
            "REDOCK_HOME/id_ed25519 a symlink loop",
            "symbolic links",
            |d| symlink(d.join("id_ed25519"), d.join("id_ed25519")),
        ),
        Case::new(
            "engine-path-newline",
            "REDOCK_DOCKER a path with a newline",
            refused(1, "control character"),
            |s| {
                let p = s.home().join("bin/dock\ner");
                write(&p, "#!/bin/sh\nexit 1\n");
                super::chmod(&p, 0o755);
                Try::new(["start", "--no-ssh", "web"]).env("REDOCK_DOCKER", p)
            },
        ),
    ]
}

fn other_homes() -> Vec<Case> {
    vec![Case::new(
        "home-alias-taken",
        "a second REDOCK_HOME for the same user config and NAME",
        refused(1, "first-home"),
        |s| {
            let first = s.home().join("first-home");
            used_home(&first);
            write(
                &first.join("ssh_config"),
                "Host web-container\n  HostName 127.0.0.1\n  Port 2222\n",
            );
            write(
                &s.ssh_config(),
                format!(
                    "Include {}/ssh_config\nHost *\n  User me\n",
                    first.display()
                ),
            );
            Try::new(["start", "--no-ssh", "web"]).env("USER", "x")
        },
    )]
}

/// A sandbox with a user config and a docker that notes any call under
/// HOME; the path of that docker.
fn sandbox() -> (Sandbox, PathBuf) {
    let sandbox = Sandbox::new();
    write(&sandbox.ssh_config(), "Host *\n  User me\n");
    let docker = sandbox.home().join("bin").join("docker");
    write(
        &docker,
        "#!/bin/sh\necho \"$@\" >>\"$0.calls\"\necho 'the engine was called' >&2\nexit 1\n",
    );
    super::chmod(&docker, 0o755);
    (sandbox, docker)
}

#[test]
fn hostile_input_refused_early() {
    let mut table = Table::new("1-early", "Refused before the engine is touched");
    let cases = [
        names(),
        hostnames(),
        numbers(),
        config_paths(),
        own_files(),
        homes(),
        other_homes(),
    ];
    for case in cases.iter().flatten() {
        let (sandbox, docker) = sandbox();
        table.run(
            &sandbox,
            &[("REDOCK_DOCKER", docker.into_os_string())],
            case,
        );
    }
    table.finish();
}
