import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "./http";
import { FakeSocket, msg } from "./testing";
import { ChatSocket } from "./socket";

/** Lets pending promise callbacks (ticket fetch, request sends) run. */
const flush = () => vi.advanceTimersByTimeAsync(0);

describe("ChatSocket", () => {
  let sockets: FakeSocket[];
  let tickets: number;
  let ticketFails: Error | undefined;
  let chat: ChatSocket;

  beforeEach(() => {
    vi.useFakeTimers();
    sockets = [];
    tickets = 0;
    ticketFails = undefined;
    chat = new ChatSocket({
      url: "ws://example.test/ws",
      ticket: async () => {
        if (ticketFails) throw ticketFails;
        return `t${++tickets}`;
      },
      createSocket: (url) => {
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      },
      pingIntervalMs: 30_000,
      requestTimeoutMs: 5_000,
      backoffInitialMs: 100,
      backoffMaxMs: 1_000,
      random: () => 1, // no jitter: the full backoff
    });
  });

  afterEach(() => {
    chat.close();
    vi.useRealTimers();
  });

  async function connected(): Promise<FakeSocket> {
    chat.connect();
    await flush();
    const s = sockets[sockets.length - 1];
    s.accept();
    await flush();
    return s;
  }

  it("connects with a fresh single-use ticket in the URL", async () => {
    expect(chat.state.value).toBe("idle");
    chat.connect();
    expect(chat.state.value).toBe("connecting");
    const s = await connected();
    expect(s.url).toBe("ws://example.test/ws?ticket=t1");
    expect(chat.state.value).toBe("open");
  });

  it("correlates replies with requests by requestId, in any order", async () => {
    const s = await connected();
    const a = chat.request("room.get", { roomId: "A" });
    const b = chat.request("room.get", { roomId: "B" });
    await flush();
    const [fa, fb] = s.sent;
    expect(fa).toMatchObject({ action: "room.get", roomId: "A" });
    expect(fb).toMatchObject({ action: "room.get", roomId: "B" });
    expect(fa.requestId).not.toBe(fb.requestId);
    s.reply(fb.requestId, { room: { id: "B" } });
    s.reply(fa.requestId, { room: { id: "A" } });
    expect((await a).room.id).toBe("A");
    expect((await b).room.id).toBe("B");
  });

  it("rejects with the server's error code", async () => {
    const s = await connected();
    const p = chat.request("message.send", { roomId: "A", clientMsgId: "c1", text: "hi" });
    await flush();
    s.push({ type: "reply", requestId: s.last().requestId, ok: false, error: { code: "forbidden", message: "no" } });
    await expect(p).rejects.toMatchObject({ code: "forbidden", message: "no" });
  });

  it("times out a request nobody answers", async () => {
    await connected();
    const p = chat.request("room.list", {});
    const check = expect(p).rejects.toMatchObject({ code: "unavailable" });
    await vi.advanceTimersByTimeAsync(5_001);
    await check;
  });

  it("delivers events to subscribers of their type only", async () => {
    const s = await connected();
    const created: string[] = [];
    const typing: string[] = [];
    const off = chat.on("message.created", (e) => created.push(e.message.id));
    chat.on("typing", (e) => typing.push(e.userId));
    s.push({ type: "message.created", roomId: "A", message: msg("A", 1) });
    s.push({ type: "typing", roomId: "A", userId: "u2" });
    off();
    s.push({ type: "message.created", roomId: "A", message: msg("A", 2) });
    expect(created).toEqual(["m1"]);
    expect(typing).toEqual(["u2"]);
  });

  it("pings to keep the socket alive", async () => {
    const s = await connected();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(s.last()).toMatchObject({ action: "ping" });
    s.push({ type: "pong" });
    s.reply(s.last().requestId, {});
    await flush();
    expect(chat.state.value).toBe("open");
  });

  it("treats an unanswered ping as a dead socket and reconnects", async () => {
    const s = await connected();
    await vi.advanceTimersByTimeAsync(30_000 + 5_001);
    expect(s.closed).toBe(true);
    expect(chat.state.value).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(100);
    expect(sockets).toHaveLength(2);
  });

  it("fails requests in flight when the connection drops", async () => {
    const s = await connected();
    const p = chat.request("room.list", {});
    await flush();
    s.drop();
    await expect(p).rejects.toBeInstanceOf(ApiError);
    expect(chat.state.value).toBe("reconnecting");
  });

  it("reconnects with exponential backoff and a new ticket each time", async () => {
    const s1 = await connected();
    s1.drop();
    await vi.advanceTimersByTimeAsync(99);
    expect(sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(2);
    sockets[1].drop(); // refused before opening
    await vi.advanceTimersByTimeAsync(199);
    expect(sockets).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(3);
    expect(sockets[2].url).toContain("ticket=t3");
    sockets[2].drop();
    await vi.advanceTimersByTimeAsync(400);
    expect(sockets).toHaveLength(4);
    sockets[3].accept();
    await flush();
    expect(chat.state.value).toBe("open");
    // Backoff resets after a successful open.
    sockets[3].drop();
    await vi.advanceTimersByTimeAsync(100);
    expect(sockets).toHaveLength(5);
  });

  it("caps the backoff", async () => {
    const s1 = await connected();
    s1.drop();
    for (let i = 0; i < 8; i++) {
      await vi.advanceTimersByTimeAsync(1_000);
      sockets[sockets.length - 1].drop();
    }
    expect(sockets.length).toBe(1 + 8);
  });

  it("stops reconnecting when the session is no longer accepted", async () => {
    const s = await connected();
    ticketFails = new ApiError("unauthorized", "revoked", 401);
    s.drop();
    await vi.advanceTimersByTimeAsync(100);
    expect(chat.state.value).toBe("closed");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets).toHaveLength(1);
  });

  it("keeps retrying while the ticket endpoint is unreachable", async () => {
    const s = await connected();
    ticketFails = new ApiError("network", "down");
    s.drop();
    await vi.advanceTimersByTimeAsync(100 + 200);
    expect(chat.state.value).toBe("reconnecting");
    ticketFails = undefined;
    await vi.advanceTimersByTimeAsync(400);
    expect(sockets).toHaveLength(2);
  });

  it("queues a request made while reconnecting until the socket is open", async () => {
    const s1 = await connected();
    s1.drop();
    const p = chat.request("room.list", {});
    await vi.advanceTimersByTimeAsync(100);
    const s2 = sockets[1];
    s2.accept();
    await flush();
    const frame = s2.sent.find((f) => f.action === "room.list");
    expect(frame).toBeDefined();
    s2.reply(frame!.requestId, { rooms: [] });
    expect(await p).toEqual({ rooms: [] });
  });

  it("resumes each followed room after its last seen seq, paging, and emits what was missed", async () => {
    const s1 = await connected();
    chat.follow("A", 0);
    chat.follow("B", 7);
    s1.push({ type: "message.created", roomId: "A", message: msg("A", 3) });
    const seen: string[] = [];
    chat.on("message.updated", (e) => seen.push(`${e.roomId}:${e.message.seq}`));
    let resumed = 0;
    chat.onLocal("resumed", () => resumed++);

    s1.drop();
    await vi.advanceTimersByTimeAsync(100);
    const s2 = sockets[1];
    s2.accept();
    await flush();

    expect(s2.last()).toMatchObject({ action: "history.get", roomId: "A", afterSeq: 3 });
    s2.reply(s2.last().requestId, { messages: [msg("A", 4), msg("A", 5)], hasMore: true });
    await flush();
    expect(s2.last()).toMatchObject({ action: "history.get", roomId: "A", afterSeq: 5 });
    s2.reply(s2.last().requestId, { messages: [msg("A", 6)], hasMore: false });
    await flush();
    expect(s2.last()).toMatchObject({ action: "history.get", roomId: "B", afterSeq: 7 });
    s2.reply(s2.last().requestId, { messages: [], hasMore: false });
    await flush();

    expect(seen).toEqual(["A:4", "A:5", "A:6"]);
    expect(resumed).toBe(1);
    expect(chat.resumePoint("A")).toBe(6);
  });

  it("resumes from before an unfinished message so its completion is not missed", async () => {
    const s1 = await connected();
    chat.follow("A");
    s1.push({ type: "message.created", roomId: "A", message: msg("A", 2) });
    s1.push({ type: "message.created", roomId: "A", message: msg("A", 3, "pending") });
    s1.push({ type: "message.created", roomId: "A", message: msg("A", 4) });
    expect(chat.resumePoint("A")).toBe(2);
    s1.push({ type: "message.updated", roomId: "A", message: msg("A", 3, "complete") });
    expect(chat.resumePoint("A")).toBe(4);
  });

  it("does not resume on the first connection", async () => {
    chat.follow("A", 5);
    const s = await connected();
    expect(s.sent).toEqual([]);
  });

  it("close() stops everything", async () => {
    const s = await connected();
    chat.close();
    expect(s.closed).toBe(true);
    expect(chat.state.value).toBe("closed");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sockets).toHaveLength(1);
    await expect(chat.request("room.list", {})).rejects.toMatchObject({ code: "unavailable" });
  });
});
