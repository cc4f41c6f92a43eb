//! The Management API on a running gateway: key required, 410 for unknown
//! connections, and `ManagementApiPush` (the admin CLI's push) driving real sockets.

mod common;

use chat_core::ids::ConnectionId;
use chat_core::ports::{Push, PushError};
use chat_embedded::push::{MANAGEMENT_KEY_HEADER, ManagementApiPush};
use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn the_management_api_requires_the_key() {
    let t = spawn(false).await;
    let url = format!("{}/@connections/anything", t.base);
    let client = http();
    let none = client.post(&url).body("x").send().await.unwrap();
    assert_eq!(none.status(), 403);
    let body: Value = none.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden");
    let wrong = client
        .get(&url)
        .header(MANAGEMENT_KEY_HEADER, "not-the-key")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let delete = client.delete(&url).send().await.unwrap();
    assert_eq!(delete.status(), 403);
    t.gateway.shutdown().await;
}

#[tokio::test]
async fn unknown_connections_are_gone() {
    let t = spawn(false).await;
    let url = format!("{}/@connections/01JUNKNOWN0000000000000000", t.base);
    let key = t.gateway.management_key().to_string();
    let client = http();
    for request in [
        client.post(&url).body("{}"),
        client.get(&url),
        client.delete(&url),
    ] {
        let resp = request
            .header(MANAGEMENT_KEY_HEADER, &key)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 410);
    }
    let push = ManagementApiPush::new(&t.base, &key).unwrap();
    let id = ConnectionId::parse("01JUNKNOWN0000000000000000").unwrap();
    assert!(matches!(push.post(&id, "{}").await, Err(PushError::Gone)));
    assert!(matches!(push.close(&id).await, Err(PushError::Gone)));
    t.gateway.shutdown().await;
}

#[tokio::test]
async fn the_key_is_kept_in_the_data_folder() {
    let t = spawn(false).await;
    let on_disk = std::fs::read_to_string(t.dir.path().join("management.key")).unwrap();
    assert_eq!(on_disk.trim(), t.gateway.management_key());
    let addr = std::fs::read_to_string(t.dir.path().join("gateway.addr")).unwrap();
    assert_eq!(addr.trim(), t.base);
    let dir = t.dir.path().to_path_buf();
    t.gateway.shutdown().await;
    assert!(!dir.join("gateway.addr").exists(), "removed at shutdown");
}

#[tokio::test]
async fn posts_reach_an_open_socket_and_delete_closes_it() {
    let t = spawn(true).await;
    let token = login(&t.base, "alice").await;
    let mut socket = connect_bearer(&t.ws_url, &token).await;
    // Clients never learn their connection id; the gateway lists the ids it holds.
    let ids = t.gateway.connection_ids();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let id = ids[0].clone();
    let key = t.gateway.management_key().to_string();

    let info: Value = http()
        .get(format!("{}/@connections/{id}", t.base))
        .header(MANAGEMENT_KEY_HEADER, &key)
        .json_body()
        .await;
    assert_eq!(info["identity"]["sourceIp"], "127.0.0.1");
    assert!(info["connectedAt"].is_string() && info["lastActiveAt"].is_string());

    // The raw API: a POST body arrives as one frame.
    let resp = http()
        .post(format!("{}/@connections/{id}", t.base))
        .header(MANAGEMENT_KEY_HEADER, &key)
        .body(json!({"type": "raw"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(next_json(&mut socket).await["type"], "raw");

    // The adapter the admin CLI uses.
    let push = ManagementApiPush::new(&t.base, &key).unwrap();
    push.post(&id, r#"{"type":"hello"}"#).await.unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "hello");
    push.close(&id).await.unwrap();
    assert!(
        closed_by_server(&mut socket).await,
        "DELETE closes the socket"
    );
    assert!(matches!(push.post(&id, "{}").await, Err(PushError::Gone)));
    t.gateway.shutdown().await;
}
