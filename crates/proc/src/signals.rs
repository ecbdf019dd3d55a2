//! SIGINT, SIGTERM and SIGHUP for a program whose children run in process
//! groups of their own.
//!
//! A terminal's Ctrl-C reaches only the foreground process group, which a
//! background child (see [`Cmd::foreground`](crate::Cmd::foreground)) has
//! left; so the program itself has to pass the news on. [`install`] sets
//! handlers for the three signals through `signal-hook`, whose handler only
//! wakes a thread of this module: everything else happens in that thread,
//! outside the handler, so nothing is restricted to async-signal-safe code.
//! No signal is ever blocked, so children start with the signal mask they
//! would have had anyway, and `exec` restores the default actions in them.
//!
//! On the first signal, the children running at that moment are ended
//! (SIGTERM to their groups, SIGKILL after a short grace), so that the calls
//! waiting on them return [`ProcessErrorKind::Interrupted`]; children spawned
//! after it, such as those of a cleanup, run normally. A second signal ends
//! the program at once by the signal's own default action, as if no handler
//! had been set, after SIGKILL to the children still running. Foreground
//! children are left alone, as a shell leaves them: a terminal delivers its
//! signals to them itself.
//!
//! ```no_run
//! // First thing in `main`:
//! proc::signals::install().expect("signals");
//! let code = 0; // ... run, and let errors unwind through their guards ...
//! std::process::exit(proc::signals::exit_code(code));
//! ```
//!
//! [`ProcessErrorKind::Interrupted`]: crate::ProcessErrorKind::Interrupted

use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use nix::sys::signal::Signal;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::group;

/// The first signal received, 0 before any.
static RECEIVED: AtomicI32 = AtomicI32::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Handles SIGINT, SIGTERM and SIGHUP from now on (see the module's
/// documentation). Call it first in `main`; calling it again does nothing.
pub fn install() -> io::Result<()> {
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new()
        .name("proc-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                on_signal(signal);
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
        // Held until the default action of these three has ended the
        // process, so that no caller of a run goes on in between.
        let _held = group::kill_all();
        let _ = signal_hook::low_level::emulate_default_handler(signal);
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

/// `SIGTERM` for 15.
pub(crate) fn name(signal: i32) -> String {
    match Signal::try_from(signal) {
        Ok(signal) => signal.as_str().to_string(),
        Err(_) => format!("signal {signal}"),
    }
}
