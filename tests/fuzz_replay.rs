//! Replays, on stable, every input the fuzz targets keep: the seed corpus
//! (`fuzz/corpus/<target>/`) and every past finding (`fuzz/regressions/<target>/`,
//! where a crash found by `cargo +nightly fuzz run` is copied once fixed). Each goes
//! through the same `omslint::fuzzing::run` the targets call, so CI keeps them fixed.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

#[test]
fn every_corpus_input_and_past_finding_keeps_its_reader_correct() {
    let root = common::root().join("fuzz");
    let mut failures = Vec::new();
    let mut replayed = 0;
    for target in omslint::fuzzing::TARGETS {
        let mut seen = 0;
        for kind in ["corpus", "regressions"] {
            let dir = root.join(kind).join(target);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            files.sort();
            for f in files {
                let data = std::fs::read(&f).unwrap();
                let run = catch_unwind(AssertUnwindSafe(|| omslint::fuzzing::run(target, &data)));
                if run.is_err() {
                    failures.push(f.display().to_string());
                }
                seen += 1;
            }
        }
        assert!(seen > 0, "no input kept for the fuzz target {target}");
        replayed += seen;
    }
    assert!(
        failures.is_empty(),
        "readers broke their contract on: {failures:#?}"
    );
    assert!(replayed > 100, "{replayed} inputs replayed");
}
