// The signed-in tab's live state: rooms, their issues, messages, typing and unread
// counts, kept current from socket events. Screens read the signals and call the
// methods; nothing here touches the DOM.

import { batch, computed, signal } from "@preact/signals";
import { ApiError, type Credentials, type Http } from "../client/http";
import { sameOrigin } from "../client/config";
import { ChatSocket } from "../client/socket";
import type {
  Issue,
  Message,
  NewIssue,
  RoomKind,
  RoomTranscriptResponse,
  RoomView,
  TranscriptResponse,
  Visibility,
} from "../client/wire";
import { applyDelta, oldestSeq, upsertMessages } from "./messages";

const PAGE = 50;
const TYPING_SHOWN_MS = 5_000;
const TYPING_SENT_EVERY_MS = 3_000;

export interface RoomState {
  messages: Message[];
  /** Older history exists before the first loaded message. */
  hasOlder: boolean;
  loaded: boolean;
}

export class ChatStore {
  readonly socket: ChatSocket;
  readonly me: Credentials;
  readonly rooms = signal<Record<string, RoomView>>({});
  readonly issues = signal<Record<string, Issue>>({});
  readonly roomState = signal<Record<string, RoomState>>({});
  readonly unread = signal<Record<string, number>>({});
  /** roomId → userId → until (ms). */
  readonly typing = signal<Record<string, Record<string, number>>>({});
  readonly selected = signal<string | undefined>(undefined);
  readonly error = signal<string | undefined>(undefined);
  readonly roomList = computed(() =>
    Object.values(this.rooms.value).sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
  );
  private lastTypingSent = 0;
  private readonly observed = new Set<string>();
  private readonly offs: Array<() => void> = [];

  constructor(
    readonly http: Http,
    socket?: ChatSocket,
    wsUrl?: string,
  ) {
    const me = http.credentials;
    if (!me) throw new ApiError("unauthorized", "not signed in");
    this.me = me;
    this.socket = socket ?? new ChatSocket({ url: wsUrl ?? sameOrigin().wsUrl, ticket: () => http.ticket() });
    this.subscribe();
  }

  get isGuest(): boolean {
    return this.me.identity.kind === "guest";
  }

  async start(): Promise<void> {
    this.socket.connect();
    await this.refreshRooms();
    const first = this.me.roomId ?? this.roomList.value[0]?.id;
    if (first) await this.select(first);
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    this.socket.close();
  }

  async refreshRooms(): Promise<void> {
    const { rooms } = await this.socket.request("room.list", {});
    // Rooms a supervisor observes are not theirs, so room.list leaves them out.
    const observed = [...this.observed].map((id) => this.rooms.value[id]).filter((r) => r !== undefined);
    this.rooms.value = Object.fromEntries([...observed, ...rooms].map((r) => [r.id, r]));
    for (const r of rooms) this.socket.follow(r.id, this.roomState.value[r.id]?.messages.at(-1)?.seq ?? r.lastSeq);
    if (!this.isGuest) void this.loadMissingIssues();
  }

  /** Issue facts (tier, customer) for rooms created elsewhere. The protocol has no
   * member-level `issue.get` yet, so this reads the room's transcript (JSON). */
  private async loadMissingIssues(): Promise<void> {
    for (const room of Object.values(this.rooms.value)) {
      if (this.issues.value[room.issueId]) continue;
      try {
        const t = await this.http.json<RoomTranscriptResponse>(
          "GET",
          `/supervisor/rooms/${encodeURIComponent(room.id)}/transcript?format=json`,
        );
        this.putIssue(t.issue);
      } catch {
        // Shown without tier/customer; an issue.updated event fills them in later.
      }
    }
  }

  async select(roomId: string): Promise<void> {
    batch(() => {
      this.selected.value = roomId;
      this.unread.value = { ...this.unread.value, [roomId]: 0 };
    });
    if (!this.roomState.value[roomId]?.loaded) await this.loadLatest(roomId);
  }

  /** The newest page of a room (history.get with no cursor answers the latest). */
  async loadLatest(roomId: string): Promise<void> {
    // beforeSeq without afterSeq pages backwards from there; "infinity" = the newest.
    const page = await this.socket.request("history.get", { roomId, beforeSeq: Number.MAX_SAFE_INTEGER, limit: PAGE });
    this.putMessages(roomId, page.messages, { hasOlder: page.hasMore, loaded: true });
  }

  async loadOlder(roomId: string): Promise<void> {
    const state = this.roomState.value[roomId];
    const before = state && oldestSeq(state.messages);
    if (before === undefined) return this.loadLatest(roomId);
    const page = await this.socket.request("history.get", { roomId, beforeSeq: before, limit: PAGE });
    this.putMessages(roomId, page.messages, { hasOlder: page.hasMore });
  }

  /** `visibility: "employees"` is a whisper: employees (and supervisors) only. */
  async send(roomId: string, text: string, visibility?: Visibility): Promise<void> {
    const clientMsgId = newId();
    // Retried with the same clientMsgId: the server answers the first copy, so a reply
    // lost in a reconnect can never produce a duplicate.
    for (let attempt = 0; ; attempt++) {
      try {
        const { message } = await this.socket.request("message.send", { roomId, clientMsgId, text, visibility });
        this.putMessages(roomId, [message]);
        return;
      } catch (e) {
        if (!(e instanceof ApiError && e.code === "unavailable") || attempt >= 2) throw e;
      }
    }
  }

  /** Supervisor: silent monitoring. History comes from the supervisor HTTP API (the
   * observer is not a member, so `history.get` is not theirs); events then arrive live. */
  async observe(roomId: string, open = true): Promise<void> {
    const { room } = await this.socket.request("supervisor.observe", { roomId });
    this.observed.add(roomId);
    this.accept({ room });
    let afterSeq = 0;
    for (;;) {
      const page = await this.http.json<TranscriptResponse>(
        "GET",
        `/supervisor/rooms/${encodeURIComponent(roomId)}/messages?afterSeq=${afterSeq}&limit=200`,
      );
      this.putMessages(roomId, page.messages, { loaded: true, hasOlder: false });
      const last = page.messages.at(-1);
      if (!page.hasMore || !last) break;
      afterSeq = last.seq;
    }
    this.socket.follow(roomId, this.roomState.value[roomId]?.messages.at(-1)?.seq ?? 0);
    if (open) await this.select(roomId);
  }

  /** Supervisor: join any room; members see a system message. */
  async breakIn(roomId: string): Promise<void> {
    const { room } = await this.socket.request("supervisor.breakIn", { roomId });
    this.accept({ room });
    this.socket.follow(roomId, room.lastSeq);
    await this.select(roomId);
  }

  notifyTyping(roomId: string): void {
    const now = Date.now();
    if (now - this.lastTypingSent < TYPING_SENT_EVERY_MS) return;
    this.lastTypingSent = now;
    this.socket.request("typing", { roomId }).catch(() => {});
  }

  async createRoom(kind: RoomKind, title: string, issue: NewIssue): Promise<RoomView> {
    const r = await this.socket.request("room.create", { kind, title, issue });
    batch(() => {
      this.putRoom(r.room);
      this.putIssue(r.issue);
    });
    this.socket.follow(r.room.id, r.room.lastSeq);
    await this.select(r.room.id);
    return r.room;
  }

  /** The link a guest opens. The code travels in the fragment, which browsers never
   * send to a server, so it stays out of every access log. */
  async inviteGuest(roomId: string): Promise<string> {
    const { inviteCode } = await this.socket.request("room.inviteGuest", { roomId });
    return `${location.origin}/join#code=${encodeURIComponent(inviteCode)}`;
  }

  displayName(roomId: string, userId: string): string {
    return this.rooms.value[roomId]?.members.find((m) => m.id === userId)?.displayName ?? "Someone";
  }

  // ---- event handling ----

  private subscribe(): void {
    const s = this.socket;
    this.offs.push(
      s.on("message.created", (e) => this.onMessage(e.roomId, e.message, true)),
      s.on("message.updated", (e) => this.onMessage(e.roomId, e.message, false)),
      s.on("message.delta", (e) => this.updateRoomState(e.roomId, (st) => ({
        ...st,
        messages: applyDelta(st.messages, e.messageId, e.index, e.text),
      }))),
      s.on("room.updated", (e) => {
        this.putRoom(e.room);
        s.follow(e.room.id);
      }),
      s.on("issue.updated", (e) => this.putIssue(e.issue)),
      s.on("typing", (e) => {
        if (e.userId === this.me.identity.userId) return;
        const forRoom = { ...this.typing.value[e.roomId], [e.userId]: Date.now() + TYPING_SHOWN_MS };
        this.typing.value = { ...this.typing.value, [e.roomId]: forRoom };
        setTimeout(() => this.expireTyping(), TYPING_SHOWN_MS + 50);
      }),
      // Membership may have changed while away: the room list is re-read.
      s.onLocal("resumed", () => {
        void this.refreshRooms().catch(() => {});
        // An observation belongs to a connection: a new one must ask again.
        for (const id of this.observed) {
          if (!this.rooms.value[id]?.members.some((m) => m.id === this.me.identity.userId)) {
            void this.observe(id, false).catch(() => {});
          }
        }
      }),
    );
  }

  private onMessage(roomId: string, message: Message, isNew: boolean): void {
    const known = this.roomState.value[roomId]?.messages.some((m) => m.id === message.id);
    this.putMessages(roomId, [message]);
    // A message arrived: its author is no longer typing.
    const t = this.typing.value[roomId];
    if (t?.[message.author.id]) {
      const { [message.author.id]: _gone, ...rest } = t;
      this.typing.value = { ...this.typing.value, [roomId]: rest };
    }
    if (isNew && !known && roomId !== this.selected.value && message.author.id !== this.me.identity.userId) {
      this.unread.value = { ...this.unread.value, [roomId]: (this.unread.value[roomId] ?? 0) + 1 };
    }
    if (!this.rooms.value[roomId]) void this.refreshRooms().catch(() => {});
  }

  private expireTyping(): void {
    const now = Date.now();
    const next: Record<string, Record<string, number>> = {};
    for (const [room, users] of Object.entries(this.typing.value)) {
      next[room] = Object.fromEntries(Object.entries(users).filter(([, until]) => until > now));
    }
    this.typing.value = next;
  }

  /** Takes in what a reply returned (replies are not echoed as events to the caller's
   * own socket in every case, and upserting twice is harmless). */
  accept(update: { room?: RoomView; issue?: Issue; message?: Message; messages?: Message[] }): void {
    batch(() => {
      if (update.room) this.putRoom(update.room);
      if (update.issue) this.putIssue(update.issue);
      if (update.message) this.putMessages(update.message.roomId, [update.message]);
      for (const m of update.messages ?? []) this.putMessages(m.roomId, [m]);
    });
  }

  private putRoom(room: RoomView): void {
    this.rooms.value = { ...this.rooms.value, [room.id]: room };
  }

  private putIssue(issue: Issue): void {
    this.issues.value = { ...this.issues.value, [issue.id]: issue };
  }

  private putMessages(roomId: string, messages: Message[], extra: Partial<RoomState> = {}): void {
    this.updateRoomState(roomId, (st) => ({ ...st, ...extra, messages: upsertMessages(st.messages, messages) }));
  }

  private updateRoomState(roomId: string, f: (st: RoomState) => RoomState): void {
    const st = this.roomState.value[roomId] ?? { messages: [], hasOlder: false, loaded: false };
    this.roomState.value = { ...this.roomState.value, [roomId]: f(st) };
  }
}

function newId(): string {
  return globalThis.crypto?.randomUUID?.() ?? `c${Date.now()}${Math.random().toString(36).slice(2)}`;
}
