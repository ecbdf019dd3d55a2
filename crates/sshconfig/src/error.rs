use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// The error type of this crate.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    path: Option<PathBuf>,
    message: String,
    source: Option<io::Error>,
}

/// What went wrong, for callers that react differently to different failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file changed on disk between reading and writing it; nothing was
    /// written. Read it again and redo the edit.
    Conflict,
    /// The operating system refused access to the file or its directory.
    PermissionDenied,
    /// The file has no write permission or lives on a read-only file system.
    ReadOnly,
    /// A configuration file could not be found.
    NotFound,
    /// A `Match exec` command could not be started.
    Exec,
    /// The configuration is one ssh itself rejects outright (such as
    /// `Include` nested deeper than ssh allows).
    Invalid,
    /// Any other input/output failure.
    Io,
    /// ssh offers no way to write the value so that it reads it back (see
    /// [`render`](crate::render)); the message says which step of ssh's
    /// reading is in the way.
    Unrepresentable,
    /// A [`LineId`](crate::LineId) names no line of the configuration: the
    /// line was removed or replaced since the handle was taken, or the
    /// handle comes from another configuration.
    NoSuchLine,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, path: Option<&Path>, message: impl Into<String>) -> Error {
        Error {
            kind,
            path: path.map(Path::to_path_buf),
            message: message.into(),
            source: None,
        }
    }

    /// Wraps an I/O error, classifying permission and read-only failures.
    pub(crate) fn io(path: &Path, message: impl Into<String>, err: io::Error) -> Error {
        let kind = match err.kind() {
            io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
            io::ErrorKind::NotFound => ErrorKind::NotFound,
            // EROFS: io::ErrorKind::ReadOnlyFilesystem is newer than our MSRV.
            _ if err.raw_os_error() == Some(30) => ErrorKind::ReadOnly,
            _ => ErrorKind::Io,
        };
        Error {
            kind,
            path: Some(path.to_path_buf()),
            message: message.into(),
            source: Some(err),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The file the error is about, when there is one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(path) = &self.path {
            write!(f, " {}", path.display())?;
        }
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
