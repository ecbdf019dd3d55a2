//! Prints the options a configuration sets for a host, in `ssh -G` format.
//!
//! `cargo run -p sshconfig --example resolve -- [-F FILE] HOST`

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut resolver = sshconfig::Resolver::new();
    let mut host = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-F" => match args.next() {
                Some(file) => resolver = resolver.config_file(file),
                None => return usage(),
            },
            _ if host.is_none() && !arg.starts_with('-') => host = Some(arg),
            _ => return usage(),
        }
    }
    let Some(host) = host else {
        return usage();
    };
    match resolver.resolve(&host) {
        Ok(resolved) => {
            print!("{resolved}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: resolve [-F FILE] HOST");
    ExitCode::from(2)
}
