//! Room use cases on the in-memory adapters: creation, membership rules and the
//! guest-never-alone rule, driven frame by frame as a client would.

use chat_core::ids::{RoomId, UserId};
use chat_core::model::{AccountKind, Identity, Profile, Role, UserRecord};

use chat_core::service::rooms::member_of;
use chat_core::testkit::harness::{T1, T2, T3, TestApp};
use serde_json::json;

async fn group_room(t: &TestApp, conn: &chat_core::ids::ConnectionId) -> String {
    let d = t
        .ok(conn, "room.create", json!({"kind": "group", "title": "Forms help", "issue": {"title": "Form broken", "customerName": "John Q", "formId": "5375703"}}))
        .await;
    d["room"]["id"].as_str().unwrap().to_string()
}

/// Stores a guest account and adds it to `room` (invite codes come with the guests issue).
async fn guest_in(t: &TestApp, room: &str) -> UserRecord {
    let guest = UserRecord {
        identity: Identity {
            user_id: UserId::parse("usr_guest").unwrap(),
            username: "guest-john".into(),
            kind: AccountKind::Guest,
            tier: None,
            roles: vec![],
            enabled: true,
            token_version: 0,
            guest_room: Some(RoomId::parse(room).unwrap()),
            guest_issue: None,
        },
        profile: Profile {
            display_name: "John Q".into(),
            avatar_file_id: None,
        },
        password_hash: None,
        created_at: t.clock_now(),
    };
    t.store.insert_user(&guest).await.unwrap();
    t.store
        .add_member(
            &RoomId::parse(room).unwrap(),
            &member_of(&guest, t.clock_now()),
        )
        .await
        .unwrap();
    guest
}

trait ClockNow {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc>;
}
impl ClockNow for TestApp {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use chat_core::ports::Clock;
        self.clock.now()
    }
}

#[tokio::test]
async fn creating_a_room_opens_an_issue_at_the_creators_tier() {
    let t = TestApp::new();
    let bob = t.employee("bob", T2, &[]).await;
    let c = t.connect(&bob).await;
    let d = t
        .ok(&c, "room.create", json!({"kind": "solo", "title": "John's form", "issue": {"title": "Form hides fields", "customerName": "John Q", "formId": "5375703"}}))
        .await;
    assert_eq!(d["issue"]["tier"], "T2");
    assert_eq!(d["issue"]["status"], "open");
    assert_eq!(d["issue"]["customerName"], "John Q");
    assert_eq!(d["room"]["restricted"], true);
    assert_eq!(d["room"]["memberCount"], 1);
    assert_eq!(d["room"]["onlineCount"], 1);
    assert_eq!(d["issue"]["roomIds"][0], d["room"]["id"]);
}

#[tokio::test]
async fn a_second_room_can_join_an_existing_issue_but_not_a_missing_one() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let c = t.connect(&alice).await;
    let first = t
        .ok(&c, "room.create", json!({"kind": "group", "title": "One"}))
        .await;
    let issue_id = first["issue"]["id"].as_str().unwrap();
    let second = t
        .ok(
            &c,
            "room.create",
            json!({"kind": "group", "title": "Two", "issueId": issue_id}),
        )
        .await;
    assert_eq!(second["issue"]["roomIds"].as_array().unwrap().len(), 2);
    let code = t
        .refused(
            &c,
            "room.create",
            json!({"kind": "group", "title": "Three", "issueId": "iss_nope"}),
        )
        .await;
    assert_eq!(code, "not_found");
}

#[tokio::test]
async fn employees_join_group_rooms_but_not_solo_rooms() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let carol = t.employee("carol", T3, &[]).await;
    let (ca, cc) = (t.connect(&alice).await, t.connect(&carol).await);
    let group = group_room(&t, &ca).await;
    let solo = t
        .ok(&ca, "room.create", json!({"kind": "solo", "title": "1:1"}))
        .await;
    let solo_id = solo["room"]["id"].as_str().unwrap();
    let joined = t.ok(&cc, "room.join", json!({"roomId": group})).await;
    assert_eq!(joined["room"]["memberCount"], 2);
    assert_eq!(
        t.refused(&cc, "room.join", json!({"roomId": solo_id}))
            .await,
        "forbidden"
    );
    // A non-member learns nothing about the solo room.
    assert_eq!(
        t.refused(&cc, "room.get", json!({"roomId": solo_id})).await,
        "not_found"
    );
    assert_eq!(
        t.refused(&cc, "history.get", json!({"roomId": solo_id}))
            .await,
        "not_found"
    );
}

#[tokio::test]
async fn only_members_invite_and_only_employees_are_invited() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let bob = t.employee("bob", T2, &[]).await;
    let carol = t.employee("carol", T3, &[]).await;
    let (ca, cc) = (t.connect(&alice).await, t.connect(&carol).await);
    let room = group_room(&t, &ca).await;
    let bob_id = bob.identity.user_id.to_string();
    // Carol is not a member: she cannot invite Bob.
    assert_eq!(
        t.refused(
            &cc,
            "room.invite",
            json!({"roomId": room, "userId": bob_id})
        )
        .await,
        "not_found"
    );
    let d = t
        .ok(
            &ca,
            "room.invite",
            json!({"roomId": room, "userId": bob_id}),
        )
        .await;
    assert_eq!(d["room"]["memberCount"], 2);
    // A guest cannot be added with room.invite.
    let guest = guest_in(&t, &room).await;
    let other = t
        .ok(
            &ca,
            "room.create",
            json!({"kind": "group", "title": "Other"}),
        )
        .await;
    let code = t
        .refused(
            &ca,
            "room.invite",
            json!({"roomId": other["room"]["id"], "userId": guest.identity.user_id.to_string()}),
        )
        .await;
    assert_eq!(code, "forbidden");
    assert_eq!(
        t.refused(
            &ca,
            "room.invite",
            json!({"roomId": room, "userId": "usr_nobody"})
        )
        .await,
        "not_found"
    );
}

#[tokio::test]
async fn the_last_employee_cannot_leave_or_be_removed_while_a_guest_remains() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let bob = t.employee("bob", T2, &[]).await;
    let (ca, cb) = (t.connect(&alice).await, t.connect(&bob).await);
    let room = group_room(&t, &ca).await;
    t.ok(
        &ca,
        "room.invite",
        json!({"roomId": room, "userId": bob.identity.user_id.to_string()}),
    )
    .await;
    guest_in(&t, &room).await;
    // Bob may go: Alice stays with the guest.
    t.ok(&cb, "room.leave", json!({"roomId": room})).await;
    assert_eq!(
        t.refused(&ca, "room.leave", json!({"roomId": room})).await,
        "guest_alone"
    );
    // Bob rejoins and tries to remove Alice, then himself is the last one.
    t.ok(&cb, "room.join", json!({"roomId": room})).await;
    t.ok(
        &cb,
        "room.remove",
        json!({"roomId": room, "userId": alice.identity.user_id.to_string()}),
    )
    .await;
    assert_eq!(
        t.refused(&cb, "room.leave", json!({"roomId": room})).await,
        "guest_alone"
    );
}

#[tokio::test]
async fn members_see_join_and_leave_as_system_messages_and_room_updates() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let carol = t.employee("carol", T3, &[]).await;
    let (ca, cc) = (t.connect(&alice).await, t.connect(&carol).await);
    let room = group_room(&t, &ca).await;
    t.events(&ca);
    t.ok(&cc, "room.join", json!({"roomId": room})).await;
    let events = t.events(&ca);
    let system = events
        .iter()
        .find(|e| e["type"] == "message.created" && e["message"]["author"]["kind"] == "system")
        .expect("a system message about the join");
    assert!(
        system["message"]["text"]
            .as_str()
            .unwrap()
            .contains("CAROL")
    );
    let update = events
        .iter()
        .find(|e| e["type"] == "room.updated")
        .expect("room.updated");
    assert_eq!(update["room"]["memberCount"], 2);
    assert_eq!(update["room"]["onlineCount"], 2);
}

#[tokio::test]
async fn supervisors_role_does_not_let_them_join_solo_rooms_yet() {
    // Break-in is its own action (supervisors issue); room.join stays invite-only.
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let sam = t.employee("sam", T2, &[Role::Supervisor]).await;
    let (ca, cs) = (t.connect(&alice).await, t.connect(&sam).await);
    let solo = t
        .ok(&ca, "room.create", json!({"kind": "solo", "title": "1:1"}))
        .await;
    assert_eq!(
        t.refused(&cs, "room.join", json!({"roomId": solo["room"]["id"]}))
            .await,
        "forbidden"
    );
}
