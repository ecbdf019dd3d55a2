use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// An error reading or writing the state file.
///
/// Its message is one line that names the file and says what to do; it
/// already contains the text of any underlying I/O error, which
/// [`std::error::Error::source`] returns as well for callers that want to
/// inspect it.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
}

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file exists but is not a state file this crate understands. It
    /// is left untouched.
    Corrupt {
        /// The state file.
        path: PathBuf,
        /// What the JSON parser or the schema check said.
        detail: String,
    },
    /// The file was written by a newer redock whose format this one cannot
    /// read. It is left untouched.
    TooNew {
        /// The state file.
        path: PathBuf,
        /// The version recorded in the file.
        found: u64,
        /// The newest version this crate reads and writes.
        supported: u32,
    },
    /// Reading, writing, locking or renaming failed.
    Io {
        /// The file the operation was on (the state file, its lock file or
        /// its temporary file).
        path: PathBuf,
        /// What was being done, as a verb phrase ("read", "lock", …).
        action: &'static str,
        /// The underlying error.
        source: io::Error,
    },
}

impl Error {
    pub(crate) fn corrupt(path: &Path, detail: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Corrupt {
                path: path.to_path_buf(),
                detail: detail.into(),
            },
        }
    }

    pub(crate) fn too_new(path: &Path, found: u64, supported: u32) -> Error {
        Error {
            kind: ErrorKind::TooNew {
                path: path.to_path_buf(),
                found,
                supported,
            },
        }
    }

    pub(crate) fn io(path: &Path, action: &'static str, source: io::Error) -> Error {
        Error {
            kind: ErrorKind::Io {
                path: path.to_path_buf(),
                action,
                source,
            },
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match &self.kind {
            ErrorKind::Corrupt { path, .. }
            | ErrorKind::TooNew { path, .. }
            | ErrorKind::Io { path, .. } => path,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Corrupt { path, detail } => write!(
                f,
                "state file {} is corrupt: {}; move it away to start afresh \
                 (docker labels will rebuild it)",
                display_path(path),
                detail
            ),
            ErrorKind::TooNew {
                path,
                found,
                supported,
            } => write!(
                f,
                "state file {} has version {}, but this redock reads versions up to {}; \
                 upgrade redock, or move the file away to start afresh",
                display_path(path),
                found,
                supported
            ),
            ErrorKind::Io {
                path,
                action,
                source,
            } => write!(
                f,
                "cannot {} state file {}: {}",
                action,
                display_path(path),
                source
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io { source, .. } => Some(source),
            ErrorKind::Corrupt { .. } | ErrorKind::TooNew { .. } => None,
        }
    }
}

/// Shows a path under the home directory as `~/…`, the way a user thinks
/// of `~/.redock`.
fn display_path(path: &Path) -> String {
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        let home = Path::new(&home);
        if home != Path::new("/") {
            if let Ok(rest) = path.strip_prefix(home) {
                return format!("~/{}", rest.display());
            }
        }
    }
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line() {
        let errors = [
            Error::corrupt(Path::new("/x/state.json"), "expected value at line 1"),
            Error::too_new(Path::new("/x/state.json"), 7, 1),
            Error::io(
                Path::new("/x/state.json"),
                "read",
                io::Error::from(io::ErrorKind::PermissionDenied),
            ),
        ];
        for e in errors {
            let msg = e.to_string();
            assert!(!msg.contains('\n'), "{msg}");
            assert!(msg.starts_with("state file /x/state.json") || msg.starts_with("cannot"));
        }
    }
}
