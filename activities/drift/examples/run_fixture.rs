//! Prints `drift::run_fixture` for each fixture file given: `cargo run -p drift --example
//! run_fixture -- FILE...` (one JSON document per line).

fn main() -> anyhow::Result<()> {
    for path in std::env::args().skip(1) {
        println!("{}", drift::run_fixture(std::path::Path::new(&path))?);
    }
    Ok(())
}
