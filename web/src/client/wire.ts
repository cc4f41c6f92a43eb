// Wire shapes of docs/PROTOCOL.md, written by hand ONLY until the generated types in
// `web/src/api/` (ts-rs, from the Rust types) land. Every hand-written protocol shape
// lives in this one file on purpose: swapping it for `export * from "../api"` (plus
// the few client-side helpers at the bottom) must be the whole migration. The names
// follow the Rust type names so that swap is mechanical.

export type Tier = "T1" | "T2" | "T3";
export type Role = "admin" | "supervisor";
export type AccountKind = "employee" | "guest";
export type AuthorKind = "employee" | "guest" | "robot" | "system";
export type ParticipantKind = "employee" | "guest" | "robot";
export type ContentType = "chat" | "graph" | "image" | "file";
export type Delivery = "streaming" | "batch-delay";
export type MessageStatus = "pending" | "streaming" | "complete" | "failed";
export type Visibility = "everyone" | "employees";
export type RoomKind = "group" | "solo";
export type RoomStatus = "open" | "concluded";
export type IssueStatus = "open" | "concluded";
export type Conclusion = "resolved" | "unresolved" | "escalated" | "guest-disengaged";

export type ErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "rate_limited"
  | "payload_too_large"
  | "guest_alone"
  | "unavailable"
  | "internal";

export interface ErrorDetail {
  code: ErrorCode;
  message: string;
}
export interface ErrorBody {
  error: ErrorDetail;
}

export interface IdentityView {
  userId: string;
  username: string;
  kind: AccountKind;
  tier?: Tier;
  roles: Role[];
  displayName: string;
  /** Listed for admins; true for anyone who can sign in. */
  enabled: boolean;
}

export interface LoginRequest {
  username: string;
  password: string;
}
export interface TokenResponse {
  token: string;
  expiresAt: string;
  identity: IdentityView;
}
export interface GuestLoginRequest {
  inviteCode: string;
  displayName: string;
}
export interface GuestTokenResponse extends TokenResponse {
  roomId: string;
}
export interface TicketResponse {
  ticket: string;
  expiresAt: string;
}

export interface Author {
  id: string;
  kind: AuthorKind;
  displayName: string;
}

export interface Message {
  id: string;
  roomId: string;
  seq: number;
  clientMsgId?: string;
  author: Author;
  contentType: ContentType;
  delivery: Delivery;
  status: MessageStatus;
  visibility: Visibility;
  text: string;
  data?: unknown;
  replyTo?: string;
  sharedFrom?: string;
  createdAt: string;
  updatedAt: string;
}

export interface Participant {
  id: string;
  kind: ParticipantKind;
  displayName: string;
  tier?: Tier;
  online: boolean;
  joinedAt: string;
}

export interface RoomView {
  id: string;
  kind: RoomKind;
  title: string;
  issueId: string;
  restricted: boolean;
  status: RoomStatus;
  conclusion?: Conclusion;
  members: Participant[];
  memberCount: number;
  onlineCount: number;
  lastSeq: number;
  createdAt: string;
  waitingSince?: string;
}

export interface IssueEvent {
  at: string;
  event: string;
  by: string;
  note?: string;
}

export interface Issue {
  id: string;
  title: string;
  customerName?: string;
  formId?: string;
  tier: Tier;
  status: IssueStatus;
  conclusion?: Conclusion;
  roomIds: string[];
  history: IssueEvent[];
  ratings?: unknown[];
}

// ---- files (HTTP) ----

export type StorageClass = "temporary" | "conversation" | "archive";
export interface CreateFileRequest {
  roomId: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  storageClass?: StorageClass;
  visibility?: Visibility;
}
export interface PresignedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
}
export interface CreateFileResponse {
  fileId: string;
  messageId: string;
  upload: PresignedRequest;
  expiresAt: string;
}
export interface CompleteFileResponse {
  message: Message;
}
export interface DownloadResponse {
  downloadUrl: string;
  expiresAt: string;
  name: string;
  size: number;
  contentType: string;
}
/** `data` of a `file`/`image` message. */
export interface FileData {
  fileId: string;
  name: string;
  size: number;
  contentType: string;
  storageClass: StorageClass;
  width?: number;
  height?: number;
  thumbnail?: { width: number; height: number };
  failure?: string;
}

/** `data` of a forms-robot `graph` message (Message.data is free-form JSON on the Rust
 * side, so no generated type will cover it). */
export interface GraphNode {
  id: string;
  label: string;
  kind: string;
  inCycle?: boolean;
}
export interface GraphEdge {
  from: string;
  to: string;
  kind: string;
  inCycle?: boolean;
}
export interface GraphData {
  nodes: GraphNode[];
  edges: GraphEdge[];
  omitted?: boolean;
  nodeCount?: number;
  edgeCount?: number;
}

// ---- directory (HTTP) ----

export interface DirectoryEntry {
  userId: string;
  displayName: string;
  kind: "employee";
  tier?: Tier;
  online: boolean;
}
export interface UsersResponse {
  users: DirectoryEntry[];
}

// ---- admin HTTP API ----

export interface NewEmployee {
  username: string;
  password: string;
  kind: "employee";
  tier: Tier;
  roles: Role[];
  displayName: string;
}
export interface IdentityPatch {
  enabled?: boolean;
  tier?: Tier;
  roles?: Role[];
  revokeTokens?: boolean;
}
export interface IdentityResponse {
  identity: IdentityView;
}
export interface AccountsResponse {
  users: IdentityView[];
}

// ---- supervisor HTTP API ----

export interface RoomSummary {
  id: string;
  kind: RoomKind;
  title: string;
  issueId: string;
  tier: Tier;
  status: RoomStatus;
  memberCount: number;
  onlineCount: number;
  guestCount: number;
  employeeCount: number;
  robotCount: number;
  createdAt: string;
  lastMessageAt?: string;
  waitingSince?: string;
}
export interface RoomsResponse {
  rooms: RoomSummary[];
}
export interface ParticipantsResponse {
  participants: Participant[];
}
export interface IssuesResponse {
  issues: Issue[];
}
export interface QueueLength {
  tier: Tier;
  waiting: number;
}
export interface QueuesResponse {
  queues: QueueLength[];
}
export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  roomId?: string;
  issueId?: string;
  detail: unknown;
}
export interface AuditResponse {
  entries: AuditEntry[];
  next?: string;
}

// ---- WebSocket: client → server (`action`-tagged; `requestId` added by the socket) ----

export interface IssueDraft {
  title: string;
  customerName?: string;
  formId?: string;
}

export type ClientAction =
  | { action: "ping" }
  | { action: "room.create"; kind: RoomKind; title: string; issueId?: string; issue?: IssueDraft }
  | { action: "room.list" }
  | { action: "room.get"; roomId: string }
  | { action: "room.join"; roomId: string }
  | { action: "room.leave"; roomId: string }
  | { action: "room.invite"; roomId: string; userId: string }
  | { action: "room.inviteGuest"; roomId: string; displayName?: string }
  | { action: "room.remove"; roomId: string; userId: string }
  | { action: "robot.list" }
  | { action: "robot.invite"; roomId: string; robot: string }
  | { action: "robot.remove"; roomId: string; robot: string }
  | {
      action: "message.send";
      roomId: string;
      clientMsgId: string;
      text: string;
      visibility?: Visibility;
    }
  | {
      action: "robot.ask";
      roomId: string;
      robot: string;
      text: string;
      args?: Record<string, string>;
      clientMsgId?: string;
    }
  | { action: "message.share"; roomId: string; messageId: string; text?: string }
  | { action: "history.get"; roomId: string; afterSeq?: number; beforeSeq?: number; limit?: number }
  | { action: "typing"; roomId: string }
  | { action: "issue.escalate"; roomId: string; newRoom: boolean; note?: string }
  | { action: "issue.conclude"; roomId: string; conclusion: Conclusion; note?: string }
  | { action: "issue.rate"; roomId: string; rating: number; comment?: string }
  | { action: "supervisor.observe"; roomId: string }
  | { action: "supervisor.breakIn"; roomId: string };

// Reply payloads (`data` of an ok reply), by action.
export type Empty = Record<string, never>;
export interface RoomReply {
  room: RoomView;
}
export interface RoomIssueReply {
  room: RoomView;
  issue: Issue;
}
export interface RoomsReply {
  rooms: RoomView[];
}
export interface MessageReply {
  message: Message;
}
export interface HistoryReply {
  messages: Message[];
  hasMore: boolean;
}
export interface RobotArg {
  name: string;
  description: string;
  required: boolean;
}
export interface RobotInfo {
  name: string;
  description: string;
  delivery: Delivery;
  contentType: ContentType;
  args: RobotArg[];
}
export interface RobotsReply {
  robots: RobotInfo[];
}
export interface InviteGuestReply {
  inviteCode: string;
  expiresAt: string;
}
export interface AskReply {
  request: Message;
  response: Message;
}

// ---- WebSocket: server → client ----

export interface Reply {
  type: "reply";
  requestId: string;
  ok: boolean;
  data?: unknown;
  error?: ErrorDetail;
}
export interface FrameError {
  type: "error";
  error: ErrorDetail;
}

export type ServerEvent =
  | { type: "pong" }
  | { type: "message.created"; roomId: string; message: Message }
  | { type: "message.updated"; roomId: string; message: Message }
  | { type: "message.delta"; roomId: string; messageId: string; index: number; text: string }
  | { type: "room.updated"; room: RoomView }
  | { type: "issue.updated"; issue: Issue }
  | { type: "typing"; roomId: string; userId: string };

// ---- client-side helpers (stay here after the swap) ----

/** Every frame the server may send. */
export type ServerFrame = Reply | FrameError | ServerEvent;

/** The action names, and the `data` each answers, so `request()` is typed per action. */
export type ActionName = ClientAction["action"];
export type ActionFields<A extends ActionName> = Omit<Extract<ClientAction, { action: A }>, "action">;
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
export type EventType = ServerEvent["type"];
export type EventOf<T extends EventType> = Extract<ServerEvent, { type: T }>;
