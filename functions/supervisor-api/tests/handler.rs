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
