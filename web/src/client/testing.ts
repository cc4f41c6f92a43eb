// Test helpers (imported by *.test.ts only; never by the app, so not bundled).

import type { SocketLike } from "./socket";
import type { Message } from "./wire";

/** A scripted stand-in for the browser WebSocket: records frames, lets the test play
 * the server. */
export class FakeSocket implements SocketLike {
  readyState = 0;
  sent: Array<Record<string, unknown>> = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  send(data: string) {
    if (this.readyState !== 1) throw new Error("not open");
    this.sent.push(JSON.parse(data));
  }
  close() {
    if (this.closed) return;
    this.closed = true;
    this.readyState = 3;
    this.onclose?.({});
  }
  // --- server side ---
  accept() {
    this.readyState = 1;
    this.onopen?.({});
  }
  push(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  reply(requestId: unknown, data: unknown) {
    this.push({ type: "reply", requestId, ok: true, data });
  }
  drop() {
    this.close();
  }
  last() {
    return this.sent[this.sent.length - 1];
  }
}

export function msg(roomId: string, seq: number, status: Message["status"] = "complete"): Message {
  return {
    id: `m${seq}`,
    roomId,
    seq,
    author: { id: "u1", kind: "employee", displayName: "Alice" },
    contentType: "chat",
    delivery: "batch-delay",
    status,
    visibility: "everyone",
    text: `hello ${seq}`,
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-01T00:00:00Z",
  };
}

