//! The cases of issue #11, each a median of per-pair ratios from one
//! interleaved run (the two sides of a pair run one right after the other,
//! in alternating order, so that the load of a shared machine falls on
//! both alike): shared connections against `docker exec`, the first
//! connection against a plain ssh, six NAMEs at once against six one
//! after another and against six plain `docker run`s in parallel, and
//! `status` with 1 and 30 containers.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use super::{median, ms, Redock, SSH_WAIT};
use crate::cmd::{self, Cmd};
use crate::DynError;

/// One line of the table: our side against the baseline.
pub struct Row {
    pub case: String,
    pub ours: Duration,
    pub base: Duration,
    pub ratio: f64,
    /// The target for the ratio, if it has one.
    pub target: Option<f64>,
    pub note: String,
}

/// What the cases share: redock in the benchmark's home, the key of the
/// plain side, and the names to clean up.
pub struct Cases<'a> {
    pub redock: &'a Redock,
    pub key: &'a Path,
    pub pairs: usize,
    pub tag: String,
    /// NAMEs redock started, killed and deleted at the end.
    names: Vec<String>,
    /// Containers of the plain side not yet removed.
    containers: Vec<String>,
}

impl<'a> Cases<'a> {
    pub fn new(redock: &'a Redock, key: &'a Path, pairs: usize) -> Cases<'a> {
        Cases {
            redock,
            key,
            pairs,
            tag: format!("m{}", std::process::id()),
            names: Vec::new(),
            containers: Vec::new(),
        }
    }

    fn name(&mut self, what: &str) -> (String, String) {
        let host = format!("{}-{what}", self.tag);
        let name = format!("redock-bench:{host}");
        if !self.names.contains(&name) {
            self.names.push(name.clone());
        }
        (name, format!("{host}-container"))
    }

    fn ssh(&self, alias: &str) -> Cmd {
        cmd::new("ssh")
            .arg("-F")
            .arg(self.redock.home.join("ssh_config"))
            .args(["-o", "BatchMode=yes", alias])
    }

    fn container_id(&self, name: &str) -> Result<String, DynError> {
        let filter = format!("label=io.redock.name={name}");
        let out = cmd::new("docker")
            .args(["ps", "-q", "--no-trunc", "--filter", &filter])
            .read()?;
        out.lines()
            .next()
            .map(str::to_string)
            .ok_or_else(|| format!("no container of {name}").into())
    }

    /// `ssh <alias> true` over the shared connection, and `redock run NAME
    /// -- true`, each against `docker exec <id> true`; then the first
    /// connection against a plain ssh with the same key.
    pub fn connections(&mut self, want: &dyn Fn(&str) -> bool) -> Result<Vec<Row>, DynError> {
        let (name, alias) = self.name("conn");
        self.redock
            .cmd()
            .args(["start", "--no-ssh", &name])
            .read()?;
        let id = self.container_id(&name)?;
        let exec = || time(cmd::new("docker").args(["exec", &id, "true"]));
        let mut rows = Vec::new();
        // The master, made once.
        self.ssh(&alias).arg("true").read()?;
        if want("ssh") {
            let pairs = interleave(self.pairs * 2, || time(self.ssh(&alias).arg("true")), exec)?;
            rows.push(row(
                "second `ssh ALIAS true` / `docker exec ID true`",
                &pairs,
                Some(0.3),
                "one mux round trip against the engine's exec",
            ));
        }
        if want("run") {
            let run = || time(self.redock.cmd().args(["run", &name, "--", "true"]));
            let pairs = interleave(self.pairs * 2, run, exec)?;
            rows.push(row(
                "`redock run NAME -- true` / `docker exec ID true`",
                &pairs,
                Some(0.7),
                "one `docker container inspect`, then ssh over the master",
            ));
        }
        if want("first") {
            let port = cmd::new("docker").args(["port", &id, "22/tcp"]).read()?;
            let port = port
                .lines()
                .find_map(|l| l.trim().strip_prefix("127.0.0.1:"))
                .ok_or("no port on 127.0.0.1")?
                .to_string();
            let key = self.redock.home.join("id_ed25519");
            // The master each first connection leaves is closed after it,
            // and its teardown (here and in the container) given time to
            // end, so that it falls on neither side of the next pair.
            self.ssh(&alias).args(["-O", "exit"]).read()?;
            let first = || {
                let t = time(self.ssh(&alias).arg("true"))?;
                self.ssh(&alias).args(["-O", "exit"]).read()?;
                std::thread::sleep(Duration::from_millis(200));
                Ok(t)
            };
            let plain = || time(plain_ssh(&key, &port).arg("true"));
            let pairs = interleave(self.pairs * 2, first, plain)?;
            rows.push(row(
                "first `ssh ALIAS true` / plain `ssh -p PORT root@127.0.0.1 true`",
                &pairs,
                Some(1.05),
                "the key exchange either way; the master forks and is asked once",
            ));
        }
        self.redock.cmd().args(["kill", &name]).read()?;
        Ok(rows)
    }

    /// Six NAMEs in one `start` against six `start`s one after another,
    /// and against six plain `docker run`s + ssh-wait in parallel.
    pub fn six(&mut self) -> Result<Vec<Row>, DynError> {
        let names: Vec<String> = (1..=6).map(|i| self.name(&format!("six{i}")).0).collect();
        // An odd number, for a median of its own; each round takes seconds.
        let rounds = (self.pairs - 1).max(3);
        let mut sequential = Vec::new();
        let mut parallel = Vec::new();
        for round in 0..rounds {
            println!("==> six NAMEs, round {}/{rounds}", round + 1);
            let one_start = || -> Result<Duration, DynError> {
                let t = time(self.redock.cmd().arg("start").arg("--no-ssh").args(&names))?;
                self.redock.cmd().arg("kill").args(&names).read()?;
                Ok(t)
            };
            let (ours, after) = if round % 2 == 0 {
                let ours = one_start()?;
                (ours, self.six_one_by_one(&names)?)
            } else {
                let after = self.six_one_by_one(&names)?;
                (one_start()?, after)
            };
            sequential.push((ours, after));
            let docker = self.six_docker()?;
            let ours = time(self.redock.cmd().arg("start").arg("--no-ssh").args(&names))?;
            self.redock.cmd().arg("kill").args(&names).read()?;
            parallel.push((ours, docker));
        }
        Ok(vec![
            row(
                "six NAMEs in one `start` / six `start`s one after another",
                &sequential,
                Some(0.75),
                "the engine's create and start, and sshd's key generation, on 2 CPUs",
            ),
            row(
                "six NAMEs in one `start` / six `docker run` + ssh-wait in parallel",
                &parallel,
                Some(1.1),
                "both wait for six sshds; redock also reads and pins six host keys",
            ),
        ])
    }

    fn six_one_by_one(&self, names: &[String]) -> Result<Duration, DynError> {
        let mut total = Duration::ZERO;
        for name in names {
            total += time(self.redock.cmd().args(["start", "--no-ssh", name]))?;
        }
        self.redock.cmd().arg("kill").args(names).read()?;
        Ok(total)
    }

    /// Six containers by hand at once: create, start, hand the key in, ask
    /// for the port, poll ssh until it answers; removed afterwards.
    fn six_docker(&mut self) -> Result<Duration, DynError> {
        let t = Instant::now();
        let results: Vec<Result<String, String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..6)
                .map(|_| scope.spawn(|| plain_container(self.key)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err("panicked".into())))
                .collect()
        });
        let elapsed = t.elapsed();
        let mut failed = None;
        for result in results {
            match result {
                Ok(id) => self.containers.push(id),
                Err(e) => failed = Some(e),
            }
        }
        self.remove_containers();
        match failed {
            Some(e) => Err(e.into()),
            None => Ok(elapsed),
        }
    }

    fn remove_containers(&mut self) {
        if !self.containers.is_empty() {
            let _ = cmd::new("docker")
                .args(["rm", "-f"])
                .args(&self.containers)
                .read();
            self.containers.clear();
        }
    }

    /// `status` with 1 and with 30 containers: the docker processes it
    /// spawns, and its time against one `ps` and one `inspect` by hand.
    pub fn status(&mut self) -> Result<Vec<Row>, DynError> {
        let names: Vec<String> = (1..=30)
            .map(|i| self.name(&format!("st{i:02}")).0)
            .collect();
        let log = self.redock.home.with_file_name("docker-calls.log");
        let wrapper = self.redock.home.with_file_name("docker-logged");
        fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\necho \"$*\" >> '{}'\nexec docker \"$@\"\n",
                log.display()
            ),
        )?;
        fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755))?;
        let mut rows = Vec::new();
        for count in [1, 30] {
            println!("==> status with {count} container(s)");
            self.redock
                .cmd()
                .arg("start")
                .arg("--no-ssh")
                .args(&names[..count])
                .read()?;
            let _ = fs::remove_file(&log);
            self.redock
                .cmd()
                .env("REDOCK_DOCKER", &wrapper)
                .arg("status")
                .read()?;
            let spawned = fs::read_to_string(&log)?.lines().count();
            let status = || time(self.redock.cmd().arg("status"));
            let home = self.redock.home.canonicalize()?;
            let filter = format!("label=io.redock.home={}", home.display());
            let by_hand = || {
                let t = Instant::now();
                let ids = cmd::new("docker")
                    .args(["ps", "-a", "-q", "--no-trunc", "--filter", &filter])
                    .read()?;
                let ids: Vec<&str> = ids.split_whitespace().collect();
                cmd::new("docker")
                    .args(["container", "inspect"])
                    .args(&ids)
                    .read()?;
                Ok(t.elapsed())
            };
            let pairs = interleave(self.pairs * 2, status, by_hand)?;
            rows.push(row(
                &format!("`status`, {count} container(s) / one `ps` + one `inspect`"),
                &pairs,
                None,
                &format!("{spawned} docker process(es) spawned"),
            ));
        }
        self.redock.cmd().arg("kill").args(&names).read()?;
        Ok(rows)
    }
}

impl Drop for Cases<'_> {
    fn drop(&mut self) {
        if !self.names.is_empty() {
            let _ = self.redock.cmd().arg("kill").args(&self.names).read();
        }
        self.remove_containers();
    }
}

/// A container made by hand as `docker run` would, reachable over ssh with
/// `key`; its id.
fn plain_container(key: &Path) -> Result<String, String> {
    let step = |c: Cmd| c.read().map_err(|e| e.to_string());
    let id = step(super::plain_create())?.trim().to_string();
    step(cmd::new("docker").args(["start", &id]))?;
    step(super::hand_key_in(&id, key).map_err(|e| e.to_string())?)?;
    let endpoint = step(cmd::new("docker").args(["port", &id, "22/tcp"]))?;
    let port = endpoint
        .lines()
        .find_map(|l| l.trim().strip_prefix("127.0.0.1:"))
        .ok_or_else(|| format!("no port on 127.0.0.1 for {id}"))?
        .to_string();
    let t = Instant::now();
    while !plain_ssh(key, &port).arg("true").succeeds() {
        if t.elapsed() > SSH_WAIT {
            return Err(format!("sshd in {id} did not answer within {SSH_WAIT:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(id)
}

/// A plain ssh to root@127.0.0.1 on `port` with `key`, reading no config.
pub fn plain_ssh(key: &Path, port: &str) -> Cmd {
    cmd::new("ssh")
        .args(["-F", "/dev/null", "-o", "StrictHostKeyChecking=no"])
        .args(["-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes"])
        .args(["-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR", "-i"])
        .arg(key)
        .args(["-p", port, "root@127.0.0.1"])
}

fn time(cmd: Cmd) -> Result<Duration, DynError> {
    let t = Instant::now();
    cmd.read()?;
    Ok(t.elapsed())
}

/// `n` pairs of `ours` and `base`, run one right after the other, the
/// order alternating from pair to pair.
fn interleave(
    n: usize,
    mut ours: impl FnMut() -> Result<Duration, DynError>,
    mut base: impl FnMut() -> Result<Duration, DynError>,
) -> Result<Vec<(Duration, Duration)>, DynError> {
    let mut pairs = Vec::with_capacity(n);
    for i in 0..n {
        if i % 2 == 0 {
            let a = ours()?;
            pairs.push((a, base()?));
        } else {
            let b = base()?;
            pairs.push((ours()?, b));
        }
    }
    Ok(pairs)
}

pub fn row(case: &str, pairs: &[(Duration, Duration)], target: Option<f64>, note: &str) -> Row {
    let ours: Vec<Duration> = pairs.iter().map(|p| p.0).collect();
    let base: Vec<Duration> = pairs.iter().map(|p| p.1).collect();
    let ratios: Vec<f64> = pairs
        .iter()
        .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64().max(1e-9))
        .collect();
    Row {
        case: format!("{case} ({} pairs)", pairs.len()),
        ours: median(&ours),
        base: median(&base),
        ratio: median_f64(&ratios),
        target,
        note: note.to_string(),
    }
}

pub fn median_f64(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The table, as PERFORMANCE.md shows it.
pub fn table(rows: &[Row]) -> String {
    let mut text = String::from(
        "| case | redock, median ms | baseline, median ms | median of ratios | target | |\n\
         |---|---:|---:|---:|---:|---|\n",
    );
    for r in rows {
        let (target, verdict) = match r.target {
            Some(t) if r.ratio <= t => (format!("≤ {t}"), "met"),
            Some(t) => (format!("≤ {t}"), "missed"),
            None => (String::new(), ""),
        };
        text.push_str(&format!(
            "| {} | {:.1} | {:.1} | {:.2} | {target} | {verdict} {} |\n",
            r.case,
            ms(r.ours),
            ms(r.base),
            r.ratio,
            r.note
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_per_pair() {
        let d = Duration::from_millis;
        let pairs = [(d(10), d(100)), (d(30), d(100)), (d(1000), d(100))];
        let r = row("x", &pairs, Some(0.5), "");
        assert!((r.ratio - 0.3).abs() < 1e-9);
        assert_eq!(r.ours, d(30));
        assert!(table(&[r]).contains("| 0.30 | ≤ 0.5 | met"));
    }
}
