//! History paging both ways across more than one full page (PROTOCOL §3 `history.get`).

use chat_e2e::{TestServer, Ws, create_room, seqs};
use serde_json::{Value, json};

/// More than the 200-message page limit.
const TOTAL: u64 = 230;

/// A room holding `TOTAL` messages (seq 1..=TOTAL), sent pipelined to keep it quick.
async fn filled_room(ws: &Ws) -> String {
    let room = create_room(ws, "group", "Paging").await;
    let room_id = room["id"].as_str().expect("room id").to_string();
    let mut pending = Vec::new();
    for i in 0..TOTAL {
        let fields = json!({"roomId": room_id, "clientMsgId": format!("h{i}"), "text": format!("message {i}")});
        pending.push(ws.send("message.send", fields).await);
    }
    for id in pending {
        let reply = ws.reply(&id).await;
        assert_eq!(reply["ok"], json!(true), "{reply}");
    }
    room_id
}

async fn page(ws: &Ws, room_id: &str, query: Value) -> (Vec<u64>, bool) {
    let mut fields = query;
    fields["roomId"] = json!(room_id);
    let data = ws.ok("history.get", fields).await;
    let has_more = data["hasMore"].as_bool().expect("hasMore is a boolean");
    (seqs(&data["messages"]), has_more)
}

fn range(from: u64, to: u64) -> Vec<u64> {
    (from..=to).collect()
}

#[tokio::test]
async fn paging_forward_with_after_seq_walks_every_message_once() {
    let server = TestServer::start_with(|o| o.rate_limit = 0).await;
    let (_, _, alice) = server.user("alice").await;
    let room = filled_room(&alice).await;
    assert_eq!(
        page(&alice, &room, json!({"afterSeq": 0, "limit": 100})).await,
        (range(1, 100), true)
    );
    assert_eq!(
        page(&alice, &room, json!({"afterSeq": 100, "limit": 100})).await,
        (range(101, 200), true)
    );
    assert_eq!(
        page(&alice, &room, json!({"afterSeq": 200, "limit": 100})).await,
        (range(201, TOTAL), false)
    );
    assert_eq!(
        page(&alice, &room, json!({"afterSeq": TOTAL, "limit": 100})).await,
        (vec![], false)
    );
}

#[tokio::test]
async fn has_more_is_false_exactly_when_a_page_ends_at_the_newest_message() {
    let server = TestServer::start_with(|o| o.rate_limit = 0).await;
    let (_, _, alice) = server.user("alice").await;
    let room = filled_room(&alice).await;
    assert_eq!(
        page(&alice, &room, json!({"afterSeq": 0, "limit": 200})).await,
        (range(1, 200), true)
    );
    assert_eq!(
        page(
            &alice,
            &room,
            json!({"afterSeq": TOTAL - 200, "limit": 200})
        )
        .await,
        (range(TOTAL - 199, TOTAL), false),
        "a page that ends exactly at the last message has no more"
    );
    assert_eq!(
        page(
            &alice,
            &room,
            json!({"afterSeq": TOTAL - 201, "limit": 200})
        )
        .await,
        (range(TOTAL - 200, TOTAL - 1), true),
        "one message short of the end still has more"
    );
}

#[tokio::test]
async fn paging_backward_with_before_seq_walks_every_message_once() {
    let server = TestServer::start_with(|o| o.rate_limit = 0).await;
    let (_, _, alice) = server.user("alice").await;
    let room = filled_room(&alice).await;
    let mut before = TOTAL + 1;
    let mut collected = Vec::new();
    let mut pages = 0;
    loop {
        let (got, has_more) = page(&alice, &room, json!({"beforeSeq": before, "limit": 100})).await;
        assert!(
            got.windows(2).all(|w| w[0] + 1 == w[1]),
            "ascending, no gaps: {got:?}"
        );
        assert!(
            got.last().is_some_and(|&l| l == before - 1),
            "newest first page below {before}: {got:?}"
        );
        pages += 1;
        before = got[0];
        collected.splice(0..0, got);
        if !has_more {
            break;
        }
        assert!(pages < 10, "backward paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(collected, range(1, TOTAL));
}

#[tokio::test]
async fn has_more_is_false_exactly_when_a_backward_page_reaches_the_first_message() {
    let server = TestServer::start_with(|o| o.rate_limit = 0).await;
    let (_, _, alice) = server.user("alice").await;
    let room = filled_room(&alice).await;
    assert_eq!(
        page(&alice, &room, json!({"beforeSeq": 31, "limit": 30})).await,
        (range(1, 30), false)
    );
    assert_eq!(
        page(&alice, &room, json!({"beforeSeq": 32, "limit": 30})).await,
        (range(2, 31), true)
    );
    assert_eq!(
        page(&alice, &room, json!({"beforeSeq": 1, "limit": 30})).await,
        (vec![], false)
    );
}

#[tokio::test]
async fn after_and_before_together_bound_a_window() {
    let server = TestServer::start_with(|o| o.rate_limit = 0).await;
    let (_, _, alice) = server.user("alice").await;
    let room = filled_room(&alice).await;
    let (got, _) = page(
        &alice,
        &room,
        json!({"afterSeq": 10, "beforeSeq": 20, "limit": 200}),
    )
    .await;
    assert_eq!(got, range(11, 19));
}

#[tokio::test]
async fn a_limit_over_200_is_a_bad_request() {
    let server = TestServer::start().await;
    let (_, _, alice) = server.user("alice").await;
    let room = create_room(&alice, "group", "Limit").await;
    alice
        .refused(
            "history.get",
            json!({"roomId": room["id"], "limit": 201}),
            "bad_request",
        )
        .await;
    alice
        .ok("history.get", json!({"roomId": room["id"], "limit": 200}))
        .await;
}
