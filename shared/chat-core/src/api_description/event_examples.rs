//! One example per server → client frame that is not a reply: the events and the error
//! frame. They are JSON text, as a client sees it; the example-round-trip test parses
//! each into [`ServerEvent`] (or [`FrameError`]), so an example that drifts from the
//! types fails the build's tests, and [`event_name`] fails to compile when an event is
//! added without a description here.

use crate::protocol::events::ServerEvent;

/// What the AsyncAPI document says about one event.
pub struct EventSpec {
    /// The frame's `type`.
    pub name: &'static str,
    pub summary: &'static str,
    /// Who receives it.
    pub audience: &'static str,
    pub example: &'static str,
}

/// The `type` of an event, by exhaustive match: adding a `ServerEvent` variant without
/// an [`EVENTS`] entry stops this from compiling, and the example test checks that each
/// name here has its entry.
pub fn event_name(event: &ServerEvent) -> &'static str {
    match event {
        ServerEvent::Pong => "pong",
        ServerEvent::MessageCreated { .. } => "message.created",
        ServerEvent::MessageUpdated { .. } => "message.updated",
        ServerEvent::MessageDelta { .. } => "message.delta",
        ServerEvent::RoomUpdated { .. } => "room.updated",
        ServerEvent::IssueUpdated { .. } => "issue.updated",
        ServerEvent::Typing { .. } => "typing",
    }
}

pub const EVENTS: &[EventSpec] = &[
    EventSpec {
        name: "pong",
        summary: "The answer to a `ping` keep-alive.",
        audience: "the connection that sent the ping",
        example: r#"{"type":"pong"}"#,
    },
    EventSpec {
        name: "message.created",
        summary: "A message was committed to the room (it carries its `seq`).",
        audience: "members and observers who may see the message (guests: `everyone` messages, without `sharedFrom`)",
        example: r#"{"type":"message.created","roomId":"room_01JQ9BZ4K7W2E5R8T1Y3U6I9O0","message":{"id":"msg_01JQ9C2V7M4T8B3K5N6P0R1S2W","roomId":"room_01JQ9BZ4K7W2E5R8T1Y3U6I9O0","seq":42,"clientMsgId":"c-7f3a","author":{"id":"usr_alice","kind":"employee","displayName":"Alice"},"contentType":"chat","delivery":"streaming","status":"complete","visibility":"everyone","text":"Could you send me the form's export?","createdAt":"2026-12-04T09:15:02.118Z","updatedAt":"2026-12-04T09:15:02.118Z"}}"#,
    },
    EventSpec {
        name: "message.updated",
        summary: "A batch-delay message completed or failed, or a stream ended.",
        audience: "as for message.created",
        example: r#"{"type":"message.updated","roomId":"room_01JQ9BZ4K7W2E5R8T1Y3U6I9O0","message":{"id":"msg_01JQ9C4A1B2C3D4E5F6G7H8J9K","roomId":"room_01JQ9BZ4K7W2E5R8T1Y3U6I9O0","seq":44,"author":{"id":"robot:iStackBuddy.forms.diagnostics","kind":"robot","displayName":"Forms diagnostics"},"contentType":"chat","delivery":"batch-delay","status":"complete","visibility":"employees","text":"2 errors, 1 warning.","replyTo":"msg_01JQ9C39X8Y7Z6A5B4C3D2E1F0","createdAt":"2026-12-04T09:15:10.002Z","updatedAt":"2026-12-04T09:15:11.410Z"}}"#,
    },
    EventSpec {
        name: "message.delta",
        summary: "A piece of a streamed answer; the pieces, appended by `index`, give the final text. Index 0 after others means the answer restarted.",
        audience: "those who may see the streamed message (robot answers: employees)",
        example: r#"{"type":"message.delta","roomId":"room_01JQ9BZ4K7W2E5R8T1Y3U6I9O0","messageId":"msg_01JQ9C4A1B2C3D4E5F6G7H8J9K","index":0,"text":"Why did the form "}"#,
    },
    EventSpec {
        name: "room.updated",
        summary: "Members, counts, status or conclusion of a room changed.",
        audience: "members and observers",
        example: r#"{"type":"room.updated","room":{"id":"room_01JQ9BZ4K7W2E5R8T1Y3U6I9O0","kind":"group","title":"Checkout form","issueId":"iss_01JQ9BZ4K7W2E5R8T1Y3U6I9P1","restricted":false,"status":"open","members":[{"id":"usr_alice","kind":"employee","displayName":"Alice","tier":"T1","online":true,"joinedAt":"2026-12-04T09:14:00Z"},{"id":"gst_01JQ9C0000000000000000000A","kind":"guest","displayName":"Dana","online":true,"joinedAt":"2026-12-04T09:14:30Z"}],"memberCount":2,"onlineCount":2,"lastSeq":42,"createdAt":"2026-12-04T09:14:00Z"}}"#,
    },
    EventSpec {
        name: "issue.updated",
        summary: "The issue's tier, rooms or conclusion changed.",
        audience: "members of the issue's rooms and observers",
        example: r#"{"type":"issue.updated","issue":{"id":"iss_01JQ9BZ4K7W2E5R8T1Y3U6I9P1","title":"Checkout form","customerName":"Dana","tier":"T2","status":"open","roomIds":["room_01JQ9BZ4K7W2E5R8T1Y3U6I9O0"],"history":[{"at":"2026-12-04T09:14:00Z","event":"opened","by":"usr_alice"},{"at":"2026-12-04T09:20:00Z","event":"escalated","by":"usr_alice","note":"needs T2"}],"createdAt":"2026-12-04T09:14:00Z"}}"#,
    },
    EventSpec {
        name: "typing",
        summary: "Someone in the room is typing.",
        audience: "the room's other members",
        example: r#"{"type":"typing","roomId":"room_01JQ9BZ4K7W2E5R8T1Y3U6I9O0","userId":"usr_alice"}"#,
    },
];

/// The error frame for a frame that is not a request at all.
pub const ERROR_FRAME_EXAMPLE: &str = r#"{"type":"error","error":{"code":"bad_request","message":"frame is not valid JSON: expected value at line 1 column 1"}}"#;

/// A refused request's reply.
pub const ERROR_REPLY_EXAMPLE: &str = r#"{"type":"reply","requestId":"r-12","ok":false,"error":{"code":"forbidden","message":"only employees may do this"}}"#;
