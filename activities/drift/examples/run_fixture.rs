//! Prints `drift::run_fixture` for each fixture file given, one JSON document per line:
//! `cargo run -p drift --example run_fixture -- FILE...`. With `--check` first, prints instead
//! every disagreement with the file's `expected` block and exits non-zero if there is one.

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.first().is_some_and(|a| a == "--check");
    if check {
        args.remove(0);
    }
    let mut failed = 0;
    for path in &args {
        let path = std::path::Path::new(path);
        if !check {
            println!("{}", drift::run_fixture(path)?);
            continue;
        }
        match drift::check_fixture(path) {
            Ok(mismatches) => {
                failed += usize::from(!mismatches.is_empty());
                for m in mismatches {
                    println!(
                        "{}: {} {} expected {} got {}",
                        path.display(),
                        m.column,
                        m.field,
                        m.expected,
                        m.got
                    );
                }
            }
            Err(e) => {
                failed += 1;
                println!("{}: {e}", path.display());
            }
        }
    }
    if check {
        println!("{} of {} fixtures disagree", failed, args.len());
        if failed > 0 {
            std::process::exit(1);
        }
    }
    Ok(())
}
