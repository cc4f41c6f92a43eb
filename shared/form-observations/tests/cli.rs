//! The `form-diagnose` binary end to end: formats, graph output, a clear
//! failure on input that is not a form, several files in one run, and a JSON
//! report identical to the library's (what the chat robot stores).

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

/// Every form definition in the test set (not the reference outputs).
fn every_form() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/forms");
    let mut forms: Vec<String> = ["", "synthetic/"]
        .iter()
        .flat_map(|sub| {
            std::fs::read_dir(format!("{dir}/{sub}"))
                .expect("the test forms are there")
                .map(move |entry| {
                    let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                    format!("{sub}{name}")
                })
        })
        .filter(|name| name.ends_with(".json") && !name.ends_with(".observations.json"))
        .collect();
    forms.sort();
    forms
}

#[test]
fn the_json_report_is_the_librarys_byte_for_byte() {
    // The chat robot stores `serde_json::to_string_pretty(&report)` plus a newline as
    // its report file; the tool must print exactly that.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/forms");
    for name in every_form() {
        let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
        let report = form_observations::diagnose_json(&text).unwrap();
        let expected = serde_json::to_string_pretty(&report).unwrap() + "\n";
        assert_eq!(stdout(&run(&[&name])), expected, "{name}");
    }
}

/// Splits several files' output at its `==> FILE <==` headers.
fn sections(output: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = output;
    while let Some(start) = rest.find("==> ") {
        let after = &rest[start + 4..];
        let end = after.find(" <==\n").expect("a whole header line");
        let name = after[..end].to_owned();
        let body_start = &after[end + 5..];
        let body_end = body_start
            .find("\n==> ")
            .map_or(body_start.len(), |i| i + 1);
        found.push((name, body_start[..body_end].to_owned()));
        rest = &body_start[body_end..];
    }
    found
}

#[test]
fn several_files_print_one_output_each_under_a_header() {
    let files = ["6173057.json", "synthetic/edge-cases.json", "goof.json"];
    for mode in [
        &["--format", "json"][..],
        &["--format", "text"],
        &["--graph", "json"],
        &["--graph", "svg"],
    ] {
        let args: Vec<&str> = mode.iter().chain(&files).copied().collect();
        let output = run(&args);
        assert!(output.status.success(), "{mode:?}");
        let text = stdout(&output);
        assert!(text.starts_with("==> 6173057.json <==\n"), "{mode:?}");
        let parts = sections(&text);
        let names: Vec<&str> = parts.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, files, "{mode:?}");
        for (i, (name, body)) in parts.iter().enumerate() {
            let alone: Vec<&str> = mode.iter().copied().chain([name.as_str()]).collect();
            // Each output is the single-file output, then a blank line before the
            // next header.
            let expected = stdout(&run(&alone));
            let expected = if i + 1 < files.len() {
                expected + "\n"
            } else {
                expected
            };
            assert_eq!(*body, expected, "{mode:?} {name}");
        }
    }
}

#[test]
fn a_failing_file_fails_the_run_but_the_others_are_still_reported() {
    let output = run(&[
        "6173057.json",
        "no-such-file.json",
        "README.md",
        "6160998.json",
    ]);

    assert_eq!(output.status.code(), Some(1));
    let names: Vec<String> = sections(&stdout(&output))
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(names, ["6173057.json", "6160998.json"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].starts_with("form-diagnose: cannot read no-such-file.json"));
    assert!(lines[1].starts_with("form-diagnose: README.md: the input is not valid JSON"));
}

#[test]
fn help_explains_several_files_and_no_file_is_a_usage_error() {
    let help = stdout(&run(&["--help"]));
    assert!(help.contains("==> FILE <=="), "{help}");
    assert!(help.contains("Exit status"));
    assert_eq!(run(&[]).status.code(), Some(2));
}
