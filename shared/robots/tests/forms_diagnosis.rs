//! `forms::Diagnosis` over every test form the engine ships (the copies in
//! `shared/form-observations/tests/forms`), and over input that is not a form at all.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use form_observations::diagnose_json;
use proptest::prelude::*;
use robots::Error;
use robots::forms::{
    Diagnosis, MAX_DRAWN_DEPENDENCIES, MAX_FORM_BYTES, MAX_FORM_FIELDS, SUMMARY_MAX_BYTES,
    SUMMARY_MAX_FINDINGS,
};
use serde_json::{Value, json};

fn forms_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../form-observations/tests/forms")
}

/// Every form definition: the real ones and the synthetic ones, not the reference
/// outputs (`*.observations.json`).
fn every_form() -> Vec<(String, String)> {
    let mut forms = Vec::new();
    for dir in [forms_dir(), forms_dir().join("synthetic")] {
        for entry in std::fs::read_dir(&dir).expect("the test forms are there") {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".json") && !name.ends_with(".observations.json") {
                forms.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    forms.sort();
    assert!(forms.len() >= 7, "found {} forms", forms.len());
    forms
}

fn form(name: &str) -> String {
    std::fs::read_to_string(forms_dir().join(name)).unwrap()
}

/// The fields the report's cycle findings name (`additionalDetails.cycleFieldIds`).
fn cycle_members_in_report(report: &Value) -> BTreeSet<String> {
    report["observations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| {
            o["observationMaker"]
                .as_str()
                .is_some_and(|m| m.ends_with("-cycles"))
        })
        .flat_map(|o| {
            o["additionalDetails"]["cycleFieldIds"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|id| id.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_graph_marks_exactly_the_cycle_members_the_report_names() {
    for (name, text) in every_form() {
        let d = Diagnosis::of_json(&text, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        let report: Value = serde_json::from_str(&d.report_json).unwrap();

        let from_report = cycle_members_in_report(&report);
        let listed: BTreeSet<String> = d.cycle_fields.iter().cloned().collect();
        let marked: BTreeSet<String> = d.graph["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["inCycle"] == json!(true))
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(listed, from_report, "{name}");
        assert_eq!(marked, from_report, "{name}");
        assert_eq!(listed.len(), d.cycle_fields.len(), "{name}: no repeats");
    }
}

#[test]
fn the_forms_with_broken_loops_have_cycles_and_the_graph_is_drawable() {
    for (name, text) in every_form() {
        let d = Diagnosis::of_json(&text, None).unwrap();
        let nodes = d.graph["nodes"].as_array().unwrap();
        let edges = d.graph["edges"].as_array().unwrap();
        assert_eq!(
            d.graph.as_object().unwrap().len(),
            2,
            "{name}: {{nodes, edges}}"
        );
        let ids: HashSet<&str> = nodes.iter().map(|n| n["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), nodes.len(), "{name}: node ids are unique");
        for node in nodes {
            for key in ["id", "label", "kind"] {
                assert!(node[key].is_string(), "{name}: {node}");
            }
            assert!(
                !node["label"].as_str().unwrap().is_empty(),
                "{name}: {node}"
            );
        }
        for edge in edges {
            assert!(
                ids.contains(edge["from"].as_str().unwrap()),
                "{name}: {edge}"
            );
            assert!(ids.contains(edge["to"].as_str().unwrap()), "{name}: {edge}");
            assert!(edge["kind"].is_string() && edge["inCycle"].is_boolean());
        }
    }
    for broken in [
        "5375703.json",
        "6160998.json",
        "6173057.json",
        "6175496.json",
    ] {
        let d = Diagnosis::of_json(&form(broken), None).unwrap();
        assert!(
            !d.cycle_fields.is_empty(),
            "{broken} has circular dependencies"
        );
    }
    let calc = Diagnosis::of_json(&form("6173057.json"), None).unwrap();
    assert_eq!(calc.cycle_fields, ["182971643", "182971644"]);
}

#[test]
fn a_reference_to_a_missing_field_is_a_missing_node() {
    let d = Diagnosis::of_json(&form("synthetic/edge-cases.json"), None).unwrap();
    let nodes = d.graph["nodes"].as_array().unwrap();
    let missing: Vec<&Value> = nodes.iter().filter(|n| n["kind"] == "missing").collect();
    assert_eq!(missing.len(), 2);
    let edges = d.graph["edges"].as_array().unwrap();
    assert!(edges.contains(&json!({"from": "70", "to": "999", "kind": "logic", "inCycle": false})));
    assert!(
        edges
            .contains(&json!({"from": "84", "to": "998", "kind": "calculation", "inCycle": false}))
    );
    assert!(edges.contains(&json!({"from": "60", "to": "60", "kind": "logic", "inCycle": true})));
}

#[test]
fn the_report_is_what_form_diagnose_prints() {
    for (name, text) in every_form() {
        let d = Diagnosis::of_json(&text, None).unwrap();
        let cli = serde_json::to_string_pretty(&diagnose_json(&text).unwrap()).unwrap() + "\n";
        assert_eq!(d.report_json, cli, "{name}");
        let report: Value = serde_json::from_str(&d.report_json).unwrap();
        assert_eq!(report["summary"]["error"], json!(d.counts.error), "{name}");
        assert_eq!(report["summary"]["warn"], json!(d.counts.warn), "{name}");
        assert_eq!(d.report.summary, d.counts);
    }
}

#[test]
fn the_summary_heads_with_counts_and_names_fields_by_label() {
    let d = Diagnosis::of_json(&form("6173057.json"), None).unwrap();
    assert_eq!(
        d.summary,
        "Form 6173057 \"calculations_basic\": 1 ERROR, 0 WARN, 9 INFO, 3 DEBUG\n\
         ERROR \"Diameter_circular\": Circular calculation. 2 fields depend on one another: \
         \"Diameter_circular\" (182971643) and \"Circumfrernece_circular\" (182971644). Each \
         value is computed from another of them, so none can be calculated. Loop: 182971643 \
         → 182971644 → 182971643.\n"
    );
    assert_eq!(
        (d.form_id.as_str(), d.form_name.as_str()),
        ("6173057", "calculations_basic")
    );

    let edge = Diagnosis::of_json(&form("synthetic/edge-cases.json"), None).unwrap();
    let lines: Vec<&str> = edge.summary.lines().collect();
    assert_eq!(
        lines[0],
        "Form 1 \"synthetic_edge_cases\": 3 ERROR, 4 WARN, 5 INFO, 7 DEBUG"
    );
    assert!(lines[1].starts_with("ERROR \"F (self logic)\": Circular visibility logic. "));
    assert!(
        lines[3].starts_with("ERROR \"padded\": Circular calculation. "),
        "{}",
        lines[3]
    );
    assert!(
        lines[4].starts_with("WARN \"K\": Duplicate label. "),
        "{}",
        lines[4]
    );
    assert_eq!(
        lines.len(),
        1 + 3 + 4,
        "errors first, then warnings, nothing else"
    );
}

#[test]
fn every_summary_lists_errors_then_warnings_one_line_each() {
    for (name, text) in every_form() {
        let d = Diagnosis::of_json(&text, None).unwrap();
        let lines: Vec<&str> = d.summary.lines().collect();
        let findings = d.counts.error + d.counts.warn;
        assert!(
            lines[0].starts_with(&format!("Form {} ", d.form_id)),
            "{name}"
        );
        assert!(lines[0].ends_with(&format!(
            "{} ERROR, {} WARN, {} INFO, {} DEBUG",
            d.counts.error, d.counts.warn, d.counts.info, d.counts.debug
        )));
        if findings == 0 {
            assert_eq!(lines.len(), 2, "{name}");
            continue;
        }
        let errors = lines.iter().filter(|l| l.starts_with("ERROR ")).count();
        let warnings = lines.iter().filter(|l| l.starts_with("WARN ")).count();
        assert_eq!(
            (errors, warnings),
            (d.counts.error, d.counts.warn),
            "{name}"
        );
        let first_warning = lines.iter().position(|l| l.starts_with("WARN "));
        let last_error = lines.iter().rposition(|l| l.starts_with("ERROR "));
        if let (Some(w), Some(e)) = (first_warning, last_error) {
            assert!(e < w, "{name}: errors come first");
        }
        // A field subject is named by its label, not its bare id.
        for line in &lines[1..] {
            let subject = line.split_once(": ").unwrap().0;
            assert!(
                subject.ends_with("Form") || subject.contains('"') || subject.contains("field "),
                "{name}: {line}"
            );
        }
        assert!(d.summary.len() <= SUMMARY_MAX_BYTES);
    }
}

#[test]
fn diagnosing_twice_gives_the_same_answer() {
    for (name, text) in every_form() {
        let a = Diagnosis::of_json(&text, Some(&name)).unwrap();
        let b = Diagnosis::of_json(&text, Some(&name)).unwrap();
        assert_eq!(a.summary, b.summary, "{name}");
        assert_eq!(a.graph, b.graph, "{name}");
        assert_eq!(a.svg, b.svg, "{name}");
        assert_eq!(a.report_json, b.report_json, "{name}");
        assert_eq!(a.cycle_fields, b.cycle_fields, "{name}");
    }
}

#[test]
fn the_image_is_an_svg_with_its_size() {
    for (name, text) in every_form() {
        let d = Diagnosis::of_json(&text, None).unwrap();
        assert!(
            d.svg.starts_with("<svg") && d.svg.trim_end().ends_with("</svg>"),
            "{name}"
        );
        assert!(d.svg_width >= 720 && d.svg_height > 0, "{name}");
        let tag = &d.svg[..d.svg.find('>').unwrap()];
        assert!(
            tag.contains(&format!(" width=\"{}\"", d.svg_width)),
            "{name}"
        );
        assert!(
            tag.contains(&format!(" height=\"{}\"", d.svg_height)),
            "{name}"
        );
    }
}

#[test]
fn a_graph_too_large_to_draw_gets_a_note_instead_of_a_picture() {
    // A chain of calculations, each reading the one before: one dependency per field.
    let count = MAX_DRAWN_DEPENDENCIES + 2;
    let fields: Vec<Value> = (0..count)
        .map(|i| {
            let mut field =
                json!({"id": 5000 + i, "type": "number", "label": format!("N{i}"), "sort": i});
            if i > 0 {
                field["calculation"] = json!(format!("[{}] + 1", 5000 + i - 1));
            }
            field
        })
        .collect();
    let text = json!({"id": "9", "name": "big & <long>", "fields": fields}).to_string();

    let d = Diagnosis::of_json(&text, None).unwrap();

    assert_eq!(
        d.graph["edges"].as_array().unwrap().len(),
        count - 1,
        "the data keeps them all"
    );
    assert_eq!((d.svg_width, d.svg_height), (720, 120));
    assert!(
        d.svg
            .contains("Dependencies of form 9 \"big &amp; &lt;long&gt;\""),
        "{}",
        d.svg
    );
    assert!(d.svg.contains(&format!(
        "{count} fields and {} dependencies are too many to draw",
        count - 1
    )));
}

/// A ring of `count` fields, each depending on the one before through a calculation or
/// a show/hide rule, the first on the last.
fn ring(count: usize, logic: bool) -> String {
    let id = |i: usize| 700_000 + i;
    let fields: Vec<Value> = (0..count)
        .map(|i| {
            let before = id((i + count - 1) % count);
            let mut field =
                json!({"id": id(i), "type": "number", "label": format!("R{i}"), "sort": i});
            if logic {
                field["logic"] = json!({"action": "show", "conditional": "all",
                    "checks": [{"field": before, "condition": "greaterthan", "option": "1"}]});
            } else {
                field["calculation"] = json!(format!("[{before}] + 1"));
            }
            field
        })
        .collect();
    json!({"id": "8", "name": "ring", "fields": fields}).to_string()
}

#[test]
fn a_long_ring_does_not_overflow_a_small_caller_stack() {
    // 6,000 frames of cycle search overflow a 2 MiB stack (a tokio worker's) in a debug
    // build; the diagnosis brings its own stack.
    for logic in [false, true] {
        let text = ring(6_000, logic);
        let d = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || Diagnosis::of_json(&text, None))
            .unwrap()
            .join()
            .expect("no overflow")
            .unwrap();
        assert_eq!(d.cycle_fields.len(), 6_000);
        assert_eq!(d.counts.error, 1, "one cycle");
    }
}

#[test]
fn a_form_with_too_many_fields_is_refused() {
    let fields: Vec<Value> = (0..=MAX_FORM_FIELDS)
        .map(|i| json!({"id": i + 1}))
        .collect();
    let text = json!({"id": "3", "fields": fields}).to_string();
    let error = Diagnosis::of_json(&text, None).unwrap_err();
    assert!(
        matches!(error, Error::FormTooManyFields { fields, .. } if fields == MAX_FORM_FIELDS + 1)
    );
    assert!(
        error
            .to_string()
            .starts_with("the form has 20001 fields, over the 20000")
    );
}

/// One choice field with `options` options and one rule of `checks` checks on it,
/// naming options the field mostly lacks.
fn wide_rule(checks: usize, options: usize) -> String {
    let options: Vec<Value> = (0..options)
        .map(|i| json!({"label": format!("Option {i}"), "value": format!("Option {i}")}))
        .collect();
    let checks: Vec<Value> = (0..checks)
        .map(|i| json!({"field": 1, "condition": "equals", "option": format!("Choice {i}")}))
        .collect();
    json!({"id": "4", "name": "wide", "fields": [
        {"id": 1, "type": "select", "label": "Country", "options": options},
        {"id": 2, "type": "text", "label": "Region",
         "logic": {"action": "show", "conditional": "all", "checks": checks}},
    ]})
    .to_string()
}

#[test]
fn rules_too_large_to_judge_are_refused_and_ordinary_large_ones_are_not() {
    // 4,000 checks against 1,000 options would take minutes and write ~50 MiB of
    // report (each missing option is reported with the whole list).
    let error = Diagnosis::of_json(&wide_rule(4_000, 1_000), None).unwrap_err();
    assert!(
        matches!(error, Error::FormTooComplex { checks: 4_000 }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("too large to diagnose (4000 checks")
    );
    // Fifty checks against a 250-entry country list is a big but real rule.
    let d = Diagnosis::of_json(&wide_rule(50, 250), None).unwrap();
    assert_eq!(d.counts.error, 1, "{}", d.summary);
}

/// A form with `count` text fields whose labels end in a space (one warning each).
fn form_with_padded_labels(count: usize, label: &str) -> String {
    let fields: Vec<Value> = (0..count)
        .map(|i| json!({"id": 1000 + i, "type": "text", "label": format!("{label} {i} "), "sort": i}))
        .collect();
    json!({"id": "77", "name": "many warnings", "fields": fields}).to_string()
}

#[test]
fn a_long_list_of_findings_is_capped_and_says_how_many_are_left() {
    let d = Diagnosis::of_json(&form_with_padded_labels(100, "Name"), None).unwrap();
    let lines: Vec<&str> = d.summary.lines().collect();
    let shown = lines.iter().filter(|l| l.starts_with("WARN ")).count();
    assert_eq!(shown, SUMMARY_MAX_FINDINGS);
    let left = d.counts.error + d.counts.warn - shown;
    assert_eq!(
        *lines.last().unwrap(),
        format!("…and {left} more; see the full report")
    );

    // Long labels run into the byte budget before the line count.
    let long = Diagnosis::of_json(
        &form_with_padded_labels(60, &"Wordy label ".repeat(40)),
        None,
    )
    .unwrap();
    assert!(
        long.summary.len() <= SUMMARY_MAX_BYTES,
        "{}",
        long.summary.len()
    );
    assert!(long.summary.lines().all(|l| l.chars().count() <= 400));
    assert!(
        long.summary
            .trim_end()
            .ends_with("more; see the full report")
    );
}

#[test]
fn a_form_without_an_id_is_headed_by_the_label_it_was_asked_for() {
    let text = json!({"name": "upload", "fields": []}).to_string();
    let d = Diagnosis::of_json(&text, Some("form.json")).unwrap();
    assert!(
        d.summary.starts_with("Form form.json \"upload\": 0 ERROR"),
        "{}",
        d.summary
    );
    assert_eq!(d.form_id, "form.json");
    let unlabelled = Diagnosis::of_json(&text, None).unwrap();
    assert!(unlabelled.summary.starts_with("Form (no id) \"upload\""));
    let labelled_form = Diagnosis::of_json(&form("6173057.json"), Some("other")).unwrap();
    assert_eq!(labelled_form.form_id, "6173057", "the form's own id wins");
}

fn reason(text: &str) -> String {
    match Diagnosis::of_json(text, None) {
        Ok(_) => panic!("{text:.40} was diagnosed"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn junk_is_refused_with_a_reason_an_engineer_can_act_on() {
    assert_eq!(
        reason(""),
        "the file is not a Formstack form export: it is not valid JSON (the file is empty)"
    );
    assert_eq!(
        reason("{}"),
        "the file is not a Formstack form export: it has no `fields` list"
    );
    assert_eq!(
        reason("[]"),
        "the file is not a Formstack form export: it is a list, where a form export is an \
         object with a `fields` list"
    );
    assert!(reason(r#"{"fields": {"a": 1}}"#).contains("its `fields` is an object"));
    assert!(reason(r#"{"fields": null}"#).contains("no `fields` list"));
    assert!(reason("42").contains("it is a number"));
    assert!(
        reason("<html><body>Login</body></html>")
            .contains("not valid JSON (reading stopped at line 1, column 1)")
    );
    assert!(reason(r#"{"fields": [{"id": 1}"#).contains("cut off"));
    assert!(reason(r#"{"id": 1e999999, "fields": []}"#).contains("not valid JSON"));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(
        reason(&deep).contains("nests far deeper"),
        "{}",
        reason(&deep)
    );
    let deep_fields = format!(
        r#"{{"fields": {}{}}}"#,
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    assert!(reason(&deep_fields).contains("nests far deeper"));
    let random: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert!(reason(&String::from_utf8_lossy(&random)).contains("not valid JSON"));
    assert!(matches!(
        Diagnosis::of_bytes(&random, None),
        Err(Error::FormNotText | Error::FormNotJson { .. })
    ));
    assert!(matches!(
        Diagnosis::of_bytes(&[0xff, 0xfe, b'{', b'}'], None),
        Err(Error::FormNotText)
    ));
}

#[test]
fn odd_but_readable_values_are_diagnosed() {
    let huge_id = r#"{"id": 123456789012345678901234567890, "name": 7, "fields": [1, "x", {"id": 99999999999999999999999, "type": "number", "label": "N", "calculation": "[99999999999999999999999] * 1e308"}]}"#;
    let d = Diagnosis::of_json(huge_id, None).unwrap();
    assert!(d.summary.starts_with("Form "));
    let bom = format!("\u{feff}{}", form("6173057.json"));
    assert_eq!(Diagnosis::of_json(&bom, None).unwrap().counts.error, 1);
}

#[test]
fn a_form_over_the_size_cap_is_refused_before_it_is_read() {
    let big = " ".repeat(MAX_FORM_BYTES + 1);
    let error = Diagnosis::of_json(&big, None).unwrap_err();
    assert!(matches!(error, Error::FormTooLarge { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the form is too large to diagnose (10485761 bytes; the limit is 10 MiB): a Formstack \
         form export is rarely over 1 MiB, so check that this is the right file"
    );
    assert!(matches!(
        Diagnosis::of_bytes(big.as_bytes(), None),
        Err(Error::FormTooLarge { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any text at all gives a diagnosis or an error, never a panic.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let _ = Diagnosis::of_json(&text, None);
    }

    /// A real form cut short or with one byte changed: still no panic.
    #[test]
    fn damaged_forms_never_panic(cut in 0usize..10_000, at in 0usize..10_000, byte in any::<u8>()) {
        let mut bytes = form("synthetic/edge-cases.json").into_bytes();
        let at = at % bytes.len();
        bytes[at] = byte;
        bytes.truncate(bytes.len() - cut % bytes.len());
        let _ = Diagnosis::of_bytes(&bytes, None);
        let _ = Diagnosis::of_json(&String::from_utf8_lossy(&bytes), None);
    }
}
