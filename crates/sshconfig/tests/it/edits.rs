//! Random edits change only what they are asked to, and undoing them
//! restores the original bytes.

use std::path::Path;

use sshconfig::Config;

use crate::generate::{messy_config, Rng};

const OWNED: &[&str] = &["redock-a", "redock-b", "redock-c"];
const INCLUDE: &str = "Include /srv/redock/ssh_config";

/// Whether `after` is `before` with bytes changed only inside one window:
/// the common prefix and suffix together cover all of the shorter input.
fn changed_region(before: &[u8], after: &[u8]) -> (usize, usize, usize) {
    let prefix = before.iter().zip(after).take_while(|(a, b)| a == b).count();
    let max_suffix = before.len().min(after.len()) - prefix;
    let suffix = before
        .iter()
        .rev()
        .zip(after.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    (prefix, before.len() - suffix, after.len() - suffix)
}

#[test]
fn random_edit_sequences() {
    let mut rng = Rng::new(7);
    for case in 0..2000 {
        let mut original = messy_config(&mut rng);
        // The test owns these names; a user's block of the same name would be
        // edited on purpose, so keep them out of the originals.
        for name in OWNED {
            while let Some(pos) = find(&original, name.as_bytes()) {
                original[pos] = b'X';
            }
        }
        while let Some(pos) = find(&original, b"/srv/redock") {
            original[pos] = b'X';
        }
        let mut config = Config::parse(&original);
        let mut include_at: Option<usize> = None;
        let mut added: Vec<&str> = Vec::new();
        for _ in 0..1 + rng.below(6) {
            let before = config.to_bytes();
            let name = *rng.pick(OWNED);
            match rng.below(4) {
                0 if include_at.is_none() => {
                    let at = config.insert_before_first_host_or_match(INCLUDE);
                    assert_eq!(config.line(at), Some(INCLUDE.as_bytes()));
                    assert_eq!(
                        config.find_include_with_home(Path::new("/srv/redock/ssh_config"), None),
                        Some(at),
                        "case {case}"
                    );
                    include_at = Some(at);
                }
                1 | 2 => {
                    let port = rng.below(60000).to_string();
                    let options = [("HostName", "127.0.0.1"), ("Port", port.as_str())];
                    config.set_host_block(name, &options);
                    let block = config.host_block(name).expect("block just set");
                    assert_eq!(block.get("port"), Some(port.as_str()));
                    if !added.contains(&name) {
                        added.push(name);
                    }
                }
                _ => {
                    if config.remove_host_block(name) {
                        added.retain(|n| *n != name);
                    }
                    assert!(config.host_block(name).is_none());
                }
            }
            let after = config.to_bytes();
            // Everything outside the edited lines is untouched: the change
            // is one window that is either a pure insertion or lies within
            // a block the test owns (with the blank line around it).
            let (start, end_before, _) = changed_region(&before, &after);
            let inside_owned = owned_ranges(&before)
                .iter()
                .any(|r| r.start <= start && end_before <= r.end);
            assert!(
                start == end_before || inside_owned,
                "case {case}: edit touched user bytes {:?}",
                String::from_utf8_lossy(&before[start..end_before])
            );
            // The lines of the original survive in order.
            let reparsed = Config::parse(&after);
            assert_eq!(reparsed.to_bytes(), after);
        }
        for name in added.clone() {
            assert!(config.remove_host_block(name), "case {case}");
        }
        if include_at.is_some() {
            let at = config
                .find_include_with_home(Path::new("/srv/redock/ssh_config"), None)
                .unwrap();
            config.remove_line(at);
        }
        assert_eq!(
            config.to_bytes(),
            original,
            "case {case}: undoing every edit must restore the original\n{:?}\n{:?}",
            String::from_utf8_lossy(&config.to_bytes()),
            String::from_utf8_lossy(&original)
        );
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Byte ranges of the owned blocks in `bytes`, each widened by one line on
/// either side (the blank separator an edit may add or remove).
fn owned_ranges(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut offsets = vec![0];
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            offsets.push(i + 1);
        }
    }
    if *offsets.last().unwrap() != bytes.len() {
        offsets.push(bytes.len());
    }
    let config = Config::parse(bytes);
    let mut ranges: Vec<std::ops::Range<usize>> = OWNED
        .iter()
        .filter_map(|name| config.host_block(name))
        .map(|block| {
            let first = block.lines.start.saturating_sub(1);
            let last = (block.lines.end + 1).min(offsets.len() - 1);
            // The terminator of the line before may be one an edit added to a
            // file that lacked a final newline.
            offsets[first].saturating_sub(2)..offsets[last]
        })
        .collect();
    // Adjacent blocks form one region: a diff window may straddle them.
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<std::ops::Range<usize>> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(m) if r.start <= m.end => m.end = m.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}
