//! SIGINT, SIGTERM and SIGHUP for a program whose children run in process
//! groups of their own.
//!
//! A terminal's Ctrl-C reaches only the foreground process group, which a
//! background child (see [`Cmd::foreground`](crate::Cmd::foreground)) has
//! left; so the program itself has to pass the news on. [`install`] blocks
//! the three signals in the calling thread, which every thread started
//! after it inherits (children do not: std clears the mask when it spawns
//! one), and starts a thread that waits for them with `sigwait`. No signal
//! handler runs, so nothing is restricted to async-signal-safe code.
//!
//! On the first signal, the children running at that moment are ended
//! (SIGTERM to their groups, SIGKILL after a short grace), so that the calls
//! waiting on them return [`ProcessErrorKind::Interrupted`]; children spawned
//! after it, such as those of a cleanup, run normally. A second signal ends
//! the program at once, with exit status 128 + the signal. Foreground
//! children are left alone, as a shell leaves them: a terminal delivers its
//! signals to them itself.
//!
//! ```no_run
//! // First thing in `main`, before any thread starts:
//! proc::signals::install().expect("signals");
//! let code = 0; // ... run, and let errors unwind through their guards ...
//! std::process::exit(proc::signals::exit_code(code));
//! ```
//!
//! [`ProcessErrorKind::Interrupted`]: crate::ProcessErrorKind::Interrupted

use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use nix::sys::signal::{SigSet, Signal};

use crate::group;

/// The first signal received, 0 before any.
static RECEIVED: AtomicI32 = AtomicI32::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

fn handled() -> SigSet {
    let mut set = SigSet::empty();
    for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        set.add(signal);
    }
    set
}

/// Blocks SIGINT, SIGTERM and SIGHUP in this thread and every thread it
/// starts later, and starts the thread that handles them. Call it first in
/// `main`, before any other thread exists (a thread started earlier would
/// still get the signals, with their default action). Calling it again does
/// nothing.
pub fn install() -> io::Result<()> {
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    let set = handled();
    set.thread_block().map_err(io::Error::from)?;
    std::thread::Builder::new()
        .name("proc-signals".into())
        .spawn(move || loop {
            if let Ok(signal) = set.wait() {
                on_signal(signal as i32);
            }
        })?;
    Ok(())
}

fn on_signal(signal: i32) {
    let first = RECEIVED
        .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok();
    if first {
        group::interrupt_all(signal);
    } else {
        group::kill_all();
        std::process::exit(128 + signal);
    }
}

/// The first of SIGINT, SIGTERM and SIGHUP received since [`install`].
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// The exit status a program should end with: 128 + the signal it got, as
/// a shell reports a program a signal ended, else `code`.
pub fn exit_code(code: i32) -> i32 {
    received().map_or(code, |signal| 128 + signal)
}

/// Blocks the signals in this thread again, where something (a failed
/// `exec`) cleared the mask.
pub(crate) fn reblock() {
    if INSTALLED.load(Ordering::SeqCst) {
        let _ = handled().thread_block();
    }
}

/// `SIGTERM` for 15.
pub(crate) fn name(signal: i32) -> String {
    match Signal::try_from(signal) {
        Ok(signal) => signal.as_str().to_string(),
        Err(_) => format!("signal {signal}"),
    }
}
