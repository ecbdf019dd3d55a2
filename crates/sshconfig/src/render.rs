//! Writing a value so that ssh reads back exactly that value.
//!
//! ssh reads an option line in steps, each of which changes some text: the
//! line loses trailing whitespace, a `=` or whitespace after the keyword is
//! a separator, `argv_split()` (OpenSSH's `misc.c`) splits the arguments at
//! spaces and tabs, takes quotes away and turns `\"`, `\'`, `\\` and
//! (outside quotes) `\ ` into the escaped character, and stops at a `#`
//! that starts an argument. Then each keyword does its own: `%` tokens,
//! `${VAR}`, a leading `~`, lower-casing, `glob(3)`. [`render_for`] undoes
//! each step a keyword takes, or says which step has no way around it.

use crate::error::{Error, ErrorKind};
use crate::lex;
use crate::resolve::{
    canonical_host, convtime, flag, lookup, parse_ipqos, parse_octal_mask, parse_tunnel_device,
    strtonum, Kind,
};
use crate::version::Openssh;

/// The argument text for `keyword` that every OpenSSH release this crate
/// supports (9.x and 10.x) reads back as exactly `value`.
///
/// The result is one argument, ready for `format!("{keyword} {text}")`
/// (for the command keywords, `ProxyCommand` and friends, it is the whole
/// rest of the line). It is quoted with double quotes where ssh would split
/// or strip the value, has `%%` for each `%` where ssh expands `%` tokens,
/// and escapes glob characters where ssh globs (`Include`, where a `%` is
/// the class `[%%]`, which releases before and after 9.9 read alike). Where ssh
/// offers no way to write the value the error, of kind
/// [`ErrorKind::Unrepresentable`], says which step of ssh's reading is in
/// the way: a newline or another control character, `${` where ssh expands
/// environment variables (it has no escape for them), a leading `~` where
/// ssh expands it, upper case where ssh lower-cases, a relative `Include`
/// path, or a value that releases read differently (a `%` in `User`, which
/// OpenSSH 10.0 began to expand; [`render_for`] writes for one release).
///
/// Values of the keywords with a fixed vocabulary (`ControlMaster`,
/// `IdentitiesOnly`, `Port`, …) must be ones ssh accepts. A keyword
/// render does not know gives [`ErrorKind::Invalid`].
///
/// ```
/// use sshconfig::render;
///
/// assert_eq!(render("HostName", b"127.0.0.1").unwrap(), b"127.0.0.1");
/// assert_eq!(
///     render("IdentityFile", b"/home/a b/100%/key").unwrap(),
///     b"\"/home/a b/100%%/key\""
/// );
/// assert_eq!(render("Include", b"/etc/ssh/x*y").unwrap(), b"\"/etc/ssh/x\\\\*y\"");
/// assert!(render("User", b"line\nbreak").is_err());
/// ```
pub fn render(keyword: &str, value: &[u8]) -> Result<Vec<u8>, Error> {
    // One release of each reading: before 9.9, 9.9 (Include expands), and
    // 10.0 and later (User and SetEnv expand too).
    let releases = [Openssh::new(9, 2), Openssh::new(9, 9), Openssh::new(10, 0)];
    let mut first: Option<(Openssh, Vec<u8>)> = None;
    for release in releases {
        let text = render_for(&release, keyword, value)?;
        match &first {
            None => first = Some((release, text)),
            Some((earlier, t)) if *t != text => {
                return Err(unrepresentable(
                    keyword,
                    value,
                    &format!(
                        "releases read it differently (OpenSSH {}.{} needs the text `{}`, {}.{} \
                         needs `{}`); render_for writes it for one release",
                        earlier.major(),
                        earlier.minor(),
                        String::from_utf8_lossy(t),
                        release.major(),
                        release.minor(),
                        String::from_utf8_lossy(&text)
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(first.map(|(_, t)| t).unwrap_or_default())
}

/// [`render`] for text: the argument text for `keyword` that ssh reads back
/// as exactly `value`.
///
/// ```
/// assert_eq!(
///     sshconfig::render_str("UserKnownHostsFile", "/srv/my hosts").unwrap(),
///     "\"/srv/my hosts\""
/// );
/// ```
pub fn render_str(keyword: &str, value: &str) -> Result<String, Error> {
    let text = render(keyword, value.as_bytes())?;
    // Only ASCII is ever added to the value's own bytes.
    Ok(String::from_utf8(text).unwrap_or_default())
}

/// [`render`] for one OpenSSH release: the argument text for `keyword`
/// that `openssh` reads back as exactly `value`.
pub fn render_for(openssh: &Openssh, keyword: &str, value: &[u8]) -> Result<Vec<u8>, Error> {
    let fail = |why: &str| Err(unrepresentable(keyword, value, why));
    if value.is_empty() {
        return fail("ssh rejects an empty argument");
    }
    if let Some(&c) = value.iter().find(|&&c| c == b'\n' || c == 0) {
        let what = if c == 0 { "a NUL byte" } else { "a newline" };
        return fail(&format!(
            "ssh reads one line at a time, so {what} cannot be written"
        ));
    }
    if value.iter().any(|&c| (c < 0x20 && c != b'\t') || c == 0x7f) {
        return fail(
            "it holds a control character, which is refused: ssh keeps some and strips others, \
             and a terminal or editor shows the line differently than ssh reads it",
        );
    }
    let lower = keyword.to_ascii_lowercase();
    if lower == "include" {
        return include(keyword, value);
    }
    let Some((name, kind)) = lookup(lower.as_bytes(), openssh) else {
        return Err(Error::new(
            ErrorKind::Invalid,
            None,
            format!("cannot render a value for `{keyword}`: not a keyword sshconfig knows for {openssh}"),
        ));
    };
    let text = std::str::from_utf8(value).ok();
    let valid = |ok: bool| -> Result<Vec<u8>, Error> {
        if ok {
            Ok(quote_argument(value))
        } else {
            Err(unrepresentable(
                keyword,
                value,
                &format!("ssh does not accept it as {keyword}"),
            ))
        }
    };
    let word = |f: &dyn Fn(&str) -> bool| valid(text.is_some_and(f));
    match (name, kind) {
        ("hostname", _) => hostname(keyword, value),
        ("user", _) => user(openssh, keyword, value),
        ("port", _) => word(&|s| {
            strtonum(s, 1, 65535).is_some_and(|p| p.to_string() == s)
        }),
        ("controlpersist", _) => word(&|s| {
            matches!(s, "yes" | "no" | "true" | "false") || convtime(s).is_some()
        }),
        ("loglevel", _) => word(&|s| {
            matches!(
                s.to_ascii_uppercase().as_str(),
                "QUIET" | "FATAL" | "ERROR" | "INFO" | "VERBOSE" | "DEBUG" | "DEBUG1" | "DEBUG2"
                    | "DEBUG3"
            )
        }),
        ("syslogfacility", _) => word(&|s| {
            let upper = s.to_ascii_uppercase();
            matches!(upper.as_str(), "DAEMON" | "USER" | "AUTH" | "AUTHPRIV")
                || (upper.len() == 6
                    && upper.starts_with("LOCAL")
                    && matches!(upper.as_bytes()[5], b'0'..=b'7'))
        }),
        ("escapechar", _) => valid(
            value == b"none"
                || value.len() == 1
                || (value.len() == 2 && value[0] == b'^' && (64..128).contains(&value[1])),
        ),
        ("addkeystoagent", _) => word(&|s| {
            matches!(
                s.to_ascii_lowercase().as_str(),
                "yes" | "no" | "true" | "false" | "ask" | "confirm"
            ) || convtime(s).is_some()
        }),
        ("obscurekeystroketiming", _) => word(&|s| {
            matches!(s, "yes" | "no" | "true" | "false")
                || s.strip_prefix("interval:")
                    .and_then(|n| strtonum(n, 1, 1000))
                    .is_some()
        }),
        ("tunneldevice", _) => word(&|s| parse_tunnel_device(s).is_some()),
        ("streamlocalbindmask", _) => word(&|s| parse_octal_mask(s).is_some()),
        ("ipqos", _) => word(&|s| parse_ipqos(s, openssh).is_some()),
        ("identityfile" | "certificatefile" | "userknownhostsfile", _) => {
            expanded_path(keyword, value)
        }
        ("identityagent", _) if value[0] == b'$' => fail(
            "ssh reads an IdentityAgent that starts with `$` as the name of an environment variable",
        ),
        (_, Kind::Path) => expanded_path(keyword, value),
        (_, Kind::Flag) => word(&|s| flag(s).is_some()),
        (_, Kind::Choice(table)) => word(&|s| table.iter().any(|(k, _)| k.eq_ignore_ascii_case(s))),
        (_, Kind::Int) => word(&|s| strtonum(s, 0, i32::MAX as i64).is_some()),
        (_, Kind::Time) => word(&|s| s == "none" || convtime(s).is_some()),
        (_, Kind::Str | Kind::StrOrNone) => Ok(quote_argument(value)),
        (_, Kind::Lower) => {
            if value.iter().any(u8::is_ascii_uppercase) {
                fail("ssh lower-cases it")
            } else {
                Ok(quote_argument(value))
            }
        }
        (_, Kind::Command | Kind::ExpandedCommand) => command(keyword, value),
        (_, Kind::Special) => Err(Error::new(
            ErrorKind::Invalid,
            None,
            format!(
                "cannot render a value for `{keyword}`: sshconfig does not model how ssh reads its \
                 arguments (write it with quote_argument and check it with the resolver)"
            ),
        )),
    }
}

fn unrepresentable(keyword: &str, value: &[u8], why: &str) -> Error {
    Error::new(
        ErrorKind::Unrepresentable,
        None,
        format!(
            "cannot write {keyword} {:?} so that ssh reads it back: {why}",
            String::from_utf8_lossy(value)
        ),
    )
}

/// `value` as one argument that `argv_split()` gives back unchanged: as it
/// is when it has nothing ssh would split, strip or take as a comment or a
/// separator, else in double quotes with `\` and `"` escaped.
///
/// The value must not hold a newline or NUL (nothing can write those), and
/// must not be empty.
///
/// ```
/// use sshconfig::quote_argument;
///
/// assert_eq!(quote_argument(b"/a/b"), b"/a/b");
/// assert_eq!(quote_argument(b"a b"), b"\"a b\"");
/// assert_eq!(quote_argument(b"#x"), b"\"#x\"");
/// assert_eq!(quote_argument(b"say \"hi\\\""), b"\"say \\\"hi\\\\\\\"\"");
/// ```
pub fn quote_argument(value: &[u8]) -> Vec<u8> {
    let plain = !value.is_empty()
        && value[0] != b'#'
        && value[0] != b'='
        && !value
            .iter()
            .any(|b| matches!(b, b' ' | b'\t' | b'"' | b'\'' | b'\\' | b'\r' | b'\x0c'));
    if plain {
        return value.to_vec();
    }
    let mut out = Vec::with_capacity(value.len() + 2);
    out.push(b'"');
    for &b in value {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
    out
}

/// `%` as `%%`, for keywords whose value goes through `percent_expand()`.
fn escape_percent(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    for &b in value {
        if b == b'%' {
            out.push(b'%');
        }
        out.push(b);
    }
    out
}

fn has_env_reference(value: &[u8]) -> bool {
    value.windows(2).any(|w| w == b"${")
}

/// A path ssh takes through `tilde_expand_filename()` and then
/// `percent_dollar_expand()` (`IdentityFile`, `ControlPath`, …).
fn expanded_path(keyword: &str, value: &[u8]) -> Result<Vec<u8>, Error> {
    if value[0] == b'~' {
        return Err(unrepresentable(
            keyword,
            value,
            "ssh expands a leading `~` to a home directory and has no escape for it",
        ));
    }
    if has_env_reference(value) {
        return Err(unrepresentable(
            keyword,
            value,
            "ssh expands `${...}` in it to an environment variable and has no escape for `${`",
        ));
    }
    Ok(quote_argument(&escape_percent(value)))
}

/// `HostName`: `%h` and `%%` are expanded, then the name is lower-cased
/// (an address put into canonical form).
fn hostname(keyword: &str, value: &[u8]) -> Result<Vec<u8>, Error> {
    let Ok(text) = std::str::from_utf8(value) else {
        return Err(unrepresentable(
            keyword,
            value,
            "it is not UTF-8, and ssh's lower-casing and address checks of host names are \
             modelled for text only",
        ));
    };
    let canonical = canonical_host(text);
    if canonical != text {
        return Err(unrepresentable(
            keyword,
            value,
            &format!("ssh reads it as {canonical:?} (it lower-cases names and rewrites addresses)"),
        ));
    }
    Ok(quote_argument(&escape_percent(value)))
}

/// `User`: read as written before 10.0; since 10.0 its `%` tokens and
/// `${VAR}` are expanded, and a user name the expansion changed must pass
/// ssh's check of user names.
fn user(openssh: &Openssh, keyword: &str, value: &[u8]) -> Result<Vec<u8>, Error> {
    if !openssh.expands_user_and_setenv() {
        return Ok(quote_argument(value));
    }
    if has_env_reference(value) {
        return Err(unrepresentable(
            keyword,
            value,
            "OpenSSH 10 expands `${...}` in User and has no escape for `${`",
        ));
    }
    if value.contains(&b'%') && !valid_ruser(value) {
        return Err(unrepresentable(
            keyword,
            value,
            "OpenSSH 10 checks a User its `%` expansion changed, and refuses this one \
             (it holds one of '`\";&<>|(){}, starts with `-`, or ends with `\\`)",
        ));
    }
    Ok(quote_argument(&escape_percent(value)))
}

/// `ssh_valid_ruser()`.
fn valid_ruser(s: &[u8]) -> bool {
    if s.first() == Some(&b'-') {
        return false;
    }
    for (i, &c) in s.iter().enumerate() {
        if c.is_ascii_control() || b"'`\";&<>|(){}".contains(&c) {
            return false;
        }
        let next = s.get(i + 1).copied();
        if c.is_ascii_whitespace() && next == Some(b'-') {
            return false;
        }
        if c == b'\\' && next.is_none() {
            return false;
        }
    }
    true
}

/// The command keywords take the rest of the line as written (after the
/// separator, without trailing whitespace), still checked by
/// `argv_split()`, and expand `%` tokens when ssh runs them.
fn command(keyword: &str, value: &[u8]) -> Result<Vec<u8>, Error> {
    let fail = |why: &str| Err(unrepresentable(keyword, value, why));
    if matches!(value[0], b' ' | b'\t' | b'=') {
        return fail("ssh takes leading whitespace and `=` for the separator");
    }
    if matches!(value[value.len() - 1], b' ' | b'\t' | b'\x0c') {
        return fail("ssh strips trailing whitespace from the line");
    }
    if lex::argv_split(value).is_none() {
        return fail(
            "ssh checks the line's quotes as it splits arguments (`\\` escapes a quote even \
             inside single quotes) and rejects these",
        );
    }
    Ok(escape_percent(value))
}

/// `Include`: since 9.9 `%` tokens and `${VAR}` are expanded first (a `%`
/// is written `[%%]`, which every release globs to the `%` alone); then
/// a relative path is taken against `~/.ssh`, and the result is globbed.
fn include(keyword: &str, value: &[u8]) -> Result<Vec<u8>, Error> {
    if value[0] != b'/' {
        return Err(unrepresentable(
            keyword,
            value,
            "ssh takes an Include path that does not start with `/` against ~/.ssh \
             (or expands its `~`); give an absolute path",
        ));
    }
    // glob(3): `\` makes any character literal. `{` after `$` is escaped
    // too, so that no `${` is left for the environment expansion. A `%` is
    // the class `[%%]`: releases before 9.9 glob it as it is, a class that
    // names `%` twice; later ones expand `%%` to `%` first and glob `[%]`.
    // Either matches the `%` alone, so every release reads the one text.
    let mut pattern = Vec::with_capacity(value.len());
    let mut previous = 0u8;
    for &b in value {
        if b == b'%' {
            pattern.extend_from_slice(b"[%%]");
            previous = b;
            continue;
        }
        if matches!(b, b'*' | b'?' | b'[' | b'\\') || (b == b'{' && previous == b'$') {
            pattern.push(b'\\');
        }
        pattern.push(b);
        previous = b;
    }
    Ok(quote_argument(&pattern))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(keyword: &str, value: &str) -> Result<String, String> {
        render_str(keyword, value).map_err(|e| e.to_string())
    }

    #[test]
    fn quoting_follows_argv_split() {
        for value in [
            &b"plain"[..],
            b"a b",
            b"\ttab",
            b"#hash",
            b"a#b",
            b"=eq",
            b"q\"uote",
            b"s'ingle",
            b"back\\slash\\",
            b"end ",
            b"\xff\xfe",
        ] {
            let text = quote_argument(value);
            assert_eq!(
                lex::argv_split(&text),
                Some(vec![value.to_vec()]),
                "{:?} as {:?}",
                String::from_utf8_lossy(value),
                String::from_utf8_lossy(&text)
            );
        }
    }

    #[test]
    fn keywords() {
        assert_eq!(r("Port", "2222").unwrap(), "2222");
        assert!(r("Port", "02222").is_err());
        assert!(r("Port", "ssh").is_err());
        assert_eq!(r("ControlMaster", "auto").unwrap(), "auto");
        assert!(r("ControlMaster", "maybe").is_err());
        assert_eq!(r("ControlPersist", "10m").unwrap(), "10m");
        assert_eq!(
            r("StrictHostKeyChecking", "accept-new").unwrap(),
            "accept-new"
        );
        assert_eq!(r("IdentitiesOnly", "yes").unwrap(), "yes");
        assert_eq!(r("HostKeyAlias", "web-1").unwrap(), "web-1");
        assert!(r("HostKeyAlias", "Web").is_err());
        assert!(r("HostName", "Web").is_err());
        assert!(r("HostName", "010.1").is_err());
        assert_eq!(r("HostName", "a%b").unwrap(), "a%%b");
        assert_eq!(r("ControlPath", "/s/%C").unwrap(), "/s/%%C");
        assert!(r("ControlPath", "~/s").is_err());
        assert!(r("IdentityFile", "/k/${HOME}").is_err());
        assert_eq!(r("User", "root").unwrap(), "root");
        assert!(r("User", "a%b").unwrap_err().contains("OpenSSH 9.2"));
        assert_eq!(
            r("ProxyCommand", "'/a b/docker' exec -i x %h").unwrap(),
            "'/a b/docker' exec -i x %%h"
        );
        assert!(r("ProxyCommand", "sh -c 'a\\'").is_err());
        assert!(r("ProxyCommand", " x").is_err());
        assert!(r("Bogus", "x").is_err());
        assert!(r("User", "a\u{1b}b").is_err());
    }

    #[test]
    fn include_paths() {
        assert_eq!(r("Include", "/a b/c").unwrap(), "\"/a b/c\"");
        assert_eq!(r("Include", "/a/*").unwrap(), "\"/a/\\\\*\"");
        assert_eq!(r("Include", "/a/${X}").unwrap(), "\"/a/$\\\\{X}\"");
        assert!(r("Include", "rel").is_err());
        // A `%` is a one-character class: before 9.9 the glob reads `[%%]`,
        // since then `%%` is a `%` first and the glob reads `[%]`; both
        // match the `%` and nothing else.
        assert_eq!(r("Include", "/a/%h").unwrap(), "/a/[%%]h");
        let v92 = Openssh::new(9, 2);
        let v100 = Openssh::new(10, 0);
        assert_eq!(render_for(&v92, "Include", b"/a/%").unwrap(), b"/a/[%%]");
        assert_eq!(render_for(&v100, "Include", b"/a/%").unwrap(), b"/a/[%%]");
    }
}
