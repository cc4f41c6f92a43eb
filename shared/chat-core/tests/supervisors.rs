//! Supervisors and admins on the in-memory adapters: floor views with live counts,
//! silent observation, break-in into restricted rooms, the audit log, and the admin
//! routes sharing the CLI's code path.

use chat_core::ErrorCode;
use chat_core::ids::RoomId;
use chat_core::model::{Role, RoomStatus, Tier};
use chat_core::service::admin::{IdentityPatch, NewEmployee};
use chat_core::testkit::harness::{T1, T2, T3, TestApp};
use serde_json::json;

#[tokio::test]
async fn supervisor_counts_follow_people_connecting_and_disconnecting() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let sam = t.employee("sam", T2, &[Role::Supervisor]).await;
    let ca = t.connect(&alice).await;
    let d = t
        .ok(
            &ca,
            "room.create",
            json!({"kind": "solo", "title": "r", "issue": {"title": "i"}}),
        )
        .await;
    let room = d["room"]["id"].as_str().unwrap().to_string();
    let code = t.ok(&ca, "room.inviteGuest", json!({"roomId": room})).await["inviteCode"]
        .as_str()
        .unwrap()
        .to_string();
    let (_john, cg) = t.guest_joins(&code, "John Q").await;
    let summary = |t: &TestApp| {
        let sam = sam.clone();
        let app = t.app.clone();
        async move {
            app.supervisor_rooms(&sam, Some(RoomStatus::Open))
                .await
                .unwrap()
                .rooms[0]
                .clone()
        }
    };
    let s = summary(&t).await;
    assert_eq!(
        (
            s.member_count,
            s.online_count,
            s.guest_count,
            s.employee_count,
            s.robot_count
        ),
        (2, 2, 1, 1, 0)
    );
    assert_eq!(s.tier, Tier::T1);
    t.app.disconnect(&cg).await.unwrap();
    assert_eq!(summary(&t).await.online_count, 1);
    t.app.disconnect(&ca).await.unwrap();
    assert_eq!(summary(&t).await.online_count, 0);
    let parts = t
        .app
        .supervisor_participants(&sam, &RoomId::parse(room).unwrap())
        .await
        .unwrap();
    assert_eq!(parts.participants.len(), 2);
    assert!(parts.participants.iter().all(|p| !p.online));
}

#[tokio::test]
async fn only_supervisors_use_the_floor_views() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let admin = t.employee("admin", T3, &[Role::Admin]).await;
    for who in [&alice, &admin] {
        assert_eq!(
            t.app.supervisor_rooms(who, None).await.unwrap_err().code(),
            ErrorCode::Forbidden
        );
        assert_eq!(
            t.app.supervisor_queues(who).await.unwrap_err().code(),
            ErrorCode::Forbidden
        );
        assert_eq!(
            t.app
                .supervisor_issues(who, None, None)
                .await
                .unwrap_err()
                .code(),
            ErrorCode::Forbidden
        );
    }
    // The audit log is for supervisors and admins.
    assert!(t.app.audit_log(&admin, None, None).await.is_ok());
    assert_eq!(
        t.app
            .audit_log(&alice, None, None)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Forbidden
    );
}

#[tokio::test]
async fn observing_is_silent_sees_everything_and_is_audited() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let sam = t.employee("sam", T2, &[Role::Supervisor]).await;
    let (ca, cs) = (t.connect(&alice).await, t.connect(&sam).await);
    let d = t
        .ok(&ca, "room.create", json!({"kind": "solo", "title": "r"}))
        .await;
    let room = d["room"]["id"].as_str().unwrap().to_string();
    t.events(&ca);
    t.ok(&cs, "supervisor.observe", json!({"roomId": room}))
        .await;
    assert!(
        t.events(&ca).is_empty(),
        "observing must not announce anything"
    );
    t.ok(
        &ca,
        "message.send",
        json!({"roomId": room, "clientMsgId": "w", "text": "internal", "visibility": "employees"}),
    )
    .await;
    assert!(
        t.events(&cs)
            .iter()
            .any(|e| e["type"] == "message.created" && e["message"]["text"] == "internal")
    );
    // Not a member: cannot post.
    assert_eq!(
        t.refused(
            &cs,
            "message.send",
            json!({"roomId": room, "clientMsgId": "s", "text": "hi"})
        )
        .await,
        "not_found"
    );
    let audit = t.app.audit_log(&sam, None, None).await.unwrap();
    assert!(
        audit
            .entries
            .iter()
            .any(|e| e.entry.action == "supervisor.observe"
                && e.entry.actor == sam.identity.user_id.as_str())
    );
}

#[tokio::test]
async fn break_in_works_for_supervisors_on_solo_rooms_and_nobody_else() {
    let t = TestApp::new();
    let alice = t.employee("alice", T1, &[]).await;
    let bob = t.employee("bob", T2, &[]).await;
    let sam = t.employee("sam", T2, &[Role::Supervisor]).await;
    let (ca, cb, cs) = (
        t.connect(&alice).await,
        t.connect(&bob).await,
        t.connect(&sam).await,
    );
    let d = t
        .ok(&ca, "room.create", json!({"kind": "solo", "title": "r"}))
        .await;
    let room = d["room"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        t.refused(&cb, "supervisor.breakIn", json!({"roomId": room}))
            .await,
        "forbidden"
    );
    t.events(&ca);
    let joined = t
        .ok(&cs, "supervisor.breakIn", json!({"roomId": room}))
        .await;
    assert_eq!(joined["room"]["memberCount"], 2);
    assert!(t.events(&ca).iter().any(|e| {
        e["type"] == "message.created"
            && e["message"]["text"]
                .as_str()
                .unwrap()
                .contains("(supervisor) joined")
    }));
    // Whisper: an employees-only message from the supervisor, now a member.
    t.ok(&cs, "message.send", json!({"roomId": room, "clientMsgId": "w", "text": "try the logic tab", "visibility": "employees"})).await;
    let audit = t.app.audit_log(&sam, None, None).await.unwrap();
    assert!(
        audit
            .entries
            .iter()
            .any(|e| e.entry.action == "supervisor.break-in")
    );
}

#[tokio::test]
async fn admin_routes_share_the_cli_path_and_are_admin_only() {
    let t = TestApp::new();
    let admin = t
        .employee("admin", T3, &[Role::Admin, Role::Supervisor])
        .await;
    let sam = t.employee("sam", T2, &[Role::Supervisor]).await;
    let new = || NewEmployee {
        username: "dana".into(),
        password: "dana-pass-1".into(),
        tier: Tier::T1,
        roles: vec![],
        display_name: "Dana".into(),
    };
    assert_eq!(
        t.app.admin_add_user(&sam, new()).await.unwrap_err().code(),
        ErrorCode::Forbidden
    );
    let dana = t.app.admin_add_user(&admin, new()).await.unwrap().identity;
    assert_eq!(
        t.app
            .admin_add_user(&admin, new())
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Conflict
    );
    let promoted = t
        .app
        .admin_update_user(
            &admin,
            &dana.user_id,
            IdentityPatch {
                tier: Some(Tier::T2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(promoted.identity.tier, Some(Tier::T2));
    assert_eq!(
        t.app
            .admin_update_user(
                &sam,
                &dana.user_id,
                IdentityPatch {
                    enabled: Some(false),
                    ..Default::default()
                }
            )
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Forbidden
    );
    // No self lock-out.
    assert_eq!(
        t.app
            .admin_update_user(
                &admin,
                &admin.identity.user_id,
                IdentityPatch {
                    enabled: Some(false),
                    ..Default::default()
                }
            )
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Conflict
    );
    let listed = t.app.admin_list_users(&admin).await.unwrap();
    assert_eq!(listed.users.len(), 3);
    let audit = t.app.audit_log(&admin, None, None).await.unwrap();
    let actions: Vec<&str> = audit
        .entries
        .iter()
        .map(|e| e.entry.action.as_str())
        .collect();
    assert!(
        actions.contains(&"admin.user-added") && actions.contains(&"admin.user-updated"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn the_audit_log_pages_with_a_cursor() {
    let t = TestApp::new();
    let admin = t.employee("admin", T3, &[Role::Admin]).await;
    for i in 0..5 {
        t.app
            .login(
                &chat_core::protocol::http::LoginRequest {
                    username: "admin".into(),
                    password: "admin-pass".into(),
                },
                "192.0.2.1",
            )
            .await
            .unwrap_or_else(|e| panic!("login {i}: {e}"));
    }
    let first = t.app.audit_log(&admin, None, Some(3)).await.unwrap();
    assert_eq!(first.entries.len(), 3);
    let next = first.next.clone().expect("a cursor");
    let rest = t
        .app
        .audit_log(&admin, Some(&next), Some(10))
        .await
        .unwrap();
    assert!(rest.next.is_none());
    let seqs: Vec<u64> = first
        .entries
        .iter()
        .chain(&rest.entries)
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    assert_eq!(
        t.app
            .audit_log(&admin, Some("yesterday"), None)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::BadRequest
    );
}
