//! What a command does to a NAME's container, decided from what the engine
//! says of it and what the state file remembers: a pure function, so that
//! the rule that keeps a user's work can be read in one place and checked
//! by a table.
//!
//! The rule: only `kill`, `delete --force` and `rollback --force`, which
//! the user asked for, remove a container. Every other command leaves a
//! container that exists alone, whatever its state: a running, paused or stopped container (a
//! created one counts as stopped: it has a writable layer of its own) holds
//! work that was never committed. `start` resumes a stopped or paused one
//! rather than making a new one.

use docker_exec::ContainerState;

/// The commands, as far as the decision goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Start,
    /// `run`, `ssh`, `install`, `upgrade`, `upload`, `sync`: they need sshd.
    Use,
    Commit,
    Logs,
    Kill,
    Delete {
        force: bool,
    },
    /// `rollback`: a container of the NAME, even a stopped one, would go
    /// on from the image it was made from, not the one rolled back to.
    Rollback {
        force: bool,
    },
}

/// How `start` brings a container back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// `docker start`: created or exited.
    Start,
    /// `docker unpause`.
    Unpause,
}

/// Why a command does not go ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// There is no container.
    NoContainer,
    /// It needs a running container; this one is stopped or paused, and
    /// `start` resumes it.
    NotRunning(ContainerState),
    /// The container is in a state nothing but waiting or `kill` changes
    /// (restarting, dead, being removed, unknown).
    Unusable(ContainerState),
    /// `delete` or `rollback` without `--force` while a container of the
    /// image exists.
    InUse(ContainerState),
}

/// What to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    /// `start`: make a new container (none exists).
    Create,
    /// `start`: the container runs; repair its SSH access.
    Reuse,
    /// `start`: bring the stopped or paused container back as it was.
    Resume(Resume),
    /// Use the running container.
    Use,
    /// Commit the container, whatever it is doing.
    Commit,
    /// Show the container's output.
    Logs,
    /// Remove the container (and then its files, and for `delete` the image).
    Remove(Removal),
    /// No container, but the state file remembers one: remove its files.
    CleanUp,
    /// Nothing to do.
    Nothing,
    /// `delete` with no container: remove the image.
    RemoveImage,
    /// `rollback` with no container: make a snapshot the image.
    Restore,
    Refuse(Refusal),
}

/// Leave to remove a container. Only [`decide`] makes one, and only for
/// `kill`, `delete --force` and `rollback --force`; removing a container
/// of a NAME takes one.
#[derive(Debug, PartialEq, Eq)]
pub struct Removal(());

/// Leave for `kill` to remove the container its NAME's record names
/// before the engine is asked about it: `kill` removes a container of its
/// NAME in every state (see [`decide`]), and one already gone is no matter.
pub fn kill_recorded() -> Removal {
    Removal(())
}

impl Action {
    /// Whether it removes a container.
    pub fn removes_container(&self) -> bool {
        matches!(self, Action::Remove(_))
    }
}

/// What `command` does, given the `state` the engine reports for the NAME's
/// container (`None`: there is none) and whether the state file has a
/// record of it.
pub fn decide(command: Command, state: Option<ContainerState>, recorded: bool) -> Action {
    use ContainerState::*;
    let Some(state) = state else {
        return match command {
            Command::Start => Action::Create,
            Command::Kill if recorded => Action::CleanUp,
            Command::Kill => Action::Nothing,
            Command::Delete { .. } => Action::RemoveImage,
            Command::Rollback { .. } => Action::Restore,
            Command::Use | Command::Commit | Command::Logs => Action::Refuse(Refusal::NoContainer),
        };
    };
    match command {
        Command::Kill | Command::Delete { force: true } | Command::Rollback { force: true } => {
            Action::Remove(Removal(()))
        }
        Command::Delete { force: false } | Command::Rollback { force: false } => {
            Action::Refuse(Refusal::InUse(state))
        }
        Command::Logs => Action::Logs,
        Command::Start => match state {
            Running => Action::Reuse,
            Paused => Action::Resume(Resume::Unpause),
            Created | Exited => Action::Resume(Resume::Start),
            Restarting | Dead | Removing | Unknown => Action::Refuse(Refusal::Unusable(state)),
        },
        Command::Use => match state {
            Running => Action::Use,
            Paused | Created | Exited => Action::Refuse(Refusal::NotRunning(state)),
            Restarting | Dead | Removing | Unknown => Action::Refuse(Refusal::Unusable(state)),
        },
        Command::Commit => match state {
            Running | Paused | Created | Exited | Restarting => Action::Commit,
            Dead | Removing | Unknown => Action::Refuse(Refusal::Unusable(state)),
        },
    }
}

/// Of several containers of one NAME (left by older versions, or made
/// behind redock's back), the one a command is about: running before paused
/// before stopped, so that `start` never makes another beside a live one.
pub fn rank(state: ContainerState) -> u8 {
    use ContainerState::*;
    match state {
        Running => 0,
        Paused => 1,
        Restarting => 2,
        Exited | Created => 3,
        Unknown => 4,
        Removing | Dead => 5,
    }
}

/// How a status row names the state: running, paused, stopped (created or
/// exited), or the engine's word for the rare others.
pub fn status_word(state: ContainerState) -> &'static str {
    use ContainerState::*;
    match state {
        Created | Exited => "stopped",
        other => other.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContainerState::*;

    const STATES: [Option<ContainerState>; 9] = [
        None,
        Some(Created),
        Some(Running),
        Some(Paused),
        Some(Restarting),
        Some(Exited),
        Some(Dead),
        Some(Removing),
        Some(Unknown),
    ];

    const COMMANDS: [Command; 9] = [
        Command::Start,
        Command::Use,
        Command::Commit,
        Command::Logs,
        Command::Kill,
        Command::Delete { force: false },
        Command::Delete { force: true },
        Command::Rollback { force: false },
        Command::Rollback { force: true },
    ];

    /// No command but `kill`, `delete --force` and `rollback --force`
    /// removes a container, in any state, with or without a record; those
    /// three always do.
    #[test]
    fn only_kill_and_the_forced_delete_and_rollback_remove_a_container() {
        for command in COMMANDS {
            for state in STATES {
                for recorded in [false, true] {
                    let action = decide(command, state, recorded);
                    let asked = matches!(
                        command,
                        Command::Kill
                            | Command::Delete { force: true }
                            | Command::Rollback { force: true }
                    );
                    assert_eq!(
                        action.removes_container(),
                        asked && state.is_some(),
                        "{command:?} on {state:?} (recorded: {recorded}): {action:?}"
                    );
                }
            }
        }
    }

    /// The leave `kill` takes before it asks the engine is the one it
    /// would be given in every state of a recorded container.
    #[test]
    fn kill_removes_a_recorded_container_in_every_state() {
        for state in STATES.into_iter().flatten() {
            assert_eq!(
                decide(Command::Kill, Some(state), true),
                Action::Remove(kill_recorded())
            );
        }
    }

    /// The whole table, row by row: (command, engine state, action) with
    /// and without a record, where the record changes only `kill` of a
    /// container that is gone.
    #[test]
    fn the_table() {
        let remove = || Action::Remove(Removal(()));
        let not_running = |s| Action::Refuse(Refusal::NotRunning(s));
        let unusable = |s| Action::Refuse(Refusal::Unusable(s));
        let in_use = |s| Action::Refuse(Refusal::InUse(s));
        let none = || Action::Refuse(Refusal::NoContainer);
        let rows: Vec<(Command, Option<ContainerState>, Action)> = vec![
            (Command::Start, None, Action::Create),
            (Command::Start, Some(Created), Action::Resume(Resume::Start)),
            (Command::Start, Some(Running), Action::Reuse),
            (
                Command::Start,
                Some(Paused),
                Action::Resume(Resume::Unpause),
            ),
            (Command::Start, Some(Restarting), unusable(Restarting)),
            (Command::Start, Some(Exited), Action::Resume(Resume::Start)),
            (Command::Start, Some(Dead), unusable(Dead)),
            (Command::Start, Some(Removing), unusable(Removing)),
            (Command::Start, Some(Unknown), unusable(Unknown)),
            (Command::Use, None, none()),
            (Command::Use, Some(Created), not_running(Created)),
            (Command::Use, Some(Running), Action::Use),
            (Command::Use, Some(Paused), not_running(Paused)),
            (Command::Use, Some(Restarting), unusable(Restarting)),
            (Command::Use, Some(Exited), not_running(Exited)),
            (Command::Use, Some(Dead), unusable(Dead)),
            (Command::Commit, None, none()),
            (Command::Commit, Some(Created), Action::Commit),
            (Command::Commit, Some(Running), Action::Commit),
            (Command::Commit, Some(Paused), Action::Commit),
            (Command::Commit, Some(Exited), Action::Commit),
            (Command::Commit, Some(Dead), unusable(Dead)),
            (Command::Logs, None, none()),
            (Command::Logs, Some(Exited), Action::Logs),
            (Command::Logs, Some(Dead), Action::Logs),
            (Command::Kill, Some(Running), remove()),
            (Command::Kill, Some(Created), remove()),
            (Command::Kill, Some(Dead), remove()),
            (Command::Delete { force: false }, None, Action::RemoveImage),
            (
                Command::Delete { force: false },
                Some(Running),
                in_use(Running),
            ),
            (
                Command::Delete { force: false },
                Some(Exited),
                in_use(Exited),
            ),
            (
                Command::Delete { force: false },
                Some(Paused),
                in_use(Paused),
            ),
            (
                Command::Delete { force: false },
                Some(Created),
                in_use(Created),
            ),
            (Command::Delete { force: true }, None, Action::RemoveImage),
            (Command::Delete { force: true }, Some(Exited), remove()),
            (Command::Rollback { force: false }, None, Action::Restore),
            (
                Command::Rollback { force: false },
                Some(Running),
                in_use(Running),
            ),
            (
                Command::Rollback { force: false },
                Some(Exited),
                in_use(Exited),
            ),
            (
                Command::Rollback { force: false },
                Some(Created),
                in_use(Created),
            ),
            (
                Command::Rollback { force: false },
                Some(Paused),
                in_use(Paused),
            ),
            (Command::Rollback { force: true }, None, Action::Restore),
            (Command::Rollback { force: true }, Some(Running), remove()),
            (Command::Rollback { force: true }, Some(Exited), remove()),
        ];
        for (command, state, expected) in rows {
            for recorded in [false, true] {
                assert_eq!(
                    decide(command, state, recorded),
                    expected,
                    "{command:?} on {state:?} (recorded: {recorded})"
                );
            }
        }
        assert_eq!(decide(Command::Kill, None, true), Action::CleanUp);
        assert_eq!(decide(Command::Kill, None, false), Action::Nothing);
    }

    #[test]
    fn a_live_container_ranks_first() {
        let mut states = [Exited, Dead, Paused, Running, Created];
        states.sort_by_key(|s| rank(*s));
        assert_eq!(states[..2], [Running, Paused]);
        assert_eq!(states[4], Dead);
    }

    #[test]
    fn status_words() {
        assert_eq!(status_word(Running), "running");
        assert_eq!(status_word(Paused), "paused");
        assert_eq!(status_word(Exited), "stopped");
        assert_eq!(status_word(Created), "stopped");
        assert_eq!(status_word(Dead), "dead");
    }
}
