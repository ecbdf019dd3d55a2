//! `cargo xtask sshconfig-diff`: the `sshconfig` crate's comparisons with
//! the real ssh (the differential test of the resolver and the round trips
//! of `render`) against Debian 13's OpenSSH 10.0, in a container.
//!
//! The host's own OpenSSH runs them in `cargo test`; this task runs the same
//! test binary, built on the host, in a trixie container that has only
//! openssh-client added. The image is made once from the debootstrapped
//! trixie of `debian-check` (apt-get inside a container) and reused while
//! it exists; the container is removed however the run ends.

use std::time::Instant;

use crate::cmd;
use crate::debian::{ensure_packages_image, packages_image, Container};
use crate::DynError;

/// The image's repository; its tag is a hash of [`PACKAGES`].
const IMAGE: &str = "redock-fixture/trixie-ssh";

const PACKAGES: &[&str] = &["openssh-client"];

/// Where the test binary goes inside the container.
const BINARY: &str = "/usr/local/bin/sshconfig-it";

/// The tests that compare with the installed ssh.
const FILTERS: &[&str] = &["differential::", "render::"];

/// The OpenSSH release the container must have, as `ssh -V` begins.
const EXPECTED: &str = "OpenSSH_10.0";

pub fn run(args: &[String]) -> Result<(), DynError> {
    if let Some(arg) = args.first() {
        return Err(format!("sshconfig-diff: unexpected argument `{arg}`").into());
    }
    let started = Instant::now();
    let binary = build_test_binary()?;
    let name = format!("redock-sshconfig-diff-{}", std::process::id());
    let image = packages_image(IMAGE, PACKAGES);
    ensure_packages_image(&image, PACKAGES, &name)?;

    let c = Container::start(&name, &image)?;
    let version = cmd::new("docker")
        .args(["exec", &c.name, "sh", "-c", "ssh -V 2>&1"])
        .read()?;
    println!("container ssh: {}", version.trim());
    if !version.starts_with(EXPECTED) {
        return Err(format!("the container's ssh is not {EXPECTED}: {}", version.trim()).into());
    }
    cmd::new("docker")
        .arg("cp")
        .arg(&binary)
        .arg(format!("{}:{BINARY}", c.name))
        .run()?;
    // The tests ask `ssh -V` which release they compare with; this makes
    // sure that they found the one the container has.
    c.exec(
        ["env", "SSHCONFIG_EXPECT_OPENSSH=10.0", BINARY]
            .into_iter()
            .chain(FILTERS.iter().copied())
            .chain(["--nocapture"]),
    )?;
    println!(
        "\n==> sshconfig-diff passed against {} in {:.1?}",
        version.trim(),
        started.elapsed()
    );
    Ok(())
}

/// Builds the crate's integration test binary and returns its path.
fn build_test_binary() -> Result<std::path::PathBuf, DynError> {
    let out = cmd::cargo()
        .args([
            "test",
            "--package",
            "sshconfig",
            "--test",
            "it",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .read()?;
    // One JSON object a line; the test target's has its executable.
    out.lines()
        .filter(|l| l.contains(r#""reason":"compiler-artifact""#))
        .filter(|l| l.contains(r#""kind":["test"]"#) && l.contains(r#""name":"it""#))
        .find_map(|l| json_string_field(l, "executable"))
        .map(std::path::PathBuf::from)
        .ok_or_else(|| "cargo did not report the sshconfig test binary".into())
}

/// The value of `"field":"…"` in one line of cargo's JSON output (paths,
/// so only `\\` and `\"` escapes matter).
fn json_string_field(line: &str, field: &str) -> Option<String> {
    let start = line.find(&format!("\"{field}\":\""))? + field.len() + 4;
    let mut out = String::new();
    let mut chars = line[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => out.push(chars.next()?),
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executable_is_read_from_cargo_json() {
        let line = r#"{"reason":"compiler-artifact","target":{"kind":["test"],"name":"it"},"executable":"/t/a\"b\\c/it-1"}"#;
        assert_eq!(
            json_string_field(line, "executable").as_deref(),
            Some(r#"/t/a"b\c/it-1"#)
        );
        assert_eq!(json_string_field(line, "missing"), None);
    }
}
