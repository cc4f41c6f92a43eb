//! The WebSocket action registry: every action of PROTOCOL §3 written once.
//!
//! One line of [`action_table!`] gives an action's wire name, its [`ClientAction`]
//! variant and request type, its reply type, who may call it, whether the per-user
//! budget applies, a one-line summary, and an example request frame and reply `data`.
//! Everything else is generated from that table:
//!
//! - here: [`ClientAction`] (the `action`-tagged request enum), [`ClientAction::name`],
//!   [`ACTION_NAMES`], [`ActionReply`] (the typed `data` of a successful reply),
//!   [`ACTIONS`] (the table as data, for the generated AsyncAPI document and the
//!   permission matrix) and [`action_schemas`];
//! - in `service::dispatch`: the dispatch, which checks [`Callers`] before the use case
//!   runs. Each request type implements the use-case trait there, in its own service
//!   module.
//!
//! Adding an action is one line here plus its use case; the compiler then asks for the
//! rest (the use case must return the reply type the line names).
//!
//! Rate limits: the per-*connection* limit counts every frame before it is even parsed
//! (garbage included), so it is not an action property. `rate_limited` is the
//! per-*user* budget, which needs the sender read from the store: an action with
//! `rate_limited: false` (the keep-alive) is answered from the connection alone, with
//! no store read, and therefore must be open to `Anyone`.

use serde::{Deserialize, Serialize};

use crate::protocol::actions::*;
use crate::protocol::examples::{example_issue, example_message, example_room};
use crate::protocol::replies::*;
#[cfg(test)]
use crate::service::made_up::{EchoReply, TestEcho};

/// Who may call an action, by kind of account and role only. Room-level rules (being a
/// member, restricted rooms) stay in the use cases, which answer `not_found` where a
/// `forbidden` would reveal that a room exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Callers {
    /// Every signed-in user, guests included.
    Anyone,
    /// Employees (supervisors and admins are employees too).
    Employees,
    /// Employees with the supervisor role.
    Supervisors,
    /// Guests only.
    Guests,
}

impl Callers {
    /// The name used in generated documents (`x-callers`, docs/permissions.md).
    pub fn as_str(self) -> &'static str {
        match self {
            Callers::Anyone => "anyone",
            Callers::Employees => "employees",
            Callers::Supervisors => "supervisors",
            Callers::Guests => "guests",
        }
    }
}

/// One line of the registry, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionSpec {
    /// The wire name (`action`).
    pub name: &'static str,
    /// The Rust type name of the request fields (an empty struct when there are none).
    pub request: &'static str,
    /// The Rust type name of the reply's `data`.
    pub reply: &'static str,
    pub callers: Callers,
    /// Draws on the per-user budget (see the module docs).
    pub rate_limited: bool,
    pub summary: &'static str,
    /// A whole request frame, `action` and `requestId` included.
    pub example: &'static str,
    /// The `data` of the reply to [`ActionSpec::example`].
    pub reply_example: &'static str,
}

/// The table. It calls `$callback!` with every line, so that the protocol items (here)
/// and the dispatch (`service::dispatch`) are generated from the same list.
macro_rules! action_table {
    ($callback:ident) => {
        $callback! {
            "ping" => Ping(Ping) -> Empty {
                callers: Anyone, rate_limited: false,
                summary: "Keep-alive: a `pong` event, then an empty reply; reads nothing.",
                example: r#"{"action":"ping","requestId":"r1"}"#,
                reply_example: "{}",
            },
            "room.create" => RoomCreate(RoomCreate) -> RoomIssueReply {
                callers: Employees, rate_limited: true,
                summary: "Opens a room with its issue (a new one, or an existing issue by id).",
                example: r#"{"action":"room.create","requestId":"r1","kind":"solo","title":"Form will not submit","issue":{"title":"Form will not submit","customerName":"Dana"}}"#,
                reply_example: concat!(r#"{"room":"#, example_room!(), r#","issue":"#, example_issue!(), "}"),
            },
            "room.list" => RoomList(RoomList) -> RoomsReply {
                callers: Anyone, rate_limited: true,
                summary: "The caller's rooms.",
                example: r#"{"action":"room.list","requestId":"r1"}"#,
                reply_example: concat!(r#"{"rooms":["#, example_room!(), "]}"),
            },
            "room.get" => RoomGet(RoomGet) -> RoomReply {
                callers: Anyone, rate_limited: true,
                summary: "One room the caller is a member of.",
                example: r#"{"action":"room.get","requestId":"r1","roomId":"room_01JG8Y"}"#,
                reply_example: concat!(r#"{"room":"#, example_room!(), "}"),
            },
            "room.join" => RoomJoin(RoomJoin) -> RoomReply {
                callers: Employees, rate_limited: true,
                summary: "Joins an open group room (solo rooms are invite-only).",
                example: r#"{"action":"room.join","requestId":"r1","roomId":"room_01JG8Y"}"#,
                reply_example: concat!(r#"{"room":"#, example_room!(), "}"),
            },
            "room.leave" => RoomLeave(RoomLeave) -> RoomReply {
                callers: Anyone, rate_limited: true,
                summary: "Leaves a room (never leaving a guest without an employee).",
                example: r#"{"action":"room.leave","requestId":"r1","roomId":"room_01JG8Y"}"#,
                reply_example: concat!(r#"{"room":"#, example_room!(), "}"),
            },
            "room.invite" => RoomInvite(RoomInvite) -> RoomReply {
                callers: Employees, rate_limited: true,
                summary: "Adds an employee to a room the caller is in.",
                example: r#"{"action":"room.invite","requestId":"r1","roomId":"room_01JG8Y","userId":"user_bob"}"#,
                reply_example: concat!(r#"{"room":"#, example_room!(), "}"),
            },
            "room.remove" => RoomRemove(RoomRemove) -> RoomReply {
                callers: Employees, rate_limited: true,
                summary: "Removes a member (never leaving a guest without an employee).",
                example: r#"{"action":"room.remove","requestId":"r1","roomId":"room_01JG8Y","userId":"user_bob"}"#,
                reply_example: concat!(r#"{"room":"#, example_room!(), "}"),
            },
            "message.send" => MessageSend(MessageSend) -> MessageReply {
                callers: Anyone, rate_limited: true,
                summary: "Posts a message; a resend with the same `clientMsgId` returns the first.",
                example: r#"{"action":"message.send","requestId":"r1","roomId":"room_01JG8Y","clientMsgId":"c-1","text":"Hello! How can I help?"}"#,
                reply_example: concat!(r#"{"message":"#, example_message!(), "}"),
            },
            "history.get" => HistoryGet(HistoryGet) -> HistoryReply {
                callers: Anyone, rate_limited: true,
                summary: "A page of a room's messages, by sequence number.",
                example: r#"{"action":"history.get","requestId":"r1","roomId":"room_01JG8Y","afterSeq":2,"limit":50}"#,
                reply_example: concat!(r#"{"messages":["#, example_message!(), r#"],"hasMore":false}"#),
            },
            "typing" => Typing(Typing) -> Empty {
                callers: Anyone, rate_limited: true,
                summary: "Tells the room's other members the caller is typing.",
                example: r#"{"action":"typing","requestId":"r1","roomId":"room_01JG8Y"}"#,
                reply_example: "{}",
            },
            "room.inviteGuest" => RoomInviteGuest(InviteGuest) -> InviteGuestReply {
                callers: Employees, rate_limited: true,
                summary: "A one-time invite code for a customer to join the room as a guest.",
                example: r#"{"action":"room.inviteGuest","requestId":"r1","roomId":"room_01JG8Y","displayName":"Dana"}"#,
                reply_example: r#"{"inviteCode":"q3Vw8yZcT1mK0pLr","expiresAt":"2026-01-06T09:30:00Z"}"#,
            },
            "supervisor.observe" => SupervisorObserve(SupervisorObserve) -> RoomReply {
                callers: Supervisors, rate_limited: true,
                summary: "This connection receives a room's events without joining it.",
                example: r#"{"action":"supervisor.observe","requestId":"r1","roomId":"room_01JG8Y"}"#,
                reply_example: concat!(r#"{"room":"#, example_room!(), "}"),
            },
            "supervisor.breakIn" => SupervisorBreakIn(SupervisorBreakIn) -> RoomReply {
                callers: Supervisors, rate_limited: true,
                summary: "Joins any open room, restricted ones included.",
                example: r#"{"action":"supervisor.breakIn","requestId":"r1","roomId":"room_01JG8Y"}"#,
                reply_example: concat!(r#"{"room":"#, example_room!(), "}"),
            },
            "robot.list" => RobotList(RobotList) -> RobotsReply {
                callers: Employees, rate_limited: true,
                summary: "The robots employees may invite and ask.",
                example: r#"{"action":"robot.list","requestId":"r1"}"#,
                reply_example: r#"{"robots":[{"name":"iStackBuddy.forms.diagnostics","description":"Checks a form's logic and calculations","delivery":"streaming","contentType":"chat","args":[{"name":"formId","description":"The Formstack form id","required":false}]}]}"#,
            },
            "robot.invite" => RobotInvite(RobotInvite) -> RoomReply {
                callers: Employees, rate_limited: true,
                summary: "Adds a robot to a room.",
                example: r#"{"action":"robot.invite","requestId":"r1","roomId":"room_01JG8Y","robot":"iStackBuddy.forms.diagnostics"}"#,
                reply_example: concat!(r#"{"room":"#, example_room!(), "}"),
            },
            "robot.remove" => RobotRemove(RobotRemove) -> RoomReply {
                callers: Employees, rate_limited: true,
                summary: "Removes a robot from a room.",
                example: r#"{"action":"robot.remove","requestId":"r1","roomId":"room_01JG8Y","robot":"iStackBuddy.forms.diagnostics"}"#,
                reply_example: concat!(r#"{"room":"#, example_room!(), "}"),
            },
            "robot.ask" => RobotAsk(RobotAsk) -> AskReply {
                callers: Employees, rate_limited: true,
                summary: "Asks a robot in the room; its answer streams into the empty response.",
                example: r#"{"action":"robot.ask","requestId":"r1","roomId":"room_01JG8Y","robot":"iStackBuddy.forms.diagnostics","text":"Why does form 123 not submit?","clientMsgId":"c-2"}"#,
                reply_example: r#"{"request":{"id":"msg_01JG91","roomId":"room_01JG8Y","seq":4,"clientMsgId":"c-2","author":{"id":"user_alice","kind":"employee","displayName":"Alice"},"contentType":"chat","delivery":"streaming","status":"complete","visibility":"employees","text":"Why does form 123 not submit?","data":{"robot":"iStackBuddy.forms.diagnostics","args":{}},"createdAt":"2026-01-05T09:32:00Z","updatedAt":"2026-01-05T09:32:00Z"},"response":{"id":"msg_01JG92","roomId":"room_01JG8Y","seq":5,"clientMsgId":"c-2","author":{"id":"iStackBuddy.forms.diagnostics","kind":"robot","displayName":"iStackBuddy.forms.diagnostics"},"contentType":"chat","delivery":"streaming","status":"streaming","visibility":"employees","text":"","replyTo":"msg_01JG91","createdAt":"2026-01-05T09:32:00Z","updatedAt":"2026-01-05T09:32:00Z"}}"#,
            },
            "message.share" => MessageShare(MessageShare) -> MessageReply {
                callers: Employees, rate_limited: true,
                summary: "Copies an employees-only message (e.g. a robot answer) for everyone.",
                example: r#"{"action":"message.share","requestId":"r1","roomId":"room_01JG8Y","messageId":"msg_01JG92","text":"Hello! How can I help?"}"#,
                reply_example: concat!(r#"{"message":"#, example_message!(), "}"),
            },
            "issue.escalate" => IssueEscalate(IssueEscalate) -> RoomIssueReply {
                callers: Employees, rate_limited: true,
                summary: "Raises the issue a tier, here or in a new room.",
                example: r#"{"action":"issue.escalate","requestId":"r1","roomId":"room_01JG8Y","newRoom":false,"note":"Needs a form admin"}"#,
                reply_example: concat!(r#"{"room":"#, example_room!(), r#","issue":"#, example_issue!(), "}"),
            },
            "issue.conclude" => IssueConclude(IssueConclude) -> RoomIssueReply {
                callers: Employees, rate_limited: true,
                summary: "Concludes the room (and its issue, unless it lives on elsewhere).",
                example: r#"{"action":"issue.conclude","requestId":"r1","roomId":"room_01JG8Y","conclusion":"resolved","note":"Fixed the calculation"}"#,
                reply_example: concat!(r#"{"room":"#, example_room!(), r#","issue":"#, example_issue!(), "}"),
            },
            "issue.rate" => IssueRate(IssueRate) -> Empty {
                callers: Guests, rate_limited: true,
                summary: "The guest rates a concluded conversation (1 to 5).",
                example: r#"{"action":"issue.rate","requestId":"r1","roomId":"room_01JG8Y","rating":5,"comment":"Quick and kind"}"#,
                reply_example: "{}",
            },
            #[cfg(test)]
            "test.echo" => TestEcho(TestEcho) -> EchoReply {
                callers: Employees, rate_limited: true,
                summary: "Echoes the text back (a made-up action of test builds).",
                example: r#"{"action":"test.echo","requestId":"r1","text":"hi"}"#,
                reply_example: r#"{"text":"hi"}"#,
            },
        }
    };
}
pub(crate) use action_table;

/// Generates the protocol items from the table (see the module docs).
macro_rules! protocol_items {
    ($(
        $(#[$meta:meta])*
        $name:literal => $variant:ident($request:ident) -> $reply:ident {
            callers: $callers:ident, rate_limited: $rate_limited:literal,
            summary: $summary:literal,
            example: $example:literal,
            reply_example: $reply_example:expr $(,)?
        }
    ),* $(,)?) => {
        /// A client request, one variant per `action` (PROTOCOL §3). Unknown fields are
        /// ignored (clients may be newer than the server); missing required fields and
        /// wrong types are `bad_request` with serde's explanation.
        #[derive(Debug, Clone, PartialEq, Deserialize)]
        #[serde(tag = "action")]
        #[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
        pub enum ClientAction {
            $( $(#[$meta])* #[serde(rename = $name)] $variant($request), )*
        }

        impl ClientAction {
            /// The protocol name, for logs and metrics.
            pub fn name(&self) -> &'static str {
                match self {
                    $( $(#[$meta])* ClientAction::$variant(_) => $name, )*
                }
            }
        }

        /// Every action name this server understands (for the `bad_request` on
        /// unknown ones).
        pub const ACTION_NAMES: &[&str] = &[ $( $(#[$meta])* $name, )* ];

        /// The registry as data.
        pub const ACTIONS: &[ActionSpec] = &[ $(
            $(#[$meta])*
            ActionSpec {
                name: $name,
                request: stringify!($request),
                reply: stringify!($reply),
                callers: Callers::$callers,
                rate_limited: $rate_limited,
                summary: $summary,
                example: $example,
                reply_example: $reply_example,
            },
        )* ];

        /// The `data` of a successful reply: the action's reply type, serialized as
        /// itself. Read back without knowing the action, the first action (in table
        /// order) whose reply type fits is taken; [`ActionReply::parse`] is exact.
        // One reply lives per frame and is serialized at once: boxing the big
        // variants would only add an allocation.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(untagged)]
        #[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
        pub enum ActionReply {
            $( $(#[$meta])* $variant($reply), )*
        }

        impl ActionReply {
            /// Reads `data` as the reply to `action`.
            pub fn parse(action: &str, data: serde_json::Value) -> Result<ActionReply, String> {
                match action {
                    $(
                        $(#[$meta])*
                        $name => serde_json::from_value::<$reply>(data)
                            .map(ActionReply::$variant)
                            .map_err(|e| format!("{} reply: {e}", $name)),
                    )*
                    other => Err(format!("unknown action {other:?}")),
                }
            }
        }

        /// Adds the schema of every request and reply type (and of the types they
        /// use) to `out`, each name once.
        #[cfg(feature = "schema")]
        pub fn action_schemas(
            out: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>,
        ) {
            use utoipa::{PartialSchema, ToSchema};
            let mut all = Vec::new();
            $(
                $(#[$meta])*
                {
                    <$request as ToSchema>::schemas(&mut all);
                    all.push((<$request as ToSchema>::name().into_owned(), <$request as PartialSchema>::schema()));
                    <$reply as ToSchema>::schemas(&mut all);
                    all.push((<$reply as ToSchema>::name().into_owned(), <$reply as PartialSchema>::schema()));
                }
            )*
            for (name, schema) in all {
                if !out.iter().any(|(seen, _)| *seen == name) {
                    out.push((name, schema));
                }
            }
        }
    };
}

action_table!(protocol_items);

/// Parses an example reply `data` into the action's own reply type (for the
/// documentation-example tests).
pub fn parse_reply_example(action: &str, data: &str) -> Result<(), String> {
    let value: serde_json::Value =
        serde_json::from_str(data).map_err(|e| format!("{action} reply example: {e}"))?;
    ActionReply::parse(action, value).map(|_| ())
}

/// The registry line of `name`.
pub fn action(name: &str) -> Option<&'static ActionSpec> {
    ACTIONS.iter().find(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ParsedFrame, parse_frame};

    #[test]
    fn every_example_frame_parses_as_its_action() {
        for spec in ACTIONS {
            let ParsedFrame::Request { request_id, action } = parse_frame(spec.example) else {
                panic!("{}: the example is not a request", spec.name);
            };
            assert_eq!(request_id.as_deref(), Some("r1"), "{}", spec.name);
            let action = action.unwrap_or_else(|e| panic!("{}: {e}", spec.name));
            assert_eq!(action.name(), spec.name);
        }
    }

    #[test]
    fn every_reply_example_parses_as_its_reply_type_and_round_trips() {
        for spec in ACTIONS {
            parse_reply_example(spec.name, spec.reply_example)
                .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
            let value: serde_json::Value = serde_json::from_str(spec.reply_example).unwrap();
            let typed = ActionReply::parse(spec.name, value.clone()).unwrap();
            assert_eq!(
                serde_json::to_value(&typed).unwrap(),
                value,
                "{}",
                spec.name
            );
        }
    }

    #[test]
    fn the_table_is_consistent() {
        let names: Vec<&str> = ACTIONS.iter().map(|a| a.name).collect();
        assert_eq!(names, ACTION_NAMES);
        for (i, spec) in ACTIONS.iter().enumerate() {
            assert!(!names[..i].contains(&spec.name), "{} twice", spec.name);
            assert!(!spec.summary.is_empty(), "{}", spec.name);
            // Answered without reading the sender: nobody can be refused.
            if !spec.rate_limited {
                assert_eq!(spec.callers, Callers::Anyone, "{}", spec.name);
            }
        }
        assert_eq!(action("ping").map(|a| a.rate_limited), Some(false));
    }
}
