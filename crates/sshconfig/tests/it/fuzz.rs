//! A short run of the fuzzer that `examples/fuzz` runs at length.

#[path = "../../examples/fuzz/engine.rs"]
mod engine;

#[test]
fn parser_and_resolver_survive_arbitrary_bytes() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    engine::run(3000, 0xf022, Some(&corpus));
}
