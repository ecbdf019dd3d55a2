//! The lossless model of one configuration file and the edits it allows.

use std::ffi::OsStr;
use std::ops::Range;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::lex::{self, LineKind};

/// One configuration file, kept line by line with its exact bytes.
///
/// Parsing never fails and never loses anything: [`Config::to_bytes`] gives
/// back exactly the bytes [`Config::parse`] was given, whatever they were
/// (CRLF line ends, tabs, `=` separators, quoting, comments, invalid UTF-8, a
/// missing final newline). Edits touch only the lines they add, replace or
/// remove.
///
/// ```
/// use sshconfig::Config;
///
/// let text = b"# mine\r\n\r\nHost *\r\n\tUser=me\r\n";
/// let mut config = Config::parse(text);
/// assert_eq!(config.to_bytes(), text);
///
/// let at = config.insert_before_first_host_or_match("Include ~/.redock/ssh_config");
/// assert_eq!(
///     config.to_bytes(),
///     b"# mine\r\n\r\nInclude ~/.redock/ssh_config\r\nHost *\r\n\tUser=me\r\n"
/// );
/// config.remove_line(at);
/// assert_eq!(config.to_bytes(), text);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    lines: Vec<Line>,
}

/// One line: its content and its terminator (`\n`, `\r\n` or nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    raw: Vec<u8>,
    /// The terminator an edit appended to a final line that had none, so
    /// that removing what follows can take exactly it away again.
    added_eol: Option<&'static str>,
    /// Whether an edit created this line (rather than the parsed file).
    added: bool,
}

impl Line {
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
}

/// A `Host` block found by [`Config::host_block`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostBlock {
    /// The lines of the block: the `Host` line and the lines that follow it
    /// up to the next `Host` or `Match`, without trailing blank and comment
    /// lines (they belong to whatever follows).
    pub lines: Range<usize>,
    /// The block's options in order, as `(keyword as written, arguments)`;
    /// the arguments are unquoted and joined by single spaces.
    pub options: Vec<(String, String)>,
}

impl HostBlock {
    /// The arguments of the first option named `keyword` (any case).
    pub fn get(&self, keyword: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(keyword))
            .map(|(_, v)| v.as_str())
    }
}

impl Config {
    /// Splits `bytes` into lines. Never fails.
    pub fn parse(bytes: &[u8]) -> Config {
        let mut lines = Vec::new();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                lines.push(Line {
                    raw: bytes[start..=i].to_vec(),
                    added_eol: None,
                    added: false,
                });
                start = i + 1;
            }
        }
        if start < bytes.len() {
            lines.push(Line {
                raw: bytes[start..].to_vec(),
                added_eol: None,
                added: false,
            });
        }
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

    /// Line `index` without its line terminator (a trailing `\r` of a CRLF
    /// ending is stripped too).
    pub fn line(&self, index: usize) -> Option<&[u8]> {
        self.lines.get(index).map(|l| {
            let c = l.content();
            if l.is_terminated() {
                c.strip_suffix(b"\r").unwrap_or(c)
            } else {
                c
            }
        })
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

    /// The lower-cased keyword of line `index`, if it has one.
    pub fn keyword(&self, index: usize) -> Option<String> {
        self.lines
            .get(index)
            .and_then(Line::keyword)
            .map(|k| String::from_utf8_lossy(&k).into_owned())
    }

    /// The unquoted arguments of line `index` as ssh splits them.
    pub fn arguments(&self, index: usize) -> Vec<String> {
        match self.lines.get(index).map(Line::kind) {
            Some(LineKind::Directive(d)) => lex::argv_split(&d.rest)
                .unwrap_or_default()
                .into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Index of the first `Host` or `Match` line.
    pub fn first_host_or_match(&self) -> Option<usize> {
        self.lines.iter().position(Line::starts_block)
    }

    /// Whether line `index` is inside a `Host` or `Match` block (after a
    /// `Host`/`Match` line), where an `Include` is conditional.
    pub fn is_in_block(&self, index: usize) -> bool {
        self.first_host_or_match()
            .is_some_and(|first| index > first)
    }

    /// Finds an `Include` line one of whose arguments names `target`, after
    /// expanding `~` and `${VAR}` from the process environment and resolving
    /// a relative path against `~/.ssh` as ssh does for a user configuration.
    ///
    /// The line is reported wherever it is, also inside a `Host` or `Match`
    /// block; [`Config::is_in_block`] tells whether it is.
    pub fn find_include(&self, target: &Path) -> Option<usize> {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        self.find_include_with_home(target, home.as_deref())
    }

    /// [`Config::find_include`] with an explicit home directory for `~`.
    pub fn find_include_with_home(&self, target: &Path, home: Option<&Path>) -> Option<usize> {
        let target = normalize(target);
        (0..self.lines.len()).find(|&i| {
            self.keyword(i).as_deref() == Some("include")
                && self
                    .include_args(i)
                    .iter()
                    .any(|arg| expand_include(arg, home).is_some_and(|p| normalize(&p) == target))
        })
    }

    fn include_args(&self, index: usize) -> Vec<Vec<u8>> {
        match self.lines[index].kind() {
            LineKind::Directive(d) => lex::argv_split(&d.rest).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Inserts `line` (its line ending is added, the file's own) before the
    /// first `Host` or `Match` line, and before the comment lines directly
    /// above it, which describe that block. Without any such line it goes at
    /// the end; a file that lacked a final newline keeps lacking one, so that
    /// removing the line restores it exactly. Returns the new line's index.
    pub fn insert_before_first_host_or_match(&mut self, line: &str) -> usize {
        let eol = self.line_ending();
        match self.first_host_or_match() {
            Some(mut at) => {
                while at > 0 && self.lines[at - 1].is_comment() {
                    at -= 1;
                }
                self.lines.insert(
                    at,
                    Line {
                        raw: format!("{line}{eol}").into_bytes(),
                        added_eol: None,
                        added: true,
                    },
                );
                at
            }
            None => {
                self.push_line(line.as_bytes(), eol);
                self.lines.len() - 1
            }
        }
    }

    /// Appends a line at the end. If the last line had no terminator it gets
    /// one and the new line goes without, keeping the file's style.
    fn push_line(&mut self, content: &[u8], eol: &'static str) {
        let mut raw = content.to_vec();
        match self.lines.last_mut() {
            Some(last) if !last.is_terminated() => {
                last.raw.extend_from_slice(eol.as_bytes());
                last.added_eol = Some(eol);
            }
            _ => raw.extend_from_slice(eol.as_bytes()),
        }
        self.lines.push(Line {
            raw,
            added_eol: None,
            added: true,
        });
    }

    /// Removes line `index`. Removing the last line of a file without a final
    /// newline also drops the newline before it, which undoes
    /// [`Config::insert_before_first_host_or_match`] exactly. Returns whether
    /// there was such a line.
    pub fn remove_line(&mut self, index: usize) -> bool {
        self.remove_lines(index..index + 1)
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
            last.raw.truncate(last.raw.len() - n);
        }
        true
    }

    /// Every `Host` block, in file order.
    pub fn host_blocks(&self) -> Vec<(Vec<String>, HostBlock)> {
        let mut out = Vec::new();
        for i in 0..self.lines.len() {
            if self.keyword(i).as_deref() == Some("host") {
                out.push((self.arguments(i), self.block_at(i)));
            }
        }
        out
    }

    /// The first `Host` block whose `Host` line has exactly one pattern,
    /// `pattern`.
    pub fn host_block(&self, pattern: &str) -> Option<HostBlock> {
        (0..self.lines.len())
            .find(|&i| self.keyword(i).as_deref() == Some("host") && self.arguments(i) == [pattern])
            .map(|i| self.block_at(i))
    }

    fn block_at(&self, start: usize) -> HostBlock {
        let mut end = start + 1;
        while end < self.lines.len() && !self.lines[end].starts_block() {
            end += 1;
        }
        while end > start + 1
            && (self.lines[end - 1].is_blank() || self.lines[end - 1].is_comment())
        {
            end -= 1;
        }
        let mut options = Vec::new();
        for line in &self.lines[start + 1..end] {
            if let LineKind::Directive(_) = line.kind() {
                let written =
                    lex::strdelim(&mut Some(line.content().trim_ascii_start())).unwrap_or_default();
                let args = self.args_of(line);
                options.push((
                    String::from_utf8_lossy(&written).into_owned(),
                    args.join(" "),
                ));
            }
        }
        HostBlock {
            lines: start..end,
            options,
        }
    }

    fn args_of(&self, line: &Line) -> Vec<String> {
        match line.kind() {
            LineKind::Directive(d) => lex::argv_split(&d.rest)
                .unwrap_or_default()
                .into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Writes a `Host pattern` block with `options`, each as a two-space
    /// indented `Keyword value` line; values are written verbatim (quote
    /// them with [`quote`] where they may contain spaces). An existing block
    /// for `pattern` is replaced in place; otherwise the block is appended
    /// after a blank line. Returns whether the file changed.
    pub fn set_host_block(&mut self, pattern: &str, options: &[(&str, &str)]) -> bool {
        let eol = self.line_ending();
        let mut new: Vec<Vec<u8>> = vec![format!("Host {pattern}").into_bytes()];
        for (k, v) in options {
            new.push(format!("  {k} {v}").into_bytes());
        }
        match self.host_block(pattern) {
            Some(block) => {
                let range = block.lines;
                let keep_unterminated =
                    range.end == self.lines.len() && !self.lines[range.end - 1].is_terminated();
                let count = new.len();
                let replacement: Vec<Line> = new
                    .into_iter()
                    .enumerate()
                    .map(|(i, mut raw)| {
                        if !(keep_unterminated && i + 1 == count) {
                            raw.extend_from_slice(eol.as_bytes());
                        }
                        Line {
                            raw,
                            added_eol: None,
                            added: true,
                        }
                    })
                    .collect();
                if self.lines[range.clone()] == replacement[..] {
                    return false;
                }
                self.lines.splice(range, replacement);
            }
            None => {
                if !self.lines.is_empty() {
                    self.push_line(b"", eol);
                }
                for raw in new {
                    self.push_line(&raw, eol);
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
        let Some(block) = self.host_block(pattern) else {
            return false;
        };
        let mut range = block.lines;
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
        c.remove_line(at);
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
    fn find_include_expands() {
        std::env::set_var("SSHCONFIG_TEST_DIR", "/srv/x");
        let c = Config::parse(
            b"Include a b\nHost *\n  Include \"${SSHCONFIG_TEST_DIR}/ssh_config\"\nInclude ~/c\n",
        );
        let home = Some(Path::new("/home/u"));
        assert_eq!(
            c.find_include_with_home(Path::new("/srv/x/ssh_config"), home),
            Some(2)
        );
        assert!(c.is_in_block(2));
        assert_eq!(
            c.find_include_with_home(Path::new("/home/u/c"), home),
            Some(3)
        );
        assert_eq!(
            c.find_include_with_home(Path::new("/home/u/.ssh/b"), home),
            Some(0)
        );
        assert_eq!(c.find_include_with_home(Path::new("/home/u/d"), home), None);
    }

    #[test]
    fn host_blocks() {
        let text = b"Host a\n  User x\n\n# next\nHost b\n\tPort=2\nMatch all\n";
        let mut c = Config::parse(text);
        let a = c.host_block("a").unwrap();
        assert_eq!(a.lines, 0..2);
        assert_eq!(a.get("user"), Some("x"));
        assert_eq!(
            c.host_block("b").unwrap().options,
            [("Port".into(), "2".into())]
        );
        assert!(c.host_block("c").is_none());

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
