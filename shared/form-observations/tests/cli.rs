//! The `form-diagnose` binary end to end: formats, graph output, and a
//! clear failure on input that is not a form.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_form-diagnose"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/forms"))
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn prints_a_json_report_with_summary_counts() {
    let output = run(&["6173057.json"]);
    assert!(output.status.success());
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(report["formId"], "6173057");
    assert_eq!(report["summary"]["error"], 1);
    let first = &report["observations"][0];
    for key in [
        "subjectId",
        "logLevel",
        "subjectType",
        "observationClass",
        "observationMaker",
        "message",
        "messageSecondary",
        "relatedEntityIds",
        "additionalDetails",
    ] {
        assert!(first.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn prints_a_text_summary_for_people() {
    let output = run(&["--format", "text", "6175496.json"]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.starts_with("Form 6175496 \"fs_buddy_volume_calculations\""));
    assert!(text.contains("ERRORS") && text.contains("Circular calculation"));
}

#[test]
fn prints_the_graph_as_json_or_svg() {
    let json = run(&["--graph", "json", "synthetic/edge-cases.json"]);
    let graph: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    assert_eq!(graph["nodes"].as_array().map(Vec::len), Some(14));
    assert_eq!(graph["dangling"].as_array().map(Vec::len), Some(2));
    let svg = run(&["--graph", "svg", "synthetic/edge-cases.json"]);
    assert!(svg.status.success());
    assert!(stdout(&svg).starts_with("<svg"));
}

#[test]
fn fails_clearly_on_input_that_is_not_a_form() {
    let not_a_form = run(&["reference/goof.observations.json"]);
    assert_eq!(not_a_form.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&not_a_form.stderr).contains("not a Formstack form"));
    let missing = run(&["no-such-file.json"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read"));
    let not_json = run(&["README.md"]);
    assert_eq!(not_json.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&not_json.stderr).contains("not valid JSON"));
}
