//! Guests on the in-memory adapters: invitations, the guest's narrow world, and the
//! guest-never-alone rule through leave, remove, disable and revoke.

use chat_core::ErrorCode;
use chat_core::protocol::http::GuestLoginRequest;
use chat_core::service::admin::IdentityPatch;
use chat_core::service::audit::Actor;
use chat_core::testkit::harness::{T1, T2, TestApp};
use serde_json::{Value, json};

async fn solo_room(t: &TestApp, conn: &chat_core::ids::ConnectionId) -> String {
    let d = t
        .ok(conn, "room.create", json!({"kind": "solo", "title": "John's form", "issue": {"title": "Form 5375703 hides fields", "customerName": "John Q", "formId": "5375703"}}))
        .await;
    d["room"]["id"].as_str().unwrap().to_string()
}

async fn invite(t: &TestApp, conn: &chat_core::ids::ConnectionId, room: &str) -> String {
    let d = t
        .ok(
            conn,
            "room.inviteGuest",
            json!({"roomId": room, "displayName": "John Q"}),
        )
        .await;
    d["inviteCode"].as_str().unwrap().to_string()
}

fn guest_login(code: &str) -> GuestLoginRequest {
    GuestLoginRequest {
        invite_code: code.into(),
        display_name: "John Q".into(),
    }
}

#[tokio::test]
async fn an_invite_code_works_once_and_not_after_expiry() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let ca = t.connect(&alice).await;
    let room = solo_room(&t, &ca).await;
    let code = invite(&t, &ca, &room).await;
    let first = t.app.guest_login(&guest_login(&code)).await.unwrap();
    assert_eq!(first.room_id.as_str(), room);
    assert_eq!(first.identity.kind, chat_core::model::AccountKind::Guest);
    let again = t.app.guest_login(&guest_login(&code)).await.unwrap_err();
    assert_eq!(again.code(), ErrorCode::Unauthorized);
    let late = invite(&t, &ca, &room).await;
    t.clock.advance(chrono::Duration::hours(25));
    assert_eq!(
        t.app
            .guest_login(&guest_login(&late))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Unauthorized
    );
    assert_eq!(
        t.app
            .guest_login(&guest_login("made-up"))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Unauthorized
    );
}

#[tokio::test]
async fn a_guest_joins_with_the_employee_and_sees_only_everyone_messages() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let ca = t.connect(&alice).await;
    let room = solo_room(&t, &ca).await;
    let code = invite(&t, &ca, &room).await;
    let (_john, cg) = t.guest_joins(&code, "John Q").await;
    let got = t.ok(&cg, "room.get", json!({"roomId": room})).await;
    assert_eq!(got["room"]["memberCount"], 2);
    t.events(&cg);
    t.ok(&ca, "message.send", json!({"roomId": room, "clientMsgId": "n", "text": "note to self", "visibility": "employees"})).await;
    t.ok(
        &ca,
        "message.send",
        json!({"roomId": room, "clientMsgId": "h", "text": "Hi John"}),
    )
    .await;
    let texts: Vec<String> = t
        .events(&cg)
        .iter()
        .filter(|e| e["type"] == "message.created")
        .map(|e| e["message"]["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(texts, vec!["Hi John"]);
    let h = t
        .ok(&cg, "history.get", json!({"roomId": room, "limit": 200}))
        .await;
    assert!(
        h["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["visibility"] == "everyone")
    );
}

#[tokio::test]
async fn a_guest_cannot_reach_beyond_their_room() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let ca = t.connect(&alice).await;
    let room = solo_room(&t, &ca).await;
    let other = solo_room(&t, &ca).await;
    let (_john, cg) = t.guest_joins(&invite(&t, &ca, &room).await, "John Q").await;
    for (action, fields) in [
        ("room.create", json!({"kind": "group", "title": "mine"})),
        ("room.inviteGuest", json!({"roomId": room})),
        (
            "room.invite",
            json!({"roomId": room, "userId": alice.identity.user_id.to_string()}),
        ),
        (
            "room.remove",
            json!({"roomId": room, "userId": alice.identity.user_id.to_string()}),
        ),
        ("room.join", json!({"roomId": other})),
        ("room.get", json!({"roomId": other})),
        ("history.get", json!({"roomId": other})),
        ("supervisor.observe", json!({"roomId": room})),
        ("supervisor.breakIn", json!({"roomId": room})),
        (
            "message.send",
            json!({"roomId": room, "clientMsgId": "x", "text": "psst", "visibility": "employees"}),
        ),
    ] {
        let code = t.refused(&cg, action, fields).await;
        assert!(
            code == "forbidden" || code == "not_found",
            "{action} gave {code}"
        );
    }
    let john = t.store_user_by_kind_guest().await;
    assert_eq!(
        t.app.directory(&john, None).await.unwrap_err().code(),
        ErrorCode::Forbidden
    );
}

trait GuestLookup {
    async fn store_user_by_kind_guest(&self) -> chat_core::model::UserRecord;
}
impl GuestLookup for TestApp {
    async fn store_user_by_kind_guest(&self) -> chat_core::model::UserRecord {
        self.store
            .list_users()
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.identity.is_guest())
            .unwrap()
    }
}

#[tokio::test]
async fn the_last_employee_cannot_leave_or_be_removed_while_the_guest_stays() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let bob = t.employee("bob", T2, &[]).await;
    let (ca, cb) = (t.connect(&alice).await, t.connect(&bob).await);
    let room = solo_room(&t, &ca).await;
    t.guest_joins(&invite(&t, &ca, &room).await, "John Q").await;
    assert_eq!(
        t.refused(&ca, "room.leave", json!({"roomId": room})).await,
        "guest_alone"
    );
    t.ok(
        &ca,
        "room.invite",
        json!({"roomId": room, "userId": bob.identity.user_id.to_string()}),
    )
    .await;
    // Handover: Bob removes Alice, then cannot leave himself.
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
async fn a_guest_cannot_join_a_room_whose_employees_have_all_left() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let ca = t.connect(&alice).await;
    let room = solo_room(&t, &ca).await;
    let code = invite(&t, &ca, &room).await;
    t.ok(&ca, "room.leave", json!({"roomId": room})).await;
    assert_eq!(
        t.app
            .guest_login(&guest_login(&code))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::GuestAlone
    );
}

async fn disable_or_revoke_hands_the_room_to_supervisors(patch: IdentityPatch) {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let sam = t
        .employee("sam", T2, &[chat_core::model::Role::Supervisor])
        .await;
    let ca = t.connect(&alice).await;
    let cs = t.connect(&sam).await;
    let room = solo_room(&t, &ca).await;
    let (_john, cg) = t.guest_joins(&invite(&t, &ca, &room).await, "John Q").await;
    t.events(&cg);
    t.app
        .update_identity(Actor::Operator, &alice.identity.user_id, patch.clone())
        .await
        .unwrap();
    // John is told and is not alone; supervisors see the room waiting in the T1 queue.
    let told: Vec<Value> = t
        .events(&cg)
        .into_iter()
        .filter(|e| e["type"] == "message.created")
        .collect();
    assert!(told.iter().any(|e| {
        e["message"]["text"]
            .as_str()
            .unwrap()
            .contains("supervisor will take over")
    }));
    let queues = t.app.supervisor_queues(&sam).await.unwrap();
    assert_eq!(queues.queues[0].waiting, 1, "{queues:?}");
    let rooms = t.app.supervisor_rooms(&sam, None).await.unwrap();
    assert!(rooms.rooms[0].waiting_since.is_some());
    // Sam breaks in: the wait ends; a disabled Alice no longer counts as company.
    t.ok(&cs, "supervisor.breakIn", json!({"roomId": room}))
        .await;
    assert_eq!(
        t.app.supervisor_queues(&sam).await.unwrap().queues[0].waiting,
        0
    );
    let parts = t
        .app
        .supervisor_participants(&sam, &chat_core::ids::RoomId::parse(room.clone()).unwrap())
        .await
        .unwrap();
    let alice_still_there = parts
        .participants
        .iter()
        .any(|p| p.id == alice.identity.user_id.as_str());
    assert_eq!(alice_still_there, patch.enabled != Some(false));
    if alice_still_there {
        // Revoked but still enabled: Alice can log back in, so she still counts.
        t.ok(&cs, "room.leave", json!({"roomId": room})).await;
    } else {
        assert_eq!(
            t.refused(&cs, "room.leave", json!({"roomId": room})).await,
            "guest_alone"
        );
    }
}

#[tokio::test]
async fn disabling_the_last_employee_hands_the_room_to_supervisors() {
    disable_or_revoke_hands_the_room_to_supervisors(IdentityPatch {
        enabled: Some(false),
        ..Default::default()
    })
    .await;
}

#[tokio::test]
async fn revoking_the_last_employee_hands_the_room_to_supervisors() {
    disable_or_revoke_hands_the_room_to_supervisors(IdentityPatch {
        revoke_tokens: true,
        ..Default::default()
    })
    .await;
}
