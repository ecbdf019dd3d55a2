//! The history of a NAME's image and the snapshots that make a commit
//! undoable.
//!
//! Each `commit` extends a log of commits kept in the image's label
//! `io.redock.history` (when, message, author; the size and layer count of
//! each image it replaced), so that a squashed image, one layer with no
//! history of its own, still tells what was committed when. The log keeps
//! the newest [`KEEP_COMMITS`] commits and says how many older ones it let
//! go.
//!
//! The image a commit replaces is kept as a snapshot: a name in a
//! repository of redock's own, `redock-snapshots/<slug>-<hash of NAME>`,
//! whose tags count up (`:1`, `:2`…), so that no NAME a user can give (see
//! [`is_snapshot_repository`]) is ever one. Snapshots are numbered newest
//! first: 0 is the current image, 1 the one it replaced, and so on; a
//! commit keeps [`DEFAULT_LIMIT`] of them (`REDOCK_SNAPSHOTS`) and removes
//! older ones unless the engine refuses because a container or another
//! image still uses them. `rollback` makes a snapshot current and keeps the
//! image it replaces as the newest snapshot, so that it can be undone.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use docker_exec::{Docker, ImageInfo, StableHash};
use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::time;

/// The image label holding the log of commits.
pub const LABEL: &str = "io.redock.history";

/// The repository namespace of snapshots.
pub const NAMESPACE: &str = "redock-snapshots";

/// How many commits the log keeps, newest first.
pub const KEEP_COMMITS: usize = 50;

/// How many snapshots a commit keeps unless `REDOCK_SNAPSHOTS` says.
pub const DEFAULT_LIMIT: usize = 5;

/// The variable that sets how many snapshots a commit keeps.
pub const LIMIT_VARIABLE: &str = "REDOCK_SNAPSHOTS";

/// The longest message and author kept, in bytes.
const MAX_MESSAGE: usize = 200;
const MAX_AUTHOR: usize = 100;

/// The longest label: older commits go first when it would be longer.
const MAX_LABEL: usize = 16 * 1024;

/// The version of the label's format, its first field.
const FORMAT: &str = "1";

/// One commit in the log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Commit {
    /// Tells commits apart (12 hex digits).
    pub id: String,
    /// RFC 3339, UTC.
    pub time: String,
    pub message: Option<String>,
    pub author: Option<String>,
    /// The size in bytes and the layers of the commit's image, filled in by
    /// the commit that replaces it (the image does not exist before).
    pub size: Option<u64>,
    pub layers: Option<usize>,
}

impl Commit {
    /// A commit made now; `parent` is the id of the commit it follows.
    pub fn new(message: Option<&str>, author: Option<&str>, parent: Option<&str>) -> Commit {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let seed = format!(
            "{nanos}\0{}\0{}\0{}\0{}",
            std::process::id(),
            parent.unwrap_or_default(),
            message.unwrap_or_default(),
            author.unwrap_or_default()
        );
        Commit {
            id: format!("{:016x}", StableHash::of(seed.as_bytes()))[..12].to_string(),
            time: time::now_rfc3339(),
            message: bounded(message, MAX_MESSAGE),
            author: bounded(author, MAX_AUTHOR),
            size: None,
            layers: None,
        }
    }
}

/// The log of commits of an image, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Log {
    pub commits: Vec<Commit>,
    /// How many older commits were let go to keep the label small.
    pub dropped: usize,
}

impl Log {
    /// The log in an image's labels; empty when it has none (an image made
    /// before redock kept one, or not by redock) or one redock cannot read.
    pub fn of(labels: &BTreeMap<String, String>) -> Log {
        labels
            .get(LABEL)
            .and_then(|value| Log::parse(value))
            .unwrap_or_default()
    }

    /// The log after `commit` on top of this one, bounded; `replaced` is
    /// the size and layer count of the image the commit replaces, which
    /// this log's newest commit made.
    pub fn extended(&self, commit: Commit, replaced: Option<(u64, usize)>) -> Log {
        let mut log = self.clone();
        if let (Some(head), Some((size, layers))) = (log.commits.first_mut(), replaced) {
            head.size = Some(size);
            head.layers = Some(layers);
        }
        log.commits.insert(0, commit);
        log.bound();
        log
    }

    /// At most [`KEEP_COMMITS`] commits in at most [`MAX_LABEL`] bytes: the
    /// oldest go first, and are counted.
    fn bound(&mut self) {
        while self.commits.len() > KEEP_COMMITS
            || (self.commits.len() > 1 && self.encode().len() > MAX_LABEL)
        {
            self.commits.pop();
            self.dropped += 1;
        }
    }

    /// The label's value: `1;DROPPED;COMMIT;COMMIT…`, each commit
    /// `id,time,message,author,size,layers` with the text percent-encoded and
    /// what is unknown empty. Nothing in it needs quoting or escaping, as
    /// Docker and Podman read `LABEL` changes differently: Podman keeps the
    /// backslashes of an escaped quote.
    pub fn encode(&self) -> String {
        let mut out = format!("{FORMAT};{}", self.dropped);
        for c in &self.commits {
            let number = |n: Option<String>| n.unwrap_or_default();
            let _ = write!(
                out,
                ";{},{},{},{},{},{}",
                encode_text(&c.id),
                encode_text(&c.time),
                encode_text(c.message.as_deref().unwrap_or_default()),
                encode_text(c.author.as_deref().unwrap_or_default()),
                number(c.size.map(|s| s.to_string())),
                number(c.layers.map(|l| l.to_string())),
            );
        }
        out
    }

    /// Reads [`Log::encode`]'s format; `None` for anything else.
    pub fn parse(value: &str) -> Option<Log> {
        let mut fields = value.split(';');
        if fields.next()? != FORMAT {
            return None;
        }
        let dropped = fields.next()?.parse().ok()?;
        let mut commits = Vec::new();
        for field in fields {
            let parts: Vec<&str> = field.split(',').collect();
            let [id, time, message, author, size, layers] = parts[..] else {
                return None;
            };
            let text = |t: &str| decode_text(t).map(|t| Some(t).filter(|t| !t.is_empty()));
            commits.push(Commit {
                id: decode_text(id)?,
                time: decode_text(time)?,
                message: text(message)?,
                author: text(author)?,
                size: optional_number(size)?,
                layers: optional_number(layers)?,
            });
        }
        Some(Log { commits, dropped })
    }

    /// The `--change` that gives a committed image this log.
    pub fn change(&self) -> String {
        format!("LABEL {LABEL}=\"{}\"", self.encode())
    }
}

/// An empty field as `None`, a number as `Some`; anything else fails.
fn optional_number<T: std::str::FromStr>(field: &str) -> Option<Option<T>> {
    if field.is_empty() {
        Some(None)
    } else {
        field.parse().ok().map(Some)
    }
}

/// `text` cut to at most `max` bytes on a character boundary, `…` marking
/// the cut; empty text is none.
fn bounded(text: Option<&str>, max: usize) -> Option<String> {
    let text = text?.trim();
    if text.is_empty() {
        return None;
    }
    if text.len() <= max {
        return Some(text.to_string());
    }
    let mut end = max - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Some(format!("{}…", &text[..end]))
}

/// Percent-encoding of every byte but ASCII letters, digits and `-._~:`.
fn encode_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn decode_text(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The repository of NAME's snapshots: `redock-snapshots/<slug>-<hash>`,
/// the slug (at most 40 characters of NAME, lower case) for people, the
/// hash of the whole NAME to keep two NAMEs apart. It satisfies Docker's
/// repository grammar, and its tags are numbers, far from the 128
/// characters a tag may have.
pub fn repository(name: &str) -> String {
    let mut slug = String::new();
    for word in name
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(word);
    }
    slug.truncate(40);
    let slug = slug.trim_end_matches('-');
    let hash = format!("{:016x}", StableHash::of(name.as_bytes()));
    if slug.is_empty() {
        format!("{NAMESPACE}/{hash}")
    } else {
        format!("{NAMESPACE}/{slug}-{hash}")
    }
}

/// Whether `repository` is in redock's snapshot namespace (after a
/// registry, if it names one): such a NAME is refused, so that no user's
/// image can be taken for a snapshot or a snapshot for a user's image.
pub fn is_snapshot_repository(repository: &str) -> bool {
    let mut parts = repository.split('/');
    let first = parts.next().unwrap_or_default();
    let path_start = if first.contains(['.', ':']) || first == "localhost" {
        parts.next()
    } else {
        Some(first)
    };
    path_start == Some(NAMESPACE)
}

/// How many snapshots a commit keeps: `REDOCK_SNAPSHOTS`, else
/// [`DEFAULT_LIMIT`].
pub fn limit() -> Result<usize> {
    limit_from(std::env::var(LIMIT_VARIABLE).ok().as_deref())
}

fn limit_from(value: Option<&str>) -> Result<usize> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(DEFAULT_LIMIT),
        Some(value) => value.parse().map_err(|_| {
            Error::other(format!(
                "{LIMIT_VARIABLE}={value} is not a number of snapshots (0 keeps none)"
            ))
        }),
    }
}

/// A snapshot of a NAME: one name of an image in its snapshot repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Its tag: later snapshots have larger ones.
    pub seq: u64,
    /// `redock-snapshots/…:<seq>`.
    pub reference: String,
    /// The image's id, without `sha256:`.
    pub id: String,
}

/// An image id without its algorithm: Podman's `inspect` leaves it out
/// where its `image ls` and Docker put it in.
pub fn bare_id(id: &str) -> &str {
    id.strip_prefix("sha256:").unwrap_or(id)
}

/// NAME's snapshots, newest first, those of `current` (the image NAME
/// names) left out: a snapshot of the current image is what an
/// interrupted commit or rollback left, and the next prune removes it.
pub fn snapshots(docker: &Docker, name: &str, current: Option<&str>) -> Result<Vec<Snapshot>> {
    Ok(all_snapshots(docker, name)?
        .into_iter()
        .filter(|s| Some(s.id.as_str()) != current.map(bare_id))
        .collect())
}

/// Every name in NAME's snapshot repository, newest first.
fn all_snapshots(docker: &Docker, name: &str) -> Result<Vec<Snapshot>> {
    let repository = repository(name);
    let mut snapshots: Vec<Snapshot> = docker
        .image_ls(&repository)?
        .into_iter()
        // Podman lists the other names of the same images too, and says
        // `localhost/` before a repository with no registry.
        .filter(|r| {
            r.repository == repository
                || r.repository
                    .strip_suffix(repository.as_str())
                    .is_some_and(|registry| registry.ends_with('/'))
        })
        .filter_map(|r| {
            let seq = r.tag.parse().ok()?;
            Some(Snapshot {
                seq,
                reference: format!("{repository}:{seq}"),
                id: bare_id(&r.id).to_string(),
            })
        })
        .collect();
    snapshots.sort_by_key(|s| std::cmp::Reverse(s.seq));
    Ok(snapshots)
}

/// Names the image `id` the newest snapshot of NAME. An older snapshot
/// of the same image (an interrupted commit or rollback leaves one) loses
/// its name, so that no image is listed twice.
pub fn keep(docker: &Docker, name: &str, id: &str) -> Result<Snapshot> {
    let existing = all_snapshots(docker, name)?;
    let seq = existing.first().map_or(1, |newest| newest.seq + 1);
    let reference = format!("{}:{seq}", repository(name));
    docker.tag(id, &reference)?;
    for twin in existing.iter().filter(|s| s.id == bare_id(id)) {
        docker.rmi(&twin.reference, false)?;
    }
    Ok(Snapshot {
        seq,
        reference,
        id: bare_id(id).to_string(),
    })
}

/// What [`prune`] did.
#[derive(Debug, Default)]
pub struct Pruned {
    /// How many snapshots went.
    pub removed: usize,
    /// Those the engine would not remove, as a container or another image
    /// uses them.
    pub in_use: Vec<Snapshot>,
}

/// Removes NAME's snapshots beyond the newest `limit`, and those of the
/// `current` image. Removing a snapshot removes its name; the image goes
/// with it unless something else names or uses it. When a container uses
/// it the engine refuses: it stays, and is reported.
pub fn prune(docker: &Docker, name: &str, current: Option<&str>, limit: usize) -> Result<Pruned> {
    let mut pruned = Pruned::default();
    let (stale, numbered): (Vec<Snapshot>, Vec<Snapshot>) = all_snapshots(docker, name)?
        .into_iter()
        .partition(|s| Some(s.id.as_str()) == current.map(bare_id));
    for snapshot in stale {
        docker.rmi(&snapshot.reference, false)?;
    }
    for snapshot in numbered.into_iter().skip(limit) {
        match docker.rmi(&snapshot.reference, false) {
            Ok(_) => pruned.removed += 1,
            Err(e) if e.is_in_use() => pruned.in_use.push(snapshot),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(pruned)
}

/// What [`rollback`] did.
#[derive(Debug)]
pub struct RolledBack {
    /// The snapshot that is now the current image (its name is gone).
    pub restored: Snapshot,
    /// The snapshot the replaced image became, if NAME had an image.
    pub kept: Option<Snapshot>,
    /// Whether a container of NAME was killed first (`--force`).
    pub killed: bool,
}

/// Makes snapshot `number` (1: the newest) NAME's image, keeping the
/// image NAME named as the newest snapshot. Its caller holds the NAME's
/// lock and made sure no container of NAME exists. Each step leaves
/// something the next command understands: the replaced image is kept
/// before NAME moves, and a snapshot that names the current image is
/// ignored and later removed.
pub fn rollback(docker: &Docker, name: &str, number: usize) -> Result<RolledBack> {
    let current = docker.image_inspect(name)?;
    let current_id = current.as_ref().map(|i| i.id.as_str());
    let restored = snapshot_numbered(docker, name, current_id, number)?;
    let kept = match current_id {
        Some(id) => Some(keep(docker, name, id)?),
        None => None,
    };
    docker.tag(&restored.reference, name)?;
    docker.rmi(&restored.reference, false)?;
    Ok(RolledBack {
        restored,
        kept,
        killed: false,
    })
}

/// Snapshot `number` (1: the newest) of NAME, whose image is `current`;
/// an error saying which there are when there is no such snapshot.
fn snapshot_numbered(
    docker: &Docker,
    name: &str,
    current: Option<&str>,
    number: usize,
) -> Result<Snapshot> {
    let snapshots = snapshots(docker, name, current)?;
    match number.checked_sub(1).and_then(|i| snapshots.get(i)) {
        Some(snapshot) => Ok(snapshot.clone()),
        None => {
            let has = match snapshots.len() {
                0 => "it has none".to_string(),
                1 => "it has 1".to_string(),
                n => format!("it has {n}, 1 to {n}"),
            };
            Err(
                Error::other(format!("{name} has no snapshot {number}: {has}"))
                    .with_hint(format!("`redock history {name}` lists them")),
            )
        }
    }
}

/// Checks that NAME has snapshot `number`, with the error [`rollback`]
/// would give, so that `rollback --force` kills nothing before refusing.
pub fn check_snapshot(docker: &Docker, name: &str, number: usize) -> Result<()> {
    let current = docker.image_inspect(name)?;
    snapshot_numbered(
        docker,
        name,
        current.as_ref().map(|i| i.id.as_str()),
        number,
    )
    .map(drop)
}

/// Removes every snapshot of NAME (for `delete`).
pub fn remove_all(docker: &Docker, name: &str) -> Result<Pruned> {
    prune(docker, name, None, 0)
}

/// One line of `redock history`: an image of NAME (the current one or a
/// snapshot) or an older commit whose image is no longer kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// 0: the current image; 1, 2…: the snapshots, newest first; `None`:
    /// a commit whose image is no longer kept.
    pub number: Option<usize>,
    /// The image's id.
    pub image: Option<String>,
    /// The commit's time, RFC 3339 (the image's creation time when it has
    /// no log).
    pub time: Option<String>,
    pub message: Option<String>,
    pub author: Option<String>,
    /// The image's size in bytes.
    pub size: Option<u64>,
    pub layers: Option<usize>,
    /// The commit's id in the log, if it has one.
    pub commit: Option<String>,
}

/// `redock history NAME`: what `--json` prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct History {
    pub name: String,
    pub entries: Vec<Entry>,
    /// Older commits the log let go.
    pub dropped: usize,
    /// How many snapshots a commit keeps.
    pub limit: usize,
}

/// NAME's history: its image and snapshots, numbered, then the older
/// commits of its log. `None` when NAME has neither image nor snapshot.
pub fn history(docker: &Docker, name: &str, limit: usize) -> Result<Option<History>> {
    let current = docker.image_inspect(name)?;
    let snapshots = snapshots(docker, name, current.as_ref().map(|i| i.id.as_str()))?;
    if current.is_none() && snapshots.is_empty() {
        return Ok(None);
    }
    let references: Vec<String> = snapshots.iter().map(|s| s.reference.clone()).collect();
    let infos: BTreeMap<String, ImageInfo> = docker
        .image_inspect_many(&references)?
        .into_iter()
        .map(|i| (bare_id(&i.id).to_string(), i))
        .collect();
    let images = current.iter().map(|i| (0, i)).chain(
        snapshots
            .iter()
            .enumerate()
            .filter_map(|(n, s)| infos.get(&s.id).map(|info| (n + 1, info))),
    );
    let log = current
        .as_ref()
        .map(|i| Log::of(&i.labels))
        .unwrap_or_default();
    Ok(Some(entries(name, images, &log, limit)))
}

/// The entries of the numbered `images`, then the commits of `log` (the
/// current image's) that none of them made.
fn entries<'a>(
    name: &str,
    images: impl Iterator<Item = (usize, &'a ImageInfo)>,
    log: &Log,
    limit: usize,
) -> History {
    let mut entries: Vec<Entry> = images
        .map(|(number, info)| {
            let head = Log::of(&info.labels).commits.into_iter().next();
            let text = |t: &str| Some(t.to_string()).filter(|t| !t.is_empty());
            let (time, message, author, commit) = match head {
                Some(c) => (Some(c.time), c.message, c.author, Some(c.id)),
                // An image redock did not commit, or committed before it
                // kept a log: what the engine knows.
                None => (
                    time::parse_rfc3339(&info.created).map(time::rfc3339),
                    text(&info.comment),
                    text(&info.author),
                    None,
                ),
            };
            Entry {
                number: Some(number),
                image: Some(info.id.clone()),
                time,
                message,
                author,
                size: Some(info.size),
                layers: Some(info.layers),
                commit,
            }
        })
        .collect();
    let older: Vec<Entry> = log
        .commits
        .iter()
        .filter(|c| !entries.iter().any(|e| e.commit.as_deref() == Some(&c.id)))
        .map(|c| Entry {
            number: None,
            image: None,
            time: Some(c.time.clone()),
            message: c.message.clone(),
            author: c.author.clone(),
            size: c.size,
            layers: c.layers,
            commit: Some(c.id.clone()),
        })
        .collect();
    entries.extend(older);
    History {
        name: name.to_string(),
        entries,
        dropped: log.dropped,
        limit,
    }
}

/// The history as an aligned table, the message last, then a line about
/// the commits the log let go.
pub fn table(history: &History) -> String {
    let header = [
        "#",
        "COMMITTED",
        "IMAGE",
        "SIZE",
        "LAYERS",
        "AUTHOR",
        "MESSAGE",
    ];
    let dash = || "-".to_string();
    let cells: Vec<[String; 7]> = history
        .entries
        .iter()
        .map(|e| {
            [
                e.number.map_or_else(dash, |n| n.to_string()),
                e.time.clone().unwrap_or_else(dash),
                e.image
                    .as_deref()
                    .map_or_else(dash, |i| crate::name::summarize_id(i).to_string()),
                e.size.map_or_else(dash, human_size),
                e.layers.map_or_else(dash, |l| l.to_string()),
                e.author.clone().unwrap_or_else(dash),
                e.message
                    .as_deref()
                    .map_or_else(dash, |m| m.split_whitespace().collect::<Vec<_>>().join(" ")),
            ]
        })
        .collect();
    let mut out = crate::ui::table(header, &cells);
    if history.dropped > 0 {
        let _ = writeln!(
            out,
            "and {} older commit{} (the log keeps the newest {KEEP_COMMITS})",
            history.dropped,
            if history.dropped == 1 { "" } else { "s" }
        );
    }
    out
}

/// Bytes the way the engine shows them: powers of 1000, one decimal.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The error for a NAME with neither image nor snapshot.
pub fn no_such_image(name: &str) -> Error {
    Error::new(ErrorKind::NoSuchImage {
        name: name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(id: &str, message: Option<&str>) -> Commit {
        Commit {
            id: id.into(),
            time: "2026-11-28T19:00:00Z".into(),
            message: message.map(String::from),
            ..Commit::default()
        }
    }

    #[test]
    fn the_label_round_trips() {
        let log = Log {
            commits: vec![
                Commit {
                    id: "0123456789ab".into(),
                    time: "2026-11-28T19:00:01Z".into(),
                    message: Some(
                        "quote \" back \\ dollar $HOME, semi; 100% é 💥\nnext line".into(),
                    ),
                    author: Some("Alice <alice@example.org>".into()),
                    size: None,
                    layers: None,
                },
                Commit {
                    size: Some(198900354),
                    layers: Some(3),
                    ..commit("ba9876543210", None)
                },
            ],
            dropped: 7,
        };
        let value = log.encode();
        // Nothing Docker or Podman would read as quoting or escaping.
        assert!(value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:%;,".contains(&b)));
        assert!(value.starts_with("1;7;0123456789ab,2026-11-28T19:00:01Z,quote%20%22%20back"));
        assert!(value.ends_with(";ba9876543210,2026-11-28T19:00:00Z,,,198900354,3"));
        assert_eq!(Log::parse(&value), Some(log.clone()));
        let labels = BTreeMap::from([(LABEL.to_string(), value)]);
        assert_eq!(Log::of(&labels), log);
        assert_eq!(
            log.change(),
            format!("LABEL io.redock.history=\"{}\"", log.encode())
        );
    }

    #[test]
    fn a_label_redock_cannot_read_is_no_log() {
        for bad in [
            "",
            "2;0",
            "1",
            "1;x",
            "1;0;a,b,c",
            "1;0;a,b,c,d,e,f,g",
            "1;0;a,t,,,big,",
            "1;0;a,t,%zz,,,",
            "1;0;a,t,%ff,,,",
        ] {
            assert_eq!(Log::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Log::parse("1;0"), Some(Log::default()));
        assert_eq!(Log::of(&BTreeMap::new()), Log::default());
    }

    #[test]
    fn the_log_is_bounded() {
        let mut log = Log::default();
        for n in 0..KEEP_COMMITS + 12 {
            log = log.extended(
                commit(&format!("{n:012}"), Some("work")),
                Some((1000 + n as u64, 1)),
            );
        }
        assert_eq!(log.commits.len(), KEEP_COMMITS);
        assert_eq!(log.dropped, 12);
        assert_eq!(log.commits[0].id, format!("{:012}", KEEP_COMMITS + 11));
        // The image each commit replaced gave the commit before it its size.
        assert_eq!(log.commits[0].size, None);
        assert_eq!(log.commits[1].size, Some(1000 + KEEP_COMMITS as u64 + 11));
        assert_eq!(log.commits[1].layers, Some(1));
        assert_eq!(Log::parse(&log.encode()), Some(log.clone()));

        // Long messages and authors are cut, and the label stays small
        // however long they are.
        let long = "é".repeat(1000);
        let mut log = Log::default();
        for _ in 0..KEEP_COMMITS {
            log = log.extended(Commit::new(Some(&long), Some(&long), None), None);
        }
        let message = log.commits[0].message.as_deref().unwrap();
        assert!(message.len() <= MAX_MESSAGE && message.ends_with('…'));
        assert!(log.commits[0].author.as_deref().unwrap().len() <= MAX_AUTHOR);
        assert!(log.encode().len() <= MAX_LABEL, "{}", log.encode().len());
        assert!(log.dropped > 0);
        assert_eq!(log.dropped + log.commits.len(), KEEP_COMMITS);
        assert_eq!(Log::parse(&log.encode()), Some(log));
    }

    #[test]
    fn commits_are_told_apart() {
        let a = Commit::new(Some("same"), None, None);
        let b = Commit::new(Some("same"), None, None);
        assert_eq!(a.id.len(), 12);
        assert!(a.id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a.id, b.id);
        assert_eq!(Commit::new(Some("  "), Some(""), None).message, None);
        assert!(time::parse_rfc3339(&a.time).is_some());
    }

    #[test]
    fn snapshot_repositories() {
        assert_eq!(
            repository("alice:web"),
            format!(
                "redock-snapshots/alice-web-{:016x}",
                StableHash::of(b"alice:web")
            )
        );
        // The hash is FNV-1a's, the same on every machine and run.
        assert_eq!(StableHash::of(b""), 0xcbf29ce484222325);
        assert_eq!(StableHash::of(b"a"), 0xaf63dc4c8601ec8c);
        // NAMEs that read alike get different repositories.
        assert_ne!(repository("a/b:c"), repository("a-b:c"));
        assert_ne!(repository("alice:Web"), repository("alice:web"));
        let long = format!(
            "registry.example:5000/{}/app:{}",
            "x".repeat(200),
            "T".repeat(128)
        );
        for name in [
            "alice:web",
            "registry.example:5000/team/app:v1.2_rc-3",
            "a__b.c:_",
            "x:__",
            long.as_str(),
        ] {
            let repository = repository(name);
            assert!(repository.len() <= 17 + 40 + 1 + 16, "{repository}");
            crate::name::validate_repository(&repository).unwrap();
            assert!(is_snapshot_repository(&repository));
            // Tags are sequence numbers.
            crate::name::validate_tag(&u64::MAX.to_string()).unwrap();
            crate::name::Image::new(&repository, "1").unwrap_err();
        }
        assert_eq!(
            repository("_:_"),
            format!("redock-snapshots/{:016x}", StableHash::of(b"_:_"))
        );
    }

    #[test]
    fn the_snapshot_namespace_is_redocks() {
        for reserved in [
            "redock-snapshots",
            "redock-snapshots/x",
            "docker.io/redock-snapshots/x",
            "localhost/redock-snapshots/x",
            "localhost:5000/redock-snapshots/x",
        ] {
            assert!(is_snapshot_repository(reserved), "{reserved}");
        }
        for free in [
            "redock",
            "alice/redock-snapshots",
            "redock-snapshots2/x",
            "x/y",
        ] {
            assert!(!is_snapshot_repository(free), "{free}");
        }
        let error = crate::name::Image::coerce("redock-snapshots/x:1").unwrap_err();
        assert!(error.to_string().contains("snapshots"), "{error}");
    }

    #[test]
    fn the_limit_from_the_environment() {
        assert_eq!(limit_from(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(limit_from(Some("")).unwrap(), DEFAULT_LIMIT);
        assert_eq!(limit_from(Some("0")).unwrap(), 0);
        assert_eq!(limit_from(Some(" 2 ")).unwrap(), 2);
        for bad in ["-1", "two", "1.5"] {
            let error = limit_from(Some(bad)).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("REDOCK_SNAPSHOTS={bad} is not a number of snapshots (0 keeps none)")
            );
        }
    }

    fn image(id: &str, log: &Log, size: u64, layers: usize) -> ImageInfo {
        ImageInfo {
            id: id.into(),
            labels: BTreeMap::from([(LABEL.to_string(), log.encode())]),
            size,
            layers,
            ..ImageInfo::default()
        }
    }

    /// After commits `first`, `second`, `third` and a rollback to
    /// `second`: 0 is `second`, 1 `third` (what the rollback replaced), 2
    /// `first`; nothing is listed twice.
    #[test]
    fn entries_number_the_images_then_the_older_commits() {
        let first = Log::default().extended(commit("c1", Some("first")), None);
        let second = first.extended(commit("c2", Some("second")), Some((100, 1)));
        let third = second.extended(commit("c3", Some("third")), Some((200, 2)));
        let older = Log {
            commits: vec![commit("c0", Some("before"))],
            dropped: 0,
        };
        let second = Log {
            commits: [second.commits.clone(), older.commits.clone()].concat(),
            dropped: 4,
        };
        let images = [
            image("sha256:2", &second, 200, 2),
            image("sha256:3", &third, 300, 3),
            image("sha256:1", &first, 100, 1),
        ];
        let history = entries("alice:web", images.iter().enumerate(), &second, 5);
        let rows: Vec<(Option<usize>, Option<&str>, Option<u64>)> = history
            .entries
            .iter()
            .map(|e| (e.number, e.message.as_deref(), e.size))
            .collect();
        assert_eq!(
            rows,
            [
                (Some(0), Some("second"), Some(200)),
                (Some(1), Some("third"), Some(300)),
                (Some(2), Some("first"), Some(100)),
                (None, Some("before"), None),
            ]
        );
        assert_eq!(history.dropped, 4);
        assert_eq!(
            table(&history),
            "#  COMMITTED             IMAGE  SIZE   LAYERS  AUTHOR  MESSAGE\n\
             0  2026-11-28T19:00:00Z  2      200 B  2       -       second\n\
             1  2026-11-28T19:00:00Z  3      300 B  3       -       third\n\
             2  2026-11-28T19:00:00Z  1      100 B  1       -       first\n\
             -  2026-11-28T19:00:00Z  -      -      -       -       before\n\
             and 4 older commits (the log keeps the newest 50)\n"
        );
    }

    /// An image with no log: what the engine knows of it.
    #[test]
    fn an_image_without_a_log() {
        let info = ImageInfo {
            id: "sha256:0123456789abcdef".into(),
            created: "2026-11-28T19:00:00.123456789Z".into(),
            comment: "made by hand".into(),
            author: "bob".into(),
            size: 2_500_000,
            layers: 4,
            ..ImageInfo::default()
        };
        let history = entries("alice:web", [(0, &info)].into_iter(), &Log::default(), 5);
        assert_eq!(
            history.entries,
            [Entry {
                number: Some(0),
                image: Some("sha256:0123456789abcdef".into()),
                time: Some("2026-11-28T19:00:00Z".into()),
                message: Some("made by hand".into()),
                author: Some("bob".into()),
                size: Some(2_500_000),
                layers: Some(4),
                commit: None,
            }]
        );
        assert!(
            table(&history).contains("  2.5 MB  4  "),
            "{}",
            table(&history)
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1000), "1.0 kB");
        assert_eq!(human_size(198_900_354), "198.9 MB");
        assert_eq!(human_size(3_000_000_000), "3.0 GB");
    }

    #[test]
    fn ids_without_their_algorithm() {
        assert_eq!(bare_id("sha256:abc"), "abc");
        assert_eq!(bare_id("abc"), "abc");
    }
}
