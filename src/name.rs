//! Names: `repository:tag` images, host names and SSH aliases.
//!
//! A NAME on the command line is `repository:tag`, or just `tag`, meaning
//! `$USER:tag`. Names are checked against Docker's reference grammar before
//! any docker call, so a typo is a clear error rather than an engine message.

use std::fmt;

use crate::error::{Error, ErrorKind, Result};

/// A Docker image named by repository and tag (the original's `Image`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Image {
    pub repository: String,
    pub tag: String,
    /// The image's unique id, when known.
    pub id: Option<String>,
}

impl Image {
    /// An image from its parts; both are validated.
    pub fn new(repository: &str, tag: &str) -> Result<Image> {
        let full = format!("{repository}:{tag}");
        let invalid = |reason: &str| {
            Error::new(ErrorKind::InvalidName { name: full.clone(), reason: reason.to_string() })
                .with_hint("a NAME is `repository:tag` or just `tag` (meaning $USER:tag), e.g. web or alice/tools:dev")
        };
        validate_repository(repository).map_err(|reason| invalid(&reason))?;
        validate_tag(tag).map_err(|reason| invalid(&reason))?;
        if crate::history::is_snapshot_repository(repository) {
            return Err(invalid("redock keeps its snapshots there"));
        }
        Ok(Image {
            repository: repository.to_string(),
            tag: tag.to_string(),
            id: None,
        })
    }

    /// Parses a NAME: `repository:tag`, or `tag` meaning `$USER:tag`.
    ///
    /// The tag is what follows the last `:` after the last `/`, so a registry
    /// with a port (`registry.local:5000/team/app:dev`) is a repository.
    pub fn coerce(value: &str) -> Result<Image> {
        let invalid = |reason: &str| {
            Error::new(ErrorKind::InvalidName { name: value.to_string(), reason: reason.to_string() })
                .with_hint("a NAME is `repository:tag` or just `tag` (meaning $USER:tag), e.g. web or alice/tools:dev")
        };
        if value.is_empty() {
            return Err(invalid("it is empty"));
        }
        let last_slash = value.rfind('/').map_or(0, |i| i + 1);
        match value[last_slash..].rfind(':') {
            Some(colon) => {
                let colon = last_slash + colon;
                Image::new(&value[..colon], &value[colon + 1..])
            }
            None if last_slash > 0 || value.contains(':') => {
                Err(invalid("it has a repository but no tag"))
            }
            None => {
                let user = current_user().map_err(|reason| invalid(&reason))?;
                Image::new(&user, value)
            }
        }
    }

    /// `(repository, tag)`.
    pub fn key(&self) -> (&str, &str) {
        (&self.repository, &self.tag)
    }

    /// `repository:tag`.
    pub fn name(&self) -> String {
        format!("{}:{}", self.repository, self.tag)
    }

    /// The id when known, else `repository:tag`.
    pub fn unique_name(&self) -> String {
        self.id.clone().unwrap_or_else(|| self.name())
    }
}

impl fmt::Display for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.repository, self.tag)
    }
}

/// The login name used for bare tags: `$USER`, else the passwd entry of the
/// current uid (cron and CI often have no `$USER`), lower-cased.
fn current_user() -> std::result::Result<String, String> {
    let name = match std::env::var("USER") {
        Ok(user) if !user.is_empty() => user,
        _ => nix::unistd::User::from_uid(nix::unistd::getuid())
            .ok()
            .flatten()
            .map(|u| u.name)
            .ok_or_else(|| "$USER is unset and the current user has no passwd entry".to_string())?,
    };
    let name = name.to_lowercase();
    validate_path_component(&name).map_err(|_| {
        format!("the user name {name:?} is not a valid repository; give repository:tag")
    })?;
    Ok(name)
}

/// Checks a repository against Docker's reference grammar: an optional
/// domain (with an optional port) followed by lower-case path components.
pub(crate) fn validate_repository(repository: &str) -> std::result::Result<(), String> {
    if repository.is_empty() {
        return Err("the repository is empty".into());
    }
    if repository.len() > 255 {
        return Err("the repository is longer than 255 characters".into());
    }
    let mut parts: Vec<&str> = repository.split('/').collect();
    if parts.len() > 1 {
        let first = parts[0];
        if first.contains('.') || first.contains(':') || first == "localhost" {
            validate_domain(first)?;
            parts.remove(0);
        }
    }
    for part in parts {
        validate_path_component(part)?;
    }
    Ok(())
}

fn validate_domain(domain: &str) -> std::result::Result<(), String> {
    let (host, port) = match domain.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (domain, None),
    };
    if let Some(port) = port {
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("the registry port {port:?} is not a number"));
        }
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if host.is_empty() || !host.split('.').all(label_ok) {
        return Err(format!("{host:?} is not a valid registry host"));
    }
    Ok(())
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn validate_path_component(part: &str) -> std::result::Result<(), String> {
    let bad = || {
        Err(format!(
            "{part:?} is not a valid repository component (lower-case letters and digits, separated by '.', '_', '__' or dashes)"
        ))
    };
    let bytes = part.as_bytes();
    if bytes.is_empty() {
        return bad();
    }
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut i = 0;
    loop {
        let start = i;
        while i < bytes.len() && alnum(bytes[i]) {
            i += 1;
        }
        if i == start {
            return bad();
        }
        if i == bytes.len() {
            return Ok(());
        }
        let sep = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &part[sep..i];
        let ok = separator == "."
            || separator == "_"
            || separator == "__"
            || separator.bytes().all(|b| b == b'-');
        if !ok || i == bytes.len() {
            return bad();
        }
    }
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
pub(crate) fn validate_tag(tag: &str) -> std::result::Result<(), String> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = tag.as_bytes();
    if bytes.is_empty() {
        return Err("the tag is empty".into());
    }
    if bytes.len() > 128 {
        return Err("the tag is longer than 128 characters".into());
    }
    if !word(bytes[0]) {
        return Err(format!(
            "the tag {tag:?} must start with a letter, digit or '_'"
        ));
    }
    if !bytes.iter().all(|&b| word(b) || b == b'.' || b == b'-') {
        return Err(format!(
            "the tag {tag:?} may hold only letters, digits, '_', '.' and '-'"
        ));
    }
    Ok(())
}

/// Checks an RFC 1123 host name.
pub fn validate_hostname(hostname: &str) -> Result<()> {
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if hostname.is_empty() || hostname.len() > 253 || !hostname.split('.').all(label_ok) {
        return Err(Error::new(ErrorKind::InvalidHostname {
            hostname: hostname.to_string(),
        })
        .with_hint("choose another host name with -n/--hostname"));
    }
    Ok(())
}

/// The host name of a container of `image` started without -n: its tag
/// when that is a valid host name, else the tag's slug cut to one label of
/// 63 characters (`web:a_b` gets `a-b`). A tag with no letter or digit
/// (`___`) gives none.
pub fn default_hostname(image: &Image) -> Result<String> {
    let tag = &image.tag;
    if validate_hostname(tag).is_ok() {
        return Ok(tag.clone());
    }
    // A slug is ASCII, so any cut is at a character boundary.
    let mut hostname = slug(tag);
    hostname.truncate(63);
    while hostname.ends_with('-') {
        hostname.pop();
    }
    if hostname.is_empty() {
        return Err(Error::new(ErrorKind::NoHostname { name: image.name() })
            .with_hint("give it one with -n/--hostname"));
    }
    Ok(hostname)
}

/// Lower case, each run of anything but `[a-z0-9]` becomes one `-`, trimmed
/// ("Some Random Text!" becomes "some-random-text").
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The SSH alias of a container with this host name.
pub fn ssh_alias(hostname: &str) -> String {
    format!("{}-container", slug(hostname))
}

/// The first 12 characters of an id, as the docker CLI shows them.
pub fn summarize_id(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    &id[..id.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coerce(value: &str) -> std::result::Result<(String, String), String> {
        Image::coerce(value)
            .map(|i| (i.repository, i.tag))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn repository_and_tag() {
        assert_eq!(coerce("alice:web").unwrap(), ("alice".into(), "web".into()));
        assert_eq!(
            coerce("team/app:1.0").unwrap(),
            ("team/app".into(), "1.0".into())
        );
        assert_eq!(
            coerce("registry.local:5000/team/app:dev").unwrap(),
            ("registry.local:5000/team/app".into(), "dev".into())
        );
        assert_eq!(
            coerce("localhost/app:x").unwrap(),
            ("localhost/app".into(), "x".into())
        );
    }

    #[test]
    fn bare_tag_means_user() {
        let user = current_user().unwrap();
        assert_eq!(coerce("web").unwrap(), (user, "web".into()));
    }

    #[test]
    fn invalid_names() {
        for bad in [
            "",
            "Alice:web",
            "alice:",
            ":web",
            "alice:web:x",
            "registry.local:5000/team/app",
            "team/app",
            "alice:-web",
            "a b:c",
            "alice:we b",
            "alice--:web",
            "alice/:web",
            "reg:xx/app:dev",
        ] {
            assert!(coerce(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn error_is_one_line_with_hint() {
        let err = Image::coerce("Bad Name").unwrap_err();
        assert!(!err.to_string().contains('\n'));
        assert!(err.hint().is_some());
    }

    #[test]
    fn hostnames() {
        for good in ["whatever", "web-1", "a.b.c", "x"] {
            validate_hostname(good).unwrap();
        }
        for bad in ["", "-web", "web-", "we_b", "a..b", &"x".repeat(64)] {
            assert!(validate_hostname(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn default_hostnames() {
        let hostname = |tag: &str| {
            default_hostname(&Image::new("redock", tag).unwrap()).map_err(|e| e.to_string())
        };
        assert_eq!(hostname("web").unwrap(), "web");
        assert_eq!(hostname("Web.Prod").unwrap(), "Web.Prod");
        assert_eq!(hostname("1.0").unwrap(), "1.0");
        assert_eq!(hostname("a_b").unwrap(), "a-b");
        assert_eq!(hostname("_x").unwrap(), "x");
        assert_eq!(hostname("x..y").unwrap(), "x-y");
        assert_eq!(hostname(&"x".repeat(64)).unwrap(), "x".repeat(63));
        // The cut leaves no dash at the end.
        let tag = format!("{}_{}", "a".repeat(62), "b".repeat(60));
        assert_eq!(hostname(&tag).unwrap(), "a".repeat(62));
        for tag in ["___", "_", "_.-"] {
            let err = hostname(tag).unwrap_err();
            assert!(err.contains("no host name"), "{tag}: {err}");
        }
        for tag in ["a_b", &"x".repeat(128), "A__B..c--"] {
            validate_hostname(&hostname(tag).unwrap()).unwrap();
        }
    }

    #[test]
    fn slugs_and_aliases() {
        assert_eq!(slug("Some Random Text!"), "some-random-text");
        assert_eq!(slug("--a__b--"), "a-b");
        assert_eq!(ssh_alias("Web.Example"), "web-example-container");
    }

    #[test]
    fn summarize() {
        assert_eq!(summarize_id("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(summarize_id("abc"), "abc");
    }
}
