//! Quoting for rsync's `-e` option. POSIX shell quoting is the process
//! layer's ([`proc::quote`], [`proc::join`]), re-exported here.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

pub use proc::{join, needs_no_quotes, quote};

/// Quotes one word for the command that rsync's `-e` option takes.
///
/// rsync splits that command itself rather than through a shell: single
/// quotes group, a doubled single quote inside them stands for one, and a
/// backslash has no special meaning.
pub(crate) fn quote_rsync_word(word: &OsStr) -> OsString {
    let bytes = word.as_bytes();
    if needs_no_quotes(bytes) {
        return word.to_owned();
    }
    let mut out = Vec::with_capacity(bytes.len() + 2);
    out.push(b'\'');
    for &byte in bytes {
        if byte == b'\'' {
            out.extend_from_slice(b"''");
        } else {
            out.push(byte);
        }
    }
    out.push(b'\'');
    OsString::from_vec(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsync_words_double_single_quotes() {
        let q = |s: &str| quote_rsync_word(OsStr::new(s));
        assert_eq!(q("ssh"), OsStr::new("ssh"));
        assert_eq!(
            q("/home/me/.redock/ssh_config"),
            OsStr::new("/home/me/.redock/ssh_config")
        );
        assert_eq!(q("/a b/c"), OsStr::new("'/a b/c'"));
        assert_eq!(q("it's"), OsStr::new("'it''s'"));
        assert_eq!(q(""), OsStr::new("''"));
    }
}
