//! Safe file updates: modes, links, backups, conflicts, read-only files and
//! concurrent writers in separate processes.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::process::Command;

use sshconfig::{update_file, ConfigFile, ErrorKind};

#[test]
fn keeps_mode_follows_links_and_backs_up_once() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real_config");
    fs::write(&real, "Host *\r\n  User me").unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("config");
    symlink("real_config", &link).unwrap();
    let backup = dir.path().join("config.redock-backup");

    let up = update_file(&link, Some(&backup), |c| {
        c.insert_before_first_host_or_match("Include /r/ssh_config");
        true
    })
    .unwrap();
    assert!(up.written && up.backup_written);
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read(&real).unwrap(),
        b"Include /r/ssh_config\r\nHost *\r\n  User me"
    );
    assert_eq!(fs::read(&backup).unwrap(), b"Host *\r\n  User me");
    assert_eq!(
        fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o640
    );

    // The backup is written once, never overwritten.
    let up = update_file(&link, Some(&backup), |c| {
        c.set_host_block("x", &[("Port", "2")])
    })
    .unwrap();
    assert!(up.written && !up.backup_written);
    assert_eq!(fs::read(&backup).unwrap(), b"Host *\r\n  User me");

    // An edit that changes nothing writes nothing.
    let up = update_file(&link, Some(&backup), |_| true).unwrap();
    assert!(!up.written);
}

#[test]
fn read_only_file_is_recognisable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    fs::write(&path, "Host a\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
    let err = update_file(&path, None, |c| c.set_host_block("b", &[("Port", "1")])).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::ReadOnly | ErrorKind::PermissionDenied
        ),
        "{err}"
    );
    assert_eq!(fs::read(&path).unwrap(), b"Host a\n");
}

#[test]
fn dry_run_then_write_detects_other_writers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    let mut file = ConfigFile::read(&path).unwrap();
    assert!(!file.exists());
    file.config.insert_before_first_host_or_match("Include x");
    assert!(file.is_changed());
    fs::write(&path, "User other\n").unwrap();
    assert_eq!(file.write(None).unwrap_err().kind(), ErrorKind::Conflict);
    assert_eq!(fs::read(&path).unwrap(), b"User other\n");
}

const CHILD_ENV: &str = "SSHCONFIG_TEST_WRITER";
const BLOCKS: usize = 40;

/// The body of each writer process: appends its blocks one update at a time,
/// retrying on conflict.
#[test]
fn concurrent_writer_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (path, name) = spec.split_once('|').unwrap();
    for i in 0..BLOCKS {
        let pattern = format!("{name}-{i}");
        loop {
            match update_file(path.as_ref(), None, |c| {
                c.set_host_block(&pattern, &[("Port", "22")])
            }) {
                Ok(_) => break,
                Err(e) if e.kind() == ErrorKind::Conflict => continue,
                Err(e) => panic!("{e}"),
            }
        }
    }
}

#[test]
fn two_processes_never_lose_an_update() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ssh_config");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = ["one", "two"]
        .iter()
        .map(|name| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "update::concurrent_writer_child",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_ENV, format!("{}|{name}", path.display()))
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let config = sshconfig::Config::parse(&fs::read(&path).unwrap());
    for name in ["one", "two"] {
        for i in 0..BLOCKS {
            assert!(
                config.host_block(&format!("{name}-{i}")).is_some(),
                "{name}-{i} lost"
            );
        }
    }
    assert_eq!(config.host_blocks().len(), 2 * BLOCKS);
}
