//! Golden comparison against the earlier library's reports
//! (`tests/forms/reference/*.observations.json`, copied byte-for-byte from
//! the shared spec).
//!
//! For every form: each cycle group and duplicate-label group the reference
//! reports must be accounted for by a verdict written down here — found
//! identically, found with members the reference missed, or a known false
//! positive that must *not* be reported. Every group we report beyond the
//! reference must be listed too. Each verdict matches an entry in
//! `docs/form-diagnostics.md`.

use std::collections::BTreeSet;
use std::fs;

use form_observations::{Report, diagnose_json};
use serde_json::Value;

type Group = BTreeSet<String>;

/// What we expect for one group the reference reports.
enum Verdict {
    /// Reported with exactly the same members.
    Same,
    /// A true cycle the reference reported incompletely: we report it with
    /// these additional members.
    Extended(&'static [&'static str]),
    /// Not (wholly) a cycle. Only `true_part` (possibly empty) is one; the
    /// other members must appear in none of our groups.
    NotACycle { true_part: &'static [&'static str] },
}

struct Golden {
    form: &'static str,
    reference: &'static str,
    logic: &'static [(&'static [&'static str], Verdict)],
    calculation: &'static [(&'static [&'static str], Verdict)],
    /// Cycles we report that the reference does not, with the reason.
    extra_logic: &'static [(&'static [&'static str], &'static str)],
    extra_calculation: &'static [(&'static [&'static str], &'static str)],
}

fn read(relative: &str) -> String {
    let path = format!("{}/tests/forms/{relative}", env!("CARGO_MANIFEST_DIR"));
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn group(ids: &[&str]) -> Group {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

fn strings(value: &Value) -> Group {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn reference_cycles(reference: &Value, system_type: &str) -> Vec<Group> {
    reference["logItems"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| item["additionalDetails"]["systemType"] == system_type)
        .map(|item| strings(&item["additionalDetails"]["circularFieldIds"]))
        .collect()
}

fn reference_duplicates(reference: &Value) -> BTreeSet<Group> {
    reference["logItems"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| {
            item["observationMakerClass"] == "FieldLabelObservationMaker"
                && item["logLevel"] == "warn"
        })
        .map(|item| strings(&item["additionalDetails"]["affectedFieldIds"]))
        .collect()
}

fn our_cycles(report: &Report, maker: &str) -> Vec<Group> {
    report
        .observations
        .iter()
        .filter(|item| item.observation_maker == maker && item.message.starts_with("Circular"))
        .map(|item| strings(&item.additional_details["cycleFieldIds"]))
        .collect()
}

fn our_duplicates(report: &Report) -> BTreeSet<Group> {
    report
        .observations
        .iter()
        .filter(|item| item.message == "Duplicate label")
        .map(|item| strings(&item.additional_details["fieldIds"]))
        .collect()
}

/// Checks one family's cycles against the reference and the verdicts.
fn compare_cycles(
    form: &str,
    family: &str,
    reference: &[Group],
    ours: &[Group],
    verdicts: &[(&[&str], Verdict)],
    extras: &[(&[&str], &str)],
) {
    let mut explained: Vec<Group> = Vec::new();
    assert_eq!(
        reference.len(),
        verdicts.len(),
        "{form} {family}: every reference group needs a verdict; reference has {reference:?}"
    );
    for reported in reference {
        let (_, verdict) = verdicts
            .iter()
            .find(|(ids, _)| group(ids) == *reported)
            .unwrap_or_else(|| {
                panic!("{form} {family}: no verdict for reference group {reported:?}")
            });
        match verdict {
            Verdict::Same => {
                assert!(
                    ours.contains(reported),
                    "{form} {family}: {reported:?} not found in {ours:?}"
                );
                explained.push(reported.clone());
            }
            Verdict::Extended(extra) => {
                let mut expected = reported.clone();
                expected.extend(group(extra));
                assert!(
                    ours.contains(&expected),
                    "{form} {family}: expected {expected:?} (reference {reported:?} plus {extra:?}) in {ours:?}"
                );
                explained.push(expected);
            }
            Verdict::NotACycle { true_part } => {
                let true_part = group(true_part);
                for member in reported.difference(&true_part) {
                    assert!(
                        ours.iter().all(|g| !g.contains(member)),
                        "{form} {family}: {member} is a known false positive but we report it in {ours:?}"
                    );
                }
                if !true_part.is_empty() {
                    assert!(
                        ours.contains(&true_part),
                        "{form} {family}: true part {true_part:?} missing"
                    );
                    explained.push(true_part);
                }
            }
        }
    }
    for (ids, _why) in extras {
        let extra = group(ids);
        assert!(
            ours.contains(&extra),
            "{form} {family}: expected extra cycle {extra:?} in {ours:?}"
        );
        explained.push(extra);
    }
    let unexplained: Vec<&Group> = ours.iter().filter(|g| !explained.contains(g)).collect();
    assert!(
        unexplained.is_empty(),
        "{form} {family}: unexplained cycles {unexplained:?}"
    );
    assert_eq!(
        ours.len(),
        explained.len(),
        "{form} {family}: each cycle is reported exactly once"
    );
}

fn check(golden: &Golden) -> Report {
    let report =
        diagnose_json(&read(golden.form)).unwrap_or_else(|e| panic!("{}: {e}", golden.form));
    let reference: Value = serde_json::from_str(&read(golden.reference)).expect("reference JSON");
    compare_cycles(
        golden.form,
        "logic",
        &reference_cycles(&reference, "circular_logic"),
        &our_cycles(&report, "logic-cycles"),
        golden.logic,
        golden.extra_logic,
    );
    compare_cycles(
        golden.form,
        "calculation",
        &reference_cycles(&reference, "circular_calculation"),
        &our_cycles(&report, "calculation-cycles"),
        golden.calculation,
        golden.extra_calculation,
    );
    // Duplicate labels: no divergence on these forms, so exact equality.
    assert_eq!(
        our_duplicates(&report),
        reference_duplicates(&reference),
        "{}",
        golden.form
    );
    report
}

#[test]
fn form_5375703_logic_rings_found_and_false_cycles_dropped() {
    check(&Golden {
        form: "5375703.json",
        reference: "reference/5375703.observations.json",
        logic: &[
            (
                &[
                    "148456734",
                    "148456742",
                    "148456741",
                    "148456740",
                    "148456739",
                ],
                Verdict::Same,
            ),
            (
                &[
                    "148509465",
                    "148509470",
                    "148509478",
                    "148509477",
                    "148509476",
                    "148509475",
                    "148509474",
                ],
                Verdict::Same,
            ),
            // The big dipper: 148604161 hangs off the ring, it is not in it.
            (
                &["148604161", "148604236", "148604235", "148604234"],
                Verdict::NotACycle {
                    true_part: &["148604236", "148604235", "148604234"],
                },
            ),
            (&["154328256", "154328257", "154328260"], Verdict::Same),
            // Checks field 156917750 twice (string and number id): no cycle.
            (&["156919729"], Verdict::NotACycle { true_part: &[] }),
        ],
        calculation: &[],
        extra_logic: &[],
        extra_calculation: &[],
    });
}

#[test]
fn form_6160998_section_rings_found_with_the_section_the_reference_missed() {
    check(&Golden {
        form: "6160998.json",
        reference: "reference/6160998.observations.json",
        logic: &[
            (&["182513688", "182513690", "182513692"], Verdict::Same),
            (
                &["182514529", "182514635", "182514637", "182514636"],
                Verdict::Same,
            ),
            // Section B (182549906) holds 182549908 and checks 182549907.
            (
                &["182515048", "182549907", "182549908"],
                Verdict::Extended(&["182549906"]),
            ),
            (
                &[
                    "182710784",
                    "182710788",
                    "182710787",
                    "182710786",
                    "182710785",
                ],
                Verdict::Same,
            ),
        ],
        calculation: &[],
        extra_logic: &[],
        extra_calculation: &[],
    });
}

#[test]
fn form_6173057_circular_calculation_pair_found() {
    check(&Golden {
        form: "6173057.json",
        reference: "reference/6173057.observations.json",
        logic: &[],
        calculation: &[(&["182971643", "182971644"], Verdict::Same)],
        extra_logic: &[],
        extra_calculation: &[],
    });
}

#[test]
fn form_6175496_table_cycles_name_the_column_formulas_too() {
    let report = check(&Golden {
        form: "6175496.json",
        reference: "reference/6175496.observations.json",
        logic: &[],
        calculation: &[
            (&["183620779", "183620780"], Verdict::Same),
            (
                &[
                    "183731191",
                    "183731195",
                    "183731194",
                    "183731193",
                    "183731192",
                ],
                Verdict::Same,
            ),
            // Cells run their column's formula: columns B and C close the ring too.
            (
                &["184128621", "184128624", "184128625", "184128626"],
                Verdict::Extended(&["184128622", "184128623"]),
            ),
            // Cell 184128734 runs column 184128731's formula.
            (
                &["184128633", "184128734"],
                Verdict::Extended(&["184128731"]),
            ),
        ],
        extra_logic: &[],
        extra_calculation: &[],
    });
    // The reference's parser accepted this unbalanced formula silently.
    assert!(has(
        &report,
        "calculation-syntax",
        "183171810",
        "Malformed calculation"
    ));
}

#[test]
fn form_goof_has_no_cycles_but_logic_that_can_never_match() {
    let report = check(&Golden {
        form: "goof.json",
        reference: "reference/goof.observations.json",
        logic: &[],
        calculation: &[],
        extra_logic: &[],
        extra_calculation: &[],
    });
    for field in ["186962398", "186962399"] {
        assert!(has(
            &report,
            "logic-satisfiability",
            field,
            "Logic can never be satisfied"
        ));
    }
}

#[test]
fn synthetic_edge_cases_survive_the_dangling_reference() {
    let report = check(&Golden {
        form: "synthetic/edge-cases.json",
        reference: "synthetic/edge-cases.observations.json",
        logic: &[],
        calculation: &[(&["85"], Verdict::Same)],
        // The reference aborted its whole cycle analysis on field 999.
        extra_logic: &[(&["60"], "self-reference found despite the dangling check")],
        extra_calculation: &[],
    });
    assert!(has(
        &report,
        "logic-references",
        "70",
        "Logic names a missing field"
    ));
    assert!(has(
        &report,
        "calculation-references",
        "84",
        "Calculation names a missing field"
    ));
    assert!(has(
        &report,
        "calculation-syntax",
        "86",
        "Malformed calculation"
    ));
    assert!(has(&report, "labels", "85", "Label has stray whitespace"));
}

#[test]
fn synthetic_edge_cases_without_dangling_drop_the_diamond() {
    check(&Golden {
        form: "synthetic/edge-cases-no-dangling.json",
        reference: "synthetic/edge-cases-no-dangling.observations.json",
        logic: &[
            // 10 → {20, 30} → 40 → 50 is a diamond, not a cycle.
            (&["10"], Verdict::NotACycle { true_part: &[] }),
            (&["60"], Verdict::Same),
        ],
        calculation: &[(&["85"], Verdict::Same)],
        extra_logic: &[],
        extra_calculation: &[],
    });
}

fn has(report: &Report, maker: &str, subject: &str, headline: &str) -> bool {
    report
        .observations
        .iter()
        .any(|i| i.observation_maker == maker && i.subject_id == subject && i.message == headline)
}
