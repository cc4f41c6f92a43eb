//! Message use cases on the in-memory adapters: sending, idempotency, visibility,
//! fan-out, history paging and typing.

use chat_core::testkit::harness::{T1, T2, T3, TestApp};
use serde_json::{Value, json};

async fn room_with(
    t: &TestApp,
    owner: &chat_core::ids::ConnectionId,
    invite: &[&chat_core::model::UserRecord],
) -> String {
    let d = t
        .ok(
            owner,
            "room.create",
            json!({"kind": "group", "title": "Room"}),
        )
        .await;
    let room = d["room"]["id"].as_str().unwrap().to_string();
    for u in invite {
        t.ok(
            owner,
            "room.invite",
            json!({"roomId": room, "userId": u.identity.user_id.to_string()}),
        )
        .await;
    }
    room
}

fn created(events: &[Value]) -> Vec<&Value> {
    events
        .iter()
        .filter(|e| e["type"] == "message.created" && e["message"]["author"]["kind"] != "system")
        .collect()
}

#[tokio::test]
async fn a_message_reaches_every_member_connection_and_nobody_else() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let bob = t.employee("bob", T2, &[]).await;
    let carol = t.employee("carol", T3, &[]).await;
    let ca = t.connect(&alice).await;
    let (cb1, cb2) = (t.connect(&bob).await, t.connect(&bob).await);
    let cc = t.connect(&carol).await;
    let room = room_with(&t, &ca, &[&bob]).await;
    for c in [&ca, &cb1, &cb2, &cc] {
        t.events(c);
    }
    let sent = t
        .ok(
            &ca,
            "message.send",
            json!({"roomId": room, "clientMsgId": "c1", "text": "hello"}),
        )
        .await;
    assert_eq!(sent["message"]["text"], "hello");
    for c in [&ca, &cb1, &cb2] {
        let ev = t.events(c);
        let got = created(&ev);
        assert_eq!(got.len(), 1, "{c} should get exactly one message.created");
        assert_eq!(got[0]["message"]["id"], sent["message"]["id"]);
    }
    assert!(
        created(&t.events(&cc)).is_empty(),
        "a non-member got the message"
    );
}

#[tokio::test]
async fn a_resend_with_the_same_client_msg_id_returns_the_original() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let bob = t.employee("bob", T2, &[]).await;
    let (ca, cb) = (t.connect(&alice).await, t.connect(&bob).await);
    let room = room_with(&t, &ca, &[&bob]).await;
    let first = t
        .ok(
            &ca,
            "message.send",
            json!({"roomId": room, "clientMsgId": "same", "text": "one"}),
        )
        .await;
    t.events(&cb);
    let again = t
        .ok(
            &ca,
            "message.send",
            json!({"roomId": room, "clientMsgId": "same", "text": "one"}),
        )
        .await;
    assert_eq!(first["message"]["id"], again["message"]["id"]);
    assert!(
        created(&t.events(&cb)).is_empty(),
        "a resend was fanned out again"
    );
    // Another author may use the same client id.
    let bobs = t
        .ok(
            &cb,
            "message.send",
            json!({"roomId": room, "clientMsgId": "same", "text": "two"}),
        )
        .await;
    assert_ne!(bobs["message"]["id"], first["message"]["id"]);
}

#[tokio::test]
async fn sequence_numbers_increase_by_one_per_message() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let ca = t.connect(&alice).await;
    let room = room_with(&t, &ca, &[]).await;
    let mut seqs = vec![];
    for i in 0..5 {
        let d = t
            .ok(
                &ca,
                "message.send",
                json!({"roomId": room, "clientMsgId": format!("m{i}"), "text": "x"}),
            )
            .await;
        seqs.push(d["message"]["seq"].as_u64().unwrap());
    }
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
}

#[tokio::test]
async fn history_pages_forward_and_backward() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let ca = t.connect(&alice).await;
    let room = room_with(&t, &ca, &[]).await;
    for i in 0..30 {
        t.ok(
            &ca,
            "message.send",
            json!({"roomId": room, "clientMsgId": format!("m{i}"), "text": format!("n{i}")}),
        )
        .await;
    }
    let first = t
        .ok(
            &ca,
            "history.get",
            json!({"roomId": room, "afterSeq": 0, "limit": 10}),
        )
        .await;
    let seqs: Vec<u64> = first["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=10).collect::<Vec<_>>());
    assert_eq!(first["hasMore"], true);
    let last = t
        .ok(
            &ca,
            "history.get",
            json!({"roomId": room, "beforeSeq": 31, "limit": 10}),
        )
        .await;
    let seqs: Vec<u64> = last["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (21..=30).collect::<Vec<_>>());
    assert_eq!(last["hasMore"], true);
    let tail = t
        .ok(&ca, "history.get", json!({"roomId": room, "afterSeq": 25}))
        .await;
    assert_eq!(tail["messages"].as_array().unwrap().len(), 5);
    assert_eq!(tail["hasMore"], false);
    assert_eq!(
        t.refused(&ca, "history.get", json!({"roomId": room, "limit": 201}))
            .await,
        "bad_request"
    );
    assert_eq!(
        t.refused(
            &ca,
            "history.get",
            json!({"roomId": room, "afterSeq": 5, "beforeSeq": 5})
        )
        .await,
        "bad_request"
    );
}

#[tokio::test]
async fn oversized_and_empty_texts_are_refused_with_protocol_codes() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let ca = t.connect(&alice).await;
    let room = room_with(&t, &ca, &[]).await;
    let big = "x".repeat(16 * 1024 + 1);
    assert_eq!(
        t.refused(
            &ca,
            "message.send",
            json!({"roomId": room, "clientMsgId": "b", "text": big})
        )
        .await,
        "payload_too_large"
    );
    assert_eq!(
        t.refused(
            &ca,
            "message.send",
            json!({"roomId": room, "clientMsgId": "e", "text": "   "})
        )
        .await,
        "bad_request"
    );
    assert_eq!(
        t.refused(
            &ca,
            "message.send",
            json!({"roomId": room, "text": "no client id"})
        )
        .await,
        "bad_request"
    );
}

#[tokio::test]
async fn typing_reaches_the_others_but_not_the_typist() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let bob = t.employee("bob", T2, &[]).await;
    let (ca, cb) = (t.connect(&alice).await, t.connect(&bob).await);
    let room = room_with(&t, &ca, &[&bob]).await;
    t.events(&ca);
    t.events(&cb);
    t.ok(&ca, "typing", json!({"roomId": room})).await;
    assert!(
        t.events(&cb)
            .iter()
            .any(|e| e["type"] == "typing" && e["userId"] == alice.identity.user_id.to_string())
    );
    assert!(!t.events(&ca).iter().any(|e| e["type"] == "typing"));
}

#[tokio::test]
async fn employee_only_messages_are_hidden_from_guests_in_events_and_history() {
    use chat_core::ids::{RoomId, UserId};
    use chat_core::model::{AccountKind, Identity, Profile, UserRecord};
    use chat_core::ports::Clock;
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let ca = t.connect(&alice).await;
    let room = room_with(&t, &ca, &[]).await;
    let guest = UserRecord {
        identity: Identity {
            user_id: UserId::parse("usr_g").unwrap(),
            username: "g".into(),
            kind: AccountKind::Guest,
            tier: None,
            roles: vec![],
            enabled: true,
            token_version: 0,
            guest_room: Some(RoomId::parse(room.clone()).unwrap()),
            guest_issue: None,
        },
        profile: Profile {
            display_name: "John".into(),
            avatar_file_id: None,
        },
        password_hash: None,
        created_at: t.clock.now(),
    };
    t.store.insert_user(&guest).await.unwrap();
    t.store
        .add_member(
            &RoomId::parse(room.clone()).unwrap(),
            &chat_core::service::rooms::member_of(&guest, t.clock.now()),
        )
        .await
        .unwrap();
    let cg = t.connect(&guest).await;
    t.events(&cg);
    t.ok(&ca, "message.send", json!({"roomId": room, "clientMsgId": "n1", "text": "internal note", "visibility": "employees"}))
        .await;
    t.ok(
        &ca,
        "message.send",
        json!({"roomId": room, "clientMsgId": "n2", "text": "hello John"}),
    )
    .await;
    let seen: Vec<String> = created(&t.events(&cg))
        .iter()
        .map(|e| e["message"]["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, vec!["hello John"]);
    let h = t.ok(&cg, "history.get", json!({"roomId": room})).await;
    assert!(
        h["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["visibility"] == "everyone")
    );
    // Guests cannot post employee-only, and cannot create rooms.
    assert_eq!(
        t.refused(
            &cg,
            "message.send",
            json!({"roomId": room, "clientMsgId": "g1", "text": "psst", "visibility": "employees"})
        )
        .await,
        "forbidden"
    );
    assert_eq!(
        t.refused(
            &cg,
            "room.create",
            json!({"kind": "group", "title": "mine"})
        )
        .await,
        "forbidden"
    );
    assert_eq!(
        t.refused(&cg, "room.join", json!({"roomId": room})).await,
        "forbidden"
    );
}

#[tokio::test]
async fn a_concluded_room_refuses_new_messages_but_still_answers_resends() {
    use chat_core::ids::RoomId;
    use chat_core::model::RoomStatus;
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let ca = t.connect(&alice).await;
    let room = room_with(&t, &ca, &[]).await;
    let sent = t
        .ok(
            &ca,
            "message.send",
            json!({"roomId": room, "clientMsgId": "before", "text": "bye"}),
        )
        .await;
    let room_id = RoomId::parse(room.clone()).unwrap();
    let mut stored = t.store.room(&room_id).await.unwrap().unwrap();
    stored.status = RoomStatus::Concluded;
    t.store.update_room(&stored).await.unwrap();
    let again = t
        .ok(
            &ca,
            "message.send",
            json!({"roomId": room, "clientMsgId": "before", "text": "bye"}),
        )
        .await;
    assert_eq!(again["message"]["id"], sent["message"]["id"]);
    assert_eq!(
        t.refused(
            &ca,
            "message.send",
            json!({"roomId": room, "clientMsgId": "after", "text": "hello?"})
        )
        .await,
        "conflict"
    );
}
