//! `history` and `rollback` against the engine: the log of commits, the
//! snapshots a commit keeps and their limit, a rollback and its undoing,
//! and what `delete` leaves (nothing). `podman.rs` runs the core against
//! Podman.

use std::collections::BTreeSet;
use std::ops::Deref;

use serde_json::Value;

use crate::engine::base_image;
use crate::lifecycle::{host_block_port, ssh_ok, state_of};
use crate::Sandbox;

/// A sandbox and the images the test saw, for the checks of what is left;
/// the sandbox removes the snapshots of its NAMEs with it.
pub struct Snapshots {
    sandbox: Sandbox,
    /// Every image id `history` showed (without `sha256:`).
    pub seen: BTreeSet<String>,
}

impl Snapshots {
    pub fn new(sandbox: Sandbox) -> Snapshots {
        Snapshots {
            sandbox,
            seen: BTreeSet::new(),
        }
    }

    /// A NAME of the sandbox's own and its alias; its image and snapshots
    /// go with the sandbox.
    pub fn unique(&mut self, label: &str) -> (String, String) {
        let (name, hostname) = self.sandbox.unique(label);
        self.sandbox.owns_image(&name);
        (name, format!("{hostname}-container"))
    }

    /// `history --json NAME`, remembering the images it names.
    pub fn history(&mut self, name: &str) -> Value {
        let out = self.sandbox.redock(["history", "--json", name]).success();
        let history: Value = serde_json::from_str(&out.stdout).unwrap();
        for entry in history["entries"].as_array().unwrap() {
            if let Some(id) = entry["image"].as_str() {
                self.seen.insert(bare(id));
            }
        }
        history
    }

    /// The names in NAME's snapshot repository.
    pub fn snapshot_names(&self, name: &str) -> Vec<String> {
        snapshot_names(&self.sandbox, name)
    }

    /// The images the test saw that are dangling now (no name, no child).
    pub fn dangling_of_ours(&self) -> Vec<String> {
        let out = self
            .sandbox
            .engine_ok(&["images", "-q", "--no-trunc", "-f", "dangling=true"]);
        out.lines()
            .map(bare)
            .filter(|id| self.seen.contains(id))
            .collect()
    }

    /// The images the test saw that still exist.
    pub fn left_of_ours(&self) -> Vec<String> {
        self.seen
            .iter()
            .filter(|id| {
                self.sandbox
                    .engine()
                    .args(["image", "inspect", id.as_str()])
                    .output()
                    .unwrap()
                    .status
                    .success()
            })
            .cloned()
            .collect()
    }
}

impl Deref for Snapshots {
    type Target = Sandbox;
    fn deref(&self) -> &Sandbox {
        &self.sandbox
    }
}

/// The names in the snapshot repository of `name` (`repository:tag`), as
/// the sandbox's engine lists them. No assertion: the sandbox's drop uses
/// it, where a panic would abort.
pub fn snapshot_names(sandbox: &Sandbox, name: &str) -> Vec<String> {
    let repository = redock::history::repository(name);
    let Ok(out) = sandbox
        .engine()
        .args(["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"])
        .arg(&repository)
        .output()
    else {
        return Vec::new();
    };
    // Podman lists the other names of those images too.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.trim_start_matches("localhost/").starts_with(&repository))
        .map(String::from)
        .collect()
}

fn bare(id: &str) -> String {
    redock::history::bare_id(id.trim()).to_string()
}

/// The `(number, message)` of each entry of `history --json`.
pub fn entries(history: &Value) -> Vec<(Option<u64>, Option<String>)> {
    history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["number"].as_u64(),
                e["message"].as_str().map(String::from),
            )
        })
        .collect()
}

/// The image id of entry `number`.
pub fn image_of(history: &Value, number: u64) -> String {
    let entries = history["entries"].as_array().unwrap();
    let entry = entries
        .iter()
        .find(|e| e["number"].as_u64() == Some(number))
        .unwrap_or_else(|| panic!("no entry {number}: {history}"));
    bare(entry["image"].as_str().unwrap())
}

/// Issue 12's first scenario: commit "first", change, commit "second"
/// (squashed),
/// `history` lists both newest first, kill, `rollback`, start: the first
/// commit's file is there and the second's is not; kill, `rollback` again
/// returns to "second". Then `delete` leaves no snapshot and no image.
pub fn check_history_and_rollback(mut sandbox: Snapshots) {
    let (name, alias) = sandbox.unique("history");
    sandbox.redock(["start", "--no-ssh", &name]).success();
    ssh_ok(&sandbox, &alias, &["touch", "/root/first"]);
    sandbox
        .redock([
            "commit",
            "-m",
            "first",
            "--author",
            "Alice <alice@example.org>",
            &name,
        ])
        .success();
    // The container's labels do not become the image's (Podman read a
    // LABEL change of several labels into the first one's value).
    for label in ["io.redock.name", "io.redock.home"] {
        let value = sandbox.engine_ok(&[
            "image",
            "inspect",
            "-f",
            &format!("{{{{index .Config.Labels \"{label}\"}}}}"),
            &name,
        ]);
        assert_eq!(value, "", "{label}");
    }
    ssh_ok(&sandbox, &alias, &["touch", "/root/second"]);
    // Text that quoting or escaping would change, kept as it is, through
    // a squashed commit (`export | import`) as well as a plain one.
    let second = r#"second: "quoted", \back\ $HOME; 100% é"#;
    sandbox
        .redock(["commit", "--squash", "-m", second, &name])
        .success();

    let history = sandbox.history(&name);
    assert_eq!(
        entries(&history),
        [
            (Some(0), Some(second.into())),
            (Some(1), Some("first".into()))
        ],
        "{history}"
    );
    assert_eq!(history["entries"][1]["author"], "Alice <alice@example.org>");
    assert_eq!(history["limit"], 5);
    let first_id = image_of(&history, 1);
    let second_id = image_of(&history, 0);
    let table = sandbox.redock(["history", &name]).success().stdout;
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("#  COMMITTED"), "{table}");
    assert!(
        lines[1].starts_with("0  ") && lines[1].ends_with(second),
        "{table}"
    );
    assert!(
        lines[2].starts_with("1  ") && lines[2].ends_with("first"),
        "{table}"
    );

    sandbox.redock(["kill", &name]).success();
    let out = sandbox.redock(["rollback", &name]).success();
    assert!(out.stderr.contains("back to snapshot 1"), "{out}");
    let history = sandbox.history(&name);
    assert_eq!(
        entries(&history),
        [
            (Some(0), Some("first".into())),
            (Some(1), Some(second.into()))
        ],
        "{history}"
    );
    assert_eq!(image_of(&history, 0), first_id);
    sandbox.redock(["start", "--no-ssh", &name]).success();
    ssh_ok(&sandbox, &alias, &["test", "-f", "/root/first"]);
    ssh_ok(&sandbox, &alias, &["test", "!", "-e", "/root/second"]);

    sandbox.redock(["kill", &name]).success();
    sandbox.redock(["rollback", &name]).success();
    let history = sandbox.history(&name);
    assert_eq!(image_of(&history, 0), second_id);
    assert_eq!(image_of(&history, 1), first_id);
    assert_eq!(entries(&history)[0].1.as_deref(), Some(second));

    let out = sandbox.redock(["delete", &name]).success();
    assert!(out.stderr.contains("and its snapshot"), "{out}");
    assert_eq!(sandbox.snapshot_names(&name), Vec::<String>::new());
    assert_eq!(sandbox.left_of_ours(), Vec::<String>::new());
    let out = sandbox.redock(["history", &name]).fails(1);
    out.assert_one_line_error(&format!("there is no image {name}"));
}

#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn history_and_rollback() {
    base_image();
    check_history_and_rollback(Snapshots::new(Sandbox::new()));
}

/// Eight squashed commits: `history` lists every message though the image
/// is one layer, five snapshots are kept (the default); a ninth commit with
/// `REDOCK_SNAPSHOTS=2` keeps two. No image of the test's is left dangling,
/// and `delete` leaves none at all.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn squashed_commits_keep_their_history_and_the_snapshot_limit_holds() {
    base_image();
    let mut sandbox = Snapshots::new(Sandbox::new());
    let (name, alias) = sandbox.unique("squash");
    sandbox.redock(["start", "--no-ssh", &name]).success();
    let messages: Vec<String> = (1..=8).map(|n| format!("change {n}")).collect();
    for (n, message) in messages.iter().enumerate() {
        ssh_ok(&sandbox, &alias, &["touch", &format!("/root/file{n}")]);
        let out = sandbox
            .redock(["commit", "--squash", "-m", message, &name])
            .success();
        assert!(!out.stderr.contains("warning"), "{out}");
        sandbox.history(&name);
    }
    let layers = sandbox.engine_ok(&["image", "inspect", "-f", "{{len .RootFS.Layers}}", &name]);
    assert_eq!(layers, "1");
    let history = sandbox.history(&name);
    let listed: Vec<(Option<u64>, Option<String>)> = entries(&history);
    let expected: Vec<(Option<u64>, Option<String>)> = messages
        .iter()
        .rev()
        .enumerate()
        .map(|(n, m)| (Some(n as u64).filter(|n| *n <= 5), Some(m.clone())))
        .collect();
    assert_eq!(listed, expected, "{history}");
    assert_eq!(sandbox.snapshot_names(&name).len(), 5);
    // The commits whose images went still tell their size.
    assert!(
        history["entries"][7]["size"].as_u64().unwrap() > 0,
        "{history}"
    );
    assert_eq!(sandbox.dangling_of_ours(), Vec::<String>::new());
    assert_eq!(sandbox.seen.len(), 8, "one image a commit");

    let out = sandbox
        .redock(["commit", "--squash", "-m", "change 9", &name])
        .env("REDOCK_SNAPSHOTS", "2")
        .success();
    assert!(!out.stderr.contains("warning"), "{out}");
    let history = sandbox.history(&name);
    let numbers: Vec<Option<u64>> = entries(&history).into_iter().map(|e| e.0).collect();
    assert_eq!(numbers[..4], [Some(0), Some(1), Some(2), None], "{history}");
    assert_eq!(entries(&history).len(), 9);
    assert_eq!(sandbox.snapshot_names(&name).len(), 2);
    assert_eq!(sandbox.dangling_of_ours(), Vec::<String>::new());

    sandbox.redock(["kill", &name]).success();
    let out = sandbox.redock(["delete", &name]).success();
    assert!(out.stderr.contains("and its 2 snapshots"), "{out}");
    assert_eq!(sandbox.snapshot_names(&name), Vec::<String>::new());
    assert_eq!(sandbox.left_of_ours(), Vec::<String>::new());
}

/// `rollback` is refused with one line while a container of NAME exists,
/// running or stopped; `--force` kills it (container, Host block, record)
/// and rolls back. On the way, plain commits keep their snapshots with no
/// image dangling, and a snapshot of the current image, as an interrupted
/// commit leaves, is neither listed nor kept twice.
#[test]
#[ignore = "needs a Docker engine: cargo xtask ci"]
fn rollback_is_refused_while_a_container_exists() {
    base_image();
    let mut sandbox = Snapshots::new(Sandbox::new());
    let (name, alias) = sandbox.unique("refused");
    sandbox.redock(["start", "--no-ssh", &name]).success();
    for message in ["one", "two", "three"] {
        if message == "three" {
            // A commit interrupted after it kept the image it replaces
            // leaves that image, still the current one, as a snapshot.
            let stale = format!("{}:99", redock::history::repository(&name));
            sandbox.engine_ok(&["tag", &name, &stale]);
            let history = sandbox.history(&name);
            let numbers: Vec<Option<u64>> = entries(&history).into_iter().map(|e| e.0).collect();
            assert_eq!(numbers, [Some(0), Some(1)], "{history}");
        }
        ssh_ok(&sandbox, &alias, &["touch", &format!("/root/{message}")]);
        sandbox.redock(["commit", "-m", message, &name]).success();
        sandbox.history(&name);
    }
    let history = sandbox.history(&name);
    let images: BTreeSet<String> = (0..3).map(|n| image_of(&history, n)).collect();
    assert_eq!(images.len(), 3, "an image listed twice: {history}");
    assert_eq!(sandbox.snapshot_names(&name).len(), 2);
    assert_eq!(sandbox.dangling_of_ours(), Vec::<String>::new());
    let before = sandbox.history(&name);
    let ids = sandbox.container_ids();

    let out = sandbox.redock(["rollback", &name]).fails(1);
    out.assert_one_line_error(&format!(
        "a container is still running from the image {name}"
    ));
    assert!(out.stderr.contains("rollback --force"), "{out}");
    sandbox.engine_ok(&["stop", "-t", "1", &ids[0]]);
    let out = sandbox.redock(["rollback", &name]).fails(1);
    out.assert_one_line_error(&format!("a stopped container of {name} still exists"));
    assert_eq!(
        sandbox.history(&name),
        before,
        "a refused rollback changed it"
    );
    assert_eq!(sandbox.container_ids(), ids);

    let out = sandbox.redock(["rollback", "--force", &name]).success();
    assert!(out.stderr.contains(&format!("killed {name}")), "{out}");
    assert!(sandbox.container_ids().is_empty());
    assert_eq!(host_block_port(&sandbox, &alias), None);
    assert_eq!(state_of(&sandbox, &name), "no row");
    let after = sandbox.history(&name);
    assert_eq!(image_of(&after, 0), image_of(&before, 1));
    assert_eq!(image_of(&after, 1), image_of(&before, 0));

    let out = sandbox.redock(["rollback", "--to", "3", &name]).fails(1);
    out.assert_one_line_error(&format!("{name} has no snapshot 3: it has 2, 1 to 2"));
    let out = sandbox.redock(["rollback", "--to", "0", &name]).fails(2);
    assert!(out.stderr.starts_with("redock: error: "), "{out}");

    sandbox.redock(["delete", &name]).success();
    assert_eq!(sandbox.snapshot_names(&name), Vec::<String>::new());
    assert_eq!(sandbox.left_of_ours(), Vec::<String>::new());
}
