//! How many AWS requests each hot action costs, measured through the adapters: the
//! DynamoDB store on moto with every request counted by [`chat_aws::RequestCounter`],
//! and pushes counted at the `Push` port (each is one `PostToConnection` with
//! `ApiGatewayPush`).
//!
//! The assertions hold the design's promises — a warm send is 3 requests (its
//! connection, one transaction holding the authorization checks, the audience), a
//! room's fan-out costs the same however many other rooms and connections exist and
//! reads its audience with one `Query`, a stale hint costs one cancelled transaction,
//! and a revoked user's send fails inside the transaction — and
//! `cargo test -p chat-aws --test request_counts -- --nocapture` prints the table
//! recorded in BENCHMARKS.md.

use std::collections::BTreeMap;
use std::sync::Arc;

use chat_aws::dynamo::DynamoStore;
use chat_aws::dynamo::schema::ensure_table;
use chat_aws::{AwsClients, RequestCounter, testkit};
use chat_core::ids::{ConnectionId, MessageId, RoomId};
use chat_core::model::{Author, ContentType, Delivery, MessageStatus, NewMessage, Visibility};
use chat_core::ports::{Clock, MessageStore, UserStore};
use chat_core::testkit::harness::{T1, TestApp, test_config};
use serde_json::json;

struct Scene {
    t: TestApp,
    /// The clients the scene's store uses: another `DynamoStore` built from them is
    /// another Lambda instance on the same table (no hints of its own).
    clients: AwsClients,
    counter: RequestCounter,
    sender: ConnectionId,
    room: String,
    /// Connections that receive the room's events.
    audience: usize,
}

/// A room of `members` employees, each with `conns_each` open connections, beside
/// `other_rooms` busy rooms of 2 members with one connection each.
async fn scene(members: usize, conns_each: usize, other_rooms: usize) -> Scene {
    let clients = testkit::clients(testkit::unique_target("counts")).await;
    ensure_table(&clients.dynamodb, &clients.target.table)
        .await
        .expect("create table");
    let store = Arc::new(DynamoStore::from_clients(&clients));
    let mut config = test_config();
    config.limits.actions_per_second = 0;
    let t = TestApp::with_store(store, config);

    let owner = t.employee("owner", T1, &[]).await;
    let sender = t.connect(&owner).await;
    for _ in 1..conns_each {
        t.connect(&owner).await;
    }
    let d = t
        .ok(
            &sender,
            "room.create",
            json!({"kind": "group", "title": "measured"}),
        )
        .await;
    let room = d["room"]["id"].as_str().unwrap_or_default().to_string();
    for i in 1..members {
        let u = t.employee(&format!("member{i}"), T1, &[]).await;
        for _ in 0..conns_each {
            t.connect(&u).await;
        }
        t.ok(
            &sender,
            "room.invite",
            json!({"roomId": room, "userId": u.identity.user_id.to_string()}),
        )
        .await;
    }
    for r in 0..other_rooms {
        let a = t.employee(&format!("other{r}"), T1, &[]).await;
        let b = t.employee(&format!("peer{r}"), T1, &[]).await;
        let ca = t.connect(&a).await;
        t.connect(&b).await;
        let d = t
            .ok(
                &ca,
                "room.create",
                json!({"kind": "group", "title": "elsewhere"}),
            )
            .await;
        let id = d["room"]["id"].as_str().unwrap_or_default().to_string();
        t.ok(
            &ca,
            "room.invite",
            json!({"roomId": id, "userId": b.identity.user_id.to_string()}),
        )
        .await;
        t.ok(
            &ca,
            "message.send",
            json!({"roomId": id, "clientMsgId": format!("busy{r}"), "text": "busy"}),
        )
        .await;
    }
    t.push.clear();
    let counter = clients.counter.clone();
    counter.take();
    Scene {
        t,
        clients,
        counter,
        sender,
        room,
        audience: members * conns_each,
    }
}

/// The requests and pushes of one `message.send`.
async fn send_once(s: &Scene, n: usize) -> (BTreeMap<String, u64>, usize) {
    s.counter.take();
    s.t.push.clear();
    let frame = json!({
        "action": "message.send", "requestId": format!("r{n}"), "roomId": s.room,
        "clientMsgId": format!("m{n}"), "text": "hello",
    });
    s.t.app.handle_frame(&s.sender, &frame.to_string()).await;
    (s.counter.take(), s.t.push.total_frames())
}

/// A warm send's requests: its connection, the transaction, the audience.
fn warm_send() -> BTreeMap<String, u64> {
    [
        ("DynamoDB.GetItem", 1),
        ("DynamoDB.TransactWriteItems", 1),
        ("DynamoDB.Query", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn total(counts: &BTreeMap<String, u64>) -> u64 {
    counts.values().sum()
}

fn line(label: &str, counts: &BTreeMap<String, u64>, pushes: usize) {
    let detail: Vec<String> = counts.iter().map(|(k, v)| format!("{k}×{v}")).collect();
    println!(
        "| {label} | {} | {pushes} | {} |",
        total(counts),
        detail.join(", ")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_send_costs_the_same_beside_many_other_rooms() {
    println!("| case | DynamoDB requests | PostToConnection | requests by operation |");
    println!("|---|---|---|---|");
    let mut by_neighbours = Vec::new();
    for others in [0, 25] {
        let s = scene(5, 2, others).await;
        send_once(&s, 0).await; // warm: nothing cached, but keep the measured send typical
        let (counts, pushes) = send_once(&s, 1).await;
        line(
            &format!("message.send, N=5 members, C=10 connections, {others} other rooms"),
            &counts,
            pushes,
        );
        assert_eq!(
            counts,
            warm_send(),
            "a warm send: the connection, one transaction, the audience"
        );
        assert!(
            !counts.keys().any(|k| k.ends_with(".Scan")),
            "a Scan on the hot path: {counts:?}"
        );
        // The sender gets a reply, and every connection of the room gets the event.
        assert_eq!(
            pushes,
            s.audience + 1,
            "one push per audience connection + reply"
        );
        by_neighbours.push(counts);
    }
    assert_eq!(
        by_neighbours[0], by_neighbours[1],
        "other rooms and connections changed the cost of a send"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_send_grows_only_in_pushes_with_the_audience() {
    let mut costs = Vec::new();
    for (members, conns) in [(2, 1), (10, 1), (10, 3)] {
        let s = scene(members, conns, 0).await;
        send_once(&s, 0).await;
        let (counts, pushes) = send_once(&s, 1).await;
        line(
            &format!(
                "message.send, N={members} members, C={} connections",
                members * conns
            ),
            &counts,
            pushes,
        );
        assert_eq!(pushes, members * conns + 1);
        assert_eq!(counts, warm_send());
        costs.push(total(&counts));
    }
    assert!(
        costs.windows(2).all(|w| w[0] == w[1]),
        "DynamoDB requests per send must not grow with the audience: {costs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_and_disconnect_cost_grows_with_the_users_rooms_only() {
    for rooms in [1, 5] {
        let s = scene(2, 1, 0).await;
        // The member of `rooms` rooms reconnects.
        let user = s.t.employee("roamer", T1, &[]).await;
        let first = s.t.connect(&user).await;
        for r in 0..rooms {
            let d =
                s.t.ok(
                    &first,
                    "room.create",
                    json!({"kind": "group", "title": format!("r{r}")}),
                )
                .await;
            assert!(d["room"]["id"].is_string());
        }
        s.counter.take();
        let conn = s.t.connect(&user).await;
        let connect = s.counter.take();
        s.t.app.disconnect(&conn).await.expect("disconnect");
        let disconnect = s.counter.take();
        line(&format!("$connect, user in {rooms} rooms"), &connect, 0);
        line(
            &format!("$disconnect, user in {rooms} rooms"),
            &disconnect,
            0,
        );
        assert!(
            !connect
                .keys()
                .chain(disconnect.keys())
                .any(|k| k.ends_with(".Scan")),
            "a Scan on connect/disconnect"
        );
    }
}

/// A message committed by "another Lambda instance": a store with no hints of ours.
async fn append_elsewhere(s: &Scene, n: usize) {
    let other = DynamoStore::from_clients(&s.clients);
    let message = NewMessage {
        id: MessageId::parse(format!("msg_elsewhere_{n}")).expect("id"),
        room_id: RoomId::parse(s.room.clone()).expect("room id"),
        client_msg_id: None,
        author: Author::system(),
        content_type: ContentType::Chat,
        delivery: Delivery::Streaming,
        status: MessageStatus::Complete,
        visibility: Visibility::Everyone,
        text: "from another instance".into(),
        data: None,
        reply_to: None,
        shared_from: None,
        created_at: s.t.clock.now(),
    };
    other.append_message(&message).await.expect("append");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_pays_for_cold_or_stale_hints_only() {
    let s = scene(5, 2, 0).await;
    let (counts, pushes) = send_once(&s, 0).await;
    line("message.send, warm (hints current)", &counts, pushes);
    assert_eq!(counts, warm_send());

    // Another instance committed since: our `last_seq` hint is one behind. The
    // transaction is refused, hands back the room, and the retry commits.
    append_elsewhere(&s, 1).await;
    let (counts, pushes) = send_once(&s, 1).await;
    line(
        "message.send, room hint stale (another instance sent)",
        &counts,
        pushes,
    );
    let mut stale = warm_send();
    stale.insert("DynamoDB.TransactWriteItems".into(), 2);
    assert_eq!(
        counts, stale,
        "a stale hint costs one cancelled transaction"
    );

    // A cold instance reads the user and the room once, then is warm.
    let cold = TestApp::with_store(Arc::new(DynamoStore::from_clients(&s.clients)), {
        let mut c = test_config();
        c.limits.actions_per_second = 0;
        c
    });
    let frame = |n: usize| {
        json!({
            "action": "message.send", "requestId": format!("c{n}"), "roomId": s.room,
            "clientMsgId": format!("cold{n}"), "text": "hello",
        })
        .to_string()
    };
    s.counter.take();
    cold.app.handle_frame(&s.sender, &frame(0)).await;
    let counts = s.counter.take();
    line("message.send, cold instance (no hints)", &counts, 0);
    let mut first = warm_send();
    first.insert("DynamoDB.GetItem".into(), 3);
    assert_eq!(
        counts, first,
        "connection, user, room, transaction, audience"
    );
    cold.app.handle_frame(&s.sender, &frame(1)).await;
    let counts = s.counter.take();
    assert_eq!(counts, warm_send(), "warm after one send");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_users_send_fails_inside_the_transaction() {
    let s = scene(2, 1, 0).await;
    send_once(&s, 0).await;
    let room = RoomId::parse(s.room.clone()).expect("room id");
    let before = s.t.store.room(&room).await.expect("room").expect("exists");
    // Revoked by another instance whose socket close never arrived: our hint of the
    // user is now stale, and only the transaction's user check can catch it.
    let other = DynamoStore::from_clients(&s.clients);
    let conn =
        s.t.store
            .connection(&s.sender)
            .await
            .expect("read")
            .expect("open");
    let mut user = other
        .user_by_id(&conn.user_id)
        .await
        .expect("read")
        .expect("user");
    user.identity.token_version += 1;
    other
        .update_identity(&user.identity, user.password_hash.as_deref())
        .await
        .expect("revoke");
    s.counter.take();
    s.t.push.clear();
    let frame = json!({
        "action": "message.send", "requestId": "revoked", "roomId": s.room,
        "clientMsgId": "after-revoke", "text": "hi",
    });
    s.t.app.handle_frame(&s.sender, &frame.to_string()).await;
    let counts = s.counter.take();
    line("message.send by a revoked user (refused)", &counts, 0);
    // The socket is closed before the refusal, so the reply may not arrive (as on API
    // Gateway); if it does, it says why.
    for reply in s.t.push.take(&s.sender) {
        assert_eq!(reply["ok"], false, "a revoked user's send: {reply}");
        assert_eq!(reply["error"]["code"], "unauthorized", "{reply}");
    }
    assert!(
        counts.contains_key("DynamoDB.TransactWriteItems"),
        "the hint was trusted up to the transaction, which refused it: {counts:?}"
    );
    let after = s.t.store.room(&room).await.expect("room").expect("exists");
    assert_eq!(after.last_seq, before.last_seq, "nothing was committed");
    assert!(
        s.t.store
            .connection(&s.sender)
            .await
            .expect("read")
            .is_none(),
        "the revoked user's socket is closed and forgotten"
    );
}
