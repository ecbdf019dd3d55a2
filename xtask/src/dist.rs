//! `cargo xtask dist [--check]`: the release binary, its man pages, shell
//! completions and docs, laid out under `target/dist/` the way a package
//! installs them, so that a packager copies the tree as it is.
//!
//! Also `cargo xtask package-check`: the `sshconfig` crate is published on
//! its own, so it must build from its `.crate` file alone.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use clap_complete::Shell;

use crate::cmd::{self, find_program, TempDir};
use crate::{project_root, target_dir, DynError};

// redock's clap types: they run nothing and use nothing of redock's, so
// xtask builds them as one of its own modules instead of linking redock.
#[path = "../../src/cli.rs"]
mod cli;

const BIN: &str = "redock";

/// Where each shell looks for completions that a package installs.
const COMPLETIONS: &[(Shell, &str)] = &[
    (Shell::Bash, "usr/share/bash-completion/completions/redock"),
    (Shell::Zsh, "usr/share/zsh/vendor-completions/_redock"),
    (
        Shell::Fish,
        "usr/share/fish/vendor_completions.d/redock.fish",
    ),
];

const MAN_DIR: &str = "usr/share/man/man1";
const DOC_DIR: &str = "usr/share/doc/redock";
const DOCS: &[&str] = &["README.md", "LICENSE"];

pub fn run(args: &[String]) -> Result<(), DynError> {
    let mut check = false;
    for arg in args {
        match arg.as_str() {
            "--check" => check = true,
            other => return Err(format!("dist: unexpected argument `{other}`").into()),
        }
    }
    let dist = target_dir().join("dist");
    build(&dist)?;
    if check {
        self::check(&dist)?;
    }
    Ok(())
}

/// Writes the tree afresh, so that nothing of an older layout stays.
fn build(dist: &Path) -> Result<(), DynError> {
    println!("==> building the release binary");
    cmd::cargo()
        .args(["build", "--release", "--package", BIN, "--bin", BIN])
        .run()?;

    println!("==> laying out {}", dist.display());
    if dist.exists() {
        fs::remove_dir_all(dist).map_err(|e| format!("cannot remove {}: {e}", dist.display()))?;
    }
    let bin = dist.join("usr/bin").join(BIN);
    copy(&target_dir().join("release").join(BIN), &bin)?;
    set_mode(&bin, 0o755)?;
    let command = command(&bin)?;

    let man_dir = dist.join(MAN_DIR);
    create_dir(&man_dir)?;
    // generate_to writes one page per subcommand, named `redock-start.1`
    // and so on, and leaves out clap's `help` pseudo-command.
    clap_mangen::generate_to(command.clone(), &man_dir)
        .map_err(|e| format!("cannot write the man pages to {}: {e}", man_dir.display()))?;

    for (shell, path) in COMPLETIONS {
        let path = dist.join(path);
        let mut script = Vec::new();
        clap_complete::generate(*shell, &mut command.clone(), BIN, &mut script);
        write(&path, &script)?;
    }

    for doc in DOCS {
        copy(&project_root().join(doc), &dist.join(DOC_DIR).join(doc))?;
    }

    for file in files_under(dist)? {
        let shown = file.strip_prefix(dist).unwrap_or(&file);
        println!("    {}", shown.display());
    }
    Ok(())
}

/// redock's clap command with the version the built binary prints, which
/// redock's build script made (xtask has no such script): the man pages and
/// completions then describe that binary, and the completions offer
/// `--version` as it does.
fn command(bin: &Path) -> Result<clap::Command, DynError> {
    let printed = cmd::new(bin).arg("--version").read()?;
    let version = printed
        .trim()
        .strip_prefix(&format!("{BIN} "))
        .ok_or_else(|| format!("`{BIN} --version` printed {printed:?}"))?;
    Ok(cli::command().version(version.to_string().leak() as &str))
}

/// Checks that what `build` wrote works where it is installed: the binary
/// runs, every man page renders, and each shell accepts its completions.
fn check(dist: &Path) -> Result<(), DynError> {
    println!("==> checking {}", dist.display());
    let bin = dist.join("usr/bin").join(BIN);
    let version = cmd::new(&bin).arg("--version").read()?;
    // A build from a git checkout may add the commit after the version.
    let expected = format!("{BIN} {}", cargo_version(BIN)?);
    if version.trim() != expected && !version.starts_with(&format!("{expected} ")) {
        return Err(format!("`redock --version` printed {version:?}, not {expected:?}").into());
    }
    println!("ok: {}", version.trim());

    check_man_pages(&dist.join(MAN_DIR))?;
    check_bash(&dist.join(COMPLETIONS[0].1))?;
    check_syntax("zsh", &dist.join(COMPLETIONS[1].1))?;
    check_syntax("fish", &dist.join(COMPLETIONS[2].1))?;
    println!("==> dist check passed");
    Ok(())
}

/// Renders every page as `man` would show it: the render must succeed
/// without warnings, the main page must name each subcommand's page, and
/// each subcommand must have its page.
fn check_man_pages(man_dir: &Path) -> Result<(), DynError> {
    let groff = find_program("groff").ok_or(
        "cannot render the man pages: groff is not installed (apt-get install groff-base)",
    )?;
    let pages = files_under(man_dir)?;
    for page in &pages {
        // As man does: -k reads UTF-8 help text through preconv. -ww turns
        // on groff's warnings, -rLL sets a terminal's line length and
        // -P-cbou asks for plain text without overstruck bold.
        let (stdout, stderr) = output(
            cmd::new(&groff)
                .args(["-k", "-man", "-Tutf8", "-ww", "-rLL=80n", "-P-cbou"])
                .arg(page)
                .env("LC_ALL", "C.UTF-8"),
        )?;
        if !stderr.trim().is_empty() {
            return Err(format!("{} renders with warnings:\n{stderr}", page.display()).into());
        }
        if !stdout.contains("NAME") || !stdout.contains("SYNOPSIS") {
            return Err(format!("{} renders without NAME and SYNOPSIS", page.display()).into());
        }
    }

    let root = man_dir.join(format!("{BIN}.1"));
    let rendered = cmd::new(&groff)
        .args(["-k", "-man", "-Tutf8", "-rLL=200n", "-P-cbou"])
        .arg(&root)
        .env("LC_ALL", "C.UTF-8")
        .read()?;
    for sub in cli::command().get_subcommands() {
        if sub.is_hide_set() {
            continue;
        }
        let name = format!("{BIN}-{}", sub.get_name());
        if !man_dir.join(format!("{name}.1")).is_file() {
            return Err(format!("no man page {name}.1 in {}", man_dir.display()).into());
        }
        if !rendered.contains(&format!("{name}(1)")) {
            return Err(format!("{BIN}(1) does not mention {name}(1)").into());
        }
    }
    println!("ok: {} man pages render", pages.len());
    Ok(())
}

/// Sources the bash completion and completes `redock st` the way bash
/// does: clap_complete's function is `_redock`, called with the command,
/// the word being completed and the word before it.
fn check_bash(script: &Path) -> Result<(), DynError> {
    let program = r#"
source "$1" || exit 1
declare -F _redock >/dev/null || { echo "the script defines no _redock" >&2; exit 1; }
COMP_WORDS=(redock st)
COMP_CWORD=1
COMP_LINE="redock st"
COMP_POINT=${#COMP_LINE}
_redock redock st redock
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let out = cmd::new("bash")
        .args(["--norc", "-c", program, "bash"])
        .arg(script)
        .read()?;
    let words: Vec<&str> = out.lines().collect();
    for expected in ["start", "status"] {
        if !words.contains(&expected) {
            return Err(format!(
                "bash completes `redock st` to {words:?}, which lacks `{expected}`"
            )
            .into());
        }
    }
    println!("ok: bash completes `redock st` to {}", words.join(" "));
    Ok(())
}

/// Parses a completion script with its shell, where that shell is
/// installed; neither is needed to build the tree.
fn check_syntax(shell: &str, script: &Path) -> Result<(), DynError> {
    let Some(program) = find_program(shell) else {
        println!("skipped: {shell} is not installed, so its completions are not parsed");
        return Ok(());
    };
    cmd::new(program).arg("-n").arg(script).read()?;
    println!("ok: {shell} parses {}", script.display());
    Ok(())
}

/// `cargo xtask package-check`: lists what `cargo package` puts into the
/// `sshconfig` crate, lets cargo build the packaged crate, then runs its
/// tests from the unpacked `.crate` outside the workspace, where nothing
/// else in the repository can be reached.
pub fn package_check(args: &[String]) -> Result<(), DynError> {
    if let Some(arg) = args.first() {
        return Err(format!("package-check: unexpected argument `{arg}`").into());
    }
    const CRATE: &str = "sshconfig";
    // The lead commits; a dirty work tree is not what this checks.
    let listed = cmd::cargo()
        .args([
            "package",
            "--package",
            CRATE,
            "--allow-dirty",
            "--no-verify",
            "--list",
        ])
        .read()?;
    println!("{CRATE} packages these files:");
    for file in listed.lines() {
        println!("    {file}");
    }
    for required in ["Cargo.toml", "README.md", "LICENSE", "src/lib.rs"] {
        if !listed.lines().any(|f| f == required) {
            return Err(format!("the {CRATE} package lacks {required}").into());
        }
    }

    // Without --no-verify, cargo builds the unpacked crate itself.
    cmd::cargo()
        .args(["package", "--package", CRATE, "--allow-dirty"])
        .run()?;

    let version = cargo_version(CRATE)?;
    let dot_crate = target_dir()
        .join("package")
        .join(format!("{CRATE}-{version}.crate"));
    let tmp = TempDir::new("package-check")?;
    cmd::new("tar")
        .arg("-xzf")
        .arg(&dot_crate)
        .arg("-C")
        .arg(tmp.path())
        .run()?;
    let unpacked = tmp.path().join(format!("{CRATE}-{version}"));
    cmd::cargo()
        .arg("test")
        .arg("--manifest-path")
        .arg(unpacked.join("Cargo.toml"))
        // A target directory of its own each time: the unpacked files carry
        // the package's old mtimes, so a reused one would pass on stale
        // test binaries built from an earlier package.
        .env("CARGO_TARGET_DIR", tmp.path().join("target"))
        .run()?;
    println!("==> {CRATE} {version} builds and passes its tests from its package alone");
    Ok(())
}

/// A workspace member's version, from `cargo pkgid`, whose output ends in
/// `@VERSION` or `#VERSION`.
fn cargo_version(package: &str) -> Result<String, DynError> {
    let id = cmd::cargo().args(["pkgid", "--package", package]).read()?;
    let id = id.trim();
    id.rsplit(['@', '#'])
        .next()
        .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_string)
        .ok_or_else(|| format!("cannot read a version from `cargo pkgid`: {id}").into())
}

/// Runs a command and returns its standard output and error, both read
/// at once by std so that neither pipe can stall the child.
fn output(mut cmd: cmd::Cmd) -> Result<(String, String), DynError> {
    let out = cmd
        .command()
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not run `{}`: {e}", cmd.shown()))?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    cmd::check(cmd.shown(), out.status, &stderr)?;
    Ok((String::from_utf8_lossy(&out.stdout).into_owned(), stderr))
}

fn create_dir(dir: &Path) -> Result<(), DynError> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()).into())
}

fn copy(from: &Path, to: &Path) -> Result<(), DynError> {
    create_dir(to.parent().expect("a file has a parent"))?;
    fs::copy(from, to)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
    Ok(())
}

fn write(path: &Path, contents: &[u8]) -> Result<(), DynError> {
    create_dir(path.parent().expect("a file has a parent"))?;
    fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}

fn set_mode(path: &Path, mode: u32) -> Result<(), DynError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| format!("cannot chmod {}: {e}", path.display()).into())
}

/// Every file below `dir`, sorted.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>, DynError> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in
            fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}
