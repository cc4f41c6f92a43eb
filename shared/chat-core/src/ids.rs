//! Opaque identifiers, parsed once at the edge.
//!
//! Ids are strings on the wire (PROTOCOL: "ids are opaque strings"). Inside the core they
//! are newtypes so a `RoomId` can never be passed where a `UserId` is expected. `parse`
//! accepts what a client may send: 1..=128 printable ASCII characters without spaces —
//! enough for ULIDs with prefixes and for client-chosen message ids, and safe to put in
//! a storage key or a URL path.

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// Longest id accepted from a client.
pub const MAX_ID_LEN: usize = 128;

fn valid_id(raw: &str) -> bool {
    !raw.is_empty()
        && raw.len() <= MAX_ID_LEN
        && raw
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'/' && b != b'\\')
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        #[cfg_attr(feature = "schema", derive(utoipa::ToSchema, ts_rs::TS))]
        // The schema states what `parse` accepts: 1..=128 printable ASCII characters
        // other than `/` and `\`.
        #[cfg_attr(feature = "schema", schema(pattern = r"^[!-.0-\[\]-~]{1,128}$"))]
        pub struct $name(String);

        impl $name {
            /// Validates a client-supplied id.
            pub fn parse(raw: impl Into<String>) -> Result<Self, CoreError> {
                let raw = raw.into();
                if valid_id(&raw) {
                    Ok(Self(raw))
                } else {
                    Err(CoreError::bad_request(concat!("invalid ", $what)))
                }
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = CoreError;
            fn try_from(raw: String) -> Result<Self, CoreError> {
                Self::parse(raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// An authenticated entity (employee or guest).
    UserId, "user id"
);
id_type!(
    /// A room.
    RoomId, "room id"
);
id_type!(
    /// An issue (a customer's problem; spans rooms after escalation).
    IssueId, "issue id"
);
id_type!(
    /// A message.
    MessageId, "message id"
);
id_type!(
    /// A WebSocket connection, as API Gateway names it.
    ConnectionId, "connection id"
);
id_type!(
    /// The client's own id for a message it sends; makes resends idempotent.
    ClientMsgId, "clientMsgId"
);
id_type!(
    /// An uploaded file.
    FileId, "file id"
);

/// A member of a room: a user or a robot (robots are named, e.g. `iStackBuddy.docs.jokes`).
pub type MemberId = String;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_reject_empty_long_and_path_like_input() {
        assert!(RoomId::parse("").is_err());
        assert!(RoomId::parse("a".repeat(MAX_ID_LEN + 1)).is_err());
        assert!(RoomId::parse("a/b").is_err());
        assert!(RoomId::parse("has space").is_err());
        assert!(RoomId::parse("room_01HZX").is_ok());
    }

    #[test]
    fn ids_deserialize_through_parse() {
        let ok: Result<UserId, _> = serde_json::from_str("\"usr_1\"");
        assert!(ok.is_ok());
        let bad: Result<UserId, _> = serde_json::from_str("\"\"");
        assert!(bad.is_err());
    }
}
