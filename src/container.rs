//! A redock container: an image NAME, the Docker container started from it
//! and the SSH access to it (the original's `Container`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use docker_exec::{ContainerInfo, CreateSpec, Docker, ImageInfo, PsEntry};
use state::ContainerRecord;

use crate::context::Context;
use crate::error::{Error, ErrorKind, Result};
use crate::name::{self, Image};
use crate::readiness::{self, HOST_KEY};
use crate::sshfiles::{self, Endpoint, IncludeOutcome, Transport};
use crate::time::now_rfc3339;

/// The labels redock puts on its containers: `status` and recovery find
/// containers by them even when the state file is lost.
pub mod labels {
    pub const NAME: &str = "io.redock.name";
    pub const HOSTNAME: &str = "io.redock.hostname";
    pub const ALIAS: &str = "io.redock.alias";
    pub const TRANSPORT: &str = "io.redock.transport";
    pub const HOME: &str = "io.redock.home";
}

/// The base image containers start from when their NAME has no image yet.
pub const BASE_IMAGE: &str = base_image::DEFAULT_TARGET;

/// One NAME and what redock knows of it.
pub struct Container<'a> {
    ctx: &'a Context,
    image: Image,
    hostname: String,
    timeout: Duration,
}

/// A container that answers over SSH.
#[derive(Clone, Debug)]
pub struct Running {
    pub id: String,
    pub alias: String,
    pub endpoint: Endpoint,
    /// Whether an already running container was reused.
    pub reused: bool,
    /// What happened to the user's ssh config, for the caller to report.
    pub include: IncludeOutcome,
}

impl<'a> Container<'a> {
    /// A container for `image`, with `hostname` and a timeout for sshd to
    /// answer. Without a host name (the commands that find a container by
    /// NAME) nothing is validated: the container's labels say which it has,
    /// and the tag's default serves only where they are lost.
    pub fn new(
        ctx: &'a Context,
        image: Image,
        hostname: Option<&str>,
        timeout: Duration,
    ) -> Result<Container<'a>> {
        let hostname = match hostname {
            Some(hostname) => {
                name::validate_hostname(hostname)?;
                hostname.to_string()
            }
            None => name::default_hostname(&image).unwrap_or_else(|_| image.tag.clone()),
        };
        Ok(Container {
            ctx,
            image,
            hostname,
            timeout,
        })
    }

    pub fn image(&self) -> &Image {
        &self.image
    }

    /// The alias `ssh` reaches the container by.
    pub fn ssh_alias(&self) -> String {
        name::ssh_alias(&self.hostname)
    }

    /// The ssh_config file holding the container's Host block.
    pub fn ssh_config_file(&self) -> PathBuf {
        self.ctx.home.ssh_config()
    }

    /// The docker name of the container: readable, and unique per alias and
    /// home, so that the engine itself refuses a second container for one
    /// alias even when two runs race.
    fn docker_name(&self) -> String {
        let alias = self.ssh_alias();
        if self.ctx.home.is_default() {
            format!("redock-{alias}")
        } else {
            format!("redock-{alias}-{}", self.ctx.home.discriminator())
        }
    }

    /// This NAME's containers in this home, in any state.
    fn find_containers(&self) -> Result<Vec<PsEntry>> {
        self.ctx
            .ps(&[format!("{}={}", labels::NAME, self.image.name())])
    }

    /// The running container of this NAME, if there is one.
    pub fn find_running_container(&self) -> Result<Option<ContainerInfo>> {
        let ids: Vec<String> = self
            .find_containers()?
            .into_iter()
            .filter(|c| c.state == "running")
            .map(|c| c.id)
            .collect();
        if ids.is_empty() {
            return Ok(None);
        }
        Ok(self
            .ctx
            .docker
            .inspect_containers(&ids)?
            .into_iter()
            .find(|c| c.running))
    }

    /// Whether a container of this NAME is running.
    pub fn is_active(&self) -> Result<bool> {
        Ok(self.find_running_container()?.is_some())
    }

    /// The running container, or `NoContainerRunning`.
    pub fn check_active(&self) -> Result<ContainerInfo> {
        self.find_running_container()?.ok_or_else(|| {
            Error::new(ErrorKind::NoContainerRunning {
                name: self.image.name(),
            })
            .with_hint(format!(
                "start it with `redock start {}`",
                self.image.name()
            ))
        })
    }

    /// The image of this NAME, if it exists.
    pub fn find_named_image(&self) -> Result<Option<ImageInfo>> {
        Ok(self.ctx.docker.image_inspect(&self.image.name())?)
    }

    /// The ssh command line that reaches the running container.
    pub fn get_ssh_client_command(&self) -> Result<Vec<std::ffi::OsString>> {
        Ok(self.ctx.ssh_command(&self.running_alias()?))
    }

    /// The alias a container carries in its label; this NAME's own when
    /// the label is missing.
    fn alias_of(&self, info: &ContainerInfo) -> String {
        info.labels
            .get(labels::ALIAS)
            .cloned()
            .unwrap_or_else(|| self.ssh_alias())
    }

    /// Starts the container, or reuses the one already running, and makes it
    /// reachable as `ssh <alias>`.
    pub fn start(&self, transport: Option<Transport>) -> Result<Running> {
        let ctx = self.ctx;
        // Made without -n from a tag that gives no host name (see `new`).
        name::validate_hostname(&self.hostname)?;
        // One listing of this home's containers serves both the reuse and
        // the alias checks. It is the first docker call and comes before
        // any file is written, so an unreachable engine changes nothing.
        let (existing, others): (Vec<PsEntry>, Vec<PsEntry>) = ctx
            .containers()?
            .into_iter()
            .partition(|c| c.labels.get(labels::NAME) == Some(&self.image.name()));
        // An unusable state file stops the start before anything is made.
        ctx.state.load()?;
        // The key pair (and REDOCK_HOME) before any container is touched.
        let public_key = ctx.home.public_key()?;
        // A container that is not running is what an interrupted run or a
        // crash left: it is replaced.
        for stale in existing.iter().filter(|c| c.state != "running") {
            ctx.ui.info(format!(
                "removing the stopped container {} of {}",
                name::summarize_id(&stale.id),
                self.image
            ));
            ctx.docker.rm(&stale.id)?;
        }
        if let Some(running) = existing.iter().find(|c| c.state == "running") {
            let info = ctx
                .docker
                .inspect_container(&running.id)?
                .ok_or_else(|| Error::other(format!("the container {} vanished", running.id)))?;
            return self.reuse(info);
        }

        let alias = self.ssh_alias();
        check_alias_free(&alias, &others)?;
        let transport = match transport {
            Some(t) => t,
            None if ctx.docker.engine_is_remote()? => Transport::Exec,
            None => Transport::Tcp,
        };
        let image = self.image_to_start()?;

        let mut spec = CreateSpec {
            image,
            name: Some(self.docker_name()),
            hostname: Some(self.hostname.clone()),
            publish_ssh_on_loopback: transport == Transport::Tcp,
            ..CreateSpec::default()
        };
        spec.labels = BTreeMap::from([
            (labels::NAME.to_string(), self.image.name()),
            (labels::HOSTNAME.to_string(), self.hostname.clone()),
            (labels::ALIAS.to_string(), alias.clone()),
            (
                labels::TRANSPORT.to_string(),
                transport.as_str().to_string(),
            ),
            (
                labels::HOME.to_string(),
                ctx.home.dir().display().to_string(),
            ),
        ]);
        let id = match ctx.docker.create(&spec) {
            Ok(id) => id,
            Err(err) => {
                self.take_over_name(err, &alias)?;
                ctx.docker.create(&spec)?
            }
        };
        let mut guard = Guard {
            ctx,
            id: id.clone(),
            alias: alias.clone(),
            armed: true,
        };

        copy_public_key(&ctx.docker, &id, &public_key)?;
        ctx.docker.start(&id)?;
        let endpoint = self.ssh_endpoint(&id, transport)?;
        let host_key = self.read_host_key(&id)?;
        let include = self.setup_ssh_access(&id, &alias, &endpoint, &host_key, transport)?;
        guard.armed = false;
        Ok(Running {
            id,
            alias,
            endpoint,
            reused: false,
            include,
        })
    }

    /// Reuses a running container, repairing its SSH access: an interrupted
    /// run may have left it without a Host block or pinned key.
    fn reuse(&self, info: ContainerInfo) -> Result<Running> {
        let alias = self.alias_of(&info);
        let transport = info
            .labels
            .get(labels::TRANSPORT)
            .and_then(|t| Transport::parse(t))
            .unwrap_or(Transport::Tcp);
        let endpoint = self.endpoint_of(&info, transport)?;
        let host_key = self.read_host_key(&info.id)?;
        let include = self.setup_ssh_access(&info.id, &alias, &endpoint, &host_key, transport)?;
        Ok(Running {
            id: info.id,
            alias,
            endpoint,
            reused: true,
            include,
        })
    }

    /// A name conflict at `docker create` is the race-proof form of the
    /// alias check. The holder of the name may also be this NAME's own
    /// container, created by the `docker create` of an interrupted run after
    /// this run looked: that one is removed so the create can be retried.
    fn take_over_name(&self, err: docker_exec::Error, alias: &str) -> Result<()> {
        if err.kind() != &docker_exec::ErrorKind::NameInUse {
            return Err(err.into());
        }
        match self
            .ctx
            .ps(&[format!("{}={}", labels::ALIAS, alias)])?
            .first()
        {
            Some(other) if other.labels.get(labels::NAME) == Some(&self.image.name()) => {
                self.ctx.docker.rm(&other.id)?;
                Ok(())
            }
            Some(other) => {
                let other_name = other.labels.get(labels::NAME).cloned().unwrap_or_default();
                Err(alias_collision(alias, &other_name))
            }
            None => Err(err.into()),
        }
    }

    /// The image NAME when it exists, else the base image (built first when
    /// needed, with the remembered mirror and packages).
    fn image_to_start(&self) -> Result<String> {
        if self.find_named_image()?.is_some() {
            return Ok(self.image.name());
        }
        let options = base_image::BuildOptions::default();
        let options = crate::base::options(&self.ctx.home, options, &Default::default())?;
        crate::base::ensure(self.ctx, &options)?;
        Ok(options.target)
    }

    /// Waits until sshd in the container answers and returns where it
    /// listens (the original's `ssh_endpoint`).
    pub fn ssh_endpoint(&self, id: &str, transport: Transport) -> Result<Endpoint> {
        let deadline = Instant::now() + self.timeout;
        let docker = &self.ctx.docker;
        match transport {
            Transport::Tcp => {
                let info = docker
                    .inspect_container(id)?
                    .ok_or_else(|| self.timeout_error(id))?;
                // A container that died at once has no port binding left.
                if !info.running {
                    return Err(self.timeout_error(id));
                }
                let addr = loopback_ssh_port(&info)?;
                let endpoint = self.endpoint_of(&info, transport)?;
                match readiness::wait_for_banner(docker, id, addr, deadline)? {
                    true => Ok(endpoint),
                    false => Err(self.timeout_error(id)),
                }
            }
            Transport::Exec => match readiness::wait_for_host_key(docker, id, deadline)? {
                true => Ok(self.exec_endpoint(id)),
                false => Err(self.timeout_error(id)),
            },
        }
    }

    fn endpoint_of(&self, info: &ContainerInfo, transport: Transport) -> Result<Endpoint> {
        match transport {
            Transport::Tcp => {
                let addr = loopback_ssh_port(info)?;
                Ok(Endpoint::Tcp {
                    host: addr.ip().to_string(),
                    port: addr.port(),
                })
            }
            Transport::Exec => Ok(self.exec_endpoint(&info.id)),
        }
    }

    fn exec_endpoint(&self, id: &str) -> Endpoint {
        Endpoint::Exec {
            proxy_command: self.ctx.docker.exec_proxy_command(id),
        }
    }

    fn timeout_error(&self, id: &str) -> Error {
        let logs = self.ctx.docker.logs_tail(id, 20).unwrap_or_default();
        Error::new(ErrorKind::SecureShellTimeout {
            name: self.image.name(),
            seconds: self.timeout.as_secs_f64(),
            logs,
        })
        .with_hint(
            "does the image run sshd? `redock logs NAME` shows its output; --timeout waits longer",
        )
    }

    /// Reads the container's host key through docker, the trusted channel.
    fn read_host_key(&self, id: &str) -> Result<String> {
        let out = self.ctx.docker.exec(id, &["cat", HOST_KEY], None)?;
        if out.status != 0 {
            return Err(Error::other(format!(
                "cannot read the host key {HOST_KEY} of the container {}: {}",
                name::summarize_id(id),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Pins the host key, writes the Host block, records the container and
    /// makes sure the user's config includes redock's (the original's
    /// `setup_ssh_access`); returns what happened to the user's config.
    fn setup_ssh_access(
        &self,
        id: &str,
        alias: &str,
        endpoint: &Endpoint,
        host_key: &str,
        transport: Transport,
    ) -> Result<IncludeOutcome> {
        let ctx = self.ctx;
        sshfiles::pin_host_key(&ctx.home, alias, endpoint, host_key)?;
        sshfiles::write_host_block(&ctx.home, alias, endpoint)?;
        let record = ContainerRecord {
            name: self.image.name(),
            container_id: id.to_string(),
            image: self.image.name(),
            hostname: self.hostname.clone(),
            alias: alias.to_string(),
            transport: transport.as_str().to_string(),
            endpoint: match endpoint {
                Endpoint::Tcp { .. } => Some(endpoint.display()),
                Endpoint::Exec { .. } => None,
            },
            created_at: now_rfc3339(),
        };
        ctx.state.update(|state| {
            state.containers.insert(record.name.clone(), record);
        })?;
        ctx.user_config.ensure_include(&ctx.home, ctx.dry_run)
    }

    /// Removes the Host block, the pinned key and the record of `alias`
    /// (the original's `revoke_ssh_access`).
    fn revoke_ssh_access(&self, alias: &str) -> Result<()> {
        sshfiles::remove_host_block(&self.ctx.home, alias)?;
        sshfiles::unpin_host_key(&self.ctx.home, alias)
    }

    /// Commits the running container to `repository:tag`; it keeps running.
    /// With `squash` the image is one layer holding the container's whole
    /// file system and its image's configuration (CMD, ENV, labels…), so
    /// that the start-work-commit loop never reaches the layer limit.
    pub fn commit(
        &self,
        message: Option<&str>,
        author: Option<&str>,
        squash: bool,
    ) -> Result<String> {
        let info = self.check_active()?;
        let previous = self.find_named_image()?.map(|image| image.id);
        let ours = [
            labels::NAME,
            labels::HOSTNAME,
            labels::ALIAS,
            labels::TRANSPORT,
            labels::HOME,
        ];
        let id = if squash {
            let image = self
                .ctx
                .docker
                .image_inspect(&info.image_id)?
                .ok_or_else(|| {
                    Error::other(format!(
                        "the image of the container of {} is gone",
                        self.image
                    ))
                })?;
            let changes = docker_exec::args::config_changes(&image, |key| !ours.contains(&key));
            if message.is_some() || author.is_some() {
                self.ctx
                    .ui
                    .warn("a squashed image keeps no commit message or author");
            }
            self.ctx
                .docker
                .flatten(&info.id, &self.image.name(), &changes)?
        } else {
            // The container's labels would otherwise become the image's, and
            // every container made from it, even by plain docker, would pass
            // for one of redock's.
            let changes = [format!("LABEL {}", ours.map(|l| format!("{l}=")).join(" "))];
            self.ctx
                .docker
                .commit(&info.id, &self.image.name(), message, author, &changes)?
        };
        // The image committed over is left untagged; unless a container
        // still runs from it or it is the new image's parent, it goes.
        if let Some(previous) = previous.filter(|p| *p != id) {
            self.remove_untagged(&[previous]);
        }
        if let Some(image) = self.ctx.docker.image_inspect(&id)? {
            // overlay2 refuses to mount more than 127 layers.
            if image.layers >= 100 {
                self.ctx.ui.warn(format!(
                    "{} has {} layers; the engine refuses more than 127: commit --squash flattens it",
                    self.image, image.layers
                ));
            }
        }
        Ok(id)
    }

    /// Stops and removes the container, its Host block, pinned key and
    /// record. A container that already died or vanished is cleaned up the
    /// same way; nothing to clean up is not an error. Returns whether there
    /// was anything.
    pub fn kill(&self) -> Result<bool> {
        let ctx = self.ctx;
        let containers = self.find_containers()?;
        let record = ctx.state.load()?.containers.remove(&self.image.name());
        let mut aliases: Vec<String> = containers
            .iter()
            .filter_map(|c| c.labels.get(labels::ALIAS).cloned())
            .chain(record.as_ref().map(|r| r.alias.clone()))
            .collect();
        if aliases.is_empty() {
            // Container and record both lost: a Host block for the default
            // alias is ours to remove unless another container owns it.
            let alias = self.ssh_alias();
            let filters = [format!("{}={}", labels::ALIAS, alias)];
            if ctx.ps(&filters)?.is_empty() && sshfiles::has_host_block(&ctx.home, &alias) {
                aliases.push(alias);
            }
        }
        aliases.sort();
        aliases.dedup();
        let ids: Vec<String> = containers.iter().map(|c| c.id.clone()).collect();
        let images: Vec<String> = if ids.is_empty() {
            Vec::new()
        } else {
            ctx.docker
                .inspect_containers(&ids)?
                .into_iter()
                .map(|c| c.image_id)
                .collect()
        };
        for id in &ids {
            ctx.docker.rm(id)?;
        }
        self.remove_untagged(&images);
        for alias in &aliases {
            self.revoke_ssh_access(alias)?;
        }
        let name = self.image.name();
        ctx.state.update(|state| {
            state.containers.remove(&name);
        })?;
        Ok(!containers.is_empty() || record.is_some() || !aliases.is_empty())
    }

    /// Removes those of `images` that nothing names any more: a commit
    /// leaves the image it replaced untagged, and they would pile up. One
    /// still used by a container, or the parent of another, is refused by
    /// the engine and kept.
    fn remove_untagged(&self, images: &[String]) {
        for image in images {
            if let Ok(Some(info)) = self.ctx.docker.image_inspect(image) {
                if info.repo_tags.is_empty() {
                    let _ = self.ctx.docker.rmi(image, false);
                }
            }
        }
    }

    /// Removes the image. While a container runs from it this is refused,
    /// unless `force`, which kills the container first.
    pub fn delete(&self, force: bool) -> Result<()> {
        if self.find_named_image()?.is_none() {
            return Err(Error::new(ErrorKind::NoSuchImage {
                name: self.image.name(),
            }));
        }
        if self.is_active()? {
            if !force {
                return Err(Error::new(ErrorKind::ImageInUse {
                    name: self.image.name(),
                })
                .with_hint(format!(
                    "`redock kill {0}` first, or `redock delete --force {0}`",
                    self.image
                )));
            }
            self.kill()?;
        }
        self.ctx.docker.rmi(&self.image.name(), false)?;
        Ok(())
    }

    /// Shows the container's output (the original's `RemoteTerminal`).
    pub fn logs(&self, follow: bool) -> Result<()> {
        let containers = self.find_containers()?;
        let container = containers
            .iter()
            .find(|c| c.state == "running")
            .or(containers.first())
            .ok_or_else(|| {
                Error::new(ErrorKind::NoContainerRunning {
                    name: self.image.name(),
                })
            })?;
        Ok(self.ctx.docker.logs_inherit(&container.id, follow)?)
    }

    /// The alias of the running container, for provisioning over SSH.
    pub fn running_alias(&self) -> Result<String> {
        Ok(self.alias_of(&self.check_active()?))
    }
}

/// Refuses an alias that another NAME's container already has.
fn check_alias_free(alias: &str, others: &[PsEntry]) -> Result<()> {
    match others
        .iter()
        .find(|c| c.labels.get(labels::ALIAS).map(String::as_str) == Some(alias))
    {
        Some(other) => Err(alias_collision(
            alias,
            other.labels.get(labels::NAME).map_or("", String::as_str),
        )),
        None => Ok(()),
    }
}

/// Where the container's sshd is published on the loopback interface.
pub(crate) fn loopback_ssh_port(info: &ContainerInfo) -> Result<SocketAddr> {
    info.ssh_ports
        .iter()
        .copied()
        .find(|a| a.ip().is_loopback())
        .ok_or_else(|| {
            Error::other(format!(
                "the container {} has no SSH port on 127.0.0.1",
                name::summarize_id(&info.id)
            ))
        })
}

fn alias_collision(alias: &str, other: &str) -> Error {
    Error::new(ErrorKind::AliasCollision {
        alias: alias.to_string(),
        other: other.to_string(),
    })
    .with_hint("give this one another host name with -n/--hostname")
}

/// Removes a half-started container and its SSH access when `start` fails
/// part-way, so no orphan and no stale Host block is left.
struct Guard<'a> {
    ctx: &'a Context,
    id: String,
    alias: String,
    armed: bool,
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.ctx.docker.rm(&self.id);
            let _ = sshfiles::remove_host_block(&self.ctx.home, &self.alias);
            let _ = sshfiles::unpin_host_key(&self.ctx.home, &self.alias);
        }
    }
}

/// Puts the public key into the created container as root's only
/// authorized key, before it starts: a key is never baked into the base.
fn copy_public_key(docker: &Docker, id: &str, public_key: &str) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let ssh_dir = dir.path().join(".ssh");
    let keys = ssh_dir.join("authorized_keys");
    let io = |p: &Path, e| Error::io(p, e);
    std::fs::create_dir(&ssh_dir).map_err(|e| io(&ssh_dir, e))?;
    std::fs::write(&keys, public_key).map_err(|e| io(&keys, e))?;
    std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| io(&keys, e))?;
    std::fs::set_permissions(&ssh_dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| io(&ssh_dir, e))?;
    docker.cp_into(&ssh_dir, id, "/root/")?;
    Ok(())
}
