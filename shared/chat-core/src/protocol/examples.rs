//! JSON pieces the registry's reply examples are assembled from (with `concat!`), so
//! a room, an issue or a message is written once rather than in every example. They
//! are macros, not constants, because `concat!` takes literals only.
//!
//! The registry's tests parse every example into its action's reply type, so these
//! cannot drift from the wire types.

/// A solo room with one employee, as `RoomView`.
macro_rules! example_room {
    () => {
        r#"{"id":"room_01JG8Y","kind":"solo","title":"Form will not submit","issueId":"issue_01JG8Y","restricted":false,"status":"open","members":[{"id":"user_alice","kind":"employee","displayName":"Alice","tier":"T1","online":true,"joinedAt":"2026-01-05T09:30:00Z"}],"memberCount":1,"onlineCount":1,"lastSeq":2,"createdAt":"2026-01-05T09:30:00Z"}"#
    };
}

/// The room's issue, just opened.
macro_rules! example_issue {
    () => {
        r#"{"id":"issue_01JG8Y","title":"Form will not submit","customerName":"Dana","tier":"T1","status":"open","roomIds":["room_01JG8Y"],"history":[{"at":"2026-01-05T09:30:00Z","event":"opened","by":"user_alice"}],"createdAt":"2026-01-05T09:30:00Z"}"#
    };
}

/// A chat message for everyone.
macro_rules! example_message {
    () => {
        r#"{"id":"msg_01JG8Z","roomId":"room_01JG8Y","seq":3,"clientMsgId":"c-1","author":{"id":"user_alice","kind":"employee","displayName":"Alice"},"contentType":"chat","delivery":"streaming","status":"complete","visibility":"everyone","text":"Hello! How can I help?","createdAt":"2026-01-05T09:31:00Z","updatedAt":"2026-01-05T09:31:00Z"}"#
    };
}

pub(crate) use {example_issue, example_message, example_room};
