// The WebSocket half of the client: one connection per tab that
// - connects with a fresh single-use ticket each time (PROTOCOL §3: browsers cannot
//   send an Authorization header on the handshake),
// - correlates `requestId`s with promise replies,
// - fans events out to subscribers,
// - pings to keep idle sockets alive and to notice dead ones,
// - reconnects with capped exponential backoff and, after every reconnect, resumes each
//   room it has seen with `history.get {afterSeq}` so nothing is missed.

import { signal, type ReadonlySignal } from "@preact/signals";
import { ApiError } from "./http";
import type {
  ActionFields,
  ActionName,
  EventOf,
  EventType,
  HistoryReply,
  Message,
  ReplyData,
  ServerEvent,
  ServerFrame,
} from "./wire";

export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

/** The part of the browser WebSocket this class uses, so tests can pass a fake. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface ChatSocketOptions {
  /** `ws://host/ws` (the ticket is appended). */
  url: string;
  /** A new single-use ticket; an ApiError `unauthorized` stops reconnecting. */
  ticket: () => Promise<string>;
  createSocket?: (url: string) => SocketLike;
  pingIntervalMs?: number;
  /** No reply to a ping (or any request) within this long → the request fails. */
  requestTimeoutMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** 0..1, for jitter; injectable so tests are deterministic. */
  random?: () => number;
}

interface Pending {
  resolve: (data: unknown) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

type Handler = (event: ServerEvent) => void;

const OPEN = 1;
const HISTORY_PAGE = 200;

export class ChatSocket {
  private readonly opts: Required<ChatSocketOptions>;
  private ws: SocketLike | undefined;
  private readonly stateSignal = signal<ConnectionState>("idle");
  private readonly pending = new Map<string, Pending>();
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly waiters: Array<() => void> = [];
  private nextId = 1;
  private attempt = 0;
  private everOpened = false;
  private stopped = false;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Highest `seq` seen per room: where a resume starts. */
  private readonly lastSeq = new Map<string, number>();
  /** Messages seen pending/streaming: their completion may have been missed while away,
   * and `afterSeq` alone would skip them (an update keeps its `seq`). */
  private readonly unfinished = new Map<string, Map<string, number>>();

  constructor(options: ChatSocketOptions) {
    this.opts = {
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      pingIntervalMs: 30_000,
      requestTimeoutMs: 15_000,
      backoffInitialMs: 500,
      backoffMaxMs: 15_000,
      random: Math.random,
      ...options,
    };
  }

  get state(): ReadonlySignal<ConnectionState> {
    return this.stateSignal;
  }

  /** Opens the connection (idempotent). */
  connect(): void {
    if (this.ws || this.retryTimer || this.stateSignal.value === "connecting") return;
    this.stopped = false;
    void this.open();
  }

  /** Closes for good (sign out, leaving the page). */
  close(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.stopPing();
    const ws = this.ws;
    this.ws = undefined;
    ws?.close(1000, "bye");
    this.failPending("connection closed");
    this.stateSignal.value = "closed";
  }

  /** Subscribes to one event type; returns the unsubscribe function. */
  on<T extends EventType>(type: T, handler: (event: EventOf<T>) => void): () => void {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    set.add(handler as Handler);
    return () => set.delete(handler as Handler);
  }

  /** Marks a room as followed, so a reconnect resumes it from `seq`. */
  follow(roomId: string, seq = 0): void {
    this.noteSeq(roomId, seq);
  }

  unfollow(roomId: string): void {
    this.lastSeq.delete(roomId);
    this.unfinished.delete(roomId);
  }

  /** Where a resume of `roomId` would start (for tests and the UI). */
  resumePoint(roomId: string): number | undefined {
    const last = this.lastSeq.get(roomId);
    if (last === undefined) return undefined;
    let from = last;
    for (const seq of this.unfinished.get(roomId)?.values() ?? []) from = Math.min(from, seq - 1);
    return Math.max(0, from);
  }

  /** Sends an action and resolves with its reply's `data` (rejects with ApiError).
   * While reconnecting, waits for the connection up to the request timeout. */
  async request<A extends ActionName>(action: A, fields: ActionFields<A>): Promise<ReplyData[A]> {
    await this.whenOpen();
    const requestId = `r${this.nextId++}`;
    const frame = JSON.stringify({ action, requestId, ...fields });
    const data = await new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new ApiError("unavailable", `no reply to ${action}`));
      }, this.opts.requestTimeoutMs);
      this.pending.set(requestId, { resolve, reject, timer });
      try {
        this.ws!.send(frame);
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(requestId);
        reject(new ApiError("unavailable", String(e)));
      }
    });
    if (action === "history.get") this.noteMessages((data as HistoryReply).messages);
    return data as ReplyData[A];
  }

  private whenOpen(): Promise<void> {
    if (this.ws?.readyState === OPEN && this.stateSignal.value === "open") return Promise.resolve();
    if (this.stopped) return Promise.reject(new ApiError("unavailable", "connection closed"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new ApiError("unavailable", "not connected"));
      }, this.opts.requestTimeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(done);
    });
  }

  private async open(): Promise<void> {
    this.stateSignal.value = this.everOpened ? "reconnecting" : "connecting";
    let ticket: string;
    try {
      ticket = await this.opts.ticket();
    } catch (e) {
      if (e instanceof ApiError && (e.code === "unauthorized" || e.code === "forbidden")) {
        this.close(); // the session is over: retrying cannot help
        return;
      }
      this.scheduleRetry();
      return;
    }
    if (this.stopped) return;
    const sep = this.opts.url.includes("?") ? "&" : "?";
    const ws = this.opts.createSocket(`${this.opts.url}${sep}ticket=${encodeURIComponent(ticket)}`);
    this.ws = ws;
    ws.onopen = () => void this.onOpen(ws);
    ws.onmessage = (ev) => this.onFrame(ev.data);
    ws.onerror = () => {}; // a close always follows; handled there
    ws.onclose = () => this.onClose(ws);
  }

  private async onOpen(ws: SocketLike): Promise<void> {
    if (ws !== this.ws) return;
    const resuming = this.everOpened;
    this.everOpened = true;
    this.attempt = 0;
    this.stateSignal.value = "open";
    this.startPing();
    for (const wake of this.waiters.splice(0)) wake();
    if (resuming) await this.resumeAll();
  }

  /** After a reconnect: fetch what each followed room got meanwhile, as events. */
  private async resumeAll(): Promise<void> {
    for (const roomId of [...this.lastSeq.keys()]) {
      try {
        let afterSeq = this.resumePoint(roomId) ?? 0;
        for (;;) {
          const page = await this.request("history.get", { roomId, afterSeq, limit: HISTORY_PAGE });
          for (const message of page.messages) this.emit({ type: "message.updated", roomId, message });
          const last = page.messages.at(-1);
          if (!page.hasMore || !last) break;
          afterSeq = last.seq;
        }
      } catch {
        // The room may be gone for us (removed, concluded and left); the next event or
        // reconnect tries again. A dropped connection restarts the resume anyway.
      }
    }
    this.emitLocal("resumed");
  }

  private onClose(ws: SocketLike): void {
    if (ws !== this.ws) return;
    this.ws = undefined;
    this.stopPing();
    this.failPending("connection lost");
    if (this.stopped) return;
    this.stateSignal.value = "reconnecting";
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.stateSignal.value = "reconnecting";
    const base = Math.min(this.opts.backoffMaxMs, this.opts.backoffInitialMs * 2 ** this.attempt);
    this.attempt++;
    // Up to 50% jitter so a restarted server is not hit by every tab at once.
    const delay = base * (0.5 + this.opts.random() / 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.open();
    }, delay);
  }

  private failPending(reason: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new ApiError("unavailable", reason));
      this.pending.delete(id);
    }
  }

  private startPing(): void {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      const ws = this.ws;
      this.request("ping", {}).catch(() => {
        // No answer: the socket is dead even if the browser has not noticed. Only this
        // socket: by now a newer one may have replaced it.
        if (ws && ws === this.ws) {
          ws.close(4000, "ping timeout");
          this.onClose(ws);
        }
      });
    }, this.opts.pingIntervalMs);
  }

  private stopPing(): void {
    clearInterval(this.pingTimer);
    this.pingTimer = undefined;
  }

  private onFrame(raw: unknown): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(String(raw)) as ServerFrame;
    } catch {
      return; // not ours to interpret
    }
    if (frame.type === "reply") {
      const p = this.pending.get(frame.requestId);
      if (!p) return;
      this.pending.delete(frame.requestId);
      clearTimeout(p.timer);
      if (frame.ok) p.resolve(frame.data ?? {});
      else p.reject(new ApiError(frame.error?.code ?? "internal", frame.error?.message ?? "request failed"));
      return;
    }
    if (frame.type === "error") return; // answers a frame we could not have sent; ignore
    if (frame.type === "message.created" || frame.type === "message.updated") {
      this.noteMessages([frame.message]);
    }
    this.emit(frame);
  }

  private noteMessages(messages: Message[]): void {
    for (const m of messages) {
      this.noteSeq(m.roomId, m.seq);
      let open = this.unfinished.get(m.roomId);
      if (m.status === "pending" || m.status === "streaming") {
        if (!open) this.unfinished.set(m.roomId, (open = new Map()));
        open.set(m.id, m.seq);
      } else {
        open?.delete(m.id);
      }
    }
  }

  private noteSeq(roomId: string, seq: number): void {
    this.lastSeq.set(roomId, Math.max(seq, this.lastSeq.get(roomId) ?? 0));
  }

  private emit(event: ServerEvent): void {
    for (const h of this.handlers.get(event.type) ?? []) h(event);
  }

  private readonly localHandlers = new Map<string, Set<() => void>>();

  /** Client-side notifications: `resumed` after a reconnect's catch-up. */
  onLocal(name: "resumed", handler: () => void): () => void {
    let set = this.localHandlers.get(name);
    if (!set) this.localHandlers.set(name, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  private emitLocal(name: "resumed"): void {
    for (const h of this.localHandlers.get(name) ?? []) h();
  }
}
