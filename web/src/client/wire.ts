// Wire shapes of docs/PROTOCOL.md. Every protocol shape (requests, replies, events,
// model types, the error frame, HTTP bodies) is generated from the Rust types by ts-rs
// into `../api` and only re-exported here, so the client cannot drift from the server.
// What this file declares itself is client-side: helpers derived from the generated
// types. Even `Message.data`'s file and graph payloads are generated (FileData,
// GraphData: chat-core's protocol/content.rs).

import type {
  ActionReply,
  AskReply,
  ClientAction,
  Empty,
  FrameError,
  HistoryReply,
  InviteGuestReply,
  MessageReply,
  Reply,
  RobotsReply,
  RoomIssueReply,
  RoomReply,
  RoomsReply,
  ServerEvent,
} from "../api";

export type * from "../api";

// ---- client-side helpers, derived from the generated types ----

/** Every frame the server may send. */
export type ServerFrame = Reply | FrameError | ServerEvent;

/** The action names. */
export type ActionName = ClientAction["action"];
/** One action's fields: what `request()` sends besides `action` (and `requestId`). */
export type ActionFields<A extends ActionName> = Omit<Extract<ClientAction, { action: A }>, "action">;

/** The reply `data` of each action, so `request()` is typed per action. Not generated:
 * the Rust registry pairs actions with reply types in code, and ts-rs exports only their
 * untagged union (`ActionReply`). The check below keeps this map honest. */
export interface ReplyData {
  ping: Empty;
  "room.create": RoomIssueReply;
  "room.list": RoomsReply;
  "room.get": RoomReply;
  "room.join": RoomReply;
  "room.leave": RoomReply;
  "room.invite": RoomReply;
  "room.inviteGuest": InviteGuestReply;
  "room.remove": RoomReply;
  "robot.list": RobotsReply;
  "robot.invite": RoomReply;
  "robot.remove": RoomReply;
  "message.send": MessageReply;
  "robot.ask": AskReply;
  "message.share": MessageReply;
  "history.get": HistoryReply;
  typing: Empty;
  "issue.escalate": RoomIssueReply;
  "issue.conclude": RoomIssueReply;
  "issue.rate": Empty;
  "supervisor.observe": RoomReply;
  "supervisor.breakIn": RoomReply;
}
// Compile-time check: every action has an entry, and every entry is a generated reply type.
// (Exported only so the unused-locals check leaves it alone.)
type Exactly<T extends true> = T;
type AnyReplyData = ReplyData[keyof ReplyData];
export type ReplyDataCovers = Exactly<
  [ActionName, keyof ReplyData, AnyReplyData] extends [keyof ReplyData, ActionName, ActionReply] ? true : false
>;

/** The event names, and one event's shape (for `ChatSocket.on`). */
export type EventType = ServerEvent["type"];
export type EventOf<T extends EventType> = Extract<ServerEvent, { type: T }>;
