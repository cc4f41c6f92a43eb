//! fn-ws-message from `$default` event fixtures in `tests/fixtures/`: replies leave
//! through Push (recorded by the test app), the response is always 200.

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use base64::Engine;
use chat_core::ids::ConnectionId;
use chat_core::testkit::harness::{T1, TestApp};

fn fixture(conn: &ConnectionId) -> ApiGatewayWebsocketProxyRequest {
    let path = format!(
        "{}/../../tests/fixtures/ws-message.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut req: ApiGatewayWebsocketProxyRequest =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    req.request_context.connection_id = Some(conn.to_string());
    req
}

#[tokio::test]
async fn a_frame_is_answered_through_push() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let conn = t.connect(&alice).await;
    t.push.take(&conn);
    let resp = fn_ws_message::handle(&t.app, fixture(&conn)).await;
    assert_eq!(resp.status_code, 200);
    let frames = t.push.take(&conn);
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert_eq!(frames[0]["type"], "reply");
    assert_eq!(frames[0]["requestId"], "r-1");
    assert_eq!(frames[0]["ok"], true);
    assert_eq!(frames[0]["data"]["rooms"], serde_json::json!([]));
}

#[tokio::test]
async fn a_garbage_frame_gets_an_error_frame_and_still_a_200() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let conn = t.connect(&alice).await;
    t.push.take(&conn);
    let mut req = fixture(&conn);
    req.body = Some("this is not json".into());
    assert_eq!(fn_ws_message::handle(&t.app, req).await.status_code, 200);
    let frames = t.push.take(&conn);
    assert_eq!(frames[0]["type"], "error");
    assert_eq!(frames[0]["error"]["code"], "bad_request");
}

#[tokio::test]
async fn a_base64_frame_is_decoded_before_handling() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let conn = t.connect(&alice).await;
    t.push.take(&conn);
    let mut req = fixture(&conn);
    req.body = Some(base64::engine::general_purpose::STANDARD.encode(r#"{"action":"ping"}"#));
    req.is_base64_encoded = true;
    assert_eq!(fn_ws_message::handle(&t.app, req).await.status_code, 200);
    assert_eq!(t.push.take(&conn)[0]["type"], "pong");
}

#[tokio::test]
async fn an_event_without_a_connection_id_is_refused() {
    let t = TestApp::new();
    let mut req = fixture(&ConnectionId::parse("x").unwrap());
    req.request_context.connection_id = None;
    assert_eq!(fn_ws_message::handle(&t.app, req).await.status_code, 400);
}
