//! fn-ws-disconnect from the `$disconnect` event fixture in `tests/fixtures/`.

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use chat_core::ids::ConnectionId;
use chat_core::testkit::harness::{T1, TestApp};

fn fixture(conn: &str) -> ApiGatewayWebsocketProxyRequest {
    let path = format!(
        "{}/../../tests/fixtures/ws-disconnect.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut req: ApiGatewayWebsocketProxyRequest =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    req.request_context.connection_id = Some(conn.into());
    req
}

#[tokio::test]
async fn disconnect_forgets_the_connection() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let conn = t.connect(&alice).await;
    let resp = fn_ws_disconnect::handle(&t.app, fixture(conn.as_str())).await;
    assert_eq!(resp.status_code, 200);
    assert!(t.store.connection(&conn).await.unwrap().is_none());
}

#[tokio::test]
async fn an_unknown_connection_is_not_an_error() {
    let t = TestApp::new();
    let resp = fn_ws_disconnect::handle(&t.app, fixture("Lx7mQdNvIAMCJbA=")).await;
    assert_eq!(resp.status_code, 200);
    assert!(
        t.store
            .connection(&ConnectionId::parse("Lx7mQdNvIAMCJbA=").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn the_fixture_parses_as_a_disconnect_event() {
    let req = fixture("c");
    assert_eq!(
        req.request_context.route_key.as_deref(),
        Some("$disconnect")
    );
    assert_eq!(
        req.request_context.event_type.as_deref(),
        Some("DISCONNECT")
    );
}
