//! `cargo xtask tidy`: the architecture invariants that a reading of the
//! source tree can check (rust-analyzer's `xtask/src/tidy.rs` is the model).
//! Plain Rust over the files, no compiler and no Docker, so that it runs
//! in well under a second, first thing in `cargo xtask ci`.
//!
//! The rules, each named in ARCHITECTURE.md beside the invariant it guards:
//!
//! - [`Rule::Print`]: a library crate (`crates/*/src`, its binaries aside)
//!   neither prints nor exits: no `println!`, `print!`, `eprintln!`,
//!   `eprint!`, `dbg!`, `process::exit` or `process::abort`.
//! - [`Rule::Spawn`]: only the process layer ([`PROCESS_LAYER`]) spawns
//!   programs: no `Command::new`, `std::process::Command`, `duct::cmd`,
//!   `.spawn()` or `CommandExt` in `crates/*/src` and `src/` elsewhere.
//!   `sshconfig` (its `Match exec`), the test support crate, tests and
//!   `#[cfg(test)]` items, xtask and build scripts are exempt.
//! - [`Rule::FileWrite`]: in redock's own `src/`, only the modules that
//!   tell a dry run's changes instead of making them ([`DRY_RUN_WRITERS`])
//!   write, rename, remove or chmod a file or make a directory: no
//!   `fs::write`, `OpenOptions`, `set_permissions`, `DirBuilder`,
//!   `tempfile`, `update_file`… elsewhere, tests exempt.
//! - [`Rule::Standalone`]: `sshconfig` depends on no crate of this
//!   workspace.
//! - [`Rule::ModuleDoc`]: the `lib.rs` and `main.rs` of every package begin
//!   with `//!`.
//! - [`Rule::Debian`]: every version requirement is met by Debian 13's
//!   packaged crate, as [`CRATE_LIST`] (written by `cargo xtask
//!   debian-check`) records it.
//!
//! Source text is read with its comments, strings and character literals
//! blanked out first, so that a doc example or a message naming
//! `println!` is not a finding. An item under `#[cfg(test)]` is test code
//! from the attribute to the end of the item (its braces counted on the
//! blanked text); a `#[cfg(test)] mod name;` makes that module's files
//! test code too.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::Path;

use crate::debian::CRATE_LIST;
use crate::{project_root, DynError};

/// The process layer: the one crate that may spawn programs.
pub const PROCESS_LAYER: &str = "crates/proc";

/// Stands alone: published on its own, it runs `Match exec` commands itself.
const SSHCONFIG: &str = "crates/sshconfig";

/// Dev-only helpers of the engine tests: test code, exempt as tests are.
const TEST_SUPPORT: &str = "crates/test-support";

/// The modules of redock's `src/` that change files, each of which tells a
/// dry run's change instead of making it (`Home::is_dry_run`).
pub const DRY_RUN_WRITERS: &[&str] = &[
    "src/home.rs",
    "src/lock.rs",
    "src/sshfiles.rs",
    "src/mux.rs",
    "src/container.rs",
];

/// Files forgiven a rule, each with its reason in a comment; empty, and
/// best kept so. Tidy fails on an entry that no longer breaks its rule, so a
/// stale entry cannot hide a new offence.
pub const ALLOWLIST: &[(Rule, &str)] = &[];

pub fn run(args: &[String]) -> Result<(), DynError> {
    if let Some(arg) = args.first() {
        return Err(format!("tidy: unexpected argument `{arg}`").into());
    }
    let problems = check(&project_root(), ALLOWLIST)?;
    if problems.is_empty() {
        println!("tidy: the invariants hold");
        return Ok(());
    }
    for problem in &problems {
        println!("{problem}");
    }
    Err(format!(
        "tidy found {} problem(s); ARCHITECTURE.md says why each rule holds",
        problems.len()
    )
    .into())
}

/// Which invariant a [`Problem`] breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// A library prints or exits.
    Print,
    /// Something outside the process layer spawns a program.
    Spawn,
    /// A module of redock's that does not know dry runs changes a file.
    FileWrite,
    /// [`ALLOWLIST`] names a file that keeps its rule.
    StaleAllowlist,
    /// `sshconfig` depends on a workspace crate.
    Standalone,
    /// A `lib.rs` or `main.rs` does not begin with `//!`.
    ModuleDoc,
    /// A version requirement Debian 13's crate does not meet.
    Debian,
}

impl Rule {
    fn name(self) -> &'static str {
        match self {
            Rule::Print => "libraries never print or exit",
            Rule::Spawn => "only the process layer spawns programs",
            Rule::FileWrite => "--dry-run changes no file",
            Rule::StaleAllowlist => "the allowlist names only offending files",
            Rule::Standalone => "sshconfig depends on nothing in this workspace",
            Rule::ModuleDoc => "every crate has a module doc",
            Rule::Debian => "dependencies are no newer than Debian 13's",
        }
    }
}

/// One finding: a file (relative to the root, with `/`), a line (1-based;
/// 0 when the whole file is meant) and what is wrong there.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub path: String,
    pub line: usize,
    pub rule: Rule,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        write!(f, ": {} ({})", self.message, self.rule.name())
    }
}

/// Checks the tree at `root`, forgiving what `allowlist` names (as
/// [`ALLOWLIST`] does).
pub fn check(root: &Path, allowlist: &[(Rule, &str)]) -> Result<Vec<Problem>, DynError> {
    let workspace = Workspace::read(root)?;
    let mut problems = Vec::new();
    check_sources(root, &mut problems)?;
    check_standalone(&workspace, &mut problems);
    check_module_docs(root, &workspace, &mut problems);
    check_debian(root, &workspace, &mut problems)?;
    for &(rule, path) in allowlist {
        let before = problems.len();
        problems.retain(|p| (p.rule, p.path.as_str()) != (rule, path));
        if problems.len() == before {
            problems.push(Problem {
                path: path.to_string(),
                line: 0,
                rule: Rule::StaleAllowlist,
                message: format!(
                    "the allowlist forgives it \"{}\", which it no longer breaks: remove the entry",
                    rule.name()
                ),
            });
        }
    }
    problems.sort();
    Ok(problems)
}

// ---------------------------------------------------------------------------
// Source rules: printing and spawning.

/// A token sequence that breaks a rule, as written in messages.
struct Pattern {
    tokens: &'static [&'static str],
    shown: &'static str,
}

const PRINTS: &[Pattern] = &[
    pattern(&["println", "!"], "println!"),
    pattern(&["print", "!"], "print!"),
    pattern(&["eprintln", "!"], "eprintln!"),
    pattern(&["eprint", "!"], "eprint!"),
    pattern(&["dbg", "!"], "dbg!"),
    pattern(&["process", "::", "exit"], "process::exit"),
    pattern(&["process", "::", "abort"], "process::abort"),
];

const SPAWNS: &[Pattern] = &[
    pattern(&["Command", "::", "new"], "Command::new"),
    pattern(&["process", "::", "Command"], "std::process::Command"),
    pattern(&["duct", "::", "cmd"], "duct::cmd"),
    pattern(&[".", "spawn", "(", ")"], ".spawn()"),
    pattern(&["CommandExt"], "CommandExt"),
];

const FILE_WRITES: &[Pattern] = &[
    pattern(&["fs", "::", "write"], "fs::write"),
    pattern(&["fs", "::", "rename"], "fs::rename"),
    pattern(&["fs", "::", "copy"], "fs::copy"),
    pattern(&["fs", "::", "remove_file"], "fs::remove_file"),
    pattern(&["fs", "::", "remove_dir"], "fs::remove_dir"),
    pattern(&["fs", "::", "remove_dir_all"], "fs::remove_dir_all"),
    pattern(&["fs", "::", "create_dir"], "fs::create_dir"),
    pattern(&["fs", "::", "create_dir_all"], "fs::create_dir_all"),
    pattern(&["File", "::", "create"], "File::create"),
    pattern(&["OpenOptions"], "OpenOptions"),
    pattern(&["DirBuilder"], "DirBuilder"),
    pattern(&["set_permissions"], "set_permissions"),
    pattern(&["tempfile"], "tempfile"),
    pattern(&["update_file"], "sshconfig::update_file"),
];

const fn pattern(tokens: &'static [&'static str], shown: &'static str) -> Pattern {
    Pattern { tokens, shown }
}

/// One Rust source file, read for the source rules.
struct Source {
    path: String,
    tokens: Vec<Token>,
    /// Byte ranges of the blanked text that are test code.
    test_code: Vec<(usize, usize)>,
}

fn check_sources(root: &Path, problems: &mut Vec<Problem>) -> Result<(), DynError> {
    let mut sources = Vec::new();
    let mut test_modules = Vec::new();
    let mut dirs = vec!["src".to_string()];
    for krate in subdirs(&root.join("crates"))? {
        dirs.push(format!("crates/{krate}/src"));
    }
    for dir in dirs {
        for path in rust_files(root, &dir)? {
            let text = fs::read_to_string(root.join(&path))
                .map_err(|e| format!("cannot read {path}: {e}"))?;
            let blanked = blank(&text);
            let (test_code, modules) = test_items(&blanked);
            test_modules.extend(modules.iter().map(|m| module_dir(&path, m)));
            sources.push(Source {
                path,
                tokens: tokens(&blanked),
                test_code,
            });
        }
    }

    for source in &sources {
        let path = source.path.as_str();
        let in_test_module = test_modules.iter().any(|m| {
            path.strip_prefix(m.as_str())
                .is_some_and(|rest| rest == ".rs" || rest.starts_with('/'))
        });
        if in_test_module || under(path, TEST_SUPPORT) {
            continue;
        }
        let library_crate = path.starts_with("crates/")
            && !path.ends_with("/src/main.rs")
            && !path.contains("/src/bin/");
        if library_crate {
            for (line, shown) in source.find(PRINTS) {
                problems.push(Problem {
                    path: path.to_string(),
                    line,
                    rule: Rule::Print,
                    message: format!("`{shown}` in a library: return an error instead"),
                });
            }
        }
        if under(path, "src") && !DRY_RUN_WRITERS.contains(&path) {
            for (line, shown) in source.find(FILE_WRITES) {
                problems.push(Problem {
                    path: path.to_string(),
                    line,
                    rule: Rule::FileWrite,
                    message: format!(
                        "`{shown}` outside the modules that know dry runs: write through `Home`"
                    ),
                });
            }
        }
        if under(path, PROCESS_LAYER) || under(path, SSHCONFIG) {
            continue;
        }
        for (line, shown) in source.find(SPAWNS) {
            problems.push(Problem {
                path: path.to_string(),
                line,
                rule: Rule::Spawn,
                message: format!("`{shown}` outside {PROCESS_LAYER}: run programs through it"),
            });
        }
    }
    Ok(())
}

impl Source {
    /// The lines outside test code where a pattern occurs, one finding a
    /// line. A pattern `a :: b` also matches `a :: { … b … }` in a `use`.
    fn find(&self, patterns: &[Pattern]) -> Vec<(usize, &'static str)> {
        let mut found: Vec<(usize, &'static str)> = Vec::new();
        for (i, token) in self.tokens.iter().enumerate() {
            if self.is_test_code(token.offset) {
                continue;
            }
            let hit = patterns
                .iter()
                .find(|p| self.matches(i, p.tokens))
                .map(|p| p.shown);
            if let Some(shown) = hit {
                if found.last().is_none_or(|&(line, _)| line != token.line) {
                    found.push((token.line, shown));
                }
            }
        }
        found
    }

    fn matches(&self, at: usize, pattern: &[&str]) -> bool {
        let text = |i: usize| self.tokens.get(i).map(|t| t.text.as_str());
        // clap's `Command::new` builds a command line, it runs nothing.
        if pattern == ["Command", "::", "new"] && at >= 2 && text(at - 2) == Some("clap") {
            return false;
        }
        // `print != x` compares; it is no macro.
        if pattern.ends_with(&["!"]) && text(at + pattern.len()) == Some("=") {
            return false;
        }
        if pattern
            .iter()
            .enumerate()
            .all(|(k, p)| text(at + k) == Some(*p))
        {
            return true;
        }
        // `use std::process::{Command, Stdio};`
        if let [prefix, "::", last] = pattern {
            let group = text(at) == Some(*prefix)
                && text(at + 1) == Some("::")
                && text(at + 2) == Some("{");
            if group {
                let mut depth = 0;
                for token in &self.tokens[at + 2..] {
                    match token.text.as_str() {
                        "{" => depth += 1,
                        "}" if depth == 1 => return false,
                        "}" => depth -= 1,
                        t if t == *last => return true,
                        _ => {}
                    }
                }
            }
        }
        false
    }

    fn is_test_code(&self, offset: usize) -> bool {
        self.test_code
            .iter()
            .any(|&(start, end)| (start..end).contains(&offset))
    }
}

/// Whether `path` is `dir` or lies below it.
fn under(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The path, without extension, of the files of module `name` declared in
/// `path`: `src/lib.rs` + `tests` → `src/tests` (for `src/tests.rs` and
/// `src/tests/…`), `src/a.rs` + `tests` → `src/a/tests`.
fn module_dir(path: &str, name: &str) -> String {
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
    let stem = file.strip_suffix(".rs").unwrap_or(file);
    if matches!(stem, "lib" | "main" | "mod") {
        format!("{dir}/{name}")
    } else {
        format!("{dir}/{stem}/{name}")
    }
}

/// Replaces the contents of comments, string literals and character
/// literals with spaces, keeping every line break, so that byte offsets
/// and line numbers stay those of the original.
pub fn blank(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank_char = |out: &mut String, c: char| {
        if c == '\n' {
            out.push('\n');
        } else {
            // As many bytes as the original, so that offsets agree.
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
    };
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let prev_is_ident = i > 0 && is_ident(chars[i - 1]);
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                blank_char(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank_char(&mut out, chars[i]);
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(&chars, i).filter(|_| !prev_is_ident) {
            // r"…", r#"…"#, br"…": no escapes, ended by `"` and the hashes.
            let open = chars[i..].iter().position(|&c| c == '"').unwrap_or(0) + 1;
            for &c in &chars[i..i + open] {
                out.push(c);
            }
            i += open;
            while i < chars.len() {
                let closes =
                    chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#'));
                if closes {
                    out.push('"');
                    out.extend(std::iter::repeat_n('#', hashes));
                    i += 1 + hashes;
                    break;
                }
                blank_char(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '"' {
            out.push('"');
            i += 1;
            while i < chars.len() {
                match chars[i] {
                    '"' => {
                        out.push('"');
                        i += 1;
                        break;
                    }
                    '\\' => {
                        blank_char(&mut out, '\\');
                        if let Some(&escaped) = chars.get(i + 1) {
                            blank_char(&mut out, escaped);
                        }
                        i += 2;
                    }
                    other => {
                        blank_char(&mut out, other);
                        i += 1;
                    }
                }
            }
        } else if c == '\'' && is_char_literal(&chars, i) {
            out.push('\'');
            i += 1;
            if chars.get(i) == Some(&'\\') {
                // The backslash and the escaped character, which may be `'`.
                for _ in 0..2 {
                    if let Some(&c) = chars.get(i) {
                        blank_char(&mut out, c);
                        i += 1;
                    }
                }
            }
            while i < chars.len() && chars[i] != '\'' {
                blank_char(&mut out, chars[i]);
                i += 1;
            }
            if i < chars.len() {
                out.push('\'');
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    // Offsets agree only if every blanked char kept its byte length.
    debug_assert_eq!(out.len(), text.len());
    out
}

/// The number of `#` when a raw string literal starts at `i`.
fn raw_string_start(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if chars.get(j) == Some(&'b') || chars.get(j) == Some(&'c') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|&&c| c == '#').count();
    (chars.get(j + hashes) == Some(&'"')).then_some(hashes)
}

/// Whether the `'` at `i` opens a character literal rather than a
/// lifetime or label: `'x'`, `'\n'`, `'\u{1F600}'`.
fn is_char_literal(chars: &[char], i: usize) -> bool {
    match chars.get(i + 1) {
        Some('\\') => true,
        Some(_) => chars.get(i + 2) == Some(&'\''),
        None => false,
    }
}

/// The byte ranges of items under `#[cfg(test)]` in blanked text, and the
/// names of the modules declared there as files (`#[cfg(test)] mod x;`).
/// A `#![cfg(test)]` makes the whole file test code.
fn test_items(blanked: &str) -> (Vec<(usize, usize)>, Vec<String>) {
    if blanked.contains("#![cfg(test)]") {
        return (vec![(0, blanked.len())], Vec::new());
    }
    const ATTRIBUTE: &str = "#[cfg(test)]";
    let bytes = blanked.as_bytes();
    let mut ranges = Vec::new();
    let mut modules = Vec::new();
    let mut from = 0;
    while let Some(found) = blanked[from..].find(ATTRIBUTE) {
        let start = from + found;
        let mut i = start + ATTRIBUTE.len();
        // Further attributes and whitespace before the item itself.
        loop {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if bytes.get(i) == Some(&b'#') {
                let mut depth = 0;
                while i < bytes.len() {
                    match bytes[i] {
                        b'[' => depth += 1,
                        b']' => {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            } else {
                break;
            }
        }
        let item = i;
        // The item ends at a `;` before any brace, or where its braces close.
        let mut depth = 0usize;
        let mut end = bytes.len();
        while i < bytes.len() {
            match bytes[i] {
                b'{' => depth += 1,
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                b';' if depth == 0 => {
                    end = i + 1;
                    let words: Vec<&str> = blanked[item..i].split_whitespace().collect();
                    if let [.., "mod", name] = words.as_slice() {
                        modules.push(name.to_string());
                    }
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        ranges.push((start, end));
        from = end.max(start + ATTRIBUTE.len());
    }
    (ranges, modules)
}

/// A token of blanked source: an identifier, `::`, `!=` or one other
/// character, with its byte offset and line.
struct Token {
    text: String,
    offset: usize,
    line: usize,
}

fn tokens(blanked: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut chars = blanked.char_indices().peekable();
    while let Some((offset, c)) = chars.next() {
        if c == '\n' {
            line += 1;
            continue;
        }
        if c.is_whitespace() {
            continue;
        }
        let mut text = c.to_string();
        if c.is_alphanumeric() || c == '_' {
            while let Some(&(_, c)) = chars.peek() {
                if !(c.is_alphanumeric() || c == '_') {
                    break;
                }
                text.push(c);
                chars.next();
            }
        } else if let (':' | '!', Some(&(_, next))) = (c, chars.peek()) {
            if (c, next) == (':', ':') || (c, next) == ('!', '=') {
                text.push(next);
                chars.next();
            }
        }
        tokens.push(Token { text, offset, line });
    }
    tokens
}

/// The `.rs` files below `root/dir`, relative to `root`, sorted.
fn rust_files(root: &Path, dir: &str) -> Result<Vec<String>, DynError> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_string()];
    while let Some(dir) = pending.pop() {
        let full = root.join(&dir);
        if !full.is_dir() {
            continue;
        }
        for name in entries(&full)? {
            let path = format!("{dir}/{name}");
            if root.join(&path).is_dir() {
                pending.push(path);
            } else if name.ends_with(".rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The names of the directories in `dir` (none when it is missing).
fn subdirs(dir: &Path) -> Result<Vec<String>, DynError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut names: Vec<String> = entries(dir)?
        .into_iter()
        .filter(|name| dir.join(name).is_dir())
        .collect();
    names.sort();
    Ok(names)
}

fn entries(dir: &Path) -> Result<Vec<String>, DynError> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    Ok(names)
}

// ---------------------------------------------------------------------------
// Manifest rules: sshconfig alone, module docs, Debian's versions.

/// The packages of the workspace and the root's `[workspace.dependencies]`.
struct Workspace {
    root_manifest: Manifest,
    /// Every package's manifest, the root's first when it is one.
    packages: Vec<Package>,
}

struct Package {
    name: String,
    /// Relative to the root, `""` for the root package.
    dir: String,
    manifest: Manifest,
}

impl Workspace {
    fn read(root: &Path) -> Result<Workspace, DynError> {
        let root_manifest = Manifest::read(root, "Cargo.toml")?;
        let mut dirs = Vec::new();
        if root_manifest.get(&["package"], &["name"]).is_some() {
            dirs.push(String::new());
        }
        let members = match root_manifest.get(&["workspace"], &["members"]) {
            Some(Value::Array(members)) => members.clone(),
            _ => Vec::new(),
        };
        for member in members {
            let Value::Str(member) = member else { continue };
            // Only the trailing `dir/*` glob that this workspace uses.
            if let Some(parent) = member.strip_suffix("/*") {
                for name in subdirs(&root.join(parent))? {
                    if root.join(parent).join(&name).join("Cargo.toml").is_file() {
                        dirs.push(format!("{parent}/{name}"));
                    }
                }
            } else {
                dirs.push(member);
            }
        }
        let mut packages = Vec::new();
        for dir in dirs {
            let manifest = if dir.is_empty() {
                root_manifest.clone()
            } else {
                Manifest::read(root, &format!("{dir}/Cargo.toml"))?
            };
            let name = match manifest.get(&["package"], &["name"]) {
                Some(Value::Str(name)) => name.clone(),
                _ => return Err(format!("{} names no package", manifest.path).into()),
            };
            packages.push(Package {
                name,
                dir,
                manifest,
            });
        }
        Ok(Workspace {
            root_manifest,
            packages,
        })
    }

    fn is_member(&self, name: &str) -> bool {
        self.packages.iter().any(|p| p.name == name)
    }
}

fn check_standalone(workspace: &Workspace, problems: &mut Vec<Problem>) {
    let Some(sshconfig) = workspace.packages.iter().find(|p| p.dir == SSHCONFIG) else {
        return;
    };
    let inherited = workspace.root_manifest.dependencies();
    for dep in sshconfig.manifest.dependencies() {
        let from_workspace = dep
            .workspace
            .then(|| inherited.iter().find(|d| d.name == dep.name))
            .flatten();
        let crate_name = from_workspace.unwrap_or(&dep).crate_name();
        let local = dep.path || from_workspace.is_some_and(|d| d.path);
        if local || workspace.is_member(crate_name) {
            problems.push(Problem {
                path: sshconfig.manifest.path.clone(),
                line: dep.line,
                rule: Rule::Standalone,
                message: format!(
                    "sshconfig depends on `{}`, a crate of this workspace",
                    dep.name
                ),
            });
        }
    }
}

fn check_module_docs(root: &Path, workspace: &Workspace, problems: &mut Vec<Problem>) {
    for package in &workspace.packages {
        for target in ["src/lib.rs", "src/main.rs"] {
            let path = if package.dir.is_empty() {
                target.to_string()
            } else {
                format!("{}/{target}", package.dir)
            };
            let Ok(text) = fs::read_to_string(root.join(&path)) else {
                continue;
            };
            if !text.starts_with("//!") {
                problems.push(Problem {
                    path,
                    line: 1,
                    rule: Rule::ModuleDoc,
                    message: format!(
                        "`{}` lacks its module doc: begin it with `//!` prose",
                        package.name
                    ),
                });
            }
        }
    }
}

fn check_debian(
    root: &Path,
    workspace: &Workspace,
    problems: &mut Vec<Problem>,
) -> Result<(), DynError> {
    let list = fs::read_to_string(root.join(CRATE_LIST)).map_err(|e| {
        format!("cannot read {CRATE_LIST} ({e}): `cargo xtask debian-check` writes it")
    })?;
    let debian = debian_versions(&list)?;
    let manifests = std::iter::once(&workspace.root_manifest).chain(
        workspace.packages.iter().filter_map(|p| {
            // The root package's manifest is the root manifest, read once.
            (!p.dir.is_empty()).then_some(&p.manifest)
        }),
    );
    for manifest in manifests {
        for dep in manifest.dependencies() {
            // Workspace crates have no Debian package, and an inherited
            // dependency is checked where the workspace declares it.
            if dep.path || dep.workspace {
                continue;
            }
            let name = dep.crate_name();
            let Some(requirement) = &dep.version else {
                continue;
            };
            let message = match debian.get(name) {
                None => format!(
                    "`{name}` is not in {CRATE_LIST}: Debian 13 may not package it \
                     (add its librust package to debian-check and run it)"
                ),
                Some(version) => match version_req_matches(requirement, version) {
                    Ok(true) => continue,
                    Ok(false) => format!(
                        "`{name}` requires \"{requirement}\", which Debian 13's {version} does not meet"
                    ),
                    Err(e) => format!("`{name}`: {e}"),
                },
            };
            problems.push(Problem {
                path: manifest.path.clone(),
                line: dep.line,
                rule: Rule::Debian,
                message,
            });
        }
    }
    Ok(())
}

/// `name version` lines, `#` comments and blank lines skipped.
fn debian_versions(list: &str) -> Result<BTreeMap<String, Version>, DynError> {
    let mut versions = BTreeMap::new();
    for (n, line) in list.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = line
            .split_once(' ')
            .and_then(|(name, version)| Some((name, Version::parse(version.trim())?)));
        let Some((name, version)) = parsed else {
            return Err(format!("{CRATE_LIST}:{}: expected `name version`", n + 1).into());
        };
        versions.insert(name.to_string(), version);
    }
    Ok(versions)
}

/// A crate version; pre-release and build metadata are ignored, as
/// Debian packages releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(u64, u64, u64);

impl Version {
    fn parse(text: &str) -> Option<Version> {
        let core = text.split(['-', '+']).next()?;
        let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
        let version = Version(parts.next()??, parts.next()??, parts.next()??);
        parts.next().is_none().then_some(version)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// Whether `version` meets a Cargo version requirement: comparators
/// separated by commas, each `^`, `~`, `=`, `>`, `>=`, `<`, `<=` or none
/// (caret) before a version that may lack its minor or patch part, or `*`.
pub fn version_req_matches(requirement: &str, version: &Version) -> Result<bool, String> {
    let mut all = true;
    for comparator in requirement.split(',') {
        all &= comparator_matches(comparator.trim(), version)
            .ok_or_else(|| format!("cannot read the version requirement \"{requirement}\""))?;
    }
    Ok(all)
}

fn comparator_matches(comparator: &str, v: &Version) -> Option<bool> {
    let split = comparator
        .find(|c: char| c.is_ascii_digit() || c == '*')
        .unwrap_or(comparator.len());
    let (op, rest) = comparator.split_at(split);
    let op = op.trim();
    let mut parts = rest.split(['-', '+']).next()?.split('.');
    let number = |part: Option<&str>| -> Option<Option<u64>> {
        match part {
            None | Some("*") | Some("x") | Some("X") => Some(None),
            Some(p) => p.parse().ok().map(Some),
        }
    };
    let major = number(parts.next())?;
    let minor = number(parts.next())?;
    let patch = number(parts.next())?;
    if parts.next().is_some() {
        return None;
    }
    let Some(major) = major else {
        return Some(true); // `*`
    };
    let low = Version(major, minor.unwrap_or(0), patch.unwrap_or(0));
    // The first version past what the partial version names.
    let past = match (minor, patch) {
        (None, _) => Version(major + 1, 0, 0),
        (Some(minor), None) => Version(major, minor + 1, 0),
        (Some(minor), Some(patch)) => Version(major, minor, patch + 1),
    };
    Some(match op {
        "" | "^" => {
            let upper = match (major, minor, patch) {
                (0, None, _) => Version(1, 0, 0),
                (0, Some(0), None) => Version(0, 1, 0),
                (0, Some(0), Some(patch)) => Version(0, 0, patch + 1),
                (0, Some(minor), _) => Version(0, minor + 1, 0),
                (major, _, _) => Version(major + 1, 0, 0),
            };
            low <= *v && *v < upper
        }
        "~" => {
            let upper = match minor {
                None => Version(major + 1, 0, 0),
                Some(minor) => Version(major, minor + 1, 0),
            };
            low <= *v && *v < upper
        }
        "=" => low <= *v && *v < past,
        ">" => *v >= past,
        ">=" => *v >= low,
        "<" => *v < low,
        "<=" => *v < past,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// Just enough TOML for Cargo manifests.

#[derive(Clone, Debug, PartialEq)]
enum Value {
    Str(String),
    Array(Vec<Value>),
    Table(Vec<(String, Value)>),
    /// Booleans, numbers and dates, as written.
    Other(String),
}

/// A `key = value` line: the table it is in (`[a.b]` → `["a", "b"]`), its
/// dotted key and the 1-based line it starts on.
#[derive(Clone, Debug)]
struct Entry {
    table: Vec<String>,
    key: Vec<String>,
    value: Value,
    line: usize,
}

#[derive(Clone, Debug)]
struct Manifest {
    /// Relative to the root.
    path: String,
    entries: Vec<Entry>,
}

/// A dependency, from any dependency table of a manifest.
#[derive(Debug, Default)]
struct Dependency {
    name: String,
    line: usize,
    version: Option<String>,
    path: bool,
    workspace: bool,
    package: Option<String>,
}

impl Dependency {
    /// The crate's own name, which `package = "…"` may rename.
    fn crate_name(&self) -> &str {
        self.package.as_deref().unwrap_or(&self.name)
    }

    fn set(&mut self, field: &str, value: &Value) {
        match (field, value) {
            ("version", Value::Str(v)) => self.version = Some(v.clone()),
            ("path", _) => self.path = true,
            ("workspace", Value::Other(v)) => self.workspace = v == "true",
            ("package", Value::Str(p)) => self.package = Some(p.clone()),
            _ => {}
        }
    }
}

fn is_dependency_table(name: &str) -> bool {
    matches!(
        name,
        "dependencies" | "dev-dependencies" | "build-dependencies"
    )
}

impl Manifest {
    fn read(root: &Path, path: &str) -> Result<Manifest, DynError> {
        let text =
            fs::read_to_string(root.join(path)).map_err(|e| format!("cannot read {path}: {e}"))?;
        let entries = parse_toml(&text).map_err(|(line, e)| format!("{path}:{line}: {e}"))?;
        Ok(Manifest {
            path: path.to_string(),
            entries,
        })
    }

    fn get(&self, table: &[&str], key: &[&str]) -> Option<&Value> {
        self.entries
            .iter()
            .find(|e| e.table == table && e.key == key)
            .map(|e| &e.value)
    }

    /// Every dependency: `[dependencies]`, `[dev-dependencies]`,
    /// `[build-dependencies]`, their `[target.….…]` forms,
    /// `[workspace.dependencies]` and `[dependencies.name]` tables.
    fn dependencies(&self) -> Vec<Dependency> {
        let mut deps: Vec<(Vec<String>, Dependency)> = Vec::new();
        for entry in &self.entries {
            let (table, name, field) = match (entry.table.as_slice(), entry.key.as_slice()) {
                ([.., t], [name, rest @ ..]) if is_dependency_table(t) => {
                    (entry.table.clone(), name.clone(), rest.first())
                }
                ([outer @ .., t, name], [field, ..]) if is_dependency_table(t) => {
                    (outer.to_vec(), name.clone(), Some(field))
                }
                _ => continue,
            };
            let index = match deps.iter().position(|(t, d)| *t == table && d.name == name) {
                Some(index) => index,
                None => {
                    let dep = Dependency {
                        name,
                        line: entry.line,
                        ..Dependency::default()
                    };
                    deps.push((table, dep));
                    deps.len() - 1
                }
            };
            let dep = &mut deps[index].1;
            match (field, &entry.value) {
                (Some(field), value) => dep.set(field, value),
                (None, Value::Str(version)) => dep.version = Some(version.clone()),
                (None, Value::Table(fields)) => {
                    for (field, value) in fields {
                        dep.set(field, value);
                    }
                }
                (None, _) => {}
            }
        }
        deps.into_iter().map(|(_, d)| d).collect()
    }
}

type ParseError = (usize, String);

fn parse_toml(text: &str) -> Result<Vec<Entry>, ParseError> {
    let mut parser = Parser {
        chars: text.chars().collect(),
        at: 0,
        line: 1,
    };
    let mut table = Vec::new();
    let mut entries = Vec::new();
    loop {
        parser.skip_blank_lines();
        let Some(c) = parser.peek() else { break };
        let line = parser.line;
        if c == '[' {
            parser.at += 1;
            let array = parser.peek() == Some('[');
            if array {
                parser.at += 1;
            }
            table = parser.key()?;
            parser.expect(']')?;
            if array {
                parser.expect(']')?;
            }
        } else {
            let key = parser.key()?;
            parser.expect('=')?;
            let value = parser.value()?;
            entries.push(Entry {
                table: table.clone(),
                key,
                value,
                line,
            });
        }
        parser.end_of_line()?;
    }
    Ok(entries)
}

struct Parser {
    chars: Vec<char>,
    at: usize,
    line: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn error<T>(&self, what: &str) -> Result<T, ParseError> {
        Err((self.line, what.to_string()))
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.at += 1;
        }
    }

    fn skip_comment(&mut self) {
        if self.peek() == Some('#') {
            while !matches!(self.peek(), None | Some('\n')) {
                self.at += 1;
            }
        }
    }

    /// Whitespace, line breaks and comments, as between array elements.
    fn skip_blank_lines(&mut self) {
        loop {
            self.skip_spaces();
            self.skip_comment();
            match self.peek() {
                Some('\n') => {
                    self.line += 1;
                    self.at += 1;
                }
                Some('\r') => self.at += 1,
                _ => return,
            }
        }
    }

    fn end_of_line(&mut self) -> Result<(), ParseError> {
        self.skip_spaces();
        self.skip_comment();
        match self.peek() {
            None | Some('\n' | '\r') => Ok(()),
            Some(c) => self.error(&format!("unexpected `{c}`")),
        }
    }

    fn expect(&mut self, c: char) -> Result<(), ParseError> {
        self.skip_spaces();
        if self.peek() == Some(c) {
            self.at += 1;
            Ok(())
        } else {
            self.error(&format!("expected `{c}`"))
        }
    }

    /// A dotted key: bare or quoted parts.
    fn key(&mut self) -> Result<Vec<String>, ParseError> {
        let mut parts = Vec::new();
        loop {
            self.skip_spaces();
            let part = match self.peek() {
                Some('"' | '\'') => self.string()?,
                _ => {
                    let start = self.at;
                    while self
                        .peek()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    {
                        self.at += 1;
                    }
                    if start == self.at {
                        return self.error("expected a key");
                    }
                    self.chars[start..self.at].iter().collect()
                }
            };
            parts.push(part);
            self.skip_spaces();
            if self.peek() != Some('.') {
                return Ok(parts);
            }
            self.at += 1;
        }
    }

    fn value(&mut self) -> Result<Value, ParseError> {
        self.skip_spaces();
        match self.peek() {
            Some('"' | '\'') => Ok(Value::Str(self.string()?)),
            Some('[') => {
                self.at += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_blank_lines();
                    if self.peek() == Some(']') {
                        self.at += 1;
                        return Ok(Value::Array(items));
                    }
                    items.push(self.value()?);
                    self.skip_blank_lines();
                    match self.peek() {
                        Some(',') => self.at += 1,
                        Some(']') => {}
                        _ => return self.error("expected `,` or `]` in an array"),
                    }
                }
            }
            Some('{') => {
                self.at += 1;
                let mut fields = Vec::new();
                loop {
                    self.skip_spaces();
                    if self.peek() == Some('}') {
                        self.at += 1;
                        return Ok(Value::Table(fields));
                    }
                    let key = self.key()?;
                    self.expect('=')?;
                    let value = self.value()?;
                    // Dotted keys in inline tables only name a field here.
                    fields.push((key.join("."), value));
                    self.skip_spaces();
                    match self.peek() {
                        Some(',') => self.at += 1,
                        Some('}') => {}
                        _ => return self.error("expected `,` or `}` in an inline table"),
                    }
                }
            }
            Some(_) => {
                let start = self.at;
                while !matches!(
                    self.peek(),
                    None | Some(',' | ']' | '}' | '#' | '\n' | '\r')
                ) {
                    self.at += 1;
                }
                let text: String = self.chars[start..self.at].iter().collect();
                let text = text.trim();
                if text.is_empty() {
                    return self.error("expected a value");
                }
                Ok(Value::Other(text.to_string()))
            }
            None => self.error("expected a value"),
        }
    }

    /// A basic (`"…"`, with escapes) or literal (`'…'`) string on one
    /// line; multi-line strings do not occur in manifests here.
    fn string(&mut self) -> Result<String, ParseError> {
        let quote = self.peek().expect("called at a quote");
        self.at += 1;
        let mut s = String::new();
        loop {
            match self.peek() {
                None | Some('\n') => return self.error("unterminated string"),
                Some(c) if c == quote => {
                    self.at += 1;
                    return Ok(s);
                }
                Some('\\') if quote == '"' => {
                    self.at += 1;
                    match self.peek() {
                        Some('n') => s.push('\n'),
                        Some('t') => s.push('\t'),
                        Some(c @ ('"' | '\\')) => s.push(c),
                        _ => return self.error("unsupported escape in a string"),
                    }
                    self.at += 1;
                }
                Some(c) => {
                    s.push(c);
                    self.at += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::cmd::TempDir;

    /// A copy of what tidy reads from this repository, to break on purpose.
    struct Scratch {
        dir: TempDir,
    }

    impl Scratch {
        fn new() -> Scratch {
            let dir = TempDir::new("tidy").unwrap();
            let root = project_root();
            let mut parts = vec!["Cargo.toml".to_string(), "src".into(), "xtask".into()];
            for krate in subdirs(&root.join("crates")).unwrap() {
                parts.push(format!("crates/{krate}/Cargo.toml"));
                parts.push(format!("crates/{krate}/src"));
            }
            for part in parts {
                copy(&root.join(&part), &dir.path().join(&part));
            }
            Scratch { dir }
        }

        fn path(&self, path: &str) -> PathBuf {
            self.dir.path().join(path)
        }

        fn read(&self, path: &str) -> String {
            fs::read_to_string(self.path(path)).unwrap()
        }

        fn write(&self, path: &str, text: &str) {
            fs::create_dir_all(self.path(path).parent().unwrap()).unwrap();
            fs::write(self.path(path), text).unwrap();
        }

        /// Appends `text` to `path` and returns the line it starts on.
        fn append(&self, path: &str, text: &str) -> usize {
            let before = self.read(path);
            self.write(path, &format!("{before}{text}"));
            before.lines().count() + 1
        }

        fn check(&self) -> Vec<Problem> {
            self.check_with(ALLOWLIST)
        }

        fn check_with(&self, allowlist: &[(Rule, &str)]) -> Vec<Problem> {
            check(self.dir.path(), allowlist).unwrap()
        }
    }

    fn copy(from: &Path, to: &Path) {
        if from.is_dir() {
            for name in entries(from).unwrap() {
                if name != "target" {
                    copy(&from.join(&name), &to.join(&name));
                }
            }
        } else if from.is_file() {
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::copy(from, to).unwrap();
        }
    }

    /// Problems as `(rule, path, line)`, for comparing whole.
    fn found(problems: &[Problem]) -> Vec<(Rule, &str, usize)> {
        problems
            .iter()
            .map(|p| (p.rule, p.path.as_str(), p.line))
            .collect()
    }

    #[test]
    fn this_repository_is_tidy() {
        let problems = check(&project_root(), ALLOWLIST).unwrap();
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn an_unbroken_copy_is_tidy() {
        let problems = Scratch::new().check();
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn a_library_that_prints_or_exits_fails() {
        let s = Scratch::new();
        let lib = "crates/state/src/lib.rs";
        let at = s.append(
            lib,
            "\npub fn noisy(x: u8) {\n    \
                 println!(\"{x}\");\n    \
                 print!(\"x\");\n    \
                 eprintln!(\"x\");\n    \
                 eprint!(\"x\");\n    \
                 dbg!(x);\n    \
                 std::process::exit(1);\n\
             }\n\
             pub fn fatal() -> ! {\n    \
                 use std::process::{abort, ExitCode};\n    \
                 abort()\n\
             }\n",
        );
        let problems = s.check();
        let lines: Vec<usize> = [2, 3, 4, 5, 6, 7, 10].iter().map(|n| at + n).collect();
        let expected: Vec<(Rule, &str, usize)> =
            lines.iter().map(|&l| (Rule::Print, lib, l)).collect();
        assert_eq!(found(&problems), expected, "{problems:#?}");
        assert!(problems[0].to_string().starts_with(&format!(
            "crates/state/src/lib.rs:{}: `println!` in a library",
            at + 2
        )));
    }

    #[test]
    fn printing_in_docs_strings_tests_and_the_binary_is_no_finding() {
        let s = Scratch::new();
        s.append(
            "crates/state/src/lib.rs",
            r####"
/// ```
/// println!("a doc example");
/// std::process::exit(0);
/// ```
pub fn quiet<'a>(s: &'a str) -> (&'a str, char, char, &'static str) {
    // println!("a comment");
    /* dbg!(1) /* nested */ std::process::exit(1) */
    let quote = '"';
    let apostrophe = '\'';
    let _ = "println!(\"a string\") \" std::process::exit(1)";
    let _ = b"dbg!(bytes)";
    (s, quote, apostrophe, r#"eprintln!("raw") "#)
}

#[cfg(test)]
mod loud_tests {
    #[test]
    fn loud() {
        println!("tests may print");
        let _ = std::process::Command::new("true").spawn();
    }
}

#[cfg(test)]
fn helper() {
    dbg!(1);
}
"####,
        );
        s.append(
            "src/status.rs",
            "\nfn shout() {\n    println!(\"binary\");\n}\n",
        );
        s.append(
            "crates/test-support/src/lib.rs",
            "\npub fn say() {\n    eprintln!(\"test support\");\n}\n",
        );
        let problems = s.check();
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn a_test_module_in_a_file_of_its_own_is_test_code() {
        let s = Scratch::new();
        s.append("crates/state/src/lib.rs", "\n#[cfg(test)]\nmod spawning;\n");
        s.write(
            "crates/state/src/spawning.rs",
            "fn ls() {\n    std::process::Command::new(\"ls\");\n}\n",
        );
        s.write(
            "crates/state/src/spawning/deeper.rs",
            "fn ls() {\n    println!(\"ls\");\n}\n",
        );
        assert!(s.check().is_empty(), "{:#?}", s.check());

        // The same file as a module of the library is no test code.
        s.append("crates/state/src/lib.rs", "\nmod spawning_too;\n");
        s.write(
            "crates/state/src/spawning_too.rs",
            "fn ls() {\n    std::process::Command::new(\"ls\");\n}\n",
        );
        assert_eq!(
            found(&s.check()),
            [(Rule::Spawn, "crates/state/src/spawning_too.rs", 2)]
        );
    }

    #[test]
    fn spawning_outside_the_process_layer_fails() {
        let s = Scratch::new();
        let lib = "crates/state/src/lib.rs";
        let at = s.append(
            lib,
            "\nuse std::process::{Command as C, Stdio};\n\
             pub fn spawns() {\n    \
                 let mut ssh = std::process::Command::new(\"ssh\");\n    \
                 let _ = ssh.spawn();\n    \
                 let _ = duct::cmd!(\"ls\").run();\n    \
                 let _ = (C::new(\"ls\"), Stdio::null());\n\
             }\n",
        );
        let bin = "src/name.rs";
        let bin_at = s.append(
            bin,
            "\nuse std::os::unix::process::CommandExt;\n\
             fn exec(c: &mut std::process::Command) {\n    \
                 let _ = c.exec();\n\
             }\n",
        );
        let problems = s.check();
        let expected = [
            (Rule::Spawn, lib, at + 1),
            (Rule::Spawn, lib, at + 3),
            (Rule::Spawn, lib, at + 4),
            (Rule::Spawn, lib, at + 5),
            (Rule::Spawn, bin, bin_at + 1),
            (Rule::Spawn, bin, bin_at + 2),
        ];
        assert_eq!(found(&problems), expected, "{problems:#?}");
        assert!(problems[0].to_string().contains("outside crates/proc"));
    }

    #[test]
    fn a_file_write_outside_the_dry_run_writers_fails() {
        let s = Scratch::new();
        let file = "src/status.rs";
        let at = s.append(
            file,
            "\nuse std::fs::{self, OpenOptions};\n\
             pub fn writes() {\n    \
                 let _ = std::fs::write(\"x\", \"y\");\n    \
                 let _ = fs::remove_file(\"x\");\n    \
                 let _ = tempfile::tempdir();\n\
             }\n\
             #[cfg(test)]\n\
             fn in_a_test() {\n    \
                 let _ = std::fs::write(\"x\", \"y\");\n\
             }\n",
        );
        // The modules that know dry runs, and the other crates, may.
        s.append(
            "src/home.rs",
            "\nfn w() {\n    let _ = std::fs::write(\"x\", \"y\");\n}\n",
        );
        s.append(
            "crates/state/src/lib.rs",
            "\nfn w() {\n    let _ = std::fs::write(\"x\", \"y\");\n}\n",
        );
        let problems = s.check();
        let expected = [
            (Rule::FileWrite, file, at + 1),
            (Rule::FileWrite, file, at + 3),
            (Rule::FileWrite, file, at + 4),
            (Rule::FileWrite, file, at + 5),
        ];
        assert_eq!(found(&problems), expected, "{problems:#?}");
        assert!(problems[0]
            .to_string()
            .contains("--dry-run changes no file"));
    }

    #[test]
    fn the_process_layer_sshconfig_and_tests_may_spawn() {
        let s = Scratch::new();
        let spawns = "\npub fn spawns() {\n    \
                          let _ = std::process::Command::new(\"ssh\").spawn();\n\
                      }\n";
        s.write(
            "crates/proc/Cargo.toml",
            "[package]\nname = \"proc\"\nversion = \"0.1.0\"\n\n[dependencies]\nduct.workspace = true\n",
        );
        s.write(
            "crates/proc/src/lib.rs",
            &format!("//! The process layer.\n{spawns}"),
        );
        s.append("crates/sshconfig/src/lib.rs", spawns);
        s.append("crates/test-support/src/lib.rs", spawns);
        s.append(
            "src/cli.rs",
            "\npub fn clap() -> clap::Command {\n    clap::Command::new(\"x\")\n}\n",
        );
        let problems = s.check();
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn sshconfig_depending_on_the_workspace_fails() {
        let manifest = "crates/sshconfig/Cargo.toml";
        let s = Scratch::new();
        let text = s.read(manifest).replace(
            "[dependencies]\n",
            "[dependencies]\nstate.workspace = true\n",
        );
        s.write(manifest, &text);
        let line = text.lines().position(|l| l.starts_with("state.")).unwrap() + 1;
        assert_eq!(found(&s.check()), [(Rule::Standalone, manifest, line)]);

        let s = Scratch::new();
        let line = s.append(
            manifest,
            "\n[target.'cfg(unix)'.dev-dependencies.shared]\npackage = \"docker-exec\"\npath = \"../docker-exec\"\n",
        );
        let problems = s.check();
        assert_eq!(found(&problems), [(Rule::Standalone, manifest, line + 2)]);
        assert!(problems[0].to_string().contains("depends on `shared`"));
    }

    #[test]
    fn a_crate_without_its_module_doc_fails() {
        let s = Scratch::new();
        for path in ["crates/state/src/lib.rs", "xtask/src/main.rs"] {
            let text = s.read(path);
            let code: Vec<&str> = text.lines().skip_while(|l| l.starts_with("//!")).collect();
            s.write(path, &code.join("\n"));
        }
        assert_eq!(
            found(&s.check()),
            [
                (Rule::ModuleDoc, "crates/state/src/lib.rs", 1),
                (Rule::ModuleDoc, "xtask/src/main.rs", 1),
            ]
        );
    }

    #[test]
    fn a_requirement_debian_does_not_meet_fails() {
        let s = Scratch::new();
        let root = s.read("Cargo.toml");
        let line = root
            .lines()
            .position(|l| l.starts_with("tempfile = "))
            .unwrap()
            + 1;
        s.write(
            "Cargo.toml",
            &root.replace("\ntempfile = \"3", "\ntempfile = \"99"),
        );
        let member = s.append(
            "crates/state/Cargo.toml",
            "\n[build-dependencies]\nnot-in-debian = \"1\"\n",
        );
        let problems = s.check();
        assert_eq!(
            found(&problems),
            [
                (Rule::Debian, "Cargo.toml", line),
                (Rule::Debian, "crates/state/Cargo.toml", member + 2),
            ],
            "{problems:#?}"
        );
        assert!(problems[0].to_string().contains("`tempfile` requires \"99"));
        assert!(problems[1]
            .to_string()
            .contains("`not-in-debian` is not in"));
    }

    #[test]
    fn an_allowlist_entry_forgives_only_what_it_names_and_goes_stale() {
        let s = Scratch::new();
        s.append(
            "crates/state/src/lib.rs",
            "\nfn ls() {\n    std::process::Command::new(\"ls\");\n}\n",
        );
        let mut allowlist = ALLOWLIST.to_vec();
        allowlist.push((Rule::Spawn, "crates/state/src/lib.rs"));
        assert!(s.check_with(&allowlist).is_empty());

        allowlist.push((Rule::Print, "crates/state/src/lib.rs"));
        allowlist.push((Rule::Spawn, "crates/state/src/error.rs"));
        let problems = s.check_with(&allowlist);
        assert_eq!(
            found(&problems),
            [
                (Rule::StaleAllowlist, "crates/state/src/error.rs", 0),
                (Rule::StaleAllowlist, "crates/state/src/lib.rs", 0),
            ]
        );
    }

    #[test]
    fn the_fixture_image_has_one_name() {
        assert_eq!(crate::fixture::IMAGE, test_support::FIXTURE_IMAGE);
    }

    #[test]
    fn blanking_keeps_code_lines_and_offsets() {
        let text = "let s = \"a // b\"; // c\nlet r = r#\"x\"y\"#; 'a: loop {}\nlet c = 'é'; /* d\n e */ f";
        let blanked = blank(text);
        assert_eq!(blanked.len(), text.len());
        assert_eq!(
            blanked.lines().map(str::trim_end).collect::<Vec<_>>(),
            [
                "let s = \"      \";",
                "let r = r#\"   \"#; 'a: loop {}",
                "let c = '  ';",
                "      f",
            ]
        );
    }

    #[test]
    fn test_items_end_where_their_braces_close() {
        let text = "fn a() {}\n#[cfg(test)]\n#[allow(dead_code)]\nmod t {\n    fn b() { let _ = '}'; }\n}\nfn c() {}\n#[cfg(test)]\nmod file;\n";
        let (ranges, modules) = test_items(&blank(text));
        let covered: Vec<&str> = ranges.iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(
            covered,
            [
                "#[cfg(test)]\n#[allow(dead_code)]\nmod t {\n    fn b() { let _ = '}'; }\n}",
                "#[cfg(test)]\nmod file;",
            ]
        );
        assert_eq!(modules, ["file"]);
        assert_eq!(module_dir("crates/a/src/lib.rs", "t"), "crates/a/src/t");
        assert_eq!(module_dir("crates/a/src/b.rs", "t"), "crates/a/src/b/t");
    }

    #[test]
    fn version_requirements_read_as_cargo_reads_them() {
        let v = |s: &str| Version::parse(s).unwrap();
        let cases = [
            ("1.0.139", "1.0.139", true),
            ("1.0.139", "1.0.138", false),
            ("1.0.139", "1.2.0", true),
            ("1.0.139", "2.0.0", false),
            ("0.29", "0.29.0", true),
            ("0.29", "0.30.0", false),
            ("0.2.20", "0.2.19", false),
            ("^0.0.3", "0.0.4", false),
            ("~1.2", "1.2.9", true),
            ("~1.2", "1.3.0", false),
            ("=1.2", "1.2.5", true),
            ("=1.2.3", "1.2.4", false),
            (">=1.2, <1.5", "1.4.0", true),
            (">=1.2, <1.5", "1.5.0", false),
            (">1.2", "1.2.9", false),
            ("<=1.2", "1.2.9", true),
            ("*", "0.1.0", true),
            ("6", "6.0.3", true),
            ("4.5", "4.5.0", true),
        ];
        for (requirement, version, expected) in cases {
            assert_eq!(
                version_req_matches(requirement, &v(version)),
                Ok(expected),
                "{requirement} against {version}"
            );
        }
        assert!(version_req_matches("one", &v("1.0.0")).is_err());
        assert_eq!(Version::parse("1.0.0-rc.1"), Some(Version(1, 0, 0)));
        assert_eq!(Version::parse("1.0"), None);
    }

    #[test]
    fn manifests_are_read_with_every_kind_of_dependency() {
        let text = r#"
[package]
name = "x" # a comment
members = [
    "a", # one
    'b',
]

[dependencies]
plain = "1.2"
inherited.workspace = true
table = { version = "0.3", features = ["a", "b"], default-features = false }
renamed = { package = "real", version = "2" }

[target.'cfg(unix)'.build-dependencies]
local = { path = "../local" }

[dev-dependencies.split]
version = "5"
"#;
        let manifest = Manifest {
            path: "Cargo.toml".into(),
            entries: parse_toml(text).unwrap(),
        };
        assert_eq!(
            manifest.get(&["package"], &["members"]),
            Some(&Value::Array(vec![
                Value::Str("a".into()),
                Value::Str("b".into())
            ]))
        );
        let deps: Vec<(String, usize, Option<String>, bool, bool, String)> = manifest
            .dependencies()
            .into_iter()
            .map(|d| {
                let krate = d.crate_name().to_string();
                (d.name, d.line, d.version, d.path, d.workspace, krate)
            })
            .collect();
        let some = |s: &str| Some(s.to_string());
        assert_eq!(
            deps,
            [
                (
                    "plain".into(),
                    10,
                    some("1.2"),
                    false,
                    false,
                    "plain".into()
                ),
                (
                    "inherited".into(),
                    11,
                    None,
                    false,
                    true,
                    "inherited".into()
                ),
                (
                    "table".into(),
                    12,
                    some("0.3"),
                    false,
                    false,
                    "table".into()
                ),
                ("renamed".into(), 13, some("2"), false, false, "real".into()),
                ("local".into(), 16, None, true, false, "local".into()),
                ("split".into(), 19, some("5"), false, false, "split".into()),
            ]
        );
        assert!(parse_toml("[package\n").is_err());
        assert!(parse_toml("name = \"x\" y\n").is_err());
    }
}
