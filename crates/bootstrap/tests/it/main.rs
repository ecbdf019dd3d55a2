//! End-to-end tests of `Bootstrap` against a fake `ssh` that runs the remote
//! command line locally through `sh -c`, the way sshd hands it to a login
//! shell. No network and no container are needed.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use bootstrap::{Bootstrap, ErrorKind, PackageManager};

/// A temporary directory holding a fake `ssh`, which appends each argument
/// vector it gets to `ssh.log`, one argument a line and a blank line after.
struct FakeHost {
    dir: tempfile::TempDir,
}

const FAKE_SSH: &str = r#"#!/bin/sh
# Records its arguments, then does what ssh and sshd would do with them:
# skip the client options, take the host, join the remaining words with
# spaces and give that line to a shell.
log=__LOG__
for arg in "$@"; do printf '%s\n' "$arg" >>"$log"; done
echo >>"$log"
while [ $# -gt 0 ]; do
    case $1 in
        -F|-o|-l|-p|-i) shift 2 ;;
        -t|-T|-n|-q) shift ;;
        --) shift; break ;;
        -*) echo "fake ssh: unknown option $1" >&2; exit 255 ;;
        *) break ;;
    esac
done
shift
exec /bin/sh -c "$*"
"#;

/// Writes an executable script. A child process writes it, because a file
/// this test process held open for writing could be inherited by a process
/// another test thread forks at that moment, and running the script would
/// then fail with "text file busy".
fn write_script(path: &Path, text: &str) {
    let status = Command::new("/bin/sh")
        .args([
            "-c",
            "printf '%s' \"$1\" >\"$2\" && chmod 755 \"$2\"",
            "sh",
            text,
        ])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

impl FakeHost {
    fn new() -> FakeHost {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("ssh.log");
        let script = FAKE_SSH.replace("__LOG__", &format!("'{}'", log.display()));
        let ssh = dir.path().join("ssh");
        write_script(&ssh, &script);
        FakeHost { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn bootstrap(&self) -> Bootstrap {
        Bootstrap::new("web-container", Some(self.path("ssh_config")))
            .unwrap()
            .with_ssh_program(self.path("ssh"))
            .show_output(false)
    }

    /// Every argument vector the fake ssh was called with.
    fn calls(&self) -> Vec<Vec<String>> {
        let log = fs::read_to_string(self.path("ssh.log")).unwrap_or_default();
        log.split_terminator("\n\n")
            .map(|call| call.lines().map(str::to_owned).collect())
            .collect()
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn execute_passes_arguments_and_input_exactly() {
    let host = FakeHost::new();
    let out = host.path("out");
    let tricky = "it's \"$(echo pwned)\" `id` *\n-n ñ";
    host.bootstrap()
        .execute(
            &[
                "sh",
                "-c",
                "printf '%s|' \"$@\" >\"$0\"; cat >>\"$0\"",
                path_str(&out),
                tricky,
                "",
            ],
            Some(b"from stdin\0binary\xff"),
        )
        .unwrap();
    let mut expected = format!("{tricky}||").into_bytes();
    expected.extend_from_slice(b"from stdin\0binary\xff");
    assert_eq!(fs::read(&out).unwrap(), expected);

    let calls = host.calls();
    assert_eq!(calls.len(), 1);
    let config = host.path("ssh_config");
    assert_eq!(
        calls[0][..5],
        ["-F", path_str(&config), "-T", "--", "web-container"]
    );
}

#[test]
fn execute_failure_carries_code_and_stderr_tail() {
    let host = FakeHost::new();
    let error = host
        .bootstrap()
        .execute(
            &[
                "sh",
                "-c",
                "i=0; while [ $i -lt 30 ]; do echo line $i >&2; i=$((i+1)); done; exit 7",
            ],
            Some(b""),
        )
        .unwrap_err();
    let ErrorKind::ExternalCommandFailed {
        command,
        code,
        stderr_tail,
        ..
    } = error.kind()
    else {
        panic!("unexpected error {error:?}");
    };
    assert_eq!(*code, Some(7));
    assert_eq!(error.exit_code(), Some(7));
    let expected: Vec<String> = (10..30).map(|i| format!("line {i}")).collect();
    assert_eq!(stderr_tail, &expected.join("\n"));
    assert!(command.contains(" -T -- web-container "), "{command}");
    let message = error.to_string();
    assert!(
        message.starts_with("process didn't exit successfully: `"),
        "{message}"
    );
    assert!(
        message.contains("(exit status: 7)\n--- stderr\nline 10\n"),
        "{message}"
    );
}

#[test]
fn run_returns_the_exit_code() {
    let host = FakeHost::new();
    let bootstrap = host.bootstrap();
    assert_eq!(bootstrap.run(&["true"], Some(b"")).unwrap(), 0);
    assert_eq!(
        bootstrap.run(&["sh", "-c", "exit 42"], Some(b"")).unwrap(),
        42
    );
    assert_eq!(
        bootstrap
            .run(&["sh", "-c", "kill -9 $$"], Some(b""))
            .unwrap(),
        137
    );
}

#[test]
fn output_captures_stdout() {
    let host = FakeHost::new();
    let out = host
        .bootstrap()
        .output(&["printf", "%s\n", "a b", "$HOME"], None)
        .unwrap();
    assert_eq!(out, b"a b\n$HOME\n");
}

#[test]
fn remote_command_starting_with_a_dash_is_not_an_ssh_option() {
    let host = FakeHost::new();
    let error = host.bootstrap().execute(&["-v"], Some(b"")).unwrap_err();
    // Neither ssh nor the remote shell takes `-v` for an option: it is run
    // as a command, and there is none of that name.
    assert_eq!(error.exit_code(), Some(127));
    let call = &host.calls()[0];
    assert_eq!(call[call.len() - 3..], ["--", "web-container", "'-v'"]);
}

#[test]
fn upload_file_writes_atomically_with_mode() {
    let host = FakeHost::new();
    let target = host.path("etc/deep/it's here.conf");
    let contents: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    let bootstrap = host.bootstrap();
    bootstrap.upload_file(&target, &contents, 0o640).unwrap();
    assert_eq!(fs::read(&target).unwrap(), contents);
    let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640);

    // Replacing keeps no temporary file behind and applies the new mode.
    bootstrap.upload_file(&target, b"second\n", 0o755).unwrap();
    assert_eq!(fs::read(&target).unwrap(), b"second\n");
    let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o755);
    let names: Vec<_> = fs::read_dir(target.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["it's here.conf"]);

    // The contents never appear on a command line.
    for call in host.calls() {
        assert!(!call.iter().any(|arg| arg.contains("second")));
    }
}

#[test]
fn upload_file_failure_leaves_no_temporary_file() {
    let host = FakeHost::new();
    // A `mv` that always fails, found first on the remote PATH, makes the
    // upload fail after its temporary file is written.
    let bin = host.path("bin");
    fs::create_dir(&bin).unwrap();
    write_script(
        &bin.join("mv"),
        "#!/bin/sh\necho 'mv: disk on fire' >&2\nexit 1\n",
    );
    let wrapper = host.path("ssh-with-path");
    write_script(
        &wrapper,
        &format!(
            "#!/bin/sh\nPATH='{}':/usr/bin:/bin exec '{}' \"$@\"\n",
            bin.display(),
            host.path("ssh").display()
        ),
    );
    let dir = host.path("etc");
    let error = host
        .bootstrap()
        .with_ssh_program(&wrapper)
        .upload_file(dir.join("motd"), b"x", 0o644)
        .unwrap_err();
    assert_eq!(error.exit_code(), Some(1));
    assert!(
        error.to_string().ends_with("--- stderr\nmv: disk on fire"),
        "{error}"
    );
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
}

#[test]
fn upload_file_refuses_to_replace_a_directory() {
    let host = FakeHost::new();
    let target = host.path("target");
    fs::create_dir(&target).unwrap();
    let error = host
        .bootstrap()
        .upload_file(&target, b"x", 0o644)
        .unwrap_err();
    assert!(error.to_string().contains("is a directory"), "{error}");
    assert_eq!(fs::read_dir(&target).unwrap().count(), 0);
}

/// Installs fake package managers in a directory and returns a `PATH` that
/// finds them first, so the probe and the install run without a real one.
fn fake_package_manager(host: &FakeHost, program: &str) -> String {
    let bin = host.path("bin");
    fs::create_dir_all(&bin).unwrap();
    let log = host.path("packages.log");
    let script = format!(
        "#!/bin/sh\nprintf '%s ' {program} \"$@\" >>'{}'\necho >>'{}'\n",
        log.display(),
        log.display()
    );
    let path = bin.join(program);
    write_script(&path, &script);
    bin.display().to_string()
}

#[test]
fn package_manager_is_probed_once_and_used() {
    let host = FakeHost::new();
    let bin = fake_package_manager(&host, "apk");
    // The fake ssh runs commands with our environment; put the fake apk on
    // the PATH of the remote side by wrapping the ssh program.
    let wrapper = host.path("ssh-with-path");
    write_script(
        &wrapper,
        &format!(
            "#!/bin/sh\nPATH='{bin}' exec '{}' \"$@\"\n",
            host.path("ssh").display()
        ),
    );
    let bootstrap = host.bootstrap().with_ssh_program(&wrapper);

    assert_eq!(bootstrap.package_manager().unwrap(), PackageManager::Apk);
    bootstrap.install_packages(&["rsync", "my pkg"]).unwrap();
    bootstrap.upgrade_packages().unwrap();
    bootstrap.install_packages::<&str>(&[]).unwrap();
    assert_eq!(
        fs::read_to_string(host.path("packages.log")).unwrap(),
        "apk add --no-cache rsync my pkg \napk upgrade --no-cache \n"
    );
    // One probe, one install, one upgrade: the answer was remembered.
    assert_eq!(host.calls().len(), 3);
}

#[test]
fn no_package_manager_is_a_clear_error() {
    let host = FakeHost::new();
    let empty = host.path("empty");
    fs::create_dir(&empty).unwrap();
    let wrapper = host.path("ssh-with-path");
    write_script(
        &wrapper,
        &format!(
            "#!/bin/sh\nPATH='{}' exec /bin/sh '{}' \"$@\"\n",
            empty.display(),
            host.path("ssh").display()
        ),
    );
    let error = host
        .bootstrap()
        .with_ssh_program(&wrapper)
        .install_packages(&["rsync"])
        .unwrap_err();
    assert_eq!(
        error.kind(),
        &ErrorKind::NoPackageManager {
            alias: "web-container".into()
        }
    );
}

#[test]
fn rsync_copies_a_directory_through_the_fake_ssh() {
    let host = FakeHost::new();
    let local = host.path("local dir");
    fs::create_dir_all(local.join("sub")).unwrap();
    fs::create_dir_all(local.join(".git")).unwrap();
    fs::write(local.join("a.txt"), b"a").unwrap();
    fs::write(local.join("sub/b.txt"), b"b").unwrap();
    fs::write(local.join(".git/HEAD"), b"ref").unwrap();
    let remote = host.path("remote dir/new");
    fs::create_dir_all(&remote).unwrap();
    fs::write(remote.join("stale.txt"), b"old").unwrap();

    let bootstrap = host.bootstrap();
    bootstrap.rsync(&local, &remote, true, true).unwrap();
    assert_eq!(fs::read(remote.join("a.txt")).unwrap(), b"a");
    assert_eq!(fs::read(remote.join("sub/b.txt")).unwrap(), b"b");
    assert!(!remote.join(".git").exists(), "--cvs-exclude");
    assert!(!remote.join("stale.txt").exists(), "--delete");

    fs::write(remote.join("stale.txt"), b"old").unwrap();
    bootstrap.rsync(&local, &remote, false, false).unwrap();
    assert!(remote.join(".git/HEAD").exists());
    assert!(remote.join("stale.txt").exists());
}

#[test]
fn rsync_creates_the_remote_directory() {
    let host = FakeHost::new();
    let local = host.path("src");
    fs::create_dir(&local).unwrap();
    fs::write(local.join("x"), b"x").unwrap();
    let remote = host.path("does/not/exist-yet");
    host.bootstrap().rsync(&local, &remote, true, true).unwrap();
    assert_eq!(fs::read(remote.join("x")).unwrap(), b"x");
}

#[test]
fn unreachable_host_fails_with_ssh_exit_code() {
    let host = FakeHost::new();
    let failing = host.path("failing-ssh");
    write_script(
        &failing,
        "#!/bin/sh\necho 'ssh: Could not resolve hostname web-container' >&2\nexit 255\n",
    );
    let bootstrap = host.bootstrap().with_ssh_program(&failing);
    let error = bootstrap.execute(&["true"], Some(b"")).unwrap_err();
    assert_eq!(error.exit_code(), Some(255));
    assert!(error
        .to_string()
        .ends_with("--- stderr\nssh: Could not resolve hostname web-container"));
    assert_eq!(bootstrap.run(&["true"], Some(b"")).unwrap(), 255);
}

/// A marker that a name running as a command would make.
fn marker() -> PathBuf {
    std::env::temp_dir().join(format!("redock-bootstrap-pwned-{}", std::process::id()))
}

/// File names holding every byte a shell, ssh or rsync treats specially.
fn hostile_names() -> Vec<Vec<u8>> {
    let mark = marker();
    let mark = mark.to_str().unwrap();
    let mut names: Vec<Vec<u8>> = [
        "sp ace",
        "two  spaces",
        "trailing ",
        "it's",
        "'",
        "dq\"uote",
        "\"",
        "back`tick`",
        &format!("$(touch {mark})"),
        &format!("`touch {mark}`"),
        "${HOME}",
        "$HOME",
        "semi;colon",
        "amp&",
        "pipe|",
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
        "eq=",
        "ünïcode",
        "paren(",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    names.push(b"not utf-8 \xff\xfe".to_vec());
    names
}

fn under(dir: &Path, name: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    dir.join(std::ffi::OsStr::from_bytes(name))
}

#[test]
fn upload_file_to_hostile_paths() {
    let host = FakeHost::new();
    let bootstrap = host.bootstrap();
    // The words that make a glob match something if they are expanded.
    fs::create_dir(host.path("x")).unwrap();
    fs::write(host.path("star-existing"), b"").unwrap();
    for name in hostile_names() {
        let target = under(&host.path("dir"), &name);
        let contents = [b"contents of ".as_slice(), &name].concat();
        bootstrap
            .upload_file(&target, &contents, 0o600)
            .unwrap_or_else(|e| panic!("{name:?}: {e}"));
        assert_eq!(fs::read(&target).unwrap(), contents, "{name:?}");
    }
    assert!(!marker().exists(), "a name ran as a command");
    // One entry each (the names with a `/` make a directory).
    let count = fs::read_dir(host.path("dir")).unwrap().count();
    assert_eq!(count, hostile_names().len(), "files elsewhere");
}

#[test]
fn upload_file_to_a_hostile_directory_is_refused() {
    let host = FakeHost::new();
    let bootstrap = host.bootstrap();
    for name in hostile_names() {
        let target = under(&host.path("dirs"), &name);
        fs::create_dir_all(&target).unwrap();
        let error = bootstrap
            .upload_file(&target, b"x", 0o644)
            .expect_err(&format!("{name:?}"));
        assert!(
            error.to_string().contains("is a directory"),
            "{name:?}: {error}"
        );
        assert_eq!(fs::read_dir(&target).unwrap().count(), 0, "{name:?}");
    }
    assert!(!marker().exists(), "a name ran as a command");
}

#[test]
fn rsync_to_hostile_paths() {
    let host = FakeHost::new();
    let bootstrap = host.bootstrap();
    let local = host.path("local");
    fs::create_dir(&local).unwrap();
    fs::write(local.join("file"), b"synced").unwrap();
    // What a glob in a remote path would match instead of itself.
    fs::create_dir_all(host.path("remote/x")).unwrap();
    fs::create_dir_all(host.path("remote/star-existing")).unwrap();
    for name in hostile_names() {
        let remote = under(&host.path("remote"), &name);
        bootstrap
            .rsync(&local, &remote, true, true)
            .unwrap_or_else(|e| panic!("{name:?}: {e}"));
        assert_eq!(
            fs::read(remote.join("file")).unwrap_or_default(),
            b"synced",
            "{name:?}"
        );
    }
    assert!(!host.path("remote/x/file").exists(), "a glob was expanded");
    assert!(
        !host.path("remote/star-existing/file").exists(),
        "a glob was expanded"
    );
    assert!(!marker().exists(), "a name ran as a command");
}
