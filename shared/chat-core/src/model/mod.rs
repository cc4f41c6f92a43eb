//! Domain model: what the product talks about.
//!
//! - [`identity`]: who someone is (admin-owned) and their profile (self-owned).
//! - [`room`]: rooms, members and the views clients receive.
//! - [`issue`]: the customer problem a room is about.
//! - [`message`]: messages with per-room sequence numbers.
//! - [`connection`]: open WebSocket connections.
//! - [`file`]: uploaded files, storage classes and their limits.
//! - [`invite`]: guest invitations.
//! - [`audit`]: the append-only audit log.
//! - [`robot`]: robot cards, requests and answers (the `Robots` port's vocabulary).
//! - [`text`]: validated user text with length limits.

pub mod audit;
pub mod connection;
pub mod file;
pub mod identity;
pub mod invite;
pub mod issue;
pub mod message;
pub mod robot;
pub mod room;
pub mod text;

pub use audit::{AuditEntry, NewAuditEntry};
pub use connection::{Connection, RoomConnection};
pub use file::{DeclaredFile, FileRecord, FileStatus, ImageFacts, StorageClass};
pub use identity::{AccountKind, Identity, IdentityView, Profile, Role, Tier, UserRecord};
pub use invite::Invite;
pub use issue::{Conclusion, Issue, IssueEvent, IssueStatus, Rating};
pub use message::{
    Author, AuthorKind, ContentType, Delivery, Message, MessageStatus, NewMessage, Visibility,
};
pub use robot::{
    FORMS_DIAGNOSTICS_ROBOT, IssueBrief, RobotAnswer, RobotArg, RobotChunk, RobotFailure,
    RobotFile, RobotInfo, RobotInput, RobotRequest,
};
pub use room::{Member, Participant, ParticipantKind, Room, RoomKind, RoomStatus, RoomView};
pub use text::{DisplayName, MessageText, Title};
