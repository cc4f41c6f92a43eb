//! `iStackBuddy.forms.diagnostics` through the registry: the four answers about an
//! attached form export, forms fetched by id from a local stub of the Formstack API on
//! 127.0.0.1 (nothing here reaches the internet), and each failure's reason.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chat_core::ids::FileId;
use chat_core::model::{ContentType, RobotAnswer, RobotChunk, RobotInput, RobotRequest};
use chat_core::ports::Robots;
use chat_core::testkit::contract::robots as contract;
use futures::StreamExt;
use robots::forms::robot::{MAX_GRAPH_DATA_BYTES, NO_FORM};
use robots::forms::{FormstackConfig, TokenSource};
use robots::llm::ApiKey;
use robots::registry::FORMS_DIAGNOSTICS;
use robots::{Registry, RobotsConfig};
use serde_json::{Value, json};

mod forms_stub;
use forms_stub::*;

// ---------------------------------------------------------------------------------------
// Asking
// ---------------------------------------------------------------------------------------

/// What one answer stream held.
#[derive(Debug, Default)]
struct Answered {
    finals: Vec<RobotAnswer>,
    more: Vec<RobotAnswer>,
    /// `Final` and `More` in stream order (`true` for `Final`).
    order: Vec<bool>,
    failure: Option<String>,
}

async fn ask(registry: &Registry, request: RobotRequest) -> Answered {
    let mut out = Answered::default();
    let mut stream = registry.answer(request);
    while let Some(item) = stream.next().await {
        assert!(out.failure.is_none(), "nothing follows a failure");
        match item {
            Ok(RobotChunk::Text(t)) => panic!("a batch robot sends no text chunks: {t}"),
            Ok(RobotChunk::Final(a)) => {
                out.order.push(true);
                out.finals.push(a);
            }
            Ok(RobotChunk::More(a)) => {
                out.order.push(false);
                out.more.push(a);
            }
            Err(failure) => out.failure = Some(failure.0),
        }
    }
    out
}

async fn failure_of(registry: &Registry, request: RobotRequest) -> String {
    let answered = ask(registry, request).await;
    assert!(answered.order.is_empty(), "no answers before a failure");
    answered.failure.expect("a failure")
}

fn request() -> RobotRequest {
    contract::plain_request(FORMS_DIAGNOSTICS)
}

fn with_attachment(name: &str, bytes: Vec<u8>) -> RobotRequest {
    let file_id = FileId::parse("file_formexport1").unwrap();
    let mut request = request();
    request
        .args
        .insert("fileId".into(), json!(file_id.as_str()));
    request.attachment = Some(RobotInput {
        file_id,
        name: name.into(),
        content_type: "application/json".into(),
        bytes,
    });
    request
}

fn with_form_id(form_id: Value) -> RobotRequest {
    let mut request = request();
    request.args.insert("formId".into(), form_id);
    request
}

/// The fields the report's cycle findings name (`additionalDetails.cycleFieldIds`).
fn report_cycle_fields(report: &Value) -> BTreeSet<String> {
    report["observations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["additionalDetails"]["cycleFieldIds"].as_array())
        .flatten()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect()
}

/// The four answers about one form, checked in shape; the report, parsed.
fn assert_four_answers(answered: &Answered, form_id: &str) -> Value {
    assert_eq!(answered.failure, None);
    assert_eq!(
        answered.order,
        [true, false, false, false],
        "Final, then 3 More"
    );
    let summary = &answered.finals[0];
    assert_eq!(summary.content_type, ContentType::Chat);
    assert!(summary.file.is_none());
    assert!(
        summary.text.starts_with(&format!("Form {form_id} ")),
        "{}",
        summary.text
    );
    let data = summary.data.as_ref().unwrap();
    assert_eq!(data["formId"], form_id);
    assert!(data["formName"].is_string());
    let [graph, image, report] = &answered.more[..] else {
        panic!("three further answers: {:?}", answered.more)
    };

    assert_eq!(graph.content_type, ContentType::Graph);
    assert!(graph.file.is_none());
    assert!(
        graph
            .text
            .starts_with(&format!("Dependency graph of form {form_id}: ")),
        "{}",
        graph.text
    );
    let graph_data = graph.data.as_ref().unwrap();
    assert!(graph_data["nodes"].is_array() && graph_data["edges"].is_array());
    assert!(serde_json::to_vec(graph_data).unwrap().len() <= MAX_GRAPH_DATA_BYTES);

    assert_eq!(image.content_type, ContentType::Image);
    assert_eq!(
        image.text,
        format!("Dependency graph of form {form_id} (SVG)")
    );
    let svg = image.file.as_ref().unwrap();
    assert_eq!(svg.name, format!("form-{form_id}-graph.svg"));
    assert_eq!(svg.content_type, "image/svg+xml");
    let svg_text = std::str::from_utf8(&svg.bytes).unwrap();
    assert!(svg_text.contains("<svg") && svg_text.trim_end().ends_with("</svg>"));
    let size = image.data.as_ref().unwrap();
    assert!(size["width"].as_u64().unwrap() > 0 && size["height"].as_u64().unwrap() > 0);

    assert_eq!(report.content_type, ContentType::File);
    assert_eq!(
        report.text,
        format!("Full diagnostics report of form {form_id} (JSON)")
    );
    let file = report.file.as_ref().unwrap();
    assert_eq!(file.name, format!("form-{form_id}-report.json"));
    assert_eq!(file.content_type, "application/json");
    serde_json::from_slice(&file.bytes).unwrap()
}

// ---------------------------------------------------------------------------------------
// Attached exports
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn an_attached_export_gets_a_summary_a_graph_an_image_and_the_report() {
    let registry = Registry::new(RobotsConfig::default());
    let bytes = form_bytes("5375703.json");
    let answered = ask(&registry, with_attachment("5375703.json", bytes.clone())).await;
    let report = assert_four_answers(&answered, "5375703");

    // The report file is what `form-diagnose` prints for the same form.
    let expected = form_observations::diagnose_json(std::str::from_utf8(&bytes).unwrap());
    assert_eq!(report, serde_json::to_value(expected.unwrap()).unwrap());

    // The summary's counts and observations agree with the report.
    let data = answered.finals[0].data.as_ref().unwrap();
    assert_eq!(data["counts"], report["summary"]);
    let observations: Vec<&str> = data["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().expect("observations are strings"))
        .collect();
    assert!(!observations.is_empty());
    let findings =
        report["summary"]["error"].as_u64().unwrap() + report["summary"]["warn"].as_u64().unwrap();
    assert!(observations.len() as u64 <= findings);
    for line in &observations {
        assert!(
            line.starts_with("ERROR ") || line.starts_with("WARN "),
            "{line}"
        );
        assert!(
            answered.finals[0].text.contains(line),
            "{line} is in the summary"
        );
    }

    // The graph marks exactly the fields the report's cycle findings name.
    let graph = answered.more[0].data.as_ref().unwrap();
    let in_cycle: BTreeSet<String> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["inCycle"] == true)
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    let cycles = report_cycle_fields(&report);
    assert!(!cycles.is_empty(), "form 5375703 has cycles");
    assert_eq!(in_cycle, cycles);
    assert!(
        answered.more[0]
            .text
            .ends_with(&format!("{} in cycles", cycles.len())),
        "{}",
        answered.more[0].text
    );
}

#[tokio::test]
async fn junk_and_empty_attachments_fail_with_the_reason() {
    let registry = Registry::new(RobotsConfig::default());
    for (name, bytes, expected) in [
        (
            "notes.txt",
            b"hello, this is not json".to_vec(),
            "not valid JSON",
        ),
        (
            "photo.png",
            vec![0x89, b'P', b'N', b'G', 0xff, 0xfe],
            "not text",
        ),
        ("list.json", b"[1, 2, 3]".to_vec(), "it is a list"),
        ("empty.json", Vec::new(), "the file is empty"),
        ("cut.json", b"{\"fields\": [".to_vec(), "cut off"),
    ] {
        let failure = failure_of(&registry, with_attachment(name, bytes)).await;
        assert!(
            failure.starts_with("the file is not a Formstack form export"),
            "{name}: {failure}"
        );
        assert!(failure.contains(expected), "{name}: {failure}");
    }
}

#[tokio::test]
async fn the_attachment_wins_over_form_ids() {
    // No Formstack configured: had the robot tried the form id, it would have failed.
    let registry = Registry::new(RobotsConfig::default());
    let mut request = with_attachment("6173057.json", form_bytes("6173057.json"));
    request.args.insert("formId".into(), json!("5375703"));
    request.issue.form_id = Some("6160998".into());
    assert_four_answers(&ask(&registry, request).await, "6173057");
}

#[tokio::test]
async fn a_graph_too_large_for_a_message_is_sent_as_counts() {
    // A chain of 3,000 calculations with long labels: about 0.5 MiB of graph.
    let count = 3_000;
    let fields: Vec<Value> = (0..count)
        .map(|i| {
            let label = format!("Quantity of item {i} {}", "x".repeat(120));
            let mut field = json!({"id": 5000 + i, "type": "number", "label": label, "sort": i});
            if i > 0 {
                field["calculation"] = json!(format!("[{}] + 1", 5000 + i - 1));
            }
            field
        })
        .collect();
    let text = json!({"id": "42", "name": "big", "fields": fields}).to_string();
    let registry = Registry::new(RobotsConfig::default());

    let answered = ask(&registry, with_attachment("big.json", text.into_bytes())).await;

    assert_four_answers(&answered, "42");
    let graph = &answered.more[0];
    assert_eq!(
        graph.data,
        Some(json!({"nodes": [], "edges": [], "omitted": true,
            "nodeCount": count, "edgeCount": count - 1}))
    );
    assert!(
        graph.text.starts_with(&format!(
            "Dependency graph of form 42: {count} fields, {} dependencies, 0 in cycles (the graph is too large to show here",
            count - 1
        )),
        "{}",
        graph.text
    );
}

#[tokio::test]
async fn an_export_without_an_id_is_named_after_its_file() {
    let registry = Registry::new(RobotsConfig::default());
    let text = json!({"name": "upload", "fields": []}).to_string();
    let answered = ask(&registry, with_attachment("upload.json", text.into_bytes())).await;
    assert_four_answers(&answered, "upload");
    assert_eq!(
        answered.finals[0].data.as_ref().unwrap()["observations"],
        json!([])
    );
}

// ---------------------------------------------------------------------------------------
// Forms by id
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_form_id_is_fetched_from_formstack_as_text_or_number() {
    let formstack = Formstack::start().await;
    let registry = formstack.registry(Some(TOKEN), Duration::from_secs(5));

    let report = assert_four_answers(
        &ask(&registry, with_form_id(json!("6173057"))).await,
        "6173057",
    );
    assert_eq!(
        report_cycle_fields(&report),
        BTreeSet::from(["182971643".to_owned(), "182971644".to_owned()])
    );
    assert_four_answers(
        &ask(&registry, with_form_id(json!(6160998))).await,
        "6160998",
    );
    // Without an argument, the issue's form.
    let mut request = request();
    request.issue.form_id = Some("6175496".into());
    assert_four_answers(&ask(&registry, request).await, "6175496");

    assert_eq!(
        formstack.asked(),
        [
            "/api/v2/form/6173057.json",
            "/api/v2/form/6160998.json",
            "/api/v2/form/6175496.json"
        ]
    );
}

#[tokio::test]
async fn formstack_failures_say_what_to_do() {
    let formstack = Formstack::start().await;
    let registry = formstack.registry(Some(TOKEN), Duration::from_secs(5));

    let missing = failure_of(&registry, with_form_id(json!("1234567"))).await;
    assert_eq!(missing, "form 1234567 not found in this Formstack account");

    let limited = failure_of(&registry, with_form_id(json!(LIMITED_ID))).await;
    assert_eq!(limited, "Formstack rate limit; retry after 30s");

    let refused = failure_of(
        &formstack.registry(Some("a-revoked-token"), Duration::from_secs(5)),
        with_form_id(json!("6173057")),
    )
    .await;
    assert!(
        refused.starts_with("Formstack refused the token (401): check CHAT_FORMSTACK_TOKEN"),
        "{refused}"
    );
    assert!(!refused.contains("a-revoked-token"), "{refused}");

    let invalid = failure_of(&registry, with_form_id(json!("form 12"))).await;
    assert!(invalid.contains("is not a Formstack form id"), "{invalid}");
    let not_a_number = failure_of(&registry, with_form_id(json!(true))).await;
    assert!(
        not_a_number.contains("is not a Formstack form id"),
        "{not_a_number}"
    );

    // Bad ids never reach Formstack.
    assert_eq!(formstack.asked().len(), 3);
}

#[tokio::test]
async fn a_slow_formstack_times_out_with_the_limit_named() {
    let formstack = Formstack::start().await;
    let registry = formstack.registry(Some(TOKEN), Duration::from_millis(300));
    let started = Instant::now();
    let failure = failure_of(&registry, with_form_id(json!(SLOW_ID))).await;
    assert_eq!(failure, "Formstack did not answer within 300 ms");
    assert!(started.elapsed() < SLOW_FOR, "gave up at the limit");
}

#[tokio::test]
async fn unreachable_or_unconfigured_formstack_fails_readably() {
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let registry = Registry::new(RobotsConfig {
        formstack: FormstackConfig {
            base_url: format!("http://127.0.0.1:{port}/api/v2"),
            token: Some(TokenSource::Direct(ApiKey::new(TOKEN))),
            ..FormstackConfig::default()
        },
        ..RobotsConfig::default()
    });
    let failure = failure_of(&registry, with_form_id(json!("6173057"))).await;
    assert_eq!(
        failure,
        "could not reach Formstack at 127.0.0.1: the connection failed"
    );

    let unconfigured = Registry::new(RobotsConfig::default());
    let failure = failure_of(&unconfigured, with_form_id(json!("6173057"))).await;
    assert!(
        failure.starts_with("Formstack is not configured"),
        "{failure}"
    );

    let broken = Registry::new(RobotsConfig {
        formstack: FormstackConfig {
            base_url: "formstack.com".into(),
            ..FormstackConfig::default()
        },
        ..RobotsConfig::default()
    });
    let failure = failure_of(&broken, with_form_id(json!("6173057"))).await;
    assert!(
        failure.starts_with("the Formstack configuration is invalid")
            && failure.ends_with("or attach the form's JSON export instead"),
        "{failure}"
    );
    // An attached export still works with broken Formstack settings.
    let answered = ask(
        &broken,
        with_attachment("6173057.json", form_bytes("6173057.json")),
    )
    .await;
    assert_four_answers(&answered, "6173057");
}

// ---------------------------------------------------------------------------------------
// No form; the contract
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn without_any_form_the_robot_says_how_to_ask() {
    let formstack = Formstack::start().await;
    let registry = formstack.registry(Some(TOKEN), Duration::from_secs(5));
    assert_eq!(failure_of(&registry, request()).await, NO_FORM);
    let mut blank = with_form_id(json!("  "));
    blank.issue.form_id = Some(String::new());
    assert_eq!(failure_of(&registry, blank).await, NO_FORM);
    assert!(formstack.asked().is_empty());
}

#[tokio::test]
async fn a_configured_registry_keeps_the_robots_contract() {
    let formstack = Formstack::start().await;
    let registry = formstack.registry(Some(TOKEN), Duration::from_secs(5));
    contract::catalog_is_well_formed(&registry);
    contract::every_robot_answers_or_fails_readably(&registry, Duration::from_secs(5), &[]).await;
    let card = registry.info(FORMS_DIAGNOSTICS).unwrap();
    let args: Vec<(&str, bool)> = card
        .args
        .iter()
        .map(|a| (a.name.as_str(), a.required))
        .collect();
    assert_eq!(args, [("fileId", false), ("formId", false)]);
    assert_eq!(card.content_type, ContentType::Chat);
    assert_eq!(card.delivery, chat_core::model::Delivery::BatchDelay);
    // plain_request names no form: a clean failure, not a request to Formstack.
    assert!(formstack.asked().is_empty());
}

// ---------------------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------------------

/// The whole answer stream for every real test form, the largest file included:
/// printed (`cargo test -p robots --test forms_robot -- --nocapture`), and bounded
/// loosely so a pathological slowdown fails here rather than in a room.
#[tokio::test]
async fn the_whole_stream_is_quick_for_every_test_form() {
    let registry = Registry::new(RobotsConfig::default());
    let mut forms: Vec<(u64, PathBuf)> = std::fs::read_dir(forms_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| (std::fs::metadata(&p).unwrap().len(), p))
        .collect();
    forms.sort();
    assert!(forms.len() >= 5);
    for (size, path) in forms {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let started = Instant::now();
        let answered = ask(&registry, with_attachment(&name, bytes)).await;
        let elapsed = started.elapsed();
        assert_eq!(answered.failure, None, "{name}");
        assert_eq!(answered.order.len(), 4, "{name}");
        eprintln!("{name}: {size} bytes, whole stream in {elapsed:?}");
        assert!(elapsed < Duration::from_secs(10), "{name} took {elapsed:?}");
    }
}
