// Pure helpers for a room's message list, kept free of signals and sockets so they can
// be unit-tested directly.

import type { Message } from "../client/wire";

/** Inserts or replaces `incoming` messages by id, keeping ascending `seq` order.
 * A message already shown is replaced only by a copy at least as final and as new, so
 * a late history page cannot undo a live update. */
export function upsertMessages(list: readonly Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0) return list as Message[];
  const byId = new Map(list.map((m) => [m.id, m]));
  for (const m of incoming) {
    const old = byId.get(m.id);
    const keepOld =
      old !== undefined &&
      (RANK[old.status] > RANK[m.status] || (RANK[old.status] === RANK[m.status] && old.updatedAt > m.updatedAt));
    if (!keepOld) byId.set(m.id, m);
  }
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

/** How final a status is: a message never goes back from complete/failed. */
const RANK = { pending: 0, streaming: 1, complete: 2, failed: 2 } as const;

/** Applies a streamed delta: index 0 restarts the text (the worker was replaced). */
export function applyDelta(list: readonly Message[], messageId: string, index: number, text: string): Message[] {
  return list.map((m) => {
    if (m.id !== messageId || m.status === "complete" || m.status === "failed") return m;
    const base = index === 0 ? "" : m.text;
    return { ...m, status: "streaming", text: base + text };
  });
}

/** The lowest `seq` loaded: where "load earlier" pages back from. */
export function oldestSeq(list: readonly Message[]): number | undefined {
  return list.length ? list[0].seq : undefined;
}
