//! A redock container: an image NAME, the Docker container started from it
//! and the SSH access to it (the original's `Container`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use docker_exec::{
    Attached, ContainerInfo, ContainerState, CreateSpec, ImageInfo, PsEntry, Removed,
};
use state::ContainerRecord;

use crate::context::Context;
use crate::decision::{self, decide, Action, Command, Refusal, Removal, Resume};
use crate::error::{Error, ErrorKind, Result};
use crate::history;
use crate::keys::{self, Layout};
use crate::lock;
use crate::mux;
use crate::name::{self, Image};
use crate::parallel;
use crate::readiness;
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
    /// The engine the container was started on, as `status` shows it:
    /// `default`, a context's name or a `DOCKER_HOST` value.
    pub const ENGINE: &str = "io.redock.engine";
    /// On a container `start` made early (see `Early`): a mark of the run
    /// that made it, by which that run knows it for its own.
    pub const EARLY: &str = "io.redock.early";
}

/// How long `start` looks for the container that holds its name.
const HOLDER_WAIT: Duration = Duration::from_secs(5);

/// How long `kill` waits for another removal of the container to finish.
const REMOVAL_WAIT: Duration = Duration::from_secs(30);

/// How long after the removal of the recorded container `kill` begins to
/// ask what else it has to do (see `Container::remove_recorded`), unless
/// the removal ended sooner. A removal takes about 200 ms on two CPUs, the
/// calls beside it about 50.
const BESIDE_REMOVAL: Duration = Duration::from_millis(60);

/// How long after the early container's `docker run` `start` asks what
/// exists (see `Early`), unless the run ended sooner. A run takes about
/// 350 ms on two CPUs, the calls beside it about 50.
const BESIDE_EARLY_RUN: Duration = Duration::from_millis(40);

/// The base image containers start from when their NAME has no image yet.
pub const BASE_IMAGE: &str = base_image::DEFAULT_TARGET;

/// One NAME and what redock knows of it.
pub struct Container<'a> {
    /// The context on the engine the NAME lives on.
    ctx: Cow<'a, Context>,
    image: Image,
    hostname: String,
    /// Whether the host name was asked for (`-n`), not the tag's.
    hostname_given: bool,
    timeout: Duration,
}

/// A container that answers over SSH.
#[derive(Clone, Debug)]
pub struct Running {
    pub id: String,
    pub alias: String,
    pub endpoint: Endpoint,
    /// How `start` got it running.
    pub outcome: Outcome,
    /// What happened to the user's ssh config, for the caller to report.
    pub include: IncludeOutcome,
}

/// How `start` got a container running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A new container.
    Created,
    /// The one already running.
    Reused,
    /// The container that was stopped or paused (its state then), with its
    /// writable layer.
    Resumed(ContainerState),
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
        let hostname_given = hostname.is_some();
        let hostname = match hostname {
            Some(hostname) => {
                name::validate_hostname(hostname)?;
                hostname.to_string()
            }
            None => name::default_hostname(&image).unwrap_or_else(|_| image.tag.clone()),
        };
        // The engine the NAME lives on; one the user named instead is
        // refused here, before anything is asked of either.
        let ctx = Cow::Owned(ctx.for_name(&image.name())?);
        Ok(Container {
            ctx,
            image,
            hostname,
            hostname_given,
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

    /// This NAME's containers as the engine describes them (one `ps`, one
    /// `inspect`), the one commands are about first.
    fn look(&self) -> Result<Vec<ContainerInfo>> {
        let ids: Vec<String> = self.find_containers()?.into_iter().map(|c| c.id).collect();
        self.inspect_ranked(&ids)
    }

    /// [`Container::look`], with the container the state file records
    /// asked about beside the `ps`: when the `ps` finds no other, that
    /// answer serves, and a command saves a call's time.
    fn look_recorded(&self, recorded: Option<&str>) -> Result<Vec<ContainerInfo>> {
        let Some(recorded) = recorded else {
            return self.look();
        };
        let (found, early) = std::thread::scope(|scope| {
            let early = scope.spawn(|| self.ctx.docker.inspect_containers(&[recorded.to_string()]));
            (self.find_containers(), early.join())
        });
        let ids: Vec<String> = found?.into_iter().map(|c| c.id).collect();
        match early {
            Ok(Ok(infos)) if ids.iter().all(|id| id == recorded) => {
                Ok(infos.into_iter().filter(|c| ids.contains(&c.id)).collect())
            }
            _ => self.inspect_ranked(&ids),
        }
    }

    /// The containers `ids` that still exist, running before paused before
    /// stopped (see `decision::rank`).
    fn inspect_ranked(&self, ids: &[String]) -> Result<Vec<ContainerInfo>> {
        let mut infos = self.ctx.docker.inspect_containers(ids)?;
        infos.sort_by_key(|c| decision::rank(c.state));
        Ok(infos)
    }

    /// Holds the NAME's lock: the commands that change a NAME take it, from
    /// their first look at the engine to the last file they write.
    fn lock(&self) -> Result<lock::Lock> {
        lock::name(&self.ctx.home, &self.image.name(), &self.ctx.ui)
    }

    /// The running container of this NAME, if there is one.
    pub fn find_running_container(&self) -> Result<Option<ContainerInfo>> {
        Ok(self.look()?.into_iter().find(ContainerInfo::is_running))
    }

    /// Whether a container of this NAME is running.
    pub fn is_active(&self) -> Result<bool> {
        Ok(self.find_running_container()?.is_some())
    }

    /// The running container; `NoContainerRunning` when there is none, and
    /// `NotRunning` when it is stopped or paused.
    pub fn check_active(&self) -> Result<ContainerInfo> {
        let first = self.look()?.into_iter().next();
        // The state file plays no part in using a container.
        match (
            decide(Command::Use, first.as_ref().map(|c| c.state), false),
            first,
        ) {
            (Action::Use, Some(info)) => Ok(info),
            (action, _) => Err(self.not_done(action)),
        }
    }

    /// The error for a decision that stops a command.
    fn not_done(&self, action: Action) -> Error {
        let name = self.image.name();
        match action {
            Action::Refuse(Refusal::NoContainer) => {
                Error::new(ErrorKind::NoContainerRunning { name: name.clone() })
                    .with_hint(format!("start it with `redock start {name}`"))
            }
            Action::Refuse(Refusal::NotRunning(state)) => Error::new(ErrorKind::NotRunning {
                name,
                state: decision::status_word(state).to_string(),
            }),
            Action::Refuse(Refusal::Unusable(state)) => {
                let hint = match state {
                    ContainerState::Dead | ContainerState::Unknown => format!(
                        "`redock kill {name}` removes it (what was not committed is lost)"
                    ),
                    _ => "try again in a moment".to_string(),
                };
                Error::new(ErrorKind::Unusable {
                    name,
                    state: state.to_string(),
                })
                .with_hint(hint)
            }
            Action::Refuse(Refusal::InUse(state)) => Error::new(ErrorKind::ImageInUse {
                name: name.clone(),
                state: decision::status_word(state).to_string(),
            })
            .with_hint(format!(
                "`redock kill {name}` first (what was not committed is lost), or `redock delete --force {name}`"
            )),
            other => Error::other(format!("redock cannot {other:?} the container of {name}")),
        }
    }

    /// The image of this NAME, if it exists.
    pub fn find_named_image(&self) -> Result<Option<ImageInfo>> {
        Ok(self.ctx.docker.image_inspect(&self.image.name())?)
    }

    /// The image NAME and the base image, if they exist, asked in one
    /// `image inspect`.
    fn named_and_base(&self) -> Result<(Option<ImageInfo>, Option<ImageInfo>)> {
        let asked = [self.image.name(), BASE_IMAGE.to_string()];
        let found = self.ctx.docker.image_inspect_many(&asked)?;
        Ok(split_named_and_base(found))
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

    /// Starts the container, or reuses the one already running, or resumes
    /// the stopped or paused one as it was, and makes it reachable as
    /// `ssh <alias>`. A `transport` or host name that differs from an
    /// existing container's is reported, not applied.
    pub fn start(&self, transport: Option<Transport>) -> Result<Running> {
        let _lock = self.lock()?;
        let ctx = &*self.ctx;
        // Made without -n from a tag that gives no host name (see `new`).
        name::validate_hostname(&self.hostname)?;
        // An unusable state file stops the start before anything is made.
        let state = ctx.load_state()?;
        let recorded = state.containers.contains_key(&self.image.name());
        // One listing of this home's containers serves both this NAME and
        // the alias check. It comes before any file but the lock is
        // written, so an unreachable engine changes nothing. A NAME with no
        // record most likely needs a new container: its image and the base
        // image are looked for meanwhile, in one call, and its container is
        // made and started meanwhile too, from the image it most likely
        // starts from, and kept only if the answers agree (see `Early`). A recorded
        // NAME, most likely running, is not made to pay for them.
        let early = match recorded {
            false => self.early(transport, state.own_images.contains(&self.image.name())),
            true => None,
        };
        let stagger = parallel::Stagger::new(BESIDE_EARLY_RUN);
        let (listed, images, made) = std::thread::scope(|scope| {
            let made = early.as_ref().map(|early| {
                scope.spawn(|| {
                    let made = self.run_early(early);
                    stagger.main_ended();
                    made
                })
            });
            if made.is_some() {
                stagger.wait();
            }
            let images = (!recorded).then(|| scope.spawn(|| self.named_and_base()));
            (ctx.containers(), images.map(joined), made.map(joined))
        });
        let (named, base) = match images {
            Some(Ok((named, base))) => (Some(Ok(named)), Some(base)),
            // The error is met again by what needs to know.
            Some(Err(error)) => (Some(Err(error)), None),
            None => (None, None),
        };
        // What was made early is removed on every way out but its start.
        let made = match (early, made) {
            (Some(early), Some(made)) => self.made_early(early, made)?,
            _ => None,
        };
        let (mine, others): (Vec<PsEntry>, Vec<PsEntry>) = listed?
            .into_iter()
            .filter(|c| made.as_ref().is_none_or(|(_, guard)| guard.id != c.id))
            .partition(|c| c.labels.get(labels::NAME) == Some(&self.image.name()));
        let made = match made {
            Some((early, guard)) => match self.confirmed(&early, &mine, &others, &named, &base) {
                Some(image_id) => Some((early, guard, image_id)),
                None => {
                    let mut guard = guard;
                    guard.armed = false;
                    // Its CLI, when attached, goes first.
                    drop(guard.attached.take());
                    ctx.docker.rm(&guard.id)?;
                    None
                }
            },
            None => None,
        };
        // The key pair (and REDOCK_HOME) before any container is touched.
        let public_key = ctx.home.public_key()?;
        // What killed runs left in REDOCK_HOME goes now.
        lock::sweep(&ctx.home)?;
        let ids: Vec<String> = mine.into_iter().map(|c| c.id).collect();
        let first = self.inspect_ranked(&ids)?.into_iter().next();
        match (
            decide(Command::Start, first.as_ref().map(|c| c.state), recorded),
            first,
        ) {
            (Action::Create, _) => {
                if let Some((early, mut guard, image_id)) = made {
                    if guard.attached.is_some()
                        && early.key_line != keys::input_line(&public_key).ok()
                    {
                        // The key pair changed meanwhile: the hand-in goes
                        // through `docker exec`, once the run has started it.
                        drop(guard.attached.take());
                        ctx.docker.start(&guard.id)?;
                    }
                    return self.finish_created(
                        guard,
                        early.transport,
                        early.layout,
                        &image_id,
                        early.own,
                        &public_key,
                    );
                }
                let named = match named {
                    Some(named) => named?,
                    None => self.find_named_image()?,
                };
                self.create(&others, transport, &public_key, named, base)
            }
            (action, Some(info)) => self.bring_back(action, info, transport, &public_key),
            (action, None) => Err(self.not_done(action)),
        }
    }

    /// Reuses a running container or resumes a stopped or paused one, as
    /// `action` says.
    fn bring_back(
        &self,
        action: Action,
        info: ContainerInfo,
        transport: Option<Transport>,
        public_key: &str,
    ) -> Result<Running> {
        let ctx = &*self.ctx;
        // A container carries its image's labels.
        let layout = Layout::of(&info.labels);
        let outcome = match action {
            Action::Reuse => Outcome::Reused,
            Action::Resume(how) => {
                // The keys go in after the start, as after every start.
                match how {
                    Resume::Start => ctx.docker.start(&info.id)?,
                    Resume::Unpause => ctx.docker.unpause(&info.id)?,
                }
                Outcome::Resumed(info.state)
            }
            other => return Err(self.not_done(other)),
        };
        // Its alias, host name and transport are the container's own.
        let (alias, hostname, transport) = self.adopt(&info, transport);
        self.tell_refresh(layout);
        if ctx.dry_run && outcome != Outcome::Reused {
            // A dry run did not resume it: there is no sshd to ask.
            return self.plan_ssh_access(info.id, alias, transport, outcome, layout);
        }
        // The port may have changed with a restart, and the host key with a
        // new container under the same alias (or a stop, which empties the
        // tmpfs): both are read again. A running container keeps its port
        // and its sshd: the inspect that found it has the port.
        let running = match (outcome, transport) {
            (Outcome::Reused, Transport::Tcp) => Some(&info),
            _ => None,
        };
        let (endpoint, host_key) = self.reach(
            &info.id,
            layout,
            transport,
            public_key,
            KeysIn::Exec(running),
        )?;
        let fresh = outcome != Outcome::Reused;
        let include = self.setup_ssh_access(
            &info.id,
            Made {
                image_id: &info.image_id,
                own: None,
            },
            &alias,
            &hostname,
            &endpoint,
            &host_key,
            transport,
            fresh,
        )?;
        Ok(Running {
            id: info.id,
            alias,
            endpoint,
            outcome,
            include,
        })
    }

    /// The alias, host name and transport of an existing container, which
    /// `start` keeps; a `-n` or `--transport` asking for others is reported.
    fn adopt(
        &self,
        info: &ContainerInfo,
        transport: Option<Transport>,
    ) -> (String, String, Transport) {
        let alias = self.alias_of(info);
        let hostname = info
            .labels
            .get(labels::HOSTNAME)
            .cloned()
            .unwrap_or_else(|| info.hostname.clone());
        let theirs = info
            .labels
            .get(labels::TRANSPORT)
            .and_then(|t| Transport::parse(t))
            .unwrap_or(Transport::Tcp);
        let change = "commit, kill and start it again to change it";
        if self.hostname_given && hostname != self.hostname {
            self.ctx.ui.warn(format!(
                "the container of {} has the host name {hostname} (alias {alias}); -n {} is not applied: {change}",
                self.image, self.hostname
            ));
        }
        if let Some(asked) = transport.filter(|t| *t != theirs) {
            self.ctx.ui.warn(format!(
                "the container of {} uses the {} transport; --transport {} is not applied: {change}",
                self.image,
                theirs.as_str(),
                asked.as_str()
            ));
        }
        (alias, hostname, theirs)
    }

    /// Creates, starts and sets up a new container. A failure part-way
    /// removes what this run made, and only that.
    fn create(
        &self,
        others: &[PsEntry],
        transport: Option<Transport>,
        public_key: &str,
        named: Option<ImageInfo>,
        base: Option<Option<ImageInfo>>,
    ) -> Result<Running> {
        let ctx = &*self.ctx;
        let alias = self.ssh_alias();
        check_alias_free(&alias, others)?;
        self.check_alias_free_elsewhere(&alias)?;
        let chosen = self.transport_for_new(transport)?;
        let own = named.is_some();
        let (image, layout, image_id) = self.image_to_start(named, base)?;
        let spec = self.create_spec(image, &alias, chosen, layout);
        let id = match ctx.docker.create(&spec) {
            Ok(id) => id,
            Err(err) if err.kind() == &docker_exec::ErrorKind::NameInUse => {
                return self.name_taken(err, &alias, transport, public_key)
            }
            Err(err) => {
                self.remove_half_created();
                return Err(err.into());
            }
        };
        // The engine gave this run the container's name, which holds the
        // alias: the alias's Host block and pinned key are this run's to
        // undo as well.
        let guard = Guard {
            ctx,
            id,
            alias,
            armed: true,
            attached: None,
        };
        ctx.docker.start(&guard.id)?;
        self.finish_created(guard, chosen, layout, &image_id, own, public_key)
    }

    /// What `docker create` is given for a new container of this NAME from
    /// `image`, reached by `transport`, sshd finding its keys as `layout`
    /// says.
    fn create_spec(
        &self,
        image: String,
        alias: &str,
        transport: Transport,
        layout: Layout,
    ) -> CreateSpec {
        let ctx = &*self.ctx;
        let mut spec = CreateSpec {
            image,
            name: Some(self.docker_name()),
            hostname: Some(self.hostname.clone()),
            publish_ssh_on_loopback: transport == Transport::Tcp,
            tmpfs: layout.tmpfs(),
            ..CreateSpec::default()
        };
        spec.labels = BTreeMap::from([
            (labels::NAME.to_string(), self.image.name()),
            (labels::HOSTNAME.to_string(), self.hostname.clone()),
            (labels::ALIAS.to_string(), alias.to_string()),
            (
                labels::TRANSPORT.to_string(),
                transport.as_str().to_string(),
            ),
            (
                labels::HOME.to_string(),
                ctx.home.dir().display().to_string(),
            ),
            (
                labels::ENGINE.to_string(),
                ctx.docker.endpoint().to_string(),
            ),
        ]);
        spec
    }

    /// Sets up the SSH access of the container `guard` holds, just made
    /// and started from the image `image_id` (NAME's `own`, or the base
    /// image); a failure removes it and what was written for it.
    fn finish_created(
        &self,
        mut guard: Guard<'_>,
        transport: Transport,
        layout: Layout,
        image_id: &str,
        own: bool,
        public_key: &str,
    ) -> Result<Running> {
        let ctx = &*self.ctx;
        let (id, alias) = (guard.id.clone(), guard.alias.clone());
        if ctx.dry_run {
            guard.armed = false;
            return self.plan_ssh_access(id, alias, transport, Outcome::Created, layout);
        }
        self.tell_refresh(layout);
        let keys = match guard.attached.take() {
            Some(attached) => KeysIn::Attached(Box::new(attached)),
            None => KeysIn::Exec(None),
        };
        let (endpoint, host_key) = self.reach(&id, layout, transport, public_key, keys)?;
        let include = self.setup_ssh_access(
            &id,
            Made {
                image_id,
                own: Some(own),
            },
            &alias,
            &self.hostname,
            &endpoint,
            &host_key,
            transport,
            true,
        )?;
        guard.armed = false;
        Ok(Running {
            id,
            alias,
            endpoint,
            outcome: Outcome::Created,
            include,
        })
    }

    /// The transport of a new container: the one asked for, else `exec`
    /// on a remote engine (its published ports are not this host's) and
    /// `tcp` on a local one.
    fn transport_for_new(&self, asked: Option<Transport>) -> Result<Transport> {
        Ok(match asked {
            Some(t) => t,
            None if self.ctx.docker.engine_is_remote()? => Transport::Exec,
            None => Transport::Tcp,
        })
    }

    /// What `start` makes early for a NAME with no record: a container of
    /// the image it started from last (its `own`, when a commit made one,
    /// as the state file's hint says, or the base image), or `None` where
    /// that cannot be told without the engine (a dry run, an alias another
    /// engine's container has, an engine whose kind must be asked, base
    /// settings that do not read).
    fn early(&self, transport: Option<Transport>, own: bool) -> Option<Early> {
        let ctx = &*self.ctx;
        if ctx.dry_run {
            return None;
        }
        let alias = self.ssh_alias();
        self.check_alias_free_elsewhere(&alias).ok()?;
        let transport = self.transport_for_new(transport).ok()?;
        let options = base_image::BuildOptions::default();
        let options = crate::base::options(&ctx.home, options, &Default::default()).ok()?;
        if options.target != BASE_IMAGE {
            return None;
        }
        let image = match own {
            true => self.image.name(),
            false => options.target.clone(),
        };
        // Made from an image of this recipe, whose keys are on the tmpfs.
        let layout = Layout::Tmpfs;
        let mut spec = self.create_spec(image, &alias, transport, layout);
        // Never one a registry has: the NAME may have no image any more.
        spec.local_image_only = true;
        let nonce = nonce();
        spec.labels.insert(labels::EARLY.to_string(), nonce.clone());
        // Only the base image's init script is known to read the key before
        // the engine is asked; only a key pair that exists is read so early
        // (the engine may not answer, and then nothing is made).
        let key_line = (!own && ctx.home.private_key().exists())
            .then(|| std::fs::read_to_string(ctx.home.public_key_path()).ok())
            .flatten()
            .and_then(|key| keys::input_line(&key).ok());
        Some(Early {
            spec,
            layout,
            own,
            transport,
            recipe: options.recipe_version(),
            nonce,
            key_line,
        })
    }

    /// Makes and starts the container `early` stands for: left attached,
    /// with redock's key on its input, when it has the line for it (its
    /// init script answers on its output, and no `docker exec` is needed);
    /// otherwise by `docker run -d`.
    fn run_early(&self, early: &Early) -> docker_exec::Result<(String, Option<Attached>)> {
        let docker = &self.ctx.docker;
        let Some(line) = &early.key_line else {
            return docker.run_detached(&early.spec).map(|id| (id, None));
        };
        // The CLI's `--cidfile` goes in a directory of REDOCK_HOME named
        // for this process, which `lock::sweep` removes should this run be
        // killed; it is needed only until the id is read.
        let dir = tempfile::Builder::new()
            .prefix(&lock::temp_prefix(".redock-"))
            .tempdir_in(self.ctx.home.dir());
        match dir {
            Ok(dir) => docker
                .run_attached(&early.spec, line.as_bytes(), &dir.path().join("cid"))
                .map(|(id, attached)| (id, Some(attached))),
            Err(_) => docker.run_detached(&early.spec).map(|id| (id, None)),
        }
    }

    /// The container made early, held by a guard that removes it, when
    /// `made` made one. A refusal (the name is taken, there is no such
    /// image, a CLI without `--pull`, a start that failed) leaves the start
    /// to go on as if it had not been tried. A failed `run` may have made
    /// the container all the same (its start failed, or a deadline or a
    /// signal cut it off): the one under this run's docker name that
    /// carries this run's mark goes, and after a deadline or a signal the
    /// start fails as it would have.
    fn made_early(
        &self,
        early: Early,
        made: docker_exec::Result<(String, Option<Attached>)>,
    ) -> Result<Option<(Early, Guard<'_>)>> {
        use docker_exec::ErrorKind::*;
        let ctx = &*self.ctx;
        let error = match made {
            Ok((id, attached)) => {
                let guard = Guard {
                    ctx,
                    id,
                    alias: self.ssh_alias(),
                    armed: true,
                    attached,
                };
                return Ok(Some((early, guard)));
            }
            Err(error) => error,
        };
        // Refused before anything was made, or no engine to ask.
        if matches!(
            error.kind(),
            NameInUse | CliNotFound | EngineUnreachable | PermissionDenied
        ) {
            return Ok(None);
        }
        if let Ok(Some(info)) = ctx.docker.inspect_container(&self.docker_name()) {
            if info.labels.get(labels::EARLY) == Some(&early.nonce) {
                let _ = ctx.docker.rm(&info.id);
            }
        }
        match error.kind() {
            Timeout | Interrupted => Err(error.into()),
            _ => Ok(None),
        }
    }

    /// Whether what the engine answered agrees with what was made early:
    /// no container of the NAME, the alias free, and the image the NAME
    /// starts from the one it was made from (its own, of this recipe's
    /// layout; or the base image, current, when it has none). Returns that
    /// image's id.
    fn confirmed(
        &self,
        early: &Early,
        mine: &[PsEntry],
        others: &[PsEntry],
        named: &Option<Result<Option<ImageInfo>>>,
        base: &Option<Option<ImageInfo>>,
    ) -> Option<String> {
        if !mine.is_empty() || check_alias_free(&self.ssh_alias(), others).is_err() {
            return None;
        }
        // An init script that does not read the key would never answer.
        let answers =
            |info: &ImageInfo| early.key_line.is_none() || base_image::keys_on_input(&info.labels);
        match (early.own, named, base) {
            (true, Some(Ok(Some(info))), _)
                if Layout::of(&info.labels) == early.layout && answers(info) =>
            {
                Some(info.id.clone())
            }
            (false, Some(Ok(None)), Some(Some(info)))
                if info.labels.get(base_image::RECIPE_LABEL) == Some(&early.recipe)
                    && answers(info) =>
            {
                Some(info.id.clone())
            }
            _ => None,
        }
    }

    /// Refuses an alias that a container on another engine has: one user
    /// ssh config holds the Host blocks of every engine, and that engine's
    /// own names do not see this one's. The state file is where the other
    /// engines' containers are known without asking each of them.
    fn check_alias_free_elsewhere(&self, alias: &str) -> Result<()> {
        let ctx = &*self.ctx;
        let state = ctx.load_state()?;
        let other = state.containers.values().find(|r| {
            r.alias == alias
                && r.name != self.image.name()
                && !crate::context::same_engine(&ctx.engine_of(r), &ctx.docker)
        });
        match other {
            Some(other) => Err(alias_collision(
                alias,
                &format!(
                    "{} on the engine {}",
                    other.name,
                    ctx.engine_of(other).endpoint()
                ),
            )),
            None => Ok(()),
        }
    }

    /// A `docker create` cut off by its deadline or a signal may have made
    /// the container all the same: one under this run's docker name with
    /// this NAME's labels is this run's (the NAME's lock is held, and there
    /// was none when it looked), and goes.
    fn remove_half_created(&self) {
        let docker = &self.ctx.docker;
        let Ok(Some(info)) = docker.inspect_container(&self.docker_name()) else {
            return;
        };
        let name = info.labels.get(labels::NAME);
        let home = info.labels.get(labels::HOME);
        if name == Some(&self.image.name()) && home.is_some_and(|h| self.ctx.home.is_named_by(h)) {
            let _ = docker.rm(&info.id);
        }
    }

    /// A name conflict at `docker create` is the race-proof form of the
    /// alias check. Under the NAME's lock it means that another NAME's
    /// container holds the alias (a collision), or that a container of this
    /// NAME appeared after this run looked (made by a redock that took no
    /// lock): that one is reused or resumed, never removed.
    fn name_taken(
        &self,
        err: docker_exec::Error,
        alias: &str,
        transport: Option<Transport>,
        public_key: &str,
    ) -> Result<Running> {
        // The engine holds a name before it lists the container: a holder
        // being made right now (by the CLI of a killed run, say) shows up
        // a moment later.
        let looking = Instant::now();
        loop {
            let holders = self.ctx.ps(&[format!("{}={}", labels::ALIAS, alias)])?;
            if let Some(other) = holders
                .iter()
                .find(|c| c.labels.get(labels::NAME) != Some(&self.image.name()))
            {
                let other_name = other.labels.get(labels::NAME).cloned().unwrap_or_default();
                return Err(alias_collision(alias, &other_name));
            }
            let ids: Vec<String> = holders.into_iter().map(|c| c.id).collect();
            if let Some(info) = self.inspect_ranked(&ids)?.into_iter().next() {
                let action = decide(Command::Start, Some(info.state), true);
                return self.bring_back(action, info, transport, public_key);
            }
            if looking.elapsed() >= HOLDER_WAIT {
                return Err(err.into());
            }
            crate::error::stop_if_interrupted()?;
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The image NAME when it exists, else the base image (built first when
    /// needed, with the remembered mirror and packages), and where sshd in
    /// it reads redock's keys. `named`: the image NAME, as `start` found
    /// it (`None`: there is none); `base`: what `start` found of the base
    /// image, if it asked.
    fn image_to_start(
        &self,
        named: Option<ImageInfo>,
        base: Option<Option<ImageInfo>>,
    ) -> Result<(String, Layout, String)> {
        if let Some(info) = named {
            return Ok((self.image.name(), Layout::of(&info.labels), info.id));
        }
        // A base of the current recipe: its keys are on the tmpfs.
        let (base, id) = ensure_base_known(&self.ctx, base)?;
        Ok((base, Layout::Tmpfs, id))
    }

    /// Says, once, how to refresh an image of an earlier recipe.
    fn tell_refresh(&self, layout: Layout) {
        if layout.is_earlier_recipe() {
            self.ctx.ui.warn(keys::refresh_hint(&self.image.name()));
        }
    }

    /// Gets redock's keys to the running container `id` and waits until
    /// sshd answers; returns where it listens and the host key to pin. On
    /// the tmpfs, one `docker exec` hands the public key in and reads the
    /// host key out (sshd starts once it is there); in an image of an
    /// earlier recipe, the key is added to root's authorized_keys, and the
    /// host key the init script made is read once sshd answers. `running`:
    /// the inspect of a container found running, with the tcp transport,
    /// whose port it tells (sshd is waited for all the same: an engine's
    /// restart empties the tmpfs, and sshd waits for the key).
    fn reach(
        &self,
        id: &str,
        layout: Layout,
        transport: Transport,
        public_key: &str,
        keys: KeysIn<'_>,
    ) -> Result<(Endpoint, String)> {
        let docker = &self.ctx.docker;
        let running = match keys {
            KeysIn::Exec(running) => running,
            KeysIn::Attached(attached) => return self.reach_attached(id, transport, *attached),
        };
        let ready = |key_file| match running {
            Some(info) => self.running_endpoint(info),
            None => self.wait_ready(id, transport, key_file),
        };
        match layout {
            Layout::Tmpfs if docker.is_dry_run() => {
                // The hand-in would change the container: a dry run reads
                // what it would find. A container set up already holds the
                // key and a host key; one the engine restarted holds neither.
                let host_key = keys::read_tmpfs_host_key(docker, id);
                if host_key.is_err() || !keys::holds(docker, id, public_key) {
                    crate::dry::note(keys::hand_in_plan(layout));
                }
                let host_key = host_key.unwrap_or_else(|_| keys::DRY_RUN_HOST_KEY.to_string());
                Ok((ready(None)?, host_key))
            }
            Layout::Tmpfs => {
                // A new container's port is asked for while the key goes
                // in: neither needs the other, and a start saves a call's
                // time. The hand-in also says whether sshd listens in the
                // container (it starts at boot, once the init script has
                // made the host key): then its published port leads there,
                // and no banner is waited for (each look makes sshd start
                // a process).
                let (handed, inspected) = std::thread::scope(|scope| {
                    let inspect = (running.is_none() && transport == Transport::Tcp)
                        .then(|| scope.spawn(|| docker.inspect_container(id)));
                    let handed = keys::hand_in(docker, id, public_key);
                    (handed, inspect.map(joined))
                });
                let handed = match handed {
                    Ok(handed) => handed,
                    // A container that died at once is told with its output.
                    Err(error) => match docker.inspect_container(id)? {
                        Some(info) if info.is_running() => return Err(error),
                        _ => return Err(self.timeout_error(id)),
                    },
                };
                let inspected = inspected.and_then(|asked| asked.ok().flatten());
                let endpoint = match running.or(inspected.as_ref()) {
                    Some(info) if info.is_running() && handed.listening => {
                        self.endpoint_of(info, transport)?
                    }
                    Some(info) if info.is_running() => self.running_endpoint(info)?,
                    _ => ready(None)?,
                };
                Ok((endpoint, handed.host_key))
            }
            Layout::InImage { .. } => {
                let authorized = keys::authorize_in_image(docker, id, public_key);
                // A container that died at once is told as sshd not answering.
                let endpoint = ready(Some(keys::IMAGE_HOST_KEY))?;
                authorized?;
                Ok((
                    endpoint,
                    keys::read_host_key(docker, id, keys::IMAGE_HOST_KEY)?,
                ))
            }
        }
    }

    /// [`Container::reach`] for a container made early with redock's key on
    /// its input (see `Early`): its init script answers on its output with
    /// the host key, then once sshd listens, and the CLI is detached. The
    /// port is asked for once the host key came: the container runs then.
    fn reach_attached(
        &self,
        id: &str,
        transport: Transport,
        attached: Attached,
    ) -> Result<(Endpoint, String)> {
        let docker = &self.ctx.docker;
        let deadline = Instant::now() + self.timeout;
        let host_key = std::iter::from_fn(|| attached.next_line(deadline))
            .find_map(|line| keys::answered_host_key(&line));
        let Some(host_key) = host_key else {
            // The run failed (its error), or no answer came in time.
            attached.finish()?;
            return Err(self.timeout_error(id));
        };
        let (detached, listening, inspected) = std::thread::scope(|scope| {
            let inspect =
                (transport == Transport::Tcp).then(|| scope.spawn(|| docker.inspect_container(id)));
            let listening = std::iter::from_fn(|| attached.next_line(deadline))
                .any(|line| line == base_image::LISTENING_LINE);
            // Detached as soon as it has nothing more to say, so that its
            // deadline never comes. A container that died ended the run:
            // that failure is told.
            let detached = attached.finish();
            (detached, listening, inspect.map(joined))
        });
        detached?;
        let endpoint = match inspected.and_then(|asked| asked.ok().flatten()) {
            Some(info) if info.is_running() && listening => self.endpoint_of(&info, transport)?,
            Some(info) if info.is_running() => self.running_endpoint(&info)?,
            _ => self.wait_ready(id, transport, None)?,
        };
        Ok((endpoint, host_key))
    }

    /// Waits until sshd in the container answers and returns where it
    /// listens (the original's `ssh_endpoint`).
    pub fn ssh_endpoint(&self, id: &str, transport: Transport) -> Result<Endpoint> {
        let host_key = match self.ctx.docker.inspect_container(id)? {
            Some(info) if Layout::of(&info.labels) == Layout::Tmpfs => base_image::HOST_KEY,
            _ => keys::IMAGE_HOST_KEY,
        };
        self.wait_ready(id, transport, Some(host_key))
    }

    /// Waits until sshd answers: its banner on the published port (tcp), or
    /// the host key `exec_host_key` in the container (exec, where each
    /// connection runs `sshd -i`; `None` when the key is known to be there).
    fn wait_ready(
        &self,
        id: &str,
        transport: Transport,
        exec_host_key: Option<&str>,
    ) -> Result<Endpoint> {
        let deadline = Instant::now() + self.timeout;
        let docker = &self.ctx.docker;
        match transport {
            Transport::Tcp => {
                let info = docker
                    .inspect_container(id)?
                    .ok_or_else(|| self.timeout_error(id))?;
                // A container that died at once has no port binding left.
                if !info.is_running() {
                    return Err(self.timeout_error(id));
                }
                let addr = loopback_ssh_port(&info)?;
                let endpoint = self.endpoint_of(&info, transport)?;
                match readiness::wait_for_banner(docker, id, addr, deadline)? {
                    true => Ok(endpoint),
                    false => Err(self.timeout_error(id)),
                }
            }
            Transport::Exec => match exec_host_key {
                None => Ok(self.exec_endpoint(id)),
                Some(path) => match readiness::wait_for_host_key(docker, id, path, deadline)? {
                    true => Ok(self.exec_endpoint(id)),
                    false => Err(self.timeout_error(id)),
                },
            },
        }
    }

    /// [`Container::ssh_endpoint`] of a container that was running when
    /// `info` was read, with the tcp transport.
    fn running_endpoint(&self, info: &ContainerInfo) -> Result<Endpoint> {
        let deadline = Instant::now() + self.timeout;
        let addr = loopback_ssh_port(info)?;
        let endpoint = self.endpoint_of(info, Transport::Tcp)?;
        match readiness::wait_for_banner(&self.ctx.docker, &info.id, addr, deadline)? {
            true => Ok(endpoint),
            false => Err(self.timeout_error(&info.id)),
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

    /// Pins the host key, writes the Host block, makes sure the user's
    /// config includes redock's and records the container (the original's
    /// `setup_ssh_access`); returns what happened to the user's config. The
    /// record comes last: a start that fails before it leaves none for
    /// `status` to show as missing. A container that is `fresh` (made or
    /// resumed, not reused) gets no master left from before.
    #[allow(clippy::too_many_arguments)]
    fn setup_ssh_access(
        &self,
        id: &str,
        made: Made<'_>,
        alias: &str,
        hostname: &str,
        endpoint: &Endpoint,
        host_key: &str,
        transport: Transport,
        fresh: bool,
    ) -> Result<IncludeOutcome> {
        let ctx = &*self.ctx;
        let sharing = mux::prepare(&ctx.home)?;
        mux::tell(&sharing, &ctx.ui);
        if fresh {
            // A master made before (for a container since killed, or this
            // one before it stopped) knows another host key or port.
            mux::close(&ctx.home, alias);
        }
        sshfiles::pin_host_key(&ctx.home, alias, endpoint, host_key)?;
        sshfiles::write_host_block(&ctx.home, alias, endpoint, &sharing)?;
        let include = ctx.user_config.ensure_include(&ctx.home, ctx.dry_run)?;
        let record = ContainerRecord {
            name: self.image.name(),
            container_id: id.to_string(),
            image: self.image.name(),
            image_id: Some(made.image_id.to_string()).filter(|id| !id.is_empty()),
            hostname: hostname.to_string(),
            alias: alias.to_string(),
            transport: transport.as_str().to_string(),
            endpoint: match endpoint {
                Endpoint::Tcp { .. } => Some(endpoint.display()),
                Endpoint::Exec { .. } => None,
            },
            created_at: now_rfc3339(),
            engine: Some(ctx.engine_record()),
        };
        ctx.update_state(|state| {
            // Where a new container came from is where the next comes from.
            if let Some(own) = made.own {
                match own {
                    true => state.own_images.insert(record.name.clone()),
                    false => state.own_images.remove(&record.name),
                };
            }
            state.containers.insert(record.name.clone(), record);
        })?;
        Ok(include)
    }

    /// What a dry run says of the SSH access of a container it would have
    /// started: the host key and the port are known only once it runs, so
    /// the known_hosts entry and the Host block are told in words, and the
    /// user's config as a diff (`Running::include`). The endpoint of the
    /// tcp transport is `127.0.0.1:0`, as the port is not known.
    fn plan_ssh_access(
        &self,
        id: String,
        alias: String,
        transport: Transport,
        outcome: Outcome,
        layout: Layout,
    ) -> Result<Running> {
        let ctx = &self.ctx;
        crate::dry::note(keys::hand_in_plan(layout));
        let endpoint = match transport {
            Transport::Tcp => Endpoint::Tcp {
                host: "127.0.0.1".into(),
                port: 0,
            },
            Transport::Exec => self.exec_endpoint(&id),
        };
        crate::dry::note(format!(
            "wait for sshd, then pin the container's host key as {alias} in {}",
            ctx.home.known_hosts().display()
        ));
        crate::dry::note(format!(
            "write the Host block of {alias} ({} transport) into {}",
            transport.as_str(),
            ctx.home.ssh_config().display()
        ));
        let include = ctx.user_config.ensure_include(&ctx.home, true)?;
        crate::dry::note(format!(
            "record the container of {} in {}",
            self.image,
            ctx.state.path().display()
        ));
        Ok(Running {
            id,
            alias,
            endpoint,
            outcome,
            include,
        })
    }

    /// Removes the Host block, the pinned key and the record of `alias`
    /// (the original's `revoke_ssh_access`).
    fn revoke_ssh_access(&self, alias: &str) -> Result<()> {
        mux::close(&self.ctx.home, alias);
        sshfiles::remove_host_block(&self.ctx.home, alias)?;
        sshfiles::unpin_host_key(&self.ctx.home, alias)
    }

    /// Commits the container to `repository:tag`, running, paused or
    /// stopped; it stays as it was. With `squash` the image is one layer
    /// holding the container's whole file system and its image's
    /// configuration (CMD, ENV, labels…), so that the start-work-commit loop
    /// never reaches the layer limit. The commit extends the image's log of
    /// commits (`history`), and the image it replaces is kept as a snapshot
    /// (`REDOCK_SNAPSHOTS` of them, see `history`).
    pub fn commit(
        &self,
        message: Option<&str>,
        author: Option<&str>,
        squash: bool,
    ) -> Result<String> {
        let limit = history::limit()?;
        let _lock = self.lock()?;
        let first = self.look()?.into_iter().next();
        // The state file plays no part in a commit.
        let info = match (
            decide(Command::Commit, first.as_ref().map(|c| c.state), false),
            first,
        ) {
            (Action::Commit, Some(info)) => info,
            (action, _) => return Err(self.not_done(action)),
        };
        // An image of an earlier recipe is refreshed, which makes it one
        // layer anyway: the commit before it need not squash.
        let refresh = Layout::of(&info.labels).is_earlier_recipe();
        let squash = squash && !refresh;
        let previous = self.find_named_image()?;
        let log = previous
            .as_ref()
            .map(|p| history::Log::of(&p.labels))
            .unwrap_or_default();
        let parent = log.commits.first().map(|c| c.id.as_str());
        let log = log.extended(
            history::Commit::new(message, author, parent),
            previous.as_ref().map(|p| (p.size, p.layers)),
        );
        let ours = [
            labels::NAME,
            labels::HOSTNAME,
            labels::ALIAS,
            labels::TRANSPORT,
            labels::HOME,
            labels::ENGINE,
            labels::EARLY,
        ];
        let mut changes = if squash {
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
            docker_exec::args::config_changes(&image, |key| {
                !ours.contains(&key) && key != history::LABEL
            })
        } else {
            // The container's labels would otherwise become the image's, and
            // every container made from it, even by plain docker, would pass
            // for one of redock's. One label a change: Podman reads the
            // rest of a `LABEL` line into its first label's value.
            ours.iter().map(|l| format!("LABEL {l}=")).collect()
        };
        changes.push(log.change());
        // The image the commit replaces is kept before NAME moves, so that
        // no moment leaves it unnamed: a snapshot of the current image, as
        // an interrupted commit leaves, is ignored and removed later.
        let docker = &self.ctx.docker;
        let name = self.image.name();
        let kept = match &previous {
            Some(previous) if limit > 0 => Some(history::keep(docker, &name, &previous.id)?),
            _ => None,
        };
        let committed = if squash {
            docker.flatten(&info.id, &name, &changes)
        } else {
            docker.commit(&info.id, &name, message, author, &changes)
        };
        let id = match committed {
            Ok(id) => id,
            Err(error) => {
                if let Some(kept) = kept {
                    let _ = docker.rmi(&kept.reference, false);
                }
                return Err(error.into());
            }
        };
        let id = if refresh {
            match self.refresh(&id, &ours) {
                Ok(refreshed) => refreshed,
                Err(error) => {
                    self.ctx.ui.warn(format!(
                        "committed {}, but could not take redock's keys out of the image: {error}",
                        self.image
                    ));
                    id
                }
            }
        } else {
            id
        };
        self.prune_snapshots(previous.as_ref(), &id, limit);
        if docker.is_dry_run() {
            return Ok(id);
        }
        // The next container of NAME is made from this image: `start`
        // makes it early (see `Early`). Only a hint: its loss costs time.
        let _ = self.ctx.update_state(|state| {
            state.own_images.insert(name.clone());
        });
        if let Some(image) = docker.image_inspect(&id)? {
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

    /// Makes the image `id` just committed from a container of an earlier
    /// recipe's image one that holds no key of redock's, under NAME: in a
    /// container of it, the recipe's init script and sshd settings are
    /// written, the host keys removed and redock's key taken out of root's
    /// authorized_keys; its file system becomes one layer (the keys stay in
    /// the layers of `id`, which goes) with `id`'s configuration but
    /// redock's labels and the labels of this recipe. Returns the new id.
    fn refresh(&self, id: &str, ours: &[&str]) -> Result<String> {
        let docker = &self.ctx.docker;
        let name = self.image.name();
        if docker.is_dry_run() {
            // The image the commit would make is not there to read.
            crate::dry::note(format!(
                "take redock's keys out of {name}, an image of an earlier recipe, through a helper container and one flattened layer"
            ));
            return Ok(id.to_string());
        }
        let image = docker
            .image_inspect(id)?
            .ok_or_else(|| Error::other(format!("the image {id} just committed is gone")))?;
        let script = keys::refresh_script(&self.ctx.home.public_key()?);
        let spec = CreateSpec {
            image: id.to_string(),
            labels: BTreeMap::from([
                (base_image::BUILD_LABEL.to_string(), "1".to_string()),
                (base_image::BUILD_TARGET_LABEL.to_string(), name.clone()),
            ]),
            entrypoint: Some("/bin/sh".into()),
            command: vec!["-s".into()],
            interactive: true,
            ..CreateSpec::default()
        };
        let helper = Helper {
            docker,
            id: docker.create(&spec)?,
        };
        let out = docker.start_attached(&helper.id, Some(script.as_bytes()))?;
        if out.status != 0 {
            return Err(Error::other(format!(
                "the refresh script failed (exit status {}): {}",
                out.status,
                String::from_utf8_lossy(&out.combined).trim()
            )));
        }
        let recipe = [base_image::RECIPE_LABEL, base_image::KEYS_LABEL];
        let mut changes = docker_exec::args::config_changes(&image, |key| {
            !ours.contains(&key) && !recipe.contains(&key)
        });
        changes.push(format!(
            "LABEL {}={}",
            base_image::RECIPE_LABEL,
            base_image::RECIPE_VERSION
        ));
        changes.push(format!(
            "LABEL {}={}",
            base_image::KEYS_LABEL,
            base_image::KEYS_DIR
        ));
        changes.push(format!(
            "LABEL {}={}",
            base_image::KEYS_INPUT_LABEL,
            base_image::KEYS_INPUT
        ));
        let refreshed = docker.flatten(&helper.id, &name, &changes)?;
        drop(helper);
        self.remove_untagged(&[id.to_string()]);
        self.ctx.ui.info(format!(
            "refreshed the image {name}: it holds no key of redock's; its next container gets them on a tmpfs"
        ));
        Ok(refreshed)
    }

    /// After a commit made `id`: removes the snapshots past `limit` (and a
    /// snapshot of `id` itself); with a limit of 0, `previous`, the image
    /// the commit replaced, goes when nothing else names or uses it. The
    /// commit is made: a failure here is told, not returned.
    fn prune_snapshots(&self, previous: Option<&ImageInfo>, id: &str, limit: usize) {
        let name = self.image.name();
        if limit == 0 {
            if let Some(previous) =
                previous.filter(|p| history::bare_id(&p.id) != history::bare_id(id))
            {
                self.remove_untagged(std::slice::from_ref(&previous.id));
            }
        }
        match history::prune(&self.ctx.docker, &name, Some(id), limit) {
            Ok(pruned) => {
                for snapshot in pruned.in_use {
                    self.ctx.ui.info(format!(
                        "kept the snapshot {} of {}: a container or another image uses it",
                        snapshot.reference, self.image
                    ));
                }
            }
            Err(error) => self.ctx.ui.warn(format!(
                "could not remove an old snapshot of {}: {error}",
                self.image
            )),
        }
    }

    /// Stops and removes the container, its Host block, pinned key and
    /// record. A container that already died or vanished is cleaned up the
    /// same way; nothing to clean up is not an error. Returns whether there
    /// was anything.
    pub fn kill(&self) -> Result<bool> {
        let _lock = self.lock()?;
        self.kill_locked().map_err(|error| {
            if !error.is_engine_down() {
                return error;
            }
            // Nothing is removed until the engine says the container is
            // gone: the Host block and the record wait for it.
            let engine = self.ctx.docker.endpoint();
            let detail = std::error::Error::source(&error)
                .map(|s| s.to_string())
                .unwrap_or_default();
            Error::other(format!(
                "cannot kill {}: its engine {engine} does not answer ({detail}); its records are kept",
                self.image
            ))
            .with_hint("start that engine again, then kill it again")
        })
    }

    /// [`Container::kill`] under the NAME's lock.
    fn kill_locked(&self) -> Result<bool> {
        let ctx = &*self.ctx;
        let record = ctx.load_state()?.containers.remove(&self.image.name());
        // The masters go before their containers, so that no ssh is left
        // waiting on a connection the engine cuts.
        if let Some(record) = &record {
            mux::close(&ctx.home, &record.alias);
        }
        let mut unlisted = None;
        let (containers, mut untagged) = match &record {
            Some(record) => match &record.image_id {
                Some(image) => {
                    let recorded = self.remove_recorded(record, image)?;
                    // The recorded container is gone: its files go too,
                    // even when the listing beside it failed (a signal
                    // ends the calls running when it comes).
                    unlisted = recorded.unlisted;
                    (recorded.others, recorded.untagged)
                }
                // Written before records named the image: looked up first.
                None => (self.look_recorded(Some(&record.container_id))?, Vec::new()),
            },
            None => (self.look()?, Vec::new()),
        };
        for info in &containers {
            mux::close(&ctx.home, &self.alias_of(info));
        }
        let images: Vec<String> = containers.iter().map(|c| c.image_id.clone()).collect();
        // Which of their images no tag names does not change with the
        // removal: it is asked meanwhile, and a kill saves a call's time.
        let (removed, unnamed) = std::thread::scope(|scope| {
            let untagged = scope.spawn(|| self.untagged(&images));
            let removed = match decide(
                Command::Kill,
                containers.first().map(|c| c.state),
                record.is_some(),
            ) {
                Action::Remove(removal) => self.remove(&ids_of(&containers), removal),
                Action::CleanUp | Action::Nothing => Ok(()),
                other => Err(self.not_done(other)),
            };
            (removed, untagged.join().unwrap_or_default())
        });
        removed?;
        untagged.extend(unnamed);
        untagged.sort();
        untagged.dedup();
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
        for image in &untagged {
            // Refused, and kept, while another container uses it.
            let _ = ctx.docker.rmi(image, false);
        }
        for alias in &aliases {
            self.revoke_ssh_access(alias)?;
        }
        mux::tidy(&ctx.home);
        let name = self.image.name();
        ctx.update_state(|state| {
            state.containers.remove(&name);
        })?;
        if let Some(error) = unlisted {
            return Err(error);
        }
        Ok(!containers.is_empty() || record.is_some() || !aliases.is_empty())
    }

    /// Removes the container `record` names (its master closed already),
    /// without asking the engine about it first (a kill saves a call's
    /// time); meanwhile lists the NAME's containers and asks whether its
    /// `image` has a name left. Returns the NAME's other containers (a
    /// race of a redock that took no lock can leave one), which the kill
    /// removes next, and the image when no tag names it.
    fn remove_recorded(&self, record: &ContainerRecord, image: &str) -> Result<Recorded> {
        let recorded = std::slice::from_ref(&record.container_id);
        let image = image.to_string();
        // The listing and the image's check begin a little after the
        // removal (see `Stagger`).
        let stagger = parallel::Stagger::new(BESIDE_REMOVAL);
        let (removed, listed, untagged) = std::thread::scope(|scope| {
            let listed = scope.spawn(|| {
                stagger.wait();
                self.find_containers()
            });
            let untagged = scope.spawn(|| {
                stagger.wait();
                self.untagged(std::slice::from_ref(&image))
            });
            let removed = self.remove(recorded, decision::kill_recorded());
            stagger.main_ended();
            (removed, joined(listed), joined(untagged))
        });
        removed?;
        // The listing may have come before the removal.
        let others = listed.and_then(|listed| {
            let ids: Vec<String> = listed
                .into_iter()
                .map(|c| c.id)
                .filter(|id| *id != record.container_id)
                .collect();
            self.inspect_ranked(&ids)
        });
        Ok(match others {
            Ok(others) => Recorded {
                others,
                untagged,
                unlisted: None,
            },
            Err(error) => Recorded {
                others: Vec::new(),
                untagged,
                unlisted: Some(error),
            },
        })
    }

    /// Removes `containers`, given leave to by the decision, and makes sure
    /// the engine no longer has them: an engine may report success for a
    /// container it keeps (Podman's `rm -f` of a missing one says nothing and
    /// exits 0), and `kill` must never say it killed what still runs. One
    /// the engine named as removed is gone; the others are asked about.
    /// An `rm` that failed, ran out of time or was interrupted is tried once
    /// more (a signal ends only the calls running when it comes, so the
    /// second one completes the kill), and either may have removed the
    /// container all the same: what the engine has afterwards decides. When
    /// another removal is under way (a killed run's), this one waits for it.
    fn remove(&self, containers: &[String], _: Removal) -> Result<()> {
        let docker = &self.ctx.docker;
        let mut failed = None;
        let mut in_progress = false;
        // Those the engine did not name as removed are asked about again.
        let mut ids = Vec::new();
        for id in containers {
            let removed = docker
                .remove_container(id)
                .or_else(|_| docker.remove_container(id));
            match removed {
                Ok(Removed::Gone) => {}
                Ok(Removed::Missing | Removed::Unconfirmed) => ids.push(id.clone()),
                Err(error) => {
                    in_progress |= error.is_removal_in_progress();
                    failed.get_or_insert(error);
                    ids.push(id.clone());
                }
            }
        }
        if docker.is_dry_run() || ids.is_empty() {
            // Nothing was removed, or the engine named each one it removed.
            return Ok(());
        }
        let waiting = Instant::now();
        let left = loop {
            let left = docker.inspect_containers(&ids)?;
            let going = in_progress || left.iter().all(|c| c.state == ContainerState::Removing);
            if left.is_empty() || !going || waiting.elapsed() >= REMOVAL_WAIT {
                break left;
            }
            // Not cut short by a first signal: the removal it interrupted
            // goes on in the engine, and the kill that waits for it ends
            // with the files matching (a second signal ends it at once).
            std::thread::sleep(Duration::from_millis(100));
        };
        if let Some(left) = left.first() {
            if let Some(error) = failed {
                return Err(error.into());
            }
            return Err(Error::other(format!(
                "the container {} of {} is still there ({}) after `{} rm -f`",
                name::summarize_id(&left.id),
                self.image,
                left.state,
                docker
                    .program()
                    .file_name()
                    .map_or_else(|| "docker".into(), |n| n.to_string_lossy()),
            )));
        }
        Ok(())
    }

    /// Removes those of `images` that nothing names any more: a commit
    /// leaves the image it replaced untagged, and they would pile up. One
    /// still used by a container, or the parent of another, is refused by
    /// the engine and kept.
    fn remove_untagged(&self, images: &[String]) {
        for image in self.untagged(images) {
            let _ = self.ctx.docker.rmi(&image, false);
        }
    }

    /// Those of `images` that are there and that no tag names.
    fn untagged(&self, images: &[String]) -> Vec<String> {
        images
            .iter()
            .filter(|image| {
                matches!(self.ctx.docker.image_inspect(image), Ok(Some(info)) if info.repo_tags.is_empty())
            })
            .cloned()
            .collect()
    }

    /// Removes the image and its snapshots. While a container of the NAME
    /// exists, running or not, this is refused, unless `force`, which kills
    /// it first.
    pub fn delete(&self, force: bool) -> Result<history::Pruned> {
        let _lock = self.lock()?;
        let image = self.find_named_image()?;
        let name = self.image.name();
        if image.is_none() && history::snapshots(&self.ctx.docker, &name, None)?.is_empty() {
            return Err(history::no_such_image(&name));
        }
        let state = self.look()?.first().map(|c| c.state);
        // The state file plays no part: the engine's containers decide.
        match decide(Command::Delete { force }, state, false) {
            Action::Remove(_) => {
                self.kill_locked()?;
            }
            Action::RemoveImage => {}
            other => return Err(self.not_done(other)),
        }
        if image.is_some() {
            self.ctx.docker.rmi(&name, false)?;
        }
        history::remove_all(&self.ctx.docker, &name)
    }

    /// Makes snapshot `number` (1: the newest) the image, keeping the image
    /// it replaces as the newest snapshot. While a container of the NAME
    /// exists, running or not, this is refused (`start` would resume a
    /// stopped one as it is, on the image it was made from), unless
    /// `force`, which kills it first.
    pub fn rollback(&self, number: usize, force: bool) -> Result<history::RolledBack> {
        let _lock = self.lock()?;
        let name = self.image.name();
        let state = self.look()?.first().map(|c| c.state);
        let killed = match decide(Command::Rollback { force }, state, false) {
            Action::Remove(_) => {
                // A snapshot that is not there is refused before the kill.
                history::check_snapshot(&self.ctx.docker, &name, number)?;
                self.kill_locked()?
            }
            Action::Restore => false,
            Action::Refuse(Refusal::InUse(state)) => {
                return Err(Error::new(ErrorKind::ImageInUse {
                    name: name.clone(),
                    state: decision::status_word(state).to_string(),
                })
                .with_hint(format!(
                    "`redock kill {name}` first (what was not committed is lost), or `redock rollback --force {name}`"
                )))
            }
            other => return Err(self.not_done(other)),
        };
        let mut done = history::rollback(&self.ctx.docker, &name, number)?;
        done.killed = killed;
        Ok(done)
    }

    /// Shows the container's output (the original's `RemoteTerminal`),
    /// whatever its state.
    pub fn logs(&self, follow: bool) -> Result<()> {
        let first = self.look()?.into_iter().next();
        match (
            decide(Command::Logs, first.as_ref().map(|c| c.state), false),
            first,
        ) {
            (Action::Logs, Some(info)) => Ok(self.ctx.docker.logs_inherit(&info.id, follow)?),
            (action, _) => Err(self.not_done(action)),
        }
    }

    /// The alias of the running container, for provisioning over SSH.
    /// The container the state file records is asked about first, with one
    /// `inspect`: where it runs, it is the one [`Container::check_active`]
    /// would find (a running container ranks first), and the `ps` that
    /// finds containers by label is saved. Otherwise the engine is asked
    /// by label.
    pub fn running_alias(&self) -> Result<String> {
        if let Some(info) = self.recorded_running()? {
            return Ok(self.alias_of(&info));
        }
        Ok(self.alias_of(&self.check_active()?))
    }

    /// The container the state file records for this NAME, when it still
    /// runs and its labels say it is this NAME's in this home. An
    /// unreadable state file is left to the slower way, which does not
    /// read it.
    fn recorded_running(&self) -> Result<Option<ContainerInfo>> {
        let Ok(mut state) = self.ctx.state.load() else {
            return Ok(None);
        };
        let Some(record) = state.containers.remove(&self.image.name()) else {
            return Ok(None);
        };
        let info = self.ctx.docker.inspect_container(&record.container_id)?;
        Ok(info.filter(|info| {
            info.is_running()
                && info.labels.get(labels::NAME) == Some(&self.image.name())
                && info
                    .labels
                    .get(labels::HOME)
                    .is_some_and(|h| self.ctx.home.is_named_by(h))
        }))
    }
}

/// The base image, built first when it is missing or stale, with the
/// remembered mirror and packages; returns its name.
pub fn ensure_base(ctx: &Context) -> Result<String> {
    Ok(ensure_base_known(ctx, None)?.0)
}

/// [`ensure_base`], given what an inspect of [`BASE_IMAGE`] found when the
/// caller asked already; returns its name and its id.
fn ensure_base_known(ctx: &Context, known: Option<Option<ImageInfo>>) -> Result<(String, String)> {
    let options = base_image::BuildOptions::default();
    let options = crate::base::options(&ctx.home, options, &Default::default())?;
    let known = known.filter(|_| options.target == BASE_IMAGE);
    let id = crate::base::ensure_known(ctx, &options, known)?;
    Ok((options.target, id))
}

/// A container `start` makes and starts (`docker run -d`) while it asks
/// the engine what exists, for a NAME with no record (which most likely
/// needs a new one): made from the image the NAME started from last, it is
/// kept only when the answers agree ([`Container::confirmed`]), and removed
/// otherwise. A start saves the time of those answers and of a `docker
/// start`. No one is given its port or a key before the answers agree
/// (the keys' tmpfs is empty until the hand-in), so nothing of the user's
/// is ever in one that goes.
struct Early {
    spec: CreateSpec,
    layout: Layout,
    /// Made from the NAME's own image, not the base image.
    own: bool,
    transport: Transport,
    /// The recipe version the base image must have (when not `own`).
    recipe: String,
    /// The value of [`labels::EARLY`] on it.
    nonce: String,
    /// The line that hands redock's key in on its input, when it is run
    /// attached (see `Container::run_early`).
    key_line: Option<String>,
}

/// A mark no other run makes: 16 hex digits from the standard library's
/// randomly keyed hasher, over the time and the process id.
fn nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    hasher.write_u128(now.as_nanos());
    hasher.write_u32(std::process::id());
    format!("{:016x}", hasher.finish())
}

/// How redock's key gets to a container that `reach` waits for.
enum KeysIn<'a> {
    /// Through `docker exec`, after every start. `Some`: the inspect of a
    /// container found running, with the tcp transport, which tells its
    /// port.
    Exec(Option<&'a ContainerInfo>),
    /// On the input of the CLI still attached to a container made early.
    Attached(Box<Attached>),
}

/// The image a container was made from, for its record and for the next
/// start's early container.
struct Made<'a> {
    image_id: &'a str,
    /// For a new container, whether it was made from the NAME's own image
    /// (not the base image); `None` for one that existed.
    own: Option<bool>,
}

/// What [`Container::remove_recorded`] found besides the container it
/// removed.
struct Recorded {
    /// The NAME's other containers.
    others: Vec<ContainerInfo>,
    /// The recorded container's image, when no tag names it.
    untagged: Vec<String>,
    /// Why the NAME's containers could not be listed, if they could not.
    unlisted: Option<Error>,
}

/// Which of the images one `image inspect NAME BASE` found is NAME's and
/// which the base image: the CLI prints those it finds in the order asked,
/// so two are both (the same image twice, when NAME names the base image);
/// one alone is the base image when it bears the base image's name.
fn split_named_and_base(mut found: Vec<ImageInfo>) -> (Option<ImageInfo>, Option<ImageInfo>) {
    let base = found.pop();
    match (found.pop(), base) {
        (named, Some(only)) if named.is_none() && !only.is_named(BASE_IMAGE) => (Some(only), None),
        (named, base) => (named, base),
    }
}

/// The ids of `containers`.
fn ids_of(containers: &[ContainerInfo]) -> Vec<String> {
    containers.iter().map(|c| c.id.clone()).collect()
}

/// What a scoped thread returned; its panic goes on in this one.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
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

/// A container redock runs a script in, removed however that ends.
struct Helper<'a> {
    docker: &'a docker_exec::Docker,
    id: String,
}

impl Drop for Helper<'_> {
    fn drop(&mut self) {
        let _ = self.docker.rm(&self.id);
    }
}

/// Removes a half-started container and its SSH access when `start` fails
/// part-way, so no orphan and no stale Host block is left. It stands only
/// for a container this run created: one it reused or resumed is the
/// user's, and stays.
struct Guard<'a> {
    ctx: &'a Context,
    id: String,
    alias: String,
    armed: bool,
    /// The CLI left attached to a container made early (see `Early`),
    /// which the hand-in reads; dropped, it detaches.
    attached: Option<Attached>,
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        if self.armed {
            drop(self.attached.take());
            mux::close(&self.ctx.home, &self.alias);
            let _ = self.ctx.docker.rm(&self.id);
            let _ = sshfiles::remove_host_block(&self.ctx.home, &self.alias);
            let _ = sshfiles::unpin_host_key(&self.ctx.home, &self.alias);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(id: &str, tags: &[&str]) -> ImageInfo {
        ImageInfo {
            id: id.into(),
            repo_tags: tags.iter().map(|t| t.to_string()).collect(),
            ..ImageInfo::default()
        }
    }

    fn ids(split: (Option<ImageInfo>, Option<ImageInfo>)) -> (Option<String>, Option<String>) {
        (split.0.map(|i| i.id), split.1.map(|i| i.id))
    }

    /// What one `image inspect NAME redock:base` finds, told apart as
    /// Docker and Podman (`localhost/`) name them.
    #[test]
    fn one_inspect_tells_the_names_image_from_the_base_image() {
        let base = || image("b", &["redock:base"]);
        let podman_base = || image("b", &["localhost/redock:base"]);
        let named = || image("n", &["alice:web"]);
        let some = |id: &str| Some(id.to_string());
        assert_eq!(ids(split_named_and_base(vec![])), (None, None));
        assert_eq!(ids(split_named_and_base(vec![base()])), (None, some("b")));
        assert_eq!(
            ids(split_named_and_base(vec![podman_base()])),
            (None, some("b"))
        );
        assert_eq!(ids(split_named_and_base(vec![named()])), (some("n"), None));
        assert_eq!(
            ids(split_named_and_base(vec![named(), base()])),
            (some("n"), some("b"))
        );
        // NAME names the base image itself.
        assert_eq!(
            ids(split_named_and_base(vec![base(), base()])),
            (some("b"), some("b"))
        );
    }
}
