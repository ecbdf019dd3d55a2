//! `--dry-run` on every command that changes something, against a NAME
//! with nothing yet and against a running container: it exits as the
//! command would, tells the engine calls and file changes it would make,
//! and changes nothing: the engine's containers and images of the test's
//! NAME, and every file under the sandbox's HOME (REDOCK_HOME and the
//! user's ssh config among them), kind, mode and bytes, are as they were.

use crate::engine::base_image;
use crate::hostile::{changed, Snapshot};
use crate::{Out, Sandbox, FIXTURE_IMAGE};

/// What the engine holds of the sandbox and of `tag`: its containers with
/// their state and start time, every container and image whose name holds
/// `tag`, and the base image.
fn engine_state(sandbox: &Sandbox, tag: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let ids = sandbox.engine_ok(&[
        "ps",
        "-a",
        "--no-trunc",
        "--filter",
        &sandbox.container_filter(),
        "--format",
        "{{.ID}}",
    ]);
    for id in ids.lines() {
        lines.push(sandbox.engine_ok(&[
            "inspect",
            "-f",
            "{{.Id}} {{.Name}} {{.Image}} {{.State.Status}} {{.State.StartedAt}} {{.State.Pid}}",
            id,
        ]));
    }
    let all = sandbox.engine_ok(&["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}}"]);
    lines.extend(all.lines().filter(|l| l.contains(tag)).map(String::from));
    let images = image_listing(sandbox);
    lines.extend(
        images
            .lines()
            .filter(|l| l.contains(tag) || l.contains("redock:base "))
            .map(String::from),
    );
    lines.sort();
    lines
}

/// Every image of the engine, as `REPOSITORY:TAG ID` lines. Podman fails
/// the whole listing when a test running beside this one removes an image
/// while it reads ("image not known"): such a listing is asked again.
fn image_listing(sandbox: &Sandbox) -> String {
    let args = [
        "images",
        "-a",
        "--no-trunc",
        "--format",
        "{{.Repository}}:{{.Tag}} {{.ID}}",
    ];
    for _ in 0..10 {
        let out = sandbox.engine().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            return String::from_utf8_lossy(&out.stdout).trim().to_string();
        }
        assert!(stderr.contains("image not known"), "{args:?}: {stderr}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("{args:?}: images kept vanishing under the listing");
}

/// Runs `redock --dry-run ARGS`; checks that it exits with `code`, says
/// each of `says` (on stdout, or stderr for an error), and changed no file
/// and nothing of `tag` on the engine.
fn dry(sandbox: &Sandbox, tag: &str, args: &[&str], code: i32, says: &[&str]) -> Out {
    let files: Snapshot = sandbox.snapshot();
    let engine = engine_state(sandbox, tag);
    let out = sandbox
        .redock(std::iter::once("--dry-run").chain(args.iter().copied()))
        .output();
    assert_eq!(out.code, Some(code), "--dry-run {args:?}:\n{out}");
    assert!(
        !out.stderr.contains("panicked"),
        "--dry-run {args:?}:\n{out}"
    );
    for text in says {
        assert!(
            out.stdout.contains(text) || (code != 0 && out.stderr.contains(text)),
            "--dry-run {args:?} does not say {text:?}:\n{out}"
        );
    }
    if code != 0 {
        out.assert_one_line_error("");
    }
    let after = sandbox.snapshot();
    assert!(
        after == files,
        "--dry-run {args:?} changed files: {}\n{out}",
        changed(&files, &after)
    );
    assert_eq!(
        engine_state(sandbox, tag),
        engine,
        "--dry-run {args:?} changed the engine:\n{out}"
    );
    out
}

/// A refusal the real command reports up front is reported by the dry
/// run the same way: same exit code, same stderr.
fn refused_alike(sandbox: &Sandbox, tag: &str, args: &[&str]) {
    let real = sandbox.redock(args).output();
    let code = real.code.expect("an exit code");
    assert_ne!(code, 0, "{args:?} was expected to be refused:\n{real}");
    let out = dry(sandbox, tag, args, code, &[]);
    assert_eq!(out.stderr, real.stderr, "{args:?}");
}

/// `sandbox` with an ssh config of the user's own, and a local file and
/// directory to upload and sync.
pub fn with_files(sandbox: Sandbox) -> Sandbox {
    let ssh = sandbox.home().join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(sandbox.ssh_config(), "Host *\n  User me\n").unwrap();
    std::fs::create_dir_all(sandbox.home().join("dir")).unwrap();
    std::fs::write(sandbox.home().join("dir/file"), "data\n").unwrap();
    sandbox
}

#[test]
#[ignore = "needs a Docker engine"]
fn dryrun_on_a_fresh_name_changes_nothing() {
    base_image();
    let sandbox = with_files(Sandbox::new());
    let (name, tag) = sandbox.unique("dry-fresh");
    let t = tag.as_str();
    let file = sandbox.home().join("dir/file");
    let file = file.to_str().unwrap();
    let dir = sandbox.home().join("dir");
    let dir = dir.to_str().unwrap();

    // No REDOCK_HOME yet: a dry run makes none.
    let out = dry(
        &sandbox,
        t,
        &["start", "--no-ssh", &name],
        0,
        &[
            "would generate the key pair",
            "would run: docker create --name ",
            "would run: docker start NEW_CONTAINER",
            "would hand redock's public key in to /run/redock",
            "would write the Host block of ",
            "+Include ",
        ],
    );
    assert!(!sandbox.redock_home().exists(), "{out}");
    assert!(
        !out.stdout.contains("ssh -F"),
        "a dry start prints no ssh command: {out}"
    );
    dry(
        &sandbox,
        t,
        &["start", "--no-ssh", "--transport", "exec", &name],
        0,
        &["--label io.redock.transport=exec"],
    );
    dry(&sandbox, t, &["kill", &name], 0, &[]);
    dry(&sandbox, t, &["ssh-config", "--uninstall"], 0, &[]);
    dry(&sandbox, t, &["config", "--unset", "mirror"], 0, &[]);
    // An image of a name of its own that does not exist: built, in words.
    let base = format!("{name}-base");
    dry(
        &sandbox,
        t,
        &["base", "--from", FIXTURE_IMAGE, "--tag", &base],
        0,
        &[&format!(
            "would build the base image {base} from {FIXTURE_IMAGE}"
        )],
    );
    for args in [
        &["delete", &name][..],
        &["delete", "--force", &name],
        &["commit", &name],
        &["commit", "--squash", &name],
        &["rollback", &name],
        &["rollback", "--force", &name],
        &["run", &name, "--", "true"],
        &["ssh", &name],
        &["install", &name, "curl"],
        &["upgrade", &name],
        &["upload", &name, file, "/tmp/up"],
        &["sync", &name, dir, "/tmp/synced"],
        // Bad input, refused before anything is asked.
        &["start", "--no-ssh", "Bad Name"],
        &["kill", &name, "web:a b"],
        &["start", "--no-ssh", "-n", "a_b", &name],
        &["upload", &name, "/nonexistent/file", "/tmp/up"],
    ] {
        refused_alike(&sandbox, t, args);
    }
}

#[test]
#[ignore = "needs a Docker engine"]
fn dryrun_on_a_running_container_changes_nothing() {
    base_image();
    check_on_a_running_container(&with_files(Sandbox::new()));
}

/// Every command that changes something, with `--dry-run`, on a running
/// container of a NAME with an image and a snapshot, then on it stopped and
/// paused: each tells its engine calls and diffs and changes nothing.
pub fn check_on_a_running_container(sandbox: &Sandbox) {
    let e = sandbox.engine_program();
    let (name, tag) = sandbox.unique("dry-running");
    let t = tag.as_str();
    let alias = format!("{tag}-container");
    let file = sandbox.home().join("dir/file");
    let file = file.to_str().unwrap();
    let dir = sandbox.home().join("dir");
    let dir = dir.to_str().unwrap();
    sandbox.owns_image(&name);
    sandbox.redock(["start", "--no-ssh", &name]).success();
    // Two commits: the image, and a snapshot of the first.
    sandbox.redock(["commit", &name]).success();
    sandbox.redock(["commit", &name]).success();
    std::fs::write(
        sandbox.redock_home().join("settings.json"),
        "{\n  \"version\": 1,\n  \"mirror\": \"http://deb.debian.org/debian\"\n}\n",
    )
    .unwrap();
    let id = sandbox.container_ids().pop().unwrap();
    let rm = format!("would run: {e} rm -f -v {id}");
    let would = |verb: &str| format!("would run: {e} {verb} ");

    // Running and set up: no engine call, and no file but the record,
    // whose time a real start writes again.
    let out = dry(sandbox, t, &["start", "--no-ssh", &name], 0, &[]);
    let told: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("would "))
        .collect();
    assert!(
        told.is_empty() || (told.len() == 1 && told[0].ends_with("state.json:")),
        "{out}"
    );
    dry(
        sandbox,
        t,
        &["kill", &name],
        0,
        &[&rm, &format!("-Host {alias}"), "known_hosts", "state.json"],
    );
    dry(
        sandbox,
        t,
        &["delete", "--force", &name],
        0,
        &[&rm, &format!("{}{name}", would("rmi")), &would("rmi")],
    );
    dry(
        sandbox,
        t,
        &["commit", "-m", "dry", &name],
        0,
        &[&would("tag"), &would("commit"), &id],
    );
    dry(
        sandbox,
        t,
        &["commit", "--squash", &name],
        0,
        &[&format!("would run: {e} export {id} | {e} import ")],
    );
    dry(
        sandbox,
        t,
        &["rollback", "--force", &name],
        0,
        &[&rm, &would("tag"), &would("rmi")],
    );
    let ssh = format!(
        "would run: ssh -F {} {alias} -- touch /tmp/dry-run-ran",
        sandbox.ssh_config().display()
    );
    dry(
        sandbox,
        t,
        &["run", &name, "--", "touch", "/tmp/dry-run-ran"],
        0,
        &[&ssh],
    );
    dry(
        sandbox,
        t,
        &["ssh", &name, "--", "touch", "/tmp/dry-run-ran"],
        0,
        &[&ssh],
    );
    dry(
        sandbox,
        t,
        &["install", &name, "curl"],
        0,
        &["would install curl in "],
    );
    dry(
        sandbox,
        t,
        &["upgrade", &name],
        0,
        &["would upgrade every package"],
    );
    dry(
        sandbox,
        t,
        &["upload", &name, file, "/tmp/dry-run-ran"],
        0,
        &["would upload "],
    );
    dry(
        sandbox,
        t,
        &["sync", &name, dir, "/tmp/dry-run-ran"],
        0,
        &["with rsync"],
    );
    dry(
        sandbox,
        t,
        &["ssh-config", "--uninstall"],
        0,
        &["-Include "],
    );
    dry(
        sandbox,
        t,
        &["config", "--unset", "mirror"],
        0,
        &["-  \"mirror\""],
    );
    for args in [
        &["delete", &name][..],
        &["rollback", &name],
        // No such snapshot: refused before --force kills anything.
        &["rollback", "--force", "--to", "9", &name],
        &["start", "--no-ssh", "Bad Name"],
    ] {
        refused_alike(sandbox, t, args);
    }
    // Nothing ran in the container either.
    sandbox
        .redock(["run", &name, "--", "test", "!", "-e", "/tmp/dry-run-ran"])
        .success();

    // Paused, then stopped: a dry start would resume it, and says so.
    sandbox.engine_ok(&["pause", &id]);
    dry(
        sandbox,
        t,
        &["start", "--no-ssh", &name],
        0,
        &[
            &format!("would run: {e} unpause {id}"),
            "would wait for sshd",
        ],
    );
    sandbox.engine_ok(&["unpause", &id]);
    sandbox.engine_ok(&["stop", "-t", "1", &id]);
    dry(
        sandbox,
        t,
        &["start", "--no-ssh", &name],
        0,
        &[&format!("would run: {e} start {id}"), "would wait for sshd"],
    );
    dry(sandbox, t, &["kill", &name], 0, &[&rm]);
}
