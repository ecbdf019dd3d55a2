//! The fuzzing loop, shared by `examples/fuzz` and the short test run.

use std::path::Path;

use sshconfig::{Config, Resolver};

use crate::generate::{messy_config, mutate, Rng, HOSTS};

/// Runs `iterations` cases from `seed`. Any panic is a bug; `corpus` adds
/// real files to mutate. Returns the number of cases run.
pub fn run(iterations: u64, seed: u64, corpus: Option<&Path>) -> u64 {
    let mut rng = Rng::new(seed);
    let mut seeds: Vec<Vec<u8>> = vec![b"Host *\n  User x\n".to_vec()];
    if let Some(dir) = corpus {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                if let Ok(bytes) = std::fs::read(entry.path()) {
                    seeds.push(bytes);
                }
            }
        }
    }
    let home = std::env::temp_dir().join(format!("sshconfig-fuzz-{}", std::process::id()));
    // `Match exec` in random input must never run random commands: `false`
    // stands in for the shell, so every exec condition is simply false.
    let resolver = Resolver::new()
        .home(&home)
        .include_home(&home)
        .shell("false")
        .local_hostname("fuzz.example");
    for i in 0..iterations {
        let input = match rng.below(3) {
            0 => messy_config(&mut rng),
            1 => {
                let base = rng.clone_pick(&seeds);
                mutate(&mut rng, &base)
            }
            _ => (0..rng.below(200)).map(|_| rng.next() as u8).collect(),
        };
        let mut config = Config::parse(&input);
        assert_eq!(config.to_bytes(), input, "round trip, case {i}");
        let _ = config.host_blocks();
        let _ = config.find_include_with_home(Path::new("/x/y"), Some(&home));
        let at = config.insert_before_first_host_or_match("Include /x/y");
        config.set_host_block("fuzz", &[("Port", "1")]);
        config.set_host_block("fuzz", &[("Port", "2")]);
        config.remove_host_block("fuzz");
        config
            .remove_line(at)
            .expect("the inserted line is still there");
        assert_eq!(config.to_bytes(), input, "undo, case {i}");
        // The other edits must not panic either.
        let top = config.insert_before_first_directive("Include /x/z");
        let pick = config.lines().nth(rng.below(config.len()));
        if let Some(line) = pick {
            let _ = config.move_before_first_directive(line);
        }
        let _ = config.move_before_first_directive(top);
        for id in config.lines().collect::<Vec<_>>() {
            let _ = (
                config.keyword(id),
                config.arguments(id),
                config.is_in_block(id),
            );
        }
        let host = *rng.pick(HOSTS);
        let _ = resolver.resolve_bytes(host, &input);
        if rng.chance(10) {
            seeds.push(input);
        }
    }
    iterations
}
