//! The crate's error type.

use std::fmt;

/// Why the base image could not be built.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
}

/// The kinds of [`Error`].
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A docker call failed.
    Docker(docker_exec::Error),
    /// A recipe step failed inside the build container.
    StepFailed {
        /// The step as progress showed it, e.g. `[3/6] installing openssh-server and supervisor`.
        step: String,
        /// The step's exit status.
        status: i32,
        /// The last lines of the step's output.
        tail: String,
    },
    /// No FROM image: not local, not pullable, and no way to make one here.
    NoFromImage {
        /// The image that was wanted.
        from: String,
        /// Why it could not be pulled (the engine's words).
        pull_error: String,
        /// Why debootstrap was not tried, when it was not.
        no_debootstrap: Option<String>,
    },
    /// debootstrap failed.
    Debootstrap {
        /// Exit status (`None` when it could not be run at all).
        status: Option<i32>,
        /// The last lines of its output.
        tail: String,
    },
    /// The package mirror failed: debootstrap, or the recipe's first
    /// fetch from it, did not work.
    Mirror {
        /// The mirror's URL.
        url: String,
        /// What failed: `debootstrap`, or `step [2/7] of the base build`.
        during: String,
        /// Exit status (`None` when nothing could be run).
        status: Option<i32>,
        /// The last lines of the output.
        tail: String,
    },
    /// A mirror URL that is no URL apt could use.
    BadMirror(String),
    /// A package name that is no Debian package name.
    BadPackage(String),
    /// An apt proxy that is empty or holds whitespace (not shown: it may
    /// hold credentials).
    BadAptProxy,
    /// `--rootfs` is neither a directory nor a file.
    BadRootfs(std::path::PathBuf),
    /// Local I/O (temporary directory, reading `--rootfs`).
    Io(String, std::io::Error),
}

impl Error {
    /// What kind of failure this is.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// A hint for the user, when there is an obvious next step.
    pub fn hint(&self) -> Option<&'static str> {
        match &self.kind {
            ErrorKind::NoFromImage { .. } => Some(
                "run `redock base --rootfs DIR|TARBALL` with a Debian or Ubuntu root file system, \
                 or `redock base --from IMAGE` with a local image",
            ),
            ErrorKind::StepFailed { .. } => {
                Some("the recipe needs a Debian or Ubuntu image whose package mirror is reachable")
            }
            ErrorKind::Mirror { .. } => Some(
                "check the mirror's URL: it must serve the image's release (dists/<release>/) \
                 of its distribution's main archive",
            ),
            _ => None,
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error { kind }
    }
}

impl From<docker_exec::Error> for Error {
    fn from(error: docker_exec::Error) -> Error {
        Error {
            kind: ErrorKind::Docker(error),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Docker(error) => error.fmt(f),
            ErrorKind::StepFailed { step, status, tail } => {
                write!(
                    f,
                    "building the base image failed at step {step} (exit status: {status})"
                )?;
                if !tail.trim().is_empty() {
                    write!(f, "\n--- output\n{}", tail.trim_end())?;
                }
                Ok(())
            }
            ErrorKind::NoFromImage {
                from,
                pull_error,
                no_debootstrap,
            } => {
                write!(f, "no image to build the base image from: {from} is not here and cannot be pulled")?;
                if !pull_error.is_empty() {
                    write!(f, "\n{}", pull_error.trim_end())?;
                }
                if let Some(reason) = no_debootstrap {
                    write!(f, "\ndebootstrap was not tried: {reason}")?;
                }
                Ok(())
            }
            ErrorKind::Debootstrap { status, tail } => {
                match status {
                    Some(status) => write!(f, "debootstrap failed (exit status: {status})")?,
                    None => f.write_str("debootstrap could not be run")?,
                }
                if !tail.trim().is_empty() {
                    write!(f, "\n--- output\n{}", tail.trim_end())?;
                }
                Ok(())
            }
            ErrorKind::Mirror {
                url,
                during,
                status,
                tail,
            } => {
                write!(f, "the package mirror {url} failed ({during}")?;
                match status {
                    Some(status) => write!(f, ", exit status: {status})")?,
                    None => f.write_str(", which could not be run)")?,
                }
                if !tail.trim().is_empty() {
                    write!(f, "\n--- output\n{}", tail.trim_end())?;
                }
                Ok(())
            }
            ErrorKind::BadMirror(url) => write!(
                f,
                "invalid mirror URL {url:?}: give an absolute URL such as http://HOST/debian, without spaces"
            ),
            ErrorKind::BadPackage(name) => write!(
                f,
                "invalid package name {name:?}: Debian package names are lower-case letters, digits, '+', '-' and '.'"
            ),
            ErrorKind::BadAptProxy => {
                f.write_str("invalid apt proxy: give a URL such as http://HOST:3142, without spaces")
            }
            ErrorKind::BadRootfs(path) => write!(
                f,
                "--rootfs {} is neither a directory nor a tarball",
                path.display()
            ),
            ErrorKind::Io(what, error) => write!(f, "{what}: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Docker(error) => Some(error),
            ErrorKind::Io(_, error) => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_failure_names_the_step_and_shows_the_tail() {
        let error = Error::from(ErrorKind::StepFailed {
            step: "[2/6] updating the package lists".into(),
            status: 100,
            tail: "E: could not resolve\n".into(),
        });
        assert_eq!(
            error.to_string(),
            "building the base image failed at step [2/6] updating the package lists \
             (exit status: 100)\n--- output\nE: could not resolve"
        );
    }

    #[test]
    fn a_failing_mirror_names_itself() {
        let error = Error::from(ErrorKind::Mirror {
            url: "http://mirror.example/nowhere".into(),
            during: "step [2/7] of the base build".into(),
            status: Some(1),
            tail: "E: The repository 'http://mirror.example/nowhere bookworm Release' does not have a Release file.\n".into(),
        });
        let message = error.to_string();
        assert!(
            message.starts_with(
                "the package mirror http://mirror.example/nowhere failed \
                 (step [2/7] of the base build, exit status: 1)\n--- output\nE: The repository"
            ),
            "{message}"
        );
        assert!(error.hint().unwrap().contains("dists/<release>/"));
    }

    #[test]
    fn no_from_image_has_a_hint() {
        let error = Error::from(ErrorKind::NoFromImage {
            from: "debian:bookworm-slim".into(),
            pull_error: "Error response from daemon: no such host".into(),
            no_debootstrap: Some("not running as root".into()),
        });
        let message = error.to_string();
        assert!(message.starts_with("no image to build the base image from: debian:bookworm-slim"));
        assert!(message.ends_with("debootstrap was not tried: not running as root"));
        assert!(error
            .hint()
            .unwrap()
            .contains("redock base --rootfs DIR|TARBALL"));
    }
}
