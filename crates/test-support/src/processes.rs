//! Whether the processes a test saw started are gone: the tests of
//! deadlines and signals write the pids of what they spawn to a file, and
//! then wait, with a bound far above what it takes, for every one to end.

use std::path::Path;
use std::time::{Duration, Instant};

/// Whether process `pid` is gone: no such process, or a zombie that no
/// longer runs (its parent, init for an orphan, reaps it in its own time).
pub fn gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

/// Waits (up to a minute) for `file` to be written, then returns the pids
/// in it, separated by white space.
pub fn wait_for_pids(file: &Path) -> Vec<i32> {
    let start = Instant::now();
    while !file.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} never came",
            file.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::fs::read_to_string(file)
        .unwrap()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect()
}

/// Waits (up to 30 seconds) until every one of `pids` is gone; fails
/// naming those left.
pub fn assert_gone(pids: &[i32]) {
    assert!(!pids.is_empty(), "no pids to wait for");
    let start = Instant::now();
    loop {
        let left: Vec<i32> = pids.iter().copied().filter(|&pid| !gone(pid)).collect();
        if left.is_empty() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "left behind: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
