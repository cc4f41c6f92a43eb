//! Prints what the forms-diagnostics robot would answer about form exports, and how
//! long the diagnosis took: `cargo run --release -p robots --example diagnose_form --
//! FILE...` (a quick look and a timing, not a benchmark).

use std::time::Instant;

use robots::forms::Diagnosis;

fn main() {
    for path in std::env::args().skip(1) {
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let started = Instant::now();
        let result = Diagnosis::of_bytes(&bytes, Some(&path));
        let elapsed = started.elapsed();
        match result {
            Ok(d) => {
                println!("== {path}: {} bytes in {elapsed:?}", bytes.len());
                print!("{}", d.summary);
                println!(
                    "-- graph: {} nodes, {} edges, cycle fields {:?}; svg {}x{} ({} bytes); report {} bytes",
                    d.graph["nodes"].as_array().map_or(0, Vec::len),
                    d.graph["edges"].as_array().map_or(0, Vec::len),
                    d.cycle_fields,
                    d.svg_width,
                    d.svg_height,
                    d.svg.len(),
                    d.report_json.len()
                );
            }
            Err(e) => println!("== {path}: refused in {elapsed:?}: {e}"),
        }
    }
}
