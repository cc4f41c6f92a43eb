//! Agreement with the reference beyond cycles and labels: which fields are
//! calculated, that every formula it lists parses (bar the two that really
//! are malformed), the form settings, and the findings we add on purpose.

use std::fs;

use form_observations::calc::parse;
use form_observations::{Report, diagnose_json};
use serde_json::Value;

const FORMS: [(&str, &str); 7] = [
    ("5375703.json", "reference/5375703.observations.json"),
    ("6160998.json", "reference/6160998.observations.json"),
    ("6173057.json", "reference/6173057.observations.json"),
    ("6175496.json", "reference/6175496.observations.json"),
    ("goof.json", "reference/goof.observations.json"),
    (
        "synthetic/edge-cases.json",
        "synthetic/edge-cases.observations.json",
    ),
    (
        "synthetic/edge-cases-no-dangling.json",
        "synthetic/edge-cases-no-dangling.observations.json",
    ),
];

/// Formulas the reference lists without complaint that are in fact broken.
const REALLY_MALFORMED: [&str; 2] = ["( ( [183094181] * [183011259] ) * ( 5 / 2 )", "[84] +"];

fn read(relative: &str) -> String {
    let path = format!("{}/tests/forms/{relative}", env!("CARGO_MANIFEST_DIR"));
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn load(form: &str, reference: &str) -> (Report, Value) {
    let report = diagnose_json(&read(form)).unwrap_or_else(|e| panic!("{form}: {e}"));
    let reference = serde_json::from_str(&read(reference)).expect("reference JSON");
    (report, reference)
}

fn reference_items(reference: &Value) -> impl Iterator<Item = &Value> {
    reference["logItems"].as_array().into_iter().flatten()
}

#[test]
fn every_formula_the_reference_lists_parses_unless_really_malformed() {
    for (form, reference) in FORMS {
        let (_, reference) = load(form, reference);
        for item in reference_items(&reference) {
            let Some(text) = item["additionalDetails"]["calculationString"].as_str() else {
                continue;
            };
            let parsed = parse(text);
            if REALLY_MALFORMED.contains(&text) {
                assert!(parsed.is_err(), "{form}: {text} should be malformed");
            } else {
                assert!(parsed.is_ok(), "{form}: {text}: {parsed:?}");
            }
        }
    }
}

#[test]
fn the_same_fields_are_calculated() {
    for (form, reference) in FORMS {
        let (report, reference) = load(form, reference);
        let theirs: Vec<&str> = reference_items(&reference)
            .filter_map(|item| {
                item["additionalDetails"]["calculationString"]
                    .as_str()
                    .and(item["subjectId"].as_str())
            })
            .collect();
        let mut ours: Vec<&str> = report
            .observations
            .iter()
            .filter(|i| i.message == "Calculated field")
            .map(|i| i.subject_id.as_str())
            .collect();
        let mut theirs = theirs;
        theirs.sort_unstable();
        ours.sort_unstable();
        assert_eq!(ours, theirs, "{form}");
    }
}

#[test]
fn no_form_uses_special_settings_in_either_report() {
    for (form, reference) in FORMS {
        let (report, reference) = load(form, reference);
        let theirs = reference_items(&reference)
            .any(|i| i["messageSecondary"] == "No special form features detected");
        let ours = report.observations.iter().any(|i| {
            i.observation_maker == "form-config" && i.message == "No special form settings"
        });
        assert!(theirs && ours, "{form}");
    }
}

#[test]
fn form_5375703_extra_findings_the_reference_lacks() {
    let (report, _) = load(FORMS[0].0, FORMS[0].1);
    let find = |maker: &str, subject: &str| {
        report
            .observations
            .iter()
            .find(|i| i.observation_maker == maker && i.subject_id == subject)
            .unwrap_or_else(|| panic!("no {maker} item about {subject}"))
    };
    // Equals and not-equals the same option, and x > 6 while x < 5.
    let impossible = find("logic-satisfiability", "184163746");
    assert_eq!(
        impossible.additional_details["contradictions"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    // 154795826 shows on 154796590 = [153051796] + 9, and 153051796 sits in a
    // section hidden by 154795826: a loop only visible across both families.
    let mixed = find("mixed-cycles", "154796590");
    let members: Vec<&str> = mixed.additional_details["cycleFieldIds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        members,
        ["154796590", "153051795", "153051796", "154795826"]
    );
    // Trailing spaces the reference's exact match could not see.
    assert_eq!(
        report
            .observations
            .iter()
            .filter(|i| i.message == "Label has stray whitespace")
            .count(),
        2
    );
}
