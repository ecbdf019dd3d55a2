//! Round trips of `render` through the installed ssh: for every keyword
//! redock writes and hostile values, either ssh reads back exactly the
//! value (from `ssh -G`, from what ssh logs and runs, from the file an
//! `Include` really reads), or `render` refuses the value for a reason
//! ssh gives.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sshconfig::{render, render_for, ErrorKind, Openssh, Resolver};

use crate::differential::installed_openssh;

/// Hostile pieces of values: spaces, `#`, `%`, quotes, backslashes, glob
/// characters, `=`, `$`, `~`, tabs and bytes that are not UTF-8.
const PIECES: &[&[u8]] = &[
    b"plain",
    b"with space",
    b"#lead",
    b"mid#dle # x",
    b"100%",
    b"%h%%",
    b"dq\"uote",
    b"sq'uote",
    b"both\"'\"",
    b"back\\slash",
    b"end\\",
    b"star*",
    b"[bracket",
    b"x[ab]y",
    b"what?",
    b"=lead",
    b"trail ",
    b"tab\there",
    b"$HOME",
    b"${HOME}",
    b"mid~tilde",
    b"\xff\xfe",
    b"caf\xc3\xa9",
    b"a*b?c[d]e\\f'g\"h#i%j k",
];

/// Values no keyword can take: ssh reads lines, and control characters are
/// refused.
const IMPOSSIBLE: &[&[u8]] = &[
    b"",
    b"new\nline",
    b"carriage\rreturn",
    b"esc\x1b[0m",
    b"nul\0",
];

fn join(dir: &Path, piece: &[u8]) -> Vec<u8> {
    let mut v = dir.as_os_str().as_bytes().to_vec();
    v.push(b'/');
    v.extend_from_slice(piece);
    v
}

fn path_of(bytes: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(bytes))
}

fn show(v: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(v))
}

/// `ssh -G` for host `rt` with `HOME` at `home`: standard output, or the
/// error ssh printed.
fn ssh_g(home: &Path, config: &Path) -> Result<Vec<u8>, String> {
    let out = Command::new("ssh")
        .arg("-G")
        .arg("-F")
        .arg(config)
        .arg("rt")
        .env("HOME", home)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The values `ssh -G` prints for `keyword`.
fn printed(output: &[u8], keyword: &str) -> Vec<Vec<u8>> {
    let prefix = format!("{keyword} ");
    output
        .split(|&b| b == b'\n')
        .filter_map(|l| l.strip_prefix(prefix.as_bytes()))
        .map(<[u8]>::to_vec)
        .collect()
}

/// Writes `Host rt` with `keyword text` (and `extra` lines) and returns
/// the file.
fn config_with(dir: &Path, name: &str, keyword: &str, text: &[u8], extra: &str) -> PathBuf {
    let mut bytes = format!("Host rt\n{extra}  {keyword} ").into_bytes();
    bytes.extend_from_slice(text);
    bytes.push(b'\n');
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

/// What `render` gives for the installed ssh, checked against the
/// release-independent `render`: when that one succeeds, both agree.
fn rendered(version: &Openssh, keyword: &str, value: &[u8]) -> Result<Vec<u8>, sshconfig::Error> {
    let mine = render_for(version, keyword, value);
    if let Ok(portable) = render(keyword, value) {
        assert_eq!(
            mine.as_ref().ok(),
            Some(&portable),
            "{keyword} {}: render and render_for disagree",
            show(value)
        );
    }
    mine
}

/// Checks that `result` is a refusal and that it was expected.
fn refused(result: Result<Vec<u8>, sshconfig::Error>, expected: bool, what: &str) {
    match result {
        Ok(text) => panic!("{what}: rendered as {}, expected a refusal", show(&text)),
        Err(e) => {
            assert!(expected, "{what}: refused unexpectedly: {e}");
            assert!(
                matches!(e.kind(), ErrorKind::Unrepresentable),
                "{what}: {e} ({:?})",
                e.kind()
            );
        }
    }
}

#[test]
fn impossible_values_are_refused_for_every_keyword() {
    let version = installed_openssh();
    for keyword in REDOCK_KEYWORDS {
        for value in IMPOSSIBLE {
            let value = if *keyword == "Include" && !value.is_empty() {
                join(Path::new("/tmp"), value)
            } else {
                value.to_vec()
            };
            let what = format!("{keyword} {}", show(&value));
            refused(rendered(&version, keyword, &value), true, &what);
            refused(render(keyword, &value), true, &what);
        }
    }
}

/// The keywords redock writes.
const REDOCK_KEYWORDS: &[&str] = &[
    "Include",
    "IdentityFile",
    "UserKnownHostsFile",
    "ControlPath",
    "ProxyCommand",
    "HostName",
    "Port",
    "User",
    "HostKeyAlias",
    "ControlMaster",
    "ControlPersist",
    "IdentitiesOnly",
    "StrictHostKeyChecking",
];

#[test]
fn paths_read_back_through_ssh_g() {
    let version = installed_openssh();
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for keyword in ["UserKnownHostsFile", "ControlPath"] {
        for piece in PIECES {
            let value = join(dir.path(), piece);
            let what = format!("{keyword} {}", show(&value));
            let result = rendered(&version, keyword, &value);
            if piece.windows(2).any(|w| w == b"${") {
                refused(result, true, &what);
                continue;
            }
            let text = result.unwrap_or_else(|e| panic!("{what}: {e}"));
            let config = config_with(dir.path(), "config", keyword, &text, "");
            let out = ssh_g(dir.path(), &config).unwrap_or_else(|e| panic!("{what}: {e}"));
            let lower = keyword.to_ascii_lowercase();
            assert_eq!(
                printed(&out, &lower),
                std::slice::from_ref(&value),
                "{what} written as {}",
                show(&text)
            );
            checked += 1;
        }
    }
    assert!(checked >= 40);
}

/// `vis(3)` as ssh's log encodes bytes: `\\` and `\ooo`.
fn unvis(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && s.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if s[i] == b'\\'
            && s.len() >= i + 4
            && s[i + 1..i + 4].iter().all(|b| (b'0'..=b'7').contains(b))
        {
            let v = s[i + 1..i + 4]
                .iter()
                .fold(0u32, |a, d| a * 8 + u32::from(d - b'0'));
            out.push(v as u8);
            i += 4;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn identity_files_are_the_files_ssh_loads() {
    // `ssh -G` prints IdentityFile as written; the file ssh loads (after
    // `~`, `%` and `${}`) is in its log, before it tries to log in.
    let version = installed_openssh();
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for piece in PIECES {
        let value = join(dir.path(), piece);
        let what = format!("IdentityFile {}", show(&value));
        let result = rendered(&version, "IdentityFile", &value);
        if piece.windows(2).any(|w| w == b"${") {
            refused(result, true, &what);
            continue;
        }
        let text = result.unwrap_or_else(|e| panic!("{what}: {e}"));
        let config = config_with(dir.path(), "config", "IdentityFile", &text, "");
        let out = Command::new("ssh")
            .arg("-v")
            .arg("-F")
            .arg(&config)
            .args([
                "-o",
                "ProxyCommand=false",
                "-o",
                "BatchMode=yes",
                "rt",
                "true",
            ])
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let loaded: Vec<Vec<u8>> = out
            .stderr
            .split(|&b| b == b'\n')
            .filter_map(|l| l.strip_prefix(b"debug1: identity file "))
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .filter_map(|l| {
                let cut = l.windows(6).rposition(|w| w == b" type ")?;
                Some(unvis(&l[..cut]))
            })
            .filter(|f| !f.ends_with(b"-cert"))
            .collect();
        assert_eq!(
            loaded,
            std::slice::from_ref(&value),
            "{what} written as {}:\n{}",
            show(&text),
            String::from_utf8_lossy(&out.stderr)
        );
        checked += 1;
    }
    assert!(checked >= 20);
}

#[test]
fn includes_read_exactly_the_named_file() {
    // Each value is a file in a directory of the same hostile name. It sets
    // `SendEnv EXACT`; decoys that a glob reading of the name would match
    // set `SendEnv DECOY`. ssh must read the one file and nothing else.
    let version = installed_openssh();
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for (n, piece) in PIECES.iter().enumerate() {
        let root = dir.path().join(format!("case{n}"));
        let sub = path_of(&join(&root, piece));
        fs::create_dir_all(&sub).unwrap();
        let value = join(&sub, piece);
        fs::write(path_of(&value), "SendEnv EXACT\n").unwrap();
        for decoy in [
            &b"X"[..],
            b"a",
            b"ab",
            b"star",
            b"wha",
            b"whatX",
            b"xay",
            b"x",
            b"[bracket",
        ] {
            let decoy = join(&sub, decoy);
            if decoy != value {
                fs::write(path_of(&decoy), "SendEnv DECOY\n").unwrap();
            }
        }
        let what = format!("Include {}", show(&value));
        let result = rendered(&version, "Include", &value);
        let text = result.unwrap_or_else(|e| panic!("{what}: {e}"));
        let mut config = b"Include ".to_vec();
        config.extend_from_slice(&text);
        config.extend_from_slice(b"\nHost rt\n  Port 2\n");
        let file = root.join("config");
        fs::write(&file, config).unwrap();
        let out = ssh_g(&root, &file).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            printed(&out, "sendenv"),
            [b"EXACT".to_vec()],
            "{what} written as {}",
            show(&text)
        );
        // The release-independent render writes the same text.
        assert_eq!(render("Include", &value).ok(), Some(text), "{what}");
        checked += 1;
    }
    assert!(checked >= 20);
    // A relative path is taken against ~/.ssh: refused.
    refused(render("Include", b"relative/x"), true, "Include relative/x");
}

/// `'…'` for sh, with `'\''` for each quote and `'\\'` for each
/// backslash: a backslash left inside single quotes would, before a quote,
/// escape that quote for ssh's `argv_split()`, which then finds the
/// quotes unbalanced.
fn shell_quote(bytes: &[u8]) -> Vec<u8> {
    let mut out = b"'".to_vec();
    for &b in bytes {
        match b {
            b'\'' => out.extend_from_slice(b"'\\''"),
            b'\\' => out.extend_from_slice(b"'\\\\'"),
            _ => out.push(b),
        }
    }
    out.push(b'\'');
    out
}

#[test]
fn proxy_commands_run_exactly_the_command() {
    // The command line is a program at a hostile path (like the engine's
    // command line inside redock's ProxyCommand), with hostile arguments.
    // ssh must run what sh runs for the value itself; the program writes
    // its arguments down.
    let version = installed_openssh();
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for (n, piece) in PIECES.iter().enumerate() {
        let bin = path_of(&join(dir.path(), piece));
        fs::create_dir_all(&bin).unwrap();
        let program = bin.join("engine");
        let record = dir.path().join(format!("record{n}"));
        fs::write(
            &program,
            format!(
                "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{}'\n",
                record.display()
            ),
        )
        .unwrap();
        // sh reads the program rather than executing it: executing a file
        // just written fails with ETXTBSY when another test thread forked
        // while it was open for writing.
        let mut value = b"/bin/sh ".to_vec();
        value.extend_from_slice(&shell_quote(program.as_os_str().as_bytes()));
        value.extend_from_slice(b" exec -i ");
        value.extend_from_slice(&shell_quote(piece));
        value.extend_from_slice(b" 100% \"%h\"");
        let what = format!("ProxyCommand {}", show(&value));
        let text =
            rendered(&version, "ProxyCommand", &value).unwrap_or_else(|e| panic!("{what}: {e}"));
        // What sh does with the value itself.
        let direct = Command::new("/bin/sh")
            .arg("-c")
            .arg(OsStr::from_bytes(&[b"exec ", &value[..]].concat()))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            direct.status.success(),
            "{what}: sh failed: {}",
            String::from_utf8_lossy(&direct.stderr)
        );
        let expected = fs::read(&record).unwrap();
        fs::remove_file(&record).unwrap();
        // What ssh runs.
        let config = config_with(dir.path(), "config", "ProxyCommand", &text, "");
        let out = ssh_g(dir.path(), &config).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            printed(&out, "proxycommand"),
            std::slice::from_ref(&text),
            "{what}"
        );
        let _ = Command::new("ssh")
            .arg("-F")
            .arg(&config)
            .args(["-o", "BatchMode=yes", "rt", "true"])
            .env("HOME", dir.path())
            .env("SHELL", "/bin/sh")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        let ran = fs::read(&record).unwrap_or_else(|e| panic!("{what}: ssh ran nothing: {e}"));
        assert_eq!(
            String::from_utf8_lossy(&ran),
            String::from_utf8_lossy(&expected),
            "{what} written as {}",
            show(&text)
        );
        checked += 1;
    }
    assert!(checked >= 20);
    // Quotes argv_split cannot balance make ssh reject the line: a word
    // that ends with a backslash in plain single quotes is one.
    refused(render("ProxyCommand", b"sh -c 'a\\'"), true, "unbalanced");
    refused(
        render("ProxyCommand", b"/bin/engine 'end\\' x"),
        true,
        "unbalanced",
    );
    refused(render("ProxyCommand", b" leading"), true, "leading space");
}

#[test]
fn words_read_back_through_ssh_g() {
    let version = installed_openssh();
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for keyword in ["HostName", "User", "HostKeyAlias"] {
        for piece in PIECES {
            let what = format!("{keyword} {}", show(piece));
            let result = rendered(&version, keyword, piece);
            let lower = keyword.to_ascii_lowercase();
            let upper = piece.iter().any(u8::is_ascii_uppercase);
            let utf8 = std::str::from_utf8(piece).is_ok();
            let env = piece.windows(2).any(|w| w == b"${");
            let expected_refusal = match keyword {
                "HostName" => upper || !utf8,
                "HostKeyAlias" => upper,
                _ if version.major() >= 10 => {
                    env || (piece.contains(&b'%')
                        && piece.iter().any(|b| b"'`\";&<>|(){}".contains(b)))
                }
                _ => false,
            };
            if expected_refusal {
                refused(result, true, &what);
                continue;
            }
            let text = result.unwrap_or_else(|e| panic!("{what}: {e}"));
            let config = config_with(dir.path(), "config", keyword, &text, "");
            let out = ssh_g(dir.path(), &config).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(
                printed(&out, &lower),
                [piece.to_vec()],
                "{what} written as {}",
                show(&text)
            );
            checked += 1;
        }
    }
    assert!(checked >= 45);
    // Upper case and address spellings ssh rewrites are refused.
    refused(render("HostName", b"010.1"), true, "HostName 010.1");
    refused(render("HostName", b"Web"), true, "HostName Web");
}

#[test]
fn settings_take_only_values_ssh_accepts() {
    let version = installed_openssh();
    let dir = tempfile::tempdir().unwrap();
    let valid: &[(&str, &[&str])] = &[
        ("Port", &["22", "2222", "65535"]),
        (
            "ControlMaster",
            &["auto", "no", "yes", "ask", "autoask", "AUTO"],
        ),
        ("ControlPersist", &["yes", "no", "10m", "0", "1h30m"]),
        ("IdentitiesOnly", &["yes", "no", "true", "False"]),
        (
            "StrictHostKeyChecking",
            &["yes", "no", "accept-new", "ask", "off"],
        ),
    ];
    for (keyword, values) in valid {
        for value in *values {
            let what = format!("{keyword} {value}");
            let text = rendered(&version, keyword, value.as_bytes())
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(text, value.as_bytes());
            let config = config_with(dir.path(), "config", keyword, &text, "");
            let out = ssh_g(dir.path(), &config).unwrap_or_else(|e| panic!("{what}: {e}"));
            // ssh prints the setting as the resolver says it does.
            let lower = keyword.to_ascii_lowercase();
            let resolved = Resolver::new()
                .openssh(version.clone())
                .config_file(&config)
                .resolve("rt")
                .unwrap();
            let expected: Vec<Vec<u8>> = resolved
                .get_all(&lower)
                .iter()
                .map(|v| v.as_bytes().to_vec())
                .collect();
            assert_eq!(printed(&out, &lower), expected, "{what}");
        }
        let more: &[&[u8]] = if *keyword == "Port" {
            &[b"0", b"99999", b"+22", b"022", b"ssh"]
        } else {
            &[b"maybe", b"10x"]
        };
        for piece in PIECES.iter().chain(more) {
            if values.contains(&String::from_utf8_lossy(piece).as_ref()) {
                continue;
            }
            let what = format!("{keyword} {}", show(piece));
            let result = rendered(&version, keyword, piece);
            // ssh rejects what render refuses.
            let config = config_with(dir.path(), "config", keyword, &crate_quote(piece), "");
            let accepted = ssh_g(dir.path(), &config).is_ok();
            match result {
                Ok(text) => panic!(
                    "{what}: rendered as {} (ssh accepts: {accepted})",
                    show(&text)
                ),
                Err(e) => assert!(
                    !accepted || matches!(*keyword, "Port" | "ControlPersist"),
                    "{what}: ssh accepts it, render refuses: {e}"
                ),
            }
        }
    }
}

/// The value as one argument, whatever it is.
fn crate_quote(value: &[u8]) -> Vec<u8> {
    if value.is_empty() {
        return b"\"\"".to_vec();
    }
    sshconfig::quote_argument(value)
}
