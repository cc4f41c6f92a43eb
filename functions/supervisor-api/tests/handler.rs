//! fn-supervisor-api from API Gateway (payload v2) events: the fixture in
//! `tests/fixtures/http-supervisor-rooms.json` and requests built on it.

use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use aws_lambda_events::http::Method;
use chat_core::ids::ConnectionId;
use chat_core::model::Role;
use chat_core::service::admin::IdentityPatch;
use chat_core::service::audit::Actor;
use chat_core::testkit::harness::{T1, T2, T3, TestApp};
use chat_http::testkit::{fixture, invited_room, json, refusal, request, token, with_token};
use serde_json::{Value, json};

/// Alice (T1) in a solo room with a guest, both online; Sam supervises, Ada
/// administers, Bob is a plain employee.
struct Floor {
    t: TestApp,
    room: String,
    alice_conn: ConnectionId,
}

async fn floor() -> Floor {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    t.employee("sam", T2, &[Role::Supervisor]).await;
    t.employee("ada", T3, &[Role::Admin]).await;
    t.employee("bob", T2, &[]).await;
    let alice_conn = t.connect(&alice).await;
    let (room, code) = invited_room(&t, &alice_conn).await;
    t.guest_joins(&code, "John Q").await;
    Floor {
        t,
        room,
        alice_conn,
    }
}

impl Floor {
    async fn get(&self, user: &str, path_and_query: &str) -> ApiGatewayV2httpResponse {
        let token = token(&self.t.app, user).await;
        let req = with_token(request(Method::GET, path_and_query, None), &token);
        fn_supervisor_api::handle(&self.t.app, req).await
    }

    /// The body of a request that must succeed.
    async fn ok(&self, user: &str, path_and_query: &str) -> Value {
        let resp = self.get(user, path_and_query).await;
        assert_eq!(resp.status_code, 200, "{path_and_query}: {:?}", resp.body);
        json(&resp)
    }

    async fn status(&self, user: &str, path_and_query: &str) -> i64 {
        self.get(user, path_and_query).await.status_code
    }
}

#[tokio::test]
async fn rooms_fixture_lists_open_rooms_with_live_counts() {
    let f = floor().await;
    let sam = token(&f.t.app, "sam").await;
    let resp = fn_supervisor_api::handle(
        &f.t.app,
        with_token(fixture("http-supervisor-rooms.json"), &sam),
    )
    .await;
    assert_eq!(resp.status_code, 200, "{:?}", resp.body);
    let rooms = json(&resp)["rooms"].clone();
    assert_eq!(rooms.as_array().unwrap().len(), 1);
    let r = &rooms[0];
    assert_eq!(r["id"], f.room.as_str());
    assert_eq!(
        (
            &r["memberCount"],
            &r["onlineCount"],
            &r["guestCount"],
            &r["employeeCount"],
            &r["robotCount"]
        ),
        (&json!(2), &json!(2), &json!(1), &json!(1), &json!(0))
    );
    assert_eq!((&r["tier"], &r["status"]), (&json!("T1"), &json!("open")));
    assert!(r.get("waitingSince").is_none());

    f.t.app.disconnect(&f.alice_conn).await.unwrap();
    let later = f.ok("sam", "/supervisor/rooms?status=open").await;
    assert_eq!(later["rooms"][0]["onlineCount"], 1);
}

#[tokio::test]
async fn the_status_filter_takes_open_concluded_or_all_and_nothing_else() {
    let f = floor().await;
    let count = |v: Value| v["rooms"].as_array().unwrap().len();
    assert_eq!(count(f.ok("sam", "/supervisor/rooms").await), 1);
    assert_eq!(count(f.ok("sam", "/supervisor/rooms?status=all").await), 1);
    assert_eq!(
        count(f.ok("sam", "/supervisor/rooms?status=concluded").await),
        0
    );
    for junk in ["closed", "OPEN", "open,concluded"] {
        let resp = f
            .get("sam", &format!("/supervisor/rooms?status={junk}"))
            .await;
        assert_eq!(refusal(&resp), (400, "bad_request".into()), "{junk}");
    }
}

#[tokio::test]
async fn participants_come_from_the_path_parameter() {
    let f = floor().await;
    let body = f
        .ok("sam", &format!("/supervisor/rooms/{}/participants", f.room))
        .await;
    let mut kinds: Vec<&str> = body["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["employee", "guest"]);
    let unknown = f.get("sam", "/supervisor/rooms/rm_nope/participants").await;
    assert_eq!(refusal(&unknown), (404, "not_found".into()));
}

#[tokio::test]
async fn transcripts_include_employee_only_messages_and_page_by_seq() {
    let f = floor().await;
    f.t.ok(
        &f.alice_conn,
        "message.send",
        json!({"roomId": f.room, "clientMsgId": "w", "text": "internal note", "visibility": "employees"}),
    )
    .await;
    let path = format!("/supervisor/rooms/{}/messages", f.room);
    let all = f.ok("sam", &path).await;
    let messages = all["messages"].as_array().unwrap();
    assert!(messages.iter().any(|m| m["visibility"] == "employees"));
    assert_eq!(all["hasMore"], false);
    let last_seq = messages.last().unwrap()["seq"].as_u64().unwrap();

    let first = f.ok("sam", &format!("{path}?afterSeq=0&limit=1")).await;
    assert_eq!(first["messages"].as_array().unwrap().len(), 1);
    assert_eq!(first["hasMore"], true);
    let after = f.ok("sam", &format!("{path}?afterSeq={last_seq}")).await;
    assert!(after["messages"].as_array().unwrap().is_empty());

    for junk in [
        "afterSeq=-1",
        "afterSeq=x",
        "limit=many",
        "limit=0",
        "limit=1&limit=2",
    ] {
        let resp = f.get("sam", &format!("{path}?{junk}")).await;
        assert_eq!(refusal(&resp), (400, "bad_request".into()), "{junk}");
    }
}

#[tokio::test]
async fn issues_filter_by_tier_and_status() {
    let f = floor().await;
    let count = |v: Value| v["issues"].as_array().unwrap().len();
    assert_eq!(count(f.ok("sam", "/supervisor/issues").await), 1);
    assert_eq!(
        count(f.ok("sam", "/supervisor/issues?tier=T1&status=open").await),
        1
    );
    assert_eq!(count(f.ok("sam", "/supervisor/issues?tier=T3").await), 0);
    assert_eq!(
        count(f.ok("sam", "/supervisor/issues?status=concluded").await),
        0
    );
    for junk in ["tier=T9", "tier=t1", "status=done"] {
        let resp = f.get("sam", &format!("/supervisor/issues?{junk}")).await;
        assert_eq!(refusal(&resp), (400, "bad_request".into()), "{junk}");
    }
}

#[tokio::test]
async fn a_guest_left_without_an_employee_waits_in_its_tier_queue() {
    let f = floor().await;
    let empty = f.ok("sam", "/supervisor/queues").await;
    assert_eq!(
        empty["queues"],
        json!([{"tier": "T1", "waiting": 0}, {"tier": "T2", "waiting": 0}, {"tier": "T3", "waiting": 0}])
    );
    let alice = f.t.app.find_account("alice").await.unwrap();
    let disable = IdentityPatch {
        enabled: Some(false),
        ..Default::default()
    };
    f.t.app
        .update_identity(Actor::Operator, &alice.identity.user_id, disable)
        .await
        .unwrap();
    let queues = f.ok("sam", "/supervisor/queues").await;
    assert_eq!(queues["queues"][0], json!({"tier": "T1", "waiting": 1}));
    let rooms = f.ok("sam", "/supervisor/rooms").await;
    assert!(rooms["rooms"][0]["waitingSince"].is_string());
}

#[tokio::test]
async fn the_audit_log_pages_for_supervisors_and_admins() {
    let f = floor().await;
    let first = f.ok("ada", "/supervisor/audit?limit=2").await;
    let entries = first["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    for key in ["seq", "at", "actor", "action", "detail"] {
        assert!(entries[0].get(key).is_some(), "{key} in {}", entries[0]);
    }
    let next = first["next"].as_str().expect("a cursor").to_string();
    let rest = f
        .ok("sam", &format!("/supervisor/audit?since={next}&limit=500"))
        .await;
    assert!(rest["next"].is_null());
    assert!(rest["entries"][0]["seq"].as_u64().unwrap() > entries[1]["seq"].as_u64().unwrap());
    let actions: Vec<&str> = rest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"guest.invited"), "{actions:?}");

    let by_time = f
        .ok("sam", "/supervisor/audit?since=2026-11-24T00:00:00Z")
        .await;
    assert!(!by_time["entries"].as_array().unwrap().is_empty());
    for junk in ["since=yesterday", "limit=0", "limit=501", "limit=lots"] {
        let resp = f.get("sam", &format!("/supervisor/audit?{junk}")).await;
        assert_eq!(refusal(&resp), (400, "bad_request".into()), "{junk}");
    }
}

#[tokio::test]
async fn only_supervisors_see_the_floor_and_refusals_come_before_input_checks() {
    let f = floor().await;
    let paths = [
        "/supervisor/rooms?status=junk".to_string(),
        format!("/supervisor/rooms/{}/participants", f.room),
        format!("/supervisor/rooms/{}/messages?limit=junk", f.room),
        "/supervisor/issues?tier=T9".into(),
        "/supervisor/queues".into(),
    ];
    for path in &paths {
        assert_eq!(f.status("bob", path).await, 403, "bob {path}");
        assert_eq!(
            f.status("ada", path).await,
            403,
            "an admin is not a supervisor: {path}"
        );
        let anonymous = fn_supervisor_api::handle(&f.t.app, request(Method::GET, path, None)).await;
        assert_eq!(refusal(&anonymous), (401, "unauthorized".into()), "{path}");
    }
    assert_eq!(f.status("bob", "/supervisor/audit?limit=junk").await, 403);
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_are_not_found() {
    let f = floor().await;
    let sam = token(&f.t.app, "sam").await;
    for (method, path) in [
        (Method::GET, "/supervisor/nothing"),
        (Method::POST, "/supervisor/rooms"),
        (Method::GET, "/supervisor/rooms//participants"),
    ] {
        let resp =
            fn_supervisor_api::handle(&f.t.app, with_token(request(method, path, None), &sam))
                .await;
        assert_eq!(refusal(&resp), (404, "not_found".into()), "{path}");
    }
}

/// The issue of the floor's room, from the supervisor's room list.
async fn floor_issue(f: &Floor) -> String {
    let rooms = f.ok("sam", "/supervisor/rooms").await;
    rooms["rooms"][0]["issueId"]
        .as_str()
        .expect("an issue id")
        .to_string()
}

fn header<'a>(resp: &'a ApiGatewayV2httpResponse, name: &str) -> &'a str {
    resp.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn text(resp: &ApiGatewayV2httpResponse) -> String {
    match &resp.body {
        Some(aws_lambda_events::encodings::Body::Text(t)) => t.clone(),
        other => panic!("expected a text body, got {other:?}"),
    }
}

#[tokio::test]
async fn transcripts_answer_json_by_default_and_markdown_on_request() {
    let f = floor().await;
    f.t.ok(
        &f.alice_conn,
        "message.send",
        json!({"roomId": f.room, "clientMsgId": "w", "text": "internal note", "visibility": "employees"}),
    )
    .await;
    let issue = floor_issue(&f).await;
    let room_path = format!("/supervisor/rooms/{}/transcript", f.room);
    let issue_path = format!("/supervisor/issues/{issue}/transcript");

    for path in [room_path.clone(), format!("{room_path}?format=json")] {
        let resp = f.get("sam", &path).await;
        assert_eq!(resp.status_code, 200, "{path}: {:?}", resp.body);
        assert_eq!(header(&resp, "content-type"), "application/json");
        let body = json(&resp);
        assert_eq!(body["room"]["id"], f.room.as_str());
        assert_eq!(body["issue"]["id"], issue.as_str());
        let messages = body["messages"].as_array().expect("messages");
        assert!(messages.iter().any(|m| m["visibility"] == "employees"));
    }
    let body = f.ok("sam", &issue_path).await;
    assert_eq!(body["issue"]["id"], issue.as_str());
    assert_eq!(body["rooms"].as_array().unwrap().len(), 1);
    assert_eq!(body["rooms"][0]["room"]["id"], f.room.as_str());
    assert!(body["rooms"][0]["messages"].is_array());

    for (path, title) in [
        (room_path.clone(), "# Transcript: Form help"),
        (issue_path.clone(), "# Issue transcript: Hidden fields"),
    ] {
        let resp = f.get("sam", &format!("{path}?format=markdown")).await;
        assert_eq!(resp.status_code, 200, "{path}: {:?}", resp.body);
        assert_eq!(
            header(&resp, "content-type"),
            "text/markdown; charset=utf-8"
        );
        assert_eq!(header(&resp, "cache-control"), "no-store");
        let md = text(&resp);
        assert!(md.starts_with(title), "{md}");
        assert!(
            md.contains("(employee, employees only): internal note"),
            "{md}"
        );
    }

    for junk in ["format=html", "format=JSON", "format=json&format=markdown"] {
        for path in [&room_path, &issue_path] {
            let resp = f.get("sam", &format!("{path}?{junk}")).await;
            assert_eq!(refusal(&resp), (400, "bad_request".into()), "{path}?{junk}");
        }
    }
}

#[tokio::test]
async fn transcripts_are_for_supervisors_and_employee_members_only() {
    let f = floor().await;
    let issue = floor_issue(&f).await;
    let room_path = format!("/supervisor/rooms/{}/transcript", f.room);
    let issue_path = format!("/supervisor/issues/{issue}/transcript");

    // Alice is a member: both routes, both formats.
    for path in [&room_path, &issue_path] {
        assert_eq!(f.status("alice", path).await, 200, "{path}");
        let md = f.get("alice", &format!("{path}?format=markdown")).await;
        assert_eq!(md.status_code, 200, "{path}");
    }
    // Bob is not: not found, exactly like an unknown room or issue; an admin who is
    // not a supervisor is just an employee here.
    for path in [
        room_path.clone(),
        issue_path.clone(),
        "/supervisor/rooms/room_nope/transcript".into(),
        "/supervisor/issues/iss_nope/transcript".into(),
    ] {
        for who in ["bob", "ada"] {
            let resp = f.get(who, &path).await;
            assert_eq!(refusal(&resp), (404, "not_found".into()), "{who} {path}");
        }
    }
    assert_eq!(
        refusal(&f.get("sam", "/supervisor/issues/iss_nope/transcript").await),
        (404, "not_found".into())
    );

    // A guest of the room: refused before the format is even read.
    let code =
        f.t.ok(&f.alice_conn, "room.inviteGuest", json!({"roomId": f.room}))
            .await["inviteCode"]
            .as_str()
            .unwrap()
            .to_string();
    let guest =
        f.t.app
            .guest_login(&chat_core::protocol::http::GuestLoginRequest {
                invite_code: code,
                display_name: "Second guest".into(),
            })
            .await
            .unwrap()
            .token;
    for path in [
        room_path.clone(),
        issue_path.clone(),
        format!("{room_path}?format=junk"),
    ] {
        let resp = fn_supervisor_api::handle(
            &f.t.app,
            with_token(request(Method::GET, &path, None), &guest),
        )
        .await;
        assert_eq!(refusal(&resp), (403, "forbidden".into()), "guest {path}");
        let anonymous =
            fn_supervisor_api::handle(&f.t.app, request(Method::GET, &path, None)).await;
        assert_eq!(refusal(&anonymous), (401, "unauthorized".into()), "{path}");
    }
    // Wrong method: the route table's 404.
    let sam = token(&f.t.app, "sam").await;
    let post = fn_supervisor_api::handle(
        &f.t.app,
        with_token(request(Method::POST, &room_path, None), &sam),
    )
    .await;
    assert_eq!(refusal(&post), (404, "not_found".into()));
}
