//! The expected table: one row per PROTOCOL action and HTTP route.
//!
//! `allow` has one character per [`Actor::ALL`] column, in order: `Y` = allowed,
//! `-` = refused. Rows whose feature belongs to a later issue are `pending`: every
//! caller is refused (unknown action / no route) until it lands, and the row says so.

use serde_json::{Value, json};

use crate::actors::{Actor, Fixture, OTHER_ROBOT, ROBOT};

/// How a row is exercised.
pub enum Call {
    /// A WebSocket action on a socket opened with the actor's token.
    Ws(fn(&Fixture) -> Value),
    /// An HTTP request; `bearer` sends the actor's token.
    Http {
        method: &'static str,
        path: fn(&Fixture) -> String,
        body: fn(&Fixture, Actor) -> Option<Value>,
        bearer: bool,
    },
}

pub struct Case {
    /// The action name or `METHOD /path` as PROTOCOL writes it.
    pub name: &'static str,
    pub call: Call,
    pub allow: &'static str,
    /// `Some(why)` while the feature is not built yet.
    pub pending: Option<&'static str>,
    /// Room `R` is concluded (by Alice) before the call.
    pub after_conclusion: bool,
}

impl Case {
    /// The action or route the row exercises: its name without the parenthesised
    /// situation (`issue.rate (after the conclusion)` → `issue.rate`).
    pub fn action(&self) -> &'static str {
        self.name.split(" (").next().unwrap_or(self.name)
    }

    pub fn allowed(&self, actor: Actor) -> bool {
        let column = Actor::ALL.iter().position(|a| *a == actor).unwrap_or(0);
        self.pending.is_none() && self.allow.as_bytes().get(column) == Some(&b'Y')
    }
}

fn ws(name: &'static str, allow: &'static str, fields: fn(&Fixture) -> Value) -> Case {
    Case {
        name,
        call: Call::Ws(fields),
        allow,
        pending: None,
        after_conclusion: false,
    }
}

fn http(
    name: &'static str,
    allow: &'static str,
    method: &'static str,
    path: fn(&Fixture) -> String,
) -> Case {
    Case {
        name,
        call: Call::Http {
            method,
            path,
            body: |_, _| None,
            bearer: true,
        },
        allow,
        pending: None,
        after_conclusion: false,
    }
}

fn with_body(mut case: Case, body: fn(&Fixture, Actor) -> Option<Value>, bearer: bool) -> Case {
    if let Call::Http {
        body: b,
        bearer: auth,
        ..
    } = &mut case.call
    {
        *b = body;
        *auth = bearer;
    }
    case
}

fn after_conclusion(mut case: Case) -> Case {
    case.after_conclusion = true;
    case
}

fn room(f: &Fixture) -> Value {
    json!({"roomId": f.room})
}

/// Every row, in PROTOCOL order.
pub fn all() -> Vec<Case> {
    vec![
        // --- WebSocket (PROTOCOL §3) ---
        ws("ping", "YYYYYY--", |_| json!({"action": "ping"})),
        ws(
            "room.create",
            "YY--YY--",
            |_| json!({"action": "room.create", "kind": "group", "title": "New"}),
        ),
        ws("room.list", "YYYYYY--", |_| json!({"action": "room.list"})),
        ws(
            "room.get",
            "Y-Y-----",
            |f| json!({"action": "room.get", "roomId": f.room}),
        ),
        ws(
            "room.join (group room)",
            "YY--YY--",
            |f| json!({"action": "room.join", "roomId": f.group_room}),
        ),
        ws(
            "room.join (solo room)",
            "--------",
            |f| json!({"action": "room.join", "roomId": f.room}),
        ),
        ws(
            "room.leave",
            "Y-Y-----",
            |f| json!({"action": "room.leave", "roomId": f.room}),
        ),
        ws(
            "room.invite",
            "Y-------",
            |f| json!({"action": "room.invite", "roomId": f.room, "userId": f.carol.identity.user_id.to_string()}),
        ),
        ws(
            "room.inviteGuest",
            "Y-------",
            |f| json!({"action": "room.inviteGuest", "roomId": f.room}),
        ),
        ws(
            "room.remove",
            "Y-------",
            |f| json!({"action": "room.remove", "roomId": f.room, "userId": f.bob.identity.user_id.to_string()}),
        ),
        ws(
            "robot.list",
            "YY--YY--",
            |_| json!({"action": "robot.list"}),
        ),
        ws(
            "robot.invite",
            "Y-------",
            |f| json!({"action": "robot.invite", "roomId": f.room, "robot": OTHER_ROBOT}),
        ),
        ws(
            "robot.remove",
            "Y-------",
            |f| json!({"action": "robot.remove", "roomId": f.room, "robot": ROBOT}),
        ),
        ws(
            "message.send",
            "Y-Y-----",
            |f| json!({"action": "message.send", "roomId": f.room, "clientMsgId": "m1", "text": "hello"}),
        ),
        ws(
            "message.send (employees only)",
            "Y-------",
            |f| json!({"action": "message.send", "roomId": f.room, "clientMsgId": "m2", "text": "note", "visibility": "employees"}),
        ),
        ws(
            "robot.ask",
            "Y-------",
            |f| json!({"action": "robot.ask", "roomId": f.room, "robot": ROBOT, "text": "hi"}),
        ),
        ws(
            "message.share",
            "Y-------",
            |f| json!({"action": "message.share", "roomId": f.room, "messageId": f.answer}),
        ),
        ws(
            "history.get",
            "Y-Y-----",
            |f| json!({"action": "history.get", "roomId": f.room}),
        ),
        ws("typing", "Y-Y-----", |f| {
            let mut v = room(f);
            v["action"] = json!("typing");
            v
        }),
        ws(
            "issue.escalate",
            "Y-------",
            |f| json!({"action": "issue.escalate", "roomId": f.room, "newRoom": false}),
        ),
        ws(
            "issue.escalate (new room)",
            "Y-------",
            |f| json!({"action": "issue.escalate", "roomId": f.room, "newRoom": true}),
        ),
        ws(
            "issue.conclude",
            "Y-------",
            |f| json!({"action": "issue.conclude", "roomId": f.room, "conclusion": "resolved"}),
        ),
        ws(
            "issue.rate (before the conclusion)",
            "--------",
            |f| json!({"action": "issue.rate", "roomId": f.room, "rating": 5}),
        ),
        after_conclusion(ws(
            "issue.rate (after the conclusion)",
            "--Y-----",
            |f| json!({"action": "issue.rate", "roomId": f.room, "rating": 5}),
        )),
        ws(
            "supervisor.observe",
            "----Y---",
            |f| json!({"action": "supervisor.observe", "roomId": f.room}),
        ),
        ws(
            "supervisor.breakIn",
            "----Y---",
            |f| json!({"action": "supervisor.breakIn", "roomId": f.room}),
        ),
        // --- HTTP (PROTOCOL §2) ---
        with_body(
            http(
                "POST /auth/login (own credentials)",
                "YY--YY-Y",
                "POST",
                |_| "/auth/login".into(),
            ),
            |f, actor| {
                let username = f.user(actor).identity.username.clone();
                Some(json!({"username": username, "password": format!("{username}-pass")}))
            },
            false,
        ),
        with_body(
            http(
                "POST /auth/guest (valid invite code)",
                "YYYYYYYY",
                "POST",
                |_| "/auth/guest".into(),
            ),
            |f, _| Some(json!({"inviteCode": f.fresh_invite.clone(), "displayName": "Walk-in"})),
            false,
        ),
        http("POST /auth/ws-ticket", "YYYYYY--", "POST", |_| {
            "/auth/ws-ticket".into()
        }),
        http("GET /me", "YYYYYY--", "GET", |_| "/me".into()),
        with_body(
            http("PATCH /me/profile", "YYYYYY--", "PATCH", |_| {
                "/me/profile".into()
            }),
            |_, _| Some(json!({"displayName": "New Name"})),
            true,
        ),
        http("GET /users", "YY--YY--", "GET", |_| "/users".into()),
        with_body(
            http("POST /files (to room R)", "Y-Y-----", "POST", |_| {
                "/files".into()
            }),
            |f, _| {
                Some(json!({
                    "roomId": f.room, "name": "shot.png", "contentType": "image/png",
                    "size": 1024, "sha256": "ab".repeat(32),
                }))
            },
            true,
        ),
        http(
            "POST /files/{fileId}/complete (Alice's file)",
            "Y-------",
            "POST",
            |f| format!("/files/{}/complete", f.file),
        ),
        http(
            "GET /files/{fileId} (for everyone)",
            "Y-Y-----",
            "GET",
            |f| format!("/files/{}", f.file),
        ),
        http(
            "GET /files/{fileId} (employees only)",
            "Y-------",
            "GET",
            |f| format!("/files/{}", f.hidden_file),
        ),
        with_body(
            http(
                "PATCH /me/profile (Alice's image as avatar)",
                "Y-------",
                "PATCH",
                |_| "/me/profile".into(),
            ),
            |f, _| Some(json!({"avatarFileId": f.image})),
            true,
        ),
        http("GET /supervisor/rooms", "----Y---", "GET", |_| {
            "/supervisor/rooms?status=all".into()
        }),
        http(
            "GET /supervisor/rooms/{roomId}/participants",
            "----Y---",
            "GET",
            |f| format!("/supervisor/rooms/{}/participants", f.room),
        ),
        http(
            "GET /supervisor/rooms/{roomId}/messages",
            "----Y---",
            "GET",
            |f| format!("/supervisor/rooms/{}/messages?afterSeq=0&limit=50", f.room),
        ),
        http(
            "GET /supervisor/rooms/{roomId}/transcript",
            "Y---Y---",
            "GET",
            |f| format!("/supervisor/rooms/{}/transcript?format=markdown", f.room),
        ),
        http(
            "GET /supervisor/issues/{issueId}/transcript",
            "Y---Y---",
            "GET",
            |f| format!("/supervisor/issues/{}/transcript", f.issue),
        ),
        http("GET /supervisor/issues", "----Y---", "GET", |_| {
            "/supervisor/issues?tier=T1&status=open".into()
        }),
        http("GET /supervisor/csat", "----Y---", "GET", |_| {
            "/supervisor/csat".into()
        }),
        http("GET /supervisor/queues", "----Y---", "GET", |_| {
            "/supervisor/queues".into()
        }),
        http("GET /supervisor/audit", "----YY--", "GET", |_| {
            "/supervisor/audit?limit=10".into()
        }),
        with_body(
            http("POST /admin/users", "-----Y--", "POST", |_| {
                "/admin/users".into()
            }),
            |_, _| {
                Some(
                    json!({"username": "newbie", "password": "newbie-pass", "kind": "employee", "tier": "T1", "roles": [], "displayName": "Newbie"}),
                )
            },
            true,
        ),
        http("GET /admin/users", "-----Y--", "GET", |_| {
            "/admin/users".into()
        }),
        with_body(
            http("PATCH /admin/users/{id}", "-----Y--", "PATCH", |f| {
                format!("/admin/users/{}", f.bob.identity.user_id)
            }),
            |_, _| Some(json!({"tier": "T3"})),
            true,
        ),
    ]
}
