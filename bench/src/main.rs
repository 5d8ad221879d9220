//! Benchmarks (placeholder while the engine comes together).
fn main() {}
