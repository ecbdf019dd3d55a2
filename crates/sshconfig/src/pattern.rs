//! Pattern matching as in OpenSSH's `match.c`, plus the `glob(3)` subset
//! that `Include` needs.

use std::fs;
use std::path::PathBuf;

/// `match_pattern()`: `*` matches any run of bytes, `?` any one byte.
///
/// ssh's recursive version can take exponential time on hostile patterns;
/// this is the usual backtracking-once algorithm, which accepts exactly the
/// same strings in linear-times-pattern time.
pub(crate) fn match_pattern(s: &[u8], pattern: &[u8]) -> bool {
    let (mut si, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < pattern.len() && (pattern[pi] == b'?' || pattern[pi] == s[si]) {
            si += 1;
            pi += 1;
        } else if pi < pattern.len() && pattern[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    pattern[pi..].iter().all(|&b| b == b'*')
}

/// `match_pattern_list()`: comma-separated patterns, `!` negates one.
/// Returns 1 for a match, -1 for a negated match, 0 otherwise.
pub(crate) fn match_pattern_list(s: &[u8], list: &[u8], lower: bool) -> i32 {
    let mut got_positive = 0;
    let mut i = 0;
    while i < list.len() {
        let negated = list[i] == b'!';
        if negated {
            i += 1;
        }
        let start = i;
        while i < list.len() && list[i] != b',' {
            i += 1;
        }
        // ssh copies each sub-pattern into a 1024-byte buffer and gives up on
        // longer ones.
        if i - start >= 1023 {
            return 0;
        }
        let mut sub = list[start..i].to_vec();
        if lower {
            sub.make_ascii_lowercase();
        }
        if i < list.len() {
            i += 1;
        }
        if match_pattern(s, &sub) {
            if negated {
                return -1;
            }
            got_positive = 1;
        }
    }
    got_positive
}

/// `match_hostname()`: the host is lower-cased, and so are the patterns.
pub(crate) fn match_hostname(host: &[u8], list: &[u8]) -> bool {
    match_pattern_list(&host.to_ascii_lowercase(), list, true) == 1
}

/// `fnmatch(3)` for one path component as `glob(3)` uses it: `*`, `?`,
/// bracket expressions, backslash escapes, and a leading dot that only a
/// literal dot matches.
fn fnmatch(pattern: &[u8], name: &[u8]) -> bool {
    if name.first() == Some(&b'.') && pattern.first() != Some(&b'.') {
        return false;
    }
    fnmatch_at(pattern, name, 0)
}

fn fnmatch_at(p: &[u8], n: &[u8], depth: usize) -> bool {
    // Each `*` recurses once; bound the depth so hostile patterns stay cheap.
    if depth > 64 {
        return false;
    }
    let (mut pi, mut ni) = (0, 0);
    while pi < p.len() {
        match p[pi] {
            b'*' => {
                while pi < p.len() && p[pi] == b'*' {
                    pi += 1;
                }
                if pi == p.len() {
                    return true;
                }
                return (ni..=n.len()).any(|k| fnmatch_at(&p[pi..], &n[k..], depth + 1));
            }
            b'?' => {
                if ni >= n.len() {
                    return false;
                }
            }
            b'[' => {
                if ni >= n.len() {
                    return false;
                }
                match bracket(&p[pi..], n[ni]) {
                    Some((matched, len)) => {
                        if !matched {
                            return false;
                        }
                        pi += len;
                        ni += 1;
                        continue;
                    }
                    None => {
                        if n[ni] != b'[' {
                            return false;
                        }
                    }
                }
            }
            b'\\' if pi + 1 < p.len() => {
                pi += 1;
                if ni >= n.len() || n[ni] != p[pi] {
                    return false;
                }
            }
            c => {
                if ni >= n.len() || n[ni] != c {
                    return false;
                }
            }
        }
        pi += 1;
        ni += 1;
    }
    ni == n.len()
}

/// Matches `c` against the bracket expression at the start of `p`. Returns
/// whether it matched and the expression's length, or `None` when the
/// bracket is not closed (it is then a literal `[`).
fn bracket(p: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(p.get(i), Some(b'!') | Some(b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        let lo = p[i];
        if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
            if lo <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if lo == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

fn has_magic(component: &[u8]) -> bool {
    component.iter().any(|b| matches!(b, b'*' | b'?' | b'['))
}

fn unescape(component: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(component.len());
    let mut i = 0;
    while i < component.len() {
        if component[i] == b'\\' && i + 1 < component.len() {
            i += 1;
        }
        out.push(component[i]);
        i += 1;
    }
    out
}

/// `glob(3)` of an absolute pattern (tilde already expanded): the sorted list
/// of existing paths it names.
pub(crate) fn glob(pattern: &[u8]) -> Vec<PathBuf> {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let absolute = pattern.first() == Some(&b'/');
    let mut prefixes: Vec<Vec<u8>> = vec![if absolute { b"/".to_vec() } else { Vec::new() }];
    let components: Vec<&[u8]> = pattern
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .collect();
    for (index, component) in components.iter().enumerate() {
        let last = index + 1 == components.len();
        let mut next = Vec::new();
        for prefix in &prefixes {
            let join = |name: &[u8]| {
                let mut p = prefix.clone();
                if !p.is_empty() && !p.ends_with(b"/") {
                    p.push(b'/');
                }
                p.extend_from_slice(name);
                p
            };
            if !has_magic(component) {
                next.push(join(&unescape(component)));
                continue;
            }
            let dir = if prefix.is_empty() {
                b".".to_vec()
            } else {
                prefix.clone()
            };
            let Ok(entries) = fs::read_dir(std::ffi::OsStr::from_bytes(&dir)) else {
                continue;
            };
            let mut names: Vec<Vec<u8>> = entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().into_vec())
                .filter(|name| fnmatch(component, name))
                .collect();
            names.sort();
            for name in names {
                let path = join(&name);
                if last
                    || fs::metadata(std::ffi::OsStr::from_bytes(&path)).is_ok_and(|m| m.is_dir())
                {
                    next.push(path);
                }
            }
        }
        prefixes = next;
        if prefixes.is_empty() {
            break;
        }
    }
    let mut out: Vec<Vec<u8>> = prefixes
        .into_iter()
        .filter(|p| fs::symlink_metadata(std::ffi::OsStr::from_bytes(p)).is_ok())
        .collect();
    out.sort();
    out.into_iter()
        .map(|p| PathBuf::from(std::ffi::OsString::from_vec(p)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(match_pattern(b"web", b"w*"));
        assert!(match_pattern(b"web", b"*"));
        assert!(match_pattern(b"", b"*"));
        assert!(match_pattern(b"web", b"w?b"));
        assert!(!match_pattern(b"web", b"w?"));
        assert!(match_pattern(b"a.b.c", b"*.*.c"));
        assert!(!match_pattern(b"Web", b"web"));
        assert!(match_pattern(
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
            &b"*a*a*a*a*a*a*a*a*a*b"[..]
        ));
    }

    #[test]
    fn lists() {
        assert_eq!(match_pattern_list(b"web", b"db,web", false), 1);
        assert_eq!(match_pattern_list(b"web", b"*,!web", false), -1);
        assert_eq!(match_pattern_list(b"web", b"db", false), 0);
        assert!(match_hostname(b"WEB", b"W*"));
    }

    #[test]
    fn fnmatch_rules() {
        assert!(fnmatch(b"*.conf", b"a.conf"));
        assert!(!fnmatch(b"*", b".hidden"));
        assert!(fnmatch(b".*", b".hidden"));
        assert!(fnmatch(b"[a-c]x", b"bx"));
        assert!(!fnmatch(b"[!a-c]x", b"bx"));
        assert!(fnmatch(b"a\\*", b"a*"));
        assert!(fnmatch(b"[x", b"[x"));
    }
}
