//! The callers of the matrix and a fixture that gives each of them a real token.
//!
//! Room `R` is a solo room about one issue with employees Alice (the acting member) and
//! Bob, plus Dave and Erin, and the guest Gina. Room `G` is a group room of Alice's.
//! Room `O` is another solo room of Alice's with the guest Oscar. Carol is an employee
//! in none of them; Sam a supervisor and Ada an admin, in none of them either. Dave is
//! then disabled and Erin's tokens revoked, after their tokens were issued.
//!
//! The scripted robot [`ROBOT`] is in room `R`, and has answered Alice there: its
//! answer ([`Fixture::answer`]) is a complete, employees-only message to share.

use chat_core::model::{Role, Tier, UserRecord, Visibility};
use chat_core::protocol::http::{GuestLoginRequest, LoginRequest};
use chat_core::service::admin::IdentityPatch;
use chat_core::service::audit::Actor as AdminActor;
use chat_core::testkit::harness::TestApp;
use serde_json::json;

/// The scripted robot invited to room `R` (answers at once, `batch-delay`).
pub const ROBOT: &str = chat_core::testkit::robots::BATCH;
/// A scripted robot that is in no room.
pub const OTHER_ROBOT: &str = chat_core::testkit::robots::ECHO;

/// The columns of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    EmployeeMember,
    EmployeeNonMember,
    GuestOfRoom,
    GuestOfOtherRoom,
    Supervisor,
    Admin,
    DisabledUser,
    RevokedToken,
}

impl Actor {
    pub const ALL: [Actor; 8] = [
        Actor::EmployeeMember,
        Actor::EmployeeNonMember,
        Actor::GuestOfRoom,
        Actor::GuestOfOtherRoom,
        Actor::Supervisor,
        Actor::Admin,
        Actor::DisabledUser,
        Actor::RevokedToken,
    ];

    pub fn heading(self) -> &'static str {
        match self {
            Actor::EmployeeMember => "employee member",
            Actor::EmployeeNonMember => "employee non-member",
            Actor::GuestOfRoom => "guest of the room",
            Actor::GuestOfOtherRoom => "guest of another room",
            Actor::Supervisor => "supervisor",
            Actor::Admin => "admin",
            Actor::DisabledUser => "disabled user",
            Actor::RevokedToken => "revoked token",
        }
    }
}

/// A fixture: the app, the rooms, and every actor's token and record.
pub struct Fixture {
    pub t: TestApp,
    pub room: String,
    /// Room `R`'s issue.
    pub issue: String,
    pub group_room: String,
    pub other_room: String,
    pub bob: UserRecord,
    pub carol: UserRecord,
    /// An unused invite code to room `R`, for `POST /auth/guest`.
    pub fresh_invite: String,
    /// [`ROBOT`]'s complete, employees-only answer in room `R`.
    pub answer: String,
    /// Alice's completed text file in room `R`, for everyone.
    pub file: String,
    /// Alice's completed employees-only text file in room `R`.
    pub hidden_file: String,
    /// Alice's completed image in room `R` (an avatar candidate).
    pub image: String,
    pub tokens: Vec<(Actor, String)>,
    pub users: Vec<(Actor, UserRecord)>,
}

async fn token(t: &TestApp, username: &str) -> String {
    t.app
        .login(
            &LoginRequest {
                username: username.into(),
                password: format!("{username}-pass"),
            },
            "192.0.2.1",
        )
        .await
        .unwrap_or_else(|e| panic!("login {username}: {e}"))
        .token
}

async fn guest(
    t: &TestApp,
    conn: &chat_core::ids::ConnectionId,
    room: &str,
    name: &str,
) -> (UserRecord, String) {
    let code = t
        .ok(conn, "room.inviteGuest", json!({"roomId": room}))
        .await["inviteCode"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let resp = t
        .app
        .guest_login(&GuestLoginRequest {
            invite_code: code,
            display_name: name.into(),
        })
        .await
        .unwrap_or_else(|e| panic!("guest login: {e}"));
    let record = t
        .app
        .find_account(resp.identity.user_id.as_str())
        .await
        .unwrap_or_else(|e| panic!("guest record: {e}"));
    (record, resp.token)
}

/// Invites [`ROBOT`] to `room`, asks it, runs its job (before any guest exists, so the
/// only queued job is the answer) and returns the finished answer's id.
async fn robot_answer(t: &TestApp, conn: &chat_core::ids::ConnectionId, room: &str) -> String {
    t.ok(
        conn,
        "robot.invite",
        json!({"roomId": room, "robot": ROBOT}),
    )
    .await;
    let asked = t
        .ok(
            conn,
            "robot.ask",
            json!({"roomId": room, "robot": ROBOT, "text": "what is wrong with the form?"}),
        )
        .await;
    let answer = asked["response"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    t.run_jobs().await;
    let history = t
        .ok(conn, "history.get", json!({"roomId": room, "limit": 200}))
        .await;
    let done = history["messages"].as_array().is_some_and(|m| {
        m.iter().any(|m| {
            m["id"] == answer.as_str()
                && m["status"] == "complete"
                && m["visibility"] == "employees"
        })
    });
    assert!(
        done,
        "the robot's answer {answer} did not complete: {history}"
    );
    answer
}

impl Fixture {
    pub async fn new() -> Fixture {
        let t = TestApp::new();
        let alice = t.employee("alice", Tier::T1, &[]).await;
        let bob = t.employee("bob", Tier::T2, &[]).await;
        let carol = t.employee("carol", Tier::T3, &[]).await;
        let dave = t.employee("dave", Tier::T1, &[]).await;
        let erin = t.employee("erin", Tier::T1, &[]).await;
        let sam = t.employee("sam", Tier::T2, &[Role::Supervisor]).await;
        let ada = t.employee("ada", Tier::T3, &[Role::Admin]).await;
        let ca = t.connect(&alice).await;
        let created = t.ok(&ca, "room.create", json!({"kind": "solo", "title": "R", "issue": {"title": "Form broken", "customerName": "Gina"}})).await;
        let room = created["room"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let issue = created["issue"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        for u in [&bob, &dave, &erin] {
            t.ok(
                &ca,
                "room.invite",
                json!({"roomId": room, "userId": u.identity.user_id.to_string()}),
            )
            .await;
        }
        let answer = robot_answer(&t, &ca, &room).await;
        use crate::files::completed_file;
        let text = "text/plain";
        let file = completed_file(
            &t,
            &alice,
            &room,
            ("a.txt", text, b"for everyone"),
            Visibility::Everyone,
        )
        .await;
        let hidden_file = completed_file(
            &t,
            &alice,
            &room,
            ("b.txt", text, b"for employees"),
            Visibility::Employees,
        )
        .await;
        let png = crate::files::tiny_png();
        let image = completed_file(
            &t,
            &alice,
            &room,
            ("me.png", "image/png", &png),
            Visibility::Everyone,
        )
        .await;
        let group_room = t
            .ok(&ca, "room.create", json!({"kind": "group", "title": "G"}))
            .await["room"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let other_room = t
            .ok(&ca, "room.create", json!({"kind": "solo", "title": "O"}))
            .await["room"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (gina, gina_token) = guest(&t, &ca, &room, "Gina").await;
        let (oscar, oscar_token) = guest(&t, &ca, &other_room, "Oscar").await;
        let fresh_invite =
            t.ok(&ca, "room.inviteGuest", json!({"roomId": room})).await["inviteCode"]
                .as_str()
                .unwrap_or_default()
                .to_string();
        let dave_token = token(&t, "dave").await;
        let erin_token = token(&t, "erin").await;
        let ops = AdminActor::Operator;
        t.app
            .update_identity(
                ops,
                &dave.identity.user_id,
                IdentityPatch {
                    enabled: Some(false),
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("disable dave: {e}"));
        t.app
            .update_identity(
                ops,
                &erin.identity.user_id,
                IdentityPatch {
                    revoke_tokens: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("revoke erin: {e}"));
        let tokens = vec![
            (Actor::EmployeeMember, token(&t, "alice").await),
            (Actor::EmployeeNonMember, token(&t, "carol").await),
            (Actor::GuestOfRoom, gina_token),
            (Actor::GuestOfOtherRoom, oscar_token),
            (Actor::Supervisor, token(&t, "sam").await),
            (Actor::Admin, token(&t, "ada").await),
            (Actor::DisabledUser, dave_token),
            (Actor::RevokedToken, erin_token),
        ];
        let users = vec![
            (Actor::EmployeeMember, alice),
            (Actor::EmployeeNonMember, carol.clone()),
            (Actor::GuestOfRoom, gina),
            (Actor::GuestOfOtherRoom, oscar),
            (Actor::Supervisor, sam),
            (Actor::Admin, ada),
            (Actor::DisabledUser, dave),
            (Actor::RevokedToken, erin),
        ];
        Fixture {
            t,
            room,
            issue,
            group_room,
            other_room,
            bob,
            carol,
            fresh_invite,
            answer,
            file,
            hidden_file,
            image,
            tokens,
            users,
        }
    }

    /// Alice concludes room `R` (`resolved`).
    pub async fn conclude_room(&self) {
        let alice = self.user(Actor::EmployeeMember);
        let conn = self.t.connect(alice).await;
        self.t
            .ok(
                &conn,
                "issue.conclude",
                json!({"roomId": self.room, "conclusion": "resolved"}),
            )
            .await;
    }

    pub fn token(&self, actor: Actor) -> &str {
        self.tokens
            .iter()
            .find(|(a, _)| *a == actor)
            .map(|(_, t)| t.as_str())
            .unwrap_or_default()
    }

    pub fn user(&self, actor: Actor) -> &UserRecord {
        &self
            .users
            .iter()
            .find(|(a, _)| *a == actor)
            .unwrap_or_else(|| panic!("no user for {actor:?}"))
            .1
    }
}
