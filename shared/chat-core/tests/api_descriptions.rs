//! The generated API descriptions against the committed files, and every example in
//! the AsyncAPI document against the server's own types.
//!
//! - `docs/asyncapi.yaml` must equal what the code generates now;
//! - `web/src/api/` must equal the TypeScript that ts-rs generates now;
//! - every example message in the committed AsyncAPI file must parse: requests through
//!   the server's frame parser into the named action, reply data into that action's
//!   reply type, events into `ServerEvent` with the same `type`.
//!
//! After changing a wire type, regenerate both with
//! `UPDATE_API_DESCRIPTIONS=1 cargo test -p chat-core --features schema --test api_descriptions`
//! and commit the result (the web client's types then change in the same commit).

use std::path::{Path, PathBuf};

use chat_core::api_description::event_examples::{EVENTS, event_name};
use chat_core::api_description::{asyncapi, typescript};
use chat_core::error::ErrorDetail;
use chat_core::protocol::events::ServerEvent;
use chat_core::protocol::registry::{ACTIONS, parse_reply_example};
use chat_core::protocol::{ParsedFrame, parse_frame};
use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn updating() -> bool {
    std::env::var_os("UPDATE_API_DESCRIPTIONS").is_some_and(|v| v != "0")
}

fn asyncapi_yaml() -> String {
    let doc = asyncapi::document(env!("CARGO_PKG_VERSION"));
    let yaml = asyncapi::to_yaml(&doc).expect("the document serializes as YAML");
    format!(
        "# Generated from the code (chat-core's api_description::asyncapi); do not edit.\n\
         # Regenerate: UPDATE_API_DESCRIPTIONS=1 cargo test -p chat-core --features schema --test api_descriptions\n\
         {yaml}"
    )
}

#[test]
fn asyncapi_document_matches_the_code() {
    let path = repo_root().join("docs/asyncapi.yaml");
    let generated = asyncapi_yaml();
    if updating() {
        std::fs::write(&path, &generated).expect("write docs/asyncapi.yaml");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/asyncapi.yaml differs from what the code generates; rerun this test with \
         UPDATE_API_DESCRIPTIONS=1 and commit the file"
    );
}

#[test]
fn typescript_types_match_the_code() {
    let committed_dir = repo_root().join("web/src/api");
    let scratch = tempfile::tempdir().expect("scratch dir");
    let generated = typescript::export(scratch.path()).expect("ts-rs export");
    if updating() {
        let _ = std::fs::remove_dir_all(&committed_dir);
        for file in &generated {
            let target = committed_dir.join(file);
            std::fs::create_dir_all(target.parent().expect("a parent")).expect("create a folder");
            std::fs::copy(scratch.path().join(file), target).expect("copy a generated file");
        }
        return;
    }
    let mut committed = Vec::new();
    collect(&committed_dir, &committed_dir, &mut committed);
    committed.sort();
    assert_eq!(
        committed, generated,
        "web/src/api/ holds other files than the export; rerun with UPDATE_API_DESCRIPTIONS=1"
    );
    for file in &generated {
        let want = std::fs::read_to_string(scratch.path().join(file)).expect("read generated");
        let have = std::fs::read_to_string(committed_dir.join(file)).unwrap_or_default();
        assert!(
            want == have,
            "web/src/api/{} differs from the Rust types; rerun with UPDATE_API_DESCRIPTIONS=1",
            file.display()
        );
    }
}

/// Every file under `dir`, relative to `root`.
fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            out.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
        }
    }
}

fn committed_document() -> Value {
    let text = std::fs::read_to_string(repo_root().join("docs/asyncapi.yaml"))
        .expect("docs/asyncapi.yaml exists");
    serde_norway::from_str(&text).expect("docs/asyncapi.yaml is YAML")
}

fn examples(message: &Value) -> Vec<Value> {
    message["examples"]
        .as_array()
        .map(|list| list.iter().map(|e| e["payload"].clone()).collect())
        .unwrap_or_default()
}

#[test]
fn every_example_in_the_document_parses_into_the_servers_types() {
    let doc = committed_document();
    let messages = doc["components"]["messages"]
        .as_object()
        .expect("components.messages");
    let mut checked = 0;
    for (key, message) in messages {
        let payloads = examples(message);
        assert!(!payloads.is_empty(), "message {key} has no example");
        for payload in payloads {
            check_example(key, &payload);
            checked += 1;
        }
    }
    // Two per action, one per event, the error reply and the error frame.
    assert_eq!(checked, ACTIONS.len() * 2 + EVENTS.len() + 2);
}

fn check_example(key: &str, payload: &Value) {
    if let Some(action) = key.strip_suffix(".request") {
        match parse_frame(&payload.to_string()) {
            ParsedFrame::Request {
                request_id,
                action: Ok(parsed),
            } => {
                assert_eq!(
                    parsed.name(),
                    action,
                    "example of {key} parses as another action"
                );
                assert!(request_id.is_some(), "example of {key} has no requestId");
            }
            other => panic!("example of {key} does not parse as a request: {other:?}"),
        }
    } else if let Some(action) = key.strip_suffix(".reply") {
        assert_eq!(payload["type"], "reply");
        assert_eq!(payload["ok"], true);
        parse_reply_example(action, &payload["data"].to_string())
            .unwrap_or_else(|e| panic!("reply example of {action}: {e}"));
    } else if key == "reply.error" || key == "error" {
        let detail: ErrorDetail = serde_json::from_value(payload["error"].clone())
            .unwrap_or_else(|e| panic!("example of {key}: {e}"));
        assert!(!detail.message.is_empty());
    } else {
        let event: ServerEvent = serde_json::from_value(payload.clone())
            .unwrap_or_else(|e| panic!("event example {key}: {e}"));
        assert_eq!(
            event_name(&event),
            key,
            "event example {key} has another type"
        );
    }
}

#[test]
fn every_action_and_event_is_in_the_document() {
    let doc = committed_document();
    let operations = doc["operations"].as_object().expect("operations");
    for spec in ACTIONS {
        assert!(
            operations.contains_key(spec.name),
            "no operation for {}",
            spec.name
        );
    }
    for event in EVENTS {
        let key = format!("receive.{}", event.name);
        assert!(operations.contains_key(&key), "no operation {key}");
    }
}
