//! The `Context` every operation is given, and what follows from it alone:
//! which containers are this home's, and the ssh command line that reaches
//! an alias.

use std::ffi::OsString;
use std::path::PathBuf;

use docker_exec::{ContainerInfo, Docker, PsEntry};
use state::StateFile;

use crate::container::labels;
use crate::error::Result;
use crate::home::Home;
use crate::sshfiles::UserConfig;
use crate::ui::Ui;

/// What every operation needs: the engine, redock's files, the user's
/// ssh config and the terminal.
///
/// `dry_run` is decided here and nowhere else: a dry run's `Context` holds
/// a dry-run `Docker` and `Home` (see [`crate::dry`]), so that a command
/// reaches neither the engine nor a file with a change whatever it does.
pub struct Context {
    pub docker: Docker,
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
            home,
            state,
            user_config,
            dry_run,
            ui,
        }
    }

    /// Repairs the modes of redock's files before ssh reads them (see
    /// [`Home::repair_modes`]), saying what changed.
    pub fn repair_modes(&self) -> Result<()> {
        for repair in self.home.repair_modes()? {
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
