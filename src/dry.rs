//! `--dry-run`: what a command that changes nothing prints instead of each
//! change, on stdout, where the change would have been made.
//!
//! The decision is made once, in [`crate::Context::new`]: a dry run's
//! `Context` holds a `Docker` that hands each call that would change the
//! engine to [`would_run`] (docker-exec's gate stops any that does not),
//! and a `Home` whose writes ([`crate::Home::write_file`], the locks, the
//! key pair, the modes, the state file) come here as diffs and sentences.
//! The user's ssh config shows its diff the same way.

use std::path::Path;

/// A call that would change the engine (or an ssh command that would run
/// in a container), as a command line.
pub fn would_run(line: &str) {
    println!("would run: {line}");
}

/// A change that cannot be shown as a command line or a diff, said as a
/// sentence that follows "would".
pub fn note(what: impl AsRef<str>) {
    println!("would {}", what.as_ref());
}

/// A file that would be written: `old` (`None`: it does not exist) and
/// `new` as a unified diff. Nothing when they are the same.
pub fn file_change(path: &Path, old: Option<&[u8]>, new: &[u8]) {
    if old == Some(new) {
        return;
    }
    let verb = if old.is_some() { "change" } else { "create" };
    println!("would {verb} {}:", path.display());
    print!("{}", diff(path, old.unwrap_or_default(), new));
}

/// A unified diff of one changed stretch of lines (the changes redock
/// makes to a file are one each), with enough context to place it.
pub fn diff(path: &Path, old: &[u8], new: &[u8]) -> String {
    let old_text = String::from_utf8_lossy(old);
    let new_text = String::from_utf8_lossy(new);
    let old_lines: Vec<&str> = old_text.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new_text.split_inclusive('\n').collect();
    let prefix = old_lines
        .iter()
        .zip(&new_lines)
        .take_while(|(a, b)| a == b)
        .count();
    let suffix = old_lines[prefix..]
        .iter()
        .rev()
        .zip(new_lines[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let context = 3;
    let start = prefix.saturating_sub(context);
    let old_end = (old_lines.len() - suffix + context).min(old_lines.len());
    let new_end = (new_lines.len() - suffix + context).min(new_lines.len());
    let mut out = format!(
        "--- {0}\n+++ {0}\n@@ -{1},{2} +{3},{4} @@\n",
        path.display(),
        start + 1,
        old_end - start,
        start + 1,
        new_end - start
    );
    let line = |out: &mut String, mark: char, text: &str| {
        out.push(mark);
        out.push_str(text.trim_end_matches(['\n', '\r']));
        out.push('\n');
    };
    for text in &old_lines[start..prefix] {
        line(&mut out, ' ', text);
    }
    for text in &old_lines[prefix..old_lines.len() - suffix] {
        line(&mut out, '-', text);
    }
    for text in &new_lines[prefix..new_lines.len() - suffix] {
        line(&mut out, '+', text);
    }
    for text in &new_lines[new_lines.len() - suffix..new_end] {
        line(&mut out, ' ', text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_of_a_removal_and_a_new_file() {
        let path = Path::new("/h/known_hosts");
        assert_eq!(
            diff(path, b"a\nb\nc\n", b"a\nc\n"),
            "--- /h/known_hosts\n+++ /h/known_hosts\n@@ -1,3 +1,2 @@\n a\n-b\n c\n"
        );
        assert_eq!(
            diff(path, b"", b"x\n"),
            "--- /h/known_hosts\n+++ /h/known_hosts\n@@ -1,0 +1,1 @@\n+x\n"
        );
    }
}
