//! Provisioning over SSH against a real container: run, install, upload,
//! sync (`cargo xtask ci` runs these).

use std::os::unix::fs::PermissionsExt;

use crate::engine::started;
use crate::Sandbox;

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn run_passes_output_and_exit_code_through() {
    let (sandbox, name, _) = started("run");
    let out = sandbox
        .redock([
            "run",
            &name,
            "--",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 7",
        ])
        .fails(7);
    assert_eq!(out.stdout, "out\n");
    assert!(out.stderr.contains("err"), "{out}");

    // One literal argument, never re-read by a shell.
    let tricky = "'a b' \"c\" $(touch /tmp/pwned) *";
    let out = sandbox
        .redock(["run", &name, "--", "printf", "%s|", tricky])
        .success();
    assert_eq!(out.stdout, format!("{tricky}|"));
    sandbox
        .redock(["run", &name, "--", "test", "!", "-e", "/tmp/pwned"])
        .success();
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn install_a_package() {
    let (sandbox, name, _) = started("install");
    sandbox.redock(["install", &name, "jq"]).success();
    let out = sandbox
        .redock(["run", &name, "--", "jq", "--version"])
        .success();
    assert!(out.stdout.starts_with("jq-"), "{out}");
    let out = sandbox
        .redock(["install", &name, "no-such-package-redock"])
        .fails(1);
    assert!(out.stderr.contains("no-such-package-redock"), "{out}");
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn upload_creates_parents_and_sets_the_mode() {
    let (sandbox, name, _) = started("upload");
    let local = sandbox.home().join("settings.conf");
    std::fs::write(&local, "key = value\n").unwrap();
    std::fs::set_permissions(&local, std::fs::Permissions::from_mode(0o644)).unwrap();
    sandbox
        .redock([
            "upload",
            "--mode",
            "0640",
            &name,
            local.to_str().unwrap(),
            "/srv/new/dir/settings.conf",
        ])
        .success();
    let out = sandbox
        .redock([
            "run",
            &name,
            "--",
            "stat",
            "-c",
            "%a",
            "/srv/new/dir/settings.conf",
        ])
        .success();
    assert_eq!(out.stdout.trim(), "640");
    let out = sandbox
        .redock(["run", &name, "--", "cat", "/srv/new/dir/settings.conf"])
        .success();
    assert_eq!(out.stdout, "key = value\n");
    // No temporary file is left beside the target.
    let out = sandbox
        .redock(["run", &name, "--", "ls", "-A", "/srv/new/dir"])
        .success();
    assert_eq!(out.stdout.trim(), "settings.conf");
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn sync_excludes_version_control_and_deletes() {
    let (sandbox, name, _) = started("sync");
    let dir = sandbox.home().join("project");
    for path in ["src/main.c", ".git/HEAD", ".svn/entries", "gone.txt"] {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "x").unwrap();
    }
    let local = dir.to_str().unwrap();
    let list = |sandbox: &Sandbox| {
        let out = sandbox
            .redock([
                "run",
                &name,
                "--",
                "sh",
                "-c",
                "cd /srv/project && find . -type f | sort",
            ])
            .success();
        out.stdout
    };
    sandbox
        .redock(["sync", &name, local, "/srv/project"])
        .success();
    assert_eq!(list(&sandbox), "./gone.txt\n./src/main.c\n");

    std::fs::remove_file(dir.join("gone.txt")).unwrap();
    sandbox
        .redock(["sync", "--no-delete", &name, local, "/srv/project"])
        .success();
    assert_eq!(list(&sandbox), "./gone.txt\n./src/main.c\n");
    sandbox
        .redock(["sync", "--no-cvs-exclude", &name, local, "/srv/project"])
        .success();
    assert_eq!(
        list(&sandbox),
        "./.git/HEAD\n./.svn/entries\n./src/main.c\n"
    );
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn no_container_running() {
    let sandbox = Sandbox::new();
    let (name, _) = sandbox.unique("none");
    let local = sandbox.home().join("f");
    std::fs::write(&local, "x").unwrap();
    let local = local.to_str().unwrap();
    for args in [
        vec!["run", &name, "--", "true"],
        vec!["install", &name, "jq"],
        vec!["upgrade", &name],
        vec!["upload", &name, local, "/tmp/f"],
        vec!["sync", &name, sandbox.home().to_str().unwrap(), "/tmp/d"],
        vec!["commit", &name],
        vec!["ssh", &name],
    ] {
        let out = sandbox.redock(&args).fails(1);
        out.assert_one_line_error("NoContainerRunning");
    }
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn an_interrupted_upload_leaves_no_partial_target() {
    let (sandbox, name, _) = started("partial");
    // 32 MiB of varied bytes: long enough to be cut off mid-transfer.
    let local = sandbox.home().join("big.bin");
    let mut state = 0x9e3779b97f4a7c15u64;
    let bytes: Vec<u8> = (0..32 << 20)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    std::fs::write(&local, &bytes).unwrap();
    for delay_ms in [100, 300] {
        sandbox.kill_after(
            ["upload", &name, local.to_str().unwrap(), "/srv/big.bin"],
            std::time::Duration::from_millis(delay_ms),
        );
        // Either no target at all, or the whole file: never a part of it.
        let out = sandbox
            .redock([
                "run",
                &name,
                "--",
                "sh",
                "-c",
                "if [ -e /srv/big.bin ]; then wc -c < /srv/big.bin; else echo none; fi",
            ])
            .success();
        let seen = out.stdout.trim();
        assert!(
            seen == "none" || seen == bytes.len().to_string(),
            "after {delay_ms} ms: {seen}"
        );
    }
}
