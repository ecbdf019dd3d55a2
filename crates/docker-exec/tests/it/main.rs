//! Tests against a real engine. Each uses names this run owns
//! (`redock-test-<pid>-<n>-…`, from test-support) and a guard that removes
//! what it made, also when an assertion fails.

use std::collections::BTreeMap;

use docker_exec::{ContainerState, CreateSpec, ErrorKind};
use test_support::{docker, unique, Cleanup, FIXTURE_IMAGE};

fn sleeper(name: &str) -> CreateSpec {
    let mut labels = BTreeMap::new();
    labels.insert("io.redock.test".to_string(), name.to_string());
    labels.insert("io.redock.note".to_string(), "a=b,c".to_string());
    CreateSpec {
        image: FIXTURE_IMAGE.into(),
        name: Some(name.into()),
        hostname: Some("web".into()),
        labels,
        publish_ssh_on_loopback: true,
        command: vec!["sleep".into(), "infinity".into()],
        ..CreateSpec::default()
    }
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn container_lifecycle() {
    let docker = docker();
    let mut cleanup = Cleanup::new();
    let name = unique("life");
    let image = format!("{name}:committed");
    cleanup.containers.push(name.clone());
    cleanup.images.push(image.clone());

    let id = docker.create(&sleeper(&name)).unwrap();
    assert_eq!(id.len(), 64, "{id}");
    let created = docker.inspect_container(&name).unwrap().unwrap();
    assert_eq!(created.state, ContainerState::Created);
    assert!(!created.is_running());

    docker.start(&id).unwrap();
    let info = docker.inspect_container(&id).unwrap().unwrap();
    assert_eq!(info.id, id);
    assert_eq!(info.name, name);
    assert_eq!(info.image, FIXTURE_IMAGE);
    assert_eq!(info.hostname, "web");
    assert_eq!(info.state, ContainerState::Running);
    assert_eq!(info.status, "running");
    assert_eq!(info.labels["io.redock.note"], "a=b,c");
    // Published on loopback only, on a port the engine picked.
    assert!(!info.ssh_ports.is_empty());
    for addr in &info.ssh_ports {
        assert!(addr.ip().is_loopback(), "{addr}");
        assert_ne!(addr.port(), 0);
    }

    let out = docker.exec(&id, &["cat", "/etc/hostname"], None).unwrap();
    assert_eq!(
        (out.status, String::from_utf8_lossy(&out.stdout).trim()),
        (0, "web")
    );
    let out = docker
        .exec(
            &id,
            &["sh", "-c", "cat; echo oops >&2; exit 7"],
            Some(b"fed\n"),
        )
        .unwrap();
    assert_eq!(out.status, 7);
    assert_eq!(out.stdout, b"fed\n");
    assert_eq!(out.stderr, b"oops\n");

    let listed = docker.ps(&[format!("io.redock.test={name}")]).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, id);
    assert_eq!(listed[0].names, name);
    assert_eq!(listed[0].labels["io.redock.test"], name);

    let key = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(key.path(), "ssh-ed25519 AAAA test\n").unwrap();
    docker.cp_into(key.path(), &id, "/tmp/key.pub").unwrap();
    let out = docker.exec(&id, &["cat", "/tmp/key.pub"], None).unwrap();
    assert_eq!(out.stdout, b"ssh-ed25519 AAAA test\n");

    let changes = vec![
        "LABEL io.redock.test-commit=yes".to_string(),
        "ENV LANG=C.UTF-8".to_string(),
    ];
    let image_id = docker
        .commit(
            &id,
            &image,
            Some("a message"),
            Some("redock tests"),
            &changes,
        )
        .unwrap();
    assert!(image_id.starts_with("sha256:"), "{image_id}");
    let committed = docker.image_inspect(&image).unwrap().unwrap();
    assert_eq!(committed.id, image_id);
    assert_eq!(committed.repo_tags, std::slice::from_ref(&image));
    assert_eq!(committed.labels["io.redock.test-commit"], "yes");
    assert!(committed.env.contains(&"LANG=C.UTF-8".to_string()));
    // The container keeps running after a commit.
    assert!(docker.inspect_container(&id).unwrap().unwrap().is_running());

    // Paused, unpaused, stopped: what inspect says of each.
    let state = || docker.inspect_container(&id).unwrap().unwrap().state;
    let cli = |args: &[&str]| {
        let status = std::process::Command::new(docker.program())
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{args:?}");
    };
    cli(&["pause", &id]);
    assert_eq!(state(), ContainerState::Paused);
    docker.unpause(&id).unwrap();
    assert_eq!(state(), ContainerState::Running);
    cli(&["stop", "-t", "0", &id]);
    assert_eq!(state(), ContainerState::Exited);
    docker.start(&id).unwrap();
    assert_eq!(state(), ContainerState::Running);

    let retagged = format!("{name}:retagged");
    cleanup.images.push(retagged.clone());
    docker.tag(&image, &retagged).unwrap();
    assert_eq!(
        docker.image_inspect(&retagged).unwrap().unwrap().id,
        image_id
    );
    assert!(docker.rmi(&retagged, false).unwrap());

    assert!(docker.rm(&id).unwrap());
    assert!(!docker.rm(&id).unwrap());
    assert!(docker.inspect_container(&id).unwrap().is_none());
    assert!(docker.rmi(&image, false).unwrap());
    assert!(!docker.rmi(&image, false).unwrap());
    assert!(docker.image_inspect(&image).unwrap().is_none());
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn inspect_many_skips_the_missing() {
    let docker = docker();
    let mut cleanup = Cleanup::new();
    let name = unique("many");
    cleanup.containers.push(name.clone());
    let id = docker.create(&sleeper(&name)).unwrap();

    let found = docker
        .inspect_containers(&[unique("missing"), id.clone(), unique("missing")])
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, id);
    assert!(docker
        .inspect_containers(&[unique("missing")])
        .unwrap()
        .is_empty());
    assert!(docker.inspect_containers(&[]).unwrap().is_empty());
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn attached_start_feeds_stdin_and_captures_both_streams() {
    let docker = docker();
    let mut cleanup = Cleanup::new();
    let name = unique("attached");
    cleanup.containers.push(name.clone());
    let spec = CreateSpec {
        image: FIXTURE_IMAGE.into(),
        name: Some(name.clone()),
        entrypoint: Some("/bin/sh".into()),
        command: vec!["-s".into()],
        interactive: true,
        ..CreateSpec::default()
    };
    let id = docker.create(&spec).unwrap();
    let mut lines = Vec::new();
    let out = docker
        .start_attached_with(
            &id,
            Some(b"echo out\necho err >&2\nexit 3\n"),
            &mut |line| lines.push(line.to_string()),
        )
        .unwrap();
    assert_eq!(out.status, 3);
    let all = String::from_utf8_lossy(&out.combined);
    assert!(all.contains("out\n") && all.contains("err\n"), "{all:?}");
    assert_eq!(out.stdout, b"out\n");
    assert_eq!(out.stderr, b"err\n");
    lines.sort();
    assert_eq!(lines, ["err", "out"]);

    let tail = docker.logs_tail(&id, 1).unwrap();
    assert_eq!(tail.lines().count(), 1, "{tail:?}");
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn import_dir_streams_a_directory() {
    let docker = docker();
    let mut cleanup = Cleanup::new();
    let reference = format!("{}:imported", unique("import"));
    cleanup.images.push(reference.clone());
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("etc")).unwrap();
    std::fs::write(dir.path().join("etc/hostname"), "imported\n").unwrap();

    let changes = vec!["CMD [\"/bin/sh\"]".to_string()];
    let id = docker.import_dir(dir.path(), &reference, &changes).unwrap();
    let info = docker.image_inspect(&reference).unwrap().unwrap();
    assert_eq!(info.id, id);
    assert_eq!(info.cmd, ["/bin/sh"]);
    assert_eq!(info.layers, 1);

    let missing = dir.path().join("not-there");
    let partial = format!("{reference}-partial");
    cleanup.images.push(partial.clone());
    let error = docker.import_dir(&missing, &partial, &[]).unwrap_err();
    assert!(error.to_string().contains("tar"), "{error}");
    assert!(docker.image_inspect(&partial).unwrap().is_none());
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn missing_objects_are_classified() {
    let docker = docker();
    let missing = unique("missing");
    let error = docker.start(&missing).unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::NoSuchObject, "{error}");
    let error = docker.exec(&missing, &["true"], None).unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::NoSuchObject, "{error}");
    assert!(docker.inspect_container(&missing).unwrap().is_none());
    assert!(docker
        .image_inspect(&format!("{missing}:nope"))
        .unwrap()
        .is_none());
    assert!(!docker.rm(&missing).unwrap());
    assert!(!docker.rmi(&format!("{missing}:nope"), false).unwrap());

    let error = docker
        .commit(&missing, &format!("{missing}:x"), None, None, &[])
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::NoSuchObject, "{error}");
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn unreachable_engine_is_classified() {
    let docker = docker()
        .with_env("DOCKER_HOST", "tcp://127.0.0.1:1")
        .with_env("DOCKER_CONTEXT", "");
    let error = docker.ps(&[]).unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::EngineUnreachable, "{error}");
    let message = error.to_string();
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("tcp://127.0.0.1:1"), "{message}");
    assert!(docker.engine_is_remote().unwrap());
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn version_and_locality() {
    let docker = docker();
    let info = docker.version().unwrap();
    assert!(!info.client_version.is_empty());
    assert!(!info.server_version.is_empty());
    if std::env::var_os("DOCKER_HOST").is_none() && std::env::var_os("DOCKER_CONTEXT").is_none() {
        assert!(!docker.engine_is_remote().unwrap());
    }
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn flatten_keeps_files_and_drops_config() {
    let docker = docker();
    let mut cleanup = Cleanup::new();
    let name = unique("flatten");
    let reference = format!("{name}:flat");
    cleanup.containers.push(name.clone());
    cleanup.images.push(reference.clone());
    let mut spec = sleeper(&name);
    spec.command = vec!["sh".into(), "-c".into(), "echo kept > /kept".into()];
    let id = docker.create(&spec).unwrap();
    assert_eq!(docker.start_attached(&id, None).unwrap().status, 0);

    let changes = vec!["CMD [\"/bin/cat\", \"/kept\"]".to_string()];
    let image_id = docker.flatten(&id, &reference, &changes).unwrap();
    let info = docker.image_inspect(&reference).unwrap().unwrap();
    assert_eq!(info.id, image_id);
    assert_eq!(info.layers, 1);
    assert_eq!(info.cmd, ["/bin/cat", "/kept"]);
    // The container's labels stay behind, unlike with `docker commit`.
    assert!(info.labels.is_empty(), "{:?}", info.labels);

    let reader = unique("reader");
    cleanup.containers.push(reader.clone());
    let spec = CreateSpec {
        image: reference.clone(),
        name: Some(reader.clone()),
        ..CreateSpec::default()
    };
    let reader_id = docker.create(&spec).unwrap();
    let out = docker.start_attached(&reader_id, None).unwrap();
    assert_eq!((out.status, out.stdout.as_slice()), (0, &b"kept\n"[..]));

    let error = docker
        .flatten(&unique("missing"), &format!("{name}:none"), &[])
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::NoSuchObject, "{error}");
    assert!(docker
        .image_inspect(&format!("{name}:none"))
        .unwrap()
        .is_none());
}
