//! POSIX shell quoting of argument vectors, and the one way a command line
//! is shown in messages.
//!
//! `ssh` joins the words of a remote command with spaces and hands the result
//! to the remote login shell, which splits it again. Quoting every word here
//! means the remote program receives exactly the argument vector we meant,
//! whatever bytes it holds. Messages quote the same way, so that a command
//! they show can be pasted into a shell.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// Returns true for the bytes that no POSIX shell treats specially anywhere
/// in a word, so a word made only of them needs no quotes.
fn is_safe(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(&byte)
}

/// Quotes one word for a POSIX shell and appends it to `out`.
fn quote_into(word: &[u8], out: &mut Vec<u8>) {
    if word.is_empty() {
        out.extend_from_slice(b"''");
    } else if word.iter().copied().all(is_safe) {
        out.extend_from_slice(word);
    } else {
        // Inside single quotes every byte is literal, even a newline; only the
        // single quote itself must leave the quotes, be escaped, and re-enter.
        out.push(b'\'');
        for &byte in word {
            if byte == b'\'' {
                out.extend_from_slice(b"'\\''");
            } else {
                out.push(byte);
            }
        }
        out.push(b'\'');
    }
}

/// Quotes one word so that a POSIX shell reads it back unchanged.
///
/// Words made only of `[A-Za-z0-9_@%+=:,./-]` are returned as they are, the
/// empty word becomes `''`, and anything else is put in single quotes with
/// each `'` written as `'\''`.
///
/// ```
/// use std::ffi::OsStr;
/// assert_eq!(proc::quote(OsStr::new("/etc/hosts")), "/etc/hosts");
/// assert_eq!(proc::quote(OsStr::new("it's $HOME")), r"'it'\''s $HOME'");
/// assert_eq!(proc::quote(OsStr::new("")), "''");
/// ```
pub fn quote(word: &OsStr) -> OsString {
    let mut out = Vec::with_capacity(word.len() + 2);
    quote_into(word.as_bytes(), &mut out);
    OsString::from_vec(out)
}

/// Quotes each word of an argument vector and joins them with spaces, giving
/// a command line that a POSIX shell splits back into exactly `argv`.
///
/// ```
/// assert_eq!(
///     proc::join(&["printf", "%s\n", "a b"]),
///     r"printf '%s
/// ' 'a b'"
/// );
/// ```
pub fn join<S: AsRef<OsStr>>(argv: &[S]) -> OsString {
    let mut out = Vec::new();
    for (i, word) in argv.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        quote_into(word.as_ref().as_bytes(), &mut out);
    }
    OsString::from_vec(out)
}

/// Returns true when `word` would reach a shell unchanged without quotes.
pub fn needs_no_quotes(word: &[u8]) -> bool {
    !word.is_empty() && word.iter().copied().all(is_safe)
}

/// A command line as messages show it: the program's file name (not the
/// directory it was found in) and the arguments, each quoted by [`quote`].
/// A word that holds a line break (a script given to `sh -c`, say) is
/// shown as its first line and `…`, so that a message stays one line.
///
/// ```
/// assert_eq!(
///     proc::display("/usr/bin/docker", ["commit", "-m", "a b", "x", "web"]),
///     "docker commit -m 'a b' x web"
/// );
/// assert_eq!(
///     proc::display("docker", ["exec", "x", "sh", "-c", "set -e\ntrue\n"]),
///     "docker exec x sh -c 'set -e…'"
/// );
/// ```
pub fn display<P, I, S>(program: P, args: I) -> String
where
    P: AsRef<OsStr>,
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let program = program.as_ref();
    let name = std::path::Path::new(program).file_name().unwrap_or(program);
    let mut line = quote(name);
    for arg in args {
        line.push(" ");
        let arg = arg.as_ref().as_bytes();
        match arg.iter().position(|&b| b == b'\n') {
            Some(end) => {
                let mut first = arg[..end].to_vec();
                first.extend_from_slice("…".as_bytes());
                line.push(quote(OsStr::from_bytes(&first)));
            }
            None => line.push(quote(OsStr::from_bytes(arg))),
        }
    }
    line.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn check(word: &str, expected: &str) {
        assert_eq!(
            quote(OsStr::new(word)),
            OsStr::new(expected),
            "quoting {word:?}"
        );
    }

    #[test]
    fn safe_words_stay_bare() {
        check("apt-get", "apt-get");
        check("/var/lib/apt/lists", "/var/lib/apt/lists");
        check("user@host:2200,x=y+z%", "user@host:2200,x=y+z%");
        check("--no-install-recommends", "--no-install-recommends");
        check("-", "-");
    }

    #[test]
    fn special_words_are_single_quoted() {
        check("", "''");
        check("a b", "'a b'");
        check("it's", r"'it'\''s'");
        check("'", r"''\'''");
        check(r#"say "hi""#, r#"'say "hi"'"#);
        check("$(reboot)", "'$(reboot)'");
        check("`id`", "'`id`'");
        check("*.txt", "'*.txt'");
        check("[ab]?", "'[ab]?'");
        check("~root", "'~root'");
        check("a\nb", "'a\nb'");
        check("tab\there", "'tab\there'");
        check("x;y&z|w", "'x;y&z|w'");
        check("naïve", "'naïve'");
        check("日本語", "'日本語'");
        check("back\\slash", "'back\\slash'");
        check("#comment", "'#comment'");
        check("!bang", "'!bang'");
        check("{a,b}", "'{a,b}'");
    }

    #[test]
    fn display_shows_the_program_name_and_quotes_what_needs_it() {
        let args = [
            "commit",
            "-m",
            "a message",
            "-c",
            "CMD [\"x\"]",
            "abc",
            "web",
            "it's",
        ];
        assert_eq!(
            display("/usr/bin/docker", args),
            r#"docker commit -m 'a message' -c 'CMD ["x"]' abc web 'it'\''s'"#
        );
        assert_eq!(
            display("ssh", ["-T", "--", "web-container", ""]),
            "ssh -T -- web-container ''"
        );
    }

    #[test]
    fn display_keeps_a_message_on_one_line() {
        let shown = display("docker", ["exec", "x", "sh", "-c", "it's\n$HOME\n"]);
        assert_eq!(shown, r"docker exec x sh -c 'it'\''s…'");
        assert_eq!(display("printf", ["\n"]), "printf '…'");
    }

    #[test]
    fn join_separates_with_single_spaces() {
        assert_eq!(join::<&str>(&[]), OsStr::new(""));
        assert_eq!(join(&["echo"]), OsStr::new("echo"));
        assert_eq!(
            join(&["echo", "", "a b", "-n"]),
            OsStr::new("echo '' 'a b' -n")
        );
    }

    /// A small deterministic generator (splitmix64), so that the generated
    /// cases are the same on every run.
    struct SplitMix(u64);

    impl SplitMix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn hand_picked() -> Vec<Vec<u8>> {
        [
            "plain",
            "",
            "with space",
            "  leading and trailing  ",
            "it's",
            "''",
            "'\\''",
            r#"double "quotes""#,
            "$(touch /tmp/redock-quote-pwned)",
            "`touch /tmp/redock-quote-pwned`",
            "${HOME}",
            "$HOME",
            "*",
            "/*",
            "?",
            "[a-z]",
            "~",
            "line one\nline two\n",
            "\n",
            "\t",
            "-n",
            "--",
            "-e",
            "naïve café",
            "日本語のテキスト",
            "emoji 🦀",
            "a;b",
            "a&&b",
            "a|b",
            "a>b",
            "<a",
            "#not a comment",
            "!history",
            "back\\slash\\",
            "\\'",
            "{a,b}",
            "%s\\0",
            "=",
            "\x01\x1b[31m",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect()
    }

    fn generated(count: usize) -> Vec<Vec<u8>> {
        // Bias towards the bytes that matter to a shell, but allow every
        // byte except NUL, which cannot appear in an argument.
        const INTERESTING: &[u8] = b" '\"\\$`*?[]~!#&|;<>(){}\n\t-=%";
        let mut rng = SplitMix(0x05ee_d0f2_ed0c);
        (0..count)
            .map(|_| {
                let len = rng.below(12);
                (0..len)
                    .map(|_| match rng.below(3) {
                        0 => INTERESTING[rng.below(INTERESTING.len())],
                        1 => b'a' + rng.below(26) as u8,
                        _ => 1 + rng.below(255) as u8,
                    })
                    .collect()
            })
            .collect()
    }

    /// Runs `printf '%s\0' <quoted words>` through `shell -c` and returns the
    /// words that the shell handed to printf.
    fn round_trip(shell: &str, words: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let argv: Vec<OsString> = words
            .iter()
            .map(|w| OsString::from_vec(w.clone()))
            .collect();
        let mut script = OsString::from("printf '%s\\0' ");
        script.push(join(&argv));
        let output = Command::new(shell)
            .arg("-c")
            .arg(&script)
            .env("LC_ALL", "C")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {shell}: {e}"));
        assert!(output.status.success(), "{shell} failed: {output:?}");
        let mut back: Vec<Vec<u8>> = output
            .stdout
            .split(|&b| b == 0)
            .map(<[u8]>::to_vec)
            .collect();
        // printf ends every word with NUL, so the split leaves an empty tail.
        assert_eq!(back.pop(), Some(Vec::new()));
        back
    }

    fn shells() -> Vec<&'static str> {
        // `sh` must exist; other shells are checked too where installed,
        // since the remote login shell is often bash.
        let mut shells = vec!["sh"];
        for extra in ["bash", "dash"] {
            if which::which(extra).is_ok() {
                shells.push(extra);
            }
        }
        shells
    }

    #[test]
    fn shell_reads_back_hand_picked_words() {
        let words = hand_picked();
        for shell in shells() {
            assert_eq!(round_trip(shell, &words), words, "through {shell}");
        }
        assert!(!std::path::Path::new("/tmp/redock-quote-pwned").exists());
    }

    #[test]
    fn shell_reads_back_generated_words() {
        let words = generated(400);
        for shell in shells() {
            for chunk in words.chunks(50) {
                assert_eq!(round_trip(shell, chunk), chunk, "through {shell}");
            }
        }
    }

    #[test]
    fn shell_reads_back_every_byte() {
        let every: Vec<u8> = (1..=255).collect();
        let words = vec![every.clone(), every.iter().rev().copied().collect()];
        for shell in shells() {
            assert_eq!(round_trip(shell, &words), words, "through {shell}");
        }
    }
}
