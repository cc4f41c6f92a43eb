//! `ApiGatewayPush` against the API Gateway Management API of a moto server: a frame
//! is one `PostToConnection`, a close one `DeleteConnection`. The `410 Gone` path and
//! the core's fan-out over it are in `faults.rs` (moto never answers 410).

use chat_aws::push::ApiGatewayPush;
use chat_aws::testkit::{clients, unique_target};
use chat_core::ids::ConnectionId;
use chat_core::ports::Push;

fn conn(id: &str) -> ConnectionId {
    ConnectionId::parse(id).unwrap_or_else(|e| panic!("{id}: {e}"))
}

#[tokio::test]
async fn a_frame_is_posted_with_one_request() {
    let clients = clients(unique_target("push")).await;
    let push =
        ApiGatewayPush::from_clients(&clients).expect("the testkit names a management endpoint");
    clients.counter.take();

    push.post(&conn("Lx7mQdNvIAMCJbA="), r#"{"type":"pong"}"#)
        .await
        .unwrap_or_else(|e| panic!("post: {e:?}"));

    let counts = clients.counter.take();
    assert_eq!(
        counts
            .get("ApiGatewayManagementApi.PostToConnection")
            .copied(),
        Some(1),
        "{counts:?}"
    );
    assert_eq!(
        counts.values().sum::<u64>(),
        1,
        "nothing else is sent: {counts:?}"
    );
}

#[tokio::test]
async fn closing_a_connection_is_one_delete_connection() {
    let clients = clients(unique_target("push")).await;
    let push = ApiGatewayPush::from_clients(&clients).expect("management endpoint");
    let id = conn("closeme-1");
    push.post(&id, "{}")
        .await
        .unwrap_or_else(|e| panic!("post: {e:?}"));
    clients.counter.take();

    push.close(&id)
        .await
        .unwrap_or_else(|e| panic!("close: {e:?}"));

    let counts = clients.counter.take();
    assert_eq!(
        counts
            .get("ApiGatewayManagementApi.DeleteConnection")
            .copied(),
        Some(1),
        "{counts:?}"
    );
}

#[tokio::test]
async fn without_a_management_endpoint_there_is_no_push() {
    let mut target = unique_target("push");
    target.management_endpoint = None;
    let clients = clients(target).await;
    assert!(ApiGatewayPush::from_clients(&clients).is_none());
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_failure_not_gone() {
    let mut target = unique_target("push");
    // A loopback port nothing listens on: the SDK cannot connect.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9);
    target.management_endpoint = Some(format!("http://127.0.0.1:{closed}"));
    let clients = clients(target).await;
    let push = ApiGatewayPush::from_clients(&clients).expect("management endpoint");
    let err = push.post(&conn("c-1"), "{}").await.unwrap_err();
    assert!(
        matches!(err, chat_core::ports::PushError::Failed(_)),
        "only a 410 means gone: {err:?}"
    );
}

#[tokio::test]
async fn api_gateway_push_meets_the_push_contract() {
    use chat_core::testkit::contract::push;
    push::run_all(|| async {
        let clients = clients(unique_target("push")).await;
        let push = ApiGatewayPush::from_clients(&clients).expect("management endpoint");
        (push, MotoProbe { next: 0 })
    })
    .await;
}

/// moto accepts a post to any connection id, keeps no frames to read back and never
/// answers 410: the contract checks what the adapter reports (no failures for open
/// connections), not deliveries. The 410 path is in `faults.rs`.
struct MotoProbe {
    next: usize,
}

#[async_trait::async_trait]
impl chat_core::testkit::contract::push::PushProbe for MotoProbe {
    async fn open(&mut self) -> ConnectionId {
        self.next += 1;
        conn(&format!("contract-{}", self.next))
    }

    async fn gone(&mut self) -> Option<ConnectionId> {
        None
    }

    async fn delivered(
        &mut self,
        _connection: &ConnectionId,
        _at_least: usize,
        _wait: std::time::Duration,
    ) -> Option<Vec<String>> {
        None
    }
}

#[tokio::test]
async fn post_many_is_one_post_to_connection_per_target() {
    let clients = clients(unique_target("push")).await;
    let push = ApiGatewayPush::from_clients(&clients).expect("management endpoint");
    let targets: Vec<ConnectionId> = (0..40).map(|n| conn(&format!("many-{n}"))).collect();
    clients.counter.take();

    let failed = push
        .post_many(
            &targets,
            &chat_core::ports::SharedFrame::from(r#"{"type":"pong"}"#),
        )
        .await;

    assert!(failed.is_empty(), "{failed:?}");
    let counts = clients.counter.take();
    assert_eq!(
        counts
            .get("ApiGatewayManagementApi.PostToConnection")
            .copied(),
        Some(40),
        "{counts:?}"
    );
    assert_eq!(counts.values().sum::<u64>(), 40, "{counts:?}");
}
