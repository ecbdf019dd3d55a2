//! SIGINT, SIGTERM and SIGHUP for a program whose children run in process
//! groups of their own.
//!
//! A terminal's Ctrl-C reaches only the foreground process group, which a
//! background child (see [`Cmd::foreground`](crate::Cmd::foreground)) has
//! left; so the program itself has to pass the news on. [`install`] blocks
//! the three signals in the calling thread, which every thread started
//! after it inherits, and starts a thread that waits for them with
//! `sigwait`. No signal handler runs, so nothing is restricted to
//! async-signal-safe code.
//!
//! A child inherits the signal mask of the thread that spawns it (std keeps
//! it since Rust 1.66), and a program started with SIGINT blocked would not
//! stop at Ctrl-C. Clearing the mask between `fork` and `exec` takes unsafe
//! code, so once [`install`] has run, children start through this program
//! itself: [`install`], called again in that short-lived copy, clears the
//! mask and `exec`s the real program, whose process id, group and streams
//! stay those of the child.
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

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
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

/// The first argument of this program run as the launcher of a child.
const LAUNCH: &str = "--proc-launch";

/// Blocks SIGINT, SIGTERM and SIGHUP in this thread and every thread it
/// starts later, and starts the thread that handles them. Call it first in
/// `main`, before any other thread exists (a thread started earlier would
/// still get the signals, with their default action) and before the
/// arguments are read: in a copy of the program started to launch a child,
/// it does not return. Calling it again does nothing.
pub fn install() -> io::Result<()> {
    launch_if_asked();
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

/// Whether [`install`] has run.
pub(crate) fn installed() -> bool {
    INSTALLED.load(Ordering::SeqCst)
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

/// Lets the signals through in this thread again, right before it becomes
/// another program (`exec`).
pub(crate) fn unblock() {
    if INSTALLED.load(Ordering::SeqCst) {
        let _ = handled().thread_unblock();
    }
}

/// Blocks the signals in this thread again, where [`unblock`] let them
/// through and the `exec` failed.
pub(crate) fn reblock() {
    if INSTALLED.load(Ordering::SeqCst) {
        let _ = handled().thread_block();
    }
}

/// The program and arguments that start `path` (already looked up) as
/// `arg0 args…` with a clear signal mask, once [`install`] has run; `None`
/// before, when children inherit a clear mask anyway.
pub(crate) fn launcher(
    path: &OsStr,
    arg0: &OsStr,
    args: &[OsString],
) -> Option<(OsString, Vec<OsString>)> {
    if !INSTALLED.load(Ordering::SeqCst) {
        return None;
    }
    let mut argv = Vec::with_capacity(args.len() + 3);
    argv.push(OsString::from(LAUNCH));
    argv.push(arg0.to_owned());
    argv.push(path.to_owned());
    argv.extend(args.iter().cloned());
    Some((this_program().into_os_string(), argv))
}

/// This program's executable; on Linux the one the process runs, even if
/// its file was replaced since.
fn this_program() -> PathBuf {
    if cfg!(target_os = "linux") {
        PathBuf::from("/proc/self/exe")
    } else {
        std::env::current_exe()
            .unwrap_or_else(|_| PathBuf::from(std::env::args_os().next().unwrap_or_default()))
    }
}

/// In a copy of the program started by [`launcher`]: clears the signal
/// mask and becomes the child; exits 127 (126 when it may not be run)
/// where that fails, as a shell does.
fn launch_if_asked() {
    let mut args = std::env::args_os();
    if args.nth(1).as_deref() != Some(OsStr::new(LAUNCH)) {
        return;
    }
    let (Some(arg0), Some(path)) = (args.next(), args.next()) else {
        std::process::exit(127);
    };
    let _ = SigSet::empty().thread_set_mask();
    let error = std::process::Command::new(path)
        .arg0(arg0)
        .args(args)
        .exec();
    std::process::exit(match error.kind() {
        io::ErrorKind::PermissionDenied => 126,
        _ => 127,
    });
}

/// `SIGTERM` for 15.
pub(crate) fn name(signal: i32) -> String {
    match Signal::try_from(signal) {
        Ok(signal) => signal.as_str().to_string(),
        Err(_) => format!("signal {signal}"),
    }
}
