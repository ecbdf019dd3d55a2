//! Lossless editing and `ssh -G` compatible resolution of OpenSSH client
//! configuration files (`~/.ssh/config`), and writing values so that ssh
//! reads them back unchanged.
//!
//! Tools that write into a user's ssh configuration must not damage it,
//! must write what they mean, and must know what ssh will make of it. This
//! crate does all three:
//!
//! - [`Config`] keeps every byte of a file (comments, indentation, `=`
//!   separators, quoting, CRLF line ends, a missing final newline, even
//!   invalid UTF-8), so printing a parsed file gives back the same bytes.
//!   Its edits (add, replace or remove a `Host` block, insert an `Include`
//!   before the first `Host`/`Match` or before the first option, move a line
//!   there, find an existing `Include`) touch only the lines they are about,
//!   and undoing them restores the original. Lines are addressed by
//!   [`LineId`] handles that survive edits or are refused, never by position.
//! - [`render`] gives the text for a keyword's argument that ssh reads back
//!   as exactly a value (quoted, `%%`, glob characters escaped), or says why
//!   ssh offers no way to write it.
//! - [`Resolver`] computes the options that apply to a host the way a given
//!   OpenSSH release does ([`Openssh`]: `Host` and `Match` blocks, `Include`,
//!   first value wins, multi-valued options accumulate, and every value ssh
//!   derives from others) and prints them as `ssh -G` does. It is tested
//!   against the real `ssh -G` of OpenSSH 9.2 and 10.0.
//! - [`update_file`] writes a file safely: under a lock, through a synced
//!   temporary file and a rename, keeping mode, owner and symbolic links,
//!   with a one-time backup, and refusing to overwrite changes made by
//!   someone else in the meantime.
//!
//! The crate is for Unix (it reads the password database, locks with
//! `flock`, keeps owners and modes) and OpenSSH 9.x and 10.x. It never runs
//! ssh (a `Match exec` command aside): the release to follow is a setting.
//!
//! # Rendering
//!
//! ```
//! use sshconfig::{render_str, Config};
//!
//! let mut config = Config::parse(b"Host *\n  User me\n");
//! let path = render_str("Include", "/home/a b/.redock/ssh_config").unwrap();
//! config.insert_before_first_directive(format!("Include {path}"));
//! assert_eq!(
//!     config.to_bytes(),
//!     b"Include \"/home/a b/.redock/ssh_config\"\nHost *\n  User me\n"
//! );
//! let err = render_str("ControlPath", "/run/${USER}/ssh").unwrap_err();
//! assert_eq!(err.kind(), sshconfig::ErrorKind::Unrepresentable);
//! ```
//!
//! # Editing
//!
//! ```
//! use sshconfig::Config;
//!
//! let original = b"Host *\n\tUser=me\n";
//! let mut config = Config::parse(original);
//! config.set_host_block("web", &[("HostName", "127.0.0.1"), ("Port", "2222")]);
//! assert_eq!(
//!     config.to_bytes(),
//!     b"Host *\n\tUser=me\n\nHost web\n  HostName 127.0.0.1\n  Port 2222\n"
//! );
//! assert_eq!(config.host_block("web").unwrap().get("port"), Some("2222"));
//! config.remove_host_block("web");
//! assert_eq!(config.to_bytes(), original);
//! ```
//!
//! # Resolving
//!
//! ```
//! use sshconfig::Resolver;
//!
//! let text = b"Host web*\n  HostName %h.example.com\n  Port=2222\n\
//!              Host *\n  Port 22\n  IdentityFile ~/.ssh/id_ed25519\n";
//! let resolved = Resolver::new().resolve_bytes("web1", text).unwrap();
//! assert_eq!(
//!     resolved.to_string(),
//!     "hostname web1.example.com\nport 2222\nidentityfile ~/.ssh/id_ed25519\n"
//! );
//! ```
//!
//! # Updating a file
//!
//! ```
//! # fn main() -> Result<(), sshconfig::Error> {
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("config");
//! use sshconfig::{update_file, ErrorKind};
//!
//! let line = "Include ~/.redock/ssh_config";
//! match update_file(&path, Some(&path.with_extension("redock-backup")), |config| {
//!     if config.find_include("~/.redock/ssh_config".as_ref()).is_some() {
//!         return false;
//!     }
//!     config.insert_before_first_host_or_match(line);
//!     true
//! }) {
//!     Ok(update) => assert!(update.written),
//!     Err(e) if matches!(e.kind(), ErrorKind::ReadOnly | ErrorKind::PermissionDenied) => {
//!         println!("add this line to {} yourself: {line}", path.display());
//!     }
//!     Err(e) => return Err(e),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Nothing in this crate panics on any input.

mod config;
mod error;
mod lex;
mod pattern;
mod render;
mod resolve;
mod sha1;
mod update;
mod version;

pub use config::{include_path, quote, Config, HostBlock, HostOption, LineId};
pub use error::{Error, ErrorKind};
pub use render::{quote_argument, render, render_for, render_str};
pub use resolve::{supported_options, Resolved, Resolver};
pub use update::{update_file, ConfigFile, Update};
pub use version::Openssh;

// The README's examples are tested too.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
