//! Diagnosis time per form: the largest file (goof.json, 339 KB, mostly
//! base64 defaults and HTML the model skips), the form with the most
//! fields and dependencies (6175496), and all seven test forms in a row.
//! Whole-process timings of the `form-diagnose` binary are in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use form_observations::{Analysis, Form, GraphExport, diagnose, diagnose_json};

const LARGEST: &str = include_str!("../tests/forms/goof.json");
const MOST_FIELDS: &str = include_str!("../tests/forms/6175496.json");
const ALL: [&str; 7] = [
    include_str!("../tests/forms/5375703.json"),
    include_str!("../tests/forms/6160998.json"),
    include_str!("../tests/forms/6173057.json"),
    MOST_FIELDS,
    LARGEST,
    include_str!("../tests/forms/synthetic/edge-cases.json"),
    include_str!("../tests/forms/synthetic/edge-cases-no-dangling.json"),
];

fn benches(c: &mut Criterion) {
    c.bench_function("parse+diagnose goof.json (largest file)", |b| {
        b.iter(|| diagnose_json(black_box(LARGEST)))
    });
    c.bench_function("parse+diagnose 6175496.json (most fields)", |b| {
        b.iter(|| diagnose_json(black_box(MOST_FIELDS)))
    });
    let parsed = Form::from_json_str(MOST_FIELDS).ok();
    if let Some(form) = parsed {
        c.bench_function("diagnose 6175496 (already parsed)", |b| {
            b.iter(|| diagnose(black_box(&form)))
        });
        c.bench_function("graph svg 6175496", |b| {
            b.iter(|| GraphExport::build(black_box(&form), &Analysis::of_form(&form)).to_svg())
        });
    }
    c.bench_function("parse+diagnose all 7 forms", |b| {
        b.iter(|| {
            for text in ALL {
                let _ = black_box(diagnose_json(black_box(text)));
            }
        })
    });
}

criterion_group!(diagnosis, benches);
criterion_main!(diagnosis);
