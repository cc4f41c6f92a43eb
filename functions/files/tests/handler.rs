//! fn-files from API Gateway (payload v2) events: the routes, their refusals, a whole
//! upload through the handler, and the template's lifecycle rules against the code's
//! storage classes.

use aws_lambda_events::http::Method;
use chat_core::model::StorageClass;
use chat_core::testkit::harness::{T1, TestApp};
use chat_http::testkit::{error_code, json, request, token, with_token};
use serde_json::json;
use sha2::{Digest, Sha256};

async fn room_of(t: &TestApp, user: &chat_core::model::UserRecord) -> String {
    let conn = t.connect(user).await;
    let d = t
        .ok(&conn, "room.create", json!({"kind": "solo", "title": "Upload", "issue": {"title": "Upload", "customerName": "Dana"}}))
        .await;
    d["room"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn every_route_wants_a_bearer_first() {
    let t = TestApp::new();
    for (method, path, body) in [
        (Method::POST, "/files", Some("{not json")),
        (Method::POST, "/files/file_1/complete", None),
        (Method::GET, "/files/file_1", None),
    ] {
        let resp = fn_files::handle(&t.app, request(method, path, body)).await;
        assert_eq!(resp.status_code, 401, "{path}");
        assert_eq!(error_code(&resp), "unauthorized");
    }
}

#[tokio::test]
async fn an_upload_through_the_handler_completes_and_downloads() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let room = room_of(&t, &alice).await;
    let bearer = token(&t.app, "alice").await;
    let bytes = b"{\"form\": 5375703}".to_vec();
    let body = json!({
        "roomId": room,
        "name": "form.json",
        "contentType": "application/json",
        "size": bytes.len(),
        "sha256": hex::encode(Sha256::digest(&bytes)),
    })
    .to_string();
    let created = fn_files::handle(
        &t.app,
        with_token(request(Method::POST, "/files", Some(&body)), &bearer),
    )
    .await;
    assert_eq!(created.status_code, 200, "{:?}", created.body);
    let created = json(&created);
    let upload = &created["upload"];
    assert_eq!(upload["method"], "PUT");
    let headers = serde_json::from_value(upload["headers"].clone()).unwrap();
    t.blobs
        .accept_upload(
            upload["url"].as_str().unwrap(),
            &headers,
            &bytes,
            created_at(&t),
        )
        .unwrap();
    let file = created["fileId"].as_str().unwrap();
    let done = fn_files::handle(
        &t.app,
        with_token(
            request(Method::POST, &format!("/files/{file}/complete"), None),
            &bearer,
        ),
    )
    .await;
    assert_eq!(json(&done)["message"]["status"], "complete");
    let link = fn_files::handle(
        &t.app,
        with_token(
            request(Method::GET, &format!("/files/{file}"), None),
            &bearer,
        ),
    )
    .await;
    let link = json(&link);
    assert_eq!(link["name"], "form.json");
    assert_eq!(link["contentType"], "application/json");
    assert!(link["downloadUrl"].is_string() && link["expiresAt"].is_string());

    let junk = fn_files::handle(
        &t.app,
        with_token(
            request(Method::GET, &format!("/files/{file}?variant=poster"), None),
            &bearer,
        ),
    )
    .await;
    assert_eq!(error_code(&junk), "bad_request");
    let wrong_method = fn_files::handle(
        &t.app,
        with_token(
            request(Method::DELETE, &format!("/files/{file}"), None),
            &bearer,
        ),
    )
    .await;
    assert_eq!(error_code(&wrong_method), "not_found");
    let bad_id = fn_files::handle(
        &t.app,
        with_token(request(Method::GET, "/files/..%2Fetc", None), &bearer),
    )
    .await;
    assert_eq!(error_code(&bad_id), "bad_request");
}

/// The harness's manual clock (uploads are checked against it, not the wall clock).
fn created_at(t: &TestApp) -> chrono::DateTime<chrono::Utc> {
    use chat_core::ports::Clock;
    t.clock.now()
}

#[test]
fn the_templates_lifecycle_rules_keep_each_storage_class_for_its_retention() {
    let path = format!("{}/../../template.yaml", env!("CARGO_MANIFEST_DIR"));
    let template = std::fs::read_to_string(&path).unwrap();
    for class in StorageClass::ALL {
        for prefix in ["files", "thumbs"] {
            let rule = format!(
                "Prefix: {prefix}/{}/, ExpirationInDays: {}}}",
                class.as_str(),
                class.retention_days()
            );
            assert!(template.contains(&rule), "template.yaml lacks {rule:?}");
        }
    }
    assert!(template.contains("Prefix: uploads/, ExpirationInDays: 1}"));
}
