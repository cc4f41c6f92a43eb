import { describe, expect, it } from "vitest";
import type { Message } from "../client/wire";
import { applyDelta, oldestSeq, upsertMessages } from "./messages";

function m(seq: number, patch: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    roomId: "A",
    seq,
    author: { id: "r", kind: "robot", displayName: "Robot" },
    contentType: "chat",
    delivery: "streaming",
    status: "complete",
    visibility: "employees",
    text: `t${seq}`,
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-01T00:00:00Z",
    ...patch,
  };
}

describe("upsertMessages", () => {
  it("merges by id and keeps seq order", () => {
    const list = upsertMessages([m(1), m(3)], [m(2), m(3, { text: "new", updatedAt: "2026-01-01T00:00:01Z" })]);
    expect(list.map((x) => x.seq)).toEqual([1, 2, 3]);
    expect(list[2].text).toBe("new");
  });

  it("never lets an older copy undo a completion", () => {
    const done = m(1, { status: "complete", text: "final", updatedAt: "2026-01-01T00:00:05Z" });
    const stale = m(1, { status: "pending", text: "", updatedAt: "2026-01-01T00:00:00Z" });
    expect(upsertMessages([done], [stale])[0].text).toBe("final");
  });

  it("lets a completion replace locally streamed text", () => {
    const streaming = m(1, { status: "streaming", text: "partial" });
    const done = m(1, { status: "complete", text: "full answer", updatedAt: "2026-01-01T00:00:09Z" });
    expect(upsertMessages([streaming], [done])[0]).toMatchObject({ status: "complete", text: "full answer" });
  });
});

describe("applyDelta", () => {
  it("appends deltas and restarts on index 0", () => {
    let list = [m(1, { status: "streaming", text: "" })];
    list = applyDelta(list, "m1", 0, "Why ");
    list = applyDelta(list, "m1", 1, "did");
    expect(list[0].text).toBe("Why did");
    list = applyDelta(list, "m1", 0, "Restart");
    expect(list[0].text).toBe("Restart");
  });

  it("ignores deltas for finished messages", () => {
    const list = applyDelta([m(1, { text: "done" })], "m1", 3, "late");
    expect(list[0].text).toBe("done");
  });
});

it("oldestSeq", () => {
  expect(oldestSeq([])).toBeUndefined();
  expect(oldestSeq([m(4), m(5)])).toBe(4);
});
