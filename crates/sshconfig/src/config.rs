//! The lossless model of one configuration file and the edits it allows.

use std::ffi::OsStr;
use std::ops::Range;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, ErrorKind};
use crate::lex::{self, LineKind};

/// One configuration file, kept line by line with its exact bytes.
///
/// Parsing never fails and never loses anything: [`Config::to_bytes`] gives
/// back exactly the bytes [`Config::parse`] was given, whatever they were
/// (CRLF line ends, tabs, `=` separators, quoting, comments, invalid UTF-8, a
/// missing final newline). Edits touch only the lines they add, replace or
/// remove.
///
/// Lines are addressed by [`LineId`] handles, not by position: a handle
/// taken before an edit still names its line afterwards, wherever the line
/// moved, or is refused with [`ErrorKind::NoSuchLine`] once the line is
/// gone; it never names another line.
///
/// ```
/// use sshconfig::Config;
///
/// let text = b"# mine\r\n\r\nHost *\r\n\tUser=me\r\n";
/// let mut config = Config::parse(text);
/// assert_eq!(config.to_bytes(), text);
///
/// let host = config.first_host_or_match().unwrap();
/// let at = config.insert_before_first_host_or_match("Include ~/.redock/ssh_config");
/// assert_eq!(
///     config.to_bytes(),
///     b"# mine\r\n\r\nInclude ~/.redock/ssh_config\r\nHost *\r\n\tUser=me\r\n"
/// );
/// assert_eq!(config.line_number(host).unwrap(), 4);
/// config.remove_line(at).unwrap();
/// assert_eq!(config.to_bytes(), text);
/// assert!(config.remove_line(at).is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Config {
    lines: Vec<Line>,
}

impl PartialEq for Config {
    /// Two configurations are equal when they hold the same bytes.
    fn eq(&self, other: &Config) -> bool {
        self.lines.len() == other.lines.len()
            && self
                .lines
                .iter()
                .zip(&other.lines)
                .all(|(a, b)| a.raw == b.raw)
    }
}

impl Eq for Config {}

/// A handle on one line of a [`Config`].
///
/// Every line gets an identity when it is parsed or inserted that no other
/// line of any configuration in the process shares; a handle therefore
/// names its own line or none. A clone of a configuration holds the same
/// lines, so handles taken from either address both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineId(u64);

/// Where line identities come from: unique across the process, so that a
/// handle of one configuration never names a line of another.
static NEXT_LINE_ID: AtomicU64 = AtomicU64::new(1);

fn new_ids(count: usize) -> u64 {
    NEXT_LINE_ID.fetch_add(count as u64, Ordering::Relaxed)
}

/// One line: its content and its terminator (`\n`, `\r\n` or nothing).
#[derive(Debug, Clone)]
struct Line {
    raw: Vec<u8>,
    /// The terminator an edit appended to a final line that had none, so
    /// that removing what follows can take exactly it away again.
    added_eol: Option<&'static str>,
    /// Whether an edit created this line (rather than the parsed file).
    added: bool,
    /// How many bytes at the end of `raw` are its terminator.
    term: usize,
    id: u64,
}

impl Line {
    fn parsed(raw: Vec<u8>, id: u64) -> Line {
        let term = if raw.ends_with(b"\r\n") {
            2
        } else {
            usize::from(raw.ends_with(b"\n"))
        };
        Line {
            raw,
            added_eol: None,
            added: false,
            term,
            id,
        }
    }

    /// A line an edit creates, without terminator yet.
    fn added(body: Vec<u8>) -> Line {
        Line {
            raw: body,
            added_eol: None,
            added: true,
            term: 0,
            id: new_ids(1),
        }
    }

    fn terminate(&mut self, eol: &str) {
        self.raw.extend_from_slice(eol.as_bytes());
        self.term = eol.len();
    }

    /// Takes the last `n` bytes (the terminator) away.
    fn unterminate(&mut self, n: usize) {
        self.raw.truncate(self.raw.len() - n);
        if n > 0 {
            self.term = 0;
        }
    }

    fn content(&self) -> &[u8] {
        let raw = &self.raw[..];
        if let Some(body) = raw.strip_suffix(b"\n") {
            body
        } else {
            raw
        }
    }

    fn is_terminated(&self) -> bool {
        self.raw.ends_with(b"\n")
    }

    /// The line without its terminator (the `\n` or `\r\n` it was parsed
    /// with, or the one an edit gave it).
    fn body(&self) -> &[u8] {
        &self.raw[..self.raw.len() - self.term]
    }

    fn kind(&self) -> LineKind {
        lex::classify(self.content())
    }

    fn keyword(&self) -> Option<Vec<u8>> {
        match self.kind() {
            LineKind::Directive(d) => Some(d.keyword),
            LineKind::Bad(k) => Some(k),
            LineKind::Empty => None,
        }
    }

    fn is_blank(&self) -> bool {
        self.content().iter().all(|b| b.is_ascii_whitespace())
    }

    fn is_comment(&self) -> bool {
        let trimmed: Vec<u8> = self
            .content()
            .iter()
            .copied()
            .skip_while(|b| b.is_ascii_whitespace())
            .collect();
        trimmed.first() == Some(&b'#')
    }

    fn starts_block(&self) -> bool {
        matches!(self.keyword().as_deref(), Some(b"host") | Some(b"match"))
    }

    /// The unquoted arguments as ssh splits them.
    fn arguments(&self) -> Vec<Vec<u8>> {
        match self.kind() {
            LineKind::Directive(d) => lex::argv_split(&d.rest).unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

/// A `Host` block found by [`Config::host_block`] or [`Config::host_blocks`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostBlock {
    /// The patterns of the `Host` line, unquoted.
    pub patterns: Vec<String>,
    /// The `Host` line.
    pub host_line: LineId,
    /// The lines of the block in file order: the `Host` line and the lines
    /// that follow it up to the next `Host` or `Match`, without trailing
    /// blank and comment lines (they belong to whatever follows).
    pub lines: Vec<LineId>,
    /// The block's options in order.
    pub options: Vec<HostOption>,
}

/// One option line of a [`HostBlock`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostOption {
    /// The keyword as written.
    pub keyword: String,
    /// The arguments, unquoted and joined by single spaces.
    pub value: String,
    /// The line it is on.
    pub line: LineId,
}

impl HostBlock {
    /// The arguments of the first option named `keyword` (any case).
    pub fn get(&self, keyword: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|o| o.keyword.eq_ignore_ascii_case(keyword))
            .map(|o| o.value.as_str())
    }
}

impl Config {
    /// Splits `bytes` into lines. Never fails.
    pub fn parse(bytes: &[u8]) -> Config {
        let mut raws = Vec::new();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                raws.push(bytes[start..=i].to_vec());
                start = i + 1;
            }
        }
        if start < bytes.len() {
            raws.push(bytes[start..].to_vec());
        }
        let first = new_ids(raws.len());
        let lines = raws
            .into_iter()
            .enumerate()
            .map(|(i, raw)| Line::parsed(raw, first + i as u64))
            .collect();
        Config { lines }
    }

    /// The file's bytes, exactly as parsed plus the edits made since.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.lines.iter().map(|l| l.raw.len()).sum());
        for line in &self.lines {
            out.extend_from_slice(&line.raw);
        }
        out
    }

    /// The number of lines (a final line without a newline counts).
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether the file has no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Handles on every line, in file order.
    pub fn lines(&self) -> impl Iterator<Item = LineId> + '_ {
        self.lines.iter().map(|l| LineId(l.id))
    }

    fn index(&self, line: LineId) -> Result<usize, Error> {
        self.lines
            .iter()
            .position(|l| l.id == line.0)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NoSuchLine,
                    None,
                    "the line is no longer in the configuration (removed or replaced since the handle was taken)",
                )
            })
    }

    fn id_at(&self, index: usize) -> LineId {
        LineId(self.lines[index].id)
    }

    /// The line's 1-based number in the file as it is now.
    pub fn line_number(&self, line: LineId) -> Result<usize, Error> {
        Ok(self.index(line)? + 1)
    }

    /// The line without its line terminator (a trailing `\r` of a CRLF
    /// ending is stripped too).
    pub fn line(&self, line: LineId) -> Result<&[u8], Error> {
        Ok(self.lines[self.index(line)?].body())
    }

    /// The line ending the file uses: that of its first terminated line,
    /// `\n` when it has none.
    pub fn line_ending(&self) -> &'static str {
        match self
            .lines
            .iter()
            .find(|l| l.is_terminated() && l.added_eol.is_none())
        {
            Some(l) if l.raw.ends_with(b"\r\n") => "\r\n",
            _ => "\n",
        }
    }

    /// The lower-cased keyword of the line, if it has one.
    pub fn keyword(&self, line: LineId) -> Result<Option<String>, Error> {
        let l = &self.lines[self.index(line)?];
        Ok(l.keyword()
            .map(|k| String::from_utf8_lossy(&k).into_owned()))
    }

    /// The unquoted arguments of the line as ssh splits them.
    pub fn arguments(&self, line: LineId) -> Result<Vec<String>, Error> {
        let l = &self.lines[self.index(line)?];
        Ok(l.arguments()
            .into_iter()
            .map(|a| String::from_utf8_lossy(&a).into_owned())
            .collect())
    }

    fn first_block_index(&self) -> Option<usize> {
        self.lines.iter().position(Line::starts_block)
    }

    /// The first `Host` or `Match` line.
    pub fn first_host_or_match(&self) -> Option<LineId> {
        self.first_block_index().map(|i| self.id_at(i))
    }

    /// The first line ssh reads a keyword from: every line above it is
    /// blank, a comment, or text ssh ignores.
    pub fn first_directive(&self) -> Option<LineId> {
        self.first_directive_index().map(|i| self.id_at(i))
    }

    fn first_directive_index(&self) -> Option<usize> {
        self.lines.iter().position(|l| l.keyword().is_some())
    }

    /// Whether the line is inside a `Host` or `Match` block (after a
    /// `Host`/`Match` line), where an `Include` is conditional.
    pub fn is_in_block(&self, line: LineId) -> Result<bool, Error> {
        let index = self.index(line)?;
        Ok(self.first_block_index().is_some_and(|first| index > first))
    }

    /// Finds an `Include` line one of whose arguments names `target`, after
    /// expanding `~` and `${VAR}` from the process environment and resolving
    /// a relative path against `~/.ssh` as ssh does for a user configuration,
    /// and reading glob escapes as [`include_path`] does (an argument with a
    /// real wildcard is compared as written).
    ///
    /// The line is reported wherever it is, also inside a `Host` or `Match`
    /// block; [`Config::is_in_block`] tells whether it is.
    pub fn find_include(&self, target: &Path) -> Option<LineId> {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        self.find_include_with_home(target, home.as_deref())
    }

    /// [`Config::find_include`] with an explicit home directory for `~`.
    pub fn find_include_with_home(&self, target: &Path, home: Option<&Path>) -> Option<LineId> {
        let target = normalize(target);
        self.lines
            .iter()
            .find(|l| {
                l.keyword().as_deref() == Some(b"include")
                    && l.arguments().iter().any(|arg| {
                        include_path(arg, home)
                            .or_else(|| expand_include(arg, home))
                            .is_some_and(|p| normalize(&p) == target)
                    })
            })
            .map(|l| LineId(l.id))
    }

    /// Inserts `line` (its line ending is added, the file's own) before the
    /// first `Host` or `Match` line, and before the comment lines directly
    /// above it, which describe that block. Without any such line it goes at
    /// the end; a file that lacked a final newline keeps lacking one, so that
    /// removing the line restores it exactly.
    pub fn insert_before_first_host_or_match(&mut self, line: impl AsRef<[u8]>) -> LineId {
        let at = self.first_block_index();
        let eol = self.line_ending();
        self.insert_above(at, Line::added(line.as_ref().to_vec()), eol)
    }

    /// Inserts `line` before the first line ssh reads a keyword from, so
    /// that no option of the file comes before it (and before the comment
    /// lines directly above that line, which describe it). Without any such
    /// line it goes at the end, as with
    /// [`Config::insert_before_first_host_or_match`].
    ///
    /// ```
    /// use sshconfig::Config;
    ///
    /// let mut config = Config::parse(b"# settings\n\n# mine\nUser me\nHost *\n");
    /// config.insert_before_first_directive("Include /r/ssh_config");
    /// assert_eq!(
    ///     config.to_bytes(),
    ///     b"# settings\n\nInclude /r/ssh_config\n# mine\nUser me\nHost *\n"
    /// );
    /// ```
    pub fn insert_before_first_directive(&mut self, line: impl AsRef<[u8]>) -> LineId {
        let at = self.first_directive_index();
        let eol = self.line_ending();
        self.insert_above(at, Line::added(line.as_ref().to_vec()), eol)
    }

    /// Moves a line (an `Include` anywhere, say, also inside a block) to
    /// where [`Config::insert_before_first_directive`] inserts, without its
    /// indentation and trailing whitespace: it is removed and inserted
    /// again, and keeps its handle.
    /// Returns whether the file changed (not when the line already is the
    /// first one ssh reads a keyword from).
    ///
    /// ```
    /// use sshconfig::Config;
    ///
    /// let mut config = Config::parse(b"User me\nHost x\n  Include /r/ssh_config\n");
    /// let include = config.find_include_with_home("/r/ssh_config".as_ref(), None).unwrap();
    /// assert!(config.move_before_first_directive(include).unwrap());
    /// assert_eq!(config.to_bytes(), b"Include /r/ssh_config\nUser me\nHost x\n");
    /// assert_eq!(config.line_number(include).unwrap(), 1);
    /// assert!(!config.move_before_first_directive(include).unwrap());
    /// ```
    pub fn move_before_first_directive(&mut self, line: LineId) -> Result<bool, Error> {
        let index = self.index(line)?;
        if self.first_directive_index() == Some(index) {
            return Ok(false);
        }
        let content = self.line(line)?.trim_ascii().to_vec();
        // The file's line ending as it was: removing its only terminated
        // line must not change it.
        let eol = self.line_ending();
        self.remove_lines(index..index + 1);
        let mut moved = Line::added(content);
        moved.id = line.0;
        let at = self.first_directive_index();
        self.insert_above(at, moved, eol);
        Ok(true)
    }

    /// Inserts `new` (given without terminator) before line `at` and the
    /// comment lines directly above it, or at the end when `at` is `None`.
    fn insert_above(&mut self, at: Option<usize>, mut new: Line, eol: &'static str) -> LineId {
        let id = LineId(new.id);
        match at {
            Some(mut at) => {
                while at > 0 && self.lines[at - 1].is_comment() {
                    at -= 1;
                }
                new.terminate(eol);
                self.lines.insert(at, new);
            }
            None => self.push(new, eol),
        }
        id
    }

    /// Appends a line at the end. If the last line had no terminator it gets
    /// one and the new line goes without, keeping the file's style.
    fn push(&mut self, mut new: Line, eol: &'static str) {
        match self.lines.last_mut() {
            Some(last) if !last.is_terminated() => {
                last.terminate(eol);
                last.added_eol = Some(eol);
            }
            _ => new.terminate(eol),
        }
        self.lines.push(new);
    }

    /// Removes the line. Removing the last line of a file without a final
    /// newline also drops the newline before it, which undoes
    /// [`Config::insert_before_first_host_or_match`] exactly.
    pub fn remove_line(&mut self, line: LineId) -> Result<(), Error> {
        let index = self.index(line)?;
        self.remove_lines(index..index + 1);
        Ok(())
    }

    fn remove_lines(&mut self, range: Range<usize>) -> bool {
        if range.start >= range.end || range.end > self.lines.len() {
            return false;
        }
        let at_end = range.end == self.lines.len();
        let unterminated = !self.lines[range.end - 1].is_terminated();
        self.lines.drain(range);
        // Blank separators an edit added are pointless at the end of a file.
        while self.lines.last().is_some_and(|l| l.added && l.is_blank()) {
            self.lines.pop();
        }
        if let Some(last) = self.lines.last_mut() {
            // A terminator an edit gave the last line goes with what followed;
            // so does the newline before a removed unterminated last line,
            // keeping a file without a final newline that way.
            let n = match last.added_eol.take() {
                Some(eol) => eol.len(),
                None if at_end && unterminated && last.raw.ends_with(b"\r\n") => 2,
                None if at_end && unterminated && last.raw.ends_with(b"\n") => 1,
                None => 0,
            };
            last.unterminate(n);
        }
        true
    }

    /// Every `Host` block, in file order.
    pub fn host_blocks(&self) -> Vec<HostBlock> {
        (0..self.lines.len())
            .filter(|&i| self.lines[i].keyword().as_deref() == Some(b"host"))
            .map(|i| self.block_at(i))
            .collect()
    }

    /// The first `Host` block whose `Host` line has exactly one pattern,
    /// `pattern`.
    pub fn host_block(&self, pattern: &str) -> Option<HostBlock> {
        self.host_block_index(pattern).map(|i| self.block_at(i))
    }

    fn host_block_index(&self, pattern: &str) -> Option<usize> {
        (0..self.lines.len()).find(|&i| {
            let l = &self.lines[i];
            l.keyword().as_deref() == Some(b"host") && l.arguments() == [pattern.as_bytes()]
        })
    }

    /// The lines of the block starting at `start`, as an index range.
    fn block_range(&self, start: usize) -> Range<usize> {
        let mut end = start + 1;
        while end < self.lines.len() && !self.lines[end].starts_block() {
            end += 1;
        }
        while end > start + 1
            && (self.lines[end - 1].is_blank() || self.lines[end - 1].is_comment())
        {
            end -= 1;
        }
        start..end
    }

    fn block_at(&self, start: usize) -> HostBlock {
        let range = self.block_range(start);
        let mut options = Vec::new();
        for line in &self.lines[start + 1..range.end] {
            if let LineKind::Directive(_) = line.kind() {
                let written =
                    lex::strdelim(&mut Some(line.content().trim_ascii_start())).unwrap_or_default();
                let args: Vec<String> = line
                    .arguments()
                    .iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect();
                options.push(HostOption {
                    keyword: String::from_utf8_lossy(&written).into_owned(),
                    value: args.join(" "),
                    line: LineId(line.id),
                });
            }
        }
        HostBlock {
            patterns: self.lines[start]
                .arguments()
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect(),
            host_line: self.id_at(start),
            lines: range.map(|i| self.id_at(i)).collect(),
            options,
        }
    }

    /// Writes a `Host pattern` block with `options`, each as a two-space
    /// indented `Keyword value` line; values are written verbatim (make
    /// them with [`render`](crate::render), which quotes and escapes them
    /// for the keyword). An existing block for `pattern` is replaced in
    /// place (its lines get new handles); otherwise the block is appended
    /// after a blank line. Returns whether the file changed.
    pub fn set_host_block<K: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        pattern: &str,
        options: &[(K, V)],
    ) -> bool {
        let eol = self.line_ending();
        let mut new: Vec<Vec<u8>> = vec![format!("Host {pattern}").into_bytes()];
        for (k, v) in options {
            let mut line = b"  ".to_vec();
            line.extend_from_slice(k.as_ref());
            line.push(b' ');
            line.extend_from_slice(v.as_ref());
            new.push(line);
        }
        match self.host_block_index(pattern) {
            Some(start) => {
                let range = self.block_range(start);
                let keep_unterminated =
                    range.end == self.lines.len() && !self.lines[range.end - 1].is_terminated();
                let count = new.len();
                let lines: Vec<Line> = new
                    .into_iter()
                    .enumerate()
                    .map(|(i, body)| {
                        let mut line = Line::added(body);
                        if !(keep_unterminated && i + 1 == count) {
                            line.terminate(eol);
                        }
                        line
                    })
                    .collect();
                let unchanged = self.lines[range.clone()].len() == lines.len()
                    && self.lines[range.clone()]
                        .iter()
                        .zip(&lines)
                        .all(|(l, r)| l.added && l.raw == r.raw);
                if unchanged {
                    return false;
                }
                self.lines.splice(range, lines);
            }
            None => {
                if !self.lines.is_empty() {
                    self.push(Line::added(Vec::new()), eol);
                }
                for raw in new {
                    self.push(Line::added(raw), eol);
                }
            }
        }
        true
    }

    /// Removes the block [`Config::host_block`] finds for `pattern`, with one
    /// blank line that separated it from its neighbours, so that removing a
    /// block [`Config::set_host_block`] appended restores the file. Returns
    /// whether there was such a block.
    pub fn remove_host_block(&mut self, pattern: &str) -> bool {
        let Some(start) = self.host_block_index(pattern) else {
            return false;
        };
        let mut range = self.block_range(start);
        let added_blank = |l: &Line| l.added && l.is_blank();
        if range.start > 0 && added_blank(&self.lines[range.start - 1]) {
            range.start -= 1;
        } else if range.end < self.lines.len() && added_blank(&self.lines[range.end]) {
            range.end += 1;
        } else {
            let blank_before = range.start > 0 && self.lines[range.start - 1].is_blank();
            let at_end = range.end == self.lines.len();
            if at_end && blank_before {
                range.start -= 1;
            } else if (blank_before || range.start == 0)
                && range.end < self.lines.len()
                && self.lines[range.end].is_blank()
            {
                range.end += 1;
            }
        }
        self.remove_lines(range)
    }
}

/// Quotes `value` for use as one argument when it holds whitespace, quotes or
/// a `#`, so that ssh reads it back as the same single argument.
pub fn quote(value: &str) -> String {
    if !value.is_empty()
        && !value
            .bytes()
            .any(|b| matches!(b, b' ' | b'\t' | b'"' | b'\'' | b'#' | b'\\'))
    {
        return value.to_string();
    }
    let mut out = String::from("\"");
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Expands an `Include` argument to the path it names: `~` and `${VAR}`
/// expanded, a relative path taken against `~/.ssh`.
fn expand_include(arg: &[u8], home: Option<&Path>) -> Option<PathBuf> {
    let arg = expand_env(arg)?;
    let path: Vec<u8> = if let Some(rest) = arg.strip_prefix(b"~") {
        if !(rest.is_empty() || rest.starts_with(b"/")) {
            return None;
        }
        let mut p = home?.as_os_str().as_bytes().to_vec();
        p.extend_from_slice(rest);
        p
    } else if arg.starts_with(b"/") {
        arg
    } else {
        let mut p = home?.as_os_str().as_bytes().to_vec();
        p.extend_from_slice(b"/.ssh/");
        p.extend_from_slice(&arg);
        p
    };
    Some(PathBuf::from(OsStr::from_bytes(&path)))
}

/// The one file an `Include` argument (as `argv_split()` gives it) names:
/// `${VAR}` expanded from the process environment, `~` and a relative path
/// taken against `home` and `home/.ssh`, and the glob escapes undone that
/// [`render`](crate::render) writes (`\x` for any `x`, and a class of one
/// character such as `[%%]`). `None` when the argument is a pattern that may
/// match other files (an unescaped `*` or `?`, a class of several
/// characters) or names an unset variable.
///
/// ```
/// use std::path::{Path, PathBuf};
///
/// let arg = sshconfig::render("Include", b"/srv/a b/[1]/100%/ssh_config").unwrap();
/// let config = sshconfig::Config::parse(&[b"Include ".as_slice(), &arg].concat());
/// let line = config.lines().next().unwrap();
/// let written = config.arguments(line).unwrap();
/// assert_eq!(
///     sshconfig::include_path(written[0].as_bytes(), None),
///     Some(PathBuf::from("/srv/a b/[1]/100%/ssh_config"))
/// );
/// assert_eq!(sshconfig::include_path(b"/srv/*/ssh_config", None), None);
/// ```
pub fn include_path(arg: &[u8], home: Option<&Path>) -> Option<PathBuf> {
    let pattern = expand_include(arg, home)?;
    let pattern = pattern.as_os_str().as_bytes();
    let mut out = Vec::with_capacity(pattern.len());
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' if i + 1 < pattern.len() => {
                out.push(pattern[i + 1]);
                i += 2;
            }
            b'*' | b'?' => return None,
            b'[' => {
                // `[c]`, `[cc…]`: one character, however often named.
                let close = pattern[i + 1..].iter().position(|&b| b == b']')? + i + 1;
                let class = &pattern[i + 1..close];
                let first = *class.first()?;
                if matches!(first, b'!' | b'^') || class.iter().any(|&b| b != first) {
                    return None;
                }
                out.push(first);
                i = close + 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(PathBuf::from(OsStr::from_bytes(&out)))
}

/// Expands `${VAR}` references from the process environment; `None` when
/// one is unset or unterminated.
pub(crate) fn expand_env(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'$' && s.get(i + 1) == Some(&b'{') {
            let close = s[i + 2..].iter().position(|&b| b == b'}')?;
            let name = &s[i + 2..i + 2 + close];
            let value = std::env::var_os(OsStr::from_bytes(name))?;
            out.extend_from_slice(value.as_bytes());
            i += close + 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Lexical normalization so that `a//b/./c` and `a/b/c/` compare equal.
fn normalize(p: &Path) -> PathBuf {
    p.components().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_round_trip(s: &[u8]) {
        assert_eq!(Config::parse(s).to_bytes(), s);
    }

    #[test]
    fn round_trip_edges() {
        for s in [
            &b""[..],
            b"\n",
            b"\r\n",
            b"Host a",
            b"Host a\r\n  User b",
            b"\xff\xfe\x00\n\r\r\n",
            b"no newline at all",
        ] {
            check_round_trip(s);
        }
    }

    #[test]
    fn insert_into_file_without_final_newline() {
        let mut c = Config::parse(b"User me");
        let at = c.insert_before_first_host_or_match("Include x");
        assert_eq!(c.to_bytes(), b"User me\nInclude x");
        c.remove_line(at).unwrap();
        assert_eq!(c.to_bytes(), b"User me");

        let mut c = Config::parse(b"User me\r\nPort 2");
        c.insert_before_first_host_or_match("Include x");
        assert_eq!(c.to_bytes(), b"User me\r\nPort 2\r\nInclude x");

        let mut c = Config::parse(b"");
        c.insert_before_first_host_or_match("Include x");
        assert_eq!(c.to_bytes(), b"Include x\n");
    }

    #[test]
    fn insert_goes_above_the_comment_of_the_first_block() {
        let mut c = Config::parse(b"User a\n\n# work\nmatch host x\n  Port 2\n");
        c.insert_before_first_host_or_match("Include y");
        assert_eq!(
            c.to_bytes(),
            b"User a\n\nInclude y\n# work\nmatch host x\n  Port 2\n"
        );
    }

    #[test]
    fn insert_before_the_first_directive() {
        let mut c = Config::parse(b"# head\n\n  \nUser a\nHost x\n");
        let at = c.insert_before_first_directive("Include y");
        assert_eq!(c.to_bytes(), b"# head\n\n  \nInclude y\nUser a\nHost x\n");
        assert_eq!(c.first_directive(), Some(at));
        let mut c = Config::parse(b"# only a comment");
        c.insert_before_first_directive("Include y");
        assert_eq!(c.to_bytes(), b"# only a comment\nInclude y");
        let mut c = Config::parse(b"Host x\r\n");
        c.insert_before_first_directive("Include y");
        assert_eq!(c.to_bytes(), b"Include y\r\nHost x\r\n");
    }

    #[test]
    fn moving_an_include_to_the_top() {
        let text = b"User a\nHost x\n\tInclude /y\nHost z\n  Port 1";
        let mut c = Config::parse(text);
        let inc = c.find_include_with_home(Path::new("/y"), None).unwrap();
        let user = c.first_directive().unwrap();
        assert!(c.is_in_block(inc).unwrap());
        assert!(c.move_before_first_directive(inc).unwrap());
        assert_eq!(
            c.to_bytes(),
            b"Include /y\nUser a\nHost x\nHost z\n  Port 1"
        );
        assert!(!c.is_in_block(inc).unwrap());
        assert_eq!(c.line(user).unwrap(), b"User a");
        // The last line of a file without a final newline.
        let mut c = Config::parse(b"User a\r\nInclude /y");
        let inc = c.find_include_with_home(Path::new("/y"), None).unwrap();
        c.move_before_first_directive(inc).unwrap();
        assert_eq!(c.to_bytes(), b"Include /y\r\nUser a");
    }

    #[test]
    fn handles_survive_edits_or_are_refused() {
        let mut c = Config::parse(b"User a\nHost web\n  Port 1\n");
        let user = c.first_directive().unwrap();
        let port = c.host_block("web").unwrap().options[0].line;
        c.insert_before_first_host_or_match("Include x");
        assert_eq!(c.line(user).unwrap(), b"User a");
        c.set_host_block("web", &[("Port", "2")]);
        assert_eq!(c.line(port).unwrap_err().kind(), ErrorKind::NoSuchLine);
        assert_eq!(c.line(user).unwrap(), b"User a");
        let other = Config::parse(b"User a\nHost web\n  Port 1\n");
        let foreign = other.first_directive().unwrap();
        assert!(c.line(foreign).is_err());
        // A clone holds the same lines.
        let copy = c.clone();
        assert_eq!(copy.line(user).unwrap(), b"User a");
    }

    #[test]
    fn find_include_reads_glob_escapes() {
        // What `render("Include", …)` writes names the path it escapes.
        let c = Config::parse(
            b"Include \"/a b/x\\\\[1\\\\]/ssh_config\"\nInclude /p/[%%]h/ssh_config\nInclude /w/*/ssh_config\n",
        );
        let number = |found: Option<LineId>| found.map(|id| c.line_number(id).unwrap());
        let find = |p: &str| number(c.find_include_with_home(Path::new(p), None));
        assert_eq!(find("/a b/x[1]/ssh_config"), Some(1));
        assert_eq!(find("/p/%h/ssh_config"), Some(2));
        // A real wildcard names no one file; compared as written.
        assert_eq!(find("/w/x/ssh_config"), None);
        assert_eq!(find("/w/*/ssh_config"), Some(3));
        assert_eq!(
            include_path(b"/a/\\*\\?\\[x]/[%%]/[%]/${X}", None),
            None,
            "an unset variable"
        );
        assert_eq!(
            include_path(b"/a/\\*\\?\\[x]/[%%]/[%]", None),
            Some(PathBuf::from("/a/*?[x]/%/%"))
        );
        assert_eq!(include_path(b"/a/[ab]", None), None);
    }

    #[test]
    fn find_include_expands() {
        std::env::set_var("SSHCONFIG_TEST_DIR", "/srv/x");
        let c = Config::parse(
            b"Include a b\nHost *\n  Include \"${SSHCONFIG_TEST_DIR}/ssh_config\"\nInclude ~/c\n",
        );
        let home = Some(Path::new("/home/u"));
        let number = |found: Option<LineId>| found.map(|id| c.line_number(id).unwrap());
        let at = c.find_include_with_home(Path::new("/srv/x/ssh_config"), home);
        assert_eq!(number(at), Some(3));
        assert!(c.is_in_block(at.unwrap()).unwrap());
        assert_eq!(
            number(c.find_include_with_home(Path::new("/home/u/c"), home)),
            Some(4)
        );
        assert_eq!(
            number(c.find_include_with_home(Path::new("/home/u/.ssh/b"), home)),
            Some(1)
        );
        assert_eq!(c.find_include_with_home(Path::new("/home/u/d"), home), None);
    }

    #[test]
    fn host_blocks() {
        let text = b"Host a\n  User x\n\n# next\nHost b\n\tPort=2\nMatch all\n";
        let mut c = Config::parse(text);
        let a = c.host_block("a").unwrap();
        assert_eq!(a.lines.len(), 2);
        assert_eq!(c.line_number(a.host_line).unwrap(), 1);
        assert_eq!(a.get("user"), Some("x"));
        let b = c.host_block("b").unwrap();
        assert_eq!(b.options.len(), 1);
        assert_eq!(
            (b.options[0].keyword.as_str(), b.options[0].value.as_str()),
            ("Port", "2")
        );
        assert!(c.host_block("c").is_none());
        let all: Vec<Vec<String>> = c.host_blocks().into_iter().map(|b| b.patterns).collect();
        assert_eq!(all, [["a"], ["b"]]);

        assert!(c.set_host_block("c", &[("HostName", "h"), ("Port", "3")]));
        assert_eq!(
            c.to_bytes(),
            b"Host a\n  User x\n\n# next\nHost b\n\tPort=2\nMatch all\n\nHost c\n  HostName h\n  Port 3\n"
        );
        assert!(!c.set_host_block("c", &[("HostName", "h"), ("Port", "3")]));
        assert!(c.set_host_block("a", &[("User", "y")]));
        assert!(c.remove_host_block("c"));
        assert_eq!(
            c.to_bytes(),
            b"Host a\n  User y\n\n# next\nHost b\n\tPort=2\nMatch all\n"
        );
        assert!(c.remove_host_block("a"));
        assert_eq!(c.to_bytes(), b"# next\nHost b\n\tPort=2\nMatch all\n");
        assert!(!c.remove_host_block("a"));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("/a/b"), "/a/b");
        assert_eq!(quote("/a b/c"), "\"/a b/c\"");
        assert_eq!(quote("x\"y"), "\"x\\\"y\"");
        assert_eq!(quote(""), "\"\"");
    }
}
