//! Working on several NAMEs at once: `start`, `kill`, `commit` and `delete`
//! given more than one NAME run each on a thread of its own, at most
//! [`bound`] at a time, and report each outcome in the order the NAMEs were
//! given, as soon as it and those before it are known.
//!
//! What keeps them apart is what keeps two redock processes apart: each
//! NAME's lock, the state file's, the home's and the ssh configs' are
//! `flock`s on a file each holder opens for itself, which exclude threads
//! of one process as they exclude processes. The callers do once, first,
//! what all NAMEs share (the key pair, the base image).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex, PoisonError};
use std::time::Duration;

/// How many NAMEs are worked on at once: four times the CPUs, since most
/// of a NAME's time is spent waiting for the engine and sshd, not
/// computing (six NAMEs on two CPUs start faster all at once than four
/// and then two, as `cargo xtask bench --case six` measures).
pub fn bound() -> usize {
    4 * std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs `work` on each of `items`, on up to `limit` threads at once, and
/// hands each result to `report`, on the calling thread, in the order of
/// `items`: each as soon as it and all before it are done. One item runs
/// on the calling thread.
pub fn each<T, R>(
    items: &[T],
    limit: usize,
    work: impl Fn(&T) -> R + Sync,
    mut report: impl FnMut(&T, R),
) where
    T: Sync,
    R: Send,
{
    let workers = limit.max(1).min(items.len());
    if workers <= 1 {
        for item in items {
            report(item, work(item));
        }
        return;
    }
    let next = AtomicUsize::new(0);
    let (sender, results) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let sender = sender.clone();
            let (next, work) = (&next, &work);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else {
                    break;
                };
                if sender.send((i, work(item))).is_err() {
                    break;
                }
            });
        }
        // The loop below ends when every worker is done (or has panicked,
        // which the scope then passes on).
        drop(sender);
        let mut done: Vec<Option<R>> = items.iter().map(|_| None).collect();
        let mut shown = 0;
        for (i, result) in results {
            done[i] = Some(result);
            while let Some(result) = done.get_mut(shown).and_then(Option::take) {
                report(&items[shown], result);
                shown += 1;
            }
        }
    });
}

/// Lets calls made beside a longer main call begin a little after it: on
/// a machine of few CPUs their CLIs would slow the start of the main
/// call's, which the command waits for, and they end long before it does.
/// They begin once the delay has passed, or at once when the main call
/// ended sooner.
pub struct Stagger {
    ended: Mutex<bool>,
    changed: Condvar,
    delay: Duration,
}

impl Stagger {
    pub fn new(delay: Duration) -> Stagger {
        Stagger {
            ended: Mutex::new(false),
            changed: Condvar::new(),
            delay,
        }
    }

    /// Waits until a call beside the main one may begin.
    pub fn wait(&self) {
        let ended = self.ended.lock().unwrap_or_else(PoisonError::into_inner);
        let waited = self
            .changed
            .wait_timeout_while(ended, self.delay, |ended| !*ended);
        drop(waited);
    }

    /// Says that the main call has ended: what waits begins now.
    pub fn main_ended(&self) {
        *self.ended.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;
    use std::time::Instant;

    #[test]
    fn a_stagger_waits_for_its_delay_or_the_end_of_the_main_call() {
        let stagger = Stagger::new(Duration::from_millis(50));
        let t = Instant::now();
        stagger.wait();
        assert!(t.elapsed() >= Duration::from_millis(50));

        // Ended before anything waits: no wait at all.
        let stagger = Stagger::new(Duration::from_secs(60));
        stagger.main_ended();
        let t = Instant::now();
        stagger.wait();
        assert!(t.elapsed() < Duration::from_secs(30));

        // Ended while two wait: both go on.
        let stagger = Stagger::new(Duration::from_secs(60));
        let t = Instant::now();
        std::thread::scope(|scope| {
            let waiting = [
                scope.spawn(|| stagger.wait()),
                scope.spawn(|| stagger.wait()),
            ];
            std::thread::sleep(Duration::from_millis(20));
            stagger.main_ended();
            for waiting in waiting {
                waiting.join().unwrap();
            }
        });
        assert!(t.elapsed() < Duration::from_secs(30));
    }

    #[test]
    fn results_come_in_the_order_given() {
        let items: Vec<u64> = (0..12).collect();
        let mut seen = Vec::new();
        // The first ones finish last.
        each(
            &items,
            4,
            |&i| {
                std::thread::sleep(Duration::from_millis(5 * (12 - i)));
                i * 10
            },
            |&i, r| seen.push((i, r)),
        );
        let want: Vec<(u64, u64)> = items.iter().map(|&i| (i, i * 10)).collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn items_run_at_once_up_to_the_limit() {
        // Three items that each wait for the other two: only done at once.
        let barrier = Barrier::new(3);
        let mut count = 0;
        each(&[1, 2, 3], 3, |_| barrier.wait(), |_, _| count += 1);
        assert_eq!(count, 3);

        let running = AtomicUsize::new(0);
        let most = Mutex::new(0);
        each(
            &[0; 10],
            2,
            |_| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                let mut most = most.lock().unwrap();
                *most = (*most).max(now);
                drop(most);
                std::thread::sleep(Duration::from_millis(10));
                running.fetch_sub(1, Ordering::SeqCst);
            },
            |_, ()| {},
        );
        assert!(*most.lock().unwrap() <= 2);
    }

    #[test]
    fn the_bound_is_twice_the_cpus() {
        assert!(bound() >= 2);
        assert_eq!(bound() % 2, 0);
    }
}
