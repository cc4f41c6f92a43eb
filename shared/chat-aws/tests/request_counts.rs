//! How many AWS requests each hot action costs, measured through the adapters: the
//! DynamoDB store on moto with every request counted by [`chat_aws::RequestCounter`],
//! and pushes counted at the `Push` port (each is one `PostToConnection` with
//! `ApiGatewayPush`).
//!
//! The assertions hold the design's promises — a room's fan-out costs the same however
//! many other rooms and connections exist, and reads its audience with one `Query` —
//! and `cargo test -p chat-aws --test request_counts -- --nocapture` prints the table
//! recorded in BENCHMARKS.md.

use std::collections::BTreeMap;
use std::sync::Arc;

use chat_aws::dynamo::DynamoStore;
use chat_aws::dynamo::schema::ensure_table;
use chat_aws::{RequestCounter, testkit};
use chat_core::ids::ConnectionId;
use chat_core::testkit::harness::{T1, TestApp, test_config};
use serde_json::json;

struct Scene {
    t: TestApp,
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
            counts.get("DynamoDB.Query").copied().unwrap_or(0),
            1,
            "fan-out reads the room's audience with exactly one Query: {counts:?}"
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
