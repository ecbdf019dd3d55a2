//! Times parsing and resolving a 10,000-host configuration against
//! `ssh -G` on the same file and host.
//!
//! `cargo run --release -p sshconfig --example bench`

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sshconfig::{Config, Resolver};

const HOSTS: usize = 10_000;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let samples = (0..runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed()
        })
        .collect();
    median(samples)
}

fn main() {
    let mut text = String::from("# generated benchmark configuration\n");
    for i in 0..HOSTS {
        let _ = write!(
            text,
            "Host host-{i} alias-{i}\n  HostName 10.{}.{}.{}\n  Port {}\n  User user{i}\n  IdentityFile ~/.ssh/id_{i}\n\n",
            i / 65536 % 256,
            i / 256 % 256,
            i % 256,
            1024 + i % 60000
        );
    }
    text.push_str("Host *\n  ServerAliveInterval 30\n");
    let dir = std::env::temp_dir().join(format!("sshconfig-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create scratch directory");
    let file = dir.join("config");
    std::fs::write(&file, &text).expect("write benchmark configuration");
    let host = format!("host-{}", HOSTS - 10);

    let resolver = Resolver::new().config_file(&file).include_home(&dir);
    let parse = time(50, || Config::parse(text.as_bytes()));
    let resolve = time(50, || resolver.resolve(&host).expect("resolve"));
    let ours = resolver.resolve(&host).expect("resolve");

    let ssh_run = || {
        Command::new("ssh")
            .arg("-G")
            .arg("-F")
            .arg(&file)
            .arg(&host)
            .env("HOME", &dir)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
    };
    let ssh = match ssh_run() {
        Ok(out) if out.status.success() => {
            let theirs = String::from_utf8_lossy(&out.stdout).into_owned();
            for (k, v) in ours.iter() {
                assert!(
                    theirs.lines().any(|l| l == format!("{k} {v}")),
                    "ssh -G disagrees on {k} {v}"
                );
            }
            Some(time(10, || ssh_run().expect("ssh -G")))
        }
        _ => None,
    };
    let _ = std::fs::remove_dir_all(&dir);

    println!("{} hosts ({} bytes), resolving {host}", HOSTS, text.len());
    println!("{:<34} {:>12}", "what", "median");
    println!("{:<34} {:>12.3?}", "sshconfig parse", parse);
    println!(
        "{:<34} {:>12.3?}",
        "sshconfig resolve (read + parse)", resolve
    );
    match ssh {
        Some(ssh) => {
            println!("{:<34} {:>12.3?}", "ssh -G (process)", ssh);
            println!(
                "{:<34} {:>11.1}x",
                "ssh -G / sshconfig resolve",
                ssh.as_secs_f64() / resolve.as_secs_f64()
            );
        }
        None => println!("{:<34} {:>12}", "ssh -G", "not available"),
    }
}
