//! Hostile and clumsy input, as tables: every row is tried and must end
//! exactly as it says, either working end to end or refused with one
//! `redock: error:` line (and maybe a hint), its exit code, no panic and
//! every file under HOME byte for byte as it was.
//!
//! - `early`: rows refused before the engine is touched. They run with a
//!   docker that notes any call in a file under HOME, so a call shows as a
//!   changed file.
//! - `engine`: rows that need the engine (`cargo xtask ci` runs them).
//! - `values`: values written into ssh configurations, against the engine.
//!
//! Each table writes what it saw to `target/tmp/reliability/<table>.tsv`;
//! `cargo xtask reliability` makes RELIABILITY.md of those files, and
//! `cargo xtask ci` checks that the committed one is what this run saw.

mod early;
mod engine;
mod values;

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::{Out, Sandbox};

/// One redock invocation of a row: its arguments, environment and working
/// directory.
pub struct Try {
    args: Vec<OsString>,
    env: Vec<(String, Option<OsString>)>,
    dir: Option<PathBuf>,
}

impl Try {
    pub fn new<I, S>(args: I) -> Try
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Try {
            args: args.into_iter().map(|a| a.as_ref().to_owned()).collect(),
            env: Vec::new(),
            dir: None,
        }
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Try {
        self.env
            .push((key.to_string(), Some(value.as_ref().to_owned())));
        self
    }

    pub fn env_remove(mut self, key: &str) -> Try {
        self.env.push((key.to_string(), None));
        self
    }

    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Try {
        self.dir = Some(dir.into());
        self
    }
}

/// What a row must do. A check returns what it saw, for the table.
pub enum Expect {
    /// Exit 0, then the check passes.
    Works(Check),
    /// This exit code and one error line holding this text.
    Refused(i32, &'static str),
}

pub type Check = Box<dyn Fn(&Sandbox, &Out) -> Result<String, String>>;
type Setup = Box<dyn Fn(&Sandbox) -> Try>;

/// A row of a table.
pub struct Case {
    pub id: String,
    /// What is tried, in words, as RELIABILITY.md shows it.
    pub input: String,
    setup: Setup,
    expect: Expect,
    /// Checked after the run whatever the outcome (nothing ran remotely,
    /// say).
    after: Option<Check>,
}

impl Case {
    pub fn new(
        id: impl Into<String>,
        input: impl Into<String>,
        expect: Expect,
        setup: impl Fn(&Sandbox) -> Try + 'static,
    ) -> Case {
        Case {
            id: id.into(),
            input: input.into(),
            setup: Box::new(setup),
            expect,
            after: None,
        }
    }

    /// Adds a check made after the run, whatever its outcome.
    pub fn after(
        mut self,
        check: impl Fn(&Sandbox, &Out) -> Result<String, String> + 'static,
    ) -> Case {
        self.after = Some(Box::new(check));
        self
    }

    fn expected(&self) -> String {
        match &self.expect {
            Expect::Works(_) => "works".to_string(),
            Expect::Refused(code, text) => format!("exit {code}: “{text}”"),
        }
    }
}

pub fn refused(code: i32, text: &'static str) -> Expect {
    Expect::Refused(code, text)
}

pub fn works(check: impl Fn(&Sandbox, &Out) -> Result<String, String> + 'static) -> Expect {
    Expect::Works(Box::new(check))
}

/// The rows of one table as they came out.
pub struct Table {
    name: &'static str,
    title: &'static str,
    rows: Vec<[String; 4]>,
    failures: Vec<String>,
}

impl Table {
    pub fn new(name: &'static str, title: &'static str) -> Table {
        Table {
            name,
            title,
            rows: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// Runs `case` in `sandbox`, with `env` set first (the row's own
    /// environment comes after), and records what it did.
    pub fn run(&mut self, sandbox: &Sandbox, env: &[(&str, OsString)], case: &Case) {
        let attempt = (case.setup)(sandbox);
        let before = unlocked(sandbox.snapshot());
        let mut run = sandbox.redock(&attempt.args);
        for (key, value) in env {
            run = run.env(key, value);
        }
        for (key, value) in &attempt.env {
            run = match value {
                Some(value) => run.env(key, value),
                None => run.env_remove(key),
            };
        }
        if let Some(dir) = &attempt.dir {
            run = run.current_dir(dir);
        }
        let out = run.output();
        let mut observed = match judge(sandbox, &case.expect, &out, &before) {
            Ok(observed) => observed,
            Err(why) => {
                self.failures.push(format!("{}: {why}\n{out}", case.id));
                format!("UNEXPECTED: {why}")
            }
        };
        if let Some(after) = &case.after {
            match after(sandbox, &out) {
                Ok(seen) if !seen.is_empty() => observed = format!("{observed}; {seen}"),
                Ok(_) => {}
                Err(why) => {
                    self.failures.push(format!("{}: {why}\n{out}", case.id));
                    observed = format!("{observed}; UNEXPECTED: {why}");
                }
            }
        }
        self.rows.push([
            case.id.clone(),
            case.input.clone(),
            case.expected(),
            normalize(sandbox, &observed),
        ]);
    }

    /// Writes the table for RELIABILITY.md and fails on any row that did
    /// not end as it says.
    pub fn finish(self) {
        let mut text = format!("# {}\n", self.title);
        for row in &self.rows {
            let fields: Vec<String> = row.iter().map(|f| escape(f)).collect();
            text.push_str(&fields.join("\t"));
            text.push('\n');
        }
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("reliability");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{}.tsv", self.name)), text).unwrap();
        assert!(
            self.failures.is_empty(),
            "{} of {} rows did not end as they should:\n\n{}",
            self.failures.len(),
            self.rows.len(),
            self.failures.join("\n\n")
        );
    }
}

/// Whether `out` is what `expect` says; what was seen, for the table.
fn judge(
    sandbox: &Sandbox,
    expect: &Expect,
    out: &Out,
    before: &Snapshot,
) -> Result<String, String> {
    if out.stderr.contains("panicked") {
        return Err("panic".into());
    }
    match expect {
        Expect::Works(check) => {
            if out.code != Some(0) {
                return Err(format!("exit {:?}", out.code));
            }
            check(sandbox, out).map(|seen| format!("works: {seen}"))
        }
        Expect::Refused(code, text) => {
            if out.code != Some(*code) {
                return Err(format!("exit {:?}, not {code}", out.code));
            }
            let (first, stderr) = error_line(&out.stderr)?;
            if !first.contains(text) && !stderr.contains(text) {
                return Err(format!("the error does not say {text:?}"));
            }
            let after = unlocked(sandbox.snapshot());
            if &after != before {
                return Err(format!("files changed: {}", changed(before, &after)));
            }
            match stderr.is_empty() {
                true => Ok(format!("exit {code}: {first}")),
                false => Ok(format!(
                    "exit {code}: {}; its stderr: {stderr}",
                    elide_command(&first)
                )),
            }
        }
    }
}

/// The one error line, and what a failed program said on stderr where the
/// error is one: `redock: error: process didn't exit successfully: …`,
/// then `--- stderr` and its lines, as cargo shows a failed process. A
/// `hint:` line may end either.
fn error_line(stderr: &str) -> Result<(String, String), String> {
    let mut lines: Vec<&str> = stderr.lines().collect();
    if lines.last().is_some_and(|l| l.starts_with("hint: ")) {
        lines.pop();
    }
    let first = lines.first().copied().unwrap_or_default();
    if !first.starts_with("redock: error: ") {
        return Err("no `redock: error:` line".into());
    }
    match &lines[1..] {
        [] => Ok((first.to_string(), String::new())),
        ["--- stderr", rest @ ..] if first.contains("process didn't exit successfully") => {
            Ok((first.to_string(), rest.join(" / ")))
        }
        _ => Err("more than one error line".into()),
    }
}

/// A failed process's error with the long command between the backquotes
/// left out.
fn elide_command(line: &str) -> String {
    match (line.find('`'), line.rfind('`')) {
        (Some(start), Some(end)) if end > start + 1 => {
            format!("{}`…`{}", &line[..start], &line[end + 1..])
        }
        _ => line.to_string(),
    }
}

pub type Snapshot = std::collections::BTreeMap<PathBuf, (u32, Vec<u8>)>;

/// A snapshot without the lock files a run may take (and the `locks`
/// directory that holds the NAMEs').
fn unlocked(mut files: Snapshot) -> Snapshot {
    files.retain(|path, _| {
        !path.to_string_lossy().ends_with("lock")
            && !path.components().any(|c| c.as_os_str() == "locks")
    });
    files
}

/// The paths whose kind, mode or bytes differ between two snapshots.
pub fn changed(before: &Snapshot, after: &Snapshot) -> String {
    let mut paths: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|p| before.get(*p) != after.get(*p))
        .map(|p| p.display().to_string())
        .collect();
    paths.dedup();
    paths.join(", ")
}

/// Sandbox paths as `$HOME`, this run's process id away, so that the
/// table reads the same on every run.
fn normalize(sandbox: &Sandbox, text: &str) -> String {
    let mut text = text.to_string();
    for home in [sandbox.real_home(), sandbox.home().to_path_buf()] {
        text = text.replace(&home.display().to_string(), "$HOME");
    }
    text.replace(&format!("-{}", std::process::id()), "")
}

/// A field of the tab-separated table: backslash, tab and newline escaped.
fn escape(field: &str) -> String {
    field
        .replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
}

// Helpers for the rows.

/// Bytes for a table: control characters and bytes that are not UTF-8 as
/// escapes (`\n`, `\xff`).
pub fn shown_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

pub fn bytes(b: &[u8]) -> OsString {
    OsString::from_vec(b.to_vec())
}

/// `dir/name` for a name given as bytes (not always UTF-8).
pub fn join_bytes(dir: &Path, name: &[u8]) -> PathBuf {
    dir.join(OsStr::from_bytes(name))
}

pub fn mkfifo(path: &Path) {
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
}

/// A character device like /dev/null at `path` when this runs as root;
/// otherwise /dev/null itself, which only root could damage.
pub fn char_device(path: &Path) -> PathBuf {
    use nix::sys::stat::{makedev, mknod, Mode, SFlag};
    if nix::unistd::geteuid().is_root() {
        mknod(
            path,
            SFlag::S_IFCHR,
            Mode::from_bits_truncate(0o666),
            makedev(1, 3),
        )
        .unwrap();
        path.to_path_buf()
    } else {
        PathBuf::from("/dev/null")
    }
}

pub fn socket(path: &Path) {
    let listener = std::os::unix::net::UnixListener::bind(path).unwrap();
    drop(listener);
}

pub fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) {
    if let Some(dir) = link.as_ref().parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::os::unix::fs::symlink(target, link).unwrap();
}

pub fn write(path: &Path, contents: impl AsRef<[u8]>) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, contents).unwrap();
}

pub fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

pub fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}
