//! Builds against a real engine. Each test builds into a target it owns
//! (`redock-test-<pid>-<n>-…`, from test-support) and removes every
//! container and image it made, also when an assertion fails.

use base_image::{
    BuildOptions, ErrorKind, Progress, AUTHORIZED_KEYS, BUILD_LABEL, BUILD_TARGET_LABEL, HOST_KEY,
    KEYS_DIR, KEYS_LABEL, RECIPE_LABEL, RECIPE_VERSION,
};
use docker_exec::{CreateSpec, Docker};
use test_support::{docker, unique, Cleanup, FIXTURE_IMAGE};

/// Ids of the containers that build `target` (tests run side by side, so
/// each looks only at its own).
fn build_containers(docker: &Docker, target: &str) -> Vec<String> {
    let filters = [
        format!("{BUILD_LABEL}=1"),
        format!("{BUILD_TARGET_LABEL}={target}"),
    ];
    let mut ids: Vec<String> = docker
        .ps(&filters)
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    ids.sort();
    ids
}

/// A FROM image shaped like the fixture with `prepare` run in it and the
/// given changes, committed under a name the test owns.
fn derived_image(cleanup: &mut Cleanup, what: &str, prepare: &str, changes: &[String]) -> String {
    let docker = docker();
    let name = unique(what);
    let reference = format!("{name}:latest");
    cleanup.containers.push(name.clone());
    cleanup.images.push(reference.clone());
    let spec = CreateSpec {
        image: FIXTURE_IMAGE.into(),
        name: Some(name.clone()),
        command: vec!["sh".into(), "-c".into(), prepare.into()],
        ..CreateSpec::default()
    };
    let id = docker.create(&spec).unwrap();
    assert_eq!(docker.start_attached(&id, None).unwrap().status, 0);
    docker.commit(&id, &reference, None, None, changes).unwrap();
    docker.rm(&id).unwrap();
    reference
}

/// Runs `sh -c SCRIPT` in a fresh container of `image` with the image's
/// entrypoint bypassed; returns its exit status and output.
fn run_in(cleanup: &mut Cleanup, image: &str, script: &str) -> (i32, String) {
    let docker = docker();
    let name = unique("probe");
    cleanup.containers.push(name.clone());
    let spec = CreateSpec {
        image: image.into(),
        name: Some(name),
        entrypoint: Some("/bin/sh".into()),
        command: vec!["-c".into(), script.into()],
        ..CreateSpec::default()
    };
    let id = docker.create(&spec).unwrap();
    let out = docker.start_attached(&id, None).unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.combined).into_owned(),
    )
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn builds_a_base_image_from_debian() {
    let docker = docker();
    let mut cleanup = Cleanup::new();
    // Shaped like debian:bookworm-slim's configuration.
    let from = derived_image(
        &mut cleanup,
        "from",
        "true",
        &[
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
            "ENV REDOCK_TEST=\"kept value\"".into(),
        ],
    );
    let target = format!("{}:latest", unique("target"));
    cleanup.images.push(target.clone());
    let before = build_containers(&docker, &target);
    let opts = BuildOptions {
        target: target.clone(),
        from: Some(from.clone()),
        rootfs: None,
        rebuild: false,
        ..BuildOptions::default()
    };

    let mut seen = Vec::new();
    let id = base_image::ensure(&docker, &opts, &mut |p| seen.push(p)).unwrap();
    let steps: Vec<(usize, usize)> = seen
        .iter()
        .filter_map(|p| match p {
            Progress::Step { index, total, .. } => Some((*index, *total)),
            _ => None,
        })
        .collect();
    assert_eq!(steps, (1..=6).map(|i| (i, 6)).collect::<Vec<_>>());
    assert_eq!(seen.last(), Some(&Progress::Done { id: id.clone() }));
    assert_eq!(
        build_containers(&docker, &target),
        before,
        "the build container is removed"
    );

    let info = docker.image_inspect(&target).unwrap().unwrap();
    assert_eq!(info.id, id);
    assert!(base_image::is_current(&info));
    assert_eq!(info.labels[RECIPE_LABEL], RECIPE_VERSION);
    assert_eq!(info.labels[KEYS_LABEL], KEYS_DIR);
    assert_eq!(info.labels["io.redock.base-from"], from);
    assert!(!info.labels.contains_key(BUILD_LABEL), "{:?}", info.labels);
    assert_eq!(info.cmd, ["/usr/local/sbin/redock-init"]);
    assert!(info.env.contains(&"LANG=C.UTF-8".to_string()));
    assert!(
        info.env.contains(&"REDOCK_TEST=kept value".to_string()),
        "{:?}",
        info.env
    );
    assert_eq!(info.exposed_ports, ["22/tcp"]);
    assert_eq!(info.layers, 1);

    // No key travels in the image (not even in the empty mount point of
    // the keys' tmpfs), and the apt lists are gone.
    let (status, out) = run_in(
        &mut cleanup,
        &target,
        "ls /etc/ssh/ | grep -c '^ssh_host_' ; ls /var/lib/apt/lists | grep -vc '^partial$' ; \
         ls -A /run/redock | wc -l ; test -e /root/.ssh/authorized_keys || echo none ; \
         test -d /run/sshd && stat -c %a /root/.ssh /run/redock",
    );
    assert_eq!((status, out.as_str()), (0, "0\n0\n0\nnone\n700\n700\n"));

    // Started as redock starts it, with the keys' tmpfs: the init script
    // makes the host key there and starts sshd at once, and supervisord is
    // PID 1.
    let name = unique("started");
    cleanup.containers.push(name.clone());
    let spec = CreateSpec {
        image: target.clone(),
        name: Some(name.clone()),
        publish_ssh_on_loopback: true,
        tmpfs: vec![format!("{KEYS_DIR}:mode=0700")],
        ..CreateSpec::default()
    };
    let container = docker.create(&spec).unwrap();
    docker.start(&container).unwrap();
    let out = docker
        .exec(
            &container,
            &[
                "sh",
                "-c",
                // supervisord becomes PID 1 once sshd listens.
                "for i in $(seq 1 100); do [ -s /run/sshd.pid ] && break; sleep 0.05; done; \
                 for i in $(seq 1 100); do grep -q supervisord /proc/1/cmdline && break; sleep 0.05; done; \
                 test -s /run/sshd.pid && echo sshd; ls /run/redock; tr '\\0' ' ' < /proc/1/cmdline",
            ],
            None,
        )
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("sshd\nssh_host_ed25519_key\nssh_host_ed25519_key.pub\n"),
        "{text}"
    );
    assert!(text.contains("supervisord -n"), "{text}");

    // A client key handed in as redock does (onto the tmpfs): sshd reads
    // it and its host key there, and refuses passwords.
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("id_ed25519");
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(status.success());
    let public = std::fs::read(key.with_extension("pub")).unwrap();
    let hand_in = format!(
        "cat > {AUTHORIZED_KEYS} && test -s {HOST_KEY} && \
         sshd -T | grep -Ei '^(passwordauthentication|kbdinteractiveauthentication|permitrootlogin|pubkeyauthentication|usepam|hostkey|authorizedkeysfile) '"
    );
    let out = docker
        .exec(&container, &["sh", "-c", &hand_in], Some(&public))
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status,
        0,
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut settings: Vec<&str> = text.lines().collect();
    settings.sort_unstable();
    assert_eq!(
        settings,
        [
            "authorizedkeysfile .ssh/authorized_keys /run/redock/authorized_keys",
            "hostkey /run/redock/ssh_host_ed25519_key",
            "kbdinteractiveauthentication no",
            "passwordauthentication no",
            "permitrootlogin without-password",
            "pubkeyauthentication yes",
            "usepam no",
        ],
        "{text}"
    );

    // The exec transport: sshd -i speaks SSH on stdin/stdout.
    let out = docker
        .exec(&container, &["/usr/sbin/sshd", "-i"], Some(b""))
        .unwrap();
    assert!(
        out.stdout.starts_with(b"SSH-2.0-OpenSSH"),
        "{:?}",
        String::from_utf8_lossy(&out.stdout)
    );

    // A real client gets in as root with a key, and never with a password.
    let port = docker
        .inspect_container(&container)
        .unwrap()
        .unwrap()
        .ssh_ports[0]
        .port();
    let ssh = |extra: &[&str]| {
        std::process::Command::new("ssh")
            .args(["-F", "/dev/null", "-o", "UserKnownHostsFile=/dev/null"])
            .args(["-o", "StrictHostKeyChecking=no", "-o", "BatchMode=yes"])
            .args(["-o", "LogLevel=ERROR", "-p", &port.to_string()])
            .args(extra)
            .args(["root@127.0.0.1", "echo in as $(id -un)"])
            .output()
            .unwrap()
    };
    let with_key = ssh(&["-i", key.to_str().unwrap(), "-o", "IdentitiesOnly=yes"]);
    assert_eq!(
        String::from_utf8_lossy(&with_key.stdout),
        "in as root\n",
        "{}",
        String::from_utf8_lossy(&with_key.stderr)
    );
    let with_password = ssh(&[
        "-o",
        "PubkeyAuthentication=no",
        "-o",
        "PreferredAuthentications=password,keyboard-interactive",
    ]);
    assert!(!with_password.status.success());
    let stderr = String::from_utf8_lossy(&with_password.stderr);
    assert!(stderr.contains("Permission denied (publickey)"), "{stderr}");

    // Current now: a second call builds nothing.
    let mut again = Vec::new();
    assert_eq!(
        base_image::ensure(&docker, &opts, &mut |p| again.push(p)).unwrap(),
        id
    );
    assert!(again.is_empty(), "{again:?}");
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn failing_step_reports_its_output_and_leaves_no_container() {
    let docker = docker();
    let mut cleanup = Cleanup::new();
    let from = derived_image(&mut cleanup, "noapt", "rm /usr/bin/apt-get", &[]);
    let target = format!("{}:latest", unique("never"));
    cleanup.images.push(target.clone());
    let before = build_containers(&docker, &target);

    let opts = BuildOptions {
        target: target.clone(),
        from: Some(from),
        rootfs: None,
        rebuild: true,
        ..BuildOptions::default()
    };
    let error = base_image::ensure(&docker, &opts, &mut |_| {}).unwrap_err();
    match error.kind() {
        ErrorKind::StepFailed { step, status, tail } => {
            assert!(step.starts_with("[1/6] "), "{step}");
            assert_eq!(*status, 1);
            assert!(tail.contains("apt-get not found"), "{tail}");
        }
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("apt-get not found"), "{error}");
    assert_eq!(build_containers(&docker, &target), before);
    assert!(docker.image_inspect(&target).unwrap().is_none());
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn missing_from_image_is_a_clear_error() {
    let docker = docker();
    let from = format!("{}:missing", unique("nothere"));
    let opts = BuildOptions {
        target: format!("{}:latest", unique("never")),
        from: Some(from.clone()),
        rootfs: None,
        rebuild: false,
        ..BuildOptions::default()
    };
    let error = base_image::ensure(&docker, &opts, &mut |_| {}).unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::NoFromImage { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains(&from), "{error}");
    assert!(error.hint().unwrap().contains("--rootfs"));
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn rootfs_tarball_is_imported_as_from() {
    let docker = docker();
    let mut cleanup = Cleanup::new();
    // The fixture's file system as a tarball, as `--rootfs` would get it.
    let dir = tempfile::tempdir().unwrap();
    let exported = derived_image(&mut cleanup, "rootfs", "true", &[]);
    let name = unique("export");
    cleanup.containers.push(name.clone());
    let spec = CreateSpec {
        image: exported,
        name: Some(name.clone()),
        ..CreateSpec::default()
    };
    let id = docker.create(&spec).unwrap();
    let tarball = dir.path().join("rootfs.tar");
    let status = std::process::Command::new(docker.program())
        .args(["export", "-o"])
        .arg(&tarball)
        .arg(&id)
        .status()
        .unwrap();
    assert!(status.success());

    let target = format!("{}:latest", unique("fromtar"));
    cleanup.images.push(target.clone());
    let opts = BuildOptions {
        target: target.clone(),
        from: None,
        rootfs: Some(tarball.clone()),
        rebuild: false,
        ..BuildOptions::default()
    };
    let mut notes = Vec::new();
    let result = base_image::ensure(&docker, &opts, &mut |p| {
        if let Progress::Note(note) = p {
            notes.push(note)
        }
    });
    let imported = notes
        .iter()
        .find_map(|n| {
            n.strip_prefix("building ")
                .and_then(|n| n.split(" from ").nth(1))
        })
        .map(str::to_string)
        .expect("a note names the FROM image");
    cleanup.images.push(imported.clone());
    assert!(imported.starts_with("redock/rootfs:"), "{imported}");
    assert!(docker.image_inspect(&imported).unwrap().is_some());
    // The fixture has apt-get, so the build itself goes through.
    let id = result.unwrap();
    assert_eq!(docker.image_inspect(&target).unwrap().unwrap().id, id);
}
