//! The forms-diagnostics robot in a room, as a new support engineer uses it (JOURNEYS 1,
//! steps 3–4): the customer uploads a Formstack form export, the employee invites the
//! robot and asks about the file (or a form id, fetched from a local stub of the
//! Formstack API), four employees-only answers arrive in order (summary, graph, image,
//! report), and the customer sees none of it until the summary is shared. Runs on the
//! backend `CHAT_E2E_BACKEND` selects.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use chat_e2e::robot_helpers::{ANSWER_WAIT, DIAGNOSTICS, finished, id_of, invite_robot};
use chat_e2e::{QUIET, TIMEOUT, TestServer, Ws, create_room, invite_guest};
use serde_json::{Value, json};

const FORM: &str = "5375703";

fn form_text(id: &str) -> String {
    let path = format!(
        "{}/../../shared/form-observations/tests/forms/{id}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The cycle members `form-diagnose` reports for the form (its `cycleFieldIds`).
fn reported_cycle_fields(text: &str) -> BTreeSet<String> {
    let report = form_observations::diagnose_json(text).expect("a test form");
    let mut found = BTreeSet::new();
    collect_cycle_ids(
        &serde_json::to_value(&report).expect("a report"),
        &mut found,
    );
    found
}

fn collect_cycle_ids(v: &Value, found: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "cycleFieldIds" {
                    for id in v.as_array().into_iter().flatten() {
                        found.insert(id.as_str().map_or_else(|| id.to_string(), str::to_string));
                    }
                } else {
                    collect_cycle_ids(v, found);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_cycle_ids(i, found)),
        _ => {}
    }
}

struct Desk {
    server: TestServer,
    room: String,
    alice: Ws,
    guest_token: String,
    guest: Ws,
}

async fn desk(server: TestServer) -> Desk {
    let (_, _, alice) = server.user("alice").await;
    let room = create_room(&alice, "solo", "Form 5375703 will not submit").await;
    let room = room["id"].as_str().unwrap().to_string();
    let code = invite_guest(&alice, &room).await;
    let (guest_token, _, _, guest) = server.guest(&code, "Dana").await;
    invite_robot(&alice, &room, DIAGNOSTICS).await;
    Desk {
        server,
        room,
        alice,
        guest_token,
        guest,
    }
}

/// Asks the robot with `args`; returns (request id, response id).
async fn ask(d: &Desk, args: Value) -> (String, String) {
    let reply = d
        .alice
        .ok(
            "robot.ask",
            json!({"roomId": d.room, "robot": DIAGNOSTICS, "text": "What is wrong with this form?", "args": args}),
        )
        .await;
    (id_of(&reply["request"]), id_of(&reply["response"]))
}

/// Waits for the first answer to finish and the three further ones; returns them in
/// the room's order (summary, graph, image, file).
async fn four_answers(d: &Desk, request: &str, response: &str) -> Vec<Value> {
    let done = d
        .alice
        .wait_event("the summary", ANSWER_WAIT, finished(response))
        .await;
    assert_eq!(done["message"]["status"], "complete", "{done}");
    let more = d
        .alice
        .wait_events("three further answers", 3, TIMEOUT, |e| {
            e["type"] == "message.created"
                && e["message"]["replyTo"] == request
                && e["message"]["id"] != response
        })
        .await;
    let mut all = vec![done["message"].clone()];
    all.extend(more.into_iter().map(|e| e["message"].clone()));
    all
}

#[tokio::test]
async fn forms_robot_diagnoses_an_uploaded_export_in_four_answers() {
    let d = desk(TestServer::start().await).await;
    let text = form_text(FORM);
    let (file_id, _) = d
        .server
        .send_file(
            &d.guest_token,
            &d.room,
            "5375703.json",
            "application/json",
            text.as_bytes(),
        )
        .await;
    let (request, response) = ask(&d, json!({"fileId": file_id})).await;
    let answers = four_answers(&d, &request, &response).await;

    let kinds: Vec<&str> = answers
        .iter()
        .map(|m| m["contentType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["chat", "graph", "image", "file"]);
    let seqs: Vec<u64> = answers.iter().map(|m| m["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    for m in &answers {
        assert_eq!(m["visibility"], "employees", "{m}");
        assert_eq!(m["replyTo"], request.as_str(), "{m}");
    }
    let summary = answers[0]["text"].as_str().unwrap();
    assert!(summary.contains(FORM), "{summary}");
    assert!(answers[0]["data"]["observations"].is_array());

    // The graph's cycle members are the ones form-diagnose reports.
    let in_cycle: BTreeSet<String> = answers[1]["data"]["nodes"]
        .as_array()
        .expect("graph nodes")
        .iter()
        .filter(|n| n["inCycle"] == true)
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(in_cycle, reported_cycle_fields(&text));
    assert!(!in_cycle.is_empty(), "the test form has cycles");

    // The image and the report are files the employee downloads.
    let image = &answers[2]["data"];
    assert!(image["width"].as_u64().unwrap() > 0 && image["height"].as_u64().unwrap() > 0);
    let alice_token = d.server.login("alice").await;
    let (status, link) = d
        .server
        .file_link(&alice_token, image["fileId"].as_str().unwrap())
        .await;
    assert_eq!(status, 200, "{link}");
    let svg = chat_e2e::file_helpers::fetch(link["downloadUrl"].as_str().unwrap()).await;
    assert!(String::from_utf8_lossy(&svg.body).contains("<svg"));
    let report_id = answers[3]["data"]["fileId"].as_str().unwrap();
    let (_, link) = d.server.file_link(&alice_token, report_id).await;
    let report = chat_e2e::file_helpers::fetch(link["downloadUrl"].as_str().unwrap()).await;
    let report: Value = serde_json::from_slice(&report.body).expect("a JSON report");
    let mut from_file = BTreeSet::new();
    collect_cycle_ids(&report, &mut from_file);
    assert_eq!(from_file, in_cycle);

    // The guest saw none of it and cannot fetch the robot's files.
    d.guest
        .expect_no_event("anything about the diagnosis", QUIET, |e| {
            let raw = e.to_string();
            raw.contains(&request) || raw.contains(&response) || raw.contains(report_id)
        })
        .await;
    let (status, _) = d.server.file_link(&d.guest_token, report_id).await;
    assert_eq!(status, 404);

    // Until the employee shares the summary.
    d.alice
        .ok(
            "message.share",
            json!({"roomId": d.room, "messageId": response, "text": format!("We found the problem in form {FORM}.")}),
        )
        .await;
    d.guest
        .wait_event("the shared summary", TIMEOUT, |e| {
            e["type"] == "message.created"
                && e["message"]["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("We found the problem"))
        })
        .await;
}

/// A stand-in for the Formstack API v2 on loopback: `GET /form/{id}.json` with the
/// bearer `test-token`. Form ids: the repository's test forms; `401` refuses the token;
/// `404` is unknown; `777` answers after 3 s.
async fn formstack_stub() -> SocketAddr {
    async fn form(
        Path(file): Path<String>,
        headers: HeaderMap,
    ) -> (StatusCode, [(header::HeaderName, &'static str); 1], String) {
        let (status, body) = answer(&file, &headers).await;
        (status, [(header::CONTENT_TYPE, "application/json")], body)
    }
    async fn answer(file: &str, headers: &HeaderMap) -> (StatusCode, String) {
        let id = file.trim_end_matches(".json");
        let bearer = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if bearer != "Bearer test-token" || id == "401" {
            return (
                StatusCode::UNAUTHORIZED,
                r#"{"error":"invalid token"}"#.into(),
            );
        }
        if id == "777" {
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        match id {
            FORM | "6160998" => (StatusCode::OK, form_text(id)),
            _ => (
                StatusCode::NOT_FOUND,
                r#"{"error":"form not found"}"#.into(),
            ),
        }
    }
    let app = axum::Router::new().route("/form/{file}", get(form));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test]
async fn forms_robot_fetches_a_form_by_id_and_explains_formstack_refusals() {
    let stub = formstack_stub().await;
    let base = format!("http://{stub}");
    let server = TestServer::start_with_env(&[
        ("CHAT_FORMSTACK_BASE_URL", &base),
        ("CHAT_FORMSTACK_TOKEN", "test-token"),
        ("CHAT_FORMSTACK_TIMEOUT_SECONDS", "1"),
    ])
    .await;
    let d = desk(server).await;

    let (request, response) = ask(&d, json!({"formId": FORM})).await;
    let answers = four_answers(&d, &request, &response).await;
    assert_eq!(answers[1]["contentType"], "graph");
    let in_cycle = answers[1]["data"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["inCycle"] == true)
        .count();
    assert_eq!(in_cycle, reported_cycle_fields(&form_text(FORM)).len());

    for (form, reason) in [("401", "401"), ("404", "not found"), ("777", "within")] {
        let (_, response) = ask(&d, json!({"formId": form})).await;
        let done = d
            .alice
            .wait_event("the answer", ANSWER_WAIT, finished(&response))
            .await;
        assert_eq!(done["message"]["status"], "failed", "{form}: {done}");
        let text = done["message"]["text"].as_str().unwrap();
        assert!(text.contains(reason), "{form}: {text:?} lacks {reason:?}");
    }
}
