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
            )?);
        }
        for repair in repairs {
            self.ui.warn(repair.to_string());
        }
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
