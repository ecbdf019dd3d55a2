//! `cargo xtask bench [--quick] [--case CASE]…`: the `sshconfig`
//! benchmark, then redock's start → ssh → kill cycle timed against the
//! same cycle done by hand with docker and ssh on the same base image, then
//! the cases of `bench/cases.rs` (shared connections, the first
//! connection, six NAMEs at once, status). Each case ends as a median of
//! per-pair ratios, and the table at the end is PERFORMANCE.md's.
//! `--case` (repeatable) runs only the cases named (`sshconfig`, `cycle`,
//! `ssh`, `run`, `first`, `six`, `status`); `--quick` runs fewer pairs.
//! `REDOCK_BENCH_EXE` measures another redock binary than this tree's.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cmd::{self, Cmd, TempDir};
use crate::{fixture, target_dir, DynError};

mod cases;

/// Pairs of the start → ssh → kill cycle: its two sides vary by tens of
/// milliseconds from one run to the next on a shared machine.
const CYCLES: usize = 31;
/// Pairs per case (twice this for the quick ones).
const PAIRS: usize = 10;
const BASE_IMAGE: &str = "redock:base";
const SSH_WAIT: Duration = Duration::from_secs(30);

/// The cases `--case` chooses from; all of them by default.
const CASES: [&str; 7] = ["sshconfig", "cycle", "ssh", "run", "first", "six", "status"];

pub fn run(args: &[String]) -> Result<(), DynError> {
    let mut chosen: Vec<String> = Vec::new();
    let mut quick = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--case" => match args.next() {
                Some(case) if CASES.contains(&case.as_str()) => chosen.push(case.clone()),
                _ => return Err(format!("bench: --case takes one of {}", CASES.join(", ")).into()),
            },
            other => return Err(format!("bench: unexpected argument `{other}`").into()),
        }
    }
    let want = |case: &str| chosen.is_empty() || chosen.iter().any(|c| c == case);
    let cycles = if quick { 2 } else { CYCLES };
    let pairs = if quick { 4 } else { PAIRS };

    if want("sshconfig") {
        cmd::cargo()
            .args(["run", "--release", "-p", "sshconfig", "--example", "bench"])
            .run()?;
    }
    if !CASES[1..].iter().any(|c| want(c)) {
        return Ok(());
    }

    cmd::cargo()
        .args(["build", "--release", "-p", "redock", "--bin", "redock"])
        .run()?;
    fixture::ensure(false)?;
    let tmp = TempDir::new("bench")?;
    // Another build (an earlier commit's, say) can be measured the same way.
    let exe = std::env::var_os("REDOCK_BENCH_EXE")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("release/redock"));
    let redock = Redock {
        exe,
        home: tmp.path().join("home"),
        ssh_config: tmp.path().join("config"),
    };
    redock
        .cmd()
        .args(["base", "--from", &fixture::image()])
        .run()?;

    let tag = format!("c{}", std::process::id());
    let mut bench = Bench {
        name: format!("redock-bench:{tag}"),
        // The tag is the host name, already a slug.
        alias: format!("{tag}-container"),
        key: tmp.path().join("id_ed25519"),
        redock,
        containers: Vec::new(),
        rss: RssProbe::find(),
    };
    bench.make_key()?;

    let mut rows = Vec::new();
    if want("cycle") {
        println!("\n==> warming up (not counted)");
        bench.redock_cycle()?;
        bench.docker_cycle()?;
        let mut redock = Vec::new();
        let mut docker = Vec::new();
        for i in 1..=cycles {
            println!("==> cycle {i}/{cycles}");
            // Alternating which goes first, as the other cases do.
            if i % 2 == 1 {
                redock.push(bench.redock_cycle()?);
                docker.push(bench.docker_cycle()?);
            } else {
                docker.push(bench.docker_cycle()?);
                redock.push(bench.redock_cycle()?);
            }
        }
        report(&redock, &docker, bench.rss.source());
        let pairs: Vec<(Duration, Duration)> = redock
            .iter()
            .zip(&docker)
            .map(|(r, d)| (r.total(), d.total()))
            .collect();
        rows.push(cases::row(
            "start → ssh → kill / `docker create`+`start`+`exec` (key) + ssh-retry + `docker rm -f`",
            &pairs,
            Some(1.05),
            "the engine's create and start, and sshd coming up; redock also pins the host key",
        ));
    }
    let mut cases = cases::Cases::new(&bench.redock, &bench.key, pairs);
    if ["ssh", "run", "first"].iter().any(|c| want(c)) {
        println!("\n==> connections");
        rows.extend(cases.connections(&want)?);
    }
    if want("six") {
        println!("\n==> six NAMEs");
        rows.extend(cases.six()?);
    }
    if want("status") {
        println!("\n==> status");
        rows.extend(cases.status()?);
    }
    drop(cases);
    println!("\n{}", cases::table(&rows));
    Ok(())
}

struct Redock {
    exe: PathBuf,
    home: PathBuf,
    ssh_config: PathBuf,
}

impl Redock {
    /// A redock command confined to the benchmark's own home and SSH
    /// client configuration.
    fn cmd(&self) -> Cmd {
        self.env(cmd::new(&self.exe))
    }

    fn env(&self, cmd: Cmd) -> Cmd {
        cmd.env("REDOCK_HOME", &self.home)
            .env("REDOCK_SSH_CONFIG", &self.ssh_config)
    }
}

struct Bench {
    name: String,
    alias: String,
    key: PathBuf,
    redock: Redock,
    /// Containers of the docker cycle not yet removed.
    containers: Vec<String>,
    rss: RssProbe,
}

/// `docker create` of a container as redock's base image wants it by
/// hand: sshd published on the loopback, the keys' tmpfs.
fn plain_create() -> Cmd {
    cmd::new("docker")
        .args(["create", "-p", "127.0.0.1::22"])
        .args(["--tmpfs", "/run/redock:mode=0700", BASE_IMAGE])
}

/// Hands the public key of `key` in to the started container `id`: the
/// base image's sshd reads it from the tmpfs, where the container made its
/// host key when it started (by hand, ssh is told to take any host key).
fn hand_key_in(id: &str, key: &Path) -> Result<Cmd, DynError> {
    let public = fs::read_to_string(key.with_extension("pub"))?;
    Ok(cmd::new("docker")
        .args(["exec", id, "sh", "-c"])
        .arg("printf '%s\\n' \"$1\" > /run/redock/authorized_keys")
        .args(["sh", public.trim()]))
}

/// One start → ssh → kill cycle, timed per phase.
struct Cycle {
    start: Duration,
    ssh: Duration,
    kill: Duration,
    /// Peak resident set size of the start command, in KiB.
    rss_kib: Option<u64>,
}

impl Cycle {
    fn total(&self) -> Duration {
        self.start + self.ssh + self.kill
    }
}

impl Bench {
    /// The key the docker cycle hands in to its containers.
    fn make_key(&self) -> Result<(), DynError> {
        cmd::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "redock-bench", "-f"])
            .arg(&self.key)
            .read()?;
        Ok(())
    }

    /// `redock start --no-ssh`, one `ssh ALIAS true`, `redock kill`.
    fn redock_cycle(&mut self) -> Result<Cycle, DynError> {
        let (start, rss_kib) = self
            .rss
            .run(&self.redock, &["start", "--no-ssh", &self.name])?;

        let t = Instant::now();
        cmd::new("ssh")
            .arg("-F")
            .arg(self.redock.home.join("ssh_config"))
            .args(["-o", "BatchMode=yes", &self.alias, "true"])
            .read()?;
        let ssh = t.elapsed();

        let t = Instant::now();
        self.redock.cmd().args(["kill", &self.name]).read()?;
        let kill = t.elapsed();
        Ok(Cycle {
            start,
            ssh,
            kill,
            rss_kib,
        })
    }

    /// The same by hand: create with a published port and the keys' tmpfs,
    /// start, hand the key in and make a host key, ask for the port, poll
    /// ssh until it answers, remove.
    fn docker_cycle(&mut self) -> Result<Cycle, DynError> {
        let t = Instant::now();
        let id = plain_create().read()?.trim().to_string();
        self.containers.push(id.clone());
        cmd::new("docker").args(["start", &id]).read()?;
        hand_key_in(&id, &self.key)?.read()?;
        let endpoint = cmd::new("docker").args(["port", &id, "22/tcp"]).read()?;
        let port = endpoint
            .lines()
            .find_map(|l| l.trim().strip_prefix("127.0.0.1:"))
            .ok_or_else(|| {
                format!("`docker port {id} 22/tcp` printed no 127.0.0.1 port: {endpoint:?}")
            })?
            .to_string();
        let start = t.elapsed();

        let t = Instant::now();
        loop {
            if self.plain_ssh(&port).succeeds() {
                break;
            }
            if t.elapsed() > SSH_WAIT {
                // One more attempt whose error says why.
                self.plain_ssh(&port).read()?;
                return Err(format!("sshd in {id} did not answer within {SSH_WAIT:?}").into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let ssh = t.elapsed();

        let t = Instant::now();
        cmd::new("docker").args(["rm", "-f", &id]).read()?;
        let kill = t.elapsed();
        self.containers.retain(|c| *c != id);
        Ok(Cycle {
            start,
            ssh,
            kill,
            rss_kib: None,
        })
    }

    fn plain_ssh(&self, port: &str) -> Cmd {
        cmd::new("ssh")
            .args(["-F", "/dev/null", "-o", "StrictHostKeyChecking=no"])
            .args(["-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes"])
            .args(["-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR", "-i"])
            .arg(&self.key)
            .args(["-p", port, "root@127.0.0.1", "true"])
    }
}

/// Whatever the benchmark leaves running or built is removed, also when a
/// step fails part-way.
impl Drop for Bench {
    fn drop(&mut self) {
        let _ = self.redock.cmd().args(["kill", &self.name]).read();
        let _ = self
            .redock
            .cmd()
            .args(["delete", "--force", &self.name])
            .read();
        let _ = cmd::new("docker").args(["rmi", "-f", &self.name]).read();
        for id in &self.containers {
            let _ = cmd::new("docker").args(["rm", "-f", id]).read();
        }
    }
}

/// How the peak memory of `redock start` is measured: GNU time reports the
/// kernel's own figure (`ru_maxrss`); without it, `VmHWM` is sampled from
/// `/proc` while the process runs, which can only under-report.
enum RssProbe {
    GnuTime(PathBuf),
    Sampled,
}

impl RssProbe {
    fn find() -> RssProbe {
        let time = PathBuf::from("/usr/bin/time");
        let gnu = cmd::new(&time).args(["-f", "%M", "true"]).succeeds();
        if gnu {
            RssProbe::GnuTime(time)
        } else {
            RssProbe::Sampled
        }
    }

    fn source(&self) -> &'static str {
        match self {
            RssProbe::GnuTime(_) => "ru_maxrss from /usr/bin/time",
            RssProbe::Sampled => "VmHWM sampled from /proc; a lower bound",
        }
    }

    /// Runs redock with `args`, timing it and measuring its peak RSS.
    fn run(&self, redock: &Redock, args: &[&str]) -> Result<(Duration, Option<u64>), DynError> {
        match self {
            RssProbe::GnuTime(time) => {
                let out = redock.home.with_file_name("time.out");
                let cmd = cmd::new(time)
                    .args(["-f", "%M", "-o"])
                    .arg(&out)
                    .arg(&redock.exe)
                    .args(args);
                let t = Instant::now();
                redock.env(cmd).read()?;
                let elapsed = t.elapsed();
                let kib = fs::read_to_string(&out)?
                    .lines()
                    .last()
                    .and_then(|l| l.trim().parse().ok());
                Ok((elapsed, kib))
            }
            RssProbe::Sampled => sampled(redock.cmd().args(args)),
        }
    }
}

fn sampled(mut redock_cmd: Cmd) -> Result<(Duration, Option<u64>), DynError> {
    let shown = redock_cmd.shown().to_string();
    let t = Instant::now();
    let mut child = redock_cmd
        .command()
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = None;
    let status = loop {
        if let Some(kib) = vm_hwm(Path::new(&status_path)) {
            peak = peak.max(Some(kib));
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let elapsed = t.elapsed();
    cmd::check(&shown, status, "")?;
    Ok((elapsed, peak))
}

fn vm_hwm(status: &Path) -> Option<u64> {
    fs::read_to_string(status)
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

fn report(redock: &[Cycle], docker: &[Cycle], rss_source: &str) {
    type Phase = fn(&Cycle) -> Duration;
    let phases: [(&str, Phase); 4] = [
        ("start", |c| c.start),
        ("ssh", |c| c.ssh),
        ("kill", |c| c.kill),
        ("total", Cycle::total),
    ];
    println!("\nstart → ssh → kill, {CYCLES} cycles, milliseconds");
    println!("{:<8}{:>22}{:>22}", "", "redock", "docker + ssh");
    println!(
        "{:<8}{:>11}{:>11}{:>11}{:>11}",
        "phase", "median", "min", "median", "min"
    );
    for (name, phase) in phases {
        let r: Vec<Duration> = redock.iter().map(phase).collect();
        let d: Vec<Duration> = docker.iter().map(phase).collect();
        println!(
            "{name:<8}{:>11.1}{:>11.1}{:>11.1}{:>11.1}",
            ms(median(&r)),
            ms(min(&r)),
            ms(median(&d)),
            ms(min(&d))
        );
    }
    println!("(redock start waits for sshd itself; by hand, that wait is in the ssh phase)");
    let rss: Vec<u64> = redock.iter().filter_map(|c| c.rss_kib).collect();
    match rss.iter().max() {
        Some(max) => {
            let mut sorted = rss.clone();
            sorted.sort_unstable();
            println!(
                "peak RSS of `redock start`: max {:.1} MiB, median {:.1} MiB ({rss_source})",
                *max as f64 / 1024.0,
                sorted[sorted.len() / 2] as f64 / 1024.0
            );
        }
        None => println!("peak RSS of `redock start`: not measured ({rss_source})"),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

fn min(samples: &[Duration]) -> Duration {
    samples.iter().copied().min().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even() {
        let d = |ms| Duration::from_millis(ms);
        assert_eq!(median(&[d(5), d(1), d(3)]), d(3));
        assert_eq!(
            median(&[d(4), d(1), d(3), d(2)]),
            Duration::from_micros(2500)
        );
        assert_eq!(min(&[d(4), d(1)]), d(1));
    }

    #[test]
    fn vm_hwm_is_read_from_proc() {
        assert!(vm_hwm(Path::new("/proc/self/status")).is_some_and(|kib| kib > 0));
    }
}
