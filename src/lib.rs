//! redock turns Docker containers into small, SSH-reachable machines.
//!
//! `redock start web` starts a container from the image `$USER:web` (built
//! from a base image the first time) and makes `ssh web-container` work;
//! `redock commit web` saves the changes back into the image; `redock kill
//! web` throws the container away. This library is what the `redock`
//! program is made of; it drives the `docker` and `ssh` programs as
//! subprocesses.
//!
//! ```no_run
//! use std::time::Duration;
//! use redock::{Container, Context, Home, Image, Ui, UserConfig};
//!
//! # fn main() -> redock::Result<()> {
//! let docker = docker_exec::Docker::from_env()?;
//! let home = Home::from_env()?;
//! let user_config = UserConfig::new(None, false, &home)?;
//! let ctx = Context::new(docker, home, user_config, false, Ui::new(0, false));
//! let web = Container::new(&ctx, Image::coerce("web")?, None, Duration::from_secs(10))?;
//! let running = web.start(None)?;
//! println!("ssh {}", running.alias);
//! web.commit(Some("installed things"), None, false)?;
//! web.kill()?;
//! # Ok(())
//! # }
//! ```
//!
//! The crates it composes stand on their own: `docker-exec` (typed calls to
//! the docker CLI), `sshconfig` (a lossless OpenSSH client-config library),
//! `base-image` (the base image recipe), `bootstrap` (provisioning over
//! SSH) and `state` (the state file). ARCHITECTURE.md maps the original
//! Python API onto these.

pub mod base;
pub mod cli;
pub mod commands;
pub mod container;
pub mod context;
pub mod decision;
pub mod dry;
pub mod error;
pub mod history;
pub mod home;
mod keys;
pub mod lock;
pub mod mux;
pub mod name;
pub mod parallel;
pub mod provision;
mod readiness;
pub mod settings;
pub mod sshfiles;
pub mod status;
mod time;
pub mod ui;

pub use container::{Container, Outcome, Running};
pub use context::Context;
pub use error::{Error, ErrorKind, Result};
pub use home::Home;
pub use name::{slug, ssh_alias, summarize_id, Image};
pub use sshfiles::{Endpoint, Transport, UserConfig};
pub use ui::Ui;
