//! Integration tests for the state file across processes.

use std::path::{Path, PathBuf};
use std::process::Command;

use state::{ContainerRecord, StateFile};

/// Set in a child process to the state file it should hammer.
const WORKER_PATH: &str = "STATE_HAMMER_PATH";
/// Set in a child process to its worker number.
const WORKER_ID: &str = "STATE_HAMMER_WORKER";

const WORKERS: usize = 4;
const UPDATES: usize = 50;
const COUNTER: &str = "counter";

/// Several processes update one state file at once; every update must
/// survive. Each worker adds its own keys and increments a shared counter,
/// the read-modify-write that a lost update would show as a short count.
///
/// The test binary runs itself, filtered to this test, as the workers: with
/// the environment variables set, this same test body is the worker.
#[test]
fn concurrent_updates_lose_nothing() {
    if let Some(path) = std::env::var_os(WORKER_PATH) {
        let id: usize = std::env::var(WORKER_ID).unwrap().parse().unwrap();
        work(Path::new(&path), id);
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("home/state.json");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..WORKERS)
        .map(|id| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "concurrent_updates_lose_nothing",
                    "--test-threads=1",
                ])
                .env(WORKER_PATH, &path)
                .env(WORKER_ID, id.to_string())
                .output_spawn()
        })
        .collect();
    for (id, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "worker {id} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout)
        );
        // A filter that matched nothing would also exit 0.
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("1 passed"),
            "worker {id} ran no test"
        );
    }

    let state = StateFile::new(&path).load().unwrap();
    assert_eq!(
        state.containers[COUNTER].container_id,
        (WORKERS * UPDATES).to_string()
    );
    assert_eq!(state.containers.len(), WORKERS * UPDATES + 1);
    for id in 0..WORKERS {
        for n in 0..UPDATES {
            let key = format!("worker{id}:n{n}");
            assert_eq!(state.containers[&key].name, key);
        }
    }
}

fn work(path: &Path, id: usize) {
    let file = StateFile::new(path);
    for n in 0..UPDATES {
        file.update(|state| {
            let key = format!("worker{id}:n{n}");
            state.containers.insert(
                key.clone(),
                ContainerRecord {
                    name: key,
                    container_id: format!("{id:02}{n:062}"),
                    transport: "tcp".to_string(),
                    ..ContainerRecord::default()
                },
            );
            let counter = state
                .containers
                .entry(COUNTER.to_string())
                .or_insert_with(|| ContainerRecord {
                    name: COUNTER.to_string(),
                    container_id: "0".to_string(),
                    ..ContainerRecord::default()
                });
            let count: usize = counter.container_id.parse().unwrap();
            counter.container_id = (count + 1).to_string();
        })
        .unwrap();
        // Readers run between the writers and must always see a whole file.
        let seen = file.load().unwrap();
        assert!(seen.containers.contains_key(&format!("worker{id}:n{n}")));
    }
}

/// Spawns with piped output, so that a worker's test output stays out of
/// this test's own.
trait OutputSpawn {
    fn output_spawn(&mut self) -> std::process::Child;
}

impl OutputSpawn for Command {
    fn output_spawn(&mut self) -> std::process::Child {
        use std::process::Stdio;
        self.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }
}

/// A reader with no lock file and no way to make one still reads.
#[test]
fn load_without_writable_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("missing/state.json");
    assert!(StateFile::new(path).load().unwrap().containers.is_empty());
}
