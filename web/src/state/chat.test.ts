import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Http, type KeyValueStore } from "../client/http";
import { ChatSocket } from "../client/socket";
import { FakeSocket, msg } from "../client/testing";
import type { RoomView } from "../client/wire";
import { ChatStore } from "./chat";

const future = new Date(Date.now() + 3_600_000).toISOString();

function room(id: string, lastSeq = 0): RoomView {
  return {
    id, kind: "solo", title: `Room ${id}`, issueId: `i${id}`, restricted: false, status: "open",
    members: [{ id: "u2", kind: "guest", displayName: "John Q", online: true, joinedAt: future }],
    memberCount: 2, onlineCount: 2, lastSeq, createdAt: `2026-01-0${id === "A" ? 1 : 2}T00:00:00Z`,
  };
}

function signedIn(): Http {
  const store: KeyValueStore = {
    getItem: () => JSON.stringify({
      token: "t", expiresAt: future,
      identity: { userId: "u1", username: "alice", kind: "employee", tier: "T1", roles: [], displayName: "Alice" },
    }),
    setItem: () => {},
    removeItem: () => {},
  };
  // Issue look-ups fail: rooms then show without tier, which these tests do not need.
  return new Http("", store, (async () => new Response("{}", { status: 404 })) as unknown as typeof fetch);
}

/** Answers the requests the store makes like a tiny server would. */
function serve(s: FakeSocket, rooms: RoomView[]) {
  const answered = new Set<unknown>();
  return async () => {
    await vi.advanceTimersByTimeAsync(0);
    for (const f of s.sent) {
      if (answered.has(f.requestId)) continue;
      answered.add(f.requestId);
      if (f.action === "room.list") s.reply(f.requestId, { rooms });
      else if (f.action === "history.get") s.reply(f.requestId, { messages: f.roomId === "A" ? [msg("A", 1)] : [], hasMore: false });
      else s.reply(f.requestId, {});
    }
    await vi.advanceTimersByTimeAsync(0);
  };
}

describe("ChatStore", () => {
  let sockets: FakeSocket[];
  let store: ChatStore;

  beforeEach(() => {
    vi.useFakeTimers();
    sockets = [];
    const socket = new ChatSocket({
      url: "ws://x/ws",
      ticket: async () => "tk",
      createSocket: (url) => {
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      },
    });
    store = new ChatStore(signedIn(), socket);
  });
  afterEach(() => {
    store.stop();
    vi.useRealTimers();
  });

  async function started() {
    const p = store.start();
    await vi.advanceTimersByTimeAsync(0);
    const s = sockets[0];
    s.accept();
    const tick = serve(s, [room("A", 1), room("B")]);
    for (let i = 0; i < 5; i++) await tick();
    await p;
    return { s, tick };
  }

  it("lists rooms newest first and opens the first with its latest history", async () => {
    const { s } = await started();
    expect(store.roomList.value.map((r) => r.id)).toEqual(["B", "A"]);
    expect(store.selected.value).toBe("B");
    expect(store.roomState.value.B.loaded).toBe(true);
    // No cursor but beforeSeq: the server pages backwards from the newest message.
    expect(s.sent.find((f) => f.action === "history.get")).toMatchObject({ roomId: "B", limit: 50 });
  });

  it("pages older history back from the oldest loaded message", async () => {
    const { s } = await started();
    store.roomState.value = { ...store.roomState.value, B: { messages: [msg("B", 51), msg("B", 52)], hasOlder: true, loaded: true } };
    const p = store.loadOlder("B");
    await vi.advanceTimersByTimeAsync(0);
    const frame = s.sent.at(-1)!;
    expect(frame).toMatchObject({ action: "history.get", roomId: "B", beforeSeq: 51, limit: 50 });
    s.reply(frame.requestId, { messages: [msg("B", 49), msg("B", 50)], hasMore: false });
    await p;
    expect(store.roomState.value.B.messages.map((m) => m.seq)).toEqual([49, 50, 51, 52]);
    expect(store.roomState.value.B.hasOlder).toBe(false);
  });

  it("counts unread messages in rooms not open, and clears them on open", async () => {
    const { s, tick } = await started();
    s.push({ type: "message.created", roomId: "A", message: { ...msg("A", 2), author: { id: "u2", kind: "guest", displayName: "John Q" } } });
    s.push({ type: "message.created", roomId: "A", message: { ...msg("A", 3), author: { id: "u2", kind: "guest", displayName: "John Q" } } });
    s.push({ type: "message.created", roomId: "B", message: { ...msg("B", 1), author: { id: "u2", kind: "guest", displayName: "John Q" } } });
    expect(store.unread.value).toMatchObject({ A: 2, B: 0 });
    const p = store.select("A");
    await tick();
    await p;
    expect(store.unread.value.A).toBe(0);
    expect(store.roomState.value.A.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it("builds streamed text from deltas", async () => {
    const { s } = await started();
    s.push({ type: "message.created", roomId: "B", message: { ...msg("B", 5, "streaming"), text: "" } });
    s.push({ type: "message.delta", roomId: "B", messageId: "m5", index: 0, text: "Why did the " });
    s.push({ type: "message.delta", roomId: "B", messageId: "m5", index: 1, text: "form cross the road?" });
    expect(store.roomState.value.B.messages.at(-1)?.text).toBe("Why did the form cross the road?");
  });

  it("shows who is typing for a few seconds, by name", async () => {
    const { s } = await started();
    s.push({ type: "typing", roomId: "B", userId: "u2" });
    expect(Object.keys(store.typing.value.B)).toEqual(["u2"]);
    expect(store.displayName("B", "u2")).toBe("John Q");
    await vi.advanceTimersByTimeAsync(6_000);
    expect(Object.keys(store.typing.value.B)).toEqual([]);
  });

  it("retries a send lost to a reconnect with the same clientMsgId", async () => {
    const { s } = await started();
    const p = store.send("B", "hello");
    await vi.advanceTimersByTimeAsync(0);
    const first = s.sent.find((f) => f.action === "message.send")!;
    s.drop();
    await vi.advanceTimersByTimeAsync(1_000);
    const s2 = sockets[1];
    s2.accept();
    await vi.advanceTimersByTimeAsync(0);
    const again = s2.sent.find((f) => f.action === "message.send")!;
    expect(again.clientMsgId).toBe(first.clientMsgId);
    s2.reply(again.requestId, { message: { ...msg("B", 1), text: "hello" } });
    await p;
    expect(store.roomState.value.B.messages.map((m) => m.text)).toContain("hello");
  });
});
