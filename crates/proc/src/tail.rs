//! The last lines of a stream: what an error message shows of a program's
//! output, kept without holding all of it.

use std::collections::VecDeque;

/// How many lines of a failed program's output messages show.
pub const TAIL_LINES: usize = 20;

/// How long one kept line may grow; a progress bar redrawn with `\r` never
/// ends its line, and must not fill memory.
const LINE_BYTES: usize = 4096;

/// The last lines of a stream, each cut to its last 4096 bytes.
///
/// Bytes are pushed as they arrive, in chunks that need not end on a line
/// boundary; an unfinished last line counts as a line.
///
/// ```
/// let mut tail = proc::Tail::new(2);
/// tail.push(b"one\ntwo\nthr");
/// tail.push(b"ee");
/// assert_eq!(tail.text(), "two\nthree");
/// ```
#[derive(Clone, Debug)]
pub struct Tail {
    max_lines: usize,
    lines: VecDeque<Vec<u8>>,
    current: Vec<u8>,
}

impl Default for Tail {
    /// A tail of [`TAIL_LINES`] lines.
    fn default() -> Tail {
        Tail::new(TAIL_LINES)
    }
}

impl Tail {
    /// A tail keeping at most `max_lines` lines.
    pub fn new(max_lines: usize) -> Tail {
        Tail {
            max_lines,
            lines: VecDeque::new(),
            current: Vec::new(),
        }
    }

    /// The last [`TAIL_LINES`] lines of `bytes`, joined with `\n`.
    pub fn of(bytes: &[u8]) -> String {
        let mut tail = Tail::default();
        tail.push(bytes);
        tail.text()
    }

    /// Adds bytes of the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if byte == b'\n' {
                let line = std::mem::take(&mut self.current);
                self.keep(line);
            } else {
                self.current.push(byte);
                if self.current.len() > 2 * LINE_BYTES {
                    let excess = self.current.len() - LINE_BYTES;
                    self.current.drain(..excess);
                }
            }
        }
    }

    /// Adds one whole line (without its newline).
    pub fn push_line(&mut self, line: &str) {
        self.push(line.as_bytes());
        self.push(b"\n");
    }

    /// Forgets everything kept so far.
    pub fn clear(&mut self) {
        self.lines.clear();
        self.current.clear();
    }

    /// The kept lines joined with `\n`, an unfinished last line included.
    pub fn text(&self) -> String {
        let unfinished = (!self.current.is_empty()).then_some(&self.current);
        let all: Vec<&Vec<u8>> = self.lines.iter().chain(unfinished).collect();
        let start = all.len().saturating_sub(self.max_lines);
        let mut out = Vec::new();
        for (i, line) in all[start..].iter().enumerate() {
            if i > 0 {
                out.push(b'\n');
            }
            let from = line.len().saturating_sub(LINE_BYTES);
            out.extend_from_slice(&line[from..]);
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    fn keep(&mut self, line: Vec<u8>) {
        self.lines.push_back(line);
        if self.lines.len() > self.max_lines {
            self.lines.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines() {
        let mut tail = Tail::default();
        for i in 0..50 {
            tail.push(format!("line {i}\n").as_bytes());
        }
        let expected: Vec<String> = (30..50).map(|i| format!("line {i}")).collect();
        assert_eq!(tail.text(), expected.join("\n"));
    }

    #[test]
    fn keeps_an_unfinished_last_line() {
        let mut tail = Tail::default();
        tail.push(b"one\ntw");
        tail.push(b"o");
        assert_eq!(tail.text(), "one\ntwo");
        let mut tail = Tail::new(2);
        tail.push(b"a\nb\nc");
        assert_eq!(tail.text(), "b\nc");
    }

    #[test]
    fn cuts_endless_lines() {
        let mut tail = Tail::default();
        for _ in 0..10_000 {
            tail.push(b"progress 10%\r");
        }
        let text = tail.text();
        assert_eq!(text.len(), LINE_BYTES);
        assert!(text.ends_with("progress 10%\r"));
    }

    #[test]
    fn whole_lines_and_clearing() {
        let mut tail = Tail::new(3);
        for line in ["a", "b", "c", "d"] {
            tail.push_line(line);
        }
        assert_eq!(tail.text(), "b\nc\nd");
        tail.clear();
        assert_eq!(tail.text(), "");
        tail.push_line("e");
        assert_eq!(tail.text(), "e");
    }

    #[test]
    fn of_nothing_is_empty() {
        assert_eq!(Tail::of(b""), "");
        assert_eq!(Tail::of(b"x\n"), "x");
    }
}
