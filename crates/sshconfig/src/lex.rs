//! Tokenizers that follow OpenSSH's `misc.c` byte for byte.
//!
//! ssh uses two different splitters: `strdelim` for the keyword and for
//! `Match` criteria (it treats one `=` as a separator and knows only double
//! quotes), and `argv_split` for the arguments of every other keyword (single
//! and double quotes, backslash escapes, `#` comments at the start of a token).
//! Resolving like ssh means splitting like ssh, so both are ported as is.

/// The bytes ssh treats as whitespace between tokens.
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn skip_ws(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| is_ws(b)).count();
    &s[n..]
}

/// Port of `strdelim()` with `split_equals` set.
///
/// `cur` is `None` once the input is exhausted. Returns `None` when the input
/// was already exhausted or a quote is not closed, as ssh does.
pub(crate) fn strdelim(cur: &mut Option<&[u8]>) -> Option<Vec<u8>> {
    let s = (*cur)?;
    let p = match s.iter().position(|&b| is_ws(b) || b == b'"' || b == b'=') {
        Some(p) => p,
        None => {
            *cur = None;
            return Some(s.to_vec());
        }
    };
    if s[p] == b'"' {
        let rest = &s[p + 1..];
        return match rest.iter().position(|&b| b == b'"') {
            None => {
                *cur = None;
                None
            }
            Some(q) => {
                let mut tok = s[..p].to_vec();
                tok.extend_from_slice(&rest[..q]);
                *cur = Some(skip_ws(&rest[q + 1..]));
                Some(tok)
            }
        };
    }
    let saw_equals = s[p] == b'=';
    let tok = s[..p].to_vec();
    let mut after = skip_ws(&s[p + 1..]);
    if !saw_equals && after.first() == Some(&b'=') {
        after = skip_ws(&after[1..]);
    }
    *cur = Some(after);
    Some(tok)
}

/// Port of `argv_split(s, .., terminate_on_comment = 1)`.
///
/// Returns `None` for an unterminated quote, which ssh reports as
/// "invalid quotes".
pub(crate) fn argv_split(s: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i] == b' ' || s[i] == b'\t' {
            i += 1;
            continue;
        }
        if s[i] == b'#' {
            break;
        }
        let mut quote = 0u8;
        let mut arg = Vec::new();
        while i < s.len() {
            let c = s[i];
            if c == b'\\' {
                let next = s.get(i + 1).copied();
                if matches!(next, Some(b'\'') | Some(b'"') | Some(b'\\'))
                    || (quote == 0 && next == Some(b' '))
                {
                    i += 1;
                    arg.push(s[i]);
                } else {
                    arg.push(c);
                }
            } else if quote == 0 && (c == b' ' || c == b'\t') {
                break;
            } else if quote == 0 && (c == b'"' || c == b'\'') {
                quote = c;
            } else if quote != 0 && c == quote {
                quote = 0;
            } else {
                arg.push(c);
            }
            i += 1;
        }
        if i >= s.len() && quote != 0 {
            return None;
        }
        out.push(arg);
    }
    Some(out)
}

/// A configuration line reduced the way `process_config_line_depth()` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Directive {
    /// The keyword, lower-cased.
    pub(crate) keyword: Vec<u8>,
    /// Everything after the keyword and its separator, trailing whitespace
    /// removed. Never empty.
    pub(crate) rest: Vec<u8>,
}

/// The outcome of reading one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LineKind {
    /// Blank line or comment.
    Empty,
    /// A keyword with arguments.
    Directive(Directive),
    /// A keyword with no argument, which ssh rejects.
    Bad(Vec<u8>),
}

/// Reads one line (without its terminator) as ssh does.
pub(crate) fn classify(line: &[u8]) -> LineKind {
    // ssh handles lines as C strings, so a NUL ends the line.
    let line = match line.iter().position(|&b| b == 0) {
        Some(n) => &line[..n],
        None => line,
    };
    // Trailing whitespace (and form feeds) go, but never the first byte.
    let mut len = line.len();
    while len > 1 && matches!(line[len - 1], b' ' | b'\t' | b'\r' | b'\n' | b'\x0c') {
        len -= 1;
    }
    let line = &line[..len];
    if line.is_empty() {
        return LineKind::Empty;
    }
    let mut cur = Some(line);
    let mut keyword = match strdelim(&mut cur) {
        Some(k) => k,
        None => return LineKind::Empty,
    };
    if keyword.is_empty() {
        keyword = match strdelim(&mut cur) {
            Some(k) => k,
            None => return LineKind::Empty,
        };
    }
    if keyword.is_empty() || keyword[0] == b'\n' || keyword[0] == b'#' {
        return LineKind::Empty;
    }
    keyword.make_ascii_lowercase();
    let rest = cur.map(skip_ws).unwrap_or(&[]);
    if rest.is_empty() {
        return LineKind::Bad(keyword);
    }
    LineKind::Directive(Directive {
        keyword,
        rest: rest.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        argv_split(s.as_bytes())
            .unwrap()
            .into_iter()
            .map(|t| String::from_utf8(t).unwrap())
            .collect()
    }

    fn directive(s: &str) -> (String, String) {
        match classify(s.as_bytes()) {
            LineKind::Directive(d) => (
                String::from_utf8(d.keyword).unwrap(),
                String::from_utf8(d.rest).unwrap(),
            ),
            other => panic!("{s:?} gave {other:?}"),
        }
    }

    #[test]
    fn separators() {
        assert_eq!(directive("Host foo"), ("host".into(), "foo".into()));
        assert_eq!(
            directive("  HostName=bar  "),
            ("hostname".into(), "bar".into())
        );
        assert_eq!(directive("Port = 22\r"), ("port".into(), "22".into()));
        assert_eq!(directive("Port\t=\t22"), ("port".into(), "22".into()));
        assert_eq!(directive("User =  =x"), ("user".into(), "=x".into()));
        assert_eq!(directive("\"User\" x"), ("user".into(), "x".into()));
        assert_eq!(classify(b"   # comment"), LineKind::Empty);
        assert_eq!(classify(b""), LineKind::Empty);
        assert_eq!(classify(b" "), LineKind::Empty);
        assert_eq!(classify(b"Host"), LineKind::Bad(b"host".to_vec()));
        assert_eq!(classify(b"Host \0foo"), LineKind::Bad(b"host".to_vec()));
    }

    #[test]
    fn argv() {
        assert_eq!(toks("a b\tc"), ["a", "b", "c"]);
        assert_eq!(toks("\"a b\" 'c d'"), ["a b", "c d"]);
        assert_eq!(toks("a\\ b c#d # e"), ["a b", "c#d"]);
        assert_eq!(toks("x\\y \\\"q"), ["x\\y", "\"q"]);
        assert_eq!(toks("a\"b c\"d"), ["ab cd"]);
        assert_eq!(argv_split(b"\"open"), None);
        assert!(toks("# all comment").is_empty());
    }

    #[test]
    fn strdelim_matches_ssh() {
        let mut cur = Some(&b"host=a \"b c\"d e"[..]);
        let mut out = Vec::new();
        while let Some(t) = strdelim(&mut cur) {
            out.push(String::from_utf8(t).unwrap());
            if cur.is_none() {
                break;
            }
        }
        assert_eq!(out, ["host", "a", "b c", "d", "e"]);
    }
}
