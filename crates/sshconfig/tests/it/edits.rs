//! Random edits change only what they are asked to, and undoing them
//! restores the original bytes.

use std::path::Path;

use sshconfig::{Config, ErrorKind, LineId};

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
        let mut include_at: Option<LineId> = None;
        let mut added: Vec<&str> = Vec::new();
        for _ in 0..1 + rng.below(6) {
            let before = config.to_bytes();
            let name = *rng.pick(OWNED);
            match rng.below(4) {
                0 if include_at.is_none() => {
                    let at = config.insert_before_first_host_or_match(INCLUDE);
                    assert_eq!(config.line(at).unwrap(), INCLUDE.as_bytes());
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
        if let Some(at) = include_at {
            assert_eq!(
                config.find_include_with_home(Path::new("/srv/redock/ssh_config"), None),
                Some(at)
            );
            config.remove_line(at).unwrap();
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

/// Every edit, on random files: a handle taken before it names the same
/// line (same bytes) afterwards, or is refused; never another line.
#[test]
fn handles_taken_before_an_edit_stay_right_or_are_refused() {
    let mut rng = Rng::new(11);
    let mut refused = 0;
    let mut kept = 0;
    for case in 0..2000 {
        let mut config = Config::parse(&messy_config(&mut rng));
        for _ in 0..1 + rng.below(8) {
            let handles: Vec<(LineId, Vec<u8>)> = config
                .lines()
                .map(|id| (id, config.line(id).unwrap().to_vec()))
                .collect();
            let name = *rng.pick(OWNED);
            match rng.below(7) {
                0 => {
                    config.insert_before_first_host_or_match(INCLUDE);
                }
                1 => {
                    config.insert_before_first_directive(INCLUDE);
                }
                2 => {
                    config.set_host_block(name, &[("Port", rng.below(9).to_string())]);
                }
                3 => {
                    config.remove_host_block(name);
                }
                4 if !handles.is_empty() => {
                    let (id, _) = handles[rng.below(handles.len())];
                    config.remove_line(id).unwrap();
                }
                5 if !handles.is_empty() => {
                    let (id, _) = handles[rng.below(handles.len())];
                    config.move_before_first_directive(id).unwrap();
                }
                _ => {
                    if let Some(id) =
                        config.find_include_with_home(Path::new("/srv/redock/ssh_config"), None)
                    {
                        config.move_before_first_directive(id).unwrap();
                    }
                }
            }
            let bytes = config.to_bytes();
            for (id, content) in &handles {
                match config.line(*id) {
                    Ok(now) => {
                        // A moved line loses its indentation and trailing
                        // whitespace, nothing else.
                        assert!(
                            now == &content[..] || now == content.trim_ascii(),
                            "case {case}: a handle names other bytes after the edit: {:?} became {:?}",
                            String::from_utf8_lossy(content),
                            String::from_utf8_lossy(now)
                        );
                        if now == &content[..] {
                            kept += 1;
                        }
                        let number = config.line_number(*id).unwrap();
                        assert_eq!(config.lines().nth(number - 1), Some(*id));
                    }
                    Err(e) => {
                        assert_eq!(e.kind(), ErrorKind::NoSuchLine);
                        refused += 1;
                    }
                }
            }
            assert_eq!(Config::parse(&bytes).to_bytes(), bytes);
        }
    }
    assert!(
        kept > 10_000 && refused > 100,
        "kept {kept}, refused {refused}"
    );
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
            let start = config.line_number(block.host_line).unwrap() - 1;
            let end = start + block.lines.len();
            let first = start.saturating_sub(1);
            let last = (end + 1).min(offsets.len() - 1);
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
