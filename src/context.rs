//! The `Context` every operation is given, and what follows from it alone:
//! which containers are this home's, and the ssh command line that reaches
//! an alias.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use docker_exec::{ContainerInfo, Docker, Endpoint, PsEntry};
use state::{ContainerRecord, EngineRecord, StateFile};

use crate::container::labels;
use crate::error::{Error, Result};
use crate::home::Home;
use crate::sshfiles::UserConfig;
use crate::ui::Ui;

/// What every operation needs: the engine, redock's files, the user's
/// ssh config and the terminal.
///
/// `dry_run` is decided here and nowhere else: a dry run's `Context` holds
/// a dry-run `Docker` and `Home` (see [`crate::dry`]), so that a command
/// reaches neither the engine nor a file with a change whatever it does.
///
/// `docker` is the engine of new NAMEs; a NAME the state file records lives
/// on the engine recorded, and [`Context::for_name`] gives the context that
/// talks to it.
#[derive(Clone)]
pub struct Context {
    pub docker: Docker,
    /// The engine the user named (`--context`, `DOCKER_HOST`,
    /// `DOCKER_CONTEXT`), if any: a NAME that lives on another is refused.
    pub asked: Option<Endpoint>,
    /// Whether the user named the CLI (`REDOCK_DOCKER`): it is then used
    /// on every engine, in place of the program recorded (a wrapper of it,
    /// say).
    pub program_given: bool,
    pub home: Home,
    pub state: StateFile,
    pub user_config: UserConfig,
    pub dry_run: bool,
    pub ui: Ui,
}

impl Context {
    pub fn new(
        docker: Docker,
        home: Home,
        user_config: UserConfig,
        dry_run: bool,
        ui: Ui,
    ) -> Context {
        let docker = if dry_run {
            docker.dry_run(crate::dry::would_run)
        } else {
            docker
        };
        let home = home.with_dry_run(dry_run);
        let state = StateFile::new(home.state_file());
        Context {
            docker,
            asked: None,
            program_given: false,
            home,
            state,
            user_config,
            dry_run,
            ui,
        }
    }

    /// The same context on another engine.
    pub fn with_docker(&self, docker: Docker) -> Context {
        Context {
            docker,
            ..self.clone()
        }
    }

    /// The engine `record` lives on: the one it names, with REDOCK_DOCKER's
    /// program when given (or when the recorded one is gone). A record
    /// written before engines were recorded names none: it goes to this
    /// context's engine, as it did then.
    pub fn engine_of(&self, record: &ContainerRecord) -> Docker {
        let Some(engine) = &record.engine else {
            return self.docker.clone();
        };
        let recorded = Path::new(&engine.program);
        let program = if self.program_given || engine.program.is_empty() || !recorded.exists() {
            self.docker.program().to_path_buf()
        } else {
            recorded.to_path_buf()
        };
        // From this context's Docker, so that a dry run stays one.
        self.docker.for_program(program).on(&endpoint_of(engine))
    }

    /// The context that talks to the engine NAME lives on: the one its
    /// record names, else the engine of new NAMEs. A NAME on another engine
    /// than the one the user named is refused, naming where it lives. An
    /// unreadable state file is left for the command to report.
    pub fn for_name(&self, name: &str) -> Result<Context> {
        let Ok(state) = self.load_state() else {
            return Ok(self.clone());
        };
        let Some(record) = state.containers.get(name).filter(|r| r.engine.is_some()) else {
            return Ok(self.clone());
        };
        let docker = self.engine_of(record);
        let lives = docker.endpoint();
        match &self.asked {
            Some(asked) if *asked != lives => Err(Error::other(format!(
                "{name} lives on the engine {lives}, not {asked}"
            ))
            .with_hint(format!(
                "leave --context, DOCKER_CONTEXT and DOCKER_HOST out (or name {lives}): redock remembers its engine"
            ))),
            _ => Ok(self.with_docker(docker)),
        }
    }

    /// This context's engine as the state file records it.
    pub fn engine_record(&self) -> EngineRecord {
        let (context, host) = match self.docker.endpoint() {
            Endpoint::Default => (None, None),
            Endpoint::Context(name) => (Some(name), None),
            Endpoint::Host(host) => (None, Some(host)),
        };
        EngineRecord {
            program: self.docker.program().to_string_lossy().into_owned(),
            context,
            host,
        }
    }

    /// The engines to ask for a listing of every container: each one
    /// `state` names, and this context's, without repeats (this context's
    /// first).
    pub fn engines(&self, state: &state::State) -> Vec<Docker> {
        let mut engines = vec![self.docker.clone()];
        for record in state.containers.values() {
            let docker = self.engine_of(record);
            if !engines.iter().any(|e| same_engine(e, &docker)) {
                engines.push(docker);
            }
        }
        engines
    }

    /// This home's containers on each of `engines`, asked in parallel, as
    /// `inspect` describes them: an answer per engine, in their order.
    pub fn inspect_on(&self, engines: &[Docker]) -> Vec<Result<Vec<ContainerInfo>>> {
        std::thread::scope(|scope| {
            let asking: Vec<_> = engines
                .iter()
                .map(|docker| scope.spawn(|| self.with_docker(docker.clone()).inspect_containers()))
                .collect();
            asking
                .into_iter()
                .map(|asked| {
                    asked
                        .join()
                        .unwrap_or_else(|_| Err(Error::other("an engine's listing panicked")))
                })
                .collect()
        })
    }

    /// Repairs the modes of redock's files before ssh reads them (see
    /// [`Home::repair_modes`]), and of the user's ssh config that includes
    /// them, which ssh refuses to read ("Bad owner or permissions") when
    /// others can write it; says what changed.
    pub fn repair_modes(&self) -> Result<()> {
        let mut repairs = self.home.repair_modes()?;
        if !self.user_config.disabled {
            repairs.extend(crate::home::repair_mode(
                &self.user_config.path,
                0o022,
                0o022,
                "ssh refuses a config others can write",
                self.dry_run,
            )?);
        }
        for repair in repairs {
            if self.dry_run {
                crate::dry::note(format!(
                    "change the mode of {} from {:04o} to {:04o}: {}",
                    repair.path.display(),
                    repair.from,
                    repair.to,
                    repair.why
                ));
            } else {
                self.ui.warn(repair.to_string());
            }
        }
        Ok(())
    }

    /// The state file's contents; a dry run reads it without a lock.
    pub fn load_state(&self) -> Result<state::State> {
        Ok(if self.dry_run {
            self.state.load_unlocked()?
        } else {
            self.state.load()?
        })
    }

    /// Changes the state file with `f`; a dry run tells the change as a
    /// diff instead.
    pub fn update_state(&self, f: impl FnOnce(&mut state::State)) -> Result<()> {
        if self.dry_run {
            if let Some((old, new)) = self.state.preview(f)? {
                crate::dry::file_change(self.state.path(), old.as_deref(), &new);
            }
            return Ok(());
        }
        self.state.update(f)?;
        Ok(())
    }

    /// All of this home's redock containers, in any state (one docker call).
    pub fn containers(&self) -> Result<Vec<PsEntry>> {
        self.ps(&[])
    }

    /// This home's containers that the label filters `filters`
    /// (`KEY=VALUE`) also match, in any state (one docker call). The engine
    /// compares labels as strings, and earlier versions labelled a container
    /// with REDOCK_HOME as it was given, not canonical; so the engine is
    /// asked for every redock container and the home is compared here.
    pub fn ps(&self, filters: &[String]) -> Result<Vec<PsEntry>> {
        let mut all = vec![labels::HOME.to_string()];
        all.extend_from_slice(filters);
        let mut entries = self.docker.ps(&all)?;
        entries.retain(|c| {
            c.labels
                .get(labels::HOME)
                .is_some_and(|home| self.home.is_named_by(home))
        });
        Ok(entries)
    }

    /// All of this home's redock containers as `inspect` describes them,
    /// with their states (one `ps` and one `inspect`, whatever their
    /// number): `ps` does not tell a state the same way on every engine.
    pub fn inspect_containers(&self) -> Result<Vec<ContainerInfo>> {
        let ids: Vec<String> = self.containers()?.into_iter().map(|c| c.id).collect();
        Ok(self.docker.inspect_containers(&ids)?)
    }

    /// The file to give ssh with `-F`, when ssh would not find redock's
    /// Host blocks by itself: the user's config when it includes redock's
    /// but is not where ssh looks, redock's own file when nothing includes it.
    pub fn ssh_config_arg(&self) -> Option<PathBuf> {
        if !self.user_config.disabled && self.user_config.has_include(&self.home) {
            (!self.user_config.is_ssh_default()).then(|| self.user_config.path.clone())
        } else {
            Some(self.home.ssh_config())
        }
    }

    /// The ssh command line that reaches `alias`. The config's path is
    /// passed as it is, whatever bytes it holds.
    pub fn ssh_command(&self, alias: &str) -> Vec<OsString> {
        let mut argv = vec![OsString::from("ssh")];
        if let Some(config) = self.ssh_config_arg() {
            argv.push("-F".into());
            argv.push(config.into_os_string());
        }
        argv.push(alias.into());
        argv
    }
}

/// The endpoint an engine record names.
pub fn endpoint_of(engine: &EngineRecord) -> Endpoint {
    match (&engine.host, &engine.context) {
        (Some(host), _) => Endpoint::Host(host.clone()),
        (None, Some(context)) => Endpoint::context(context),
        (None, None) => Endpoint::Default,
    }
}

/// Whether two CLIs talk to one engine: the same program on the same
/// endpoint.
pub fn same_engine(a: &Docker, b: &Docker) -> bool {
    a.program() == b.program() && a.endpoint() == b.endpoint()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(dir: &Path) -> Context {
        let home = Home::at(dir.join("home"));
        let user_config = UserConfig {
            path: dir.join("config"),
            disabled: true,
        };
        let docker = Docker::with_program("/usr/bin/true").on(&Endpoint::Default);
        Context::new(docker, home, user_config, false, Ui::new(0, false))
    }

    fn record(engine: Option<EngineRecord>) -> ContainerRecord {
        ContainerRecord {
            name: "alice:web".into(),
            engine,
            ..ContainerRecord::default()
        }
    }

    #[test]
    fn a_record_names_its_engine_and_the_cli_given_wins() {
        let dir = tempfile::tempdir().unwrap();
        let mut ctx = context(dir.path());
        let far = EngineRecord {
            program: "/bin/sh".into(),
            context: Some("far".into()),
            host: None,
        };
        let docker = ctx.engine_of(&record(Some(far.clone())));
        assert_eq!(docker.program(), Path::new("/bin/sh"));
        assert_eq!(docker.endpoint(), Endpoint::Context("far".into()));
        // A host wins over a context, as DOCKER_HOST does.
        let host = EngineRecord {
            host: Some("ssh://h".into()),
            ..far.clone()
        };
        assert_eq!(
            ctx.engine_of(&record(Some(host))).endpoint(),
            Endpoint::Host("ssh://h".into())
        );
        // A recorded program that is gone gives way to this one.
        let gone = EngineRecord {
            program: "/nonexistent/docker".into(),
            ..far.clone()
        };
        assert_eq!(
            ctx.engine_of(&record(Some(gone))).program(),
            Path::new("/usr/bin/true")
        );
        // REDOCK_DOCKER, when given, is every engine's CLI.
        ctx.program_given = true;
        let docker = ctx.engine_of(&record(Some(far)));
        assert_eq!(docker.program(), Path::new("/usr/bin/true"));
        assert_eq!(docker.endpoint(), Endpoint::Context("far".into()));
        // A record from before engines were recorded: this context's.
        assert!(same_engine(&ctx.engine_of(&record(None)), &ctx.docker));
    }

    #[test]
    fn the_engine_record_of_a_context() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path());
        assert_eq!(
            ctx.engine_record(),
            EngineRecord {
                program: "/usr/bin/true".into(),
                context: None,
                host: None
            }
        );
        let far = ctx.with_docker(ctx.docker.clone().on(&Endpoint::Context("far".into())));
        assert_eq!(far.engine_record().context.as_deref(), Some("far"));
        assert_eq!(
            endpoint_of(&far.engine_record()),
            Endpoint::Context("far".into())
        );
    }
}
