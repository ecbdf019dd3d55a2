//! What redock's engine tests share: the fixture image they start
//! containers from, a [`Docker`] handle, names that a test run owns, and a
//! [`Cleanup`] guard that removes what a test made however it ends.
//!
//! The integration tests of `docker-exec`, `base-image` and `redock` use it
//! as a dev-dependency; no crate's normal build needs it, and it is never
//! published.
//!
//! ```no_run
//! use docker_exec::CreateSpec;
//! use test_support::{docker, unique, Cleanup, FIXTURE_IMAGE};
//!
//! let docker = docker();
//! let mut cleanup = Cleanup::new();
//! let name = unique("sleeper");
//! cleanup.containers.push(name.clone());
//! let spec = CreateSpec {
//!     image: FIXTURE_IMAGE.into(),
//!     name: Some(name),
//!     command: vec!["sleep".into(), "infinity".into()],
//!     ..CreateSpec::default()
//! };
//! let id = docker.create(&spec).unwrap();
//! // … the test; dropping `cleanup` removes the container, pass or fail.
//! ```

pub mod processes;

use std::sync::atomic::{AtomicUsize, Ordering};

use docker_exec::Docker;

/// The Debian image `cargo xtask fixture` makes with debootstrap (xtask's
/// `fixture::IMAGE`, which a test of xtask holds equal to this). Every test
/// run shares it: never remove it.
pub const FIXTURE_IMAGE: &str = "redock-fixture/debian:bookworm";

/// The engine CLI as redock finds it: `REDOCK_DOCKER`, else `docker` on
/// `PATH`.
pub fn docker() -> Docker {
    Docker::from_env().expect("the docker CLI is installed")
}

/// A container or image name no other test or run uses:
/// `redock-test-<pid>-<n>-<what>`.
pub fn unique(what: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("redock-test-{}-{n}-{what}", std::process::id())
}

/// Removes the containers and images a test made, however the test ends:
/// push each name as soon as it is chosen, before the call that makes it,
/// so that a failed call leaves nothing either.
pub struct Cleanup {
    docker: Docker,
    /// Removed with their volumes, running or not.
    pub containers: Vec<String>,
    /// Removed after the containers, by force.
    pub images: Vec<String>,
}

impl Cleanup {
    pub fn new() -> Cleanup {
        Cleanup {
            docker: docker(),
            containers: Vec::new(),
            images: Vec::new(),
        }
    }
}

impl Default for Cleanup {
    fn default() -> Cleanup {
        Cleanup::new()
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        // Best effort: a failure here must not hide the test's own.
        for container in &self.containers {
            let _ = self.docker.rm(container);
        }
        for image in &self.images {
            let _ = self.docker.rmi(image, true);
        }
    }
}
