//! The process groups of the children running now, so that a deadline or a
//! signal can end a child together with everything it started.
//!
//! Every child that is not a foreground one leads a process group of its
//! own (`process_group(0)`), registered here from just after it was spawned
//! until just after it was reaped. Killing only happens under the registry's
//! lock and only to registered groups, so a group id is never signalled
//! after its run has been deregistered.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

/// How long a group has between SIGTERM and SIGKILL.
pub(crate) const GRACE: Duration = Duration::from_secs(2);

/// Why a run was killed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Its deadline passed after this long.
    TimedOut(Duration),
    /// redock got this signal.
    Interrupted(i32),
}

struct Entry {
    groups: Vec<Pid>,
    fate: Option<Fate>,
}

pub(crate) struct Registry {
    next: u64,
    entries: BTreeMap<u64, Entry>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    next: 0,
    entries: BTreeMap::new(),
});

/// Counts the signals handled, so that a run spawned before a signal but
/// registered after it is still ended by it.
static GENERATION: AtomicU64 = AtomicU64::new(0);

fn registry() -> MutexGuard<'static, Registry> {
    // A panic while holding the lock leaves the map consistent: every
    // change to it is a single insert, update or removal.
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The generation to pass to [`watch`]: read it before spawning.
pub(crate) fn generation() -> u64 {
    GENERATION.load(Ordering::SeqCst)
}

fn signal_groups(groups: &[Pid], signal: Signal) {
    for &group in groups {
        // ESRCH: the whole group has exited already.
        let _ = killpg(group, signal);
    }
}

/// A registered run; deregistered by [`Watched::finish`] or when dropped.
pub(crate) struct Watched {
    id: u64,
}

/// Registers the groups led by `pids`, just spawned. When a signal was
/// handled since `since` (read before the spawn), the run is ended at once,
/// as it would have been had it been registered in time.
pub(crate) fn watch(pids: &[u32], since: u64) -> Watched {
    let groups: Vec<Pid> = pids
        .iter()
        .filter_map(|&pid| i32::try_from(pid).ok())
        .map(Pid::from_raw)
        .collect();
    let mut registry = registry();
    let id = registry.next;
    registry.next += 1;
    let mut fate = None;
    if GENERATION.load(Ordering::SeqCst) != since {
        if let Some(signal) = crate::signals::received() {
            fate = Some(Fate::Interrupted(signal));
            signal_groups(&groups, Signal::SIGTERM);
            kill_after_grace(vec![id]);
        }
    }
    registry.entries.insert(id, Entry { groups, fate });
    Watched { id }
}

impl Watched {
    /// Deregisters the run, once it has been reaped, and tells whether and
    /// why it was killed.
    pub(crate) fn finish(self) -> Option<Fate> {
        registry().entries.remove(&self.id).and_then(|e| e.fate)
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

/// Ends the run `id` at `deadline` unless `done` is closed first: SIGTERM
/// to its groups, then SIGKILL after [`GRACE`]. Blocks until then.
pub(crate) fn enforce(id: u64, deadline: Duration, done: Receiver<()>) {
    if done.recv_timeout(deadline) != Err(RecvTimeoutError::Timeout) {
        return;
    }
    if !end(id, Fate::TimedOut(deadline)) {
        return;
    }
    if done.recv_timeout(GRACE) == Err(RecvTimeoutError::Timeout) {
        kill(&[id]);
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        registry().entries.remove(&self.id);
    }
}

/// Marks the run `id` with `fate` and sends its groups SIGTERM, unless it
/// is gone or already ended; tells whether it did.
fn end(id: u64, fate: Fate) -> bool {
    let mut registry = registry();
    match registry.entries.get_mut(&id) {
        Some(entry) if entry.fate.is_none() => {
            entry.fate = Some(fate);
            signal_groups(&entry.groups, Signal::SIGTERM);
            true
        }
        _ => false,
    }
}

/// SIGKILL to the groups of the runs `ids` that are still registered.
fn kill(ids: &[u64]) {
    let registry = registry();
    for id in ids {
        if let Some(entry) = registry.entries.get(id) {
            signal_groups(&entry.groups, Signal::SIGKILL);
        }
    }
}

fn kill_after_grace(ids: Vec<u64>) {
    if ids.is_empty() {
        return;
    }
    // Without a thread the caller would hold up its own work, or a second
    // signal, for the whole grace period. Should one not start, SIGTERM
    // alone has to do.
    let _ = std::thread::Builder::new()
        .name("proc-grace".into())
        .spawn(move || {
            std::thread::sleep(GRACE);
            kill(&ids);
        });
}

/// Ends every registered run for `signal`: SIGTERM now, SIGKILL after the
/// grace period. Later spawns are not affected.
pub(crate) fn interrupt_all(signal: i32) {
    let mut registry = registry();
    GENERATION.fetch_add(1, Ordering::SeqCst);
    let mut ended = Vec::new();
    for (&id, entry) in registry.entries.iter_mut() {
        if entry.fate.is_none() {
            entry.fate = Some(Fate::Interrupted(signal));
            signal_groups(&entry.groups, Signal::SIGTERM);
            ended.push(id);
        }
    }
    drop(registry);
    kill_after_grace(ended);
}

/// SIGKILL to every registered group, when the program is about to end
/// by a signal. The registry stays locked while the returned guard lives:
/// a run whose child that kill ended must unregister before it returns,
/// so it waits there, and its caller cannot go on (and, say, exit with a
/// code of its own) before the signal's default action ends the program.
pub(crate) fn kill_all() -> MutexGuard<'static, Registry> {
    let registry = registry();
    for entry in registry.entries.values() {
        signal_groups(&entry.groups, Signal::SIGKILL);
    }
    registry
}
