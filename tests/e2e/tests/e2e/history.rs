//! History paging both ways across more than one full page (PROTOCOL §3 `history.get`).

use chat_e2e::{TestServer, Ws, create_room, error_code, invite_guest, send_message, seqs};
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

// ---- Transcripts: the supervisor's (and members') whole-history view (issue 13) ----

/// `GET path` with `token`: status, `Content-Type` and the body as text.
async fn get_text(server: &TestServer, token: &str, path: &str) -> (u16, String, String) {
    let resp = reqwest::Client::new()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("HTTP request failed");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, content_type, resp.text().await.expect("a body"))
}

#[tokio::test]
async fn transcripts_cover_every_room_of_an_issue_for_supervisors_and_members_only() {
    let server = TestServer::start().await;
    let sam = server.login("sam").await;
    let sam_id = server.user_id(&sam).await;
    let bob = server.login("bob").await;
    let (alice_token, _, alice) = server.user("alice").await;
    let room = create_room(&alice, "solo", "Transcribed").await;
    let room_id = room["id"].as_str().expect("room id");
    let issue_id = room["issueId"].as_str().expect("issue id");
    let code = invite_guest(&alice, room_id).await;
    let (guest_token, _, _, guest) = server.guest(&code, "John").await;
    send_message(&guest, room_id, "g1", "hello\n# not a heading").await;
    let note = alice
        .ok(
            "message.send",
            json!({"roomId": room_id, "clientMsgId": "n", "text": "internal note", "visibility": "employees"}),
        )
        .await["message"]
        .clone();
    let second = alice
        .ok(
            "room.create",
            json!({"kind": "group", "title": "Follow-up", "issueId": issue_id}),
        )
        .await["room"]
        .clone();
    let second_id = second["id"].as_str().expect("room id");
    send_message(&alice, second_id, "s1", "in the second room").await;

    // The issue as JSON: both rooms, every visibility, seq order.
    let issue_path = format!("/supervisor/issues/{issue_id}/transcript");
    let body = server.get_ok(&sam, &issue_path).await;
    assert_eq!(body["issue"]["id"], issue_id, "{body}");
    let rooms = body["rooms"].as_array().expect("rooms");
    let ids: Vec<&Value> = rooms.iter().map(|r| &r["room"]["id"]).collect();
    assert_eq!(ids, [&json!(room_id), &json!(second_id)], "{body}");
    let first = &rooms[0]["messages"];
    assert!(
        first
            .as_array()
            .expect("messages")
            .iter()
            .any(|m| m["id"] == note["id"]),
        "{body}"
    );
    let seqs = chat_e2e::seqs(first);
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>(), "{body}");
    assert!(
        rooms[1]["messages"]
            .to_string()
            .contains("in the second room"),
        "{body}"
    );

    // The room as Markdown.
    let room_path = format!("/supervisor/rooms/{room_id}/transcript");
    let (status, content_type, md) =
        get_text(&server, &sam, &format!("{room_path}?format=markdown")).await;
    assert_eq!(status, 200, "{md}");
    assert_eq!(content_type, "text/markdown; charset=utf-8");
    assert!(md.starts_with("# Transcript: Transcribed"), "{md}");
    assert!(md.contains(" John** (guest): hello"), "{md}");
    assert!(md.contains("\\# not a heading"), "{md}");
    assert!(
        md.contains("(employee, employees only): internal note"),
        "{md}"
    );
    assert!(
        server
            .audit_entries(&sam, room_id, "transcript")
            .await
            .iter()
            .any(|e| e["actor"] == sam_id.as_str()),
        "a supervisor's transcript read is audited"
    );

    // Alice is a member; Bob is not (not found, as for no room); the guest never reads
    // transcripts; a bad format is a bad request.
    let (status, body) = server
        .http("GET", &room_path, None, Some(&alice_token))
        .await;
    assert_eq!(status, 200, "{body}");
    for path in [&room_path, &issue_path] {
        let (status, body) = server.http("GET", path, None, Some(&bob)).await;
        assert_eq!(
            (status, error_code(&body)),
            (404, "not_found"),
            "{path}: {body}"
        );
        let (status, body) = server.http("GET", path, None, Some(&guest_token)).await;
        assert_eq!(
            (status, error_code(&body)),
            (403, "forbidden"),
            "{path}: {body}"
        );
        let (status, body) = server
            .http("GET", &format!("{path}?format=pdf"), None, Some(&sam))
            .await;
        assert_eq!(
            (status, error_code(&body)),
            (400, "bad_request"),
            "{path}: {body}"
        );
    }
}
