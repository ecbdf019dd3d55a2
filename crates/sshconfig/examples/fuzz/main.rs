//! Runs the parser, the editor and the resolver on generated and mutated
//! bytes; any panic is a bug.
//!
//! `cargo run --release -p sshconfig --example fuzz -- --iterations N --seed S [--corpus DIR]`

#[path = "../../tests/it/generate.rs"]
mod generate;

mod engine;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let mut iterations = 100_000u64;
    let mut seed = 1u64;
    let mut corpus = Some(PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures"
    )));
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        let parsed = match (arg.as_str(), value) {
            ("--iterations", Some(v)) => v.parse().map(|n| iterations = n).is_ok(),
            ("--seed", Some(v)) => v.parse().map(|n| seed = n).is_ok(),
            ("--corpus", Some(v)) => {
                corpus = Some(PathBuf::from(v));
                true
            }
            _ => false,
        };
        if !parsed {
            eprintln!("usage: fuzz [--iterations N] [--seed S] [--corpus DIR]");
            return ExitCode::from(2);
        }
    }
    let start = Instant::now();
    let n = engine::run(iterations, seed, corpus.as_deref());
    println!(
        "fuzz: {n} cases from seed {seed} without a panic in {:.1?}",
        start.elapsed()
    );
    ExitCode::SUCCESS
}
