//! Ordering of concurrent sends: `seq` is unique, gap-free and strictly increasing in
//! history; each connection gets every event exactly once, and one sender's messages in
//! the order they were sent (DESIGN §3 Messages).

use std::collections::{HashMap, HashSet};

use chat_e2e::{TIMEOUT, TestServer, Ws, create_room, created_in, send_message, seqs};
use futures::future::join_all;
use serde_json::{Value, json};

const CLIENTS: [&str; 4] = ["alice", "bob", "carol", "sam"];
const PER_CLIENT: usize = 25;

/// The whole history of a room, paging forward.
async fn full_history(ws: &Ws, room_id: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let page = ws
            .ok(
                "history.get",
                json!({"roomId": room_id, "afterSeq": after, "limit": 200}),
            )
            .await;
        let messages = page["messages"].as_array().expect("messages").clone();
        if let Some(last) = messages.last() {
            after = last["seq"].as_u64().expect("seq");
        }
        all.extend(messages);
        if page["hasMore"] != json!(true) {
            return all;
        }
    }
}

fn assert_gap_free(history: &[Value]) {
    let got: Vec<u64> = history.iter().filter_map(|m| m["seq"].as_u64()).collect();
    let expected: Vec<u64> = (1..=history.len() as u64).collect();
    assert_eq!(got, expected, "history seq must be exactly 1..=N");
}

#[tokio::test]
async fn concurrent_senders_get_unique_gap_free_seqs_and_every_connection_sees_each_once() {
    let server = TestServer::start_with(|o| o.rate_limit = 0).await;
    let mut users = Vec::new();
    for name in CLIENTS {
        users.push(server.user(name).await);
    }
    let owner = &users[0].2;
    let room = create_room(owner, "group", "Race").await;
    let room_id = room["id"].as_str().expect("room id").to_string();
    for (_, id, _) in &users[1..] {
        owner
            .ok("room.invite", json!({"roomId": room_id, "userId": id}))
            .await;
    }

    // Every client sends its messages one after the other; the clients run at once.
    let sent: Vec<Vec<Value>> = join_all(users.iter().enumerate().map(|(c, (_, _, ws))| {
        let room_id = room_id.clone();
        async move {
            let mut mine = Vec::new();
            for i in 0..PER_CLIENT {
                mine.push(
                    send_message(ws, &room_id, &format!("c{c}-{i}"), &format!("{c}:{i}")).await,
                );
            }
            mine
        }
    }))
    .await;

    let all_sent: Vec<&Value> = sent.iter().flatten().collect();
    let reply_seqs: HashSet<u64> = all_sent.iter().filter_map(|m| m["seq"].as_u64()).collect();
    assert_eq!(
        reply_seqs.len(),
        CLIENTS.len() * PER_CLIENT,
        "every reply has its own seq"
    );
    for mine in &sent {
        let s: Vec<u64> = mine.iter().filter_map(|m| m["seq"].as_u64()).collect();
        assert!(
            s.windows(2).all(|w| w[0] < w[1]),
            "one sender's seqs follow send order: {s:?}"
        );
    }

    let history = full_history(owner, &room_id).await;
    assert_gap_free(&history);
    let by_id: HashMap<&str, u64> = history
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap_or_default(),
                m["seq"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    for m in &all_sent {
        let id = m["id"].as_str().expect("id");
        assert_eq!(
            by_id.get(id),
            m["seq"].as_u64().as_ref(),
            "history has {id} with its reply's seq"
        );
    }

    let ours: HashSet<&str> = all_sent.iter().filter_map(|m| m["id"].as_str()).collect();
    let is_ours = |e: &Value| {
        created_in(&room_id)(e) && ours.contains(e["message"]["id"].as_str().unwrap_or(""))
    };
    for (name, _, ws) in &users {
        ws.wait_events("message.created", ours.len(), TIMEOUT, is_ours)
            .await;
        let events = ws.settled_events(chat_e2e::QUIET, is_ours).await;
        let ids: HashSet<&str> = events
            .iter()
            .filter_map(|e| e["message"]["id"].as_str())
            .collect();
        assert_eq!(events.len(), ours.len(), "{name} got duplicates");
        assert_eq!(ids, ours, "{name} missed messages");
        for c in 0..CLIENTS.len() {
            let prefix = format!("{c}:");
            let order: Vec<u64> = events
                .iter()
                .filter(|e| {
                    e["message"]["text"]
                        .as_str()
                        .is_some_and(|t| t.starts_with(&prefix))
                })
                .filter_map(|e| e["message"]["seq"].as_u64())
                .collect();
            assert!(
                order.windows(2).all(|w| w[0] < w[1]),
                "{name} got client {c}'s messages out of order: {order:?}"
            );
        }
    }
}

#[tokio::test]
async fn pipelined_sends_on_one_connection_get_distinct_seqs_without_gaps() {
    let server = TestServer::start_with(|o| o.rate_limit = 0).await;
    let (_, _, alice) = server.user("alice").await;
    let room = create_room(&alice, "group", "Pipeline").await;
    let room_id = room["id"].as_str().expect("room id");
    let mut request_ids = Vec::new();
    for i in 0..60 {
        let fields =
            json!({"roomId": room_id, "clientMsgId": format!("p{i}"), "text": format!("p{i}")});
        request_ids.push(alice.send("message.send", fields).await);
    }
    let mut reply_seqs = Vec::new();
    for id in &request_ids {
        let reply = alice.reply(id).await;
        assert_eq!(reply["ok"], json!(true), "{reply}");
        reply_seqs.push(reply["data"]["message"]["seq"].as_u64().expect("seq"));
    }
    reply_seqs.sort_unstable();
    reply_seqs.dedup();
    assert_eq!(reply_seqs.len(), 60, "distinct seqs");
    assert_eq!(
        reply_seqs[59] - reply_seqs[0],
        59,
        "no gaps: {reply_seqs:?}"
    );
    let history = full_history(&alice, room_id).await;
    assert_gap_free(&history);
    let in_history = seqs(&json!(history));
    assert!(
        reply_seqs.iter().all(|s| in_history.contains(s)),
        "every send is in history"
    );
}

#[tokio::test]
async fn each_room_has_its_own_sequence() {
    let server = TestServer::start_with(|o| o.rate_limit = 0).await;
    let (_, _, alice) = server.user("alice").await;
    let first = create_room(&alice, "group", "First").await;
    let second = create_room(&alice, "group", "Second").await;
    let mut last = [0u64; 2];
    for i in 0..3 {
        for (r, room) in [&first, &second].into_iter().enumerate() {
            let m = send_message(
                &alice,
                room["id"].as_str().expect("id"),
                &format!("m{i}"),
                "x",
            )
            .await;
            let seq = m["seq"].as_u64().expect("seq");
            if i > 0 {
                assert_eq!(
                    seq,
                    last[r] + 1,
                    "seq is per room, unaffected by the other: {m}"
                );
            }
            last[r] = seq;
        }
    }
}
