//! print(parse(x)) == x, byte for byte.

use std::fs;
use std::path::Path;

use sshconfig::Config;

use crate::generate::{messy_config, mutate, Rng};

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.display().to_string(), fs::read(&p).unwrap()))
        .collect();
    out.sort();
    assert!(out.len() >= 5, "fixtures missing in {}", dir.display());
    out
}

#[test]
fn fixtures_round_trip() {
    for (name, bytes) in fixtures() {
        assert_eq!(Config::parse(&bytes).to_bytes(), bytes, "{name}");
    }
}

#[test]
fn generated_configs_round_trip() {
    let mut rng = Rng::new(1);
    let corpus: Vec<Vec<u8>> = fixtures().into_iter().map(|(_, b)| b).collect();
    for case in 0..5000 {
        let bytes = if case % 2 == 0 {
            messy_config(&mut rng)
        } else {
            {
                let base = rng.clone_pick(&corpus);
                mutate(&mut rng, &base)
            }
        };
        assert_eq!(
            Config::parse(&bytes).to_bytes(),
            bytes,
            "case {case}: {bytes:?}"
        );
    }
}
